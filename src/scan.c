/* SPDX-License-Identifier: ISC */
/*
 * scan.c - the validating JSON scanner: one pass over the bytes, no tree,
 * no allocation in the steady state.  See scan.h for what it accepts; every
 * rule below mirrors a check in jansson's load.c, utf.c and strconv.c, so
 * that a line this scanner accepts is a line jansson would load.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "scan_int.h"
#include "util.h"

enum { K_OBJ = 1, K_ARR = 2 };

struct scan_key {
	const char *name;	/* raw bytes of the name */
	uint32_t len;		/* their length */
	uint32_t sig;		/* length, first, middle and last byte:
				   equal names have equal signatures
				   (escapes decoded) */
	uint32_t hash;		/* FNV-1a of the decoded name, when sorting */
	int esc;		/* the raw name holds an escape */
};

/* Byte classes inside a string: 0 plain, 1 quote, 2 backslash, 3 control,
 * 4 the first byte of a multi-byte UTF-8 sequence (or an invalid byte). */
static unsigned char strcls[256];
/* Whitespace that JSON allows between tokens. */
static unsigned char wscls[256];
static int tablesready;
/* The path scan_json takes: the reference, or EVENTFUL_SCAN's. */
static int jsonpath;
static pthread_once_t pathonce = PTHREAD_ONCE_INIT;

static void
tables(void)
{
	int c;

	for (c = 0; c < 256; c++)
		strcls[c] = c < 0x20 ? 3 : c >= 0x80 ? 4 : 0;
	strcls['"'] = 1;
	strcls['\\'] = 2;
	wscls[' '] = wscls['\t'] = wscls['\n'] = wscls['\r'] = 1;
	tablesready = 1;
}

int
scan_has_path(int path)
{
	return path == SCAN_REFERENCE || s1_has(path);
}

/*
 * Once per process: the path EVENTFUL_SCAN names if the CPU has it, else
 * the reference.  The reference is the default because it is the fastest
 * on the events we measured (scan.h says by how much): the two stages are
 * kept, correct and tested on every path, to be chosen where they pay.
 */
static void
pickpath(void)
{
	static const char *names[] = { "reference", "scalar", "sse2", "avx2" };
	const char *e = getenv("EVENTFUL_SCAN");
	int p;

	jsonpath = SCAN_REFERENCE;
	for (p = SCAN_REFERENCE; e != NULL && p <= SCAN_AVX2; p++)
		if (strcmp(e, names[p]) == 0 && scan_has_path(p))
			jsonpath = p;
}

int
scan_path(void)
{
	pthread_once(&pathonce, pickpath);
	return jsonpath;
}

void
scan_init(struct scanner *s)
{
	memset(s, 0, sizeof(*s));
	if (!tablesready)
		tables();
	pthread_once(&pathonce, pickpath);
	s->kind = xmalloc(SCAN_MAXDEPTH + 1);
	s->keybase = xmalloc((SCAN_MAXDEPTH + 1) * sizeof(*s->keybase));
}

void
scan_free(struct scanner *s)
{
	free(s->m);
	free(s->keys);
	free(s->kind);
	free(s->keybase);
	free(s->s1bits);
	memset(s, 0, sizeof(*s));
}

static int
fail(struct scanner *s, const char *buf, const char *p, const char *msg)
{
	s->erroff = (size_t)(p - buf);
	s->err = msg;
	return -1;
}

static int
failc(struct scanner *s, const char *buf, const char *p, const char *end,
    const char *what)
{
	unsigned char c;

	if (p >= end)
		return fail(s, buf, p, what);
	c = (unsigned char)*p;
	if (c > 0x20 && c < 0x7f)
		snprintf(s->errbuf, sizeof(s->errbuf), "%s, found '%c'",
		    what, c);
	else
		snprintf(s->errbuf, sizeof(s->errbuf), "%s, found byte 0x%02x",
		    what, c);
	return fail(s, buf, p, s->errbuf);
}

static inline const char *
skipws(const char *p, const char *end)
{
	while (p < end && wscls[(unsigned char)*p])
		p++;
	return p;
}

int
scan_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len;
	int n;

	if (!tablesready)
		tables();
	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((n = utf8len(p, end)) == 0)
			return 0;
		p += n;
	}
	return 1;
}

