/* port_pool: what a running portcullis daemon says about its socket pool.
 *
 * The daemon's control socket answers the line "pool json\n" with one JSON
 * document and closes:
 *   {"pid": 1234, "size": 2500,
 *    "sockets": [{"family": "ip4", "port": 60026, "sent": 3,
 *                 "accepted": 3, "dropped": 0, "idle_ms": 1200,
 *                 "peers": [{"addr": "192.0.2.1", "port": 53,
 *                            "queries": 2}, ...]}, ...]}
 * (idle_ms and peers are newer; an older daemon leaves them out).
 * The control channel frames every reply as "ok\n<body>" or "error MSG\n";
 * port_pool_parse_reply accepts either that or a bare document.
 * port_pool_parse reads exactly that shape with a small hand parser that
 * skips keys it does not know, never reads past len, and bounds nesting.
 * port_pool_fetch does the socket part. A struct port_pool owns its
 * sockets array; release it with port_pool_free. */
#ifndef PC_PORT_POOL_H
#define PC_PORT_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "port/port_diag.h"
#include "port/port_proc.h"

#define PORT_POOL_MAX_REPLY (16u << 20) /* far above 65,536 sockets */

#define PORT_POOL_PEERS 4 /* the daemon keeps four; more are ignored */

/* A server the pool socket sent queries to, most recent first. */
struct port_pool_peer {
	char addr[46];    /* as the daemon printed it (INET6_ADDRSTRLEN) */
	uint16_t port;
	uint32_t queries;
};

struct port_pool_sock {
	uint8_t family;   /* AF_INET or AF_INET6 */
	uint16_t port;
	uint64_t sent, accepted, dropped;
	int64_t idle_ms;  /* since its last query; -1 unknown or never used */
	struct port_pool_peer peers[PORT_POOL_PEERS];
	uint8_t npeers;
};

struct port_pool {
	int pid;          /* -1 when the reply did not say */
	int64_t size;     /* configured pool size; -1 when absent */
	struct port_pool_sock *socks; /* owned; port_pool_mark sorts it */
	size_t n;
	uint64_t netns;   /* set by the caller: the daemon's network namespace */
};

/* Parse a reply. Returns 0, PC_EMALFORMED or PC_ENOMEM; on error *out is
 * left empty (nothing to free). */
int port_pool_parse(const char *json, size_t len, struct port_pool *out);
void port_pool_free(struct port_pool *p);
/* A whole control-channel reply: strips an "ok" status line; an "error"
 * line returns PC_EINVAL and copies its message into err[errlen]. */
int port_pool_parse_reply(const char *buf, size_t len, struct port_pool *out,
			  char *err, size_t errlen);

/* Connect to the AF_UNIX stream socket at path ("@name" = abstract), send
 * "pool json\n", read the reply (at most PORT_POOL_MAX_REPLY bytes, two
 * seconds) and parse it. Returns 0, PC_EIO (errno set), PC_EMALFORMED, or
 * PC_EINVAL when the daemon answered with an error (err holds it). */
int port_pool_fetch(const char *path, struct port_pool *out, char *err, size_t errlen);

/* For each socket in socks, set pool_pid[i] to the pid of the pool that
 * holds it and entry[i] (when entry is not NULL) to the pool's record of
 * it, else leave them. A UDP socket belongs to a pool when the pool's
 * namespace, family and port match and, if its owners are known, the
 * daemon is one of them. pool_pid and entry have socks->n entries; entry
 * points into pools, which must outlive it. */
void port_pool_mark(const struct port_sockset *socks, const struct port_owners *owners,
		    struct port_pool *pools, size_t npools, int *pool_pid,
		    const struct port_pool_sock **entry);

#endif
