/* recv: read a UDP socket in batches with recvmmsg, handing each datagram
 * to a callback: drain a non-blocking socket (the pool, on the event loop),
 * or wait on a blocking one (a client listener's reader thread).
 * The datagram buffers and message headers live in a struct net_rx, made
 * once per reading thread and reused for every read: the callback may modify
 * a datagram but must not keep it, and must not read with the same net_rx
 * itself (its buffers are in use). A net_rx is 4 MB of address space, of
 * which only the pages datagrams land in become resident. */
#ifndef PC_NET_RECV_H
#define PC_NET_RECV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <netinet/in.h>

/* rxflags bits */
#define NET_RX_FRAGMENTED 1u /* reassembled from IP fragments (needs net_recv_want_fragsize) */
#define NET_RX_DST 2u        /* net_rx_dst has its destination (needs net_recv_want_pktinfo) */

/* The local address a datagram was sent to, and the interface it came in on. */
struct net_dst {
	int family; /* AF_INET or AF_INET6; 0 = unknown */
	int ifindex;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
};

/* Datagrams read with one recvmmsg call, at most. At the cached peak
 * (dnsperf, 500 queries in flight) a reader finds more than 32 queued:
 * 64 took about 2% more answers per second than 32 (three interleaved
 * runs), and 128 no more than 64. */
#define NET_RECV_BATCH 64

struct net_rx;

typedef void (*net_dgram_fn)(void *ud, uint8_t *pkt, size_t len,
			     const struct sockaddr_storage *from, socklen_t fromlen,
			     unsigned rxflags);
/* Called after the datagrams of one recvmmsg call have been handed out;
 * n is how many there were (0..NET_RECV_BATCH). */
typedef void (*net_batch_fn)(void *ud, unsigned n);

/* Receive scratch for one thread's reads, or NULL when out of memory. */
struct net_rx *net_rx_new(void);
void net_rx_free(struct net_rx *rx);

/* Ask the kernel to report, per datagram, whether it arrived in fragments
 * (IP_RECVFRAGSIZE / IPV6_RECVFRAGSIZE). Returns 0 or -errno. */
int net_recv_want_fragsize(int fd, int family);

/* Ask the kernel to report, per datagram, the local address it was sent to
 * (IP_PKTINFO / IPV6_RECVPKTINFO): for a socket bound to a wildcard address,
 * whose answers must leave from that address. Returns 0 or -errno. */
int net_recv_want_pktinfo(int fd, int family);

/* In the datagram callback, when rxflags has NET_RX_DST: where the datagram
 * being handed out was sent. Valid until the callback returns. */
const struct net_dst *net_rx_dst(const struct net_rx *rx);

/* Read a non-blocking socket until it would block. */
void net_recv_all(struct net_rx *rx, int fd, net_dgram_fn fn, void *ud);

/* Wait for at least one datagram on a blocking socket, then take what is
 * queued (up to NET_RECV_BATCH) and hand it out, calling end (may be NULL)
 * after the batch. Returns the number of datagrams, or -errno (-EINTR when
 * a signal came first). After shutdown(fd, SHUT_RD) the call returns at
 * once: the caller checks its own stop flag. */
int net_recv_wait(struct net_rx *rx, int fd, net_dgram_fn fn, net_batch_fn end, void *ud);

/* The same in two steps, for a caller that must act between reading and
 * handling: take what is queued on fd now (up to NET_RECV_BATCH, without
 * waiting; returns the number or -errno, -EAGAIN when nothing is), then
 * hand those n datagrams out as net_recv_wait does. */
int net_recv_take(struct net_rx *rx, int fd);
/* The same, waiting for the first datagram on a blocking socket (0 once
 * shutdown(fd, SHUT_RD) was called). */
int net_recv_take_wait(struct net_rx *rx, int fd);
void net_recv_hand(struct net_rx *rx, int n, net_dgram_fn fn, net_batch_fn end, void *ud);

/* sendmmsg(2) as a plain system call. In a process with more than one
 * thread the C library's wrappers of recvmmsg and sendmmsg are cancellation
 * points, and each call pays two atomic updates of the thread's cancel
 * state, a measurable share of a cache hit; no portcullis thread is ever
 * cancelled (readers are stopped by shutdown and joined), so both receive
 * calls above and this skip them. Same return and errno as sendmmsg. */
int net_sendmmsg(int fd, struct mmsghdr *m, unsigned n, int flags);

#endif
