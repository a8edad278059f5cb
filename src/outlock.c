/*
 * Output locks (see outlock.h).
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hswatch/outlock.h"
#include "hswatch/xmalloc.h"

int
outlock_fd(int fd, const char *path, char **cause)
{
	struct stat	 sb;

	/* A pipe, a terminal, /dev/null: nothing to share by mistake. */
	if (fstat(fd, &sb) == 0 && !S_ISREG(sb.st_mode))
		return 0;
	while (flock(fd, LOCK_EX|LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			xasprintf(cause, "%s: another hswatchd writes it "
			    "(locked); each output needs its own daemon", path);
		else
			xasprintf(cause, "%s: lock: %s", path,
			    strerror(errno));
		return -1;
	}
	return 0;
}

int
outlock_file(const char *path, const char *what, char **cause)
{
	int	 fd;

	fd = open(path, O_RDWR|O_CREAT|O_CLOEXEC|O_NOCTTY, 0644);
	if (fd < 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX|LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			xasprintf(cause, "%s: another hswatchd writes it (%s "
			    "is locked); each output needs its own daemon",
			    what, path);
		else
			xasprintf(cause, "%s: lock: %s", path,
			    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
outlock_same(int fd, int other)
{
	struct stat	 a, b;

	return fd >= 0 && other >= 0 && fstat(fd, &a) == 0 &&
	    fstat(other, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino;
}
