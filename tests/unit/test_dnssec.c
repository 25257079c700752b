/* core/dnssec.c against data made independently: zones signed at test time
 * by ldns-signzone with keys from ldns-keygen (every algorithm the module
 * implements), read back with libldns; DS records from ldns-key2ds; NSEC3
 * hashes from RFC 5155 appendix A and from an NSEC3 chain ldns-signzone
 * made. Each signature must verify, and fail once a byte of the data, of
 * the signature or of the key changes, or with another key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "shell.h"

#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/dnssec.h"
#include "wire/wire.h"

static char dir[] = "/tmp/pc-test-dnssec-XXXXXX";

static const char *ZONE_TEXT =
	"$ORIGIN Zone.Example.\n"
	"$TTL 300\n"
	"@ IN SOA ns hostmaster 1 1800 900 604800 300\n"
	"@ IN NS ns\n"
	"ns IN A 192.0.2.1\n"
	"www IN A 192.0.2.10\n"
	"www IN A 192.0.2.9\n"
	"www IN A 192.0.2.200\n"
	"mail IN MX 10 MX.Zone.Example.\n"
	"mail IN MX 20 aNOTHER.zone.example.\n"
	"txt IN TXT \"one\" \"two\"\n"
	"*.w IN A 192.0.2.99\n"
	"srv IN SRV 1 2 53 NS.zone.example.\n";

/* One record read back from a signed zone, in wire form. */
struct rec {
	uint8_t owner[WIRE_NAME_MAX];
	uint16_t type, rclass;
	uint8_t rdata[2048];
	uint16_t rdlen;
};

static struct rec recs[512];
static size_t n_recs;

static void load_zone(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	ldns_zone *z = NULL;
	int line = 0;
	ldns_status s = ldns_zone_new_frm_fp_l(&z, f, NULL, 300, LDNS_RR_CLASS_IN, &line);
	fclose(f);
	if (s != LDNS_STATUS_OK)
		fail_msg("ldns could not read %s: %s (line %d)", path, ldns_get_errorstr_by_id(s), line);
	n_recs = 0;
	ldns_rr_list *rrs = ldns_zone_rrs(z);
	size_t total = ldns_rr_list_rr_count(rrs) + (ldns_zone_soa(z) != NULL);
	for (size_t i = 0; i < total; i++) {
		ldns_rr *rr = ldns_zone_soa(z) != NULL
				      ? (i == 0 ? ldns_zone_soa(z) : ldns_rr_list_rr(rrs, i - 1))
				      : ldns_rr_list_rr(rrs, i);
		assert_true(n_recs < sizeof(recs) / sizeof(recs[0]));
		struct rec *r = &recs[n_recs++];
		ldns_rdf *o = ldns_rr_owner(rr);
		assert_true(ldns_rdf_size(o) <= WIRE_NAME_MAX);
		memcpy(r->owner, ldns_rdf_data(o), ldns_rdf_size(o));
		r->type = (uint16_t)ldns_rr_get_type(rr);
		r->rclass = (uint16_t)ldns_rr_get_class(rr);
		ldns_buffer *b = ldns_buffer_new(4096);
		assert_int_equal(ldns_rr_rdata2buffer_wire(b, rr), LDNS_STATUS_OK);
		assert_true(ldns_buffer_position(b) <= sizeof(r->rdata));
		r->rdlen = (uint16_t)ldns_buffer_position(b);
		memcpy(r->rdata, ldns_buffer_begin(b), r->rdlen);
		ldns_buffer_free(b);
	}
	ldns_zone_deep_free(z);
}

static uint16_t covered(const struct rec *r)
{
	return (uint16_t)(r->rdata[0] << 8 | r->rdata[1]);
}

/* The records of the set (owner, type). */
static size_t set_of(const uint8_t *owner, uint16_t type, struct dnssec_rdata *rd, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < n_recs && n < cap; i++)
		if (recs[i].type == type && wire_name_eq(recs[i].owner, owner)) {
			rd[n].data = recs[i].rdata;
			rd[n].len = recs[i].rdlen;
			n++;
		}
	return n;
}

