/* claim: one daemon per listening address (claim.h says why and how). */
#include "net/claim.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "daemon/config.h"
#include "util/err.h"

struct claim {
	int fd[CONFIG_MAX_ADDRS];
	size_t n;
};

static void addr_text(const struct config_addr *a, char *host, size_t hostlen, uint16_t *port)
{
	if (a->sa.ss_family == AF_INET) {
		uv_ip4_name((const struct sockaddr_in *)&a->sa, host, hostlen);
		*port = ntohs(((const struct sockaddr_in *)&a->sa)->sin_port);
	} else {
		uv_ip6_name((const struct sockaddr_in6 *)&a->sa, host, hostlen);
		*port = ntohs(((const struct sockaddr_in6 *)&a->sa)->sin6_port);
	}
}

static int claim_fail(char *err, size_t errlen, const struct config_addr *a, const char *what,
		      const char *why)
{
	char host[64] = "?";
	uint16_t port = 0;
	addr_text(a, host, sizeof(host), &port);
	snprintf(err, errlen, "cannot listen on %s port %u (%s): %s", host, port, what, why);
	return PC_EIO;
}

static int probe(const struct config_addr *a, int type)
{
	int fd = socket(a->sa.ss_family, type | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0)
		return -1;
	if (a->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int rc = bind(fd, (const struct sockaddr *)&a->sa, a->len);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

int claim_addrs(struct claim **out, const struct config *cfg, char *err, size_t errlen)
{
	static const char in_use[] = "the address is in use by another process "
				     "(another resolver, or this one already running?)";
	struct claim *k = calloc(1, sizeof(*k));
	*out = k;
	if (k == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_interfaces; i++) {
		const struct config_addr *a = &cfg->interfaces[i];
		bool again = false; /* listed twice: claimed already */
		for (size_t j = 0; j < i; j++)
			again = again || (cfg->interfaces[j].len == a->len &&
					  memcmp(&cfg->interfaces[j].sa, &a->sa, a->len) == 0);
		if (again)
			continue;
		char host[64] = "?";
		uint16_t port = 0;
		addr_text(a, host, sizeof(host), &port);
		struct sockaddr_un un = { .sun_family = AF_UNIX };
		int len = snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1, "portcullis-listen %s %u",
				   host, port);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return claim_fail(err, errlen, a, "lock", strerror(errno));
		k->fd[k->n++] = fd;
		if (bind(fd, (const struct sockaddr *)&un,
			 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len)) != 0)
			return claim_fail(err, errlen, a, "lock",
					  errno == EADDRINUSE ? "another portcullis is listening there"
							      : strerror(errno));
		if (cfg->do_udp && probe(a, SOCK_DGRAM) != 0)
			return claim_fail(err, errlen, a, "udp",
					  errno == EADDRINUSE ? in_use : strerror(errno));
		if (cfg->do_tcp && probe(a, SOCK_STREAM) != 0)
			return claim_fail(err, errlen, a, "tcp",
					  errno == EADDRINUSE ? in_use : strerror(errno));
	}
	return 0;
}

void claim_free(struct claim *k)
{
	for (size_t i = 0; k != NULL && i < k->n; i++)
		close(k->fd[i]);
	free(k);
}

