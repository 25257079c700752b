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

const char *port_proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : "udp";
}

const char *port_tmask_name(unsigned m)
{
	return m == PORT_BOTH ? "tcp+udp" : m == PORT_TCP ? "tcp" : "udp";
}

const char *port_user_name(uint32_t uid, char *buf, size_t len, bool numeric)
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

/* ---- shared helpers ----------------------------------------------------- */

bool port_sock_in_item(const struct port_sock *s, const struct port_item *it)
{
	unsigned t = s->proto == IPPROTO_TCP ? PORT_TCP : PORT_UDP;

	if (!(it->tmask & t))
		return false;
	return (s->lport >= it->lo && s->lport <= it->hi) ||
	       (s->rport != 0 && s->rport >= it->lo && s->rport <= it->hi);
}

size_t port_count_in(const struct port_report *r, const struct port_item *it, bool eph)
{
	size_t n = 0;

	for (uint32_t p = it->lo; p <= it->hi; p++) {
		if (eph ? (r->have_eph && p >= r->eph_lo && p <= r->eph_hi)
			: (r->have_reserved && port_bit_get(r->reserved, (uint16_t)p)))
			n++;
	}
	return n;
}

size_t port_count_free(const struct port_report *r, const struct port_item *it, uint8_t proto)
{
	static uint8_t used[8192];
	size_t n = (size_t)(it->hi - it->lo) + 1;

	memset(used, 0, sizeof(used));
	for (size_t i = 0; i < r->socks->n; i++) {
		const struct port_sock *s = &r->socks->v[i];
		if (s->proto != proto || s->netns != r->self_ns || s->lport < it->lo ||
		    s->lport > it->hi || port_bit_get(used, s->lport))
			continue;
		used[s->lport >> 3] |= (uint8_t)(1u << (s->lport & 7));
		n--;
	}
	return n;
}

void port_iana_summary(const struct port_item *it, size_t cnt[3])
{
	static const uint32_t edge[3][2] = { { 0, 1023 }, { 1024, 49151 }, { 49152, 65535 } };

	for (int i = 0; i < 3; i++) {
		uint32_t lo = it->lo > edge[i][0] ? it->lo : edge[i][0];
		uint32_t hi = it->hi < edge[i][1] ? it->hi : edge[i][1];
		cnt[i] = lo <= hi ? hi - lo + 1 : 0;
	}
}

void port_owners_text(const struct port_report *r, size_t i, char *buf, size_t len)
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

void port_endpoint(const struct port_sock *s, bool local, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	uint16_t port = local ? s->lport : s->rport;

	port_addr_text(s->family, local ? s->laddr : s->raddr, a, sizeof(a));
	if (port == 0 && !local)
		snprintf(buf, len, shown_as_v6(s, local) ? "[%s]:*" : "%s:*", a);
	else
		snprintf(buf, len, shown_as_v6(s, local) ? "[%s]:%u" : "%s:%u", a, port);
}

const struct port_nslabel *port_ns_label(const struct port_report *r, uint64_t ino)
{
	for (size_t i = 0; i < r->nns; i++)
		if (r->ns[i].ino == ino)
			return &r->ns[i];
	return NULL;
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
		first ? "" : ",", u->lo, u->hi, port_tmask_name(u->tmask));
	json_str(f, u->what);
	fputs(", \"source\": ", f);
	json_str(f, u->source);
	fputc('}', f);
}

/* ---- port, range and list answers ---------------------------------------- */

static void json_pool(FILE *f, const struct port_report *r, size_t i)
{
	const struct port_pool_sock *e = r->pool_ent ? r->pool_ent[i] : NULL;

	if (!r->pool_pid || !r->pool_pid[i]) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"daemon\": \"portcullis\", \"pid\": %d", r->pool_pid[i]);
	if (e) {
		fprintf(f, ", \"sent\": %llu, \"accepted\": %llu, \"dropped\": %llu, \"idle_ms\": ",
			(unsigned long long)e->sent, (unsigned long long)e->accepted,
			(unsigned long long)e->dropped);
		if (e->idle_ms < 0)
			fputs("null", f);
		else
			fprintf(f, "%lld", (long long)e->idle_ms);
		fputs(", \"peers\": [", f);
		for (size_t k = 0; k < e->npeers; k++) {
			fputs(k ? ", {\"addr\": " : "{\"addr\": ", f);
			json_str(f, e->peers[k].addr);
			fprintf(f, ", \"port\": %u, \"queries\": %u}", e->peers[k].port,
				e->peers[k].queries);
		}
		fputc(']', f);
	}
	fputc('}', f);
}

