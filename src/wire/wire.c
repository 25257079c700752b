/* The bounds-checked reader, the message parser and the writer. */
#include "wire/wire.h"

#include <string.h>

#include "util/err.h"

/* ---- reader --------------------------------------------------------- */

void wire_rd_init(struct wire_rd *r, const uint8_t *pkt, size_t len)
{
	r->pkt = pkt;
	r->len = len;
	r->pos = 0;
}

int wire_rd_bytes(struct wire_rd *r, void *out, size_t n)
{
	if (r->pos > r->len || r->len - r->pos < n)
		return PC_EMALFORMED;
	memcpy(out, r->pkt + r->pos, n);
	r->pos += n;
	return 0;
}

int wire_rd_skip(struct wire_rd *r, size_t n)
{
	if (r->pos > r->len || r->len - r->pos < n)
		return PC_EMALFORMED;
	r->pos += n;
	return 0;
}

int wire_rd_u16(struct wire_rd *r, uint16_t *out)
{
	uint8_t b[2];
	if (wire_rd_bytes(r, b, 2) != 0)
		return PC_EMALFORMED;
	*out = (uint16_t)(b[0] << 8 | b[1]);
	return 0;
}

int wire_rd_u32(struct wire_rd *r, uint32_t *out)
{
	uint8_t b[4];
	if (wire_rd_bytes(r, b, 4) != 0)
		return PC_EMALFORMED;
	*out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return 0;
}

int wire_rd_name(struct wire_rd *r, uint8_t out[WIRE_NAME_MAX])
{
	size_t pos = r->pos, o = 0;
	bool jumped = false;
	for (;;) {
		if (pos >= r->len)
			return PC_EMALFORMED;
		uint8_t c = r->pkt[pos];
		if (c == 0) {
			out[o++] = 0;
			if (!jumped)
				r->pos = pos + 1;
			return (int)o;
		}
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= r->len)
				return PC_EMALFORMED;
			size_t ptr = (size_t)(c & 0x3f) << 8 | r->pkt[pos + 1];
			/* Only backward pointers: this alone makes loops impossible. */
			if (ptr >= pos)
				return PC_EMALFORMED;
			if (!jumped)
				r->pos = pos + 2;
			jumped = true;
			pos = ptr;
			continue;
		}
		if (c & 0xc0)
			return PC_EMALFORMED; /* obsolete/extended label types */
		if (r->len - pos - 1 < c || o + 1 + c + 1 > WIRE_NAME_MAX)
			return PC_EMALFORMED;
		memcpy(out + o, r->pkt + pos, (size_t)c + 1);
		o += (size_t)c + 1;
		pos += (size_t)c + 1;
	}
}

/* ---- parser --------------------------------------------------------- */

/* The 12 bytes at once: one bounds check instead of six (every query and
 * every reply passes here). */
static int read_header(struct wire_rd *r, uint16_t *id, uint16_t *flags, uint16_t counts[4])
{
	uint8_t h[WIRE_HDR_LEN];
	if (wire_rd_bytes(r, h, sizeof(h)) != 0)
		return PC_EMALFORMED;
	*id = (uint16_t)(h[0] << 8 | h[1]);
	*flags = (uint16_t)(h[2] << 8 | h[3]);
	for (int i = 0; i < 4; i++)
		counts[i] = (uint16_t)(h[4 + 2 * i] << 8 | h[5 + 2 * i]);
	return 0;
}

int wire_parse_question(const uint8_t *pkt, size_t len, uint16_t *id, uint16_t *flags,
			uint8_t qname[WIRE_NAME_MAX], uint16_t *qtype, uint16_t *qclass)
{
	struct wire_rd r;
	uint16_t counts[4];
	wire_rd_init(&r, pkt, len);
	if (read_header(&r, id, flags, counts) || counts[0] != 1)
		return PC_EMALFORMED;
	if (wire_rd_name(&r, qname) < 0 || wire_rd_u16(&r, qtype) || wire_rd_u16(&r, qclass))
		return PC_EMALFORMED;
	return 0;
}

static uint8_t *arena_take(struct wire_msg *m, size_t n)
{
	if (WIRE_ARENA - m->arena_used < n)
		return NULL;
	uint8_t *p = m->arena + m->arena_used;
	m->arena_used += n;
	return p;
}

/* Where rdata holds domain names, which of them and after what fixed prefix. */
static void rdata_layout(uint16_t type, size_t *prefix, int *names)
{
	*prefix = 0;
	*names = 0;
	switch (type) {
	case WIRE_T_NS: case WIRE_T_MD: case WIRE_T_MF: case WIRE_T_CNAME:
	case WIRE_T_MB: case WIRE_T_MG: case WIRE_T_MR: case WIRE_T_PTR:
	case WIRE_T_DNAME:
		*names = 1;
		break;
	case WIRE_T_SOA: case WIRE_T_MINFO: case WIRE_T_RP:
		*names = 2;
		break;
	case WIRE_T_MX: case WIRE_T_AFSDB: case WIRE_T_RT: case WIRE_T_KX:
		*prefix = 2;
		*names = 1;
		break;
	case WIRE_T_SRV:
		*prefix = 6;
		*names = 1;
		break;
	}
}

