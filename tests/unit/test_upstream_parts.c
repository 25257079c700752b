/* Unit tests for the pure parts of the upstream defenses: the COOKIE option
 * judge and the per-server state (net/srvstate.c), and the unwanted-reply
 * window with its zone set (net/guard.c). The sockets and timers around
 * them are exercised by tests/integration/test_defenses.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "net/guard.h"
#include "net/srvstate.h"
#include "wire/wire.h"

static const uint8_t CLIENT[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* option bytes: code 10, length, data */
static size_t cookie_opt(uint8_t *out, const uint8_t *data, size_t len)
{
	out[0] = 0;
	out[1] = 10;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, data, len);
	return 4 + len;
}

static void test_cookie_check(void **state)
{
	(void)state;
	uint8_t data[48], opts[128];
	const uint8_t *sc = NULL;
	size_t sc_len = 99;
	memcpy(data, CLIENT, 8);
	memset(data + 8, 0xab, 40);

	/* no option at all, or only other options */
	assert_int_equal(srv_cookie_check(NULL, 0, CLIENT, &sc, &sc_len), SRV_COOKIE_NONE);
	uint8_t other[] = { 0, 12, 0, 2, 0, 0 };
	assert_int_equal(srv_cookie_check(other, sizeof(other), CLIENT, &sc, &sc_len),
			 SRV_COOKIE_NONE);

	/* client cookie alone, then with server cookies of every allowed size */
	size_t n = cookie_opt(opts, data, 8);
	assert_int_equal(srv_cookie_check(opts, n, CLIENT, &sc, &sc_len), SRV_COOKIE_OK);
	assert_int_equal(sc_len, 0);
	for (size_t s = 8; s <= 32; s++) {
		n = cookie_opt(opts, data, 8 + s);
		assert_int_equal(srv_cookie_check(opts, n, CLIENT, &sc, &sc_len), SRV_COOKIE_OK);
		assert_int_equal(sc_len, s);
		assert_ptr_equal(sc, opts + 4 + 8);
	}
	/* server cookies of a wrong size, short client cookies */
	size_t bad_sizes[] = { 0, 1, 7, 9, 15, 41, 48 };
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		n = cookie_opt(opts, data, bad_sizes[i]);
		assert_int_equal(srv_cookie_check(opts, n, CLIENT, &sc, &sc_len), SRV_COOKIE_BAD);
	}
	/* somebody else's client cookie */
	data[3] ^= 1;
	n = cookie_opt(opts, data, 24);
	assert_int_equal(srv_cookie_check(opts, n, CLIENT, &sc, &sc_len), SRV_COOKIE_BAD);
	data[3] ^= 1;
	/* two COOKIE options, and option bytes that overrun */
	n = cookie_opt(opts, data, 16);
	n += cookie_opt(opts + n, data, 16);
	assert_int_equal(srv_cookie_check(opts, n, CLIENT, &sc, &sc_len), SRV_COOKIE_BAD);
	n = cookie_opt(opts, data, 16);
	assert_int_equal(srv_cookie_check(opts, n - 1, CLIENT, &sc, &sc_len), SRV_COOKIE_BAD);
	assert_int_equal(srv_cookie_check(opts, 3, CLIENT, &sc, &sc_len), SRV_COOKIE_BAD);
}

static struct sockaddr_storage addr4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
	return ss;
}

static void test_srvstate(void **state)
{
	(void)state;
	struct srvstate t;
	assert_int_equal(srv_init(&t), 0);
	struct sockaddr_storage a = addr4("192.0.2.1", 53), b = addr4("192.0.2.1", 5353);
	uint64_t now = 1000;
	assert_null(srv_find(&t, &a));
	struct srv_entry *e = srv_get(&t, &a, now);
	assert_non_null(e);
	assert_ptr_equal(srv_find(&t, &a), e);
	assert_null(srv_find(&t, &b)); /* the port is part of the key */
	uint8_t client[8];
	memcpy(client, e->client, 8);

	/* the option carries the server cookie once there is one */
	uint8_t opt[SRV_COOKIE_OPT_MAX];
	assert_int_equal(srv_cookie_opt(e, opt), 12);
	memset(e->server, 0x5a, 16);
	e->server_len = 16;
	assert_int_equal(srv_cookie_opt(e, opt), 28);
	assert_int_equal(opt[1], 10);
	assert_int_equal(opt[3], 24);
	assert_memory_equal(opt + 4, client, 8);

	/* a day later: a new client cookie, and the server cookie is gone */
	e = srv_get(&t, &a, now + SRV_CLIENT_COOKIE_LIFE_MS);
	assert_int_equal(e->server_len, 0);
	assert_memory_not_equal(e->client, client, 8);

	/* two confirmed case misses mark the server for a while */
	assert_false(srv_nocaps(&t, &a, now));
	assert_false(srv_case_miss(&t, &a, now));
	assert_true(srv_case_miss(&t, &a, now));
	assert_true(srv_nocaps(&t, &a, now + 1));
	assert_false(srv_nocaps(&t, &b, now + 1));
	assert_int_equal(srv_count_nocaps(&t, now + 1), 1);
	assert_false(srv_nocaps(&t, &a, now + SRV_NOCAPS_MS));
	assert_int_equal(srv_count_nocaps(&t, now + SRV_NOCAPS_MS), 0);

	/* many servers: the table stays bounded and keeps working */
	for (uint32_t i = 0; i < 20000; i++) {
		struct sockaddr_storage x = addr4("198.51.100.7", (uint16_t)(1 + i % 60000));
		((struct sockaddr_in *)&x)->sin_addr.s_addr = htonl(0x0a000000u + i);
		assert_non_null(srv_get(&t, &x, now + i));
	}
	srv_free(&t);
}

