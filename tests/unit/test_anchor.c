/* Unit tests for trust anchors: parsing (each error with its "FILE:LINE:"
 * message), the closest-anchor lookup and negative anchors, the built-in
 * root anchor against Debian's dns-root-data. (RFC 5011 and the autotrust
 * file: test_anchor5011.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/anchor.h"
#include "core/dnssec.h"
#include "util/err.h"
#include "wire/wire.h"

static char err[512];

/* KSK-2017 and KSK-2024 as the root publishes them. */
#define KSK2017 "AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU="
#define KSK2024 "AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJNnOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+siFUiRAAxm9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHOijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc="

static void wname(const char *text, uint8_t out[WIRE_NAME_MAX])
{
	assert_true(wire_name_from_text(text, out) > 0);
}

static int add(struct anchor_set *set, const char *text)
{
	err[0] = '\0';
	return anchor_add_text(set, text, strlen(text), "ta.txt", err, sizeof(err));
}

#define ERR(text, want) do { \
	struct anchor_set *s_ = anchor_set_new(); \
	assert_non_null(s_); \
	int rc_ = add(s_, text); \
	if (rc_ != PC_EINVAL) \
		fail_msg("expected PC_EINVAL for %s, got %d (%s)", text, rc_, err); \
	if (strncmp(err, want, strlen(want)) != 0) \
		fail_msg("expected '%s', got '%s'", want, err); \
	assert_int_equal(anchor_set_count(s_), 0); \
	anchor_set_free(s_); \
} while (0)

/* A record that loads (as Unbound loads it) but can never match a key:
 * the set keeps it and says so once. */
#define WARN(text, want) do { \
	struct anchor_set *s_ = anchor_set_new(); \
	assert_non_null(s_); \
	if (add(s_, text) != 0) \
		fail_msg("expected %s to load, got '%s'", text, err); \
	const char *w_ = anchor_set_warning(s_); \
	if (w_ == NULL || strncmp(w_, want, strlen(want)) != 0) \
		fail_msg("expected the warning '%s', got '%s'", want, w_ ? w_ : "(none)"); \
	assert_int_equal(anchor_set_count(s_), 1); \
	anchor_set_free(s_); \
} while (0)

static const struct anchor_tp *exact(struct anchor_set *set, const char *owner)
{
	uint8_t n[WIRE_NAME_MAX];
	wname(owner, n);
	return anchor_find_exact(set, n);
}

static void test_parse_good(void **state)
{
	(void)state;
	struct anchor_set *set = anchor_set_new();
	assert_non_null(set);
	const char *text =
		"; Unbound-style trust anchor file\n"
		"$TTL 3600\n"
		". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
		".\t172800\tIN\tDNSKEY\t257 3 8 " KSK2024 " ; keytag 38696\n"
		"$ORIGIN zulu.\n"
		"sub 300 DS 1234 13 2 ( 00112233445566778899AABBCCDDEEFF\n"
		"                       00112233445566778899AABBCCDDEEFF )\n"
		"Sub.Zulu. DS 1234 13 2 00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF\n"
		"other.zulu. DS 99 8 4 "
		"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
		"202122232425262728292A2B2C2D2E2F\n";
	assert_int_equal(add(set, text), 0);
	assert_int_equal(anchor_set_count(set), 3);
	const struct anchor_tp *root = exact(set, ".");
	assert_non_null(root);
	assert_false(root->autotrust);
	assert_int_equal(root->n_ds, 1);
	assert_int_equal(root->ds[0].key_tag, 20326);
	assert_int_equal(root->ds[0].algorithm, 8);
	assert_int_equal(root->ds[0].digest_type, 2);
	assert_int_equal(root->ds[0].len, 4 + 32);
	assert_int_equal(root->n_dnskey, 1);
	assert_int_equal(root->dnskey[0].key_tag, 38696);
	assert_int_equal(root->dnskey[0].flags, 257);
	assert_int_equal(dnssec_key_tag(root->dnskey[0].rdata, root->dnskey[0].len), 38696);
	/* the two spellings of sub.zulu are one record of one point */
	const struct anchor_tp *sub = exact(set, "sub.zulu.");
	assert_non_null(sub);
	assert_int_equal(sub->n_ds, 1);
	assert_int_equal(sub->n_dnskey, 0);
	assert_int_equal(sub->labels, 2);
	assert_memory_equal(sub->owner, "\3sub\4zulu", 10);
	const struct anchor_tp *other = exact(set, "other.zulu.");
	assert_non_null(other);
	assert_int_equal(other->ds[0].digest_type, 4);
	/* a second text adds to the owner it names */
	assert_int_equal(add(set, "sub.zulu. DS 77 8 1 0011223344556677889900112233445566778899\n"), 0);
	assert_int_equal(anchor_set_count(set), 3);
	assert_int_equal(exact(set, "sub.zulu.")->n_ds, 2);
	assert_null(exact(set, "zulu."));
	anchor_set_free(set);
}

