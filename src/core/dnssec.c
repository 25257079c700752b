/* dnssec: the validator's primitives (dnssec.h). Every read from rdata goes
 * through the bounded wire reader; the cryptography is libcrypto's EVP. */
#include "core/dnssec.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#define RRSIG_FIXED 18 /* type covered .. key tag */

const char *dnssec_status_text(enum dnssec_status s)
{
	switch (s) {
	case DNSSEC_OK: return "ok";
	case DNSSEC_BAD_SIG: return "bad signature";
	case DNSSEC_MISMATCH: return "signature does not fit the key or the set";
	case DNSSEC_UNSUPPORTED: return "unsupported algorithm";
	case DNSSEC_MALFORMED: return "malformed record";
	case DNSSEC_EXPIRED: return "signature expired";
	case DNSSEC_NOT_YET_VALID: return "signature not yet valid";
	case DNSSEC_TOO_COSTLY: return "too many NSEC3 iterations";
	case DNSSEC_NOMEM: return "out of memory";
	}
	return "?";
}

/* ---- reading rdata ------------------------------------------------------- */

static int rd_u8(struct wire_rd *r, uint8_t *v)
{
	return wire_rd_bytes(r, v, 1);
}

static void lower_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (uint8_t)(p[i] + 32);
}

/* An uncompressed name (rdata of DNSSEC types never compresses, RFC 4034
 * and 3597), copied lowercased into out; its length, or -1. */
static int rd_plain_name(struct wire_rd *r, uint8_t *out)
{
	size_t n = 0;
	for (;;) {
		uint8_t l;
		if (rd_u8(r, &l) != 0 || l > WIRE_LABEL_MAX || n + 1u + l > WIRE_NAME_MAX)
			return -1;
		out[n++] = l;
		if (l == 0)
			return (int)n;
		if (wire_rd_bytes(r, out + n, l) != 0)
			return -1;
		lower_bytes(out + n, l);
		n += l;
	}
}

enum dnssec_status dnssec_dnskey_parse(const uint8_t *rdata, size_t len, struct dnssec_dnskey *out)
{
	struct wire_rd r;
	wire_rd_init(&r, rdata, len);
	if (wire_rd_u16(&r, &out->flags) != 0 || rd_u8(&r, &out->protocol) != 0 ||
	    rd_u8(&r, &out->algorithm) != 0 || r.pos == len)
		return DNSSEC_MALFORMED;
	out->key = rdata + r.pos;
	out->key_len = len - r.pos;
	return DNSSEC_OK;
}

enum dnssec_status dnssec_rrsig_parse(const uint8_t *rdata, size_t len, struct dnssec_rrsig *out)
{
	struct wire_rd r;
	wire_rd_init(&r, rdata, len);
	if (wire_rd_u16(&r, &out->type_covered) != 0 || rd_u8(&r, &out->algorithm) != 0 ||
	    rd_u8(&r, &out->labels) != 0 || wire_rd_u32(&r, &out->original_ttl) != 0 ||
	    wire_rd_u32(&r, &out->expiration) != 0 || wire_rd_u32(&r, &out->inception) != 0 ||
	    wire_rd_u16(&r, &out->key_tag) != 0 || rd_plain_name(&r, out->signer) < 0 ||
	    r.pos == len)
		return DNSSEC_MALFORMED;
	out->fields_len = r.pos;
	out->sig = rdata + r.pos;
	out->sig_len = len - r.pos;
	return DNSSEC_OK;
}

enum dnssec_status dnssec_ds_parse(const uint8_t *rdata, size_t len, struct dnssec_ds *out)
{
	struct wire_rd r;
	wire_rd_init(&r, rdata, len);
	if (wire_rd_u16(&r, &out->key_tag) != 0 || rd_u8(&r, &out->algorithm) != 0 ||
	    rd_u8(&r, &out->digest_type) != 0 || r.pos == len)
		return DNSSEC_MALFORMED;
	out->digest = rdata + r.pos;
	out->digest_len = len - r.pos;
	return DNSSEC_OK;
}