int
scan_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
hex4(const char *p, const char *end)
{
	int i, v = 0, d;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((d = scan_hexval((unsigned char)p[i])) < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static size_t
pututf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Skips plain string bytes: not a quote, a backslash, a control character
 * or the start of a multi-byte sequence.  Sixteen at a time with SSE2.
 */
static inline const char *
skipplain(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'),
	    ctl = _mm_set1_epi8(0x1f);
	__m128i v, m;
	int mask;

	while (end - p >= 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)p);
		m = _mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
		mask = _mm_movemask_epi8(m) | _mm_movemask_epi8(v);
		if (mask != 0)
			return p + __builtin_ctz((unsigned)mask);
		p += 16;
	}
#endif
	while (p < end && strcls[(unsigned char)*p] == 0)
		p++;
	return p;
}

/*
 * Scans a string whose opening quote is just before p.  Returns a pointer
 * just past the closing quote, or NULL on error.  *escp is set when the
 * string holds an escape.
 */
static inline __attribute__((always_inline)) const char *
scanstr(struct scanner *s, const char *buf, const char *p, const char *end,
    uint8_t *escp)
{
	uint32_t cp, lo;
	int n;

	for (;;) {
		p = skipplain(p, end);
		if (p >= end) {
			fail(s, buf, p, "unterminated string");
			return NULL;
		}
		switch (strcls[(unsigned char)*p]) {
		case 1:
			return p + 1;
		case 2:
			*escp = 1;
			if (end - p < 2) {
				fail(s, buf, p, "unterminated string");
				return NULL;
			}
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				break;
			default:
				failc(s, buf, p + 1, end, "invalid escape");
				return NULL;
			}
			if ((int)(cp = (uint32_t)hex4(p + 2, end)) < 0) {
				fail(s, buf, p, "invalid \\u escape");
				return NULL;
			}
			if (cp == 0) {
				fail(s, buf, p, "\\u0000 is not allowed");
				return NULL;
			}
			p += 6;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail(s, buf, p - 6, "lone low surrogate");
				return NULL;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    (int)(lo = (uint32_t)hex4(p + 2, end)) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff) {
					fail(s, buf, p - 6, "lone high surrogate");
					return NULL;
				}
				p += 6;
			}
			break;
		case 3:
			snprintf(s->errbuf, sizeof(s->errbuf),
			    "control character 0x%02x in a string",
			    (unsigned char)*p);
			fail(s, buf, p, s->errbuf);
			return NULL;
		default:
			n = utf8len((const unsigned char *)p,
			    (const unsigned char *)end);
			if (n == 0) {
				fail(s, buf, p, "invalid UTF-8");
				return NULL;
			}
			p += n;
			break;
		}
	}
}

/*
 * Scans a number.  Returns a pointer just past it, or NULL.  Rejects what
 * jansson rejects: an integer outside 64 bits, a real that overflows.
 * Inlined into both scanners, as into the one there was.
 */
static inline __attribute__((always_inline)) const char *
scannum(struct scanner *s, const char *buf, const char *p, const char *end,
    uint8_t *isint)
{
	const char *q = p, *ip;
	long long ex = 0;
	size_t nd;
	int neg = 0, eneg = 0;

	if (*q == '-') {
		neg = 1;
		q++;
	}
	ip = q;
	if (q < end && *q == '0')
		q++;
	else if (q < end && *q >= '1' && *q <= '9')
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	else {
		failc(s, buf, q, end, "invalid number");
		return NULL;
	}
	nd = (size_t)(q - ip);
	*isint = 1;
	if (q < end && *q == '.') {
		q++;
		if (q >= end || *q < '0' || *q > '9') {
			failc(s, buf, q, end, "digit expected after '.'");
			return NULL;
		}
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		*isint = 0;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			eneg = *q++ == '-';
		if (q >= end || *q < '0' || *q > '9') {
			failc(s, buf, q, end, "digit expected in exponent");
			return NULL;
		}
		while (q < end && *q >= '0' && *q <= '9') {
			if (ex < 100000000)
				ex = ex * 10 + (*q - '0');
			q++;
		}
		if (eneg)
			ex = -ex;
		*isint = 0;
	}
	if (*isint) {
		if (nd > 19 || (nd == 19 && memcmp(ip, neg ?
		    "9223372036854775808" : "9223372036854775807", 19) > 0)) {
			fail(s, buf, p, "integer out of 64-bit range");
			return NULL;
		}
	} else if ((long long)(*ip == '0' ? 1 : nd) + ex > 308) {
		/* Only a value this large can overflow a double: ask strtod,
		 * as jansson does, whether it does. */
		size_t n = (size_t)(q - p);
		char small[64], *t = n < sizeof(small) ? small : xmalloc(n + 1);
		double d;

		memcpy(t, p, n);
		t[n] = '\0';
		errno = 0;
		d = strtod(t, NULL);
		if (t != small)
			free(t);
		if (errno == ERANGE && (d > 1 || d < -1)) {
			fail(s, buf, p, "number out of range");
			return NULL;
		}
	}
	return q;
}

