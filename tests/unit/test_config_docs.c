/* Every key the parser knows is documented where operators look: the key
 * reference (docs/config.md, a table row "| `key` |"), portcullis.conf(5)
 * (a ".BI key:" or ".B key:" entry) and the README's key table. A key added
 * to the parser without its documentation fails here. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/config.h"

#ifndef PC_SOURCE_DIR
#error "PC_SOURCE_DIR must name the source tree"
#endif

static char *slurp(const char *rel)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", PC_SOURCE_DIR, rel);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A line of text that starts with prefix + key + suffix. */
static int has_line(const char *text, const char *prefix, const char *key, const char *suffix)
{
	char want[256];
	snprintf(want, sizeof(want), "%s%s%s", prefix, key, suffix);
	size_t n = strlen(want);
	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, want, n) == 0)
			return 1;
	return 0;
}

static void test_every_key_documented(void **state)
{
	(void)state;
	char *md = slurp("docs/config.md"), *man = slurp("man/portcullis.conf.5");
	char *readme = slurp("README.md");
	size_t missing = 0, n = 0;
	for (const char *k; (k = config_key_name(n)) != NULL; n++) {
		/* README rows may hold two related keys: "| `a`, `b` |". */
		char tick[128];
		snprintf(tick, sizeof(tick), "`%s`", k);
		int in_md = has_line(md, "| `", k, "` |");
		int in_man = has_line(man, ".BI ", k, ": ") || has_line(man, ".B ", k, ":");
		int in_readme = strstr(readme, tick) != NULL;
		if (!in_md || !in_man || !in_readme) {
			print_message("key %s: missing from%s%s%s\n", k, in_md ? "" : " docs/config.md",
				      in_man ? "" : " man/portcullis.conf.5",
				      in_readme ? "" : " README.md");
			missing++;
		}
	}
	assert_true(n > 30);
	free(md);
	free(man);
	free(readme);
	assert_int_equal(missing, 0);
}

/* The next '|' that separates cells ("\\|" is a '|' inside a cell). */
static const char *next_bar(const char *c)
{
	for (c = strchr(c, '|'); c != NULL && c[-1] == '\\'; c = strchr(c + 1, '|'))
		;
	return c;
}

/* The row "| `key` | type | default | doc |" of docs/config.md, or NULL. */
static const char *md_row(const char *md, const char *key, char *out, size_t len)
{
	char want[128];
	snprintf(want, sizeof(want), "| `%s` |", key);
	for (const char *p = md; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, want, strlen(want)) != 0)
			continue;
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		snprintf(out, len, "%.*s", (int)(n < len - 1 ? n : len - 1), p);
		return out;
	}
	return NULL;
}

/* The default the key table applies is the one docs/config.md states
 * (in its default column, as `value`), and every key has a doc line. */
static void test_defaults_agree(void **state)
{
	(void)state;
	char *md = slurp("docs/config.md");
	size_t wrong = 0, checked = 0;
	for (size_t i = 0; config_key_name(i) != NULL; i++) {
		const char *k = config_key_name(i), *def = config_key_default(i);
		const char *doc = config_key_doc(i);
		if (doc == NULL || strlen(doc) < 5) {
			print_message("key %s: no doc line in the key table\n", k);
			wrong++;
		}
		char row[8192], tick[300];
		if (def == NULL || md_row(md, k, row, sizeof(row)) == NULL)
			continue;
		/* The third cell: "| `key` | type | default | meaning |". */
		const char *c = row;
		for (int bar = 0; bar < 2 && c; bar++)
			c = next_bar(c + 1);
		const char *c_end = c ? next_bar(c + 1) : NULL;
		snprintf(tick, sizeof(tick), "`%s`", def);
		const char *at = c ? strstr(c, tick) : NULL;
		bool in_cell = at != NULL && (c_end == NULL || at < c_end);
		/* Defaults shown in words ("built in", "loopback only") appear as such. */
		if (!in_cell && c != NULL) {
			at = strstr(c, def);
			in_cell = at != NULL && (c_end == NULL || at < c_end);
		}
		if (!in_cell) {
			print_message("key %s: docs/config.md does not give the default %s\n", k, def);
			wrong++;
		}
		checked++;
	}
	assert_true(checked > 30);
	free(md);
	assert_int_equal(wrong, 0);
}

/* Every unbound key this build ignores or refuses has its row, with the
 * reason, in docs/config.md's "unbound.conf keys". */
static void test_unbound_keys_documented(void **state)
{
	(void)state;
	char *md = slurp("docs/config.md");
	size_t missing = 0, n = 0;
	for (const char *k; (k = config_compat_name(n)) != NULL; n++) {
		char want[128];
		snprintf(want, sizeof(want), "| `%s", k);
		if (!has_line(md, "", want, "")) {
			print_message("unbound key %s: no row in docs/config.md\n", k);
			missing++;
		}
	}
	assert_true(n > 50);
	free(md);
	assert_int_equal(missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_documented),
		cmocka_unit_test(test_defaults_agree),
		cmocka_unit_test(test_unbound_keys_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
