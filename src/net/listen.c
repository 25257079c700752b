#include "net/listen.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "net/recv.h"
#include "net/srcaddr.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

/* Answers bigger than a slot skip the batch (rare: EDNS sizes above 4096). */
#define TX_SLOT 4096

struct udp_group;

struct udp_listener {
	int fd;
	struct listeners *owner;
	void *ud;            /* the reader's context, given to fn */
	struct net_rx *rx;   /* the reader's receive scratch */
	struct udp_tx *tx;   /* and its batch of answers */
	struct udp_group *group; /* the sockets it shares reading with, or NULL */
	pthread_t reader;
	bool wild;           /* bound to 0.0.0.0 or ::: answers need a source */
	bool started;        /* the reader runs (under group->mu in a group) */
	atomic_bool stop;
};

/* The SO_REUSEPORT sockets of one interface, one per worker, and their
 * reader threads, which read them together (see udp_group_reader). */
#define GROUP_MAX 64 /* num-threads' upper bound */
struct udp_group {
	pthread_mutex_t lead; /* held by the reader that waits or reads */
	pthread_mutex_t mu;   /* members, refs, and setting stop */
	int ep;               /* epoll instance holding every member's socket */
	struct udp_listener *member[GROUP_MAX];
	unsigned n, refs;
	atomic_bool stop;
};

struct tcp_listener {
	uv_tcp_t h;
	struct listeners *owner;
};

/* Which deadline a TCP connection is under (listen.c's TCP part says why). */
enum conn_timer { CT_IDLE, CT_MESSAGE, CT_DRAIN };

struct tcp_conn {
	uv_tcp_t h;
	uv_timer_t timer;     /* the deadline of tstate */
	struct listeners *owner;
	int refs;             /* the connection itself + each held client */
	int open_handles;
	bool closing;
	bool paused;          /* not read: its answers wait to be written */
	enum conn_timer tstate;
	unsigned pending;     /* queries handed over, not yet answered */
	size_t queued;        /* answer bytes waiting to be written */
	uint64_t last_ms;     /* when the last whole message came (or the connection) */
	uint8_t *buf;
	size_t len, cap;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct tcp_conn *prev, *next; /* open connections of the listeners */
};

struct listeners {
	uv_loop_t *loop;
	const struct listen_opts *opts;
	listen_query_fn fn;
	void *ud;
	struct udp_listener udp[LISTEN_MAX_INTERFACES];
	size_t n_udp;
	struct tcp_listener tcp[LISTEN_MAX_INTERFACES];
	size_t n_tcp;
	unsigned n_conns;
	struct tcp_conn *conns;
};

/* ---- UDP ---------------------------------------------------------------- */

/* The answers a reader collects while it handles one recvmmsg batch of its
 * socket fd. They are copied into slots because the caller's buffer is
 * reused for the next query of the batch. */
struct udp_tx {
	int fd;
	int plain_fd; /* fd when it is not a wildcard socket, else -1 */
	unsigned n;
	struct mmsghdr m[NET_RECV_BATCH];
	struct iovec iov[NET_RECV_BATCH];
	struct sockaddr_storage to[NET_RECV_BATCH];
	union {
		struct cmsghdr align;
		uint8_t buf[SRCADDR_CMSG_SPACE];
	} ctl[NET_RECV_BATCH]; /* source addresses (wildcard sockets) */
	uint8_t slot[NET_RECV_BATCH][TX_SLOT];
};

/* Copy a socket address of len bytes: IPv4 and IPv6 ones (the only kinds
 * here) with one fixed-size copy, which the compiler turns into a few
 * moves; both sides are whole sockaddr_storage buffers. */
static void copy_addr(struct sockaddr_storage *dst, const struct sockaddr_storage *src,
		      socklen_t len)
{
	if (len <= sizeof(struct sockaddr_in6))
		memcpy(dst, src, sizeof(struct sockaddr_in6));
	else
		memcpy(dst, src, len);
}

/* The answers of the recvmmsg batch the calling thread is handling (set
 * on reader threads only), or NULL. */
static _Thread_local struct udp_tx *tx;

/* Send what a batch collected. A datagram the kernel refuses (say, an
 * unreachable destination) is skipped so that it cannot block the others;
 * a full send buffer drops the rest, as sendto would have. */
