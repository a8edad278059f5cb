/*
 * A small strict JSON reader: recursive descent, bounded depth.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/escape.h"
#include "hswatch/buf.h"
#include "hswatch/jsonread.h"
#include "hswatch/xmalloc.h"

struct jr {
	const char	*p;
	const char	*start;
	const char	*end;
	char		*err;
};

static struct jsonread *jr_value(struct jr *, int);

static void
jr_fail(struct jr *r, const char *what)
{
	if (r->err == NULL)
		xasprintf(&r->err, "%s at byte %zu", what,
		    (size_t)(r->p - r->start));
}

static void
jr_ws(struct jr *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
	    *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int
jr_lit(struct jr *r, const char *lit)
{
	size_t	 n = strlen(lit);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n) != 0)
		return 0;
	r->p += n;
	return 1;
}

static int
jr_hex4(struct jr *r, unsigned *out)
{
	unsigned	 v = 0;
	int		 i, h;

	if (r->end - r->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((h = escape_hexval(r->p[i])) < 0)
			return -1;
		v = v << 4 | (unsigned)h;
	}
	r->p += 4;
	*out = v;
	return 0;
}

static void
put_utf8(struct buf *b, unsigned cp)
{
	if (cp < 0x80)
		buf_addc(b, (char)cp);
	else if (cp < 0x800) {
		buf_addc(b, (char)(0xc0 | cp >> 6));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(b, (char)(0xe0 | cp >> 12));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (char)(0xf0 | cp >> 18));
		buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* A string after its opening quote; NULL on error. */
