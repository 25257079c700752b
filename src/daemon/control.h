/* control: the local control channel that portcullis-ctl talks to.
 *
 * A UNIX stream socket at a configured path, mode 0600 so that only the
 * daemon's user may use it. One request per connection: the client sends
 * one line "CMD [ARG...]\n" (at most CONTROL_LINE_MAX bytes with the
 * newline) and, for a command that reads data (control_in_lines), that
 * data until it shuts down its side; the server answers
 *
 *     ok\n<body>            or            error MESSAGE\n
 *
 * and closes. Arguments are separated by spaces or tabs; there is no
 * quoting. A client must send its line within the timeout (5 s) of
 * connecting or it is dropped; at most CONTROL_MAX_CLIENTS are served at
 * once, further connections wait in the listen backlog.
 *
 * This module knows no commands: it splits the line and calls the handler
 * the daemon gave to control_start(), which writes the reply into a
 * struct control_out. All of it runs on the daemon's libuv loop thread.
 *
 * A client that hangs up before reading its reply must not kill the daemon
 * with SIGPIPE: control_start() sets SIGPIPE to SIG_IGN when it is still at
 * SIG_DFL (a process-wide change; the daemon wants it anyway for TCP). */
#ifndef PC_DAEMON_CONTROL_H
#define PC_DAEMON_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define CONTROL_LINE_MAX 1024        /* request bytes, newline included */
#define CONTROL_MAX_ARGS 16          /* words in a request, command included */
#define CONTROL_MAX_CLIENTS 64       /* connections served at once */
#define CONTROL_TIMEOUT_MS 5000      /* to receive the request, and to send the reply */
#define CONTROL_REPLY_MAX (8u << 20) /* a longer body turns into an error */

/* A reply under construction: growable text, or an error message. */
struct control_out;

/* Append formatted text to the body. Failures (memory, CONTROL_REPLY_MAX)
 * turn the reply into an error; the handler need not check. */
void control_out_printf(struct control_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append len bytes of text as they are (same failure rules). */
void control_out_write(struct control_out *o, const char *text, size_t len);

/* Turn the reply into "error MESSAGE", dropping any body written so far.
 * A later call replaces an earlier message. Newlines in MESSAGE become
 * spaces so that the error stays one line. */
void control_out_error(struct control_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Streaming a long reply (dump_cache): after the body written so far has
 * gone out, more(ud, o) is called with an empty o for the next part, again
 * and again until it returns false (what it wrote then is the last part).
 * done(ud) runs exactly once when the exchange ends, however it ends (the
 * client gone, the channel stopped), to release ud. An error written by
 * more() ends the stream: the status line has gone out already, so the
 * client sees the body cut short (a format that ends with a marker, as the
 * cache dump's EOF line, shows it). */
typedef bool (*control_more_fn)(void *ud, struct control_out *o);
typedef void (*control_done_fn)(void *ud);
void control_out_stream(struct control_out *o, control_more_fn more, control_done_fn done,
			void *ud);

/* Data after the request line (load_cache): the client's further bytes are
 * split into lines (at most CONTROL_DATA_LINE_MAX bytes, the newline not
 * included), each handed to line(ud, text, len, o) as it arrives, until
 * the client shuts its side down; end(ud, o) then writes the reply. A
 * line() that returns false ends the exchange with the error it wrote into
 * o. done(ud) as above. The timeout applies to each read, not the whole.
 * Whatever the handler wrote to o before this call is dropped. */
#define CONTROL_DATA_LINE_MAX (1u << 20)
typedef bool (*control_line_fn)(void *ud, const char *line, size_t len, struct control_out *o);
typedef void (*control_end_fn)(void *ud, struct control_out *o);
void control_in_lines(struct control_out *o, control_line_fn line, control_end_fn end,
		      control_done_fn done, void *ud);

/* For testing a handler without a socket: a standalone reply buffer.
 * control_out_new returns NULL when out of memory; control_out_text gives
 * the body or the error message (borrowed, valid until the next call on o)
 * and sets *is_error. */
struct control_out *control_out_new(void);
const char *control_out_text(const struct control_out *o, bool *is_error);
void control_out_free(struct control_out *o);

/* The daemon's command handler. argv[0] is the command; argv[0..argc-1]
 * are NUL-terminated words borrowed for the duration of the call (the
 * handler may modify them). argc >= 1. The handler may call
 * control_stop() on its own channel; its reply is still sent. */
typedef void (*control_handler_fn)(void *ud, int argc, char **argv, struct control_out *out);

struct control;

/* Listen on path. An existing socket file is removed when nothing answers
 * there (left over from a crash); when something accepts a connection
 * there the start is refused, as is a path that exists but is not a
 * socket. On success *out owns the channel until control_stop(). On
 * failure returns PC_EINVAL, PC_EEXIST (in use), PC_EIO or PC_ENOMEM and
 * writes one line into err. */
int control_start(uv_loop_t *loop, const char *path, control_handler_fn fn, void *ud,
		  struct control **out, char *err, size_t errlen);

/* Stop listening and unlink the socket file. Clients still waiting for
 * their request are dropped; replies already being written are finished
 * (bounded by the timeout). Memory is released from close callbacks, so
 * run the loop until it has no more active handles. c may be NULL. */
void control_stop(struct control *c);

/* Change the per-connection timeout (CONTROL_TIMEOUT_MS); for tests. */
void control_set_timeout(struct control *c, uint64_t ms);

#endif
