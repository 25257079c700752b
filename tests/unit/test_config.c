/* Unit tests for the configuration parser: defaults, every key, every kind
 * of error with its exact "FILE:LINE: KEY:" prefix, quoting and comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "util/err.h"
#include "wire/wire.h"

static struct config cfg;
static char err[512];

static int parse(const char *text)
{
	config_defaults(&cfg);
	err[0] = '\0';
	return config_parse(&cfg, "x.conf", text, strlen(text), err, sizeof(err));
}

#define OK(text) do { \
	int rc_ = parse(text); \
	if (rc_ != 0) fail_msg("unexpected error: %s", err); \
} while (0)

/* The message must start with prefix and be one line. */
#define ERR(text, prefix) do { \
	int rc_ = parse(text); \
	assert_int_equal(rc_, PC_EINVAL); \
	if (strncmp(err, prefix, strlen(prefix)) != 0) \
		fail_msg("expected prefix '%s', got '%s'", prefix, err); \
	assert_null(strchr(err, '\n')); \
} while (0)

static uint16_t port_of(const struct config_addr *a)
{
	if (a->sa.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->sa)->sin6_port);
}

static const char *ip_of(const struct config_addr *a, char *buf)
{
	if (a->sa.ss_family == AF_INET)
		return inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->sa)->sin_addr, buf, 64);
	return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&a->sa)->sin6_addr, buf, 64);
}

static void test_defaults(void **state)
{
	(void)state;
	char b[64];
	config_defaults(&cfg);
	assert_int_equal(cfg.n_interfaces, 2);
	assert_string_equal(ip_of(&cfg.interfaces[0], b), "127.0.0.1");
	assert_int_equal(port_of(&cfg.interfaces[0]), 53);
	assert_int_equal(cfg.interfaces[0].len, sizeof(struct sockaddr_in));
	assert_string_equal(ip_of(&cfg.interfaces[1], b), "::1");
	assert_int_equal(port_of(&cfg.interfaces[1]), 53);
	assert_int_equal(cfg.interfaces[1].len, sizeof(struct sockaddr_in6));
	assert_int_equal(cfg.n_outgoing, 0);
	assert_int_equal(cfg.n_acl, 0);
	assert_string_equal(cfg.root_hints, "");
	assert_string_equal(cfg.control_socket, "/run/portcullis/portcullis.ctl");
	assert_string_equal(cfg.control_group, "");
	assert_true(cfg.do_ip4 && cfg.do_ip6 && cfg.do_udp && cfg.do_tcp);
	assert_true(cfg.do_not_query_localhost && cfg.qname_minimisation);
	assert_true(cfg.harden_glue && cfg.use_caps_for_id);
	assert_int_equal(cfg.cache_size, 64u << 20);
	assert_int_equal(cfg.cache_min_ttl, 0);
	assert_int_equal(cfg.cache_max_ttl, 86400);
	assert_int_equal(cfg.cache_max_negative_ttl, 3600);
	assert_int_equal(cfg.edns_buffer_size, 1232);
	assert_int_equal(cfg.packet_cache_size, 8192);
	assert_int_equal(cfg.socket_pool_size, 2500);
	assert_int_equal(cfg.socket_pool_range.low, 49152);
	assert_int_equal(cfg.socket_pool_range.high, 65535);
	assert_int_equal(cfg.n_pool_exclude, 0);
	assert_int_equal(cfg.num_threads, 1);
	assert_int_equal(cfg.tcp_idle_timeout, 30000);
	assert_int_equal(cfg.upstream_timeout, 400);
	assert_int_equal(cfg.verbosity, 1);
	assert_int_equal(cfg.n_forward, 0);
	assert_int_equal(cfg.n_stub, 0);
	/* An empty file changes nothing. */
	OK("");
	OK("# only a comment\n\n   \n\t\n");
	OK("server:\n");
	assert_int_equal(cfg.n_interfaces, 2);
}

static void test_interface(void **state)
{
	(void)state;
	char b[64];
	OK("server:\n interface: 10.1.2.3\n");
	assert_int_equal(cfg.n_interfaces, 1);
	assert_string_equal(ip_of(&cfg.interfaces[0], b), "10.1.2.3");
	assert_int_equal(port_of(&cfg.interfaces[0]), 53);
	OK("server:\n interface: 127.0.0.1@5353\n interface: ::1@5354\n interface: fe80::1%1\n");
	assert_int_equal(cfg.n_interfaces, 3);
	assert_int_equal(port_of(&cfg.interfaces[0]), 5353);
	assert_int_equal(port_of(&cfg.interfaces[1]), 5354);
	assert_int_equal(((struct sockaddr_in6 *)&cfg.interfaces[2].sa)->sin6_scope_id, 1);
	ERR("server:\n interface: 127.0.0.1@0\n", "x.conf:2: interface: \"127.0.0.1@0\" is not an address");
	ERR("server:\n interface: 127.0.0.1@65536\n", "x.conf:2: interface: ");
	ERR("server:\n interface: 127.0.0.1@53x\n", "x.conf:2: interface: ");
	ERR("server:\n interface: 1.2.3\n", "x.conf:2: interface: \"1.2.3\" is not an address");
	ERR("server:\n interface: 1.2.3.4 5\n", "x.conf:2: interface: ");
	ERR("server:\n interface: localhost\n", "x.conf:2: interface: ");
	ERR("server:\n interface: 10.0.0.1\n interface: 10.0.0.1@53\n",
	    "x.conf:3: interface: \"10.0.0.1@53\" is listed twice");
	char text[2048] = "server:\n";
	for (int i = 0; i <= CONFIG_MAX_ADDRS; i++)
		sprintf(text + strlen(text), "interface: 10.0.0.%d\n", i + 1);
	ERR(text, "x.conf:18: interface: more than 16 interfaces (CONFIG_MAX_ADDRS)");
}

