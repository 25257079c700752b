/* listen: the client listeners (listen.h). This file opens and closes them;
 * listen_udp.c reads UDP, listen_tcp.c serves TCP, listen_send.c sends UDP
 * answers in batches. */
#include "net/listen_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/err.h"

void listen_noop_close(uv_handle_t *h)
{
	(void)h;
}

void listen_addr_text(const struct config_addr *a, char *host, size_t hostlen, uint16_t *port)
{
	if (a->sa.ss_family == AF_INET) {
		uv_ip4_name((const struct sockaddr_in *)&a->sa, host, hostlen);
		*port = ntohs(((const struct sockaddr_in *)&a->sa)->sin_port);
	} else {
		uv_ip6_name((const struct sockaddr_in6 *)&a->sa, host, hostlen);
		*port = ntohs(((const struct sockaddr_in6 *)&a->sa)->sin6_port);
	}
}

int listen_bind_socket(const struct config_addr *a, int type, bool reuseport)
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

int listen_open(struct listeners **out, uv_loop_t *loop, const struct config *cfg,
		listen_query_fn fn, void *ud, bool reuseport, char *err, size_t errlen)
{
	struct listeners *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return PC_ENOMEM;
	l->loop = loop;
	l->cfg = cfg;
	l->fn = fn;
	l->ud = ud;
	*out = l;
	for (size_t i = 0; i < cfg->n_interfaces; i++) {
		int rc = 0;
		const struct config_addr *a = &cfg->interfaces[i];
		if (cfg->do_udp && (rc = listen_udp_open(l, a, reuseport, err, errlen)) != 0)
			return rc;
		if (cfg->do_tcp && (rc = listen_tcp_open(l, a, reuseport, err, errlen)) != 0)
			return rc;
	}
	return 0;
}

void listen_close(struct listeners *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n_udp; i++)
		listen_udp_close(&l->udp[i]);
	listen_tcp_close(l);
	l->n_udp = l->n_tcp = 0;
}

void listen_free(struct listeners *l)
{
	free(l);
}
