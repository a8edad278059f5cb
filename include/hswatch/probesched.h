/*
 * probesched: runs probe attempts on a libev loop under a concurrency
 * cap and token-bucket rate limits, per peer and overall, and drives a
 * probeplan round by round.
 *
 * Only the owner of the loop creates a scheduler; probesched_free()
 * cancels everything still queued or running, without callbacks.
 */
#ifndef HSWATCH_PROBESCHED_H
#define HSWATCH_PROBESCHED_H

struct ev_loop;
struct probeplan;
struct probesched;

struct probesched_limits {
	int	 max_running;	/* attempts in flight, all peers */
	int	 max_per_peer;	/* attempts in flight to one addr:port */
	double	 rate;		/* attempts started per second, all peers */
	double	 burst;
	double	 peer_rate;	/* attempts started per second, one peer */
	double	 peer_burst;
};

/* Conservative defaults: 32 / 4 in flight, 20/s (burst 50), 5/s (10). */
void		 probesched_limits_default(struct probesched_limits *);

struct probesched *probesched_new(struct ev_loop *,
		    const struct probesched_limits *);
void		 probesched_free(struct probesched *);

/*
 * Probe a planned target: run its round 0, then each round
 * probeplan_next() adds, and call done(plan, arg) from the loop when
 * nothing is left. The plan must outlive the run; done may free it.
 * This is the seam for callers holding a probe_target: build a plan
 * with probeplan_new(), run it here, read probeplan_verdict().
 */
typedef void	 probesched_done_cb(struct probeplan *, void *);
void		 probesched_plan(struct probesched *, struct probeplan *,
		    probesched_done_cb *, void *);

/* Attempts queued or running. */
unsigned	 probesched_pending(const struct probesched *);

#endif