static void tx_flush(struct udp_tx *b)
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
		tx_flush(b);
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
			tx_flush(d->b[i]);
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

struct udp_read {
	struct udp_listener *self; /* the reading thread's listener: fn and ud */
	int fd;                    /* the socket the batch came from */
	uint64_t now;
};

static void udp_dgram(void *ud, uint8_t *pkt, size_t len, const struct sockaddr_storage *from,
		      socklen_t fromlen, unsigned rxflags)
{
	struct udp_read *rd = ud;
	struct udp_listener *self = rd->self;
	(void)rxflags;
	if (rd->now == 0)
		rd->now = clock_coarse_ms(); /* the batch's first datagram */
	/* Field by field, and the address by a fixed-size copy: zeroing the
	 * whole struct (its 128-byte address space) and copying a length known
	 * only at run time both became string instructions whose start-up cost
	 * was a visible share of a cache hit. */
	struct listen_client c;
	c.tcp = false;
	c.fd = rd->fd;
	c.conn = NULL;
	c.peerlen = fromlen <= sizeof(c.peer) ? fromlen : sizeof(c.peer);
	c.rx_ms = rd->now;
	copy_addr(&c.peer, from, c.peerlen);
	self->owner->fn(self->ud, &c, pkt, len);
}

/* The same for a wildcard socket: the query's destination comes along, for
 * the answer's source. A separate callback, so that the others' does not
 * even test for it. */
static void udp_dgram_dst(void *ud, uint8_t *pkt, size_t len, const struct sockaddr_storage *from,
			  socklen_t fromlen, unsigned rxflags)
{
	struct udp_read *rd = ud;
	struct udp_listener *self = rd->self;
	if (rd->now == 0)
		rd->now = clock_coarse_ms();
	struct listen_client c;
	c.tcp = false;
	c.fd = rd->fd;
	c.conn = NULL;
	c.peerlen = fromlen <= sizeof(c.peer) ? fromlen : sizeof(c.peer);
	c.rx_ms = rd->now;
	copy_addr(&c.peer, from, c.peerlen);
	if (rxflags & NET_RX_DST)
		c.dst = *net_rx_dst(self->rx);
	else
		c.dst.family = 0;
	self->owner->fn(self->ud, &c, pkt, len);
}

static void udp_batch_done(void *ud, unsigned n)
{
	(void)ud;
	(void)n;
	tx_flush(tx);
}

/* A reader's wait failed (say, ENOMEM): report it, and do not spin on it. */
static void read_failed(int err)
{
	log_warn("udp listener: %s", strerror(err));
	usleep(10000);
}

/* A UDP socket's reader: sleeps in recvmmsg until queries come, answers
 * what it can and sends the answers of each batch with one sendmmsg. Two
 * system calls per wake-up, where a poll on the event loop took three. The
 * clock is read once per batch, not per query, and from the last tick (a
 * precise read per query was a measurable share of a cache hit; a TTL needs
 * no better than a few milliseconds). */
static void *udp_reader(void *arg)
{
	struct udp_listener *ul = arg;
	struct udp_read rd = { .self = ul, .fd = ul->fd };
	net_dgram_fn dgram = ul->wild ? udp_dgram_dst : udp_dgram;
	tx = ul->tx;
	while (!atomic_load_explicit(&ul->stop, memory_order_acquire)) {
		rd.now = 0; /* read after the wait, when a datagram is in hand */
		int n = net_recv_wait(ul->rx, ul->fd, dgram, udp_batch_done, &rd);
		if (n < 0 && n != -EINTR && n != -EAGAIN)
			read_failed(-n);
	}
	tx = NULL;
	return NULL;
}

/* With several workers, the readers of one interface's SO_REUSEPORT sockets
 * read them together. At most one of them (the one holding the lead) waits,
 * in epoll on all the sockets, and it reads whichever is ready; the others
 * sleep on the lead. A reader that reads a full batch (a backlog) gives up
 * the lead before it answers the batch, so that another one reads on
 * meanwhile: under load every reader works, and at a moderate load one
 * reader answers for all. Each socket gets only its share of the queries,
 * so readers that each waited on their own socket found fewer queued per
 * wake-up: two workers woke twice as often as one for the same answers (at
 * 50,000 qps, 74,000 wake-ups against 38,000 per 150,000 answers), and each
 * wake-up costs about as much as a cache hit. A batch's answers go out on
 * the socket it came from; the reader's own context (counters, scratch)
 * serves every socket. */
