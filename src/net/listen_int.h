/* listen_int: what the client listener's files share (listen.c: opening
 * and closing; listen_udp.c: the UDP readers; listen_tcp.c: TCP clients;
 * listen_send.c: batched UDP answers and listen_respond; listen_sock.c:
 * binding). Private to net/listen*.c. */
#ifndef PC_NET_LISTEN_INT_H
#define PC_NET_LISTEN_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <uv.h>

#include "net/listen.h"
#include "net/recv.h"
#include "net/srcaddr.h"
#include "util/list.h"

/* Answers bigger than a slot skip the batch (rare: EDNS sizes above 4096). */
#define TX_SLOT 4096

struct udp_group;

struct udp_listener {
	int fd;
	struct listeners *owner;
	void *ud;            /* the reader's context, given to fn */
	struct net_rx *rx;   /* the reader's receive scratch */
	struct udp_tx *tx;   /* and its batch of answers */
	struct udp_group *group; /* the readers it shares the socket with, or NULL */
	bool borrowed;       /* fd is the group's socket, owned by its first member */
	pthread_t reader;
	bool wild;           /* bound to 0.0.0.0 or ::: answers need a source */
	bool started;        /* the reader runs (under group->mu in a group) */
	atomic_bool stop;
	/* Read by the loop's thread while misses are common (listen_udp_adaptive,
	 * see udp_reader): the reader parks meanwhile. */
	bool adaptive;
	bool handles;        /* poll and to_loop are initialised */
	uv_poll_t poll;      /* the loop's watch on fd, started while by_loop */
	uv_async_t to_loop;  /* the reader asks the loop to take the reading */
	pthread_mutex_t park_mu;
	pthread_cond_t park_cv;
	bool by_loop;        /* under park_mu: the loop reads, the reader parks */
	unsigned win_wakes, win_handed; /* the current reading thread's window */
};

/* The readers of one interface's UDP socket, one per worker: the first
 * worker's socket, which every member reads (see udp_group_reader). */
#define GROUP_MAX 64 /* num-threads' upper bound */
struct udp_group {
	pthread_mutex_t lead; /* held by the reader that waits or reads */
	pthread_mutex_t mu;   /* members, refs, and setting stop */
	int fd;               /* the socket, the first member's */
	struct udp_listener *member[GROUP_MAX];
	unsigned n, refs;
	atomic_bool stop;
};

struct tcp_listener {
	uv_tcp_t h;
	struct listeners *owner;
};

/* Which deadline a TCP connection is under (listen_tcp.c says why). */
enum conn_timer { CT_IDLE, CT_MESSAGE, CT_DRAIN };

struct tcp_conn {
	uv_tcp_t h;
	uv_timer_t timer;     /* the deadline of tstate */
	struct listeners *owner;
	int refs;             /* the connection itself + each held client */
	int open_handles;
	bool closing;
	bool paused;          /* not read: its answers wait to be written */
	enum conn_timer tstate;
	unsigned pending;     /* queries handed over, not yet answered */
	size_t queued;        /* answer bytes waiting to be written */
	uint64_t last_ms;     /* when the last whole message came (or the connection) */
	uint8_t *buf;
	size_t len, cap;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct list_node link;        /* in the listeners' conns */
};

struct listeners {
	uv_loop_t *loop;
	const struct listen_opts *opts;
	listen_query_fn fn;
	void *ud;
	listen_batch_fn batch_sent; /* or NULL (listen_on_batch_sent) */
	struct udp_listener udp[LISTEN_MAX_INTERFACES];
	size_t n_udp;
	struct tcp_listener tcp[LISTEN_MAX_INTERFACES];
	size_t n_tcp;
	unsigned n_conns;
	struct list conns;            /* open connections (struct tcp_conn) */
};

/* The answers a reader collects while it handles one recvmmsg batch of its
 * socket fd. They are copied into slots because the caller's buffer is
 * reused for the next query of the batch. */
struct udp_tx {
	int fd;
	int plain_fd; /* fd when it is not a wildcard socket, else -1 */
	unsigned n;
	struct mmsghdr m[NET_RECV_BATCH];
	struct iovec iov[NET_RECV_BATCH];
	struct sockaddr_storage to[NET_RECV_BATCH];
	union {
		struct cmsghdr align;
		uint8_t buf[SRCADDR_CMSG_SPACE];
	} ctl[NET_RECV_BATCH]; /* source addresses (wildcard sockets) */
	uint8_t slot[NET_RECV_BATCH][TX_SLOT];
};

/* Copy a socket address of len bytes: IPv4 and IPv6 ones (the only kinds
 * here) with one fixed-size copy, which the compiler turns into a few
 * moves; both sides are whole sockaddr_storage buffers. */
static inline void copy_addr(struct sockaddr_storage *dst, const struct sockaddr_storage *src,
		      socklen_t len)
{
	if (len <= sizeof(struct sockaddr_in6))
		memcpy(dst, src, sizeof(struct sockaddr_in6));
	else
		memcpy(dst, src, len);
}

/* listen_sock.c: a close callback with nothing to do (the handles live
 * in struct listeners, freed by listen_free). */
void listen_noop_close(uv_handle_t *h);

/* listen_send.c: the calling thread's batch of answers becomes b (NULL:
 * none; answers then go out at once or in the loop's held batches);
 * returns the previous one. And: send what b collected. */
struct udp_tx *listen_tx_swap(struct udp_tx *b);
void listen_tx_flush(struct udp_tx *b);

/* listen_udp.c: open the UDP listener of a (on l's loop thread); stop its
 * reader and close it. */
int listen_udp_open(struct listeners *l, const struct sockaddr_len *a, bool reuseport, char *err,
		    size_t errlen);
void listen_udp_close(struct udp_listener *ul);

/* listen_tcp.c: open the TCP listener of a; close every TCP listener and
 * connection of l; write an answer to a TCP client (its loop's thread). */
int listen_tcp_open(struct listeners *l, const struct sockaddr_len *a, bool reuseport, char *err,
		    size_t errlen);
void listen_tcp_close(struct listeners *l);
void listen_tcp_respond(const struct listen_client *c, const uint8_t *pkt, size_t len);

#endif
