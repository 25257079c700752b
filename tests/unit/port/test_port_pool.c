/* Unit tests for port_pool: the pool JSON reader and socket marking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "port/port_pool.h"
#include "util/err.h"

static int parse(const char *s, struct port_pool *p)
{
	return port_pool_parse(s, strlen(s), p);
}

static void test_schema(void **state)
{
	struct port_pool p;
	const char *s = "{\"pid\": 1234, \"size\": 2500, \"sockets\": ["
			"{\"family\": \"ip4\", \"port\": 60026, \"sent\": 3, \"accepted\": 3, \"dropped\": 0},\n"
			"{\"family\": \"ip6\", \"port\": 60027, \"sent\": 9, \"accepted\": 8, \"dropped\": 1}]}\n";

	(void)state;
	assert_int_equal(parse(s, &p), 0);
	assert_int_equal(p.pid, 1234);
	assert_int_equal(p.size, 2500);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.socks[0].family, AF_INET);
	assert_int_equal(p.socks[0].port, 60026);
	assert_int_equal(p.socks[1].family, AF_INET6);
	assert_int_equal(p.socks[1].dropped, 1);
	port_pool_free(&p);
}

static void test_activity(void **state)
{
	struct port_pool p;
	/* What the daemon says a socket has been doing: idle time and its
	 * recent peers, most recent first; broken peer entries are skipped,
	 * more than four are ignored, and an old daemon's reply (no such
	 * fields) leaves idle_ms unknown. */
	const char *s = "{\"pid\": 9, \"sockets\": ["
			"{\"family\": \"ip4\", \"port\": 60026, \"sent\": 3, \"idle_ms\": 1250,"
			" \"peers\": [{\"addr\": \"127.1.0.1\", \"port\": 53, \"queries\": 2},"
			" {\"addr\": \"::1\", \"port\": 53, \"queries\": 1, \"later\": [1]},"
			" {\"port\": 53}, {\"addr\": \"127.9.9.9\", \"port\": 0}, 5,"
			" {\"addr\": \"a\", \"port\": 1}, {\"addr\": \"b\", \"port\": 2},"
			" {\"addr\": \"c\", \"port\": 3}]},"
			"{\"family\": \"ip4\", \"port\": 60027, \"idle_ms\": null, \"peers\": []},"
			"{\"family\": \"ip4\", \"port\": 60028, \"sent\": 1}]}";

	(void)state;
	assert_int_equal(parse(s, &p), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.socks[0].idle_ms, 1250);
	assert_int_equal(p.socks[0].npeers, 4);
	assert_string_equal(p.socks[0].peers[0].addr, "127.1.0.1");
	assert_int_equal(p.socks[0].peers[0].port, 53);
	assert_int_equal(p.socks[0].peers[0].queries, 2);
	assert_string_equal(p.socks[0].peers[1].addr, "::1");
	assert_string_equal(p.socks[0].peers[2].addr, "a");
	assert_string_equal(p.socks[0].peers[3].addr, "b");
	assert_int_equal(p.socks[1].idle_ms, -1);
	assert_int_equal(p.socks[1].npeers, 0);
	assert_int_equal(p.socks[2].idle_ms, -1);
	assert_int_equal(p.socks[2].npeers, 0);
	port_pool_free(&p);
	assert_int_equal(parse("{\"sockets\": [{\"family\": \"ip4\", \"port\": 1, "
			       "\"peers\": [{\"addr\": 1]}]}", &p), PC_EMALFORMED);
}

static void test_tolerant(void **state)
{
	struct port_pool p;
	/* Unknown keys of every kind, reordered fields, odd entries skipped. */
	const char *s = "{\"version\": \"2\", \"x\": {\"a\": [1, 2.5e3, true, null, \"\\u00e9\"]},"
			" \"sockets\": [{\"port\": 5, \"family\": \"ip4\", \"extra\": {}},"
			" {\"family\": \"ipx\", \"port\": 6}, {\"family\": \"ip4\"}, 7,"
			" {\"family\": \"ip4\", \"port\": 70000}], \"pid\": 42}";

	(void)state;
	assert_int_equal(parse(s, &p), 0);
	assert_int_equal(p.pid, 42);
	assert_int_equal(p.size, -1);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.socks[0].port, 5);
	port_pool_free(&p);
}

static void test_malformed(void **state)
{
	static const char *bad[] = {
		"", "{", "[]", "{\"pid\": }", "{\"pid\": 1,}", "{\"sockets\": [{]}",
		"{\"a\": \"unterminated}", "{\"a\": 1} trailing", "{\"a\": tru}",
		"{\"a\": \"\\q\"}", "{\"a\": -}", "{\"a\": 1.}",
		"{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	};
	struct port_pool p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &p), PC_EMALFORMED);
		assert_null(p.socks);
	}
	/* Length is honoured: the same text cut short is malformed. */
	assert_int_equal(port_pool_parse("{\"pid\": 1}", 5, &p), PC_EMALFORMED);
}

static void test_reply_framing(void **state)
{
	struct port_pool p;
	char err[64];
	const char *ok = "ok\n{\"pid\": 7, \"sockets\": []}\n";
	const char *no = "error pool: unknown argument\n";

	(void)state;
	assert_int_equal(port_pool_parse_reply(ok, strlen(ok), &p, err, sizeof(err)), 0);
	assert_int_equal(p.pid, 7);
	port_pool_free(&p);
	assert_int_equal(port_pool_parse_reply(no, strlen(no), &p, err, sizeof(err)), PC_EINVAL);
	assert_string_equal(err, "pool: unknown argument");
}

static void test_mark(void **state)
{
	struct port_sockset set = { 0 };
	struct port_owner ow[2] = { { 10, 100, "portcullis" }, { 11, 200, "other" } };
	struct port_owners owners = { ow, 2, 2, 0 };
	struct port_pool_sock ps[2] = { { .family = AF_INET, .port = 60026, .sent = 7 },
					{ .family = AF_INET, .port = 60027 } };
	struct port_pool pool = { 100, 2, ps, 2, 5 };
	struct port_sock s;
	int pid[4] = { 0 };
	const struct port_pool_sock *ent[4] = { NULL };

	(void)state;
	memset(&s, 0, sizeof(s));
	s.family = AF_INET;
	s.proto = IPPROTO_UDP;
	s.netns = 5;
	s.lport = 60026;
	s.inode = 10; /* held by the daemon: in the pool */
	assert_int_equal(port_sockset_add(&set, &s), 0);
	s.lport = 60027;
	s.inode = 11; /* right port, another process: not in the pool */
	assert_int_equal(port_sockset_add(&set, &s), 0);
	s.inode = 12; /* owner unknown: port and family decide */
	assert_int_equal(port_sockset_add(&set, &s), 0);
	s.proto = IPPROTO_TCP; /* pools are UDP */
	assert_int_equal(port_sockset_add(&set, &s), 0);
	port_pool_mark(&set, &owners, &pool, 1, pid, ent);
	assert_int_equal(pid[0], 100);
	/* The pool's own record comes with it: what the socket has been doing. */
	assert_non_null(ent[0]);
	assert_int_equal(ent[0]->port, 60026);
	assert_int_equal(ent[0]->sent, 7);
	assert_null(ent[1]);
	assert_non_null(ent[2]);
	assert_null(ent[3]);
	assert_int_equal(pid[1], 0);
	assert_int_equal(pid[2], 100);
	assert_int_equal(pid[3], 0);
	port_sockset_free(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema),
		cmocka_unit_test(test_activity),
		cmocka_unit_test(test_tolerant),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_reply_framing),
		cmocka_unit_test(test_mark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
