/*
 * Events: names, JSON and human output.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/escape.h"
#include "hswatch/event.h"
#include "hswatch/tlsalert.h"

static const char *const event_kinds[EVENT_KIND_MAX] = {
	[EVENT_NONE] = "none",
	[EVENT_HANDSHAKE_FAILED] = "handshake_failed",
	[EVENT_READ_FAILED] = "read_failed",
	[EVENT_VERIFY_FAILED] = "verify_failed",
	[EVENT_NAME_MISMATCH] = "name_mismatch",
	[EVENT_PEER_CLOSED] = "peer_closed",
	[EVENT_HANDSHAKE_TIMEOUT] = "handshake_timeout",
	[EVENT_PEER_DISABLED] = "peer_disabled",
	[EVENT_NO_LIVE_UPSTREAMS] = "no_live_upstreams",
	[EVENT_CERT_LOAD_FAILED] = "cert_load_failed",
};

const char *
event_kind_str(enum event_kind k)
{
	if ((unsigned)k >= EVENT_KIND_MAX)
		return "none";
	return event_kinds[k];
}

const char *
event_level_str(enum event_level l)
{
	static const char *const names[] = {
		NULL, "emerg", "alert", "crit", "error", "warn", "notice",
		"info", "debug"
	};

	if ((unsigned)l >= sizeof names / sizeof names[0])
		return NULL;
	return names[l];
}

const char *
event_module_str(enum event_module m)
{
	switch (m) {
	case EVENT_MODULE_HTTP:
		return "http";
	case EVENT_MODULE_STREAM:
		return "stream";
	default:
		return NULL;
	}
}

void
event_clear(struct event *ev)
{
	uint64_t	 line = ev->line, offset = ev->offset;
	const char	*source = ev->source;

	memset(ev, 0, sizeof *ev);
	ev->source = source;
	ev->line = line;
	ev->offset = offset;
	ev->conn = -1;
	ev->alert = -1;
	ev->verify_code = -1;
	ev->err = -1;
}

/*
 * Keys are string literals: JSON_KEY makes the whole ',"key":' one
 * literal of known length, so that each key is one memcpy (event_json
 * is the hot loop of --events --json and of the daemon's events output).
 */
#define JSON_KEY(k)	",\"" k "\":", sizeof(",\"" k "\":") - 1

static void
json_key(struct buf *b, const char *key, size_t n, int *first)
{
	if (*first) {
		key++;		/* no ',' before the first key */
		n--;
	}
	*first = 0;
	buf_add(b, key, n);
}

static void
json_span(struct buf *b, const char *key, size_t kn, const struct span *s,
    int *first)
{
	json_key(b, key, kn, first);
	if (s->p == NULL)
		buf_add(b, "null", 4);
	else
		escape_json(b, s->p, s->n);
}

static void
json_cstr(struct buf *b, const char *key, size_t kn, const char *s,
    int *first)
{
	json_key(b, key, kn, first);
	if (s == NULL)
		buf_add(b, "null", 4);
	else
		escape_json(b, s, strlen(s));
}

/* A name from our own tables (plain ASCII): no escaping needed. */
static void
json_name(struct buf *b, const char *key, size_t kn, const char *s,
    int *first)
{
	json_key(b, key, kn, first);
	if (s == NULL) {
		buf_add(b, "null", 4);
		return;
	}
	buf_addc(b, '"');
	buf_add(b, s, strlen(s));
	buf_addc(b, '"');
}

static void
json_num(struct buf *b, const char *key, size_t kn, long long v, int present,
    int *first)
{
	json_key(b, key, kn, first);
	if (!present)
		buf_add(b, "null", 4);
	else
		buf_addi(b, v);
}

static void
json_bool(struct buf *b, const char *key, size_t kn, int v, int *first)
{
	json_key(b, key, kn, first);
	if (v)
		buf_add(b, "true", 4);
	else
		buf_add(b, "false", 5);
}

static int
has_pid(const struct event *ev)
{
	return ev->time.p != NULL || ((ev->missing & EVENT_MISSING_PARTIAL) &&
	    !(ev->missing & EVENT_MISSING_PID));
}

