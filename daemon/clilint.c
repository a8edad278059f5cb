/*
 * hswatch lint [--format text|json|sarif] [--patch FILE]
 *     (--config FILE | --nginx-T FILE)
 *
 * Exit 0 with no findings, 1 with findings, 2 on error.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clilint.h"
#include "cliconf.h"
#include "hswatch/buf.h"
#include "hswatch/confmodel.h"
#include "hswatch/diagnose.h"
#include "hswatch/escape.h"
#include "hswatch/finding.h"
#include "hswatch/patch.h"
#include "hswatch/xmalloc.h"

#define EXIT_FINDINGS	1
#define EXIT_USAGE	2

enum lint_format { LINT_TEXT, LINT_JSON, LINT_SARIF };

/* Output is written in pieces of about this size. */
#define LINT_FLUSH	(256u << 10)

struct lint {
	struct finding	**f;
	size_t		  n;
	size_t		  cap;
};

static void
collect(struct finding *f, void *arg)
{
	struct lint	*l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->f = xreallocarray(l->f, l->cap, sizeof *l->f);
	}
	l->f[l->n++] = f;
}

static void
lint_usage(void)
{
	fputs("usage: hswatch lint [--format text|json|sarif] [--patch FILE]\n"
	    "                   [--min-severity note|info|warning|error|critical]"
	    "\n"
	    "                   (--config FILE | --nginx-T FILE) [--prefix DIR]"
	    " [--nginx-version V]\n", stderr);
	exit(EXIT_USAGE);
}

/* A relative path as a URI reference: unreserved bytes and '/' pass. */
static void
uri_path(struct buf *b, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL)
			buf_addc(b, (char)*p);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[*p >> 4]);
			buf_addc(b, hex[*p & 15]);
		}
	}
}

static const char *
relative(const char *file, const char *root)
{
	size_t	 n = strlen(root);

	if (strncmp(file, root, n) == 0 && file[n] == '/')
		return file + n + 1;
	if (strcmp(root, "/") == 0 && file[0] == '/')
		return file + 1;
	return file;
}

static const char *
sarif_level(enum finding_severity s)
{
	switch (s) {
	case FINDING_CRITICAL:
	case FINDING_ERROR:
		return "error";
	case FINDING_WARNING:
		return "warning";
	case FINDING_INFO:
	case FINDING_NOTE:
		break;
	}
	return "note";
}

static void
jstr(struct buf *b, const char *s)
{
	escape_json(b, s, strlen(s));
}

static void
sarif(const struct lint *l, const char *root, struct buf *b)
{
	size_t		 i, j;
	const struct finding *f;
	const struct finding_at *at;

	buf_adds(b, "{\"$schema\":\"https://json.schemastore.org/"
	    "sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{\"tool\":"
	    "{\"driver\":{\"name\":\"hswatch\",\"version\":\"" PACKAGE_VERSION
	    "\",\"informationUri\":\"https://github.com/hswatch/hswatch\","
	    "\"rules\":[");
	/* One rule per code, in first-seen order. */
	for (i = 0; i < l->n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(l->f[j]->code, l->f[i]->code) == 0)
				break;
		if (j < i)
			continue;
		if (b->data[b->len - 1] == '}')
			buf_addc(b, ',');
		buf_adds(b, "{\"id\":");
		jstr(b, l->f[i]->code);
		buf_adds(b, ",\"shortDescription\":{\"text\":");
		jstr(b, l->f[i]->title);
		buf_adds(b, "}}");
	}
	buf_adds(b, "]}},\"originalUriBaseIds\":{\"CONFROOT\":{\"uri\":");
	{
		struct buf	 u;

		buf_init(&u);
		buf_adds(&u, "file://");
		uri_path(&u, root);
		if (u.data[u.len - 1] != '/')
			buf_addc(&u, '/');
		escape_json(b, u.data, u.len);
		buf_free(&u);
	}
	buf_adds(b, "}},\"results\":[");
	for (i = 0; i < l->n; i++) {
		f = l->f[i];
		at = f->proxy_pass.file != NULL ? &f->proxy_pass :
		    f->location.file != NULL ? &f->location : &f->server;
		if (i > 0)
			buf_addc(b, ',');
		buf_adds(b, "{\"ruleId\":");
		jstr(b, f->code);
		buf_printf(b, ",\"level\":\"%s\",\"message\":{\"text\":",
		    sarif_level(f->severity));
		{
			struct buf	 m;

			buf_init(&m);
			buf_printf(&m, "%s: %s", f->title,
			    f->cause != NULL ? f->cause : "");
			escape_json(b, m.data, m.len);
			buf_free(&m);
		}
		buf_addc(b, '}');
		if (at->file != NULL) {
			struct buf	 u;

			buf_init(&u);
			uri_path(&u, relative(at->file, root));
			buf_adds(b, ",\"locations\":[{\"physicalLocation\":"
			    "{\"artifactLocation\":{\"uri\":");
			escape_json(b, u.data, u.len);
			buf_printf(b, ",\"uriBaseId\":\"CONFROOT\"},\"region\":"
			    "{\"startLine\":%u}}}]", at->line > 0 ? at->line : 1);
			buf_free(&u);
		}
		buf_adds(b, ",\"properties\":{\"confidence\":");
		jstr(b, finding_confidence_str(f->confidence));
		buf_adds(b, ",\"severity\":");
		jstr(b, finding_severity_str(f->severity));
		buf_adds(b, ",\"related\":[");
		for (j = 0; j < f->nrelated; j++) {
			if (j > 0)
				buf_addc(b, ',');
			jstr(b, f->related[j]);
		}
		buf_addc(b, ']');
		buf_adds(b, ",\"fix\":");
		if (f->fix != NULL)
			jstr(b, f->fix);
		else
			buf_adds(b, "null");
		buf_adds(b, ",\"patch\":");
		if (f->patch != NULL)
			jstr(b, f->patch);
		else
			buf_adds(b, "null");
		buf_adds(b, "}}");
	}
	buf_adds(b, "]}]}\n");
}

