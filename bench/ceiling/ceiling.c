/*
 * ceiling: the least work a UDP DNS responder can do, to show what this
 * machine's loopback and the load generator allow at all.
 *
 *   usage: ceiling ADDR [PORT]      (port 53 unless given; runs until killed)
 *
 * Reads datagrams in batches (recvmmsg), turns each query into an answer in
 * place: header kept with QR (and RA) set, the question copied, anything
 * after the question (EDNS) dropped, and one A record appended
 * (name = pointer to the question, TTL 300, 192.0.2.1). Writes the batch
 * back with sendmmsg. Datagrams that are not a one-question query are
 * ignored. No parsing beyond walking the question name.
 *
 * A query whose one additional record is an OPT with the DO bit gets the
 * answer a validating resolver gives such a query from its cache: AD set,
 * the A record, an RRSIG of the size algorithm 13 gives (64-byte signature,
 * the signer the question's parent, uncompressed as RFC 4034 3.1.7 asks, a
 * fixed signature of zeros) and an OPT record with DO. The validating rows of
 * the resolver benchmark compare the resolvers' cached answers to that.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define BUFSZ 512

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Appends an RRSIG over the A record (name = pointer to the question) and
 * an OPT record with DO at buf + p; the question name is buf[12..qend),
 * labels long. Returns the new length, or 0 when it would not fit. */
static size_t append_dnssec(unsigned char *buf, size_t p, size_t qend, unsigned labels)
{
	/* the signer: the question's parent, or the root for a one-label name */
	size_t signer = labels > 1 ? 12u + 1u + buf[12] : qend - 1;
	size_t slen = qend - signer;
	size_t rdlen = 18 + slen + 64;
	if (p + 12 + rdlen + 11 > BUFSZ)
		return 0;
	unsigned char *o = buf + p;
	static const unsigned char head[] = {
		0xc0, 0x0c, 0x00, 0x2e, 0x00, 0x01, /* RRSIG IN */
		0x00, 0x00, 0x01, 0x2c,             /* TTL 300 */
	};
	memcpy(o, head, sizeof(head));
	o += sizeof(head);
	*o++ = (unsigned char)(rdlen >> 8), *o++ = (unsigned char)rdlen;
	static const unsigned char fixed[] = {
		0x00, 0x01, 13, 0,                  /* covers A; algorithm 13; labels (below) */
		0x00, 0x00, 0x01, 0x2c,             /* original TTL 300 */
		0x7f, 0x00, 0x00, 0x00,             /* expiration */
		0x60, 0x00, 0x00, 0x00,             /* inception */
		0x12, 0x34,                         /* key tag */
	};
	memcpy(o, fixed, sizeof(fixed));
	o[3] = (unsigned char)labels;
	o += sizeof(fixed);
	memmove(o, buf + signer, slen);
	o += slen;
	memset(o, 0, 64);
	o += 64;
	static const unsigned char opt[] = {
		0x00, 0x00, 0x29, 0x04, 0xd0, /* root, OPT, UDP payload 1232 */
		0x00, 0x00, 0x80, 0x00,       /* extended RCODE 0, version 0, DO */
		0x00, 0x00,                   /* no options */
	};
	memcpy(o, opt, sizeof(opt));
	o += sizeof(opt);
	return (size_t)(o - buf);
}

/* Turns the query in buf (len bytes) into the answer; returns its length, or
 * 0 when the datagram is to be dropped. */
static size_t answer(unsigned char *buf, size_t len)
{
	static const unsigned char rr[] = {
		0xc0, 0x0c,             /* name: pointer to the question */
		0x00, 0x01, 0x00, 0x01, /* A IN */
		0x00, 0x00, 0x01, 0x2c, /* TTL 300 */
		0x00, 0x04, 192, 0, 2, 1,
	};
	if (len < 12 + 5 || (buf[2] & 0x80) || buf[4] != 0 || buf[5] != 1)
		return 0;
	size_t p = 12;
	unsigned labels = 0;
	while (p < len && buf[p] != 0) {
		if (buf[p] & 0xc0)
			return 0;
		p += 1u + buf[p];
		labels++;
	}
	size_t qend = p + 1;
	p += 1 + 4; /* root label, type, class */
	if (p > len || p + sizeof(rr) > BUFSZ)
		return 0;
	/* one additional record, an OPT (root name, type 41) with DO set */
	int dnssec = buf[10] == 0 && buf[11] == 1 && p + 11 <= len && buf[p] == 0 &&
		     buf[p + 1] == 0 && buf[p + 2] == 41 && (buf[p + 7] & 0x80);
	buf[2] = (unsigned char)((buf[2] & 0x79) | 0x84); /* QR, AA; keep opcode and RD */
	buf[3] = 0x80;                                  /* RA, NOERROR */
	buf[6] = 0, buf[7] = 1;                         /* ANCOUNT 1 */
	memset(buf + 8, 0, 4);                          /* NSCOUNT, ARCOUNT 0 */
	memcpy(buf + p, rr, sizeof(rr));
	if (!dnssec)
		return p + sizeof(rr);
	buf[3] |= 0x20;           /* AD */
	buf[7] = 2, buf[11] = 1;  /* ANCOUNT 2, ARCOUNT 1 */
	return append_dnssec(buf, p + sizeof(rr), qend, labels);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: ceiling ADDR [PORT]\n");
		return 2;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_port = htons((unsigned short)(argc == 3 ? atoi(argv[2]) : 53));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "ceiling: bad address %s\n", argv[1]);
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int size = 4 << 20;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("ceiling");
		return 1;
	}
	struct sigaction act = { .sa_handler = on_signal };
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);

	static unsigned char bufs[BATCH][BUFSZ];
	static struct sockaddr_in peers[BATCH];
	static struct iovec iov[BATCH];
	static struct mmsghdr in[BATCH], out[BATCH];
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = BUFSZ;
		in[i].msg_hdr.msg_name = &peers[i];
		in[i].msg_hdr.msg_namelen = sizeof(peers[i]);
		in[i].msg_hdr.msg_iov = &iov[i];
		in[i].msg_hdr.msg_iovlen = 1;
	}
	fprintf(stderr, "ceiling: ready on %s:%u\n", argv[1], ntohs(sa.sin_port));
	unsigned long long answered = 0;
	while (!stop) {
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_len = BUFSZ;
			in[i].msg_hdr.msg_namelen = sizeof(peers[i]);
		}
		int n = recvmmsg(fd, in, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("ceiling: recvmmsg");
			return 1;
		}
		int m = 0;
		for (int i = 0; i < n; i++) {
			size_t len = answer(bufs[i], in[i].msg_len);
			if (len == 0)
				continue;
			static struct iovec oiov[BATCH];
			oiov[m].iov_base = bufs[i];
			oiov[m].iov_len = len;
			out[m].msg_hdr = (struct msghdr){
				.msg_name = &peers[i],
				.msg_namelen = in[i].msg_hdr.msg_namelen,
				.msg_iov = &oiov[m],
				.msg_iovlen = 1,
			};
			m++;
		}
		for (int done = 0; done < m;) {
			int s = sendmmsg(fd, out + done, (unsigned)(m - done), 0);
			if (s < 0) {
				if (errno == EINTR)
					continue;
				break; /* a full send buffer loses the rest, as UDP may */
			}
			done += s;
		}
		answered += (unsigned)m;
	}
	fprintf(stderr, "ceiling: %llu answers\n", answered);
	return 0;
}
