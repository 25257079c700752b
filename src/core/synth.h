/* synth: the core's side of aggressive negative caching (RFC 8198): what
 * the validator calls to feed the NSEC index (cache/aggr.h) with a negative
 * answer it has found secure, and, on a cache miss, to answer from it.
 *
 * The validator's two call sites:
 *   - after a NXDOMAIN/NODATA (or a wildcard answer's denial) is proven
 *     secure with NSEC records by core/nsec.h:
 *         synth_learn(env->aggr, signer, a->ns, a->n_ns, now_ms);
 *   - before sending the first upstream query for a client question whose
 *     answer would be validated (DO or not: the index holds only secure
 *     data):
 *         if (synth_answer(env->aggr, qname, qtype, now_ms, a, buf, sizeof buf))
 *             ... the answer is a secure NXDOMAIN/NODATA, done ...
 * Both do nothing when env->aggr is NULL (aggressive-nsec: no).
 *
 * Class IN only (the caller asks for IN questions). Single-threaded, like
 * cache/aggr.h: only the thread that runs requests. */
#ifndef PC_CORE_SYNTH_H
#define PC_CORE_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

struct aggr;

/* Keep the secure NSEC records of zone among rr (with the RRSIGs over them,
 * of the same owner) and the zone's SOA (with its RRSIGs) in the index.
 * TTLs: each record's, capped by the SOA's TTL and minimum (RFC 9077 for
 * NSEC; RFC 2308). Records of other types and zones are skipped. Returns
 * the number of NSEC records kept. */
size_t synth_learn(struct aggr *a, const uint8_t *zone, const struct core_rr *rr, size_t n,
		   uint64_t now_ms);

/* Is qname/qtype's absence proven by the index? Then out becomes the
 * answer: rcode NXDOMAIN or NOERROR, no answer records, the authority
 * section the zone's SOA, the NSEC records and their RRSIGs (the response
 * writer leaves DNSSEC records out for clients without DO), every TTL the
 * smallest remaining one. The records are copied into buf (cap bytes), which
 * the caller keeps as long as out. Each candidate is checked with
 * core/nsec.h before it is used. false leaves out untouched. */
bool synth_answer(struct aggr *a, const uint8_t *qname, uint16_t qtype, uint64_t now_ms,
		  struct core_answer *out, uint8_t *buf, size_t cap);

/* Bytes of buf an answer can take at most: SOA, two NSEC and their
 * RRSIGs, owners included. */
#define SYNTH_BUF (3 * (1 + 4) * (WIRE_NAME_MAX + 1024))

#endif