enum dnssec_status dnssec_nsec3_parse(const uint8_t *rdata, size_t len, struct dnssec_nsec3 *out)
{
	struct wire_rd r;
	uint8_t salt_len, hash_len;
	wire_rd_init(&r, rdata, len);
	if (rd_u8(&r, &out->hash_alg) != 0 || rd_u8(&r, &out->flags) != 0 ||
	    wire_rd_u16(&r, &out->iterations) != 0 || rd_u8(&r, &salt_len) != 0)
		return DNSSEC_MALFORMED;
	out->salt = rdata + r.pos;
	out->salt_len = salt_len;
	if (wire_rd_skip(&r, salt_len) != 0 || rd_u8(&r, &hash_len) != 0 || hash_len == 0)
		return DNSSEC_MALFORMED;
	out->next = rdata + r.pos;
	out->next_len = hash_len;
	if (wire_rd_skip(&r, hash_len) != 0)
		return DNSSEC_MALFORMED;
	out->types = rdata + r.pos;
	out->types_len = len - r.pos;
	return DNSSEC_OK;
}

bool dnssec_bitmap_has(const uint8_t *types, size_t len, uint16_t type)
{
	struct wire_rd r;
	int last = -1;
	wire_rd_init(&r, types, len);
	while (r.pos < len) {
		uint8_t win, n;
		if (rd_u8(&r, &win) != 0 || rd_u8(&r, &n) != 0 || n == 0 || n > 32 ||
		    (int)win <= last || r.pos + n > len)
			return false;
		last = win;
		const uint8_t *map = types + r.pos;
		wire_rd_skip(&r, n);
		if (win != type >> 8)
			continue;
		unsigned bit = type & 0xffu;
		return bit / 8 < n && (map[bit / 8] & (0x80u >> (bit % 8))) != 0;
	}
	return false;
}

/* ---- key tags and DS ----------------------------------------------------- */

uint16_t dnssec_key_tag(const uint8_t *dnskey, size_t len)
{
	if (len >= 4 && dnskey[3] == 1) /* RSA/MD5: bits of the modulus' end */
		return len >= 7 ? (uint16_t)(dnskey[len - 3] << 8 | dnskey[len - 2]) : 0;
	uint32_t ac = 0;
	for (size_t i = 0; i < len; i++)
		ac += (i & 1) ? dnskey[i] : (uint32_t)dnskey[i] << 8;
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)(ac & 0xffff);
}

/* A name from the caller (any case) lowercased into out; its length, or 0
 * when it is not a valid name. */
static size_t name_lower(const uint8_t *name, uint8_t *out)
{
	struct wire_rd r;
	/* The caller's name is bounded by its own terminator; WIRE_NAME_MAX
	 * bytes are at most what a valid one spans. */
	size_t span = 0;
	while (span < WIRE_NAME_MAX && name[span] != 0 && name[span] <= WIRE_LABEL_MAX)
		span += (size_t)name[span] + 1;
	if (span >= WIRE_NAME_MAX || name[span] != 0)
		return 0;
	wire_rd_init(&r, name, span + 1);
	int n = rd_plain_name(&r, out);
	return n > 0 ? (size_t)n : 0;
}

static const EVP_MD *ds_md(uint8_t digest_type, size_t *len)
{
	switch (digest_type) {
	case 1: *len = 20; return EVP_sha1();
	case 2: *len = 32; return EVP_sha256();
	case 4: *len = 48; return EVP_sha384();
	default: return NULL;
	}
}

enum dnssec_status dnssec_ds_match(const uint8_t *owner, const uint8_t *dnskey, size_t dnskey_len,
				   const uint8_t *ds, size_t ds_len)
{
	struct dnssec_ds d;
	struct dnssec_dnskey k;
	uint8_t lo[WIRE_NAME_MAX];
	size_t lo_len = name_lower(owner, lo);
	if (lo_len == 0 || dnssec_ds_parse(ds, ds_len, &d) != DNSSEC_OK ||
	    dnssec_dnskey_parse(dnskey, dnskey_len, &k) != DNSSEC_OK)
		return DNSSEC_MALFORMED;
	size_t want;
	const EVP_MD *md = ds_md(d.digest_type, &want);
	if (md == NULL)
		return DNSSEC_UNSUPPORTED;
	if (d.digest_len != want)
		return DNSSEC_MALFORMED;
	if (d.key_tag != dnssec_key_tag(dnskey, dnskey_len) || d.algorithm != k.algorithm)
		return DNSSEC_BAD_SIG;
	uint8_t got[EVP_MAX_MD_SIZE];
	unsigned got_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return DNSSEC_NOMEM;
	bool ok = EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, lo, lo_len) == 1 &&
		  EVP_DigestUpdate(ctx, dnskey, dnskey_len) == 1 &&
		  EVP_DigestFinal_ex(ctx, got, &got_len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return DNSSEC_NOMEM;
	return got_len == want && CRYPTO_memcmp(got, d.digest, want) == 0 ? DNSSEC_OK
									   : DNSSEC_BAD_SIG;
}