/* EVENT_MISSING_* bit i is named missing_names[i]. */
static const char *const missing_names[] = {
	"partial", "time", "level", "pid", "action", "client", "server",
	"request", "upstream"
};

void
event_json(const struct event *ev, struct buf *b)
{
	int	 first = 1;

	buf_addc(b, '{');
	if (ev->source != NULL)
		json_cstr(b, JSON_KEY("file"), ev->source, &first);
	json_num(b, JSON_KEY("line"), (long long)ev->line, 1, &first);
	json_num(b, JSON_KEY("offset"), (long long)ev->offset, 1, &first);
	json_name(b, JSON_KEY("kind"), event_kind_str(ev->kind), &first);
	json_name(b, JSON_KEY("level"), event_level_str(ev->level), &first);
	json_span(b, JSON_KEY("time"), &ev->time, &first);
	json_num(b, JSON_KEY("pid"), ev->pid, has_pid(ev), &first);
	json_num(b, JSON_KEY("tid"), ev->tid, has_pid(ev), &first);
	json_num(b, JSON_KEY("conn"), ev->conn, ev->conn >= 0, &first);
	json_num(b, JSON_KEY("alert"), ev->alert, ev->alert >= 0, &first);
	json_name(b, JSON_KEY("alert_name"),
	    ev->alert >= 0 ? tlsalert_name(ev->alert) : NULL, &first);
	json_span(b, JSON_KEY("ssl_error"), &ev->ssl_error, &first);
	json_span(b, JSON_KEY("reason"), &ev->reason, &first);
	json_num(b, JSON_KEY("verify_code"), ev->verify_code, ev->verify_code >= 0,
	    &first);
	json_span(b, JSON_KEY("verify_text"), &ev->verify_text, &first);
	json_name(b, JSON_KEY("module"), event_module_str(ev->module), &first);
	json_span(b, JSON_KEY("scheme"), &ev->scheme, &first);
	json_span(b, JSON_KEY("client"), &ev->client, &first);
	json_span(b, JSON_KEY("server"), &ev->server, &first);
	json_span(b, JSON_KEY("request"), &ev->request, &first);
	json_span(b, JSON_KEY("upstream"), &ev->upstream, &first);
	json_span(b, JSON_KEY("peer"), &ev->peer, &first);
	json_span(b, JSON_KEY("host"), &ev->host, &first);
	json_span(b, JSON_KEY("action"), &ev->action, &first);
	json_span(b, JSON_KEY("ssl_function"), &ev->ssl_func, &first);
	json_num(b, JSON_KEY("errno"), ev->err, ev->err >= 0, &first);
	json_span(b, JSON_KEY("errno_text"), &ev->err_text, &first);
	json_span(b, JSON_KEY("name"), &ev->name, &first);
	json_span(b, JSON_KEY("cert_path"), &ev->cert_path, &first);
	json_span(b, JSON_KEY("method"), &ev->method, &first);
	json_span(b, JSON_KEY("uri"), &ev->uri, &first);
	json_span(b, JSON_KEY("subrequest"), &ev->subrequest, &first);
	json_span(b, JSON_KEY("referrer"), &ev->referrer, &first);
	json_bool(b, JSON_KEY("peer_is_address"), (ev->flags & EVENT_F_PEER_ADDR) != 0,
	    &first);
	json_bool(b, JSON_KEY("truncated"), (ev->flags & EVENT_F_TRUNCATED) != 0, &first);
	json_bool(b, JSON_KEY("forged_fields"), (ev->flags & EVENT_F_FORGED) != 0,
	    &first);
	json_span(b, JSON_KEY("source_time"), &ev->source_time, &first);
	if (ev->missing != 0) {
		size_t	 i;
		int	 n = 0;

		json_key(b, JSON_KEY("missing"), &first);
		buf_addc(b, '[');
		for (i = 0; i < sizeof missing_names / sizeof missing_names[0];
		    i++)
			if (ev->missing & (1u << i)) {
				if (n++ > 0)
					buf_addc(b, ',');
				buf_printf(b, "\"%s\"", missing_names[i]);
			}
		buf_addc(b, ']');
	}
	buf_addc(b, '}');
}

