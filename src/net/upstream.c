#include "net/upstream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/config.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/rand.h"
#include "util/sockaddr.h"

#define BUCKETS 65536u
#define ID_DRAWS 32
#define TCP_MAX 65535

struct up_query {
	struct upstream *u;
	struct pool_sock *sock; /* NULL for TCP */
	uint16_t id;
	struct sockaddr_storage server;
	socklen_t slen;
	uint8_t qname[WIRE_NAME_MAX]; /* as sent: case pattern included */
	uint16_t qtype, qclass;
	uint64_t sent_at;
	up_done_fn done;
	void *ud;
	struct up_query *next; /* hash chain */
	bool finished, in_table;
	int open_handles;
	uv_timer_t timer;
	/* TCP only */
	bool tcp;
	uv_tcp_t tcph;
	uv_connect_t conn;
	uv_write_t wr;
	uint8_t out[2 + 512 + 64];
	size_t out_len;
	uint8_t *in;
	size_t in_len;
};

struct upstream {
	uv_loop_t *loop;
	const struct config *cfg;
	struct pool pool;
	struct up_stats stats;
	struct up_query *table[BUCKETS];
	struct wire_msg msg; /* parse space for the reply being matched */
	up_alarm_fn alarm;
	void *alarm_ud;
};

static uint32_t bucket(uint64_t sock_serial, uint16_t id)
{
	return (((uint32_t)sock_serial * 2654435761u) ^ id) & (BUCKETS - 1);
}

static struct up_query *lookup(struct upstream *u, const struct pool_sock *s, uint16_t id)
{
	for (struct up_query *q = u->table[bucket(s->serial, id)]; q != NULL; q = q->next)
		if (q->sock == s && q->id == id)
			return q;
	return NULL;
}

static void table_remove(struct up_query *q)
{
	if (!q->in_table)
		return;
	struct up_query **pp = &q->u->table[bucket(q->sock->serial, q->id)];
	while (*pp != q)
		pp = &(*pp)->next;
	*pp = q->next;
	q->in_table = false;
	pool_sock_done(q->sock);
}

static void handle_closed(uv_handle_t *h)
{
	struct up_query *q = h->data;
	if (--q->open_handles == 0) {
		free(q->in);
		free(q);
	}
}

/* End a query: at most one completion, then release its handles. */
static void finish(struct up_query *q, const struct wire_msg *reply, bool notify)
{
	if (q->finished)
		return;
	q->finished = true;
	table_remove(q);
	uv_timer_stop(&q->timer);
	uint32_t rtt = (uint32_t)(clock_now_ms() - q->sent_at);
	if (notify)
		q->done(q->ud, reply, rtt);
	uv_close((uv_handle_t *)&q->timer, handle_closed);
	if (q->tcp)
		uv_close((uv_handle_t *)&q->tcph, handle_closed);
}

static void on_timeout(uv_timer_t *t)
{
	struct up_query *q = t->data;
	q->u->stats.timeouts++;
	finish(q, NULL, true);
}

static bool question_matches(const struct up_query *q, uint16_t flags, const uint8_t *qname,
			     uint16_t qtype, uint16_t qclass)
{
	return (flags & WIRE_F_QR) && qtype == q->qtype && qclass == q->qclass &&
	       wire_name_eq_exact(qname, q->qname);
}

static void drop(struct upstream *u, struct pool_sock *s, enum up_drop why)
{
	u->stats.dropped[why]++;
	s->dropped++;
}

static void canonical_question(uint8_t *pkt, size_t len)
{
	for (size_t i = WIRE_HDR_LEN; i < len && pkt[i] != 0; i += (size_t)pkt[i] + 1)
		for (size_t j = 1; j <= pkt[i] && i + j < len; j++)
			if (pkt[i + j] >= 'A' && pkt[i + j] <= 'Z')
				pkt[i + j] += 32;
}

