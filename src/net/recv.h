/* recv: read a UDP socket in batches with recvmmsg, handing each datagram
 * to a callback: drain a non-blocking socket (the pool, on the event loop),
 * or wait on a blocking one (a client listener's reader thread).
 * The datagram buffers and message headers are per-thread scratch space,
 * set up once per thread rather than once per read: the callback may modify
 * a datagram but must not keep it, and must not read from a socket with
 * these functions itself (the scratch space is in use). */
#ifndef PC_NET_RECV_H
#define PC_NET_RECV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* rxflags bits */
#define NET_RX_FRAGMENTED 1u /* reassembled from IP fragments (needs net_recv_want_fragsize) */

/* Datagrams read with one recvmmsg call, at most. */
#define NET_RECV_BATCH 32

typedef void (*net_dgram_fn)(void *ud, uint8_t *pkt, size_t len,
			     const struct sockaddr_storage *from, socklen_t fromlen,
			     unsigned rxflags);
/* Called after the datagrams of one recvmmsg call have been handed out;
 * n is how many there were (1..NET_RECV_BATCH). */
typedef void (*net_batch_fn)(void *ud, unsigned n);

/* Ask the kernel to report, per datagram, whether it arrived in fragments
 * (IP_RECVFRAGSIZE / IPV6_RECVFRAGSIZE). Returns 0 or -errno. */
int net_recv_want_fragsize(int fd, int family);

/* Read until the socket would block. */
void net_recv_all(int fd, net_dgram_fn fn, void *ud);

/* Read at most max_batches recvmmsg batches (0: until the socket would
 * block), calling end (may be NULL) after each batch. A bound lets a busy
 * socket yield to the rest of the event loop; the loop's level-triggered
 * poll brings us back for the rest. */
void net_recv_batches(int fd, net_dgram_fn fn, net_batch_fn end, void *ud, unsigned max_batches);

/* Wait for at least one datagram on a blocking socket, then take what is
 * queued (up to NET_RECV_BATCH) and hand it out, calling end (may be NULL)
 * after the batch. Returns the number of datagrams, or -errno (-EINTR when
 * a signal came first). After shutdown(fd, SHUT_RD) the call returns at
 * once (with one empty datagram): the caller checks its own stop flag. */
int net_recv_wait(int fd, net_dgram_fn fn, net_batch_fn end, void *ud);

#endif
