/* ctlcmd: the control verbs (portcullis-ctl's commands), run on worker 0.
 * Each verb is one row of the table at the end: its name, how many
 * arguments it takes, and the function that answers it. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/aggr.h"
#include "cache/cache.h"
#include "daemon/ctl_local.h"
#include "daemon/ctl_conf.h"
#include "daemon/ctl_verbs.h"
#include "daemon/ctlcmd.h"
#include "daemon/server_int.h"
#include "daemon/stats.h"
#include "daemon/worker.h"
#include "net/upstream.h"

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
 * its number). The aggressive-NSEC index forgets the proofs that could
 * answer for what was flushed, or a flushed name would still be answered
 * NXDOMAIN/NODATA by synthesis. */
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
		if (s->aggr != NULL)
			aggr_flush(s->aggr);
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
		aggr_flush_name(s->aggr, name);
		control_out_printf(o, "flushed %zu entries\n", cache_flush_zone(s->cache, name));
		return;
	}
	char *end;
	unsigned long type = strtoul(argv[2], &end, 10);
	if (argv[2][0] < '0' || argv[2][0] > '9' || *end != '\0' || type == 0 || type > 65535) {
		control_out_error(o, "flush_type: '%s' is not a type number (1..65535)", argv[2]);
		return;
	}
	aggr_flush_at(s->aggr, name);
	control_out_printf(o, "flushed %zu entries\n",
			   cache_flush_type(s->cache, name, (uint16_t)type));
}

/* flush_bogus: every entry the validator judged bogus (Unbound's verb).
 * The aggressive-NSEC index holds only records found secure: nothing of it
 * is bogus. */
static void verb_flush_bogus(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	(void)argv;
	control_out_printf(o, "flushed %zu entries\n", cache_flush_bogus(s->cache));
}

/* stats [json] [reset]: every counter; with reset, the counters start
 * again from 0 for the next stats (stats_noreset is Unbound's name for the
 * plain form). */
static void verb_stats(struct server *s, int argc, char **argv, struct control_out *o)
{
	bool json = false, reset = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "json") == 0 && !json)
			json = true;
		else if (strcmp(argv[i], "reset") == 0 && !reset && strcmp(argv[0], "stats") == 0)
			reset = true;
		else {
			control_out_error(o, "%s: unknown argument '%s'", argv[0], argv[i]);
			return;
		}
	}
	stats_print(s, o, json ? STATS_JSON : STATS_TEXT, reset);
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
	{ "stats", 0, 2, verb_stats },
	{ "stats_noreset", 0, 1, verb_stats },
	{ "pool", 0, 1, verb_pool },
	{ "flush", 1, 1, do_flush },
	{ "flush_zone", 1, 1, do_flush },
	{ "flush_type", 2, 2, do_flush },
	{ "flush_bogus", 0, 0, verb_flush_bogus },
	{ "dump_cache", 0, 0, verb_dump_cache },
	{ "load_cache", 0, 0, verb_load_cache },
	{ "lookup", 1, 1, verb_lookup },
	{ "stop", 0, 0, verb_stop },
	{ "reload", 0, 0, verb_reload },
	{ "status", 0, 0, verb_status },
	{ "verbosity", 1, 1, verb_verbosity },
	{ "list_forwards", 0, 0, verb_list_forwards },
	{ "forward_add", 2, CONTROL_MAX_ARGS - 1, verb_forward_add },
	{ "forward_remove", 1, 2, verb_forward_remove },
	{ "local_zone", 2, 2, ctl_local_zone },
	{ "local_zone_remove", 1, 1, ctl_local_zone_remove },
	{ "local_data", 1, CONTROL_MAX_ARGS - 1, ctl_local_data },
	{ "local_data_remove", 1, 1, ctl_local_data_remove },
	{ "list_local_zones", 0, 0, ctl_list_local_zones },
	{ "list_local_data", 0, 0, ctl_list_local_data },
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
