/* hints: root hints loader on top of ldns's master-file reader.
 *
 * ldns reads one record per call from a FILE; text in memory is handed to it
 * through fmemopen so that files, buffers and the built-in list share every
 * line of parsing code. ldns does the zone-file syntax; this module decides
 * which records matter and whether the set is usable. */
#include "core/hints.h"

#include "util/err.h"
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* IANA root hints (https://www.iana.org/domains/root/files), written out
 * here so a daemon without a hints file can still find the root. */
static const char builtin_hints[] =
	"; IANA root hints, built into portcullis\n"
	"$TTL 3600000\n"
	".                    NS    a.root-servers.net.\n"
	".                    NS    b.root-servers.net.\n"
	".                    NS    c.root-servers.net.\n"
	".                    NS    d.root-servers.net.\n"
	".                    NS    e.root-servers.net.\n"
	".                    NS    f.root-servers.net.\n"
	".                    NS    g.root-servers.net.\n"
	".                    NS    h.root-servers.net.\n"
	".                    NS    i.root-servers.net.\n"
	".                    NS    j.root-servers.net.\n"
	".                    NS    k.root-servers.net.\n"
	".                    NS    l.root-servers.net.\n"
	".                    NS    m.root-servers.net.\n"
	"a.root-servers.net.  A     198.41.0.4\n"
	"a.root-servers.net.  AAAA  2001:503:ba3e::2:30\n"
	"b.root-servers.net.  A     170.247.170.2\n"
	"b.root-servers.net.  AAAA  2801:1b8:10::b\n"
	"c.root-servers.net.  A     192.33.4.12\n"
	"c.root-servers.net.  AAAA  2001:500:2::c\n"
	"d.root-servers.net.  A     199.7.91.13\n"
	"d.root-servers.net.  AAAA  2001:500:2d::d\n"
	"e.root-servers.net.  A     192.203.230.10\n"
	"e.root-servers.net.  AAAA  2001:500:a8::e\n"
	"f.root-servers.net.  A     192.5.5.241\n"
	"f.root-servers.net.  AAAA  2001:500:2f::f\n"
	"g.root-servers.net.  A     192.112.36.4\n"
	"g.root-servers.net.  AAAA  2001:500:12::d0d\n"
	"h.root-servers.net.  A     198.97.190.53\n"
	"h.root-servers.net.  AAAA  2001:500:1::53\n"
	"i.root-servers.net.  A     192.36.148.17\n"
	"i.root-servers.net.  AAAA  2001:7fe::53\n"
	"j.root-servers.net.  A     192.58.128.30\n"
	"j.root-servers.net.  AAAA  2001:503:c27::2:30\n"
	"k.root-servers.net.  A     193.0.14.129\n"
	"k.root-servers.net.  AAAA  2001:7fd::1\n"
	"l.root-servers.net.  A     199.7.83.42\n"
	"l.root-servers.net.  AAAA  2001:500:9f::42\n"
	"m.root-servers.net.  A     202.12.27.33\n"
	"m.root-servers.net.  AAAA  2001:dc3::35\n";

/* Loader state: the growing result and, beside it, the line of each record
 * so the final checks can point at the record at fault. */
struct loader {
	const char *name;
	char *err;
	size_t errlen;
	struct hints h;
	size_t *lines;
	size_t cap;
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

/* Text form of a wire name for messages. */
static const char *name_text(const uint8_t *name, char *buf, size_t cap)
{
	if (wire_name_to_text(name, buf, cap) < 0)
		snprintf(buf, cap, "(unprintable name)");
	return buf;
}

bool hints_copy_dname(const ldns_rdf *rdf, uint8_t out[WIRE_NAME_MAX], uint16_t *len)
{
	if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
		return false;
	size_t n = ldns_rdf_size(rdf);
	if (n == 0 || n > WIRE_NAME_MAX)
		return false;
	memcpy(out, ldns_rdf_data(rdf), n);
	/* Make sure the bytes form one complete name before the codec walks it. */
	size_t pos = 0;
	while (pos < n && out[pos] != 0)
		pos += (size_t)out[pos] + 1;
	if (pos != n - 1)
		return false;
	wire_name_lower(out);
	if (len)
		*len = (uint16_t)n;
	return true;
}

static int push(struct loader *l, const struct hints_rr *rr, size_t line)
{
	if (l->h.n == l->cap) {
		if (l->cap >= HINTS_MAX_RR)
			return fail(l, PC_EINVAL, (long)line, "more than %d NS, A and AAAA records",
				    HINTS_MAX_RR);
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct hints_rr *r = realloc(l->h.rr, cap * sizeof(*r));
		if (!r)
			return fail(l, PC_ENOMEM, (long)line, "out of memory");
		l->h.rr = r;
		size_t *ln = realloc(l->lines, cap * sizeof(*ln));
		if (!ln)
			return fail(l, PC_ENOMEM, (long)line, "out of memory");
		l->lines = ln;
		l->cap = cap;
	}
	l->h.rr[l->h.n] = *rr;
	l->lines[l->h.n] = line;
	l->h.n++;
	return 0;
}

/* Keeps one record if it is of a type we use. */
static int take(struct loader *l, const ldns_rr *rr, size_t line)
{
	char txt[WIRE_NAME_MAX * 4 + 1];
	ldns_rr_type type = ldns_rr_get_type(rr);
	if (type != LDNS_RR_TYPE_NS && type != LDNS_RR_TYPE_A && type != LDNS_RR_TYPE_AAAA)
		return 0;
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		return fail(l, PC_EINVAL, (long)line, "class is not IN");

	struct hints_rr h;
	memset(&h, 0, sizeof(h));
	h.type = (uint16_t)type;
	h.ttl = ldns_rr_ttl(rr);
	if (!hints_copy_dname(ldns_rr_owner(rr), h.owner, NULL))
		return fail(l, PC_EINVAL, (long)line, "bad owner name");
	if (ldns_rr_rd_count(rr) != 1)
		return fail(l, PC_EINVAL, (long)line, "record needs exactly one rdata field");
	const ldns_rdf *rd = ldns_rr_rdf(rr, 0);

	if (type == LDNS_RR_TYPE_NS) {
		if (h.owner[0] != 0)
			return fail(l, PC_EINVAL, (long)line,
				    "NS record for %s: root hints hold NS records for \".\" only",
				    name_text(h.owner, txt, sizeof(txt)));
		if (!hints_copy_dname(rd, h.rdata, &h.rdlen))
			return fail(l, PC_EINVAL, (long)line, "bad NS name");
	} else {
		size_t want = type == LDNS_RR_TYPE_A ? 4 : 16;
		if (ldns_rdf_size(rd) != want)
			return fail(l, PC_EINVAL, (long)line, "bad address");
		memcpy(h.rdata, ldns_rdf_data(rd), want);
		h.rdlen = (uint16_t)want;
	}
	return push(l, &h, line);
}

/* The set is usable: the root has servers and each of them an address. */
static int check(struct loader *l, long last_line)
{
	char txt[WIRE_NAME_MAX * 4 + 1];
	size_t n_ns = 0;
	for (size_t i = 0; i < l->h.n; i++) {
		const struct hints_rr *ns = &l->h.rr[i];
		if (ns->type != WIRE_T_NS)
			continue;
		n_ns++;
		bool found = false;
		for (size_t j = 0; j < l->h.n && !found; j++) {
			const struct hints_rr *a = &l->h.rr[j];
			found = (a->type == WIRE_T_A || a->type == WIRE_T_AAAA) &&
				wire_name_eq(a->owner, ns->rdata);
		}
		if (!found)
			return fail(l, PC_EINVAL, (long)l->lines[i], "root server %s has no A or AAAA record",
				    name_text(ns->rdata, txt, sizeof(txt)));
	}
	if (n_ns == 0)
		return fail(l, PC_EINVAL, last_line, "no NS record for the root \".\"");
	return 0;
}

static int run_ldns(struct loader *l, FILE *fp, long *line_nr)
{
	uint32_t ttl = 3600000;
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
		ldns_status s = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &line);
		switch (s) {
		case LDNS_STATUS_OK:
			rc = take(l, rr, (size_t)start);
			break;
		case LDNS_STATUS_SYNTAX_EMPTY:
		case LDNS_STATUS_SYNTAX_TTL:
		case LDNS_STATUS_SYNTAX_ORIGIN:
			break;
		case LDNS_STATUS_SYNTAX_INCLUDE:
			rc = fail(l, PC_EINVAL, start, "$INCLUDE is not supported in root hints");
			break;
		default:
			rc = fail(l, PC_EINVAL, line > start ? line : start, "%s",
				  ldns_get_errorstr_by_id(s));
			break;
		}
		ldns_rr_free(rr);
	}
out:
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	*line_nr = line;
	return rc;
}

