#include "net/upstream_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/guard.h"
#include "net/match.h"
#include "net/recv.h"
#include "net/srvstate.h"
#include "util/err.h"
#include "util/log.h"
#include "util/rand.h"
#include "util/sockaddr.h"

/* ---- 0x20 ----------------------------------------------------------------- */

static bool caps_exempt(const struct up_opts *uo, const struct core_send *s)
{
	for (size_t i = 0; i < uo->n_caps_exempt; i++)
		if (wire_name_in(s->zone, uo->caps_exempt[i]) ||
		    wire_name_in(s->qname, uo->caps_exempt[i]))
			return true;
	return false;
}

/* ---- UDP ----------------------------------------------------------------- */

/* Send t from a socket drawn from the whole pool with a fresh ID. */
static int udp_send(struct up_tx *t)
{
	struct upstream *u = t->u;
	struct pool_sock *sock = pool_draw(&u->pool, t->server.ss_family);
	t->id = rand_u16();
	for (int i = 0; sock != NULL && up_lookup(u, sock, t->id) != NULL; i++) {
		if (i == ID_DRAWS)
			return -1;
		sock = pool_draw(&u->pool, t->server.ss_family);
		t->id = rand_u16();
	}
	if (sock == NULL)
		return -1;
	uint8_t buf[QBUF];
	int len = up_build(t, buf, sizeof(buf));
	if (len < 0)
		return -1;
	if (sendto(sock->fd, buf, (size_t)len, 0, (const struct sockaddr *)&t->server, t->slen) < 0) {
		log_debug("upstream send failed: %s", strerror(errno));
		return -1;
	}
	t->sent_at = loop_ms(u);
	pool_sock_note_peer(sock, &t->server);
	up_table_insert(t, sock);
	u->stats.sent_udp++;
	if (u->tap != NULL)
		u->tap(u->tap_ud, false, &t->server, false, buf, (size_t)len);
	return 0;
}

/* ---- judging datagrams --------------------------------------------------- */

static void alarm_zone(void *ud, const uint8_t *zone)
{
	struct upstream *u = ud;
	if (u->alarm != NULL)
		u->alarm(u->alarm_ud, zone);
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
	if (!(t != NULL && sockaddr_equal(from, &t->server)) && !up_waiting_for(u, s, from))
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
	size_t n = up_waiting_on(u, s, from, hit, MISMATCH_BATCH);
	uint64_t now = loop_ms(u);
	for (size_t i = 0; i < n; i++)
		guard_zone(&u->guard, hit[i]->zone, now);
	drop(u, s, reason, NULL, from);
	/* to_tcp may call back into the daemon (a failed connect ends the
	 * query), which may end other transactions: finished ones are skipped,
	 * and their memory lives until the loop's close callbacks run. s itself
	 * may be closed once its last query leaves it, so it is not used below. */
	for (size_t i = 0; retry && i < n; i++)
		up_to_tcp(hit[i], why);
}

/* The drop counter each verdict of the check counts under. */
static const enum up_drop drop_of[MATCH_N] = {
	[MATCH_FRAGMENTED] = UP_DROP_FRAGMENTED,
	[MATCH_MALFORMED_HEAD] = UP_DROP_MALFORMED,
	[MATCH_UNSOLICITED] = UP_DROP_UNSOLICITED,
	[MATCH_WRONG_SOCKET] = UP_DROP_BAD_ID,
	[MATCH_BAD_ID] = UP_DROP_BAD_ID,
	[MATCH_BAD_ADDRESS] = UP_DROP_BAD_SOURCE,
	[MATCH_BAD_PORT] = UP_DROP_BAD_SOURCE,
	[MATCH_NOT_RESPONSE] = UP_DROP_BAD_QUESTION,
	[MATCH_BAD_QTYPE] = UP_DROP_BAD_QUESTION,
	[MATCH_BAD_QCLASS] = UP_DROP_BAD_QUESTION,
	[MATCH_BAD_QNAME] = UP_DROP_BAD_QUESTION,
	[MATCH_BAD_CASE] = UP_DROP_BAD_CASE,
	[MATCH_MALFORMED] = UP_DROP_MALFORMED,
	[MATCH_BAD_COOKIE] = UP_DROP_BAD_COOKIE,
};

/* Every datagram arriving on a pool socket comes here: the check
 * (net/match.h) judges it against the query waiting on that socket with
 * its ID, and the verdict decides what happens. */
