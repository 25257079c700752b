/* admit: the checks a client query passes first (admit.h says which). */
#include "daemon/admit.h"

#include <string.h>
#include <unistd.h>

#include "daemon/config.h"

#define OPCODE_NOTIFY 4

#define T_TKEY 249
#define T_TSIG 250
#define T_MAILB 253
#define T_MAILA 254

/* Types that only mean something inside a message or to an authoritative
 * server, never as data a resolver could look up. */
static bool meta_type(uint16_t t)
{
	return t == WIRE_T_OPT || t == T_TKEY || t == T_TSIG || t == T_MAILA || t == T_MAILB ||
	       (t >= 128 && t <= 248);
}

static bool name_is(const uint8_t *name, const char *wire)
{
	return wire_name_eq(name, (const uint8_t *)wire);
}

/* The record of a CH TXT answer: one character-string. Its owner is the
 * question's name lowered (so the writer points at the question) and its
 * rdata this thread's copy of the text. */
static enum admit_verdict txt_answer(const struct wire_msg *m, const char *text,
				     struct core_answer *a)
{
	static _Thread_local uint8_t owner[WIRE_NAME_MAX];
	static _Thread_local uint8_t rdata[256];
	size_t n = strlen(text);
	if (n > 255)
		n = 255;
	rdata[0] = (uint8_t)n;
	memcpy(rdata + 1, text, n);
	wire_name_copy(owner, m->qname);
	wire_name_lower(owner);
	a->rcode = WIRE_RC_NOERROR;
	a->n_an = 1;
	a->an[0] = (struct core_rr){ .owner = owner, .type = WIRE_T_TXT, .rclass = WIRE_C_CH,
				     .ttl = 0, .rdata = rdata, .rdlen = (uint16_t)(n + 1) };
	return ADMIT_ANSWER;
}

/* The host name, as Unbound gives it for an unset identity. */
static const char *host_name(void)
{
	static _Thread_local char buf[256];
	if (gethostname(buf, sizeof(buf) - 1) != 0)
		return "no hostname";
	buf[sizeof(buf) - 1] = '\0';
	return buf;
}

/* Class CH: the server's own names, or REFUSED. */
static enum admit_verdict chaos(const struct config *cfg, const struct wire_msg *m,
				struct core_answer *a)
{
	if (m->qtype == WIRE_T_TXT || m->qtype == WIRE_T_ANY) {
		if (!cfg->hide_identity &&
		    (name_is(m->qname, "\2id\6server") || name_is(m->qname, "\10hostname\4bind")))
			return txt_answer(m, cfg->identity[0] ? cfg->identity : host_name(), a);
		if (!cfg->hide_version && (name_is(m->qname, "\7version\6server") ||
					   name_is(m->qname, "\7version\4bind")))
			return txt_answer(m, cfg->version[0] ? cfg->version : PC_VERSION_TEXT, a);
	}
	a->rcode = WIRE_RC_REFUSED;
	return ADMIT_ANSWER;
}

enum admit_verdict admit_query(const struct config *cfg, const struct wire_msg *m,
			       struct core_answer *a)
{
	a->n_an = a->n_ns = 0;
	a->secure = false;
	a->ede = CORE_EDE_NONE;
	if (m->qtype == WIRE_T_AXFR || m->qtype == WIRE_T_IXFR) {
		a->rcode = WIRE_RC_REFUSED;
		return ADMIT_ANSWER;
	}
	if (meta_type(m->qtype)) {
		a->rcode = WIRE_RC_FORMERR;
		return ADMIT_ANSWER;
	}
	if (m->has_edns && m->edns_version != 0) {
		a->rcode = ADMIT_RC_BADVERS;
		return ADMIT_ANSWER;
	}
	if (m->qclass == WIRE_C_CH)
		return chaos(cfg, m, a);
	if (WIRE_OPCODE(m->flags) == OPCODE_NOTIFY) {
		a->rcode = WIRE_RC_REFUSED;
		return ADMIT_ERROR;
	}
	if (m->qclass != WIRE_C_IN) {
		a->rcode = WIRE_RC_REFUSED;
		return ADMIT_ANSWER;
	}
	return ADMIT_RESOLVE;
}
