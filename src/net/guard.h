/* guard: counts unwanted replies that could be forgeries over a sliding
 * minute and switches upstream into defensive mode when the count reaches
 * unwanted-reply-threshold. Only a reply that could have been accepted had
 * its ID or question been right counts: one from a server address we have
 * a query outstanding with, on the socket that query waits on (upstream.c
 * decides). Junk sent to the pool's ports from elsewhere cannot poison
 * anything, and must not let anyone who can reach those ports change how
 * we talk to every server. A stream of such replies means someone is
 * forging answers in the name of particular servers; while it lasts, the
 * queries to those servers (the ones forged replies claimed to come from
 * within the last minute) go over TCP (off-path forgery cannot reach TCP),
 * every other server is asked as usual, and the zones the forgeries aimed
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
#include <sys/socket.h>

#include "wire/wire.h"

#define GUARD_ZONES 64          /* zones remembered per window */
#define GUARD_SERVERS 64        /* servers under attack remembered */
#define GUARD_WINDOW_MS 60000u

struct guard_zone {
	uint8_t name[WIRE_NAME_MAX];
	uint64_t at; /* last forged reply aimed at it */
};

struct guard_server {
	struct sockaddr_storage addr;
	uint64_t at;    /* last forged reply in its name */
	uint64_t until; /* its queries go over TCP until then */
};

struct guard {
	uint32_t threshold;          /* 0 = off */
	uint64_t duration_ms;
	uint64_t minute;             /* index of the current bucket */
	uint64_t cur, prev;          /* unwanted replies in this and the last minute */
	bool defensive;              /* some server's queries go over TCP */
	uint64_t until;              /* the last server's defensive time ends then */
	uint64_t entered;            /* times defensive mode began */
	struct guard_zone zones[GUARD_ZONES];
	size_t n_zones;
	size_t last_zone;            /* index hit last: floods usually aim at one zone */
	struct guard_server servers[GUARD_SERVERS];
	size_t n_servers;
	size_t last_server;
};

void guard_init(struct guard *g, uint32_t threshold, uint32_t duration_s);

/* Remember that a forged or broken reply aimed at a query for zone. */
void guard_zone(struct guard *g, const uint8_t *zone, uint64_t now);

/* Remember that a forged or broken reply claimed to come from server addr. */
void guard_server(struct guard *g, const struct sockaddr_storage *addr, uint64_t now);

/* Count one unwanted reply that could be a forgery. Returns true when the
 * count is at or above the threshold: every server remembered within the
 * last minute is (again) in defensive mode for duration, the mode has begun
 * (logged once) or been extended, and the caller should hand the zones to
 * guard_take_zones. */
bool guard_unwanted(struct guard *g, uint64_t now);

/* Unwanted replies within the last minute (the two-bucket estimate). */
uint64_t guard_count(struct guard *g, uint64_t now);

/* Is defensive mode on for any server? Ends it (and logs so) once the last
 * server's time is up. */
bool guard_defensive(struct guard *g, uint64_t now);

/* Must queries to server addr go over TCP? Cheap while no server is in
 * defensive mode (one test). */
bool guard_server_defensive(struct guard *g, const struct sockaddr_storage *addr, uint64_t now);

/* Servers in defensive mode now. */
size_t guard_n_servers(struct guard *g, uint64_t now);

/* Call fn for each zone a forged reply aimed at within the last two minutes,
 * then forget them all. */
typedef void (*guard_zone_fn)(void *ud, const uint8_t *zone);
void guard_take_zones(struct guard *g, uint64_t now, guard_zone_fn fn, void *ud);

#endif
