/*
 * hsdconfwatch: the modelled nginx configuration changed on disk (see
 * hsdconfwatch.h).
 */
#include "config.h"

#include <sys/inotify.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "hsdconfwatch.h"
#include "hsdglob.h"
#include "hswatch/log.h"
#include "hswatch/xmalloc.h"

#define HSD_CONFWATCH_EVENTS	(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | \
	IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | \
	IN_MOVE_SELF | IN_ONLYDIR)

struct hsd_confwatch {
	struct ev_loop		*loop;
	hsd_confwatch_fn	*fn;
	void			*arg;
	int			 fd;
	ev_io			 io;
	ev_timer		 quiet;
	int			 wd[HSD_CONFWATCH_MAX_DIRS];
	char			*dir[HSD_CONFWATCH_MAX_DIRS];
	size_t			 n;
	char			*what;	/* the first change of the burst */
};

static void
hsd_confwatch_quiet_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hsd_confwatch	*cw = w->data;
	char			*what = cw->what;

	(void)loop;
	(void)revents;
	cw->what = NULL;
	cw->fn(what != NULL ? what : "?", cw->arg);
	free(what);
}

/* Name the first change of a burst: "DIR/NAME". */
static void
hsd_confwatch_note(struct hsd_confwatch *cw, const struct inotify_event *e)
{
	size_t	 i;

	if (cw->what != NULL)
		return;
	for (i = 0; i < cw->n; i++)
		if (cw->wd[i] == e->wd)
			break;
	if (i == cw->n)
		return;
	if (e->len > 0 && e->name[0] != '\0')
		xasprintf(&cw->what, "%s/%s", cw->dir[i], e->name);
	else
		cw->what = xstrdup(cw->dir[i]);
}

static void
hsd_confwatch_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hsd_confwatch	*cw = w->data;
	char			 buf[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *e;
	ssize_t			 r;
	size_t			 off;
	int			 any = 0;

	(void)revents;
	for (;;) {
		r = read(cw->fd, buf, sizeof buf);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (off = 0; off + sizeof *e <= (size_t)r;
		    off += sizeof *e + e->len) {
			e = (const struct inotify_event *)(buf + off);
			if (e->mask & IN_IGNORED)
				continue;	/* a watch we dropped */
			hsd_confwatch_note(cw, e);
			any = 1;
		}
	}
	if (any) {
		/* Wait for the burst to end: the timer restarts. */
		ev_timer_stop(loop, &cw->quiet);
		ev_timer_set(&cw->quiet, HSD_CONFWATCH_QUIET, 0);
		ev_timer_start(loop, &cw->quiet);
	}
}

struct hsd_confwatch *
hsd_confwatch_new(struct ev_loop *loop, hsd_confwatch_fn *fn, void *arg)
{
	struct hsd_confwatch	*cw;
	int			 fd;

	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("inotify for the nginx configuration (the model "
		    "follows it only on reload)");
		return NULL;
	}
	cw = xcalloc(1, sizeof *cw);
	cw->loop = loop;
	cw->fn = fn;
	cw->arg = arg;
	cw->fd = fd;
	ev_io_init(&cw->io, hsd_confwatch_io_cb, fd, EV_READ);
	cw->io.data = cw;
	ev_io_start(loop, &cw->io);
	ev_timer_init(&cw->quiet, hsd_confwatch_quiet_cb, HSD_CONFWATCH_QUIET,
	    0);
	cw->quiet.data = cw;
	return cw;
}

static void
hsd_confwatch_clear(struct hsd_confwatch *cw)
{
	size_t	 i;

	for (i = 0; i < cw->n; i++) {
		(void)inotify_rm_watch(cw->fd, cw->wd[i]);
		free(cw->dir[i]);
	}
	cw->n = 0;
}

/* Watch DIR (the directory part of path) once. */
static void
hsd_confwatch_add(struct hsd_confwatch *cw, const char *path)
{
	char	*dir;
	size_t	 i;
	int	 wd;

	dir = hsd_glob_dir(path);
	for (i = 0; i < cw->n; i++)
		if (strcmp(cw->dir[i], dir) == 0)
			break;
	if (i < cw->n || cw->n == HSD_CONFWATCH_MAX_DIRS) {
		free(dir);
		return;
	}
	if ((wd = inotify_add_watch(cw->fd, dir, HSD_CONFWATCH_EVENTS)) ==
	    -1) {
		log_debug("inotify_add_watch %s: %s", dir, strerror(errno));
		free(dir);
		return;
	}
	for (i = 0; i < cw->n; i++)
		if (cw->wd[i] == wd)
			break;		/* the same directory by another name */
	if (i < cw->n) {
		free(dir);
		return;
	}
	cw->wd[cw->n] = wd;
	cw->dir[cw->n++] = dir;
}

void
hsd_confwatch_set(struct hsd_confwatch *cw, char *const *files, size_t n)
{
	char	 real[PATH_MAX];
	size_t	 i;

	if (cw == NULL)
		return;
	hsd_confwatch_clear(cw);
	for (i = 0; i < n; i++) {
		hsd_confwatch_add(cw, files[i]);
		/* A symlink (sites-enabled/x -> ../sites-available/x): the
		 * file is edited where it lives. */
		if (realpath(files[i], real) != NULL)
			hsd_confwatch_add(cw, real);
	}
}

size_t
hsd_confwatch_count(const struct hsd_confwatch *cw)
{
	return cw != NULL ? cw->n : 0;
}

void
hsd_confwatch_free(struct hsd_confwatch *cw)
{
	if (cw == NULL)
		return;
	ev_io_stop(cw->loop, &cw->io);
	ev_timer_stop(cw->loop, &cw->quiet);
	hsd_confwatch_clear(cw);
	close(cw->fd);
	free(cw->what);
	free(cw);
}
