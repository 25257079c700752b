/* portcullis-ctl: command-line client of the daemon's control socket.
 *
 * Checks the command line locally (so a typo never reaches the daemon),
 * sends one request line, prints the reply. Exit status: 0 success, 1 the
 * daemon refused or could not be reached, 2 bad usage. Plain blocking
 * sockets: the tool makes exactly one exchange and needs no event loop. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/portcullis/portcullis.ctl"
#define REQUEST_MAX 1024          /* the daemon's CONTROL_LINE_MAX */
#define IO_TIMEOUT_S 30           /* a flush of a large cache may take a moment */

enum { EXIT_REFUSED = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
	"usage: portcullis-ctl [-s SOCKET] [-h] [--version] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  stats [--json] [--reset]\n"
	"                   counters of the running daemon (as one JSON object); with\n"
	"                   --reset the counters start again from 0 after this reading\n"
	"  stats_noreset [--json]\n"
	"                   the same as stats without --reset (Unbound's name)\n"
	"  pool [--json]    the upstream socket pool, as text or JSON\n"
	"  pool rotate      replace every pool socket by one on a fresh random port\n"
	"  flush NAME|all   drop cached data at and below NAME, or all of it\n"
	"  flush_zone NAME  the same as flush NAME\n"
	"  flush_type NAME TYPE\n"
	"                   drop the cached TYPE records of NAME (A, AAAA, MX, TYPE65, 65...)\n"
	"  flush_bogus      drop every cached entry that failed DNSSEC validation\n"
	"  dump_cache       write the cache's records to standard output (text; load_cache\n"
	"                   reads it back)\n"
	"  load_cache       read records in dump_cache's format from standard input into\n"
	"                   the cache\n"
	"  lookup NAME      the zone and servers the resolver would ask for NAME, with\n"
	"                   their measured round-trip times\n"
	"  stop             stop the daemon\n"
	"  reload           re-read the configuration file (a bad one is refused)\n"
	"  status           version, uptime, threads, pid, pool size\n"
	"  verbosity N      log level 0..3 until the next reload\n"
	"  list_forwards    the forward zones in force\n"
	"  forward_add [+i] ZONE ADDR...\n"
	"                   forward ZONE to these servers (until the next reload)\n"
	"  forward_remove [+i] ZONE\n"
	"                   stop forwarding ZONE (until the next reload)\n"
	"  local_zone NAME TYPE\n"
	"                   add a local zone (static, transparent, redirect, refuse, deny, ...)\n"
	"  local_zone_remove NAME\n"
	"                   remove a local zone and its data\n"
	"  local_data RR    add a local record, e.g. 'www.example. 300 IN A 192.0.2.1'\n"
	"  local_data_remove NAME\n"
	"                   remove the local records of NAME\n"
	"  list_local_zones, list_local_data\n"
	"                   the local zones (NAME TYPE), the local records\n"
	"\n"
	"options:\n"
	"  -s SOCKET        control socket (default " DEFAULT_SOCKET ")\n"
	"  -h, --help       show this help\n"
	"  --version        print the version\n";

__attribute__((format(printf, 2, 3), noreturn))
static void die(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("portcullis-ctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* A word we can put on the request line: the protocol splits on blanks
 * and has no quoting, and control bytes have no business there. */
static bool is_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* Type mnemonics an operator is likely to flush, and their numbers. */
static const struct {
	const char *name;
	unsigned num;
} types[] = {
	{ "A", 1 },        { "NS", 2 },        { "CNAME", 5 },    { "SOA", 6 },
	{ "PTR", 12 },     { "HINFO", 13 },    { "MX", 15 },      { "TXT", 16 },
	{ "RP", 17 },      { "AFSDB", 18 },    { "AAAA", 28 },    { "LOC", 29 },
	{ "SRV", 33 },     { "NAPTR", 35 },    { "KX", 36 },      { "CERT", 37 },
	{ "DNAME", 39 },   { "DS", 43 },       { "SSHFP", 44 },   { "IPSECKEY", 45 },
	{ "RRSIG", 46 },   { "NSEC", 47 },     { "DNSKEY", 48 },  { "DHCID", 49 },
	{ "NSEC3", 50 },   { "NSEC3PARAM", 51 }, { "TLSA", 52 },  { "SMIMEA", 53 },
	{ "CDS", 59 },     { "CDNSKEY", 60 },  { "OPENPGPKEY", 61 }, { "CSYNC", 62 },
	{ "ZONEMD", 63 },  { "SVCB", 64 },     { "HTTPS", 65 },   { "SPF", 99 },
	{ "URI", 256 },    { "CAA", 257 },
};

/* A decimal number 1..65535 without sign or leading junk, or 0. */
static unsigned type_number(const char *s)
{
	unsigned long v = 0;
	if (*s < '0' || *s > '9')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || (v = v * 10 + (unsigned)(*s - '0')) > 65535)
			return 0;
	}
	return (unsigned)v;
}

/* TYPE as a mnemonic (any case), TYPEnnn (RFC 3597) or a number; 0 when
 * it is none of them. */
static unsigned parse_type(const char *s)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].name) == 0)
			return types[i].num;
	if (strncasecmp(s, "TYPE", 4) == 0)
		return type_number(s + 4);
	return type_number(s);
}

