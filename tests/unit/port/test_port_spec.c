/* Unit tests for port_spec: command line, port specs, sysctl files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "port/port_spec.h"
#include "util/err.h"

static int parse(struct port_args *a, char *err, int argc, ...)
{
	char *argv[16];
	va_list ap;

	argv[0] = "portcullis-port";
	va_start(ap, argc);
	for (int i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	return port_args_parse(argc, argv, a, err, 200);
}

static void test_single_port(void **state)
{
	struct port_args a;
	char err[200];

	(void)state;
	assert_int_equal(parse(&a, err, 2, "53"), 0);
	assert_int_equal(a.kind, PORT_Q_PORT);
	assert_int_equal(a.lo, 53);
	assert_int_equal(a.hi, 53);
	assert_int_equal(a.tmask, PORT_BOTH);
	assert_string_equal(a.control, PORT_CONTROL_DEFAULT);
	assert_int_equal(parse(&a, err, 2, "65535"), 0);
	assert_int_equal(a.lo, 65535);
	assert_int_equal(a.nitems, 1);
}

/* Port 0 is refused with a sentence that says why, instead of listing
 * every unconnected socket (their peer port is 0). */
static void test_port_zero(void **state)
{
	struct port_args a;
	char err[200];

	(void)state;
	assert_int_equal(parse(&a, err, 2, "0"), PC_EINVAL);
	assert_non_null(strstr(err, "port 0 is never in use"));
	assert_non_null(strstr(err, "1 to 65535"));
	assert_int_equal(parse(&a, err, 2, ":0"), PC_EINVAL);
	assert_int_equal(parse(&a, err, 2, "0/udp"), PC_EINVAL);
	assert_int_equal(parse(&a, err, 2, "0-0"), PC_EINVAL);
	assert_int_equal(parse(&a, err, 2, "53,0"), PC_EINVAL);
	assert_non_null(strstr(err, "port 0 is never in use"));
	/* A range may start at 0: the system ports, 0-1023. */
	assert_int_equal(parse(&a, err, 2, "0-1023"), 0);
	assert_int_equal(a.kind, PORT_Q_RANGE);
	assert_int_equal(a.hi, 1023);
}

