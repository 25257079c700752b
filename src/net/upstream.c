#include "net/upstream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/guard.h"
#include "net/recv.h"
#include "net/srvstate.h"
#include "util/err.h"
#include "util/log.h"
#include "util/rand.h"
#include "util/sockaddr.h"

#define BUCKETS 8192u        /* (socket, ID) -> transaction: 64 KB, which stays in
                              * the CPU caches where 512 KB did not */
#define SRV_BUCKETS 4096u    /* (socket, server) -> transactions */
#define MERGE_BUCKETS 4096u  /* (server, question) -> transaction */
#define ID_DRAWS 32
#define TCP_MAX 65535
#define QBUF (512 + 64)
#define MISMATCH_BATCH 64
#define RCODE_BADCOOKIE 23   /* RFC 7873: extended rcode */
#define TCP_RETRY_MIN_MS 1000u
#define TCP_RETRY_MAX_MS 10000u

/* Why a transaction went over TCP after starting on UDP. */
enum retry_why { WHY_ID, WHY_CASE, WHY_COOKIE, WHY_FRAGMENT };

struct up_tx;

/* One caller waiting for a transaction: the handle up_send returns. */
struct up_query {
	struct up_tx *tx;
	up_done_fn done;
	void *ud;
	struct up_query *next;
	bool cancelled; /* cancelled while its transaction was notifying */
};

/* One question on the wire to one server, with every caller waiting for it. */
struct up_tx {
	struct upstream *u;
	struct up_query *waiters;
	struct up_tx *all_prev, *all_next; /* every live transaction, for up_close */
	struct pool_sock *sock;            /* UDP: the socket it waits on, while in_table */
	uint16_t id;
	struct sockaddr_storage server;
	socklen_t slen;
	uint8_t qname[WIRE_NAME_MAX];      /* as last sent: case pattern included */
	uint8_t zone[WIRE_NAME_MAX];       /* the zone the server serves */
	uint16_t qtype, qclass;
	bool rd;
	bool caps;                         /* randomise letter case */
	bool cookie_sent;
	uint8_t cookie[SRV_CLIENT_COOKIE]; /* the client cookie sent with it */
	bool case_retry, cookie_retry, badcookie_resent;
	uint64_t sent_at;
	uint32_t timeout_ms;
	struct up_tx *next;  /* (socket, ID) chain */
	struct up_tx *snext; /* (socket, server) chain */
	struct up_tx *mnext; /* merge chain */
	uint32_t shash, mhash;
	bool finished, in_table, in_merge;
	int open_handles;
	uv_timer_t timer;
	/* TCP only */
	bool tcp;
	uv_tcp_t tcph;
	uv_connect_t conn;
	uv_write_t wr;
	uint8_t out[2 + QBUF];
	size_t out_len;
	uint8_t *in;
	size_t in_len;
};

struct upstream {
	uv_loop_t *loop;
	const struct up_opts *opts;
	struct pool pool;
	struct up_stats stats;
	struct up_tx *table[BUCKETS];
	struct up_tx *by_server[SRV_BUCKETS];
	struct up_tx *merge[MERGE_BUCKETS];
	struct up_tx *all;
	uint32_t seed;
	struct srvstate srv;
	struct guard guard;
	struct wire_msg msg; /* parse space for the reply being matched */
	up_alarm_fn alarm;
	void *alarm_ud;
	/* Ended transactions kept for reuse (linked by next): a transaction is
	 * about 2 KB, past glibc's per-thread cache, and its malloc and free
	 * were a visible share of an upstream query. */
	struct up_tx *spare;
	unsigned n_spare;
};

#define TX_SPARE_MAX 256

/* The loop's time, read once per loop iteration: the clock reads of a
 * miss's sends and replies were a measurable share of it, and a reply's
 * timing needs no finer grain than the loop's turn. The same clock as
 * clock_now_ms (CLOCK_MONOTONIC, in ms). */
static uint64_t loop_ms(const struct upstream *u)
{
	return uv_now(u->loop);
}

/* ---- tables ------------------------------------------------------------ */

static uint32_t bucket(uint64_t sock_serial, uint16_t id)
{
	return (((uint32_t)sock_serial * 2654435761u) ^ id) & (BUCKETS - 1);
}

static uint32_t server_bucket(uint64_t sock_serial, uint32_t shash)
{
	return (((uint32_t)sock_serial * 2654435761u) ^ shash) & (SRV_BUCKETS - 1);
}

