/* Fuzz target: upstream replies against an outstanding query.
 *
 * Each input is one resolution. A fresh core environment (small cache,
 * infra, a fake root at a.root.lab. = 127.1.0.1, do-not-query-localhost
 * normally off, a deterministic rand) resolves one question; every query the core sends is
 * answered by the next chunk of the input, until the core is done or the
 * input ends (then queries time out, TAIL_FAILS of them, and a request still
 * not done is freed mid-flight). The answer is written as a client response,
 * which must parse again, and the cache is read back: the question answered
 * from the cache alone, the names queried, and the question once more as a
 * new request that only ever sees timeouts.
 *
 * Input:
 *   byte 0   scenario: bits 0-2 the question (table below), bit 3 QNAME
 *            minimisation off, bit 4 harden-glue off, bit 5 do-ip6 (the root
 *            also has ::1 in the hints), bit 6 forward example-lab.org.
 *            to 127.9.0.1/.2, bit 7 stub example-lab.org. at 127.8.0.1
 *   byte 1   bits 0-2 rand seed, bit 3 do-not-query-localhost on (then
 *            b.root.lab. = 192.0.2.1 joins the hints, and only servers
 *            outside 127/8 and ::1 are asked),
 *            bit 4 tiny cache (4 KiB, evicts all the time) instead of 1 MiB,
 *            bit 5 client sent EDNS, bits 6-7 the response buffer (512,
 *            1232, 4096, 65535 bytes)
 *   then chunks: a 2-byte big-endian word, bit 15 "as is", bits 0-14 the
 *            length, then that many bytes (fewer if the input ends first).
 *            Length 0: the outstanding query times out (core_req_fail).
 *            As is: the bytes are the datagram. Every datagram, made or
 *            as is, goes through the daemon's own reply check
 *            (net/match.h match_reply: from the server on the query's
 *            socket, ID, QR, QTYPE, QCLASS and the 0x20-cased name exactly,
 *            the name lowercased in place, the whole message parses) and
 *            reaches the core only when it is accepted; a dropped one
 *            leaves the query outstanding, as in the daemon. The ID
 *            expected is 0x5000 + the query's number, the name's case
 *            pattern fixed_case() below for "as is" replies.
 *            Otherwise the bytes are a reply made to match: the header's ID
 *            and QR are set, QDCOUNT is 1 and the chunk's own question (if
 *            any) is replaced by the query's; the rest follows unchanged.
 *
 * FUZZ_REPLY_TRACE=1 in the environment prints every step to stderr (to
 * check seeds and replay findings). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "core/core.h"
#include "core/hints.h"
#include "daemon/config.h"
#include "daemon/options.h"
#include "net/match.h"
#include "util/err.h"
#include "wire/wire.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *name;
	uint16_t type;
} questions[8] = {
	{ "www.example-lab.org.", WIRE_T_A },
	{ "www.example-lab.org.", WIRE_T_MX },
	{ "www.example-lab.org.", WIRE_T_CNAME },
	{ "alias.example-lab.org.", WIRE_T_A },
	{ "www.example-lab.org.", WIRE_T_AAAA },
	{ "example-lab.org.", WIRE_T_NS },
	{ "nx.example-lab.org.", WIRE_T_TXT },
	{ "deep.a.b.c.example-lab.org.", WIRE_T_A },
};

static struct config cfg;
static struct options opts; /* the core's part of cfg */
static struct hints hints;
static struct hints_rr hint_rr[5];
static uint8_t qnames[8][WIRE_NAME_MAX];
static bool trace;

/* Big buffers, reused: the parsed reply, the client response and its parse. */
static struct wire_msg reply_msg, resp_msg;
static uint8_t pkt[2 * 65536];
static uint8_t resp[65536];
static struct core_answer cached;

/* ---- environment ---------------------------------------------------------- */

static uint32_t rng;

static uint32_t fuzz_rand(uint32_t bound)
{
	rng = rng * 1103515245u + 12345u;
	return bound ? (rng >> 8) % bound : 0;
}

static void set_addr(struct config_addr *a, const char *ip)
{
	if (config_parse_addr(ip, 53, a) != 0)
		abort();
}

