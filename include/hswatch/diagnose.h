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

#include "hswatch/finding.h"

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

/*
 * The part of diagnose_event()'s finding (no probe) that correlate
 * files it by: its code, key and severity, and the files and lines of
 * its places (location.file etc.; their names are NULL). Title, cause,
 * fix, patch and confidence are left out, and no patch is made: a
 * fraction of the cost. diagnose_event() with the same arguments gives
 * the whole finding, with the same code and key.
 */
struct finding	*diagnose_event_key(const struct confmodel *m,
		    const char *root, const struct event *,
		    const struct locate_result *loc);

/*
 * Lint: the rules that need no log, for every TLS target; fn owns each
 * finding it gets. Severity follows consequence: error for a certain
 * failure (verification without a CA, or checking an IP literal),
 * warning for verification off toward a non-loopback target, no SNI
 * for a named or variable target and the group name as SNI, info for
 * default protocols without TLS 1.3 and loopback targets without
 * verification, note for an IP target sending no SNI. The findings at
 * one target come together, most severe first: it carries the patch of
 * them all and lists the others as related; targets come in the order
 * of their most severe finding.
 */
void		 diagnose_lint(const struct confmodel *, const char *root,
		    struct patch *combined,
		    void (*fn)(struct finding *, void *), void *);

/* The same, without the findings below min (nor their targets' patches
 * in combined when the target's most severe one is below it). */
void		 diagnose_lint_min(const struct confmodel *, const char *root,
		    enum finding_severity min, struct patch *combined,
		    void (*fn)(struct finding *, void *), void *);

#endif
