/*
 * hsdconfwatch: the modelled nginx configuration changed on disk (see
 * hsdconfwatch.h).
 */
#include "config.h"

#include <sys/inotify.h>

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "hsdconfwatch.h"
#include "hsdglob.h"
#include "hswatch/log.h"
#include "hswatch/strmap.h"
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
	/*
	 * What a change must be to count: one of the files, by the name
	 * given or resolved (paths: "WD/NAME", WD its directory's watch),
	 * or a name an include's pattern matches (globs, against
	 * "DIR/NAME"); all: anything in the directories watched.
	 */
	struct strmap		*paths;
	char			**globs;
	size_t			 nglobs;
	int			 all;
};

/* "DIR/NAME" (one "/" after the root). */
static char *
hsd_confwatch_join(const char *dir, const char *name)
{
	char	*p;

	xasprintf(&p, "%s%s%s", dir, dir[0] != '\0' &&
	    dir[strlen(dir) - 1] == '/' ? "" : "/", name);
	return p;
}

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

/*
 * Does the change count? A directory's own removal or move does, and a
 * lost queue (IN_Q_OVERFLOW); a name in it when it is one of the files
 * or matches a pattern (a log, --events or a state file next to
 * nginx.conf, an editor's swap file, a disabled site's file do not).
 * Then name the first change of a burst: "DIR/NAME".
 */
static int
hsd_confwatch_note(struct hsd_confwatch *cw, const struct inotify_event *e)
{
	char	*path;
	size_t	 i;
	int	 counts;

	if (e->mask & IN_Q_OVERFLOW) {
		if (cw->what == NULL)
			cw->what = xstrdup("(changes lost: inotify queue "
			    "overflow)");
		return 1;
	}
	for (i = 0; i < cw->n; i++)
		if (cw->wd[i] == e->wd)
			break;
	if (i == cw->n)
		return 0;	/* a watch dropped since */
	if (e->len == 0 || e->name[0] == '\0') {
		if (cw->what == NULL)
			cw->what = xstrdup(cw->dir[i]);
		return 1;
	}
	xasprintf(&path, "%d/%s", e->wd, e->name);
	counts = cw->all || strmap_get(cw->paths, path) != NULL;
	free(path);
	path = hsd_confwatch_join(cw->dir[i], e->name);
	for (i = 0; !counts && i < cw->nglobs; i++)
		counts = fnmatch(cw->globs[i], path,
		    FNM_PATHNAME | FNM_PERIOD) == 0;
	if (counts && cw->what == NULL)
		cw->what = path;
	else
		free(path);
	return counts;
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
			if (hsd_confwatch_note(cw, e))
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
	cw->paths = strmap_new();
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
	strmap_free(cw->paths, NULL);
	cw->paths = strmap_new();
	for (i = 0; i < cw->nglobs; i++)
		free(cw->globs[i]);
	free(cw->globs);
	cw->globs = NULL;
	cw->nglobs = 0;
	cw->all = 0;
}

/*
 * A change to NAME in the directory of watch wd counts: the key is the
 * watch and the name, so that a directory with two names (a symlinked
 * /etc/nginx) matches whichever name the watch was made by.
 */
static void
hsd_confwatch_path(struct hsd_confwatch *cw, int wd, const char *path)
{
	char		*k;
	const char	*base;

	if (wd == -1)
		return;
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	xasprintf(&k, "%d/%s", wd, base);
	strmap_put(cw->paths, k, cw);
	free(k);
}

/* Watch DIR (the directory part of path) once; its watch, or -1. */
static int
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
		return i < cw->n ? cw->wd[i] : -1;
	}
	if ((wd = inotify_add_watch(cw->fd, dir, HSD_CONFWATCH_EVENTS)) ==
	    -1) {
		log_debug("inotify_add_watch %s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	for (i = 0; i < cw->n; i++)
		if (cw->wd[i] == wd)
			break;		/* the same directory by another name */
	if (i < cw->n) {
		free(dir);
		return wd;
	}
	cw->wd[cw->n] = wd;
	cw->dir[cw->n++] = dir;
	return wd;
}

void
hsd_confwatch_set(struct hsd_confwatch *cw, char *const *files, size_t n,
    char *const *globs, size_t nglobs, int all)
{
	char	 real[PATH_MAX], *dir;
	size_t	 i;

	if (cw == NULL)
		return;
	hsd_confwatch_clear(cw);
	cw->all = all;
	for (i = 0; i < n; i++) {
		hsd_confwatch_path(cw, hsd_confwatch_add(cw, files[i]),
		    files[i]);
		/* A symlink (sites-enabled/x -> ../sites-available/x): the
		 * file is edited where it lives. */
		if (realpath(files[i], real) != NULL)
			hsd_confwatch_path(cw, hsd_confwatch_add(cw, real),
			    real);
	}
	for (i = 0; i < nglobs; i++) {
		/* Its directory too, when it has no wildcard: a first file
		 * in an empty conf.d/ is seen. */
		dir = hsd_glob_dir(globs[i]);
		if (!hsd_glob_is(dir))
			hsd_confwatch_add(cw, globs[i]);
		free(dir);
		cw->globs = xreallocarray(cw->globs, cw->nglobs + 1,
		    sizeof *cw->globs);
		cw->globs[cw->nglobs++] = xstrdup(globs[i]);
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
	strmap_free(cw->paths, NULL);
	close(cw->fd);
	free(cw->what);
	free(cw);
}
