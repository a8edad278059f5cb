/*
 * Append-only output files.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hswatch/outfile.h"
#include "hswatch/xmalloc.h"

struct outfile {
	char	*path;
	int	 fd;
};

/* Open path for appending ("-": stdout). */
static int
outfile_fd(const char *path, char **cause)
{
	int	 fd;

	if (strcmp(path, "-") == 0)
		return STDOUT_FILENO;
	fd = open(path, O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC|O_NOCTTY, 0640);
	if (fd < 0)
		xasprintf(cause, "%s: %s", path, strerror(errno));
	return fd;
}

struct outfile *
outfile_open(const char *path, char **cause)
{
	struct outfile	*of;
	int		 fd;

	if ((fd = outfile_fd(path, cause)) < 0)
		return NULL;
	of = xcalloc(1, sizeof *of);
	of->path = xstrdup(path);
	of->fd = fd;
	return of;
}

void
outfile_close(struct outfile *of)
{
	if (of == NULL)
		return;
	if (of->fd != STDOUT_FILENO)
		close(of->fd);
	free(of->path);
	free(of);
}

const char *
outfile_path(const struct outfile *of)
{
	return of->path;
}

int
outfile_write(struct outfile *of, const void *p, size_t n, char **cause)
{
	const char	*s = p;
	ssize_t		 r;

	while (n > 0) {
		r = write(of->fd, s, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			xasprintf(cause, "%s: %s", of->path, strerror(errno));
			return -1;
		}
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

int
outfile_reopen(struct outfile *of, char **cause)
{
	int	 fd;

	if (of->fd == STDOUT_FILENO)
		return 0;
	if ((fd = outfile_fd(of->path, cause)) < 0)
		return -1;
	close(of->fd);
	of->fd = fd;
	return 0;
}
