/*
 * confload: load an nginx configuration into a tree of directives, each
 * with the file and line nginx would report for it. The input is either
 * the configuration files themselves (following "include", globs sorted
 * bytewise, relative paths against the config prefix) or an "nginx -T"
 * dump split on its "# configuration file PATH:" headers; both give the
 * same tree.
 *
 * Errors read like "nginx -t": the message, then " in FILE:LINE".
 */
#ifndef HSWATCH_CONFLOAD_H
#define HSWATCH_CONFLOAD_H

#include <stddef.h>

#include "hswatch/confcheck.h"

/* Limits: include nesting, size of one file, number of directives. */
#define CONFLOAD_MAX_DEPTH	32
#define CONFLOAD_MAX_FILE	(16u << 20)
#define CONFLOAD_MAX_DIRS	1000000u

/*
 * One directive; a block directive has children. Directives, their
 * argument arrays and (once loaded) child arrays live in the tree's
 * arena; equal argument strings are one string, and equal argument
 * arrays one array: read-only. 48 bytes: a configuration of 1,000
 * servers has 20,000 of them.
 */
struct confdir {
	const char	 *file;		/* owned by the tree */
	char		**args;		/* args[0] is the name */
	struct confdir	 *parent;
	struct confdir	**child;
	unsigned	  line;		/* line of the directive's name */
	unsigned	  end_line;	/* of its ";" or "{": nginx -t's */
	unsigned	  nargs;
	unsigned	  nchild : 30;	/* (CONFLOAD_MAX_DIRS bounds it) */
	unsigned	  block : 1;	/* has a { } body */
	unsigned	  opaque : 1;	/* a *_by_lua_block, body skipped */
};

/*
 * A statement nginx's ngx_conf_handler() refuses (confcheck): whether it
 * is an error depends on the nginx version modelled and the modules
 * loaded, which confmodel knows.
 */
struct confload_violation {
	enum confcheck_rc	 kind;
	char			*msg;		/* "... in FILE:LINE" */
};

struct arena;

struct conftree {
	struct confdir	  root;		/* the main file's top level */
	struct arena	 *mem;		/* directives, args, child arrays */
	/* The conf prefix (nginx's cycle->conf_prefix, with a trailing
	 * '/'): the directory of the main file. include, certificate and
	 * CA paths resolve against it. */
	char		 *prefix;
	/* nginx's -p (cycle->prefix, trailing '/'), or NULL: not given. */
	char		 *nginx_prefix;
	char		**files;	/* every file read, first-open order */
	size_t		  nfiles;
	/* The include patterns with a wildcard ("/etc/nginx/conf.d/
	 * *.conf"), as globbed, once each, read from disk only: a file
	 * that comes to match one is part of the configuration. */
	char		**globs;
	size_t		  nglobs;
	/* From an nginx -T dump: each file's text as dumped (parallel to
	 * files; NULL for a tree read from disk). */
	char		**texts;
	size_t		 *tlens;
	size_t		  ndirs;
	char		**warnings;	/* "... in FILE:LINE" */
	size_t		  nwarnings;
	struct confload_violation *violations;	/* in file order */
	size_t		  nviolations;
	int		  loaded;	/* child arrays moved to the arena */
};

/*
 * Load PATH and what it includes. prefix is nginx's -p, or NULL: a
 * relative PATH is taken against it (else the working directory), as
 * nginx does for -c; includes resolve against the directory of PATH.
 * Returns NULL and sets *cause on error.
 */
struct conftree	*confload_files(const char *path, const char *prefix,
		    char **cause);

/*
 * Load an "nginx -T" dump held in data[0..len). The first dumped file is
 * the main one; includes resolve against its directory. prefix is
 * nginx's -p, or NULL.
 */
struct conftree	*confload_dump(const char *data, size_t len,
		    const char *prefix, char **cause);

/* Read a whole file (at most max bytes) into *data; "-" is stdin. */
int		 confload_slurp(const char *path, size_t max, char **data,
		    size_t *len, char **cause);

void		 confload_free(struct conftree *);

/*
 * The text of file as the nginx -T dump held it (what nginx runs), or
 * NULL for a tree read from disk or a file not in it.
 */
const char	*confload_text(const struct conftree *, const char *file,
		    size_t *len);

/* The directive's argument i, or NULL. */
const char	*confload_arg(const struct confdir *, size_t);

#endif
