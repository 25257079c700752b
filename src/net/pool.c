#include "net/pool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/recv.h"
#include "util/err.h"
#include "util/log.h"
#include "util/rand.h"

static bool excluded(const struct pool_opts *o, uint16_t port)
{
	for (size_t i = 0; i < o->n_pool_exclude; i++)
		if (port >= o->pool_exclude[i].low && port <= o->pool_exclude[i].high)
			return true;
	return false;
}

/* The allowed ports, in order. Caller frees. */
static uint16_t *allowed_ports(const struct pool_opts *o, size_t *n)
{
	const struct pool_range *r = &o->socket_pool_range;
	uint16_t *ports = malloc(sizeof(uint16_t) * ((size_t)r->high - r->low + 1));
	*n = 0;
	if (ports == NULL)
		return NULL;
	for (uint32_t p = r->low; p <= r->high; p++)
		if (p != 0 && !excluded(o, (uint16_t)p))
			ports[(*n)++] = (uint16_t)p;
	return ports;
}

size_t pool_available_ports(const struct pool_opts *o)
{
	size_t n;
	free(allowed_ports(o, &n));
	return n;
}

static void on_dgram(void *ud, uint8_t *pkt, size_t len, const struct sockaddr_storage *from,
		     socklen_t fromlen, unsigned rxflags)
{
	struct pool_sock *s = ud;
	(void)fromlen;
	s->pool->recv(s->pool->ud, s, pkt, len, from, rxflags);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct pool_sock *s = h->data;
	(void)events;
	if (status == 0)
		net_recv_all(s->pool->rx, s->fd, on_dgram, s);
}

/* 0 with the descriptor in *out, or PC_EIO with the system's errno in
 * *sys_err (kept apart from the project's codes: -EPERM is -1, as is
 * PC_ENOMEM). */
static int bind_sock(const struct pool_opts *o, int family, uint16_t port, int *out, int *sys_err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	/* the first outgoing-interface of this family, else the wildcard */
	for (size_t i = 0; i < o->n_outgoing; i++) {
		if (o->outgoing[i].sa.ss_family == family) {
			ss = o->outgoing[i].sa;
			break;
		}
	}
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		len = sizeof(struct sockaddr_in6);
	}
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*sys_err = errno;
		return PC_EIO;
	}
	int one = 1;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* Never fragment our queries, never trust path MTU from ICMP: a forged
	 * "fragmentation needed" must not make replies fragmentable. */
	int omit = family == AF_INET ? IP_PMTUDISC_OMIT : IPV6_PMTUDISC_OMIT;
	if (family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit, sizeof(omit));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &omit, sizeof(omit));
	/* Learn which replies were reassembled from fragments, to refuse them. */
	if (o->refuse_fragmented_replies && net_recv_want_fragsize(fd, family) != 0)
		log_warn("socket pool: IP_RECVFRAGSIZE unavailable; fragmented replies cannot be told");
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		*sys_err = errno;
		close(fd);
		return PC_EIO;
	}
	*out = fd;
	return 0;
}

static uint64_t age_deadline(const struct pool *p)
{
	uint32_t t = p->opts->pool_rotate_seconds;
	if (t == 0)
		return 0;
	/* uniform in [t/2, t] seconds, in ms: rotations spread over time */
	uint64_t half = (uint64_t)t * 500;
	return uv_now(p->loop) + half + rand_uniform((uint32_t)half + 1);
}

/* A new socket on port for slot; NULL with *rc set (PC_ENOMEM, or PC_EIO
 * with the system's errno in *sys_err) when it cannot be had. */
static struct pool_sock *sock_new(struct pool *p, int family, uint16_t port, uint32_t slot,
				  int *rc, int *sys_err)
{
	int fd = -1;
	*sys_err = 0;
	*rc = bind_sock(p->opts, family, port, &fd, sys_err);
	if (*rc < 0)
		return NULL;
	struct pool_sock *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		close(fd);
		*rc = PC_ENOMEM;
		return NULL;
	}
	s->fd = fd;
	s->family = family;
	s->port = port;
	s->pool = p;
	s->slot = slot;
	s->serial = p->next_serial++;
	s->expires_ms = age_deadline(p);
	uv_poll_init_socket(p->loop, &s->poll, fd);
	s->poll.data = s;
	uv_poll_start(&s->poll, UV_READABLE, on_readable);
	return s;
}

/* The fd closes with the handle, after the loop is done with this
 * iteration: a reader that is still draining it never meets a reused fd. */
/* The port is held by someone else (or reserved): draw another. */
static bool port_taken(int rc, int sys_err)
{
	return rc == PC_EIO && (sys_err == EADDRINUSE || sys_err == EACCES);
}

static void sock_closed(uv_handle_t *h)
{
	struct pool_sock *s = h->data;
	close(s->fd);
	free(s);
}

static void sock_close(struct pool_sock *s)
{
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, sock_closed);
}