/* Decodes a name into a buffer of its raw length when it has escapes. */
static const char *
keybytes(const struct scan_key *k, char *small, size_t smallsz, char **heap,
    size_t *len)
{
	char *d;

	if (!k->esc) {
		*len = k->len;
		return k->name;
	}
	d = k->len <= smallsz ? small : (*heap = xmalloc(k->len));
	*len = scan_unescape(k->name, k->len, d);
	return d;
}

static int
keyeq(const struct scan_key *a, const struct scan_key *b)
{
	char sa[128], sb[128], *ha = NULL, *hb = NULL;
	const char *da, *db;
	size_t la, lb;
	int eq;

	if (!a->esc && !b->esc)
		return a->len == b->len && memcmp(a->name, b->name, a->len) == 0;
	da = keybytes(a, sa, sizeof(sa), &ha, &la);
	db = keybytes(b, sb, sizeof(sb), &hb, &lb);
	eq = la == lb && memcmp(da, db, la) == 0;
	free(ha);
	free(hb);
	return eq;
}

/*
 * The signature of the decoded name d[0..len): its length (the low byte),
 * first, middle and last byte.  The middle byte keeps apart the names that
 * agree on the rest, as "type" and "time" do in every CloudEvent.
 */
static inline uint32_t
sigof(const char *d, size_t len)
{
	if (len == 0)
		return 0;
	return (uint32_t)(len & 0xff) |
	    (uint32_t)(unsigned char)d[len / 2] << 8 |
	    (uint32_t)(unsigned char)d[0] << 16 |
	    (uint32_t)(unsigned char)d[len - 1] << 24;
}

static inline uint32_t
keysig(const struct scan_key *k)
{
	char small[128], *heap = NULL;
	const char *d;
	size_t len;
	uint32_t sig;

	if (!k->esc)
		return sigof(k->name, k->len);
	d = keybytes(k, small, sizeof(small), &heap, &len);
	sig = sigof(d, len);
	free(heap);
	return sig;
}

/* The bit of a small object's Bloom filter (64 bits) a signature sets. */
static inline uint64_t
sigbit(uint32_t sig)
{
	return 1ULL << (sig * 0x9e3779b1u >> 26);
}

static uint32_t
keyhash(const struct scan_key *k)
{
	char small[128], *heap = NULL;
	const char *d;
	uint32_t h = 2166136261u;
	size_t len, i;

	d = keybytes(k, small, sizeof(small), &heap, &len);
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)d[i]) * 16777619u;
	free(heap);
	return h;
}

static int
keycmp(const void *x, const void *y)
{
	const struct scan_key *a = x, *b = y;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return a->name < b->name ? -1 : a->name > b->name;
}

/*
 * Checks the names of the object that is closing for duplicates: pairwise
 * for a few names, by sorting on the hash for many, so that a huge object
 * costs n log n and not n squared.  Inlined into both scanners, as into the
 * one there was: each event closes a few objects.
 */
static inline __attribute__((always_inline)) int
dupcheck(struct scanner *s, const char *buf, size_t base)
{
	struct scan_key *k = s->keys + base;
	size_t n = s->nkeys - base, i, j;
	const struct scan_key *a;

	if (n <= 16) {
		/* A name is compared with those before it only when its
		 * signature's bit is taken: once in a while, not n^2/2. */
		uint64_t seen = 0, bit;

		for (i = 0; i < n; i++) {
			bit = sigbit(k[i].sig);
			if (seen & bit)
				for (j = 0; j < i; j++)
					if (k[i].sig == k[j].sig &&
					    keyeq(&k[i], &k[j]))
						goto dup;
			seen |= bit;
		}
		return 0;
	}
	for (i = 0; i < n; i++)
		k[i].hash = keyhash(&k[i]);
	qsort(k, n, sizeof(*k), keycmp);
	for (i = 0; i + 1 < n; i++)
		for (j = i + 1; j < n && k[j].hash == k[i].hash; j++)
			if (keyeq(&k[i], &k[j])) {
				i = j;	/* k[j] is the later one: sorted */
				goto dup;
			}
	return 0;
dup:
	a = &k[i];
	snprintf(s->errbuf, sizeof(s->errbuf),
	    "duplicate member name \"%.*s\"",
	    a->len > 40 ? 40 : (int)a->len, a->name);
	return fail(s, buf, a->name - 1, s->errbuf);
}

