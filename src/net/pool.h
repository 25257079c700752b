/* pool: the socket pool. For each upstream address family in use,
 * socket-pool-size UDP sockets bound to distinct ports drawn uniformly at
 * random (CSPRNG) from socket-pool-range minus every socket-pool-exclude
 * range, redrawing when a port is taken. upstream.c draws one uniformly from
 * the whole pool for every query.
 *
 * Rotation: a pool slot's socket is replaced by a socket on a fresh random
 * port after pool-rotate-uses queries or about pool-rotate-seconds, so that
 * a pool membership an attacker has learned goes stale. The replaced socket
 * is retired, not closed: queries still waiting on it are answered there,
 * and it closes when the last of them ends (pool_sock_done). */
#ifndef PC_NET_POOL_H
#define PC_NET_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "util/sockaddr.h"

struct pool;

#define POOL_MAX_OUTGOING 16
#define POOL_MAX_EXCLUDE 64

struct pool_range {
	uint16_t low, high; /* inclusive; low <= high */
};

/* The pool's part of the configuration (named as the keys are; filled by
 * daemon/options.c). */
struct pool_opts {
	bool do_ip4, do_ip6;                /* a pool per family in use */
	struct sockaddr_len outgoing[POOL_MAX_OUTGOING]; /* outgoing-interface, port 0 */
	size_t n_outgoing;
	uint32_t socket_pool_size;          /* sockets per family; 0 = one */
	struct pool_range socket_pool_range;
	struct pool_range pool_exclude[POOL_MAX_EXCLUDE]; /* socket-pool-exclude */
	size_t n_pool_exclude;
	uint32_t pool_rotate_uses;          /* 0 = never */
	uint32_t pool_rotate_seconds;       /* 0 = never */
	bool refuse_fragmented_replies;
};

/* A server a pool socket sent queries to, for the control channel's pool
 * listing ("why is this port busy?"). Fixed size, no allocation. */
#define POOL_PEERS 4
struct pool_peer {
	uint8_t addr[16];  /* 4 bytes used for IPv4 */
	uint16_t port;     /* host order; 0 = empty entry */
	uint8_t family;    /* AF_INET or AF_INET6 */
	uint32_t queries;  /* sent to it on this socket */
};

struct pool_sock {
	int fd;
	int family;        /* AF_INET or AF_INET6 */
	uint16_t port;
	bool retired;      /* replaced in its slot; closes when outstanding is 0 */
	uint32_t slot;     /* the pool slot it serves or served */
	uint64_t serial;   /* unique over the life of the pool */
	uint32_t outstanding;
	uint32_t uses;     /* queries sent since it was opened */
	uint64_t expires_ms; /* rotate by age at this time; 0 = never */
	uint64_t sent, accepted, dropped;
	uint64_t last_sent_ms;  /* loop time of the last query sent; 0 = none yet */
	struct pool_peer peers[POOL_PEERS]; /* most recent first */
	uv_poll_t poll;
	struct pool *pool;
	struct pool_sock *next_retired;
};

/* Called for every datagram that arrives on a pool socket; the receiver may
 * rewrite the bytes in place (they are not used again). rxflags carries
 * NET_RX_* bits (net/recv.h), e.g. that the datagram came in fragments. */
typedef void (*pool_recv_fn)(void *ud, struct pool_sock *s, uint8_t *pkt, size_t len,
			     const struct sockaddr_storage *from, unsigned rxflags);

struct pool_stats {
	uint64_t rotations;      /* sockets replaced */
	uint64_t rotate_failed;  /* replacement could not be opened; old socket kept */
	uint64_t retired_open;   /* retired sockets still waiting for queries */
};

struct net_rx;

struct pool {
	struct pool_sock **slots; /* IPv4 sockets first, then IPv6 */
	size_t n, n4, n6;
	pool_recv_fn recv;
	void *ud;
	uv_loop_t *loop;
	const struct pool_opts *opts; /* the caller's, outlives the pool */
	uv_timer_t age_timer;
	uint16_t *ports;          /* the allowed ports: range minus exclusions */
	size_t n_ports;
	struct pool_sock *retired; /* retired sockets still open */
	uint64_t next_serial;
	struct pool_stats stats;
	bool closing, timer_on;
	struct net_rx *rx;        /* receive scratch for the replies */
};

/* Open the pool for the families enabled in cfg. On failure returns a
 * negative PC_E* with one line in err (e.g. the range is too small); call
 * pool_close and pool_free then as well (the sockets opened so far close
 * when the loop runs, independently of p). */
int pool_open(struct pool *p, uv_loop_t *loop, const struct pool_opts *opts, pool_recv_fn recv,
	      void *ud, char *err, size_t errlen);
/* Count the ports that range minus exclusions offers. */
size_t pool_available_ports(const struct pool_opts *opts);
/* 0 when the range minus exclusions holds enough ports for the pool, else
 * PC_ELIMIT with one line in err saying how many it holds. */
int pool_check_range(const struct pool_opts *opts, char *err, size_t errlen);
/* A socket of the family drawn uniformly from the whole pool; NULL if none. */
struct pool_sock *pool_draw(struct pool *p, int family);
/* A query was sent on s and now waits there (outstanding is counted here).
 * When s has served pool-rotate-uses queries its slot gets a new socket. */
void pool_sock_sent(struct pool_sock *s);
/* Record that a query to server left from s (call with every send on a
 * pool socket): the time, and the server in the socket's small ring of
 * recent peers, most recent first. A few comparisons, no allocation. */
void pool_sock_note_peer(struct pool_sock *s, const struct sockaddr_storage *server);
/* The socket's recent activity for the control channel's pool listing:
 * with json, the text `, "idle_ms": N|null, "peers": [{"addr": A, "port":
 * P, "queries": Q}, ...]` to put inside its object; else ` idle_ms=N
 * peers=A:P/Q,...`. now_ms is the loop time. Returns the length written
 * (truncated to cap - 1, always NUL-terminated). */
#define POOL_DESCRIBE_MAX 512
size_t pool_sock_describe(const struct pool_sock *s, uint64_t now_ms, bool json, char *buf,
			  size_t cap);
/* A query that waited on s ended. A retired socket closes with its last. */
void pool_sock_done(struct pool_sock *s);
/* Replace every socket now (control command "pool rotate"); returns how
 * many were replaced. */
size_t pool_rotate_all(struct pool *p);
/* Stop reading and close every socket; retired ones too. */
void pool_close(struct pool *p);
/* After the loop has run the close callbacks. */
void pool_free(struct pool *p);

#endif
