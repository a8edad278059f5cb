/*
 * Line reader over a plain or gzip-compressed file.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "hswatch/linereader.h"
#include "hswatch/scan.h"
#include "hswatch/xmalloc.h"

/*
 * Bytes read (or inflated) at once. 64 KiB is past the point where
 * larger reads make replay faster, and this buffer is a good part of
 * hswatch's peak RSS (issue 12: <= 4 MiB).
 */
#define LR_CHUNK	(64 * 1024)

struct linereader {
	char		*path;
	int		 fd;
	int		 gz;		/* input is gzip */
	int		 eof;		/* no more raw input */
	int		 zend;		/* inflate finished the last member */
	z_stream	 zs;
	unsigned char	*zin;		/* compressed input (gzip only) */

	char		*buf;		/* decoded bytes */
	size_t		 start, end;	/* unread part of buf */
	uint64_t	 base;		/* stream offset of buf[0] */
	uint64_t	 consumed;
	uint64_t	 size;
	uint64_t	 overlong;
	int		 skipping;	/* inside the tail of an overlong line */
};

static ssize_t
lr_read(struct linereader *lr, void *p, size_t n, char **cause)
{
	ssize_t	 r;

	do
		r = read(lr->fd, p, n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		xasprintf(cause, "%s: %s", lr->path, strerror(errno));
		return -1;
	}
	lr->consumed += (uint64_t)r;
	return r;
}

