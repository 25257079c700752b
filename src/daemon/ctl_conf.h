/* ctl_conf: control verbs about the configuration and the daemon (reload,
 * status, verbosity, list_forwards, forward_add, forward_remove). Each has
 * the signature of a row of ctlcmd.c's verbs[]; they run on worker 0. */
#ifndef PC_DAEMON_CTL_CONF_H
#define PC_DAEMON_CTL_CONF_H

#include "daemon/control.h"

struct server;

void verb_reload(struct server *s, int argc, char **argv, struct control_out *o);
void verb_status(struct server *s, int argc, char **argv, struct control_out *o);
void verb_verbosity(struct server *s, int argc, char **argv, struct control_out *o);
void verb_list_forwards(struct server *s, int argc, char **argv, struct control_out *o);
void verb_forward_add(struct server *s, int argc, char **argv, struct control_out *o);
void verb_forward_remove(struct server *s, int argc, char **argv, struct control_out *o);

#endif
