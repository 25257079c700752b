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

#include "net/listen.h"
#include "util/err.h"

struct claim {
	int fd[LISTEN_MAX_INTERFACES];
	size_t n;
};

static int claim_fail(char *err, size_t errlen, const struct sockaddr_len *a, const char *what,
		      const char *why)
{
	char host[64] = "?";
	uint16_t port = 0;
	listen_addr_text(a, host, sizeof(host), &port);
	snprintf(err, errlen, "cannot listen on %s port %u (%s): %s", host, port, what, why);
	return PC_EIO;
}

/* Bind a's address as the listener will, and let it go again: fails when
 * any socket of any program holds it. */
static int probe(const struct sockaddr_len *a, int type)
{
	int fd = listen_bind_socket(a, type, false);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int claim_addrs(struct claim **out, const struct listen_opts *o, char *err, size_t errlen)
{
	static const char in_use[] = "the address is in use by another process "
				     "(another resolver, or this one already running?)";
	struct claim *k = calloc(1, sizeof(*k));
	*out = k;
	if (k == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	for (size_t i = 0; i < o->n_interfaces; i++) {
		const struct sockaddr_len *a = &o->interfaces[i];
		bool again = false; /* listed twice: claimed already */
		for (size_t j = 0; j < i; j++)
			again = again || (o->interfaces[j].len == a->len &&
					  memcmp(&o->interfaces[j].sa, &a->sa, a->len) == 0);
		if (again)
			continue;
		char host[64] = "?";
		uint16_t port = 0;
		listen_addr_text(a, host, sizeof(host), &port);
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
		if (o->do_udp && probe(a, SOCK_DGRAM) != 0)
			return claim_fail(err, errlen, a, "udp",
					  errno == EADDRINUSE ? in_use : strerror(errno));
		if (o->do_tcp && probe(a, SOCK_STREAM) != 0)
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