static void json_sock(FILE *f, const struct port_report *r, size_t i, bool first)
{
	const struct port_sock *s = &r->socks->v[i];
	const struct port_nslabel *ns = port_ns_label(r, s->netns);
	char a[INET6_ADDRSTRLEN], user[64];
	size_t k = port_owners_find(r->owners, s->inode);
	bool any = false;

	fprintf(f, "%s\n    {\"netns\": %llu, \"netns_pid\": ", first ? "" : ",",
		(unsigned long long)s->netns);
	if (ns && ns->pid)
		fprintf(f, "%d", ns->pid);
	else
		fputs("null", f);
	fputs(", \"netns_name\": ", f);
	if (ns && ns->name[0])
		json_str(f, ns->name);
	else
		fputs("null", f);
	fprintf(f, ", \"proto\": \"%s\", \"family\": \"%s\", \"state\": \"%s\", ",
		port_proto_name(s->proto), s->family == AF_INET ? "ip4" : "ip6",
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
		json_str(f, port_user_name(s->uid, user, sizeof(user), false));
	fprintf(f, ", \"inode\": %u, \"processes\": [", s->inode);
	for (; s->inode && k < r->owners->n && r->owners->v[k].inode == s->inode; k++) {
		fprintf(f, "%s{\"pid\": %d, \"command\": ", any ? ", " : "", r->owners->v[k].pid);
		json_str(f, r->owners->v[k].comm);
		fputc('}', f);
		any = true;
	}
	fprintf(f, "], \"owner_hidden\": %s, \"pool\": ",
		port_sock_owner_hidden(r, i) ? "true" : "false");
	json_pool(f, r, i);
	fputc('}', f);
}

/* The sockets of one item (NULL: all of them), as a JSON array. */
static void json_socks(FILE *f, const struct port_report *r, const struct port_item *it)
{
	bool first = true;

	fputs("[", f);
	for (size_t i = 0; i < r->socks->n; i++) {
		if (it && !port_sock_in_item(&r->socks->v[i], it))
			continue;
		json_sock(f, r, i, first);
		first = false;
	}
	fputs(first ? "]" : "\n  ]", f);
}

static void json_warnings(FILE *f, const struct port_report *r)
{
	fputs("\"warnings\": [", f);
	for (int w = 0; w < r->nwarn; w++) {
		fputs(w ? ", " : "", f);
		json_str(f, r->warn[w]);
	}
	fputc(']', f);
}

/* "netns_search": what --all-netns could and could not see; null without it. */
static void json_netns_search(FILE *f, const struct port_report *r)
{
	if (!r->args->all_netns) {
		fputs("\"netns_search\": null", f);
		return;
	}
	fprintf(f, "\"netns_search\": {\"searched\": %zu, \"not_entered\": %zu, "
		"\"unreadable_processes\": %zu}", r->nns, r->ns_failed, r->ns_unreadable);
}

/* Distinct ports bound (as local port, in our namespace) per transport. */
static size_t count_bound(const struct port_report *r, const struct port_item *it, uint8_t proto)
{
	return (size_t)(it->hi - it->lo) + 1 - port_count_free(r, it, proto);
}

static void json_item(FILE *f, const struct port_report *r, const struct port_item *it)
{
	size_t total = (size_t)(it->hi - it->lo) + 1, cnt[3];
	struct port_reg_iter ri = { PORT_REG_PORTS, it->lo, it->hi, NULL, it->tmask, 0 };
	struct port_reg_view v;
	struct port_use_view u;
	bool first = true;

	port_iana_summary(it, cnt);
	fprintf(f, "{\n  \"version\": 1,\n  \"query\": {\"kind\": \"%s\", \"low\": %u, "
		"\"high\": %u, \"transport\": \"%s\", \"all_netns\": %s},\n",
		it->lo == it->hi ? "port" : "range", it->lo, it->hi, port_tmask_name(it->tmask),
		r->args->all_netns ? "true" : "false");
	fprintf(f, "  \"facts\": {\"ports\": %zu, \"iana_range\": \"%s\", "
		"\"iana_counts\": {\"system\": %zu, \"user\": %zu, \"dynamic\": %zu}, ",
		total, cnt[0] == total ? "system" : cnt[1] == total ? "user"
			: cnt[2] == total ? "dynamic" : "mixed", cnt[0], cnt[1], cnt[2]);
	if (r->have_eph)
		fprintf(f, "\"ephemeral\": {\"low\": %u, \"high\": %u, \"inside\": %zu}, ",
			r->eph_lo, r->eph_hi, port_count_in(r, it, true));
	else
		fputs("\"ephemeral\": null, ", f);
	if (r->have_reserved)
		fprintf(f, "\"reserved\": %zu, ", port_count_in(r, it, false));
	else
		fputs("\"reserved\": null, ", f);
	for (int pass = 0; pass < 2; pass++) {
		fputs(pass ? ", \"bound\": {" : "\"free\": {", f);
		if (it->tmask & PORT_TCP)
			fprintf(f, "\"tcp\": %zu%s", pass ? count_bound(r, it, IPPROTO_TCP)
				: port_count_free(r, it, IPPROTO_TCP), it->tmask & PORT_UDP ? ", " : "");
		if (it->tmask & PORT_UDP)
			fprintf(f, "\"udp\": %zu", pass ? count_bound(r, it, IPPROTO_UDP)
				: port_count_free(r, it, IPPROTO_UDP));
		fputc('}', f);
	}
	fputs("},\n  \"registry\": [", f);
	while (port_reg_next(&ri, &v)) {
		json_reg_row(f, &v, first);
		first = false;
	}
	fputs(first ? "],\n  \"known_uses\": [" : "\n  ],\n  \"known_uses\": [", f);
	ri.pos = 0;
	first = true;
	while (port_use_next(&ri, &u)) {
		json_use_row(f, &u, first);
		first = false;
	}
	fputs(first ? "],\n  \"sockets\": " : "\n  ],\n  \"sockets\": ", f);
	json_socks(f, r, it);
	fputs(",\n  ", f);
	json_netns_search(f, r);
	fputs(",\n  ", f);
	json_warnings(f, r);
	fputs("\n}", f);
}

void port_out_ports_json(FILE *f, const struct port_report *r)
{
	const struct port_args *a = r->args;

	if (a->kind != PORT_Q_LIST) {
		json_item(f, r, &r->items[0]);
		fputc('\n', f);
		return;
	}
	fprintf(f, "{\n\"version\": 1,\n\"query\": {\"kind\": \"list\", \"items\": [");
	for (size_t i = 0; i < r->nitems; i++)
		fprintf(f, "%s{\"low\": %u, \"high\": %u, \"transport\": \"%s\"}", i ? ", " : "",
			r->items[i].lo, r->items[i].hi, port_tmask_name(r->items[i].tmask));
	fprintf(f, "], \"all_netns\": %s},\n\"answers\": [\n", a->all_netns ? "true" : "false");
	for (size_t i = 0; i < r->nitems; i++) {
		json_item(f, r, &r->items[i]);
		fputs(i + 1 < r->nitems ? ",\n" : "\n", f);
	}
	fputs("],\n", f);
	json_netns_search(f, r);
	fputs(",\n", f);
	json_warnings(f, r);
	fputs("\n}\n", f);
}

void port_out_service_json(FILE *f, const struct port_report *r)
{
	const struct port_args *a = r->args;
	struct port_reg_iter it = { PORT_REG_NAME, 0, 0, a->word, a->tmask, 0 };
	struct port_reg_view v;
	bool first = true;

	fprintf(f, "{\n  \"version\": 1,\n  \"query\": {\"kind\": \"service\", \"text\": ");
	json_str(f, a->word);
	fprintf(f, ", \"transport\": \"%s\", \"all_netns\": %s},\n  \"registry\": [",
		port_tmask_name(a->tmask), a->all_netns ? "true" : "false");
	while (port_reg_next(&it, &v)) {
		json_reg_row(f, &v, first);
		first = false;
	}
	fputs(first ? "],\n  \"known_uses\": [],\n  \"ports\": ["
		    : "\n  ],\n  \"known_uses\": [],\n  \"ports\": [", f);
	for (size_t i = 0; i < r->nitems; i++)
		fprintf(f, "%s{\"low\": %u, \"high\": %u, \"transport\": \"%s\"}", i ? ", " : "",
			r->items[i].lo, r->items[i].hi, port_tmask_name(r->items[i].tmask));
	fputs("],\n  \"sockets\": ", f);
	json_socks(f, r, NULL);
	fputs(",\n  ", f);
	json_netns_search(f, r);
	fputs(",\n  ", f);
	json_warnings(f, r);
	fputs("\n}\n", f);
}

/* ---- reverse lookups ---------------------------------------------------- */

static struct port_reg_iter names_iter(const struct port_args *a)
{
	struct port_reg_iter it = { a->kind == PORT_Q_LIKE ? PORT_REG_LIKE : PORT_REG_NAME,
				    0, 0, a->word, a->tmask, 0 };
	return it;
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
	fprintf(f, ", \"transport\": \"%s\"},\n  \"registry\": [", port_tmask_name(a->tmask));
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
