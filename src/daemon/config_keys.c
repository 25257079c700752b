/* config_keys: THE table of configuration keys. One row says everything
 * the program knows of a key: its name, the clauses it belongs to, its
 * type and bounds (which the parser checks), its default (which
 * config_defaults() applies by parsing it, so a default is always a valid
 * value), whether a reload can apply a change of it, and one line of doc
 * (tests/unit/test_config_docs.c checks docs/config.md, the man page and
 * the README against the names and defaults here).
 *
 * Adding a key: a field in struct config (config.h), a row here, and its
 * line in docs/config.md, man/portcullis.conf.5 and the README table. A
 * key that takes a plain type needs no code; one that needs more names a
 * handler (config_values.c). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "daemon/config_int.h"

#define FLD(f) .off = offsetof(struct config, f), .size = sizeof(((struct config *)0)->f)
/* A list: its array, its count; a reload compares count entries. */
#define LIST(a, n) .off = offsetof(struct config, a), .size = sizeof(((struct config *)0)->a), \
	.elem = sizeof(((struct config *)0)->a[0]), .off2 = offsetof(struct config, n), \
	.size2 = sizeof(((struct config *)0)->n)

#define S CL_SERVER
#define TTL_MAX 2147483647u /* TTLs are 31-bit quantities (RFC 2181 section 8) */
#define RESTART K_RESTART