static void test_outgoing(void **state)
{
	(void)state;
	char b[64];
	OK("server:\n outgoing-interface: 192.0.2.1\n outgoing-interface: 2001:db8::1\n");
	assert_int_equal(cfg.n_outgoing, 2);
	assert_string_equal(ip_of(&cfg.outgoing[1], b), "2001:db8::1");
	assert_int_equal(port_of(&cfg.outgoing[0]), 0);
	ERR("server:\n outgoing-interface: 192.0.2.1@53\n",
	    "x.conf:2: outgoing-interface: \"192.0.2.1@53\": takes no port");
}

static void test_access_control(void **state)
{
	(void)state;
	OK("server:\n access-control: 10.0.0.0/8 allow\n access-control: 192.0.2.7 refuse\n"
	   " access-control: 2001:db8::/32 deny\n access-control: ::1 allow\n"
	   " access-control: 0.0.0.0/0 refuse\n");
	assert_int_equal(cfg.n_acl, 5);
	assert_int_equal(cfg.acl[0].prefix, 8);
	assert_true(cfg.acl[0].allow);
	assert_int_equal(cfg.acl[0].net.ss_family, AF_INET);
	assert_int_equal(cfg.acl[1].prefix, 32);
	assert_false(cfg.acl[1].allow);
	assert_int_equal(cfg.acl[2].prefix, 32);
	assert_int_equal(cfg.acl[2].net.ss_family, AF_INET6);
	assert_false(cfg.acl[2].allow);
	assert_int_equal(cfg.acl[3].prefix, 128);
	assert_int_equal(cfg.acl[4].prefix, 0);
	/* The same netblock again takes the later action. */
	OK("server:\n access-control: 10.0.0.0/8 allow\n access-control: 10.0.0.0/8 refuse\n");
	assert_int_equal(cfg.n_acl, 1);
	assert_false(cfg.acl[0].allow);
	OK("server:\n access-control: \"10.0.0.0/8 allow\"\n access-control:\t10.1.0.0/16\t\tallow\n");
	assert_int_equal(cfg.n_acl, 2);
	ERR("server:\n access-control: 10.0.0.0/8\n", "x.conf:2: access-control: \"10.0.0.0/8\": expected");
	ERR("server:\n access-control: 10.0.0.0/8 permit\n",
	    "x.conf:2: access-control: \"permit\" is not allow, refuse or deny");
	ERR("server:\n access-control: 10.0.0.0/8 allow please\n", "x.conf:2: access-control: ");
	ERR("server:\n access-control: 10.0.0.1/8 allow\n",
	    "x.conf:2: access-control: \"10.0.0.1/8\" has bits set beyond the /8 prefix");
	ERR("server:\n access-control: 10.0.0.0/33 allow\n",
	    "x.conf:2: access-control: prefix /33 is longer than 32 bits");
	ERR("server:\n access-control: ::/129 allow\n", "x.conf:2: access-control: prefix /129");
	ERR("server:\n access-control: 10.0.0.0/8x allow\n",
	    "x.conf:2: access-control: \"10.0.0.0/8x\" is not an address");
	ERR("server:\n access-control: 10.0.0.0/ allow\n", "x.conf:2: access-control: ");
	ERR("server:\n access-control: 10.0.0.0@53 allow\n", "x.conf:2: access-control: ");
	char text[4096] = "server:\n";
	for (int i = 0; i <= CONFIG_MAX_ACL; i++)
		sprintf(text + strlen(text), "access-control: 10.0.%d.0/24 allow\n", i);
	ERR(text, "x.conf:66: access-control: more than 64 entries (CONFIG_MAX_ACL)");
}

