/* libFuzzer target: the DNSSEC primitives (core/dnssec.h) on arbitrary
 * DNSKEY, RRSIG, NSEC3 and DS rdata and an RRset.
 *
 * Input: byte 0 flags (bit 0: the set's type is the RRSIG's type covered,
 * else A; bits 1-7: the low bits of "now"), then chunks of a 2-byte
 * big-endian length and the bytes: the owner name, the DNSKEY rdata, the
 * RRSIG rdata, the NSEC3 rdata (also tried as a DS), then one chunk per
 * record of the set (at most 32). A missing chunk is empty; a name chunk
 * that is not a valid uncompressed name is replaced by "a.".
 *
 * Checks: no crash, overrun, UB or leak; parsed fields point inside their
 * rdata; a canonical rdata has the length of the rdata; the sorted set is
 * strictly increasing; a set that verifies verifies again (for a type
 * with no names in its rdata, with its records in reverse order); an NSEC3 hash is never computed past the cap and its
 * base32hex form decodes back to it. The seeds (fuzz/corpus/fuzz_dnssec/,
 * from fuzz/corpus/make_dnssec_seeds.py) are real signed sets of
 * algorithms 8, 13 and 15 and NSEC3 records. FUZZ_DNSSEC_TRACE=1 prints
 * each input's verification result. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dnssec.h"
#include "chunk.h"

#define MAX_SET 32

static void inside(const uint8_t *p, size_t n, const uint8_t *base, size_t len)
{
	if (n > 0 && (p < base || p + n > base + len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	const uint8_t *d = data + 1;
	size_t left = size - 1;
	struct chunk owner_c = take(&d, &left), key = take(&d, &left), sig = take(&d, &left),
		     n3 = take(&d, &left);

	/* The owner in a zeroed buffer: the functions read a caller's name up
	 * to its terminator, which the caller guarantees. */
	uint8_t owner[WIRE_NAME_MAX + 1] = { 0 };
	if (owner_c.n > 0 && owner_c.n <= WIRE_NAME_MAX)
		memcpy(owner, owner_c.p, owner_c.n);
	size_t span = 0;
	while (span < WIRE_NAME_MAX && owner[span] != 0 && owner[span] <= WIRE_LABEL_MAX)
		span += (size_t)owner[span] + 1;
	if (span >= WIRE_NAME_MAX || owner[span] != 0 || span + 1 != owner_c.n) {
		memset(owner, 0, sizeof(owner));
		memcpy(owner, "\001a", 3);
	}

	struct dnssec_dnskey k;
	struct dnssec_rrsig s;
	struct dnssec_nsec3 p3;
	struct dnssec_ds ds;
	bool have_key = dnssec_dnskey_parse(key.p, key.n, &k) == DNSSEC_OK;
	bool have_sig = dnssec_rrsig_parse(sig.p, sig.n, &s) == DNSSEC_OK;
	if (have_key)
		inside(k.key, k.key_len, key.p, key.n);
	if (have_sig) {
		inside(s.sig, s.sig_len, sig.p, sig.n);
		if (s.fields_len + s.sig_len != sig.n || wire_name_len(s.signer) > WIRE_NAME_MAX)
			abort();
		(void)dnssec_time_check(s.inception, s.expiration,
					(uint64_t)s.inception + (flags >> 1), flags & 0x3f);
	}
	(void)dnssec_key_tag(key.p, key.n);
	if (dnssec_ds_parse(n3.p, n3.n, &ds) == DNSSEC_OK)
		inside(ds.digest, ds.digest_len, n3.p, n3.n);
	(void)dnssec_ds_match(owner, key.p, key.n, n3.p, n3.n);

	if (dnssec_nsec3_parse(n3.p, n3.n, &p3) == DNSSEC_OK) {
		inside(p3.salt, p3.salt_len, n3.p, n3.n);
		inside(p3.next, p3.next_len, n3.p, n3.n);
		inside(p3.types, p3.types_len, n3.p, n3.n);
		uint8_t h[20];
		enum dnssec_status st = dnssec_nsec3_hash(owner, p3.hash_alg, p3.iterations, p3.salt,
							  p3.salt_len, 20, h);
		if (st == DNSSEC_OK) {
			if (p3.iterations > 20 || p3.hash_alg != 1)
				abort();
			char txt[40];
			uint8_t back[20];
			if (dnssec_b32hex_encode(h, 20, txt, sizeof(txt)) != 32 ||
			    dnssec_b32hex_decode((const uint8_t *)txt, 32, back, 20) != 20 ||
			    memcmp(back, h, 20) != 0)
				abort();
		}
		for (uint16_t t = 0; t < 64; t++)
			(void)dnssec_bitmap_has(p3.types, p3.types_len, t);
		uint8_t raw[64];
		(void)dnssec_b32hex_decode(p3.next, p3.next_len, raw, sizeof(raw));
	}

	/* The set. */
	uint16_t type = (flags & 1) && have_sig ? s.type_covered : WIRE_T_A;
	struct dnssec_rdata rd[MAX_SET], canon[MAX_SET];
	static uint8_t cbuf[MAX_SET][65536];
	size_t n = 0, nc = 0;
	while (left > 0 && n < MAX_SET) {
		struct chunk c = take(&d, &left);
		rd[n].data = c.p != NULL ? c.p : (const uint8_t *)"";
		rd[n].len = (uint16_t)c.n;
		int l = dnssec_canonical_rdata(type, rd[n].data, rd[n].len, cbuf[nc], sizeof(cbuf[0]));
		if (l >= 0) {
			if ((size_t)l != rd[n].len)
				abort();
			canon[nc].data = cbuf[nc];
			canon[nc].len = (uint16_t)l;
			nc++;
		}
		n++;
	}
	size_t m = dnssec_canonical_sort(canon, nc);
	for (size_t i = 1; i < m; i++) {
		size_t a = canon[i - 1].len, b = canon[i].len, c = a < b ? a : b;
		int r = c ? memcmp(canon[i - 1].data, canon[i].data, c) : 0;
		if (r > 0 || (r == 0 && a >= b))
			abort(); /* not strictly increasing */
	}
	if (n > 0) {
		const uint8_t *signer = have_sig ? s.signer : owner;
		enum dnssec_status v1 = dnssec_verify_rrset(owner, type, WIRE_C_IN, rd, n, sig.p,
							    sig.n, signer, key.p, key.n);
		/* A set that verifies verifies again, and in any order when its
		 * type holds no names (the canonical order is the bytes'). Only
		 * then: libcrypto's key set-up dominates the time of an input. */
		if (getenv("FUZZ_DNSSEC_TRACE") != NULL)
			fprintf(stderr, "type %u, %zu records: %s\n", type, n,
				dnssec_status_text(v1));
		if (v1 == DNSSEC_OK) {
			if (type == WIRE_T_A || type == WIRE_T_TXT || type == WIRE_T_AAAA) {
				for (size_t i = 0; i < n / 2; i++) {
					struct dnssec_rdata t = rd[i];
					rd[i] = rd[n - 1 - i];
					rd[n - 1 - i] = t;
				}
			}
			if (dnssec_verify_rrset(owner, type, WIRE_C_IN, rd, n, sig.p, sig.n, signer,
						key.p, key.n) != DNSSEC_OK)
				abort();
		}
	}
	return 0;
}
