/* libFuzzer target: the NSEC/NSEC3 denial proofs (core/nsec.h) on
 * arbitrary records, zone and question.
 *
 * Input: byte 0 picks the proof (bits 0-2: NXDOMAIN, NODATA, wildcard
 * NODATA, wildcard answer, no DS; bits 3-7: the wildcard answer's RRSIG
 * label count), byte 1 the query type (an index into a small table), then
 * chunks of a 2-byte big-endian length and the bytes: the zone name, the
 * query name, then per record an owner chunk (first byte: odd NSEC3, even
 * NSEC; the rest the owner name) and an rdata chunk, at most 48 records. A
 * name chunk that is not a valid uncompressed name makes the zone the root,
 * the query name "a." + zone, and drops a record.
 *
 * Checks: no crash, overrun, UB or leak; the verdict is one of the three
 * results with a reason that fits it (OK only when proven, BUDGET and
 * MISSING-class reasons only when bogus) and the EDE that goes with it;
 * the hashes computed are what the budget lost and never more than it
 * held; the NODATA kind is set only by a NODATA proof that did not fail;
 * the same proof with the same input gives the same verdict (no hidden
 * state); canonical order is antisymmetric on the names seen. Then the
 * NSEC records (with a made-up SOA) go into an RFC 8198 index
 * (cache/aggr.h) and the question is looked up there: whatever the index
 * answers must be proven by the same proofs over the records it returns
 * (the index and the validator must agree). The seeds
 * (fuzz/corpus/fuzz_nsec/, from fuzz/corpus/make_nsec_seeds.py) are real
 * proofs from zones signed by ldns-signzone. FUZZ_NSEC_TRACE=1 prints each
 * input's verdict. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/aggr.h"
#include "core/nsec.h"
#include "wire/wire.h"
#include "chunk.h"

#define MAX_RR 48
#define BUDGET 12 /* keeps each input cheap; iterations go to 150 */

/* A valid uncompressed name filling exactly the chunk into out. */
static bool name_of(const uint8_t *p, size_t n, uint8_t out[WIRE_NAME_MAX])
{
	size_t i = 0;
	while (i < n) {
		uint8_t l = p[i];
		if (l > 63 || i + 1 + l > WIRE_NAME_MAX - 0)
			return false;
		if (l == 0) {
			if (i + 1 != n)
				return false;
			memcpy(out, p, n);
			return true;
		}
		i += 1 + (size_t)l;
	}
	return false;
}

static int sign(int c)
{
	return (c > 0) - (c < 0);
}