/* Every datagram arriving on a pool socket comes here. */
static void on_datagram(void *ud, struct pool_sock *s, uint8_t *pkt, size_t len,
			const struct sockaddr_storage *from, unsigned rxflags)
{
	(void)rxflags;
	struct upstream *u = ud;
	uint16_t id, flags, qtype, qclass;
	uint8_t qname[WIRE_NAME_MAX];
	if (wire_parse_question(pkt, len, &id, &flags, qname, &qtype, &qclass) != 0) {
		drop(u, s, UP_DROP_MALFORMED);
		return;
	}
	struct up_query *q = lookup(u, s, id);
	if (q == NULL) {
		drop(u, s, s->outstanding ? UP_DROP_BAD_ID : UP_DROP_UNSOLICITED);
		return;
	}
	if (!sockaddr_equal(from, &q->server)) {
		drop(u, s, UP_DROP_BAD_SOURCE);
		return;
	}
	if (!question_matches(q, flags, qname, qtype, qclass)) {
		drop(u, s, UP_DROP_BAD_QUESTION);
		return;
	}
	/* The server echoed our random letter case; names it compressed against
	 * the question would carry that pattern into the cache. Put the plain
	 * lowercase name back (same length, right after the header). */
	canonical_question(pkt, len);
	/* Right port, ID and question, but it must also parse in full: a broken
	 * packet must not end the wait for the genuine reply. */
	if (wire_parse(&u->msg, pkt, len) != 0) {
		drop(u, s, UP_DROP_MALFORMED);
		return;
	}
	u->stats.accepted++;
	s->accepted++;
	finish(q, &u->msg, true);
}

struct upstream *up_new(uv_loop_t *loop, const struct config *cfg, char *err, size_t errlen)
{
	struct upstream *u = calloc(1, sizeof(*u));
	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->loop = loop;
	u->cfg = cfg;
	if (pool_open(&u->pool, loop, cfg, on_datagram, u, err, errlen) != 0) {
		pool_close(&u->pool);
		pool_free(&u->pool);
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

static const char *const drop_names[UP_DROP_N] = { "bad_id", "bad_source", "bad_question",
						   "malformed", "unsolicited" };

void up_stats_each(const struct upstream *u, up_stat_fn fn, void *ud)
{
	const struct up_stats *st = &u->stats;
	char key[64];
	uint64_t dropped = 0;
	fn(ud, "queries.upstream.total", st->sent_udp + st->sent_tcp);
	fn(ud, "queries.upstream.udp", st->sent_udp);
	fn(ud, "queries.upstream.tcp", st->sent_tcp);
	fn(ud, "queries.upstream.timeouts", st->timeouts);
	fn(ud, "queries.upstream.tcp_errors", st->tcp_errors);
	fn(ud, "replies.accepted", st->accepted);
	for (int i = 0; i < UP_DROP_N; i++) {
		snprintf(key, sizeof(key), "replies.dropped.%s", drop_names[i]);
		fn(ud, key, st->dropped[i]);
		dropped += st->dropped[i];
	}
	fn(ud, "replies.dropped.total", dropped);
	fn(ud, "pool.rotations", u->pool.stats.rotations);
	fn(ud, "pool.rotate_failed", u->pool.stats.rotate_failed);
	fn(ud, "pool.retired_open", u->pool.stats.retired_open);
}

static int build(struct up_query *q, const struct core_send *s, uint8_t *buf, size_t cap)
{
	const struct config *cfg = q->u->cfg;
	wire_name_copy(q->qname, s->qname);
	if (cfg->use_caps_for_id) {
		uint8_t bits[WIRE_NAME_MAX / 8 + 1];
		rand_bytes(bits, sizeof(bits));
		wire_name_apply_case(q->qname, bits);
	}
	q->qtype = s->qtype;
	q->qclass = s->qclass;
	q->server = s->addr;
	q->slen = s->addrlen;
	return wire_build_query(buf, cap, q->id, s->rd ? WIRE_F_RD : 0, q->qname, s->qtype,
				s->qclass, cfg->edns_buffer_size, NULL, 0);
}

/* ---- TCP --------------------------------------------------------------- */

static void tcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct up_query *q = h->data;
	(void)hint;
	if (q->in == NULL)
		q->in = malloc(TCP_MAX + 2);
	buf->base = q->in ? (char *)q->in + q->in_len : NULL;
	buf->len = q->in ? TCP_MAX + 2 - q->in_len : 0;
}

static void tcp_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct up_query *q = st->data;
	(void)buf;
	if (n < 0 || q->in == NULL) {
		q->u->stats.tcp_errors++;
		finish(q, NULL, true);
		return;
	}
	q->in_len += (size_t)n;
	if (q->in_len < 2)
		return;
	size_t want = (size_t)q->in[0] << 8 | q->in[1];
	if (q->in_len < want + 2)
		return;
	uint16_t id, flags, qtype, qclass;
	uint8_t qname[WIRE_NAME_MAX];
	struct upstream *u = q->u;
	bool ok = wire_parse_question(q->in + 2, want, &id, &flags, qname, &qtype, &qclass) == 0 &&
		  id == q->id && question_matches(q, flags, qname, qtype, qclass);
	if (ok)
		canonical_question(q->in + 2, want);
	if (!ok || wire_parse(&u->msg, q->in + 2, want) != 0) {
		u->stats.tcp_errors++;
		finish(q, NULL, true);
		return;
	}
	u->stats.accepted++;
	finish(q, &u->msg, true);
}

