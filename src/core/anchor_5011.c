/* anchor_5011: automated updates of trust anchors (RFC 5011), per key:
 *
 *   Start --new SEP key in a validated set--> AddPend
 *   AddPend --seen again after add-holddown, ANCHOR_MIN_PENDING times--> Valid
 *   AddPend --gone from the set--> Start (forgotten)
 *   Valid --gone--> Missing --back--> Valid
 *   Missing --gone for keep-missing--> Removed
 *   Valid, Missing --self-signed with REVOKE--> Revoked
 *   Revoked --del-holddown after the revocation--> Removed
 *   Removed --gone from the set--> forgotten; --back unrevoked--> AddPend
 *
 * An AddPend key that shows up revoked is forgotten (it was never trusted).
 * A DS anchor (an initial anchor given as DS, as Unbound allows) is replaced
 * by the DNSKEYs it matches the first time the set is seen; the DS records
 * are dropped once a DNSKEY of the point is Valid. Only keys with the SEP
 * flag take part, as in Unbound: zone-signing keys come and go with every
 * ZSK rollover and are not anchors.
 *
 * Also the text of an autotrust file, in Unbound's format. */
#include "core/anchor_int.h"

#include "core/dnssec.h"
#include "util/err.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Is k the same key as rdata, the REVOKE flag aside? */
static bool same_key(const struct anchor_key *k, const uint8_t *rdata, uint16_t len)
{
	if (k->type != WIRE_T_DNSKEY || k->len != len || len < 4)
		return false;
	if (k->rdata[0] != rdata[0] ||
	    (k->rdata[1] | DNSSEC_FLAG_REVOKE) != (rdata[1] | DNSSEC_FLAG_REVOKE))
		return false;
	return memcmp(k->rdata + 2, rdata + 2, (size_t)len - 2) == 0;
}

static uint32_t clamp32(uint64_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : (uint32_t)v;
}

static bool trusted_changed(const struct anchor_point *p, const struct anchor_tp *tp)
{
	size_t n_ds = 0, n_key = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct anchor_key *k = &p->keys[i];
		if (!anchor_key_trusted(k))
			continue;
		const struct anchor_rr *list = k->type == WIRE_T_DS ? tp->ds : tp->dnskey;
		size_t n = k->type == WIRE_T_DS ? tp->n_ds : tp->n_dnskey;
		bool found = false;
		for (size_t j = 0; j < n && !found; j++)
			found = list[j].len == k->len && memcmp(list[j].rdata, k->rdata, k->len) == 0;
		if (!found)
			return true;
		if (k->type == WIRE_T_DS)
			n_ds++;
		else
			n_key++;
	}
	return n_ds != tp->n_ds || n_key != tp->n_dnskey;
}

static void set_state(struct anchor_key *k, enum anchor_state st, uint64_t now, bool *changed)
{
	k->state = st;
	k->lastchange = now;
	k->count = 0;
	*changed = true;
}

