/*
 * conflex: nginx configuration tokenizer. A port of the state machine of
 * ngx_conf_read_token() (nginx src/core/ngx_conf_file.c), so that odd
 * inputs split into exactly the words nginx sees, on the same lines.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/conflex.h"
#include "hswatch/xmalloc.h"

struct conflex {
	char		*name;
	const char	*p;		/* next byte */
	const char	*end;
	unsigned	 line;
};

struct conflex *
conflex_new(const char *name, const char *data, size_t len)
{
	struct conflex	*lx;

	lx = xcalloc(1, sizeof *lx);
	lx->name = xstrdup(name);
	lx->p = data;
	lx->end = data + len;
	lx->line = 1;
	return lx;
}

void
conflex_free(struct conflex *lx)
{
	if (lx == NULL)
		return;
	free(lx->name);
	free(lx);
}

unsigned
conflex_line(const struct conflex *lx)
{
	return lx->line;
}

void
conflex_stmt_init(struct conflex_stmt *st)
{
	memset(st, 0, sizeof *st);
}

static void
stmt_clear(struct conflex_stmt *st)
{
	st->nwords = 0;
	st->tlen = 0;
	st->opaque = 0;
}

void
conflex_stmt_free(struct conflex_stmt *st)
{
	stmt_clear(st);
	free(st->words);
	free(st->text);
	memset(st, 0, sizeof *st);
}

