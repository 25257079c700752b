/* portcullis: the resolver daemon's entry point. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/anchor.h"
#include "core/hints.h"
#include "daemon/config.h"
#include "daemon/ctlcmd.h"
#include "daemon/notify.h"
#include "daemon/options.h"
#include "daemon/privs.h"
#include "daemon/server.h"
#include "net/pool.h"
#include "util/log.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: portcullis [-c FILE] [--check] [-v] [-h] [--version]\n"
		   "  -c FILE   configuration file (default: built-in configuration)\n"
		   "  --check   validate the configuration and exit (0 ok, 2 error); lists every\n"
		   "            error and warning of the file and the files it includes\n"
		   "  -n        the same as --check\n"
		   "  -v        more logging (repeatable)\n");
}

/* Each pool socket is a file descriptor: make room for all of them. */
static int raise_fd_limit(const struct config *cfg, char *err, size_t errlen)
{
	size_t per = cfg->socket_pool_size ? cfg->socket_pool_size : 1;
	rlim_t need = (rlim_t)(per * ((cfg->do_ip4 ? 1 : 0) + (cfg->do_ip6 ? 1 : 0)) + 1024);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
	if (rl.rlim_cur < need) {
		rl.rlim_max = need;
		rl.rlim_cur = need;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(err, errlen, "need %llu file descriptors for the socket pool: %s",
			 (unsigned long long)need, strerror(errno));
		return -1;
	}
	return 0;
}

/* The messages of a configuration read, one "portcullis: ..." line each;
 * err when there are none (the file could not be read at all). */
static void print_diag(const struct config_diag *d, const char *err)
{
	if (d->text == NULL) {
		if (err != NULL)
			fprintf(stderr, "portcullis: %s\n", err);
		return;
	}
	for (const char *l = d->text; *l;) {
		const char *e = strchr(l, '\n');
		int n = e ? (int)(e - l) : (int)strlen(l);
		fprintf(stderr, "portcullis: %.*s\n", n, l);
		l += n + (e != NULL);
	}
}

/* The warnings of the configuration read, in the log once it is open. */
static void log_diag(const struct config_diag *d)
{
	for (const char *l = d->text; l != NULL && *l;) {
		const char *e = strchr(l, '\n');
		int n = e ? (int)(e - l) : (int)strlen(l);
		log_warn("%.*s", n, l);
		l += n + (e != NULL);
	}
}

/* A start that fails after the log is open: one line on stderr, as before
 * the log was open, and the same in the configured log. */
