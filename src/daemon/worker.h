/* worker: the threads that answer clients (num-threads of them).
 *
 * Every worker has its own libuv loop and its own client listeners: one UDP
 * and one TCP socket per interface, bound with SO_REUSEPORT when there is
 * more than one worker, so that the kernel spreads clients over the workers
 * and no worker waits for another to read a query. The loop serves TCP;
 * each UDP socket has a reader thread of its own (net/listen_udp.c) that sleeps
 * in recvmmsg rather than in the loop's epoll, which saves a system call
 * and the loop's bookkeeping on every wake-up. With several workers the
 * readers of one interface's sockets read them all together (worker_share):
 * one waits for all while the load is moderate, and every one reads when a
 * backlog builds up, so a second worker does not halve how many queries a
 * wake-up finds. A thread that reads queries
 * (the loop's, or a reader) answers cache hits by itself, with its own
 * struct wctx (counters and scratch), from the one cache all workers share:
 * the cache copies the records out under a lock striped by hash bucket
 * (cache.h), so a hit takes one uncontended lock and touches no other
 * thread's memory, and the answers of one recvmmsg batch leave with one
 * sendmmsg. Before that, a UDP reader looks for the query's bytes in its
 * own packet cache (cache/pcache.h), which holds the answers it wrote in
 * full for cache hits; a flush ends them through the cache's flush
 * generation, read before either lookup.
 *
 * Everything else happens on worker 0, the resolution worker, which runs on
 * the main thread's loop and alone owns the core, the upstream layer and
 * the socket pool. A cache miss read by any other thread (a UDP reader,
 * worker 0's included, or another worker's loop) is handed to worker 0
 * through its inbox (a mutex-protected list and a uv_async_t to wake its
 * loop). Keeping one pool on one thread means every upstream query draws
 * its socket uniformly from the whole pool: a pool split into per-thread
 * slices would let an attacker learn which ports one thread uses (the
 * Unbound per-thread port slice was such a hole). Worker 0 is also the
 * cache's only writer, so the core keeps borrowing cache entries as before.
 *
 * That hand-off is a second thread's wake-up per miss, which at a moderate
 * rate cost more than the resolution itself. So the UDP sockets of worker
 * 0 that no other worker shares (num-threads 1) are read adaptively
 * (net/listen.h, listen_udp_adaptive): while a good share of the reader's
 * wake-ups find a miss, worker 0's loop thread reads the socket itself and
 * resolves each miss in place, and the reader sleeps; when misses become
 * rare the reader takes the socket back, two system calls per wake-up for
 * cache hits. Either way the upstream query is made by worker 0's loop
 * thread from the one pool, so every query still draws its socket
 * uniformly from the whole pool.
 *
 * The life of a request, from the miss to its answer and back to the
 * worker that holds its client, is daemon/request.c's: the workers and the
 * server call it, and it calls neither. When worker 0 has an answer for a
 * UDP client it sends it itself on the client's listener socket (sendto on
 * a socket is safe from any thread; the sockets stay open until worker 0
 * has stopped resolving). A TCP connection belongs to its worker's loop,
 * so the answer travels back through that worker's inbox, and the worker
 * writes it and releases the connection.
 *
 * Statistics are counted per thread (struct wctx), each counter written only
 * by its own thread with relaxed atomic loads and stores (plain moves on
 * x86, no locked instructions); the control channel, served by worker 0,
 * sums them per worker.
 *
 * Stopping (SIGTERM, SIGINT or "portcullis-ctl stop", all on worker 0):
 * worker 0 ends its requests, sending each held TCP client back to its
 * worker to be released, closes its own inbox, and asks every other worker
 * to stop; each closes its listeners (stopping and joining their UDP
 * readers) and inbox, and its thread ends when its loop has no more
 * handles. A miss a reader posts to worker 0 after that stays in the inbox. server_free joins the threads and then
 * releases whatever was still queued between workers, so nothing leaks. */
#ifndef PC_DAEMON_WORKER_H
#define PC_DAEMON_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/core.h"
#include "daemon/request.h"
#include "net/listen.h"
#include "wire/wire.h"

struct dnstap;
struct dnstap_queue;
struct pcache;
struct worker;

/* struct worker_stats and WSTAT_ADD are in daemon/request.h. */

