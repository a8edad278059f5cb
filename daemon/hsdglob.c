/*
 * hswatchd: error_log globs (hsdglob.h).
 */
#include "config.h"

#include <sys/inotify.h>

#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "hsdglob.h"
#include "hswatch/xmalloc.h"

/* Changes in a burst (kubelet: a new file, then a symlink) are one. */
#define HSDGLOB_SETTLE	0.05

struct hsd_globwatch {
	struct ev_loop		*loop;
	int			 fd;
	ev_io			 io;
	ev_timer		 settle;
	hsd_globwatch_fn	*fn;
	void			*arg;
	char			**dirs;
	size_t			 ndirs;
};

int
hsd_glob_is(const char *path)
{
	return strpbrk(path, "*?[") != NULL;
}

static int
bytewise(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t
hsd_glob_expand(const char *pattern, char ***out)
{
	glob_t	 g;
	size_t	 i, n = 0;

	*out = NULL;
	memset(&g, 0, sizeof g);
	if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0) {
		globfree(&g);
		return 0;
	}
	*out = xcalloc(g.gl_pathc > 0 ? g.gl_pathc : 1, sizeof **out);
	for (i = 0; i < g.gl_pathc; i++)
		(*out)[n++] = xstrdup(g.gl_pathv[i]);
	globfree(&g);
	qsort(*out, n, sizeof **out, bytewise);
	return n;
}

void
hsd_glob_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
hsdglob_settle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hsd_globwatch	*gw = w->data;

	(void)loop;
	(void)revents;
	gw->fn(gw->arg);
}

static void
hsdglob_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hsd_globwatch	*gw = w->data;
	char			 buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t			 n;
	int			 any = 0;

	(void)revents;
	while ((n = read(gw->fd, buf, sizeof buf)) > 0)
		any = 1;
	if (any && !ev_is_active(&gw->settle)) {
		ev_timer_set(&gw->settle, HSDGLOB_SETTLE, 0.);
		ev_timer_start(loop, &gw->settle);
	}
}

struct hsd_globwatch *
hsd_globwatch_new(struct ev_loop *loop, hsd_globwatch_fn *fn, void *arg,
    char **cause)
{
	struct hsd_globwatch	*gw;

	gw = xcalloc(1, sizeof *gw);
	if ((gw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		xasprintf(cause, "inotify_init1: %s", strerror(errno));
		free(gw);
		return NULL;
	}
	gw->loop = loop;
	gw->fn = fn;
	gw->arg = arg;
	ev_io_init(&gw->io, hsdglob_io_cb, gw->fd, EV_READ);
	gw->io.data = gw;
	ev_io_start(loop, &gw->io);
	ev_init(&gw->settle, hsdglob_settle_cb);
	gw->settle.data = gw;
	return gw;
}

char *
hsd_glob_dir(const char *path)
{
	const char	*slash;

	if ((slash = strrchr(path, '/')) == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
hsd_globwatch_add(struct hsd_globwatch *gw, const char *pattern,
    char **cause)
{
	char	*dir;
	size_t	 i;

	dir = hsd_glob_dir(pattern);
	if (hsd_glob_is(dir)) {
		xasprintf(cause, "%s: only the last component of an error_log "
		    "pattern may hold wildcards (new files are not seen)",
		    pattern);
		free(dir);
		return -1;
	}
	for (i = 0; i < gw->ndirs; i++)
		if (strcmp(gw->dirs[i], dir) == 0) {
			free(dir);
			return 0;
		}
	if (inotify_add_watch(gw->fd, dir, IN_CREATE | IN_MOVED_TO |
	    IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR) < 0) {
		xasprintf(cause, "%s: cannot watch: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	gw->dirs = xreallocarray(gw->dirs, gw->ndirs + 1, sizeof *gw->dirs);
	gw->dirs[gw->ndirs++] = dir;
	return 0;
}

void
hsd_globwatch_free(struct hsd_globwatch *gw)
{
	size_t	 i;

	if (gw == NULL)
		return;
	ev_io_stop(gw->loop, &gw->io);
	ev_timer_stop(gw->loop, &gw->settle);
	close(gw->fd);
	for (i = 0; i < gw->ndirs; i++)
		free(gw->dirs[i]);
	free(gw->dirs);
	free(gw);
}
