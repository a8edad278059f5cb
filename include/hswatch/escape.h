/*
 * Escaping of untrusted bytes (log fields are attacker-controlled,
 * NGINX-FACTS.md section 1.3) for each kind of output.
 */
#ifndef HSWATCH_ESCAPE_H
#define HSWATCH_ESCAPE_H

#include <stddef.h>

struct buf;

/* The value of a hexadecimal digit (either case), or -1. */
int	 escape_hexval(int c);

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if invalid. */
size_t	 escape_utf8_len(const unsigned char *p, size_t n);

/*
 * Append p[0..n) as a quoted JSON string. Control bytes become \uXXXX,
 * bytes that are not valid UTF-8 become U+FFFD: the output is always
 * valid UTF-8 JSON.
 */
void	 escape_json(struct buf *, const char *p, size_t n);

/*
 * Append p[0..n) for a terminal or a text log: printable ASCII and valid
 * UTF-8 pass, a backslash becomes "\\", everything else "\xHH". No
 * byte that a terminal interprets survives.
 */
void	 escape_text(struct buf *, const char *p, size_t n);

#endif
