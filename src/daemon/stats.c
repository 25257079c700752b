/* stats: every counter and gauge in one list, shown as text, JSON or
 * Prometheus text (stats.h). */
#include "daemon/stats.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "daemon/dnstap.h"
#include "daemon/lathist.h"
#include "daemon/server_int.h"
#include "daemon/worker.h"
#include "net/pool.h"
#include "net/upstream.h"
#include "util/clock.h"

struct row {
	const char *key;    /* the control channel's name */
	char keybuf[48];    /* ... when it is made up (worker.N.*) */
	char family[48];    /* Prometheus, without the prefix and the _total */
	const char *label;  /* the family's label, or NULL */
	char lvalue[24];
	bool gauge;
	bool no_prom;       /* a sum of a labelled family: text and JSON only */
	const char *help;
	uint64_t value;
};

typedef void (*row_fn)(void *ud, struct row *r);

/* Help lines and kinds of the upstream layer's rows (up_stats_each). */
static const struct {
	const char *key;
	bool gauge;
	const char *help;
} up_rows[] = {
	{ "queries.upstream.total", false, "Queries sent to authoritative servers" },
	{ "queries.upstream.udp", false, "Queries sent upstream over UDP" },
	{ "queries.upstream.tcp", false, "Queries sent upstream over TCP" },
	{ "queries.upstream.timeouts", false, "Upstream queries that timed out" },
	{ "queries.upstream.tcp_errors", false, "Upstream TCP connections that failed" },
	{ "queries.upstream.tcp_after_mismatch", false,
	  "Queries asked again over TCP after a reply that could be forged" },
	{ "queries.upstream.defensive_tcp", false, "Queries sent over TCP in defensive mode" },
	{ "queries.upstream.merged", false, "Questions that joined an identical query in flight" },
	{ "replies.accepted", false, "Upstream replies that passed every check" },
	{ "replies.unwanted_last_minute", true,
	  "Dropped replies that could be forgeries, over the last minute" },
	{ "upstream.defensive_mode", true, "1 while defensive mode is on" },
	{ "upstream.defensive_servers", true, "Servers asked over TCP in defensive mode" },
	{ "upstream.defensive_entries", false, "Times defensive mode was entered" },
	{ "upstream.caps_misses", false, "Replies whose letter case differed from the query's" },
	{ "upstream.caps_fallback_servers", true, "Servers sent lowercase names (no 0x20)" },
	{ "cookies.sent", false, "Upstream queries that carried a DNS cookie" },
	{ "cookies.echoed", false, "Replies that echoed our client cookie" },
	{ "cookies.learned", false, "Server cookies learned" },
	{ "cookies.badcookie_resends", false, "Queries sent again after BADCOOKIE" },
	{ "cookies.forgotten", false, "Server cookies forgotten" },
	{ "pool.rotations", false, "Pool sockets replaced by one on a fresh random port" },
	{ "pool.rotate_failed", false, "Pool rotations that could not open a new socket" },
	{ "pool.retired_open", true, "Retired pool sockets still open for their queries" },
};

static void dots_to_underscores(char *dst, size_t cap, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < cap; i++)
		dst[i] = src[i] == '.' ? '_' : src[i];
	dst[i] = '\0';
}

/* A row whose family is its key with '_' for '.' (and without a trailing
 * ".total", which the counter's suffix puts back). */
static void plain(row_fn fn, void *ud, const char *key, bool gauge, const char *help,
		  uint64_t v)
{
	struct row r = { .key = key, .gauge = gauge, .help = help, .value = v };
	dots_to_underscores(r.family, sizeof(r.family), key);
	size_t n = strlen(r.family);
	if (!gauge && n > 6 && strcmp(r.family + n - 6, "_total") == 0)
		r.family[n - 6] = '\0';
	fn(ud, &r);
}

struct up_ctx {
	row_fn fn;
	void *ud;
};