static struct up_tx *lookup(struct upstream *u, const struct pool_sock *s, uint16_t id)
{
	for (struct up_tx *t = u->table[bucket(s->serial, id)]; t != NULL; t = t->next)
		if (t->sock == s && t->id == id)
			return t;
	return NULL;
}

static void table_insert(struct up_tx *t, struct pool_sock *s)
{
	struct upstream *u = t->u;
	t->sock = s;
	uint32_t b = bucket(s->serial, t->id);
	t->next = u->table[b];
	u->table[b] = t;
	b = server_bucket(s->serial, t->shash);
	t->snext = u->by_server[b];
	u->by_server[b] = t;
	t->in_table = true;
	pool_sock_sent(s);
}

/* Leave both UDP tables; a datagram for it is then unsolicited or a bad ID. */
static void table_remove(struct up_tx *t)
{
	if (!t->in_table)
		return;
	struct upstream *u = t->u;
	struct up_tx **pp = &u->table[bucket(t->sock->serial, t->id)];
	while (*pp != t)
		pp = &(*pp)->next;
	*pp = t->next;
	pp = &u->by_server[server_bucket(t->sock->serial, t->shash)];
	while (*pp != t)
		pp = &(*pp)->snext;
	*pp = t->snext;
	t->in_table = false;
	struct pool_sock *s = t->sock;
	t->sock = NULL;
	pool_sock_done(s); /* may close a retired socket: s is gone after this */
}

static uint32_t merge_hash(const struct upstream *u, const struct sockaddr_storage *server,
			   const uint8_t *qname, uint16_t qtype, uint16_t qclass, bool rd)
{
	uint32_t h = srv_addr_hash(server, u->seed) ^ wire_name_hash(qname, u->seed);
	h ^= ((uint32_t)qtype << 16 | qclass) * 2654435761u;
	return rd ? ~h : h;
}

static struct up_tx *merge_find(struct upstream *u, const struct core_send *s)
{
	uint32_t h = merge_hash(u, &s->addr, s->qname, s->qtype, s->qclass, s->rd);
	for (struct up_tx *t = u->merge[h & (MERGE_BUCKETS - 1)]; t != NULL; t = t->mnext)
		if (t->mhash == h && !t->finished && t->qtype == s->qtype &&
		    t->qclass == s->qclass && t->rd == s->rd && sockaddr_equal(&t->server, &s->addr) &&
		    wire_name_eq(t->qname, s->qname))
			return t;
	return NULL;
}

static void merge_insert(struct up_tx *t)
{
	struct upstream *u = t->u;
	t->mhash = merge_hash(u, &t->server, t->qname, t->qtype, t->qclass, t->rd);
	struct up_tx **head = &u->merge[t->mhash & (MERGE_BUCKETS - 1)];
	t->mnext = *head;
	*head = t;
	t->in_merge = true;
}

static void merge_remove(struct up_tx *t)
{
	if (!t->in_merge)
		return;
	struct up_tx **pp = &t->u->merge[t->mhash & (MERGE_BUCKETS - 1)];
	while (*pp != t)
		pp = &(*pp)->mnext;
	*pp = t->mnext;
	t->in_merge = false;
}

static void all_link(struct up_tx *t)
{
	struct upstream *u = t->u;
	t->all_prev = NULL;
	t->all_next = u->all;
	if (u->all != NULL)
		u->all->all_prev = t;
	u->all = t;
}

static void all_unlink(struct up_tx *t)
{
	if (t->all_prev != NULL)
		t->all_prev->all_next = t->all_next;
	else if (t->u->all == t)
		t->u->all = t->all_next;
	if (t->all_next != NULL)
		t->all_next->all_prev = t->all_prev;
	t->all_prev = t->all_next = NULL;
}

/* ---- life of a transaction --------------------------------------------- */

static void handle_closed(uv_handle_t *h)
{
	struct up_tx *t = h->data;
	if (--t->open_handles == 0) {
		struct up_query *w;
		while ((w = t->waiters) != NULL) {
			t->waiters = w->next;
			free(w);
		}
		free(t->in);
		struct upstream *u = t->u;
		if (u->n_spare < TX_SPARE_MAX) {
			t->next = u->spare;
			u->spare = t;
			u->n_spare++;
		} else {
			free(t);
		}
	}
}

/* A zeroed transaction, from the spare list when it has one. */
static struct up_tx *tx_alloc(struct upstream *u)
{
	struct up_tx *t = u->spare;
	if (t == NULL)
		return calloc(1, sizeof(*t));
	u->spare = t->next;
	u->n_spare--;
	memset(t, 0, sizeof(*t));
	return t;
}

