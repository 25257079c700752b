/* config: reading the unbound.conf-shaped configuration (config.h): lines,
 * quotes and comments, clauses, include: and include-toplevel:, the checks
 * across keys, and the entry points. What each key is and takes is the key
 * table's (config_keys.c); unbound keys this build does not implement are
 * config_compat.c's; its messages are config_diag.c's.
 *
 * The parser works on a private copy of the configuration and only copies
 * it back when everything read is valid, so a failed reload never leaves
 * the daemon with half a configuration. Every input line is copied into a
 * bounded, NUL-terminated buffer first; from there on the code works with
 * C strings and never reads past the line. */
#include "daemon/config.h"

#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config_int.h"
#include "daemon/localconf.h"
#include "util/err.h"
#include "util/file.h"
#include "wire/wire.h"

#define MAX_ERRORS 200
#define TOTAL_MAX_BYTES (16u * 1024 * 1024) /* over every included file */

/* File names of included files, alive for the whole read (messages and the
 * lines of cross-key checks point at them). */
struct names {
	char **v;
	size_t n;
};

struct loopback_addr {
	const char *file;
	size_t line;
	const char *key;
	char text[64];
};
#define MAX_LOOPBACK 8

struct reader {
	struct parser p;
	struct names names;
	struct loopback_addr loop[MAX_LOOPBACK];
	size_t n_loop;
};

/* ---- clauses ---------------------------------------------------------- */

static const struct {
	const char *name;
	enum clause clause;
} clauses[] = {
	{ "server", CL_SERVER },
	{ "forward-zone", CL_FORWARD },
	{ "stub-zone", CL_STUB },
	{ "remote-control", CL_REMOTE },
	{ "dnstap", CL_DNSTAP },
};

static const char *clause_name(unsigned mask)
{
	for (size_t i = 0; i < sizeof(clauses) / sizeof(clauses[0]); i++)
		if (mask & clauses[i].clause)
			return clauses[i].name;
	return "?";
}

static bool family_enabled(const struct config *cfg, int family)
{
	return family == AF_INET ? cfg->do_ip4 : cfg->do_ip6;
}

/* Checks the zone clause that just ended. */
static int end_zone(struct parser *p)
{
	if (!p->zone)
		return 0;
	const char *what = p->clause == CL_FORWARD ? "forward-zone" : "stub-zone";
	struct config_zone *z = p->zone;
	p->zone = NULL;
	if (!p->zone_named)
		return cfg_fail_at(p, p->zone_file, p->zone_line, what, "has no name");
	if (z->n_addrs == 0)
		return cfg_fail_at(p, p->zone_file, p->zone_line, what, "has no %s",
				   p->clause == CL_FORWARD ? "forward-addr" : "stub-addr");
	return 0;
}

static int begin_clause(struct parser *p, enum clause cl)
{
	int rc = end_zone(p);
	p->clause = cl;
	p->skip_clause = false;
	if (cl != CL_FORWARD && cl != CL_STUB)
		return rc;
	struct config *cfg = p->cfg;
	size_t *n = cl == CL_FORWARD ? &cfg->n_forward : &cfg->n_stub;
	if (*n >= CONFIG_MAX_ZONES) {
		p->skip_clause = true;
		return cfg_fail(p, "more than %d %s clauses (CONFIG_MAX_ZONES)", CONFIG_MAX_ZONES,
				p->key);
	}
	p->zone = cl == CL_FORWARD ? &cfg->forward[*n] : &cfg->stub[*n];
	memset(p->zone, 0, sizeof(*p->zone));
	(*n)++;
	p->zone_line = p->line;
	p->zone_file = p->file;
	p->zone_named = false;
	return rc;
}

/* ---- include: and include-toplevel: ----------------------------------- */

static int parse_text(struct reader *r, const char *name, const char *text, size_t len);

/* Control bytes of a name out of the file, made '?': messages stay one
 * printable line whatever the file holds. */
