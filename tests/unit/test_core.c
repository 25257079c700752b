/* Scenario tests for the I/O-free resolution core: a scripted "fake
 * internet" answers every query the state machine sends, and each test
 * checks the sequence of sends, the answer, and what went into the cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "core/core.h"
#include "core/hints.h"
#include "daemon/config.h"
#include "daemon/options.h"
#include "wire/wire.h"

/* ---- environment -------------------------------------------------------- */

/* This program is linked with --wrap=malloc: the resolver's own calls to
 * malloc (not cmocka's) come here, and the fail_malloc-th of them from
 * the moment it is set returns NULL. */
static int fail_malloc;
void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_malloc(size_t size)
{
	if (fail_malloc > 0 && --fail_malloc == 0)
		return NULL;
	return __real_malloc(size);
}

static struct config cfg;
static struct options opts;
static struct hints hints;
static struct hints_rr hint_rr[2];
static struct core_env env;

static uint32_t fake_rand(uint32_t bound)
{
	(void)bound;
	return 0; /* deterministic: first candidate wins ties */
}

static void name(const char *text, uint8_t out[WIRE_NAME_MAX])
{
	assert_true(wire_name_from_text(text, out) > 0);
}

static int setup(void **state)
{
	(void)state;
	config_defaults(&cfg);
	cfg.do_not_query_localhost = false;
	cfg.do_ip6 = false;
	memset(hint_rr, 0, sizeof(hint_rr));
	name(".", hint_rr[0].owner);
	hint_rr[0].type = WIRE_T_NS;
	hint_rr[0].ttl = 3600000;
	hint_rr[0].rdlen = (uint16_t)wire_name_from_text("a.root.lab.", hint_rr[0].rdata);
	name("a.root.lab.", hint_rr[1].owner);
	hint_rr[1].type = WIRE_T_A;
	hint_rr[1].ttl = 3600000;
	hint_rr[1].rdlen = 4;
	inet_pton(AF_INET, "127.1.0.1", hint_rr[1].rdata);
	hints.rr = hint_rr;
	hints.n = 2;
	env.cache = cache_new(&(struct cache_opts){ 1 << 20, 0, 86400, 3600 });
	assert_non_null(env.cache);
	static const struct hash_key infra_key = { 1, 2 };
	env.infra = core_infra_new(&infra_key);
	assert_non_null(env.infra);
	options_from_config(&opts, &cfg);
	env.opts = &opts.core;
	env.hints = &hints;
	env.rand_uniform = fake_rand;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cache_free(env.cache);
	core_infra_free(env.infra);
	return 0;
}

/* ---- the fake internet -------------------------------------------------- */

struct frr {
	int section;
	uint8_t owner[WIRE_NAME_MAX];
	uint16_t type;
	uint32_t ttl;
	uint8_t rdata[512];
	uint16_t rdlen;
};

static struct {
	uint16_t flags;
	struct frr rr[32];
	size_t n;
} R;

static const char *down_addr;  /* this server never answers */
static const char *tc_addr;    /* this server truncates UDP replies */
static bool beta_extra;        /* lab. adds out-of-bailiwick records to beta's referral */

static void r_begin(uint16_t flags)
{
	R.flags = (uint16_t)(WIRE_F_QR | flags);
	R.n = 0;
}

static struct frr *r_add(int sec, const char *owner, uint16_t type)
{
	assert_true(R.n < 32);
	struct frr *r = &R.rr[R.n++];
	memset(r, 0, sizeof(*r));
	r->section = sec;
	name(owner, r->owner);
	r->type = type;
	r->ttl = 3600;
	return r;
}

static void r_name(int sec, const char *owner, uint16_t type, const char *target)
{
	struct frr *r = r_add(sec, owner, type);
	r->rdlen = (uint16_t)wire_name_from_text(target, r->rdata);
}

static void r_a(int sec, const char *owner, const char *ip)
{
	struct frr *r = r_add(sec, owner, WIRE_T_A);
	inet_pton(AF_INET, ip, r->rdata);
	r->rdlen = 4;
}

static void r_soa(const char *zone)
{
	struct frr *r = r_add(WIRE_SEC_NS, zone, WIRE_T_SOA);
	char buf[300];
	int l = 0;
	snprintf(buf, sizeof(buf), "ns.%s", zone);
	l += wire_name_from_text(buf, r->rdata);
	snprintf(buf, sizeof(buf), "host.%s", zone);
	l += wire_name_from_text(buf, r->rdata + l);
	static const uint32_t v[5] = { 1, 7200, 900, 86400, 300 };
	for (int i = 0; i < 5; i++) {
		r->rdata[l++] = (uint8_t)(v[i] >> 24);
		r->rdata[l++] = (uint8_t)(v[i] >> 16);
		r->rdata[l++] = (uint8_t)(v[i] >> 8);
		r->rdata[l++] = (uint8_t)v[i];
	}
	r->rdlen = (uint16_t)l;
}

