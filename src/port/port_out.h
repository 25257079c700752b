/* port_out: renders a finished answer, as an aligned table in the spirit of
 * ss(8) or as JSON with the stable schema documented in
 * portcullis-port(1). Reads the report, owns nothing, writes to the FILE. */
#ifndef PC_PORT_OUT_H
#define PC_PORT_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "port/port_diag.h"
#include "port/port_proc.h"
#include "port/port_spec.h"

#define PORT_MAX_WARN 8

/* Everything main() learned; the output functions only read it. */
struct port_report {
	const struct port_args *args;
	bool have_eph;                 /* ip_local_port_range was readable */
	uint16_t eph_lo, eph_hi;
	bool have_reserved;
	const uint8_t *reserved;       /* 8192-byte bitmap, see port_spec.h */
	const struct port_sockset *socks;
	const struct port_owners *owners;
	const int *pool_pid;           /* per socket: daemon pid, 0 if none */
	uint64_t self_ns;              /* our network namespace inode */
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

void port_out_ports_text(FILE *f, const struct port_report *r);
void port_out_ports_json(FILE *f, const struct port_report *r);
/* SERVICE-NAME and --like answers; returns the number of rows shown. */
size_t port_out_names_text(FILE *f, const struct port_args *a);
size_t port_out_names_json(FILE *f, const struct port_args *a);

#endif
