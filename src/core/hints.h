/* hints: root hints, the addresses of the root servers the resolver asks
 * first (the "priming" data of RFC 8109).
 *
 * Hints come from a file in master-file format (the named.root shape), from
 * text in memory, or from the IANA list compiled into the daemon. All three
 * go through one loader, which uses ldns's zone-file reader so that $TTL,
 * $ORIGIN, parentheses and relative names behave as in any zone file.
 *
 * Only NS, A and AAAA records are kept. The loader insists that the hints
 * make sense before the resolver trusts them: at least one NS for the root,
 * no NS for any other name, and an A or AAAA for every root server named.
 *
 * Memory: a loaded struct hints owns one heap array (rr); hints_free()
 * releases it. On failure *out is left empty (rr NULL, n 0). */
#ifndef PC_CORE_HINTS_H
#define PC_CORE_HINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

#define HINTS_MAX_RR 4096        /* records accepted from one source */
#define HINTS_MAX_TEXT (1 << 20) /* bytes accepted from one source */

struct hints_rr {
	uint8_t owner[WIRE_NAME_MAX]; /* uncompressed wire name, lowercased */
	uint16_t type;                /* WIRE_T_NS, WIRE_T_A or WIRE_T_AAAA */
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t rdata[WIRE_NAME_MAX]; /* NS: uncompressed lowercased wire name;
				       * A: 4 bytes; AAAA: 16 bytes */
};

struct hints {
	struct hints_rr *rr; /* owned; records in file order */
	size_t n;
};

/* Load hints from a file. Returns 0, PC_EIO when the file cannot be read,
 * PC_EINVAL when it is malformed or fails the checks above, PC_ENOMEM.
 * err receives one line "FILE:LINE: what" (NUL-terminated, may be cut). */
int hints_load_file(const char *path, struct hints *out, char *err, size_t errlen);

/* Same from len bytes of text (need not be NUL-terminated); name is used
 * in messages in place of a file name. */
int hints_load_text(const char *text, size_t len, const char *name, struct hints *out,
		    char *err, size_t errlen);

/* The IANA root hints (a to m.root-servers.net, A and AAAA) compiled in.
 * Returns 0 or PC_ENOMEM. */
int hints_load_builtin(struct hints *out);

/* Release the records; h may be reused (it is left empty). */
void hints_free(struct hints *h);

/* An ldns name (uncompressed wire, as ldns parses it) into out, lowercased,
 * once its labels are checked to make exactly one name; *len (when not
 * NULL) gets its length. False for anything else. Shared by the parsers of
 * master-file text (root hints, local data). */
struct ldns_struct_rdf;
bool hints_copy_dname(const struct ldns_struct_rdf *rdf, uint8_t out[WIRE_NAME_MAX], uint16_t *len);

#endif