/* Doubles the room for members: the rare path of newmember. */
static void
growmembers(struct scanner *s)
{
	s->mcap = s->mcap ? s->mcap * 2 : 32;
	s->m = xrealloc(s->m, s->mcap * sizeof(*s->m));
}

/* The next member, emptied.  Inline: every member of every event. */
static inline struct scan_member *
newmember(struct scanner *s)
{
	struct scan_member *m;

	if (s->nm == s->mcap)
		growmembers(s);
	m = &s->m[s->nm++];
	m->name = NULL;
	m->namelen = 0;
	m->type = m->nameesc = m->valesc = m->isint = 0;
	return m;
}

/*
 * The reference scanner: byte by byte, a goto for each state of the
 * grammar.  It gives every error, and it is what the two stages are held
 * to.
 */
static int
reference(struct scanner *s, const char *buf, size_t len)
{
	const char *p, *end = buf + len, *q;
	struct scan_member *cur = NULL;
	struct scan_key *k;
	size_t depth = 0;
	uint8_t esc, isint;
	int t;

	s->nm = 0;
	s->nkeys = 0;
	s->err = NULL;
	s->type = SCAN_NONE;
	s->deepest = 0;
	p = skipws(buf, end);
	s->val = p;
value:
	if (depth + 1 > SCAN_MAXDEPTH)
		return fail(s, buf, p, "nested deeper than 2048 levels");
	/* Without a branch: it grows by one level at a time. */
	s->deepest += depth + 1 > s->deepest;
	if (p >= end)
		return fail(s, buf, p, "unexpected end of input, a value "
		    "expected");
	if (depth == 1) {
		if (s->kind[1] == K_ARR) {
			cur = newmember(s);
			cur->start = p;
		}
		cur->val = p;
	}
	switch (*p) {
	case '{':
		t = SCAN_OBJECT;
		break;
	case '[':
		t = SCAN_ARRAY;
		break;
	case '"':
		t = SCAN_STRING;
		break;
	case 't':
		t = SCAN_TRUE;
		break;
	case 'f':
		t = SCAN_FALSE;
		break;
	case 'n':
		t = SCAN_NULL;
		break;
	default:
		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			t = SCAN_NUMBER;
			break;
		}
		return failc(s, buf, p, end, "a value expected");
	}
	if (depth == 0)
		s->type = t;
	else if (depth == 1)
		cur->type = (uint8_t)t;
	switch (t) {
	case SCAN_OBJECT:
		s->kind[++depth] = K_OBJ;
		s->keybase[depth] = s->nkeys;
		p = skipws(p + 1, end);
		if (p < end && *p == '}') {
			p++;
			depth--;
			goto after;
		}
		goto key;
	case SCAN_ARRAY:
		s->kind[++depth] = K_ARR;
		p = skipws(p + 1, end);
		if (p < end && *p == ']') {
			p++;
			depth--;
			goto after;
		}
		goto value;
	case SCAN_STRING:
		esc = 0;
		if ((q = scanstr(s, buf, p + 1, end, &esc)) == NULL)
			return -1;
		if (depth == 1)
			cur->valesc = esc;
		p = q;
		goto after;
	case SCAN_NUMBER:
		if ((q = scannum(s, buf, p, end, &isint)) == NULL)
			return -1;
		if (depth == 1)
			cur->isint = isint;
		p = q;
		goto after;
	case SCAN_TRUE:
		if (end - p < 4 || memcmp(p, "true", 4) != 0)
			return failc(s, buf, p, end, "a value expected");
		p += 4;
		goto after;
	case SCAN_FALSE:
		if (end - p < 5 || memcmp(p, "false", 5) != 0)
			return failc(s, buf, p, end, "a value expected");
		p += 5;
		goto after;
	default:
		if (end - p < 4 || memcmp(p, "null", 4) != 0)
			return failc(s, buf, p, end, "a value expected");
		p += 4;
		goto after;
	}
