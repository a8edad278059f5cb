/*
 * hswatchd's status socket (hsdstatus.h).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "hsdstatus.h"
#include "hswatch/buf.h"
#include "hswatch/log.h"
#include "hswatch/xmalloc.h"

struct hsd_client {
	struct hsd_status	*st;
	int			 fd;
	ev_io			 io;
	ev_timer		 deadline;
	char			 req[HSD_STATUS_REQ_MAX + 1];
	size_t			 reqlen;
	struct buf		 out;
	size_t			 sent;
	int			 writing;
};

struct hsd_status {
	struct ev_loop		*loop;
	char			*path;
	int			 fd;
	ev_io			 accept_io;
	hsd_status_fn		*fn;
	void			*arg;
	struct hsd_client	*clients[HSD_STATUS_CLIENTS];
	unsigned long long	 served;
	unsigned long long	 refused;
};

static void	client_close(struct hsd_client *);

/*
 * The gid of group name: /etc/group first (where sysusers.d and the
 * package put "hswatch"), read without NSS. Else NSS, in a child: its
 * modules stay mapped in whoever loads them (where the group is in no
 * file, glibc loads libnss_systemd and libm for this one lookup: 0.6
 * MiB of the daemon's RSS for its whole life). Returns 0 when found.
 */
static int
group_gid(const char *name, gid_t *gid)
{
	struct group	*gr;
	FILE		*f;
	pid_t		 pid;
	ssize_t		 n;
	int		 p[2], status, found = 0;

	if ((f = fopen("/etc/group", "re")) != NULL) {
		while (!found && (gr = fgetgrent(f)) != NULL)
			if (strcmp(gr->gr_name, name) == 0) {
				*gid = gr->gr_gid;
				found = 1;
			}
		fclose(f);
		if (found)
			return 0;
	}
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		/* The child writes the gid, or nothing: not found. */
		close(p[0]);
		if ((gr = getgrnam(name)) != NULL &&
		    write(p[1], &gr->gr_gid, sizeof gr->gr_gid) == -1)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	do
		n = read(p[0], gid, sizeof *gid);
	while (n == -1 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return n == (ssize_t)sizeof *gid ? 0 : -1;
}

/*
 * Give the socket to the group "hswatch" (0660), else keep it 0600.
 * Under the unit the daemon runs as group hswatch, so the socket is
 * the group's already: no chown, which the unit's SystemCallFilter
 * (~@privileged holds @chown) refuses with EPERM.
 */
static void
status_perms(const char *path)
{
	struct stat	 st;
	gid_t		 gid;

	if (group_gid(HSD_STATUS_GROUP, &gid) == 0 &&
	    ((stat(path, &st) == 0 && st.st_gid == gid) ||
	    chown(path, (uid_t)-1, gid) == 0)) {
		(void)chmod(path, 0660);
		return;
	}
	(void)chmod(path, 0600);
}

/* From reading to writing: the answer has its own deadline. */
static void
client_start_write(struct hsd_client *c)
{
	struct ev_loop	*loop = c->st->loop;

	c->writing = 1;
	c->sent = 0;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, EV_WRITE);
	ev_io_start(loop, &c->io);
	ev_timer_stop(loop, &c->deadline);
	ev_timer_set(&c->deadline, HSD_STATUS_TIMEOUT, 0);
	ev_timer_start(loop, &c->deadline);
}

/* Begin writing the answer (the request is whole). */
static void
client_answer(struct hsd_client *c)
{
	struct hsd_status	*st = c->st;

	c->req[c->reqlen] = '\0';
	st->fn(c->req, &c->out, st->arg);
	client_start_write(c);
}

/* Refuse with a one-line error (the connection is closed after it). */
static void
client_refuse(struct hsd_client *c, const char *why)
{
	buf_reset(&c->out);
	buf_printf(&c->out, "error %s\n", why);
	c->st->refused++;
	client_start_write(c);
}

/* Read the request line; anything but printable ASCII is refused. */
static void
client_read(struct hsd_client *c)
{
	char	*nl;
	ssize_t	 n;
	size_t	 i;

	for (;;) {
		n = read(c->fd, c->req + c->reqlen,
		    HSD_STATUS_REQ_MAX - c->reqlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			client_close(c);
			return;
		}
		if (n == 0) {
			/* The client stopped sending: what it sent is the
			 * request, if anything. */
			if (c->reqlen == 0) {
				client_close(c);
				return;
			}
			break;
		}
		c->reqlen += (size_t)n;
		if ((nl = memchr(c->req, '\n', c->reqlen)) != NULL) {
			c->reqlen = (size_t)(nl - c->req);
			break;
		}
		if (c->reqlen == HSD_STATUS_REQ_MAX) {
			client_refuse(c, "request too long");
			return;
		}
	}
	if (c->reqlen > 0 && c->req[c->reqlen - 1] == '\r')
		c->reqlen--;
	for (i = 0; i < c->reqlen; i++) {
		if (c->req[i] < 0x20 || c->req[i] > 0x7e) {
			client_refuse(c, "bad request");
			return;
		}
	}
	client_answer(c);
}

