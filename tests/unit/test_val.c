/* core/val.c without the network: a zone signed at test time by
 * ldns-signzone (fresh ECDSA P-256 keys), read back with libldns, its DS
 * made by ldns-key2ds as the trust anchor. The validator judges answers
 * built from those records against a cache holding (or lacking) the zone's
 * DNSKEY set: secure, bogus when a byte changes, a DNSKEY fetch asked for
 * when the cache lacks the keys, the status stored in the cache; and the
 * KeyTrap caps: many keys sharing the signing key's tag, many signatures,
 * many sets in one request, each stops at its bound. */
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

#include "cache/cache.h"
#include "core/anchor.h"
#include "core/core.h"
#include "core/dnssec.h"
#include "core/val.h"
#include "util/err.h"
#include "wire/wire.h"

static char dir[] = "/tmp/pc-test-val-XXXXXX";

static const char *ZONE_TEXT = "$ORIGIN zone.example.\n"
			       "$TTL 300\n"
			       "@ IN SOA ns hostmaster 1 1800 900 604800 300\n"
			       "@ IN NS ns\n"
			       "ns IN A 192.0.2.1\n"
			       "www 200 IN A 192.0.2.10\n"
			       "www 200 IN A 192.0.2.11\n"
			       "txt IN TXT \"hello\"\n";

struct rec {
	uint8_t owner[WIRE_NAME_MAX];
	uint16_t type;
	uint32_t ttl;
	uint8_t rdata[2048];
	uint16_t rdlen;
};

static struct rec recs[128];
static size_t n_recs;
static char anchor_text[1024];
static time_t signed_at;

