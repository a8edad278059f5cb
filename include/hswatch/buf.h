/*
 * A growable byte buffer. Contents are not NUL-terminated unless
 * buf_cstr() is called.
 */
#ifndef HSWATCH_BUF_H
#define HSWATCH_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
void	 buf_reserve(struct buf *, size_t);
void	 buf_adds(struct buf *, const char *);
/* Decimal, without printf (hot paths: memo keys, JSON numbers). */
void	 buf_addu(struct buf *, uint64_t);
void	 buf_addi(struct buf *, int64_t);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
const char *buf_cstr(struct buf *);

/*
 * The two appends every formatter calls per byte or field: inline, so
 * that the common case (room left) is a compare and a store; one spare
 * byte is always kept for buf_cstr()'s NUL.
 */
static inline void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->cap - b->len <= n)
		buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void
buf_addc(struct buf *b, char c)
{
	if (b->cap - b->len <= 1)
		buf_reserve(b, 1);
	b->data[b->len++] = c;
}

#endif
