/* port_nl: sock_diag request builders and reply parsers (see port_nl.h). */
#include "port/port_nl.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "util/err.h"
#include "wire/wire.h"

/* Netlink aligns messages and attributes to 4 bytes. */
#define NL_ALIGN4(n) (((n) + 3u) & ~(size_t)3u)
#define NL_HDR_LEN 16u
#define ATTR_HDR_LEN 4u
/* TCP_LISTEN in the kernel's state numbering, which AF_UNIX reuses. */
#define STATE_LISTEN 10

/* Advance by n, or to the end when fewer remain (netlink alignment padding
 * after the last item may be absent). */
static void skip_pad(struct wire_rd *rd, size_t n)
{
	size_t left = wire_rd_left(rd);
	(void)wire_rd_skip(rd, n < left ? n : left);
}

int port_nl_next_msg(struct wire_rd *stream, struct port_nlmsg *hdr,
		     struct wire_rd *payload)
{
	struct nlmsghdr h;

	if (wire_rd_bytes(stream, &h, sizeof(h)) != 0)
		return PC_EMALFORMED;
	if (h.nlmsg_len < NL_HDR_LEN)
		return PC_EMALFORMED;
	if (wire_rd_sub(stream, h.nlmsg_len - NL_HDR_LEN, payload) != 0)
		return PC_EMALFORMED;
	skip_pad(stream, NL_ALIGN4(h.nlmsg_len) - h.nlmsg_len);
	hdr->len = h.nlmsg_len;
	hdr->type = h.nlmsg_type;
	hdr->flags = h.nlmsg_flags;
	hdr->seq = h.nlmsg_seq;
	hdr->pid = h.nlmsg_pid;
	return 0;
}

int port_nl_next_attr(struct wire_rd *attrs, uint16_t *type, struct wire_rd *val)
{
	uint16_t hl[2]; /* rta_len, rta_type */

	if (wire_rd_bytes(attrs, hl, sizeof(hl)) != 0 || hl[0] < ATTR_HDR_LEN)
		return PC_EMALFORMED;
	if (wire_rd_sub(attrs, hl[0] - ATTR_HDR_LEN, val) != 0)
		return PC_EMALFORMED;
	skip_pad(attrs, NL_ALIGN4(hl[0]) - hl[0]);
	/* The top bits are NLA_F_NESTED / NLA_F_NET_BYTEORDER flags. */
	*type = hl[1] & 0x3fff;
	return 0;
}

/* Shared handling of the control messages every dump may carry. Returns 1
 * when the message was a data message the caller must decode. */
static int control_msg(const struct port_nlmsg *h, struct wire_rd *pl,
		       bool *done, int *kerr)
{
	int32_t e = 0;

	if (h->type == NLMSG_DONE) {
		/* A dump that failed half-way reports the error here. */
		if (wire_rd_left(pl) >= sizeof(e))
			(void)wire_rd_bytes(pl, &e, sizeof(e));
		*done = true;
		if (e < 0) {
			*kerr = e == INT32_MIN ? 1 : -e;
			return PC_EIO;
		}
		return 0;
	}
	if (h->type == NLMSG_ERROR) {
		if (wire_rd_bytes(pl, &e, sizeof(e)) != 0)
			return PC_EMALFORMED;
		if (e == 0)
			return 0; /* an acknowledgement */
		*kerr = e == INT32_MIN ? 1 : (e < 0 ? -e : e);
		*done = true;
		return PC_EIO;
	}
	if (h->type == NLMSG_NOOP || h->type == NLMSG_OVERRUN)
		return 0;
	return 1;
}

