/* request: the life of a client question that missed the cache, from the
 * thread that read it to its answer (daemon/worker.h says which threads
 * those are).
 *
 * A request is taken from a bounded free list by the thread that read the
 * question (req_get), resolved on worker 0's loop thread, which alone owns
 * the core, the upstream layer and the socket pool (req_resolve: the core's
 * state machine driven by upstream replies), answered there (the UDP answer
 * sent at once, or held for the end of the loop iteration by net/listen),
 * and given back to the worker whose thread holds its client (req_return):
 * a TCP connection belongs to its worker's loop, so the request travels
 * back through that worker's inbox and the worker writes the answer and
 * releases the client (req_finish).
 *
 * The inbox (struct req_inbox) is how requests cross threads: a
 * mutex-protected list and a uv_async_t that wakes the owner's loop. Misses
 * that a UDP reader thread or another worker read go to worker 0's; answers
 * for another worker's TCP clients go to that worker's.
 *
 * This file calls no other daemon file: the workers (worker.c) and the
 * server (server.c) call it, so a request's life is read in one place and
 * the server and the workers do not call each other back. */
#ifndef PC_DAEMON_REQUEST_H
#define PC_DAEMON_REQUEST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/core.h"
#include "daemon/lathist.h"
#include "net/listen.h"
#include "util/freelist.h"
#include "util/list.h"
#include "wire/wire.h"

struct config;
struct upstream;
struct req_table;

/* Counters of one thread that answers clients: written by that thread
 * only, read by anyone (daemon/worker.h). */
struct worker_stats {
	_Atomic uint64_t client_udp, client_tcp, refused, formerr;
	_Atomic uint64_t cache_hits, cache_misses;
	_Atomic uint64_t packet_hits; /* the cache hits the packet cache answered */
	_Atomic uint64_t rcode[6];
	/* Only with metrics-interface: from the read of a query to the send
	 * of its answer, answers from the cache and answers resolved apart
	 * (daemon/lathist.h). */
	struct lat_hist lat_hit, lat_miss;
};

/* A single writer may increment without a locked instruction. */
#define WSTAT_ADD(st, field, n)                                                           \
	atomic_store_explicit(&(st)->field,                                               \
			      atomic_load_explicit(&(st)->field, memory_order_relaxed) + (n), \
			      memory_order_relaxed)

struct creq;

/* The end of a request the daemon made for itself (req_internal): its
 * answer a, or NULL when it was not resolved (out of memory, the request
 * list full, stopping). Worker 0's loop thread, once per request. */
typedef void (*req_done_fn)(void *ud, const uint8_t *qname, uint16_t qtype,
			    const struct core_answer *a);

/* Observation of the answers worker 0 writes for requests (metrics'
 * latency, log-replies, dnstap's client responses): called on worker 0's
 * loop thread with the answer just written (out, len) and its rcode, before
 * it is sent or kept for the way back. */
typedef void (*req_observe_fn)(void *ud, const struct creq *r, unsigned rcode,
			       const uint8_t *out, size_t len);

/* One thread's queue of requests handed to it by other threads. */
struct req_inbox {
	pthread_mutex_t mu;  /* guards queued, closed and stop */
	struct list queued;  /* struct creq, oldest first */
	bool closed;         /* no longer read: posts stay queued, no wake-ups */
	bool stop;           /* its owner was asked to stop */
	bool init;           /* wake is initialised */
	uv_async_t wake;
};

/* A client question that missed the cache. */
struct creq {
	struct req_table *rq;
	struct req_inbox *home;      /* the inbox of the worker holding the client */
	struct core_req *core;
	struct up_query *q;
	struct listen_client client; /* held: released on the home worker's thread */
	uint16_t id, flags, qtype, qclass, max_size;
	bool edns;                   /* the client sent an OPT */
	bool edns_do;                /* with the DO bit: DNSSEC records are given */
	bool background;              /* no client: a refresh (prefetch) or internal */
	req_done_fn done;             /* internal (req_internal): where the answer goes */
	void *done_ud;
	bool answered;                /* the client has had an answer (expired data)
				       * while the resolution goes on */
	uint8_t qname[WIRE_NAME_MAX]; /* as the client wrote it */
	uint64_t started_ms;          /* when worker 0 began resolving it */
	uint64_t rx_us;               /* observed (metrics-interface, log-replies):
				       * when it was read (monotonic us); else 0 */
	uint8_t *answer;              /* on the way back: the response, or NULL */
	size_t answer_len;
	struct list_node link;        /* in worker 0's requests, or in an inbox */
};

/* What another file (daemon/stale.c: serve-expired) adds to a request's
 * life, called through these pointers so that the calls between the two
 * files go one way (that file calls this one). Worker 0's loop thread;
 * any pointer may be NULL. */
