/* anchor_bind: BIND's named.conf forms of trust anchors (Unbound's
 * trusted-keys-file), turned into zone-file lines for anchor_add_text:
 *
 *   trusted-keys { "name" flags protocol algorithm "base64 key"; ... };
 *   trust-anchors { name static-key|initial-key flags protocol algorithm "key";
 *                   name static-ds|initial-ds tag algorithm digest-type "hex"; };
 *   managed-keys { ... as trust-anchors ... };
 *
 * Each record is written on the line it started on in the original, so the
 * loader's "FILE:LINE:" messages point at the right place. initial-key and
 * initial-ds become plain anchors here: RFC 5011 state lives in
 * auto-trust-anchor-file, which is where an operator wanting updates puts
 * the anchor. */
#include "core/anchor.h"

#include "util/err.h"
#include "util/file.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tok {
	const char *s;
	size_t len;
	long line;
	bool quoted;
};

struct lexer {
	const char *p, *end;
	long line;
};

/* The next token: a quoted string (without its quotes), one of "{};", or
 * a word. Comments: "//", "#" to the end of the line, C's block comments.
 * false at the end of the text or on an unterminated string or comment
 * (tok->len is then 1 to tell the two apart). */
static bool next_tok(struct lexer *lx, struct tok *t)
{
	for (;;) {
		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' ||
					   *lx->p == '\n')) {
			if (*lx->p == '\n')
				lx->line++;
			lx->p++;
		}
		if (lx->p >= lx->end) {
			t->len = 0;
			return false;
		}
		if (*lx->p == '#' || (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		}
		if (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
			const char *q = lx->p + 2;
			while (q + 1 < lx->end && !(q[0] == '*' && q[1] == '/')) {
				if (*q == '\n')
					lx->line++;
				q++;
			}
			if (q + 1 >= lx->end) {
				t->line = lx->line;
				t->len = 1;
				return false;
			}
			lx->p = q + 2;
			continue;
		}
		break;
	}
	t->line = lx->line;
	t->quoted = false;
	if (*lx->p == '"') {
		const char *q = ++lx->p;
		while (q < lx->end && *q != '"') {
			if (*q == '\n')
				lx->line++;
			q++;
		}
		if (q >= lx->end) {
			t->len = 1;
			return false;
		}
		t->s = lx->p;
		t->len = (size_t)(q - lx->p);
		t->quoted = true;
		lx->p = q + 1;
		return true;
	}
	t->s = lx->p;
	if (*lx->p == '{' || *lx->p == '}' || *lx->p == ';') {
		t->len = 1;
		lx->p++;
		return true;
	}
	while (lx->p < lx->end && !strchr(" \t\r\n{};\"#", *lx->p))
		lx->p++;
	t->len = (size_t)(lx->p - t->s);
	return true;
}

static bool is(const struct tok *t, const char *w)
{
	return !t->quoted && t->len == strlen(w) && strncmp(t->s, w, t->len) == 0;
}

struct conv {
	char *buf;
	size_t len, cap;
	long line; /* lines written so far + 1 */
	bool nomem;
};

static void emit(struct conv *c, const char *s, size_t n)
{
	if (c->nomem)
		return;
	if (c->len + n + 1 > c->cap) {
		size_t cap = (c->cap + n + 1) * 2;
		char *b = realloc(c->buf, cap);
		if (!b) {
			c->nomem = true;
			return;
		}
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, s, n);
	c->len += n;
	c->buf[c->len] = '\0';
}

/* Starts a record on the line it has in the original. */
static void to_line(struct conv *c, long line)
{
	while (c->line < line) {
		emit(c, "\n", 1);
		c->line++;
	}
}

