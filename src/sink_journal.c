/*
 * The journald sink: one entry per state change with a MESSAGE_ID per
 * finding code (src/codes.c; journalctl -x explains it from
 * systemd/hswatch.catalog) and every part of the finding as its own
 * HSWATCH_* field. Field values go to journald byte for byte (the
 * native protocol is binary-safe); only MESSAGE, which people read on
 * terminals, is escaped, and so are HSWATCH_WHERE and HSWATCH_EXPLAIN,
 * the fields the catalog text shows (journalctl -x inserts them raw). Built only with libsystemd, into its own
 * library, so that programs without it do not link libsystemd.
 */
#include "config.h"

#include <sys/uio.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define SD_JOURNAL_SUPPRESS_LOCATION	/* no build paths in entries */
#include <systemd/sd-journal.h>

#include "hswatch/buf.h"
#include "hswatch/codes.h"
#include "hswatch/escape.h"
#include "hswatch/finding.h"
#include "hswatch/sink.h"
#include "hswatch/tlsalert.h"
#include "hswatch/xmalloc.h"

#define JOURNAL_FIELD_MAX	(64 * 1024)	/* bytes of one value */
#define JOURNAL_MAX_FIELDS	(48 + FINDING_MAX_PEERS)

/* An entry under construction: fields in one buffer, then iovecs. */
struct entry {
	struct buf	 b;
	size_t		 off[JOURNAL_MAX_FIELDS];
	size_t		 len[JOURNAL_MAX_FIELDS];
	size_t		 n;
};

static void
field(struct entry *e, const char *name, const char *value, size_t n)
{
	if (value == NULL || e->n == JOURNAL_MAX_FIELDS)
		return;
	if (n > JOURNAL_FIELD_MAX)
		n = JOURNAL_FIELD_MAX;
	e->off[e->n] = e->b.len;
	buf_adds(&e->b, name);
	buf_addc(&e->b, '=');
	buf_add(&e->b, value, n);
	e->len[e->n] = e->b.len - e->off[e->n];
	e->n++;
}

static void
field_s(struct entry *e, const char *name, const char *value)
{
	if (value != NULL)
		field(e, name, value, strlen(value));
}

static void
field_int(struct entry *e, const char *name, int64_t v)
{
	char	 num[32];

	snprintf(num, sizeof num, "%" PRId64, v);
	field_s(e, name, num);
}

static void
field_at(struct entry *e, const char *name, const struct finding_at *at)
{
	struct buf	 n, v;

	buf_init(&n);
	buf_init(&v);
	field_s(e, name, at->what);
	if (at->file != NULL) {
		buf_printf(&n, "%s_AT", name);
		buf_printf(&v, "%s:%u", at->file, at->line);
		field_s(e, buf_cstr(&n), buf_cstr(&v));
	}
	buf_free(&n);
	buf_free(&v);
}

static void
where_at(struct buf *b, const char *label, const struct finding_at *at)
{
	if (at->what == NULL && at->file == NULL)
		return;
	if (b->len > 0)
		buf_adds(b, ", ");
	buf_adds(b, label);
	buf_addc(b, ' ');
	if (at->what != NULL)
		escape_text(b, at->what, strlen(at->what));
	if (at->file != NULL) {
		buf_adds(b, " (");
		escape_text(b, at->file, strlen(at->file));
		buf_printf(b, ":%u)", at->line);
	}
}

/* "server x (file:line), location y (...), upstream z": escaped. */
static void
where(const struct finding *f, struct buf *b)
{
	where_at(b, "server", &f->server);
	where_at(b, "location", &f->location);
	where_at(b, "proxy_pass", &f->proxy_pass);
	where_at(b, "upstream", &f->upstream);
	if (b->len == 0)
		buf_adds(b, "place unknown");
}

/* Escape s line by line: newlines stay, nothing else unprintable. */
static void
lines(struct buf *b, const char *s, const char *indent)
{
	const char	*nl;

	for (;;) {
		buf_adds(b, indent);
		nl = strchr(s, '\n');
		escape_text(b, s, nl != NULL ? (size_t)(nl - s) : strlen(s));
		if (nl == NULL)
			break;
		buf_addc(b, '\n');
		s = nl + 1;
	}
}

/* "Cause: ...\nFix:\n    ...": escaped, for the catalog text. */
static void
explain(const struct finding *f, struct buf *b)
{
	buf_adds(b, "Cause: ");
	lines(b, f->cause != NULL ? f->cause : "not determined", "");
	buf_adds(b, "\nFix:\n");
	lines(b, f->fix != NULL ? f->fix : "no safe fix known", "    ");
}

