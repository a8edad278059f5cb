/*
 * Remediation patches as unified diffs.
 *
 * An edit is anchored on a directive (file, line, name). Rendering
 * reads the file, finds the directive's statement on that line (from
 * its name to the ';' that ends it, quotes respected, possibly over
 * several lines), and rewrites only those lines: an insertion goes on
 * new lines after the statement at the statement's indentation (and
 * splits a one-line block such as "location /x { proxy_pass ...; }"),
 * a replacement swaps the statement text in place.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/confload.h"
#include "hswatch/patch.h"
#include "hswatch/strmap.h"
#include "hswatch/xmalloc.h"

#define PATCH_CONTEXT	3
#define PATCH_MAX_FILE	(16u << 20)

enum edit_kind { EDIT_INSERT, EDIT_REPLACE, EDIT_INSERT_IN };

struct edit {
	enum edit_kind	 kind;
	char		*file;
	unsigned	 line;
	char		*name;		/* directive name at that line */
	char		*text;
	size_t		 seq;		/* order of recording */
};

struct patch {
	char		*root;		/* with a trailing '/' */
	const struct conftree *tree;	/* an nginx -T dump's texts, or NULL */
	struct edit	*edits;
	size_t		 nedits;
	size_t		 capedits;
	struct patch_files *files;	/* lines split once, or NULL */
	struct strmap	*index;		/* "kind line file" -> edit + 1 */
};

struct lines {
	char	**v;		/* without '\n', pointing into text */
	char	 *text;		/* the file, each '\n' (and "\r\n") a NUL */
	char	 *cr;		/* line i ended with "\r\n" */
	size_t	  n;
	int	  final_nl;	/* the file ends with '\n' */
	int	  crlf;		/* the file uses CRLF (for new lines) */
	const char *unit;	/* one indentation step (indent_unit) */
};

struct files_entry {
	struct lines	 l;
	char		*err;		/* could not be read: why */
	int		 stale;		/* -1: not known yet */
	int		 have_st;	/* st: the file on disk when read */
	struct stat	 st;
};

struct patch *
patch_new(const char *root)
{
	struct patch	*p;
	size_t		 n = strlen(root);

	p = xcalloc(1, sizeof *p);
	if (n > 0 && root[n - 1] == '/')
		p->root = xstrdup(root);
	else
		xasprintf(&p->root, "%s/", root);
	return p;
}

void
patch_free(struct patch *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nedits; i++) {
		free(p->edits[i].file);
		free(p->edits[i].name);
		free(p->edits[i].text);
	}
	free(p->edits);
	strmap_free(p->index, NULL);
	free(p->root);
	free(p);
}

/* Is the line p[0..n) one of the lines of block? */
static int
has_line(const char *block, const char *p, size_t n)
{
	const char	*b = block, *nl;
	size_t		 m;

	for (;;) {
		nl = strchr(b, '\n');
		m = nl ? (size_t)(nl - b) : strlen(b);
		if (m == n && strncmp(b, p, n) == 0)
			return 1;
		if (nl == NULL)
			return 0;
		b = nl + 1;
	}
}

