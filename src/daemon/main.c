/* portcullis: the resolver daemon's entry point. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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
		   "  --check   validate the configuration and exit (0 ok, 2 error)\n"
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
	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'k': check = true; break;
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
	config_defaults(&cfg);
	if (path != NULL && config_load(&cfg, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "portcullis: %s\n", err);
		return 2;
	}
	struct hints hints = { 0 };
	int rc = cfg.root_hints[0] ? hints_load_file(cfg.root_hints, &hints, err, sizeof(err))
				   : hints_load_builtin(&hints);
	if (rc != 0) {
		fprintf(stderr, "portcullis: root-hints: %s\n", cfg.root_hints[0] ? err : "cannot load built-in hints");
		return 2;
	}
	struct pool_opts pool_opts;
	options_pool(&pool_opts, &cfg);
	if (pool_check_range(&pool_opts, err, sizeof(err)) != 0) {
		fprintf(stderr, "portcullis: %s\n", err);
		hints_free(&hints);
		return 2;
	}
	struct privs privs;
	if (privs_plan(&cfg, &privs, err, sizeof(err)) != 0) {
		fprintf(stderr, "portcullis: %s\n", err);
		hints_free(&hints);
		return 2;
	}
	if (check) {
		printf("portcullis: configuration %s is valid\n", path ? path : "(built-in)");
		hints_free(&hints);
		return 0;
	}
	unsigned level = cfg.verbosity + (unsigned)verbose;
	log_set_level(level > LOG_DEBUG ? LOG_DEBUG : (enum log_level)level);
	/* Opened as the starting user (before any drop). A failed start is
	 * still told on stderr as well (start_failed). */
	if (log_open(cfg.logfile, cfg.use_syslog, err, sizeof(err)) != 0) {
		fprintf(stderr, "portcullis: %s\n", err);
		hints_free(&hints);
		return 1;
	}
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
	rc = server_new(&srv, &loop, &cfg, &hints, server_on_control, err, sizeof(err));
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
	log_notice("stopped");
	log_close();
	return 0;
}