static int
journal_emit(struct sink *s, const struct finding *f, enum finding_state st,
    char **cause)
{
	const struct code_info	*ci = codes_find(f->code);
	struct entry		 e;
	struct iovec		 iov[JOURNAL_MAX_FIELDS];
	struct buf		 msg, wh, ex;
	size_t			 i;
	int			 r;
	char			 num[32];

	(void)s;
	memset(&e, 0, sizeof e);
	buf_init(&e.b);
	buf_init(&msg);
	buf_init(&wh);
	buf_init(&ex);
	where(f, &wh);
	explain(f, &ex);

	escape_text(&msg, f->code, strlen(f->code));
	buf_printf(&msg, " %s: ", finding_state_str(st));
	escape_text(&msg, f->title, strlen(f->title));
	buf_adds(&msg, " (");
	buf_add(&msg, wh.data, wh.len);
	buf_printf(&msg, "; %" PRIu64 " event%s)", f->count,
	    f->count == 1 ? "" : "s");

	field(&e, "MESSAGE", msg.data, msg.len);
	if (ci != NULL)
		field_s(&e, "MESSAGE_ID", ci->message_id);
	field_int(&e, "PRIORITY", sink_priority(f, st));
	field_s(&e, "SYSLOG_IDENTIFIER", "hswatchd");
	field_int(&e, "SYSLOG_FACILITY", LOG_DAEMON >> 3);
	field_s(&e, "HSWATCH_CODE", f->code);
	field_s(&e, "HSWATCH_STATE", finding_state_str(st));
	field_s(&e, "HSWATCH_SEVERITY", finding_severity_str(f->severity));
	field_s(&e, "HSWATCH_CONFIDENCE",
	    finding_confidence_str(f->confidence));
	field_s(&e, "HSWATCH_TITLE", f->title);
	snprintf(num, sizeof num, "%" PRIu64, f->count);
	field_s(&e, "HSWATCH_COUNT", num);
	if (f->first_seen > 0)
		field_int(&e, "HSWATCH_FIRST_SEEN", f->first_seen);
	if (f->last_seen > 0)
		field_int(&e, "HSWATCH_LAST_SEEN", f->last_seen);
	field(&e, "HSWATCH_WHERE", wh.data, wh.len);
	field_at(&e, "HSWATCH_SERVER", &f->server);
	field_at(&e, "HSWATCH_LOCATION", &f->location);
	field_at(&e, "HSWATCH_PROXY_PASS", &f->proxy_pass);
	field_at(&e, "HSWATCH_UPSTREAM", &f->upstream);
	for (i = 0; i < f->npeers; i++)
		field_s(&e, "HSWATCH_PEER", f->peers[i]);
	if (f->alert >= 0) {
		field_int(&e, "HSWATCH_ALERT", f->alert);
		field_s(&e, "HSWATCH_ALERT_NAME", tlsalert_name(f->alert));
	}
	if (f->verify_code >= 0)
		field_int(&e, "HSWATCH_VERIFY_CODE", f->verify_code);
	field_s(&e, "HSWATCH_CAUSE", f->cause);
	field_s(&e, "HSWATCH_FIX", f->fix);
	field(&e, "HSWATCH_EXPLAIN", ex.data, ex.len);
	field_s(&e, "HSWATCH_PATCH", f->patch);
	field_s(&e, "HSWATCH_PROBE", f->probe);
	field_s(&e, "HSWATCH_TESTED", f->tested);

	for (i = 0; i < e.n; i++) {
		iov[i].iov_base = e.b.data + e.off[i];
		iov[i].iov_len = e.len[i];
	}
	r = sd_journal_sendv(iov, (int)e.n);
	if (r < 0)
		xasprintf(cause, "sd_journal_sendv: %s", strerror(-r));
	buf_free(&e.b);
	buf_free(&msg);
	buf_free(&wh);
	buf_free(&ex);
	return r < 0 ? -1 : 0;
}

static void
journal_free(struct sink *s)
{
	(void)s;
}

static const struct sink_ops journal_ops = {
	.name = "journal",
	.every_update = 0,
	.emit = journal_emit,
	.free = journal_free,
};

/* A journald sink; sd_journal_sendv connects on first use. */
struct sink *
sink_journal_new(char **cause)
{
	(void)cause;
	return sink_new(&journal_ops, NULL);
}
