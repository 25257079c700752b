/* Unit tests for qlog's helpers (daemon/qlog.h): the length of a DNS
 * message in a larger buffer, from its counts (how log-replies and dnstap
 * learn the size of an answer written in a thread's scratch buffer), and
 * the mnemonics of types and classes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "daemon/qlog.h"

/* a. A IN, one answer by a compression pointer, an OPT record */
static const uint8_t answer[] = {
	0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 1,
	1, 'a', 0, 0, 1, 0, 1,
	0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1,
	0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0,
};

static void test_msg_len(void **state)
{
	(void)state;
	uint8_t buf[4096];
	memset(buf, 0xee, sizeof(buf)); /* what an earlier answer left */
	memcpy(buf, answer, sizeof(answer));
	assert_int_equal(qlog_msg_len(buf, sizeof(buf)), sizeof(answer));
	assert_int_equal(qlog_msg_len(answer, sizeof(answer)), sizeof(answer));
	/* cut anywhere: not a whole message */
	for (size_t n = 0; n < sizeof(answer); n++)
		assert_int_equal(qlog_msg_len(answer, n), 0);
	/* a header alone is a message */
	assert_int_equal(qlog_msg_len((const uint8_t *)"\0\0\x81\x80\0\0\0\0\0\0\0\0", 12), 12);
}

static void test_mnemonics(void **state)
{
	(void)state;
	char t[24];
	qlog_type_text(28, t, sizeof(t));
	assert_string_equal(t, "AAAA");
	qlog_type_text(65280, t, sizeof(t));
	assert_string_equal(t, "TYPE65280");
	qlog_class_text(3, t, sizeof(t));
	assert_string_equal(t, "CH");
	qlog_class_text(7, t, sizeof(t));
	assert_string_equal(t, "CLASS7");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_len),
		cmocka_unit_test(test_mnemonics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
