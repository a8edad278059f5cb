/*
 * hswatchd: the systemd journal as a source of nginx lines (hsdjournal.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "hsdjournal.h"
#include "hswatch/xmalloc.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-journal.h>
#endif

/* Entries read per wakeup; more continue from a zero timer. */
#define HSDJ_BATCH	4096

int
hsd_journal_is(const char *error_log)
{
	return strncmp(error_log, HSD_JOURNAL_PREFIX,
	    sizeof HSD_JOURNAL_PREFIX - 1) == 0;
}

#ifndef HAVE_SYSTEMD

struct hsd_journal {
	int	 unused;
};

struct hsd_journal *
hsd_journal_new(struct ev_loop *loop, const char *error_log,
    const char *state_dir, int start_at_end, hsd_journal_line_fn *fn,
    void *arg, char **cause)
{
	(void)loop;
	(void)state_dir;
	(void)start_at_end;
	(void)fn;
	(void)arg;
	xasprintf(cause, "%s: hswatchd was built without libsystemd",
	    error_log);
	return NULL;
}

int
hsd_journal_save(struct hsd_journal *j, char **cause)
{
	(void)j;
	(void)cause;
	return 0;
}

void
hsd_journal_free(struct hsd_journal *j)
{
	free(j);
}

const char *
hsd_journal_name(const struct hsd_journal *j)
{
	(void)j;
	return "";
}

unsigned long long
hsd_journal_entries(const struct hsd_journal *j)
{
	(void)j;
	return 0;
}

#else

struct hsd_journal {
	struct ev_loop		*loop;
	sd_journal		*j;
	char			*name;		/* "journal:..." */
	char			*cursor_path;
	ev_io			 io;
	ev_timer		 more;		/* continue a long backlog */
	hsd_journal_line_fn	*fn;
	void			*arg;
	unsigned long long	 entries;
	int			 read_any;	/* an entry is current */
};

const char *
hsd_journal_name(const struct hsd_journal *j)
{
	return j->name;
}

unsigned long long
hsd_journal_entries(const struct hsd_journal *j)
{
	return j->entries;
}

/* Read what is there, at most HSDJ_BATCH entries. */
static void
hsdj_read(struct hsd_journal *hj)
{
	const void	*data;
	size_t		 len, tl;
	uint64_t	 usec;
	struct tm	 tm;
	time_t		 t;
	char		 ts[40];
	unsigned	 n;
	int		 r;

	for (n = 0; n < HSDJ_BATCH; n++) {
		if ((r = sd_journal_next(hj->j)) <= 0)
			return;
		hj->read_any = 1;
		hj->entries++;
		if (sd_journal_get_data(hj->j, "MESSAGE", &data, &len) < 0 ||
		    len < sizeof "MESSAGE=" - 1)
			continue;
		if (sd_journal_get_realtime_usec(hj->j, &usec) < 0)
			usec = 0;
		t = (time_t)(usec / 1000000);
		tl = 0;
		if (gmtime_r(&t, &tm) != NULL) {
			tl = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
			tl += (size_t)snprintf(ts + tl, sizeof ts - tl,
			    ".%06lluZ", (unsigned long long)(usec % 1000000));
		}
		hj->fn((const char *)data + sizeof "MESSAGE=" - 1,
		    len - (sizeof "MESSAGE=" - 1), usec, tl > 0 ? ts : NULL,
		    tl, hj->arg);
	}
	/* A long backlog: let the loop breathe, then go on. */
	ev_timer_set(&hj->more, 0., 0.);
	ev_timer_start(hj->loop, &hj->more);
}

static void
hsdj_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hsd_journal	*hj = w->data;

	(void)loop;
	(void)revents;
	if (sd_journal_process(hj->j) < 0)
		return;
	hsdj_read(hj);
}

static void
hsdj_more_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	hsdj_read(w->data);
}

