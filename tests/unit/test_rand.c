/* Unit tests for util/rand: bounded draws are uniform (a modulo would fail
 * the large-bound test by a wide margin), bytes look uniform, every 16-bit
 * draw varies, and threads do not share a stream. Thresholds are set so that
 * a correct generator fails about once in a million runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "util/rand.h"

static void bounds(void **state)
{
	(void)state;
	assert_int_equal(rand_uniform(0), 0);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(rand_uniform(1), 0);
		assert_true(rand_uniform(2500) < 2500);
		assert_true(rand_uniform(UINT32_MAX) < UINT32_MAX);
	}
}

/* Chi-square of draws from [0, 7): 6 degrees of freedom, 1e-6 tail ~ 35. */
static void small_bound_uniform(void **state)
{
	(void)state;
	enum { K = 7, N = 70000 };
	unsigned long seen[K] = { 0 };
	for (int i = 0; i < N; i++)
		seen[rand_uniform(K)]++;
	double chi = 0, want = (double)N / K;
	for (int k = 0; k < K; k++)
		chi += (seen[k] - want) * (seen[k] - want) / want;
	assert_true(chi < 40.0);
}

/* bound = 3e9: reducing a 32-bit draw modulo bound would put 60 % of the
 * draws below 2^32 - bound (1,294,967,296), a uniform draw 43.2 %. */
static void large_bound_unbiased(void **state)
{
	(void)state;
	enum { N = 100000 };
	const uint32_t bound = 3000000000u, cut = 1294967296u;
	unsigned below = 0;
	for (int i = 0; i < N; i++)
		below += rand_uniform(bound) < cut;
	double frac = (double)below / N, want = (double)cut / bound;
	/* standard deviation 0.0016: 0.008 is five of them */
	assert_true(frac > want - 0.008 && frac < want + 0.008);
}

/* Byte histogram over 256 bins: 255 degrees of freedom, 1e-6 tail ~ 345.
 * Draws of several sizes, so that buffer refills and the direct path for
 * big draws are both in it. */
static void bytes_uniform(void **state)
{
	(void)state;
	unsigned long seen[256] = { 0 };
	uint8_t buf[300];
	static const size_t sizes[] = { 1, 3, 16, 100, 129, 300 };
	unsigned long total = 0;
	for (int i = 0; total < 512000; i++) {
		size_t n = sizes[i % 6];
		memset(buf, 0, sizeof(buf));
		rand_bytes(buf, n);
		for (size_t j = 0; j < n; j++)
			seen[buf[j]]++;
		total += n;
	}
	double chi = 0, want = (double)total / 256;
	for (int k = 0; k < 256; k++)
		chi += (seen[k] - want) * (seen[k] - want) / want;
	assert_true(chi < 360.0);
}

/* Every bit of a message ID takes both values. */
static void u16_all_bits(void **state)
{
	(void)state;
	uint16_t ones = 0, zeros = 0;
	for (int i = 0; i < 200; i++) {
		uint16_t x = rand_u16();
		ones |= x;
		zeros |= (uint16_t)~x;
	}
	assert_int_equal(ones, 0xffff);
	assert_int_equal(zeros, 0xffff);
}

static void *draw_in_thread(void *arg)
{
	rand_bytes(arg, 32);
	return NULL;
}

/* A thread's first draw is not the main thread's next one. */
static void threads_differ(void **state)
{
	(void)state;
	uint8_t a[32], b[32];
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, draw_in_thread, b), 0);
	pthread_join(t, NULL);
	rand_bytes(a, 32);
	assert_memory_not_equal(a, b, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bounds),
		cmocka_unit_test(small_bound_uniform),
		cmocka_unit_test(large_bound_unbiased),
		cmocka_unit_test(bytes_uniform),
		cmocka_unit_test(u16_all_bits),
		cmocka_unit_test(threads_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
