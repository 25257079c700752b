/* Unit tests for RFC 5011 trust anchor updates: every transition of the
 * per-key state machine on a fake clock (add holddown, revocation, missing,
 * remove holddown), the probe timers, the autotrust file's text (and that
 * an Unbound-written file reads back), and the atomic rewrite of the file
 * under SIGKILL at random points. */
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
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/anchor.h"
#include "core/dnssec.h"
#include "daemon/anchorfile.h"
#include "util/err.h"
#include "wire/wire.h"

#define DAY 86400u
#define T0 1700000000u

static char err[512];

#define KSK2024 "AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJNnOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+siFUiRAAxm9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHOijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc="

/* A fake key: flags, protocol 3, algorithm 13, 64 bytes of key made from
 * seed. The state machine never checks signatures: the caller does. */
struct key {
	uint8_t rd[68];
	uint16_t tag;
};

static void mkkey(struct key *k, uint8_t seed, uint16_t flags)
{
	k->rd[0] = (uint8_t)(flags >> 8);
	k->rd[1] = (uint8_t)flags;
	k->rd[2] = 3;
	k->rd[3] = 13;
	for (int i = 0; i < 64; i++)
		k->rd[4 + i] = (uint8_t)(seed * 31 + i);
	k->tag = dnssec_key_tag(k->rd, sizeof(k->rd));
}

static void revoked_form(struct key *dst, const struct key *src)
{
	*dst = *src;
	dst->rd[1] |= DNSSEC_FLAG_REVOKE;
	dst->tag = dnssec_key_tag(dst->rd, sizeof(dst->rd));
}

/* The presentation form of a fake key for a file. */
static void key_text(const struct key *k, char *out, size_t cap)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = (size_t)snprintf(out, cap, "%u 3 13 ", (unsigned)(k->rd[0] << 8 | k->rd[1]));
	const uint8_t *s = k->rd + 4;
	for (size_t i = 0; i + 2 < 64; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		for (int j = 3; j >= 0; j--)
			out[o++] = b64[(v >> (6 * j)) & 63];
	}
	/* 64 = 21*3 + 1: one byte left, two characters and "==" */
	uint32_t v = (uint32_t)s[63] << 16;
	out[o++] = b64[(v >> 18) & 63];
	out[o++] = b64[(v >> 12) & 63];
	out[o++] = '=';
	out[o++] = '=';
	out[o] = '\0';
}

static struct anchor_set *auto_set(const char *text)
{
	struct anchor_set *set = anchor_set_new();
	assert_non_null(set);
	int rc = anchor_add_auto_text(set, text, strlen(text), "/tmp/auto.key", err, sizeof(err));
	if (rc != 0)
		fail_msg("load: %s", err);
	return set;
}

static const struct anchor_tp *root(struct anchor_set *set)
{
	return anchor_find_exact(set, (const uint8_t *)"");
}

/* Feed the set {keys}; self-signed for each (the test says which). */
static void feed(struct anchor_set *set, uint64_t now, int n, const struct key *const *keys,
		 const bool *self)
{
	struct anchor_seen seen[8];
	for (int i = 0; i < n; i++)
		seen[i] = (struct anchor_seen){ .rdata = keys[i]->rd, .len = sizeof(keys[i]->rd),
						.self_signed = self ? self[i] : true };
	assert_int_equal(anchor_autotrust_update(set, root(set), seen, (size_t)n, 86400,
						 now + 14 * DAY, now), 0);
}

static enum anchor_state state_of(struct anchor_set *set, const struct key *k)
{
	enum anchor_state st;
	uint64_t lc;
	if (anchor_autotrust_key_state(set, root(set), k->tag, &st, &lc) != 0)
		return ANCHOR_ST_START; /* not known: Start */
	return st;
}

static bool trusted(struct anchor_set *set, const struct key *k)
{
	const struct anchor_tp *tp = root(set);
	for (size_t i = 0; i < tp->n_dnskey; i++)
		if (tp->dnskey[i].len == sizeof(k->rd) &&
		    memcmp(tp->dnskey[i].rdata, k->rd, sizeof(k->rd)) == 0)
			return true;
	return false;
}

static struct anchor_set *with_k1(const struct key *k1)
{
	char text[512], kt[200];
	key_text(k1, kt, sizeof(kt));
	snprintf(text, sizeof(text), ". 86400 IN DNSKEY %s\n", kt);
	return auto_set(text);
}

