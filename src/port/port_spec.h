/* port_spec: the pure parsers of portcullis-port's input — the command line,
 * a port specification (PORT, LOW-HIGH or SERVICE-NAME), and the two sysctl
 * files that describe this host's ephemeral and reserved ports.
 *
 * Nothing here does I/O or allocates: every function works on the caller's
 * buffers, so the fuzzer can drive them with arbitrary bytes. Strings stored
 * in struct port_args point into argv (borrowed, never freed). */
#ifndef PC_PORT_SPEC_H
#define PC_PORT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Transport bits, shared by every port_ module. */
#define PORT_TCP 1u
#define PORT_UDP 2u
#define PORT_BOTH (PORT_TCP | PORT_UDP)

#define PORT_CONTROL_DEFAULT "/run/portcullis/portcullis.ctl"
#define PORT_NAME_MAX 64 /* longest service name or --like word we accept */

#define PORT_MAX_ITEMS 64 /* ports and ranges in one comma-separated list */

enum port_query_kind {
	PORT_Q_PORT,    /* one port: lo == hi */
	PORT_Q_RANGE,   /* LOW-HIGH, lo < hi allowed equal too */
	PORT_Q_SERVICE, /* a service name: reverse lookup, then its ports */
	PORT_Q_LIKE,    /* --like WORD: substring search */
	PORT_Q_LIST,    /* "53,80,443": several ports or ranges */
};

/* One port or range with the transports to look at. */
struct port_item {
	uint16_t lo, hi;
	unsigned tmask;   /* PORT_TCP | PORT_UDP */
};

/* A positional argument, parsed. The forms people type are accepted:
 * "53", ":53" (lsof, ss), "53/udp" and "udp/53" (services(5), nmap),
 * "60000-60999", "53,80,443" (a list of any of these), "domain",
 * "domain/tcp". tmask is the transport the spec named, 0 if none (for a
 * list, each item's own tmask holds it). */
struct port_spec {
	enum port_query_kind kind;   /* never PORT_Q_LIKE */
	struct port_item items[PORT_MAX_ITEMS];
	size_t n;                    /* items used; 0 for a service name */
	unsigned tmask;
	char name[PORT_NAME_MAX + 1]; /* PORT_Q_SERVICE: the name without "/tcp" */
};

struct port_args {
	enum port_query_kind kind;
	uint16_t lo, hi;      /* PORT and RANGE: items[0] */
	struct port_item items[PORT_MAX_ITEMS]; /* PORT, RANGE, LIST; transports resolved */
	size_t nitems;
	const char *word;     /* SERVICE (points into name) and LIKE (into argv) */
	char name[PORT_NAME_MAX + 1];
	unsigned tmask;       /* PORT_TCP | PORT_UDP: the options and the spec together */
	bool json;            /* --json */
	bool numeric;         /* -n: do not resolve uids to names */
	bool all_netns;       /* --all-netns */
	bool wide;            /* -w/--wide: one line per socket, every column */
	bool help, version;   /* -h/--help, --version: nothing else is checked */
	const char *control;  /* --control PATH; borrowed; default above */
	bool control_given;   /* the user named the control socket */
};

/* Parse argv (argc entries; argv[0] is the program name). On success fills
 * *out and returns 0. On bad input returns PC_EINVAL and writes one line
 * (without trailing newline, NUL-terminated) into err[errlen]. The
 * transport of a spec ("53/udp") and the options (--tcp) must agree. */
int port_args_parse(int argc, char *const argv[], struct port_args *out,
		    char *err, size_t errlen);

/* Decimal port 0..65535 from s[0..len): digits only, no sign, no spaces,
 * no leading zeros beyond a lone "0" being allowed ("053" is accepted as 53
 * because people type it). Returns 0 or PC_EINVAL. */
int port_u16_parse(const char *s, size_t len, uint16_t *out);

/* Classify and parse a positional spec (forms above). Returns 0, or
 * PC_EINVAL when it is numeric but wrong ("70000", "5-3", "1-", port 0
 * alone), names a transport other than tcp or udp, or is not a plausible
 * service name. why[] (may be NULL) receives one line on error. */
int port_spec_parse(const char *s, struct port_spec *out, char *why, size_t whylen);

/* /proc/sys/net/ipv4/ip_local_port_range: "LOW<ws>HIGH<ws>". */
int port_sysctl_range_parse(const char *s, size_t len, uint16_t *lo, uint16_t *hi);

/* /proc/sys/net/ipv4/ip_local_reserved_ports: "N,A-B,..." possibly empty,
 * with a trailing newline. Sets one bit per reserved port in bits[8192]
 * (bit p is bits[p / 8] & (1 << (p % 8))). The caller zeroes bits first.
 * Returns 0, or PC_EMALFORMED (bits may then be partly set). */
int port_reserved_parse(const char *s, size_t len, uint8_t bits[8192]);

static inline bool port_bit_get(const uint8_t bits[8192], uint16_t p)
{
	return (bits[p >> 3] >> (p & 7)) & 1;
}

#endif
