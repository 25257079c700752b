/* infra: a small table of smoothed round-trip times per server address.
 * Fixed size, direct-mapped by the keyed address hash (util/sockaddr.h;
 * the key comes from the caller, as the core draws no randomness itself):
 * a collision just forgets the older server, which then looks unknown and
 * gets probed again, and without the key nobody can aim one at a server. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "util/sockaddr.h"

#define INFRA_SLOTS 4096
#define SRTT_MAX 5000

struct infra_slot {
	uint8_t key[19]; /* 16 address bytes, port, family */
	uint8_t used;
	uint32_t srtt;
};

struct core_infra {
	struct hash_key hkey;
	struct infra_slot slot[INFRA_SLOTS];
};

static void make_key(const struct sockaddr *sa, uint8_t key[19])
{
	memset(key, 0, 19);
	key[18] = (uint8_t)sa->sa_family;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		memcpy(key, &in->sin_addr, 4);
		memcpy(key + 16, &in->sin_port, 2);
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		memcpy(key, &in6->sin6_addr, 16);
		memcpy(key + 16, &in6->sin6_port, 2);
	}
}

static struct infra_slot *find(struct core_infra *inf, const struct sockaddr *sa, bool create)
{
	uint8_t key[19];
	make_key(sa, key);
	uint32_t h = sockaddr_hash((const struct sockaddr_storage *)sa, &inf->hkey);
	struct infra_slot *s = &inf->slot[h % INFRA_SLOTS];
	if (s->used && memcmp(s->key, key, sizeof(key)) == 0)
		return s;
	if (!create)
		return NULL;
	memcpy(s->key, key, sizeof(key));
	s->used = 1;
	s->srtt = 0;
	return s;
}

struct core_infra *core_infra_new(const struct hash_key *key)
{
	struct core_infra *inf = calloc(1, sizeof(struct core_infra));
	if (inf != NULL)
		inf->hkey = *key;
	return inf;
}

void core_infra_free(struct core_infra *inf)
{
	free(inf);
}

uint32_t core_infra_srtt(struct core_infra *inf, const struct sockaddr *sa)
{
	struct infra_slot *s = find(inf, sa, false);
	return s ? s->srtt : 0;
}

void core_infra_rtt(struct core_infra *inf, const struct sockaddr *sa, uint32_t rtt_ms)
{
	struct infra_slot *s = find(inf, sa, true);
	if (rtt_ms == 0)
		rtt_ms = 1;
	/* exponential smoothing, weight 1/4 for the new sample */
	s->srtt = s->srtt == 0 ? rtt_ms : (s->srtt * 3 + rtt_ms) / 4;
	if (s->srtt == 0)
		s->srtt = 1;
}

void core_infra_timeout(struct core_infra *inf, const struct sockaddr *sa, uint32_t timeout_ms)
{
	struct infra_slot *s = find(inf, sa, true);
	uint32_t backoff = s->srtt * 2 > timeout_ms ? s->srtt * 2 : timeout_ms;
	s->srtt = backoff > SRTT_MAX ? SRTT_MAX : backoff;
}