/* Draw want ports for one family into slots[first..first+want). */
static int open_family(struct pool *p, int family, size_t first, size_t want, char *err,
		       size_t errlen)
{
	uint16_t *ports = malloc(sizeof(uint16_t) * (p->n_ports ? p->n_ports : 1));
	if (ports == NULL)
		return PC_ENOMEM;
	memcpy(ports, p->ports, sizeof(uint16_t) * p->n_ports);
	size_t got = 0, left = p->n_ports;
	while (got < want && left > 0) {
		/* partial Fisher-Yates: a uniform draw among the ports not yet tried */
		uint32_t j = rand_uniform((uint32_t)left);
		uint16_t port = ports[j];
		ports[j] = ports[--left];
		int rc, sys_err;
		struct pool_sock *s = sock_new(p, family, port, (uint32_t)(first + got), &rc,
					       &sys_err);
		if (port_taken(rc, sys_err))
			continue; /* taken: draw again */
		if (s == NULL) {
			snprintf(err, errlen, "socket pool: cannot open %s socket on port %u: %s",
				 family == AF_INET ? "IPv4" : "IPv6", port,
				 rc == PC_ENOMEM ? "out of memory" : strerror(sys_err));
			free(ports);
			return rc == PC_ENOMEM ? PC_ENOMEM : PC_EIO;
		}
		p->slots[first + got++] = s;
		p->n++; /* counted at once so that pool_close finds it on failure */
	}
	free(ports);
	if (got < want) {
		snprintf(err, errlen,
			 "socket pool: only %zu free %s ports in socket-pool-range %u-%u minus exclusions, "
			 "socket-pool-size needs %zu",
			 got, family == AF_INET ? "IPv4" : "IPv6", p->opts->socket_pool_range.low,
			 p->opts->socket_pool_range.high, want);
		return PC_ELIMIT;
	}
	return 0;
}

#define ROTATE_DRAWS 64

/* Give slot a socket on a fresh random port and retire the old one. */
static bool rotate_slot(struct pool *p, uint32_t slot)
{
	struct pool_sock *old = p->slots[slot];
	for (int i = 0; i < ROTATE_DRAWS && p->n_ports > 0; i++) {
		uint16_t port = p->ports[rand_uniform((uint32_t)p->n_ports)];
		int rc, sys_err;
		struct pool_sock *s = sock_new(p, old->family, port, slot, &rc, &sys_err);
		if (s == NULL) {
			if (port_taken(rc, sys_err))
				continue;
			break;
		}
		p->slots[slot] = s;
		p->stats.rotations++;
		old->retired = true;
		if (old->outstanding == 0) {
			sock_close(old);
		} else {
			old->next_retired = p->retired;
			p->retired = old;
			p->stats.retired_open++;
		}
		return true;
	}
	/* Keep serving on the old socket; try again at its next deadline. */
	p->stats.rotate_failed++;
	old->uses = 0;
	old->expires_ms = age_deadline(p);
	return false;
}

static void on_age_tick(uv_timer_t *t)
{
	struct pool *p = t->data;
	uint64_t now = uv_now(p->loop);
	for (size_t i = 0; i < p->n; i++)
		if (p->slots[i]->expires_ms != 0 && p->slots[i]->expires_ms <= now)
			rotate_slot(p, (uint32_t)i);
}

int pool_check_range(const struct pool_opts *o, char *err, size_t errlen)
{
	size_t per = o->socket_pool_size ? o->socket_pool_size : 1;
	size_t avail = pool_available_ports(o);
	if (avail >= per)
		return 0;
	snprintf(err, errlen,
		 "socket pool: socket-pool-range %u-%u minus socket-pool-exclude holds only %zu ports, "
		 "too few for socket-pool-size %zu",
		 o->socket_pool_range.low, o->socket_pool_range.high, avail, per);
	return PC_ELIMIT;
}