static int decode_inet(struct wire_rd *pl, uint8_t proto, struct port_sock *s)
{
	struct inet_diag_msg m;
	struct wire_rd val;
	uint16_t type;

	if (wire_rd_bytes(pl, &m, sizeof(m)) != 0)
		return PC_EMALFORMED;
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6)
		return PC_EMALFORMED;
	memset(s, 0, sizeof(*s));
	s->family = m.idiag_family;
	s->proto = proto;
	s->state = m.idiag_state;
	s->v6only = -1;
	s->lport = ntohs(m.id.idiag_sport);
	s->rport = ntohs(m.id.idiag_dport);
	memcpy(s->laddr, m.id.idiag_src, m.idiag_family == AF_INET ? 4 : 16);
	memcpy(s->raddr, m.id.idiag_dst, m.idiag_family == AF_INET ? 4 : 16);
	s->uid = m.idiag_uid;
	s->inode = m.idiag_inode;
	s->rqueue = m.idiag_rqueue;
	s->wqueue = m.idiag_wqueue;
	while (wire_rd_left(pl) > 0) {
		if (port_nl_next_attr(pl, &type, &val) != 0)
			return PC_EMALFORMED;
		if (type == INET_DIAG_SKV6ONLY) {
			uint8_t v;
			if (wire_rd_bytes(&val, &v, 1) != 0)
				return PC_EMALFORMED;
			s->v6only = v ? 1 : 0;
		}
	}
	return 0;
}

