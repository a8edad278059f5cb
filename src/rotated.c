/*
 * The rotated siblings of a log file (see rotated.h).
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "hswatch/rotated.h"
#include "hswatch/state.h"
#include "hswatch/xmalloc.h"

#define ROTATED_MAX	1024	/* siblings looked at, at most */

static const struct {
	const char		*ext;
	enum rotated_comp	 comp;
} rotated_exts[] = {
	{ ".gz", ROTATED_GZIP },
	{ ".xz", ROTATED_OTHER },
	{ ".zst", ROTATED_OTHER },
	{ ".zstd", ROTATED_OTHER },
	{ ".bz2", ROTATED_OTHER },
	{ ".lz4", ROTATED_OTHER },
	{ ".lzma", ROTATED_OTHER },
	{ ".lz", ROTATED_OTHER },
	{ ".Z", ROTATED_OTHER },
};

/*
 * Is name a rotation of base? Fills comp, num and suffix: ".N" is
 * numbered; "-DATE", ".DATE" or "_DATE" (a digit first) is dated.
 */
static int
rotated_parse(const char *name, const char *base, struct rotated_file *rf)
{
	size_t		 bl = strlen(base), nl = strlen(name), el, i, sl;
	const char	*s;
	char		*end;

	if (nl <= bl || strncmp(name, base, bl) != 0)
		return 0;
	s = name + bl;
	sl = nl - bl;
	rf->comp = ROTATED_PLAIN;
	for (i = 0; i < sizeof rotated_exts / sizeof rotated_exts[0]; i++) {
		el = strlen(rotated_exts[i].ext);
		if (sl > el && strcmp(s + sl - el, rotated_exts[i].ext) == 0) {
			rf->comp = rotated_exts[i].comp;
			sl -= el;
			break;
		}
	}
	if (sl < 2 || (s[0] != '.' && s[0] != '-' && s[0] != '_') ||
	    !isdigit((unsigned char)s[1]))
		return 0;
	rf->suffix = xstrndup(s, sl);
	rf->num = -1;
	if (s[0] == '.') {
		errno = 0;
		rf->num = strtoll(rf->suffix + 1, &end, 10);
		if (errno != 0 || *end != '\0')
			rf->num = -1;	/* .20261202-1: dated */
	}
	return 1;
}

/* Oldest first: higher numbers, then earlier dates. */
static int
rotated_cmp(const void *a, const void *b)
{
	const struct rotated_file	*x = a, *y = b;

	if (x->num >= 0 && y->num >= 0)
		return x->num > y->num ? -1 : x->num < y->num;
	if (x->num >= 0 || y->num >= 0)
		return x->num >= 0 ? -1 : 1;
	return strcmp(x->suffix, y->suffix);
}

void
rotated_list(const char *dir, const char *base, struct rotated *r)
{
	struct rotated_file	 rf;
	struct dirent		*de;
	struct stat		 sb;
	DIR			*d;

	memset(r, 0, sizeof *r);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && r->n < ROTATED_MAX) {
		memset(&rf, 0, sizeof rf);
		if (!rotated_parse(de->d_name, base, &rf))
			continue;
		xasprintf(&rf.path, "%s/%s", dir, de->d_name);
		if (stat(rf.path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			free(rf.path);
			free(rf.suffix);
			continue;
		}
		rf.dev = (uint64_t)sb.st_dev;
		rf.ino = (uint64_t)sb.st_ino;
		rf.size = (uint64_t)sb.st_size;
		r->v = xreallocarray(r->v, r->n + 1, sizeof *r->v);
		r->v[r->n++] = rf;
	}
	closedir(d);
	if (r->n > 1)
		qsort(r->v, r->n, sizeof *r->v, rotated_cmp);
}

void
rotated_free(struct rotated *r)
{
	size_t	 i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].suffix);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* Do the first pos->head_len bytes of rf hash to pos->head_hash? */
static int
rotated_same_head(const struct rotated_file *rf, const struct state_pos *pos)
{
	struct rotated_reader	*rr;
	char			 b[STATE_HEAD_MAX];
	size_t			 got = 0;
	ssize_t			 n;

	if (pos->head_len == 0 || pos->head_len > STATE_HEAD_MAX ||
	    (rr = rotated_open(rf)) == NULL)
		return 0;
	while (got < pos->head_len &&
	    (n = rotated_read(rr, b + got, pos->head_len - got)) > 0)
		got += (size_t)n;
	rotated_close(rr);
	return got == pos->head_len &&
	    state_hash(b, got) == pos->head_hash;
}

ssize_t
rotated_find(const struct rotated *r, const struct state_pos *pos, int *copy)
{
	size_t	 i;

	*copy = 0;
	/* The file itself, renamed (newest first: the likely one). */
	for (i = r->n; i-- > 0;) {
		if (r->v[i].comp != ROTATED_PLAIN || r->v[i].dev != pos->dev ||
		    r->v[i].ino != pos->ino || r->v[i].size < pos->offset)
			continue;
		if (pos->head_len == 0 || rotated_same_head(&r->v[i], pos))
			return (ssize_t)i;
	}
	/* A copy (copytruncate), or the file compressed. */
	for (i = r->n; i-- > 0;) {
		if (r->v[i].comp == ROTATED_OTHER ||
		    (r->v[i].comp == ROTATED_PLAIN &&
		    r->v[i].size < pos->offset))
			continue;
		if (rotated_same_head(&r->v[i], pos)) {
			*copy = 1;
			return (ssize_t)i;
		}
	}
	return -1;
}

struct rotated_reader {
	int		 fd;
	gzFile		 gz;
};

struct rotated_reader *
rotated_open(const struct rotated_file *rf)
{
	struct rotated_reader	*rr;
	int			 fd;

	if (rf->comp == ROTATED_OTHER ||
	    (fd = open(rf->path, O_RDONLY|O_CLOEXEC|O_NONBLOCK)) < 0)
		return NULL;
	rr = xcalloc(1, sizeof *rr);
	rr->fd = fd;
	if (rf->comp == ROTATED_GZIP) {
		if ((rr->gz = gzdopen(fd, "rb")) == NULL) {
			close(fd);
			free(rr);
			return NULL;
		}
		rr->fd = -1;	/* the gzFile owns it */
		(void)gzbuffer(rr->gz, 64 * 1024);
	}
	return rr;
}

ssize_t
rotated_read(struct rotated_reader *rr, void *p, size_t n)
{
	ssize_t	 r;
	int	 g;

	if (rr->gz != NULL) {
		if (n > (1u << 30))
			n = 1u << 30;
		g = gzread(rr->gz, p, (unsigned)n);
		return g < 0 ? -1 : (ssize_t)g;
	}
	do
		r = read(rr->fd, p, n);
	while (r < 0 && errno == EINTR);
	return r;
}

int
rotated_skip(struct rotated_reader *rr, uint64_t n)
{
	char	 b[16384];
	ssize_t	 r;

	if (rr->gz == NULL)
		return lseek(rr->fd, (off_t)n, SEEK_SET) == (off_t)n ? 0 : -1;
	while (n > 0) {
		r = rotated_read(rr, b, n < sizeof b ? (size_t)n : sizeof b);
		if (r <= 0)
			return -1;
		n -= (uint64_t)r;
	}
	return 0;
}

void
rotated_close(struct rotated_reader *rr)
{
	if (rr == NULL)
		return;
	if (rr->gz != NULL)
		gzclose(rr->gz);
	else
		close(rr->fd);
	free(rr);
}
