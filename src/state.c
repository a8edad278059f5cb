/*
 * Persisted read positions, written atomically.
 *
 * File format (text, one record per line):
 *
 *	hswatch-state 1
 *	pos cur DEV INO OFFSET LINE HEADLEN HEADHASH SKIP PATH
 *	pos prev DEV INO OFFSET LINE HEADLEN HEADHASH SKIP PATH
 *	sum HASH
 *
 * Numbers are decimal except the hashes (16 hex digits). PATH is the
 * rest of the line with bytes <= ' ', '%' and >= 0x7f as %XX. "sum" is
 * the FNV-1a hash of every byte before it; a file without a matching sum
 * line is corrupt (a torn or hand-edited file is never half-trusted).
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hswatch/escape.h"
#include "hswatch/buf.h"
#include "hswatch/state.h"
#include "hswatch/xmalloc.h"

#define STATE_MAGIC	"hswatch-state 1"
#define STATE_MAX_FILE	(4 * 1024 * 1024)

struct state {
	char			*file;
	int			 lockfd;
	struct state_entry	*v;
	unsigned		 n, cap;
};

uint64_t
state_hash(const void *p, size_t n)
{
	const unsigned char	*s = p;
	uint64_t		 h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int
state_head(int fd, struct state_pos *pos)
{
	char	 b[STATE_HEAD_MAX];
	ssize_t	 r;
	size_t	 got = 0;

	while (got < sizeof b) {
		r = pread(fd, b + got, sizeof b - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	pos->head_len = (uint32_t)got;
	pos->head_hash = state_hash(b, got);
	return 0;
}

int
state_same_head(int fd, const struct state_pos *pos)
{
	char		 b[STATE_HEAD_MAX];
	ssize_t		 r;
	size_t		 got = 0, want = pos->head_len;

	if (want > sizeof b)
		return 0;
	while (got < want) {
		r = pread(fd, b + got, want - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	return state_hash(b, want) == pos->head_hash;
}

int
state_same_file(int fd, const struct state_pos *pos)
{
	struct stat	 st;

	if (fstat(fd, &st) != 0)
		return 0;
	if ((uint64_t)st.st_dev != pos->dev || (uint64_t)st.st_ino != pos->ino)
		return 0;
	return state_same_head(fd, pos);
}

struct state *
state_new(const char *file)
{
	struct state	*st;

	st = xcalloc(1, sizeof *st);
	st->file = xstrdup(file);
	st->lockfd = -1;
	return st;
}

/* Drop every entry. */
static void
state_clear(struct state *st)
{
	unsigned	 i;

	for (i = 0; i < st->n; i++)
		free(st->v[i].path);
	st->n = 0;
}

void
state_free(struct state *st)
{
	if (st == NULL)
		return;
	state_clear(st);
	if (st->lockfd >= 0)
		close(st->lockfd);
	free(st->v);
	free(st->file);
	free(st);
}

int
state_lock(struct state *st, char **cause)
{
	char	*path;
	int	 fd;

	if (st->lockfd >= 0)
		return 0;
	xasprintf(&path, "%s.lock", st->file);
	if ((fd = open(path, O_RDWR|O_CREAT|O_CLOEXEC, 0600)) < 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX|LOCK_NB) != 0) {
		xasprintf(cause, "%s: %s", path, errno == EWOULDBLOCK ?
		    "in use by another process" : strerror(errno));
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	st->lockfd = fd;
	return 0;
}

const char *
state_file(const struct state *st)
{
	return st->file;
}

unsigned
state_count(const struct state *st)
{
	return st->n;
}

/* The entry for path, or NULL. */
static struct state_entry *
state_find(const struct state *st, const char *path)
{
	unsigned	 i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->v[i].path, path) == 0)
			return &st->v[i];
	return NULL;
}

const struct state_entry *
state_get(const struct state *st, const char *path)
{
	return state_find(st, path);
}

/* The entry for path, created empty when missing. */
static struct state_entry *
state_add(struct state *st, const char *path)
{
	struct state_entry	*e;

	if ((e = state_find(st, path)) != NULL)
		return e;
	if (st->n == st->cap) {
		st->cap = st->cap == 0 ? 4 : st->cap * 2;
		st->v = xreallocarray(st->v, st->cap, sizeof *st->v);
	}
	e = &st->v[st->n++];
	memset(e, 0, sizeof *e);
	e->path = xstrdup(path);
	return e;
}

