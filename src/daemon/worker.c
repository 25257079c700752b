/* worker: one client-facing event loop (see worker.h for the design). This
 * file reads queries, applies the access list, answers cache hits and hands
 * misses to worker 0; it also moves requests between the workers' inboxes. */
#include "daemon/worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/pcache.h"
#include "daemon/admit.h"
#include "daemon/config.h"
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

/* Write and send a response; its length (it stays in x->out), or -1. */
static int respond(struct wctx *x, const struct listen_client *c, uint16_t id, uint16_t flags,
		   const uint8_t *qname, uint16_t qtype, uint16_t qclass, bool edns,
		   uint16_t max_size, const struct core_answer *a)
{
	int len = core_write_response(x->out, max_size, id, flags, qname, qtype, qclass, edns, a);
	if (len < 0)
		return -1;
	count_rcode(x, a->rcode);
	listen_respond(c, x->out, (size_t)len);
	return len;
}

void worker_respond(struct worker *w, struct creq *r, const struct core_answer *a)
{
	struct wctx *x = &w->main;
	int len = core_write_response(x->out, r->max_size, r->id, r->flags, r->qname, r->qtype,
				      r->qclass, r->edns, a);
	if (len < 0)
		return;
	count_rcode(x, a->rcode);
	/* A TCP connection may only be written on its own worker's loop. */
	if (r->client.tcp && r->origin != w) {
		r->answer = malloc((size_t)len);
		if (r->answer != NULL) {
			memcpy(r->answer, x->out, (size_t)len);
			r->answer_len = (size_t)len;
		}
		return;
	}
	listen_respond(&r->client, x->out, (size_t)len);
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
	switch (admit_query(server_cfg(x->w->s), m, &x->cached)) {
	case ADMIT_RESOLVE:
		return false;
	case ADMIT_ANSWER:
		respond(x, c, m->id, m->flags, m->qname, m->qtype, m->qclass, m->has_edns, max_size,
			&x->cached);
		return true;
	case ADMIT_ERROR:
		respond_error(x, c, pkt, len, x->cached.rcode);
		return true;
	}
	return false;
}

static void on_query(void *ud, const struct listen_client *c, const uint8_t *pkt, size_t len)
{
	struct wctx *x = ud;
	struct worker *w = x->w;
	const struct config *cfg = server_cfg(w->s);
	if (c->tcp)
		WSTAT_ADD(&x->stats, client_tcp, 1);
	else
		WSTAT_ADD(&x->stats, client_udp, 1);
	if (len < WIRE_HDR_LEN || (pkt[2] & 0x80))
		return; /* not a query at all: never answer a response */
	x->qmsg.has_question = false;
	if (!allowed(cfg, &c->peer)) {
		WSTAT_ADD(&x->stats, refused, 1);
		if (wire_parse(&x->qmsg, pkt, len) != 0)
			x->qmsg.has_question = false;
		respond_error(x, c, pkt, len, WIRE_RC_REFUSED);
		return;
	}
	/* The packet cache (UDP readers): the same bytes were answered from the
	 * cache before. The flush generation is read before any lookup, so an
	 * answer kept below holds nothing a flush removed since. */
	const struct core_env *env = server_env(w->s);
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
			return;
		}
	}
	bool parsed = wire_parse(&x->qmsg, pkt, len) == 0 && x->qmsg.has_question;
	/* An opcode we do not serve is NOTIMP whatever the rest holds. */
	unsigned op_rcode = admit_opcode((uint16_t)(pkt[2] << 8 | pkt[3]));
	if (op_rcode != 0) {
		if (!parsed)
			x->qmsg.has_question = false;
		respond_error(x, c, pkt, len, op_rcode);
		return;
	}
	if (!parsed) {
		WSTAT_ADD(&x->stats, formerr, 1);
		x->qmsg.has_question = false;
		respond_error(x, c, pkt, len, WIRE_RC_FORMERR);
		return;
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
		return;
	/* The time the listener read the query: one clock read per batch. */
	if (core_answer_from_cache(env, m->qname, m->qtype, m->qclass, c->rx_ms, &x->cached)) {
		WSTAT_ADD(&x->stats, cache_hits, 1);
		int n = respond(x, c, m->id, m->flags, m->qname, m->qtype, m->qclass, m->has_edns,
				max_size, &x->cached);
		if (n > 0 && x->pc != NULL && !c->tcp)
			pcache_keep(x->pc, pkt, len, x->out, (size_t)n, c->rx_ms, gen,
				    x->cached.fresh_ms);
		if (x->cached.prefetch)
			server_prefetch(w->s, x->resolver, m->qname, m->qtype, m->qclass);
		return;
	}
	WSTAT_ADD(&x->stats, cache_misses, 1);
	struct creq *r = server_creq_get(w->s);
	if (r == NULL) {
		respond_error(x, c, pkt, len, WIRE_RC_SERVFAIL);
		return;
	}
	r->origin = w;
	r->id = m->id;
	r->flags = m->flags;
	r->qtype = m->qtype;
	r->qclass = m->qclass;
	r->edns = m->has_edns;
	r->max_size = max_size;
	wire_name_copy(r->qname, m->qname);
	listen_client_hold(&r->client, c);
	if (x->resolver)
		server_resolve(w->s, r);
	else
		worker_post(server_worker(w->s, 0), r);
}

