/* Unit tests for the control channel: framing of ok and error replies,
 * request limits, the idle timeout, socket mode, stale and busy sockets,
 * concurrent clients and stopping from inside a handler.
 *
 * Everything runs on one thread: the test talks through plain non-blocking
 * sockets and turns the libuv loop by hand while it waits for bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/control.h"
#include "util/clock.h"
#include "util/err.h"

static uv_loop_t loop;
static char dir[64];
static char path[128];
static struct control *ctl;
static char err[256];
static int handled;

/* echo: the words back; fail: an error; big N: N bytes; stop: stops. */
static void handler(void *ud, int argc, char **argv, struct control_out *out)
{
	(void)ud;
	handled++;
	if (strcmp(argv[0], "echo") == 0) {
		for (int i = 0; i < argc; i++)
			control_out_printf(out, "%s%s", i ? "|" : "", argv[i]);
	} else if (strcmp(argv[0], "fail") == 0) {
		control_out_printf(out, "this body is dropped\n");
		control_out_error(out, "failed:\n%s", argc > 1 ? argv[1] : "-");
	} else if (strcmp(argv[0], "big") == 0) {
		long n = atol(argv[1]);
		for (long i = 0; i < n; i++)
			control_out_printf(out, "%c", 'a' + (int)(i % 26));
	} else if (strcmp(argv[0], "stop") == 0) {
		control_stop(ctl);
		control_out_printf(out, "stopping\n");
	} else {
		control_out_error(out, "unknown command %s", argv[0]);
	}
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/pc-test-ctl-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	assert_int_equal(uv_loop_init(&loop), 0);
	handled = 0;
	int rc = control_start(&loop, path, handler, NULL, &ctl, err, sizeof(err));
	if (rc != 0)
		fail_msg("control_start: %s", err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	control_stop(ctl);
	ctl = NULL;
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0); /* every handle was closed */
	unlink(path);
	rmdir(dir);
	return 0;
}

static int connect_to(const char *p)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	assert_true(strlen(p) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, p, strlen(p) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			uv_run(&loop, UV_RUN_NOWAIT);
			continue;
		}
		assert_true(n > 0);
		data += n;
		len -= (size_t)n;
	}
}

/* Reads until the server closes, turning the loop meanwhile. Returns the
 * length read (NUL-terminated in out). */
static size_t read_reply(int fd, char *out, size_t cap)
{
	size_t len = 0;
	uint64_t deadline = clock_now_ms() + 3000;
	for (;;) {
		uv_run(&loop, UV_RUN_NOWAIT);
		ssize_t n = recv(fd, out + len, cap - 1 - len, 0);
		if (n > 0) {
			len += (size_t)n;
			assert_true(len < cap - 1);
			continue;
		}
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		assert_true(errno == EAGAIN);
		assert_true(clock_now_ms() < deadline);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		poll(&pfd, 1, 1);
	}
	out[len] = '\0';
	close(fd);
	return len;
}

static const char *ask(const char *req, size_t len)
{
	static char reply[4096];
	int fd = connect_to(path);
	assert_true(fd >= 0);
	send_all(fd, req, len);
	read_reply(fd, reply, sizeof(reply));
	return reply;
}

#define ASK(req) ask((req), strlen(req))

static void test_framing(void **state)
{
	(void)state;
	assert_string_equal(ASK("echo a b\n"), "ok\necho|a|b\n");
	assert_string_equal(ASK("  echo\tx  y \r\n"), "ok\necho|x|y\n");
	assert_string_equal(ASK("fail x\n"), "error failed: x\n");
	assert_string_equal(ASK("nope\n"), "error unknown command nope\n");
	assert_string_equal(ASK("\n"), "error empty request\n");
	assert_string_equal(ASK(" \t \n"), "error empty request\n");
	assert_string_equal(ASK("echo \x1b[2J\n"), "error control character in request\n");
	assert_string_equal(ask("echo\0x\n", 7), "error NUL byte in request\n");
	/* Bytes after the newline are ignored; a line cut by EOF still counts. */
	assert_string_equal(ASK("echo 1\necho 2\n"), "ok\necho|1\n");
	int fd = connect_to(path);
	send_all(fd, "echo eof", 8);
	shutdown(fd, SHUT_WR);
	char reply[64];
	read_reply(fd, reply, sizeof(reply));
	assert_string_equal(reply, "ok\necho|eof\n");
	/* An empty body is just "ok". */
	assert_string_equal(ASK("big 0\n"), "ok\n");
	assert_string_equal(ASK("echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"),
			    "ok\necho|1|2|3|4|5|6|7|8|9|10|11|12|13|14|15\n");
	assert_string_equal(ASK("echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"),
			    "error more than 16 words in request\n");
}

