/* SPDX-License-Identifier: ISC */
/*
 * scan_stage1.c - stage 1 of the JSON scanner (scan_int.h says what it
 * finds and checks).  A block of 64 bytes is sorted into bit masks, one bit
 * a byte, with AVX2, SSE2 or plain C; then the same few operations on
 * 64-bit words, for all three, find the escapes and the strings, check the
 * rules and give the block's positions as one word of bits.  The approach
 * is simdjson's (Langdale and Lemire, "Parsing Gigabytes of JSON per
 * Second", 2019); the code is ours.
 *
 * No load reads past the input: the last, short block is copied into a
 * block of blanks first.
 */
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "scan.h"
#include "scan_int.h"

/* One block's bytes by class: bit i is byte i. */
struct s1mask {
	uint64_t quote;		/* '"' */
	uint64_t bslash;	/* '\\' */
	uint64_t op;		/* { } [ ] : , (and maybe controls) */
	uint64_t brk;		/* { } [ ] */
	uint64_t space;		/* 0x20 or less, or maybe 0x80 or more */
	uint64_t ctl;		/* less than 0x20 */
	uint64_t high;		/* 0x80 or more */
};

/* What stage 1 carries from one block to the next. */
struct s1state {
	uint64_t esc;		/* 1 when the block's first byte is escaped */
	uint64_t instr;		/* all ones when it is inside a string */
	uint64_t scalar;	/* 1 when the byte before was in a scalar */
	size_t utf8;		/* the bytes before this offset are checked
				   UTF-8 (a sequence may cross blocks) */
};

#define EVEN 0x5555555555555555ULL	/* the bits of even positions */

/*
 * Bit i of the result is the parity of bits 0 to i of x: set from each
 * opening quote up to, not with, its closing quote.
 */
static inline uint64_t
prefixxor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

/*
 * The quotes of the block that no backslash escapes.  In a run of
 * backslashes the first escapes the second, the third the fourth, and so
 * on: the escaped bytes are those after the start of a run at an odd
 * distance from it, which takes in the byte after an odd run.  Adding its
 * start bit to a run that starts at an odd position carries through the
 * run and clears it, while the runs that start at even positions stay;
 * shifted by one, that sum marks the span of each even run, where the
 * wanted parity is odd, and nothing of the odd runs, where it is even.  So
 * one flip of the even bits serves both.  The carry out of the sum is an
 * odd run that ends the block: the next block's first byte is escaped.
 */
static inline uint64_t
realquotes(struct s1state *st, uint64_t quote, uint64_t bs)
{
	uint64_t b, follows, oddstarts, sum;

	if ((bs | st->esc) == 0)
		return quote;
	b = bs & ~st->esc;	/* an escaped backslash escapes nothing */
	follows = b << 1 | st->esc;
	oddstarts = b & ~(b << 1) & ~EVEN;
	st->esc = __builtin_add_overflow(b, oddstarts, &sum);
	return quote & ~((EVEN ^ sum << 1) & follows);
}

/*
 * Checks the UTF-8 of the bytes of 0x80 or more, high, of the block at
 * base (all inside strings by now), one sequence at a time with the
 * reference scanner's own rule.  A sequence may end in the next block,
 * whose first bytes are then known good.
 */
static int
utf8(struct s1state *st, const char *buf, size_t len, uint64_t high,
    size_t base)
{
	const unsigned char *p, *end = (const unsigned char *)buf + len;
	size_t i;
	int n;

	if (st->utf8 > base)
		high &= ~0ULL << (st->utf8 - base);	/* 3 bytes at most */
	while (high != 0) {
		i = (size_t)__builtin_ctzll(high);
		p = (const unsigned char *)buf + base + i;
		if ((n = utf8len(p, end)) == 0)
			return -1;
		st->utf8 = base + i + (size_t)n;
		if (i + (size_t)n >= 64)
			break;
		high &= ~0ULL << (i + (size_t)n);
	}
	return 0;
}

/* Controls outside strings, ctl: only tab, newline and return. */
static int
blanks(const unsigned char *p, uint64_t ctl)
{
	unsigned char c;

	for (; ctl != 0; ctl &= ctl - 1) {
		c = p[__builtin_ctzll(ctl)];
		if (c != '\t' && c != '\n' && c != '\r')
			return -1;
	}
	return 0;
}

/*
 * The rest of stage 1 for the block p at base, whose bytes m sorts, once
 * its real quotes and its string mask instr are known: checks the rules and
 * writes the block's positions to *out.  Returns -1 when a rule is broken.
 * Inlined into each path's loop, so that the state stays in registers.
 */
