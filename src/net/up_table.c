/* The tables of outstanding upstream transactions: by (socket, ID) for
 * matching a reply, by (socket, server) for the queries a mismatch
 * concerns, by (server, question) for merging, the list of all of them,
 * and the spare list of ended ones kept for reuse. */
#include "net/upstream_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/sockaddr.h"

static uint32_t bucket(uint64_t sock_serial, uint16_t id)
{
	return (((uint32_t)sock_serial * 2654435761u) ^ id) & (BUCKETS - 1);
}

static uint32_t server_bucket(uint64_t sock_serial, uint32_t shash)
{
	return (((uint32_t)sock_serial * 2654435761u) ^ shash) & (SRV_BUCKETS - 1);
}

struct up_tx *up_lookup(struct upstream *u, const struct pool_sock *s, uint16_t id)
{
	for (struct up_tx *t = u->table[bucket(s->serial, id)]; t != NULL; t = t->next)
		if (t->sock == s && t->id == id)
			return t;
	return NULL;
}

void up_table_insert(struct up_tx *t, struct pool_sock *s)
{
	struct upstream *u = t->u;
	t->sock = s;
	uint32_t b = bucket(s->serial, t->id);
	t->next = u->table[b];
	u->table[b] = t;
	b = server_bucket(s->serial, t->shash);
	t->snext = u->by_server[b];
	u->by_server[b] = t;
	t->in_table = true;
	pool_sock_sent(s);
}

void up_table_remove(struct up_tx *t)
{
	if (!t->in_table)
		return;
	struct upstream *u = t->u;
	struct up_tx **pp = &u->table[bucket(t->sock->serial, t->id)];
	while (*pp != t)
		pp = &(*pp)->next;
	*pp = t->next;
	pp = &u->by_server[server_bucket(t->sock->serial, t->shash)];
	while (*pp != t)
		pp = &(*pp)->snext;
	*pp = t->snext;
	t->in_table = false;
	struct pool_sock *s = t->sock;
	t->sock = NULL;
	pool_sock_done(s); /* may close a retired socket: s is gone after this */
}

static uint32_t merge_hash(const struct upstream *u, const struct sockaddr_storage *server,
			   const uint8_t *qname, uint16_t qtype, uint16_t qclass, bool rd)
{
	uint32_t h = sockaddr_hash(server, &u->hkey) ^ wire_name_hash(qname, &u->hkey);
	h ^= ((uint32_t)qtype << 16 | qclass) * 2654435761u;
	return rd ? ~h : h;
}

struct up_tx *up_merge_find(struct upstream *u, const struct core_send *s)
{
	uint32_t h = merge_hash(u, &s->addr, s->qname, s->qtype, s->qclass, s->rd);
	for (struct up_tx *t = u->merge[h & (MERGE_BUCKETS - 1)]; t != NULL; t = t->mnext)
		if (t->mhash == h && !t->finished && t->qtype == s->qtype &&
		    t->qclass == s->qclass && t->rd == s->rd && sockaddr_equal(&t->server, &s->addr) &&
		    wire_name_eq(t->qname, s->qname))
			return t;
	return NULL;
}

void up_merge_insert(struct up_tx *t)
{
	struct upstream *u = t->u;
	t->mhash = merge_hash(u, &t->server, t->qname, t->qtype, t->qclass, t->rd);
	struct up_tx **head = &u->merge[t->mhash & (MERGE_BUCKETS - 1)];
	t->mnext = *head;
	*head = t;
	t->in_merge = true;
}

void up_merge_remove(struct up_tx *t)
{
	if (!t->in_merge)
		return;
	struct up_tx **pp = &t->u->merge[t->mhash & (MERGE_BUCKETS - 1)];
	while (*pp != t)
		pp = &(*pp)->mnext;
	*pp = t->mnext;
	t->in_merge = false;
}

void up_all_link(struct up_tx *t)
{
	struct upstream *u = t->u;
	t->all_prev = NULL;
	t->all_next = u->all;
	if (u->all != NULL)
		u->all->all_prev = t;
	u->all = t;
}

void up_all_unlink(struct up_tx *t)
{
	if (t->all_prev != NULL)
		t->all_prev->all_next = t->all_next;
	else if (t->u->all == t)
		t->u->all = t->all_next;
	if (t->all_next != NULL)
		t->all_next->all_prev = t->all_prev;
	t->all_prev = t->all_next = NULL;
}

size_t up_waiting_on(struct upstream *u, const struct pool_sock *s,
		     const struct sockaddr_storage *from, struct up_tx **hit, size_t max)
{
	size_t n = 0;
	uint32_t shash = sockaddr_hash(from, &u->hkey);
	for (struct up_tx *t = u->by_server[server_bucket(s->serial, shash)]; t != NULL && n < max;
	     t = t->snext)
		if (t->sock == s && t->shash == shash && sockaddr_equal(&t->server, from))
			hit[n++] = t;
	return n;
}

bool up_waiting_for(struct upstream *u, const struct pool_sock *s,
		    const struct sockaddr_storage *from)
{
	struct up_tx *t;
	return up_waiting_on(u, s, from, &t, 1) > 0;
}

struct up_tx *up_tx_alloc(struct upstream *u)
{
	struct up_tx *t = u->spare;
	if (t == NULL)
		return calloc(1, sizeof(*t));
	u->spare = t->next;
	u->n_spare--;
	memset(t, 0, sizeof(*t));
	return t;
}

void up_tx_release(struct upstream *u, struct up_tx *t)
{
	if (u->n_spare < TX_SPARE_MAX) {
		t->next = u->spare;
		u->spare = t;
		u->n_spare++;
	} else {
		free(t);
	}
}

void up_tx_free_spares(struct upstream *u)
{
	while (u->spare != NULL) {
		struct up_tx *t = u->spare;
		u->spare = t->next;
		free(t);
	}
	u->n_spare = 0;
}
