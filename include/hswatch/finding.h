/*
 * A finding: one problem hswatch alerts on, with its cause and fix. One
 * schema for every sink (DESIGN.md "The finding / alert"). A finding
 * owns all its strings (they outlive the log line that raised it).
 *
 * Life cycle: diagnose builds a finding from a located event; correlate
 * keeps it (counts, first/last seen, peers) and hands sinks a
 * finding_change (opened, updated, resolved) when its state changes.
 */
#ifndef HSWATCH_FINDING_H
#define HSWATCH_FINDING_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct finding;

/*
 * A finding diagnosed in part: what correlate files it by (code, key,
 * severity, the files and lines of its places) is set; the rest (title,
 * confidence, cause, fix, patch, the places' names) is written by
 * complete() when it is first read (finding_complete()). Replay shows
 * few of the findings it tracks (most are counted under a cascade, or
 * past the bound): analyze.c leaves the rest to that read.
 */
struct finding_defer {
	void	(*complete)(struct finding *, struct finding_defer *);
	void	(*free)(struct finding_defer *);
};

enum finding_severity {
	FINDING_INFO = 0,
	FINDING_WARNING,
	FINDING_ERROR,
	FINDING_CRITICAL,
	FINDING_NOTE		/* below info (lint); see finding_severity_rank */
};

enum finding_confidence {
	FINDING_HYPOTHESIS = 0,		/* the log alone suggests it */
	FINDING_CONFIG_EVIDENCE,	/* the config shows the cause */
	FINDING_CONFIRMED_BY_PROBE	/* a TLS probe confirmed it */
};

enum finding_state {
	FINDING_OPENED = 0,
	FINDING_UPDATED,
	FINDING_RESOLVED
};

/* A place in the nginx config; file NULL when unknown. */
struct finding_at {
	char		*what;		/* "lab.test", "/api", "https://backend" */
	char		*file;
	unsigned	 line;
};

struct finding {
	char			*code;		/* stable: "HS-SNI-MISSING" */
	char			*key;		/* dedupe key: code + place */
	enum finding_severity	 severity;
	enum finding_confidence	 confidence;
	char			*title;		/* one line */

	uint64_t		 count;		/* events explained */
	int64_t			 first_seen;	/* seconds (log time in replay) */
	int64_t			 last_seen;

	struct finding_at	 server;
	struct finding_at	 location;
	struct finding_at	 proxy_pass;
	struct finding_at	 upstream;	/* the group */

	char			**peers;	/* "127.0.0.2:8443" */
	size_t			 npeers;

	int			 alert;		/* TLS alert number, or -1 */
	int			 verify_code;	/* or -1 */
	char			*cause;		/* one sentence */
	char			*fix;		/* the directives to set */
	char			*patch;		/* unified diff, or NULL */
	char			*probe;		/* probe summary, or NULL */
	/*
	 * The patch's settings for its target ("KEY VALUE" lines, KEY
	 * without the module prefix: "ssl_name api.internal"), and what a
	 * probe with exactly those settings, as nginx would use them,
	 * found: "passed: ...", "failed: ...", or NULL (not tested).
	 */
	char			*settings;
	char			*tested;

	/* lint: the other findings at the same target ("CODE severity"),
	 * when this one is the most severe there and carries their patch. */
	char			**related;
	size_t			 nrelated;

	struct finding_defer	*defer;		/* NULL: complete */
};

struct finding	*finding_new(const char *code, enum finding_severity,
		    const char *title);
void		 finding_free(struct finding *);
/* A copy (of the whole finding: a deferred one is completed first). */
struct finding	*finding_dup(const struct finding *);

/*
 * Write what a deferred finding left out (no-op when complete). Takes a
 * const finding: what it says does not change, only when it is written.
 * Every reader of the fields past code, key and severity calls it first
 * (finding_json, finding_text, finding_dup do).
 */
void		 finding_complete(const struct finding *);
/*
 * What diagnose writes (code, severity, confidence, title, the places,
 * alert, verify code, cause, fix, patch, probe, settings, tested) moves
 * from src to dst, which keeps its key, count, times and peers; src is
 * freed.
 */
void		 finding_take_body(struct finding *dst, struct finding *src);

/* Set a string member, replacing (and freeing) the old value. */
void		 finding_set(char **member, const char *value);
void		 finding_set_at(struct finding_at *, const char *what,
		    const char *file, unsigned line);
/* Add a peer unless present; the list is bounded (FINDING_MAX_PEERS). */
#define FINDING_MAX_PEERS	64
void		 finding_add_peer(struct finding *, const char *peer,
		    size_t len);

const char	*finding_severity_str(enum finding_severity);
/* Order of severity: note 0, info 1, warning 2, error 3, critical 4. */
int		 finding_severity_rank(enum finding_severity);
/* "note", "info", ... to a severity; -1 when not one. */
int		 finding_severity_parse(const char *, enum finding_severity *);
void		 finding_add_related(struct finding *, const char *);
const char	*finding_confidence_str(enum finding_confidence);
const char	*finding_state_str(enum finding_state);

/* "file:line", or NULL when unknown; into a caller buffer. */
const char	*finding_at_str(const struct finding_at *, char *, size_t);

/* One JSON object (no newline): every string escaped, valid UTF-8. */
void		 finding_json(const struct finding *, enum finding_state,
		    struct buf *);
/* For humans: title, where, cause, fix, patch; escaped. */
void		 finding_text(const struct finding *, enum finding_state,
		    struct buf *);

#endif
