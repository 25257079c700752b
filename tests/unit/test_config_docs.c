/* Every key the parser knows is documented where operators look: the key
 * reference (docs/config.md, a table row "| `key` |"), portcullis.conf(5)
 * (a ".BI key:" or ".B key:" entry) and the README's key table. A key added
 * to the parser without its documentation fails here. */
#include <setjmp.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
