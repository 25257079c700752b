/* localconf: the text forms of local zones (unbound.conf's local-zone,
 * local-data and local-data-ptr, and the control verbs that take the
 * same), turned into the wire form core/localzone.h keeps.
 *
 *   local-zone:     "NAME TYPE"             e.g. "example.com. static"
 *   local-data:     "RR"                    one record in zone-file syntax:
 *                   owner [TTL] [IN] TYPE RDATA, TTL 3600 when left out;
 *                   every type ldns knows, and the RFC 3597 form
 *                   (TYPE65 \# 3 abcdef)
 *   local-data-ptr: "ADDR [TTL] NAME"      a PTR at ADDR's reverse name
 *
 * Records are read with ldns, the library that already reads the root
 * hints, rather than a parser of our own. */
#ifndef PC_DAEMON_LOCALCONF_H
#define PC_DAEMON_LOCALCONF_H

#include <stddef.h>
#include <stdint.h>

#include "core/localzone.h"
#include "wire/wire.h"

struct config;

#define LOCALCONF_TTL 3600 /* a local-data record without a TTL */

/* One record: owner lowercased wire name, rdata uncompressed wire. */
struct localconf_rr {
	uint8_t owner[WIRE_NAME_MAX];
	uint16_t type;
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t rdata[65535];
};

/* Parse text into *out; on error PC_EINVAL and one line in err (what is
 * wrong, without file or key). */
int localconf_parse_rr(const char *text, struct localconf_rr *out, char *err, size_t errlen);
int localconf_parse_ptr(const char *text, struct localconf_rr *out, char *err, size_t errlen);
int localconf_parse_zone(const char *text, uint8_t name[WIRE_NAME_MAX], enum lz_type *type,
			 char *err, size_t errlen);

/* The record in zone-file text, one line without newline ("example.com.
 * 3600 IN A 192.0.2.1"); 0, or PC_EINVAL when it cannot be shown. */
int localconf_rr_text(const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
		      uint16_t rdlen, char *out, size_t cap);

/* The table for cfg: its local-zone lines, the default zones (less those
 * it names, or turns off with nodefault), then its local-data and
 * local-data-ptr lines, in that order (as Unbound applies them). On error
 * returns PC_EINVAL or PC_ENOMEM with *bad the index in cfg->local of the
 * line at fault (or cfg->n_local when none is) and the message in err. */
int localconf_build(struct lz_table **out, const struct config *cfg, uint32_t seed, size_t *bad,
		    char *err, size_t errlen);

#endif