int hints_load_text(const char *text, size_t len, const char *name, struct hints *out,
		    char *err, size_t errlen)
{
	struct loader l = { .name = name, .err = err, .errlen = errlen };
	long line = 0;
	int rc = 0;
	out->rr = NULL;
	out->n = 0;
	if (err && errlen)
		err[0] = '\0';
	if (len > HINTS_MAX_TEXT)
		return fail(&l, PC_EINVAL, 0, "larger than %d bytes", HINTS_MAX_TEXT);
	/* A NUL would end ldns's view of a line early while our line count
	 * went on; no zone file has one, so refuse it up front. */
	const char *nul = len ? memchr(text, '\0', len) : NULL;
	if (nul) {
		long ln = 1;
		for (const char *q = text; q < nul; q++)
			ln += *q == '\n';
		return fail(&l, PC_EINVAL, ln, "NUL byte in text");
	}
	if (len > 0) {
		/* fmemopen wants a writable pointer even for reading; it does
		 * not write in "r" mode. */
		FILE *fp = fmemopen((void *)(uintptr_t)text, len, "r");
		if (!fp)
			return fail(&l, PC_ENOMEM, 0, "cannot open text: %s", strerror(errno));
		rc = run_ldns(&l, fp, &line);
		fclose(fp);
	}
	if (rc == 0)
		rc = check(&l, line > 0 ? line : 1);
	free(l.lines);
	if (rc < 0) {
		free(l.h.rr);
		return rc;
	}
	*out = l.h;
	return 0;
}

int hints_load_file(const char *path, struct hints *out, char *err, size_t errlen)
{
	out->rr = NULL;
	out->n = 0;
	char *buf;
	size_t len;
	int rc = file_read_bounded(path, HINTS_MAX_TEXT, &buf, &len, err, errlen);
	if (rc != 0)
		return rc;
	rc = hints_load_text(buf, len, path, out, err, errlen);
	free(buf);
	return rc;
}

int hints_load_builtin(struct hints *out)
{
	char err[256];
	int rc = hints_load_text(builtin_hints, sizeof(builtin_hints) - 1, "built-in hints", out,
				 err, sizeof(err));
	/* The text is fixed and tested, so in practice only memory can fail. */
	return rc;
}

void hints_free(struct hints *h)
{
	free(h->rr);
	h->rr = NULL;
	h->n = 0;
}
