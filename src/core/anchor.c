/* anchor: the trust anchor set, its loaders (on ldns's zone-file reader,
 * like core/hints.c) and the closest-anchor lookup.
 *
 * Readers never lock: the array of trust points is fixed once loaded, and
 * each point's snapshot pointer is swapped atomically by RFC 5011 updates
 * (core/anchor_5011.c), the old snapshot staying allocated until the set is
 * freed. */
#include "core/anchor_int.h"

#include "core/dnssec.h"
#include "util/err.h"
#include "util/file.h"

#include <errno.h>
#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The root zone's trust anchor as IANA publishes it
 * (https://data.iana.org/root-anchors/root-anchors.xml): the SHA-256 DS of
 * KSK-2017 (key tag 20326) and of KSK-2024 (key tag 38696), the same
 * records Debian's dns-root-data ships in /usr/share/dns/root.ds (a unit
 * test compares them when that file exists). Used when no anchor is
 * configured and dns-root-data is not installed. */
static const char builtin_root[] =
	"; IANA root trust anchor (https://data.iana.org/root-anchors/root-anchors.xml)\n"
	"; KSK-2017\n"
	". 172800 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
	"; KSK-2024\n"
	". 172800 IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16\n";

const char *anchor_builtin_root_text(void)
{
	return builtin_root;
}

const char *anchor_state_name(enum anchor_state s)
{
	switch (s) {
	case ANCHOR_ST_START: return "START";
	case ANCHOR_ST_ADDPEND: return "ADDPEND";
	case ANCHOR_ST_VALID: return "VALID";
	case ANCHOR_ST_MISSING: return "MISSING";
	case ANCHOR_ST_REVOKED: return "REVOKED";
	case ANCHOR_ST_REMOVED: return "REMOVED";
	}
	return "?";
}

/* ---- the set ------------------------------------------------------------ */

struct anchor_set *anchor_set_new(void)
{
	struct anchor_set *set = calloc(1, sizeof(*set));
	if (!set)
		return NULL;
	if (pthread_mutex_init(&set->mu, NULL) != 0) {
		free(set);
		return NULL;
	}
	atomic_init(&set->generation, 0);
	set->add_holddown = ANCHOR_ADD_HOLDDOWN;
	set->del_holddown = ANCHOR_DEL_HOLDDOWN;
	set->keep_missing = ANCHOR_KEEP_MISSING;
	return set;
}

static void point_free(struct anchor_point *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->keys[i].rdata);
	free(p->keys);
	free(p->path);
	free(p);
}

void anchor_set_free(struct anchor_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		point_free(set->pts[i]);
	free(set->pts);
	free(set->nta);
	for (struct anchor_pub *p = set->pubs, *next; p; p = next) {
		next = p->next;
		free(p);
	}
	pthread_mutex_destroy(&set->mu);
	free(set);
}

void anchor_set_timers(struct anchor_set *set, uint32_t add_holddown, uint32_t del_holddown,
		       uint32_t keep_missing, bool permit_small)
{
	set->add_holddown = add_holddown;
	set->del_holddown = del_holddown;
	set->keep_missing = keep_missing;
	set->permit_small = permit_small;
}

size_t anchor_set_count(const struct anchor_set *set)
{
	return set->n;
}

size_t anchor_set_insecure_count(const struct anchor_set *set)
{
	return set->n_nta;
}

uint64_t anchor_set_generation(const struct anchor_set *set)
{
	return atomic_load_explicit(&((struct anchor_set *)(uintptr_t)set)->generation,
				    memory_order_acquire);
}

bool anchor_key_trusted(const struct anchor_key *k)
{
	if (k->state != ANCHOR_ST_VALID && k->state != ANCHOR_ST_MISSING)
		return false;
	if (k->type == WIRE_T_DNSKEY && k->len >= 2 && (k->rdata[1] & DNSSEC_FLAG_REVOKE))
		return false;
	return true;
}

