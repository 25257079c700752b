/* config_int: what the configuration reader's files share. Private to
 * src/daemon/config*.c (and the config fuzz target).
 *
 *   config_keys.c    THE key table: every key's name, clause, type, bounds,
 *                    default, whether it changes without a restart, and its
 *                    one-line doc; config_defaults() is made from it.
 *   config_compat.c  unbound.conf keys and clauses portcullis does not
 *                    implement: ignored with a warning, or refused, each
 *                    with its reason.
 *   config_values.c  value parsers (numbers, sizes, addresses, netblocks,
 *                    names) and the handlers of keys that need more than
 *                    a type (interface, access-control, zone names...).
 *   config.c         lines, quotes and comments, clauses, include: and
 *                    include-toplevel:, the checks across keys, and the
 *                    entry points of config.h. */
#ifndef PC_DAEMON_CONFIG_INT_H
#define PC_DAEMON_CONFIG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"

#define CONFIG_LINE_MAX 4096
#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_SHOW_MAX 48     /* characters of a bad value echoed in a message */
#define CONFIG_INCLUDE_DEPTH 16

enum clause { CL_NONE = 0, CL_SERVER = 1, CL_FORWARD = 2, CL_STUB = 4, CL_REMOTE = 8,
	      CL_DNSTAP = 16 };

/* Keys whose line takes part in a check across keys (0 = not in the file). */
enum key_line { L_NONE, L_MIN_TTL, L_MAX_TTL, L_IP4, L_IP6, L_UDP, L_TCP, L_RANGE, L_EXCLUDE,
		L_DNQL, L_DNSTAP, L_COUNT };

struct parser {
	struct config *cfg;
	const char *file;         /* file being read (changes inside include:) */
	size_t line;
	const char *key;          /* key of the line being parsed, for messages */
	char *err;                /* the first error */
	size_t errlen;
	struct config_diag *diag; /* every error and warning, or NULL */
	unsigned n_errors;
	enum clause clause;
	bool skip_clause;         /* inside a clause this build ignores or refuses */
	bool iface_seen;          /* first interface: drops the defaults */
	unsigned depth;           /* include nesting */
	size_t total_bytes;       /* over every file read, bounded */
	const char *from_file;    /* where the current file was included from */
	size_t from_line;
	/* the zone clause being read, validated when it ends */
	struct config_zone *zone;
	size_t zone_line;
	const char *zone_file;
	bool zone_named;
	size_t lines[L_COUNT];
	size_t local_cap;         /* room in cfg->local (this read's own array) */
	const char *line_files[L_COUNT];
};

enum key_type {
	T_BOOL,    /* yes | no */
	T_U32,     /* decimal in [min, max] into a uint32_t */
	T_U16,     /* decimal in [min, max] into a uint16_t */
	T_SIZE,    /* bytes with k/m/g, in [min, max], into a uint64_t */
	T_SIZE32,  /* the same into a uint32_t */
	T_PATH,    /* text of at most max bytes, not empty */
	T_OPTPATH, /* an absolute path of at most max bytes, or "" */
	T_TEXT,    /* text of at most max bytes; "" allowed */
	T_FN,      /* the row's own handler */
};

/* Flags of a key row. */
#define K_RESTART 1u  /* a reload cannot apply a change: it needs a restart */
#define K_EMPTY 2u    /* a quoted "" is a value */

struct config_key {
	const char *name;
	unsigned clauses;           /* mask of enum clause */
	enum key_type type;
	size_t off, size;           /* the field in struct config (and its size) */
	size_t elem;                /* a list: the size of one entry (off is the array) */
	size_t off2, size2;         /* a list: its count */
	uint64_t min, max;
	const char *def;            /* the default as written in the file; NULL: none or by fn */
	const char *def_doc;        /* the default as the docs show it, when def cannot */
	unsigned flags;
	enum key_line line;
	int (*fn)(struct parser *p, const char *v);
	const char *doc;            /* one line: what it does */
};

