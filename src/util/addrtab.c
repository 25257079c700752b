#include "util/addrtab.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

static void make_key(const struct sockaddr_storage *a, uint8_t key[ADDRTAB_KEY_LEN])
{
	memset(key, 0, ADDRTAB_KEY_LEN);
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)a;
		key[0] = AF_INET;
		memcpy(key + 2, &s->sin_port, 2);
		memcpy(key + 4, &s->sin_addr, 4);
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)a;
		key[0] = AF_INET6;
		memcpy(key + 2, &s->sin6_port, 2);
		memcpy(key + 4, &s->sin6_addr, 16);
	}
	/* other families: key[0] stays 0, a free entry's; such an address
	 * is never found, and gets an entry of its own for each get */
}

static struct addrtab_slot *slot_at(const struct addrtab *t, size_t i)
{
	return (struct addrtab_slot *)(void *)(t->mem + i * t->esize);
}

static size_t set_of_key(const struct addrtab *t, const uint8_t key[ADDRTAB_KEY_LEN])
{
	return (size_t)hash_bytes(&t->hkey, key, ADDRTAB_KEY_LEN) & (t->n_sets - 1);
}

int addrtab_init(struct addrtab *t, size_t n_sets, unsigned ways, size_t esize,
		 const struct hash_key *key)
{
	memset(t, 0, sizeof(*t));
	if (n_sets == 0 || (n_sets & (n_sets - 1)) != 0 || ways == 0 ||
	    esize < sizeof(struct addrtab_slot) || esize % _Alignof(struct addrtab_slot) != 0)
		return PC_EINVAL;
	t->mem = calloc(n_sets * ways, esize);
	if (t->mem == NULL)
		return PC_ENOMEM;
	t->esize = esize;
	t->n_sets = n_sets;
	t->ways = ways;
	t->hkey = *key;
	return 0;
}

void addrtab_free(struct addrtab *t)
{
	free(t->mem);
	t->mem = NULL;
}

static struct addrtab_slot *find_key(const struct addrtab *t, size_t set,
				     const uint8_t key[ADDRTAB_KEY_LEN])
{
	if (key[0] == 0)
		return NULL;
	for (unsigned i = 0; i < t->ways; i++) {
		struct addrtab_slot *s = slot_at(t, set * t->ways + i);
		if (memcmp(s->key, key, ADDRTAB_KEY_LEN) == 0)
			return s;
	}
	return NULL;
}

void *addrtab_find(struct addrtab *t, const struct sockaddr_storage *a)
{
	uint8_t key[ADDRTAB_KEY_LEN];
	make_key(a, key);
	return find_key(t, set_of_key(t, key), key);
}

void *addrtab_get(struct addrtab *t, const struct sockaddr_storage *a, bool *fresh)
{
	uint8_t key[ADDRTAB_KEY_LEN];
	make_key(a, key);
	size_t set = set_of_key(t, key);
	uint32_t now = ++t->clock;
	struct addrtab_slot *s = find_key(t, set, key);
	if (fresh != NULL)
		*fresh = s == NULL;
	if (s == NULL) {
		/* a free entry, else the least recently got (the difference of
		 * stamps survives the clock's wrap) */
		s = slot_at(t, set * t->ways);
		for (unsigned i = 0; i < t->ways && s->key[0] != 0; i++) {
			struct addrtab_slot *o = slot_at(t, set * t->ways + i);
			if (o->key[0] == 0 || (int32_t)(o->stamp - s->stamp) < 0)
				s = o;
		}
		memset(s, 0, t->esize);
		memcpy(s->key, key, ADDRTAB_KEY_LEN);
	}
	s->stamp = now;
	return s;
}

size_t addrtab_size(const struct addrtab *t)
{
	return t->n_sets * t->ways;
}

void *addrtab_at(const struct addrtab *t, size_t i)
{
	struct addrtab_slot *s = slot_at(t, i);
	return s->key[0] != 0 ? s : NULL;
}

size_t addrtab_set_of(const struct addrtab *t, const struct sockaddr_storage *a)
{
	uint8_t key[ADDRTAB_KEY_LEN];
	make_key(a, key);
	return set_of_key(t, key);
}
