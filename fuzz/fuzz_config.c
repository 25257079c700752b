/* Fuzz target: the configuration parser on arbitrary bytes. Any input must
 * give 0 or an error with a one-line message, never a crash or overrun; a
 * configuration it accepts must respect the limits config.h promises.
 *
 * Speed: config_parse() works on a heap copy of struct config (about
 * 175 KiB). Under ASan an allocation that large bypasses the size-class
 * allocator and is mmap()ed and page-faulted in afresh on every call, which
 * held this target near 5,000 exec/s. So the parser's source is compiled
 * into this file with malloc/free routed through fuzz_malloc/fuzz_free,
 * which hand out one static struct config (a global, so ASan still puts a
 * redzone after it) for that allocation and the real allocator for any
 * other. The code under test is otherwise src/daemon/config.c unchanged
 * (but for include:, which reads no file here: PC_CONFIG_FUZZING); the key
 * table and the value parsers (config_keys.c, config_values.c,
 * config_compat.c) are the library's;
 * its copy in libpc_resolver.a is not linked because every symbol it
 * defines is already defined here. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

static struct config fuzz_slot;
static int fuzz_slot_used;

static void *fuzz_malloc(size_t n)
{
	if (n == sizeof(struct config) && !fuzz_slot_used) {
		fuzz_slot_used = 1;
		return &fuzz_slot;
	}
	return malloc(n);
}

static void fuzz_free(void *p)
{
	if (p == (void *)&fuzz_slot) {
		if (!fuzz_slot_used)
			abort(); /* double free of the slot */
		fuzz_slot_used = 0;
		return;
	}
	free(p);
}

/* Every header config.c includes is already in; only its own calls see
 * the macros. */
#define PC_CONFIG_FUZZING 1
#define malloc fuzz_malloc
#define free fuzz_free
#include "../src/daemon/config.c"
#undef malloc
#undef free

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_config(const struct config *c)
{
	if (c->n_interfaces > CONFIG_MAX_ADDRS || c->n_outgoing > CONFIG_MAX_ADDRS ||
	    c->n_acl > CONFIG_MAX_ACL || c->n_pool_exclude > CONFIG_MAX_EXCLUDE ||
	    c->n_caps_exempt > CONFIG_MAX_ZONES || c->n_forward > CONFIG_MAX_ZONES ||
	    c->n_stub > CONFIG_MAX_ZONES)
		abort();
	if (c->socket_pool_range.low > c->socket_pool_range.high)
		abort();
	for (size_t i = 0; i < c->n_pool_exclude; i++)
		if (c->pool_exclude[i].low > c->pool_exclude[i].high)
			abort();
	if (!memchr(c->root_hints, '\0', sizeof(c->root_hints)) ||
	    !memchr(c->control_socket, '\0', sizeof(c->control_socket)))
		abort();
	for (size_t i = 0; i < c->n_forward; i++)
		if (c->forward[i].n_addrs > CONFIG_MAX_ADDRS ||
		    wire_name_len(c->forward[i].name) > WIRE_NAME_MAX)
			abort();
	for (size_t i = 0; i < c->n_stub; i++)
		if (c->stub[i].n_addrs > CONFIG_MAX_ADDRS ||
		    wire_name_len(c->stub[i].name) > WIRE_NAME_MAX)
			abort();
}

/* The fields a failed parse could most plausibly leave changed: every count
 * and the scalars. Comparing these, not all 175 KiB, keeps the target fast. */
static bool same_summary(const struct config *a, const struct config *b)
{
	return a->n_interfaces == b->n_interfaces && a->n_outgoing == b->n_outgoing &&
	       a->n_acl == b->n_acl && a->n_pool_exclude == b->n_pool_exclude &&
	       a->n_caps_exempt == b->n_caps_exempt && a->n_forward == b->n_forward &&
	       a->n_stub == b->n_stub && a->cache_size == b->cache_size &&
	       a->cache_min_ttl == b->cache_min_ttl && a->cache_max_ttl == b->cache_max_ttl &&
	       a->socket_pool_size == b->socket_pool_size &&
	       a->socket_pool_range.low == b->socket_pool_range.low &&
	       a->socket_pool_range.high == b->socket_pool_range.high &&
	       a->do_ip4 == b->do_ip4 && a->do_ip6 == b->do_ip6 &&
	       a->verbosity == b->verbosity && a->upstream_timeout == b->upstream_timeout &&
	       a->control_socket[0] == b->control_socket[0] &&
	       a->root_hints[0] == b->root_hints[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* cfg holds the defaults between runs; it is reset only after a
	 * successful parse changed it (a failed one must leave it alone). */
	static struct config cfg, defaults;
	static bool have_defaults;
	char err[256];
	if (!have_defaults) {
		config_defaults(&defaults);
		memcpy(&cfg, &defaults, sizeof(cfg));
		have_defaults = true;
	}
	int rc = config_parse(&cfg, "fuzz.conf", (const char *)data, size, err, sizeof(err));
	if (fuzz_slot_used)
		abort(); /* the parser's working copy leaked */
	if (rc == 0) {
		check_config(&cfg);
		for (size_t i = 0; i < cfg.n_local; i++)
			if (cfg.local[i].text == NULL || cfg.local[i].line == 0)
				abort();
		config_free(&cfg); /* the local-zone lines it kept */
		memcpy(&cfg, &defaults, sizeof(cfg));
		return 0;
	}
	if (!same_summary(&cfg, &defaults) || cfg.n_local != 0 || cfg.local != NULL)
		abort();
	/* Messages are NUL-terminated single lines with no control bytes:
	 * whatever the input, they are safe to print on a terminal or log. */
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	for (const char *q = err; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			abort();
	return 0;
}