static void make_zone(struct config_zone *z, const char *zone, const char *a1, const char *a2)
{
	memset(z, 0, sizeof(*z));
	if (wire_name_from_text(zone, z->name) <= 0)
		abort();
	set_addr(&z->addrs[z->n_addrs++], a1);
	if (a2 != NULL)
		set_addr(&z->addrs[z->n_addrs++], a2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	trace = getenv("FUZZ_REPLY_TRACE") != NULL;
	config_defaults(&cfg);
	cfg.do_not_query_localhost = false;
	make_zone(&cfg.forward[0], "example-lab.org.", "127.9.0.1", "127.9.0.2");
	make_zone(&cfg.stub[0], "example-lab.org.", "127.8.0.1", NULL);
	/* a.root.lab. (127.1.0.1, ::1) always; b.root.lab. (192.0.2.1) only
	 * with do-not-query-localhost, which leaves a.root.lab. unusable. */
	static const struct {
		const char *owner;
		uint16_t type;
		const char *data;
	} h[5] = {
		{ ".", WIRE_T_NS, "a.root.lab." },
		{ "a.root.lab.", WIRE_T_A, "127.1.0.1" },
		{ "a.root.lab.", WIRE_T_AAAA, "::1" },
		{ ".", WIRE_T_NS, "b.root.lab." },
		{ "b.root.lab.", WIRE_T_A, "192.0.2.1" },
	};
	memset(hint_rr, 0, sizeof(hint_rr));
	for (size_t i = 0; i < 5; i++) {
		struct hints_rr *r = &hint_rr[i];
		if (wire_name_from_text(h[i].owner, r->owner) <= 0)
			abort();
		r->type = h[i].type;
		r->ttl = 3600000;
		if (r->type == WIRE_T_NS)
			r->rdlen = (uint16_t)wire_name_from_text(h[i].data, r->rdata);
		else if (r->type == WIRE_T_A)
			r->rdlen = inet_pton(AF_INET, h[i].data, r->rdata) == 1 ? 4 : 0;
		else
			r->rdlen = inet_pton(AF_INET6, h[i].data, r->rdata) == 1 ? 16 : 0;
		if (r->rdlen == 0)
			abort();
	}
	hints.rr = hint_rr;
	hints.n = 5;
	for (size_t i = 0; i < 8; i++)
		if (wire_name_from_text(questions[i].name, qnames[i]) <= 0)
			abort();
	return 0;
}

/* ---- helpers ----------------------------------------------------------------- */

static void show_send(unsigned n, const struct core_send *s)
{
	char addr[INET6_ADDRSTRLEN] = "?", name[WIRE_NAME_MAX * 4 + 2];
	if (s->addr.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&s->addr)->sin_addr, addr,
			  sizeof(addr));
	else if (s->addr.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&s->addr)->sin6_addr, addr,
			  sizeof(addr));
	wire_name_to_text(s->qname, name, sizeof(name));
	fprintf(stderr, "send %u: %s %s type %u%s%s\n", n, addr, name, s->qtype,
		s->tcp ? " tcp" : "", s->rd ? " rd" : "");
}

/* The 0x20 pattern the "as is" replies must echo: fixed per query number. */
static void fixed_case(uint8_t *name, unsigned n)
{
	uint8_t bits[WIRE_NAME_MAX / 8 + 1];
	for (size_t i = 0; i < sizeof(bits); i++)
		bits[i] = (uint8_t)(0xa5 ^ (n * 0x3b) ^ (i * 0x11));
	wire_name_apply_case(name, bits);
}

/* Offset just past the question of a chunk, or 12 when it has none that
 * can be skipped. */
static size_t question_end(const uint8_t *c, size_t len)
{
	if (len < WIRE_HDR_LEN || ((c[4] << 8) | c[5]) == 0)
		return WIRE_HDR_LEN;
	size_t i = WIRE_HDR_LEN;
	while (i < len) {
		if (c[i] == 0) {
			i++;
			break;
		}
		if ((c[i] & 0xc0) == 0xc0) {
			i += 2;
			break;
		}
		if (c[i] > WIRE_LABEL_MAX)
			return WIRE_HDR_LEN;
		i += (size_t)c[i] + 1;
	}
	i += 4;
	return i <= len ? i : WIRE_HDR_LEN;
}

/* Build the datagram for query n from a chunk into pkt and judge it with
 * the daemon's reply check; MATCH_ACCEPT leaves it parsed in reply_msg. */
static int fuzz_sock; /* the pool socket the query left from (its address) */

