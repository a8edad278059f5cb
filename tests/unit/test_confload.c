/*
 * confload: includes (relative to the prefix, globs in byte order, dot
 * files skipped), loops, unreadable files, nesting depth, and nginx -T
 * dumps (split on headers, a file without a final newline, a comment
 * that looks like a header) giving the same tree as the files.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hswatch/buf.h"
#include "hswatch/confload.h"

static char	 dir[] = "/tmp/hswatch-confload.XXXXXX";

static void
put(const char *name, const char *text)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* Every directive as "file:line name args", file relative to dir. */
static void
render(const struct confdir *d, struct buf *b)
{
	size_t	 i, j;

	for (i = 0; i < d->nchild; i++) {
		const struct confdir *c = d->child[i];
		buf_printf(b, "%s:%u", c->file + strlen(dir) + 1, c->line);
		for (j = 0; j < c->nargs; j++)
			buf_printf(b, " %s", c->args[j]);
		buf_adds(b, c->block ? " {\n" : "\n");
		render(c, b);
		if (c->block)
			buf_adds(b, "}\n");
	}
}

static char *
load_render(const char *main, char **cause)
{
	struct conftree	*t;
	struct buf	 b;
	char		 path[512], *r;

	snprintf(path, sizeof path, "%s/%s", dir, main);
	if ((t = confload_files(path, NULL, cause)) == NULL)
		return NULL;
	buf_init(&b);
	render(&t->root, &b);
	r = strdup(buf_cstr(&b));
	buf_free(&b);
	confload_free(t);
	return r;
}

/* An nginx -T dump of what nginx would read, in first-open order. */
static char *
make_dump(const char *const *files, size_t n)
{
	struct buf	 b;
	char		 path[512], *data, *r;
	size_t		 i, len;

	buf_init(&b);
	buf_adds(&b, "nginx: the configuration file x syntax is ok\n");
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		assert_int_equal(confload_slurp(path, 1 << 20, &data, &len,
		    &r), 0);
		buf_printf(&b, "# configuration file %s:\n", path);
		buf_add(&b, data, len);
		buf_addc(&b, '\n');
		free(data);
	}
	r = strdup(buf_cstr(&b));
	buf_free(&b);
	return r;
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	mkdir(strcat(strcpy((char[512]){0}, dir), "/conf.d"), 0700);
	put("nginx.conf", "events {}\nhttp {\n    include conf.d/*.conf;\n"
	    "    include snip.conf;\n}\n");
	put("conf.d/b.conf", "server { listen 2; }\n");
	put("conf.d/A.conf", "server {\n  listen 1;\n  include snip.conf;\n}\n");
	put("conf.d/10.conf", "upstream u { server 1.2.3.4; }");
	put("conf.d/.hidden.conf", "broken {");
	put("snip.conf", "# configuration file /fake/header.conf:\n"
	    "proxy_ssl_verify on;\n");
	return 0;
}

