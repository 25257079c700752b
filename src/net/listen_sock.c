/* listen_sock: binding a client listener's socket, and naming its address
 * (listen.h); claim.c probes an address with the same binder. */
#include "net/listen_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

void listen_noop_close(uv_handle_t *h)
{
	(void)h;
}

void listen_addr_text(const struct sockaddr_len *a, char *host, size_t hostlen, uint16_t *port)
{
	if (a->sa.ss_family == AF_INET) {
		uv_ip4_name((const struct sockaddr_in *)&a->sa, host, hostlen);
		*port = ntohs(((const struct sockaddr_in *)&a->sa)->sin_port);
	} else {
		uv_ip6_name((const struct sockaddr_in6 *)&a->sa, host, hostlen);
		*port = ntohs(((const struct sockaddr_in6 *)&a->sa)->sin6_port);
	}
}

int listen_bind_socket(const struct sockaddr_len *a, int type, bool reuseport)
{
	int fd = socket(a->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0)
		return -1;
	if (a->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* TCP: a restart must not wait for the old connections' TIME_WAIT.
	 * Never on UDP, where it would let a second process bind the same
	 * address and take its share of the queries. */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if ((reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
	    bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