/* End a transaction: every waiter gets the reply (or the failure) once,
 * then its handles are released. Waiters are told in turn; one cancelled by
 * another's callback meanwhile is skipped. The transaction and its waiters
 * stay in memory until the loop runs the close callbacks, so a pointer held
 * within one event (or a late up_cancel after up_close) stays valid. */
static void finish(struct up_tx *t, const struct wire_msg *reply, bool notify)
{
	if (t->finished)
		return;
	t->finished = true;
	table_remove(t);
	merge_remove(t);
	all_unlink(t);
	uv_timer_stop(&t->timer);
	uint32_t rtt = (uint32_t)(loop_ms(t->u) - t->sent_at);
	for (struct up_query *w = t->waiters; w != NULL; w = w->next) {
		if (notify && !w->cancelled) {
			w->cancelled = true;
			w->done(w->ud, reply, rtt);
		}
		w->cancelled = true;
	}
	uv_close((uv_handle_t *)&t->timer, handle_closed);
	if (t->tcp)
		uv_close((uv_handle_t *)&t->tcph, handle_closed);
}

static void on_timeout(uv_timer_t *h)
{
	struct up_tx *t = h->data;
	t->u->stats.timeouts++;
	finish(t, NULL, true);
}

/* ---- building queries -------------------------------------------------- */

static bool caps_exempt(const struct up_opts *uo, const struct core_send *s)
{
	for (size_t i = 0; i < uo->n_caps_exempt; i++)
		if (wire_name_in(s->zone, uo->caps_exempt[i]) ||
		    wire_name_in(s->qname, uo->caps_exempt[i]))
			return true;
	return false;
}

/* Write the query for t with a fresh letter-case pattern (when t->caps) and
 * our COOKIE option (when upstream-cookies). */
static int build(struct up_tx *t, uint8_t *buf, size_t cap)
{
	struct upstream *u = t->u;
	const struct up_opts *uo = u->opts;
	wire_name_lower(t->qname);
	if (t->caps) {
		uint8_t bits[WIRE_NAME_MAX / 8 + 1];
		rand_bytes(bits, sizeof(bits));
		wire_name_apply_case(t->qname, bits);
	}
	uint8_t opt[SRV_COOKIE_OPT_MAX];
	size_t opt_len = 0;
	t->cookie_sent = false;
	if (uo->upstream_cookies) {
		struct srv_entry *e = srv_get(&u->srv, &t->server, loop_ms(u));
		opt_len = srv_cookie_opt(e, opt);
		memcpy(t->cookie, e->client, sizeof(t->cookie));
		t->cookie_sent = true;
		u->stats.cookies_sent++;
		if (e->server_len > 0)
			u->stats.cookies_echoed++;
	}
	return wire_build_query(buf, cap, t->id, t->rd ? WIRE_F_RD : 0, t->qname, t->qtype,
				t->qclass, uo->edns_buffer_size, opt_len ? opt : NULL,
				(uint16_t)opt_len);
}

static void canonical_question(uint8_t *pkt, size_t len)
{
	for (size_t i = WIRE_HDR_LEN; i < len && pkt[i] != 0; i += (size_t)pkt[i] + 1)
		for (size_t j = 1; j <= pkt[i] && i + j < len; j++)
			if (pkt[i + j] >= 'A' && pkt[i + j] <= 'Z')
				pkt[i + j] += 32;
}

/* ---- cookies ------------------------------------------------------------ */

/* A server cookie arrived with our client cookie: keep it for next time,
 * unless our client cookie for the server changed since t was sent. */
static void learn_cookie(struct up_tx *t, const uint8_t *sc, size_t sc_len)
{
	struct upstream *u = t->u;
	if (sc_len == 0)
		return;
	struct srv_entry *e = srv_get(&u->srv, &t->server, loop_ms(u));
	if (memcmp(e->client, t->cookie, sizeof(t->cookie)) != 0)
		return;
	if (e->server_len == 0)
		u->stats.cookies_learned++;
	memcpy(e->server, sc, sc_len);
	e->server_len = (uint8_t)sc_len;
}

/* Has the server given us a server cookie for the client cookie t carried?
 * From then on its UDP replies must carry our client cookie. */
static bool cookie_required(struct up_tx *t)
{
	struct srv_entry *e = srv_find(&t->u->srv, &t->server);
	return e != NULL && e->server_len > 0 &&
	       memcmp(e->client, t->cookie, sizeof(t->cookie)) == 0;
}

