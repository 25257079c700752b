/* anchorfile: the daemon's side of auto-trust-anchor-file: writing the
 * RFC 5011 state the core keeps (core/anchor.h) back to its file.
 *
 * The core does no I/O; it bumps a generation counter when an autotrust
 * file's content changes. The daemon calls anchorfile_sync() from its loop
 * (a timer, not the packet path): when the generation moved since the last
 * write, each autotrust file is rewritten with anchorfile_write().
 *
 * The rewrite is atomic: the new text goes to "PATH.portcullis-tmp" in the
 * same directory, is fsync'ed, renamed over PATH, and the directory is
 * fsync'ed. The anchor file itself is never opened for writing, so a crash
 * at any point leaves either the old or the new complete file (at worst a
 * stale temporary file, which the next write replaces). The directory must
 * be writable by the user the daemon runs as. */
#ifndef PC_DAEMON_ANCHORFILE_H
#define PC_DAEMON_ANCHORFILE_H

#include <stddef.h>
#include <stdint.h>

struct anchor_set;

#define ANCHORFILE_TMP_SUFFIX ".portcullis-tmp"

/* Replace path's content with len bytes of text, atomically. 0, or PC_EIO
 * (err: "PATH: what failed: strerror"), PC_EINVAL (path too long). */
int anchorfile_write(const char *path, const char *text, size_t len, char *err, size_t errlen);

/* Rewrite every autotrust file of set when its generation differs from
 * *written (then *written is updated). Returns 0, or the first error (the
 * other files are still written; *written is left so the next call tries
 * again). */
int anchorfile_sync(struct anchor_set *set, uint64_t *written, char *err, size_t errlen);

#endif