static int
teardown(void **state)
{
	char	 cmd[600];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char tree_want[] =
    "nginx.conf:1 events {\n}\n"
    "nginx.conf:2 http {\n"
    "nginx.conf:3 include conf.d/*.conf\n"
    "conf.d/10.conf:1 upstream u {\n"
    "conf.d/10.conf:1 server 1.2.3.4\n}\n"
    "conf.d/A.conf:1 server {\n"
    "conf.d/A.conf:2 listen 1\n"
    "conf.d/A.conf:3 include snip.conf\n"
    "snip.conf:2 proxy_ssl_verify on\n}\n"
    "conf.d/b.conf:1 server {\n"
    "conf.d/b.conf:1 listen 2\n}\n"
    "nginx.conf:4 include snip.conf\n"
    "snip.conf:2 proxy_ssl_verify on\n}\n";

static void
test_includes(void **state)
{
	char	*got, *cause = NULL;

	(void)state;
	got = load_render("nginx.conf", &cause);
	assert_non_null(got);
	assert_string_equal(got, tree_want);
	free(got);
}

static void
test_dump_parity(void **state)
{
	static const char *const order[] = { "nginx.conf", "conf.d/10.conf",
	    "conf.d/A.conf", "snip.conf", "conf.d/b.conf" };
	struct conftree	*t;
	struct buf	 b;
	char		*dump, *cause = NULL;
	size_t		 i;

	(void)state;
	dump = make_dump(order, 5);
	t = confload_dump(dump, strlen(dump), NULL, &cause);
	if (t == NULL)
		fail_msg("%s", cause);
	buf_init(&b);
	render(&t->root, &b);
	assert_string_equal(buf_cstr(&b), tree_want);
	/* Files in first-open order, as nginx -T lists them. */
	assert_int_equal(t->nfiles, 5);
	for (i = 0; i < 5; i++)
		assert_string_equal(t->files[i] + strlen(dir) + 1, order[i]);
	buf_free(&b);
	confload_free(t);
	free(dump);

	/* A dump that lacks an included file is refused, at the include. */
	dump = make_dump(order, 3);
	assert_null(confload_dump(dump, strlen(dump), NULL, &cause));
	assert_non_null(strstr(cause, "snip.conf\" failed (not in the nginx"));
	assert_non_null(strstr(cause, "A.conf:3"));
	free(cause);
	free(dump);

	assert_null(confload_dump("events {}\n", 10, NULL, &cause));
	assert_non_null(strstr(cause, "not an nginx -T dump"));
	free(cause);
}

static void
test_errors(void **state)
{
	char	*cause = NULL, *want;
	int	 i;
	char	 name[32], text[64];

	(void)state;
	put("loop.conf", "http {\n include loop2.conf;\n}\n");
	put("loop2.conf", "\ninclude loop.conf;\n");
	assert_null(load_render("loop.conf", &cause));
	assert_int_not_equal(asprintf(&want, "include loop: \"%s/loop.conf\" "
	    "includes itself in %s/loop2.conf:2", dir, dir), -1);
	assert_string_equal(cause, want);
	free(want);
	free(cause);

	put("missing.conf", "include nope.conf;\n");
	assert_null(load_render("missing.conf", &cause));
	assert_non_null(strstr(cause, "nope.conf\" failed (2: No such file"));
	assert_non_null(strstr(cause, "missing.conf:1"));
	free(cause);

	/* A directory where a file is expected. */
	put("dirinc.conf", "include conf.d;\n");
	assert_null(load_render("dirinc.conf", &cause));
	assert_non_null(strstr(cause, "Is a directory"));
	free(cause);

	/* A glob that matches nothing is fine (nginx allows it). */
	put("empty.conf", "include none/*.conf;\nx;\n");
	assert_non_null(want = load_render("empty.conf", &cause));
	free(want);

	/* A chain of includes deeper than the limit. */
	for (i = 0; i <= CONFLOAD_MAX_DEPTH + 1; i++) {
		snprintf(name, sizeof name, "d%d.conf", i);
		snprintf(text, sizeof text, "include d%d.conf;\n", i + 1);
		put(name, text);
	}
	assert_null(load_render("d0.conf", &cause));
	assert_non_null(strstr(cause, "nested deeper than"));
	free(cause);

	/* Wrong arity, unbalanced braces in an included file. */
	put("arity.conf", "include a b;\n");
	assert_null(load_render("arity.conf", &cause));
	assert_non_null(strstr(cause, "invalid number of arguments in "
	    "\"include\" directive in "));
	free(cause);
	put("brace.conf", "http { include close.conf; }\n");
	put("close.conf", "}\n");
	assert_null(load_render("brace.conf", &cause));
	assert_non_null(strstr(cause, "unexpected \"}\" in "));
	assert_non_null(strstr(cause, "close.conf:1"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_includes),
		cmocka_unit_test(test_dump_parity),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
