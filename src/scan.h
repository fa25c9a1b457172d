/* SPDX-License-Identifier: ISC */
/*
 * scan.h - a strict, validating JSON scanner that builds no tree.
 *
 * scan_json() checks that a buffer holds exactly one JSON value (RFC 8259)
 * with optional surrounding whitespace, and records where the members of a
 * top-level object (or the elements of a top-level array) are, as spans of
 * the caller's buffer.  It accepts exactly what jansson's json_loadb()
 * accepts with JSON_DECODE_ANY | JSON_REJECT_DUPLICATES: valid UTF-8 only,
 * no "\u0000", no lone surrogates, no duplicate member names at any depth,
 * integers within 64 bits, reals within double range, at most 2048 levels
 * of nesting.  tests/unit and tests/fuzz hold the two to that promise.
 * One difference is on purpose: jansson takes a NUL byte for the end of
 * the input, the scanner rejects it.
 *
 * There are two scanners, which give the same answers.  The reference
 * scans byte by byte (strings 16 bytes at a time with SSE2) and gives every
 * error.  The other works in two stages, as simdjson does: stage 1 reads 64
 * bytes at a time with vector instructions, finds the strings, checks what
 * needs no grammar (controls, UTF-8) and marks the positions of the
 * structural bytes; stage 2 runs the grammar over those positions.  When
 * stage 2 is not sure (an input it finds invalid, or deeper than it takes)
 * the reference scans the input again and gives the answer: so the errors,
 * their text and their offset, are always the reference's, and whatever
 * the two stages accept the reference accepts alike (tests/unit and
 * tests/fuzz hold each path to the reference, field by field).  Stage 1
 * takes one of three paths: AVX2, SSE2, or plain C (the one there is on
 * machines other than x86).
 *
 * scan_json takes the reference unless EVENTFUL_SCAN, read by the first
 * scan_init, names a path: avx2, sse2 or scalar (the two stages) or
 * reference; a value that is none of these, or a path the CPU lacks, leaves
 * the reference.  The reference is the default because it is the fastest
 * on CloudEvents: in December 2026, on an AMD EPYC (AVX2), a 468-byte event
 * of bench/gen took it 291 ns, the two stages 332 ns with AVX2, 409 with
 * SSE2, 814 in plain C.  Its string loop is short already; what an event
 * costs is the grammar's work on its 50 or so tokens (the names, their
 * signatures for the duplicate check, the members), which both do alike,
 * and stage 1 adds 70 ns on top.
 */
#ifndef EV_SCAN_H
#define EV_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SCAN_MAXDEPTH 2048	/* jansson's JSON_PARSER_MAX_DEPTH */

enum scan_type {
	SCAN_NONE = 0,
	SCAN_OBJECT,
	SCAN_ARRAY,
	SCAN_STRING,
	SCAN_NUMBER,
	SCAN_TRUE,
	SCAN_FALSE,
	SCAN_NULL
};

/* One member of the top-level object, or one element of a top-level array. */
struct scan_member {
	const char *start;	/* the opening quote of the name (or the value) */
	const char *name;	/* the name's bytes, without quotes, raw */
	size_t namelen;		/* length of name */
	const char *val;	/* the value's first byte */
	size_t vallen;		/* length of the value's bytes */
	uint8_t type;		/* enum scan_type of the value */
	uint8_t nameesc;	/* the name holds a backslash escape */
	uint8_t valesc;		/* a string value holds a backslash escape */
	uint8_t isint;		/* a number value has no fraction or exponent */
};

struct scan_key;