/* ---- inboxes -------------------------------------------------------------- */

static struct creq *inbox_take(struct worker *w, bool *stop)
{
	pthread_mutex_lock(&w->mu);
	struct creq *list = w->inbox_head;
	w->inbox_head = w->inbox_tail = NULL;
	if (stop != NULL)
		*stop = w->stop;
	pthread_mutex_unlock(&w->mu);
	return list;
}

void worker_post(struct worker *w, struct creq *r)
{
	r->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->inbox_tail != NULL)
		w->inbox_tail->next = r;
	else
		w->inbox_head = r;
	w->inbox_tail = r;
	/* Under the lock: the owner closes the handle only after setting
	 * closed under the same lock, so the handle is alive here. */
	if (!w->closed)
		uv_async_send(&w->wake);
	pthread_mutex_unlock(&w->mu);
}

/* Release a returned client on its own thread (or after every thread has
 * ended) and recycle the request. */
static void finish_returned(struct creq *r)
{
	if (r->answer != NULL)
		listen_respond(&r->client, r->answer, r->answer_len);
	listen_client_release(&r->client);
	free(r->answer);
	r->answer = NULL;
	server_creq_put(r->s, r);
}

void worker_return(struct creq *r)
{
	if (r->client.tcp && r->origin->idx != 0) {
		worker_post(r->origin, r);
		return;
	}
	finish_returned(r);
}

static void close_self(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->closed = true;
	pthread_mutex_unlock(&w->mu);
	uv_close((uv_handle_t *)&w->wake, NULL);
	listen_close(w->ls);
}

static void on_wake(uv_async_t *h)
{
	struct worker *w = h->data;
	bool stop = false;
	struct creq *r = inbox_take(w, &stop), *next;
	for (; r != NULL; r = next) {
		next = r->next;
		r->next = NULL;
		if (w->idx == 0)
			server_resolve(w->s, r); /* a miss from another worker */
		else
			finish_returned(r);      /* an answer (or a release) coming back */
	}
	if (stop && w->idx != 0 && !w->closed)
		close_self(w);
}

/* ---- life cycle ----------------------------------------------------------- */

int worker_new(struct worker **out, struct server *s, unsigned idx, uv_loop_t *loop,
	       bool reuseport, char *err, size_t errlen)
{
	struct worker *w = calloc(1, sizeof(*w));
	*out = w;
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	w->s = s;
	w->idx = idx;
	pthread_mutex_init(&w->mu, NULL);
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
	uv_async_init(loop, &w->wake, on_wake);
	w->wake.data = w;
	w->wake_init = true;
	w->main.w = w;
	w->main.resolver = idx == 0;
	int rc = listen_open(&w->ls, loop, server_cfg(s), on_query, &w->main, reuseport, err,
			     errlen);
	if (rc != 0)
		return rc;
	w->n_udp = listen_n_udp(w->ls);
	w->udp = calloc(w->n_udp ? w->n_udp : 1, sizeof(*w->udp));
	if (w->udp == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	uint32_t size = server_cfg(s)->packet_cache_size;
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
	if (w == NULL || !w->wake_init)
		return;
	if (w->idx == 0) {
		if (w->closed)
			return;
		close_self(w);
		/* Misses handed over but not yet started go back unanswered. */
		struct creq *r = inbox_take(w, NULL), *next;
		for (; r != NULL; r = next) {
			next = r->next;
			worker_return(r);
		}
		return;
	}
	if (!w->thread_started) {
		/* Never ran: close its handles and let its loop finish them here. */
		if (!w->closed)
			close_self(w);
		uv_run(w->loop, UV_RUN_DEFAULT);
		return;
	}
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	if (!w->closed)
		uv_async_send(&w->wake);
	pthread_mutex_unlock(&w->mu);
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
	struct creq *r = inbox_take(w, NULL), *next;
	for (; r != NULL; r = next) {
		next = r->next;
		free(r->answer);
		r->answer = NULL;
		listen_client_release(&r->client);
		server_creq_put(r->s, r);
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
	pthread_mutex_destroy(&w->mu);
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