key:
	if (p >= end || *p != '"')
		return failc(s, buf, p, end, "a member name expected");
	esc = 0;
	if ((q = scanstr(s, buf, p + 1, end, &esc)) == NULL)
		return -1;
	if (s->nkeys == s->keycap) {
		s->keycap = s->keycap ? s->keycap * 2 : 64;
		s->keys = xrealloc(s->keys, s->keycap * sizeof(*s->keys));
	}
	k = &s->keys[s->nkeys++];
	k->name = p + 1;
	k->len = (uint32_t)(q - 1 - (p + 1));
	k->esc = esc;
	k->sig = keysig(k);
	if (depth == 1) {
		cur = newmember(s);
		cur->start = p;
		cur->name = p + 1;
		cur->namelen = k->len;
		cur->nameesc = esc;
	}
	/* Compact JSON first: "name":value with no blanks between. */
	if (q < end && *q == ':' && q + 1 < end && !wscls[(unsigned char)q[1]]) {
		p = q + 1;
		goto value;
	}
	p = skipws(q, end);
	if (p >= end || *p != ':')
		return failc(s, buf, p, end, "':' expected");
	p = skipws(p + 1, end);
	goto value;
after:
	if (depth == 1)
		cur->vallen = (size_t)(p - cur->val);
	else if (depth == 0) {
		s->vallen = (size_t)(p - s->val);
		p = skipws(p, end);
		if (p < end)
			return failc(s, buf, p, end, "end of input expected");
		return s->type;
	}
	p = skipws(p, end);
	if (s->kind[depth] == K_OBJ) {
		if (p < end && *p == ',') {
			p++;
			if (p < end && *p == '"')
				goto key;
			p = skipws(p, end);
			goto key;
		}
		if (p < end && *p == '}') {
			if (s->nkeys - s->keybase[depth] > 1 &&
			    dupcheck(s, buf, s->keybase[depth]) == -1)
				return -1;
			s->nkeys = s->keybase[depth];
			p++;
			depth--;
			goto after;
		}
		return failc(s, buf, p, end, "',' or '}' expected");
	}
	if (p < end && *p == ',') {
		p = skipws(p + 1, end);
		goto value;
	}
	if (p < end && *p == ']') {
		p++;
		depth--;
		goto after;
	}
	return failc(s, buf, p, end, "',' or ']' expected");
}

/*
 * The next position of stage 1 into x, from the bits of block blk, bits:
 * the lowest bit left, after the blocks that have none.  Without one, the
 * input ends where the grammar needs more: not sure.
 */
#define NEXT(x) do { \
	while (bits == 0) { \
		if (++blk >= nb) \
			return -1; \
		bits = s->s1bits[blk]; \
	} \
	(x) = blk << 6 | (size_t)__builtin_ctzll(bits); \
	bits &= bits - 1; \
} while (0)

/* The next position must be p: what lies before it the grammar has read. */
#define AT(p) do { \
	NEXT(x); \
	if (buf + x != (p)) \
		return -1; \
} while (0)

/*
 * Stage 2: the reference's grammar, over stage 1's positions instead of
 * every byte, filling s as the reference does.  Returns the type of the
 * value, or -1 when not sure (the input may be invalid, or hold what only
 * the reference checks): then s holds nothing to trust and the reference
 * scans again.  Its errors are never reported.  What the reference keeps
 * in s is kept in locals here, and stored at the end: the members' bytes
 * are written through char pointers, which may alias s, so the compiler
 * would load s's fields again after each.
 */
