/*
 * latprobe: sends DNS queries over UDP at a fixed rate (open loop: the send
 * schedule does not wait for answers) and reports the latency distribution
 * of the answers.
 *
 *   usage: latprobe ADDR PORT NAMEFILE RATE SECONDS [WARMUP_SECONDS [SOCKETS]]
 *
 * Queries leave from SOCKETS client sockets in turn (default 1, at most
 * 64), each on its own source port, so that a server with several
 * SO_REUSEPORT sockets (one per worker) gets its load spread over them as
 * it would from many clients; one socket would always reach the same one.
 * NAMEFILE has dnsperf's shape: "NAME TYPE" per line (A, AAAA, MX, NS, TXT,
 * SOA, PTR, CNAME or a number), used round-robin. Queries carry RD and no
 * EDNS, like dnsperf without -e. Queries sent during the warm-up (default
 * 1 s) are answered but not counted. After the last query the prober waits
 * one second for stragglers; a query still unanswered then is lost.
 * Prints one JSON object on stdout: sent, answered, lost, errors (answers
 * that are not NOERROR), and mean/p50/p90/p99/p99.9/max latency in
 * microseconds, measured from just before the send() call to the kernel's
 * receive timestamp of the reply (SO_TIMESTAMPNS: on loopback, the moment
 * the target's send queued it), so that time the prober itself spends
 * before it reads (sending, or waiting for a CPU) is not charged to the
 * target; read_p50_us and read_p99_us are the same up to the recvmmsg()
 * that read the reply, for comparison. A reply counts when its ID and
 * question match a query in flight.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXQ 300
#define MAXSOCK 64
#define SLOTS 65536
#define BATCH 64

struct query {
	unsigned char wire[MAXQ];
	size_t len;
};

struct slot {
	uint64_t seq; /* sequence number + 1 of the query in flight; 0 = free */
	double sent;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Latency timestamps: the clock of the kernel's receive timestamps
 * (CLOCK_REALTIME; a step of the system clock during a run would skew the
 * latencies of the queries in flight across it). */
static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int qtype(const char *s)
{
	static const struct { const char *n; int t; } map[] = {
		{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "PTR", 12 },
		{ "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(s, map[i].n) == 0)
			return map[i].t;
	char *end;
	long v = strtol(s, &end, 10);
	return (*s && !*end && v > 0 && v < 65536) ? (int)v : -1;
}

/* Encodes "name type" into q; returns 0, or -1 if the line is unusable. */
static int encode(const char *name, const char *type, struct query *q)
{
	int t = qtype(type);
	if (t < 0)
		return -1;
	unsigned char *w = q->wire;
	memset(w, 0, 12);
	w[2] = 0x01; /* RD */
	w[5] = 1;    /* QDCOUNT */
	size_t p = 12;
	const char *s = name;
	while (*s && !(s[0] == '.' && s[1] == 0)) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		if (l == 0 || l > 63 || p + l + 1 + 5 > MAXQ)
			return -1;
		w[p++] = (unsigned char)l;
		memcpy(w + p, s, l);
		p += l;
		s += l + (dot ? 1 : 0);
	}
	w[p++] = 0;
	w[p++] = (unsigned char)(t >> 8);
	w[p++] = (unsigned char)t;
	w[p++] = 0;
	w[p++] = 1;
	q->len = p;
	return 0;
}

/* When the reply reached this host's network stack: the kernel's receive
 * timestamp (CLOCK_REALTIME), or the user-space time of the read if the
 * kernel gave none. */
static double arrival(struct msghdr *h, double fallback)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
		}
	}
	return fallback;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)ceil(p / 100.0 * (double)n);
	return v[i == 0 ? 0 : i - 1];
}

