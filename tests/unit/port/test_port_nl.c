/* Unit tests for port_nl: the request builder (its bytecode is run through
 * a model of the kernel's interpreter and audit) and the reply parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "port/port_nl.h"
#include "util/err.h"

/* The kernel's rules, restated from inet_diag's documented behaviour: a
 * true test advances by yes, a false one by no; ending exactly at the end
 * accepts, overshooting rejects; JMP is always false. */
static int bc_run(const uint8_t *bc, int len, uint16_t sport, uint16_t dport)
{
	while (len > 0) {
		struct inet_diag_bc_op op, arg;
		int yes;

		memcpy(&op, bc, sizeof(op));
		memcpy(&arg, bc + 4, sizeof(arg));
		switch (op.code) {
		case INET_DIAG_BC_S_GE: yes = sport >= arg.no; break;
		case INET_DIAG_BC_S_LE: yes = sport <= arg.no; break;
		case INET_DIAG_BC_D_GE: yes = dport >= arg.no; break;
		case INET_DIAG_BC_D_LE: yes = dport <= arg.no; break;
		case INET_DIAG_BC_JMP: yes = 0; break;
		default: return -1;
		}
		int step = yes ? op.yes : op.no;
		bc += step;
		len -= step;
	}
	return len == 0;
}

/* Every "no" target must sit on the chain of "yes" jumps (valid_cc). */
static int on_yes_chain(const uint8_t *bc, int total, int target)
{
	int off = 0;

	while (off < total) {
		struct inet_diag_bc_op op;
		if (off == target)
			return 1;
		memcpy(&op, bc + off, sizeof(op));
		off += op.yes;
	}
	return off == target || target >= total;
}

static const uint8_t *bytecode(const uint8_t *msg, size_t len, int *bclen)
{
	size_t off = sizeof(struct nlmsghdr) + sizeof(struct inet_diag_req_v2);
	uint16_t alen, atype;

	assert_true(len >= off + 4);
	memcpy(&alen, msg + off, 2);
	memcpy(&atype, msg + off + 2, 2);
	assert_int_equal(atype, INET_DIAG_REQ_BYTECODE);
	assert_int_equal(off + alen, len);
	*bclen = alen - 4;
	return msg + off + 4;
}

static void test_filter_semantics(void **state)
{
	uint8_t msg[256];
	size_t len = port_nl_build_inet_req(msg, sizeof(msg), AF_INET, IPPROTO_UDP, 100, 200, 9);
	int n;
	const uint8_t *bc;
	struct nlmsghdr h;

	(void)state;
	assert_true(len > 0);
	memcpy(&h, msg, sizeof(h));
	assert_int_equal(h.nlmsg_len, len);
	assert_int_equal(h.nlmsg_type, SOCK_DIAG_BY_FAMILY);
	assert_int_equal(h.nlmsg_seq, 9);
	bc = bytecode(msg, len, &n);
	assert_int_equal(bc_run(bc, n, 100, 1), 1);
	assert_int_equal(bc_run(bc, n, 200, 65535), 1);
	assert_int_equal(bc_run(bc, n, 150, 0), 1);
	assert_int_equal(bc_run(bc, n, 99, 201), 0);
	assert_int_equal(bc_run(bc, n, 201, 99), 0);
	assert_int_equal(bc_run(bc, n, 5, 100), 1);
	assert_int_equal(bc_run(bc, n, 5, 200), 1);
	assert_int_equal(bc_run(bc, n, 5, 201), 0);
	for (int off = 0; off < n;) {
		struct inet_diag_bc_op op;
		memcpy(&op, bc + off, sizeof(op));
		assert_true(op.yes % 4 == 0 && op.no % 4 == 0);
		assert_true(op.no <= n - off + 4);
		assert_true(on_yes_chain(bc, n, off + op.no));
		off += op.code == INET_DIAG_BC_JMP ? 4 : 8;
	}
	/* Single port: lo == hi. */
	len = port_nl_build_inet_req(msg, sizeof(msg), AF_INET6, IPPROTO_TCP, 53, 53, 1);
	bc = bytecode(msg, len, &n);
	assert_int_equal(bc_run(bc, n, 53, 40000), 1);
	assert_int_equal(bc_run(bc, n, 40000, 53), 1);
	assert_int_equal(bc_run(bc, n, 52, 54), 0);
	assert_int_equal(port_nl_build_inet_req(msg, 20, AF_INET, IPPROTO_TCP, 1, 2, 1), 0);
}

/* Append a netlink message to buf at *off. */
static void put_msg(uint8_t *buf, size_t *off, uint16_t type, uint32_t seq,
		    const void *payload, size_t plen)
{
	struct nlmsghdr h = { .nlmsg_len = (uint32_t)(sizeof(h) + plen), .nlmsg_type = type,
			      .nlmsg_seq = seq };

	memcpy(buf + *off, &h, sizeof(h));
	memcpy(buf + *off + sizeof(h), payload, plen);
	*off += (sizeof(h) + plen + 3) & ~(size_t)3;
}

struct got {
	struct port_sock s[4];
	int n;
};

static int collect(void *ctx, const struct port_sock *s)
{
	struct got *g = ctx;

	if (g->n < 4)
		g->s[g->n++] = *s;
	return 0;
}