/* Copy rdata into the arena, expanding names where the type has them.
 * Compressed names may point anywhere earlier in the message, but the
 * inline bytes must stay within this record's rdata. */
static int read_rdata(struct wire_msg *m, struct wire_rd *r, uint16_t type, uint16_t rdlen,
		      struct wire_rr *rr)
{
	size_t end = r->pos + rdlen;
	size_t prefix;
	int names;
	if (end > r->len)
		return PC_EMALFORMED;
	rdata_layout(type, &prefix, &names);
	if (names == 0) {
		rr->rdata = r->pkt + r->pos;
		rr->rdlen = rdlen;
		r->pos = end;
		return 0;
	}
	uint8_t tmp[2 * WIRE_NAME_MAX + 64];
	size_t o = 0;
	if (prefix > rdlen)
		return PC_EMALFORMED;
	if (wire_rd_bytes(r, tmp, prefix))
		return PC_EMALFORMED;
	o = prefix;
	for (int i = 0; i < names; i++) {
		int n = wire_rd_name(r, tmp + o);
		if (n < 0 || r->pos > end)
			return PC_EMALFORMED;
		o += (size_t)n;
	}
	size_t rest = end - r->pos;
	if (o + rest > sizeof(tmp))
		return PC_EMALFORMED; /* only SOA has a tail (20 bytes) */
	if (wire_rd_bytes(r, tmp + o, rest))
		return PC_EMALFORMED;
	o += rest;
	if (type == WIRE_T_SOA && rest != 20)
		return PC_EMALFORMED;
	uint8_t *dst = arena_take(m, o);
	if (dst == NULL)
		return PC_ESPACE;
	memcpy(dst, tmp, o);
	rr->rdata = dst;
	rr->rdlen = (uint16_t)o;
	return 0;
}

static int read_opt(struct wire_msg *m, struct wire_rd *r, const uint8_t *owner, uint16_t rclass,
		    uint32_t ttl, uint16_t rdlen, int section)
{
	if (section != WIRE_SEC_AR || m->has_edns || owner[0] != 0)
		return PC_EMALFORMED;
	if (r->len - r->pos < rdlen)
		return PC_EMALFORMED;
	m->has_edns = true;
	m->edns_udp = rclass;
	m->edns_ext_rcode = (uint8_t)(ttl >> 24);
	m->edns_version = (uint8_t)(ttl >> 16);
	m->edns_do = (ttl & 0x8000) != 0;
	m->edns_opts = r->pkt + r->pos;
	m->edns_opts_len = rdlen;
	r->pos += rdlen;
	return 0;
}

int wire_parse(struct wire_msg *m, const uint8_t *pkt, size_t len)
{
	struct wire_rd r;
	uint16_t counts[4];
	int rc;

	m->has_question = false;
	m->has_edns = false;
	m->edns_udp = 0;
	m->edns_ext_rcode = 0;
	m->edns_version = 0;
	m->edns_do = false;
	m->edns_opts = NULL;
	m->edns_opts_len = 0;
	m->n_rr = m->n_an = m->n_ns = m->n_ar = 0;
	m->arena_used = 0;
	m->qname[0] = 0;
	m->qtype = m->qclass = 0;

	wire_rd_init(&r, pkt, len);
	if (read_header(&r, &m->id, &m->flags, counts))
		return PC_EMALFORMED;
	m->qdcount = counts[0];
	m->ancount = counts[1];
	m->nscount = counts[2];
	m->arcount = counts[3];
	if (counts[0] > 1)
		return PC_EMALFORMED;
	if (counts[0] == 1) {
		if (wire_rd_name(&r, m->qname) < 0 || wire_rd_u16(&r, &m->qtype) ||
		    wire_rd_u16(&r, &m->qclass))
			return PC_EMALFORMED;
		m->has_question = true;
	}
	for (int sec = WIRE_SEC_AN; sec <= WIRE_SEC_AR; sec++) {
		for (unsigned i = 0; i < counts[sec]; i++) {
			uint8_t owner[WIRE_NAME_MAX];
			uint16_t type, rclass, rdlen;
			uint32_t ttl;
			int olen = wire_rd_name(&r, owner);
			if (olen < 0 || wire_rd_u16(&r, &type) || wire_rd_u16(&r, &rclass) ||
			    wire_rd_u32(&r, &ttl) || wire_rd_u16(&r, &rdlen))
				return PC_EMALFORMED;
			if (type == WIRE_T_OPT) {
				if ((rc = read_opt(m, &r, owner, rclass, ttl, rdlen, sec)))
					return rc;
				continue;
			}
			if (m->n_rr == WIRE_MAX_RR)
				return PC_ESPACE;
			struct wire_rr *rr = &m->rr[m->n_rr];
			uint8_t *own = arena_take(m, (size_t)olen);
			if (own == NULL)
				return PC_ESPACE;
			memcpy(own, owner, (size_t)olen);
			rr->owner = own;
			rr->type = type;
			rr->rclass = rclass;
			rr->ttl = ttl > 0x7fffffffu ? 0 : ttl; /* RFC 2181 §8 */
			rr->section = (uint8_t)sec;
			if ((rc = read_rdata(m, &r, type, rdlen, rr)))
				return rc;
			m->n_rr++;
			if (sec == WIRE_SEC_AN)
				m->n_an++;
			else if (sec == WIRE_SEC_NS)
				m->n_ns++;
			else
				m->n_ar++;
		}
	}
	return 0;
}

