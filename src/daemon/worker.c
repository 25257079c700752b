/* worker: one client-facing event loop (see worker.h for the design). This
 * file reads queries, applies the access list, answers cache hits and hands
 * misses to worker 0 (daemon/request.h); it reads its own inbox. */
#include "daemon/worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/cache.h"
#include "cache/pcache.h"
#include "core/localzone.h"
#include "daemon/admit.h"
#include "daemon/config.h"
#include "daemon/dnstap.h"
#include "daemon/lathist.h"
#include "daemon/options.h"
#include "daemon/qlog.h"
#include "util/err.h"
#include "util/log.h"
#include "util/rand.h"

/* ---- access control ------------------------------------------------------- */

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

static const uint8_t *addr_bytes(const struct sockaddr_storage *sa, int *family)
{
	*family = sa->ss_family;
	if (sa->ss_family == AF_INET)
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	return (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
}

static bool allowed(const struct config *cfg, const struct sockaddr_storage *peer)
{
	int family;
	const uint8_t *a = addr_bytes(peer, &family);
	if (cfg->n_acl == 0) {
		/* default: loopback only */
		if (family == AF_INET)
			return a[0] == 127;
		return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)a);
	}
	const struct config_acl *best = NULL;
	for (size_t i = 0; i < cfg->n_acl; i++) {
		const struct config_acl *acl = &cfg->acl[i];
		int f;
		const uint8_t *net = addr_bytes(&acl->net, &f);
		if (f == family && prefix_match(a, net, acl->prefix) &&
		    (best == NULL || acl->prefix >= best->prefix))
			best = acl;
	}
	return best != NULL && best->allow;
}

/* ---- answering ------------------------------------------------------------ */

static void count_rcode(struct wctx *x, unsigned rcode)
{
	if (rcode < 6)
		WSTAT_ADD(&x->stats, rcode[rcode], 1);
}

/* The DO bit of the client's OPT (false without one): DNSSEC records are
 * given to that client, and the response's OPT echoes it. */
static bool client_do(const struct wire_msg *m)
{
	return m->has_edns && m->edns_do;
}

/* Write and send a response; its length (it stays in x->out), or -1. */
static int respond(struct wctx *x, const struct listen_client *c, uint16_t id, uint16_t flags,
		   const uint8_t *qname, uint16_t qtype, uint16_t qclass, uint16_t edns_size,
		   bool dnssec_ok, uint16_t max_size, const struct core_answer *a)
{
	int len = core_write_response(x->out, max_size, id, flags, qname, qtype, qclass, edns_size,
				      dnssec_ok, a);
	if (len < 0)
		return -1;
	count_rcode(x, a->rcode);
	listen_respond(c, x->out, (size_t)len);
	return len;
}

/* An error response with only a header (and question when we have one). */
static void respond_error(struct wctx *x, const struct listen_client *c, const uint8_t *pkt,
			  size_t len, unsigned rcode)
{
	struct wire_wr wr;
	uint16_t id, flags;
	if (wire_rd_header(pkt, len, &id, &flags) != 0)
		return;
	wire_wr_init(&wr, x->out, 512);
	wire_wr_header(&wr, id, (uint16_t)(WIRE_F_QR | WIRE_F_RA | (flags & (WIRE_F_RD | 0x7800)) | rcode));
	if (rcode != WIRE_RC_FORMERR && x->qmsg.has_question && len >= WIRE_HDR_LEN) {
		wire_wr_name(&wr, x->qmsg.qname, false);
		wire_wr_u16(&wr, x->qmsg.qtype);
		wire_wr_u16(&wr, x->qmsg.qclass);
		wire_wr_set_count(&wr, 0, 1);
	}
	if (!wr.overflow) {
		count_rcode(x, rcode);
		listen_respond(c, x->out, wr.len);
	}
}

/* A query that is not plainly an IN question: answer it here when
 * admission says so (true), else it goes on to the cache. Kept out of
 * on_query so that the common path stays as small as it was. */
__attribute__((noinline)) static bool admit_local(struct wctx *x, const struct config *cfg,
						  const struct listen_client *c,
						  const uint8_t *pkt, size_t len,
						  uint16_t max_size)
{
	const struct wire_msg *m = &x->qmsg;
	switch (admit_query(cfg, m, &x->cached)) {
	case ADMIT_RESOLVE:
		return false;
	case ADMIT_ANSWER:
		respond(x, c, m->id, m->flags, m->qname, m->qtype, m->qclass,
			m->has_edns ? cfg->edns_buffer_size : 0, client_do(m), max_size, &x->cached);
		return true;
	case ADMIT_ERROR:
		respond_error(x, c, pkt, len, x->cached.rcode);
		return true;
	}
	return false;
}

