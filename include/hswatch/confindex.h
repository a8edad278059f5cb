/*
 * confindex: the directives of a block by name, indexed once. A block of
 * many children (the http{} of thousands of servers, a server of
 * hundreds of locations) gets a name -> children map the first time it
 * is asked; small blocks are scanned. The index is built while the
 * model is built and read-only after; it points into the tree and must
 * not outlive it.
 */
#ifndef HSWATCH_CONFINDEX_H
#define HSWATCH_CONFINDEX_H

#include <stddef.h>

struct confdir;
struct confindex;

/* Blocks with fewer children than this are scanned, not indexed. */
#define CONFINDEX_MIN_CHILDREN	16

struct confindex *confindex_new(void);
void		  confindex_free(struct confindex *);

/* The first direct child of block named name (args[0]), or NULL. */
const struct confdir *confindex_child(struct confindex *,
		    const struct confdir *block, const char *name);

/*
 * Every direct child of block named name, in order, into *v and *n.
 * Returns 0, or -1 when the block is small and not indexed: the caller
 * scans it.
 */
int		  confindex_children(struct confindex *,
		    const struct confdir *block, const char *name,
		    const struct confdir *const **v, size_t *n);

#endif
