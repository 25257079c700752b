/* server_anchor: the daemon's side of trust anchors. The set is loaded
 * from the configuration at start (before chroot and the privilege drop,
 * like the root hints) and at each reload (inside the chroot, as the
 * daemon's user: the files must be readable by it, as for Unbound); a
 * control verb that publishes a configuration without re-reading the file
 * (forward_add, ...) carries the set in force over. RFC 5011 changes are
 * made in the core; a one-second timer here writes the autotrust files
 * whose content changed (daemon/anchorfile.c, atomically), off the packet
 * path.
 *
 * The same timer probes (RFC 5011 2.3): when an autotrust point's probe is
 * due, the daemon sends a DNSKEY query for its owner itself (an internal
 * request through the normal resolution path, daemon/request.h), so that a
 * resolver nobody asks anything still follows a rollover; the set that
 * comes back is checked against the point's trusted keys
 * (anchor_tp_verify_dnskey) and fed to the state machine
 * (anchor_autotrust_feed), which schedules the next probe (the query
 * interval: max(1 hour, min(15 days, TTL/2, signature expiry/2)), one second
 * at least with permit-small-holddown); no set, or one that does not
 * verify, is a failed probe (retried after the retry time). */
#include <stdio.h>
#include <time.h>

#include "core/anchor.h"
#include "daemon/anchorfile.h"
#include "daemon/options.h"
#include "daemon/server_int.h"
#include "util/err.h"
#include "util/log.h"

#define ANCHOR_SYNC_MS 1000

static void log_source(const struct anchor_set *set, const char *source)
{
	if (source != NULL)
		log_info("trust anchor: the root's from %s (no trust anchor configured)", source);
	const char *w = anchor_set_warning(set);
	if (w != NULL)
		log_warn("trust anchor: %s", w);
}

int server_anchors_start(struct server *s, char *err, size_t errlen)
{
	struct anchor_set *set;
	const char *source;
	int rc = options_load_anchors(&set, s->start_cfg, NULL, &source, err, errlen);
	if (rc != 0)
		return rc;
	log_source(set, source);
	options_own_anchors(&s->opts, set);
	uv_timer_init(s->loop, &s->anchor_timer);
	s->anchor_timer.data = s;
	s->anchor_timer_on = true;
	server_anchors_follow(s);
	return 0;
}

int server_anchors_reload(struct server *s, const struct config *next, char *err, size_t errlen)
{
	/* The new set reads the files: they must hold the latest state. */
	server_anchors_sync(s);
	struct anchor_set *set;
	const char *source;
	int rc = options_load_anchors(&set, next, s->start_cfg->chroot_dir, &source, err, errlen);
	if (rc != 0)
		return rc;
	log_source(set, source);
	anchor_set_free(s->next_anchors);
	s->next_anchors = set;
	return 0;
}

#define PROBE_MAX_KEYS 64
#define PROBE_SKEW 300 /* seconds of clock skew a signature window is widened by */

/* What a probe's DNSKEY query brought back for an autotrust point: the set
 * is checked against the point's trusted keys and fed to RFC 5011's state
 * machine; no set, or one that does not verify, is a failed probe (tried
 * again after the retry time). */
static void probe_answer(struct anchor_set *set, const struct anchor_tp *tp, uint64_t now,
			 const struct core_answer *a)
{
	struct dnssec_rdata keys[PROBE_MAX_KEYS], sigs[PROBE_MAX_KEYS];
	size_t nk = 0, ns = 0;
	uint32_t ttl = UINT32_MAX;
	for (size_t i = 0; a != NULL && i < a->n_an; i++) {
		const struct core_rr *rr = &a->an[i];
		if (!wire_name_eq(rr->owner, tp->owner))
			continue;
		if (rr->type == WIRE_T_DNSKEY && nk < PROBE_MAX_KEYS) {
			keys[nk++] = (struct dnssec_rdata){ rr->rdata, rr->rdlen };
			if (rr->ttl < ttl)
				ttl = rr->ttl;
		} else if (rr->type == WIRE_T_RRSIG &&
			   wire_rrsig_covered(rr->rdata, rr->rdlen) == WIRE_T_DNSKEY &&
			   ns < PROBE_MAX_KEYS) {
			sigs[ns++] = (struct dnssec_rdata){ rr->rdata, rr->rdlen };
		}
	}
	char owner[WIRE_NAME_MAX * 4 + 2];
	if (wire_name_to_text(tp->owner, owner, sizeof(owner)) < 0)
		owner[0] = '\0';
	if (nk == 0) {
		log_warn("trust anchor %s: the DNSKEY query %s; RFC 5011 probe failed", owner,
			 a == NULL ? "was not sent" : a->rcode != WIRE_RC_NOERROR ? "failed" :
			 "found no DNSKEY set");
		anchor_autotrust_failed(set, tp, now);
		return;
	}
	enum dnssec_status st = anchor_tp_verify_dnskey(tp, keys, nk, sigs, ns, now, PROBE_SKEW);
	if (st != DNSSEC_OK) {
		log_warn("trust anchor %s: the DNSKEY set does not verify with a trusted key (%s); "
			 "RFC 5011 probe failed", owner, dnssec_status_text(st));
		anchor_autotrust_failed(set, tp, now);
		return;
	}
	int rc = anchor_autotrust_feed(set, tp, keys, nk, ttl ? ttl : 1, sigs, ns, now, PROBE_SKEW);
	if (rc != 0)
		log_warn("trust anchor %s: RFC 5011 update: %s", owner, pc_strerror(rc));
	else
		log_debug("trust anchor %s: RFC 5011 probe of %zu keys", owner, nk);
}