static int
twostage(struct scanner *s, const char *buf, size_t len, int path)
{
	const char *p, *end = buf + len, *q;
	struct scan_member *cur = NULL, *m = s->m;
	struct scan_key *k, *keys = s->keys;
	unsigned char *kind = s->kind;
	size_t depth = 0, nb = (len + 63) / 64, blk = 0, x, nm = 0, nkeys = 0;
	size_t deepest = 0;
	uint64_t bits;
	uint8_t esc, isint;
	int t, type = SCAN_NONE;

	if (nb > s->s1cap) {
		free(s->s1bits);
		s->s1cap = nb > 64 ? nb : 64;
		s->s1bits = xmalloc(s->s1cap * sizeof(*s->s1bits));
	}
	if (len == 0 || s1_run(buf, len, s->s1bits, path) == -1)
		return -1;
	bits = s->s1bits[0];
	p = skipws(buf, end);
	s->val = p;
	AT(p);
value:
	if (depth + 1 > SCAN_MAXDEPTH)
		return -1;
	deepest += depth + 1 > deepest;
	if (depth == 1) {
		if (kind[1] == K_ARR) {
			if (nm == s->mcap) {
				growmembers(s);
				m = s->m;
			}
			cur = &m[nm++];
			cur->name = NULL;
			cur->namelen = 0;
			cur->nameesc = cur->valesc = cur->isint = 0;
			cur->start = p;
		}
		cur->val = p;
	}
	/* One switch on the byte, not the reference's two. */
#define TYPE(v) do { \
	t = (v); \
	if (depth == 0) \
		type = t; \
	else if (depth == 1) \
		cur->type = (uint8_t)t; \
} while (0)
	switch (*p) {
	case '"':
		TYPE(SCAN_STRING);
		esc = 0;
		NEXT(x);
		if (buf[x] != '"')
			goto escstr;
		q = buf + x + 1;
	valstr:
		if (depth == 1)
			cur->valesc = esc;
		p = q;
		goto after;
	case '{':
		TYPE(SCAN_OBJECT);
		kind[++depth] = K_OBJ;
		s->keybase[depth] = nkeys;
		p = skipws(p + 1, end);
		if (p < end && *p == '}') {
			AT(p);
			p++;
			depth--;
			goto after;
		}
		goto key;
	case '[':
		TYPE(SCAN_ARRAY);
		kind[++depth] = K_ARR;
		p = skipws(p + 1, end);
		if (p < end && *p == ']') {
			AT(p);
			p++;
			depth--;
			goto after;
		}
		AT(p);
		goto value;
	case 't':
		TYPE(SCAN_TRUE);
		if (end - p < 4 || memcmp(p, "true", 4) != 0)
			return -1;
		p += 4;
		goto after;
	case 'f':
		TYPE(SCAN_FALSE);
		if (end - p < 5 || memcmp(p, "false", 5) != 0)
			return -1;
		p += 5;
		goto after;
	case 'n':
		TYPE(SCAN_NULL);
		if (end - p < 4 || memcmp(p, "null", 4) != 0)
			return -1;
		p += 4;
		goto after;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		TYPE(SCAN_NUMBER);
		if ((q = scannum(s, buf, p, end, &isint)) == NULL)
			return -1;
		if (depth == 1)
			cur->isint = isint;
		p = q;
		goto after;
	default:
		return -1;
	}
#undef TYPE
escstr:
	/*
	 * A backslash: the reference's rule checks the string, escapes and
	 * all, and stage 2 goes on after the closing quote it found, which
	 * must be one of stage 1's positions.  (On a string it accepts, its
	 * escapes are stage 1's, so it is.)  t says whether a name or a value.
	 */
	if ((q = scanstr(s, buf, p + 1, end, &esc)) == NULL)
		return -1;
	x = (size_t)(q - 1 - buf);
	blk = x >> 6;
	bits = s->s1bits[blk];
	if ((bits >> (x & 63) & 1) == 0)
		return -1;
	bits &= ~0ULL << (x & 63) << 1;
	if (t == SCAN_STRING)
		goto valstr;
	goto name;
key:
	if (p >= end || *p != '"')
		return -1;
	AT(p);
	esc = 0;
	NEXT(x);
	if (buf[x] != '"') {
		t = SCAN_NONE;
		goto escstr;
	}
	q = buf + x + 1;
name:
	if (nkeys == s->keycap) {
		s->keycap = s->keycap ? s->keycap * 2 : 64;
		s->keys = keys = xrealloc(keys, s->keycap * sizeof(*keys));
	}
	k = &keys[nkeys++];
	k->name = p + 1;
	k->len = (uint32_t)(q - 1 - (p + 1));
	k->esc = esc;
	k->sig = esc ? keysig(k) : sigof(k->name, k->len);
	if (depth == 1) {
		if (nm == s->mcap) {
			growmembers(s);
			m = s->m;
		}
		cur = &m[nm++];
		cur->type = cur->valesc = cur->isint = 0;
		cur->start = p;
		cur->name = p + 1;
		cur->namelen = k->len;
		cur->nameesc = esc;
	}
	/* Compact JSON first: "name":value with no blanks between. */
	if (q < end && *q == ':')
		p = q + 1;
	else {
		p = skipws(q, end);
		if (p >= end || *p != ':')
			return -1;
		p++;
	}
	if (p < end && wscls[(unsigned char)*p])
		p = skipws(p, end);
	AT(p);
	goto value;