/* A new key through AddPend to Valid, only after the add holddown and two
 * probes; the old one revoked, then Removed after the remove holddown. */
static void test_rollover(void **state)
{
	(void)state;
	struct key k1, k2, k1r;
	mkkey(&k1, 1, 257);
	mkkey(&k2, 2, 257);
	revoked_form(&k1r, &k1);
	struct anchor_set *set = with_k1(&k1);
	assert_true(root(set)->autotrust);
	assert_int_equal(state_of(set, &k1), ANCHOR_ST_VALID);
	assert_true(trusted(set, &k1));
	uint64_t g0 = anchor_set_generation(set);

	const struct key *s1[] = { &k1 };
	feed(set, T0, 1, s1, NULL);
	assert_true(anchor_set_generation(set) > g0);
	assert_int_equal(state_of(set, &k1), ANCHOR_ST_VALID);

	/* K2 appears: AddPend, not trusted */
	const struct key *s12[] = { &k1, &k2 };
	feed(set, T0 + 1 * DAY, 2, s12, NULL);
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_ADDPEND);
	assert_false(trusted(set, &k2));
	uint64_t version = root(set)->version;
	/* seen again on later probes, but the holddown runs 30 days */
	feed(set, T0 + 2 * DAY, 2, s12, NULL);
	feed(set, T0 + 30 * DAY, 2, s12, NULL);
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_ADDPEND);
	assert_false(trusted(set, &k2));
	assert_int_equal(root(set)->version, version);
	/* 30 days after it was first seen: Valid and trusted */
	feed(set, T0 + 31 * DAY, 2, s12, NULL);
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_VALID);
	assert_true(trusted(set, &k2));
	assert_true(root(set)->version > version);

	/* K1 published revoked but NOT self-signed: ignored */
	const struct key *s1r2[] = { &k1r, &k2 };
	bool not_self[] = { false, true };
	feed(set, T0 + 32 * DAY, 2, s1r2, not_self);
	assert_int_equal(state_of(set, &k1), ANCHOR_ST_VALID);
	assert_true(trusted(set, &k1));
	/* self-signed revocation: Revoked, no longer trusted */
	const struct anchor_tp *before = root(set);
	feed(set, T0 + 33 * DAY, 2, s1r2, NULL);
	assert_int_equal(state_of(set, &k1r), ANCHOR_ST_REVOKED);
	assert_false(trusted(set, &k1));
	assert_false(trusted(set, &k1r));
	assert_true(trusted(set, &k2));
	/* the old snapshot a request may still hold is intact */
	assert_int_equal(before->n_dnskey, 2);
	/* the unrevoked form coming back does not undo a revocation */
	feed(set, T0 + 34 * DAY, 2, s12, NULL);
	assert_int_equal(state_of(set, &k1r), ANCHOR_ST_REVOKED);
	assert_false(trusted(set, &k1));
	/* remove holddown: 30 days after the revocation, Removed */
	feed(set, T0 + 62 * DAY, 2, s1r2, NULL);
	assert_int_equal(state_of(set, &k1r), ANCHOR_ST_REVOKED);
	feed(set, T0 + 63 * DAY, 2, s1r2, NULL);
	assert_int_equal(state_of(set, &k1r), ANCHOR_ST_REMOVED);
	/* gone from the zone: forgotten */
	const struct key *s2[] = { &k2 };
	feed(set, T0 + 64 * DAY, 1, s2, NULL);
	assert_int_equal(state_of(set, &k1r), ANCHOR_ST_START);
	assert_int_equal(root(set)->n_dnskey, 1);
	anchor_set_free(set);
}

/* Valid -> Missing (still trusted) -> Valid; Missing for keep-missing ->
 * Removed; an AddPend key that goes away or shows up revoked is forgotten;
 * a revoked key never known, and zone-signing keys, change nothing. */
