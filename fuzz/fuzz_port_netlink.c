/* libFuzzer target: the sock_diag reply parser. The first byte picks the
 * inet or the AF_UNIX decoder; the rest is one received datagram. */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "port/port_nl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_sock(void *ctx, const struct port_sock *s)
{
	/* Touch every field so ASan checks the copy. */
	*(uint32_t *)ctx += s->lport + s->rport + s->inode + s->laddr[15] + s->raddr[15];
	return 0;
}

static int on_unix(void *ctx, const struct port_unix_listener *u)
{
	*(uint32_t *)ctx += u->inode + (uint32_t)strlen(u->path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t sum = 0;
	bool done = false;
	int kerr = 0;

	if (size < 1)
		return 0;
	/* A heap copy of exactly the datagram's size, so any overread shows. */
	uint8_t *buf = size > 1 ? malloc(size - 1) : NULL;
	if (size > 1 && !buf)
		return 0;
	if (buf)
		memcpy(buf, data + 1, size - 1);
	if (data[0] & 1)
		(void)port_nl_parse_unix(buf, size - 1, 1, on_unix, &sum, &done, &kerr);
	else
		(void)port_nl_parse_inet(buf, size - 1, 1, IPPROTO_UDP, on_sock, &sum, &done,
					 &kerr);
	free(buf);
	return 0;
}