const struct config_key config_keys[] = {
	/* ---- listening and who may ask ---- */
	{ "interface", S, T_FN, LIST(interfaces, n_interfaces), .fn = k_interface,
	  .def_doc = "`127.0.0.1`, `::1`", .flags = RESTART,
	  .doc = "address[@port] to answer clients on (UDP and TCP); repeatable" },
	{ "outgoing-interface", S, T_FN, LIST(outgoing, n_outgoing), .fn = k_outgoing,
	  .flags = RESTART, .doc = "source address of upstream queries; repeatable" },
	{ "access-control", S, T_FN, LIST(acl, n_acl), .fn = k_access_control,
	  .def_doc = "loopback only", .doc = "NETBLOCK allow|refuse|deny; most specific wins" },
	{ "root-hints", S, T_PATH, FLD(root_hints), .max = CONFIG_PATH_MAX - 1, .flags = RESTART,
	  .def_doc = "built in", .doc = "root hints file, master-file format" },
	{ "do-ip4", S, T_BOOL, FLD(do_ip4), .def = "yes", .flags = RESTART, .line = L_IP4,
	  .doc = "use IPv4, for clients and upstream" },
	{ "do-ip6", S, T_BOOL, FLD(do_ip6), .def = "yes", .flags = RESTART, .line = L_IP6,
	  .doc = "use IPv6, for clients and upstream" },
	{ "do-udp", S, T_BOOL, FLD(do_udp), .def = "yes", .flags = RESTART, .line = L_UDP,
	  .doc = "use UDP" },
	{ "do-tcp", S, T_BOOL, FLD(do_tcp), .def = "yes", .flags = RESTART, .line = L_TCP,
	  .doc = "use TCP" },
	/* ---- resolution ---- */
	{ "do-not-query-localhost", S, T_BOOL, FLD(do_not_query_localhost), .def = "yes",
	  .line = L_DNQL, .doc = "never send queries to loopback addresses" },
	{ "qname-minimisation", S, T_BOOL, FLD(qname_minimisation), .def = "yes",
	  .doc = "send each server only as much of the name as it needs (RFC 9156)" },
	{ "harden-glue", S, T_BOOL, FLD(harden_glue), .def = "yes",
	  .doc = "accept only glue inside the sending server's zone" },
	{ "use-caps-for-id", S, T_BOOL, FLD(use_caps_for_id), .def = "yes",
	  .doc = "0x20 letter-case randomisation of upstream query names" },
	{ "upstream-timeout", S, T_U32, FLD(upstream_timeout), .min = 1, .max = 60000, .def = "400",
	  .doc = "ms to wait for an unknown server before trying again" },
	/* ---- DNSSEC validation ---- */
	{ "module-config", S, T_FN, FLD(modules), .fn = k_module_config, .def = "validator iterator",
	  .flags = RESTART,
	  .doc = "\"validator iterator\" validates (DNSSEC); \"iterator\" turns validation off; "
		 "\"dns64\" in front turns DNS64 on" },
	{ "val-permissive-mode", S, T_BOOL, FLD(val_permissive_mode), .def = "no",
	  .doc = "answer bogus data (without AD) instead of SERVFAIL" },
	{ "val-bogus-ttl", S, T_U32, FLD(val_bogus_ttl), .min = 0, .max = TTL_MAX, .def = "60",
	  .doc = "seconds data that failed validation is kept" },
	{ "val-log-level", S, T_U32, FLD(val_log_level), .min = 0, .max = 2, .def = "0",
	  .flags = RESTART, .doc = "1 or 2: log a line (name, type, reason, EDE) per bogus answer" },
	{ "harden-dnssec-stripped", S, T_BOOL, FLD(harden_dnssec_stripped), .def = "yes",
	  .doc = "signatures missing below a trust anchor make data bogus, not insecure" },
	{ "val-clean-additional", S, T_BOOL, FLD(val_clean_additional), .def = "yes",
	  .doc = "accepted for Unbound's files: answers never carry unvalidated additional records" },
	/* ---- DNS64 (core/dns64.h), on with module-config: "dns64 ..." ---- */
	{ "dns64-prefix", S, T_FN, FLD(dns64_prefix), .fn = k_dns64_prefix, .def = "64:ff9b::/96",
	  .doc = "the NAT64 prefix AAAA records are made in (RFC 6052: /32, /40, /48, /56, /64, /96)" },
	{ "dns64-synthall", S, T_BOOL, FLD(dns64_synthall), .def = "no",
	  .doc = "make AAAA records from A records even for names that have AAAA records" },
	{ "dns64-ignore-aaaa", S, T_FN, LIST(dns64_ignore_aaaa, n_dns64_ignore_aaaa),
	  .fn = k_dns64_ignore_aaaa,
	  .doc = "name whose AAAA records are ignored, and made from its A records; repeatable" },
	/* ---- cache ---- */
	{ "cache-size", S, T_SIZE, FLD(cache_size), .min = 0, .max = UINT64_MAX, .def = "64m", .flags = RESTART,
	  .doc = "byte budget of the cache" },
	{ "packet-cache-size", S, T_U32, FLD(packet_cache_size), .min = 0, .max = 1u << 20, .def = "8192",
	  .flags = RESTART, .doc = "finished answers each UDP reader thread keeps; 0 = none" },
	{ "cache-min-ttl", S, T_U32, FLD(cache_min_ttl), .min = 0, .max = TTL_MAX, .def = "0", .line = L_MIN_TTL,
	  .doc = "lower bound on TTLs kept in the cache" },
	{ "cache-max-ttl", S, T_U32, FLD(cache_max_ttl), .min = 0, .max = TTL_MAX, .def = "86400",
	  .line = L_MAX_TTL, .doc = "upper bound on TTLs kept in the cache" },
	{ "cache-max-negative-ttl", S, T_U32, FLD(cache_max_negative_ttl), .min = 0, .max = TTL_MAX,
	  .def = "3600", .doc = "upper bound on NXDOMAIN and NODATA TTLs" },
	/* serve-expired (daemon/stale.c, cache.h) and prefetch: a reload
	 * applies them at once (the cache and the request hooks read the
	 * options in force); entries stored before prefetch was turned on have
	 * no window. */
	{ "serve-expired", S, T_BOOL, FLD(serve_expired), .def = "no",
	  .doc = "answer with expired data when resolution fails or is slow (RFC 8767), with EDE 3" },
	{ "serve-expired-ttl", S, T_U32, FLD(serve_expired_ttl), .min = 0, .max = TTL_MAX,
	  .def = "86400", .doc = "seconds past expiry data may still be served; 0 = no limit" },
	{ "serve-expired-ttl-reset", S, T_BOOL, FLD(serve_expired_ttl_reset), .def = "no",
	  .doc = "a failed refresh starts serve-expired-ttl again" },
	{ "serve-expired-reply-ttl", S, T_U32, FLD(serve_expired_reply_ttl), .min = 0, .max = TTL_MAX,
	  .def = "30", .doc = "TTL of expired data served" },
	{ "serve-expired-client-timeout", S, T_U32, FLD(serve_expired_client_timeout), .min = 0,
	  .max = 3600000, .def = "1800",
	  .doc = "ms to wait for a fresh answer before the expired one; 0 = at once" },
	{ "prefetch", S, T_BOOL, FLD(prefetch), .def = "no",
	  .doc = "refresh an entry asked for in the last 10 % of its TTL, in the background" },
	{ "aggressive-nsec", S, T_BOOL, FLD(aggressive_nsec), .def = "yes", .flags = RESTART,
	  .doc = "answer NXDOMAIN and NODATA from validated NSEC records in the cache (RFC 8198)" },
	{ "edns-buffer-size", S, T_U16, FLD(edns_buffer_size), .min = 512, .max = 4096, .def = "1232",
	  .doc = "EDNS UDP size advertised upstream and the most sent to clients" },
	{ "so-rcvbuf", S, T_SIZE32, FLD(so_rcvbuf), .min = 0, .max = 1u << 30, .def = "4m", .flags = RESTART,
	  .doc = "receive buffer of each client UDP socket; 0 = the system's" },
	{ "so-sndbuf", S, T_SIZE32, FLD(so_sndbuf), .min = 0, .max = 1u << 30, .def = "4m", .flags = RESTART,
	  .doc = "send buffer of each client UDP socket; 0 = the system's" },
	/* ---- the socket pool and the forgery defenses ---- */
	{ "socket-pool-size", S, T_U32, FLD(socket_pool_size), .min = 0, .max = 65535, .def = "2500",
	  .flags = RESTART, .doc = "upstream UDP sockets per address family; 0 = one" },
	{ "socket-pool-range", S, T_FN, FLD(socket_pool_range), .fn = k_pool_range,
	  .def = "49152-65535", .flags = RESTART, .line = L_RANGE,
	  .doc = "ports the pool draws from" },
	{ "socket-pool-exclude", S, T_FN, LIST(pool_exclude, n_pool_exclude),
	  .fn = k_pool_exclude, .flags = RESTART, .line = L_EXCLUDE,
	  .doc = "port or port range the pool never uses; repeatable" },
	{ "pool-rotate-uses", S, T_U32, FLD(pool_rotate_uses), .min = 0, .max = 100000000, .def = "64",
	  .flags = RESTART, .doc = "rebind a pool socket after this many queries; 0 = never" },
	{ "pool-rotate-seconds", S, T_U32, FLD(pool_rotate_seconds), .min = 0, .max = 86400, .def = "60",
	  .flags = RESTART, .doc = "rebind a pool socket after about this many seconds; 0 = never" },
	{ "tcp-after-mismatch", S, T_BOOL, FLD(tcp_after_mismatch), .def = "yes",
	  .doc = "a wrong-ID or fragmented reply from the server moves the query to TCP" },
	{ "unwanted-reply-threshold", S, T_U32, FLD(unwanted_reply_threshold), .min = 0, .max = 4000000000u,
	  .def = "10000", .flags = RESTART,
	  .doc = "plausibly forged replies per minute that start defensive mode; 0 = off" },
	{ "defensive-mode-time", S, T_U32, FLD(defensive_mode_time), .min = 1, .max = 86400, .def = "300",
	  .flags = RESTART, .doc = "seconds defensive mode lasts" },
	{ "upstream-cookies", S, T_BOOL, FLD(upstream_cookies), .def = "yes",
	  .doc = "DNS cookies as a client (RFC 7873, RFC 9018)" },
	{ "refuse-fragmented-replies", S, T_BOOL, FLD(refuse_fragmented_replies), .def = "yes",
	  .flags = RESTART, .doc = "drop upstream replies reassembled from IP fragments" },
	{ "merge-identical-queries", S, T_BOOL, FLD(merge_identical_queries), .def = "yes",
	  .doc = "one upstream query per (server, question) in flight" },
	{ "caps-exempt", S, T_FN, LIST(caps_exempt, n_caps_exempt), .fn = k_caps_exempt,
	  .doc = "zone whose servers get no 0x20; repeatable" },
	/* ---- DNSSEC trust anchors (core/anchor.h) ---- */
	{ "trust-anchor-file", S, T_FN, LIST(trust_anchor_file, n_trust_anchor_file),
	  .fn = k_trust_anchor_file, .def_doc = "Debian's dns-root-data, else built in",
	  .doc = "file of DS/DNSKEY trust anchors in zone-file form; repeatable" },
	{ "trust-anchor", S, T_FN, LIST(trust_anchor, n_trust_anchor), .fn = k_trust_anchor,
	  .doc = "one DS or DNSKEY trust anchor record, quoted; repeatable" },
	{ "auto-trust-anchor-file", S, T_FN, LIST(auto_trust_anchor_file, n_auto_trust_anchor_file),
	  .fn = k_auto_trust_anchor_file,
	  .doc = "trust anchor file kept up to date by RFC 5011 (Unbound's format); repeatable" },
	{ "trusted-keys-file", S, T_FN, LIST(trusted_keys_file, n_trusted_keys_file),
	  .fn = k_trusted_keys_file, .doc = "BIND trusted-keys / trust-anchors file; repeatable" },
	{ "domain-insecure", S, T_FN, LIST(domain_insecure, n_domain_insecure),
	  .fn = k_domain_insecure, .doc = "negative trust anchor: not validated; repeatable" },
	{ "add-holddown", S, T_U32, FLD(add_holddown), .min = 0, .max = UINT32_MAX, .def = "2592000",
	  .doc = "RFC 5011: seconds a new key is seen before it is trusted" },
	{ "del-holddown", S, T_U32, FLD(del_holddown), .min = 0, .max = UINT32_MAX, .def = "2592000",
	  .doc = "RFC 5011: seconds a revoked key stays before it is removed" },
	{ "keep-missing", S, T_U32, FLD(keep_missing), .min = 0, .max = UINT32_MAX, .def = "31622400",
	  .doc = "RFC 5011: seconds a missing key stays trusted; 0 = for ever" },
	{ "permit-small-holddown", S, T_BOOL, FLD(permit_small_holddown), .def = "no",
	  .doc = "for tests: RFC 5011 probes more often than hourly" },
	/* ---- threads and limits ---- */
	{ "num-threads", S, T_U32, FLD(num_threads), .min = 1, .max = 64, .def = "1", .flags = RESTART,
	  .doc = "workers, each with its own listeners" },
	{ "tcp-idle-timeout", S, T_U32, FLD(tcp_idle_timeout), .min = 1, .max = 3600000, .def = "30000",
	  .flags = RESTART, .doc = "ms an idle client TCP connection stays open" },
	{ "num-queries-per-thread", S, T_U32, FLD(num_queries_per_thread), .min = 1, .max = 1000000,
	  .def = "1024", .doc = "requests being resolved at once, per thread" },
	{ "jostle-timeout", S, T_U32, FLD(jostle_timeout), .min = 0, .max = 3600000, .def = "200",
	  .doc = "ms a request runs before a new one may take its place when the list is full" },
	{ "incoming-num-tcp", S, T_U32, FLD(incoming_num_tcp), .min = 1, .max = 65536, .def = "512",
	  .flags = RESTART, .doc = "client TCP connections per thread" },
	{ "tcp-connections-per-address", S, T_U32, FLD(tcp_per_address), .min = 1, .max = 65536, .def = "32",
	  .flags = RESTART, .doc = "client TCP connections per thread from one address" },
	{ "tcp-message-timeout", S, T_U32, FLD(tcp_message_timeout), .min = 1, .max = 3600000, .def = "5000",
	  .flags = RESTART, .doc = "ms for a whole TCP message once its first byte came" },
	{ "tcp-queue-size", S, T_SIZE32, FLD(tcp_queue_size), .min = 512, .max = 1u << 30, .def = "64k",
	  .flags = RESTART, .doc = "answer bytes waiting on one TCP connection" },
	{ "stream-wait-size", S, T_SIZE, FLD(stream_wait_size), .min = 512, .max = 64ull << 30, .def = "4m",
	  .flags = RESTART, .doc = "answer bytes waiting over all TCP connections" },
	/* ---- logging, identity, process ---- */
	{ "verbosity", S, T_U32, FLD(verbosity), .min = 0, .max = 3, .def = "1",
	  .doc = "0 errors, 1 warnings and notices, 2 info, 3 debug" },
	{ "hide-identity", S, T_BOOL, FLD(hide_identity), .def = "no",
	  .doc = "REFUSED for id.server and hostname.bind" },
	{ "hide-version", S, T_BOOL, FLD(hide_version), .def = "no",
	  .doc = "REFUSED for version.bind and version.server" },
	{ "identity", S, T_TEXT, FLD(identity), .max = 255, .flags = K_EMPTY,
	  .def_doc = "the host name", .doc = "the text id.server gets" },
	{ "version", S, T_TEXT, FLD(version), .max = 255, .flags = K_EMPTY,
	  .def_doc = "portcullis VERSION", .doc = "the text version.bind gets" },
	/* ---- local zones (daemon/localconf.h); the lines are kept as written
	 * and checked together once the file is read. A reload that changes
	 * them makes the table again (daemon/server_local.c). ---- */
	{ "local-zone", S, T_FN, .fn = k_local_zone,
	  .def_doc = "Unbound's default zones",
	  .doc = "NAME TYPE: a zone answered here, as its type says; repeatable" },
	{ "local-data", S, T_FN, .fn = k_local_data,
	  .doc = "one record in zone-file syntax, answered here; repeatable" },
	{ "local-data-ptr", S, T_FN, .fn = k_local_data_ptr,
	  .doc = "\"ADDRESS NAME\": a PTR record at the address's reverse name; repeatable" },
	{ "control-socket", S | CL_REMOTE, T_FN, FLD(control_socket), .fn = k_control_socket,
	  .def = CONFIG_CONTROL_SOCKET, .flags = RESTART | K_EMPTY,
	  .doc = "UNIX socket for portcullis-ctl; \"\" = none" },
	{ "control-group", S | CL_REMOTE, T_FN, FLD(control_group), .fn = k_control_group,
	  .flags = RESTART | K_EMPTY, .doc = "group that may use the control socket (mode 0660)" },
	{ "username", S, T_FN, FLD(username), .fn = k_username, .def = "portcullis",
	  .flags = RESTART | K_EMPTY, .doc = "become this user after start-up; \"\" = stay" },
	{ "chroot", S, T_OPTPATH, FLD(chroot_dir), .max = CONFIG_PATH_MAX - 1,
	  .flags = RESTART | K_EMPTY, .doc = "directory to chroot into after start-up" },
	{ "pidfile", S, T_OPTPATH, FLD(pidfile), .max = CONFIG_PATH_MAX - 1,
	  .flags = RESTART | K_EMPTY, .doc = "file that receives the process ID" },
	{ "logfile", S, T_OPTPATH, FLD(logfile), .max = CONFIG_PATH_MAX - 1,
	  .flags = RESTART | K_EMPTY, .def_doc = "stderr", .doc = "log to this file" },
	{ "use-syslog", S, T_BOOL, FLD(use_syslog), .def = "no", .flags = RESTART,
	  .doc = "log through syslog (facility daemon)" },
	{ "log-queries", S, T_BOOL, FLD(log_queries), .def = "no", .flags = RESTART,
	  .doc = "one log line per client query" },
	{ "log-replies", S, T_BOOL, FLD(log_replies), .def = "no", .flags = RESTART,
	  .doc = "one log line per answer (rcode, time, size, cached)" },
	{ "metrics-interface", S, T_FN, FLD(metrics_interface), .fn = k_metrics_interface,
	  .flags = RESTART, .def_doc = "off (none)",
	  .doc = "ADDR@PORT of the Prometheus metrics endpoint (HTTP GET /metrics)" },
	/* ---- zones (each clause is one zone) ---- */
	{ "name", CL_FORWARD | CL_STUB, T_FN, .fn = k_zone_name, .doc = "the zone" },
	{ "forward-addr", CL_FORWARD, T_FN, .fn = k_zone_addr,
	  .doc = "server to forward to, address[@port]; repeatable" },
	{ "stub-addr", CL_STUB, T_FN, .fn = k_zone_addr,
	  .doc = "authoritative server of the zone, address[@port]; repeatable" },
	/* ---- dnstap: ---- */
	{ "dnstap-enable", CL_DNSTAP, T_BOOL, FLD(dnstap_enable), .def = "no", .flags = RESTART,
	  .line = L_DNSTAP, .doc = "send dnstap messages to dnstap-socket-path" },
	{ "dnstap-socket-path", CL_DNSTAP, T_FN, FLD(dnstap_socket_path), .fn = k_dnstap_socket,
	  .flags = RESTART, .doc = "UNIX socket of the dnstap collector (Frame Streams)" },
	{ "dnstap-send-identity", CL_DNSTAP, T_BOOL, FLD(dnstap_send_identity), .def = "no",
	  .flags = RESTART, .doc = "put dnstap-identity in each message" },
	{ "dnstap-send-version", CL_DNSTAP, T_BOOL, FLD(dnstap_send_version), .def = "no",
	  .flags = RESTART, .doc = "put dnstap-version in each message" },
	{ "dnstap-identity", CL_DNSTAP, T_TEXT, FLD(dnstap_identity), .max = 255, .flags = RESTART | K_EMPTY,
	  .def_doc = "the host name", .doc = "the identity sent" },
	{ "dnstap-version", CL_DNSTAP, T_TEXT, FLD(dnstap_version), .max = 255, .flags = RESTART | K_EMPTY,
	  .def_doc = "portcullis VERSION", .doc = "the version sent" },
	{ "dnstap-log-client-query-messages", CL_DNSTAP, T_BOOL, FLD(dnstap_client_query), .def = "no",
	  .flags = RESTART, .doc = "client queries" },
	{ "dnstap-log-client-response-messages", CL_DNSTAP, T_BOOL, FLD(dnstap_client_response),
	  .def = "no", .flags = RESTART, .doc = "answers to clients" },
	{ "dnstap-log-resolver-query-messages", CL_DNSTAP, T_BOOL, FLD(dnstap_resolver_query),
	  .def = "no", .flags = RESTART, .doc = "upstream queries" },
	{ "dnstap-log-resolver-response-messages", CL_DNSTAP, T_BOOL, FLD(dnstap_resolver_response),
	  .def = "no", .flags = RESTART, .doc = "upstream replies" },
	/* ---- remote-control: as unbound.conf writes the control socket ---- */
	{ "control-enable", CL_REMOTE, T_FN, .fn = k_control_enable,
	  .doc = "no = no control socket" },
	{ "control-interface", CL_REMOTE, T_FN, .fn = k_control_interface,
	  .doc = "an absolute path is the control socket; addresses are not used" },
};

