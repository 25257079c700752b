/* libFuzzer target: the validator (core/val.h) judging an answer against a
 * trust anchor and a cache holding the zone's DNSKEY set, all from the
 * input: DNSKEY/RRSIG/DS/NSEC/NSEC3 records and a reply as a validation in
 * progress sees it.
 *
 * Input: byte 0 flags (bit 0: the answer is NXDOMAIN; bit 1: the DNSKEY
 * set goes into the cache already judged secure; bit 2: harden-dnssec-
 * stripped off; bits 3-5: the question's owner, as below), 4 bytes of wall-clock time (big-endian seconds), 2 bytes
 * of question type, then chunks of a 2-byte big-endian length and the
 * bytes: the zone name (replaced by "zone." when not a valid name), the
 * anchor's DS rdata, then records, each chunk [section][owner][type:2]
 * [rdata]: section 0 goes into the cache beside the zone's DNSKEY set (a
 * DNSKEY, or an RRSIG over it), 1 is the answer section, 2 the authority
 * section; owner 0 is the zone, 1 www, 2 x.w, 3 *.w, 4 nx, 5 the zone's
 * parent, and 0x80 and up a name written at the
 * start of the rdata chunk (an NSEC3 owner).
 *
 * Checks: no crash, overrun, UB or leak; val_answer ends (a DS/DNSKEY
 * asked for is never given, so each is asked at most once and the request's
 * question budget ends it); the signature verifications of the request stay
 * within VAL_MAX_REQ_VERIFY and the NSEC3 hashes within the budget; the
 * verdict is secure, insecure or a bogus status with its EDE. Seeds
 * (fuzz/corpus/fuzz_val/) from fuzz/corpus/make_val_seeds.py: real signed
 * answers (secure, NXDOMAIN with NSEC and NSEC3, wildcard) of a zone made
 * with ldns. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "core/anchor.h"
#include "core/core.h"
#include "core/dnssec.h"
#include "core/nsec.h"
#include "core/val.h"
#include "wire/wire.h"
#include "chunk.h"

#define MAX_RECS 96

/* Is p (n bytes) exactly one uncompressed name? */
static bool valid_name(const uint8_t *p, size_t n)
{
	size_t at = 0;
	if (n == 0 || n > WIRE_NAME_MAX)
		return false;
	while (at < n && p[at] != 0) {
		if (p[at] > 63)
			return false;
		at += p[at] + 1u;
	}
	return at == n - 1;
}

static uint64_t wall_now;
static uint64_t wall(void)
{
	return wall_now;
}

static uint8_t owners[6][WIRE_NAME_MAX];

