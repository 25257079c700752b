/* port_proc: who holds a socket, read from /proc.
 *
 * The kernel tells sock_diag callers a socket's inode but not its owner;
 * the owner is whoever has a file descriptor that links to socket:[inode].
 * port_proc_owners walks every process's fd directory once and keeps only
 * the inodes it was asked about, so the cost is one readlink per open fd
 * and memory is proportional to the answer. Also: finding processes by
 * command name, a process's socket inodes and network namespace, and
 * whether we hold the privileges to look at everyone.
 *
 * Every array returned through an _own pointer belongs to the caller, who
 * frees it with free(). */
#ifndef PC_PORT_PROC_H
#define PC_PORT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PORT_COMM_MAX 17 /* TASK_COMM_LEN + NUL slack */

struct port_owner {
	uint32_t inode;
	int pid;
	char comm[PORT_COMM_MAX];
};

struct port_owners {
	struct port_owner *v; /* owned; sorted by inode, then pid */
	size_t n, cap;
	size_t hidden;        /* processes whose fd table we could not read */
};

/* Find the holders of the given inodes (any order, duplicates allowed;
 * the array is sorted in place). Returns 0 or PC_ENOMEM / PC_EIO. */
int port_proc_owners(uint32_t *inodes, size_t n, struct port_owners *out);
void port_owners_free(struct port_owners *o);
/* Index of the first owner of inode, or n if none. */
size_t port_owners_find(const struct port_owners *o, uint32_t inode);

/* /proc/PID/comm without its newline; "?" if unreadable. */
void port_proc_comm(int pid, char comm[PORT_COMM_MAX]);

/* All pids whose comm equals name. */
int port_proc_find_comm(const char *name, int **pids_own, size_t *n);

/* The socket inodes pid holds. PC_EIO (errno set) if its fds are hidden. */
int port_proc_sockets(int pid, uint32_t **inodes_own, size_t *n);

/* Inode of /proc/PID/ns/net (pid 0 = ourselves); 0 on success. */
int port_proc_netns(int pid, uint64_t *ino);

/* One process per network namespace other than ours, for --all-netns: the
 * lowest pid in it, which names the namespace for people. Processes whose
 * namespace we may not read (another user's, without CAP_SYS_PTRACE) are
 * counted in *unreadable, with the errno of the first in *err. */
struct port_netns {
	uint64_t ino;
	int pid;
};
int port_proc_netns_list(uint64_t self_ns, struct port_netns **own, size_t *n,
			 size_t *unreadable, int *err);

/* The name `ip netns` knows a namespace by: a file under /run/netns bind-
 * mounted over it (same inode). Writes the name and returns true if one
 * of them is the namespace ino. */
#define PORT_NETNS_NAME_MAX 64
bool port_proc_netns_name(uint64_t ino, char name[PORT_NETNS_NAME_MAX]);

/* What this process may see of other users' processes. */
struct port_privs {
	bool root;             /* effective uid 0 */
	bool cap_sys_ptrace;   /* in the effective set */
	bool cap_dac_read_search;
};
void port_proc_privs(struct port_privs *p);

#endif
