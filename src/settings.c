/*
 * hswatchd settings: defaults, config file, overrides.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hswatch/correlate.h"
#include "hswatch/nginxver.h"
#include "hswatch/settings.h"
#include "hswatch/tail.h"
#include "hswatch/xmalloc.h"

void
settings_init(struct settings *s)
{
	memset(s, 0, sizeof *s);
	s->state_dir = xstrdup(SETTINGS_STATE_DIR);
	s->syslog = 1;
	s->alert_journal = -1;	/* unset: settings_alert_outputs() */
	s->alert_syslog = -1;
	s->prom_interval = 15;
	s->window = CORRELATE_WINDOW;
	s->resolve_after = CORRELATE_RESOLVE_AFTER;
	s->down_fraction = CORRELATE_DOWN_FRACTION;
	s->poll_interval = TAIL_POLL_DEFAULT;
	s->rotate_wait = TAIL_ROTATE_WAIT_DEFAULT;
	s->state_interval = SETTINGS_STATE_INTERVAL;
	s->max_line = TAIL_MAX_LINE_DEFAULT;
	s->start_at_end = 1;
	s->probe = 1;
	s->probe_max = SETTINGS_PROBE_MAX;
	s->probe_retry = SETTINGS_PROBE_RETRY;
	s->probe_timeout = SETTINGS_PROBE_TIMEOUT;
	s->nginx_t_timeout = SETTINGS_NGINX_T_TIMEOUT;
}

static int
str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* Name key into out when it changed; keep the old value. */
static void
keep_key(size_t *n, char *out, size_t outlen, const char *key, int differs)
{
	size_t	 len;

	if (!differs)
		return;
	len = strlen(out);
	if (len < outlen)
		snprintf(out + len, outlen - len, "%s%s", *n > 0 ? ", " : "",
		    key);
	(*n)++;
}

size_t
settings_keep_restart_keys(const struct settings *old, struct settings *new,
    char *out, size_t outlen)
{
	size_t	 n = 0;

	if (outlen > 0)
		out[0] = '\0';
#define KEEP_STR(k) do {						\
	keep_key(&n, out, outlen, #k, str_differs(old->k, new->k));	\
	free(new->k);							\
	new->k = old->k != NULL ? xstrdup(old->k) : NULL;		\
} while (0)
#define KEEP_NUM(k) do {						\
	keep_key(&n, out, outlen, #k, old->k != new->k);		\
	new->k = old->k;						\
} while (0)
	KEEP_STR(state_dir);
	KEEP_STR(textfile_dir);
	KEEP_STR(json);
	KEEP_STR(syslog_socket);
	KEEP_NUM(alert_journal);
	KEEP_NUM(alert_syslog);
	KEEP_NUM(prom_interval);
	KEEP_NUM(window);
	KEEP_NUM(resolve_after);
	KEEP_NUM(down_fraction);
#undef KEEP_STR
#undef KEEP_NUM
	return n;
}

int
settings_defaults(struct settings *s, const char *path)
{
	if (s->nginx_config != NULL || s->nginx_t_command != NULL ||
	    s->nginx_config_none || path == NULL || access(path, R_OK) != 0)
		return 0;
	s->nginx_config = xstrdup(path);
	s->nginx_config_default = 1;
	return 1;
}

/*
 * Where findings go: each to exactly one of the journal and syslog
 * unless both keys say otherwise. A key that is set wins; an unset key
 * is the opposite of the other one; with neither set, the journal when
 * journal_here (started by systemd, with a journal socket), else syslog.
 */
void
settings_alert_outputs(const struct settings *s, int journal_here,
    int *journal, int *syslog)
{
	if (s->alert_journal >= 0 && s->alert_syslog >= 0) {
		*journal = s->alert_journal;
		*syslog = s->alert_syslog;
	} else if (s->alert_journal >= 0) {
		*journal = s->alert_journal;
		*syslog = !s->alert_journal;
	} else if (s->alert_syslog >= 0) {
		*syslog = s->alert_syslog;
		*journal = !s->alert_syslog;
	} else {
		*journal = journal_here != 0;
		*syslog = !*journal;
	}
}

