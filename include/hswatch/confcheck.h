/*
 * confcheck: what nginx's ngx_conf_handler() checks of each statement
 * before running it, from the directive table (confdirs): the directive
 * exists, is allowed in the context it is in, ends as it must (";" or
 * "{"), and has an argument count it takes. The messages are nginx's.
 */
#ifndef HSWATCH_CONFCHECK_H
#define HSWATCH_CONFCHECK_H

#include <stddef.h>
#include <stdint.h>

/* The context statements are read in (cf->module_type, cf->cmd_type). */
struct confcheck_ctx {
	int		 type;		/* enum confdirs_type */
	uint32_t	 cmd;		/* context bits */
	int		 skip;		/* a block its directive parses itself
					   (map, types, geo...): not checked */
};

enum confcheck_rc {
	CONFCHECK_OK = 0,
	CONFCHECK_UNKNOWN,	/* unknown directive "X" */
	CONFCHECK_CONTEXT,	/* "X" directive is not allowed here */
	CONFCHECK_ARGS,		/* invalid number of arguments, ";" / "{" */
};

/* The top level of the main file. */
void		 confcheck_root(struct confcheck_ctx *);

/*
 * Check one statement of nwords words (name the first), ended by "{"
 * (block) or ";", read in ctx. On CONFCHECK_OK, *inner is the context of
 * a block's body. Otherwise *msg is nginx's message without the
 * " in FILE:LINE" (caller frees).
 */
enum confcheck_rc confcheck_stmt(const struct confcheck_ctx *ctx,
		    const char *name, size_t nwords, int block,
		    struct confcheck_ctx *inner, char **msg);

/* The module of a directive in the table, or NULL. */
const char	*confcheck_module(const char *name);

#endif
