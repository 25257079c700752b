/* libFuzzer target: load_cache's parser (cache/dump.c). The input is split
 * into lines and loaded into a small cache (64 KiB: evictions happen); the
 * load ends with 0 or an error naming a line, one line of text. Whatever
 * was loaded is then dumped, and a dump must load back complete, with the
 * same number of entries, and dump again to the same entries - records,
 * the records kept beside them (RRSIGs, proofs), ranks, statuses and TTLs
 * (the round trip of dump_cache / load_cache; the order of the entries
 * follows each cache's hash key, so they are compared sorted). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/dump.h"

#define T0 1000000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const char *err)
{
	if (strncmp(err, "line ", 5) != 0 || strchr(err, '\n'))
		abort();
}

/* Load text (len bytes) line by line into c; the loader's count, or -1. */
static long load(struct cache *c, const char *text, size_t len)
{
	struct dump_loader *l = dump_loader_new(c, T0, 60);
	if (l == NULL)
		abort();
	char err[256];
	int rc = 0;
	for (size_t off = 0; off < len && rc == 0;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		rc = dump_load_line(l, text + off, n, err, sizeof(err));
		off += n + 1;
	}
	if (rc == 0)
		rc = dump_load_end(l, err, sizeof(err));
	if (rc != 0 && getenv("FUZZ_LOAD_CACHE_DEBUG"))
		fprintf(stderr, "%s\n", err);
	if (rc != 0)
		check_err(err);
	long n = rc == 0 ? (long)dump_loaded(l) : -1;
	dump_loader_free(l);
	return n;
}

/* The dump's entries (a header line and its records), sorted, as one text. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *entries_sorted(const char *dump)
{
	size_t len = strlen(dump), n = 0, cap = 64;
	char *copy = malloc(len + 1), **v = malloc(cap * sizeof(*v));
	if (copy == NULL || v == NULL)
		abort();
	memcpy(copy, dump, len + 1);
	/* an entry starts at a line beginning ';' and ends before the next
	 * line that does not continue it (a header or a section line) */
	for (char *p = copy; *p;) {
		char *nl = strchr(p, '\n');
		char *next = nl ? nl + 1 : p + strlen(p);
		if (*p == ';') {
			while (*next && *next != ';' && strncmp(next, "END_", 4) != 0) {
				char *n2 = strchr(next, '\n');
				next = n2 ? n2 + 1 : next + strlen(next);
			}
			if (n == cap && (v = realloc(v, (cap *= 2) * sizeof(*v))) == NULL)
				abort();
			v[n++] = p;
		}
		if (*next)
			next[-1] = '\0';
		p = next;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	char *out = malloc(len + 2);
	if (out == NULL)
		abort();
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		memcpy(out + o, v[i], l);
		o += l;
		out[o++] = '\n';
	}
	out[o] = '\0';
	free(v);
	free(copy);
	return out;
}

static void dump_all(struct cache *c, struct dump_text *t)
{
	struct dump_state st = { 0 };
	for (int i = 0; i < 100000; i++)
		if (dump_part(c, T0, &st, 7, dump_text_sink, t))
			return;
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = 64 * 1024, .cache_max_ttl = 86400,
						    .cache_max_negative_ttl = 3600 });
	if (c == NULL)
		return 0;
	load(c, (const char *)data, size);
	struct dump_text t = { 0 };
	dump_all(c, &t);
	struct cache_stats st;
	cache_get_stats(c, &st);
	/* The dump loads back whole into a cache with room for it. */
	struct cache *c2 = cache_new(&(struct cache_opts){ .cache_size = 64 * 1024 * 4, .cache_max_ttl = 86400,
						     .cache_max_negative_ttl = 3600 });
	if (c2 != NULL) {
		long n = load(c2, t.buf, t.len);
		if (n != (long)st.entries) {
			fprintf(stderr, "dump of %llu entries loaded back as %ld:\n%s",
				(unsigned long long)st.entries, n, t.buf);
			abort();
		}
		struct dump_text t2 = { 0 };
		dump_all(c2, &t2);
		char *a = entries_sorted(t.buf), *b = entries_sorted(t2.buf);
		if (strcmp(a, b) != 0) {
			fprintf(stderr, "a dump loaded back dumps otherwise:\n%s---\n%s", a, b);
			abort();
		}
		free(a);
		free(b);
		free(t2.buf);
		cache_free(c2);
	}
	free(t.buf);
	cache_free(c);
	return 0;
}
