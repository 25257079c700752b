/* Unit tests for the packet cache: the answer comes back for the same bytes
 * with the query's ID and TTLs counted down (never above the cache's own),
 * ends with its first TTL and with a flush generation, is keyed by every
 * byte after the ID, leaves the OPT record alone, and refuses to keep what
 * it could not serve right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cache/pcache.h"
#include "wire/wire.h"

#define T0 1000000u /* fake clock, ms */

struct pkt {
	uint8_t b[2048];
	size_t n;
};

static void u8(struct pkt *p, uint8_t v)
{
	p->b[p->n++] = v;
}

static void u16(struct pkt *p, uint16_t v)
{
	u8(p, (uint8_t)(v >> 8));
	u8(p, (uint8_t)v);
}

static void u32(struct pkt *p, uint32_t v)
{
	u16(p, (uint16_t)(v >> 16));
	u16(p, (uint16_t)v);
}

static void name(struct pkt *p, const char *text)
{
	uint8_t n[WIRE_NAME_MAX];
	int len = wire_name_from_text(text, n);
	assert_true(len > 0);
	memcpy(p->b + p->n, n, (size_t)len);
	p->n += (size_t)len;
}

static void header(struct pkt *p, uint16_t id, uint16_t flags, uint16_t an, uint16_t ns,
		   uint16_t ar)
{
	p->n = 0;
	u16(p, id);
	u16(p, flags);
	u16(p, 1);
	u16(p, an);
	u16(p, ns);
	u16(p, ar);
}

static void opt(struct pkt *p, uint32_t ttl_field)
{
	u8(p, 0);
	u16(p, 41);
	u16(p, 1232);
	u32(p, ttl_field);
	u16(p, 0);
}

/* A query for qname/qtype: RD set, with or without an EDNS record. */
static struct pkt query(uint16_t id, const char *qname, uint16_t qtype, uint16_t flags, bool edns)
{
	struct pkt p;
	header(&p, id, flags, 0, 0, edns ? 1 : 0);
	name(&p, qname);
	u16(&p, qtype);
	u16(&p, 1);
	if (edns)
		opt(&p, 0);
	return p;
}

/* The query's header and question made a response's: QR, RA and rcode set,
 * an answer and authority records announced (the caller appends them). */
static struct pkt response_to(const struct pkt *q, bool edns, uint8_t rcode, uint8_t an,
			      uint8_t ns)
{
	struct pkt p = *q;
	p.n = q->n - (edns ? 11 : 0);
	p.b[2] |= 0x80;
	p.b[3] = (uint8_t)(0x80 | rcode);
	p.b[6] = 0;
	p.b[7] = an;
	p.b[8] = 0;
	p.b[9] = ns;
	return p;
}

/* A record's fixed part (class IN), its owner a compression pointer to
 * owner_at; returns where its TTL is. */
static size_t rr_head(struct pkt *p, size_t owner_at, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
	u16(p, (uint16_t)(0xc000 | owner_at));
	u16(p, type);
	u16(p, 1);
	size_t at = p->n;
	u32(p, ttl);
	u16(p, rdlen);
	return at;
}

/* Its answer: one A record of the given TTL (owner by pointer). */
static struct pkt answer_a(const struct pkt *q, uint32_t ttl, bool edns)
{
	struct pkt p = response_to(q, edns, 0, 1, 0);
	rr_head(&p, 12, 1, ttl, 4);
	u32(&p, 0xc0000201);
	if (edns)
		opt(&p, 0x00008000); /* DO set: flags, not a TTL */
	return p;
}

static uint32_t ttl_at(const uint8_t *b, size_t off)
{
	return (uint32_t)b[off] << 24 | (uint32_t)b[off + 1] << 16 | (uint32_t)b[off + 2] << 8 |
	       b[off + 3];
}

/* Offset of the first answer record's TTL in answer_a's layout. */
static size_t first_ttl_off(const struct pkt *q, bool edns)
{
	return q->n - (edns ? 11 : 0) + 2 + 2 + 2;
}

static size_t ask(struct pcache *pc, const struct pkt *q, uint64_t now, uint64_t gen,
		  uint8_t *out)
{
	unsigned rcode = 99;
	size_t n = pcache_answer(pc, q->b, q->n, now, gen, out, 4096, &rcode);
	if (n != 0)
		assert_true(rcode <= 15);
	return n;
}

