/* server: one resolver instance on one event loop. It ties the listeners,
 * the cache, the core and the upstream together, keeps the statistics and
 * answers the control channel. Resolution decisions live in core/. */
#include "daemon/server.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "core/core.h"
#include "daemon/control.h"
#include "net/listen.h"
#include "net/upstream.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/rand.h"

struct stats {
	uint64_t client_udp, client_tcp, refused, formerr;
	uint64_t cache_hits, cache_misses;
	uint64_t rcode[6];
};

struct creq;

struct server {
	uv_loop_t *loop;
	const struct config *cfg;
	const struct hints *hints;
	struct cache *cache;
	struct core_infra *infra;
	struct core_env env;
	struct upstream *up;
	struct listeners *ls;
	struct control *ctl;
	uv_signal_t sig_term, sig_int;
	struct stats stats;
	uint64_t started_ms;
	struct creq *reqs; /* requests waiting for upstream */
	bool stopping;
	struct wire_msg qmsg;
	struct core_answer cached;
	uint8_t out[65535];
};

/* A client question that is being resolved. */
struct creq {
	struct server *s;
	struct core_req *core;
	struct up_query *q;
	struct listen_client client;
	uint16_t id, flags, qtype, qclass, max_size;
	bool edns;
	uint8_t qname[WIRE_NAME_MAX]; /* as the client wrote it */
	struct creq *prev, *next;
};

/* ---- access control ------------------------------------------------------- */

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

static const uint8_t *addr_bytes(const struct sockaddr_storage *sa, int *family)
{
	*family = sa->ss_family;
	if (sa->ss_family == AF_INET)
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	return (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
}

static bool allowed(const struct server *s, const struct sockaddr_storage *peer)
{
	int family;
	const uint8_t *a = addr_bytes(peer, &family);
	if (s->cfg->n_acl == 0) {
		/* default: loopback only */
		if (family == AF_INET)
			return a[0] == 127;
		return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)a);
	}
	const struct config_acl *best = NULL;
	for (size_t i = 0; i < s->cfg->n_acl; i++) {
		const struct config_acl *acl = &s->cfg->acl[i];
		int f;
		const uint8_t *net = addr_bytes(&acl->net, &f);
		if (f == family && prefix_match(a, net, acl->prefix) &&
		    (best == NULL || acl->prefix >= best->prefix))
			best = acl;
	}
	return best != NULL && best->allow;
}

/* ---- answering ------------------------------------------------------------ */

static void count_rcode(struct server *s, unsigned rcode)
{
	if (rcode < 6)
		s->stats.rcode[rcode]++;
}

static void respond(struct server *s, const struct listen_client *c, uint16_t id, uint16_t flags,
		    const uint8_t *qname, uint16_t qtype, uint16_t qclass, bool edns,
		    uint16_t max_size, const struct core_answer *a)
{
	int len = core_write_response(s->out, max_size, id, flags, qname, qtype, qclass, edns, a);
	if (len < 0)
		return;
	count_rcode(s, a->rcode);
	listen_respond(c, s->out, (size_t)len);
}

/* An error response with only a header (and question when we have one). */
static void respond_error(struct server *s, const struct listen_client *c, const uint8_t *pkt,
			  size_t len, unsigned rcode)
{
	struct wire_wr w;
	uint16_t id = (uint16_t)(pkt[0] << 8 | pkt[1]);
	uint16_t flags = (uint16_t)(pkt[2] << 8 | pkt[3]);
	wire_wr_init(&w, s->out, 512);
	wire_wr_header(&w, id, (uint16_t)(WIRE_F_QR | WIRE_F_RA | (flags & (WIRE_F_RD | 0x7800)) | rcode));
	if (rcode != WIRE_RC_FORMERR && s->qmsg.has_question && len >= WIRE_HDR_LEN) {
		wire_wr_name(&w, s->qmsg.qname, false);
		wire_wr_u16(&w, s->qmsg.qtype);
		wire_wr_u16(&w, s->qmsg.qclass);
		wire_wr_set_count(&w, 0, 1);
	}
	if (!w.overflow) {
		count_rcode(s, rcode);
		listen_respond(c, s->out, w.len);
	}
}

