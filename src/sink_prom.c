/*
 * The Prometheus sink: node_exporter's textfile collector format,
 * written to <dir>/hswatch.prom.<pid> and renamed over hswatch.prom, at
 * most once per interval (and at shutdown). Labels are bounded: only
 * places from the config (server, location, upstream), the finding code
 * and the TLS alert, never a client address or a URI; at most
 * SINK_PROM_MAX_SERIES label sets, the rest is counted as dropped.
 * Counters survive restarts through sink_prom_save/sink_prom_load.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hswatch/buf.h"
#include "hswatch/escape.h"
#include "hswatch/finding.h"
#include "hswatch/outlock.h"
#include "hswatch/sink.h"
#include "hswatch/tlsalert.h"
#include "hswatch/xmalloc.h"

#define PROM_FILE	"hswatch.prom"
#define PROM_BUCKETS	4096
/*
 * Findings whose last count we remember: more than the correlator keeps
 * open (16384, and one overflow finding per code), so that every open
 * finding's failures are counted.
 */
#define PROM_MAX_OPEN	20480
#define PROM_HEARTBEAT	60	/* rewrite at least this often (mtime) */
#define STATE_MAGIC	"hswatch-prom-state 1"
#define CASCADE_CODE	"HS-POOL-CASCADE"

/* One series (key: its rendered, escaped labels) or one open finding. */
struct pent {
	struct pent	*next;
	char		*key;
	size_t		 keylen;
	uint64_t	 v;		/* value, or the finding's last count */
	uint64_t	 base;		/* loaded from the state file */
	uint32_t	 gen;		/* open: the last pass that saw it */
};

struct pmap {
	struct pent	*b[PROM_BUCKETS];
	size_t		 n;
};

struct sink_prom {
	char		*dir;
	char		*path;
	char		*tmp;
	int		 lockfd;	/* hswatch.prom.lock, held */
	int64_t		 interval;
	int64_t		 last_write;	/* 0: never */
	int		 dirty;
	int		 failing;	/* the last write failed: retry */

	struct pmap	 failures;	/* server,location,upstream,code,alert */
	struct pmap	 cascade;	/* upstream */
	struct pmap	 alerts;	/* code */
	struct pmap	 lines;		/* file */
	struct pmap	 open;		/* finding key -> last count */
	size_t		 nseries;
	uint32_t	 gen;		/* sink_prom_observe() passes */
	size_t		 findings_open;	/* the correlator's true number */
	int		 findings_known;
	uint64_t	 overflowed;	/* findings not tracked separately */
	uint64_t	 dropped;
	uint64_t	 parse_errors;
	uint64_t	 parse_errors_base;
	int64_t		 config_load_time;
	int64_t		 last_event_time;
	int64_t		 stop_time;	/* the final write: hswatch_up 0 */
	uint64_t	 probe[4];	/* verdict, failed, timeout, dropped */
	int64_t		 oldest_open;
};

