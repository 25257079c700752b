/* config_diag: the configuration reader's messages, shared by config.c
 * (lines, clauses, includes), config_values.c and config_keys.c (each
 * key's value) and config_compat.c (unbound keys): every error and warning
 * formatted "FILE:LINE: KEY: what", the first error kept for the caller and
 * all of them listed in a struct config_diag. It calls none of those files,
 * so they call it one way. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/config_int.h"
#include "util/err.h"

/* ---- messages --------------------------------------------------------- */

/* True for a key as the user meant to write one; anything else (control
 * bytes, a 4 KiB token) is quoted and escaped when echoed. */
static bool plain_key(const char *k)
{
	size_t n = 0;
	for (; k[n]; n++)
		if (!((k[n] >= 'a' && k[n] <= 'z') || (k[n] >= 'A' && k[n] <= 'Z') ||
		      (k[n] >= '0' && k[n] <= '9') || k[n] == '-' || k[n] == '_'))
			return false;
	return n <= CONFIG_SHOW_MAX;
}

const char *cfg_show(const char *v, char *out)
{
	size_t o = 0, i;
	out[o++] = '"';
	for (i = 0; v[i] && i < CONFIG_SHOW_MAX; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)sprintf(out + o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (v[i]) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

void cfg_diag_add(struct config_diag *d, const char *line)
{
	size_t n = strlen(line);
	if (d->len + n + 2 > d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 1024;
		while (cap < d->len + n + 2)
			cap *= 2;
		char *t = realloc(d->text, cap);
		if (t == NULL)
			return; /* a message lost to memory pressure; the result stands */
		d->text = t;
		d->cap = cap;
	}
	memcpy(d->text + d->len, line, n);
	d->len += n;
	d->text[d->len++] = '\n';
	d->text[d->len] = '\0';
}

void config_diag_free(struct config_diag *d)
{
	if (d == NULL)
		return;
	free(d->text);
	memset(d, 0, sizeof(*d));
}

/* Formats "FILE:LINE: KEY: [warning: ]what[ (included from F:L)]". */
static void format(struct parser *p, char *out, size_t len, const char *file, size_t line,
		   const char *key, bool warning, const char *fmt, va_list ap)
{
	char shown[CFG_SHOW_BUF];
	int n;
	if (key)
		n = snprintf(out, len, "%s:%zu: %s: %s", file, line,
			     plain_key(key) ? key : cfg_show(key, shown), warning ? "warning: " : "");
	else
		n = snprintf(out, len, "%s:%zu: %s", file, line, warning ? "warning: " : "");
	if (n < 0 || (size_t)n >= len)
		return;
	int m = vsnprintf(out + n, len - (size_t)n, fmt, ap);
	if (m >= 0 && (size_t)(n + m) < len && p->from_file && file == p->file)
		snprintf(out + n + m, len - (size_t)(n + m), " (included from %s:%zu)", p->from_file,
			 p->from_line);
}

static int failv(struct parser *p, const char *file, size_t line, const char *key,
		 const char *fmt, va_list ap)
{
	char msg[1024];
	format(p, msg, sizeof(msg), file, line, key, false, fmt, ap);
	if (p->n_errors == 0 && p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s", msg);
	p->n_errors++;
	if (p->diag) {
		p->diag->errors++;
		cfg_diag_add(p->diag, msg);
	}
	return PC_EINVAL;
}

int cfg_fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = failv(p, p->file, p->line, p->key, fmt, ap);
	va_end(ap);
	return rc;
}

int cfg_fail_at(struct parser *p, const char *file, size_t line, const char *key,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = failv(p, file, line, key, fmt, ap);
	va_end(ap);
	return rc;
}

static void warnv(struct parser *p, const char *file, size_t line, const char *key,
		  const char *fmt, va_list ap)
{
	if (p->diag == NULL)
		return;
	char msg[1024];
	format(p, msg, sizeof(msg), file, line, key, true, fmt, ap);
	p->diag->warnings++;
	cfg_diag_add(p->diag, msg);
}

void cfg_warn(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	warnv(p, p->file, p->line, p->key, fmt, ap);
	va_end(ap);
}

void cfg_warn_at(struct parser *p, const char *file, size_t line, const char *key,
		 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	warnv(p, file, line, key, fmt, ap);
	va_end(ap);
}
