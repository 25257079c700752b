/* sockaddr: comparing socket addresses (family, address and port). */
#ifndef PC_UTIL_SOCKADDR_H
#define PC_UTIL_SOCKADDR_H

#include <stdbool.h>
#include <sys/socket.h>

/* An address with port (network order) and its length, ready for bind,
 * connect or sendto: how every layer passes configured addresses. */
struct sockaddr_len {
	struct sockaddr_storage sa;
	socklen_t len;
};

/* Same family, address and port (IPv4 or IPv6; other families: false). */
bool sockaddr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

#endif