void
settings_clear_error_logs(struct settings *s)
{
	unsigned	 i;

	for (i = 0; i < s->n_error_logs; i++)
		free(s->error_logs[i]);
	free(s->error_logs);
	s->error_logs = NULL;
	s->n_error_logs = 0;
}

void
settings_free(struct settings *s)
{
	settings_clear_error_logs(s);
	free(s->nginx_config);
	free(s->nginx_t_command);
	free(s->nginx_version);
	free(s->state_dir);
	free(s->textfile_dir);
	free(s->json);
	free(s->events);
	free(s->syslog_socket);
	free(s->probe_command);
	memset(s, 0, sizeof *s);
}

/* A number of seconds from 0 to max. */
static int
settings_seconds(const char *v, double max, double *out)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || !isfinite(d) ||
	    d < 0 || d > max)
		return -1;
	*out = d;
	return 0;
}

/* yes/no, true/false, on/off, 1/0. */
static int
settings_bool(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/* Replace a string setting; empty unsets it. */
static void
settings_str(char **slot, const char *v)
{
	free(*slot);
	*slot = *v == '\0' ? NULL : xstrdup(v);
}

int
settings_set(struct settings *s, const char *key, const char *v,
    char **cause)
{
	unsigned long long	 n;
	char			*end;

	if (strcmp(key, "error_log") == 0) {
		if (*v == '\0') {
			xasprintf(cause, "error_log: empty path");
			return -1;
		}
		for (n = 0; n < s->n_error_logs; n++)
			if (strcmp(s->error_logs[n], v) == 0)
				return 0;	/* followed once, counted once */
		s->error_logs = xreallocarray(s->error_logs,
		    s->n_error_logs + 1, sizeof *s->error_logs);
		s->error_logs[s->n_error_logs++] = xstrdup(v);
	} else if (strcmp(key, "nginx_config") == 0) {
		/* "none": no configuration model, not even the default. */
		s->nginx_config_none = strcmp(v, "none") == 0;
		settings_str(&s->nginx_config, s->nginx_config_none ? "" :
		    v);
	}
	else if (strcmp(key, "nginx_t_command") == 0)
		settings_str(&s->nginx_t_command, v);
	else if (strcmp(key, "nginx_version") == 0) {
		if (*v != '\0' && !nginxver_valid(v)) {
			xasprintf(cause, "nginx_version: want X.Y.Z, got \"%s\"",
			    v);
			return -1;
		}
		settings_str(&s->nginx_version, v);
	}
	else if (strcmp(key, "state_dir") == 0) {
		if (*v == '\0') {
			xasprintf(cause, "state_dir: empty path");
			return -1;
		}
		settings_str(&s->state_dir, v);
	} else if (strcmp(key, "textfile_dir") == 0)
		settings_str(&s->textfile_dir, v);
	else if (strcmp(key, "json") == 0)
		settings_str(&s->json, v);
	else if (strcmp(key, "events") == 0)
		settings_str(&s->events, v);
	else if (strcmp(key, "syslog") == 0) {
		if (settings_bool(v, &s->syslog) != 0)
			goto bad;
	} else if (strcmp(key, "alert_journal") == 0) {
		if (settings_bool(v, &s->alert_journal) != 0)
			goto bad;
	} else if (strcmp(key, "alert_syslog") == 0) {
		if (settings_bool(v, &s->alert_syslog) != 0)
			goto bad;
	} else if (strcmp(key, "syslog_socket") == 0)
		settings_str(&s->syslog_socket, v);
	else if (strcmp(key, "prom_interval") == 0) {
		if (settings_seconds(v, 3600, &s->prom_interval) != 0)
			goto bad;
	} else if (strcmp(key, "window") == 0) {
		if (settings_seconds(v, 86400, &s->window) != 0 ||
		    s->window < 1)
			goto bad;
	} else if (strcmp(key, "resolve_after") == 0) {
		if (settings_seconds(v, 7 * 86400, &s->resolve_after) != 0 ||
		    s->resolve_after < 1)
			goto bad;
	} else if (strcmp(key, "down_fraction") == 0) {
		if (settings_seconds(v, 1, &s->down_fraction) != 0 ||
		    s->down_fraction <= 0)
			goto bad;
	} else if (strcmp(key, "poll_interval") == 0) {
		if (settings_seconds(v, 86400, &s->poll_interval) != 0)
			goto bad;
	} else if (strcmp(key, "poll_always") == 0) {
		if (settings_bool(v, &s->poll_always) != 0)
			goto bad;
	} else if (strcmp(key, "rotate_wait") == 0) {
		if (settings_seconds(v, 86400, &s->rotate_wait) != 0)
			goto bad;
	} else if (strcmp(key, "state_interval") == 0) {
		if (settings_seconds(v, 3600, &s->state_interval) != 0)
			goto bad;
	} else if (strcmp(key, "max_line") == 0) {
		errno = 0;
		n = strtoull(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' ||
		    n < TAIL_MAX_LINE_MIN || n > TAIL_MAX_LINE_MAX) {
			xasprintf(cause, "max_line: want %d to %d bytes, "
			    "got \"%s\"", TAIL_MAX_LINE_MIN, TAIL_MAX_LINE_MAX,
			    v);
			return -1;
		}
		s->max_line = (size_t)n;
	} else if (strcmp(key, "start_at") == 0) {
		if (strcmp(v, "end") == 0)
			s->start_at_end = 1;
		else if (strcmp(v, "beginning") == 0)
			s->start_at_end = 0;
		else
			goto bad;
	} else if (strcmp(key, "probe") == 0) {
		if (settings_bool(v, &s->probe) != 0)
			goto bad;
	} else if (strcmp(key, "probe_command") == 0)
		settings_str(&s->probe_command, v);
	else if (strcmp(key, "probe_max") == 0) {
		errno = 0;
		n = strtoull(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < 1 ||
		    n > SETTINGS_PROBE_MAX_MAX) {
			xasprintf(cause, "probe_max: want 1 to %d, got \"%s\"",
			    SETTINGS_PROBE_MAX_MAX, v);
			return -1;
		}
		s->probe_max = (unsigned)n;
	} else if (strcmp(key, "probe_retry") == 0) {
		if (settings_seconds(v, 7 * 86400, &s->probe_retry) != 0 ||
		    s->probe_retry < 1)
			goto bad;
	} else if (strcmp(key, "probe_timeout") == 0) {
		if (settings_seconds(v, 3600, &s->probe_timeout) != 0 ||
		    s->probe_timeout < 1)
			goto bad;
	} else if (strcmp(key, "nginx_t_timeout") == 0) {
		if (settings_seconds(v, 3600, &s->nginx_t_timeout) != 0 ||
		    s->nginx_t_timeout < 1)
			goto bad;
	} else {
		xasprintf(cause, "unknown key \"%s\"", key);
		return -1;
	}
	return 0;
bad:
	xasprintf(cause, "%s: bad value \"%s\"", key, v);
	return -1;
}

/* Strip blanks at both ends, in place. */
static char *
settings_trim(char *p)
{
	char	*e;

	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return p;
}

int
settings_load(struct settings *s, const char *file, char **cause)
{
	FILE		*f;
	char		*line = NULL, *p, *eq, *key, *val, *why = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	unsigned	 lineno = 0;
	int		 rc = 0;

	if ((f = fopen(file, "re")) == NULL) {
		xasprintf(cause, "%s: %s", file, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			xasprintf(cause, "%s:%u: NUL byte", file, lineno);
			rc = -1;
			break;
		}
		p = settings_trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			xasprintf(cause, "%s:%u: expected \"key = value\"",
			    file, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		key = settings_trim(p);
		val = settings_trim(eq + 1);
		if (settings_set(s, key, val, &why) != 0) {
			xasprintf(cause, "%s:%u: %s", file, lineno, why);
			free(why);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		xasprintf(cause, "%s: %s", file, strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}
