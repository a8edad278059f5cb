/*
 * libFuzzer target for patch generation. The input is a configuration
 * file (with no final newline when its text ends in '~', dropped), a
 * line "%%", then edit requests, one a line: 'i' (insert after)
 * or 'r' (replace), a directive number (the loaded tree's directives in
 * order, modulo their count), a blank, and the text ("\n" in an
 * insertion's text starts a new line). The file is written into a
 * private temporary directory, loaded, and the edits are rendered. A
 * rendered patch must be a well-formed unified diff that applies to the
 * file exactly: every hunk's counts match its lines, hunks are in order
 * and do not overlap, the new-side start follows from the earlier hunks,
 * and the old side of every hunk is, byte for byte, the file's lines
 * there (with "\ No newline at end of file" only after the file's last
 * line, when the file does not end with one).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/confload.h"
#include "hswatch/patch.h"

#include "fuzzutil.h"

#define MAX_EDITS	8
#define SEP		"\n%%\n"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct flat {
	const struct confdir	**v;
	size_t			  n;
};

static void
flatten(const struct confdir *d, struct flat *f)
{
	size_t	 i;

	for (i = 0; i < d->nchild; i++) {
		f->v = realloc(f->v, (f->n + 1) * sizeof *f->v);
		if (f->v == NULL)
			abort();
		f->v[f->n++] = d->child[i];
		flatten(d->child[i], f);
	}
}

/* The file as lines, each with its '\n' (the last one may lack it). */
struct flines {
	const char	**p;
	size_t		 *n;
	size_t		  count;
};

static void
flines_split(const char *d, size_t len, struct flines *l)
{
	const char	*e = d + len, *nl;

	memset(l, 0, sizeof *l);
	while (d < e) {
		nl = memchr(d, '\n', (size_t)(e - d));
		l->p = realloc(l->p, (l->count + 1) * sizeof *l->p);
		l->n = realloc(l->n, (l->count + 1) * sizeof *l->n);
		if (l->p == NULL || l->n == NULL)
			abort();
		l->p[l->count] = d;
		l->n[l->count++] = nl ? (size_t)(nl - d) + 1 : (size_t)(e - d);
		d = nl ? nl + 1 : e;
	}
}

static const char *
next_line(const char **p, const char *e, size_t *n)
{
	const char	*s = *p, *nl;

	if (s >= e)
		return NULL;
	if ((nl = memchr(s, '\n', (size_t)(e - s))) == NULL)
		abort();	/* every diff line ends with '\n' */
	*n = (size_t)(nl - s);
	*p = nl + 1;
	return s;
}

/* Check the rendered diff against the one file it patches. */
static void
check_diff(const char *d, size_t len, const struct flines *f)
{
	const char	*e = d + len, *s;
	size_t		 n, a, b, c, dd, olds, news, at, prev_end = 0;
	long		 delta = 0;
	int		 files = 0, nonl_old, k;
	char		 tail;

	while ((s = next_line(&d, e, &n)) != NULL) {
		if (n >= 4 && memcmp(s, "--- ", 4) == 0) {
			if (files++ > 0)
				abort();	/* one file only */
			if ((s = next_line(&d, e, &n)) == NULL ||
			    n < 4 || memcmp(s, "+++ ", 4) != 0)
				abort();
			continue;
		}
		if (files == 0 || n < 4 || memcmp(s, "@@ -", 4) != 0)
			abort();
		k = 0;
		if (sscanf(s, "@@ -%zu,%zu +%zu,%zu @@%c%n", &a, &b, &c,
		    &dd, &tail, &k) != 5 || s + k - 1 != s + n)
			abort();
		/* Where the hunk's old side starts (0-based). */
		at = b > 0 ? a - 1 : a;
		if (b > 0 && a == 0)
			abort();
		if (at < prev_end || at + b > f->count)
			abort();	/* out of order or past the end */
		if ((long)c != (long)a + delta + (b == 0 && dd > 0 ? 1 : 0) -
		    (b > 0 && dd == 0 ? 1 : 0))
			abort();
		olds = news = 0;
		nonl_old = 0;
		while (olds < b || news < dd || (d < e && *d == '\\') ||
		    (d < e && (*d == '+'))) {
			if ((s = next_line(&d, e, &n)) == NULL)
				abort();	/* hunk cut short */
			if (n == 0)
				abort();
			if (s[0] == '\\') {
				/* Only after the file's last line. */
				if (at + olds != f->count || f->count == 0 ||
				    f->p[f->count - 1][f->n[f->count - 1] -
				    1] == '\n')
					abort();
				nonl_old = 1;
				continue;
			}
			if (s[0] == ' ' || s[0] == '-') {
				size_t	 i = at + olds;

				if (nonl_old || olds >= b || i >= f->count)
					abort();
				/* Byte for byte the file's line, '\n' or
				 * (last line) the marker that follows. */
				if (f->p[i][f->n[i] - 1] == '\n') {
					if (f->n[i] != n ||
					    memcmp(f->p[i], s + 1, n - 1) != 0)
						abort();
				} else if (f->n[i] != n - 1 ||
				    memcmp(f->p[i], s + 1, n - 1) != 0 ||
				    d >= e || *d != '\\')
					abort();
				olds++;
				if (s[0] == ' ')
					news++;
				continue;
			}
			if (s[0] != '+' || news >= dd)
				abort();
			news++;
		}
		if (olds != b || news != dd)
			abort();
		delta += (long)dd - (long)b;
		prev_end = at + b;
	}
}

