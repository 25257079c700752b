/* wire: the DNS message codec. Every read from a packet goes through one
 * bounds-checked reader (struct wire_rd); every write through one writer
 * (struct wire_wr) that refuses to overrun its buffer. No sockets, no clock,
 * no global state, no randomness (0x20 takes its random bits as an argument).
 *
 * Names outside packets are kept uncompressed in wire format (length-prefixed
 * labels ending with the root label), at most WIRE_NAME_MAX bytes. */
#ifndef PC_WIRE_WIRE_H
#define PC_WIRE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/hash.h"

#define WIRE_NAME_MAX 255
#define WIRE_LABEL_MAX 63
#define WIRE_HDR_LEN 12
#define WIRE_MAX_RR 512           /* records kept from one message */
#define WIRE_ARENA 65536          /* bytes for expanded names and rdata */

/* RR types and classes we name; every other type passes through by number. */
enum {
	WIRE_T_A = 1, WIRE_T_NS = 2, WIRE_T_MD = 3, WIRE_T_MF = 4, WIRE_T_CNAME = 5,
	WIRE_T_SOA = 6, WIRE_T_MB = 7, WIRE_T_MG = 8, WIRE_T_MR = 9, WIRE_T_PTR = 12,
	WIRE_T_MINFO = 14, WIRE_T_MX = 15, WIRE_T_TXT = 16, WIRE_T_RP = 17,
	WIRE_T_AFSDB = 18, WIRE_T_RT = 21, WIRE_T_AAAA = 28, WIRE_T_SRV = 33,
	WIRE_T_KX = 36, WIRE_T_DNAME = 39, WIRE_T_OPT = 41, WIRE_T_DS = 43,
	WIRE_T_RRSIG = 46, WIRE_T_NSEC = 47, WIRE_T_DNSKEY = 48, WIRE_T_NSEC3 = 50,
	WIRE_T_NSEC3PARAM = 51,
	WIRE_T_IXFR = 251, WIRE_T_AXFR = 252, WIRE_T_ANY = 255,
};
enum { WIRE_C_IN = 1, WIRE_C_CH = 3, WIRE_C_ANY = 255 };
enum {
	WIRE_RC_NOERROR = 0, WIRE_RC_FORMERR = 1, WIRE_RC_SERVFAIL = 2,
	WIRE_RC_NXDOMAIN = 3, WIRE_RC_NOTIMP = 4, WIRE_RC_REFUSED = 5,
};
/* Header flag bits (second 16-bit word of the header). */
enum {
	WIRE_F_QR = 0x8000, WIRE_F_AA = 0x0400, WIRE_F_TC = 0x0200,
	WIRE_F_RD = 0x0100, WIRE_F_RA = 0x0080, WIRE_F_AD = 0x0020,
	WIRE_F_CD = 0x0010,
};
#define WIRE_OPCODE(flags) (((flags) >> 11) & 0xf)
#define WIRE_RCODE(flags) ((flags) & 0xf)

enum wire_section { WIRE_SEC_AN = 1, WIRE_SEC_NS = 2, WIRE_SEC_AR = 3 };

/* ---- names ---------------------------------------------------------- */

/* Length of a valid uncompressed name including the root label. */
size_t wire_name_len(const uint8_t *name);
/* Lowercase the ASCII letters among eight bytes at once, with no branch per
 * byte: a byte gets 0x20 added when it is in 'A'..'Z'. Label length bytes
 * (at most 63) and bytes with the top bit set are never in that range, so a
 * whole name can go through it. */
static inline uint64_t wire_lower8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101u;
	uint64_t low7 = x & (0x7f * ones);
	uint64_t above_z = low7 + (0x7f - 'Z') * ones; /* top bit set when > 'Z' */
	uint64_t from_a = low7 + (0x80 - 'A') * ones;  /* top bit set when >= 'A' */
	uint64_t upper = (from_a ^ above_z) & ~x & (0x80 * ones);
	return x | (upper >> 2);
}
/* The last len % 8 bytes of the len bytes at p, zero-padded to a word (as
 * a copy into a zeroed 8-byte buffer would lay them out), without reading
 * past p + len: when len >= 8 the last eight bytes are loaded and shifted
 * down (little-endian hosts), otherwise the bytes are gathered one by one.
 * 0 when len is a multiple of eight. */
