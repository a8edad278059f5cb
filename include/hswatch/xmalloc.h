/*
 * Allocation wrappers that exit on out-of-memory, so call sites never
 * check for NULL (tmux's xmalloc.h, chrony's memory.h).
 */
#ifndef HSWATCH_XMALLOC_H
#define HSWATCH_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
