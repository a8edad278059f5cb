/*
 * Correlation: dedupes findings, tracks each upstream group's peers over
 * a time window, recognises a pool-wide cascade (Scenario C: one TLS
 * setting shared by a pool makes nginx mark every peer down) and raises
 * one group-level HS-POOL-CASCADE finding for it, suppressing the
 * per-peer findings it explains, and resolves findings after a quiet
 * period. A group down without TLS failures on its peers (a plain
 * backend outage) is one HS-POOL-DOWN finding, which says only what the
 * log shows. Emits state changes only, so a flood of identical failures
 * gives bounded output.
 *
 * Pure: time is an argument (log time in replay, monotonic seconds in
 * the daemon) and output goes through a callback.
 */
#ifndef HSWATCH_CORRELATE_H
#define HSWATCH_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "hswatch/event.h"
#include "hswatch/finding.h"

struct correlate_conf {
	int64_t		 window;	/* a failure counts this long (s) */
	int64_t		 resolve_after;	/* quiet time before "resolved" (s) */
	double		 down_fraction;	/* failing peers for "down" */
	unsigned	 max_groups;	/* bound on tracked groups */
	unsigned	 max_findings;	/* bound on open findings */
};

/* Defaults that suit a busy production host (README "Correlation"). */
#define CORRELATE_WINDOW		60
#define CORRELATE_RESOLVE_AFTER		300
#define CORRELATE_DOWN_FRACTION		0.5
#define CORRELATE_MAX_GROUPS		4096
#define CORRELATE_MAX_FINDINGS		16384

void	 correlate_conf_defaults(struct correlate_conf *);

/* What correlate needs to know about one event. */
struct correlate_event {
	enum event_kind	 kind;
	const char	*group;		/* upstream{} or implicit group, or NULL */
	unsigned	 group_peers;	/* servers configured in it, 0 unknown */
	int		 group_zone;	/* the group has a shared-memory zone */
	const char	*group_file;	/* where the group is defined, or NULL */
	unsigned	 group_line;
	const char	*peer;		/* "10.0.0.1:443"; NULL for no_live */
	long		 pid;		/* the worker that logged it */
	long long	 conn;		/* its *N, -1 when none */
	int64_t		 when;		/* log time, for first/last seen */
	/*
	 * The group is a TLS target: its configured targets use TLS, or
	 * the line's scheme is https/grpcs/suwsgi. "temporarily disabled"
	 * and "no live upstreams" count toward a TLS cascade (HS-POOL-
	 * CASCADE) only for a TLS group on whose peers TLS failures were
	 * seen within the window; otherwise a group that is down is an
	 * HS-POOL-DOWN.
	 */
	int		 tls;
	const char	*action;	/* "connecting to upstream", or NULL */
};

enum correlate_group_state {
	CORRELATE_HEALTHY = 0,
	CORRELATE_DEGRADED,
	CORRELATE_DOWN
};

typedef void	 correlate_emit_fn(const struct finding *, enum finding_state,
		    void *);

struct correlate;

struct correlate *correlate_new(const struct correlate_conf *);
void		 correlate_free(struct correlate *);

/*
 * Feed one event and the finding diagnose made of it (NULL when the event
 * raises none of its own, e.g. "temporarily disabled"); takes ownership
 * of f. Calls emit for every state change, in order.
 */
void		 correlate_feed(struct correlate *, const struct correlate_event *,
		    struct finding *f, int64_t now, correlate_emit_fn *, void *);

/*
 * Feed one more event of the open finding with this key, without a new
 * finding (the caller knows diagnose would make the same one). Returns
 * 0, doing nothing, when no such finding is open.
 */
int		 correlate_feed_key(struct correlate *,
		    const struct correlate_event *, const char *key,
		    int64_t now, correlate_emit_fn *, void *);

/*
 * correlate_feed_key() in two steps, for a caller that feeds the same
 * finding often: correlate_ref() finds the open finding with this key
 * (NULL: none), and correlate_feed_ref() feeds it as correlate_feed_key()
 * would, without looking the key up again. A ref stays valid while
 * correlate_gen() gives what it gave when the ref was taken (it changes
 * whenever an open finding is freed).
 */
struct correlate_ref;
const struct correlate_ref *correlate_ref(const struct correlate *,
		    const char *key);