/* The forms people type, from ss, lsof, services(5) and nmap. */
static void test_forms(void **state)
{
	struct port_args a;
	char err[200];

	(void)state;
	assert_int_equal(parse(&a, err, 2, ":53"), 0);
	assert_int_equal(a.kind, PORT_Q_PORT);
	assert_int_equal(a.lo, 53);
	assert_int_equal(a.tmask, PORT_BOTH);
	assert_int_equal(parse(&a, err, 2, "53/udp"), 0);
	assert_int_equal(a.kind, PORT_Q_PORT);
	assert_int_equal(a.lo, 53);
	assert_int_equal(a.tmask, PORT_UDP);
	assert_int_equal(a.items[0].tmask, PORT_UDP);
	assert_int_equal(parse(&a, err, 2, "udp/53"), 0);
	assert_int_equal(a.lo, 53);
	assert_int_equal(a.tmask, PORT_UDP);
	assert_int_equal(parse(&a, err, 2, "53/TCP"), 0);
	assert_int_equal(a.tmask, PORT_TCP);
	assert_int_equal(parse(&a, err, 2, ":53/udp"), 0);
	assert_int_equal(a.tmask, PORT_UDP);
	assert_int_equal(parse(&a, err, 2, ":60000-60999"), 0);
	assert_int_equal(a.kind, PORT_Q_RANGE);
	assert_int_equal(a.lo, 60000);
	assert_int_equal(a.hi, 60999);
	/* Agreeing and disagreeing with the options. */
	assert_int_equal(parse(&a, err, 3, "53/udp", "--udp"), 0);
	assert_int_equal(a.tmask, PORT_UDP);
	assert_int_equal(parse(&a, err, 3, "53/udp", "--tcp"), PC_EINVAL);
	assert_non_null(strstr(err, "one transport"));
	assert_int_equal(parse(&a, err, 4, "53/udp", "--tcp", "--udp"), 0);
	assert_int_equal(a.tmask, PORT_UDP);

	assert_int_equal(parse(&a, err, 2, "53,80,443"), 0);
	assert_int_equal(a.kind, PORT_Q_LIST);
	assert_int_equal(a.nitems, 3);
	assert_int_equal(a.items[0].lo, 53);
	assert_int_equal(a.items[1].lo, 80);
	assert_int_equal(a.items[2].lo, 443);
	assert_int_equal(a.items[2].hi, 443);
	assert_int_equal(a.items[1].tmask, PORT_BOTH);
	assert_int_equal(parse(&a, err, 3, ":53,80/tcp,udp/5000-5010", "-u"), PC_EINVAL);
	assert_non_null(strstr(err, "one transport")); /* 80/tcp against -u */
	assert_int_equal(parse(&a, err, 2, ":53,80/tcp,udp/5000-5010"), 0);
	assert_int_equal(a.nitems, 3);
	assert_int_equal(a.items[0].tmask, PORT_BOTH);
	assert_int_equal(a.items[1].tmask, PORT_TCP);
	assert_int_equal(a.items[2].tmask, PORT_UDP);
	assert_int_equal(a.items[2].lo, 5000);
	assert_int_equal(a.items[2].hi, 5010);

	assert_int_equal(parse(&a, err, 2, "domain/tcp"), 0);
	assert_int_equal(a.kind, PORT_Q_SERVICE);
	assert_string_equal(a.word, "domain");
	assert_int_equal(a.tmask, PORT_TCP);
	assert_int_equal(parse(&a, err, 2, "udp/domain"), 0);
	assert_string_equal(a.word, "domain");
	assert_int_equal(a.tmask, PORT_UDP);
	assert_int_equal(parse(&a, err, 2, "domain"), 0);
	assert_int_equal(a.tmask, PORT_BOTH);

	static const char *bad[] = { "53/sctp", "53/foo", "tcp/udp", "53/", "/53", "53,", ",53",
				     "53,,80", "53,domain", "53/tcp/udp", ":", "53,70000" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(&a, err, 3, "--", bad[i]), PC_EINVAL);
		assert_true(strlen(err) > 0);
		assert_null(strchr(err, '\n'));
	}
	char many[400] = "1";
	for (int i = 2; i <= 65; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), ",%d", i);
	assert_int_equal(parse(&a, err, 2, many), PC_EINVAL);
	assert_non_null(strstr(err, "too many"));
	assert_int_equal(parse(&a, err, 3, "-w", "53"), 0);
	assert_true(a.wide);
	assert_int_equal(parse(&a, err, 3, "--wide", "53"), 0);
	assert_true(a.wide);
}

static void test_range_and_flags(void **state)
{
	struct port_args a;
	char err[200];

	(void)state;
	assert_int_equal(parse(&a, err, 6, "--udp", "60023-60081", "--json", "-n",
			       "--all-netns"), 0);
	assert_int_equal(a.kind, PORT_Q_RANGE);
	assert_int_equal(a.lo, 60023);
	assert_int_equal(a.hi, 60081);
	assert_int_equal(a.tmask, PORT_UDP);
	assert_true(a.json && a.numeric && a.all_netns);
	assert_int_equal(parse(&a, err, 4, "5-5", "--control=/x.ctl", "-t"), 0);
	assert_int_equal(a.lo, 5);
	assert_string_equal(a.control, "/x.ctl");
	assert_true(a.control_given);
	assert_int_equal(a.tmask, PORT_TCP);
}

static void test_names_and_like(void **state)
{
	struct port_args a;
	char err[200];

	(void)state;
	assert_int_equal(parse(&a, err, 2, "ipsec-nat-t"), 0);
	assert_int_equal(a.kind, PORT_Q_SERVICE);
	assert_string_equal(a.word, "ipsec-nat-t");
	assert_int_equal(parse(&a, err, 3, "--like", "dns"), 0);
	assert_int_equal(a.kind, PORT_Q_LIKE);
	assert_string_equal(a.word, "dns");
	assert_int_equal(parse(&a, err, 2, "--like=DNS"), 0);
	assert_string_equal(a.word, "DNS");
}