static const struct rec *key_with_tag(uint16_t tag)
{
	for (size_t i = 0; i < n_recs; i++)
		if (recs[i].type == WIRE_T_DNSKEY &&
		    dnssec_key_tag(recs[i].rdata, recs[i].rdlen) == tag)
			return &recs[i];
	return NULL;
}

static const struct rec *other_key(uint16_t tag)
{
	for (size_t i = 0; i < n_recs; i++)
		if (recs[i].type == WIRE_T_DNSKEY &&
		    dnssec_key_tag(recs[i].rdata, recs[i].rdlen) != tag)
			return &recs[i];
	return NULL;
}

static enum dnssec_status verify(const struct rec *sig, const struct dnssec_rdata *rd, size_t n,
				 const struct rec *key)
{
	return dnssec_verify_rrset(sig->owner, covered(sig), sig->rclass, rd, n, sig->rdata,
				   sig->rdlen, key->owner, key->rdata, key->rdlen);
}

/* Sign ZONE_TEXT with a fresh KSK and ZSK of the algorithm, check every
 * signature and the ways it must fail. */
static void sign_and_check(const char *alg_name, uint8_t alg, const char *bits)
{
	char ksk[256], zsk[256], path[512];
	test_sh("printf '%%s' '%s' > %s/zone.txt", ZONE_TEXT, dir);
	char alg_args[64];
	snprintf(alg_args, sizeof(alg_args), "-a %s %s", alg_name, bits);
	test_keypair(dir, alg_args, "zone.example.", ksk, zsk, sizeof(ksk));
	time_t now = time(NULL);
	test_sh("cd %s && ldns-signzone -o zone.example. -i %lld -e %lld -f signed.txt zone.txt %s %s", dir,
	   (long long)now - 3600, (long long)now + 86400, ksk, zsk);
	snprintf(path, sizeof(path), "%s/signed.txt", dir);
	load_zone(path);

	size_t checked = 0, wildcard = 0;
	struct dnssec_rdata rd[32];
	for (size_t i = 0; i < n_recs; i++) {
		const struct rec *sig = &recs[i];
		if (sig->type != WIRE_T_RRSIG)
			continue;
		struct dnssec_rrsig s;
		assert_int_equal(dnssec_rrsig_parse(sig->rdata, sig->rdlen, &s), DNSSEC_OK);
		assert_int_equal(s.algorithm, alg);
		const struct rec *key = key_with_tag(s.key_tag);
		assert_non_null(key);
		size_t n = set_of(sig->owner, s.type_covered, rd, 32);
		assert_true(n > 0);
		enum dnssec_status st = verify(sig, rd, n, key);
		if (st != DNSSEC_OK)
			fail_msg("algorithm %u: RRSIG over type %u at record %zu: %s", alg,
				 s.type_covered, i, dnssec_status_text(st));
		assert_int_equal(dnssec_time_check(s.inception, s.expiration, (uint64_t)now, 0),
				 DNSSEC_OK);
		checked++;

		/* a changed byte in the data */
		uint8_t copy[2048];
		memcpy(copy, rd[0].data, rd[0].len);
		copy[rd[0].len - 1] ^= 0x01;
		struct dnssec_rdata saved = rd[0];
		rd[0].data = copy;
		uint8_t canon[2048];
		bool well_formed = dnssec_canonical_rdata(s.type_covered, copy, rd[0].len, canon,
							  sizeof(canon)) >= 0;
		assert_int_equal(verify(sig, rd, n, key),
				 well_formed ? DNSSEC_BAD_SIG : DNSSEC_MALFORMED);
		rd[0] = saved;
		/* the records in another order verify the same */
		if (n > 1) {
			struct dnssec_rdata t = rd[0];
			rd[0] = rd[n - 1];
			rd[n - 1] = t;
			assert_int_equal(verify(sig, rd, n, key), DNSSEC_OK);
		}
		/* a changed byte in the signature */
		struct rec bad = *sig;
		bad.rdata[bad.rdlen - 5] ^= 0x40;
		st = verify(&bad, rd, n, key);
		assert_true(st == DNSSEC_BAD_SIG || st == DNSSEC_MALFORMED);
		/* another key: its tag differs */
		const struct rec *other = other_key(s.key_tag);
		assert_non_null(other);
		assert_int_equal(verify(sig, rd, n, other), DNSSEC_MISMATCH);
		/* the right key with a changed byte but the same tag: the tag
		 * sums 16-bit words, so +1 at i and -1 at i+2 keep it (this
		 * also checks the parsed-key cache, indexed by tag, which must
		 * compare the key's bytes and not serve the right key for it) */
		struct rec k2 = *key;
		size_t at = k2.rdlen - 6;
		if (k2.rdata[at] < 0xff && k2.rdata[at + 2] > 0) {
			k2.rdata[at]++;
			k2.rdata[at + 2]--;
			assert_int_equal(dnssec_key_tag(k2.rdata, k2.rdlen), s.key_tag);
			st = verify(sig, rd, n, &k2);
			assert_true(st == DNSSEC_BAD_SIG || st == DNSSEC_MALFORMED);
		}
		/* the wrong type covered, or another owner */
		assert_int_equal(dnssec_verify_rrset(sig->owner, (uint16_t)(covered(sig) + 1),
						     sig->rclass, rd, n, sig->rdata, sig->rdlen,
						     key->owner, key->rdata, key->rdlen),
				 DNSSEC_MISMATCH);
		if (s.labels < wire_name_labels(sig->owner))
			wildcard++;
	}
	assert_true(checked >= 10);
	(void)wildcard;

	/* A wildcard's signature verifies over any name it expands to. */
	uint8_t qname[WIRE_NAME_MAX], wname[WIRE_NAME_MAX];
	wire_name_from_text("Foo.Bar.W.zone.example.", qname);
	wire_name_from_text("*.w.zone.example.", wname);
	for (size_t i = 0; i < n_recs; i++)
		if (recs[i].type == WIRE_T_RRSIG && covered(&recs[i]) == WIRE_T_A &&
		    wire_name_eq(recs[i].owner, wname)) {
			struct dnssec_rrsig s;
			assert_int_equal(dnssec_rrsig_parse(recs[i].rdata, recs[i].rdlen, &s), 0);
			const struct rec *key = key_with_tag(s.key_tag);
			size_t n = set_of(wname, WIRE_T_A, rd, 32);
			assert_int_equal(dnssec_verify_rrset(qname, WIRE_T_A, WIRE_C_IN, rd, n,
							     recs[i].rdata, recs[i].rdlen,
							     key->owner, key->rdata, key->rdlen),
					 DNSSEC_OK);
			wildcard++;
		}
	assert_true(wildcard > 0);

	/* The KSK's DS, SHA-1, SHA-256 and SHA-384, from ldns-key2ds. */
	static const char *digests[] = { "-1", "-2", "-4" };
	for (size_t d = 0; d < 3; d++) {
		test_sh("cd %s && ldns-key2ds -n %s %s.key > ds.txt", dir, digests[d], ksk);
		snprintf(path, sizeof(path), "%s/ds.txt", dir);
		load_zone(path);
		assert_int_equal(n_recs, 1);
		struct rec ds = recs[0];
		snprintf(path, sizeof(path), "%s/signed.txt", dir);
		load_zone(path);
		struct dnssec_ds dsp;
		assert_int_equal(dnssec_ds_parse(ds.rdata, ds.rdlen, &dsp), DNSSEC_OK);
		const struct rec *key = key_with_tag(dsp.key_tag);
		assert_non_null(key);
		/* the tag in the key file's name is ldns's own count */
		char tagtxt[16];
		snprintf(tagtxt, sizeof(tagtxt), "+%05u", dsp.key_tag);
		assert_non_null(strstr(ksk, tagtxt));
		assert_int_equal(dnssec_ds_match(ds.owner, key->rdata, key->rdlen, ds.rdata, ds.rdlen),
				 DNSSEC_OK);
		assert_int_equal(dnssec_ds_match(ds.owner, other_key(dsp.key_tag)->rdata,
						 other_key(dsp.key_tag)->rdlen, ds.rdata, ds.rdlen),
				 DNSSEC_BAD_SIG);
		ds.rdata[ds.rdlen - 1] ^= 1;
		assert_int_equal(dnssec_ds_match(ds.owner, key->rdata, key->rdlen, ds.rdata, ds.rdlen),
				 DNSSEC_BAD_SIG);
		ds.rdata[3] = 3; /* GOST: not implemented */
		assert_int_equal(dnssec_ds_match(ds.owner, key->rdata, key->rdlen, ds.rdata, ds.rdlen),
				 DNSSEC_UNSUPPORTED);
	}
}

