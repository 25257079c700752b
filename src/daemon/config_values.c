/* config_values: value parsers and the handlers of keys that need more than
 * a plain type (config_int.h). Every value reaches these as a bounded,
 * NUL-terminated C string. */
#include <arpa/inet.h>
#include <grp.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/anchor.h"
#include "core/dns64.h"
#include "daemon/config_int.h"
#include "util/err.h"
#include "wire/wire.h"

/* ---- numbers ---------------------------------------------------------- */


/* Decimal without sign, at most max; rejects empty strings and overflow. */
bool cfg_dec_u64(const char *s, const char **end, uint64_t max, uint64_t *out)
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
		return cfg_fail(p, "%s is not yes or no", SHOW(v));
	return 0;
}
static int parse_u32(struct parser *p, const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	SHOWBUF;
	const char *end;
	uint64_t n;
	if (!cfg_dec_u64(v, &end, UINT64_MAX / 16, &n) || *end)
		return cfg_fail(p, "%s is not a number", SHOW(v));
	if (n < min || n > max)
		return cfg_fail(p, "%s is out of range %u..%u", SHOW(v), min, max);
	*out = (uint32_t)n;
	return 0;
}

/* Bytes with an optional k, m or g suffix (powers of 1024). */
int cfg_parse_size(struct parser *p, const char *v, uint64_t *out)
{
	SHOWBUF;
	const char *end;
	uint64_t n, mult = 1;
	if (!cfg_dec_u64(v, &end, UINT64_MAX, &n))
		return cfg_fail(p, "%s is not a size", SHOW(v));
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	default: return cfg_fail(p, "%s is not a size", SHOW(v));
	}
	if (*end)
		return cfg_fail(p, "%s is not a size", SHOW(v));
	if (n > UINT64_MAX / mult)
		return cfg_fail(p, "%s is too large", SHOW(v));
	*out = n * mult;
	return 0;
}

/* "N" or "A-B", ports 1..65535. */
static int parse_range(struct parser *p, const char *v, bool single_ok, struct config_range *out)
{
	SHOWBUF;
	const char *end;
	uint64_t lo, hi;
	if (!cfg_dec_u64(v, &end, 65535, &lo))
		goto bad;
	if (*end == '\0' && single_ok) {
		hi = lo;
	} else {
		if (*end != '-' || !cfg_dec_u64(end + 1, &end, 65535, &hi) || *end)
			goto bad;
	}
	if (lo == 0 || hi == 0)
		return cfg_fail(p, "port 0 is not a port (use 1..65535)");
	if (lo > hi)
		return cfg_fail(p, "low end %u is above high end %u", (unsigned)lo, (unsigned)hi);
	out->low = (uint16_t)lo;
	out->high = (uint16_t)hi;
	return 0;
bad:
	return cfg_fail(p, "%s is not a port range%s (1..65535)", SHOW(v), single_ok ? " or port" : " \"A-B\"");
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
		if (cfg_dec_u64(pct, &end, UINT32_MAX, &idx) && *end == '\0')
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
		if (!cfg_dec_u64(at + 1, &end, 65535, &n) || *end || n == 0)
			return PC_EINVAL;
		port = (uint16_t)n;
	}
	struct config_addr a;
	memset(&a, 0, sizeof(a)); /* padding too: a reload compares lists bytewise */
	if (parse_ip(text, alen, &a.sa, &a.len) < 0)
		return PC_EINVAL;
	if (a.sa.ss_family == AF_INET)
		((struct sockaddr_in *)&a.sa)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a.sa)->sin6_port = htons(port);
	*out = a;
	return 0;
}

bool cfg_addr_eq(const struct config_addr *a, const struct config_addr *b)
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
		return cfg_fail(p, "%s: takes no port (the socket pool chooses ports)", SHOW(v));
	if (config_parse_addr(v, port, &a) < 0)
		return cfg_fail(p, "%s is not an address%s", SHOW(v), port_ok ? " or address@port" : "");
	for (size_t i = 0; i < *n; i++)
		if (cfg_addr_eq(&list[i], &a))
			return cfg_fail(p, "%s is listed twice", SHOW(v));
	if (*n >= CONFIG_MAX_ADDRS)
		return cfg_fail(p, "more than %d %s (CONFIG_MAX_ADDRS)", CONFIG_MAX_ADDRS, what);
	list[(*n)++] = a;
	return 0;
}

