/* port_spec: command line, port spec and sysctl parsers (see port_spec.h). */
#include "port/port_spec.h"

#include <stdio.h>
#include <string.h>

#include "util/err.h"

int port_u16_parse(const char *s, size_t len, uint16_t *out)
{
	uint32_t v = 0;

	if (len == 0)
		return PC_EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return PC_EINVAL;
		v = v * 10 + (uint32_t)(s[i] - '0');
		/* Stop before the accumulator could wrap on absurdly long input. */
		if (v > 65535)
			return PC_EINVAL;
	}
	*out = (uint16_t)v;
	return 0;
}

static void say(char *buf, size_t len, const char *fmt, const char *arg)
{
	if (buf && len)
		snprintf(buf, len, fmt, arg);
}

/* A spec is "numeric" when it holds only digits and dashes and at least one
 * digit: then the user meant a port or a range and a mistake in it is an
 * error, not a service name to look up. */
static bool looks_numeric(const char *s)
{
	bool digit = false;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digit = true;
		else if (*s != '-')
			return false;
	}
	return digit;
}

int port_spec_parse(const char *s, enum port_query_kind *kind, uint16_t *lo,
		    uint16_t *hi, char *why, size_t whylen)
{
	size_t n = strlen(s);

	if (n == 0) {
		say(why, whylen, "empty port or service name%s", "");
		return PC_EINVAL;
	}
	if (!looks_numeric(s)) {
		if (n > PORT_NAME_MAX) {
			say(why, whylen, "service name too long%s", "");
			return PC_EINVAL;
		}
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c < 0x21 || c > 0x7e) {
				say(why, whylen, "bad character in service name%s", "");
				return PC_EINVAL;
			}
		}
		*kind = PORT_Q_SERVICE;
		return 0;
	}
	const char *dash = memchr(s, '-', n);
	if (!dash) {
		if (port_u16_parse(s, n, lo) != 0) {
			say(why, whylen, "port out of range 0-65535: %s", s);
			return PC_EINVAL;
		}
		*hi = *lo;
		*kind = PORT_Q_PORT;
		return 0;
	}
	size_t a = (size_t)(dash - s);
	if (port_u16_parse(s, a, lo) != 0 ||
	    port_u16_parse(dash + 1, n - a - 1, hi) != 0) {
		say(why, whylen, "bad port range (want LOW-HIGH within 0-65535): %s", s);
		return PC_EINVAL;
	}
	if (*lo > *hi) {
		say(why, whylen, "bad port range (LOW is above HIGH): %s", s);
		return PC_EINVAL;
	}
	*kind = PORT_Q_RANGE;
	return 0;
}

/* Options that take a value accept both "--opt VALUE" and "--opt=VALUE";
 * returns the value or NULL when it is missing. */
static const char *opt_value(const char *arg, const char *name, int argc,
			     char *const argv[], int *i, bool *matched)
{
	size_t n = strlen(name);

	*matched = false;
	if (strncmp(arg, name, n) != 0)
		return NULL;
	if (arg[n] == '=') {
		*matched = true;
		return arg + n + 1;
	}
	if (arg[n] != '\0')
		return NULL;
	*matched = true;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

int port_args_parse(int argc, char *const argv[], struct port_args *out,
		    char *err, size_t errlen)
{
	const char *spec = NULL;
	bool opts_done = false;
	char why[160];

	memset(out, 0, sizeof(*out));
	out->control = PORT_CONTROL_DEFAULT;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool m;
		const char *v;

		if (opts_done || a[0] != '-' || a[1] == '\0') {
			if (spec) {
				say(err, errlen, "unexpected extra argument '%.64s'", a);
				return PC_EINVAL;
			}
			spec = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			opts_done = true;
		} else if (strcmp(a, "--tcp") == 0 || strcmp(a, "-t") == 0) {
			out->tmask |= PORT_TCP;
		} else if (strcmp(a, "--udp") == 0 || strcmp(a, "-u") == 0) {
			out->tmask |= PORT_UDP;
		} else if (strcmp(a, "--json") == 0) {
			out->json = true;
		} else if (strcmp(a, "-n") == 0 || strcmp(a, "--numeric") == 0) {
			out->numeric = true;
		} else if (strcmp(a, "--all-netns") == 0) {
			out->all_netns = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			out->help = true;
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			out->version = true;
			return 0;
		} else if ((v = opt_value(a, "--like", argc, argv, &i, &m)), m) {
			if (!v || !*v) {
				say(err, errlen, "--like needs a WORD%s", "");
				return PC_EINVAL;
			}
			if (strlen(v) > PORT_NAME_MAX) {
				say(err, errlen, "--like WORD is too long%s", "");
				return PC_EINVAL;
			}
			out->word = v;
			out->kind = PORT_Q_LIKE;
		} else if ((v = opt_value(a, "--control", argc, argv, &i, &m)), m) {
			if (!v || !*v) {
				say(err, errlen, "--control needs a PATH%s", "");
				return PC_EINVAL;
			}
			out->control = v;
			out->control_given = true;
		} else {
			say(err, errlen, "unknown option '%.64s' (try --help)", a);
			return PC_EINVAL;
		}
	}
	if (out->tmask == 0)
		out->tmask = PORT_BOTH;
	if (out->kind == PORT_Q_LIKE) {
		if (spec) {
			say(err, errlen, "give either a port spec or --like WORD, not both%s", "");
			return PC_EINVAL;
		}
		return 0;
	}
	if (!spec) {
		say(err, errlen, "missing PORT, LOW-HIGH or SERVICE-NAME (try --help)%s", "");
		return PC_EINVAL;
	}
	if (port_spec_parse(spec, &out->kind, &out->lo, &out->hi, why, sizeof(why)) != 0) {
		say(err, errlen, "%s", why);
		return PC_EINVAL;
	}
	if (out->kind == PORT_Q_SERVICE)
		out->word = spec;
	return 0;
}

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
		i++;
	return i;
}

static size_t digits_end(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

int port_sysctl_range_parse(const char *s, size_t len, uint16_t *lo, uint16_t *hi)
{
	size_t i = skip_ws(s, len, 0), j = digits_end(s, len, i);

	if (port_u16_parse(s + i, j - i, lo) != 0)
		return PC_EMALFORMED;
	i = skip_ws(s, len, j);
	if (i == j)
		return PC_EMALFORMED; /* the two numbers must be separated */
	j = digits_end(s, len, i);
	if (port_u16_parse(s + i, j - i, hi) != 0)
		return PC_EMALFORMED;
	if (skip_ws(s, len, j) != len || *lo > *hi)
		return PC_EMALFORMED;
	return 0;
}

int port_reserved_parse(const char *s, size_t len, uint8_t bits[8192])
{
	size_t i = skip_ws(s, len, 0);

	while (i < len) {
		uint16_t a, b;
		size_t j = digits_end(s, len, i);

		if (port_u16_parse(s + i, j - i, &a) != 0)
			return PC_EMALFORMED;
		b = a;
		i = j;
		if (i < len && s[i] == '-') {
			j = digits_end(s, len, ++i);
			if (port_u16_parse(s + i, j - i, &b) != 0 || b < a)
				return PC_EMALFORMED;
			i = j;
		}
		for (uint32_t p = a; p <= b; p++)
			bits[p >> 3] |= (uint8_t)(1u << (p & 7));
		if (i < len && s[i] == ',')
			i++;
		else if (skip_ws(s, len, i) != len)
			return PC_EMALFORMED;
		else
			break;
	}
	return 0;
}
