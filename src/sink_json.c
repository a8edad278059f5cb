/*
 * The JSON lines sink: one finding_json() object per state change, to a
 * file opened for appending (reopened on SIGHUP, after logrotate) or to
 * stdout. Each line goes out in one write(2) so concurrent appenders do
 * not interleave.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hswatch/buf.h"
#include "hswatch/finding.h"
#include "hswatch/outlock.h"
#include "hswatch/sink.h"
#include "hswatch/xmalloc.h"

struct sink_json {
	char		*path;		/* NULL: stdout */
	int		 fd;
	struct buf	 line;
};

static int
json_open(struct sink_json *sj, char **cause)
{
	if (sj->path == NULL) {
		sj->fd = STDOUT_FILENO;
		return 0;
	}
	sj->fd = open(sj->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640);
	if (sj->fd == -1) {
		xasprintf(cause, "%s: %s", sj->path, strerror(errno));
		return -1;
	}
	if (outlock_fd(sj->fd, sj->path, cause) != 0) {
		close(sj->fd);
		sj->fd = -1;
		return -1;
	}
	return 0;
}

static void
json_close(struct sink_json *sj)
{
	if (sj->path != NULL && sj->fd != -1)
		close(sj->fd);
	sj->fd = -1;
}

static int
json_emit(struct sink *s, const struct finding *f, enum finding_state st,
    char **cause)
{
	struct sink_json	*sj = s->priv;
	size_t			 off = 0;
	ssize_t			 n;

	if (sj->fd == -1 && json_open(sj, cause) == -1)
		return -1;
	buf_reset(&sj->line);
	finding_json(f, st, &sj->line);
	buf_addc(&sj->line, '\n');
	while (off < sj->line.len) {
		n = write(sj->fd, sj->line.data + off, sj->line.len - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(cause, "%s: %s", sj->path ? sj->path :
			    "stdout", strerror(errno));
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

static int
json_reopen(struct sink *s, char **cause)
{
	struct sink_json	*sj = s->priv;
	int			 fd;

	if (sj->path == NULL || sj->fd == -1) {
		json_close(sj);
		return json_open(sj, cause);
	}
	/* Moved away (logrotate): the new file, locked; else keep ours. */
	fd = open(sj->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", sj->path, strerror(errno));
		return -1;
	}
	if (outlock_same(fd, sj->fd)) {
		close(fd);
		return 0;
	}
	if (outlock_fd(fd, sj->path, cause) != 0) {
		close(fd);
		return -1;
	}
	close(sj->fd);
	sj->fd = fd;
	return 0;
}

static void
json_free(struct sink *s)
{
	struct sink_json	*sj = s->priv;

	json_close(sj);
	buf_free(&sj->line);
	free(sj->path);
	free(sj);
}

static const struct sink_ops json_ops = {
	.name = "json",
	.every_update = 0,
	.emit = json_emit,
	.reopen = json_reopen,
	.free = json_free,
};

/* A JSON lines sink appending to path, or writing to stdout for "-". */
struct sink *
sink_json_new(const char *path, char **cause)
{
	struct sink_json	*sj;

	sj = xcalloc(1, sizeof *sj);
	sj->path = strcmp(path, "-") == 0 ? NULL : xstrdup(path);
	sj->fd = -1;
	buf_init(&sj->line);
	if (json_open(sj, cause) == -1) {
		free(sj->path);
		free(sj);
		return NULL;
	}
	return sink_new(&json_ops, sj);
}
