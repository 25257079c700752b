/* config: parser for the unbound.conf-shaped configuration file.
 *
 * The parser works on a private copy of the configuration and only copies it
 * back when the whole file is valid, so a failed reload never leaves the
 * daemon with half a configuration. Every input line is copied into a
 * bounded, NUL-terminated buffer first; from there on the code works with
 * C strings and never reads past the line. */
#include "daemon/config.h"

#include "util/err.h"
#include "util/file.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096
#define FILE_MAX_BYTES (1024 * 1024)
#define SHOW_MAX 48 /* characters of a bad value echoed in a message */

/* Longest path bind() accepts for a UNIX socket: sun_path minus the NUL. */
#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

enum clause { CL_NONE = 0, CL_SERVER = 1, CL_FORWARD = 2, CL_STUB = 4, CL_REMOTE = 8 };

struct parser {
	struct config *cfg;
	const char *file;
	size_t line;
	const char *key;          /* key of the line being parsed, for messages */
	char *err;
	size_t errlen;
	enum clause clause;
	bool iface_seen;          /* first interface: drops the defaults */
	/* the zone clause being read, validated when it ends */
	struct config_zone *zone;
	size_t zone_line;
	bool zone_named;
	/* lines of keys that take part in cross-key checks (0 = not in file) */
	size_t l_min_ttl, l_max_ttl, l_ip4, l_ip6, l_udp, l_tcp, l_range, l_exclude;
};

/* ---- messages --------------------------------------------------------- */

static const char *show(const char *v, char *out);

/* True for a key as the user meant to write one; anything else (control
 * bytes, a 4 KiB token) is quoted and escaped when echoed. */
static bool plain_key(const char *k)
{
	size_t n = 0;
	for (; k[n]; n++)
		if (!((k[n] >= 'a' && k[n] <= 'z') || (k[n] >= 'A' && k[n] <= 'Z') ||
		      (k[n] >= '0' && k[n] <= '9') || k[n] == '-' || k[n] == '_'))
			return false;
	return n <= SHOW_MAX;
}

/* Formats "FILE:LINE: KEY: what" (KEY left out when there is none). */
static int failv(struct parser *p, size_t line, const char *key, const char *fmt, va_list ap)
{
	if (p->err && p->errlen) {
		char shown[SHOW_MAX * 4 + 8];
		int n;
		if (key)
			n = snprintf(p->err, p->errlen, "%s:%zu: %s: ", p->file, line,
				     plain_key(key) ? key : show(key, shown));
		else
			n = snprintf(p->err, p->errlen, "%s:%zu: ", p->file, line);
		if (n >= 0 && (size_t)n < p->errlen)
			vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	}
	return PC_EINVAL;
}

__attribute__((format(printf, 2, 3)))
static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = failv(p, p->line, p->key, fmt, ap);
	va_end(ap);
	return rc;
}

__attribute__((format(printf, 4, 5)))
static int fail_at(struct parser *p, size_t line, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = failv(p, line, key, fmt, ap);
	va_end(ap);
	return rc;
}

/* A value quoted for a message: control bytes escaped so the message stays
 * one line, long values cut short. out must hold SHOW_MAX * 4 + 8 bytes. */