static enum match_verdict make_datagram(const uint8_t *c, size_t len, bool as_is, unsigned n,
					const struct core_send *s)
{
	uint16_t id = (uint16_t)(0x5000 + n);
	uint8_t want[WIRE_NAME_MAX];
	wire_name_copy(want, s->qname);
	size_t o = 0;
	if (as_is) {
		fixed_case(want, n);
		memcpy(pkt, c, len);
		o = len;
	} else {
		uint8_t hdr[WIRE_HDR_LEN] = { 0 };
		memcpy(hdr, c, len < WIRE_HDR_LEN ? len : WIRE_HDR_LEN);
		size_t rest = question_end(c, len);
		hdr[0] = (uint8_t)(id >> 8);
		hdr[1] = (uint8_t)id;
		hdr[2] |= 0x80; /* QR */
		hdr[4] = 0;
		hdr[5] = 1;
		size_t nl = wire_name_len(s->qname);
		memcpy(pkt, hdr, WIRE_HDR_LEN);
		o = WIRE_HDR_LEN;
		memcpy(pkt + o, s->qname, nl);
		o += nl;
		pkt[o++] = (uint8_t)(s->qtype >> 8);
		pkt[o++] = (uint8_t)s->qtype;
		pkt[o++] = (uint8_t)(s->qclass >> 8);
		pkt[o++] = (uint8_t)s->qclass;
		if (rest < len) {
			memcpy(pkt + o, c + rest, len - rest);
			o += len - rest;
		}
	}
	const struct match_query q = {
		.sock = &fuzz_sock, .server = &s->addr, .id = id, .qname = want,
		.qtype = s->qtype, .qclass = s->qclass,
	};
	const struct match_dgram d = {
		.sock = &fuzz_sock, .from = &s->addr, .pkt = pkt, .len = o, .outstanding = 1,
	};
	struct match_info info;
	enum match_verdict v = match_reply(&q, &d, &reply_msg, &info);
	if (v == MATCH_ACCEPT) {
		/* what was accepted is what was asked, its name now lowercase */
		uint8_t lower[WIRE_NAME_MAX];
		wire_name_copy(lower, s->qname);
		wire_name_lower(lower);
		if (reply_msg.id != id || !(reply_msg.flags & WIRE_F_QR) ||
		    !reply_msg.has_question || reply_msg.qtype != s->qtype ||
		    reply_msg.qclass != s->qclass || !wire_name_eq(reply_msg.qname, lower) ||
		    !info.case_echoed)
			abort();
		if (memcmp(pkt + WIRE_HDR_LEN, want, wire_name_len(want)) == 0 &&
		    !wire_name_eq_exact(want, lower))
			abort(); /* the question was left in its 0x20 case */
	} else if (v >= MATCH_N || match_verdict_name(v)[0] == '?') {
		abort();
	}
	return v;
}

static volatile uint32_t sink;

static void touch_rr(const struct core_rr *rr)
{
	size_t l = wire_name_len(rr->owner);
	if (l == 0 || l > WIRE_NAME_MAX)
		abort();
	uint32_t s = rr->type + rr->rclass + rr->ttl + rr->owner[l - 1];
	for (size_t i = 0; i < rr->rdlen; i++)
		s += rr->rdata[i];
	sink += s;
}

/* Write the answer as a client response and parse that again. */
static void check_answer(const struct core_answer *a, const uint8_t *qname, uint16_t qtype,
			 size_t cap, bool edns)
{
	if (a->n_an > CORE_MAX_ANSWER || a->n_ns > sizeof(a->ns) / sizeof(a->ns[0]))
		abort();
	if (a->rcode != WIRE_RC_NOERROR && a->rcode != WIRE_RC_NXDOMAIN &&
	    a->rcode != WIRE_RC_SERVFAIL)
		abort();
	for (size_t i = 0; i < a->n_an; i++)
		touch_rr(&a->an[i]);
	for (size_t i = 0; i < a->n_ns; i++)
		touch_rr(&a->ns[i]);
	/* With DO every record of the answer is written, so the counts below
	 * are the answer's own. */
	int len = core_write_response(resp, cap, 0xbeef, WIRE_F_RD, qname, qtype, WIRE_C_IN,
				      edns ? 1232 : 0, edns, a);
	if (len == PC_ESPACE)
		return;
	if (len < WIRE_HDR_LEN || (size_t)len > cap)
		abort();
	int rc = wire_parse(&resp_msg, resp, (size_t)len);
	if (rc == PC_ESPACE)
		return; /* more records than the parser keeps: not a defect */
	if (rc != 0 || resp_msg.id != 0xbeef || !resp_msg.has_question ||
	    !wire_name_eq_exact(resp_msg.qname, qname) || resp_msg.qtype != qtype ||
	    resp_msg.has_edns != edns || wire_msg_rcode(&resp_msg) != a->rcode)
		abort();
	if (!(resp_msg.flags & WIRE_F_TC) &&
	    (resp_msg.n_an != a->n_an || resp_msg.n_ns != a->n_ns))
		abort();
}