const size_t config_n_keys = sizeof(config_keys) / sizeof(config_keys[0]);

const struct config_key *config_key_find(const char *name)
{
	for (size_t i = 0; i < config_n_keys; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

const char *config_key_name(size_t i)
{
	return i < config_n_keys ? config_keys[i].name : NULL;
}

const char *config_key_default(size_t i)
{
	if (i >= config_n_keys)
		return NULL;
	return config_keys[i].def_doc ? config_keys[i].def_doc : config_keys[i].def;
}

const char *config_key_doc(size_t i)
{
	return i < config_n_keys ? config_keys[i].doc : NULL;
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	struct parser p = { .cfg = cfg, .file = "(defaults)" };
	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->def == NULL)
			continue;
		p.key = k->name;
		/* A default the parser refuses is a bug in the table, which
		 * tests/unit/test_config.c catches (every default applied). */
		if (k->type == T_FN)
			(void)k->fn(&p, k->def);
		else
			(void)cfg_apply_typed(&p, k, k->def);
	}
	/* The default user applies only where it exists (privs.c). */
	cfg->username_set = false;
	config_parse_addr("127.0.0.1", 53, &cfg->interfaces[0]);
	config_parse_addr("::1", 53, &cfg->interfaces[1]);
	cfg->n_interfaces = 2;
	/* n_acl stays 0: the daemon then allows loopback (127.0.0.0/8, ::1) only. */
}

