/*
 * unwrap: nginx's line out of Docker json-file, CRI, docker/kubectl
 * logs, docker compose and syslog records (include/hswatch/unwrap.h).
 *
 * Formats, from their documentation:
 * - Docker json-file (daemon/logger/jsonfilelog, jsonlog.JSONLogs):
 *   one JSON object per line, {"log":"<text>\n","stream":"stderr",
 *   "time":"<RFC 3339 nano>"}; Go's encoder escapes <, >, & as \u003c,
 *   \u003e, \u0026, U+2028/U+2029, control bytes as \u00XX, and writes
 *   invalid UTF-8 as U+FFFD. A line over 16 KiB is split over several
 *   objects; only the last "log" ends in "\n".
 * - CRI (kubelet, cri-api "CRI logging format"): "<RFC 3339 nano>
 *   <stdout|stderr> <P|F> <text>", P a partial record continued by the
 *   next, F the full (or last) one.
 * - docker logs / kubectl logs --timestamps: "<RFC 3339 nano> <text>".
 * - docker compose logs: "<service>-<n>  | <text>" (v2), "<service>_<n>
 *   | " (v1), the name padded with spaces; with -t a timestamp follows.
 * - rsyslog files: "Mmm dd hh:mm:ss host tag: <text>" (traditional) or
 *   "<RFC 3339> host tag: <text>" (RSYSLOG_FileFormat); nginx's syslog
 *   message keeps its own "YYYY/MM/DD hh:mm:ss [level] ..." text.
 * The wrapped text must look like an nginx line for the line-by-line
 * forms; anything else passes through untouched.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hswatch/buf.h"
#include "hswatch/unwrap.h"
#include "hswatch/xmalloc.h"

#define UNWRAP_MAX_DEFAULT	16384
#define UNWRAP_TIME_MAX		64

struct unwrap {
	enum unwrap_format	 forced;
	enum unwrap_format	 fixed;		/* per file, once known */
	size_t			 max;
	struct buf		 dec;		/* a decoded Docker "log" */
	int			 dec_nl;	/* it ended in "\n" */
	struct buf		 join;		/* a split line so far */
	int			 holding;
	int			 join_cut;
	enum unwrap_format	 join_format;
	uint64_t		 join_lineno;
	uint64_t		 join_offset;
	char			 time[UNWRAP_TIME_MAX];
	size_t			 timelen;
	char			 join_time[UNWRAP_TIME_MAX];
	size_t			 join_timelen;
};

static const char *const format_names[UNWRAP_FORMAT_MAX] = {
	[UNWRAP_AUTO] = "auto",
	[UNWRAP_PLAIN] = "plain",
	[UNWRAP_DOCKER] = "docker",
	[UNWRAP_CRI] = "cri",
	[UNWRAP_TIMESTAMPS] = "timestamps",
	[UNWRAP_COMPOSE] = "compose",
	[UNWRAP_SYSLOG] = "syslog",
};

const char *
unwrap_format_name(enum unwrap_format f)
{
	return (unsigned)f < UNWRAP_FORMAT_MAX ? format_names[f] : "unknown";
}

int
unwrap_format_parse(const char *name, enum unwrap_format *f)
{
	static const struct {
		const char		*name;
		enum unwrap_format	 f;
	} aliases[] = {
		{ "json-file", UNWRAP_DOCKER },
		{ "kubernetes", UNWRAP_CRI },
		{ "k8s", UNWRAP_CRI },
		{ "docker-logs", UNWRAP_TIMESTAMPS },
		{ "kubectl-logs", UNWRAP_TIMESTAMPS },
		{ "rsyslog", UNWRAP_SYSLOG },
	};
	size_t	 i;

	for (i = 0; i < UNWRAP_FORMAT_MAX; i++)
		if (strcmp(name, format_names[i]) == 0) {
			*f = (enum unwrap_format)i;
			return 0;
		}
	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcmp(name, aliases[i].name) == 0) {
			*f = aliases[i].f;
			return 0;
		}
	return -1;
}

