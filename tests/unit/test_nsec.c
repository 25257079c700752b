/* core/nsec.c against zones signed at test time by ldns-signzone (NSEC,
 * NSEC3, NSEC3 with the opt-out flag) with fresh keys from ldns-keygen.
 * Each test hands a proof the records an authoritative server would put in
 * its reply - chosen here with libldns's own canonical compare and NSEC3
 * hash, not with the module's - and checks the verdict; then takes one
 * needed record away, or swaps in a wrong one, and checks the proof fails.
 * A last group crafts NSEC3 records by hand for the cost bounds
 * (CVE-2023-50868) and the iterations cap (RFC 9276). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "shell.h"

#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/dnssec.h"
#include "core/nsec.h"
#include "wire/wire.h"

static char dir[] = "/tmp/pc-test-nsec-XXXXXX";

/* The zone: an apex, plain names, an empty non-terminal chain (ent, y.ent),
 * a wildcard with TXT only under an ENT (wild), an unsigned delegation
 * (sub), a signed one (signed, with DS), a CNAME, a DNAME, and zz, the last
 * name in canonical order (so its NSEC wraps around to the apex). */
#define ZONE_HEAD \
	"$ORIGIN nz.example.\n" \
	"$TTL 300\n" \
	"@ IN SOA ns hostmaster 1 1800 900 604800 300\n" \
	"@ IN NS ns\n" \
	"ns IN A 192.0.2.1\n" \
	"www IN A 192.0.2.10\n" \
	"www IN AAAA 2001:db8::10\n" \
	"x.y.ent IN A 192.0.2.20\n" \
	"*.wild IN TXT \"w\"\n" \
	"signed IN NS ns.other.example.\n" \
	"signed IN DS 12345 13 2 " \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n" \
	"cname IN CNAME www\n" \
	"dn IN DNAME other.example.\n" \
	"zz IN A 192.0.2.30\n"
static const char *ZONE_TEXT = ZONE_HEAD "sub IN NS ns.other.example.\n";
/* The same zone where sub's delegation is left out of the NSEC3 chain, as
 * an opt-out signer leaves an unsigned delegation out. */
static const char *ZONE_NOSUB = ZONE_HEAD;

struct rec {
	uint8_t owner[WIRE_NAME_MAX];
	uint16_t type;
	uint8_t rdata[1024];
	uint16_t rdlen;
	char label[64]; /* NSEC3: the owner's first label (base32hex) */
};

enum variant { V_NSEC, V_NSEC3, V_OPTOUT, V_OPTOUT_NOSUB, V_NSEC3_NOSUB, V_COUNT };
static struct rec zrec[V_COUNT][64];
static size_t zn[V_COUNT];
static uint16_t n3_iter[V_COUNT];
static uint8_t n3_salt[V_COUNT][8];
static uint8_t n3_salt_len[V_COUNT];

static const uint8_t *N(const char *text)
{
	static uint8_t pool[16][WIRE_NAME_MAX];
	static unsigned next;
	uint8_t *o = pool[next++ % 16];
	if (wire_name_from_text(text, o) < 0)
		fail_msg("bad name %s", text);
	return o;
}

static void load(enum variant v, const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	ldns_zone *z = NULL;
	int line = 0;
	ldns_status s = ldns_zone_new_frm_fp_l(&z, f, NULL, 300, LDNS_RR_CLASS_IN, &line);
	fclose(f);
	if (s != LDNS_STATUS_OK)
		fail_msg("ldns could not read %s: %s", path, ldns_get_errorstr_by_id(s));
	ldns_rr_list *rrs = ldns_zone_rrs(z);
	zn[v] = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		uint16_t t = (uint16_t)ldns_rr_get_type(rr);
		if (t != WIRE_T_NSEC && t != WIRE_T_NSEC3)
			continue;
		assert_true(zn[v] < 64);
		struct rec *r = &zrec[v][zn[v]++];
		ldns_rdf *o = ldns_rr_owner(rr);
		memcpy(r->owner, ldns_rdf_data(o), ldns_rdf_size(o));
		r->type = t;
		ldns_buffer *b = ldns_buffer_new(2048);
		assert_int_equal(ldns_rr_rdata2buffer_wire(b, rr), LDNS_STATUS_OK);
		r->rdlen = (uint16_t)ldns_buffer_position(b);
		assert_true(r->rdlen <= sizeof r->rdata);
		memcpy(r->rdata, ldns_buffer_begin(b), r->rdlen);
		ldns_buffer_free(b);
		if (t == WIRE_T_NSEC3) {
			memcpy(r->label, r->owner + 1, r->owner[0]);
			r->label[r->owner[0]] = 0;
			n3_iter[v] = ldns_nsec3_iterations(rr);
			n3_salt_len[v] = ldns_nsec3_salt_length(rr);
			uint8_t *salt = ldns_nsec3_salt_data(rr);
			memcpy(n3_salt[v], salt, n3_salt_len[v]);
			free(salt);
		}
	}
	ldns_zone_deep_free(z);
}

