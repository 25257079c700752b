/* Unit tests for the DNS codec: names, reader bounds, parser, writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "util/err.h"
#include "wire/wire.h"

/* two hash keys */
static const struct hash_key KEY7 = { 7, 0 }, KEY8 = { 8, 0 };

static void name_text_round_trip(void **state)
{
	(void)state;
	uint8_t n[WIRE_NAME_MAX];
	char t[1024];
	assert_int_equal(wire_name_from_text("www.Alpha.lab.", n), 15);
	assert_memory_equal(n, "\3www\5Alpha\3lab", 15);
	assert_int_equal(wire_name_to_text(n, t, sizeof(t)), 14);
	assert_string_equal(t, "www.Alpha.lab.");
	assert_int_equal(wire_name_from_text("a\\.b\\065.", n), 6);
	assert_memory_equal(n, "\4a.bA", 6);
	/* master-file specials come out escaped, and read back (a bare ';'
	 * would start a comment: found by fuzz_localdata) */
	memcpy(n, "\5a;\"()\0", 7);
	assert_int_equal(wire_name_to_text(n, t, sizeof(t)), 10);
	assert_string_equal(t, "a\\;\\\"\\(\\).");
	uint8_t back[WIRE_NAME_MAX];
	assert_int_equal(wire_name_from_text(t, back), 7);
	assert_memory_equal(back, n, 7);
	assert_int_equal(wire_name_from_text(".", n), 1);
	assert_int_equal(wire_name_from_text("a..b", n), PC_EINVAL);
	assert_int_equal(wire_name_from_text(".a", n), PC_EINVAL);
	char label[70];
	memset(label, 'x', 64);
	label[64] = 0;
	assert_int_equal(wire_name_from_text(label, n), PC_EINVAL);
	label[63] = 0;
	assert_int_equal(wire_name_from_text(label, n), 65);
	/* 4 labels of 63 = 256 bytes with root: one too many */
	char longname[300];
	snprintf(longname, sizeof(longname), "%s.%s.%s.%s", label, label, label, label);
	assert_int_equal(wire_name_from_text(longname, n), PC_EINVAL);
	snprintf(longname, sizeof(longname), "%s.%s.%s.%.61s", label, label, label, label);
	assert_int_equal(wire_name_from_text(longname, n), 255);
}

static void name_compare(void **state)
{
	(void)state;
	uint8_t a[WIRE_NAME_MAX], b[WIRE_NAME_MAX], z[WIRE_NAME_MAX];
	wire_name_from_text("WwW.alpha.LAB", a);
	wire_name_from_text("www.ALPHA.lab", b);
	wire_name_from_text("alpha.lab", z);
	assert_true(wire_name_eq(a, b));
	assert_false(wire_name_eq_exact(a, b));
	assert_true(wire_name_in(a, z));
	assert_false(wire_name_in(z, a));
	assert_true(wire_name_in(z, z));
	wire_name_from_text("xalpha.lab", b);
	assert_false(wire_name_in(b, z));
	assert_int_equal(wire_name_labels(a), 3);
	assert_true(wire_name_eq(wire_name_strip(a, 1), z));
	wire_name_from_text("www.alpha.lab", b);
	assert_int_equal(wire_name_hash(a, &KEY7), wire_name_hash(b, &KEY7));
	assert_int_not_equal(wire_name_hash(a, &KEY7), wire_name_hash(z, &KEY7));
	wire_name_lower(a);
	assert_true(wire_name_eq_exact(a, b));
}

/* Byte-at-a-time references for the word-at-a-time functions. */
static uint8_t ref_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static int ref_eq(const uint8_t *a, const uint8_t *b)
{
	size_t la = wire_name_len(a);
	if (la != wire_name_len(b))
		return 0;
	for (size_t i = 0; i < la; i++)
		if (ref_lower(a[i]) != ref_lower(b[i]))
			return 0;
	return 1;
}

