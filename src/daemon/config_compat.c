/* config_compat: the unbound.conf keys and clauses portcullis does not
 * implement, and what it does with each, so that an unbound.conf can be
 * used as it is (the drop-in promise):
 *
 *   ignore  accepted with a warning naming file:line: the key tunes
 *           something portcullis does its own way, or a feature whose
 *           absence changes neither what is answered nor who may ask;
 *   refuse  an error: without the feature the resolver would answer
 *           differently in a way that matters for security or routing
 *           (DNSSEC validation, TLS to forwarders, rebinding protection,
 *           fallback from forwarders to recursion...), so running on
 *           would be a silent downgrade;
 *   alias   the same as a portcullis key under another name.
 *
 * ok_value: a value that asks for exactly what portcullis does anyway
 * (forward-first: no) is accepted without a word. A key that becomes
 * implemented leaves this table for the key table (config_keys.c). */
#include <string.h>

#include "daemon/config_int.h"

#define S CL_SERVER
#define F CL_FORWARD
#define ST CL_STUB
#define R CL_REMOTE
#define FS (CL_FORWARD | CL_STUB)

#define NO_TLS "DNS over TLS is not available yet; queries would go out in clear text. " \
	"Remove the key (and any #name on the addresses) to run without it"

const struct config_compat config_compat_keys[] = {
	/* ---- security: refused while the feature is missing ---- */
	{ "root-key-sentinel", S, C_IGNORE, NULL,
	  "RFC 8509 root-key-sentinel-is-ta / -not-ta names are resolved like any other name" },
	{ "trust-anchor-signaling", S, C_IGNORE, NULL,
	  "no RFC 8145 key tag queries are sent to the root" },
	{ "tls-upstream", S, C_REFUSE, "no", NO_TLS },
	{ "ssl-upstream", S, C_REFUSE, "no", NO_TLS },
	{ "forward-tls-upstream", F, C_REFUSE, "no", NO_TLS },
	{ "forward-ssl-upstream", F, C_REFUSE, "no", NO_TLS },
	{ "stub-tls-upstream", ST, C_REFUSE, "no", NO_TLS },
	{ "stub-ssl-upstream", ST, C_REFUSE, "no", NO_TLS },
	{ "private-address", S, C_REFUSE, NULL,
	  "DNS rebinding protection is not available; public names answering private "
	  "addresses would reach clients" },
	{ "private-domain", S, C_REFUSE, NULL,
	  "DNS rebinding protection (private-address, private-domain) is not available" },
	{ "do-not-query-address", S, C_REFUSE, NULL,
	  "the resolver cannot be kept from querying particular addresses yet" },
	{ "forward-first", F, C_REFUSE, "no",
	  "falling back to recursion when the forwarders fail is not available: queries "
	  "under this zone would only ever go to the forwarders" },
	{ "stub-first", ST, C_REFUSE, "no",
	  "falling back to recursion when the stub servers fail is not available" },
	{ "forward-host", F, C_REFUSE, NULL,
	  "forwarders given by name are not available; give forward-addr with the address" },
	{ "stub-host", ST, C_REFUSE, NULL,
	  "stub servers given by name are not available; give stub-addr with the address" },
	{ "forward-no-cache", F, C_REFUSE, "no", "every answer is cached; not caching a zone is not available" },
	{ "stub-no-cache", ST, C_REFUSE, "no", "every answer is cached; not caching a zone is not available" },
	{ "tcp-upstream", S, C_REFUSE, "no", "queries over TCP only are not available" },
	{ "forward-tcp-upstream", F, C_REFUSE, "no", "queries over TCP only are not available" },
	{ "stub-tcp-upstream", ST, C_REFUSE, "no", "queries over TCP only are not available" },
	{ "access-control-view", S, C_REFUSE, NULL, "views are not available" },
	{ "response-ip", S, C_REFUSE, NULL, "response-ip actions are not available" },
	{ "python-script", S, C_REFUSE, NULL, "the python module is not available" },
	{ "dynlib-file", S, C_REFUSE, NULL, "the dynlib module is not available" },
	{ "port", S, C_REFUSE, "53", "give the port with each interface: (interface: ADDR@PORT)" },
	{ "interface-action", S, C_REFUSE, NULL, "per-interface access control is not available" },
	/* ---- features other parts of the project are adding ---- */
	{ "prefetch-key", S, C_IGNORE, "no", "DNSKEY sets are fetched when a validation needs them, not ahead" },
	{ "unblock-lan-zones", S, C_IGNORE, NULL,
	  "the private reverse zones stay local: turn each off with local-zone: NAME nodefault" },
	{ "insecure-lan-zones", S, C_IGNORE, NULL, "not available; list the LAN's zones with domain-insecure" },
	/* ---- done differently; safe to ignore ---- */
	{ "statistics-interval", S, C_IGNORE, NULL, "statistics are read with portcullis-ctl stats" },
	{ "statistics-cumulative", S, C_IGNORE, NULL, "statistics are read with portcullis-ctl stats" },
	{ "extended-statistics", S, C_IGNORE, NULL, "portcullis-ctl stats always shows them all" },
	{ "statistics-inhibit-zero", S, C_IGNORE, NULL, "portcullis-ctl stats shows every counter" },
	{ "shm-enable", S, C_IGNORE, "no", "statistics are read with portcullis-ctl stats" },
	{ "log-time-ascii", S, C_IGNORE, NULL, "log lines always carry an ISO 8601 time" },
	{ "log-time-iso", S, C_IGNORE, NULL, "log lines always carry an ISO 8601 time" },
	{ "log-servfail", S, C_IGNORE, NULL, "logging detail is set by verbosity" },
	{ "log-local-actions", S, C_IGNORE, NULL, "logging detail is set by verbosity" },
	{ "log-tag-queryreply", S, C_IGNORE, NULL, "logging detail is set by verbosity" },
	{ "log-identity", S, C_IGNORE, NULL, "log lines are tagged portcullis" },
	{ "harden-algo-downgrade", S, C_IGNORE, NULL, "one valid signature by an algorithm of the DS set suffices (RFC 6840 5.11), as Unbound's default" },
	{ "harden-below-nxdomain", S, C_IGNORE, NULL, "not available; answers below an NXDOMAIN are resolved" },
	{ "harden-referral-path", S, C_IGNORE, NULL, "referrals are checked by bailiwick" },
	{ "harden-large-queries", S, C_IGNORE, NULL, "queries are parsed with bounds whatever their size" },
	{ "harden-short-bufsize", S, C_IGNORE, NULL, "EDNS sizes below 512 are read as 512" },
	{ "harden-unknown-additional", S, C_IGNORE, NULL, "only records of the zone are kept" },
	{ "key-cache-size", S, C_IGNORE, NULL, "keys live in the one cache; cache-size is its budget" },
	{ "key-cache-slabs", S, C_IGNORE, NULL, "keys live in the one cache; cache-size is its budget" },
	{ "msg-cache-size", S, C_IGNORE, NULL, "one cache; cache-size is its budget" },
	{ "rrset-cache-size", S, C_IGNORE, NULL, "one cache; cache-size is its budget" },
	{ "neg-cache-size", S, C_IGNORE, NULL, "one cache; cache-size is its budget" },
	{ "msg-cache-slabs", S, C_IGNORE, NULL, "the cache's locks are striped on their own" },
	{ "rrset-cache-slabs", S, C_IGNORE, NULL, "the cache's locks are striped on their own" },
	{ "infra-cache-slabs", S, C_IGNORE, NULL, "server state has its own table" },
	{ "infra-cache-numhosts", S, C_IGNORE, NULL, "server state has its own table" },
	{ "infra-host-ttl", S, C_IGNORE, NULL, "server state has its own lifetime" },
	{ "outgoing-range", S, C_IGNORE, NULL, "socket-pool-size sets the pool" },
	{ "outgoing-port-permit", S, C_IGNORE, NULL, "socket-pool-range sets the pool's ports" },
	{ "outgoing-port-avoid", S, C_IGNORE, NULL, "use socket-pool-exclude" },
	{ "outgoing-num-tcp", S, C_IGNORE, NULL, "upstream TCP is opened per need" },
	{ "so-reuseport", S, C_IGNORE, NULL, "the workers always share their ports (TCP with SO_REUSEPORT, UDP reading one socket in turns)" },
	{ "interface-automatic", S, C_IGNORE, NULL,
	  "a wildcard interface always answers from the address queried" },
	{ "ip-freebind", S, C_IGNORE, NULL, "interfaces must exist at start-up" },
	{ "ip-transparent", S, C_IGNORE, NULL, "interfaces must exist at start-up" },
	{ "do-daemonize", S, C_IGNORE, NULL, "portcullis stays in the foreground (systemd runs it)" },
	{ "use-systemd", S, C_IGNORE, NULL, "sd_notify is used whenever systemd started the daemon" },
	{ "directory", S, C_IGNORE, NULL, "paths are used as written" },
	{ "prefer-ip6", S, C_IGNORE, NULL, "servers are chosen by round-trip time" },
	{ "prefer-ip4", S, C_IGNORE, NULL, "servers are chosen by round-trip time" },
	{ "rrset-roundrobin", S, C_IGNORE, NULL, "records keep the order the server gave" },
	{ "minimal-responses", S, C_IGNORE, NULL, "answers carry the answer section only" },
	{ "qname-minimisation-strict", S, C_IGNORE, NULL, "minimisation falls back as RFC 9156 says" },
	{ "target-fetch-policy", S, C_IGNORE, NULL, "name-server addresses are fetched as needed" },
	{ "udp-upstream-without-downstream", S, C_IGNORE, NULL, "upstream UDP is always on with do-udp" },
	{ "deny-any", S, C_IGNORE, NULL, "not available; ANY is resolved" },
	{ "hide-trustanchor", S, C_IGNORE, NULL,
	  "trustanchor.unbound CH TXT is not answered either way" },
	{ "ratelimit", S, C_IGNORE, NULL, "not available; request bounds apply (num-queries-per-thread)" },
	{ "ip-ratelimit", S, C_IGNORE, NULL, "not available; request bounds apply (num-queries-per-thread)" },
	{ "ede", S, C_IGNORE, NULL, "extended DNS errors are always sent (EDE 3 on a stale answer); the key cannot turn them off" },
	{ "max-udp-size", S, C_IGNORE, NULL, "edns-buffer-size bounds UDP answers" },
	{ "msg-buffer-size", S, C_IGNORE, NULL, "buffers are sized for the largest message" },
	{ "caps-whitelist", S, C_ALIAS, NULL, "caps-exempt" },
	{ "caps-allowlist", S, C_ALIAS, NULL, "caps-exempt" },
	{ "ip-address", S, C_ALIAS, NULL, "interface" },
	{ "stub-prime", ST, C_IGNORE, NULL, "the stub servers are asked directly" },
	/* ---- remote-control: portcullis-ctl uses a UNIX socket without TLS ---- */
	{ "control-port", R, C_IGNORE, NULL, "the control channel is a UNIX socket" },
	{ "control-use-cert", R, C_IGNORE, NULL, "the control channel is a UNIX socket (mode 0600)" },
	{ "server-key-file", R, C_IGNORE, NULL, "the control channel is a UNIX socket (mode 0600)" },
	{ "server-cert-file", R, C_IGNORE, NULL, "the control channel is a UNIX socket (mode 0600)" },
	{ "control-key-file", R, C_IGNORE, NULL, "the control channel is a UNIX socket (mode 0600)" },
	{ "control-cert-file", R, C_IGNORE, NULL, "the control channel is a UNIX socket (mode 0600)" },
};

