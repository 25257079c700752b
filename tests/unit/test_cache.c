/* Unit tests for the cache: round trips, TTLs on a fake clock, negative
 * answers, rank rules, LRU eviction under a byte budget, flushes, stress,
 * and the readers' copying lookup (alone and against a writer thread). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cache/cache.h"
#include "util/err.h"
#include "wire/wire.h"

#define T0 1000000u /* fake clock start, ms; not 0 so "now - x" bugs show */
#define BIG (64u << 20)

struct nm {
	uint8_t b[WIRE_NAME_MAX];
};

static struct nm name(const char *text)
{
	struct nm n;
	assert_true(wire_name_from_text(text, n.b) > 0);
	return n;
}

static const uint8_t A1[4] = { 192, 0, 2, 1 };
static const uint8_t A2[4] = { 192, 0, 2, 2 };
static const uint8_t A3[4] = { 192, 0, 2, 3 };
/* A plausible SOA rdata body; the cache treats it as opaque bytes. */
static const uint8_t SOA[] = "\2ns\3lab\0\4host\3lab\0\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\5";

static int put_a(struct cache *c, const char *owner, const uint8_t *addr, uint32_t ttl,
		 enum cache_rank rank, uint64_t now)
{
	struct nm n = name(owner);
	struct cache_rdata rd = { addr, 4 };
	return cache_put_rrset(c, n.b, WIRE_T_A, WIRE_C_IN, ttl, &rd, 1, rank, now);
}

static bool get(struct cache *c, const char *owner, uint16_t type, uint64_t now,
		struct cache_entry *out)
{
	struct nm n = name(owner);
	return cache_get(c, n.b, type, WIRE_C_IN, now, out);
}

static struct cache_stats stats(const struct cache *c)
{
	struct cache_stats s;
	cache_get_stats(c, &s);
	return s;
}

static void put_get_round_trip(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	assert_non_null(c);
	struct nm owner = name("www.alpha.lab");
	uint8_t txt[300];
	memset(txt, 'x', sizeof txt);
	txt[0] = 255;
	struct cache_rdata rd[4] = { { A1, 4 }, { A2, 4 }, { txt, 256 }, { NULL, 0 } };
	assert_int_equal(cache_put_rrset(c, owner.b, WIRE_T_TXT, WIRE_C_IN, 300, rd, 4,
					 CACHE_RANK_AUTH, T0), 0);

	struct cache_entry e;
	assert_true(cache_get(c, owner.b, WIRE_T_TXT, WIRE_C_IN, T0, &e));
	assert_int_equal(e.kind, CACHE_RRSET);
	assert_int_equal(e.rank, CACHE_RANK_AUTH);
	assert_int_equal(e.type, WIRE_T_TXT);
	assert_int_equal(e.rclass, WIRE_C_IN);
	assert_int_equal(e.ttl, 300);
	assert_memory_equal(e.owner, owner.b, wire_name_len(owner.b));
	assert_int_equal(e.n_rdata, 4);
	assert_int_equal(e.n_soa, 0);
	assert_null(e.soa_owner);
	for (size_t i = 0; i < 4; i++) {
		struct cache_rdata r = cache_entry_rdata(&e, i);
		assert_int_equal(r.len, rd[i].len);
		if (r.len)
			assert_memory_equal(r.data, rd[i].data, r.len);
	}
	assert_null(cache_entry_rdata(&e, 4).data);

	/* Other types, classes and names miss. */
	assert_false(cache_get(c, owner.b, WIRE_T_A, WIRE_C_IN, T0, &e));
	assert_false(cache_get(c, owner.b, WIRE_T_TXT, WIRE_C_CH, T0, &e));
	assert_false(get(c, "alpha.lab", WIRE_T_TXT, T0, &e));
	assert_false(get(c, "www.alpha.lab.x", WIRE_T_TXT, T0, &e));

	/* The cache copied the rdata: the caller's buffer is its own again. */
	memset(txt, 0, sizeof txt);
	assert_true(cache_get(c, owner.b, WIRE_T_TXT, WIRE_C_IN, T0, &e));
	assert_int_equal(cache_entry_rdata(&e, 2).data[0], 255);

	/* Replacing with an equal rank changes the data. */
	struct cache_rdata one = { A3, 4 };
	assert_int_equal(cache_put_rrset(c, owner.b, WIRE_T_TXT, WIRE_C_IN, 60, &one, 1,
					 CACHE_RANK_AUTH, T0), 0);
	assert_true(cache_get(c, owner.b, WIRE_T_TXT, WIRE_C_IN, T0, &e));
	assert_int_equal(e.n_rdata, 1);
	assert_memory_equal(cache_entry_rdata(&e, 0).data, A3, 4);
	assert_int_equal(stats(c).entries, 1);
	cache_free(c);
}

static void bad_arguments(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = 4096, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	struct nm owner = name("a.lab");
	struct cache_rdata rd = { A1, 4 };
	assert_int_equal(cache_put_rrset(c, owner.b, WIRE_T_A, WIRE_C_IN, 60, &rd, 0,
					 CACHE_RANK_AUTH, T0), PC_EINVAL);
	assert_int_equal(cache_put_rrset(c, owner.b, WIRE_T_A, WIRE_C_IN, 60, &rd, 1,
					 (enum cache_rank)9, T0), PC_EINVAL);
	const uint8_t pointer[] = { 0xc0, 0x0c };
	assert_int_equal(cache_put_rrset(c, pointer, WIRE_T_A, WIRE_C_IN, 60, &rd, 1,
					 CACHE_RANK_AUTH, T0), PC_EINVAL);
	static uint8_t huge[5000];
	struct cache_rdata big = { huge, sizeof huge };
	assert_int_equal(cache_put_rrset(c, owner.b, WIRE_T_TXT, WIRE_C_IN, 60, &big, 1,
					 CACHE_RANK_AUTH, T0), PC_EINVAL);
	assert_int_equal(cache_put_negative(c, CACHE_RRSET, owner.b, WIRE_T_A, WIRE_C_IN, 60,
					    NULL, NULL, 0, CACHE_RANK_AUTH, T0), PC_EINVAL);
	assert_int_equal(stats(c).entries, 0);
	struct cache_entry e;
	assert_false(cache_get(c, pointer, WIRE_T_A, WIRE_C_IN, T0, &e));
	cache_free(c);
}

