/* The TCP transport of upstream queries: one fresh connection per query
 * (after TC, in defensive mode, or after a mismatch over UDP), the reply
 * judged by the same check as UDP (net/match.h) in its TCP form. */
#include "net/upstream_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/rand.h"

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
	up_finish(t, NULL, true);
}

/* A whole TCP reply for t. TCP is out of an off-path forger's reach, so the
 * question is compared without regard to case: that is how a server that
 * does not echo 0x20 still gets answered. Whether it echoed is noted. */
static void tcp_reply(struct up_tx *t, uint8_t *pkt, size_t len)
{
	struct upstream *u = t->u;
	struct match_query q;
	struct match_info info;
	struct match_dgram d = { .tcp = true, .pkt = pkt, .len = len };
	if (match_reply(up_query_of(t, &q), &d, &u->msg, &info) != MATCH_ACCEPT) {
		tcp_fail(t);
		return;
	}
	bool echoed = info.case_echoed;
	uint64_t now = loop_ms(u);
	if (info.cookie == SRV_COOKIE_OK) {
		up_learn_cookie(t, info.server_cookie, info.server_cookie_len);
	} else if (t->cookie_sent && info.cookie == SRV_COOKIE_NONE && t->cookie_retry &&
		   q.cookie_required) {
		/* UDP replies came without our cookie and so does this one,
		 * which no off-path forger can have sent: the server has
		 * stopped doing cookies. Forget its cookie, or every query
		 * to it would go over TCP from now on. */
		struct srv_entry *e = srv_find(&u->srv, &t->server);
		if (e != NULL)
			e->server_len = 0;
		u->stats.cookies_forgotten++;
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
	if (u->tap != NULL)
		u->tap(u->tap_ud, true, &t->server, true, pkt, len);
	up_finish(t, &u->msg, true);
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

int up_tcp_start(struct up_tx *t)
{
	struct upstream *u = t->u;
	t->id = rand_u16();
	int len = up_build(t, t->out + 2, sizeof(t->out) - 2);
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
	if (u->tap != NULL)
		u->tap(u->tap_ud, false, &t->server, true, t->out + 2, (size_t)len);
	return 0;
}

/* A forger is at work against t (or the server's UDP path misbehaves): ask
 * again over TCP, where an off-path forger cannot reach. The callers keep
 * waiting on the same transaction; the timer restarts with room for the
 * TCP handshake. */
void up_to_tcp(struct up_tx *t, enum retry_why why)
{
	struct upstream *u = t->u;
	if (t->finished || t->tcp || !u->opts->do_tcp)
		return;
	up_table_remove(t);
	if (why == WHY_CASE)
		t->case_retry = true;
	if (why == WHY_COOKIE)
		t->cookie_retry = true;
	u->stats.tcp_after_mismatch++;
	if (up_tcp_start(t) != 0) {
		up_finish(t, NULL, true);
		return;
	}
	uint32_t ms = t->timeout_ms * 2;
	ms = ms < TCP_RETRY_MIN_MS ? TCP_RETRY_MIN_MS : ms > TCP_RETRY_MAX_MS ? TCP_RETRY_MAX_MS : ms;
	uv_timer_start(&t->timer, up_on_timeout, ms, 0);
}

