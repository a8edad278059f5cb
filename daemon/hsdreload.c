/*
 * The model of a reload, built off the loop (hsdreload.h).
 *
 * States: IDLE; CMD (the child runs: ev_io reads its output, ev_child
 * sees it exit, ev_timer is its deadline); BUILD (a thread loads the
 * tree and builds the model; ev_async says it is done). One request at
 * a time; a newer one waits in next and replaces the result of the
 * running one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ev.h>

#include "hsdreload.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/nginxver.h"
#include "hswatch/settings.h"
#include "hswatch/xmalloc.h"

/* An nginx -T larger than this is refused (as hsdalerts does). */
#define RELOAD_MAX_OUTPUT	(64u << 20)
/* Read at most this much per callback: no turn is long. */
#define RELOAD_READ_CHUNK	(1u << 20)

extern char **environ;

/* What to build: a copy of the settings that say it. */
struct request {
	char		*cmd;		/* nginx_t_command, or NULL */
	char		*config;	/* nginx_config, or NULL */
	char		*version;	/* nginx_version, or NULL: nginx -v */
	double		 timeout;	/* seconds, for cmd */
};

enum state { IDLE, CMD, BUILD };

struct hsd_reload {
	struct ev_loop	*loop;
	hsd_reload_fn	*fn;
	void		*arg;
	enum state	 state;
	struct request	*cur, *next;

	/* CMD */
	pid_t		 pid;
	int		 fd;
	char		*out;
	size_t		 n, cap;
	int		 eof, exited, status, failed;
	char		*cause;
	ev_io		 io_w;
	ev_child	 child_w;
	ev_timer	 timer_w;

	/* BUILD: written by the thread, read on the loop after join. */
	pthread_t	 thread;
	pthread_t	 retire_t;	/* frees a replaced model */
	int		 retiring;
	ev_async	 async_w;
	struct confmodel *model;
	char		*bcause;
};

static void	 next_step(struct hsd_reload *);

static void
request_free(struct request *r)
{
	if (r == NULL)
		return;
	free(r->cmd);
	free(r->config);
	free(r->version);
	free(r);
}

static struct request *
request_new(const struct settings *s)
{
	struct request	*r;

	r = xcalloc(1, sizeof *r);
	if (s->nginx_t_command != NULL)
		r->cmd = xstrdup(s->nginx_t_command);
	else if (s->nginx_config != NULL)
		r->config = xstrdup(s->nginx_config);
	if (s->nginx_version != NULL)
		r->version = xstrdup(s->nginx_version);
	r->timeout = s->nginx_t_timeout;
	return r;
}

/* Deliver a result of the current request (or drop it: a newer waits). */
static void
deliver(struct hsd_reload *rl, struct confmodel *m, char *cause)
{
	struct request	*r = rl->cur;
	const char	*src;

	rl->cur = NULL;
	rl->state = IDLE;
	if (rl->next != NULL) {
		/* Superseded: the newer request is what counts. */
		hsd_reload_retire(rl, m);
		free(cause);
	} else {
		src = r->cmd != NULL ? r->cmd : r->config;
		rl->fn(m, cause, src, rl->arg);
	}
	request_free(r);
	next_step(rl);
}

/* ---- the build thread ------------------------------------------------- */

static void *
build_thread(void *arg)
{
	struct hsd_reload	*rl = arg;
	struct request		*r = rl->cur;
	struct conftree		*t;
	char			*version, *cause = NULL;

	if (r->cmd != NULL)
		t = confload_dump(rl->out, rl->n, NULL, &cause);
	else
		t = confload_files(r->config, NULL, &cause);
	if (t != NULL) {
		version = r->version != NULL ? xstrdup(r->version) :
		    nginxver_installed();
		rl->model = confmodel_new(t, version, &cause);
		free(version);
	}
	rl->bcause = cause;
	ev_async_send(rl->loop, &rl->async_w);
	return NULL;
}

static void
async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct hsd_reload	*rl = w->data;
	struct confmodel	*m;
	char			*cause;

	(void)loop;
	(void)revents;
	if (rl->state != BUILD)
		return;
	pthread_join(rl->thread, NULL);
	free(rl->out);
	rl->out = NULL;
	rl->n = rl->cap = 0;
	m = rl->model;
	cause = rl->bcause;
	rl->model = NULL;
	rl->bcause = NULL;
	if (m == NULL && cause == NULL)
		cause = xstrdup("the model was not built");
	deliver(rl, m, cause);
}

