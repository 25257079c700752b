/* portcullis-port: facts about a port, range or service name, and who is
 * using it right now. See man/portcullis-port.1 and docs/portcullis-port.md.
 *
 * main() gathers (registry, sysctls, sock_diag, /proc owners, portcullis
 * pools) into a struct port_report and hands it to port_out. Exit status:
 * 0 answered, 1 the system would not tell us, 2 bad input. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "port/port_diag.h"
#include "port/port_out.h"
#include "port/port_pool.h"
#include "port/port_proc.h"
#include "port/port_reg.h"
#include "port/port_spec.h"
#include "util/err.h"

#define PROG "portcullis-port"

static const char usage[] =
	"usage: " PROG " PORT | LOW-HIGH | SERVICE-NAME | P1,P2,... [options]\n"
	"       " PROG " --like WORD [options]\n"
	"\n"
	"Facts about a port (IANA range, ephemeral/reserved on this host, IANA\n"
	"registry records, known unofficial uses) and every TCP/UDP socket using it,\n"
	"with owning processes and what a portcullis pool socket has been doing.\n"
	"Ports as people write them: 53  :53  53/udp  udp/53  53,80,443  domain/tcp\n"
	"\n"
	"  -t, --tcp        TCP only          -u, --udp      UDP only\n"
	"  -w, --wide       one line per socket, every column, nothing wrapped\n"
	"  --json           JSON output (schema in portcullis-port(1))\n"
	"  -n               do not resolve uids to user names\n"
	"  --all-netns      also look in every other network namespace\n"
	"  --like WORD      search service names and descriptions\n"
	"  --control PATH   portcullis control socket (default " PORT_CONTROL_DEFAULT ")\n"
	"  -h, --help       this text        --version      version\n";

struct gather {
	const struct port_args *args;
	struct port_report rep;
	struct port_item items[PORT_MAX_ITEMS]; /* what to look up */
	size_t nitems;
	struct port_sockset socks;
	struct port_owners owners;
	struct port_pool *pools;           /* read from the daemons' control sockets */
	size_t npools;
	struct port_nslabel *ns;           /* --all-netns: namespaces searched */
	size_t nns;
	struct port_unix_listener *unix_l; /* listening AF_UNIX sockets seen */
	size_t n_unix, cap_unix;
	char warnbuf[PORT_MAX_WARN][320];
};