static void test_dnssec_keys(void **state)
{
	(void)state;
	OK("server:\n verbosity: 1\n");
	assert_true(cfg.modules.validate); /* on by default */
	assert_int_equal(cfg.val_bogus_ttl, 60);
	assert_true(cfg.harden_dnssec_stripped);
	assert_false(cfg.val_permissive_mode);
	OK("server:\n module-config: \"iterator\"\n");
	assert_false(cfg.modules.validate);
	OK("server:\n module-config: \"validator  iterator\"\n val-bogus-ttl: 5\n"
	   " val-permissive-mode: yes\n harden-dnssec-stripped: no\n val-log-level: 2\n");
	assert_true(cfg.modules.validate);
	assert_int_equal(cfg.val_bogus_ttl, 5);
	assert_true(cfg.val_permissive_mode);
	assert_false(cfg.harden_dnssec_stripped);
	assert_int_equal(cfg.val_log_level, 2);
	ERR("server:\n module-config: \"subnetcache validator iterator\"\n",
	    "x.conf:2: module-config: \"subnetcache validator iterator\": \"validator iterator\" or "
	    "\"iterator\"");
	ERR("server:\n module-config: \"validator dns64 iterator\"\n",
	    "x.conf:2: module-config: ");
	/* DNS64: off by default, the well-known prefix (RFC 6052 2.1) */
	OK("server:\n verbosity: 1\n");
	assert_false(cfg.modules.dns64);
	assert_int_equal(cfg.dns64_plen, 96);
	assert_int_equal(cfg.dns64_prefix[0], 0x00);
	assert_int_equal(cfg.dns64_prefix[1], 0x64);
	assert_int_equal(cfg.dns64_prefix[2], 0xff);
	assert_int_equal(cfg.dns64_prefix[3], 0x9b);
	OK("server:\n module-config: \"dns64 validator iterator\"\n dns64-prefix: 2001:db8::/32\n"
	   " dns64-synthall: yes\n dns64-ignore-aaaa: WWW.Example.\n dns64-ignore-aaaa: www.example\n");
	assert_true(cfg.modules.dns64);
	assert_true(cfg.modules.validate);
	assert_int_equal(cfg.dns64_plen, 32);
	assert_true(cfg.dns64_synthall);
	assert_int_equal(cfg.n_dns64_ignore_aaaa, 1); /* one name, lowercase */
	assert_memory_equal(cfg.dns64_ignore_aaaa[0], "\3www\7example", 13);
	OK("server:\n module-config: \"dns64  iterator\"\n");
	assert_true(cfg.modules.dns64);
	assert_false(cfg.modules.validate);
	ERR("server:\n dns64-prefix: 64:ff9b::/72\n",
	    "x.conf:2: dns64-prefix: \"64:ff9b::/72\": prefix length 72: RFC 6052 allows");
	ERR("server:\n dns64-prefix: 10.0.0.0/8\n", "x.conf:2: dns64-prefix: ");
	ERR("server:\n dns64-ignore-aaaa: bad..name\n", "x.conf:2: dns64-ignore-aaaa: ");
	/* a local zone's bad type is quoted without its control bytes (found
	 * by fuzz_config: the type came back raw, 0x03 and all) */
	ERR("server:\n local-zone: \"a.example.\" nodefa\xff\x03t\n",
	    "x.conf:2: local-zone: unknown type \"nodefa\xff?t\"");
	for (const char *c = err; *c; c++)
		assert_false((unsigned char)*c < 0x20 || *c == 0x7f);
	ERR("server:\n val-log-level: 3\n", "x.conf:2: val-log-level: ");
	/* trust anchors: files (read at start), records (checked here), names */
	OK("server:\n trust-anchor-file: /usr/share/dns/root.key\n"
	   " trust-anchor-file: \"/etc/a b.key\"\n trust-anchor-file: /usr/share/dns/root.key\n"
	   " auto-trust-anchor-file: \"/var/lib/unbound/root.key\"\n"
	   " trusted-keys-file: /etc/bind/bind.keys\n"
	   " trust-anchor: \". DS 20326 8 2 e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237c7f8ec8d\"\n"
	   " domain-insecure: Corp.Example.\n domain-insecure: corp.example\n"
	   " domain-insecure: \"lan\"\n"
	   " add-holddown: 60\n del-holddown: 70\n keep-missing: 0\n permit-small-holddown: yes\n");
	assert_int_equal(cfg.n_trust_anchor_file, 2);
	assert_string_equal(cfg.trust_anchor_file[1], "/etc/a b.key");
	assert_int_equal(cfg.n_auto_trust_anchor_file, 1);
	assert_string_equal(cfg.auto_trust_anchor_file[0], "/var/lib/unbound/root.key");
	assert_int_equal(cfg.n_trusted_keys_file, 1);
	assert_int_equal(cfg.n_trust_anchor, 1);
	assert_int_equal(cfg.n_domain_insecure, 2);
	assert_memory_equal(cfg.domain_insecure[0], "\4corp\7example", 14);
	assert_int_equal(cfg.add_holddown, 60);
	assert_int_equal(cfg.del_holddown, 70);
	assert_int_equal(cfg.keep_missing, 0);
	assert_true(cfg.permit_small_holddown);
	/* the defaults: RFC 5011's 30 days, Unbound's 366 days */
	OK("server:\n");
	assert_int_equal(cfg.add_holddown, 30 * 86400);
	assert_int_equal(cfg.del_holddown, 30 * 86400);
	assert_int_equal(cfg.keep_missing, 366 * 86400);
	assert_false(cfg.permit_small_holddown);
	assert_int_equal(cfg.n_trust_anchor_file + cfg.n_trust_anchor, 0);
	/* a bad record names the configuration's file and line */
	/* a DS whose digest length does not fit its type loads (it can match
	 * no key), with a warning naming the line */
	OK("server:\n\n trust-anchor: \". DS 20326 8 2 e06d\"\n");
	assert_int_equal(cfg.n_trust_anchor, 1);
	{
		char path[] = "/tmp/pc-test-config-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		const char *t = "server:\n\n trust-anchor: \". DS 20326 8 2 e06d\"\n";
		assert_int_equal(write(fd, t, strlen(t)), (ssize_t)strlen(t));
		close(fd);
		struct config_diag d = { 0 };
		config_defaults(&cfg);
		assert_int_equal(config_load_diag(&cfg, path, &d, err, sizeof(err)), 0);
		unlink(path);
		assert_int_equal(d.warnings, 1);
		assert_non_null(d.text);
		if (strstr(d.text, ":3: trust-anchor: warning: \". DS 20326 8 2 e06d\": DS digest of 2 "
				   "bytes, digest type 2 needs 32: this anchor can match no key") == NULL)
			fail_msg("unexpected diagnostics: %s", d.text);
		config_diag_free(&d);
	}
	ERR("server:\n trust-anchor: \". A 192.0.2.1\"\n",
	    "x.conf:2: trust-anchor: \". A 192.0.2.1\": A record: a trust anchor is a DS or DNSKEY record");
	ERR("server:\n trust-anchor: \"\"\n", "x.conf:2: trust-anchor: ");
	ERR("server:\n domain-insecure: a..b\n", "x.conf:2: domain-insecure: \"a..b\" is not a domain name");
	ERR("server:\n auto-trust-anchor-file: /a\n auto-trust-anchor-file: /a\n",
	    "x.conf:3: auto-trust-anchor-file: /a is listed twice");
	char text[8192] = "server:\n";
	for (int i = 0; i <= CONFIG_MAX_ANCHORS; i++)
		sprintf(text + strlen(text), "trust-anchor-file: /k%d\n", i);
	ERR(text, "x.conf:18: trust-anchor-file: more than 16 files (CONFIG_MAX_ANCHORS)");
}

