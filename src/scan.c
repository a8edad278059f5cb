/*
 * The prefilter literal searched over a whole buffer, and newlines
 * counted in bulk (scan.h). With SSE2 (every x86-64), 16 positions are
 * tested at once: the literal's first byte at each position and its
 * last byte 7 bytes further (Mula's "generic SIMD" substring search),
 * and only the positions where both fit are compared in full; in a log
 * line that pair is rare, so the scan runs at several bytes a cycle.
 * Where the CPU has AVX2 (checked once, at the first call), 32 at once;
 * the bulk skip (scan_find_nl) 64 at once where it has AVX-512BW.
 * Elsewhere a byte loop.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SCAN_AVX2	1
#endif

#include "hswatch/scan.h"

static const char	 scan_lit[] = SCAN_LITERAL;

static const char *
scan_find_sse2(const char *p, size_t n)
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


/*
 * scan_find() and the newlines before the hit (all of them when there is
 * none), in one pass: each block is compared with '\n' as well.
 */
static const char *
scan_find_nl_sse2(const char *p, size_t n, size_t *nlp)
{
	const size_t	 k = SCAN_LITERAL_LEN;
	size_t		 c = 0, i = 0, j, q;

#if defined(__SSE2__)
	const __m128i	 first = _mm_set1_epi8(scan_lit[0]);
	const __m128i	 last = _mm_set1_epi8(scan_lit[k - 1]);
	const __m128i	 nl = _mm_set1_epi8('\n');
	const __m128i	 zero = _mm_setzero_si128();
	__m128i		 acc, sum;
	unsigned	 mask;
	int		 b;

	while (i + 16 + k - 1 <= n) {
		acc = zero;
		for (j = 0; j < 255 && i + 16 + k - 1 <= n; j++, i += 16) {
			__m128i	 a = _mm_loadu_si128((const __m128i *)(const
			    void *)(p + i));
			__m128i	 z = _mm_loadu_si128((const __m128i *)(const
			    void *)(p + i + k - 1));

			mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(
			    _mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(z, last)));
			while (mask != 0) {
				b = __builtin_ctz(mask);
				if (memcmp(p + i + (size_t)b + 1, scan_lit + 1,
				    k - 2) == 0) {
					sum = _mm_sad_epu8(acc, zero);
					c += (size_t)_mm_cvtsi128_si32(sum) +
					    (size_t)_mm_cvtsi128_si32(
					    _mm_srli_si128(sum, 8));
					for (q = 0; q < (size_t)b; q++)
						c += p[i + q] == '\n';
					*nlp = c;
					return p + i + b;
				}
				mask &= mask - 1;
			}
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(a, nl));
		}
		sum = _mm_sad_epu8(acc, zero);
		c += (size_t)_mm_cvtsi128_si32(sum) +
		    (size_t)_mm_cvtsi128_si32(_mm_srli_si128(sum, 8));
	}
#endif
	(void)j;
	(void)q;
	for (; i < n; i++) {
		if (i + k <= n && p[i] == scan_lit[0] &&
		    memcmp(p + i, scan_lit, k) == 0) {
			*nlp = c;
			return p + i;
		}
		c += p[i] == '\n';
	}
	*nlp = c;
	return NULL;
}

static size_t
scan_count_nl_sse2(const char *p, size_t n)
{
	size_t		 c = 0, i = 0;

#if defined(__SSE2__)
	{
		const __m128i	 nl = _mm_set1_epi8('\n');
		const __m128i	 zero = _mm_setzero_si128();
		__m128i		 acc, sum;
		size_t		 j, blocks;

		/*
		 * Each compare gives 0xff (-1) per newline: subtracted from
		 * byte counters, at most 255 blocks before they are summed
		 * (psadbw) into two 64-bit lanes. No popcount instruction
		 * is needed (not in baseline x86-64).
		 */
		while (i + 16 <= n) {
			blocks = (n - i) / 16;
			if (blocks > 255)
				blocks = 255;
			acc = zero;
			for (j = 0; j < blocks; j++, i += 16)
				acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(
				    _mm_loadu_si128((const __m128i *)(const
				    void *)(p + i)), nl));
			sum = _mm_sad_epu8(acc, zero);
			c += (size_t)_mm_cvtsi128_si32(sum) +
			    (size_t)_mm_cvtsi128_si32(_mm_srli_si128(sum, 8));
		}
	}
#endif
	for (; i < n; i++)
		c += p[i] == '\n';
	return c;
}

