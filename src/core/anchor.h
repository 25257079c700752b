/* anchor: the trust anchors the validator starts every chain of trust from,
 * the negative trust anchors (domain-insecure) that stop it, and the
 * RFC 5011 state of automatically updated anchors (auto-trust-anchor-file).
 *
 * A set is built once, at start or reload, by the daemon (daemon/options.c)
 * from the configuration: trust-anchor (one record as text),
 * trust-anchor-file and auto-trust-anchor-file (zone-file form read with
 * ldns: "owner [TTL] [IN] DS|DNSKEY rdata", one record per line,
 * parentheses, comments, $ORIGIN, $TTL), domain-insecure, and when none of
 * them is given the root anchor of Debian's dns-root-data
 * (ANCHOR_DEBIAN_ROOT_KEY) or, without that file, the built-in IANA root
 * DS records. The loaders read files (the only I/O here); everything else
 * is pure: no clock (now is passed in, in seconds since the epoch), no
 * file writes.
 *
 * Readers: the validator finds the set in core_opts.anchors and calls
 * anchor_lookup() from any thread, lock-free. What it returns is a trust
 * point (struct anchor_tp): an immutable snapshot of the anchor's trusted
 * DS and DNSKEY rdata, valid until anchor_set_free() (a trust point that
 * RFC 5011 changes is replaced by a new snapshot; the old one is kept, so
 * a pointer held by a request in flight never dangles).
 *
 * RFC 5011: after the validator has validated the DNSKEY RRset at the owner
 * of an autotrust trust point (tp->autotrust) with that trust point, it
 * calls anchor_autotrust_update() with every key of the set (see struct
 * anchor_seen for exactly what to pass). The per-key state machine (Start,
 * AddPend, Valid, Missing, Revoked, Removed) moves on, and when the state
 * that belongs in the file changed, the set's generation counter
 * (anchor_set_generation) goes up. The daemon compares the generation with
 * the one it last wrote (after a request completes, or on a timer) and
 * rewrites each changed file (anchor_autotrust_text + daemon/anchorfile.c,
 * atomically). anchor_autotrust_next_probe() says when the DNSKEY RRset of
 * an autotrust point should be fetched again (RFC 5011 2.3).
 *
 * Thread safety: loaders and anchor_set_free: one thread, nobody else
 * using the set. anchor_lookup, anchor_set_generation: any thread, no lock.
 * The anchor_autotrust_* functions take the set's mutex (rare: once per
 * validated DNSKEY RRset at an autotrust owner). */
#ifndef PC_CORE_ANCHOR_H
#define PC_CORE_ANCHOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dnssec.h"
#include "wire/wire.h"

/* What Debian's dns-root-data package installs (root DS in root.ds). */
#define ANCHOR_DEBIAN_ROOT_KEY "/usr/share/dns/root.key"
#define ANCHOR_DEBIAN_ROOT_DS "/usr/share/dns/root.ds"

#define ANCHOR_MAX_TEXT (1 << 20) /* bytes accepted from one file */
#define ANCHOR_MAX_RR 256         /* records per trust point */
#define ANCHOR_MAX_POINTS 4096    /* trust points + negative anchors in a set */

/* RFC 5011 timers (seconds), Unbound's defaults and key names. */
#define ANCHOR_ADD_HOLDDOWN (30u * 86400u)  /* add-holddown: AddPend -> Valid */
#define ANCHOR_DEL_HOLDDOWN (30u * 86400u)  /* del-holddown: Revoked -> Removed */
#define ANCHOR_KEEP_MISSING (366u * 86400u) /* keep-missing: Missing -> Removed */
#define ANCHOR_MIN_PENDING 2                /* times an AddPend key must be seen */

/* One trusted record of a trust point. rdata is owned by the set. */
struct anchor_rr {
	const uint8_t *rdata;
	uint16_t len;
	uint16_t key_tag;  /* DS: its key tag field; DNSKEY: dnssec_key_tag() */
	uint8_t algorithm;
	uint8_t digest_type; /* DS only */
	uint16_t flags;      /* DNSKEY only */
};

