/*
 * nginx error-log line parser (NGINX-FACTS.md sections 1 and 2).
 *
 * Layout of a line (ngx_log_error_core):
 *   TIME [LEVEL] PID#TID: [*CONN ]MESSAGE[ while ACTION], client: ...
 * The prefix is fixed-format and read by hand. The message start is
 * compared against the few literal prefixes of the messages we care
 * about: that prefilter rejects nearly every ordinary line after a
 * handful of byte compares. The action decides next: a message that is
 * an event only while SSL handshaking to (or reading from) an upstream
 * is dropped there, before its context is read. The OpenSSL error
 * queue and a trailing errno are read by hand (every handshake failure
 * has them); the rarer details (verify error, name, certificate path)
 * go through PCRE2-JIT patterns; the context suffix is read field by
 * field in nginx's fixed order.
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hswatch/escape.h"
#include "hswatch/event.h"
#include "hswatch/logline.h"
#include "hswatch/xmalloc.h"

enum logline_re {
	RE_VERIFY,
	RE_NAME,
	RE_CERT,
	RE_MAX
};

static const char *const logline_patterns[RE_MAX] = {
	[RE_VERIFY] = "\\Aupstream SSL certificate verify error: "
	    "\\(([0-9]{1,5}):(.*)\\)\\z",
	[RE_NAME] = "\\Aupstream SSL certificate does not match \"(.*)\"\\z",
	[RE_CERT] = "\\Acannot load certificate(?: key)? \"(.*?)\": ",
};

struct logline {
	pcre2_code		*re[RE_MAX];
	int			 twin;		/* re[] is another's */
	pcre2_match_data	*md;
	struct logline_stats	 st;
	int			 upfail;	/* read non-TLS failures */
};

/* Messages we recognise, by their literal start. */
enum logline_msg {
	MSG_NONE,
	MSG_HANDSHAKE,		/* SSL_do_handshake() failed */
	MSG_READ,		/* SSL_read() failed / SSL_write() failed */
	MSG_PEER_CLOSED,
	MSG_VERIFY,
	MSG_NAME,
	MSG_TIMEOUT,
	MSG_DISABLED,
	MSG_NO_LIVE,
	MSG_CERT,
	MSG_UPFAIL		/* connect() failed, prematurely closed... */
};

#define LIT(s)	s, sizeof(s) - 1
#define HS_ACTION	" while SSL handshaking to upstream"

static int
starts(const char *p, const char *end, const char *lit, size_t n)
{
	return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/*
 * First position in [p, end - 1) where the bytes a, b follow each
 * other. Pairs are rare where single bytes are not (", " against ','
 * inside a message, " e" against the spaces of an error text), and the
 * ranges are short: sixteen positions a step with SSE2 (every x86-64),
 * inline, with no call per candidate.
 */
static inline const char *
find2(const char *p, const char *end, char a, char b)
{
#if defined(__SSE2__)
	const __m128i	 va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	const char	*q;
	unsigned	 m;

	if (end - p >= 17) {
		for (;;) {
			/* The last block overlaps the one before it. */
			q = end - p >= 17 ? p : end - 17;
			m = (unsigned)_mm_movemask_epi8(_mm_and_si128(
			    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)
			    (const void *)q), va), _mm_cmpeq_epi8(
			    _mm_loadu_si128((const __m128i *)(const void *)
			    (q + 1)), vb))) >> (p - q);
			if (m != 0)
				return p + __builtin_ctz(m);
			if (q != p || end - p == 17)
				return NULL;
			p += 16;
		}
	}
#endif
	for (; end - p >= 2; p++)
		if (p[0] == a && p[1] == b)
			return p;
	return NULL;
}

/*
 * First occurrence of lit (n >= 1) in [p, end): its first two bytes
 * found together (find2), the rest compared. A line is at most
 * max_line bytes and a literal a few, so the worst case stays bounded.
 */
static const char *
findmem(const char *p, const char *end, const char *lit, size_t n)
{
	const char	*q;

	if (n == 1)
		return p < end ? memchr(p, lit[0], (size_t)(end - p)) : NULL;
	for (q = p; q < end && (q = find2(q, end, lit[0], lit[1])) != NULL;
	    q++) {
		if ((size_t)(end - q) < n)
			return NULL;
		if (memcmp(q + 2, lit + 2, n - 2) == 0)
			return q;
	}
	return NULL;
}

/* Last occurrence of lit in [p, end). */
static const char *
rfindmem(const char *p, const char *end, const char *lit, size_t n)
{
	const char	*q;

	if (p > end || (size_t)(end - p) < n)
		return NULL;
	for (q = end - n; q >= p; q--)
		if (*q == lit[0] && memcmp(q, lit, n) == 0)
			return q;
	return NULL;
}

static void
setspan(struct span *s, const char *p, const char *end)
{
	s->p = p;
	s->n = (size_t)(end - p);
}

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

