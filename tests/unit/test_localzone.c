/* Unit tests for local zones: the text forms (daemon/localconf.h: one
 * record per local-data line, local-data-ptr, local-zone) with the exact
 * wire they give, and the table's answers (core/localzone.h) for each
 * zone type, the defaults, nodefault and lz_governs. Expected wire bytes
 * are written out by hand from RFC 1035 / 3596 / 2782 / 3597. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/localzone.h"
#include "daemon/config.h"
#include "daemon/localconf.h"
#include "util/err.h"
#include "wire/wire.h"

static struct localconf_rr *rr;
static char err[256];

static int setup(void **state)
{
	(void)state;
	rr = calloc(1, sizeof(*rr));
	return rr == NULL;
}

static int teardown(void **state)
{
	(void)state;
	free(rr);
	return 0;
}

static void name_is(const uint8_t *got, const char *text)
{
	uint8_t want[WIRE_NAME_MAX];
	assert_true(wire_name_from_text(text, want) > 0);
	assert_true(wire_name_eq_exact(got, want));
}

static void parses(const char *text, uint16_t type, uint32_t ttl, const void *rdata,
		   size_t rdlen)
{
	err[0] = '\0';
	int rc = localconf_parse_rr(text, rr, err, sizeof(err));
	if (rc != 0)
		fail_msg("\"%s\": %s", text, err);
	assert_int_equal(rr->type, type);
	assert_int_equal(rr->ttl, ttl);
	assert_int_equal(rr->rdlen, rdlen);
	assert_memory_equal(rr->rdata, rdata, rdlen);
}

static void refused(const char *text, const char *why)
{
	err[0] = '\0';
	assert_int_equal(localconf_parse_rr(text, rr, err, sizeof(err)), PC_EINVAL);
	if (strstr(err, why) == NULL)
		fail_msg("\"%s\": error \"%s\" lacks \"%s\"", text, err, why);
}

static void record_types(void **state)
{
	(void)state;
	parses("www.example.com. 300 IN A 192.0.2.1", WIRE_T_A, 300, "\xc0\x00\x02\x01", 4);
	name_is(rr->owner, "www.example.com.");
	/* no TTL: 3600; no class: IN; owner lowercased */
	parses("WWW.Example.COM A 192.0.2.1", WIRE_T_A, 3600, "\xc0\x00\x02\x01", 4);
	name_is(rr->owner, "www.example.com.");
	parses("a.example. 60 IN AAAA 2001:db8::1", WIRE_T_AAAA, 60,
	       "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	parses("a.example. CNAME b.example.", WIRE_T_CNAME, 3600, "\1b\7example\0", 11);
	parses("a.example. NS ns.example.", WIRE_T_NS, 3600, "\2ns\7example\0", 12);
	parses("1.2.0.192.in-addr.arpa. PTR host.example.", WIRE_T_PTR, 3600,
	       "\4host\7example\0", 14);
	parses("a.example. MX 10 mail.example.", WIRE_T_MX, 3600, "\0\x0a\4mail\7example\0", 16);
	parses("a.example. TXT \"hello world\" two", WIRE_T_TXT, 3600,
	       "\x0bhello world\3two", 16);
	parses("_sip._udp.example. SRV 1 2 5060 sip.example.", WIRE_T_SRV, 3600,
	       "\0\1\0\2\x13\xc4\3sip\7example\0", 19);
	parses("example. 10 SOA ns.example. h.example. 7 3600 1200 604800 60", WIRE_T_SOA, 10,
	       "\2ns\7example\0\1h\7example\0\0\0\0\7\0\0\x0e\x10\0\0\x04\xb0\0\x09\x3a\x80"
	       "\0\0\0\x3c",
	       12 + 11 + 20);
	/* RFC 3597: unknown type, generic rdata */
	parses("a.example. TYPE65280 \\# 3 abcdef", 65280, 3600, "\xab\xcd\xef", 3);
	parses("a.example. A \\# 4 c0000201", WIRE_T_A, 3600, "\xc0\x00\x02\x01", 4);
}