/* What one thread needs to answer client queries: its counters (written
 * by that thread only) and its scratch space. A worker has one for its loop
 * thread (TCP queries, and on worker 0 the answers that come after upstream
 * queries) and one for each UDP reader thread. */
struct wctx {
	struct worker *w;
	struct worker_stats stats;
	struct wire_msg qmsg;
	struct core_answer cached;
	struct pcache *pc; /* a UDP reader's packet cache, or NULL */
	/* Observation (metrics-interface, log-queries, log-replies, dnstap's
	 * client messages): what this thread does. A worker without any reads
	 * its queries with the plain function; the observed one wraps it
	 * (worker.c, on_query_obs). */
	bool obs_metrics, obs_logq, obs_logr;
	bool obs_dt_cq, obs_dt_cr;   /* dnstap client query / response messages */
	struct dnstap_queue *dt;     /* this thread's dnstap queue, or NULL */
	uint64_t batch_t0_us; /* a UDP batch's first query; 0 between batches */
	uint64_t hits_mark;   /* cache_hits when that batch began */
	uint64_t obs_t0_us;   /* the observed query's start, for its request if it
			       * misses; 0 when not observing */
	bool obs_has_q;       /* the observed query's question (log lines) */
	uint16_t obs_qtype, obs_qclass;
	uint8_t obs_qname[WIRE_NAME_MAX];
	uint8_t out[65535];
};

struct worker {
	unsigned idx;
	/* The configuration in force: a slot that a reload changes with one
	 * release store (daemon/reload.c); a thread loads it once per query
	 * and does not keep it past that query. */
	_Atomic(const struct config *) *cfg;
	const struct core_env *env;
	struct req_table *rq;  /* worker 0's requests: where misses go */
	uv_loop_t *loop;
	uv_loop_t own_loop; /* the loop of workers 1..N-1 */
	uv_thread_t thread;
	bool thread_started;
	struct listeners *ls;
	struct req_inbox inbox; /* misses (worker 0), answers coming back (others) */
	struct wctx main;    /* the loop thread's */
	struct wctx *udp;    /* one per UDP socket, for its reader thread */
	size_t n_udp;
};

/* Create worker idx (0 runs on loop, the others on a loop of their own)
 * with its listeners and inbox; its misses go to rq (daemon/request.h),
 * whose resolver inbox is worker 0's (worker 0 sets it, and where its
 * answers are counted). live is the slot holding the configuration in
 * force (struct server's, which a reload changes). live, env and rq must
 * outlive the worker. On failure
 * returns a negative PC_E* with one line in err; *out must still be passed
 * to worker_stop/worker_free. */
int worker_new(struct worker **out, unsigned idx, uv_loop_t *loop,
	       _Atomic(const struct config *) *live, const struct listen_opts *lopts,
	       const struct core_env *env, struct req_table *rq, bool reuseport, char *err,
	       size_t errlen);
/* With several workers, after worker_new of both and before worker_start:
 * w's UDP readers read worker first's sockets and w's together
 * (listen_share). Returns 0 or a negative PC_E* with one line in err. */
int worker_share(struct worker *w, struct worker *first, char *err, size_t errlen);
/* With dnstap, before worker_start: give each of w's threads its own
 * queue of d, from *next on (*next moves past them). */
void worker_set_dnstap(struct worker *w, struct dnstap *d, unsigned *next);
/* The threads of w that may log to dnstap (its loop's and its readers). */
unsigned worker_n_threads(const struct worker *w);
/* Start the worker's UDP readers and (a worker other than 0) its thread. */
int worker_start(struct worker *w);
/* Worker 0's thread: worker 0 stops reading its inbox and listeners and
 * hands back what its inbox holds; another worker is asked to stop (or, if
 * its thread never started, is stopped here). */
void worker_stop(struct worker *w);
/* After worker 0's loop has ended: wait for the worker's thread to end. */
void worker_join(struct worker *w);
/* Once every worker is joined: release what is left in the inbox, free. */
void worker_free(struct worker *w);
/* One counter (its offset in struct worker_stats) summed over the worker's
 * threads; each is read with a relaxed load while it may be counting. */
uint64_t worker_stat(const struct worker *w, size_t off);

#endif
