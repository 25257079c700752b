/* ctl_local: the control verbs for local zones (rows of verbs[] in
 * ctlcmd.c), as unbound-control names them:
 *   local_zone NAME TYPE      add a zone or change its type
 *   local_zone_remove NAME    remove a zone and its data
 *   local_data RR...          add one record (the words are joined again)
 *   local_data_remove NAME    remove every record at NAME
 *   list_local_zones          "NAME TYPE" per zone
 *   list_local_data           one record per line, zone-file text
 * A change flushes the names it shadows from the cache (and so from the
 * packet caches), so a cached upstream answer is not served in place of
 * the new local one. */
#ifndef PC_DAEMON_CTL_LOCAL_H
#define PC_DAEMON_CTL_LOCAL_H

struct server;
struct control_out;

void ctl_local_zone(struct server *s, int argc, char **argv, struct control_out *o);
void ctl_local_zone_remove(struct server *s, int argc, char **argv, struct control_out *o);
void ctl_local_data(struct server *s, int argc, char **argv, struct control_out *o);
void ctl_local_data_remove(struct server *s, int argc, char **argv, struct control_out *o);
void ctl_list_local_zones(struct server *s, int argc, char **argv, struct control_out *o);
void ctl_list_local_data(struct server *s, int argc, char **argv, struct control_out *o);

#endif