static inline __attribute__((always_inline)) int
block(struct s1state *st, const struct s1mask *m, uint64_t quote,
    uint64_t instr, const unsigned char *p, const char *buf, size_t len,
    size_t base, uint64_t *out)
{
	uint64_t scalar, starts;

	st->instr = 0 - (instr >> 63);
	/* Controls: none in a string, only blanks outside.  Outside strings
	 * nothing of 0x80 or more. */
	if (m->ctl != 0 && ((m->ctl & instr) != 0 ||
	    blanks(p, m->ctl) == -1))
		return -1;
	if (m->high != 0 && ((m->high & ~instr) != 0 ||
	    utf8(st, buf, len, m->high, base) == -1))
		return -1;
	/* A scalar is a run of bytes outside strings that are neither
	 * blanks, nor quotes, nor {}[]:, and its first byte is a position. */
	scalar = ~(m->space | m->op | quote | instr);
	starts = scalar & ~(scalar << 1 | st->scalar);
	st->scalar = scalar >> 63;
	*out = (m->brk & ~instr) | quote | starts | (m->bslash & instr);
	return 0;
}

/* The block at base; the last, when short, copied into blanks. */
static inline const unsigned char *
blockat(const char *buf, size_t len, size_t base, unsigned char *tail)
{
	if (len - base >= 64)
		return (const unsigned char *)buf + base;
	memset(tail, ' ', 64);
	memcpy(tail, buf + base, len - base);
	return tail;
}

#define ONES 0x0101010101010101ULL	/* 1 in each byte */
#define HIGHS 0x8080808080808080ULL	/* the top bit of each byte */

/* The top bit of each byte of x that is zero. */
static inline uint64_t
zerobytes(uint64_t x)
{
	return ~(((x & ~HIGHS) + ~HIGHS) | x) & HIGHS;
}

/* The top bits of the bytes of h, gathered into 8 bits: byte j, bit j. */
static inline uint64_t
gather(uint64_t h)
{
	return (h >> 7) * 0x0102040810204080ULL >> 56;
}

/* Plain C for any machine: 8 bytes at a time in a 64-bit word. */
static void
classify_scalar(const unsigned char *p, struct s1mask *m)
{
	uint64_t x, lc, ctl, brk;
	int j, sh;

	memset(m, 0, sizeof(*m));
	for (j = 0; j < 8; j++) {
		sh = 8 * j;
		memcpy(&x, p + sh, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		x = __builtin_bswap64(x);
#endif
		lc = x | 0x20 * ONES;	/* '[' and ']' become '{' and '}' */
		ctl = zerobytes(x & 0xe0 * ONES);
		m->quote |= gather(zerobytes(x ^ '"' * ONES)) << sh;
		m->bslash |= gather(zerobytes(x ^ '\\' * ONES)) << sh;
		brk = zerobytes(lc ^ '{' * ONES) | zerobytes(lc ^ '}' * ONES);
		m->brk |= gather(brk) << sh;
		m->op |= gather(brk | zerobytes(x ^ ',' * ONES) |
		    zerobytes(x ^ ':' * ONES)) << sh;
		m->space |= gather(ctl | zerobytes(x ^ ' ' * ONES)) << sh;
		m->ctl |= gather(ctl) << sh;
		m->high |= gather(x & HIGHS) << sh;
	}
}

static int
run_scalar(const char *buf, size_t len, uint64_t *out)
{
	struct s1state st = { 0, 0, 0, 0 };
	const unsigned char *p;
	unsigned char tail[64];
	struct s1mask m;
	uint64_t quote;
	size_t base;

	for (base = 0; base < len; base += 64) {
		p = blockat(buf, len, base, tail);
		classify_scalar(p, &m);
		quote = realquotes(&st, m.quote, m.bslash);
		if (block(&st, &m, quote, prefixxor(quote) ^ st.instr, p, buf,
		    len, base, out++) == -1)
			return -1;
	}
	return st.instr != 0 ? -1 : 0;
}

#if defined(__x86_64__) || defined(__i386__)
/*
 * The 16 bytes at p, by class, into bits sh to sh + 15 of m.  Signed
 * compares: a byte less than 0x20 or 0x21 is a control or a blank, or of
 * 0x80 or more, which is told apart with the top bits.
 */
static inline __attribute__((target("sse2"), always_inline)) void
classify16(const unsigned char *p, struct s1mask *m, int sh)
{
	__m128i v, lc, b;
	uint64_t high;

	v = _mm_loadu_si128((const __m128i *)(const void *)p);
	lc = _mm_or_si128(v, _mm_set1_epi8(0x20));
#define MASK(x) ((uint64_t)(uint16_t)_mm_movemask_epi8(x) << sh)
#define EQ(a, c) _mm_cmpeq_epi8((a), _mm_set1_epi8(c))
	high = MASK(v);
	m->high |= high;
	m->quote |= MASK(EQ(v, '"'));
	m->bslash |= MASK(EQ(v, '\\'));
	b = _mm_or_si128(EQ(lc, '{'), EQ(lc, '}'));
	m->brk |= MASK(b);
	m->op |= MASK(_mm_or_si128(b, _mm_or_si128(EQ(v, ','), EQ(v, ':'))));
	m->space |= MASK(_mm_cmplt_epi8(v, _mm_set1_epi8(0x21)));
	m->ctl |= MASK(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20))) & ~high;