static bool is(const uint8_t *qn, const char *text)
{
	uint8_t n[WIRE_NAME_MAX];
	name(text, n);
	return wire_name_eq(qn, n);
}

static bool under(const uint8_t *qn, const char *text)
{
	uint8_t n[WIRE_NAME_MAX];
	name(text, n);
	return wire_name_in(qn, n);
}

/* Fill R with what the server at ip would answer; false = no answer. */
static bool fake_server(const char *ip, const struct core_send *s)
{
	const uint8_t *q = s->qname;
	uint16_t t = s->qtype;
	if (down_addr != NULL && strcmp(ip, down_addr) == 0)
		return false;
	if (tc_addr != NULL && strcmp(ip, tc_addr) == 0 && !s->tcp) {
		r_begin(WIRE_F_AA | WIRE_F_TC);
		return true;
	}
	if (strcmp(ip, "127.1.0.1") == 0) { /* root */
		if (under(q, "lab.")) {
			r_begin(0);
			r_name(WIRE_SEC_NS, "lab.", WIRE_T_NS, "ns.lab.");
			r_a(WIRE_SEC_AR, "ns.lab.", "127.2.0.1");
		} else {
			r_begin(WIRE_F_AA | WIRE_RC_NXDOMAIN);
			r_soa(".");
		}
		return true;
	}
	if (strcmp(ip, "127.2.0.1") == 0) { /* lab. */
		if (under(q, "alpha.lab.")) {
			r_begin(0);
			r_name(WIRE_SEC_NS, "alpha.lab.", WIRE_T_NS, "ns1.alpha.lab.");
			r_name(WIRE_SEC_NS, "alpha.lab.", WIRE_T_NS, "ns2.alpha.lab.");
			r_a(WIRE_SEC_AR, "ns1.alpha.lab.", "127.10.0.1");
			r_a(WIRE_SEC_AR, "ns2.alpha.lab.", "127.10.0.2");
		} else if (under(q, "beta.lab.")) {
			r_begin(0);
			r_name(WIRE_SEC_NS, "beta.lab.", WIRE_T_NS, "ns.beta.lab.");
			r_a(WIRE_SEC_AR, "ns.beta.lab.", "127.11.0.1");
			if (beta_extra) {
				r_a(WIRE_SEC_AR, "www.alpha.lab.", "6.6.6.6");
				r_a(WIRE_SEC_AR, "evil.test.", "6.6.6.7");
			}
		} else if (is(q, "lab.")) {
			r_begin(WIRE_F_AA);
			r_soa("lab.");
		} else {
			r_begin(WIRE_F_AA | WIRE_RC_NXDOMAIN);
			r_soa("lab.");
		}
		return true;
	}
	if (strcmp(ip, "127.10.0.1") == 0 || strcmp(ip, "127.10.0.2") == 0) { /* alpha.lab. */
		r_begin(WIRE_F_AA);
		if (is(q, "www.alpha.lab.") && t == WIRE_T_A) {
			r_a(WIRE_SEC_AN, "www.alpha.lab.", "192.0.2.10");
		} else if (is(q, "c1.alpha.lab.") && t == WIRE_T_A) {
			r_name(WIRE_SEC_AN, "c1.alpha.lab.", WIRE_T_CNAME, "www.alpha.lab.");
			r_a(WIRE_SEC_AN, "www.alpha.lab.", "192.0.2.10");
		} else if (is(q, "www.alpha.lab.") || is(q, "c1.alpha.lab.") ||
			   is(q, "ns1.alpha.lab.") || is(q, "ns2.alpha.lab.") ||
			   is(q, "alpha.lab.")) {
			r_soa("alpha.lab."); /* NODATA */
		} else {
			R.flags |= WIRE_RC_NXDOMAIN;
			r_soa("alpha.lab.");
		}
		return true;
	}
	if (strcmp(ip, "127.11.0.1") == 0) { /* beta.lab. */
		r_begin(WIRE_F_AA);
		if (is(q, "x.beta.lab.") && t == WIRE_T_A)
			r_a(WIRE_SEC_AN, "x.beta.lab.", "192.0.2.20");
		else
			r_soa("beta.lab.");
		return true;
	}
	return false;
}

