/* listen_udp: the UDP client listeners and their reader threads (listen.h):
 * one reader per socket sleeping in recvmmsg, the readers of several workers
 * reading one socket in turns, and adaptive reading, where the loop's thread
 * reads a socket while misses are common. */
#include "net/listen_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

struct udp_read {
	struct udp_listener *self; /* the reading thread's listener: fn and ud */
	int fd;                    /* the socket the batch came from */
	uint64_t now;
	unsigned handed;           /* queries of the batch handed on (misses) */
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
	rd->handed += self->owner->fn(self->ud, &c, pkt, len);
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
	rd->handed += self->owner->fn(self->ud, &c, pkt, len);
}

static void udp_batch_done(void *ud, unsigned n)
{
	struct udp_read *rd = ud;
	(void)n;
	listen_tx_flush(rd->self->tx);
}

/* The same, then the owner's callback (listen_on_batch_sent): a reader
 * takes one or the other when it starts, so one without a callback does
 * not even test for it. */
static void udp_batch_done_cb(void *ud, unsigned n)
{
	struct udp_read *rd = ud;
	(void)n;
	listen_tx_flush(rd->self->tx);
	rd->self->owner->batch_sent(rd->self->ud);
}

static net_batch_fn batch_done_of(const struct udp_listener *ul)
{
	return ul->owner->batch_sent ? udp_batch_done_cb : udp_batch_done;
}

void listen_on_batch_sent(struct listeners *l, listen_batch_fn fn)
{
	l->batch_sent = fn;
}

/* A reader's wait failed (say, ENOMEM): report it, and do not spin on it. */
static void read_failed(int err)
{
	log_warn("udp listener: %s", strerror(err));
	usleep(10000);
}

/* Adaptive reading (listen_udp_adaptive): who reads the socket follows
 * what its queries need. A reader thread costs two system calls per
 * wake-up where the loop's poll costs three, which is what cache hits
 * want; but a miss the reader reads must be handed to the loop's thread,
 * whose wake-up (a futex and an eventfd write and read, and a second
 * thread scheduled) cost more than the resolution's own work at a moderate
 * rate. So over each window of UDP_WINDOW wake-ups the reading thread
 * counts those that handed a query on: the reader gives the socket to the
 * loop when a quarter of them did, and the loop gives it back when fewer
 * than one in sixteen did (the gap keeps a mixed load from switching to
 * and fro). A switch costs one wake-up; the datagrams meanwhile wait in
 * the socket's buffer. */
#define UDP_WINDOW 256u
#define UDP_TO_LOOP (UDP_WINDOW / 4)
#define UDP_TO_READER (UDP_WINDOW / 16)

/* After a wake-up that handed n queries on: true when the window just
 * ended with a count of at least (to_loop) or below (otherwise) limit. */
static bool window_says(struct udp_listener *ul, unsigned handed, bool to_loop, unsigned limit)
{
	ul->win_handed += handed != 0;
	if (++ul->win_wakes < UDP_WINDOW)
		return false;
	bool switch_now = to_loop ? ul->win_handed >= limit : ul->win_handed < limit;
	ul->win_wakes = ul->win_handed = 0;
	return switch_now;
}

static void on_loop_readable(uv_poll_t *h, int status, int events);

/* On the loop's thread: the reader asked it to take the socket. */
static void on_to_loop(uv_async_t *h)
{
	struct udp_listener *ul = h->data;
	pthread_mutex_lock(&ul->park_mu);
	bool take = ul->by_loop && !atomic_load_explicit(&ul->stop, memory_order_relaxed);
	pthread_mutex_unlock(&ul->park_mu);
	if (take) {
		log_debug("udp listener %d: misses are common, read by the loop's thread", ul->fd);
		uv_poll_start(&ul->poll, UV_READABLE, on_loop_readable);
	}
}

/* On the loop's thread: one batch, answered as the reader would (the
 * reader's context and scratch are the loop's while the reader is parked;
 * the mutex of each switch orders their use), misses resolved in place. */