int anchor_point_add_key(struct anchor_point *p, uint16_t type, const uint8_t *rdata,
			 uint16_t len, uint32_t ttl, enum anchor_state st, uint32_t count,
			 uint64_t lastchange)
{
	if (p->n == p->cap) {
		if (p->cap >= ANCHOR_MAX_RR)
			return PC_ELIMIT;
		size_t cap = p->cap ? p->cap * 2 : 4;
		struct anchor_key *k = realloc(p->keys, cap * sizeof(*k));
		if (!k)
			return PC_ENOMEM;
		p->keys = k;
		p->cap = cap;
	}
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return PC_ENOMEM;
	memcpy(copy, rdata, len);
	p->keys[p->n++] = (struct anchor_key){ .type = type, .len = len, .rdata = copy, .ttl = ttl,
					       .state = st, .count = count,
					       .lastchange = lastchange };
	return 0;
}

void anchor_point_del_key(struct anchor_point *p, size_t i)
{
	free(p->keys[i].rdata);
	memmove(&p->keys[i], &p->keys[i + 1], (p->n - i - 1) * sizeof(p->keys[0]));
	p->n--;
}

/* One block: the pub header, the DS and DNSKEY arrays, then the bytes. */
int anchor_publish(struct anchor_set *set, struct anchor_point *p, unsigned slot)
{
	size_t n_ds = 0, n_key = 0, bytes = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct anchor_key *k = &p->keys[i];
		if (!anchor_key_trusted(k))
			continue;
		if (k->type == WIRE_T_DS)
			n_ds++;
		else
			n_key++;
		bytes += k->len;
	}
	size_t size = sizeof(struct anchor_pub) + (n_ds + n_key) * sizeof(struct anchor_rr) + bytes;
	struct anchor_pub *pub = calloc(1, size);
	if (!pub)
		return PC_ENOMEM;
	struct anchor_rr *ds = (struct anchor_rr *)(pub + 1);
	struct anchor_rr *key = ds + n_ds;
	uint8_t *data = (uint8_t *)(key + n_key);
	size_t i_ds = 0, i_key = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct anchor_key *k = &p->keys[i];
		if (!anchor_key_trusted(k))
			continue;
		struct anchor_rr *r = k->type == WIRE_T_DS ? &ds[i_ds++] : &key[i_key++];
		memcpy(data, k->rdata, k->len);
		r->rdata = data;
		r->len = k->len;
		data += k->len;
		if (k->type == WIRE_T_DS) {
			struct dnssec_ds d;
			if (dnssec_ds_parse(k->rdata, k->len, &d) == DNSSEC_OK) {
				r->key_tag = d.key_tag;
				r->algorithm = d.algorithm;
				r->digest_type = d.digest_type;
			}
		} else {
			struct dnssec_dnskey d;
			if (dnssec_dnskey_parse(k->rdata, k->len, &d) == DNSSEC_OK) {
				r->key_tag = dnssec_key_tag(k->rdata, k->len);
				r->algorithm = d.algorithm;
				r->flags = d.flags;
			}
		}
	}
	struct anchor_tp *tp = &pub->tp;
	memcpy(tp->owner, p->owner, wire_name_len(p->owner));
	tp->labels = p->labels;
	tp->autotrust = p->autotrust;
	tp->ds = n_ds ? ds : NULL;
	tp->n_ds = n_ds;
	tp->dnskey = n_key ? key : NULL;
	tp->n_dnskey = n_key;
	tp->version = ++p->version;
	tp->slot = slot;
	pub->next = set->pubs;
	set->pubs = pub;
	atomic_store_explicit(&p->cur, tp, memory_order_release);
	return 0;
}

/* ---- lookup ------------------------------------------------------------- */

enum anchor_kind anchor_lookup(const struct anchor_set *set, const uint8_t *name,
			       const struct anchor_tp **tp_out)
{
	const struct anchor_tp *best = NULL;
	int best_labels = -1, nta_labels = -1;
	*tp_out = NULL;
	for (size_t i = 0; i < set->n; i++) {
		struct anchor_point *p = set->pts[i];
		if ((int)p->labels <= best_labels || !wire_name_in(name, p->owner))
			continue;
		const struct anchor_tp *tp =
			atomic_load_explicit(&p->cur, memory_order_acquire);
		if (!tp || tp->n_ds + tp->n_dnskey == 0)
			continue;
		best = tp;
		best_labels = (int)p->labels;
	}
	for (size_t i = 0; i < set->n_nta; i++) {
		int l = (int)wire_name_labels(set->nta[i]);
		if (l > nta_labels && wire_name_in(name, set->nta[i]))
			nta_labels = l;
	}
	/* A negative anchor at the very owner of a trust point wins: the
	 * operator said the zone is insecure. */
	if (nta_labels >= 0 && nta_labels >= best_labels)
		return ANCHOR_INSECURE;
	if (!best)
		return ANCHOR_NONE;
	*tp_out = best;
	return ANCHOR_TRUST;
}

