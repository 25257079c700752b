/* ctl_cache: the control verbs dump_cache and load_cache (cache/dump.h
 * has the format). Both stream: the dump goes out in parts of a few
 * entries, one part per write, so a large cache never sits in memory as
 * text; a load is parsed line by line as it arrives. */
#include <stdio.h>
#include <stdlib.h>

#include "cache/dump.h"
#include "core/core.h"
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
	control_in_lines(o, load_line, load_end, load_free, j);
}
