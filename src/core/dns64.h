/* dns64: AAAA records made from A records for IPv6-only clients behind a
 * NAT64 (RFC 6147), with the address format of RFC 6052.
 *
 * The pure half of the feature: how an IPv4 address goes into the prefix,
 * when an AAAA answer calls for synthesis, and how an A answer becomes the
 * AAAA answer. Who asks the A question is the caller's business: the
 * request (core/iter.c) on a miss, core_answer_from_cache on a hit.
 *
 * What is synthesised (RFC 6147 5.1): for an AAAA question answered NOERROR
 * with no AAAA record at the end of its CNAME chain (or with records only
 * for names listed in dns64-ignore-aaaa, or always with dns64-synthall),
 * the A question for the same name is asked; each A record of its answer
 * becomes an AAAA record (the prefix and the IPv4 address), the CNAME and
 * DNAME records are kept, and each new record's TTL is capped by the AAAA
 * answer's SOA minimum (600 s when it had no SOA, 5.1.7). An A answer that is NXDOMAIN or
 * has no A record leaves the AAAA answer as it was; a SERVFAIL stays a
 * SERVFAIL. NXDOMAIN and SERVFAIL for the AAAA question are never
 * synthesised over (5.1.2, 5.1.3). A synthesised answer is not secure
 * (no AD: its records carry no signature), and a client that set both CD
 * and DO gets no synthesis at all (5.5): it validates, and would reject
 * records nobody signed. */
#ifndef PC_CORE_DNS64_H
#define PC_CORE_DNS64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "wire/wire.h"

#define DNS64_MAX_IGNORE 64

struct dns64_opts {
	uint8_t prefix[16];
	unsigned plen;       /* 32, 40, 48, 56, 64 or 96 (RFC 6052 2.2) */
	bool synthall;       /* dns64-synthall: synthesise even over real AAAA records */
	size_t n_ignore;     /* dns64-ignore-aaaa: names whose AAAA records count as absent */
	uint8_t ignore[DNS64_MAX_IGNORE][WIRE_NAME_MAX];
};

/* Parse "ADDRESS/LEN" (LEN one of RFC 6052's lengths; no "/LEN" means 96).
 * 0, or -1 with a reason in err. */
int dns64_parse_prefix(const char *text, uint8_t prefix[16], unsigned *plen, char *err,
		       size_t errlen);

/* RFC 6052 2.2: the IPv6 address of v4 under the prefix. Bits 64 to 71
 * (the "u" octet) are zero for every length below 96; the suffix is zero. */
void dns64_embed(const uint8_t prefix[16], unsigned plen, const uint8_t v4[4], uint8_t out[16]);

/* Does this answer to qname's AAAA question call for the A question? */
bool dns64_wants_a(const struct dns64_opts *o, const uint8_t *qname, const struct core_answer *a);

/* The cap on the TTLs of records synthesised after this AAAA answer. */
uint32_t dns64_ttl_cap(const struct core_answer *aaaa);

/* Does this answer to the A question give anything to synthesise from? */
bool dns64_has_a(const struct core_answer *a);

/* Turn a (an answer to the A question) into the AAAA answer, in place:
 * each A record becomes an AAAA record whose RDATA is written to
 * store[i] (one 16-byte slot per answer record), the RRSIGs over A records
 * go, the authority section goes, the new records' TTLs are capped by cap,
 * and the answer is not secure. */
void dns64_synth(const struct dns64_opts *o, struct core_answer *a, uint32_t cap,
		 uint8_t (*store)[16]);

#endif