static void creq_free(struct creq *r)
{
	struct server *s = r->s;
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		s->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	up_cancel(r->q);
	core_req_free(r->core);
	listen_client_release(&r->client);
	free(r);
}

static void drive(struct creq *r);

static void on_upstream(void *ud, const struct wire_msg *reply, uint32_t rtt_ms)
{
	struct creq *r = ud;
	uint64_t now = clock_now_ms();
	r->q = NULL;
	if (reply != NULL)
		core_req_reply(r->core, reply, rtt_ms, now);
	else
		core_req_fail(r->core, now);
	drive(r);
}

static void drive(struct creq *r)
{
	struct server *s = r->s;
	struct core_send send;
	for (;;) {
		if (core_req_next(r->core, clock_now_ms(), &send) == CORE_DONE) {
			respond(s, &r->client, r->id, r->flags, r->qname, r->qtype, r->qclass, r->edns,
				r->max_size, core_req_answer(r->core));
			creq_free(r);
			return;
		}
		if (log_get_level() >= LOG_DEBUG) {
			char qn[1024], addr[64] = "?";
			wire_name_to_text(send.qname, qn, sizeof(qn));
			if (send.addr.ss_family == AF_INET)
				uv_ip4_name((struct sockaddr_in *)&send.addr, addr, sizeof(addr));
			else
				uv_ip6_name((struct sockaddr_in6 *)&send.addr, addr, sizeof(addr));
			log_debug("send %s type %u to %s%s", qn, send.qtype, addr, send.tcp ? " (tcp)" : "");
		}
		r->q = up_send(s->up, &send, on_upstream, r);
		if (r->q != NULL)
			return;
		core_req_fail(r->core, clock_now_ms()); /* could not send: next server */
	}
}

static void on_query(void *ud, const struct listen_client *c, const uint8_t *pkt, size_t len)
{
	struct server *s = ud;
	if (c->tcp)
		s->stats.client_tcp++;
	else
		s->stats.client_udp++;
	if (len < WIRE_HDR_LEN || (pkt[2] & 0x80))
		return; /* not a query at all: never answer a response */
	s->qmsg.has_question = false;
	if (!allowed(s, &c->peer)) {
		s->stats.refused++;
		if (wire_parse(&s->qmsg, pkt, len) != 0)
			s->qmsg.has_question = false;
		respond_error(s, c, pkt, len, WIRE_RC_REFUSED);
		return;
	}
	if (wire_parse(&s->qmsg, pkt, len) != 0 || !s->qmsg.has_question) {
		s->stats.formerr++;
		s->qmsg.has_question = false;
		respond_error(s, c, pkt, len, WIRE_RC_FORMERR);
		return;
	}
	const struct wire_msg *m = &s->qmsg;
	if (WIRE_OPCODE(m->flags) != 0) {
		respond_error(s, c, pkt, len, WIRE_RC_NOTIMP);
		return;
	}
	if (m->qtype == WIRE_T_AXFR || m->qtype == WIRE_T_IXFR || m->qtype == WIRE_T_OPT) {
		respond_error(s, c, pkt, len, WIRE_RC_REFUSED);
		return;
	}
	uint16_t max_size = 65535;
	if (!c->tcp) {
		max_size = 512;
		if (m->has_edns) {
			max_size = m->edns_udp < 512 ? 512 : m->edns_udp;
			if (max_size > s->cfg->edns_buffer_size)
				max_size = s->cfg->edns_buffer_size;
		}
	}
	/* The time the listener read the query: one clock read per batch. */
	if (core_answer_from_cache(&s->env, m->qname, m->qtype, m->qclass, c->rx_ms, &s->cached)) {
		s->stats.cache_hits++;
		respond(s, c, m->id, m->flags, m->qname, m->qtype, m->qclass, m->has_edns, max_size,
			&s->cached);
		return;
	}
	s->stats.cache_misses++;
	struct creq *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->core = core_req_new(&s->env, m->qname, m->qtype, m->qclass)) == NULL) {
		free(r);
		respond_error(s, c, pkt, len, WIRE_RC_SERVFAIL);
		return;
	}
	r->s = s;
	r->id = m->id;
	r->flags = m->flags;
	r->qtype = m->qtype;
	r->qclass = m->qclass;
	r->edns = m->has_edns;
	r->max_size = max_size;
	wire_name_copy(r->qname, m->qname);
	listen_client_hold(&r->client, c);
	r->next = s->reqs;
	if (s->reqs != NULL)
		s->reqs->prev = r;
	s->reqs = r;
	drive(r);
}

