/* options: struct config -> each layer's options (see options.h). A copy,
 * field by field, made once at start-up: nothing here is on a query's path. */
#include "daemon/options.h"

#include <stdio.h>
#include <string.h>

#include "core/anchor.h"
#include "util/err.h"

/* Every list fits: the lower layers' bounds are the parser's. */
_Static_assert(CONFIG_MAX_ADDRS <= LISTEN_MAX_INTERFACES, "interface list");
_Static_assert(CONFIG_MAX_ADDRS <= POOL_MAX_OUTGOING, "outgoing-interface list");
_Static_assert(CONFIG_MAX_EXCLUDE <= POOL_MAX_EXCLUDE, "socket-pool-exclude list");
_Static_assert(CONFIG_MAX_ZONES <= UP_MAX_CAPS_EXEMPT, "caps-exempt list");
_Static_assert(CONFIG_MAX_ADDRS <= CORE_ZONE_MAX_ADDRS, "forward-addr / stub-addr list");
_Static_assert(sizeof(((struct config_zone *)0)->name) >= WIRE_NAME_MAX, "zone name");
_Static_assert(sizeof(((struct config *)0)->caps_exempt[0]) >= WIRE_NAME_MAX, "caps-exempt name");
_Static_assert(CONFIG_MAX_ZONES <= DNS64_MAX_IGNORE, "dns64-ignore-aaaa list");

static void copy_addr(struct sockaddr_len *dst, const struct config_addr *src)
{
	dst->sa = src->sa;
	dst->len = src->len;
}

static void copy_zones(struct core_zone *dst, const struct config_zone *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memcpy(dst[i].name, src[i].name, WIRE_NAME_MAX);
		dst[i].n_addrs = src[i].n_addrs;
		for (size_t j = 0; j < src[i].n_addrs; j++)
			copy_addr(&dst[i].addrs[j], &src[i].addrs[j]);
	}
}

static void core_from(struct options *o, const struct config *cfg)
{
	struct core_opts *c = &o->core;
	c->cache_min_ttl = cfg->cache_min_ttl;
	c->cache_max_ttl = cfg->cache_max_ttl;
	c->upstream_timeout = cfg->upstream_timeout;
	c->edns_buffer_size = cfg->edns_buffer_size;
	c->do_ip4 = cfg->do_ip4;
	c->do_ip6 = cfg->do_ip6;
	c->do_udp = cfg->do_udp;
	c->do_tcp = cfg->do_tcp;
	c->do_not_query_localhost = cfg->do_not_query_localhost;
	c->qname_minimisation = cfg->qname_minimisation;
	c->harden_glue = cfg->harden_glue;
	c->aggressive_nsec = cfg->aggressive_nsec;
	c->validate = cfg->modules.validate;
	c->val_permissive = cfg->val_permissive_mode;
	c->harden_dnssec_stripped = cfg->harden_dnssec_stripped;
	c->val_bogus_ttl = cfg->val_bogus_ttl;
	c->anchors = NULL; /* set by options_own_anchors (start: server_anchor.c; reload: reload.c) */
	copy_zones(o->forward, cfg->forward, cfg->n_forward);
	copy_zones(o->stub, cfg->stub, cfg->n_stub);
	c->forward = o->forward;
	c->n_forward = cfg->n_forward;
	c->stub = o->stub;
	c->n_stub = cfg->n_stub;
	memcpy(o->dns64.prefix, cfg->dns64_prefix, sizeof(o->dns64.prefix));
	o->dns64.plen = cfg->dns64_plen;
	o->dns64.synthall = cfg->dns64_synthall;
	o->dns64.n_ignore = cfg->n_dns64_ignore_aaaa;
	for (size_t i = 0; i < cfg->n_dns64_ignore_aaaa; i++)
		memcpy(o->dns64.ignore[i], cfg->dns64_ignore_aaaa[i], WIRE_NAME_MAX);
	c->dns64 = cfg->modules.dns64 ? &o->dns64 : NULL;
}

static void cache_from(struct cache_opts *c, const struct config *cfg)
{
	c->cache_size = cfg->cache_size;
	c->cache_min_ttl = cfg->cache_min_ttl;
	c->cache_max_ttl = cfg->cache_max_ttl;
	c->cache_max_negative_ttl = cfg->cache_max_negative_ttl;
	c->serve_expired = cfg->serve_expired;
	c->serve_expired_ttl = cfg->serve_expired_ttl;
	c->prefetch = cfg->prefetch;
}

void options_pool(struct pool_opts *p, const struct config *cfg)
{
	memset(p, 0, sizeof(*p));
	p->do_ip4 = cfg->do_ip4;
	p->do_ip6 = cfg->do_ip6;
	for (size_t i = 0; i < cfg->n_outgoing; i++)
		copy_addr(&p->outgoing[i], &cfg->outgoing[i]);
	p->n_outgoing = cfg->n_outgoing;
	p->socket_pool_size = cfg->socket_pool_size;
	p->socket_pool_range.low = cfg->socket_pool_range.low;
	p->socket_pool_range.high = cfg->socket_pool_range.high;
	for (size_t i = 0; i < cfg->n_pool_exclude; i++) {
		p->pool_exclude[i].low = cfg->pool_exclude[i].low;
		p->pool_exclude[i].high = cfg->pool_exclude[i].high;
	}
	p->n_pool_exclude = cfg->n_pool_exclude;
	p->pool_rotate_uses = cfg->pool_rotate_uses;
	p->pool_rotate_seconds = cfg->pool_rotate_seconds;
	p->refuse_fragmented_replies = cfg->refuse_fragmented_replies;
}

