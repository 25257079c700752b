/* port_diag: sock_diag queries (see port_diag.h). */
#include "port/port_diag.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "port/port_spec.h"
#include "util/err.h"

/* The kernel sizes dump replies to the reader's buffer; 32 KiB is what
 * netlink(7) suggests to get whole batches and avoid truncation. */
#define RECV_BUF 32768

void port_sockset_free(struct port_sockset *set)
{
	free(set->v);
	set->v = NULL;
	set->n = set->cap = 0;
}

int port_sockset_add(struct port_sockset *set, const struct port_sock *s)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct port_sock *v;

		if (cap > SIZE_MAX / sizeof(*v))
			return PC_ENOMEM;
		v = realloc(set->v, cap * sizeof(*v));
		if (!v)
			return PC_ENOMEM;
		set->v = v;
		set->cap = cap;
	}
	set->v[set->n++] = *s;
	return 0;
}

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int big = RECV_BUF * 8;

	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	return fd;
}

static int nl_send(int fd, const void *msg, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	do
		n = sendto(fd, msg, len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : PC_EIO;
}

struct inet_ctx {
	struct port_sockset *set;
	uint64_t netns;
};

static int add_inet(void *ctx, const struct port_sock *s)
{
	struct inet_ctx *c = ctx;
	struct port_sock copy = *s;

	copy.netns = c->netns;
	return port_sockset_add(c->set, &copy);
}

/* One dump: send the request, read datagrams until NLMSG_DONE. */
static int dump(int fd, const void *req, size_t reqlen, uint32_t seq, uint8_t proto,
		port_nl_sock_cb icb, port_nl_unix_cb ucb, void *ctx, int *kerr)
{
	uint8_t *buf = malloc(RECV_BUF);
	bool done = false;
	int rc;

	if (!buf)
		return PC_ENOMEM;
	rc = nl_send(fd, req, reqlen);
	if (rc != 0)
		*kerr = errno;
	while (rc == 0 && !done) {
		ssize_t n = recv(fd, buf, RECV_BUF, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*kerr = errno;
			rc = PC_EIO;
			break;
		}
		if (n == 0) {
			rc = PC_EMALFORMED;
			break;
		}
		if (ucb)
			rc = port_nl_parse_unix(buf, (size_t)n, seq, ucb, ctx, &done, kerr);
		else
			rc = port_nl_parse_inet(buf, (size_t)n, seq, proto, icb, ctx,
						&done, kerr);
	}
	free(buf);
	return rc;
}

int port_diag_inet(struct port_sockset *set, unsigned tmask, uint16_t lo,
		   uint16_t hi, uint64_t netns, unsigned *skipped, int *kerr)
{
	static const struct { unsigned t; uint8_t proto, family; } q[] = {
		{ PORT_TCP, IPPROTO_TCP, AF_INET }, { PORT_TCP, IPPROTO_TCP, AF_INET6 },
		{ PORT_UDP, IPPROTO_UDP, AF_INET }, { PORT_UDP, IPPROTO_UDP, AF_INET6 },
	};
	struct inet_ctx ctx = { set, netns };
	uint8_t req[256];
	int fd = nl_open(), rc = 0;

	*kerr = 0;
	if (fd < 0) {
		*kerr = errno;
		return PC_EIO;
	}
	for (unsigned i = 0; i < sizeof(q) / sizeof(q[0]) && rc == 0; i++) {
		if (!(tmask & q[i].t))
			continue;
		uint32_t seq = 1000 + i;
		size_t len = port_nl_build_inet_req(req, sizeof(req), q[i].family,
						    q[i].proto, lo, hi, seq);
		int e = 0;
		rc = dump(fd, req, len, seq, q[i].proto, add_inet, NULL, &ctx, &e);
		/* ENOENT: no diag handler for this protocol/family (module not
		 * loaded, IPv6 off). Say so rather than fail the whole answer. */
		if (rc == PC_EIO && (e == ENOENT || e == EAFNOSUPPORT ||
				     e == EPROTONOSUPPORT || e == EOPNOTSUPP)) {
			*skipped |= 1u << i;
			rc = 0;
		} else if (rc != 0) {
			*kerr = e;
		}
	}
	close(fd);
	return rc;
}

int port_diag_unix_listeners(port_nl_unix_cb cb, void *ctx, int *kerr)
{
	uint8_t req[128];
	size_t len = port_nl_build_unix_req(req, sizeof(req), 77);
	int fd = nl_open(), rc;

	*kerr = 0;
	if (fd < 0) {
		*kerr = errno;
		return PC_EIO;
	}
	rc = dump(fd, req, len, 77, 0, NULL, cb, ctx, kerr);
	close(fd);
	return rc;
}

static int cmp_sock(const void *pa, const void *pb)
{
	const struct port_sock *a = pa, *b = pb;
	int c;

	if (a->netns != b->netns)
		return a->netns < b->netns ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->lport != b->lport)
		return a->lport < b->lport ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((c = memcmp(a->laddr, b->laddr, 16)) != 0)
		return c;
	if ((c = memcmp(a->raddr, b->raddr, 16)) != 0)
		return c;
	if (a->rport != b->rport)
		return a->rport < b->rport ? -1 : 1;
	return a->inode < b->inode ? -1 : a->inode > b->inode;
}

void port_sockset_sort(struct port_sockset *set)
{
	if (set->n > 1)
		qsort(set->v, set->n, sizeof(set->v[0]), cmp_sock);
}
