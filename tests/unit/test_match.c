/* Unit tests for the RFC 5452 §9.1 reply check (net/match.c): the accept
 * path and every drop reason, each asserted by its exact verdict, over UDP
 * and over TCP, with and without DNS cookies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "net/match.h"
#include "wire/wire.h"

static const uint8_t CLIENT[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t OTHER_CLIENT[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
static int SOCK_A, SOCK_B; /* two socket identities (their addresses) */

/* One test's world: the query as it left, and a reply to it that the
 * tests then damage in one way at a time. */
struct world {
	struct sockaddr_storage server, from;
	uint8_t qname[WIRE_NAME_MAX]; /* with the 0x20 pattern sent */
	struct match_query q;
	uint8_t pkt[1024];
	size_t len;
	struct match_dgram d;
	struct match_info info;
};

static struct wire_msg msg; /* large: not on the stack */

static struct sockaddr_storage addr(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, ip, &s->sin6_addr), 1);
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &s->sin_addr), 1);
	}
	return ss;
}

/* COOKIE option bytes: code 10, length, client cookie, server cookie. */
static uint16_t cookie_opt(uint8_t *out, const uint8_t *client, size_t server_len)
{
	out[0] = 0;
	out[1] = 10;
	out[2] = 0;
	out[3] = (uint8_t)(8 + server_len);
	memcpy(out + 4, client, 8);
	memset(out + 12, 0xcd, server_len);
	return (uint16_t)(12 + server_len);
}

/* The reply: our question echoed as given, QR set, optional OPT with opts. */
static void reply(struct world *w, uint16_t id, const uint8_t *qname, uint16_t qtype,
		  uint16_t qclass, const uint8_t *opts, uint16_t opts_len)
{
	int n = wire_build_query(w->pkt, sizeof(w->pkt), id, WIRE_F_RD, qname, qtype, qclass,
				 opts != NULL ? 1232 : 0, false, opts, opts_len);
	assert_true(n > WIRE_HDR_LEN);
	w->pkt[2] |= 0x80; /* QR */
	w->len = (size_t)n;
	w->d.pkt = w->pkt;
	w->d.len = w->len;
}

static void setup(struct world *w, const char *server, const char *name)
{
	memset(w, 0, sizeof(*w));
	w->server = addr(server, 53);
	w->from = w->server;
	assert_true(wire_name_from_text(name, w->qname) > 0);
	w->q.sock = &SOCK_A;
	w->q.server = &w->server;
	w->q.id = 0x1234;
	w->q.qname = w->qname;
	w->q.qtype = WIRE_T_A;
	w->q.qclass = WIRE_C_IN;
	w->d.sock = &SOCK_A;
	w->d.from = &w->from;
	w->d.outstanding = 1;
	reply(w, w->q.id, w->qname, WIRE_T_A, WIRE_C_IN, NULL, 0);
}

static enum match_verdict judge(struct world *w)
{
	return match_reply(&w->q, &w->d, &msg, &w->info);
}

static void test_accept(void **state)
{
	(void)state;
	struct world w;
	setup(&w, "192.0.2.1", "wWw.ExAmple-Lab.oRG.");
	assert_int_equal(judge(&w), MATCH_ACCEPT);
	assert_true(w.info.case_echoed);
	assert_int_equal(w.info.cookie, SRV_COOKIE_NONE);
	/* msg holds the reply, its question lowercased in the packet */
	assert_int_equal(msg.id, 0x1234);
	uint8_t lower[WIRE_NAME_MAX];
	wire_name_from_text("www.example-lab.org.", lower);
	assert_true(wire_name_eq_exact(msg.qname, lower));
	assert_memory_equal(w.pkt + WIRE_HDR_LEN, lower, wire_name_len(lower));

	setup(&w, "2001:db8::53", "wWw.ExAmple-Lab.oRG.");
	assert_int_equal(judge(&w), MATCH_ACCEPT);

	/* two steps, as upstream.c calls it, give the same verdict */
	setup(&w, "192.0.2.1", "wWw.ExAmple-Lab.oRG.");
	struct match_head h;
	assert_int_equal(match_head(&w.d, &h), MATCH_ACCEPT);
	assert_int_equal(h.id, 0x1234);
	assert_int_equal(match_check(&w.q, &w.d, &h, &msg, &w.info), MATCH_ACCEPT);
	assert_string_equal(match_verdict_name(MATCH_ACCEPT), "accept");
}