#undef MASK
#undef EQ
}

static __attribute__((target("sse2"))) int
run_sse2(const char *buf, size_t len, uint64_t *out)
{
	struct s1state st = { 0, 0, 0, 0 };
	const unsigned char *p;
	unsigned char tail[64];
	struct s1mask m;
	uint64_t quote;
	size_t base;

	for (base = 0; base < len; base += 64) {
		p = blockat(buf, len, base, tail);
		memset(&m, 0, sizeof(m));
		classify16(p, &m, 0);
		classify16(p + 16, &m, 16);
		classify16(p + 32, &m, 32);
		classify16(p + 48, &m, 48);
		quote = realquotes(&st, m.quote, m.bslash);
		if (block(&st, &m, quote, prefixxor(quote) ^ st.instr, p, buf,
		    len, base, out++) == -1)
			return -1;
	}
	return st.instr != 0 ? -1 : 0;
}

#endif

/* AVX2, on x86-64 only: the carry-less multiplication below wants 64-bit
 * registers. */
#ifdef __x86_64__
/*
 * The 32 bytes at p, by class, into bits sh to sh + 31 of m.  {}[]:, with
 * one table lookup: with bit 5 set ('[' is '{', ']' is '}'), each has a
 * low nibble of its own, and the table holds it there.  0x0c and 0x1a pass
 * for ',' and ':' that way; they are controls, refused anyway.
 */
static inline __attribute__((target("avx2,pclmul"), always_inline)) void
classify32(const unsigned char *p, struct s1mask *m, int sh)
{
	__m256i v, lc, ops;
	uint64_t high;

	ops = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ':', '{', ',',
	    '}', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ':', '{', ',', '}', 0, 0);
	v = _mm256_loadu_si256((const __m256i *)(const void *)p);
	lc = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
#define MASK(x) ((uint64_t)(uint32_t)_mm256_movemask_epi8(x) << sh)
#define EQ(a, c) _mm256_cmpeq_epi8((a), _mm256_set1_epi8(c))
	high = MASK(v);
	m->high |= high;
	m->quote |= MASK(EQ(v, '"'));
	m->bslash |= MASK(EQ(v, '\\'));
	m->op |= MASK(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(ops, lc), lc));
	m->brk |= MASK(_mm256_or_si256(EQ(lc, '{'), EQ(lc, '}')));
	m->space |= MASK(_mm256_cmpgt_epi8(_mm256_set1_epi8(0x21), v));
	m->ctl |= MASK(_mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), v)) & ~high;
#undef MASK
#undef EQ
}

/* prefixxor as one carry-less multiplication by all ones. */
static inline __attribute__((target("avx2,pclmul"), always_inline)) uint64_t
prefixclmul(uint64_t x)
{
	return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(
	    _mm_set_epi64x(0, (long long)x), _mm_set1_epi8((char)0xff), 0));
}

static __attribute__((target("avx2,pclmul"))) int
run_avx2(const char *buf, size_t len, uint64_t *out)
{
	struct s1state st = { 0, 0, 0, 0 };
	const unsigned char *p;
	unsigned char tail[64];
	struct s1mask m;
	uint64_t quote;
	size_t base;

	for (base = 0; base < len; base += 64) {
		p = blockat(buf, len, base, tail);
		memset(&m, 0, sizeof(m));
		classify32(p, &m, 0);
		classify32(p + 32, &m, 32);
		quote = realquotes(&st, m.quote, m.bslash);
		if (block(&st, &m, quote, prefixclmul(quote) ^ st.instr, p,
		    buf, len, base, out++) == -1)
			return -1;
	}
	return st.instr != 0 ? -1 : 0;
}
#endif

int
s1_has(int path)
{
	switch (path) {
	case SCAN_SCALAR:
		return 1;
#if defined(__x86_64__) || defined(__i386__)
	case SCAN_SSE2:
		return __builtin_cpu_supports("sse2");
#endif
#ifdef __x86_64__
	case SCAN_AVX2:
		return __builtin_cpu_supports("avx2") &&
		    __builtin_cpu_supports("pclmul");
#endif
	}
	return 0;
}

int
s1_run(const char *buf, size_t len, uint64_t *out, int path)
{
	switch (path) {
#ifdef __x86_64__
	case SCAN_AVX2:
		return run_avx2(buf, len, out);
#endif
#if defined(__x86_64__) || defined(__i386__)
	case SCAN_SSE2:
		return run_sse2(buf, len, out);
#endif
	default:
		return run_scalar(buf, len, out);
	}
}
