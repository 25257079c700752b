/* dns64: see dns64.h. */
#include "core/dns64.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_SOA_CAP 600 /* RFC 6147 5.1.7 */

int dns64_parse_prefix(const char *text, uint8_t prefix[16], unsigned *plen, char *err,
		       size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t alen = slash != NULL ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen, "not an IPv6 prefix (ADDRESS/LENGTH)");
		return -1;
	}
	memcpy(addr, text, alen);
	addr[alen] = 0;
	if (inet_pton(AF_INET6, addr, prefix) != 1) {
		snprintf(err, errlen, "the address is not IPv6");
		return -1;
	}
	unsigned len = 96;
	if (slash != NULL) {
		char *end;
		unsigned long v = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != 0 || v > 128) {
			snprintf(err, errlen, "the length is not a number up to 128");
			return -1;
		}
		len = (unsigned)v;
	}
	if (len != 32 && len != 40 && len != 48 && len != 56 && len != 64 && len != 96) {
		snprintf(err, errlen, "prefix length %u: RFC 6052 allows 32, 40, 48, 56, 64 or 96", len);
		return -1;
	}
	for (unsigned bit = len; bit < 128; bit++)
		if (prefix[bit / 8] & (0x80u >> (bit % 8))) {
			snprintf(err, errlen, "bits set after the first %u of the prefix", len);
			return -1;
		}
	*plen = len;
	return 0;
}

void dns64_embed(const uint8_t prefix[16], unsigned plen, const uint8_t v4[4], uint8_t out[16])
{
	memset(out, 0, 16);
	size_t at = plen / 8;
	memcpy(out, prefix, at);
	for (size_t i = 0; i < 4; i++, at++) {
		if (at == 8) /* the "u" octet stays zero (RFC 6052 2.2) */
			at++;
		out[at] = v4[i];
	}
}

static bool ignored(const struct dns64_opts *o, const uint8_t *qname)
{
	for (size_t i = 0; i < o->n_ignore; i++)
		if (wire_name_eq(o->ignore[i], qname))
			return true;
	return false;
}

bool dns64_wants_a(const struct dns64_opts *o, const uint8_t *qname, const struct core_answer *a)
{
	if (a->rcode != WIRE_RC_NOERROR)
		return false;
	if (o->synthall || ignored(o, qname))
		return true;
	for (size_t i = 0; i < a->n_an; i++)
		if (a->an[i].type == WIRE_T_AAAA)
			return false;
	return true;
}

uint32_t dns64_ttl_cap(const struct core_answer *aaaa)
{
	for (size_t i = 0; i < aaaa->n_ns; i++) {
		const struct core_rr *rr = &aaaa->ns[i];
		if (rr->type != WIRE_T_SOA || rr->rdlen < 22)
			continue;
		/* the MINIMUM field: the last four bytes of the RDATA */
		const uint8_t *m = rr->rdata + rr->rdlen - 4;
		uint32_t min = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
		return min;
	}
	return NO_SOA_CAP;
}

bool dns64_has_a(const struct core_answer *a)
{
	if (a->rcode != WIRE_RC_NOERROR)
		return false;
	for (size_t i = 0; i < a->n_an; i++)
		if (a->an[i].type == WIRE_T_A && a->an[i].rdlen == 4)
			return true;
	return false;
}

/* An RRSIG over an A record (its first two RDATA bytes: the type covered). */
static bool sig_over_a(const struct core_rr *rr)
{
	return rr->type == WIRE_T_RRSIG && rr->rdlen >= 2 &&
	       ((uint16_t)(rr->rdata[0] << 8 | rr->rdata[1])) == WIRE_T_A;
}

void dns64_synth(const struct dns64_opts *o, struct core_answer *a, uint32_t cap,
		 uint8_t (*store)[16])
{
	size_t n = 0;
	for (size_t i = 0; i < a->n_an; i++) {
		struct core_rr rr = a->an[i];
		if (sig_over_a(&rr) || (rr.type == WIRE_T_A && rr.rdlen != 4))
			continue;
		if (rr.type == WIRE_T_A) {
			dns64_embed(o->prefix, o->plen, rr.rdata, store[n]);
			rr.type = WIRE_T_AAAA;
			rr.rdata = store[n];
			rr.rdlen = 16;
			if (rr.ttl > cap)
				rr.ttl = cap;
		}
		a->an[n++] = rr;
	}
	a->n_an = n;
	a->n_ns = 0;
	a->secure = false;
}