/* ---- TCP ----------------------------------------------------------------- */

static void tcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct up_tx *t = h->data;
	(void)hint;
	if (t->in == NULL)
		t->in = malloc(TCP_MAX + 2);
	buf->base = t->in ? (char *)t->in + t->in_len : NULL;
	buf->len = t->in ? TCP_MAX + 2 - t->in_len : 0;
}

static void tcp_fail(struct up_tx *t)
{
	t->u->stats.tcp_errors++;
	finish(t, NULL, true);
}

/* A whole TCP reply for t. TCP is out of an off-path forger's reach, so the
 * question is compared without regard to case: that is how a server that
 * does not echo 0x20 still gets answered. Whether it echoed is noted. */
static void tcp_reply(struct up_tx *t, uint8_t *pkt, size_t len)
{
	struct upstream *u = t->u;
	uint16_t id, flags, qtype, qclass;
	uint8_t qname[WIRE_NAME_MAX];
	if (wire_parse_question(pkt, len, &id, &flags, qname, &qtype, &qclass) != 0 ||
	    id != t->id || !(flags & WIRE_F_QR) || qtype != t->qtype || qclass != t->qclass ||
	    !wire_name_eq(qname, t->qname)) {
		tcp_fail(t);
		return;
	}
	bool echoed = wire_name_eq_exact(qname, t->qname);
	canonical_question(pkt, len);
	if (wire_parse(&u->msg, pkt, len) != 0) {
		tcp_fail(t);
		return;
	}
	uint64_t now = loop_ms(u);
	if (t->cookie_sent) {
		const uint8_t *sc = NULL;
		size_t sc_len = 0;
		enum srv_cookie v = srv_cookie_check(u->msg.edns_opts, u->msg.edns_opts_len,
						     t->cookie, &sc, &sc_len);
		if (v == SRV_COOKIE_OK) {
			learn_cookie(t, sc, sc_len);
		} else if (v == SRV_COOKIE_NONE && t->cookie_retry && cookie_required(t)) {
			/* UDP replies came without our cookie and so does this one,
			 * which no off-path forger can have sent: the server has
			 * stopped doing cookies. Forget its cookie, or every query
			 * to it would go over TCP from now on. */
			struct srv_entry *e = srv_find(&u->srv, &t->server);
			if (e != NULL)
				e->server_len = 0;
			u->stats.cookies_forgotten++;
		}
	}
	if (wire_msg_rcode(&u->msg) == RCODE_BADCOOKIE) {
		tcp_fail(t);
		return;
	}
	/* The UDP reply had the wrong case; if the server's own TCP reply has
	 * it wrong too, the server does not echo 0x20 (a forger cannot touch
	 * TCP). A correct echo here means the UDP reply was forged: no miss. */
	if (t->case_retry && !echoed) {
		u->stats.caps_misses++;
		if (srv_case_miss(&u->srv, &t->server, now)) {
			char text[WIRE_NAME_MAX * 4 + 1];
			wire_name_to_text(t->zone, text, sizeof(text));
			log_info("a server of %s does not echo 0x20 letter case: asking it in "
				 "lowercase for %llu minutes", text,
				 (unsigned long long)(SRV_NOCAPS_MS / 60000));
		}
	}
	u->stats.accepted++;
	finish(t, &u->msg, true);
}

static void tcp_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct up_tx *t = st->data;
	(void)buf;
	if (t->finished)
		return;
	if (n < 0 || t->in == NULL) {
		tcp_fail(t);
		return;
	}
	t->in_len += (size_t)n;
	if (t->in_len < 2)
		return;
	size_t want = (size_t)t->in[0] << 8 | t->in[1];
	if (t->in_len < want + 2)
		return;
	tcp_reply(t, t->in + 2, want);
}

static void tcp_written(uv_write_t *w, int status)
{
	struct up_tx *t = w->data;
	if (status < 0 && !t->finished)
		tcp_fail(t);
}

static void tcp_connected(uv_connect_t *c, int status)
{
	struct up_tx *t = c->data;
	if (t->finished)
		return;
	if (status < 0) {
		tcp_fail(t);
		return;
	}
	uv_buf_t b = uv_buf_init((char *)t->out, (unsigned)t->out_len);
	t->wr.data = t;
	uv_write(&t->wr, (uv_stream_t *)&t->tcph, &b, 1, tcp_written);
	uv_read_start((uv_stream_t *)&t->tcph, tcp_alloc, tcp_read);
}