static void *udp_group_reader(void *arg)
{
	struct udp_listener *self = arg;
	struct udp_group *g = self->group;
	struct udp_read rd = { .self = self };
	struct epoll_event ev[GROUP_MAX];
	bool lead = false;
	tx = self->tx;
	while (!atomic_load_explicit(&g->stop, memory_order_acquire)) {
		if (!lead) {
			pthread_mutex_lock(&g->lead);
			lead = true;
			continue; /* stopped meanwhile? */
		}
		/* The plain system call, as in net/recv.c: not a cancellation
		 * point. epoll_pwait with no mask, which every architecture has. */
		int n = (int)syscall(SYS_epoll_pwait, g->ep, ev, GROUP_MAX, -1, NULL, (size_t)8);
		if (n < 0 && errno != EINTR)
			read_failed(errno);
		for (int i = 0; i < n; i++) {
			struct udp_listener *ul = ev[i].data.ptr;
			int got = net_recv_take(self->rx, ul->fd);
			if (got <= 0)
				continue; /* another reader took them, or stopping */
			if (got == NET_RECV_BATCH && lead) {
				pthread_mutex_unlock(&g->lead);
				lead = false;
			}
			rd.fd = ul->fd;
			rd.now = 0;
			tx->fd = ul->fd;
			tx->plain_fd = ul->wild ? -1 : ul->fd;
			net_recv_hand(self->rx, got, ul->wild ? udp_dgram_dst : udp_dgram,
				      udp_batch_done, &rd);
		}
	}
	if (lead)
		pthread_mutex_unlock(&g->lead);
	tx = NULL;
	return NULL;
}

static int group_add(struct udp_group *g, struct udp_listener *ul)
{
	if (g->n == GROUP_MAX)
		return PC_EINVAL;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ul };
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, ul->fd, &ev) != 0)
		return PC_EIO;
	g->member[g->n++] = ul;
	g->refs++;
	ul->group = g;
	return 0;
}

int listen_share(struct listeners *l, struct listeners *first)
{
	if (l->n_udp != first->n_udp)
		return PC_EINVAL;
	for (size_t i = 0; i < l->n_udp; i++) {
		struct udp_listener *a = &first->udp[i];
		int rc;
		if (a->group == NULL) {
			struct udp_group *g = calloc(1, sizeof(*g));
			if (g == NULL)
				return PC_ENOMEM;
			g->ep = epoll_create1(EPOLL_CLOEXEC);
			if (g->ep < 0) {
				free(g);
				return PC_EIO;
			}
			pthread_mutex_init(&g->lead, NULL);
			pthread_mutex_init(&g->mu, NULL);
			atomic_init(&g->stop, false);
			if ((rc = group_add(g, a)) != 0) {
				close(g->ep);
				free(g);
				return rc;
			}
		}
		if ((rc = group_add(a->group, &l->udp[i])) != 0)
			return rc;
	}
	return 0;
}

/* Stop and join every reader of the group (once, whichever member closes
 * first): a reader may be reading any member's socket, so none closes while
 * one runs. */
static void group_stop(struct udp_group *g)
{
	pthread_mutex_lock(&g->mu);
	if (!atomic_load_explicit(&g->stop, memory_order_relaxed)) {
		atomic_store_explicit(&g->stop, true, memory_order_release);
		/* Wakes the reader in epoll_wait; it hands the lead on, and so
		 * each sleeper in turn finds the stop. */
		for (unsigned i = 0; i < g->n; i++)
			shutdown(g->member[i]->fd, SHUT_RD);
		for (unsigned i = 0; i < g->n; i++) {
			if (g->member[i]->started) {
				pthread_join(g->member[i]->reader, NULL);
				g->member[i]->started = false;
			}
		}
	}
	pthread_mutex_unlock(&g->mu);
}