/* ---- canonical form (RFC 4034 6) ----------------------------------------- */

/* Copy n bytes of r to out at *o (bounded by cap). */
static int cp(struct wire_rd *r, size_t n, uint8_t *out, size_t cap, size_t *o)
{
	if (n > cap - *o || wire_rd_bytes(r, out + *o, n) != 0)
		return -1;
	*o += n;
	return 0;
}

static int cp_name(struct wire_rd *r, uint8_t *out, size_t cap, size_t *o)
{
	uint8_t nm[WIRE_NAME_MAX];
	int n = rd_plain_name(r, nm);
	if (n < 0 || (size_t)n > cap - *o)
		return -1;
	memcpy(out + *o, nm, (size_t)n);
	*o += (size_t)n;
	return 0;
}

/* A character-string: its length byte and bytes. */
static int cp_string(struct wire_rd *r, uint8_t *out, size_t cap, size_t *o)
{
	uint8_t l;
	if (r->pos >= r->len)
		return -1;
	l = r->pkt[r->pos];
	return cp(r, 1u + l, out, cap, o);
}

int dnssec_canonical_rdata(uint16_t type, const uint8_t *rdata, size_t len, uint8_t *out,
			   size_t cap)
{
	struct wire_rd r;
	size_t o = 0;
	int bad = 0;
	wire_rd_init(&r, rdata, len);
	/* The types of RFC 4034 6.2 whose rdata holds names, less NSEC (RFC
	 * 6840 5.1); A6 (38) with its prefix. */
	switch (type) {
	case WIRE_T_NS: case WIRE_T_MD: case WIRE_T_MF: case WIRE_T_CNAME: case WIRE_T_MB:
	case WIRE_T_MG: case WIRE_T_MR: case WIRE_T_PTR: case WIRE_T_DNAME:
		bad = cp_name(&r, out, cap, &o);
		break;
	case WIRE_T_SOA:
		bad = cp_name(&r, out, cap, &o) || cp_name(&r, out, cap, &o) ||
		      cp(&r, 20, out, cap, &o);
		break;
	case WIRE_T_MINFO: case WIRE_T_RP:
		bad = cp_name(&r, out, cap, &o) || cp_name(&r, out, cap, &o);
		break;
	case WIRE_T_MX: case WIRE_T_AFSDB: case WIRE_T_RT: case WIRE_T_KX:
		bad = cp(&r, 2, out, cap, &o) || cp_name(&r, out, cap, &o);
		break;
	case 26: /* PX */
		bad = cp(&r, 2, out, cap, &o) || cp_name(&r, out, cap, &o) ||
		      cp_name(&r, out, cap, &o);
		break;
	case WIRE_T_SRV:
		bad = cp(&r, 6, out, cap, &o) || cp_name(&r, out, cap, &o);
		break;
	case 35: /* NAPTR */
		bad = cp(&r, 4, out, cap, &o) || cp_string(&r, out, cap, &o) ||
		      cp_string(&r, out, cap, &o) || cp_string(&r, out, cap, &o) ||
		      cp_name(&r, out, cap, &o);
		break;
	case 24: /* SIG */
	case WIRE_T_RRSIG:
		bad = cp(&r, RRSIG_FIXED, out, cap, &o) || cp_name(&r, out, cap, &o) ||
		      cp(&r, len - r.pos, out, cap, &o);
		break;
	case 30: /* NXT */
		bad = cp_name(&r, out, cap, &o) || cp(&r, len - r.pos, out, cap, &o);
		break;
	case 38: { /* A6 */
		uint8_t prefix = 0;
		bad = r.pos >= len;
		if (!bad) {
			prefix = rdata[0];
			bad = prefix > 128 || cp(&r, 1u + (128u - prefix + 7u) / 8u, out, cap, &o) ||
			      (prefix > 0 && cp_name(&r, out, cap, &o));
		}
		break;
	}
	default:
		bad = cp(&r, len, out, cap, &o);
		break;
	}
	if (bad || r.pos != len)
		return -1;
	return (int)o;
}