int port_nl_parse_inet(const void *buf, size_t len, uint32_t seq, uint8_t proto,
		       port_nl_sock_cb cb, void *ctx, bool *done, int *kerr)
{
	struct wire_rd st, pl;
	struct port_nlmsg h;
	struct port_sock s;
	int rc;

	wire_rd_init(&st, buf, buf != NULL ? len : 0);
	while (wire_rd_left(&st) > 0 && !*done) {
		if (port_nl_next_msg(&st, &h, &pl) != 0)
			return PC_EMALFORMED;
		if (h.seq != seq)
			continue; /* a stray reply to some other request */
		rc = control_msg(&h, &pl, done, kerr);
		if (rc <= 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		if (h.type != SOCK_DIAG_BY_FAMILY)
			continue;
		if (decode_inet(&pl, proto, &s) != 0)
			return PC_EMALFORMED;
		rc = cb(ctx, &s);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int decode_unix(struct wire_rd *pl, struct port_unix_listener *u)
{
	struct unix_diag_msg m;
	struct wire_rd val;
	uint16_t type;

	if (wire_rd_bytes(pl, &m, sizeof(m)) != 0)
		return PC_EMALFORMED;
	memset(u, 0, sizeof(*u));
	u->inode = m.udiag_ino;
	while (wire_rd_left(pl) > 0) {
		if (port_nl_next_attr(pl, &type, &val) != 0)
			return PC_EMALFORMED;
		if (type != UNIX_DIAG_NAME)
			continue;
		size_t n = wire_rd_left(&val);
		if (n >= sizeof(u->path))
			return PC_EMALFORMED; /* sun_path is 108 bytes */
		if (n > 0)
			(void)wire_rd_bytes(&val, u->path, n);
		/* Abstract names begin with a NUL byte; show them as ss does. */
		if (n > 0 && u->path[0] == '\0')
			u->path[0] = '@';
		/* A name with an embedded NUL is cut there rather than trusted. */
		u->path[n] = '\0';
	}
	return 0;
}

int port_nl_parse_unix(const void *buf, size_t len, uint32_t seq,
		       port_nl_unix_cb cb, void *ctx, bool *done, int *kerr)
{
	struct wire_rd st, pl;
	struct port_nlmsg h;
	struct port_unix_listener u;
	int rc;

	wire_rd_init(&st, buf, buf != NULL ? len : 0);
	while (wire_rd_left(&st) > 0 && !*done) {
		if (port_nl_next_msg(&st, &h, &pl) != 0)
			return PC_EMALFORMED;
		if (h.seq != seq)
			continue;
		rc = control_msg(&h, &pl, done, kerr);
		if (rc <= 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		if (h.type != SOCK_DIAG_BY_FAMILY)
			continue;
		if (decode_unix(&pl, &u) != 0)
			return PC_EMALFORMED;
		rc = cb(ctx, &u);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Append one port comparison (two bytecode ops: the test and its operand)
 * at *off. yes/no are jump distances from this op, in bytes. */
static void bc_port(uint8_t *bc, size_t *off, uint8_t code, uint16_t yes,
		    uint16_t no, uint16_t port)
{
	struct inet_diag_bc_op op[2] = {
		{ .code = code, .yes = (unsigned char)yes, .no = no },
		{ .code = 0, .yes = 0, .no = port },
	};

	memcpy(bc + *off, op, sizeof(op));
	*off += sizeof(op);
}

size_t port_nl_build_inet_req(void *buf, size_t cap, uint8_t family, uint8_t proto,
			      uint16_t lo, uint16_t hi, uint32_t seq)
{
	/* The filter is (sport >= lo && sport <= hi) || (dport >= lo && dport <= hi).
	 * Offsets: 0 S_GE, 8 S_LE, 16 JMP, 20 D_GE, 28 D_LE, end at 36.
	 * Ending at exactly 36 accepts; jumping to 40 (end + 4) rejects. The
	 * kernel's audit only accepts "no" targets that lie on the chain of
	 * "yes" jumps from the start, which is why the two halves are joined
	 * by an always-false JMP (yes = next op) rather than by a direct jump
	 * from the first half to the end. */
	enum { OP = 8, JMP = 4, B = 2 * OP + JMP, BC_LEN = B + 2 * OP, REJECT = BC_LEN + 4 };
	uint8_t bc[BC_LEN];
	size_t off = 0;

	bc_port(bc, &off, INET_DIAG_BC_S_GE, OP, B, lo);
	bc_port(bc, &off, INET_DIAG_BC_S_LE, OP, B - OP, hi);
	{
		struct inet_diag_bc_op jmp = { .code = INET_DIAG_BC_JMP, .yes = JMP,
					       .no = BC_LEN - 2 * OP };
		memcpy(bc + off, &jmp, sizeof(jmp));
		off += sizeof(jmp);
	}
	bc_port(bc, &off, INET_DIAG_BC_D_GE, OP, REJECT - B, lo);
	bc_port(bc, &off, INET_DIAG_BC_D_LE, OP, REJECT - B - OP, hi);

	struct nlmsghdr nh;
	struct inet_diag_req_v2 req;
	uint16_t attr[2] = { (uint16_t)(ATTR_HDR_LEN + BC_LEN), INET_DIAG_REQ_BYTECODE };
	size_t total = sizeof(nh) + sizeof(req) + sizeof(attr) + BC_LEN;

	if (cap < total)
		return 0;
	memset(&nh, 0, sizeof(nh));
	nh.nlmsg_len = (uint32_t)total;
	nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nh.nlmsg_seq = seq;
	memset(&req, 0, sizeof(req));
	req.sdiag_family = family;
	req.sdiag_protocol = proto;
	req.idiag_states = ~0u; /* every state: listeners, connections, TIME-WAIT */

	uint8_t *o = buf;
	memcpy(o, &nh, sizeof(nh));
	memcpy(o + sizeof(nh), &req, sizeof(req));
	memcpy(o + sizeof(nh) + sizeof(req), attr, sizeof(attr));
	memcpy(o + sizeof(nh) + sizeof(req) + sizeof(attr), bc, BC_LEN);
	return total;
}

size_t port_nl_build_unix_req(void *buf, size_t cap, uint32_t seq)
{
	struct nlmsghdr nh;
	struct unix_diag_req req;
	size_t total = sizeof(nh) + sizeof(req);

	if (cap < total)
		return 0;
	memset(&nh, 0, sizeof(nh));
	nh.nlmsg_len = (uint32_t)total;
	nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nh.nlmsg_seq = seq;
	memset(&req, 0, sizeof(req));
	req.sdiag_family = AF_UNIX;
	req.udiag_states = 1u << STATE_LISTEN;
	req.udiag_show = UDIAG_SHOW_NAME;
	memcpy(buf, &nh, sizeof(nh));
	memcpy((uint8_t *)buf + sizeof(nh), &req, sizeof(req));
	return total;
}
