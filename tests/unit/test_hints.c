/* Unit tests for root hints: the built-in list, master-file features that
 * ldns handles for us, and each check with its "FILE:LINE:" message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hints.h"
#include "util/err.h"
#include "wire/wire.h"

static char err[512];

static int load(const char *text, struct hints *h)
{
	err[0] = '\0';
	return hints_load_text(text, strlen(text), "h.txt", h, err, sizeof(err));
}

#define ERR(text, want) do { \
	struct hints h_; \
	assert_int_equal(load(text, &h_), PC_EINVAL); \
	if (strncmp(err, want, strlen(want)) != 0) \
		fail_msg("expected '%s', got '%s'", want, err); \
	assert_null(h_.rr); \
	assert_int_equal(h_.n, 0); \
} while (0)

static const struct hints_rr *find(const struct hints *h, const char *owner, uint16_t type)
{
	uint8_t name[WIRE_NAME_MAX];
	assert_true(wire_name_from_text(owner, name) > 0);
	for (size_t i = 0; i < h->n; i++)
		if (h->rr[i].type == type && wire_name_eq_exact(h->rr[i].owner, name))
			return &h->rr[i];
	return NULL;
}

static void test_builtin(void **state)
{
	(void)state;
	struct hints h;
	assert_int_equal(hints_load_builtin(&h), 0);
	assert_int_equal(h.n, 13 * 3);
	size_t ns = 0, a = 0, aaaa = 0;
	for (size_t i = 0; i < h.n; i++) {
		ns += h.rr[i].type == WIRE_T_NS;
		a += h.rr[i].type == WIRE_T_A;
		aaaa += h.rr[i].type == WIRE_T_AAAA;
		assert_int_equal(h.rr[i].ttl, 3600000);
	}
	assert_int_equal(ns, 13);
	assert_int_equal(a, 13);
	assert_int_equal(aaaa, 13);

	const struct hints_rr *r = find(&h, "a.root-servers.net.", WIRE_T_A);
	assert_non_null(r);
	assert_int_equal(r->rdlen, 4);
	uint8_t v4[4];
	inet_pton(AF_INET, "198.41.0.4", v4);
	assert_memory_equal(r->rdata, v4, 4);
	r = find(&h, "m.root-servers.net.", WIRE_T_AAAA);
	assert_non_null(r);
	uint8_t v6[16];
	inet_pton(AF_INET6, "2001:dc3::35", v6);
	assert_int_equal(r->rdlen, 16);
	assert_memory_equal(r->rdata, v6, 16);

	/* NS rdata is an uncompressed wire name. */
	r = find(&h, ".", WIRE_T_NS);
	assert_non_null(r);
	uint8_t want[WIRE_NAME_MAX];
	int n = wire_name_from_text("a.root-servers.net.", want);
	assert_int_equal(r->rdlen, n);
	assert_memory_equal(r->rdata, want, (size_t)n);
	hints_free(&h);
	assert_null(h.rr);
	assert_int_equal(h.n, 0);
}

static void test_master_file(void **state)
{
	(void)state;
	struct hints h;
	/* named.root style: upper case, comments, $ORIGIN, relative names,
	 * blank owner, parentheses, other types ignored. */
	const char *text =
		";       This file holds the information on root name servers\n"
		"$TTL 518400\n"
		".                        3600000      NS    A.ROOT-SERVERS.NET.\n"
		"A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4\n"
		"                         3600000      AAAA  2001:503:ba3e::2:30\n"
		"$ORIGIN lab.\n"
		"@     IN NS ( ns1 )\n"
		"ns1   A 127.1.0.1 ; comment\n"
		"ns1   TXT \"ignored\"\n"
		"ns1   MX 10 mail\n";
	ERR(text, "h.txt:7: NS record for lab.: root hints hold NS records for \".\" only");

	text = "$TTL 518400\n"
	       ".    3600000 IN NS A.ROOT-SERVERS.NET.\n"
	       "A.ROOT-SERVERS.NET. 3600000 A 198.41.0.4\n"
	       "                    3600000 AAAA 2001:503:ba3e::2:30\n"
	       "$ORIGIN lab.\n"
	       ". NS ( ns1 )\n"
	       "ns1 A 127.1.0.1 ; comment\n"
	       "ns1 TXT \"ignored\"\n";
	assert_int_equal(load(text, &h), 0);
	assert_int_equal(h.n, 5);
	const struct hints_rr *r = find(&h, "a.root-servers.net.", WIRE_T_AAAA);
	assert_non_null(r); /* owner lowercased, blank owner = previous one */
	assert_int_equal(r->ttl, 3600000);
	r = find(&h, "ns1.lab.", WIRE_T_A);
	assert_non_null(r);
	assert_int_equal(r->ttl, 518400);
	uint8_t want[WIRE_NAME_MAX];
	int n = wire_name_from_text("ns1.lab.", want);
	assert_int_equal(h.rr[3].type, WIRE_T_NS);
	assert_int_equal(h.rr[3].rdlen, n);
	assert_memory_equal(h.rr[3].rdata, want, (size_t)n);
	n = wire_name_from_text("a.root-servers.net.", want);
	assert_memory_equal(h.rr[0].rdata, want, (size_t)n); /* NS target lowercased */
	hints_free(&h);
}