/* Builds the request line from COMMAND and its arguments. */
static void build_request(int argc, char **argv, char *req, size_t cap)
{
	const char *cmd = argv[0];
	int nargs = argc - 1;
	int n;
	if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "reload") == 0 ||
	    strcmp(cmd, "status") == 0 || strcmp(cmd, "list_forwards") == 0 ||
	    strcmp(cmd, "dump_cache") == 0 || strcmp(cmd, "load_cache") == 0 ||
	    strcmp(cmd, "flush_bogus") == 0) {
		if (nargs != 0)
			die(EXIT_USAGE, "%s takes no argument", cmd);
		n = snprintf(req, cap, "%s\n", cmd);
	} else if (strcmp(cmd, "stats") == 0 || strcmp(cmd, "stats_noreset") == 0) {
		bool json = false, reset = false, noreset = strcmp(cmd, "stats_noreset") == 0;
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--json") == 0 && !json)
				json = true;
			else if (strcmp(argv[i], "--reset") == 0 && !reset && !noreset)
				reset = true;
			else
				die(EXIT_USAGE, "%s takes only %s", cmd,
				    noreset ? "--json" : "--json and --reset");
		}
		n = snprintf(req, cap, "%s%s%s\n", cmd, json ? " json" : "", reset ? " reset" : "");
	} else if (strcmp(cmd, "pool") == 0) {
		bool rotate = nargs == 1 && strcmp(argv[1], "rotate") == 0;
		if (nargs > 1 || (nargs == 1 && !rotate && strcmp(argv[1], "--json") != 0))
			die(EXIT_USAGE, "pool takes only --json or rotate");
		n = snprintf(req, cap, rotate ? "pool rotate\n" : nargs ? "pool json\n" : "pool\n");
	} else if (strcmp(cmd, "flush") == 0 || strcmp(cmd, "flush_zone") == 0 ||
		   strcmp(cmd, "flush-zone") == 0) {
		const char *verb = strcmp(cmd, "flush") == 0 ? "flush" : "flush_zone";
		if (nargs != 1)
			die(EXIT_USAGE, "%s takes one argument: a domain name%s", cmd,
			    strcmp(cmd, "flush") == 0 ? " or \"all\"" : "");
		if (!is_word(argv[1]))
			die(EXIT_USAGE, "%s: the name may not be empty or contain blanks", cmd);
		n = snprintf(req, cap, "%s %s\n", verb, argv[1]);
	} else if (strcmp(cmd, "lookup") == 0) {
		if (nargs != 1)
			die(EXIT_USAGE, "lookup takes one argument: a domain name");
		if (!is_word(argv[1]))
			die(EXIT_USAGE, "lookup: the name may not be empty or contain blanks");
		n = snprintf(req, cap, "lookup %s\n", argv[1]);
	} else if (strcmp(cmd, "flush_type") == 0 || strcmp(cmd, "flush-type") == 0) {
		if (nargs != 2)
			die(EXIT_USAGE, "%s takes two arguments: a domain name and a type", cmd);
		if (!is_word(argv[1]))
			die(EXIT_USAGE, "%s: the name may not be empty or contain blanks", cmd);
		unsigned type = parse_type(argv[2]);
		if (type == 0)
			die(EXIT_USAGE, "%s: unknown type \"%.40s\" (a name such as AAAA, TYPEnnn or "
			    "a number 1..65535)", cmd, argv[2]);
		n = snprintf(req, cap, "flush_type %s %u\n", argv[1], type);
	} else if (strcmp(cmd, "verbosity") == 0) {
		if (nargs != 1 || strspn(argv[1], "0123456789") != strlen(argv[1]) || !argv[1][0] ||
		    strlen(argv[1]) > 1 || argv[1][0] > '3')
			die(EXIT_USAGE, "verbosity takes one level 0..3");
		n = snprintf(req, cap, "verbosity %s\n", argv[1]);
	} else if (strcmp(cmd, "forward_add") == 0 || strcmp(cmd, "forward_remove") == 0) {
		bool add = cmd[8] == 'a';
		int flag = nargs >= 1 && strcmp(argv[1], "+i") == 0;
		if (add ? nargs - flag < 2 : nargs - flag != 1)
			die(EXIT_USAGE, add ? "forward_add takes [+i] ZONE ADDR..."
					    : "forward_remove takes [+i] ZONE");
		n = snprintf(req, cap, "%s", cmd);
		for (int i = 1; i <= nargs && n > 0 && (size_t)n < cap; i++) {
			if (!is_word(argv[i]))
				die(EXIT_USAGE, "%s: arguments may not be empty or contain blanks", cmd);
			n += snprintf(req + n, cap - (size_t)n, " %s", argv[i]);
		}
		if (n > 0 && (size_t)n < cap)
			n += snprintf(req + n, cap - (size_t)n, "\n");
	} else if (strcmp(cmd, "list_local_zones") == 0 || strcmp(cmd, "list_local_data") == 0) {
		if (nargs != 0)
			die(EXIT_USAGE, "%s takes no argument", cmd);
		n = snprintf(req, cap, "%s\n", cmd);
	} else if (strcmp(cmd, "local_zone_remove") == 0 || strcmp(cmd, "local_data_remove") == 0) {
		if (nargs != 1 || !is_word(argv[1]))
			die(EXIT_USAGE, "%s takes one argument: a domain name", cmd);
		n = snprintf(req, cap, "%s %s\n", cmd, argv[1]);
	} else if (strcmp(cmd, "local_zone") == 0) {
		if (nargs != 2 || !is_word(argv[1]) || !is_word(argv[2]))
			die(EXIT_USAGE, "local_zone takes two arguments: a domain name and a type");
		n = snprintf(req, cap, "local_zone %s %s\n", argv[1], argv[2]);
	} else if (strcmp(cmd, "local_data") == 0) {
		/* The record may come as one quoted argument or as several words;
		 * either way it goes as words separated by blanks. */
		if (nargs < 1)
			die(EXIT_USAGE, "local_data takes a record, e.g. 'www.example. A 192.0.2.1'");
		n = snprintf(req, cap, "local_data");
		for (int i = 1; i <= nargs && n >= 0 && (size_t)n < cap; i++) {
			for (const char *c = argv[i]; *c; c++)
				if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
					die(EXIT_USAGE, "local_data: control character in the record");
			int at = n;
			n += snprintf(req + n, cap - (size_t)n, " %s", argv[i]);
			/* tabs are blanks (list_local_data writes them): sent as spaces */
			for (int k = at; k < n && (size_t)k < cap; k++)
				if (req[k] == '\t')
					req[k] = ' ';
		}
		if (n >= 0 && (size_t)n + 1 < cap)
			n += snprintf(req + n, cap - (size_t)n, "\n");
		else
			n = (int)cap;
	} else {
		die(EXIT_USAGE, "unknown command \"%s\" (try -h)", cmd);
	}
	if (n < 0 || (size_t)n >= cap)
		die(EXIT_USAGE, "request longer than %d bytes", REQUEST_MAX);
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		die(EXIT_USAGE, "socket path is longer than %zu bytes", sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(EXIT_REFUSED, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die(EXIT_REFUSED, "cannot connect to %s: %s", path, strerror(errno));
	/* Never hang forever on a daemon that accepted and went quiet. */
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static void send_request(int fd, const char *path, const char *req)
{
	size_t len = strlen(req), off = 0;
	while (off < len) {
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(EXIT_REFUSED, "cannot send to %s: %s", path, strerror(errno));
		off += (size_t)n;
	}
}

/* Standard input to the daemon (load_cache), then our side shut down. A
 * daemon that refused the data closes early: the sending stops there, and
 * its reply says why. */
static void send_stdin(int fd, const char *path)
{
	static char buf[64 * 1024];
	for (;;) {
		ssize_t r = read(0, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die(EXIT_REFUSED, "cannot read standard input: %s", strerror(errno));
		if (r == 0)
			break;
		for (size_t off = 0; off < (size_t)r;) {
			ssize_t n = send(fd, buf + off, (size_t)r - off, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
				return; /* the reply tells */
			if (n < 0)
				die(EXIT_REFUSED, "cannot send to %s: %s", path, strerror(errno));
			off += (size_t)n;
		}
	}
	shutdown(fd, SHUT_WR);
}

static size_t recv_some(int fd, const char *path, char *buf, size_t cap)
{
	for (;;) {
		ssize_t r = recv(fd, buf, cap, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			die(EXIT_REFUSED, "no reply from %s within %d s", path, IO_TIMEOUT_S);
		if (r < 0)
			die(EXIT_REFUSED, "cannot read from %s: %s", path, strerror(errno));
		return (size_t)r;
	}
}

static void out(const char *p, size_t n)
{
	if (n && fwrite(p, 1, n, stdout) != n)
		die(EXIT_REFUSED, "cannot write output: %s", strerror(errno));
}

/* The reply, streamed: "ok\n" and a body copied to standard output as it
 * comes (a cache dump may be large), or "error MESSAGE". Returns the exit
 * status. */
static int stream_reply(int fd, const char *path)
{
	static char buf[64 * 1024];
	size_t n = 0;
	/* Enough to tell "ok\n" from "error ...\n". */
	while (n < 3 || (strncmp(buf, "ok\n", 3) != 0 && !memchr(buf, '\n', n))) {
		if (n == sizeof(buf) - 1)
			break;
		size_t r = recv_some(fd, path, buf + n, sizeof(buf) - 1 - n);
		if (r == 0)
			break;
		n += r;
	}
	buf[n] = '\0';
	if (n == 0)
		die(EXIT_REFUSED, "%s closed the connection without a reply", path);
	if (strncmp(buf, "ok\n", 3) == 0 || strcmp(buf, "ok") == 0) {
		out(buf + (n >= 3 ? 3 : n), n >= 3 ? n - 3 : 0);
		while ((n = recv_some(fd, path, buf, sizeof(buf))) > 0)
			out(buf, n);
		if (fflush(stdout) != 0)
			die(EXIT_REFUSED, "cannot write output: %s", strerror(errno));
		return 0;
	}
	if (strncmp(buf, "error ", 6) == 0) {
		char *msg = buf + 6;
		msg[strcspn(msg, "\n")] = '\0';
		die(EXIT_REFUSED, "%s", msg);
	}
	die(EXIT_REFUSED, "malformed reply from %s", path);
}

int main(int argc, char **argv)
{
	const char *path = DEFAULT_SOCKET;
	int opt;
	opterr = 0; /* our own messages, in our own format */
	/* "+": options end at the command, so "pool --json" reaches us whole. */
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	while ((opt = getopt_long(argc, argv, "+s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'V':
			printf("portcullis-ctl %s\n", PC_VERSION);
			return 0;
		case 's':
			path = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case ':':
		case '?':
		default:
			if (optopt == 's')
				die(EXIT_USAGE, "option -s needs a socket path");
			if (optopt == '-' || optopt == 0) {
				/* A long option: name the whole word, not its '-'. */
				for (int i = 1; i < argc && i <= optind; i++)
					if (strncmp(argv[i], "--", 2) == 0 && argv[i][2])
						die(EXIT_USAGE, "unknown option %s (try -h)", argv[i]);
			}
			die(EXIT_USAGE, "unknown option -%c (try -h)", optopt ? optopt : '?');
		}
	}
	if (optind >= argc)
		die(EXIT_USAGE, "no command given (try -h)");
	if (!*path)
		die(EXIT_USAGE, "empty socket path");

	char req[REQUEST_MAX + 1];
	build_request(argc - optind, argv + optind, req, sizeof(req));

	int fd = connect_socket(path);
	send_request(fd, path, req);
	if (strcmp(argv[optind], "load_cache") == 0)
		send_stdin(fd, path);
	int status = stream_reply(fd, path);
	close(fd);
	return status;
}