static void bad_records(void **state)
{
	(void)state;
	refused("", "empty");
	refused("   ", "empty");
	refused("www.example. A 999.1.1.1", "not a record");
	/* RFC 3597 data that ldns takes but no SVCB record holds: it could not
	 * be listed as text that reads back (found by fuzz_localdata) */
	refused("x.example. TYPE64,29 \\# www/\x02\"e\t\t[[", "not valid for type 64");
	refused("www.example. A", "not a record");
	refused("www.example. NOSUCHTYPE 1", "not a record");
	refused("www.example. CH A 192.0.2.1", "class must be IN");
	refused("www.example. ANY 192.0.2.1", "");
	refused("www.example. OPT \\# 0", "not a data type");
	refused("$ORIGIN example.", "owner");
	refused("; comment", "owner");
	refused("@ A 192.0.2.1", "owner");
	refused("www.example. 4294967295 A 192.0.2.1", "TTL");
}

static void ptr_and_zone_forms(void **state)
{
	(void)state;
	assert_int_equal(localconf_parse_ptr("192.0.2.10 www.example.", rr, err, sizeof(err)), 0);
	name_is(rr->owner, "10.2.0.192.in-addr.arpa.");
	assert_int_equal(rr->type, WIRE_T_PTR);
	assert_int_equal(rr->ttl, 3600);
	assert_int_equal(rr->rdlen, 13);
	assert_memory_equal(rr->rdata, "\3www\7example\0", 13);
	assert_int_equal(localconf_parse_ptr("2001:db8::1 7200 h.example", rr, err, sizeof(err)), 0);
	name_is(rr->owner, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
	assert_int_equal(rr->ttl, 7200);
	assert_int_equal(localconf_parse_ptr("192.0.2.300 x.", rr, err, sizeof(err)), PC_EINVAL);
	assert_int_equal(localconf_parse_ptr("192.0.2.1", rr, err, sizeof(err)), PC_EINVAL);
	assert_int_equal(localconf_parse_ptr("192.0.2.1 x 60 y", rr, err, sizeof(err)), PC_EINVAL);
	assert_int_equal(localconf_parse_ptr("192.0.2.1 -5 x.", rr, err, sizeof(err)), PC_EINVAL);

	uint8_t name[WIRE_NAME_MAX];
	enum lz_type type;
	assert_int_equal(localconf_parse_zone("\"Example.COM.\" static", name, &type, err,
					      sizeof(err)), 0);
	name_is(name, "example.com.");
	assert_int_equal(type, LZ_STATIC);
	assert_int_equal(localconf_parse_zone("example. always_nxdomain", name, &type, err,
					      sizeof(err)), 0);
	assert_int_equal(type, LZ_ALWAYS_NXDOMAIN);
	assert_int_equal(localconf_parse_zone("example. nodefault", name, &type, err, sizeof(err)),
			 0);
	assert_int_equal(type, LZ_NODEFAULT);
	assert_int_equal(localconf_parse_zone("example. sideways", name, &type, err, sizeof(err)),
			 PC_EINVAL);
	assert_int_equal(localconf_parse_zone("example.", name, &type, err, sizeof(err)), PC_EINVAL);
	assert_int_equal(localconf_parse_zone("a b c", name, &type, err, sizeof(err)), PC_EINVAL);
}

static void text_round_trip(void **state)
{
	(void)state;
	char text[512];
	const char *in[] = {
		"www.example.\t300\tIN\tA\t192.0.2.1",
		"example.\t60\tIN\tMX\t10 mail.example.",
		"example.\t60\tIN\tTXT\t\"a b\" \"c\"",
	};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(localconf_parse_rr(in[i], rr, err, sizeof(err)), 0);
		assert_int_equal(localconf_rr_text(rr->owner, rr->type, rr->ttl, rr->rdata,
						   rr->rdlen, text, sizeof(text)), 0);
		assert_string_equal(text, in[i]);
	}
}

/* ---- the table ---------------------------------------------------------- */

static struct core_answer ans;

static struct lz_table *table(void)
{
	struct lz_table *t = lz_new(1);
	assert_non_null(t);
	return t;
}

