/*
 * hsdlooptime: how long hswatchd's loop spends in its callbacks. The
 * loop's invoke-pending hook is wrapped: each turn's callbacks (every
 * watcher that became pending in one iteration, run back to back) are
 * timed with CLOCK_MONOTONIC. Kept: the longest turn since start, and
 * the longest of each of the last 60 seconds (a ring of one-second
 * slots), for `hswatch status`. Two clock reads per loop iteration.
 */
#ifndef HSWATCH_HSDLOOPTIME_H
#define HSWATCH_HSDLOOPTIME_H

struct ev_loop;

/* Time every turn of this loop's callbacks (one loop per process). */
void	 hsd_looptime_install(struct ev_loop *);

/* Seconds: the longest turn since start, and within the last minute. */
void	 hsd_looptime_get(double *since_start, double *last_minute);

#endif