static void warn(struct gather *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn(struct gather *g, const char *fmt, ...)
{
	va_list ap;
	int i = g->rep.nwarn;

	if (i >= PORT_MAX_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(g->warnbuf[i], sizeof(g->warnbuf[i]), fmt, ap);
	va_end(ap);
	g->rep.warn[i] = g->warnbuf[i];
	g->rep.nwarn++;
}

/* Whole small file into buf (NUL-terminated); its length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t have = 0;

	if (fd < 0)
		return -1;
	while (have + 1 < cap) {
		ssize_t n = read(fd, buf + have, cap - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	buf[have] = '\0';
	return (ssize_t)have;
}

static void read_sysctls(struct gather *g, uint8_t *reserved)
{
	char buf[65536];
	ssize_t n;

	n = read_small("/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof(buf));
	g->rep.have_eph = n > 0 && port_sysctl_range_parse(buf, (size_t)n, &g->rep.eph_lo,
							   &g->rep.eph_hi) == 0;
	n = read_small("/proc/sys/net/ipv4/ip_local_reserved_ports", buf, sizeof(buf));
	g->rep.have_reserved = n >= 0 && port_reserved_parse(buf, (size_t)n, reserved) == 0;
	g->rep.reserved = reserved;
}

static int keep_unix(void *ctx, const struct port_unix_listener *u)
{
	struct gather *g = ctx;

	if (u->path[0] == '\0')
		return 0; /* unnamed: nobody can connect to it */
	if (g->n_unix == g->cap_unix) {
		size_t c = g->cap_unix ? g->cap_unix * 2 : 16;
		struct port_unix_listener *v = realloc(g->unix_l, c * sizeof(*v));
		if (!v)
			return PC_ENOMEM;
		g->unix_l = v;
		g->cap_unix = c;
	}
	g->unix_l[g->n_unix++] = *u;
	return 0;
}

static const char *const transport_word[] = { "tcp4", "tcp6", "udp4", "udp6" };

/* Query the namespace we are in now, for every item. */
static int query_here(struct gather *g, uint64_t ns)
{
	unsigned skipped = 0;
	int kerr = 0, rc = 0;

	for (size_t i = 0; i < g->nitems && rc == 0; i++) {
		const struct port_item *it = &g->items[i];
		/* Port 0 in a range would match every unconnected socket's
		 * peer: nothing is ever bound to port 0, so start at 1. */
		uint16_t lo = it->lo ? it->lo : 1;
		rc = port_diag_inet(&g->socks, it->tmask, lo, it->hi, ns, &skipped, &kerr);
	}
	if (rc != 0) {
		fprintf(stderr, PROG ": sock_diag query failed: %s\n",
			rc == PC_EIO ? strerror(kerr) : pc_strerror(rc));
		return rc;
	}
	for (int i = 0; i < 4; i++)
		if (skipped & (1u << i))
			warn(g, "%s sockets not listed: the kernel has no sock_diag handler "
			     "for them (diag module not loaded, or the family is disabled)",
			     transport_word[i]);
	/* Listening AF_UNIX sockets, to find portcullis control sockets;
	 * only pools hold UDP sockets, so TCP-only lookups skip this. */
	for (size_t i = 0; i < g->nitems; i++)
		if (g->items[i].tmask & PORT_UDP) {
			(void)port_diag_unix_listeners(keep_unix, g, &kerr);
			break;
		}
	return 0;
}

static void add_label(struct gather *g, uint64_t ino, int pid)
{
	struct port_nslabel *v = realloc(g->ns, (g->nns + 1) * sizeof(*v));

	if (!v)
		return;
	g->ns = v;
	v[g->nns].ino = ino;
	v[g->nns].pid = pid;
	if (!port_proc_netns_name(ino, v[g->nns].name))
		v[g->nns].name[0] = '\0';
	g->nns++;
}

/* --all-netns: visit every other namespace a process of ours can see, and
 * say exactly what could not be seen. */
static int query_other_netns(struct gather *g)
{
	struct port_netns *ns = NULL;
	size_t n = 0, failed = 0, unreadable = 0;
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), rc = 0, err = 0, rerr = 0;

	add_label(g, g->rep.self_ns, 0);
	if (self < 0 || port_proc_netns_list(g->rep.self_ns, &ns, &n, &unreadable, &rerr) != 0) {
		warn(g, "--all-netns: cannot list network namespaces: only this one was searched");
		if (self >= 0)
			close(self);
		g->rep.ns_failed = 1;
		return 0;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		char path[48];
		snprintf(path, sizeof(path), "/proc/%d/ns/net", ns[i].pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
			if (!err)
				err = errno;
			failed++;
			if (fd >= 0)
				close(fd);
			continue;
		}
		close(fd);
		add_label(g, ns[i].ino, ns[i].pid);
		rc = query_here(g, ns[i].ino);
		/* Come back before anything else happens, or we would read the
		 * next namespace's sysctls and sockets as our own. */
		if (setns(self, CLONE_NEWNET) != 0) {
			fprintf(stderr, PROG ": cannot return to own network namespace: %s\n",
				strerror(errno));
			exit(1);
		}
	}
	g->rep.ns_failed = failed;
	g->rep.ns_unreadable = unreadable;
	if (failed)
		warn(g, "--all-netns: %zu of %zu other network namespace(s) could not be entered "
		     "(%s): their sockets are not listed; entering one needs CAP_SYS_ADMIN over "
		     "it (run as root)", failed, n, strerror(err));
	if (unreadable)
		warn(g, "--all-netns: the network namespace of %zu process(es) could not be read "
		     "(%s): sockets in namespaces only they are in are not listed; reading "
		     "another user's /proc/PID/ns/net needs CAP_SYS_PTRACE (run as root)",
		     unreadable, strerror(rerr));
	free(ns);
	close(self);
	return rc;
}