static void group_leave(struct udp_listener *ul)
{
	struct udp_group *g = ul->group;
	ul->group = NULL;
	pthread_mutex_lock(&g->mu);
	bool last = --g->refs == 0;
	pthread_mutex_unlock(&g->mu);
	if (!last)
		return;
	close(g->ep);
	pthread_mutex_destroy(&g->lead);
	pthread_mutex_destroy(&g->mu);
	free(g);
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

/* Ask for a socket buffer of want bytes (so-rcvbuf, so-sndbuf): beyond the
 * kernel's limit (net.core.rmem_max / wmem_max) only with CAP_NET_ADMIN,
 * which the FORCE option needs. Short query bursts then wait in the buffer
 * instead of being dropped. A smaller grant is said once, not refused. */
static void set_buf(int fd, int opt, int force_opt, uint32_t want, const char *key,
		    const char *sysctl)
{
	static atomic_bool told_rcv, told_snd;
	if (want == 0)
		return;
	int v = (int)want;
	if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof(v)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
	int got = 0;
	socklen_t len = sizeof(got);
	/* The kernel reports twice what it grants (its bookkeeping share). */
	if (getsockopt(fd, SOL_SOCKET, opt, &got, &len) == 0 && (uint64_t)got / 2 < want) {
		atomic_bool *told = opt == SO_RCVBUF ? &told_rcv : &told_snd;
		if (!atomic_exchange(told, true))
			log_info("%s: asked for %u bytes, the kernel allows %d (%s)", key, want,
				 got / 2, sysctl);
	}
}

/* 0.0.0.0 or ::, where the answer's source address must be chosen. */
static bool is_wildcard(const struct sockaddr_len *a)
{
	if (a->sa.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->sa)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->sa)->sin6_addr);
}

static int open_udp(struct listeners *l, const struct sockaddr_len *a, bool reuseport, char *err,
		    size_t errlen)
{
	int fd = listen_bind_socket(a, SOCK_DGRAM, reuseport);
	if (fd < 0) {
		char host[64] = "?";
		uint16_t port = 0;
		listen_addr_text(a, host, sizeof(host), &port);
		snprintf(err, errlen, "cannot listen on %s port %u (udp): %s", host, port,
			 strerror(errno));
		return PC_EIO;
	}
	set_buf(fd, SO_RCVBUF, SO_RCVBUFFORCE, l->opts->so_rcvbuf, "so-rcvbuf", "net.core.rmem_max");
	set_buf(fd, SO_SNDBUF, SO_SNDBUFFORCE, l->opts->so_sndbuf, "so-sndbuf", "net.core.wmem_max");
	/* Its reader sleeps in recvmmsg; answers are sent with MSG_DONTWAIT. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	bool wild = is_wildcard(a);
	if (wild && net_recv_want_pktinfo(fd, a->sa.ss_family) != 0) {
		char host[64] = "?";
		uint16_t port = 0;
		listen_addr_text(a, host, sizeof(host), &port);
		snprintf(err, errlen, "cannot listen on %s port %u (udp): no destination "
			 "addresses (%s)", host, port, strerror(errno));
		close(fd);
		return PC_EIO;
	}
	struct udp_listener *ul = &l->udp[l->n_udp++];
	ul->fd = fd;
	ul->wild = wild;
	if (wild)
		srcaddr_wild_add(fd);
	ul->owner = l;
	atomic_init(&ul->stop, false);
	return 0;
}

size_t listen_n_udp(const struct listeners *l)
{
	return l->n_udp;
}

int listen_udp_start(struct listeners *l, size_t i, void *ud)
{
	struct udp_listener *ul = &l->udp[i];
	ul->ud = ud;
	ul->rx = net_rx_new();
	ul->tx = calloc(1, sizeof(*ul->tx));
	if (ul->rx == NULL || ul->tx == NULL)
		return PC_ENOMEM; /* freed by listen_close */
	ul->tx->fd = ul->fd;
	ul->tx->plain_fd = ul->wild ? -1 : ul->fd;
	sigset_t all, old;
	/* Signals are the event loop's business: the reader inherits a mask
	 * that blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	struct udp_group *g = ul->group;
	int rc = 0;
	if (g != NULL)
		pthread_mutex_lock(&g->mu);
	if (g == NULL || !atomic_load_explicit(&g->stop, memory_order_relaxed)) {
		rc = pthread_create(&ul->reader, NULL, g != NULL ? udp_group_reader : udp_reader, ul);
		ul->started = rc == 0;
	}
	if (g != NULL)
		pthread_mutex_unlock(&g->mu);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc != 0 ? PC_EIO : 0;
}

/* ---- TCP ---------------------------------------------------------------- */

/* What a connection may cost, and for how long (RFC 7766 section 6.2, and
 * what Unbound and Knot do):
 *  - a connection table of incoming-num-tcp per thread; when it is full, a
 *    new connection takes the place of the idlest one (nothing pending,
 *    longest since its last whole message), or is refused when every one is
 *    busy; at most tcp-connections-per-address of them from one address;
 *  - tcp-idle-timeout between messages; once a message's first byte is in,
 *    the whole message must follow within tcp-message-timeout (a deadline
 *    that more bytes do not move, so a client trickling a byte at a time
 *    cannot hold a slot);
 *  - answers waiting to be written: at tcp-queue-size on the connection, or
 *    stream-wait-size over all of them, the connection's further queries are
 *    left unread until it drains, and it is closed if it does not drain
 *    within tcp-message-timeout;
 *  - the read buffer grows to the largest message actually sent. */
#define TCP_BUF_MIN 512

/* Answer bytes queued on every connection of every thread. */
static _Atomic uint64_t tcp_queued_total;

static bool queue_full(const struct tcp_conn *c)
{
	const struct listen_opts *o = c->owner->opts;
	return c->queued >= o->tcp_queue_size ||
	       atomic_load_explicit(&tcp_queued_total, memory_order_relaxed) >= o->stream_wait_size;
}

static void conn_free(struct tcp_conn *c)
{
	free(c->buf);
	free(c);
}

static void conn_handle_closed(uv_handle_t *h)
{
	struct tcp_conn *c = h->data;
	if (--c->open_handles == 0 && c->refs == 0)
		conn_free(c);
}

static void conn_unref(struct tcp_conn *c)
{
	if (--c->refs == 0 && c->open_handles == 0)
		conn_free(c);
}

static void conn_close(struct tcp_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	c->owner->n_conns--;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->owner->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->h, conn_handle_closed);
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
	conn_unref(c);
}

