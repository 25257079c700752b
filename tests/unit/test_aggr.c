/* cache/aggr.c (RFC 8198) over the NSEC records and SOA of a zone signed at
 * test time by ldns-signzone: every answer the index gives is checked with
 * the validator's proofs (core/nsec.h), and every question whose answer
 * exists in the zone, or lies below a cut, or needs a record the index does
 * not hold, must miss. Then TTL expiry, the byte budget, replacement and
 * flushing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "shell.h"

#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/aggr.h"
#include "util/err.h"
#include "core/core.h"
#include "core/nsec.h"
#include "core/synth.h"
#include "wire/wire.h"

static char dir[] = "/tmp/pc-test-aggr-XXXXXX";

static const char *ZONE_TEXT = "$ORIGIN nz.example.\n"
			       "$TTL 300\n"
			       "@ IN SOA ns hostmaster 1 1800 900 604800 300\n"
			       "@ IN NS ns\n"
			       "ns IN A 192.0.2.1\n"
			       "www IN A 192.0.2.10\n"
			       "x.y.ent IN A 192.0.2.20\n"
			       "*.wild IN TXT \"w\"\n"
			       "sub IN NS ns.other.example.\n"
			       "cname IN CNAME www\n"
			       "dn IN DNAME other.example.\n"
			       "zz IN A 192.0.2.30\n";

struct rec {
	uint8_t owner[WIRE_NAME_MAX];
	uint16_t type, covered;
	uint8_t rdata[1024];
	uint16_t rdlen;
};
static struct rec recs[128];
static size_t nrecs;

static const uint8_t *N(const char *text)
{
	static uint8_t pool[16][WIRE_NAME_MAX];
	static unsigned next;
	uint8_t *o = pool[next++ % 16];
	if (wire_name_from_text(text, o) < 0)
		fail_msg("bad name %s", text);
	return o;
}

static int setup(void **state)
{
	(void)state;
	char ksk[256], zsk[256];
	if (mkdtemp(dir) == NULL)
		return -1;
	char path[512];
	snprintf(path, sizeof path, "%s/zone.txt", dir);
	FILE *f = fopen(path, "w");
	fputs(ZONE_TEXT, f);
	fclose(f);
	test_keypair(dir, "-a ECDSAP256SHA256", "nz.example.", ksk, zsk, sizeof ksk);
	time_t now = time(NULL);
	test_sh("cd %s && ldns-signzone -o nz.example. -i %lld -e %lld -f signed.txt zone.txt %s %s", dir,
		(long long)now - 3600, (long long)now + 86400, ksk, zsk);
	snprintf(path, sizeof path, "%s/signed.txt", dir);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	ldns_zone *z = NULL;
	if (ldns_zone_new_frm_fp(&z, f, NULL, 300, LDNS_RR_CLASS_IN) != LDNS_STATUS_OK)
		return -1;
	fclose(f);
	ldns_rr_list *all = ldns_rr_list_clone(ldns_zone_rrs(z));
	ldns_rr_list_push_rr(all, ldns_rr_clone(ldns_zone_soa(z)));
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		uint16_t t = (uint16_t)ldns_rr_get_type(rr);
		if (t != WIRE_T_NSEC && t != WIRE_T_SOA && t != WIRE_T_RRSIG)
			continue;
		struct rec *r = &recs[nrecs++];
		ldns_rdf *o = ldns_rr_owner(rr);
		memcpy(r->owner, ldns_rdf_data(o), ldns_rdf_size(o));
		r->type = t;
		ldns_buffer *b = ldns_buffer_new(2048);
		ldns_rr_rdata2buffer_wire(b, rr);
		r->rdlen = (uint16_t)ldns_buffer_position(b);
		memcpy(r->rdata, ldns_buffer_begin(b), r->rdlen);
		ldns_buffer_free(b);
		r->covered = t == WIRE_T_RRSIG ? (uint16_t)(r->rdata[0] << 8 | r->rdata[1]) : 0;
	}
	ldns_rr_list_deep_free(all);
	ldns_zone_deep_free(z);
	return nrecs > 10 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The RRSIGs over (owner, type). */
