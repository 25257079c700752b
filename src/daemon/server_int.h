/* server_int: what the server's own files share (server.c, the life cycle
 * and resolution; ctlcmd.c, the control verbs): the server's fields. Private to daemon/server*.c and
 * daemon/ctlcmd.c. */
#ifndef PC_DAEMON_SERVER_INT_H
#define PC_DAEMON_SERVER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/core.h"
#include "daemon/control.h"
#include "daemon/request.h"
#include "daemon/options.h"
#include "daemon/server.h"
#include "daemon/stale.h"

struct server {
	uv_loop_t *loop;
	const struct config *cfg;
	struct options opts; /* each layer's part of cfg */
	const struct hints *hints;
	struct cache *cache;
	struct core_infra *infra;
	struct core_env env;
	struct upstream *up;
	struct control *ctl;
	struct claim *claim; /* this daemon's hold on its interfaces */
	uv_signal_t sig_term, sig_int, sig_quit, sig_hup, sig_usr1, sig_usr2;
	bool signals_on;
	uint64_t started_ms;
	/* The requests being resolved (worker 0) and what that takes. */
	struct req_table rq;
	bool rq_on;
	struct stale stale; /* serve-expired, on rq's hooks */
	bool stopping;
	unsigned n_workers;
	struct worker **workers;
};

#endif