static const char *show(const char *v, char *out)
{
	size_t o = 0, i;
	out[o++] = '"';
	for (i = 0; v[i] && i < SHOW_MAX; i++) {
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

#define SHOWBUF char shown[SHOW_MAX * 4 + 8]
#define SHOW(v) show((v), shown)

/* ---- value parsers ---------------------------------------------------- */

/* Decimal without sign, at most max; rejects empty strings and overflow. */
static bool dec_u64(const char *s, const char **end, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *q = s;
	if (*q < '0' || *q > '9')
		return false;
	for (; *q >= '0' && *q <= '9'; q++) {
		unsigned d = (unsigned)(*q - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*end = q;
	*out = v;
	return true;
}

static int parse_bool(struct parser *p, const char *v, bool *out)
{
	SHOWBUF;
	if (strcmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0)
		*out = false;
	else
		return fail(p, "%s is not yes or no", SHOW(v));
	return 0;
}

static int parse_u32(struct parser *p, const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	SHOWBUF;
	const char *end;
	uint64_t n;
	if (!dec_u64(v, &end, UINT64_MAX / 16, &n) || *end)
		return fail(p, "%s is not a number", SHOW(v));
	if (n < min || n > max)
		return fail(p, "%s is out of range %u..%u", SHOW(v), min, max);
	*out = (uint32_t)n;
	return 0;
}

/* Bytes with an optional k, m or g suffix (powers of 1024). */
static int parse_size(struct parser *p, const char *v, uint64_t *out)
{
	SHOWBUF;
	const char *end;
	uint64_t n, mult = 1;
	if (!dec_u64(v, &end, UINT64_MAX, &n))
		return fail(p, "%s is not a size", SHOW(v));
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	default: return fail(p, "%s is not a size", SHOW(v));
	}
	if (*end)
		return fail(p, "%s is not a size", SHOW(v));
	if (n > UINT64_MAX / mult)
		return fail(p, "%s is too large", SHOW(v));
	*out = n * mult;
	return 0;
}

/* "N" or "A-B", ports 1..65535. */
static int parse_range(struct parser *p, const char *v, bool single_ok, struct config_range *out)
{
	SHOWBUF;
	const char *end;
	uint64_t lo, hi;
	if (!dec_u64(v, &end, 65535, &lo))
		goto bad;
	if (*end == '\0' && single_ok) {
		hi = lo;
	} else {
		if (*end != '-' || !dec_u64(end + 1, &end, 65535, &hi) || *end)
			goto bad;
	}
	if (lo == 0 || hi == 0)
		return fail(p, "port 0 is not a port (use 1..65535)");
	if (lo > hi)
		return fail(p, "low end %u is above high end %u", (unsigned)lo, (unsigned)hi);
	out->low = (uint16_t)lo;
	out->high = (uint16_t)hi;
	return 0;
bad:
	return fail(p, "%s is not a port range%s (1..65535)", SHOW(v), single_ok ? " or port" : " \"A-B\"");
}

/* IPv4 or IPv6 literal (IPv6 may carry %scope) into sa, port left 0. */
static int parse_ip(const char *text, size_t n, struct sockaddr_storage *sa, socklen_t *len)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	if (n == 0 || n >= sizeof(buf))
		return PC_EINVAL;
	memcpy(buf, text, n);
	buf[n] = '\0';
	memset(sa, 0, sizeof(*sa));
	if (!memchr(buf, ':', n)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;
		if (inet_pton(AF_INET, buf, &sin->sin_addr) != 1)
			return PC_EINVAL;
		sin->sin_family = AF_INET;
		*len = sizeof(*sin);
		return 0;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
	char *pct = strchr(buf, '%');
	if (pct) {
		const char *end;
		uint64_t idx;
		*pct++ = '\0';
		if (dec_u64(pct, &end, UINT32_MAX, &idx) && *end == '\0')
			sin6->sin6_scope_id = (uint32_t)idx;
		else if ((sin6->sin6_scope_id = if_nametoindex(pct)) == 0)
			return PC_EINVAL;
	}
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
		return PC_EINVAL;
	sin6->sin6_family = AF_INET6;
	*len = sizeof(*sin6);
	return 0;
}

int config_parse_addr(const char *text, uint16_t default_port, struct config_addr *out)
{
	const char *at = strchr(text, '@');
	size_t alen = at ? (size_t)(at - text) : strlen(text);
	uint16_t port = default_port;
	if (at) {
		const char *end;
		uint64_t n;
		if (!dec_u64(at + 1, &end, 65535, &n) || *end || n == 0)
			return PC_EINVAL;
		port = (uint16_t)n;
	}
	struct config_addr a;
	if (parse_ip(text, alen, &a.sa, &a.len) < 0)
		return PC_EINVAL;
	if (a.sa.ss_family == AF_INET)
		((struct sockaddr_in *)&a.sa)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a.sa)->sin6_port = htons(port);
	*out = a;
	return 0;
}

static bool addr_eq(const struct config_addr *a, const struct config_addr *b)
{
	if (a->sa.ss_family != b->sa.ss_family)
		return false;
	if (a->sa.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)&a->sa, *y = (const void *)&b->sa;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)&a->sa, *y = (const void *)&b->sa;
	return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

/* Appends to one of the address lists, refusing duplicates and overflow. */
static int add_addr(struct parser *p, const char *v, uint16_t port, bool port_ok,
		    struct config_addr *list, size_t *n, const char *what)
{
	SHOWBUF;
	struct config_addr a;
	if (!port_ok && strchr(v, '@'))
		return fail(p, "%s: takes no port (the socket pool chooses ports)", SHOW(v));
	if (config_parse_addr(v, port, &a) < 0)
		return fail(p, "%s is not an address%s", SHOW(v), port_ok ? " or address@port" : "");
	for (size_t i = 0; i < *n; i++)
		if (addr_eq(&list[i], &a))
			return fail(p, "%s is listed twice", SHOW(v));
	if (*n >= CONFIG_MAX_ADDRS)
		return fail(p, "more than %d %s (CONFIG_MAX_ADDRS)", CONFIG_MAX_ADDRS, what);
	list[(*n)++] = a;
	return 0;
}

static int parse_path(struct parser *p, const char *v, size_t max, char *out)
{
	if (!*v)
		return fail(p, "empty path");
	size_t n = strlen(v);
	if (n > max)
		return fail(p, "path is longer than %zu bytes", max);
	memcpy(out, v, n + 1);
	return 0;
}

/* ---- keys ------------------------------------------------------------- */

static int k_interface(struct parser *p, const char *v)
{
	if (!p->iface_seen) {
		p->cfg->n_interfaces = 0;
		p->iface_seen = true;
	}
	return add_addr(p, v, 53, true, p->cfg->interfaces, &p->cfg->n_interfaces, "interfaces");
}

static int k_outgoing(struct parser *p, const char *v)
{
	return add_addr(p, v, 0, false, p->cfg->outgoing, &p->cfg->n_outgoing,
			"outgoing interfaces");
}

/* True when any bit past the first prefix bits of addr is set. */
static bool host_bits(const uint8_t *addr, size_t bytes, unsigned prefix)
{
	for (size_t i = 0; i < bytes; i++) {
		unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * (unsigned)i : 0;
		uint8_t mask = (uint8_t)(0xffu >> keep);
		if (addr[i] & mask)
			return true;
	}
	return false;
}

static int k_access_control(struct parser *p, const char *v)
{
	SHOWBUF;
	struct config *cfg = p->cfg;
	size_t blen = strcspn(v, " \t");
	const char *act = v + blen;
	act += strspn(act, " \t");
	if (!*act)
		return fail(p, "%s: expected \"NETBLOCK allow|refuse|deny\"", SHOW(v));
	struct config_acl acl = { 0 };
	if (strcmp(act, "allow") == 0)
		acl.allow = true;
	else if (strcmp(act, "refuse") != 0 && strcmp(act, "deny") != 0)
		return fail(p, "%s is not allow, refuse or deny", SHOW(act));

	const char *slash = memchr(v, '/', blen);
	size_t alen = slash ? (size_t)(slash - v) : blen;
	socklen_t salen;
	if (parse_ip(v, alen, &acl.net, &salen) < 0)
		goto bad;
	bool v4 = acl.net.ss_family == AF_INET;
	if (!v4 && ((struct sockaddr_in6 *)&acl.net)->sin6_scope_id != 0)
		goto bad; /* a netblock has no scope */
	unsigned maxp = v4 ? 32 : 128;
	uint64_t prefix = maxp;
	if (slash) {
		const char *end;
		if (!dec_u64(slash + 1, &end, 255, &prefix) || end != v + blen)
			goto bad;
		if (prefix > maxp)
			return fail(p, "prefix /%u is longer than %u bits", (unsigned)prefix, maxp);
	}
	acl.prefix = (uint8_t)prefix;
	const uint8_t *bytes = v4 ? (const uint8_t *)&((struct sockaddr_in *)&acl.net)->sin_addr
				  : ((struct sockaddr_in6 *)&acl.net)->sin6_addr.s6_addr;
	if (host_bits(bytes, v4 ? 4 : 16, acl.prefix)) {
		char nb[SHOW_MAX + 1];
		snprintf(nb, sizeof(nb), "%.*s", (int)(blen < SHOW_MAX ? blen : SHOW_MAX), v);
		return fail(p, "%s has bits set beyond the /%u prefix", SHOW(nb), acl.prefix);
	}
	/* A netblock given again takes the later action, as in unbound. */
	for (size_t i = 0; i < cfg->n_acl; i++) {
		struct config_acl *o = &cfg->acl[i];
		if (o->prefix == acl.prefix && o->net.ss_family == acl.net.ss_family &&
		    memcmp(&o->net, &acl.net, sizeof(acl.net)) == 0) {
			o->allow = acl.allow;
			return 0;
		}
	}
	if (cfg->n_acl >= CONFIG_MAX_ACL)
		return fail(p, "more than %d entries (CONFIG_MAX_ACL)", CONFIG_MAX_ACL);
	cfg->acl[cfg->n_acl++] = acl;
	return 0;
bad:;
	char nb[SHOW_MAX + 1];
	snprintf(nb, sizeof(nb), "%.*s", (int)(blen < SHOW_MAX ? blen : SHOW_MAX), v);
	return fail(p, "%s is not an address or address/prefix", SHOW(nb));
}

static int k_root_hints(struct parser *p, const char *v)
{
	return parse_path(p, v, CONFIG_PATH_MAX - 1, p->cfg->root_hints);
}

static int k_control_socket(struct parser *p, const char *v)
{
	return parse_path(p, v, SUN_PATH_MAX, p->cfg->control_socket);
}

/* A user name as useradd(8) takes it; "" turns the privilege drop off. */
static int k_username(struct parser *p, const char *v)
{
	SHOWBUF;
	size_t n = strlen(v);
	if (n >= sizeof(p->cfg->username))
		return fail(p, "user name is longer than %zu bytes", sizeof(p->cfg->username) - 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || (c == '-' && i > 0);
		if (!ok)
			return fail(p, "%s is not a user name", SHOW(v));
	}
	memcpy(p->cfg->username, v, n + 1);
	p->cfg->username_set = true;
	return 0;
}

/* An absolute path, or "" for none. */
static int optional_abs_path(struct parser *p, const char *v, char *out)
{
	SHOWBUF;
	if (!*v) {
		out[0] = '\0';
		return 0;
	}
	if (v[0] != '/')
		return fail(p, "%s is not an absolute path", SHOW(v));
	return parse_path(p, v, CONFIG_PATH_MAX - 1, out);
}

static int k_chroot(struct parser *p, const char *v)
{
	return optional_abs_path(p, v, p->cfg->chroot_dir);
}

static int k_pidfile(struct parser *p, const char *v)
{
	return optional_abs_path(p, v, p->cfg->pidfile);
}

static int k_logfile(struct parser *p, const char *v)
{
	return optional_abs_path(p, v, p->cfg->logfile);
}

#define BOOL_KEY(fn, field) \
	static int fn(struct parser *p, const char *v) { return parse_bool(p, v, &p->cfg->field); }
BOOL_KEY(k_do_udp, do_udp)
BOOL_KEY(k_do_tcp, do_tcp)
BOOL_KEY(k_dnql, do_not_query_localhost)
BOOL_KEY(k_qmin, qname_minimisation)
BOOL_KEY(k_harden_glue, harden_glue)
BOOL_KEY(k_caps, use_caps_for_id)
BOOL_KEY(k_do_ip4, do_ip4)
BOOL_KEY(k_do_ip6, do_ip6)
BOOL_KEY(k_tcp_mismatch, tcp_after_mismatch)
BOOL_KEY(k_cookies, upstream_cookies)
BOOL_KEY(k_refuse_frag, refuse_fragmented_replies)
BOOL_KEY(k_merge, merge_identical_queries)
BOOL_KEY(k_use_syslog, use_syslog)
BOOL_KEY(k_hide_identity, hide_identity)
BOOL_KEY(k_hide_version, hide_version)
BOOL_KEY(k_serve_expired, serve_expired)
BOOL_KEY(k_serve_expired_reset, serve_expired_ttl_reset)
BOOL_KEY(k_prefetch, prefetch)

/* The text of a CH TXT answer: one character-string, so 255 bytes at most;
 * "" (quoted) asks for the built-in text. */
static int parse_txt(struct parser *p, const char *v, char out[256])
{
	size_t n = strlen(v);
	if (n > 255)
		return fail(p, "text is longer than 255 bytes (one TXT string)");
	memcpy(out, v, n + 1);
	return 0;
}

static int k_identity(struct parser *p, const char *v)
{
	return parse_txt(p, v, p->cfg->identity);
}

static int k_version(struct parser *p, const char *v)
{
	return parse_txt(p, v, p->cfg->version);
}

/* TTLs are 31-bit quantities (RFC 2181 section 8). */
#define TTL_MAX 2147483647u
#define U32_KEY(fn, field, lo, hi) \
	static int fn(struct parser *p, const char *v) { return parse_u32(p, v, lo, hi, &p->cfg->field); }
U32_KEY(k_min_ttl, cache_min_ttl, 0, TTL_MAX)
U32_KEY(k_max_ttl, cache_max_ttl, 0, TTL_MAX)
U32_KEY(k_max_neg_ttl, cache_max_negative_ttl, 0, TTL_MAX)
U32_KEY(k_pool_size, socket_pool_size, 0, 65535)
U32_KEY(k_threads, num_threads, 1, 64)
U32_KEY(k_rotate_uses, pool_rotate_uses, 0, 100000000)
U32_KEY(k_rotate_secs, pool_rotate_seconds, 0, 86400)
U32_KEY(k_unwanted, unwanted_reply_threshold, 0, 4000000000u)
U32_KEY(k_defensive, defensive_mode_time, 1, 86400)
U32_KEY(k_tcp_idle, tcp_idle_timeout, 1, 3600000)
U32_KEY(k_nqpt, num_queries_per_thread, 1, 1000000)
U32_KEY(k_jostle, jostle_timeout, 0, 3600000)
U32_KEY(k_in_tcp, incoming_num_tcp, 1, 65536)
U32_KEY(k_tcp_per_addr, tcp_per_address, 1, 65536)
U32_KEY(k_tcp_msg, tcp_message_timeout, 1, 3600000)
U32_KEY(k_upstream_timeout, upstream_timeout, 1, 60000)
U32_KEY(k_verbosity, verbosity, 0, 3)
U32_KEY(k_packet_cache, packet_cache_size, 0, 1u << 20)
U32_KEY(k_serve_expired_ttl, serve_expired_ttl, 0, TTL_MAX)
U32_KEY(k_serve_expired_reply, serve_expired_reply_ttl, 0, TTL_MAX)
U32_KEY(k_serve_expired_timeout, serve_expired_client_timeout, 0, 3600000)

static int k_edns(struct parser *p, const char *v)
{
	uint32_t n;
	int rc = parse_u32(p, v, 512, 4096, &n);
	if (rc == 0)
		p->cfg->edns_buffer_size = (uint16_t)n;
	return rc;
}

static int k_cache_size(struct parser *p, const char *v)
{
	return parse_size(p, v, &p->cfg->cache_size);
}

/* A socket buffer size: up to 1 GiB (the kernel takes an int). */
static int sock_buf(struct parser *p, const char *v, uint32_t *out)
{
	SHOWBUF;
	uint64_t n;
	int rc = parse_size(p, v, &n);
	if (rc != 0)
		return rc;
	if (n > (1ull << 30))
		return fail(p, "%s is too large (at most 1g)", SHOW(v));
	*out = (uint32_t)n;
	return 0;
}

/* Bytes of TCP answers waiting to be written (tcp-queue-size). */
static int k_tcp_queue(struct parser *p, const char *v)
{
	SHOWBUF;
	uint64_t n;
	int rc = parse_size(p, v, &n);
	if (rc != 0)
		return rc;
	if (n < 512 || n > (1ull << 30))
		return fail(p, "%s is out of range (512 to 1g)", SHOW(v));
	p->cfg->tcp_queue_size = (uint32_t)n;
	return 0;
}

static int k_stream_wait(struct parser *p, const char *v)
{
	SHOWBUF;
	uint64_t n;
	int rc = parse_size(p, v, &n);
	if (rc != 0)
		return rc;
	if (n < 512 || n > (64ull << 30))
		return fail(p, "%s is out of range (512 to 64g)", SHOW(v));
	p->cfg->stream_wait_size = n;
	return 0;
}

static int k_so_rcvbuf(struct parser *p, const char *v)
{
	return sock_buf(p, v, &p->cfg->so_rcvbuf);
}

static int k_so_sndbuf(struct parser *p, const char *v)
{
	return sock_buf(p, v, &p->cfg->so_sndbuf);
}

static int k_pool_range(struct parser *p, const char *v)
{
	return parse_range(p, v, false, &p->cfg->socket_pool_range);
}

static int k_pool_exclude(struct parser *p, const char *v)
{
	struct config_range r;
	int rc = parse_range(p, v, true, &r);
	if (rc < 0)
		return rc;
	if (p->cfg->n_pool_exclude >= CONFIG_MAX_EXCLUDE)
		return fail(p, "more than %d ranges (CONFIG_MAX_EXCLUDE)", CONFIG_MAX_EXCLUDE);
	p->cfg->pool_exclude[p->cfg->n_pool_exclude++] = r;
	return 0;
}

static int k_caps_exempt(struct parser *p, const char *v)
{
	SHOWBUF;
	uint8_t name[WIRE_NAME_MAX];
	if (wire_name_from_text(v, name) < 0)
		return fail(p, "%s is not a domain name", SHOW(v));
	wire_name_lower(name);
	struct config *cfg = p->cfg;
	for (size_t i = 0; i < cfg->n_caps_exempt; i++)
		if (wire_name_eq(cfg->caps_exempt[i], name))
			return 0;
	if (cfg->n_caps_exempt >= CONFIG_MAX_ZONES)
		return fail(p, "more than %d names (CONFIG_MAX_ZONES)", CONFIG_MAX_ZONES);
	memcpy(cfg->caps_exempt[cfg->n_caps_exempt++], name, sizeof(name));
	return 0;
}

/* Zone names are unique over forward and stub zones together: two clauses
 * for one name would leave it unclear which servers are asked. */
static int k_zone_name(struct parser *p, const char *v)
{
	SHOWBUF;
	uint8_t name[WIRE_NAME_MAX];
	if (p->zone_named)
		return fail(p, "given twice in one zone clause");
	if (wire_name_from_text(v, name) < 0)
		return fail(p, "%s is not a domain name", SHOW(v));
	wire_name_lower(name);
	const struct config *cfg = p->cfg;
	for (int list = 0; list < 2; list++) {
		const struct config_zone *z = list ? cfg->stub : cfg->forward;
		size_t n = list ? cfg->n_stub : cfg->n_forward;
		for (size_t i = 0; i < n; i++)
			if (&z[i] != p->zone && wire_name_eq(z[i].name, name))
				return fail(p, "zone %s already has a %s clause", SHOW(v),
					    list ? "stub-zone:" : "forward-zone:");
	}
	memcpy(p->zone->name, name, sizeof(name));
	p->zone_named = true;
	return 0;
}

static int k_zone_addr(struct parser *p, const char *v)
{
	return add_addr(p, v, 53, true, p->zone->addrs, &p->zone->n_addrs, "addresses in one zone");
}

struct key {
	const char *name;
	unsigned clauses; /* mask of enum clause */
	int (*fn)(struct parser *p, const char *v);
	size_t line_off;  /* offset of a line field in struct parser, or 0 */
};

#define LINE_OF(f) offsetof(struct parser, f)

static const struct key keys[] = {
	{ "interface", CL_SERVER, k_interface, 0 },
	{ "outgoing-interface", CL_SERVER, k_outgoing, 0 },
	{ "access-control", CL_SERVER, k_access_control, 0 },
	{ "root-hints", CL_SERVER, k_root_hints, 0 },
	{ "do-ip4", CL_SERVER, k_do_ip4, LINE_OF(l_ip4) },
	{ "do-ip6", CL_SERVER, k_do_ip6, LINE_OF(l_ip6) },
	{ "do-udp", CL_SERVER, k_do_udp, LINE_OF(l_udp) },
	{ "do-tcp", CL_SERVER, k_do_tcp, LINE_OF(l_tcp) },
	{ "do-not-query-localhost", CL_SERVER, k_dnql, 0 },
	{ "qname-minimisation", CL_SERVER, k_qmin, 0 },
	{ "harden-glue", CL_SERVER, k_harden_glue, 0 },
	{ "use-caps-for-id", CL_SERVER, k_caps, 0 },
	{ "cache-size", CL_SERVER, k_cache_size, 0 },
	{ "packet-cache-size", CL_SERVER, k_packet_cache, 0 },
	{ "cache-min-ttl", CL_SERVER, k_min_ttl, LINE_OF(l_min_ttl) },
	{ "cache-max-ttl", CL_SERVER, k_max_ttl, LINE_OF(l_max_ttl) },
	{ "cache-max-negative-ttl", CL_SERVER, k_max_neg_ttl, 0 },
	{ "serve-expired", CL_SERVER, k_serve_expired, 0 },
	{ "serve-expired-ttl", CL_SERVER, k_serve_expired_ttl, 0 },
	{ "serve-expired-ttl-reset", CL_SERVER, k_serve_expired_reset, 0 },
	{ "serve-expired-reply-ttl", CL_SERVER, k_serve_expired_reply, 0 },
	{ "serve-expired-client-timeout", CL_SERVER, k_serve_expired_timeout, 0 },
	{ "prefetch", CL_SERVER, k_prefetch, 0 },
	{ "edns-buffer-size", CL_SERVER, k_edns, 0 },
	{ "so-rcvbuf", CL_SERVER, k_so_rcvbuf, 0 },
	{ "so-sndbuf", CL_SERVER, k_so_sndbuf, 0 },
	{ "socket-pool-size", CL_SERVER, k_pool_size, 0 },
	{ "socket-pool-range", CL_SERVER, k_pool_range, LINE_OF(l_range) },
	{ "socket-pool-exclude", CL_SERVER, k_pool_exclude, LINE_OF(l_exclude) },
	{ "pool-rotate-uses", CL_SERVER, k_rotate_uses, 0 },
	{ "pool-rotate-seconds", CL_SERVER, k_rotate_secs, 0 },
	{ "tcp-after-mismatch", CL_SERVER, k_tcp_mismatch, 0 },
	{ "unwanted-reply-threshold", CL_SERVER, k_unwanted, 0 },
	{ "defensive-mode-time", CL_SERVER, k_defensive, 0 },
	{ "upstream-cookies", CL_SERVER, k_cookies, 0 },
	{ "refuse-fragmented-replies", CL_SERVER, k_refuse_frag, 0 },
	{ "merge-identical-queries", CL_SERVER, k_merge, 0 },
	{ "caps-exempt", CL_SERVER, k_caps_exempt, 0 },
	{ "num-threads", CL_SERVER, k_threads, 0 },
	{ "tcp-idle-timeout", CL_SERVER, k_tcp_idle, 0 },
	{ "num-queries-per-thread", CL_SERVER, k_nqpt, 0 },
	{ "jostle-timeout", CL_SERVER, k_jostle, 0 },
	{ "incoming-num-tcp", CL_SERVER, k_in_tcp, 0 },
	{ "tcp-connections-per-address", CL_SERVER, k_tcp_per_addr, 0 },
	{ "tcp-message-timeout", CL_SERVER, k_tcp_msg, 0 },
	{ "tcp-queue-size", CL_SERVER, k_tcp_queue, 0 },
	{ "stream-wait-size", CL_SERVER, k_stream_wait, 0 },
	{ "upstream-timeout", CL_SERVER, k_upstream_timeout, 0 },
	{ "verbosity", CL_SERVER, k_verbosity, 0 },
	{ "username", CL_SERVER, k_username, 0 },
	{ "chroot", CL_SERVER, k_chroot, 0 },
	{ "pidfile", CL_SERVER, k_pidfile, 0 },
	{ "logfile", CL_SERVER, k_logfile, 0 },
	{ "use-syslog", CL_SERVER, k_use_syslog, 0 },
	{ "hide-identity", CL_SERVER, k_hide_identity, 0 },
	{ "hide-version", CL_SERVER, k_hide_version, 0 },
	{ "identity", CL_SERVER, k_identity, 0 },
	{ "version", CL_SERVER, k_version, 0 },
	{ "control-socket", CL_SERVER | CL_REMOTE, k_control_socket, 0 },
	{ "name", CL_FORWARD | CL_STUB, k_zone_name, 0 },
	{ "forward-addr", CL_FORWARD, k_zone_addr, 0 },
	{ "stub-addr", CL_STUB, k_zone_addr, 0 },
};

static const struct {
	const char *name;
	enum clause clause;
} clauses[] = {
	{ "server", CL_SERVER },
	{ "forward-zone", CL_FORWARD },
	{ "stub-zone", CL_STUB },
	{ "remote-control", CL_REMOTE },
};

static const char *clause_name(unsigned mask)
{
	for (size_t i = 0; i < sizeof(clauses) / sizeof(clauses[0]); i++)
		if (mask & clauses[i].clause)
			return clauses[i].name;
	return "?";
}

/* ---- clauses and lines ------------------------------------------------ */

static bool family_enabled(const struct config *cfg, int family)
{
	return family == AF_INET ? cfg->do_ip4 : cfg->do_ip6;
}

/* Checks the zone clause that just ended. */
static int end_zone(struct parser *p)
{
	if (!p->zone)
		return 0;
	const char *what = p->clause == CL_FORWARD ? "forward-zone" : "stub-zone";
	if (!p->zone_named)
		return fail_at(p, p->zone_line, what, "has no name");
	if (p->zone->n_addrs == 0)
		return fail_at(p, p->zone_line, what, "has no %s",
			       p->clause == CL_FORWARD ? "forward-addr" : "stub-addr");
	p->zone = NULL;
	return 0;
}

static int begin_clause(struct parser *p, enum clause cl)
{
	int rc = end_zone(p);
	if (rc < 0)
		return rc;
	p->clause = cl;
	if (cl != CL_FORWARD && cl != CL_STUB)
		return 0;
	struct config *cfg = p->cfg;
	size_t *n = cl == CL_FORWARD ? &cfg->n_forward : &cfg->n_stub;
	if (*n >= CONFIG_MAX_ZONES)
		return fail(p, "more than %d %s clauses (CONFIG_MAX_ZONES)", CONFIG_MAX_ZONES, p->key);
	p->zone = cl == CL_FORWARD ? &cfg->forward[*n] : &cfg->stub[*n];
	memset(p->zone, 0, sizeof(*p->zone));
	(*n)++;
	p->zone_line = p->line;
	p->zone_named = false;
	return 0;
}

static bool is_space(char c) { return c == ' ' || c == '\t'; }

/* Keys for which a quoted "" is a value: it turns the setting off, or (for
 * identity and version) asks for the built-in text, as in unbound.conf.
 * Every other key refuses an empty value. */
static bool empty_ok(const struct key *k)
{
	return k->fn == k_username || k->fn == k_chroot || k->fn == k_pidfile ||
	       k->fn == k_logfile || k->fn == k_identity || k->fn == k_version;
}

/* One line, NUL-terminated, without its newline. */
static int parse_line(struct parser *p, char *s)
{
	while (is_space(*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	char *key = s;
	while (*s && *s != ':' && *s != '#' && !is_space(*s))
		s++;
	char sep = *s;
	*s = '\0';
	p->key = key;
	if (sep != ':')
		return fail(p, "expected \"key: value\"");
	if (*key == '\0') {
		p->key = NULL;
		return fail(p, "missing key before ':'");
	}
	s++;
	while (is_space(*s))
		s++;

	char *val = s;
	bool quoted = *s == '"';
	if (quoted) {
		val = ++s;
		char *close = strchr(s, '"');
		if (!close)
			return fail(p, "missing closing quote");
		*close = '\0';
		s = close + 1;
		while (is_space(*s))
			s++;
		if (*s && *s != '#')
			return fail(p, "text after the closing quote");
	} else {
		char *end = strchr(s, '#');
		if (!end)
			end = s + strlen(s);
		while (end > s && is_space(end[-1]))
			end--;
		*end = '\0';
	}

	for (size_t i = 0; i < sizeof(clauses) / sizeof(clauses[0]); i++) {
		if (strcmp(key, clauses[i].name) == 0) {
			if (*val || quoted)
				return fail(p, "a clause header takes no value");
			return begin_clause(p, clauses[i].clause);
		}
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		if (strcmp(key, k->name) != 0)
			continue;
		if (p->clause == CL_NONE)
			return fail(p, "appears before any clause (put it under %s:)",
				    clause_name(k->clauses));
		if (!(k->clauses & p->clause))
			return fail(p, "not valid in a %s: clause (it belongs under %s:)",
				    clause_name(p->clause), clause_name(k->clauses));
		if (*val == '\0' && !(quoted && empty_ok(k)))
			return fail(p, "missing value");
		int rc = k->fn(p, val);
		if (rc == 0 && k->line_off)
			*(size_t *)(void *)((char *)p + k->line_off) = p->line;
		return rc;
	}
	return fail(p, "unknown key");
}

/* ---- checks across keys ----------------------------------------------- */

static size_t max_line(size_t a, size_t b) { return a > b ? a : b; }

static int check_families(struct parser *p)
{
	struct config *cfg = p->cfg;
	size_t l = max_line(p->l_ip4, p->l_ip6);
	const char *key = p->l_ip4 > p->l_ip6 ? "do-ip4" : "do-ip6";
	if (!cfg->do_ip4 && !cfg->do_ip6)
		return fail_at(p, l, key, "do-ip4 and do-ip6 are both no");
	if (!l)
		return 0;
	/* Default listeners of a disabled family go quietly: the defaults
	 * name both families so "do-ip6: no" alone must give a working
	 * configuration. Listed ones are a contradiction the user should see. */
	size_t keep = 0;
	for (size_t i = 0; i < cfg->n_interfaces; i++) {
		if (!family_enabled(cfg, cfg->interfaces[i].sa.ss_family)) {
			if (p->iface_seen)
				return fail_at(p, l, key, "an interface of this family is listed");
			continue;
		}
		cfg->interfaces[keep++] = cfg->interfaces[i];
	}
	cfg->n_interfaces = keep;
	for (size_t i = 0; i < cfg->n_outgoing; i++)
		if (!family_enabled(cfg, cfg->outgoing[i].sa.ss_family))
			return fail_at(p, l, key, "an outgoing-interface of this family is listed");
	for (int list = 0; list < 2; list++) {
		const struct config_zone *z = list ? cfg->stub : cfg->forward;
		size_t n = list ? cfg->n_stub : cfg->n_forward;
		for (size_t i = 0; i < n; i++) {
			bool usable = false;
			for (size_t j = 0; j < z[i].n_addrs; j++)
				usable |= family_enabled(cfg, z[i].addrs[j].sa.ss_family);
			if (!usable) {
				char txt[WIRE_NAME_MAX * 4 + 1];
				if (wire_name_to_text(z[i].name, txt, sizeof(txt)) < 0)
					strcpy(txt, "?");
				return fail_at(p, l, key, "zone %s is left without a usable address",
					       txt);
			}
		}
	}
	return 0;
}

static int check_pool(struct parser *p)
{
	const struct config *cfg = p->cfg;
	const struct config_range *r = &cfg->socket_pool_range;
	if (!p->l_range && !p->l_exclude)
		return 0;
	/* One bit per port; 8 KiB on the stack, once per load. */
	uint8_t excluded[65536 / 8] = { 0 };
	for (size_t i = 0; i < cfg->n_pool_exclude; i++)
		for (uint32_t port = cfg->pool_exclude[i].low; port <= cfg->pool_exclude[i].high; port++)
			excluded[port / 8] |= (uint8_t)(1u << (port % 8));
	for (uint32_t port = r->low; port <= r->high; port++)
		if (!(excluded[port / 8] & (1u << (port % 8))))
			return 0;
	size_t l = max_line(p->l_range, p->l_exclude);
	return fail_at(p, l, p->l_range > p->l_exclude ? "socket-pool-range" : "socket-pool-exclude",
		       "socket-pool-exclude leaves no port of socket-pool-range %u-%u",
		       r->low, r->high);
}

static int check_all(struct parser *p)
{
	struct config *cfg = p->cfg;
	int rc = end_zone(p);
	if (rc < 0)
		return rc;
	if (cfg->cache_min_ttl > cfg->cache_max_ttl && (p->l_min_ttl || p->l_max_ttl)) {
		bool min_last = p->l_min_ttl > p->l_max_ttl;
		return fail_at(p, max_line(p->l_min_ttl, p->l_max_ttl),
			       min_last ? "cache-min-ttl" : "cache-max-ttl",
			       "cache-min-ttl %u is above cache-max-ttl %u",
			       cfg->cache_min_ttl, cfg->cache_max_ttl);
	}
	if (!cfg->do_udp && !cfg->do_tcp)
		return fail_at(p, max_line(p->l_udp, p->l_tcp),
			       p->l_udp > p->l_tcp ? "do-udp" : "do-tcp",
			       "do-udp and do-tcp are both no");
	if ((rc = check_families(p)) < 0)
		return rc;
	return check_pool(p);
}

/* ---- entry points ----------------------------------------------------- */

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	config_parse_addr("127.0.0.1", 53, &cfg->interfaces[0]);
	config_parse_addr("::1", 53, &cfg->interfaces[1]);
	cfg->n_interfaces = 2;
	/* n_acl stays 0: the daemon then allows loopback (127.0.0.0/8, ::1) only. */
	strcpy(cfg->control_socket, "/run/portcullis.ctl");
	cfg->do_ip4 = cfg->do_ip6 = true;
	cfg->do_udp = cfg->do_tcp = true;
	cfg->do_not_query_localhost = true;
	cfg->qname_minimisation = true;
	cfg->harden_glue = true;
	cfg->use_caps_for_id = true;
	cfg->cache_size = 64ull << 20;
	cfg->cache_min_ttl = 0;
	cfg->cache_max_ttl = 86400;
	cfg->cache_max_negative_ttl = 3600;
	cfg->edns_buffer_size = 1232;
	cfg->packet_cache_size = 8192;
	cfg->serve_expired = false;
	cfg->serve_expired_ttl = 86400;
	cfg->serve_expired_ttl_reset = false;
	cfg->serve_expired_reply_ttl = 30;
	cfg->serve_expired_client_timeout = 1800;
	cfg->prefetch = false;
	cfg->so_rcvbuf = cfg->so_sndbuf = 4u << 20;
	cfg->socket_pool_size = 2500;
	cfg->socket_pool_range.low = 49152;
	cfg->socket_pool_range.high = 65535;
	cfg->pool_rotate_uses = 64;
	cfg->pool_rotate_seconds = 60;
	cfg->tcp_after_mismatch = true;
	cfg->unwanted_reply_threshold = 10000;
	cfg->defensive_mode_time = 300;
	cfg->upstream_cookies = true;
	cfg->refuse_fragmented_replies = true;
	cfg->merge_identical_queries = true;
	cfg->num_threads = 1;
	cfg->tcp_idle_timeout = 30000;
	cfg->num_queries_per_thread = 1024;
	cfg->jostle_timeout = 200;
	cfg->incoming_num_tcp = 512;
	cfg->tcp_per_address = 32;
	cfg->tcp_message_timeout = 5000;
	cfg->tcp_queue_size = 64u << 10;
	cfg->stream_wait_size = 4ull << 20;
	cfg->upstream_timeout = 400;
	cfg->verbosity = 1;
	strcpy(cfg->username, "portcullis");
}

static int parse_into(struct parser *p, const char *text, size_t len)
{
	char line[LINE_MAX_BYTES + 1];
	size_t pos = 0;
	p->line = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t raw = nl ? (size_t)(nl - (text + pos)) : len - pos;
		size_t n = raw;
		p->line++;
		p->key = NULL;
		if (n && text[pos + n - 1] == '\r')
			n--;
		if (n > LINE_MAX_BYTES)
			return fail(p, "line is longer than %d bytes", LINE_MAX_BYTES);
		if (memchr(text + pos, '\0', n))
			return fail(p, "NUL byte in line");
		memcpy(line, text + pos, n);
		line[n] = '\0';
		int rc = parse_line(p, line);
		if (rc < 0)
			return rc;
		pos += raw + (nl != NULL);
	}
	p->key = NULL;
	return check_all(p);
}

int config_parse(struct config *cfg, const char *name, const char *text, size_t len,
		 char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (len > FILE_MAX_BYTES) {
		if (err && errlen)
			snprintf(err, errlen, "%s: file is larger than %d bytes", name, FILE_MAX_BYTES);
		return PC_EINVAL;
	}
	struct config *work = malloc(sizeof(*work));
	if (!work) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name);
		return PC_ENOMEM;
	}
	memcpy(work, cfg, sizeof(*work));
	struct parser p = { .cfg = work, .file = name, .err = err, .errlen = errlen };
	int rc = parse_into(&p, text, len);
	if (rc == 0)
		memcpy(cfg, work, sizeof(*cfg));
	free(work);
	return rc;
}

const char *config_key_name(size_t i)
{
	return i < sizeof(keys) / sizeof(keys[0]) ? keys[i].name : NULL;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc = file_read_bounded(path, FILE_MAX_BYTES, &buf, &len, err, errlen);
	if (rc != 0)
		return rc;
	rc = config_parse(cfg, path, buf, len, err, errlen);
	free(buf);
	return rc;
}