static struct wire_msg msg;
static uint8_t pkt[4096];

static void build_reply(const struct core_send *s)
{
	struct wire_wr w;
	wire_wr_init(&w, pkt, sizeof(pkt));
	wire_wr_header(&w, 0x1234, R.flags);
	wire_wr_name(&w, s->qname, true);
	wire_wr_u16(&w, s->qtype);
	wire_wr_u16(&w, s->qclass);
	wire_wr_set_count(&w, 0, 1);
	for (int sec = WIRE_SEC_AN; sec <= WIRE_SEC_AR; sec++) {
		uint16_t c = 0;
		for (size_t i = 0; i < R.n; i++) {
			if (R.rr[i].section != sec)
				continue;
			wire_wr_rr(&w, R.rr[i].owner, R.rr[i].type, WIRE_C_IN, R.rr[i].ttl,
				   R.rr[i].rdata, R.rr[i].rdlen);
			c++;
		}
		wire_wr_set_count(&w, sec, c);
	}
	assert_false(w.overflow);
	assert_int_equal(wire_parse(&msg, pkt, w.len), 0);
}

/* ---- the driver ----------------------------------------------------------- */

struct sent {
	char addr[INET_ADDRSTRLEN];
	char qname[300];
	uint16_t qtype;
	bool tcp;
};
static struct sent log_[CORE_MAX_SENDS + 1];
static size_t n_log;
static uint64_t now = 1000000;

static struct core_req *resolve(const char *qname_text, uint16_t qtype)
{
	uint8_t qn[WIRE_NAME_MAX];
	name(qname_text, qn);
	struct core_req *req = core_req_new(&env, qn, qtype, WIRE_C_IN);
	assert_non_null(req);
	n_log = 0;
	struct core_send s;
	while (core_req_next(req, now, &s) == CORE_SEND) {
		assert_true(n_log < CORE_MAX_SENDS);
		struct sent *l = &log_[n_log++];
		assert_int_equal(s.addr.ss_family, AF_INET);
		inet_ntop(AF_INET, &((struct sockaddr_in *)&s.addr)->sin_addr, l->addr,
			  sizeof(l->addr));
		wire_name_to_text(s.qname, l->qname, sizeof(l->qname));
		l->qtype = s.qtype;
		l->tcp = s.tcp;
		now += 10;
		if (fake_server(l->addr, &s)) {
			build_reply(&s);
			core_req_reply(req, &msg, 5, now);
		} else {
			now += 1000;
			core_req_fail(req, now);
		}
	}
	return req;
}