struct linereader *
linereader_open(const char *path, char **cause)
{
	struct linereader	*lr;
	struct stat		 st;
	ssize_t			 r;

	lr = xcalloc(1, sizeof *lr);
	lr->path = xstrdup(strcmp(path, "-") == 0 ? "(stdin)" : path);
	if (strcmp(path, "-") == 0)
		lr->fd = STDIN_FILENO;
	else if ((lr->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		linereader_close(lr);
		return NULL;
	}
	if (fstat(lr->fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			xasprintf(cause, "%s: %s", path, strerror(EISDIR));
			linereader_close(lr);
			return NULL;
		}
		if (S_ISREG(st.st_mode))
			lr->size = (uint64_t)st.st_size;
	}
	lr->buf = xmalloc(LR_CHUNK + LINEREADER_MAX);

	/* Sniff the gzip magic from the first bytes, read into buf: a
	 * plain file never needs the second buffer. */
	while (lr->end < 2) {
		r = lr_read(lr, lr->buf + lr->end, LR_CHUNK - lr->end, cause);
		if (r < 0) {
			linereader_close(lr);
			return NULL;
		}
		if (r == 0) {
			lr->eof = 1;
			break;
		}
		lr->end += (size_t)r;
	}
	if (lr->end >= 2 && (unsigned char)lr->buf[0] == 0x1f &&
	    (unsigned char)lr->buf[1] == 0x8b) {
		lr->gz = 1;
		lr->zin = xmalloc(LR_CHUNK);
		memcpy(lr->zin, lr->buf, lr->end);
		if (inflateInit2(&lr->zs, 15 + 32) != Z_OK) {
			xasprintf(cause, "%s: inflateInit2 failed", path);
			linereader_close(lr);
			return NULL;
		}
		lr->zs.next_in = lr->zin;
		lr->zs.avail_in = (uInt)lr->end;
		lr->end = 0;
	}
	return lr;
}

void
linereader_close(struct linereader *lr)
{
	if (lr == NULL)
		return;
	if (lr->gz)
		inflateEnd(&lr->zs);
	if (lr->fd > STDIN_FILENO)
		close(lr->fd);
	free(lr->zin);
	free(lr->buf);
	free(lr->path);
	free(lr);
}

/* Append decoded bytes at buf[end..cap). Returns bytes added, 0, or -1. */
static ssize_t
lr_fill(struct linereader *lr, size_t cap, char **cause)
{
	ssize_t	 r;
	size_t	 room = cap - lr->end;
	int	 zr;

	if (!lr->gz) {
		if (lr->eof)
			return 0;
		if ((r = lr_read(lr, lr->buf + lr->end, room, cause)) <= 0) {
			if (r == 0)
				lr->eof = 1;
			return r;
		}
		lr->end += (size_t)r;
		return r;
	}
	for (;;) {
		if (lr->zs.avail_in == 0 && !lr->eof) {
			if ((r = lr_read(lr, lr->zin, LR_CHUNK, cause)) < 0)
				return -1;
			if (r == 0)
				lr->eof = 1;
			lr->zs.next_in = lr->zin;
			lr->zs.avail_in = (uInt)r;
		}
		if (lr->zs.avail_in == 0 && lr->eof) {
			if (!lr->zend) {
				xasprintf(cause, "%s: truncated gzip data",
				    lr->path);
				lr->zend = 1;	/* report once */
				return -1;
			}
			return 0;
		}
		if (lr->zend) {
			/* Another gzip member follows (concatenated .gz). */
			if (inflateReset(&lr->zs) != Z_OK)
				return -1;
			lr->zend = 0;
		}
		lr->zs.next_out = (Bytef *)lr->buf + lr->end;
		lr->zs.avail_out = (uInt)room;
		zr = inflate(&lr->zs, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			lr->zend = 1;
		else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			xasprintf(cause, "%s: corrupt gzip data: %s", lr->path,
			    lr->zs.msg ? lr->zs.msg : "inflate failed");
			return -1;
		}
		r = (ssize_t)(room - lr->zs.avail_out);
		if (r > 0) {
			lr->end += (size_t)r;
			return r;
		}
		if (lr->zend)
			continue;
		if (lr->zs.avail_in == 0 && !lr->eof)
			continue;
		if (zr == Z_BUF_ERROR && lr->eof) {
			xasprintf(cause, "%s: truncated gzip data", lr->path);
			lr->zend = 1;
			return -1;
		}
	}
}

int
linereader_next(struct linereader *lr, const char **line, size_t *len,
    uint64_t *offset, char **cause)
{
	const size_t	 cap = LR_CHUNK + LINEREADER_MAX;
	char		*nl;
	size_t		 n;
	ssize_t		 r;

	for (;;) {
		n = lr->end - lr->start;
		nl = memchr(lr->buf + lr->start, '\n', n);
		if (lr->skipping) {
			/* Drop the rest of an overlong line. */
			if (nl == NULL) {
				lr->base += lr->end;
				lr->start = lr->end = 0;
			} else {
				lr->start = (size_t)(nl - lr->buf) + 1;
				lr->skipping = 0;
				continue;
			}
		} else if (nl != NULL) {
			*line = lr->buf + lr->start;
			*len = (size_t)(nl - *line);
			*offset = lr->base + lr->start;
			lr->start += *len + 1;
			if (*len > LINEREADER_MAX) {
				*len = LINEREADER_MAX;
				lr->overlong++;
			}
			return 1;
		} else if (n >= LINEREADER_MAX) {
			*line = lr->buf + lr->start;
			*len = LINEREADER_MAX;
			*offset = lr->base + lr->start;
			lr->start += LINEREADER_MAX;
			lr->skipping = 1;
			lr->overlong++;
			return 1;
		}
		/* Move the partial line to the front, then read more. */
		if (lr->start > 0 && !lr->skipping) {
			memmove(lr->buf, lr->buf + lr->start, n);
			lr->base += lr->start;
			lr->start = 0;
			lr->end = n;
		}
		if ((r = lr_fill(lr, cap, cause)) < 0)
			return -1;
		if (r == 0) {
			n = lr->end - lr->start;
			if (n == 0 || lr->skipping)
				return 0;
			*line = lr->buf + lr->start;
			*len = n;
			*offset = lr->base + lr->start;
			lr->start = lr->end;
			return 1;
		}
	}
}

/*
 * Skip whole lines without SCAN_LITERAL: one search over the buffer,
 * the lines before the first hit (or before the last '\n' when there is
 * none) counted in bulk. Stops at the start of the line that holds the
 * literal, at a line too long for the buffer, inside the tail of a cut
 * line, or at the end of the input: linereader_next() reads on from
 * there. A skipped line is no event (scan.h), so nothing else is needed
 * of it: the caller adds *skipped to its line numbers.
 */
int
linereader_skip(struct linereader *lr, uint64_t *skipped, char **cause)
{
	const size_t	 cap = LR_CHUNK + LINEREADER_MAX;
	const char	*b, *hit, *ls;
	size_t		 n, nl, from = 0;
	ssize_t		 r;

	*skipped = 0;
	for (;;) {
		if (lr->skipping)
			return 0;
		b = lr->buf + lr->start;
		n = lr->end - lr->start;
		/*
		 * One pass: the hit and the newlines before it. [b, b +
		 * from) is the part of a partial line searched before, less
		 * the literal's length - 1 (it may straddle the new data):
		 * no newline there. The newlines before the hit are those
		 * before its line.
		 */
		hit = scan_find_nl(b + from, n - from, &nl);
		*skipped += nl;
		if (hit != NULL) {
			ls = memrchr(b, '\n', (size_t)(hit - b));
			ls = ls != NULL ? ls + 1 : b;
			lr->start += (size_t)(ls - b);
			return 0;
		}
		if ((ls = memrchr(b, '\n', n)) != NULL) {
			lr->start += (size_t)(ls + 1 - b);
			b = lr->buf + lr->start;
			n = lr->end - lr->start;
		}
		/* n bytes of one partial line are left. */
		if (n >= LINEREADER_MAX)
			return 0;
		from = n >= SCAN_LITERAL_LEN ? n - SCAN_LITERAL_LEN + 1 : 0;
		if (lr->start > 0) {
			memmove(lr->buf, b, n);
			lr->base += lr->start;
			lr->start = 0;
			lr->end = n;
		}
		if ((r = lr_fill(lr, cap, cause)) < 0)
			return -1;
		if (r == 0)
			return 0;
	}
}

uint64_t
linereader_consumed(const struct linereader *lr)
{
	return lr->consumed;
}

uint64_t
linereader_size(const struct linereader *lr)
{
	return lr->size;
}

uint64_t
linereader_overlong(const struct linereader *lr)
{
	return lr->overlong;
}