int anchor_autotrust_update(struct anchor_set *set, const struct anchor_tp *tp,
			    const struct anchor_seen *keys, size_t n, uint32_t rrset_ttl,
			    uint64_t sig_expiration, uint64_t now)
{
	if (!tp || !tp->autotrust || tp->slot >= set->n)
		return PC_EINVAL;
	pthread_mutex_lock(&set->mu);
	struct anchor_point *p = set->pts[tp->slot];
	int rc = 0;
	bool changed = false;
	/* A scheduled probe (or the first): only then does an AddPend key's
	 * count go up, so a validator that re-validates the set often does not
	 * shorten RFC 5011's "seen at least twice". */
	bool probe = p->next_probe == 0 || now >= p->next_probe;
	bool *seen_old = calloc(p->n + 1, sizeof(bool));
	if (!seen_old) {
		rc = PC_ENOMEM;
		goto out;
	}
	size_t n_old = p->n;

	for (size_t i = 0; i < n; i++) {
		struct dnssec_dnskey d;
		if (dnssec_dnskey_parse(keys[i].rdata, keys[i].len, &d) != DNSSEC_OK ||
		    d.protocol != 3 || !(d.flags & DNSSEC_FLAG_ZONE) || !(d.flags & DNSSEC_FLAG_SEP))
			continue;
		bool revoked = (d.flags & DNSSEC_FLAG_REVOKE) != 0;
		size_t j;
		for (j = 0; j < p->n; j++)
			if (same_key(&p->keys[j], keys[i].rdata, keys[i].len))
				break;
		if (j < n_old)
			seen_old[j] = true;
		if (j == p->n) {
			if (revoked)
				continue; /* an unknown key's revocation means nothing */
			/* Matches an initial DS anchor: trusted at once. */
			bool by_ds = false;
			for (size_t m = 0; m < p->n && !by_ds; m++)
				by_ds = p->keys[m].type == WIRE_T_DS &&
					anchor_key_trusted(&p->keys[m]) &&
					dnssec_ds_match(p->owner, keys[i].rdata, keys[i].len,
							p->keys[m].rdata,
							p->keys[m].len) == DNSSEC_OK;
			rc = anchor_point_add_key(p, WIRE_T_DNSKEY, keys[i].rdata, keys[i].len,
						  rrset_ttl,
						  by_ds ? ANCHOR_ST_VALID : ANCHOR_ST_ADDPEND,
						  by_ds ? 0 : 1, now);
			if (rc < 0)
				goto out;
			changed = true;
			continue;
		}
		struct anchor_key *k = &p->keys[j];
		if (revoked) {
			if (!keys[i].self_signed)
				continue; /* RFC 5011 2.1: only a self-signed revocation */
			if (k->state == ANCHOR_ST_VALID || k->state == ANCHOR_ST_MISSING) {
				/* keep the revoked form: that is the key as published */
				memcpy(k->rdata, keys[i].rdata, keys[i].len);
				set_state(k, ANCHOR_ST_REVOKED, now, &changed);
			} else if (k->state == ANCHOR_ST_ADDPEND) {
				k->state = ANCHOR_ST_START; /* forgotten below */
				changed = true;
			}
			continue;
		}
		switch (k->state) {
		case ANCHOR_ST_ADDPEND:
			if (probe) {
				k->count++;
				changed = true;
			}
			if (now >= k->lastchange + set->add_holddown &&
			    k->count >= ANCHOR_MIN_PENDING)
				set_state(k, ANCHOR_ST_VALID, now, &changed);
			break;
		case ANCHOR_ST_MISSING:
			set_state(k, ANCHOR_ST_VALID, now, &changed);
			break;
		case ANCHOR_ST_REMOVED:
			k->rdata[1] = keys[i].rdata[1];
			set_state(k, ANCHOR_ST_ADDPEND, now, &changed);
			k->count = 1;
			break;
		default: /* Valid stays; Revoked never comes back */
			break;
		}
	}

	/* The keys the set no longer holds; and the holddowns that run out
	 * whether or not the key is still published. */
	for (size_t j = 0; j < n_old; j++) {
		struct anchor_key *k = &p->keys[j];
		if (k->type != WIRE_T_DNSKEY)
			continue;
		if (!seen_old[j]) {
			if (k->state == ANCHOR_ST_ADDPEND) {
				k->state = ANCHOR_ST_START;
				changed = true;
			} else if (k->state == ANCHOR_ST_VALID) {
				set_state(k, ANCHOR_ST_MISSING, now, &changed);
			} else if (k->state == ANCHOR_ST_MISSING && set->keep_missing &&
				   now >= k->lastchange + set->keep_missing) {
				set_state(k, ANCHOR_ST_REMOVED, now, &changed);
			} else if (k->state == ANCHOR_ST_REMOVED) {
				k->state = ANCHOR_ST_START;
				changed = true;
			}
		}
		if (k->state == ANCHOR_ST_REVOKED && now >= k->lastchange + set->del_holddown)
			set_state(k, ANCHOR_ST_REMOVED, now, &changed);
	}

	/* Forget Start keys; drop DS anchors once a DNSKEY is Valid. */
	bool have_valid = false;
	for (size_t j = 0; j < p->n; j++)
		have_valid |= p->keys[j].type == WIRE_T_DNSKEY && p->keys[j].state == ANCHOR_ST_VALID;
	for (size_t j = p->n; j-- > 0;) {
		if (p->keys[j].state == ANCHOR_ST_START ||
		    (have_valid && p->keys[j].type == WIRE_T_DS)) {
			anchor_point_del_key(p, j);
			changed = true;
		}
	}

	/* RFC 5011 2.3: queryInterval = MAX(1 hr, MIN(15 days, 1/2 * OrigTTL,
	 * 1/2 * RRSig expiration interval)); retryTime = MAX(1 hour, MIN(1 day,
	 * 0.1 * OrigTTL, 0.1 * expiration interval)). permit-small-holddown
	 * (a test setting) lowers the one-hour floors to one second. */
	uint64_t expire_in = sig_expiration > now ? sig_expiration - now : 0;
	uint32_t floor = set->permit_small ? 1 : 3600;
	uint64_t qi = (uint64_t)rrset_ttl / 2;
	if (expire_in / 2 < qi)
		qi = expire_in / 2;
	p->query_interval = clamp32(qi, floor, 15u * 86400u);
	uint64_t rt = (uint64_t)rrset_ttl / 10;
	if (expire_in / 10 < rt)
		rt = expire_in / 10;
	p->retry_time = clamp32(rt, floor, 86400u);
	p->last_queried = now;
	p->last_success = now;
	p->query_failed = 0;
	if (probe)
		changed = true; /* the file records each scheduled probe */
	if (probe || p->next_probe > now + p->query_interval)
		p->next_probe = now + p->query_interval;

	const struct anchor_tp *cur = atomic_load_explicit(&p->cur, memory_order_acquire);
	if (!cur || trusted_changed(p, cur)) {
		rc = anchor_publish(set, p, tp->slot);
		if (rc < 0)
			goto out;
	}
out:
	if (changed)
		atomic_fetch_add_explicit(&set->generation, 1, memory_order_release);
	free(seen_old);
	pthread_mutex_unlock(&set->mu);
	return rc;
}

