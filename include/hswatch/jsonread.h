/*
 * jsonread: a small, strict JSON reader (RFC 8259) into a tree, for
 * reading what hswatch's own programs print (hswatch-probe --json).
 * Bounded: nesting depth JSONREAD_MAX_DEPTH, input size given by the
 * caller. Strings are decoded to UTF-8 (\u escapes, surrogate pairs);
 * a NUL inside a string is refused so every string is a C string.
 */
#ifndef HSWATCH_JSONREAD_H
#define HSWATCH_JSONREAD_H

#include <stddef.h>

#define JSONREAD_MAX_DEPTH	32

enum jsonread_type {
	JSONREAD_NULL = 0,
	JSONREAD_FALSE,
	JSONREAD_TRUE,
	JSONREAD_NUMBER,
	JSONREAD_STRING,
	JSONREAD_ARRAY,
	JSONREAD_OBJECT
};

struct jsonread {
	enum jsonread_type	  type;
	double			  num;
	char			 *str;		/* STRING */
	char			**keys;		/* OBJECT: keys[i] names v[i] */
	struct jsonread		**v;		/* ARRAY, OBJECT members */
	size_t			  n;
};

/*
 * Parse one JSON value from p[0..len) (surrounding white space allowed).
 * Returns NULL and sets *cause ("... at byte N") on a syntax error.
 */
struct jsonread	*jsonread_parse(const char *p, size_t len, char **cause);
void		 jsonread_free(struct jsonread *);

/* The member key of an object, or NULL (also when o is not an object). */
const struct jsonread *jsonread_get(const struct jsonread *o,
		    const char *key);
/* A member's string (NULL unless a string), number (dflt unless a
 * number), or truth (1 only for true). */
const char	*jsonread_str(const struct jsonread *o, const char *key);
double		 jsonread_num(const struct jsonread *o, const char *key,
		    double dflt);
int		 jsonread_bool(const struct jsonread *o, const char *key);

#endif