static void conn_timeout(uv_timer_t *t);

static void timer_set(struct tcp_conn *c, enum conn_timer what, bool restart)
{
	if (c->tstate == what && !restart)
		return;
	const struct listen_opts *o = c->owner->opts;
	c->tstate = what;
	uint64_t ms = what == CT_IDLE ? o->tcp_idle_timeout : o->tcp_message_timeout;
	uv_timer_start(&c->timer, conn_timeout, ms, 0);
}

/* Choose the deadline the connection is under now. message_done: a whole
 * message was read since the last call (a partial one left is a new one). */
static void conn_arm(struct tcp_conn *c, bool message_done)
{
	if (c->paused)
		timer_set(c, CT_DRAIN, false);
	else if (c->len > 0)
		timer_set(c, CT_MESSAGE, message_done);
	else
		timer_set(c, CT_IDLE, message_done);
}

static void conn_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b);
static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b);

/* Hand over the whole messages in the buffer while the answer queue has
 * room; at a full queue stop reading. Returns false if c was closed. */
static bool conn_process(struct tcp_conn *c)
{
	size_t off = 0;
	bool done_any = false;
	while (c->len - off >= 2) {
		if (queue_full(c)) {
			if (!c->paused) {
				uv_read_stop((uv_stream_t *)&c->h);
				c->paused = true;
			}
			break;
		}
		size_t mlen = (size_t)c->buf[off] << 8 | c->buf[off + 1];
		if (c->len - off - 2 < mlen)
			break;
		struct listen_client cl = { .tcp = true, .fd = -1, .conn = c, .peer = c->peer,
					    .peerlen = c->peerlen, .rx_ms = uv_now(c->h.loop) };
		c->owner->fn(c->owner->ud, &cl, c->buf + off + 2, mlen);
		off += mlen + 2;
		done_any = true;
		c->last_ms = cl.rx_ms;
		if (c->closing)
			return false;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	conn_arm(c, done_any);
	return true;
}

/* The queue drained below its limits: read again. */
static void conn_resume(struct tcp_conn *c)
{
	if (c->closing || !c->paused || queue_full(c))
		return;
	c->paused = false;
	if (!conn_process(c) || c->paused)
		return;
	uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read);
}

