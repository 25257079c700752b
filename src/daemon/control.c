/* control: UNIX-socket control channel on the daemon's libuv loop.
 *
 * The listening socket is made with plain system calls so that the file
 * gets mode 0600 before listen() and no client can ever reach a socket with
 * looser permissions; libuv then adopts the descriptor. Each client owns a
 * pipe handle and a timer; it is freed once both close callbacks ran. The
 * channel itself is freed when it has been stopped and its last handle
 * closed, so callbacks never see freed memory. */
#include "daemon/control.h"

#include "util/err.h"
#include "util/list.h"
#include "util/log.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct control_out {
	char *buf;
	size_t len, cap;
	bool is_error;
	/* streaming, set by control_out_stream / control_in_lines */
	control_more_fn more;
	control_line_fn line;
	control_end_fn end;
	control_done_fn done;
	void *sud;
};

enum client_state { CL_READING, CL_DISPATCHING, CL_DATA, CL_WRITING, CL_CLOSING };

#define DATA_CHUNK (64u * 1024u)

struct client {
	struct control *ctl;
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t wreq;
	enum client_state state;
	int open_handles;          /* pipe and timer until their close callbacks */
	struct list_node link;     /* in the control's clients */
	char *reply;               /* owned until the client is freed */
	/* streaming (control.h): the handler's callbacks and their state */
	control_more_fn more;
	control_line_fn line;
	control_end_fn end;
	control_done_fn done;
	void *sud;
	char *data;                /* CL_DATA: the line being received */
	size_t data_len, data_cap;
	char *chunk;               /* CL_DATA: where reads land */
	size_t rest_off;           /* data after the request line starts here in in */
	bool eof;                  /* the client has shut its side down */
	size_t in_len;
	char in[CONTROL_LINE_MAX];
};