static void test_fragmented(void **state)
{
	(void)state;
	struct world w;
	setup(&w, "192.0.2.1", "www.example-lab.org.");
	w.d.fragmented = true;
	w.d.refuse_fragmented = true;
	assert_int_equal(judge(&w), MATCH_FRAGMENTED);
	/* first of all: even an otherwise unreadable datagram */
	w.d.len = 3;
	assert_int_equal(judge(&w), MATCH_FRAGMENTED);
	/* when fragments are not refused, a reassembled reply is judged as any */
	w.d.len = w.len;
	w.d.refuse_fragmented = false;
	assert_int_equal(judge(&w), MATCH_ACCEPT);
}

static void test_malformed_head(void **state)
{
	(void)state;
	struct world w;
	setup(&w, "192.0.2.1", "www.example-lab.org.");
	w.d.len = WIRE_HDR_LEN - 1; /* short header */
	assert_int_equal(judge(&w), MATCH_MALFORMED_HEAD);
	w.d.len = WIRE_HDR_LEN + 5; /* the question cut inside its name */
	assert_int_equal(judge(&w), MATCH_MALFORMED_HEAD);
	w.d.len = w.len - 1; /* ... inside its QCLASS */
	assert_int_equal(judge(&w), MATCH_MALFORMED_HEAD);
	w.d.len = w.len;
	w.pkt[5] = 0; /* QDCOUNT 0 */
	assert_int_equal(judge(&w), MATCH_MALFORMED_HEAD);
	w.pkt[5] = 2; /* QDCOUNT 2 */
	assert_int_equal(judge(&w), MATCH_MALFORMED_HEAD);
	w.pkt[5] = 1;
	w.pkt[WIRE_HDR_LEN] = 64; /* a label longer than 63 */
	assert_int_equal(judge(&w), MATCH_MALFORMED_HEAD);
	/* a malformed head is named before a missing query */
	assert_int_equal(match_reply(NULL, &w.d, &msg, &w.info), MATCH_MALFORMED_HEAD);
}

static void test_no_query(void **state)
{
	(void)state;
	struct world w;
	setup(&w, "192.0.2.1", "www.example-lab.org.");
	w.d.outstanding = 0;
	assert_int_equal(match_reply(NULL, &w.d, &msg, &w.info), MATCH_UNSOLICITED);
	/* something waits on the socket, but not with this ID */
	w.d.outstanding = 3;
	assert_int_equal(match_reply(NULL, &w.d, &msg, &w.info), MATCH_BAD_ID);
}

static void test_socket_and_id(void **state)
{
	(void)state;
	struct world w;
	setup(&w, "192.0.2.1", "www.example-lab.org.");
	w.d.sock = &SOCK_B;
	assert_int_equal(judge(&w), MATCH_WRONG_SOCKET);
	w.d.sock = &SOCK_A;
	for (unsigned bit = 0; bit < 16; bit++) {
		w.q.id = (uint16_t)(0x1234 ^ (1u << bit));
		assert_int_equal(judge(&w), MATCH_BAD_ID);
	}
	/* the socket is checked before the ID */
	w.d.sock = &SOCK_B;
	assert_int_equal(judge(&w), MATCH_WRONG_SOCKET);
}

static void test_source(void **state)
{
	(void)state;
	struct world w;
	setup(&w, "192.0.2.1", "www.example-lab.org.");
	w.from = addr("192.0.2.2", 53);
	assert_int_equal(judge(&w), MATCH_BAD_ADDRESS);
	w.from = addr("192.0.2.1", 54);
	assert_int_equal(judge(&w), MATCH_BAD_PORT);
	w.from = addr("::ffff:192.0.2.1", 53); /* another family */
	assert_int_equal(judge(&w), MATCH_BAD_ADDRESS);
	w.from = addr("192.0.2.2", 54); /* both: the address is named */
	assert_int_equal(judge(&w), MATCH_BAD_ADDRESS);
	/* the ID is checked before the source */
	w.q.id ^= 1;
	assert_int_equal(judge(&w), MATCH_BAD_ID);

	setup(&w, "2001:db8::53", "www.example-lab.org.");
	w.from = addr("2001:db8::54", 53);
	assert_int_equal(judge(&w), MATCH_BAD_ADDRESS);
	w.from = addr("2001:db8::53", 5353);
	assert_int_equal(judge(&w), MATCH_BAD_PORT);
	w.from = addr("192.0.2.1", 53);
	assert_int_equal(judge(&w), MATCH_BAD_ADDRESS);
	/* a family the check does not know is never the server */
	w.server.ss_family = AF_UNIX;
	w.from.ss_family = AF_UNIX;
	assert_int_equal(judge(&w), MATCH_BAD_ADDRESS);
}