void anchor_autotrust_failed(struct anchor_set *set, const struct anchor_tp *tp, uint64_t now)
{
	if (!tp || !tp->autotrust || tp->slot >= set->n)
		return;
	pthread_mutex_lock(&set->mu);
	struct anchor_point *p = set->pts[tp->slot];
	p->last_queried = now;
	if (p->query_failed < UINT32_MAX)
		p->query_failed++;
	uint32_t retry = p->retry_time ? p->retry_time : (set->permit_small ? 60 : 3600);
	p->next_probe = now + retry;
	atomic_fetch_add_explicit(&set->generation, 1, memory_order_release);
	pthread_mutex_unlock(&set->mu);
}

uint64_t anchor_autotrust_next_probe(struct anchor_set *set, uint8_t owner[WIRE_NAME_MAX])
{
	uint64_t best = 0;
	pthread_mutex_lock(&set->mu);
	for (size_t i = 0; i < set->n; i++) {
		const struct anchor_point *p = set->pts[i];
		if (!p->autotrust)
			continue;
		uint64_t t = p->next_probe ? p->next_probe : 1; /* never probed: now */
		if (best == 0 || t < best) {
			best = t;
			if (owner)
				wire_name_copy(owner, p->owner);
		}
	}
	pthread_mutex_unlock(&set->mu);
	return best;
}

int anchor_autotrust_key_state(struct anchor_set *set, const struct anchor_tp *tp, uint16_t key_tag,
			       enum anchor_state *state, uint64_t *lastchange)
{
	if (!tp || tp->slot >= set->n)
		return PC_ENOTFOUND;
	int rc = PC_ENOTFOUND;
	pthread_mutex_lock(&set->mu);
	const struct anchor_point *p = set->pts[tp->slot];
	for (size_t i = 0; i < p->n && rc != 0; i++) {
		const struct anchor_key *k = &p->keys[i];
		if (k->type != WIRE_T_DNSKEY || dnssec_key_tag(k->rdata, k->len) != key_tag)
			continue;
		*state = k->state;
		if (lastchange)
			*lastchange = k->lastchange;
		rc = 0;
	}
	pthread_mutex_unlock(&set->mu);
	return rc;
}

size_t anchor_autotrust_files(const struct anchor_set *set)
{
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++)
		n += set->pts[i]->autotrust;
	return n;
}

/* ---- the file's text ---------------------------------------------------- */

