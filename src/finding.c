/*
 * The finding: construction, copying and the two renderings every sink
 * builds on (JSON and text).
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hswatch/buf.h"
#include "hswatch/escape.h"
#include "hswatch/finding.h"
#include "hswatch/tlsalert.h"
#include "hswatch/xmalloc.h"

struct finding *
finding_new(const char *code, enum finding_severity sev, const char *title)
{
	struct finding	*f;

	f = xcalloc(1, sizeof *f);
	f->code = xstrdup(code);
	f->severity = sev;
	f->title = xstrdup(title);
	f->alert = -1;
	f->verify_code = -1;
	return f;
}

static void
at_free(struct finding_at *at)
{
	free(at->what);
	free(at->file);
	memset(at, 0, sizeof *at);
}

void
finding_free(struct finding *f)
{
	size_t	 i;

	if (f == NULL)
		return;
	free(f->code);
	free(f->key);
	free(f->title);
	at_free(&f->server);
	at_free(&f->location);
	at_free(&f->proxy_pass);
	at_free(&f->upstream);
	for (i = 0; i < f->npeers; i++)
		free(f->peers[i]);
	free(f->peers);
	free(f->cause);
	free(f->fix);
	free(f->patch);
	free(f->probe);
	free(f->settings);
	free(f->tested);
	for (i = 0; i < f->nrelated; i++)
		free(f->related[i]);
	free(f->related);
	if (f->defer != NULL)
		f->defer->free(f->defer);
	free(f);
}

void
finding_complete(const struct finding *cf)
{
	struct finding		*f = (struct finding *)(uintptr_t)cf;
	struct finding_defer	*d = f->defer;

	if (d == NULL)
		return;
	f->defer = NULL;	/* first: complete() may read f */
	d->complete(f, d);
	d->free(d);
}

static void
swap_str(char **a, char **b)
{
	char	*t = *a;

	*a = *b;
	*b = t;
}

static void
swap_at(struct finding_at *a, struct finding_at *b)
{
	struct finding_at	 t = *a;

	*a = *b;
	*b = t;
}

void
finding_take_body(struct finding *dst, struct finding *src)
{
	swap_str(&dst->code, &src->code);
	swap_str(&dst->title, &src->title);
	swap_at(&dst->server, &src->server);
	swap_at(&dst->location, &src->location);
	swap_at(&dst->proxy_pass, &src->proxy_pass);
	swap_at(&dst->upstream, &src->upstream);
	swap_str(&dst->cause, &src->cause);
	swap_str(&dst->fix, &src->fix);
	swap_str(&dst->patch, &src->patch);
	swap_str(&dst->probe, &src->probe);
	swap_str(&dst->settings, &src->settings);
	swap_str(&dst->tested, &src->tested);
	dst->severity = src->severity;
	dst->confidence = src->confidence;
	dst->alert = src->alert;
	dst->verify_code = src->verify_code;
	finding_free(src);	/* with dst's old body */
}

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

static void
at_copy(struct finding_at *dst, const struct finding_at *src)
{
	dst->what = dup_or_null(src->what);
	dst->file = dup_or_null(src->file);
	dst->line = src->line;
}

struct finding *
finding_dup(const struct finding *src)
{
	struct finding	*f;
	size_t		 i;

	finding_complete(src);
	f = xcalloc(1, sizeof *f);
	*f = *src;
	f->defer = NULL;
	f->code = dup_or_null(src->code);
	f->key = dup_or_null(src->key);
	f->title = dup_or_null(src->title);
	at_copy(&f->server, &src->server);
	at_copy(&f->location, &src->location);
	at_copy(&f->proxy_pass, &src->proxy_pass);
	at_copy(&f->upstream, &src->upstream);
	f->peers = src->npeers ? xreallocarray(NULL, src->npeers,
	    sizeof *f->peers) : NULL;
	for (i = 0; i < src->npeers; i++)
		f->peers[i] = xstrdup(src->peers[i]);
	f->cause = dup_or_null(src->cause);
	f->fix = dup_or_null(src->fix);
	f->patch = dup_or_null(src->patch);
	f->probe = dup_or_null(src->probe);
	f->settings = dup_or_null(src->settings);
	f->tested = dup_or_null(src->tested);
	f->related = src->nrelated ? xreallocarray(NULL, src->nrelated,
	    sizeof *f->related) : NULL;
	for (i = 0; i < src->nrelated; i++)
		f->related[i] = xstrdup(src->related[i]);
	f->nrelated = src->nrelated;
	return f;
}

void
finding_set(char **member, const char *value)
{
	char	*old = *member;

	*member = dup_or_null(value);
	free(old);
}

void
finding_set_at(struct finding_at *at, const char *what, const char *file,
    unsigned line)
{
	finding_set(&at->what, what);
	finding_set(&at->file, file);
	at->line = line;
}