static void sign(const char *text, const char *flags, enum variant v, const char *ksk,
		 const char *zsk)
{
	char path[512];
	time_t now = time(NULL);
	test_sh("printf '%%s' '%s' > %s/zone%d.txt", text, dir, (int)v);
	test_sh("cd %s && ldns-signzone %s -o nz.example. -i %lld -e %lld -f signed%d.txt zone%d.txt %s %s",
	   dir, flags, (long long)now - 3600, (long long)now + 86400, (int)v, (int)v, ksk, zsk);
	snprintf(path, sizeof(path), "%s/signed%d.txt", dir, (int)v);
	load(v, path);
}

/* ---- choosing records as a server would, with libldns ---------------- */

static ldns_rdf *rdf(const uint8_t *name)
{
	return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, wire_name_len(name), name);
}

static int ldns_cmp(const uint8_t *a, const uint8_t *b)
{
	ldns_rdf *x = rdf(a), *y = rdf(b);
	int c = ldns_dname_compare(x, y);
	ldns_rdf_deep_free(x);
	ldns_rdf_deep_free(y);
	return c;
}

static void b32hex(const uint8_t *in, size_t len, char *out)
{
	static const char al[] = "0123456789abcdefghijklmnopqrstuv";
	unsigned buf = 0, bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = al[(buf >> bits) & 31];
		}
	}
	if (bits)
		out[o++] = al[(buf << (5 - bits)) & 31];
	out[o] = 0;
}

/* The hash label of name in variant v, by libldns. */
static void lhash(enum variant v, const uint8_t *name, char *out)
{
	ldns_rdf *n = rdf(name);
	ldns_rdf *h = ldns_nsec3_hash_name(n, 1, n3_iter[v], n3_salt_len[v], n3_salt[v]);
	assert_non_null(h);
	uint8_t *d = ldns_rdf_data(h);
	memcpy(out, d + 1, d[0]);
	out[d[0]] = 0;
	for (char *p = out; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	ldns_rdf_deep_free(n);
	ldns_rdf_deep_free(h);
}

/* The record of variant v that matches name, or else covers it. */
static const struct rec *pick(enum variant v, const uint8_t *name)
{
	char h[64];
	bool n3 = v != V_NSEC;
	if (n3)
		lhash(v, name, h);
	for (size_t i = 0; i < zn[v]; i++) {
		const struct rec *r = &zrec[v][i];
		if (n3 ? strcasecmp(r->label, h) == 0 : ldns_cmp(r->owner, name) == 0)
			return r;
	}
	for (size_t i = 0; i < zn[v]; i++) {
		const struct rec *r = &zrec[v][i];
		if (n3) {
			struct dnssec_nsec3 p;
			char next[64], own[64];
			assert_int_equal(dnssec_nsec3_parse(r->rdata, r->rdlen, &p), DNSSEC_OK);
			b32hex(p.next, p.next_len, next);
			snprintf(own, sizeof own, "%s", r->label);
			for (char *q = own; *q; q++)
				*q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
			bool wraps = strcmp(next, own) <= 0;
			bool a = strcmp(own, h) < 0, b = strcmp(h, next) < 0;
			if (wraps ? (a || b) : (a && b))
				return r;
		} else {
			bool wraps = ldns_cmp(r->rdata, r->owner) <= 0;
			bool a = ldns_cmp(r->owner, name) < 0, b = ldns_cmp(name, r->rdata) < 0;
			if (wraps ? (a || b) : (a && b))
				return r;
		}
	}
	fail_msg("no record for the name");
	return NULL;
}

/* A proof's input: records picked for names, deduplicated. */
struct proof {
	struct nsec_rr rr[16];
	size_t n;
	unsigned budget;
	struct nsec_in in;
};

static void add(struct proof *p, const struct rec *r)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->rr[i].rdata == r->rdata)
			return;
	assert_true(p->n < 16);
	p->rr[p->n++] = (struct nsec_rr){ r->owner, r->type, r->rdata, r->rdlen };
}

/* Records for the names given (NULL-terminated texts), the budget full. */
static struct proof *mk(enum variant v, ...)
{
	static struct proof p;
	memset(&p, 0, sizeof p);
	va_list ap;
	va_start(ap, v);
	for (const char *t; (t = va_arg(ap, const char *)) != NULL;)
		add(&p, pick(v, N(t)));
	va_end(ap);
	p.budget = NSEC_HASH_BUDGET;
	p.in = (struct nsec_in){ p.rr, p.n, N("nz.example."), &p.budget };
	return &p;
}

/* Drop the record picked for a name. */
static void drop(struct proof *p, enum variant v, const char *t)
{
	const struct rec *r = pick(v, N(t));
	for (size_t i = 0; i < p->n; i++)
		if (p->rr[i].rdata == r->rdata) {
			p->rr[i] = p->rr[--p->n];
			p->in.n = p->n;
			return;
		}
	fail_msg("%s was not in the proof", t);
}

static void expect(const struct nsec_verdict *v, enum nsec_result r, enum nsec_why why,
		   const char *what)
{
	if (v->result != r || v->why != why)
		fail_msg("%s: %s (%s), expected %s (%s)", what, nsec_result_text(v->result),
			 nsec_why_text(v->why), nsec_result_text(r), nsec_why_text(why));
}

/* ---- tests ------------------------------------------------------------ */

