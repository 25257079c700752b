/* Fuzz target: trust anchor text (trust-anchor-file and
 * auto-trust-anchor-file, with Unbound's autotrust state comments) through
 * ldns and core/anchor.c, and BIND's trusted-keys / trust-anchors forms
 * (trusted-keys-file, core/anchor_bind.c). Byte 0 chooses the form (bit 0:
 * autotrust; else bit 1: BIND's); the rest is the file.
 *
 * Checks: a load returns 0 or an error whose message is one line; a loaded
 * trust point's records parse as their type; for an autotrust file, the
 * text the set writes back loads again and, written once more, is the
 * same text; the RFC 5011 update fed the point's own keys leaves a set
 * whose text still loads. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/anchor.h"
#include "core/dnssec.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(int rc, const char *err)
{
	if (rc != 0 && (err[0] == '\0' || strchr(err, '\n')))
		abort();
}

/* The set's autotrust text loads again and writes the same text. */
static void roundtrip(struct anchor_set *set)
{
	const char *path;
	char *text, *text2, err[512];
	size_t len, len2;
	if (anchor_autotrust_text(set, 0, &path, &text, &len, NULL) != 0)
		abort();
	struct anchor_set *back = anchor_set_new();
	if (!back)
		abort();
	if (anchor_add_auto_text(back, text, len, path, err, sizeof(err)) != 0)
		abort();
	if (anchor_autotrust_text(back, 0, &path, &text2, &len2, NULL) != 0)
		abort();
	if (len2 != len || memcmp(text, text2, len) != 0)
		abort();
	free(text2);
	anchor_set_free(back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool autotrust = data[0] & 1;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	char err[512];
	err[0] = '\0';
	struct anchor_set *set = anchor_set_new();
	if (!set)
		return 0;
	int rc = autotrust ? anchor_add_auto_text(set, text, len, "fuzz.key", err, sizeof(err))
		 : (data[0] & 2) ? anchor_add_bind_text(set, text, len, "fuzz.key", err, sizeof(err))
				 : anchor_add_text(set, text, len, "fuzz.key", err, sizeof(err));
	check_err(rc, err);
	if (rc != 0) {
		if (anchor_set_count(set) != 0)
			abort();
		anchor_set_free(set);
		return 0;
	}
	const struct anchor_tp *tp = NULL;
	size_t n = anchor_set_count(set);
	if (n == 0)
		abort();
	if (autotrust) {
		if (anchor_autotrust_files(set) != 1)
			abort();
		roundtrip(set);
		/* the point's own keys, as a validated DNSKEY RRset */
		uint8_t owner[WIRE_NAME_MAX];
		if (anchor_autotrust_next_probe(set, owner) == 0)
			abort();
		tp = anchor_find_exact(set, owner);
		if (!tp)
			abort();
		struct anchor_seen seen[ANCHOR_MAX_RR];
		size_t ns = 0;
		for (size_t i = 0; i < tp->n_dnskey && ns < ANCHOR_MAX_RR; i++)
			seen[ns++] = (struct anchor_seen){ .rdata = tp->dnskey[i].rdata,
							   .len = tp->dnskey[i].len,
							   .self_signed = (i & 1) != 0 };
		/* the caller's contract: the set validated with a trusted key,
		 * so it holds one */
		if (ns > 0) {
			if (anchor_autotrust_update(set, tp, seen, ns, 3600, 1800000000,
						    1700000000) != 0)
				abort();
			roundtrip(set);
		}
	}
	/* every trust point: its records parse as their type, and a lookup
	 * of its owner finds it */
	for (size_t i = 0; i < n; i++) {
		tp = anchor_set_point(set, i);
		if (!tp || anchor_find_exact(set, tp->owner) != tp)
			abort();
		for (size_t j = 0; j < tp->n_ds; j++) {
			struct dnssec_ds d;
			if (dnssec_ds_parse(tp->ds[j].rdata, tp->ds[j].len, &d) != DNSSEC_OK)
				abort();
		}
		for (size_t j = 0; j < tp->n_dnskey; j++) {
			struct dnssec_dnskey d;
			if (dnssec_dnskey_parse(tp->dnskey[j].rdata, tp->dnskey[j].len, &d) !=
			    DNSSEC_OK || d.protocol != 3)
				abort();
		}
		const struct anchor_tp *found;
		if (tp->n_ds + tp->n_dnskey > 0 &&
		    (anchor_lookup(set, tp->owner, &found) != ANCHOR_TRUST || found != tp))
			abort();
	}
	anchor_set_free(set);
	return 0;
}