struct unwrap *
unwrap_new(enum unwrap_format forced, size_t max)
{
	struct unwrap	*u;

	u = xcalloc(1, sizeof *u);
	u->forced = (unsigned)forced < UNWRAP_FORMAT_MAX ? forced :
	    UNWRAP_AUTO;
	u->fixed = u->forced;
	u->max = max > 0 ? max : UNWRAP_MAX_DEFAULT;
	buf_init(&u->dec);
	buf_init(&u->join);
	return u;
}

void
unwrap_free(struct unwrap *u)
{
	if (u == NULL)
		return;
	buf_free(&u->dec);
	buf_free(&u->join);
	free(u);
}

enum unwrap_format
unwrap_format(const struct unwrap *u)
{
	return u->fixed;
}

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

/* "YYYY/MM/DD hh:mm:ss " at p: the start of an nginx line. */
static int
nginx_time_at(const char *p, const char *end)
{
	static const char	 shape[] = "0000/00/00 00:00:00 ";
	size_t			 i;

	if ((size_t)(end - p) < sizeof shape - 1)
		return 0;
	for (i = 0; i < sizeof shape - 1; i++)
		if (shape[i] == '0' ? !isdig((unsigned char)p[i]) :
		    p[i] != shape[i])
			return 0;
	return 1;
}

/*
 * An RFC 3339 timestamp at p ("2026-12-02T13:01:04.123456789Z",
 * "2026-12-02T13:01:04+01:00"), followed by a space or the end:
 * its length, or 0.
 */
static size_t
rfc3339_at(const char *p, const char *end)
{
	static const char	 shape[] = "0000-00-00T00:00:00";
	const char		*q;
	size_t			 i;

	if ((size_t)(end - p) < sizeof shape - 1)
		return 0;
	for (i = 0; i < sizeof shape - 1; i++)
		if (shape[i] == '0' ? !isdig((unsigned char)p[i]) :
		    p[i] != shape[i] && !(shape[i] == 'T' && p[i] == ' '))
			return 0;
	if (p[10] == ' ')
		return 0;	/* "2026-12-02 13:..." is not RFC 3339 here */
	q = p + sizeof shape - 1;
	if (q < end && (*q == '.' || *q == ',')) {
		for (q++; q < end && isdig((unsigned char)*q) &&
		    q - p < UNWRAP_TIME_MAX - 8; q++)
			;
	}
	if (q < end && (*q == 'Z' || *q == 'z'))
		q++;
	else if (end - q >= 6 && (*q == '+' || *q == '-') &&
	    isdig((unsigned char)q[1]) && isdig((unsigned char)q[2]) &&
	    q[3] == ':' && isdig((unsigned char)q[4]) &&
	    isdig((unsigned char)q[5]))
		q += 6;
	else if (end - q >= 5 && (*q == '+' || *q == '-') &&
	    isdig((unsigned char)q[1]) && isdig((unsigned char)q[2]) &&
	    isdig((unsigned char)q[3]) && isdig((unsigned char)q[4]))
		q += 5;		/* journalctl -o short-iso: "+0000" */
	else
		return 0;
	if (q < end && *q != ' ')
		return 0;
	return (size_t)(q - p);
}

/* "Mmm dd hh:mm:ss" (BSD syslog, day padded with a space): 15, or 0. */
static size_t
bsdtime_at(const char *p, const char *end)
{
	static const char	 months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	size_t			 i;

	if (end - p < 16 || p[3] != ' ' || p[15] != ' ')
		return 0;
	for (i = 0; i < 36; i += 3)
		if (memcmp(p, months + i, 3) == 0)
			break;
	if (i == 36)
		return 0;
	if (!(p[4] == ' ' || isdig((unsigned char)p[4])) ||
	    !isdig((unsigned char)p[5]) || p[6] != ' ' ||
	    !isdig((unsigned char)p[7]) || !isdig((unsigned char)p[8]) ||
	    p[9] != ':' || !isdig((unsigned char)p[10]) ||
	    !isdig((unsigned char)p[11]) || p[12] != ':' ||
	    !isdig((unsigned char)p[13]) || !isdig((unsigned char)p[14]))
		return 0;
	return 15;
}