static void test_paths(void **state)
{
	(void)state;
	OK("server:\n root-hints: /etc/portcullis/root.hints\n control-socket: /tmp/p.ctl\n");
	assert_string_equal(cfg.root_hints, "/etc/portcullis/root.hints");
	assert_string_equal(cfg.control_socket, "/tmp/p.ctl");
	OK("remote-control:\n control-socket: \"/run/with space.ctl\"\n");
	assert_string_equal(cfg.control_socket, "/run/with space.ctl");
	char text[1024];
	snprintf(text, sizeof(text), "server:\n root-hints: /%0300d\n", 0);
	ERR(text, "x.conf:2: root-hints: path is longer than 255 bytes");
	snprintf(text, sizeof(text), "server:\n control-socket: /%0120d\n", 0);
	ERR(text, "x.conf:2: control-socket: path is longer than 107 bytes");
	ERR("server:\n root-hints: \"\"\n", "x.conf:2: root-hints: missing value");
	ERR("server:\n root-hints:\n", "x.conf:2: root-hints: missing value");
}

static void test_privileges(void **state)
{
	(void)state;
	OK("server:\n");
	assert_string_equal(cfg.username, "portcullis");
	assert_false(cfg.username_set);
	assert_string_equal(cfg.chroot_dir, "");
	assert_string_equal(cfg.pidfile, "");
	OK("server:\n username: unbound\n chroot: /var/lib/portcullis\n pidfile: /run/p.pid\n");
	assert_string_equal(cfg.username, "unbound");
	assert_true(cfg.username_set);
	assert_string_equal(cfg.chroot_dir, "/var/lib/portcullis");
	assert_string_equal(cfg.pidfile, "/run/p.pid");
	/* "" turns each of them off, as in unbound.conf. */
	OK("server:\n username: \"\"\n chroot: \"\"\n pidfile: \"\"\n");
	assert_string_equal(cfg.username, "");
	assert_true(cfg.username_set);
	assert_string_equal(cfg.chroot_dir, "");
	ERR("server:\n username:\n", "x.conf:2: username: missing value");
	ERR("server:\n username: -rf\n", "x.conf:2: username: ");
	ERR("server:\n username: a/b\n", "x.conf:2: username: ");
	ERR("server:\n username: abcdefghijklmnopqrstuvwxyz0123456\n",
	    "x.conf:2: username: user name is longer than 32 bytes");
	ERR("server:\n chroot: var/lib\n", "x.conf:2: chroot: ");
	ERR("server:\n pidfile: p.pid\n", "x.conf:2: pidfile: ");
	OK("server:\n logfile: /var/log/portcullis.log\n use-syslog: yes\n");
	assert_string_equal(cfg.logfile, "/var/log/portcullis.log");
	assert_true(cfg.use_syslog);
	OK("server:\n logfile: \"\"\n");
	assert_string_equal(cfg.logfile, "");
	assert_false(cfg.use_syslog);
	ERR("server:\n logfile: p.log\n", "x.conf:2: logfile: ");
	ERR("server:\n use-syslog: \"\"\n", "x.conf:2: use-syslog: missing value");
	/* Other keys still refuse an empty value. */
	ERR("server:\n root-hints: \"\"\n", "x.conf:2: root-hints: missing value");
}

static void test_bools(void **state)
{
	(void)state;
	OK("server:\n do-ip4: yes\n do-ip6: no\n do-udp: yes\n do-tcp: no\n"
	   " do-not-query-localhost: no\n qname-minimisation: no\n harden-glue: no\n"
	   " use-caps-for-id: no\n");
	assert_true(cfg.do_ip4);
	assert_false(cfg.do_ip6);
	assert_true(cfg.do_udp);
	assert_false(cfg.do_tcp);
	assert_false(cfg.do_not_query_localhost);
	assert_false(cfg.qname_minimisation);
	assert_false(cfg.harden_glue);
	assert_false(cfg.use_caps_for_id);
	OK("server:\n use-caps-for-id: \"yes\"\n");
	assert_true(cfg.use_caps_for_id);
	ERR("server:\n harden-glue: Yes\n", "x.conf:2: harden-glue: \"Yes\" is not yes or no");
	ERR("server:\n harden-glue: yes no\n", "x.conf:2: harden-glue: \"yes no\" is not yes or no");
	ERR("server:\n harden-glue: 1\n", "x.conf:2: harden-glue: ");
}

static void test_cache_size(void **state)
{
	(void)state;
	OK("server:\n cache-size: 64m\n");
	assert_int_equal(cfg.cache_size, 64ull << 20);
	OK("server:\n cache-size: 100k\n");
	assert_int_equal(cfg.cache_size, 100ull << 10);
	OK("server:\n cache-size: 2G\n");
	assert_int_equal(cfg.cache_size, 2ull << 30);
	OK("server:\n cache-size: 123456\n");
	assert_int_equal(cfg.cache_size, 123456);
	ERR("server:\n cache-size: 12q\n", "x.conf:2: cache-size: \"12q\" is not a size");
	ERR("server:\n cache-size: 12mb\n", "x.conf:2: cache-size: \"12mb\" is not a size");
	ERR("server:\n cache-size: -1\n", "x.conf:2: cache-size: \"-1\" is not a size");
	ERR("server:\n cache-size: m\n", "x.conf:2: cache-size: \"m\" is not a size");
	ERR("server:\n cache-size: 99999999999999999999\n", "x.conf:2: cache-size: ");
	ERR("server:\n cache-size: 17179869184g\n", "x.conf:2: cache-size: \"17179869184g\" is too large");
}