static void start_failed(const char *why)
{
	fprintf(stderr, "portcullis: %s\n", why);
	if (log_file_fd() >= 0 || log_to_syslog())
		log_err("cannot start: %s", why);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool check = false;
	int verbose = 0, c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:vhn", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'k':
		case 'n': check = true; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("portcullis %s\n", PC_VERSION); return 0;
		default:
			fprintf(stderr, "portcullis: unknown option '%s' (try -h)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "portcullis: unexpected argument '%s' (try -h)\n", argv[optind]);
		return 2;
	}

	static struct config cfg;
	char err[512];
	struct config_diag diag = { 0 };
	config_defaults(&cfg);
	/* Every error and warning at once, each on its line: an operator
	 * bringing an unbound.conf over sees the whole list in one run. */
	if (path != NULL && config_load_diag(&cfg, path, &diag, err, sizeof(err)) != 0) {
		print_diag(&diag, err);
		config_diag_free(&diag);
		return 2;
	}
	if (check) {
		print_diag(&diag, NULL);
	}
	unsigned n_warnings = diag.warnings;
	struct hints hints = { 0 };
	int rc = cfg.root_hints[0] ? hints_load_file(cfg.root_hints, &hints, err, sizeof(err))
				   : hints_load_builtin(&hints);
	if (rc != 0) {
		fprintf(stderr, "portcullis: root-hints: %s\n", cfg.root_hints[0] ? err : "cannot load built-in hints");
		config_diag_free(&diag);
		return 2;
	}
	if (check) {
		/* the trust anchors the start would load (the daemon loads them
		 * again in server_new) */
		struct anchor_set *anchors;
		if (options_load_anchors(&anchors, &cfg, NULL, NULL, err, sizeof(err)) != 0) {
			fprintf(stderr, "portcullis: %s\n", err);
			hints_free(&hints);
			config_diag_free(&diag);
			return 2;
		}
		if (anchor_set_warning(anchors) != NULL)
			fprintf(stderr, "portcullis: warning: trust anchor: %s\n",
				anchor_set_warning(anchors));
		anchor_set_free(anchors);
	}
	struct pool_opts pool_opts;
	options_pool(&pool_opts, &cfg);
	if (pool_check_range(&pool_opts, err, sizeof(err)) != 0) {
		fprintf(stderr, "portcullis: %s\n", err);
		hints_free(&hints);
		config_diag_free(&diag);
		return 2;
	}
	struct privs privs;
	if (privs_plan(&cfg, &privs, err, sizeof(err)) != 0) {
		fprintf(stderr, "portcullis: %s\n", err);
		hints_free(&hints);
		config_diag_free(&diag);
		return 2;
	}
	if (check) {
		printf("portcullis: configuration %s is valid%s\n", path ? path : "(built-in)",
		       n_warnings ? " (with the warnings above)" : "");
		hints_free(&hints);
		config_diag_free(&diag);
		return 0;
	}
	unsigned level = cfg.verbosity + (unsigned)verbose;
	log_set_level(level > LOG_DEBUG ? LOG_DEBUG : (enum log_level)level);
	/* Opened as the starting user (before any drop). A failed start is
	 * still told on stderr as well (start_failed). */
	if (log_open(cfg.logfile, cfg.use_syslog, err, sizeof(err)) != 0) {
		fprintf(stderr, "portcullis: %s\n", err);
		hints_free(&hints);
		config_diag_free(&diag);
		return 1;
	}
	log_diag(&diag);
	config_diag_free(&diag);
	if (raise_fd_limit(&cfg, err, sizeof(err)) != 0) {
		start_failed(err);
		hints_free(&hints);
		return 1;
	}

	/* A client that hangs up before its answer is written must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct server *srv = NULL;
	rc = privs_control_dir(&cfg, err, sizeof(err));
	if (rc == 0)
		rc = server_new(&srv, &loop, &cfg, &hints, server_on_control, err, sizeof(err));
	if (srv != NULL)
		server_set_config_path(srv, path, (unsigned)verbose);
	/* Then, with the listeners, the pool and the control socket bound,
	 * everything privileged is done. */
	if (rc == 0 && cfg.pidfile[0] != '\0')
		rc = privs_pidfile_write(cfg.pidfile, err, sizeof(err));
	if (rc == 0)
		rc = privs_drop(&cfg, &privs, err, sizeof(err));
	if (rc != 0) {
		start_failed(err);
		/* Undo what was opened, so that a failed start leaks nothing. */
		server_stop(srv);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		server_free(srv);
		hints_free(&hints);
		return 1;
	}
	if (privs.drop)
		log_info("running as user %s (uid %lu)", privs.user, (unsigned long)privs.uid);
	log_notice("ready: answering on %zu interfaces with %u workers; socket pool of %u per "
		   "address family", cfg.n_interfaces, cfg.num_threads,
		   cfg.socket_pool_size ? cfg.socket_pool_size : 1);
	notify_ready("answering on %zu interfaces; socket pool of %u per address family",
		     cfg.n_interfaces, cfg.socket_pool_size ? cfg.socket_pool_size : 1);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	server_free(srv);
	hints_free(&hints);
	/* After a drop or a chroot this may fail (the directory is root's, or
	 * outside the chroot); the next start replaces a stale pidfile. */
	if (cfg.pidfile[0] != '\0' && cfg.chroot_dir[0] == '\0')
		unlink(cfg.pidfile);
	config_free(&cfg);
	log_notice("stopped");
	log_close();
	return 0;
}
