/* listen: client-facing UDP and TCP listeners.
 *
 * UDP: one socket per interface, each with a reader thread of its own
 * (listen_udp_start) that hands the queries to the query callback on that
 * thread. Alone, a reader sleeps in recvmmsg on its socket; with
 * listen_share, the readers of several workers read one socket in turns.
 * Answers given while a batch is being handled (cache hits) are collected
 * and sent with one sendmmsg when the batch is done; answers a loop thread
 * gives after listen_defer_start (worker 0's, after upstream) are held per
 * socket until the end of the loop iteration and sent with one sendmmsg per
 * socket; any other answer goes out at once with sendto.
 * A UDP socket bound to a wildcard address (0.0.0.0 or ::) asks for each
 * query's destination address (IP_PKTINFO / IPV6_RECVPKTINFO) and sends the
 * answer from it, as a host with several addresses needs; only those
 * sockets pay for the control messages, the others' reading and sending is
 * unchanged.
 * TCP: length-prefixed messages (RFC 7766), several queries in flight per
 * connection (pipelined; answered in whatever order they complete), an idle
 * timeout, and a cap on connections.
 * Each query is handed to the daemon with a struct listen_client naming where
 * the answer goes; the daemon copies it with listen_client_hold() when the
 * answer will come later and releases it when done.
 *
 * Adaptive reading (listen_udp_adaptive, worker 0 with one worker): while
 * many queries are handed on to be resolved, the loop's own thread reads a
 * UDP socket instead of its reader, so that a miss is resolved where it was
 * read; the reader takes it back when they become rare.
 * Files: listen.c opens and closes; listen_udp.c reads UDP (the readers,
 * shared and adaptive reading); listen_tcp.c serves TCP; listen_send.c
 * sends UDP answers in batches (listen_respond).
 * Threads: a struct listeners belongs to the thread running its loop (TCP,
 * and opening and closing it all); the UDP readers only read and call
 * back. listen_respond() for a UDP client may be called by any
 * thread while the listeners are open (it only sends on the socket). With
 * reuseport, several struct listeners (one per thread) bind the same
 * addresses with SO_REUSEPORT: the kernel spreads TCP connections over
 * them, and listen_share makes their UDP readers read one socket. */
#ifndef PC_NET_LISTEN_H
#define PC_NET_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "net/recv.h"
#include "util/sockaddr.h"

#define LISTEN_MAX_INTERFACES 16

/* The listeners' part of the configuration (named as the keys are; filled
 * by daemon/options.c). */
struct listen_opts {
	struct sockaddr_len interfaces[LISTEN_MAX_INTERFACES]; /* interface: */
	size_t n_interfaces;
	bool do_udp, do_tcp;
	uint32_t so_rcvbuf, so_sndbuf;  /* bytes; 0 = the system's */
	uint32_t incoming_num_tcp;      /* connections per thread */
	uint32_t tcp_per_address;       /* ... of them from one client address */
	uint32_t tcp_idle_timeout;      /* ms */
	uint32_t tcp_message_timeout;   /* ms */
	uint32_t tcp_queue_size;        /* bytes of answers queued per connection */
	uint64_t stream_wait_size;      /* ... over all connections */
};

struct tcp_conn;
struct listeners;

struct listen_client {
	bool tcp;
	int fd;                       /* UDP socket the query came in on */
	struct tcp_conn *conn;        /* TCP connection (refcounted) */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	uint64_t rx_ms;               /* monotonic ms (clock_now_ms's clock) when
				       * the query was read: the loop's time (TCP),
				       * or the reader's clock read per batch (UDP) */
	struct net_dst dst;           /* UDP on a wildcard address only (set and
				       * read for those sockets, left unset for
				       * the others): where the query was sent,
				       * the answer's source address */
};

/* Returns true when the query was handed on to be resolved (a cache miss),
 * which adaptive reading counts (listen_udp_adaptive). */
typedef bool (*listen_query_fn)(void *ud, const struct listen_client *c, const uint8_t *pkt,
				size_t len);