static int parse_path(struct parser *p, const char *v, size_t max, char *out)
{
	if (!*v)
		return cfg_fail(p, "empty path");
	size_t n = strlen(v);
	if (n > max)
		return cfg_fail(p, "path is longer than %zu bytes", max);
	memcpy(out, v, n + 1);
	return 0;
}

/* ---- keys ------------------------------------------------------------- */

int k_interface(struct parser *p, const char *v)
{
	if (!p->iface_seen) {
		p->cfg->n_interfaces = 0;
		p->iface_seen = true;
	}
	return add_addr(p, v, 53, true, p->cfg->interfaces, &p->cfg->n_interfaces, "interfaces");
}

int k_outgoing(struct parser *p, const char *v)
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

int k_access_control(struct parser *p, const char *v)
{
	SHOWBUF;
	struct config *cfg = p->cfg;
	size_t blen = strcspn(v, " \t");
	const char *act = v + blen;
	act += strspn(act, " \t");
	if (!*act)
		return cfg_fail(p, "%s: expected \"NETBLOCK allow|refuse|deny\"", SHOW(v));
	struct config_acl acl;
	memset(&acl, 0, sizeof(acl));
	if (strcmp(act, "allow") == 0)
		acl.allow = true;
	else if (strcmp(act, "refuse") != 0 && strcmp(act, "deny") != 0)
		return cfg_fail(p, "%s is not allow, refuse or deny", SHOW(act));

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
		if (!cfg_dec_u64(slash + 1, &end, 255, &prefix) || end != v + blen)
			goto bad;
		if (prefix > maxp)
			return cfg_fail(p, "prefix /%u is longer than %u bits", (unsigned)prefix, maxp);
	}
	acl.prefix = (uint8_t)prefix;
	const uint8_t *bytes = v4 ? (const uint8_t *)&((struct sockaddr_in *)&acl.net)->sin_addr
				  : ((struct sockaddr_in6 *)&acl.net)->sin6_addr.s6_addr;
	if (host_bits(bytes, v4 ? 4 : 16, acl.prefix)) {
		char nb[CONFIG_SHOW_MAX + 1];
		snprintf(nb, sizeof(nb), "%.*s", (int)(blen < CONFIG_SHOW_MAX ? blen : CONFIG_SHOW_MAX), v);
		return cfg_fail(p, "%s has bits set beyond the /%u prefix", SHOW(nb), acl.prefix);
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
		return cfg_fail(p, "more than %d entries (CONFIG_MAX_ACL)", CONFIG_MAX_ACL);
	cfg->acl[cfg->n_acl++] = acl;
	return 0;
bad:;
	char nb[CONFIG_SHOW_MAX + 1];
	snprintf(nb, sizeof(nb), "%.*s", (int)(blen < CONFIG_SHOW_MAX ? blen : CONFIG_SHOW_MAX), v);
	return cfg_fail(p, "%s is not an address or address/prefix", SHOW(nb));
}


