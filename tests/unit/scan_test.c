/* SPDX-License-Identifier: ISC */
/*
 * scan_test - the scanner against jansson on every file of the JSON test
 * suite, and on cases written for its edges; spans, unescaping, compacting.
 * All of it on each path of scan_json (scan.h) that this CPU has, each held
 * to the reference scanner field by field; and inputs made for stage 1's
 * blocks: escapes, UTF-8 and bad bytes across the 16-, 32- and 64-byte
 * boundaries, and inputs of every length that end where their allocation
 * does (make check runs this under AddressSanitizer).
 * Usage: scan_test [DATA] (tests/data, or a copy of its layout).
 */
#include <dirent.h>
#include <jansson.h>
#include <string.h>

#include "scan.h"
#include "util.h"
#include "unit.h"

static struct scanner sc;
static struct scanner ref;	/* the reference's answers */
static int path;		/* the path under test, enum scan_path */
static const char *pathname[] = { "reference", "scalar", "sse2", "avx2" };

/*
 * scan_json on the path under test, into sc, held to the reference alone:
 * the same answer, value, depth and members, or the same error at the
 * same offset.  And the two stages must be sure of every input the
 * reference accepts (but for depth and size, none here), or they would be
 * slower than the reference for nothing.
 */
static int
scan(const char *buf, size_t len)
{
	const struct scan_member *a, *b;
	int t, r, same;
	size_t i;

	t = scan_json_path(&sc, buf, len, path);
	r = scan_json_path(&ref, buf, len, SCAN_REFERENCE);
	same = t == r;
	if (same && t < 0)
		same = strcmp(sc.err, ref.err) == 0 && sc.erroff == ref.erroff;
	else if (same)
		same = sc.type == ref.type && sc.val == ref.val &&
		    sc.vallen == ref.vallen && sc.deepest == ref.deepest &&
		    sc.nm == ref.nm && sc.err == NULL;
	for (i = 0; same && t >= 0 && i < sc.nm; i++) {
		a = &sc.m[i];
		b = &ref.m[i];
		same = a->start == b->start && a->name == b->name &&
		    a->namelen == b->namelen && a->val == b->val &&
		    a->vallen == b->vallen && a->type == b->type &&
		    a->nameesc == b->nameesc && a->valesc == b->valesc &&
		    a->isint == b->isint;
	}
	CHECKMSG(same, "%s: \"%.*s\" (%zu bytes): %d (%s), the reference "
	    "%d (%s)", pathname[path], (int)(len > 80 ? 80 : len), buf, len,
	    t, t < 0 ? sc.err : "", r, r < 0 ? ref.err : "");
	if (path != SCAN_REFERENCE && r >= 0)
		CHECKMSG(sc.fast, "%s: the two stages are not sure of "
		    "\"%.*s\"", pathname[path], (int)(len > 80 ? 80 : len),
		    buf);
	return t;
}

/*
 * Both must accept or both reject.  jansson takes a NUL byte outside a
 * string for the end of the input (n_multidigit_number_then_00 loads): the
 * scanner rejects every NUL byte, and no line holding one reaches it.
 */
static int
agree(const char *buf, size_t len, int *scanok)
{
	json_error_t e;
	json_t *j;
	int a, b;

	a = scan(buf, len) >= 0;
	*scanok = a;
	if (memchr(buf, '\0', len) != NULL)
		return !a;
	j = json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	b = j != NULL;
	json_decref(j);
	*scanok = a;
	return a == b;
}

/*
 * What scan_trusted finds in a text scan_json accepted must be what
 * scan_json found: the same members, spans and flags.
 */
