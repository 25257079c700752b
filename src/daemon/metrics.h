/* metrics: the Prometheus endpoint (metrics-interface: ADDR@PORT).
 *
 * An HTTP/1.x server on worker 0's loop that answers GET (or HEAD)
 * /metrics with the text exposition format of every `stats` row and the
 * answer latency histograms (daemon/stats.h). One request per connection:
 * the request head is read with httpreq.h (at most HTTPREQ_MAX bytes,
 * within METRICS_TIMEOUT_MS), answered, and the connection closed after the
 * answer (Connection: close). Anything else gets its status: 400, 404, 405
 * (with Allow), 431 or 505. At most METRICS_MAX_CLIENTS connections are
 * served at once; one beyond that is closed at once. */
#ifndef PC_DAEMON_METRICS_H
#define PC_DAEMON_METRICS_H

#include <stddef.h>
#include <uv.h>

#define METRICS_MAX_CLIENTS 16
#define METRICS_TIMEOUT_MS 5000

struct config_addr;
struct metrics;
struct server;

/* Listen on a (TCP) on loop, serving s's statistics. On failure returns a
 * negative PC_E* with one line in err. */
int metrics_start(uv_loop_t *loop, const struct config_addr *a, struct server *s,
		  struct metrics **out, char *err, size_t errlen);
/* Close the listener and every connection; memory goes in close
 * callbacks, so run the loop after. m may be NULL. */
void metrics_stop(struct metrics *m);

#endif
