/* guard: counts unwanted replies (every reply upstream drops) over a sliding
 * minute and switches upstream into defensive mode when the count reaches
 * unwanted-reply-threshold. A stream of unwanted replies means someone is
 * sending us forged answers; while it lasts, every upstream query goes over
 * TCP (off-path forgery cannot reach TCP) and the zones the forgeries aimed
 * at are flushed, in case one got through before we noticed.
 *
 * The window is two one-minute buckets: the previous minute's count weighted
 * by how much of it still lies within the last 60 seconds, plus the current
 * minute's. Cheap and close enough for a threshold. */
#ifndef PC_NET_GUARD_H
#define PC_NET_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

#define GUARD_ZONES 64          /* zones remembered per window */
#define GUARD_WINDOW_MS 60000u

struct guard_zone {
	uint8_t name[WIRE_NAME_MAX];
	uint64_t at; /* last forged reply aimed at it */
};

struct guard {
	uint32_t threshold;          /* 0 = off */
	uint64_t duration_ms;
	uint64_t minute;             /* index of the current bucket */
	uint64_t cur, prev;          /* unwanted replies in this and the last minute */
	bool defensive;
	uint64_t until;              /* defensive mode ends then */
	uint64_t entered;            /* times defensive mode began */
	struct guard_zone zones[GUARD_ZONES];
	size_t n_zones;
	size_t last_zone;            /* index hit last: floods usually aim at one zone */
};

void guard_init(struct guard *g, uint32_t threshold, uint32_t duration_s);

/* Remember that a forged or broken reply aimed at a query for zone. */
void guard_zone(struct guard *g, const uint8_t *zone, uint64_t now);

/* Count one unwanted reply. Returns true when the count is at or above the
 * threshold: defensive mode has just begun (logged once) or been extended,
 * and the caller should hand the zones to guard_take_zones. */
bool guard_unwanted(struct guard *g, uint64_t now);

/* Unwanted replies within the last minute (the two-bucket estimate). */
uint64_t guard_count(struct guard *g, uint64_t now);

/* Is defensive mode on? Ends it (and logs so) once its time is up. */
bool guard_defensive(struct guard *g, uint64_t now);

/* Call fn for each zone a forged reply aimed at within the last two minutes,
 * then forget them all. */
typedef void (*guard_zone_fn)(void *ud, const uint8_t *zone);
void guard_take_zones(struct guard *g, uint64_t now, guard_zone_fn fn, void *ud);

#endif