/* A user name as useradd(8) takes it; "" turns the privilege drop off. */
int k_username(struct parser *p, const char *v)
{
	SHOWBUF;
	size_t n = strlen(v);
	if (n >= sizeof(p->cfg->username))
		return cfg_fail(p, "user name is longer than %zu bytes", sizeof(p->cfg->username) - 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || (c == '-' && i > 0);
		if (!ok)
			return cfg_fail(p, "%s is not a user name", SHOW(v));
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
		return cfg_fail(p, "%s is not an absolute path", SHOW(v));
	return parse_path(p, v, CONFIG_PATH_MAX - 1, out);
}

/* The text of a CH TXT answer: one character-string, so 255 bytes at most;
 * "" (quoted) asks for the built-in text. */
static int parse_txt(struct parser *p, const char *v, char out[256])
{
	size_t n = strlen(v);
	if (n > 255)
		return cfg_fail(p, "text is longer than 255 bytes (one TXT string)");
	memcpy(out, v, n + 1);
	return 0;
}


int k_pool_range(struct parser *p, const char *v)
{
	return parse_range(p, v, false, &p->cfg->socket_pool_range);
}

int k_pool_exclude(struct parser *p, const char *v)
{
	struct config_range r;
	int rc = parse_range(p, v, true, &r);
	if (rc < 0)
		return rc;
	if (p->cfg->n_pool_exclude >= CONFIG_MAX_EXCLUDE)
		return cfg_fail(p, "more than %d ranges (CONFIG_MAX_EXCLUDE)", CONFIG_MAX_EXCLUDE);
	p->cfg->pool_exclude[p->cfg->n_pool_exclude++] = r;
	return 0;
}

/* A domain name added to a list of names (lowercase, each once). */
static int name_list_add(struct parser *p, const char *v, uint8_t (*list)[256], size_t *n)
{
	SHOWBUF;
	uint8_t name[WIRE_NAME_MAX];
	if (wire_name_from_text(v, name) < 0)
		return cfg_fail(p, "%s is not a domain name", SHOW(v));
	wire_name_lower(name);
	for (size_t i = 0; i < *n; i++)
		if (wire_name_eq(list[i], name))
			return 0;
	if (*n >= CONFIG_MAX_ZONES)
		return cfg_fail(p, "more than %d names (CONFIG_MAX_ZONES)", CONFIG_MAX_ZONES);
	memcpy(list[(*n)++], name, sizeof(name));
	return 0;
}

int k_caps_exempt(struct parser *p, const char *v)
{
	return name_list_add(p, v, p->cfg->caps_exempt, &p->cfg->n_caps_exempt);
}

int k_dns64_ignore_aaaa(struct parser *p, const char *v)
{
	return name_list_add(p, v, p->cfg->dns64_ignore_aaaa, &p->cfg->n_dns64_ignore_aaaa);
}

/* module-config: the validator in front of the iterator, or the iterator
 * alone, either with dns64 in front (Unbound's module names and order; no
 * other module exists here). */
int k_module_config(struct parser *p, const char *v)
{
	SHOWBUF;
	char words[64];
	size_t n = 0;
	/* the words, one space between them */
	for (const char *c = v; *c && n + 1 < sizeof(words); c++) {
		if (*c == ' ' || *c == '\t') {
			if (n > 0 && words[n - 1] != ' ')
				words[n++] = ' ';
			continue;
		}
		words[n++] = *c;
	}
	while (n > 0 && words[n - 1] == ' ')
		n--;
	words[n] = 0;
	const char *rest = words;
	bool dns64 = strncmp(words, "dns64 ", 6) == 0;
	if (dns64)
		rest += 6;
	if (strcmp(rest, "validator iterator") == 0)
		p->cfg->modules.validate = true;
	else if (strcmp(rest, "iterator") == 0)
		p->cfg->modules.validate = false;
	else
		return cfg_fail(p, "%s: \"validator iterator\" or \"iterator\", either with \"dns64\" "
			       "in front (no subnetcache, respip or other modules here)", SHOW(v));
	p->cfg->modules.dns64 = dns64;
	return 0;
}

/* dns64-prefix: an RFC 6052 prefix. */
int k_dns64_prefix(struct parser *p, const char *v)
{
	SHOWBUF;
	char why[128];
	if (dns64_parse_prefix(v, p->cfg->dns64_prefix, &p->cfg->dns64_plen, why, sizeof(why)) != 0)
		return cfg_fail(p, "%s: %s", SHOW(v), why);
	return 0;
}

/* ---- trust anchors ---- */

/* trust-anchor: one record, checked here so a mistake is reported with the
 * configuration's file and line (the loader's own "NAME:LINE: " prefix is
 * left out: the record is the whole value). */
int k_trust_anchor(struct parser *p, const char *v)
{
	SHOWBUF;
	struct config *cfg = p->cfg;
	size_t len = strlen(v);
	if (len >= CONFIG_ANCHOR_TEXT)
		return cfg_fail(p, "record longer than %d bytes", CONFIG_ANCHOR_TEXT - 1);
	struct anchor_set *set = anchor_set_new();
	if (set == NULL)
		return cfg_fail(p, "out of memory");
	char err[256];
	int rc = anchor_add_text(set, v, len, "-", err, sizeof(err));
	if (rc == 0 && anchor_set_warning(set) != NULL)
		snprintf(err, sizeof(err), "%s", anchor_set_warning(set));
	anchor_set_free(set);
	const char *what = strncmp(err, "-:1: ", 5) == 0 ? err + 5
			 : strncmp(err, "-: ", 3) == 0 ? err + 3 : err;
	if (rc != 0)
		return cfg_fail(p, "%s: %s", SHOW(v), what);
	if (err[0] != '\0')
		cfg_warn(p, "%s: %s", SHOW(v), what);
	for (size_t i = 0; i < cfg->n_trust_anchor; i++)
		if (strcmp(cfg->trust_anchor[i], v) == 0)
			return 0;
	if (cfg->n_trust_anchor >= CONFIG_MAX_ANCHORS)
		return cfg_fail(p, "more than %d records (CONFIG_MAX_ANCHORS)", CONFIG_MAX_ANCHORS);
	memcpy(cfg->trust_anchor[cfg->n_trust_anchor++], v, len + 1);
	return 0;
}

/* A path into one of the anchor file lists (read when the daemon starts or
 * reloads: daemon/options.c). */
static int anchor_path(struct parser *p, const char *v, char (*list)[CONFIG_PATH_MAX], size_t *n)
{
	size_t len = strlen(v);
	if (len == 0)
		return cfg_fail(p, "empty path");
	if (len >= CONFIG_PATH_MAX)
		return cfg_fail(p, "path longer than %d bytes", CONFIG_PATH_MAX - 1);
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i], v) == 0)
			return 0;
	if (*n >= CONFIG_MAX_ANCHORS)
		return cfg_fail(p, "more than %d files (CONFIG_MAX_ANCHORS)", CONFIG_MAX_ANCHORS);
	memcpy(list[(*n)++], v, len + 1);
	return 0;
}

