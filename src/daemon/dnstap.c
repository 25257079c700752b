/* dnstap: protobuf messages over Frame Streams, written by libfstrm's I/O
 * thread (dnstap.h). */
#include "daemon/dnstap.h"

#include <stdio.h>

#include "util/err.h"

#ifndef PC_HAVE_DNSTAP

int dnstap_new(struct dnstap **out, const struct config *cfg, unsigned n_queues, char *err,
	       size_t errlen)
{
	(void)cfg;
	(void)n_queues;
	*out = NULL;
	snprintf(err, errlen, "dnstap-enable: this portcullis was built without dnstap "
		 "(libfstrm and protobuf-c were missing at build time)");
	return PC_EINVAL;
}

struct dnstap_queue *dnstap_queue(struct dnstap *d, unsigned i)
{
	(void)d;
	(void)i;
	return NULL;
}

uint64_t dnstap_dropped(const struct dnstap *d)
{
	(void)d;
	return 0;
}

void dnstap_free(struct dnstap *d)
{
	(void)d;
}

void dnstap_upstream_tap(void *ud, bool reply, const struct sockaddr_storage *server, bool tcp,
			 const uint8_t *pkt, size_t len)
{
	(void)ud;
	(void)reply;
	(void)server;
	(void)tcp;
	(void)pkt;
	(void)len;
}

void dnstap_send(struct dnstap_queue *q, enum dnstap_kind kind,
		 const struct sockaddr_storage *peer, bool tcp, const uint8_t *pkt, size_t len)
{
	(void)q;
	(void)kind;
	(void)peer;
	(void)tcp;
	(void)pkt;
	(void)len;
}

#else

#include <fstrm.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/admit.h"
#include "daemon/config.h"
#include "dnstap.pb-c.h"

#define CONTENT_TYPE "protobuf:dnstap.Dnstap"
#define QUEUE_SIZE 4096      /* messages per thread's queue (a power of 2) */
#define REOPEN_SECONDS 2     /* reconnect to an absent collector this often */

struct dnstap_queue {
	struct dnstap *d;
	struct fstrm_iothr_queue *q;
};

struct dnstap {
	struct fstrm_iothr *iothr;
	struct dnstap_queue *queues;
	unsigned n_queues;
	char identity[256], version[256];
	bool send_identity, send_version;
	bool resolver_query, resolver_response;
	_Atomic uint64_t dropped;
};