static void case_insensitive(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	assert_int_equal(put_a(c, "WWW.Alpha.LAB", A1, 60, CACHE_RANK_AUTH, T0), 0);
	struct cache_entry e;
	assert_true(get(c, "www.alpha.lab", WIRE_T_A, T0, &e));
	/* Stored lowercased, whatever case the put used. */
	struct nm lower = name("www.alpha.lab");
	assert_memory_equal(e.owner, lower.b, wire_name_len(lower.b));
	assert_true(get(c, "wWw.ALPHA.lab", WIRE_T_A, T0, &e));
	/* A differently cased put is the same key: it replaces, not adds. */
	assert_int_equal(put_a(c, "www.ALPHA.lab", A2, 60, CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(stats(c).entries, 1);
	assert_true(get(c, "WWW.ALPHA.LAB", WIRE_T_A, T0, &e));
	assert_memory_equal(cache_entry_rdata(&e, 0).data, A2, 4);
	cache_free(c);
}

static void ttl_countdown_and_expiry(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	assert_int_equal(put_a(c, "a.lab", A1, 60, CACHE_RANK_AUTH, T0), 0);
	struct cache_entry e;
	assert_true(get(c, "a.lab", WIRE_T_A, T0, &e));
	assert_int_equal(e.ttl, 60);
	assert_true(get(c, "a.lab", WIRE_T_A, T0 + 999, &e));
	assert_int_equal(e.ttl, 59);
	assert_true(get(c, "a.lab", WIRE_T_A, T0 + 2400, &e));
	assert_int_equal(e.ttl, 57); /* floor(57.6) */
	assert_true(get(c, "a.lab", WIRE_T_A, T0 + 59999, &e));
	assert_int_equal(e.ttl, 0);
	assert_int_equal(stats(c).expired, 0);
	assert_false(get(c, "a.lab", WIRE_T_A, T0 + 60000, &e));
	struct cache_stats s = stats(c);
	assert_int_equal(s.expired, 1);
	assert_int_equal(s.entries, 0);
	cache_free(c);
}

static void ttl_clamping(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 30, .cache_max_ttl = 3600, .cache_max_negative_ttl = 900 });
	struct cache_entry e;
	assert_int_equal(put_a(c, "low.lab", A1, 5, CACHE_RANK_AUTH, T0), 0);
	assert_true(get(c, "low.lab", WIRE_T_A, T0, &e));
	assert_int_equal(e.ttl, 30);
	assert_int_equal(put_a(c, "high.lab", A1, 100000, CACHE_RANK_AUTH, T0), 0);
	assert_true(get(c, "high.lab", WIRE_T_A, T0, &e));
	assert_int_equal(e.ttl, 3600);
	/* TTL 0 is raised to min_ttl when one is set... */
	assert_int_equal(put_a(c, "zero.lab", A1, 0, CACHE_RANK_AUTH, T0), 0);
	assert_true(get(c, "zero.lab", WIRE_T_A, T0, &e));
	assert_int_equal(e.ttl, 30);
	/* ...and a TTL with the top bit set counts as 0 (RFC 2181 section 8). */
	assert_int_equal(put_a(c, "top.lab", A1, 0x80000000u, CACHE_RANK_AUTH, T0), 0);
	assert_true(get(c, "top.lab", WIRE_T_A, T0, &e));
	assert_int_equal(e.ttl, 30);

	/* Negative TTLs: capped at max_neg_ttl, never raised to min_ttl. */
	struct nm n1 = name("neg1.lab"), n2 = name("neg2.lab");
	assert_int_equal(cache_put_negative(c, CACHE_NXDOMAIN, n1.b, 0, WIRE_C_IN, 10,
					    NULL, NULL, 0, CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(cache_put_negative(c, CACHE_NODATA, n2.b, WIRE_T_A, WIRE_C_IN, 9999,
					    NULL, NULL, 0, CACHE_RANK_AUTH, T0), 0);
	assert_true(get(c, "neg1.lab", WIRE_T_A, T0, &e));
	assert_int_equal(e.ttl, 10);
	assert_true(get(c, "neg2.lab", WIRE_T_A, T0, &e));
	assert_int_equal(e.ttl, 900);
	cache_free(c);

	/* Without min_ttl, TTL 0 data is not stored at all. */
	c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 3600, .cache_max_negative_ttl = 900 });
	uint64_t empty = stats(c).bytes;
	assert_int_equal(put_a(c, "zero.lab", A1, 0, CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(stats(c).entries, 0);
	assert_int_equal(stats(c).bytes, empty);
	assert_false(get(c, "zero.lab", WIRE_T_A, T0, &e));
	assert_int_equal(cache_put_negative(c, CACHE_NXDOMAIN, n1.b, 0, WIRE_C_IN, 0,
					    NULL, NULL, 0, CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(stats(c).entries, 0);
	assert_false(get(c, "neg1.lab", WIRE_T_A, T0, &e));
	assert_int_equal(stats(c).expired, 0);
	cache_free(c);
}

static void negative_nodata(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	struct nm owner = name("host.alpha.lab"), zone = name("Alpha.lab");
	struct cache_rdata soa = { SOA, sizeof SOA - 1 };
	assert_int_equal(cache_put_negative(c, CACHE_NODATA, owner.b, WIRE_T_AAAA, WIRE_C_IN, 300,
					    zone.b, &soa, 1, CACHE_RANK_AUTH, T0), 0);
	struct cache_entry e;
	assert_true(get(c, "host.alpha.lab", WIRE_T_AAAA, T0 + 10500, &e));
	assert_int_equal(e.kind, CACHE_NODATA);
	assert_int_equal(e.type, WIRE_T_AAAA);
	assert_int_equal(e.n_rdata, 0);
	assert_int_equal(e.ttl, 289);
	assert_int_equal(e.soa_ttl, 289);
	assert_non_null(e.soa_owner);
	struct nm zl = name("alpha.lab");
	assert_memory_equal(e.soa_owner, zl.b, wire_name_len(zl.b));
	assert_int_equal(e.n_soa, 1);
	struct cache_rdata r = cache_entry_soa(&e, 0);
	assert_int_equal(r.len, sizeof SOA - 1);
	assert_memory_equal(r.data, SOA, r.len);
	assert_null(cache_entry_soa(&e, 1).data);
	/* NODATA is for one type only. */
	assert_false(get(c, "host.alpha.lab", WIRE_T_A, T0, &e));
	cache_free(c);
}

static void negative_nxdomain_any_type(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	struct nm owner = name("gone.alpha.lab"), zone = name("alpha.lab");
	struct cache_rdata soa = { SOA, sizeof SOA - 1 };
	/* The type argument is ignored for NXDOMAIN. */
	assert_int_equal(cache_put_negative(c, CACHE_NXDOMAIN, owner.b, WIRE_T_MX, WIRE_C_IN, 120,
					    zone.b, &soa, 1, CACHE_RANK_AUTH, T0), 0);
	const uint16_t types[] = { WIRE_T_A, WIRE_T_AAAA, WIRE_T_MX, WIRE_T_TXT, WIRE_T_NS };
	struct cache_entry e;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		assert_true(get(c, "GONE.alpha.lab", types[i], T0 + 1000, &e));
		assert_int_equal(e.kind, CACHE_NXDOMAIN);
		assert_int_equal(e.type, CACHE_TYPE_NXDOMAIN);
		assert_int_equal(e.ttl, 119);
		assert_int_equal(e.n_soa, 1);
	}
	/* Not another class, not a parent, not a child (no RFC 8020 here). */
	assert_false(cache_get(c, owner.b, WIRE_T_A, WIRE_C_CH, T0, &e));
	assert_false(get(c, "alpha.lab", WIRE_T_A, T0, &e));
	assert_false(get(c, "x.gone.alpha.lab", WIRE_T_A, T0, &e));
	assert_false(get(c, "gone.alpha.lab", WIRE_T_A, T0 + 120000, &e));
	cache_free(c);
}

static void rank_rules(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	struct cache_entry e;

	/* Glue does not replace auth. */
	assert_int_equal(put_a(c, "ns.alpha.lab", A1, 300, CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(put_a(c, "ns.alpha.lab", A2, 300, CACHE_RANK_GLUE, T0), PC_EEXIST);
	assert_true(get(c, "ns.alpha.lab", WIRE_T_A, T0, &e));
	assert_memory_equal(cache_entry_rdata(&e, 0).data, A1, 4);
	assert_int_equal(e.rank, CACHE_RANK_AUTH);

	/* Auth replaces glue. */
	assert_int_equal(put_a(c, "ns.beta.lab", A1, 300, CACHE_RANK_GLUE, T0), 0);
	assert_int_equal(put_a(c, "ns.beta.lab", A2, 300, CACHE_RANK_AUTH, T0), 0);
	assert_true(get(c, "ns.beta.lab", WIRE_T_A, T0, &e));
	assert_memory_equal(cache_entry_rdata(&e, 0).data, A2, 4);
	assert_int_equal(e.rank, CACHE_RANK_AUTH);

	/* An expired higher-rank entry is replaced. */
	assert_int_equal(put_a(c, "ns.alpha.lab", A3, 300, CACHE_RANK_GLUE, T0 + 300000), 0);
	assert_true(get(c, "ns.alpha.lab", WIRE_T_A, T0 + 300000, &e));
	assert_memory_equal(cache_entry_rdata(&e, 0).data, A3, 4);
	assert_int_equal(e.rank, CACHE_RANK_GLUE);

	/* An authoritative NXDOMAIN keeps out lower-ranked data for the owner. */
	struct nm gone = name("gone.alpha.lab");
	assert_int_equal(cache_put_negative(c, CACHE_NXDOMAIN, gone.b, 0, WIRE_C_IN, 300,
					    NULL, NULL, 0, CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(put_a(c, "gone.alpha.lab", A1, 300, CACHE_RANK_GLUE, T0), PC_EEXIST);
	assert_true(get(c, "gone.alpha.lab", WIRE_T_A, T0, &e));
	assert_int_equal(e.kind, CACHE_NXDOMAIN);
	/* Equal-rank positive data proves the name exists: the NXDOMAIN goes. */
	assert_int_equal(put_a(c, "gone.alpha.lab", A1, 300, CACHE_RANK_AUTH, T0), 0);
	assert_true(get(c, "gone.alpha.lab", WIRE_T_A, T0, &e));
	assert_int_equal(e.kind, CACHE_RRSET);
	assert_false(get(c, "gone.alpha.lab", WIRE_T_AAAA, T0, &e));

	/* A forwarder's NXDOMAIN does not remove auth data at the owner, but
	 * answers the types that data does not cover. */
	assert_int_equal(cache_put_negative(c, CACHE_NXDOMAIN, gone.b, 0, WIRE_C_IN, 300,
					    NULL, NULL, 0, CACHE_RANK_NONAUTH, T0), 0);
	assert_true(get(c, "gone.alpha.lab", WIRE_T_A, T0, &e));
	assert_int_equal(e.kind, CACHE_RRSET);
	assert_true(get(c, "gone.alpha.lab", WIRE_T_AAAA, T0, &e));
	assert_int_equal(e.kind, CACHE_NXDOMAIN);
	/* An auth NXDOMAIN removes everything at the owner of equal rank. */
	assert_int_equal(cache_put_negative(c, CACHE_NXDOMAIN, gone.b, 0, WIRE_C_IN, 300,
					    NULL, NULL, 0, CACHE_RANK_AUTH, T0), 0);
	assert_true(get(c, "gone.alpha.lab", WIRE_T_A, T0, &e));
	assert_int_equal(e.kind, CACHE_NXDOMAIN);
	cache_free(c);
}

/* Size of one A entry as this cache accounts it, and of the empty table. */
static void measure(const char *owner, uint64_t *empty, uint64_t *one)
{
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	*empty = stats(c).bytes;
	assert_int_equal(put_a(c, owner, A1, 60, CACHE_RANK_AUTH, T0), 0);
	*one = stats(c).bytes - *empty;
	cache_free(c);
}

static void lru_eviction(void **state)
{
	(void)state;
	uint64_t empty, one;
	measure("a.lru.lab", &empty, &one);
	assert_true(one > 4 + 11 && one < 200);
	/* Room for three entries and a half. */
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = empty + 3 * one + one / 2, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	struct cache_entry e;
	assert_int_equal(put_a(c, "a.lru.lab", A1, 60, CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(put_a(c, "b.lru.lab", A1, 60, CACHE_RANK_AUTH, T0 + 1), 0);
	assert_int_equal(put_a(c, "c.lru.lab", A1, 60, CACHE_RANK_AUTH, T0 + 2), 0);
	assert_int_equal(stats(c).entries, 3);
	assert_int_equal(stats(c).evictions, 0);
	/* Touch a: b becomes the least recently used. */
	assert_true(get(c, "a.lru.lab", WIRE_T_A, T0 + 3, &e));
	assert_int_equal(put_a(c, "d.lru.lab", A1, 60, CACHE_RANK_AUTH, T0 + 4), 0);
	assert_int_equal(stats(c).evictions, 1);
	assert_false(get(c, "b.lru.lab", WIRE_T_A, T0 + 5, &e));
	/* Now c is the coldest (order: d, a, c). */
	assert_int_equal(put_a(c, "e.lru.lab", A1, 60, CACHE_RANK_AUTH, T0 + 6), 0);
	assert_false(get(c, "c.lru.lab", WIRE_T_A, T0 + 7, &e));
	assert_true(get(c, "a.lru.lab", WIRE_T_A, T0 + 7, &e));
	assert_true(get(c, "d.lru.lab", WIRE_T_A, T0 + 7, &e));
	assert_true(get(c, "e.lru.lab", WIRE_T_A, T0 + 7, &e));
	struct cache_stats s = stats(c);
	assert_int_equal(s.entries, 3);
	assert_int_equal(s.evictions, 2);
	assert_true(s.bytes <= s.budget);
	/* An entry bigger than the whole budget is refused, nothing evicted. */
	static uint8_t big[1000];
	struct nm n = name("big.lru.lab");
	struct cache_rdata rd = { big, sizeof big };
	assert_int_equal(cache_put_rrset(c, n.b, WIRE_T_TXT, WIRE_C_IN, 60, &rd, 1,
					 CACHE_RANK_AUTH, T0), PC_EINVAL);
	assert_int_equal(stats(c).entries, 3);
	cache_free(c);
}

static void accounting_after_flush_all(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	struct cache_stats s0 = stats(c);
	char text[64];
	for (int i = 0; i < 5000; i++) {
		snprintf(text, sizeof text, "host%d.acct.lab", i);
		assert_int_equal(put_a(c, text, A1, 60, CACHE_RANK_AUTH, T0), 0);
	}
	struct cache_stats s1 = stats(c);
	assert_int_equal(s1.entries, 5000);
	/* Every entry costs at least its header, name and rdata. */
	assert_true(s1.bytes - s0.bytes >= 5000u * (40 + 18 + 4));
	assert_true(s1.buckets > s0.buckets);
	cache_flush_all(c);
	struct cache_stats s2 = stats(c);
	assert_int_equal(s2.entries, 0);
	assert_int_equal(s2.bytes, s0.bytes);
	assert_int_equal(s2.buckets, s0.buckets);
	struct cache_entry e;
	assert_false(get(c, "host1.acct.lab", WIRE_T_A, T0, &e));
	/* Still usable after the flush. */
	assert_int_equal(put_a(c, "host1.acct.lab", A1, 60, CACHE_RANK_AUTH, T0), 0);
	assert_true(get(c, "host1.acct.lab", WIRE_T_A, T0, &e));
	cache_free(c);
}

static void flush_name_and_zone(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	struct cache_entry e;
	const char *owners[] = { "alpha.lab", "www.alpha.lab", "a.b.alpha.lab",
				 "beta.lab", "xalpha.lab", "alpha.lab.other" };
	for (size_t i = 0; i < sizeof owners / sizeof owners[0]; i++)
		assert_int_equal(put_a(c, owners[i], A1, 60, CACHE_RANK_AUTH, T0), 0);
	struct nm www = name("www.alpha.lab");
	struct cache_rdata rd = { A1, 4 };
	assert_int_equal(cache_put_rrset(c, www.b, WIRE_T_AAAA, WIRE_C_IN, 60, &rd, 1,
					 CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(cache_put_rrset(c, www.b, WIRE_T_A, WIRE_C_CH, 60, &rd, 1,
					 CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(stats(c).entries, 8);

	/* flush_name: exact owner, every type and class, any case. */
	struct nm upper = name("WWW.Alpha.lab");
	assert_int_equal(cache_flush_name(c, upper.b), 3);
	assert_false(get(c, "www.alpha.lab", WIRE_T_A, T0, &e));
	assert_false(get(c, "www.alpha.lab", WIRE_T_AAAA, T0, &e));
	assert_true(get(c, "alpha.lab", WIRE_T_A, T0, &e));
	assert_true(get(c, "a.b.alpha.lab", WIRE_T_A, T0, &e));
	assert_int_equal(cache_flush_name(c, upper.b), 0);

	/* flush_zone: at or below, on label boundaries only. */
	assert_int_equal(put_a(c, "www.alpha.lab", A1, 60, CACHE_RANK_AUTH, T0), 0);
	struct nm zone = name("ALPHA.lab");
	assert_int_equal(cache_flush_zone(c, zone.b), 3);
	assert_false(get(c, "alpha.lab", WIRE_T_A, T0, &e));
	assert_false(get(c, "www.alpha.lab", WIRE_T_A, T0, &e));
	assert_false(get(c, "a.b.alpha.lab", WIRE_T_A, T0, &e));
	assert_true(get(c, "beta.lab", WIRE_T_A, T0, &e));
	assert_true(get(c, "xalpha.lab", WIRE_T_A, T0, &e));
	assert_true(get(c, "alpha.lab.other", WIRE_T_A, T0, &e));
	assert_int_equal(stats(c).entries, 3);
	struct nm root = name(".");
	assert_int_equal(cache_flush_zone(c, root.b), 3);
	assert_int_equal(stats(c).entries, 0);
	cache_free(c);
}

/* flush_type: one type at one owner (and an NXDOMAIN there, which answers
 * that type too); every flush raises the generation the packet caches
 * check, so none of them can keep serving what was flushed. */
static void flush_type_and_generation(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	struct cache_entry e;
	struct nm www = name("www.alpha.lab");
	struct cache_rdata rd = { A1, 4 };
	assert_int_equal(put_a(c, "www.alpha.lab", A1, 60, CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(put_a(c, "sub.www.alpha.lab", A1, 60, CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(cache_put_rrset(c, www.b, WIRE_T_AAAA, WIRE_C_IN, 60, &rd, 1,
					 CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(cache_put_negative(c, CACHE_NODATA, www.b, WIRE_T_MX, WIRE_C_IN, 60,
					    NULL, NULL, 0, CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(cache_put_rrset(c, www.b, WIRE_T_A, WIRE_C_CH, 60, &rd, 1,
					 CACHE_RANK_AUTH, T0), 0);
	uint64_t gen = cache_flush_gen(c);

	struct nm upper = name("WWW.ALPHA.lab");
	assert_int_equal(cache_flush_type(c, upper.b, WIRE_T_A), 2); /* IN and CH */
	assert_true(cache_flush_gen(c) > gen);
	assert_false(get(c, "www.alpha.lab", WIRE_T_A, T0, &e));
	assert_true(get(c, "www.alpha.lab", WIRE_T_AAAA, T0, &e));
	assert_true(get(c, "www.alpha.lab", WIRE_T_MX, T0, &e));
	assert_true(get(c, "sub.www.alpha.lab", WIRE_T_A, T0, &e));
	/* a negative entry of the type goes too */
	assert_int_equal(cache_flush_type(c, www.b, WIRE_T_MX), 1);
	assert_false(get(c, "www.alpha.lab", WIRE_T_MX, T0, &e));
	assert_int_equal(cache_flush_type(c, www.b, WIRE_T_MX), 0);

	/* an NXDOMAIN answers every type: flushing one type removes it */
	struct nm gone = name("gone.alpha.lab");
	assert_int_equal(cache_put_negative(c, CACHE_NXDOMAIN, gone.b, 0, WIRE_C_IN, 60, NULL,
					    NULL, 0, CACHE_RANK_AUTH, T0), 0);
	assert_true(get(c, "gone.alpha.lab", WIRE_T_TXT, T0, &e));
	assert_int_equal(cache_flush_type(c, gone.b, WIRE_T_TXT), 1);
	assert_false(get(c, "gone.alpha.lab", WIRE_T_A, T0, &e));
	assert_int_equal(stats(c).entries, 2);

	/* every kind of flush moves the generation on */
	gen = cache_flush_gen(c);
	cache_flush_name(c, www.b);
	assert_true(cache_flush_gen(c) > gen);
	gen = cache_flush_gen(c);
	cache_flush_zone(c, www.b);
	assert_true(cache_flush_gen(c) > gen);
	assert_int_equal(stats(c).entries, 0);
	gen = cache_flush_gen(c);
	cache_flush_all(c);
	assert_true(cache_flush_gen(c) > gen);
	cache_free(c);
}

static void owner_cap(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	struct nm owner = name("popular.lab");
	struct cache_entry e;
	assert_int_equal(put_a(c, "popular.lab", A1, 3600, CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(put_a(c, "other.lab", A1, 60, CACHE_RANK_AUTH, T0), 0);
	/* A flood of queries for odd types, each cached as NODATA. */
	for (uint16_t t = 1000; t < 1100; t++)
		assert_int_equal(cache_put_negative(c, CACHE_NODATA, owner.b, t, WIRE_C_IN, 600,
						    NULL, NULL, 0, CACHE_RANK_AUTH, T0 + t), 0);
	struct cache_stats s = stats(c);
	/* The owner holds at most 32 entries, the real data is kept, other
	 * owners are untouched, and the newest NODATA entries are there. */
	assert_int_equal(s.entries, 32 + 1);
	assert_int_equal(s.evictions, 100 + 1 - 32);
	assert_true(get(c, "popular.lab", WIRE_T_A, T0 + 2000, &e));
	assert_int_equal(e.kind, CACHE_RRSET);
	assert_true(get(c, "other.lab", WIRE_T_A, T0 + 2000, &e));
	assert_true(cache_get(c, owner.b, 1099, WIRE_C_IN, T0 + 2000, &e));
	assert_false(cache_get(c, owner.b, 1000, WIRE_C_IN, T0 + 2000, &e));
	/* Replacing an existing key at a full owner drops nothing else. */
	assert_int_equal(put_a(c, "popular.lab", A2, 3600, CACHE_RANK_AUTH, T0 + 2000), 0);
	assert_int_equal(stats(c).entries, 33);
	assert_int_equal(cache_flush_name(c, owner.b), 32);
	cache_free(c);
}

static void stress_growth(void **state)
{
	(void)state;
	enum { N = 100000 };
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	char text[64];
	uint8_t addr[4];
	for (uint32_t i = 0; i < N; i++) {
		snprintf(text, sizeof text, "h%u.stress.lab", i);
		memcpy(addr, &i, 4);
		assert_int_equal(put_a(c, text, addr, 600, CACHE_RANK_AUTH, T0), 0);
	}
	struct cache_stats s = stats(c);
	assert_int_equal(s.entries, N);
	assert_int_equal(s.evictions, 0);
	assert_int_equal(s.buckets, 131072); /* load <= 1 */
	struct cache_entry e;
	for (uint32_t i = 0; i < N; i++) {
		snprintf(text, sizeof text, "H%u.Stress.lab", i);
		assert_true(get(c, text, WIRE_T_A, T0 + 1, &e));
		assert_memory_equal(cache_entry_rdata(&e, 0).data, &i, 4);
	}
	cache_free(c);
}

static void stress_budget(void **state)
{
	(void)state;
	enum { N = 100000 };
	const uint64_t budget = 2u << 20;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = budget, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	char text[64];
	uint8_t addr[4];
	struct cache_entry e;
	for (uint32_t i = 0; i < N; i++) {
		snprintf(text, sizeof text, "h%u.stress.lab", i);
		memcpy(addr, &i, 4);
		/* Mixed TTLs so that some entries expire on the way. */
		assert_int_equal(put_a(c, text, addr, 1 + i % 500, CACHE_RANK_AUTH, T0 + i), 0);
		assert_true(stats(c).bytes <= budget);
		if (i % 7 == 0) {
			snprintf(text, sizeof text, "h%u.stress.lab", i / 2);
			(void)get(c, text, WIRE_T_A, T0 + i, &e);
		}
	}
	struct cache_stats s = stats(c);
	assert_true(s.evictions > 0);
	assert_int_equal(s.entries + s.evictions + s.expired, N);
	assert_true(s.buckets >= 4096);
	/* The newest entries survive, the oldest went. (Entry i expires at
	 * T0 + i + 1000 at the earliest, hence the lookups at T0 + N - 1.) */
	for (uint32_t i = N - 1000; i < N; i++) {
		snprintf(text, sizeof text, "h%u.stress.lab", i);
		assert_true(get(c, text, WIRE_T_A, T0 + N - 1, &e));
		assert_memory_equal(cache_entry_rdata(&e, 0).data, &i, 4);
	}
	assert_false(get(c, "h1.stress.lab", WIRE_T_A, T0 + N - 1, &e));
	cache_flush_all(c);
	assert_int_equal(stats(c).entries, 0);
	cache_free(c);
}

/* ---- cache_get_copy: the lookup of reader threads ---------------------- */

static size_t get_copy(struct cache *c, const char *owner, uint16_t type, uint64_t now,
		       struct cache_entry *out, uint64_t *buf, size_t cap)
{
	struct nm n = name(owner);
	return cache_get_copy(c, n.b, type, WIRE_C_IN, now, out, buf, cap);
}

static void copy_round_trip(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	uint64_t buf[64];
	struct cache_entry e;
	assert_int_equal(get_copy(c, "www.alpha.lab", WIRE_T_A, T0, &e, buf, sizeof buf), 0);
	struct nm owner = name("www.alpha.lab");
	struct cache_rdata rd[2] = { { A1, 4 }, { A2, 4 } };
	assert_int_equal(cache_put_rrset(c, owner.b, WIRE_T_A, WIRE_C_IN, 300, rd, 2,
					 CACHE_RANK_AUTH, T0), 0);
	size_t used = get_copy(c, "WWW.Alpha.lab", WIRE_T_A, T0 + 2500, &e, buf, sizeof buf);
	assert_true(used > 0 && used <= sizeof buf && used % 8 == 0);
	assert_int_equal(e.kind, CACHE_RRSET);
	assert_int_equal(e.rank, CACHE_RANK_AUTH);
	assert_int_equal(e.ttl, 297);
	assert_int_equal(e.n_rdata, 2);
	assert_memory_equal(e.owner, owner.b, wire_name_len(owner.b));
	/* The view points into buf, not into the cache... */
	assert_true((const uint8_t *)e.owner >= (const uint8_t *)buf &&
		    (const uint8_t *)e.owner < (const uint8_t *)buf + used);
	/* ...so it survives the entry being replaced and flushed. */
	struct cache_rdata other = { A3, 4 };
	assert_int_equal(cache_put_rrset(c, owner.b, WIRE_T_A, WIRE_C_IN, 300, &other, 1,
					 CACHE_RANK_AUTH, T0 + 3000), 0);
	cache_flush_all(c);
	struct cache_rdata r1 = cache_entry_rdata(&e, 1);
	assert_int_equal(r1.len, 4);
	assert_memory_equal(r1.data, A2, 4);
	/* Too small a buffer is a miss, not an overflow. */
	assert_int_equal(put_a(c, "www.alpha.lab", A1, 60, CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(get_copy(c, "www.alpha.lab", WIRE_T_A, T0, &e, buf, 16), 0);
	/* Expired entries are skipped and left in place for the writer. */
	assert_int_equal(get_copy(c, "www.alpha.lab", WIRE_T_A, T0 + 60000, &e, buf, sizeof buf), 0);
	assert_int_equal(stats(c).entries, 1);
	assert_false(get(c, "www.alpha.lab", WIRE_T_A, T0 + 60000, &e));
	assert_int_equal(stats(c).entries, 0);
	cache_free(c);
}

static void copy_negative_and_nxdomain(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	struct nm owner = name("gone.alpha.lab"), zone = name("alpha.lab");
	struct cache_rdata soa = { SOA, sizeof SOA - 1 };
	assert_int_equal(cache_put_negative(c, CACHE_NXDOMAIN, owner.b, 0, WIRE_C_IN, 30, zone.b,
					    &soa, 1, CACHE_RANK_AUTH, T0), 0);
	uint64_t buf[64];
	struct cache_entry e;
	assert_true(get_copy(c, "gone.alpha.lab", WIRE_T_MX, T0, &e, buf, sizeof buf) > 0);
	assert_int_equal(e.kind, CACHE_NXDOMAIN);
	assert_int_equal(e.type, CACHE_TYPE_NXDOMAIN);
	assert_int_equal(e.n_soa, 1);
	assert_memory_equal(e.soa_owner, zone.b, wire_name_len(zone.b));
	struct cache_rdata got = cache_entry_soa(&e, 0);
	assert_int_equal(got.len, sizeof SOA - 1);
	assert_memory_equal(got.data, SOA, sizeof SOA - 1);
	cache_free(c);
}

/* A reader's hit cannot move the entry in the LRU list (that list is the
 * writer's), so it marks it, and eviction spares a marked entry once. */
static void copy_hit_spares_from_eviction(void **state)
{
	(void)state;
	uint64_t empty, one;
	measure("a.lru.lab", &empty, &one);
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = empty + 3 * one + one / 2, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	uint64_t buf[64];
	struct cache_entry e;
	assert_int_equal(put_a(c, "a.lru.lab", A1, 60, CACHE_RANK_AUTH, T0), 0);
	assert_int_equal(put_a(c, "b.lru.lab", A1, 60, CACHE_RANK_AUTH, T0 + 1), 0);
	assert_int_equal(put_a(c, "c.lru.lab", A1, 60, CACHE_RANK_AUTH, T0 + 2), 0);
	assert_true(get_copy(c, "a.lru.lab", WIRE_T_A, T0 + 3, &e, buf, sizeof buf) > 0);
	assert_int_equal(put_a(c, "d.lru.lab", A1, 60, CACHE_RANK_AUTH, T0 + 4), 0);
	assert_int_equal(stats(c).evictions, 1);
	assert_true(get(c, "a.lru.lab", WIRE_T_A, T0 + 5, &e));
	assert_false(get(c, "b.lru.lab", WIRE_T_A, T0 + 5, &e));
	/* Without a hit since, the mark is spent: a goes like any cold entry
	 * once it is the coldest again (order now: a, d, c after the get). */
	assert_int_equal(put_a(c, "e.lru.lab", A1, 60, CACHE_RANK_AUTH, T0 + 6), 0);
	assert_false(get(c, "c.lru.lab", WIRE_T_A, T0 + 7, &e));
	assert_true(stats(c).bytes <= stats(c).budget);
	cache_free(c);
}

/* Readers copy while the writer puts, evicts, grows the table and flushes.
 * Every copy must be a whole entry of one of the shapes written (checked
 * byte for byte); ASan, or TSan when built with it, reports any access to
 * freed memory or unlocked race. */
#define RACE_NAMES 64
#define RACE_ROUNDS 20000

struct race {
	struct cache *c;
	struct nm names[RACE_NAMES];
	_Atomic int done;
	_Atomic int bad;
};

static void *race_reader(void *arg)
{
	struct race *r = arg;
	uint64_t buf[256];
	unsigned i = 0;
	while (!r->done) {
		struct cache_entry e;
		const struct nm *n = &r->names[i++ % RACE_NAMES];
		if (cache_get_copy(r->c, n->b, WIRE_T_A, WIRE_C_IN, T0, &e, buf, sizeof buf) == 0)
			continue;
		/* the writer stores 1..3 addresses, all equal to their count */
		if (e.n_rdata < 1 || e.n_rdata > 3 ||
		    wire_name_len(e.owner) != wire_name_len(n->b))
			r->bad = 1;
		for (size_t k = 0; k < e.n_rdata; k++) {
			struct cache_rdata rd = cache_entry_rdata(&e, k);
			if (rd.len != 4 || rd.data[3] != e.n_rdata)
				r->bad = 1;
		}
	}
	return NULL;
}

static void copy_against_writer_thread(void **state)
{
	(void)state;
	static struct race r; /* large; keep off the stack */
	memset(&r, 0, sizeof r);
	r.c = cache_new(&(struct cache_opts){ .cache_size = 16u << 10, .cache_min_ttl = 0, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 }); /* small: evictions all the time */
	assert_non_null(r.c);
	for (int i = 0; i < RACE_NAMES; i++) {
		char text[64];
		snprintf(text, sizeof text, "n%d.race.lab", i);
		r.names[i] = name(text);
	}
	pthread_t th[2];
	for (int t = 0; t < 2; t++)
		assert_int_equal(pthread_create(&th[t], NULL, race_reader, &r), 0);
	for (unsigned k = 0; k < RACE_ROUNDS; k++) {
		unsigned n = 1 + k % 3;
		uint8_t addr[3][4];
		struct cache_rdata rd[3];
		for (unsigned j = 0; j < n; j++) {
			addr[j][0] = 192, addr[j][1] = 0, addr[j][2] = (uint8_t)j, addr[j][3] = (uint8_t)n;
			rd[j].data = addr[j];
			rd[j].len = 4;
		}
		const struct nm *nm = &r.names[(k * 7) % RACE_NAMES];
		cache_put_rrset(r.c, nm->b, WIRE_T_A, WIRE_C_IN, 60, rd, n, CACHE_RANK_AUTH, T0);
		if (k % 1000 == 999)
			cache_flush_all(r.c);
		else if (k % 97 == 0)
			cache_flush_name(r.c, r.names[k % RACE_NAMES].b);
	}
	r.done = 1;
	for (int t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	assert_int_equal(r.bad, 0);
	cache_free(r.c);
}

/* ---- serve-expired and prefetch -------------------------------------- */

static bool get_stale(struct cache *c, const char *owner, uint64_t now, bool reset, bool *stale)
{
	struct nm n = name(owner);
	struct cache_entry e;
	return cache_get_stale(c, n.b, WIRE_T_A, WIRE_C_IN, now, reset, &e, stale);
}

static void expired_entries_go_at_once_without_serve_expired(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	struct cache_entry e;
	bool stale;
	assert_int_equal(put_a(c, "a.lab.", A1, 10, CACHE_RANK_AUTH, T0), 0);
	assert_false(get(c, "a.lab.", WIRE_T_A, T0 + 10000, &e));
	assert_false(get_stale(c, "a.lab.", T0 + 10000, false, &stale));
	cache_free(c);
}

static void serve_expired_keeps_entries_for_its_ttl(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600,
						    .serve_expired = true, .serve_expired_ttl = 20 });
	struct cache_entry e;
	bool stale = true;
	assert_int_equal(put_a(c, "a.lab.", A1, 10, CACHE_RANK_AUTH, T0), 0);
	assert_true(get_stale(c, "a.lab.", T0 + 9000, false, &stale));
	assert_false(stale);
	/* expired: no longer a hit for the normal lookups, but kept */
	assert_false(get(c, "a.lab.", WIRE_T_A, T0 + 10000, &e));
	char buf[512];
	struct nm n = name("a.lab.");
	assert_int_equal(cache_get_copy(c, n.b, WIRE_T_A, WIRE_C_IN, T0 + 10000, &e, buf,
					sizeof(buf)), 0);
	assert_true(get_stale(c, "a.lab.", T0 + 29999, false, &stale));
	assert_true(stale);
	assert_int_equal(stats(c).entries, 1);
	/* serve-expired-ttl 20 s past the expiry: gone */
	assert_false(get_stale(c, "a.lab.", T0 + 30000, false, &stale));
	assert_false(get(c, "a.lab.", WIRE_T_A, T0 + 30000, &e));
	assert_int_equal(stats(c).entries, 0);
	cache_free(c);
}

static void serve_expired_ttl_reset_restarts_keeping(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600,
						    .serve_expired = true, .serve_expired_ttl = 20 });
	bool stale;
	assert_int_equal(put_a(c, "a.lab.", A1, 10, CACHE_RANK_AUTH, T0), 0);
	assert_true(get_stale(c, "a.lab.", T0 + 25000, true, &stale));
	assert_true(stale);
	assert_true(get_stale(c, "a.lab.", T0 + 44000, false, &stale));
	assert_false(get_stale(c, "a.lab.", T0 + 45000, false, &stale));
	cache_free(c);
}

static void expired_entry_never_blocks_a_put(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600,
						    .serve_expired = true, .serve_expired_ttl = 0 });
	struct cache_entry e;
	bool stale;
	assert_int_equal(put_a(c, "a.lab.", A1, 10, CACHE_RANK_AUTH, T0), 0);
	/* a fresh entry of higher rank wins, an expired one does not */
	assert_int_equal(put_a(c, "a.lab.", A2, 10, CACHE_RANK_GLUE, T0 + 5000), PC_EEXIST);
	assert_int_equal(put_a(c, "a.lab.", A2, 10, CACHE_RANK_GLUE, T0 + 10000), 0);
	assert_true(get(c, "a.lab.", WIRE_T_A, T0 + 10000, &e));
	assert_memory_equal(cache_entry_rdata(&e, 0).data, A2, 4);
	/* no limit: kept a year past its expiry */
	assert_true(get_stale(c, "a.lab.", T0 + 20000 + 365ull * 86400000, false, &stale));
	assert_true(stale);
	cache_free(c);
}

static void prefetch_claimed_once_in_the_last_tenth(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	struct cache_entry e;
	char buf[512];
	struct nm n = name("a.lab.");
	assert_int_equal(put_a(c, "a.lab.", A1, 100, CACHE_RANK_AUTH, T0), 0);
	/* stored before prefetch was on: never */
	assert_true(cache_get_copy(c, n.b, WIRE_T_A, WIRE_C_IN, T0 + 95000, &e, buf, sizeof(buf)));
	assert_false(e.prefetch);
	assert_true(e.pf_ms == UINT64_MAX);
	cache_set_prefetch(c, true);
	assert_int_equal(put_a(c, "a.lab.", A1, 100, CACHE_RANK_AUTH, T0), 0);
	assert_true(cache_get_copy(c, n.b, WIRE_T_A, WIRE_C_IN, T0 + 89000, &e, buf, sizeof(buf)));
	assert_false(e.prefetch);
	/* 100 s is stored as 96 s (rounded down): the window is its last 9.6 s */
	assert_true(e.pf_ms == T0 + 100000 - 9600);
	assert_true(cache_get_copy(c, n.b, WIRE_T_A, WIRE_C_IN, T0 + 91000, &e, buf, sizeof(buf)));
	assert_true(e.prefetch);
	assert_true(cache_get_copy(c, n.b, WIRE_T_A, WIRE_C_IN, T0 + 92000, &e, buf, sizeof(buf)));
	assert_false(e.prefetch);
	/* the refresh replaces the entry: a new window */
	assert_int_equal(put_a(c, "a.lab.", A2, 3, CACHE_RANK_AUTH, T0 + 93000), 0);
	assert_true(cache_get_copy(c, n.b, WIRE_T_A, WIRE_C_IN, T0 + 95600, &e, buf, sizeof(buf)));
	assert_false(e.prefetch);
	assert_true(e.pf_ms == T0 + 96000 - 300);
	assert_true(cache_get_copy(c, n.b, WIRE_T_A, WIRE_C_IN, T0 + 95700, &e, buf, sizeof(buf)));
	assert_true(e.prefetch);
	cache_free(c);
}

/* Extra records (an RRset's RRSIGs, a negative answer's NSEC proofs) come
 * back with the entry, owners lowercased, through both lookups; an entry
 * without them reports none. */
static void extra_records_round_trip(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	struct nm www = name("WWW.Sec.Lab"), nsec_owner = name("A.Sec.Lab"), zone = name("sec.lab");
	static const uint8_t sig1[] = { 0, 1, 13, 3, 9, 9, 9 }, sig2[] = { 0, 1, 13, 3, 8 };
	static const uint8_t nsec[] = { 1, 'b', 3, 's', 'e', 'c', 3, 'l', 'a', 'b', 0, 0, 1, 0x40 };
	struct cache_rdata rd = { A1, 4 };
	struct cache_rr x[2] = { { www.b, WIRE_T_RRSIG, sig1, sizeof(sig1) },
				 { www.b, WIRE_T_RRSIG, sig2, sizeof(sig2) } };
	assert_int_equal(cache_put_rrset_ex(c, www.b, WIRE_T_A, WIRE_C_IN, 300, &rd, 1, x, 2,
					    CACHE_RANK_AUTH, T0), 0);
	static uint64_t buf[1024];
	for (int way = 0; way < 2; way++) {
		struct cache_entry e;
		if (way == 0)
			assert_true(get(c, "www.sec.lab", WIRE_T_A, T0 + 1000, &e));
		else
			assert_true(cache_get_copy(c, www.b, WIRE_T_A, WIRE_C_IN, T0 + 1000, &e, buf,
						   sizeof(buf)) > 0);
		assert_int_equal(e.n_rdata, 1);
		assert_int_equal(e.n_extra, 2);
		struct cache_rr g = cache_entry_extra(&e, 1);
		assert_int_equal(g.type, WIRE_T_RRSIG);
		assert_int_equal(g.rdlen, sizeof(sig2));
		assert_memory_equal(g.rdata, sig2, sizeof(sig2));
		assert_true(wire_name_eq_exact(g.owner, name("www.sec.lab").b));
		assert_null(cache_entry_extra(&e, 2).owner);
		struct cache_rdata r0 = cache_entry_rdata(&e, 0);
		assert_memory_equal(r0.data, A1, 4);
	}
	/* a negative answer with its SOA and an NSEC beside it */
	struct cache_rdata soa = { SOA, sizeof(SOA) - 1 };
	struct cache_rr p[1] = { { nsec_owner.b, WIRE_T_NSEC, nsec, sizeof(nsec) } };
	struct nm nx = name("aa.sec.lab");
	assert_int_equal(cache_put_negative_ex(c, CACHE_NXDOMAIN, nx.b, WIRE_T_A, WIRE_C_IN, 300,
					       zone.b, &soa, 1, p, 1, CACHE_RANK_AUTH, T0), 0);
	struct cache_entry e;
	assert_true(get(c, "aa.sec.lab", WIRE_T_TXT, T0, &e));
	assert_int_equal(e.kind, CACHE_NXDOMAIN);
	assert_int_equal(e.n_soa, 1);
	assert_int_equal(e.n_extra, 1);
	struct cache_rr g = cache_entry_extra(&e, 0);
	assert_int_equal(g.type, WIRE_T_NSEC);
	assert_true(wire_name_eq_exact(g.owner, name("a.sec.lab").b));
	assert_memory_equal(g.rdata, nsec, sizeof(nsec));
	assert_memory_equal(cache_entry_soa(&e, 0).data, SOA, sizeof(SOA) - 1);
	/* plain entries have none; too many or a bad owner is refused */
	assert_int_equal(put_a(c, "plain.lab", A2, 300, CACHE_RANK_AUTH, T0), 0);
	assert_true(get(c, "plain.lab", WIRE_T_A, T0, &e));
	assert_int_equal(e.n_extra, 0);
	static struct cache_rr many[CACHE_EXTRA_MAX + 1];
	for (size_t i = 0; i <= CACHE_EXTRA_MAX; i++)
		many[i] = x[0];
	assert_int_equal(cache_put_rrset_ex(c, www.b, WIRE_T_A, WIRE_C_IN, 300, &rd, 1, many,
					    CACHE_EXTRA_MAX + 1, CACHE_RANK_AUTH, T0), PC_EINVAL);
	struct cache_rr bad = { (const uint8_t *)"\xc0\x0c", WIRE_T_RRSIG, sig1, sizeof(sig1) };
	assert_int_equal(cache_put_rrset_ex(c, www.b, WIRE_T_A, WIRE_C_IN, 300, &rd, 1, &bad, 1,
					    CACHE_RANK_AUTH, T0), PC_EINVAL);
	cache_free(c);
}

/* Prefetch's byte and the extra records share the entry's header: an
 * entry with RRSIGs beside it claims its refresh in the last tenth of its
 * TTL, once, and both lookups (and the expired-data one) still give its
 * records and its extra records intact. */
static void prefetch_with_extra_records(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_max_ttl = 86400,
						    .cache_max_negative_ttl = 3600,
						    .serve_expired = true, .prefetch = true });
	struct nm www = name("www.sec.lab");
	static const uint8_t sig1[] = { 0, 1, 13, 3, 9, 9, 9 }, sig2[] = { 0, 1, 13, 3, 8 };
	struct cache_rdata rd = { A1, 4 };
	struct cache_rr x[2] = { { www.b, WIRE_T_RRSIG, sig1, sizeof(sig1) },
				 { www.b, WIRE_T_RRSIG, sig2, sizeof(sig2) } };
	assert_int_equal(cache_put_rrset_ex(c, www.b, WIRE_T_A, WIRE_C_IN, 100, &rd, 1, x, 2,
					    CACHE_RANK_AUTH, T0), 0);
	static uint64_t buf[1024];
	struct cache_entry e;
	/* before the window: no claim, the window's start is known */
	assert_true(cache_get_copy(c, www.b, WIRE_T_A, WIRE_C_IN, T0 + 80000, &e, buf,
				   sizeof(buf)) > 0);
	assert_false(e.prefetch);
	assert_true(e.pf_ms > T0 + 80000 && e.pf_ms <= T0 + 91250);
	for (int round = 0; round < 2; round++) {
		assert_true(cache_get_copy(c, www.b, WIRE_T_A, WIRE_C_IN, T0 + 95000, &e, buf,
					   sizeof(buf)) > 0);
		assert_int_equal(e.prefetch, round == 0); /* claimed once */
		assert_int_equal(e.n_rdata, 1);
		assert_memory_equal(cache_entry_rdata(&e, 0).data, A1, 4);
		assert_int_equal(e.n_extra, 2);
		assert_memory_equal(cache_entry_extra(&e, 0).rdata, sig1, sizeof(sig1));
		assert_memory_equal(cache_entry_extra(&e, 1).rdata, sig2, sizeof(sig2));
		assert_int_equal(e.ttl, 5);
	}
	assert_true(get(c, "www.sec.lab", WIRE_T_A, T0 + 95000, &e));
	assert_int_equal(e.n_extra, 2);
	assert_memory_equal(cache_entry_extra(&e, 1).rdata, sig2, sizeof(sig2));
	/* expired, kept for serve-expired: the extra records come with it */
	bool stale = false;
	assert_true(cache_get_stale(c, www.b, WIRE_T_A, WIRE_C_IN, T0 + 150000, false, &e, &stale));
	assert_true(stale);
	assert_int_equal(e.n_extra, 2);
	assert_memory_equal(cache_entry_extra(&e, 0).rdata, sig1, sizeof(sig1));
	cache_free(c);
}

/* load_cache's puts: the status stored with the entry in one step, a
 * bogus one capped after the TTL clamps; flush_bogus drops those alone. */
static void judged_puts_and_flush_bogus(void **state)
{
	(void)state;
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = BIG, .cache_min_ttl = 3600,
							 .cache_max_ttl = 86400,
							 .cache_max_negative_ttl = 3600 });
	assert_non_null(c);
	struct cache_rdata rd = { A1, 4 };
	struct nm sec = name("sec.lab."), bog = name("bog.lab."), nx = name("nx.lab."),
		  un = name("un.lab."), z = name("lab.");
	struct cache_judged js = { CACHE_SEC_SECURE, UINT32_MAX },
			    jb = { CACHE_SEC_BOGUS_EXPIRED, 5 }, jn = { CACHE_SEC_BOGUS_NOSIG, 5 };
	assert_int_equal(cache_put_rrset_judged(c, sec.b, WIRE_T_A, WIRE_C_IN, 300, &rd, 1, NULL, 0,
						CACHE_RANK_AUTH, &js, T0), 0);
	/* cache-min-ttl raises 300 to 3600; the cap of 5 s comes after it */
	assert_int_equal(cache_put_rrset_judged(c, bog.b, WIRE_T_A, WIRE_C_IN, 300, &rd, 1, NULL, 0,
						CACHE_RANK_AUTH, &jb, T0), 0);
	struct cache_rdata soa = { SOA, sizeof(SOA) - 1 };
	assert_int_equal(cache_put_negative_judged(c, CACHE_NXDOMAIN, nx.b, 0, WIRE_C_IN, 300, z.b,
						   &soa, 1, NULL, 0, CACHE_RANK_AUTH, &jn, T0), 0);
	assert_int_equal(put_a(c, "un.lab.", A2, 300, CACHE_RANK_AUTH, T0), 0);
	struct cache_judged bad = { (enum cache_sec)8, 0 };
	assert_int_equal(cache_put_rrset_judged(c, un.b, WIRE_T_A, WIRE_C_IN, 300, &rd, 1, NULL, 0,
						CACHE_RANK_AUTH, &bad, T0), PC_EINVAL);
	assert_int_equal(cache_put_rrset_judged(c, un.b, WIRE_T_A, WIRE_C_IN, 300, &rd, 1, NULL, 0,
						CACHE_RANK_AUTH, NULL, T0), PC_EINVAL);
	struct cache_entry e;
	assert_true(get(c, "sec.lab.", WIRE_T_A, T0, &e));
	assert_int_equal(e.sec, CACHE_SEC_SECURE);
	assert_int_equal(e.ttl, 3600);
	assert_true(get(c, "bog.lab.", WIRE_T_A, T0, &e));
	assert_int_equal(e.sec, CACHE_SEC_BOGUS_EXPIRED);
	assert_int_equal(e.ttl, 5);
	assert_true(get(c, "nx.lab.", WIRE_T_AAAA, T0, &e));
	assert_int_equal(e.kind, CACHE_NXDOMAIN);
	assert_int_equal(e.sec, CACHE_SEC_BOGUS_NOSIG);
	assert_int_equal(e.ttl, 5);
	assert_true(get(c, "un.lab.", WIRE_T_A, T0, &e));
	assert_int_equal(e.sec, CACHE_SEC_UNCHECKED);
	/* a judged put whose TTL comes to 0 stores nothing and marks nothing */
	struct cache_judged j0 = { CACHE_SEC_SECURE, 0 };
	assert_int_equal(cache_put_rrset_judged(c, un.b, WIRE_T_A, WIRE_C_IN, 300, &rd, 1, NULL, 0,
						CACHE_RANK_AUTH, &j0, T0), 0);
	assert_true(get(c, "un.lab.", WIRE_T_A, T0, &e));
	assert_int_equal(e.sec, CACHE_SEC_UNCHECKED);
	assert_true(get(c, "bog.lab.", WIRE_T_A, T0 + 4999, &e));
	assert_false(get(c, "bog.lab.", WIRE_T_A, T0 + 5000, &e));

	/* Both bogus entries again: the lookup at T0 + 5000 removed every
	 * entry dead by then from bog.lab.'s chain, and with the cache's
	 * random hash key nx.lab. shares that chain now and then. */
	assert_int_equal(cache_put_rrset_judged(c, bog.b, WIRE_T_A, WIRE_C_IN, 300, &rd, 1, NULL, 0,
						CACHE_RANK_AUTH, &jb, T0), 0);
	assert_int_equal(cache_put_negative_judged(c, CACHE_NXDOMAIN, nx.b, 0, WIRE_C_IN, 300, z.b,
						   &soa, 1, NULL, 0, CACHE_RANK_AUTH, &jn, T0), 0);
	uint64_t gen = cache_flush_gen(c);
	assert_int_equal(cache_flush_bogus(c), 2);
	assert_true(cache_flush_gen(c) > gen);
	assert_false(get(c, "bog.lab.", WIRE_T_A, T0, &e));
	assert_false(get(c, "nx.lab.", WIRE_T_A, T0, &e));
	assert_true(get(c, "sec.lab.", WIRE_T_A, T0, &e));
	assert_true(get(c, "un.lab.", WIRE_T_A, T0, &e));
	assert_int_equal(cache_flush_bogus(c), 0);
	assert_int_equal(stats(c).entries, 2);
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(put_get_round_trip),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(case_insensitive),
		cmocka_unit_test(ttl_countdown_and_expiry),
		cmocka_unit_test(ttl_clamping),
		cmocka_unit_test(negative_nodata),
		cmocka_unit_test(negative_nxdomain_any_type),
		cmocka_unit_test(rank_rules),
		cmocka_unit_test(lru_eviction),
		cmocka_unit_test(accounting_after_flush_all),
		cmocka_unit_test(flush_name_and_zone),
		cmocka_unit_test(flush_type_and_generation),
		cmocka_unit_test(owner_cap),
		cmocka_unit_test(stress_growth),
		cmocka_unit_test(stress_budget),
		cmocka_unit_test(copy_round_trip),
		cmocka_unit_test(copy_negative_and_nxdomain),
		cmocka_unit_test(copy_hit_spares_from_eviction),
		cmocka_unit_test(copy_against_writer_thread),
		cmocka_unit_test(expired_entries_go_at_once_without_serve_expired),
		cmocka_unit_test(serve_expired_keeps_entries_for_its_ttl),
		cmocka_unit_test(serve_expired_ttl_reset_restarts_keeping),
		cmocka_unit_test(expired_entry_never_blocks_a_put),
		cmocka_unit_test(prefetch_claimed_once_in_the_last_tenth),
		cmocka_unit_test(extra_records_round_trip),
		cmocka_unit_test(prefetch_with_extra_records),
		cmocka_unit_test(judged_puts_and_flush_bogus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