static void canonical_order(void **state)
{
	(void)state;
	/* RFC 4034 6.1's example, in order */
	const char *names[] = { "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
				"zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.",
				"\\200.z.example." };
	size_t n = sizeof names / sizeof names[0];
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			uint8_t a[WIRE_NAME_MAX], b[WIRE_NAME_MAX];
			wire_name_from_text(names[i], a);
			wire_name_from_text(names[j], b);
			int c = wire_name_canon_cmp(a, b);
			int want = i < j ? -1 : i > j ? 1 : 0;
			if ((c > 0) - (c < 0) != want)
				fail_msg("%s vs %s: %d", names[i], names[j], c);
			assert_int_equal((c > 0) - (c < 0), (ldns_cmp(a, b) > 0) - (ldns_cmp(a, b) < 0));
		}
	assert_int_equal(wire_name_canon_cmp(N("ABC.example."), N("abc.EXAMPLE.")), 0);
	assert_true(wire_name_canon_cmp(N("."), N("a.")) < 0);
}

static void nsec_nxdomain(void **state)
{
	(void)state;
	struct nsec_verdict v;
	/* nope.nz.example: ce is the apex, *.nz.example denied */
	struct proof *p = mk(V_NSEC, "nope.nz.example.", "*.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("nope.nz.example."), &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nxdomain");
	assert_false(v.nsec3);
	/* without the wildcard's denial: not proven (when one record does not
	 * happen to cover both) */
	if (pick(V_NSEC, N("nope.nz.example.")) != pick(V_NSEC, N("*.nz.example."))) {
		drop(p, V_NSEC, "*.nz.example.");
		nsec_prove_nxdomain(&p->in, N("nope.nz.example."), &v);
		expect(&v, NSEC_BOGUS, NSEC_WHY_NO_WILDCARD_PROOF, "nxdomain without wildcard");
		assert_int_equal(v.ede, NSEC_EDE_NSEC_MISSING);
	}
	/* without the name's denial */
	p = mk(V_NSEC, "*.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("www2.nz.example."), &v);
	assert_int_equal(v.result, NSEC_BOGUS);
	/* a name that exists: its own NSEC matches */
	p = mk(V_NSEC, "www.nz.example.", "*.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("www.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "nxdomain of an existing name");
	/* an empty non-terminal exists: ent.nz.example is no NXDOMAIN */
	p = mk(V_NSEC, "ent.nz.example.", "*.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("ent.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "nxdomain of an ENT");
	/* below an ENT: ce is y.ent, its wildcard must be denied */
	p = mk(V_NSEC, "a.y.ent.nz.example.", "*.y.ent.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("a.y.ent.nz.example."), &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nxdomain below an ENT");
	/* apex wrap-around: zzz sorts after zz, the last name */
	p = mk(V_NSEC, "zzz.nz.example.", "*.nz.example.", NULL);
	assert_true(ldns_cmp(p->rr[0].rdata, p->rr[0].owner) < 0); /* next is the apex */
	nsec_prove_nxdomain(&p->in, N("zzz.nz.example."), &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nxdomain after the last name");
	/* under a wildcard's parent: the wildcard exists, so no NXDOMAIN */
	p = mk(V_NSEC, "q.wild.nz.example.", "*.wild.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("q.wild.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_NO_WILDCARD_PROOF, "nxdomain under a wildcard");
	/* below a delegation: the parent's NSEC at the cut proves nothing */
	p = mk(V_NSEC, "sub.nz.example.", "*.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("a.sub.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_WRONG_SIDE, "nxdomain below a cut");
	/* below a DNAME: likewise */
	p = mk(V_NSEC, "dn.nz.example.", "*.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("a.dn.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_WRONG_SIDE, "nxdomain below a DNAME");
	/* a name outside the zone */
	p = mk(V_NSEC, "zzz.nz.example.", "*.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("a.other.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_WRONG_SIDE, "nxdomain outside the zone");
	/* no records at all */
	p = mk(V_NSEC, NULL);
	nsec_prove_nxdomain(&p->in, N("nope.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_MISSING, "nxdomain without records");
}

static void nsec_nodata(void **state)
{
	(void)state;
	struct nsec_verdict v;
	struct proof *p = mk(V_NSEC, "www.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("www.nz.example."), WIRE_T_MX, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nodata");
	assert_int_equal(v.nodata, NSEC_NODATA_MATCH);
	/* the type exists */
	nsec_prove_nodata(&p->in, N("www.nz.example."), WIRE_T_AAAA, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "nodata of an existing type");
	/* a CNAME is there: the answer should have been the CNAME */
	p = mk(V_NSEC, "cname.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("cname.nz.example."), WIRE_T_A, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "nodata at a CNAME");
	/* the wrong record: one that only covers */
	p = mk(V_NSEC, "www2.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("www2.nz.example."), WIRE_T_A, &v);
	assert_int_equal(v.result, NSEC_BOGUS);
	/* empty non-terminals: ent and y.ent */
	p = mk(V_NSEC, "ent.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("ent.nz.example."), WIRE_T_A, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nodata at an ENT");
	assert_int_equal(v.nodata, NSEC_NODATA_ENT);
	p = mk(V_NSEC, "y.ent.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("y.ent.nz.example."), WIRE_T_TXT, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nodata at a deeper ENT");
	/* DS at the unsigned delegation: the parent's NSEC (NS, no DS) */
	p = mk(V_NSEC, "sub.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("sub.nz.example."), WIRE_T_DS, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "DS nodata at a cut");
	/* but any other type at the cut is the child's to answer */
	nsec_prove_nodata(&p->in, N("sub.nz.example."), WIRE_T_A, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_WRONG_SIDE, "A nodata from the parent's NSEC at a cut");
	/* DS where there is one */
	p = mk(V_NSEC, "signed.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("signed.nz.example."), WIRE_T_DS, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "DS nodata where DS exists");
	/* DS denied by the child's apex NSEC (SOA set): the wrong side */
	p = mk(V_NSEC, "nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("nz.example."), WIRE_T_DS, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_WRONG_SIDE, "DS nodata from the child's apex");
	/* an apex type that is absent: fine */
	nsec_prove_nodata(&p->in, N("nz.example."), WIRE_T_MX, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "apex nodata");
}

static void nsec_wildcard(void **state)
{
	(void)state;
	struct nsec_verdict v;
	/* q.wild from *.wild (TXT): the RRSIG has 3 labels (wild.nz.example) */
	struct proof *p = mk(V_NSEC, "q.wild.nz.example.", NULL);
	nsec_prove_wildcard_answer(&p->in, N("q.wild.nz.example."), 3, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "wildcard answer");
	/* a deeper qname: a.b.wild, next closer b.wild covered too */
	p = mk(V_NSEC, "a.b.wild.nz.example.", NULL);
	nsec_prove_wildcard_answer(&p->in, N("a.b.wild.nz.example."), 3, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "deeper wildcard answer");
	/* a label count that claims a wildcard at the apex: the covering NSEC
	 * shows wild exists, so *.nz.example cannot have made it */
	nsec_prove_wildcard_answer(&p->in, N("a.b.wild.nz.example."), 2, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "wildcard answer from the wrong wildcard");
	/* no record at all */
	p = mk(V_NSEC, NULL);
	nsec_prove_wildcard_answer(&p->in, N("q.wild.nz.example."), 3, &v);
	assert_int_equal(v.result, NSEC_BOGUS);
	/* a name that exists cannot be a wildcard expansion */
	p = mk(V_NSEC, "www.nz.example.", NULL);
	nsec_prove_wildcard_answer(&p->in, N("www.nz.example."), 2, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "wildcard answer for an existing name");
	/* the wildcard's own name asked: nothing synthesised, nothing to deny */
	p = mk(V_NSEC, NULL);
	nsec_prove_wildcard_answer(&p->in, N("*.wild.nz.example."), 3, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "the wildcard itself");
	/* a label count above the zone's apex is no wildcard of this zone */
	p = mk(V_NSEC, "q.wild.nz.example.", NULL);
	nsec_prove_wildcard_answer(&p->in, N("q.wild.nz.example."), 1, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_MALFORMED, "wildcard above the zone");
	/* the exported cover test, on the record that wraps to the apex */
	const struct rec *last = pick(V_NSEC, N("zzz.nz.example."));
	assert_true(nsec_covers(last->owner, last->rdata, last->rdlen, N("zzz.nz.example.")));
	assert_false(nsec_covers(last->owner, last->rdata, last->rdlen, last->owner));
	assert_false(nsec_covers(last->owner, last->rdata, last->rdlen, N("nz.example.")));
	size_t bl;
	assert_non_null(nsec_bitmap(last->rdata, last->rdlen, &bl));
	assert_null(nsec_bitmap(last->rdata, 3, &bl));
	/* wildcard NODATA: q.wild A, denied by *.wild's NSEC (TXT only) */
	p = mk(V_NSEC, "q.wild.nz.example.", "*.wild.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("q.wild.nz.example."), WIRE_T_A, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "wildcard nodata");
	assert_int_equal(v.nodata, NSEC_NODATA_WILDCARD);
	nsec_prove_wildcard_nodata(&p->in, N("q.wild.nz.example."), WIRE_T_A, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "wildcard nodata (direct)");
	/* ... but TXT is there */
	nsec_prove_nodata(&p->in, N("q.wild.nz.example."), WIRE_T_TXT, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "wildcard nodata of an existing type");
	/* without the wildcard's NSEC */
	drop(p, V_NSEC, "*.wild.nz.example.");
	if (p->n > 0) {
		nsec_prove_nodata(&p->in, N("q.wild.nz.example."), WIRE_T_A, &v);
		assert_int_equal(v.result, NSEC_BOGUS);
	}
}

static void nsec_no_ds(void **state)
{
	(void)state;
	struct nsec_verdict v;
	struct proof *p = mk(V_NSEC, "sub.nz.example.", NULL);
	nsec_prove_no_ds(&p->in, N("sub.nz.example."), &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "no DS");
	/* the signed delegation has its DS */
	p = mk(V_NSEC, "signed.nz.example.", NULL);
	nsec_prove_no_ds(&p->in, N("signed.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "no DS at a signed delegation");
	/* www is no delegation (no NS) */
	p = mk(V_NSEC, "www.nz.example.", NULL);
	nsec_prove_no_ds(&p->in, N("www.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_WRONG_SIDE, "no DS at a name without NS");
	/* the apex's NSEC (NS and SOA) is the child's */
	p = mk(V_NSEC, "nz.example.", NULL);
	nsec_prove_no_ds(&p->in, N("nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_WRONG_SIDE, "no DS from an apex NSEC");
	/* a covering record is no proof */
	p = mk(V_NSEC, "sub2.nz.example.", NULL);
	nsec_prove_no_ds(&p->in, N("sub2.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_MISSING, "no DS from a covering NSEC");
}

/* ---- NSEC3 ----------------------------------------------------------- */

static void nsec3_nxdomain(void **state)
{
	(void)state;
	struct nsec_verdict v;
	/* ce nz.example (matched), next closer nope covered, *.nz covered */
	struct proof *p = mk(V_NSEC3, "nz.example.", "nope.nz.example.", "*.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("a.nope.nz.example."), &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nsec3 nxdomain");
	assert_true(v.nsec3);
	assert_true(v.hashes >= 3 && v.hashes <= 4);
	assert_int_equal(p->budget, NSEC_HASH_BUDGET - v.hashes);
	/* each of the three records is needed */
	const char *need[] = { "nz.example.", "nope.nz.example.", "*.nz.example." };
	for (int i = 0; i < 3; i++) {
		p = mk(V_NSEC3, "nz.example.", "nope.nz.example.", "*.nz.example.", NULL);
		const struct rec *r = pick(V_NSEC3, N(need[i]));
		bool shared = false;
		for (int j = 0; j < 3; j++)
			shared |= j != i && pick(V_NSEC3, N(need[j])) == r;
		if (shared)
			continue;
		drop(p, V_NSEC3, need[i]);
		nsec_prove_nxdomain(&p->in, N("a.nope.nz.example."), &v);
		if (v.result != NSEC_BOGUS)
			fail_msg("nsec3 nxdomain without the record for %s: %s", need[i],
				 nsec_result_text(v.result));
	}
	/* hash-order wrap-around: a name whose hash sorts after the last
	 * hashed owner (or before the first) is covered by the record whose
	 * next hash is smaller than its own */
	int wrapped = 0;
	for (int i = 0; i < 2000 && wrapped < 2; i++) {
		char nm[64];
		snprintf(nm, sizeof nm, "w%d.nz.example.", i);
		const struct rec *r = pick(V_NSEC3, N(nm));
		struct dnssec_nsec3 n3;
		assert_int_equal(dnssec_nsec3_parse(r->rdata, r->rdlen, &n3), DNSSEC_OK);
		uint8_t own[20];
		assert_int_equal(dnssec_b32hex_decode(r->owner + 1, r->owner[0], own, 20), 20);
		if (memcmp(n3.next, own, 20) >= 0)
			continue;
		wrapped++;
		p = mk(V_NSEC3, "nz.example.", nm, "*.nz.example.", NULL);
		nsec_prove_nxdomain(&p->in, N(nm), &v);
		expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nsec3 nxdomain, hash wrap-around");
		if (r == pick(V_NSEC3, N("nz.example.")) || r == pick(V_NSEC3, N("*.nz.example.")))
			continue;
		drop(p, V_NSEC3, nm);
		nsec_prove_nxdomain(&p->in, N(nm), &v);
		assert_int_equal(v.result, NSEC_BOGUS);
	}
	assert_true(wrapped > 0);
	/* an ENT (ent has its NSEC3): no NXDOMAIN */
	p = mk(V_NSEC3, "ent.nz.example.", "nz.example.", "*.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("ent.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "nsec3 nxdomain of an ENT");
	/* below the ENT chain: ce y.ent */
	p = mk(V_NSEC3, "y.ent.nz.example.", "q.y.ent.nz.example.", "*.y.ent.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("q.y.ent.nz.example."), &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nsec3 nxdomain below an ENT");
	/* the wildcard exists */
	p = mk(V_NSEC3, "wild.nz.example.", "q.wild.nz.example.", "*.wild.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("q.wild.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_NO_WILDCARD_PROOF, "nsec3 nxdomain under a wildcard");
	/* below a delegation: the closest encloser is a cut */
	p = mk(V_NSEC3, "sub.nz.example.", "a.sub.nz.example.", "*.sub.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("a.sub.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_WRONG_SIDE, "nsec3 nxdomain below a cut");
	/* NSEC and NSEC3 records together (a zone changing its denial): either
	 * chain's proof is enough */
	p = mk(V_NSEC3, "nz.example.", "nope.nz.example.", "*.nz.example.", NULL);
	add(p, pick(V_NSEC, N("www.nz.example.")));
	p->in.n = p->n;
	nsec_prove_nxdomain(&p->in, N("nope.nz.example."), &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nsec3 proof beside an unrelated NSEC");
	assert_true(v.nsec3);
	/* opt-out covering the next closer: insecure */
	p = mk(V_OPTOUT, "nz.example.", "nope.nz.example.", "*.nz.example.", NULL);
	nsec_prove_nxdomain(&p->in, N("nope.nz.example."), &v);
	expect(&v, NSEC_INSECURE, NSEC_WHY_OPTOUT, "opt-out nxdomain");
	assert_int_equal(v.ede, NSEC_EDE_NONE);
}

static void nsec3_nodata(void **state)
{
	(void)state;
	struct nsec_verdict v;
	struct proof *p = mk(V_NSEC3, "www.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("www.nz.example."), WIRE_T_MX, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nsec3 nodata");
	assert_int_equal(v.nodata, NSEC_NODATA_MATCH);
	nsec_prove_nodata(&p->in, N("www.nz.example."), WIRE_T_A, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "nsec3 nodata of an existing type");
	p = mk(V_NSEC3, "ent.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("ent.nz.example."), WIRE_T_A, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nsec3 nodata at an ENT");
	assert_int_equal(v.nodata, NSEC_NODATA_ENT);
	p = mk(V_NSEC3, "cname.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("cname.nz.example."), WIRE_T_A, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "nsec3 nodata at a CNAME");
	/* DS at the unsigned delegation, matched */
	p = mk(V_NSEC3, "sub.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("sub.nz.example."), WIRE_T_DS, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nsec3 DS nodata");
	nsec_prove_nodata(&p->in, N("sub.nz.example."), WIRE_T_A, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_WRONG_SIDE, "nsec3 A nodata at a cut");
	p = mk(V_NSEC3, "nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("nz.example."), WIRE_T_DS, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_WRONG_SIDE, "nsec3 DS nodata from the apex");
	/* DS in an opt-out span (sub left out of the chain): insecure */
	p = mk(V_OPTOUT_NOSUB, "nz.example.", "sub.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("sub.nz.example."), WIRE_T_DS, &v);
	expect(&v, NSEC_INSECURE, NSEC_WHY_OPTOUT, "nsec3 DS nodata, opt-out");
	assert_int_equal(v.nodata, NSEC_NODATA_OPTOUT);
	/* the same without opt-out: bogus */
	p = mk(V_NSEC3_NOSUB, "nz.example.", "sub.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("sub.nz.example."), WIRE_T_DS, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_MISSING, "nsec3 DS nodata, covered without opt-out");
	/* a covering record alone proves no NODATA for A */
	p = mk(V_NSEC3, "www2.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("www2.nz.example."), WIRE_T_A, &v);
	assert_int_equal(v.result, NSEC_BOGUS);
}

static void nsec3_wildcard(void **state)
{
	(void)state;
	struct nsec_verdict v;
	/* answer from *.wild: the next closer q.wild covered */
	struct proof *p = mk(V_NSEC3, "q.wild.nz.example.", NULL);
	nsec_prove_wildcard_answer(&p->in, N("q.wild.nz.example."), 3, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nsec3 wildcard answer");
	/* deeper: next closer b.wild */
	p = mk(V_NSEC3, "b.wild.nz.example.", NULL);
	nsec_prove_wildcard_answer(&p->in, N("a.b.wild.nz.example."), 3, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nsec3 deeper wildcard answer");
	/* the record for another name does not do */
	p = mk(V_NSEC3, "nz.example.", NULL);
	if (pick(V_NSEC3, N("nz.example.")) != pick(V_NSEC3, N("q.wild.nz.example."))) {
		nsec_prove_wildcard_answer(&p->in, N("q.wild.nz.example."), 3, &v);
		expect(&v, NSEC_BOGUS, NSEC_WHY_MISSING, "nsec3 wildcard answer, wrong record");
	}
	/* the next closer exists (wild, claimed for *.nz.example) */
	p = mk(V_NSEC3, "wild.nz.example.", NULL);
	nsec_prove_wildcard_answer(&p->in, N("q.wild.nz.example."), 2, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "nsec3 wildcard answer, next closer exists");
	/* wildcard NODATA: ce wild, next closer q.wild covered, *.wild matched */
	p = mk(V_NSEC3, "wild.nz.example.", "q.wild.nz.example.", "*.wild.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("q.wild.nz.example."), WIRE_T_A, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nsec3 wildcard nodata");
	assert_int_equal(v.nodata, NSEC_NODATA_WILDCARD);
	nsec_prove_nodata(&p->in, N("q.wild.nz.example."), WIRE_T_TXT, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "nsec3 wildcard nodata of an existing type");
	drop(p, V_NSEC3, "*.wild.nz.example.");
	nsec_prove_wildcard_nodata(&p->in, N("q.wild.nz.example."), WIRE_T_A, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_NO_WILDCARD_PROOF, "nsec3 wildcard nodata without *");
	/* the same in the opt-out zone: the span over the next closer may hide
	 * an unsigned delegation, so the answer is insecure (RFC 5155 9.2),
	 * with the wildcard's record or without it */
	p = mk(V_OPTOUT, "wild.nz.example.", "q.wild.nz.example.", "*.wild.nz.example.", NULL);
	nsec_prove_nodata(&p->in, N("q.wild.nz.example."), WIRE_T_A, &v);
	expect(&v, NSEC_INSECURE, NSEC_WHY_OPTOUT, "opt-out wildcard nodata");
	assert_int_equal(v.nodata, NSEC_NODATA_OPTOUT);
	nsec_prove_nodata(&p->in, N("q.wild.nz.example."), WIRE_T_TXT, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "opt-out wildcard nodata of an existing type");
	if (pick(V_OPTOUT, N("*.wild.nz.example.")) != pick(V_OPTOUT, N("q.wild.nz.example."))) {
		drop(p, V_OPTOUT, "*.wild.nz.example.");
		nsec_prove_wildcard_nodata(&p->in, N("q.wild.nz.example."), WIRE_T_A, &v);
		expect(&v, NSEC_INSECURE, NSEC_WHY_OPTOUT, "opt-out wildcard nodata without *");
	}
}

static void nsec3_no_ds(void **state)
{
	(void)state;
	struct nsec_verdict v;
	struct proof *p = mk(V_NSEC3, "sub.nz.example.", NULL);
	nsec_prove_no_ds(&p->in, N("sub.nz.example."), &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nsec3 no DS");
	p = mk(V_NSEC3, "signed.nz.example.", NULL);
	nsec_prove_no_ds(&p->in, N("signed.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_EXISTS, "nsec3 no DS at a signed delegation");
	/* opt-out: sub has no NSEC3; ce the apex, next closer sub in an opt-out span */
	p = mk(V_OPTOUT_NOSUB, "nz.example.", "sub.nz.example.", NULL);
	nsec_prove_no_ds(&p->in, N("sub.nz.example."), &v);
	expect(&v, NSEC_INSECURE, NSEC_WHY_OPTOUT, "nsec3 no DS by opt-out");
	/* without the closest encloser's record, no proof */
	if (pick(V_OPTOUT_NOSUB, N("nz.example.")) != pick(V_OPTOUT_NOSUB, N("sub.nz.example."))) {
		drop(p, V_OPTOUT_NOSUB, "nz.example.");
		nsec_prove_no_ds(&p->in, N("sub.nz.example."), &v);
		assert_int_equal(v.result, NSEC_BOGUS);
	}
	/* covered but no opt-out: bogus */
	p = mk(V_NSEC3_NOSUB, "nz.example.", "sub.nz.example.", NULL);
	nsec_prove_no_ds(&p->in, N("sub.nz.example."), &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_MISSING, "nsec3 no DS, covered without opt-out");
	/* records of the opt-out zone with a matching record work as usual */
	p = mk(V_OPTOUT, "sub.nz.example.", NULL);
	nsec_prove_no_ds(&p->in, N("sub.nz.example."), &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "nsec3 no DS, matched in an opt-out zone");
}

/* Hand-made NSEC3 records (flags, iterations, hash) for the bounds. */
static void mk_nsec3(struct rec *r, const char *zone, const uint8_t hash[20], const uint8_t next[20],
		     uint8_t alg, uint8_t flags, uint16_t iter)
{
	char text[300], label[40];
	b32hex(hash, 20, label);
	snprintf(text, sizeof text, "%s.%s", label, zone);
	assert_true(wire_name_from_text(text, r->owner) > 0);
	r->type = WIRE_T_NSEC3;
	uint8_t *d = r->rdata;
	d[0] = alg;
	d[1] = flags;
	d[2] = (uint8_t)(iter >> 8);
	d[3] = (uint8_t)iter;
	d[4] = 0; /* no salt */
	d[5] = 20;
	memcpy(d + 6, next, 20);
	d[26] = 0; /* window 0: A */
	d[27] = 1;
	d[28] = 0x40;
	r->rdlen = 29;
}

static void nsec3_bounds(void **state)
{
	(void)state;
	struct nsec_verdict v;
	static struct rec r[200];
	struct nsec_rr rr[200];
	uint8_t h[20], nx[20];
	const uint8_t *zone = N("nz.example.");
	/* 200 records of a chain that matches nothing (hashes 0x01.., 0x02.., ...) */
	for (int i = 0; i < 200; i++) {
		memset(h, 0, 20);
		memset(nx, 0, 20);
		h[0] = (uint8_t)i;
		h[19] = 1;
		nx[0] = (uint8_t)i;
		nx[19] = 2;
		mk_nsec3(&r[i], "nz.example.", h, nx, 1, 0, 0);
		rr[i] = (struct nsec_rr){ r[i].owner, r[i].type, r[i].rdata, r[i].rdlen };
	}
	/* a name of 120 labels: the closest encloser search would hash each */
	char q[600] = "";
	for (int i = 0; i < 120; i++)
		strcat(q, "a.");
	strcat(q, "nz.example.");
	uint8_t qname[WIRE_NAME_MAX];
	assert_true(wire_name_from_text(q, qname) > 0);
	unsigned budget = 30;
	struct nsec_in in = { rr, 200, zone, &budget };
	nsec_prove_nxdomain(&in, qname, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_BUDGET, "closest encloser search over budget");
	assert_int_equal(v.hashes, 30);
	assert_int_equal(budget, 0);
	assert_int_equal(v.ede, NSEC_EDE_DNSSEC_BOGUS);
	/* the budget is per request: a second proof with nothing left hashes nothing */
	nsec_prove_nodata(&in, qname, WIRE_T_A, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_BUDGET, "second proof, no budget");
	assert_int_equal(v.hashes, 0);
	/* with the default budget: stops at the budget, never at 121 hashes */
	budget = NSEC_HASH_BUDGET;
	nsec_prove_nxdomain(&in, qname, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_BUDGET, "default budget");
	assert_int_equal(v.hashes, NSEC_HASH_BUDGET);
	/* the CPU it costs: the same search with the records at the highest
	 * iterations accepted (150) stays at 100 hashes, a few milliseconds,
	 * where an unbounded one would do 121 per parameter set and per proof */
	for (int i = 0; i < 200; i++) {
		r[i].rdata[2] = 0;
		r[i].rdata[3] = DNSSEC_NSEC3_MAX_ITERATIONS;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	budget = NSEC_HASH_BUDGET;
	nsec_prove_nxdomain(&in, qname, &v);
	nsec_prove_nodata(&in, qname, WIRE_T_A, &v);
	nsec_prove_wildcard_nodata(&in, qname, WIRE_T_A, &v);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("NSEC3 closest encloser attack, 150 iterations: %u hashes, %.1f ms CPU\n",
		      NSEC_HASH_BUDGET, ms);
	assert_int_equal(budget, 0);
	assert_true(ms < 100.0);
	for (int i = 0; i < 200; i++)
		r[i].rdata[3] = 0;

	/* a legitimate short name with a large budget: not the budget's fault */
	budget = 1000;
	nsec_prove_nxdomain(&in, N("a.b.nz.example."), &v);
	assert_int_equal(v.result, NSEC_BOGUS);
	assert_true(v.why != NSEC_WHY_BUDGET);
	assert_true(v.hashes <= 3);

	/* only NSEC_MAX_RECORDS records are looked at: a matching record for
	 * the apex placed after them is ignored */
	uint8_t apex_hash[20];
	assert_int_equal(dnssec_nsec3_hash(zone, 1, 0, NULL, 0, 150, apex_hash), DNSSEC_OK);
	memcpy(nx, apex_hash, 20);
	nx[19] ^= 1;
	mk_nsec3(&r[NSEC_MAX_RECORDS], "nz.example.", apex_hash, nx, 1, 0, 0);
	rr[NSEC_MAX_RECORDS] = (struct nsec_rr){ r[NSEC_MAX_RECORDS].owner, WIRE_T_NSEC3,
						  r[NSEC_MAX_RECORDS].rdata, 29 };
	budget = 1000;
	nsec_prove_nodata(&in, zone, WIRE_T_MX, &v);
	assert_int_equal(v.result, NSEC_BOGUS); /* the 17th record, the match, unseen */
	in.n = NSEC_MAX_RECORDS + 1;
	rr[0] = rr[NSEC_MAX_RECORDS];
	nsec_prove_nodata(&in, zone, WIRE_T_MX, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "match within the records cap");

	/* iterations above the RFC 9276 cap: insecure, EDE 27, nothing hashed */
	mk_nsec3(&r[0], "nz.example.", apex_hash, nx, 1, 0, DNSSEC_NSEC3_MAX_ITERATIONS + 1);
	rr[0] = (struct nsec_rr){ r[0].owner, WIRE_T_NSEC3, r[0].rdata, 29 };
	in.n = 1;
	budget = 1000;
	nsec_prove_nodata(&in, zone, WIRE_T_MX, &v);
	expect(&v, NSEC_INSECURE, NSEC_WHY_ITERATIONS, "iterations above the cap");
	assert_int_equal(v.ede, NSEC_EDE_UNSUPPORTED_NSEC3_ITERATIONS);
	assert_int_equal(v.hashes, 0);
	/* at the cap: computed and proven */
	mk_nsec3(&r[0], "nz.example.", apex_hash, nx, 1, 0, 0);
	nsec_prove_nodata(&in, zone, WIRE_T_MX, &v);
	expect(&v, NSEC_PROVEN, NSEC_WHY_OK, "iterations 0");
	/* an unknown hash algorithm: insecure */
	mk_nsec3(&r[0], "nz.example.", apex_hash, nx, 2, 0, 0);
	nsec_prove_nodata(&in, zone, WIRE_T_MX, &v);
	expect(&v, NSEC_INSECURE, NSEC_WHY_HASH_ALG, "unknown hash algorithm");
	/* unknown flags: the record is ignored */
	mk_nsec3(&r[0], "nz.example.", apex_hash, nx, 1, 0x80, 0);
	nsec_prove_nodata(&in, zone, WIRE_T_MX, &v);
	expect(&v, NSEC_BOGUS, NSEC_WHY_MISSING, "unknown NSEC3 flags");
}

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	char ksk[256], zsk[256];
	test_keypair(dir, "-a ECDSAP256SHA256", "nz.example.", ksk, zsk, sizeof ksk);
	sign(ZONE_TEXT, "", V_NSEC, ksk, zsk);
	sign(ZONE_TEXT, "-n -t 3 -s 0a1b", V_NSEC3, ksk, zsk);
	sign(ZONE_TEXT, "-n -p -t 0", V_OPTOUT, ksk, zsk);
	sign(ZONE_NOSUB, "-n -p -t 0", V_OPTOUT_NOSUB, ksk, zsk);
	sign(ZONE_NOSUB, "-n -t 0", V_NSEC3_NOSUB, ksk, zsk);
	for (int v = 0; v < V_COUNT; v++)
		if (zn[v] < 10)
			return -1;
	return 0;
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
		cmocka_unit_test(canonical_order), cmocka_unit_test(nsec_nxdomain),
		cmocka_unit_test(nsec_nodata),	   cmocka_unit_test(nsec_wildcard),
		cmocka_unit_test(nsec_no_ds),	   cmocka_unit_test(nsec3_nxdomain),
		cmocka_unit_test(nsec3_nodata),	   cmocka_unit_test(nsec3_wildcard),
		cmocka_unit_test(nsec3_no_ds),	   cmocka_unit_test(nsec3_bounds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
