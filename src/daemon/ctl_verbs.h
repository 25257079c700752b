/* ctl_verbs: control verbs kept in files of their own (ctl_cache.c,
 * ctl_lookup.c); ctlcmd.c's table names them. Worker 0 only. */
#ifndef PC_DAEMON_CTL_VERBS_H
#define PC_DAEMON_CTL_VERBS_H

#include "daemon/control.h"

struct server;

void verb_dump_cache(struct server *s, int argc, char **argv, struct control_out *o);
void verb_load_cache(struct server *s, int argc, char **argv, struct control_out *o);
void verb_lookup(struct server *s, int argc, char **argv, struct control_out *o);

#endif
