/*
 * libFuzzer target for replay's pipeline end to end (src/analyze.c:
 * locate, diagnose with patches, correlate) against the fixed model of
 * fuzzutil.c: the input is error-log lines, each parsed and analysed in
 * order with replay's ticks, then everything resolved. Every finding
 * emitted must render as valid JSON, and the combined patch must render
 * against the (unchanged) configuration file.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/analyze.h"
#include "hswatch/buf.h"
#include "hswatch/escape.h"
#include "hswatch/event.h"
#include "hswatch/finding.h"
#include "hswatch/logline.h"
#include "hswatch/patch.h"

#include "fuzzutil.h"

#define TICK	10	/* replay's REPLAY_TICK */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct logline	*ll;
static struct buf	 out;

static void
fuzz_atexit_analyze(void)
{
	logline_free(ll);
	buf_free(&out);
}

static void
emit(const struct finding *f, enum finding_state st, void *arg)
{
	(void)arg;
	if (f->key == NULL || f->code == NULL || f->count == 0)
		abort();
	buf_reset(&out);
	finding_json(f, st, &out);
	fuzz_check_utf8(out.data, out.len);
	buf_reset(&out);
	finding_text(f, st, &out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct confmodel	*m = fuzz_fixed_model();
	const char		*p = (const char *)data, *e = p + size, *nl;
	struct analyze		*a;
	struct event		 ev;
	int64_t			 last = 0;
	int			 ticked = 0;
	char			*cause = NULL;
	struct buf		 d;

	if (ll == NULL) {
		if ((ll = logline_new(&cause)) == NULL)
			abort();
		buf_init(&out);
		atexit(fuzz_atexit_analyze);
	}
	a = analyze_new(m, NULL);
	memset(&ev, 0, sizeof ev);
	for (; p < e; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		ev.line++;
		if (logline_parse(ll, p, (size_t)(nl - p), &ev) == EVENT_NONE)
			continue;
		if (!ticked || ev.ts - last >= TICK) {
			ticked = 1;
			analyze_tick(a, ev.ts, emit, NULL);
			last = ev.ts;
		}
		analyze_event(a, &ev, ev.ts, emit, NULL);
	}
	if (ticked)
		analyze_tick(a, last + 100000, emit, NULL);
	buf_init(&d);
	if (patch_render(analyze_patch(a), &d, &cause) != 0)
		abort();	/* the file did not change */
	buf_free(&d);
	analyze_free(a);
	return 0;
}
