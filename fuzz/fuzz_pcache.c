/* libFuzzer target: the packet cache's answer walker (pcache_keep) and its
 * lookup, on arbitrary query and answer bytes.
 *
 * Input: byte 0 the query's length (taken modulo what is left), byte 1 how
 * far the clock moves (in 256 ms steps) before the lookups, then the query
 * and, after it, the answer. The answer is kept for the query, then the
 * query is asked at the time of writing and later, under the same and
 * another flush generation.
 *
 * Checks: an answer comes back only for the generation it was kept under,
 * as long as it was given (the same length), with the query's ID; at the
 * time of writing every other byte is the kept one, later a byte may differ
 * only inside a four-byte field that now reads lower (a TTL counted down). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache/pcache.h"

#define T0 5000000u

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Every byte equal past the ID, or inside a 4-byte window that reads no
 * higher than the kept one: the walk records TTL positions only. */
static void check_like(const uint8_t *out, const uint8_t *ans, size_t n, const uint8_t *q)
{
	if (out[0] != q[0] || out[1] != q[1])
		abort();
	for (size_t i = 2; i < n; i++) {
		if (out[i] == ans[i])
			continue;
		/* A differing byte must belong to a lowered TTL starting at most
		 * three bytes before it. */
		int ok = 0;
		for (size_t s = i >= 3 ? i - 3 : 0; s <= i && s + 4 <= n; s++)
			if (s >= 2 && be32(out + s) < be32(ans + s))
				ok = 1;
		if (!ok)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t rest = size - 2;
	size_t qlen = rest ? data[0] % (rest + 1) : 0;
	uint64_t later = T0 + (uint64_t)data[1] * 256u;
	const uint8_t *q = data + 2, *ans = q + qlen;
	size_t alen = rest - qlen;

	struct pcache *pc = pcache_new(8);
	if (pc == NULL)
		return 0;
	static uint8_t out[65536];
	unsigned rcode;
	pcache_keep(pc, q, qlen, ans, alen, T0, 7);
	size_t n = pcache_answer(pc, q, qlen, T0, 7, out, sizeof(out), &rcode);
	if (n != 0) {
		/* At the time of writing: the kept answer, but for its ID. */
		if (n != alen || alen > PCACHE_ANSWER_MAX || rcode > 15 ||
		    memcmp(out + 2, ans + 2, n - 2) != 0 || out[0] != q[0] || out[1] != q[1])
			abort();
	}
	if (pcache_answer(pc, q, qlen, T0, 8, out, sizeof(out), &rcode) != 0)
		abort(); /* another generation */
	size_t m = pcache_answer(pc, q, qlen, later, 7, out, sizeof(out), &rcode);
	if (m != 0) {
		if (n == 0 || m != n)
			abort();
		check_like(out, ans, m, q);
	}
	/* The answer's bytes as a query of their own: whatever it finds. */
	(void)pcache_answer(pc, ans, alen, T0, 7, out, sizeof(out), &rcode);
	pcache_free(pc);
	return 0;
}