/* "tag: " or "tag[pid]: " at p: a pointer past it, or NULL. */
static const char *
host_tag_at_tag(const char *p, const char *end)
{
	const char	*q = p;

	for (; q < end && *q != ':' && *q != ' ' && *q != '[' && q - p < 64;
	    q++)
		;
	if (q == p || q >= end)
		return NULL;
	if (*q == '[') {
		for (q++; q < end && isdig((unsigned char)*q); q++)
			;
		if (q >= end || *q != ']')
			return NULL;
		q++;
	}
	if (end - q < 2 || q[0] != ':' || q[1] != ' ')
		return NULL;
	return q + 2;
}

/*
 * "host tag: " or "host tag[pid]: " at p (a syslog file's fields after
 * the time): a pointer past it, or NULL. nginx puts its hostname in the
 * header unless told "nohostname", and rsyslog's local socket expects
 * none, so such a line reads "host host nginx: ": one more word is
 * allowed before the tag.
 */
static const char *
host_tag_at(const char *p, const char *end)
{
	const char	*q, *r;
	int		 words;

	for (words = 0; words < 2; words++) {
		for (q = p; q < end && *q != ' ' && q - p < 256; q++)
			;
		if (q == p || q >= end)
			return NULL;
		p = q + 1;
		if ((r = host_tag_at_tag(p, end)) != NULL)
			return r;
	}
	return NULL;
}
/* A docker compose prefix "name  | ": a pointer past it, or NULL. */
static const char *
compose_at(const char *p, const char *end)
{
	const char	*q = p;

	/* docker compose colours the prefix on a terminal: skip SGR. */
	while (end - q >= 3 && q[0] == '\033' && q[1] == '[') {
		for (q += 2; q < end && (isdig((unsigned char)*q) || *q == ';');
		    q++)
			;
		if (q >= end || *q != 'm')
			return NULL;
		q++;
	}
	p = q;
	if (q >= end || !((*q >= 'a' && *q <= 'z') || (*q >= 'A' &&
	    *q <= 'Z') || isdig((unsigned char)*q)))
		return NULL;
	for (; q < end && q - p < 128 && ((*q >= 'a' && *q <= 'z') ||
	    (*q >= 'A' && *q <= 'Z') || isdig((unsigned char)*q) ||
	    *q == '_' || *q == '-' || *q == '.'); q++)
		;
	if (q >= end || *q != ' ')
		return NULL;
	while (q < end && *q == ' ')
		q++;
	while (end - q >= 3 && q[0] == '\033' && q[1] == '[') {
		for (q += 2; q < end && (isdig((unsigned char)*q) || *q == ';');
		    q++)
			;
		if (q >= end || *q != 'm')
			return NULL;
		q++;
	}
	if (q >= end || *q != '|')
		return NULL;
	q++;
	while (end - q >= 3 && q[0] == '\033' && q[1] == '[') {
		for (q += 2; q < end && (isdig((unsigned char)*q) || *q == ';');
		    q++)
			;
		if (q >= end || *q != 'm')
			return NULL;
		q++;
	}
	if (q < end && *q == ' ')
		q++;
	return q;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static long
hex4(const char *p, const char *end)
{
	long	 v = 0;
	int	 i, h;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((h = hexval((unsigned char)p[i])) < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static void
put_bytes(struct buf *out, const char *p, size_t n, size_t max, int *cut)
{
	if (out->len + n > max) {
		*cut = 1;
		n = out->len < max ? max - out->len : 0;
	}
	if (n > 0)
		buf_add(out, p, n);
}

static void
put_utf8(struct buf *out, unsigned long cp, size_t max, int *cut)
{
	char	 u[4];
	size_t	 n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	put_bytes(out, u, n, max, cut);
}

const char *
unwrap_json_string(const char *p, const char *end, struct buf *out,
    size_t max, int *cut)
{
	const char	*run;
	long		 cp, lo;

	for (;;) {
		run = p;
		while (p < end && *p != '"' && *p != '\\')
			p++;
		put_bytes(out, run, (size_t)(p - run), max, cut);
		if (p >= end)
			return NULL;	/* not closed */
		if (*p == '"')
			return p + 1;
		if (++p >= end)
			return NULL;
		switch (*p++) {
		case '"':
			put_bytes(out, "\"", 1, max, cut);
			break;
		case '\\':
			put_bytes(out, "\\", 1, max, cut);
			break;
		case '/':
			put_bytes(out, "/", 1, max, cut);
			break;
		case 'b':
			put_bytes(out, "\b", 1, max, cut);
			break;
		case 'f':
			put_bytes(out, "\f", 1, max, cut);
			break;
		case 'n':
			put_bytes(out, "\n", 1, max, cut);
			break;
		case 'r':
			put_bytes(out, "\r", 1, max, cut);
			break;
		case 't':
			put_bytes(out, "\t", 1, max, cut);
			break;
		case 'u':
			if ((cp = hex4(p, end)) < 0)
				return NULL;
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* A high surrogate: its low half must follow. */
				if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
				    (lo = hex4(p + 2, end)) >= 0xdc00 &&
				    lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					p += 6;
				} else
					cp = 0xfffd;
			} else if (cp >= 0xdc00 && cp <= 0xdfff)
				cp = 0xfffd;	/* a lone low surrogate */
			put_utf8(out, (unsigned long)cp, max, cut);
			break;
		default:
			return NULL;
		}
	}
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* Past one JSON value we do not need (bounded nesting), or NULL. */
static const char *
skip_value(const char *p, const char *end)
{
	int	 depth = 0;

	do {
		p = skip_ws(p, end);
		if (p >= end)
			return NULL;
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\' && ++p >= end)
					return NULL;
			if (p >= end)
				return NULL;
			p++;
		} else if (*p == '{' || *p == '[') {
			if (++depth > 16)
				return NULL;
			p++;
		} else if (*p == '}' || *p == ']') {
			if (depth-- <= 0)
				return NULL;
			p++;
		} else if (*p == ',' || *p == ':') {
			if (depth == 0)
				return NULL;
			p++;
		} else {
			while (p < end && *p != ',' && *p != '}' && *p != ']' &&
			    *p != ' ')
				p++;
		}
	} while (depth > 0);
	return p;
}

static int
key_is(const char *k, const char *kend, const char *lit)
{
	size_t	 n = strlen(lit);

	return (size_t)(kend - k) == n && memcmp(k, lit, n) == 0;
}

/*
 * A Docker json-file record: "log" decoded into u->dec, the time into
 * u->time. Returns 0, or -1 when the record is not one.
 */
static int
docker_record(struct unwrap *u, const char *p, const char *end, int *cut)
{
	const char	*k, *kend, *t;
	int		 have_log = 0;

	buf_reset(&u->dec);
	u->timelen = 0;
	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		return -1;
	for (;;) {
		p = skip_ws(p, end);
		if (p >= end || *p != '"')
			return -1;
		k = ++p;
		while (p < end && *p != '"' && *p != '\\')
			p++;
		if (p >= end || *p != '"')
			return -1;
		kend = p++;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':')
			return -1;
		p = skip_ws(p, end);
		if (key_is(k, kend, "log") && p < end && *p == '"') {
			const char	*s0 = p + 1, *e, *b;

			if ((p = unwrap_json_string(s0, end, &u->dec,
			    u->max + 1, cut)) == NULL)
				return -1;
			/* Ends in an escaped "\n" (seen raw: the decoded
			 * text may have been cut before it)? */
			e = p - 1;
			u->dec_nl = 0;
			if (e - s0 >= 2 && e[-1] == 'n' && e[-2] == '\\') {
				for (b = e - 2; b > s0 && b[-1] == '\\'; b--)
					;
				u->dec_nl = (e - 1 - b) % 2 == 1;
			}
			have_log = 1;
		} else if (key_is(k, kend, "time") && p < end && *p == '"') {
			for (t = ++p; p < end && *p != '"' && *p != '\\'; p++)
				;
			if (p >= end || *p != '"')
				return -1;
			if ((size_t)(p - t) < UNWRAP_TIME_MAX) {
				memcpy(u->time, t, (size_t)(p - t));
				u->timelen = (size_t)(p - t);
			}
			p++;
		} else if ((p = skip_value(p, end)) == NULL)
			return -1;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}')
			break;
		return -1;
	}
	return have_log ? 0 : -1;
}