static void zone(struct lz_table *t, const char *name, enum lz_type type)
{
	uint8_t n[WIRE_NAME_MAX];
	assert_true(wire_name_from_text(name, n) > 0);
	assert_int_equal(lz_zone_set(t, n, type), 0);
}

static void data(struct lz_table *t, const char *text)
{
	assert_int_equal(localconf_parse_rr(text, rr, err, sizeof(err)), 0);
	assert_int_equal(lz_data_add(t, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen), 0);
}

static enum lz_verdict ask(struct lz_table *t, const char *name, uint16_t qtype)
{
	uint8_t n[WIRE_NAME_MAX];
	bool inform;
	assert_true(wire_name_from_text(name, n) > 0);
	return lz_answer(t, n, qtype, &ans, &inform, NULL);
}

static bool governs(struct lz_table *t, const char *name)
{
	uint8_t n[WIRE_NAME_MAX];
	assert_true(wire_name_from_text(name, n) > 0);
	return lz_governs(t, n);
}

static void zone_types(void **state)
{
	(void)state;
	struct lz_table *t = table();
	zone(t, "st.", LZ_STATIC);
	data(t, "st. 100 SOA ns.st. h.st. 1 2 3 4 30");
	data(t, "www.st. A 192.0.2.1");
	data(t, "deep.ent.st. A 192.0.2.2");
	assert_int_equal(ask(t, "WWW.st.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_NOERROR);
	assert_int_equal(ans.n_an, 1);
	name_is(ans.an[0].owner, "www.st.");
	assert_int_equal(ask(t, "www.st.", WIRE_T_AAAA), LZ_ANSWER);
	assert_int_equal(ans.n_an, 0);
	assert_int_equal(ans.rcode, WIRE_RC_NOERROR);
	assert_int_equal(ans.n_ns, 1);
	assert_int_equal(ans.ns[0].ttl, 30); /* min(SOA TTL, minimum) */
	assert_int_equal(ask(t, "nx.st.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_NXDOMAIN);
	assert_int_equal(ask(t, "ent.st.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_NOERROR); /* empty non-terminal */
	assert_int_equal(ask(t, "www.st.", WIRE_T_ANY), LZ_ANSWER);
	assert_int_equal(ans.n_an, 1);

	zone(t, "tr.", LZ_TRANSPARENT);
	data(t, "www.tr. A 192.0.2.1");
	data(t, "a.b.tr. A 192.0.2.1");
	assert_int_equal(ask(t, "www.tr.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ask(t, "www.tr.", WIRE_T_MX), LZ_ANSWER);
	assert_int_equal(ans.n_an, 0);
	assert_int_equal(ask(t, "other.tr.", WIRE_T_A), LZ_RESOLVE);
	assert_int_equal(ask(t, "b.tr.", WIRE_T_A), LZ_RESOLVE); /* ENT: resolved */
	assert_true(governs(t, "www.tr."));
	assert_false(governs(t, "other.tr."));
	assert_false(governs(t, "b.tr."));

	zone(t, "tt.", LZ_TYPETRANSPARENT);
	data(t, "www.tt. A 192.0.2.1");
	assert_int_equal(ask(t, "www.tt.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ask(t, "www.tt.", WIRE_T_MX), LZ_RESOLVE);

	zone(t, "rd.", LZ_REDIRECT);
	data(t, "rd. A 192.0.2.9");
	assert_int_equal(ask(t, "a.b.rd.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ans.n_an, 1);
	name_is(ans.an[0].owner, "a.b.rd.");
	assert_int_equal(ask(t, "a.b.rd.", WIRE_T_MX), LZ_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_NOERROR);
	assert_int_equal(ans.n_an, 0);
	assert_true(governs(t, "x.rd."));

	zone(t, "rf.", LZ_REFUSE);
	data(t, "www.rf. A 192.0.2.1");
	assert_int_equal(ask(t, "www.rf.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ans.n_an, 1);
	assert_int_equal(ask(t, "x.rf.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_REFUSED);

	zone(t, "dn.", LZ_DENY);
	data(t, "www.dn. A 192.0.2.1");
	assert_int_equal(ask(t, "www.dn.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ask(t, "x.dn.", WIRE_T_A), LZ_DROP);

	zone(t, "an.", LZ_ALWAYS_NXDOMAIN);
	data(t, "www.an. A 192.0.2.1");
	assert_int_equal(ask(t, "www.an.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_NXDOMAIN);
	zone(t, "at.", LZ_ALWAYS_TRANSPARENT);
	data(t, "www.at. A 192.0.2.1");
	assert_int_equal(ask(t, "www.at.", WIRE_T_A), LZ_RESOLVE);
	assert_false(governs(t, "www.at."));
	zone(t, "ar.", LZ_ALWAYS_REFUSE);
	assert_int_equal(ask(t, "ar.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_REFUSED);

	/* a deeper zone wins */
	zone(t, "open.st.", LZ_TRANSPARENT);
	assert_int_equal(ask(t, "x.open.st.", WIRE_T_A), LZ_RESOLVE);
	assert_false(governs(t, "x.open.st."));
	assert_true(governs(t, "x.st."));
	assert_int_equal(ask(t, "outside.", WIRE_T_A), LZ_RESOLVE);
	assert_false(governs(t, "outside."));
	lz_free(t);
}

static void changes(void **state)
{
	(void)state;
	struct lz_table *t = table();
	/* data without a zone makes a transparent one at its owner */
	data(t, "h.example. A 192.0.2.1");
	data(t, "h.example. A 192.0.2.1"); /* the same record once */
	data(t, "h.example. A 192.0.2.2");
	assert_int_equal(ask(t, "h.example.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ans.n_an, 2);
	assert_int_equal(ask(t, "example.", WIRE_T_A), LZ_RESOLVE);
	uint8_t n[WIRE_NAME_MAX];
	wire_name_from_text("h.example.", n);
	assert_true(lz_has_zone(t, n));
	/* a CNAME holds its name alone */
	assert_int_equal(localconf_parse_rr("h.example. CNAME x.", rr, err, sizeof(err)), 0);
	assert_int_equal(lz_data_add(t, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen),
			 PC_EINVAL);
	data(t, "c.example. CNAME h.example.");
	assert_int_equal(localconf_parse_rr("c.example. A 192.0.2.1", rr, err, sizeof(err)), 0);
	assert_int_equal(lz_data_add(t, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen),
			 PC_EINVAL);
	assert_int_equal(ask(t, "c.example.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ans.an[0].type, WIRE_T_CNAME);
	/* removal */
	assert_int_equal(lz_data_remove(t, n), 1);
	assert_int_equal(ask(t, "h.example.", WIRE_T_A), LZ_RESOLVE); /* its zone stays */
	assert_int_equal(lz_zone_remove(t, n), 0);
	assert_false(lz_has_zone(t, n));
	assert_int_equal(lz_zone_remove(t, n), PC_ENOTFOUND);
	/* removing a zone takes its data, not that of a deeper zone */
	zone(t, "z.", LZ_STATIC);
	zone(t, "sub.z.", LZ_STATIC);
	data(t, "a.z. A 192.0.2.1");
	data(t, "a.sub.z. A 192.0.2.1");
	wire_name_from_text("z.", n);
	assert_int_equal(lz_zone_remove(t, n), 0);
	assert_int_equal(ask(t, "a.z.", WIRE_T_A), LZ_RESOLVE);
	assert_int_equal(ask(t, "a.sub.z.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ans.n_an, 1);
	lz_free(t);
}

static void defaults_and_nodefault(void **state)
{
	(void)state;
	struct lz_table *t = table();
	uint8_t skip[1][WIRE_NAME_MAX];
	wire_name_from_text("10.in-addr.arpa.", skip[0]);
	zone(t, "onion.", LZ_TRANSPARENT); /* the operator's own zone wins */
	assert_int_equal(lz_add_defaults(t, (const uint8_t(*)[WIRE_NAME_MAX])skip, 1), 0);
	assert_int_equal(ask(t, "localhost.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ans.n_an, 1);
	assert_memory_equal(ans.an[0].rdata, "\x7f\0\0\1", 4);
	assert_int_equal(ans.an[0].ttl, 10800);
	assert_int_equal(ask(t, "x.y.localhost.", WIRE_T_AAAA), LZ_ANSWER);
	assert_int_equal(ans.n_an, 1);
	assert_int_equal(ask(t, "1.0.0.127.in-addr.arpa.", WIRE_T_PTR), LZ_ANSWER);
	assert_int_equal(ans.n_an, 1);
	assert_int_equal(ask(t, "9.9.168.192.in-addr.arpa.", WIRE_T_PTR), LZ_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_NXDOMAIN);
	assert_int_equal(ans.n_ns, 1);
	name_is(ans.ns[0].owner, "168.192.in-addr.arpa.");
	for (const char *const *z = (const char *const[]){ "31.172.in-addr.arpa.",
							    "127.100.in-addr.arpa.",
							    "b.e.f.ip6.arpa.", "home.arpa.",
							    "test.", "invalid.", NULL };
	     *z != NULL; z++) {
		assert_int_equal(ask(t, *z, WIRE_T_A), LZ_ANSWER);
		assert_int_equal(ans.rcode, WIRE_RC_NOERROR); /* the apex: NODATA */
	}
	assert_int_equal(ask(t, "1.32.172.in-addr.arpa.", WIRE_T_PTR), LZ_RESOLVE);
	assert_int_equal(ask(t, "1.128.100.in-addr.arpa.", WIRE_T_PTR), LZ_RESOLVE);
	assert_int_equal(ask(t, "1.2.3.10.in-addr.arpa.", WIRE_T_PTR), LZ_RESOLVE); /* skipped */
	assert_int_equal(ask(t, "x.onion.", WIRE_T_A), LZ_RESOLVE);
	lz_free(t);
}

static void build_from_config(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	static const char text[] = "server:\n"
				   "  local-zone: \"Corp.\" static   # comment\n"
				   "  local-data: 'txt.corp. TXT \"hi there\"'\n"
				   "  local-data-ptr: \"192.0.2.5 h.corp.\"\n"
				   "  local-zone: localhost. nodefault\n";
	assert_int_equal(config_parse(&cfg, "x.conf", text, sizeof(text) - 1, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_local, 4);
	assert_int_equal(cfg.local[1].line, 3);
	struct lz_table *t;
	size_t bad;
	assert_int_equal(localconf_build(&t, &cfg, 1, &bad, err, sizeof(err)), 0);
	assert_int_equal(ask(t, "txt.corp.", WIRE_T_TXT), LZ_ANSWER);
	assert_int_equal(ans.n_an, 1);
	assert_memory_equal(ans.an[0].rdata, "\x08hi there", 9);
	assert_int_equal(ask(t, "nx.corp.", WIRE_T_A), LZ_ANSWER);
	assert_int_equal(ans.rcode, WIRE_RC_NXDOMAIN);
	assert_int_equal(ask(t, "5.2.0.192.in-addr.arpa.", WIRE_T_PTR), LZ_ANSWER);
	assert_int_equal(ask(t, "localhost.", WIRE_T_A), LZ_RESOLVE);
	lz_free(t);
	/* a failed parse leaves the lines as they were */
	static const char bad_text[] = "server:\n  local-data: \"a.corp. A 192.0.2.1\"\n"
				       "  local-data: \"a.corp. CNAME b.corp.\"\n";
	assert_int_equal(config_parse(&cfg, "y.conf", bad_text, sizeof(bad_text) - 1, err,
				      sizeof(err)),
			 PC_EINVAL);
	assert_non_null(strstr(err, "y.conf:3: local-data: a CNAME cannot share"));
	assert_int_equal(cfg.n_local, 4);
	config_free(&cfg);
	assert_int_equal(cfg.n_local, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(record_types, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_records, setup, teardown),
		cmocka_unit_test_setup_teardown(ptr_and_zone_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(text_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(zone_types, setup, teardown),
		cmocka_unit_test_setup_teardown(changes, setup, teardown),
		cmocka_unit_test_setup_teardown(defaults_and_nodefault, setup, teardown),
		cmocka_unit_test_setup_teardown(build_from_config, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