/* What clilint_cmd leaves to the process's end (see there); volatile:
 * stores never read would be dropped, and then nothing points to it. */
static struct {
	struct finding		**volatile f;
	struct patch		*volatile combined;
	char			*volatile root;
	struct confmodel	*volatile model;
} lint_left;

int
clilint_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "patch", required_argument, NULL, 'p' },
		{ "min-severity", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		CLICONF_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cliconf		 cc;
	struct confmodel	*m;
	struct patch		*combined;
	struct lint		 l = { NULL, 0, 0 };
	struct buf		 out;
	enum lint_format	 fmt = LINT_TEXT;
	enum finding_severity	 min = FINDING_NOTE;
	const char		*patch_path = NULL;
	char			*root, *cause = NULL;
	size_t			 i;
	int			 ch, rc, werr;
	FILE			*fp;

	memset(&cc, 0, sizeof cc);
	while ((ch = getopt_long(argc, argv, "f:p:m:h", longopts, NULL)) != -1) {
		if (cliconf_opt(&cc, ch, optarg))
			continue;
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "text") == 0)
				fmt = LINT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				fmt = LINT_JSON;
			else if (strcmp(optarg, "sarif") == 0)
				fmt = LINT_SARIF;
			else
				lint_usage();
			break;
		case 'p':
			patch_path = cliconf_patch_file(optarg, 0);
			break;
		case 'm':
			if (finding_severity_parse(optarg, &min) != 0)
				lint_usage();
			break;
		default:
			lint_usage();
		}
	}
	if (optind != argc || !cliconf_given(&cc))
		lint_usage();
	m = cliconf_load(&cc);
	root = diagnose_root(m);
	combined = patch_new(root);
	patch_set_tree(combined, m->tree);
	diagnose_lint_min(m, root, min, combined, collect, &l);

	buf_init(&out);
	if (fmt == LINT_SARIF)
		sarif(&l, root, &out);
	werr = 0;
	for (i = 0; i < l.n && fmt != LINT_SARIF; i++) {
		if (fmt == LINT_JSON) {
			finding_json(l.f[i], FINDING_OPENED, &out);
			buf_addc(&out, '\n');
		} else {
			finding_text(l.f[i], FINDING_OPENED, &out);
			buf_addc(&out, '\n');
		}
		/* Written as it goes (tens of MB on large configurations). */
		if (out.len >= LINT_FLUSH) {
			if (fwrite(out.data, 1, out.len, stdout) != out.len)
				werr = 1;
			buf_reset(&out);
		}
	}
	if (fmt == LINT_TEXT)
		buf_printf(&out, "%zu finding%s\n", l.n, l.n == 1 ? "" : "s");
	rc = l.n > 0 ? EXIT_FINDINGS : 0;
	/* No finding in JSON: nothing to write (and no buffer). */
	if (werr || (out.len > 0 &&
	    fwrite(out.data, 1, out.len, stdout) != out.len) ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "hswatch: writing output: %s\n",
		    strerror(errno));
		rc = EXIT_USAGE;
	}
	if (patch_path != NULL) {
		buf_reset(&out);
		if (patch_render(combined, &out, &cause) != 0) {
			fprintf(stderr, "hswatch: --patch: %s\n", cause);
			free(cause);
			rc = EXIT_USAGE;
		} else if ((fp = fopen(patch_path, "w")) == NULL ||
		    (out.len > 0 &&
		    fwrite(out.data, 1, out.len, fp) != out.len) ||
		    fclose(fp) != 0) {
			fprintf(stderr, "hswatch: %s: %s\n", patch_path,
			    strerror(errno));
			rc = EXIT_USAGE;
		}
	}
	buf_free(&out);
	/*
	 * The findings, the patch and the model are left to the process's
	 * end: freeing 50,000 findings one block at a time was an eighth
	 * of a lint of 20,000 locations. Kept reachable from here, so that
	 * leak checkers do not count them.
	 */
	lint_left.f = l.f;
	lint_left.combined = combined;
	lint_left.root = root;
	lint_left.model = m;
	return rc;
}
