/*
 * The last records of an append-only JSON-lines file, as sorted hashes.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hswatch/recent.h"
#include "hswatch/state.h"
#include "hswatch/xmalloc.h"

struct recent {
	uint64_t	*h;
	size_t		 n;
};

/* qsort/bsearch order of hashes. */
static int
recent_cmp(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct recent *
recent_load(const char *path, char **cause)
{
	struct recent	*r;
	struct stat	 sb;
	char		*b, *p, *end, *nl;
	off_t		 from;
	size_t		 len, got = 0;
	ssize_t		 n;
	int		 fd;

	r = xcalloc(1, sizeof *r);
	if ((fd = open(path, O_RDONLY|O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return r;
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(r);
		return NULL;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return r;	/* stdout, a pipe: nothing to look back at */
	}
	from = sb.st_size > RECENT_MAX_BYTES ? sb.st_size - RECENT_MAX_BYTES : 0;
	len = (size_t)(sb.st_size - from);
	b = xmalloc(len + 1);
	while (got < len) {
		n = pread(fd, b + got, len - got, from + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	p = b;
	end = b + got;
	/* A record cut by the window's start is not a record. */
	if (from > 0 && (p = memchr(b, '\n', got)) != NULL)
		p++;
	else if (from > 0)
		p = end;
	for (nl = p, len = 0; nl < end &&
	    (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL; nl++)
		len++;
	r->h = xreallocarray(NULL, len + 1, sizeof *r->h);
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		r->h[r->n++] = state_hash(p, (size_t)(nl - p));
		p = nl + 1;
	}
	free(b);
	qsort(r->h, r->n, sizeof *r->h, recent_cmp);
	return r;
}

void
recent_free(struct recent *r)
{
	if (r == NULL)
		return;
	free(r->h);
	free(r);
}

int
recent_contains(const struct recent *r, const char *p, size_t n)
{
	uint64_t	 h;

	if (r->n == 0)
		return 0;
	h = state_hash(p, n);
	return bsearch(&h, r->h, r->n, sizeof *r->h, recent_cmp) != NULL;
}

size_t
recent_count(const struct recent *r)
{
	return r->n;
}