static void round_trip_id_and_ttl(void **state)
{
	(void)state;
	struct pcache *pc = pcache_new(64);
	assert_non_null(pc);
	struct pkt q = query(0x1111, "www.example.", 1, 0x0100, false);
	struct pkt a = answer_a(&q, 300, false);
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 5);

	uint8_t out[4096];
	struct pkt q2 = query(0xbeef, "www.example.", 1, 0x0100, false);
	size_t off = first_ttl_off(&q, false);
	assert_int_equal(ask(pc, &q2, T0, 5, out), a.n);
	assert_int_equal(out[0], 0xbe);
	assert_int_equal(out[1], 0xef);
	assert_memory_equal(out + 2, a.b + 2, a.n - 2);
	/* The time gone by is rounded up: 1 ms already costs a second, so the
	 * TTL is never above floor((expiry - now) / 1000). */
	assert_int_equal(ask(pc, &q2, T0 + 1, 5, out), a.n);
	assert_int_equal(ttl_at(out, off), 299);
	assert_int_equal(ask(pc, &q2, T0 + 1000, 5, out), a.n);
	assert_int_equal(ttl_at(out, off), 299);
	assert_int_equal(ask(pc, &q2, T0 + 1001, 5, out), a.n);
	assert_int_equal(ttl_at(out, off), 298);
	assert_int_equal(ask(pc, &q2, T0 + 299999, 5, out), a.n);
	assert_int_equal(ttl_at(out, off), 0);
	assert_int_equal(ask(pc, &q2, T0 + 300000, 5, out), 0);
	pcache_free(pc);
}

static void first_ttl_ends_it(void **state)
{
	(void)state;
	struct pcache *pc = pcache_new(64);
	/* A CNAME (TTL 60) and its target's A (TTL 300). */
	struct pkt q = query(1, "alias.example.", 1, 0x0100, false);
	struct pkt a = response_to(&q, false, 0, 2, 0);
	size_t rdlen_at = rr_head(&a, 12, 5, 60, 0) + 4;
	size_t target = a.n;
	name(&a, "www.example.");
	a.b[rdlen_at + 1] = (uint8_t)(a.n - target);
	size_t a_ttl = rr_head(&a, target, 1, 300, 4);
	u32(&a, 0xc0000202);
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);

	uint8_t out[4096];
	assert_int_equal(ask(pc, &q, T0 + 59999, 0, out), a.n);
	assert_int_equal(ttl_at(out, first_ttl_off(&q, false)), 0);
	assert_int_equal(ttl_at(out, a_ttl), 240);
	assert_int_equal(ask(pc, &q, T0 + 60000, 0, out), 0);
	pcache_free(pc);
}

static void generation_ends_it(void **state)
{
	(void)state;
	struct pcache *pc = pcache_new(64);
	struct pkt q = query(1, "www.example.", 1, 0x0100, false);
	struct pkt a = answer_a(&q, 300, false);
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 3);
	uint8_t out[4096];
	assert_int_equal(ask(pc, &q, T0, 4, out), 0);
	assert_int_equal(ask(pc, &q, T0, 3, out), a.n);
	pcache_free(pc);
}

static void every_byte_after_the_id_is_key(void **state)
{
	(void)state;
	struct pcache *pc = pcache_new(64);
	struct pkt q = query(1, "www.example.", 1, 0x0100, true);
	struct pkt a = answer_a(&q, 300, true);
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	uint8_t out[4096];
	assert_int_equal(ask(pc, &q, T0, 0, out), a.n);

	struct pkt other = query(1, "WWW.example.", 1, 0x0100, true); /* case */
	assert_int_equal(ask(pc, &other, T0, 0, out), 0);
	other = query(1, "www.example.", 28, 0x0100, true); /* type */
	assert_int_equal(ask(pc, &other, T0, 0, out), 0);
	other = query(1, "www.example.", 1, 0x0000, true); /* RD */
	assert_int_equal(ask(pc, &other, T0, 0, out), 0);
	other = query(1, "www.example.", 1, 0x0110, true); /* CD */
	assert_int_equal(ask(pc, &other, T0, 0, out), 0);
	other = query(1, "www.example.", 1, 0x0100, false); /* no EDNS */
	assert_int_equal(ask(pc, &other, T0, 0, out), 0);
	other = query(1, "www.example.", 1, 0x0100, true);
	other.b[other.n - 4] = 0x80; /* DO */
	assert_int_equal(ask(pc, &other, T0, 0, out), 0);
	other = query(1, "www.example.", 1, 0x0100, true);
	other.b[other.n - 9] = 0x02; /* advertised size */
	assert_int_equal(ask(pc, &other, T0, 0, out), 0);
	pcache_free(pc);
}