const size_t config_n_compat_keys = sizeof(config_compat_keys) / sizeof(config_compat_keys[0]);

/* Clauses: the keys inside an ignored clause are skipped with it. */
const struct config_compat config_compat_clauses[] = {
	{ "auth-zone", CL_NONE, C_REFUSE, NULL, "authoritative zones are not available" },
	{ "rpz", CL_NONE, C_REFUSE, NULL, "response policy zones are not available" },
	{ "view", CL_NONE, C_REFUSE, NULL, "views are not available" },
	{ "python", CL_NONE, C_REFUSE, NULL, "the python module is not available" },
	{ "dynlib", CL_NONE, C_REFUSE, NULL, "the dynlib module is not available" },
	{ "cachedb", CL_NONE, C_IGNORE, NULL, "the cache is in memory only" },
	{ "dnscrypt", CL_NONE, C_REFUSE, NULL, "DNSCrypt is not available" },
	{ "ipset", CL_NONE, C_IGNORE, NULL, "ipset updates are not available" },
};

const size_t config_n_compat_clauses =
	sizeof(config_compat_clauses) / sizeof(config_compat_clauses[0]);

const struct config_compat *config_compat_find(const struct config_compat *t, size_t n,
					       const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

const char *config_compat_name(size_t i)
{
	if (i < config_n_compat_keys)
		return config_compat_keys[i].name;
	i -= config_n_compat_keys;
	return i < config_n_compat_clauses ? config_compat_clauses[i].name : NULL;
}