int k_trust_anchor_file(struct parser *p, const char *v)
{
	return anchor_path(p, v, p->cfg->trust_anchor_file, &p->cfg->n_trust_anchor_file);
}

int k_auto_trust_anchor_file(struct parser *p, const char *v)
{
	struct config *cfg = p->cfg;
	for (size_t i = 0; i < cfg->n_auto_trust_anchor_file; i++)
		if (strcmp(cfg->auto_trust_anchor_file[i], v) == 0)
			return cfg_fail(p, "%s is listed twice", v);
	return anchor_path(p, v, cfg->auto_trust_anchor_file, &cfg->n_auto_trust_anchor_file);
}

int k_trusted_keys_file(struct parser *p, const char *v)
{
	return anchor_path(p, v, p->cfg->trusted_keys_file, &p->cfg->n_trusted_keys_file);
}

int k_domain_insecure(struct parser *p, const char *v)
{
	SHOWBUF;
	uint8_t name[WIRE_NAME_MAX];
	if (wire_name_from_text(v, name) < 0)
		return cfg_fail(p, "%s is not a domain name", SHOW(v));
	wire_name_lower(name);
	struct config *cfg = p->cfg;
	for (size_t i = 0; i < cfg->n_domain_insecure; i++)
		if (wire_name_eq(cfg->domain_insecure[i], name))
			return 0;
	if (cfg->n_domain_insecure >= CONFIG_MAX_ZONES)
		return cfg_fail(p, "more than %d names (CONFIG_MAX_ZONES)", CONFIG_MAX_ZONES);
	/* the whole slot is set: a reload compares the lists byte by byte */
	memset(cfg->domain_insecure[cfg->n_domain_insecure], 0, sizeof(cfg->domain_insecure[0]));
	wire_name_copy(cfg->domain_insecure[cfg->n_domain_insecure++], name);
	return 0;
}

/* Zone names are unique over forward and stub zones together: two clauses
 * for one name would leave it unclear which servers are asked. */
