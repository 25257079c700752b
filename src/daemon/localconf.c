/* localconf: text forms of local zones and data (localconf.h). */
#include "daemon/localconf.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/dump.h"
#include "core/hints.h"
#include "daemon/config.h"
#include "util/err.h"

static int failf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int failf(char *err, size_t errlen, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		/* The message quotes what was given: no byte of it may break
		 * the line or reach a terminal as a control code. */
		for (char *c = err; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
	}
	return PC_EINVAL;
}

/* Types a record may not have: 0, OPT and the query and meta types
 * (RFC 6895 section 3.1: 128-255). */
static bool data_type(uint16_t t)
{
	return t != 0 && t != WIRE_T_OPT && (t < 128 || t > 255);
}

static int parse_rr_once(const char *text, struct localconf_rr *out, char *err, size_t errlen)
{
	ldns_rr *rr = NULL;
	/* ldns reads "$..." as a directive and ";" as a comment start; a
	 * local-data line is one record and nothing else. */
	while (*text == ' ' || *text == '\t')
		text++;
	if (*text == '\0')
		return failf(err, errlen, "empty record");
	if (*text == '$' || *text == ';' || *text == '@')
		return failf(err, errlen, "a record must begin with its owner name");
	ldns_status st = ldns_rr_new_frm_str(&rr, text, LOCALCONF_TTL, NULL, NULL);
	if (st != LDNS_STATUS_OK || rr == NULL) {
		ldns_rr_free(rr);
		return failf(err, errlen, "not a record: %s", ldns_get_errorstr_by_id(st));
	}
	int rc = 0;
	ldns_buffer *buf = NULL;
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		rc = failf(err, errlen, "class must be IN");
		goto out;
	}
	out->type = (uint16_t)ldns_rr_get_type(rr);
	if (!data_type(out->type)) {
		rc = failf(err, errlen, "type %u is not a data type", out->type);
		goto out;
	}
	if (!hints_copy_dname(ldns_rr_owner(rr), out->owner, NULL)) {
		rc = failf(err, errlen, "bad owner name");
		goto out;
	}
	out->ttl = ldns_rr_ttl(rr);
	if (out->ttl > 0x7fffffffu) {
		rc = failf(err, errlen, "TTL %u is above 2147483647 (RFC 2181)", out->ttl);
		goto out;
	}
	buf = ldns_buffer_new(LDNS_MAX_PACKETLEN);
	if (buf == NULL) {
		rc = PC_ENOMEM;
		goto out;
	}
	if (ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK ||
	    ldns_buffer_position(buf) > sizeof(out->rdata)) {
		rc = failf(err, errlen, "rdata too long");
		goto out;
	}
	out->rdlen = (uint16_t)ldns_buffer_position(buf);
	memcpy(out->rdata, ldns_buffer_begin(buf), out->rdlen);
out:
	ldns_buffer_free(buf);
	ldns_rr_free(rr);
	return rc;
}

/* What is served must print as text that reads back to the same record
 * (list_local_data, dump_cache): ldns takes some RDATA its own printer then
 * writes in a form it refuses (found by fuzz_localdata: RFC 3597 data of type 64
 * that is no SVCB record). So the RDATA is printed and read again, under a
 * short owner (a long one full of escapes prints longer than ldns reads),
 * and must come back the same. */
int localconf_parse_rr(const char *text, struct localconf_rr *out, char *err, size_t errlen)
{
	int rc = parse_rr_once(text, out, err, errlen);
	if (rc != 0)
		return rc;
	static const uint8_t probe_owner[] = "\1x";
	char *back = dump_rr_text(probe_owner, out->type, WIRE_C_IN, out->ttl, out->rdata, out->rdlen);
	struct localconf_rr *again = malloc(sizeof(*again));
	if (back == NULL || again == NULL) {
		free(back);
		free(again);
		return PC_ENOMEM;
	}
	char why[64];
	rc = parse_rr_once(back, again, why, sizeof(why));
	bool same = rc == 0 && again->type == out->type && again->rdlen == out->rdlen &&
		    memcmp(again->rdata, out->rdata, out->rdlen) == 0;
	free(back);
	free(again);
	if (rc == PC_ENOMEM)
		return rc;
	if (!same)
		return failf(err, errlen, "the data is not valid for type %u", out->type);
	return 0;
}

/* The next blank-separated word of *s (NUL-terminated in place). */
static char *word(char **s)
{
	char *p = *s;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	char *w = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = '\0';
	*s = p;
	return w;
}

