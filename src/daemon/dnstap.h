/* dnstap: the dnstap: clause. Messages (client queries and answers,
 * upstream queries and replies, as the dnstap-log-*-messages keys ask) are
 * encoded as dnstap protobuf (dnstap.proto, compiled at build time by
 * protoc-c) and written as Frame Streams to a collector's UNIX socket by
 * libfstrm's I/O thread.
 *
 * A thread that logs never waits for the socket: each thread has its own
 * single-producer input queue (dnstap_queue), a message is handed over
 * with one non-blocking submit, and a message that finds its queue full
 * (the collector is slow, absent or restarting) is dropped and counted.
 * The I/O thread connects, reconnects every few seconds while the
 * collector is away, and flushes at least once a second.
 *
 * Built only with libfstrm and protobuf-c (PC_HAVE_DNSTAP); without them
 * dnstap_new refuses dnstap-enable with a message saying why. */
#ifndef PC_DAEMON_DNSTAP_H
#define PC_DAEMON_DNSTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct config;
struct dnstap;
struct dnstap_queue;

/* Start the I/O thread for cfg's dnstap: clause with n_queues input
 * queues (one per thread that will log). Returns 0, or a negative PC_E*
 * with one line in err. */
int dnstap_new(struct dnstap **out, const struct config *cfg, unsigned n_queues, char *err,
	       size_t errlen);
/* The i-th queue (0 <= i < n_queues), to be used by one thread only. */
struct dnstap_queue *dnstap_queue(struct dnstap *d, unsigned i);
/* Messages dropped because a queue was full (or out of memory). */
uint64_t dnstap_dropped(const struct dnstap *d);
/* Flush what is queued (for a moment at most) and stop the I/O thread. */
void dnstap_free(struct dnstap *d);

enum dnstap_kind {
	DNSTAP_CLIENT_QUERY,
	DNSTAP_CLIENT_RESPONSE,
	DNSTAP_RESOLVER_QUERY,
	DNSTAP_RESOLVER_RESPONSE,
};

/* Send one message of kind on q, stamped with the wall clock: pkt is the
 * DNS message; peer the client (client kinds) or the server (resolver
 * kinds). Never blocks; a full queue drops the message (counted). */
void dnstap_send(struct dnstap_queue *q, enum dnstap_kind kind,
		 const struct sockaddr_storage *peer, bool tcp, const uint8_t *pkt, size_t len);

/* The upstream layer's tap (net/upstream.h up_set_tap), with ud the
 * queue of the upstream layer's thread: RESOLVER_QUERY and
 * RESOLVER_RESPONSE messages as dnstap-log-resolver-*-messages ask. */
void dnstap_upstream_tap(void *ud, bool reply, const struct sockaddr_storage *server, bool tcp,
			 const uint8_t *pkt, size_t len);

#endif
