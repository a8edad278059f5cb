/*
 * peerindex: the TLS targets of a model by the peers they reach, built
 * once, so that "another target reaching the same peers" is a lookup
 * and not a scan of every target (lint asks it for each target).
 */
#ifndef HSWATCH_PEERINDEX_H
#define HSWATCH_PEERINDEX_H

#include <stddef.h>

struct confmodel;
struct confmodel_group;
struct confmodel_target;
struct peerindex;

/* Index the first max TLS targets of m (model order). */
struct peerindex *peerindex_new(const struct confmodel *m, size_t max);
void		  peerindex_free(struct peerindex *);

/*
 * The indexed targets that reach a peer of t (the same group, or a
 * group with a peer of the same "ip:port"), t itself included, in model
 * order, among the first max TLS targets; *out is valid until the next
 * call. Not safe for two threads at once on one index.
 */
size_t		  peerindex_same_peers(struct peerindex *,
		    const struct confmodel_target *t, size_t max,
		    const struct confmodel_target *const **out);

/*
 * One slot per group for what a caller derives from its same-peer
 * targets (diagnose: the siblings with a setting, the names sent),
 * computed once per model instead of per use: NULL until the caller
 * sets it to a malloc'd block, which is freed with the index.
 */
void		**peerindex_slot(struct peerindex *,
		    const struct confmodel_group *);

#endif