/* Names of every length from 1 to 255 bytes, placed at the very end of a
 * buffer (so ASan sees any read past the name), with their letters in mixed
 * case and each byte in turn changed to every value that keeps the name
 * valid: letters across the case boundary ('@', '[', '`', '{'), bytes with
 * the top bit set, other letters. wire_name_eq must agree with the byte-wise
 * reference on every pair, and wire_name_lower must match it byte for byte.
 * wire_name_hash must agree on equal pairs and, being a 32-bit hash over
 * these few tens of thousands of pairs, tell every unequal pair apart (a
 * hash that skipped the tail or the case would not). */
static void name_words_match_bytes(void **state)
{
	(void)state;
	static const uint8_t probe[] = { 'a', 'A', 'z', 'Z', '@', '[', '`', '{', 0xc1, 0xe1, 0x80, '0' };
	unsigned pairs = 0, unequal = 0;
	for (size_t len = 1; len <= WIRE_NAME_MAX; len++) {
		uint8_t a_buf[WIRE_NAME_MAX], b_buf[WIRE_NAME_MAX];
		uint8_t *a = a_buf + WIRE_NAME_MAX - len, *b = b_buf + WIRE_NAME_MAX - len;
		/* labels of up to 9 bytes, the last one shorter as needed; a name
		 * whose last label would be empty cannot be built this way */
		size_t pos = 0;
		while (pos + 1 < len) {
			size_t l = len - 1 - pos - 1;
			if (l > 9)
				l = 9;
			if (l == 0)
				break;
			a[pos] = (uint8_t)l;
			for (size_t k = 1; k <= l; k++)
				a[pos + k] = (uint8_t)((k + pos) % 3 ? 'a' + (k + len) % 26 : 'A' + k % 26);
			pos += l + 1;
		}
		a[len - 1] = 0;
		if (pos + 1 != len)
			continue;
		assert_int_equal(wire_name_len(a), len);
		for (size_t i = 0; i < len - 1; i++) {
			bool is_len = false;
			for (size_t p = 0; p < len - 1; p += (size_t)a[p] + 1)
				if (p == i)
					is_len = true;
			if (is_len)
				continue;
			for (size_t v = 0; v < sizeof(probe); v++) {
				memcpy(b, a, len);
				b[i] = probe[v];
				assert_int_equal(wire_name_eq(a, b), ref_eq(a, b));
				assert_int_equal(wire_name_eq(b, a), ref_eq(a, b));
				if (ref_eq(a, b)) {
					assert_int_equal(wire_name_hash(a, &KEY7), wire_name_hash(b, &KEY7));
				} else {
					assert_int_not_equal(wire_name_hash(a, &KEY7), wire_name_hash(b, &KEY7));
					unequal++;
				}
				pairs++;
				uint8_t low[WIRE_NAME_MAX];
				memcpy(low, b, len);
				wire_name_lower(low);
				for (size_t k = 0; k < len; k++)
					assert_int_equal(low[k], ref_lower(b[k]));
			}
		}
	}
	assert_true(pairs > 10000 && unequal > 5000);
	uint8_t n[WIRE_NAME_MAX];
	wire_name_from_text("www.example.", n);
	assert_int_not_equal(wire_name_hash(n, &KEY7), wire_name_hash(n, &KEY8));
}

static void name_case_bits(void **state)
{
	(void)state;
	uint8_t n[WIRE_NAME_MAX], bits[32];
	wire_name_from_text("ab1.c", n);
	memset(bits, 0, sizeof(bits));
	bits[0] = 0x0f; /* letters a, b, '1' (not a letter), c */
	wire_name_apply_case(n, bits);
	assert_memory_equal(n, "\3AB1\1C", 7);
}

/* A reply to "www.alpha.lab A" with compression in owner and rdata. */
static const uint8_t reply[] = {
	0x12, 0x34, 0x84, 0x00, 0, 1, 0, 2, 0, 1, 0, 1,
	/* question @12 */
	3, 'w', 'w', 'w', 5, 'a', 'l', 'p', 'h', 'a', 3, 'l', 'a', 'b', 0, 0, 1, 0, 1,
	/* answer 1: www CNAME c3.alpha.lab (compressed) */
	0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 5, 2, 'c', '3', 0xc0, 16,
	/* answer 2: c3.alpha.lab A 192.0.2.33, owner = pointer to rdata above (@43) */
	0xc0, 43, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 33,
	/* authority: alpha.lab NS ns1.alpha.lab */
	0xc0, 16, 0, 2, 0, 1, 0, 0, 0x0e, 0x10, 0, 6, 3, 'n', 's', '1', 0xc0, 16,
	/* OPT */
	0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0,
};