static void
set_time(struct unwrap *u, const char *t, size_t n)
{
	if (n >= UNWRAP_TIME_MAX)
		n = 0;
	memcpy(u->time, t, n);
	u->timelen = n;
}

/* Give a line: a held join completes with (p, n), or (p, n) alone. */
static int
give(struct unwrap *u, enum unwrap_format f, const char *p, size_t n,
    int cut, uint64_t lineno, uint64_t offset, struct unwrap_line *out)
{
	if (u->holding) {
		put_bytes(&u->join, p, n, u->max, &u->join_cut);
		out->p = u->join.data;
		out->len = u->join.len;
		out->lineno = u->join_lineno;
		out->offset = u->join_offset;
		out->cut = u->join_cut || cut;
		memcpy(u->time, u->join_time, u->join_timelen);
		u->timelen = u->join_timelen;
		u->holding = 0;
	} else {
		out->cut = cut;
		if (n > u->max) {
			n = u->max;
			out->cut = 1;
		}
		out->p = p;
		out->len = n;
		out->lineno = lineno;
		out->offset = offset;
	}
	out->format = f;
	out->time = u->timelen > 0 ? u->time : NULL;
	out->timelen = u->timelen;
	return 1;
}

/* Hold (p, n) as the start or middle of a split line. */
static int
hold(struct unwrap *u, enum unwrap_format f, const char *p, size_t n,
    int cut, uint64_t lineno, uint64_t offset)
{
	if (!u->holding) {
		buf_reset(&u->join);
		u->holding = 1;
		u->join_cut = 0;
		u->join_format = f;
		u->join_lineno = lineno;
		u->join_offset = offset;
		memcpy(u->join_time, u->time, u->timelen);
		u->join_timelen = u->timelen;
	}
	if (cut)
		u->join_cut = 1;
	put_bytes(&u->join, p, n, u->max, &u->join_cut);
	return 0;
}

