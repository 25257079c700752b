/* server_local: a reload's local zones (server_local.c): a new table made
 * from the new configuration's local-zone, local-data and local-data-ptr
 * lines when they changed (or a control verb changed the table), swapped
 * in for the reader threads safely. Worker 0's loop only. */
#ifndef PC_DAEMON_SERVER_LOCAL_H
#define PC_DAEMON_SERVER_LOCAL_H

#include <stddef.h>

struct config;
struct config_local;
struct lz_table;
struct server;

/* A table made and not yet in force, with the lines it was made from. */
struct local_build {
	struct lz_table *table;      /* NULL: nothing to change */
	struct config_local *lines;  /* taken from next */
	size_t n_lines;
};

/* Before the new configuration is published: when its local lines differ
 * from those of the table in force, or a control verb changed that table,
 * make the new table into *out (taking next's lines); otherwise *out holds
 * no table. 0, or PC_ENOMEM with the reason in err (nothing changed). */
int server_local_prepare(struct server *s, struct config *next, struct local_build *out,
			 char *err, size_t errlen);
/* The reload did not happen: free what prepare made. */
void server_local_abandon(struct local_build *b);
/* After the publish: put b's table in force (readers included) and drop
 * the cache entries it answers for. Returns the table it replaced, for the
 * caller to free once no reader can hold it (NULL: b held none). */
struct lz_table *server_local_apply(struct server *s, struct local_build *b);
/* At the end: the lines a reload kept. */
void server_local_free(struct server *s);

#endif
