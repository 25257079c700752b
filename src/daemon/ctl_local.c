/* ctl_local: control verbs for local zones (ctl_local.h). Run on worker 0,
 * the thread that also writes the cache. */
#include "daemon/ctl_local.h"

#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "core/localzone.h"
#include "daemon/localconf.h"
#include "daemon/server_int.h"
#include "util/err.h"
#include "util/log.h"

static bool name_arg(const char *verb, const char *text, uint8_t name[WIRE_NAME_MAX],
		     struct control_out *o)
{
	if (wire_name_from_text(text, name) < 0) {
		control_out_error(o, "%s: '%s' is not a domain name", verb, text);
		return false;
	}
	wire_name_lower(name);
	return true;
}

void ctl_local_zone(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	char text[1024], err[256];
	uint8_t name[WIRE_NAME_MAX];
	enum lz_type type;
	snprintf(text, sizeof(text), "%s %s", argv[1], argv[2]);
	if (localconf_parse_zone(text, name, &type, err, sizeof(err)) != 0) {
		control_out_error(o, "local_zone: %s", err);
		return;
	}
	if (type == LZ_NODEFAULT) {
		/* Only a default zone of that name is turned off. */
		lz_zone_remove(s->local, name);
	} else if (lz_zone_set(s->local, name, type) != 0) {
		control_out_error(o, "local_zone: out of memory");
		return;
	}
	/* Whatever the cache holds at and below the zone may now be answered
	 * otherwise. */
	cache_flush_zone(s->cache, name);
	log_info("control: local_zone %s %s", argv[1], lz_type_name(type));
	control_out_printf(o, "ok\n");
}

void ctl_local_zone_remove(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	uint8_t name[WIRE_NAME_MAX];
	if (!name_arg(argv[0], argv[1], name, o))
		return;
	if (lz_zone_remove(s->local, name) != 0) {
		control_out_error(o, "local_zone_remove: no local zone %s", argv[1]);
		return;
	}
	log_info("control: local_zone_remove %s", argv[1]);
	control_out_printf(o, "ok\n");
}

void ctl_local_data(struct server *s, int argc, char **argv, struct control_out *o)
{
	char text[1024], err[256];
	size_t n = 0;
	for (int i = 1; i < argc; i++) {
		size_t k = strlen(argv[i]);
		if (n + k + 2 > sizeof(text)) {
			control_out_error(o, "local_data: record too long");
			return;
		}
		if (i > 1)
			text[n++] = ' ';
		memcpy(text + n, argv[i], k);
		n += k;
	}
	text[n] = '\0';
	struct localconf_rr *rr = malloc(sizeof(*rr));
	if (rr == NULL) {
		control_out_error(o, "local_data: out of memory");
		return;
	}
	if (localconf_parse_rr(text, rr, err, sizeof(err)) != 0) {
		control_out_error(o, "local_data: %s", err);
		free(rr);
		return;
	}
	int rc = lz_data_add(s->local, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen);
	if (rc == 0) {
		cache_flush_zone(s->cache, rr->owner);
		log_info("control: local_data %s", text);
		control_out_printf(o, "ok\n");
	} else if (rc == PC_EINVAL) {
		control_out_error(o, "local_data: a CNAME cannot share its name with other data");
	} else {
		control_out_error(o, "local_data: out of memory");
	}
	free(rr);
}

void ctl_local_data_remove(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	uint8_t name[WIRE_NAME_MAX];
	if (!name_arg(argv[0], argv[1], name, o))
		return;
	/* As unbound-control: a name without data is not an error. */
	size_t k = lz_data_remove(s->local, name);
	log_info("control: local_data_remove %s (%zu RRsets)", argv[1], k);
	control_out_printf(o, "ok\n");
}

static void print_zone(void *ud, const uint8_t *name, enum lz_type type)
{
	char text[WIRE_NAME_MAX * 4 + 1];
	if (wire_name_to_text(name, text, sizeof(text)) < 0)
		return;
	control_out_printf(ud, "%s %s\n", text, lz_type_name(type));
}

void ctl_list_local_zones(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	(void)argv;
	lz_each_zone(s->local, print_zone, o);
}

static void print_rr(void *ud, const uint8_t *owner, uint16_t type, uint32_t ttl,
		     const uint8_t *rdata, uint16_t rdlen)
{
	static char text[65536 * 4];
	if (localconf_rr_text(owner, type, ttl, rdata, rdlen, text, sizeof(text)) == 0)
		control_out_printf(ud, "%s\n", text);
}

void ctl_list_local_data(struct server *s, int argc, char **argv, struct control_out *o)
{
	(void)argc;
	(void)argv;
	lz_each_rr(s->local, print_rr, o);
}