static void tcp_written(uv_write_t *w, int status)
{
	struct up_query *q = w->data;
	if (status < 0 && !q->finished) {
		q->u->stats.tcp_errors++;
		finish(q, NULL, true);
	}
}

static void tcp_connected(uv_connect_t *c, int status)
{
	struct up_query *q = c->data;
	if (q->finished)
		return;
	if (status < 0) {
		q->u->stats.tcp_errors++;
		finish(q, NULL, true);
		return;
	}
	uv_buf_t b = uv_buf_init((char *)q->out, (unsigned)q->out_len);
	q->wr.data = q;
	uv_write(&q->wr, (uv_stream_t *)&q->tcph, &b, 1, tcp_written);
	uv_read_start((uv_stream_t *)&q->tcph, tcp_alloc, tcp_read);
}

static struct up_query *send_tcp(struct up_query *q, const struct core_send *s)
{
	int len = build(q, s, q->out + 2, sizeof(q->out) - 2);
	if (len < 0)
		return NULL;
	q->out[0] = (uint8_t)(len >> 8);
	q->out[1] = (uint8_t)len;
	q->out_len = (size_t)len + 2;
	q->tcp = true;
	uv_tcp_init(q->u->loop, &q->tcph);
	q->tcph.data = q;
	q->open_handles++;
	q->conn.data = q;
	if (uv_tcp_connect(&q->conn, &q->tcph, (const struct sockaddr *)&q->server,
			   tcp_connected) != 0) {
		q->u->stats.tcp_errors++;
		q->finished = true;
		uv_close((uv_handle_t *)&q->timer, handle_closed);
		uv_close((uv_handle_t *)&q->tcph, handle_closed);
		return NULL;
	}
	q->u->stats.sent_tcp++;
	return q;
}

/* ---- UDP --------------------------------------------------------------- */

struct up_query *up_send(struct upstream *u, const struct core_send *s, up_done_fn done, void *ud)
{
	struct up_query *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->u = u;
	q->done = done;
	q->ud = ud;
	q->id = rand_u16();
	q->sent_at = clock_now_ms();
	uv_timer_init(u->loop, &q->timer);
	q->timer.data = q;
	q->open_handles = 1;

	if (s->tcp) {
		if (send_tcp(q, s) == NULL)
			return NULL;
		uv_timer_start(&q->timer, on_timeout, s->timeout_ms, 0);
		return q;
	}
	struct pool_sock *sock = pool_draw(&u->pool, s->addr.ss_family);
	for (int i = 0; sock != NULL && lookup(u, sock, q->id) != NULL; i++) {
		if (i == ID_DRAWS) {
			sock = NULL;
			break;
		}
		sock = pool_draw(&u->pool, s->addr.ss_family);
		q->id = rand_u16();
	}
	uint8_t buf[512 + 64];
	int len = sock ? build(q, s, buf, sizeof(buf)) : -1;
	if (len < 0 || sendto(sock->fd, buf, (size_t)len, 0, (const struct sockaddr *)&s->addr,
			      s->addrlen) < 0) {
		if (len >= 0)
			log_debug("upstream send failed: %s", strerror(errno));
		q->finished = true;
		uv_close((uv_handle_t *)&q->timer, handle_closed);
		return NULL;
	}
	q->sock = sock;
	uint32_t b = bucket(sock->serial, q->id);
	q->next = u->table[b];
	u->table[b] = q;
	q->in_table = true;
	pool_sock_sent(sock);
	u->stats.sent_udp++;
	uv_timer_start(&q->timer, on_timeout, s->timeout_ms, 0);
	return q;
}

void up_cancel(struct up_query *q)
{
	if (q != NULL)
		finish(q, NULL, false);
}

void up_close(struct upstream *u)
{
	for (uint32_t b = 0; b < BUCKETS; b++)
		while (u->table[b] != NULL)
			finish(u->table[b], NULL, false);
	pool_close(&u->pool);
}

void up_free(struct upstream *u)
{
	if (u == NULL)
		return;
	pool_free(&u->pool);
	free(u);
}