int dnstap_new(struct dnstap **out, const struct config *cfg, unsigned n_queues, char *err,
	       size_t errlen)
{
	struct dnstap *d = calloc(1, sizeof(*d));
	*out = d;
	if (d == NULL || (d->queues = calloc(n_queues, sizeof(*d->queues))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	d->n_queues = n_queues;
	d->send_identity = cfg->dnstap_send_identity;
	d->send_version = cfg->dnstap_send_version;
	d->resolver_query = cfg->dnstap_resolver_query;
	d->resolver_response = cfg->dnstap_resolver_response;
	if (cfg->dnstap_identity[0] != '\0')
		snprintf(d->identity, sizeof(d->identity), "%s", cfg->dnstap_identity);
	else if (gethostname(d->identity, sizeof(d->identity) - 1) != 0)
		d->identity[0] = '\0';
	snprintf(d->version, sizeof(d->version), "%s",
		 cfg->dnstap_version[0] ? cfg->dnstap_version : PC_VERSION_TEXT);

	struct fstrm_writer_options *wopt = fstrm_writer_options_init();
	struct fstrm_unix_writer_options *uopt = fstrm_unix_writer_options_init();
	struct fstrm_iothr_options *iopt = fstrm_iothr_options_init();
	struct fstrm_writer *w = NULL;
	int rc = PC_EIO;
	fstrm_writer_options_add_content_type(wopt, CONTENT_TYPE, strlen(CONTENT_TYPE));
	fstrm_unix_writer_options_set_socket_path(uopt, cfg->dnstap_socket_path);
	w = fstrm_unix_writer_init(uopt, wopt);
	if (w == NULL) {
		snprintf(err, errlen, "dnstap: cannot make a writer for %s", cfg->dnstap_socket_path);
		goto out;
	}
	fstrm_iothr_options_set_num_input_queues(iopt, n_queues);
	fstrm_iothr_options_set_input_queue_size(iopt, QUEUE_SIZE);
	fstrm_iothr_options_set_queue_model(iopt, FSTRM_IOTHR_QUEUE_MODEL_SPSC);
	fstrm_iothr_options_set_reopen_interval(iopt, REOPEN_SECONDS);
	/* The I/O thread opens the socket itself and retries while the
	 * collector is away: a start without the collector is no error. */
	d->iothr = fstrm_iothr_init(iopt, &w);
	if (d->iothr == NULL) {
		snprintf(err, errlen, "dnstap: cannot start the writer thread");
		fstrm_writer_destroy(&w);
		goto out;
	}
	for (unsigned i = 0; i < n_queues; i++) {
		d->queues[i].d = d;
		if ((d->queues[i].q = fstrm_iothr_get_input_queue(d->iothr)) == NULL) {
			snprintf(err, errlen, "dnstap: cannot make input queue %u", i);
			goto out;
		}
	}
	rc = 0;
out:
	fstrm_iothr_options_destroy(&iopt);
	fstrm_unix_writer_options_destroy(&uopt);
	fstrm_writer_options_destroy(&wopt);
	return rc;
}

struct dnstap_queue *dnstap_queue(struct dnstap *d, unsigned i)
{
	return d != NULL && i < d->n_queues ? &d->queues[i] : NULL;
}

uint64_t dnstap_dropped(const struct dnstap *d)
{
	return d != NULL ? atomic_load_explicit(&d->dropped, memory_order_relaxed) : 0;
}

void dnstap_free(struct dnstap *d)
{
	if (d == NULL)
		return;
	if (d->iothr != NULL)
		fstrm_iothr_destroy(&d->iothr);
	free(d->queues);
	free(d);
}

static void set_address(const struct sockaddr_storage *sa, Dnstap__Message *m, bool query_side)
{
	ProtobufCBinaryData addr;
	uint32_t port;
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		addr.data = (uint8_t *)&in->sin_addr;
		addr.len = 4;
		port = ntohs(in->sin_port);
		m->socket_family = DNSTAP__SOCKET_FAMILY__INET;
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		addr.data = (uint8_t *)&in6->sin6_addr;
		addr.len = 16;
		port = ntohs(in6->sin6_port);
		m->socket_family = DNSTAP__SOCKET_FAMILY__INET6;
	}
	m->has_socket_family = 1;
	if (query_side) {
		m->query_address = addr;
		m->has_query_address = 1;
		m->query_port = port;
		m->has_query_port = 1;
	} else {
		m->response_address = addr;
		m->has_response_address = 1;
		m->response_port = port;
		m->has_response_port = 1;
	}
}

void dnstap_send(struct dnstap_queue *q, enum dnstap_kind kind,
		 const struct sockaddr_storage *peer, bool tcp, const uint8_t *pkt, size_t len)
{
	static const Dnstap__Message__Type types[] = {
		[DNSTAP_CLIENT_QUERY] = DNSTAP__MESSAGE__TYPE__CLIENT_QUERY,
		[DNSTAP_CLIENT_RESPONSE] = DNSTAP__MESSAGE__TYPE__CLIENT_RESPONSE,
		[DNSTAP_RESOLVER_QUERY] = DNSTAP__MESSAGE__TYPE__RESOLVER_QUERY,
		[DNSTAP_RESOLVER_RESPONSE] = DNSTAP__MESSAGE__TYPE__RESOLVER_RESPONSE,
	};
	if (q == NULL)
		return;
	struct dnstap *d = q->d;
	bool query = kind == DNSTAP_CLIENT_QUERY || kind == DNSTAP_RESOLVER_QUERY;
	bool client = kind == DNSTAP_CLIENT_QUERY || kind == DNSTAP_CLIENT_RESPONSE;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);

	Dnstap__Message m = DNSTAP__MESSAGE__INIT;
	m.type = types[kind];
	m.has_socket_protocol = 1;
	m.socket_protocol = tcp ? DNSTAP__SOCKET_PROTOCOL__TCP : DNSTAP__SOCKET_PROTOCOL__UDP;
	/* the client asks us; we ask the server */
	set_address(peer, &m, client);
	ProtobufCBinaryData msg = { .len = len, .data = (uint8_t *)pkt };
	if (query) {
		m.query_message = msg;
		m.has_query_message = 1;
		m.query_time_sec = (uint64_t)now.tv_sec;
		m.query_time_nsec = (uint32_t)now.tv_nsec;
		m.has_query_time_sec = m.has_query_time_nsec = 1;
	} else {
		m.response_message = msg;
		m.has_response_message = 1;
		m.response_time_sec = (uint64_t)now.tv_sec;
		m.response_time_nsec = (uint32_t)now.tv_nsec;
		m.has_response_time_sec = m.has_response_time_nsec = 1;
	}
	Dnstap__Dnstap env = DNSTAP__DNSTAP__INIT;
	env.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
	env.message = &m;
	if (d->send_identity) {
		env.identity.data = (uint8_t *)d->identity;
		env.identity.len = strlen(d->identity);
		env.has_identity = 1;
	}
	if (d->send_version) {
		env.version.data = (uint8_t *)d->version;
		env.version.len = strlen(d->version);
		env.has_version = 1;
	}
	size_t n = dnstap__dnstap__get_packed_size(&env);
	uint8_t *buf = malloc(n);
	if (buf == NULL) {
		atomic_fetch_add_explicit(&d->dropped, 1, memory_order_relaxed);
		return;
	}
	dnstap__dnstap__pack(&env, buf);
	/* The I/O thread frees buf once written (or dropped). */
	if (fstrm_iothr_submit(d->iothr, q->q, buf, n, fstrm_free_wrapper, NULL) !=
	    fstrm_res_success) {
		free(buf);
		atomic_fetch_add_explicit(&d->dropped, 1, memory_order_relaxed);
	}
}

void dnstap_upstream_tap(void *ud, bool reply, const struct sockaddr_storage *server, bool tcp,
			 const uint8_t *pkt, size_t len)
{
	struct dnstap_queue *q = ud;
	if (reply ? q->d->resolver_response : q->d->resolver_query)
		dnstap_send(q, reply ? DNSTAP_RESOLVER_RESPONSE : DNSTAP_RESOLVER_QUERY, server, tcp,
			    pkt, len);
}

#endif