/* The slot of the probe in flight for owner, or NULL. */
static struct anchor_probe *probe_slot(struct server *s, const uint8_t *owner)
{
	for (size_t i = 0; i < ANCHOR_PROBES_MAX; i++)
		if (s->anchor_probe[i].busy && wire_name_eq(s->anchor_probe[i].owner, owner))
			return &s->anchor_probe[i];
	return NULL;
}

/* A probe's DNSKEY query is over (a: its answer, or NULL). The set in
 * force may have been replaced by a reload meanwhile: the answer goes to
 * its point of the same owner, if it still has one. */
static void on_probe_done(void *ud, const uint8_t *qname, uint16_t qtype, const struct core_answer *a)
{
	struct server *s = ud;
	(void)qtype;
	struct anchor_probe *slot = probe_slot(s, qname);
	if (slot != NULL)
		slot->busy = false;
	struct anchor_set *set = s->env.opts ? s->env.opts->anchors : NULL;
	if (s->stopping || set == NULL)
		return;
	const struct anchor_tp *tp;
	for (size_t i = 0; (tp = anchor_set_point(set, i)) != NULL; i++)
		if (tp->autotrust && wire_name_eq(tp->owner, qname)) {
			probe_answer(set, tp, (uint64_t)time(NULL), a);
			return;
		}
}

/* RFC 5011 2.3, as Unbound's autotrust does it: when an autotrust point's
 * probe is due (anchor_autotrust_probe_due: the query interval, or the
 * retry time after a failure, since the last one), a DNSKEY query for its
 * owner goes out through the normal resolution path, so that an idle
 * resolver follows a rollover too. One query per point at a time. */
static void probe(struct server *s)
{
	struct anchor_set *set = s->env.opts ? s->env.opts->anchors : NULL;
	if (set == NULL || s->stopping || !s->rq_on)
		return;
	uint64_t now = (uint64_t)time(NULL);
	const struct anchor_tp *tp;
	for (size_t i = 0; (tp = anchor_set_point(set, i)) != NULL; i++) {
		if (!tp->autotrust || probe_slot(s, tp->owner) != NULL ||
		    !anchor_autotrust_probe_due(set, tp, now))
			continue;
		struct anchor_probe *slot = NULL;
		for (size_t j = 0; j < ANCHOR_PROBES_MAX && slot == NULL; j++)
			if (!s->anchor_probe[j].busy)
				slot = &s->anchor_probe[j];
		if (slot == NULL)
			return; /* the others wait for a free slot */
		slot->busy = true;
		wire_name_copy(slot->owner, tp->owner);
		/* CD: the set as the zone serves it, whatever the validator
		 * would make of it; probe_answer checks it against the
		 * point's own keys. */
		req_internal(&s->rq, tp->owner, WIRE_T_DNSKEY, WIRE_C_IN, true, on_probe_done, s);
	}
}

static void on_timer(uv_timer_t *t)
{
	probe(t->data);
	server_anchors_sync(t->data);
}

void server_anchors_follow(struct server *s)
{
	struct anchor_set *set = s->env.opts ? s->env.opts->anchors : s->opts.core.anchors;
	if (set == NULL || !s->anchor_timer_on)
		return;
	if (set != s->anchor_followed) {
		/* a set just read from its files: nothing to write yet */
		s->anchor_followed = set;
		s->anchor_written = anchor_set_generation(set);
		s->anchor_failed = UINT64_MAX;
	}
	if (anchor_autotrust_files(set) > 0) {
		if (!uv_is_active((uv_handle_t *)&s->anchor_timer))
			uv_timer_start(&s->anchor_timer, on_timer, ANCHOR_SYNC_MS, ANCHOR_SYNC_MS);
	} else {
		uv_timer_stop(&s->anchor_timer);
	}
}

void server_anchors_sync(struct server *s)
{
	struct anchor_set *set = s->env.opts ? s->env.opts->anchors : NULL;
	if (set == NULL)
		return;
	uint64_t gen = anchor_set_generation(set);
	if (gen == s->anchor_written)
		return;
	char err[512];
	if (anchorfile_sync(set, &s->anchor_written, s->start_cfg->chroot_dir, err, sizeof(err)) != 0) {
		if (s->anchor_failed != gen)
			log_err("auto-trust-anchor-file: %s (the state is kept in memory; "
				"the write is tried again)", err);
		s->anchor_failed = gen;
	}
}

void server_anchors_stop(struct server *s)
{
	if (!s->anchor_timer_on)
		return;
	server_anchors_sync(s);
	uv_close((uv_handle_t *)&s->anchor_timer, NULL);
	s->anchor_timer_on = false;
}
