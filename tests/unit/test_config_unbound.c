/* The configuration as an unbound.conf drop-in: include: and
 * include-toplevel: with globs, every error of a file listed in one read,
 * unbound keys ignored with a warning or refused with the reason, the
 * do-not-query-localhost warning, and the key table's defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "util/err.h"

static char dir[256];
static struct config cfg;
static struct config_diag diag;
static char err[512];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pc-conf-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes DIR/rel (making DIR/sub directories as needed); returns the path. */
static const char *put(const char *rel, const char *text)
{
	static char path[8][512];
	static int next;
	char *p = path[next++ % 8];
	snprintf(p, 512, "%s/%s", dir, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	mkdir(p, 0755);
	*slash = '/';
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static int load(const char *path)
{
	config_diag_free(&diag);
	config_free(&cfg);
	config_defaults(&cfg);
	err[0] = '\0';
	return config_load_diag(&cfg, path, &diag, err, sizeof(err));
}

static bool has(const char *needle)
{
	return diag.text != NULL && strstr(diag.text, needle) != NULL;
}

static void dump(void) { print_message("err: %s\ndiag: %s\n", err, diag.text ? diag.text : ""); }
#define HAS(s) do { if (!has(s)) fail_msg("missing \"%s\" in:\n%s", s, diag.text ? diag.text : "(none)"); } while (0)

static void test_include_glob(void **state)
{
	(void)state;
	put("conf.d/20-b.conf", "server:\n verbosity: 3\n");
	put("conf.d/10-a.conf", "server:\n verbosity: 2\n cache-max-ttl: 100\n");
	put("conf.d/skip.txt", "garbage\n");
	put("none.d/README", "not a .conf\n");
	char main_text[1024];
	snprintf(main_text, sizeof(main_text),
		 "server:\n interface: 127.0.0.1\n include: \"%s/conf.d/*.conf\"\n"
		 " include: %s/none.d/*.conf\n num-threads: 2\n", dir, dir);
	const char *m = put("main.conf", main_text);
	if (load(m) != 0)
		dump();
	assert_int_equal(load(m), 0);
	/* Sorted order: 10-a then 20-b; the clause goes on after the include. */
	assert_int_equal(cfg.verbosity, 3);
	assert_int_equal(cfg.cache_max_ttl, 100);
	assert_int_equal(cfg.num_threads, 2);
	assert_int_equal(diag.errors, 0);

	/* A glob into a directory that does not exist is an error, as in unbound. */
	snprintf(main_text, sizeof(main_text), "server:\n include: %s/nodir.d/*.conf\n", dir);
	m = put("main.conf", main_text);
	assert_int_equal(load(m), PC_EINVAL);
	HAS("main.conf:2: include: ");
	HAS("nodir.d/*.conf: cannot read the directory: No such file or directory");

	/* A plain name must exist: the error names the including file and line. */
	snprintf(main_text, sizeof(main_text), "server:\n include: %s/missing.conf\n", dir);
	m = put("main.conf", main_text);
	assert_int_equal(load(m), PC_EINVAL);
	char want[1400];
	snprintf(want, sizeof(want), "%s:2: include: cannot read %s/missing.conf", m, dir);
	assert_memory_equal(err, want, strlen(want));

	/* An error inside an included file names that file, its line, and where
	 * it was included from. */
	const char *inc = put("bad.d/x.conf", "server:\n verbosity: 9\n");
	snprintf(main_text, sizeof(main_text), "server:\n\n include: %s/bad.d/*.conf\n", dir);
	m = put("main.conf", main_text);
	assert_int_equal(load(m), PC_EINVAL);
	snprintf(want, sizeof(want), "%s:2: verbosity: \"9\" is out of range 0..3 (included from %s:3)",
		 inc, m);
	assert_string_equal(err, want);

	/* A file that includes itself stops at the depth bound, with an error. */
	snprintf(main_text, sizeof(main_text), "server:\n include: %s/loop.conf\n", dir);
	m = put("loop.conf", main_text);
	assert_int_equal(load(m), PC_EINVAL);
	HAS("nested deeper than");
}

static void test_include_toplevel(void **state)
{
	(void)state;
	put("top.d/a.conf", "forward-zone:\n name: corp.\n forward-addr: 192.0.2.1\n");
	char text[1024];
	/* The zone clause of the included file ends with it: a server key
	 * right after the include-toplevel line is outside any clause. */
	snprintf(text, sizeof(text), "server:\n verbosity: 2\ninclude-toplevel: %s/top.d/*.conf\n"
		 " verbosity: 3\n", dir);
	const char *m = put("top.conf", text);
	assert_int_equal(load(m), PC_EINVAL);
	char want[1400];
	snprintf(want, sizeof(want), "%s:4: verbosity: appears before any clause", m);
	assert_memory_equal(err, want, strlen(want));
	snprintf(text, sizeof(text), "server:\n verbosity: 2\ninclude-toplevel: %s/top.d/*.conf\n"
		 "server:\n verbosity: 3\n", dir);
	m = put("top.conf", text);
	assert_int_equal(load(m), 0);
	assert_int_equal(cfg.n_forward, 1);
	assert_int_equal(cfg.verbosity, 3);
	/* A plain include continues the clause it is in. */
	put("mid.d/a.conf", " forward-addr: 192.0.2.2\n");
	snprintf(text, sizeof(text), "forward-zone:\n name: corp.\n include: %s/mid.d/a.conf\n", dir);
	m = put("mid.conf", text);
	assert_int_equal(load(m), 0);
	assert_int_equal(cfg.forward[0].n_addrs, 1);
}

/* --check lists every unknown key and bad value, not just the first. */
static void test_every_error_listed(void **state)
{
	(void)state;
	const char *m = put("many.conf", "server:\n frobnicate: 1\n verbosity: 1\n"
					 " do-ip6: maybe\n frobnicate2: 2\n"
					 "forward-zone:\n name: corp.\n wibble: 3\n"
					 " forward-addr: 192.0.2.1\n");
	assert_int_equal(load(m), PC_EINVAL);
	assert_int_equal(diag.errors, 4);
	char want[1400];
	snprintf(want, sizeof(want), "%s:2: frobnicate: unknown key", m);
	HAS(want);
	assert_string_equal(err, want); /* err keeps the first */
	snprintf(want, sizeof(want), "%s:4: do-ip6: \"maybe\" is not yes or no", m);
	HAS(want);
	snprintf(want, sizeof(want), "%s:5: frobnicate2: unknown key", m);
	HAS(want);
	snprintf(want, sizeof(want), "%s:8: wibble: unknown key", m);
	HAS(want);
	/* Without a diag the read stops at the first, as before. */
	config_defaults(&cfg);
	assert_int_equal(config_load(&cfg, m, err, sizeof(err)), PC_EINVAL);
	snprintf(want, sizeof(want), "%s:2: frobnicate: unknown key", m);
	assert_string_equal(err, want);
}

static void test_ignored_and_refused(void **state)
{
	(void)state;
	const char *m = put("ub.conf", "server:\n statistics-interval: 0\n prefetch-key: yes\n"
				       " prefetch-key: no\n caps-whitelist: corp.\n module-config: \"iterator\"\n"
				       "forward-zone:\n name: corp.\n forward-addr: 192.0.2.1\n"
				       " forward-tls-upstream: no\n forward-first: no\n");
	assert_int_equal(load(m), 0);
	assert_int_equal(diag.warnings, 2);
	char want[1400];
	snprintf(want, sizeof(want), "%s:2: statistics-interval: warning: ignored: ", m);
	HAS(want);
	snprintf(want, sizeof(want), "%s:3: prefetch-key: warning: ignored: ", m);
	HAS(want);
	assert_int_equal(cfg.n_caps_exempt, 1); /* the alias */

	m = put("ub2.conf", "server:\n auto-trust-anchor-file: \"/var/lib/unbound/root.key\"\n"
			    " module-config: \"validator iterator\"\n private-address: 10.0.0.0/8\n"
			    "forward-zone:\n name: corp.\n forward-addr: 192.0.2.1\n"
			    " forward-tls-upstream: yes\n forward-first: yes\n"
			    "auth-zone:\n name: x.\n zonefile: x\n");
	assert_int_equal(load(m), PC_EINVAL);
	assert_int_equal(diag.errors, 4); /* the anchor and the validator are keys of ours */
	snprintf(want, sizeof(want), "%s:2: ", m);
	assert_null(strstr(diag.text, want));
	snprintf(want, sizeof(want), "%s:8: forward-tls-upstream: DNS over TLS is not available", m);
	HAS(want);
	snprintf(want, sizeof(want), "%s:9: forward-first: falling back to recursion", m);
	HAS(want);
	snprintf(want, sizeof(want), "%s:10: auth-zone: authoritative zones are not available", m);
	HAS(want);
	/* The keys of a refused clause are not reported one by one. */
	assert_false(has("zonefile"));
}

static void test_localhost_forwarder_warning(void **state)
{
	(void)state;
	const char *m = put("lo.conf", "forward-zone:\n name: .\n forward-addr: 127.0.0.1@5353\n"
				       " forward-addr: 192.0.2.1\n");
	assert_int_equal(load(m), 0);
	assert_int_equal(diag.warnings, 1);
	char want[1400];
	snprintf(want, sizeof(want), "%s:3: forward-addr: warning: 127.0.0.1@5353 is a loopback "
		 "address and do-not-query-localhost is yes", m);
	HAS(want);
	m = put("lo2.conf", "forward-zone:\n name: .\n forward-addr: 127.0.0.1@5353\n"
			    "server:\n do-not-query-localhost: no\n");
	assert_int_equal(load(m), 0);
	assert_int_equal(diag.warnings, 0);
}

/* A LAN resolver's unbound.conf: warnings only for what this build ignores. */
static void test_typical_lan(void **state)
{
	(void)state;
	put("lan.d/local.conf", "server:\n local-data: \"nas.home.lan. IN A 192.168.1.10\"\n"
				"  local-data-ptr: \"192.168.1.10 nas.home.lan.\"\n");
	char text[2048];
	snprintf(text, sizeof(text),
		 "server:\n"
		 "    verbosity: 1\n"
		 "    interface: 0.0.0.0\n"
		 "    interface: ::0\n"
		 "    access-control: 127.0.0.0/8 allow\n"
		 "    access-control: 192.168.1.0/24 allow\n"
		 "    access-control: 0.0.0.0/0 refuse\n"
		 "    num-threads: 2\n"
		 "    prefetch: yes\n"
		 "    hide-identity: yes\n"
		 "    hide-version: yes\n"
		 "    cache-min-ttl: 60\n"
		 "    so-reuseport: yes\n"
		 "    local-zone: \"home.lan.\" static\n"
		 "    include: \"%s/lan.d/*.conf\"\n"
		 "forward-zone:\n"
		 "    name: \".\"\n"
		 "    forward-addr: 9.9.9.9\n"
		 "    forward-addr: 149.112.112.112\n", dir);
	const char *m = put("lan.conf", text);
	if (load(m) != 0)
		dump();
	assert_int_equal(load(m), 0);
	assert_int_equal(diag.errors, 0);
	/* so-reuseport; prefetch, the local zone and data are read */
	assert_int_equal(diag.warnings, 1);
	assert_true(cfg.prefetch);
	assert_int_equal(cfg.n_local, 3);
	assert_int_equal(cfg.local[0].kind, CONFIG_LOCAL_ZONE);
	assert_string_equal(cfg.local[0].text, "home.lan. static");
	assert_int_equal(cfg.local[2].kind, CONFIG_LOCAL_DATA_PTR);
	assert_int_equal(cfg.n_acl, 3);
	assert_int_equal(cfg.num_threads, 2);
	assert_int_equal(cfg.n_forward, 1);
}

/* Debian's stock /etc/unbound/unbound.conf and its conf.d files: read as
 * they are, the RFC 5011 root anchor file included. */
static void test_debian_stock(void **state)
{
	(void)state;
	put("unbound.conf.d/root-auto-trust-anchor-file.conf",
	    "server:\n"
	    "    # The following line will configure unbound to perform cryptographic\n"
	    "    # DNSSEC validation using the root trust anchor.\n"
	    "    auto-trust-anchor-file: \"/var/lib/unbound/root.key\"\n");
	put("unbound.conf.d/remote-control.conf",
	    "remote-control:\n"
	    "  control-enable: yes\n"
	    "  # by default the control interface is is 127.0.0.1 and ::1 and port 8953\n"
	    "  # it is possible to use a unix socket too\n"
	    "  control-interface: /run/unbound.ctl\n");
	char text[1024];
	snprintf(text, sizeof(text),
		 "# Unbound configuration file for Debian.\n#\n# See the unbound.conf(5) man page.\n#\n"
		 "# See /usr/share/doc/unbound/examples/unbound.conf for a commented\n"
		 "# reference config file.\n#\n"
		 "# The following line includes additional configuration files from the\n"
		 "# /etc/unbound/unbound.conf.d directory.\n"
		 "include-toplevel: \"%s/unbound.conf.d/*.conf\"\n", dir);
	const char *m = put("unbound.conf", text);
	assert_int_equal(load(m), 0);
	assert_int_equal(diag.errors + diag.warnings, 0);
	assert_int_equal(cfg.n_auto_trust_anchor_file, 1);
	assert_string_equal(cfg.auto_trust_anchor_file[0], "/var/lib/unbound/root.key");
	assert_string_equal(cfg.control_socket, "/run/unbound.ctl");
	assert_true(cfg.modules.validate);
	/* Without that file the rest is accepted, the socket path mapped. */
	char path[1024];
	snprintf(path, sizeof(path), "%s/unbound.conf.d/root-auto-trust-anchor-file.conf", dir);
	unlink(path);
	assert_int_equal(load(m), 0);
	assert_int_equal(diag.warnings + diag.errors, 0);
	assert_int_equal(cfg.n_auto_trust_anchor_file, 0);
	assert_string_equal(cfg.control_socket, "/run/unbound.ctl");
}

/* Every default in the key table is a value its own parser accepts, and
 * config_defaults() gives what it says. */
static void test_table_defaults(void **state)
{
	(void)state;
	struct config d;
	config_defaults(&d);
	char text[1024];
	size_t n = 0;
	for (size_t i = 0; config_key_name(i) != NULL; i++) {
		const char *def = config_key_default(i);
		if (def == NULL || strchr(def, ' ') || strchr(def, ',') || strcmp(def, "stderr") == 0)
			continue; /* shown in words, not a value */
		if (strcmp(config_key_name(i), "name") == 0)
			continue;
		snprintf(text, sizeof(text), "server:\n %s: \"%s\"\n", config_key_name(i), def);
		config_defaults(&cfg);
		int rc = config_parse(&cfg, "d.conf", text, strlen(text), err, sizeof(err));
		if (rc != 0 && strstr(err, "not valid in a server") == NULL)
			fail_msg("default of %s: %s", config_key_name(i), err);
		n++;
	}
	assert_true(n > 30);
	assert_int_equal(d.cache_size, 64ull << 20);
	assert_int_equal(d.edns_buffer_size, 1232);
	assert_int_equal(d.socket_pool_range.low, 49152);
	assert_int_equal(d.tcp_queue_size, 64u << 10);
	assert_string_equal(d.username, "portcullis");
	assert_false(d.username_set);
}

static void test_restart_keys(void **state)
{
	(void)state;
	struct config a, b;
	config_defaults(&a);
	config_defaults(&b);
	char out[256];
	assert_int_equal(config_restart_keys(&a, &b, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	const char *t = "server:\n num-threads: 4\n verbosity: 3\n interface: 127.0.0.9\n"
			"forward-zone:\n name: corp.\n forward-addr: 192.0.2.1\n";
	assert_int_equal(config_parse(&b, "r.conf", t, strlen(t), err, sizeof(err)), 0);
	assert_int_equal(config_restart_keys(&a, &b, out, sizeof(out)), 2);
	assert_string_equal(out, "interface, num-threads");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_include_glob),
		cmocka_unit_test(test_include_toplevel),
		cmocka_unit_test(test_every_error_listed),
		cmocka_unit_test(test_ignored_and_refused),
		cmocka_unit_test(test_localhost_forwarder_warning),
		cmocka_unit_test(test_typical_lan),
		cmocka_unit_test(test_debian_stock),
		cmocka_unit_test(test_table_defaults),
		cmocka_unit_test(test_restart_keys),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	config_diag_free(&diag);
	return rc;
}
