/*
 * libFuzzer target for the unwrapper and the fragment parser: the input
 * is records separated by '\n', its first byte chooses the format
 * (auto, or one forced). Every line given goes through
 * logline_parse_partial() and must render as valid, escaped JSON and
 * text; lines are never longer than the unwrapper's bound.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/event.h"
#include "hswatch/logline.h"
#include "hswatch/unwrap.h"

#include "fuzzutil.h"

#define FUZZ_UNWRAP_MAX	4096

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct logline	*ll;
static struct buf	 out;

static void
one(const struct unwrap_line *l)
{
	struct event	 ev;

	if (l->len > FUZZ_UNWRAP_MAX || l->timelen >= 64)
		abort();
	memset(&ev, 0, sizeof ev);
	logline_parse_partial(ll, l->p, l->len, &ev);
	ev.source_time.p = l->time;
	ev.source_time.n = l->timelen;
	buf_reset(&out);
	event_json(&ev, &out);
	fuzz_check_utf8(out.data, out.len);
	buf_reset(&out);
	event_text(&ev, &out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unwrap		*u;
	struct unwrap_line	 l;
	const char		*p = (const char *)data, *end, *nl;
	char			*cause = NULL, *rec;
	uint64_t		 lineno = 0;
	size_t			 n;

	if (ll == NULL) {
		if ((ll = logline_new(&cause)) == NULL)
			abort();
		buf_init(&out);
	}
	if (size == 0)
		return 0;
	u = unwrap_new((enum unwrap_format)(data[0] % UNWRAP_FORMAT_MAX),
	    FUZZ_UNWRAP_MAX);
	end = p + size;
	for (p++; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		/* A copy of the exact length: ASan sees overreads. */
		n = (size_t)(nl - p);
		rec = malloc(n > 0 ? n : 1);
		if (rec == NULL)
			abort();
		memcpy(rec, p, n);
		if (unwrap_record(u, rec, n, ++lineno, (uint64_t)(p -
		    (const char *)data), &l) == 1)
			one(&l);
		free(rec);
		if (nl == end)
			break;
	}
	if (unwrap_flush(u, &l) == 1)
		one(&l);
	unwrap_free(u);
	return 0;
}
