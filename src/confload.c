/*
 * confload: nginx configuration files (or an "nginx -T" dump) into a
 * tree of directives with file:line, expanding "include" the way
 * ngx_conf_include() does.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hswatch/arena.h"
#include "hswatch/confcheck.h"
#include "hswatch/conflex.h"
#include "hswatch/confload.h"
#include "hswatch/xmalloc.h"

#define HEADER		"# configuration file "

/* One file of an nginx -T dump: offsets into the dump. */
struct dumpfile {
	char		*path;
	size_t		 hdr;		/* offset of the header line */
	size_t		 body;		/* offset of the first content byte */
	int		 active;	/* still taken as a header */
	int		 used;		/* read while loading */
};

struct loader {
	struct conftree	*t;
	const char	*dump;		/* NULL: read files from disk */
	size_t		 dumplen;
	struct dumpfile	*df;
	size_t		 ndf;
	char		*stack[CONFLOAD_MAX_DEPTH + 1];	/* files being read */
	size_t		 depth;
	/* Argument arrays seen so far, by content: the directive that has
	 * each (open addressing; while loading). */
	const struct confdir **atab;
	size_t		 acap, aused;
	char		**words;	/* a statement's interned words */
	size_t		 nwords;
	char		**cause;
};

static int	parse(struct loader *, struct conflex *, const char *,
		    struct confdir *, const struct confcheck_ctx *, int);

const char *
confload_text(const struct conftree *t, const char *file, size_t *len)
{
	size_t	 i;

	if (t == NULL || t->texts == NULL)
		return NULL;
	for (i = 0; i < t->nfiles; i++)
		if (t->texts[i] != NULL && strcmp(t->files[i], file) == 0) {
			*len = t->tlens[i];
			return t->texts[i];
		}
	return NULL;
}

const char *
confload_arg(const struct confdir *d, size_t i)
{
	return i < d->nargs ? d->args[i] : NULL;
}

/*
 * While the tree is read, a child array has room for the next power of
 * two of its children, at least CHILD_MIN (no field kept for it: the
 * directive stays at 48 bytes).
 */
#define CHILD_MIN	8

/* The child arrays still growing (a tree whose load failed). */
static void
dir_free(struct confdir *d)
{
	size_t	 i;

	for (i = 0; i < d->nchild; i++)
		dir_free(d->child[i]);
	free(d->child);
}

/*
 * Once loaded, every child array is moved into the arena at its exact
 * size (appends stop: an include adds to the block it is in, so arrays
 * grow until the whole tree is read).
 */
static void
dir_freeze(struct arena *a, struct confdir *d)
{
	struct confdir	**v;
	size_t		  i;

	for (i = 0; i < d->nchild; i++)
		dir_freeze(a, d->child[i]);
	if (d->nchild == 0)
		return;
	v = arena_alloc(a, d->nchild * sizeof *v);
	memcpy(v, d->child, d->nchild * sizeof *v);
	free(d->child);
	d->child = v;
}

static void
tree_freeze(struct conftree *t)
{
	dir_freeze(t->mem, &t->root);
	arena_intern_done(t->mem);
	t->loaded = 1;
}