static long long
atoll_span(const char *p, const char *end)
{
	long long	 v = 0;

	for (; p < end && isdig((unsigned char)*p); p++) {
		if (v > 1000000000000000LL)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

static inline int64_t
days_from_civil(int y, int m, int d)
{
	int		 era;
	unsigned	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t)era * 146097 + (int64_t)doe - 719468;
}

static int
twodig(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/*
 * "YYYY/MM/DD HH:MM:SS". Inlined into the per-line path (the call
 * alone cost a tenth of the batch scan of a mixed log).
 */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int
parse_time(const char *p, int64_t *ts)
{
	/* Digits at these 14 places, the separators at the other 5. */
	static const unsigned char	 dig[] = {
		0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18
	};
	int				 i, y, mo, d, h, mi, s;

	if (p[4] != '/' || p[7] != '/' || p[10] != ' ' || p[13] != ':' ||
	    p[16] != ':')
		return -1;
	for (i = 0; i < 14; i++)
		if ((unsigned)((unsigned char)p[dig[i]] - '0') > 9u)
			return -1;
	y = twodig(p) * 100 + twodig(p + 2);
	mo = twodig(p + 5);
	d = twodig(p + 8);
	h = twodig(p + 11);
	mi = twodig(p + 14);
	s = twodig(p + 17);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	*ts = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}

static enum event_level
parse_level(const char *p, size_t n)
{
	static const char *const names[] = {
		NULL, "emerg", "alert", "crit", "error", "warn", "notice",
		"info", "debug"
	};
	static const unsigned char len[] = { 0, 5, 5, 4, 5, 4, 6, 4, 5 };
	size_t	 i;

	/* Told apart by length and first two letters, then compared. */
	for (i = 1; i < sizeof names / sizeof names[0]; i++)
		if (len[i] == n && names[i][0] == p[0] &&
		    names[i][1] == p[1] && memcmp(names[i], p, n) == 0)
			return (enum event_level)i;
	return EVENT_LEVEL_UNKNOWN;
}

/*
 * 1 to max decimal digits at p (max <= 19), their value in *v (taken
 * modulo 2^64: callers use it only with max <= 10); returns the first
 * byte after them, or NULL when there are none or more than max.
 */
static inline const char *
digits(const char *p, const char *end, int max, long long *v)
{
	unsigned long long	 x = 0;
	int			 n;

	for (n = 0; p < end && (unsigned)((unsigned char)*p - '0') <= 9u;
	    p++) {
		if (++n > max)
			return NULL;
		x = x * 10 + (unsigned)(*p - '0');
	}
	*v = (long long)(x & 0x7fffffffffffffffULL);
	return n > 0 ? p : NULL;
}

/*
 * The fixed prefix. Returns a pointer to the message, or NULL when the
 * line is not an nginx error-log line.
 */
static const char *
parse_prefix(const char *p, const char *end, struct event *ev)
{
	const char	*q, *r;
	long long	 v;

	if (end - p < 19 + 9 || parse_time(p, &ev->ts) != 0)
		return NULL;
	setspan(&ev->time, p, p + 19);
	p += 19;
	if (p[0] != ' ' || p[1] != '[')
		return NULL;
	p += 2;
	if ((q = memchr(p, ']', (size_t)(end - p) < 8 ? (size_t)(end - p) : 8))
	    == NULL)
		return NULL;
	if ((ev->level = parse_level(p, (size_t)(q - p))) == EVENT_LEVEL_UNKNOWN)
		return NULL;
	p = q + 1;
	if (p >= end || *p++ != ' ')
		return NULL;
	if ((r = digits(p, end, 10, &v)) == NULL || r >= end || *r != '#')
		return NULL;
	ev->pid = (long)v;
	p = r + 1;
	if ((r = digits(p, end, 10, &v)) == NULL || end - r < 2 ||
	    r[0] != ':' || r[1] != ' ')
		return NULL;
	ev->tid = (long)v;
	p = r + 2;
	if (p < end && *p == '*' &&
	    (r = digits(p + 1, end, 19, &v)) != NULL && r < end && *r == ' ') {
		ev->conn = atoll_span(p + 1, r);	/* -1 past 10^16 */
		p = r + 1;
	}
	return p;
}

#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline enum logline_msg
classify(const char *m, const char *end)
{
	switch (*m) {
	case 'S':
		if (starts(m, end, LIT("SSL_do_handshake() failed")))
			return MSG_HANDSHAKE;
		if (starts(m, end, LIT("SSL_read() failed")) ||
		    starts(m, end, LIT("SSL_write() failed")))
			return MSG_READ;
		break;
	case 'p':
		if (starts(m, end, LIT("peer closed connection in SSL handshake")))
			return MSG_PEER_CLOSED;
		break;
	case 'u':
		if (!starts(m, end, LIT("upstream ")))
			break;
		m += sizeof("upstream ") - 1;
		if (starts(m, end, LIT("SSL certificate verify error: (")))
			return MSG_VERIFY;
		if (starts(m, end, LIT("SSL certificate does not match \"")))
			return MSG_NAME;
		if (starts(m, end, LIT("timed out ")))
			return MSG_TIMEOUT;
		if (starts(m, end, LIT("server temporarily disabled")))
			return MSG_DISABLED;
		if (starts(m, end, LIT("prematurely closed connection")) ||
		    starts(m, end, LIT("sent invalid ")) ||
		    starts(m, end, LIT("sent no valid ")))
			return MSG_UPFAIL;
		break;
	case 'r':
		if (starts(m, end, LIT("recv() failed (")))
			return MSG_UPFAIL;
		break;
	case 'n':
		if (starts(m, end, LIT("no live upstreams")))
			return MSG_NO_LIVE;
		break;
	case 'c':
		if (starts(m, end, LIT("cannot load certificate")))
			return MSG_CERT;
		if (starts(m, end, LIT("connect() ")))
			return MSG_UPFAIL;
		break;
	}
	return MSG_NONE;
}

static int
re_match(struct logline *ll, enum logline_re which, const char *p, size_t n,
    size_t start)
{
	int	 rc;

	rc = pcre2_match(ll->re[which], (PCRE2_SPTR)p, n, start, 0, ll->md,
	    NULL);
	return rc > 0 ? rc : 0;
}

static void
re_group(struct logline *ll, const char *subject, int g, struct span *out)
{
	PCRE2_SIZE	*ov = pcre2_get_ovector_pointer(ll->md);

	if (ov[2 * g] == PCRE2_UNSET) {
		out->p = NULL;
		out->n = 0;
		return;
	}
	out->p = subject + ov[2 * g];
	out->n = ov[2 * g + 1] - ov[2 * g];
}

/* The alert an OpenSSL SSL-library error code stands for, or -1. */
static int
code_alert(const struct span *code)
{
	uint32_t	 v = 0, reason;
	size_t		 i;

	for (i = 0; i < code->n; i++)
		v = v << 4 | (uint32_t)escape_hexval((unsigned char)code->p[i]);
	if ((v >> 24) == 0x14)		/* OpenSSL 1.x: lib<<24|func<<12|reason */
		reason = v & 0xfff;
	else if ((v >> 23) == 20)	/* OpenSSL 3.x: lib<<23|reason */
		reason = v & 0x7fffff;
	else
		return -1;
	if (reason >= 1000 && reason < 1256)
		return (int)(reason - 1000);
	return -1;
}

/* "error:" + 8 hex digits + ":" at p: the head of an error-queue entry. */
static int
sslerr_head(const char *p, const char *end)
{
	int	 i;

	if (end - p < 15 || p[0] != 'e' || memcmp(p, "error:", 6) != 0 ||
	    p[14] != ':')
		return 0;
	for (i = 6; i < 14; i++)
		if (!isdig((unsigned char)p[i]) &&
		    (unsigned)(((unsigned char)p[i] | 0x20) - 'a') > 5u)
			return 0;
	return 1;
}

/*
 * The first entry of an OpenSSL error queue in [s, e):
 * error:CODE:LIB:FUNC:REASON[:DATA], the reason running to the next
 * entry's head (" error:CODE:") or to e. The same match as the pattern
 * error:([0-9A-Fa-f]{8}):([^:]*):([^:]*):(.*?)(?= error:[0-9A-Fa-f]{8}:|\z)
 * (DOTALL), without a regex engine: this runs on every handshake
 * failure. Returns the end of the entry, or NULL.
 */
static const char *
sslerr_entry(const char *s, const char *e, struct span *code,
    struct span *rd)
{
	const char	*q, *c1, *c2, *r;

	for (q = s; (q = findmem(q, e, LIT("error:"))) != NULL; q++) {
		if (!sslerr_head(q, e))
			continue;
		if ((c1 = memchr(q + 15, ':', (size_t)(e - q - 15))) == NULL ||
		    (c2 = memchr(c1 + 1, ':', (size_t)(e - c1 - 1))) == NULL)
			continue;
		for (r = c2 + 1; (r = find2(r, e, ' ', 'e')) != NULL; r++)
			if (sslerr_head(r + 1, e))
				break;
		if (r == NULL)
			r = e;
		setspan(code, q + 6, q + 14);
		setspan(rd, c2 + 1, r);
		return r;
	}
	return NULL;
}

/*
 * Read the "(SSL: error:...)" queue of a message: pick the entry that
 * carries an alert, else the last one.
 */
static void
parse_sslerr(const char *m, const char *end, struct event *ev)
{
	const char	*s, *e, *colon;
	struct span	 code, rd, data;
	int		 alert;

	if ((s = findmem(m, end, LIT("(SSL: "))) == NULL)
		return;
	s += sizeof("(SSL: ") - 1;
	if ((e = rfindmem(s, end, LIT(")"))) == NULL)
		e = end;	/* truncated */
	while (s < e && (s = sslerr_entry(s, e, &code, &rd)) != NULL) {
		data.p = NULL;
		data.n = 0;
		if ((colon = memchr(rd.p, ':', rd.n)) != NULL) {
			data.p = colon + 1;
			data.n = rd.n - (size_t)(colon + 1 - rd.p);
			rd.n = (size_t)(colon - rd.p);
		}
		alert = -1;
		if (data.n > sizeof("SSL alert number ") - 1 &&
		    memcmp(data.p, LIT("SSL alert number ")) == 0)
			alert = (int)atoll_span(data.p + 17, data.p + data.n);
		if (alert < 0 || alert > 255)
			alert = code_alert(&code);
		/* An entry with an alert wins; otherwise the last one. */
		if (alert >= 0 || ev->alert < 0) {
			ev->ssl_error = code;
			ev->reason = rd;
			if (alert >= 0)
				ev->alert = alert;
		}
	}
}

/*
 * A trailing " (NUM: TEXT)" of a message, NUM 1 to 5 digits, TEXT
 * without parentheses (the pattern " \(([0-9]{1,5}): ([^()]*)\)\z"):
 * only the last '(' can open it. Sets err and err_text; returns where
 * it starts (the space), or end.
 */
static const char *
errno_suffix(const char *m, const char *end, struct event *ev)
{
	const char	*open, *p;

	if (end - m < 6 || end[-1] != ')' ||
	    (open = memrchr(m, '(', (size_t)(end - 1 - m))) == NULL ||
	    open == m || open[-1] != ' ' ||
	    memchr(open + 1, ')', (size_t)(end - 1 - open - 1)) != NULL)
		return end;
	for (p = open + 1; p < end && isdig((unsigned char)*p); p++)
		;
	if (p == open + 1 || p - open - 1 > 5 || end - p < 3 ||
	    p[0] != ':' || p[1] != ' ')
		return end;
	ev->err = (int)atoll_span(open + 1, p);
	setspan(&ev->err_text, p + 2, end - 1);
	return open - 1;
}

/*
 * The context suffix: client, server, then the optional fields in
 * nginx's fixed order (ngx_http_log_error_handler; stream:
 * ngx_stream_proxy_log_error). Each optional field is looked for only
 * at the current position, so text inside an earlier field can never be
 * taken for a later one.
 */
static const char *
next_field(const char *p, const char *end)
{
	static const struct {
		const char	*s;
		size_t		 n;
	} fields[] = {
		{ LIT(", request: \"") },
		{ LIT(", subrequest: \"") },
		{ LIT(", upstream: \"") },
		{ LIT(", host: \"") },
		{ LIT(", referrer: \"") },
		{ LIT(", bytes from/to client:") },
	};
	const char	*q;
	size_t		 i;

	/* One pass: every field starts with ", "; the first that is one. */
	for (q = p; (q = find2(q, end, ',', ' ')) != NULL; q++) {
		for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
			if ((size_t)(end - q) >= fields[i].n &&
			    memcmp(q, fields[i].s, fields[i].n) == 0)
				return q;
	}
	return end;
}

/* End of a quoted value that holds no space: the first '"' before ", ". */
static const char *
quoted_end(const char *v, const char *end, const char *const *after,
    size_t nafter)
{
	const char	*q;
	size_t		 i;

	for (q = v; q < end &&
	    (q = memchr(q, '"', (size_t)(end - q))) != NULL; q++) {
		if (q + 1 == end)
			return q;
		if (after == NULL) {
			if (end - q >= 3 && q[1] == ',' && q[2] == ' ')
				return q;
			continue;
		}
		for (i = 0; i < nafter; i++)
			if (starts(q + 1, end, after[i], strlen(after[i])))
				return q;
	}
	return NULL;
}

static const char *
parse_request(const char *v, const char *end, struct event *ev)
{
	const char	*sp, *sp2, *q;

	/* METHOD SP URI [SP HTTP/d.d]: no spaces inside (nginx >= 1.21.1). */
	if ((sp = memchr(v, ' ', (size_t)(end - v))) == NULL) {
		setspan(&ev->request, v, end);
		ev->flags |= EVENT_F_TRUNCATED;
		return end;
	}
	setspan(&ev->method, v, sp);
	sp2 = memchr(sp + 1, ' ', (size_t)(end - sp - 1));
	if (sp2 != NULL && end - sp2 >= 10 && memcmp(sp2 + 1, "HTTP/", 5) == 0 &&
	    isdig((unsigned char)sp2[6]) && sp2[7] == '.' &&
	    isdig((unsigned char)sp2[8]) && sp2[9] == '"') {
		setspan(&ev->uri, sp + 1, sp2);
		setspan(&ev->request, v, sp2 + 9);
		return sp2 + 10;
	}
	/* HTTP/0.9, or cut before the version. */
	if ((q = quoted_end(sp + 1, end, NULL, 0)) == NULL) {
		setspan(&ev->uri, sp + 1, end);
		setspan(&ev->request, v, end);
		ev->flags |= EVENT_F_TRUNCATED;
		return end;
	}
	setspan(&ev->uri, sp + 1, q);
	setspan(&ev->request, v, q);
	return q + 1;
}

static void
split_upstream(struct event *ev)
{
	const char	*p = ev->upstream.p, *end = p + ev->upstream.n;
	const char	*rest, *q;

	if ((q = findmem(p, end, LIT("://"))) != NULL &&
	    memchr(p, '/', (size_t)(q - p)) == NULL) {
		setspan(&ev->scheme, p, q);
		rest = q + 3;
	} else
		rest = p;
	if (starts(rest, end, LIT("unix:"))) {
		q = memchr(rest + 5, ':', (size_t)(end - rest - 5));
		setspan(&ev->peer, rest, q ? q : end);
		if (q)
			setspan(&ev->upstream_uri, q + 1, end);
		ev->flags |= EVENT_F_PEER_ADDR;
		return;
	}
	if (rest < end && *rest == '[') {
		q = memchr(rest, ']', (size_t)(end - rest));
		q = q ? q : end;
		q = memchr(q, '/', (size_t)(end - q));
	} else
		q = memchr(rest, '/', (size_t)(end - rest));
	setspan(&ev->peer, rest, q ? q : end);
	if (q)
		setspan(&ev->upstream_uri, q, end);
}

/* Is the peer an address (IPv4:port, [IPv6]:port) rather than a name? */
static int
peer_is_addr(const struct span *s)
{
	const char	*p = s->p, *end = s->p + s->n, *colon;
	int		 dots = 0, digits = 0;

	if (s->n == 0)
		return 0;
	if (*p == '[') {
		for (p++; p < end && *p != ']'; p++)
			if (!(escape_hexval((unsigned char)*p) >= 0 || *p == ':' ||
			    *p == '.'))
				return 0;
		if (p >= end || end - p < 3 || p[1] != ':')
			return 0;
		for (p += 2; p < end; p++)
			if (!isdig((unsigned char)*p))
				return 0;
		return 1;
	}
	if ((colon = memchr(p, ':', s->n)) == NULL || colon + 1 == end)
		return 0;
	for (; p < colon; p++) {
		if (*p == '.') {
			if (digits == 0)
				return 0;
			dots++;
			digits = 0;
		} else if (isdig((unsigned char)*p) && ++digits <= 3)
			;
		else
			return 0;
	}
	if (dots != 3 || digits == 0)
		return 0;
	for (p = colon + 1; p < end; p++)
		if (!isdig((unsigned char)*p))
			return 0;
	return 1;
}

/*
 * ", NAME: \"" at p, NAME a field name ([a-z_][a-z0-9_]*, at most 32):
 * a field nginx or a fork (Kong's request_id, Tengine, OpenResty)
 * appends. Returns the value's start, or NULL.
 */
static const char *
field_at(const char *p, const char *end, const char **name, size_t *namelen)
{
	const char	*q;

	if (end - p < 6 || p[0] != ',' || p[1] != ' ')
		return NULL;
	for (q = p + 2; q < end && q - p - 2 <= 32 &&
	    ((*q >= 'a' && *q <= 'z') || *q == '_' ||
	    (q > p + 2 && isdig((unsigned char)*q))); q++)
		;
	if (q == p + 2 || end - q < 3 || q[0] != ':' || q[1] != ' ' ||
	    q[2] != '"')
		return NULL;
	if (name != NULL) {
		*name = p + 2;
		*namelen = (size_t)(q - p - 2);
	}
	return q + 3;
}

/*
 * End of a quoted value after host: (the host, a fork's extra field):
 * the first '"' that ends the line or is followed by another field.
 */
static const char *
field_end(const char *v, const char *end)
{
	const char	*q;

	for (q = v; q < end &&
	    (q = memchr(q, '"', (size_t)(end - q))) != NULL; q++)
		if (q + 1 == end || field_at(q + 1, end, NULL, NULL) != NULL)
			return q;
	return NULL;
}

/* One of the fields nginx itself writes (a look-alike when misplaced). */
static int
nginx_field(const char *name, size_t n)
{
	static const char *const names[] = {
		"client", "server", "request", "subrequest", "upstream", "host",
		"referrer"
	};
	size_t	 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
			return 1;
	return 0;
}

/*
 * Fields a fork appends after nginx's own ones end the referrer too
 * (Kong: `, referrer: "r", request_id: "ab12"`): a trailing
 * `", NAME: "VALUE"` whose value holds no quote is taken off, unless
 * NAME is one of nginx's own (a look-alike, left for the forged-field
 * check). The referrer is the client's anyway; nothing in it is trusted.
 */
static const char *
referrer_end(const char *v, const char *end)
{
	const char	*q, *val;
	int		 i;

	for (i = 0; i < 4 && end - v >= 2 && end[-1] == '"'; i++) {
		/* The value: back to the quote that opens it. */
		for (q = end - 2; q >= v && *q != '"'; q--)
			;
		if (q < v + 1 || q[-1] != ' ' || q[-2] != ':')
			break;
		/* q: the opening quote; back to ", NAME: ". */
		for (val = q - 2; val > v && ((val[-1] >= 'a' &&
		    val[-1] <= 'z') || val[-1] == '_' ||
		    isdig((unsigned char)val[-1])); val--)
			;
		if (val - v < 3 || val[-1] != ' ' || val[-2] != ',' ||
		    val[-3] != '"' || field_at(val - 2, end, NULL, NULL) !=
		    q + 1 || nginx_field(val, (size_t)(q - 2 - val)))
			break;
		end = val - 2;	/* the referrer's own closing quote + 1 */
	}
	return end;
}

static void
parse_context(const char *p, const char *end, struct event *ev)
{
	static const char *const after_upstream[] = {
		", host: \"", ", referrer: \"", ", bytes from/to client:"
	};
	static const char *const after_sub[] = {
		", upstream: \"", ", host: \"", ", referrer: \""
	};
	const char	*q, *v, *name;
	size_t		 namelen;

	/* p points at the client address. */
	if ((q = findmem(p, end, LIT(", server: "))) == NULL) {
		setspan(&ev->client, p, end);
		return;
	}
	setspan(&ev->client, p, q);
	v = q + sizeof(", server: ") - 1;
	q = next_field(v, end);
	setspan(&ev->server, v, q);
	p = q;

	if (starts(p, end, LIT(", request: \""))) {
		p = parse_request(p + sizeof(", request: \"") - 1, end, ev);
	}
	if (starts(p, end, LIT(", subrequest: \""))) {
		v = p + sizeof(", subrequest: \"") - 1;
		if ((q = quoted_end(v, end, after_sub, 3)) == NULL) {
			setspan(&ev->subrequest, v, end);
			ev->flags |= EVENT_F_TRUNCATED;
			return;
		}
		setspan(&ev->subrequest, v, q);
		p = q + 1;
	}
	if (starts(p, end, LIT(", upstream: \""))) {
		v = p + sizeof(", upstream: \"") - 1;
		if ((q = quoted_end(v, end, after_upstream, 3)) == NULL) {
			q = end;
			ev->flags |= EVENT_F_TRUNCATED;
		}
		setspan(&ev->upstream, v, q);
		split_upstream(ev);
		if (peer_is_addr(&ev->peer))
			ev->flags |= EVENT_F_PEER_ADDR;
		p = q < end ? q + 1 : end;
	}
	if (starts(p, end, LIT(", bytes from/to client:"))) {
		ev->module = EVENT_MODULE_STREAM;
		return;
	}
	if (starts(p, end, LIT(", host: \""))) {
		v = p + sizeof(", host: \"") - 1;
		if ((q = field_end(v, end)) == NULL) {
			q = end;
			ev->flags |= EVENT_F_TRUNCATED;
		}
		setspan(&ev->host, v, q);
		p = q < end ? q + 1 : end;
	}
	/*
	 * Fields a fork appends (Kong's request_id...): skipped, never
	 * read as anything; one of nginx's own names there is a
	 * look-alike a client forged inside the host.
	 */
	while (!starts(p, end, LIT(", referrer: \"")) &&
	    (v = field_at(p, end, &name, &namelen)) != NULL) {
		if (nginx_field(name, namelen))
			ev->flags |= EVENT_F_FORGED;
		if ((q = field_end(v, end)) == NULL) {
			ev->flags |= EVENT_F_TRUNCATED;
			return;
		}
		p = q + 1;
	}
	if (starts(p, end, LIT(", referrer: \""))) {
		v = p + sizeof(", referrer: \"") - 1;
		q = end;
		if (q > v && q[-1] == '"')
			q = referrer_end(v, q) - 1;
		else
			ev->flags |= EVENT_F_TRUNCATED;
		setspan(&ev->referrer, v, q);
	}
}

static int
span_has(const struct span *s, const char *lit, size_t n)
{
	return s->p != NULL && findmem(s->p, s->p + s->n, lit, n) != NULL;
}

static int
span_eq(const struct span *s, const char *lit, size_t n)
{
	return s->n == n && memcmp(s->p, lit, n) == 0;
}

static int
span_ends(const struct span *s, const char *lit, size_t n)
{
	return s->n >= n && memcmp(s->p + s->n - n, lit, n) == 0;
}

static void
parse_message(struct logline *ll, enum logline_msg msg, struct event *ev)
{
	const char	*m = ev->message.p, *end = m + ev->message.n;
	struct span	 g;
	const char	*paren;

	/* A trailing "(errno: text)" belongs to the message. */
	end = errno_suffix(m, end, ev);
	switch (msg) {
	case MSG_HANDSHAKE:
	case MSG_READ:
		paren = memchr(m, '(', (size_t)(end - m));
		setspan(&ev->ssl_func, m, paren && paren - m > 2 ? paren : m);
		parse_sslerr(m, end, ev);
		break;
	case MSG_CERT:
		if (re_match(ll, RE_CERT, m, (size_t)(end - m), 0))
			re_group(ll, m, 1, &ev->cert_path);
		parse_sslerr(m, end, ev);
		break;
	case MSG_VERIFY:
		if (re_match(ll, RE_VERIFY, m, (size_t)(end - m), 0)) {
			re_group(ll, m, 1, &g);
			ev->verify_code = (int)atoll_span(g.p, g.p + g.n);
			re_group(ll, m, 2, &ev->verify_text);
		}
		break;
	case MSG_NAME:
		if (re_match(ll, RE_NAME, m, (size_t)(end - m), 0))
			re_group(ll, m, 1, &ev->name);
		break;
	default:
		break;
	}
}

/* decide() says EVENT_NONE for msg with this action, context or not. */
static int
action_rules_out(enum logline_msg msg, const struct span *a)
{
	switch (msg) {
	case MSG_HANDSHAKE:
	case MSG_PEER_CLOSED:
	case MSG_TIMEOUT:
		return !span_eq(a, LIT("SSL handshaking to upstream"));
	case MSG_READ:
	case MSG_CERT:
		return !span_ends(a, LIT("upstream"));
	default:
		return 0;
	}
}

static enum event_kind
decide(enum logline_msg msg, const struct event *ev)
{
	const struct span	*a = &ev->action;
	int			 hs, up;

	hs = span_eq(a, LIT("SSL handshaking to upstream"));
	up = span_ends(a, LIT("upstream"));
	switch (msg) {
	case MSG_HANDSHAKE:
		return hs ? EVENT_HANDSHAKE_FAILED : EVENT_NONE;
	case MSG_PEER_CLOSED:
		return hs ? EVENT_PEER_CLOSED : EVENT_NONE;
	case MSG_TIMEOUT:
		return hs ? EVENT_HANDSHAKE_TIMEOUT : EVENT_NONE;
	case MSG_UPFAIL:
		return EVENT_NONE;
	case MSG_READ:
		return up ? EVENT_READ_FAILED : EVENT_NONE;
	case MSG_VERIFY:
		return ev->verify_code >= 0 ? EVENT_VERIFY_FAILED : EVENT_NONE;
	case MSG_NAME:
		return ev->name.p != NULL ? EVENT_NAME_MISMATCH : EVENT_NONE;
	case MSG_DISABLED:
		return EVENT_PEER_DISABLED;
	case MSG_NO_LIVE:
		return EVENT_NO_LIVE_UPSTREAMS;
	case MSG_CERT:
		return up ? EVENT_CERT_LOAD_FAILED : EVENT_NONE;
	default:
		return EVENT_NONE;
	}
}

struct logline *
logline_new(char **cause)
{
	struct logline	*ll;
	int		 i, err;
	PCRE2_SIZE	 off;
	PCRE2_UCHAR	 msg[256];
	const char	*e;
	int		 nojit;

	nojit = (e = getenv("HSWATCH_NO_JIT")) != NULL && *e != '\0' &&
	    strcmp(e, "0") != 0;
	ll = xcalloc(1, sizeof *ll);
	for (i = 0; i < RE_MAX; i++) {
		ll->re[i] = pcre2_compile((PCRE2_SPTR)logline_patterns[i],
		    PCRE2_ZERO_TERMINATED, PCRE2_DOTALL | PCRE2_NO_UTF_CHECK,
		    &err, &off, NULL);
		if (ll->re[i] == NULL) {
			pcre2_get_error_message(err, msg, sizeof msg);
			xasprintf(cause, "pattern %d at offset %zu: %s", i,
			    (size_t)off, (char *)msg);
			logline_free(ll);
			return NULL;
		}
		/* JIT is an optimisation: without it (e.g. under
		 * MemoryDenyWriteExecute) the interpreter runs instead.
		 * HSWATCH_NO_JIT=1 asks for the interpreter. */
		if (!nojit)
			(void)pcre2_jit_compile(ll->re[i], PCRE2_JIT_COMPLETE);
	}
	ll->md = pcre2_match_data_create(8, NULL);
	return ll;
}

struct logline *
logline_twin(const struct logline *of)
{
	struct logline	*ll;

	ll = xcalloc(1, sizeof *ll);
	memcpy(ll->re, of->re, sizeof ll->re);
	ll->twin = 1;
	ll->upfail = of->upfail;
	ll->md = pcre2_match_data_create(8, NULL);
	return ll;
}

void
logline_free(struct logline *ll)
{
	int	 i;

	if (ll == NULL)
		return;
	for (i = 0; i < RE_MAX && !ll->twin; i++)
		pcre2_code_free(ll->re[i]);
	pcre2_match_data_free(ll->md);
	free(ll);
}

void
logline_upstream_failures(struct logline *ll, int on)
{
	ll->upfail = on;
}

void
logline_stats(const struct logline *ll, struct logline_stats *st)
{
	*st = ll->st;
}

/* The message at m, the prefix read: the rest of the line. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline enum event_kind
parse_body(struct logline *ll, const char *m, const char *end,
    struct event *ev, int partial)
{
	const char		*ctx, *ctx2, *w;
	enum logline_msg	 msg;

	msg = m < end ? classify(m, end) : MSG_NONE;
	if (msg == MSG_UPFAIL && !ll->upfail && !partial)
		msg = MSG_NONE;
	if (msg == MSG_NONE) {
		/* The common case: an ordinary line, rejected by the prefilter. */
		setspan(&ev->message, m, end);
		return EVENT_NONE;
	}
	ll->st.candidates++;

	/*
	 * The context starts at the first ", client: " (messages hold none),
	 * or at a ", udp client: " before it: one pass over the commas (rare
	 * in a message; "client: " would stop at every 'c').
	 */
	ctx = ctx2 = NULL;
	for (w = m; (w = find2(w, end, ',', ' ')) != NULL; w++) {
		if (starts(w, end, LIT(", client: "))) {
			ctx = w;
			break;
		}
		if (starts(w, end, LIT(", udp client: "))) {
			ctx = ctx2 = w;
			ev->module = EVENT_MODULE_STREAM;
			break;
		}
	}
	if (ctx == NULL) {
		setspan(&ev->message, m, end);
		ev->flags |= EVENT_F_NO_CONTEXT;
		if (!partial)
			return EVENT_NONE;
		/* A pasted fragment: the message, maybe its action. */
		ctx = end;
	}
	/*
	 * A non-TLS upstream failure is no event: its message is all that
	 * is kept, the context is not read (they are many in an outage;
	 * the "temporarily disabled" line that follows names the peer).
	 * The action is one of nginx's upstream ones, compared in place.
	 */
	if (msg == MSG_UPFAIL && !partial) {
		static const struct {
			const char	*s;
			size_t		 n;
		} acts[] = {
			{ LIT(" while connecting to upstream") },
			{ LIT(" while reading response header from upstream") },
			{ LIT(" while sending request to upstream") },
			{ LIT(" while reading upstream") },
		};
		size_t	 i;

		setspan(&ev->message, m, ctx);
		for (i = 0; i < sizeof acts / sizeof acts[0]; i++)
			if ((size_t)(ctx - m) > acts[i].n &&
			    memcmp(ctx - acts[i].n, acts[i].s, acts[i].n) == 0) {
				setspan(&ev->message, m, ctx - acts[i].n);
				setspan(&ev->action, ctx - acts[i].n +
				    sizeof(" while ") - 1, ctx);
				if (ev->conn >= 0)
					ev->flags |= EVENT_F_UPSTREAM_FAIL;
				break;
			}
		return EVENT_NONE;
	}
	/* The last " while ": most often that of the one action below. */
	if ((size_t)(ctx - m) >= sizeof(HS_ACTION) - 1 &&
	    memcmp(ctx - (sizeof(HS_ACTION) - 1), LIT(HS_ACTION)) == 0)
		w = ctx - (sizeof(HS_ACTION) - 1);
	else
		w = rfindmem(m, ctx, LIT(" while "));
	if (w != NULL) {
		setspan(&ev->message, m, w);
		setspan(&ev->action, w + sizeof(" while ") - 1, ctx);
	} else
		setspan(&ev->message, m, ctx);
	/*
	 * What the action alone rules out (decide() would say EVENT_NONE
	 * whatever the context holds): the context is not read. An
	 * upstream timed out while connecting or reading is many in an
	 * outage; only its message is kept, as for MSG_UPFAIL.
	 */
	if (!partial && action_rules_out(msg, &ev->action)) {
		if (msg == MSG_TIMEOUT && span_ends(&ev->action,
		    LIT("upstream")) && ev->conn >= 0)
			ev->flags |= EVENT_F_UPSTREAM_FAIL;
		return EVENT_NONE;
	}
	if (ctx < end)
		parse_context(ctx + (ctx == ctx2 ? sizeof(", udp client: ") :
		    sizeof(", client: ")) - 1, end, ev);

	if (ev->module == EVENT_MODULE_UNKNOWN) {
		if (ev->scheme.p != NULL || ev->request.p != NULL)
			ev->module = EVENT_MODULE_HTTP;
		else if (ev->upstream.p != NULL)
			ev->module = EVENT_MODULE_STREAM;
	}
	if (ev->module == EVENT_MODULE_STREAM && ev->scheme.p == NULL &&
	    ev->upstream.p != NULL && ev->peer.p == NULL)
		ev->peer = ev->upstream;
	if (span_has(&ev->host, LIT("upstream: \"")) ||
	    span_has(&ev->referrer, LIT("upstream: \"")) ||
	    span_has(&ev->referrer, LIT("host: \"")))
		ev->flags |= EVENT_F_FORGED;

	if (msg == MSG_UPFAIL)
		return EVENT_NONE;	/* a fragment (explain) */
	parse_message(ll, msg, ev);
	if (partial && ev->action.p == NULL) {
		/* Nothing says which connection: the message alone. */
		ev->missing |= EVENT_MISSING_ACTION;
		ev->action.p = "to upstream";
		ev->action.n = sizeof("to upstream") - 1;
		if (msg == MSG_HANDSHAKE || msg == MSG_PEER_CLOSED ||
		    msg == MSG_TIMEOUT)
			ev->action.p = "SSL handshaking to upstream",
			ev->action.n = sizeof("SSL handshaking to upstream") - 1;
		ev->kind = decide(msg, ev);
		ev->action.p = NULL;
		ev->action.n = 0;
	} else
		ev->kind = decide(msg, ev);
	/* Not a TLS event, but why a plain pool may be down. */
	if (ev->kind == EVENT_NONE && msg == MSG_TIMEOUT &&
	    span_ends(&ev->action, LIT("upstream")) && ev->conn >= 0)
		ev->flags |= EVENT_F_UPSTREAM_FAIL;
	if (ev->kind != EVENT_NONE)
		ll->st.events++;
	return ev->kind;
}

