/* nsec: authenticated denial of existence, pure and I/O-free. Given the
 * NSEC (RFC 4034 4, RFC 4035 5.4) or NSEC3 (RFC 5155 8) records of a
 * negative or wildcard answer, whose RRSIGs the caller has ALREADY verified,
 * and the zone that signed them, each nsec_prove_* function says whether the
 * records prove the claim:
 *
 *   NSEC_PROVEN    the denial holds; the answer is secure.
 *   NSEC_INSECURE  the records are fine but cannot make it secure: an NSEC3
 *                  opt-out span covers the name (RFC 5155 6, 9.2), NSEC3
 *                  iterations above DNSSEC_NSEC3_MAX_ITERATIONS (RFC 9276
 *                  3.2; EDE 27), or only NSEC3 records of an unknown hash
 *                  algorithm (RFC 5155 8.1). Treat the answer as insecure.
 *   NSEC_BOGUS     not proven: a record is missing, matches what it should
 *                  deny, comes from the wrong side of a zone cut, or the
 *                  hash budget ran out. The answer is bogus; verdict.ede
 *                  says which Extended DNS Error (RFC 8914) to give.
 *
 * Rules applied (the subtle ones):
 *  - names compare in canonical order (RFC 4034 6.1, wire_name_canon_cmp);
 *    the last NSEC of a zone wraps around to the apex (next <= owner);
 *  - an NSEC/NSEC3 whose owner is a delegation point (NS without SOA) is the
 *    parent's: it proves nothing at or below the cut except the absence of
 *    DS at the cut itself; one with DNAME proves nothing below its owner;
 *    for DS the matching record must be the parent's (no SOA, except at the
 *    root);
 *  - an empty non-terminal: an NSEC covering the name whose next name lies
 *    below it proves NODATA (the name exists, with no types);
 *  - NSEC3 owners are one label (the base32hex hash) directly under the zone;
 *    "covers" compares raw hashes (owner < hash < next, or the wrap-around);
 *    records with flags other than opt-out, or an unknown hash algorithm,
 *    are ignored (RFC 5155 8.2);
 *  - only records whose owner is at or below `zone` are considered; records
 *    of other types in the list are skipped, so the caller can pass a whole
 *    authority section after filtering it to verified NSEC/NSEC3 of one zone.
 *
 * Cost (CVE-2023-50868): every NSEC3 hash computation is taken from
 * *hash_budget, which the caller keeps per client request (start it at
 * NSEC_HASH_BUDGET) and passes to every proof of that request; a proof that
 * would need more returns NSEC_BOGUS with reason NSEC_WHY_BUDGET. At most
 * NSEC_MAX_RECORDS NSEC3 records and NSEC_MAX_PARAMS distinct NSEC3
 * parameter sets are looked at per proof. Hashes are remembered within one
 * call, so a name is hashed once per parameter set.
 *
 * Memory: nothing is allocated; inputs are only read. */
#ifndef PC_CORE_NSEC_H
#define PC_CORE_NSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dnssec.h"

/* A suitable start for the per-request NSEC3 hash budget: a closest
 * encloser proof for a name 20 labels below its zone, with next closer and
 * wildcard, is 22 hashes; a typical NXDOMAIN is 3 to 6, and a request that
 * crosses a few zones (CNAMEs, DS proofs for insecure delegations) stays
 * well below 64. At the highest iterations accepted (150) the whole budget
 * is 64 x 151 SHA-1 blocks, a few milliseconds of CPU. */
#define NSEC_HASH_BUDGET 64
/* NSEC3 records considered per proof (a proof needs at most three; a
 * reply carrying more is either padded or an attack). */
#define NSEC_MAX_RECORDS 16
/* Distinct (algorithm, iterations, salt) sets tried per proof. */
#define NSEC_MAX_PARAMS 2

/* One NSEC or NSEC3 record, as struct wire_rr holds it: owner uncompressed
 * (any case), rdata with names uncompressed, exactly rdlen bytes. */
struct nsec_rr {
	const uint8_t *owner;
	uint16_t type; /* WIRE_T_NSEC or WIRE_T_NSEC3; anything else is skipped */
	const uint8_t *rdata;
	uint16_t rdlen;
};

/* What every proof is given. */
struct nsec_in {
	const struct nsec_rr *rr; /* verified NSEC/NSEC3 records */
	size_t n;
	const uint8_t *zone;      /* the signer name of their RRSIGs */
	unsigned *hash_budget;    /* NSEC3 hashes left for this client request; decremented */
};

enum nsec_result {
	NSEC_PROVEN = 0,
	NSEC_INSECURE,
	NSEC_BOGUS,
};

/* Why a result is what it is (logs, tests, the EDE). */
enum nsec_why {
	NSEC_WHY_OK = 0,        /* proven */
	NSEC_WHY_OPTOUT,        /* insecure: opt-out span covers the next closer */
	NSEC_WHY_ITERATIONS,    /* insecure: NSEC3 iterations above the cap */
	NSEC_WHY_HASH_ALG,      /* insecure: no NSEC3 with a known hash algorithm */
	NSEC_WHY_MISSING,       /* bogus: no record covers / matches the name */
	NSEC_WHY_NO_WILDCARD_PROOF, /* bogus: the wildcard is not denied / not matched */
	NSEC_WHY_NO_ENCLOSER,   /* bogus: NSEC3 closest encloser proof fails */
	NSEC_WHY_EXISTS,        /* bogus: a record says the name (or the type) exists */
	NSEC_WHY_WRONG_SIDE,    /* bogus: a delegation/DNAME/apex record used across a cut */
	NSEC_WHY_BUDGET,        /* bogus: the NSEC3 hash budget ran out */
	NSEC_WHY_MALFORMED,     /* bogus: a record needed does not parse */
};

