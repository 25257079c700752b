/* upstream internals, shared by the files of the upstream module only:
 * upstream.c (sending over UDP, the verdict on each datagram, the public
 * calls), up_tcp.c (the TCP transport), up_tx.c (a transaction's end, its
 * query's bytes, its cookies), up_table.c (the tables of outstanding
 * transactions and the spare list). The reply check itself is net/match.h.
 * Their calls go one way: upstream.c -> up_tcp.c -> up_tx.c -> up_table.c
 * (upstream.c also calls the last two directly); none calls back up. */
#ifndef PC_NET_UPSTREAM_INT_H
#define PC_NET_UPSTREAM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "net/guard.h"
#include "net/match.h"
#include "net/pool.h"
#include "net/srvstate.h"
#include "net/upstream.h"
#include "wire/wire.h"

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
	struct hash_key hkey; /* for the tables keyed by server and question */
	struct srvstate srv;
	struct guard guard;
	struct wire_msg msg; /* parse space for the reply being matched */
	up_alarm_fn alarm;
	void *alarm_ud;
	up_tap_fn tap; /* or NULL (dnstap's copy of the traffic) */
	void *tap_ud;
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
static inline uint64_t loop_ms(const struct upstream *u)
{
	return uv_now(u->loop);
}

/* ---- up_table.c: the tables ---------------------------------------------- */

/* The UDP transaction waiting on s with that ID, or NULL. */
struct up_tx *up_lookup(struct upstream *u, const struct pool_sock *s, uint16_t id);
/* Enter t (its ID and shash set) in the (socket, ID) and (socket, server)
 * tables as waiting on s. */
void up_table_insert(struct up_tx *t, struct pool_sock *s);
/* Leave both UDP tables; a datagram for it is then unsolicited or a bad ID.
 * May close a retired socket. */
void up_table_remove(struct up_tx *t);
/* Up to max transactions waiting on s for a reply from `from`, into hit;
 * returns how many. */
size_t up_waiting_on(struct upstream *u, const struct pool_sock *s,
		     const struct sockaddr_storage *from, struct up_tx **hit, size_t max);
/* Is a query on s waiting for a reply from `from`? */
bool up_waiting_for(struct upstream *u, const struct pool_sock *s,
		    const struct sockaddr_storage *from);
/* The unfinished transaction asking the same question of the same server. */
struct up_tx *up_merge_find(struct upstream *u, const struct core_send *s);
void up_merge_insert(struct up_tx *t);
void up_merge_remove(struct up_tx *t);
/* The list of every live transaction (for up_close). */
void up_all_link(struct up_tx *t);
void up_all_unlink(struct up_tx *t);
/* A zeroed transaction, from the spare list when it has one; NULL when out
 * of memory. up_tx_release keeps an ended one for reuse or frees it. */
struct up_tx *up_tx_alloc(struct upstream *u);
void up_tx_release(struct upstream *u, struct up_tx *t);
void up_tx_free_spares(struct upstream *u);

/* ---- up_tx.c: a transaction's end, its query, its cookies ---------------- */

/* End t: every waiter is told once (when notify), then its handles close. */
void up_finish(struct up_tx *t, const struct wire_msg *reply, bool notify);
void up_on_timeout(uv_timer_t *h);
void up_handle_closed(uv_handle_t *h);
/* Write the query for t into buf: fresh 0x20 pattern, our cookie. Length
 * or a negative error. */
int up_build(struct up_tx *t, uint8_t *buf, size_t cap);
void up_learn_cookie(struct up_tx *t, const uint8_t *sc, size_t sc_len);
/* What the reply check needs to know of t, in q. */
const struct match_query *up_query_of(struct up_tx *t, struct match_query *q);

/* ---- up_tcp.c: the TCP transport ------------------------------------------ */

/* Ask t over a fresh TCP connection (fresh ID too). 0 or -1; on -1 the
 * connection handle, if opened, is closed by the caller's up_finish(). */
int up_tcp_start(struct up_tx *t);
/* Ask t again over TCP after a mismatch over UDP (why it is asked). */
void up_to_tcp(struct up_tx *t, enum retry_why why);

#endif