after:
	if (depth == 1)
		cur->vallen = (size_t)(p - cur->val);
	else if (depth == 0) {
		/* Nothing after the value but blanks, which hold no
		 * position. */
		if (skipws(p, end) != end)
			return -1;
		s->vallen = (size_t)(p - s->val);
		s->type = type;
		s->deepest = deepest;
		s->nm = nm;
		s->nkeys = nkeys;
		s->err = NULL;
		return type;
	}
	if (p < end && wscls[(unsigned char)*p])
		p = skipws(p, end);
	if (p >= end)
		return -1;
	if (*p == ',') {
		p++;
		if (p < end && wscls[(unsigned char)*p])
			p = skipws(p, end);
		if (kind[depth] == K_OBJ)
			goto key;
		AT(p);
		goto value;
	}
	AT(p);
	if (kind[depth] == K_OBJ) {
		if (*p != '}')
			return -1;
		s->nkeys = nkeys;
		if (nkeys - s->keybase[depth] > 1 &&
		    dupcheck(s, buf, s->keybase[depth]) == -1)
			return -1;
		nkeys = s->keybase[depth];
	} else if (*p != ']')
		return -1;
	p++;
	depth--;
	goto after;
}

/* The two stages on path, or the reference when they are not sure. */
static inline int
scan(struct scanner *s, const char *buf, size_t len, int path)
{
	size_t erroff = s->erroff;
	int t;

	if (path != SCAN_REFERENCE && len < S1_MAXLEN &&
	    (t = twostage(s, buf, len, path)) >= 0) {
		s->fast = 1;
		return t;
	}
	/* As if the two stages never ran: the reference leaves erroff
	 * alone when it accepts. */
	s->erroff = erroff;
	s->fast = 0;
	return reference(s, buf, len);
}

int
scan_json(struct scanner *s, const char *buf, size_t len)
{
	return scan(s, buf, len, jsonpath);
}

int
scan_json_path(struct scanner *s, const char *buf, size_t len, int path)
{
	if (!scan_has_path(path))
		path = scan_path();
	return scan(s, buf, len, path);
}

size_t
scan_unescape(const char *raw, size_t len, char *out)
{
	const char *p = raw, *end = raw + len;
	char *o = out;
	uint32_t cp, lo;

	while (p < end) {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		switch (p[1]) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			cp = (uint32_t)hex4(p + 2, end);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				lo = (uint32_t)hex4(p + 8, end);
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			o += pututf8(o, cp);
			p += 6;
			continue;
		default: *o++ = p[1]; break;
		}
		p += 2;
	}
	return (size_t)(o - out);
}

size_t
scan_compact(const char *src, size_t len, char *out)
{
	const char *p = src, *end = src + len;
	char *o = out;

	while (p < end) {
		if (*p == '"') {
			*o++ = *p++;
			while (*p != '"') {
				if (*p == '\\')
					*o++ = *p++;
				*o++ = *p++;
			}
			*o++ = *p++;
		} else if (wscls[(unsigned char)*p])
			p++;
		else
			*o++ = *p++;
	}
	return (size_t)(o - out);
}

int
scan_name_esc_is(const struct scan_member *m, const char *lit)
{
	size_t n = strlen(lit), dl;
	char tmp[256];

	/* An escaped name decodes to at most its raw length. */
	if (m->namelen > sizeof(tmp))
		return 0;
	dl = scan_unescape(m->name, m->namelen, tmp);
	return dl == n && memcmp(tmp, lit, n) == 0;
}

int
scan_typeof(const char *p)
{
	switch (*p) {
	case '{': return SCAN_OBJECT;
	case '[': return SCAN_ARRAY;
	case '"': return SCAN_STRING;
	case 't': return SCAN_TRUE;
	case 'f': return SCAN_FALSE;
	case 'n': return SCAN_NULL;
	default: return SCAN_NUMBER;
	}
}

