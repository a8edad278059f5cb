/*
 * libFuzzer target for locate: a fixed model (fuzzutil.c: prefix,
 * exact, ^~, regex, nested and named locations, upstream groups,
 * stream) built once; each input is parsed as an error-log line and the
 * event located, and the raw input is normalised as a request URI.
 * The result must point into the model and be consistent, and its JSON
 * must be valid UTF-8; a normalised URI starts with '/' and has no
 * "//", "." or ".." segment left.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/confmodel.h"
#include "hswatch/escape.h"
#include "hswatch/event.h"
#include "hswatch/locate.h"
#include "hswatch/logline.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct logline	*ll;
static struct buf	 out;

static void
fuzz_atexit_locate(void)
{
	logline_free(ll);
	buf_free(&out);
}

static int
in_model_loc(const struct confmodel *m, const struct confmodel_loc *l)
{
	size_t	 i;

	for (i = 0; i < m->nlocs; i++)
		if (m->locs[i] == l)
			return 1;
	return 0;
}

static int
in_model_server(const struct confmodel *m, const struct confmodel_server *s)
{
	size_t	 i;

	for (i = 0; i < m->nservers; i++)
		if (m->servers[i] == s)
			return 1;
	return 0;
}

static void
check_normalized(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || s[0] != '/')
		abort();
	for (i = 0; i < n; i++) {
		if (s[i] != '/')
			continue;
		if (i + 1 < n && s[i + 1] == '/')
			abort();
		if (i + 1 < n && s[i + 1] == '.' &&
		    (i + 2 == n || s[i + 2] == '/'))
			abort();
		if (i + 2 < n && s[i + 1] == '.' && s[i + 2] == '.' &&
		    (i + 3 == n || s[i + 3] == '/'))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct confmodel	*m = fuzz_fixed_model();
	struct locate_result	 r;
	struct event		 ev;
	enum locate_confidence	 c;
	const char		*line = (const char *)data;
	char			*cause = NULL;
	size_t			 i;

	if (ll == NULL) {
		if ((ll = logline_new(&cause)) == NULL)
			abort();
		buf_init(&out);
		atexit(fuzz_atexit_locate);
	}

	if (locate_normalize(line, size, &out) == 0)
		check_normalized(out.data, out.len);
	for (i = 0; i < m->nservers; i++)
		if (!m->servers[i]->stream)
			(void)locate_location(m->servers[i], line, size);

	memset(&ev, 0, sizeof ev);
	ev.line = 1;
	if (logline_parse(ll, line, size, &ev) == EVENT_NONE && size % 2)
		return 0;
	memset(&r, 0xa5, sizeof r);
	c = locate_event(m, &ev, &r);
	if (c != r.confidence || c > LOCATE_HIGH)
		abort();
	if (r.server != NULL && !in_model_server(m, r.server))
		abort();
	if (r.loc != NULL && (!in_model_loc(m, r.loc) ||
	    r.loc->server != r.server))
		abort();
	if (r.server == NULL && r.loc != NULL)
		abort();
	if (ev.host.p != NULL)
		(void)locate_server_by_host(m, ev.host.p, ev.host.n);
	buf_reset(&out);
	buf_addc(&out, '{');
	locate_json(m, &r, &out);
	buf_addc(&out, '}');
	fuzz_check_utf8(out.data, out.len);
	buf_reset(&out);
	locate_text(m, &r, &out);
	return 0;
}
