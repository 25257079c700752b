/* qlog: log-queries and log-replies, one line per query or answer in the
 * shape of Unbound's:
 *
 *     info: 127.0.0.1 www.example.com. A IN
 *     info: 127.0.0.1 www.example.com. A IN NOERROR 0.000123 1 61
 *
 * (client address, name, type, class; for an answer also its rcode, the
 * seconds from reading the query to answering it, 1 when it came from the
 * cache, and its size in bytes). The lines are written whatever the
 * verbosity, as Unbound does. Any thread. */
#ifndef PC_DAEMON_QLOG_H
#define PC_DAEMON_QLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

void qlog_query(const struct sockaddr_storage *peer, const uint8_t *qname, uint16_t qtype,
		uint16_t qclass);
void qlog_reply(const struct sockaddr_storage *peer, const uint8_t *qname, uint16_t qtype,
		uint16_t qclass, unsigned rcode, uint64_t us, bool cached, size_t len);

/* The length of the DNS message that starts at msg (at most cap bytes: a
 * buffer with more after it), from its header's counts; 0 when it does not
 * hold a whole message. */
size_t qlog_msg_len(const uint8_t *msg, size_t cap);

/* Mnemonics (or TYPEn, CLASSn, RCODEn), for these lines and dnstap's. */
void qlog_type_text(uint16_t type, char *out, size_t cap);
void qlog_class_text(uint16_t qclass, char *out, size_t cap);

#endif
