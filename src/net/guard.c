#include "net/guard.h"

#include <string.h>

#include "util/log.h"
#include "util/sockaddr.h"

void guard_init(struct guard *g, uint32_t threshold, uint32_t duration_s)
{
	memset(g, 0, sizeof(*g));
	g->threshold = threshold;
	g->duration_ms = (uint64_t)duration_s * 1000;
}

static void advance(struct guard *g, uint64_t now)
{
	uint64_t m = now / GUARD_WINDOW_MS;
	if (m == g->minute)
		return;
	/* a gap of more than one minute leaves nothing in the window */
	g->prev = m == g->minute + 1 ? g->cur : 0;
	g->cur = 0;
	g->minute = m;
}

uint64_t guard_count(struct guard *g, uint64_t now)
{
	advance(g, now);
	uint64_t into = now % GUARD_WINDOW_MS;
	return g->cur + g->prev * (GUARD_WINDOW_MS - into) / GUARD_WINDOW_MS;
}

void guard_zone(struct guard *g, const uint8_t *zone, uint64_t now)
{
	if (g->threshold == 0)
		return;
	if (g->last_zone < g->n_zones && wire_name_eq(g->zones[g->last_zone].name, zone)) {
		g->zones[g->last_zone].at = now;
		return;
	}
	size_t oldest = 0;
	for (size_t i = 0; i < g->n_zones; i++) {
		if (wire_name_eq(g->zones[i].name, zone)) {
			g->zones[i].at = now;
			g->last_zone = i;
			return;
		}
		if (g->zones[i].at < g->zones[oldest].at)
			oldest = i;
	}
	/* Bounded: when full, the zone hit longest ago makes room. A forger who
	 * spreads over more than 64 zones still gets the most recent ones
	 * flushed, and defensive mode stops the rest. */
	size_t i = g->n_zones < GUARD_ZONES ? g->n_zones++ : oldest;
	wire_name_copy(g->zones[i].name, zone);
	g->zones[i].at = now;
	g->last_zone = i;
}

void guard_server(struct guard *g, const struct sockaddr_storage *addr, uint64_t now)
{
	if (g->threshold == 0)
		return;
	if (g->last_server < g->n_servers &&
	    sockaddr_equal(&g->servers[g->last_server].addr, addr)) {
		g->servers[g->last_server].at = now;
		return;
	}
	size_t oldest = 0;
	for (size_t i = 0; i < g->n_servers; i++) {
		if (sockaddr_equal(&g->servers[i].addr, addr)) {
			g->servers[i].at = now;
			g->last_server = i;
			return;
		}
		if (g->servers[i].until <= now && g->servers[oldest].until > now)
			oldest = i; /* prefer one not in defensive mode */
		else if ((g->servers[i].until <= now) == (g->servers[oldest].until <= now) &&
			 g->servers[i].at < g->servers[oldest].at)
			oldest = i;
	}
	/* Bounded like the zones: when full, the server not in defensive mode
	 * (or, if all are, the one) hit longest ago makes room. */
	size_t i = g->n_servers < GUARD_SERVERS ? g->n_servers++ : oldest;
	g->servers[i].addr = *addr;
	g->servers[i].at = now;
	g->servers[i].until = 0;
	g->last_server = i;
}

bool guard_unwanted(struct guard *g, uint64_t now)
{
	if (g->threshold == 0)
		return false;
	advance(g, now);
	g->cur++;
	if (guard_count(g, now) < g->threshold)
		return false;
	size_t n = 0;
	for (size_t i = 0; i < g->n_servers; i++) {
		struct guard_server *v = &g->servers[i];
		if (now - v->at <= GUARD_WINDOW_MS) {
			v->until = now + g->duration_ms;
			n++;
		}
	}
	if (!guard_defensive(g, now)) {
		g->defensive = true;
		g->entered++;
		log_warn("unwanted upstream replies reached %u in a minute: defensive mode for "
			 "%llu s (queries to the %zu server%s they came in the name of over TCP)",
			 g->threshold, (unsigned long long)(g->duration_ms / 1000), n,
			 n == 1 ? "" : "s");
	}
	g->until = now + g->duration_ms;
	return true;
}

bool guard_server_defensive(struct guard *g, const struct sockaddr_storage *addr, uint64_t now)
{
	if (!g->defensive || !guard_defensive(g, now))
		return false;
	for (size_t i = 0; i < g->n_servers; i++)
		if (g->servers[i].until > now && sockaddr_equal(&g->servers[i].addr, addr))
			return true;
	return false;
}

size_t guard_n_servers(struct guard *g, uint64_t now)
{
	size_t n = 0;
	if (!guard_defensive(g, now))
		return 0;
	for (size_t i = 0; i < g->n_servers; i++)
		if (g->servers[i].until > now)
			n++;
	return n;
}

bool guard_defensive(struct guard *g, uint64_t now)
{
	if (g->defensive && now >= g->until) {
		g->defensive = false;
		log_warn("defensive mode over: queries to every server use UDP again");
	}
	return g->defensive;
}

void guard_take_zones(struct guard *g, uint64_t now, guard_zone_fn fn, void *ud)
{
	for (size_t i = 0; i < g->n_zones; i++)
		if (now - g->zones[i].at <= 2 * (uint64_t)GUARD_WINDOW_MS && fn != NULL)
			fn(ud, g->zones[i].name);
	g->n_zones = 0;
	g->last_zone = 0;
}
