/*
 * Per-peer event aggregation for replay.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/escape.h"
#include "hswatch/event.h"
#include "hswatch/summary.h"
#include "hswatch/tlsalert.h"
#include "hswatch/xmalloc.h"

#define SUMMARY_HASH	8192	/* power of two, > 2 * SUMMARY_MAX_ROWS */

struct summary_row {
	enum event_kind	 kind;
	int		 alert;
	int		 verify_code;
	char		*peer;
	size_t		 peer_len;
	char		*server;
	char		*detail;	/* reason, verify text or name */
	char		 first[20];
	char		 last[20];
	uint64_t	 count;
	uint32_t	 hash;
};

struct summary {
	struct summary_row	*rows;
	size_t			 nrows;
	size_t			 cap;		/* rows allocated */
	int32_t			*slots;
	uint64_t		 events;
	uint64_t		 dropped;
};

static uint32_t
fnv1a(uint32_t h, const void *p, size_t n)
{
	const unsigned char	*s = p;
	size_t			 i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 16777619u;
	}
	return h;
}

struct summary *
summary_new(void)
{
	struct summary	*sm;

	sm = xcalloc(1, sizeof *sm);
	sm->slots = xmalloc(SUMMARY_HASH * sizeof *sm->slots);
	memset(sm->slots, 0xff, SUMMARY_HASH * sizeof *sm->slots);
	return sm;
}

void
summary_free(struct summary *sm)
{
	size_t	 i;

	if (sm == NULL)
		return;
	for (i = 0; i < sm->nrows; i++) {
		free(sm->rows[i].peer);
		free(sm->rows[i].server);
		free(sm->rows[i].detail);
	}
	free(sm->rows);
	free(sm->slots);
	free(sm);
}

static void
copytime(char dst[20], const struct span *t)
{
	size_t	 n = t->n < 19 ? t->n : 19;

	if (t->p != NULL)
		memcpy(dst, t->p, n);
	dst[t->p != NULL ? n : 0] = '\0';
}

static int
row_eq(const struct summary_row *r, const struct event *ev)
{
	return r->kind == ev->kind && r->alert == ev->alert &&
	    r->verify_code == ev->verify_code &&
	    r->peer_len == ev->peer.n &&
	    memcmp(r->peer, ev->peer.p ? ev->peer.p : "", ev->peer.n) == 0;
}

void
summary_add(struct summary *sm, const struct event *ev)
{
	struct summary_row	*r;
	const struct span	*detail;
	uint32_t		 h;
	size_t			 i;
	int32_t			 idx;

	if (ev->kind == EVENT_NONE)
		return;
	sm->events++;
	/* The numbers mixed in one step, then the peer's bytes. */
	h = 2166136261u ^ ((uint32_t)ev->kind * 0x9e3779b1u +
	    (uint32_t)ev->alert * 0x85ebca77u +
	    (uint32_t)ev->verify_code * 0xc2b2ae3du);
	h = fnv1a(h * 16777619u, ev->peer.p ? ev->peer.p : "", ev->peer.n);
	for (i = h & (SUMMARY_HASH - 1);; i = (i + 1) & (SUMMARY_HASH - 1)) {
		idx = sm->slots[i];
		if (idx < 0)
			break;
		r = &sm->rows[idx];
		if (r->hash == h && row_eq(r, ev)) {
			r->count++;
			copytime(r->last, &ev->time);
			return;
		}
	}
	if (sm->nrows == SUMMARY_MAX_ROWS) {
		sm->dropped++;
		return;
	}
	if (sm->nrows == sm->cap) {
		/* Grown as rows come (a log has a few dozen), not 4096
		 * rows up front: part of the RSS budget of issue 12. */
		sm->cap = sm->cap ? 2 * sm->cap : 64;
		if (sm->cap > SUMMARY_MAX_ROWS)
			sm->cap = SUMMARY_MAX_ROWS;
		sm->rows = xreallocarray(sm->rows, sm->cap, sizeof *sm->rows);
	}
	sm->slots[i] = (int32_t)sm->nrows;
	r = &sm->rows[sm->nrows++];
	memset(r, 0, sizeof *r);
	r->kind = ev->kind;
	r->alert = ev->alert;
	r->verify_code = ev->verify_code;
	r->hash = h;
	r->count = 1;
	r->peer = xstrndup(ev->peer.p ? ev->peer.p : "", ev->peer.n);
	r->peer_len = strlen(r->peer);
	r->server = xstrndup(ev->server.p ? ev->server.p : "", ev->server.n);
	detail = ev->verify_text.p ? &ev->verify_text :
	    ev->name.p ? &ev->name : ev->cert_path.p ? &ev->cert_path :
	    &ev->reason;
	r->detail = xstrndup(detail->p ? detail->p : "", detail->n);
	copytime(r->first, &ev->time);
	copytime(r->last, &ev->time);
}