/* Skips the rest of a validated string whose opening quote is before p. */
static const char *
skipstr(const char *p, const char *end)
{
	for (;;) {
		p = skipplain(p, end);
		if (*p == '"')
			return p + 1;
		p += *p == '\\' ? 2 : 1;
	}
}

/* Skips one validated value at p; returns the byte after it. */
static const char *
skipval(const char *p, const char *end)
{
	size_t depth = 0;

	do {
		switch (*p) {
		case '"':
			p = skipstr(p + 1, end);
			break;
		case '{': case '[':
			depth++;
			p++;
			break;
		case '}': case ']':
			depth--;
			p++;
			break;
		default:
			if (depth == 0) {
				while (p < end && *p != ',' && *p != '}' &&
				    *p != ']' && !wscls[(unsigned char)*p])
					p++;
				return p;
			}
			p++;
			break;
		}
	} while (depth > 0 && p < end);
	return p;
}

int
scan_trusted(struct scanner *s, const char *buf, size_t len)
{
	const char *p, *end = buf + len, *q;
	struct scan_member *m;

	s->nm = 0;
	s->err = NULL;
	s->type = SCAN_NONE;
	p = skipws(buf, end);
	s->val = p;
	if (p >= end || *p != '{')
		return fail(s, buf, p, "not an object");
	p = skipws(p + 1, end);
	while (p < end && *p == '"') {
		m = newmember(s);
		m->start = p;
		m->name = p + 1;
		q = skipstr(p + 1, end);
		m->namelen = (size_t)(q - 1 - m->name);
		m->nameesc = memchr(m->name, '\\', m->namelen) != NULL;
		p = skipws(skipws(q, end) + 1, end);	/* past ':' */
		m->val = p;
		m->type = (uint8_t)scan_typeof(p);
		p = skipval(p, end);
		m->vallen = (size_t)(p - m->val);
		if (m->type == SCAN_STRING)
			m->valesc = memchr(m->val, '\\', m->vallen) != NULL;
		else if (m->type == SCAN_NUMBER)
			m->isint = memchr(m->val, '.', m->vallen) == NULL &&
			    memchr(m->val, 'e', m->vallen) == NULL &&
			    memchr(m->val, 'E', m->vallen) == NULL;
		p = skipws(p, end);
		if (p < end && *p == ',')
			p = skipws(p + 1, end);
	}
	if (p < end && *p == '}')
		p++;
	s->vallen = (size_t)(p - s->val);
	s->type = SCAN_OBJECT;
	s->deepest = 1;
	return SCAN_OBJECT;
}

static int
span(const char *p, const char *end, struct jspan *out)
{
	out->p = p;
	out->len = (size_t)(skipval(p, end) - p);
	out->type = scan_typeof(p);
	return 1;
}

int
scan_get(const char *obj, size_t len, const char *key, size_t klen,
    struct jspan *out)
{
	const char *p = obj, *end = obj + len, *name, *q;
	struct scan_key a, b;

	if (len == 0 || *p != '{')
		return 0;
	p = skipws(p + 1, end);
	b.name = key;
	b.len = (uint32_t)klen;
	b.esc = 0;
	while (p < end && *p == '"') {
		name = p + 1;
		q = skipstr(name, end);
		a.name = name;
		a.len = (uint32_t)(q - 1 - name);
		a.esc = memchr(name, '\\', a.len) != NULL;
		p = skipws(skipws(q, end) + 1, end);	/* past ':' */
		if ((a.esc || a.len == klen) && keyeq(&a, &b))
			return span(p, end, out);
		p = skipws(skipval(p, end), end);
		if (p < end && *p == ',')
			p = skipws(p + 1, end);
	}
	return 0;
}

int
scan_at(const char *arr, size_t len, size_t i, struct jspan *out)
{
	const char *p = arr, *end = arr + len;

	if (len == 0 || *p != '[')
		return 0;
	p = skipws(p + 1, end);
	while (p < end && *p != ']') {
		if (i-- == 0)
			return span(p, end, out);
		p = skipws(skipval(p, end), end);
		if (p < end && *p == ',')
			p = skipws(p + 1, end);
	}
	return 0;
}

const struct scan_member *
scan_find(const struct scanner *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nm; i++)
		if (scan_name_is(&s->m[i], name))
			return &s->m[i];
	return NULL;
}