/* Ask t over a fresh TCP connection (fresh ID too). 0 or -1; on -1 the
 * connection handle, if opened, is closed by the caller's finish(). */
static int tcp_start(struct up_tx *t)
{
	struct upstream *u = t->u;
	t->id = rand_u16();
	int len = build(t, t->out + 2, sizeof(t->out) - 2);
	if (len < 0)
		return -1;
	t->out[0] = (uint8_t)(len >> 8);
	t->out[1] = (uint8_t)len;
	t->out_len = (size_t)len + 2;
	t->in_len = 0;
	if (uv_tcp_init(u->loop, &t->tcph) != 0)
		return -1;
	t->tcp = true;
	t->tcph.data = t;
	t->open_handles++;
	t->conn.data = t;
	if (uv_tcp_connect(&t->conn, &t->tcph, (const struct sockaddr *)&t->server,
			   tcp_connected) != 0) {
		u->stats.tcp_errors++;
		return -1;
	}
	t->sent_at = loop_ms(u);
	u->stats.sent_tcp++;
	return 0;
}

/* A forger is at work against t (or the server's UDP path misbehaves): ask
 * again over TCP, where an off-path forger cannot reach. The callers keep
 * waiting on the same transaction; the timer restarts with room for the
 * TCP handshake. */
static void to_tcp(struct up_tx *t, enum retry_why why)
{
	struct upstream *u = t->u;
	if (t->finished || t->tcp || !u->opts->do_tcp)
		return;
	table_remove(t);
	if (why == WHY_CASE)
		t->case_retry = true;
	if (why == WHY_COOKIE)
		t->cookie_retry = true;
	u->stats.tcp_after_mismatch++;
	if (tcp_start(t) != 0) {
		finish(t, NULL, true);
		return;
	}
	uint32_t ms = t->timeout_ms * 2;
	ms = ms < TCP_RETRY_MIN_MS ? TCP_RETRY_MIN_MS : ms > TCP_RETRY_MAX_MS ? TCP_RETRY_MAX_MS : ms;
	uv_timer_start(&t->timer, on_timeout, ms, 0);
}

/* ---- UDP ----------------------------------------------------------------- */

/* Send t from a socket drawn from the whole pool with a fresh ID. */
static int udp_send(struct up_tx *t)
{
	struct upstream *u = t->u;
	struct pool_sock *sock = pool_draw(&u->pool, t->server.ss_family);
	t->id = rand_u16();
	for (int i = 0; sock != NULL && lookup(u, sock, t->id) != NULL; i++) {
		if (i == ID_DRAWS)
			return -1;
		sock = pool_draw(&u->pool, t->server.ss_family);
		t->id = rand_u16();
	}
	if (sock == NULL)
		return -1;
	uint8_t buf[QBUF];
	int len = build(t, buf, sizeof(buf));
	if (len < 0)
		return -1;
	if (sendto(sock->fd, buf, (size_t)len, 0, (const struct sockaddr *)&t->server, t->slen) < 0) {
		log_debug("upstream send failed: %s", strerror(errno));
		return -1;
	}
	t->sent_at = loop_ms(u);
	pool_sock_note_peer(sock, &t->server);
	table_insert(t, sock);
	u->stats.sent_udp++;
	return 0;
}

/* ---- judging datagrams --------------------------------------------------- */

static void alarm_zone(void *ud, const uint8_t *zone)
{
	struct upstream *u = ud;
	if (u->alarm != NULL)
		u->alarm(u->alarm_ud, zone);
}

/* Is a query on s waiting for a reply from `from`? */
static bool waiting_for(struct upstream *u, const struct pool_sock *s,
			const struct sockaddr_storage *from)
{
	uint32_t shash = srv_addr_hash(from, u->seed);
	for (struct up_tx *t = u->by_server[server_bucket(s->serial, shash)]; t != NULL; t = t->snext)
		if (t->sock == s && t->shash == shash && sockaddr_equal(&t->server, from))
			return true;
	return false;
}

/* Every dropped reply: count it by reason and on its socket; t (if known)
 * is the query it aimed at. Only a reply that could be a forgery counts in
 * the unwanted-reply window (net/guard.h): one from a server a query on
 * this socket waits for, which is what a forger must pretend to be. */
