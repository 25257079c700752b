/* Unit tests for util/hash.h: SipHash-2-4 against the reference test
 * vectors (key 00 01 .. 0f, messages 00 01 .. n-1 for n = 0 .. 63, as in the
 * reference implementation's vectors), SipHash-1-3 (the same rounds and
 * layout, fewer of them) against the word-wise steps, and the key's effect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/hash.h"

static const uint64_t vectors24[64] = {
	0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d,
	0xcf2794e0277187b7, 0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137,
	0x93f5f5799a932462, 0x9e0082df0ba9e4b0, 0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7,
	0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee, 0xa129ca6149be45e5,
	0x3f2acc7f57c29bdb, 0x699ae9f52cbe4794, 0x4bc1b3f0968dd39c, 0xbb6dc91da77961bd,
	0xbed65cf21aa2ee98, 0xd0f2cbb02e3b67c7, 0x93536795e3a33e88, 0xa80c038ccd5ccec8,
	0xb8ad50c6f649af94, 0xbce192de8a85b8ea, 0x17d835b85bbb15f3, 0x2f2e6163076bcfad,
	0xde4daaaca71dc9a5, 0xa6a2506687956571, 0xad87a3535c49ef28, 0x32d892fad841c342,
	0x7127512f72f27cce, 0xa7f32346f95978e3, 0x12e0b01abb051238, 0x15e034d40fa197ae,
	0x314dffbe0815a3b4, 0x027990f029623981, 0xcadcd4e59ef40c4d, 0x9abfd8766a33735c,
	0x0e3ea96b5304a7d0, 0xad0c42d6fc585992, 0x187306c89bc215a9, 0xd4a60abcf3792b95,
	0xf935451de4f21df2, 0xa9538f0419755787, 0xdb9acddff56ca510, 0xd06c98cd5c0975eb,
	0xe612a3cb9ecba951, 0xc766e62cfcadaf96, 0xee64435a9752fe72, 0xa192d576b245165a,
	0x0a8787bf8ecb74b2, 0x81b3e73d20b49b6f, 0x7fa8220ba3b2ecea, 0x245731c13ca42499,
	0xb78dbfaf3a8d83bd, 0xea1ad565322a1a0b, 0x60e61c23a3795013, 0x6606d7e446282b93,
	0x6ca4ecb15c5f91e1, 0x9f626da15c9625f3, 0xe51b38608ef25f57, 0x958a324ceb064572,
};

static void reference_key(struct hash_key *k, uint8_t msg[64])
{
	uint8_t kb[16];
	for (unsigned i = 0; i < 16; i++)
		kb[i] = (uint8_t)i;
	for (unsigned i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	hash_key_from_bytes(k, kb);
}

static void test_siphash24_vectors(void **state)
{
	(void)state;
	struct hash_key k;
	uint8_t msg[64];
	reference_key(&k, msg);
	assert_int_equal(k.k0, 0x0706050403020100u);
	assert_int_equal(k.k1, 0x0f0e0d0c0b0a0908u);
	for (size_t n = 0; n < 64; n++) {
		/* from an unaligned copy too: the loads must not care */
		uint8_t shifted[65];
		memcpy(shifted + 1, msg, n);
		assert_int_equal(hash_siphash24(&k, msg, n), vectors24[n]);
		assert_int_equal(hash_siphash24(&k, shifted + 1, n), vectors24[n]);
	}
}

/* SipHash-1-3 has no published vectors of its own; it is the same function
 * with one round per word and three at the end, so it is checked against
 * those steps written out, and against 2-4 (which it must not equal). */
static void test_siphash13(void **state)
{
	(void)state;
	struct hash_key k;
	uint8_t msg[64];
	reference_key(&k, msg);
	for (size_t n = 0; n < 64; n++) {
		struct hash_state s;
		hash_begin(&s, &k);
		size_t i = 0;
		for (; i + 8 <= n; i += 8) {
			uint64_t m = 0;
			for (unsigned b = 0; b < 8; b++)
				m |= (uint64_t)msg[i + b] << (8 * b);
			s.v3 ^= m;
			hash_round(&s);
			s.v0 ^= m;
		}
		uint64_t last = (uint64_t)n << 56;
		for (unsigned b = 0; i + b < n; b++)
			last |= (uint64_t)msg[i + b] << (8 * b);
		s.v3 ^= last;
		hash_round(&s);
		s.v0 ^= last;
		s.v2 ^= 0xff;
		hash_round(&s);
		hash_round(&s);
		hash_round(&s);
		uint64_t want = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
		assert_int_equal(hash_bytes(&k, msg, n), want);
		assert_int_not_equal(hash_bytes(&k, msg, n), vectors24[n]);
	}
}

static void test_key(void **state)
{
	(void)state;
	struct hash_key a, b;
	hash_key_new(&a);
	hash_key_new(&b);
	assert_false(a.k0 == b.k0 && a.k1 == b.k1); /* 2^-128 */
	const char *m = "www.example-lab.org";
	assert_int_equal(hash_bytes(&a, m, strlen(m)), hash_bytes(&a, m, strlen(m)));
	assert_int_not_equal(hash_bytes(&a, m, strlen(m)), hash_bytes(&b, m, strlen(m)));
	/* every key bit matters */
	for (unsigned bit = 0; bit < 128; bit++) {
		struct hash_key c = a;
		if (bit < 64)
			c.k0 ^= 1ull << bit;
		else
			c.k1 ^= 1ull << (bit - 64);
		assert_int_not_equal(hash_bytes(&a, m, strlen(m)), hash_bytes(&c, m, strlen(m)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash24_vectors),
		cmocka_unit_test(test_siphash13),
		cmocka_unit_test(test_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
