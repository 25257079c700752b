/* match: the RFC 5452 §9.1 check of an upstream reply, as a pure function.
 *
 * A reply is accepted only if it arrived on the socket the query left from,
 * from the server's address and port, with the query's ID, QR set, and the
 * exact question (QNAME byte for byte, 0x20 letter case included, QTYPE,
 * QCLASS); if the whole message parses; and, when we sent a DNS cookie and
 * the server has given us one before, if it carries our client cookie.
 * Anything else gets a named drop reason. Nothing here touches a socket, a
 * clock, a table or a counter: the caller (net/upstream.c) finds the
 * outstanding query, hands both sides in, and acts on the verdict. */
#ifndef PC_NET_MATCH_H
#define PC_NET_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/srvstate.h"
#include "wire/wire.h"

/* The verdict, in the order the checks run: the first that fails names it. */
enum match_verdict {
	MATCH_ACCEPT = 0,
	MATCH_FRAGMENTED,      /* reassembled from IP fragments (and they are refused) */
	MATCH_MALFORMED_HEAD,  /* header or question does not parse, or QDCOUNT != 1 */
	MATCH_UNSOLICITED,     /* no query outstanding on the socket at all */
	MATCH_WRONG_SOCKET,    /* arrived on another socket than the query left from */
	MATCH_BAD_ID,          /* no query on that socket with that ID */
	MATCH_BAD_ADDRESS,     /* source address (or family) is not the server's */
	MATCH_BAD_PORT,        /* the server's address, another source port */
	MATCH_NOT_RESPONSE,    /* QR clear */
	MATCH_BAD_QTYPE,
	MATCH_BAD_QCLASS,
	MATCH_BAD_QNAME,       /* another name, ignoring case */
	MATCH_BAD_CASE,        /* the name, but not the 0x20 letter case we sent */
	MATCH_MALFORMED,       /* the question matches but the whole message does not parse */
	MATCH_BAD_COOKIE,      /* not our client cookie, or none where one is required */
	MATCH_N
};

/* The outstanding query, as it left. */
struct match_query {
	const void *sock;                      /* identity of the socket it left from */
	const struct sockaddr_storage *server; /* address and port it went to */
	uint16_t id;
	const uint8_t *qname;                  /* as sent: its letter case is the 0x20 pattern */
	uint16_t qtype, qclass;
	bool cookie_sent;
	const uint8_t *cookie;                 /* the client cookie sent (when cookie_sent) */
	bool cookie_required;                  /* the server gave us a cookie for it before */
};

/* The datagram as it arrived. The question's letters are lowercased in
 * place once the question matched (names compressed against it would carry
 * the 0x20 pattern into the cache otherwise).
 *
 * Over TCP (the query's own connection, out of an off-path forger's reach)
 * the socket and source are not compared, the name is compared ignoring
 * case (how a server that does not echo 0x20 still gets answered; whether
 * it echoed is noted), and the cookie is judged but never a reason to drop. */
struct match_dgram {
	bool tcp;
	const void *sock;                    /* the socket it arrived on (UDP) */
	const struct sockaddr_storage *from; /* its source (UDP) */
	uint8_t *pkt;
	size_t len;
	bool fragmented;                     /* reassembled from fragments ... */
	bool refuse_fragmented;              /* ... and that is a reason to drop it */
	unsigned outstanding;                /* queries waiting on the socket (for UNSOLICITED) */
};

/* What else the check learned. */
struct match_info {
	enum srv_cookie cookie;         /* the COOKIE option's judgement (when cookie_sent) */
	const uint8_t *server_cookie;   /* into pkt, when cookie == SRV_COOKIE_OK */
	size_t server_cookie_len;
	bool case_echoed;               /* the question came back in the case it left in */
};

/* The header and question of d: MATCH_ACCEPT with *h filled (the ID to look
 * the query up by), or MATCH_FRAGMENTED / MATCH_MALFORMED_HEAD. */
struct match_head {
	uint16_t id, flags, qtype, qclass;
	uint8_t qname[WIRE_NAME_MAX];
};
enum match_verdict match_head(const struct match_dgram *d, struct match_head *h);

/* Judge d, whose header h came from match_head, against q (NULL when no
 * query waits on that socket with that ID). On MATCH_ACCEPT msg holds the
 * parsed reply; info is filled as far as the checks went. */
enum match_verdict match_check(const struct match_query *q, const struct match_dgram *d,
			       const struct match_head *h, struct wire_msg *msg,
			       struct match_info *info);

/* match_head then match_check: the whole judgement of one datagram. */
enum match_verdict match_reply(const struct match_query *q, const struct match_dgram *d,
			       struct wire_msg *msg, struct match_info *info);

/* Short name of a verdict ("accept", "bad_port", ...). */
const char *match_verdict_name(enum match_verdict v);

#endif
