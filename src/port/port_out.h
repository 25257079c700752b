/* port_out: renders a finished answer, as text for people (port_text.c:
 * fits 80 columns unless --wide) or as JSON with the stable schema
 * documented in portcullis-port(1) (port_out.c). Reads the report, owns
 * nothing, writes to the FILE. */
#ifndef PC_PORT_OUT_H
#define PC_PORT_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "port/port_diag.h"
#include "port/port_pool.h"
#include "port/port_proc.h"
#include "port/port_spec.h"

#define PORT_MAX_WARN 8
#define PORT_TEXT_WIDTH 80 /* the default text output never exceeds this */

/* A network namespace we looked in, as people can name it. */
struct port_nslabel {
	uint64_t ino;
	int pid;                        /* a process in it; 0 for our own */
	char name[PORT_NETNS_NAME_MAX]; /* its `ip netns` name, or "" */
};

/* Everything main() learned; the output functions only read it. */
struct port_report {
	const struct port_args *args;
	const struct port_item *items;  /* what was looked up: the ports of the
					 * query, or of the service's records */
	size_t nitems;
	bool have_eph;                 /* ip_local_port_range was readable */
	uint16_t eph_lo, eph_hi;
	bool have_reserved;
	const uint8_t *reserved;       /* 8192-byte bitmap, see port_spec.h */
	const struct port_sockset *socks;
	const struct port_owners *owners;
	const int *pool_pid;           /* per socket: daemon pid, 0 if none */
	const struct port_pool_sock *const *pool_ent; /* per socket: the pool's record, or NULL */
	uint64_t self_ns;              /* our network namespace inode */
	const struct port_nslabel *ns; /* --all-netns: the namespaces searched */
	size_t nns;
	size_t ns_failed;              /* --all-netns: namespaces we could not enter */
	size_t ns_unreadable;          /* processes whose namespace we could not read */
	const char *warn[PORT_MAX_WARN];
	int nwarn;
};

/* Stable words for the JSON "state" field and the table. */
const char *port_state_name(uint8_t proto, uint8_t state);
/* Address text; an IPv4-mapped IPv6 address is shown as IPv4. */
void port_addr_text(uint8_t family, const uint8_t addr[16], char *buf, size_t len);
/* True for an AF_INET6 socket on the unspecified address that also takes
 * IPv4 (IPV6_V6ONLY off). */
bool port_sock_dual_stack(const struct port_sock *s);
/* Whether some process we could not inspect may hold this socket. */
bool port_sock_owner_hidden(const struct port_report *r, size_t i);

/* ---- helpers shared by the text and JSON renderers ---------------------- */

const char *port_proto_name(uint8_t proto);
const char *port_tmask_name(unsigned m);
const char *port_user_name(uint32_t uid, char *buf, size_t len, bool numeric);
/* "addr:port", "[v6]:port", "addr:*" for an unset peer port. */
void port_endpoint(const struct port_sock *s, bool local, char *buf, size_t len);
/* "comm[pid],comm[pid]", "-" (no process) or "?hidden". */
void port_owners_text(const struct port_report *r, size_t i, char *buf, size_t len);
/* The socket's local or peer port is in the item, for its transports. */
bool port_sock_in_item(const struct port_sock *s, const struct port_item *it);
/* Ports of the item inside the ephemeral range (eph) or reserved. */
size_t port_count_in(const struct port_report *r, const struct port_item *it, bool eph);
/* Ports of the item no socket of proto in our namespace has as local port. */
size_t port_count_free(const struct port_report *r, const struct port_item *it, uint8_t proto);
/* How many of the item's ports fall in each IANA range. */
void port_iana_summary(const struct port_item *it, size_t cnt[3]);
/* The label of a namespace we searched, or NULL. */
const struct port_nslabel *port_ns_label(const struct port_report *r, uint64_t ino);

/* ---- answers ------------------------------------------------------------ */

/* PORT, RANGE and LIST queries. */
void port_out_ports_text(FILE *f, const struct port_report *r);
void port_out_ports_json(FILE *f, const struct port_report *r);
/* SERVICE: the registry's records, then the sockets on their ports. */
void port_out_service_text(FILE *f, const struct port_report *r);
void port_out_service_json(FILE *f, const struct port_report *r);
/* --like answers; returns the number of rows shown. */
size_t port_out_names_text(FILE *f, const struct port_args *a);
size_t port_out_names_json(FILE *f, const struct port_args *a);

#endif
