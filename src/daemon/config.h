/* config: the daemon's configuration, read from an unbound.conf-shaped file.
 *
 *   server:
 *       interface: 127.0.0.1@5353     # comment
 *       socket-pool-exclude: 50000-50100
 *   forward-zone:
 *       name: "corp."
 *       forward-addr: 127.9.0.1
 *
 * Clauses are "server:", "forward-zone:", "stub-zone:", "remote-control:"
 * and "dnstap:". Values may be double-quoted. "include:" and
 * "include-toplevel:" read other files (globs) as unbound does. Every error
 * names the file, the line and the key. unbound.conf keys this build does
 * not implement are accepted with a warning or refused with the reason
 * (config_compat.c).
 * config_defaults() gives the built-in configuration used without -c. */
#ifndef PC_DAEMON_CONFIG_H
#define PC_DAEMON_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONFIG_MAX_ADDRS 16     /* per list: interfaces, forward-addr, ... */
#define CONFIG_MAX_ACL 64
#define CONFIG_MAX_EXCLUDE 64
#define CONFIG_MAX_ZONES 32
#define CONFIG_MAX_ANCHORS 16 /* trust-anchor-file, auto-trust-anchor-file, trust-anchor: each */
#define CONFIG_ANCHOR_TEXT 1024 /* one trust-anchor record as text */
#define CONFIG_PATH_MAX 256
#define CONFIG_MAX_ANCHORS 16   /* per list: trust-anchor, trust-anchor-file, ... */
#define CONFIG_ANCHOR_TEXT 1024 /* one trust-anchor: record (an RSA-4096 DNSKEY fits) */
#define CONFIG_CONTROL_DIR "/run/portcullis"
#define CONFIG_CONTROL_SOCKET CONFIG_CONTROL_DIR "/portcullis.ctl"