/* ---- control -------------------------------------------------------------- */

/* Forged replies crossed the threshold: whatever the cache holds for the
 * zones they aimed at may be poisoned, so it goes. */
static void on_alarm(void *ud, const uint8_t *zone)
{
	struct server *s = ud;
	char text[1024];
	wire_name_to_text(zone, text, sizeof(text));
	log_warn("defensive mode: flushing %s", text);
	cache_flush_zone(s->cache, zone);
}

static void print_stat(void *ud, const char *key, uint64_t value)
{
	control_out_printf(ud, "%s=%llu\n", key, (unsigned long long)value);
}

static void print_stats(struct server *s, struct control_out *o)
{
	const struct pool *p = up_pool(s->up);
	struct cache_stats cs;
	cache_get_stats(s->cache, &cs);
	control_out_printf(o, "queries.client.total=%llu\n",
			   (unsigned long long)(s->stats.client_udp + s->stats.client_tcp));
	control_out_printf(o, "queries.client.udp=%llu\n", (unsigned long long)s->stats.client_udp);
	control_out_printf(o, "queries.client.tcp=%llu\n", (unsigned long long)s->stats.client_tcp);
	control_out_printf(o, "queries.client.refused=%llu\n", (unsigned long long)s->stats.refused);
	control_out_printf(o, "queries.client.formerr=%llu\n", (unsigned long long)s->stats.formerr);
	control_out_printf(o, "cache.hits=%llu\n", (unsigned long long)s->stats.cache_hits);
	control_out_printf(o, "cache.misses=%llu\n", (unsigned long long)s->stats.cache_misses);
	up_stats_each(s->up, print_stat, o);
	static const char *const rc[6] = { "noerror", "formerr", "servfail", "nxdomain",
					   "notimp", "refused" };
	for (int i = 0; i < 6; i++)
		control_out_printf(o, "answers.%s=%llu\n", rc[i], (unsigned long long)s->stats.rcode[i]);
	control_out_printf(o, "pool.size.ip4=%zu\npool.size.ip6=%zu\npool.size.total=%zu\n", p->n4,
			   p->n6, p->n);
	control_out_printf(o, "cache.bytes=%llu\ncache.entries=%llu\ncache.budget=%llu\n",
			   (unsigned long long)cs.bytes, (unsigned long long)cs.entries,
			   (unsigned long long)cs.budget);
	control_out_printf(o, "uptime.seconds=%llu\n",
			   (unsigned long long)((clock_now_ms() - s->started_ms) / 1000));
}

static void print_pool(struct server *s, struct control_out *o, bool json)
{
	const struct pool *p = up_pool(s->up);
	if (json)
		control_out_printf(o, "{\"pid\": %ld, \"size\": %zu, \"sockets\": [", (long)getpid(), p->n);
	for (size_t i = 0; i < p->n; i++) {
		const struct pool_sock *k = p->slots[i];
		const char *fam = k->family == AF_INET ? "ip4" : "ip6";
		if (json)
			control_out_printf(o, "%s\n  {\"family\": \"%s\", \"port\": %u, \"sent\": %llu, "
					      "\"accepted\": %llu, \"dropped\": %llu}",
					   i ? "," : "", fam, k->port, (unsigned long long)k->sent,
					   (unsigned long long)k->accepted, (unsigned long long)k->dropped);
		else
			control_out_printf(o, "%s %u sent=%llu accepted=%llu dropped=%llu\n", fam, k->port,
					   (unsigned long long)k->sent, (unsigned long long)k->accepted,
					   (unsigned long long)k->dropped);
	}
	if (json)
		control_out_printf(o, "\n]}\n");
}

