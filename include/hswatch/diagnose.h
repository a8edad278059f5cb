/*
 * diagnose: the rule table that turns a located event (kind, alert,
 * verify code, reason + the effective proxy_ssl_* settings of the
 * location it came from) into a finding with its cause, fix, patch and
 * confidence (NGINX-FACTS.md sections 0, 3 and 4); and the same rules
 * without a log, for `hswatch lint`.
 *
 * Rules that are never broken: no fix weakens verification; a name or a
 * path in a fix comes from evidence (the config, a probe), never
 * invented; ambiguous evidence gives ranked hypotheses.
 */
#ifndef HSWATCH_DIAGNOSE_H
#define HSWATCH_DIAGNOSE_H

struct confmodel;
struct event;
struct finding;
struct locate_result;
struct patch;
struct probeverdict;

/* The config root: the directory of the main config file. */
char		*diagnose_root(const struct confmodel *);

/*
 * The finding for one event, or NULL when the event raises none of its
 * own (peer_disabled, no_live_upstreams: correlate handles those). m and
 * loc may be NULL (no config): the finding then says so and has no
 * patch. When combined is not NULL the fix's edits are merged into it
 * (identical edits once), for one patch covering every finding.
 */
struct finding	*diagnose_event(const struct confmodel *m, const char *root,
		    const struct event *, const struct locate_result *loc,
		    struct patch *combined);

/*
 * The same with a probe of the event's peer (pv may be NULL): the
 * probe can confirm the cause (confidence confirmed-by-probe), supply
 * the name for an SNI fix (one the peer accepts and its certificate
 * carries), tell the causes of alert 40 apart, and its summary goes to
 * the finding's probe field. pv must be a probe of loc's target.
 */
struct finding	*diagnose_event_probe(const struct confmodel *m,
		    const char *root, const struct event *,
		    const struct locate_result *loc,
		    const struct probeverdict *pv, struct patch *combined);

/* Lint: the rules that need no log; fn owns each finding it gets. */
void		 diagnose_lint(const struct confmodel *, const char *root,
		    struct patch *combined,
		    void (*fn)(struct finding *, void *), void *);

#endif
