/* ctlcmd: the control verbs (stats, flush, stop, ...) of a server, one
 * table in ctlcmd.c. They use the server; the server does not know them:
 * main() hands server_on_control to server_new as the control channel's
 * handler, so the dependency goes one way (ctlcmd -> server). */
#ifndef PC_DAEMON_CTLCMD_H
#define PC_DAEMON_CTLCMD_H

#include "daemon/control.h"

/* The control channel's callback (control.h), with the server as ud: runs
 * one command line on worker 0 and writes its answer to o. */
void server_on_control(void *ud, int argc, char **argv, struct control_out *o);

#endif
