/* localzone_defaults: the zones Unbound 1.17 serves by default
 * (unbound.conf(5), "local-zone" defaults), so that questions no server on
 * the Internet can answer well never leave the resolver:
 *   localhost (redirect: A 127.0.0.1, AAAA ::1 for it and every name below),
 *   127.in-addr.arpa and the ::1 reverse zone (static, with the loopback
 *   PTR), home.arpa (RFC 8375), onion (RFC 7686), test and invalid
 *   (RFC 6761), and the AS112 / RFC 6303 reverse zones (static, empty).
 * Each carries "NS localhost." and "SOA localhost. nobody.invalid. 1 3600
 * 1200 604800 10800", TTL 10800. */
#include <stdio.h>
#include <string.h>

#include "core/localzone.h"
#include "util/err.h"
#include "wire/wire.h"

#define DEFAULT_TTL 10800

static const uint8_t localhost_wire[] = "\11localhost";

/* The reverse zones of RFC 6303 section 4 that Unbound lists, as text. */
static const char *const as112[] = {
	"10.in-addr.arpa.",
	"168.192.in-addr.arpa.",
	"0.in-addr.arpa.",
	"254.169.in-addr.arpa.",
	"2.0.192.in-addr.arpa.",
	"100.51.198.in-addr.arpa.",
	"113.0.203.in-addr.arpa.",
	"255.255.255.255.in-addr.arpa.",
	"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"d.f.ip6.arpa.",
	"8.e.f.ip6.arpa.",
	"9.e.f.ip6.arpa.",
	"a.e.f.ip6.arpa.",
	"b.e.f.ip6.arpa.",
	"8.b.d.0.1.0.0.2.ip6.arpa.",
};

static const char *const empty_zones[] = { "home.arpa.", "onion.", "test.", "invalid." };

#define LOOPBACK6_REV "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa."

static bool skipped(const uint8_t *name, const uint8_t (*skip)[WIRE_NAME_MAX], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (wire_name_eq(skip[i], name))
			return true;
	return false;
}

static int add(struct lz_table *t, const uint8_t *owner, uint16_t type, const uint8_t *rd,
	       size_t len)
{
	return lz_data_add(t, owner, type, DEFAULT_TTL, rd, (uint16_t)len);
}

/* A zone with its NS and SOA, unless the operator has one there or said
 * nodefault. */
static int zone(struct lz_table *t, const char *text, enum lz_type type,
		const uint8_t (*skip)[WIRE_NAME_MAX], size_t n_skip, bool *made)
{
	uint8_t name[WIRE_NAME_MAX];
	*made = false;
	if (wire_name_from_text(text, name) < 0)
		return PC_EINVAL;
	if (lz_has_zone(t, name) || skipped(name, skip, n_skip))
		return 0;
	/* SOA localhost. nobody.invalid. 1 3600 1200 604800 10800 */
	static const uint8_t soa[] = "\11localhost\0\6nobody\7invalid\0"
				     "\0\0\0\1" "\0\0\x0e\x10" "\0\0\x04\xb0"
				     "\0\x09\x3a\x80" "\0\0\x2a\x30";
	int rc = lz_zone_set(t, name, type);
	if (rc == 0)
		rc = add(t, name, WIRE_T_NS, localhost_wire, sizeof(localhost_wire));
	if (rc == 0)
		rc = add(t, name, WIRE_T_SOA, soa, sizeof(soa) - 1);
	*made = rc == 0;
	return rc;
}

int lz_add_defaults(struct lz_table *t, const uint8_t (*skip)[WIRE_NAME_MAX], size_t n_skip)
{
	bool made;
	int rc = zone(t, "localhost.", LZ_REDIRECT, skip, n_skip, &made);
	if (rc == 0 && made) {
		static const uint8_t a[4] = { 127, 0, 0, 1 };
		static const uint8_t aaaa[16] = { [15] = 1 };
		rc = add(t, localhost_wire, WIRE_T_A, a, sizeof(a));
		if (rc == 0)
			rc = add(t, localhost_wire, WIRE_T_AAAA, aaaa, sizeof(aaaa));
	}
	static const char *const loopback_rev[][2] = {
		{ "127.in-addr.arpa.", "1.0.0.127.in-addr.arpa." },
		{ LOOPBACK6_REV, LOOPBACK6_REV },
	};
	for (size_t i = 0; rc == 0 && i < 2; i++) {
		rc = zone(t, loopback_rev[i][0], LZ_STATIC, skip, n_skip, &made);
		uint8_t ptr[WIRE_NAME_MAX];
		if (rc == 0 && made && wire_name_from_text(loopback_rev[i][1], ptr) >= 0)
			rc = add(t, ptr, WIRE_T_PTR, localhost_wire, sizeof(localhost_wire));
	}
	for (size_t i = 0; rc == 0 && i < sizeof(empty_zones) / sizeof(empty_zones[0]); i++)
		rc = zone(t, empty_zones[i], LZ_STATIC, skip, n_skip, &made);
	/* 16.172 to 31.172 and 64.100 to 127.100: the RFC 1918 and the shared
	 * address space blocks, one zone per second octet. */
	char text[32];
	for (unsigned o = 16; rc == 0 && o <= 31; o++) {
		snprintf(text, sizeof(text), "%u.172.in-addr.arpa.", o);
		rc = zone(t, text, LZ_STATIC, skip, n_skip, &made);
	}
	for (unsigned o = 64; rc == 0 && o <= 127; o++) {
		snprintf(text, sizeof(text), "%u.100.in-addr.arpa.", o);
		rc = zone(t, text, LZ_STATIC, skip, n_skip, &made);
	}
	for (size_t i = 0; rc == 0 && i < sizeof(as112) / sizeof(as112[0]); i++)
		rc = zone(t, as112[i], LZ_STATIC, skip, n_skip, &made);
	return rc;
}
