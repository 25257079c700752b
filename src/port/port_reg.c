/* port_reg: lookups over the generated registry tables (see port_reg.h). */
#include "port/port_reg.h"

#include <string.h>
#include <strings.h>

#include "port/port_spec.h"

static const char *str_at(uint32_t off)
{
	/* The generator guarantees offsets are in range; a corrupt table
	 * degrades to empty strings instead of reading out of bounds. */
	return off < port_reg_strings_len ? port_reg_strings + off : "";
}

static bool transport_ok(unsigned tmask, uint8_t t)
{
	if (t == PORT_T_NONE || tmask == PORT_BOTH)
		return true;
	return (t == PORT_T_TCP && (tmask & PORT_TCP)) ||
	       (t == PORT_T_UDP && (tmask & PORT_UDP));
}

static bool contains(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

bool port_reg_next(struct port_reg_iter *it, struct port_reg_view *out)
{
	while (it->pos < port_reg_nrecs) {
		const struct port_reg_rec *r = &port_reg_recs[it->pos++];
		const char *name = str_at(r->name), *desc = str_at(r->desc);
		bool hit;

		if (!transport_ok(it->tmask, r->transport))
			continue;
		switch (it->match) {
		case PORT_REG_PORTS:
			/* Rows are sorted by port with port-less rows last, so
			 * the scan can stop at the first row past the range. */
			if (!r->has_port || r->lo > it->hi) {
				it->pos = port_reg_nrecs;
				return false;
			}
			hit = r->hi >= it->lo;
			break;
		case PORT_REG_NAME:
			hit = *name && strcasecmp(name, it->text) == 0;
			break;
		default:
			hit = contains(name, it->text) || contains(desc, it->text);
			break;
		}
		if (!hit)
			continue;
		out->lo = r->lo;
		out->hi = r->hi;
		out->has_port = r->has_port;
		out->transport = (enum port_transport)r->transport;
		out->name = name;
		out->desc = desc;
		out->ref = str_at(r->ref);
		return true;
	}
	return false;
}

bool port_use_next(struct port_reg_iter *it, struct port_use_view *out)
{
	while (it->pos < port_use_nrecs) {
		const struct port_use_rec *u = &port_use_recs[it->pos++];
		const char *what = str_at(u->what), *src = str_at(u->source);
		bool hit;

		if (!(u->tmask & it->tmask))
			continue;
		if (it->match == PORT_REG_PORTS)
			hit = u->lo <= it->hi && u->hi >= it->lo;
		else
			hit = contains(what, it->text) || contains(src, it->text);
		if (!hit)
			continue;
		out->lo = u->lo;
		out->hi = u->hi;
		out->tmask = u->tmask;
		out->what = what;
		out->source = src;
		return true;
	}
	return false;
}

const char *port_transport_name(enum port_transport t)
{
	switch (t) {
	case PORT_T_TCP: return "tcp";
	case PORT_T_UDP: return "udp";
	case PORT_T_SCTP: return "sctp";
	case PORT_T_DCCP: return "dccp";
	default: return "";
	}
}

enum port_iana_range port_iana_range_of(uint16_t port)
{
	if (port <= 1023)
		return PORT_SYSTEM;
	return port <= 49151 ? PORT_USER : PORT_DYNAMIC;
}

const char *port_iana_range_name(enum port_iana_range r)
{
	return r == PORT_SYSTEM ? "system" : r == PORT_USER ? "user" : "dynamic";
}

const char *port_iana_range_title(enum port_iana_range r)
{
	return r == PORT_SYSTEM ? "System (0-1023)"
	       : r == PORT_USER ? "User (1024-49151)"
				: "Dynamic/Private (49152-65535)";
}