static void test_missing_and_others(void **state)
{
	(void)state;
	struct key k1, k2, k3, k3r, zsk, k4r, k4;
	mkkey(&k1, 1, 257);
	mkkey(&k2, 2, 257);
	mkkey(&k3, 3, 257);
	revoked_form(&k3r, &k3);
	mkkey(&zsk, 9, 256);
	mkkey(&k4, 4, 257);
	revoked_form(&k4r, &k4);
	char text[1024], a[200], b[200];
	key_text(&k1, a, sizeof(a));
	key_text(&k2, b, sizeof(b));
	snprintf(text, sizeof(text), ". 86400 IN DNSKEY %s\n. 86400 IN DNSKEY %s\n", a, b);
	struct anchor_set *set = auto_set(text);

	const struct key *s1[] = { &k1, &zsk };
	feed(set, T0, 2, s1, NULL);
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_MISSING);
	assert_true(trusted(set, &k2)); /* RFC 5011: a missing key is still trusted */
	assert_int_equal(state_of(set, &zsk), ANCHOR_ST_START);
	const struct key *s12[] = { &k1, &k2 };
	feed(set, T0 + DAY, 2, s12, NULL);
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_VALID);
	feed(set, T0 + 2 * DAY, 2, s1, NULL);
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_MISSING);
	feed(set, T0 + 2 * DAY + 365 * DAY, 2, s1, NULL);
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_MISSING);
	feed(set, T0 + 2 * DAY + 366 * DAY, 2, s1, NULL);
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_REMOVED);
	assert_false(trusted(set, &k2));
	/* Removed, then published again: a new key (AddPend) */
	uint64_t t = T0 + 400 * DAY;
	feed(set, t, 2, s12, NULL);
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_ADDPEND);
	assert_false(trusted(set, &k2));

	/* AddPend, then gone: forgotten */
	const struct key *s13[] = { &k1, &k3 };
	feed(set, t + DAY, 2, s13, NULL);
	assert_int_equal(state_of(set, &k3), ANCHOR_ST_ADDPEND);
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_START);
	/* AddPend, then revoked: forgotten */
	const struct key *s13r[] = { &k1, &k3r };
	feed(set, t + 2 * DAY, 2, s13r, NULL);
	assert_int_equal(state_of(set, &k3), ANCHOR_ST_START);
	assert_int_equal(state_of(set, &k3r), ANCHOR_ST_START);
	/* a revoked key nobody knew: nothing */
	const struct key *s14r[] = { &k1, &k4r };
	feed(set, t + 3 * DAY, 2, s14r, NULL);
	assert_int_equal(state_of(set, &k4r), ANCHOR_ST_START);
	assert_int_equal(state_of(set, &k4), ANCHOR_ST_START);
	assert_true(trusted(set, &k1));
	assert_int_equal(root(set)->n_dnskey, 1);
	anchor_set_free(set);
}

/* Every trusted key revoked: the trust point is skipped by lookups. */
static void test_all_revoked(void **state)
{
	(void)state;
	struct key k1, k1r;
	mkkey(&k1, 1, 257);
	revoked_form(&k1r, &k1);
	struct anchor_set *set = with_k1(&k1);
	const struct anchor_tp *tp;
	assert_int_equal(anchor_lookup(set, (const uint8_t *)"\4zulu", &tp), ANCHOR_TRUST);
	const struct key *s[] = { &k1r };
	feed(set, T0, 1, s, NULL);
	assert_int_equal(state_of(set, &k1r), ANCHOR_ST_REVOKED);
	assert_int_equal(anchor_lookup(set, (const uint8_t *)"\4zulu", &tp), ANCHOR_NONE);
	anchor_set_free(set);
}

/* The RRset is only counted once per probe: re-validations between probes
 * do not make an AddPend key's count. */
static void test_probe_count(void **state)
{
	(void)state;
	struct key k1, k2;
	mkkey(&k1, 1, 257);
	mkkey(&k2, 2, 257);
	struct anchor_set *set = with_k1(&k1);
	const struct key *s12[] = { &k1, &k2 };
	feed(set, T0, 2, s12, NULL); /* first sight: count 1, next probe T0 + 12h */
	uint8_t owner[WIRE_NAME_MAX];
	assert_int_equal(anchor_autotrust_next_probe(set, owner), T0 + DAY / 2);
	assert_int_equal(owner[0], 0);
	for (int i = 1; i < 10; i++)
		feed(set, T0 + 31 * DAY + (uint64_t)i, 2, s12, NULL); /* one probe, then not due */
	/* after the holddown but only seen on two probes: count 2 -> Valid;
	 * check the count stayed low by a fresh set that is fed once only */
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_VALID);
	anchor_set_free(set);

	set = with_k1(&k1);
	feed(set, T0, 2, s12, NULL);
	/* the same second many times, never a scheduled probe: stays count 1 */
	for (int i = 0; i < 5; i++)
		feed(set, T0 + 1, 2, s12, NULL);
	/* 31 days later but that is only the second probe: Valid needs count
	 * 2, which this probe makes */
	feed(set, T0 + 31 * DAY, 2, s12, NULL);
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_VALID);
	anchor_set_free(set);

	/* with ANCHOR_MIN_PENDING at 2, a key seen at only ONE probe is not
	 * promoted even after the holddown */
	set = with_k1(&k1);
	anchor_set_timers(set, 10, 10, 0, true);
	feed(set, T0, 2, s12, NULL); /* probe 1: count 1 */
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_ADDPEND);
	/* next probe at T0 + 43200 (TTL/2); at T0 + 20 the holddown passed but
	 * no probe is due */
	feed(set, T0 + 20, 2, s12, NULL);
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_ADDPEND);
	feed(set, T0 + DAY / 2, 2, s12, NULL);
	assert_int_equal(state_of(set, &k2), ANCHOR_ST_VALID);
	anchor_set_free(set);
}

