/*
 * An upstream-TLS event: what one nginx error-log line says.
 *
 * Text fields are spans into the line the event was parsed from: they
 * stay valid only as long as that line's bytes do. Absent fields have
 * p == NULL. Nothing in them is escaped or trusted.
 */
#ifndef HSWATCH_EVENT_H
#define HSWATCH_EVENT_H

#include <stddef.h>
#include <stdint.h>

struct buf;

struct span {
	const char	*p;
	size_t		 n;
};

enum event_kind {
	EVENT_NONE = 0,
	EVENT_HANDSHAKE_FAILED,
	EVENT_READ_FAILED,
	EVENT_VERIFY_FAILED,
	EVENT_NAME_MISMATCH,
	EVENT_PEER_CLOSED,
	EVENT_HANDSHAKE_TIMEOUT,
	EVENT_PEER_DISABLED,
	EVENT_NO_LIVE_UPSTREAMS,
	EVENT_CERT_LOAD_FAILED,
	EVENT_KIND_MAX
};

/* nginx's levels, in nginx's order (err_levels[], ngx_log.c). */
enum event_level {
	EVENT_LEVEL_UNKNOWN = 0,
	EVENT_LEVEL_EMERG,
	EVENT_LEVEL_ALERT,
	EVENT_LEVEL_CRIT,
	EVENT_LEVEL_ERROR,
	EVENT_LEVEL_WARN,
	EVENT_LEVEL_NOTICE,
	EVENT_LEVEL_INFO,
	EVENT_LEVEL_DEBUG
};

enum event_module {
	EVENT_MODULE_UNKNOWN = 0,
	EVENT_MODULE_HTTP,
	EVENT_MODULE_STREAM
};

/* Event flags. */
#define EVENT_F_TRUNCATED	0x01	/* cut at nginx's 2048-byte limit */
#define EVENT_F_FORGED		0x02	/* a field carries look-alike fields */
#define EVENT_F_PEER_ADDR	0x04	/* peer is an IP:port or unix: address */
#define EVENT_F_NO_CONTEXT	0x08	/* no ", client: " context found */
/*
 * kind EVENT_NONE: an upstream failure that is not a TLS event
 * ("connect() failed", "upstream timed out ... while connecting to
 * upstream", "upstream prematurely closed connection"...). Not an event
 * of its own; correlate remembers it to say why a pool is down.
 */
#define EVENT_F_UPSTREAM_FAIL	0x10

/*
 * What a pasted fragment lacks (logline_parse_partial(), for explain):
 * never set for a whole line.
 */
#define EVENT_MISSING_PARTIAL	0x001	/* not a whole error-log line */
#define EVENT_MISSING_TIME	0x002
#define EVENT_MISSING_LEVEL	0x004
#define EVENT_MISSING_PID	0x008
#define EVENT_MISSING_ACTION	0x010	/* " while ... to upstream" */
#define EVENT_MISSING_CLIENT	0x020
#define EVENT_MISSING_SERVER	0x040
#define EVENT_MISSING_REQUEST	0x080
#define EVENT_MISSING_UPSTREAM	0x100	/* so no peer */

struct event {
	enum event_kind		 kind;
	enum event_level	 level;
	enum event_module	 module;
	unsigned		 flags;

	const char		*source;	/* file name, or NULL */
	uint64_t		 line;		/* 1-based line number */
	uint64_t		 offset;	/* byte offset of the line */
	/*
	 * The timestamp of the record that carried the line (docker
	 * json-file, CRI, syslog, journal), or absent for a plain file.
	 * Set by the caller after parsing (event_clear() empties it).
	 */
	struct span		 source_time;
	unsigned		 missing;	/* EVENT_MISSING_* */

	struct span		 time;		/* "2026/11/24 17:58:45" */
	int64_t			 ts;		/* seconds, log's local time as if UTC */
	long			 pid;
	long			 tid;
	long long		 conn;		/* -1 when the line has none */

	struct span		 message;	/* text before " while <action>" */
	struct span		 action;	/* "SSL handshaking to upstream" */
	struct span		 ssl_func;	/* "SSL_do_handshake", "SSL_read" */
	int			 alert;		/* TLS alert number, or -1 */
	struct span		 ssl_error;	/* "0A000458" */
	struct span		 reason;	/* "tlsv1 unrecognized name" */
	int			 verify_code;	/* -1 when absent */
	struct span		 verify_text;
	int			 err;		/* errno in "(104: ...)", or -1 */
	struct span		 err_text;
	struct span		 name;		/* does not match "NAME" */
	struct span		 cert_path;	/* cannot load certificate "PATH" */

	struct span		 client;
	struct span		 server;
	struct span		 request;
	struct span		 method;
	struct span		 uri;		/* request URI as logged (raw) */
	struct span		 subrequest;
	struct span		 upstream;	/* as logged */
	struct span		 scheme;	/* "https", "grpcs", "suwsgi" */
	struct span		 peer;		/* "127.0.0.2:8443", "[::1]:443", group */
	struct span		 upstream_uri;
	struct span		 host;
	struct span		 referrer;

	/*
	 * Not of the line: where replay's reading thread found the event in
	 * the configuration (analyze_preloc(), analyze.h), or NULL. Only the
	 * analyze stage that made it reads it.
	 */
	void			*preloc;
};

const char	*event_kind_str(enum event_kind);
const char	*event_level_str(enum event_level);
const char	*event_module_str(enum event_module);

/* Reset every field to "absent". */
void		 event_clear(struct event *);

/* Append the event as one JSON object (no newline). */
void		 event_json(const struct event *, struct buf *);

/* Append a human explanation of the event (several lines, escaped). */
void		 event_text(const struct event *, struct buf *);

#endif