static void test_errors(void **state)
{
	(void)state;
	ERR("", "h.txt:1: no NS record for the root \".\"");
	ERR("; nothing\n\n", "h.txt:2: no NS record for the root \".\"");
	ERR("a.root. A 1.2.3.4\n", "h.txt:1: no NS record for the root");
	ERR(". NS a.root.\n. NS b.root.\na.root. A 1.2.3.4\n",
	    "h.txt:2: root server b.root. has no A or AAAA record");
	ERR(". NS a.root.\n\na.root. A 1.2.3.999\n", "h.txt:3: ");
	ERR(". NS a.root.\ncom. NS a.gtld.\n", "h.txt:2: NS record for com.: root hints hold NS records");
	ERR(". CH NS a.root.\n", "h.txt:1: class is not IN");
	ERR("$INCLUDE /etc/passwd\n", "h.txt:1: $INCLUDE is not supported");
	ERR(". NS a.root.\na.root. FROB 1.2.3.4\n", "h.txt:2: ");
	char nul[] = ". NS a.root.\na.root.\0 A 1.2.3.4\n";
	struct hints h;
	assert_int_equal(hints_load_text(nul, sizeof(nul) - 1, "h.txt", &h, err, sizeof(err)), PC_EINVAL);
	assert_string_equal(err, "h.txt:2: NUL byte in text");
	/* The message is one line. */
	assert_null(strchr(err, '\n'));
}

static void test_limits(void **state)
{
	(void)state;
	size_t cap = (HINTS_MAX_RR + 2) * 32;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t len = (size_t)sprintf(text, ". NS a.root.\n");
	for (int i = 0; i < HINTS_MAX_RR; i++)
		len += (size_t)sprintf(text + len, "a.root. A 10.%d.%d.1\n", i / 256, i % 256);
	struct hints h;
	assert_int_equal(hints_load_text(text, len, "big", &h, err, sizeof(err)), PC_EINVAL);
	char want[64];
	snprintf(want, sizeof(want), "big:%d: more than %d", HINTS_MAX_RR + 1, HINTS_MAX_RR);
	assert_memory_equal(err, want, strlen(want));
	free(text);

	text = malloc(HINTS_MAX_TEXT + 1);
	assert_non_null(text);
	memset(text, '\n', HINTS_MAX_TEXT + 1);
	assert_int_equal(hints_load_text(text, HINTS_MAX_TEXT + 1, "big", &h, err, sizeof(err)),
			 PC_EINVAL);
	assert_string_equal(err, "big: larger than 1048576 bytes");
	free(text);
}

static void test_file(void **state)
{
	(void)state;
	char path[] = "/tmp/pc-test-hints-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = ". NS ns.lab.\nns.lab. A 127.0.0.1\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct hints h;
	assert_int_equal(hints_load_file(path, &h, err, sizeof(err)), 0);
	assert_int_equal(h.n, 2);
	hints_free(&h);
	unlink(path);
	assert_int_equal(hints_load_file(path, &h, err, sizeof(err)), PC_EIO);
	char want[128];
	snprintf(want, sizeof(want), "%s: cannot open: ", path);
	assert_memory_equal(err, want, strlen(want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_master_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