static enum conflex_rc lex_error(struct conflex *, char **, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static enum conflex_rc
lex_error(struct conflex *lx, char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		msg = NULL;
	xasprintf(cause, "%s in %s:%u", msg != NULL ? msg : "error",
	    lx->name, lx->line);
	free(msg);
	return CONFLEX_ERROR;
}

/* Copy the raw word [s, e) with nginx's escape rules applied. */
static void
push_word(struct conflex_stmt *st, const char *s, const char *e)
{
	struct conflex_word	*w;
	char			*d;
	size_t			 i, off;

	if (st->nwords == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 8;
		st->words = xreallocarray(st->words, st->cap, sizeof *st->words);
	}
	/* The statement's words share one buffer, kept across statements
	 * (a malloc and free per word was a tenth of a large load). */
	if (st->tcap - st->tlen < (size_t)(e - s) + 1) {
		while (st->tcap - st->tlen < (size_t)(e - s) + 1)
			st->tcap = st->tcap ? st->tcap * 2 : 256;
		st->text = xreallocarray(st->text, st->tcap, 1);
		/* The words before are where they were in it. */
		for (i = off = 0; i < st->nwords; i++) {
			st->words[i].s = st->text + off;
			off += st->words[i].n + 1;
		}
	}
	w = &st->words[st->nwords++];
	w->s = d = st->text + st->tlen;
	while (s < e) {
		if (*s == '\\' && s + 1 < e) {
			switch (s[1]) {
			case '"':
			case '\'':
			case '\\':
				s++;
				break;
			case 't':
				*d++ = '\t';
				s += 2;
				continue;
			case 'r':
				*d++ = '\r';
				s += 2;
				continue;
			case 'n':
				*d++ = '\n';
				s += 2;
				continue;
			}
		}
		*d++ = *s++;
	}
	*d = '\0';
	w->n = (size_t)(d - w->s);
	st->tlen += w->n + 1;
}

/*
 * The bytes that end a run conflex_next() skips in one go: inside an
 * unquoted word, inside "..." and inside '...' (each byte of the run
 * would be a no-op of the byte-at-a-time loop; a newline stops every
 * run, the loop counts lines).
 */
static const unsigned char word_stop[256] = {
	[' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, [';'] = 1, ['{'] = 1,
	['\\'] = 1, ['$'] = 1
};
static const unsigned char dq_stop[256] = {
	['"'] = 1, ['\\'] = 1, ['$'] = 1, ['\n'] = 1
};
static const unsigned char sq_stop[256] = {
	['\''] = 1, ['\\'] = 1, ['$'] = 1, ['\n'] = 1
};

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Length of a Lua long bracket opener "[==[" at p (0 if none). */
static size_t
lua_long_open(const char *p, const char *end, size_t *level)
{
	const char	*q = p + 1;

	if (*p != '[')
		return 0;
	while (q < end && *q == '=')
		q++;
	if (q >= end || *q != '[')
		return 0;
	*level = (size_t)(q - p - 1);
	return (size_t)(q - p + 1);
}

/* Skip a Lua long string/comment body up to "]==]"; 0 on EOF. */
static int
lua_long_skip(struct conflex *lx, size_t level)
{
	size_t	 i;

	while (lx->p < lx->end) {
		if (*lx->p == '\n')
			lx->line++;
		if (*lx->p == ']') {
			for (i = 0; i < level && lx->p + 1 + i < lx->end &&
			    lx->p[1 + i] == '='; i++)
				;
			if (i == level && lx->p + 1 + i < lx->end &&
			    lx->p[1 + i] == ']') {
				lx->p += level + 2;
				return 1;
			}
		}
		lx->p++;
	}
	return 0;
}

/*
 * Skip the body of a *_by_lua_block up to its matching "}", honouring
 * Lua strings, long brackets and comments (as lua-nginx-module's own
 * lexer does). Returns 0 on end of input.
 */
static int
lua_skip_block(struct conflex *lx)
{
	size_t	 depth = 1, n, level;
	char	 q;

	while (lx->p < lx->end) {
		char ch = *lx->p;

		if (ch == '\n') {
			lx->line++;
			lx->p++;
		} else if (ch == '{') {
			depth++;
			lx->p++;
		} else if (ch == '}') {
			lx->p++;
			if (--depth == 0)
				return 1;
		} else if (ch == '"' || ch == '\'') {
			q = ch;
			lx->p++;
			while (lx->p < lx->end && *lx->p != q) {
				if (*lx->p == '\\' && lx->p + 1 < lx->end)
					lx->p++;
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
			if (lx->p >= lx->end)
				return 0;
			lx->p++;
		} else if (ch == '-' && lx->p + 1 < lx->end && lx->p[1] == '-') {
			lx->p += 2;
			if (lx->p < lx->end &&
			    (n = lua_long_open(lx->p, lx->end, &level)) > 0) {
				lx->p += n;
				if (!lua_long_skip(lx, level))
					return 0;
			} else {
				while (lx->p < lx->end && *lx->p != '\n')
					lx->p++;
			}
		} else if ((n = lua_long_open(lx->p, lx->end, &level)) > 0) {
			lx->p += n;
			if (!lua_long_skip(lx, level))
				return 0;
		} else
			lx->p++;
	}
	return 0;
}

static int
is_lua_block(const struct conflex_stmt *st)
{
	static const char	 sfx[] = "_by_lua_block";
	size_t			 n = sizeof sfx - 1;

	return st->nwords > 0 && st->words[0].n > n &&
	    memcmp(st->words[0].s + st->words[0].n - n, sfx, n) == 0;
}

static enum conflex_rc
lex_block_start(struct conflex *lx, struct conflex_stmt *st, char **cause)
{
	st->end_line = lx->line;
	if (!is_lua_block(st))
		return CONFLEX_BLOCK;
	if (!lua_skip_block(lx))
		return lex_error(lx, cause,
		    "unexpected end of file, expecting \"}\"");
	st->opaque = 1;
	return CONFLEX_STMT;
}

enum conflex_rc
conflex_next(struct conflex *lx, struct conflex_stmt *st, char **cause)
{
	const char	*start = lx->p;
	int		 need_space = 0, last_space = 1, sharp_comment = 0;
	int		 variable = 0, quoted = 0, s_quoted = 0, d_quoted = 0;
	int		 found = 0;
	unsigned	 start_line = lx->line;
	char		 ch;

	stmt_clear(st);
	st->line = 0;
	for (;;) {
		if (lx->p >= lx->end) {
			if (st->nwords > 0 || !last_space)
				return lex_error(lx, cause, "unexpected end of "
				    "file, expecting \";\" or \"}\"");
			return CONFLEX_EOF;
		}
		if (!last_space && !sharp_comment &&
		    (size_t)(lx->p - start) >= CONFLEX_MAX_WORD) {
			lx->line = start_line;
			if (d_quoted || s_quoted)
				return lex_error(lx, cause, "too long parameter,"
				    " probably missing terminating \"%c\" "
				    "character", d_quoted ? '"' : '\'');
			return lex_error(lx, cause, "too long parameter "
			    "\"%.10s...\" started", start);
		}

		/*
		 * Runs that change nothing but the position: a comment up
		 * to its newline, the plain bytes of a word (at most up to
		 * the word length limit, checked above), blanks between
		 * words.
		 */
		if (sharp_comment) {
			const char *nl = memchr(lx->p, '\n',
			    (size_t)(lx->end - lx->p));

			lx->p = nl != NULL ? nl : lx->end;
			if (lx->p >= lx->end)
				continue;
		} else if (!last_space && !quoted && !variable &&
		    !need_space) {
			const unsigned char *stop = d_quoted ? dq_stop :
			    s_quoted ? sq_stop : word_stop;
			const char *lim = lx->end;

			if ((size_t)(lim - start) > CONFLEX_MAX_WORD)
				lim = start + CONFLEX_MAX_WORD;
			while (lx->p < lim && !stop[(unsigned char)*lx->p])
				lx->p++;
			if (lx->p >= lim)
				continue;
		} else if (last_space && !need_space && !quoted)
			while (lx->p < lx->end && (*lx->p == ' ' ||
			    *lx->p == '\t'))
				lx->p++;
		if (lx->p >= lx->end)
			continue;
		ch = *lx->p++;
		if (ch == '\n') {
			lx->line++;
			if (sharp_comment)
				sharp_comment = 0;
		}
		if (sharp_comment)
			continue;
		if (quoted) {
			quoted = 0;
			continue;
		}
		if (need_space) {
			if (is_blank(ch)) {
				last_space = 1;
				need_space = 0;
				continue;
			}
			if (ch == ';') {
				st->end_line = lx->line;
				return CONFLEX_STMT;
			}
			if (ch == '{')
				return lex_block_start(lx, st, cause);
			if (ch == ')') {
				last_space = 1;
				need_space = 0;
			} else
				return lex_error(lx, cause, "unexpected \"%c\"",
				    ch);
		}

		if (last_space) {
			start = lx->p - 1;
			start_line = lx->line;
			if (is_blank(ch))
				continue;
			if (st->nwords == 0 && ch != '#')
				st->line = lx->line;
			switch (ch) {
			case ';':
			case '{':
				if (st->nwords == 0)
					return lex_error(lx, cause,
					    "unexpected \"%c\"", ch);
				if (ch == '{')
					return lex_block_start(lx, st, cause);
				st->end_line = lx->line;
				return CONFLEX_STMT;
			case '}':
				if (st->nwords != 0)
					return lex_error(lx, cause,
					    "unexpected \"}\"");
				st->end_line = lx->line;
				return CONFLEX_END;
			case '#':
				sharp_comment = 1;
				continue;
			case '\\':
				quoted = 1;
				last_space = 0;
				continue;
			case '"':
				start++;
				d_quoted = 1;
				last_space = 0;
				continue;
			case '\'':
				start++;
				s_quoted = 1;
				last_space = 0;
				continue;
			case '$':
				variable = 1;
				last_space = 0;
				continue;
			default:
				last_space = 0;
			}
		} else {
			if (ch == '{' && variable)
				continue;
			variable = 0;
			if (ch == '\\') {
				quoted = 1;
				continue;
			}
			if (ch == '$') {
				variable = 1;
				continue;
			}
			if (d_quoted) {
				if (ch == '"') {
					d_quoted = 0;
					need_space = 1;
					found = 1;
				}
			} else if (s_quoted) {
				if (ch == '\'') {
					s_quoted = 0;
					need_space = 1;
					found = 1;
				}
			} else if (is_blank(ch) || ch == ';' || ch == '{') {
				last_space = 1;
				found = 1;
			}
			if (found) {
				push_word(st, start, lx->p - 1);
				if (ch == ';') {
					st->end_line = lx->line;
					return CONFLEX_STMT;
				}
				if (ch == '{')
					return lex_block_start(lx, st, cause);
				found = 0;
			}
		}
	}
}