static void
build_start(struct hsd_reload *rl)
{
	sigset_t	 all, old;
	int		 rc;

	rl->state = BUILD;
	rl->model = NULL;
	rl->bcause = NULL;
	/* The thread takes no signal: they are the loop's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&rl->thread, NULL, build_thread, rl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		char	*cause;

		xasprintf(&cause, "cannot start the model build: %s",
		    strerror(rc));
		free(rl->out);
		rl->out = NULL;
		rl->n = rl->cap = 0;
		rl->state = IDLE;
		deliver(rl, NULL, cause);
	}
}

/* ---- the command ------------------------------------------------------ */

/* The child is reaped and its output read (or it failed): go on. */
static void
cmd_maybe_done(struct hsd_reload *rl)
{
	char	*cause;

	if (!rl->exited || (!rl->eof && !rl->failed))
		return;
	ev_timer_stop(rl->loop, &rl->timer_w);
	if (rl->fd != -1) {
		ev_io_stop(rl->loop, &rl->io_w);
		close(rl->fd);
		rl->fd = -1;
	}
	if (!rl->failed && (!WIFEXITED(rl->status) ||
	    WEXITSTATUS(rl->status) != 0)) {
		rl->failed = 1;
		xasprintf(&rl->cause, "%s: command failed", rl->cur->cmd);
	}
	if (rl->failed) {
		cause = rl->cause;
		rl->cause = NULL;
		free(rl->out);
		rl->out = NULL;
		rl->n = rl->cap = 0;
		rl->state = IDLE;
		deliver(rl, NULL, cause);
		return;
	}
	build_start(rl);
}

/* Kill the command's process group; ev_child still reaps it. */
static void
cmd_fail(struct hsd_reload *rl, const char *why)
{
	if (rl->failed)
		return;
	rl->failed = 1;
	xasprintf(&rl->cause, "%s: %s", rl->cur->cmd, why);
	(void)kill(-rl->pid, SIGKILL);
	if (rl->fd != -1) {
		ev_io_stop(rl->loop, &rl->io_w);
		close(rl->fd);
		rl->fd = -1;
	}
	ev_timer_stop(rl->loop, &rl->timer_w);
	cmd_maybe_done(rl);
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hsd_reload	*rl = w->data;
	size_t			 got = 0;
	ssize_t			 r;

	(void)loop;
	(void)revents;
	while (got < RELOAD_READ_CHUNK) {
		if (rl->cap - rl->n < 65536) {
			rl->cap = rl->cap ? rl->cap * 2 : 262144;
			rl->out = xreallocarray(rl->out, rl->cap, 1);
		}
		r = read(rl->fd, rl->out + rl->n, rl->cap - rl->n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			return;
		if (r <= 0) {
			rl->eof = 1;
			ev_io_stop(rl->loop, &rl->io_w);
			close(rl->fd);
			rl->fd = -1;
			cmd_maybe_done(rl);
			return;
		}
		rl->n += (size_t)r;
		got += (size_t)r;
		if (rl->n > RELOAD_MAX_OUTPUT) {
			cmd_fail(rl, "output too large");
			return;
		}
	}
}

static void
child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct hsd_reload	*rl = w->data;

	(void)revents;
	ev_child_stop(loop, w);
	rl->exited = 1;
	rl->status = w->rstatus;
	/* What is left in the pipe (a pipeline's other members may hold
	 * it open: their group is killed by the deadline). */
	cmd_maybe_done(rl);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hsd_reload	*rl = w->data;
	char			 why[64];

	(void)loop;
	(void)revents;
	snprintf(why, sizeof why, "no answer within %.0f s (killed)",
	    rl->cur->timeout);
	cmd_fail(rl, why);
}

static void
cmd_start(struct hsd_reload *rl)
{
	static char			 a0[] = "sh", a1[] = "-c";
	char				*argv[] = { a0, a1, NULL, NULL };
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	char				*cause;
	int				 fd[2], rc;

	if (pipe2(fd, O_CLOEXEC) == -1) {
		xasprintf(&cause, "%s: %s", rl->cur->cmd, strerror(errno));
		deliver(rl, NULL, cause);
		return;
	}
	argv[2] = rl->cur->cmd;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = posix_spawn(&rl->pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (rc != 0) {
		close(fd[0]);
		xasprintf(&cause, "%s: %s", rl->cur->cmd, strerror(rc));
		deliver(rl, NULL, cause);
		return;
	}
	(void)fcntl(fd[0], F_SETFL, fcntl(fd[0], F_GETFL) | O_NONBLOCK);
	rl->state = CMD;
	rl->fd = fd[0];
	rl->n = rl->cap = 0;
	rl->out = NULL;
	rl->eof = rl->exited = rl->failed = 0;
	rl->status = 0;
	ev_io_init(&rl->io_w, io_cb, rl->fd, EV_READ);
	rl->io_w.data = rl;
	ev_io_start(rl->loop, &rl->io_w);
	ev_child_init(&rl->child_w, child_cb, rl->pid, 0);
	rl->child_w.data = rl;
	ev_child_start(rl->loop, &rl->child_w);
	ev_timer_init(&rl->timer_w, timer_cb, rl->cur->timeout, 0.);
	rl->timer_w.data = rl;
	ev_timer_start(rl->loop, &rl->timer_w);
}

/* ---- requests --------------------------------------------------------- */

static void
next_step(struct hsd_reload *rl)
{
	if (rl->state != IDLE || rl->next == NULL)
		return;
	rl->cur = rl->next;
	rl->next = NULL;
	if (rl->cur->cmd != NULL)
		cmd_start(rl);
	else if (rl->cur->config != NULL)
		build_start(rl);
	else
		deliver(rl, NULL, NULL);	/* none configured */
}

struct hsd_reload *
hsd_reload_new(struct ev_loop *loop, hsd_reload_fn *fn, void *arg)
{
	struct hsd_reload	*rl;

	rl = xcalloc(1, sizeof *rl);
	rl->loop = loop;
	rl->fn = fn;
	rl->arg = arg;
	rl->fd = -1;
	ev_async_init(&rl->async_w, async_cb);
	rl->async_w.data = rl;
	ev_async_start(loop, &rl->async_w);
	/* Not a reason to keep the loop running. */
	ev_unref(loop);
	return rl;
}

void
hsd_reload_start(struct hsd_reload *rl, const struct settings *s)
{
	request_free(rl->next);
	rl->next = request_new(s);
	next_step(rl);
}

int
hsd_reload_busy(const struct hsd_reload *rl)
{
	return rl->state != IDLE || rl->next != NULL;
}

void
hsd_reload_free(struct hsd_reload *rl)
{
	if (rl == NULL)
		return;
	request_free(rl->next);
	rl->next = NULL;
	if (rl->state == CMD) {
		(void)kill(-rl->pid, SIGKILL);
		ev_timer_stop(rl->loop, &rl->timer_w);
		if (rl->fd != -1) {
			ev_io_stop(rl->loop, &rl->io_w);
			close(rl->fd);
		}
		if (!rl->exited) {
			ev_child_stop(rl->loop, &rl->child_w);
			while (waitpid(rl->pid, NULL, 0) == -1 &&
			    errno == EINTR)
				;
		}
	} else if (rl->state == BUILD) {
		pthread_join(rl->thread, NULL);
		confmodel_free(rl->model);
		free(rl->bcause);
	}
	if (rl->retiring)
		pthread_join(rl->retire_t, NULL);
	free(rl->out);
	free(rl->cause);
	request_free(rl->cur);
	ev_ref(rl->loop);
	ev_async_stop(rl->loop, &rl->async_w);
	free(rl);
}

static void *
free_thread(void *arg)
{
	confmodel_free(arg);
	return NULL;
}

void
hsd_reload_retire(struct hsd_reload *rl, struct confmodel *m)
{
	sigset_t	 all, old;
	int		 rc;

	if (m == NULL)
		return;
	if (rl->retiring) {
		/* The one before: long done, in practice. */
		pthread_join(rl->retire_t, NULL);
		rl->retiring = 0;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&rl->retire_t, NULL, free_thread, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		confmodel_free(m);
	else
		rl->retiring = 1;
}
