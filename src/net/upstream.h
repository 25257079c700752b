/* upstream: sends the core's queries and matches replies to them.
 *
 * UDP queries leave from a pool socket drawn uniformly from the whole pool,
 * with a fresh uniform ID and (use-caps-for-id) a random letter case. A reply
 * is accepted only if RFC 5452 §9.1 holds in full: it arrived on the socket
 * the query left from, from the server's address and port, with the ID and
 * the exact question (QNAME byte for byte, QTYPE, QCLASS), and parses as a
 * whole message. Anything else is dropped, counted by reason, and does not
 * end the wait. TCP queries (after TC) use a fresh connection.
 *
 * Defenses beyond RFC 5452 (all here, the core never sees them):
 *  - a reply from the queried server with a wrong ID, the wrong letter
 *    case, a bad cookie, or that arrived in IP fragments means a forger is
 *    at work: the queries waiting for that server on that socket are asked
 *    again over TCP (tcp-after-mismatch, refuse-fragmented-replies);
 *  - a server that does not echo 0x20 case (confirmed over TCP twice) is
 *    sent lowercase for 15 minutes; caps-exempt zones never get 0x20;
 *  - unwanted replies that could be forgeries (from a server a query on
 *    that socket waits for) are counted per minute; at the threshold,
 *    defensive mode sends the queries to the servers the forgeries came in
 *    the name of over TCP for a while and raises the alarm for the zones
 *    they aimed at (net/guard.h); other servers are asked as usual;
 *  - identical outstanding questions to one server share one query
 *    (merge-identical-queries): each caller is a waiter of it;
 *  - DNS cookies as a client (upstream-cookies, net/srvstate.h).
 *
 * The module's files: upstream.c (sending over UDP, the verdict on each
 * datagram, these calls), up_tcp.c (the TCP transport), up_tx.c (a
 * transaction's end, its query's bytes, its cookies), up_table.c (the
 * tables of outstanding transactions), upstream_int.h (what they share);
 * the reply check is net/match.h. */
#ifndef PC_NET_UPSTREAM_H
#define PC_NET_UPSTREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/core.h"
#include "net/pool.h"
#include "wire/wire.h"

enum up_drop {
	UP_DROP_BAD_ID, UP_DROP_BAD_SOURCE, UP_DROP_BAD_QUESTION, UP_DROP_MALFORMED,
	UP_DROP_UNSOLICITED, UP_DROP_BAD_CASE, UP_DROP_FRAGMENTED, UP_DROP_BAD_COOKIE,
	UP_DROP_N
};

struct up_stats {
	uint64_t sent_udp, sent_tcp, timeouts, accepted, tcp_errors;
	uint64_t dropped[UP_DROP_N];
	uint64_t tcp_after_mismatch;  /* queries asked again over TCP after a mismatch */
	uint64_t merged;              /* callers attached to an outstanding query */
	uint64_t defensive_tcp;       /* queries sent over TCP because of defensive mode */
	uint64_t caps_misses;         /* confirmed: the server does not echo case */
	uint64_t cookies_sent, cookies_echoed, cookies_learned, cookies_badcookie_resends,
		cookies_forgotten;
};

struct up_query;
struct upstream;

#define UP_MAX_CAPS_EXEMPT 32

/* The upstream layer's part of the configuration (named as the keys are;
 * filled by daemon/options.c). */
struct up_opts {
	struct pool_opts pool;
	bool do_tcp;
	uint16_t edns_buffer_size;          /* advertised in queries */
	bool use_caps_for_id;               /* 0x20 */
	uint8_t caps_exempt[UP_MAX_CAPS_EXEMPT][WIRE_NAME_MAX]; /* zones without 0x20 */
	size_t n_caps_exempt;
	bool tcp_after_mismatch;
	bool merge_identical_queries;
	bool upstream_cookies;
	bool refuse_fragmented_replies;
	uint32_t unwanted_reply_threshold;  /* per minute; 0 = off */
	uint32_t defensive_mode_time;       /* seconds */
};

/* Completion: reply is the parsed, matched reply or NULL on timeout/error. */
typedef void (*up_done_fn)(void *ud, const struct wire_msg *reply, uint32_t rtt_ms);

/* opts must outlive the upstream layer. */
struct upstream *up_new(uv_loop_t *loop, const struct up_opts *opts, char *err, size_t errlen);
void up_free(struct upstream *u);
/* The options to read from now on (a reload; same thread as up_send):
 * 0x20 and its exemptions, cookies, merging, TCP after a mismatch, EDNS
 * size. The pool and the forgery guard keep the ones they were opened with
 * (their settings need a restart). opts must stay alive until replaced or
 * the upstream is freed. */
void up_set_opts(struct upstream *u, const struct up_opts *opts);
struct pool *up_pool(struct upstream *u);
/* Every upstream counter as "key", value (queries.upstream.*, replies.*,
 * pool.*): the control channel prints them as they come. */
typedef void (*up_stat_fn)(void *ud, const char *key, uint64_t value);
void up_stats_each(const struct upstream *u, up_stat_fn fn, void *ud);

/* Defensive mode: called when the unwanted-reply threshold is crossed, once
 * for each zone (wire name) that forged replies aimed at, so that the owner
 * can flush what may have been poisoned. */
typedef void (*up_alarm_fn)(void *ud, const uint8_t *zone);
void up_set_alarm(struct upstream *u, up_alarm_fn fn, void *ud);

/* A copy of the traffic (dnstap): called with every query sent (reply
 * false: its bytes as they left, UDP or TCP) and every reply accepted
 * (reply true: its bytes, question in lowercase), with the server's
 * address. On the upstream layer's thread. NULL (the default) for none. */
typedef void (*up_tap_fn)(void *ud, bool reply, const struct sockaddr_storage *server, bool tcp,
			  const uint8_t *pkt, size_t len);
void up_set_tap(struct upstream *u, up_tap_fn fn, void *ud);

/* Send q; done is called exactly once unless up_cancel is called first.
 * Returns NULL if nothing could be sent (done is not called then). The
 * handle is the caller's own even when its question was merged into an
 * outstanding one: up_cancel ends only that caller's wait. */
struct up_query *up_send(struct upstream *u, const struct core_send *q, up_done_fn done, void *ud);
void up_cancel(struct up_query *q);
/* Stop everything (shutdown); outstanding queries are cancelled silently. */
void up_close(struct upstream *u);

#endif
