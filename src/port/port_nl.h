/* port_nl: the sock_diag wire codec — request builders and reply parsers.
 *
 * Pure functions over caller buffers: no sockets, no allocation. port_diag
 * does the I/O and hands each received datagram to port_nl_parse_*; the
 * fuzzer does the same with arbitrary bytes. Every netlink reply is read
 * through the project's one bounds-checked reader, struct wire_rd
 * (wire/wire.h): every read checks the remaining length, each message and
 * attribute is a reader of its own (wire_rd_sub), and structures are copied
 * out with memcpy so alignment never matters. Netlink is in host byte
 * order, so only wire_rd's byte copies are used here, never its network
 * order integer reads. */
#ifndef PC_PORT_NL_H
#define PC_PORT_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

/* Next netlink message: copies its header fields and gives its payload. */
struct port_nlmsg {
	uint32_t len;
	uint16_t type, flags;
	uint32_t seq, pid;
};
int port_nl_next_msg(struct wire_rd *stream, struct port_nlmsg *hdr,
		     struct wire_rd *payload);
/* Next route attribute (struct rtattr / struct nlattr share the layout). */
int port_nl_next_attr(struct wire_rd *attrs, uint16_t *type, struct wire_rd *val);

/* ---- what a reply turns into ------------------------------------------- */

/* One inet socket as sock_diag reports it. Addresses are raw bytes in
 * network order: 4 for AF_INET, 16 for AF_INET6. */
struct port_sock {
	uint8_t family;   /* AF_INET or AF_INET6 */
	uint8_t proto;    /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t state;    /* TCP_* numbering, as the kernel uses for UDP too */
	int8_t v6only;    /* -1 not reported, else INET_DIAG_SKV6ONLY */
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16];
	uint32_t uid;
	uint32_t inode;   /* 0 for TIME-WAIT and request sockets */
	uint32_t rqueue, wqueue;
	uint64_t netns;   /* filled by port_diag: namespace it was found in */
};

struct port_unix_listener {
	uint32_t inode;
	char path[109];   /* NUL-terminated; abstract names start with '@' */
};

typedef int (*port_nl_sock_cb)(void *ctx, const struct port_sock *s);
typedef int (*port_nl_unix_cb)(void *ctx, const struct port_unix_listener *u);

/* Parse one received datagram of a dump whose request had sequence seq.
 * Calls cb for each socket (a non-zero return from cb stops and is
 * returned). *done becomes true at NLMSG_DONE. A netlink error message sets
 * *kerr to the positive errno and returns PC_EIO. Malformed input returns
 * PC_EMALFORMED; nothing is read outside [buf, buf+len). */
int port_nl_parse_inet(const void *buf, size_t len, uint32_t seq, uint8_t proto,
		       port_nl_sock_cb cb, void *ctx, bool *done, int *kerr);
int port_nl_parse_unix(const void *buf, size_t len, uint32_t seq,
		       port_nl_unix_cb cb, void *ctx, bool *done, int *kerr);

/* ---- requests ---------------------------------------------------------- */

/* Build a SOCK_DIAG_BY_FAMILY dump request for family/proto in all states,
 * with an INET_DIAG_REQ_BYTECODE filter that keeps sockets whose source or
 * destination port lies in [lo, hi], so the kernel does the filtering.
 * Returns the message length, or 0 if cap is too small (256 is enough). */
size_t port_nl_build_inet_req(void *buf, size_t cap, uint8_t family, uint8_t proto,
			      uint16_t lo, uint16_t hi, uint32_t seq);
/* Dump request for listening AF_UNIX sockets with their names. */
size_t port_nl_build_unix_req(void *buf, size_t cap, uint32_t seq);

#endif