/* ---- writer --------------------------------------------------------- */

void wire_wr_init(struct wire_wr *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
	w->n_comp = 0;
}

void wire_wr_bytes(struct wire_wr *w, const void *p, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void wire_wr_u8(struct wire_wr *w, uint8_t v)
{
	wire_wr_bytes(w, &v, 1);
}

void wire_wr_u16(struct wire_wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	wire_wr_bytes(w, b, 2);
}

void wire_wr_u32(struct wire_wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	wire_wr_bytes(w, b, 4);
}

/* Does the name written at offset off equal suffix (case-insensitively)? */
static bool comp_match(const struct wire_wr *w, uint16_t off, const uint8_t *suffix)
{
	struct wire_rd r;
	uint8_t here[WIRE_NAME_MAX];
	wire_rd_init(&r, w->buf, w->len);
	r.pos = off;
	return wire_rd_name(&r, here) > 0 && wire_name_eq(here, suffix);
}

void wire_wr_name(struct wire_wr *w, const uint8_t *name, bool compress)
{
	if (!compress) {
		wire_wr_bytes(w, name, wire_name_len(name)); /* one copy, not one per label */
		return;
	}
	const uint8_t *p = name;
	while (*p != 0) {
		if (compress) {
			for (size_t i = 0; i < w->n_comp; i++) {
				if (comp_match(w, w->comp[i], p)) {
					wire_wr_u16(w, (uint16_t)(0xc000 | w->comp[i]));
					return;
				}
			}
			if (w->n_comp < WIRE_COMP_MAX && w->len < 0x3fff && !w->overflow)
				w->comp[w->n_comp++] = (uint16_t)w->len;
		}
		wire_wr_bytes(w, p, (size_t)*p + 1);
		p += *p + 1;
	}
	wire_wr_u8(w, 0);
}

void wire_wr_header(struct wire_wr *w, uint16_t id, uint16_t flags)
{
	uint8_t h[WIRE_HDR_LEN] = { (uint8_t)(id >> 8), (uint8_t)id, (uint8_t)(flags >> 8),
				    (uint8_t)flags };
	wire_wr_bytes(w, h, sizeof(h));
}

void wire_wr_set_count(struct wire_wr *w, int index, uint16_t count)
{
	if (w->len < WIRE_HDR_LEN || index < 0 || index > 3)
		return;
	w->buf[4 + 2 * index] = (uint8_t)(count >> 8);
	w->buf[5 + 2 * index] = (uint8_t)count;
}

void wire_wr_rr(struct wire_wr *w, const uint8_t *owner, uint16_t type, uint16_t rclass,
		uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	wire_wr_name(w, owner, true);
	wire_wr_u16(w, type);
	wire_wr_u16(w, rclass);
	wire_wr_u32(w, ttl);
	wire_wr_u16(w, rdlen);
	wire_wr_bytes(w, rdata, rdlen);
}

void wire_wr_opt(struct wire_wr *w, uint16_t udp_size, uint8_t ext_rcode, bool do_bit,
		 const uint8_t *opts, uint16_t opts_len)
{
	wire_wr_u8(w, 0);
	wire_wr_u16(w, WIRE_T_OPT);
	wire_wr_u16(w, udp_size);
	wire_wr_u32(w, (uint32_t)ext_rcode << 24 | (do_bit ? 0x8000u : 0u));
	wire_wr_u16(w, opts_len);
	if (opts_len)
		wire_wr_bytes(w, opts, opts_len);
}

int wire_build_query(uint8_t *buf, size_t cap, uint16_t id, uint16_t flags,
		     const uint8_t *qname, uint16_t qtype, uint16_t qclass,
		     uint16_t edns_udp, bool do_bit, const uint8_t *opts, uint16_t opts_len)
{
	struct wire_wr w;
	wire_wr_init(&w, buf, cap);
	wire_wr_header(&w, id, flags);
	wire_wr_name(&w, qname, false);
	wire_wr_u16(&w, qtype);
	wire_wr_u16(&w, qclass);
	wire_wr_set_count(&w, 0, 1);
	if (edns_udp) {
		wire_wr_opt(&w, edns_udp, 0, do_bit, opts, opts_len);
		wire_wr_set_count(&w, 3, 1);
	}
	return w.overflow ? PC_ESPACE : (int)w.len;
}