extern const struct config_key config_keys[];
extern const size_t config_n_keys;

/* An unbound.conf key or clause that this build does not implement. */
enum compat_kind {
	C_IGNORE,  /* accepted with a warning */
	C_REFUSE,  /* an error, with its reason */
	C_ALIAS,   /* read as the key named in reason */
};

struct config_compat {
	const char *name;
	unsigned clauses;     /* where unbound takes it (CL_NONE for a clause header) */
	enum compat_kind kind;
	const char *ok_value; /* this value matches what portcullis does: accepted quietly */
	const char *reason;
};

extern const struct config_compat config_compat_keys[];
extern const size_t config_n_compat_keys;
extern const struct config_compat config_compat_clauses[];
extern const size_t config_n_compat_clauses;

const struct config_key *config_key_find(const char *name);
const struct config_compat *config_compat_find(const struct config_compat *t, size_t n,
					       const char *name);

/* Messages: "FILE:LINE: KEY: what", recorded as an error or a warning. */
int cfg_fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cfg_fail_at(struct parser *p, const char *file, size_t line, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void cfg_warn(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cfg_warn_at(struct parser *p, const char *file, size_t line, const char *key,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A value quoted for a message (control bytes escaped, long values cut). */
#define CFG_SHOW_BUF (CONFIG_SHOW_MAX * 4 + 8)
const char *cfg_show(const char *v, char *out);
/* One line more in d (config_diag.c); lost only to memory pressure. */
void cfg_diag_add(struct config_diag *d, const char *line);
#define SHOWBUF char shown[CFG_SHOW_BUF]
#define SHOW(v) cfg_show((v), shown)

/* Applies one typed row (not T_FN) to p->cfg. */
int cfg_apply_typed(struct parser *p, const struct config_key *k, const char *v);

/* Value parsers and the handlers the table names (config_values.c). */
bool cfg_dec_u64(const char *s, const char **end, uint64_t max, uint64_t *out);
int cfg_parse_size(struct parser *p, const char *v, uint64_t *out);
bool cfg_addr_eq(const struct config_addr *a, const struct config_addr *b);
int k_interface(struct parser *p, const char *v);
int k_outgoing(struct parser *p, const char *v);
int k_access_control(struct parser *p, const char *v);
int k_username(struct parser *p, const char *v);
int k_pool_range(struct parser *p, const char *v);
int k_pool_exclude(struct parser *p, const char *v);
int k_caps_exempt(struct parser *p, const char *v);
int k_dns64_prefix(struct parser *p, const char *v);
int k_dns64_ignore_aaaa(struct parser *p, const char *v);
int k_trust_anchor(struct parser *p, const char *v);
int k_trust_anchor_file(struct parser *p, const char *v);
int k_auto_trust_anchor_file(struct parser *p, const char *v);
int k_trusted_keys_file(struct parser *p, const char *v);
int k_domain_insecure(struct parser *p, const char *v);
int k_zone_name(struct parser *p, const char *v);
int k_zone_addr(struct parser *p, const char *v);
int k_control_socket(struct parser *p, const char *v);
int k_control_group(struct parser *p, const char *v);
int k_metrics_interface(struct parser *p, const char *v);
int k_dnstap_socket(struct parser *p, const char *v);
int k_control_interface(struct parser *p, const char *v);
int k_control_enable(struct parser *p, const char *v);
int k_local_zone(struct parser *p, const char *v);
int k_local_data(struct parser *p, const char *v);
int k_local_data_ptr(struct parser *p, const char *v);
int k_module_config(struct parser *p, const char *v);
int k_trust_anchor_file(struct parser *p, const char *v);
int k_auto_trust_anchor_file(struct parser *p, const char *v);
int k_trust_anchor(struct parser *p, const char *v);
int k_domain_insecure(struct parser *p, const char *v);

#endif
