/* Unit tests for core/dns64.h: the address format against the table of
 * RFC 6052 section 2.4 (every prefix length, 192.0.2.33), the prefix
 * parser's refusals, when an AAAA answer calls for the A question, the TTL
 * cap of RFC 6147 5.1.7, and the rewriting of an A answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "core/dns64.h"
#include "wire/wire.h"

static void v6(const char *text, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, text, out), 1);
}

/* RFC 6052 2.4, Table 1. */
static void test_rfc6052_table(void **state)
{
	(void)state;
	static const struct {
		const char *prefix, *expect;
	} rows[] = {
		{ "2001:db8::/32", "2001:db8:c000:221::" },
		{ "2001:db8:100::/40", "2001:db8:1c0:2:21::" },
		{ "2001:db8:122::/48", "2001:db8:122:c000:2:2100::" },
		{ "2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::" },
		{ "2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0" },
		{ "2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33" },
		{ "64:ff9b::/96", "64:ff9b::192.0.2.33" },
	};
	const uint8_t v4[4] = { 192, 0, 2, 33 };
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t prefix[16], got[16], want[16];
		unsigned plen = 0;
		char err[128];
		assert_int_equal(dns64_parse_prefix(rows[i].prefix, prefix, &plen, err, sizeof(err)), 0);
		dns64_embed(prefix, plen, v4, got);
		v6(rows[i].expect, want);
		if (memcmp(got, want, 16) != 0) {
			char t[INET6_ADDRSTRLEN];
			inet_ntop(AF_INET6, got, t, sizeof(t));
			fail_msg("%s: got %s, want %s", rows[i].prefix, t, rows[i].expect);
		}
	}
}