/* An address with port, as a ready-to-use sockaddr (port in network order). */
struct config_addr {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct config_acl {
	struct sockaddr_storage net; /* family + network address, port unused */
	uint8_t prefix;              /* prefix length in bits */
	bool allow;                  /* allow | refuse (deny is a synonym of refuse) */
};

struct config_range {
	uint16_t low, high; /* inclusive; low <= high */
};

/* local-zone, local-data, local-data-ptr: the value as written (checked by
 * the reader, turned into a table by daemon/localconf.h), in file order. */
enum config_local_kind { CONFIG_LOCAL_ZONE = 1, CONFIG_LOCAL_DATA, CONFIG_LOCAL_DATA_PTR };
struct config_local {
	enum config_local_kind kind;
	size_t line;   /* in the file that gave it */
	char *text;    /* owned */
};

/* forward-zone or stub-zone */
struct config_zone {
	uint8_t name[256];  /* wire format, lowercased; "." is the root */
	struct config_addr addrs[CONFIG_MAX_ADDRS];
	size_t n_addrs;
};

struct config {
	struct config_addr interfaces[CONFIG_MAX_ADDRS]; /* listen; default port 53 */
	size_t n_interfaces;
	struct config_addr outgoing[CONFIG_MAX_ADDRS];   /* outgoing-interface, port 0 */
	size_t n_outgoing;
	struct config_acl acl[CONFIG_MAX_ACL];
	size_t n_acl;                                    /* empty: loopback allowed only */
	char root_hints[CONFIG_PATH_MAX];                /* "" = built-in IANA hints */
	char control_socket[CONFIG_PATH_MAX];            /* default CONFIG_CONTROL_SOCKET; "" = none */
	char control_group[33];                          /* group that may use the control socket
							  * (mode 0660); "" = the run user only (0600) */
	bool do_ip4, do_ip6;                             /* default yes, yes */
	bool do_udp, do_tcp;                             /* default yes, yes */
	bool do_not_query_localhost;                     /* default yes */
	bool qname_minimisation;                         /* default yes */
	bool harden_glue;                                /* default yes */
	bool use_caps_for_id;                            /* 0x20; default yes */
	uint64_t cache_size;                             /* bytes; default 64 MiB; accepts k/m/g */
	uint32_t cache_min_ttl;                          /* default 0 */
	uint32_t cache_max_ttl;                          /* default 86400 */
	uint32_t cache_max_negative_ttl;                 /* default 3600 */
	bool serve_expired;                              /* RFC 8767 serve-stale; default no */
	uint32_t serve_expired_ttl;                      /* s past expiry data may be served;
							  * 0 = no limit; default 86400 */
	bool serve_expired_ttl_reset;                    /* a failed refresh restarts that time;
							  * default no */
	uint32_t serve_expired_reply_ttl;                /* TTL of expired data served; default 30 */
	uint32_t serve_expired_client_timeout;           /* ms to wait for a fresh answer before
							  * the expired one; 0 = at once, refresh
							  * in the background; default 1800 */
	bool prefetch;                                   /* refresh entries in the last 10 % of
							  * their TTL when asked for; default no */
	bool aggressive_nsec;                            /* RFC 8198; default yes */
	uint16_t edns_buffer_size;                       /* default 1232; 512..4096 */
	uint32_t packet_cache_size;                      /* finished answers kept per UDP reader
							  * thread (src/cache/pcache.h); 0 = none;
							  * default 8192 */
	uint32_t so_rcvbuf, so_sndbuf;                   /* client UDP socket buffers, bytes;
							  * default 4 MiB; 0 = the system's */
	uint32_t socket_pool_size;                       /* default 2500; 0 = one socket */
	struct config_range socket_pool_range;           /* default 49152-65535 */
	struct config_range pool_exclude[CONFIG_MAX_EXCLUDE];
	size_t n_pool_exclude;
	uint32_t pool_rotate_uses;                       /* rebind a pool socket after N queries; 0 = never; default 64 */
	uint32_t pool_rotate_seconds;                    /* ... or after N seconds (jittered); 0 = never; default 60 */
	bool tcp_after_mismatch;                         /* wrong-ID reply from the server -> retry over TCP; default yes */
	uint32_t unwanted_reply_threshold;               /* unwanted replies per minute before defensive mode; 0 = off; default 10000 */
	uint32_t defensive_mode_time;                    /* seconds defensive mode lasts; default 300 */
	bool upstream_cookies;                           /* DNS cookies as a client (RFC 7873/9018); default yes */
	bool refuse_fragmented_replies;                  /* drop replies that arrived in IP fragments; default yes */
	bool merge_identical_queries;                    /* one upstream query per (server, question); default yes */
	uint8_t caps_exempt[CONFIG_MAX_ZONES][256];      /* zones whose servers get no 0x20 (wire, lowercase) */
	size_t n_caps_exempt;
	/* DNSSEC validation (core/val.h) */
	/* module-config: "validator iterator" (default) or "iterator" (no
	 * validation), either with "dns64" in front (core/dns64.h) */
	struct {
		bool validate;
		bool dns64;
	} modules;
	uint8_t dns64_prefix[16];                        /* dns64-prefix; default 64:ff9b::/96 */
	unsigned dns64_plen;
	bool dns64_synthall;                             /* synthesise over real AAAA records; default no */
	uint8_t dns64_ignore_aaaa[CONFIG_MAX_ZONES][256]; /* names whose AAAA records count as absent */
	size_t n_dns64_ignore_aaaa;
	bool val_permissive_mode;                        /* bogus answered, without AD; default no */
	uint32_t val_bogus_ttl;                          /* seconds bogus data is kept; default 60 */
	uint32_t val_log_level;                          /* 0 quiet, 1 a line per bogus answer; default 0 */
	bool harden_dnssec_stripped;                     /* missing signatures under an anchor are
							  * bogus (else insecure); default yes */
	bool val_clean_additional;                       /* default yes (see docs/config.md) */
	/* trust anchors (core/anchor.h; loaded by daemon/options.c) */
	char trust_anchor_file[CONFIG_MAX_ANCHORS][CONFIG_PATH_MAX];
	size_t n_trust_anchor_file;
	char auto_trust_anchor_file[CONFIG_MAX_ANCHORS][CONFIG_PATH_MAX];
	size_t n_auto_trust_anchor_file;
	char trusted_keys_file[CONFIG_MAX_ANCHORS][CONFIG_PATH_MAX];
	size_t n_trusted_keys_file;
	char trust_anchor[CONFIG_MAX_ANCHORS][CONFIG_ANCHOR_TEXT]; /* one record each */
	size_t n_trust_anchor;
	uint8_t domain_insecure[CONFIG_MAX_ZONES][256];  /* negative trust anchors (wire, lowercase) */
	size_t n_domain_insecure;
	uint32_t add_holddown, del_holddown, keep_missing; /* RFC 5011 timers, seconds */
	bool permit_small_holddown;                      /* test setting: probe intervals under 1 h */
	uint32_t num_threads;                            /* default 1 */
	uint32_t tcp_idle_timeout;                       /* ms; default 30000 */
	uint32_t num_queries_per_thread;                 /* requests being resolved, per thread
							  * (the bound is this times num-threads);
							  * default 1024 */
	uint32_t jostle_timeout;                         /* ms a request runs before a new one may
							  * replace it when the list is full; default 200 */
	uint32_t incoming_num_tcp;                       /* TCP client connections per thread; default 512 */
	uint32_t tcp_per_address;                        /* ... of them from one client address; default 32 */
	uint32_t tcp_message_timeout;                    /* ms to receive a whole message once it
							  * began, or to drain a full write queue;
							  * default 5000 */
	uint32_t tcp_queue_size;                         /* bytes of answers queued per TCP connection
							  * before it is no longer read; default 64 KiB */
	uint64_t stream_wait_size;                       /* bytes of answers queued over all TCP
							  * connections; default 4 MiB */
	uint32_t upstream_timeout;                       /* ms; first-try timeout, default 400 */
	uint32_t verbosity;                              /* 0..3, default 1 */
	char username[33];                               /* drop to this user after start-up;
							  * "" = stay; default "portcullis" */
	bool username_set;                               /* given in the file: the user must exist
							  * (the default applies only where it does) */
	char chroot_dir[CONFIG_PATH_MAX];                /* chroot: after start-up; "" = none */
	char pidfile[CONFIG_PATH_MAX];                   /* written at start-up; "" = none (default) */
	char logfile[CONFIG_PATH_MAX];                   /* log here instead of stderr; "" = stderr */
	bool use_syslog;                                 /* log to syslog (daemon); default no */
	bool hide_identity, hide_version;                /* refuse id.server / version.bind; default no */
	char identity[256];                              /* id.server text; "" = the host name */
	char version[256];                               /* version.bind text; "" = PC_VERSION_TEXT */
	struct config_addr metrics_interface;            /* metrics-interface: the Prometheus endpoint */
	bool metrics_on;                                 /* ... is set; default off */
	bool log_queries, log_replies;                   /* one line per query / answer; default no */
	/* dnstap: clause (Unbound's keys; daemon/dnstap.h) */
	bool dnstap_enable;                              /* default no */
	char dnstap_socket_path[CONFIG_PATH_MAX];        /* the collector's UNIX socket */
	bool dnstap_send_identity, dnstap_send_version;  /* default no, no */
	char dnstap_identity[256];                       /* "" = the host name */
	char dnstap_version[256];                        /* "" = PC_VERSION_TEXT */
	bool dnstap_client_query, dnstap_client_response;     /* log-client-*-messages */
	bool dnstap_resolver_query, dnstap_resolver_response; /* log-resolver-*-messages */
	/* local-zone, local-data, local-data-ptr lines: an array this config
	 * owns (config_free); a byte copy of a config must not keep it. */
	struct config_local *local;
	size_t n_local;
	struct config_zone forward[CONFIG_MAX_ZONES];
	size_t n_forward;
	struct config_zone stub[CONFIG_MAX_ZONES];
	size_t n_stub;
};

/* Fill cfg with the built-in defaults (listen on 127.0.0.1 and ::1 port 53):
 * every key's default comes from the key table (config_keys.c). */
void config_defaults(struct config *cfg);

/* Release what cfg owns beyond itself (the local-zone lines); cfg then has
 * none. */
void config_free(struct config *cfg);

/* Everything a read found: one line per message, each ending in '\n',
 * errors as "FILE:LINE: KEY: what" and warnings (keys this build accepts
 * but ignores, a forwarder do-not-query-localhost keeps from being asked)
 * as "FILE:LINE: KEY: warning: what". Owned by the caller: release with
 * config_diag_free(). */
struct config_diag {
	char *text;       /* NUL-terminated; NULL when empty */
	size_t len, cap;
	unsigned errors, warnings;
};
void config_diag_free(struct config_diag *d);

/* As config_load, but reading on past an error so that diag lists every
 * error and warning of the file and of the files it includes (at most
 * 200 errors); err still receives the first error. diag may be NULL. */
int config_load_diag(struct config *cfg, const char *path, struct config_diag *diag,
		     char *err, size_t errlen);

/* Read FILE over the defaults already in cfg. A key given in the file
 * replaces the default; repeatable keys (interface, access-control,
 * outgoing-interface, socket-pool-exclude, forward-addr, stub-addr) collect,
 * and the first "interface:" line in a file drops the default interfaces.
 * On error returns PC_EINVAL (or PC_EIO when the file cannot be read) and
 * writes one line "FILE:LINE: KEY: what is wrong" into err (NUL-terminated);
 * cfg is then left exactly as it was. Files over 1 MiB and lines over
 * 4096 bytes are refused. docs/config.md lists every key. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/* Same, from a buffer in memory; name is used in messages. */
int config_parse(struct config *cfg, const char *name, const char *text, size_t len,
		 char *err, size_t errlen);

/* The name of the i-th key the parser knows (every clause), or NULL past the
 * last: for checks that the documentation names every key. */
const char *config_key_name(size_t i);

/* The name of the i-th unbound.conf key (or clause, after the keys) that
 * this build ignores or refuses (config_compat.c), or NULL past the last. */
const char *config_compat_name(size_t i);

/* What the key table says of the i-th key: its default as the docs show it
 * (NULL when it has none to show) and its one-line doc. */
const char *config_key_default(size_t i);
const char *config_key_doc(size_t i);

/* Keys whose value differs between a and b and that a reload cannot apply
 * (they need a restart), as "key, key, ..." in out (empty: none). Returns
 * how many. */
size_t config_restart_keys(const struct config *a, const struct config *b, char *out,
			   size_t outlen);

/* Parse "addr" or "addr@port" (IPv4 or IPv6) into out, with default_port. */
int config_parse_addr(const char *text, uint16_t default_port, struct config_addr *out);

/* Copy into next, from cur, every key a reload cannot apply (those
 * config_restart_keys names), so that next keeps what is in force. */
void config_keep_restart_keys(struct config *next, const struct config *cur);

#endif
