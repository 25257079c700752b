/* libFuzzer target: the message parser and the name helpers on whatever it
 * accepts. Every accepted record must lie inside the message or the arena. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

static struct wire_msg msg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t id, flags, qt, qc;
	uint8_t qname[WIRE_NAME_MAX];
	char text[WIRE_NAME_MAX * 4 + 2];
	if (wire_parse_question(data, size, &id, &flags, qname, &qt, &qc) == 0) {
		if (wire_name_len(qname) > WIRE_NAME_MAX)
			abort();
		wire_name_to_text(qname, text, sizeof(text));
	}
	if (wire_parse(&msg, data, size) != 0)
		return 0;
	/* Re-encode what was parsed: the writer must cope with all of it. */
	static uint8_t out[65535];
	struct wire_wr w;
	wire_wr_init(&w, out, sizeof(out));
	wire_wr_header(&w, msg.id, msg.flags);
	for (size_t i = 0; i < msg.n_rr; i++) {
		const struct wire_rr *rr = &msg.rr[i];
		if (wire_name_len(rr->owner) > WIRE_NAME_MAX)
			abort();
		wire_name_to_text(rr->owner, text, sizeof(text));
		wire_wr_rr(&w, rr->owner, rr->type, rr->rclass, rr->ttl, rr->rdata, rr->rdlen);
	}
	return 0;
}