static void parse_reply(void **state)
{
	(void)state;
	static struct wire_msg m;
	uint8_t n[WIRE_NAME_MAX];
	assert_int_equal(wire_parse(&m, reply, sizeof(reply)), 0);
	assert_int_equal(m.id, 0x1234);
	assert_true(m.flags & WIRE_F_AA);
	assert_int_equal(m.n_an, 2);
	assert_int_equal(m.n_ns, 1);
	assert_int_equal(m.n_ar, 0);
	assert_true(m.has_edns);
	assert_int_equal(m.edns_udp, 1232);
	assert_true(m.edns_do);
	wire_name_from_text("c3.alpha.lab", n);
	assert_int_equal(m.rr[0].type, WIRE_T_CNAME);
	assert_int_equal(m.rr[0].rdlen, wire_name_len(n));
	assert_memory_equal(m.rr[0].rdata, n, wire_name_len(n));
	assert_true(wire_name_eq(m.rr[1].owner, n));
	assert_int_equal(m.rr[1].rdlen, 4);
	wire_name_from_text("ns1.alpha.lab", n);
	assert_memory_equal(m.rr[2].rdata, n, wire_name_len(n));

	uint16_t id, flags, qt, qc;
	assert_int_equal(wire_parse_question(reply, sizeof(reply), &id, &flags, n, &qt, &qc), 0);
	assert_true(wire_name_eq_exact(n, reply + 12));
	assert_int_equal(qt, WIRE_T_A);
}

static void parse_rejects_every_truncation(void **state)
{
	(void)state;
	static struct wire_msg m;
	for (size_t len = 0; len < sizeof(reply); len++)
		assert_int_equal(wire_parse(&m, reply, len), PC_EMALFORMED);
}