static void test_question(void **state)
{
	(void)state;
	struct world w;
	uint8_t other[WIRE_NAME_MAX];
	setup(&w, "192.0.2.1", "www.example-lab.org.");
	w.pkt[2] &= 0x7f; /* QR clear: a query, not a response */
	assert_int_equal(judge(&w), MATCH_NOT_RESPONSE);

	setup(&w, "192.0.2.1", "www.example-lab.org.");
	reply(&w, 0x1234, w.qname, WIRE_T_AAAA, WIRE_C_IN, NULL, 0);
	assert_int_equal(judge(&w), MATCH_BAD_QTYPE);
	reply(&w, 0x1234, w.qname, WIRE_T_A, WIRE_C_CH, NULL, 0);
	assert_int_equal(judge(&w), MATCH_BAD_QCLASS);
	wire_name_from_text("wwx.example-lab.org.", other);
	reply(&w, 0x1234, other, WIRE_T_A, WIRE_C_IN, NULL, 0);
	assert_int_equal(judge(&w), MATCH_BAD_QNAME);
	wire_name_from_text("www.example-lab.org.www.", other); /* longer */
	reply(&w, 0x1234, other, WIRE_T_A, WIRE_C_IN, NULL, 0);
	assert_int_equal(judge(&w), MATCH_BAD_QNAME);
	wire_name_from_text("example-lab.org.", other); /* shorter */
	reply(&w, 0x1234, other, WIRE_T_A, WIRE_C_IN, NULL, 0);
	assert_int_equal(judge(&w), MATCH_BAD_QNAME);
	/* the source is checked before the question */
	w.from = addr("192.0.2.1", 5353);
	assert_int_equal(judge(&w), MATCH_BAD_PORT);
}

static void test_case(void **state)
{
	(void)state;
	struct world w;
	uint8_t echo[WIRE_NAME_MAX];
	setup(&w, "192.0.2.1", "wWw.ExAmple-Lab.oRG.");
	/* the server answered in lowercase, or a forger guessed the case wrong
	 * by one letter: dropped over UDP */
	wire_name_from_text("www.example-lab.org.", echo);
	reply(&w, 0x1234, echo, WIRE_T_A, WIRE_C_IN, NULL, 0);
	assert_int_equal(judge(&w), MATCH_BAD_CASE);
	assert_false(w.info.case_echoed);
	wire_name_from_text("wWw.ExAmple-Lab.oRg.", echo);
	reply(&w, 0x1234, echo, WIRE_T_A, WIRE_C_IN, NULL, 0);
	assert_int_equal(judge(&w), MATCH_BAD_CASE);
	/* the packet is left as it came */
	assert_memory_equal(w.pkt + WIRE_HDR_LEN, echo, wire_name_len(echo));

	/* over TCP the same reply is accepted, the missed echo noted, and the
	 * question lowercased */
	w.d.tcp = true;
	w.d.sock = NULL;
	w.d.from = NULL;
	assert_int_equal(judge(&w), MATCH_ACCEPT);
	assert_false(w.info.case_echoed);
	wire_name_lower(echo);
	assert_memory_equal(w.pkt + WIRE_HDR_LEN, echo, wire_name_len(echo));
	reply(&w, 0x1234, w.qname, WIRE_T_A, WIRE_C_IN, NULL, 0);
	assert_int_equal(judge(&w), MATCH_ACCEPT);
	assert_true(w.info.case_echoed);
	/* but TCP still checks ID and question */
	w.q.id ^= 1;
	assert_int_equal(judge(&w), MATCH_BAD_ID);
	w.q.id ^= 1;
	w.q.qtype = WIRE_T_MX;
	assert_int_equal(judge(&w), MATCH_BAD_QTYPE);
}