/* A trust point: an owner and the records a DNSKEY RRset at that owner
 * must match to be trusted: a DNSKEY of the set matches a DS in ds[]
 * (dnssec_ds_match) or is equal to a DNSKEY rdata in dnskey[], and an
 * RRSIG by that key over the DNSKEY RRset verifies. For an autotrust point
 * dnskey[] holds the keys in state Valid or Missing (never Revoked or
 * AddPend). Immutable; owned by the set. */
struct anchor_tp {
	uint8_t owner[WIRE_NAME_MAX]; /* wire, lowercased */
	unsigned labels;
	bool autotrust;               /* from auto-trust-anchor-file */
	const struct anchor_rr *ds;
	size_t n_ds;
	const struct anchor_rr *dnskey;
	size_t n_dnskey;
	uint64_t version; /* goes up each time RFC 5011 replaces the snapshot */
	unsigned slot;    /* which anchor of the set (for anchor_autotrust_*) */
};

enum anchor_kind {
	ANCHOR_NONE = 0,   /* no anchor at or above the name: not validated (insecure) */
	ANCHOR_TRUST = 1,  /* *tp is the closest trust point at or above the name */
	ANCHOR_INSECURE = 2, /* a negative trust anchor (domain-insecure) at or above
			      * the name is closer than any trust point: insecure */
};

struct anchor_set;

/* An empty set; NULL when out of memory. */
struct anchor_set *anchor_set_new(void);
void anchor_set_free(struct anchor_set *set);

/* ---- loading (one thread, before the set is shared) ------------------- */

/* trust-anchor-file / trust-anchor: the DS and DNSKEY records of text (zone
 * file form; other types are refused) become trust points, one per owner
 * (records for an owner already present are added to it). name stands for
 * the file in messages. 0, PC_EINVAL (err: "NAME:LINE: what"), PC_ENOMEM.
 * On failure the set is unchanged. */
int anchor_add_text(struct anchor_set *set, const char *text, size_t len, const char *name,
		    char *err, size_t errlen);
/* Same from a file: PC_EIO when it cannot be read (err says why). */
int anchor_add_file(struct anchor_set *set, const char *path, char *err, size_t errlen);

/* auto-trust-anchor-file: the same form, plus Unbound's autotrust state
 * comments (";;id:", ";;last_queried:", ..., and per record ";;state=N
 * ;;count=N ;;lastchange=T"), so a file Unbound wrote is read as is. A
 * record without a state comment is an initial anchor: trusted (Valid).
 * One owner per file. path is remembered: anchor_autotrust_text() says
 * which file to rewrite. */
int anchor_add_auto_text(struct anchor_set *set, const char *text, size_t len, const char *path,
			 char *err, size_t errlen);
int anchor_add_auto_file(struct anchor_set *set, const char *path, char *err, size_t errlen);

/* trusted-keys-file: BIND's forms (trusted-keys { "name" flags proto alg
 * "key"; }; and trust-anchors / managed-keys with static-key, initial-key,
 * static-ds, initial-ds), as Unbound reads them; initial-* load as plain
 * anchors. Errors as anchor_add_text, with the line of the original. */
int anchor_add_bind_text(struct anchor_set *set, const char *text, size_t len, const char *name,
			 char *err, size_t errlen);
int anchor_add_bind_file(struct anchor_set *set, const char *path, char *err, size_t errlen);

/* The first warning of the loads so far ("NAME:LINE: what"), or NULL: a
 * record that loads but can never match a key (a DS whose digest length
 * does not fit its digest type; Unbound loads it too, and the names below
 * its owner are then bogus, SERVFAIL with EDE 9). The daemon logs it. */
const char *anchor_set_warning(const struct anchor_set *set);

