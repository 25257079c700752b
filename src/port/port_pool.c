/* port_pool: pool JSON reader and control-socket client (see port_pool.h). */
#include "port/port_pool.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"

/* Deeper nesting than the schema needs is tolerated in values we skip, up
 * to this bound, so recursion cannot exhaust the stack. */
#define MAX_DEPTH 32
#define MAX_SOCKS (1u << 20)

struct js {
	const char *s;
	size_t len, i;
};

static void ws(struct js *j)
{
	while (j->i < j->len && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
				 j->s[j->i] == '\n' || j->s[j->i] == '\r'))
		j->i++;
}

/* Consume c after optional whitespace. */
static bool eat(struct js *j, char c)
{
	ws(j);
	if (j->i < j->len && j->s[j->i] == c) {
		j->i++;
		return true;
	}
	return false;
}

static bool peek(struct js *j, char c)
{
	ws(j);
	return j->i < j->len && j->s[j->i] == c;
}

/* A string; when out is non-NULL its unescaped ASCII prefix is copied
 * (truncated to outlen-1). Escapes are validated but \u is not decoded:
 * no field we read needs it. */
static int string(struct js *j, char *out, size_t outlen)
{
	size_t o = 0;

	if (!eat(j, '"'))
		return PC_EMALFORMED;
	while (j->i < j->len) {
		char c = j->s[j->i++];
		if (c == '"') {
			if (out && outlen)
				out[o] = '\0';
			return 0;
		}
		if ((unsigned char)c < 0x20)
			return PC_EMALFORMED;
		if (c == '\\') {
			if (j->i >= j->len)
				return PC_EMALFORMED;
			c = j->s[j->i++];
			if (c == 'u') {
				if (j->len - j->i < 4)
					return PC_EMALFORMED;
				j->i += 4;
				c = '?';
			} else if (!strchr("\"\\/bfnrt", c)) {
				return PC_EMALFORMED;
			}
		}
		if (out && o + 1 < outlen)
			out[o++] = c;
	}
	return PC_EMALFORMED;
}

/* Any JSON number; *ival receives it when it is a plain integer that fits,
 * *is_int tells whether it was one. */