static inline uint64_t wire_tail_word(const uint8_t *p, size_t len)
{
	size_t rest = len % 8;
	uint64_t x = 0;
	if (rest == 0)
		return 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (len >= 8) {
		memcpy(&x, p + len - 8, 8);
		return x >> (8 * (8 - rest));
	}
#endif
	uint8_t tail[8] = { 0 };
	for (size_t k = 0; k < rest; k++)
		tail[k] = p[len - rest + k];
	memcpy(&x, tail, 8);
	return x;
}
/* Number of labels, not counting the root. */
unsigned wire_name_labels(const uint8_t *name);
/* Case-insensitive equality (ASCII only, as DNS requires). */
bool wire_name_eq(const uint8_t *a, const uint8_t *b);
/* Byte-exact equality, for checking a 0x20-randomised echo. */
bool wire_name_eq_exact(const uint8_t *a, const uint8_t *b);
/* True when name equals zone or lies below it (case-insensitive). */
bool wire_name_in(const uint8_t *name, const uint8_t *zone);
/* Pointer to the name with its first n labels removed (n <= labels). */
const uint8_t *wire_name_strip(const uint8_t *name, unsigned n);
/* Canonical DNS name order (RFC 4034 6.1): labels compared from the
 * rightmost, each as a lowercased byte string (a label that is a prefix of
 * another sorts first), and a name sorts before its descendants. <0, 0, >0. */
int wire_name_canon_cmp(const uint8_t *a, const uint8_t *b);
/* Lowercase in place. */
void wire_name_lower(uint8_t *name);
/* Copy name to out (WIRE_NAME_MAX bytes), returns length. */
size_t wire_name_copy(uint8_t *out, const uint8_t *name);
/* Flip the case of each letter whose bit in bits is set (0x20 encoding);
 * bits must hold at least WIRE_NAME_MAX / 8 + 1 bytes. */
void wire_name_apply_case(uint8_t *name, const uint8_t *bits);
/* Keyed hash (util/hash.h) of the lowercased name, so names equal by
 * wire_name_eq hash alike. */
uint32_t wire_name_hash(const uint8_t *name, const struct hash_key *key);
/* Text ("www.example.", trailing dot optional, "\DDD" and "\X" escapes) to
 * wire. Returns the length or PC_EINVAL. */
int wire_name_from_text(const char *text, uint8_t out[WIRE_NAME_MAX]);
/* Wire to text with a trailing dot; non-printables escaped as \DDD.
 * Returns the length written (excluding NUL) or PC_ESPACE. */
int wire_name_to_text(const uint8_t *name, char *out, size_t cap);

/* ---- reading -------------------------------------------------------- */

struct wire_rd {
	const uint8_t *pkt; /* whole message: needed for compression pointers */
	size_t len;
	size_t pos;
};

void wire_rd_init(struct wire_rd *r, const uint8_t *pkt, size_t len);
int wire_rd_u16(struct wire_rd *r, uint16_t *out);
int wire_rd_u32(struct wire_rd *r, uint32_t *out);
int wire_rd_bytes(struct wire_rd *r, void *out, size_t n);
int wire_rd_skip(struct wire_rd *r, size_t n);
/* The bytes left to read. */
static inline size_t wire_rd_left(const struct wire_rd *r)
{
	return r->pos < r->len ? r->len - r->pos : 0;
}
/* The next n bytes as a reader of their own, then skip them in r; 0 or
 * PC_EMALFORMED when fewer are left. sub's message is those bytes alone, so
 * it suits framed records (netlink messages and attributes, EDNS options),
 * not names whose compression pointers count from the start of r's message. */
int wire_rd_sub(struct wire_rd *r, size_t n, struct wire_rd *sub);
/* A message's ID and flags (its first four bytes), read through the
 * bounded reader; PC_EMALFORMED when len is shorter than a header. */
int wire_rd_header(const uint8_t *pkt, size_t len, uint16_t *id, uint16_t *flags);
/* The type an RRSIG's rdata covers (its first field), read through the
 * bounded reader; 0 when the rdata is too short to say. */
uint16_t wire_rrsig_covered(const uint8_t *rdata, size_t len);
/* Read a possibly compressed name, expanding it into out. Pointers must
 * point backwards, the name may not exceed 255 bytes, labels 63. */
