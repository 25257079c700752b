/* httpreq: a strict reader of one HTTP/1.0 or HTTP/1.1 request head, for
 * the metrics endpoint (daemon/metrics.c). It knows only what that endpoint
 * serves: GET or HEAD of /metrics (a query string is allowed and ignored).
 *
 * The head is the request line and the header fields up to the empty line
 * (RFC 9112): "METHOD SP TARGET SP HTTP/1.x CRLF", then "name: value CRLF"
 * lines. A bare LF is taken as a line end (RFC 9112 section 2.2 allows
 * it); anything else that strays from the grammar is a 400: control bytes,
 * a missing or malformed version, a field name that is not a token, a line
 * folded onto the one before (obs-fold), a request with a body
 * (Transfer-Encoding, or a Content-Length other than 0), and HTTP/1.1
 * without exactly one Host field. The head may be at most HTTPREQ_MAX
 * bytes; a longer one is a 431.
 *
 * Pure: no I/O, no allocation, reads only buf[0..len). */
#ifndef PC_DAEMON_HTTPREQ_H
#define PC_DAEMON_HTTPREQ_H

#include <stdbool.h>
#include <stddef.h>

#define HTTPREQ_MAX 8192 /* bytes of a request head */

enum httpreq_verdict {
	HTTPREQ_MORE = 0,        /* the head is not complete yet: read on */
	HTTPREQ_OK = 200,        /* GET or HEAD of /metrics */
	HTTPREQ_BAD = 400,       /* not a well-formed request */
	HTTPREQ_NOT_FOUND = 404, /* a well-formed request for another path */
	HTTPREQ_METHOD = 405,    /* a method other than GET or HEAD */
	HTTPREQ_TOO_LARGE = 431, /* no end of the head within HTTPREQ_MAX bytes */
	HTTPREQ_VERSION = 505,   /* HTTP/2 or later, or HTTP/0.9 */
};

struct httpreq {
	bool head;     /* HEAD: the answer carries no body */
	size_t used;   /* bytes of buf the head took (with its empty line) */
};

/* Judge the bytes received so far. HTTPREQ_MORE asks for more (only while
 * len < HTTPREQ_MAX); any other verdict is final and fills out (on
 * HTTPREQ_OK at least). */
enum httpreq_verdict httpreq_parse(const char *buf, size_t len, struct httpreq *out);

/* The reason phrase of a verdict's status ("OK", "Bad Request", ...). */
const char *httpreq_reason(enum httpreq_verdict v);

#endif
