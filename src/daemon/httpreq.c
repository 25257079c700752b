/* httpreq: a strict HTTP/1.x request head reader (httpreq.h). */
#include "daemon/httpreq.h"

#include <string.h>
#include <strings.h>

#define METHOD_MAX 16
#define TARGET_MAX 2048
#define LEADING_EMPTY_MAX 4 /* empty lines tolerated before the request line */

/* tchar of RFC 9110 section 5.6.2. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A field value byte: VCHAR, SP, HTAB or obs-text. */
static bool is_value_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* The end of the line that starts at p: *next is past its LF, and the
 * returned length leaves out the LF and a CR before it. -1: no LF yet;
 * -2: a CR not followed by LF. */
static long line_at(const char *buf, size_t len, size_t p, size_t *next)
{
	const char *nl = memchr(buf + p, '\n', len - p);
	if (nl == NULL)
		return -1;
	size_t end = (size_t)(nl - buf);
	*next = end + 1;
	if (end > p && buf[end - 1] == '\r')
		end--;
	if (memchr(buf + p, '\r', end - p) != NULL)
		return -2;
	return (long)(end - p);
}

static bool token_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static bool name_is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

struct reqline {
	const char *method, *target;
	size_t method_len, target_len;
	int major, minor;
};

static enum httpreq_verdict parse_reqline(const char *s, size_t n, struct reqline *r)
{
	size_t i = 0;
	while (i < n && is_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i > METHOD_MAX || i >= n || s[i] != ' ')
		return HTTPREQ_BAD;
	r->method = s;
	r->method_len = i++;
	size_t t = i;
	while (i < n && (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f)
		i++;
	if (i == t || i - t > TARGET_MAX || i >= n || s[i] != ' ')
		return HTTPREQ_BAD;
	r->target = s + t;
	r->target_len = i - t;
	i++;
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT, and nothing after it */
	if (n - i != 8 || memcmp(s + i, "HTTP/", 5) != 0 || s[i + 5] < '0' || s[i + 5] > '9' ||
	    s[i + 6] != '.' || s[i + 7] < '0' || s[i + 7] > '9')
		return HTTPREQ_BAD;
	r->major = s[i + 5] - '0';
	r->minor = s[i + 7] - '0';
	return HTTPREQ_OK;
}

/* The path of the target: origin-form as it is, absolute-form
 * (http://authority/path) from the first '/' after the authority. NULL
 * for any other form (asterisk, authority). */
static const char *target_path(const char *t, size_t n, size_t *plen)
{
	size_t skip = 0;
	if (n >= 7 && strncasecmp(t, "http://", 7) == 0)
		skip = 7;
	else if (n >= 8 && strncasecmp(t, "https://", 8) == 0)
		skip = 8;
	if (skip) {
		const char *slash = memchr(t + skip, '/', n - skip);
		if (slash == t + skip)
			return NULL; /* no authority */
		if (slash == NULL) {
			*plen = 1;
			return "/";
		}
		n -= (size_t)(slash - t);
		t = slash;
	}
	if (t[0] != '/')
		return NULL;
	*plen = n;
	return t;
}

struct fields {
	unsigned host;
	bool body;
};

/* One header field line; 0 or HTTPREQ_BAD. */
static int parse_field(const char *s, size_t n, struct fields *f)
{
	if (s[0] == ' ' || s[0] == '\t')
		return HTTPREQ_BAD; /* obs-fold */
	size_t i = 0;
	while (i < n && is_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= n || s[i] != ':')
		return HTTPREQ_BAD; /* no name, or blanks before the colon */
	size_t name_len = i++;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	size_t v = i, vend = n;
	for (size_t k = v; k < n; k++)
		if (!is_value_byte((unsigned char)s[k]))
			return HTTPREQ_BAD;
	while (vend > v && (s[vend - 1] == ' ' || s[vend - 1] == '\t'))
		vend--;
	if (name_is(s, name_len, "Host")) {
		f->host++;
	} else if (name_is(s, name_len, "Transfer-Encoding")) {
		f->body = true;
	} else if (name_is(s, name_len, "Content-Length")) {
		if (vend == v)
			return HTTPREQ_BAD;
		for (size_t k = v; k < vend; k++) {
			if (s[k] < '0' || s[k] > '9')
				return HTTPREQ_BAD;
			if (s[k] != '0')
				f->body = true;
		}
	}
	return 0;
}

/* True when the unfinished line from p holds a byte no line of a request
 * head may hold (a control byte but HTAB and CR, or DEL): a client speaking
 * something else (TLS, say) is told at once, not after the timeout. */
static bool partial(const char *buf, size_t len, size_t p)
{
	for (size_t i = p; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return true;
	}
	return false;
}

enum httpreq_verdict httpreq_parse(const char *buf, size_t len, struct httpreq *out)
{
	size_t limit = len < HTTPREQ_MAX ? len : HTTPREQ_MAX;
	size_t p = 0, next;
	long n;
	out->head = false;
	out->used = 0;
	/* Empty lines before the request line are ignored (RFC 9112 2.2). */
	for (int empty = 0;; empty++) {
		n = line_at(buf, limit, p, &next);
		if (n != 0 || empty == LEADING_EMPTY_MAX)
			break;
		p = next;
	}
	if (n == -1)
		return partial(buf, limit, p) ? HTTPREQ_BAD
		       : len >= HTTPREQ_MAX ? HTTPREQ_TOO_LARGE : HTTPREQ_MORE;
	if (n <= 0)
		return HTTPREQ_BAD;
	struct reqline rl;
	if (parse_reqline(buf + p, (size_t)n, &rl) != HTTPREQ_OK)
		return HTTPREQ_BAD;
	struct fields f = { 0 };
	for (p = next;;) {
		n = line_at(buf, limit, p, &next);
		if (n == -1)
			return partial(buf, limit, p) ? HTTPREQ_BAD
			       : len >= HTTPREQ_MAX ? HTTPREQ_TOO_LARGE : HTTPREQ_MORE;
		if (n == -2)
			return HTTPREQ_BAD;
		if (n == 0)
			break;
		if (parse_field(buf + p, (size_t)n, &f) != 0)
			return HTTPREQ_BAD;
		p = next;
	}
	out->used = next;
	if (rl.major != 1)
		return HTTPREQ_VERSION;
	if (f.body || (rl.minor >= 1 && f.host != 1) || f.host > 1)
		return HTTPREQ_BAD;
	size_t plen;
	const char *path = target_path(rl.target, rl.target_len, &plen);
	if (path == NULL)
		return HTTPREQ_BAD;
	bool get = token_eq(rl.method, rl.method_len, "GET");
	out->head = token_eq(rl.method, rl.method_len, "HEAD");
	if (!get && !out->head)
		return HTTPREQ_METHOD;
	const char *q = memchr(path, '?', plen);
	if (q != NULL)
		plen = (size_t)(q - path);
	if (!token_eq(path, plen, "/metrics"))
		return HTTPREQ_NOT_FOUND;
	return HTTPREQ_OK;
}

const char *httpreq_reason(enum httpreq_verdict v)
{
	switch (v) {
	case HTTPREQ_OK: return "OK";
	case HTTPREQ_BAD: return "Bad Request";
	case HTTPREQ_NOT_FOUND: return "Not Found";
	case HTTPREQ_METHOD: return "Method Not Allowed";
	case HTTPREQ_TOO_LARGE: return "Request Header Fields Too Large";
	case HTTPREQ_VERSION: return "HTTP Version Not Supported";
	case HTTPREQ_MORE: break;
	}
	return "Internal Server Error";
}
