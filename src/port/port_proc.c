/* port_proc: socket owners and process facts from /proc (see port_proc.h). */
#include "port/port_proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/err.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* A /proc entry that names a process, as a pid; 0 for anything else. */
static int pid_of(const char *name)
{
	long v = 0;

	if (!*name)
		return 0;
	for (const char *c = name; *c; c++) {
		if (!isdigit((unsigned char)*c) || v > 100000000)
			return 0;
		v = v * 10 + (*c - '0');
	}
	return (int)v;
}

/* The inode in a "socket:[12345]" fd link, or 0 if it is not a socket. */
static uint32_t socket_inode(const char *link, ssize_t n)
{
	uint64_t v = 0;
	ssize_t i = 8;

	if (n < 10 || memcmp(link, "socket:[", 8) != 0 || link[n - 1] != ']')
		return 0;
	for (; i < n - 1; i++) {
		if (link[i] < '0' || link[i] > '9' || v > UINT32_MAX)
			return 0;
		v = v * 10 + (uint64_t)(link[i] - '0');
	}
	return v > UINT32_MAX ? 0 : (uint32_t)v;
}

/* Calls fn(ctx, pid, inode) for each socket fd of pid. Returns 0 or the
 * callback's error; *denied tells that the fd directory could not be read
 * for lack of permission (as opposed to the process having exited). */
typedef int (*fd_visit)(void *ctx, int pid, uint32_t inode);

static int walk_fds(int procfd, int pid, fd_visit fn, void *ctx, bool *denied)
{
	char path[32], link[64];
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%d/fd", pid);
	*denied = false;
	fd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		*denied = errno == EACCES || errno == EPERM;
		return 0;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return PC_ENOMEM;
	}
	errno = 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		/* readlinkat relative to the open directory: one short path
		 * lookup per fd instead of walking /proc/PID/fd/N from the root. */
		ssize_t n = readlinkat(fd, e->d_name, link, sizeof(link));
		if (n < 0 && (errno == EACCES || errno == EPERM)) {
			/* The directory may be listable while its links are not:
			 * reading them takes ptrace access (non-dumpable
			 * processes, other users without CAP_SYS_PTRACE). */
			*denied = true;
			break;
		}
		if (n <= 0 || n >= (ssize_t)sizeof(link))
			continue;
		uint32_t ino = socket_inode(link, n);
		if (ino)
			rc = fn(ctx, pid, ino);
	}
	closedir(d);
	return rc;
}

/* Calls fn for every process; counts the ones whose fds are hidden. */
static int walk_procs(fd_visit fn, void *ctx, size_t *hidden)
{
	struct dirent *e;
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int dupfd, rc = 0;
	DIR *d;

	if (procfd < 0)
		return PC_EIO;
	dupfd = dup(procfd);
	d = dupfd >= 0 ? fdopendir(dupfd) : NULL;
	if (!d) {
		if (dupfd >= 0)
			close(dupfd);
		close(procfd);
		return PC_EIO;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		int pid = pid_of(e->d_name);
		if (!pid)
			continue;
		bool denied;
		rc = walk_fds(procfd, pid, fn, ctx, &denied);
		/* ENOENT (the process exited meanwhile) is not worth a word. */
		if (denied && hidden)
			(*hidden)++;
	}
	closedir(d);
	close(procfd);
	return rc;
}

struct owner_ctx {
	const uint32_t *want;
	size_t nwant;
	struct port_owners *out;
};

static int add_owner(void *ctx, int pid, uint32_t inode)
{
	struct owner_ctx *c = ctx;
	struct port_owners *o = c->out;

	if (!bsearch(&inode, c->want, c->nwant, sizeof(inode), cmp_u32))
		return 0;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		struct port_owner *v = realloc(o->v, cap * sizeof(*v));
		if (!v)
			return PC_ENOMEM;
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n].inode = inode;
	o->v[o->n].pid = pid;
	o->v[o->n].comm[0] = '\0';
	o->n++;
	return 0;
}

static int cmp_owner(const void *a, const void *b)
{
	const struct port_owner *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int port_proc_owners(uint32_t *inodes, size_t n, struct port_owners *out)
{
	struct owner_ctx c = { inodes, n, out };
	int rc;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return 0;
	qsort(inodes, n, sizeof(*inodes), cmp_u32);
	rc = walk_procs(add_owner, &c, &out->hidden);
	if (rc != 0)
		return rc;
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(out->v[0]), cmp_owner);
	/* Only now, for the few processes that matched, read their names. */
	for (size_t i = 0; i < out->n; i++) {
		if (i > 0 && out->v[i - 1].pid == out->v[i].pid)
			memcpy(out->v[i].comm, out->v[i - 1].comm, PORT_COMM_MAX);
		else
			port_proc_comm(out->v[i].pid, out->v[i].comm);
	}
	return 0;
}

void port_owners_free(struct port_owners *o)
{
	free(o->v);
	memset(o, 0, sizeof(*o));
}

size_t port_owners_find(const struct port_owners *o, uint32_t inode)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->v[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < o->n && o->v[lo].inode == inode ? lo : o->n;
}

void port_proc_comm(int pid, char comm[PORT_COMM_MAX])
{
	char path[40];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, comm, PORT_COMM_MAX - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		strcpy(comm, "?");
		return;
	}
	comm[n] = '\0';
	if (comm[n - 1] == '\n')
		comm[n - 1] = '\0';
}