enum event_kind
logline_parse(struct logline *ll, const char *line, size_t len,
    struct event *ev)
{
	const char		*end = line + len, *m;

	event_clear(ev);
	ll->st.lines++;
	if (len >= LOGLINE_NGX_MAX - 1)
		ev->flags |= EVENT_F_TRUNCATED;
	if ((m = parse_prefix(line, end, ev)) == NULL) {
		ll->st.malformed++;
		setspan(&ev->message, line, end);
		return EVENT_NONE;
	}
	return parse_body(ll, m, end, ev, 0);
}

/* The earliest message we recognise in [p, end), or NULL. */
static const char *
find_message(const char *p, const char *end)
{
	static const struct {
		const char	*s;
		size_t		 n;
	} lits[] = {
		{ LIT("SSL_do_handshake() failed") },
		{ LIT("SSL_read() failed") },
		{ LIT("SSL_write() failed") },
		{ LIT("peer closed connection in SSL handshake") },
		{ LIT("upstream SSL certificate ") },
		{ LIT("upstream timed out ") },
		{ LIT("upstream server temporarily disabled") },
		{ LIT("no live upstreams") },
		{ LIT("cannot load certificate") },
	};
	const char	*best = NULL, *q;
	size_t		 i;

	for (i = 0; i < sizeof lits / sizeof lits[0]; i++)
		if ((q = findmem(p, best != NULL ? best : end, lits[i].s,
		    lits[i].n)) != NULL)
			best = q;
	return best;
}

