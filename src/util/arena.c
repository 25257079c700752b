#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN 4096

struct arena_chunk {
	struct arena_chunk *next;
	size_t cap, len;
	max_align_t data[];
};

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->used = a->total = 0;
}

void *arena_alloc(struct arena *a, size_t size)
{
	size = (size + 7) & ~(size_t)7;
	struct arena_chunk *c = a->head;
	if (c == NULL || c->cap - c->len < size) {
		size_t cap = size > CHUNK_MIN ? size : CHUNK_MIN;
		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->cap = cap;
		c->len = 0;
		c->next = a->head;
		a->head = c;
		a->total += cap;
	}
	void *p = (uint8_t *)c->data + c->len;
	c->len += size;
	a->used += size;
	return p;
}

void *arena_dup(struct arena *a, const void *p, size_t size)
{
	void *q = arena_alloc(a, size);
	if (q != NULL)
		memcpy(q, p, size);
	return q;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c != NULL) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	arena_init(a);
}