static void rsasha1(void **state) { (void)state; sign_and_check("RSASHA1", 5, "-b 1024"); }
static void rsasha1_nsec3(void **state) { (void)state; sign_and_check("RSASHA1-NSEC3-SHA1", 7, "-b 1024"); }
static void rsasha256(void **state) { (void)state; sign_and_check("RSASHA256", 8, "-b 1024"); }
static void rsasha512(void **state) { (void)state; sign_and_check("RSASHA512", 10, "-b 1024"); }
static void ecdsap256(void **state) { (void)state; sign_and_check("ECDSAP256SHA256", 13, ""); }
static void ecdsap384(void **state) { (void)state; sign_and_check("ECDSAP384SHA384", 14, ""); }
static void ed25519(void **state) { (void)state; sign_and_check("ED25519", 15, ""); }
static void ed448(void **state) { (void)state; sign_and_check("ED448", 16, ""); }

static void time_window(void **state)
{
	(void)state;
	uint32_t inc = 1700000000u, exp = 1700086400u;
	assert_int_equal(dnssec_time_check(inc, exp, inc, 0), DNSSEC_OK);
	assert_int_equal(dnssec_time_check(inc, exp, exp, 0), DNSSEC_OK);
	assert_int_equal(dnssec_time_check(inc, exp, exp + 1, 0), DNSSEC_EXPIRED);
	assert_int_equal(dnssec_time_check(inc, exp, inc - 1, 0), DNSSEC_NOT_YET_VALID);
	/* clock skew widens both ends */
	assert_int_equal(dnssec_time_check(inc, exp, exp + 60, 60), DNSSEC_OK);
	assert_int_equal(dnssec_time_check(inc, exp, exp + 61, 60), DNSSEC_EXPIRED);
	assert_int_equal(dnssec_time_check(inc, exp, inc - 60, 60), DNSSEC_OK);
	assert_int_equal(dnssec_time_check(inc, exp, inc - 61, 60), DNSSEC_NOT_YET_VALID);
	/* expiration not after inception */
	assert_int_equal(dnssec_time_check(exp, inc, inc, 0), DNSSEC_MALFORMED);
	/* RFC 1982 across the 32-bit wrap (the year 2106): a window from
	 * 0xfffff000 to 0x1000 holds 0xffffffff and 5, not 0x2000 */
	assert_int_equal(dnssec_time_check(0xfffff000u, 0x1000u, 0xffffffffull, 0), DNSSEC_OK);
	assert_int_equal(dnssec_time_check(0xfffff000u, 0x1000u, 0x100000005ull, 0), DNSSEC_OK);
	assert_int_equal(dnssec_time_check(0xfffff000u, 0x1000u, 0x100002000ull, 0),
			 DNSSEC_EXPIRED);
	assert_true(dnssec_serial_lt(0xffffffffu, 0));
	assert_false(dnssec_serial_lt(0, 0x80000000u)); /* undefined: not less */
	assert_false(dnssec_serial_lt(7, 7));
}

