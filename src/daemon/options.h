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
#include "core/dns64.h"
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
	struct dns64_opts dns64; /* core.dns64 points here when module-config has dns64 */
	/* The trust anchors core.anchors points at, when these options own
	 * them (options_release frees them); NULL when they are shared from
	 * the options they were carried over from. */
	struct anchor_set *anchors_own;
};

/* Fill every layer's options from cfg (which need not outlive o). */
void options_from_config(struct options *o, const struct config *cfg);

/* Load the trust anchors cfg names (trust-anchor-file, trust-anchor,
 * auto-trust-anchor-file, trusted-keys-file, domain-insecure and the RFC
 * 5011 timers; with none of the first four, the root's from dns-root-data
 * or built in) into a new set: *out (owned by the caller). Files are read
 * at their path with chroot_dir's prefix removed when it has it (a reload
 * runs inside the chroot). *source_root (may be NULL) says where a default
 * root anchor came from, or NULL when the configuration named anchors.
 * 0, or PC_EIO / PC_EINVAL / PC_ENOMEM with "KEY: FILE:LINE: what" in err. */
int options_load_anchors(struct anchor_set **out, const struct config *cfg, const char *chroot_dir,
			 const char **source_root, char *err, size_t errlen);

/* Make o use (and own) set: o->core.anchors and o->anchors_own. */
void options_own_anchors(struct options *o, struct anchor_set *set);

/* Release what o owns beyond itself (its trust anchors). */
void options_release(struct options *o);

/* A path as the daemon sees it after chroot: without chroot_dir's prefix
 * when it has it. */
const char *options_reachable(const char *path, const char *chroot_dir);

/* Only the socket pool's (for the range check before start-up). */
void options_pool(struct pool_opts *o, const struct config *cfg);

#endif