static void test_parse_errors(void **state)
{
	(void)state;
	ERR("", "ta.txt: no DS or DNSKEY record");
	ERR("; only a comment\n", "ta.txt: no DS or DNSKEY record");
	ERR(". IN A 192.0.2.1\n", "ta.txt:1: A record: a trust anchor is a DS or DNSKEY record");
	ERR("\n\n. CH DS 20326 8 2 "
	    "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n",
	    "ta.txt:3: class is not IN");
	WARN("\n. IN DS 20326 8 2 E06D44B80B8F1D39\n",
	     "ta.txt:2: DS digest of 8 bytes, digest type 2 needs 32: this anchor can match no key");
	WARN(". IN DS 20326 8 1 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n",
	     "ta.txt:1: DS digest of 32 bytes, digest type 1 needs 20");
	ERR(". IN DNSKEY 257 2 8 " KSK2024 "\n", "ta.txt:1: DNSKEY protocol 2, must be 3");
	ERR(". IN DNSKEY 1 3 8 " KSK2024 "\n",
	    "ta.txt:1: DNSKEY without the zone key flag (256)");
	ERR(". IN DS 20326 8 2 XYZ\n", "ta.txt:1: ");
	ERR("; c\n\n. IN DS 1 8 1 0011223344556677889900112233445566778899\n"
	    "\n\n. IN DS 20326 8 2 XYZ\n", "ta.txt:6: ");
	ERR(". IN DS twenty 8 2 00\n", "ta.txt:1: ");
	ERR(". IN DNSKEY 257 3 8 !!!notbase64\n", "ta.txt:1: ");
	ERR("$INCLUDE /etc/passwd\n",
	    "ta.txt:1: $INCLUDE is not supported in a trust anchor file");
	ERR("a..b. IN DS 1 8 2 00\n", "ta.txt:1: ");
	ERR("a\\;b. IN DS 1 8 1 0011223344556677889900112233445566778899\n",
	    "ta.txt:1: owner name with a character other than a letter, digit, '-' or '_'");
	/* an error on the last of several records: nothing is added */
	ERR(". IN DS 20326 8 2 "
	    "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
	    "zulu. IN NS ns.zulu.\n",
	    "ta.txt:2: NS record");
	/* errors with a file */
	struct anchor_set *set = anchor_set_new();
	assert_int_equal(anchor_add_file(set, "/nonexistent/ta.key", err, sizeof(err)), PC_EIO);
	assert_non_null(strstr(err, "/nonexistent/ta.key"));
	/* a NUL byte */
	static const char nul[] = "\n. IN DS 1 8 1 0011223344556677889900112233445566778899\0x\n";
	assert_int_equal(anchor_add_text(set, nul, sizeof(nul) - 1, "n", err, sizeof(err)),
			 PC_EINVAL);
	assert_string_equal(err, "n:2: NUL byte in text");
	/* text over the size limit */
	size_t big = ANCHOR_MAX_TEXT + 1;
	char *b = malloc(big);
	memset(b, ';', big);
	assert_int_equal(anchor_add_text(set, b, big, "big", err, sizeof(err)), PC_EINVAL);
	free(b);
	/* more records than a point may hold */
	char *many = malloc((ANCHOR_MAX_RR + 1) * 64 + 1), *w = many;
	for (int i = 0; i <= ANCHOR_MAX_RR; i++)
		w += sprintf(w, ". DS %d 8 1 %040d\n", i, i);
	assert_int_equal(add(set, many), PC_EINVAL);
	assert_non_null(strstr(err, "more than"));
	free(many);
	assert_int_equal(anchor_set_count(set), 0);
	anchor_set_free(set);
}