/*
 * The forms read line by line: timestamps, compose, syslog, plain.
 * Moves *pp to the nginx text, sets the time; returns the format, or
 * UNWRAP_AUTO when the record is none of them (passed through).
 */
static enum unwrap_format
detect_line(struct unwrap *u, const char **pp, const char *end,
    enum unwrap_format want)
{
	const char	*p = *pp, *q;
	size_t		 ts;

	u->timelen = 0;
	if (nginx_time_at(p, end))
		return UNWRAP_PLAIN;
	if ((want == UNWRAP_AUTO || want == UNWRAP_COMPOSE) &&
	    (q = compose_at(p, end)) != NULL && q < end &&
	    (nginx_time_at(q, end) || rfc3339_at(q, end) > 0)) {
		/* "docker compose logs -t": a timestamp after the prefix */
		if ((ts = rfc3339_at(q, end)) > 0 && end - q > (long)ts) {
			set_time(u, q, ts);
			q += ts + 1;
		}
		*pp = q;
		return UNWRAP_COMPOSE;
	}
	if ((ts = rfc3339_at(p, end)) > 0) {
		q = p + ts + (p + ts < end);
		if ((want == UNWRAP_AUTO || want == UNWRAP_TIMESTAMPS) &&
		    nginx_time_at(q, end)) {
			set_time(u, p, ts);
			*pp = q;
			return UNWRAP_TIMESTAMPS;
		}
		if ((want == UNWRAP_AUTO || want == UNWRAP_SYSLOG) &&
		    (q = host_tag_at(q, end)) != NULL && nginx_time_at(q, end)) {
			set_time(u, p, ts);
			*pp = q;
			return UNWRAP_SYSLOG;
		}
		if (want == UNWRAP_TIMESTAMPS) {
			set_time(u, p, ts);
			*pp = p + ts + (p + ts < end);
			return UNWRAP_TIMESTAMPS;
		}
	}
	if ((want == UNWRAP_AUTO || want == UNWRAP_SYSLOG) &&
	    (ts = bsdtime_at(p, end)) > 0 &&
	    (q = host_tag_at(p + ts + 1, end)) != NULL && nginx_time_at(q, end)) {
		set_time(u, p, ts);
		*pp = q;
		return UNWRAP_SYSLOG;
	}
	return UNWRAP_AUTO;
}