static char *
jr_string(struct jr *r)
{
	struct buf	 b;
	unsigned	 cp, lo;
	char		*s;

	buf_init(&b);
	for (;;) {
		if (r->p >= r->end) {
			jr_fail(r, "unterminated string");
			goto bad;
		}
		if (*r->p == '"') {
			r->p++;
			break;
		}
		if ((unsigned char)*r->p < 0x20) {
			jr_fail(r, "control character in string");
			goto bad;
		}
		if (*r->p != '\\') {
			buf_addc(&b, *r->p++);
			continue;
		}
		if (++r->p >= r->end) {
			jr_fail(r, "unterminated string");
			goto bad;
		}
		switch (*r->p++) {
		case '"':	buf_addc(&b, '"'); break;
		case '\\':	buf_addc(&b, '\\'); break;
		case '/':	buf_addc(&b, '/'); break;
		case 'b':	buf_addc(&b, '\b'); break;
		case 'f':	buf_addc(&b, '\f'); break;
		case 'n':	buf_addc(&b, '\n'); break;
		case 'r':	buf_addc(&b, '\r'); break;
		case 't':	buf_addc(&b, '\t'); break;
		case 'u':
			if (jr_hex4(r, &cp) == -1) {
				jr_fail(r, "bad \\u escape");
				goto bad;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (!jr_lit(r, "\\u") || jr_hex4(r, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff) {
					jr_fail(r, "bad surrogate pair");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				jr_fail(r, "lone low surrogate");
				goto bad;
			}
			if (cp == 0) {
				jr_fail(r, "NUL in string");
				goto bad;
			}
			put_utf8(&b, cp);
			break;
		default:
			r->p--;
			jr_fail(r, "bad escape");
			goto bad;
		}
	}
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
bad:
	buf_free(&b);
	return NULL;
}

static int
jr_number(struct jr *r, double *out)
{
	const char	*s = r->p;
	char		 tmp[64], *end;
	size_t		 n;

	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p < r->end && *r->p == '0')
		r->p++;
	else if (r->p < r->end && *r->p >= '1' && *r->p <= '9')
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	else
		return -1;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return -1;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return -1;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	n = (size_t)(r->p - s);
	if (n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*out = strtod(tmp, &end);
	return *end == '\0' && isfinite(*out) ? 0 : -1;
}

static void
jr_push(struct jsonread *v, char *key, struct jsonread *m)
{
	if ((v->n & (v->n - 1)) == 0) {		/* 0, 1, 2, 4, ...: grow */
		v->v = xreallocarray(v->v, v->n ? v->n * 2 : 1, sizeof *v->v);
		if (v->type == JSONREAD_OBJECT)
			v->keys = xreallocarray(v->keys, v->n ? v->n * 2 : 1,
			    sizeof *v->keys);
	}
	if (v->type == JSONREAD_OBJECT)
		v->keys[v->n] = key;
	v->v[v->n++] = m;
}

static struct jsonread *
jr_container(struct jr *r, int depth, int object)
{
	struct jsonread	*v, *m;
	char		*key = NULL;

	v = xcalloc(1, sizeof *v);
	v->type = object ? JSONREAD_OBJECT : JSONREAD_ARRAY;
	jr_ws(r);
	if (r->p < r->end && *r->p == (object ? '}' : ']')) {
		r->p++;
		return v;
	}
	for (;;) {
		jr_ws(r);
		if (object) {
			if (r->p >= r->end || *r->p != '"') {
				jr_fail(r, "expected a member name");
				goto bad;
			}
			r->p++;
			if ((key = jr_string(r)) == NULL)
				goto bad;
			jr_ws(r);
			if (r->p >= r->end || *r->p != ':') {
				jr_fail(r, "expected ':'");
				goto bad;
			}
			r->p++;
		}
		if ((m = jr_value(r, depth + 1)) == NULL)
			goto bad;
		jr_push(v, key, m);
		key = NULL;
		jr_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == (object ? '}' : ']')) {
			r->p++;
			return v;
		}
		jr_fail(r, object ? "expected ',' or '}'" : "expected ',' or ']'");
		goto bad;
	}
bad:
	free(key);
	jsonread_free(v);
	return NULL;
}

static struct jsonread *
jr_value(struct jr *r, int depth)
{
	struct jsonread	*v;

	if (depth > JSONREAD_MAX_DEPTH) {
		jr_fail(r, "nested too deeply");
		return NULL;
	}
	jr_ws(r);
	if (r->p >= r->end) {
		jr_fail(r, "unexpected end of input");
		return NULL;
	}
	switch (*r->p) {
	case '{':
	case '[':
		r->p++;
		return jr_container(r, depth, r->p[-1] == '{');
	case '"':
		r->p++;
		v = xcalloc(1, sizeof *v);
		v->type = JSONREAD_STRING;
		if ((v->str = jr_string(r)) == NULL) {
			free(v);
			return NULL;
		}
		return v;
	}
	v = xcalloc(1, sizeof *v);
	if (jr_lit(r, "null"))
		v->type = JSONREAD_NULL;
	else if (jr_lit(r, "true"))
		v->type = JSONREAD_TRUE;
	else if (jr_lit(r, "false"))
		v->type = JSONREAD_FALSE;
	else if (jr_number(r, &v->num) == 0)
		v->type = JSONREAD_NUMBER;
	else {
		jr_fail(r, "unexpected character");
		free(v);
		return NULL;
	}
	return v;
}

struct jsonread *
jsonread_parse(const char *p, size_t len, char **cause)
{
	struct jr	 r;
	struct jsonread	*v;

	memset(&r, 0, sizeof r);
	r.p = r.start = p;
	r.end = p + len;
	v = jr_value(&r, 0);
	if (v != NULL) {
		jr_ws(&r);
		if (r.p != r.end) {
			jr_fail(&r, "trailing data");
			jsonread_free(v);
			v = NULL;
		}
	}
	if (v == NULL)
		*cause = r.err;
	return v;
}

void
jsonread_free(struct jsonread *v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		if (v->keys != NULL)
			free(v->keys[i]);
		jsonread_free(v->v[i]);
	}
	free(v->keys);
	free(v->v);
	free(v->str);
	free(v);
}

const struct jsonread *
jsonread_get(const struct jsonread *o, const char *key)
{
	size_t	 i;

	if (o == NULL || o->type != JSONREAD_OBJECT)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return o->v[i];
	return NULL;
}

const char *
jsonread_str(const struct jsonread *o, const char *key)
{
	const struct jsonread	*v = jsonread_get(o, key);

	return v != NULL && v->type == JSONREAD_STRING ? v->str : NULL;
}

double
jsonread_num(const struct jsonread *o, const char *key, double dflt)
{
	const struct jsonread	*v = jsonread_get(o, key);

	return v != NULL && v->type == JSONREAD_NUMBER ? v->num : dflt;
}

int
jsonread_bool(const struct jsonread *o, const char *key)
{
	const struct jsonread	*v = jsonread_get(o, key);

	return v != NULL && v->type == JSONREAD_TRUE;
}