static void up_row(void *ud, const char *key, uint64_t v)
{
	struct up_ctx *c = ud;
	static const char dropped[] = "replies.dropped.";
	if (strncmp(key, dropped, sizeof(dropped) - 1) == 0) {
		const char *reason = key + sizeof(dropped) - 1;
		struct row r = { .key = key, .help = "Upstream replies dropped, by reason",
				 .label = "reason", .value = v };
		strcpy(r.family, "replies_dropped");
		snprintf(r.lvalue, sizeof(r.lvalue), "%s", reason);
		r.no_prom = strcmp(reason, "total") == 0;
		c->fn(c->ud, &r);
		return;
	}
	for (size_t i = 0; i < sizeof(up_rows) / sizeof(up_rows[0]); i++)
		if (strcmp(up_rows[i].key, key) == 0) {
			plain(c->fn, c->ud, key, up_rows[i].gauge, up_rows[i].help, v);
			return;
		}
	plain(c->fn, c->ud, key, false, "See portcullis-ctl stats", v);
}

static uint64_t sum_at(const struct server *s, size_t off)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < s->n_workers; i++)
		sum += worker_stat(s->workers[i], off);
	return sum;
}

#define SUM(field) sum_at(s, offsetof(struct worker_stats, field))

/* Every row, in the order `stats` has always printed them (new rows
 * after the old ones of their group). */
static void each_row(struct server *s, row_fn fn, void *ud)
{
	struct pool *p = up_pool(s->up);
	struct cache_stats cs;
	cache_get_stats(s->cache, &cs);
	uint64_t udp = SUM(client_udp), tcp = SUM(client_tcp);
	plain(fn, ud, "queries.client.total", false, "Queries from clients", udp + tcp);
	plain(fn, ud, "queries.client.udp", false, "Queries from clients over UDP", udp);
	plain(fn, ud, "queries.client.tcp", false, "Queries from clients over TCP", tcp);
	plain(fn, ud, "queries.client.refused", false, "Queries refused by access-control",
	      SUM(refused));
	plain(fn, ud, "queries.client.formerr", false, "Queries that did not parse (FORMERR)",
	      SUM(formerr));
	plain(fn, ud, "cache.hits", false, "Queries answered from the cache", SUM(cache_hits));
	plain(fn, ud, "cache.misses", false, "Queries that needed resolution", SUM(cache_misses));
	plain(fn, ud, "cache.packet.hits", false, "Cache hits answered from the packet cache",
	      SUM(packet_hits));
	plain(fn, ud, "requests.current", true, "Requests being resolved", s->rq.n);
	plain(fn, ud, "requests.max", true, "Most requests resolved at once", s->rq.max);
	plain(fn, ud, "requests.jostled", false,
	      "Old requests ended to make room for new ones (jostle)", s->rq.jostled);
	plain(fn, ud, "requests.overload_servfail", false,
	      "Queries answered SERVFAIL because the request list was full",
	      s->rq.overload_servfail);
	struct up_ctx uc = { fn, ud };
	up_stats_each(s->up, up_row, &uc);
	static const char *const rc[6] = { "noerror", "formerr", "servfail", "nxdomain",
					   "notimp", "refused" };
	for (int i = 0; i < 6; i++) {
		char key[32];
		snprintf(key, sizeof(key), "answers.%s", rc[i]);
		struct row r = { .key = NULL, .label = "rcode", .help = "Answers sent, by rcode",
				 .value = sum_at(s, offsetof(struct worker_stats, rcode) +
						      (size_t)i * sizeof(_Atomic uint64_t)) };
		snprintf(r.keybuf, sizeof(r.keybuf), "%s", key);
		r.key = r.keybuf;
		strcpy(r.family, "answers");
		snprintf(r.lvalue, sizeof(r.lvalue), "%s", rc[i]);
		fn(ud, &r);
	}
	plain(fn, ud, "pool.size.ip4", true, "IPv4 sockets in the upstream pool", p->n4);
	plain(fn, ud, "pool.size.ip6", true, "IPv6 sockets in the upstream pool", p->n6);
	plain(fn, ud, "pool.size.total", true, "Sockets in the upstream pool", p->n);
	uint64_t waiting = 0, busy = 0;
	for (size_t i = 0; i < p->n; i++) {
		waiting += p->slots[i]->outstanding;
		busy += p->slots[i]->outstanding != 0;
	}
	for (const struct pool_sock *k = p->retired; k != NULL; k = k->next_retired)
		waiting += k->outstanding;
	plain(fn, ud, "pool.ports.available", true,
	      "Ports the pool draws from (socket-pool-range minus exclusions)", p->n_ports);
	plain(fn, ud, "pool.sockets.busy", true, "Pool sockets with a query waiting", busy);
	plain(fn, ud, "pool.queries.waiting", true,
	      "Upstream queries waiting on pool sockets (retired ones too)", waiting);
	plain(fn, ud, "cache.bytes", true, "Bytes the cache holds", cs.bytes);
	plain(fn, ud, "cache.entries", true, "Entries in the cache", cs.entries);
	plain(fn, ud, "cache.budget", true, "The cache's byte budget (cache-size)", cs.budget);
	plain(fn, ud, "cache.evictions", false, "Cache entries evicted for space", cs.evictions);
	plain(fn, ud, "cache.expired", false, "Cache entries removed at expiry", cs.expired);
	plain(fn, ud, "threads", true, "Worker threads (num-threads)", s->n_workers);
	static const struct {
		const char *suffix, *help;
		size_t off;
	} per_worker[] = {
		{ "queries", "Queries from clients, by worker", (size_t)-1 },
		{ "queries.udp", "Queries over UDP, by worker", offsetof(struct worker_stats, client_udp) },
		{ "queries.tcp", "Queries over TCP, by worker", offsetof(struct worker_stats, client_tcp) },
		{ "cache.hits", "Cache hits, by worker", offsetof(struct worker_stats, cache_hits) },
		{ "cache.misses", "Cache misses, by worker", offsetof(struct worker_stats, cache_misses) },
	};
	for (unsigned w = 0; w < s->n_workers; w++) {
		const struct worker *wk = s->workers[w];
		for (size_t j = 0; j < sizeof(per_worker) / sizeof(per_worker[0]); j++) {
			struct row r = { .label = "worker", .help = per_worker[j].help };
			snprintf(r.keybuf, sizeof(r.keybuf), "worker.%u.%s", w, per_worker[j].suffix);
			r.key = r.keybuf;
			char fam[40];
			snprintf(fam, sizeof(fam), "worker.%s", per_worker[j].suffix);
			dots_to_underscores(r.family, sizeof(r.family), fam);
			snprintf(r.lvalue, sizeof(r.lvalue), "%u", w);
			size_t off = per_worker[j].off;
			r.value = off != (size_t)-1
					  ? worker_stat(wk, off)
					  : worker_stat(wk, offsetof(struct worker_stats, client_udp)) +
						    worker_stat(wk, offsetof(struct worker_stats, client_tcp));
			fn(ud, &r);
		}
	}
	plain(fn, ud, "dnstap.dropped", false,
	      "dnstap messages dropped (the writer's queue was full)", dnstap_dropped(s->dnstap));
	plain(fn, ud, "uptime.seconds", true, "Seconds since the daemon started",
	      (clock_now_ms() - s->started_ms) / 1000);
}

