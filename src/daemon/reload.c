/* reload: the configuration at run time. SIGHUP and "portcullis-ctl
 * reload" re-read the file given with -c; forward_add and forward_remove
 * (daemon/ctl_conf.c) change the zones in force. Either way a complete new
 * configuration is built beside the one in force and replaces it at once.
 *
 * Validation first: the new file is read whole (every error listed) into
 * a fresh struct config; if anything is wrong it is dropped, the error is
 * logged and returned to portcullis-ctl, and nothing changes. Then the keys
 * a running daemon cannot change (listeners, the pool, threads, user,
 * chroot, logging targets: K_RESTART in config_keys.c) are copied back from
 * the configuration in force and named as "needing a restart"; everything
 * else (forward and stub zones, access control, TTL bounds, verbosity,
 * 0x20, cookies, identity...) applies at once. The cache, the pool, the
 * server state (RTTs, cookies) and the listeners are kept; only the cache
 * entries under forward or stub zones that changed are flushed (their
 * answers came from servers no longer meant to be asked), and the packet
 * caches start over (their answers were made under the old settings).
 *
 * What the layers read is not struct config but their own options
 * (daemon/options.c): each published configuration comes with the options
 * made from it, in one heap object beside it. The core's environment
 * points at the new core options (forward and stub zones, TTL clamps,
 * timeouts), the cache takes the new TTL bounds and the upstream layer the
 * new upstream options; the listeners and the pool keep the options they
 * were opened with (what they read needs a restart).
 *
 * How the swap stays safe with the reader threads: a configuration is
 * never changed once in force. Worker 0 (this loop, where reloads run)
 * switches its pointers directly (its own, the request table's, the
 * core's, the upstream layer's); the readers, which read it once per
 * query (access control, EDNS size, identity), load the server's atomic
 * slot (struct worker's cfg points at it) published with one release
 * store: on x86 that is a plain load, so a cached answer costs nothing
 * more, no lock and no counter. The replaced configuration and its options
 * are freed only when nobody can still hold them: a reader holds the
 * configuration for the few microseconds of one query, so after a grace
 * period of GRACE_MS (a thousandfold margin against a reader descheduled
 * in the middle of a query); and the requests worker 0 was resolving when
 * they were replaced keep pointers into the old core options' zone tables,
 * so also not before the last of them has ended. Reference counting would
 * have put an atomic increment and decrement on one shared cache line per
 * answer, from every reader thread; an epoch per reader would have needed
 * a store per batch in the listeners' loop. The memory held meanwhile is a
 * few hundred kilobytes per reload in flight.
 *
 * Privileges: a reload runs as the user the daemon became, like Unbound's;
 * the configuration file (and what it includes) must be readable by it.
 * Under chroot:, a path inside the chroot directory is read relative to it
 * (as Unbound does); anything else is unreachable and the reload is
 * refused with the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "daemon/config.h"
#include "daemon/notify.h"
#include "daemon/options.h"
#include "daemon/request.h"
#include "daemon/server_int.h"
#include "daemon/worker.h"
#include "net/upstream.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "wire/wire.h"

#define GRACE_MS 5000
#define RETIRE_CHECK_MS 1000

/* ---- zones ---------------------------------------------------------------- */

static bool zone_same(const struct config_zone *a, const struct config_zone *b)
{
	if (!wire_name_eq(a->name, b->name) || a->n_addrs != b->n_addrs)
		return false;
	for (size_t i = 0; i < a->n_addrs; i++)
		if (a->addrs[i].len != b->addrs[i].len ||
		    memcmp(&a->addrs[i].sa, &b->addrs[i].sa, a->addrs[i].len) != 0)
			return false;
	return true;
}

static bool has_same(const struct config_zone *z, size_t n, const struct config_zone *want)
{
	for (size_t i = 0; i < n; i++)
		if (zone_same(&z[i], want))
			return true;
	return false;
}

/* Flush what the cache holds under every zone that is in one configuration
 * and not (or not the same) in the other. Returns the zones flushed. */