struct control {
	uv_loop_t *loop;
	uv_pipe_t listener;
	bool listener_open;
	bool stopped;
	bool accept_waiting;       /* a connection waits for a free slot */
	control_handler_fn fn;
	void *ud;
	uint64_t timeout_ms;
	size_t n_clients;
	struct list clients;       /* struct client, newest first */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* ---- reply buffer ----------------------------------------------------- */

static void out_reset(struct control_out *o)
{
	o->len = 0;
	if (o->buf)
		o->buf[0] = '\0';
}

/* Replaces the reply by a fixed error without allocating: used when
 * growing the buffer failed. */
static void out_fail(struct control_out *o, const char *msg)
{
	o->is_error = true;
	size_t n = strlen(msg);
	if (o->cap > n) {
		memcpy(o->buf, msg, n + 1);
		o->len = n;
	} else {
		free(o->buf);
		o->buf = NULL;
		o->len = o->cap = 0;
	}
}

static bool out_reserve(struct control_out *o, size_t extra)
{
	if (o->len + extra + 1 <= o->cap)
		return true;
	if (o->len + extra + 1 > CONTROL_REPLY_MAX)
		return false;
	size_t cap = o->cap ? o->cap : 256;
	while (cap < o->len + extra + 1)
		cap *= 2;
	char *b = realloc(o->buf, cap);
	if (!b)
		return false;
	o->buf = b;
	o->cap = cap;
	return true;
}

static void out_vappend(struct control_out *o, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if (!out_reserve(o, (size_t)n)) {
		out_fail(o, "reply too large or out of memory");
		return;
	}
	vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	o->len += (size_t)n;
}

void control_out_printf(struct control_out *o, const char *fmt, ...)
{
	if (o->is_error)
		return; /* an error reply has no body */
	va_list ap;
	va_start(ap, fmt);
	out_vappend(o, fmt, ap);
	va_end(ap);
}

void control_out_write(struct control_out *o, const char *text, size_t len)
{
	if (o->is_error)
		return;
	if (!out_reserve(o, len)) {
		out_fail(o, "reply too large or out of memory");
		return;
	}
	memcpy(o->buf + o->len, text, len);
	o->len += len;
	o->buf[o->len] = '\0';
}

void control_out_stream(struct control_out *o, control_more_fn more, control_done_fn done,
			void *ud)
{
	o->more = more;
	o->done = done;
	o->sud = ud;
}

void control_in_lines(struct control_out *o, control_line_fn line, control_end_fn end,
		      control_done_fn done, void *ud)
{
	o->line = line;
	o->end = end;
	o->done = done;
	o->sud = ud;
}

void control_out_error(struct control_out *o, const char *fmt, ...)
{
	o->is_error = false;
	out_reset(o);
	va_list ap;
	va_start(ap, fmt);
	out_vappend(o, fmt, ap);
	va_end(ap);
	o->is_error = true;
	for (size_t i = 0; i < o->len; i++)
		if (o->buf[i] == '\n' || o->buf[i] == '\r')
			o->buf[i] = ' ';
}

struct control_out *control_out_new(void)
{
	return calloc(1, sizeof(struct control_out));
}

const char *control_out_text(const struct control_out *o, bool *is_error)
{
	if (is_error)
		*is_error = o->is_error;
	return o->buf ? o->buf : "";
}

void control_out_free(struct control_out *o)
{
	if (o) {
		free(o->buf);
		free(o);
	}
}

/* ---- clients ---------------------------------------------------------- */

static void maybe_free_control(struct control *ctl)
{
	if (ctl->stopped && !ctl->listener_open && ctl->n_clients == 0)
		free(ctl);
}

static void accept_one(struct control *ctl);

static void on_client_handle_closed(uv_handle_t *h)
{
	struct client *cl = h->data;
	if (--cl->open_handles > 0)
		return;
	struct control *ctl = cl->ctl;
	free(cl->reply);
	free(cl->data);
	free(cl->chunk);
	free(cl);
	ctl->n_clients--;
	if (ctl->accept_waiting && !ctl->stopped)
		accept_one(ctl);
	maybe_free_control(ctl);
}

static void client_close(struct client *cl)
{
	if (cl->state == CL_CLOSING)
		return;
	cl->state = CL_CLOSING;
	if (cl->done != NULL)
		cl->done(cl->sud);
	cl->done = NULL;
	cl->more = NULL;
	list_remove(&cl->ctl->clients, &cl->link);
	uv_close((uv_handle_t *)&cl->pipe, on_client_handle_closed);
	uv_close((uv_handle_t *)&cl->timer, on_client_handle_closed);
}

static void on_timeout(uv_timer_t *t)
{
	client_close(t->data);
}

static void write_next(struct client *cl);

static void on_written(uv_write_t *req, int status)
{
	struct client *cl = req->data;
	if (status == 0 && cl->more != NULL && !cl->ctl->stopped) {
		write_next(cl);
		return;
	}
	client_close(cl); /* written or not, the exchange is over */
}

/* The next part of a streamed reply (control_out_stream). */
static void write_next(struct client *cl)
{
	struct control_out o = { 0 };
	bool more;
	do {
		out_reset(&o);
		more = cl->more(cl->sud, &o);
	} while (more && !o.is_error && o.len == 0);
	if (!more)
		cl->more = NULL;
	free(cl->reply);
	cl->reply = o.buf;
	if (o.is_error || o.len == 0) {
		client_close(cl);
		return;
	}
	uv_buf_t buf = uv_buf_init(cl->reply, (unsigned)o.len);
	if (uv_write(&cl->wreq, (uv_stream_t *)&cl->pipe, &buf, 1, on_written) < 0) {
		client_close(cl);
		return;
	}
	uv_timer_start(&cl->timer, on_timeout, cl->ctl->timeout_ms, 0);
}

/* Sends the reply (framed per control.h) and closes after it is written. */
static void send_reply(struct client *cl, struct control_out *o)
{
	const char *body = o->buf ? o->buf : "";
	size_t blen = o->buf ? o->len : 0;
	size_t cap = blen + 16;
	cl->reply = malloc(cap);
	if (!cl->reply) {
		client_close(cl);
		return;
	}
	size_t n;
	if (o->is_error) {
		n = (size_t)snprintf(cl->reply, cap, "error %s\n", blen ? body : "unknown error");
	} else {
		memcpy(cl->reply, "ok\n", 3);
		memcpy(cl->reply + 3, body, blen);
		n = 3 + blen;
		if (blen && body[blen - 1] != '\n')
			cl->reply[n++] = '\n';
	}
	uv_buf_t buf = uv_buf_init(cl->reply, (unsigned)n);
	cl->state = CL_WRITING;
	cl->wreq.data = cl;
	if (uv_write(&cl->wreq, (uv_stream_t *)&cl->pipe, &buf, 1, on_written) < 0) {
		client_close(cl);
		return;
	}
	uv_timer_start(&cl->timer, on_timeout, cl->ctl->timeout_ms, 0);
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static void start_data(struct client *cl, control_line_fn line, control_end_fn end);
static void reply_error(struct client *cl, const char *msg);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Splits the request and hands it to the daemon's handler. */
static void dispatch(struct client *cl, char *line, size_t len)
{
	struct control *ctl = cl->ctl;
	struct control_out o = { 0 };
	char *argv[CONTROL_MAX_ARGS + 1];
	int argc = 0;

	if (len && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			control_out_error(&o, "control character in request");
			goto reply;
		}
	}
	for (char *s = line;;) {
		while (is_blank(*s))
			s++;
		if (!*s)
			break;
		if (argc == CONTROL_MAX_ARGS) {
			control_out_error(&o, "more than %d words in request", CONTROL_MAX_ARGS);
			goto reply;
		}
		argv[argc++] = s;
		while (*s && !is_blank(*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	argv[argc] = NULL;
	if (argc == 0) {
		control_out_error(&o, "empty request");
		goto reply;
	}
	cl->state = CL_DISPATCHING;
	ctl->fn(ctl->ud, argc, argv, &o);
	cl->done = o.done;
	cl->sud = o.sud;
	cl->more = o.is_error ? NULL : o.more;
	if (o.line != NULL && !o.is_error) {
		free(o.buf);
		start_data(cl, o.line, o.end);
		return;
	}
reply:
	send_reply(cl, &o);
	free(o.buf);
}

/* ---- data after the request line (control_in_lines) -------------------- */

static void end_data(struct client *cl, struct control_out *o)
{
	uv_read_stop((uv_stream_t *)&cl->pipe);
	uv_timer_stop(&cl->timer);
	send_reply(cl, o);
	free(o->buf);
}

/* Feed n bytes; false when the exchange ended (a line was refused). */
static bool data_bytes(struct client *cl, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;
		if (cl->data_len + take > CONTROL_DATA_LINE_MAX) {
			struct control_out o = { 0 };
			control_out_error(&o, "data line longer than %u bytes", CONTROL_DATA_LINE_MAX);
			end_data(cl, &o);
			return false;
		}
		if (cl->data_len + take + 1 > cl->data_cap) {
			size_t cap = cl->data_cap ? cl->data_cap : 4096;
			while (cap < cl->data_len + take + 1)
				cap *= 2;
			char *d = realloc(cl->data, cap);
			if (d == NULL) {
				struct control_out o = { 0 };
				control_out_error(&o, "out of memory");
				end_data(cl, &o);
				return false;
			}
			cl->data = d;
			cl->data_cap = cap;
		}
		memcpy(cl->data + cl->data_len, p, take);
		cl->data_len += take;
		p += take;
		n -= take;
		if (nl == NULL)
			break;
		p++, n--;
		struct control_out o = { 0 };
		size_t len = cl->data_len;
		cl->data_len = 0;
		if (!cl->line(cl->sud, cl->data, len, &o)) {
			if (!o.is_error)
				control_out_error(&o, "data refused");
			end_data(cl, &o);
			return false;
		}
		free(o.buf);
	}
	return true;
}

/* The client shut its side down: the last line, then the reply. */
static void data_done(struct client *cl)
{
	if (cl->data_len > 0) {
		const char nl = '\n';
		if (!data_bytes(cl, &nl, 1))
			return;
	}
	struct control_out o = { 0 };
	cl->end(cl->sud, &o);
	end_data(cl, &o);
}

static void start_data(struct client *cl, control_line_fn line, control_end_fn end)
{
	cl->line = line;
	cl->end = end;
	cl->state = CL_DATA;
	cl->chunk = malloc(DATA_CHUNK);
	if (cl->chunk == NULL) {
		reply_error(cl, "out of memory");
		return;
	}
	if (cl->rest_off < cl->in_len &&
	    !data_bytes(cl, cl->in + cl->rest_off, cl->in_len - cl->rest_off))
		return;
	if (cl->eof) {
		data_done(cl);
		return;
	}
	if (uv_read_start((uv_stream_t *)&cl->pipe, on_alloc, on_read) < 0) {
		client_close(cl);
		return;
	}
	uv_timer_start(&cl->timer, on_timeout, cl->ctl->timeout_ms, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct client *cl = h->data;
	if (cl->state == CL_DATA) {
		*buf = uv_buf_init(cl->chunk, DATA_CHUNK);
		return;
	}
	/* Reading stops once the buffer is full, so there is always room. */
	*buf = uv_buf_init(cl->in + cl->in_len, (unsigned)(sizeof(cl->in) - cl->in_len));
}

static void reply_error(struct client *cl, const char *msg)
{
	struct control_out o = { 0 };
	control_out_error(&o, "%s", msg);
	send_reply(cl, &o);
	free(o.buf);
}

/* The request is complete: the first len bytes of cl->in, without the
 * newline. The handler gets a private copy it may cut into words. */
static void got_request(struct client *cl, size_t len)
{
	char line[CONTROL_LINE_MAX + 1];
	uv_read_stop((uv_stream_t *)&cl->pipe);
	uv_timer_stop(&cl->timer);
	if (memchr(cl->in, '\0', len)) {
		reply_error(cl, "NUL byte in request");
		return;
	}
	memcpy(line, cl->in, len);
	dispatch(cl, line, len);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf; /* always the tail of cl->in, see on_alloc */
	struct client *cl = s->data;
	if (cl->state == CL_DATA) {
		if (nread == UV_EOF)
			data_done(cl);
		else if (nread < 0)
			client_close(cl);
		else if (data_bytes(cl, buf->base, (size_t)nread))
			uv_timer_start(&cl->timer, on_timeout, cl->ctl->timeout_ms, 0);
		return;
	}
	if (cl->state != CL_READING)
		return;
	if (nread < 0) {
		/* A client that sends its line without a newline and shuts down
		 * its side still means that line. */
		if (nread == UV_EOF && cl->in_len > 0) {
			cl->eof = true;
			cl->rest_off = cl->in_len;
			got_request(cl, cl->in_len);
		}
		else
			client_close(cl);
		return;
	}
	size_t old = cl->in_len;
	cl->in_len += (size_t)nread;
	const char *nl = memchr(cl->in + old, '\n', (size_t)nread);
	if (nl) {
		cl->rest_off = (size_t)(nl - cl->in) + 1;
		got_request(cl, (size_t)(nl - cl->in));
	} else if (cl->in_len == sizeof(cl->in)) {
		uv_read_stop(s);
		uv_timer_stop(&cl->timer);
		char msg[64];
		snprintf(msg, sizeof(msg), "request longer than %d bytes", CONTROL_LINE_MAX);
		reply_error(cl, msg);
	}
}

/* Takes one connection from the listener into a new client. */
static void accept_one(struct control *ctl)
{
	ctl->accept_waiting = false;
	if (ctl->n_clients >= CONTROL_MAX_CLIENTS) {
		/* Leaving it unaccepted makes libuv pause the listener; a
		 * closing client accepts it later. */
		ctl->accept_waiting = true;
		return;
	}
	struct client *cl = calloc(1, sizeof(*cl));
	if (!cl) {
		/* Out of memory: the connection waits in libuv and is
		 * accepted when another client goes away. With no other
		 * client the channel stays paused; the log says why. */
		ctl->accept_waiting = true;
		log_err("control: out of memory accepting a connection");
		return;
	}
	cl->ctl = ctl;
	uv_pipe_init(ctl->loop, &cl->pipe, 0);
	uv_timer_init(ctl->loop, &cl->timer);
	cl->pipe.data = cl->timer.data = cl;
	cl->open_handles = 2;
	cl->state = CL_READING;
	list_push_front(&ctl->clients, &cl->link);
	ctl->n_clients++;
	if (uv_accept((uv_stream_t *)&ctl->listener, (uv_stream_t *)&cl->pipe) < 0 ||
	    uv_read_start((uv_stream_t *)&cl->pipe, on_alloc, on_read) < 0) {
		client_close(cl);
		return;
	}
	uv_timer_start(&cl->timer, on_timeout, ctl->timeout_ms, 0);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct control *ctl = server->data;
	if (status < 0) {
		log_warn("control: accept failed: %s", uv_strerror(status));
		return;
	}
	accept_one(ctl);
}

/* ---- start and stop --------------------------------------------------- */

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Deals with a file already at path: a live server keeps it, a stale
 * socket from a crashed daemon is removed, anything else is left alone. */
static int clear_path(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	const char *path = sun->sun_path;
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail(err, errlen, PC_EIO, "control socket %s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return fail(err, errlen, PC_EEXIST, "control socket %s exists and is not a socket",
			    path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail(err, errlen, PC_EIO, "socket: %s", strerror(errno));
	int rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	int e = errno;
	close(fd);
	/* EAGAIN: a listener whose backlog is full is still a listener. */
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS)
		return fail(err, errlen, PC_EEXIST,
			    "control socket %s is in use by another process", path);
	if (e != ECONNREFUSED && e != ENOENT)
		return fail(err, errlen, PC_EIO, "control socket %s: cannot check it: %s", path,
			    strerror(e));
	if (unlink(path) < 0 && errno != ENOENT)
		return fail(err, errlen, PC_EIO, "control socket %s: cannot remove stale file: %s",
			    path, strerror(errno));
	return 0;
}

/* socket, bind with mode 0600, listen. Returns the descriptor or an error. */
static int make_listener(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	const char *path = sun->sun_path;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail(err, errlen, PC_EIO, "socket: %s", strerror(errno));
	/* The umask makes bind() create the file 0600 already; chmod then
	 * pins it whatever the umask allowed. The process is single-threaded
	 * while starting, so the process-wide umask change is safe. */
	mode_t old = umask(077);
	int rc = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	int e = errno;
	umask(old);
	if (rc < 0) {
		close(fd);
		return fail(err, errlen, PC_EIO, "cannot bind control socket %s: %s", path,
			    strerror(e));
	}
	if (chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		e = errno;
		close(fd);
		unlink(path);
		return fail(err, errlen, PC_EIO, "control socket %s: %s", path, strerror(e));
	}
	return fd;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct control *ctl = h->data;
	ctl->listener_open = false;
	maybe_free_control(ctl);
}

int control_start(uv_loop_t *loop, const char *path, control_handler_fn fn, void *ud,
		  struct control **out, char *err, size_t errlen)
{
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	size_t plen = strlen(path);
	if (!fn || plen == 0 || plen >= sizeof(sun.sun_path))
		return fail(err, errlen, PC_EINVAL, "control socket path \"%s\" is empty or longer "
			    "than %zu bytes", path, sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, plen + 1);

	/* libuv writes with write(), so a client that hangs up before reading
	 * its reply would raise SIGPIPE and kill the daemon. Ignore it unless
	 * the program chose a disposition of its own. */
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}

	int rc = clear_path(&sun, err, errlen);
	if (rc < 0)
		return rc;
	struct control *ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return fail(err, errlen, PC_ENOMEM, "control: out of memory");
	int fd = make_listener(&sun, err, errlen);
	if (fd < 0) {
		free(ctl);
		return fd;
	}
	ctl->loop = loop;
	ctl->fn = fn;
	ctl->ud = ud;
	ctl->timeout_ms = CONTROL_TIMEOUT_MS;
	memcpy(ctl->path, sun.sun_path, sizeof(ctl->path));
	uv_pipe_init(loop, &ctl->listener, 0);
	ctl->listener.data = ctl;
	ctl->listener_open = true;
	int uvrc = uv_pipe_open(&ctl->listener, fd);
	if (uvrc == 0)
		uvrc = uv_listen((uv_stream_t *)&ctl->listener, 16, on_connection);
	if (uvrc < 0) {
		if (uv_fileno((uv_handle_t *)&ctl->listener, &(uv_os_fd_t){ 0 }) < 0)
			close(fd); /* not adopted by libuv */
		unlink(path);
		ctl->stopped = true;
		uv_close((uv_handle_t *)&ctl->listener, on_listener_closed);
		return fail(err, errlen, PC_EIO, "control socket %s: %s", path, uv_strerror(uvrc));
	}
	*out = ctl;
	return 0;
}

void control_set_timeout(struct control *c, uint64_t ms)
{
	c->timeout_ms = ms;
}

void control_stop(struct control *c)
{
	if (!c || c->stopped)
		return;
	c->stopped = true;
	unlink(c->path);
	uv_close((uv_handle_t *)&c->listener, on_listener_closed);
	c->accept_waiting = false;
	/* Clients still reading are dropped. One in its handler or writing
	 * gets to finish its reply. */
	list_each(n, &c->clients) {
		struct client *cl = list_item(n, struct client, link);
		if (cl->state == CL_READING)
			client_close(cl);
	}
}