static uint32_t
hsdj_hash(const char *s)
{
	uint32_t	 h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* The saved cursor, or NULL. */
static char *
hsdj_load(const char *path)
{
	char	 buf[1024];
	FILE	*f;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

struct hsd_journal *
hsd_journal_new(struct ev_loop *loop, const char *error_log,
    const char *state_dir, int start_at_end, hsd_journal_line_fn *fn,
    void *arg, char **cause)
{
	struct hsd_journal	*hj;
	const char		*spec = error_log + sizeof HSD_JOURNAL_PREFIX - 1;
	char			*copy, *tok, *save = NULL, *cursor;
	int			 r, matches = 0;

	hj = xcalloc(1, sizeof *hj);
	hj->loop = loop;
	hj->name = xstrdup(error_log);
	hj->fn = fn;
	hj->arg = arg;
	xasprintf(&hj->cursor_path, "%s/journal-%08x.cursor", state_dir,
	    (unsigned)hsdj_hash(error_log));
	if ((r = sd_journal_open(&hj->j, SD_JOURNAL_LOCAL_ONLY)) < 0) {
		xasprintf(cause, "%s: cannot open the journal: %s", error_log,
		    strerror(-r));
		goto fail;
	}
	copy = xstrdup(spec);
	for (tok = strtok_r(copy, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (strchr(tok, '=') == NULL || tok[0] == '=' ||
		    (r = sd_journal_add_match(hj->j, tok, 0)) < 0) {
			xasprintf(cause, "%s: \"%s\" is not a FIELD=VALUE match",
			    error_log, tok);
			free(copy);
			goto fail;
		}
		matches++;
	}
	free(copy);
	if (matches == 0) {
		xasprintf(cause, "%s: no FIELD=VALUE match (e.g. "
		    "journal:SYSLOG_IDENTIFIER=nginx)", error_log);
		goto fail;
	}

	if ((cursor = hsdj_load(hj->cursor_path)) != NULL &&
	    sd_journal_seek_cursor(hj->j, cursor) >= 0) {
		/* The first next() gives the saved entry itself: skip it;
		 * if it is gone, the entry there is new: read it. */
		if (sd_journal_next(hj->j) > 0) {
			if (sd_journal_test_cursor(hj->j, cursor) > 0)
				hj->read_any = 1;
			else
				(void)sd_journal_previous(hj->j);
		}
	} else if (start_at_end) {
		(void)sd_journal_seek_tail(hj->j);
		if (sd_journal_previous(hj->j) > 0)
			hj->read_any = 1;
	} else
		(void)sd_journal_seek_head(hj->j);
	free(cursor);

	if ((r = sd_journal_get_fd(hj->j)) < 0) {
		xasprintf(cause, "%s: sd_journal_get_fd: %s", error_log,
		    strerror(-r));
		goto fail;
	}
	ev_io_init(&hj->io, hsdj_io_cb, r, EV_READ);
	hj->io.data = hj;
	ev_io_start(loop, &hj->io);
	ev_timer_init(&hj->more, hsdj_more_cb, 0., 0.);
	hj->more.data = hj;
	ev_timer_start(loop, &hj->more);	/* what is there already */
	return hj;
fail:
	if (hj->j != NULL)
		sd_journal_close(hj->j);
	free(hj->cursor_path);
	free(hj->name);
	free(hj);
	return NULL;
}

int
hsd_journal_save(struct hsd_journal *hj, char **cause)
{
	char	*cursor = NULL, *tmp;
	int	 fd, r = -1;
	size_t	 n;

	if (!hj->read_any || sd_journal_get_cursor(hj->j, &cursor) < 0)
		return 0;	/* nothing read yet: nothing to say */
	xasprintf(&tmp, "%s.tmp", hj->cursor_path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) <
	    0) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	n = strlen(cursor);
	if (write(fd, cursor, n) != (ssize_t)n || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, hj->cursor_path) != 0) {
		xasprintf(cause, "%s: %s", hj->cursor_path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	r = 0;
out:
	free(tmp);
	free(cursor);
	return r;
}

void
hsd_journal_free(struct hsd_journal *hj)
{
	char	*cause = NULL;

	if (hj == NULL)
		return;
	if (hsd_journal_save(hj, &cause) != 0) {
		fprintf(stderr, "hswatchd: %s\n", cause);
		free(cause);
	}
	ev_io_stop(hj->loop, &hj->io);
	ev_timer_stop(hj->loop, &hj->more);
	sd_journal_close(hj->j);
	free(hj->cursor_path);
	free(hj->name);
	free(hj);
}

#endif