static char *printable(char *s)
{
	for (char *q = s; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
	return s;
}

static const char *keep_name(struct reader *r, const char *name)
{
	char **v = realloc(r->names.v, (r->names.n + 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	r->names.v = v;
	char *copy = strdup(name);
	if (copy == NULL)
		return NULL;
	v[r->names.n++] = copy;
	return printable(copy); /* only messages use it */
}

static int include_one(struct reader *r, const char *path)
{
	struct parser *p = &r->p;
	char shown_path[CONFIG_PATH_MAX * 2];
	snprintf(shown_path, sizeof(shown_path), "%s", path);
	printable(shown_path);
#ifdef PC_CONFIG_FUZZING
	/* The fuzz target reads no files: a generated name could be a FIFO. */
	return cfg_fail(p, "%s: includes are off in this build", shown_path);
#endif
	if (p->depth >= CONFIG_INCLUDE_DEPTH)
		return cfg_fail(p, "%s: includes nested deeper than %d (a file including itself?)",
				shown_path, CONFIG_INCLUDE_DEPTH);
	char *buf, why[512];
	size_t len;
	int rc = file_read_bounded(path, CONFIG_FILE_MAX, &buf, &len, why, sizeof(why));
	if (rc != 0)
		return cfg_fail(p, "cannot read %s", printable(why));
	if (len > CONFIG_FILE_MAX) {
		free(buf);
		return cfg_fail(p, "%s: file is larger than %d bytes", shown_path, CONFIG_FILE_MAX);
	}
	if (p->total_bytes + len > TOTAL_MAX_BYTES) {
		free(buf);
		return cfg_fail(p, "%s: the files included add up to more than %u bytes", shown_path,
				TOTAL_MAX_BYTES);
	}
	p->total_bytes += len;
	const char *name = keep_name(r, path);
	if (name == NULL) {
		free(buf);
		return cfg_fail(p, "out of memory");
	}
	/* Where we are, to come back to (and to name in messages). */
	const char *file = p->file, *from_file = p->from_file;
	size_t line = p->line, from_line = p->from_line;
	p->from_file = file;
	p->from_line = line;
	p->depth++;
	rc = parse_text(r, name, buf, len);
	p->depth--;
	p->file = file;
	p->line = line;
	p->from_file = from_file;
	p->from_line = from_line;
	free(buf);
	return rc;
}

/* As unbound: a pattern with glob characters reads every match in sorted
 * order (none is not an error); a plain name must exist. include-toplevel
 * ends the clause before the files and again after them. */
static int do_include(struct reader *r, const char *pattern, bool toplevel)
{
	struct parser *p = &r->p;
	int rc = 0;
	if (toplevel) {
		rc = end_zone(p);
		p->clause = CL_NONE;
		p->skip_clause = false;
	}
	if (*pattern == '\0')
		return cfg_fail(p, "empty file name");
	if (strpbrk(pattern, "*?[{~") == NULL) {
		int rc2 = include_one(r, pattern);
		rc = rc ? rc : rc2;
	} else {
		glob_t g;
		memset(&g, 0, sizeof(g));
		int gr = glob(pattern, GLOB_ERR | GLOB_BRACE | GLOB_TILDE, NULL, &g);
		if (gr == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++) {
				int rc2 = include_one(r, g.gl_pathv[i]);
				rc = rc ? rc : rc2;
				if (rc2 < 0 && !p->diag)
					break;
			}
		} else if (gr != GLOB_NOMATCH) {
			char shown_pat[CONFIG_LINE_MAX + 1];
			snprintf(shown_pat, sizeof(shown_pat), "%s", pattern);
			rc = cfg_fail(p, "%s: cannot read the directory: %s", printable(shown_pat),
				      gr == GLOB_NOSPACE ? "out of memory" : strerror(errno));
		}
		globfree(&g);
	}
	if (toplevel) {
		int rc2 = end_zone(p);
		rc = rc ? rc : rc2;
		p->clause = CL_NONE;
		p->skip_clause = false;
	}
	return rc;
}

/* ---- lines ------------------------------------------------------------ */

static bool is_space(char c) { return c == ' ' || c == '\t'; }

static void note_loopback(struct reader *r, const char *v)
{
	struct config_zone *z = r->p.zone;
	if (z == NULL || z->n_addrs == 0 || r->n_loop >= MAX_LOOPBACK)
		return;
	const struct sockaddr_storage *sa = &z->addrs[z->n_addrs - 1].sa;
	bool loop = sa->ss_family == AF_INET
			    ? ((const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr)[0] == 127
			    : IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	if (!loop)
		return;
	struct loopback_addr *l = &r->loop[r->n_loop++];
	l->file = r->p.file;
	l->line = r->p.line;
	l->key = r->p.clause == CL_FORWARD ? "forward-addr" : "stub-addr";
	snprintf(l->text, sizeof(l->text), "%s", v);
}

static int apply_key(struct reader *r, const struct config_key *k, const char *val, bool quoted)
{
	struct parser *p = &r->p;
	if (p->clause == CL_NONE)
		return cfg_fail(p, "appears before any clause (put it under %s:)",
				clause_name(k->clauses));
	if (!(k->clauses & p->clause))
		return cfg_fail(p, "not valid in a %s: clause (it belongs under %s:)",
				clause_name(p->clause), clause_name(k->clauses));
	if (*val == '\0' && !(quoted && (k->flags & K_EMPTY)))
		return cfg_fail(p, "missing value");
	int rc = cfg_apply_typed(p, k, val);
	if (rc == 0 && k->line != L_NONE) {
		p->lines[k->line] = p->line;
		p->line_files[k->line] = p->file;
	}
	if (rc == 0 && k->fn == k_zone_addr)
		note_loopback(r, val);
	return rc;
}

/* A key the table does not know: unbound's, or a mistake. */
static int compat_key(struct reader *r, const char *key, const char *val)
{
	struct parser *p = &r->p;
	const struct config_compat *c =
		config_compat_find(config_compat_keys, config_n_compat_keys, key);
	if (c == NULL)
		return cfg_fail(p, "unknown key");
	if (c->kind == C_ALIAS) {
		const struct config_key *k = config_key_find(c->reason);
		return k ? apply_key(r, k, val, false) : cfg_fail(p, "unknown key");
	}
	if (c->ok_value && strcmp(val, c->ok_value) == 0)
		return 0;
	if (c->kind == C_REFUSE)
		return cfg_fail(p, "%s", c->reason);
	cfg_warn(p, "ignored: %s", c->reason);
	return 0;
}

/* One line, NUL-terminated, without its newline. As in unbound, '#'
 * starts a comment only where a word could start (so the "#name" of
 * "addr@853#name" is part of the value), and values may be quoted with
 * double or single quotes, which keep '#' and spaces. */
static int parse_line(struct reader *r, char *s)
{
	struct parser *p = &r->p;
	while (is_space(*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	char *key = s;
	while (*s && *s != ':' && !is_space(*s))
		s++;
	char sep = *s;
	*s = '\0';
	p->key = key;
	if (sep != ':')
		return cfg_fail(p, "expected \"key: value\"");
	if (*key == '\0') {
		p->key = NULL;
		return cfg_fail(p, "missing key before ':'");
	}
	s++;
	while (is_space(*s))
		s++;

	char *val = s;
	bool multi = false;
	bool quoted = *s == '"' || *s == '\'';
	if (quoted) {
		char q = *s;
		val = ++s;
		char *close = strchr(s, q);
		if (!close)
			return cfg_fail(p, "missing closing quote");
		*close = '\0';
		s = close + 1;
		while (is_space(*s))
			s++;
		if (*s && *s != '#') {
			/* More words: unbound's two-argument keys write the first
			 * quoted (local-zone: "home.lan." static). They are joined
			 * with one space; keys of one value refuse this. */
			char *end = s;
			while (*end && !(*end == '#' && is_space(end[-1])))
				end++;
			while (end > s && is_space(end[-1]))
				end--;
			*end = '\0';
			size_t a = strlen(val), b = strlen(s);
			memmove(val + a + 1, s, b + 1);
			val[a] = ' ';
			for (char *w = val + a + 1; *w; w++)
				if (*w == '"' || *w == '\'')
					memmove(w, w + 1, strlen(w));
			multi = true;
		}
	} else {
		char *end = s;
		while (*end && !(*end == '#' && (end == s || is_space(end[-1]))))
			end++;
		while (end > s && is_space(end[-1]))
			end--;
		*end = '\0';
	}

	if (strcmp(key, "include") == 0 || strcmp(key, "include-toplevel") == 0)
		return do_include(r, val, key[7] == '-');
	for (size_t i = 0; i < sizeof(clauses) / sizeof(clauses[0]); i++) {
		if (strcmp(key, clauses[i].name) == 0) {
			if (*val || quoted)
				return cfg_fail(p, "a clause header takes no value");
			return begin_clause(p, clauses[i].clause);
		}
	}
	const struct config_compat *cc =
		config_compat_find(config_compat_clauses, config_n_compat_clauses, key);
	if (cc != NULL) {
		int rc = end_zone(p);
		p->clause = CL_NONE;
		p->skip_clause = true;
		if (cc->kind == C_REFUSE)
			return cfg_fail(p, "%s", cc->reason);
		cfg_warn(p, "clause ignored with every key in it: %s", cc->reason);
		return rc;
	}
	if (p->skip_clause)
		return 0;
	const struct config_key *k = config_key_find(key);
	if (k != NULL && multi && k->fn != k_access_control && k->fn != k_local_zone)
		return cfg_fail(p, "text after the closing quote");
	return k ? apply_key(r, k, val, quoted) : compat_key(r, key, val);
}

static int parse_text(struct reader *r, const char *name, const char *text, size_t len)
{
	struct parser *p = &r->p;
	char line[CONFIG_LINE_MAX + 1];
	size_t pos = 0;
	int first = 0;
	p->file = name;
	p->line = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t raw = nl ? (size_t)(nl - (text + pos)) : len - pos;
		size_t n = raw;
		p->line++;
		p->key = NULL;
		if (n && text[pos + n - 1] == '\r')
			n--;
		int rc;
		if (n > CONFIG_LINE_MAX) {
			rc = cfg_fail(p, "line is longer than %d bytes", CONFIG_LINE_MAX);
		} else if (memchr(text + pos, '\0', n)) {
			rc = cfg_fail(p, "NUL byte in line");
		} else {
			memcpy(line, text + pos, n);
			line[n] = '\0';
			rc = parse_line(r, line);
		}
		if (rc < 0) {
			first = first ? first : rc;
			/* With a diag, read on to list every error. */
			if (p->diag == NULL || p->n_errors >= MAX_ERRORS)
				return first;
		}
		pos += raw + (nl != NULL);
	}
	p->key = NULL;
	return first;
}

/* ---- checks across keys ----------------------------------------------- */

static size_t max_line(size_t a, size_t b) { return a > b ? a : b; }

/* The later of two keys' lines (and its file): where a conflict is told. */
static int fail_later(struct parser *p, enum key_line a, const char *ka, enum key_line b,
		      const char *kb, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int fail_later(struct parser *p, enum key_line a, const char *ka, enum key_line b,
		      const char *kb, const char *fmt, ...)
{
	bool a_last = p->lines[a] > p->lines[b];
	enum key_line l = a_last ? a : b;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const char *file = p->line_files[l] ? p->line_files[l] : p->file;
	return cfg_fail_at(p, file, max_line(p->lines[a], p->lines[b]), a_last ? ka : kb, "%s",
			   msg);
}

static int check_families(struct parser *p)
{
	struct config *cfg = p->cfg;
	if (!cfg->do_ip4 && !cfg->do_ip6)
		return fail_later(p, L_IP4, "do-ip4", L_IP6, "do-ip6",
				  "do-ip4 and do-ip6 are both no");
	if (!p->lines[L_IP4] && !p->lines[L_IP6])
		return 0;
	/* Default listeners of a disabled family go quietly: the defaults
	 * name both families so "do-ip6: no" alone must give a working
	 * configuration. Listed ones are a contradiction the user should see. */
	size_t keep = 0;
	for (size_t i = 0; i < cfg->n_interfaces; i++) {
		if (!family_enabled(cfg, cfg->interfaces[i].sa.ss_family)) {
			if (p->iface_seen)
				return fail_later(p, L_IP4, "do-ip4", L_IP6, "do-ip6",
						  "an interface of this family is listed");
			continue;
		}
		cfg->interfaces[keep++] = cfg->interfaces[i];
	}
	cfg->n_interfaces = keep;
	for (size_t i = 0; i < cfg->n_outgoing; i++)
		if (!family_enabled(cfg, cfg->outgoing[i].sa.ss_family))
			return fail_later(p, L_IP4, "do-ip4", L_IP6, "do-ip6",
					  "an outgoing-interface of this family is listed");
	for (int list = 0; list < 2; list++) {
		const struct config_zone *z = list ? cfg->stub : cfg->forward;
		size_t n = list ? cfg->n_stub : cfg->n_forward;
		for (size_t i = 0; i < n; i++) {
			bool usable = false;
			for (size_t j = 0; j < z[i].n_addrs; j++)
				usable |= family_enabled(cfg, z[i].addrs[j].sa.ss_family);
			if (!usable) {
				char txt[WIRE_NAME_MAX * 4 + 1];
				if (wire_name_to_text(z[i].name, txt, sizeof(txt)) < 0)
					strcpy(txt, "?");
				return fail_later(p, L_IP4, "do-ip4", L_IP6, "do-ip6",
						  "zone %s is left without a usable address", txt);
			}
		}
	}
	return 0;
}

static int check_pool(struct parser *p)
{
	const struct config *cfg = p->cfg;
	const struct config_range *r = &cfg->socket_pool_range;
	if (!p->lines[L_RANGE] && !p->lines[L_EXCLUDE])
		return 0;
	/* One bit per port; 8 KiB on the stack, once per load. */
	uint8_t excluded[65536 / 8] = { 0 };
	for (size_t i = 0; i < cfg->n_pool_exclude; i++)
		for (uint32_t port = cfg->pool_exclude[i].low; port <= cfg->pool_exclude[i].high; port++)
			excluded[port / 8] |= (uint8_t)(1u << (port % 8));
	for (uint32_t port = r->low; port <= r->high; port++)
		if (!(excluded[port / 8] & (1u << (port % 8))))
			return 0;
	return fail_later(p, L_RANGE, "socket-pool-range", L_EXCLUDE, "socket-pool-exclude",
			  "socket-pool-exclude leaves no port of socket-pool-range %u-%u", r->low,
			  r->high);
}

/* The local zones and data make a table: any line that cannot take its
 * place in it (a bad record, a CNAME beside other data) is named. The table
 * is made again by the server; this one only proves it can be. */
static const char *const local_keys[] = { "", "local-zone", "local-data", "local-data-ptr" };

static int check_local(struct parser *p)
{
	const struct config *cfg = p->cfg;
	if (cfg->n_local == 0)
		return 0;
	struct lz_table *t;
	size_t bad;
	char msg[256];
	int rc = localconf_build(&t, cfg, 0, &bad, msg, sizeof(msg));
	if (rc == 0) {
		lz_free(t);
		return 0;
	}
	/* The line's file is not kept with it: the message names the line. */
	const char *key = bad < cfg->n_local ? local_keys[cfg->local[bad].kind] : NULL;
	size_t line = bad < cfg->n_local ? cfg->local[bad].line : p->line;
	const char *saved = p->key;
	size_t saved_line = p->line;
	p->key = key;
	p->line = line;
	rc = cfg_fail(p, "%s", msg);
	p->key = saved;
	p->line = saved_line;
	return rc;
}

static int check_all(struct reader *r)
{
	struct parser *p = &r->p;
	struct config *cfg = p->cfg;
	int first = end_zone(p), rc;
	if (cfg->cache_min_ttl > cfg->cache_max_ttl && (p->lines[L_MIN_TTL] || p->lines[L_MAX_TTL]))
		first = fail_later(p, L_MIN_TTL, "cache-min-ttl", L_MAX_TTL, "cache-max-ttl",
				   "cache-min-ttl %u is above cache-max-ttl %u",
				   cfg->cache_min_ttl, cfg->cache_max_ttl);
	if (!cfg->do_udp && !cfg->do_tcp) {
		rc = fail_later(p, L_UDP, "do-udp", L_TCP, "do-tcp", "do-udp and do-tcp are both no");
		first = first ? first : rc;
	}
	if ((rc = check_families(p)) < 0)
		first = first ? first : rc;
	if ((rc = check_pool(p)) < 0)
		first = first ? first : rc;
	if ((rc = check_local(p)) < 0)
		first = first ? first : rc;
	if (cfg->dnstap_enable && cfg->dnstap_socket_path[0] == '\0') {
		rc = fail_later(p, L_DNSTAP, "dnstap-enable", L_DNSTAP, "dnstap-enable",
				"needs dnstap-socket-path");
		first = first ? first : rc;
	}
	/* A forwarder on this host that the default keeps from being asked:
	 * the zone would fail, so say why while the operator is looking. */
	if (cfg->do_not_query_localhost)
		for (size_t i = 0; i < r->n_loop; i++)
			cfg_warn_at(p, r->loop[i].file, r->loop[i].line, r->loop[i].key,
				    "%s is a loopback address and do-not-query-localhost is yes "
				    "(the default), so it will never be asked; set "
				    "do-not-query-localhost: no to use it", r->loop[i].text);
	return first;
}

/* ---- entry points ----------------------------------------------------- */

static int read_into(struct config *cfg, const char *name, const char *text, size_t len,
		     struct config_diag *diag, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	struct reader *r = calloc(1, sizeof(*r));
	struct config *work = malloc(sizeof(*work));
	if (r == NULL || work == NULL) {
		free(r);
		free(work);
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name);
		return PC_ENOMEM;
	}
	memcpy(work, cfg, sizeof(*work));
	/* The local lines get an array of their own, so that a failed read
	 * leaves the caller's untouched (the texts already there are shared
	 * until the copy back). */
	work->local = NULL;
	if (cfg->n_local > 0) {
		work->local = malloc(cfg->n_local * sizeof(*work->local));
		if (work->local == NULL) {
			free(r);
			free(work);
			if (err && errlen)
				snprintf(err, errlen, "%s: out of memory", name);
			return PC_ENOMEM;
		}
		memcpy(work->local, cfg->local, cfg->n_local * sizeof(*work->local));
		r->p.local_cap = cfg->n_local;
	}
	r->p.cfg = work;
	r->p.err = err;
	r->p.errlen = errlen;
	r->p.diag = diag;
	r->p.total_bytes = len;
	int rc = parse_text(r, name, text, len);
	if (rc == 0 || diag != NULL) {
		int rc2 = check_all(r);
		rc = rc ? rc : rc2;
	}
	if (rc == 0) {
		free(cfg->local);
		memcpy(cfg, work, sizeof(*cfg));
	} else {
		for (size_t i = cfg->n_local; i < work->n_local; i++)
			free(work->local[i].text);
		free(work->local);
	}
	for (size_t i = 0; i < r->names.n; i++)
		free(r->names.v[i]);
	free(r->names.v);
	free(r);
	free(work);
	return rc;
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_local; i++)
		free(cfg->local[i].text);
	free(cfg->local);
	cfg->local = NULL;
	cfg->n_local = 0;
}

bool config_local_same(const struct config *a, const struct config *b)
{
	if (a->n_local != b->n_local)
		return false;
	for (size_t i = 0; i < a->n_local; i++)
		if (a->local[i].kind != b->local[i].kind ||
		    strcmp(a->local[i].text, b->local[i].text) != 0)
			return false;
	return true;
}

int config_parse(struct config *cfg, const char *name, const char *text, size_t len,
		 char *err, size_t errlen)
{
	if (len > CONFIG_FILE_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "%s: file is larger than %d bytes", name,
				 CONFIG_FILE_MAX);
		return PC_EINVAL;
	}
	return read_into(cfg, name, text, len, NULL, err, errlen);
}

int config_load_diag(struct config *cfg, const char *path, struct config_diag *diag,
		     char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc = file_read_bounded(path, CONFIG_FILE_MAX, &buf, &len, err, errlen);
	if (rc != 0) {
		if (diag && err)
			cfg_diag_add(diag, err), diag->errors++;
		return rc;
	}
	if (len > CONFIG_FILE_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "%s: file is larger than %d bytes", path,
				 CONFIG_FILE_MAX);
		if (diag && err)
			cfg_diag_add(diag, err), diag->errors++;
		free(buf);
		return PC_EINVAL;
	}
	rc = read_into(cfg, path, buf, len, diag, err, errlen);
	free(buf);
	return rc;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	return config_load_diag(cfg, path, NULL, err, errlen);
}
