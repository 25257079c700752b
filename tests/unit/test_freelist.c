/* Unit tests for util/freelist.h: objects come back last in, first out, the
 * bound is kept, a full list hands the object back (or frees it), and drain
 * empties it (ASan reports a leak or a double free if it does not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "util/freelist.h"

struct obj {
	uint64_t words[4];
};

static void test_reuse_and_bound(void **state)
{
	(void)state;
	struct freelist fl;
	freelist_init(&fl, 2);
	assert_null(freelist_get(&fl));
	struct obj *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *c = malloc(sizeof(*c));
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_true(freelist_put(&fl, a));
	assert_true(freelist_put(&fl, b));
	assert_int_equal(fl.n, 2);
	assert_false(freelist_put(&fl, c)); /* full: c is still ours */
	assert_int_equal(fl.n, 2);
	free(c);
	assert_ptr_equal(freelist_get(&fl), b);
	assert_ptr_equal(freelist_get(&fl), a);
	assert_null(freelist_get(&fl));
	assert_int_equal(fl.n, 0);
	free(a);
	free(b);
}

static void test_put_or_free_and_drain(void **state)
{
	(void)state;
	struct freelist fl;
	freelist_init(&fl, 3);
	for (int i = 0; i < 10; i++)
		freelist_put_or_free(&fl, malloc(sizeof(struct obj)));
	assert_int_equal(fl.n, 3);
	freelist_drain(&fl);
	assert_int_equal(fl.n, 0);
	assert_null(freelist_get(&fl));
	/* a zeroed list keeps nothing */
	struct freelist none = { 0 };
	struct obj *o = malloc(sizeof(*o));
	assert_false(freelist_put(&none, o));
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reuse_and_bound),
		cmocka_unit_test(test_put_or_free_and_drain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
