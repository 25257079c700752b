/* metrics: the Prometheus endpoint on worker 0's loop (metrics.h). */
#include "daemon/metrics.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/httpreq.h"
#include "daemon/stats.h"
#include "net/listen.h"
#include "util/err.h"
#include "util/log.h"

#define LINGER_MS 1000 /* after the answer: time for the client to hang up */

struct mconn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t wr;
	uv_shutdown_t sd;
	struct metrics *m;
	struct mconn *prev, *next;
	int open_handles;
	bool answered, closing;
	char *resp;
	size_t len;
	char buf[HTTPREQ_MAX];
};

struct metrics {
	uv_tcp_t listener;
	struct server *s;
	struct mconn *conns;
	unsigned n_conns;
	bool stopping;
};

static void conn_closed(uv_handle_t *h)
{
	struct mconn *c = h->data;
	if (--c->open_handles > 0)
		return;
	free(c->resp);
	free(c);
}

static void conn_close(struct mconn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	struct metrics *m = c->m;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	m->n_conns--;
	uv_close((uv_handle_t *)&c->tcp, conn_closed);
	uv_close((uv_handle_t *)&c->timer, conn_closed);
}

static void on_timeout(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_shutdown(uv_shutdown_t *sd, int status)
{
	(void)sd;
	(void)status;
	/* Reading goes on (and is discarded) until the client closes or the
	 * linger timer ends: closing with unread bytes would reset the
	 * connection and could destroy the answer in flight. */
}

static void on_written(uv_write_t *wr, int status)
{
	struct mconn *c = wr->data;
	if (status != 0 || c->closing) {
		conn_close(c);
		return;
	}
	c->sd.data = c;
	if (uv_shutdown(&c->sd, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
		conn_close(c);
	else
		uv_timer_start(&c->timer, on_timeout, LINGER_MS, 0);
}

/* Build and send the answer for verdict v. */
static void answer(struct mconn *c, enum httpreq_verdict v, bool head)
{
	char *body = NULL;
	size_t blen = 0;
	const char *ctype = "text/plain; charset=utf-8";
	if (v == HTTPREQ_OK) {
		if (stats_prometheus(c->m->s, &body, &blen) != 0) {
			log_warn("metrics: out of memory for the answer");
			conn_close(c);
			return;
		}
		ctype = "text/plain; version=0.0.4; charset=utf-8";
	}
	char err_body[64];
	if (v != HTTPREQ_OK) {
		blen = (size_t)snprintf(err_body, sizeof(err_body), "%d %s\n", (int)v,
					httpreq_reason(v));
	}
	char hdr[256];
	int hlen = snprintf(hdr, sizeof(hdr),
			    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
			    "Connection: close\r\n\r\n",
			    (int)v, httpreq_reason(v), ctype, blen,
			    v == HTTPREQ_METHOD ? "Allow: GET, HEAD\r\n" : "");
	size_t send_body = head ? 0 : blen;
	c->resp = malloc((size_t)hlen + send_body + 1);
	if (c->resp == NULL) {
		free(body);
		conn_close(c);
		return;
	}
	memcpy(c->resp, hdr, (size_t)hlen);
	if (send_body)
		memcpy(c->resp + hlen, v == HTTPREQ_OK ? body : err_body, send_body);
	free(body);
	c->len = (size_t)hlen + send_body;
	c->answered = true;
	uv_buf_t b = uv_buf_init(c->resp, (unsigned)c->len);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0)
		conn_close(c);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct mconn *c = h->data;
	(void)hint;
	if (c->answered || c->len >= sizeof(c->buf)) {
		/* after the answer: read into the buffer's start and forget it */
		*b = uv_buf_init(c->buf, sizeof(c->buf));
		return;
	}
	*b = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct mconn *c = st->data;
	(void)b;
	if (n < 0) {
		conn_close(c); /* the client hung up (or failed), answered or not */
		return;
	}
	if (n == 0 || c->answered || c->closing)
		return;
	c->len += (size_t)n;
	struct httpreq req;
	enum httpreq_verdict v = httpreq_parse(c->buf, c->len, &req);
	if (v == HTTPREQ_MORE)
		return;
	answer(c, v, v == HTTPREQ_OK && req.head);
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct metrics *m = server->data;
	if (status != 0 || m->stopping)
		return;
	struct mconn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		/* still take it off the backlog */
		uv_tcp_t *t = malloc(sizeof(*t));
		if (t != NULL && uv_tcp_init(server->loop, t) == 0 &&
		    uv_accept(server, (uv_stream_t *)t) == 0)
			uv_close((uv_handle_t *)t, free_handle);
		else
			free(t);
		return;
	}
	c->m = m;
	uv_tcp_init(server->loop, &c->tcp);
	uv_timer_init(server->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->open_handles = 2;
	c->next = m->conns;
	if (m->conns != NULL)
		m->conns->prev = c;
	m->conns = c;
	m->n_conns++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 || m->n_conns > METRICS_MAX_CLIENTS) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_timeout, METRICS_TIMEOUT_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
		conn_close(c);
}

int metrics_start(uv_loop_t *loop, const struct config_addr *a, struct server *s,
		  struct metrics **out, char *err, size_t errlen)
{
	*out = NULL;
	char host[64];
	uint16_t port;
	struct sockaddr_len where = { .sa = a->sa, .len = a->len };
	listen_addr_text(&where, host, sizeof(host), &port);
	struct metrics *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	m->s = s;
	uv_tcp_init(loop, &m->listener);
	m->listener.data = m;
	int rc = uv_tcp_bind(&m->listener, (const struct sockaddr *)&a->sa, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&m->listener, 16, on_connection);
	if (rc != 0) {
		snprintf(err, errlen, "metrics-interface: cannot listen on %s port %u: %s", host, port,
			 uv_strerror(rc));
		uv_close((uv_handle_t *)&m->listener, free_handle);
		return PC_EIO;
	}
	*out = m;
	return 0;
}

void metrics_stop(struct metrics *m)
{
	if (m == NULL)
		return;
	m->stopping = true;
	while (m->conns != NULL)
		conn_close(m->conns);
	/* the listener is the first member: its close frees m */
	uv_close((uv_handle_t *)&m->listener, free_handle);
}