void
confload_free(struct conftree *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	if (!t->loaded)
		dir_free(&t->root);
	arena_free(t->mem);
	for (i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	for (i = 0; i < t->nglobs; i++)
		free(t->globs[i]);
	free(t->globs);
	for (i = 0; t->texts != NULL && i < t->nfiles; i++)
		free(t->texts[i]);
	free(t->texts);
	free(t->tlens);
	for (i = 0; i < t->nwarnings; i++)
		free(t->warnings[i]);
	free(t->warnings);
	for (i = 0; i < t->nviolations; i++)
		free(t->violations[i].msg);
	free(t->violations);
	free(t->prefix);
	free(t->nginx_prefix);
	free(t);
}

int
confload_slurp(const char *path, size_t max, char **data, size_t *len,
    char **cause)
{
	struct stat	 sb;
	char		*p = NULL;
	size_t		 n = 0, cap = 0;
	ssize_t		 r;
	int		 fd, saved;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "open() \"%s\" failed (%d: %s)", path, errno,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		xasprintf(cause, "read() \"%s\" failed (%d: %s)", path, EISDIR,
		    strerror(EISDIR));
		goto fail;
	}
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				xasprintf(cause, "\"%s\" is larger than %zu bytes",
				    path, max);
				goto fail;
			}
			cap = cap ? cap * 2 : 8192;
			p = xreallocarray(p, 1, cap + 1);
		}
		if ((r = read(fd, p + n, cap - n)) == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			xasprintf(cause, "read() \"%s\" failed (%d: %s)", path,
			    saved, strerror(saved));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		xasprintf(cause, "\"%s\" is larger than %zu bytes", path, max);
		goto fail;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (p == NULL)
		p = xmalloc(1);
	p[n] = '\0';
	*data = p;
	*len = n;
	return 0;
fail:
	if (fd != STDIN_FILENO)
		close(fd);
	free(p);
	return -1;
}

static int load_error(struct loader *, const struct confdir *, const char *,
    ...) __attribute__((format(printf, 3, 4)));

/* Set the cause; at names the directive the error is reported at. */
static int
load_error(struct loader *ld, const struct confdir *at, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		msg = NULL;
	if (at != NULL)
		xasprintf(ld->cause, "%s in %s:%u", msg ? msg : "error",
		    at->file, at->line);
	else
		*ld->cause = xstrdup(msg ? msg : "error");
	free(msg);
	return -1;
}

/* The file name as nginx's ngx_conf_full_name() builds it. */
static char *
full_name(const struct conftree *t, const char *name)
{
	char	*p;

	if (name[0] == '/')
		return xstrdup(name);
	xasprintf(&p, "%s%s", t->prefix, name);
	return p;
}

static const char *
intern_file(struct conftree *t, const char *path)
{
	size_t	 i;

	for (i = 0; i < t->nfiles; i++)
		if (strcmp(t->files[i], path) == 0)
			return t->files[i];
	t->files = xreallocarray(t->files, t->nfiles + 1, sizeof *t->files);
	t->files[t->nfiles] = xstrdup(path);
	return t->files[t->nfiles++];
}

static struct dumpfile *
dump_find(struct loader *ld, const char *path)
{
	size_t	 i;

	for (i = 0; i < ld->ndf; i++)
		if (ld->df[i].active && strcmp(ld->df[i].path, path) == 0)
			return &ld->df[i];
	return NULL;
}

/* Content bytes of an active dumped file (nginx adds one '\n'). */
static void
dump_content(const struct loader *ld, const struct dumpfile *f,
    const char **data, size_t *len)
{
	size_t	 end = ld->dumplen;
	size_t	 i;

	for (i = (size_t)(f - ld->df) + 1; i < ld->ndf; i++)
		if (ld->df[i].active) {
			end = ld->df[i].hdr;
			break;
		}
	if (end > f->body && ld->dump[end - 1] == '\n')
		end--;
	*data = ld->dump + f->body;
	*len = end > f->body ? end - f->body : 0;
}

