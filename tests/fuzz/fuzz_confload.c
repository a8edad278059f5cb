/*
 * libFuzzer target for the loader and the model. Each input is read as
 * an "nginx -T" dump (confload_dump; without a header, as the dump of
 * one nginx.conf) and, when it has headers and its files can be laid
 * out safely, as files: the part before the first "# configuration
 * file PATH:" header is ignored, each header starts a file at PATH
 * relative to the first one's directory, written into a private
 * temporary directory and loaded with confload_files(). A file whose
 * include could reach outside that directory (absolute, "..", escapes,
 * brackets) is not loaded from disk. When both load and the dump's
 * every header was read, the two trees must be the same (README: "both
 * give the same model with the same file:line"); the tree is then built
 * into a model (confmodel_new) and printed (confdump).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/confdump.h"
#include "hswatch/conflex.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"

#include "fuzzutil.h"

#define HEADER		"# configuration file "
#define MAX_FILES	32
#define MAIN_HEADER	"# configuration file /etc/nginx/nginx.conf:\n"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct part {
	char		*rel;
	const char	*data;
	size_t		 len;
};

static const char *const versions[] = { NULL, "1.18.0", "1.25.0", "1.27.3" };

/* Build, print and free the model of a tree. */
static void
model(struct conftree *t, const char *version)
{
	struct confmodel	*m;
	struct buf		 b;
	char			*cause = NULL;

	if ((m = confmodel_new(t, version, &cause)) == NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		return;
	}
	buf_init(&b);
	confdump_text(m, &b);
	confdump_json(m, &b);
	buf_free(&b);
	confmodel_free(m);
}

/* Could an include in data[0..len) leave the directory? */
static int
unsafe_includes(const char *data, size_t len)
{
	struct conflex		*lx;
	struct conflex_stmt	 st;
	enum conflex_rc		 rc;
	char			*cause = NULL, *a;
	int			 bad = 0;

	lx = conflex_new("check", data, len);
	conflex_stmt_init(&st);
	while (!bad && (rc = conflex_next(lx, &st, &cause)) != CONFLEX_EOF &&
	    rc != CONFLEX_ERROR) {
		if (rc != CONFLEX_STMT || st.opaque ||
		    strcmp(st.words[0].s, "include") != 0 || st.nwords < 2)
			continue;
		a = st.words[1].s;
		if (a[0] == '/' || strstr(a, "..") != NULL ||
		    strpbrk(a, "\\[") != NULL || strlen(a) != st.words[1].n)
			bad = 1;
	}
	free(cause);
	conflex_stmt_free(&st);
	conflex_free(lx);
	return bad;
}

/*
 * Split the input into files the way the dump loader does; *root gets
 * the first file's directory. Returns the number of parts, 0 when the
 * files cannot be laid out (then only the dump is loaded).
 */
static size_t
split(const char *d, size_t len, struct part *parts, char **root)
{
	const char	*e = d + len, *p, *nl, *q;
	size_t		 hl = sizeof HEADER - 1, n = 0, plen, rootlen = 0;

	*root = NULL;
	for (p = d; p < e; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		if ((size_t)(nl - p) > hl + 2 && memcmp(p, HEADER, hl) == 0 &&
		    p[hl] == '/' && nl[-1] == ':') {
			q = p + hl;
			plen = (size_t)(nl - 1 - q);
			if (n == MAX_FILES)
				goto fail;
			if (n > 0) {
				/* The previous file ends here, less the
				 * '\n' nginx adds after each file. */
				parts[n - 1].len = (size_t)(p - parts[n - 1].data);
				if (parts[n - 1].len > 0 && p[-1] == '\n')
					parts[n - 1].len--;
			} else {
				for (rootlen = plen; q[rootlen - 1] != '/';
				    rootlen--)
					;
				*root = fuzz_strndup(q, rootlen);
			}
			if (plen <= rootlen || memcmp(q, *root, rootlen) != 0 ||
			    memchr(q, '\0', plen) != NULL)
				goto fail;	/* outside the first's directory */
			parts[n].rel = fuzz_strndup(q + rootlen, plen - rootlen);
			parts[n].data = nl < e ? nl + 1 : e;
			parts[n].len = (size_t)(e - parts[n].data);
			n++;
		}
		if (nl == e)
			break;
	}
	return n;
fail:
	while (n > 0)
		free(parts[--n].rel);
	free(*root);
	*root = NULL;
	return 0;
}

/* Are the trees the same, file names taken relative to their roots? */
static void
same_dir(const struct confdir *a, const char *ra, const struct confdir *b,
    const char *rb)
{
	size_t	 i, la = strlen(ra), lb = strlen(rb);

	if (a->line != b->line || a->nargs != b->nargs ||
	    a->block != b->block || a->opaque != b->opaque ||
	    a->nchild != b->nchild)
		abort();
	if (a->file[0] != '\0' || b->file[0] != '\0') {
		if (strncmp(a->file, ra, la) != 0 ||
		    strncmp(b->file, rb, lb) != 0 ||
		    strcmp(a->file + la, b->file + lb) != 0)
			abort();
	}
	for (i = 0; i < a->nargs; i++)
		if (strcmp(a->args[i], b->args[i]) != 0)
			abort();
	for (i = 0; i < a->nchild; i++)
		same_dir(a->child[i], ra, b->child[i], rb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conftree	*dump, *files = NULL;
	struct part	 parts[MAX_FILES];
	const char	*d = (const char *)data, *version;
	char		*cause = NULL, *root = NULL, *tmproot = NULL, *path;
	char		*wrapped = NULL;
	size_t		 n, i;

	version = versions[size % 4];

	n = split(d, size, parts, &root);
	if (n == 0) {
		/* No (usable) header: the input is the main file. */
		if ((wrapped = malloc(sizeof MAIN_HEADER - 1 + size)) == NULL)
			abort();
		memcpy(wrapped, MAIN_HEADER, sizeof MAIN_HEADER - 1);
		memcpy(wrapped + sizeof MAIN_HEADER - 1, d, size);
		d = wrapped;
		size += sizeof MAIN_HEADER - 1;
	}
	if ((dump = confload_dump(d, size, NULL, &cause)) == NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		cause = NULL;
	}

	/* The same files on disk (only with headers: files cost time). */
	for (i = 0; i < n; i++)
		if (unsafe_includes(parts[i].data, parts[i].len) ||
		    fuzz_write(parts[i].rel, parts[i].data, parts[i].len) != 0)
			break;
	if (n > 0 && i == n) {
		if (asprintf(&path, "%s/%s", fuzz_tmpdir(), parts[0].rel) < 0)
			abort();
		if ((files = confload_files(path, NULL, &cause)) == NULL) {
			if (cause == NULL)
				abort();
			free(cause);
		}
		free(path);
		if (asprintf(&tmproot, "%s/", fuzz_tmpdir()) < 0)
			abort();
	}
	fuzz_clean();

	/* Every header read: the dump and the files are the same tree. */
	if (dump != NULL && files != NULL && root != NULL &&
	    dump->nfiles == n && files->nfiles == n)
		same_dir(&dump->root, root, &files->root, tmproot);

	/* One model (of the dump, or of the files when only they load). */
	if (dump != NULL) {
		model(dump, version);
		confload_free(files);
	} else if (files != NULL)
		model(files, version);
	for (i = 0; i < n; i++)
		free(parts[i].rel);
	free(root);
	free(tmproot);
	free(wrapped);
	return 0;
}
