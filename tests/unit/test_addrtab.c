/* Unit tests for util/addrtab.h: insert and find, the parts of the key
 * (family, address, port), eviction of the least recently used entry of a
 * full set, scans, bad shapes, and the hash key's effect on which set an
 * address lands in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "util/addrtab.h"
#include "util/err.h"

struct entry {
	struct addrtab_slot slot;
	uint32_t value;
};

static struct sockaddr_storage v4(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, addr, &in->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage v6(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
	return ss;
}

/* 10.(i>>8).(i&255).1 port 53 */
static struct sockaddr_storage nth(unsigned i)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "10.%u.%u.1", (i >> 8) & 255, i & 255);
	return v4(buf, 53);
}

static const struct hash_key KEY_A = { 0x0123456789abcdefu, 0xfedcba9876543210u };
static const struct hash_key KEY_B = { 0x1111111111111111u, 0x2222222222222222u };

static void test_insert_find(void **state)
{
	(void)state;
	struct addrtab t;
	assert_int_equal(addrtab_init(&t, 64, 4, sizeof(struct entry), &KEY_A), 0);
	struct sockaddr_storage a = v4("192.0.2.1", 53), a_port = v4("192.0.2.1", 5353),
				b = v4("192.0.2.2", 53), s6 = v6("2001:db8::1", 53),
				s6_port = v6("2001:db8::1", 54), mapped = v6("::ffff:192.0.2.1", 53);
	assert_null(addrtab_find(&t, &a));

	bool fresh = false;
	struct entry *e = addrtab_get(&t, &a, &fresh);
	assert_non_null(e);
	assert_true(fresh);
	assert_int_equal(e->value, 0); /* new entries are zeroed */
	e->value = 7;
	assert_ptr_equal(addrtab_find(&t, &a), e);
	assert_ptr_equal(addrtab_get(&t, &a, &fresh), e);
	assert_false(fresh);
	assert_int_equal(((struct entry *)addrtab_find(&t, &a))->value, 7);

	/* the port, the address and the family are each part of the key */
	assert_null(addrtab_find(&t, &a_port));
	assert_null(addrtab_find(&t, &b));
	assert_null(addrtab_find(&t, &mapped));
	struct entry *e6 = addrtab_get(&t, &s6, NULL);
	e6->value = 6;
	assert_null(addrtab_find(&t, &s6_port));
	struct entry *e6p = addrtab_get(&t, &s6_port, NULL);
	assert_ptr_not_equal(e6p, e6);
	assert_int_equal(e6p->value, 0);
	assert_int_equal(((struct entry *)addrtab_find(&t, &s6))->value, 6);
	assert_int_equal(((struct entry *)addrtab_find(&t, &a))->value, 7);

	/* a scan sees exactly the three entries */
	unsigned used = 0;
	for (size_t i = 0; i < addrtab_size(&t); i++)
		used += addrtab_at(&t, i) != NULL;
	assert_int_equal(addrtab_size(&t), 256);
	assert_int_equal(used, 3);

	/* an address of another family is never found */
	struct sockaddr_storage unix_like;
	memset(&unix_like, 0, sizeof(unix_like));
	unix_like.ss_family = AF_UNIX;
	assert_non_null(addrtab_get(&t, &unix_like, NULL));
	assert_null(addrtab_find(&t, &unix_like));
	addrtab_free(&t);
}

static void test_evict_least_recent(void **state)
{
	(void)state;
	struct addrtab t;
	assert_int_equal(addrtab_init(&t, 4, 2, sizeof(struct entry), &KEY_A), 0);
	/* three addresses of one set */
	struct sockaddr_storage same[3];
	unsigned n = 0;
	size_t set = 0;
	for (unsigned i = 0; n < 3 && i < 4096; i++) {
		struct sockaddr_storage a = nth(i);
		if (n == 0)
			set = addrtab_set_of(&t, &a);
		if (addrtab_set_of(&t, &a) == set)
			same[n++] = a;
	}
	assert_int_equal(n, 3);
	struct entry *e0 = addrtab_get(&t, &same[0], NULL);
	e0->value = 100;
	struct entry *e1 = addrtab_get(&t, &same[1], NULL);
	e1->value = 101;
	/* same[0] used again: same[1] is now the least recent of the set */
	assert_ptr_equal(addrtab_get(&t, &same[0], NULL), e0);
	/* a find is not a use */
	assert_non_null(addrtab_find(&t, &same[1]));
	bool fresh = false;
	struct entry *e2 = addrtab_get(&t, &same[2], &fresh);
	assert_true(fresh);
	assert_ptr_equal(e2, e1); /* took same[1]'s place */
	assert_int_equal(e2->value, 0);
	assert_null(addrtab_find(&t, &same[1]));
	assert_int_equal(((struct entry *)addrtab_find(&t, &same[0]))->value, 100);

	/* the table never grows: 8 entries whatever comes */
	for (unsigned i = 0; i < 1000; i++) {
		struct sockaddr_storage a = nth(i);
		addrtab_get(&t, &a, NULL);
	}
	unsigned used = 0;
	for (size_t i = 0; i < addrtab_size(&t); i++)
		used += addrtab_at(&t, i) != NULL;
	assert_int_equal(used, 8);
	addrtab_free(&t);
}

static void test_bad_shape(void **state)
{
	(void)state;
	struct addrtab t;
	assert_int_equal(addrtab_init(&t, 3, 4, sizeof(struct entry), &KEY_A), PC_EINVAL);
	assert_int_equal(addrtab_init(&t, 0, 4, sizeof(struct entry), &KEY_A), PC_EINVAL);
	assert_int_equal(addrtab_init(&t, 4, 0, sizeof(struct entry), &KEY_A), PC_EINVAL);
	assert_int_equal(addrtab_init(&t, 4, 4, 1, &KEY_A), PC_EINVAL);
}

/* The set an address goes to depends on the key: under another key, the
 * same addresses spread over the sets in another way (a flood of chosen
 * server addresses cannot be aimed at one set without the key), while one
 * key always gives the same set. */
static void test_key_decides_set(void **state)
{
	(void)state;
	struct addrtab a, a2, b;
	assert_int_equal(addrtab_init(&a, 256, 4, sizeof(struct entry), &KEY_A), 0);
	assert_int_equal(addrtab_init(&a2, 256, 4, sizeof(struct entry), &KEY_A), 0);
	assert_int_equal(addrtab_init(&b, 256, 4, sizeof(struct entry), &KEY_B), 0);
	unsigned differ = 0, counts[256] = { 0 };
	for (unsigned i = 0; i < 1024; i++) {
		struct sockaddr_storage x = nth(i);
		assert_int_equal(addrtab_set_of(&a, &x), addrtab_set_of(&a2, &x));
		differ += addrtab_set_of(&a, &x) != addrtab_set_of(&b, &x);
		counts[addrtab_set_of(&a, &x)]++;
	}
	/* by chance 1024/256 = 4 would agree; far more differ than not */
	assert_true(differ > 950);
	/* and consecutive addresses do not crowd a few sets (mean 4 a set) */
	unsigned max = 0;
	for (unsigned i = 0; i < 256; i++)
		max = counts[i] > max ? counts[i] : max;
	assert_true(max <= 16);
	addrtab_free(&a);
	addrtab_free(&a2);
	addrtab_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_find),
		cmocka_unit_test(test_evict_least_recent),
		cmocka_unit_test(test_bad_shape),
		cmocka_unit_test(test_key_decides_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
