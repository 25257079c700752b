/* port_spec: command line, port spec and sysctl parsers (see port_spec.h). */
#include "port/port_spec.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

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
static bool looks_numeric(const char *s, size_t n)
{
	bool digit = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digit = true;
		else if (s[i] != '-')
			return false;
	}
	return digit;
}

static bool word_is(const char *s, size_t n, const char *w)
{
	return n == strlen(w) && strncasecmp(s, w, n) == 0;
}

/* "tcp" or "udp" as a transport bit; 0 for anything else. */
static unsigned transport_word(const char *s, size_t n)
{
	return word_is(s, n, "tcp") ? PORT_TCP : word_is(s, n, "udp") ? PORT_UDP : 0;
}

static const char zero_why[] =
	"port 0 is never in use: binding port 0 asks the kernel for a free ephemeral port, "
	"and unconnected sockets show peer port 0; give a port from 1 to 65535%s";

/* A port or LOW-HIGH in s[0..n). */
static int parse_numeric(const char *s, size_t n, const char *whole, struct port_item *it,
			 bool *range, char *why, size_t whylen)
{
	const char *dash = memchr(s, '-', n);

	if (!dash) {
		if (port_u16_parse(s, n, &it->lo) != 0) {
			say(why, whylen, "port out of range 1-65535: %s", whole);
			return PC_EINVAL;
		}
		if (it->lo == 0) {
			say(why, whylen, zero_why, "");
			return PC_EINVAL;
		}
		it->hi = it->lo;
		*range = false;
		return 0;
	}
	size_t a = (size_t)(dash - s);
	if (port_u16_parse(s, a, &it->lo) != 0 ||
	    port_u16_parse(dash + 1, n - a - 1, &it->hi) != 0) {
		say(why, whylen, "bad port range (want LOW-HIGH within 0-65535): %s", whole);
		return PC_EINVAL;
	}
	if (it->lo > it->hi) {
		say(why, whylen, "bad port range (LOW is above HIGH): %s", whole);
		return PC_EINVAL;
	}
	if (it->hi == 0) {
		say(why, whylen, zero_why, "");
		return PC_EINVAL;
	}
	*range = true;
	return 0;
}

/* One element: [:]PORT, [:]LOW-HIGH or NAME, each optionally with /tcp,
 * /udp or a tcp/, udp/ prefix. Sets *kind to PORT, RANGE or SERVICE. */
static int parse_one(const char *s, size_t n, const char *whole, struct port_item *it,
		     enum port_query_kind *kind, char *name, char *why, size_t whylen)
{
	const char *slash = memchr(s, '/', n);
	const char *body = s;
	size_t blen = n;
	unsigned t = 0;

	if (slash) {
		size_t l = (size_t)(slash - s), r = n - l - 1;
		unsigned tl = transport_word(s, l), tr = transport_word(slash + 1, r);
		if (memchr(slash + 1, '/', r) || (tl != 0) == (tr != 0)) {
			if (word_is(slash + 1, r, "sctp") || word_is(slash + 1, r, "dccp") ||
			    word_is(s, l, "sctp") || word_is(s, l, "dccp"))
				say(why, whylen, "only tcp and udp sockets can be looked up: %s", whole);
			else
				say(why, whylen, "bad transport in '%.80s' (want PORT/tcp, PORT/udp, "
				    "udp/PORT or NAME/tcp)", whole);
			return PC_EINVAL;
		}
		t = tl ? tl : tr;
		body = tl ? slash + 1 : s;
		blen = tl ? r : l;
	}
	if (blen > 1 && body[0] == ':') {
		body++;
		blen--;
	}
	it->tmask = t;
	if (blen == 0) {
		say(why, whylen, "empty port or service name in '%.80s'", whole);
		return PC_EINVAL;
	}
	if (looks_numeric(body, blen)) {
		bool range;
		if (parse_numeric(body, blen, whole, it, &range, why, whylen) != 0)
			return PC_EINVAL;
		*kind = range ? PORT_Q_RANGE : PORT_Q_PORT;
		return 0;
	}
	if (blen > PORT_NAME_MAX) {
		say(why, whylen, "service name too long%s", "");
		return PC_EINVAL;
	}
	for (size_t i = 0; i < blen; i++) {
		unsigned char c = (unsigned char)body[i];
		if (c < 0x21 || c > 0x7e || c == ':' || c == ',') {
			say(why, whylen, "bad character in service name '%.80s'", whole);
			return PC_EINVAL;
		}
	}
	memcpy(name, body, blen);
	name[blen] = '\0';
	*kind = PORT_Q_SERVICE;
	return 0;
}

