/* listen_send: UDP answers in batches (listen.h): the batch of the recvmmsg
 * batch a reader is answering, sent with one sendmmsg when that batch is
 * done; the answers a loop thread gives outside a read batch, held per
 * socket until the end of the loop iteration; and listen_respond, which
 * puts each answer where it belongs. */
#include "net/listen_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/err.h"

/* The answers of the recvmmsg batch the calling thread is handling (set
 * on reader threads only), or NULL. */
static _Thread_local struct udp_tx *tx;

struct udp_tx *listen_tx_swap(struct udp_tx *b)
{
	struct udp_tx *old = tx;
	tx = b;
	return old;
}

/* Send what a batch collected. A datagram the kernel refuses (say, an
 * unreachable destination) is skipped so that it cannot block the others;
 * a full send buffer drops the rest, as sendto would have. */
void listen_tx_flush(struct udp_tx *b)
{
	unsigned i = 0;
	while (i < b->n) {
		int r = net_sendmmsg(b->fd, b->m + i, b->n - i, MSG_DONTWAIT);
		if (r > 0)
			i += (unsigned)r;
		else if (r < 0 && errno == EINTR)
			continue;
		else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		else
			i++;
	}
	b->n = 0;
}

/* Inlined at both its callers: on the hot path a call cost more than the
 * answer's other bookkeeping here. */
__attribute__((always_inline)) static inline void tx_add(struct udp_tx *b,
							 const struct listen_client *c,
							 const uint8_t *pkt, size_t len)
{
	if (b->n == NET_RECV_BATCH)
		listen_tx_flush(b);
	unsigned i = b->n++;
	memcpy(b->slot[i], pkt, len);
	copy_addr(&b->to[i], &c->peer, c->peerlen);
	b->iov[i].iov_base = b->slot[i];
	b->iov[i].iov_len = len;
	memset(&b->m[i].msg_hdr, 0, sizeof(b->m[i].msg_hdr));
	b->m[i].msg_hdr.msg_name = &b->to[i];
	b->m[i].msg_hdr.msg_namelen = c->peerlen;
	b->m[i].msg_hdr.msg_iov = &b->iov[i];
	b->m[i].msg_hdr.msg_iovlen = 1;
}

/* The last answer added to b leaves from dst. */
static void tx_set_src(struct udp_tx *b, const struct net_dst *dst)
{
	unsigned i = b->n - 1;
	size_t len = srcaddr_cmsg(b->ctl[i].buf, dst);
	if (len != 0) {
		b->m[i].msg_hdr.msg_control = b->ctl[i].buf;
		b->m[i].msg_hdr.msg_controllen = len;
	}
}

/* ---- answers held until the end of a loop iteration ---------------------- */

/* The answers a loop thread gives outside a read batch (worker 0's, after
 * upstream replies) go into one batch per client socket, sent when the
 * iteration's I/O callbacks are done (uv_check) and before the loop would
 * sleep (uv_prepare: answers given by timers). An upstream reply and its
 * client answer are one datagram each way; in a busy iteration dozens of
 * replies come in, and one sendmmsg per socket costs one system call where
 * sendto per answer cost one each (and the client, woken by the first, is
 * awake for the rest). */
#define DEFER_SOCKETS 8

struct listen_defer {
	uv_prepare_t prepare;
	uv_check_t check;
	unsigned n;
	unsigned open_handles;
	struct udp_tx *b[DEFER_SOCKETS]; /* by client socket, made when first used */
};

static _Thread_local struct listen_defer *defer;

static void defer_flush_all(struct listen_defer *d)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->b[i]->n > 0)
			listen_tx_flush(d->b[i]);
}

static void on_defer_prepare(uv_prepare_t *h)
{
	defer_flush_all(h->data);
}

static void on_defer_check(uv_check_t *h)
{
	defer_flush_all(h->data);
}

/* The batch for socket fd, or NULL when every slot is taken (or no memory):
 * the answer then goes out at once. */
static struct udp_tx *defer_batch(struct listen_defer *d, int fd)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->b[i]->fd == fd)
			return d->b[i];
	if (d->n == DEFER_SOCKETS)
		return NULL;
	struct udp_tx *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->fd = fd;
	b->plain_fd = fd;
	d->b[d->n++] = b;
	return b;
}

int listen_defer_start(uv_loop_t *loop)
{
	struct listen_defer *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return PC_ENOMEM;
	uv_prepare_init(loop, &d->prepare);
	uv_check_init(loop, &d->check);
	d->prepare.data = d->check.data = d;
	uv_prepare_start(&d->prepare, on_defer_prepare);
	uv_check_start(&d->check, on_defer_check);
	/* They must not keep the loop running on their own. */
	uv_unref((uv_handle_t *)&d->prepare);
	uv_unref((uv_handle_t *)&d->check);
	defer = d;
	return 0;
}

static void defer_closed(uv_handle_t *h)
{
	struct listen_defer *d = h->data;
	if (--d->open_handles > 0)
		return;
	for (unsigned i = 0; i < d->n; i++)
		free(d->b[i]);
	free(d);
}

void listen_defer_stop(void)
{
	struct listen_defer *d = defer;
	if (d == NULL)
		return;
	defer_flush_all(d);
	defer = NULL;
	d->open_handles = 2;
	uv_close((uv_handle_t *)&d->prepare, defer_closed);
	uv_close((uv_handle_t *)&d->check, defer_closed);
}

/* A UDP answer off the hot path: on a wildcard socket (from the address
 * its query was sent to), or outside a reader's own batch (worker 0's held
 * answers, or at once). Not inlined, so that listen_respond stays small. */
__attribute__((noinline)) static void udp_respond_other(const struct listen_client *c,
							 const uint8_t *pkt, size_t len)
{
	bool wild = srcaddr_wild(c->fd);
	struct udp_tx *b = NULL;
	if (len <= TX_SLOT) {
		if (tx != NULL && c->fd == tx->fd)
			b = tx;
		else if (defer != NULL)
			b = defer_batch(defer, c->fd);
	}
	if (b != NULL) {
		tx_add(b, c, pkt, len);
		if (wild)
			tx_set_src(b, &c->dst);
	} else if (wild) {
		srcaddr_send(c->fd, pkt, len, &c->peer, c->peerlen, &c->dst);
	} else {
		sendto(c->fd, pkt, len, MSG_DONTWAIT, (const struct sockaddr *)&c->peer, c->peerlen);
	}
}

void listen_respond(const struct listen_client *c, const uint8_t *pkt, size_t len)
{
	if (!c->tcp) {
		/* A reader's answer on its own (not wildcard) socket, the hot
		 * path, goes into its batch as it did before wildcard sockets
		 * existed; everything else is sent by udp_respond_other. */
		if (len <= TX_SLOT && tx != NULL && c->fd == tx->plain_fd)
			tx_add(tx, c, pkt, len);
		else
			udp_respond_other(c, pkt, len);
		return;
	}
	listen_tcp_respond(c, pkt, len);
}
