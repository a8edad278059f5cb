/*
 * Helpers shared by the libFuzzer targets: one private temporary
 * directory per process (removed at exit), files written into it and
 * removed after each input, and the fixed configuration that the
 * locate and analyze targets run against.
 */
#ifndef HSWATCH_FUZZUTIL_H
#define HSWATCH_FUZZUTIL_H

#include <stddef.h>

struct confmodel;

/* The process's temporary directory (created on first use). */
const char	*fuzz_tmpdir(void);

/*
 * Write data[0..len) to the relative path rel (no "..", no leading
 * '/'), creating its directories; remembered for fuzz_clean().
 * Returns -1 when rel is not a safe relative path.
 */
int		 fuzz_write(const char *rel, const char *data, size_t len);

/* Remove every file and directory written since the last clean. */
void		 fuzz_clean(void);

/* Abort unless p[0..n) is valid UTF-8 with no control byte (the
 * promise of escape_json and escape_text). */
void		 fuzz_check_utf8(const char *p, size_t n);

/* A NUL-terminated copy of data[0..len) (caller frees). */
char		*fuzz_strndup(const void *data, size_t len);

/*
 * The fixed configuration (prefix, exact, ^~, regex, nested and named
 * locations, upstream groups, stream), written under the temporary
 * directory as fixed/nginx.conf and loaded from there, so that patches
 * can be rendered against it. Built once; freed at exit.
 */
const struct confmodel *fuzz_fixed_model(void);
extern const char	 fuzz_fixed_conf[];

#endif
