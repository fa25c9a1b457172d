/* SPDX-License-Identifier: ISC */
/*
 * event_test - CloudEvents envelope validation: the fixtures of the
 * corpus (the Java SDK's valid and invalid events, the spec's examples),
 * then cases written for each rule of ce_validate, each checked for its
 * verdict and for what the message says.  Also base64_ok and ce_name_ok.
 * Usage: event_test [DATA] (tests/data, or a copy of its layout).
 */
#include <dirent.h>
#include <string.h>

#include "ce.h"
#include "util.h"
#include "unit.h"

/* The four required attributes, for cases that only add to them. */
#define REQ "\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\"," \
	"\"type\":\"t\""

static struct scanner sc;
static struct ce_event ev;
static char err[256];

static int
validate(const char *line, size_t len)
{
	err[0] = '\0';
	return ce_validate(&sc, line, len, &ev, err, sizeof(err));
}

static void
ok(const char *line)
{
	CHECKMSG(validate(line, strlen(line)) == 0, "%s: rejected: %s", line,
	    err);
}

/* The line must be rejected, with msg somewhere in the message. */
static void
fails(const char *line, const char *msg)
{
	int r;

	r = validate(line, strlen(line));
	CHECKMSG(r == -1, "%s: accepted", line);
	if (r == -1)
		CHECKMSG(strstr(err, msg) != NULL, "%s: message \"%s\" does "
		    "not say \"%s\"", line, err, msg);
}

/*
 * Runs every *.json file of CORPUS/cloudevents/sub through verdict, which
 * checks the outcome by file name.  Returns how many files it read.
 */