/* The default root anchor: the file path (ANCHOR_DEBIAN_ROOT_KEY) when it
 * exists, else the built-in IANA records. *source (may be NULL) receives
 * path or "built-in". 0, or an error as anchor_add_file (a file that exists
 * but does not load is an error, not a reason to fall back). */
int anchor_add_default_root(struct anchor_set *set, const char *path, const char **source,
			    char *err, size_t errlen);
/* The built-in root anchor: DS of KSK-2017 (20326) and KSK-2024 (38696). */
int anchor_add_builtin_root(struct anchor_set *set);
/* The built-in text, for tests and messages. */
const char *anchor_builtin_root_text(void);

/* domain-insecure: name (wire) and everything below it is insecure unless
 * a trust point below it is closer. 0, PC_ENOMEM, PC_ELIMIT. */
int anchor_add_insecure(struct anchor_set *set, const uint8_t *name);

/* RFC 5011 timers (the defaults above); add-holddown, del-holddown,
 * keep-missing. A test shortens them to seconds (permit-small-holddown). */
void anchor_set_timers(struct anchor_set *set, uint32_t add_holddown, uint32_t del_holddown,
		       uint32_t keep_missing, bool permit_small);

/* Number of trust points and of negative anchors. */
size_t anchor_set_count(const struct anchor_set *set);
size_t anchor_set_insecure_count(const struct anchor_set *set);

/* ---- lookup (any thread) ---------------------------------------------- */

/* The closest trust point at or above name (wire, any case), or the
 * negative anchor that overrides it. A trust point with no trusted record
 * left (every key revoked) is skipped, as Unbound removes it. *tp is set
 * for ANCHOR_TRUST, NULL otherwise. */
enum anchor_kind anchor_lookup(const struct anchor_set *set, const uint8_t *name,
			       const struct anchor_tp **tp);

/* The i-th trust point's current snapshot (i < anchor_set_count), for
 * listing; NULL past the end. */
const struct anchor_tp *anchor_set_point(const struct anchor_set *set, size_t i);

/* The trust point with exactly this owner, or NULL. */
const struct anchor_tp *anchor_find_exact(const struct anchor_set *set, const uint8_t *owner);

/* ---- RFC 5011 (auto-trust-anchor-file) -------------------------------- */

/* One DNSKEY of the validated DNSKEY RRset at an autotrust owner. */
struct anchor_seen {
	const uint8_t *rdata; /* the DNSKEY rdata as received (REVOKE bit included) */
	uint16_t len;
	/* An RRSIG over this very DNSKEY RRset, made by this key (key tag of
	 * this rdata, its algorithm, signer = the owner), verified with this
	 * rdata and inside its validity window. For a key with the REVOKE flag
	 * this is what RFC 5011 2.1 calls "self-signed": only then does the
	 * revocation count. */
	bool self_signed;
};

/* Feed the DNSKEY RRset at tp's owner. The caller guarantees the RRset
 * validated secure from tp (a key trusted by tp signed it): this function
 * does not check signatures. keys: every DNSKEY of the RRset (n of them),
 * REVOKE-flagged ones too. rrset_ttl: the set's TTL (the RRSIG's original
 * TTL) and sig_expiration: the earliest expiration (seconds since the
 * epoch) of the RRSIGs that validated it, both for the probe interval.
 * now: seconds since the epoch. Returns 0 (the generation goes up when the
 * file's content changed), PC_EINVAL (tp is not autotrust), PC_ENOMEM. */
int anchor_autotrust_update(struct anchor_set *set, const struct anchor_tp *tp,
			    const struct anchor_seen *keys, size_t n, uint32_t rrset_ttl,
			    uint64_t sig_expiration, uint64_t now);

/* The same from what the validator holds: the DNSKEY RRset at tp's owner
 * (keys: its records' rdata; ttl: its TTL), validated secure from tp, and
 * the RRSIGs that came with it (sigs: their rdata). This finds out which
 * REVOKE-flagged SEP keys signed the set themselves (RFC 5011 2.1: the
 * RRSIG by that key over this set verifies and is inside its validity
 * window widened by skew seconds; at most ANCHOR_MAX_REVOKE_CHECKS such
 * verifications per call), takes the earliest expiration of the set's
 * RRSIGs inside their window for the probe interval, and calls
 * anchor_autotrust_update. now: seconds since the epoch. Returns as
 * anchor_autotrust_update. */