static void test_lookup(void **state)
{
	(void)state;
	struct anchor_set *set = anchor_set_new();
	assert_int_equal(add(set, ". DS 1 8 2 " "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF\n"
			      "zulu. DS 2 8 2 " "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF\n"
			      "deep.sub.zulu. DS 3 8 2 " "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF\n"),
			 0);
	uint8_t n[WIRE_NAME_MAX];
	const struct anchor_tp *tp;
#define LOOK(name, kind, tag) do { \
	wname(name, n); \
	assert_int_equal(anchor_lookup(set, n, &tp), kind); \
	if (kind == ANCHOR_TRUST) \
		assert_int_equal(tp->ds[0].key_tag, tag); \
	else \
		assert_null(tp); \
} while (0)
	LOOK(".", ANCHOR_TRUST, 1);
	LOOK("com.", ANCHOR_TRUST, 1);
	LOOK("zulu.", ANCHOR_TRUST, 2);
	LOOK("ZULU.", ANCHOR_TRUST, 2);
	LOOK("a.b.zulu.", ANCHOR_TRUST, 2);
	LOOK("sub.zulu.", ANCHOR_TRUST, 2);
	LOOK("deep.sub.zulu.", ANCHOR_TRUST, 3);
	LOOK("x.Deep.sub.zulu.", ANCHOR_TRUST, 3);
	LOOK("xdeep.sub.zulu.", ANCHOR_TRUST, 2);
	LOOK("azulu.", ANCHOR_TRUST, 1);
	/* negative anchors: below them insecure, unless a trust point is closer */
	wname("sub.zulu.", n);
	assert_int_equal(anchor_add_insecure(set, n), 0);
	assert_int_equal(anchor_add_insecure(set, n), 0);
	wname("LAB.", n);
	assert_int_equal(anchor_add_insecure(set, n), 0);
	assert_int_equal(anchor_set_insecure_count(set), 2);
	LOOK("sub.zulu.", ANCHOR_INSECURE, 0);
	LOOK("a.sub.zulu.", ANCHOR_INSECURE, 0);
	LOOK("deep.sub.zulu.", ANCHOR_TRUST, 3);
	LOOK("a.deep.sub.zulu.", ANCHOR_TRUST, 3);
	LOOK("zulu.", ANCHOR_TRUST, 2);
	LOOK("lab.", ANCHOR_INSECURE, 0);
	LOOK("x.lab.", ANCHOR_INSECURE, 0);
	/* a negative anchor at a trust point's owner wins */
	wname("zulu.", n);
	assert_int_equal(anchor_add_insecure(set, n), 0);
	LOOK("zulu.", ANCHOR_INSECURE, 0);
	LOOK("deep.sub.zulu.", ANCHOR_TRUST, 3);
	anchor_set_free(set);

	/* no anchor at all */
	set = anchor_set_new();
	LOOK("zulu.", ANCHOR_NONE, 0);
	wname("zulu.", n);
	assert_int_equal(anchor_add_insecure(set, n), 0);
	LOOK("zulu.", ANCHOR_INSECURE, 0);
	LOOK("com.", ANCHOR_NONE, 0);
#undef LOOK
	anchor_set_free(set);
}

/* The built-in root anchor: the two IANA DS records, and the same records
 * as Debian's dns-root-data when it is installed. */
