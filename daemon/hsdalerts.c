/*
 * hswatchd's alert side: nginx model, analyze stage, sinks.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hsdalerts.h"
#include "hsdreload.h"
#include "hswatch/analyze.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/correlate.h"
#include "hswatch/finding.h"
#include "hswatch/log.h"
#include "hswatch/nginxver.h"
#include "hswatch/patch.h"
#include "hswatch/pipeline.h"
#include "hswatch/probeverdict.h"
#include "hswatch/settings.h"
#include "hswatch/sink.h"
#include "hswatch/xmalloc.h"

/* At most this much nginx -T output is read (confload's own bound). */
#define NGINX_T_MAX	(64u << 20)

#define MAX_SINKS	4

struct hsd_alerts {
	struct hsd_reload	*reload;	/* off the loop, once started */
	struct confmodel	*model;
	int64_t			 model_time;
	char			*model_source;	/* file or command */
	char			*model_error;	/* of the last (re)load */
	struct analyze		*an;
	struct probeverdict_cache *probe;	/* probe = yes, or NULL */
	hsd_alerts_want_fn	*want;
	void			*want_arg;
	/* A (re)load ended: a new model is in, or it failed (model_error,
	 * the old one kept). */
	void			(*on_model)(void *);
	void			*on_model_arg;
	struct sink		*sinks[MAX_SINKS];
	unsigned		 nsinks;
	struct sink		*prom;		/* one of sinks[], or NULL */
	char			*prom_state;	/* counters across restarts */
	char			*prom_dir;	/* textfile_dir */
	int			 failed[MAX_SINKS];
	int			 flush_failed[MAX_SINKS];
	uint64_t		 overflow_logged;	/* overflows said */
	int64_t			 overflow_time;		/* when, 0: never */
};

/* At most one overflow warning per this many seconds. */
#define OVERFLOW_WARN_INTERVAL	60


extern char **environ;

/*
 * Run cmd (sh -c) and read what it prints, for at most NGINX_T_TIMEOUT_MS
 * (the loop waits meanwhile, so a command that hangs must not hold it
 * past the watchdog): -1 with *cause set on failure or timeout.
 */