static void
text_span(struct buf *b, const struct span *s)
{
	if (s->p == NULL)
		buf_add(b, "-", 1);
	else
		escape_text(b, s->p, s->n);
}

static void
text_peer(struct buf *b, const struct event *ev)
{
	if (ev->peer.p == NULL && (ev->missing & EVENT_MISSING_PARTIAL))
		buf_adds(b, "(peer not in the text)");
	else
		text_span(b, &ev->peer);
}

static void
text_field(struct buf *b, const char *label, const struct span *s)
{
	if (s->p == NULL)
		return;
	buf_printf(b, "  %-10s ", label);
	text_span(b, s);
	buf_addc(b, '\n');
}

static void
text_alert(struct buf *b, const struct event *ev)
{
	const char	*name;

	if (ev->alert < 0) {
		if (ev->reason.p != NULL) {
			buf_adds(b, "OpenSSL reported \"");
			text_span(b, &ev->reason);
			buf_adds(b, "\"");
		} else
			buf_adds(b, "no TLS detail was logged");
		return;
	}
	name = tlsalert_name(ev->alert);
	buf_printf(b, "the upstream answered alert %d %s", ev->alert,
	    name ? name : "(unassigned)");
	if (ev->reason.p != NULL) {
		buf_adds(b, " (\"");
		text_span(b, &ev->reason);
		buf_adds(b, "\")");
	}
}

static void
text_summary(struct buf *b, const struct event *ev)
{
	const char	*hint = NULL;

	switch (ev->kind) {
	case EVENT_HANDSHAKE_FAILED:
		buf_adds(b, "nginx's TLS handshake with upstream ");
		text_peer(b, ev);
		buf_adds(b, " failed: ");
		text_alert(b, ev);
		buf_adds(b, ".\n");
		if (ev->alert >= 0)
			hint = tlsalert_hint(ev->alert);
		else if (ev->reason.p != NULL && ev->reason.n == 20 &&
		    memcmp(ev->reason.p, "wrong version number", 20) == 0)
			hint = "the peer does not speak TLS on that port (plain HTTP, or the wrong port)";
		break;
	case EVENT_READ_FAILED:
		buf_adds(b, "nginx's TLS connection to upstream ");
		text_peer(b, ev);
		buf_adds(b, " failed after the handshake (");
		text_span(b, &ev->ssl_func);
		buf_adds(b, "): ");
		text_alert(b, ev);
		buf_adds(b, ".\n");
		if (ev->alert >= 0)
			hint = tlsalert_hint(ev->alert);
		if (ev->alert == 116 || ev->alert == 48 || ev->alert == 42)
			hint = "with TLS 1.3 the upstream checks the client certificate after the handshake: it requires or rejects nginx's proxy_ssl_certificate";
		break;
	case EVENT_VERIFY_FAILED:
		buf_adds(b, "nginx could not verify the certificate of upstream ");
		text_peer(b, ev);
		buf_printf(b, ": verify error %d (", ev->verify_code);
		text_span(b, &ev->verify_text);
		buf_adds(b, ").\n");
		hint = "check proxy_ssl_trusted_certificate, proxy_ssl_verify_depth and the chain the upstream sends";
		break;
	case EVENT_NAME_MISMATCH:
		buf_adds(b, "the certificate of upstream ");
		text_peer(b, ev);
		buf_adds(b, " does not carry the name nginx checked, \"");
		text_span(b, &ev->name);
		buf_adds(b, "\".\n");
		hint = "that name is proxy_ssl_name, or by default the upstream group or proxy_pass host";
		break;
	case EVENT_PEER_CLOSED:
		buf_adds(b, "upstream ");
		text_peer(b, ev);
		buf_adds(b, " closed the connection during the TLS handshake");
		if (ev->err >= 0) {
			buf_printf(b, " (errno %d: ", ev->err);
			text_span(b, &ev->err_text);
			buf_adds(b, ")");
		}
		buf_adds(b, ".\n");
		break;
	case EVENT_HANDSHAKE_TIMEOUT:
		buf_adds(b, "the TLS handshake with upstream ");
		text_peer(b, ev);
		buf_adds(b, " timed out (proxy_connect_timeout covers connect and handshake).\n");
		break;
	case EVENT_PEER_DISABLED:
		buf_adds(b, "nginx marked upstream peer ");
		text_peer(b, ev);
		buf_adds(b, " as temporarily unavailable (max_fails reached).\n");
		break;
	case EVENT_NO_LIVE_UPSTREAMS:
		buf_adds(b, "every peer of upstream group ");
		text_peer(b, ev);
		buf_adds(b, " is unavailable: nginx answered 502 without contacting it.\n");
		break;
	case EVENT_CERT_LOAD_FAILED:
		buf_adds(b, "nginx could not load the client certificate ");
		text_span(b, &ev->cert_path);
		buf_adds(b, " for the upstream connection (500 to the client).\n");
		break;
	default:
		if (ev->missing & EVENT_MISSING_PARTIAL) {
			buf_adds(b, "a fragment of a line, not an upstream-TLS "
			    "event");
			if (ev->action.p != NULL) {
				buf_adds(b, " (nginx was ");
				text_span(b, &ev->action);
				buf_adds(b, ")");
			}
			buf_adds(b, ".\n");
			return;
		}
		buf_adds(b, "not an upstream-TLS event");
		if (ev->time.p == NULL)
			buf_adds(b, " (not an nginx error-log line)");
		buf_adds(b, ".\n");
		return;
	}
	if (hint != NULL)
		buf_printf(b, "  usually:   %s\n", hint);
}