static size_t inet_payload(uint8_t *p, uint8_t family, uint16_t sport, int v6only)
{
	struct inet_diag_msg m;
	size_t n = sizeof(m);

	memset(&m, 0, sizeof(m));
	m.idiag_family = family;
	m.idiag_state = 10;
	m.id.idiag_sport = htons(sport);
	m.idiag_uid = 1000;
	m.idiag_inode = 4242;
	if (family == AF_INET6) {
		uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1 };
		memcpy(m.id.idiag_src, mapped, 16);
	} else {
		m.id.idiag_src[0] = htonl(0x7f000001);
	}
	memcpy(p, &m, sizeof(m));
	if (v6only >= 0) {
		uint16_t a[2] = { 5, INET_DIAG_SKV6ONLY };
		memcpy(p + n, a, 4);
		p[n + 4] = (uint8_t)v6only;
		n += 8; /* 5 bytes padded to 8 */
	}
	return n;
}

static void test_parse_reply(void **state)
{
	uint8_t buf[1024], pl[128];
	size_t off = 0, n;
	struct got g = { .n = 0 };
	bool done = false;
	int kerr = 0;
	int32_t zero = 0;

	(void)state;
	n = inet_payload(pl, AF_INET, 53, -1);
	put_msg(buf, &off, SOCK_DIAG_BY_FAMILY, 7, pl, n);
	n = inet_payload(pl, AF_INET6, 443, 0);
	put_msg(buf, &off, SOCK_DIAG_BY_FAMILY, 7, pl, n);
	put_msg(buf, &off, SOCK_DIAG_BY_FAMILY, 8, pl, n); /* other request: ignored */
	put_msg(buf, &off, NLMSG_DONE, 7, &zero, sizeof(zero));
	assert_int_equal(port_nl_parse_inet(buf, off, 7, IPPROTO_TCP, collect, &g, &done, &kerr), 0);
	assert_true(done);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.s[0].lport, 53);
	assert_int_equal(g.s[0].family, AF_INET);
	assert_int_equal(g.s[0].v6only, -1);
	assert_int_equal(g.s[0].uid, 1000);
	assert_int_equal(g.s[0].inode, 4242);
	assert_int_equal(g.s[1].lport, 443);
	assert_int_equal(g.s[1].v6only, 0);
	assert_int_equal(g.s[1].laddr[15], 1);

	/* Every truncation of the datagram is either parsed or refused, never
	 * read past (ASan watches). */
	for (size_t cut = 0; cut < off; cut++) {
		done = false;
		g.n = 0;
		int rc = port_nl_parse_inet(buf, cut, 7, IPPROTO_TCP, collect, &g, &done, &kerr);
		assert_true(rc == 0 || rc == PC_EMALFORMED);
	}
}

static void test_error_reply(void **state)
{
	uint8_t buf[128];
	size_t off = 0;
	struct got g = { .n = 0 };
	bool done = false;
	int kerr = 0;
	struct nlmsgerr e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.error = -22;
	put_msg(buf, &off, NLMSG_ERROR, 3, &e, sizeof(e));
	assert_int_equal(port_nl_parse_inet(buf, off, 3, IPPROTO_UDP, collect, &g, &done, &kerr),
			 PC_EIO);
	assert_int_equal(kerr, 22);
	/* A header whose length overruns the datagram is malformed. */
	struct nlmsghdr h = { .nlmsg_len = 400, .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_seq = 3 };
	memcpy(buf, &h, sizeof(h));
	done = false;
	assert_int_equal(port_nl_parse_inet(buf, 64, 3, IPPROTO_UDP, collect, &g, &done, &kerr),
			 PC_EMALFORMED);
	h.nlmsg_len = 4; /* shorter than its own header */
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(port_nl_parse_inet(buf, 64, 3, IPPROTO_UDP, collect, &g, &done, &kerr),
			 PC_EMALFORMED);
}

static int one_unix(void *ctx, const struct port_unix_listener *u)
{
	*(struct port_unix_listener *)ctx = *u;
	return 0;
}

static void test_unix_reply(void **state)
{
	uint8_t buf[256], pl[128];
	size_t off = 0;
	struct unix_diag_msg m;
	struct port_unix_listener u;
	const char name[] = "\0abstract";
	uint16_t a[2] = { (uint16_t)(4 + sizeof(name) - 1), UNIX_DIAG_NAME };
	bool done = false;
	int kerr = 0;
	uint8_t req[64];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.udiag_ino = 99;
	memcpy(pl, &m, sizeof(m));
	memcpy(pl + sizeof(m), a, 4);
	memcpy(pl + sizeof(m) + 4, name, sizeof(name) - 1);
	put_msg(buf, &off, SOCK_DIAG_BY_FAMILY, 1, pl, sizeof(m) + 4 + sizeof(name) - 1);
	assert_int_equal(port_nl_parse_unix(buf, off, 1, one_unix, &u, &done, &kerr), 0);
	assert_int_equal(u.inode, 99);
	assert_string_equal(u.path, "@abstract");
	assert_true(port_nl_build_unix_req(req, sizeof(req), 1) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_semantics),
		cmocka_unit_test(test_parse_reply),
		cmocka_unit_test(test_error_reply),
		cmocka_unit_test(test_unix_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
