/* ctlcmd: the control verbs (portcullis-ctl's commands), run on worker 0.
 * Each verb is one row of the table at the end: its name, how many
 * arguments it takes, and the function that answers it. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "daemon/ctl_verbs.h"
#include "daemon/ctlcmd.h"
#include "daemon/server_int.h"
#include "daemon/worker.h"
#include "net/upstream.h"
#include "util/clock.h"

static void print_stat(void *ud, const char *key, uint64_t value)
{
	control_out_printf(ud, "%s=%llu\n", key, (unsigned long long)value);
}

/* Sum of one counter (its offset in struct worker_stats) over the workers;
 * each is read with a relaxed load while its worker may be counting (a
 * stats line is a snapshot, not an instant). */
static uint64_t sum_at(const struct server *s, size_t off)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < s->n_workers; i++)
		sum += worker_stat(s->workers[i], off);
	return sum;
}

#define SUM(field) sum_at(s, offsetof(struct worker_stats, field))

static void print_stats(struct server *s, struct control_out *o)
{
	const struct pool *p = up_pool(s->up);
	struct cache_stats cs;
	cache_get_stats(s->cache, &cs);
	uint64_t udp = SUM(client_udp), tcp = SUM(client_tcp);
	control_out_printf(o, "queries.client.total=%llu\n", (unsigned long long)(udp + tcp));
	control_out_printf(o, "queries.client.udp=%llu\n", (unsigned long long)udp);
	control_out_printf(o, "queries.client.tcp=%llu\n", (unsigned long long)tcp);
	control_out_printf(o, "queries.client.refused=%llu\n", (unsigned long long)SUM(refused));
	control_out_printf(o, "queries.client.formerr=%llu\n", (unsigned long long)SUM(formerr));
	control_out_printf(o, "cache.hits=%llu\n", (unsigned long long)SUM(cache_hits));
	control_out_printf(o, "cache.misses=%llu\n", (unsigned long long)SUM(cache_misses));
	control_out_printf(o, "cache.packet.hits=%llu\n", (unsigned long long)SUM(packet_hits));
	control_out_printf(o, "requests.current=%zu\nrequests.max=%zu\n", s->rq.n, s->rq.max);
	control_out_printf(o, "requests.jostled=%llu\nrequests.overload_servfail=%llu\n",
			   (unsigned long long)s->rq.jostled, (unsigned long long)s->rq.overload_servfail);
	control_out_printf(o, "answers.expired=%llu\ncache.prefetch=%llu\n",
			   (unsigned long long)s->stale.answers, (unsigned long long)s->rq.refreshes);
	up_stats_each(s->up, print_stat, o);
	static const char *const rc[6] = { "noerror", "formerr", "servfail", "nxdomain",
					   "notimp", "refused" };
	for (int i = 0; i < 6; i++)
		control_out_printf(o, "answers.%s=%llu\n", rc[i], (unsigned long long)sum_at(s, offsetof(struct worker_stats, rcode) +
							     (size_t)i * sizeof(_Atomic uint64_t)));
	control_out_printf(o, "pool.size.ip4=%zu\npool.size.ip6=%zu\npool.size.total=%zu\n", p->n4,
			   p->n6, p->n);
	control_out_printf(o, "cache.bytes=%llu\ncache.entries=%llu\ncache.budget=%llu\n",
			   (unsigned long long)cs.bytes, (unsigned long long)cs.entries,
			   (unsigned long long)cs.budget);
	control_out_printf(o, "threads=%u\n", s->n_workers);
	for (unsigned i = 0; i < s->n_workers; i++) {
		const struct worker *w = s->workers[i];
#define WSUM(field) worker_stat(w, offsetof(struct worker_stats, field))
		uint64_t wu = WSUM(client_udp), wt = WSUM(client_tcp);
		control_out_printf(o, "worker.%u.queries=%llu\n", i, (unsigned long long)(wu + wt));
		control_out_printf(o, "worker.%u.queries.udp=%llu\n", i, (unsigned long long)wu);
		control_out_printf(o, "worker.%u.queries.tcp=%llu\n", i, (unsigned long long)wt);
		control_out_printf(o, "worker.%u.cache.hits=%llu\n", i,
				   (unsigned long long)WSUM(cache_hits));
		control_out_printf(o, "worker.%u.cache.misses=%llu\n", i,
				   (unsigned long long)WSUM(cache_misses));
#undef WSUM
	}
	control_out_printf(o, "uptime.seconds=%llu\n",
			   (unsigned long long)((clock_now_ms() - s->started_ms) / 1000));
}