static int rdata_cmp(const void *a, const void *b)
{
	const struct dnssec_rdata *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = n ? memcmp(x->data, y->data, n) : 0;
	if (c != 0)
		return c;
	return (int)x->len - (int)y->len;
}

size_t dnssec_canonical_sort(struct dnssec_rdata *rd, size_t n)
{
	if (n < 2)
		return n;
	qsort(rd, n, sizeof(*rd), rdata_cmp);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		if (rdata_cmp(&rd[k - 1], &rd[i]) != 0)
			rd[k++] = rd[i];
	return k;
}

/* ---- signatures ---------------------------------------------------------- */

struct alg {
	int kind; /* 1 RSA, 2 ECDSA, 3 EdDSA */
	const EVP_MD *(*md)(void);
	const char *group; /* ECDSA */
	size_t point;      /* ECDSA: bytes of one coordinate; EdDSA: key bytes */
	int edtype;
};

static bool alg_of(uint8_t a, struct alg *out)
{
	memset(out, 0, sizeof(*out));
	switch (a) {
	case 5: case 7: out->kind = 1; out->md = EVP_sha1; return true;
	case 8: out->kind = 1; out->md = EVP_sha256; return true;
	case 10: out->kind = 1; out->md = EVP_sha512; return true;
	case 13: out->kind = 2; out->md = EVP_sha256; out->group = "prime256v1"; out->point = 32;
		return true;
	case 14: out->kind = 2; out->md = EVP_sha384; out->group = "secp384r1"; out->point = 48;
		return true;
	case 15: out->kind = 3; out->point = 32; out->edtype = EVP_PKEY_ED25519; return true;
	case 16: out->kind = 3; out->point = 57; out->edtype = EVP_PKEY_ED448; return true;
	default: return false;
	}
}

