/* Fuzz target: root hints text through ldns and our checks. Whatever the
 * input, the loader returns hints that satisfy the checks or an error. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/hints.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hints h;
	char err[256];
	int rc = hints_load_text((const char *)data, size, "fuzz.hints", &h, err, sizeof(err));
	if (rc == 0) {
		/* Loaded hints must hold at least one root NS and only the
		 * three types, with rdata lengths that fit their type. */
		size_t ns = 0;
		for (size_t i = 0; i < h.n; i++) {
			const struct hints_rr *r = &h.rr[i];
			if (r->type == WIRE_T_NS) {
				ns++;
				if (r->owner[0] != 0 || wire_name_len(r->rdata) != r->rdlen)
					abort();
			} else if (!(r->type == WIRE_T_A && r->rdlen == 4) &&
				   !(r->type == WIRE_T_AAAA && r->rdlen == 16)) {
				abort();
			}
		}
		if (ns == 0)
			abort();
		hints_free(&h);
	} else if (h.rr != NULL || strchr(err, '\n')) {
		abort();
	}
	return 0;
}