static void on_datagram(void *ud, struct pool_sock *s, uint8_t *pkt, size_t len,
			const struct sockaddr_storage *from, unsigned rxflags)
{
	struct upstream *u = ud;
	const struct up_opts *uo = u->opts;
	struct match_dgram d = {
		.sock = s, .from = from, .pkt = pkt, .len = len,
		.fragmented = (rxflags & NET_RX_FRAGMENTED) != 0,
		.refuse_fragmented = uo->refuse_fragmented_replies,
		.outstanding = s->outstanding,
	};
	struct match_head h;
	struct match_query q;
	struct match_info info;
	struct up_tx *t = NULL;
	enum match_verdict v = match_head(&d, &h);
	if (v == MATCH_ACCEPT) {
		t = up_lookup(u, s, h.id);
		v = match_check(t != NULL ? up_query_of(t, &q) : NULL, &d, &h, &u->msg, &info);
	}
	switch (v) {
	case MATCH_ACCEPT:
		break;
	case MATCH_FRAGMENTED:
		/* Nothing in it can be trusted, but the server is evidently
		 * answering, so ask over TCP. */
		mismatch(u, s, from, UP_DROP_FRAGMENTED, WHY_FRAGMENT, true);
		return;
	case MATCH_BAD_ID:
	case MATCH_WRONG_SOCKET:
		/* The right socket, maybe the server's address and port, but an
		 * ID we are not waiting for: the signature of a forger guessing. */
		mismatch(u, s, from, UP_DROP_BAD_ID, WHY_ID, uo->tcp_after_mismatch);
		return;
	case MATCH_BAD_CASE:
		/* TCP tells a server that does not echo 0x20 from a forger who
		 * has port and ID (some 32 bits of guessing) but lacks the case
		 * bits: its reply decides whether the server gets lowercase from
		 * now on, so a downgrade cannot happen while the server's own
		 * TCP reply echoes case. */
		drop(u, s, UP_DROP_BAD_CASE, t, from);
		up_to_tcp(t, WHY_CASE);
		return;
	case MATCH_BAD_COOKIE:
		drop(u, s, UP_DROP_BAD_COOKIE, t, from);
		if (uo->tcp_after_mismatch)
			up_to_tcp(t, WHY_COOKIE);
		return;
	default:
		drop(u, s, drop_of[v], t, from);
		return;
	}
	if (t->cookie_sent) {
		if (info.cookie == SRV_COOKIE_OK)
			up_learn_cookie(t, info.server_cookie, info.server_cookie_len);
		if (wire_msg_rcode(&u->msg) == RCODE_BADCOOKIE) {
			/* RFC 7873 section 5.3: the server wants its fresh cookie;
			 * ask once more over UDP with it, then over TCP. */
			if (info.cookie == SRV_COOKIE_OK && info.server_cookie_len > 0 &&
			    !t->badcookie_resent) {
				t->badcookie_resent = true;
				u->stats.cookies_badcookie_resends++;
				up_table_remove(t);
				if (udp_send(t) != 0)
					up_finish(t, NULL, true);
				return;
			}
			up_to_tcp(t, WHY_COOKIE);
			return;
		}
	}
	u->stats.accepted++;
	s->accepted++;
	if (u->tap != NULL)
		u->tap(u->tap_ud, true, from, false, pkt, len);
	up_finish(t, &u->msg, true);
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
	hash_key_new(&u->hkey);
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

void up_set_tap(struct upstream *u, up_tap_fn fn, void *ud)
{
	u->tap = fn;
	u->tap_ud = ud;
}

void up_set_opts(struct upstream *u, const struct up_opts *opts)
{
	u->opts = opts;
}

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
		struct up_tx *o = up_merge_find(u, s);
		if (o != NULL) {
			struct up_query *w = attach(o, done, ud);
			if (w != NULL)
				u->stats.merged++;
			return w;
		}
	}
	struct up_tx *t = up_tx_alloc(u);
	if (t == NULL)
		return NULL;
	t->u = u;
	t->server = s->addr;
	t->slen = s->addrlen;
	t->shash = sockaddr_hash(&s->addr, &u->hkey);
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
	if (attach(t, done, ud) == NULL || (tcp ? up_tcp_start(t) : udp_send(t)) != 0) {
		t->finished = true; /* the waiter, if any, goes with t in handle_closed */
		up_table_remove(t);
		uv_close((uv_handle_t *)&t->timer, up_handle_closed);
		if (t->tcp)
			uv_close((uv_handle_t *)&t->tcph, up_handle_closed);
		return NULL;
	}
	struct up_query *w = t->waiters;
	if (defensive)
		u->stats.defensive_tcp++;
	up_all_link(t);
	if (!tcp && uo->merge_identical_queries)
		up_merge_insert(t);
	uv_timer_start(&t->timer, up_on_timeout, s->timeout_ms, 0);
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
		up_finish(t, NULL, false);
}

void up_close(struct upstream *u)
{
	while (u->all != NULL)
		up_finish(u->all, NULL, false);
	pool_close(&u->pool);
}

void up_free(struct upstream *u)
{
	if (u == NULL)
		return;
	pool_free(&u->pool);
	srv_free(&u->srv);
	up_tx_free_spares(u);
	free(u);
}