static void nsec3_rfc5155(void **state)
{
	(void)state;
	/* RFC 5155 appendix A: salt aabbccdd, 12 iterations */
	static const struct { const char *name, *hash; } v[] = {
		{ "example", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom" },
		{ "a.example", "35mthgpgcu1qg68fab165klnsnk3dpvl" },
		{ "ai.example", "gjeqe526plbf1g8mklp59enfd789njgi" },
		{ "ns1.example", "2t7b4g4vsa5smi47k61mv5bv1a22bojr" },
		{ "w.example", "k8udemvp1j2f7eg6jebps17vp3n8i58h" },
		{ "*.w.example", "r53bq7cc2uvmubfu5ocmm6pers9tk9en" },
		{ "x.w.example", "b4um86eghhds6nea196smvmlo4ors995" },
		{ "xx.example", "t644ebqk9bibcna874givr6joj62mlhv" },
		{ "XX.EXAMPLE", "t644ebqk9bibcna874givr6joj62mlhv" },
	};
	static const uint8_t salt[] = { 0xaa, 0xbb, 0xcc, 0xdd };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t name[WIRE_NAME_MAX], h[20], back[20];
		char txt[40];
		assert_true(wire_name_from_text(v[i].name, name) > 0);
		assert_int_equal(dnssec_nsec3_hash(name, 1, 12, salt, 4, 150, h), DNSSEC_OK);
		assert_int_equal(dnssec_b32hex_encode(h, 20, txt, sizeof(txt)), 32);
		assert_string_equal(txt, v[i].hash);
		assert_int_equal(dnssec_b32hex_decode((const uint8_t *)v[i].hash, 32, back, 20), 20);
		assert_memory_equal(back, h, 20);
	}
	uint8_t name[WIRE_NAME_MAX], h[20];
	wire_name_from_text("example", name);
	assert_int_equal(dnssec_nsec3_hash(name, 1, 151, salt, 4, 150, h), DNSSEC_TOO_COSTLY);
	assert_int_equal(dnssec_nsec3_hash(name, 2, 0, salt, 4, 150, h), DNSSEC_UNSUPPORTED);
	assert_int_equal(dnssec_b32hex_decode((const uint8_t *)"0p9w", 4, h, 20), -1);
}

