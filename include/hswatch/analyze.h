/*
 * analyze: the stages after parsing, wired once for the daemon and for
 * `hswatch replay`: locate the event in the config model (when there is
 * one), diagnose it into a finding, correlate it (dedupe, pool cascades,
 * resolution). State changes reach the caller through the callback.
 */
#ifndef HSWATCH_ANALYZE_H
#define HSWATCH_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#include "hswatch/correlate.h"

struct confmodel;
struct event;
struct patch;
struct probeverdict;
struct probeverdict_cache;

struct analyze;

/* m may be NULL (no config: hypotheses only); conf NULL: defaults. */
struct analyze	*analyze_new(const struct confmodel *m,
		    const struct correlate_conf *conf);
void		 analyze_free(struct analyze *);

/*
 * Probe before diagnosing (NULL: never). An event of a TLS failure
 * located to a target, whose logged peer is one of the target's
 * configured peers, gets a verdict from the cache (each target and peer
 * probed once, by running hswatch-probe); err (may be NULL) hears once
 * per failed run why no verdict came. The cache stays the caller's.
 */
typedef void	 analyze_probe_err_fn(const char *cause, void *);
void		 analyze_set_probe(struct analyze *,
		    struct probeverdict_cache *, analyze_probe_err_fn *err,
		    void *arg);

/*
 * Probe without ever blocking (the daemon): the same rule picks the
 * (target, peer) to probe, but a verdict not in the cache yet is asked
 * for through want(at, peer, host, arg) (at: "FILE:LINE" of the *_pass,
 * peer: the configured "ip:port", host: the logged Host or "") and the
 * event is diagnosed without it meanwhile. When the caller has stored
 * the verdict (probeverdict_cache_put), analyze_verdict() diagnoses the
 * findings that waited for it again and hands correlate the new body
 * (correlate_replace: "updated" when it changed, e.g. confirmed by the
 * probe with its patch). Returns how many findings were diagnosed
 * again. A reloaded model, or a new cache, forgets what waited.
 */
typedef void	 analyze_probe_want_fn(const char *at, const char *peer,
		    const char *host, void *);
void		 analyze_set_probe_async(struct analyze *,
		    struct probeverdict_cache *, analyze_probe_want_fn *want,
		    void *arg);
size_t		 analyze_verdict(struct analyze *, const char *at,
		    const char *peer, correlate_emit_fn *, void *);
/*
 * Test each patch before it is handed on (the daemon): a finding
 * diagnosed with its verdict and a patch is held, and want(at, peer,
 * settings, arg) (the arg of analyze_set_probe_async) asks for one
 * handshake with the target's settings as the patch leaves them
 * (finding.settings). analyze_tested() gives the result (pv->tested, or
 * no pv and why): the held findings go to correlate with it in
 * finding.tested, and so do open findings with the same settings.
 * Returns how many findings got it.
 */
typedef void	 analyze_test_want_fn(const char *at, const char *peer,
		    const char *settings, void *);
void		 analyze_set_test(struct analyze *, analyze_test_want_fn *);
size_t		 analyze_tested(struct analyze *, const char *at,
		    const char *peer, const char *settings,
		    const struct probeverdict *pv, const char *cause,
		    correlate_emit_fn *, void *);
/* Diagnoses waiting for a verdict (each ends with its run's verdict or
 * failure: hswatchd's SIGUSR1 shows the count). */
size_t		 analyze_pending(const struct analyze *);

/* Swap in a reloaded model (the old one stays the caller's). */
void		 analyze_set_model(struct analyze *, const struct confmodel *);

/*
 * Locate on another thread (replay's reader): analyze_preloc_start()
 * gives a memo of its own for the model analyze has now (NULL: no
 * model, one already started, or a model whose regexes compile on first
 * use, which only one thread may match); another thread calls
 * analyze_preloc(p, ev) on each event it parses, which points
 * ev->preloc at the memo entry; analyze_event() then takes the result
 * from there. The events reach analyze_event() after analyze_preloc()
 * returned (a queue in between); the memo is analyze's, freed with it,
 * and ignored once analyze_set_model() has swapped the model.
 */
struct analyze_preloc;
struct analyze_preloc *analyze_preloc_start(struct analyze *);
void		 analyze_preloc(struct analyze_preloc *, struct event *);

/*
 * One parsed event (kind != EVENT_NONE, or EVENT_NONE with
 * EVENT_F_UPSTREAM_FAIL: a non-TLS upstream failure, remembered for
 * HS-POOL-DOWN); now: the correlation clock.
 */
void		 analyze_event(struct analyze *, const struct event *,
		    int64_t now, correlate_emit_fn *, void *);

/* Resolve what went quiet. */
void		 analyze_tick(struct analyze *, int64_t now,
		    correlate_emit_fn *, void *);
/* When analyze_tick() next has something to do (correlate_next_tick). */
int64_t		 analyze_next_tick(const struct analyze *);

/*
 * Which patches are kept (both by default): ANALYZE_KEEP_COMBINED for
 * analyze_patch(), ANALYZE_KEEP_OPEN for analyze_open_patch(). Without
 * one, the function gives an empty patch; what a finding says (its own
 * patch text included) does not change. replay keeps the combined one
 * for --patch only: each finding's is for `hswatch status`.
 */
#define ANALYZE_KEEP_COMBINED	0x1
#define ANALYZE_KEEP_OPEN	0x2
void		 analyze_keep_patches(struct analyze *, unsigned what);

/* Every fix so far as one patch (edits deduplicated). */
const struct patch *analyze_patch(const struct analyze *);

/*
 * The combined patch of the findings open now (each with its latest
 * diagnosis: the probe verdicts that came since included), for the
 * caller to render and free; *nfindings: how many open findings gave
 * edits. The config root patch paths are relative to: analyze_root().
 */
struct patch	*analyze_open_patch(const struct analyze *, size_t *nfindings);
const char	*analyze_root(const struct analyze *);

const struct correlate *analyze_correlate(const struct analyze *);

#endif
