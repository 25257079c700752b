/* Unit tests for port_reg against the generated registry: the answers the
 * issue names (53, 443, 4500, a dynamic port) and the reverse lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "port/port_reg.h"
#include "port/port_spec.h"

static int rows_for(uint16_t port, unsigned tmask, const char *name, const char *transport)
{
	struct port_reg_iter it = { PORT_REG_PORTS, port, port, NULL, tmask, 0 };
	struct port_reg_view v;
	int n = 0;

	while (port_reg_next(&it, &v))
		n += strcmp(v.name, name) == 0 &&
		     strcmp(port_transport_name(v.transport), transport) == 0;
	return n;
}

static void test_well_known(void **state)
{
	(void)state;
	assert_int_equal(rows_for(53, PORT_BOTH, "domain", "tcp"), 1);
	assert_int_equal(rows_for(53, PORT_BOTH, "domain", "udp"), 1);
	assert_int_equal(rows_for(53, PORT_TCP, "domain", "udp"), 0);
	assert_int_equal(rows_for(443, PORT_BOTH, "https", "tcp"), 1);
	assert_int_equal(rows_for(443, PORT_BOTH, "https", "udp"), 1);
	assert_int_equal(rows_for(4500, PORT_BOTH, "ipsec-nat-t", "udp"), 1);
}

static void test_dynamic_port(void **state)
{
	struct port_reg_iter it = { PORT_REG_PORTS, 60026, 60026, NULL, PORT_BOTH, 0 };
	struct port_reg_view v;
	struct port_use_view u;
	bool windows = false, linux_eph = false;

	(void)state;
	assert_false(port_reg_next(&it, &v));
	assert_int_equal(port_iana_range_of(60026), PORT_DYNAMIC);
	assert_int_equal(port_iana_range_of(1023), PORT_SYSTEM);
	assert_int_equal(port_iana_range_of(1024), PORT_USER);
	assert_int_equal(port_iana_range_of(49152), PORT_DYNAMIC);
	it.pos = 0;
	while (port_use_next(&it, &u)) {
		assert_true(*u.source != '\0'); /* every row cites a source */
		windows |= strstr(u.what, "Windows DNS") != NULL;
		linux_eph |= u.lo == 32768 && u.hi == 60999;
	}
	assert_true(windows);
	assert_true(linux_eph);
}

static void test_reverse(void **state)
{
	struct port_reg_iter it = { PORT_REG_NAME, 0, 0, "DOMAIN", PORT_BOTH, 0 };
	struct port_reg_view v;
	int n = 0;

	(void)state;
	while (port_reg_next(&it, &v)) {
		assert_int_equal(v.lo, 53);
		n++;
	}
	assert_int_equal(n, 2);
	struct port_reg_iter like = { PORT_REG_LIKE, 0, 0, "dns", PORT_BOTH, 0 };
	n = 0;
	bool dot = false;
	while (port_reg_next(&like, &v)) {
		dot |= strcmp(v.name, "domain-s") == 0;
		n++;
	}
	assert_true(dot);
	assert_true(n > 10);
	struct port_reg_iter none = { PORT_REG_NAME, 0, 0, "no-such-service-x", PORT_BOTH, 0 };
	assert_false(port_reg_next(&none, &v));
}

static bool suggests(const char *word, unsigned tmask, const char *name, size_t *rank)
{
	struct port_suggestion sg[4];
	size_t n = port_reg_suggest(word, tmask, sg, 4);

	for (size_t i = 0; i < n; i++)
		if (strcmp(sg[i].name, name) == 0) {
			if (rank)
				*rank = i;
			return true;
		}
	return false;
}

static void test_suggest(void **state)
{
	size_t rank = 9;

	(void)state;
	/* "dns" is how people say the Domain Name Server: first. */
	assert_true(suggests("dns", PORT_BOTH, "domain", &rank));
	assert_int_equal(rank, 0);
	assert_true(suggests("DNS", PORT_UDP, "domain", NULL));
	assert_true(suggests("dns", PORT_BOTH, "dnsix", NULL)); /* starts with it */
	assert_true(suggests("htpp", PORT_BOTH, "http", &rank)); /* a typo */
	assert_int_equal(rank, 0);
	assert_true(suggests("domian", PORT_BOTH, "domain", NULL));
	assert_true(suggests("ipsec-nat", PORT_UDP, "ipsec-nat-t", NULL));
	struct port_suggestion sg[4];
	assert_int_equal(port_reg_suggest("qqqqqqqqzzzzzz", PORT_BOTH, sg, 4), 0);
	/* Every suggestion is a real name with a port, never twice. */
	size_t n = port_reg_suggest("dns", PORT_BOTH, sg, 4);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(sg[i].name, sg[j].name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_well_known),
		cmocka_unit_test(test_dynamic_port),
		cmocka_unit_test(test_reverse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
