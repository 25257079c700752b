/* freelist: freed objects of one kind kept for reuse, up to a bound.
 *
 * Objects that are made and ended at a high rate (a request per cache miss,
 * an upstream transaction per query) cost more in malloc's slow paths and
 * page faults than in their own work; a short list of ended ones avoids
 * that. The bound keeps a burst from pinning its memory forever.
 *
 * The list is threaded through the kept objects themselves (their first
 * bytes hold the link while they are kept), so keeping one costs no memory
 * and no allocation; every step is inline. There is no lock here: a list
 * shared by threads is used under its owner's lock. Objects must be at
 * least a pointer in size and come from malloc/calloc (freelist_drain and a
 * full list give them back with free). What freelist_get returns holds
 * garbage: the caller initialises it as it would a fresh malloc.
 *
 * Kept objects stay reachable from the list's owner, so leak checkers do
 * not report them. */
#ifndef PC_UTIL_FREELIST_H
#define PC_UTIL_FREELIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

struct freelist_link {
	struct freelist_link *next;
};

struct freelist {
	struct freelist_link *head;
	size_t n, max;
};

/* An empty list that keeps at most max objects (zeroed memory is an empty
 * list that keeps none). */
static inline void freelist_init(struct freelist *fl, size_t max)
{
	fl->head = NULL;
	fl->n = 0;
	fl->max = max;
}

/* A kept object, or NULL when none is kept. */
static inline void *freelist_get(struct freelist *fl)
{
	struct freelist_link *o = fl->head;
	if (o != NULL) {
		fl->head = o->next;
		fl->n--;
	}
	return o;
}

/* Keep obj for reuse; false when the list is full (obj is then the
 * caller's still: see freelist_put_or_free). */
static inline bool freelist_put(struct freelist *fl, void *obj)
{
	if (fl->n >= fl->max)
		return false;
	struct freelist_link *o = obj;
	o->next = fl->head;
	fl->head = o;
	fl->n++;
	return true;
}

/* Keep obj, or free it when the list is full. */
static inline void freelist_put_or_free(struct freelist *fl, void *obj)
{
	if (!freelist_put(fl, obj))
		free(obj);
}

/* Free every kept object. */
static inline void freelist_drain(struct freelist *fl)
{
	void *o;
	while ((o = freelist_get(fl)) != NULL)
		free(o);
}

#endif