static void expect_addrs(const char *const *want, size_t n)
{
	if (n_log != n) {
		for (size_t i = 0; i < n_log; i++)
			print_message("sent %zu: %s %s %u tcp=%d\n", i, log_[i].addr,
				      log_[i].qname, log_[i].qtype, log_[i].tcp);
		fail_msg("expected %zu sends, got %zu", n, n_log);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(log_[i].addr, want[i]);
}

static void assert_a(const struct core_rr *rr, const char *owner, const char *ip)
{
	uint8_t want[4];
	assert_true(is(rr->owner, owner));
	assert_int_equal(rr->type, WIRE_T_A);
	assert_int_equal(rr->rdlen, 4);
	inet_pton(AF_INET, ip, want);
	assert_memory_equal(rr->rdata, want, 4);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_full_iteration(void **state)
{
	(void)state;
	struct core_req *req = resolve("www.alpha.lab.", WIRE_T_A);
	static const char *const want[] = { "127.1.0.1", "127.2.0.1", "127.10.0.1" };
	expect_addrs(want, 3);
	/* minimised: one label below each cut */
	assert_string_equal(log_[0].qname, "lab.");
	assert_string_equal(log_[1].qname, "alpha.lab.");
	assert_string_equal(log_[2].qname, "www.alpha.lab.");
	const struct core_answer *a = core_req_answer(req);
	assert_int_equal(a->rcode, 0);
	assert_int_equal(a->n_an, 1);
	assert_a(&a->an[0], "www.alpha.lab.", "192.0.2.10");
	core_req_free(req);
}

static void test_second_from_cache(void **state)
{
	(void)state;
	core_req_free(resolve("www.alpha.lab.", WIRE_T_A));
	assert_int_equal(n_log, 3);
	uint8_t qn[WIRE_NAME_MAX];
	name("www.alpha.lab.", qn);
	static struct core_answer out;
	assert_true(core_answer_from_cache(&env, qn, WIRE_T_A, WIRE_C_IN, false, now, &out));
	assert_int_equal(out.rcode, 0);
	assert_int_equal(out.n_an, 1);
	assert_a(&out.an[0], "www.alpha.lab.", "192.0.2.10");
	struct core_req *req = resolve("www.alpha.lab.", WIRE_T_A);
	assert_int_equal(n_log, 0);
	assert_int_equal(core_req_answer(req)->n_an, 1);
	core_req_free(req);
}

static void test_cname_chain(void **state)
{
	(void)state;
	struct core_req *req = resolve("c1.alpha.lab.", WIRE_T_A);
	const struct core_answer *a = core_req_answer(req);
	assert_int_equal(a->rcode, 0);
	assert_int_equal(a->n_an, 2);
	assert_true(is(a->an[0].owner, "c1.alpha.lab."));
	assert_int_equal(a->an[0].type, WIRE_T_CNAME);
	assert_true(is(a->an[0].rdata, "www.alpha.lab."));
	assert_a(&a->an[1], "www.alpha.lab.", "192.0.2.10");
	static const char *const want[] = { "127.1.0.1", "127.2.0.1", "127.10.0.1" };
	expect_addrs(want, 3);
	core_req_free(req);
}

static void test_nxdomain_cached(void **state)
{
	(void)state;
	struct core_req *req = resolve("nx.alpha.lab.", WIRE_T_A);
	const struct core_answer *a = core_req_answer(req);
	assert_int_equal(a->rcode, WIRE_RC_NXDOMAIN);
	assert_int_equal(a->n_an, 0);
	assert_int_equal(a->n_ns, 1);
	assert_int_equal(a->ns[0].type, WIRE_T_SOA);
	assert_true(is(a->ns[0].owner, "alpha.lab."));
	core_req_free(req);
	uint8_t qn[WIRE_NAME_MAX];
	name("nx.alpha.lab.", qn);
	static struct core_answer out;
	now += 1000;
	assert_true(core_answer_from_cache(&env, qn, WIRE_T_A, WIRE_C_IN, false, now, &out));
	assert_int_equal(out.rcode, WIRE_RC_NXDOMAIN);
	assert_int_equal(out.n_an, 0);
	/* NXDOMAIN holds for every type */
	assert_true(core_answer_from_cache(&env, qn, WIRE_T_TXT, WIRE_C_IN, false, now, &out));
	assert_int_equal(out.rcode, WIRE_RC_NXDOMAIN);
}

static void test_timeout_other_server(void **state)
{
	(void)state;
	down_addr = "127.10.0.1";
	struct core_req *req = resolve("www.alpha.lab.", WIRE_T_A);
	down_addr = NULL;
	static const char *const want[] = { "127.1.0.1", "127.2.0.1", "127.10.0.1",
					    "127.10.0.2" };
	expect_addrs(want, 4);
	const struct core_answer *a = core_req_answer(req);
	assert_int_equal(a->rcode, 0);
	assert_int_equal(a->n_an, 1);
	assert_a(&a->an[0], "www.alpha.lab.", "192.0.2.10");
	core_req_free(req);
}

static void test_tc_retries_tcp(void **state)
{
	(void)state;
	tc_addr = "127.10.0.1";
	struct core_req *req = resolve("www.alpha.lab.", WIRE_T_A);
	tc_addr = NULL;
	static const char *const want[] = { "127.1.0.1", "127.2.0.1", "127.10.0.1",
					    "127.10.0.1" };
	expect_addrs(want, 4);
	assert_false(log_[2].tcp);
	assert_true(log_[3].tcp);
	assert_string_equal(log_[3].qname, "www.alpha.lab.");
	assert_int_equal(log_[3].qtype, WIRE_T_A);
	const struct core_answer *a = core_req_answer(req);
	assert_int_equal(a->rcode, 0);
	assert_int_equal(a->n_an, 1);
	core_req_free(req);
}

static void test_out_of_bailiwick_not_cached(void **state)
{
	(void)state;
	beta_extra = true;
	struct core_req *req = resolve("x.beta.lab.", WIRE_T_A);
	beta_extra = false;
	static const char *const want[] = { "127.1.0.1", "127.2.0.1", "127.11.0.1" };
	expect_addrs(want, 3);
	const struct core_answer *a = core_req_answer(req);
	assert_int_equal(a->rcode, 0);
	assert_int_equal(a->n_an, 1);
	assert_a(&a->an[0], "x.beta.lab.", "192.0.2.20");
	core_req_free(req);
	struct cache_entry e;
	uint8_t n[WIRE_NAME_MAX];
	name("ns.beta.lab.", n);
	assert_true(cache_get(env.cache, n, WIRE_T_A, WIRE_C_IN, now, &e)); /* real glue kept */
	name("www.alpha.lab.", n);
	assert_false(cache_get(env.cache, n, WIRE_T_A, WIRE_C_IN, now, &e));
	name("evil.test.", n);
	assert_false(cache_get(env.cache, n, WIRE_T_A, WIRE_C_IN, now, &e));
	/* and a later lookup of www.alpha.lab still goes to alpha's servers */
	req = resolve("www.alpha.lab.", WIRE_T_A);
	assert_a(&core_req_answer(req)->an[0], "www.alpha.lab.", "192.0.2.10");
	core_req_free(req);
}

static void test_no_qname_minimisation(void **state)
{
	(void)state;
	opts.core.qname_minimisation = false;
	struct core_req *req = resolve("www.alpha.lab.", WIRE_T_A);
	static const char *const want[] = { "127.1.0.1", "127.2.0.1", "127.10.0.1" };
	expect_addrs(want, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(log_[i].qname, "www.alpha.lab.");
		assert_int_equal(log_[i].qtype, WIRE_T_A);
	}
	assert_int_equal(core_req_answer(req)->n_an, 1);
	core_req_free(req);
}

/* The OPT of a response advertises the size it is given (edns-buffer-size),
 * and there is none when the client sent none. */
static void test_response_opt_size(void **state)
{
	(void)state;
	struct core_req *req = resolve("c1.alpha.lab.", WIRE_T_A);
	uint8_t qn[WIRE_NAME_MAX], buf[1500];
	name("c1.alpha.lab.", qn);
	static const uint16_t sizes[] = { 512, 1232, 1400, 4096 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int len = core_write_response(buf, sizeof(buf), 7, WIRE_F_RD, qn, WIRE_T_A, WIRE_C_IN,
					      sizes[i], false, core_req_answer(req));
		assert_true(len > 0);
		assert_int_equal(wire_parse(&msg, buf, (size_t)len), 0);
		assert_true(msg.has_edns);
		assert_int_equal(msg.edns_udp, sizes[i]);
		assert_int_equal(msg.n_an, 2);
	}
	int len = core_write_response(buf, sizeof(buf), 7, WIRE_F_RD, qn, WIRE_T_A, WIRE_C_IN, 0,
				      false, core_req_answer(req));
	assert_true(len > 0);
	assert_int_equal(wire_parse(&msg, buf, (size_t)len), 0);
	assert_false(msg.has_edns);
	core_req_free(req);
}

/* Whichever allocation fails while a request runs, its answer is either
 * complete or SERVFAIL without records: never a shorter answer. */
static void oom_answers(const char *qname, uint16_t qtype, unsigned rcode, size_t n_an,
			size_t n_ns)
{
	/* a request kept for reuse, so that making one allocates nothing */
	core_req_free(resolve(qname, qtype));
	bool failed = false;
	for (int k = 1;; k++) {
		assert_true(k < 1000);
		teardown(NULL); /* an empty cache: the whole resolution runs again */
		setup(NULL);
		fail_malloc = k;
		struct core_req *req = resolve(qname, qtype);
		bool past_end = fail_malloc > 0; /* fewer than k allocations */
		fail_malloc = 0;
		const struct core_answer *a = core_req_answer(req);
		if (a->rcode == WIRE_RC_SERVFAIL) {
			assert_int_equal(a->n_an, 0);
			assert_int_equal(a->n_ns, 0);
			failed = true;
		} else {
			assert_int_equal(a->rcode, rcode);
			assert_int_equal(a->n_an, n_an);
			assert_int_equal(a->n_ns, n_ns);
		}
		core_req_free(req);
		if (past_end)
			break;
	}
	assert_true(failed); /* some allocation did fail the request */
}

static void test_oom_never_shortens_an_answer(void **state)
{
	(void)state;
	oom_answers("c1.alpha.lab.", WIRE_T_A, WIRE_RC_NOERROR, 2, 0);  /* CNAME + A */
	oom_answers("nope.alpha.lab.", WIRE_T_A, WIRE_RC_NXDOMAIN, 0, 1); /* SOA */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_iteration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_from_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cname_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oom_never_shortens_an_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response_opt_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nxdomain_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_other_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tc_retries_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_bailiwick_not_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_qname_minimisation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
