/* port_reg: lookups over the generated registry tables (see port_reg.h). */
#include "port/port_reg.h"

#include <ctype.h>
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

const char *port_iana_range_title(enum port_iana_range r)
{
	return r == PORT_SYSTEM ? "System (0-1023)"
	       : r == PORT_USER ? "User (1024-49151)"
				: "Dynamic/Private (49152-65535)";
}

/* ---- suggestions for a name the registry does not hold ------------------ */

/* Optimal string alignment distance, for short words; capped at 3. */
static unsigned edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	unsigned d[PORT_SUGGEST_WORD + 1][PORT_SUGGEST_WORD + 1];

	if (n > PORT_SUGGEST_WORD || m > PORT_SUGGEST_WORD)
		return 3;
	if ((n > m ? n - m : m - n) >= 3)
		return 3;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			unsigned cost = tolower((unsigned char)a[i - 1]) !=
					tolower((unsigned char)b[j - 1]);
			unsigned v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 &&
			    tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[n][m] < 3 ? d[n][m] : 3;
}

/* The initials of the description's words equal word: "dns" is the
 * Domain Name Server. */
static bool acronym_of(const char *desc, const char *word)
{
	size_t k = 0, n = strlen(word);
	bool start = true;

	if (n < 2)
		return false;
	for (; *desc; desc++) {
		unsigned char c = (unsigned char)*desc;
		if (!isalnum(c)) {
			start = true;
			continue;
		}
		if (start) {
			if (k == n || tolower(c) != tolower((unsigned char)word[k]))
				return false;
			k++;
		}
		start = false;
	}
	return k == n;
}

/* The description holds word as a whole word, any case. */
static bool has_word(const char *desc, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = desc; (p = strcasestr(p, word)) != NULL; p++) {
		bool before = p == desc || !isalnum((unsigned char)p[-1]);
		bool after = !isalnum((unsigned char)p[n]);
		if (before && after)
			return true;
	}
	return false;
}

size_t port_reg_suggest(const char *word, unsigned tmask, struct port_suggestion *out, size_t max)
{
	size_t n = 0, wl = strlen(word);

	/* Lower scores first; within a score, registry order (lower ports).
	 * An acronym of a System port's description is what people mean
	 * most often ("dns", "ntp" spelled out); of other ports it is as
	 * likely chance as a typo is. */
	for (unsigned score = 0; score <= 5 && n < max; score++) {
		for (size_t i = 0; i < port_reg_nrecs && n < max; i++) {
			const struct port_reg_rec *r = &port_reg_recs[i];
			const char *name = str_at(r->name), *desc = str_at(r->desc);
			size_t nl = strlen(name), k;
			unsigned got;

			if (!*name || !r->has_port || !transport_ok(tmask, r->transport))
				continue;
			bool acro = acronym_of(desc, word);
			if (acro && r->lo <= 1023)
				got = 0;
			else if ((nl > wl && strncasecmp(name, word, wl) == 0) ||
				 (wl > nl && nl >= 3 && strncasecmp(word, name, nl) == 0))
				got = 1;
			else if (wl >= 3 && edit_distance(word, name) == 1)
				got = 2;
			else if (acro)
				got = 3;
			else if (wl >= 4 && edit_distance(word, name) == 2)
				got = 4;
			else if (wl >= 3 && has_word(desc, word))
				got = 5;
			else
				continue;
			if (got != score)
				continue;
			for (k = 0; k < n && strcasecmp(out[k].name, name) != 0; k++)
				;
			if (k < n)
				continue;
			out[n].name = name;
			out[n].port = r->lo;
			out[n].port_high = r->hi;
			n++;
		}
	}
	return n;
}
