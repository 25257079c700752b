#include "net/match.h"

#include <netinet/in.h>
#include <string.h>

#include "util/sockaddr.h"

static const char *const verdict_names[MATCH_N] = {
	[MATCH_ACCEPT] = "accept",
	[MATCH_FRAGMENTED] = "fragmented",
	[MATCH_MALFORMED_HEAD] = "malformed_head",
	[MATCH_UNSOLICITED] = "unsolicited",
	[MATCH_WRONG_SOCKET] = "wrong_socket",
	[MATCH_BAD_ID] = "bad_id",
	[MATCH_BAD_ADDRESS] = "bad_address",
	[MATCH_BAD_PORT] = "bad_port",
	[MATCH_NOT_RESPONSE] = "not_response",
	[MATCH_BAD_QTYPE] = "bad_qtype",
	[MATCH_BAD_QCLASS] = "bad_qclass",
	[MATCH_BAD_QNAME] = "bad_qname",
	[MATCH_BAD_CASE] = "bad_case",
	[MATCH_MALFORMED] = "malformed",
	[MATCH_BAD_COOKIE] = "bad_cookie",
};

const char *match_verdict_name(enum match_verdict v)
{
	return (unsigned)v < MATCH_N ? verdict_names[v] : "?";
}

enum match_verdict match_head(const struct match_dgram *d, struct match_head *h)
{
	/* A later fragment can be forged without knowing port or ID (they sit
	 * in the first one): nothing in such a datagram can be trusted. */
	if (d->fragmented && d->refuse_fragmented)
		return MATCH_FRAGMENTED;
	if (wire_parse_question(d->pkt, d->len, &h->id, &h->flags, h->qname, &h->qtype,
				&h->qclass) != 0)
		return MATCH_MALFORMED_HEAD;
	return MATCH_ACCEPT;
}

/* Which part of the source differs from the server's: the family or the
 * address, or (the address being right) the port. */
static enum match_verdict source(const struct sockaddr_storage *want,
				 const struct sockaddr_storage *got)
{
	if (sockaddr_equal(want, got))
		return MATCH_ACCEPT;
	if (want->ss_family != got->ss_family)
		return MATCH_BAD_ADDRESS;
	if (want->ss_family == AF_INET) {
		const struct sockaddr_in *w = (const void *)want, *g = (const void *)got;
		return w->sin_addr.s_addr != g->sin_addr.s_addr ? MATCH_BAD_ADDRESS : MATCH_BAD_PORT;
	}
	if (want->ss_family == AF_INET6) {
		const struct sockaddr_in6 *w = (const void *)want, *g = (const void *)got;
		return memcmp(&w->sin6_addr, &g->sin6_addr, sizeof(w->sin6_addr)) != 0
			       ? MATCH_BAD_ADDRESS
			       : MATCH_BAD_PORT;
	}
	return MATCH_BAD_ADDRESS;
}

/* Lowercase the question name where it sits, right after the header. Only
 * a name stored there in full (uncompressed: its bytes are the name that
 * matched) is touched; one that is a compression pointer has no letters of
 * its own there. */
static void lower_question(uint8_t *pkt, size_t len, const uint8_t *qname)
{
	size_t n = wire_name_len(qname);
	if (len < WIRE_HDR_LEN || len - WIRE_HDR_LEN < n ||
	    memcmp(pkt + WIRE_HDR_LEN, qname, n) != 0)
		return;
	wire_name_lower(pkt + WIRE_HDR_LEN);
}

enum match_verdict match_check(const struct match_query *q, const struct match_dgram *d,
			       const struct match_head *h, struct wire_msg *msg,
			       struct match_info *info)
{
	info->cookie = SRV_COOKIE_NONE;
	info->server_cookie = NULL;
	info->server_cookie_len = 0;
	info->case_echoed = false;
	if (q == NULL)
		return d->outstanding == 0 ? MATCH_UNSOLICITED : MATCH_BAD_ID;
	if (!d->tcp) {
		if (d->sock != q->sock)
			return MATCH_WRONG_SOCKET;
	}
	if (h->id != q->id)
		return MATCH_BAD_ID;
	if (!d->tcp) {
		enum match_verdict v = source(q->server, d->from);
		if (v != MATCH_ACCEPT)
			return v;
	}
	if (!(h->flags & WIRE_F_QR))
		return MATCH_NOT_RESPONSE;
	if (h->qtype != q->qtype)
		return MATCH_BAD_QTYPE;
	if (h->qclass != q->qclass)
		return MATCH_BAD_QCLASS;
	if (!wire_name_eq(h->qname, q->qname))
		return MATCH_BAD_QNAME;
	info->case_echoed = wire_name_eq_exact(h->qname, q->qname);
	/* All right but the letter case: the server does not echo 0x20, or a
	 * forger who has port and ID lacks the case bits. Over UDP it is
	 * dropped; the caller asks over TCP to tell the two apart. */
	if (!info->case_echoed && !d->tcp)
		return MATCH_BAD_CASE;
	lower_question(d->pkt, d->len, h->qname);
	/* Right socket, source, ID and question, but it must also parse in full:
	 * a broken packet must not end the wait for the genuine reply. */
	if (wire_parse(msg, d->pkt, d->len) != 0)
		return MATCH_MALFORMED;
	if (q->cookie_sent) {
		info->cookie = srv_cookie_check(msg->edns_opts, msg->edns_opts_len, q->cookie,
						&info->server_cookie, &info->server_cookie_len);
		if (info->cookie != SRV_COOKIE_OK) {
			info->server_cookie = NULL;
			info->server_cookie_len = 0;
		}
		/* Not our cookie, or none from a server that has given us one:
		 * whoever sent this did not see our query. */
		if (!d->tcp && (info->cookie == SRV_COOKIE_BAD ||
				(info->cookie == SRV_COOKIE_NONE && q->cookie_required)))
			return MATCH_BAD_COOKIE;
	}
	return MATCH_ACCEPT;
}

enum match_verdict match_reply(const struct match_query *q, const struct match_dgram *d,
			       struct wire_msg *msg, struct match_info *info)
{
	struct match_head h;
	enum match_verdict v = match_head(d, &h);
	if (v != MATCH_ACCEPT) {
		info->cookie = SRV_COOKIE_NONE;
		info->server_cookie = NULL;
		info->server_cookie_len = 0;
		info->case_echoed = false;
		return v;
	}
	return match_check(q, d, &h, msg, info);
}
