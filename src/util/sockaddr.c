#include "util/sockaddr.h"

#include <netinet/in.h>
#include <string.h>

bool sockaddr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

uint32_t sockaddr_hash(const struct sockaddr_storage *a, const struct hash_key *key)
{
	/* family, port, address: the bytes sockaddr_equal compares */
	uint8_t b[2 + 2 + 16] = { 0 };
	size_t n = 4;
	b[0] = (uint8_t)a->ss_family;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)a;
		memcpy(b + 2, &s->sin_port, 2);
		memcpy(b + 4, &s->sin_addr, 4);
		n += 4;
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)a;
		memcpy(b + 2, &s->sin6_port, 2);
		memcpy(b + 4, &s->sin6_addr, 16);
		n += 16;
	}
	return (uint32_t)hash_bytes(key, b, n);
}