static bool prefix(uint8_t *out, const char *labels, const uint8_t *zone)
{
	size_t pl = strlen(labels), zl = wire_name_len(zone);
	if (pl + zl > WIRE_NAME_MAX)
		return false;
	memcpy(out, labels, pl);
	memcpy(out + pl, zone, zl);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 7)
		return 0;
	uint8_t flags = data[0];
	wall_now = (uint64_t)data[1] << 24 | (uint64_t)data[2] << 16 | (uint64_t)data[3] << 8 | data[4];
	uint16_t qtype = (uint16_t)(data[5] << 8 | data[6]);
	const uint8_t *d = data + 7;
	size_t left = size - 7;

	uint8_t zone[WIRE_NAME_MAX];
	struct chunk zc = take(&d, &left);
	if (!valid_name(zc.p, zc.n))
		memcpy(zone, "\4zone", 6);
	else
		memcpy(zone, zc.p, zc.n);
	wire_name_lower(zone);
	wire_name_copy(owners[0], zone);
	if (!prefix(owners[1], "\3www", zone) || !prefix(owners[2], "\1x\1w", zone) ||
	    !prefix(owners[3], "\1*\1w", zone) || !prefix(owners[4], "\2nx", zone))
		return 0;
	wire_name_copy(owners[5], zone[0] ? wire_name_strip(zone, 1) : zone);

	/* the anchor: a DS at the zone, as trust-anchor text */
	struct chunk ds = take(&d, &left);
	struct dnssec_ds dp;
	char text[2048], name[1024];
	if (wire_name_to_text(zone, name, sizeof(name)) < 0)
		return 0;
	int tl;
	if (dnssec_ds_parse(ds.p, ds.n, &dp) == DNSSEC_OK && dp.digest_len > 0 &&
	    dp.digest_len <= 64) {
		tl = snprintf(text, sizeof(text), "%s 3600 IN DS %u %u %u ", name, dp.key_tag,
			      dp.algorithm, dp.digest_type);
		for (size_t i = 0; i < dp.digest_len; i++)
			tl += snprintf(text + tl, sizeof(text) - (size_t)tl, "%02X", dp.digest[i]);
	} else {
		tl = snprintf(text, sizeof(text), "%s 3600 IN DS 1 13 2 %064x", name, 0);
	}
	struct anchor_set *as = anchor_set_new();
	if (as == NULL)
		return 0;
	char err[256];
	if (anchor_add_text(as, text, (size_t)tl, "fuzz", err, sizeof(err)) != 0) {
		anchor_set_free(as);
		return 0;
	}

	struct cache_opts co = { .cache_size = 1u << 22, .cache_max_ttl = 86400,
				 .cache_max_negative_ttl = 3600 };
	struct cache *c = cache_new(&co);
	if (c == NULL) {
		anchor_set_free(as);
		return 0;
	}
	static struct core_answer a;
	memset(&a, 0, sizeof(a));
	a.rcode = (flags & 1) ? WIRE_RC_NXDOMAIN : WIRE_RC_NOERROR;
	a.ede = CORE_EDE_NONE;
	struct cache_rdata keys[MAX_RECS];
	struct cache_rr sigs[CACHE_EXTRA_MAX];
	size_t n_keys = 0, n_sigs = 0;
	while (left >= 2) {
		struct chunk r = take(&d, &left);
		if (r.n < 4)
			continue;
		uint8_t sec = r.p[0], own = r.p[1];
		uint16_t type = (uint16_t)(r.p[2] << 8 | r.p[3]);
		const uint8_t *rd = r.p + 4;
		uint16_t rdlen = (uint16_t)(r.n - 4);
		const uint8_t *owner = owners[own % 6];
		if (own >= 0x80) {
			/* the owner is in the chunk, before the rdata */
			size_t ol = 0;
			while (ol < rdlen && rd[ol] != 0 && rd[ol] < 64 && ol + rd[ol] + 1 < rdlen)
				ol += rd[ol] + 1u;
			if (ol >= rdlen || rd[ol] != 0 || ol + 1 > WIRE_NAME_MAX)
				continue; /* not a valid name: the core never holds one */
			owner = rd;
			rd += ol + 1;
			rdlen = (uint16_t)(rdlen - ol - 1);
		}
		if (sec == 0) {
			if (type == WIRE_T_DNSKEY && n_keys < MAX_RECS) {
				keys[n_keys].data = rd;
				keys[n_keys++].len = rdlen;
			} else if (type == WIRE_T_RRSIG && n_sigs < CACHE_EXTRA_MAX) {
				sigs[n_sigs].owner = zone;
				sigs[n_sigs].type = WIRE_T_RRSIG;
				sigs[n_sigs].rdata = rd;
				sigs[n_sigs++].rdlen = rdlen;
			}
			continue;
		}
		bool auth = sec == 2;
		size_t *n = auth ? &a.n_ns : &a.n_an;
		size_t cap = auth ? CORE_MAX_AUTHORITY : CORE_MAX_ANSWER;
		if (*n == cap)
			continue;
		struct core_rr *rr = auth ? &a.ns[*n] : &a.an[*n];
		rr->owner = owner;
		rr->type = type;
		rr->rclass = WIRE_C_IN;
		rr->ttl = 300;
		rr->rdata = rd;
		rr->rdlen = rdlen;
		(*n)++;
	}
	if (n_keys > 0 &&
	    cache_put_rrset_ex(c, zone, WIRE_T_DNSKEY, WIRE_C_IN, 300, keys, n_keys, sigs, n_sigs,
			       CACHE_RANK_AUTH, 1000) == 0 &&
	    (flags & 2))
		cache_set_sec(c, zone, WIRE_T_DNSKEY, WIRE_C_IN, CACHE_SEC_SECURE, 300, 1000);

	struct core_opts opts = {
		.cache_max_ttl = 86400, .validate = true, .harden_dnssec_stripped = !(flags & 4),
		.val_bogus_ttl = 60, .anchors = as,
	};
	struct core_env env = { .cache = c, .opts = &opts, .wall_clock = wall };
	struct val_req vr;
	val_req_init(&vr);
	uint8_t fname[WIRE_NAME_MAX];
	uint16_t ftype;
	struct val_outcome out;
	int rounds = 0;
	while (val_answer(&env, &vr, owners[(flags >> 3) % 6], qtype, WIRE_C_IN, &a, 1000, fname, &ftype, &out) ==
	       VAL_FETCH) {
		if (++rounds > VAL_MAX_FETCH + 1) {
			fprintf(stderr, "validation does not end\n");
			abort();
		}
	}
	if (vr.verifies > VAL_MAX_REQ_VERIFY || vr.hash_budget > NSEC_HASH_BUDGET) {
		fprintf(stderr, "caps passed: %u verifications, budget %u\n", vr.verifies,
			vr.hash_budget);
		abort();
	}
	if (out.sec != CACHE_SEC_SECURE && out.sec != CACHE_SEC_INSECURE &&
	    !cache_sec_bogus(out.sec)) {
		fprintf(stderr, "verdict %d\n", out.sec);
		abort();
	}
	if (cache_sec_bogus(out.sec) && (out.ede < 6 || out.ede > 12)) {
		fprintf(stderr, "bogus without its EDE (%u)\n", out.ede);
		abort();
	}
	if (getenv("FUZZ_VAL_TRACE") != NULL)
		fprintf(stderr, "verdict %d ede %u (%s), %u verifications\n", out.sec, out.ede,
			out.why, vr.verifies);
	cache_free(c);
	anchor_set_free(as);
	return 0;
}
