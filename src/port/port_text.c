/* port_text: the answers for people (see port_out.h).
 *
 * Every table fits PORT_TEXT_WIDTH columns: long descriptions wrap inside
 * their column, and in the socket table the columns that do not fit move
 * to the indented detail line under each socket. --wide turns the fitting
 * off: one line per socket with every column, nothing wrapped. */
#include "port/port_out.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "port/port_reg.h"

/* ---- tables that fit ---------------------------------------------------- */

#define TBL_COLS 10
#define FLEX_MIN 16 /* a wrapping column never gets narrower than this */

struct tbl {
	int ncols;
	char **cells;         /* row-major, owned; row 0 is the header */
	char **detail;        /* per row: text for the indented line(s) below, or NULL */
	size_t rows, cap;
	unsigned flex;        /* bit per column that may wrap */
	bool fit;             /* fit PORT_TEXT_WIDTH */
	bool header;          /* row 0 is a header: a table of only that is "none" */
	size_t detail_indent; /* columns right of the table's indent */
};

static void tbl_init(struct tbl *t, int ncols, unsigned flex, bool fit)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->flex = flex;
	t->fit = fit;
	t->header = true;
}

static void tbl_add(struct tbl *t, const char *const *cells)
{
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, cap * (size_t)t->ncols * sizeof(*c));
		if (!c)
			return;
		t->cells = c;
		char **d = realloc(t->detail, cap * sizeof(*d));
		if (!d)
			return;
		t->detail = d;
		t->cap = cap;
	}
	for (int i = 0; i < t->ncols; i++)
		t->cells[t->rows * (size_t)t->ncols + (size_t)i] = strdup(cells[i] ? cells[i] : "");
	t->detail[t->rows] = NULL;
	t->rows++;
}

/* Add one row of ncols strings; a failed allocation shows as "?". */
static void tbl_row(struct tbl *t, ...)
{
	const char *c[TBL_COLS];
	va_list ap;

	va_start(ap, t);
	for (int i = 0; i < t->ncols; i++)
		c[i] = va_arg(ap, const char *);
	va_end(ap);
	tbl_add(t, c);
}

static void tbl_detail(struct tbl *t, const char *text)
{
	if (t->rows && text && *text)
		t->detail[t->rows - 1] = strdup(text);
}

