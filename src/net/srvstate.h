/* srvstate: what upstream remembers about each server address (address and
 * port): its DNS cookies (RFC 7873, client side as in RFC 9018) and whether
 * it echoes the 0x20 letter case of our questions.
 *
 * The table has a fixed size (set-associative, seeded hash, the least
 * recently used entry of a set is replaced), so memory stays bounded however
 * many servers the resolver meets. Losing an entry only costs a fresh cookie
 * exchange or a fresh 0x20 verdict. Entries are never handed out across
 * calls into other modules: look one up, use it, forget the pointer. */
#ifndef PC_NET_SRVSTATE_H
#define PC_NET_SRVSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/hash.h"

#define SRV_CLIENT_COOKIE 8
#define SRV_SERVER_COOKIE_MIN 8
#define SRV_SERVER_COOKIE_MAX 32
#define SRV_COOKIE_OPT 10        /* EDNS option code of COOKIE */
#define SRV_COOKIE_OPT_MAX (4 + SRV_CLIENT_COOKIE + SRV_SERVER_COOKIE_MAX)
#define SRV_CLIENT_COOKIE_LIFE_MS (24ull * 3600 * 1000)
#define SRV_CASE_MISSES 2        /* confirmed case misses before a server gets lowercase */
#define SRV_NOCAPS_MS (15ull * 60 * 1000)

struct srv_entry {
	struct sockaddr_storage addr;
	bool used;
	uint64_t last_used;
	uint8_t client[SRV_CLIENT_COOKIE]; /* our client cookie for this server */
	uint64_t client_born;
	uint8_t server[SRV_SERVER_COOKIE_MAX];
	uint8_t server_len;                /* 0 = the server has given us none */
	uint8_t case_misses;
	uint64_t nocaps_until;             /* send lowercase until then */
};

struct srvstate {
	struct srv_entry *e;
	size_t n_sets;
	struct hash_key key;
};

/* Allocate the table; PC_ENOMEM on failure. */
int srv_init(struct srvstate *t);
void srv_free(struct srvstate *t);

/* The entry for addr, or NULL when it has none. */
struct srv_entry *srv_find(struct srvstate *t, const struct sockaddr_storage *a);
/* The entry for addr, created (with a fresh random client cookie) when
 * missing. A client cookie older than a day is replaced here, and the server
 * cookie that went with it is forgotten. Never NULL. */
struct srv_entry *srv_get(struct srvstate *t, const struct sockaddr_storage *a, uint64_t now);

/* Is the server marked as one that does not echo 0x20 case? */
bool srv_nocaps(struct srvstate *t, const struct sockaddr_storage *a, uint64_t now);
/* A confirmed case miss; returns true when this one marked the server. */
bool srv_case_miss(struct srvstate *t, const struct sockaddr_storage *a, uint64_t now);
/* Servers currently marked no-0x20. */
size_t srv_count_nocaps(const struct srvstate *t, uint64_t now);

/* COOKIE option bytes (code, length, client cookie, server cookie if we
 * have one) for a query to e; out holds SRV_COOKIE_OPT_MAX bytes. Returns
 * the length. */
size_t srv_cookie_opt(const struct srv_entry *e, uint8_t *out);

enum srv_cookie {
	SRV_COOKIE_NONE,  /* the reply carries no COOKIE option */
	SRV_COOKIE_OK,    /* our client cookie, and a well-formed server cookie or none */
	SRV_COOKIE_BAD,   /* another client cookie, a malformed option, or two of them */
};

/* Judge the COOKIE option among a reply's EDNS option bytes against the
 * client cookie we sent. On SRV_COOKIE_OK, *server points into opts at the
 * server cookie and *server_len is its length (0 when absent). */
enum srv_cookie srv_cookie_check(const uint8_t *opts, size_t len,
				 const uint8_t client[SRV_CLIENT_COOKIE], const uint8_t **server,
				 size_t *server_len);

#endif