const struct anchor_tp *anchor_set_point(const struct anchor_set *set, size_t i)
{
	if (i >= set->n)
		return NULL;
	return atomic_load_explicit(&set->pts[i]->cur, memory_order_acquire);
}

const struct anchor_tp *anchor_find_exact(const struct anchor_set *set, const uint8_t *owner)
{
	for (size_t i = 0; i < set->n; i++)
		if (wire_name_eq(set->pts[i]->owner, owner))
			return atomic_load_explicit(&set->pts[i]->cur, memory_order_acquire);
	return NULL;
}

int anchor_add_insecure(struct anchor_set *set, const uint8_t *name)
{
	for (size_t i = 0; i < set->n_nta; i++)
		if (wire_name_eq(set->nta[i], name))
			return 0;
	if (set->n_nta == set->cap_nta) {
		if (set->n + set->n_nta >= ANCHOR_MAX_POINTS)
			return PC_ELIMIT;
		size_t cap = set->cap_nta ? set->cap_nta * 2 : 4;
		uint8_t(*n)[WIRE_NAME_MAX] = realloc(set->nta, cap * sizeof(*n));
		if (!n)
			return PC_ENOMEM;
		set->nta = n;
		set->cap_nta = cap;
	}
	wire_name_copy(set->nta[set->n_nta], name);
	wire_name_lower(set->nta[set->n_nta]);
	set->n_nta++;
	return 0;
}

/* ---- loading ------------------------------------------------------------ */

/* A loader builds new points aside and merges them into the set only when
 * the whole text loaded, so a failed load leaves the set as it was. */
struct loader {
	const char *name;
	char *err;
	size_t errlen;
	bool autotrust;
	struct anchor_point **pts; /* new points, or existing ones extended */
	size_t n, cap;
	char warning[256]; /* the first record that loads but can never match */
	/* autotrust header fields read from ";;key: value" lines */
	uint64_t last_queried, last_success, next_probe;
	uint32_t query_failed, query_interval, retry_time;
};

__attribute__((format(printf, 4, 5)))
static int fail(struct loader *l, int rc, long line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pc_errf_at(l->err, l->errlen, l->name, line, fmt, ap);
	va_end(ap);
	return rc;
}

__attribute__((format(printf, 3, 4)))
static void warn_at(struct loader *l, long line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pc_errf_at(l->warning, sizeof(l->warning), l->name, line, fmt, ap);
	va_end(ap);
}

static struct anchor_point *loader_point(struct loader *l, const uint8_t *owner)
{
	for (size_t i = 0; i < l->n; i++)
		if (wire_name_eq(l->pts[i]->owner, owner))
			return l->pts[i];
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct anchor_point **pts = realloc(l->pts, cap * sizeof(*pts));
		if (!pts)
			return NULL;
		l->pts = pts;
		l->cap = cap;
	}
	struct anchor_point *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	wire_name_copy(p->owner, owner);
	wire_name_lower(p->owner);
	p->labels = wire_name_labels(p->owner);
	p->autotrust = l->autotrust;
	atomic_init(&p->cur, NULL);
	l->pts[l->n++] = p;
	return p;
}

/* The value after "key" in the raw text [s, e), as an unsigned number. */
static bool find_num(const char *s, const char *e, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *q = s; q + kl <= e; q++) {
		if (memcmp(q, key, kl) != 0)
			continue;
		q += kl;
		while (q < e && *q == ' ')
			q++;
		if (q >= e || *q < '0' || *q > '9')
			return false;
		uint64_t v = 0;
		while (q < e && *q >= '0' && *q <= '9') {
			if (v > (UINT64_MAX - 9) / 10)
				return false;
			v = v * 10 + (uint64_t)(*q++ - '0');
		}
		*out = v;
		return true;
	}
	return false;
}

