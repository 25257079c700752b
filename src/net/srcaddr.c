/* srcaddr: answers from the address the query was sent to (srcaddr.h). */
#include "net/srcaddr.h"

#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>


/* The registered sockets. Written while the listeners open and close (on
 * the main thread, no reader running on them), read by any thread that
 * answers outside a reader's own batch. */
#define WILD_MAX 1024
static _Atomic int wild_fds[WILD_MAX];
static atomic_uint n_wild;

void srcaddr_wild_add(int fd)
{
	unsigned n = atomic_load(&n_wild);
	for (unsigned i = 0; i < n; i++) {
		if (atomic_load(&wild_fds[i]) == -1) {
			atomic_store(&wild_fds[i], fd);
			return;
		}
	}
	if (n < WILD_MAX) {
		atomic_store(&wild_fds[n], fd);
		atomic_store(&n_wild, n + 1);
	}
}

void srcaddr_wild_remove(int fd)
{
	unsigned n = atomic_load(&n_wild);
	for (unsigned i = 0; i < n; i++)
		if (atomic_load(&wild_fds[i]) == fd)
			atomic_store(&wild_fds[i], -1);
}

bool srcaddr_wild(int fd)
{
	unsigned n = atomic_load_explicit(&n_wild, memory_order_acquire);
	for (unsigned i = 0; i < n; i++)
		if (atomic_load_explicit(&wild_fds[i], memory_order_relaxed) == fd)
			return true;
	return false;
}

size_t srcaddr_cmsg(void *buf, const struct net_dst *dst)
{
	struct cmsghdr *c = buf;
	if (dst->family == AF_INET) {
		struct in_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = dst->addr.v4;
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	if (dst->family == AF_INET6) {
		struct in6_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		pi.ipi6_addr = dst->addr.v6;
		pi.ipi6_ifindex = (unsigned)dst->ifindex;
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	return 0;
}

void srcaddr_send(int fd, const uint8_t *pkt, size_t len, const struct sockaddr_storage *peer,
		  socklen_t peerlen, const struct net_dst *dst)
{
	union {
		struct cmsghdr align;
		uint8_t buf[SRCADDR_CMSG_SPACE];
	} ctl;
	struct iovec iov = { .iov_base = (void *)pkt, .iov_len = len };
	struct msghdr h = { .msg_name = (void *)peer, .msg_namelen = peerlen,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	size_t clen = srcaddr_cmsg(ctl.buf, dst);
	if (clen != 0) {
		h.msg_control = ctl.buf;
		h.msg_controllen = clen;
	}
	sendmsg(fd, &h, MSG_DONTWAIT);
}