/* Look a name up in the cache for a few types, both ways (the writer's
 * borrowed cache_get and the readers' cache_get_copy, which must agree),
 * and read everything that comes back. */
static uint64_t copy_buf[(128u * 1024u) / sizeof(uint64_t)];

static uint32_t sum_entry(const struct cache_entry *e)
{
	uint32_t s = e->ttl + e->kind + e->rank + e->type;
	for (size_t i = 0; i < e->n_rdata; i++) {
		struct cache_rdata rd = cache_entry_rdata(e, i);
		for (size_t j = 0; j < rd.len; j++)
			s = s * 31 + rd.data[j];
		s += rd.len;
	}
	for (size_t i = 0; i < e->n_soa; i++) {
		struct cache_rdata rd = cache_entry_soa(e, i);
		for (size_t j = 0; j < rd.len; j++)
			s = s * 31 + rd.data[j];
	}
	for (size_t i = 0; i < e->n_extra; i++) {
		struct cache_rr x = cache_entry_extra(e, i);
		for (size_t j = 0; j < wire_name_len(x.owner); j++)
			s = s * 31 + x.owner[j];
		for (size_t j = 0; j < x.rdlen; j++)
			s = s * 31 + x.rdata[j];
		s += x.type;
	}
	return s;
}

static void probe_cache(struct cache *c, const uint8_t *name, uint64_t now)
{
	static const uint16_t types[] = { WIRE_T_A, WIRE_T_NS, WIRE_T_CNAME, WIRE_T_AAAA,
					  WIRE_T_MX };
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		struct cache_entry e, ec;
		size_t used = cache_get_copy(c, name, types[t], WIRE_C_IN, now, &ec, copy_buf,
					     sizeof(copy_buf));
		if (used > sizeof(copy_buf) || used % 8 != 0)
			abort();
		uint32_t sc = used ? sum_entry(&ec) : 0;
		bool hit = cache_get(c, name, types[t], WIRE_C_IN, now, &e);
		if (hit != (used != 0))
			abort(); /* the two lookups disagree on hit or miss */
		if (!hit)
			continue;
		if (e.kind != ec.kind || e.type != ec.type || e.n_rdata != ec.n_rdata ||
		    e.n_soa != ec.n_soa || !wire_name_eq_exact(e.owner, ec.owner) ||
		    sum_entry(&e) != sc)
			abort(); /* ... or on what the entry holds */
		sink += sc;
	}
}

/* ---- one input ------------------------------------------------------------- */

#define MAX_PROBE 16 /* distinct names read back from the cache */
/* Timeouts a request gets once the input has ended before it is dropped:
 * enough to reach the retry and give-up paths with a few servers, without
 * spending most of the time walking 64 sends through long server lists. */