static void find_owners(struct gather *g)
{
	uint32_t *inodes = malloc((g->socks.n + 1) * sizeof(*inodes));
	size_t n = 0;

	if (!inodes)
		return;
	for (size_t i = 0; i < g->socks.n; i++)
		if (g->socks.v[i].inode)
			inodes[n++] = g->socks.v[i].inode;
	if (port_proc_owners(inodes, n, &g->owners) != 0)
		warn(g, "could not scan /proc for socket owners");
	free(inodes);
}

static bool has_udp_in(const struct port_sockset *set, uint64_t ns)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].proto == IPPROTO_UDP && set->v[i].netns == ns)
			return true;
	return false;
}

/* Ask a control socket for its pool; keep it unless we have that pid. */
static bool try_pool(struct port_pool **pools, size_t *n, const char *path, int pid_hint,
		     uint64_t ns_hint, char *why, size_t whylen)
{
	struct port_pool p;
	struct port_pool *v;
	int rc = port_pool_fetch(path, &p, why, whylen);

	if (rc != 0) {
		if (rc != PC_EINVAL)
			snprintf(why, whylen, "%s", rc == PC_EIO ? strerror(errno) : pc_strerror(rc));
		return false;
	}
	if (p.pid <= 0)
		p.pid = pid_hint;
	for (size_t i = 0; i < *n; i++)
		if ((*pools)[i].pid == p.pid) {
			port_pool_free(&p);
			return true;
		}
	if (p.pid <= 0 || port_proc_netns(p.pid, &p.netns) != 0)
		p.netns = ns_hint;
	v = realloc(*pools, (*n + 1) * sizeof(*v));
	if (!v) {
		port_pool_free(&p);
		return false;
	}
	*pools = v;
	v[(*n)++] = p;
	return true;
}

/* Find running portcullis daemons, read their pools over their control
 * sockets, and mark the UDP sockets that belong to one. */
static void mark_pools(struct gather *g, int *pool_pid, const struct port_pool_sock **ent)
{
	struct port_pool *pools = NULL;
	size_t npools = 0, ndaemons = 0, nrelevant = 0, udp = 0;
	int *pids = NULL;
	bool all_found = true;
	char why[160] = "";

	for (size_t i = 0; i < g->socks.n; i++)
		udp += g->socks.v[i].proto == IPPROTO_UDP;
	if (udp == 0)
		return; /* nothing a pool could own; skip the work */
	(void)port_proc_find_comm("portcullis", &pids, &ndaemons);
	for (size_t d = 0; d < ndaemons; d++) {
		uint32_t *ino = NULL;
		size_t nino = 0;
		uint64_t ns = g->rep.self_ns;
		bool found = false;

		/* A daemon in a namespace we did not look at cannot own any of
		 * the sockets found; one we cannot inspect is left to --control. */
		if (port_proc_netns(pids[d], &ns) != 0 || !has_udp_in(&g->socks, ns))
			continue;
		nrelevant++;
		if (port_proc_sockets(pids[d], &ino, &nino) == 0) {
			/* Its control socket is a listening AF_UNIX socket it holds. */
			for (size_t u = 0; u < g->n_unix && !found; u++)
				for (size_t k = 0; k < nino && !found; k++)
					if (ino[k] == g->unix_l[u].inode)
						found = try_pool(&pools, &npools,
								 g->unix_l[u].path, pids[d], ns,
								 why, sizeof(why));
		}
		free(ino);
		all_found = all_found && found;
	}
	/* The named (or default) control socket covers daemons we could not
	 * inspect and daemons renamed by a wrapper. */
	if (!all_found || nrelevant == 0) {
		if ((g->args->control_given || access(g->args->control, F_OK) == 0) &&
		    !try_pool(&pools, &npools, g->args->control, 0, g->rep.self_ns, why,
			      sizeof(why))) {
			if (g->args->control_given || nrelevant)
				warn(g, "portcullis control socket %s did not answer 'pool json' (%s); "
				     "pool sockets are not marked", g->args->control, why);
		}
	}
	if (nrelevant > npools && !g->args->control_given)
		warn(g, "%zu portcullis process(es) running here but only %zu pool(s) could be "
		     "read; try --control PATH", nrelevant, npools);
	port_pool_mark(&g->socks, &g->owners, pools, npools, pool_pid, ent);
	g->pools = pools; /* ent points into them: freed after the output */
	g->npools = npools;
	free(pids);
}