/*
 * What a fragment before the message still says: "[crit] 1#1: *5 ",
 * "18:24:53 [error] 1#1: ", a whole time.
 */
static void
parse_fragment(const char *p, const char *m, struct event *ev)
{
	const char	*q, *r, *h;

	if (m - p >= 19 && parse_time(p, &ev->ts) == 0)
		setspan(&ev->time, p, p + 19);
	/* "*CONN " just before the message */
	for (q = m - 1; q > p && isdig((unsigned char)q[-1]); q--)
		;
	if (m - p >= 3 && m[-1] == ' ' && q > p && q[-1] == '*' &&
	    q < m - 1 && m - 1 - q <= 20) {
		ev->conn = atoll_span(q, m - 1);
		m = q - 1;
	}
	/* "[LEVEL]" */
	if ((q = memchr(p, '[', (size_t)(m - p))) != NULL &&
	    (r = memchr(q, ']', (size_t)(m - q))) != NULL)
		ev->level = parse_level(q + 1, (size_t)(r - q - 1));
	/* "PID#TID: " */
	if ((h = memchr(p, '#', (size_t)(m - p))) != NULL) {
		for (q = h; q > p && isdig((unsigned char)q[-1]); q--)
			;
		for (r = h + 1; r < m && isdig((unsigned char)*r); r++)
			;
		if (q < h && h - q <= 10 && r > h + 1 && r - h - 1 <= 10 &&
		    r < m && *r == ':') {
			ev->pid = (long)atoll_span(q, h);
			ev->tid = (long)atoll_span(h + 1, r);
			ev->missing &= ~(unsigned)EVENT_MISSING_PID;
		}
	}
}