static void drop(struct upstream *u, struct pool_sock *s, enum up_drop why, const struct up_tx *t,
		 const struct sockaddr_storage *from)
{
	u->stats.dropped[why]++;
	s->dropped++;
	if (!(t != NULL && sockaddr_equal(from, &t->server)) && !waiting_for(u, s, from))
		return;
	uint64_t now = loop_ms(u);
	if (t != NULL)
		guard_zone(&u->guard, t->zone, now);
	guard_server(&u->guard, from, now);
	if (guard_unwanted(&u->guard, now))
		guard_take_zones(&u->guard, now, alarm_zone, u);
}

/* A datagram from `from` on s was wrong in a way only a forger (or a broken
 * path) explains. Every query waiting on s for that server is asked again
 * over TCP when `retry`; its zone is noted for the alarm either way. */
static void mismatch(struct upstream *u, struct pool_sock *s, const struct sockaddr_storage *from,
		     enum up_drop reason, enum retry_why why, bool retry)
{
	struct up_tx *hit[MISMATCH_BATCH];
	size_t n = 0;
	uint32_t shash = srv_addr_hash(from, u->seed);
	for (struct up_tx *t = u->by_server[server_bucket(s->serial, shash)];
	     t != NULL && n < MISMATCH_BATCH; t = t->snext)
		if (t->sock == s && t->shash == shash && sockaddr_equal(&t->server, from))
			hit[n++] = t;
	uint64_t now = loop_ms(u);
	for (size_t i = 0; i < n; i++)
		guard_zone(&u->guard, hit[i]->zone, now);
	drop(u, s, reason, NULL, from);
	/* to_tcp may call back into the daemon (a failed connect ends the
	 * query), which may end other transactions: finished ones are skipped,
	 * and their memory lives until the loop's close callbacks run. s itself
	 * may be closed once its last query leaves it, so it is not used below. */
	for (size_t i = 0; retry && i < n; i++)
		to_tcp(hit[i], why);
}

/* Every datagram arriving on a pool socket comes here. */
static void on_datagram(void *ud, struct pool_sock *s, uint8_t *pkt, size_t len,
			const struct sockaddr_storage *from, unsigned rxflags)
{
	struct upstream *u = ud;
	const struct up_opts *uo = u->opts;
	if ((rxflags & NET_RX_FRAGMENTED) && uo->refuse_fragmented_replies) {
		/* A later fragment can be forged without knowing port or ID (they
		 * sit in the first one): nothing in this datagram can be trusted,
		 * but the server is evidently answering, so ask over TCP. */
		mismatch(u, s, from, UP_DROP_FRAGMENTED, WHY_FRAGMENT, true);
		return;
	}
	uint16_t id, flags, qtype, qclass;
	uint8_t qname[WIRE_NAME_MAX];
	if (wire_parse_question(pkt, len, &id, &flags, qname, &qtype, &qclass) != 0) {
		drop(u, s, UP_DROP_MALFORMED, NULL, from);
		return;
	}
	struct up_tx *t = lookup(u, s, id);
	if (t == NULL) {
		if (s->outstanding == 0) {
			drop(u, s, UP_DROP_UNSOLICITED, NULL, from);
			return;
		}
		/* The right socket, maybe the server's address and port, but an ID
		 * we are not waiting for: the signature of a forger guessing IDs. */
		mismatch(u, s, from, UP_DROP_BAD_ID, WHY_ID, uo->tcp_after_mismatch);
		return;
	}
	if (!sockaddr_equal(from, &t->server)) {
		drop(u, s, UP_DROP_BAD_SOURCE, t, from);
		return;
	}
	if (!(flags & WIRE_F_QR) || qtype != t->qtype || qclass != t->qclass ||
	    !wire_name_eq(qname, t->qname)) {
		drop(u, s, UP_DROP_BAD_QUESTION, t, from);
		return;
	}
	if (!wire_name_eq_exact(qname, t->qname)) {
		/* All right but the letter case. Either the server does not echo
		 * 0x20, or a forger who already has port and ID (some 32 bits of
		 * guessing) lacks the case bits. TCP tells the two apart: its
		 * reply decides whether the server gets lowercase from now on, so
		 * a downgrade costs an attacker those 32 bits first and cannot
		 * happen while the server's own TCP reply echoes case. */
		drop(u, s, UP_DROP_BAD_CASE, t, from);
		to_tcp(t, WHY_CASE);
		return;
	}
	/* The server echoed our random letter case; names it compressed against
	 * the question would carry that pattern into the cache. Put the plain
	 * lowercase name back (same length, right after the header). */
	canonical_question(pkt, len);
	/* Right port, ID and question, but it must also parse in full: a broken
	 * packet must not end the wait for the genuine reply. */
	if (wire_parse(&u->msg, pkt, len) != 0) {
		drop(u, s, UP_DROP_MALFORMED, t, from);
		return;
	}
	if (t->cookie_sent) {
		const uint8_t *sc = NULL;
		size_t sc_len = 0;
		enum srv_cookie v = srv_cookie_check(u->msg.edns_opts, u->msg.edns_opts_len,
						     t->cookie, &sc, &sc_len);
		if (v == SRV_COOKIE_BAD || (v == SRV_COOKIE_NONE && cookie_required(t))) {
			/* Not our cookie, or none from a server that has given us
			 * one: whoever sent this did not see our query. */
			drop(u, s, UP_DROP_BAD_COOKIE, t, from);
			if (uo->tcp_after_mismatch)
				to_tcp(t, WHY_COOKIE);
			return;
		}
		if (v == SRV_COOKIE_OK)
			learn_cookie(t, sc, sc_len);
		if (wire_msg_rcode(&u->msg) == RCODE_BADCOOKIE) {
			/* RFC 7873 section 5.3: the server wants its fresh cookie;
			 * ask once more over UDP with it, then over TCP. */
			if (v == SRV_COOKIE_OK && sc_len > 0 && !t->badcookie_resent) {
				t->badcookie_resent = true;
				u->stats.cookies_badcookie_resends++;
				table_remove(t);
				if (udp_send(t) != 0)
					finish(t, NULL, true);
				return;
			}
			to_tcp(t, WHY_COOKIE);
			return;
		}
	}
	u->stats.accepted++;
	s->accepted++;
	finish(t, &u->msg, true);
}