static void tbl_free(struct tbl *t)
{
	for (size_t i = 0; i < t->rows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	for (size_t i = 0; i < t->rows; i++)
		free(t->detail[i]);
	free(t->cells);
	free(t->detail);
	memset(t, 0, sizeof(*t));
}

/* The longest line of s (lines end at '\n'). */
static size_t text_width(const char *s)
{
	size_t w = 0, cur = 0;

	for (; s && *s; s++) {
		if (*s == '\n') {
			cur = 0;
			continue;
		}
		if (++cur > w)
			w = cur;
	}
	return w;
}

/* The next line of s at most w wide: breaks at '\n', else at the last
 * blank that fits, else hard at w. Returns its length; *adv is how far to
 * move s (the line plus the blank or newline that ended it). */
static size_t wrap_next(const char *s, size_t w, size_t *adv)
{
	size_t n = 0, brk = 0;

	while (s[n] && s[n] != '\n' && n < w) {
		if (s[n] == ' ')
			brk = n;
		n++;
	}
	if (s[n] == '\0' || s[n] == '\n') {
		*adv = n + (s[n] == '\n');
		return n;
	}
	if (s[n] == ' ') { /* the line ends exactly at a blank */
		*adv = n + 1;
		return n;
	}
	if (brk > 0) {
		*adv = brk + 1;
		return brk;
	}
	*adv = n;
	return n;
}

static void print_wrapped(FILE *f, const char *s, size_t indent, size_t width, bool fit)
{
	while (*s) {
		size_t adv, n = wrap_next(s, fit && width > indent ? width - indent : (size_t)-1, &adv);
		fprintf(f, "%*s%.*s\n", (int)indent, "", (int)n, s);
		s += adv;
		while (*s == ' ')
			s++;
	}
}

/* Print and free. A table holding only its header row prints "none". */
static void tbl_print(FILE *f, struct tbl *t, size_t indent)
{
	size_t width[TBL_COLS] = { 0 }, total = indent;

	if (t->ncols == 0)
		return;
	if (t->rows <= (t->header ? 1u : 0u)) {
		fprintf(f, "%*snone\n", (int)indent, "");
		tbl_free(t);
		return;
	}
	for (size_t r = 0; r < t->rows; r++)
		for (int c = 0; c < t->ncols; c++) {
			size_t w = text_width(t->cells[r * (size_t)t->ncols + (size_t)c]);
			if (w > width[c])
				width[c] = w;
		}
	for (int c = 0; c < t->ncols; c++)
		total += width[c] + (c ? 2 : 0);
	while (t->fit && total > PORT_TEXT_WIDTH) {
		int widest = -1;
		for (int c = 0; c < t->ncols; c++)
			if ((t->flex >> c & 1) && width[c] > FLEX_MIN &&
			    (widest < 0 || width[c] > width[widest]))
				widest = c;
		if (widest < 0)
			break;
		width[widest]--;
		total--;
	}
	for (size_t r = 0; r < t->rows; r++) {
		const char *cur[TBL_COLS];
		bool more = true;

		for (int c = 0; c < t->ncols; c++) {
			cur[c] = t->cells[r * (size_t)t->ncols + (size_t)c];
			if (!cur[c])
				cur[c] = "?";
		}
		while (more) {
			size_t len[TBL_COLS], adv[TBL_COLS];
			int last = -1;

			for (int c = 0; c < t->ncols; c++) {
				len[c] = wrap_next(cur[c], t->fit ? width[c] : (size_t)-1, &adv[c]);
				if (len[c])
					last = c;
			}
			fprintf(f, "%*s", (int)indent, "");
			for (int c = 0; c <= last; c++) {
				if (c == last)
					fprintf(f, "%.*s", (int)len[c], cur[c]);
				else
					fprintf(f, "%.*s%*s", (int)len[c], cur[c],
						(int)(width[c] - len[c] + 2), "");
			}
			fputc('\n', f);
			more = false;
			for (int c = 0; c < t->ncols; c++) {
				cur[c] += adv[c];
				while (*cur[c] == ' ')
					cur[c]++;
				more = more || *cur[c];
			}
		}
		if (t->detail[r])
			print_wrapped(f, t->detail[r], indent + t->detail_indent, PORT_TEXT_WIDTH,
				      t->fit);
	}
	tbl_free(t);
}

/* ---- small formatting helpers ------------------------------------------ */

/* Appends to buf[len] at *o, separated by sep when something is there. */
static void cat(char *buf, size_t len, size_t *o, const char *sep, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void cat(char *buf, size_t len, size_t *o, const char *sep, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*o >= len)
		return;
	if (*o && sep) {
		w = snprintf(buf + *o, len - *o, "%s", sep);
		*o += w > 0 ? (size_t)w : 0;
		if (*o >= len) {
			*o = len;
			return;
		}
	}
	va_start(ap, fmt);
	w = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	*o += w > 0 ? (size_t)w : 0;
	if (*o > len)
		*o = len;
}

static const char *plural(unsigned long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void ago_text(int64_t ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%lld ms ago", (long long)ms);
	else if (ms < 100000)
		snprintf(buf, len, "%.1f s ago", (double)ms / 1000.0);
	else
		snprintf(buf, len, "%lld s ago", (long long)(ms / 1000));
}

static void ns_text(const struct port_report *r, uint64_t ino, char *buf, size_t len)
{
	const struct port_nslabel *l = port_ns_label(r, ino);

	if (l && l->name[0])
		snprintf(buf, len, "netns %s (pid %d)", l->name, l->pid);
	else if (l && l->pid)
		snprintf(buf, len, "netns of pid %d", l->pid);
	else
		snprintf(buf, len, "netns %llu", (unsigned long long)ino);
}

/* What a pool socket has been doing, from the daemon's record. */
static void pool_text(const struct port_report *r, size_t i, char *buf, size_t len)
{
	const struct port_pool_sock *e = r->pool_ent ? r->pool_ent[i] : NULL;
	size_t o = 0;
	char ago[32];

	buf[0] = '\0';
	cat(buf, len, &o, NULL, "pool socket of portcullis[%d]", r->pool_pid[i]);
	if (!e)
		return;
	cat(buf, len, &o, NULL, ": %llu %s sent, %llu %s accepted, %llu dropped",
	    (unsigned long long)e->sent, plural(e->sent, "query", "queries"),
	    (unsigned long long)e->accepted, plural(e->accepted, "reply", "replies"),
	    (unsigned long long)e->dropped);
	if (e->idle_ms >= 0) {
		ago_text(e->idle_ms, ago, sizeof(ago));
		cat(buf, len, &o, NULL, ", last query %s", ago);
	}
	for (size_t k = 0; k < e->npeers; k++)
		cat(buf, len, &o, k ? ", " : "; recent peers ",
		    strchr(e->peers[k].addr, ':') ? "[%s]:%u (%u)" : "%s:%u (%u)",
		    e->peers[k].addr, e->peers[k].port, e->peers[k].queries);
}

/* One sentence about a socket: "UDP socket of portcullis[2231], pool
 * socket, 3 queries sent, the last 1.2 s ago to 127.1.0.1:53". */
static void sock_phrase(const struct port_report *r, size_t i, char *buf, size_t len)
{
	const struct port_sock *s = &r->socks->v[i];
	const char *st = port_state_name(s->proto, s->state);
	size_t k = port_owners_find(r->owners, s->inode), o = 0, n = 0;
	char peer[64], ns[96];

	port_endpoint(s, false, peer, sizeof(peer));
	if (s->proto == IPPROTO_UDP)
		cat(buf, len, &o, NULL, s->rport ? "UDP socket connected to %s" : "UDP socket", peer);
	else if (strcmp(st, "LISTEN") == 0)
		cat(buf, len, &o, NULL, "TCP listener");
	else
		cat(buf, len, &o, NULL, "TCP connection (%s) with %s", st, peer);
	for (size_t j = k; s->inode && j < r->owners->n && r->owners->v[j].inode == s->inode; j++)
		n++;
	if (n)
		cat(buf, len, &o, NULL, " of %s[%d]%s", r->owners->v[k].comm, r->owners->v[k].pid,
		    n > 1 ? " and others" : "");
	else if (port_sock_owner_hidden(r, i))
		cat(buf, len, &o, NULL, " of a process we could not inspect");
	else
		cat(buf, len, &o, NULL, " (no process)");
	if (r->pool_pid && r->pool_pid[i]) {
		const struct port_pool_sock *e = r->pool_ent ? r->pool_ent[i] : NULL;
		cat(buf, len, &o, NULL, ", pool socket");
		if (e) {
			cat(buf, len, &o, NULL, ", %llu %s sent", (unsigned long long)e->sent,
			    plural(e->sent, "query", "queries"));
			if (e->idle_ms >= 0 && e->npeers) {
				char ago[32];
				ago_text(e->idle_ms, ago, sizeof(ago));
				cat(buf, len, &o, NULL, ", the last %s to %s:%u", ago,
				    e->peers[0].addr, e->peers[0].port);
			}
		}
	}
	if (s->netns != r->self_ns) {
		ns_text(r, s->netns, ns, sizeof(ns));
		cat(buf, len, &o, NULL, " (%s)", ns);
	}
}

/* ---- facts -------------------------------------------------------------- */

static bool listed(const struct port_report *r, size_t i, const struct port_item *it)
{
	return !it || port_sock_in_item(&r->socks->v[i], it);
}

/* "In use" for one port: a phrase per socket bound to it, at most four. */
static void in_use_text(const struct port_report *r, const struct port_item *it, char *buf,
			size_t len)
{
	size_t o = 0, shown = 0, bound = 0, peers = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->socks->n; i++) {
		const struct port_sock *s = &r->socks->v[i];
		if (!listed(r, i, it))
			continue;
		if (s->lport != it->lo) {
			peers++;
			continue;
		}
		bound++;
		if (shown < 4) {
			char p[400];
			p[0] = '\0';
			sock_phrase(r, i, p, sizeof(p));
			cat(buf, len, &o, "; ", "%s", p);
			shown++;
		}
	}
	if (bound > shown)
		cat(buf, len, &o, "; ", "and %zu more %s, listed below", bound - shown,
		    plural(bound - shown, "socket", "sockets"));
	if (!bound)
		cat(buf, len, &o, NULL, "no socket here has it as its local port");
	if (peers)
		cat(buf, len, &o, "; ", "%zu %s to port %u elsewhere", peers,
		    plural(peers, "connection", "connections"), it->lo);
}

struct owner_count {
	char who[48];
	size_t socks, pool;
};

static int cmp_owner_count(const void *a, const void *b)
{
	const struct owner_count *x = a, *y = b;

	if (x->socks != y->socks)
		return x->socks > y->socks ? -1 : 1;
	return strcmp(x->who, y->who);
}

/* "Owners" of a range: sockets per holding process, most first. */
static void owners_summary(const struct port_report *r, const struct port_item *it, char *buf,
			   size_t len)
{
	struct owner_count *v = calloc(r->socks->n + 1, sizeof(*v));
	size_t n = 0, o = 0;

	buf[0] = '\0';
	if (!v)
		return;
	for (size_t i = 0; i < r->socks->n; i++) {
		const struct port_sock *s = &r->socks->v[i];
		size_t k = port_owners_find(r->owners, s->inode), j;
		char who[48];

		if (!listed(r, i, it))
			continue;
		if (s->inode && k < r->owners->n)
			snprintf(who, sizeof(who), "%s[%d]", r->owners->v[k].comm,
				 r->owners->v[k].pid);
		else
			snprintf(who, sizeof(who), "%s",
				 port_sock_owner_hidden(r, i) ? "processes we could not inspect"
							      : "no process");
		for (j = 0; j < n && strcmp(v[j].who, who) != 0; j++)
			;
		if (j == n)
			memcpy(v[n++].who, who, sizeof(who));
		v[j].socks++;
		v[j].pool += r->pool_pid && r->pool_pid[i];
	}
	qsort(v, n, sizeof(*v), cmp_owner_count);
	for (size_t j = 0; j < n && j < 6; j++) {
		cat(buf, len, &o, ", ", "%s %zu socket%s", v[j].who, v[j].socks,
		    v[j].socks == 1 ? "" : "s");
		if (v[j].pool)
			cat(buf, len, &o, NULL, " (%zu in its pool)", v[j].pool);
	}
	if (n > 6)
		cat(buf, len, &o, ", ", "and %zu more", n - 6);
	if (!n)
		cat(buf, len, &o, NULL, "none");
	free(v);
}

static void facts(FILE *f, const struct port_report *r, const struct port_item *it)
{
	size_t total = (size_t)(it->hi - it->lo) + 1, cnt[3], o;
	bool one = it->lo == it->hi;
	char b[160], big[2048];
	struct tbl t;

	if (one)
		fprintf(f, "Port %u%s%s\n", it->lo, it->tmask == PORT_BOTH ? "" : "/",
			it->tmask == PORT_BOTH ? "" : port_tmask_name(it->tmask));
	else
		fprintf(f, "Ports %u-%u%s%s (%zu ports)\n", it->lo, it->hi,
			it->tmask == PORT_BOTH ? "" : "/",
			it->tmask == PORT_BOTH ? "" : port_tmask_name(it->tmask), total);
	port_iana_summary(it, cnt);
	tbl_init(&t, 2, 2, !r->args->wide);
	t.header = false;
	if (cnt[0] == total || cnt[1] == total || cnt[2] == total) {
		snprintf(b, sizeof(b), "%s", port_iana_range_title(port_iana_range_of(it->lo)));
		if (cnt[2] == total)
			snprintf(b + strlen(b), sizeof(b) - strlen(b), ": never assigned by IANA");
	} else {
		snprintf(b, sizeof(b), "mixed: %zu system, %zu user, %zu dynamic", cnt[0], cnt[1],
			 cnt[2]);
	}
	tbl_row(&t, "IANA range", b);
	if (!r->have_eph)
		snprintf(b, sizeof(b), "unknown (ip_local_port_range unreadable)");
	else if (one)
		snprintf(b, sizeof(b), "%s (this host: %u-%u)",
			 port_count_in(r, it, true) ? "yes" : "no", r->eph_lo, r->eph_hi);
	else
		snprintf(b, sizeof(b), "%zu of %zu inside (this host: %u-%u)",
			 port_count_in(r, it, true), total, r->eph_lo, r->eph_hi);
	tbl_row(&t, "Ephemeral", b);
	if (!r->have_reserved)
		snprintf(b, sizeof(b), "unknown");
	else if (one)
		snprintf(b, sizeof(b), "%s",
			 port_count_in(r, it, false) ? "yes (ip_local_reserved_ports)" : "no");
	else
		snprintf(b, sizeof(b), "%zu of %zu", port_count_in(r, it, false), total);
	tbl_row(&t, "Reserved", b);
	o = 0;
	b[0] = '\0';
	for (int p = 0; p < 2; p++) {
		uint8_t proto = p ? IPPROTO_UDP : IPPROTO_TCP;
		if (!(it->tmask & (p ? PORT_UDP : PORT_TCP)))
			continue;
		size_t fr = port_count_free(r, it, proto);
		if (one)
			cat(b, sizeof(b), &o, ", ", "%s %s", port_proto_name(proto), fr ? "yes" : "no");
		else
			cat(b, sizeof(b), &o, ", ", "%s %zu of %zu", port_proto_name(proto), fr, total);
	}
	tbl_row(&t, "Free", b);
	if (one) {
		in_use_text(r, it, big, sizeof(big));
		tbl_row(&t, "In use", big);
	} else {
		size_t nsock = 0;
		for (size_t i = 0; i < r->socks->n; i++)
			nsock += listed(r, i, it) && r->socks->v[i].lport >= it->lo &&
				 r->socks->v[i].lport <= it->hi;
		o = 0;
		b[0] = '\0';
		for (int p = 0; p < 2; p++) {
			uint8_t proto = p ? IPPROTO_UDP : IPPROTO_TCP;
			size_t nb = total - port_count_free(r, it, proto);
			if (it->tmask & (p ? PORT_UDP : PORT_TCP))
				cat(b, sizeof(b), &o, ", ", "%s %zu %s", port_proto_name(proto), nb,
				    plural(nb, "port", "ports"));
		}
		cat(b, sizeof(b), &o, NULL, ", by %zu %s", nsock, plural(nsock, "socket", "sockets"));
		tbl_row(&t, "Bound", b);
		owners_summary(r, it, big, sizeof(big));
		tbl_row(&t, "Owners", big);
	}
	tbl_print(f, &t, 2);
}

static void registry_section(FILE *f, const struct port_report *r, const struct port_item *it)
{
	struct port_reg_iter ri = { PORT_REG_PORTS, it->lo, it->hi, NULL, it->tmask, 0 };
	struct port_reg_view v;
	struct port_use_view u;
	struct tbl t;
	char b[32];
	bool wide = r->args->wide;

	fputs("\nIANA registry\n", f);
	tbl_init(&t, 5, 1u << 3 | 1u << 4, !wide);
	tbl_row(&t, "PORT", "SERVICE", "TRANSPORT", "DESCRIPTION", "REFERENCE");
	while (port_reg_next(&ri, &v)) {
		snprintf(b, sizeof(b), v.lo == v.hi ? "%u" : "%u-%u", v.lo, v.hi);
		tbl_row(&t, b, *v.name ? v.name : "-", *port_transport_name(v.transport) ?
			port_transport_name(v.transport) : "-", v.desc, v.ref);
	}
	if (t.rows == 1 && it->lo >= 49152) {
		/* Say why rather than just "none": this range is unassignable. */
		fputs("  none: IANA never assigns Dynamic/Private ports (RFC 6335)\n", f);
		tbl_free(&t);
	}
	tbl_print(f, &t, 2);

	fputs("\nKnown unofficial uses\n", f);
	ri.pos = 0;
	tbl_init(&t, wide ? 4 : 3, wide ? 1u << 2 | 1u << 3 : 1u << 2, !wide);
	if (wide)
		tbl_row(&t, "PORTS", "TRANSPORT", "USE", "SOURCE");
	else
		tbl_row(&t, "PORTS", "TRANSPORT", "USE (SOURCE)");
	while (port_use_next(&ri, &u)) {
		char use[1024];
		snprintf(b, sizeof(b), u.lo == u.hi ? "%u" : "%u-%u", u.lo, u.hi);
		if (wide) {
			tbl_row(&t, b, port_tmask_name(u.tmask), u.what, u.source);
		} else {
			snprintf(use, sizeof(use), "%s\n(%s)", u.what, u.source);
			tbl_row(&t, b, port_tmask_name(u.tmask), use);
		}
	}
	tbl_print(f, &t, 2);
}

/* ---- sockets ------------------------------------------------------------ */

struct sock_cells {
	char local[64], peer[64], user[48], proc[512], note[1024];
};

static void sock_cells(const struct port_report *r, size_t i, struct sock_cells *c)
{
	const struct port_sock *s = &r->socks->v[i];
	size_t o = 0;

	port_endpoint(s, true, c->local, sizeof(c->local));
	port_endpoint(s, false, c->peer, sizeof(c->peer));
	port_user_name(s->uid, c->user, sizeof(c->user), r->args->numeric);
	port_owners_text(r, i, c->proc, sizeof(c->proc));
	c->note[0] = '\0';
	if (port_sock_dual_stack(s))
		cat(c->note, sizeof(c->note), &o, "; ", "dual-stack (takes IPv4 too)");
	if (r->pool_pid && r->pool_pid[i]) {
		char p[700];
		pool_text(r, i, p, sizeof(p));
		cat(c->note, sizeof(c->note), &o, "; ", "%s", p);
	}
	if (s->netns != r->self_ns) {
		char ns[96];
		ns_text(r, s->netns, ns, sizeof(ns));
		cat(c->note, sizeof(c->note), &o, "; ", "%s", ns);
	}
}

static void sockets_section(FILE *f, const struct port_report *r, const struct port_item *it,
			    const char *title)
{
	enum { NETID, STATE, LOCAL, PEER, USER, PROC, NCOL };
	static const char *const head[NCOL] = { "Netid", "State", "Local Address:Port",
						"Peer Address:Port", "User", "Process" };
	size_t w[NCOL], n = 0, total;
	bool show[NCOL] = { true, true, true, true, true, true };
	struct sock_cells *c;
	struct tbl t;

	for (size_t i = 0; i < r->socks->n; i++)
		n += listed(r, i, it);
	fprintf(f, "\n%s (%zu)%s\n", title, n,
		r->ns_failed || r->ns_unreadable ? ", incomplete: see the notes below" : "");
	c = calloc(r->socks->n + 1, sizeof(*c));
	if (!c)
		return;
	for (int k = 0; k < NCOL; k++)
		w[k] = strlen(head[k]);
	for (size_t i = 0; i < r->socks->n; i++) {
		const struct port_sock *s = &r->socks->v[i];
		if (!listed(r, i, it))
			continue;
		sock_cells(r, i, &c[i]);
		size_t x[NCOL] = { 3, strlen(port_state_name(s->proto, s->state)), strlen(c[i].local),
				   strlen(c[i].peer), strlen(c[i].user), strlen(c[i].proc) };
		for (int k = 0; k < NCOL; k++)
			if (x[k] > w[k])
				w[k] = x[k];
	}
	/* Columns that do not fit move to the detail line: the user, else the
	 * process, else both, else the peer too. The first three always fit. */
	static const unsigned moves[] = { 0, 1u << USER, 1u << PROC, 1u << USER | 1u << PROC,
					  1u << USER | 1u << PROC | 1u << PEER };
	for (size_t m = 0; !r->args->wide && m < sizeof(moves) / sizeof(moves[0]); m++) {
		total = 2;
		for (int k = 0; k < NCOL; k++) {
			show[k] = !(moves[m] >> k & 1);
			total += show[k] ? w[k] + 2 : 0;
		}
		if (total - 2 <= PORT_TEXT_WIDTH)
			break;
	}
	if (r->args->wide) {
		tbl_init(&t, 8, 0, false);
		tbl_row(&t, "Netid", "State", "Local Address:Port", "Peer Address:Port", "User",
			"Inode", "Process", "Note");
	} else {
		const char *hc[NCOL];
		int k2 = 0;
		tbl_init(&t, 0, 0, true);
		for (int k = 0; k < NCOL; k++)
			if (show[k])
				hc[k2++] = head[k];
		t.ncols = k2;
		tbl_add(&t, hc);
		t.detail_indent = w[NETID] + 2;
	}
	for (size_t i = 0; i < r->socks->n; i++) {
		const struct port_sock *s = &r->socks->v[i];
		const char *st = port_state_name(s->proto, s->state);
		if (!listed(r, i, it))
			continue;
		if (r->args->wide) {
			char ino[16];
			snprintf(ino, sizeof(ino), "%u", s->inode);
			tbl_row(&t, port_proto_name(s->proto), st, c[i].local, c[i].peer, c[i].user,
				ino, c[i].proc, c[i].note);
			continue;
		}
		const char *all[NCOL] = { port_proto_name(s->proto), st, c[i].local, c[i].peer,
					  c[i].user, c[i].proc };
		const char *row[NCOL];
		char detail[2048];
		size_t o = 0;
		int k2 = 0;
		detail[0] = '\0';
		for (int k = 0; k < NCOL; k++) {
			if (show[k])
				row[k2++] = all[k];
			else
				cat(detail, sizeof(detail), &o, "; ", "%s %s",
				    k == USER ? "user" : k == PROC ? "process" : "peer", all[k]);
		}
		if (c[i].note[0])
			cat(detail, sizeof(detail), &o, "; ", "%s", c[i].note);
		tbl_add(&t, row);
		tbl_detail(&t, detail);
	}
	free(c);
	tbl_print(f, &t, 2);
}

static void notes(FILE *f, const struct port_report *r)
{
	for (int w = 0; w < r->nwarn; w++) {
		char line[600];
		snprintf(line, sizeof(line), "note: %s", r->warn[w]);
		print_wrapped(f, line, 0, PORT_TEXT_WIDTH, !r->args->wide);
	}
}

void port_out_ports_text(FILE *f, const struct port_report *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		const struct port_item *it = &r->items[i];
		if (i)
			fputs("\n\n", f);
		facts(f, r, it);
		registry_section(f, r, it);
		sockets_section(f, r, it, "Sockets");
	}
	notes(f, r);
}