static void test_socket_buffers(void **state)
{
	(void)state;
	OK("server:\n verbosity: 1\n");
	assert_int_equal(cfg.so_rcvbuf, 4u << 20);
	assert_int_equal(cfg.so_sndbuf, 4u << 20);
	OK("server:\n so-rcvbuf: 8m\n so-sndbuf: 0\n");
	assert_int_equal(cfg.so_rcvbuf, 8u << 20);
	assert_int_equal(cfg.so_sndbuf, 0);
	OK("server:\n so-sndbuf: 1g\n");
	assert_int_equal(cfg.so_sndbuf, 1u << 30);
	ERR("server:\n so-rcvbuf: 1025m\n", "x.conf:2: so-rcvbuf: \"1025m\" is too large (at most 1g)");
	ERR("server:\n so-sndbuf: big\n", "x.conf:2: so-sndbuf: \"big\" is not a size");
}

static void test_limits(void **state)
{
	(void)state;
	OK("server:\n verbosity: 1\n");
	assert_int_equal(cfg.num_queries_per_thread, 1024);
	assert_int_equal(cfg.jostle_timeout, 200);
	assert_int_equal(cfg.incoming_num_tcp, 512);
	assert_int_equal(cfg.tcp_per_address, 32);
	assert_int_equal(cfg.tcp_message_timeout, 5000);
	assert_int_equal(cfg.tcp_queue_size, 64u << 10);
	assert_int_equal(cfg.stream_wait_size, 4ull << 20);
	OK("server:\n num-queries-per-thread: 50\n jostle-timeout: 0\n incoming-num-tcp: 8\n"
	   " tcp-connections-per-address: 2\n tcp-message-timeout: 1500\n tcp-queue-size: 512\n"
	   " stream-wait-size: 2g\n");
	assert_int_equal(cfg.num_queries_per_thread, 50);
	assert_int_equal(cfg.jostle_timeout, 0);
	assert_int_equal(cfg.incoming_num_tcp, 8);
	assert_int_equal(cfg.tcp_per_address, 2);
	assert_int_equal(cfg.tcp_message_timeout, 1500);
	assert_int_equal(cfg.tcp_queue_size, 512);
	assert_int_equal(cfg.stream_wait_size, 2ull << 30);
	ERR("server:\n num-queries-per-thread: 0\n", "x.conf:2: num-queries-per-thread: \"0\" is out of range");
	ERR("server:\n incoming-num-tcp: 0\n", "x.conf:2: incoming-num-tcp: ");
	ERR("server:\n tcp-connections-per-address: 65537\n", "x.conf:2: tcp-connections-per-address: ");
	ERR("server:\n tcp-message-timeout: 0\n", "x.conf:2: tcp-message-timeout: ");
	ERR("server:\n tcp-queue-size: 511\n", "x.conf:2: tcp-queue-size: \"511\" is out of range");
	ERR("server:\n tcp-queue-size: 2g\n", "x.conf:2: tcp-queue-size: ");
	ERR("server:\n stream-wait-size: lots\n", "x.conf:2: stream-wait-size: \"lots\" is not a size");
}

static void test_numbers(void **state)
{
	(void)state;
	OK("server:\n cache-min-ttl: 60\n cache-max-ttl: 3600\n cache-max-negative-ttl: 300\n"
	   " edns-buffer-size: 4096\n socket-pool-size: 0\n num-threads: 64\n"
	   " tcp-idle-timeout: 10000\n upstream-timeout: 250\n verbosity: 3\n");
	assert_int_equal(cfg.cache_min_ttl, 60);
	assert_int_equal(cfg.cache_max_ttl, 3600);
	assert_int_equal(cfg.cache_max_negative_ttl, 300);
	assert_int_equal(cfg.edns_buffer_size, 4096);
	assert_int_equal(cfg.socket_pool_size, 0);
	assert_int_equal(cfg.num_threads, 64);
	assert_int_equal(cfg.tcp_idle_timeout, 10000);
	assert_int_equal(cfg.upstream_timeout, 250);
	assert_int_equal(cfg.verbosity, 3);
	OK("server:\n edns-buffer-size: 512\n socket-pool-size: 65535\n verbosity: 0\n");
	assert_int_equal(cfg.edns_buffer_size, 512);
	assert_int_equal(cfg.socket_pool_size, 65535);
	ERR("server:\n edns-buffer-size: 511\n", "x.conf:2: edns-buffer-size: \"511\" is out of range 512..4096");
	ERR("server:\n edns-buffer-size: 4097\n", "x.conf:2: edns-buffer-size: ");
	ERR("server:\n socket-pool-size: 65536\n", "x.conf:2: socket-pool-size: \"65536\" is out of range");
	OK("server:\n packet-cache-size: 0\n");
	assert_int_equal(cfg.packet_cache_size, 0);
	OK("server:\n packet-cache-size: 1048576\n");
	assert_int_equal(cfg.packet_cache_size, 1u << 20);
	ERR("server:\n packet-cache-size: 1048577\n",
	    "x.conf:2: packet-cache-size: \"1048577\" is out of range 0..1048576");
	ERR("server:\n num-threads: 0\n", "x.conf:2: num-threads: \"0\" is out of range 1..64");
	ERR("server:\n num-threads: 65\n", "x.conf:2: num-threads: ");
	ERR("server:\n verbosity: 4\n", "x.conf:2: verbosity: \"4\" is out of range 0..3");
	ERR("server:\n verbosity: 1 # fine\n verbosity: 2x\n", "x.conf:3: verbosity: \"2x\" is not a number");
	ERR("server:\n verbosity: +1\n", "x.conf:2: verbosity: \"+1\" is not a number");
	ERR("server:\n upstream-timeout: 0\n", "x.conf:2: upstream-timeout: ");
	ERR("server:\n tcp-idle-timeout: 99999999999999999999999\n", "x.conf:2: tcp-idle-timeout: ");
	ERR("server:\n cache-max-ttl: 2147483648\n", "x.conf:2: cache-max-ttl: ");
	ERR("server:\n cache-min-ttl: 100\n cache-max-ttl: 50\n",
	    "x.conf:3: cache-max-ttl: cache-min-ttl 100 is above cache-max-ttl 50");
	ERR("server:\n cache-max-ttl: 50\n\n cache-min-ttl: 100\n",
	    "x.conf:4: cache-min-ttl: cache-min-ttl 100 is above cache-max-ttl 50");
	ERR("server:\n cache-min-ttl: 90000\n", "x.conf:2: cache-min-ttl: cache-min-ttl 90000 is above");
}