static void run(unsigned kind, const struct nsec_in *in, const uint8_t *qname, uint16_t qtype,
		unsigned labels, struct nsec_verdict *v)
{
	switch (kind) {
	case 0: nsec_prove_nxdomain(in, qname, v); break;
	case 1: nsec_prove_nodata(in, qname, qtype, v); break;
	case 2: nsec_prove_wildcard_nodata(in, qname, qtype, v); break;
	case 3: nsec_prove_wildcard_answer(in, qname, labels, v); break;
	default: nsec_prove_no_ds(in, qname, v); break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t qtypes[] = { WIRE_T_A, WIRE_T_DS, WIRE_T_NS, WIRE_T_SOA,
					   WIRE_T_CNAME, WIRE_T_TXT, WIRE_T_AAAA, WIRE_T_MX };
	if (size < 2)
		return 0;
	unsigned kind = data[0] & 7, labels = data[0] >> 3;
	uint16_t qtype = qtypes[data[1] % (sizeof qtypes / sizeof qtypes[0])];
	const uint8_t *d = data + 2;
	size_t left = size - 2;

	static uint8_t zone[WIRE_NAME_MAX], qname[WIRE_NAME_MAX], owners[MAX_RR][WIRE_NAME_MAX];
	struct nsec_rr rr[MAX_RR];
	size_t n = 0;
	struct chunk c = take(&d, &left);
	if (!name_of(c.p, c.n, zone))
		zone[0] = 0;
	c = take(&d, &left);
	if (!name_of(c.p, c.n, qname)) {
		size_t zl = wire_name_len(zone);
		qname[0] = 1;
		qname[1] = 'a';
		if (zl + 2 > WIRE_NAME_MAX)
			zl = 1, zone[0] = 0;
		memcpy(qname + 2, zone, zl);
	}
	while (left > 0 && n < MAX_RR) {
		struct chunk o = take(&d, &left), r = take(&d, &left);
		if (o.n < 1 || !name_of(o.p + 1, o.n - 1, owners[n]))
			continue;
		uint16_t rl = r.n > 0xffff ? 0xffff : (uint16_t)r.n;
		/* each rdata in a buffer of its own size, so ASan sees any overrun */
		uint8_t *copy = malloc(rl ? rl : 1);
		if (copy == NULL)
			break;
		if (rl)
			memcpy(copy, r.p, rl);
		rr[n] = (struct nsec_rr){ owners[n], (o.p[0] & 1) ? WIRE_T_NSEC3 : WIRE_T_NSEC, copy, rl };
		n++;
	}

	unsigned budget = BUDGET;
	struct nsec_in in = { rr, n, zone, &budget };
	struct nsec_verdict v, w;
	run(kind, &in, qname, qtype, labels, &v);
	if (getenv("FUZZ_NSEC_TRACE"))
		fprintf(stderr, "proof %u, %zu records: %s (%s), %u hashes\n", kind, n,
			nsec_result_text(v.result), nsec_why_text(v.why), v.hashes);

	if (v.result != NSEC_PROVEN && v.result != NSEC_INSECURE && v.result != NSEC_BOGUS)
		abort();
	if ((v.why == NSEC_WHY_OK) != (v.result == NSEC_PROVEN))
		abort();
	if (v.result == NSEC_INSECURE && v.why != NSEC_WHY_OPTOUT && v.why != NSEC_WHY_ITERATIONS &&
	    v.why != NSEC_WHY_HASH_ALG)
		abort();
	if (v.result == NSEC_BOGUS && v.ede == NSEC_EDE_NONE)
		abort();
	if (v.result == NSEC_PROVEN && v.ede != NSEC_EDE_NONE)
		abort();
	if (v.hashes != BUDGET - budget || v.hashes > BUDGET)
		abort();
	if (v.why == NSEC_WHY_BUDGET && budget != 0)
		abort();
	if (v.nodata != NSEC_NODATA_NONE && (kind == 0 || kind == 3 || v.result == NSEC_BOGUS))
		abort();
	if (v.nsec3 == false && v.hashes != 0)
		abort();

	/* the same input again, same budget: the same verdict */
	budget = BUDGET;
	run(kind, &in, qname, qtype, labels, &w);
	if (w.result != v.result || w.why != v.why || w.hashes != v.hashes || w.nodata != v.nodata)
		abort();

	/* canonical order: antisymmetric, equal to itself */
	if (wire_name_canon_cmp(zone, zone) != 0 || wire_name_canon_cmp(qname, qname) != 0 ||
	    sign(wire_name_canon_cmp(zone, qname)) != -sign(wire_name_canon_cmp(qname, zone)))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (sign(wire_name_canon_cmp(owners[i], qname)) !=
		    -sign(wire_name_canon_cmp(qname, owners[i])))
			abort();
		/* a name never covers itself */
		if (rr[i].type == WIRE_T_NSEC &&
		    nsec_covers(owners[i], rr[i].rdata, rr[i].rdlen, owners[i]))
			abort();
		size_t bl;
		(void)nsec_bitmap(rr[i].rdata, rr[i].rdlen, &bl);
		(void)nsec_covers(owners[i], rr[i].rdata, rr[i].rdlen, qname);
	}
	/* the aggressive index over the NSEC records: any hit must prove */
	struct aggr *ag = aggr_new(1 << 16);
	if (ag != NULL) {
		static const uint8_t soa[] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0,
					       0, 4, 0, 0, 0, 5 };
		aggr_put_soa(ag, zone, soa, sizeof soa, NULL, 0, 300, 1000);
		for (size_t i = 0; i < n; i++)
			if (rr[i].type == WIRE_T_NSEC)
				aggr_put(ag, zone, owners[i], rr[i].rdata, rr[i].rdlen, NULL, 0,
					 1 + (unsigned)(i % 3) * 100, 1000);
		struct aggr_answer ans;
		/* at 150 s the records put with TTL 1 and 101 have expired */
		for (uint64_t now = 1000; now <= 151000; now += 150000) {
			enum aggr_kind k = aggr_lookup(ag, qname, qtype, now, &ans);
			if (k == AGGR_MISS)
				continue;
			struct nsec_rr pr[2];
			for (size_t i = 0; i < ans.n; i++)
				pr[i] = (struct nsec_rr){ ans.nsec[i].owner, WIRE_T_NSEC,
							  ans.nsec[i].rdata, ans.nsec[i].rdlen };
			budget = 0;
			struct nsec_in ain = { pr, ans.n, ans.zone, &budget };
			if (k == AGGR_NXDOMAIN)
				nsec_prove_nxdomain(&ain, qname, &w);
			else
				nsec_prove_nodata(&ain, qname, qtype, &w);
			if (getenv("FUZZ_NSEC_TRACE"))
				fprintf(stderr, "index: %s, %zu records: %s (%s)\n",
					k == AGGR_NXDOMAIN ? "NXDOMAIN" : "NODATA", ans.n,
					nsec_result_text(w.result), nsec_why_text(w.why));
			if (w.result != NSEC_PROVEN || ans.n == 0 || ans.n > 2)
				abort();
		}
		aggr_free(ag);
	}
	for (size_t i = 0; i < n; i++)
		free((void *)rr[i].rdata);
	return 0;
}