int localconf_parse_ptr(const char *text, struct localconf_rr *out, char *err, size_t errlen)
{
	char line[1024];
	if (strlen(text) >= sizeof(line))
		return failf(err, errlen, "too long");
	strcpy(line, text);
	char *s = line;
	char *addr = word(&s), *second = word(&s), *third = word(&s);
	if (addr == NULL || second == NULL || word(&s) != NULL)
		return failf(err, errlen, "expected \"ADDRESS [TTL] NAME\"");
	const char *name = third ? third : second;
	out->ttl = LOCALCONF_TTL;
	if (third != NULL) {
		char *end;
		unsigned long ttl = strtoul(second, &end, 10);
		if (second[0] < '0' || second[0] > '9' || *end != '\0' || ttl > 0x7fffffffu)
			return failf(err, errlen, "TTL \"%.40s\" is not a number 0..2147483647",
				     second);
		out->ttl = (uint32_t)ttl;
	}
	uint8_t a[16];
	char rev[128];
	size_t o = 0;
	if (inet_pton(AF_INET, addr, a) == 1) {
		o = (size_t)snprintf(rev, sizeof(rev), "%u.%u.%u.%u.in-addr.arpa.", a[3], a[2], a[1],
				     a[0]);
	} else if (inet_pton(AF_INET6, addr, a) == 1) {
		static const char hex[] = "0123456789abcdef";
		for (int i = 15; i >= 0; i--) {
			rev[o++] = hex[a[i] & 15];
			rev[o++] = '.';
			rev[o++] = hex[a[i] >> 4];
			rev[o++] = '.';
		}
		memcpy(rev + o, "ip6.arpa.", 10);
	} else {
		return failf(err, errlen, "\"%.60s\" is not an IPv4 or IPv6 address", addr);
	}
	if (wire_name_from_text(rev, out->owner) < 0)
		return failf(err, errlen, "cannot make the reverse name");
	uint8_t target[WIRE_NAME_MAX];
	if (wire_name_from_text(name, target) < 0)
		return failf(err, errlen, "\"%.60s\" is not a domain name", name);
	wire_name_lower(out->owner);
	out->type = WIRE_T_PTR;
	out->rdlen = (uint16_t)wire_name_len(target);
	memcpy(out->rdata, target, out->rdlen);
	return 0;
}

int localconf_parse_zone(const char *text, uint8_t name[WIRE_NAME_MAX], enum lz_type *type,
			 char *err, size_t errlen)
{
	char line[1024];
	if (strlen(text) >= sizeof(line))
		return failf(err, errlen, "too long");
	strcpy(line, text);
	char *s = line;
	char *zone = word(&s), *tname = word(&s);
	/* unbound.conf writes the name quoted and the type after it:
	 * local-zone: "example.com." static */
	if (zone != NULL) {
		size_t n = strlen(zone);
		if (n >= 2 && zone[0] == '"' && zone[n - 1] == '"') {
			zone[n - 1] = '\0';
			zone++;
		}
	}
	if (zone == NULL || tname == NULL || word(&s) != NULL)
		return failf(err, errlen, "expected \"NAME TYPE\"");
	if (wire_name_from_text(zone, name) < 0)
		return failf(err, errlen, "\"%.60s\" is not a domain name", zone);
	wire_name_lower(name);
	if (!lz_type_parse(tname, type))
		return failf(err, errlen,
			     "unknown type \"%.40s\" (static, transparent, typetransparent, "
			     "redirect, refuse, deny, inform, inform_deny, inform_redirect, "
			     "always_transparent, always_refuse, always_nxdomain, always_nodata, "
			     "always_deny or nodefault)",
			     tname);
	return 0;
}

int localconf_rr_text(const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
		      uint16_t rdlen, char *out, size_t cap)
{
	/* as the cache dump writes records: text that local-data reads back
	 * to the same record (RFC 3597's form when ldns's own would not) */
	char *s = dump_rr_text(owner, type, WIRE_C_IN, ttl, rdata, rdlen);
	if (s == NULL)
		return PC_ENOMEM;
	size_t n = strlen(s);
	int rc = n < cap ? 0 : PC_EINVAL;
	if (rc == 0)
		memcpy(out, s, n + 1);
	free(s);
	return rc;
}

int localconf_build(struct lz_table **out, const struct config *cfg, uint32_t seed, size_t *bad,
		    char *err, size_t errlen)
{
	*out = NULL;
	*bad = cfg->n_local;
	struct lz_table *t = lz_new(seed);
	uint8_t(*skip)[WIRE_NAME_MAX] = calloc(cfg->n_local ? cfg->n_local : 1, sizeof(*skip));
	struct localconf_rr *rr = malloc(sizeof(*rr));
	size_t n_skip = 0;
	int rc = t != NULL && skip != NULL && rr != NULL ? 0 : PC_ENOMEM;
	/* Zones first, so that data finds the zone it belongs to whatever
	 * the order of the lines. */
	for (size_t i = 0; rc == 0 && i < cfg->n_local; i++) {
		const struct config_local *l = &cfg->local[i];
		enum lz_type type;
		if (l->kind != CONFIG_LOCAL_ZONE)
			continue;
		*bad = i;
		rc = localconf_parse_zone(l->text, rr->owner, &type, err, errlen);
		if (rc == 0 && type == LZ_NODEFAULT)
			memcpy(skip[n_skip++], rr->owner, WIRE_NAME_MAX);
		else if (rc == 0 && (rc = lz_zone_set(t, rr->owner, type)) != 0)
			failf(err, errlen, "out of memory");
	}
	if (rc == 0) {
		*bad = cfg->n_local;
		if ((rc = lz_add_defaults(t, (const uint8_t(*)[WIRE_NAME_MAX])skip, n_skip)) != 0)
			failf(err, errlen, "out of memory");
	}
	for (size_t i = 0; rc == 0 && i < cfg->n_local; i++) {
		const struct config_local *l = &cfg->local[i];
		if (l->kind == CONFIG_LOCAL_ZONE)
			continue;
		*bad = i;
		rc = l->kind == CONFIG_LOCAL_DATA ? localconf_parse_rr(l->text, rr, err, errlen)
						  : localconf_parse_ptr(l->text, rr, err, errlen);
		if (rc == 0) {
			rc = lz_data_add(t, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen);
			if (rc == PC_EINVAL)
				failf(err, errlen, "a CNAME cannot share its name with other data "
						   "(or the RRset is over %d records)", CORE_MAX_ANSWER);
			else if (rc != 0)
				failf(err, errlen, "out of memory");
		}
	}
	free(rr);
	free(skip);
	if (rc != 0) {
		lz_free(t);
		return rc;
	}
	*bad = cfg->n_local;
	*out = t;
	return 0;
}