/* ---- public -------------------------------------------------------------- */

struct upstream *up_new(uv_loop_t *loop, const struct up_opts *uo, char *err, size_t errlen)
{
	struct upstream *u = calloc(1, sizeof(*u));
	if (u == NULL || srv_init(&u->srv) != 0) {
		free(u);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->loop = loop;
	u->opts = uo;
	rand_bytes(&u->seed, sizeof(u->seed));
	guard_init(&u->guard, uo->unwanted_reply_threshold, uo->defensive_mode_time);
	if (pool_open(&u->pool, loop, &uo->pool, on_datagram, u, err, errlen) != 0) {
		pool_close(&u->pool);
		pool_free(&u->pool);
		srv_free(&u->srv);
		free(u);
		return NULL;
	}
	return u;
}

struct pool *up_pool(struct upstream *u) { return &u->pool; }

void up_set_alarm(struct upstream *u, up_alarm_fn fn, void *ud)
{
	u->alarm = fn;
	u->alarm_ud = ud;
}
const struct up_stats *up_stats(const struct upstream *u) { return &u->stats; }

static const char *const drop_names[UP_DROP_N] = {
	"bad_id", "bad_source", "bad_question", "malformed", "unsolicited",
	"bad_case", "fragmented", "bad_cookie",
};

void up_stats_each(const struct upstream *u, up_stat_fn fn, void *ud)
{
	/* the guard's clock-driven state moves on when read */
	struct upstream *mu = (struct upstream *)u;
	const struct up_stats *st = &u->stats;
	uint64_t now = loop_ms(u);
	char key[64];
	uint64_t dropped = 0;
	fn(ud, "queries.upstream.total", st->sent_udp + st->sent_tcp);
	fn(ud, "queries.upstream.udp", st->sent_udp);
	fn(ud, "queries.upstream.tcp", st->sent_tcp);
	fn(ud, "queries.upstream.timeouts", st->timeouts);
	fn(ud, "queries.upstream.tcp_errors", st->tcp_errors);
	fn(ud, "queries.upstream.tcp_after_mismatch", st->tcp_after_mismatch);
	fn(ud, "queries.upstream.defensive_tcp", st->defensive_tcp);
	fn(ud, "queries.upstream.merged", st->merged);
	fn(ud, "replies.accepted", st->accepted);
	for (int i = 0; i < UP_DROP_N; i++) {
		snprintf(key, sizeof(key), "replies.dropped.%s", drop_names[i]);
		fn(ud, key, st->dropped[i]);
		dropped += st->dropped[i];
	}
	fn(ud, "replies.dropped.total", dropped);
	fn(ud, "replies.unwanted_last_minute", guard_count(&mu->guard, now));
	fn(ud, "upstream.defensive_mode", guard_defensive(&mu->guard, now) ? 1 : 0);
	fn(ud, "upstream.defensive_servers", guard_n_servers(&mu->guard, now));
	fn(ud, "upstream.defensive_entries", u->guard.entered);
	fn(ud, "upstream.caps_misses", st->caps_misses);
	fn(ud, "upstream.caps_fallback_servers", srv_count_nocaps(&u->srv, now));
	fn(ud, "cookies.sent", st->cookies_sent);
	fn(ud, "cookies.echoed", st->cookies_echoed);
	fn(ud, "cookies.learned", st->cookies_learned);
	fn(ud, "cookies.badcookie_resends", st->cookies_badcookie_resends);
	fn(ud, "cookies.forgotten", st->cookies_forgotten);
	fn(ud, "pool.rotations", u->pool.stats.rotations);
	fn(ud, "pool.rotate_failed", u->pool.stats.rotate_failed);
	fn(ud, "pool.retired_open", u->pool.stats.retired_open);
}

static struct up_query *attach(struct up_tx *t, up_done_fn done, void *ud)
{
	struct up_query *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->tx = t;
	w->done = done;
	w->ud = ud;
	w->next = t->waiters;
	t->waiters = w;
	return w;
}

struct up_query *up_send(struct upstream *u, const struct core_send *s, up_done_fn done, void *ud)
{
	const struct up_opts *uo = u->opts;
	uint64_t now = loop_ms(u);
	bool tcp = s->tcp;
	bool defensive = false;
	if (!tcp && uo->do_tcp && guard_server_defensive(&u->guard, &s->addr, now))
		tcp = defensive = true;
	/* A second identical question while the first is on the wire would
	 * give a forger two targets for the price of one (birthday attack):
	 * the caller waits for the first instead. */
	if (!tcp && uo->merge_identical_queries) {
		struct up_tx *o = merge_find(u, s);
		if (o != NULL) {
			struct up_query *w = attach(o, done, ud);
			if (w != NULL)
				u->stats.merged++;
			return w;
		}
	}
	struct up_tx *t = tx_alloc(u);
	if (t == NULL)
		return NULL;
	t->u = u;
	t->server = s->addr;
	t->slen = s->addrlen;
	t->shash = srv_addr_hash(&s->addr, u->seed);
	wire_name_copy(t->qname, s->qname);
	wire_name_copy(t->zone, s->zone);
	t->qtype = s->qtype;
	t->qclass = s->qclass;
	t->rd = s->rd;
	t->timeout_ms = s->timeout_ms;
	t->caps = uo->use_caps_for_id && !caps_exempt(uo, s) &&
		  !srv_nocaps(&u->srv, &s->addr, now);
	uv_timer_init(u->loop, &t->timer);
	t->timer.data = t;
	t->open_handles = 1;
	if (attach(t, done, ud) == NULL || (tcp ? tcp_start(t) : udp_send(t)) != 0) {
		t->finished = true; /* the waiter, if any, goes with t in handle_closed */
		table_remove(t);
		uv_close((uv_handle_t *)&t->timer, handle_closed);
		if (t->tcp)
			uv_close((uv_handle_t *)&t->tcph, handle_closed);
		return NULL;
	}
	struct up_query *w = t->waiters;
	if (defensive)
		u->stats.defensive_tcp++;
	all_link(t);
	if (!tcp && uo->merge_identical_queries)
		merge_insert(t);
	uv_timer_start(&t->timer, on_timeout, s->timeout_ms, 0);
	return w;
}

void up_cancel(struct up_query *w)
{
	if (w == NULL)
		return;
	struct up_tx *t = w->tx;
	if (t->finished) {
		/* t is telling its waiters right now: skip this one */
		w->cancelled = true;
		return;
	}
	struct up_query **pp = &t->waiters;
	while (*pp != w)
		pp = &(*pp)->next;
	*pp = w->next;
	free(w);
	/* The others keep waiting; the last one out ends the query. */
	if (t->waiters == NULL)
		finish(t, NULL, false);
}

void up_close(struct upstream *u)
{
	while (u->all != NULL)
		finish(u->all, NULL, false);
	pool_close(&u->pool);
}

void up_free(struct upstream *u)
{
	if (u == NULL)
		return;
	pool_free(&u->pool);
	srv_free(&u->srv);
	while (u->spare != NULL) {
		struct up_tx *t = u->spare;
		u->spare = t->next;
		free(t);
	}
	free(u);
}
