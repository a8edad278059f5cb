/*
 * patch: the remediation as a unified diff against the user's own
 * files. Edits are anchored on directives of the loaded config (file and
 * line), keep the file's indentation, and are rendered with paths
 * relative to the config root (the directory of the main config file),
 * so that `patch -p1` in that directory applies them.
 */
#ifndef HSWATCH_PATCH_H
#define HSWATCH_PATCH_H

#include <stddef.h>

struct buf;
struct confdir;
struct conftree;

struct patch;

/* root: the config root, with or without a trailing '/'. */
struct patch	*patch_new(const char *root);
void		 patch_free(struct patch *);

/*
 * Insert directive lines (each "name args;", separated by '\n', without
 * indentation) after the statement of anchor, at anchor's indentation.
 */
void		 patch_insert_after(struct patch *, const struct confdir *anchor,
		    const char *lines);

/*
 * Insert directive lines as the first statements of block's { } body,
 * at the indentation of its statements.
 */
void		 patch_insert_into(struct patch *, const struct confdir *block,
		    const char *lines);

/* Replace the statement of dir ("name args;") by line. */
void		 patch_replace(struct patch *, const struct confdir *dir,
		    const char *line);

/* Number of edits recorded. */
size_t		 patch_count(const struct patch *);

/*
 * Append the unified diff of every edit, file by file in the order the
 * files were first edited. Returns -1 with *cause set when a file cannot
 * be read or an edit does not fit the file (changed on disk).
 */
int		 patch_render(const struct patch *, struct buf *, char **cause);

/*
 * Render against the texts of an nginx -T dump where the tree has them
 * (what nginx runs), not the files on disk; the paths stay the same.
 */
void		 patch_set_tree(struct patch *, const struct conftree *);
/*
 * The edited files whose text on disk differs from the dump's (names
 * appended to out, ", "-separated); how many. 0 without a dump.
 */
size_t		 patch_stale_files(const struct patch *, struct buf *out);

/*
 * The files of a tree read and split into lines once, for many patches
 * rendered against the same files (lint: one per target). Each file is
 * read on first use, from the dump's text where the tree has it, and
 * kept until patch_files_free() (read again when its stat on disk
 * changes); patches using it must not outlive it.
 */
struct patch_files;
struct patch_files *patch_files_new(const struct conftree *);
void		 patch_files_free(struct patch_files *);
/*
 * Each file read once, not checked against the disk at each use (a stat
 * each): for one pass over a configuration (lint, whose 20,000-location
 * configurations made 100,000 stats of a few files).
 */
void		 patch_files_read_once(struct patch_files *);
void		 patch_set_files(struct patch *, struct patch_files *);
struct patch_files *patch_files_of(const struct patch *);
/* Merge the edits of src into dst (for a combined patch). */
void		 patch_merge(struct patch *dst, const struct patch *src);

#endif