static void load_zone(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	ldns_zone *z = NULL;
	int line = 0;
	assert_int_equal(ldns_zone_new_frm_fp_l(&z, f, NULL, 300, LDNS_RR_CLASS_IN, &line),
			 LDNS_STATUS_OK);
	fclose(f);
	ldns_rr_list *rrs = ldns_zone_rrs(z);
	size_t total = ldns_rr_list_rr_count(rrs) + 1;
	n_recs = 0;
	for (size_t i = 0; i < total; i++) {
		ldns_rr *rr = i == 0 ? ldns_zone_soa(z) : ldns_rr_list_rr(rrs, i - 1);
		struct rec *r = &recs[n_recs++];
		ldns_rdf *o = ldns_rr_owner(rr);
		memcpy(r->owner, ldns_rdf_data(o), ldns_rdf_size(o));
		wire_name_lower(r->owner);
		r->type = (uint16_t)ldns_rr_get_type(rr);
		r->ttl = ldns_rr_ttl(rr);
		ldns_buffer *b = ldns_buffer_new(4096);
		assert_int_equal(ldns_rr_rdata2buffer_wire(b, rr), LDNS_STATUS_OK);
		r->rdlen = (uint16_t)ldns_buffer_position(b);
		memcpy(r->rdata, ldns_buffer_begin(b), r->rdlen);
		ldns_buffer_free(b);
	}
	ldns_zone_deep_free(z);
}

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	char ksk[256], zsk[256], cmd[1024];
	FILE *f;
	snprintf(cmd, sizeof(cmd), "%s/zone.txt", dir);
	f = fopen(cmd, "w");
	fputs(ZONE_TEXT, f);
	fclose(f);
	test_keypair(dir, "-a ECDSAP256SHA256", "zone.example.", ksk, zsk, sizeof(ksk));
	signed_at = time(NULL);
	test_sh("cd %s && ldns-signzone -o zone.example. -i %lld -e %lld -f signed.txt zone.txt %s %s", dir,
		(long long)signed_at - 3600, (long long)signed_at + 86400, ksk, zsk);
	test_sh_out(anchor_text, sizeof(anchor_text), "cd %s && ldns-key2ds -n -2 %s.key", dir, ksk);
	snprintf(cmd, sizeof(cmd), "%s/signed.txt", dir);
	load_zone(cmd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the environment ---------------------------------------------------- */

static uint64_t fake_wall;
static uint64_t wall(void)
{
	return fake_wall;
}

struct world {
	struct cache *cache;
	struct anchor_set *anchors;
	struct core_opts opts;
	struct core_env env;
};

static void world_init(struct world *w)
{
	struct cache_opts co = { .cache_size = 1u << 22, .cache_min_ttl = 0,
				 .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 };
	memset(w, 0, sizeof(*w));
	w->cache = cache_new(&co);
	assert_non_null(w->cache);
	w->anchors = anchor_set_new();
	char err[256];
	assert_int_equal(anchor_add_text(w->anchors, anchor_text, strlen(anchor_text), "test", err,
					 sizeof(err)),
			 0);
	w->opts.validate = true;
	w->opts.harden_dnssec_stripped = true;
	w->opts.val_bogus_ttl = 60;
	w->opts.anchors = w->anchors;
	w->opts.cache_max_ttl = 86400;
	w->env.cache = w->cache;
	w->env.opts = &w->opts;
	w->env.wall_clock = wall;
	fake_wall = (uint64_t)signed_at;
}

static void world_free(struct world *w)
{
	cache_free(w->cache);
	anchor_set_free(w->anchors);
}

static const uint8_t ZONE[] = "\4zone\7example";
static const uint8_t WWW[] = "\3www\4zone\7example";

static uint16_t covered(const struct rec *r)
{
	return (uint16_t)(r->rdata[0] << 8 | r->rdata[1]);
}

/* Put the set (owner, type) with its RRSIGs into the cache. */
static void put_set(struct world *w, const uint8_t *owner, uint16_t type)
{
	struct cache_rdata rd[16];
	struct cache_rr x[16];
	size_t n = 0, nx = 0;
	uint32_t ttl = 300;
	for (size_t i = 0; i < n_recs; i++) {
		if (!wire_name_eq(recs[i].owner, owner))
			continue;
		if (recs[i].type == type) {
			rd[n].data = recs[i].rdata;
			rd[n++].len = recs[i].rdlen;
			ttl = recs[i].ttl;
		} else if (recs[i].type == WIRE_T_RRSIG && covered(&recs[i]) == type) {
			x[nx].owner = recs[i].owner;
			x[nx].type = WIRE_T_RRSIG;
			x[nx].rdata = recs[i].rdata;
			x[nx++].rdlen = recs[i].rdlen;
		}
	}
	assert_true(n > 0);
	assert_int_equal(cache_put_rrset_ex(w->cache, owner, type, WIRE_C_IN, ttl, rd, n, x, nx,
					    CACHE_RANK_AUTH, 1000),
			 0);
}

/* The answer to (owner, type): the set and its RRSIGs, as the iterator
 * collects them. */
static void answer_of(struct core_answer *a, const uint8_t *owner, uint16_t type)
{
	memset(a, 0, sizeof(*a));
	a->rcode = WIRE_RC_NOERROR;
	a->ede = CORE_EDE_NONE;
	for (size_t i = 0; i < n_recs; i++) {
		if (!wire_name_eq(recs[i].owner, owner))
			continue;
		if (recs[i].type == type ||
		    (recs[i].type == WIRE_T_RRSIG && covered(&recs[i]) == type)) {
			struct core_rr *rr = &a->an[a->n_an++];
			rr->owner = recs[i].owner;
			rr->type = recs[i].type;
			rr->rclass = WIRE_C_IN;
			rr->ttl = recs[i].ttl;
			rr->rdata = recs[i].rdata;
			rr->rdlen = recs[i].rdlen;
		}
	}
}

static enum val_step judge(struct world *w, struct val_req *vr, const uint8_t *q, uint16_t qt,
			   const struct core_answer *a, uint8_t *fname, uint16_t *ftype,
			   struct val_outcome *out)
{
	return val_answer(&w->env, vr, q, qt, WIRE_C_IN, a, 1000, fname, ftype, out);
}

/* ---- tests ---------------------------------------------------------------- */

static void chain_of_trust(void **state)
{
	(void)state;
	static struct world w;
	static struct core_answer a;
	world_init(&w);
	struct val_req vr;
	val_req_init(&vr);
	uint8_t fname[WIRE_NAME_MAX];
	uint16_t ftype;
	struct val_outcome out;
	answer_of(&a, WWW, WIRE_T_A);
	assert_int_equal(a.n_an, 3);
	put_set(&w, WWW, WIRE_T_A);

	/* no keys cached: the validator asks for them, once */
	assert_int_equal(judge(&w, &vr, WWW, WIRE_T_A, &a, fname, &ftype, &out), VAL_FETCH);
	assert_true(wire_name_eq(fname, ZONE));
	assert_int_equal(ftype, WIRE_T_DNSKEY);
	/* asked again without the keys arriving: DNSKEY missing (EDE 9) */
	assert_int_equal(judge(&w, &vr, WWW, WIRE_T_A, &a, fname, &ftype, &out), VAL_DONE);
	assert_int_equal(out.sec, CACHE_SEC_BOGUS_NOKEY);
	assert_int_equal(out.ede, 9);

	/* with the keys: secure, and the cache says so (TTL capped at the
	 * RRSIG's original TTL, 200) */
	world_free(&w);
	world_init(&w);
	put_set(&w, WWW, WIRE_T_A);
	put_set(&w, ZONE, WIRE_T_DNSKEY);
	val_req_init(&vr);
	assert_int_equal(judge(&w, &vr, WWW, WIRE_T_A, &a, fname, &ftype, &out), VAL_DONE);
	assert_int_equal(out.sec, CACHE_SEC_SECURE);
	struct cache_entry e;
	assert_true(cache_get(w.cache, WWW, WIRE_T_A, WIRE_C_IN, 1000, &e));
	assert_int_equal(e.sec, CACHE_SEC_SECURE);
	assert_true(cache_get(w.cache, ZONE, WIRE_T_DNSKEY, WIRE_C_IN, 1000, &e));
	assert_int_equal(e.sec, CACHE_SEC_SECURE);
	unsigned spent = vr.verifies;
	assert_true(spent >= 2); /* the DNSKEY set and the A set */
	/* the second time costs no cryptography: the status is cached */
	val_req_init(&vr);
	assert_int_equal(judge(&w, &vr, WWW, WIRE_T_A, &a, fname, &ftype, &out), VAL_DONE);
	assert_int_equal(out.sec, CACHE_SEC_SECURE);
	assert_int_equal(vr.verifies, 0);

	/* a record changed after signing: bogus (EDE 6), kept val-bogus-ttl */
	static struct core_answer bad;
	bad = a;
	uint8_t changed[4] = { 192, 0, 2, 66 };
	for (size_t i = 0; i < bad.n_an; i++)
		if (bad.an[i].type == WIRE_T_A) {
			bad.an[i].rdata = changed;
			break;
		}
	static const uint8_t other[] = "\3www\4zone\7example";
	(void)other;
	cache_flush_type(w.cache, WWW, WIRE_T_A);
	val_req_init(&vr);
	assert_int_equal(judge(&w, &vr, WWW, WIRE_T_A, &bad, fname, &ftype, &out), VAL_DONE);
	assert_int_equal(out.sec, CACHE_SEC_BOGUS);
	assert_int_equal(out.ede, 6);

	/* expired: the same answer a month later */
	cache_flush_all(w.cache);
	put_set(&w, ZONE, WIRE_T_DNSKEY);
	fake_wall = (uint64_t)signed_at + 30 * 86400;
	val_req_init(&vr);
	assert_int_equal(judge(&w, &vr, WWW, WIRE_T_A, &a, fname, &ftype, &out), VAL_DONE);
	assert_int_equal(out.sec, CACHE_SEC_BOGUS_EXPIRED);
	assert_int_equal(out.ede, 7);

	/* RRSIGs stripped from the answer: EDE 10 */
	cache_flush_all(w.cache);
	put_set(&w, ZONE, WIRE_T_DNSKEY);
	fake_wall = (uint64_t)signed_at;
	static struct core_answer bare;
	memset(&bare, 0, sizeof(bare));
	for (size_t i = 0; i < a.n_an; i++)
		if (a.an[i].type != WIRE_T_RRSIG)
			bare.an[bare.n_an++] = a.an[i];
	val_req_init(&vr);
	enum val_step st = judge(&w, &vr, WWW, WIRE_T_A, &bare, fname, &ftype, &out);
	/* unsigned data is walked to its owner: a DS question for www first */
	while (st == VAL_FETCH) {
		assert_int_equal(ftype, WIRE_T_DS);
		st = judge(&w, &vr, WWW, WIRE_T_A, &bare, fname, &ftype, &out);
	}
	assert_true(cache_sec_bogus(out.sec));

	/* an empty NOERROR without SOA for a name of the signed zone: not a
	 * NODATA to pass on unchecked, but bogus (no signed SOA, no proof) */
	cache_flush_all(w.cache);
	put_set(&w, ZONE, WIRE_T_DNSKEY);
	static struct core_answer empty;
	memset(&empty, 0, sizeof(empty));
	empty.rcode = WIRE_RC_NOERROR;
	empty.ede = CORE_EDE_NONE;
	val_req_init(&vr);
	st = judge(&w, &vr, WWW, WIRE_T_AAAA, &empty, fname, &ftype, &out);
	while (st == VAL_FETCH)
		st = judge(&w, &vr, WWW, WIRE_T_AAAA, &empty, fname, &ftype, &out);
	assert_true(cache_sec_bogus(out.sec));

	/* RRSIGs asked for (qtype RRSIG) are data no signature covers: passed
	 * on as insecure, with no key fetched and no walk to the owner */
	static struct core_answer sigs;
	memset(&sigs, 0, sizeof(sigs));
	sigs.rcode = WIRE_RC_NOERROR;
	sigs.ede = CORE_EDE_NONE;
	for (size_t i = 0; i < a.n_an; i++)
		if (a.an[i].type == WIRE_T_RRSIG)
			sigs.an[sigs.n_an++] = a.an[i];
	assert_true(sigs.n_an > 0);
	cache_flush_all(w.cache);
	val_req_init(&vr);
	assert_int_equal(judge(&w, &vr, WWW, WIRE_T_RRSIG, &sigs, fname, &ftype, &out), VAL_DONE);
	assert_int_equal(out.sec, CACHE_SEC_INSECURE);

	/* a negative trust anchor makes it insecure */
	assert_int_equal(anchor_add_insecure(w.anchors, ZONE), 0);
	cache_flush_all(w.cache);
	put_set(&w, ZONE, WIRE_T_DNSKEY);
	val_req_init(&vr);
	assert_int_equal(judge(&w, &vr, WWW, WIRE_T_A, &bare, fname, &ftype, &out), VAL_DONE);
	assert_int_equal(out.sec, CACHE_SEC_INSECURE);
	world_free(&w);
}

/* The A set, its RRSIG and the zone's keys as val_verify_set takes them. */
static void a_set(struct val_rrset *set, struct dnssec_rdata *keys, size_t *n_keys,
		  struct rec *sig_out)
{
	memset(set, 0, sizeof(*set));
	set->owner = WWW;
	set->type = WIRE_T_A;
	set->rclass = WIRE_C_IN;
	*n_keys = 0;
	for (size_t i = 0; i < n_recs; i++) {
		if (wire_name_eq(recs[i].owner, WWW) && recs[i].type == WIRE_T_A) {
			set->rd[set->n].data = recs[i].rdata;
			set->rd[set->n++].len = recs[i].rdlen;
		} else if (wire_name_eq(recs[i].owner, WWW) && recs[i].type == WIRE_T_RRSIG &&
			   covered(&recs[i]) == WIRE_T_A) {
			*sig_out = recs[i];
		} else if (recs[i].type == WIRE_T_DNSKEY) {
			keys[*n_keys].data = recs[i].rdata;
			keys[(*n_keys)++].len = recs[i].rdlen;
		}
	}
}

static void verify_set_basics(void **state)
{
	(void)state;
	static struct val_rrset set;
	struct dnssec_rdata keys[4];
	size_t nk;
	struct rec sig;
	a_set(&set, keys, &nk, &sig);
	set.sig[0].data = sig.rdata;
	set.sig[0].len = sig.rdlen;
	set.n_sig = 1;
	unsigned verifies = 0;
	uint32_t cap = 0;
	assert_int_equal(val_verify_set(&set, ZONE, keys, nk, (uint64_t)signed_at, &verifies, &cap),
			 DNSSEC_OK);
	assert_int_equal(cap, 200); /* the original TTL, below the 86,400 s to expiry */
	/* an hour before expiry, the expiry caps it */
	assert_int_equal(val_verify_set(&set, ZONE, keys, nk, (uint64_t)signed_at + 86400 - 100,
					&verifies, &cap),
			 DNSSEC_OK);
	assert_true(cap <= 100);
	assert_int_equal(val_verify_set(&set, ZONE, keys, nk, (uint64_t)signed_at + 2 * 86400,
					&verifies, &cap),
			 DNSSEC_EXPIRED);
	assert_int_equal(val_verify_set(&set, ZONE, keys, nk, (uint64_t)signed_at - 7200, &verifies,
					&cap),
			 DNSSEC_NOT_YET_VALID);
	/* signed by another zone's name: no signature of ours */
	assert_int_equal(val_verify_set(&set, (const uint8_t *)"\7example", keys, nk,
					(uint64_t)signed_at, &verifies, &cap),
			 DNSSEC_MISMATCH);
	/* an algorithm nobody implements */
	struct rec s2 = sig;
	s2.rdata[2] = 200;
	set.sig[0].data = s2.rdata;
	assert_int_equal(val_verify_set(&set, ZONE, keys, nk, (uint64_t)signed_at, &verifies, &cap),
			 DNSSEC_UNSUPPORTED);
}

/* KeyTrap (CVE-2023-50387): keys whose tag and algorithm are the signing
 * key's, and signatures that all name that tag, make a naive validator
 * try every key with every signature. */
static void keytrap_caps(void **state)
{
	(void)state;
	static struct val_rrset set;
	struct dnssec_rdata real[4];
	size_t nk;
	struct rec sig;
	a_set(&set, real, &nk, &sig);
	struct dnssec_rrsig s;
	assert_int_equal(dnssec_rrsig_parse(sig.rdata, sig.rdlen, &s), DNSSEC_OK);
	const struct dnssec_rdata *signer = NULL;
	for (size_t i = 0; i < nk; i++)
		if (dnssec_key_tag(real[i].data, real[i].len) == s.key_tag)
			signer = &real[i];
	assert_non_null(signer);

	/* 40 keys with the signer's tag: +1 and -1 on two high bytes of the
	 * key material keep the 16-bit word sum */
	static uint8_t fake[40][256];
	struct dnssec_rdata keys[41];
	size_t n = 0;
	for (size_t k = 0; k < 40; k++) {
		memcpy(fake[k], signer->data, signer->len);
		size_t i = 4 + 2 * (k % 16), j = i + 2 + 2 * (k / 16);
		if (fake[k][i] == 0xff || fake[k][j] == 0)
			continue;
		fake[k][i]++;
		fake[k][j]--;
		assert_int_equal(dnssec_key_tag(fake[k], signer->len), s.key_tag);
		keys[n].data = fake[k];
		keys[n++].len = signer->len;
	}
	assert_true(n >= 30);
	keys[n++] = *signer; /* the real key last */

	/* 16 copies of the RRSIG with a broken signature */
	static struct rec bad[VAL_MAX_SIGS];
	set.n_sig = 0;
	for (size_t i = 0; i < VAL_MAX_SIGS; i++) {
		bad[i] = sig;
		bad[i].rdata[bad[i].rdlen - 3] ^= 0x5a;
		set.sig[set.n_sig].data = bad[i].rdata;
		set.sig[set.n_sig++].len = bad[i].rdlen;
	}
	unsigned verifies = 0;
	uint32_t cap;
	assert_int_equal(val_verify_set(&set, ZONE, keys, n, (uint64_t)signed_at, &verifies, &cap),
			 DNSSEC_BAD_SIG);
	/* naive: 16 signatures x 41 keys = 656 verifications */
	assert_true(verifies <= VAL_MAX_TAG_KEYS);
	assert_true(verifies <= VAL_MAX_SET_VERIFY);

	/* the real signature behind the colliding keys: past the per-tag cap,
	 * so it is not reached either (bogus, never seconds of CPU) */
	set.sig[0].data = sig.rdata;
	set.sig[0].len = sig.rdlen;
	set.n_sig = 1;
	verifies = 0;
	assert_int_equal(val_verify_set(&set, ZONE, keys, n, (uint64_t)signed_at, &verifies, &cap),
			 DNSSEC_BAD_SIG);
	assert_int_equal(verifies, VAL_MAX_TAG_KEYS);

	/* many sets in one request: the request's budget ends it */
	verifies = 0;
	for (int round = 0; round < 100; round++)
		(void)val_verify_set(&set, ZONE, keys, n, (uint64_t)signed_at, &verifies, &cap);
	assert_int_equal(verifies, VAL_MAX_REQ_VERIFY);
	/* and the real key alone still verifies (a fresh request) */
	verifies = 0;
	assert_int_equal(val_verify_set(&set, ZONE, signer, 1, (uint64_t)signed_at, &verifies, &cap),
			 DNSSEC_OK);
}

static void ede_codes(void **state)
{
	(void)state;
	assert_int_equal(val_sec_ede(CACHE_SEC_BOGUS, false), 6);
	assert_int_equal(val_sec_ede(CACHE_SEC_BOGUS_EXPIRED, false), 7);
	assert_int_equal(val_sec_ede(CACHE_SEC_BOGUS_NOT_YET, false), 8);
	assert_int_equal(val_sec_ede(CACHE_SEC_BOGUS_NOKEY, false), 9);
	assert_int_equal(val_sec_ede(CACHE_SEC_BOGUS_NOSIG, false), 10);
	assert_int_equal(val_sec_ede(CACHE_SEC_BOGUS_NOSIG, true), 12);
}

static void cache_status(void **state)
{
	(void)state;
	struct cache_opts co = { .cache_size = 1u << 20, .cache_max_ttl = 86400,
				 .cache_max_negative_ttl = 3600 };
	struct cache *c = cache_new(&co);
	struct cache_rdata rd = { (const uint8_t *)"\1\2\3\4", 4 };
	assert_int_equal(cache_put_rrset(c, WWW, WIRE_T_A, WIRE_C_IN, 300, &rd, 1, CACHE_RANK_AUTH, 0),
			 0);
	struct cache_entry e;
	assert_true(cache_get(c, WWW, WIRE_T_A, WIRE_C_IN, 0, &e));
	assert_int_equal(e.sec, CACHE_SEC_UNCHECKED);
	assert_int_equal(cache_set_sec(c, WWW, WIRE_T_A, WIRE_C_IN, CACHE_SEC_BOGUS_NOSIG, 5, 0), 0);
	assert_true(cache_get(c, WWW, WIRE_T_A, WIRE_C_IN, 0, &e));
	assert_int_equal(e.sec, CACHE_SEC_BOGUS_NOSIG);
	assert_int_equal(e.kind, CACHE_RRSET);
	assert_int_equal(e.rank, CACHE_RANK_AUTH);
	assert_int_equal(e.ttl, 5);
	/* the copy readers get says the same */
	static uint64_t buf[512];
	assert_true(cache_get_copy(c, WWW, WIRE_T_A, WIRE_C_IN, 0, &e, buf, sizeof(buf)) > 0);
	assert_int_equal(e.sec, CACHE_SEC_BOGUS_NOSIG);
	/* a cap never lengthens; gone after it */
	assert_int_equal(cache_set_sec(c, WWW, WIRE_T_A, WIRE_C_IN, CACHE_SEC_SECURE, 100, 0), 0);
	assert_true(cache_get(c, WWW, WIRE_T_A, WIRE_C_IN, 0, &e));
	assert_int_equal(e.ttl, 5);
	assert_false(cache_get(c, WWW, WIRE_T_A, WIRE_C_IN, 5000, &e));
	assert_int_equal(cache_set_sec(c, WWW, WIRE_T_AAAA, WIRE_C_IN, CACHE_SEC_SECURE, 100, 0),
			 PC_ENOTFOUND);
	/* a new put is unchecked again */
	assert_int_equal(cache_put_rrset(c, WWW, WIRE_T_A, WIRE_C_IN, 300, &rd, 1, CACHE_RANK_AUTH,
					 6000),
			 0);
	assert_true(cache_get(c, WWW, WIRE_T_A, WIRE_C_IN, 6000, &e));
	assert_int_equal(e.sec, CACHE_SEC_UNCHECKED);
	cache_free(c);
}

/* The cache path (core_answer_from_cache, what every cache hit runs):
 * the entries' statuses decide, with no validation work. */
static void answers_from_cache(void **state)
{
	(void)state;
	static struct world w;
	static struct core_answer out;
	world_init(&w);
	struct cache_rdata rd = { (const uint8_t *)"\xc0\x00\x02\x0a", 4 };
	assert_int_equal(cache_put_rrset(w.cache, WWW, WIRE_T_A, WIRE_C_IN, 300, &rd, 1,
					 CACHE_RANK_AUTH, 1000),
			 0);
	/* not judged yet: a miss, so the resolver validates it; with CD the data */
	assert_false(core_answer_from_cache(&w.env, WWW, WIRE_T_A, WIRE_C_IN, false, 1000, &out));
	assert_true(core_answer_from_cache(&w.env, WWW, WIRE_T_A, WIRE_C_IN, true, 1000, &out));
	assert_int_equal(out.rcode, WIRE_RC_NOERROR);
	assert_int_equal(out.n_an, 1);
	assert_false(out.secure);
	/* secure */
	cache_set_sec(w.cache, WWW, WIRE_T_A, WIRE_C_IN, CACHE_SEC_SECURE, 300, 1000);
	assert_true(core_answer_from_cache(&w.env, WWW, WIRE_T_A, WIRE_C_IN, false, 1000, &out));
	assert_true(out.secure);
	assert_int_equal(out.ede, CORE_EDE_NONE);
	/* insecure */
	cache_set_sec(w.cache, WWW, WIRE_T_A, WIRE_C_IN, CACHE_SEC_INSECURE, 300, 1000);
	assert_true(core_answer_from_cache(&w.env, WWW, WIRE_T_A, WIRE_C_IN, false, 1000, &out));
	assert_false(out.secure);
	assert_int_equal(out.n_an, 1);
	/* bogus: SERVFAIL with its EDE; CD: the data; permissive: the data */
	cache_set_sec(w.cache, WWW, WIRE_T_A, WIRE_C_IN, CACHE_SEC_BOGUS_EXPIRED, 300, 1000);
	assert_true(core_answer_from_cache(&w.env, WWW, WIRE_T_A, WIRE_C_IN, false, 1000, &out));
	assert_int_equal(out.rcode, WIRE_RC_SERVFAIL);
	assert_int_equal(out.n_an, 0);
	assert_int_equal(out.ede, 7);
	assert_true(core_answer_from_cache(&w.env, WWW, WIRE_T_A, WIRE_C_IN, true, 1000, &out));
	assert_int_equal(out.rcode, WIRE_RC_NOERROR);
	assert_int_equal(out.n_an, 1);
	w.opts.val_permissive = true;
	assert_true(core_answer_from_cache(&w.env, WWW, WIRE_T_A, WIRE_C_IN, false, 1000, &out));
	assert_int_equal(out.rcode, WIRE_RC_NOERROR);
	assert_false(out.secure);
	/* validation off: the data, never AD, whatever the status */
	w.opts.val_permissive = false;
	w.opts.validate = false;
	cache_set_sec(w.cache, WWW, WIRE_T_A, WIRE_C_IN, CACHE_SEC_SECURE, 300, 1000);
	assert_true(core_answer_from_cache(&w.env, WWW, WIRE_T_A, WIRE_C_IN, false, 1000, &out));
	assert_false(out.secure);

	/* the response: AD only for a client that set AD or DO; the EDE option */
	static uint8_t buf[512];
	out.secure = true;
	out.ede = CORE_EDE_NONE;
	int n = core_write_response(buf, sizeof(buf), 1, WIRE_F_RD, WWW, WIRE_T_A, WIRE_C_IN, 1232,
				    true, &out);
	assert_true(n > 0);
	assert_true((buf[3] & 0x20) != 0); /* DO: AD */
	n = core_write_response(buf, sizeof(buf), 1, WIRE_F_RD, WWW, WIRE_T_A, WIRE_C_IN, 1232,
				false, &out);
	assert_true(n > 0 && (buf[3] & 0x20) == 0); /* neither: no AD */
	n = core_write_response(buf, sizeof(buf), 1, WIRE_F_RD | WIRE_F_AD, WWW, WIRE_T_A, WIRE_C_IN,
				0, false, &out);
	assert_true(n > 0 && (buf[3] & 0x20) != 0); /* AD asked, no EDNS: AD */
	out.secure = false;
	out.rcode = WIRE_RC_SERVFAIL;
	out.n_an = 0;
	out.ede = 9;
	n = core_write_response(buf, sizeof(buf), 1, WIRE_F_RD, WWW, WIRE_T_A, WIRE_C_IN, 1232, true,
				&out);
	/* the OPT is last: its RDATA is the EDE option 15, length 2, code 9 */
	assert_true(n > 6);
	static const uint8_t opt_tail[6] = { 0, 15, 0, 2, 0, 9 };
	assert_memory_equal(buf + n - 6, opt_tail, 6);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ede_codes),
		cmocka_unit_test(cache_status),
		cmocka_unit_test(verify_set_basics),
		cmocka_unit_test(keytrap_caps),
		cmocka_unit_test(chain_of_trust),
		cmocka_unit_test(answers_from_cache),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
