/* server: one resolver on one event loop: listeners, cache, core, upstream,
 * statistics and the control channel's commands. */
#ifndef PC_DAEMON_SERVER_H
#define PC_DAEMON_SERVER_H

#include <stddef.h>
#include <uv.h>

#include "daemon/config.h"
#include "daemon/hints.h"

struct server;

/* Open everything (pool, listeners, control socket, signal handlers). On
 * failure returns a negative PC_E* with one line in err; *out must still be
 * passed to server_free. cfg and hints must outlive the server. */
int server_new(struct server **out, uv_loop_t *loop, const struct config *cfg,
	       const struct hints *hints, char *err, size_t errlen);
/* Close every handle; uv_run returns once their callbacks have run. */
void server_stop(struct server *s);
void server_free(struct server *s);

#endif