static void opt_record_left_alone(void **state)
{
	(void)state;
	struct pcache *pc = pcache_new(64);
	struct pkt q = query(1, "www.example.", 1, 0x0100, true);
	struct pkt a = answer_a(&q, 300, true);
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	uint8_t out[4096];
	assert_int_equal(ask(pc, &q, T0 + 5000, 0, out), a.n);
	assert_int_equal(ttl_at(out, first_ttl_off(&q, true)), 295);
	assert_memory_equal(out + a.n - 11, a.b + a.n - 11, 11);
	pcache_free(pc);
}

static void rcode_comes_back(void **state)
{
	(void)state;
	struct pcache *pc = pcache_new(64);
	struct pkt q = query(1, "nx.example.", 1, 0x0100, false);
	struct pkt a = response_to(&q, false, 3, 0, 1); /* NXDOMAIN */
	rr_head(&a, 15, 6, 30, 24); /* "example." inside the question */
	u16(&a, 0xc000 | 15);
	u16(&a, 0xc000 | 15);
	for (int i = 0; i < 5; i++)
		u32(&a, 30);
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	uint8_t out[4096];
	unsigned rcode = 0;
	assert_int_equal(pcache_answer(pc, q.b, q.n, T0 + 2500, 0, out, sizeof(out), &rcode), a.n);
	assert_int_equal(rcode, 3);
	assert_int_equal(ttl_at(out, q.n + 6), 27);
	/* The SOA's own fields (serial, ... minimum) are rdata, not TTLs. */
	assert_memory_equal(out + a.n - 20, a.b + a.n - 20, 20);
	pcache_free(pc);
}

static void refuses_what_it_could_not_serve(void **state)
{
	(void)state;
	struct pcache *pc = pcache_new(64);
	uint8_t out[4096];
	struct pkt q = query(1, "www.example.", 1, 0x0100, false);
	struct pkt a;

	a = answer_a(&q, 300, false);
	a.b[2] |= 0x02; /* truncated */
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	assert_int_equal(ask(pc, &q, T0, 0, out), 0);

	a = answer_a(&q, 0, false); /* nothing to count down */
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	assert_int_equal(ask(pc, &q, T0, 0, out), 0);

	a = answer_a(&q, 0x80000000u, false); /* a TTL that counts as 0 */
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	assert_int_equal(ask(pc, &q, T0, 0, out), 0);

	a = answer_a(&q, 300, false);
	a.b[2] &= 0x7f; /* not a response */
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	assert_int_equal(ask(pc, &q, T0, 0, out), 0);

	a = answer_a(&q, 300, false);
	u8(&a, 0); /* a byte after the last record */
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	assert_int_equal(ask(pc, &q, T0, 0, out), 0);

	a = answer_a(&q, 300, false);
	a.n -= 1; /* the record runs off the end */
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	assert_int_equal(ask(pc, &q, T0, 0, out), 0);

	a = answer_a(&q, 300, false);
	a.b[7] = 2; /* claims a record more than it has */
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	assert_int_equal(ask(pc, &q, T0, 0, out), 0);

	a = answer_a(&q, 300, false);
	a.b[q.n] = 0x80; /* an owner that is neither a label nor a pointer */
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	assert_int_equal(ask(pc, &q, T0, 0, out), 0);

	/* Seventeen records: more than it keeps TTLs for. */
	a = answer_a(&q, 300, false);
	size_t rr = a.n - 16;
	for (int i = 1; i < 17; i++) {
		memcpy(a.b + a.n, a.b + rr, 16);
		a.n += 16;
	}
	a.b[7] = 17;
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	assert_int_equal(ask(pc, &q, T0, 0, out), 0);
	a.n -= 16;
	a.b[7] = 16; /* sixteen are fine */
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	assert_int_equal(ask(pc, &q, T0, 0, out), a.n);

	/* Too long an answer for its slot. */
	struct pkt big = query(1, "big.example.", 16, 0x0100, false);
	a = response_to(&big, false, 0, 1, 0);
	rr_head(&a, 12, 16, 300, 500);
	memset(a.b + a.n, 'x', 500);
	a.n += 500;
	assert_true(a.n > PCACHE_ANSWER_MAX);
	pcache_keep(pc, big.b, big.n, a.b, a.n, T0, 0);
	assert_int_equal(ask(pc, &big, T0, 0, out), 0);

	/* An answer bigger than the caller's buffer is not served. */
	q = query(1, "www.example.", 1, 0x0100, false);
	a = answer_a(&q, 300, false);
	pcache_keep(pc, q.b, q.n, a.b, a.n, T0, 0);
	unsigned rcode;
	assert_int_equal(pcache_answer(pc, q.b, q.n, T0, 0, out, a.n - 1, &rcode), 0);
	assert_int_equal(pcache_answer(pc, q.b, q.n, T0, 0, out, a.n, &rcode), a.n);
	pcache_free(pc);
}

