/* localzone: the table of local zones and local data (localzone.h). One
 * hash table of nodes keyed by lowercased owner name; a node may carry a
 * zone, RRsets, and a count of the data-bearing names below it (so that an
 * empty non-terminal of a static zone gets NODATA, not NXDOMAIN). */
#include "core/localzone.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/hash.h"
#include "wire/wire.h"

#define LZ_SCRATCH 32768 /* answer bytes copied out per thread */

struct lz_rd {
	uint16_t len;
	uint8_t *data;
};

struct lz_rrset {
	struct lz_rrset *next;
	uint16_t type;
	uint32_t ttl;
	size_t n;
	struct lz_rd *rd;
};

struct lz_node {
	struct lz_node *next; /* hash chain */
	uint32_t hash;
	struct lz_rrset *sets;
	size_t below;         /* names strictly below holding RRsets */
	bool zone;
	enum lz_type type;
	uint8_t name[];       /* lowercased wire name */
};

struct lz_table {
	pthread_rwlock_t lock;
	struct hash_key key; /* from the caller's seed (lz_new) */
	struct lz_node **buckets;
	size_t n_buckets, n_nodes;
};

static const char *const type_names[LZ_TYPE_COUNT] = {
	[LZ_TRANSPARENT] = "transparent",
	[LZ_TYPETRANSPARENT] = "typetransparent",
	[LZ_STATIC] = "static",
	[LZ_REDIRECT] = "redirect",
	[LZ_REFUSE] = "refuse",
	[LZ_DENY] = "deny",
	[LZ_INFORM] = "inform",
	[LZ_INFORM_DENY] = "inform_deny",
	[LZ_INFORM_REDIRECT] = "inform_redirect",
	[LZ_ALWAYS_TRANSPARENT] = "always_transparent",
	[LZ_ALWAYS_REFUSE] = "always_refuse",
	[LZ_ALWAYS_NXDOMAIN] = "always_nxdomain",
	[LZ_ALWAYS_NODATA] = "always_nodata",
	[LZ_ALWAYS_DENY] = "always_deny",
	[LZ_NODEFAULT] = "nodefault",
};

const char *lz_type_name(enum lz_type t)
{
	return (unsigned)t < LZ_TYPE_COUNT ? type_names[t] : "?";
}

bool lz_type_parse(const char *text, enum lz_type *out)
{
	for (unsigned i = 0; i < LZ_TYPE_COUNT; i++) {
		if (strcasecmp(text, type_names[i]) == 0) {
			*out = (enum lz_type)i;
			return true;
		}
	}
	return false;
}

/* ---- the hash table ------------------------------------------------------ */

struct lz_table *lz_new(uint32_t seed)
{
	struct lz_table *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	/* The names in the table are the operator's, so a 32-bit seed is
	 * enough to keep chains short; it is spread over the whole key. */
	uint8_t kb[16];
	for (size_t i = 0; i < sizeof(kb); i++)
		kb[i] = (uint8_t)(seed >> (8 * (i % 4)));
	hash_key_from_bytes(&t->key, kb);
	t->n_buckets = 64;
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	if (t->buckets == NULL) {
		free(t);
		return NULL;
	}
	pthread_rwlock_init(&t->lock, NULL);
	return t;
}

static void free_sets(struct lz_rrset *s)
{
	while (s != NULL) {
		struct lz_rrset *next = s->next;
		for (size_t i = 0; i < s->n; i++)
			free(s->rd[i].data);
		free(s->rd);
		free(s);
		s = next;
	}
}

