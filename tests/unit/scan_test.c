/* SPDX-License-Identifier: ISC */
/*
 * scan_test - the scanner against jansson on every file of the JSON test
 * suite, and on cases written for its edges; spans, unescaping, compacting.
 * Usage: scan_test [DATA] (tests/data, or a copy of its layout).
 */
#include <dirent.h>
#include <jansson.h>
#include <string.h>

#include "scan.h"
#include "util.h"
#include "unit.h"

static struct scanner sc;

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

	a = scan_json(&sc, buf, len) >= 0;
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

	if (scan_json(&sc, buf, len) != SCAN_OBJECT)
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

	CHECK(scan_json(&sc, s, strlen(s)) == SCAN_OBJECT);
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
	CHECK(scan_json(&sc, "[1,\"a b\" , {}]", 14) == SCAN_ARRAY);
	CHECK(sc.nm == 3 && sc.m[1].vallen == 5 && sc.m[2].type == SCAN_OBJECT);
	CHECK(scan_json(&sc, "{\"a\" 1}", 7) == -1 && sc.erroff == 5);
	CHECK(scan_utf8_valid("caf\xc3\xa9", 5));
	CHECK(!scan_utf8_valid("caf\xc3", 4));
	CHECK(!scan_utf8_valid("\xed\xa0\x80", 3));
}

int
main(int argc, char *argv[])
{
	scan_init(&sc);
	suite(argc > 1 ? argv[1] : "tests/data");
	archive(argc > 1 ? argv[1] : "tests/data");
	edges();
	depth();
	narrow();
	wide();
	spans();
	scan_free(&sc);
	return unit_done("scan_test");
}