int k_zone_name(struct parser *p, const char *v)
{
	SHOWBUF;
	uint8_t name[WIRE_NAME_MAX];
	if (p->zone_named)
		return cfg_fail(p, "given twice in one zone clause");
	if (wire_name_from_text(v, name) < 0)
		return cfg_fail(p, "%s is not a domain name", SHOW(v));
	wire_name_lower(name);
	const struct config *cfg = p->cfg;
	for (int list = 0; list < 2; list++) {
		const struct config_zone *z = list ? cfg->stub : cfg->forward;
		size_t n = list ? cfg->n_stub : cfg->n_forward;
		for (size_t i = 0; i < n; i++)
			if (&z[i] != p->zone && wire_name_eq(z[i].name, name))
				return cfg_fail(p, "zone %s already has a %s clause", SHOW(v),
					    list ? "stub-zone:" : "forward-zone:");
	}
	memcpy(p->zone->name, name, sizeof(name));
	p->zone_named = true;
	return 0;
}

/* unbound's "addr@port#name" asks for DNS over TLS with that name: sending
 * those queries in clear text instead would be a silent downgrade. */
int k_zone_addr(struct parser *p, const char *v)
{
	SHOWBUF;
	if (strchr(v, '#') != NULL)
		return cfg_fail(p, "%s asks for DNS over TLS (the name after '#'), which this build "
			       "does not have; it will not send these queries in clear text instead. "
			       "Remove the #name to forward without TLS", SHOW(v));
	return add_addr(p, v, 53, true, p->zone->addrs, &p->zone->n_addrs, "addresses in one zone");
}

/* ---- typed keys ------------------------------------------------------- */

/* A size as the docs write it: 1g, 64k, 512. */
static const char *size_text(uint64_t n, char *out, size_t len)
{
	static const char unit[] = "gmk";
	for (int i = 0; i < 3; i++) {
		uint64_t m = 1ull << (10 * (3 - i));
		if (n >= m && n % m == 0) {
			snprintf(out, len, "%llu%c", (unsigned long long)(n / m), unit[i]);
			return out;
		}
	}
	snprintf(out, len, "%llu", (unsigned long long)n);
	return out;
}

static int apply_size(struct parser *p, const struct config_key *k, const char *v, void *field)
{
	SHOWBUF;
	uint64_t n;
	int rc = cfg_parse_size(p, v, &n);
	if (rc != 0)
		return rc;
	char lo[24], hi[24];
	if (n > k->max && k->min == 0)
		return cfg_fail(p, "%s is too large (at most %s)", SHOW(v), size_text(k->max, hi, sizeof(hi)));
	if (n < k->min || n > k->max)
		return cfg_fail(p, "%s is out of range (%s to %s)", SHOW(v),
			       size_text(k->min, lo, sizeof(lo)), size_text(k->max, hi, sizeof(hi)));
	if (k->type == T_SIZE32) {
		uint32_t n32 = (uint32_t)n;
		memcpy(field, &n32, sizeof(n32));
	} else {
		memcpy(field, &n, sizeof(n));
	}
	return 0;
}

int cfg_apply_typed(struct parser *p, const struct config_key *k, const char *v)
{
	void *field = (char *)p->cfg + k->off;
	switch (k->type) {
	case T_BOOL:
		return parse_bool(p, v, field);
	case T_U32:
	case T_U16: {
		uint32_t n;
		int rc = parse_u32(p, v, (uint32_t)k->min, (uint32_t)k->max, &n);
		if (rc != 0)
			return rc;
		if (k->type == T_U16) {
			uint16_t n16 = (uint16_t)n;
			memcpy(field, &n16, sizeof(n16));
		} else {
			memcpy(field, &n, sizeof(n));
		}
		return 0;
	}
	case T_SIZE:
	case T_SIZE32:
		return apply_size(p, k, v, field);
	case T_PATH:
		return parse_path(p, v, (size_t)k->max, field);
	case T_OPTPATH:
		return optional_abs_path(p, v, field);
	case T_TEXT:
		return parse_txt(p, v, field);
	case T_FN:
		return k->fn(p, v);
	}
	return cfg_fail(p, "internal error: key type %d", (int)k->type);
}

