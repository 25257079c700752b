/* arena: a bump allocator for one request's memory, freed all at once.
 * Chunks are malloc'd on demand; nothing is freed individually. */
#ifndef PC_UTIL_ARENA_H
#define PC_UTIL_ARENA_H

#include <stddef.h>

struct arena_chunk;
struct arena {
	struct arena_chunk *head;
	size_t used, total;
};

void arena_init(struct arena *a);
/* size bytes aligned to 8, or NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t size);
void *arena_dup(struct arena *a, const void *p, size_t size);
void arena_free(struct arena *a);

#endif
