/*
 * Regressions found by the fuzz targets (tests/fuzz/), each replayed
 * here so that `make check` keeps them fixed without a fuzzing build.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "hswatch/buf.h"
#include "hswatch/confload.h"
#include "hswatch/confmodel.h"
#include "hswatch/correlate.h"
#include "hswatch/patch.h"
#include "hswatch/xmalloc.h"

#include "../fuzz/fuzzconf.h"

/* ---- correlate --------------------------------------------------------- */

struct lifecycle {
	int	 open;		/* HS-SNI-MISSING|k0 as the sinks see it */
	int	 opened;
	int	 resolved;
};

static void
lifecycle_emit(const struct finding *f, enum finding_state st, void *arg)
{
	struct lifecycle	*l = arg;

	if (strcmp(f->key, "HS-SNI-MISSING|k0") != 0)
		return;
	if (st == FINDING_OPENED) {
		assert_false(l->open);	/* opened twice */
		l->open = 1;
		l->opened++;
	} else if (st == FINDING_RESOLVED) {
		assert_true(l->open);
		l->open = 0;
		l->resolved++;
	}
}

/*
 * fuzz_correlate: a finding opened, then a cascade of its group opened
 * (suppressing it), then the finding went quiet and was dropped without
 * "resolved"; fed again, it was "opened" a second time. Now a finding
 * opened before its group's cascade is held until the cascade resolves,
 * and resolved with it: never opened twice, never left without
 * "resolved".
 */
static void
test_resolved_under_cascade(void **state)
{
	struct correlate_conf	 conf;
	struct correlate	*c;
	struct correlate_event	 ev;
	struct finding		*f;
	struct lifecycle	 l = { 0, 0, 0 };
	int64_t			 t0 = 1700000000;

	(void)state;
	fuzz_correlate_conf(&conf);
	c = correlate_new(&conf);
	memset(&ev, 0, sizeof ev);
	ev.kind = EVENT_HANDSHAKE_TIMEOUT;
	ev.group = "pool";
	ev.group_peers = 3;
	ev.peer = "10.0.0.1:443";
	ev.when = t0 + 1;
	f = finding_new("HS-SNI-MISSING", FINDING_ERROR, "title");
	f->key = xstrdup("HS-SNI-MISSING|k0");
	correlate_feed(c, &ev, f, t0 + 1, lifecycle_emit, &l);
	assert_int_equal(l.opened, 1);

	/* A TLS failure on another peer (counted in the group only), so
	 * that the pool going down is a TLS cascade. */
	ev.peer = "10.0.0.2:443";
	ev.when = t0 + 33;
	correlate_feed(c, &ev, NULL, t0 + 33, lifecycle_emit, &l);

	/* "no live upstreams": the pool is down, a cascade opens. */
	ev.kind = EVENT_NO_LIVE_UPSTREAMS;
	ev.peer = NULL;
	ev.when = t0 + 34;
	correlate_feed(c, &ev, NULL, t0 + 34, lifecycle_emit, &l);

	/* Quiet for resolve_after, but its cascade is open: held. */
	correlate_tick(c, t0 + 34, lifecycle_emit, &l);
	assert_int_equal(l.resolved, 0);

	/* The same failure again, outside any group: still the one open
	 * finding, not a second "opened". */
	ev.kind = EVENT_HANDSHAKE_TIMEOUT;
	ev.group = NULL;
	ev.peer = "10.0.0.5:443";
	f = finding_new("HS-SNI-MISSING", FINDING_ERROR, "title");
	f->key = xstrdup("HS-SNI-MISSING|k0");
	correlate_feed(c, &ev, f, t0 + 35, lifecycle_emit, &l);
	assert_int_equal(l.opened, 1);

	/* All quiet: the cascade resolves, and the finding with it. */
	correlate_tick(c, t0 + 100, lifecycle_emit, &l);
	assert_int_equal(l.resolved, 1);
	assert_false(l.open);
	correlate_free(c);
}

static void
ignore_emit(const struct finding *f, enum finding_state st, void *arg)
{
	(void)f;
	(void)st;
	(void)arg;
}

/*
 * fuzz_correlate (ASan: heap-use-after-free in note_group): a finding
 * made in group "api" was fed again with group "pool" and became
 * pool's cause; resolving it freed it but cleared only api's cause, and
 * the next event of pool read the freed finding.
 */