/* RFC 8914 codes the verdicts carry. */
#define NSEC_EDE_NONE 0xffff
#define NSEC_EDE_DNSSEC_BOGUS 6
#define NSEC_EDE_NSEC_MISSING 12
#define NSEC_EDE_UNSUPPORTED_NSEC3_ITERATIONS 27

/* How a NODATA was proven (nsec_prove_nodata). */
enum nsec_nodata_kind {
	NSEC_NODATA_NONE = 0,
	NSEC_NODATA_MATCH,    /* a record at qname without the type */
	NSEC_NODATA_ENT,      /* qname is an empty non-terminal */
	NSEC_NODATA_WILDCARD, /* qname does not exist; the wildcard at its closest encloser lacks the type */
	NSEC_NODATA_OPTOUT,   /* the next closer name lies in an opt-out span (insecure) */
};

struct nsec_verdict {
	enum nsec_result result;
	enum nsec_why why;
	uint16_t ede;                 /* NSEC_EDE_* for BOGUS and for ITERATIONS, else NSEC_EDE_NONE */
	enum nsec_nodata_kind nodata; /* nsec_prove_nodata only */
	bool nsec3;                   /* the verdict came from NSEC3 records */
	unsigned hashes;              /* NSEC3 hashes this call computed */
};

/* NXDOMAIN: qname does not exist in zone, and no wildcard could have
 * answered it. NSEC: one record covers qname and one covers "*." + the
 * closest encloser (the longest ancestor of qname shared with the covering
 * record's owner or next). NSEC3: closest encloser proof (an ancestor
 * matched, its child on the way to qname - the next closer - covered) and
 * the wildcard at the closest encloser covered; INSECURE when the record
 * covering the next closer has opt-out. */
void nsec_prove_nxdomain(const struct nsec_in *in, const uint8_t *qname,
			 struct nsec_verdict *out);

/* NODATA: qname exists but has no qtype (and no CNAME). Accepts, in order:
 *  - a record matching qname whose bit map lacks qtype and CNAME (for
 *    qtype DS: the parent's record, i.e. NS may be set but not SOA, unless
 *    qname is the root; for other types: not a delegation point's record);
 *  - NSEC: qname an empty non-terminal (a covering NSEC whose next is below
 *    qname);
 *  - a wildcard NODATA: qname denied as for NXDOMAIN except that the
 *    wildcard at the closest encloser matches and lacks qtype and CNAME
 *    (RFC 4035 3.1.3.4, RFC 5155 8.7);
 *  - NSEC3, qtype DS only: no match, but a closest encloser proof whose
 *    next closer is covered by an opt-out record: INSECURE (RFC 5155 8.6).
 * out->nodata says which. */
void nsec_prove_nodata(const struct nsec_in *in, const uint8_t *qname, uint16_t qtype,
		       struct nsec_verdict *out);

/* Wildcard NODATA only (the third case above). */
void nsec_prove_wildcard_nodata(const struct nsec_in *in, const uint8_t *qname, uint16_t qtype,
				struct nsec_verdict *out);

/* A positive answer synthesised from a wildcard: the RRSIG over it has
 * rrsig_labels labels (fewer than qname's), so the wildcard is "*." + the
 * last rrsig_labels labels of qname (its closest encloser). Proven when no
 * closer name exists: NSEC: a record covers qname and the closest encloser
 * it implies is exactly that (RFC 4035 5.3.4); NSEC3: a record covers the
 * next closer (RFC 5155 8.8). BOGUS when rrsig_labels is not below qname's
 * label count. */
void nsec_prove_wildcard_answer(const struct nsec_in *in, const uint8_t *qname,
				unsigned rrsig_labels, struct nsec_verdict *out);

/* A delegation without DS (the child is insecure), from a referral or a DS
 * NODATA: NSEC: the record at the cut has NS, lacks DS and SOA (and CNAME);
 * NSEC3: the matching record likewise, or (no match) a closest encloser proof
 * whose next closer is covered by an opt-out record. PROVEN and INSECURE
 * both mean "no DS": the child zone is unsigned (INSECURE: via opt-out, the
 * referral itself is not authenticated to be complete). BOGUS: DS may
 * exist, treat the delegation as bogus. */
void nsec_prove_no_ds(const struct nsec_in *in, const uint8_t *delegation,
		      struct nsec_verdict *out);

/* Names for logs. */
const char *nsec_result_text(enum nsec_result r);
const char *nsec_why_text(enum nsec_why w);

/* Building blocks, exported for the aggressive cache (cache/aggr.c) and the
 * tests. */

/* Does the NSEC (owner, rdata) cover name - owner < name < next in
 * canonical order, or name after the last owner when next wraps to the
 * apex? false when the rdata is malformed. Not true for name == owner. */
bool nsec_covers(const uint8_t *owner, const uint8_t *rdata, size_t rdlen, const uint8_t *name);

/* The type bit map of an NSEC rdata (after the next name), or NULL when
 * malformed; *len receives its length. */
const uint8_t *nsec_bitmap(const uint8_t *rdata, size_t rdlen, size_t *len);

#endif