/* Write what the socket takes; close once everything is out. */
static void
client_write(struct hsd_client *c)
{
	ssize_t	 n;

	while (c->sent < c->out.len) {
		n = send(c->fd, c->out.data + c->sent, c->out.len - c->sent,
		    MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			break;
		}
		c->sent += (size_t)n;
	}
	if (c->sent == c->out.len)
		c->st->served++;
	client_close(c);
}

static void
client_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hsd_client	*c = w->data;

	(void)loop;
	(void)revents;
	if (c->writing)
		client_write(c);
	else
		client_read(c);
}

static void
client_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hsd_client	*c = w->data;

	(void)loop;
	(void)revents;
	c->st->refused++;
	client_close(c);
}

static void
client_close(struct hsd_client *c)
{
	struct hsd_status	*st = c->st;
	unsigned		 i;

	ev_io_stop(st->loop, &c->io);
	ev_timer_stop(st->loop, &c->deadline);
	close(c->fd);
	for (i = 0; i < HSD_STATUS_CLIENTS; i++)
		if (st->clients[i] == c)
			st->clients[i] = NULL;
	buf_free(&c->out);
	free(c);
}

/* Take the connections waiting; beyond the bound, refuse them. */
static void
status_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hsd_status	*st = w->data;
	struct hsd_client	*c;
	unsigned		 i, k;
	int			 fd;
	static const char	 busy[] = "error busy\n";

	(void)revents;
	for (k = 0; k < 4 * HSD_STATUS_CLIENTS; k++) {
		fd = accept4(st->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("status socket %s: accept", st->path);
			return;
		}
		for (i = 0; i < HSD_STATUS_CLIENTS; i++)
			if (st->clients[i] == NULL)
				break;
		if (i == HSD_STATUS_CLIENTS) {
			(void)send(fd, busy, sizeof busy - 1,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			st->refused++;
			continue;
		}
		c = xcalloc(1, sizeof *c);
		c->st = st;
		c->fd = fd;
		buf_init(&c->out);
		ev_io_init(&c->io, client_io_cb, fd, EV_READ);
		c->io.data = c;
		ev_timer_init(&c->deadline, client_deadline_cb,
		    HSD_STATUS_REQ_TIMEOUT, 0);
		c->deadline.data = c;
		ev_io_start(loop, &c->io);
		ev_timer_start(loop, &c->deadline);
		st->clients[i] = c;
	}
}

struct hsd_status *
hsd_status_new(struct ev_loop *loop, const char *path, hsd_status_fn *fn,
    void *arg, char **cause)
{
	struct hsd_status	*st;
	struct sockaddr_un	 sun;
	struct stat		 sb;
	mode_t			 old;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "status socket %s: path longer than %zu "
		    "bytes", path, sizeof sun.sun_path - 1);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* A dead daemon's socket is replaced; anything else is not ours. */
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			xasprintf(cause, "status socket %s: exists and is not "
			    "a socket", path);
			return NULL;
		}
		if (unlink(path) != 0) {
			xasprintf(cause, "status socket %s: %s", path,
			    strerror(errno));
			return NULL;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		xasprintf(cause, "status socket: %s", strerror(errno));
		return NULL;
	}
	/* Nobody else may connect before the mode is set. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		umask(old);
		xasprintf(cause, "status socket %s: %s", path,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	umask(old);
	if (listen(fd, HSD_STATUS_CLIENTS) != 0) {
		xasprintf(cause, "status socket %s: %s", path,
		    strerror(errno));
		close(fd);
		(void)unlink(path);
		return NULL;
	}
	status_perms(path);

	st = xcalloc(1, sizeof *st);
	st->loop = loop;
	st->path = xstrdup(path);
	st->fd = fd;
	st->fn = fn;
	st->arg = arg;
	ev_io_init(&st->accept_io, status_accept_cb, fd, EV_READ);
	st->accept_io.data = st;
	ev_io_start(loop, &st->accept_io);
	return st;
}

void
hsd_status_free(struct hsd_status *st)
{
	unsigned	 i;

	if (st == NULL)
		return;
	for (i = 0; i < HSD_STATUS_CLIENTS; i++)
		if (st->clients[i] != NULL)
			client_close(st->clients[i]);
	ev_io_stop(st->loop, &st->accept_io);
	close(st->fd);
	(void)unlink(st->path);
	free(st->path);
	free(st);
}

const char *
hsd_status_path(const struct hsd_status *st)
{
	return st->path;
}

void
hsd_status_counts(const struct hsd_status *st, unsigned long long *served,
    unsigned long long *refused)
{
	*served = st->served;
	*refused = st->refused;
}
