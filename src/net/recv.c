#include "net/recv.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux 4.10+; older C libraries lack the names. */
#ifndef IP_RECVFRAGSIZE
#define IP_RECVFRAGSIZE 25
#endif
#ifndef IPV6_RECVFRAGSIZE
#define IPV6_RECVFRAGSIZE 77
#endif

#define DGRAM_MAX 65536

/* One reader's receive scratch. The headers point into the buffers and are
 * built once; after a batch only the fields the kernel rewrote (name and
 * control lengths) are reset, and only for the messages it filled. Setting
 * up all the headers on every read cost more than the datagrams' handling
 * when a wake-up brings only a few. */
struct net_rx {
	struct mmsghdr msgs[NET_RECV_BATCH];
	struct iovec iov[NET_RECV_BATCH];
	struct sockaddr_storage from[NET_RECV_BATCH];
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int)) * 2 + CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl[NET_RECV_BATCH];
	struct net_dst dst; /* the datagram being handed out (NET_RX_DST) */
	uint8_t bufs[NET_RECV_BATCH][DGRAM_MAX];
};

int net_recv_want_fragsize(int fd, int family)
{
	int one = 1;
	int rc = family == AF_INET
			 ? setsockopt(fd, IPPROTO_IP, IP_RECVFRAGSIZE, &one, sizeof(one))
			 : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVFRAGSIZE, &one, sizeof(one));
	return rc == 0 ? 0 : -errno;
}

int net_recv_want_pktinfo(int fd, int family)
{
	int one = 1;
	int rc = family == AF_INET
			 ? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))
			 : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	return rc == 0 ? 0 : -errno;
}

const struct net_dst *net_rx_dst(const struct net_rx *rx)
{
	return &rx->dst;
}

/* The destination of a datagram, from its PKTINFO control message. */
static void take_dst(struct net_rx *rx, const struct cmsghdr *c)
{
	if (c->cmsg_level == IPPROTO_IP) {
		struct in_pktinfo pi;
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		rx->dst.family = AF_INET;
		rx->dst.ifindex = pi.ipi_ifindex;
		/* the local address the kernel routed it to: the header's
		 * destination for unicast, never a broadcast address */
		rx->dst.addr.v4 = pi.ipi_spec_dst;
	} else {
		struct in6_pktinfo pi;
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		rx->dst.family = AF_INET6;
		rx->dst.ifindex = (int)pi.ipi6_ifindex;
		rx->dst.addr.v6 = pi.ipi6_addr;
	}
}

/* The kernel attaches a FRAGSIZE control message only to a datagram that was
 * reassembled; its presence is the signal. PKTINFO comes with every datagram
 * of a socket that asked for it (wildcard listeners only). */
static unsigned rx_flags(struct net_rx *rx, struct msghdr *h)
{
	unsigned flags = 0;
	if (h->msg_controllen == 0 && !(h->msg_flags & MSG_CTRUNC))
		return 0; /* the common case: nothing attached */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVFRAGSIZE) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVFRAGSIZE))
			flags |= NET_RX_FRAGMENTED;
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		     c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		     c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo)))) {
			take_dst(rx, c);
			flags |= NET_RX_DST;
		}
	}
	if (h->msg_flags & MSG_CTRUNC)
		flags |= NET_RX_FRAGMENTED; /* cannot tell: treat as suspect */
	return flags;
}

static void reset_hdr(struct net_rx *rx, unsigned i)
{
	struct msghdr *h = &rx->msgs[i].msg_hdr;
	h->msg_namelen = sizeof(rx->from[i]);
	h->msg_controllen = sizeof(rx->ctl[i].buf);
	h->msg_flags = 0;
}

/* calloc: a block this big comes from mmap, so the datagram buffers stay
 * untouched (and not resident) until datagrams land in them. */
struct net_rx *net_rx_new(void)
{
	struct net_rx *rx = calloc(1, sizeof(*rx));
	if (rx == NULL)
		return NULL;
	for (unsigned i = 0; i < NET_RECV_BATCH; i++) {
		rx->iov[i].iov_base = rx->bufs[i];
		rx->iov[i].iov_len = sizeof(rx->bufs[i]);
		rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->msgs[i].msg_hdr.msg_iovlen = 1;
		rx->msgs[i].msg_hdr.msg_name = &rx->from[i];
		rx->msgs[i].msg_hdr.msg_control = rx->ctl[i].buf;
		reset_hdr(rx, i);
	}
	return rx;
}

void net_rx_free(struct net_rx *rx)
{
	free(rx);
}

/* Hand out the n datagrams of the last recvmmsg and make their headers
 * ready for the next one. */
static void deliver(struct net_rx *rx, int n, net_dgram_fn fn, net_batch_fn end, void *ud)
{
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &rx->msgs[i].msg_hdr;
		fn(ud, rx->bufs[i], rx->msgs[i].msg_len, &rx->from[i], h->msg_namelen,
		   rx_flags(rx, h));
	}
	for (int i = 0; i < n; i++)
		reset_hdr(rx, (unsigned)i);
	if (end != NULL)
		end(ud, (unsigned)n);
}

/* recvmmsg as the plain system call: see net_sendmmsg. */
static int rx_recvmmsg(struct net_rx *rx, int fd, int flags)
{
	return (int)syscall(SYS_recvmmsg, fd, rx->msgs, NET_RECV_BATCH, flags, NULL);
}

void net_recv_all(struct net_rx *rx, int fd, net_dgram_fn fn, void *ud)
{
	for (;;) {
		int n = rx_recvmmsg(rx, fd, MSG_DONTWAIT);
		if (n <= 0)
			return;
		deliver(rx, n, fn, NULL, ud);
		if (n < NET_RECV_BATCH)
			return;
	}
}

int net_recv_take(struct net_rx *rx, int fd)
{
	int n = rx_recvmmsg(rx, fd, MSG_DONTWAIT);
	return n < 0 ? -errno : n;
}

int net_recv_take_wait(struct net_rx *rx, int fd)
{
	int n = rx_recvmmsg(rx, fd, MSG_WAITFORONE);
	return n < 0 ? -errno : n;
}

void net_recv_hand(struct net_rx *rx, int n, net_dgram_fn fn, net_batch_fn end, void *ud)
{
	deliver(rx, n, fn, end, ud);
}

int net_recv_wait(struct net_rx *rx, int fd, net_dgram_fn fn, net_batch_fn end, void *ud)
{
	int n = rx_recvmmsg(rx, fd, MSG_WAITFORONE);
	if (n < 0)
		return -errno;
	deliver(rx, n, fn, end, ud);
	return n;
}

int net_sendmmsg(int fd, struct mmsghdr *m, unsigned n, int flags)
{
	return (int)syscall(SYS_sendmmsg, fd, m, n, flags);
}