static void
test_cause_of_other_group(void **state)
{
	struct correlate_conf	 conf;
	struct correlate	*c;
	struct correlate_event	 ev;
	struct finding		*f;
	int64_t			 t0 = 1700000000;

	(void)state;
	fuzz_correlate_conf(&conf);
	c = correlate_new(&conf);
	memset(&ev, 0, sizeof ev);
	ev.kind = EVENT_VERIFY_FAILED;
	ev.group = "api";
	ev.peer = "10.0.0.1:443";
	ev.when = t0;
	f = finding_new("HS-SNI-MISSING", FINDING_ERROR, "title");
	f->key = xstrdup("HS-SNI-MISSING|k0");
	correlate_feed(c, &ev, f, t0, ignore_emit, NULL);
	ev.kind = EVENT_NONE;
	ev.group = "pool";
	f = finding_new("HS-SNI-MISSING", FINDING_ERROR, "title");
	f->key = xstrdup("HS-SNI-MISSING|k0");
	correlate_feed(c, &ev, f, t0 + 4, ignore_emit, NULL);
	correlate_tick(c, t0 + 52, ignore_emit, NULL);	/* frees it */
	f = finding_new("HS-VERIFY-NO-CA", FINDING_ERROR, "title");
	correlate_feed(c, &ev, f, t0 + 134, ignore_emit, NULL);
	assert_int_equal(correlate_open_findings(c), 1);
	correlate_free(c);
}

/* ---- confmodel --------------------------------------------------------- */

/*
 * fuzz_confload (LeakSanitizer): a stream server with two proxy_pass
 * leaked the first target. nginx -t refuses it, so does the model.
 */
static void
test_stream_proxy_pass_twice(void **state)
{
	static const char	 dump[] =
	    "# configuration file /etc/nginx/nginx.conf:\n"
	    "stream { server { listen 9443; proxy_pass 127.0.0.1:1;\n"
	    "    proxy_pass 127.0.0.2:2; } }\n";
	struct conftree		*t;
	char			*cause = NULL;

	(void)state;
	t = confload_dump(dump, sizeof dump - 1, NULL, &cause);
	assert_non_null(t);
	assert_null(confmodel_new(t, NULL, &cause));
	assert_string_equal(cause, "\"proxy_pass\" directive is duplicate "
	    "in /etc/nginx/nginx.conf:2");
	free(cause);
}

/* ---- patch ------------------------------------------------------------- */

struct conf {
	char		 path[64];
	char		 root[64];
	struct conftree	*t;
};

/* Write text to a temporary nginx.conf and load it. */
static void
conf_loadn(struct conf *c, const char *text, size_t len)
{
	char	*cause = NULL;
	FILE	*f;

	strcpy(c->root, "/tmp/hswatch-fuzzregress.XXXXXX");
	assert_non_null(mkdtemp(c->root));
	snprintf(c->path, sizeof c->path, "%s/nginx.conf", c->root);
	assert_non_null(f = fopen(c->path, "w"));
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	c->t = confload_files(c->path, NULL, &cause);
	if (c->t == NULL)
		fail_msg("%s", cause);
}

static void
conf_load(struct conf *c, const char *text)
{
	conf_loadn(c, text, strlen(text));
}

static void
conf_free(struct conf *c)
{
	confload_free(c->t);
	unlink(c->path);
	rmdir(c->root);
}

/*
 * fuzz_patch: in a file with one CRLF line every line of the diff got
 * a '\r', so the context did not match the file and the patch did not
 * apply. Each line keeps its own ending.
 */
static void
test_patch_mixed_endings(void **state)
{
	struct conf	 c;
	struct patch	*p;
	struct buf	 out;
	char		*cause = NULL;

	(void)state;
	conf_load(&c, "a 1;\r\nb 2;\nc 3;\n");
	p = patch_new(c.root);
	patch_replace(p, c.t->root.child[1], "b 4;");
	buf_init(&out);
	assert_int_equal(patch_render(p, &out, &cause), 0);
	assert_string_equal(buf_cstr(&out), "--- a/nginx.conf\n"
	    "+++ b/nginx.conf\n"
	    "@@ -1,3 +1,3 @@\n"
	    " a 1;\r\n"
	    "-b 2;\n"
	    "+b 4;\r\n"
	    " c 3;\n");
	buf_free(&out);
	patch_free(p);
	conf_free(&c);
}

/* Render one edit of the file text; the diff. */
static char *
render_one(const char *text, int insert, size_t dir, const char *edit)
{
	struct conf	 c;
	struct patch	*p;
	struct buf	 out;
	char		*cause = NULL, *r;

	conf_load(&c, text);
	p = patch_new(c.root);
	if (insert)
		patch_insert_after(p, c.t->root.child[dir], edit);
	else
		patch_replace(p, c.t->root.child[dir], edit);
	buf_init(&out);
	assert_int_equal(patch_render(p, &out, &cause), 0);
	r = xstrdup(buf_cstr(&out));
	buf_free(&out);
	patch_free(p);
	conf_free(&c);
	return r;
}

/*
 * fuzz_patch: in a file without a final newline, "\ No newline at end
 * of file" came after the added lines only, as if the old last line had
 * a newline: replacing the last statement did not apply (GNU patch:
 * "Hunk #1 FAILED"), an insertion after it applied only with fuzz.
 */
