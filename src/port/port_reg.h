/* port_reg: the compiled-in IANA service/port registry and the curated
 * table of known unofficial uses, with the lookups portcullis-port needs.
 *
 * The tables are generated at build time by gen_registry.py into
 * port_reg_data.c; they are static, read-only data, so every string a view
 * points to lives for the whole program (nothing to free). */
#ifndef PC_PORT_REG_H
#define PC_PORT_REG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum port_transport {
	PORT_T_NONE = 0, /* the registry row names no transport */
	PORT_T_TCP = 1,
	PORT_T_UDP = 2,
	PORT_T_SCTP = 3,
	PORT_T_DCCP = 4,
};

/* Generated rows; offsets index port_reg_strings. */
struct port_reg_rec {
	uint16_t lo, hi;
	uint8_t transport;  /* enum port_transport */
	uint8_t has_port;   /* 0 for service names registered without a port */
	uint32_t name, desc, ref;
};

struct port_use_rec {
	uint16_t lo, hi;
	uint8_t tmask;      /* PORT_TCP | PORT_UDP */
	uint32_t what, source;
};

extern const char port_reg_strings[];
extern const size_t port_reg_strings_len;
extern const struct port_reg_rec port_reg_recs[];
extern const size_t port_reg_nrecs;
extern const struct port_use_rec port_use_recs[];
extern const size_t port_use_nrecs;

/* A registry row with its strings resolved. */
struct port_reg_view {
	uint16_t lo, hi;
	bool has_port;
	enum port_transport transport;
	const char *name, *desc, *ref; /* never NULL; "" when absent */
};

struct port_use_view {
	uint16_t lo, hi;
	unsigned tmask;
	const char *what, *source;
};

enum port_reg_match {
	PORT_REG_PORTS, /* rows overlapping [lo, hi] */
	PORT_REG_NAME,  /* rows whose service name equals text, any case */
	PORT_REG_LIKE,  /* rows whose name or description contains text, any case */
};

/* An iterator over matching rows; set the fields, zero pos, then call
 * port_reg_next until it returns false. tmask (PORT_TCP/PORT_UDP) hides
 * rows of other transports; rows naming no transport always match, and
 * SCTP/DCCP rows show only when tmask holds both TCP and UDP (no filter). */
struct port_reg_iter {
	enum port_reg_match match;
	uint16_t lo, hi;
	const char *text;
	unsigned tmask;
	size_t pos;
};

bool port_reg_next(struct port_reg_iter *it, struct port_reg_view *out);
/* Known uses overlapping [lo, hi] (PORT_REG_PORTS) or mentioning text
 * (PORT_REG_LIKE); same iterator. */
bool port_use_next(struct port_reg_iter *it, struct port_use_view *out);

const char *port_transport_name(enum port_transport t);

/* Service names close to a word the registry does not hold, best first:
 * names whose description's initials spell it ("dns": domain, "Domain Name
 * Server"), names it begins or that begin with it, names one or two edits
 * away, then names whose description holds it as a word. Only names with
 * a port, of the transports in tmask. Returns how many (at most max). */
#define PORT_SUGGEST_WORD 64
struct port_suggestion {
	const char *name; /* static registry data */
	uint16_t port, port_high;
};
size_t port_reg_suggest(const char *word, unsigned tmask, struct port_suggestion *out,
			size_t max);

/* IANA's three ranges (RFC 6335 section 6). */
enum port_iana_range { PORT_SYSTEM, PORT_USER, PORT_DYNAMIC };
enum port_iana_range port_iana_range_of(uint16_t port);
const char *port_iana_range_title(enum port_iana_range r); /* "System (0-1023)" */

#endif
