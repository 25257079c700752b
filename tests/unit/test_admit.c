/* Unit tests for query admission (daemon/admit.h): the verdict and the
 * answer for each kind of query, and that admit_plain never lets through
 * a query admit_query would answer itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/admit.h"
#include "daemon/config.h"
#include "wire/wire.h"

static struct config cfg;
static struct wire_msg msg;
static struct core_answer ans;

/* Parse a query for name/type/class with the given flags and EDNS
 * (edns_version < 0: no OPT). */
static const struct wire_msg *query(const char *name, uint16_t type, uint16_t qclass,
				    uint16_t flags, int edns_version)
{
	uint8_t wname[WIRE_NAME_MAX], buf[512];
	assert_true(wire_name_from_text(name, wname) > 0);
	int n = wire_build_query(buf, sizeof(buf), 0x1234, flags, wname, type, qclass,
				 edns_version < 0 ? 0 : 1232, false, NULL, 0);
	assert_true(n > 0);
	if (edns_version > 0)
		buf[n - 5] = (uint8_t)edns_version; /* the OPT TTL's version byte */
	assert_int_equal(wire_parse(&msg, buf, (size_t)n), 0);
	return &msg;
}

static enum admit_verdict verdict(const struct wire_msg *m)
{
	memset(&ans, 0xa5, sizeof(ans.an[0]));
	enum admit_verdict v = admit_query(&cfg, m, &ans);
	/* the inline shortcut may only ever say "resolve" for what is ordinary */
	if (admit_plain(m))
		assert_int_equal(v, ADMIT_RESOLVE);
	return v;
}

static const char *txt_of(const struct core_answer *a)
{
	static char out[256];
	assert_int_equal(a->n_an, 1);
	assert_int_equal(a->an[0].type, WIRE_T_TXT);
	assert_int_equal(a->an[0].rclass, WIRE_C_CH);
	assert_int_equal(a->an[0].ttl, 0);
	assert_int_equal(a->an[0].rdlen, a->an[0].rdata[0] + 1);
	memcpy(out, a->an[0].rdata + 1, a->an[0].rdata[0]);
	out[a->an[0].rdata[0]] = '\0';
	return out;
}

static int setup(void **state)
{
	(void)state;
	config_defaults(&cfg);
	return 0;
}

static void ordinary_queries_resolve(void **state)
{
	(void)state;
	uint16_t types[] = { WIRE_T_A, WIRE_T_AAAA, WIRE_T_MX, WIRE_T_ANY, 257, 65280, 0 };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_int_equal(verdict(query("www.example.lab", types[i], WIRE_C_IN,
					       WIRE_F_RD, 0)), ADMIT_RESOLVE);
		assert_int_equal(verdict(query("www.example.lab", types[i], WIRE_C_IN,
					       WIRE_F_RD, -1)), ADMIT_RESOLVE);
	}
	assert_true(admit_plain(query("www.example.lab", WIRE_T_A, WIRE_C_IN, WIRE_F_RD, 0)));
}

static void opcodes(void **state)
{
	(void)state;
	for (unsigned op = 0; op < 16; op++) {
		unsigned want = op == 0 || op == 4 ? 0 : WIRE_RC_NOTIMP;
		assert_int_equal(admit_opcode((uint16_t)(op << 11 | WIRE_F_RD)), want);
	}
	/* NOTIFY: refused, the opcode kept by the caller */
	const struct wire_msg *m = query("example.lab", WIRE_T_SOA, WIRE_C_IN, 4 << 11, -1);
	assert_false(admit_plain(m));
	assert_int_equal(verdict(m), ADMIT_ERROR);
	assert_int_equal(ans.rcode, WIRE_RC_REFUSED);
}

static void meta_types_and_transfers(void **state)
{
	(void)state;
	uint16_t formerr[] = { WIRE_T_OPT, 128, 200, 248, 249, 250, 253, 254 };
	for (size_t i = 0; i < sizeof(formerr) / sizeof(formerr[0]); i++) {
		assert_int_equal(verdict(query("x.lab", formerr[i], WIRE_C_IN, 0, 0)), ADMIT_ANSWER);
		assert_int_equal(ans.rcode, WIRE_RC_FORMERR);
		assert_int_equal(ans.n_an, 0);
	}
	assert_int_equal(verdict(query("x.lab", WIRE_T_AXFR, WIRE_C_IN, 0, -1)), ADMIT_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_REFUSED);
	assert_int_equal(verdict(query("x.lab", WIRE_T_IXFR, WIRE_C_CH, 0, -1)), ADMIT_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_REFUSED);
}

