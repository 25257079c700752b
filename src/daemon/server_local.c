/* server_local: a reload's local zones (local-zone, local-data,
 * local-data-ptr). The table in force (core/localzone.h) was made from some
 * lines, the start configuration's or a later reload's, and perhaps
 * changed since by the control verbs (local_zone, local_data...). A reload
 * whose lines differ from those, or that follows such a verb, makes a
 * whole new table from the new configuration's lines, beside the one in
 * force, and swaps it in; runtime changes last until that reload, as
 * forward_add's do and as in Unbound.
 *
 * The swap, for the threads that read the table: worker 0 (this loop, where
 * reloads run) and the reader threads ask it on a cache miss through
 * core_env.local, an atomic pointer, published here with one release
 * store. A reader holds the table for the microseconds of one lookup (the
 * answer is copied to its own scratch), so the replaced table is freed
 * after the grace period reload.c gives a replaced configuration, not at
 * once (server_local_apply hands it back for that). Requests keep no
 * pointer into it.
 *
 * The cache keeps nothing a local zone answers for (core/iter.c asks
 * before each put), so that a cache hit never stands in for a local
 * answer: after the swap every cache entry whose owner the new table
 * governs is dropped, in one walk of the cache, bounded parts at a time
 * (a reload that changes local lines is rare; one that does not, costs
 * nothing). */
#include "daemon/server_local.h"

#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "core/localzone.h"
#include "daemon/config.h"
#include "daemon/localconf.h"
#include "daemon/server_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/rand.h"
#include "wire/wire.h"

#define WALK_PART 256 /* cache entries looked at between two flushes */

static bool lines_same(const struct config_local *a, size_t na, const struct config_local *b,
		       size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].kind != b[i].kind || strcmp(a[i].text, b[i].text) != 0)
			return false;
	return true;
}

static void free_lines(struct config_local *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].text);
	free(l);
}

int server_local_prepare(struct server *s, struct config *next, struct local_build *out,
			 char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!s->local_dirty &&
	    lines_same(s->local_lines, s->n_local_lines, next->local, next->n_local))
		return 0;
	uint32_t seed;
	rand_bytes(&seed, sizeof(seed));
	size_t bad;
	char msg[256];
	/* The reader checked these lines already (it builds a table too):
	 * only memory can fail here. */
	int rc = localconf_build(&out->table, next, seed, &bad, msg, sizeof(msg));
	if (rc != 0) {
		snprintf(err, errlen, "local zones: %s", msg);
		return rc;
	}
	out->lines = next->local;
	out->n_lines = next->n_local;
	next->local = NULL;
	next->n_local = 0;
	return 0;
}

void server_local_abandon(struct local_build *r)
{
	lz_free(r->table);
	free_lines(r->lines, r->n_lines);
	memset(r, 0, sizeof(*r));
}

/* Owners of fresh cache entries the new table governs, a part at a time. */
struct governed {
	struct lz_table *table;
	uint8_t (*names)[WIRE_NAME_MAX];
	size_t n, cap;
	bool short_of_memory;
};

static void collect(void *ud, const struct cache_entry *e)
{
	struct governed *g = ud;
	if (!lz_governs(g->table, e->owner))
		return;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		void *p = realloc(g->names, cap * sizeof(*g->names));
		if (p == NULL) {
			g->short_of_memory = true;
			return;
		}
		g->names = p;
		g->cap = cap;
	}
	wire_name_copy(g->names[g->n++], e->owner);
}

static size_t flush_governed(struct server *s, struct lz_table *t)
{
	struct governed g = { .table = t };
	uint64_t pos = 0, now = uv_now(s->loop);
	size_t flushed = 0;
	bool done;
	do {
		done = cache_walk(s->cache, now, &pos, WALK_PART, collect, &g);
		for (size_t i = 0; i < g.n; i++)
			flushed += cache_flush_name(s->cache, g.names[i]);
		g.n = 0;
	} while (!done && !g.short_of_memory);
	free(g.names);
	if (g.short_of_memory) {
		/* Better an empty cache than one that shadows a local answer. */
		log_warn("reload: out of memory while flushing the names of local zones: the whole "
			 "cache is flushed");
		cache_flush_all(s->cache);
	}
	return flushed;
}

struct lz_table *server_local_apply(struct server *s, struct local_build *b)
{
	if (b->table == NULL)
		return NULL;
	struct lz_table *old = s->local;
	s->local = b->table;
	atomic_store_explicit(&s->env.local, b->table, memory_order_release);
	if (s->local_lines_owned)
		free_lines(s->local_lines, s->n_local_lines);
	s->local_lines = b->lines;
	s->n_local_lines = b->n_lines;
	s->local_lines_owned = true;
	s->local_dirty = false;
	memset(b, 0, sizeof(*b));
	size_t n = flush_governed(s, s->local);
	log_info("reload: local zones made again; %zu cache entries they answer for flushed", n);
	return old;
}

void server_local_free(struct server *s)
{
	if (s->local_lines_owned)
		free_lines(s->local_lines, s->n_local_lines);
	s->local_lines = NULL;
	s->n_local_lines = 0;
	s->local_lines_owned = false;
}