struct out {
	char *buf;
	size_t len, cap;
	bool nomem;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	if (o->nomem)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->nomem = true;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap * 2 + (size_t)n + 1;
		char *b = realloc(o->buf, cap);
		if (!b) {
			o->nomem = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
}

static void put_time(struct out *o, const char *key, uint64_t t)
{
	char when[64] = "";
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm))
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y UTC", &tm);
	put(o, ";;%s: %llu ;;%s\n", key, (unsigned long long)t, when);
}

static void put_key(struct out *o, const char *owner, const struct anchor_key *k)
{
	put(o, "%s\t%u\tIN\t", owner, k->ttl ? k->ttl : 3600u);
	if (k->type == WIRE_T_DS) {
		struct dnssec_ds d;
		if (dnssec_ds_parse(k->rdata, k->len, &d) != DNSSEC_OK) {
			o->nomem = true;
			return;
		}
		put(o, "DS\t%u %u %u ", d.key_tag, d.algorithm, d.digest_type);
		for (size_t i = 0; i < d.digest_len; i++)
			put(o, "%02X", d.digest[i]);
	} else {
		struct dnssec_dnskey d;
		if (dnssec_dnskey_parse(k->rdata, k->len, &d) != DNSSEC_OK) {
			o->nomem = true;
			return;
		}
		/* base64 of the key: OpenSSL's encoder, one line, NUL-ended */
		char *t = malloc((d.key_len + 2) / 3 * 4 + 1);
		if (!t) {
			o->nomem = true;
			return;
		}
		EVP_EncodeBlock((unsigned char *)t, d.key, (int)d.key_len);
		put(o, "DNSKEY\t%u %u %u %s ;{id = %u (%s), size = %zub}", d.flags, d.protocol,
		    d.algorithm, t, dnssec_key_tag(k->rdata, k->len),
		    (d.flags & DNSSEC_FLAG_SEP) ? "ksk" : "zsk", d.key_len * 8);
		free(t);
	}
	char when[64] = "";
	time_t tt = (time_t)k->lastchange;
	struct tm tm;
	if (gmtime_r(&tt, &tm))
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y UTC", &tm);
	static const char *const label[] = { "  START  ", " ADDPEND ", "  VALID  ",
					     " MISSING ", " REVOKED ", " REMOVED " };
	put(o, " ;;state=%d [%s] ;;count=%u ;;lastchange=%llu ;;%s\n", (int)k->state,
	    label[k->state], k->count, (unsigned long long)k->lastchange, when);
}

int anchor_autotrust_text(struct anchor_set *set, size_t i, const char **path, char **text_own,
			  size_t *len, uint64_t *generation)
{
	struct anchor_point *p = NULL;
	for (size_t j = 0, seen = 0; j < set->n && !p; j++)
		if (set->pts[j]->autotrust && seen++ == i)
			p = set->pts[j];
	if (!p)
		return PC_EINVAL;
	char owner[WIRE_NAME_MAX * 4 + 2];
	if (wire_name_to_text(p->owner, owner, sizeof(owner)) < 0)
		return PC_EINVAL;
	struct out o = { .cap = 1024 };
	o.buf = malloc(o.cap);
	if (!o.buf)
		return PC_ENOMEM;
	pthread_mutex_lock(&set->mu);
	uint64_t gen = atomic_load_explicit(&set->generation, memory_order_acquire);
	put(&o, "; autotrust trust anchor file\n");
	put(&o, ";;id: %s 1\n", owner);
	put_time(&o, "last_queried", p->last_queried);
	put_time(&o, "last_success", p->last_success);
	put_time(&o, "next_probe_time", p->next_probe);
	put(&o, ";;query_failed: %u\n", p->query_failed);
	put(&o, ";;query_interval: %u\n", p->query_interval);
	put(&o, ";;retry_time: %u\n", p->retry_time);
	for (size_t k = 0; k < p->n; k++)
		put_key(&o, owner, &p->keys[k]);
	pthread_mutex_unlock(&set->mu);
	if (o.nomem) {
		free(o.buf);
		return PC_ENOMEM;
	}
	*path = p->path;
	*text_own = o.buf;
	*len = o.len;
	if (generation)
		*generation = gen;
	return 0;
}
