/*
 * hsdprobe: hswatchd's asynchronous probe runner. It runs one
 * long-lived `hswatch-probe --serve` child (probeserve.h) on the
 * daemon's libev loop, never blocking it: requests to its stdin and
 * verdicts from its stdout through non-blocking pipes (ev_io), handled a
 * few per loop turn when nothing else is pending (ev_idle at the lowest
 * priority), its exit seen by ev_child. The child itself answers a
 * request not over within the timeout ("no verdict", --deadline); one
 * still unanswered a grace period later means the child is stuck: it is
 * killed by its PID (a new one is started for what is queued). At most
 * max requests are in the child at once; the rest wait in a bounded
 * queue. Each (target, peer) runs once; a failed
 * run may be asked for again after the retry interval.
 *
 * Only main's loop owns the runner: hsd_probe_free() stops every
 * watcher, kills and reaps the child, and calls nothing back.
 */
#ifndef HSWATCH_HSDPROBE_H
#define HSWATCH_HSDPROBE_H

struct ev_loop;
struct probeverdict;
struct probeverdict_cmd;

struct hsd_probe;

/*
 * A run finished: pv is the verdict (its contents may be moved out:
 * probeverdict_cache_put) or NULL with cause saying why none came; pv
 * and cause both NULL: a wanted request did not run (the reason was
 * logged or counted when it arose). Always called from the loop, never
 * from inside hsd_probe_want().
 */
typedef void	 hsd_probe_done_fn(const char *at, const char *peer,
		    const char *settings, struct probeverdict *pv,
		    const char *cause, void *arg);

/* cmd's strings are copied; retry and timeout in seconds. */
struct hsd_probe *hsd_probe_new(struct ev_loop *,
		    const struct probeverdict_cmd *, unsigned max,
		    double retry, hsd_probe_done_fn *, void *);
void		 hsd_probe_free(struct hsd_probe *);

/*
 * Ask for a verdict of the configured target at ("FILE:LINE") and peer
 * ("ip:port"), host an SNI candidate (may be NULL or ""). Does nothing
 * when that pair is queued or running (its done() comes) or has a
 * verdict. When it will not run - it failed less than retry seconds
 * ago, the queue is full, or the program could not be run at all -
 * done() hears that from the loop: every request that is not already
 * answered or on its way gets one.
 */
void		 hsd_probe_want(struct hsd_probe *, const char *at,
		    const char *peer, const char *host);
/*
 * Test a patch: one handshake with the target's settings changed by
 * settings ("KEY VALUE" lines), as nginx would make it; done() gets
 * settings back, and pv->tested. Once per (target, peer, settings).
 */
void		 hsd_probe_test(struct hsd_probe *, const char *at,
		    const char *peer, const char *settings);

/*
 * Forget every verdict and failure (a reloaded nginx configuration):
 * the child (which holds the old configuration) is killed and what it
 * held is dropped. cmd, when not NULL, replaces the command, max and
 * retry (reloaded settings); the next request starts a new child.
 */
void		 hsd_probe_reset(struct hsd_probe *,
		    const struct probeverdict_cmd *, unsigned max,
		    double retry);

struct hsd_probe_stats {
	unsigned		 running;
	unsigned		 queued;
	unsigned long long	 runs;		/* children started */
	unsigned long long	 verdicts;
	unsigned long long	 failed;	/* timeouts included */
	unsigned long long	 timeouts;
	unsigned long long	 dropped;	/* queue full */
};
void		 hsd_probe_stats(const struct hsd_probe *,
		    struct hsd_probe_stats *);

#endif