static size_t sigs_of(const uint8_t *owner, uint16_t type, struct cache_rdata *out)
{
	size_t n = 0;
	for (size_t i = 0; i < nrecs && n < AGGR_MAX_SIGS; i++)
		if (recs[i].type == WIRE_T_RRSIG && recs[i].covered == type &&
		    wire_name_eq(recs[i].owner, owner))
			out[n++] = (struct cache_rdata){ recs[i].rdata, recs[i].rdlen };
	return n;
}

/* Put the SOA and the zone's NSEC records, except those owned by skip. */
static struct aggr *filled(const char *skip, uint32_t ttl, uint64_t now)
{
	struct aggr *a = aggr_new(1 << 20);
	assert_non_null(a);
	struct cache_rdata s[AGGR_MAX_SIGS];
	for (size_t i = 0; i < nrecs; i++) {
		const struct rec *r = &recs[i];
		size_t ns = sigs_of(r->owner, r->type, s);
		if (r->type == WIRE_T_SOA) {
			assert_int_equal(aggr_put_soa(a, N("nz.example."), r->rdata, r->rdlen, s, ns, ttl, now), 0);
		} else if (r->type == WIRE_T_NSEC) {
			if (skip && wire_name_eq(r->owner, N(skip)))
				continue;
			assert_true(ns > 0);
			assert_int_equal(aggr_put(a, N("nz.example."), r->owner, r->rdata, r->rdlen, s, ns, ttl,
						  now),
					 0);
		}
	}
	return a;
}

/* Look up and, on a hit, prove it with core/nsec.h. */
static enum aggr_kind ask(struct aggr *a, const char *qname, uint16_t qtype, uint64_t now,
			  struct aggr_answer *ans)
{
	enum aggr_kind k = aggr_lookup(a, N(qname), qtype, now, ans);
	assert_int_equal(k, ans->kind);
	if (k == AGGR_MISS)
		return k;
	assert_true(wire_name_eq(ans->zone, N("nz.example.")));
	assert_int_equal(ans->soa.type, WIRE_T_SOA);
	assert_true(ans->soa.nsigs > 0);
	struct nsec_rr rr[2];
	for (size_t i = 0; i < ans->n; i++) {
		assert_true(ans->nsec[i].nsigs > 0);
		rr[i] = (struct nsec_rr){ ans->nsec[i].owner, WIRE_T_NSEC, ans->nsec[i].rdata,
					  ans->nsec[i].rdlen };
	}
	unsigned budget = NSEC_HASH_BUDGET;
	struct nsec_in in = { rr, ans->n, ans->zone, &budget };
	struct nsec_verdict v;
	if (k == AGGR_NXDOMAIN)
		nsec_prove_nxdomain(&in, N(qname), &v);
	else
		nsec_prove_nodata(&in, N(qname), qtype, &v);
	if (v.result != NSEC_PROVEN)
		fail_msg("%s: the index's answer is no proof: %s", qname, nsec_why_text(v.why));
	return k;
}