void lz_free(struct lz_table *t)
{
	if (t == NULL)
		return;
	for (size_t b = 0; b < t->n_buckets; b++) {
		struct lz_node *n = t->buckets[b];
		while (n != NULL) {
			struct lz_node *next = n->next;
			free_sets(n->sets);
			free(n);
			n = next;
		}
	}
	free(t->buckets);
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

static struct lz_node *find(const struct lz_table *t, const uint8_t *name)
{
	uint32_t h = wire_name_hash(name, &t->key);
	for (struct lz_node *n = t->buckets[h & (t->n_buckets - 1)]; n != NULL; n = n->next)
		if (n->hash == h && wire_name_eq(n->name, name))
			return n;
	return NULL;
}

static void grow(struct lz_table *t)
{
	size_t nb = t->n_buckets * 2;
	struct lz_node **b = calloc(nb, sizeof(*b));
	if (b == NULL)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct lz_node *n = t->buckets[i];
		while (n != NULL) {
			struct lz_node *next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
			n = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = nb;
}

static struct lz_node *find_or_add(struct lz_table *t, const uint8_t *name)
{
	struct lz_node *n = find(t, name);
	if (n != NULL)
		return n;
	size_t len = wire_name_len(name);
	n = calloc(1, sizeof(*n) + len);
	if (n == NULL)
		return NULL;
	memcpy(n->name, name, len);
	wire_name_lower(n->name);
	n->hash = wire_name_hash(n->name, &t->key);
	if (t->n_nodes >= t->n_buckets)
		grow(t);
	n->next = t->buckets[n->hash & (t->n_buckets - 1)];
	t->buckets[n->hash & (t->n_buckets - 1)] = n;
	t->n_nodes++;
	return n;
}

/* Unlink and free a node that no longer carries anything. */
static void drop_if_empty(struct lz_table *t, struct lz_node *n)
{
	if (n->zone || n->sets != NULL || n->below != 0)
		return;
	struct lz_node **pp = &t->buckets[n->hash & (t->n_buckets - 1)];
	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	t->n_nodes--;
	free(n);
}

static const uint8_t *parent(const uint8_t *name)
{
	return name[0] == 0 ? NULL : name + 1 + name[0];
}

/* The closest zone at or above name, or NULL. */
static struct lz_node *closest_zone(const struct lz_table *t, const uint8_t *name)
{
	for (const uint8_t *p = name; p != NULL; p = parent(p)) {
		struct lz_node *n = find(t, p);
		if (n != NULL && n->zone)
			return n;
	}
	return NULL;
}

/* name gained (+1) or lost (-1) its last RRset: its ancestors count it.
 * Adding can fail half-way for memory; the counts then stay as they were. */
static int count_below(struct lz_table *t, const uint8_t *name, int delta)
{
	for (const uint8_t *p = parent(name); p != NULL; p = parent(p)) {
		struct lz_node *n = delta > 0 ? find_or_add(t, p) : find(t, p);
		if (n == NULL) {
			if (delta > 0) {
				for (const uint8_t *q = parent(name); q != p; q = parent(q)) {
					struct lz_node *m = find(t, q);
					m->below--;
					drop_if_empty(t, m);
				}
				return PC_ENOMEM;
			}
			continue;
		}
		if (delta > 0) {
			n->below++;
		} else {
			n->below--;
			drop_if_empty(t, n);
		}
	}
	return 0;
}

/* ---- changes ------------------------------------------------------------- */

int lz_zone_set(struct lz_table *t, const uint8_t *name, enum lz_type type)
{
	if ((unsigned)type >= LZ_NODEFAULT)
		return PC_EINVAL;
	pthread_rwlock_wrlock(&t->lock);
	struct lz_node *n = find_or_add(t, name);
	if (n != NULL) {
		n->zone = true;
		n->type = type;
	}
	pthread_rwlock_unlock(&t->lock);
	return n != NULL ? 0 : PC_ENOMEM;
}

/* Remove every RRset of node n (lock held); returns how many. */
static size_t clear_sets(struct lz_table *t, struct lz_node *n)
{
	size_t k = 0;
	for (struct lz_rrset *s = n->sets; s != NULL; s = s->next)
		k++;
	if (k == 0)
		return 0;
	free_sets(n->sets);
	n->sets = NULL;
	uint8_t name[WIRE_NAME_MAX];
	wire_name_copy(name, n->name);
	drop_if_empty(t, n);
	count_below(t, name, -1);
	return k;
}

int lz_zone_remove(struct lz_table *t, const uint8_t *name)
{
	pthread_rwlock_wrlock(&t->lock);
	struct lz_node *z = find(t, name);
	if (z == NULL || !z->zone) {
		pthread_rwlock_unlock(&t->lock);
		return PC_ENOTFOUND;
	}
	uint8_t zname[WIRE_NAME_MAX];
	wire_name_copy(zname, z->name);
	/* The data this zone answered for goes with it. Collected first: the
	 * removal reshapes the chains being walked. */
	size_t cap = 0, k = 0;
	struct lz_node **victims = NULL;
	for (size_t b = 0; b < t->n_buckets; b++) {
		for (struct lz_node *n = t->buckets[b]; n != NULL; n = n->next) {
			if (n->sets == NULL || !wire_name_in(n->name, zname) ||
			    closest_zone(t, n->name) != z)
				continue;
			if (k == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct lz_node **v = realloc(victims, nc * sizeof(*v));
				if (v == NULL)
					break;
				victims = v;
				cap = nc;
			}
			victims[k++] = n;
		}
	}
	z->zone = false;
	for (size_t i = 0; i < k; i++)
		clear_sets(t, victims[i]);
	free(victims);
	z = find(t, zname);
	if (z != NULL)
		drop_if_empty(t, z);
	pthread_rwlock_unlock(&t->lock);
	return 0;
}

static bool same_rd(const struct lz_rd *r, const uint8_t *rdata, uint16_t rdlen)
{
	return r->len == rdlen && memcmp(r->data, rdata, rdlen) == 0;
}

/* Under the write lock. */
static int data_add(struct lz_table *t, const uint8_t *owner, uint16_t type, uint32_t ttl,
		    const uint8_t *rdata, uint16_t rdlen)
{
	if (closest_zone(t, owner) == NULL) {
		struct lz_node *z = find_or_add(t, owner);
		if (z == NULL)
			return PC_ENOMEM;
		z->zone = true;
		z->type = LZ_TRANSPARENT;
	}
	struct lz_node *n = find_or_add(t, owner);
	if (n == NULL)
		return PC_ENOMEM;
	struct lz_rrset *s = n->sets;
	for (; s != NULL && s->type != type; s = s->next) {
		/* RFC 2181 section 10.1: a CNAME owner holds nothing else. */
		if (type == WIRE_T_CNAME || s->type == WIRE_T_CNAME)
			return PC_EINVAL;
	}
	if (s != NULL) {
		for (size_t i = 0; i < s->n; i++)
			if (same_rd(&s->rd[i], rdata, rdlen))
				return 0;
		if (type == WIRE_T_CNAME || s->n >= CORE_MAX_ANSWER)
			return PC_EINVAL; /* one CNAME per name; answers are bounded */
	}
	uint8_t *copy = malloc(rdlen ? rdlen : 1);
	if (copy == NULL)
		return PC_ENOMEM;
	memcpy(copy, rdata, rdlen);
	bool fresh = s == NULL, first_set = n->sets == NULL;
	if (fresh) {
		s = calloc(1, sizeof(*s));
		if (s == NULL) {
			free(copy);
			return PC_ENOMEM;
		}
		s->type = type;
		s->ttl = ttl;
	}
	struct lz_rd *rd = realloc(s->rd, (s->n + 1) * sizeof(*rd));
	if (rd == NULL || (first_set && count_below(t, owner, +1) != 0)) {
		if (rd != NULL)
			s->rd = rd;
		free(copy);
		if (fresh) {
			free(s->rd);
			free(s);
		}
		return PC_ENOMEM;
	}
	s->rd = rd;
	s->rd[s->n].len = rdlen;
	s->rd[s->n].data = copy;
	s->n++;
	if (fresh) {
		s->next = n->sets;
		n->sets = s;
	}
	return 0;
}

int lz_data_add(struct lz_table *t, const uint8_t *owner, uint16_t type, uint32_t ttl,
		const uint8_t *rdata, uint16_t rdlen)
{
	if (type == 0 || type == WIRE_T_ANY || wire_name_len(owner) == 0)
		return PC_EINVAL;
	pthread_rwlock_wrlock(&t->lock);
	int rc = data_add(t, owner, type, ttl, rdata, rdlen);
	pthread_rwlock_unlock(&t->lock);
	return rc;
}

bool lz_has_zone(struct lz_table *t, const uint8_t *name)
{
	pthread_rwlock_rdlock(&t->lock);
	const struct lz_node *n = find(t, name);
	bool r = n != NULL && n->zone;
	pthread_rwlock_unlock(&t->lock);
	return r;
}

size_t lz_data_remove(struct lz_table *t, const uint8_t *name)
{
	pthread_rwlock_wrlock(&t->lock);
	struct lz_node *n = find(t, name);
	size_t k = n != NULL ? clear_sets(t, n) : 0;
	pthread_rwlock_unlock(&t->lock);
	return k;
}

/* ---- answers ------------------------------------------------------------- */

struct scratch {
	uint8_t owner[WIRE_NAME_MAX];
	uint8_t soa_owner[WIRE_NAME_MAX];
	uint8_t zone[WIRE_NAME_MAX];
	size_t used;
	uint8_t buf[LZ_SCRATCH];
};

/* Each thread's answer copy (as admit.c's CH answers): no allocation per
 * answer, and nothing to free when a thread ends. */
static _Thread_local struct scratch tls_scratch;

static const uint8_t *keep(struct scratch *sc, const uint8_t *p, size_t n)
{
	if (sc->used + n > sizeof(sc->buf))
		return NULL;
	uint8_t *q = sc->buf + sc->used;
	memcpy(q, p, n);
	sc->used += n;
	return q;
}

/* Copy set s into the answer section (owner: sc->owner). */
static bool add_set(struct scratch *sc, struct core_answer *a, const struct lz_rrset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (a->n_an >= CORE_MAX_ANSWER)
			return false;
		const uint8_t *rd = keep(sc, s->rd[i].data, s->rd[i].len);
		if (rd == NULL)
			return false;
		a->an[a->n_an++] = (struct core_rr){ .owner = sc->owner, .type = s->type,
						     .rclass = WIRE_C_IN, .ttl = s->ttl,
						     .rdata = rd, .rdlen = s->rd[i].len };
	}
	return true;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A negative answer, with the zone's SOA when it has one (its TTL that of
 * the negative answer, RFC 2308 section 3: min(SOA TTL, SOA MINIMUM)). */
static enum lz_verdict negative(struct scratch *sc, struct core_answer *a,
				const struct lz_node *z, unsigned rcode)
{
	a->rcode = rcode;
	a->n_an = 0;
	for (const struct lz_rrset *s = z->sets; s != NULL; s = s->next) {
		if (s->type != WIRE_T_SOA || s->n == 0)
			continue;
		const struct lz_rd *r = &s->rd[0];
		const uint8_t *rd = keep(sc, r->data, r->len);
		if (rd == NULL)
			break;
		uint32_t ttl = s->ttl;
		if (r->len >= 4 && be32(r->data + r->len - 4) < ttl)
			ttl = be32(r->data + r->len - 4);
		wire_name_copy(sc->soa_owner, z->name);
		a->ns[0] = (struct core_rr){ .owner = sc->soa_owner, .type = WIRE_T_SOA,
					     .rclass = WIRE_C_IN, .ttl = ttl, .rdata = rd,
					     .rdlen = r->len };
		a->n_ns = 1;
		break;
	}
	return LZ_ANSWER;
}

/* The data of node n answering qtype, into *a: true when there was some. */
static bool positive(struct scratch *sc, struct core_answer *a, const struct lz_node *n,
		     uint16_t qtype)
{
	if (n == NULL)
		return false;
	const struct lz_rrset *cname = NULL;
	bool any = false;
	for (const struct lz_rrset *s = n->sets; s != NULL; s = s->next) {
		if (qtype == WIRE_T_ANY || s->type == qtype) {
			any = true;
			if (!add_set(sc, a, s))
				break;
		} else if (s->type == WIRE_T_CNAME) {
			cname = s;
		}
	}
	if (!any && cname != NULL) {
		any = true;
		add_set(sc, a, cname);
	}
	if (any)
		a->rcode = WIRE_RC_NOERROR;
	return any;
}

static enum lz_verdict judge(struct scratch *sc, const struct lz_table *t, const uint8_t *qname,
			     uint16_t qtype, struct core_answer *a, bool *inform)
{
	const struct lz_node *z = closest_zone(t, qname);
	if (z == NULL)
		return LZ_RESOLVE;
	enum lz_type type = z->type;
	*inform = type == LZ_INFORM || type == LZ_INFORM_DENY || type == LZ_INFORM_REDIRECT;
	wire_name_copy(sc->zone, z->name);
	switch (type) {
	case LZ_ALWAYS_TRANSPARENT:
		return LZ_RESOLVE;
	case LZ_ALWAYS_REFUSE:
		a->rcode = WIRE_RC_REFUSED;
		return LZ_ANSWER;
	case LZ_ALWAYS_DENY:
		return LZ_DROP;
	case LZ_ALWAYS_NXDOMAIN:
		return negative(sc, a, z, WIRE_RC_NXDOMAIN);
	case LZ_ALWAYS_NODATA:
		return negative(sc, a, z, WIRE_RC_NOERROR);
	default:
		break;
	}
	bool redirect = type == LZ_REDIRECT || type == LZ_INFORM_REDIRECT;
	const struct lz_node *n = redirect ? z : find(t, qname);
	if (positive(sc, a, n, qtype))
		return LZ_ANSWER;
	a->n_an = 0;
	switch (type) {
	case LZ_DENY:
	case LZ_INFORM_DENY:
		return LZ_DROP;
	case LZ_REFUSE:
		a->rcode = WIRE_RC_REFUSED;
		return LZ_ANSWER;
	case LZ_STATIC:
		return negative(sc, a, z, n != NULL && (n->sets || n->below) ? WIRE_RC_NOERROR
									: WIRE_RC_NXDOMAIN);
	case LZ_REDIRECT:
	case LZ_INFORM_REDIRECT:
		return negative(sc, a, z, WIRE_RC_NOERROR);
	case LZ_TYPETRANSPARENT:
		return LZ_RESOLVE;
	default: /* transparent, inform */
		return n != NULL && n->sets != NULL ? negative(sc, a, z, WIRE_RC_NOERROR)
						    : LZ_RESOLVE;
	}
}

enum lz_verdict lz_answer(struct lz_table *t, const uint8_t *qname, uint16_t qtype,
			  struct core_answer *a, bool *inform, uint8_t *zone_out)
{
	*inform = false;
	a->n_an = a->n_ns = 0;
	a->rcode = WIRE_RC_NOERROR;
	struct scratch *sc = &tls_scratch;
	sc->used = 0;
	wire_name_copy(sc->owner, qname);
	wire_name_lower(sc->owner);
	pthread_rwlock_rdlock(&t->lock);
	enum lz_verdict v = judge(sc, t, sc->owner, qtype, a, inform);
	pthread_rwlock_unlock(&t->lock);
	if (*inform && zone_out != NULL)
		wire_name_copy(zone_out, sc->zone);
	return v;
}

bool lz_governs(struct lz_table *t, const uint8_t *owner)
{
	pthread_rwlock_rdlock(&t->lock);
	bool r = false;
	const struct lz_node *z = closest_zone(t, owner);
	if (z != NULL) {
		switch (z->type) {
		case LZ_ALWAYS_TRANSPARENT:
			break;
		case LZ_TRANSPARENT:
		case LZ_TYPETRANSPARENT:
		case LZ_INFORM: {
			const struct lz_node *n = find(t, owner);
			r = n != NULL && n->sets != NULL;
			break;
		}
		default:
			r = true;
		}
	}
	pthread_rwlock_unlock(&t->lock);
	return r;
}

void lz_each_zone(struct lz_table *t, void (*fn)(void *ud, const uint8_t *name, enum lz_type type),
		  void *ud)
{
	pthread_rwlock_rdlock(&t->lock);
	for (size_t b = 0; b < t->n_buckets; b++)
		for (const struct lz_node *n = t->buckets[b]; n != NULL; n = n->next)
			if (n->zone)
				fn(ud, n->name, n->type);
	pthread_rwlock_unlock(&t->lock);
}

void lz_each_rr(struct lz_table *t,
		void (*fn)(void *ud, const uint8_t *owner, uint16_t type, uint32_t ttl,
			   const uint8_t *rdata, uint16_t rdlen),
		void *ud)
{
	pthread_rwlock_rdlock(&t->lock);
	for (size_t b = 0; b < t->n_buckets; b++)
		for (const struct lz_node *n = t->buckets[b]; n != NULL; n = n->next)
			for (const struct lz_rrset *s = n->sets; s != NULL; s = s->next)
				for (size_t i = 0; i < s->n; i++)
					fn(ud, n->name, s->type, s->ttl, s->rd[i].data,
					   s->rd[i].len);
	pthread_rwlock_unlock(&t->lock);
}
