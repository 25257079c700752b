/* server_anchor: the daemon's side of trust anchors. The set is loaded
 * from the configuration at start (before chroot and the privilege drop,
 * like the root hints) and at each reload (inside the chroot, as the
 * daemon's user: the files must be readable by it, as for Unbound); a
 * control verb that publishes a configuration without re-reading the file
 * (forward_add, ...) carries the set in force over. RFC 5011 changes are
 * made by the validator in the core; a one-second timer here writes the
 * autotrust files whose content changed (daemon/anchorfile.c, atomically),
 * off the packet path. */
#include <stdio.h>

#include "core/anchor.h"
#include "daemon/anchorfile.h"
#include "daemon/options.h"
#include "daemon/server_int.h"
#include "util/err.h"
#include "util/log.h"

#define ANCHOR_SYNC_MS 1000

static void log_source(const char *source)
{
	if (source != NULL)
		log_info("trust anchor: the root's from %s (no trust anchor configured)", source);
}

int server_anchors_start(struct server *s, char *err, size_t errlen)
{
	struct anchor_set *set;
	const char *source;
	int rc = options_load_anchors(&set, s->start_cfg, NULL, &source, err, errlen);
	if (rc != 0)
		return rc;
	log_source(source);
	options_own_anchors(&s->opts, set);
	uv_timer_init(s->loop, &s->anchor_timer);
	s->anchor_timer.data = s;
	s->anchor_timer_on = true;
	server_anchors_follow(s);
	return 0;
}

int server_anchors_reload(struct server *s, const struct config *next, char *err, size_t errlen)
{
	/* The new set reads the files: they must hold the latest state. */
	server_anchors_sync(s);
	struct anchor_set *set;
	const char *source;
	int rc = options_load_anchors(&set, next, s->start_cfg->chroot_dir, &source, err, errlen);
	if (rc != 0)
		return rc;
	log_source(source);
	anchor_set_free(s->next_anchors);
	s->next_anchors = set;
	return 0;
}

static void on_timer(uv_timer_t *t)
{
	server_anchors_sync(t->data);
}

void server_anchors_follow(struct server *s)
{
	struct anchor_set *set = s->env.opts ? s->env.opts->anchors : s->opts.core.anchors;
	if (set == NULL || !s->anchor_timer_on)
		return;
	if (set != s->anchor_followed) {
		/* a set just read from its files: nothing to write yet */
		s->anchor_followed = set;
		s->anchor_written = anchor_set_generation(set);
		s->anchor_failed = UINT64_MAX;
	}
	if (anchor_autotrust_files(set) > 0) {
		if (!uv_is_active((uv_handle_t *)&s->anchor_timer))
			uv_timer_start(&s->anchor_timer, on_timer, ANCHOR_SYNC_MS, ANCHOR_SYNC_MS);
	} else {
		uv_timer_stop(&s->anchor_timer);
	}
}

void server_anchors_sync(struct server *s)
{
	struct anchor_set *set = s->env.opts ? s->env.opts->anchors : NULL;
	if (set == NULL)
		return;
	uint64_t gen = anchor_set_generation(set);
	if (gen == s->anchor_written)
		return;
	char err[512];
	if (anchorfile_sync(set, &s->anchor_written, s->start_cfg->chroot_dir, err, sizeof(err)) != 0) {
		if (s->anchor_failed != gen)
			log_err("auto-trust-anchor-file: %s (the state is kept in memory; "
				"the write is tried again)", err);
		s->anchor_failed = gen;
	}
}

void server_anchors_stop(struct server *s)
{
	if (!s->anchor_timer_on)
		return;
	server_anchors_sync(s);
	uv_close((uv_handle_t *)&s->anchor_timer, NULL);
	s->anchor_timer_on = false;
}