int port_spec_parse(const char *s, struct port_spec *out, char *why, size_t whylen)
{
	size_t n = strlen(s);

	memset(out, 0, sizeof(*out));
	if (n == 0) {
		say(why, whylen, "empty port or service name%s", "");
		return PC_EINVAL;
	}
	if (!memchr(s, ',', n)) {
		if (parse_one(s, n, s, &out->items[0], &out->kind, out->name, why, whylen) != 0)
			return PC_EINVAL;
		out->tmask = out->items[0].tmask;
		out->n = out->kind == PORT_Q_SERVICE ? 0 : 1;
		return 0;
	}
	/* A list: every element a port or a range, no empty elements. */
	const char *p = s, *end = s + n;
	while (p <= end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t len = (size_t)((c ? c : end) - p);
		enum port_query_kind k;
		char name[PORT_NAME_MAX + 1];

		if (out->n == PORT_MAX_ITEMS) {
			say(why, whylen, "too many ports in one list (at most 64)%s", "");
			return PC_EINVAL;
		}
		if (len == 0) {
			say(why, whylen, "empty element in port list '%.80s'", s);
			return PC_EINVAL;
		}
		if (parse_one(p, len, s, &out->items[out->n], &k, name, why, whylen) != 0)
			return PC_EINVAL;
		if (k == PORT_Q_SERVICE) {
			say(why, whylen, "a port list takes port numbers and ranges, not service "
			    "names: %.80s", s);
			return PC_EINVAL;
		}
		out->n++;
		if (!c)
			break;
		p = c + 1;
	}
	out->kind = PORT_Q_LIST;
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

static const char *tname(unsigned m)
{
	return m == PORT_TCP ? "tcp" : m == PORT_UDP ? "udp" : "tcp+udp";
}

/* The transports of one item: its own, else the options', else both. */
static int resolve_transport(unsigned opts, unsigned *t, char *err, size_t errlen)
{
	if (*t == 0) {
		*t = opts ? opts : PORT_BOTH;
		return 0;
	}
	if (opts && !(opts & *t)) {
		if (err && errlen)
			snprintf(err, errlen, "the port says %s but the options say --%s: give one "
				 "transport", tname(*t), tname(opts));
		return PC_EINVAL;
	}
	return 0;
}

int port_args_parse(int argc, char *const argv[], struct port_args *out,
		    char *err, size_t errlen)
{
	static struct port_spec sp; /* large; the parser is not reentrant anyway */
	const char *spec = NULL;
	bool opts_done = false;
	unsigned opts = 0;
	char why[200];

	memset(out, 0, sizeof(*out));
	out->control = PORT_CONTROL_DEFAULT;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool m;
		const char *v;

		if (opts_done || a[0] != '-' || a[1] == '\0') {
			if (spec) {
				say(err, errlen, "unexpected extra argument '%.64s' (several ports: "
				    "53,80,443)", a);
				return PC_EINVAL;
			}
			spec = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			opts_done = true;
		} else if (strcmp(a, "--tcp") == 0 || strcmp(a, "-t") == 0) {
			opts |= PORT_TCP;
		} else if (strcmp(a, "--udp") == 0 || strcmp(a, "-u") == 0) {
			opts |= PORT_UDP;
		} else if (strcmp(a, "--json") == 0) {
			out->json = true;
		} else if (strcmp(a, "-n") == 0 || strcmp(a, "--numeric") == 0) {
			out->numeric = true;
		} else if (strcmp(a, "-w") == 0 || strcmp(a, "--wide") == 0) {
			out->wide = true;
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
	out->tmask = opts ? opts : PORT_BOTH;
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
	if (port_spec_parse(spec, &sp, why, sizeof(why)) != 0) {
		say(err, errlen, "%s", why);
		return PC_EINVAL;
	}
	out->kind = sp.kind;
	if (sp.kind == PORT_Q_SERVICE) {
		unsigned t = sp.tmask;
		if (resolve_transport(opts, &t, err, errlen) != 0)
			return PC_EINVAL;
		out->tmask = t;
		memcpy(out->name, sp.name, sizeof(out->name));
		out->word = out->name;
		return 0;
	}
	for (size_t i = 0; i < sp.n; i++) {
		out->items[i] = sp.items[i];
		if (resolve_transport(opts, &out->items[i].tmask, err, errlen) != 0)
			return PC_EINVAL;
	}
	out->nitems = sp.n;
	out->lo = sp.items[0].lo;
	out->hi = sp.items[0].hi;
	if (sp.kind != PORT_Q_LIST)
		out->tmask = out->items[0].tmask;
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