static size_t flush_changed(struct server *s, const struct config *a, const struct config *b)
{
	size_t zones = 0, entries = 0;
	for (int list = 0; list < 2; list++) {
		const struct config *x = list ? b : a, *y = list ? a : b;
		for (int kind = 0; kind < 2; kind++) {
			const struct config_zone *zx = kind ? x->stub : x->forward;
			const struct config_zone *zy = kind ? y->stub : y->forward;
			size_t nx = kind ? x->n_stub : x->n_forward;
			size_t ny = kind ? y->n_stub : y->n_forward;
			for (size_t i = 0; i < nx; i++) {
				if (has_same(zy, ny, &zx[i]))
					continue;
				entries += cache_flush_zone(s->cache, zx[i].name);
				zones++;
				if (log_get_level() >= LOG_INFO) {
					char txt[WIRE_NAME_MAX * 4 + 1];
					wire_name_to_text(zx[i].name, txt, sizeof(txt));
					log_info("%s-zone %s changed: its cache flushed", kind ? "stub" : "forward",
						 txt);
				}
			}
		}
	}
	if (zones)
		log_info("flushed %zu entries under %zu changed zones", entries, zones);
	return zones;
}

/* ---- retiring ------------------------------------------------------------- */

static void retire_check(uv_timer_t *t)
{
	struct server *s = t->data;
	uint64_t now = uv_now(s->loop);
	struct retired_cfg **pp = &s->retired;
	while (*pp != NULL) {
		struct retired_cfg *r = *pp;
		/* The requests list is oldest first. */
		bool old_reqs = s->rq.head != NULL && s->rq.head->started_ms <= r->since_ms;
		if (now - r->since_ms < GRACE_MS || old_reqs) {
			pp = &r->next;
			continue;
		}
		/* A request that began under it may have cached an answer from
		 * a zone's old servers after the flush: flush those zones once
		 * more, now that none is left. */
		flush_changed(s, r->cfg, s->cfg);
		*pp = r->next;
		if (r->owned) {
			config_free(r->cfg);
			free(r->cfg);
		}
		free(r->opts);
		free(r);
	}
	if (s->retired == NULL)
		uv_timer_stop(&s->retire_timer);
}

static void retire(struct server *s, struct config *old, struct options *old_opts, bool owned)
{
	struct retired_cfg *r = malloc(sizeof(*r));
	if (r == NULL) {
		/* Cannot track it: keeping it for good is the safe choice. */
		if (owned)
			log_warn("reload: out of memory; the replaced configuration is kept");
		return;
	}
	r->cfg = old;
	r->opts = old_opts;
	r->owned = owned;
	r->since_ms = uv_now(s->loop);
	r->next = s->retired;
	s->retired = r;
	if (s->retire_on && !uv_is_active((uv_handle_t *)&s->retire_timer))
		uv_timer_start(&s->retire_timer, retire_check, RETIRE_CHECK_MS, RETIRE_CHECK_MS);
}

void server_config_free_all(struct server *s)
{
	while (s->retired != NULL) {
		struct retired_cfg *r = s->retired;
		s->retired = r->next;
		if (r->owned) {
			config_free(r->cfg);
			free(r->cfg);
		}
		free(r->opts);
		free(r);
	}
	if (s->own_cfg != NULL)
		config_free(s->own_cfg);
	free(s->own_cfg);
	s->own_cfg = NULL;
	free(s->own_opts);
	s->own_opts = NULL;
	s->cur_opts = &s->opts;
}

/* ---- publishing ----------------------------------------------------------- */

int server_config_publish(struct server *s, struct config *next)
{
	struct options *opts = malloc(sizeof(*opts));
	if (opts == NULL) {
		config_free(next);
		free(next);
		return PC_ENOMEM;
	}
	options_from_config(opts, next);
	opts->core.anchors = s->anchors; /* read at start: the keys need a restart */
	const struct config *old = s->cfg;
	s->cfg = next;
	s->cur_opts = opts;
	s->env.opts = &opts->core;
	s->rq.cfg = next;
	s->rq.max = (size_t)next->num_queries_per_thread * s->n_workers;
	up_set_opts(s->up, &opts->up);
	cache_set_ttl_bounds(s->cache, &opts->cache);
	atomic_store_explicit(&s->live, next, memory_order_release);
	flush_changed(s, old, next);
	/* Answers the readers keep were made under the old settings (EDNS
	 * size, zones): they are made again. */
	cache_bump_flush_gen(s->cache);
	/* The start configuration and its options are never freed (the
	 * listeners and the pool point at them), but its retirement still
	 * re-flushes changed zones. */
	if (s->own_cfg != NULL)
		retire(s, s->own_cfg, s->own_opts, true);
	else
		retire(s, (struct config *)s->start_cfg, NULL, false);
	s->own_cfg = next;
	s->own_opts = opts;
	return 0;
}