static void
trusted(const char *buf, size_t len, const char *what)
{
	struct scanner t;
	size_t i;
	int same;

	if (scan(buf, len) != SCAN_OBJECT)
		return;
	scan_init(&t);
	CHECKMSG(scan_trusted(&t, buf, len) == SCAN_OBJECT, "%s", what);
	same = t.nm == sc.nm && t.val == sc.val && t.vallen == sc.vallen;
	for (i = 0; same && i < sc.nm; i++) {
		const struct scan_member *a = &sc.m[i], *b = &t.m[i];

		same = a->start == b->start && a->name == b->name &&
		    a->namelen == b->namelen && a->val == b->val &&
		    a->vallen == b->vallen && a->type == b->type &&
		    a->nameesc == b->nameesc && a->valesc == b->valesc &&
		    (a->type != SCAN_NUMBER || a->isint == b->isint);
	}
	CHECKMSG(same, "%s: scan_trusted differs from scan_json", what);
	scan_free(&t);
}

/* Every line of the GH Archive sample, through trusted. */
static void
archive(const char *corpus)
{
	char path[1024], *buf, *p, *nl;
	size_t len;
	int n = 0;

	snprintf(path, sizeof(path), "%s/gharchive/2021-07-21-sample.ndjson",
	    corpus);
	buf = readfile(path, 1 << 28, &len);
	CHECKMSG(buf != NULL, "%s", path);
	if (buf == NULL)
		return;
	for (p = buf; p < buf + len && (nl = memchr(p, '\n',
	    (size_t)(buf + len - p))) != NULL; p = nl + 1, n++)
		trusted(p, (size_t)(nl - p), "gharchive");
	CHECKMSG(n > 100, "%d lines", n);
	free(buf);
}

static void
suite(const char *corpus)
{
	char dir[1024], path[2048];
	struct dirent *d;
	size_t len;
	char *buf;
	DIR *dp;
	int ok, n = 0;

	snprintf(dir, sizeof(dir), "%s/json-test-suite/test_parsing", corpus);
	dp = opendir(dir);
	CHECKMSG(dp != NULL, "%s", dir);
	if (dp == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		buf = readfile(path, 1 << 24, &len);
		CHECKMSG(buf != NULL, "%s", path);
		if (buf == NULL)
			continue;
		n++;
		CHECKMSG(agree(buf, len, &ok), "%s: scanner %s, jansson not",
		    d->d_name, ok ? "accepts" : "rejects");
		if (ok)
			trusted(buf, len, d->d_name);
		/* The suite's own verdicts, but for the rejections we make
		 * on purpose: duplicate names and \u0000 (see evpub(1)). */
		if (d->d_name[0] == 'y' &&
		    strstr(d->d_name, "duplicated_key") == NULL &&
		    strcmp(d->d_name, "y_object_escaped_null_in_key.json") &&
		    strcmp(d->d_name, "y_string_null_escape.json"))
			CHECKMSG(ok, "%s must be accepted: %s at %zu",
			    d->d_name, sc.err, sc.erroff);
		if (d->d_name[0] == 'n')
			CHECKMSG(!ok, "%s must be rejected", d->d_name);
		free(buf);
	}
	closedir(dp);
	CHECKMSG(n == 318, "%d files", n);
}

static void
edges(void)
{
	static const char *cases[] = {
		"", " ", "{}", "[]", "0", "-0", "01", "-", "1.", ".5", "1e",
		"1e+", "1E5", "1.5e-3", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808",
		"-9223372036854775809", "12345678901234567890", "1e308",
		"1e309", "-1e309", "1.7976931348623157e308",
		"1.7976931348623159e308", "0.5e309", "0e999999999999",
		"1e-999999", "123.456e306", "\"\\u0000\"", "\"\\ud800\"",
		"\"\\udc00\"", "\"\\ud800\\udc00\"", "\"\\ud800\\u0041\"",
		"\"\xc0\x80\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
		"\"\xef\xbb\xbf\"", "\xef\xbb\xbf{}", "{\"a\":1,\"a\":2}",
		"{\"a\":1,\"\\u0061\":2}", "{\"a\":{\"a\":1},\"b\":{\"a\":2}}",
		"[{\"x\":1},{\"x\":1}]", "truex", "nul", "[1,]", "{\"a\"}",
		"{\"a\":}", "[1 2]", "\"\t\"", "\"\\/\"", "\"\\x\"", "{,}",
		"[\"a\"\x00]", "1 ", " 1\r\n", "[\x0c]", "\"a",
	};
	size_t i;
	int ok;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECKMSG(agree(cases[i], strlen(cases[i]), &ok),
		    "case %zu \"%s\": scanner %s", i, cases[i],
		    ok ? "accepts" : "rejects");
}