static void
add_edit(struct patch *p, enum edit_kind kind, const char *file,
    unsigned line, const char *name, const char *text)
{
	struct edit	*e;
	struct buf	 kb;
	const char	*key;
	void		*v;
	size_t		 i;

	/*
	 * The same edit twice (two findings, one fix) is one edit; two
	 * insertions after one statement become one block.
	 */
	buf_init(&kb);		/* "%d %u %s" */
	buf_addi(&kb, (int)kind);
	buf_addc(&kb, ' ');
	buf_addu(&kb, line);
	buf_addc(&kb, ' ');
	buf_adds(&kb, file);
	key = buf_cstr(&kb);
	if (p->index == NULL)
		p->index = strmap_new();
	if ((v = strmap_get(p->index, key)) != NULL) {
		e = &p->edits[(uintptr_t)v - 1];
		if (strcmp(e->text, text) == 0) {
			buf_free(&kb);
			return;
		}
		if (kind != EDIT_REPLACE) {
			struct buf	 j;
			const char	*q = text, *nl;
			size_t		 n;

			/* Only the lines not inserted there yet. */
			buf_init(&j);
			buf_adds(&j, e->text);
			for (;;) {
				nl = strchr(q, '\n');
				n = nl ? (size_t)(nl - q) : strlen(q);
				if (!has_line(buf_cstr(&j), q, n)) {
					buf_addc(&j, '\n');
					buf_add(&j, q, n);
				}
				if (nl == NULL)
					break;
				q = nl + 1;
			}
			free(e->text);
			e->text = xstrdup(buf_cstr(&j));
			buf_free(&j);
			buf_free(&kb);
			return;
		}
		/* Two replacements of one statement (rare): the same one
		 * may be recorded further on. */
		for (i = (uintptr_t)v; i < p->nedits; i++) {
			e = &p->edits[i];
			if (e->kind == kind && e->line == line &&
			    strcmp(e->file, file) == 0 &&
			    strcmp(e->text, text) == 0) {
				buf_free(&kb);
				return;
			}
		}
	}
	if (p->nedits == p->capedits) {
		p->capedits = p->capedits ? 2 * p->capedits : 4;
		p->edits = xreallocarray(p->edits, p->capedits,
		    sizeof *p->edits);
	}
	e = &p->edits[p->nedits];
	e->kind = kind;
	e->file = xstrdup(file);
	e->line = line;
	e->name = xstrdup(name);
	e->text = xstrdup(text);
	e->seq = p->nedits++;
	if (strmap_get(p->index, key) == NULL)
		strmap_put(p->index, key, (void *)(uintptr_t)p->nedits);
	buf_free(&kb);
}

void
patch_insert_after(struct patch *p, const struct confdir *anchor,
    const char *lines)
{
	add_edit(p, EDIT_INSERT, anchor->file, anchor->line, anchor->args[0],
	    lines);
}

void
patch_insert_into(struct patch *p, const struct confdir *block,
    const char *lines)
{
	add_edit(p, EDIT_INSERT_IN, block->file, block->line, block->args[0],
	    lines);
}

void
patch_replace(struct patch *p, const struct confdir *dir, const char *line)
{
	add_edit(p, EDIT_REPLACE, dir->file, dir->line, dir->args[0], line);
}

size_t
patch_count(const struct patch *p)
{
	return p->nedits;
}

void
patch_set_tree(struct patch *p, const struct conftree *tree)
{
	p->tree = tree;
}

/* The file's text: the dump's (what nginx runs), else the disk's. */
static int
patch_text(const struct patch *p, const char *file, char **data,
    size_t *len, char **cause)
{
	const char	*t;

	if ((t = confload_text(p->tree, file, len)) != NULL) {
		*data = xmalloc(*len + 1);
		memcpy(*data, t, *len);
		(*data)[*len] = '\0';
		return 0;
	}
	return confload_slurp(file, PATCH_MAX_FILE, data, len, cause);
}

/* Does file's text on disk differ from the dump's (1), or not (0)? */
static int
file_stale(const struct patch *p, const char *file)
{
	const char	*t;
	char		*data, *cause = NULL;
	size_t		 len, dlen;
	int		 stale;

	if ((t = confload_text(p->tree, file, &dlen)) == NULL)
		return 0;
	if (confload_slurp(file, PATCH_MAX_FILE, &data, &len, &cause) != 0) {
		free(cause);	/* not on disk: nothing to differ */
		return 0;
	}
	stale = len != dlen || memcmp(data, t, len) != 0;
	free(data);
	return stale;
}

static struct files_entry *files_get(struct patch_files *, const char *);