/* Decode "\n" in an insertion's text. */
static char *
edit_text(const char *s, size_t n, int insert)
{
	char	*t = fuzz_strndup(s, n), *p, *q;

	for (p = q = t; *p != '\0'; p++) {
		if (insert && p[0] == '\\' && p[1] == 'n') {
			*q++ = '\n';
			p++;
		} else
			*q++ = *p;
	}
	*q = '\0';
	return t;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*d = (const char *)data, *e = d + size, *sep, *s, *nl;
	struct conftree	*t;
	struct patch	*p;
	struct flat	 fl;
	struct flines	 lines;
	struct buf	 out;
	char		*path, *root, *cause = NULL, *text;
	size_t		 body, nedits = 0;
	unsigned long	 idx;
	int		 rc;

	if ((sep = memmem(d, size, SEP, sizeof SEP - 1)) == NULL)
		return 0;
	/* The file keeps its '\n', unless its text ends in '~' (dropped). */
	body = (size_t)(sep - d) + 1;
	if (body > 1 && d[body - 2] == '~')
		body -= 2;
	/*
	 * No include: nothing is read but the file written here. A file
	 * with a NUL byte gets no patch (patch_render fails with a cause).
	 */
	if (memmem(d, body, "include", 7) != NULL)
		return 0;
	if (fuzz_write("conf/nginx.conf", d, body) != 0)
		abort();
	if (asprintf(&path, "%s/conf/nginx.conf", fuzz_tmpdir()) < 0 ||
	    asprintf(&root, "%s/conf", fuzz_tmpdir()) < 0)
		abort();
	if ((t = confload_files(path, NULL, &cause)) == NULL) {
		free(cause);
		goto out;
	}
	memset(&fl, 0, sizeof fl);
	flatten(&t->root, &fl);
	p = patch_new(root);
	for (s = sep + sizeof SEP - 1; s < e && fl.n > 0 &&
	    nedits < MAX_EDITS; s = nl + 1) {
		char	 op, *end;

		if ((nl = memchr(s, '\n', (size_t)(e - s))) == NULL)
			nl = e;
		op = *s;
		if (op != 'i' && op != 'r')
			continue;
		/* On a copy: strtoul must not run past the line. */
		{
			char	*ln = fuzz_strndup(s + 1, (size_t)(nl - s - 1));

			idx = strtoul(ln, &end, 10);
			text = edit_text(*end == ' ' ? end + 1 : end,
			    strlen(*end == ' ' ? end + 1 : end), op == 'i');
			free(ln);
		}
		if (op == 'i')
			patch_insert_after(p, fl.v[idx % fl.n], text);
		else
			patch_replace(p, fl.v[idx % fl.n], text);
		free(text);
		nedits++;
	}
	buf_init(&out);
	rc = patch_render(p, &out, &cause);
	if (rc == 0) {
		buf_cstr(&out);	/* sscanf reads it */
		if (getenv("FUZZ_DEBUG") != NULL)
			fwrite(out.data, 1, out.len, stderr);
		flines_split(d, body, &lines);
		check_diff(out.data, out.len, &lines);
		free(lines.p);
		free(lines.n);
	} else
		free(cause);
	buf_free(&out);
	patch_free(p);
	free(fl.v);
	confload_free(t);
out:
	fuzz_clean();
	free(path);
	free(root);
	return 0;
}
