#include "net/pool.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/config.h"
#include "net/recv.h"
#include "util/err.h"
#include "util/log.h"
#include "util/rand.h"

static bool excluded(const struct config *cfg, uint16_t port)
{
	for (size_t i = 0; i < cfg->n_pool_exclude; i++)
		if (port >= cfg->pool_exclude[i].low && port <= cfg->pool_exclude[i].high)
			return true;
	return false;
}

/* The allowed ports, in order. Caller frees. */
static uint16_t *allowed_ports(const struct config *cfg, size_t *n)
{
	const struct config_range *r = &cfg->socket_pool_range;
	uint16_t *ports = malloc(sizeof(uint16_t) * ((size_t)r->high - r->low + 1));
	*n = 0;
	if (ports == NULL)
		return NULL;
	for (uint32_t p = r->low; p <= r->high; p++)
		if (p != 0 && !excluded(cfg, (uint16_t)p))
			ports[(*n)++] = (uint16_t)p;
	return ports;
}

size_t pool_available_ports(const struct config *cfg)
{
	size_t n;
	free(allowed_ports(cfg, &n));
	return n;
}

static void on_dgram(void *ud, uint8_t *pkt, size_t len, const struct sockaddr_storage *from,
		     socklen_t fromlen)
{
	struct pool_sock *s = ud;
	(void)fromlen;
	s->pool->recv(s->pool->ud, s, pkt, len, from);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	(void)events;
	if (status == 0)
		net_recv_all(((struct pool_sock *)h->data)->fd, on_dgram, h->data);
}

static int bind_sock(const struct config *cfg, int family, uint16_t port, int *out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	/* the first outgoing-interface of this family, else the wildcard */
	for (size_t i = 0; i < cfg->n_outgoing; i++) {
		if (cfg->outgoing[i].sa.ss_family == family) {
			ss = cfg->outgoing[i].sa;
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
	if (fd < 0)
		return -errno;
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
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	*out = fd;
	return 0;
}

/* Draw want ports for one family into socks[0..want). */
static int open_family(struct pool *p, uv_loop_t *loop, const struct config *cfg, int family,
		       struct pool_sock *socks, size_t want, char *err, size_t errlen)
{
	size_t n_allowed;
	uint16_t *ports = allowed_ports(cfg, &n_allowed);
	if (ports == NULL)
		return PC_ENOMEM;
	size_t got = 0, left = n_allowed;
	while (got < want && left > 0) {
		/* partial Fisher-Yates: a uniform draw among the ports not yet tried */
		uint32_t j = rand_uniform((uint32_t)left);
		uint16_t port = ports[j];
		ports[j] = ports[--left];
		int fd = -1, rc = bind_sock(cfg, family, port, &fd);
		if (rc == -EADDRINUSE || rc == -EACCES)
			continue; /* taken: draw again */
		if (rc < 0) {
			snprintf(err, errlen, "socket pool: cannot open %s socket on port %u: %s",
				 family == AF_INET ? "IPv4" : "IPv6", port, strerror(-rc));
			free(ports);
			return PC_EIO;
		}
		struct pool_sock *s = &socks[got];
		memset(s, 0, sizeof(*s));
		s->fd = fd;
		s->family = family;
		s->port = port;
		s->pool = p;
		s->index = (uint32_t)(s - p->socks);
		uv_poll_init_socket(loop, &s->poll, fd);
		s->poll.data = s;
		uv_poll_start(&s->poll, UV_READABLE, on_readable);
		got++;
	}
	free(ports);
	if (got < want) {
		snprintf(err, errlen,
			 "socket pool: only %zu free %s ports in socket-pool-range %u-%u minus exclusions, "
			 "socket-pool-size needs %zu",
			 got, family == AF_INET ? "IPv4" : "IPv6", cfg->socket_pool_range.low,
			 cfg->socket_pool_range.high, want);
		return PC_ELIMIT;
	}
	return 0;
}

int pool_check_range(const struct config *cfg, char *err, size_t errlen)
{
	size_t per = cfg->socket_pool_size ? cfg->socket_pool_size : 1;
	size_t avail = pool_available_ports(cfg);
	if (avail >= per)
		return 0;
	snprintf(err, errlen,
		 "socket pool: socket-pool-range %u-%u minus socket-pool-exclude holds only %zu ports, "
		 "too few for socket-pool-size %zu",
		 cfg->socket_pool_range.low, cfg->socket_pool_range.high, avail, per);
	return PC_ELIMIT;
}

int pool_open(struct pool *p, uv_loop_t *loop, const struct config *cfg, pool_recv_fn recv,
	      void *ud, char *err, size_t errlen)
{
	size_t per = cfg->socket_pool_size ? cfg->socket_pool_size : 1;
	memset(p, 0, sizeof(*p));
	int rc = pool_check_range(cfg, err, errlen);
	if (rc != 0)
		return rc;
	size_t n4 = cfg->do_ip4 ? per : 0, n6 = cfg->do_ip6 ? per : 0;
	p->socks = calloc(n4 + n6, sizeof(*p->socks));
	if (p->socks == NULL)
		return PC_ENOMEM;
	p->recv = recv;
	p->ud = ud;
	if (n4 && (rc = open_family(p, loop, cfg, AF_INET, p->socks, n4, err, errlen)) < 0)
		return rc;
	p->n4 = n4;
	p->n = n4;
	if (n6 && (rc = open_family(p, loop, cfg, AF_INET6, p->socks + n4, n6, err, errlen)) < 0)
		return rc;
	p->n6 = n6;
	p->n = n4 + n6;
	log_info("socket pool: %zu IPv4 and %zu IPv6 sockets in %u-%u", n4, n6,
		 cfg->socket_pool_range.low, cfg->socket_pool_range.high);
	return 0;
}

struct pool_sock *pool_draw(struct pool *p, int family)
{
	if (family == AF_INET)
		return p->n4 ? &p->socks[rand_uniform((uint32_t)p->n4)] : NULL;
	return p->n6 ? &p->socks[p->n4 + rand_uniform((uint32_t)p->n6)] : NULL;
}

static void closed(uv_handle_t *h)
{
	(void)h;
}

void pool_close(struct pool *p)
{
	for (size_t i = 0; i < p->n; i++) {
		uv_poll_stop(&p->socks[i].poll);
		uv_close((uv_handle_t *)&p->socks[i].poll, closed);
		close(p->socks[i].fd);
	}
}
