/* port_out: table and JSON rendering (see port_out.h). */
#include "port/port_out.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "port/port_reg.h"

/* ---- small helpers ------------------------------------------------------ */

const char *port_state_name(uint8_t proto, uint8_t state)
{
	static const char *const tcp[] = {
		"UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
		"TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING",
		"SYN-RECV",
	};

	/* UDP reuses TCP's numbers: ESTABLISHED when connected, CLOSE when not,
	 * which ss calls UNCONN. */
	(void)proto;
	return state < sizeof(tcp) / sizeof(tcp[0]) ? tcp[state] : "UNKNOWN";
}

static bool v4_mapped(const uint8_t a[16])
{
	static const uint8_t pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, pre, 12) == 0;
}

void port_addr_text(uint8_t family, const uint8_t addr[16], char *buf, size_t len)
{
	if (family == AF_INET6 && v4_mapped(addr))
		inet_ntop(AF_INET, addr + 12, buf, (socklen_t)len);
	else
		inet_ntop(family == AF_INET ? AF_INET : AF_INET6, addr, buf, (socklen_t)len);
}

static bool shown_as_v6(const struct port_sock *s, bool local)
{
	return s->family == AF_INET6 && !v4_mapped(local ? s->laddr : s->raddr);
}

bool port_sock_dual_stack(const struct port_sock *s)
{
	static const uint8_t any[16];

	return s->family == AF_INET6 && s->v6only == 0 && memcmp(s->laddr, any, 16) == 0;
}

bool port_sock_owner_hidden(const struct port_report *r, size_t i)
{
	const struct port_sock *s = &r->socks->v[i];

	return s->inode != 0 && r->owners->hidden > 0 &&
	       port_owners_find(r->owners, s->inode) == r->owners->n;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : "udp";
}

static const char *user_name(uid_t uid, char *buf, size_t len, bool numeric)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (!numeric && getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res) {
		snprintf(buf, len, "%s", res->pw_name);
		return buf;
	}
	snprintf(buf, len, "%u", (unsigned)uid);
	return buf;
}

/* ---- aligned tables ----------------------------------------------------- */

#define TBL_COLS 10

struct tbl {
	int ncols;
	char **cells; /* row-major, owned */
	size_t rows, cap;
	size_t width[TBL_COLS];
};

static void tbl_init(struct tbl *t, int ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

/* Add one row of ncols strings; a failed allocation shows as "?". */
static void tbl_row(struct tbl *t, ...)
{
	va_list ap;

	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, cap * (size_t)t->ncols * sizeof(*c));
		if (!c)
			return;
		t->cells = c;
		t->cap = cap;
	}
	va_start(ap, t);
	for (int i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);
		char *d = strdup(s ? s : "");
		size_t n = d ? strlen(d) : 1;
		t->cells[t->rows * (size_t)t->ncols + (size_t)i] = d;
		if (n > t->width[i])
			t->width[i] = n;
	}
	va_end(ap);
	t->rows++;
}