/* Nesting: 2048 levels are fine, a value at 2049 is not. */
static void
depth(void)
{
	char buf[5000];
	int n, ok;

	for (n = 2046; n <= 2050; n++) {
		memset(buf, '[', (size_t)n);
		memset(buf + n, ']', (size_t)n);
		CHECKMSG(agree(buf, 2 * (size_t)n, &ok), "depth %d", n);
		buf[n] = '1';
		memset(buf + n + 1, ']', (size_t)n);
		CHECKMSG(agree(buf, 2 * (size_t)n + 1, &ok), "depth %d+1", n);
	}
}

/*
 * Few names in one object: the check that compares a name with those before
 * it only when a bit of its signature is taken.  Every pair of places, in
 * objects of 2 to 16 names, raw and escaped, nested too.
 */
static void
narrow(void)
{
	char buf[512], name[24];
	size_t len;
	int n, i, j, x, ok;

	for (n = 2; n <= 16; n++) {
		for (i = 0; i < n; i++) {
			for (j = i + 1; j < n; j++) {
				for (x = 0; x < 2; x++) {
					len = (size_t)sprintf(buf, "{\"o\":{");
					for (int m = 0; m < n; m++) {
						/* Name j is name i, written
						 * with an escape when x. */
						if (m == j && x)
							snprintf(name, sizeof(name),
							    "\\u006e%d", i);
						else
							snprintf(name, sizeof(name),
							    "n%d", m == j ? i : m);
						len += (size_t)sprintf(buf + len,
						    "%s\"%s\":%d", m ? "," : "",
						    name, m);
					}
					len += (size_t)sprintf(buf + len, "}}");
					CHECKMSG(agree(buf, len, &ok) && !ok,
					    "%d names, %d = %d, escaped %d", n,
					    i, j, x);
					/* The later one, as written. */
					snprintf(name, sizeof(name), x ?
					    "\"\\u006e%d\"" : "\"n%d\"", i);
					CHECKMSG(sc.err != NULL &&
					    strstr(sc.err, name) != NULL,
					    "%d names, %d = %d: %s", n, i, j,
					    sc.err ? sc.err : "no error");
				}
			}
		}
		/* No two alike: accepted. */
		len = (size_t)sprintf(buf, "{");
		for (i = 0; i < n; i++)
			len += (size_t)sprintf(buf + len, "%s\"n%d\":%d",
			    i ? "," : "", i, i);
		len += (size_t)sprintf(buf + len, "}");
		CHECKMSG(agree(buf, len, &ok) && ok, "%d names", n);
	}
}

/* Many names in one object: the sorted duplicate check. */
static void
wide(void)
{
	struct buf { char *p; size_t len; } b;
	int i, ok;

	b.p = xmalloc(20 * 20000);
	b.len = 0;
	b.p[b.len++] = '{';
	for (i = 0; i < 20000; i++)
		b.len += (size_t)sprintf(b.p + b.len, "%s\"k%d\":%d",
		    i ? "," : "", i, i);
	b.p[b.len++] = '}';
	CHECK(agree(b.p, b.len, &ok) && ok);
	b.len--;
	b.len += (size_t)sprintf(b.p + b.len, ",\"k12345\":0}");
	CHECK(agree(b.p, b.len, &ok) && !ok);
	CHECK(strstr(sc.err, "duplicate member name \"k12345\"") != NULL);
	free(b.p);
}