/* ---- control channel: text and JSON --------------------------------------- */

struct print_ctx {
	struct server *s;
	struct control_out *o;
	enum stats_format fmt;
	bool reset;
	size_t i;     /* the row's ordinal: its place in the baseline */
	bool first;
};

/* The baseline grows to the number of rows on first use; rows keep their
 * order for the life of the daemon (the worker count is fixed). */
static uint64_t *base_slot(struct server *s, size_t i)
{
	if (i >= s->n_stats_base) {
		size_t n = i + 64;
		uint64_t *b = realloc(s->stats_base, n * sizeof(*b));
		if (b == NULL)
			return NULL;
		memset(b + s->n_stats_base, 0, (n - s->n_stats_base) * sizeof(*b));
		s->stats_base = b;
		s->n_stats_base = n;
	}
	return &s->stats_base[i];
}

static void print_row(void *ud, struct row *r)
{
	struct print_ctx *c = ud;
	uint64_t v = r->value;
	if (!r->gauge) {
		uint64_t *base = base_slot(c->s, c->i);
		if (base != NULL) {
			v = v >= *base ? v - *base : v;
			if (c->reset)
				*base = r->value;
		}
	}
	c->i++;
	if (c->fmt == STATS_JSON) {
		control_out_printf(c->o, "%s\n  \"%s\": %llu", c->first ? "" : ",", r->key,
				   (unsigned long long)v);
		c->first = false;
	} else {
		control_out_printf(c->o, "%s=%llu\n", r->key, (unsigned long long)v);
	}
}

void stats_print(struct server *s, struct control_out *o, enum stats_format fmt, bool reset)
{
	struct print_ctx c = { .s = s, .o = o, .fmt = fmt, .reset = reset, .first = true };
	if (fmt == STATS_JSON)
		control_out_printf(o, "{");
	each_row(s, print_row, &c);
	if (fmt == STATS_JSON)
		control_out_printf(o, "\n}\n");
}

