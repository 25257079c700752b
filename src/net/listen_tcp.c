/* listen_tcp: TCP client connections (listen.h): length-prefixed messages
 * (RFC 7766), pipelined queries, the connection table and its deadlines,
 * and the answers' write queue. On the loop's thread of their listeners. */
#include "net/listen_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"
#include "wire/wire.h"

/* What a connection may cost, and for how long (RFC 7766 section 6.2, and
 * what Unbound and Knot do):
 *  - a connection table of incoming-num-tcp per thread; when it is full, a
 *    new connection takes the place of the idlest one (nothing pending,
 *    longest since its last whole message), or is refused when every one is
 *    busy; at most tcp-connections-per-address of them from one address;
 *  - tcp-idle-timeout between messages; once a message's first byte is in,
 *    the whole message must follow within tcp-message-timeout (a deadline
 *    that more bytes do not move, so a client trickling a byte at a time
 *    cannot hold a slot);
 *  - answers waiting to be written: at tcp-queue-size on the connection, or
 *    stream-wait-size over all of them, the connection's further queries are
 *    left unread until it drains, and it is closed if it does not drain
 *    within tcp-message-timeout;
 *  - the read buffer grows to the largest message actually sent. */
#define TCP_BUF_MIN 512

/* Answer bytes queued on every connection of every thread. */
static _Atomic uint64_t tcp_queued_total;

static bool queue_full(const struct tcp_conn *c)
{
	const struct listen_opts *o = c->owner->opts;
	return c->queued >= o->tcp_queue_size ||
	       atomic_load_explicit(&tcp_queued_total, memory_order_relaxed) >= o->stream_wait_size;
}

static void conn_free(struct tcp_conn *c)
{
	free(c->buf);
	free(c);
}

static void conn_handle_closed(uv_handle_t *h)
{
	struct tcp_conn *c = h->data;
	if (--c->open_handles == 0 && c->refs == 0)
		conn_free(c);
}

static void conn_unref(struct tcp_conn *c)
{
	if (--c->refs == 0 && c->open_handles == 0)
		conn_free(c);
}

static void conn_close(struct tcp_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	c->owner->n_conns--;
	list_remove(&c->owner->conns, &c->link);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->h, conn_handle_closed);
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
	conn_unref(c);
}

static void conn_timeout(uv_timer_t *t);

static void timer_set(struct tcp_conn *c, enum conn_timer what, bool restart)
{
	if (c->tstate == what && !restart)
		return;
	const struct listen_opts *o = c->owner->opts;
	c->tstate = what;
	uint64_t ms = what == CT_IDLE ? o->tcp_idle_timeout : o->tcp_message_timeout;
	uv_timer_start(&c->timer, conn_timeout, ms, 0);
}

/* Choose the deadline the connection is under now. message_done: a whole
 * message was read since the last call (a partial one left is a new one). */
static void conn_arm(struct tcp_conn *c, bool message_done)
{
	if (c->paused)
		timer_set(c, CT_DRAIN, false);
	else if (c->len > 0)
		timer_set(c, CT_MESSAGE, message_done);
	else
		timer_set(c, CT_IDLE, message_done);
}

static void conn_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b);
static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b);

/* Hand over the whole messages in the buffer while the answer queue has
 * room; at a full queue stop reading. Returns false if c was closed. */
static bool conn_process(struct tcp_conn *c)
{
	size_t off = 0; /* the whole messages handed over end here */
	bool done_any = false;
	struct wire_rd r;
	wire_rd_init(&r, c->buf, c->len);
	uint16_t mlen;
	/* each message: its two-byte length (RFC 1035 section 4.2.2), then
	 * that many bytes */
	while (wire_rd_left(&r) >= 2) {
		if (queue_full(c)) {
			if (!c->paused) {
				uv_read_stop((uv_stream_t *)&c->h);
				c->paused = true;
			}
			break;
		}
		if (wire_rd_u16(&r, &mlen) != 0 || wire_rd_left(&r) < mlen)
			break;
		struct listen_client cl = { .tcp = true, .fd = -1, .conn = c, .peer = c->peer,
					    .peerlen = c->peerlen, .rx_ms = uv_now(c->h.loop) };
		c->owner->fn(c->owner->ud, &cl, c->buf + r.pos, mlen);
		(void)wire_rd_skip(&r, mlen);
		off = r.pos;
		done_any = true;
		c->last_ms = cl.rx_ms;
		if (c->closing)
			return false;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	conn_arm(c, done_any);
	return true;
}

/* The queue drained below its limits: read again. */
static void conn_resume(struct tcp_conn *c)
{
	if (c->closing || !c->paused || queue_full(c))
		return;
	c->paused = false;
	if (!conn_process(c) || c->paused)
		return;
	uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read);
}

