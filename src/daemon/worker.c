/* worker: one client-facing event loop (see worker.h for the design). This
 * file reads queries, applies the access list, answers cache hits and hands
 * misses to worker 0 (daemon/request.h); it reads its own inbox. */
#include "daemon/worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/pcache.h"
#include "daemon/admit.h"
#include "daemon/config.h"
#include "daemon/options.h"
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
	uint16_t id = (uint16_t)(pkt[0] << 8 | pkt[1]);
	uint16_t flags = (uint16_t)(pkt[2] << 8 | pkt[3]);
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
__attribute__((noinline)) static bool admit_local(struct wctx *x, const struct listen_client *c,
						  const uint8_t *pkt, size_t len,
						  uint16_t max_size)
{
	const struct wire_msg *m = &x->qmsg;
	const struct config *cfg = x->w->cfg;
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

/* True on worker 0's loop thread, the resolution thread (set by
 * worker_start, which runs there). */
static _Thread_local bool resolver_thread;

static bool on_query(void *ud, const struct listen_client *c, const uint8_t *pkt, size_t len)
{
	struct wctx *x = ud;
	struct worker *w = x->w;
	const struct config *cfg = w->cfg;
	if (c->tcp)
		WSTAT_ADD(&x->stats, client_tcp, 1);
	else
		WSTAT_ADD(&x->stats, client_udp, 1);
	if (len < WIRE_HDR_LEN || (pkt[2] & 0x80))
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
	unsigned op_rcode = admit_opcode((uint16_t)(pkt[2] << 8 | pkt[3]));
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
	if (!admit_plain(m) && admit_local(x, c, pkt, len, max_size))
		return false;
	/* The time the listener read the query: one clock read per batch. */
	if (core_answer_from_cache(env, m->qname, m->qtype, m->qclass, (m->flags & WIRE_F_CD) != 0,
				   c->rx_ms, &x->cached)) {
		WSTAT_ADD(&x->stats, cache_hits, 1);
		int n = respond(x, c, m->id, m->flags, m->qname, m->qtype, m->qclass,
				m->has_edns ? cfg->edns_buffer_size : 0, client_do(m), max_size, &x->cached);
		if (n > 0 && x->pc != NULL && !c->tcp)
			pcache_keep(x->pc, pkt, len, x->out, (size_t)n, c->rx_ms, gen);
		return false;
	}
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
	struct creq *r = req_inbox_take(&w->inbox, &stop), *next;
	for (; r != NULL; r = next) {
		next = r->next;
		r->next = NULL;
		if (w->idx == 0)
			req_resolve(w->rq, r); /* a miss from another thread */
		else
			req_finish(r);         /* an answer (or a release) coming back */
	}
	if (stop && w->idx != 0 && !w->inbox.closed)
		close_self(w);
}

/* ---- life cycle ----------------------------------------------------------- */

int worker_new(struct worker **out, unsigned idx, uv_loop_t *loop, const struct config *cfg,
	       const struct listen_opts *lopts,
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
	w->cfg = cfg;
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
	w->main.w = w;
	if (idx == 0) {
		rq->resolver = &w->inbox;
		rq->stats = &w->main.stats;
	}
	int rc = listen_open(&w->ls, loop, lopts, on_query, &w->main, reuseport, err, errlen);
	if (rc != 0)
		return rc;
	w->n_udp = listen_n_udp(w->ls);
	w->udp = calloc(w->n_udp ? w->n_udp : 1, sizeof(*w->udp));
	if (w->udp == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	uint32_t size = cfg->packet_cache_size;
	for (size_t i = 0; i < w->n_udp; i++) {
		w->udp[i].w = w;
		if (size == 0)
			continue;
		uint32_t seed;
		rand_bytes(&seed, sizeof(seed));
		if ((w->udp[i].pc = pcache_new(size, seed)) == NULL) {
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
		struct creq *r = req_inbox_take(&w->inbox, NULL), *next;
		for (; r != NULL; r = next) {
			next = r->next;
			req_return(r);
		}
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
		struct creq *r = req_inbox_take(&w->inbox, NULL), *next;
		for (; r != NULL; r = next) {
			next = r->next;
			req_drop(r);
		}
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