static void conn_timeout(uv_timer_t *t)
{
	struct tcp_conn *c = t->data;
	if (c->tstate == CT_DRAIN) {
		/* Paused only by the other connections' queues: not this
		 * client's doing; it holds nothing queued, so it may wait. */
		if (c->queued == 0) {
			if (queue_full(c))
				timer_set(c, CT_DRAIN, true);
			else
				conn_resume(c);
			return;
		}
		conn_close(c); /* the client does not read its answers */
		return;
	}
	if (c->tstate == CT_IDLE && c->pending > 0) {
		timer_set(c, CT_IDLE, true); /* answers still to come: wait for them */
		return;
	}
	conn_close(c);
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct tcp_conn *c = h->data;
	(void)hint;
	/* Room for the message being read: its length once known. */
	size_t want = TCP_BUF_MIN;
	if (c->len >= 2)
		want = ((size_t)c->buf[0] << 8 | c->buf[1]) + 2;
	if (want < c->len + 1)
		want = c->len + 1;
	if (want > c->cap) {
		uint8_t *nb = realloc(c->buf, want);
		if (nb != NULL) {
			c->buf = nb;
			c->cap = want;
		}
	}
	b->base = (char *)c->buf + c->len;
	b->len = c->cap - c->len;
}

static void conn_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct tcp_conn *c = st->data;
	(void)b;
	if (n < 0 || (n == 0 && c->len == c->cap)) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	if (!conn_process(c))
		return;
	/* A big message's buffer goes back once it has been handled. */
	if (c->len == 0 && c->cap > TCP_BUF_MIN) {
		uint8_t *nb = realloc(c->buf, TCP_BUF_MIN);
		if (nb != NULL) {
			c->buf = nb;
			c->cap = TCP_BUF_MIN;
		}
	}
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* Room for new connection c (already accepted and linked): false when it
 * must go. Its address may hold only so many; a full table gives up its
 * idlest connection, one with no answer pending or queued. */
static bool conn_admit(struct listeners *l, struct tcp_conn *c)
{
	unsigned same = 0;
	struct tcp_conn *idlest = NULL;
	for (struct tcp_conn *o = l->conns; o != NULL; o = o->next) {
		if (o == c)
			continue;
		if (same_addr(&o->peer, &c->peer))
			same++;
		if (o->pending == 0 && o->queued == 0 && (idlest == NULL || o->last_ms < idlest->last_ms))
			idlest = o;
	}
	if (same >= l->opts->tcp_per_address)
		return false;
	if (l->n_conns <= l->opts->incoming_num_tcp)
		return true;
	if (idlest == NULL)
		return false;
	conn_close(idlest);
	return true;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct tcp_listener *tl = server->data;
	struct listeners *l = tl->owner;
	if (status < 0)
		return;
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->buf = malloc(TCP_BUF_MIN)) == NULL) {
		free(c);
		return;
	}
	c->cap = TCP_BUF_MIN;
	c->owner = l;
	c->refs = 1;
	uv_tcp_init(l->loop, &c->h);
	c->h.data = c;
	uv_timer_init(l->loop, &c->timer);
	c->timer.data = c;
	c->open_handles = 2;
	l->n_conns++;
	c->next = l->conns;
	if (l->conns != NULL)
		l->conns->prev = c;
	l->conns = c;
	if (uv_accept(server, (uv_stream_t *)&c->h) != 0) {
		conn_close(c);
		return;
	}
	int plen = sizeof(c->peer);
	uv_tcp_getpeername(&c->h, (struct sockaddr *)&c->peer, &plen);
	c->peerlen = (socklen_t)plen;
	c->last_ms = uv_now(l->loop);
	if (!conn_admit(l, c)) {
		conn_close(c);
		return;
	}
	timer_set(c, CT_IDLE, true);
	uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read);
}

/* The socket is bound here rather than by uv_tcp_bind, which (libuv 1.44)
 * cannot set SO_REUSEPORT on Linux. */