static void test_pool(void **state)
{
	(void)state;
	OK("server:\n socket-pool-range: 1024-65535\n socket-pool-exclude: 5353\n"
	   " socket-pool-exclude: \"50000-50100\"\n");
	assert_int_equal(cfg.socket_pool_range.low, 1024);
	assert_int_equal(cfg.socket_pool_range.high, 65535);
	assert_int_equal(cfg.n_pool_exclude, 2);
	assert_int_equal(cfg.pool_exclude[0].low, 5353);
	assert_int_equal(cfg.pool_exclude[0].high, 5353);
	assert_int_equal(cfg.pool_exclude[1].low, 50000);
	assert_int_equal(cfg.pool_exclude[1].high, 50100);
	OK("server:\n socket-pool-range: 40000-40000\n");
	ERR("server:\n socket-pool-range: 5-3\n", "x.conf:2: socket-pool-range: low end 5 is above high end 3");
	ERR("server:\n socket-pool-range: 0-3\n", "x.conf:2: socket-pool-range: port 0");
	ERR("server:\n socket-pool-range: 1-65536\n", "x.conf:2: socket-pool-range: \"1-65536\" is not a port range");
	ERR("server:\n socket-pool-range: 5000\n", "x.conf:2: socket-pool-range: \"5000\" is not a port range");
	ERR("server:\n socket-pool-range: 1000-2000-3000\n", "x.conf:2: socket-pool-range: ");
	ERR("server:\n socket-pool-range: 1000 - 2000\n", "x.conf:2: socket-pool-range: ");
	ERR("server:\n socket-pool-exclude: 9-8\n", "x.conf:2: socket-pool-exclude: low end 9 is above high end 8");
	ERR("server:\n socket-pool-exclude: x\n", "x.conf:2: socket-pool-exclude: \"x\" is not a port range or port");
	ERR("server:\n socket-pool-range: 1000-2000\n socket-pool-exclude: 900-2100\n",
	    "x.conf:3: socket-pool-exclude: socket-pool-exclude leaves no port");
	char text[4096] = "server:\n";
	for (int i = 0; i <= CONFIG_MAX_EXCLUDE; i++)
		sprintf(text + strlen(text), "socket-pool-exclude: %d\n", 1000 + i);
	ERR(text, "x.conf:66: socket-pool-exclude: more than 64 ranges (CONFIG_MAX_EXCLUDE)");
}

static void test_zones(void **state)
{
	(void)state;
	char b[64];
	OK("server:\n verbosity: 2\nforward-zone:\n name: \"Corp.Example.\"\n"
	   " forward-addr: 127.9.0.1\n forward-addr: ::1@5300\n"
	   "stub-zone:\n name: lab\n stub-addr: 127.10.0.1@53\n"
	   "forward-zone:\n name: .\n forward-addr: 192.0.2.53\n");
	assert_int_equal(cfg.n_forward, 2);
	assert_int_equal(cfg.n_stub, 1);
	uint8_t want[WIRE_NAME_MAX];
	wire_name_from_text("corp.example.", want);
	assert_memory_equal(cfg.forward[0].name, want, wire_name_len(want));
	assert_int_equal(cfg.forward[0].n_addrs, 2);
	assert_string_equal(ip_of(&cfg.forward[0].addrs[0], b), "127.9.0.1");
	assert_int_equal(port_of(&cfg.forward[0].addrs[0]), 53);
	assert_int_equal(port_of(&cfg.forward[0].addrs[1]), 5300);
	wire_name_from_text("lab.", want);
	assert_memory_equal(cfg.stub[0].name, want, wire_name_len(want));
	assert_int_equal(cfg.forward[1].name[0], 0);
	assert_int_equal(cfg.verbosity, 2);

	ERR("forward-zone:\n forward-addr: 127.0.0.1\n", "x.conf:1: forward-zone: has no name");
	ERR("server:\nforward-zone:\n name: a.\n", "x.conf:2: forward-zone: has no forward-addr");
	ERR("stub-zone:\n name: a.\nserver:\n verbosity: 1\n", "x.conf:1: stub-zone: has no stub-addr");
	ERR("stub-zone:\n stub-addr: 127.0.0.1\nstub-zone:\n name: b\n stub-addr: 127.0.0.1\n",
	    "x.conf:1: stub-zone: has no name");
	ERR("forward-zone:\n name: a.\n name: b.\n", "x.conf:3: name: given twice");
	ERR("forward-zone:\n name: a..b\n", "x.conf:2: name: \"a..b\" is not a domain name");
	ERR("forward-zone:\n name: a.\n forward-addr: 1.1.1.1\nstub-zone:\n name: A.\n",
	    "x.conf:5: name: zone \"A.\" already has a forward-zone: clause");
	/* unbound's "addr#tls-name" asks for TLS, which is missing: refused, quoted
	 * or not (sending in clear text instead would be a silent downgrade). */
	ERR("forward-zone:\n name: a.\n forward-addr: \"1.1.1.1#tls.example\"\n",
	    "x.conf:3: forward-addr: \"1.1.1.1#tls.example\" asks for DNS over TLS");
	ERR("forward-zone:\n name: a.\n forward-addr: 1.1.1.1@853#tls.example\n",
	    "x.conf:3: forward-addr: \"1.1.1.1@853#tls.example\" asks for DNS over TLS");
	ERR("forward-zone:\n name: a.\n stub-addr: 1.1.1.1\n",
	    "x.conf:3: stub-addr: not valid in a forward-zone: clause (it belongs under stub-zone:)");
	ERR("server:\n forward-addr: 1.1.1.1\n", "x.conf:2: forward-addr: not valid in a server: clause");
	ERR("forward-zone:\n name: a.\n forward-addr: 1.1.1.1\n verbosity: 1\n",
	    "x.conf:4: verbosity: not valid in a forward-zone: clause (it belongs under server:)");
	ERR("forward-zone:\n name: a.\n forward-addr: 1.1.1.1\n forward-addr: 1.1.1.1@53\n",
	    "x.conf:4: forward-addr: \"1.1.1.1@53\" is listed twice");

	char text[8192] = "forward-zone:\nname: a.\n";
	for (int i = 0; i <= CONFIG_MAX_ADDRS; i++)
		sprintf(text + strlen(text), "forward-addr: 10.0.0.%d\n", i + 1);
	ERR(text, "x.conf:19: forward-addr: more than 16 addresses in one zone (CONFIG_MAX_ADDRS)");
	text[0] = '\0';
	for (int i = 0; i <= CONFIG_MAX_ZONES; i++)
		sprintf(text + strlen(text), "stub-zone:\nname: z%d.\nstub-addr: 10.0.0.1\n", i);
	ERR(text, "x.conf:97: stub-zone: more than 32 stub-zone clauses (CONFIG_MAX_ZONES)");
}