enum event_kind
logline_parse_partial(struct logline *ll, const char *line, size_t len,
    struct event *ev)
{
	const char		*end = line + len, *m;
	enum event_kind		 kind;

	kind = logline_parse(ll, line, len, ev);
	if (ev->time.p == NULL) {
		/* Not a whole line: look for a failure's text in it. */
		if ((m = find_message(line, end)) == NULL)
			return kind;
		event_clear(ev);
		if (len >= LOGLINE_NGX_MAX - 1)
			ev->flags |= EVENT_F_TRUNCATED;
		ev->missing = EVENT_MISSING_PID;
		parse_fragment(line, m, ev);
		kind = parse_body(ll, m, end, ev, 1);
		if (ev->time.p == NULL)
			ev->missing |= EVENT_MISSING_TIME;
		if (ev->level == EVENT_LEVEL_UNKNOWN)
			ev->missing |= EVENT_MISSING_LEVEL;
		ev->missing |= EVENT_MISSING_PARTIAL;
	} else
		return kind;	/* a whole line: nothing is missing */
	if (ev->client.p == NULL)
		ev->missing |= EVENT_MISSING_CLIENT;
	if (ev->server.p == NULL)
		ev->missing |= EVENT_MISSING_SERVER;
	if (ev->upstream.p == NULL)
		ev->missing |= EVENT_MISSING_UPSTREAM;
	if (ev->module != EVENT_MODULE_STREAM && ev->request.p == NULL &&
	    (ev->missing & EVENT_MISSING_PARTIAL))
		ev->missing |= EVENT_MISSING_REQUEST;
	return kind;
}