static void on_loop_readable(uv_poll_t *h, int status, int events)
{
	struct udp_listener *ul = h->data;
	(void)status;
	(void)events;
	int got = net_recv_take(ul->rx, ul->fd);
	if (got <= 0)
		return;
	struct udp_read rd = { .self = ul, .fd = ul->fd };
	struct udp_tx *saved = listen_tx_swap(ul->tx);
	net_recv_hand(ul->rx, got, ul->wild ? udp_dgram_dst : udp_dgram, batch_done_of(ul), &rd);
	listen_tx_swap(saved);
	if (window_says(ul, rd.handed, false, UDP_TO_READER)) {
		log_debug("udp listener %d: misses are rare, read by its reader", ul->fd);
		uv_poll_stop(&ul->poll);
		pthread_mutex_lock(&ul->park_mu);
		ul->by_loop = false;
		pthread_cond_signal(&ul->park_cv);
		pthread_mutex_unlock(&ul->park_mu);
	}
}

/* On the reader: hand the socket to the loop and park until it is given
 * back (or the listener stops). */
static void reader_park(struct udp_listener *ul)
{
	pthread_mutex_lock(&ul->park_mu);
	ul->by_loop = true;
	pthread_mutex_unlock(&ul->park_mu);
	uv_async_send(&ul->to_loop);
	pthread_mutex_lock(&ul->park_mu);
	while (ul->by_loop && !atomic_load_explicit(&ul->stop, memory_order_acquire))
		pthread_cond_wait(&ul->park_cv, &ul->park_mu);
	pthread_mutex_unlock(&ul->park_mu);
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
	net_batch_fn done = batch_done_of(ul);
	listen_tx_swap(ul->tx);
	while (!atomic_load_explicit(&ul->stop, memory_order_acquire)) {
		rd.now = 0; /* read after the wait, when a datagram is in hand */
		rd.handed = 0;
		int n = net_recv_wait(ul->rx, ul->fd, dgram, done, &rd);
		if (n < 0 && n != -EINTR && n != -EAGAIN)
			read_failed(-n);
		if (ul->adaptive && n > 0 && window_says(ul, rd.handed, true, UDP_TO_LOOP))
			reader_park(ul);
	}
	listen_tx_swap(NULL);
	return NULL;
}

/* With several workers, the readers of one interface read one socket
 * together, in turns: at most one of them (the one holding the lead) waits,
 * in recvmmsg as a lone reader does, and the others sleep on the lead. A
 * reader that reads a full batch (a backlog) gives up the lead before it
 * answers the batch, so that another one reads on meanwhile: under load
 * every reader works, and at a moderate load one reader answers for all,
 * with the two system calls per wake-up of a lone reader.
 *
 * One socket rather than an SO_REUSEPORT socket per worker: the kernel
 * spread the clients over those, so a waiting reader had to watch all of
 * them and then read and answer each apart (an epoll_wait, then a recvmmsg
 * and a sendmmsg per socket: up to five system calls per wake-up where a
 * lone reader makes two; 1.09x to 1.15x one worker's CPU per cached answer
 * at 50,000 qps, 1.01x to 1.02x now: bench/resolvers/README.md). Reading is
 * one reader at a time either way. The reader's own context (counters,
 * scratch) serves its batches; the answers go out on the socket. */
static void *udp_group_reader(void *arg)
{
	struct udp_listener *self = arg;
	struct udp_group *g = self->group;
	struct udp_read rd = { .self = self, .fd = g->fd };
	bool lead = false;
	net_dgram_fn dgram = self->wild ? udp_dgram_dst : udp_dgram;
	net_batch_fn done = batch_done_of(self);
	listen_tx_swap(self->tx);
	while (!atomic_load_explicit(&g->stop, memory_order_acquire)) {
		if (!lead) {
			pthread_mutex_lock(&g->lead);
			lead = true;
			continue; /* stopped meanwhile? */
		}
		int got = net_recv_take_wait(self->rx, g->fd);
		if (got <= 0) {
			/* 0 after shutdown (stopping); a signal; or a real error */
			if (got < 0 && got != -EINTR && got != -EAGAIN)
				read_failed(-got);
			continue;
		}
		if (got == NET_RECV_BATCH) {
			pthread_mutex_unlock(&g->lead);
			lead = false;
		}
		rd.now = 0;
		net_recv_hand(self->rx, got, dgram, done, &rd);
	}
	if (lead)
		pthread_mutex_unlock(&g->lead);
	listen_tx_swap(NULL);
	return NULL;
}

