/* Fuzz target: the local-zone text forms (daemon/localconf.h) and the
 * table they fill (core/localzone.h). Byte 0 picks the parser (local-data,
 * local-data-ptr or local-zone); the rest is the text, cut at the first
 * NUL. Checks: no crash, overrun, UB or leak; an accepted record has a
 * valid lowercase owner, a data type and rdata within its length; its text
 * form (localconf_rr_text, what list_local_data prints) parses again to
 * the same wire (when its owner's text is within the 254 characters ldns
 * reads); it goes into a table with the default zones, where a question
 * for its owner and type is never left to the resolver, lz_answer and
 * lz_governs agree (a name the table answers is one the cache must not
 * keep), and the record can be removed again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/localzone.h"
#include "daemon/localconf.h"
#include "util/err.h"
#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct localconf_rr a, b;
static char text[4096], back[300000], err[256];
static struct core_answer ans;

static void check_rr(const struct localconf_rr *rr)
{
	size_t n = wire_name_len(rr->owner);
	if (n == 0 || n > WIRE_NAME_MAX)
		abort();
	uint8_t low[WIRE_NAME_MAX];
	memcpy(low, rr->owner, n);
	wire_name_lower(low);
	if (memcmp(low, rr->owner, n) != 0)
		abort();
	if (rr->type == 0 || rr->type == WIRE_T_OPT || (rr->type >= 128 && rr->type <= 255))
		abort();
}

static void into_table(const struct localconf_rr *rr)
{
	struct lz_table *t = lz_new(7);
	if (t == NULL || lz_add_defaults(t, NULL, 0) != 0)
		abort();
	int rc = lz_data_add(t, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen);
	if (rc == 0) {
		bool inform;
		enum lz_verdict v = lz_answer(t, rr->owner, rr->type, &ans, &inform, NULL);
		/* whatever the table decides, the cache must leave to it */
		if (v != LZ_RESOLVE && !lz_governs(t, rr->owner))
			abort();
		if (v == LZ_RESOLVE)
			abort(); /* data at the name: never left to the resolver */
		if (lz_data_remove(t, rr->owner) == 0)
			abort();
	} else if (rc != PC_EINVAL) {
		abort();
	}
	lz_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = size - 1 < sizeof(text) - 1 ? size - 1 : sizeof(text) - 1;
	memcpy(text, data + 1, n);
	text[n] = '\0';
	switch (data[0] % 3) {
	case 0:
		if (localconf_parse_rr(text, &a, err, sizeof(err)) != 0)
			break;
		check_rr(&a);
		/* ldns reads an owner of at most 254 characters of text: one
		 * with many \DDD escapes prints longer than it reads back. */
		if (localconf_rr_text(a.owner, a.type, a.ttl, a.rdata, a.rdlen, back,
				      sizeof(back)) == 0 && strcspn(back, "\t") < 255) {
			if (localconf_parse_rr(back, &b, err, sizeof(err)) != 0 ||
			    b.type != a.type || b.ttl != a.ttl || b.rdlen != a.rdlen ||
			    memcmp(b.rdata, a.rdata, a.rdlen) != 0 ||
			    !wire_name_eq_exact(a.owner, b.owner))
				abort();
		}
		into_table(&a);
		break;
	case 1:
		if (localconf_parse_ptr(text, &a, err, sizeof(err)) != 0)
			break;
		check_rr(&a);
		into_table(&a);
		break;
	default: {
		uint8_t name[WIRE_NAME_MAX];
		enum lz_type type;
		if (localconf_parse_zone(text, name, &type, err, sizeof(err)) == 0 &&
		    ((unsigned)type >= LZ_TYPE_COUNT || wire_name_len(name) == 0))
			abort();
		break;
	}
	}
	return 0;
}