static void
test_patch_no_final_newline(void **state)
{
	char	*d;

	(void)state;
	d = render_one("a 1;\nb 2;", 0, 1, "c 3;");
	assert_string_equal(d, "--- a/nginx.conf\n+++ b/nginx.conf\n"
	    "@@ -1,2 +1,2 @@\n"
	    " a 1;\n"
	    "-b 2;\n"
	    "\\ No newline at end of file\n"
	    "+c 3;\n"
	    "\\ No newline at end of file\n");
	free(d);
	d = render_one("a 1;\nb 2;", 1, 1, "c 3;");
	assert_string_equal(d, "--- a/nginx.conf\n+++ b/nginx.conf\n"
	    "@@ -1,2 +1,3 @@\n"
	    " a 1;\n"
	    "-b 2;\n"
	    "\\ No newline at end of file\n"
	    "+b 2;\n"
	    "+c 3;\n"
	    "\\ No newline at end of file\n");
	free(d);
	/* The last line unchanged: one marker for both sides. */
	d = render_one("a 1;\nb 2;", 0, 0, "a 3;");
	assert_string_equal(d, "--- a/nginx.conf\n+++ b/nginx.conf\n"
	    "@@ -1,2 +1,2 @@\n"
	    "-a 1;\n"
	    "+a 3;\n"
	    " b 2;\n"
	    "\\ No newline at end of file\n");
	free(d);
}

/*
 * fuzz_patch: a directive named "" ('"" x;') as an anchor made
 * find_stmt() loop for ever (strstr of "" does not move on).
 */
static void
test_patch_empty_name(void **state)
{
	struct conf	 c;
	struct patch	*p;
	struct buf	 out;
	char		*cause = NULL;

	(void)state;
	conf_load(&c, "\"\" x;\n");
	p = patch_new(c.root);
	patch_insert_after(p, c.t->root.child[0], "y 1;");
	buf_init(&out);
	assert_int_equal(patch_render(p, &out, &cause), -1);
	assert_non_null(cause);
	free(cause);
	buf_free(&out);
	patch_free(p);
	conf_free(&c);
}

/*
 * fuzz_patch skipped files with a NUL byte: patch handles lines as C
 * strings, so the diff cut the line at the NUL and did not apply. Such a
 * file now gets a cause and no patch.
 */
static void
test_patch_nul_byte(void **state)
{
	static const char text[] = "a 1;\nb \"x\0y\";\nc 3;\n";
	struct conf	 c;
	struct patch	*p;
	struct buf	 out;
	char		*cause = NULL;

	(void)state;
	conf_loadn(&c, text, sizeof text - 1);
	p = patch_new(c.root);
	patch_replace(p, c.t->root.child[2], "c 4;");
	buf_init(&out);
	assert_int_equal(patch_render(p, &out, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "NUL byte"));
	assert_int_equal(out.len, 0);
	free(cause);
	buf_free(&out);
	patch_free(p);
	conf_free(&c);
}

/*
 * fuzz_patch: three edits of one statement set the cause twice (leak,
 * LeakSanitizer); an empty inserted line at column 0 passed NULL to
 * memcpy (UBSan); a file gone at render time leaked (both found under
 * the fuzzing build's sanitizers, which `make check` with --enable-asan
 * or under valgrind repeats).
 */
static void
test_patch_errors_free(void **state)
{
	struct conf	 c;
	struct patch	*p;
	struct buf	 out;
	char		*cause = NULL;

	(void)state;
	conf_load(&c, "a 1;\nb 2;\n");
	p = patch_new(c.root);
	patch_replace(p, c.t->root.child[0], "a 2;");
	patch_replace(p, c.t->root.child[0], "a 3;");
	patch_replace(p, c.t->root.child[0], "a 4;");
	buf_init(&out);
	assert_int_equal(patch_render(p, &out, &cause), -1);
	assert_non_null(strstr(cause, "overlap"));
	free(cause);
	cause = NULL;
	patch_free(p);

	p = patch_new(c.root);
	patch_insert_after(p, c.t->root.child[1], "x 1;\n\ny 2;");
	buf_reset(&out);
	assert_int_equal(patch_render(p, &out, &cause), 0);
	assert_non_null(strstr(buf_cstr(&out), "+x 1;\n+\n+y 2;\n"));

	unlink(c.path);
	buf_reset(&out);
	assert_int_equal(patch_render(p, &out, &cause), -1);
	free(cause);
	patch_free(p);
	buf_free(&out);
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolved_under_cascade),
		cmocka_unit_test(test_cause_of_other_group),
		cmocka_unit_test(test_stream_proxy_pass_twice),
		cmocka_unit_test(test_patch_mixed_endings),
		cmocka_unit_test(test_patch_no_final_newline),
		cmocka_unit_test(test_patch_empty_name),
		cmocka_unit_test(test_patch_nul_byte),
		cmocka_unit_test(test_patch_errors_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
