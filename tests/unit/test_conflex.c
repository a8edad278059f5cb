/*
 * conflex: the tokenizer against nginx's ngx_conf_read_token() rules,
 * table-driven: each input is rendered as "LINE:word|word;" per
 * statement ("{" / "}" for blocks, ";~" for an opaque lua block), or
 * "ERR:message".
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hswatch/buf.h"
#include "hswatch/conflex.h"

static char *
render(const char *in, size_t len)
{
	struct conflex		*lx;
	struct conflex_stmt	 st;
	struct buf		 b;
	enum conflex_rc		 rc;
	char			*cause = NULL, *r;
	size_t			 i, j;

	lx = conflex_new("t.conf", in, len);
	conflex_stmt_init(&st);
	buf_init(&b);
	while ((rc = conflex_next(lx, &st, &cause)) != CONFLEX_EOF) {
		if (rc == CONFLEX_ERROR) {
			buf_printf(&b, "ERR:%s", cause);
			free(cause);
			break;
		}
		if (b.len > 0)
			buf_addc(&b, ' ');
		if (rc == CONFLEX_END) {
			buf_printf(&b, "%u:}", st.end_line);
			continue;
		}
		buf_printf(&b, "%u:", st.line);
		for (i = 0; i < st.nwords; i++) {
			if (i > 0)
				buf_addc(&b, '|');
			for (j = 0; j < st.words[i].n; j++) {
				unsigned char c = (unsigned char)st.words[i].s[j];
				if (c < 0x20)
					buf_printf(&b, "\\x%02x", c);
				else
					buf_addc(&b, (char)c);
			}
		}
		buf_adds(&b, rc == CONFLEX_BLOCK ? "{" : st.opaque ? ";~" : ";");
	}
	conflex_stmt_free(&st);
	conflex_free(lx);
	r = strdup(buf_cstr(&b));
	buf_free(&b);
	return r;
}

static const struct {
	const char	*in;
	const char	*want;
} cases[] = {
	{ "a b;", "1:a|b;" },
	{ "", "" },
	{ "  \n\t\n", "" },
	{ "a \"b c\" 'd;e{f}';", "1:a|b c|d;e{f};" },
	{ "a \"x\\\"y\" 'p\\'q' \\\\z;", "1:a|x\"y|p'q|\\z;" },
	{ "a \"t\\tn\\nr\\r\" \\x;", "1:a|t\\x09n\\x0ar\\x0d|\\x;" },
	{ "a #c ; d\nb;", "1:a|b;" },
	{ "# only a comment\n", "" },
	{ "a#b c#d;", "1:a#b|c#d;" },
	{ "set $a ${b}c;", "1:set|$a|${b}c;" },
	{ "return 200 \"${x}{\";", "1:return|200|${x}{;" },
	{ "a b}c;", "1:a|b}c;" },
	{ "http {\n server {\n }\n}", "1:http{ 2:server{ 3:} 4:}" },
	{ "a b;\r\nc\r\n d;\r\n", "1:a|b; 2:c|d;" },
	{ "x\n\n  \"multi\nline\" y;", "1:x|multi\\x0aline|y;" },
	{ "a \"\";", "1:a|;" },
	{ "location ~ \"^/a{1,3}$\" {\n}", "1:location|~|^/a{1,3}${ 2:}" },
	{ "content_by_lua_block {\n local s = \"}\" -- }\n"
	  "if x then y() end }\nnext;", "1:content_by_lua_block;~ 4:next;" },
	{ "x_by_lua_block { a = [[ } ]] --[==[ }\n ]==] b = '\\'}' }\n y;",
	  "1:x_by_lua_block;~ 3:y;" },
	{ "x_by_lua_block { t = { a = { } } }\ny;", "1:x_by_lua_block;~ 2:y;" },
	{ "access_by_lua_block { ", "ERR:unexpected end of file, expecting "
	  "\"}\" in t.conf:1" },
	{ "a \"b;\n", "ERR:unexpected end of file, expecting \";\" or \"}\" "
	  "in t.conf:2" },
	{ "a 'b;\n\n", "ERR:unexpected end of file, expecting \";\" or \"}\" "
	  "in t.conf:3" },
	{ "a b", "ERR:unexpected end of file, expecting \";\" or \"}\" "
	  "in t.conf:1" },
	{ "\n;", "ERR:unexpected \";\" in t.conf:2" },
	{ "{", "ERR:unexpected \"{\" in t.conf:1" },
	{ "a \"b\"c;", "ERR:unexpected \"c\" in t.conf:1" },
	{ "a\n}", "ERR:unexpected \"}\" in t.conf:2" },
	{ "a; b {\n c;\n}\nd;", "1:a; 1:b{ 2:c; 3:} 4:d;" },
	{ "if ($a = \"x\") { }", "1:if|($a|=|x|){ 1:}" },
	/* What the runs skipped in one go end at (conflex_next). */
	{ "a;#c", "1:a;" },
	{ "a b #c ;{}\n;", "1:a|b;" },
	{ "\t \ta\t \t\tb \t;", "1:a|b;" },
	{ "a b\"c'd};", "1:a|b\"c'd};" },
	{ "a \"b'c;{}\n\\\"d\" e;", "1:a|b'c;{}\\x0a\"d|e;" },
	{ "a 'b\"c;{}' \"$x{y}\";", "1:a|b\"c;{}|$x{y};" },
	{ "a b${c}d e$f{g};", "1:a|b${c}d|e$f{ 1:g};" },
	{ "a\\ b;", "1:a\\ b;" },
};