static int
folder(const char *corpus, const char *sub,
    void (*verdict)(const char *name, const char *buf, size_t len))
{
	char dir[1024], path[2048];
	struct dirent *d;
	size_t len, nl;
	char *buf;
	DIR *dp;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/cloudevents/%s", corpus, sub);
	dp = opendir(dir);
	CHECKMSG(dp != NULL, "%s", dir);
	if (dp == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		nl = strlen(d->d_name);
		if (d->d_name[0] == '.' || nl < 5 ||
		    strcmp(d->d_name + nl - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		buf = readfile(path, 1 << 20, &len);
		CHECKMSG(buf != NULL, "%s", path);
		if (buf == NULL)
			continue;
		n++;
		verdict(d->d_name, buf, len);
		free(buf);
	}
	closedir(dp);
	return n;
}

static void
valid(const char *name, const char *buf, size_t len)
{
	int a;

	CHECKMSG(validate(buf, len) == 0, "valid/%s: %s", name, err);
	for (a = CE_SPECVERSION; a <= CE_TYPE; a++)
		CHECKMSG(ev.a[a] != NULL, "valid/%s: no %s", name,
		    ce_names[a]);
	CHECKMSG(ev.nmembers == sc.nm, "valid/%s: %zu members, scanner %zu",
	    name, ev.nmembers, sc.nm);
	CHECKMSG(ev.specpos < sc.nm && scan_name_is(&sc.m[ev.specpos],
	    "specversion"), "valid/%s: specpos %zu", name, ev.specpos);
}

/* Each invalid fixture breaks one rule, which its name tells. */
static void
invalid(const char *name, const char *buf, size_t len)
{
	const char *msg;

	if (strstr(name, "numeric") != NULL)
		msg = "is not an integer in signed 32 bits";
	else
		msg = "is not lower-case a-z and 0-9";
	CHECKMSG(validate(buf, len) == -1, "invalid/%s: accepted", name);
	CHECKMSG(strstr(err, msg) != NULL, "invalid/%s: \"%s\", want \"%s\"",
	    name, err, msg);
}

/* The spec's examples are valid events, but for a placeholder and the
 * batches, which are arrays of events. */
static void
example(const char *name, const char *buf, size_t len)
{
	const char *msg = NULL;
	int r;

	if (strcmp(name,
	    "json-format_3.2_binary_data_base64_placeholder.json") == 0)
		msg = "base64";
	else if (strncmp(name, "json-format_4.3_batch_", 22) == 0)
		msg = "not an object";
	r = validate(buf, len);
	if (msg == NULL) {
		CHECKMSG(r == 0, "spec-examples/%s: %s", name, err);
	} else {
		CHECKMSG(r == -1, "spec-examples/%s: accepted", name);
		CHECKMSG(strstr(err, msg) != NULL, "spec-examples/%s: \"%s\", "
		    "want \"%s\"", name, err, msg);
	}
}

/*
 * The same examples one a line: every one valid but those with the
 * placeholder, the single event's and the second event of the batch.
 */
static void
ndjson(const char *corpus)
{
	char path[1024];
	size_t len, nl;
	char *buf, *p, *e;
	int n = 0, bad = 0;

	snprintf(path, sizeof(path),
	    "%s/cloudevents/spec-examples/all_single_events.ndjson", corpus);
	buf = readfile(path, 1 << 20, &len);
	CHECKMSG(buf != NULL, "%s", path);
	if (buf == NULL)
		return;
	for (p = buf; p < buf + len; p = e + 1) {
		e = memchr(p, '\n', (size_t)(buf + len - p));
		if (e == NULL)
			e = buf + len;
		nl = (size_t)(e - p);
		if (nl == 0)
			continue;
		n++;
		if (memmem(p, nl, "... base64 encoded string ...", 29)) {
			bad++;
			CHECKMSG(validate(p, nl) == -1 &&
			    strstr(err, "base64") != NULL, "line %d: \"%s\"",
			    n, err);
		} else
			CHECKMSG(validate(p, nl) == 0, "line %d: %s", n, err);
	}
	CHECKMSG(n == 9 && bad == 2, "%d lines, %d placeholders", n, bad);
	free(buf);
}

static void
corpus(const char *dir)
{
	int n;

	n = folder(dir, "valid", valid);
	CHECKMSG(n == 13, "%d valid fixtures", n);
	n = folder(dir, "invalid", invalid);
	CHECKMSG(n == 4, "%d invalid fixtures", n);
	n = folder(dir, "spec-examples", example);
	CHECKMSG(n == 9, "%d spec examples", n);
	ndjson(dir);
}

static void
required(void)
{
	const char *line;

	ok("{" REQ "}");
	ok("  {" REQ "}\n");
	CHECK(ev.nmembers == 4 && ev.specpos == 0);
	CHECK(ev.a[CE_SUBJECT] == NULL && ev.a[CE_DATA] == NULL);
	ok("{\"type\":\"t\",\"source\":\"/s\",\"id\":\"1\","
	    "\"specversion\":\"1.0\"}");
	CHECK(ev.specpos == 3);

	fails("{\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}",
	    "missing \"specversion\"");
	fails("{\"specversion\":\"1.0\",\"source\":\"/s\",\"type\":\"t\"}",
	    "missing \"id\"");
	fails("{\"specversion\":\"1.0\",\"id\":\"1\",\"type\":\"t\"}",
	    "missing \"source\"");
	fails("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\"}",
	    "missing \"type\"");
	fails("{}", "missing \"specversion\"");
	fails("{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"/s\","
	    "\"type\":\"t\"}", "specversion \"0.3\" is not \"1.0\"");
	fails("{\"specversion\":\"1.0 \",\"id\":\"1\",\"source\":\"/s\","
	    "\"type\":\"t\"}", "is not \"1.0\"");
	fails("{\"specversion\":\"1\",\"id\":\"1\",\"source\":\"/s\","
	    "\"type\":\"t\"}", "is not \"1.0\"");
	fails("{\"specversion\":1.0,\"id\":\"1\",\"source\":\"/s\","
	    "\"type\":\"t\"}", "\"specversion\" must be a string, not a "
	    "number");
	fails("{\"specversion\":null,\"id\":\"1\",\"source\":\"/s\","
	    "\"type\":\"t\"}", "missing \"specversion\"");
	fails("{\"specversion\":\"1.0\",\"id\":\"\",\"source\":\"/s\","
	    "\"type\":\"t\"}", "\"id\" is empty");
	fails("{\"specversion\":\"1.0\",\"id\":1,\"source\":\"/s\","
	    "\"type\":\"t\"}", "\"id\" must be a string, not a number");
	fails("{\"specversion\":\"1.0\",\"id\":null,\"source\":\"/s\","
	    "\"type\":\"t\"}", "missing \"id\"");
	fails("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":[\"/s\"],"
	    "\"type\":\"t\"}", "\"source\" must be a string, not an array");
	fails("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\","
	    "\"type\":{}}", "\"type\" must be a string, not an object");
	fails("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"\","
	    "\"type\":\"t\"}", "\"source\" is empty");

	/* Not an object, or not JSON. */
	fails("[]", "not an object");
	fails("[{" REQ "}]", "not a CloudEvent: an array, not an object");
	fails("\"x\"", "not an object");
	fails("null", "not an object");
	fails("", "invalid JSON");
	fails("{" REQ, "invalid JSON");
	fails("{" REQ ",}", "invalid JSON");
	fails("{" REQ "} {}", "invalid JSON");

	/* ce_check may leave out what the caller is about to fill. */
	line = "{\"specversion\":\"1.0\",\"source\":\"/s\","
	    "\"type\":\"t\"}";
	CHECK(scan_json(&sc, line, strlen(line)) == SCAN_OBJECT);
	CHECK(ce_check(&sc, &ev, 0, err, sizeof(err)) == -1);
	CHECK(ce_check(&sc, &ev, 1U << CE_ID, err, sizeof(err)) == 0);
	CHECK(ce_check(&sc, &ev, 1U << CE_SOURCE, err, sizeof(err)) == -1);
	CHECK(ce_check(&sc, &ev, 1U << CE_SPECVERSION, err, sizeof(err)) ==
	    -1);
}

static void
optional(void)
{
	ok("{" REQ ",\"subject\":null}");
	CHECK(ev.a[CE_SUBJECT] == NULL && ev.nmembers == 5);
	ok("{" REQ ",\"subject\":\"s\"}");
	CHECK(ev.a[CE_SUBJECT] != NULL);
	fails("{" REQ ",\"subject\":\"\"}", "\"subject\" is empty");
	fails("{" REQ ",\"subject\":5}", "\"subject\" must be a string");
	fails("{" REQ ",\"datacontenttype\":\"\"}",
	    "\"datacontenttype\" is empty");
	ok("{" REQ ",\"datacontenttype\":\"application/json\"}");

	ok("{" REQ ",\"time\":\"2018-04-26T14:48:09+02:00\"}");
	CHECK(ev.a[CE_TIME] != NULL);
	ok("{" REQ ",\"time\":null}");
	fails("{" REQ ",\"time\":\"2018-04-26 14:48:09Z\"}",
	    "time \"2018-04-26 14:48:09Z\" is not an RFC 3339 date-time");
	fails("{" REQ ",\"time\":\"yesterday\"}", "not an RFC 3339");
	fails("{" REQ ",\"time\":\"2018-04-26T14:48:09\"}",
	    "not an RFC 3339");
	fails("{" REQ ",\"time\":1524746889}", "\"time\" must be a string");

	ok("{" REQ ",\"dataschema\":\"http://x/y\"}");
	ok("{" REQ ",\"dataschema\":\"urn:example:schema\"}");
	ok("{" REQ ",\"dataschema\":\"git+ssh://x/y\"}");
	fails("{" REQ ",\"dataschema\":\"not a uri\"}",
	    "is not an absolute URI");
	fails("{" REQ ",\"dataschema\":\"/relative/path\"}",
	    "not an absolute URI");
	fails("{" REQ ",\"dataschema\":\"1http://x\"}",
	    "not an absolute URI");
	fails("{" REQ ",\"dataschema\":\"x\"}", "not an absolute URI");
	fails("{" REQ ",\"dataschema\":\"\"}", "\"dataschema\" is empty");
}

static void
extensions(void)
{
	ok("{" REQ ",\"ext\":\"value\"}");
	ok("{" REQ ",\"ext\":true}");
	ok("{" REQ ",\"ext\":false}");
	ok("{" REQ ",\"ext\":null}");
	ok("{" REQ ",\"ext\":42}");
	ok("{" REQ ",\"ext\":0}");
	ok("{" REQ ",\"ext\":-0}");
	ok("{" REQ ",\"ext\":2147483647}");
	ok("{" REQ ",\"ext\":-2147483648}");
	ok("{" REQ ",\"ext\":\"\"}");
	ok("{" REQ ",\"abc123\":1,\"0\":1,\"z\":\"z\"}");
	ok("{" REQ ",\"sequence\":\"42\"}");
	fails("{" REQ ",\"ext\":2147483648}",
	    "extension \"ext\": 2147483648 is not an integer in signed 32 "
	    "bits");
	fails("{" REQ ",\"ext\":-2147483649}", "signed 32 bits");
	fails("{" REQ ",\"ext\":9999999999}", "signed 32 bits");
	fails("{" REQ ",\"ext\":12345678901}", "signed 32 bits");
	fails("{" REQ ",\"ext\":-12345678901}", "signed 32 bits");
	fails("{" REQ ",\"ext\":1.5}", "extension \"ext\": 1.5 is not an "
	    "integer");
	fails("{" REQ ",\"ext\":1e3}", "extension \"ext\": 1e3 is not an "
	    "integer");
	fails("{" REQ ",\"ext\":{}}", "extension \"ext\": an object is not "
	    "a CloudEvents type");
	fails("{" REQ ",\"ext\":[]}", "extension \"ext\": an array is not "
	    "a CloudEvents type");
	fails("{" REQ ",\"ext\":[1]}", "an array is not a CloudEvents type");

	/* Names: lower-case a-z and 0-9, nothing else. */
	fails("{" REQ ",\"aBc\":1}",
	    "attribute name \"aBc\" is not lower-case a-z and 0-9");
	fails("{" REQ ",\"a_b\":1}", "attribute name \"a_b\" is not");
	fails("{" REQ ",\"a-b\":1}", "attribute name \"a-b\" is not");
	fails("{" REQ ",\"a.b\":1}", "attribute name \"a.b\" is not");
	fails("{" REQ ",\"\":1}", "attribute name \"\" is not");
	fails("{" REQ ",\"caf\xc3\xa9\":1}", "is not lower-case");
	fails("{" REQ ",\"ID\":\"2\"}", "attribute name \"ID\" is not");
	fails("{" REQ ",\"Data\":{}}", "attribute name \"Data\" is not");
	/* The name rule holds for null members too. */
	fails("{" REQ ",\"a_b\":null}", "attribute name \"a_b\" is not");
}

static void
data(void)
{
	ok("{" REQ ",\"data\":{\"a\":[1,2]}}");
	CHECK(ev.a[CE_DATA] != NULL && ev.a[CE_DATA]->type == SCAN_OBJECT);
	ok("{" REQ ",\"data\":\"text\"}");
	ok("{" REQ ",\"data\":1.5e300}");
	ok("{" REQ ",\"data\":\"\"}");
	ok("{" REQ ",\"data\":null}");
	CHECK(ev.a[CE_DATA] == NULL);
	ok("{" REQ ",\"data_base64\":\"Zm9vYg==\"}");
	CHECK(ev.a[CE_DATA_BASE64] != NULL);
	ok("{" REQ ",\"data_base64\":\"Zm9vYg==\",\"data\":null}");
	CHECK(ev.a[CE_DATA_BASE64] != NULL && ev.a[CE_DATA] == NULL);
	ok("{" REQ ",\"data\":null,\"data_base64\":\"Zm9vYg==\"}");
	ok("{" REQ ",\"data\":{},\"data_base64\":null}");
	/* Empty binary data is the empty string in base64. */
	ok("{" REQ ",\"data_base64\":\"\"}");
	fails("{" REQ ",\"data\":{},\"data_base64\":\"Zm9vYg==\"}",
	    "both \"data\" and \"data_base64\"");
	fails("{" REQ ",\"data_base64\":\"\",\"data\":\"x\"}",
	    "both \"data\" and \"data_base64\"");
	fails("{" REQ ",\"data_base64\":\"e30\"}",
	    "data_base64 is not valid base64");
	fails("{" REQ ",\"data_base64\":\"Zm9v Yg==\"}", "base64");
	fails("{" REQ ",\"data_base64\":\"Zm9-\"}", "base64");
	fails("{" REQ ",\"data_base64\":5}",
	    "\"data_base64\" must be a string");
	fails("{" REQ ",\"data\":1,\"data\":2}", "duplicate");
}

/* Escapes are decoded before any rule looks at a name or a value. */
static void
escapes(void)
{
	char buf[64];

	fails("{" REQ ",\"id\":\"2\"}", "invalid JSON");
	fails("{" REQ ",\"id\":\"2\"}", "duplicate member name");
	fails("{" REQ ",\"\\u0069d\":\"2\"}", "duplicate member name");
	ok("{\"specversion\":\"1.0\",\"\\u0069d\":\"x\",\"source\":\"/s\","
	    "\"type\":\"t\"}");
	CHECK(ev.a[CE_ID] != NULL);
	if (ev.a[CE_ID] != NULL)
		CHECK(strcmp(ce_string(ev.a[CE_ID], buf, sizeof(buf)), "x") ==
		    0);
	ok("{\"spec\\u0076ersion\":\"1.0\",\"id\":\"x\",\"source\":\"/s\","
	    "\"type\":\"t\"}");
	ok("{\"specversion\":\"1\\u002e0\",\"id\":\"1\",\"source\":\"/s\","
	    "\"type\":\"t\"}");
	fails("{\"specversion\":\"1\\u002e1\",\"id\":\"1\",\"source\":\"/s\","
	    "\"type\":\"t\"}", "specversion \"1.1\" is not \"1.0\"");
	ok("{\"specversion\":\"1.0\",\"id\":\"\\u0041\\/\",\"source\":\"/s\","
	    "\"type\":\"t\"}");
	CHECK(ev.a[CE_ID] != NULL);
	if (ev.a[CE_ID] != NULL) {
		CHECK(strcmp(ce_string(ev.a[CE_ID], buf, sizeof(buf)), "A/") ==
		    0);
		CHECK(strcmp(ce_string(ev.a[CE_ID], buf, 2), "A") == 0);
	}
	fails("{" REQ ",\"\\u0041bc\":1}", "attribute name \"Abc\" is not");
	fails("{" REQ ",\"a\\u005fb\":1}", "attribute name \"a_b\" is not");
	ok("{" REQ ",\"\\u0065xt\":1}");
	ok("{" REQ ",\"time\":\"2018-04-26T14:48:09\\u005a\"}");
	fails("{" REQ ",\"time\":\"2018-04-26T14:48:09\\u0020\"}",
	    "not an RFC 3339");
	ok("{" REQ ",\"dataschema\":\"http\\u003a//x\"}");
	ok("{" REQ ",\"data_base64\":\"e30\\u003d\"}");
	ok("{" REQ ",\"data_base64\":\"Zm9v\\/w==\"}");
	fails("{" REQ ",\"data_base64\":\"Zm9v\\n\"}", "base64");
	ok("{" REQ ",\"data\\u005fbase64\":\"Zm9vYg==\"}");
	CHECK(ev.a[CE_DATA_BASE64] != NULL);
	fails("{" REQ ",\"data\":1,\"\\u0064ata\":2}", "duplicate");
}

/* The message fits the buffer given, NUL-terminated. */
static void
messages(void)
{
	char small[8];

	memset(small, 'x', sizeof(small));
	CHECK(ce_validate(&sc, "{}", 2, &ev, small, sizeof(small)) == -1);
	CHECK(memchr(small, '\0', sizeof(small)) != NULL);
	CHECK(strncmp(small, "missing", 7) == 0);
}

static void
base64(void)
{
	static const char *good[] = {
		"", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "AA==", "AAA=", "e30=",
		"+/+/", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/",
	};
	static const char *bad[] = {
		"e30", "Z", "Zm", "Zm9", "Zm9vY", "Zm9vY===", "====", "A===",
		"=AAA", "A=AA", "Zm=vYg==", "Zm9vYg=a", "Zm9v\n", "Zm9 ",
		"Zm9-", "Zm9_", "Zm9.", "Zm9vYg==Zm9v", "Zm9v====",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECKMSG(base64_ok(good[i], strlen(good[i])), "\"%s\"",
		    good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKMSG(!base64_ok(bad[i], strlen(bad[i])), "\"%s\"", bad[i]);
	/* The length is honoured, NUL bytes and all. */
	CHECK(base64_ok("Zm9vYg==junk", 8));
	CHECK(!base64_ok("Zm9\0", 4));
	CHECK(!base64_ok("Zm9vYg==", 7));
}

static void
names(void)
{
	static const char *good[] = { "a", "z", "0", "9", "abc123",
	    "comexampleextension1", "data", "specversion" };
	static const char *bad[] = { "", "A", "aBc", "a_b", "a-b", "a.b",
	    "a b", "data_base64", "caf\xc3\xa9", "{", "`" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECKMSG(ce_name_ok(good[i], strlen(good[i])), "\"%s\"",
		    good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKMSG(!ce_name_ok(bad[i], strlen(bad[i])), "\"%s\"",
		    bad[i]);
	CHECK(ce_name_ok("abC", 2));
	CHECK(!ce_name_ok("a\0b", 3));
	CHECK(!ce_name_ok("/", 1) && !ce_name_ok(":", 1));
}

/* The type system of spec.md: Strings, URI-references, media types. */
static void
types(void)
{
	char e[256];

	CHECK(ce_text_check("a b~\xc2\xa0\xef\xbf\xbd\xf0\x9f\x98\x80", 12, e,
	    sizeof(e)) == 0);
	CHECK(ce_text_check("a\tb", 3, e, sizeof(e)) == -1 &&
	    strstr(e, "U+0009 (character 2)") != NULL);
	CHECK(ce_text_check("\x7f", 1, e, sizeof(e)) == -1);
	CHECK(ce_text_check("\xc2\x80", 2, e, sizeof(e)) == -1);
	CHECK(ce_text_check("\xc2\x9f", 2, e, sizeof(e)) == -1);
	CHECK(ce_text_check("\xef\xb7\x90", 3, e, sizeof(e)) == -1);
	CHECK(ce_text_check("\xef\xb7\xaf", 3, e, sizeof(e)) == -1);
	CHECK(ce_text_check("\xef\xb7\xb0", 3, e, sizeof(e)) == 0);
	CHECK(ce_text_check("\xef\xbf\xbf", 3, e, sizeof(e)) == -1);
	CHECK(ce_text_check("\xf0\x9f\xbf\xbe", 4, e, sizeof(e)) == -1);
	CHECK(ce_text_check("\xf4\x8f\xbf\xbf", 4, e, sizeof(e)) == -1);
	CHECK(ce_uri_check("//host/evpub", 12, 0, e, sizeof(e)) == 0);
	CHECK(ce_uri_check("/a?b=c&d#e", 10, 0, e, sizeof(e)) == 0);
	CHECK(ce_uri_check("http://[::1]:80/x", 17, 0, e, sizeof(e)) == 0);
	CHECK(ce_uri_check("x/a:b", 5, 0, e, sizeof(e)) == 0);
	CHECK(ce_uri_check("a:b", 3, 1, e, sizeof(e)) == 0);
	CHECK(ce_uri_check("/a b", 4, 0, e, sizeof(e)) == -1 &&
	    strstr(e, "%20") != NULL);
	CHECK(ce_uri_check("/a%2", 4, 0, e, sizeof(e)) == -1);
	CHECK(ce_uri_check("/a#b#c", 6, 0, e, sizeof(e)) == -1);
	CHECK(ce_uri_check("/[x]", 4, 0, e, sizeof(e)) == -1);
	CHECK(ce_uri_check("1a:b", 4, 0, e, sizeof(e)) == -1);
	CHECK(ce_uri_check("/a", 2, 1, e, sizeof(e)) == -1);
	/* A span, not a C string: what follows it is not read. */
	CHECK(ce_uri_check("/a b", 2, 0, e, sizeof(e)) == 0);
	CHECK(ce_mediatype_check("text/plain", 10, e, sizeof(e)) == 0);
	CHECK(ce_mediatype_check("a/b ; c=d;e=\"f\\\"g\"", 18, e,
	    sizeof(e)) == 0);
	CHECK(ce_mediatype_check("a/b;", 4, e, sizeof(e)) == -1);
	CHECK(ce_mediatype_check("a/", 2, e, sizeof(e)) == -1);
	CHECK(ce_mediatype_check("a b/c", 5, e, sizeof(e)) == -1);
	CHECK(ce_mediatype_check("a/b;c=\"d", 8, e, sizeof(e)) == -1);
}

int
main(int argc, char *argv[])
{
	scan_init(&sc);
	corpus(argc > 1 ? argv[1] : "tests/data");
	required();
	optional();
	extensions();
	data();
	escapes();
	messages();
	base64();
	names();
	types();
	scan_free(&sc);
	return unit_done("event_test");
}