struct req_hooks {
	void *ud;
	/* r has just joined the list. false: r was answered and needs no
	 * resolution of its own; it ends at once. */
	bool (*start)(void *ud, struct creq *r, uint64_t now);
	/* r leaves the list (r->next still points at its successor). */
	void (*end)(void *ud, struct creq *r);
	/* r's answer is a; true when the hook dealt with r's client itself. */
	bool (*answer)(void *ud, struct creq *r, const struct core_answer *a);
};

/* Worker 0's requests and what resolving them takes. */
struct req_table {
	uv_loop_t *loop;             /* worker 0's */
	const struct config *cfg;
	const struct core_env *env;
	struct upstream *up;
	struct req_inbox *resolver;  /* worker 0's inbox, where misses go */
	struct worker_stats *stats;  /* where worker 0 counts its answers */
	req_observe_fn observe;      /* NULL when no answer is observed (no cost) */
	void *observe_ud;
	/* Being resolved, oldest first; at most max of them
	 * (num-queries-per-thread for each thread, all of whose misses come
	 * here). */
	struct list reqs;            /* struct creq */
	size_t n, max, peak;
	uint64_t jostled, overload_servfail;
	uint64_t refreshes;          /* background resolutions begun (prefetch) */
	struct req_hooks hooks;
	uv_timer_t trim;
	bool trim_on;
	bool stopping;
	/* Free request objects, shared by all threads (a miss on any thread
	 * takes one; it is given back where the client is released): a lock
	 * per miss, none per hit. */
	pthread_mutex_t spare_mu;
	struct freelist spare;
	uint8_t out[65535];          /* worker 0's answer being written */
};

/* ---- the table (worker 0's loop thread) ---- */

/* Set up rq on worker 0's loop for at most max requests at once. */
void req_table_init(struct req_table *rq, uv_loop_t *loop, const struct config *cfg,
		    const struct core_env *env, size_t max);
/* Stopping: every request being resolved ends (its client goes back
 * unanswered) and later ones are returned at once. */
void req_table_stop(struct req_table *rq);
/* Close its handles (loop thread); after the loop ended, req_table_free
 * releases the spare requests. */
void req_table_close(struct req_table *rq);
void req_table_free(struct req_table *rq);

/* ---- a request's life ---- */

/* A request object (from the bounded free list), or NULL. Any thread. */
struct creq *req_get(struct req_table *rq);
/* Worker 0's loop thread: resolve r (or, when stopping, return it
 * unanswered). */
void req_resolve(struct req_table *rq, struct creq *r);
/* Any thread: refresh the cached answer to a question (prefetch): a
 * request without a client for worker 0; resolver says the caller is
 * worker 0's loop thread. */
void req_prefetch(struct req_table *rq, bool resolver, const uint8_t *qname, uint16_t qtype,
		  uint16_t qclass);
/* Worker 0's loop thread: resolve a question for the daemon itself (the
 * RFC 5011 probe's DNSKEY query), through the same path as a client's
 * miss: asked upstream even when the cache holds an answer, with CD when
 * cd (the answer as it came, with its RRSIGs, whatever the validator makes
 * of it), not subject to prefetch; when num-queries-per-thread requests
 * are in flight it is not made (done gets NULL), no client is jostled for
 * it. done(ud, ...) is called exactly once, possibly before this returns. */
void req_internal(struct req_table *rq, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
		  bool cd, req_done_fn done, void *ud);
/* Worker 0: write the answer a for r's client and send it (or keep it for
 * r's home worker), whatever the hooks say; marks r answered. */
void req_respond(struct req_table *rq, struct creq *r, const struct core_answer *a);
/* Worker 0: another request for r's question is being resolved. */
bool req_in_flight(const struct req_table *rq, const struct creq *r);
/* The client of r goes back to its home worker: the answer (if any) is
 * written there and the client released. Any thread. */
void req_return(struct creq *r);
/* On r's home worker (or once every thread has ended): send the answer it
 * carries, release its client, recycle it. */
void req_finish(struct creq *r);
/* After every thread has ended: release r's client and r, sending nothing. */
void req_drop(struct creq *r);

/* ---- inboxes ---- */

/* On the owner's loop: on_wake runs there (with wake.data = data) after
 * posts. */
void req_inbox_init(struct req_inbox *ib, uv_loop_t *loop, uv_async_cb on_wake, void *data);
/* Queue r and wake the owner; any thread. A closed inbox keeps r queued. */
void req_inbox_post(struct req_inbox *ib, struct creq *r);
/* The owner: take everything queued into *out (struct creq, in the order
 * posted), and whether a stop was asked (stop may be NULL). */
void req_inbox_take(struct req_inbox *ib, struct list *out, bool *stop);
/* Ask the owner to stop (any thread): sets stop and wakes it. */
void req_inbox_ask_stop(struct req_inbox *ib);
/* The owner: no more reading, no more wake-ups; closes the handle. */
void req_inbox_close(struct req_inbox *ib);
/* Once no thread posts any more: the mutex goes. */
void req_inbox_destroy(struct req_inbox *ib);

#endif