/* ---- reload --------------------------------------------------------------- */

/* Each line of text through fn. */
static void each_line(const char *text, void (*fn)(void *, const char *, int), void *ud)
{
	for (const char *l = text; l != NULL && *l;) {
		const char *e = strchr(l, '\n');
		int n = e ? (int)(e - l) : (int)strlen(l);
		fn(ud, l, n);
		l += n + (e != NULL);
	}
}

static void log_error_line(void *ud, const char *l, int n)
{
	(void)ud;
	log_err("reload: %.*s", n, l);
}

static void log_warn_line(void *ud, const char *l, int n)
{
	(void)ud;
	log_warn("reload: %.*s", n, l);
}

static void out_line(void *ud, const char *l, int n)
{
	control_out_printf(ud, "%.*s\n", n, l);
}

/* The path to read: under chroot the daemon sees the chroot's inside. */
static const char *reachable(const struct server *s, const char *path)
{
	const char *root = s->start_cfg->chroot_dir;
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n > 1 && strncmp(path, root, n) == 0 && path[n] == '/')
		return path + n;
	return path;
}

int server_reload(struct server *s, struct control_out *o)
{
	char err[512];
	if (s->conf_path == NULL) {
		log_notice("reload: no configuration file (built-in configuration): nothing to do");
		if (o != NULL)
			control_out_printf(o, "reloaded (built-in configuration: nothing changed)\n");
		return 0;
	}
	notify_reloading("reloading %s", s->conf_path);
	struct config *next = malloc(sizeof(*next));
	if (next == NULL) {
		log_err("reload: out of memory; running on with the configuration in force");
		if (o != NULL)
			control_out_error(o, "reload refused: out of memory");
		notify_ready("reload refused: out of memory");
		return PC_ENOMEM;
	}
	struct config_diag d = { 0 };
	config_defaults(next);
	int rc = config_load_diag(next, reachable(s, s->conf_path), &d, err, sizeof(err));
	if (rc != 0) {
		s->reload_failures++;
		if (d.text != NULL)
			each_line(d.text, log_error_line, NULL);
		else
			log_err("reload: %s", err);
		log_err("reload refused: running on with the configuration in force");
		if (o != NULL)
			control_out_error(o, "reload refused (the configuration in force is kept): %s%s",
					  err, d.errors > 1 ? " (and more: see the log)" : "");
		notify_ready("reload refused: %s", err);
		config_diag_free(&d);
		config_free(next);
		free(next);
		return rc;
	}
	char restart[512];
	size_t n_restart = config_restart_keys(s->cfg, next, restart, sizeof(restart));
	/* The local zone table is made from the start configuration's lines
	 * (local-zone, local-data, local-data-ptr need a restart): a change
	 * is reported, and the new configuration keeps no lines of its own. */
	if (!config_local_same(s->start_cfg, next)) {
		size_t used = strlen(restart);
		snprintf(restart + used, sizeof(restart) - used, "%slocal-zone/local-data",
			 used ? ", " : "");
		n_restart++;
	}
	config_free(next);
	config_keep_restart_keys(next, s->cfg);
	if (d.text != NULL)
		each_line(d.text, log_warn_line, NULL);
	unsigned level = next->verbosity + s->verbose;
	if (server_config_publish(s, next) != 0) {
		s->reload_failures++;
		log_err("reload: out of memory; running on with the configuration in force");
		if (o != NULL)
			control_out_error(o, "reload refused: out of memory");
		notify_ready("reload refused: out of memory");
		config_diag_free(&d);
		return PC_ENOMEM;
	}
	log_set_level(level > LOG_DEBUG ? LOG_DEBUG : (enum log_level)level);
	s->reloads++;
	if (n_restart)
		log_warn("reload: %s changed but need a restart; kept as they were", restart);
	log_notice("reloaded %s", s->conf_path);
	if (o != NULL) {
		control_out_printf(o, "reloaded %s\n", s->conf_path);
		if (n_restart)
			control_out_printf(o, "needs restart (kept as they were): %s\n", restart);
		if (d.text != NULL)
			each_line(d.text, out_line, o);
	}
	notify_ready("reloaded; socket pool of %u per address family",
		     s->cfg->socket_pool_size ? s->cfg->socket_pool_size : 1);
	config_diag_free(&d);
	return 0;
}