#ifdef SCAN_AVX2
__attribute__((target("avx2"))) static const char *
scan_find_avx2(const char *p, size_t n)
{
	const size_t	 k = SCAN_LITERAL_LEN;
	const __m256i	 first = _mm256_set1_epi8(scan_lit[0]);
	const __m256i	 last = _mm256_set1_epi8(scan_lit[k - 1]);
	size_t		 i = 0;
	unsigned	 mask;
	int		 b;

	if (n < k)
		return NULL;
	for (; i + 32 + k - 1 <= n; i += 32) {
		__m256i	 a = _mm256_loadu_si256((const __m256i *)(const void *)
		    (p + i));
		__m256i	 z = _mm256_loadu_si256((const __m256i *)(const void *)
		    (p + i + k - 1));

		mask = (unsigned)_mm256_movemask_epi8(_mm256_and_si256(
		    _mm256_cmpeq_epi8(a, first), _mm256_cmpeq_epi8(z, last)));
		while (mask != 0) {
			b = __builtin_ctz(mask);
			if (memcmp(p + i + (size_t)b + 1, scan_lit + 1,
			    k - 2) == 0)
				return p + i + b;
			mask &= mask - 1;
		}
	}
	for (; i + k <= n; i++)
		if (p[i] == scan_lit[0] && memcmp(p + i, scan_lit, k) == 0)
			return p + i;
	return NULL;
}

__attribute__((target("avx2"))) static const char *
scan_find_nl_avx2(const char *p, size_t n, size_t *nlp)
{
	const size_t	 k = SCAN_LITERAL_LEN;
	const __m256i	 first = _mm256_set1_epi8(scan_lit[0]);
	const __m256i	 last = _mm256_set1_epi8(scan_lit[k - 1]);
	const __m256i	 nl = _mm256_set1_epi8('\n');
	const __m256i	 zero = _mm256_setzero_si256();
	__m256i		 acc, sum;
	size_t		 c = 0, i = 0, j, q;
	unsigned	 mask;
	int		 b;

#define SCAN_SUM256(v) ((size_t)_mm256_extract_epi64((v), 0) + \
	(size_t)_mm256_extract_epi64((v), 1) + \
	(size_t)_mm256_extract_epi64((v), 2) + \
	(size_t)_mm256_extract_epi64((v), 3))
	while (i + 32 + k - 1 <= n) {
		acc = zero;
		for (j = 0; j < 255 && i + 32 + k - 1 <= n; j++, i += 32) {
			__m256i	 a = _mm256_loadu_si256((const __m256i *)
			    (const void *)(p + i));
			__m256i	 z = _mm256_loadu_si256((const __m256i *)
			    (const void *)(p + i + k - 1));

			mask = (unsigned)_mm256_movemask_epi8(_mm256_and_si256(
			    _mm256_cmpeq_epi8(a, first),
			    _mm256_cmpeq_epi8(z, last)));
			while (mask != 0) {
				b = __builtin_ctz(mask);
				if (memcmp(p + i + (size_t)b + 1, scan_lit + 1,
				    k - 2) == 0) {
					sum = _mm256_sad_epu8(acc, zero);
					c += SCAN_SUM256(sum);
					for (q = 0; q < (size_t)b; q++)
						c += p[i + q] == '\n';
					*nlp = c;
					return p + i + b;
				}
				mask &= mask - 1;
			}
			acc = _mm256_sub_epi8(acc, _mm256_cmpeq_epi8(a, nl));
		}
		sum = _mm256_sad_epu8(acc, zero);
		c += SCAN_SUM256(sum);
	}
#undef SCAN_SUM256
	for (; i < n; i++) {
		if (i + k <= n && p[i] == scan_lit[0] &&
		    memcmp(p + i, scan_lit, k) == 0) {
			*nlp = c;
			return p + i;
		}
		c += p[i] == '\n';
	}
	*nlp = c;
	return NULL;
}

__attribute__((target("avx2"))) static size_t
scan_count_nl_avx2(const char *p, size_t n)
{
	const __m256i	 nl = _mm256_set1_epi8('\n');
	const __m256i	 zero = _mm256_setzero_si256();
	__m256i		 acc, sum;
	size_t		 c = 0, i = 0, j, blocks;

	while (i + 32 <= n) {
		blocks = (n - i) / 32;
		if (blocks > 255)
			blocks = 255;
		acc = zero;
		for (j = 0; j < blocks; j++, i += 32)
			acc = _mm256_sub_epi8(acc, _mm256_cmpeq_epi8(
			    _mm256_loadu_si256((const __m256i *)(const void *)
			    (p + i)), nl));
		sum = _mm256_sad_epu8(acc, zero);
		c += (size_t)_mm256_extract_epi64(sum, 0) +
		    (size_t)_mm256_extract_epi64(sum, 1) +
		    (size_t)_mm256_extract_epi64(sum, 2) +
		    (size_t)_mm256_extract_epi64(sum, 3);
	}
	for (; i < n; i++)
		c += p[i] == '\n';
	return c;
}
#endif

