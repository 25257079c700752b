/* srcaddr: answers that leave from the address their query was sent to.
 *
 * A client socket bound to a wildcard address (0.0.0.0 or ::) receives
 * queries for every local address; left to itself the kernel would send the
 * answer from whatever address the route to the client prefers, which the
 * client drops as coming from the wrong server. The listener asks for each
 * query's destination (net_recv_want_pktinfo) and sends the answer with a
 * PKTINFO control message naming it as the source. Only wildcard sockets
 * are registered here and pay for this; a listener on a specific address
 * never reaches this module on its cached-answer path. */
#ifndef PC_NET_SRCADDR_H
#define PC_NET_SRCADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/recv.h"

/* Space a control message of srcaddr_cmsg takes. */
#define SRCADDR_CMSG_SPACE CMSG_SPACE(sizeof(struct in6_pktinfo))

/* Register a wildcard socket (while the listeners open, before any reader
 * runs) and drop it (when it closes). Room for 1,024 (16 interfaces of
 * 64 workers, the configuration's bounds). */
void srcaddr_wild_add(int fd);
void srcaddr_wild_remove(int fd);
/* Is fd a registered wildcard socket? Any thread. */
bool srcaddr_wild(int fd);

/* Write into buf (SRCADDR_CMSG_SPACE bytes, cmsghdr-aligned) the control
 * message that makes the kernel send from dst: IP_PKTINFO with dst as the
 * source and the interface left to the routing table, or IPV6_PKTINFO with
 * dst and the interface the query came in on (a link-local address needs
 * it). Returns its length, or 0 when dst is unknown (family 0). */
size_t srcaddr_cmsg(void *buf, const struct net_dst *dst);

/* Send one datagram on fd to peer from dst, now (MSG_DONTWAIT). */
void srcaddr_send(int fd, const uint8_t *pkt, size_t len, const struct sockaddr_storage *peer,
		  socklen_t peerlen, const struct net_dst *dst);

#endif