static void
test_table(void **state)
{
	size_t	 i;
	char	*got;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		got = render(cases[i].in, strlen(cases[i].in));
		if (strcmp(got, cases[i].want) != 0)
			print_error("case %zu: %s\n  got:  %s\n  want: %s\n", i,
			    cases[i].in, got, cases[i].want);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

/* A word longer than nginx's buffer is refused, as nginx does. */
static void
test_too_long(void **state)
{
	char	*in, *got;
	size_t	 n = CONFLEX_MAX_WORD + 10;

	(void)state;
	in = malloc(n + 2);
	memset(in, 'x', n);
	in[n] = ';';
	in[n + 1] = '\0';
	got = render(in, n + 1);
	assert_string_equal(got,
	    "ERR:too long parameter \"xxxxxxxxxx...\" started in t.conf:1");
	free(got);
	in[0] = '"';
	got = render(in, n + 1);
	assert_string_equal(got, "ERR:too long parameter, probably missing "
	    "terminating \"\"\" character in t.conf:1");
	free(got);
	free(in);
}

/*
 * The limit is nginx's: a word of CONFLEX_MAX_WORD - 1 bytes is taken,
 * one of CONFLEX_MAX_WORD is not (plain, quoted, after an escape).
 */
static void
test_word_limit(void **state)
{
	static const char *const	 fmt[] = { "%s;", "\"%s\";", "'%s';",
					    "\\%s;" };
	char				*in, *w, *got;
	size_t				 i, len;

	(void)state;
	w = malloc(CONFLEX_MAX_WORD + 1);
	in = malloc(CONFLEX_MAX_WORD + 8);
	for (i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
		for (len = CONFLEX_MAX_WORD - 2; len <= CONFLEX_MAX_WORD;
		    len++) {
			/* The quote or escape counts in the word's bytes. */
			size_t	 n = len - (i == 0 ? 0 : 1);

			memset(w, 'x', n);
			w[n] = '\0';
			snprintf(in, CONFLEX_MAX_WORD + 8, fmt[i], w);
			got = render(in, strlen(in));
			if (len < CONFLEX_MAX_WORD)
				assert_int_equal(strncmp(got, "1:", 2), 0);
			else
				assert_int_equal(strncmp(got,
				    "ERR:too long parameter", 22), 0);
			free(got);
		}
	}
	free(in);
	free(w);
}

/* NUL bytes and bytes >= 0x80 are data, not terminators. */
static void
test_binary(void **state)
{
	static const char	 in[] = "a b\0c \xff\xfe;";
	char			*got;

	(void)state;
	got = render(in, sizeof in - 1);
	assert_int_equal(strncmp(got, "1:a|b", 5), 0);
	assert_non_null(strstr(got, "\xff\xfe;"));
	free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_word_limit),
		cmocka_unit_test(test_binary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