#ifdef SCAN_AVX2
/*
 * The bulk skip with AVX-512BW, 64 positions at once: the compares give
 * bit masks (the second one only where the first byte fit), and the
 * newlines are a popcount of the third. Half the instructions of the
 * AVX2 loop; this is most of the reading thread's own work on a plain
 * nginx log.
 */
__attribute__((target("avx512f,avx512bw,popcnt"))) static const char *
scan_find_nl_avx512(const char *p, size_t n, size_t *nlp)
{
	const size_t	 k = SCAN_LITERAL_LEN;
	const __m512i	 first = _mm512_set1_epi8(scan_lit[0]);
	const __m512i	 last = _mm512_set1_epi8(scan_lit[k - 1]);
	const __m512i	 nl = _mm512_set1_epi8('\n');
	size_t		 c = 0, i = 0;
	uint64_t	 mask, nls;
	int		 b;

	for (; i + 64 + k - 1 <= n; i += 64) {
		__m512i	 a = _mm512_loadu_si512((const void *)(p + i));
		__m512i	 z = _mm512_loadu_si512((const void *)(p + i + k - 1));

		mask = _mm512_mask_cmpeq_epi8_mask(_mm512_cmpeq_epi8_mask(a,
		    first), z, last);
		nls = _mm512_cmpeq_epi8_mask(a, nl);
		while (mask != 0) {
			b = __builtin_ctzll(mask);
			if (memcmp(p + i + (size_t)b + 1, scan_lit + 1,
			    k - 2) == 0) {
				/* The newlines of this block before the hit. */
				*nlp = c + (size_t)__builtin_popcountll(nls &
				    ((UINT64_C(1) << b) - 1));
				return p + i + b;
			}
			mask &= mask - 1;
		}
		c += (size_t)__builtin_popcountll(nls);
	}
	for (; i < n; i++) {
		if (i + k <= n && p[i] == scan_lit[0] &&
		    memcmp(p + i, scan_lit, k) == 0) {
			*nlp = c;
			return p + i;
		}
		c += p[i] == '\n';
	}
	*nlp = c;
	return NULL;
}
#endif

/*
 * -1: not checked yet; then the widest the CPU has and scan_set_level()
 * allows: 2 AVX-512BW (scan_find_nl only), 1 AVX2, 0 SSE2 or bytes.
 */
static int	 scan_level = -1;
static int	 scan_level_max = 2;

static int
scan_use(void)
{
#ifdef SCAN_AVX2
	if (scan_level < 0) {
		__builtin_cpu_init();
		scan_level = 0;
		if (scan_level_max >= 1 && __builtin_cpu_supports("avx2"))
			scan_level = 1;
		if (scan_level_max >= 2 && __builtin_cpu_supports("avx512f") &&
		    __builtin_cpu_supports("avx512bw") &&
		    __builtin_cpu_supports("popcnt"))
			scan_level = 2;
	}
	return scan_level;
#else
	return 0;
#endif
}

void
scan_set_level(int max)
{
	scan_level_max = max;
	scan_level = -1;
}

int
scan_get_level(void)
{
	return scan_use();
}

void
scan_set_avx2(int on)
{
	scan_set_level(on ? 2 : 0);
}

const char *
scan_find(const char *p, size_t n)
{
#ifdef SCAN_AVX2
	if (scan_use() >= 1)
		return scan_find_avx2(p, n);
#endif
	return scan_find_sse2(p, n);
}

const char *
scan_find_nl(const char *p, size_t n, size_t *nl)
{
#ifdef SCAN_AVX2
	if (scan_use() >= 2)
		return scan_find_nl_avx512(p, n, nl);
	if (scan_use() >= 1)
		return scan_find_nl_avx2(p, n, nl);
#endif
	return scan_find_nl_sse2(p, n, nl);
}

int
scan_has(const char *p, size_t n)
{
	return scan_find(p, n) != NULL;
}

size_t
scan_count_nl(const char *p, size_t n)
{
#ifdef SCAN_AVX2
	if (scan_use() >= 1)
		return scan_count_nl_avx2(p, n);
#endif
	return scan_count_nl_sse2(p, n);
}