size_t
patch_stale_files(const struct patch *p, struct buf *out)
{
	struct files_entry	*e;
	size_t			 i, j, n = 0;
	int			 stale;

	for (i = 0; p->tree != NULL && i < p->nedits; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(p->edits[j].file, p->edits[i].file) == 0)
				break;
		if (j < i)
			continue;
		if (p->files != NULL) {
			e = files_get(p->files, p->edits[i].file);
			if (e->stale == -1)
				e->stale = file_stale(p, p->edits[i].file);
			stale = e->stale;
		} else
			stale = file_stale(p, p->edits[i].file);
		if (stale) {
			if (n++ > 0)
				buf_adds(out, ", ");
			buf_adds(out, p->edits[i].file);
		}
	}
	return n;
}

void
patch_merge(struct patch *dst, const struct patch *src)
{
	size_t	 i;

	for (i = 0; i < src->nedits; i++)
		add_edit(dst, src->edits[i].kind, src->edits[i].file,
		    src->edits[i].line, src->edits[i].name, src->edits[i].text);
}

/* ---- a file as lines --------------------------------------------------- */


static void
lines_free(struct lines *l)
{
	free(l->text);
	free(l->v);
	free(l->cr);
	memset(l, 0, sizeof *l);
}

/* Split data (taken over) into lines in place: one pass, no copies. */
static void
lines_split(struct lines *l, char *data, size_t len)
{
	char		*p = data, *end = data + len, *nl;
	size_t		 n, cap = 0;

	memset(l, 0, sizeof *l);
	l->text = data;
	l->unit = "    ";
	l->final_nl = len > 0 && data[len - 1] == '\n';
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l->n == cap) {
			cap = cap ? cap * 2 : 64;
			l->v = xreallocarray(l->v, cap, sizeof *l->v);
			l->cr = xreallocarray(l->cr, cap, sizeof *l->cr);
		}
		l->cr[l->n] = 0;
		if (nl != NULL && n > 0 && p[n - 1] == '\r') {
			l->crlf = 1;
			l->cr[l->n] = 1;
			n--;
		}
		p[n] = '\0';	/* the '\n' or '\r', or data's own NUL */
		if (p[0] == '\t')
			l->unit = "\t";
		l->v[l->n++] = p;
		p = nl ? nl + 1 : end;
	}
}

/* The file's lines (what patch_text gives), or -1 with *cause. */
static int
lines_load(const struct patch *p, const char *file, struct lines *l,
    char **cause)
{
	char	*data;
	size_t	 len;

	if (patch_text(p, file, &data, &len, cause) != 0)
		return -1;
	/* Lines are C strings here: a NUL byte would cut one. */
	if (memchr(data, '\0', len) != NULL) {
		xasprintf(cause, "%s: the file has a NUL byte; no patch is made "
		    "for it", file);
		free(data);
		return -1;
	}
	lines_split(l, data, len);
	return 0;
}

/* ---- the files of a tree, read and split once ------------------------ */

struct patch_files {
	struct patch	 *p;		/* root and tree to read with */
	struct strmap	 *map;		/* file -> struct files_entry */
	int		  once;		/* patch_files_read_once() */
};

struct patch_files *
patch_files_new(const struct conftree *tree)
{
	struct patch_files	*f;

	f = xcalloc(1, sizeof *f);
	f->p = patch_new("/");
	patch_set_tree(f->p, tree);
	f->map = strmap_new();
	return f;
}

static void
files_entry_free(void *v)
{
	struct files_entry	*e = v;

	lines_free(&e->l);
	free(e->err);
	free(e);
}

void
patch_files_free(struct patch_files *f)
{
	if (f == NULL)
		return;
	strmap_free(f->map, files_entry_free);
	patch_free(f->p);
	free(f);
}

void
patch_files_read_once(struct patch_files *f)
{
	f->once = 1;
}

void
patch_set_files(struct patch *p, struct patch_files *f)
{
	p->files = f;
}

struct patch_files *
patch_files_of(const struct patch *p)
{
	return p->files;
}

