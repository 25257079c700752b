/* Unit tests for util/list.h: order at both ends, removal of the first,
 * a middle and the last node, membership, moving to the front, taking a
 * whole list, and removal while iterating. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/list.h"

struct item {
	int v;
	struct list_node link;
};

/* The values of l in order, into out; returns how many. */
static int values(const struct list *l, int *out, int max)
{
	int n = 0;
	list_each(p, l) {
		assert_true(n < max);
		out[n++] = list_item(p, struct item, link)->v;
	}
	/* and backwards, through prev, the same */
	int k = n;
	for (const struct list_node *p = l->last; p != NULL; p = p->prev)
		assert_int_equal(list_item(p, struct item, link)->v, out[--k]);
	assert_int_equal(k, 0);
	return n;
}

static void test_order_and_remove(void **state)
{
	(void)state;
	struct list l = { 0 };
	struct item it[5] = { { .v = 0 }, { .v = 1 }, { .v = 2 }, { .v = 3 }, { .v = 4 } };
	int got[8];
	assert_true(list_empty(&l));
	assert_null(list_item_or_null(l.first, struct item, link));
	list_push_back(&l, &it[1].link);
	list_push_back(&l, &it[2].link);
	list_push_front(&l, &it[0].link);
	list_push_back(&l, &it[3].link);
	assert_int_equal(values(&l, got, 8), 4);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[3], 3);
	assert_true(list_linked(&l, &it[0].link));
	assert_false(list_linked(&l, &it[4].link));

	list_remove(&l, &it[2].link); /* middle */
	assert_false(list_linked(&l, &it[2].link));
	assert_int_equal(values(&l, got, 8), 3);
	assert_int_equal(got[1], 1);
	assert_int_equal(got[2], 3);
	list_remove(&l, &it[0].link); /* first */
	list_remove(&l, &it[3].link); /* last */
	assert_int_equal(values(&l, got, 8), 1);
	assert_ptr_equal(l.first, &it[1].link);
	assert_ptr_equal(l.last, &it[1].link);
	assert_true(list_linked(&l, &it[1].link)); /* alone: no links, still on l */
	list_remove(&l, &it[1].link);
	assert_true(list_empty(&l));
	assert_null(l.last);
}

static void test_move_take_and_iterate(void **state)
{
	(void)state;
	struct list l, taken;
	list_init(&l);
	struct item it[4] = { { .v = 0 }, { .v = 1 }, { .v = 2 }, { .v = 3 } };
	int got[8];
	for (int i = 0; i < 4; i++)
		list_push_back(&l, &it[i].link);
	list_move_front(&l, &it[2].link);
	list_move_front(&l, &it[2].link); /* already first */
	list_move_front(&l, &it[3].link);
	assert_int_equal(values(&l, got, 8), 4);
	assert_int_equal(got[0], 3);
	assert_int_equal(got[1], 2);
	assert_int_equal(got[2], 0);
	assert_int_equal(got[3], 1);

	list_take_all(&taken, &l);
	assert_true(list_empty(&l));
	assert_int_equal(values(&taken, got, 8), 4);

	/* removing the node being visited */
	int seen = 0;
	list_each(p, &taken) {
		seen++;
		list_remove(&taken, p);
	}
	assert_int_equal(seen, 4);
	assert_true(list_empty(&taken));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_remove),
		cmocka_unit_test(test_move_take_and_iterate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