uint64_t
summary_events(const struct summary *sm)
{
	return sm->events;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct summary_row	*x = a, *y = b;
	int				 c;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if ((c = strcmp(x->peer, y->peer)) != 0)
		return c;
	return (int)x->kind - (int)y->kind;
}

static void
summary_sort(struct summary *sm)
{
	size_t	 i;

	if (sm->nrows > 1)
		qsort(sm->rows, sm->nrows, sizeof *sm->rows, row_cmp);
	/* The hash slots point at old positions: rebuild them. */
	memset(sm->slots, 0xff, SUMMARY_HASH * sizeof *sm->slots);
	for (i = 0; i < sm->nrows; i++) {
		size_t j = sm->rows[i].hash & (SUMMARY_HASH - 1);

		while (sm->slots[j] >= 0)
			j = (j + 1) & (SUMMARY_HASH - 1);
		sm->slots[j] = (int32_t)i;
	}
}

static void
row_code(const struct summary_row *r, struct buf *b)
{
	const char	*name;

	if (r->alert >= 0) {
		name = tlsalert_name(r->alert);
		buf_printf(b, "alert %d %s", r->alert, name ? name : "?");
	} else if (r->verify_code >= 0)
		buf_printf(b, "verify %d", r->verify_code);
	else
		buf_adds(b, "-");
}

void
summary_text(struct summary *sm, struct buf *b)
{
	struct summary_row	*r;
	size_t			 i;

	summary_sort(sm);
	if (sm->nrows == 0) {
		buf_adds(b, "no upstream-TLS events\n");
		return;
	}
	buf_printf(b, "%-22s %-18s %-32s %8s  %-19s  %-19s  %s\n", "PEER",
	    "KIND", "ALERT/VERIFY", "COUNT", "FIRST", "LAST", "DETAIL");
	for (i = 0; i < sm->nrows; i++) {
		struct buf	 code;
		size_t		 mark;

		r = &sm->rows[i];
		mark = b->len;
		escape_text(b, r->peer, strlen(r->peer));
		while (b->len - mark < 22)
			buf_addc(b, ' ');
		buf_printf(b, " %-18s ", event_kind_str(r->kind));
		buf_init(&code);
		row_code(r, &code);
		buf_printf(b, "%-32s %8llu  %-19s  %-19s  ", buf_cstr(&code),
		    (unsigned long long)r->count, r->first, r->last);
		buf_free(&code);
		escape_text(b, r->detail, strlen(r->detail));
		buf_addc(b, '\n');
	}
	if (sm->dropped)
		buf_printf(b, "(%llu more events in rows past the first %d)\n",
		    (unsigned long long)sm->dropped, SUMMARY_MAX_ROWS);
}

void
summary_json(struct summary *sm, struct buf *b)
{
	struct summary_row	*r;
	size_t			 i;
	const char		*name;

	summary_sort(sm);
	for (i = 0; i < sm->nrows; i++) {
		r = &sm->rows[i];
		buf_adds(b, "{\"peer\":");
		escape_json(b, r->peer, strlen(r->peer));
		buf_printf(b, ",\"kind\":\"%s\",\"alert\":",
		    event_kind_str(r->kind));
		if (r->alert >= 0)
			buf_printf(b, "%d", r->alert);
		else
			buf_adds(b, "null");
		buf_adds(b, ",\"alert_name\":");
		name = r->alert >= 0 ? tlsalert_name(r->alert) : NULL;
		if (name)
			escape_json(b, name, strlen(name));
		else
			buf_adds(b, "null");
		buf_adds(b, ",\"verify_code\":");
		if (r->verify_code >= 0)
			buf_printf(b, "%d", r->verify_code);
		else
			buf_adds(b, "null");
		buf_printf(b, ",\"count\":%llu,\"first_seen\":",
		    (unsigned long long)r->count);
		escape_json(b, r->first, strlen(r->first));
		buf_adds(b, ",\"last_seen\":");
		escape_json(b, r->last, strlen(r->last));
		buf_adds(b, ",\"server\":");
		escape_json(b, r->server, strlen(r->server));
		buf_adds(b, ",\"detail\":");
		escape_json(b, r->detail, strlen(r->detail));
		buf_adds(b, "}\n");
	}
}