static void test_builtin_root(void **state)
{
	(void)state;
	struct anchor_set *set = anchor_set_new();
	assert_int_equal(anchor_add_builtin_root(set), 0);
	const struct anchor_tp *tp = exact(set, ".");
	assert_non_null(tp);
	assert_int_equal(tp->n_ds, 2);
	assert_int_equal(tp->ds[0].key_tag, 20326);
	assert_int_equal(tp->ds[1].key_tag, 38696);
	/* each DS matches the published key it names */
	struct anchor_set *keys = anchor_set_new();
	assert_int_equal(add(keys, ". DNSKEY 257 3 8 " KSK2017 "\n. DNSKEY 257 3 8 " KSK2024 "\n"), 0);
	const struct anchor_tp *k = exact(keys, ".");
	assert_int_equal(k->n_dnskey, 2);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(dnssec_ds_match((const uint8_t *)"", k->dnskey[i].rdata,
						 k->dnskey[i].len, tp->ds[i].rdata, tp->ds[i].len),
				 DNSSEC_OK);
	anchor_set_free(keys);

	struct stat st;
	if (stat(ANCHOR_DEBIAN_ROOT_DS, &st) == 0) {
		struct anchor_set *deb = anchor_set_new();
		assert_int_equal(anchor_add_file(deb, ANCHOR_DEBIAN_ROOT_DS, err, sizeof(err)), 0);
		const struct anchor_tp *d = exact(deb, ".");
		assert_int_equal(d->n_ds, tp->n_ds);
		for (size_t i = 0; i < d->n_ds; i++) {
			assert_int_equal(d->ds[i].len, tp->ds[i].len);
			assert_memory_equal(d->ds[i].rdata, tp->ds[i].rdata, d->ds[i].len);
		}
		anchor_set_free(deb);
	} else {
		print_message("note: %s absent, the package comparison was not made\n",
			      ANCHOR_DEBIAN_ROOT_DS);
	}
	if (stat(ANCHOR_DEBIAN_ROOT_KEY, &st) == 0) {
		/* Debian's root.key holds the DNSKEYs the built-in DS records name */
		struct anchor_set *deb = anchor_set_new();
		assert_int_equal(anchor_add_file(deb, ANCHOR_DEBIAN_ROOT_KEY, err, sizeof(err)), 0);
		const struct anchor_tp *d = exact(deb, ".");
		size_t matched = 0;
		for (size_t i = 0; i < d->n_dnskey; i++)
			for (size_t j = 0; j < tp->n_ds; j++)
				matched += dnssec_ds_match((const uint8_t *)"", d->dnskey[i].rdata,
							   d->dnskey[i].len, tp->ds[j].rdata,
							   tp->ds[j].len) == DNSSEC_OK;
		assert_int_equal(matched, 2);
		anchor_set_free(deb);
	}
	anchor_set_free(set);

	/* the default: the file when it exists, built in otherwise */
	const char *src = NULL;
	set = anchor_set_new();
	assert_int_equal(anchor_add_default_root(set, "/nonexistent/root.key", &src, err,
						 sizeof(err)), 0);
	assert_string_equal(src, "built-in");
	assert_int_equal(exact(set, ".")->n_ds, 2);
	anchor_set_free(set);
	char path[] = "/tmp/test_anchor_rootXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *one = ". IN DNSKEY 257 3 8 " KSK2024 "\n";
	assert_int_equal(write(fd, one, strlen(one)), (ssize_t)strlen(one));
	close(fd);
	set = anchor_set_new();
	assert_int_equal(anchor_add_default_root(set, path, &src, err, sizeof(err)), 0);
	assert_string_equal(src, path);
	assert_int_equal(exact(set, ".")->n_ds, 0);
	assert_int_equal(exact(set, ".")->n_dnskey, 1);
	anchor_set_free(set);
	/* a default file that exists but is broken is an error, not a fallback */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, ". IN A 1.2.3.4\n", 15), 15);
	close(fd);
	set = anchor_set_new();
	assert_int_equal(anchor_add_default_root(set, path, &src, err, sizeof(err)), PC_EINVAL);
	anchor_set_free(set);
	unlink(path);
}

