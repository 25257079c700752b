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

#define PORT_CONTROL_DEFAULT "/run/portcullis.ctl"
#define PORT_NAME_MAX 64 /* longest service name or --like word we accept */

enum port_query_kind {
	PORT_Q_PORT,    /* one port: lo == hi */
	PORT_Q_RANGE,   /* LOW-HIGH, lo < hi allowed equal too */
	PORT_Q_SERVICE, /* a service name: reverse lookup */
	PORT_Q_LIKE,    /* --like WORD: substring search */
};

struct port_args {
	enum port_query_kind kind;
	uint16_t lo, hi;      /* PORT and RANGE */
	const char *word;     /* SERVICE and LIKE; borrowed from argv */
	unsigned tmask;       /* PORT_TCP | PORT_UDP; both when neither flag */
	bool json;            /* --json */
	bool numeric;         /* -n: do not resolve uids to names */
	bool all_netns;       /* --all-netns */
	bool help, version;   /* -h/--help, --version: nothing else is checked */
	const char *control;  /* --control PATH; borrowed; default above */
	bool control_given;   /* the user named the control socket */
};

/* Parse argv (argc entries; argv[0] is the program name). On success fills
 * *out and returns 0. On bad input returns PC_EINVAL and writes one line
 * (without trailing newline, NUL-terminated) into err[errlen]. */
int port_args_parse(int argc, char *const argv[], struct port_args *out,
		    char *err, size_t errlen);

/* Decimal port 0..65535 from s[0..len): digits only, no sign, no spaces,
 * no leading zeros beyond a lone "0" being allowed ("053" is accepted as 53
 * because people type it). Returns 0 or PC_EINVAL. */
int port_u16_parse(const char *s, size_t len, uint16_t *out);

/* Classify and parse a positional port spec. Returns:
 *   0 with kind PORT_Q_PORT or PORT_Q_RANGE and lo/hi set,
 *   0 with kind PORT_Q_SERVICE when s looks like a name (not numeric),
 *   PC_EINVAL when it is numeric but wrong ("70000", "5-3", "1-").
 * why[] (may be NULL) receives a short reason on error. */
int port_spec_parse(const char *s, enum port_query_kind *kind, uint16_t *lo,
		    uint16_t *hi, char *why, size_t whylen);

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