static void on_control(void *ud, int argc, char **argv, struct control_out *o)
{
	struct server *s = ud;
	if (strcmp(argv[0], "stats") == 0 && argc == 1) {
		print_stats(s, o);
	} else if (strcmp(argv[0], "pool") == 0 && argc <= 2) {
		bool json = argc == 2 && strcmp(argv[1], "json") == 0;
		if (argc == 2 && strcmp(argv[1], "rotate") == 0) {
			size_t n = pool_rotate_all(up_pool(s->up));
			control_out_printf(o, "rotated %zu\n", n);
			return;
		}
		if (argc == 2 && !json) {
			control_out_error(o, "pool: unknown argument '%s'", argv[1]);
			return;
		}
		print_pool(s, o, json);
	} else if (strcmp(argv[0], "flush") == 0 && argc == 2) {
		if (strcmp(argv[1], "all") == 0) {
			cache_flush_all(s->cache);
			control_out_printf(o, "flushed all\n");
			return;
		}
		uint8_t name[WIRE_NAME_MAX];
		if (wire_name_from_text(argv[1], name) < 0) {
			control_out_error(o, "flush: '%s' is not a domain name", argv[1]);
			return;
		}
		wire_name_lower(name);
		size_t n = cache_flush_name(s->cache, name);
		control_out_printf(o, "flushed %zu entries\n", n);
	} else if (strcmp(argv[0], "stop") == 0 && argc == 1) {
		control_out_printf(o, "stopping\n");
		server_stop(s);
	} else {
		control_out_error(o, "unknown command '%s' (or wrong arguments)", argv[0]);
	}
}

/* ---- life cycle ----------------------------------------------------------- */

static void on_signal(uv_signal_t *h, int signum)
{
	struct server *s = h->data;
	log_info("signal %d: stopping", signum);
	server_stop(s);
}

int server_new(struct server **out, uv_loop_t *loop, const struct config *cfg,
	       const struct hints *hints, char *err, size_t errlen)
{
	struct server *s = calloc(1, sizeof(*s));
	*out = s;
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	s->loop = loop;
	s->cfg = cfg;
	s->hints = hints;
	s->started_ms = clock_now_ms();
	s->cache = cache_new(cfg->cache_size, cfg->cache_min_ttl, cfg->cache_max_ttl,
			     cfg->cache_max_negative_ttl);
	s->infra = core_infra_new();
	if (s->cache == NULL || s->infra == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	s->env.cache = s->cache;
	s->env.cfg = cfg;
	s->env.hints = hints;
	s->env.infra = s->infra;
	s->env.rand_uniform = rand_uniform;
	s->up = up_new(loop, cfg, err, errlen);
	if (s->up == NULL)
		return PC_EINVAL;
	up_set_alarm(s->up, on_alarm, s);
	int rc = listen_open(&s->ls, loop, cfg, on_query, s, false, err, errlen);
	if (rc != 0)
		return rc;
	if (cfg->control_socket[0] != '\0') {
		rc = control_start(loop, cfg->control_socket, on_control, s, &s->ctl, err, errlen);
		if (rc != 0)
			return rc;
	}
	uv_signal_init(loop, &s->sig_term);
	uv_signal_init(loop, &s->sig_int);
	s->sig_term.data = s->sig_int.data = s;
	uv_signal_start(&s->sig_term, on_signal, SIGTERM);
	uv_signal_start(&s->sig_int, on_signal, SIGINT);
	return 0;
}

void server_stop(struct server *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	while (s->reqs != NULL)
		creq_free(s->reqs);
	if (s->ctl != NULL)
		control_stop(s->ctl);
	s->ctl = NULL;
	listen_close(s->ls);
	up_close(s->up);
	uv_close((uv_handle_t *)&s->sig_term, NULL);
	uv_close((uv_handle_t *)&s->sig_int, NULL);
}

void server_free(struct server *s)
{
	if (s == NULL)
		return;
	listen_free(s->ls);
	up_free(s->up);
	cache_free(s->cache);
	core_infra_free(s->infra);
	free(s);
}
