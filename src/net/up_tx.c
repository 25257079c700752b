/* A transaction's life past its sending, shared by both transports: its
 * end (every waiter told once, then its handles closed), its timeout, the
 * bytes of its query (0x20 pattern, our cookie), the server cookies its
 * replies bring, and what the reply check (net/match.h) needs to know of
 * it. Called by upstream.c and up_tcp.c; calls only up_table.c within the
 * module, so the module's files call each other one way. */
#include "net/upstream_int.h"

#include <stdlib.h>
#include <string.h>

#include "net/srvstate.h"
#include "util/rand.h"

/* ---- life of a transaction --------------------------------------------- */

void up_handle_closed(uv_handle_t *h)
{
	struct up_tx *t = h->data;
	if (--t->open_handles == 0) {
		struct up_query *w;
		while ((w = t->waiters) != NULL) {
			t->waiters = w->next;
			free(w);
		}
		free(t->in);
		up_tx_release(t->u, t);
	}
}

/* End a transaction: every waiter gets the reply (or the failure) once,
 * then its handles are released. Waiters are told in turn; one cancelled by
 * another's callback meanwhile is skipped. The transaction and its waiters
 * stay in memory until the loop runs the close callbacks, so a pointer held
 * within one event (or a late up_cancel after up_close) stays valid. */
void up_finish(struct up_tx *t, const struct wire_msg *reply, bool notify)
{
	if (t->finished)
		return;
	t->finished = true;
	up_table_remove(t);
	up_merge_remove(t);
	up_all_unlink(t);
	uv_timer_stop(&t->timer);
	uint32_t rtt = (uint32_t)(loop_ms(t->u) - t->sent_at);
	for (struct up_query *w = t->waiters; w != NULL; w = w->next) {
		if (notify && !w->cancelled) {
			w->cancelled = true;
			w->done(w->ud, reply, rtt);
		}
		w->cancelled = true;
	}
	uv_close((uv_handle_t *)&t->timer, up_handle_closed);
	if (t->tcp)
		uv_close((uv_handle_t *)&t->tcph, up_handle_closed);
}

void up_on_timeout(uv_timer_t *h)
{
	struct up_tx *t = h->data;
	t->u->stats.timeouts++;
	up_finish(t, NULL, true);
}

/* ---- building queries -------------------------------------------------- */

/* Write the query for t with a fresh letter-case pattern (when t->caps) and
 * our COOKIE option (when upstream-cookies). */
int up_build(struct up_tx *t, uint8_t *buf, size_t cap)
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
				t->qclass, uo->edns_buffer_size, true, opt_len ? opt : NULL,
				(uint16_t)opt_len);
}

/* ---- cookies ------------------------------------------------------------ */

/* A server cookie arrived with our client cookie: keep it for next time,
 * unless our client cookie for the server changed since t was sent. */
void up_learn_cookie(struct up_tx *t, const uint8_t *sc, size_t sc_len)
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

/* What the check needs to know of t (net/match.h), in q. */
const struct match_query *up_query_of(struct up_tx *t, struct match_query *q)
{
	q->sock = t->sock;
	q->server = &t->server;
	q->id = t->id;
	q->qname = t->qname;
	q->qtype = t->qtype;
	q->qclass = t->qclass;
	q->cookie_sent = t->cookie_sent;
	q->cookie = t->cookie;
	q->cookie_required = t->cookie_sent && cookie_required(t);
	return q;
}