static void privilege_note(struct gather *g)
{
	struct port_privs p;
	size_t hidden = 0;

	for (size_t i = 0; i < g->socks.n; i++)
		hidden += port_sock_owner_hidden(&g->rep, i);
	if (!hidden)
		return;
	port_proc_privs(&p);
	if (!p.cap_sys_ptrace || !p.cap_dac_read_search)
		warn(g, "owner of %zu socket(s) unknown: %zu process(es) could not be inspected; "
		     "run as root, or with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (missing:%s%s)",
		     hidden, g->owners.hidden, p.cap_sys_ptrace ? "" : " CAP_SYS_PTRACE",
		     p.cap_dac_read_search ? "" : " CAP_DAC_READ_SEARCH");
	else
		warn(g, "owner of %zu socket(s) unknown: %zu process(es) could not be inspected "
		     "although we hold CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (they belong to "
		     "another user namespace; run as root on the host)", hidden, g->owners.hidden);
}

/* A connection from local port 53 to peer port 80 is found for both: keep
 * one of each socket. The set is sorted, so equal entries are adjacent. */
static bool same_sock(const struct port_sock *a, const struct port_sock *b)
{
	/* Identity only: queue lengths may change between two dumps. */
	return a->netns == b->netns && a->proto == b->proto && a->family == b->family &&
	       a->lport == b->lport && a->rport == b->rport && a->inode == b->inode &&
	       memcmp(a->laddr, b->laddr, 16) == 0 && memcmp(a->raddr, b->raddr, 16) == 0;
}

static void dedup(struct port_sockset *set)
{
	size_t o = 0;

	if (set->n < 2)
		return;
	for (size_t i = 0; i < set->n; i++)
		if (o == 0 || !same_sock(&set->v[o - 1], &set->v[i]))
			set->v[o++] = set->v[i];
	set->n = o;
}

/* The ports a service name is registered for, with their transports. */
static void service_items(struct gather *g)
{
	struct port_reg_iter it = { PORT_REG_NAME, 0, 0, g->args->word, g->args->tmask, 0 };
	struct port_reg_view v;

	while (port_reg_next(&it, &v) && g->nitems < PORT_MAX_ITEMS) {
		unsigned t = v.transport == PORT_T_TCP ? PORT_TCP
			     : v.transport == PORT_T_UDP ? PORT_UDP
			     : v.transport == PORT_T_NONE ? g->args->tmask : 0;
		size_t k;

		if (!v.has_port || !(t &= g->args->tmask))
			continue; /* SCTP and DCCP: no sockets of theirs are listed */
		for (k = 0; k < g->nitems; k++)
			if (g->items[k].lo == v.lo && g->items[k].hi == v.hi)
				break;
		if (k == g->nitems)
			g->items[g->nitems++] = (struct port_item){ v.lo, v.hi, 0 };
		g->items[k].tmask |= t;
	}
}

