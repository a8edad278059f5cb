/*
 * hswatchd's loop timing (hsdlooptime.h).
 */
#include "config.h"

#include <stdint.h>

#include <ev.h>

#include "hswatch/monotime.h"

#include "hsdlooptime.h"

#define SLOTS	60

static struct {
	double		 max;		/* since start */
	int64_t		 sec[SLOTS];	/* the second each slot holds */
	double		 slot[SLOTS];	/* its longest turn */
} lt;

static void
looptime_invoke(struct ev_loop *loop)
{
	double		 t0, d;
	int64_t		 s;
	unsigned	 i;

	if (ev_pending_count(loop) == 0)
		return;
	t0 = monotime_now();
	ev_invoke_pending(loop);
	d = monotime_now() - t0;
	if (d > lt.max)
		lt.max = d;
	s = (int64_t)t0;
	i = (unsigned)(s % SLOTS);
	if (lt.sec[i] != s) {
		lt.sec[i] = s;
		lt.slot[i] = 0;
	}
	if (d > lt.slot[i])
		lt.slot[i] = d;
}

void
hsd_looptime_install(struct ev_loop *loop)
{
	ev_set_invoke_pending_cb(loop, looptime_invoke);
}

void
hsd_looptime_get(double *since_start, double *last_minute)
{
	int64_t		 now = (int64_t)monotime_now();
	double		 m = 0;
	unsigned	 i;

	for (i = 0; i < SLOTS; i++)
		if (now - lt.sec[i] < SLOTS && lt.slot[i] > m)
			m = lt.slot[i];
	*since_start = lt.max;
	*last_minute = m;
}
