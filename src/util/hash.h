/* hash: the one keyed hash of portcullis, SipHash (Aumasson and Bernstein,
 * "SipHash: a fast short-input PRF", 2012), for every table whose keys an
 * outsider can choose (names, query bytes, server addresses).
 *
 * Tables use SipHash-1-3 (one compression round per 8-byte word, three
 * finalisation rounds: the choice of Rust's and Python's hash tables), the
 * cheapest variant still keyed well enough that, without the 128-bit key, a
 * flood of names cannot be aimed at one bucket. SipHash-2-4, the paper's
 * recommended PRF, is here too: the reference test vectors are for it, and
 * both share the round function and the message layout.
 *
 * Each table draws its own key (hash_key_new) when it is made. The word-wise
 * steps are inline so that a caller can feed words it transforms on the way
 * (wire_name_hash lowers the letters of each word), with the same result as
 * hashing the transformed bytes whole. */
#ifndef PC_UTIL_HASH_H
#define PC_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct hash_key {
	uint64_t k0, k1;
};

/* A fresh random key (util/rand). */
void hash_key_new(struct hash_key *k);

struct hash_state {
	uint64_t v0, v1, v2, v3;
};

static inline uint64_t hash_rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void hash_round(struct hash_state *s)
{
	s->v0 += s->v1;
	s->v1 = hash_rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = hash_rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = hash_rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = hash_rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = hash_rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = hash_rotl(s->v2, 32);
}

/* The state from the key and the four constants of the paper
 * ("somepseudorandomlygeneratedbytes"). */
static inline void hash_begin(struct hash_state *s, const struct hash_key *k)
{
	s->v0 = k->k0 ^ 0x736f6d6570736575u;
	s->v1 = k->k1 ^ 0x646f72616e646f6du;
	s->v2 = k->k0 ^ 0x6c7967656e657261u;
	s->v3 = k->k1 ^ 0x7465646279746573u;
}

/* One 8-byte message word (little-endian order of the message bytes) with
 * c compression rounds. */
static inline void hash_word(struct hash_state *s, uint64_t m, unsigned c)
{
	s->v3 ^= m;
	for (unsigned i = 0; i < c; i++)
		hash_round(s);
	s->v0 ^= m;
}

/* The last word: the message's remaining len % 8 bytes (as wire_tail_word
 * lays them out) with the length's low byte on top, then d finalisation
 * rounds. */
static inline uint64_t hash_end(struct hash_state *s, uint64_t tail, size_t len, unsigned c,
				unsigned d)
{
	hash_word(s, tail | (uint64_t)(len & 0xff) << 56, c);
	s->v2 ^= 0xff;
	for (unsigned i = 0; i < d; i++)
		hash_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* An 8-byte little-endian load. */
static inline uint64_t hash_load(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* The len % 8 bytes at the end of p (len bytes), in a word: from one load
 * of the last eight bytes when there are eight (little-endian hosts). */
static inline uint64_t hash_tail(const uint8_t *p, size_t len)
{
	uint64_t t = 0;
	size_t rest = len % 8;
	if (rest == 0)
		return 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (len >= 8)
		return hash_load(p + len - 8) >> (8 * (8 - rest));
#endif
	const uint8_t *q = p + len - rest;
	for (size_t i = 0; i < rest; i++)
		t |= (uint64_t)q[i] << (8 * i);
	return t;
}

static inline uint64_t hash_sip(const struct hash_key *k, const void *data, size_t len,
				unsigned c, unsigned d)
{
	const uint8_t *p = data;
	struct hash_state s;
	hash_begin(&s, k);
	size_t i = 0;
	for (; i + 8 <= len; i += 8)
		hash_word(&s, hash_load(p + i), c);
	return hash_end(&s, hash_tail(p, len), len, c, d);
}

/* SipHash-1-3 of len bytes: what tables use. Written out (the same steps
 * as hash_sip with c = 1, d = 3) so that the rounds are straight-line code
 * on the cache's lookup path. */
static inline uint64_t hash_bytes(const struct hash_key *k, const void *data, size_t len)
{
	const uint8_t *p = data;
	struct hash_state s;
	hash_begin(&s, k);
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t m = hash_load(p + i);
		s.v3 ^= m;
		hash_round(&s);
		s.v0 ^= m;
	}
	uint64_t b = hash_tail(p, len) | (uint64_t)(len & 0xff) << 56;
	s.v3 ^= b;
	hash_round(&s);
	s.v0 ^= b;
	s.v2 ^= 0xff;
	hash_round(&s);
	hash_round(&s);
	hash_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/* SipHash-2-4 of len bytes (the reference variant). */
uint64_t hash_siphash24(const struct hash_key *k, const void *data, size_t len);

/* The key as the reference code reads it from 16 bytes (two little-endian
 * words). */
void hash_key_from_bytes(struct hash_key *k, const uint8_t bytes[16]);

#endif