static bool has_key(const char *s, const char *e, const char *key)
{
	size_t kl = strlen(key);
	for (const char *q = s; q + kl <= e; q++)
		if (memcmp(q, key, kl) == 0)
			return true;
	return false;
}

/* One DS or DNSKEY record. raw is its text (for the autotrust comments). */
static int take(struct loader *l, const ldns_rr *rr, long line, const char *raw, size_t raw_len)
{
	ldns_rr_type type = ldns_rr_get_type(rr);
	if (type != LDNS_RR_TYPE_DS && type != LDNS_RR_TYPE_DNSKEY) {
		char *tname = ldns_rr_type2str(type);
		int rc = fail(l, PC_EINVAL, line, "%s record: a trust anchor is a DS or DNSKEY record",
			      tname ? tname : "unknown");
		free(tname);
		return rc;
	}
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		return fail(l, PC_EINVAL, line, "class is not IN");
	const ldns_rdf *own = ldns_rr_owner(rr);
	uint8_t owner[WIRE_NAME_MAX];
	size_t on = own ? ldns_rdf_size(own) : 0;
	if (!own || ldns_rdf_get_type(own) != LDNS_RDF_TYPE_DNAME || on == 0 || on > WIRE_NAME_MAX)
		return fail(l, PC_EINVAL, line, "bad owner name");
	memcpy(owner, ldns_rdf_data(own), on);
	if (wire_name_len(owner) != on)
		return fail(l, PC_EINVAL, line, "bad owner name");
	/* Zone names are host names (letters, digits, '-', '_'): an owner with
	 * anything else is a typing accident, and refusing it keeps the
	 * autotrust file's text free of escapes ldns reads differently. */
	for (size_t i = 0; owner[i] != 0; i += (size_t)owner[i] + 1)
		for (size_t j = 1; j <= owner[i]; j++) {
			uint8_t c = owner[i + j];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return fail(l, PC_EINVAL, line,
					    "owner name with a character other than a letter, "
					    "digit, '-' or '_'");
		}

	uint8_t rdata[4096];
	size_t len = 0;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		size_t fl = ldns_rdf_size(f);
		if (len + fl > sizeof(rdata))
			return fail(l, PC_EINVAL, line, "record data longer than %zu bytes",
				    sizeof(rdata));
		memcpy(rdata + len, ldns_rdf_data(f), fl);
		len += fl;
	}
	uint16_t wtype = type == LDNS_RR_TYPE_DS ? WIRE_T_DS : WIRE_T_DNSKEY;
	if (wtype == WIRE_T_DS) {
		struct dnssec_ds d;
		if (dnssec_ds_parse(rdata, len, &d) != DNSSEC_OK)
			return fail(l, PC_EINVAL, line, "malformed DS record");
		size_t want = d.digest_type == 1 ? 20 : d.digest_type == 2 ? 32
			: d.digest_type == 4 ? 48 : 0;
		if (d.digest_len == 0)
			return fail(l, PC_EINVAL, line, "DS record without a digest");
		/* kept, as Unbound keeps it: it matches no key, so the names
		 * below are bogus until the anchor is mended; said loudly */
		if (want && d.digest_len != want && l->warning[0] == '\0')
			warn_at(l, line, "DS digest of %zu bytes, digest type %u needs %zu: this "
				    "anchor can match no key", d.digest_len, d.digest_type, want);
	} else {
		struct dnssec_dnskey d;
		if (dnssec_dnskey_parse(rdata, len, &d) != DNSSEC_OK || d.key_len == 0)
			return fail(l, PC_EINVAL, line, "malformed DNSKEY record");
		if (d.protocol != 3)
			return fail(l, PC_EINVAL, line, "DNSKEY protocol %u, must be 3", d.protocol);
		if (!(d.flags & DNSSEC_FLAG_ZONE))
			return fail(l, PC_EINVAL, line, "DNSKEY without the zone key flag (256)");
	}

	enum anchor_state st = ANCHOR_ST_VALID;
	uint64_t count = 0, lastchange = 0, v;
	if (l->autotrust && has_key(raw, raw + raw_len, ";;state=")) {
		if (!find_num(raw, raw + raw_len, ";;state=", &v) || v > ANCHOR_ST_REMOVED)
			return fail(l, PC_EINVAL, line, "bad ;;state= (0 to 5)");
		st = (enum anchor_state)v;
		if (has_key(raw, raw + raw_len, ";;count=") &&
		    (!find_num(raw, raw + raw_len, ";;count=", &count) || count > UINT32_MAX))
			return fail(l, PC_EINVAL, line, "bad ;;count=");
		if (has_key(raw, raw + raw_len, ";;lastchange=") &&
		    !find_num(raw, raw + raw_len, ";;lastchange=", &lastchange))
			return fail(l, PC_EINVAL, line, "bad ;;lastchange=");
	}
	if (l->autotrust && wtype == WIRE_T_DS && st != ANCHOR_ST_VALID)
		return fail(l, PC_EINVAL, line, "a DS anchor has no RFC 5011 state but VALID");
	if (st == ANCHOR_ST_START)
		return 0; /* Unbound's placeholder for a key it forgot */
	struct anchor_point *p = loader_point(l, owner);
	if (!p)
		return fail(l, PC_ENOMEM, line, "out of memory");
	if (l->autotrust && l->n > 1)
		return fail(l, PC_EINVAL, line,
			    "a second owner in an auto-trust-anchor-file (one trust point per file)");
	for (size_t i = 0; i < p->n; i++)
		if (p->keys[i].type == wtype && p->keys[i].len == len &&
		    memcmp(p->keys[i].rdata, rdata, len) == 0)
			return 0; /* the same record twice */
	int rc = anchor_point_add_key(p, wtype, rdata, (uint16_t)len, ldns_rr_ttl(rr), st,
				      (uint32_t)count, lastchange);
	if (rc == PC_ELIMIT)
		return fail(l, PC_EINVAL, line, "more than %d records for one trust anchor",
			    ANCHOR_MAX_RR);
	if (rc < 0)
		return fail(l, rc, line, "out of memory");
	return 0;
}

