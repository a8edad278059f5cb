/*
 * Append-only output files of records that end in '\n' (JSON lines).
 * A record is in the file whole or not at all: a write cut short (a
 * full disk) is undone at once, and a torn last record (a crash
 * mid-write, or an undo that failed) is cut off before anything else is
 * written, and at open.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hswatch/outfile.h"
#include "hswatch/outlock.h"
#include "hswatch/xmalloc.h"

#define OUTFILE_TAIL	65536	/* bytes read back to find a record end */

struct outfile {
	char		*path;
	int		 fd;
	int		 torn;		/* the last record may be cut */
	uint64_t	 repaired;	/* bytes of torn records cut off */
};

/*
 * Cut a torn last record off: truncate after the last '\n' (to 0 when
 * there is none). 0 when the file ends a record (again); -1 when it
 * could not be checked or cut (try again before the next write).
 */
static int
outfile_repair(struct outfile *of)
{
	struct stat	 sb;
	char		*b;
	off_t		 end, from, keep = 0;
	ssize_t		 r, i;
	int		 last = 1;

	if (of->fd == STDOUT_FILENO)
		return 0;
	if (fstat(of->fd, &sb) != 0)
		return -1;
	if (!S_ISREG(sb.st_mode) || sb.st_size == 0)
		return 0;
	b = xmalloc(OUTFILE_TAIL);
	for (end = sb.st_size; end > 0; end = from) {
		from = end > OUTFILE_TAIL ? end - OUTFILE_TAIL : 0;
		r = pread(of->fd, b, (size_t)(end - from), from);
		if (r != end - from) {
			free(b);
			return -1;
		}
		if (last && b[r - 1] == '\n') {
			free(b);
			return 0;	/* ends a record */
		}
		last = 0;
		for (i = r - 1; i >= 0; i--)
			if (b[i] == '\n')
				break;
		if (i >= 0) {
			keep = from + i + 1;
			break;
		}
	}
	free(b);
	if (ftruncate(of->fd, keep) != 0)
		return -1;
	of->repaired += (uint64_t)(sb.st_size - keep);
	return 0;
}

/* Open path for appending ("-": stdout). */
static int
outfile_fd(const char *path, char **cause)
{
	int	 fd;

	if (strcmp(path, "-") == 0)
		return STDOUT_FILENO;
	/* Read and write: a torn last record is found by reading back. */
	fd = open(path, O_RDWR|O_APPEND|O_CREAT|O_CLOEXEC|O_NOCTTY, 0640);
	if (fd < 0 && errno == EACCES)
		fd = open(path, O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC|O_NOCTTY,
		    0640);
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
	if (fd != STDOUT_FILENO && outlock_fd(fd, path, cause) != 0) {
		close(fd);
		return NULL;
	}
	of = xcalloc(1, sizeof *of);
	of->path = xstrdup(path);
	of->fd = fd;
	of->torn = outfile_repair(of) != 0;
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

uint64_t
outfile_repaired(const struct outfile *of)
{
	return of->repaired;
}

int
outfile_write(struct outfile *of, const void *p, size_t n, char **cause)
{
	const char	*s = p;
	struct stat	 sb;
	ssize_t		 r;
	size_t		 done = 0;
	int		 e;

	if (of->torn) {
		if (outfile_repair(of) != 0) {
			xasprintf(cause, "%s: cannot cut off a torn record: "
			    "%s", of->path, strerror(errno));
			return -1;
		}
		of->torn = 0;
	}
	while (done < n) {
		r = write(of->fd, s + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			/* Undo the part written: the record is whole or
			 * absent (O_APPEND: it is the file's end). */
			if (done > 0 && (fstat(of->fd, &sb) != 0 ||
			    (uint64_t)sb.st_size < done ||
			    ftruncate(of->fd, sb.st_size - (off_t)done) != 0))
				of->torn = 1;
			xasprintf(cause, "%s: %s", of->path, strerror(e));
			return -1;
		}
		done += (size_t)r;
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
	if (outlock_same(fd, of->fd)) {
		close(fd);	/* not moved: keep it, and its lock */
		return 0;
	}
	if (outlock_fd(fd, of->path, cause) != 0) {
		close(fd);
		return -1;
	}
	close(of->fd);
	of->fd = fd;
	of->torn = outfile_repair(of) != 0;
	return 0;
}
