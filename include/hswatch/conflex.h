/*
 * conflex: the nginx configuration tokenizer, following nginx's own
 * ngx_conf_read_token() (src/core/ngx_conf_file.c): words separated by
 * blanks, "..." and '...' quoting, backslash escapes (\" \' \\ \t \r \n),
 * "#" comments, "${var}", statements ended by ";" or "{", blocks ended
 * by "}". CR is a blank, lines are counted on LF. The body of a
 * "*_by_lua_block { ... }" is skipped as opaque Lua text.
 *
 * The lexer works on a caller-owned byte buffer and never reads files.
 */
#ifndef HSWATCH_CONFLEX_H
#define HSWATCH_CONFLEX_H

#include <stddef.h>

enum conflex_rc {
	CONFLEX_ERROR = -1,
	CONFLEX_STMT,		/* words ended by ";" */
	CONFLEX_BLOCK,		/* words ended by "{" */
	CONFLEX_END,		/* "}" */
	CONFLEX_EOF
};

/* nginx's NGX_CONF_BUFFER: no word may be longer. */
#define CONFLEX_MAX_WORD	4096

struct conflex_word {
	char	*s;		/* NUL-terminated, escapes applied */
	size_t	 n;
};

/* One statement; reused across conflex_next() calls. */
struct conflex_stmt {
	struct conflex_word	*words;
	size_t			 nwords;
	size_t			 cap;
	char			*text;		/* the words, one after another */
	size_t			 tlen, tcap;
	unsigned		 line;		/* line of the first word */
	unsigned		 end_line;	/* line of the ";", "{" or "}" */
	int			 opaque;	/* a *_by_lua_block body was skipped */
};

struct conflex;

/* A lexer over data[0..len); name is used in error messages only. */
struct conflex	*conflex_new(const char *name, const char *data, size_t len);
void		 conflex_free(struct conflex *);

/*
 * Read the next statement into st. On CONFLEX_ERROR *cause is set to
 * nginx's message followed by " in NAME:LINE" (caller frees).
 */
enum conflex_rc	 conflex_next(struct conflex *, struct conflex_stmt *,
		    char **cause);

/* Current line (1-based). */
unsigned	 conflex_line(const struct conflex *);

void		 conflex_stmt_init(struct conflex_stmt *);
void		 conflex_stmt_free(struct conflex_stmt *);

#endif