/* A scanner: scratch space reused from one call to the next. */
struct scanner {
	struct scan_member *m;	/* members of the last top-level container */
	size_t nm;		/* how many */
	size_t mcap;		/* allocated */
	struct scan_key *keys;	/* names of the objects now open */
	size_t nkeys;		/* how many */
	size_t keycap;		/* allocated */
	const char *val;	/* the value, trimmed of whitespace */
	size_t vallen;		/* its length */
	int type;		/* enum scan_type of the value */
	size_t deepest;		/* the deepest level a value sat at (1 for
				   the value itself) */
	size_t erroff;		/* on error: byte offset of the fault */
	const char *err;	/* on error: what is wrong */
	char errbuf[96];	/* room for err when it needs formatting */
	unsigned char *kind;	/* kind of each open container, by depth */
	size_t *keybase;	/* where each open object's names start */
	uint64_t *s1bits;	/* stage 1's positions, a word a block
				   (scan_int.h) */
	size_t s1cap;		/* words allocated */
	int fast;		/* the last scan_json's answer came from the
				   two stages, not the reference (for tests) */
};

/* The paths of scan_json: the reference alone, or the two stages with
 * one of stage 1's three. */
enum scan_path {
	SCAN_REFERENCE = 0,	/* the byte-at-a-time scanner only */
	SCAN_SCALAR,		/* stage 1 in plain C */
	SCAN_SSE2,		/* stage 1 with SSE2, 16 bytes a step */
	SCAN_AVX2		/* stage 1 with AVX2, 32 bytes a step */
};

void scan_init(struct scanner *);
void scan_free(struct scanner *);

/*
 * Validates buf[0..len).  Returns the type of the value, or -1 with
 * s->err and s->erroff set.  When the value is an object or an array,
 * s->m[0..nm) are its members or elements, in order.
 */
int scan_json(struct scanner *s, const char *buf, size_t len);

/*
 * scan_json on the given path (enum scan_path), for the tests and the
 * benchmarks; a path this CPU lacks takes scan_json's.  scan_path() is the
 * path scan_json takes, and scan_has_path() tells whether this CPU can
 * take one.
 */
int scan_json_path(struct scanner *s, const char *buf, size_t len, int path);
int scan_path(void);
int scan_has_path(int path);

/*
 * For a buffer that scan_json accepted before (a line this process checked
 * and wrote): records the members of its top-level object as scan_json
 * would, without checking anything again.  Returns SCAN_OBJECT, or -1
 * when the value is not an object.
 */
int scan_trusted(struct scanner *s, const char *buf, size_t len);

/*
 * Decodes the raw bytes of a validated JSON string (between the quotes)
 * into out, which must have room for len bytes.  Returns the length.
 */
size_t scan_unescape(const char *raw, size_t len, char *out);

/*
 * Copies a validated JSON text to out without insignificant whitespace.
 * out must have room for len bytes.  Returns the length written.
 */
size_t scan_compact(const char *src, size_t len, char *out);

/* A value inside a validated JSON text. */
struct jspan {
	const char *p;		/* its first byte */
	size_t len;		/* its length */
	int type;		/* enum scan_type */
};

/*
 * In the validated object obj[0..len), finds the member named key[0..klen)
 * (escapes in names decoded).  Returns 1 and its value in *out, or 0.
 */
int scan_get(const char *obj, size_t len, const char *key, size_t klen,
    struct jspan *out);

/* In the validated array arr[0..len), finds element i (from 0). */
int scan_at(const char *arr, size_t len, size_t i, struct jspan *out);

/* The type of the validated value that starts at p. */
int scan_typeof(const char *p);

/* The value of hexadecimal digit c, or -1. */
int scan_hexval(int c);

/* Returns 1 when buf[0..len) is valid UTF-8 by the rules above. */
int scan_utf8_valid(const char *buf, size_t len);

/*
 * Tells whether the member's name equals the NUL-terminated lit, decoding
 * escapes when the name holds any.  Inline, so that the length of a literal
 * is known when compiling: stamping asks it of every member of every event.
 */
int scan_name_esc_is(const struct scan_member *, const char *lit);

static inline int
scan_name_is(const struct scan_member *m, const char *lit)
{
	size_t n = strlen(lit);

	if (m->nameesc)
		return scan_name_esc_is(m, lit);
	return m->namelen == n && memcmp(m->name, lit, n) == 0;
}

/* The member of the object s scanned named name (null or not), or NULL. */
const struct scan_member *scan_find(const struct scanner *s,
    const char *name);

#endif
