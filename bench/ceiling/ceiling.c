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
	while (p < len && buf[p] != 0) {
		if (buf[p] & 0xc0)
			return 0;
		p += 1u + buf[p];
	}
	p += 1 + 4; /* root label, type, class */
	if (p > len || p + sizeof(rr) > BUFSZ)
		return 0;
	buf[2] = (unsigned char)((buf[2] & 0x79) | 0x84); /* QR, AA; keep opcode and RD */
	buf[3] = 0x80;                                  /* RA, NOERROR */
	buf[6] = 0, buf[7] = 1;                         /* ANCOUNT 1 */
	memset(buf + 8, 0, 4);                          /* NSCOUNT, ARCOUNT 0 */
	memcpy(buf + p, rr, sizeof(rr));
	return p + sizeof(rr);
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
