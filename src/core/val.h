/* val: the DNSSEC validator (RFC 4033-4035, 5155, 6840), part of the
 * I/O-free core. It judges the answer the iterator collected for a client
 * (its RRsets with their RRSIGs, a negative answer's SOA and NSEC/NSEC3
 * proofs) by building the chain of trust from the closest trust anchor
 * (core/anchor.h) down to the zone that signed each RRset: DS from the
 * parent, DNSKEY set authenticated by a DS (or the anchor) and self-signed
 * by that key, then the RRset's RRSIGs. Absence of DS is proven with the
 * parent's NSEC/NSEC3 (core/nsec.h), which makes a zone insecure; so do an
 * unsupported algorithm or digest (RFC 6840 5.2) and a negative trust
 * anchor.
 *
 * The validator never sends anything: when it needs a DS or DNSKEY set that
 * the cache lacks, val_answer returns VAL_FETCH with the name and type; the
 * iterator resolves that question (a frame of its own) into the cache and
 * calls val_answer again, which starts over and finds it there. What it
 * learns is stored in the cache with the data: each RRset's and negative
 * entry's security status (cache_set_sec), its TTL capped by the RRSIG's
 * original TTL and expiration, bogus data kept only val-bogus-ttl. A zone's
 * keys are therefore checked once per TTL, and a cache answer needs no
 * cryptography at all.
 *
 * Costs are bounded (KeyTrap, CVE-2023-50387; CVE-2023-50868): at most
 * VAL_MAX_TAG_KEYS keys tried per RRSIG (key tag collisions), VAL_MAX_SET_VERIFY
 * signature verifications per RRset, VAL_MAX_REQ_VERIFY per client request,
 * and the NSEC3 hash budget of nsec.h per client request. Past a cap the data
 * is bogus. */
#ifndef PC_CORE_VAL_H
#define PC_CORE_VAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/cache.h"
#include "core/core.h"
#include "core/dnssec.h"

#define VAL_MAX_TAG_KEYS 4     /* keys tried for one RRSIG (same tag and algorithm) */
#define VAL_MAX_SET_VERIFY 8   /* signature verifications for one RRset */
#define VAL_MAX_REQ_VERIFY 64  /* signature verifications (and DS digests) per client request */
#define VAL_MAX_FETCH 24       /* DS/DNSKEY questions per client request */
#define VAL_MAX_KEYS 64        /* DNSKEYs of a set looked at */
#define VAL_MAX_SIGS 16        /* RRSIGs of a set looked at */
#define VAL_SKEW 300           /* seconds of clock skew allowed at each end of a window */

/* RFC 8914 Extended DNS Error codes. */
enum {
	VAL_EDE_UNSUPPORTED_ALG = 1,
	VAL_EDE_UNSUPPORTED_DIGEST = 2,
	VAL_EDE_BOGUS = 6,
	VAL_EDE_SIG_EXPIRED = 7,
	VAL_EDE_SIG_NOT_YET = 8,
	VAL_EDE_DNSKEY_MISSING = 9,
	VAL_EDE_RRSIGS_MISSING = 10,
	VAL_EDE_NSEC_MISSING = 12,
};

/* Per client request: the question asked for the validator, and what the
 * caps have left. Zero it (val_req_init) when the request starts. */
struct val_req {
	unsigned verifies;    /* signature verifications and DS digests made */
	unsigned hash_budget; /* NSEC3 hashes left (nsec.h) */
	size_t n_fetched;
	struct {
		uint8_t name[WIRE_NAME_MAX];
		uint16_t type;
	} fetched[VAL_MAX_FETCH];
};

void val_req_init(struct val_req *vr);

enum val_step { VAL_DONE = 0, VAL_FETCH = 1 };

struct val_outcome {
	enum cache_sec sec; /* SECURE, INSECURE or a BOGUS_* status */
	uint16_t ede;       /* the Extended DNS Error for a bogus answer */
	const char *why;    /* a short reason (static text), for logs */
};

/* Judge answer a to (qname, qtype, qclass) of a client request. VAL_FETCH:
 * fetch_name and *fetch_type are a question whose answer must be in the cache
 * before the next call (the call records it: asked once, a second
 * request for it means it could not be had). VAL_DONE: *out holds the
 * verdict, and the answer's cache entries carry their status. now_ms is
 * the cache's clock; env->wall_clock gives the time for signature windows. */
enum val_step val_answer(const struct core_env *env, struct val_req *vr, const uint8_t *qname,
			 uint16_t qtype, uint16_t qclass, const struct core_answer *a,
			 uint64_t now_ms, uint8_t fetch_name[WIRE_NAME_MAX], uint16_t *fetch_type,
			 struct val_outcome *out);

/* The EDE code that goes with a bogus cache status (negative: is it a
 * negative answer, whose missing proof is "NSEC missing"). */
uint16_t val_sec_ede(enum cache_sec sec, bool negative);

/* ---- exported for the tests and the fuzz target ----------------------- */

/* One RRset and its RRSIGs, as the validator reads them. */
struct val_rrset {
	const uint8_t *owner;
	uint16_t type, rclass;
	size_t n;
	struct dnssec_rdata rd[256];
	size_t n_sig;
	struct dnssec_rdata sig[VAL_MAX_SIGS];
};

/* Verify set with the DNSKEY rdata keys[0..n_keys) of zone signer at wall
 * time now: DNSSEC_OK with *ttl_cap (the lowest of the valid RRSIG's
 * original TTL and the seconds to its expiration), or why not:
 * DNSSEC_EXPIRED / DNSSEC_NOT_YET_VALID (every usable RRSIG outside its
 * window), DNSSEC_MISMATCH (no RRSIG by these keys), DNSSEC_UNSUPPORTED
 * (only algorithms not implemented), DNSSEC_BAD_SIG (signatures that do
 * not verify, or a cap reached). *verifies counts the verifications made
 * and is checked against VAL_MAX_REQ_VERIFY. */
enum dnssec_status val_verify_set(const struct val_rrset *set, const uint8_t *signer,
				  const struct dnssec_rdata *keys, size_t n_keys, uint64_t now,
				  unsigned *verifies, uint32_t *ttl_cap);

#endif
