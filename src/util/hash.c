#include "util/hash.h"

#include "util/rand.h"

void hash_key_new(struct hash_key *k)
{
	rand_bytes(k, sizeof(*k));
}

void hash_key_from_bytes(struct hash_key *k, const uint8_t bytes[16])
{
	k->k0 = hash_load(bytes);
	k->k1 = hash_load(bytes + 8);
}

uint64_t hash_siphash24(const struct hash_key *k, const void *data, size_t len)
{
	return hash_sip(k, data, len, 2, 4);
}