static int addb(struct anchor_set *set, const char *text)
{
	err[0] = '\0';
	return anchor_add_bind_text(set, text, strlen(text), "named.conf", err, sizeof(err));
}

/* trusted-keys-file: BIND's forms. */
static void test_bind_forms(void **state)
{
	(void)state;
	struct anchor_set *set = anchor_set_new();
	const char *text =
		"// BIND style\n"
		"trusted-keys {\n"
		"  \".\" 257 3 8 \"" KSK2017 "\";\n"
		"  # a comment\n"
		"  zulu 257 3 8 \"AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJN\n"
		"        nOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdp\";\n"
		"};\n"
		"/* and the newer form\n   over lines */\n"
		"trust-anchors {\n"
		"  sub.zulu. initial-ds 1234 13 2 \"00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF\";\n"
		"  . static-key 257 3 8 \"" KSK2024 "\";\n"
		"};\n";
	if (addb(set, text) != 0)
		fail_msg("%s", err);
	assert_int_equal(anchor_set_count(set), 3);
	assert_int_equal(exact(set, ".")->n_dnskey, 2);
	assert_int_equal(exact(set, ".")->dnskey[0].key_tag, 20326);
	assert_int_equal(exact(set, ".")->dnskey[1].key_tag, 38696);
	assert_int_equal(exact(set, "zulu.")->n_dnskey, 1);
	assert_int_equal(exact(set, "sub.zulu.")->ds[0].key_tag, 1234);
	assert_null(anchor_set_warning(set));
	anchor_set_free(set);
	/* a DS of the wrong length loads with a warning that names its line */
	set = anchor_set_new();
	assert_int_equal(addb(set, "trust-anchors {\n . static-ds 1 8 2 \"0011\"; };"), 0);
	assert_non_null(anchor_set_warning(set));
	assert_string_equal(anchor_set_warning(set),
			    "named.conf:2: DS digest of 2 bytes, digest type 2 needs 32: this anchor "
			    "can match no key");
	anchor_set_free(set);

	struct {
		const char *text, *want;
	} bad[] = {
		{ "", "named.conf:1: no trusted key" },
		{ "trusted-keys { };", "named.conf:1: no trusted key" },
		{ "options { };", "named.conf:1: expected trusted-keys, trust-anchors or managed-keys, not 'options'" },
		/* a token with a line break is shown on one line */
		{ "\"a\nb\" { };", "named.conf:1: expected trusted-keys, trust-anchors or managed-keys, not 'a?b'" },
		{ "trusted-keys\n \".\" 257 3 8 \"AAAA\";", "named.conf:2: expected '{'" },
		{ "trusted-keys {\n\n \".\" 257 3 \"AAAA\"; };",
		  "named.conf:3: an entry is: name flags protocol algorithm \"key\";" },
		{ "trust-anchors {\n . bogus-key 257 3 8 \"AAAA\"; };",
		  "named.conf:2: 'bogus-key': expected static-key, initial-key, static-ds or initial-ds" },
		{ "trusted-keys { \".\" 257 3 8 \"" KSK2024 "\"; }", "named.conf:1: expected ';' after '}'" },
		{ "trusted-keys { \".\" 257 3 8 \"" KSK2024 "\";", "named.conf:1: missing '}'" },
		{ "trusted-keys {\n\n\n \".\" 257 2 8 \"" KSK2024 "\"; };",
		  "named.conf:4: DNSKEY protocol 2, must be 3" },
		{ "trusted-keys {\n \".\" 257 3 8 \"AwEA\";\n\n\n \"a\" 257 3 8 \"AwE\"; };",
		  "named.conf:5: " },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set = anchor_set_new();
		int rc = addb(set, bad[i].text);
		if (rc != PC_EINVAL || strncmp(err, bad[i].want, strlen(bad[i].want)) != 0)
			fail_msg("case %zu: rc %d, expected '%s', got '%s'", i, rc, bad[i].want, err);
		assert_int_equal(anchor_set_count(set), 0);
		anchor_set_free(set);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_builtin_root),
		cmocka_unit_test(test_bind_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
