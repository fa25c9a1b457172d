/* SPDX-License-Identifier: ISC */
/*
 * scan_fuzz - a libFuzzer target that holds the scanner to the promise of
 * scan.h: it accepts exactly what jansson's json_loadb() accepts with
 * JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, but for any input holding a NUL
 * byte, which jansson takes for the end of the input and the scanner must
 * reject.  When both accept, the scanner's type, its members or elements
 * (count, names, types and value spans) and its compacted text must all
 * say what jansson's tree says.  And scan_json, on the path EVENTFUL_SCAN
 * names (scan.h), must give what the reference scanner alone gives: the
 * same type, value span, depth and members, field by field, or the same
 * error at the same offset; and the two stages must answer every input the
 * reference accepts by themselves.  Any disagreement aborts, with the input in
 * hex.  Built by `make fuzz`, and run once for each path.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

#define FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

static struct scanner sc;	/* one scanner, reused as the programs do */
static struct scanner ref;	/* the reference scanner's */
static const uint8_t *in;	/* the input, for the report */
static size_t insize;		/* its length */

static void fail(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Reports a disagreement with the input that caused it, then aborts. */
static void
fail(const char *fmt, ...)
{
	va_list ap;
	size_t i;

	fputs("scan_fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ninput (%zu bytes):", insize);
	for (i = 0; i < insize; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n", in[i]);
	fputc('\n', stderr);
	abort();
}

/*
 * Tells whether j has the scanner's type st.  isint is the member's flag:
 * jansson makes an integer of exactly the numbers with no fraction and no
 * exponent.  -1 (the top-level value, which has no flag) takes either.
 */
static int
same_type(int st, const json_t *j, int isint)
{
	switch (st) {
	case SCAN_OBJECT: return json_is_object(j);
	case SCAN_ARRAY: return json_is_array(j);
	case SCAN_STRING: return json_is_string(j);
	case SCAN_NUMBER: return isint < 0 ? json_is_number(j) : isint ?
	    json_is_integer(j) : json_is_real(j);
	case SCAN_TRUE: return json_is_true(j);
	case SCAN_FALSE: return json_is_false(j);
	case SCAN_NULL: return json_is_null(j);
	}
	return 0;
}

/* Member or element i's value span must load as want, and be typed so. */
static void
member(size_t i, const json_t *want)
{
	const struct scan_member *m = &sc.m[i];
	json_error_t e;
	json_t *got;

	if (want == NULL)
		fail("member %zu: jansson has no such member", i);
	if (!same_type(m->type, want, m->isint))
		fail("member %zu: scanner type %d, isint %d, jansson type %d",
		    i, m->type, m->isint, json_typeof(want));
	if (m->vallen == 0 || m->val < (const char *)in ||
	    m->val + m->vallen > (const char *)in + insize)
		fail("member %zu: value span outside the input", i);
	got = json_loadb(m->val, m->vallen, FLAGS, &e);
	if (got == NULL)
		fail("member %zu: jansson rejects the value span: %s", i,
		    e.text);
	if (!json_equal(got, want))
		fail("member %zu: the value span is not jansson's value", i);
	json_decref(got);
}

static void
members(const json_t *j)
{
	const struct scan_member *m;
	char *name;
	size_t i, n;

	n = json_is_object(j) ? json_object_size(j) : json_array_size(j);
	if (sc.nm != n)
		fail("scanner counts %zu members, jansson %zu", sc.nm, n);
	for (i = 0; i < sc.nm; i++) {
		m = &sc.m[i];
		if (json_is_array(j)) {
			member(i, json_array_get(j, i));
			continue;
		}
		name = malloc(m->namelen + 1);
		if (name == NULL)
			abort();
		n = scan_unescape(m->name, m->namelen, name);
		member(i, json_object_getn(j, name, n));
		free(name);
	}
}

/* The compacted text must load as the same value. */
static void
compact(const json_t *j)
{
	json_error_t e;
	json_t *got;
	size_t n;
	char *out;

	out = malloc(sc.vallen);
	if (out == NULL)
		abort();
	n = scan_compact(sc.val, sc.vallen, out);
	if (n > sc.vallen)
		fail("scan_compact wrote %zu bytes of %zu", n, sc.vallen);
	got = json_loadb(out, n, FLAGS, &e);
	if (got == NULL)
		fail("jansson rejects the compacted text \"%.*s\": %s",
		    (int)(n > 200 ? 200 : n), out, e.text);
	if (!json_equal(got, j))
		fail("the compacted text \"%.*s\" is another value",
		    (int)(n > 200 ? 200 : n), out);
	json_decref(got);
	free(out);
}

/* scan_trusted must find in an accepted object what scan_json found. */
static void
trusted(void)
{
	static struct scanner t;
	static int tready;
	size_t i;

	if (!tready) {
		scan_init(&t);
		tready = 1;
	}
	if (scan_trusted(&t, (const char *)in, insize) != SCAN_OBJECT)
		fail("scan_trusted refuses an object");
	if (t.nm != sc.nm || t.val != sc.val || t.vallen != sc.vallen)
		fail("scan_trusted: %zu members, scan_json %zu", t.nm, sc.nm);
	for (i = 0; i < sc.nm; i++) {
		const struct scan_member *a = &sc.m[i], *b = &t.m[i];

		if (a->start != b->start || a->name != b->name ||
		    a->namelen != b->namelen || a->val != b->val ||
		    a->vallen != b->vallen || a->type != b->type ||
		    a->nameesc != b->nameesc || a->valesc != b->valesc ||
		    (a->type == SCAN_NUMBER && a->isint != b->isint))
			fail("scan_trusted: member %zu differs", i);
	}
}

/*
 * scan_json's answer t (on the path under test) must be the reference's,
 * which scans the input again into ref.
 */
static void
reference(int t)
{
	const struct scan_member *a, *b;
	int r;
	size_t i;

	r = scan_json_path(&ref, (const char *)in, insize, SCAN_REFERENCE);
	if (t != r)
		fail("path %d answers %d, the reference %d (%s at %zu)",
		    scan_path(), t, r, r < 0 ? ref.err : sc.err,
		    r < 0 ? ref.erroff : sc.erroff);
	if (t < 0) {
		if (strcmp(sc.err, ref.err) != 0 || sc.erroff != ref.erroff)
			fail("path %d: \"%s\" at %zu, the reference \"%s\" "
			    "at %zu", scan_path(), sc.err, sc.erroff, ref.err,
			    ref.erroff);
		return;
	}
	/* The two stages must be sure of what the reference accepts (no
	 * input here is as long as S1_MAXLEN), or they would cost a second
	 * scan for nothing. */
	if (scan_path() != SCAN_REFERENCE && !sc.fast)
		fail("path %d: the two stages are not sure of a valid input",
		    scan_path());
	if (sc.type != ref.type || sc.val != ref.val ||
	    sc.vallen != ref.vallen || sc.deepest != ref.deepest ||
	    sc.nm != ref.nm || sc.err != NULL)
		fail("path %d: value or member count differs from the "
		    "reference's", scan_path());
	for (i = 0; i < sc.nm; i++) {
		a = &sc.m[i];
		b = &ref.m[i];
		if (a->start != b->start || a->name != b->name ||
		    a->namelen != b->namelen || a->val != b->val ||
		    a->vallen != b->vallen || a->type != b->type ||
		    a->nameesc != b->nameesc || a->valesc != b->valesc ||
		    a->isint != b->isint)
			fail("path %d: member %zu differs from the reference's",
			    scan_path(), i);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	json_error_t e;
	json_t *j;
	int t;

	if (!ready) {
		scan_init(&sc);
		scan_init(&ref);
		fprintf(stderr, "scan_fuzz: path %d\n", scan_path());
		ready = 1;
	}
	in = data;
	insize = size;
	t = scan_json(&sc, (const char *)data, size);
	reference(t);
	/* jansson stops at a NUL byte; the scanner must refuse it. */
	if (memchr(data, '\0', size) != NULL) {
		if (t >= 0)
			fail("scanner accepts an input holding a NUL byte");
		return 0;
	}
	j = json_loadb((const char *)data, size, FLAGS, &e);
	if (t >= 0 && j == NULL)
		fail("scanner accepts, jansson rejects: %s at %d", e.text,
		    e.position);
	if (t < 0 && j != NULL)
		fail("scanner rejects (%s at %zu), jansson accepts", sc.err,
		    sc.erroff);
	if (j == NULL)
		return 0;
	if (!same_type(t, j, -1))
		fail("scanner type %d, jansson type %d", t, json_typeof(j));
	if (sc.val < (const char *)data || sc.vallen == 0 ||
	    sc.val + sc.vallen > (const char *)data + size)
		fail("value span outside the input");
	if (t == SCAN_OBJECT || t == SCAN_ARRAY)
		members(j);
	if (t == SCAN_OBJECT)
		trusted();
	compact(j);
	json_decref(j);
	return 0;
}
