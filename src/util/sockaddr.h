/* sockaddr: comparing socket addresses (family, address and port). */
#ifndef PC_UTIL_SOCKADDR_H
#define PC_UTIL_SOCKADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/hash.h"

/* An address with port (network order) and its length, ready for bind,
 * connect or sendto: how every layer passes configured addresses. */
struct sockaddr_len {
	struct sockaddr_storage sa;
	socklen_t len;
};

/* Same family, address and port (IPv4 or IPv6; other families: false). */
bool sockaddr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/* Keyed hash (util/hash.h) of family, address and port, so that addresses
 * equal by sockaddr_equal hash alike; other families hash alike. */
uint32_t sockaddr_hash(const struct sockaddr_storage *a, const struct hash_key *key);

#endif
