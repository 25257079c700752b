/* Unit tests for util/clock: the coarse read is the same clock as the
 * precise one, taken at the last tick, so it is never ahead of a precise
 * read made after it and never far behind one (a tick is 1-10 ms). A coarse
 * read of another clock (the wall clock, say) fails both checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "util/clock.h"

static void coarse_follows_precise(void **state)
{
	(void)state;
	for (int i = 0; i < 100000; i++) {
		uint64_t before = clock_now_ms();
		uint64_t coarse = clock_coarse_ms();
		uint64_t after = clock_now_ms();
		assert_true(coarse <= after);
		/* one tick at most, plus slack for a preemption between the reads */
		assert_true(before <= coarse + 200);
	}
}

static void coarse_advances(void **state)
{
	(void)state;
	uint64_t start = clock_coarse_ms();
	struct timespec pause = { 0, 30 * 1000 * 1000 };
	nanosleep(&pause, NULL);
	uint64_t later = clock_coarse_ms();
	assert_true(later >= start + 15); /* 30 ms slept, less at most two ticks */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(coarse_follows_precise),
		cmocka_unit_test(coarse_advances),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