static void test_parse_prefix(void **state)
{
	(void)state;
	uint8_t p[16];
	unsigned plen = 0;
	char err[128];
	/* no length: /96 */
	assert_int_equal(dns64_parse_prefix("fe80::21b:aabb:0:0", p, &plen, err, sizeof(err)), 0);
	assert_int_equal(plen, 96);
	static const char *bad[] = {
		"64:ff9b::/95",      /* not one of RFC 6052's lengths */
		"64:ff9b::/129",
		"64:ff9b::/",
		"64:ff9b::/x96",
		"64:ff9b::/-96",
		"192.0.2.0/24",      /* not IPv6 */
		"64:ff9b::1/96",     /* bits past the length */
		"2001:db8:1::/32",
		"",
		"/96",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (dns64_parse_prefix(bad[i], p, &plen, err, sizeof(err)) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_true(err[0] != 0);
	}
}

static const uint8_t WWW[] = "\3www\7example\0";
static const uint8_t ALIAS[] = "\5alias\7example\0";
static const uint8_t ZONE[] = "\7example\0";

static struct core_rr rr(const uint8_t *owner, uint16_t type, uint32_t ttl, const void *rd,
			 uint16_t len)
{
	struct core_rr r = { .owner = owner, .type = type, .rclass = WIRE_C_IN, .ttl = ttl,
			     .rdata = rd, .rdlen = len };
	return r;
}

/* An SOA RDATA with MINIMUM min: two root names, then five numbers. */
static void soa_rdata(uint8_t out[22], uint32_t min)
{
	memset(out, 0, 22);
	out[18] = (uint8_t)(min >> 24);
	out[19] = (uint8_t)(min >> 16);
	out[20] = (uint8_t)(min >> 8);
	out[21] = (uint8_t)min;
}

static void test_wants_a(void **state)
{
	(void)state;
	static struct dns64_opts o;
	memset(&o, 0, sizeof(o));
	static struct core_answer a;
	memset(&a, 0, sizeof(a));
	static const uint8_t six[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	/* NODATA */
	a.rcode = WIRE_RC_NOERROR;
	assert_true(dns64_wants_a(&o, WWW, &a));
	/* a CNAME and no AAAA at its end */
	a.an[a.n_an++] = rr(ALIAS, WIRE_T_CNAME, 300, WWW, sizeof(WWW));
	assert_true(dns64_wants_a(&o, ALIAS, &a));
	/* an AAAA record: no synthesis, unless synthall or an ignored name */
	a.an[a.n_an++] = rr(WWW, WIRE_T_AAAA, 300, six, 16);
	assert_false(dns64_wants_a(&o, ALIAS, &a));
	o.synthall = true;
	assert_true(dns64_wants_a(&o, ALIAS, &a));
	o.synthall = false;
	memcpy(o.ignore[o.n_ignore++], ALIAS, sizeof(ALIAS));
	assert_true(dns64_wants_a(&o, ALIAS, &a));
	assert_false(dns64_wants_a(&o, WWW, &a));
	/* never over NXDOMAIN or SERVFAIL (RFC 6147 5.1.2, 5.1.3) */
	a.n_an = 0;
	a.rcode = WIRE_RC_NXDOMAIN;
	assert_false(dns64_wants_a(&o, WWW, &a));
	a.rcode = WIRE_RC_SERVFAIL;
	assert_false(dns64_wants_a(&o, WWW, &a));
}

static void test_ttl_cap(void **state)
{
	(void)state;
	static struct core_answer a;
	memset(&a, 0, sizeof(a));
	assert_int_equal(dns64_ttl_cap(&a), 600); /* no SOA: 600 s */
	uint8_t soa[22];
	soa_rdata(soa, 45);
	a.ns[a.n_ns++] = rr(ZONE, WIRE_T_SOA, 3600, soa, sizeof(soa));
	assert_int_equal(dns64_ttl_cap(&a), 45); /* the MINIMUM field, not the TTL */
}

static void test_synth(void **state)
{
	(void)state;
	struct dns64_opts o;
	memset(&o, 0, sizeof(o));
	char err[128];
	assert_int_equal(dns64_parse_prefix("64:ff9b::/96", o.prefix, &o.plen, err, sizeof(err)), 0);
	static struct core_answer a;
	memset(&a, 0, sizeof(a));
	static const uint8_t ip1[4] = { 192, 0, 2, 1 }, ip2[4] = { 198, 51, 100, 7 };
	static const uint8_t sig_a[] = { 0, WIRE_T_A, 13, 2 };
	static const uint8_t sig_cname[] = { 0, WIRE_T_CNAME, 13, 2 };
	a.rcode = WIRE_RC_NOERROR;
	a.secure = true;
	a.an[a.n_an++] = rr(ALIAS, WIRE_T_CNAME, 3000, WWW, sizeof(WWW));
	a.an[a.n_an++] = rr(ALIAS, WIRE_T_RRSIG, 3000, sig_cname, sizeof(sig_cname));
	a.an[a.n_an++] = rr(WWW, WIRE_T_A, 1000, ip1, 4);
	a.an[a.n_an++] = rr(WWW, WIRE_T_A, 10, ip2, 4);
	a.an[a.n_an++] = rr(WWW, WIRE_T_RRSIG, 1000, sig_a, sizeof(sig_a));
	a.ns[a.n_ns++] = rr(ZONE, WIRE_T_NS, 300, WWW, sizeof(WWW));
	assert_true(dns64_has_a(&a));
	uint8_t store[CORE_MAX_ANSWER][16];
	dns64_synth(&o, &a, 100, store);
	assert_false(a.secure);
	assert_int_equal(a.n_ns, 0);
	assert_int_equal(a.n_an, 4); /* CNAME, its RRSIG, two AAAA; the RRSIG over A gone */
	assert_int_equal(a.an[0].type, WIRE_T_CNAME);
	assert_int_equal(a.an[0].ttl, 3000); /* the chain keeps its TTLs */
	assert_int_equal(a.an[1].type, WIRE_T_RRSIG);
	uint8_t want[16];
	v6("64:ff9b::192.0.2.1", want);
	assert_int_equal(a.an[2].type, WIRE_T_AAAA);
	assert_int_equal(a.an[2].rdlen, 16);
	assert_memory_equal(a.an[2].rdata, want, 16);
	assert_int_equal(a.an[2].ttl, 100); /* capped */
	v6("64:ff9b::198.51.100.7", want);
	assert_memory_equal(a.an[3].rdata, want, 16);
	assert_int_equal(a.an[3].ttl, 10); /* below the cap: its own */
	assert_true(wire_name_eq(a.an[3].owner, WWW));

	/* nothing to synthesise from */
	memset(&a, 0, sizeof(a));
	a.rcode = WIRE_RC_NOERROR;
	a.an[a.n_an++] = rr(ALIAS, WIRE_T_CNAME, 3000, WWW, sizeof(WWW));
	assert_false(dns64_has_a(&a));
	a.an[a.n_an++] = rr(WWW, WIRE_T_A, 10, ip2, 3); /* a malformed A record */
	assert_false(dns64_has_a(&a));
	a.rcode = WIRE_RC_NXDOMAIN;
	assert_false(dns64_has_a(&a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6052_table),
		cmocka_unit_test(test_parse_prefix),
		cmocka_unit_test(test_wants_a),
		cmocka_unit_test(test_ttl_cap),
		cmocka_unit_test(test_synth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
