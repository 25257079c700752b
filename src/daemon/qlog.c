/* qlog: one line per query or answer (qlog.h). */
#include "daemon/qlog.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

#include <ldns/ldns.h>

#include "util/log.h"
#include "wire/wire.h"

static void peer_text(const struct sockaddr_storage *sa, char *out, size_t cap)
{
	const void *a = sa->ss_family == AF_INET
				? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (inet_ntop(sa->ss_family, a, out, (socklen_t)cap) == NULL)
		snprintf(out, cap, "?");
}

void qlog_type_text(uint16_t type, char *out, size_t cap)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);
	if (d != NULL && d->_name != NULL)
		snprintf(out, cap, "%s", d->_name);
	else
		snprintf(out, cap, "TYPE%u", type);
}

void qlog_class_text(uint16_t qclass, char *out, size_t cap)
{
	switch (qclass) {
	case 1: snprintf(out, cap, "IN"); break;
	case 3: snprintf(out, cap, "CH"); break;
	case 4: snprintf(out, cap, "HS"); break;
	case 254: snprintf(out, cap, "NONE"); break;
	case 255: snprintf(out, cap, "ANY"); break;
	default: snprintf(out, cap, "CLASS%u", qclass); break;
	}
}

static void rcode_text(unsigned rcode, char *out, size_t cap)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					     "NOTIMPL", "REFUSED", "YXDOMAIN", "YXRRSET",
					     "NXRRSET", "NOTAUTH", "NOTZONE" };
	if (rcode < sizeof(names) / sizeof(names[0]))
		snprintf(out, cap, "%s", names[rcode]);
	else
		snprintf(out, cap, "RCODE%u", rcode);
}

size_t qlog_msg_len(const uint8_t *msg, size_t cap)
{
	struct wire_rd r;
	uint16_t counts[4], u16;
	uint8_t name[WIRE_NAME_MAX];
	wire_rd_init(&r, msg, cap);
	if (wire_rd_skip(&r, 4) != 0)
		return 0;
	for (int i = 0; i < 4; i++)
		if (wire_rd_u16(&r, &counts[i]) != 0)
			return 0;
	for (unsigned q = 0; q < counts[0]; q++)
		if (wire_rd_name(&r, name) < 0 || wire_rd_skip(&r, 4) != 0)
			return 0;
	for (int s = 1; s < 4; s++) {
		for (unsigned i = 0; i < counts[s]; i++) {
			if (wire_rd_name(&r, name) < 0 || wire_rd_skip(&r, 8) != 0 ||
			    wire_rd_u16(&r, &u16) != 0 || wire_rd_skip(&r, u16) != 0)
				return 0;
		}
	}
	return r.pos;
}

struct words {
	char peer[INET6_ADDRSTRLEN], name[WIRE_NAME_MAX * 4 + 1], type[24], qclass[16];
};

static void words_of(struct words *w, const struct sockaddr_storage *peer,
		     const uint8_t *qname, uint16_t qtype, uint16_t qclass)
{
	peer_text(peer, w->peer, sizeof(w->peer));
	if (wire_name_to_text(qname, w->name, sizeof(w->name)) < 0)
		snprintf(w->name, sizeof(w->name), "?");
	qlog_type_text(qtype, w->type, sizeof(w->type));
	qlog_class_text(qclass, w->qclass, sizeof(w->qclass));
}

void qlog_query(const struct sockaddr_storage *peer, const uint8_t *qname, uint16_t qtype,
		uint16_t qclass)
{
	struct words w;
	words_of(&w, peer, qname, qtype, qclass);
	log_always(LOG_INFO, "%s %s %s %s", w.peer, w.name, w.type, w.qclass);
}

void qlog_reply(const struct sockaddr_storage *peer, const uint8_t *qname, uint16_t qtype,
		uint16_t qclass, unsigned rcode, uint64_t us, bool cached, size_t len)
{
	struct words w;
	char rc[16];
	words_of(&w, peer, qname, qtype, qclass);
	rcode_text(rcode, rc, sizeof(rc));
	log_always(LOG_INFO, "%s %s %s %s %s %llu.%06u %d %zu", w.peer, w.name, w.type, w.qclass,
		   rc, (unsigned long long)(us / 1000000), (unsigned)(us % 1000000), cached ? 1 : 0,
		   len);
}