static void full_sets_keep_serving(void **state)
{
	(void)state;
	/* Four entries: one set of four ways. Five names asked in turn again
	 * and again: replacing at random, some stay and are served (replacing
	 * the oldest would miss every time). */
	struct pcache *pc = pcache_new(4);
	char text[32];
	struct pkt q[5], a[5];
	for (int i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "n%d.example.", i);
		q[i] = query(1, text, 1, 0x0100, false);
		a[i] = answer_a(&q[i], 300, false);
	}
	uint8_t out[4096];
	unsigned served = 0;
	for (int round = 0; round < 20; round++)
		for (int i = 0; i < 5; i++) {
			if (ask(pc, &q[i], T0, 0, out) != 0) {
				served++;
				assert_memory_equal(out + 2, a[i].b + 2, a[i].n - 2);
			} else {
				pcache_keep(pc, q[i].b, q[i].n, a[i].b, a[i].n, T0, 0);
			}
		}
	assert_true(served > 20);
	/* Keeping the same bytes again takes the same way: the other three
	 * kept ones stay. */
	struct pcache *one = pcache_new(4);
	for (int i = 0; i < 4; i++)
		pcache_keep(one, q[i].b, q[i].n, a[i].b, a[i].n, T0, 0);
	for (int k = 0; k < 10; k++)
		pcache_keep(one, q[0].b, q[0].n, a[0].b, a[0].n, T0, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ask(one, &q[i], T0, 0, out), a[i].n);
	pcache_free(one);
	pcache_free(pc);
}

static void bad_arguments(void **state)
{
	(void)state;
	assert_null(pcache_new(0));
	uint8_t out[64];
	unsigned rcode;
	struct pkt q = query(1, "www.example.", 1, 0x0100, false);
	assert_int_equal(pcache_answer(NULL, q.b, q.n, T0, 0, out, sizeof(out), &rcode), 0);
	pcache_keep(NULL, q.b, q.n, q.b, q.n, T0, 0);
	struct pcache *pc = pcache_new(1);
	assert_int_equal(pcache_answer(pc, q.b, 2, T0, 0, out, sizeof(out), &rcode), 0);
	struct pkt a = answer_a(&q, 300, false);
	pcache_keep(pc, q.b, 2, a.b, a.n, T0, 0); /* no key at all */
	pcache_keep(pc, q.b, q.n, a.b, 11, T0, 0); /* shorter than a header */
	assert_int_equal(pcache_answer(pc, q.b, q.n, T0, 0, out, sizeof(out), &rcode), 0);
	pcache_free(pc);
	pcache_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_id_and_ttl),
		cmocka_unit_test(first_ttl_ends_it),
		cmocka_unit_test(generation_ends_it),
		cmocka_unit_test(every_byte_after_the_id_is_key),
		cmocka_unit_test(opt_record_left_alone),
		cmocka_unit_test(rcode_comes_back),
		cmocka_unit_test(refuses_what_it_could_not_serve),
		cmocka_unit_test(full_sets_keep_serving),
		cmocka_unit_test(bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