static void
spans(void)
{
	const char *s = " {\"a\" : [1, 2] ,\"b\\n\":\"x\\u00e9\", \"c\":-1.5e3"
	    ",\"d\":7} ";
	char out[128];
	size_t n;

	CHECK(scan(s, strlen(s)) == SCAN_OBJECT);
	CHECK(sc.nm == 4);
	CHECK(sc.val == s + 1 && sc.vallen == strlen(s) - 2);
	CHECK(sc.m[0].namelen == 1 && sc.m[0].name[0] == 'a');
	CHECK(sc.m[0].type == SCAN_ARRAY && sc.m[0].vallen == 6);
	CHECK(sc.m[0].start == s + 2);
	CHECK(sc.m[1].nameesc && scan_name_is(&sc.m[1], "b\n"));
	CHECK(sc.m[1].valesc && sc.m[1].type == SCAN_STRING);
	n = scan_unescape(sc.m[1].val + 1, sc.m[1].vallen - 2, out);
	CHECK(n == 3 && memcmp(out, "x\xc3\xa9", 3) == 0);
	CHECK(sc.m[2].type == SCAN_NUMBER && !sc.m[2].isint);
	CHECK(sc.m[3].type == SCAN_NUMBER && sc.m[3].isint);
	n = scan_compact(sc.val, sc.vallen, out);
	out[n] = '\0';
	CHECK(strcmp(out, "{\"a\":[1,2],\"b\\n\":\"x\\u00e9\",\"c\":-1.5e3,"
	    "\"d\":7}") == 0);
	CHECK(scan("[1,\"a b\" , {}]", 14) == SCAN_ARRAY);
	CHECK(sc.nm == 3 && sc.m[1].vallen == 5 && sc.m[2].type == SCAN_OBJECT);
	CHECK(scan("{\"a\" 1}", 7) == -1 && sc.erroff == 5);
	CHECK(scan_utf8_valid("caf\xc3\xa9", 5));
	CHECK(!scan_utf8_valid("caf\xc3", 4));
	CHECK(!scan_utf8_valid("\xed\xa0\x80", 3));
}

/* buf[0..len) in an allocation of exactly len bytes, so that AddressSanitizer
 * and valgrind see a read past its end; through agree. */
static void
exact(const char *buf, size_t len, const char *what, size_t n)
{
	char *b = xmalloc(len > 0 ? len : 1);
	int ok;

	memcpy(b, buf, len);
	CHECKMSG(agree(b, len, &ok), "%s %zu: scanner %s, jansson not", what,
	    n, ok ? "accepts" : "rejects");
	free(b);
}

/*
 * Stage 1 reads 64 bytes at a time, 16 or 32 to a vector: each feature at
 * every offset from 0 to 140, so that it begins, ends and straddles each
 * boundary; inside a string with more after it, at the end of an open
 * string, and outside strings.
 */
