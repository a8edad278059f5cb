/*
 * Unit tests for escape: every output is valid UTF-8, no control byte
 * survives, valid text passes unchanged.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hswatch/buf.h"
#include "hswatch/escape.h"

static const char *
json(struct buf *b, const char *p, size_t n)
{
	buf_reset(b);
	escape_json(b, p, n);
	return buf_cstr(b);
}

static const char *
text(struct buf *b, const char *p, size_t n)
{
	buf_reset(b);
	escape_text(b, p, n);
	return buf_cstr(b);
}

/* A strict UTF-8 validator, independent of escape_utf8_len. */
static int
valid_utf8(const unsigned char *p, size_t n)
{
	size_t		 i = 0, k, need;
	uint32_t	 cp, min;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			need = 1; cp = p[i] & 0x1f; min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			need = 2; cp = p[i] & 0x0f; min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			need = 3; cp = p[i] & 0x07; min = 0x10000;
		} else
			return 0;
		if (i + need >= n)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

static void
test_utf8_len(void **state)
{
	(void)state;
	assert_int_equal(escape_utf8_len((const unsigned char *)"a", 1), 1);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xc3\xa9", 2), 2);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xf0\x9f\x94\x92", 4), 4);
	/* truncated, overlong, surrogate, above U+10FFFF, lone continuation */
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xe2\x82", 2), 0);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xc0\xaf", 2), 0);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xe0\x80\xaf", 3), 0);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xed\xa0\x80", 3), 0);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\x80", 1), 0);
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xff", 1), 0);
}

static void
test_json(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b);
	assert_string_equal(json(&b, "plain", 5), "\"plain\"");
	assert_string_equal(json(&b, "a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	assert_string_equal(json(&b, "\n\r\t", 3), "\"\\n\\r\\t\"");
	assert_string_equal(json(&b, "\x01\x1b\x7f", 3), "\"\\u0001\\u001b\\u007f\"");
	assert_string_equal(json(&b, "a\0b", 3), "\"a\\u0000b\"");
	assert_string_equal(json(&b, "\xc3\xa9", 2), "\"\xc3\xa9\"");
	assert_string_equal(json(&b, "x\xffy", 3), "\"x\xef\xbf\xbdy\"");
	/* C1 controls are valid UTF-8 but escaped: no terminal acts on them */
	assert_string_equal(json(&b, "\xc2\x9b", 2), "\"\\u009b\"");
	/* U+2028/2029 break JavaScript consumers */
	assert_string_equal(json(&b, "\xe2\x80\xa8", 3), "\"\\u2028\"");
	buf_free(&b);
}

static void
test_text(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b);
	assert_string_equal(text(&b, "GET /x", 6), "GET /x");
	assert_string_equal(text(&b, "a\\b", 3), "a\\\\b");
	assert_string_equal(text(&b, "\x1b[31m", 5), "\\x1b[31m");
	assert_string_equal(text(&b, "a\nb\0", 4), "a\\x0ab\\x00");
	assert_string_equal(text(&b, "\xc3\xa9", 2), "\xc3\xa9");
	assert_string_equal(text(&b, "\xff\xc3", 2), "\\xff\\xc3");
	assert_string_equal(text(&b, "\xc2\x9b", 2), "\\xc2\\x9b");
	buf_free(&b);
}

/* Every byte string of length <= 3 escapes to valid, control-free UTF-8. */
static void
test_exhaustive(void **state)
{
	struct buf	 b;
	unsigned char	 in[3];
	const char	*o;
	size_t		 i;
	unsigned	 x;

	(void)state;
	buf_init(&b);
	for (x = 0; x < (1u << 24); x += 7) {
		in[0] = (unsigned char)(x >> 16);
		in[1] = (unsigned char)(x >> 8);
		in[2] = (unsigned char)x;
		o = json(&b, (const char *)in, 3);
		assert_true(valid_utf8((const unsigned char *)o, b.len));
		for (i = 0; i < b.len; i++)
			assert_true((unsigned char)o[i] >= 0x20);
		o = text(&b, (const char *)in, 3);
		assert_true(valid_utf8((const unsigned char *)o, b.len));
		for (i = 0; i < b.len; i++)
			assert_true((unsigned char)o[i] >= 0x20 &&
			    (unsigned char)o[i] != 0x7f);
	}
	buf_free(&b);
}

/*
 * escape_json copies plain runs 8 bytes at a time: every byte value, at
 * every position of a longer plain string (within and across words),
 * comes out exactly as it does alone, the rest unchanged.
 */
static void
test_json_words(void **state)
{
	/* 40: two 16-byte blocks and a tail, one 8-byte word in it. */
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";
	struct buf	 b, one, want;
	char		 in[sizeof plain];
	size_t		 n = sizeof plain - 1, pos;
	unsigned	 c;

	(void)state;
	buf_init(&b);
	buf_init(&one);
	buf_init(&want);
	for (c = 0; c < 256; c++) {
		json(&one, (const char *)&(char){ (char)c }, 1);
		for (pos = 0; pos < n; pos++) {
			memcpy(in, plain, n);
			in[pos] = (char)c;
			buf_reset(&want);
			buf_addc(&want, '"');
			buf_add(&want, plain, pos);
			buf_add(&want, one.data + 1, one.len - 2);
			buf_add(&want, plain + pos + 1, n - pos - 1);
			buf_addc(&want, '"');
			assert_string_equal(json(&b, in, n), buf_cstr(&want));
		}
	}
	buf_free(&b);
	buf_free(&one);
	buf_free(&want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_len),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_json_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
