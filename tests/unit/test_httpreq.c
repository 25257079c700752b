/* Unit tests for the metrics endpoint's request reader (daemon/httpreq.h):
 * the verdict for each kind of request head, incomplete heads, the size
 * bound, and how much of the buffer the head took. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/httpreq.h"

static enum httpreq_verdict judge(const char *text, struct httpreq *r)
{
	struct httpreq local;
	return httpreq_parse(text, strlen(text), r != NULL ? r : &local);
}

static void test_get_metrics(void **state)
{
	(void)state;
	struct httpreq r;
	const char *req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9153\r\n"
			  "User-Agent: Prometheus/2.42\r\nAccept: text/plain\r\n\r\n";
	assert_int_equal(judge(req, &r), HTTPREQ_OK);
	assert_false(r.head);
	assert_int_equal(r.used, strlen(req));
	assert_int_equal(judge("GET /metrics HTTP/1.0\r\n\r\n", NULL), HTTPREQ_OK);
	assert_int_equal(judge("GET /metrics HTTP/1.0\n\n", NULL), HTTPREQ_OK); /* bare LF */
	assert_int_equal(judge("GET /metrics?x=1 HTTP/1.0\r\n\r\n", NULL), HTTPREQ_OK);
	assert_int_equal(judge("GET http://h:1/metrics HTTP/1.1\r\nHost: h\r\n\r\n", NULL),
			 HTTPREQ_OK);
	assert_int_equal(judge("\r\nGET /metrics HTTP/1.0\r\n\r\n", NULL), HTTPREQ_OK);
	assert_int_equal(judge("HEAD /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n", &r),
			 HTTPREQ_OK);
	assert_true(r.head);
}

static void test_incomplete(void **state)
{
	(void)state;
	const char *full = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
	for (size_t n = 0; n < strlen(full); n++) {
		struct httpreq r;
		assert_int_equal(httpreq_parse(full, n, &r), HTTPREQ_MORE);
	}
	/* bytes after the head (a pipelined second request) are not the head's */
	struct httpreq r;
	char two[128];
	snprintf(two, sizeof(two), "%sGET / HTTP/1.0\r\n\r\n", full);
	assert_int_equal(judge(two, &r), HTTPREQ_OK);
	assert_int_equal(r.used, strlen(full));
}

static void test_statuses(void **state)
{
	(void)state;
	assert_int_equal(judge("POST /metrics HTTP/1.0\r\n\r\n", NULL), HTTPREQ_METHOD);
	assert_int_equal(judge("DELETE /metrics HTTP/1.1\r\nHost: a\r\n\r\n", NULL), HTTPREQ_METHOD);
	assert_int_equal(judge("get /metrics HTTP/1.0\r\n\r\n", NULL), HTTPREQ_METHOD);
	assert_int_equal(judge("GET / HTTP/1.0\r\n\r\n", NULL), HTTPREQ_NOT_FOUND);
	assert_int_equal(judge("GET /metricsx HTTP/1.0\r\n\r\n", NULL), HTTPREQ_NOT_FOUND);
	assert_int_equal(judge("GET /metrics/ HTTP/1.0\r\n\r\n", NULL), HTTPREQ_NOT_FOUND);
	assert_int_equal(judge("GET /metrics HTTP/2.0\r\n\r\n", NULL), HTTPREQ_VERSION);
	assert_int_equal(judge("GET /metrics HTTP/0.9\r\n\r\n", NULL), HTTPREQ_VERSION);
}

static void test_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"GET /metrics HTTP/1.1\r\n\r\n",                     /* 1.1 without Host */
		"GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", /* two Hosts */
		"GET /metrics\r\n\r\n",                              /* HTTP/0.9 form */
		"GET  /metrics HTTP/1.0\r\n\r\n",                    /* two spaces */
		"GET /metrics HTTP/1.0 \r\n\r\n",
		"GET /metrics HTTP/1.10\r\n\r\n",
		"GET /metrics http/1.0\r\n\r\n",
		"GET /met\x01rics HTTP/1.0\r\n\r\n",
		"GET /metrics HTTP/1.0\r\nX : y\r\n\r\n",            /* blank before colon */
		"GET /metrics HTTP/1.0\r\nX: y\r\n z\r\n\r\n",        /* obs-fold */
		"GET /metrics HTTP/1.0\r\nNo colon\r\n\r\n",
		"GET /metrics HTTP/1.0\r\n: v\r\n\r\n",
		"GET /metrics HTTP/1.0\r\nX: a\x01b\r\n\r\n",
		"GET /metrics HTTP/1.0\r\nX: a\rb\r\n\r\n",          /* CR inside a line */
		"GET /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello",
		"GET /metrics HTTP/1.0\r\nContent-Length: x\r\n\r\n",
		"GET /metrics HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET metrics HTTP/1.0\r\n\r\n",
		"GET http:///metrics HTTP/1.0\r\n\r\n",
		"\r\n\r\n\r\n\r\n\r\nGET /metrics HTTP/1.0\r\n\r\n", /* too many empty lines */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct httpreq r;
		enum httpreq_verdict v = httpreq_parse(bad[i], strlen(bad[i]), &r);
		if (v != HTTPREQ_BAD)
			fail_msg("case %zu: %d, want 400", i, (int)v);
	}
}

/* A client that speaks something else is told at once, before any line
 * end: a TLS ClientHello starts with bytes no request line holds. */
static void test_early_reject(void **state)
{
	(void)state;
	static const char tls[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (char)0xfc };
	struct httpreq r;
	assert_int_equal(httpreq_parse(tls, sizeof(tls), &r), HTTPREQ_BAD);
	assert_int_equal(httpreq_parse("GET /metrics HTTP/1.0\r\nX: a\x01", 28, &r), HTTPREQ_BAD);
	assert_int_equal(httpreq_parse("GET /metrics HTTP/1.0\r\nX: a\t", 28, &r), HTTPREQ_MORE);
}

static void test_too_large(void **state)
{
	(void)state;
	char *big = malloc(HTTPREQ_MAX + 100);
	assert_non_null(big);
	memset(big, 'a', HTTPREQ_MAX + 100);
	memcpy(big, "GET /metrics HTTP/1.0\r\nX: ", 26);
	struct httpreq r;
	assert_int_equal(httpreq_parse(big, HTTPREQ_MAX - 1, &r), HTTPREQ_MORE);
	assert_int_equal(httpreq_parse(big, HTTPREQ_MAX, &r), HTTPREQ_TOO_LARGE);
	/* the end of the head past the bound does not count */
	memcpy(big + HTTPREQ_MAX + 10, "\r\n\r\n", 4);
	assert_int_equal(httpreq_parse(big, HTTPREQ_MAX + 14, &r), HTTPREQ_TOO_LARGE);
	free(big);
	assert_string_equal(httpreq_reason(HTTPREQ_METHOD), "Method Not Allowed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_metrics), cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_statuses),    cmocka_unit_test(test_bad),
		cmocka_unit_test(test_too_large),   cmocka_unit_test(test_early_reject),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