/* The registry entries the iterator yields, as a table (a header row, then
 * service, port or range, transport, description, reference); returns how
 * many entries. */
static size_t registry_rows(struct tbl *t, struct port_reg_iter *it, bool wide)
{
	struct port_reg_view v;
	char b[32];
	size_t n = 0;
	tbl_init(t, 5, 1u << 3 | 1u << 4, !wide);
	tbl_row(t, "SERVICE", "PORT", "TRANSPORT", "DESCRIPTION", "REFERENCE");
	while (port_reg_next(it, &v)) {
		if (!v.has_port)
			snprintf(b, sizeof(b), "-");
		else
			snprintf(b, sizeof(b), v.lo == v.hi ? "%u" : "%u-%u", v.lo, v.hi);
		tbl_row(t, *v.name ? v.name : "-", b, *port_transport_name(v.transport) ?
			port_transport_name(v.transport) : "-", v.desc, v.ref);
		n++;
	}
	return n;
}

void port_out_service_text(FILE *f, const struct port_report *r)
{
	const struct port_args *a = r->args;
	struct port_reg_iter it = { PORT_REG_NAME, 0, 0, a->word, a->tmask, 0 };
	struct tbl t;
	char title[256];
	size_t n, o = 0;

	n = registry_rows(&t, &it, a->wide);
	fprintf(f, "IANA registry entries for service \"%s\" (%zu)\n", a->word, n);
	tbl_print(f, &t, 2);
	title[0] = '\0';
	cat(title, sizeof(title), &o, NULL, "Sockets on ");
	for (size_t i = 0; i < r->nitems; i++) {
		const struct port_item *p = &r->items[i];
		if (i == 6) {
			cat(title, sizeof(title), &o, NULL, ", ...");
			break;
		}
		cat(title, sizeof(title), &o, i ? ", " : NULL, p->lo == p->hi ? "%u" : "%u-%u",
		    p->lo, p->hi);
		if (p->tmask != PORT_BOTH)
			cat(title, sizeof(title), &o, NULL, "/%s", port_tmask_name(p->tmask));
	}
	if (r->nitems == 0)
		fputs("\nNo port is registered for it: no sockets to look for\n", f);
	else
		sockets_section(f, r, NULL, title);
	notes(f, r);
}

size_t port_out_names_text(FILE *f, const struct port_args *a)
{
	struct port_reg_iter it = { PORT_REG_LIKE, 0, 0, a->word, a->tmask, 0 };
	struct port_use_view u;
	struct tbl t;
	char b[32];
	size_t n;

	n = registry_rows(&t, &it, a->wide);
	fprintf(f, "IANA registry entries matching \"%s\" (%zu)\n", a->word, n);
	tbl_print(f, &t, 2);
	fputs("\nKnown unofficial uses\n", f);
	it.pos = 0;
	tbl_init(&t, 3, 1u << 2, !a->wide);
	tbl_row(&t, "PORTS", "TRANSPORT", "USE (SOURCE)");
	while (port_use_next(&it, &u)) {
		char use[1024];
		snprintf(b, sizeof(b), u.lo == u.hi ? "%u" : "%u-%u", u.lo, u.hi);
		snprintf(use, sizeof(use), "%s\n(%s)", u.what, u.source);
		tbl_row(&t, b, port_tmask_name(u.tmask), use);
		n++;
	}
	tbl_print(f, &t, 2);
	return n;
}