void
finding_add_peer(struct finding *f, const char *peer, size_t len)
{
	size_t	 i;

	for (i = 0; i < f->npeers; i++)
		if (strlen(f->peers[i]) == len &&
		    memcmp(f->peers[i], peer, len) == 0)
			return;
	if (f->npeers >= FINDING_MAX_PEERS)
		return;
	f->peers = xreallocarray(f->peers, f->npeers + 1, sizeof *f->peers);
	f->peers[f->npeers++] = xstrndup(peer, len);
}

const char *
finding_severity_str(enum finding_severity s)
{
	static const char *const names[] = {
		"info", "warning", "error", "critical", "note"
	};

	return (unsigned)s < 5 ? names[s] : "unknown";
}

int
finding_severity_rank(enum finding_severity s)
{
	return s == FINDING_NOTE ? 0 : (int)s + 1;
}

int
finding_severity_parse(const char *str, enum finding_severity *out)
{
	static const enum finding_severity all[] = { FINDING_NOTE,
	    FINDING_INFO, FINDING_WARNING, FINDING_ERROR, FINDING_CRITICAL };
	size_t	 i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(str, finding_severity_str(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -1;
}

void
finding_add_related(struct finding *f, const char *s)
{
	f->related = xreallocarray(f->related, f->nrelated + 1,
	    sizeof *f->related);
	f->related[f->nrelated++] = xstrdup(s);
}

const char *
finding_confidence_str(enum finding_confidence c)
{
	static const char *const names[] = {
		"hypothesis", "config-evidence", "confirmed-by-probe"
	};

	return (unsigned)c < 3 ? names[c] : "unknown";
}

const char *
finding_state_str(enum finding_state s)
{
	static const char *const names[] = { "opened", "updated", "resolved" };

	return (unsigned)s < 3 ? names[s] : "unknown";
}

const char *
finding_at_str(const struct finding_at *at, char *out, size_t len)
{
	char	 num[16], *p = num + sizeof num;
	size_t	 fl, nl;
	unsigned v = at->line;

	if (at->file == NULL)
		return NULL;
	/* "%s:%u" without printf (lint writes tens of thousands). */
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	nl = (size_t)(num + sizeof num - p);
	fl = strlen(at->file);
	if (fl + 1 + nl >= len) {
		snprintf(out, len, "%s:%u", at->file, at->line);
		return out;
	}
	memcpy(out, at->file, fl);
	out[fl] = ':';
	memcpy(out + fl + 1, p, nl);
	out[fl + 1 + nl] = '\0';
	return out;
}

static void
json_key(struct buf *b, const char *k)
{
	if (b->len > 0 && b->data[b->len - 1] != '{')
		buf_addc(b, ',');
	buf_addc(b, '"');
	buf_adds(b, k);
	buf_add(b, "\":", 2);
}

static void
json_str(struct buf *b, const char *k, const char *v)
{
	json_key(b, k);
	if (v == NULL)
		buf_adds(b, "null");
	else
		escape_json(b, v, strlen(v));
}

static void
json_time(struct buf *b, const char *k, int64_t t)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	char		 s[32];

	json_key(b, k);
	if (t <= 0 || gmtime_r(&tt, &tm) == NULL) {
		buf_adds(b, "null");
		return;
	}
	strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
	buf_addc(b, '"');
	buf_adds(b, s);
	buf_addc(b, '"');
}

static void
json_at(struct buf *b, const char *k, const struct finding_at *at)
{
	char	 where[4200];

	json_key(b, k);
	if (at->what == NULL && at->file == NULL) {
		buf_adds(b, "null");
		return;
	}
	buf_addc(b, '{');
	json_str(b, "name", at->what);
	json_str(b, "at", finding_at_str(at, where, sizeof where));
	buf_addc(b, '}');
}

void
finding_json(const struct finding *f, enum finding_state st, struct buf *b)
{
	size_t	 i;

	finding_complete(f);
	buf_addc(b, '{');
	json_str(b, "code", f->code);
	json_str(b, "state", finding_state_str(st));
	json_str(b, "severity", finding_severity_str(f->severity));
	json_str(b, "confidence", finding_confidence_str(f->confidence));
	json_str(b, "title", f->title);
	json_key(b, "count");
	buf_addu(b, f->count);
	json_time(b, "first_seen", f->first_seen);
	json_time(b, "last_seen", f->last_seen);
	json_at(b, "server", &f->server);
	json_at(b, "location", &f->location);
	json_at(b, "proxy_pass", &f->proxy_pass);
	json_at(b, "upstream", &f->upstream);
	json_key(b, "peers");
	buf_addc(b, '[');
	for (i = 0; i < f->npeers; i++) {
		if (i > 0)
			buf_addc(b, ',');
		escape_json(b, f->peers[i], strlen(f->peers[i]));
	}
	buf_addc(b, ']');
	json_key(b, "alert");
	if (f->alert >= 0)
		buf_addu(b, (uint64_t)f->alert);
	else
		buf_adds(b, "null");
	json_str(b, "alert_name", f->alert >= 0 ? tlsalert_name(f->alert) :
	    NULL);
	json_key(b, "verify_code");
	if (f->verify_code >= 0)
		buf_addu(b, (uint64_t)f->verify_code);
	else
		buf_adds(b, "null");
	json_str(b, "cause", f->cause);
	json_str(b, "fix", f->fix);
	json_str(b, "patch", f->patch);
	json_str(b, "probe", f->probe);
	if (f->tested != NULL)
		json_str(b, "tested", f->tested);
	if (f->nrelated > 0) {
		json_key(b, "related");
		buf_addc(b, '[');
		for (i = 0; i < f->nrelated; i++) {
			if (i > 0)
				buf_addc(b, ',');
			escape_json(b, f->related[i], strlen(f->related[i]));
		}
		buf_addc(b, ']');
	}
	buf_addc(b, '}');
}

static void
text_at(struct buf *b, const char *label, const struct finding_at *at)
{
	if (at->what == NULL && at->file == NULL)
		return;
	buf_printf(b, "  %-11s", label);
	if (at->what != NULL)
		escape_text(b, at->what, strlen(at->what));
	if (at->file != NULL) {
		buf_adds(b, at->what != NULL ? " at " : "at ");
		escape_text(b, at->file, strlen(at->file));
		buf_printf(b, ":%u", at->line);
	}
	buf_addc(b, '\n');
}

/* Escape a multi-line text, indenting each line; tabs are kept. */
static void
text_block(struct buf *b, const char *s, const char *indent)
{
	const char	*nl, *p, *tab;
	size_t		 n;

	while (*s != '\0') {
		nl = strchr(s, '\n');
		n = nl ? (size_t)(nl - s) : strlen(s);
		buf_adds(b, indent);
		for (p = s; (tab = memchr(p, '\t', n - (size_t)(p - s))) != NULL;
		    p = tab + 1) {
			escape_text(b, p, (size_t)(tab - p));
			buf_addc(b, '\t');
		}
		escape_text(b, p, n - (size_t)(p - s));
		buf_addc(b, '\n');
		if (nl == NULL)
			break;
		s = nl + 1;
	}
}

void
finding_text(const struct finding *f, enum finding_state st, struct buf *b)
{
	size_t	 i;

	finding_complete(f);
	buf_printf(b, "[%s] ", finding_severity_str(f->severity));
	escape_text(b, f->code, strlen(f->code));
	if (st != FINDING_OPENED)
		buf_printf(b, " (%s)", finding_state_str(st));
	buf_adds(b, ": ");
	escape_text(b, f->title, strlen(f->title));
	buf_printf(b, "\n  %-11s%" PRIu64 " event%s, confidence %s\n",
	    "seen", f->count, f->count == 1 ? "" : "s",
	    finding_confidence_str(f->confidence));
	text_at(b, "server", &f->server);
	text_at(b, "location", &f->location);
	text_at(b, "proxy_pass", &f->proxy_pass);
	text_at(b, "upstream", &f->upstream);
	if (f->npeers > 0) {
		buf_printf(b, "  %-11s", "peers");
		for (i = 0; i < f->npeers; i++) {
			if (i > 0)
				buf_adds(b, ", ");
			escape_text(b, f->peers[i], strlen(f->peers[i]));
		}
		buf_addc(b, '\n');
	}
	if (f->alert >= 0)
		buf_printf(b, "  %-11salert %d %s\n", "tls", f->alert,
		    tlsalert_name(f->alert));
	if (f->verify_code >= 0)
		buf_printf(b, "  %-11sverify error %d\n", "tls",
		    f->verify_code);
	if (f->cause != NULL) {
		buf_printf(b, "  %-11s", "cause");
		escape_text(b, f->cause, strlen(f->cause));
		buf_addc(b, '\n');
	}
	if (f->fix != NULL) {
		buf_printf(b, "  %-11s\n", "fix");
		text_block(b, f->fix, "    ");
	}
	for (i = 0; i < f->nrelated; i++) {
		buf_printf(b, "  %-11s", i == 0 ? "related" : "");
		escape_text(b, f->related[i], strlen(f->related[i]));
		buf_addc(b, '\n');
	}
	if (f->probe != NULL) {
		buf_printf(b, "  %-11s", "probe");
		escape_text(b, f->probe, strlen(f->probe));
		buf_addc(b, '\n');
	}
	if (f->tested != NULL) {
		buf_printf(b, "  %-11s", "tested");
		escape_text(b, f->tested, strlen(f->tested));
		buf_addc(b, '\n');
	}
	if (f->patch != NULL) {
		buf_printf(b, "  %-11s\n", "patch");
		text_block(b, f->patch, "    ");
	}
}
