/* listen: the client listeners (listen.h). This file opens and closes them;
 * listen_udp.c reads UDP, listen_tcp.c serves TCP, listen_send.c sends UDP
 * answers in batches, listen_sock.c binds the sockets. */
#include "net/listen_int.h"

#include <stdlib.h>

#include "util/err.h"

int listen_open(struct listeners **out, uv_loop_t *loop, const struct listen_opts *o,
		listen_query_fn fn, void *ud, bool reuseport, char *err, size_t errlen)
{
	struct listeners *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return PC_ENOMEM;
	l->loop = loop;
	l->opts = o;
	l->fn = fn;
	l->ud = ud;
	*out = l;
	for (size_t i = 0; i < o->n_interfaces; i++) {
		int rc = 0;
		const struct sockaddr_len *a = &o->interfaces[i];
		if (o->do_udp && (rc = listen_udp_open(l, a, reuseport, err, errlen)) != 0)
			return rc;
		if (o->do_tcp && (rc = listen_tcp_open(l, a, reuseport, err, errlen)) != 0)
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
