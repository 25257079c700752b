/* dnssec: the validator's primitives, with no I/O and no clock (the time is
 * passed in): the records' rdata read through the bounded wire reader, the
 * canonical form and order of an RRset (RFC 4034 6), key tags (RFC 4034
 * appendix B), DS digests, RRSIG verification over an RRset with a DNSKEY,
 * the signature validity window (RFC 4034 3.1.5, serial arithmetic of
 * RFC 1982) and NSEC3 hashes (RFC 5155) with an iterations cap (RFC 9276).
 *
 * The cryptography is OpenSSL's libcrypto (EVP): RSA/SHA-1 (5, 7),
 * RSA/SHA-256 (8), RSA/SHA-512 (10), ECDSA P-256/SHA-256 (13), ECDSA
 * P-384/SHA-384 (14), Ed25519 (15), Ed448 (16); DS digests SHA-1 (1),
 * SHA-256 (2), SHA-384 (4). Anything else is DNSSEC_UNSUPPORTED, which a
 * validator treats as insecure, never as bogus (RFC 6840 5.2).
 *
 * Every rdata argument is a buffer of exactly its length (names in it
 * uncompressed, as the message parser leaves them); nothing is read past
 * it. Memory: the functions own nothing they return; records returned by
 * the parsers point into the rdata given. */
#ifndef PC_CORE_DNSSEC_H
#define PC_CORE_DNSSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

enum dnssec_status {
	DNSSEC_OK = 0,
	DNSSEC_BAD_SIG,        /* the signature (or DS digest) does not match */
	DNSSEC_MISMATCH,       /* the RRSIG does not fit this key, set or owner */
	DNSSEC_UNSUPPORTED,    /* algorithm, digest or NSEC3 hash not implemented */
	DNSSEC_MALFORMED,      /* rdata that does not parse */
	DNSSEC_EXPIRED,        /* the signature's expiration has passed */
	DNSSEC_NOT_YET_VALID,  /* its inception is still to come */
	DNSSEC_TOO_COSTLY,     /* NSEC3 iterations over the cap */
	DNSSEC_NOMEM,
};

/* A short name for logs ("bad signature", ...). */
const char *dnssec_status_text(enum dnssec_status s);

/* DNSKEY flags (RFC 4034 2.1.1, RFC 5011). */
#define DNSSEC_FLAG_ZONE 0x0100
#define DNSSEC_FLAG_SEP 0x0001
#define DNSSEC_FLAG_REVOKE 0x0080

struct dnssec_dnskey {
	uint16_t flags;
	uint8_t protocol, algorithm;
	const uint8_t *key;
	size_t key_len;
};

struct dnssec_rrsig {
	uint16_t type_covered;
	uint8_t algorithm, labels;
	uint32_t original_ttl, expiration, inception;
	uint16_t key_tag;
	uint8_t signer[WIRE_NAME_MAX];
	size_t fields_len; /* bytes of rdata before the signature */
	const uint8_t *sig;
	size_t sig_len;
};

struct dnssec_ds {
	uint16_t key_tag;
	uint8_t algorithm, digest_type;
	const uint8_t *digest;
	size_t digest_len;
};

struct dnssec_nsec3 {
	uint8_t hash_alg, flags;
	uint16_t iterations;
	const uint8_t *salt;
	size_t salt_len;
	const uint8_t *next;  /* next hashed owner, raw (not base32hex) */
	size_t next_len;
	const uint8_t *types; /* the type bit maps */
	size_t types_len;
};

#define DNSSEC_NSEC3_OPTOUT 0x01
/* RFC 9276 3.2: iterations above this may be treated as insecure; Unbound
 * and BIND cap at 150 (and several vendors lower). */
#define DNSSEC_NSEC3_MAX_ITERATIONS 150

/* Parsers: DNSSEC_OK or DNSSEC_MALFORMED. The signer name is checked to be
 * a valid uncompressed name and copied lowercased. */
enum dnssec_status dnssec_dnskey_parse(const uint8_t *rdata, size_t len, struct dnssec_dnskey *out);
enum dnssec_status dnssec_rrsig_parse(const uint8_t *rdata, size_t len, struct dnssec_rrsig *out);
enum dnssec_status dnssec_ds_parse(const uint8_t *rdata, size_t len, struct dnssec_ds *out);
enum dnssec_status dnssec_nsec3_parse(const uint8_t *rdata, size_t len, struct dnssec_nsec3 *out);
/* Is type in an NSEC/NSEC3 type bit map (RFC 4034 4.1.2)? False when the
 * map is malformed. */
