/*
 * confcheck: nginx's ngx_conf_handler() checks (src/core/ngx_conf_file.c)
 * against the generated directive table.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hswatch/confcheck.h"
#include "hswatch/confdirs.h"
#include "hswatch/xmalloc.h"

void
confcheck_root(struct confcheck_ctx *c)
{
	c->type = CONFDIRS_CORE;
	c->cmd = CONFDIRS_MAIN;
	c->skip = 0;
}

/* The first entry named name (the table is sorted), or confdirs_count. */
static size_t
first(const char *name)
{
	size_t	 lo = 0, hi = confdirs_count, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(confdirs[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < confdirs_count && strcmp(confdirs[lo].name, name) == 0 ?
	    lo : confdirs_count;
}

const char *
confcheck_module(const char *name)
{
	size_t	 i = first(name);

	return i < confdirs_count ? confdirs[i].module : NULL;
}

/*
 * The context a block directive opens: the blocks whose body nginx reads
 * as directives of a new context; any other block's directive parses its
 * body itself (map, types, geo, split_clients, charset_map...).
 */
static void
inner_of(const struct confcheck_ctx *c, const char *name,
    struct confcheck_ctx *in)
{
	in->type = c->type;
	in->cmd = 0;
	in->skip = 1;
	if (c->type == CONFDIRS_CORE) {
		if (strcmp(name, "events") == 0)
			in->type = CONFDIRS_EVENT;
		else if (strcmp(name, "http") == 0)
			in->type = CONFDIRS_HTTP;
		else if (strcmp(name, "stream") == 0)
			in->type = CONFDIRS_STREAM;
		else if (strcmp(name, "mail") == 0)
			in->type = CONFDIRS_MAIL;
		else
			return;
		in->cmd = CONFDIRS_L2;
	} else if (c->type == CONFDIRS_HTTP) {
		if (strcmp(name, "server") == 0)
			in->cmd = CONFDIRS_HTTP_SRV;
		else if (strcmp(name, "location") == 0)
			in->cmd = CONFDIRS_HTTP_LOC;
		else if (strcmp(name, "if") == 0)
			in->cmd = c->cmd == CONFDIRS_HTTP_SRV ?
			    CONFDIRS_HTTP_SIF : CONFDIRS_HTTP_LIF;
		else if (strcmp(name, "limit_except") == 0)
			in->cmd = CONFDIRS_HTTP_LMT;
		else if (strcmp(name, "upstream") == 0)
			in->cmd = CONFDIRS_HTTP_UPS;
		else
			return;
	} else if (c->type == CONFDIRS_STREAM) {
		if (strcmp(name, "server") == 0)
			in->cmd = CONFDIRS_STREAM_SRV;
		else if (strcmp(name, "upstream") == 0)
			in->cmd = CONFDIRS_STREAM_UPS;
		else
			return;
	} else if (c->type == CONFDIRS_MAIL) {
		if (strcmp(name, "server") == 0)
			in->cmd = CONFDIRS_MAIL_SRV;
		else
			return;
	} else
		return;
	in->skip = 0;
}

static int
args_ok(uint32_t f, size_t n)
{
	if (f & CONFDIRS_ANY)
		return 1;
	if (f & CONFDIRS_FLAG)
		return n == 2;
	if (f & CONFDIRS_1MORE)
		return n >= 2;
	if (f & CONFDIRS_2MORE)
		return n >= 3;
	if (n > CONFDIRS_MAX_ARGS)
		return 0;
	/* argument_number[]: NOARGS, TAKE1 ... TAKE7 are bits 0..7. */
	return n >= 1 && (f & (1u << (n - 1))) != 0;
}

enum confcheck_rc
confcheck_stmt(const struct confcheck_ctx *ctx, const char *name,
    size_t nwords, int block, struct confcheck_ctx *inner, char **msg)
{
	const struct confdirs_entry	*e;
	size_t				 i;
	int				 found = 0;

	*msg = NULL;
	inner->type = ctx->type;
	inner->cmd = 0;
	inner->skip = 1;
	if (ctx->skip)
		return CONFCHECK_OK;
	for (i = first(name); i < confdirs_count &&
	    strcmp(confdirs[i].name, name) == 0; i++) {
		e = &confdirs[i];
		found = 1;
		if (e->type != CONFDIRS_CONF && (int)e->type != ctx->type)
			continue;
		if (!(e->flags & ctx->cmd))
			continue;
		if (!(e->flags & CONFDIRS_BLOCK) && block) {
			xasprintf(msg, "directive \"%s\" is not terminated by "
			    "\";\"", name);
			return CONFCHECK_ARGS;
		}
		if ((e->flags & CONFDIRS_BLOCK) && !block) {
			xasprintf(msg, "directive \"%s\" has no opening \"{\"",
			    name);
			return CONFCHECK_ARGS;
		}
		if (!args_ok(e->flags, nwords)) {
			xasprintf(msg, "invalid number of arguments in \"%s\" "
			    "directive", name);
			return CONFCHECK_ARGS;
		}
		if (block)
			inner_of(ctx, name, inner);
		return CONFCHECK_OK;
	}
	if (found) {
		xasprintf(msg, "\"%s\" directive is not allowed here", name);
		return CONFCHECK_CONTEXT;
	}
	xasprintf(msg, "unknown directive \"%s\"", name);
	return CONFCHECK_UNKNOWN;
}