static void parse_rejects_bad_pointers(void **state)
{
	(void)state;
	static struct wire_msg m;
	/* a question name that points at itself */
	uint8_t loop[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
	assert_int_equal(wire_parse(&m, loop, sizeof(loop)), PC_EMALFORMED);
	/* forward pointer */
	uint8_t fwd[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0, 0, 1, 0, 1 };
	assert_int_equal(wire_parse(&m, fwd, sizeof(fwd)), PC_EMALFORMED);
	/* label type 0x40 */
	uint8_t ext[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1 };
	assert_int_equal(wire_parse(&m, ext, sizeof(ext)), PC_EMALFORMED);
	/* two questions */
	uint8_t two[] = { 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1 };
	assert_int_equal(wire_parse(&m, two, sizeof(two)), PC_EMALFORMED);
	/* CNAME whose inline name runs past its rdlength */
	uint8_t over[] = { 0, 1, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0,
			   0, 0, 5, 0, 1, 0, 0, 0, 1, 0, 2, 3, 'a', 'b', 'c', 0 };
	assert_int_equal(wire_parse(&m, over, sizeof(over)), PC_EMALFORMED);
}

static void write_and_compress(void **state)
{
	(void)state;
	uint8_t buf[512], q[WIRE_NAME_MAX], t[WIRE_NAME_MAX];
	static struct wire_msg m;
	struct wire_wr w;
	wire_name_from_text("www.alpha.lab", q);
	wire_name_from_text("c3.ALPHA.lab", t);
	wire_wr_init(&w, buf, sizeof(buf));
	wire_wr_header(&w, 7, WIRE_F_QR | WIRE_F_RA);
	wire_wr_name(&w, q, true);
	wire_wr_u16(&w, WIRE_T_A);
	wire_wr_u16(&w, WIRE_C_IN);
	wire_wr_rr(&w, q, WIRE_T_CNAME, WIRE_C_IN, 60, t, (uint16_t)wire_name_len(t));
	wire_wr_rr(&w, t, WIRE_T_A, WIRE_C_IN, 60, (const uint8_t *)"\xc0\0\2\41", 4);
	wire_wr_set_count(&w, 0, 1);
	wire_wr_set_count(&w, 1, 2);
	assert_false(w.overflow);
	/* the first answer's owner is a 2-byte pointer to the question name */
	assert_int_equal(buf[12 + 15 + 4], 0xc0);
	assert_int_equal(wire_parse(&m, buf, w.len), 0);
	assert_int_equal(m.n_an, 2);
	assert_true(wire_name_eq(m.rr[1].owner, t));
	/* owner c3.ALPHA.lab was compressed against alpha.lab in the question */
	assert_true(w.len < 12 + 15 + 4 + 2 + 10 + 14 + 15 + 10 + 4);

	/* a writer that runs out of space says so and never writes past cap */
	uint8_t small[20];
	memset(small, 0xee, sizeof(small));
	wire_wr_init(&w, small, 16);
	wire_wr_header(&w, 1, 0);
	wire_wr_name(&w, q, false);
	assert_true(w.overflow);
	assert_int_equal(small[16], 0xee);
	assert_int_equal(wire_build_query(small, 16, 1, 0, q, 1, 1, 1232, false, NULL, 0), PC_ESPACE);
}

static void build_query_parses(void **state)
{
	(void)state;
	uint8_t buf[512], q[WIRE_NAME_MAX];
	static struct wire_msg m;
	wire_name_from_text("WwW.alpha.lab", q);
	int len = wire_build_query(buf, sizeof(buf), 0xbeef, WIRE_F_RD, q, WIRE_T_AAAA, WIRE_C_IN,
				   1232, false, NULL, 0);
	assert_true(len > 0);
	assert_int_equal(wire_parse(&m, buf, (size_t)len), 0);
	assert_int_equal(m.id, 0xbeef);
	assert_true(wire_name_eq_exact(m.qname, q));
	assert_int_equal(m.qtype, WIRE_T_AAAA);
	assert_true(m.has_edns);
	assert_int_equal(m.edns_udp, 1232);
	assert_false(m.edns_do);
	/* the DO bit, as upstream queries carry it */
	len = wire_build_query(buf, sizeof(buf), 0xbeef, 0, q, WIRE_T_A, WIRE_C_IN, 1232, true, NULL, 0);
	assert_true(len > 0);
	assert_int_equal(wire_parse(&m, buf, (size_t)len), 0);
	assert_true(m.has_edns && m.edns_do);
}

/* The header and RRSIG readers go through the bounded reader: a short
 * input is refused, never read past. */
static void header_and_rrsig_readers(void **state)
{
	(void)state;
	const uint8_t hdr[12] = { 0xbe, 0xef, 0x81, 0x80 };
	uint16_t id = 0, flags = 0;
	assert_int_equal(wire_rd_header(hdr, sizeof(hdr), &id, &flags), 0);
	assert_int_equal(id, 0xbeef);
	assert_int_equal(flags, 0x8180);
	for (size_t n = 0; n < WIRE_HDR_LEN; n++)
		assert_int_equal(wire_rd_header(hdr, n, &id, &flags), PC_EMALFORMED);
	const uint8_t sig[3] = { 0x00, 0x2e, 0x08 };
	assert_int_equal(wire_rrsig_covered(sig, sizeof(sig)), WIRE_T_RRSIG);
	assert_int_equal(wire_rrsig_covered(sig, 2), WIRE_T_RRSIG);
	assert_int_equal(wire_rrsig_covered(sig, 1), 0);
	assert_int_equal(wire_rrsig_covered(NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(name_text_round_trip),
		cmocka_unit_test(name_compare),
		cmocka_unit_test(name_words_match_bytes),
		cmocka_unit_test(name_case_bits),
		cmocka_unit_test(parse_reply),
		cmocka_unit_test(parse_rejects_every_truncation),
		cmocka_unit_test(parse_rejects_bad_pointers),
		cmocka_unit_test(write_and_compress),
		cmocka_unit_test(build_query_parses),
		cmocka_unit_test(header_and_rrsig_readers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