/* Probe timers of RFC 5011 2.3 and a failed probe's retry. */
static void test_timers(void **state)
{
	(void)state;
	struct key k1;
	mkkey(&k1, 1, 257);
	struct anchor_set *set = with_k1(&k1);
	assert_int_equal(anchor_autotrust_next_probe(set, NULL), 1); /* never probed: now */
	struct anchor_seen seen = { .rdata = k1.rd, .len = sizeof(k1.rd), .self_signed = true };
	/* TTL 2 days, signatures for 10 more days: half the TTL, 1 day */
	assert_int_equal(anchor_autotrust_update(set, root(set), &seen, 1, 2 * DAY, T0 + 10 * DAY,
						 T0), 0);
	assert_int_equal(anchor_autotrust_next_probe(set, NULL), T0 + DAY);
	/* a failed probe: retry after 0.1 * TTL */
	anchor_autotrust_failed(set, root(set), T0 + DAY);
	assert_int_equal(anchor_autotrust_next_probe(set, NULL), T0 + DAY + 2 * DAY / 10);
	/* a tiny TTL: one hour floor, unless permit-small-holddown */
	assert_int_equal(anchor_autotrust_update(set, root(set), &seen, 1, 60, T0 + 10 * DAY,
						 T0 + 2 * DAY), 0);
	assert_int_equal(anchor_autotrust_next_probe(set, NULL), T0 + 2 * DAY + 3600);
	anchor_set_timers(set, 5, 5, 0, true);
	assert_int_equal(anchor_autotrust_update(set, root(set), &seen, 1, 60, T0 + 10 * DAY,
						 T0 + 3 * DAY), 0);
	assert_int_equal(anchor_autotrust_next_probe(set, NULL), T0 + 3 * DAY + 30);
	/* a plain anchor is not autotrust */
	struct anchor_set *plain = anchor_set_new();
	static const char pk[] = ". DNSKEY 257 3 8 " KSK2024 "\n";
	assert_int_equal(anchor_add_text(plain, pk, strlen(pk), "p", err, sizeof(err)), 0);
	assert_int_equal(anchor_autotrust_update(plain, root(plain), &seen, 1, 60, T0, T0),
			 PC_EINVAL);
	assert_int_equal(anchor_autotrust_next_probe(plain, NULL), 0);
	assert_int_equal(anchor_autotrust_files(plain), 0);
	anchor_set_free(plain);
	anchor_set_free(set);
}

/* An initial DS anchor: the key it names is trusted at first sight, then
 * the DS is dropped from the file. */
static void test_initial_ds(void **state)
{
	(void)state;
	struct anchor_set *keys = anchor_set_new();
	static const char kk[] = ". DNSKEY 257 3 8 " KSK2024 "\n";
	assert_int_equal(anchor_add_text(keys, kk, strlen(kk), "k", err, sizeof(err)), 0);
	const struct anchor_tp *kt = root(keys);
	assert_int_equal(kt->n_dnskey, 1);
	struct anchor_set *set = auto_set(
		". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16\n");
	assert_int_equal(root(set)->n_ds, 1);
	struct key other;
	mkkey(&other, 5, 257);
	struct anchor_seen seen[2] = {
		{ .rdata = kt->dnskey[0].rdata, .len = kt->dnskey[0].len, .self_signed = true },
		{ .rdata = other.rd, .len = sizeof(other.rd), .self_signed = true },
	};
	assert_int_equal(anchor_autotrust_update(set, root(set), seen, 2, 172800, T0 + 14 * DAY, T0),
			 0);
	const struct anchor_tp *tp = root(set);
	assert_int_equal(tp->n_ds, 0);
	assert_int_equal(tp->n_dnskey, 1);
	assert_int_equal(tp->dnskey[0].key_tag, 38696);
	assert_int_equal(state_of(set, &other), ANCHOR_ST_ADDPEND);
	anchor_set_free(set);
	anchor_set_free(keys);
}