static void up_from(struct up_opts *u, const struct config *cfg)
{
	options_pool(&u->pool, cfg);
	u->do_tcp = cfg->do_tcp;
	u->edns_buffer_size = cfg->edns_buffer_size;
	u->use_caps_for_id = cfg->use_caps_for_id;
	for (size_t i = 0; i < cfg->n_caps_exempt; i++)
		memcpy(u->caps_exempt[i], cfg->caps_exempt[i], WIRE_NAME_MAX);
	u->n_caps_exempt = cfg->n_caps_exempt;
	u->tcp_after_mismatch = cfg->tcp_after_mismatch;
	u->merge_identical_queries = cfg->merge_identical_queries;
	u->upstream_cookies = cfg->upstream_cookies;
	u->refuse_fragmented_replies = cfg->refuse_fragmented_replies;
	u->unwanted_reply_threshold = cfg->unwanted_reply_threshold;
	u->defensive_mode_time = cfg->defensive_mode_time;
}

static void listen_from(struct listen_opts *l, const struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_interfaces; i++)
		copy_addr(&l->interfaces[i], &cfg->interfaces[i]);
	l->n_interfaces = cfg->n_interfaces;
	l->do_udp = cfg->do_udp;
	l->do_tcp = cfg->do_tcp;
	l->so_rcvbuf = cfg->so_rcvbuf;
	l->so_sndbuf = cfg->so_sndbuf;
	l->incoming_num_tcp = cfg->incoming_num_tcp;
	l->tcp_per_address = cfg->tcp_per_address;
	l->tcp_idle_timeout = cfg->tcp_idle_timeout;
	l->tcp_message_timeout = cfg->tcp_message_timeout;
	l->tcp_queue_size = cfg->tcp_queue_size;
	l->stream_wait_size = cfg->stream_wait_size;
}

const char *options_reachable(const char *path, const char *chroot_dir)
{
	size_t n = chroot_dir ? strlen(chroot_dir) : 0;
	while (n > 1 && chroot_dir[n - 1] == '/')
		n--;
	if (n > 1 && strncmp(path, chroot_dir, n) == 0 && path[n] == '/')
		return path + n;
	return path;
}

int options_load_anchors(struct anchor_set **out, const struct config *cfg, const char *chroot_dir,
			 const char **source_root, char *err, size_t errlen)
{
	*out = NULL;
	if (source_root)
		*source_root = NULL;
	struct anchor_set *set = anchor_set_new();
	if (set == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	anchor_set_timers(set, cfg->add_holddown, cfg->del_holddown, cfg->keep_missing,
			  cfg->permit_small_holddown);
	char msg[512];
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < cfg->n_trust_anchor_file; i++)
		if ((rc = anchor_add_file(set, options_reachable(cfg->trust_anchor_file[i], chroot_dir),
					  msg, sizeof(msg))) != 0)
			snprintf(err, errlen, "trust-anchor-file: %s", msg);
	for (size_t i = 0; rc == 0 && i < cfg->n_trusted_keys_file; i++)
		if ((rc = anchor_add_bind_file(set,
					       options_reachable(cfg->trusted_keys_file[i], chroot_dir),
					       msg, sizeof(msg))) != 0)
			snprintf(err, errlen, "trusted-keys-file: %s", msg);
	for (size_t i = 0; rc == 0 && i < cfg->n_trust_anchor; i++)
		if ((rc = anchor_add_text(set, cfg->trust_anchor[i], strlen(cfg->trust_anchor[i]),
					  "trust-anchor", msg, sizeof(msg))) != 0)
			snprintf(err, errlen, "trust-anchor: %s", msg);
	for (size_t i = 0; rc == 0 && i < cfg->n_auto_trust_anchor_file; i++)
		if ((rc = anchor_add_auto_file(set,
					       options_reachable(cfg->auto_trust_anchor_file[i],
								 chroot_dir),
					       msg, sizeof(msg))) != 0)
			snprintf(err, errlen, "auto-trust-anchor-file: %s", msg);
	if (rc == 0 && cfg->n_trust_anchor_file + cfg->n_trusted_keys_file + cfg->n_trust_anchor +
			       cfg->n_auto_trust_anchor_file == 0) {
		const char *src;
		if ((rc = anchor_add_default_root(set, ANCHOR_DEBIAN_ROOT_KEY, &src, msg,
						  sizeof(msg))) != 0)
			snprintf(err, errlen, "default trust anchor: %s", msg);
		else if (source_root)
			*source_root = src;
	}
	for (size_t i = 0; rc == 0 && i < cfg->n_domain_insecure; i++)
		if ((rc = anchor_add_insecure(set, cfg->domain_insecure[i])) != 0)
			snprintf(err, errlen, "domain-insecure: %s", pc_strerror(rc));
	if (rc != 0) {
		anchor_set_free(set);
		return rc;
	}
	*out = set;
	return 0;
}

void options_own_anchors(struct options *o, struct anchor_set *set)
{
	o->core.anchors = set;
	o->anchors_own = set;
}

void options_release(struct options *o)
{
	if (o == NULL)
		return;
	anchor_set_free(o->anchors_own);
	o->anchors_own = NULL;
}

void options_from_config(struct options *o, const struct config *cfg)
{
	memset(o, 0, sizeof(*o));
	core_from(o, cfg);
	cache_from(&o->cache, cfg);
	up_from(&o->up, cfg);
	listen_from(&o->listen, cfg);
}