/* Is the file on disk (sb, or none: r != 0) the one e was read from? */
static int
same_file(const struct files_entry *e, int r, const struct stat *sb)
{
	if (r != 0)
		return !e->have_st;
	return e->have_st && e->st.st_dev == sb->st_dev &&
	    e->st.st_ino == sb->st_ino && e->st.st_size == sb->st_size &&
	    e->st.st_mtim.tv_sec == sb->st_mtim.tv_sec &&
	    e->st.st_mtim.tv_nsec == sb->st_mtim.tv_nsec;
}

/*
 * The entry of file, read on first use and again when the file on disk
 * changed since (a stat per use: patches follow the disk as before),
 * unless the files are read once.
 */
static struct files_entry *
files_get(struct patch_files *f, const char *file)
{
	struct files_entry	*e;
	struct stat		 sb;
	int			 r;

	if (f->once && (e = strmap_get(f->map, file)) != NULL)
		return e;
	r = stat(file, &sb);
	if ((e = strmap_get(f->map, file)) != NULL) {
		if (same_file(e, r, &sb))
			return e;
		files_entry_free(strmap_del(f->map, file));
	}
	e = xcalloc(1, sizeof *e);
	e->stale = -1;
	if (r == 0) {
		e->have_st = 1;
		e->st = sb;
	}
	if (lines_load(f->p, file, &e->l, &e->err) != 0 && e->err == NULL)
		e->err = xstrdup("cannot be read");
	strmap_put(f->map, file, e);
	return e;
}

/* The cached lines of file, or NULL with *cause (a copy) set. */
static const struct lines *
files_lines(struct patch_files *f, const char *file, char **cause)
{
	struct files_entry	*e = files_get(f, file);

	if (e->err != NULL) {
		*cause = xstrdup(e->err);
		return NULL;
	}
	return &e->l;
}

/* ---- finding a statement ----------------------------------------------- */

struct stmt {
	size_t	 first, col;	/* where the name starts (0-based line) */
	size_t	 last, endcol;	/* the byte after ';' on line last */
};

static int
is_word_edge(int c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '{' || c == ';' ||
	    c == '}';
}

/* Find "name" as a word on line (0-based); then its ';'. */
static int
find_stmt(const struct lines *l, size_t line, const char *name,
    struct stmt *st)
{
	const char	*s = l->v[line], *q;
	size_t		 nlen = strlen(name), i, col;
	int		 quote = 0;

	if (nlen == 0)
		return -1;	/* '"" x;': strstr would not move on */
	for (q = s; (q = strstr(q, name)) != NULL; q += nlen) {
		if ((q == s || is_word_edge((unsigned char)q[-1])) &&
		    (q[nlen] == ' ' || q[nlen] == '\t' || q[nlen] == ';' ||
		    q[nlen] == '\0'))
			break;
	}
	if (q == NULL)
		return -1;
	st->first = line;
	st->col = (size_t)(q - s);
	col = st->col + nlen;
	for (i = line; i < l->n; i++, col = 0) {
		s = l->v[i];
		for (; s[col] != '\0'; col++) {
			if (quote) {
				if (s[col] == '\\' && s[col + 1] != '\0')
					col++;
				else if (s[col] == quote)
					quote = 0;
				continue;
			}
			if (s[col] == '"' || s[col] == '\'')
				quote = s[col];
			else if (s[col] == '#')
				break;
			else if (s[col] == ';') {
				st->last = i;
				st->endcol = col + 1;
				return 0;
			}
		}
	}
	return -1;
}

static size_t
indent_len(const char *s)
{
	size_t	 n = 0;

	while (s[n] == ' ' || s[n] == '\t')
		n++;
	return n;
}

/* One indentation step as the file uses it (a tab or 4 spaces). */
static const char *
indent_unit(const struct lines *l)
{
	return l->unit;
}

static int
only_space_or_comment(const char *s)
{
	s += indent_len(s);
	return *s == '\0' || *s == '#';
}

