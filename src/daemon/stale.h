/* stale: serve-expired (RFC 8767) on worker 0's side, added to a request's
 * life (daemon/request.h) through the request table's hooks: stale.c calls
 * request.c, request.c calls back only through those pointers. */
#ifndef PC_DAEMON_STALE_H
#define PC_DAEMON_STALE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct core_env;
struct creq;
struct req_table;

struct stale {
	struct req_table *rq; /* its cfg is the configuration in force */
	const struct core_env *env;
	uv_loop_t *loop;
	/* serve-expired-client-timeout: the first request (in list order,
	 * which is deadline order) whose deadline has not been handled, and
	 * the timer for it. */
	struct creq *next;
	uv_timer_t timer;
	bool timer_on;
	uint64_t answers; /* clients answered with expired data */
};

/* On worker 0's loop, after req_table_init: set rq's hooks to st. */
void stale_init(struct stale *st, struct req_table *rq, uv_loop_t *loop,
		const struct core_env *env);
/* Close the timer (loop thread). */
void stale_close(struct stale *st);

#endif
