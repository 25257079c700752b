#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shell.h"

void test_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

void test_sh_out(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(out, (int)cap, p) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	int rc = pclose(p);
	if (rc != 0 || out[0] == '\0')
		fail_msg("command failed (%d) or printed nothing: %s", rc, cmd);
}

void test_keypair(const char *dir, const char *alg_args, const char *zone, char *ksk, char *zsk,
		  size_t cap)
{
	test_sh_out(ksk, cap, "cd %s && ldns-keygen -r /dev/urandom %s -k %s", dir, alg_args, zone);
	test_sh_out(zsk, cap, "cd %s && ldns-keygen -r /dev/urandom %s %s", dir, alg_args, zone);
}