/* ---- applying edits ---------------------------------------------------- */

/* A replacement of lines [from, to) of the old file by new lines. */
struct hunkpart {
	size_t	 from, to;
	char	**v;
	size_t	  n;
};

static void
part_add(struct hunkpart *h, const char *s, size_t n)
{
	h->v = xreallocarray(h->v, h->n + 1, sizeof *h->v);
	/* An empty buf has no data: memcpy(NULL, 0) is undefined. */
	h->v[h->n++] = xstrndup(s != NULL ? s : "", n);
}

static void
part_free(struct hunkpart *h)
{
	size_t	 i;

	for (i = 0; i < h->n; i++)
		free(h->v[i]);
	free(h->v);
}

/* Add text's lines, each prefixed by indent. */
static void
part_add_lines(struct hunkpart *h, const char *indent, size_t ilen,
    const char *text)
{
	const char	*p = text, *nl;
	struct buf	 b;

	buf_init(&b);
	while (*p != '\0') {
		nl = strchr(p, '\n');
		buf_reset(&b);
		buf_add(&b, indent, ilen);
		buf_add(&b, p, nl ? (size_t)(nl - p) : strlen(p));
		part_add(h, b.data, b.len);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	buf_free(&b);
}

/* Find "name" as a word on line (0-based), then the '{' of its block. */
static int
find_block(const struct lines *l, size_t line, const char *name,
    struct stmt *st)
{
	const char	*s = l->v[line], *q;
	size_t		 nlen = strlen(name), i, col;
	int		 quote = 0;

	if (nlen == 0)
		return -1;
	for (q = s; (q = strstr(q, name)) != NULL; q += nlen)
		if ((q == s || is_word_edge((unsigned char)q[-1])) &&
		    (q[nlen] == ' ' || q[nlen] == '\t' || q[nlen] == '{' ||
		    q[nlen] == '\0'))
			break;
	if (q == NULL)
		return -1;
	st->first = line;
	st->col = (size_t)(q - s);
	col = st->col + nlen;
	for (i = line; i < l->n; i++, col = 0) {
		s = l->v[i];
		for (; s[col] != '\0'; col++) {
			if (quote) {
				if (s[col] == '\\' && s[col + 1] != '\0')
					col++;
				else if (s[col] == quote)
					quote = 0;
				continue;
			}
			if (s[col] == '"' || s[col] == '\'')
				quote = s[col];
			else if (s[col] == '#')
				break;
			else if (s[col] == ';' || s[col] == '}')
				return -1;
			else if (s[col] == '{') {
				st->last = i;
				st->endcol = col + 1;
				return 0;
			}
		}
	}
	return -1;
}

/* Insert e's lines as the first statements of a block. */
static int
apply_insert_in(const struct lines *l, const struct edit *e,
    struct hunkpart *h, char **cause)
{
	struct stmt	 st;
	const char	*first, *last, *rest;
	size_t		 ind, i;
	struct buf	 b;

	if (e->line == 0 || e->line > l->n ||
	    find_block(l, e->line - 1, e->name, &st) != 0) {
		xasprintf(cause, "%s:%u: no \"%s\" block there (the file "
		    "changed since the config was loaded?)", e->file, e->line,
		    e->name);
		return -1;
	}
	first = l->v[st.first];
	last = l->v[st.last];
	ind = indent_len(first);
	buf_init(&b);
	rest = last + st.endcol;
	if (only_space_or_comment(rest)) {
		h->from = h->to = st.last + 1;
		/* The indentation of the block's first statement. */
		for (i = st.last + 1; i < l->n && l->v[i][indent_len(
		    l->v[i])] == '\0'; i++)
			;
		if (i < l->n && indent_len(l->v[i]) > ind &&
		    l->v[i][indent_len(l->v[i])] != '}')
			buf_add(&b, l->v[i], indent_len(l->v[i]));
		else {
			buf_add(&b, first, ind);
			buf_adds(&b, indent_unit(l));
		}
		part_add_lines(h, b.data, b.len, e->text);
	} else {
		/* "location /x { if (...) {...} }": split after the '{'. */
		h->from = st.first;
		h->to = st.last + 1;
		for (i = st.first; i < st.last; i++)
			part_add(h, l->v[i], strlen(l->v[i]));
		part_add(h, last, st.endcol);
		buf_add(&b, first, ind);
		buf_adds(&b, indent_unit(l));
		part_add_lines(h, b.data, b.len, e->text);
		rest += indent_len(rest);
		if (*rest == '}') {
			buf_reset(&b);
			buf_add(&b, first, ind);
		}
		buf_adds(&b, rest);
		part_add(h, b.data, b.len);
	}
	buf_free(&b);
	return 0;
}

static int
apply_edit(const struct lines *l, const struct edit *e, struct hunkpart *h,
    char **cause)
{
	struct stmt	 st;
	const char	*first, *last;
	size_t		 ind;
	struct buf	 b;

	memset(h, 0, sizeof *h);
	if (e->kind == EDIT_INSERT_IN)
		return apply_insert_in(l, e, h, cause);
	if (e->line == 0 || e->line > l->n ||
	    find_stmt(l, e->line - 1, e->name, &st) != 0) {
		xasprintf(cause, "%s:%u: no \"%s\" statement there (the file "
		    "changed since the config was loaded?)", e->file, e->line,
		    e->name);
		return -1;
	}
	first = l->v[st.first];
	last = l->v[st.last];
	h->from = st.first;
	h->to = st.last + 1;
	buf_init(&b);
	if (e->kind == EDIT_REPLACE) {
		buf_add(&b, first, st.col);
		buf_adds(&b, e->text);
		buf_adds(&b, last + st.endcol);
		part_add(h, b.data, b.len);
		buf_free(&b);
		return 0;
	}
	/* Insert: keep the statement's lines, then the new ones. */
	ind = indent_len(first);
	if (st.col > ind) {
		/* Not first on its line ("location /x { proxy_pass ...;"):
		 * indent one step deeper than the line. */
		buf_add(&b, first, ind);
		buf_adds(&b, indent_unit(l));
	} else
		buf_add(&b, first, ind);
	if (only_space_or_comment(last + st.endcol)) {
		/* A pure insertion after the statement's last line. */
		h->from = h->to = st.last + 1;
		part_add_lines(h, b.data, b.len, e->text);
	} else {
		/* Split what follows the statement onto its own line. */
		const char *rest = last + st.endcol;
		size_t	    i;

		for (i = st.first; i < st.last; i++)
			part_add(h, l->v[i], strlen(l->v[i]));
		rest += indent_len(rest);
		part_add(h, last, st.endcol);
		part_add_lines(h, b.data, b.len, e->text);
		buf_reset(&b);
		buf_add(&b, first, ind);
		buf_adds(&b, rest);
		part_add(h, b.data, b.len);
	}
	buf_free(&b);
	return 0;
}

static int
cmp_part(const void *a, const void *b)
{
	const struct hunkpart	*x = a, *y = b;
	int			 xi = x->from == x->to, yi = y->from == y->to;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	/*
	 * An insertion after a statement and the replacement of the next
	 * one start at the same line ("proxy_pass ...;" then
	 * "proxy_ssl_verify off;" replaced): the insertion comes first,
	 * and they do not overlap.
	 */
	return yi - xi;
}

static void
emit_line(struct buf *out, char tag, const char *s, int crlf)
{
	buf_addc(out, tag);
	buf_adds(out, s);
	if (crlf)
		buf_addc(out, '\r');
	buf_addc(out, '\n');
}

/* One line of a hunk. */
struct dline {
	char		 tag;		/* ' ', '-', '+', or '\\' (no newline) */
	const char	*s;
	int		 cr;
};

static void
dline_add(struct dline **v, size_t *n, size_t *cap, char tag, const char *s,
    int cr)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[*n].tag = tag;
	(*v)[*n].s = s;
	(*v)[(*n)++].cr = cr;
}