static int zones_seen;
static uint8_t zone_last[WIRE_NAME_MAX];

static void on_zone(void *ud, const uint8_t *zone)
{
	(void)ud;
	zones_seen++;
	wire_name_copy(zone_last, zone);
}

static void test_guard(void **state)
{
	(void)state;
	struct guard g;
	uint8_t z1[WIRE_NAME_MAX], z2[WIRE_NAME_MAX];
	assert_true(wire_name_from_text("a.lab.", z1) > 0);
	assert_true(wire_name_from_text("b.lab.", z2) > 0);

	/* off: never defensive */
	guard_init(&g, 0, 10);
	for (int i = 0; i < 1000; i++)
		assert_false(guard_unwanted(&g, 60000 * 5));
	assert_false(guard_defensive(&g, 60000 * 5));

	guard_init(&g, 5, 10);
	uint64_t t0 = 60000 * 100; /* the start of a minute */
	for (int i = 0; i < 4; i++)
		assert_false(guard_unwanted(&g, t0 + (uint64_t)i));
	assert_false(guard_defensive(&g, t0 + 10));
	guard_zone(&g, z1, t0 + 10);
	guard_zone(&g, z1, t0 + 11);
	guard_zone(&g, z2, t0 + 12);
	assert_true(guard_unwanted(&g, t0 + 20)); /* the fifth */
	assert_true(guard_defensive(&g, t0 + 20));
	assert_int_equal(g.entered, 1);
	zones_seen = 0;
	guard_take_zones(&g, t0 + 20, on_zone, NULL);
	assert_int_equal(zones_seen, 2); /* each zone once */
	zones_seen = 0;
	guard_take_zones(&g, t0 + 20, on_zone, NULL);
	assert_int_equal(zones_seen, 0); /* taken */
	/* more while defensive extends it, without entering again */
	assert_true(guard_unwanted(&g, t0 + 5000));
	assert_int_equal(g.entered, 1);
	assert_true(guard_defensive(&g, t0 + 14999));
	assert_false(guard_defensive(&g, t0 + 15000));

	/* the window slides: half a minute into the next minute, half of the
	 * last minute's count still counts */
	assert_int_equal(guard_count(&g, t0 + 60000 + 30000), 3);
	assert_int_equal(guard_count(&g, t0 + 3 * 60000), 0);

	/* defensive mode covers only the servers forgeries came in the name of */
	{
		struct sockaddr_storage s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
		struct sockaddr_in *a1 = (struct sockaddr_in *)&s1, *a2 = (struct sockaddr_in *)&s2,
				   *a3 = (struct sockaddr_in *)&s3;
		a1->sin_family = a2->sin_family = a3->sin_family = AF_INET;
		a1->sin_port = a2->sin_port = a3->sin_port = htons(53);
		a1->sin_addr.s_addr = htonl(0x7f140001);
		a2->sin_addr.s_addr = htonl(0x7f140002);
		a3->sin_addr.s_addr = htonl(0x7f140003);
		guard_init(&g, 3, 10);
		guard_server(&g, &s1, t0);
		assert_false(guard_unwanted(&g, t0));
		guard_server(&g, &s2, t0 + 1);
		assert_false(guard_unwanted(&g, t0 + 1));
		assert_false(guard_server_defensive(&g, &s1, t0 + 1));
		guard_server(&g, &s1, t0 + 2);
		assert_true(guard_unwanted(&g, t0 + 2));
		assert_true(guard_server_defensive(&g, &s1, t0 + 3));
		assert_true(guard_server_defensive(&g, &s2, t0 + 3));
		assert_false(guard_server_defensive(&g, &s3, t0 + 3));
		assert_int_equal(guard_n_servers(&g, t0 + 3), 2);
		/* a third server forged while the count is high joins them */
		guard_server(&g, &s3, t0 + 4000);
		assert_true(guard_unwanted(&g, t0 + 4000));
		assert_true(guard_server_defensive(&g, &s3, t0 + 4001));
		assert_true(guard_server_defensive(&g, &s1, t0 + 13999));
		assert_false(guard_server_defensive(&g, &s3, t0 + 14000));
		assert_int_equal(guard_n_servers(&g, t0 + 14000), 0);
	}

	/* the zone set is bounded: the oldest make room */
	guard_init(&g, 1000, 10);
	for (int i = 0; i < GUARD_ZONES + 10; i++) {
		char text[32];
		uint8_t z[WIRE_NAME_MAX];
		snprintf(text, sizeof(text), "z%d.lab.", i);
		assert_true(wire_name_from_text(text, z) > 0);
		guard_zone(&g, z, t0 + (uint64_t)i);
	}
	assert_int_equal(g.n_zones, GUARD_ZONES);
	zones_seen = 0;
	guard_take_zones(&g, t0 + 100, on_zone, NULL);
	assert_int_equal(zones_seen, GUARD_ZONES);
	/* zones older than two minutes are not flushed */
	guard_zone(&g, z1, t0);
	zones_seen = 0;
	guard_take_zones(&g, t0 + 3 * 60000, on_zone, NULL);
	assert_int_equal(zones_seen, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_check),
		cmocka_unit_test(test_srvstate),
		cmocka_unit_test(test_guard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