static void conn_timeout(uv_timer_t *t)
{
	struct tcp_conn *c = t->data;
	if (c->tstate == CT_DRAIN) {
		/* Paused only by the other connections' queues: not this
		 * client's doing; it holds nothing queued, so it may wait. */
		if (c->queued == 0) {
			if (queue_full(c))
				timer_set(c, CT_DRAIN, true);
			else
				conn_resume(c);
			return;
		}
		conn_close(c); /* the client does not read its answers */
		return;
	}
	if (c->tstate == CT_IDLE && c->pending > 0) {
		timer_set(c, CT_IDLE, true); /* answers still to come: wait for them */
		return;
	}
	conn_close(c);
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct tcp_conn *c = h->data;
	(void)hint;
	/* Room for the message being read: its length once known. */
	size_t want = TCP_BUF_MIN;
	struct wire_rd r;
	uint16_t mlen;
	wire_rd_init(&r, c->buf, c->len);
	if (wire_rd_u16(&r, &mlen) == 0)
		want = (size_t)mlen + 2;
	if (want < c->len + 1)
		want = c->len + 1;
	if (want > c->cap) {
		uint8_t *nb = realloc(c->buf, want);
		if (nb != NULL) {
			c->buf = nb;
			c->cap = want;
		}
	}
	b->base = (char *)c->buf + c->len;
	b->len = c->cap - c->len;
}

static void conn_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct tcp_conn *c = st->data;
	(void)b;
	if (n < 0 || (n == 0 && c->len == c->cap)) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	if (!conn_process(c))
		return;
	/* A big message's buffer goes back once it has been handled. */
	if (c->len == 0 && c->cap > TCP_BUF_MIN) {
		uint8_t *nb = realloc(c->buf, TCP_BUF_MIN);
		if (nb != NULL) {
			c->buf = nb;
			c->cap = TCP_BUF_MIN;
		}
	}
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* Room for new connection c (already accepted and linked): false when it
 * must go. Its address may hold only so many; a full table gives up its
 * idlest connection, one with no answer pending or queued. */
static bool conn_admit(struct listeners *l, struct tcp_conn *c)
{
	unsigned same = 0;
	struct tcp_conn *idlest = NULL;
	list_each(n, &l->conns) {
		struct tcp_conn *o = list_item(n, struct tcp_conn, link);
		if (o == c)
			continue;
		if (same_addr(&o->peer, &c->peer))
			same++;
		if (o->pending == 0 && o->queued == 0 && (idlest == NULL || o->last_ms < idlest->last_ms))
			idlest = o;
	}
	if (same >= l->opts->tcp_per_address)
		return false;
	if (l->n_conns <= l->opts->incoming_num_tcp)
		return true;
	if (idlest == NULL)
		return false;
	conn_close(idlest);
	return true;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct tcp_listener *tl = server->data;
	struct listeners *l = tl->owner;
	if (status < 0)
		return;
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->buf = malloc(TCP_BUF_MIN)) == NULL) {
		free(c);
		return;
	}
	c->cap = TCP_BUF_MIN;
	c->owner = l;
	c->refs = 1;
	uv_tcp_init(l->loop, &c->h);
	c->h.data = c;
	uv_timer_init(l->loop, &c->timer);
	c->timer.data = c;
	c->open_handles = 2;
	l->n_conns++;
	list_push_front(&l->conns, &c->link);
	if (uv_accept(server, (uv_stream_t *)&c->h) != 0) {
		conn_close(c);
		return;
	}
	int plen = sizeof(c->peer);
	uv_tcp_getpeername(&c->h, (struct sockaddr *)&c->peer, &plen);
	c->peerlen = (socklen_t)plen;
	c->last_ms = uv_now(l->loop);
	if (!conn_admit(l, c)) {
		conn_close(c);
		return;
	}
	timer_set(c, CT_IDLE, true);
	uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read);
}