int pool_open(struct pool *p, uv_loop_t *loop, const struct pool_opts *o, pool_recv_fn recv,
	      void *ud, char *err, size_t errlen)
{
	size_t per = o->socket_pool_size ? o->socket_pool_size : 1;
	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->opts = o;
	p->recv = recv;
	p->ud = ud;
	p->next_serial = 1;
	int rc = pool_check_range(o, err, errlen);
	if (rc != 0)
		return rc;
	if ((p->rx = net_rx_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	size_t n4 = o->do_ip4 ? per : 0, n6 = o->do_ip6 ? per : 0;
	p->slots = calloc(n4 + n6, sizeof(*p->slots));
	p->ports = allowed_ports(o, &p->n_ports);
	if (p->slots == NULL || p->ports == NULL) {
		snprintf(err, errlen, "socket pool: out of memory");
		return PC_ENOMEM;
	}
	if (n4 && (rc = open_family(p, AF_INET, 0, n4, err, errlen)) < 0)
		return rc;
	p->n4 = n4;
	if (n6 && (rc = open_family(p, AF_INET6, n4, n6, err, errlen)) < 0)
		return rc;
	p->n6 = n6;
	uv_timer_init(loop, &p->age_timer);
	p->age_timer.data = p;
	p->timer_on = true;
	if (o->pool_rotate_seconds)
		uv_timer_start(&p->age_timer, on_age_tick, 1000, 1000);
	log_info("socket pool: %zu IPv4 and %zu IPv6 sockets in %u-%u", n4, n6,
		 o->socket_pool_range.low, o->socket_pool_range.high);
	return 0;
}

struct pool_sock *pool_draw(struct pool *p, int family)
{
	if (family == AF_INET)
		return p->n4 ? p->slots[rand_uniform((uint32_t)p->n4)] : NULL;
	return p->n6 ? p->slots[p->n4 + rand_uniform((uint32_t)p->n6)] : NULL;
}

void pool_sock_sent(struct pool_sock *s)
{
	s->outstanding++;
	s->sent++;
	s->uses++;
	struct pool *p = s->pool;
	if (!s->retired && p->opts->pool_rotate_uses && s->uses >= p->opts->pool_rotate_uses &&
	    !p->closing)
		rotate_slot(p, s->slot);
}

void pool_sock_note_peer(struct pool_sock *s, const struct sockaddr_storage *server)
{
	struct pool_peer key = { .family = (uint8_t)server->ss_family };
	if (server->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)server;
		memcpy(key.addr, &a->sin_addr, 4);
		key.port = ntohs(a->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)server;
		memcpy(key.addr, &a->sin6_addr, 16);
		key.port = ntohs(a->sin6_port);
	}
	s->last_sent_ms = uv_now(s->pool->loop);
	/* Move the server to the front, or push it in and drop the oldest. */
	size_t i = 0;
	while (i < POOL_PEERS - 1 && s->peers[i].port != 0 &&
	       !(s->peers[i].port == key.port && s->peers[i].family == key.family &&
		 memcmp(s->peers[i].addr, key.addr, 16) == 0))
		i++;
	if (s->peers[i].port == key.port && s->peers[i].family == key.family &&
	    memcmp(s->peers[i].addr, key.addr, 16) == 0)
		key.queries = s->peers[i].queries;
	memmove(&s->peers[1], &s->peers[0], i * sizeof(s->peers[0]));
	key.queries++;
	s->peers[0] = key;
}

size_t pool_sock_describe(const struct pool_sock *s, uint64_t now_ms, bool json, char *buf,
			  size_t cap)
{
	size_t o = 0;
#define PUT(...)                                                              \
	do {                                                                  \
		int w_ = snprintf(buf + o, cap - o, __VA_ARGS__);             \
		if (w_ < 0 || (size_t)w_ >= cap - o)                          \
			return cap ? (buf[cap - 1] = '\0', cap - 1) : 0;     \
		o += (size_t)w_;                                              \
	} while (0)
	if (cap == 0)
		return 0;
	buf[0] = '\0';
	uint64_t idle = s->last_sent_ms && now_ms > s->last_sent_ms ? now_ms - s->last_sent_ms : 0;
	if (json && s->last_sent_ms)
		PUT(", \"idle_ms\": %llu, \"peers\": [", (unsigned long long)idle);
	else if (json)
		PUT(", \"idle_ms\": null, \"peers\": [");
	else if (s->last_sent_ms)
		PUT(" idle_ms=%llu peers=", (unsigned long long)idle);
	else
		PUT(" idle_ms=- peers=");
	for (size_t i = 0; i < POOL_PEERS && s->peers[i].port != 0; i++) {
		const struct pool_peer *p = &s->peers[i];
		char a[INET6_ADDRSTRLEN];
		inet_ntop(p->family == AF_INET ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
		if (json)
			PUT("%s{\"addr\": \"%s\", \"port\": %u, \"queries\": %u}", i ? ", " : "", a,
			    p->port, p->queries);
		else
			PUT(p->family == AF_INET ? "%s%s:%u/%u" : "%s[%s]:%u/%u", i ? "," : "", a,
			    p->port, p->queries);
	}
	if (json)
		PUT("]");
	else if (s->peers[0].port == 0)
		PUT("-");
#undef PUT
	return o;
}

void pool_sock_done(struct pool_sock *s)
{
	if (s->outstanding > 0)
		s->outstanding--;
	if (!s->retired || s->outstanding > 0 || s->pool->closing)
		return;
	struct pool *p = s->pool;
	for (struct pool_sock **pp = &p->retired; *pp != NULL; pp = &(*pp)->next_retired) {
		if (*pp == s) {
			*pp = s->next_retired;
			p->stats.retired_open--;
			break;
		}
	}
	sock_close(s);
}

size_t pool_rotate_all(struct pool *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += rotate_slot(p, (uint32_t)i);
	return n;
}

static void timer_closed(uv_handle_t *h)
{
	(void)h;
}

void pool_close(struct pool *p)
{
	if (p->closing)
		return;
	p->closing = true;
	if (p->timer_on)
		uv_close((uv_handle_t *)&p->age_timer, timer_closed);
	for (size_t i = 0; i < p->n; i++)
		sock_close(p->slots[i]);
	p->n = p->n4 = p->n6 = 0;
	while (p->retired != NULL) {
		struct pool_sock *s = p->retired;
		p->retired = s->next_retired;
		sock_close(s);
	}
}

void pool_free(struct pool *p)
{
	free(p->slots);
	free(p->ports);
	net_rx_free(p->rx);
	p->slots = NULL;
	p->ports = NULL;
	p->rx = NULL;
}
