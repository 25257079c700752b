/* infra: smoothed round-trip times per server address, in a bounded table
 * keyed by address (util/addrtab.h; the hash key comes from the caller, as
 * the core draws no randomness itself): when a set is full the server used
 * least recently is forgotten, and then looks unknown and gets probed again;
 * without the key nobody can aim addresses at one set. */
#include <stdlib.h>

#include "core/core.h"
#include "util/addrtab.h"

#define INFRA_SETS 1024 /* of INFRA_WAYS: room for 4096 servers */
#define INFRA_WAYS 4
#define SRTT_MAX 5000

struct infra_entry {
	struct addrtab_slot slot;
	uint32_t srtt;
};

struct core_infra {
	struct addrtab tab;
};

struct core_infra *core_infra_new(const struct hash_key *key)
{
	struct core_infra *inf = calloc(1, sizeof(struct core_infra));
	if (inf != NULL &&
	    addrtab_init(&inf->tab, INFRA_SETS, INFRA_WAYS, sizeof(struct infra_entry), key) != 0) {
		free(inf);
		inf = NULL;
	}
	return inf;
}

void core_infra_free(struct core_infra *inf)
{
	if (inf != NULL)
		addrtab_free(&inf->tab);
	free(inf);
}

static struct infra_entry *get(struct core_infra *inf, const struct sockaddr *sa)
{
	/* zeroed when new: srtt 0, unknown */
	return addrtab_get(&inf->tab, (const struct sockaddr_storage *)sa, NULL);
}

uint32_t core_infra_srtt(struct core_infra *inf, const struct sockaddr *sa)
{
	const struct infra_entry *e = addrtab_find(&inf->tab, (const struct sockaddr_storage *)sa);
	return e != NULL ? e->srtt : 0;
}

void core_infra_rtt(struct core_infra *inf, const struct sockaddr *sa, uint32_t rtt_ms)
{
	struct infra_entry *s = get(inf, sa);
	if (rtt_ms == 0)
		rtt_ms = 1;
	/* exponential smoothing, weight 1/4 for the new sample */
	s->srtt = s->srtt == 0 ? rtt_ms : (s->srtt * 3 + rtt_ms) / 4;
	if (s->srtt == 0)
		s->srtt = 1;
}

void core_infra_timeout(struct core_infra *inf, const struct sockaddr *sa, uint32_t timeout_ms)
{
	struct infra_entry *s = get(inf, sa);
	uint32_t backoff = s->srtt * 2 > timeout_ms ? s->srtt * 2 : timeout_ms;
	s->srtt = backoff > SRTT_MAX ? SRTT_MAX : backoff;
}