/* A CRI record: 1 (F), 0 (P) with the text in *pp; -1 when not one. */
static int
cri_record(struct unwrap *u, const char **pp, const char *end)
{
	const char	*p = *pp, *q;
	size_t		 ts;
	int		 full;

	if ((ts = rfc3339_at(p, end)) == 0 || end - p < (long)ts + 9)
		return -1;
	q = p + ts + 1;
	if (memcmp(q, "stdout ", 7) != 0 && memcmp(q, "stderr ", 7) != 0)
		return -1;
	q += 7;
	if (*q != 'F' && *q != 'P')
		return -1;
	full = *q == 'F';
	q++;
	/* further tags (cri-api allows "F:x"), then one space */
	while (q < end && *q != ' ')
		q++;
	if (q < end)
		q++;
	set_time(u, p, ts);
	*pp = q;
	return full;
}

int
unwrap_record(struct unwrap *u, const char *rec, size_t len,
    uint64_t lineno, uint64_t offset, struct unwrap_line *out)
{
	const char		*end = rec + len, *p = rec;
	enum unwrap_format	 f;
	int			 cut = 0, r;

	/* The fast path: a plain error.log, once known. */
	if (u->fixed == UNWRAP_PLAIN) {
		u->timelen = 0;
		return give(u, UNWRAP_PLAIN, rec, len, 0, lineno, offset, out);
	}
	if (u->fixed == UNWRAP_DOCKER || (u->fixed == UNWRAP_AUTO &&
	    len > 0 && *rec == '{')) {
		if (docker_record(u, rec, end, &cut) == 0) {
			u->fixed = UNWRAP_DOCKER;
			if (u->dec_nl)
				return give(u, UNWRAP_DOCKER, u->dec.data,
				    u->dec.len - (!cut && u->dec.len > 0 &&
				    u->dec.data[u->dec.len - 1] == '\n'), cut,
				    lineno, offset, out);
			return hold(u, UNWRAP_DOCKER, u->dec.data, u->dec.len,
			    cut, lineno, offset);
		}
		if (u->fixed == UNWRAP_DOCKER) {
			u->timelen = 0;
			return give(u, UNWRAP_PLAIN, rec, len, 0, lineno,
			    offset, out);
		}
	}
	if (u->fixed == UNWRAP_CRI || u->fixed == UNWRAP_AUTO) {
		if ((r = cri_record(u, &p, end)) >= 0) {
			u->fixed = UNWRAP_CRI;
			if (r == 1)
				return give(u, UNWRAP_CRI, p,
				    (size_t)(end - p), 0, lineno, offset, out);
			return hold(u, UNWRAP_CRI, p, (size_t)(end - p), 0,
			    lineno, offset);
		}
		p = rec;
		if (u->fixed == UNWRAP_CRI) {
			u->timelen = 0;
			return give(u, UNWRAP_PLAIN, rec, len, 0, lineno,
			    offset, out);
		}
	}
	f = detect_line(u, &p, end, u->fixed);
	if (f == UNWRAP_PLAIN && u->forced == UNWRAP_AUTO)
		u->fixed = UNWRAP_PLAIN;	/* one check per file */
	if (f == UNWRAP_AUTO) {
		u->timelen = 0;
		f = UNWRAP_PLAIN;
	}
	return give(u, f, p, (size_t)(end - p), 0, lineno, offset, out);
}

int
unwrap_flush(struct unwrap *u, struct unwrap_line *out)
{
	if (!u->holding)
		return 0;
	return give(u, u->join_format, "", 0, 0, 0, 0, out);
}
