/* Shell commands for the unit tests that make their fixtures with Debian's
 * tools (ldns-keygen, ldns-signzone, ldns-key2ds): a command that fails, or
 * that prints nothing when its output is wanted, fails the test with the
 * command in the message. Include after <cmocka.h>. */
#ifndef PC_TEST_SHELL_H
#define PC_TEST_SHELL_H

#include <stddef.h>

/* Run the command (printf format). */
__attribute__((format(printf, 1, 2))) void test_sh(const char *fmt, ...);

/* Run the command; its first output line, without the line end, in out. */
__attribute__((format(printf, 3, 4))) void test_sh_out(char *out, size_t cap, const char *fmt,
							 ...);

/* A key signing key and a zone signing key for zone (text form, e.g.
 * "zone.example.") made in dir with ldns-keygen; alg_args are its -a (and
 * -b) arguments, e.g. "-a ECDSAP256SHA256". The keys' base names (without
 * .key/.private) go to ksk and zsk. */
void test_keypair(const char *dir, const char *alg_args, const char *zone, char *ksk, char *zsk,
		  size_t cap);

#endif