void
state_put(struct state *st, const char *path, const struct state_pos *cur,
    const struct state_pos *prev)
{
	struct state_entry	*e;

	e = state_add(st, path);
	e->cur = *cur;
	e->has_prev = prev != NULL;
	if (prev != NULL)
		e->prev = *prev;
	else
		memset(&e->prev, 0, sizeof e->prev);
}

void
state_del(struct state *st, const char *path)
{
	struct state_entry	*e;

	if ((e = state_find(st, path)) == NULL)
		return;
	free(e->path);
	*e = st->v[--st->n];
}

/* Append path with unsafe bytes as %XX. */
static void
state_put_path(struct buf *b, const char *path)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (*p <= ' ' || *p == '%' || *p >= 0x7f)
			buf_printf(b, "%%%02X", *p);
		else
			buf_addc(b, (char)*p);
	}
}

/* Append one "pos" record. */
static void
state_put_pos(struct buf *b, const char *role, const struct state_pos *p,
    const char *path)
{
	buf_printf(b, "pos %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
	    " %" PRIu32 " %016" PRIx64 " %d ", role, p->dev, p->ino,
	    p->offset, p->line, p->head_len, p->head_hash, p->skip ? 1 : 0);
	state_put_path(b, path);
	buf_addc(b, '\n');
}