uint64_t	 correlate_gen(const struct correlate *);
void		 correlate_feed_ref(struct correlate *,
		    const struct correlate_event *, const struct correlate_ref *,
		    int64_t now, correlate_emit_fn *, void *);

/*
 * The same for a finding with this key that is not open: when there is
 * no room for it (located: as located() says of the finding diagnose
 * made) and its code's overflow finding is open, the event is counted
 * there, as correlate_feed would after diagnosing it again, and 1 is
 * returned; else 0, doing nothing (the caller diagnoses).
 */
int		 correlate_feed_overflow(struct correlate *,
		    const struct correlate_event *, const char *key,
		    int located, int64_t now, correlate_emit_fn *, void *);

/*
 * The overflow finding correlate_feed_overflow() would count an event of
 * the finding with this key in (not open: correlate_ref() gave NULL), or
 * NULL when there is room for it or no such overflow finding is open.
 * correlate_feed_ref() with it is correlate_feed_overflow(). It stays
 * valid as a correlate_ref() does: while nothing is freed, open findings
 * only grow, and there is no room again.
 */
const struct correlate_ref *correlate_overflow_ref(const struct correlate *,
		    const char *key, int located);

/* Does the finding name a place in the configuration? */
int		 correlate_located(const struct finding *);

/*
 * Swap in a new body f (taking ownership) for the open finding with
 * this key, e.g. the same finding diagnosed again once a probe verdict
 * came: count, first/last seen and peers carry over, the key stays.
 * Emits "updated" (for the finding, or for its group's cascade when it
 * is the cascade's cause) only when the code, confidence, severity,
 * title, cause, fix, patch or probe changed. Returns 0, freeing f, when
 * no such finding is open.
 */
int		 correlate_replace(struct correlate *, const char *key,
		    struct finding *f, correlate_emit_fn *, void *);

/*
 * An upstream failure that is not a TLS event ("connect() failed (111:
 * Connection refused)", a span), by the worker and connection (*N) that
 * logged it: the "temporarily disabled" event of the same pid and conn
 * ties it to its peer, so that an HS-POOL-DOWN can say what the log
 * showed. Cheap: a few fixed slots.
 */
void		 correlate_note(struct correlate *, long pid, long long conn,
		    const char *text, size_t textlen, int64_t now);

/* Resolve what has been quiet for resolve_after; call periodically. */
void		 correlate_tick(struct correlate *, int64_t now,
		    correlate_emit_fn *, void *);

/* For metrics and status. */
typedef void	 correlate_group_fn(const char *group,
		    enum correlate_group_state, unsigned failing, unsigned peers,
		    void *);
void		 correlate_foreach_group(const struct correlate *,
		    correlate_group_fn *, void *);
const char	*correlate_group_state_str(enum correlate_group_state);
/*
 * Every open finding (per-peer findings counted under a cascade too,
 * cascades not), with its count so far: for counters that must count
 * every failure, not only the state changes emit reports. A deferred
 * finding (finding.h) is handed as it is: its code, key and count are
 * there; call finding_complete() before reading more. (Emitted findings
 * and those correlate_foreach_open() hands are complete.)
 */
typedef void	 correlate_finding_fn(const struct finding *, void *);
void		 correlate_foreach_finding(const struct correlate *,
		    correlate_finding_fn *, void *);
/*
 * Findings that came past max_findings (unlocated ones past three
 * quarters of it: located findings come first) and were counted in
 * their code's overflow finding instead (key "CODE|(overflow)").
 */
uint64_t	 correlate_overflowed(const struct correlate *);
/* Open findings, cascades included. */
size_t		 correlate_open_findings(const struct correlate *);
/*
 * The earliest clock value at which correlate_tick() can resolve a
 * finding or a cascade or change a group's state; INT64_MAX when
 * nothing is pending (a caller with no other reason to wake up can
 * sleep until then).
 */
int64_t		 correlate_next_tick(const struct correlate *);

/*
 * Every open finding (`hswatch status`): the groups' open cascades
 * first, then the per-finding ones; held is 1 for a finding counted
 * under its group's cascade (or not emitted yet), 0 for one the sinks
 * were told about. The findings stay the correlator's.
 */
typedef void	 correlate_open_fn(const struct finding *, int held, void *);
void		 correlate_foreach_open(const struct correlate *,
		    correlate_open_fn *, void *);
/* A per-finding (not cascade) finding with this key is open. */
int		 correlate_is_open(const struct correlate *, const char *key);

#endif