static void tbl_free(struct tbl *t)
{
	for (size_t i = 0; i < t->rows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* Print and free. A table holding only its header row prints "none". */
static void tbl_print(FILE *f, struct tbl *t, const char *indent)
{
	if (t->ncols == 0)
		return; /* already freed: the caller said something else */
	if (t->rows <= 1) {
		fprintf(f, "%snone\n", indent);
		tbl_free(t);
		return;
	}
	for (size_t r = 0; r < t->rows; r++) {
		char **row = t->cells + r * (size_t)t->ncols;
		int end = t->ncols;

		/* No padding after the last non-empty cell: no trailing blanks. */
		while (end > 1 && row[end - 1] && row[end - 1][0] == '\0')
			end--;
		fputs(indent, f);
		for (int c = 0; c < end; c++) {
			const char *s = row[c];
			bool last = c == end - 1;
			if (last)
				fprintf(f, "%s\n", s ? s : "?");
			else
				fprintf(f, "%-*s  ", (int)t->width[c], s ? s : "?");
		}
	}
	tbl_free(t);
}

/* ---- JSON --------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char *tmask_name(unsigned m)
{
	return m == PORT_BOTH ? "tcp+udp" : m == PORT_TCP ? "tcp" : "udp";
}

static void json_reg_row(FILE *f, const struct port_reg_view *v, bool first)
{
	fprintf(f, "%s\n    {\"port\": ", first ? "" : ",");
	if (v->has_port)
		fprintf(f, "%u, \"port_high\": %u", v->lo, v->hi);
	else
		fputs("null, \"port_high\": null", f);
	fputs(", \"service\": ", f);
	json_str(f, v->name);
	fputs(", \"transport\": ", f);
	json_str(f, port_transport_name(v->transport));
	fputs(", \"description\": ", f);
	json_str(f, v->desc);
	fputs(", \"reference\": ", f);
	json_str(f, v->ref);
	fputc('}', f);
}

static void json_use_row(FILE *f, const struct port_use_view *u, bool first)
{
	fprintf(f, "%s\n    {\"low\": %u, \"high\": %u, \"transport\": \"%s\", \"use\": ",
		first ? "" : ",", u->lo, u->hi, tmask_name(u->tmask));
	json_str(f, u->what);
	fputs(", \"source\": ", f);
	json_str(f, u->source);
	fputc('}', f);
}

/* ---- port and range answers --------------------------------------------- */

static size_t count_in(const struct port_report *r, bool eph)
{
	const struct port_args *a = r->args;
	size_t n = 0;

	for (uint32_t p = a->lo; p <= a->hi; p++) {
		if (eph ? (r->have_eph && p >= r->eph_lo && p <= r->eph_hi)
			: (r->have_reserved && port_bit_get(r->reserved, (uint16_t)p)))
			n++;
	}
	return n;
}

/* Ports in the query range that no socket of proto has as its local port. */
static size_t count_free(const struct port_report *r, uint8_t proto)
{
	const struct port_args *a = r->args;
	static uint8_t used[8192];
	size_t n = (size_t)(a->hi - a->lo) + 1;

	memset(used, 0, sizeof(used));
	for (size_t i = 0; i < r->socks->n; i++) {
		const struct port_sock *s = &r->socks->v[i];
		if (s->proto != proto || s->netns != r->self_ns || s->lport < a->lo ||
		    s->lport > a->hi || port_bit_get(used, s->lport))
			continue;
		used[s->lport >> 3] |= (uint8_t)(1u << (s->lport & 7));
		n--;
	}
	return n;
}

static void iana_summary(const struct port_args *a, size_t cnt[3])
{
	static const uint32_t edge[3][2] = { { 0, 1023 }, { 1024, 49151 }, { 49152, 65535 } };

	for (int i = 0; i < 3; i++) {
		uint32_t lo = a->lo > edge[i][0] ? a->lo : edge[i][0];
		uint32_t hi = a->hi < edge[i][1] ? a->hi : edge[i][1];
		cnt[i] = lo <= hi ? hi - lo + 1 : 0;
	}
}

static void owners_text(const struct port_report *r, size_t i, char *buf, size_t len)
{
	const struct port_sock *s = &r->socks->v[i];
	size_t k = port_owners_find(r->owners, s->inode), o = 0;

	buf[0] = '\0';
	if (s->inode == 0 || k == r->owners->n) {
		snprintf(buf, len, "%s", port_sock_owner_hidden(r, i) ? "?hidden" : "-");
		return;
	}
	for (; k < r->owners->n && r->owners->v[k].inode == s->inode; k++) {
		int w = snprintf(buf + o, len - o, "%s%s[%d]", o ? "," : "",
				 r->owners->v[k].comm, r->owners->v[k].pid);
		if (w < 0 || (size_t)w >= len - o)
			break;
		o += (size_t)w;
	}
}

static void note_text(const struct port_report *r, size_t i, char *buf, size_t len)
{
	const struct port_sock *s = &r->socks->v[i];
	size_t o = 0;

	buf[0] = '\0';
	if (port_sock_dual_stack(s))
		o += (size_t)snprintf(buf + o, len - o, "dual-stack");
	if (r->pool_pid && r->pool_pid[i] && o < len)
		o += (size_t)snprintf(buf + o, len - o, "%spool of portcullis[%d]",
				      o ? ", " : "", r->pool_pid[i]);
	if (r->args->all_netns && s->netns != r->self_ns && o < len)
		snprintf(buf + o, len - o, "%snetns %llu", o ? ", " : "",
			 (unsigned long long)s->netns);
}

static void endpoint(const struct port_sock *s, bool local, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	uint16_t port = local ? s->lport : s->rport;

	port_addr_text(s->family, local ? s->laddr : s->raddr, a, sizeof(a));
	if (port == 0 && !local)
		snprintf(buf, len, shown_as_v6(s, local) ? "[%s]:*" : "%s:*", a);
	else
		snprintf(buf, len, shown_as_v6(s, local) ? "[%s]:%u" : "%s:%u", a, port);
}

void port_out_ports_text(FILE *f, const struct port_report *r)
{
	const struct port_args *a = r->args;
	size_t total = (size_t)(a->hi - a->lo) + 1, cnt[3];
	struct port_reg_iter it = { PORT_REG_PORTS, a->lo, a->hi, NULL, a->tmask, 0 };
	struct port_reg_view v;
	struct port_use_view u;
	struct tbl t;
	char b1[64], b2[64], b3[64], b4[64], b5[64], b6[512], b7[160];

	if (a->kind == PORT_Q_PORT)
		fprintf(f, "Port %u\n", a->lo);
	else
		fprintf(f, "Ports %u-%u (%zu ports)\n", a->lo, a->hi, total);
	iana_summary(a, cnt);
	tbl_init(&t, 2);
	if (cnt[0] == total || cnt[1] == total || cnt[2] == total)
		tbl_row(&t, "IANA range", port_iana_range_title(port_iana_range_of(a->lo)));
	else {
		snprintf(b1, sizeof(b1), "mixed: %zu system, %zu user, %zu dynamic",
			 cnt[0], cnt[1], cnt[2]);
		tbl_row(&t, "IANA range", b1);
	}
	if (!r->have_eph)
		snprintf(b2, sizeof(b2), "unknown (ip_local_port_range unreadable)");
	else if (total == 1)
		snprintf(b2, sizeof(b2), "%s (this host: %u-%u)",
			 count_in(r, true) ? "yes" : "no", r->eph_lo, r->eph_hi);
	else
		snprintf(b2, sizeof(b2), "%zu of %zu inside (this host: %u-%u)",
			 count_in(r, true), total, r->eph_lo, r->eph_hi);
	tbl_row(&t, "Ephemeral", b2);
	if (!r->have_reserved)
		snprintf(b3, sizeof(b3), "unknown");
	else if (total == 1)
		snprintf(b3, sizeof(b3), "%s", count_in(r, false) ? "yes (ip_local_reserved_ports)" : "no");
	else
		snprintf(b3, sizeof(b3), "%zu of %zu", count_in(r, false), total);
	tbl_row(&t, "Reserved", b3);
	b4[0] = '\0';
	if (a->tmask & PORT_TCP)
		snprintf(b4, sizeof(b4), "tcp %zu of %zu", count_free(r, IPPROTO_TCP), total);
	if (a->tmask & PORT_UDP)
		snprintf(b4 + strlen(b4), sizeof(b4) - strlen(b4), "%sudp %zu of %zu",
			 b4[0] ? ", " : "", count_free(r, IPPROTO_UDP), total);
	tbl_row(&t, "Free", b4);
	tbl_print(f, &t, "  ");

	fputs("\nIANA registry\n", f);
	tbl_init(&t, 5);
	tbl_row(&t, "PORT", "SERVICE", "TRANSPORT", "DESCRIPTION", "REFERENCE");
	while (port_reg_next(&it, &v)) {
		if (v.lo == v.hi)
			snprintf(b1, sizeof(b1), "%u", v.lo);
		else
			snprintf(b1, sizeof(b1), "%u-%u", v.lo, v.hi);
		tbl_row(&t, b1, *v.name ? v.name : "-", *port_transport_name(v.transport) ?
			port_transport_name(v.transport) : "-", v.desc, v.ref);
	}
	if (t.rows == 1 && a->lo >= 49152) {
		/* Say why rather than just "none": this range is unassignable. */
		fputs("  none: IANA never assigns Dynamic/Private ports (RFC 6335)\n", f);
		tbl_free(&t);
	}
	tbl_print(f, &t, "  ");

	fputs("\nKnown unofficial uses\n", f);
	it.pos = 0;
	tbl_init(&t, 4);
	tbl_row(&t, "PORTS", "TRANSPORT", "USE", "SOURCE");
	while (port_use_next(&it, &u)) {
		snprintf(b1, sizeof(b1), "%u-%u", u.lo, u.hi);
		if (u.lo == u.hi)
			snprintf(b1, sizeof(b1), "%u", u.lo);
		tbl_row(&t, b1, tmask_name(u.tmask), u.what, u.source);
	}
	tbl_print(f, &t, "  ");

	fprintf(f, "\nSockets (%zu)\n", r->socks->n);
	tbl_init(&t, 8);
	tbl_row(&t, "Netid", "State", "Local Address:Port", "Peer Address:Port", "User",
		"Inode", "Process", "Note");
	for (size_t i = 0; i < r->socks->n; i++) {
		const struct port_sock *s = &r->socks->v[i];
		endpoint(s, true, b1, sizeof(b1));
		endpoint(s, false, b2, sizeof(b2));
		user_name(s->uid, b3, sizeof(b3), a->numeric);
		snprintf(b5, sizeof(b5), "%u", s->inode);
		owners_text(r, i, b6, sizeof(b6));
		note_text(r, i, b7, sizeof(b7));
		tbl_row(&t, proto_name(s->proto), port_state_name(s->proto, s->state), b1, b2,
			b3, b5, b6, b7);
	}
	tbl_print(f, &t, "");
	for (int w = 0; w < r->nwarn; w++)
		fprintf(f, "note: %s\n", r->warn[w]);
}

static void json_sock(FILE *f, const struct port_report *r, size_t i, bool first)
{
	const struct port_sock *s = &r->socks->v[i];
	char a[INET6_ADDRSTRLEN], user[64];
	size_t k = port_owners_find(r->owners, s->inode);
	bool any = false;

	fprintf(f, "%s\n    {\"netns\": %llu, \"proto\": \"%s\", \"family\": \"%s\", "
		"\"state\": \"%s\", ", first ? "" : ",", (unsigned long long)s->netns,
		proto_name(s->proto), s->family == AF_INET ? "ip4" : "ip6",
		port_state_name(s->proto, s->state));
	port_addr_text(s->family, s->laddr, a, sizeof(a));
	fprintf(f, "\"local\": {\"addr\": \"%s\", \"port\": %u}, ", a, s->lport);
	port_addr_text(s->family, s->raddr, a, sizeof(a));
	fprintf(f, "\"peer\": {\"addr\": \"%s\", \"port\": %u}, ", a, s->rport);
	fprintf(f, "\"v4mapped\": %s, \"v6only\": %s, \"dual_stack\": %s, ",
		s->family == AF_INET6 && v4_mapped(s->laddr) ? "true" : "false",
		s->v6only < 0 ? "null" : s->v6only ? "true" : "false",
		port_sock_dual_stack(s) ? "true" : "false");
	fprintf(f, "\"recv_q\": %u, \"send_q\": %u, \"uid\": %u, \"user\": ", s->rqueue,
		s->wqueue, s->uid);
	if (r->args->numeric)
		fputs("null", f);
	else
		json_str(f, user_name(s->uid, user, sizeof(user), false));
	fprintf(f, ", \"inode\": %u, \"processes\": [", s->inode);
	for (; s->inode && k < r->owners->n && r->owners->v[k].inode == s->inode; k++) {
		fprintf(f, "%s{\"pid\": %d, \"command\": ", any ? ", " : "", r->owners->v[k].pid);
		json_str(f, r->owners->v[k].comm);
		fputc('}', f);
		any = true;
	}
	fprintf(f, "], \"owner_hidden\": %s, \"pool\": ",
		port_sock_owner_hidden(r, i) ? "true" : "false");
	if (r->pool_pid && r->pool_pid[i])
		fprintf(f, "{\"daemon\": \"portcullis\", \"pid\": %d}}", r->pool_pid[i]);
	else
		fputs("null}", f);
}

void port_out_ports_json(FILE *f, const struct port_report *r)
{
	const struct port_args *a = r->args;
	size_t total = (size_t)(a->hi - a->lo) + 1, cnt[3];
	struct port_reg_iter it = { PORT_REG_PORTS, a->lo, a->hi, NULL, a->tmask, 0 };
	struct port_reg_view v;
	struct port_use_view u;
	bool first = true;

	iana_summary(a, cnt);
	fprintf(f, "{\n  \"version\": 1,\n  \"query\": {\"kind\": \"%s\", \"low\": %u, "
		"\"high\": %u, \"transport\": \"%s\", \"all_netns\": %s},\n",
		a->kind == PORT_Q_PORT ? "port" : "range", a->lo, a->hi, tmask_name(a->tmask),
		a->all_netns ? "true" : "false");
	fprintf(f, "  \"facts\": {\"ports\": %zu, \"iana_range\": \"%s\", "
		"\"iana_counts\": {\"system\": %zu, \"user\": %zu, \"dynamic\": %zu}, ",
		total, cnt[0] == total ? "system" : cnt[1] == total ? "user"
			: cnt[2] == total ? "dynamic" : "mixed", cnt[0], cnt[1], cnt[2]);
	if (r->have_eph)
		fprintf(f, "\"ephemeral\": {\"low\": %u, \"high\": %u, \"inside\": %zu}, ",
			r->eph_lo, r->eph_hi, count_in(r, true));
	else
		fputs("\"ephemeral\": null, ", f);
	if (r->have_reserved)
		fprintf(f, "\"reserved\": %zu, ", count_in(r, false));
	else
		fputs("\"reserved\": null, ", f);
	fputs("\"free\": {", f);
	if (a->tmask & PORT_TCP)
		fprintf(f, "\"tcp\": %zu%s", count_free(r, IPPROTO_TCP),
			a->tmask & PORT_UDP ? ", " : "");
	if (a->tmask & PORT_UDP)
		fprintf(f, "\"udp\": %zu", count_free(r, IPPROTO_UDP));
	fputs("}},\n  \"registry\": [", f);
	while (port_reg_next(&it, &v)) {
		json_reg_row(f, &v, first);
		first = false;
	}
	fputs(first ? "],\n  \"known_uses\": [" : "\n  ],\n  \"known_uses\": [", f);
	it.pos = 0;
	first = true;
	while (port_use_next(&it, &u)) {
		json_use_row(f, &u, first);
		first = false;
	}
	fputs(first ? "],\n  \"sockets\": [" : "\n  ],\n  \"sockets\": [", f);
	for (size_t i = 0; i < r->socks->n; i++)
		json_sock(f, r, i, i == 0);
	fputs(r->socks->n ? "\n  ],\n  \"warnings\": [" : "],\n  \"warnings\": [", f);
	for (int w = 0; w < r->nwarn; w++) {
		fputs(w ? ", " : "", f);
		json_str(f, r->warn[w]);
	}
	fputs("]\n}\n", f);
}

/* ---- reverse lookups ---------------------------------------------------- */

static struct port_reg_iter names_iter(const struct port_args *a)
{
	struct port_reg_iter it = { a->kind == PORT_Q_LIKE ? PORT_REG_LIKE : PORT_REG_NAME,
				    0, 0, a->word, a->tmask, 0 };
	return it;
}

size_t port_out_names_text(FILE *f, const struct port_args *a)
{
	struct port_reg_iter it = names_iter(a);
	struct port_reg_view v;
	struct port_use_view u;
	struct tbl t;
	char b[32];
	size_t n = 0;

	tbl_init(&t, 5);
	tbl_row(&t, "SERVICE", "PORT", "TRANSPORT", "DESCRIPTION", "REFERENCE");
	while (port_reg_next(&it, &v)) {
		if (!v.has_port)
			snprintf(b, sizeof(b), "-");
		else if (v.lo == v.hi)
			snprintf(b, sizeof(b), "%u", v.lo);
		else
			snprintf(b, sizeof(b), "%u-%u", v.lo, v.hi);
		tbl_row(&t, *v.name ? v.name : "-", b, *port_transport_name(v.transport) ?
			port_transport_name(v.transport) : "-", v.desc, v.ref);
		n++;
	}
	if (a->kind == PORT_Q_LIKE)
		fprintf(f, "IANA registry entries matching \"%s\" (%zu)\n", a->word, n);
	else
		fprintf(f, "IANA registry entries for service \"%s\" (%zu)\n", a->word, n);
	tbl_print(f, &t, "  ");
	if (a->kind != PORT_Q_LIKE)
		return n;
	fputs("\nKnown unofficial uses\n", f);
	it = names_iter(a);
	tbl_init(&t, 4);
	tbl_row(&t, "PORTS", "TRANSPORT", "USE", "SOURCE");
	while (port_use_next(&it, &u)) {
		snprintf(b, sizeof(b), u.lo == u.hi ? "%u" : "%u-%u", u.lo, u.hi);
		tbl_row(&t, b, tmask_name(u.tmask), u.what, u.source);
		n++;
	}
	tbl_print(f, &t, "  ");
	return n;
}

size_t port_out_names_json(FILE *f, const struct port_args *a)
{
	struct port_reg_iter it = names_iter(a);
	struct port_reg_view v;
	struct port_use_view u;
	bool first = true;
	size_t n = 0;

	fprintf(f, "{\n  \"version\": 1,\n  \"query\": {\"kind\": \"%s\", \"text\": ",
		a->kind == PORT_Q_LIKE ? "like" : "service");
	json_str(f, a->word);
	fprintf(f, ", \"transport\": \"%s\"},\n  \"registry\": [", tmask_name(a->tmask));
	while (port_reg_next(&it, &v)) {
		json_reg_row(f, &v, first);
		first = false;
		n++;
	}
	fputs(first ? "],\n  \"known_uses\": [" : "\n  ],\n  \"known_uses\": [", f);
	first = true;
	if (a->kind == PORT_Q_LIKE) {
		it = names_iter(a);
		while (port_use_next(&it, &u)) {
			json_use_row(f, &u, first);
			first = false;
			n++;
		}
	}
	fputs(first ? "]\n}\n" : "\n  ]\n}\n", f);
	return n;
}