/* Unbound's autotrust header lines: ";;last_queried: 1700000000 ;;date". */
static int header_fields(struct loader *l, const char *text, size_t len)
{
	static const char *const keys[] = { ";;last_queried:", ";;last_success:",
					    ";;next_probe_time:", ";;query_failed:",
					    ";;query_interval:", ";;retry_time:" };
	long line = 1;
	for (const char *s = text, *end = text + len; s < end; line++) {
		const char *e = memchr(s, '\n', (size_t)(end - s));
		if (!e)
			e = end;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = strlen(keys[k]);
			if ((size_t)(e - s) < kl || memcmp(s, keys[k], kl) != 0)
				continue;
			uint64_t v;
			if (!find_num(s, e, keys[k], &v))
				return fail(l, PC_EINVAL, line, "bad number after %s", keys[k]);
			if (k >= 3 && v > UINT32_MAX)
				return fail(l, PC_EINVAL, line, "%s out of range", keys[k]);
			switch (k) {
			case 0: l->last_queried = v; break;
			case 1: l->last_success = v; break;
			case 2: l->next_probe = v; break;
			case 3: l->query_failed = (uint32_t)v; break;
			case 4: l->query_interval = (uint32_t)v; break;
			default: l->retry_time = (uint32_t)v; break;
			}
		}
		s = e + 1;
	}
	return 0;
}