static void edns_versions(void **state)
{
	(void)state;
	for (int v = 1; v < 256; v += 127) {
		const struct wire_msg *m = query("x.lab", WIRE_T_A, WIRE_C_IN, 0, v);
		assert_int_equal(m->edns_version, v);
		assert_false(admit_plain(m));
		assert_int_equal(verdict(m), ADMIT_ANSWER);
		assert_int_equal(ans.rcode, ADMIT_RC_BADVERS);
		assert_int_equal(ans.n_an, 0);
	}
}

static void classes(void **state)
{
	(void)state;
	uint16_t refused[] = { 0, 2, 4, 254, 255, 42, 65535 };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(verdict(query("www.example.lab", WIRE_T_A, refused[i], 0, 0)),
				 ADMIT_ANSWER);
		assert_int_equal(ans.rcode, WIRE_RC_REFUSED);
	}
}

static void chaos_names(void **state)
{
	(void)state;
	char host[256];
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_int_equal(verdict(query("VERSION.bind", WIRE_T_TXT, WIRE_C_CH, 0, 0)), ADMIT_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_NOERROR);
	assert_string_equal(txt_of(&ans), PC_VERSION_TEXT);
	assert_string_equal((const char *)ans.an[0].owner, "\7version\4bind");
	assert_int_equal(verdict(query("version.server", WIRE_T_ANY, WIRE_C_CH, 0, -1)),
			 ADMIT_ANSWER);
	assert_string_equal(txt_of(&ans), PC_VERSION_TEXT);
	assert_int_equal(verdict(query("id.server", WIRE_T_TXT, WIRE_C_CH, 0, -1)), ADMIT_ANSWER);
	assert_string_equal(txt_of(&ans), host);
	assert_int_equal(verdict(query("hostname.bind", WIRE_T_TXT, WIRE_C_CH, 0, -1)),
			 ADMIT_ANSWER);
	assert_string_equal(txt_of(&ans), host);

	strcpy(cfg.identity, "ns-7");
	strcpy(cfg.version, "v 42");
	assert_int_equal(verdict(query("id.server", WIRE_T_TXT, WIRE_C_CH, 0, -1)), ADMIT_ANSWER);
	assert_string_equal(txt_of(&ans), "ns-7");
	assert_int_equal(verdict(query("version.bind", WIRE_T_TXT, WIRE_C_CH, 0, -1)),
			 ADMIT_ANSWER);
	assert_string_equal(txt_of(&ans), "v 42");

	/* hidden, another type, another name, a name below: REFUSED */
	cfg.hide_identity = true;
	const char *names[] = { "id.server", "hostname.bind", "authors.bind", "a.version.bind",
				"bind" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(verdict(query(names[i], WIRE_T_TXT, WIRE_C_CH, 0, -1)),
				 ADMIT_ANSWER);
		assert_int_equal(ans.rcode, WIRE_RC_REFUSED);
		assert_int_equal(ans.n_an, 0);
	}
	assert_int_equal(verdict(query("version.bind", WIRE_T_A, WIRE_C_CH, 0, -1)), ADMIT_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_REFUSED);
	cfg.hide_version = true;
	assert_int_equal(verdict(query("version.bind", WIRE_T_TXT, WIRE_C_CH, 0, -1)),
			 ADMIT_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_REFUSED);
	/* and the IN class names are ordinary names */
	assert_int_equal(verdict(query("version.bind", WIRE_T_TXT, WIRE_C_IN, 0, -1)),
			 ADMIT_RESOLVE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(ordinary_queries_resolve, setup),
		cmocka_unit_test_setup(opcodes, setup),
		cmocka_unit_test_setup(meta_types_and_transfers, setup),
		cmocka_unit_test_setup(edns_versions, setup),
		cmocka_unit_test_setup(classes, setup),
		cmocka_unit_test_setup(chaos_names, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