/* An EVP key from OSSL_PARAMs of one algorithm. */
static EVP_PKEY *key_fromdata(const char *name, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY *pk = NULL;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
	if (params != NULL && ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pk;
}

/* RSA public key (RFC 3110 2): exponent length (1 byte, or 0 and 2 bytes),
 * exponent, modulus. Moduli of 512 to 4096 bits. */
static EVP_PKEY *rsa_key(const uint8_t *key, size_t len)
{
	struct wire_rd r;
	uint8_t l8;
	uint16_t elen;
	wire_rd_init(&r, key, len);
	if (rd_u8(&r, &l8) != 0)
		return NULL;
	elen = l8;
	if (l8 == 0 && wire_rd_u16(&r, &elen) != 0)
		return NULL;
	const uint8_t *e = key + r.pos;
	if (elen == 0 || elen > 16 || wire_rd_skip(&r, elen) != 0)
		return NULL;
	const uint8_t *n = key + r.pos;
	size_t nlen = len - r.pos;
	if (nlen < 64 || nlen > 512)
		return NULL;
	BIGNUM *bn_n = BN_bin2bn(n, (int)nlen, NULL), *bn_e = BN_bin2bn(e, elen, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;
	if (bn_n != NULL && bn_e != NULL && bld != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1)
		pk = key_fromdata("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return pk;
}

/* ECDSA public key (RFC 6605 4): the point's X and Y, uncompressed. */
static EVP_PKEY *ec_key(const struct alg *a, const uint8_t *key, size_t len)
{
	uint8_t pub[1 + 2 * 48];
	if (len != 2 * a->point)
		return NULL;
	pub[0] = 0x04;
	memcpy(pub + 1, key, len);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;
	if (bld != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, a->group, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, len + 1) == 1)
		pk = key_fromdata("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/* ECDSA signatures are r and s side by side (RFC 6605 4); EVP wants DER. */
static int ec_sig_der(const struct alg *a, const uint8_t *sig, size_t len, uint8_t **der)
{
	if (len != 2 * a->point)
		return -1;
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)a->point, NULL);
	BIGNUM *ss = BN_bin2bn(sig + a->point, (int)a->point, NULL);
	if (s == NULL || r == NULL || ss == NULL || ECDSA_SIG_set0(s, r, ss) != 1) {
		BN_free(r);
		BN_free(ss);
		ECDSA_SIG_free(s);
		return -1;
	}
	*der = NULL;
	int n = i2d_ECDSA_SIG(s, der);
	ECDSA_SIG_free(s);
	return n;
}

/* Parsed keys. Turning a DNSKEY into an EVP_PKEY (EVP_PKEY_fromdata, which
 * for ECDSA builds the curve's group anew) cost a fifth of the instructions
 * of verifying one P-256 signature, and a zone signs nearly all its RRsets
 * with one key, so the keys last used are kept: per thread (the validator
 * runs on the loop thread; tests and fuzzers call in from theirs), in a
 * table indexed by key tag and algorithm, each entry with a copy of the
 * key's bytes that must match in full (key tags are the signer's to pick);
 * a collision replaces the entry. At most KEY_SLOTS keys per thread, freed
 * when the thread ends. */
#define KEY_SLOTS 4096u

struct key_ent {
	EVP_PKEY *pk;
	uint8_t alg;
	size_t len;
	uint8_t key[];
};

static _Thread_local struct key_ent **key_slots;
static pthread_key_t key_slots_owner;
static pthread_once_t key_slots_once = PTHREAD_ONCE_INIT;
static int key_slots_keyed; /* 0 once pthread_key_create succeeded */

static void key_slots_free(void *p)
{
	struct key_ent **slots = p;
	for (size_t i = 0; i < KEY_SLOTS; i++)
		if (slots[i] != NULL) {
			EVP_PKEY_free(slots[i]->pk);
			free(slots[i]);
		}
	free(slots);
}

static void key_slots_init(void)
{
	key_slots_keyed = pthread_key_create(&key_slots_owner, key_slots_free);
}

/* This thread's table, made on first use; NULL when it cannot be. */
static struct key_ent **key_table(void)
{
	if (key_slots != NULL)
		return key_slots;
	if (pthread_once(&key_slots_once, key_slots_init) != 0 || key_slots_keyed != 0)
		return NULL;
	struct key_ent **t = calloc(KEY_SLOTS, sizeof(*t));
	if (t == NULL)
		return NULL;
	if (pthread_setspecific(key_slots_owner, t) != 0) {
		free(t);
		return NULL;
	}
	return key_slots = t;
}

static EVP_PKEY *key_build(const struct alg *a, const struct dnssec_dnskey *k)
{
	if (a->kind == 1)
		return rsa_key(k->key, k->key_len);
	if (a->kind == 2)
		return ec_key(a, k->key, k->key_len);
	if (k->key_len == a->point)
		return EVP_PKEY_new_raw_public_key(a->edtype, NULL, k->key, k->key_len);
	return NULL;
}

/* The EVP key of DNSKEY k (tag its key tag), a reference the caller frees;
 * NULL when the key cannot be one of its algorithm (or on no memory). */
static EVP_PKEY *key_get(const struct alg *a, const struct dnssec_dnskey *k, uint16_t tag)
{
	struct key_ent **slots = key_table();
	size_t i = ((size_t)tag ^ ((size_t)k->algorithm << 7)) % KEY_SLOTS;
	struct key_ent *e = slots != NULL ? slots[i] : NULL;
	if (e != NULL && e->alg == k->algorithm && e->len == k->key_len &&
	    memcmp(e->key, k->key, k->key_len) == 0)
		return EVP_PKEY_up_ref(e->pk) == 1 ? e->pk : NULL;
	EVP_PKEY *pk = key_build(a, k);
	if (pk == NULL || slots == NULL)
		return pk;
	struct key_ent *n = malloc(sizeof(*n) + k->key_len);
	if (n == NULL || EVP_PKEY_up_ref(pk) != 1) {
		free(n);
		return pk;
	}
	n->pk = pk;
	n->alg = k->algorithm;
	n->len = k->key_len;
	memcpy(n->key, k->key, k->key_len);
	if (e != NULL) {
		EVP_PKEY_free(e->pk);
		free(e);
	}
	slots[i] = n;
	return pk;
}

/* DNSSEC_OK, DNSSEC_BAD_SIG, DNSSEC_MALFORMED (key or signature that
 * cannot be one of this algorithm) or DNSSEC_NOMEM. */
static enum dnssec_status verify_raw(const struct alg *a, const struct dnssec_dnskey *k,
				     uint16_t tag, const uint8_t *sig, size_t sig_len,
				     const uint8_t *data, size_t data_len)
{
	EVP_PKEY *pk = key_get(a, k, tag);
	uint8_t *der = NULL;
	const uint8_t *s = sig;
	size_t slen = sig_len;
	if (a->kind == 2) {
		int n = pk != NULL ? ec_sig_der(a, sig, sig_len, &der) : -1;
		if (n <= 0) {
			EVP_PKEY_free(pk);
			return DNSSEC_MALFORMED;
		}
		s = der;
		slen = (size_t)n;
	}
	if (pk == NULL) {
		OPENSSL_free(der);
		return DNSSEC_MALFORMED;
	}
	enum dnssec_status st = DNSSEC_NOMEM;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL, a->md != NULL ? a->md() : NULL, NULL, pk) == 1)
		st = EVP_DigestVerify(ctx, s, slen, data, data_len) == 1 ? DNSSEC_OK
									: DNSSEC_BAD_SIG;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	OPENSSL_free(der);
	return st;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

enum dnssec_status dnssec_verify_rrset(const uint8_t *owner, uint16_t type, uint16_t rclass,
				       const struct dnssec_rdata *rd, size_t n,
				       const uint8_t *rrsig, size_t rrsig_len,
				       const uint8_t *signer, const uint8_t *dnskey,
				       size_t dnskey_len)
{
	struct dnssec_rrsig s;
	struct dnssec_dnskey k;
	struct alg a;
	uint8_t own[WIRE_NAME_MAX], sgn[WIRE_NAME_MAX];
	size_t own_len = name_lower(owner, own), sgn_len = name_lower(signer, sgn);
	if (own_len == 0 || sgn_len == 0 || n == 0 || n > 0xffff ||
	    dnssec_rrsig_parse(rrsig, rrsig_len, &s) != DNSSEC_OK ||
	    dnssec_dnskey_parse(dnskey, dnskey_len, &k) != DNSSEC_OK)
		return DNSSEC_MALFORMED;
	/* The labels field counts neither the root nor a leading "*". */
	unsigned labels = wire_name_labels(own);
	if (labels > 0 && own[0] == 1 && own[1] == '*')
		labels--;
	if (s.type_covered != type || s.algorithm != k.algorithm || k.protocol != 3 ||
	    !(k.flags & DNSSEC_FLAG_ZONE) || s.key_tag != dnssec_key_tag(dnskey, dnskey_len) ||
	    !wire_name_eq(s.signer, sgn) || !wire_name_in(own, sgn) || s.labels > labels)
		return DNSSEC_MISMATCH;
	if (!alg_of(s.algorithm, &a))
		return DNSSEC_UNSUPPORTED;

	/* A wildcard expansion is signed as "*." and the last labels labels. */
	uint8_t wild[WIRE_NAME_MAX];
	const uint8_t *so = own;
	if (s.labels < wire_name_labels(own)) {
		const uint8_t *tail = wire_name_strip(own, wire_name_labels(own) - s.labels);
		size_t tl = wire_name_len(tail);
		wild[0] = 1;
		wild[1] = '*';
		memcpy(wild + 2, tail, tl);
		so = wild;
	}
	size_t so_len = wire_name_len(so);

	/* The canonical rdata of each record, then the set in canonical order. */
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += rd[i].len;
	size_t signed_cap = RRSIG_FIXED + WIRE_NAME_MAX + n * (so_len + 10) + total;
	uint8_t *canon = malloc(total ? total : 1);
	struct dnssec_rdata *set = malloc(n * sizeof(*set));
	uint8_t *data = malloc(signed_cap);
	enum dnssec_status st = DNSSEC_NOMEM;
	if (canon == NULL || set == NULL || data == NULL)
		goto out;
	size_t used = 0;
	st = DNSSEC_MALFORMED;
	for (size_t i = 0; i < n; i++) {
		int l = dnssec_canonical_rdata(type, rd[i].data, rd[i].len, canon + used,
					       total - used);
		if (l < 0)
			goto out;
		set[i].data = canon + used;
		set[i].len = (uint16_t)l;
		used += (size_t)l;
	}
	size_t m = dnssec_canonical_sort(set, n);

	/* RFC 4034 3.1.8.1: the RRSIG's fields with the signer lowercased,
	 * then each record: owner, type, class, original TTL, rdata. */
	size_t o = 0;
	memcpy(data, rrsig, RRSIG_FIXED);
	o = RRSIG_FIXED;
	memcpy(data + o, s.signer, wire_name_len(s.signer));
	o += wire_name_len(s.signer);
	for (size_t i = 0; i < m; i++) {
		memcpy(data + o, so, so_len);
		o += so_len;
		put16(data + o, type);
		put16(data + o + 2, rclass);
		put32(data + o + 4, s.original_ttl);
		put16(data + o + 8, set[i].len);
		o += 10;
		memcpy(data + o, set[i].data, set[i].len);
		o += set[i].len;
	}
	st = verify_raw(&a, &k, s.key_tag, s.sig, s.sig_len, data, o);
out:
	free(canon);
	free(set);
	free(data);
	return st;
}

/* ---- time ---------------------------------------------------------------- */

bool dnssec_serial_lt(uint32_t a, uint32_t b)
{
	uint32_t d = b - a;
	return d != 0 && d < 0x80000000u;
}

enum dnssec_status dnssec_time_check(uint32_t inception, uint32_t expiration, uint64_t now,
				     uint32_t skew)
{
	uint32_t t = (uint32_t)now;
	if (!dnssec_serial_lt(inception, expiration))
		return DNSSEC_MALFORMED;
	if (dnssec_serial_lt(t, inception - skew))
		return DNSSEC_NOT_YET_VALID;
	if (dnssec_serial_lt(expiration + skew, t))
		return DNSSEC_EXPIRED;
	return DNSSEC_OK;
}

/* ---- NSEC3 --------------------------------------------------------------- */

enum dnssec_status dnssec_nsec3_hash(const uint8_t *name, uint8_t alg, uint16_t iterations,
				     const uint8_t *salt, size_t salt_len, unsigned max_iterations,
				     uint8_t out[20])
{
	uint8_t lo[WIRE_NAME_MAX];
	size_t lo_len = name_lower(name, lo);
	if (lo_len == 0 || (salt_len && salt == NULL) || salt_len > 255)
		return DNSSEC_MALFORMED;
	if (alg != 1)
		return DNSSEC_UNSUPPORTED;
	if (iterations > max_iterations)
		return DNSSEC_TOO_COSTLY;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return DNSSEC_NOMEM;
	const EVP_MD *md = EVP_sha1();
	unsigned len = 0;
	bool ok = EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, lo, lo_len) == 1 &&
		  EVP_DigestUpdate(ctx, salt, salt_len) == 1 &&
		  EVP_DigestFinal_ex(ctx, out, &len) == 1;
	for (unsigned i = 0; ok && i < iterations; i++)
		ok = EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, out, 20) == 1 &&
		     EVP_DigestUpdate(ctx, salt, salt_len) == 1 &&
		     EVP_DigestFinal_ex(ctx, out, &len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok && len == 20 ? DNSSEC_OK : DNSSEC_NOMEM;
}

static const char B32HEX[] = "0123456789abcdefghijklmnopqrstuv";

int dnssec_b32hex_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t need = (len * 8 + 4) / 5;
	if (cap < need + 1)
		return -1;
	size_t o = 0;
	uint32_t buf = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < len; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = B32HEX[(buf >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = B32HEX[(buf << (5 - bits)) & 31];
	out[o] = '\0';
	return (int)o;
}

int dnssec_b32hex_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;
	uint32_t buf = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];
		unsigned v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'v')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'V')
			v = c - 'A' + 10;
		else
			return -1;
		buf = (buf << 5) | v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (uint8_t)(buf >> bits);
		}
	}
	return (int)o;
}
