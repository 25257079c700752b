/* port_diag: asks the kernel, over NETLINK_SOCK_DIAG, which TCP and UDP
 * sockets (IPv4 and IPv6) have a source or destination port in a range,
 * and which AF_UNIX sockets are listening. The port filter runs in the
 * kernel as inet_diag bytecode, so only matching sockets cross into user
 * space however many exist.
 *
 * Works in the caller's current network namespace; port_proc/main switch
 * namespaces around it for --all-netns. */
#ifndef PC_PORT_DIAG_H
#define PC_PORT_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include "port/port_nl.h"

/* A growable array of sockets; owns v. Zero-initialise before first use. */
struct port_sockset {
	struct port_sock *v;
	size_t n, cap;
};

void port_sockset_free(struct port_sockset *set);
int port_sockset_add(struct port_sockset *set, const struct port_sock *s);

/* Append to *set every socket of the transports in tmask (PORT_TCP/UDP)
 * with a port in [lo, hi], tagging each with netns. Returns 0, PC_ENOMEM,
 * or PC_EIO with *kerr = errno. A transport the kernel cannot dump (diag
 * module missing, IPv6 disabled) is skipped and named in *skipped (a bit
 * per transport/family: 1 tcp4, 2 tcp6, 4 udp4, 8 udp6). */
int port_diag_inet(struct port_sockset *set, unsigned tmask, uint16_t lo,
		   uint16_t hi, uint64_t netns, unsigned *skipped, int *kerr);

/* Call cb for every listening AF_UNIX socket of this namespace. */
int port_diag_unix_listeners(port_nl_unix_cb cb, void *ctx, int *kerr);

/* Sort for display: transport, local port, family, local address, peer. */
void port_sockset_sort(struct port_sockset *set);

#endif
