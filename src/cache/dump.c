/* dump: the cache as text and back (dump.h). Records are written and read
 * by ldns (its presentation format, RFC 3597 for unknown types): a record
 * ldns cannot turn into text is written in the RFC 3597 form by hand. */
#include "cache/dump.h"

#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "wire/wire.h"

#define TTL_MAX 2147483647u
#define RDATA_MAX 65535u

static const char *const rank_word[] = { NULL, "glue", "referral", "nonauth", "auth" };

/* enum cache_sec's words, in its order. */
static const char *const sec_word[] = { "unchecked", "insecure", "secure", "bogus",
					"bogus-expired", "bogus-not-yet", "bogus-nokey",
					"bogus-nosig" };
#define N_SEC (sizeof(sec_word) / sizeof(sec_word[0]))

/* ---- writing ------------------------------------------------------------ */

struct writer {
	dump_sink_fn sink;
	void *ud;
	bool stopped;
	int phase;
	ldns_buffer *rdbuf;
	char line[1024];
};

static void put(struct writer *w, const char *text, size_t len)
{
	if (!w->stopped && w->sink(w->ud, text, len) != 0)
		w->stopped = true;
}

__attribute__((format(printf, 2, 3))) static void putf(struct writer *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(w->line, sizeof(w->line), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(w, w->line, (size_t)n < sizeof(w->line) ? (size_t)n : sizeof(w->line) - 1);
}

/* A name as text (wire.h's escapes), safe as a line's first word: a
 * leading '#' or ';' (a comment or a header) is escaped too. */
static void name_text(const uint8_t *name, char *out, size_t cap)
{
	char tmp[WIRE_NAME_MAX * 4 + 2];
	if (wire_name_to_text(name, tmp, sizeof(tmp)) < 0)
		tmp[0] = '\0';
	if (tmp[0] == '#' || tmp[0] == ';')
		snprintf(out, cap, "\\%03u%s", (unsigned)(unsigned char)tmp[0], tmp + 1);
	else
		snprintf(out, cap, "%s", tmp);
}

static void class_text(uint16_t rclass, char *out, size_t cap)
{
	char *s = ldns_rr_class2str((ldns_rr_class)rclass);
	snprintf(out, cap, "%s", s ? s : "CLASS0");
	free(s);
}

static void type_text(uint16_t type, char *out, size_t cap)
{
	char *s = ldns_rr_type2str((ldns_rr_type)type);
	snprintf(out, cap, "%s", s ? s : "TYPE0");
	free(s);
}

/* The text of a record after its owner ("TTL CLASS TYPE RDATA"), as ldns
 * writes it, if ldns reads it back to the same rdata; else NULL (ldns has
 * limits on names in text, for one), and the RFC 3597 form is used. */
static char *rr_rest(ldns_buffer *rdbuf, uint16_t type, uint16_t rclass, uint32_t ttl,
		     const uint8_t *rd, uint16_t rdlen)
{
	uint8_t *wire = malloc(11u + rdlen);
	if (wire == NULL)
		return NULL;
	uint8_t *p = wire;
	p[0] = 0; /* the root as owner: only the rest is wanted */
	p[1] = (uint8_t)(type >> 8), p[2] = (uint8_t)type;
	p[3] = (uint8_t)(rclass >> 8), p[4] = (uint8_t)rclass;
	p[5] = (uint8_t)(ttl >> 24), p[6] = (uint8_t)(ttl >> 16), p[7] = (uint8_t)(ttl >> 8);
	p[8] = (uint8_t)ttl, p[9] = (uint8_t)(rdlen >> 8), p[10] = (uint8_t)rdlen;
	if (rdlen)
		memcpy(p + 11, rd, rdlen);
	ldns_rr *rr = NULL, *back = NULL;
	size_t pos = 0;
	char *text = NULL;
	if (ldns_wire2rr(&rr, wire, 11u + rdlen, &pos, LDNS_SECTION_ANSWER) == LDNS_STATUS_OK &&
	    pos == 11u + rdlen)
		text = ldns_rr2str(rr);
	free(wire);
	ldns_rr_free(rr);
	/* ".\tTTL\tCLASS\tTYPE\tRDATA\n": one line, read back alike */
	bool ok = text != NULL && text[0] == '.' && (text[1] == '\t' || text[1] == ' ') &&
		  strchr(text, '\n') == text + strlen(text) - 1;
	if (ok) {
		text[strlen(text) - 1] = '\0';
		ok = ldns_rr_new_frm_str(&back, text, 0, NULL, NULL) == LDNS_STATUS_OK &&
		     ldns_rr_get_type(back) == type && ldns_rr_get_class(back) == rclass;
	}
	if (ok) {
		ldns_buffer_clear(rdbuf);
		ok = ldns_rr_rdata2buffer_wire(rdbuf, back) == LDNS_STATUS_OK &&
		     ldns_buffer_position(rdbuf) == rdlen &&
		     (rdlen == 0 || memcmp(ldns_buffer_begin(rdbuf), rd, rdlen) == 0);
	}
	ldns_rr_free(back);
	if (!ok) {
		free(text);
		return NULL;
	}
	memmove(text, text + 2, strlen(text + 2) + 1);
	return text;
}

/* One record, one line. */
static void put_rr(struct writer *w, const uint8_t *owner, uint16_t type, uint16_t rclass,
		   uint32_t ttl, const uint8_t *rd, uint16_t rdlen)
{
	char on[WIRE_NAME_MAX * 4 + 8];
	name_text(owner, on, sizeof(on));
	char *rest = rr_rest(w->rdbuf, type, rclass, ttl, rd, rdlen);
	put(w, on, strlen(on));
	if (rest != NULL) {
		put(w, "\t", 1);
		put(w, rest, strlen(rest));
		put(w, "\n", 1);
		free(rest);
		return;
	}
	/* RFC 3597: \# LENGTH HEX */
	char cl[32];
	class_text(rclass, cl, sizeof(cl));
	putf(w, "\t%u\t%s\tTYPE%u\t\\# %u ", ttl, cl, type, rdlen);
	for (uint16_t i = 0; i < rdlen; i++)
		putf(w, "%02x", rd[i]);
	put(w, "\n", 1);
}

/* The records kept beside an entry (its RRSIGs, a negative answer's
 * proofs), one line each, with the entry's TTL: they count down with it. */
static void put_extras(struct writer *w, const struct cache_entry *e)
{
	for (size_t i = 0; i < e->n_extra; i++) {
		struct cache_rr x = cache_entry_extra(e, i);
		put_rr(w, x.owner, x.type, e->rclass, e->ttl, x.rdata, x.rdlen);
	}
}

int dump_text_sink(void *ud, const char *text, size_t len)
{
	struct dump_text *t = ud;
	if (t->len + len + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		while (cap < t->len + len + 1)
			cap *= 2;
		char *b = realloc(t->buf, cap);
		if (b == NULL)
			return -1;
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, text, len);
	t->len += len;
	t->buf[t->len] = '\0';
	return 0;
}

char *dump_rr_text(const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
		   const uint8_t *rdata, uint16_t rdlen)
{
	struct dump_text t = { 0 };
	struct writer w = { .sink = dump_text_sink, .ud = &t, .rdbuf = ldns_buffer_new(RDATA_MAX + 1) };
	if (w.rdbuf == NULL)
		return NULL;
	put_rr(&w, owner, type, rclass, ttl, rdata, rdlen);
	ldns_buffer_free(w.rdbuf);
	if (w.stopped || t.buf == NULL) {
		free(t.buf);
		return NULL;
	}
	if (t.len > 0 && t.buf[t.len - 1] == '\n')
		t.buf[--t.len] = '\0';
	return t.buf;
}

static void put_entry(void *ud, const struct cache_entry *e)
{
	struct writer *w = ud;
	char on[WIRE_NAME_MAX * 4 + 8], cl[32], ty[32];
	if (w->stopped || (w->phase == 1) != (e->kind == CACHE_RRSET))
		return;
	const char *sec = (unsigned)e->sec < N_SEC ? sec_word[e->sec] : sec_word[0];
	if (e->kind == CACHE_RRSET) {
		putf(w, ";rrset %u %zu %s %zu %s\n", e->ttl, e->n_rdata, rank_word[e->rank],
		     e->n_extra, sec);
		for (size_t i = 0; i < e->n_rdata; i++) {
			struct cache_rdata rd = cache_entry_rdata(e, i);
			put_rr(w, e->owner, e->type, e->rclass, e->ttl, rd.data, rd.len);
		}
		put_extras(w, e);
		return;
	}
	name_text(e->owner, on, sizeof(on));
	class_text(e->rclass, cl, sizeof(cl));
	size_t nsoa = e->soa_owner && e->n_soa ? 1 : 0;
	if (e->kind == CACHE_NXDOMAIN) {
		putf(w, ";nxdomain %s %s %u %s %zu %zu %s\n", on, cl, e->ttl, rank_word[e->rank],
		     nsoa, e->n_extra, sec);
	} else {
		type_text(e->type, ty, sizeof(ty));
		putf(w, ";nodata %s %s %s %u %s %zu %zu %s\n", on, cl, ty, e->ttl,
		     rank_word[e->rank], nsoa, e->n_extra, sec);
	}
	if (nsoa) {
		struct cache_rdata rd = cache_entry_soa(e, 0);
		put_rr(w, e->soa_owner, WIRE_T_SOA, e->rclass, e->soa_ttl, rd.data, rd.len);
	}
	put_extras(w, e);
}

bool dump_part(struct cache *c, uint64_t now_ms, struct dump_state *st, size_t max_entries,
	       dump_sink_fn sink, void *ud)
{
	struct writer w = { .sink = sink, .ud = ud, .phase = st->phase,
			    .rdbuf = ldns_buffer_new(RDATA_MAX + 1) };
	if (w.rdbuf == NULL)
		return false;
	if (st->phase == 0) {
		put(&w, "START_RRSET_CACHE\n", 18);
		st->phase = w.phase = 1;
		st->pos = 0;
	}
	if (st->phase == 1 || st->phase == 2) {
		if (cache_walk(c, now_ms, &st->pos, max_entries, put_entry, &w)) {
			if (st->phase == 1)
				put(&w, "END_RRSET_CACHE\nSTART_NEGATIVE_CACHE\n", 37);
			else
				put(&w, "END_NEGATIVE_CACHE\nEOF\n", 23);
			st->phase++;
			st->pos = 0;
		}
	}
	ldns_buffer_free(w.rdbuf);
	return st->phase == 3 && !w.stopped;
}

/* ---- reading ------------------------------------------------------------ */

enum expect {
	X_START,     /* START_RRSET_CACHE */
	X_RRSET,     /* ;rrset or END_RRSET_CACHE */
	X_RR,        /* a record of the RRset, or one kept beside it */
	X_NEG_START, /* START_NEGATIVE_CACHE */
	X_NEG,       /* ;nxdomain, ;nodata or END_NEGATIVE_CACHE */
	X_SOA,       /* the SOA of a negative entry, or a record kept beside it */
	X_EOF,       /* EOF */
	X_DONE,      /* nothing but blank lines and comments */
	X_FAILED,
};

struct dump_loader {
	struct cache *c;
	uint64_t now;
	uint32_t bogus_ttl;
	dump_stored_fn on_store;
	void *on_store_ud;
	enum expect x;
	size_t line_no, loaded;
	ldns_rdf *root;
	ldns_buffer *rdbuf;
	/* the entry being read */
	uint32_t ttl;
	enum cache_rank rank;
	enum cache_kind kind;
	enum cache_sec sec;
	size_t want, have;     /* the entry's own records (an RRset's, a negative one's SOA) */
	size_t want_x, have_x; /* the records kept beside it */
	uint8_t owner[WIRE_NAME_MAX];
	uint8_t soa_owner[WIRE_NAME_MAX];
	struct cache_rr xr[CACHE_EXTRA_MAX];
	uint8_t x_owner[CACHE_EXTRA_MAX][WIRE_NAME_MAX];
	uint16_t type, rclass;
	size_t rd_used;
	struct cache_rdata *rd; /* want of them */
	uint8_t *blob;          /* the entry's rdata, grown as needed up to RDATA_MAX */
	size_t blob_cap;
	char *text;             /* the line, NUL-terminated, grown as needed */
	size_t text_cap;
};

struct dump_loader *dump_loader_new(struct cache *c, uint64_t now_ms, uint32_t bogus_ttl)
{
	struct dump_loader *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->c = c;
	l->now = now_ms;
	l->bogus_ttl = bogus_ttl;
	l->root = ldns_dname_new_frm_str(".");
	l->rdbuf = ldns_buffer_new(RDATA_MAX + 1);
	if (l->root == NULL || l->rdbuf == NULL) {
		dump_loader_free(l);
		return NULL;
	}
	return l;
}

void dump_loader_free(struct dump_loader *l)
{
	if (l == NULL)
		return;
	ldns_rdf_deep_free(l->root);
	if (l->rdbuf)
		ldns_buffer_free(l->rdbuf);
	free(l->rd);
	free(l->blob);
	free(l->text);
	free(l);
}

void dump_loader_on_store(struct dump_loader *l, dump_stored_fn fn, void *ud)
{
	l->on_store = fn;
	l->on_store_ud = ud;
}

size_t dump_loaded(const struct dump_loader *l)
{
	return l->loaded;
}

__attribute__((format(printf, 4, 5))) static int fault(struct dump_loader *l, char *err,
						       size_t errlen, const char *fmt, ...)
{
	int n = snprintf(err, errlen, "line %zu: ", l->line_no);
	if (n >= 0 && (size_t)n < errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	l->x = X_FAILED;
	return -1;
}

/* Split text (modified) into at most max words on blanks; returns count,
 * or max + 1 when there are more. */
static size_t words(char *text, char **w, size_t max)
{
	size_t n = 0;
	for (char *p = text;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return n;
		if (n == max)
			return max + 1;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* A decimal number without sign or junk, at most max. */
static bool number(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (*s == '\0' || strlen(s) > 10)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool rank_of(const char *s, enum cache_rank *out)
{
	for (int r = CACHE_RANK_GLUE; r <= CACHE_RANK_AUTH; r++)
		if (strcmp(s, rank_word[r]) == 0) {
			*out = (enum cache_rank)r;
			return true;
		}
	return false;
}

static bool sec_of(const char *s, enum cache_sec *out)
{
	for (size_t i = 0; i < N_SEC; i++)
		if (strcmp(s, sec_word[i]) == 0) {
			*out = (enum cache_sec)i;
			return true;
		}
	return false;
}

static bool name_of(const char *s, uint8_t out[WIRE_NAME_MAX])
{
	return wire_name_from_text(s, out) > 0;
}

static bool class_of(const char *s, uint16_t *out)
{
	ldns_rr_class c = ldns_get_rr_class_by_name(s);
	*out = (uint16_t)c;
	return c != 0;
}

static int store(struct dump_loader *l, char *err, size_t errlen);

/* The header's tail "NEXTRA SEC" (w[0], w[1]); absent (n == 0) in the
 * dumps made before statuses were kept: nothing beside, unchecked. */
static bool extras_of(struct dump_loader *l, char **w, size_t n)
{
	uint32_t nx = 0;
	l->sec = CACHE_SEC_UNCHECKED;
	if (n != 0 && (n != 2 || !number(w[0], CACHE_EXTRA_MAX, &nx) || !sec_of(w[1], &l->sec)))
		return false;
	l->want_x = nx;
	l->have_x = 0;
	return true;
}

/* ";rrset TTL COUNT RANK NEXTRA SEC" (or without NEXTRA SEC) */
static int rrset_header(struct dump_loader *l, char **w, size_t n, char *err, size_t errlen)
{
	uint32_t count;
	if ((n != 4 && n != 6) || !number(w[1], TTL_MAX, &l->ttl) ||
	    !number(w[2], RDATA_MAX, &count) || count == 0 || !rank_of(w[3], &l->rank) ||
	    !extras_of(l, w + 4, n - 4))
		return fault(l, err, errlen, "expected \";rrset TTL COUNT RANK NEXTRA SEC\"");
	free(l->rd);
	l->rd = malloc(count * sizeof(*l->rd));
	if (l->rd == NULL)
		return fault(l, err, errlen, "out of memory");
	l->kind = CACHE_RRSET;
	l->want = count;
	l->have = l->rd_used = 0;
	l->x = X_RR;
	return 0;
}

/* ";nxdomain OWNER CLASS TTL RANK NSOA NEXTRA SEC" or
 * ";nodata OWNER CLASS TYPE TTL RANK NSOA NEXTRA SEC" (or without NEXTRA SEC) */
static int negative_header(struct dump_loader *l, char **w, size_t n, char *err, size_t errlen)
{
	bool nx = strcmp(w[0], ";nxdomain") == 0;
	size_t need = nx ? 6 : 7, i = 3;
	uint32_t nsoa;
	l->type = CACHE_TYPE_NXDOMAIN;
	if ((n != need && n != need + 2) || !name_of(w[1], l->owner) ||
	    !class_of(w[2], &l->rclass) ||
	    (!nx && (l->type = (uint16_t)ldns_get_rr_type_by_name(w[i++])) == 0) ||
	    !number(w[i], TTL_MAX, &l->ttl) || !rank_of(w[i + 1], &l->rank) ||
	    !number(w[i + 2], 1, &nsoa) || !extras_of(l, w + need, n - need))
		return fault(l, err, errlen,
			     nx ? "expected \";nxdomain OWNER CLASS TTL RANK NSOA NEXTRA SEC\""
				: "expected \";nodata OWNER CLASS TYPE TTL RANK NSOA NEXTRA SEC\"");
	l->kind = nx ? CACHE_NXDOMAIN : CACHE_NODATA;
	l->want = nsoa;
	l->have = l->rd_used = 0;
	free(l->rd);
	l->rd = malloc(sizeof(*l->rd));
	if (l->rd == NULL)
		return fault(l, err, errlen, "out of memory");
	l->x = X_SOA;
	return nsoa == 0 && l->want_x == 0 ? store(l, err, errlen) : 0;
}

static int store(struct dump_loader *l, char *err, size_t errlen)
{
	int rc;
	size_t off = 0;
	for (size_t i = 0; i < l->have; off += l->rd[i].len, i++)
		l->rd[i].data = l->rd[i].len ? l->blob + off : NULL;
	for (size_t i = 0; i < l->have_x; off += l->xr[i].rdlen, i++) {
		l->xr[i].owner = l->x_owner[i];
		l->xr[i].rdata = l->xr[i].rdlen ? l->blob + off : NULL;
	}
	/* bogus data is kept val-bogus-ttl at most, whatever the file says */
	struct cache_judged j = { l->sec, cache_sec_bogus(l->sec) ? l->bogus_ttl : UINT32_MAX };
	if (l->kind == CACHE_RRSET)
		rc = cache_put_rrset_judged(l->c, l->owner, l->type, l->rclass, l->ttl, l->rd,
					    l->have, l->xr, l->have_x, l->rank, &j, l->now);
	else
		rc = cache_put_negative_judged(l->c, l->kind, l->owner, l->type, l->rclass, l->ttl,
					       l->have ? l->soa_owner : NULL, l->rd, l->have, l->xr,
					       l->have_x, l->rank, &j, l->now);
	if (rc == 0) {
		l->loaded++;
		if (l->on_store != NULL)
			l->on_store(l->on_store_ud, l->owner, l->type, l->rclass);
	} else if (rc != PC_EEXIST) /* a better entry held: kept, not an error */
		return fault(l, err, errlen, "the cache refused the entry (%s)",
			     rc == PC_ENOMEM ? "out of memory" : "invalid or larger than the cache");
	l->x = l->kind == CACHE_RRSET ? X_RRSET : X_NEG;
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* "TTL CLASS TYPE \\# LENGTH HEX..." (RFC 3597), read here: ldns turns it
 * into the type's own fields and so refuses rdata that does not fit them,
 * which the cache may hold (rdata is stored as it came) and the dump writes
 * in this form. Returns 1 with the rdata in l->rdbuf, 0 when the line is
 * not in this form (ldns reads it), -1 when it is but is malformed. */
static int generic(struct dump_loader *l, char *rest, uint16_t *type, uint16_t *rclass,
		   size_t *rdlen)
{
	char *w[4];
	char *p = rest;
	int cut = 0; /* words NUL-terminated so far */
	for (int i = 0; i < 4; i++) {
		p += strspn(p, " \t");
		w[i] = p;
		p += strcspn(p, " \t");
		if (*p == '\0' && i < 3)
			goto not_generic;
		if (i < 3) {
			*p++ = '\0';
			cut++;
		}
	}
	if (strncmp(w[3], "\\#", 2) != 0 || (w[3][2] != ' ' && w[3][2] != '\t'))
		goto not_generic;
	uint32_t ttl, len;
	ldns_rr_type ty = ldns_get_rr_type_by_name(w[2]);
	ldns_rr_class cl = ldns_get_rr_class_by_name(w[1]);
	p = w[3] + 2;
	p += strspn(p, " \t");
	char *lentext = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	if (!number(w[0], TTL_MAX, &ttl) || ty == 0 || cl == 0 ||
	    !number(lentext, RDATA_MAX, &len))
		return -1;
	ldns_buffer_clear(l->rdbuf);
	size_t got = 0;
	for (; *p; p++) {
		if (*p == ' ' || *p == '\t')
			continue;
		int hi = hexval(p[0]), lo = p[1] ? hexval(p[1]) : -1;
		if (hi < 0 || lo < 0 || got == len)
			return -1;
		uint8_t b = (uint8_t)(hi << 4 | lo);
		ldns_buffer_write(l->rdbuf, &b, 1);
		got++;
		p++;
	}
	if (got != len || !ldns_buffer_status_ok(l->rdbuf))
		return -1;
	*type = (uint16_t)ty;
	*rclass = (uint16_t)cl;
	*rdlen = len;
	return 1;
not_generic:
	/* put the words back together for ldns */
	for (int i = 0; i < cut; i++)
		w[i][strlen(w[i])] = ' ';
	return 0;
}

/* A record line of the entry being read. */
static int record(struct dump_loader *l, char *err, size_t errlen)
{
	/* The owner is read here (ldns limits names in text to 255
	 * characters, escapes included); ldns reads the rest after a "."
	 * put in the owner's place. */
	char *t = l->text + strspn(l->text, " \t");
	size_t wl = strcspn(t, " \t");
	if (t[wl] == '\0')
		return fault(l, err, errlen, "not a record: nothing after the owner");
	t[wl] = '\0';
	uint8_t owner[WIRE_NAME_MAX];
	int olen_rc = wire_name_from_text(t, owner);
	if (olen_rc <= 0)
		return fault(l, err, errlen, "not a record: the owner is not a domain name");
	size_t olen = (size_t)olen_rc;
	uint16_t type, rclass;
	size_t rdlen;
	int g = generic(l, t + wl + 1, &type, &rclass, &rdlen);
	if (g < 0)
		return fault(l, err, errlen, "not a record: bad RFC 3597 \\# data");
	if (g == 0) {
		t[wl - 1] = '.';
		t[wl] = ' ';
		ldns_rr *rr = NULL;
		ldns_status s = ldns_rr_new_frm_str(&rr, t + wl - 1, 0, l->root, NULL);
		if (s != LDNS_STATUS_OK || rr == NULL) {
			ldns_rr_free(rr);
			return fault(l, err, errlen, "not a record: %s", ldns_get_errorstr_by_id(s));
		}
		type = (uint16_t)ldns_rr_get_type(rr);
		rclass = (uint16_t)ldns_rr_get_class(rr);
		ldns_buffer_clear(l->rdbuf);
		bool rd_ok = ldns_rr_rdata2buffer_wire(l->rdbuf, rr) == LDNS_STATUS_OK &&
			     ldns_buffer_status_ok(l->rdbuf);
		rdlen = ldns_buffer_position(l->rdbuf);
		ldns_rr_free(rr);
		if (!rd_ok)
			return fault(l, err, errlen, "record too large or invalid");
	}
	bool own = l->have < l->want; /* else a record kept beside the entry */
	if (!own) {
		if (rclass != l->rclass)
			return fault(l, err, errlen, "a record kept beside the entry is of another class");
		if (type == 0)
			return fault(l, err, errlen, "type 0");
	} else if (l->kind != CACHE_RRSET) {
		if (type != WIRE_T_SOA || rclass != l->rclass || !wire_name_in(l->owner, owner))
			return fault(l, err, errlen, "expected the SOA of a zone holding the name");
		memcpy(l->soa_owner, owner, olen);
	} else if (l->have == 0) {
		memcpy(l->owner, owner, olen);
		l->type = type;
		l->rclass = rclass;
		if (type == CACHE_TYPE_NXDOMAIN)
			return fault(l, err, errlen, "type 0");
	} else if (!wire_name_eq(owner, l->owner) || type != l->type || rclass != l->rclass) {
		return fault(l, err, errlen, "record not of the RRset (owner, class and type differ)");
	}
	if (l->rd_used + rdlen > RDATA_MAX)
		return fault(l, err, errlen, "more than %u bytes of rdata in one entry", RDATA_MAX);
	if (l->rd_used + rdlen > l->blob_cap) {
		size_t cap = l->blob_cap ? l->blob_cap : 1024;
		while (cap < l->rd_used + rdlen)
			cap *= 2;
		uint8_t *b = realloc(l->blob, cap);
		if (b == NULL)
			return fault(l, err, errlen, "out of memory");
		l->blob = b;
		l->blob_cap = cap;
	}
	if (rdlen > 0)
		memcpy(l->blob + l->rd_used, ldns_buffer_begin(l->rdbuf), rdlen);
	l->rd_used += rdlen;
	/* the data pointers are set by store(): the block may still move */
	if (own) {
		l->rd[l->have].data = NULL;
		l->rd[l->have].len = (uint16_t)rdlen;
		l->have++;
	} else {
		memcpy(l->x_owner[l->have_x], owner, olen);
		l->xr[l->have_x] = (struct cache_rr){ .type = type, .rdlen = (uint16_t)rdlen };
		l->have_x++;
	}
	if (l->have < l->want || l->have_x < l->want_x)
		return 0;
	return store(l, err, errlen);
}

int dump_load_line(struct dump_loader *l, const char *line, size_t len, char *err, size_t errlen)
{
	if (l->x == X_FAILED) {
		snprintf(err, errlen, "line %zu: after an earlier error", l->line_no);
		return -1;
	}
	l->line_no++;
	if (len > DUMP_LINE_MAX)
		return fault(l, err, errlen, "longer than %u bytes", DUMP_LINE_MAX);
	if (len && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len))
		return fault(l, err, errlen, "NUL byte");
	if (len + 1 > l->text_cap) {
		size_t cap = l->text_cap ? l->text_cap : 256;
		while (cap < len + 1)
			cap *= 2;
		char *t = realloc(l->text, cap);
		if (t == NULL)
			return fault(l, err, errlen, "out of memory");
		l->text = t;
		l->text_cap = cap;
	}
	memcpy(l->text, line, len);
	l->text[len] = '\0';
	const char *p = l->text + strspn(l->text, " \t");
	if (*p == '\0' || *p == '#')
		return 0;
	if (l->x == X_RR || l->x == X_SOA)
		return record(l, err, errlen);
	char *w[12];
	size_t n = words(l->text, w, 11);
	const char *want = l->x == X_START ? "START_RRSET_CACHE"
			   : l->x == X_NEG_START ? "START_NEGATIVE_CACHE"
			   : l->x == X_EOF ? "EOF" : NULL;
	if (want != NULL) {
		if (n != 1 || strcmp(w[0], want) != 0)
			return fault(l, err, errlen, "expected %s", want);
		l->x = l->x == X_START ? X_RRSET : l->x == X_NEG_START ? X_NEG : X_DONE;
		return 0;
	}
	if (l->x == X_DONE)
		return fault(l, err, errlen, "text after EOF");
	if (l->x == X_RRSET) {
		if (n == 1 && strcmp(w[0], "END_RRSET_CACHE") == 0) {
			l->x = X_NEG_START;
			return 0;
		}
		if (n >= 1 && strcmp(w[0], ";rrset") == 0)
			return rrset_header(l, w, n, err, errlen);
		return fault(l, err, errlen, "expected \";rrset\" or END_RRSET_CACHE");
	}
	if (n == 1 && strcmp(w[0], "END_NEGATIVE_CACHE") == 0) {
		l->x = X_EOF;
		return 0;
	}
	if (n >= 1 && (strcmp(w[0], ";nxdomain") == 0 || strcmp(w[0], ";nodata") == 0))
		return negative_header(l, w, n, err, errlen);
	return fault(l, err, errlen, "expected \";nxdomain\", \";nodata\" or END_NEGATIVE_CACHE");
}

int dump_load_end(struct dump_loader *l, char *err, size_t errlen)
{
	if (l->x == X_FAILED) {
		snprintf(err, errlen, "line %zu: after an earlier error", l->line_no);
		return -1;
	}
	if (l->x == X_DONE)
		return 0;
	l->line_no++;
	return fault(l, err, errlen, "the input ends before its EOF line (cut short?)");
}