static void test_bad_input(void **state)
{
	static const char *bad[] = { "70000", "5-3", "1-", "-5", "65536-65537", "99999999999" };
	struct port_args a;
	char err[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(&a, err, 3, "--", bad[i]), PC_EINVAL);
		assert_true(strlen(err) > 0);
		assert_null(strchr(err, '\n'));
	}
	assert_int_equal(parse(&a, err, 3, "53", "--bogus"), PC_EINVAL);
	assert_non_null(strstr(err, "unknown option"));
	assert_int_equal(parse(&a, err, 1), PC_EINVAL);
	assert_int_equal(parse(&a, err, 3, "53", "54"), PC_EINVAL);
	assert_int_equal(parse(&a, err, 2, "--like"), PC_EINVAL);
	assert_int_equal(parse(&a, err, 4, "--like", "x", "53"), PC_EINVAL);
	assert_int_equal(parse(&a, err, 2, "--control"), PC_EINVAL);
	assert_int_equal(parse(&a, err, 2, "--likely"), PC_EINVAL);
}

static void test_u16(void **state)
{
	uint16_t v;

	(void)state;
	assert_int_equal(port_u16_parse("053", 3, &v), 0);
	assert_int_equal(v, 53);
	assert_int_equal(port_u16_parse("", 0, &v), PC_EINVAL);
	assert_int_equal(port_u16_parse("65536", 5, &v), PC_EINVAL);
	assert_int_equal(port_u16_parse("+1", 2, &v), PC_EINVAL);
	assert_int_equal(port_u16_parse("12", 1, &v), 0); /* honours len */
	assert_int_equal(v, 1);
}

static void test_sysctl_range(void **state)
{
	uint16_t lo, hi;

	(void)state;
	assert_int_equal(port_sysctl_range_parse("32768\t60999\n", 12, &lo, &hi), 0);
	assert_int_equal(lo, 32768);
	assert_int_equal(hi, 60999);
	assert_int_equal(port_sysctl_range_parse("1 2", 3, &lo, &hi), 0);
	assert_int_equal(port_sysctl_range_parse("12", 2, &lo, &hi), PC_EMALFORMED);
	assert_int_equal(port_sysctl_range_parse("9 3\n", 4, &lo, &hi), PC_EMALFORMED);
	assert_int_equal(port_sysctl_range_parse("1 2 3", 5, &lo, &hi), PC_EMALFORMED);
}

static void test_reserved(void **state)
{
	static uint8_t bits[8192];
	const char *s = "53,8080-8082,65535\n";

	(void)state;
	memset(bits, 0, sizeof(bits));
	assert_int_equal(port_reserved_parse(s, strlen(s), bits), 0);
	assert_true(port_bit_get(bits, 53));
	assert_false(port_bit_get(bits, 54));
	assert_true(port_bit_get(bits, 8081));
	assert_true(port_bit_get(bits, 8082));
	assert_false(port_bit_get(bits, 8083));
	assert_true(port_bit_get(bits, 65535));
	memset(bits, 0, sizeof(bits));
	assert_int_equal(port_reserved_parse("\n", 1, bits), 0);
	assert_int_equal(port_reserved_parse("", 0, bits), 0);
	assert_int_equal(port_reserved_parse("5-3", 3, bits), PC_EMALFORMED);
	assert_int_equal(port_reserved_parse("x", 1, bits), PC_EMALFORMED);
	assert_int_equal(port_reserved_parse("1;2", 3, bits), PC_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_port),
		cmocka_unit_test(test_port_zero),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_range_and_flags),
		cmocka_unit_test(test_names_and_like),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_u16),
		cmocka_unit_test(test_sysctl_range),
		cmocka_unit_test(test_reserved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
