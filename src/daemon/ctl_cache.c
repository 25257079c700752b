/* ctl_cache: the control verbs dump_cache and load_cache (cache/dump.h
 * has the format). Both stream: the dump goes out in parts of a few
 * entries, one part per write, so a large cache never sits in memory as
 * text; a load is parsed line by line as it arrives. */
#include <stdio.h>
#include <stdlib.h>

#include "cache/dump.h"
#include "core/core.h"
#include "core/synth.h"
#include "daemon/ctl_verbs.h"
#include "daemon/server.h"

/* An entry writes at most about 260 KB (65,535 bytes of rdata, escaped):
 * 16 of them stay within a reply part's CONTROL_REPLY_MAX. */
#define DUMP_PART_ENTRIES 16

struct dump_job {
	struct server *s;
	struct dump_state st;
};

static int to_out(void *ud, const char *text, size_t len)
{
	struct control_out *o = ud;
	control_out_write(o, text, len);
	return 0;
}

static bool dump_more(void *ud, struct control_out *o)
{
	struct dump_job *j = ud;
	return !dump_part(server_cache(j->s), server_now(j->s), &j->st, DUMP_PART_ENTRIES, to_out, o);
}

static void job_free(void *ud)
{
	free(ud);
}

void verb_dump_cache(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	(void)argv;
	struct dump_job *j = calloc(1, sizeof(*j));
	if (j == NULL) {
		control_out_error(o, "out of memory");
		return;
	}
	j->s = s;
	if (dump_more(j, o))
		control_out_stream(o, dump_more, job_free, j);
	else
		free(j);
}

struct load_job {
	struct server *s;
	struct dump_loader *l;
};

/* A negative entry loaded as secure carries the NSEC records that proved
 * it (validated when the dump's resolver judged it): they go to the
 * aggressive-NSEC index as the validator's own would (RFC 8198), so that a
 * loaded daemon synthesises what the dumped one did. */
static void learn_loaded(void *ud, const uint8_t *owner, uint16_t type, uint16_t rclass)
{
	struct load_job *j = ud;
	const struct core_env *env = server_env(j->s);
	struct cache_entry e;
	if (env->aggr == NULL || rclass != 1 /* IN */ ||
	    !cache_get(env->cache, owner, type, rclass, server_now(j->s), &e) ||
	    e.kind == CACHE_RRSET || e.sec != CACHE_SEC_SECURE || e.n_soa == 0 ||
	    e.soa_owner == NULL)
		return;
	static struct core_rr rr[1 + CACHE_EXTRA_MAX];
	size_t n = 0;
	struct cache_rdata soa = cache_entry_soa(&e, 0);
	rr[n++] = (struct core_rr){ e.soa_owner, WIRE_T_SOA, rclass, e.soa_ttl, soa.data, soa.len };
	for (size_t i = 0; i < e.n_extra && n < sizeof(rr) / sizeof(rr[0]); i++) {
		struct cache_rr x = cache_entry_extra(&e, i);
		rr[n++] = (struct core_rr){ x.owner, x.type, rclass, e.ttl, x.rdata, x.rdlen };
	}
	synth_learn(env->aggr, e.soa_owner, rr, n, server_now(j->s));
}

static bool load_line(void *ud, const char *line, size_t len, struct control_out *o)
{
	struct load_job *j = ud;
	char err[256];
	if (dump_load_line(j->l, line, len, err, sizeof(err)) == 0)
		return true;
	control_out_error(o, "load_cache: %s (%zu entries loaded before it)", err,
			  dump_loaded(j->l));
	return false;
}

static void load_end(void *ud, struct control_out *o)
{
	struct load_job *j = ud;
	char err[256];
	if (dump_load_end(j->l, err, sizeof(err)) != 0)
		control_out_error(o, "load_cache: %s (%zu entries loaded before it)", err,
				  dump_loaded(j->l));
	else
		control_out_printf(o, "loaded %zu entries\n", dump_loaded(j->l));
}

static void load_free(void *ud)
{
	struct load_job *j = ud;
	dump_loader_free(j->l);
	free(j);
}

void verb_load_cache(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	(void)argv;
	struct load_job *j = calloc(1, sizeof(*j));
	if (j == NULL || (j->l = dump_loader_new(server_cache(s), server_now(s),
					 server_env(s)->opts->val_bogus_ttl)) == NULL) {
		free(j);
		control_out_error(o, "out of memory");
		return;
	}
	j->s = s;
	dump_loader_on_store(j->l, learn_loaded, j);
	control_in_lines(o, load_line, load_end, load_free, j);
}
