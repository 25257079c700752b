/* server: one resolver: the cache, the core, the upstream layer, the
 * workers that answer clients (num-threads of them: daemon/worker.h says
 * how the work is split and why), statistics and the control channel.
 * Worker 0, the control channel and the signal handlers run on the loop
 * given to server_new (the main thread); the other workers run threads of
 * their own. */
#ifndef PC_DAEMON_SERVER_H
#define PC_DAEMON_SERVER_H

#include <stddef.h>
#include <uv.h>

#include "core/hints.h"
#include "daemon/config.h"
#include "daemon/control.h"

struct server;

/* Open everything (pool, listeners, control socket, signal handlers). The
 * control socket's command lines go to on_control with the server as ud
 * (the verbs live above the server: daemon/ctlcmd.h). On failure returns a
 * negative PC_E* with one line in err; *out must still be passed to
 * server_free. cfg and hints must outlive the server. */
int server_new(struct server **out, uv_loop_t *loop, const struct config *cfg,
	       const struct hints *hints, control_handler_fn on_control, char *err,
	       size_t errlen);
/* Where reload re-reads the configuration (SIGHUP, portcullis-ctl reload):
 * path as given with -c (NULL: the built-in configuration, which a reload
 * keeps), and the number of -v that raise its verbosity. path must
 * outlive the server. */
void server_set_config_path(struct server *s, const char *path, unsigned verbose);

/* Close every handle and ask the other workers to stop; uv_run on the
 * main loop returns once the callbacks have run. Also undoes a failed
 * server_new. */
void server_stop(struct server *s);
/* After uv_run: waits for the worker threads, then frees everything. */
void server_free(struct server *s);

#endif