/* The first member brings the socket; a later one closes its own (bound
 * with SO_REUSEPORT like the first, so the kernel would otherwise keep
 * handing it a share of the queries) and reads and answers on the group's. */
static int group_add(struct udp_group *g, struct udp_listener *ul)
{
	if (g->n == GROUP_MAX)
		return PC_EINVAL;
	if (g->n == 0) {
		g->fd = ul->fd;
	} else if (ul->fd != g->fd) {
		if (ul->wild)
			srcaddr_wild_remove(ul->fd);
		close(ul->fd);
		ul->fd = g->fd;
		ul->borrowed = true;
	}
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
			pthread_mutex_init(&g->lead, NULL);
			pthread_mutex_init(&g->mu, NULL);
			atomic_init(&g->stop, false);
			if ((rc = group_add(g, a)) != 0) {
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
		/* Wakes the reader in recvmmsg; it hands the lead on, and so
		 * each sleeper in turn finds the stop. */
		shutdown(g->fd, SHUT_RD);
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
	pthread_mutex_destroy(&g->lead);
	pthread_mutex_destroy(&g->mu);
	free(g);
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

int listen_udp_open(struct listeners *l, const struct sockaddr_len *a, bool reuseport, char *err,
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

int listen_udp_adaptive(struct listeners *l)
{
	for (size_t i = 0; i < l->n_udp; i++) {
		struct udp_listener *ul = &l->udp[i];
		if (ul->group != NULL || ul->handles)
			continue;
		if (uv_poll_init(l->loop, &ul->poll, ul->fd) != 0)
			return PC_EIO;
		/* uv_poll_init made the socket non-blocking; its reader sleeps
		 * in recvmmsg, and the loop reads it with MSG_DONTWAIT. */
		fcntl(ul->fd, F_SETFL, fcntl(ul->fd, F_GETFL) & ~O_NONBLOCK);
		uv_async_init(l->loop, &ul->to_loop, on_to_loop);
		ul->poll.data = ul->to_loop.data = ul;
		pthread_mutex_init(&ul->park_mu, NULL);
		pthread_cond_init(&ul->park_cv, NULL);
		ul->by_loop = false;
		ul->win_wakes = ul->win_handed = 0;
		ul->handles = ul->adaptive = true;
	}
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

/* Stop the socket's reader (with a group, every reader of the group: one
 * may be reading any member) and close it. On the loop's thread. */
void listen_udp_close(struct udp_listener *ul)
{
	if (ul->group != NULL) {
		group_stop(ul->group);
	} else if (ul->started) {
		/* shutdown wakes a reader asleep in recvmmsg (the call
		 * fails with ENOTCONN on an unconnected socket, but the
		 * socket is marked and its sleepers woken all the same);
		 * the signal, one parked while the loop reads. */
		atomic_store_explicit(&ul->stop, true, memory_order_release);
		if (ul->adaptive) {
			pthread_mutex_lock(&ul->park_mu);
			pthread_cond_signal(&ul->park_cv);
			pthread_mutex_unlock(&ul->park_mu);
		}
		shutdown(ul->fd, SHUT_RD);
		pthread_join(ul->reader, NULL);
		ul->started = false;
	}
	if (ul->handles) {
		/* No reader runs now: nothing sends on to_loop any more. */
		uv_poll_stop(&ul->poll);
		uv_close((uv_handle_t *)&ul->poll, listen_noop_close);
		uv_close((uv_handle_t *)&ul->to_loop, listen_noop_close);
		pthread_mutex_destroy(&ul->park_mu);
		pthread_cond_destroy(&ul->park_cv);
		ul->handles = ul->adaptive = false;
	}
	net_rx_free(ul->rx);
	free(ul->tx);
	ul->rx = NULL;
	ul->tx = NULL;
	/* The group's socket goes with its first member, once every reader
	 * has stopped (group_stop above). */
	if (!ul->borrowed) {
		if (ul->wild)
			srcaddr_wild_remove(ul->fd);
		close(ul->fd);
	}
	ul->borrowed = false;
	if (ul->group != NULL)
		group_leave(ul);
}
