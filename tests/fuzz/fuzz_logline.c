/*
 * libFuzzer target for the error-log line parser: any bytes, any
 * length. Every event it yields must render as valid, escaped JSON and
 * text, and the event's spans must point into the input.
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

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct logline	*ll;
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event	 ev;
	char		*cause = NULL;
	const char	*line = (const char *)data;

	if (ll == NULL) {
		if ((ll = logline_new(&cause)) == NULL)
			abort();
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
	return 0;
}
