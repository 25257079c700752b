/* dump: the cache as text, and back (portcullis-ctl dump_cache / load_cache).
 *
 * The format is close to Unbound's dump_cache: zone-file lines (ldns's
 * presentation format) with the remaining TTLs, grouped in sections, one
 * header comment per cache entry:
 *
 *     START_RRSET_CACHE
 *     ;rrset TTL COUNT RANK NEXTRA SEC
 *     OWNER TTL CLASS TYPE RDATA        (COUNT lines, one per record)
 *     OWNER TTL CLASS TYPE RDATA        (NEXTRA lines: the records kept beside)
 *     END_RRSET_CACHE
 *     START_NEGATIVE_CACHE
 *     ;nxdomain OWNER CLASS TTL RANK NSOA NEXTRA SEC
 *     ;nodata OWNER CLASS TYPE TTL RANK NSOA NEXTRA SEC
 *     ZONE TTL CLASS SOA RDATA          (NSOA lines: 0 or 1, the proof)
 *     OWNER TTL CLASS TYPE RDATA        (NEXTRA lines: the records kept beside)
 *     END_NEGATIVE_CACHE
 *     EOF
 *
 * RANK is glue, referral, nonauth or auth (cache.h). NEXTRA (0..64) counts
 * the records kept beside the entry (cache_entry_extra: RRSIGs, NSEC/NSEC3
 * proofs, a DNAME), written with the entry's TTL (which they share; the
 * loader ignores theirs) and of its class. SEC is the entry's DNSSEC
 * status (enum cache_sec): unchecked, insecure, secure, bogus,
 * bogus-expired, bogus-not-yet, bogus-nokey or bogus-nosig; the loader
 * stores it with the entry (cache_put_*_judged) and keeps a bogus entry
 * bogus_ttl seconds at most. A header without NEXTRA SEC (the format before
 * statuses were kept) reads as "0 unchecked". Only fresh entries are
 * written. A record ldns does not read back to the same rdata (the cache
 * keeps rdata as it came, malformed for its type or not) is written in the
 * RFC 3597 form "OWNER TTL CLASS TYPEnnn \# LENGTH HEX", which the loader
 * reads itself. The loader is strict: every line is checked (section order, the
 * header's counts, every record of an RRset with the same owner, class and
 * type, TTLs 0..2147483647, lines of at most DUMP_LINE_MAX bytes, an entry
 * of at most 65,535 bytes of rdata with the records kept beside it), the records go through ldns's parser,
 * and the first fault stops the load with a message naming its line; what
 * was stored before it stays. A missing EOF line is such a fault (a dump cut
 * short). Empty lines and lines starting with '#' are skipped. */
#ifndef PC_CACHE_DUMP_H
#define PC_CACHE_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"

#define DUMP_LINE_MAX (512u * 1024u)

/* Where dump text goes: fn(ud, text, len); a nonzero return stops. */
typedef int (*dump_sink_fn)(void *ud, const char *text, size_t len);

/* A sink that collects the text in one growing NUL-terminated buffer
 * (buf, malloc'd: the caller frees it); -1 when out of memory. */
struct dump_text {
	char *buf;
	size_t len, cap;
};
int dump_text_sink(void *ud, const char *text, size_t len);

/* A dump in parts (so that a large cache streams): state for dump_part. */
struct dump_state {
	int phase;    /* 0 header, 1 RRsets, 2 negative entries, 3 done */
	uint64_t pos; /* cache_walk position within the phase */
	size_t entries;
};

/* Write the next part of the dump of c (at least max_entries entries or
 * the rest) to sink. Returns true once the dump is complete (EOF written),
 * false when there is more (or sink stopped it: then stop calling). */
bool dump_part(struct cache *c, uint64_t now_ms, struct dump_state *st, size_t max_entries,
	       dump_sink_fn sink, void *ud);

/* One record as one line of text (no newline) that reads back to the same
 * type, class and rdata, as the dump writes it: ldns's presentation format
 * when ldns reads that back to the same rdata, else the RFC 3597 form
 * "OWNER TTL CLASS TYPEnnn \# LENGTH HEX" (ldns prints some rdata, an
 * SVCB/HTTPS record whose parameters do not parse for one, as text that
 * reads back otherwise or not at all). malloc'd; NULL when out of memory. */
char *dump_rr_text(const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
		   const uint8_t *rdata, uint16_t rdlen);

struct dump_loader;

/* A loader into c, at time now_ms; entries whose status is bogus are
 * kept at most bogus_ttl seconds (val-bogus-ttl). NULL when out of memory. */
struct dump_loader *dump_loader_new(struct cache *c, uint64_t now_ms, uint32_t bogus_ttl);
/* Called after each entry the load stores, with its key (type
 * CACHE_TYPE_NXDOMAIN for an NXDOMAIN): what the loader's user keeps
 * beside the cache learns from it (the daemon: the aggressive-NSEC index). */
typedef void (*dump_stored_fn)(void *ud, const uint8_t *owner, uint16_t type, uint16_t rclass);
void dump_loader_on_store(struct dump_loader *l, dump_stored_fn fn, void *ud);
/* One line (without its newline; NUL bytes are an error). 0, or -1 with
 * "line N: what" in err; after an error every further call fails. */
int dump_load_line(struct dump_loader *l, const char *line, size_t len, char *err, size_t errlen);
/* The end of the input: 0 when complete, else -1 with the reason in err. */
int dump_load_end(struct dump_loader *l, char *err, size_t errlen);
/* Entries stored so far. */
size_t dump_loaded(const struct dump_loader *l);
void dump_loader_free(struct dump_loader *l);

#endif
