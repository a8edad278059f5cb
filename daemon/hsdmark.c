/*
 * hswatchd's resume marks (see hsdmark.h).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hsdmark.h"
#include "hswatch/jsonread.h"
#include "hswatch/recent.h"
#include "hswatch/xmalloc.h"

/* A JSON number member as an exact unsigned integer; -1 if not one. */
static int
mark_u64(const struct jsonread *o, const char *key, uint64_t *v)
{
	double	 d = jsonread_num(o, key, -1);

	if (d < 0 || d > 9007199254740992.0)	/* 2^53: exact */
		return -1;
	*v = (uint64_t)d;
	return 0;
}

/* One record: set the mark of its log if not set yet; 1 when set. */
static int
mark_record(const char *p, size_t len, const char *const *logs, unsigned n,
    struct hsd_mark *marks)
{
	struct jsonread	*o;
	struct hsd_mark	 m;
	const char	*file;
	char		*cause = NULL;
	unsigned	 i;
	int		 set = 0;

	if ((o = jsonread_parse(p, len, &cause)) == NULL) {
		free(cause);
		return 0;
	}
	memset(&m, 0, sizeof m);
	if ((file = jsonread_str(o, "file")) != NULL &&
	    mark_u64(o, "file_dev", &m.dev) == 0 &&
	    mark_u64(o, "file_ino", &m.ino) == 0 &&
	    mark_u64(o, "offset", &m.offset) == 0) {
		for (i = 0; i < n; i++) {
			if (!marks[i].on && strcmp(logs[i], file) == 0) {
				m.on = 1;
				marks[i] = m;
				set = 1;
			}
		}
	}
	jsonread_free(o);
	return set;
}

void
hsd_mark_load(const char *events, const char *const *logs, unsigned n,
    struct hsd_mark *marks)
{
	struct stat	 sb;
	char		*b, *end, *p;
	off_t		 from;
	size_t		 len, got = 0;
	ssize_t		 r;
	unsigned	 left = n;
	int		 fd;

	memset(marks, 0, n * sizeof *marks);
	if (events == NULL || n == 0 ||
	    (fd = open(events, O_RDONLY|O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0) {
		close(fd);
		return;
	}
	from = sb.st_size > RECENT_MAX_BYTES ? sb.st_size - RECENT_MAX_BYTES : 0;
	len = (size_t)(sb.st_size - from);
	b = xmalloc(len);
	while (got < len) {
		r = pread(fd, b + got, len - got, from + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	/* From the last complete record back: the last one of each log. */
	end = b + got;
	while (end > b && end[-1] != '\n')
		end--;		/* a torn last record is no record */
	while (end > b && left > 0) {
		end--;		/* its '\n' */
		p = end;
		while (p > b && p[-1] != '\n')
			p--;
		if (p == b && from > 0)
			break;	/* cut by the window's start */
		if (end > p && mark_record(p, (size_t)(end - p), logs, n,
		    marks))
			left--;
		end = p;
	}
	free(b);
}

int
hsd_mark_skip(struct hsd_mark *m, uint64_t dev, uint64_t ino, uint64_t offset)
{
	if (!m->on || dev != m->dev || ino != m->ino)
		return 0;
	if (offset <= m->offset)
		return 1;
	m->on = 0;	/* past the crash point */
	return 0;
}
