/* ctl_conf: the control verbs about the configuration and the daemon:
 * reload, status, verbosity, list_forwards, forward_add, forward_remove
 * (rows in ctlcmd.c's verbs[]). As Unbound's, the forward zones changed
 * here last until the next reload, which reads the file again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/ctl_conf.h"
#include "daemon/server_int.h"
#include "net/upstream.h"
#include "util/clock.h"
#include "util/log.h"
#include "wire/wire.h"

void verb_reload(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	(void)argv;
	server_reload(s, o);
}

void verb_status(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	(void)argv;
	const struct pool *p = up_pool(s->up);
	control_out_printf(o, "version: %s\n", PC_VERSION);
	control_out_printf(o, "verbosity: %d\n", (int)log_get_level());
	control_out_printf(o, "threads: %u\n", s->n_workers);
	control_out_printf(o, "modules: 1 [ iterator ]\n");
	control_out_printf(o, "uptime: %llu seconds\n",
			   (unsigned long long)((clock_now_ms() - s->started_ms) / 1000));
	control_out_printf(o, "pool: %zu sockets (%zu ip4, %zu ip6)\n", p->n, p->n4, p->n6);
	control_out_printf(o, "config: %s\n", s->conf_path ? s->conf_path : "(built-in)");
	control_out_printf(o, "reloads: %llu (%llu refused)\n", (unsigned long long)s->reloads,
			   (unsigned long long)s->reload_failures);
	control_out_printf(o, "portcullis (pid %ld) is running...\n", (long)getpid());
}

/* verbosity N: the log level until the next reload (or the next verb). */
void verb_verbosity(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)s;
	(void)argc;
	char *end;
	long n = strtol(argv[1], &end, 10);
	if (argv[1][0] < '0' || argv[1][0] > '9' || *end != '\0' || n > 3) {
		control_out_error(o, "verbosity: '%s' is not a level 0..3", argv[1]);
		return;
	}
	log_set_level((enum log_level)n);
	control_out_printf(o, "ok\n");
}

static void print_zone(struct control_out *o, const struct config_zone *z, const char *kind)
{
	char name[WIRE_NAME_MAX * 4 + 1];
	if (wire_name_to_text(z->name, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "?");
	control_out_printf(o, "%s IN %s", name, kind);
	for (size_t i = 0; i < z->n_addrs; i++) {
		const struct sockaddr_storage *sa = &z->addrs[i].sa;
		char a[64] = "?";
		unsigned port;
		if (sa->ss_family == AF_INET) {
			uv_ip4_name((const struct sockaddr_in *)sa, a, sizeof(a));
			port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
		} else {
			uv_ip6_name((const struct sockaddr_in6 *)sa, a, sizeof(a));
			port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
		}
		if (port == 53)
			control_out_printf(o, " %s", a);
		else
			control_out_printf(o, " %s@%u", a, port);
	}
	control_out_printf(o, "\n");
}

/* As Unbound's list_forwards: "NAME IN forward ADDR ..." per zone. */
void verb_list_forwards(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < s->cfg->n_forward; i++)
		print_zone(o, &s->cfg->forward[i], "forward");
}

/* A zone name from the command line, lowercased wire format. */
static bool zone_arg(const char *text, uint8_t name[WIRE_NAME_MAX], struct control_out *o,
		     const char *verb)
{
	if (wire_name_from_text(text, name) < 0) {
		control_out_error(o, "%s: '%s' is not a domain name", verb, text);
		return false;
	}
	wire_name_lower(name);
	return true;
}

static long find_zone(const struct config_zone *z, size_t n, const uint8_t *name)
{
	for (size_t i = 0; i < n; i++)
		if (wire_name_eq(z[i].name, name))
			return (long)i;
	return -1;
}

/* A copy of the configuration in force to change, or NULL (o says why). */
static struct config *copy_cfg(struct server *s, struct control_out *o)
{
	struct config *c = malloc(sizeof(*c));
	if (c == NULL)
		control_out_error(o, "out of memory");
	else {
		memcpy(c, s->cfg, sizeof(*c));
		/* The local lines are the configuration's own (and made the
		 * local zone table at start): the copy holds none. */
		c->local = NULL;
		c->n_local = 0;
	}
	return c;
}