static int open_tcp(struct listeners *l, const struct sockaddr_len *a, bool reuseport, char *err,
		    size_t errlen)
{
	struct tcp_listener *tl = &l->tcp[l->n_tcp];
	int rc, fd = listen_bind_socket(a, SOCK_STREAM, reuseport);
	if (fd < 0) {
		char host[64] = "?";
		uint16_t port = 0;
		listen_addr_text(a, host, sizeof(host), &port);
		snprintf(err, errlen, "cannot listen on %s port %u (tcp): %s", host, port,
			 strerror(errno));
		return PC_EIO;
	}
	uv_tcp_init(l->loop, &tl->h);
	tl->h.data = tl;
	tl->owner = l;
	rc = uv_tcp_open(&tl->h, fd);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&tl->h, 128, on_connection);
	else
		close(fd); /* not the handle's yet */
	if (rc != 0) {
		snprintf(err, errlen, "cannot listen on TCP interface %zu: %s", l->n_tcp + 1,
			 uv_strerror(rc));
		uv_close((uv_handle_t *)&tl->h, NULL);
		return PC_EIO;
	}
	l->n_tcp++;
	return 0;
}

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
		if (o->do_udp && (rc = open_udp(l, a, reuseport, err, errlen)) != 0)
			return rc;
		if (o->do_tcp && (rc = open_tcp(l, a, reuseport, err, errlen)) != 0)
			return rc;
	}
	return 0;
}

static void noop_close(uv_handle_t *h)
{
	(void)h;
}

void listen_close(struct listeners *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n_udp; i++) {
		struct udp_listener *ul = &l->udp[i];
		if (ul->group != NULL) {
			group_stop(ul->group);
		} else if (ul->started) {
			/* shutdown wakes a reader asleep in recvmmsg (the call
			 * fails with ENOTCONN on an unconnected socket, but the
			 * socket is marked and its sleepers woken all the same). */
			atomic_store_explicit(&ul->stop, true, memory_order_release);
			shutdown(ul->fd, SHUT_RD);
			pthread_join(ul->reader, NULL);
			ul->started = false;
		}
		net_rx_free(ul->rx);
		free(ul->tx);
		ul->rx = NULL;
		ul->tx = NULL;
		if (ul->wild)
			srcaddr_wild_remove(ul->fd);
		close(ul->fd);
		if (ul->group != NULL)
			group_leave(ul);
	}
	for (size_t i = 0; i < l->n_tcp; i++)
		uv_close((uv_handle_t *)&l->tcp[i].h, noop_close);
	while (l->conns != NULL)
		conn_close(l->conns);
	l->n_udp = l->n_tcp = 0;
}

void listen_free(struct listeners *l)
{
	free(l);
}

/* ---- answers ------------------------------------------------------------ */

struct tcp_write {
	uv_write_t w;
	struct tcp_conn *c;
	size_t len;
	uint8_t data[];
};

static void tcp_written(uv_write_t *w, int status)
{
	struct tcp_write *tw = w->data;
	struct tcp_conn *c = tw->c;
	(void)status;
	c->queued -= tw->len;
	atomic_fetch_sub_explicit(&tcp_queued_total, tw->len, memory_order_relaxed);
	free(tw);
	if (c->paused && !c->closing)
		conn_resume(c);
	conn_unref(c);
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
	struct tcp_conn *conn = c->conn;
	if (conn->closing || len > 65535)
		return;
	struct tcp_write *tw = malloc(sizeof(*tw) + len + 2);
	if (tw == NULL)
		return;
	tw->data[0] = (uint8_t)(len >> 8);
	tw->data[1] = (uint8_t)len;
	memcpy(tw->data + 2, pkt, len);
	tw->c = conn;
	tw->len = len + 2;
	tw->w.data = tw;
	uv_buf_t b = uv_buf_init((char *)tw->data, (unsigned)len + 2);
	if (uv_write(&tw->w, (uv_stream_t *)&conn->h, &b, 1, tcp_written) != 0) {
		free(tw);
		return;
	}
	conn->refs++;
	conn->queued += len + 2;
	atomic_fetch_add_explicit(&tcp_queued_total, len + 2, memory_order_relaxed);
}

void listen_client_hold(struct listen_client *dst, const struct listen_client *src)
{
	*dst = *src;
	if (dst->tcp) {
		dst->conn->refs++;
		dst->conn->pending++;
	}
}

void listen_client_release(struct listen_client *c)
{
	if (c->tcp && c->conn != NULL) {
		c->conn->pending--;
		conn_unref(c->conn);
		c->conn = NULL;
	}
}
