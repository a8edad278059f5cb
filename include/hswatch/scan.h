/*
 * The batch scan's prefilter (issue 21): one literal that occurs in
 * every line of every kind of line the pipeline acts on, looked for over
 * a whole buffer instead of line by line. "upstream" is in each of them:
 * in the message (verify and name errors, "upstream timed out",
 * "upstream server temporarily disabled", "no live upstreams") or in the
 * action nginx appends (" while SSL handshaking to upstream", " while
 * reading upstream" for SSL_read()/SSL_write(), "cannot load
 * certificate" ... " while SSL handshaking to upstream", and the
 * non-TLS failures that mark a pool down). A line without it is no
 * event and no upstream failure: logline_parse() would return EVENT_NONE
 * without a flag the pipeline reads.
 */
#ifndef HSWATCH_SCAN_H
#define HSWATCH_SCAN_H

#include <stddef.h>

#define SCAN_LITERAL	"upstream"
#define SCAN_LITERAL_LEN	(sizeof(SCAN_LITERAL) - 1)

/* The first SCAN_LITERAL in [p, p + n), or NULL. */
const char	*scan_find(const char *p, size_t n);

/*
 * scan_find(), and in *nl the number of '\n' before the hit (in all of
 * [p, p + n) when there is none): the lines to skip, in the same pass.
 */
const char	*scan_find_nl(const char *p, size_t n, size_t *nl);

/* Does [p, p + n) hold SCAN_LITERAL? */
int		 scan_has(const char *p, size_t n);

/* The number of '\n' in [p, p + n). */
size_t		 scan_count_nl(const char *p, size_t n);

/*
 * Tests: the widest code the scan may take, 0 SSE2 (or bytes), 1 AVX2,
 * 2 (the default) AVX-512BW, each when the CPU has it; and the one it
 * takes. scan_set_avx2(0) is level 0, (1) level 2. Not thread-safe;
 * call before scanning.
 */
void		 scan_set_level(int max);
int		 scan_get_level(void);
void		 scan_set_avx2(int on);

#endif