static int bind_fail(char *err, size_t errlen, const char *name, long line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int bind_fail(char *err, size_t errlen, const char *name, long line, const char *fmt, ...)
{
	if (err && errlen) {
		int n = snprintf(err, errlen, "%s:%ld: ", name, line);
		if (n >= 0 && (size_t)n < errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return PC_EINVAL;
}

int anchor_add_bind_text(struct anchor_set *set, const char *text, size_t len, const char *name,
			 char *err, size_t errlen)
{
	if (len > ANCHOR_MAX_TEXT)
		return bind_fail(err, errlen, name, 1, "larger than %d bytes", ANCHOR_MAX_TEXT);
	if (len && memchr(text, '\0', len))
		return bind_fail(err, errlen, name, 1, "NUL byte in text");
	struct lexer lx = { .p = text, .end = text + len, .line = 1 };
	struct conv c = { .line = 1 };
	struct tok t;
	int rc = 0;
	size_t records = 0;
	while (rc == 0 && next_tok(&lx, &t)) {
		bool old_form = is(&t, "trusted-keys");
		if (!old_form && !is(&t, "trust-anchors") && !is(&t, "managed-keys")) {
			rc = bind_fail(err, errlen, name, t.line,
				       "expected trusted-keys, trust-anchors or managed-keys, not '%.*s'",
				       (int)(t.len > 40 ? 40 : t.len), t.s);
			break;
		}
		if (!next_tok(&lx, &t) || !is(&t, "{")) {
			rc = bind_fail(err, errlen, name, t.len ? t.line : lx.line, "expected '{'");
			break;
		}
		for (;;) {
			struct tok f[6];
			if (!next_tok(&lx, &f[0])) {
				rc = bind_fail(err, errlen, name, lx.line, "missing '}'");
				break;
			}
			if (is(&f[0], "}")) {
				if (!next_tok(&lx, &t) || !is(&t, ";"))
					rc = bind_fail(err, errlen, name, lx.line,
						       "expected ';' after '}'");
				break;
			}
			/* name [kind] a b c "data" ; */
			size_t want = old_form ? 5 : 6, n = 1;
			while (n < want && next_tok(&lx, &f[n]) && !is(&f[n], ";") && !is(&f[n], "}"))
				n++;
			if (n < want || !next_tok(&lx, &t) || !is(&t, ";")) {
				rc = bind_fail(err, errlen, name, f[0].line,
					       "an entry is: name %sflags protocol algorithm \"key\";",
					       old_form ? "" : "static-key|initial-key|static-ds|initial-ds ");
				break;
			}
			const char *type = "DNSKEY";
			size_t k = 1;
			if (!old_form) {
				if (is(&f[1], "static-ds") || is(&f[1], "initial-ds")) {
					type = "DS";
				} else if (!is(&f[1], "static-key") && !is(&f[1], "initial-key")) {
					rc = bind_fail(err, errlen, name, f[1].line,
						       "'%.*s': expected static-key, initial-key, "
						       "static-ds or initial-ds",
						       (int)(f[1].len > 40 ? 40 : f[1].len), f[1].s);
					break;
				}
				k = 2;
			}
			to_line(&c, f[0].line);
			/* the owner is absolute whether or not it ends in '.' */
			emit(&c, f[0].s, f[0].len);
			if (f[0].len == 0 || f[0].s[f[0].len - 1] != '.')
				emit(&c, ".", 1);
			emit(&c, " IN ", 4);
			emit(&c, type, strlen(type));
			for (size_t i = k; i < want; i++) {
				/* the data may be split over lines inside its quotes */
				emit(&c, " ", 1);
				for (size_t j = 0; j < f[i].len; j++)
					if (f[i].s[j] != '\n' && f[i].s[j] != '\r')
						emit(&c, &f[i].s[j], 1);
			}
			records++;
		}
	}
	if (rc == 0 && t.len == 1 && lx.p < lx.end)
		rc = bind_fail(err, errlen, name, t.line, "unterminated string or comment");
	if (rc == 0 && c.nomem)
		rc = PC_ENOMEM;
	if (rc == 0 && records == 0)
		rc = bind_fail(err, errlen, name, lx.line, "no trusted key");
	if (rc == 0) {
		emit(&c, "\n", 1);
		rc = c.nomem ? PC_ENOMEM : anchor_add_text(set, c.buf, c.len, name, err, errlen);
	}
	free(c.buf);
	return rc;
}

int anchor_add_bind_file(struct anchor_set *set, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc = file_read_bounded(path, ANCHOR_MAX_TEXT, &buf, &len, err, errlen);
	if (rc != 0)
		return rc;
	rc = anchor_add_bind_text(set, buf, len, path, err, errlen);
	free(buf);
	return rc;
}