static void test_line_limit(void **state)
{
	(void)state;
	char req[CONTROL_LINE_MAX + 2];
	/* 1023 bytes and the newline: accepted. */
	memset(req, 'x', sizeof(req));
	memcpy(req, "echo ", 5);
	req[CONTROL_LINE_MAX - 1] = '\n';
	const char *r = ask(req, CONTROL_LINE_MAX);
	assert_memory_equal(r, "ok\necho|xxx", 11);
	assert_int_equal(strlen(r), 3 + 5 + (CONTROL_LINE_MAX - 1 - 5) + 1);
	/* 1024 bytes without a newline: refused. */
	memset(req, 'x', sizeof(req));
	r = ask(req, CONTROL_LINE_MAX + 1);
	assert_string_equal(r, "error request longer than 1024 bytes\n");
}

static void test_big_reply(void **state)
{
	(void)state;
	size_t cap = 600000;
	char *reply = malloc(cap);
	assert_non_null(reply);
	int fd = connect_to(path);
	send_all(fd, "big 500000\n", 11);
	size_t n = read_reply(fd, reply, cap);
	assert_int_equal(n, 3 + 500000 + 1);
	assert_memory_equal(reply, "ok\nabc", 6);
	assert_int_equal(reply[n - 1], '\n');
	free(reply);
	/* Past CONTROL_REPLY_MAX the reply becomes an error. */
	char req[64];
	snprintf(req, sizeof(req), "big %u\n", CONTROL_REPLY_MAX + 1);
	assert_string_equal(ASK(req), "error reply too large or out of memory\n");
}

static void test_hangup(void **state)
{
	(void)state;
	/* Clients that leave before reading their reply must not hurt the
	 * channel: small replies, large ones, and a reset mid-request. */
	const char *reqs[] = { "echo bye\n", "big 500000\n", "echo", "" };
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		int fd = connect_to(path);
		assert_true(fd >= 0);
		send_all(fd, reqs[i], strlen(reqs[i]));
		close(fd);
		for (int k = 0; k < 50; k++)
			uv_run(&loop, UV_RUN_NOWAIT);
		assert_string_equal(ASK("echo after\n"), "ok\necho|after\n");
	}
}

static void test_sigpipe_ignored(void **state)
{
	(void)state;
	/* control_start() took care of it; test_hangup relies on that. */
	struct sigaction sa;
	assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_IGN);
}

static void test_timeout(void **state)
{
	(void)state;
	control_set_timeout(ctl, 100);
	int fd = connect_to(path);
	assert_true(fd >= 0);
	uint64_t start = clock_now_ms();
	char reply[64];
	assert_int_equal(read_reply(fd, reply, sizeof(reply)), 0); /* dropped, no reply */
	assert_true(clock_now_ms() - start >= 90);
	assert_int_equal(handled, 0);
	/* A client that sends part of a line and then stalls also goes. */
	fd = connect_to(path);
	send_all(fd, "echo", 4);
	assert_int_equal(read_reply(fd, reply, sizeof(reply)), 0);
	assert_int_equal(handled, 0);
}

