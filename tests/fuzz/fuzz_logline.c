/*
 * libFuzzer target for the error-log line parser: any bytes, any
 * length. Every event it yields must render as valid, escaped JSON and
 * text, and the event's spans must point into the input.
 *
 * The batch prefilter (scan.h) is checked on the same bytes: scan_find()
 * finds the first "upstream" memmem(3) finds, scan_count_nl() counts
 * every '\n', scan_find_nl() both (the newlines before the hit), in
 * both implementations (SSE2, AVX2); and a line without the literal
 * (the whole input, and each '\n'-separated line of it) is no event and
 * no upstream failure for the parser with non-TLS failures on: skipping
 * it unread loses nothing.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/escape.h"
#include "hswatch/event.h"
#include "hswatch/logline.h"
#include "hswatch/scan.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct logline	*ll, *llup;
static struct buf	 out;

static void
check_span(const struct span *s, const uint8_t *data, size_t size)
{
	if (s->p == NULL)
		return;
	if ((const uint8_t *)s->p < data ||
	    (const uint8_t *)s->p + s->n > data + size)
		abort();
}

/* A line without the literal must give nothing the pipeline reads. */
static void
check_skippable(const char *line, size_t len)
{
	struct event	 ev;

	if (scan_has(line, len))
		return;
	memset(&ev, 0, sizeof ev);
	if (logline_parse(llup, line, len, &ev) != EVENT_NONE ||
	    (ev.flags & EVENT_F_UPSTREAM_FAIL))
		abort();
}

static void
check_scan(const char *p, size_t n)
{
	const char	*a, *b, *q, *end = p + n;
	size_t		 nl = 0, nlb = 0, i, c;
	int		 avx2;

	b = memmem(p, n, SCAN_LITERAL, SCAN_LITERAL_LEN);
	for (i = 0; i < n; i++) {
		nl += p[i] == '\n';
		if (b != NULL && p + i < b)
			nlb += p[i] == '\n';
	}
	if (b == NULL)
		nlb = nl;
	/* Every implementation: SSE2 (or bytes), AVX2, AVX-512BW if there. */
	for (avx2 = 0; avx2 <= 2; avx2++) {
		scan_set_level(avx2);
		a = scan_find(p, n);
		if (a != b || scan_count_nl(p, n) != nl)
			abort();
		if (scan_find_nl(p, n, &c) != b || c != nlb)
			abort();
	}
	check_skippable(p, n);
	for (; p < end; p = q + 1) {
		if ((q = memchr(p, '\n', (size_t)(end - p))) == NULL)
			q = end;
		check_skippable(p, (size_t)(q - p));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event	 ev;
	char		*cause = NULL;
	const char	*line = (const char *)data;

	if (ll == NULL) {
		if ((ll = logline_new(&cause)) == NULL ||
		    (llup = logline_new(&cause)) == NULL)
			abort();
		logline_upstream_failures(llup, 1);
		buf_init(&out);
	}
	memset(&ev, 0, sizeof ev);
	ev.line = 1;
	logline_parse(ll, line, size, &ev);
	check_span(&ev.time, data, size);
	check_span(&ev.message, data, size);
	check_span(&ev.reason, data, size);
	check_span(&ev.client, data, size);
	check_span(&ev.server, data, size);
	check_span(&ev.request, data, size);
	check_span(&ev.upstream, data, size);
	check_span(&ev.peer, data, size);
	check_span(&ev.host, data, size);
	check_span(&ev.referrer, data, size);
	buf_reset(&out);
	event_json(&ev, &out);
	fuzz_check_utf8(out.data, out.len);
	buf_reset(&out);
	event_text(&ev, &out);
	check_scan(line, size);
	return 0;
}