/* The socket is bound here rather than by uv_tcp_bind, which (libuv 1.44)
 * cannot set SO_REUSEPORT on Linux. */
int listen_tcp_open(struct listeners *l, const struct sockaddr_len *a, bool reuseport, char *err,
		    size_t errlen)
{
	struct tcp_listener *tl = &l->tcp[l->n_tcp];
	int rc, fd = listen_bind_socket(a, SOCK_STREAM, reuseport);
	if (fd < 0) {
		char host[64] = "?";
		uint16_t port = 0;
		listen_addr_text(a, host, sizeof(host), &port);
		snprintf(err, errlen, "cannot listen on %s port %u (tcp): %s", host, port,
			 strerror(errno));
		return PC_EIO;
	}
	uv_tcp_init(l->loop, &tl->h);
	tl->h.data = tl;
	tl->owner = l;
	rc = uv_tcp_open(&tl->h, fd);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&tl->h, 128, on_connection);
	else
		close(fd); /* not the handle's yet */
	if (rc != 0) {
		snprintf(err, errlen, "cannot listen on TCP interface %zu: %s", l->n_tcp + 1,
			 uv_strerror(rc));
		uv_close((uv_handle_t *)&tl->h, NULL);
		return PC_EIO;
	}
	l->n_tcp++;
	return 0;
}

void listen_tcp_close(struct listeners *l)
{
	for (size_t i = 0; i < l->n_tcp; i++)
		uv_close((uv_handle_t *)&l->tcp[i].h, listen_noop_close);
	while (!list_empty(&l->conns))
		conn_close(list_item(l->conns.first, struct tcp_conn, link));
}

struct tcp_write {
	uv_write_t w;
	struct tcp_conn *c;
	size_t len;
	uint8_t data[];
};

static void tcp_written(uv_write_t *w, int status)
{
	struct tcp_write *tw = w->data;
	struct tcp_conn *c = tw->c;
	(void)status;
	c->queued -= tw->len;
	atomic_fetch_sub_explicit(&tcp_queued_total, tw->len, memory_order_relaxed);
	free(tw);
	if (c->paused && !c->closing)
		conn_resume(c);
	conn_unref(c);
}

void listen_tcp_respond(const struct listen_client *c, const uint8_t *pkt, size_t len)
{
	struct tcp_conn *conn = c->conn;
	if (conn->closing || len > 65535)
		return;
	struct tcp_write *tw = malloc(sizeof(*tw) + len + 2);
	if (tw == NULL)
		return;
	tw->data[0] = (uint8_t)(len >> 8);
	tw->data[1] = (uint8_t)len;
	memcpy(tw->data + 2, pkt, len);
	tw->c = conn;
	tw->len = len + 2;
	tw->w.data = tw;
	uv_buf_t b = uv_buf_init((char *)tw->data, (unsigned)len + 2);
	if (uv_write(&tw->w, (uv_stream_t *)&conn->h, &b, 1, tcp_written) != 0) {
		free(tw);
		return;
	}
	conn->refs++;
	conn->queued += len + 2;
	atomic_fetch_add_explicit(&tcp_queued_total, len + 2, memory_order_relaxed);
}

void listen_client_hold(struct listen_client *dst, const struct listen_client *src)
{
	*dst = *src;
	if (dst->tcp) {
		dst->conn->refs++;
		dst->conn->pending++;
	}
}

void listen_client_release(struct listen_client *c)
{
	if (c->tcp && c->conn != NULL) {
		c->conn->pending--;
		conn_unref(c->conn);
		c->conn = NULL;
	}
}