static void test_concurrent(void **state)
{
	(void)state;
	enum { N = 20 };
	int fds[N];
	for (int i = 0; i < N; i++) {
		fds[i] = connect_to(path);
		assert_true(fds[i] >= 0);
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	/* Answer in the reverse order of connecting. */
	for (int i = N - 1; i >= 0; i--) {
		char req[32], want[32], reply[64];
		snprintf(req, sizeof(req), "echo %d\n", i);
		snprintf(want, sizeof(want), "ok\necho|%d\n", i);
		send_all(fds[i], req, strlen(req));
		read_reply(fds[i], reply, sizeof(reply));
		assert_string_equal(reply, want);
	}
	/* More clients than CONTROL_MAX_CLIENTS wait and are then served. */
	enum { M = CONTROL_MAX_CLIENTS + 8 };
	int many[M];
	for (int i = 0; i < M; i++) {
		many[i] = connect_to(path);
		assert_true(many[i] >= 0);
		uv_run(&loop, UV_RUN_NOWAIT); /* accept while the backlog has room */
	}
	for (int i = 0; i < M; i++)
		send_all(many[i], "echo m\n", 7);
	for (int i = 0; i < M; i++) {
		char reply[64];
		read_reply(many[i], reply, sizeof(reply));
		assert_string_equal(reply, "ok\necho|m\n");
	}
}

static void test_mode(void **state)
{
	(void)state;
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_in_use(void **state)
{
	(void)state;
	struct control *other = NULL;
	assert_int_equal(control_start(&loop, path, handler, NULL, &other, err, sizeof(err)),
			 PC_EEXIST);
	assert_null(other);
	char want[256];
	snprintf(want, sizeof(want), "control socket %s is in use by another process", path);
	assert_string_equal(err, want);
	/* The running channel still works. */
	assert_string_equal(ASK("echo still\n"), "ok\necho|still\n");
}

static void test_stale_and_foreign(void **state)
{
	(void)state;
	char p2[160];
	snprintf(p2, sizeof(p2), "%s/stale.sock", dir);
	/* A socket file nobody listens on, as a crashed daemon leaves it. */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	assert_true(strlen(p2) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, p2, strlen(p2) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	struct control *c2 = NULL;
	int rc = control_start(&loop, p2, handler, NULL, &c2, err, sizeof(err));
	if (rc != 0)
		fail_msg("stale socket not replaced: %s", err);
	fd = connect_to(p2);
	assert_true(fd >= 0);
	send_all(fd, "echo two\n", 9);
	char reply[64];
	read_reply(fd, reply, sizeof(reply));
	assert_string_equal(reply, "ok\necho|two\n");
	control_stop(c2);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(access(p2, F_OK), -1); /* unlinked on stop */

	/* A regular file is never removed. */
	fd = open(p2, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(control_start(&loop, p2, handler, NULL, &c2, err, sizeof(err)), PC_EEXIST);
	assert_non_null(strstr(err, "exists and is not a socket"));
	assert_int_equal(access(p2, F_OK), 0);
	unlink(p2);

	/* Paths that do not fit a socket address are refused. */
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(control_start(&loop, longp, handler, NULL, &c2, err, sizeof(err)), PC_EINVAL);
	assert_int_equal(control_start(&loop, "", handler, NULL, &c2, err, sizeof(err)), PC_EINVAL);
}

static void test_stop_from_handler(void **state)
{
	(void)state;
	int waiting = connect_to(path); /* connected, says nothing */
	assert_true(waiting >= 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	int fd = connect_to(path);
	send_all(fd, "stop\n", 5);
	char reply[64];
	read_reply(fd, reply, sizeof(reply));
	assert_string_equal(reply, "ok\nstopping\n");
	assert_int_equal(access(path, F_OK), -1);
	/* The silent client was dropped, and the loop has nothing left. */
	assert_int_equal(read_reply(waiting, reply, sizeof(reply)), 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ctl = NULL; /* already stopped; teardown's control_stop(NULL) is a no-op */
}

static void test_out_standalone(void **state)
{
	(void)state;
	struct control_out *o = control_out_new();
	assert_non_null(o);
	bool is_err = true;
	assert_string_equal(control_out_text(o, &is_err), "");
	assert_false(is_err);
	control_out_printf(o, "a=%d\n", 1);
	control_out_printf(o, "b=%s\n", "x");
	assert_string_equal(control_out_text(o, &is_err), "a=1\nb=x\n");
	assert_false(is_err);
	control_out_error(o, "bad %s", "thing");
	control_out_printf(o, "ignored");
	assert_string_equal(control_out_text(o, &is_err), "bad thing");
	assert_true(is_err);
	control_out_error(o, "second");
	assert_string_equal(control_out_text(o, NULL), "second");
	control_out_free(o);
	control_out_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigpipe_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hangup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_from_handler, setup, teardown),
		cmocka_unit_test(test_out_standalone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