static void test_families(void **state)
{
	(void)state;
	char b[64];
	ERR("server:\n do-ip4: no\n do-ip6: no\n", "x.conf:3: do-ip6: do-ip4 and do-ip6 are both no");
	ERR("server:\n do-udp: no\n do-tcp: no\n", "x.conf:3: do-tcp: do-udp and do-tcp are both no");
	/* The default ::1 listener goes with do-ip6: no. */
	OK("server:\n do-ip6: no\n");
	assert_int_equal(cfg.n_interfaces, 1);
	assert_string_equal(ip_of(&cfg.interfaces[0], b), "127.0.0.1");
	OK("server:\n do-ip4: no\n");
	assert_int_equal(cfg.n_interfaces, 1);
	assert_string_equal(ip_of(&cfg.interfaces[0], b), "::1");
	ERR("server:\n interface: ::1\n do-ip6: no\n", "x.conf:3: do-ip6: an interface of this family");
	ERR("server:\n do-ip4: no\n outgoing-interface: 192.0.2.1\n", "x.conf:2: do-ip4: an outgoing-interface");
	ERR("server:\n do-ip6: no\nforward-zone:\n name: a\n forward-addr: 2001:db8::1\n",
	    "x.conf:2: do-ip6: zone a. is left without a usable address");
	OK("server:\n do-ip6: no\nforward-zone:\n name: a\n forward-addr: 2001:db8::1\n forward-addr: 192.0.2.1\n");
}

static void test_syntax(void **state)
{
	(void)state;
	/* Quotes keep '#'; as in unbound, '#' starts a comment only where a
	 * word could start, so inside a word it is part of the value. */
	OK("server: # the server\n\troot-hints: \"/a#b\"   # comment\n"
	   "   control-socket:/c.ctl#x\n verbosity:2\r\n");
	assert_string_equal(cfg.root_hints, "/a#b");
	assert_string_equal(cfg.control_socket, "/c.ctl#x");
	assert_int_equal(cfg.verbosity, 2);
	OK("server:\n control-socket: /c.ctl #x\n identity: 'single # quoted'\n");
	assert_string_equal(cfg.control_socket, "/c.ctl");
	assert_string_equal(cfg.identity, "single # quoted");
	/* No newline at the end of the file. */
	OK("server:\n verbosity: 3");
	assert_int_equal(cfg.verbosity, 3);
	ERR("verbosity: 1\n", "x.conf:1: verbosity: appears before any clause (put it under server:)");
	ERR("server:\n frobnicate: 1\n", "x.conf:2: frobnicate: unknown key");
	ERR("server:\n\n\n frobnicate\n", "x.conf:4: frobnicate: expected \"key: value\"");
	ERR("server:\n verbosity 1\n", "x.conf:2: verbosity: expected \"key: value\"");
	ERR("server:\n : 1\n", "x.conf:2: missing key before ':'");
	ERR("server:\n root-hints: \"/a\n", "x.conf:2: root-hints: missing closing quote");
	ERR("server:\n root-hints: \"/a\" b\n", "x.conf:2: root-hints: text after the closing quote");
	ERR("server: yes\n", "x.conf:1: server: a clause header takes no value");
	ERR("server:\n verbosity:\n", "x.conf:2: verbosity: missing value");
	ERR("server:\n verbosity: # none\n", "x.conf:2: verbosity: missing value");
	ERR("Server:\n", "x.conf:1: Server: unknown key");
	/* Odd bytes in a value are escaped so the message stays one line. */
	ERR("server:\n verbosity: \x01\x1b[2J\n", "x.conf:2: verbosity: \"\\x01\\x1b[2J\" is not a number");
	ERR("server:\n fo\ro: 1\n", "x.conf:2: \"fo\\x0do\": unknown key");
	ERR("server:\n a.b: 1\n", "x.conf:2: \"a.b\": unknown key");
	char nul[] = "server:\n verbosity: 1\0\n";
	config_defaults(&cfg);
	assert_int_equal(config_parse(&cfg, "x.conf", nul, sizeof(nul) - 1, err, sizeof(err)), PC_EINVAL);
	assert_string_equal(err, "x.conf:2: NUL byte in line");
}