static int number(struct js *j, int64_t *ival, bool *is_int)
{
	bool neg = false, digits = false, frac = false;
	uint64_t v = 0;
	bool big = false;

	ws(j);
	if (j->i < j->len && j->s[j->i] == '-') {
		neg = true;
		j->i++;
	}
	while (j->i < j->len && j->s[j->i] >= '0' && j->s[j->i] <= '9') {
		unsigned d = (unsigned)(j->s[j->i++] - '0');
		digits = true;
		if (v > (UINT64_MAX - d) / 10)
			big = true;
		else
			v = v * 10 + d;
	}
	if (!digits)
		return PC_EMALFORMED;
	if (j->i < j->len && j->s[j->i] == '.') {
		frac = true;
		j->i++;
		if (j->i >= j->len || j->s[j->i] < '0' || j->s[j->i] > '9')
			return PC_EMALFORMED;
		while (j->i < j->len && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
	}
	if (j->i < j->len && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		frac = true;
		j->i++;
		if (j->i < j->len && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		if (j->i >= j->len || j->s[j->i] < '0' || j->s[j->i] > '9')
			return PC_EMALFORMED;
		while (j->i < j->len && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
	}
	*is_int = !frac && !big && v <= (uint64_t)INT64_MAX;
	*ival = *is_int ? (neg ? -(int64_t)v : (int64_t)v) : 0;
	return 0;
}

static bool literal(struct js *j, const char *word)
{
	size_t n = strlen(word);

	ws(j);
	if (j->len - j->i < n || memcmp(j->s + j->i, word, n) != 0)
		return false;
	j->i += n;
	return true;
}

/* Skip one value of any kind. */
static int skip(struct js *j, int depth)
{
	int64_t iv;
	bool ii;

	if (depth > MAX_DEPTH)
		return PC_EMALFORMED;
	ws(j);
	if (j->i >= j->len)
		return PC_EMALFORMED;
	switch (j->s[j->i]) {
	case '"':
		return string(j, NULL, 0);
	case '{':
		j->i++;
		if (eat(j, '}'))
			return 0;
		do {
			if (string(j, NULL, 0) != 0 || !eat(j, ':') || skip(j, depth + 1) != 0)
				return PC_EMALFORMED;
		} while (eat(j, ','));
		return eat(j, '}') ? 0 : PC_EMALFORMED;
	case '[':
		j->i++;
		if (eat(j, ']'))
			return 0;
		do {
			if (skip(j, depth + 1) != 0)
				return PC_EMALFORMED;
		} while (eat(j, ','));
		return eat(j, ']') ? 0 : PC_EMALFORMED;
	default:
		if (literal(j, "true") || literal(j, "false") || literal(j, "null"))
			return 0;
		return number(j, &iv, &ii);
	}
}

/* A number that must be an integer in [lo, hi]; anything else is skipped
 * and leaves *out unchanged, so an odd counter does not void the reply. */
static int int_field(struct js *j, int64_t lo, int64_t hi, int64_t *out)
{
	int64_t v;
	bool is_int;

	if (!peek(j, '-') && !(j->i < j->len && j->s[j->i] >= '0' && j->s[j->i] <= '9'))
		return skip(j, 1);
	if (number(j, &v, &is_int) != 0)
		return PC_EMALFORMED;
	if (is_int && v >= lo && v <= hi)
		*out = v;
	return 0;
}

/* {"addr": "...", "port": N, "queries": N}; an entry without an address
 * or a port is skipped. */
static int peer_obj(struct js *j, struct port_pool_sock *s)
{
	char key[16];
	struct port_pool_peer pe = { "", 0, 0 };
	int64_t port = -1, q = 0;

	if (!eat(j, '{'))
		return skip(j, 3);
	if (!eat(j, '}')) {
		do {
			int rc;
			if (string(j, key, sizeof(key)) != 0 || !eat(j, ':'))
				return PC_EMALFORMED;
			if (strcmp(key, "addr") == 0 && peek(j, '"'))
				rc = string(j, pe.addr, sizeof(pe.addr));
			else if (strcmp(key, "port") == 0)
				rc = int_field(j, 1, 65535, &port);
			else if (strcmp(key, "queries") == 0)
				rc = int_field(j, 0, UINT32_MAX, &q);
			else
				rc = skip(j, 4);
			if (rc != 0)
				return rc;
		} while (eat(j, ','));
		if (!eat(j, '}'))
			return PC_EMALFORMED;
	}
	if (pe.addr[0] && port > 0 && s->npeers < PORT_POOL_PEERS) {
		pe.port = (uint16_t)port;
		pe.queries = (uint32_t)q;
		s->peers[s->npeers++] = pe;
	}
	return 0;
}

static int peers_array(struct js *j, struct port_pool_sock *s)
{
	if (!eat(j, '['))
		return skip(j, 3); /* not an array: treat as absent */
	if (eat(j, ']'))
		return 0;
	do {
		if (peer_obj(j, s) != 0)
			return PC_EMALFORMED;
	} while (eat(j, ','));
	return eat(j, ']') ? 0 : PC_EMALFORMED;
}

static int sock_obj(struct js *j, struct port_pool_sock *s, bool *valid)
{
	char key[16], fam[8] = "";
	int64_t port = -1, sent = 0, acc = 0, drop = 0, idle = -1;

	memset(s, 0, sizeof(*s));
	if (!eat(j, '{'))
		return PC_EMALFORMED;
	if (!eat(j, '}')) {
		do {
			if (string(j, key, sizeof(key)) != 0 || !eat(j, ':'))
				return PC_EMALFORMED;
			int rc;
			if (strcmp(key, "family") == 0 && peek(j, '"'))
				rc = string(j, fam, sizeof(fam));
			else if (strcmp(key, "port") == 0)
				rc = int_field(j, 0, 65535, &port);
			else if (strcmp(key, "sent") == 0)
				rc = int_field(j, 0, INT64_MAX, &sent);
			else if (strcmp(key, "accepted") == 0)
				rc = int_field(j, 0, INT64_MAX, &acc);
			else if (strcmp(key, "dropped") == 0)
				rc = int_field(j, 0, INT64_MAX, &drop);
			else if (strcmp(key, "idle_ms") == 0)
				rc = int_field(j, 0, INT64_MAX, &idle);
			else if (strcmp(key, "peers") == 0)
				rc = peers_array(j, s);
			else
				rc = skip(j, 2);
			if (rc != 0)
				return rc;
		} while (eat(j, ','));
		if (!eat(j, '}'))
			return PC_EMALFORMED;
	}
	/* An entry we cannot place (no port, unknown family) is ignored. */
	*valid = port >= 0 && (strcmp(fam, "ip4") == 0 || strcmp(fam, "ip6") == 0);
	s->family = strcmp(fam, "ip6") == 0 ? 10 /* AF_INET6 */ : 2 /* AF_INET */;
	s->port = (uint16_t)(port < 0 ? 0 : port);
	s->sent = (uint64_t)sent;
	s->accepted = (uint64_t)acc;
	s->dropped = (uint64_t)drop;
	s->idle_ms = idle;
	return 0;
}

static int sockets_array(struct js *j, struct port_pool *p)
{
	size_t cap = 0;

	if (!eat(j, '['))
		return skip(j, 1); /* not an array: treat as absent */
	if (eat(j, ']'))
		return 0;
	do {
		struct port_pool_sock s;
		bool valid;

		if (!peek(j, '{')) {
			if (skip(j, 2) != 0)
				return PC_EMALFORMED;
			continue;
		}
		if (sock_obj(j, &s, &valid) != 0)
			return PC_EMALFORMED;
		if (!valid)
			continue;
		if (p->n == cap) {
			if (cap >= MAX_SOCKS)
				return PC_EMALFORMED;
			size_t c = cap ? cap * 2 : 64;
			struct port_pool_sock *v = realloc(p->socks, c * sizeof(*v));
			if (!v)
				return PC_ENOMEM;
			p->socks = v;
			cap = c;
		}
		p->socks[p->n++] = s;
	} while (eat(j, ','));
	return eat(j, ']') ? 0 : PC_EMALFORMED;
}

int port_pool_parse(const char *json, size_t len, struct port_pool *out)
{
	struct js j = { json, json ? len : 0, 0 };
	char key[16];
	int64_t pid = -1, size = -1;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!eat(&j, '{'))
		return PC_EMALFORMED;
	if (!eat(&j, '}')) {
		do {
			if (string(&j, key, sizeof(key)) != 0 || !eat(&j, ':')) {
				rc = PC_EMALFORMED;
				break;
			}
			if (strcmp(key, "pid") == 0)
				rc = int_field(&j, 1, INT32_MAX, &pid);
			else if (strcmp(key, "size") == 0)
				rc = int_field(&j, 0, INT64_MAX, &size);
			else if (strcmp(key, "sockets") == 0)
				rc = sockets_array(&j, out);
			else
				rc = skip(&j, 1);
		} while (rc == 0 && eat(&j, ','));
		if (rc == 0 && !eat(&j, '}'))
			rc = PC_EMALFORMED;
	}
	ws(&j);
	if (rc == 0 && j.i != j.len)
		rc = PC_EMALFORMED; /* one document, nothing after it */
	if (rc != 0) {
		port_pool_free(out);
		return rc;
	}
	out->pid = (int)pid;
	out->size = size;
	return 0;
}

int port_pool_parse_reply(const char *buf, size_t len, struct port_pool *out,
			  char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	if (!buf)
		return PC_EMALFORMED;
	if (len >= 3 && memcmp(buf, "ok\n", 3) == 0)
		return port_pool_parse(buf + 3, len - 3, out);
	if (len >= 6 && memcmp(buf, "error ", 6) == 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = (nl ? (size_t)(nl - buf) : len) - 6;
		if (errlen) {
			if (n >= errlen)
				n = errlen - 1;
			/* Keep the message printable: it ends up on a terminal. */
			for (size_t i = 0; i < n; i++) {
				unsigned char c = (unsigned char)buf[6 + i];
				err[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
			}
			err[n] = '\0';
		}
		return PC_EINVAL;
	}
	return port_pool_parse(buf, len, out);
}

void port_pool_free(struct port_pool *p)
{
	free(p->socks);
	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->size = -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready until the deadline; false on timeout. */
static bool wait_fd(int fd, short ev, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = ev };
		if (left <= 0)
			return false;
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return true;
		if (n == 0 || errno != EINTR)
			return false;
	}
}

int port_pool_fetch(const char *path, struct port_pool *out, char *err, size_t errlen)
{
	static const char cmd[] = "pool json\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t plen = strlen(path), have = 0, cap = 0;
	socklen_t salen;
	char *buf = NULL;
	int64_t deadline = now_ms() + 2000;
	int fd, rc = PC_EIO;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	if (plen == 0 || plen >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return PC_EIO;
	}
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
			    (path[0] == '@' ? 0 : 1));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return PC_EIO;
	if (connect(fd, (struct sockaddr *)&sa, salen) != 0 &&
	    !(errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline)))
		goto out;
	if (!wait_fd(fd, POLLOUT, deadline) ||
	    send(fd, cmd, sizeof(cmd) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(cmd) - 1))
		goto out;
	for (;;) {
		if (have == cap) {
			if (cap >= PORT_POOL_MAX_REPLY) {
				rc = PC_EMALFORMED;
				goto out;
			}
			size_t c = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, c);
			if (!nb) {
				rc = PC_ENOMEM;
				goto out;
			}
			buf = nb;
			cap = c;
		}
		if (!wait_fd(fd, POLLIN, deadline)) {
			errno = ETIMEDOUT;
			goto out;
		}
		ssize_t n = recv(fd, buf + have, cap - have, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	rc = port_pool_parse_reply(buf, have, out, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}

static int cmp_pool_sock(const void *pa, const void *pb)
{
	const struct port_pool_sock *a = pa, *b = pb;

	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return a->family < b->family ? -1 : a->family > b->family;
}

void port_pool_mark(const struct port_sockset *socks, const struct port_owners *owners,
		    struct port_pool *pools, size_t npools, int *pool_pid,
		    const struct port_pool_sock **entry)
{
	for (size_t p = 0; p < npools; p++)
		if (pools[p].n > 1)
			qsort(pools[p].socks, pools[p].n, sizeof(pools[p].socks[0]),
			      cmp_pool_sock);
	for (size_t i = 0; i < socks->n; i++) {
		const struct port_sock *s = &socks->v[i];
		struct port_pool_sock key = { .family = s->family, .port = s->lport };

		if (s->proto != IPPROTO_UDP)
			continue;
		for (size_t p = 0; p < npools; p++) {
			const struct port_pool *pl = &pools[p];
			const struct port_pool_sock *hit;
			if (pl->netns != s->netns || pl->n == 0 ||
			    !(hit = bsearch(&key, pl->socks, pl->n, sizeof(key), cmp_pool_sock)))
				continue;
			size_t k = port_owners_find(owners, s->inode);
			bool known = k < owners->n, mine = !known;
			for (; k < owners->n && owners->v[k].inode == s->inode; k++)
				mine = mine || owners->v[k].pid == pl->pid;
			if (mine) {
				pool_pid[i] = pl->pid;
				if (entry)
					entry[i] = hit;
				break;
			}
		}
	}
}
