/* pool: the socket pool. At start, for each upstream address family in use,
 * socket-pool-size UDP sockets bound to distinct ports drawn uniformly at
 * random (CSPRNG) from socket-pool-range minus every socket-pool-exclude
 * range, redrawing when a port is taken. The sockets stay open for the life
 * of the pool; upstream.c draws one uniformly for every query. */
#ifndef PC_NET_POOL_H
#define PC_NET_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct config;
struct pool;

struct pool_sock {
	int fd;
	int family;        /* AF_INET or AF_INET6 */
	uint16_t port;
	uint32_t index;    /* position in the pool */
	uint32_t outstanding;
	uint64_t sent, accepted, dropped;
	uv_poll_t poll;
	struct pool *pool;
};

/* Called for every datagram that arrives on a pool socket; the receiver may
 * rewrite the bytes in place (they are not used again). */
typedef void (*pool_recv_fn)(void *ud, struct pool_sock *s, uint8_t *pkt, size_t len,
			     const struct sockaddr_storage *from);

struct pool {
	struct pool_sock *socks; /* IPv4 sockets first, then IPv6 */
	size_t n, n4, n6;
	pool_recv_fn recv;
	void *ud;
};

/* Open the pool for the families enabled in cfg. On failure returns a
 * negative PC_E* with one line in err (e.g. the range is too small). */
int pool_open(struct pool *p, uv_loop_t *loop, const struct config *cfg, pool_recv_fn recv,
	      void *ud, char *err, size_t errlen);
/* Count the ports that range minus exclusions offers. */
size_t pool_available_ports(const struct config *cfg);
/* 0 when the range minus exclusions holds enough ports for the pool, else
 * PC_ELIMIT with one line in err saying how many it holds. */
int pool_check_range(const struct config *cfg, char *err, size_t errlen);
/* A socket of the family drawn uniformly from the whole pool; NULL if none. */
struct pool_sock *pool_draw(struct pool *p, int family);
void pool_close(struct pool *p);

#endif