static int
run_command(const char *cmd, double timeout, char **data, size_t *len,
    char **cause)
{
	static char			 a0[] = "sh", a1[] = "-c";
	char				*argv[] = { a0, a1, NULL, NULL };
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	struct pollfd			 pfd;
	struct timespec			 t0, t1;
	char				*buf = NULL;
	size_t				 n = 0, cap = 0;
	ssize_t				 r;
	pid_t				 pid;
	long				 left;
	int				 fd[2], st, rc, timed_out = 0;

	if (pipe2(fd, O_CLOEXEC) == -1) {
		xasprintf(cause, "%s: %s", cmd, strerror(errno));
		return -1;
	}
	argv[2] = (char *)(uintptr_t)cmd;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	/* Its own process group: a pipeline is killed whole. */
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (rc != 0) {
		close(fd[0]);
		xasprintf(cause, "%s: %s", cmd, strerror(rc));
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = (long)(timeout * 1000) - ((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		pfd.fd = fd[0];
		pfd.events = POLLIN;
		if ((rc = poll(&pfd, 1, (int)left)) == 0)
			continue;	/* the deadline, seen at the top */
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 262144;
			buf = xreallocarray(buf, cap, 1);
		}
		r = read(fd[0], buf + n, cap - n);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n > NGINX_T_MAX)
			break;
	}
	close(fd[0]);
	if (timed_out || n > NGINX_T_MAX)
		(void)kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (timed_out || n > NGINX_T_MAX || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		if (timed_out)
			xasprintf(cause, "%s: no answer within %.0f s (killed)",
			    cmd, timeout);
		else
			xasprintf(cause, "%s: %s", cmd, n > NGINX_T_MAX ?
			    "output too large" : "command failed");
		free(buf);
		return -1;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* The model from the settings; NULL (and *cause) on error or none. */
static struct confmodel *
load_model(const struct settings *s, char **cause)
{
	struct conftree		*t = NULL;
	struct confmodel	*m;
	char			*data, *version;
	size_t			 len;

	*cause = NULL;
	if (s->nginx_t_command != NULL) {
		if (run_command(s->nginx_t_command, s->nginx_t_timeout, &data,
		    &len, cause) != 0)
			return NULL;
		t = confload_dump(data, len, NULL, cause);
		free(data);
	} else if (s->nginx_config != NULL)
		t = confload_files(s->nginx_config, NULL, cause);
	else
		return NULL;
	if (t == NULL)
		return NULL;
	/* The defaults of the nginx that runs: the setting, else nginx -v
	 * (else confmodel's 1.22.1). */
	version = s->nginx_version != NULL ? xstrdup(s->nginx_version) :
	    nginxver_installed();
	m = confmodel_new(t, version, cause);
	free(version);
	return m;
}

/* What the model is loaded from, as the settings say. */
static void
model_source(struct hsd_alerts *a, const struct settings *s)
{
	free(a->model_source);
	a->model_source = NULL;
	if (s->nginx_t_command != NULL)
		a->model_source = xstrdup(s->nginx_t_command);
	else if (s->nginx_config != NULL)
		a->model_source = xstrdup(s->nginx_config);
}

static void
add_sink(struct hsd_alerts *a, struct sink *s)
{
	if (s != NULL && a->nsinks < MAX_SINKS)
		a->sinks[a->nsinks++] = s;
}

/* Every finding's state change goes to every sink. */
static void
emit(const struct finding *f, enum finding_state st, void *arg)
{
	struct hsd_alerts	*a = arg;
	char			*cause = NULL;
	unsigned		 i;

	for (i = 0; i < a->nsinks; i++) {
		if (sink_emit(a->sinks[i], f, st, &cause) != 0) {
			/* Say it once per outage, not per finding. */
			if (!a->failed[i])
				log_warnx("%s", cause);
			a->failed[i] = 1;
			free(cause);
			cause = NULL;
		} else
			a->failed[i] = 0;
	}
}

/*
 * Whether findings belong in the journal by default: hswatchd was
 * started by systemd (INVOCATION_ID or JOURNAL_STREAM, set for every
 * service) and journald's socket is there.
 */
static int
journal_here(void)
{
#ifdef HAVE_SYSTEMD
	if (getenv("INVOCATION_ID") == NULL && getenv("JOURNAL_STREAM") == NULL)
		return 0;
	return access("/run/systemd/journal/socket", W_OK) == 0;
#else
	return 0;
#endif
}

struct hsd_alerts *
hsd_alerts_new(const struct settings *s, char **cause)
{
	struct hsd_alerts	*a;
	struct correlate_conf	 cc;
	struct sink		*sk;
	char			*why = NULL;
	int			 to_journal, to_syslog;

	a = xcalloc(1, sizeof *a);
	a->model = load_model(s, &why);
	model_source(a, s);
	if (a->model != NULL) {
		a->model_time = (int64_t)time(NULL);
		log_info("nginx configuration: %s%s", a->model_source,
		    s->nginx_config_default ? " (the default: nginx_config "
		    "is not set)" : "");
	} else if (why != NULL) {
		log_warnx("nginx configuration not loaded (findings without "
		    "locations or patches): %s", why);
		a->model_error = why;
	}
	correlate_conf_defaults(&cc);
	cc.window = (int64_t)s->window;
	cc.resolve_after = (int64_t)s->resolve_after;
	cc.down_fraction = s->down_fraction;
	a->an = analyze_new(a->model, &cc);
	/* Each open finding's patch is for `hswatch status --patch`; the
	 * combined patch of every diagnosis (replay --patch) is never read
	 * here and would grow with each one. */
	analyze_keep_patches(a->an, ANALYZE_KEEP_OPEN);

	settings_alert_outputs(s, journal_here(), &to_journal, &to_syslog);
#ifdef HAVE_SYSTEMD
	if (to_journal) {
		if ((sk = sink_journal_new(cause)) == NULL)
			goto fail;
		add_sink(a, sk);
	}
#endif
	if (to_syslog) {
		if ((sk = sink_syslog_new(s->syslog_socket, cause)) == NULL)
			goto fail;
		add_sink(a, sk);
	}
	if (s->json != NULL) {
		if ((sk = sink_json_new(s->json, cause)) == NULL)
			goto fail;
		add_sink(a, sk);
	}
	if (s->textfile_dir != NULL && access(s->textfile_dir, F_OK) == -1 &&
	    errno == ENOENT) {
		/* node_exporter not installed (yet): the packaged settings
		 * name its directory; no textfile, and no crash loop. */
		log_warnx("textfile_dir %s does not exist (node_exporter "
		    "not installed?): no Prometheus textfile until it "
		    "exists and hswatchd restarts", s->textfile_dir);
	} else if (s->textfile_dir != NULL) {
		if ((sk = sink_prom_new(s->textfile_dir,
		    (int64_t)s->prom_interval, cause)) == NULL)
			goto fail;
		add_sink(a, sk);
		a->prom = sk;
		a->prom_dir = xstrdup(s->textfile_dir);
		xasprintf(&a->prom_state, "%s/metrics", s->state_dir);
		if (sink_prom_load(sk, a->prom_state, &why) != 0) {
			log_warnx("%s (counters start from zero)", why);
			free(why);
		}
	}
	return a;
fail:
	hsd_alerts_free(a, 0);
	return NULL;
}

void
hsd_alerts_pipeline(struct hsd_alerts *a, struct pipeline_opts *po)
{
	po->analyze = a->an;
	po->on_finding = emit;
	po->finding_arg = a;
	po->log_time = 0;
}

int
hsd_alerts_probe(struct hsd_alerts *a, const struct settings *s,
    const char *path, hsd_alerts_want_fn *want, void *arg, char **cause)
{
	struct probeverdict_cmd	 cmd;

	if (s->nginx_config == NULL) {
		xasprintf(cause, "probe needs nginx_config (hswatch-probe "
		    "reads the configuration itself; nginx_t_command is not "
		    "enough)");
		return -1;
	}
	memset(&cmd, 0, sizeof cmd);
	cmd.path = path;
	cmd.config = s->nginx_config;
	cmd.version = a->model != NULL ? a->model->version : NULL;
	cmd.timeout_s = (int)s->probe_timeout;
	probeverdict_cache_free(a->probe);
	a->probe = probeverdict_cache_new(&cmd);
	a->want = want;
	a->want_arg = arg;
	analyze_set_probe_async(a->an, a->probe, want, arg);
	return 0;
}

void
hsd_alerts_set_test(struct hsd_alerts *a, analyze_test_want_fn *test)
{
	analyze_set_test(a->an, test);
}

size_t
hsd_alerts_tested(struct hsd_alerts *a, const char *at, const char *peer,
    const char *settings, const struct probeverdict *pv, const char *cause)
{
	return analyze_tested(a->an, at, peer, settings, pv, cause, emit, a);
}

void
hsd_alerts_noprobe(struct hsd_alerts *a)
{
	analyze_set_test(a->an, NULL);
	analyze_set_probe_async(a->an, NULL, NULL, NULL);
	probeverdict_cache_free(a->probe);
	a->probe = NULL;
	a->want = NULL;
	a->want_arg = NULL;
}

size_t
hsd_alerts_verdict(struct hsd_alerts *a, const char *at, const char *peer,
    struct probeverdict *pv)
{
	if (a->probe == NULL)
		return 0;
	/* A failed run too: what waits on every peer stops waiting. */
	probeverdict_cache_put(a->probe, at, peer, pv);
	return analyze_verdict(a->an, at, peer, emit, a);
}

/*
 * Take the result of a (re)load: a model (swapped in whole), a failure
 * (the old model stays), or none configured. Runs on the loop.
 */
static void
model_swap(struct hsd_alerts *a, struct confmodel *m, char *cause,
    const char *source)
{
	struct probeverdict_cache *c;
	struct confmodel	*old = a->model;

	free(a->model_error);
	a->model_error = NULL;
	if (m != NULL) {
		free(a->model_source);
		a->model_source = source != NULL ? xstrdup(source) : NULL;
		analyze_set_model(a->an, m);
		if (a->probe != NULL) {
			/* Verdicts name the old model's FILE:LINEs. */
			c = probeverdict_cache_new(
			    probeverdict_cache_cmd(a->probe));
			probeverdict_cache_free(a->probe);
			a->probe = c;
			analyze_set_probe_async(a->an, a->probe, a->want,
			    a->want_arg);
		}
		a->model = m;
		a->model_time = (int64_t)time(NULL);
		log_info("nginx configuration reloaded");
	} else if (cause != NULL) {
		log_warnx("nginx configuration not reloaded, keeping the "
		    "previous one: %s", cause);
		a->model_error = cause;
		if (a->on_model != NULL)
			a->on_model(a->on_model_arg);
		return;
	} else if (a->model != NULL) {
		/* No configuration in the settings any more. */
		analyze_set_model(a->an, NULL);
		a->model = NULL;
		a->model_time = 0;
		free(a->model_source);
		a->model_source = NULL;
		log_info("nginx configuration: none");
	} else
		return;
	/* Nothing refers to the old model now: freed off the loop. */
	if (a->reload != NULL)
		hsd_reload_retire(a->reload, old);
	else
		confmodel_free(old);
	if (a->on_model != NULL)
		a->on_model(a->on_model_arg);
}

void
hsd_alerts_on_model(struct hsd_alerts *a, void (*fn)(void *), void *arg)
{
	a->on_model = fn;
	a->on_model_arg = arg;
}

static void
reloaded(struct confmodel *m, char *cause, const char *source, void *arg)
{
	model_swap(arg, m, cause, source);
}

void
hsd_alerts_start(struct hsd_alerts *a, struct ev_loop *loop)
{
	if (a->reload == NULL)
		a->reload = hsd_reload_new(loop, reloaded, a);
}

int
hsd_alerts_reloading(const struct hsd_alerts *a)
{
	return a->reload != NULL && hsd_reload_busy(a->reload);
}

void
hsd_alerts_reload(struct hsd_alerts *a, const struct settings *s)
{
	struct confmodel	*m;
	char			*cause = NULL;
	unsigned		 i;

	if (a->reload != NULL)
		/* Off the loop: model_swap() when it is built. */
		hsd_reload_start(a->reload, s);
	else {
		m = load_model(s, &cause);
		model_swap(a, m, cause, s->nginx_t_command != NULL ?
		    s->nginx_t_command : s->nginx_config);
	}
	for (i = 0; i < a->nsinks; i++) {
		if (sink_reopen(a->sinks[i], &cause) != 0) {
			log_warnx("%s", cause);
			free(cause);
		}
	}
}

/* One open finding's count so far, to the textfile's counter. */
static void
observe(const struct finding *f, void *arg)
{
	sink_prom_observe(arg, f);
}

/* The first seen of the oldest open finding. */
static void
oldest(const struct finding *f, int held, void *arg)
{
	int64_t	*t = arg;

	(void)held;
	if (f->first_seen > 0 && (*t == 0 || f->first_seen < *t))
		*t = f->first_seen;
}

int64_t
hsd_alerts_oldest_open(const struct hsd_alerts *a)
{
	int64_t	 t = 0;

	correlate_foreach_open(analyze_correlate(a->an), oldest, &t);
	return t;
}

/*
 * Every failure counted at every flush (correlate emits only state
 * changes: 1, 10, 100, ...), and the true number of open findings.
 */
static void
prom_observe(struct hsd_alerts *a)
{
	const struct correlate	*c = analyze_correlate(a->an);

	if (a->prom == NULL)
		return;
	correlate_foreach_finding(c, observe, a->prom);
	sink_prom_observed(a->prom);
	sink_prom_findings(a->prom, correlate_open_findings(c),
	    correlate_overflowed(c));
}

/* Past the open-finding limit: say so, at most once a minute. */
static void
overflow_warn(struct hsd_alerts *a, int64_t now)
{
	const struct correlate	*c = analyze_correlate(a->an);
	uint64_t		 ov = correlate_overflowed(c);

	if (ov == a->overflow_logged || (a->overflow_time != 0 &&
	    now - a->overflow_time < OVERFLOW_WARN_INTERVAL))
		return;
	log_warnx("findings: %llu more past the open-finding limit (%zu open; "
	    "unlocated findings may take 3/4 of it), counted in one "
	    "overflow finding per code (%llu in all)",
	    (unsigned long long)(ov - a->overflow_logged),
	    correlate_open_findings(c), (unsigned long long)ov);
	a->overflow_logged = ov;
	a->overflow_time = now;
}

void
hsd_alerts_metrics(struct hsd_alerts *a, const struct sink_counters *c)
{
	struct sink_counters	 cc = *c;
	unsigned		 i;

	cc.config_load_time = a->model_time;
	for (i = 0; i < a->nsinks; i++)
		sink_metrics(a->sinks[i], &cc);
}

void
hsd_alerts_timer(struct hsd_alerts *a, const struct sink_counters *c,
    int64_t now)
{
	char			*cause = NULL;
	unsigned		 i;

	overflow_warn(a, now);
	prom_observe(a);
	hsd_alerts_metrics(a, c);
	for (i = 0; i < a->nsinks; i++) {
		/* Say a failing output once, and when it works again. */
		if (sink_flush(a->sinks[i], now, 0, &cause) != 0) {
			if (!a->flush_failed[i])
				log_warnx("%s (said once until it works "
				    "again)", cause);
			free(cause);
			a->flush_failed[i] = 1;
		} else if (a->flush_failed[i]) {
			if (a->sinks[i] == a->prom)
				log_info("textfile: writing again to "
				    "%s/hswatch.prom", a->prom_dir);
			else
				log_info("%s output: writing again",
				    a->sinks[i]->ops->name);
			a->flush_failed[i] = 0;
		}
	}
}

size_t
hsd_alerts_open(const struct hsd_alerts *a)
{
	return correlate_open_findings(analyze_correlate(a->an));
}

size_t
hsd_alerts_pending(const struct hsd_alerts *a)
{
	return analyze_pending(a->an);
}

int64_t
hsd_alerts_next_tick(const struct hsd_alerts *a)
{
	return analyze_next_tick(a->an);
}

int
hsd_alerts_textfile(const struct hsd_alerts *a)
{
	return a->prom != NULL;
}

int
hsd_alerts_textfile_dirty(const struct hsd_alerts *a)
{
	return a->prom != NULL && sink_prom_dirty(a->prom);
}

void
hsd_alerts_free(struct hsd_alerts *a, int64_t now)
{
	char		*cause = NULL;
	unsigned	 i;

	if (a == NULL)
		return;
	(void)now;
	hsd_reload_free(a->reload);
	a->reload = NULL;
	if (a->prom != NULL) {
		prom_observe(a);	/* the final counts */
		if (sink_prom_write(a->prom, 1, &cause) != 0 ||
		    sink_prom_save(a->prom, a->prom_state, &cause) != 0) {
			log_warnx("%s", cause);
			free(cause);
		}
	}
	for (i = 0; i < a->nsinks; i++)
		sink_free(a->sinks[i]);
	analyze_free(a->an);
	probeverdict_cache_free(a->probe);
	confmodel_free(a->model);
	free(a->model_source);
	free(a->model_error);
	free(a->prom_state);
	free(a->prom_dir);
	free(a);
}

int
hsd_alerts_check(const struct settings *s, char **summary, char **cause)
{
	struct confmodel	*m;

	*summary = NULL;
	if ((m = load_model(s, cause)) == NULL) {
		if (*cause != NULL)
			return -1;
		*summary = xstrdup("no nginx configuration to model");
		return 0;
	}
	xasprintf(summary, "nginx configuration %s: %zu file(s), %zu "
	    "server(s), %zu upstream(s), %zu location(s), defaults of nginx "
	    "%s", s->nginx_t_command != NULL ? s->nginx_t_command :
	    s->nginx_config, m->tree != NULL ? m->tree->nfiles : 0,
	    m->nservers, m->ngroups, m->nlocs, m->version);
	confmodel_free(m);
	return 0;
}

void
hsd_alerts_model(const struct hsd_alerts *a, struct hsd_alerts_model *mi)
{
	const struct confmodel	*m = a->model;

	memset(mi, 0, sizeof *mi);
	mi->source = a->model_source;
	mi->error = a->model_error;
	if (m == NULL)
		return;
	mi->loaded = 1;
	mi->load_time = a->model_time;
	mi->version = m->version;
	if (m->tree != NULL && m->tree->nfiles > 0)
		mi->main_file = m->tree->files[0];
	if (m->tree != NULL) {
		mi->files = m->tree->nfiles;
		mi->file_list = m->tree->files;
		mi->glob_list = m->tree->globs;
		mi->globs = m->tree->nglobs;
		mi->from_dump = m->tree->texts != NULL;
	}
	mi->servers = m->nservers;
	mi->upstreams = m->ngroups;
	mi->locations = m->nlocs;
	mi->warnings = m->nwarnings;
}

void
hsd_alerts_foreach_open(const struct hsd_alerts *a, correlate_open_fn *fn,
    void *arg)
{
	correlate_foreach_open(analyze_correlate(a->an), fn, arg);
}

int
hsd_alerts_patch(const struct hsd_alerts *a, struct buf *out,
    size_t *nfindings, char **cause)
{
	struct patch	*p;
	size_t		 n = 0;
	int		 rc = 0;

	*cause = NULL;
	p = analyze_open_patch(a->an, &n);
	if (nfindings != NULL)
		*nfindings = n;
	if (patch_count(p) > 0)
		rc = patch_render(p, out, cause) == 0 ? 1 : -1;
	patch_free(p);
	return rc;
}

const char *
hsd_alerts_root(const struct hsd_alerts *a)
{
	return analyze_root(a->an);
}