/* Write all of p to fd. */
static int
state_write_all(int fd, const char *p, size_t n)
{
	ssize_t	 r;

	while (n > 0) {
		r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

void
state_serialize(const struct state *st, struct buf *b)
{
	unsigned	 i;

	buf_adds(b, STATE_MAGIC "\n");
	for (i = 0; i < st->n; i++) {
		state_put_pos(b, "cur", &st->v[i].cur, st->v[i].path);
		if (st->v[i].has_prev)
			state_put_pos(b, "prev", &st->v[i].prev,
			    st->v[i].path);
	}
	buf_printf(b, "sum %016" PRIx64 "\n", state_hash(b->data, b->len));
}

int
state_save(struct state *st, char **cause)
{
	struct buf	 b;
	int		 r;

	buf_init(&b);
	state_serialize(st, &b);
	r = state_write(st->file, b.data, b.len, cause);
	buf_free(&b);
	return r;
}

int
state_write(const char *file, const char *data, size_t len, char **cause)
{
	char		*tmp, *dcopy;
	int		 fd, dfd, saved;

	xasprintf(&tmp, "%s.tmp.%ld", file, (long)getpid());
	fd = open(tmp, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0600);
	if (fd < 0) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (state_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		xasprintf(cause, "%s: %s", tmp, strerror(saved));
		goto fail;
	}
	if (close(fd) != 0 || rename(tmp, file) != 0) {
		saved = errno;
		unlink(tmp);
		xasprintf(cause, "%s: %s", file, strerror(saved));
		goto fail;
	}
	/* Make the rename itself durable. */
	dcopy = xstrdup(file);
	if ((dfd = open(dirname(dcopy), O_RDONLY|O_DIRECTORY|O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dcopy);
	free(tmp);
	return 0;
fail:
	free(tmp);
	return -1;
}

/* Parse a decimal uint64 ending at a space; advances *pp. */
static int
state_num(const char **pp, int base, uint64_t *out)
{
	const char	*p = *pp;
	uint64_t	 v = 0, d;
	int		 n = 0;

	for (;; p++, n++) {
		if (*p >= '0' && *p <= '9')
			d = (uint64_t)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (uint64_t)(*p - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + d;
	}
	if (n == 0 || n > 20 || *p != ' ')
		return -1;
	*pp = p + 1;
	*out = v;
	return 0;
}

/* Parse exactly 16 lowercase hex digits. */
static int
state_hex64(const char *p, uint64_t *out)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 16; i++, p++) {
		if (*p >= '0' && *p <= '9')
			v = v * 16 + (uint64_t)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			v = v * 16 + (uint64_t)(*p - 'a' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Value of an uppercase hex digit, or -1. */
/* Decode a %XX-encoded path; NULL if malformed. */
static char *
state_get_path(const char *p, const char *end)
{
	struct buf	 b;
	int		 hi, lo;

	buf_init(&b);
	while (p < end) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			goto bad;
		if (*p != '%') {
			buf_addc(&b, *p++);
			continue;
		}
		if (end - p < 3 || (hi = escape_hexval(p[1])) < 0 ||
		    (lo = escape_hexval(p[2])) < 0 || (hi == 0 && lo == 0))
			goto bad;
		buf_addc(&b, (char)(hi * 16 + lo));
		p += 3;
	}
	if (b.len == 0)
		goto bad;
	buf_cstr(&b);
	return b.data;
bad:
	buf_free(&b);
	return NULL;
}

/* Parse one "pos" record (after "pos "). */
static const char *
state_parse_pos(struct state *st, const char *p, const char *end)
{
	struct state_pos	 pos;
	struct state_entry	*e;
	uint64_t		 v[7];
	char			*path;
	int			 prev, i;

	memset(&pos, 0, sizeof pos);
	if (strncmp(p, "cur ", 4) == 0) {
		prev = 0;
		p += 4;
	} else if (strncmp(p, "prev ", 5) == 0) {
		prev = 1;
		p += 5;
	} else
		return "unknown position role";
	for (i = 0; i < 7; i++)
		if (state_num(&p, i == 5 ? 16 : 10, &v[i]) != 0)
			return "bad number";
	if (v[4] > STATE_HEAD_MAX || v[6] > 1)
		return "value out of range";
	pos.dev = v[0];
	pos.ino = v[1];
	pos.offset = v[2];
	pos.line = v[3];
	pos.head_len = (uint32_t)v[4];
	pos.head_hash = v[5];
	pos.skip = (int)v[6];
	if ((path = state_get_path(p, end)) == NULL)
		return "bad path";
	e = state_find(st, path);
	if (prev) {
		if (e == NULL || e->has_prev) {
			free(path);
			return "prev without cur";
		}
		e->has_prev = 1;
		e->prev = pos;
	} else {
		if (e != NULL) {
			free(path);
			return "duplicate path";
		}
		e = state_add(st, path);
		e->cur = pos;
	}
	free(path);
	return NULL;
}

/* Parse a whole state file; on any error, an empty state and -1. */
static int
state_parse(struct state *st, const char *data, size_t len, char **cause)
{
	const char	*p = data, *end = data + len, *nl, *why = NULL;
	uint64_t	 sum;
	unsigned	 lineno = 0;
	int		 summed = 0;

	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			why = "truncated record";
			break;
		}
		if (memchr(p, '\0', (size_t)(nl - p)) != NULL)
			why = "NUL byte";
		else if (lineno == 1) {
			if ((size_t)(nl - p) != strlen(STATE_MAGIC) ||
			    memcmp(p, STATE_MAGIC, strlen(STATE_MAGIC)) != 0)
				why = "not an hswatch state file (version 1)";
		} else if (summed)
			why = "data after the checksum";
		else if (strncmp(p, "sum ", 4) == 0) {
			if (nl - (p + 4) != 16 ||
			    state_hex64(p + 4, &sum) != 0)
				why = "bad checksum record";
			else if (sum != state_hash(data, (size_t)(p - data)))
				why = "checksum mismatch";
			else
				summed = 1;
		} else if (strncmp(p, "pos ", 4) == 0)
			why = state_parse_pos(st, p + 4, nl);
		else
			why = "unknown record";
		if (why != NULL)
			break;
		p = nl + 1;
	}
	if (why == NULL && !summed)
		why = lineno == 0 ? "empty file" : "no checksum (torn write?)";
	if (why != NULL) {
		xasprintf(cause, "%s:%u: corrupt state file: %s", st->file,
		    lineno, why);
		state_clear(st);
		return -1;
	}
	return 0;
}

int
state_load(struct state *st, char **cause)
{
	struct buf	 b;
	char		 chunk[8192];
	ssize_t		 r;
	int		 fd, rc;

	state_clear(st);
	if ((fd = open(st->file, O_RDONLY|O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		xasprintf(cause, "%s: %s", st->file, strerror(errno));
		return -1;
	}
	buf_init(&b);
	for (;;) {
		r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			xasprintf(cause, "%s: %s", st->file, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		if (b.len + (size_t)r > STATE_MAX_FILE) {
			xasprintf(cause, "%s: corrupt state file: too large",
			    st->file);
			goto fail;
		}
		buf_add(&b, chunk, (size_t)r);
	}
	close(fd);
	rc = state_parse(st, b.data, b.len, cause);
	buf_free(&b);
	return rc;
fail:
	close(fd);
	buf_free(&b);
	return -1;
}