static int run_ldns(struct loader *l, const char *text, size_t len, FILE *fp)
{
	uint32_t ttl = 3600;
	ldns_rdf *origin = ldns_dname_new_frm_str(".");
	ldns_rdf *prev = ldns_dname_new_frm_str(".");
	int line = 0, rc = 0;
	if (!origin || !prev) {
		rc = fail(l, PC_ENOMEM, 0, "out of memory");
		goto out;
	}
	while (rc == 0 && !feof(fp)) {
		ldns_rr *rr = NULL;
		int start = line + 1;
		long from = ftell(fp);
		ldns_status s = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &line);
		long to = ftell(fp);
		if (from < 0 || to < from || (size_t)to > len)
			from = to = 0;
		/* ldns skips blank and comment lines before a record in
		 * the same call: the record starts after them. */
		while (from < to) {
			const char *q = text + from, *e = text + to;
			while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q < e && *q != '\n' && *q != ';')
				break;
			const char *nl = memchr(q, '\n', (size_t)(e - q));
			if (!nl)
				break;
			from = nl + 1 - text;
			start++;
		}
		switch (s) {
		case LDNS_STATUS_OK:
			rc = take(l, rr, start, text + from, (size_t)(to - from));
			break;
		case LDNS_STATUS_SYNTAX_EMPTY:
		case LDNS_STATUS_SYNTAX_TTL:
		case LDNS_STATUS_SYNTAX_ORIGIN:
			break;
		case LDNS_STATUS_SYNTAX_INCLUDE:
			rc = fail(l, PC_EINVAL, start, "$INCLUDE is not supported in a trust anchor file");
			break;
		default:
			rc = fail(l, PC_EINVAL, start, "%s", ldns_get_errorstr_by_id(s));
			break;
		}
		ldns_rr_free(rr);
	}
out:
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	return rc;
}

static void loader_drop(struct loader *l)
{
	for (size_t i = 0; i < l->n; i++)
		point_free(l->pts[i]);
	free(l->pts);
}

/* Moves the loaded points into the set: records for an owner the set has
 * join it (plain anchors only), others become new points. */
static int merge(struct anchor_set *set, struct loader *l)
{
	size_t need = set->n + l->n;
	if (need + set->n_nta > ANCHOR_MAX_POINTS)
		return fail(l, PC_EINVAL, 0, "more than %d trust anchors", ANCHOR_MAX_POINTS);
	for (size_t i = 0; i < l->n; i++) {
		for (size_t j = 0; j < set->n; j++) {
			if (!wire_name_eq(set->pts[j]->owner, l->pts[i]->owner))
				continue;
			if (l->autotrust || set->pts[j]->autotrust)
				return fail(l, PC_EINVAL, 0,
					    "a trust anchor for this owner is already configured "
					    "(an auto-trust-anchor-file owner cannot have another)");
		}
	}
	if (need > set->cap) {
		size_t cap = set->cap ? set->cap : 4;
		while (cap < need)
			cap *= 2;
		struct anchor_point **pts = realloc(set->pts, cap * sizeof(*pts));
		if (!pts)
			return fail(l, PC_ENOMEM, 0, "out of memory");
		set->pts = pts;
		set->cap = cap;
	}
	/* Every allocation that can fail comes before the set changes. */
	size_t first_new = set->n;
	for (size_t i = 0; i < l->n; i++) {
		struct anchor_point *p = l->pts[i];
		size_t j;
		for (j = 0; j < first_new; j++)
			if (wire_name_eq(set->pts[j]->owner, p->owner))
				break;
		if (j < first_new) {
			struct anchor_point *q = set->pts[j];
			for (size_t k = 0; k < p->n; k++) {
				bool dup = false;
				for (size_t m = 0; m < q->n && !dup; m++)
					dup = q->keys[m].type == p->keys[k].type &&
					      q->keys[m].len == p->keys[k].len &&
					      memcmp(q->keys[m].rdata, p->keys[k].rdata,
						     p->keys[k].len) == 0;
				if (dup)
					continue;
				int rc = anchor_point_add_key(q, p->keys[k].type, p->keys[k].rdata,
							      p->keys[k].len, p->keys[k].ttl,
							      p->keys[k].state, 0, 0);
				if (rc < 0)
					return fail(l, rc == PC_ELIMIT ? PC_EINVAL : rc, 0, "%s",
						    rc == PC_ELIMIT
						    ? "too many records for one trust anchor"
						    : "out of memory");
			}
			if (anchor_publish(set, q, (unsigned)j) < 0)
				return fail(l, PC_ENOMEM, 0, "out of memory");
			point_free(p);
		} else {
			if (l->autotrust) {
				p->last_queried = l->last_queried;
				p->last_success = l->last_success;
				p->next_probe = l->next_probe;
				p->query_failed = l->query_failed;
				p->query_interval = l->query_interval;
				p->retry_time = l->retry_time;
				p->path = strdup(l->name);
				if (!p->path)
					return fail(l, PC_ENOMEM, 0, "out of memory");
			}
			if (anchor_publish(set, p, (unsigned)set->n) < 0)
				return fail(l, PC_ENOMEM, 0, "out of memory");
			set->pts[set->n++] = p;
		}
		l->pts[i] = NULL;
	}
	return 0;
}

