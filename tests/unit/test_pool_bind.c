/* How the pool reports a bind the system refuses. bind() is interposed here
 * (the test's definition wins over libc's for the whole program), so a test
 * can make the kernel's answer EPERM, EADDRINUSE or EACCES on demand. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "daemon/config.h"
#include "daemon/options.h"
#include "net/pool.h"
#include "util/err.h"

static int refuse_errno;   /* 0: let bind through */
static int refuse_count;   /* refuse this many binds, then let them through */
static int binds_seen;

int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	binds_seen++;
	if (refuse_errno != 0 && refuse_count > 0) {
		refuse_count--;
		errno = refuse_errno;
		return -1;
	}
	return (int)syscall(SYS_bind, fd, sa, len);
}

static void on_reply(void *ud, struct pool_sock *s, uint8_t *pkt, size_t len,
		     const struct sockaddr_storage *from, unsigned rxflags)
{
	(void)ud, (void)s, (void)pkt, (void)len, (void)from, (void)rxflags;
}

static int open_pool(struct config *cfg, char *err, size_t errlen)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct pool p;
	struct pool_opts opts;
	options_pool(&opts, cfg);
	int rc = pool_open(&p, &loop, &opts, on_reply, NULL, err, errlen);
	pool_close(&p);
	uv_run(&loop, UV_RUN_DEFAULT);
	pool_free(&p);
	uv_loop_close(&loop);
	return rc;
}

static void small_pool(struct config *cfg)
{
	config_defaults(cfg);
	cfg->do_ip6 = false;
	cfg->socket_pool_size = 4;
}

static void test_eperm_is_reported_as_eperm(void **state)
{
	(void)state;
	static struct config cfg;
	small_pool(&cfg);
	char err[256] = "";
	refuse_errno = EPERM;
	refuse_count = 1000;
	int rc = open_pool(&cfg, err, sizeof(err));
	refuse_errno = 0;
	assert_int_equal(rc, PC_EIO);
	if (strstr(err, "Operation not permitted") == NULL)
		fail_msg("expected the system's reason, got '%s'", err);
	assert_null(strstr(err, "out of memory"));
}

static void test_taken_ports_are_drawn_again(void **state)
{
	(void)state;
	static struct config cfg;
	small_pool(&cfg);
	char err[256] = "";
	refuse_errno = EADDRINUSE;
	refuse_count = 3;
	binds_seen = 0;
	int rc = open_pool(&cfg, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(binds_seen, 4 + 3);
	refuse_errno = EACCES;
	refuse_count = 2;
	binds_seen = 0;
	rc = open_pool(&cfg, err, sizeof(err));
	refuse_errno = 0;
	assert_int_equal(rc, 0);
	assert_int_equal(binds_seen, 4 + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eperm_is_reported_as_eperm),
		cmocka_unit_test(test_taken_ports_are_drawn_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
