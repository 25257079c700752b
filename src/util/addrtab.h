/* addrtab: a bounded table keyed by a server's address (family, address and
 * port), for what the resolver remembers per server: smoothed round-trip
 * times (core/infra.c), cookies and 0x20 behaviour (net/srvstate.c).
 *
 * Set-associative: an address hashes to one set of `ways` entries with the
 * table's SipHash key (util/hash.h), and a new address takes a free entry
 * of its set or, when the set is full, the one used least recently. Memory
 * is fixed at init however many servers the resolver meets, and without the
 * key nobody can aim addresses at one set to push a server's entry out.
 *
 * An entry is the caller's own struct, whose first member is a struct
 * addrtab_slot; the table hands out pointers to such structs. A pointer is
 * good until the next addrtab_get on the table (which may reuse the entry
 * for another address): look up, use, forget. No locking. */
#ifndef PC_UTIL_ADDRTAB_H
#define PC_UTIL_ADDRTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/hash.h"

/* family (0: free entry), 0, port, address (IPv4: 4 bytes, then zeros) */
#define ADDRTAB_KEY_LEN 20

struct addrtab_slot {
	uint8_t key[ADDRTAB_KEY_LEN];
	uint32_t stamp; /* the table's clock when last got: least recent goes first */
};

struct addrtab {
	uint8_t *mem;
	size_t esize;   /* bytes per entry, its slot included */
	size_t n_sets;  /* a power of two */
	unsigned ways;
	uint32_t clock; /* counts addrtab_get calls */
	struct hash_key hkey;
};

/* A table of n_sets (a power of two) sets of ways entries of esize bytes
 * each (a struct starting with struct addrtab_slot), all free, hashing with
 * *key (a fresh random one: hash_key_new). Returns 0, PC_EINVAL for a bad
 * shape or PC_ENOMEM. */
int addrtab_init(struct addrtab *t, size_t n_sets, unsigned ways, size_t esize,
		 const struct hash_key *key);
void addrtab_free(struct addrtab *t);

/* The entry of a (AF_INET or AF_INET6), or NULL when it has none. Does not
 * count as a use for the choice of what to evict. */
void *addrtab_find(struct addrtab *t, const struct sockaddr_storage *a);
/* The entry of a, made when missing (every byte past the slot zero, and
 * *fresh, when fresh is not NULL, set true); a use. Never NULL. */
void *addrtab_get(struct addrtab *t, const struct sockaddr_storage *a, bool *fresh);

/* Every entry, for scans: n_sets * ways of them; entry i, or NULL when it
 * is free. */
size_t addrtab_size(const struct addrtab *t);
void *addrtab_at(const struct addrtab *t, size_t i);

/* The set a belongs in (for tests of the hashing). */
size_t addrtab_set_of(const struct addrtab *t, const struct sockaddr_storage *a);

#endif
