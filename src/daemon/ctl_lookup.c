/* ctl_lookup: "lookup NAME", as unbound-control's: the zone and servers the
 * resolver would ask for NAME now (core/lookup.h), with each server's
 * address, the remaining TTL of that address in the cache and the smoothed
 * RTT the resolver has measured for it (its infra state). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/lookup.h"
#include "daemon/ctl_verbs.h"
#include "daemon/server.h"

static void addr_line(struct control_out *o, const char *indent, const struct core_deleg_addr *a)
{
	char text[INET6_ADDRSTRLEN] = "?";
	if (a->addr.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->addr)->sin_addr, text,
			  sizeof(text));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&a->addr)->sin6_addr, text,
			  sizeof(text));
	unsigned port = ntohs(a->addr.ss_family == AF_INET
				      ? ((const struct sockaddr_in *)&a->addr)->sin_port
				      : ((const struct sockaddr_in6 *)&a->addr)->sin6_port);
	control_out_printf(o, "%s%s", indent, text);
	if (port != 53)
		control_out_printf(o, "@%u", port);
	if (a->hints)
		control_out_printf(o, " (root hints)");
	else if (a->ttl)
		control_out_printf(o, " ttl %u", a->ttl);
	if (a->srtt)
		control_out_printf(o, " rtt %u ms\n", a->srtt);
	else
		control_out_printf(o, " rtt unknown (not asked yet)\n");
}

void verb_lookup(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	uint8_t name[WIRE_NAME_MAX];
	if (wire_name_from_text(argv[1], name) < 0) {
		control_out_error(o, "lookup: '%s' is not a domain name", argv[1]);
		return;
	}
	struct core_deleg *d = malloc(sizeof(*d));
	if (d == NULL) {
		control_out_error(o, "out of memory");
		return;
	}
	core_delegation(server_env(s), name, WIRE_C_IN, server_now(s), d);
	char text[1024], zone[1024];
	wire_name_to_text(name, text, sizeof(text));
	wire_name_to_text(d->zone, zone, sizeof(zone));
	control_out_printf(o, "name %s\n", text);
	switch (d->source) {
	case CORE_DELEG_FORWARD:
	case CORE_DELEG_STUB:
		control_out_printf(o, "zone %s (%s zone), servers:\n", zone,
				   d->source == CORE_DELEG_FORWARD ? "forward" : "stub");
		for (size_t i = 0; i < d->n_addr; i++)
			addr_line(o, "  ", &d->addr[i]);
		break;
	case CORE_DELEG_CACHE:
	case CORE_DELEG_HINTS:
		if (d->source == CORE_DELEG_CACHE)
			control_out_printf(o, "zone %s (delegation in the cache, NS ttl %u), "
					      "servers:\n", zone, d->ns_ttl);
		else
			control_out_printf(o, "zone %s (root hints), servers:\n", zone);
		for (size_t i = 0; i < d->n_ns; i++) {
			wire_name_to_text(d->ns[i].name, text, sizeof(text));
			control_out_printf(o, "  %s\n", text);
			if (d->ns[i].n_addr == 0)
				control_out_printf(o, "    no address cached (it would be looked up)\n");
			for (size_t j = 0; j < d->ns[i].n_addr; j++)
				addr_line(o, "    ", &d->ns[i].addr[j]);
		}
		break;
	}
	free(d);
}
