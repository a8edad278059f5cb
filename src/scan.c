/*
 * The prefilter literal searched over a whole buffer, and newlines
 * counted in bulk (scan.h). With SSE2 (every x86-64), 16 positions are
 * tested at once: the literal's first byte at each position and its
 * last byte 7 bytes further (Mula's "generic SIMD" substring search),
 * and only the positions where both fit are compared in full; in a log
 * line that pair is rare, so the scan runs at several bytes a cycle.
 * Elsewhere memmem(3) and a byte loop.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hswatch/scan.h"

static const char	 scan_lit[] = SCAN_LITERAL;

const char *
scan_find(const char *p, size_t n)
{
	const size_t	 k = SCAN_LITERAL_LEN;
	size_t		 i = 0;

	if (n < k)
		return NULL;
#if defined(__SSE2__)
	{
		const __m128i	 first = _mm_set1_epi8(scan_lit[0]);
		const __m128i	 last = _mm_set1_epi8(scan_lit[k - 1]);
		unsigned	 mask;
		int		 b;

		/* Blocks of 16 start positions, all of whose k bytes are in. */
		for (; i + 16 + k - 1 <= n; i += 16) {
			__m128i	 a = _mm_loadu_si128((const __m128i *)(const
			    void *)(p + i));
			__m128i	 z = _mm_loadu_si128((const __m128i *)(const
			    void *)(p + i + k - 1));

			mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(
			    _mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(z, last)));
			while (mask != 0) {
				b = __builtin_ctz(mask);
				if (memcmp(p + i + (size_t)b + 1, scan_lit + 1,
				    k - 2) == 0)
					return p + i + b;
				mask &= mask - 1;
			}
		}
	}
#endif
	/* The rest (fewer than 16 start positions), or no SSE2. */
	for (; i + k <= n; i++)
		if (p[i] == scan_lit[0] && memcmp(p + i, scan_lit, k) == 0)
			return p + i;
	return NULL;
}

int
scan_has(const char *p, size_t n)
{
	return scan_find(p, n) != NULL;
}

size_t
scan_count_nl(const char *p, size_t n)
{
	size_t		 c = 0, i = 0;

#if defined(__SSE2__)
	{
		const __m128i	 nl = _mm_set1_epi8('\n');

		for (; i + 16 <= n; i += 16) {
			__m128i	 a = _mm_loadu_si128((const __m128i *)(const
			    void *)(p + i));

			c += (size_t)__builtin_popcount((unsigned)
			    _mm_movemask_epi8(_mm_cmpeq_epi8(a, nl)));
		}
	}
#endif
	for (; i < n; i++)
		c += p[i] == '\n';
	return c;
}
