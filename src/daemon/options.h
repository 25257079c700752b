/* options: each layer's part of the configuration, taken from struct config.
 *
 * Configuration flows down: config.c reads the file into struct config,
 * and this module copies into each lower layer's own small options struct
 * only what that layer uses (core_opts, cache_opts, up_opts with the pool's
 * pool_opts, listen_opts). No file below daemon/ sees struct config.
 *
 * Memory: o->core.forward and o->core.stub point at o's own zone arrays, so
 * a filled struct options must stay where it was filled (it is big: keep it
 * in a heap object such as the server, or static). */
#ifndef PC_DAEMON_OPTIONS_H
#define PC_DAEMON_OPTIONS_H

#include "cache/cache.h"
#include "core/core.h"
#include "daemon/config.h"
#include "net/listen.h"
#include "net/pool.h"
#include "net/upstream.h"

struct options {
	struct core_opts core;
	struct cache_opts cache;
	struct up_opts up; /* up.pool: the socket pool's */
	struct listen_opts listen;
	struct core_zone forward[CONFIG_MAX_ZONES];
	struct core_zone stub[CONFIG_MAX_ZONES];
};

/* Fill every layer's options from cfg (which need not outlive o). */
void options_from_config(struct options *o, const struct config *cfg);

/* Only the socket pool's (for the range check before start-up). */
void options_pool(struct pool_opts *o, const struct config *cfg);

#endif