void stats_free(struct server *s)
{
	free(s->stats_base);
	s->stats_base = NULL;
	s->n_stats_base = 0;
}

/* ---- Prometheus text ------------------------------------------------------ */

#define ROWS_MAX 512

struct prom_ctx {
	struct row *rows;
	size_t n;
};

static void keep_row(void *ud, struct row *r)
{
	struct prom_ctx *c = ud;
	if (c->n < ROWS_MAX && !r->no_prom) {
		c->rows[c->n] = *r;
		if (r->key == r->keybuf)
			c->rows[c->n].key = c->rows[c->n].keybuf;
		c->n++;
	}
}

struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap * 2 + (size_t)n;
		char *q = realloc(b->p, cap);
		if (q == NULL) {
			b->failed = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
}

static void prom_family(struct sbuf *b, const struct row *rows, size_t n, size_t first)
{
	const struct row *r = &rows[first];
	const char *suffix = r->gauge ? "" : "_total";
	sb_printf(b, "# HELP portcullis_%s%s %s\n", r->family, suffix, r->help);
	sb_printf(b, "# TYPE portcullis_%s%s %s\n", r->family, suffix,
		  r->gauge ? "gauge" : "counter");
	for (size_t i = first; i < n; i++) {
		const struct row *q = &rows[i];
		if (strcmp(q->family, r->family) != 0)
			continue;
		if (q->label != NULL)
			sb_printf(b, "portcullis_%s%s{%s=\"%s\"} %llu\n", q->family, suffix, q->label,
				  q->lvalue, (unsigned long long)q->value);
		else
			sb_printf(b, "portcullis_%s%s %llu\n", q->family, suffix,
				  (unsigned long long)q->value);
	}
}

static void prom_histogram(struct sbuf *b, struct server *s, const char *which, size_t off)
{
	uint64_t cum = 0;
	for (size_t i = 0; i < LAT_BUCKETS; i++) {
		cum += sum_at(s, off + offsetof(struct lat_hist, count) +
					 i * sizeof(_Atomic uint64_t));
		if (i + 1 < LAT_BUCKETS)
			sb_printf(b, "portcullis_answer_latency_seconds_bucket{cache=\"%s\",le=\"%g\"} %llu\n",
				  which, (double)lat_bounds_us[i] / 1e6, (unsigned long long)cum);
		else
			sb_printf(b, "portcullis_answer_latency_seconds_bucket{cache=\"%s\",le=\"+Inf\"} %llu\n",
				  which, (unsigned long long)cum);
	}
	uint64_t sum_us = sum_at(s, off + offsetof(struct lat_hist, sum_us));
	sb_printf(b, "portcullis_answer_latency_seconds_sum{cache=\"%s\"} %.6f\n", which,
		  (double)sum_us / 1e6);
	sb_printf(b, "portcullis_answer_latency_seconds_count{cache=\"%s\"} %llu\n", which,
		  (unsigned long long)cum);
}

int stats_prometheus(struct server *s, char **out, size_t *outlen)
{
	struct prom_ctx c = { .rows = malloc(ROWS_MAX * sizeof(struct row)) };
	struct sbuf b = { .p = malloc(16384), .cap = 16384 };
	if (c.rows == NULL || b.p == NULL) {
		free(c.rows);
		free(b.p);
		*out = NULL;
		return -1;
	}
	each_row(s, keep_row, &c);
	/* Each family once, where its first row came, with all its rows. */
	for (size_t i = 0; i < c.n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(c.rows[j].family, c.rows[i].family) == 0;
		if (!seen)
			prom_family(&b, c.rows, c.n, i);
	}
	sb_printf(&b, "# HELP portcullis_answer_latency_seconds Time from reading a query to "
		      "sending its answer, answers from the cache (hit) and resolved ones (miss) "
		      "apart\n");
	sb_printf(&b, "# TYPE portcullis_answer_latency_seconds histogram\n");
	prom_histogram(&b, s, "hit", offsetof(struct worker_stats, lat_hit));
	prom_histogram(&b, s, "miss", offsetof(struct worker_stats, lat_miss));
	free(c.rows);
	if (b.failed) {
		free(b.p);
		*out = NULL;
		return -1;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}