#define TAIL_FAILS 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[4] = { 512, 1232, 4096, 65535 };
	if (size < 2)
		return 0;
	uint8_t sc = data[0], opt = data[1];
	unsigned qi = sc & 7;
	cfg.qname_minimisation = !(sc & 0x08);
	cfg.harden_glue = !(sc & 0x10);
	cfg.do_ip6 = (sc & 0x20) != 0;
	cfg.n_forward = (sc & 0x40) ? 1 : 0;
	cfg.n_stub = (sc & 0x80) ? 1 : 0;
	rng = opt & 0x07;
	cfg.do_not_query_localhost = (opt & 0x08) != 0;
	options_from_config(&opts, &cfg);
	hints.n = cfg.do_not_query_localhost ? 5 : cfg.do_ip6 ? 3 : 2;
	bool edns = (opt & 0x20) != 0;
	size_t cap = caps[opt >> 6];

	struct core_env env = { 0 };
	env.opts = &opts.core;
	env.hints = &hints;
	env.rand_uniform = fuzz_rand;
	opts.cache.cache_size = (opt & 0x10) ? 4096 : (1u << 20);
	env.cache = cache_new(&opts.cache);
	static const struct hash_key infra_key = { 1, 2 };
	env.infra = core_infra_new(&infra_key);
	struct core_req *req = NULL;
	if (env.cache == NULL || env.infra == NULL)
		goto out;
	req = core_req_new(&env, qnames[qi], questions[qi].type, WIRE_C_IN);
	if (req == NULL)
		goto out;

	static uint8_t probe[MAX_PROBE][WIRE_NAME_MAX];
	size_t n_probe = 0;
	uint64_t now = 1000000000;
	unsigned n = 0;
	size_t pos = 2;
	unsigned tail = 0; /* timeouts after the input ended */
	bool done = false;
	struct core_send s;
	while (!(done = core_req_next(req, now, &s) == CORE_DONE)) {
		if (size - pos < 2 && ++tail > TAIL_FAILS)
			break; /* give up mid-flight, as when a client goes away */
		if (++n > CORE_MAX_SENDS + 1)
			abort(); /* the core promised to stop at CORE_MAX_SENDS */
		if (wire_name_len(s.qname) > WIRE_NAME_MAX || s.addrlen == 0 ||
		    s.addrlen > sizeof(s.addr) ||
		    (s.addr.ss_family != AF_INET && s.addr.ss_family != AF_INET6))
			abort();
		if (!cfg.do_ip6 && s.addr.ss_family == AF_INET6)
			abort();
		if (n_probe < MAX_PROBE && (n_probe == 0 || !wire_name_eq(probe[n_probe - 1], s.qname)))
			wire_name_copy(probe[n_probe++], s.qname);
		if (trace)
			show_send(n, &s);
		now += 5;
		/* Replies for this query until one is accepted or it times out. */
		bool answered = false;
		while (!answered) {
			if (size - pos < 2) {
				if (trace)
					fprintf(stderr, "  input ends: timeout\n");
				now += s.timeout_ms;
				core_req_fail(req, now);
				break;
			}
			uint16_t w = (uint16_t)(data[pos] << 8 | data[pos + 1]);
			pos += 2;
			size_t len = w & 0x7fff;
			bool as_is = (w & 0x8000) != 0;
			if (len > size - pos)
				len = size - pos;
			const uint8_t *c = data + pos;
			pos += len;
			if (len == 0) {
				if (trace)
					fprintf(stderr, "  timeout\n");
				now += s.timeout_ms;
				core_req_fail(req, now);
				break;
			}
			enum match_verdict v = make_datagram(c, len, as_is, n, &s);
			if (v != MATCH_ACCEPT) {
				if (trace)
					fprintf(stderr, "  %zu bytes%s: %s, dropped\n", len,
						as_is ? " as is" : "", match_verdict_name(v));
				continue;
			}
			if (trace)
				fprintf(stderr, "  reply: flags %04x an %zu ns %zu ar %zu\n",
					reply_msg.flags, reply_msg.n_an, reply_msg.n_ns,
					reply_msg.n_ar);
			core_req_reply(req, &reply_msg, 1 + (uint32_t)(len % 200), now);
			answered = true;
		}
	}
	if (done) {
		const struct core_answer *a = core_req_answer(req);
		if (trace)
			fprintf(stderr, "done: rcode %u an %zu ns %zu\n", a->rcode, a->n_an,
				a->n_ns);
		check_answer(a, qnames[qi], questions[qi].type, cap, edns);
	} else if (trace) {
		fprintf(stderr, "not done: request freed mid-flight\n");
	}
	core_req_free(req);
	req = NULL;

	/* What went into the cache: the answer from the cache alone, then the
	 * names the queries asked about, then the same question again with no
	 * server answering (cache-fed iteration, retries, giving up). */
	now += 1000;
	if (core_answer_from_cache(&env, qnames[qi], questions[qi].type, WIRE_C_IN, false, now,
				   &cached))
		check_answer(&cached, qnames[qi], questions[qi].type, cap, edns);
	for (size_t i = 0; i < n_probe; i++)
		probe_cache(env.cache, probe[i], now);
	req = core_req_new(&env, qnames[qi], questions[qi].type, WIRE_C_IN);
	if (req == NULL)
		goto out;
	n = 0;
	while (!(done = core_req_next(req, now, &s) == CORE_DONE) && ++n <= TAIL_FAILS) {
		now += s.timeout_ms;
		core_req_fail(req, now);
	}
	if (done)
		check_answer(core_req_answer(req), qnames[qi], questions[qi].type, cap, edns);
out:
	core_req_free(req);
	/* core_req_free keeps requests for reuse: the second request above took
	 * the first one's, which exercises that path; give them all back now so
	 * that nothing carries over to the next input and ASan sees the frees. */
	core_req_trim();
	if (env.infra != NULL)
		core_infra_free(env.infra);
	if (env.cache != NULL)
		cache_free(env.cache);
	return 0;
}
