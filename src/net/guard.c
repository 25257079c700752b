#include "net/guard.h"

#include <string.h>

#include "util/log.h"

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

bool guard_unwanted(struct guard *g, uint64_t now)
{
	if (g->threshold == 0)
		return false;
	advance(g, now);
	g->cur++;
	if (guard_count(g, now) < g->threshold)
		return false;
	if (!guard_defensive(g, now)) {
		g->defensive = true;
		g->entered++;
		log_warn("unwanted upstream replies reached %u in a minute: defensive mode for "
			 "%llu s (all upstream queries over TCP)",
			 g->threshold, (unsigned long long)(g->duration_ms / 1000));
	}
	g->until = now + g->duration_ms;
	return true;
}

bool guard_defensive(struct guard *g, uint64_t now)
{
	if (g->defensive && now >= g->until) {
		g->defensive = false;
		log_warn("defensive mode over: upstream queries use UDP again");
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
