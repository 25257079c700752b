/* stats: the daemon's counters and gauges, one list for every reader: the
 * control channel's `stats` (text, key=value), `stats json` (one JSON
 * object) and the metrics endpoint (Prometheus text, daemon/metrics.c).
 *
 * Each row has the control channel's key ("cache.hits"), the Prometheus
 * family it belongs to (portcullis_cache_hits_total), whether it is a
 * counter (only goes up) or a gauge, and a line of help. Per-worker rows
 * share a family with a worker="N" label, answers by rcode an rcode label,
 * dropped replies a reason label.
 *
 * Resetting (`stats reset`, Unbound's `stats`; plain `stats` is Unbound's
 * `stats_noreset`): the workers' counters are never written by another
 * thread, so a reset takes a baseline, a copy of every counter at that
 * moment, and the control channel shows each counter minus its baseline
 * from then on. The hot path is untouched and takes no lock. The metrics
 * endpoint always shows the counters since start, as Prometheus expects
 * of a counter. Gauges are never reset.
 *
 * Worker 0's thread only (the control channel's and the endpoint's). */
#ifndef PC_DAEMON_STATS_H
#define PC_DAEMON_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct control_out;

enum stats_format { STATS_TEXT, STATS_JSON };

/* Write every row to o as text or JSON; with reset, take a new baseline
 * after writing (the values written are those since the previous one). */
void stats_print(struct server *s, struct control_out *o, enum stats_format fmt, bool reset);

/* The Prometheus text exposition (format 0.0.4) of every row and of the
 * answer latency histograms, appended to a growable buffer. Returns 0, or
 * -1 when out of memory (*buf is then freed and NULL). */
int stats_prometheus(struct server *s, char **buf, size_t *len);

/* Release the baseline (server_free). */
void stats_free(struct server *s);

#endif