/*
 * A hunk that ends at the last line of a file without a final newline:
 * "\ No newline at end of file" follows the last line of each side that
 * lacks it. The old last line stays the last one (context) only when
 * nothing is inserted after it; otherwise it is removed and added back,
 * now with a newline. The new file keeps the missing final newline.
 */
static void
hunk_nonl(struct dline **v, size_t *n, size_t *cap)
{
	size_t	 i, old = *n, new = *n, plus_after = 0;

	for (i = 0; i < *n; i++) {
		if ((*v)[i].tag == ' ' || (*v)[i].tag == '-')
			old = i;
		if ((*v)[i].tag == ' ' || (*v)[i].tag == '+')
			new = i;
	}
	if (old == *n)
		return;		/* no old line: an empty file */
	for (i = old + 1; i < *n; i++)
		if ((*v)[i].tag == '+')
			plus_after = 1;
	if (*n + 3 > *cap) {
		*cap = *n + 3;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	if ((*v)[old].tag == ' ' && !plus_after) {
		/* Unchanged last line, both sides. */
		memmove(&(*v)[old + 2], &(*v)[old + 1],
		    (*n - old - 1) * sizeof **v);
		(*v)[old + 1].tag = '\\';
		(*n)++;
		return;
	}
	if ((*v)[old].tag == ' ') {
		/* "-last", marker, "+last" (with a newline now). */
		memmove(&(*v)[old + 3], &(*v)[old + 1],
		    (*n - old - 1) * sizeof **v);
		(*v)[old].tag = '-';
		(*v)[old + 1].tag = '\\';
		(*v)[old + 2] = (*v)[old];
		(*v)[old + 2].tag = '+';
		*n += 2;
		new = new == old ? old + 2 : new + 2;
	} else {
		memmove(&(*v)[old + 2], &(*v)[old + 1],
		    (*n - old - 1) * sizeof **v);
		(*v)[old + 1].tag = '\\';
		(*n)++;
		if (new != *n - 1 && new > old)
			new++;
	}
	/* The new side's last line, if added, lacks the newline too. */
	if (new < *n && (*v)[new].tag == '+') {
		memmove(&(*v)[new + 2], &(*v)[new + 1],
		    (*n - new - 1) * sizeof **v);
		(*v)[new].cr = 0;	/* no "\r" without its "\n" */
		(*v)[new + 1].tag = '\\';
		(*n)++;
	}
}

/* Render the parts (sorted, disjoint) of one file as hunks. */
static void
render_file(const struct patch *p, const char *file, const struct lines *l,
    struct hunkpart *parts, size_t nparts, struct buf *out)
{
	const char	*rel = file;
	struct dline	*v = NULL;
	size_t		 i, j, start, end, oldn, newn, nv, m, cap = 0;
	long		 delta = 0;

	if (strncmp(file, p->root, strlen(p->root)) == 0)
		rel = file + strlen(p->root);
	else if (file[0] == '/')
		rel = file + 1;	/* outside the root: relative to "/" */
	buf_adds(out, "--- a/");
	buf_adds(out, rel);
	buf_adds(out, "\n+++ b/");
	buf_adds(out, rel);
	buf_addc(out, '\n');
	for (i = 0; i < nparts; i = j) {
		/* Group parts whose contexts touch into one hunk. */
		for (j = i + 1; j < nparts &&
		    parts[j].from <= parts[j - 1].to + 2 * PATCH_CONTEXT; j++)
			;
		start = parts[i].from > PATCH_CONTEXT ?
		    parts[i].from - PATCH_CONTEXT : 0;
		end = parts[j - 1].to + PATCH_CONTEXT;
		if (end > l->n)
			end = l->n;
		oldn = end - start;
		newn = oldn;
		for (size_t k = i; k < j; k++)
			newn = newn - (parts[k].to - parts[k].from) +
			    parts[k].n;
		/* "@@ -%zu,%zu +%ld,%zu @@\n" */
		buf_adds(out, "@@ -");
		buf_addu(out, oldn ? start + 1 : start);
		buf_addc(out, ',');
		buf_addu(out, oldn);
		buf_adds(out, " +");
		buf_addi(out, (long)(newn ? start + 1 : start) + delta);
		buf_addc(out, ',');
		buf_addu(out, newn);
		buf_adds(out, " @@\n");
		delta += (long)newn - (long)oldn;
		{
			size_t	 line = start, k = i;

			nv = 0;
			while (line < end) {
				if (k < j && line == parts[k].from) {
					for (m = parts[k].from; m < parts[k].to; m++)
						dline_add(&v, &nv, &cap, '-',
						    l->v[m], l->cr[m]);
					for (m = 0; m < parts[k].n; m++)
						dline_add(&v, &nv, &cap, '+',
						    parts[k].v[m], l->crlf);
					line = parts[k].to;
					k++;
					continue;
				}
				dline_add(&v, &nv, &cap, ' ', l->v[line],
				    l->cr[line]);
				line++;
			}
			/* An insertion after the file's last line. */
			for (; k < j && parts[k].from == end; k++)
				for (m = 0; m < parts[k].n; m++)
					dline_add(&v, &nv, &cap, '+',
					    parts[k].v[m], l->crlf);
		}
		if (end == l->n && !l->final_nl)
			hunk_nonl(&v, &nv, &cap);
		for (m = 0; m < nv; m++) {
			if (v[m].tag == '\\')
				buf_adds(out, "\\ No newline at end of file\n");
			else
				emit_line(out, v[m].tag, v[m].s, v[m].cr);
		}
	}
	free(v);
}

int
patch_render(const struct patch *p, struct buf *out, char **cause)
{
	struct lines	 l;
	const struct lines *lp;
	struct hunkpart	*parts;
	char		**done = NULL;
	size_t		 i, j, nparts, ndone = 0;
	int		 rc = 0;

	for (i = 0; i < p->nedits && rc == 0; i++) {
		const char	*file = p->edits[i].file;

		for (j = 0; j < ndone; j++)
			if (strcmp(done[j], file) == 0)
				break;
		if (j < ndone)
			continue;
		done = xreallocarray(done, ndone + 1, sizeof *done);
		done[ndone++] = p->edits[i].file;

		if (p->files != NULL) {
			if ((lp = files_lines(p->files, file, cause)) == NULL) {
				free(done);
				return -1;
			}
		} else {
			if (lines_load(p, file, &l, cause) != 0) {
				free(done);
				return -1;
			}
			lp = &l;
		}
		parts = NULL;
		nparts = 0;
		for (j = i; j < p->nedits; j++) {
			if (strcmp(p->edits[j].file, file) != 0)
				continue;
			parts = xreallocarray(parts, nparts + 1,
			    sizeof *parts);
			if (apply_edit(lp, &p->edits[j], &parts[nparts],
			    cause) != 0) {
				rc = -1;
				break;
			}
			nparts++;
		}
		if (rc == 0) {
			qsort(parts, nparts, sizeof *parts, cmp_part);
			/* Two edits on one statement: fold them together. */
			for (j = 1; j < nparts && rc == 0; j++) {
				if (parts[j].from < parts[j - 1].to) {
					xasprintf(cause, "%s: two edits overlap "
					    "at line %zu", file,
					    parts[j].from + 1);
					rc = -1;
				}
			}
		}
		if (rc == 0)
			render_file(p, file, lp, parts, nparts, out);
		for (j = 0; j < nparts; j++)
			part_free(&parts[j]);
		free(parts);
		if (lp == &l)
			lines_free(&l);
	}
	free(done);
	return rc;
}