/* An NSEC3 chain made by ldns-signzone: every hashed owner is the hash of
 * a name of the zone, and the chain's parameters come back from the rdata. */
static void nsec3_chain_from_ldns(void **state)
{
	(void)state;
	char ksk[256], path[512];
	test_sh("printf '%%s' '%s' > %s/zone.txt", ZONE_TEXT, dir);
	test_sh_out(ksk, sizeof(ksk), "cd %s && ldns-keygen -r /dev/urandom -a ECDSAP256SHA256 -k zone.example.",
	       dir);
	test_sh("cd %s && ldns-signzone -n -t 7 -s 0a1b2c -o zone.example. -f signed3.txt zone.txt %s", dir,
	   ksk);
	snprintf(path, sizeof(path), "%s/signed3.txt", dir);
	load_zone(path);
	static const char *names[] = { "zone.example.", "www.zone.example.", "mail.zone.example.",
				       "w.zone.example.", "*.w.zone.example." };
	size_t found = 0, n3 = 0;
	for (size_t i = 0; i < n_recs; i++) {
		if (recs[i].type != WIRE_T_NSEC3)
			continue;
		n3++;
		struct dnssec_nsec3 p;
		assert_int_equal(dnssec_nsec3_parse(recs[i].rdata, recs[i].rdlen, &p), DNSSEC_OK);
		assert_int_equal(p.iterations, 7);
		assert_int_equal(p.salt_len, 3);
		assert_int_equal(p.next_len, 20);
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			uint8_t nm[WIRE_NAME_MAX], h[20], lab[20];
			wire_name_from_text(names[k], nm);
			assert_int_equal(dnssec_nsec3_hash(nm, p.hash_alg, p.iterations, p.salt,
							   p.salt_len, 150, h), DNSSEC_OK);
			/* the owner's first label is the hash in base32hex */
			assert_int_equal(recs[i].owner[0], 32);
			assert_int_equal(dnssec_b32hex_decode(recs[i].owner + 1, 32, lab, 20), 20);
			if (memcmp(lab, h, 20) == 0) {
				found++;
				if (k == 1) /* www has A, RRSIG: its NSEC3 says so */
					assert_true(dnssec_bitmap_has(p.types, p.types_len, WIRE_T_A) &&
						    dnssec_bitmap_has(p.types, p.types_len,
								      WIRE_T_RRSIG) &&
						    !dnssec_bitmap_has(p.types, p.types_len,
								       WIRE_T_MX));
			}
		}
	}
	assert_true(n3 >= 5);
	assert_int_equal(found, sizeof(names) / sizeof(names[0]));
}

