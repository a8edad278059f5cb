/*
 * libFuzzer target for the configuration tokenizer: any bytes. Every
 * statement has words, every word is NUL-terminated and at most
 * CONFLEX_MAX_WORD bytes, lines only move forward and never pass the
 * input's line count, and the lexer ends (EOF or an error with a
 * cause) within one statement per input byte.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hswatch/conflex.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conflex		*lx;
	struct conflex_stmt	 st;
	enum conflex_rc		 rc;
	char			*cause = NULL;
	unsigned		 lines = 1, last = 1;
	size_t			 i, n = 0;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			lines++;
	lx = conflex_new("fuzz", (const char *)data, size);
	conflex_stmt_init(&st);
	for (;;) {
		rc = conflex_next(lx, &st, &cause);
		if (conflex_line(lx) < last || conflex_line(lx) > lines)
			abort();
		last = conflex_line(lx);
		if (rc == CONFLEX_EOF)
			break;
		if (rc == CONFLEX_ERROR) {
			if (cause == NULL || strstr(cause, " in fuzz:") == NULL)
				abort();
			free(cause);
			break;
		}
		if (++n > size)
			abort();	/* no progress */
		if (rc != CONFLEX_STMT && rc != CONFLEX_BLOCK &&
		    rc != CONFLEX_END)
			abort();
		if (rc == CONFLEX_END ? st.nwords != 0 : st.nwords == 0)
			abort();
		if (st.line == 0 || st.line > st.end_line ||
		    st.end_line > last)
			abort();
		if (st.opaque && rc != CONFLEX_STMT)
			abort();
		for (i = 0; i < st.nwords; i++) {
			if (st.words[i].s == NULL ||
			    st.words[i].n > CONFLEX_MAX_WORD ||
			    st.words[i].s[st.words[i].n] != '\0')
				abort();
		}
	}
	conflex_stmt_free(&st);
	conflex_free(lx);
	return 0;
}