/* Open a UDP and a TCP listener (as opts say) on every interface; with
 * reuseport each socket is bound with SO_REUSEPORT so that other threads'
 * listeners can share the addresses. On failure returns a negative PC_E*
 * with one line in err; call listen_close and listen_free still. TCP
 * queries reach fn with ud, on the loop's thread; UDP ones reach it on
 * their reader's thread, with the reader's own ud (listen_udp_start). */
int listen_open(struct listeners **out, uv_loop_t *loop, const struct listen_opts *opts,
		listen_query_fn fn, void *ud, bool reuseport, char *err, size_t errlen);
/* The number of UDP sockets, and: start the reader thread of socket i
 * (0 <= i < listen_n_udp), which calls fn with ud for each of its queries
 * until listen_close. Returns 0 or PC_EIO. */
size_t listen_n_udp(const struct listeners *l);
int listen_udp_start(struct listeners *l, size_t i, void *ud);
/* On the loop's thread, before listen_udp_start: the UDP sockets not shared
 * (listen_share) are read by the loop's own thread instead of their reader
 * while many of the queries are handed on (the query callback returns
 * true), so that a miss read there is resolved without waking another
 * thread; the reader takes the reading back when they become rare
 * (listen_udp.c says how it decides). The query callback then runs on the
 * loop's thread with the reader's ud, never on both at once. Returns 0 or
 * PC_EIO. */
int listen_udp_adaptive(struct listeners *l);
/* With several workers: l's UDP readers (a listeners opened with reuseport
 * and the same config as first) read first's sockets, socket i with socket
 * i, and l's own UDP sockets are closed; call before either starts its
 * readers. The readers of one socket take turns (listen_udp.c says how), so
 * a query reaches the query callback on whichever reader read it, with that
 * reader's ud. Closing any of them stops all their readers; the socket is
 * closed with first's listener. Returns 0 or a negative PC_E*. */
int listen_share(struct listeners *l, struct listeners *first);
/* Before the readers start: after a UDP reader has sent the answers of a
 * read batch it calls fn with its ud (listen_udp_start's). For what is
 * measured per batch (the metrics' answer latency); a listeners without it
 * pays nothing. */
typedef void (*listen_batch_fn)(void *ud);
void listen_on_batch_sent(struct listeners *l, listen_batch_fn fn);
/* Stop and join the UDP readers, close every socket and connection. */
void listen_close(struct listeners *l);
/* After the loop has run the close callbacks. */
void listen_free(struct listeners *l);

/* On a loop's thread: from now on, UDP answers this thread gives outside a
 * read batch are held per socket and sent with one sendmmsg per socket at
 * the end of the loop iteration's I/O phase or before the loop sleeps.
 * listen_defer_stop (same thread) sends what is held and goes back to
 * sending at once; call it before any socket it may hold answers for is
 * closed. Returns 0 or PC_ENOMEM. */
int listen_defer_start(uv_loop_t *loop);
void listen_defer_stop(void);

/* Send an answer back to the client (no-op if its TCP connection is gone). */
void listen_respond(const struct listen_client *c, const uint8_t *pkt, size_t len);
/* Keep a client past the query callback; release it exactly once. */
void listen_client_hold(struct listen_client *dst, const struct listen_client *src);
void listen_client_release(struct listen_client *c);

/* A client listener socket of type (SOCK_DGRAM, SOCK_STREAM) bound to a, set
 * up as every listener is (IPv6 only on an IPv6 address, SO_REUSEADDR on TCP
 * only, SO_REUSEPORT when asked), non-blocking; or -1 with errno set. claim.c
 * probes an address with it, so the probe binds exactly as the listener will. */
int listen_bind_socket(const struct sockaddr_len *a, int type, bool reuseport);
/* a's address as text (without brackets) and its port, for messages. */
void listen_addr_text(const struct sockaddr_len *a, char *host, size_t hostlen, uint16_t *port);

#endif