static void test_bounds(void **state)
{
	(void)state;
	/* A 4096-byte line is fine; 4097 is not. */
	char *text = malloc(8192);
	assert_non_null(text);
	strcpy(text, "server:\n#");
	memset(text + 9, 'x', 4095);
	strcpy(text + 9 + 4095, "\n");
	OK(text);
	strcpy(text + 9 + 4095, "x\n");
	ERR(text, "x.conf:2: line is longer than 4096 bytes");
	free(text);

	size_t big = (1u << 20) + 1;
	text = malloc(big);
	assert_non_null(text);
	memset(text, '\n', big);
	config_defaults(&cfg);
	assert_int_equal(config_parse(&cfg, "x.conf", text, big, err, sizeof(err)), PC_EINVAL);
	assert_string_equal(err, "x.conf: file is larger than 1048576 bytes");
	assert_int_equal(config_parse(&cfg, "x.conf", text, big - 1, err, sizeof(err)), 0);
	free(text);

	/* A failed parse leaves the configuration as it was. */
	config_defaults(&cfg);
	const char *bad = "server:\n verbosity: 3\n interface: 10.0.0.1\n frob: 1\n";
	assert_int_equal(config_parse(&cfg, "x.conf", bad, strlen(bad), err, sizeof(err)), PC_EINVAL);
	assert_int_equal(cfg.verbosity, 1);
	assert_int_equal(cfg.n_interfaces, 2);

	/* A tiny or absent error buffer is respected. */
	char small[8];
	assert_int_equal(config_parse(&cfg, "x.conf", bad, strlen(bad), small, sizeof(small)), PC_EINVAL);
	assert_string_equal(small, "x.conf:");
	assert_int_equal(config_parse(&cfg, "x.conf", bad, strlen(bad), NULL, 0), PC_EINVAL);
}

static void test_identity_version(void **state)
{
	(void)state;
	OK("server:\n");
	assert_false(cfg.hide_identity);
	assert_false(cfg.hide_version);
	assert_string_equal(cfg.identity, "");
	assert_string_equal(cfg.version, "");
	OK("server:\n  hide-identity: yes\n  hide-version: yes\n"
	   "  identity: \"ns7 (lab) # not a comment\"\n  version: plain words # comment\n");
	assert_true(cfg.hide_identity);
	assert_true(cfg.hide_version);
	assert_string_equal(cfg.identity, "ns7 (lab) # not a comment");
	assert_string_equal(cfg.version, "plain words");
	/* "" is the built-in text again; a bare empty value is a mistake */
	OK("server:\n  identity: x\n  identity: \"\"\n  version: \"\"\n");
	assert_string_equal(cfg.identity, "");
	assert_string_equal(cfg.version, "");
	ERR("server:\n  identity:\n", "x.conf:2: identity: missing value");
	ERR("server:\n  hide-version: maybe\n", "x.conf:2: hide-version: \"maybe\" is not yes or no");
	ERR("forward-zone:\n  version: x\n", "x.conf:2: version: not valid in a forward-zone: clause");
	/* one TXT string: 255 bytes at most */
	char text[300];
	memset(text, 'v', 255);
	text[255] = '\0';
	char conf[400];
	snprintf(conf, sizeof(conf), "server:\n  version: %s\n", text);
	OK(conf);
	assert_int_equal(strlen(cfg.version), 255);
	snprintf(conf, sizeof(conf), "server:\n  identity: %sv\n", text);
	ERR(conf, "x.conf:2: identity: text is longer than 255 bytes");
	/* other keys still refuse a quoted empty value */
	ERR("server:\n  root-hints: \"\"\n", "x.conf:2: root-hints: missing value");
}

static void test_load(void **state)
{
	(void)state;
	char path[] = "/tmp/pc-test-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "server:\n interface: 127.0.0.1@5300\n socket-pool-range: 5-3\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	config_defaults(&cfg);
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), PC_EINVAL);
	char want[256];
	snprintf(want, sizeof(want), "%s:3: socket-pool-range: low end 5 is above high end 3", path);
	assert_string_equal(err, want);
	unlink(path);
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), PC_EIO);
	snprintf(want, sizeof(want), "%s: cannot open: ", path);
	assert_memory_equal(err, want, strlen(want));
}

static void test_parse_addr(void **state)
{
	(void)state;
	struct config_addr a;
	assert_int_equal(config_parse_addr("192.0.2.1", 53, &a), 0);
	assert_int_equal(port_of(&a), 53);
	assert_int_equal(config_parse_addr("192.0.2.1@853", 53, &a), 0);
	assert_int_equal(port_of(&a), 853);
	assert_int_equal(config_parse_addr("2001:db8::1@1", 53, &a), 0);
	assert_int_equal(port_of(&a), 1);
	assert_int_equal(a.len, sizeof(struct sockaddr_in6));
	assert_int_equal(config_parse_addr("", 53, &a), PC_EINVAL);
	assert_int_equal(config_parse_addr("@53", 53, &a), PC_EINVAL);
	assert_int_equal(config_parse_addr("192.0.2.1@", 53, &a), PC_EINVAL);
	assert_int_equal(config_parse_addr("192.0.2.1@@53", 53, &a), PC_EINVAL);
	assert_int_equal(config_parse_addr("[::1]:53", 53, &a), PC_EINVAL);
	assert_int_equal(config_parse_addr("fe80::1%no-such-if0", 53, &a), PC_EINVAL);
	assert_int_equal(config_parse_addr("01234567890123456789012345678901234567890123456789"
					   "01234567890123456789", 53, &a), PC_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_interface),
		cmocka_unit_test(test_outgoing),
		cmocka_unit_test(test_access_control),
		cmocka_unit_test(test_privileges),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_cache_size),
		cmocka_unit_test(test_socket_buffers),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_dnssec_keys),
		cmocka_unit_test(test_identity_version),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_parse_addr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