#define ANCHOR_MAX_REVOKE_CHECKS 8
int anchor_autotrust_feed(struct anchor_set *set, const struct anchor_tp *tp,
			  const struct dnssec_rdata *keys, size_t n_keys, uint32_t ttl,
			  const struct dnssec_rdata *sigs, size_t n_sigs, uint64_t now, uint32_t skew);

/* The trust anchor step of validation: is the DNSKEY RRset at tp's owner
 * (keys, n_keys) signed by a key tp trusts (equal to a DNSKEY of tp or
 * matching a DS of tp), with an RRSIG among sigs that verifies and is in
 * its window (widened by skew) at now (seconds since the epoch)? At most
 * ANCHOR_MAX_TP_CHECKS signature verifications (KeyTrap). DNSSEC_OK, or
 * the reason of the last failure (DNSSEC_BAD_SIG when no RRSIG by a
 * trusted key was found, DNSSEC_EXPIRED, DNSSEC_UNSUPPORTED, ...). */
#define ANCHOR_MAX_TP_CHECKS 8
enum dnssec_status anchor_tp_verify_dnskey(const struct anchor_tp *tp,
					   const struct dnssec_rdata *keys, size_t n_keys,
					   const struct dnssec_rdata *sigs, size_t n_sigs,
					   uint64_t now, uint32_t skew);

/* Is a probe of tp's DNSKEY RRset due at now (RFC 5011 2.3)? */
bool anchor_autotrust_probe_due(struct anchor_set *set, const struct anchor_tp *tp, uint64_t now);

/* A probe of tp's DNSKEY RRset failed (no answer, or it did not validate):
 * the retry time applies (RFC 5011 2.3). */
void anchor_autotrust_failed(struct anchor_set *set, const struct anchor_tp *tp, uint64_t now);

/* The earliest time (seconds since the epoch) at which some autotrust
 * point's DNSKEY RRset should be fetched again; its owner is copied to
 * owner (may be NULL). 0 when the set has no autotrust point. */
uint64_t anchor_autotrust_next_probe(struct anchor_set *set, uint8_t owner[WIRE_NAME_MAX]);

/* Goes up whenever an autotrust file's content changes. Any thread. */
uint64_t anchor_set_generation(const struct anchor_set *set);

/* Number of autotrust files in the set, and the content of the i-th: its
 * path (owned by the set) and the text to write there (malloc'd into
 * *text_own, the caller frees it), in Unbound's autotrust format, with
 * *generation the generation that text reflects. 0, PC_EINVAL (no such
 * file), PC_ENOMEM. */
size_t anchor_autotrust_files(const struct anchor_set *set);
int anchor_autotrust_text(struct anchor_set *set, size_t i, const char **path, char **text_own,
			  size_t *len, uint64_t *generation);

/* RFC 5011 key states, numbered as Unbound writes them (;;state=N). */
enum anchor_state {
	ANCHOR_ST_START = 0,
	ANCHOR_ST_ADDPEND = 1,
	ANCHOR_ST_VALID = 2,
	ANCHOR_ST_MISSING = 3,
	ANCHOR_ST_REVOKED = 4,
	ANCHOR_ST_REMOVED = 5,
};
const char *anchor_state_name(enum anchor_state s);

/* The RFC 5011 state of the key with this key tag (as in its current rdata,
 * REVOKE bit included) at tp's owner, for tests and the control tool:
 * 0 and *state, *lastchange; PC_ENOTFOUND. */
int anchor_autotrust_key_state(struct anchor_set *set, const struct anchor_tp *tp, uint16_t key_tag,
			       enum anchor_state *state, uint64_t *lastchange);

#endif