int wire_rd_name(struct wire_rd *r, uint8_t out[WIRE_NAME_MAX]);

struct wire_rr {
	const uint8_t *owner;   /* expanded, case as received */
	uint16_t type, rclass;
	uint32_t ttl;
	const uint8_t *rdata;   /* names of the RFC 3597 §4 types (and a few more) expanded */
	uint16_t rdlen;
	uint8_t section;        /* enum wire_section */
};

/* A parsed message. Large (about 90 KiB): keep one per worker and reuse it. */
struct wire_msg {
	uint16_t id, flags;
	uint16_t qdcount, ancount, nscount, arcount; /* as in the header */
	bool has_question;
	uint8_t qname[WIRE_NAME_MAX];               /* case as received */
	uint16_t qtype, qclass;
	/* EDNS (RFC 6891) */
	bool has_edns;
	uint16_t edns_udp;
	uint8_t edns_version;
	uint8_t edns_ext_rcode;
	bool edns_do;
	const uint8_t *edns_opts; /* option bytes (inside the message), edns_opts_len long */
	uint16_t edns_opts_len;
	/* records (OPT excluded), in order: answer, authority, additional */
	size_t n_rr, n_an, n_ns, n_ar;
	struct wire_rr rr[WIRE_MAX_RR];
	size_t arena_used;
	uint8_t arena[WIRE_ARENA];
};

/* Parse header and question only (at most one question). Cheap: used for
 * client queries and reply matching. qname receives the name as received. */
int wire_parse_question(const uint8_t *pkt, size_t len, uint16_t *id, uint16_t *flags,
			uint8_t qname[WIRE_NAME_MAX], uint16_t *qtype, uint16_t *qclass);

/* Parse a whole message. Returns 0, PC_EMALFORMED, or PC_ESPACE when it has
 * more records than WIRE_MAX_RR or expands beyond WIRE_ARENA. Messages with
 * more than one question or more than one OPT are malformed. */
int wire_parse(struct wire_msg *m, const uint8_t *pkt, size_t len);

/* Extended rcode (12 bits, with EDNS). */
static inline unsigned wire_msg_rcode(const struct wire_msg *m)
{
	return (unsigned)WIRE_RCODE(m->flags) | ((unsigned)m->edns_ext_rcode << 4);
}

/* ---- writing -------------------------------------------------------- */

#define WIRE_COMP_MAX 32

struct wire_wr {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;                 /* set on the first write that did not fit */
	size_t n_comp;
	uint16_t comp[WIRE_COMP_MAX];  /* offsets of names written, for compression */
};

void wire_wr_init(struct wire_wr *w, uint8_t *buf, size_t cap);
void wire_wr_u8(struct wire_wr *w, uint8_t v);
void wire_wr_u16(struct wire_wr *w, uint16_t v);
void wire_wr_u32(struct wire_wr *w, uint32_t v);
void wire_wr_bytes(struct wire_wr *w, const void *p, size_t n);
/* Write a name; compress == true lets it point at an earlier name. */
void wire_wr_name(struct wire_wr *w, const uint8_t *name, bool compress);
/* Write the 12-byte header with all counts zero. */
void wire_wr_header(struct wire_wr *w, uint16_t id, uint16_t flags);
/* Set a header count: index 0 = QD, 1 = AN, 2 = NS, 3 = AR. */
void wire_wr_set_count(struct wire_wr *w, int index, uint16_t count);
/* Write one RR with an uncompressed rdata blob; owner compressed. */
void wire_wr_rr(struct wire_wr *w, const uint8_t *owner, uint16_t type, uint16_t rclass,
		uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);
/* Write an OPT record (RFC 6891) with optional option bytes. */
void wire_wr_opt(struct wire_wr *w, uint16_t udp_size, uint8_t ext_rcode, bool do_bit,
		 const uint8_t *opts, uint16_t opts_len);

/* Build a query: header, one question, optional OPT (edns_udp 0 = none)
 * with the DO bit (RFC 3225) when do_bit. Returns the length or PC_ESPACE. */
int wire_build_query(uint8_t *buf, size_t cap, uint16_t id, uint16_t flags,
		     const uint8_t *qname, uint16_t qtype, uint16_t qclass,
		     uint16_t edns_udp, bool do_bit, const uint8_t *opts, uint16_t opts_len);

#endif