static int answer_ports(const struct port_args *a)
{
	static uint8_t reserved[8192];
	struct gather *g = calloc(1, sizeof(*g));
	const struct port_pool_sock **ent = NULL;
	int *pool_pid = NULL, rc = 0;

	if (!g)
		return 1;
	g->args = a;
	g->rep.args = a;
	if (a->kind == PORT_Q_SERVICE) {
		service_items(g);
	} else {
		memcpy(g->items, a->items, a->nitems * sizeof(a->items[0]));
		g->nitems = a->nitems;
	}
	g->rep.items = g->items;
	g->rep.nitems = g->nitems;
	read_sysctls(g, reserved);
	if (port_proc_netns(0, &g->rep.self_ns) != 0)
		g->rep.self_ns = 0;
	if (g->nitems)
		rc = query_here(g, g->rep.self_ns);
	if (rc == 0 && a->all_netns && g->nitems)
		rc = query_other_netns(g);
	if (rc != 0) {
		free(g);
		return 1;
	}
	g->rep.ns = g->ns;
	g->rep.nns = g->nns;
	port_sockset_sort(&g->socks);
	dedup(&g->socks);
	find_owners(g);
	pool_pid = calloc(g->socks.n + 1, sizeof(*pool_pid));
	ent = calloc(g->socks.n + 1, sizeof(*ent));
	if (pool_pid && ent)
		mark_pools(g, pool_pid, ent);
	g->rep.socks = &g->socks;
	g->rep.owners = &g->owners;
	g->rep.pool_pid = pool_pid;
	g->rep.pool_ent = ent;
	privilege_note(g);
	if (a->kind == PORT_Q_SERVICE && a->json)
		port_out_service_json(stdout, &g->rep);
	else if (a->kind == PORT_Q_SERVICE)
		port_out_service_text(stdout, &g->rep);
	else if (a->json)
		port_out_ports_json(stdout, &g->rep);
	else
		port_out_ports_text(stdout, &g->rep);
	free(pool_pid);
	free(ent);
	for (size_t i = 0; i < g->npools; i++)
		port_pool_free(&g->pools[i]);
	free(g->pools);
	free(g->ns);
	free(g->unix_l);
	port_owners_free(&g->owners);
	port_sockset_free(&g->socks);
	free(g);
	return 0;
}

/* One line: the name is unknown, and the names it may have meant. */
static void unknown_service(const struct port_args *a)
{
	struct port_suggestion sg[4];
	size_t n = port_reg_suggest(a->word, a->tmask, sg, 4);

	fprintf(stderr, PROG ": no service named '%s' in the IANA registry%s", a->word,
		a->tmask == PORT_BOTH ? "" : " for this transport");
	for (size_t i = 0; i < n; i++) {
		fprintf(stderr, "%s%s (", i ? ", " : "; closest: ", sg[i].name);
		fprintf(stderr, sg[i].port == sg[i].port_high ? "%u)" : "%u-%u)", sg[i].port,
			sg[i].port_high);
	}
	fprintf(stderr, "; search names and descriptions with --like %s\n", a->word);
}

int main(int argc, char **argv)
{
	struct port_args a;
	char err[256];

	if (port_args_parse(argc, argv, &a, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 2;
	}
	if (a.help) {
		fputs(usage, stdout);
		return 0;
	}
	if (a.version) {
		puts(PROG " " PC_VERSION);
		return 0;
	}
	if (a.kind == PORT_Q_SERVICE) {
		struct port_reg_iter it = { PORT_REG_NAME, 0, 0, a.word, a.tmask, 0 };
		struct port_reg_view v;
		if (!port_reg_next(&it, &v)) {
			unknown_service(&a);
			return 2;
		}
	}
	if (a.kind == PORT_Q_LIKE) {
		if (a.json)
			port_out_names_json(stdout, &a);
		else
			port_out_names_text(stdout, &a);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	int rc = answer_ports(&a);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