int main(int argc, char **argv)
{
	if (argc < 6 || argc > 8) {
		fprintf(stderr, "usage: latprobe ADDR PORT NAMEFILE RATE SECONDS [WARMUP_SECONDS [SOCKETS]]\n");
		return 2;
	}
	double rate = atof(argv[4]), secs = atof(argv[5]);
	double warm = argc >= 7 ? atof(argv[6]) : 1.0;
	int nsock = argc == 8 ? atoi(argv[7]) : 1;
	if (rate <= 0 || secs <= 0 || warm < 0) {
		fprintf(stderr, "latprobe: bad rate or duration\n");
		return 2;
	}
	if (nsock < 1 || nsock > MAXSOCK) {
		fprintf(stderr, "latprobe: SOCKETS must be 1-%d\n", MAXSOCK);
		return 2;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "latprobe: bad address %s\n", argv[1]);
		return 2;
	}
	FILE *f = fopen(argv[3], "r");
	if (!f) {
		perror(argv[3]);
		return 2;
	}
	size_t nq = 0, capq = 1024;
	struct query *qs = malloc(capq * sizeof(*qs));
	char line[512], name[300], type[32];
	while (qs && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%299s %31s", name, type) != 2)
			continue;
		if (nq == capq)
			qs = realloc(qs, (capq *= 2) * sizeof(*qs));
		if (qs && encode(name, type, &qs[nq]) == 0)
			nq++;
	}
	fclose(f);
	if (!qs || nq == 0) {
		fprintf(stderr, "latprobe: no usable queries in %s\n", argv[3]);
		return 2;
	}

	int fds[MAXSOCK];
	struct pollfd pfds[MAXSOCK];
	for (int k = 0; k < nsock; k++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		int size = 8 << 20;
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			perror("latprobe: socket");
			return 1;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
		int one = 1;
		if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0) {
			perror("latprobe: SO_TIMESTAMPNS");
			return 1;
		}
		fds[k] = fd;
		pfds[k] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	uint64_t total = (uint64_t)(rate * (warm + secs));
	uint64_t first = (uint64_t)(rate * warm); /* first counted sequence number */
	size_t cap = (size_t)(total - first) + 16;
	double *lat = malloc(cap * sizeof(double));
	double *ulat = malloc(cap * sizeof(double));
	struct slot *slots = calloc(SLOTS, sizeof(*slots));
	if (!lat || !ulat || !slots) {
		fprintf(stderr, "latprobe: out of memory\n");
		return 1;
	}
	uint64_t seq = 0, answered = 0, errors = 0, sent_counted = 0, dropped_send = 0;
	size_t nlat = 0;
	static unsigned char rbuf[BATCH][1500];
	static union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} cbuf[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = rbuf[i], .iov_len = sizeof(rbuf[i]) };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	double start = now(), end = start + warm + secs, drain = end + 1.0;
	for (;;) {
		double t = now();
		if (t >= drain || (t >= end && seq >= total && answered + errors >= sent_counted))
			break;
		uint64_t due = t >= end ? total : (uint64_t)((t - start) * rate) + 1;
		if (due > total)
			due = total;
		while (seq < due) {
			struct query *q = &qs[seq % nq];
			uint16_t id = (uint16_t)(seq & 0xffff);
			q->wire[0] = (unsigned char)(id >> 8);
			q->wire[1] = (unsigned char)id;
			double ts = wall();
			if (send(fds[seq % (uint64_t)nsock], q->wire, q->len, 0) < 0) {
				if (errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED) {
					perror("latprobe: send");
					return 1;
				}
				dropped_send++;
			} else {
				slots[id] = (struct slot){ .seq = seq + 1, .sent = ts };
			}
			if (seq >= first)
				sent_counted++;
			seq++;
		}
		/* Wait until the next send is due or a reply comes (not at all when
		 * a send is already due), then read the sockets that have replies. */
		double next = seq < total ? start + (double)(seq + 1) / rate : drain;
		double wait = next - now();
		if (wait < 0)
			wait = 0;
		struct timespec ts = { .tv_sec = (time_t)wait,
				       .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9) };
		if (ppoll(pfds, (nfds_t)nsock, &ts, NULL) <= 0)
			continue;
		for (int k = 0; k < nsock; k++) {
			if (!(pfds[k].revents & POLLIN))
				continue;
			for (int i = 0; i < BATCH; i++) {
				msgs[i].msg_hdr.msg_control = cbuf[i].buf;
				msgs[i].msg_hdr.msg_controllen = sizeof(cbuf[i].buf);
			}
			int n = recvmmsg(fds[k], msgs, BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				continue;
			double tr = wall();
			for (int i = 0; i < n; i++) {
				unsigned char *w = rbuf[i];
				if (msgs[i].msg_len < 12 || !(w[2] & 0x80))
					continue;
				uint16_t id = (uint16_t)(w[0] << 8 | w[1]);
				struct slot *s = &slots[id];
				if (s->seq == 0)
					continue;
				/* a late reply to an older query with the same ID asks
				 * (nearly always) another name: not this query's answer */
				struct query *q = &qs[(s->seq - 1) % nq];
				if (msgs[i].msg_len < q->len ||
				    memcmp(w + 12, q->wire + 12, q->len - 12) != 0)
					continue;
				if (s->seq - 1 >= first) {
					if ((w[3] & 0x0f) != 0)
						errors++;
					else
						answered++;
					if (nlat < cap) {
						ulat[nlat] = tr - s->sent;
						lat[nlat++] = arrival(&msgs[i].msg_hdr, tr) - s->sent;
					}
				}
				s->seq = 0;
			}
		}
	}
	qsort(lat, nlat, sizeof(double), cmp);
	qsort(ulat, nlat, sizeof(double), cmp);
	double sum = 0;
	for (size_t i = 0; i < nlat; i++)
		sum += lat[i];
	printf("{\"rate\": %.0f, \"seconds\": %.3f, \"sent\": %llu, \"answered\": %llu, \"errors\": %llu, "
	       "\"lost\": %llu, \"send_failed\": %llu, \"mean_us\": %.1f, \"p50_us\": %.1f, \"p90_us\": %.1f, "
	       "\"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, \"read_p50_us\": %.1f, \"read_p99_us\": %.1f}\n",
	       rate, secs, (unsigned long long)sent_counted, (unsigned long long)answered,
	       (unsigned long long)errors, (unsigned long long)(sent_counted - answered - errors),
	       (unsigned long long)dropped_send, nlat ? sum / (double)nlat * 1e6 : 0.0,
	       pct(lat, nlat, 50) * 1e6, pct(lat, nlat, 90) * 1e6, pct(lat, nlat, 99) * 1e6,
	       pct(lat, nlat, 99.9) * 1e6, nlat ? lat[nlat - 1] * 1e6 : 0.0,
	       pct(ulat, nlat, 50) * 1e6, pct(ulat, nlat, 99) * 1e6);
	return 0;
}
