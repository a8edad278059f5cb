/*
 * Escaping of untrusted bytes for JSON and text output.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hswatch/buf.h"
#include "hswatch/escape.h"

int
escape_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
escape_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char	 c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		if (n >= 2 && (p[1] & 0xc0) == 0x80)
			return 2;
		return 0;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && p[1] >= 0xa0)
			return 0;	/* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;	/* overlong */
		if (c == 0xf4 && p[1] >= 0x90)
			return 0;	/* > U+10FFFF */
		return 4;
	}
	return 0;
}

/* Bytes JSON output copies as they are: printable ASCII but '"', '\\'. */
static const unsigned char json_plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/*
 * Eight bytes at once: none needs escaping (no byte < 0x20, >= 0x7f,
 * '"' or '\\'). The classic bit tricks: (x - 0x01..) & ~x & 0x80.. is
 * non-zero iff some byte of x is 0, (x - n * 0x01..) & ~x & 0x80.. iff
 * some byte is below n.
 */
static int
plain8(const unsigned char *p)
{
	const uint64_t	 lo = 0x0101010101010101ULL, hi = lo << 7;
	uint64_t	 w, q, bs, del;

	memcpy(&w, p, 8);
	q = w ^ (lo * '"');
	bs = w ^ (lo * '\\');
	del = w ^ (lo * 0x7f);
	return ((w | ((w - lo * 0x20) & ~w) | ((q - lo) & ~q) |
	    ((bs - lo) & ~bs) | ((del - lo) & ~del)) & hi) == 0;
}

void
escape_json(struct buf *b, const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, k;
	char			 tmp[8], *o;

	/*
	 * Plain bytes are copied as they are scanned, a word at a time,
	 * straight into the buffer: room for the rest of the input, plain,
	 * and the closing quote is reserved before each run (this loop is
	 * most of --events --json). What needs escaping goes through
	 * buf_add.
	 */
	buf_reserve(b, n + 2);
	o = b->data + b->len;
	*o++ = '"';
	for (i = 0;;) {
#if defined(__SSE2__)
		/*
		 * Sixteen bytes at once (SSE2 is in every x86-64): a byte
		 * below 0x20 or from 0x80 up (signed: below 0x20 too), '"',
		 * '\\' or DEL stops the run; the plain ones before it are
		 * kept. The store may write past them: the room is reserved
		 * (n - i bytes at least) and the length says what counts.
		 */
		while (n - i >= 16) {
			const __m128i	 v = _mm_loadu_si128((const __m128i *)
			    (const void *)(p + i));
			unsigned	 bad;

			bad = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			    _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
			    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)))));
			_mm_storeu_si128((__m128i *)(void *)o, v);
			if (bad != 0) {
				o += __builtin_ctz(bad);
				i += (size_t)__builtin_ctz(bad);
				break;
			}
			o += 16;
			i += 16;
		}
#endif
		while (n - i >= 8 && plain8(p + i)) {
			memcpy(o, p + i, 8);
			o += 8;
			i += 8;
		}
		while (i < n && json_plain[p[i]])
			*o++ = (char)p[i++];
		b->len = (size_t)(o - b->data);
		if (i == n)
			break;
		switch (p[i]) {
		case '"':
			buf_add(b, "\\\"", 2);
			k = 1;
			break;
		case '\\':
			buf_add(b, "\\\\", 2);
			k = 1;
			break;
		case '\n':
			buf_add(b, "\\n", 2);
			k = 1;
			break;
		case '\r':
			buf_add(b, "\\r", 2);
			k = 1;
			break;
		case '\t':
			buf_add(b, "\\t", 2);
			k = 1;
			break;
		default:
			if (p[i] < 0x20 || p[i] == 0x7f) {
				snprintf(tmp, sizeof tmp, "\\u%04x", p[i]);
				buf_add(b, tmp, 6);
				k = 1;
			} else if ((k = escape_utf8_len(p + i, n - i)) == 0) {
				buf_add(b, "\xef\xbf\xbd", 3);	/* U+FFFD */
				k = 1;
			} else if (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) {
				/* C1 controls: terminals act on them. */
				snprintf(tmp, sizeof tmp, "\\u%04x", p[i + 1]);
				buf_add(b, tmp, 6);
			} else if (k == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
			    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
				/* U+2028/U+2029 end a line in JavaScript. */
				snprintf(tmp, sizeof tmp, "\\u%04x",
				    0x1f80 + p[i + 2]);
				buf_add(b, tmp, 6);
			} else
				buf_add(b, p + i, k);
		}
		i += k;
		buf_reserve(b, n - i + 2);
		o = b->data + b->len;
	}
	*o++ = '"';
	b->len = (size_t)(o - b->data);
}

void
escape_text(struct buf *b, const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, k;
	char			 tmp[8];

	buf_reserve(b, n);
	for (i = 0; i < n;) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			buf_addc(b, (char)p[i++]);
			continue;
		}
		if (p[i] == '\\') {
			buf_add(b, "\\\\", 2);
			i++;
			continue;
		}
		/* C1 controls (U+0080-U+009F) are interpreted by terminals. */
		if (p[i] >= 0x80 && (k = escape_utf8_len(p + i, n - i)) != 0 &&
		    !(k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			buf_add(b, p + i, k);
			i += k;
			continue;
		}
		snprintf(tmp, sizeof tmp, "\\x%02x", p[i]);
		buf_add(b, tmp, 4);
		i++;
	}
}
