#include "net/recv.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

/* Linux 4.10+; older C libraries lack the names. */
#ifndef IP_RECVFRAGSIZE
#define IP_RECVFRAGSIZE 25
#endif
#ifndef IPV6_RECVFRAGSIZE
#define IPV6_RECVFRAGSIZE 77
#endif

#define RECV_BATCH 32
#define DGRAM_MAX 65536

int net_recv_want_fragsize(int fd, int family)
{
	int one = 1;
	int rc = family == AF_INET
			 ? setsockopt(fd, IPPROTO_IP, IP_RECVFRAGSIZE, &one, sizeof(one))
			 : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVFRAGSIZE, &one, sizeof(one));
	return rc == 0 ? 0 : -errno;
}

/* The kernel attaches a FRAGSIZE control message only to a datagram that was
 * reassembled; its presence is the signal. */
static unsigned rx_flags(struct msghdr *h)
{
	unsigned flags = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c))
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVFRAGSIZE) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVFRAGSIZE))
			flags |= NET_RX_FRAGMENTED;
	if (h->msg_flags & MSG_CTRUNC)
		flags |= NET_RX_FRAGMENTED; /* cannot tell: treat as suspect */
	return flags;
}

void net_recv_all(int fd, net_dgram_fn fn, void *ud)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int)) * 2];
	} ctl[RECV_BATCH];
	static _Thread_local uint8_t bufs[RECV_BATCH][DGRAM_MAX];
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	struct sockaddr_storage from[RECV_BATCH];
	for (;;) {
		for (int i = 0; i < RECV_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
			msgs[i].msg_hdr.msg_control = ctl[i].buf;
			msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
		}
		int n = recvmmsg(fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++)
			fn(ud, bufs[i], msgs[i].msg_len, &from[i], msgs[i].msg_hdr.msg_namelen,
			   rx_flags(&msgs[i].msg_hdr));
		if (n < RECV_BATCH)
			return;
	}
}
