/* recv: drain a non-blocking UDP socket in batches with recvmmsg, handing
 * each datagram to a callback. Used by the pool and the client listeners.
 * The datagram buffer is shared scratch space (one event loop per thread):
 * the callback may modify it but must not keep it. */
#ifndef PC_NET_RECV_H
#define PC_NET_RECV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* rxflags bits */
#define NET_RX_FRAGMENTED 1u /* reassembled from IP fragments (needs net_recv_want_fragsize) */

typedef void (*net_dgram_fn)(void *ud, uint8_t *pkt, size_t len,
			     const struct sockaddr_storage *from, socklen_t fromlen,
			     unsigned rxflags);

/* Ask the kernel to report, per datagram, whether it arrived in fragments
 * (IP_RECVFRAGSIZE / IPV6_RECVFRAGSIZE). Returns 0 or -errno. */
int net_recv_want_fragsize(int fd, int family);

/* Read until the socket would block. */
void net_recv_all(int fd, net_dgram_fn fn, void *ud);

#endif
