#include "net/srvstate.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/rand.h"
#include "util/sockaddr.h"
#include "wire/wire.h"

#define SRV_SETS 512 /* power of two */
#define SRV_WAYS 4

int srv_init(struct srvstate *t)
{
	t->e = calloc((size_t)SRV_SETS * SRV_WAYS, sizeof(*t->e));
	if (t->e == NULL)
		return PC_ENOMEM;
	t->n_sets = SRV_SETS;
	/* A secret key keeps an attacker who picks server addresses (by
	 * delegating to them) from crowding one set to evict a server's state. */
	hash_key_new(&t->key);
	return 0;
}

void srv_free(struct srvstate *t)
{
	free(t->e);
	t->e = NULL;
}

static struct srv_entry *set_of(const struct srvstate *t, const struct sockaddr_storage *a)
{
	return &t->e[(sockaddr_hash(a, &t->key) & (t->n_sets - 1)) * SRV_WAYS];
}

struct srv_entry *srv_find(struct srvstate *t, const struct sockaddr_storage *a)
{
	struct srv_entry *set = set_of(t, a);
	for (int i = 0; i < SRV_WAYS; i++)
		if (set[i].used && sockaddr_equal(&set[i].addr, a))
			return &set[i];
	return NULL;
}

static void new_client_cookie(struct srv_entry *e, uint64_t now)
{
	rand_bytes(e->client, sizeof(e->client));
	e->client_born = now;
	e->server_len = 0; /* a server cookie belongs to the client cookie it answered */
}

struct srv_entry *srv_get(struct srvstate *t, const struct sockaddr_storage *a, uint64_t now)
{
	struct srv_entry *e = srv_find(t, a);
	if (e == NULL) {
		struct srv_entry *set = set_of(t, a);
		e = &set[0];
		for (int i = 0; i < SRV_WAYS; i++) {
			if (!set[i].used) {
				e = &set[i];
				break;
			}
			if (set[i].last_used < e->last_used)
				e = &set[i];
		}
		memset(e, 0, sizeof(*e));
		e->used = true;
		e->addr = *a;
		new_client_cookie(e, now);
	} else if (now - e->client_born >= SRV_CLIENT_COOKIE_LIFE_MS) {
		new_client_cookie(e, now);
	}
	e->last_used = now;
	return e;
}

bool srv_nocaps(struct srvstate *t, const struct sockaddr_storage *a, uint64_t now)
{
	const struct srv_entry *e = srv_find(t, a);
	return e != NULL && e->nocaps_until > now;
}

bool srv_case_miss(struct srvstate *t, const struct sockaddr_storage *a, uint64_t now)
{
	struct srv_entry *e = srv_get(t, a, now);
	if (++e->case_misses < SRV_CASE_MISSES)
		return false;
	e->case_misses = 0;
	e->nocaps_until = now + SRV_NOCAPS_MS;
	return true;
}

size_t srv_count_nocaps(const struct srvstate *t, uint64_t now)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n_sets * SRV_WAYS; i++)
		if (t->e[i].used && t->e[i].nocaps_until > now)
			n++;
	return n;
}

size_t srv_cookie_opt(const struct srv_entry *e, uint8_t *out)
{
	size_t len = SRV_CLIENT_COOKIE + e->server_len;
	out[0] = 0;
	out[1] = SRV_COOKIE_OPT;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, e->client, SRV_CLIENT_COOKIE);
	memcpy(out + 4 + SRV_CLIENT_COOKIE, e->server, e->server_len);
	return 4 + len;
}

enum srv_cookie srv_cookie_check(const uint8_t *opts, size_t len,
				 const uint8_t client[SRV_CLIENT_COOKIE], const uint8_t **server,
				 size_t *server_len)
{
	struct wire_rd r;
	enum srv_cookie verdict = SRV_COOKIE_NONE;
	wire_rd_init(&r, opts, len);
	while (r.pos < r.len) {
		uint16_t code, olen;
		if (wire_rd_u16(&r, &code) != 0 || wire_rd_u16(&r, &olen) != 0 ||
		    r.len - r.pos < olen)
			return SRV_COOKIE_BAD; /* option bytes that do not add up */
		const uint8_t *data = r.pkt + r.pos;
		r.pos += olen;
		if (code != SRV_COOKIE_OPT)
			continue;
		if (verdict != SRV_COOKIE_NONE)
			return SRV_COOKIE_BAD; /* RFC 7873 allows one COOKIE option */
		/* 8 bytes (client only) or 8 + 8..32 (RFC 7873 section 4) */
		size_t slen = olen >= SRV_CLIENT_COOKIE ? olen - SRV_CLIENT_COOKIE : 0;
		if (olen < SRV_CLIENT_COOKIE ||
		    (slen != 0 && (slen < SRV_SERVER_COOKIE_MIN || slen > SRV_SERVER_COOKIE_MAX)))
			return SRV_COOKIE_BAD;
		if (memcmp(data, client, SRV_CLIENT_COOKIE) != 0)
			return SRV_COOKIE_BAD;
		*server = data + SRV_CLIENT_COOKIE;
		*server_len = slen;
		verdict = SRV_COOKIE_OK;
	}
	return verdict;
}