static int push_int(int **v, size_t *n, size_t *cap, int x)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		int *nv = realloc(*v, c * sizeof(int));
		if (!nv)
			return PC_ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = x;
	return 0;
}

int port_proc_find_comm(const char *name, int **pids_own, size_t *n)
{
	size_t cap = 0;
	struct dirent *e;
	DIR *d = opendir("/proc");
	char comm[PORT_COMM_MAX];

	*pids_own = NULL;
	*n = 0;
	if (!d)
		return PC_EIO;
	while ((e = readdir(d)) != NULL) {
		int pid = pid_of(e->d_name);
		if (!pid)
			continue;
		port_proc_comm(pid, comm);
		if (strcmp(comm, name) == 0 && push_int(pids_own, n, &cap, pid) != 0) {
			closedir(d);
			return PC_ENOMEM;
		}
	}
	closedir(d);
	return 0;
}

struct inode_list {
	uint32_t *v;
	size_t n, cap;
};

static int add_inode(void *ctx, int pid, uint32_t inode)
{
	struct inode_list *l = ctx;

	(void)pid;
	if (l->n == l->cap) {
		size_t c = l->cap ? l->cap * 2 : 16;
		uint32_t *v = realloc(l->v, c * sizeof(*v));
		if (!v)
			return PC_ENOMEM;
		l->v = v;
		l->cap = c;
	}
	l->v[l->n++] = inode;
	return 0;
}

int port_proc_sockets(int pid, uint32_t **inodes_own, size_t *n)
{
	struct inode_list l = { 0 };
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	*inodes_own = NULL;
	*n = 0;
	if (procfd < 0)
		return PC_EIO;
	bool denied;
	rc = walk_fds(procfd, pid, add_inode, &l, &denied);
	close(procfd);
	if (rc == 0 && denied)
		rc = PC_EIO;
	if (rc != 0) {
		free(l.v);
		return rc;
	}
	*inodes_own = l.v;
	*n = l.n;
	return 0;
}

int port_proc_netns(int pid, uint64_t *ino)
{
	char path[40];
	struct stat st;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/net");
	if (stat(path, &st) != 0)
		return PC_EIO;
	*ino = (uint64_t)st.st_ino;
	return 0;
}

int port_proc_netns_list(uint64_t self_ns, struct port_netns **own, size_t *n,
			 size_t *unreadable, int *err)
{
	size_t cap = 0;
	struct dirent *e;
	DIR *d = opendir("/proc");

	*own = NULL;
	*n = 0;
	*unreadable = 0;
	*err = 0;
	if (!d)
		return PC_EIO;
	while ((e = readdir(d)) != NULL) {
		int pid = pid_of(e->d_name);
		uint64_t ino;
		size_t i;

		if (!pid)
			continue;
		if (port_proc_netns(pid, &ino) != 0) {
			/* ENOENT: the process ended meanwhile; not worth a word. */
			if (errno != ENOENT && errno != ESRCH) {
				if (!*err)
					*err = errno;
				(*unreadable)++;
			}
			continue;
		}
		if (ino == self_ns)
			continue;
		for (i = 0; i < *n && (*own)[i].ino != ino; i++)
			;
		if (i < *n) {
			if (pid < (*own)[i].pid) /* readdir order is not pid order */
				(*own)[i].pid = pid;
			continue;
		}
		if (*n == cap) {
			size_t c = cap ? cap * 2 : 8;
			struct port_netns *v = realloc(*own, c * sizeof(*v));
			if (!v) {
				closedir(d);
				return PC_ENOMEM;
			}
			*own = v;
			cap = c;
		}
		(*own)[*n].ino = ino;
		(*own)[*n].pid = pid;
		(*n)++;
	}
	closedir(d);
	return 0;
}

bool port_proc_netns_name(uint64_t ino, char name[PORT_NETNS_NAME_MAX])
{
	static const char dir[] = "/run/netns";
	struct dirent *e;
	struct stat nsfs, st;
	DIR *d;
	bool found = false;

	/* Compare the device too: an ordinary file could share the inode. */
	if (stat("/proc/self/ns/net", &nsfs) != 0 || (d = opendir(dir)) == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL) {
		char path[sizeof(dir) + 256];
		if (e->d_name[0] == '.' || strlen(e->d_name) >= PORT_NETNS_NAME_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && (uint64_t)st.st_ino == ino && st.st_dev == nsfs.st_dev) {
			memcpy(name, e->d_name, strlen(e->d_name) + 1); /* length checked above */
			found = true;
		}
	}
	closedir(d);
	return found;
}

void port_proc_privs(struct port_privs *p)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(p, 0, sizeof(*p));
	memset(data, 0, sizeof(data));
	p->root = geteuid() == 0;
	/* No libcap dependency for two bits: ask the kernel directly. */
	if (syscall(SYS_capget, &h, data) != 0)
		return;
	p->cap_sys_ptrace = (data[CAP_SYS_PTRACE / 32].effective >> (CAP_SYS_PTRACE % 32)) & 1;
	p->cap_dac_read_search =
		(data[CAP_DAC_READ_SEARCH / 32].effective >> (CAP_DAC_READ_SEARCH % 32)) & 1;
}