static void canonical_form(void **state)
{
	(void)state;
	uint8_t out[300];
	/* MX: the exchange lowercased */
	uint8_t mx[] = { 0, 10, 2, 'M', 'X', 1, 'Z', 0 };
	assert_int_equal(dnssec_canonical_rdata(WIRE_T_MX, mx, sizeof(mx), out, sizeof(out)), 8);
	assert_memory_equal(out, ((uint8_t[]){ 0, 10, 2, 'm', 'x', 1, 'z', 0 }), 8);
	/* NSEC's next name is left as it is (RFC 6840 5.1) */
	uint8_t nsec[] = { 1, 'A', 0, 0, 1, 0x40 };
	assert_int_equal(dnssec_canonical_rdata(WIRE_T_NSEC, nsec, sizeof(nsec), out, sizeof(out)), 6);
	assert_memory_equal(out, nsec, 6);
	/* a name that runs past its rdata, or trailing bytes, or a pointer */
	uint8_t cut[] = { 0, 10, 5, 'a', 'b' };
	assert_int_equal(dnssec_canonical_rdata(WIRE_T_MX, cut, sizeof(cut), out, sizeof(out)), -1);
	uint8_t trail[] = { 1, 'a', 0, 7 };
	assert_int_equal(dnssec_canonical_rdata(WIRE_T_CNAME, trail, sizeof(trail), out, sizeof(out)), -1);
	uint8_t ptr[] = { 0xc0, 0x00 };
	assert_int_equal(dnssec_canonical_rdata(WIRE_T_NS, ptr, sizeof(ptr), out, sizeof(out)), -1);
	/* order: bytes compared left to right, shorter first, duplicates once */
	struct dnssec_rdata rd[] = { { (const uint8_t *)"\x02\x01", 2 }, { (const uint8_t *)"\x01", 1 },
				     { (const uint8_t *)"\x01\x00", 2 }, { (const uint8_t *)"\x01", 1 } };
	assert_int_equal(dnssec_canonical_sort(rd, 4), 3);
	assert_int_equal(rd[0].len, 1);
	assert_int_equal(rd[1].data[1], 0x00);
	assert_int_equal(rd[2].data[0], 0x02);
}

static void malformed_records(void **state)
{
	(void)state;
	struct dnssec_rrsig s;
	struct dnssec_dnskey k;
	struct dnssec_nsec3 n3;
	uint8_t sig[40] = { 0, 1, 13, 2, 0, 0, 1, 44, 0, 0, 0, 9, 0, 0, 0, 1, 0x12, 0x34,
			    1, 'a', 0, 0xaa };
	assert_int_equal(dnssec_rrsig_parse(sig, 22, &s), DNSSEC_OK);
	assert_int_equal(s.key_tag, 0x1234);
	assert_int_equal(s.sig_len, 1);
	for (size_t len = 0; len < 22; len++)
		assert_int_equal(dnssec_rrsig_parse(sig, len, &s), DNSSEC_MALFORMED);
	sig[18] = 0xc0; /* a compression pointer as the signer */
	assert_int_equal(dnssec_rrsig_parse(sig, 22, &s), DNSSEC_MALFORMED);
	uint8_t key[] = { 1, 1, 3, 13 };
	assert_int_equal(dnssec_dnskey_parse(key, 4, &k), DNSSEC_MALFORMED);
	uint8_t nsec3[] = { 1, 0, 0, 0, 2, 0xab };
	assert_int_equal(dnssec_nsec3_parse(nsec3, sizeof(nsec3), &n3), DNSSEC_MALFORMED);
	/* a bit map window announced longer than the map */
	assert_false(dnssec_bitmap_has((const uint8_t *)"\x00\x05\x40", 3, WIRE_T_A));
	assert_true(dnssec_bitmap_has((const uint8_t *)"\x00\x01\x40", 3, WIRE_T_A));
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(time_window),
		cmocka_unit_test(nsec3_rfc5155),
		cmocka_unit_test(canonical_form),
		cmocka_unit_test(malformed_records),
		cmocka_unit_test(nsec3_chain_from_ldns),
		cmocka_unit_test(rsasha1),
		cmocka_unit_test(rsasha1_nsec3),
		cmocka_unit_test(rsasha256),
		cmocka_unit_test(rsasha512),
		cmocka_unit_test(ecdsap256),
		cmocka_unit_test(ecdsap384),
		cmocka_unit_test(ed25519),
		cmocka_unit_test(ed448),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