static void print_pool(struct server *s, struct control_out *o, bool json)
{
	const struct pool *p = up_pool(s->up);
	char act[POOL_DESCRIBE_MAX];
	if (json)
		control_out_printf(o, "{\"pid\": %ld, \"size\": %zu, \"sockets\": [", (long)getpid(), p->n);
	for (size_t i = 0; i < p->n; i++) {
		const struct pool_sock *k = p->slots[i];
		const char *fam = k->family == AF_INET ? "ip4" : "ip6";
		pool_sock_describe(k, uv_now(p->loop), json, act, sizeof(act));
		if (json)
			control_out_printf(o, "%s\n  {\"family\": \"%s\", \"port\": %u, \"sent\": %llu, "
					      "\"accepted\": %llu, \"dropped\": %llu%s}",
					   i ? "," : "", fam, k->port, (unsigned long long)k->sent,
					   (unsigned long long)k->accepted, (unsigned long long)k->dropped,
					   act);
		else
			control_out_printf(o, "%s %u sent=%llu accepted=%llu dropped=%llu%s\n", fam,
					   k->port, (unsigned long long)k->sent,
					   (unsigned long long)k->accepted, (unsigned long long)k->dropped,
					   act);
	}
	if (json)
		control_out_printf(o, "\n]}\n");
}

/* flush NAME | flush all | flush_zone NAME: NAME and everything below it
 * (the packet caches end their answers through the flush generation);
 * flush_type NAME TYPE: one type at NAME (portcullis-ctl sends TYPE as
 * its number). */
static void do_flush(struct server *s, int argc, char **argv, struct control_out *o)
{
	bool by_type = strcmp(argv[0], "flush_type") == 0;
	if (!(by_type ? argc == 3
		      : argc == 2 && (strcmp(argv[0], "flush") == 0 ||
				      strcmp(argv[0], "flush_zone") == 0))) {
		control_out_error(o, "unknown command '%s' (or wrong arguments)", argv[0]);
		return;
	}
	if (argc == 2 && strcmp(argv[0], "flush") == 0 && strcmp(argv[1], "all") == 0) {
		cache_flush_all(s->cache);
		control_out_printf(o, "flushed all\n");
		return;
	}
	uint8_t name[WIRE_NAME_MAX];
	if (wire_name_from_text(argv[1], name) < 0) {
		control_out_error(o, "%s: '%s' is not a domain name", argv[0], argv[1]);
		return;
	}
	wire_name_lower(name);
	if (!by_type) {
		control_out_printf(o, "flushed %zu entries\n", cache_flush_zone(s->cache, name));
		return;
	}
	char *end;
	unsigned long type = strtoul(argv[2], &end, 10);
	if (argv[2][0] < '0' || argv[2][0] > '9' || *end != '\0' || type == 0 || type > 65535) {
		control_out_error(o, "flush_type: '%s' is not a type number (1..65535)", argv[2]);
		return;
	}
	control_out_printf(o, "flushed %zu entries\n",
			   cache_flush_type(s->cache, name, (uint16_t)type));
}

static void verb_stats(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	(void)argv;
	print_stats(s, o);
}

static void verb_pool(struct server *s, int argc, char **argv, struct control_out *o)
{
	bool json = argc == 2 && strcmp(argv[1], "json") == 0;
	if (argc == 2 && strcmp(argv[1], "rotate") == 0) {
		size_t n = pool_rotate_all(up_pool(s->up));
		control_out_printf(o, "rotated %zu\n", n);
		return;
	}
	if (argc == 2 && !json) {
		control_out_error(o, "pool: unknown argument '%s'", argv[1]);
		return;
	}
	print_pool(s, o, json);
}

static void verb_stop(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	(void)argv;
	control_out_printf(o, "stopping\n");
	server_stop(s);
}

struct verb {
	const char *name;
	int min_args, max_args; /* not counting the verb itself */
	void (*run)(struct server *s, int argc, char **argv, struct control_out *o);
};

static const struct verb verbs[] = {
	{ "stats", 0, 0, verb_stats },
	{ "pool", 0, 1, verb_pool },
	{ "flush", 1, 1, do_flush },
	{ "flush_zone", 1, 1, do_flush },
	{ "flush_type", 2, 2, do_flush },
	{ "dump_cache", 0, 0, verb_dump_cache },
	{ "load_cache", 0, 0, verb_load_cache },
	{ "lookup", 1, 1, verb_lookup },
	{ "stop", 0, 0, verb_stop },
};

void server_on_control(void *ud, int argc, char **argv, struct control_out *o)
{
	struct server *s = ud;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		const struct verb *v = &verbs[i];
		if (strcmp(argv[0], v->name) != 0)
			continue;
		if (argc - 1 < v->min_args || argc - 1 > v->max_args)
			break;
		v->run(s, argc, argv, o);
		return;
	}
	control_out_error(o, "unknown command '%s' (or wrong arguments)", argv[0]);
}