size_t config_restart_keys(const struct config *a, const struct config *b, char *out,
			   size_t outlen)
{
	size_t n = 0, used = 0;
	if (outlen)
		out[0] = '\0';
	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (!(k->flags & K_RESTART) || k->size == 0)
			continue;
		const char *x = (const char *)a, *y = (const char *)b;
		bool same;
		if (k->elem) {
			/* A list: the count, then as many entries. */
			size_t cnt;
			memcpy(&cnt, x + k->off2, sizeof(cnt));
			same = memcmp(x + k->off2, y + k->off2, k->size2) == 0 &&
			       memcmp(x + k->off, y + k->off, cnt * k->elem) == 0;
		} else {
			same = memcmp(x + k->off, y + k->off, k->size) == 0;
		}
		if (same)
			continue;
		n++;
		if (used < outlen) {
			int w = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", k->name);
			if (w > 0)
				used += (size_t)w;
		}
	}
	return n;
}

void config_keep_restart_keys(struct config *next, const struct config *cur)
{
	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (!(k->flags & K_RESTART) || k->size == 0)
			continue;
		memcpy((char *)next + k->off, (const char *)cur + k->off, k->size);
		if (k->size2)
			memcpy((char *)next + k->off2, (const char *)cur + k->off2, k->size2);
	}
	next->username_set = cur->username_set;
}