/* An inform zone's line: "ZONE inform ADDR@PORT NAME TYPE IN", as
 * Unbound logs it. */
static void log_inform(const struct listen_client *c, const uint8_t *zone,
		       const struct wire_msg *m)
{
	char z[1024], q[1024], addr[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (c->peer.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&c->peer;
		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		port = ntohs(sin->sin_port);
	} else if (c->peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&c->peer;
		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		port = ntohs(sin6->sin6_port);
	}
	if (wire_name_to_text(zone, z, sizeof(z)) < 0)
		strcpy(z, "?");
	if (wire_name_to_text(m->qname, q, sizeof(q)) < 0)
		strcpy(q, "?");
	log_notice("%s inform %s@%u %s TYPE%u IN", z, addr, port, q, m->qtype);
}

/* Local zones (core/localzone.h), asked on a cache miss only: the cache
 * keeps nothing a local zone answers for (core/iter.c asks the table
 * before every put, and a control change flushes the names it shadows),
 * so a cache hit cannot stand in for a local answer, and cached answers
 * pay nothing for local zones. True when the query was answered (or
 * dropped) here. */
__attribute__((noinline)) static bool local_zone(struct wctx *x, const struct config *cfg,
						 const struct listen_client *c,
						 struct lz_table *lz, uint16_t max_size)
{
	const struct wire_msg *m = &x->qmsg;
	bool inform;
	uint8_t zone[WIRE_NAME_MAX];
	enum lz_verdict v = lz_answer(lz, m->qname, m->qtype, &x->cached, &inform, zone);
	if (inform)
		log_inform(c, zone, m);
	if (v == LZ_RESOLVE)
		return false;
	if (v == LZ_DROP)
		return true;
	int len = core_write_response(x->out, max_size, m->id, m->flags, m->qname, m->qtype,
				      m->qclass, m->has_edns ? cfg->edns_buffer_size : 0,
				      client_do(m), &x->cached);
	if (len < 0)
		return true;
	x->out[2] |= (uint8_t)(WIRE_F_AA >> 8); /* answers for local zones are authoritative */
	count_rcode(x, x->cached.rcode);
	listen_respond(c, x->out, (size_t)len);
	return true;
}

/* True on worker 0's loop thread, the resolution thread (set by
 * worker_start, which runs there). */
static _Thread_local bool resolver_thread;

static bool on_query(void *ud, const struct listen_client *c, const uint8_t *pkt, size_t len)
{
	struct wctx *x = ud;
	struct worker *w = x->w;
	/* The configuration in force, once per query and not kept past it
	 * (daemon/reload.c frees a replaced one after a grace period): a
	 * plain load on x86, the acquire pairing with the reload's release
	 * store so that its contents are seen whole. */
	const struct config *cfg = atomic_load_explicit(w->cfg, memory_order_acquire);
	if (c->tcp)
		WSTAT_ADD(&x->stats, client_tcp, 1);
	else
		WSTAT_ADD(&x->stats, client_udp, 1);
	uint16_t hdr_id, hdr_flags;
	if (wire_rd_header(pkt, len, &hdr_id, &hdr_flags) != 0 || (hdr_flags & WIRE_F_QR))
		return false; /* not a query at all: never answer a response */
	x->qmsg.has_question = false;
	if (!allowed(cfg, &c->peer)) {
		WSTAT_ADD(&x->stats, refused, 1);
		if (wire_parse(&x->qmsg, pkt, len) != 0)
			x->qmsg.has_question = false;
		respond_error(x, c, pkt, len, WIRE_RC_REFUSED);
		return false;
	}
	/* The packet cache (UDP readers): the same bytes were answered from the
	 * cache before. The flush generation is read before any lookup, so an
	 * answer kept below holds nothing a flush removed since. */
	const struct core_env *env = w->env;
	uint64_t gen = 0;
	if (x->pc != NULL && !c->tcp) {
		gen = cache_flush_gen(env->cache);
		unsigned rcode;
		size_t n = pcache_answer(x->pc, pkt, len, c->rx_ms, gen, x->out, sizeof(x->out),
					 &rcode);
		if (n != 0) {
			WSTAT_ADD(&x->stats, cache_hits, 1);
			WSTAT_ADD(&x->stats, packet_hits, 1);
			count_rcode(x, rcode);
			listen_respond(c, x->out, n);
			return false;
		}
	}
	bool parsed = wire_parse(&x->qmsg, pkt, len) == 0 && x->qmsg.has_question;
	/* An opcode we do not serve is NOTIMP whatever the rest holds. */
	unsigned op_rcode = admit_opcode(hdr_flags);
	if (op_rcode != 0) {
		if (!parsed)
			x->qmsg.has_question = false;
		respond_error(x, c, pkt, len, op_rcode);
		return false;
	}
	if (!parsed) {
		WSTAT_ADD(&x->stats, formerr, 1);
		x->qmsg.has_question = false;
		respond_error(x, c, pkt, len, WIRE_RC_FORMERR);
		return false;
	}
	const struct wire_msg *m = &x->qmsg;
	uint16_t max_size = 65535;
	if (!c->tcp) {
		max_size = 512;
		if (m->has_edns) {
			max_size = m->edns_udp < 512 ? 512 : m->edns_udp;
			if (max_size > cfg->edns_buffer_size)
				max_size = cfg->edns_buffer_size;
		}
	}
	/* Answered here, or refused, never sent upstream (admit.h). */
	if (!admit_plain(m) && admit_local(x, cfg, c, pkt, len, max_size))
		return false;
	/* The time the listener read the query: one clock read per batch. */
	bool cd = (m->flags & WIRE_F_CD) != 0;
	/* DNS64 (core/dns64.h): an AAAA answer may be made from A records,
	 * except for a client that validates itself (CD and DO). */
	bool dns64 = m->qtype == WIRE_T_AAAA && env->opts->dns64 != NULL && !(cd && client_do(m));
	if (dns64 ? core_answer_dns64(env, m->qname, m->qclass, cd, c->rx_ms, &x->cached)
		  : core_answer_from_cache(env, m->qname, m->qtype, m->qclass, cd, c->rx_ms,
					   &x->cached)) {
		WSTAT_ADD(&x->stats, cache_hits, 1);
		int n = respond(x, c, m->id, m->flags, m->qname, m->qtype, m->qclass,
				m->has_edns ? cfg->edns_buffer_size : 0, client_do(m), max_size, &x->cached);
		if (n > 0 && x->pc != NULL && !c->tcp)
			pcache_keep(x->pc, pkt, len, x->out, (size_t)n, c->rx_ms, gen,
				    x->cached.fresh_ms);
		if (x->cached.prefetch) {
			req_prefetch(w->rq, resolver_thread, m->qname, m->qtype, m->qclass);
			if (dns64)
				req_prefetch(w->rq, resolver_thread, m->qname, WIRE_T_A, m->qclass);
		}
		return false;
	}
	struct lz_table *lz = env->local; /* one atomic load (a reload swaps it) */
	if (lz != NULL && local_zone(x, cfg, c, lz, max_size))
		return false;
	WSTAT_ADD(&x->stats, cache_misses, 1);
	struct creq *r = req_get(w->rq);
	if (r == NULL) {
		respond_error(x, c, pkt, len, WIRE_RC_SERVFAIL);
		return false;
	}
	r->home = &w->inbox;
	r->id = m->id;
	r->flags = m->flags;
	r->qtype = m->qtype;
	r->qclass = m->qclass;
	r->edns = m->has_edns;
	r->edns_do = client_do(m);
	r->max_size = max_size;
	r->rx_us = x->obs_t0_us; /* 0 unless observed (on_query_obs) */
	wire_name_copy(r->qname, m->qname);
	listen_client_hold(&r->client, c);
	/* Worker 0's loop resolves in place, whether the query came from its
	 * own TCP or from a UDP socket it reads while misses are common
	 * (listen_udp_adaptive); any other thread hands the miss on. */
	if (resolver_thread)
		req_resolve(w->rq, r);
	else
		req_inbox_post(w->rq->resolver, r);
	return true;
}

/* ---- observation ---------------------------------------------------------- */

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* An answer worker 0 wrote for a request (request.c's req_observe_fn,
 * set only when metrics-interface, log-replies or dnstap's client responses
 * are on; ud is worker 0's loop context, the thread this runs on): dnstap's
 * client response, the latency from the read of the query (a miss), its
 * line. */
static void respond_observed(void *ud, const struct creq *r, unsigned rcode, const uint8_t *out,
			     size_t len)
{
	struct wctx *x = ud;
	if (x->obs_dt_cr)
		dnstap_send(x->dt, DNSTAP_CLIENT_RESPONSE, &r->client.peer, r->client.tcp, out, len);
	if (r->rx_us == 0 && !x->obs_logr)
		return;
	uint64_t t = now_us();
	uint64_t us = r->rx_us != 0 && t > r->rx_us ? t - r->rx_us : 0;
	if (r->rx_us != 0)
		lat_hist_add(&x->stats.lat_miss, us, 1);
	if (x->obs_logr)
		qlog_reply(&r->client.peer, r->qname, r->qtype, r->qclass, rcode, us, false, len);
}

/* After a UDP reader has sent a batch's answers (listen.h), with metrics
 * on: every cache hit of the batch left with that send, so each took the
 * time from the batch's first query to now. Two clock reads per batch,
 * nothing per answer. */
static void on_batch_sent(void *ud)
{
	struct wctx *x = ud;
	if (x->batch_t0_us == 0)
		return;
	uint64_t hits = atomic_load_explicit(&x->stats.cache_hits, memory_order_relaxed);
	if (hits != x->hits_mark)
		lat_hist_add(&x->stats.lat_hit, now_us() - x->batch_t0_us, hits - x->hits_mark);
	x->hits_mark = hits;
	x->batch_t0_us = 0;
}

/* An answer given while the query was in hand (observed mode), in
 * x->out: for a TCP cache hit its latency (a UDP hit's is taken per batch,
 * in on_batch_sent), dnstap's client response, its line for log-replies.
 * Its size is read from the message only for those two. */
static void obs_answered(struct wctx *x, const struct listen_client *c, uint64_t t0_us,
			 unsigned rcode, bool hit)
{
	bool tcp_hit = hit && c->tcp && x->obs_metrics;
	if (!tcp_hit && !x->obs_logr && !x->obs_dt_cr)
		return; /* metrics alone, over UDP: on_batch_sent does it all */
	uint64_t t = now_us();
	if (tcp_hit)
		lat_hist_add(&x->stats.lat_hit, t - t0_us, 1);
	if (!x->obs_logr && !x->obs_dt_cr)
		return;
	size_t len = qlog_msg_len(x->out, sizeof(x->out));
	if (len == 0)
		return;
	if (x->obs_dt_cr)
		dnstap_send(x->dt, DNSTAP_CLIENT_RESPONSE, &c->peer, c->tcp, x->out, len);
	if (x->obs_logr && x->obs_has_q)
		qlog_reply(&c->peer, x->obs_qname, x->obs_qtype, x->obs_qclass, rcode, t - t0_us, hit,
			   len);
}

/* Observed mode, before the query is read: dnstap's client query, the
 * batch's start time (UDP) or the query's (TCP), the question for the log
 * lines and the query's line. Returns the start time (0 without metrics or
 * log-replies). */
static uint64_t obs_query(struct wctx *x, const struct listen_client *c, const uint8_t *pkt,
			  size_t len)
{
	uint64_t t0 = 0;
	if (x->obs_dt_cq)
		dnstap_send(x->dt, DNSTAP_CLIENT_QUERY, &c->peer, c->tcp, pkt, len);
	if (x->obs_metrics || x->obs_logr) {
		if (c->tcp)
			t0 = now_us();
		else if ((t0 = x->batch_t0_us) == 0)
			t0 = x->batch_t0_us = now_us();
	}
	x->obs_has_q = false;
	if (x->obs_logq || x->obs_logr) {
		uint16_t id, flags;
		x->obs_has_q = wire_parse_question(pkt, len, &id, &flags, x->obs_qname, &x->obs_qtype,
						   &x->obs_qclass) == 0;
		if (x->obs_logq && x->obs_has_q)
			qlog_query(&c->peer, x->obs_qname, x->obs_qtype, x->obs_qclass);
	}
	return t0;
}

/* The observed reading (metrics-interface, log-queries, log-replies,
 * dnstap client messages): around the very function that reads without
 * observing, so that one has no trace of it. What that function did is
 * read afterwards: an answer it wrote is in x->out (whose QR bit is
 * cleared before), a miss moved cache_misses (its answer is observed when
 * worker 0 sends it, respond_observed), a hit moved cache_hits. */
static bool on_query_obs(void *ud, const struct listen_client *c, const uint8_t *pkt, size_t len)
{
	struct wctx *x = ud;
	uint16_t hdr_id, hdr_flags;
	if (wire_rd_header(pkt, len, &hdr_id, &hdr_flags) != 0 || (hdr_flags & WIRE_F_QR))
		return on_query(ud, c, pkt, len); /* not a query (or a reader's wake-up) */
	uint64_t t0 = obs_query(x, c, pkt, len);
	uint64_t hits = atomic_load_explicit(&x->stats.cache_hits, memory_order_relaxed);
	uint64_t misses = atomic_load_explicit(&x->stats.cache_misses, memory_order_relaxed);
	x->obs_t0_us = t0;
	x->out[2] = 0;
	bool handed = on_query(ud, c, pkt, len);
	x->obs_t0_us = 0;
	if (misses != atomic_load_explicit(&x->stats.cache_misses, memory_order_relaxed) ||
	    !(x->out[2] & 0x80))
		return handed; /* answered later, or not at all */
	bool hit = hits != atomic_load_explicit(&x->stats.cache_hits, memory_order_relaxed);
	obs_answered(x, c, t0, x->out[3] & 0x0f, hit);
	return handed;
}

/* ---- inbox --------------------------------------------------------------- */

static void close_self(struct worker *w)
{
	req_inbox_close(&w->inbox);
	listen_close(w->ls);
}

static void on_wake(uv_async_t *h)
{
	struct worker *w = h->data;
	bool stop = false;
	struct list got;
	req_inbox_take(&w->inbox, &got, &stop);
	list_each(n, &got) {
		struct creq *r = list_item(n, struct creq, link);
		if (w->idx == 0)
			req_resolve(w->rq, r); /* a miss from another thread */
		else
			req_finish(r);         /* an answer (or a release) coming back */
	}
	if (stop && w->idx != 0 && !w->inbox.closed)
		close_self(w);
}

/* ---- life cycle ----------------------------------------------------------- */

int worker_new(struct worker **out, unsigned idx, uv_loop_t *loop,
	       _Atomic(const struct config *) *live, const struct listen_opts *lopts,
	       const struct core_env *env, struct req_table *rq, bool reuseport, char *err,
	       size_t errlen)
{
	struct worker *w = calloc(1, sizeof(*w));
	*out = w;
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	w->idx = idx;
	w->cfg = live;
	/* What only a restart changes (packet-cache-size) is read once here. */
	const struct config *cfg = atomic_load_explicit(live, memory_order_acquire);
	w->env = env;
	w->rq = rq;
	if (idx > 0) {
		int rc = uv_loop_init(&w->own_loop);
		if (rc != 0) {
			snprintf(err, errlen, "worker %u: cannot create its event loop: %s", idx,
				 uv_strerror(rc));
			return PC_EIO;
		}
		loop = &w->own_loop;
	}
	w->loop = loop;
	req_inbox_init(&w->inbox, loop, on_wake, w);
	bool metrics = cfg->metrics_on, logq = cfg->log_queries, logr = cfg->log_replies;
	bool dt_cq = cfg->dnstap_enable && cfg->dnstap_client_query;
	bool dt_cr = cfg->dnstap_enable && cfg->dnstap_client_response;
	bool obs = metrics || logq || logr || dt_cq || dt_cr;
	w->main.w = w;
	w->main.obs_metrics = metrics;
	w->main.obs_logq = logq;
	w->main.obs_logr = logr;
	w->main.obs_dt_cq = dt_cq;
	w->main.obs_dt_cr = dt_cr;
	if (idx == 0) {
		rq->resolver = &w->inbox;
		rq->stats = &w->main.stats;
		/* Worker 0's answers to requests are observed on its loop
		 * thread, with its loop context (respond_observed). */
		if (metrics || logr || dt_cr) {
			rq->observe = respond_observed;
			rq->observe_ud = &w->main;
		}
	}
	int rc = listen_open(&w->ls, loop, lopts, obs ? on_query_obs : on_query, &w->main,
			     reuseport, err, errlen);
	if (rc != 0)
		return rc;
	if (metrics)
		listen_on_batch_sent(w->ls, on_batch_sent);
	w->n_udp = listen_n_udp(w->ls);
	w->udp = calloc(w->n_udp ? w->n_udp : 1, sizeof(*w->udp));
	if (w->udp == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	uint32_t size = cfg->packet_cache_size;
	for (size_t i = 0; i < w->n_udp; i++) {
		w->udp[i].w = w;
		w->udp[i].obs_metrics = metrics;
		w->udp[i].obs_logq = logq;
		w->udp[i].obs_logr = logr;
		w->udp[i].obs_dt_cq = dt_cq;
		w->udp[i].obs_dt_cr = dt_cr;
		if (size == 0)
			continue;
		if ((w->udp[i].pc = pcache_new(size)) == NULL) {
			snprintf(err, errlen, "out of memory (packet-cache-size %u)", size);
			return PC_ENOMEM;
		}
	}
	return 0;
}

int worker_share(struct worker *w, struct worker *first, char *err, size_t errlen)
{
	int rc = listen_share(w->ls, first->ls);
	if (rc != 0)
		snprintf(err, errlen, "worker %u: cannot share the UDP sockets' reading: %s", w->idx,
			 rc == PC_ENOMEM ? "out of memory"
			 : rc == PC_EIO ? strerror(errno)
					: "its sockets differ from worker 0's");
	return rc;
}

static void worker_main(void *arg)
{
	struct worker *w = arg;
	uv_run(w->loop, UV_RUN_DEFAULT);
}

unsigned worker_n_threads(const struct worker *w)
{
	return 1 + (unsigned)w->n_udp;
}

void worker_set_dnstap(struct worker *w, struct dnstap *d, unsigned *next)
{
	w->main.dt = dnstap_queue(d, (*next)++);
	for (size_t i = 0; i < w->n_udp; i++)
		w->udp[i].dt = dnstap_queue(d, (*next)++);
}

int worker_start(struct worker *w)
{
	if (w->idx == 0) {
		resolver_thread = true; /* this is worker 0's loop thread */
		if (listen_udp_adaptive(w->ls) != 0)
			return PC_EIO;
	}
	for (size_t i = 0; i < w->n_udp; i++)
		if (listen_udp_start(w->ls, i, &w->udp[i]) != 0)
			return PC_EIO;
	if (w->idx == 0)
		return 0; /* its loop is the main thread's */
	int rc = uv_thread_create(&w->thread, worker_main, w);
	if (rc != 0)
		return PC_EIO;
	w->thread_started = true;
	return 0;
}

void worker_stop(struct worker *w)
{
	if (w == NULL || !w->inbox.init)
		return;
	if (w->idx == 0) {
		if (w->inbox.closed)
			return;
		close_self(w);
		/* Misses handed over but not yet started go back unanswered. */
		struct list got;
		req_inbox_take(&w->inbox, &got, NULL);
		list_each(n, &got)
			req_return(list_item(n, struct creq, link));
		return;
	}
	if (!w->thread_started) {
		/* Never ran: close its handles and let its loop finish them here. */
		if (!w->inbox.closed)
			close_self(w);
		uv_run(w->loop, UV_RUN_DEFAULT);
		return;
	}
	req_inbox_ask_stop(&w->inbox);
}

void worker_join(struct worker *w)
{
	if (w != NULL && w->thread_started) {
		uv_thread_join(&w->thread);
		w->thread_started = false;
	}
}

void worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	/* Every thread has ended: what is still queued can be released here. */
	if (w->inbox.init) {
		struct list got;
		req_inbox_take(&w->inbox, &got, NULL);
		list_each(n, &got)
			req_drop(list_item(n, struct creq, link));
		req_inbox_destroy(&w->inbox);
	}
	if (w->idx > 0 && w->loop != NULL) {
		int rc = uv_loop_close(&w->own_loop);
		if (rc != 0)
			log_warn("worker %u: event loop still busy at exit: %s", w->idx, uv_strerror(rc));
	}
	listen_free(w->ls);
	for (size_t i = 0; w->udp != NULL && i < w->n_udp; i++)
		pcache_free(w->udp[i].pc);
	free(w->udp);
	free(w);
}

static uint64_t ctx_stat(const struct wctx *x, size_t off)
{
	const _Atomic uint64_t *v = (const _Atomic uint64_t *)((const char *)&x->stats + off);
	return atomic_load_explicit(v, memory_order_relaxed);
}

uint64_t worker_stat(const struct worker *w, size_t off)
{
	uint64_t sum = ctx_stat(&w->main, off);
	for (size_t i = 0; i < w->n_udp; i++)
		sum += ctx_stat(&w->udp[i], off);
	return sum;
}
