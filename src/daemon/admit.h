/* admit: the checks a client query passes before the cache or the resolver
 * sees it, and the answers given on the spot instead.
 *
 * The order and the answers follow Unbound's, which operators compare us
 * with:
 *  - an opcode other than QUERY and NOTIFY: NOTIMP (checked first, before
 *    the question is required, so an IQUERY without one still gets NOTIMP);
 *  - a malformed query or one without a question: FORMERR (the caller);
 *  - AXFR, IXFR: REFUSED (no zone transfers from a resolver);
 *  - meta types that are never data (OPT, TKEY, TSIG, MAILA, MAILB and the
 *    meta range 128-248): FORMERR;
 *  - EDNS of a version other than 0: BADVERS (RFC 6891 section 6.1.3:
 *    extended RCODE 16, with an OPT of version 0 in the reply);
 *  - class CH: id.server and hostname.bind TXT give the identity,
 *    version.server and version.bind TXT the version (each unless hidden);
 *    anything else in CH is REFUSED;
 *  - NOTIFY: REFUSED (we serve no zone), the opcode kept in the reply;
 *  - any class but IN (CLASS0, HS, NONE, ANY, ...): REFUSED.
 * None of these goes upstream. The checks read the parsed query only and
 * cost a few compares; a query answered from the packet cache never gets
 * here (its bytes were admitted when the answer was kept). */
#ifndef PC_DAEMON_ADMIT_H
#define PC_DAEMON_ADMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "wire/wire.h"

struct config;

/* Text of version.bind when the version key is not set. */
#define PC_VERSION_TEXT "portcullis " PC_VERSION

/* Extended RCODE of a query with an EDNS version we do not speak. */
#define ADMIT_RC_BADVERS 16

enum admit_verdict {
	ADMIT_RESOLVE = 0, /* an ordinary IN query: the cache, then the resolver */
	ADMIT_ANSWER,      /* *a holds the answer: write it as any other */
	ADMIT_ERROR,       /* a->rcode: header and question only, opcode kept */
};

/* The RCODE for a query whose header flags carry an opcode we do not
 * serve (NOTIMP), or 0 to go on. */
static inline unsigned admit_opcode(uint16_t flags)
{
	unsigned op = WIRE_OPCODE(flags);
	return op == 0 || op == 4 ? 0 : WIRE_RC_NOTIMP; /* QUERY, NOTIFY */
}

/* The common case in a few compares, so that a cache hit pays no call:
 * true when admit_query would say ADMIT_RESOLVE for sure (an IN query of
 * a data type below the meta range, opcode QUERY, EDNS absent or 0). */
static inline bool admit_plain(const struct wire_msg *m)
{
	/* (edns_version is 0 when the query has no OPT) */
	return m->qclass == WIRE_C_IN && m->qtype < 128 && m->qtype != WIRE_T_OPT &&
	       (m->flags & 0x7800) == 0 && m->edns_version == 0;
}

/* The verdict on a parsed query with a question. On ADMIT_ANSWER and
 * ADMIT_ERROR, *a is filled (rcode, and for a CH answer one TXT record
 * whose owner and rdata live in this thread's scratch, valid until the
 * thread's next call). Any thread. */
enum admit_verdict admit_query(const struct config *cfg, const struct wire_msg *m,
			       struct core_answer *a);

#endif