static void test_malformed_body(void **state)
{
	(void)state;
	struct world w;
	setup(&w, "192.0.2.1", "www.example-lab.org.");
	w.pkt[7] = 1; /* ANCOUNT 1, no record follows */
	assert_int_equal(judge(&w), MATCH_MALFORMED);
	/* a record cut short */
	setup(&w, "192.0.2.1", "www.example-lab.org.");
	static const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2 };
	memcpy(w.pkt + w.len, rr, sizeof(rr));
	w.pkt[7] = 1;
	w.d.len = w.len + sizeof(rr);
	assert_int_equal(judge(&w), MATCH_MALFORMED);
	/* ... and whole */
	w.pkt[w.d.len] = 1;
	w.d.len++;
	assert_int_equal(judge(&w), MATCH_ACCEPT);
	assert_int_equal(msg.n_an, 1);
}

static void test_cookies(void **state)
{
	(void)state;
	struct world w;
	uint8_t opts[64];
	setup(&w, "192.0.2.1", "www.example-lab.org.");
	w.q.cookie_sent = true;
	w.q.cookie = CLIENT;

	/* ours, with a server cookie: accepted, the server cookie handed out */
	uint16_t n = cookie_opt(opts, CLIENT, 16);
	reply(&w, 0x1234, w.qname, WIRE_T_A, WIRE_C_IN, opts, n);
	assert_int_equal(judge(&w), MATCH_ACCEPT);
	assert_int_equal(w.info.cookie, SRV_COOKIE_OK);
	assert_int_equal(w.info.server_cookie_len, 16);
	assert_ptr_equal(w.info.server_cookie, w.pkt + w.len - 16);

	/* somebody else's client cookie */
	n = cookie_opt(opts, OTHER_CLIENT, 16);
	reply(&w, 0x1234, w.qname, WIRE_T_A, WIRE_C_IN, opts, n);
	assert_int_equal(judge(&w), MATCH_BAD_COOKIE);
	assert_int_equal(w.info.cookie, SRV_COOKIE_BAD);
	assert_null(w.info.server_cookie);
	/* a malformed option (server cookie of 5 bytes) */
	n = cookie_opt(opts, CLIENT, 5);
	reply(&w, 0x1234, w.qname, WIRE_T_A, WIRE_C_IN, opts, n);
	assert_int_equal(judge(&w), MATCH_BAD_COOKIE);

	/* none: fine from a server that never gave us one, not from one that did */
	reply(&w, 0x1234, w.qname, WIRE_T_A, WIRE_C_IN, NULL, 0);
	assert_int_equal(judge(&w), MATCH_ACCEPT);
	assert_int_equal(w.info.cookie, SRV_COOKIE_NONE);
	w.q.cookie_required = true;
	assert_int_equal(judge(&w), MATCH_BAD_COOKIE);
	assert_int_equal(w.info.cookie, SRV_COOKIE_NONE);

	/* a cookie we did not send is not looked at */
	w.q.cookie_sent = false;
	n = cookie_opt(opts, OTHER_CLIENT, 16);
	reply(&w, 0x1234, w.qname, WIRE_T_A, WIRE_C_IN, opts, n);
	assert_int_equal(judge(&w), MATCH_ACCEPT);
	assert_int_equal(w.info.cookie, SRV_COOKIE_NONE);

	/* over TCP the cookie is judged but never a reason to drop */
	w.q.cookie_sent = true;
	w.d.tcp = true;
	assert_int_equal(judge(&w), MATCH_ACCEPT);
	assert_int_equal(w.info.cookie, SRV_COOKIE_BAD);
	reply(&w, 0x1234, w.qname, WIRE_T_A, WIRE_C_IN, NULL, 0);
	assert_int_equal(judge(&w), MATCH_ACCEPT);
	assert_int_equal(w.info.cookie, SRV_COOKIE_NONE);

	/* a malformed message is named before the cookie */
	w.d.tcp = false;
	w.pkt[7] = 1;
	assert_int_equal(judge(&w), MATCH_MALFORMED);
}

static void test_names(void **state)
{
	(void)state;
	/* every verdict has its own name */
	for (int i = 0; i < MATCH_N; i++) {
		const char *a = match_verdict_name((enum match_verdict)i);
		assert_non_null(a);
		assert_string_not_equal(a, "?");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(a, match_verdict_name((enum match_verdict)j));
	}
	assert_string_equal(match_verdict_name(MATCH_N), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_fragmented),
		cmocka_unit_test(test_malformed_head),
		cmocka_unit_test(test_no_query),
		cmocka_unit_test(test_socket_and_id),
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_question),
		cmocka_unit_test(test_case),
		cmocka_unit_test(test_malformed_body),
		cmocka_unit_test(test_cookies),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