/* ---- control ---------------------------------------------------------- */

/* Longest path bind() accepts for a UNIX socket: sun_path minus the NUL. */
#define SUN_PATH_MAX 107

int k_control_socket(struct parser *p, const char *v)
{
	if (*v == '\0') {
		p->cfg->control_socket[0] = '\0';
		return 0;
	}
	return parse_path(p, v, SUN_PATH_MAX, p->cfg->control_socket);
}

/* The collector's UNIX socket (dnstap:). */
int k_dnstap_socket(struct parser *p, const char *v)
{
	return parse_path(p, v, SUN_PATH_MAX, p->cfg->dnstap_socket_path);
}

/* ADDR@PORT of the metrics endpoint; the port is required. */
int k_metrics_interface(struct parser *p, const char *v)
{
	SHOWBUF;
	if (strchr(v, '@') == NULL || config_parse_addr(v, 0, &p->cfg->metrics_interface) < 0)
		return cfg_fail(p, "%s is not address@port", SHOW(v));
	p->cfg->metrics_on = true;
	return 0;
}

/* The group is looked up when the daemon starts (privs.c), where its
 * absence is an error; here only its shape. */
int k_control_group(struct parser *p, const char *v)
{
	SHOWBUF;
	size_t n = strlen(v);
	if (n >= sizeof(p->cfg->control_group))
		return cfg_fail(p, "group name is longer than %zu bytes",
			       sizeof(p->cfg->control_group) - 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || (c == '-' && i > 0);
		if (!ok)
			return cfg_fail(p, "%s is not a group name", SHOW(v));
	}
	memcpy(p->cfg->control_group, v, n + 1);
	return 0;
}

/* unbound.conf's remote-control: "control-enable: no" means no control
 * channel; "yes" keeps portcullis's (always a UNIX socket). */
int k_control_enable(struct parser *p, const char *v)
{
	bool on;
	int rc = parse_bool(p, v, &on);
	if (rc == 0 && !on)
		p->cfg->control_socket[0] = '\0';
	return rc;
}

/* unbound's control-interface is an address (TCP with TLS) or, starting
 * with '/', a UNIX socket: the latter is portcullis's control socket; an
 * address is not listened on (warned, not refused: nothing is exposed). */
int k_control_interface(struct parser *p, const char *v)
{
	SHOWBUF;
	if (v[0] == '/')
		return parse_path(p, v, SUN_PATH_MAX, p->cfg->control_socket);
	cfg_warn(p, "%s: portcullis-ctl talks over a UNIX socket only (control-socket: %s); "
		    "the address is not listened on", SHOW(v),
		 p->cfg->control_socket[0] ? p->cfg->control_socket : "none");
	return 0;
}


/* local-zone, local-data, local-data-ptr: kept as written, checked all
 * together once the file is read (config.c's check_local), since a
 * record's meaning depends on the zones around it. cfg->local is this
 * read's own array (read_into gives it one). */
static int add_local(struct parser *p, enum config_local_kind kind, const char *v)
{
	struct config *cfg = p->cfg;
	if (cfg->n_local == p->local_cap) {
		size_t cap = p->local_cap ? p->local_cap * 2 : 16;
		struct config_local *a = realloc(cfg->local, cap * sizeof(*a));
		if (a == NULL)
			return cfg_fail(p, "out of memory");
		cfg->local = a;
		p->local_cap = cap;
	}
	char *text = strdup(v);
	if (text == NULL)
		return cfg_fail(p, "out of memory");
	cfg->local[cfg->n_local++] = (struct config_local){ kind, p->line, text };
	return 0;
}

int k_local_zone(struct parser *p, const char *v)
{
	return add_local(p, CONFIG_LOCAL_ZONE, v);
}

int k_local_data(struct parser *p, const char *v)
{
	return add_local(p, CONFIG_LOCAL_DATA, v);
}

int k_local_data_ptr(struct parser *p, const char *v)
{
	return add_local(p, CONFIG_LOCAL_DATA_PTR, v);
}