/* Read one file (from disk or the dump) into parent. */
static int
load_file(struct loader *ld, const char *path, struct confdir *parent,
    const struct confcheck_ctx *ctx, const struct confdir *site)
{
	struct conflex	*lx;
	struct dumpfile	*f;
	const char	*name, *data;
	char		*buf = NULL, *canon, *err = NULL;
	size_t		 len, i;
	int		 rc;

	if (ld->depth >= CONFLOAD_MAX_DEPTH)
		return load_error(ld, site, "includes nested deeper than %d "
		    "levels at \"%s\"", CONFLOAD_MAX_DEPTH, path);
	if (ld->dump == NULL) {
		if ((canon = realpath(path, NULL)) == NULL)
			canon = xstrdup(path);
	} else
		canon = xstrdup(path);
	for (i = 0; i < ld->depth; i++)
		if (strcmp(ld->stack[i], canon) == 0) {
			free(canon);
			return load_error(ld, site, "include loop: \"%s\" "
			    "includes itself", path);
		}

	if (ld->dump == NULL) {
		if (confload_slurp(path, CONFLOAD_MAX_FILE, &buf, &len,
		    &err) == -1) {
			free(canon);
			rc = load_error(ld, site, "%s", err);
			free(err);
			return rc;
		}
		data = buf;
	} else {
		if ((f = dump_find(ld, path)) == NULL) {
			free(canon);
			return load_error(ld, site, "open() \"%s\" failed "
			    "(not in the nginx -T dump)", path);
		}
		f->used = 1;
		dump_content(ld, f, &data, &len);
	}

	name = intern_file(ld->t, path);
	ld->stack[ld->depth++] = canon;
	lx = conflex_new(name, data, len);
	rc = parse(ld, lx, name, parent, ctx, 0);
	conflex_free(lx);
	free(ld->stack[--ld->depth]);
	free(buf);
	return rc;
}

static int
has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Remember an include's pattern (conftree.globs), once. */
static void
note_glob(struct conftree *t, const char *pat)
{
	size_t	 i;

	for (i = 0; i < t->nglobs; i++)
		if (strcmp(t->globs[i], pat) == 0)
			return;
	t->globs = xreallocarray(t->globs, t->nglobs + 1, sizeof *t->globs);
	t->globs[t->nglobs++] = xstrdup(pat);
}

/* Expand an include directive at its site into parent. */
static int
include(struct loader *ld, const struct confdir *site, struct confdir *parent,
    const struct confcheck_ctx *ctx)
{
	glob_t	 g;
	char	*pat, **m = NULL;
	size_t	 nm = 0, i;
	int	 rc = 0, r;

	pat = full_name(ld->t, site->args[1]);
	if (!has_glob(pat)) {
		rc = load_file(ld, pat, parent, ctx, site);
		free(pat);
		return rc;
	}
	if (ld->dump == NULL) {
		note_glob(ld->t, pat);
		memset(&g, 0, sizeof g);
		r = glob(pat, GLOB_NOSORT, NULL, &g);
		if (r != 0 && r != GLOB_NOMATCH) {
			rc = load_error(ld, site, "glob() \"%s\" failed", pat);
			free(pat);
			globfree(&g);
			return rc;
		}
		if (r == 0) {
			nm = g.gl_pathc;
			m = xreallocarray(NULL, nm ? nm : 1, sizeof *m);
			for (i = 0; i < nm; i++)
				m[i] = xstrdup(g.gl_pathv[i]);
		}
		globfree(&g);
	} else {
		m = xreallocarray(NULL, ld->ndf ? ld->ndf : 1, sizeof *m);
		for (i = 0; i < ld->ndf; i++)
			if (ld->df[i].active && fnmatch(pat, ld->df[i].path,
			    FNM_PATHNAME | FNM_PERIOD) == 0)
				m[nm++] = xstrdup(ld->df[i].path);
	}
	/* nginx accepts a glob that matches nothing (gl.test = 1). */
	if (nm == 0) {
		ld->t->warnings = xreallocarray(ld->t->warnings,
		    ld->t->nwarnings + 1, sizeof *ld->t->warnings);
		xasprintf(&ld->t->warnings[ld->t->nwarnings++], "include "
		    "\"%s\" matches no file in %s:%u", pat, site->file,
		    site->line);
	}
	/* glob(3) without setlocale() in nginx: bytewise order. */
	if (nm > 0)
		qsort(m, nm, sizeof *m, cmp_str);
	for (i = 0; i < nm && rc == 0; i++)
		rc = load_file(ld, m[i], parent, ctx, site);
	for (i = 0; i < nm; i++)
		free(m[i]);
	free(m);
	free(pat);
	return rc;
}

static size_t
args_hash(char *const *v, size_t n)
{
	uint64_t	 h = n;
	size_t		 i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint64_t)(uintptr_t)v[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 32));
}

