/* localzone: names the resolver answers itself, without asking upstream,
 * as Unbound's local-zone and local-data do.
 *
 * A table holds zones (a name and a type) and local data (RRsets of class
 * IN kept by owner name). A question is judged by its closest enclosing
 * zone: the zone's type and the data at the name (or, for redirect zones,
 * at the zone's apex) decide whether it is answered here, dropped, or
 * resolved as usual. The types and their answers follow unbound.conf(5):
 *
 *   static           data, else NODATA (the name holds data or has data
 *                    below it) or NXDOMAIN, with the zone's SOA
 *   redirect         the apex's data for the zone and every name below it,
 *                    else NODATA
 *   transparent      data; NODATA when the name holds data of other types;
 *                    otherwise resolved as usual
 *   typetransparent  data; otherwise resolved as usual
 *   refuse, deny     data; otherwise REFUSED, or no answer at all
 *   always_transparent, always_refuse, always_nxdomain, always_nodata,
 *   always_deny      the same whatever data there is
 *   inform, inform_deny, inform_redirect
 *                    transparent, deny, redirect, and the caller logs
 *                    the client
 * Local data outside every zone makes a transparent zone at its owner
 * name. Answers are authoritative (the caller sets AA); TTLs are as given.
 *
 * The table is I/O-free; text (config lines, control verbs) is parsed in
 * daemon/localconf.c and handed down as wire format.
 *
 * Threads: a read-write lock inside. Any thread may call lz_answer,
 * lz_governs and the lz_each_* walks while one thread changes the table.
 * Answers are copied into thread-local scratch, so they stay valid after
 * a change, until the calling thread's next lz_answer. */
#ifndef PC_CORE_LOCALZONE_H
#define PC_CORE_LOCALZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

enum lz_type {
	LZ_TRANSPARENT = 0,
	LZ_TYPETRANSPARENT,
	LZ_STATIC,
	LZ_REDIRECT,
	LZ_REFUSE,
	LZ_DENY,
	LZ_INFORM,
	LZ_INFORM_DENY,
	LZ_INFORM_REDIRECT,
	LZ_ALWAYS_TRANSPARENT,
	LZ_ALWAYS_REFUSE,
	LZ_ALWAYS_NXDOMAIN,
	LZ_ALWAYS_NODATA,
	LZ_ALWAYS_DENY,
	LZ_NODEFAULT, /* not a zone: only turns a default zone off */
	LZ_TYPE_COUNT
};

/* "static", "always_nxdomain", ... (unbound.conf spelling). */
const char *lz_type_name(enum lz_type t);
/* The type named by text (case-insensitive); false when none. */
bool lz_type_parse(const char *text, enum lz_type *out);

enum lz_verdict {
	LZ_RESOLVE = 0, /* not ours: the cache, then the resolver */
	LZ_ANSWER,      /* *a holds the answer (rcode, records) */
	LZ_DROP,        /* no answer at all (deny) */
};

struct lz_table;

/* A new empty table; seed keys its hash. NULL when out of memory. */
struct lz_table *lz_new(uint32_t seed);
void lz_free(struct lz_table *t);

/* Add a zone or change the type of an existing one (name: wire format,
 * any case). LZ_NODEFAULT is refused (PC_EINVAL): the caller keeps those
 * names for lz_add_defaults. 0, PC_EINVAL or PC_ENOMEM. */
int lz_zone_set(struct lz_table *t, const uint8_t *name, enum lz_type type);

/* Remove the zone at name and the data that belongs to it (at or below
 * name, and not inside a deeper zone). 0, or PC_ENOTFOUND when there is no
 * zone there. */
int lz_zone_remove(struct lz_table *t, const uint8_t *name);

/* Add one record (class IN) to the RRset (owner, type); an identical
 * record is not added twice, and the set keeps the TTL of its first
 * record. When no zone encloses owner, a transparent zone is made at
 * owner. 0, PC_EINVAL (a CNAME beside other data at owner, bad sizes) or
 * PC_ENOMEM. */
int lz_data_add(struct lz_table *t, const uint8_t *owner, uint16_t type, uint32_t ttl,
		const uint8_t *rdata, uint16_t rdlen);

/* Is there a zone at exactly name? */
bool lz_has_zone(struct lz_table *t, const uint8_t *name);

/* Remove every RRset at name; the number removed (0: there was none). */
size_t lz_data_remove(struct lz_table *t, const uint8_t *name);

/* Unbound's default zones (localhost, the loopback reverse zones,
 * home.arpa, onion, test, invalid and the AS112 reverse zones), each with
 * its NS and SOA (and localhost's addresses and the loopback PTRs),
 * except where a zone of that name is in the table already or the name is
 * among the n names of skip (nodefault). 0 or PC_ENOMEM. */
int lz_add_defaults(struct lz_table *t, const uint8_t (*skip)[WIRE_NAME_MAX], size_t n);

/* The verdict on a question of class IN. On LZ_ANSWER *a is filled (its
 * records live in this thread's scratch); *inform is set when the zone
 * asks for the client to be logged, and then zone_out (WIRE_NAME_MAX)
 * receives the zone's name. */
enum lz_verdict lz_answer(struct lz_table *t, const uint8_t *qname, uint16_t qtype,
			  struct core_answer *a, bool *inform, uint8_t *zone_out);

/* True when the table decides some question about owner: the cache must
 * then not keep records of owner, which would stand in for the local
 * answer. (Transparent kinds of zone govern only names holding data.) */
bool lz_governs(struct lz_table *t, const uint8_t *owner);

/* Walks, under the read lock (the callback must not change the table):
 * every zone with its type; every record. Order is unspecified. */
void lz_each_zone(struct lz_table *t, void (*fn)(void *ud, const uint8_t *name,
						 enum lz_type type), void *ud);
void lz_each_rr(struct lz_table *t,
		void (*fn)(void *ud, const uint8_t *owner, uint16_t type, uint32_t ttl,
			   const uint8_t *rdata, uint16_t rdlen),
		void *ud);

#endif