/* The file's text: Unbound's format, read back to the same states; and a
 * file as Unbound writes it is read. */
static void test_text_roundtrip(void **state)
{
	(void)state;
	struct key k1, k2, k3, k3r;
	mkkey(&k1, 1, 257);
	mkkey(&k2, 2, 257);
	mkkey(&k3, 3, 257);
	revoked_form(&k3r, &k3);
	char text[2048], a[200], b[200];
	key_text(&k1, a, sizeof(a));
	key_text(&k3, b, sizeof(b));
	snprintf(text, sizeof(text), ". 86400 IN DNSKEY %s\n. 86400 IN DNSKEY %s\n", a, b);
	struct anchor_set *set = auto_set(text);
	const struct key *s[] = { &k1, &k2, &k3r };
	feed(set, T0, 3, s, NULL);
	assert_int_equal(anchor_autotrust_files(set), 1);
	const char *path;
	char *out;
	size_t len;
	uint64_t gen;
	assert_int_equal(anchor_autotrust_text(set, 0, &path, &out, &len, &gen), 0);
	assert_string_equal(path, "/tmp/auto.key");
	assert_int_equal(gen, anchor_set_generation(set));
	assert_int_equal(strlen(out), len);
	assert_non_null(strstr(out, ";;id: . 1\n"));
	assert_non_null(strstr(out, ";;last_success: 1700000000 ;;"));
	assert_non_null(strstr(out, ";;query_interval: 43200\n"));
	assert_non_null(strstr(out, ";;state=2 [  VALID  ] ;;count=0 ;;lastchange="));
	assert_non_null(strstr(out, ";;state=1 [ ADDPEND ] ;;count=1 ;;lastchange=1700000000"));
	assert_non_null(strstr(out, ";;state=4 [ REVOKED ] ;;count=0 ;;lastchange=1700000000"));
	assert_int_equal(anchor_autotrust_text(set, 1, &path, &out, &len, &gen), PC_EINVAL);

	struct anchor_set *back = anchor_set_new();
	if (anchor_add_auto_text(back, out, len, "/tmp/auto.key", err, sizeof(err)) != 0)
		fail_msg("reload: %s\n%s", err, out);
	assert_int_equal(state_of(back, &k1), ANCHOR_ST_VALID);
	assert_int_equal(state_of(back, &k2), ANCHOR_ST_ADDPEND);
	assert_int_equal(state_of(back, &k3r), ANCHOR_ST_REVOKED);
	assert_int_equal(anchor_autotrust_next_probe(back, NULL), T0 + DAY / 2);
	assert_true(trusted(back, &k1));
	assert_false(trusted(back, &k2));
	assert_false(trusted(back, &k3r));
	/* the text written again is the same */
	char *out2;
	size_t len2;
	assert_int_equal(anchor_autotrust_text(back, 0, &path, &out2, &len2, NULL), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(out2, out, len);
	free(out2);
	anchor_set_free(back);
	free(out);
	anchor_set_free(set);

	/* as Unbound 1.17 writes root.key */
	static const char unbound_file[] =
		"; autotrust trust anchor file\n"
		";;id: . 1\n"
		";;last_queried: 1733400000 ;;Thu Dec  5 12:00:00 2024\n"
		";;last_success: 1733400000 ;;Thu Dec  5 12:00:00 2024\n"
		";;next_probe_time: 1733441742 ;;Thu Dec  5 23:35:42 2024\n"
		";;query_failed: 0\n"
		";;query_interval: 43200\n"
		";;retry_time: 8640\n"
		".\t172800\tIN\tDNSKEY\t257 3 8 " KSK2024 " ;{id = 38696 (ksk), size = 2048b}"
		" ;;state=2 [  VALID  ] ;;count=0 ;;lastchange=1720000000 ;;Wed Jul  3 09:46:40 2024\n";
	set = auto_set(unbound_file);
	const struct anchor_tp *tp = root(set);
	assert_int_equal(tp->n_dnskey, 1);
	assert_int_equal(tp->dnskey[0].key_tag, 38696);
	assert_int_equal(anchor_autotrust_next_probe(set, NULL), 1733441742);
	anchor_set_free(set);
}

static void test_auto_errors(void **state)
{
	(void)state;
	struct {
		const char *text, *want;
	} cases[] = {
		{ ". DNSKEY 257 3 8 " KSK2024 " ;;state=9\n", "a.key:1: bad ;;state= (0 to 5)" },
		{ ". DNSKEY 257 3 8 " KSK2024 " ;;state=x\n", "a.key:1: bad ;;state= (0 to 5)" },
		{ ". DNSKEY 257 3 8 " KSK2024 " ;;state=2 ;;count=z\n", "a.key:1: bad ;;count=" },
		{ ". DNSKEY 257 3 8 " KSK2024 " ;;state=2 ;;lastchange=\n", "a.key:1: bad ;;lastchange=" },
		{ ";;query_interval: abc\n. DNSKEY 257 3 8 " KSK2024 "\n",
		  "a.key:1: bad number after ;;query_interval:" },
		{ "\n;;retry_time: 99999999999\n. DNSKEY 257 3 8 " KSK2024 "\n",
		  "a.key:2: ;;retry_time: out of range" },
		{ ". DS 1 8 1 0011223344556677889900112233445566778899 ;;state=1\n",
		  "a.key:1: a DS anchor has no RFC 5011 state but VALID" },
		{ ". DNSKEY 257 3 8 " KSK2024 "\nzulu. DNSKEY 257 3 8 " KSK2024 "\n",
		  "a.key:2: a second owner in an auto-trust-anchor-file" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct anchor_set *set = anchor_set_new();
		int rc = anchor_add_auto_text(set, cases[i].text, strlen(cases[i].text), "a.key", err,
					      sizeof(err));
		if (rc != PC_EINVAL || strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu: rc %d, expected '%s', got '%s'", i, rc, cases[i].want, err);
		assert_int_equal(anchor_set_count(set), 0);
		anchor_set_free(set);
	}
	/* an owner cannot be both a plain and an autotrust anchor */
	struct anchor_set *set = anchor_set_new();
	const char *t = ". DNSKEY 257 3 8 " KSK2024 "\n";
	assert_int_equal(anchor_add_text(set, t, strlen(t), "p", err, sizeof(err)), 0);
	assert_int_equal(anchor_add_auto_text(set, t, strlen(t), "a", err, sizeof(err)), PC_EINVAL);
	assert_non_null(strstr(err, "already configured"));
	/* every key removed: loads, and lookups skip the point */
	anchor_set_free(set);
	set = anchor_set_new();
	const char *t5 = ". DNSKEY 257 3 8 " KSK2024 " ;;state=5\n";
	assert_int_equal(anchor_add_auto_text(set, t5, strlen(t5), "a", err, sizeof(err)), 0);
	const struct anchor_tp *tp;
	assert_int_equal(anchor_lookup(set, (const uint8_t *)"", &tp), ANCHOR_NONE);
	/* state 0 (Start) records are placeholders: skipped */
	anchor_set_free(set);
	set = anchor_set_new();
	const char *t0 = ". DNSKEY 257 3 8 " KSK2024 " ;;state=0\n. DS 1 8 1 0011223344556677889900112233445566778899\n";
	assert_int_equal(anchor_add_auto_text(set, t0, strlen(t0), "a", err, sizeof(err)), 0);
	assert_int_equal(root(set)->n_dnskey, 0);
	assert_int_equal(root(set)->n_ds, 1);
	anchor_set_free(set);
}

/* ---- the atomic rewrite ------------------------------------------------- */

static char *content(char c, size_t n)
{
	char *s = malloc(n);
	for (size_t i = 0; i < n; i++)
		s[i] = (i % 80 == 79) ? '\n' : c;
	return s;
}

/* Reads path whole: 0 when it is exactly one of a or b. */
static int check_file(const char *path, const char *a, const char *b, size_t n)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	char *buf = malloc(n + 1);
	size_t got = 0;
	ssize_t r;
	while (got < n + 1 && (r = read(fd, buf + got, n + 1 - got)) > 0)
		got += (size_t)r;
	close(fd);
	int rc = (got == n && (memcmp(buf, a, n) == 0 || memcmp(buf, b, n) == 0)) ? 0 : -1;
	free(buf);
	return rc;
}

/* A naive writer (truncate and write in place), the control: the harness
 * must see it damage the file, or it could not see damage at all. */
static int naive_write(const char *path, const char *text, size_t len, char *e, size_t el)
{
	(void)e;
	(void)el;
	int fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -1;
	for (size_t off = 0; off < len; off += 4096) {
		size_t n = len - off < 4096 ? len - off : 4096;
		if (write(fd, text + off, n) != (ssize_t)n)
			break;
	}
	close(fd);
	return 0;
}

/* A child rewrites the file in a loop, alternating two contents; it is
 * killed at a random moment; the file must be one content, whole. Returns
 * the number of rounds that found it damaged. */
static int kill_rounds(int (*writer)(const char *, const char *, size_t, char *, size_t),
		       int rounds, int stop_after, const char *dir)
{
	enum { N = 256 * 1024 };
	char path[512];
	snprintf(path, sizeof(path), "%s/root.key", dir);
	char *a = content('A', N), *b = content('B', N);
	assert_int_equal(anchorfile_write(path, a, N, err, sizeof(err)), 0);
	int damaged = 0;
	for (int r = 0; r < rounds; r++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char e[256];
			for (unsigned i = 0;; i++)
				if (writer(path, i & 1 ? a : b, N, e, sizeof(e)) != 0)
					_exit(3);
		}
		uint32_t us;
		assert_int_equal(getrandom(&us, sizeof(us), 0), (ssize_t)sizeof(us));
		usleep(200 + us % 5000);
		kill(pid, SIGKILL);
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		if (check_file(path, a, b, N) != 0 && ++damaged == stop_after)
			break;
	}
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s%s", path, ANCHORFILE_TMP_SUFFIX);
	unlink(tmp);
	unlink(path);
	free(a);
	free(b);
	return damaged;
}

static void test_writer_sigkill(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_anchorfileXXXXXX";
	assert_non_null(mkdtemp(dir));
	int damaged = kill_rounds(anchorfile_write, 300, 0, dir);
	assert_int_equal(damaged, 0);
	/* the control: truncating in place is caught (stops at 3 damaged) */
	int naive = kill_rounds(naive_write, 300, 3, dir);
	print_message("atomic writer: 0 of 300 kills damaged the file; naive writer: %d damaged\n",
		      naive);
	assert_true(naive > 0);
	rmdir(dir);
}

/* anchorfile_sync: writes when the generation moved, and what it writes
 * loads back. */
static void test_sync(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_anchorsyncXXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/auto.key", dir);
	struct key k1, k2;
	mkkey(&k1, 1, 257);
	mkkey(&k2, 2, 257);
	char text[512], kt[200];
	key_text(&k1, kt, sizeof(kt));
	snprintf(text, sizeof(text), ". 86400 IN DNSKEY %s\n", kt);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct anchor_set *set = anchor_set_new();
	assert_int_equal(anchor_add_auto_file(set, path, err, sizeof(err)), 0);
	uint64_t written = anchor_set_generation(set);
	assert_int_equal(anchorfile_sync(set, &written, err, sizeof(err)), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((size_t)st.st_size, strlen(text)); /* nothing changed: not written */
	const struct key *s[] = { &k1, &k2 };
	feed(set, T0, 2, s, NULL);
	assert_int_equal(anchorfile_sync(set, &written, err, sizeof(err)), 0);
	assert_int_equal(written, anchor_set_generation(set));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* the mode is kept */
	struct anchor_set *back = anchor_set_new();
	assert_int_equal(anchor_add_auto_file(back, path, err, sizeof(err)), 0);
	assert_int_equal(state_of(back, &k2), ANCHOR_ST_ADDPEND);
	anchor_set_free(back);
	/* an unwritable place: an error naming the file */
	anchor_set_free(set);
	assert_int_equal(anchorfile_write("/nonexistent/dir/auto.key", "x", 1, err, sizeof(err)),
			 PC_EIO);
	assert_non_null(strstr(err, "/nonexistent/dir/auto.key" ANCHORFILE_TMP_SUFFIX));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rollover),
		cmocka_unit_test(test_missing_and_others),
		cmocka_unit_test(test_all_revoked),
		cmocka_unit_test(test_probe_count),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_initial_ds),
		cmocka_unit_test(test_text_roundtrip),
		cmocka_unit_test(test_auto_errors),
		cmocka_unit_test(test_writer_sigkill),
		cmocka_unit_test(test_sync),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