static int add_text(struct anchor_set *set, const char *text, size_t len, const char *name,
		    bool autotrust, char *err, size_t errlen)
{
	struct loader l = { .name = name, .err = err, .errlen = errlen, .autotrust = autotrust };
	if (err && errlen)
		err[0] = '\0';
	if (len > ANCHOR_MAX_TEXT)
		return fail(&l, PC_EINVAL, 0, "larger than %d bytes", ANCHOR_MAX_TEXT);
	const char *nul = len ? memchr(text, '\0', len) : NULL;
	if (nul) {
		long ln = 1;
		for (const char *q = text; q < nul; q++)
			ln += *q == '\n';
		return fail(&l, PC_EINVAL, ln, "NUL byte in text");
	}
	int rc = 0;
	if (autotrust)
		rc = header_fields(&l, text, len);
	if (rc == 0 && len > 0) {
		FILE *fp = fmemopen((void *)(uintptr_t)text, len, "r");
		if (!fp)
			return fail(&l, PC_ENOMEM, 0, "cannot open text: %s", strerror(errno));
		rc = run_ldns(&l, text, len, fp);
		fclose(fp);
	}
	if (rc == 0 && l.n == 0)
		rc = fail(&l, PC_EINVAL, 0, "no DS or DNSKEY record");
	/* A file whose keys are all revoked or removed loads (Unbound keeps
	 * such a trust point too): lookups skip a point with nothing trusted,
	 * so the names below it are not validated, and the daemon still
	 * starts after a zone revoked its last key. */
	if (rc == 0)
		rc = merge(set, &l);
	if (rc == 0 && l.warning[0] != '\0' && set->warning[0] == '\0')
		memcpy(set->warning, l.warning, sizeof(set->warning));
	loader_drop(&l);
	return rc;
}

const char *anchor_set_warning(const struct anchor_set *set)
{
	return set->warning[0] != '\0' ? set->warning : NULL;
}

int anchor_add_text(struct anchor_set *set, const char *text, size_t len, const char *name,
		    char *err, size_t errlen)
{
	return add_text(set, text, len, name, false, err, errlen);
}

int anchor_add_auto_text(struct anchor_set *set, const char *text, size_t len, const char *path,
			 char *err, size_t errlen)
{
	return add_text(set, text, len, path, true, err, errlen);
}

static int add_file(struct anchor_set *set, const char *path, bool autotrust, char *err,
		    size_t errlen)
{
	char *buf;
	size_t len;
	int rc = file_read_bounded(path, ANCHOR_MAX_TEXT, &buf, &len, err, errlen);
	if (rc != 0)
		return rc;
	rc = add_text(set, buf, len, path, autotrust, err, errlen);
	free(buf);
	return rc;
}

int anchor_add_file(struct anchor_set *set, const char *path, char *err, size_t errlen)
{
	return add_file(set, path, false, err, errlen);
}

int anchor_add_auto_file(struct anchor_set *set, const char *path, char *err, size_t errlen)
{
	return add_file(set, path, true, err, errlen);
}

int anchor_add_builtin_root(struct anchor_set *set)
{
	char err[256];
	return add_text(set, builtin_root, sizeof(builtin_root) - 1, "built-in root anchor", false,
			err, sizeof(err));
}

int anchor_add_default_root(struct anchor_set *set, const char *path, const char **source,
			    char *err, size_t errlen)
{
	struct stat st;
	if (path && stat(path, &st) == 0) {
		if (source)
			*source = path;
		return anchor_add_file(set, path, err, errlen);
	}
	if (source)
		*source = "built-in";
	return anchor_add_builtin_root(set);
}