bool dnssec_bitmap_has(const uint8_t *types, size_t len, uint16_t type);

/* The key tag of a DNSKEY rdata (RFC 4034 appendix B; algorithm 1 uses
 * the key's last bytes). */
uint16_t dnssec_key_tag(const uint8_t *dnskey, size_t len);

/* Does the DS rdata match the DNSKEY rdata at owner (key tag, algorithm
 * and the digest of the canonical owner and the key's rdata)? DNSSEC_OK,
 * DNSSEC_BAD_SIG (tag, algorithm or digest differs), DNSSEC_UNSUPPORTED
 * (digest type), DNSSEC_MALFORMED. */
enum dnssec_status dnssec_ds_match(const uint8_t *owner, const uint8_t *dnskey, size_t dnskey_len,
				   const uint8_t *ds, size_t ds_len);

/* One RRset: owner (any case), type, class and its records' rdata. */
struct dnssec_rdata {
	const uint8_t *data;
	uint16_t len;
};

/* The canonical rdata of a record (RFC 4034 6.2, RFC 6840 5.1): the names
 * inside the rdata of the types listed there lowercased. Writes at most
 * cap bytes to out; returns the length, or -1 when the rdata is malformed
 * for its type or does not fit. */
int dnssec_canonical_rdata(uint16_t type, const uint8_t *rdata, size_t len, uint8_t *out,
			   size_t cap);

/* Sort rdata (already canonical) into canonical order (RFC 4034 6.3) and
 * drop duplicates; returns the new count. */
size_t dnssec_canonical_sort(struct dnssec_rdata *rd, size_t n);

/* Verify the RRSIG (rdata) over the RRset with the DNSKEY (rdata):
 * the RRSIG must cover type, name the key's algorithm and tag, be signed
 * by an owner of the key that is the set's owner or above it (signer) and
 * have no more labels than the owner (fewer: a wildcard expansion, signed
 * as "*." and its last `labels` labels); the key must be a zone key of
 * protocol 3. The time window is not looked at here (dnssec_time_check).
 * signer is the DNSKEY's owner. DNSSEC_OK, DNSSEC_BAD_SIG, DNSSEC_MISMATCH,
 * DNSSEC_UNSUPPORTED, DNSSEC_MALFORMED or DNSSEC_NOMEM. */
enum dnssec_status dnssec_verify_rrset(const uint8_t *owner, uint16_t type, uint16_t rclass,
				       const struct dnssec_rdata *rd, size_t n,
				       const uint8_t *rrsig, size_t rrsig_len,
				       const uint8_t *signer, const uint8_t *dnskey,
				       size_t dnskey_len);

/* Is now (seconds since the epoch, taken modulo 2^32) inside the RRSIG's
 * window, widened by skew seconds at each end? Serial-number arithmetic
 * (RFC 1982) on every comparison, so it holds across 2106. DNSSEC_OK,
 * DNSSEC_EXPIRED, DNSSEC_NOT_YET_VALID, or DNSSEC_MALFORMED when the
 * expiration is not after the inception. */
enum dnssec_status dnssec_time_check(uint32_t inception, uint32_t expiration, uint64_t now,
				     uint32_t skew);

/* RFC 1982 for 32-bit serials: is a before b? (Undefined half-way: false.) */
bool dnssec_serial_lt(uint32_t a, uint32_t b);

/* The NSEC3 hash of name (RFC 5155 5): SHA-1 (hash algorithm 1) of the
 * lowercased name and salt, iterated. out receives 20 bytes. DNSSEC_OK,
 * DNSSEC_UNSUPPORTED (another algorithm), DNSSEC_TOO_COSTLY (iterations
 * above max_iterations), DNSSEC_MALFORMED (name). */
enum dnssec_status dnssec_nsec3_hash(const uint8_t *name, uint8_t alg, uint16_t iterations,
				     const uint8_t *salt, size_t salt_len, unsigned max_iterations,
				     uint8_t out[20]);

/* Base32hex without padding (RFC 4648 7), as NSEC3 owner labels write a
 * hash. encode: writes 8 characters per 5 bytes (rounded up) and a NUL;
 * returns the length or -1 if cap is short. decode: case-insensitive;
 * returns the bytes written or -1 on a bad character or short cap. */
int dnssec_b32hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);
int dnssec_b32hex_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

#endif