/* forward_add [+i] ZONE ADDR...: forward ZONE to these servers (replacing
 * the servers of a forward zone of that name). "+i" (Unbound's "insecure",
 * for DNSSEC) is accepted: there is no validation to turn off. */
void verb_forward_add(struct server *s, int argc, char **argv, struct control_out *o)
{
	int a = 1;
	if (argc > 1 && argv[1][0] == '+') {
		if (strcmp(argv[1], "+i") != 0) {
			control_out_error(o, "forward_add: unknown flag '%s' (only +i)", argv[1]);
			return;
		}
		a++;
	}
	if (argc - a < 2) {
		control_out_error(o, "forward_add: give a zone and at least one address");
		return;
	}
	uint8_t name[WIRE_NAME_MAX];
	if (!zone_arg(argv[a], name, o, "forward_add"))
		return;
	struct config_zone z;
	memset(&z, 0, sizeof(z));
	memcpy(z.name, name, sizeof(name));
	for (int i = a + 1; i < argc; i++) {
		if (z.n_addrs >= CONFIG_MAX_ADDRS) {
			control_out_error(o, "forward_add: more than %d addresses", CONFIG_MAX_ADDRS);
			return;
		}
		if (config_parse_addr(argv[i], 53, &z.addrs[z.n_addrs]) != 0) {
			control_out_error(o, "forward_add: '%s' is not an address or address@port",
					  argv[i]);
			return;
		}
		z.n_addrs++;
	}
	if (find_zone(s->cfg->stub, s->cfg->n_stub, name) >= 0) {
		control_out_error(o, "forward_add: %s is a stub zone", argv[a]);
		return;
	}
	long at = find_zone(s->cfg->forward, s->cfg->n_forward, name);
	if (at < 0 && s->cfg->n_forward >= CONFIG_MAX_ZONES) {
		control_out_error(o, "forward_add: already %d forward zones (CONFIG_MAX_ZONES)",
				  CONFIG_MAX_ZONES);
		return;
	}
	struct config *c = copy_cfg(s, o);
	if (c == NULL)
		return;
	if (at < 0)
		at = (long)c->n_forward++;
	c->forward[at] = z;
	if (server_config_publish(s, c) != 0) {
		control_out_error(o, "forward_add: out of memory");
		return;
	}
	log_notice("forward_add: %s", argv[a]);
	control_out_printf(o, "ok\n");
	for (size_t i = 0; s->cfg->do_not_query_localhost && i < z.n_addrs; i++) {
		const struct sockaddr_storage *sa = &z.addrs[i].sa;
		bool loop = sa->ss_family == AF_INET
				    ? ((const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr)[0] == 127
				    : IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
		if (loop)
			control_out_printf(o, "warning: %s is a loopback address and "
					      "do-not-query-localhost is yes: it will never be asked\n",
					   argv[a + 1 + (int)i]);
	}
}

void verb_forward_remove(struct server *s, int argc, char **argv, struct control_out *o)
{
	int a = argc > 2 && strcmp(argv[1], "+i") == 0 ? 2 : 1;
	if (argc - a != 1) {
		control_out_error(o, "forward_remove: give one zone");
		return;
	}
	uint8_t name[WIRE_NAME_MAX];
	if (!zone_arg(argv[a], name, o, "forward_remove"))
		return;
	long at = find_zone(s->cfg->forward, s->cfg->n_forward, name);
	if (at < 0) {
		control_out_error(o, "forward_remove: %s is not a forward zone", argv[a]);
		return;
	}
	struct config *c = copy_cfg(s, o);
	if (c == NULL)
		return;
	memmove(&c->forward[at], &c->forward[at + 1],
		(c->n_forward - (size_t)at - 1) * sizeof(c->forward[0]));
	c->n_forward--;
	memset(&c->forward[c->n_forward], 0, sizeof(c->forward[0]));
	if (server_config_publish(s, c) != 0) {
		control_out_error(o, "forward_remove: out of memory");
		return;
	}
	log_notice("forward_remove: %s", argv[a]);
	control_out_printf(o, "ok\n");
}