/* What a pasted fragment lacks, in words. */
static void
text_missing(const struct event *ev, struct buf *b)
{
	static const struct {
		unsigned	 bit;
		const char	*what;
	} parts[] = {
		{ EVENT_MISSING_TIME, "the time" },
		{ EVENT_MISSING_LEVEL, "the level" },
		{ EVENT_MISSING_PID, "the pid" },
		{ EVENT_MISSING_ACTION, "the \" while ...\" action (taken to "
		    "be a connection to an upstream)" },
		{ EVENT_MISSING_CLIENT, "client:" },
		{ EVENT_MISSING_SERVER, "server:" },
		{ EVENT_MISSING_REQUEST, "request:" },
		{ EVENT_MISSING_UPSTREAM, "upstream: (so no peer)" },
	};
	size_t	 i;
	int	 n = 0;

	if ((ev->missing & EVENT_MISSING_PARTIAL) == 0)
		return;
	buf_adds(b, "  missing:   this is part of an nginx error-log line; "
	    "not in it: ");
	for (i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (ev->missing & parts[i].bit) {
			if (n++ > 0)
				buf_adds(b, ", ");
			buf_adds(b, parts[i].what);
		}
	if (n == 0)
		buf_adds(b, "nothing hswatch reads");
	buf_addc(b, '\n');
}

void
event_text(const struct event *ev, struct buf *b)
{
	text_summary(b, ev);
	if (ev->kind == EVENT_NONE)
		return;
	if (ev->time.p != NULL || has_pid(ev) ||
	    ev->level != EVENT_LEVEL_UNKNOWN) {
		buf_printf(b, "  %-10s ", "at");
		text_span(b, &ev->time);
		buf_printf(b, " [%s]", ev->level != EVENT_LEVEL_UNKNOWN ?
		    event_level_str(ev->level) : "-");
		if (has_pid(ev))
			buf_printf(b, " pid %ld", ev->pid);
		if (ev->conn >= 0)
			buf_printf(b, " conn *%lld", ev->conn);
		buf_addc(b, '\n');
	}
	text_field(b, "server", &ev->server);
	text_field(b, "request", &ev->request);
	text_field(b, "subrequest", &ev->subrequest);
	text_field(b, "upstream", &ev->upstream);
	text_field(b, "client", &ev->client);
	text_field(b, "host", &ev->host);
	text_field(b, "ssl error", &ev->ssl_error);
	if (ev->flags & EVENT_F_FORGED)
		buf_adds(b, "  warning:   the host or referrer field carries look-alike fields (forged by the client); they were ignored\n");
	if (ev->flags & EVENT_F_TRUNCATED)
		buf_adds(b, "  note:      the line was cut at nginx's 2048-byte limit\n");
	if (ev->source_time.p != NULL)
		text_field(b, "logged at", &ev->source_time);
	text_missing(ev, b);
}