static uint64_t
hash(const char *p, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Find key; create it if asked and *budget allows (budget may be NULL). */
static struct pent *
pmap_get(struct pmap *m, const char *key, size_t len, size_t *budget,
    size_t max)
{
	struct pent	**ep;

	ep = &m->b[hash(key, len) % PROM_BUCKETS];
	for (; *ep != NULL; ep = &(*ep)->next)
		if ((*ep)->keylen == len && memcmp((*ep)->key, key, len) == 0)
			return *ep;
	if (budget != NULL && *budget >= max)
		return NULL;
	*ep = xcalloc(1, sizeof **ep);
	(*ep)->key = xstrndup(key, len);
	(*ep)->keylen = len;
	m->n++;
	if (budget != NULL)
		(*budget)++;
	return *ep;
}

static void
pmap_del(struct pmap *m, const char *key, size_t len)
{
	struct pent	**ep, *e;

	ep = &m->b[hash(key, len) % PROM_BUCKETS];
	for (; (e = *ep) != NULL; ep = &e->next)
		if (e->keylen == len && memcmp(e->key, key, len) == 0) {
			*ep = e->next;
			free(e->key);
			free(e);
			m->n--;
			return;
		}
}

static void
pmap_clear(struct pmap *m)
{
	struct pent	*e, *next;
	size_t		 i;

	for (i = 0; i < PROM_BUCKETS; i++) {
		for (e = m->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
		m->b[i] = NULL;
	}
	m->n = 0;
}

static int
pent_cmp(const void *a, const void *b)
{
	const struct pent *const	*x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/* The entries sorted by key, so the file is stable; caller frees. */
static struct pent **
pmap_sorted(const struct pmap *m)
{
	struct pent	**v, *e;
	size_t		 i, n = 0;

	v = xreallocarray(NULL, m->n + 1, sizeof *v);
	for (i = 0; i < PROM_BUCKETS; i++)
		for (e = m->b[i]; e != NULL; e = e->next)
			v[n++] = e;
	qsort(v, n, sizeof *v, pent_cmp);
	return v;
}

/*
 * One label value per the exposition format: valid UTF-8 (anything else
 * becomes U+FFFD), \\ \" \n escaped, other controls replaced by U+FFFD,
 * at most SINK_PROM_MAX_LABEL bytes, cut between characters with "...".
 */
static void
label_value(struct buf *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, k, n = s ? strlen(s) : 0, start = b->len;
	const char		*u;
	size_t			 un;

	buf_addc(b, '"');
	for (i = 0; i < n; i += k) {
		k = 1;
		if (p[i] == '\\' || p[i] == '"') {
			u = p[i] == '\\' ? "\\\\" : "\\\"";
			un = 2;
		} else if (p[i] == '\n') {
			u = "\\n";
			un = 2;
		} else if (p[i] >= 0x20 && p[i] < 0x7f) {
			u = s + i;
			un = 1;
		} else if (p[i] >= 0x80 &&
		    (k = escape_utf8_len(p + i, n - i)) != 0 &&
		    !(k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			u = s + i;
			un = k;
		} else {
			/* One U+FFFD per control, C1 (k == 2) or bad byte. */
			k = k == 2 ? 2 : 1;
			u = "\xef\xbf\xbd";
			un = 3;
		}
		if (b->len - start - 1 + un > SINK_PROM_MAX_LABEL - 3) {
			buf_adds(b, "...");
			break;
		}
		buf_add(b, u, un);
	}
	buf_addc(b, '"');
}

static void
label(struct buf *b, const char *name, const char *value)
{
	if (b->len > 0)
		buf_addc(b, ',');
	buf_adds(b, name);
	buf_addc(b, '=');
	label_value(b, value);
}

/* Add delta to the series of map m with labels key; count drops. */
static void
series_add(struct sink_prom *sp, struct pmap *m, const struct buf *key,
    uint64_t delta)
{
	struct pent	*e;

	if ((e = pmap_get(m, key->data, key->len, &sp->nseries,
	    SINK_PROM_MAX_SERIES)) == NULL) {
		sp->dropped++;
		return;
	}
	e->v += delta;
}

/* How many events this state change adds for the finding. */
static uint64_t
count_delta(struct sink_prom *sp, const struct finding *f,
    enum finding_state st)
{
	struct buf	 key;
	struct pent	*e;
	uint64_t	 d;
	size_t		 budget;

	buf_init(&key);
	buf_reserve(&key, 1);
	sink_key(f, &key);
	budget = sp->open.n;
	e = pmap_get(&sp->open, key.data, key.len, &budget, PROM_MAX_OPEN);
	if (e == NULL)
		d = 0;		/* too many open findings: not counted */
	else if (st == FINDING_OPENED || f->count < e->v)
		d = f->count;	/* a new life of the finding */
	else
		d = f->count - e->v;
	if (e != NULL) {
		e->v = f->count;
		e->gen = sp->gen;
	}
	if (st == FINDING_RESOLVED)
		pmap_del(&sp->open, key.data, key.len);
	buf_free(&key);
	return d;
}

/* d more failures of finding f, to its series. */
static void
count_failures(struct sink_prom *sp, const struct finding *f, uint64_t d)
{
	struct buf	 k;
	char		 alert[16];
	const char	*an = "";

	if (d == 0)
		return;
	if (f->alert >= 0 && (an = tlsalert_name(f->alert)) == NULL) {
		snprintf(alert, sizeof alert, "%d", f->alert);
		an = alert;
	}
	buf_init(&k);
	label(&k, "server", f->server.what);
	label(&k, "location", f->location.what);
	label(&k, "upstream", f->upstream.what);
	label(&k, "code", f->code);
	label(&k, "alert", an);
	series_add(sp, &sp->failures, &k, d);
	buf_free(&k);
	sp->dirty = 1;
}

void
sink_prom_observe(struct sink *s, const struct finding *f)
{
	struct sink_prom	*sp = s->priv;

	if (strcmp(f->code, CASCADE_CODE) == 0)
		return;
	count_failures(sp, f, count_delta(sp, f, FINDING_UPDATED));
}

void
sink_prom_observed(struct sink *s)
{
	struct sink_prom	*sp = s->priv;
	struct pent		**ep, *e;
	size_t			 i;

	/* Findings gone without "resolved" (never emitted): forget. */
	for (i = 0; i < PROM_BUCKETS; i++) {
		for (ep = &sp->open.b[i]; (e = *ep) != NULL;) {
			if (e->gen != sp->gen) {
				*ep = e->next;
				free(e->key);
				free(e);
				sp->open.n--;
			} else
				ep = &e->next;
		}
	}
	sp->gen++;
}

void
sink_prom_findings(struct sink *s, size_t open, uint64_t overflowed)
{
	struct sink_prom	*sp = s->priv;

	if (!sp->findings_known || sp->findings_open != open ||
	    sp->overflowed != overflowed)
		sp->dirty = 1;
	sp->findings_known = 1;
	sp->findings_open = open;
	sp->overflowed = overflowed;
}

static int
prom_emit(struct sink *s, const struct finding *f, enum finding_state st,
    char **cause)
{
	struct sink_prom	*sp = s->priv;
	struct buf		 k;
	struct pent		*e;
	uint64_t		 d;

	(void)cause;
	d = count_delta(sp, f, st);
	buf_init(&k);
	if (strcmp(f->code, CASCADE_CODE) == 0) {
		label(&k, "upstream", f->upstream.what);
		e = pmap_get(&sp->cascade, k.data, k.len, &sp->nseries,
		    SINK_PROM_MAX_SERIES);
		if (e == NULL)
			sp->dropped++;
		else
			e->v = st != FINDING_RESOLVED;
	} else
		count_failures(sp, f, d);
	if (st == FINDING_OPENED) {
		buf_reset(&k);
		label(&k, "code", f->code);
		series_add(sp, &sp->alerts, &k, 1);
	}
	buf_free(&k);
	sp->dirty = 1;
	return 0;
}

static void
prom_metrics(struct sink *s, const struct sink_counters *c)
{
	struct sink_prom	*sp = s->priv;
	struct buf		 k;
	struct pent		*e;
	size_t			 i;

	buf_init(&k);
	for (i = 0; i < c->nfiles; i++) {
		buf_reset(&k);
		label(&k, "file", c->files[i].file);
		e = pmap_get(&sp->lines, k.data, k.len, &sp->nseries,
		    SINK_PROM_MAX_SERIES);
		if (e == NULL)
			continue;	/* over the limit: not recorded */
		if (e->v != c->files[i].lines)
			sp->dirty = 1;
		e->v = c->files[i].lines;
	}
	buf_free(&k);
	/* Dirty only when a value changed: a quiet daemon has nothing to
	 * write before the heartbeat (sink_prom_dirty). */
	if (sp->parse_errors != c->parse_errors ||
	    sp->config_load_time != c->config_load_time ||
	    sp->last_event_time != c->last_event_time ||
	    sp->probe[0] != c->probe_verdicts ||
	    sp->probe[1] != c->probe_failed ||
	    sp->probe[2] != c->probe_timeouts ||
	    sp->probe[3] != c->probe_dropped ||
	    sp->oldest_open != c->oldest_open)
		sp->dirty = 1;
	sp->parse_errors = c->parse_errors;
	sp->config_load_time = c->config_load_time;
	sp->last_event_time = c->last_event_time;
	sp->probe[0] = c->probe_verdicts;
	sp->probe[1] = c->probe_failed;
	sp->probe[2] = c->probe_timeouts;
	sp->probe[3] = c->probe_dropped;
	sp->oldest_open = c->oldest_open;
}

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
samples(struct buf *b, const char *name, const struct pmap *m)
{
	struct pent	**v;
	size_t		 i;

	v = pmap_sorted(m);
	for (i = 0; i < m->n; i++)
		buf_printf(b, "%s{%s} %" PRIu64 "\n", name, v[i]->key,
		    v[i]->v + v[i]->base);
	free(v);
}

void
sink_prom_render(struct sink *s, int up, struct buf *b)
{
	struct sink_prom	*sp = s->priv;

	family(b, "hswatch_up", "gauge",
	    "1 while hswatchd runs, 0 after it stopped cleanly.");
	buf_printf(b, "hswatch_up %d\n", up ? 1 : 0);
	family(b, "hswatch_upstream_tls_failures_total", "counter",
	    "TLS failures of nginx's connections to its upstreams, by config place, finding code and TLS alert.");
	samples(b, "hswatch_upstream_tls_failures_total", &sp->failures);
	family(b, "hswatch_upstream_cascade", "gauge",
	    "1 while failures take down the upstream group (HS-POOL-CASCADE).");
	samples(b, "hswatch_upstream_cascade", &sp->cascade);
	family(b, "hswatch_alerts_total", "counter",
	    "Findings opened, by code.");
	samples(b, "hswatch_alerts_total", &sp->alerts);
	family(b, "hswatch_findings_open", "gauge",
	    "Findings currently open.");
	buf_printf(b, "hswatch_findings_open %zu\n", sp->findings_known ?
	    sp->findings_open : sp->open.n);
	family(b, "hswatch_findings_overflow_total", "counter",
	    "Findings not tracked on their own: past the open-finding limit, "
	    "counted in their code's overflow finding.");
	buf_printf(b, "hswatch_findings_overflow_total %" PRIu64 "\n",
	    sp->overflowed);
	family(b, "hswatch_log_lines_total", "counter",
	    "Lines read from each followed nginx error log.");
	samples(b, "hswatch_log_lines_total", &sp->lines);
	family(b, "hswatch_log_parse_errors_total", "counter",
	    "Upstream-TLS lines hswatch could not parse.");
	buf_printf(b, "hswatch_log_parse_errors_total %" PRIu64 "\n",
	    sp->parse_errors + sp->parse_errors_base);
	family(b, "hswatch_metric_series_dropped_total", "counter",
	    "Label sets not recorded because of the series limit.");
	buf_printf(b, "hswatch_metric_series_dropped_total %" PRIu64 "\n",
	    sp->dropped);
	if (sp->config_load_time > 0) {
		family(b, "hswatch_config_load_timestamp_seconds", "gauge",
		    "When the nginx configuration was last loaded.");
		buf_printf(b, "hswatch_config_load_timestamp_seconds %" PRId64
		    "\n", sp->config_load_time);
	}
	if (sp->last_event_time > 0) {
		family(b, "hswatch_last_event_timestamp_seconds", "gauge",
		    "Log time of the last upstream TLS event.");
		buf_printf(b, "hswatch_last_event_timestamp_seconds %" PRId64
		    "\n", sp->last_event_time);
	}
	family(b, "hswatch_probe_runs_total", "counter",
	    "Probes of failing upstream peers since start, by result: a "
	    "verdict, failed, timed out, or dropped (queue full).");
	buf_printf(b, "hswatch_probe_runs_total{result=\"verdict\"} %" PRIu64
	    "\nhswatch_probe_runs_total{result=\"failed\"} %" PRIu64
	    "\nhswatch_probe_runs_total{result=\"timeout\"} %" PRIu64
	    "\nhswatch_probe_runs_total{result=\"dropped\"} %" PRIu64 "\n",
	    sp->probe[0], sp->probe[1], sp->probe[2], sp->probe[3]);
	family(b, "hswatch_findings_oldest_open_timestamp_seconds", "gauge",
	    "When the oldest open finding was first seen (log time); 0 with "
	    "none open.");
	buf_printf(b, "hswatch_findings_oldest_open_timestamp_seconds %" PRId64
	    "\n", up ? sp->oldest_open : 0);
	if (!up && sp->stop_time > 0) {
		family(b, "hswatch_stop_timestamp_seconds", "gauge",
		    "When hswatchd stopped cleanly (only in the file it leaves behind).");
		buf_printf(b, "hswatch_stop_timestamp_seconds %" PRId64 "\n",
		    sp->stop_time);
	}
}

/* Write b to tmp, fsync if asked, rename over path. */
static int
write_atomic(const char *tmp, const char *path, const struct buf *b,
    int sync, char **cause)
{
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	/* node_exporter reads it as another user; hswatchd.service runs
	 * with UMask=0077. */
	if (fchmod(fd, 0644) == -1)
		goto fail;
	while (off < b->len) {
		if ((n = write(fd, b->data + off, b->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (sync && fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		xasprintf(cause, "rename %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
fail:
	xasprintf(cause, "%s: %s", tmp, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}

int
sink_prom_write(struct sink *s, int final, char **cause)
{
	struct sink_prom	*sp = s->priv;
	struct buf		 b;
	int			 rc;

	buf_init(&b);
	if (final && sp->stop_time == 0)
		sp->stop_time = (int64_t)time(NULL);
	sink_prom_render(s, !final, &b);
	rc = write_atomic(sp->tmp, sp->path, &b, 0, cause);
	buf_free(&b);
	if (rc == 0)
		sp->dirty = 0;
	return rc;
}

int
sink_prom_dirty(const struct sink *s)
{
	const struct sink_prom	*sp = s->priv;

	return sp->dirty;
}

static int
prom_flush(struct sink *s, int64_t now, int force, char **cause)
{
	struct sink_prom	*sp = s->priv;
	int64_t			 age = now - sp->last_write;

	int			 rc;

	/* After a failure every flush tries again: 0 means written. */
	if (!force && !sp->failing && sp->last_write != 0 &&
	    !(sp->dirty && age >= sp->interval) && age < PROM_HEARTBEAT)
		return 0;
	sp->last_write = now;
	rc = sink_prom_write(s, 0, cause);
	sp->failing = rc != 0;
	return rc;
}

static void
save_map(struct buf *b, const char *kind, const struct pmap *m)
{
	struct pent	**v;
	size_t		 i;

	v = pmap_sorted(m);
	for (i = 0; i < m->n; i++)
		buf_printf(b, "%s %s %" PRIu64 "\n", kind, v[i]->key,
		    v[i]->v + v[i]->base);
	free(v);
}

int
sink_prom_save(struct sink *s, const char *path, char **cause)
{
	struct sink_prom	*sp = s->priv;
	struct buf		 b, tmp;
	int			 rc;

	buf_init(&b);
	buf_init(&tmp);
	buf_printf(&b, "%s\n", STATE_MAGIC);
	save_map(&b, "failures", &sp->failures);
	save_map(&b, "alerts", &sp->alerts);
	save_map(&b, "lines", &sp->lines);
	buf_printf(&b, "parse_errors %" PRIu64 "\n",
	    sp->parse_errors + sp->parse_errors_base);
	buf_printf(&b, "dropped %" PRIu64 "\n", sp->dropped);
	buf_printf(&tmp, "%s.%ld", path, (long)getpid());
	rc = write_atomic(buf_cstr(&tmp), path, &b, 1, cause);
	buf_free(&b);
	buf_free(&tmp);
	return rc;
}

/* A saved label set: what label() writes, nothing else. */
static int
valid_key(const char *k, size_t n)
{
	size_t	 i, u;

	if (n == 0 || n > 8 * SINK_PROM_MAX_LABEL)
		return 0;
	for (i = 0; i < n; i += u) {
		if ((unsigned char)k[i] < 0x20)
			return 0;
		if ((u = escape_utf8_len((const unsigned char *)k + i,
		    n - i)) == 0)
			return 0;
	}
	return k[n - 1] == '"';
}

static int
load_line(struct sink_prom *sp, char *line)
{
	struct pmap	*m = NULL;
	char		*sp1, *sp2, *end;
	uint64_t	 v;
	struct pent	*e;

	if ((sp1 = strchr(line, ' ')) == NULL ||
	    (sp2 = strrchr(line, ' ')) == NULL)
		return -1;
	errno = 0;
	v = strtoull(sp2 + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == sp2 + 1)
		return -1;
	*sp1 = '\0';
	if (sp1 == sp2) {
		if (strcmp(line, "parse_errors") == 0)
			sp->parse_errors_base = v;
		else if (strcmp(line, "dropped") == 0)
			sp->dropped = v;
		else
			return -1;
		return 0;
	}
	if (strcmp(line, "failures") == 0)
		m = &sp->failures;
	else if (strcmp(line, "alerts") == 0)
		m = &sp->alerts;
	else if (strcmp(line, "lines") == 0)
		m = &sp->lines;
	else
		return -1;
	if (!valid_key(sp1 + 1, (size_t)(sp2 - sp1 - 1)))
		return -1;
	if ((e = pmap_get(m, sp1 + 1, (size_t)(sp2 - sp1 - 1), &sp->nseries,
	    SINK_PROM_MAX_SERIES)) == NULL)
		sp->dropped++;
	else
		e->base += v;
	return 0;
}

int
sink_prom_load(struct sink *s, const char *path, char **cause)
{
	struct sink_prom	*sp = s->priv;
	FILE			*fp;
	char			*line = NULL;
	size_t			 cap = 0;
	ssize_t			 n;
	unsigned		 lineno = 0;
	int			 rc = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;	/* first start */
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (lineno == 1) {
			if (strcmp(line, STATE_MAGIC) != 0) {
				xasprintf(cause, "%s: not an hswatch state "
				    "file", path);
				rc = -1;
				break;
			}
			continue;
		}
		if ((size_t)n != strlen(line) || load_line(sp, line) == -1) {
			xasprintf(cause, "%s:%u: bad line", path, lineno);
			rc = -1;
			break;
		}
	}
	free(line);
	fclose(fp);
	sp->dirty = 1;
	return rc;
}

static void
prom_free(struct sink *s)
{
	struct sink_prom	*sp = s->priv;

	pmap_clear(&sp->failures);
	pmap_clear(&sp->cascade);
	pmap_clear(&sp->alerts);
	pmap_clear(&sp->lines);
	pmap_clear(&sp->open);
	if (sp->lockfd >= 0)
		close(sp->lockfd);
	free(sp->dir);
	free(sp->path);
	free(sp->tmp);
	free(sp);
}

static const struct sink_ops prom_ops = {
	.name = "prometheus",
	.every_update = 1,
	.emit = prom_emit,
	.metrics = prom_metrics,
	.flush = prom_flush,
	.free = prom_free,
};

/*
 * A textfile sink writing dir/hswatch.prom at most every interval
 * seconds when something changed, and every PROM_HEARTBEAT seconds
 * regardless, so node_textfile_mtime_seconds shows that hswatchd lives.
 * The daemon calls sink_flush() from a timer and sink_prom_write(s, 1)
 * at shutdown.
 */
struct sink *
sink_prom_new(const char *dir, int64_t interval, char **cause)
{
	struct sink_prom	*sp;
	char			*lock, *what;
	int			 fd;

	if (access(dir, W_OK) == -1) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	/* Replaced by rename(): the lock is on a sidecar file that
	 * node_exporter does not read (not *.prom). */
	xasprintf(&what, "textfile %s/%s", dir, PROM_FILE);
	xasprintf(&lock, "%s/%s.lock", dir, PROM_FILE);
	fd = outlock_file(lock, what, cause);
	free(lock);
	free(what);
	if (fd < 0)
		return NULL;
	sp = xcalloc(1, sizeof *sp);
	sp->lockfd = fd;
	sp->dir = xstrdup(dir);
	xasprintf(&sp->path, "%s/%s", dir, PROM_FILE);
	xasprintf(&sp->tmp, "%s/%s.%ld", dir, PROM_FILE, (long)getpid());
	sp->interval = interval > 0 ? interval : 15;
	return sink_new(&prom_ops, sp);
}