static const struct confdir **
args_slot(const struct confdir **tab, size_t cap, char *const *v, size_t n)
{
	size_t	 i = args_hash(v, n) & (cap - 1);

	while (tab[i] != NULL && (tab[i]->nargs != n ||
	    memcmp(tab[i]->args, v, n * sizeof *v) != 0))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/*
 * The tree's one copy of the argument array v[0..n) of interned words:
 * directives written alike share it ("proxy_ssl_server_name on" a few
 * thousand times, proxy_pass to the same pool): 6,400 arrays instead of
 * 20,000 with 1,000 servers.
 */
static char **
args_intern(struct loader *ld, struct confdir *d, char *const *v, size_t n)
{
	const struct confdir	**old = ld->atab, **slot;
	size_t			  oldcap = ld->acap, i;

	if (2 * (ld->aused + 1) > ld->acap) {
		ld->acap = oldcap ? 2 * oldcap : 256;
		ld->atab = xcalloc(ld->acap, sizeof *ld->atab);
		for (i = 0; i < oldcap; i++)
			if (old[i] != NULL)
				*args_slot(ld->atab, ld->acap, old[i]->args,
				    old[i]->nargs) = old[i];
		free(old);
	}
	slot = args_slot(ld->atab, ld->acap, v, n);
	if (*slot != NULL)
		return (*slot)->args;
	d->args = arena_alloc(ld->t->mem, n * sizeof *d->args);
	memcpy(d->args, v, n * sizeof *v);
	*slot = d;
	ld->aused++;
	return d->args;
}

/* Loading is over (or starts again): the tables go. */
static void
args_intern_done(struct loader *ld)
{
	free(ld->atab);
	ld->atab = NULL;
	ld->acap = ld->aused = 0;
}

static struct confdir *
dir_add(struct loader *ld, struct confdir *parent, struct conflex_stmt *st,
    const char *file)
{
	struct confdir	*d;
	size_t		 i, n;

	d = arena_calloc(ld->t->mem, 1, sizeof *d);
	d->file = file;
	d->line = st->line;
	d->end_line = st->end_line;
	d->nargs = st->nwords;
	if (st->nwords == 0)
		d->args = arena_alloc(ld->t->mem, sizeof *d->args);
	else {
		if (st->nwords > ld->nwords) {
			ld->words = xreallocarray(ld->words, st->nwords,
			    sizeof *ld->words);
			ld->nwords = st->nwords;
		}
		/* Interned: names and common values ("on", pools)
		 * repeat, and so do whole statements. */
		for (i = 0; i < st->nwords; i++)
			ld->words[i] = arena_intern(ld->t->mem,
			    st->words[i].s, st->words[i].n);
		d->args = args_intern(ld, d, ld->words, st->nwords);
	}
	d->opaque = st->opaque != 0;
	d->parent = parent;
	n = parent->nchild;
	if (n == 0 || (n >= CHILD_MIN && (n & (n - 1)) == 0))
		parent->child = xreallocarray(parent->child,
		    n == 0 ? CHILD_MIN : 2 * n, sizeof *parent->child);
	parent->child[parent->nchild++] = d;
	ld->t->ndirs++;
	return d;
}

/* Parse statements from lx into parent until EOF or the closing "}". */
static int
parse(struct loader *ld, struct conflex *lx, const char *file,
    struct confdir *parent, const struct confcheck_ctx *ctx, int in_block)
{
	struct conflex_stmt	 st;
	struct confdir		*d;
	struct confdir		 at;
	struct conftree		*t;
	struct confcheck_ctx	 inner;
	enum conflex_rc		 rc;
	enum confcheck_rc	 crc;
	char			*msg;
	int			 r = 0;

	conflex_stmt_init(&st);
	memset(&at, 0, sizeof at);
	at.file = file;
	for (;;) {
		rc = conflex_next(lx, &st, ld->cause);
		if (rc == CONFLEX_ERROR) {
			r = -1;
			break;
		}
		at.line = conflex_line(lx);
		if (rc == CONFLEX_EOF) {
			if (in_block)
				r = load_error(ld, &at, "unexpected end of "
				    "file, expecting \"}\"");
			break;
		}
		if (rc == CONFLEX_END) {
			if (!in_block)
				r = load_error(ld, &at, "unexpected \"}\"");
			break;
		}
		if (ld->t->ndirs >= CONFLOAD_MAX_DIRS) {
			r = load_error(ld, &at, "more than %u directives",
			    CONFLOAD_MAX_DIRS);
			break;
		}
		if (strcmp(st.words[0].s, "include") == 0 &&
		    rc == CONFLEX_STMT && !st.opaque) {
			at.line = st.line;
			if (st.nwords != 2) {
				r = load_error(ld, &at, "invalid number of "
				    "arguments in \"include\" directive");
				break;
			}
			d = dir_add(ld, parent, &st, file);
			/* The include itself is kept: it records the site. */
			if ((r = include(ld, d, parent, ctx)) != 0)
				break;
			continue;
		}
		/* What ngx_conf_handler() checks, at the line nginx reports
		 * (where the statement ends). */
		crc = confcheck_stmt(ctx, st.words[0].s, st.nwords,
		    rc == CONFLEX_BLOCK, &inner, &msg);
		if (crc != CONFCHECK_OK) {
			t = ld->t;
			t->violations = xreallocarray(t->violations,
			    t->nviolations + 1, sizeof *t->violations);
			t->violations[t->nviolations].kind = crc;
			xasprintf(&t->violations[t->nviolations++].msg,
			    "%s in %s:%u", msg, file, st.end_line);
			free(msg);
		}
		d = dir_add(ld, parent, &st, file);
		if (rc == CONFLEX_BLOCK) {
			d->block = 1;
			if ((r = parse(ld, lx, file, d, &inner, 1)) != 0)
				break;
		}
	}
	conflex_stmt_free(&st);
	return r;
}

/* DIR with a trailing '/'. */
static char *
with_slash(const char *dir)
{
	char	*s;

	if (dir[0] != '\0' && dir[strlen(dir) - 1] == '/')
		return xstrdup(dir);
	xasprintf(&s, "%s/", dir);
	return s;
}

static struct conftree *
tree_new(const char *main, const char *prefix)
{
	struct conftree	*t;
	const char	*slash;

	t = xcalloc(1, sizeof *t);
	/* ngx_process_options(): the conf prefix is the -c file's
	 * directory; -p is the prefix (logs, pid, temp paths, root). */
	if (prefix != NULL)
		t->nginx_prefix = with_slash(prefix);
	if ((slash = strrchr(main, '/')) != NULL)
		t->prefix = xstrndup(main, (size_t)(slash - main) + 1);
	else
		t->prefix = xstrdup("");
	t->root.file = "";
	t->mem = arena_new();
	return t;
}

struct conftree *
confload_files(const char *path, const char *prefix, char **cause)
{
	struct loader	 ld;
	struct conftree	*t;
	struct confcheck_ctx root;
	char		*full, *cwd, *p;

	memset(&ld, 0, sizeof ld);
	ld.cause = cause;
	/* nginx makes -c absolute against its prefix (-p, else the
	 * working directory of a build without a compiled-in prefix). */
	if (path[0] != '/' && prefix != NULL) {
		cwd = with_slash(prefix);
		xasprintf(&full, "%s%s", cwd, path);
		free(cwd);
	} else if (path[0] != '/' && (cwd = getcwd(NULL, 0)) != NULL) {
		xasprintf(&full, "%s/%s", cwd, path);
		free(cwd);
	} else
		full = xstrdup(path);
	for (p = full; (p = strstr(p, "/./")) != NULL; )
		memmove(p, p + 2, strlen(p + 2) + 1);
	t = tree_new(full, prefix);
	ld.t = t;
	confcheck_root(&root);
	if (load_file(&ld, full, &t->root, &root, NULL) != 0) {
		confload_free(t);
		t = NULL;
	} else
		tree_freeze(t);
	args_intern_done(&ld);
	free(ld.words);
	free(full);
	return t;
}

/* Find the "# configuration file PATH:" header lines of a dump. */
static void
dump_split(struct loader *ld)
{
	const char	*d = ld->dump, *e = d + ld->dumplen, *p, *nl, *q;
	size_t		 hl = sizeof HEADER - 1;

	for (p = d; p < e; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		if ((size_t)(nl - p) > hl + 2 && memcmp(p, HEADER, hl) == 0 &&
		    p[hl] == '/' && nl[-1] == ':') {
			q = p + hl;
			ld->df = xreallocarray(ld->df, ld->ndf + 1,
			    sizeof *ld->df);
			ld->df[ld->ndf].path = xstrndup(q, (size_t)(nl - 1 - q));
			ld->df[ld->ndf].hdr = (size_t)(p - d);
			ld->df[ld->ndf].body = nl < e ? (size_t)(nl + 1 - d) :
			    ld->dumplen;
			ld->df[ld->ndf].active = 1;
			ld->df[ld->ndf].used = 0;
			ld->ndf++;
		}
		if (nl == e)
			break;
	}
}

struct conftree *
confload_dump(const char *data, size_t len, const char *prefix, char **cause)
{
	struct loader	 ld;
	struct conftree	*t = NULL;
	struct confcheck_ctx root;
	size_t		 i, j;
	int		 again;

	memset(&ld, 0, sizeof ld);
	ld.cause = cause;
	ld.dump = data;
	ld.dumplen = len;
	dump_split(&ld);
	if (ld.ndf == 0) {
		*cause = xstrdup("no \"# configuration file PATH:\" header: "
		    "not an nginx -T dump");
		return NULL;
	}
	for (i = 0; i < ld.ndf; i++)
		for (j = 0; j < i; j++)
			if (strcmp(ld.df[i].path, ld.df[j].path) == 0) {
				xasprintf(cause, "\"%s\" dumped twice: not an "
				    "nginx -T dump", ld.df[i].path);
				goto out;
			}
	/*
	 * A comment line inside a file can look like a header. nginx dumps
	 * only files it read, so a header no include reaches is such a
	 * line: take it back into the file before it and load again.
	 */
	do {
		again = 0;
		t = tree_new(ld.df[0].path, prefix);
		ld.t = t;
		for (i = 0; i < ld.ndf; i++)
			ld.df[i].used = 0;
		args_intern_done(&ld);
		confcheck_root(&root);
		if (load_file(&ld, ld.df[0].path, &t->root, &root,
		    NULL) != 0) {
			confload_free(t);
			t = NULL;
			break;
		}
		for (i = 1; i < ld.ndf; i++)
			if (ld.df[i].active && !ld.df[i].used) {
				ld.df[i].active = 0;
				again = 1;
				confload_free(t);
				t = NULL;
				break;
			}
	} while (again);
	/* Keep each file's text: patches are made against what nginx runs,
	 * whatever is on disk now. */
	if (t != NULL) {
		const struct dumpfile	*f;
		const char		*text;
		size_t			 dlen;

		tree_freeze(t);

		t->texts = xcalloc(t->nfiles ? t->nfiles : 1,
		    sizeof *t->texts);
		t->tlens = xcalloc(t->nfiles ? t->nfiles : 1,
		    sizeof *t->tlens);
		for (i = 0; i < t->nfiles; i++) {
			if ((f = dump_find(&ld, t->files[i])) == NULL)
				continue;
			dump_content(&ld, f, &text, &dlen);
			t->texts[i] = xmalloc(dlen + 1);
			memcpy(t->texts[i], text, dlen);
			t->texts[i][dlen] = '\0';
			t->tlens[i] = dlen;
		}
	}
out:
	args_intern_done(&ld);
	free(ld.words);
	for (i = 0; i < ld.ndf; i++)
		free(ld.df[i].path);
	free(ld.df);
	return t;
}