static void
blocks(void)
{
	static const char *instr[] = {
		"\\u00e9", "\\ud83d\\ude00", "\\u0000", "\\ud800", "\\udc00",
		"\\x", "\\/", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
		"\x80", "\xc3x", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xf0\x9f\x98", "\xff", "\x01", "\t", "\x1f", "\x7f", "{}[]:,",
		"\xe2\x82", "\xc3",
	};
	static const char *outstr[] = {
		"1", "-0.5e+3", "true", "nul", "\t1", "\x01", "\xc3\xa9", "\"a\"",
		"{}", "1 2", "\"\\\"\"", "\\", "\\\"", "1x", "\r\n[]", "\"\\",
	};
	char buf[512], f[16];
	size_t n, i, len;
	int k;

	for (n = 0; n <= 140; n++) {
		/* Runs of 0 to 9 backslashes before a quote or a letter. */
		for (k = 0; k <= 9; k++) {
			memset(f, '\\', (size_t)k);
			f[k] = '"';
			f[k + 1] = '\0';
			len = (size_t)snprintf(buf, sizeof(buf), "[\"%*s%s\",1,"
			    "{\"a\":2}]", (int)n, "", f);
			exact(buf, len, "backslashes before a quote at", n);
			f[k] = 'x';
			len = (size_t)snprintf(buf, sizeof(buf), "[\"%*s%s\",1]",
			    (int)n, "", f);
			exact(buf, len, "backslashes before a letter at", n);
			exact(buf, len - 3, "backslashes ending an input at", n);
		}
		for (i = 0; i < sizeof(instr) / sizeof(instr[0]); i++) {
			len = (size_t)snprintf(buf, sizeof(buf), "{\"k\":\"%*s%s"
			    "\",\"j\":[true]}", (int)n, "", instr[i]);
			exact(buf, len, instr[i], n);
			len = (size_t)snprintf(buf, sizeof(buf), "\"%*s%s",
			    (int)n, "", instr[i]);
			exact(buf, len, instr[i], n);
		}
		for (i = 0; i < sizeof(outstr) / sizeof(outstr[0]); i++) {
			len = (size_t)snprintf(buf, sizeof(buf), "[%*s%s,0]",
			    (int)n, "", outstr[i]);
			exact(buf, len, outstr[i], n);
			len = (size_t)snprintf(buf, sizeof(buf), "%*s%s",
			    (int)n, "", outstr[i]);
			exact(buf, len, outstr[i], n);
		}
		/* A NUL byte, anywhere. */
		len = (size_t)snprintf(buf, sizeof(buf), "[\"%*s\"]", (int)n, "");
		buf[n / 2 + 1] = '\0';
		exact(buf, len, "a NUL byte at", n / 2 + 1);
	}
}

/*
 * Inputs of every length from 0 to 200 made of a pattern: the prefixes of
 * a long valid text (mostly invalid), and valid strings and arrays of each
 * length, each ending where its allocation does.
 */
static void
lengths(void)
{
	static const char *pat[] = {
		"\"ab\\\"c\\\\d\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 ",
		"{\"a\":[1.5e3,true,null,{\"b\\\\\":[]}],\"c\":\"x\\ny\"} ",
		"a", "1,",
	};
	char buf[256];
	size_t n, i, j, pl;

	for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++) {
		pl = strlen(pat[i]);
		for (n = 0; n <= 200; n++) {
			for (j = 0; j < n; j++)
				buf[j] = pat[i][j % pl];
			exact(buf, n, "a prefix of length", n);
			if (n < 2)
				continue;
			/* Closed: a string, or an array ending in 1. */
			buf[0] = i == 3 ? '[' : '"';
			buf[n - 1] = i == 3 ? (n % 2 ? ']' : '1') : '"';
			if (i == 3 && n % 2)
				buf[n - 2] = '1';
			exact(buf, n, "a closed text of length", n);
		}
	}
}

int
main(int argc, char *argv[])
{
	const char *data = argc > 1 ? argv[1] : "tests/data", *e;

	scan_init(&sc);
	scan_init(&ref);
	/* EVENTFUL_SCAN names the path scan_json takes, if the CPU has it;
	 * else it takes the reference. */
	e = getenv("EVENTFUL_SCAN");
	for (path = SCAN_AVX2; path > SCAN_REFERENCE; path--)
		if (e != NULL && strcmp(e, pathname[path]) == 0 &&
		    scan_has_path(path))
			break;
	CHECKMSG(scan_path() == path, "EVENTFUL_SCAN=%s: path %d, not %d",
	    e ? e : "(unset)", scan_path(), path);
	CHECK(scan_has_path(SCAN_SCALAR) && scan_has_path(SCAN_REFERENCE));
	for (path = SCAN_REFERENCE; path <= SCAN_AVX2; path++) {
		if (!scan_has_path(path)) {
			printf("scan_test: no %s on this CPU\n",
			    pathname[path]);
			continue;
		}
		suite(data);
		archive(data);
		edges();
		depth();
		narrow();
		wide();
		spans();
		blocks();
		lengths();
	}
	scan_free(&sc);
	scan_free(&ref);
	return unit_done("scan_test");
}