static void answers(void **state)
{
	(void)state;
	uint64_t now = 1000000;
	struct aggr *a = filled(NULL, 300, now);
	struct aggr_answer ans;
	assert_int_equal(ask(a, "nope.nz.example.", WIRE_T_A, now, &ans), AGGR_NXDOMAIN);
	assert_true(ans.ttl <= 300 && ans.ttl >= 299);
	assert_int_equal(ask(a, "a.b.nope.nz.example.", WIRE_T_AAAA, now, &ans), AGGR_NXDOMAIN);
	/* after the last name: the wrap-around to the apex */
	assert_int_equal(ask(a, "zzz.nz.example.", WIRE_T_A, now, &ans), AGGR_NXDOMAIN);
	/* NODATA: a name without the type, the apex, an ENT */
	assert_int_equal(ask(a, "www.nz.example.", WIRE_T_MX, now, &ans), AGGR_NODATA);
	assert_int_equal(ans.n, 1);
	assert_int_equal(ask(a, "nz.example.", WIRE_T_TXT, now, &ans), AGGR_NODATA);
	assert_int_equal(ask(a, "ent.nz.example.", WIRE_T_A, now, &ans), AGGR_NODATA);
	assert_int_equal(ask(a, "y.ent.nz.example.", WIRE_T_A, now, &ans), AGGR_NODATA);
	/* below an ENT: NXDOMAIN with *.y.ent denied */
	assert_int_equal(ask(a, "q.y.ent.nz.example.", WIRE_T_A, now, &ans), AGGR_NXDOMAIN);
	/* a wildcard NODATA (TXT only at *.wild) */
	assert_int_equal(ask(a, "q.wild.nz.example.", WIRE_T_A, now, &ans), AGGR_NODATA);
	assert_int_equal(ans.n, 1); /* *.wild's own NSEC covers q.wild */
	assert_int_equal(ask(a, "a.b.wild.nz.example.", WIRE_T_MX, now, &ans), AGGR_NODATA);
	/* DS at the unsigned delegation: the parent's NSEC */
	assert_int_equal(ask(a, "sub.nz.example.", WIRE_T_DS, now, &ans), AGGR_NODATA);

	/* misses: data exists */
	assert_int_equal(ask(a, "www.nz.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	assert_int_equal(ask(a, "q.wild.nz.example.", WIRE_T_TXT, now, &ans), AGGR_MISS);
	assert_int_equal(ask(a, "cname.nz.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	/* below a cut or a DNAME, or at the cut for another type */
	assert_int_equal(ask(a, "a.sub.nz.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	assert_int_equal(ask(a, "sub.nz.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	assert_int_equal(ask(a, "a.dn.nz.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	/* DS at the apex: the parent's, not held */
	assert_int_equal(ask(a, "nz.example.", WIRE_T_DS, now, &ans), AGGR_MISS);
	/* outside every zone held */
	assert_int_equal(ask(a, "www.other.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	struct aggr_stats st;
	aggr_stats(a, &st);
	assert_int_equal(st.zones, 1);
	assert_true(st.hits_nxdomain >= 4 && st.hits_nodata >= 6 && st.misses >= 8);
	aggr_free(a);
}

static void incomplete(void **state)
{
	(void)state;
	uint64_t now = 1000000;
	struct aggr_answer ans;
	/* without the apex NSEC (which denies *.nz.example), no NXDOMAIN for
	 * names whose wildcard it covers */
	struct aggr *a = filled("nz.example.", 300, now);
	assert_int_equal(ask(a, "nope.nz.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	aggr_free(a);
	/* without *.wild's NSEC, no wildcard NODATA */
	a = filled("*.wild.nz.example.", 300, now);
	assert_int_equal(ask(a, "q.wild.nz.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	aggr_free(a);
	/* without the SOA, nothing */
	a = aggr_new(1 << 20);
	struct cache_rdata s[AGGR_MAX_SIGS];
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i].type == WIRE_T_NSEC)
			aggr_put(a, N("nz.example."), recs[i].owner, recs[i].rdata, recs[i].rdlen, s,
				 sigs_of(recs[i].owner, WIRE_T_NSEC, s), 300, now);
	assert_int_equal(ask(a, "www.nz.example.", WIRE_T_MX, now, &ans), AGGR_MISS);
	/* bad puts */
	assert_int_equal(aggr_put(a, N("nz.example."), N("www.other.example."), recs[0].rdata,
				  recs[0].rdlen, NULL, 0, 300, now),
			 PC_EINVAL);
	assert_int_equal(aggr_put(a, N("nz.example."), N("www.nz.example."),
				  (const uint8_t *)"\x03www\x05other\x07" "example\x00\x00\x01\x40", 22,
				  NULL, 0, 300, now),
			 PC_EINVAL); /* next name outside the zone */
	assert_int_equal(aggr_put(a, N("nz.example."), N("www.nz.example."), (const uint8_t *)"\x03", 1,
				  NULL, 0, 300, now),
			 PC_EINVAL);
	/* a type bit map with an empty window: refused, never read as "no types" */
	static const uint8_t badmap[] = "\x03zzz\x02nz\x07" "example\x00" "\x00\x00\x00\x00";
	assert_int_equal(aggr_put(a, N("nz.example."), N("www.nz.example."), badmap, 20, NULL, 0, 300,
				  now),
			 PC_EINVAL);
	static const uint8_t goodmap[] = "\x03zzz\x02nz\x07" "example\x00" "\x00\x01\x40";
	assert_int_equal(aggr_put(a, N("nz.example."), N("www.nz.example."), goodmap, 19, NULL, 0, 300,
				  now),
			 0);
	aggr_free(a);
}

/* NSEC rdata: the next name and a bit map of window 0 (types below 256). */
static uint16_t nsec_rd(uint8_t *out, const char *next, const uint16_t *types, size_t nt)
{
	int nl = wire_name_from_text(next, out);
	assert_true(nl > 0);
	uint8_t map[32] = { 0 };
	unsigned hi = 0;
	for (size_t i = 0; i < nt; i++) {
		map[types[i] / 8] |= (uint8_t)(0x80 >> (types[i] % 8));
		if (types[i] / 8 + 1u > hi)
			hi = types[i] / 8 + 1u;
	}
	out[nl] = 0;
	out[nl + 1] = (uint8_t)hi;
	memcpy(out + nl + 2, map, hi);
	return (uint16_t)(nl + 2 + (int)hi);
}

/* Records of two versions of a zone: the newer contradicts the older,
 * which must go (else its span would hide what the newer one shows). */
static void two_versions(void **state)
{
	(void)state;
	uint64_t now = 1000000;
	struct aggr_answer ans;
	struct aggr *a = aggr_new(1 << 20);
	const uint16_t apex_types[] = { WIRE_T_NS, WIRE_T_SOA, WIRE_T_RRSIG, WIRE_T_NSEC };
	const uint16_t a_types[] = { WIRE_T_A, WIRE_T_RRSIG, WIRE_T_NSEC };
	uint8_t rd1[300], rd2[300], rd3[300];
	uint16_t l1 = nsec_rd(rd1, "x.y.ent.nz.example.", apex_types, 4);
	uint16_t l2 = nsec_rd(rd2, "ns.nz.example.", a_types, 3);
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i].type == WIRE_T_SOA)
			assert_int_equal(aggr_put_soa(a, N("nz.example."), recs[i].rdata, recs[i].rdlen, NULL,
						      0, 300, now),
					 0);
	/* older: the apex's NSEC says x.y.ent comes next (so ent exists) */
	assert_int_equal(aggr_put(a, N("nz.example."), N("nz.example."), rd1, l1, NULL, 0, 300, now), 0);
	/* newer: x.y.enr, inside that span */
	assert_int_equal(aggr_put(a, N("nz.example."), N("x.y.enr.nz.example."), rd2, l2, NULL, 0, 300,
				  now),
			 0);
	struct aggr_stats st;
	aggr_stats(a, &st);
	assert_int_equal(st.records, 1); /* the apex's went */
	/* with both, ent would have been an NXDOMAIN that the apex record denies */
	enum aggr_kind k = aggr_lookup(a, N("ent.nz.example."), WIRE_T_A, now, &ans);
	assert_int_equal(k, AGGR_MISS);
	/* a record whose span swallows others replaces them too */
	uint16_t l3 = nsec_rd(rd3, "zz.nz.example.", a_types, 3);
	/* www -> ns: next before owner, so the zone's last record */
	assert_int_equal(aggr_put(a, N("nz.example."), N("www.nz.example."), rd2, l2, NULL, 0, 300, now),
			 0);
	aggr_stats(a, &st);
	assert_int_equal(st.records, 2);
	assert_int_equal(aggr_put(a, N("nz.example."), N("a.nz.example."), rd3, l3, NULL, 0, 300, now), 0);
	aggr_stats(a, &st);
	assert_int_equal(st.records, 1); /* a -> zz covers x.y.enr and www */
	aggr_free(a);
}

static void expiry_and_budget(void **state)
{
	(void)state;
	uint64_t now = 1000000;
	struct aggr_answer ans;
	struct aggr *a = filled(NULL, 60, now);
	assert_int_equal(ask(a, "nope.nz.example.", WIRE_T_A, now + 59500, &ans), AGGR_NXDOMAIN);
	assert_int_equal(ans.ttl, 0);
	assert_int_equal(ask(a, "nope.nz.example.", WIRE_T_A, now + 60000, &ans), AGGR_MISS);
	aggr_free(a);

	/* a budget of a few records: stays within it, keeps the recent ones */
	a = aggr_new(2048);
	struct cache_rdata s[AGGR_MAX_SIGS];
	size_t put = 0;
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i].type == WIRE_T_NSEC) {
			size_t ns = sigs_of(recs[i].owner, WIRE_T_NSEC, s);
			assert_int_equal(aggr_put(a, N("nz.example."), recs[i].owner, recs[i].rdata,
						  recs[i].rdlen, s, ns, 300, now),
					 0);
			put++;
		}
	struct aggr_stats st;
	aggr_stats(a, &st);
	assert_true(st.bytes <= 2048);
	assert_true(st.evictions > 0);
	assert_true(st.records < put);
	aggr_free(a);

	/* replacement: the same owner again keeps one record */
	a = filled(NULL, 300, now);
	aggr_stats(a, &st);
	size_t before = st.records, bytes = st.bytes;
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i].type == WIRE_T_NSEC) {
			aggr_put(a, N("nz.example."), recs[i].owner, recs[i].rdata, recs[i].rdlen, s,
				 sigs_of(recs[i].owner, WIRE_T_NSEC, s), 300, now);
			break;
		}
	aggr_stats(a, &st);
	assert_int_equal(st.records, before);
	assert_int_equal(st.bytes, bytes);
	/* flushing a zone, and everything */
	aggr_flush_zone(a, N("other.example."));
	aggr_stats(a, &st);
	assert_int_equal(st.records, before);
	aggr_flush_zone(a, N("example."));
	aggr_stats(a, &st);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.zones, 0);
	assert_int_equal(ask(a, "nope.nz.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	aggr_free(a);
}

/* The core's side: learn from a negative answer's records, answer from the
 * index, and write the response for clients with and without DO. */
static void synthesis(void **state)
{
	(void)state;
	uint64_t now = 1000000;
	struct aggr *a = aggr_new(1 << 20);
	static struct core_rr rr[128];
	size_t n = 0;
	for (size_t i = 0; i < nrecs; i++)
		rr[n++] = (struct core_rr){ recs[i].owner, recs[i].type, 1, 3600, recs[i].rdata,
					    recs[i].rdlen };
	/* nothing without the SOA */
	assert_int_equal(synth_learn(a, N("nz.example."), rr, 0, now), 0);
	size_t kept = synth_learn(a, N("nz.example."), rr, n, now);
	assert_true(kept >= 8);
	assert_int_equal(synth_learn(NULL, N("nz.example."), rr, n, now), 0);

	static struct core_answer out;
	static uint8_t buf[SYNTH_BUF];
	out.rcode = 99;
	assert_false(synth_answer(a, N("www.nz.example."), WIRE_T_A, now, &out, buf, sizeof buf));
	assert_int_equal(out.rcode, 99); /* untouched */
	assert_false(synth_answer(NULL, N("nope.nz.example."), WIRE_T_A, now, &out, buf, sizeof buf));
	/* a buffer too small: no answer, out untouched */
	assert_false(synth_answer(a, N("nope.nz.example."), WIRE_T_A, now, &out, buf, 100));
	assert_int_equal(out.rcode, 99);

	assert_true(synth_answer(a, N("nope.nz.example."), WIRE_T_A, now, &out, buf, sizeof buf));
	assert_int_equal(out.rcode, WIRE_RC_NXDOMAIN);
	assert_int_equal(out.n_an, 0);
	size_t soa = 0, nsec = 0, sig = 0;
	for (size_t i = 0; i < out.n_ns; i++) {
		soa += out.ns[i].type == WIRE_T_SOA;
		nsec += out.ns[i].type == WIRE_T_NSEC;
		sig += out.ns[i].type == WIRE_T_RRSIG;
		/* capped by the SOA's minimum (300), not the 3600 given */
		assert_true(out.ns[i].ttl <= 300);
	}
	assert_int_equal(soa, 1);
	assert_true(nsec >= 1 && nsec <= 2);
	assert_int_equal(sig, soa + nsec);

	/* on the wire: DO gets the proof, no DO only the SOA */
	uint8_t pkt[4096];
	static struct wire_msg m;
	int len = core_write_response(pkt, sizeof pkt, 0x1234, WIRE_F_RD, N("nope.nz.example."),
				      WIRE_T_A, 1, 1232, true, &out);
	assert_true(len > 0);
	assert_int_equal(wire_parse(&m, pkt, (size_t)len), 0);
	assert_int_equal(wire_msg_rcode(&m), WIRE_RC_NXDOMAIN);
	assert_int_equal(m.n_ns, out.n_ns);
	len = core_write_response(pkt, sizeof pkt, 0x1234, WIRE_F_RD, N("nope.nz.example."), WIRE_T_A,
				  1, 1232, false, &out);
	assert_true(len > 0);
	assert_int_equal(wire_parse(&m, pkt, (size_t)len), 0);
	assert_int_equal(m.n_ns, 1);
	assert_int_equal(m.rr[m.n_an].type, WIRE_T_SOA);

	/* NODATA */
	assert_true(synth_answer(a, N("www.nz.example."), WIRE_T_MX, now, &out, buf, sizeof buf));
	assert_int_equal(out.rcode, WIRE_RC_NOERROR);
	aggr_free(a);
}

/* The control verbs' flushes: what was flushed from the cache must not be
 * answered by synthesis, and what was not stays answerable. */
static void flush_name_and_at(void **state)
{
	(void)state;
	uint64_t now = 1000000;
	struct aggr *a = filled(NULL, 300, now);
	struct aggr_answer ans;
	struct aggr_stats st;
	aggr_stats(a, &st);
	size_t all = st.records;
	/* flush_type nope.nz.example. A: the record whose span holds it goes */
	assert_int_equal(ask(a, "nope.nz.example.", WIRE_T_A, now, &ans), AGGR_NXDOMAIN);
	aggr_flush_at(a, N("nope.nz.example."));
	assert_int_equal(ask(a, "nope.nz.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	assert_int_equal(ask(a, "nope.nz.example.", WIRE_T_AAAA, now, &ans), AGGR_MISS);
	aggr_stats(a, &st);
	assert_int_equal(st.records, all - 1);
	/* ... and the others answer still */
	assert_int_equal(ask(a, "www.nz.example.", WIRE_T_MX, now, &ans), AGGR_NODATA);
	assert_int_equal(ask(a, "zzz.nz.example.", WIRE_T_A, now, &ans), AGGR_NXDOMAIN);
	/* flush_type www.nz.example. MX: www's own NSEC goes */
	aggr_flush_at(a, N("www.nz.example."));
	assert_int_equal(ask(a, "www.nz.example.", WIRE_T_MX, now, &ans), AGGR_MISS);
	aggr_free(a);

	/* flush_zone ent.nz.example. (an empty non-terminal): the records at
	 * and below it and the one before it, whose span holds it */
	a = filled(NULL, 300, now);
	assert_int_equal(ask(a, "ent.nz.example.", WIRE_T_A, now, &ans), AGGR_NODATA);
	assert_int_equal(ask(a, "q.y.ent.nz.example.", WIRE_T_A, now, &ans), AGGR_NXDOMAIN);
	aggr_flush_name(a, N("ENT.nz.example."));
	assert_int_equal(ask(a, "ent.nz.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	assert_int_equal(ask(a, "y.ent.nz.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	assert_int_equal(ask(a, "q.y.ent.nz.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	assert_int_equal(ask(a, "x.y.ent.nz.example.", WIRE_T_MX, now, &ans), AGGR_MISS);
	aggr_stats(a, &st);
	assert_int_equal(st.records, all - 2);
	assert_int_equal(ask(a, "www.nz.example.", WIRE_T_MX, now, &ans), AGGR_NODATA);
	/* a name of no zone held, or in a zone below none held: nothing goes */
	aggr_flush_name(a, N("other.example."));
	aggr_flush_name(a, N("www.other.example."));
	aggr_flush_at(a, N("www.other.example."));
	aggr_stats(a, &st);
	assert_int_equal(st.records, all - 2);
	/* flush_zone of the zone (or above it): all of it */
	aggr_flush_name(a, N("nz.example."));
	aggr_stats(a, &st);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.zones, 0);
	assert_int_equal(ask(a, "zzz.nz.example.", WIRE_T_A, now, &ans), AGGR_MISS);
	aggr_flush_name(NULL, N("nz.example."));
	aggr_flush_at(NULL, N("nz.example."));
	aggr_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answers),
		cmocka_unit_test(incomplete),
		cmocka_unit_test(expiry_and_budget),
		cmocka_unit_test(synthesis),
		cmocka_unit_test(two_versions),
		cmocka_unit_test(flush_name_and_at),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
