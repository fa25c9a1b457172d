/* SPDX-License-Identifier: ISC */
/*
 * filter_test - the filter grammar and its evaluation against events, and
 * the line reader's edges, without the programs around them.
 */
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ce.h"
#include "filter.h"
#include "rd.h"
#include "scan.h"
#include "util.h"
#include "unit.h"

static struct scanner sc;

/* Does the filter text hold for the event line? -1 when it does not parse. */
static int
holds(const char *text, const char *line)
{
	struct filter f;
	struct ce_event ev;
	char err[256];
	int r;

	if (filter_parse(&f, text, err, sizeof(err)) == -1) {
		filter_free(&f);
		return -1;
	}
	if (ce_validate(&sc, line, strlen(line), &ev, err, sizeof(err)) == -1) {
		fprintf(stderr, "bad test event: %s\n", err);
		filter_free(&f);
		return -2;
	}
	r = filter_all(&f, 1, &sc, &ev);
	filter_free(&f);
	return r;
}

static void
grammar(void)
{
	static const char *bad[] = { "", "=x", "Type=x", "type==x", "a<>1",
	    "type!x", "data..a", "data.", "subject.a=1", "a b=1", "x=<y",
	    "x9=", "data.k=", "a>", "type=a,", "type=,a", "type=a,,b",
	    "data.k='x'", "data.k=''", "a=~x" };
	static const char *good[] = { "type", "type=a", "type!=a*", "a>1",
	    "a>=1", "a<1", "a<=1", "data", "data.a.b.0=x", "data_base64",
	    "data.k=\"\"", "type=a,b*", "type=a[,]b", "type=a\\,b",
	    "subject=my order", "data.k=a\"b\"", "a>x,y", "data.k=\"" };
	struct filter f;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECKMSG(filter_parse(&f, bad[i], err, sizeof(err)) == -1,
		    "\"%s\" parsed", bad[i]);
		CHECKMSG(strstr(err, bad[i]) != NULL || bad[i][0] == '\0',
		    "message \"%s\" does not name \"%s\"", err, bad[i]);
		filter_free(&f);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECKMSG(filter_parse(&f, good[i], err, sizeof(err)) == 0,
		    "\"%s\": %s", good[i], err);
		filter_free(&f);
	}
	CHECK(filter_parse(&f, "data.a.b>=-1.5e2", err, sizeof(err)) == 0);
	CHECK(f.op == F_GE && f.nkeys == 2 && f.nval == 1 && f.val[0].isnum &&
	    f.val[0].num == -150 && !f.val[0].isint &&
	    strcmp(f.keys[1], "b") == 0);
	filter_free(&f);
	CHECK(filter_parse(&f, "type=a,b[,]c\\,d,\"\"", err, sizeof(err)) == 0);
	CHECK(f.nval == 3 && strcmp(f.val[0].text, "a") == 0 &&
	    strcmp(f.val[1].text, "b[,]c\\,d") == 0 && f.val[2].text[0] == '\0');
	filter_free(&f);
}

/* Does the message for text hold want? */
static void
hint(const char *text, const char *want)
{
	struct filter f;
	char err[256];

	CHECKMSG(filter_parse(&f, text, err, sizeof(err)) == -1,
	    "\"%s\" parsed", text);
	CHECKMSG(strstr(err, want) != NULL, "\"%s\": \"%s\" does not say \"%s\"",
	    text, err, want);
	filter_free(&f);
}

/* What can never match is refused, and the message says what to write. */
static void
hints(void)
{
	hint("data.total > 10", "write 'data.total>10'");
	hint(" data.total>=10 ", "write 'data.total>=10'");
	hint("data.total >10", "write 'data.total>10'");
	hint("type == x", "write 'type=x'");
	hint("subject ", "write 'subject'");
	hint("type= ", "a value is missing after \"=\"");
	hint("data.total>\"10\"", "write 10, not \"10\"");
	hint("type='order.paid'", "write order.paid, not 'order.paid'");
	hint("type=a,'b'", "write b, not 'b'");
	hint("data.k=''", "write \"\", not ''");
	hint("type=", "a value is missing after \"=\"");
	hint("data.n<=", "a value is missing after \"<=\"");
	hint("type==x", "write 'type=x'");
	hint("a=>1", "write 'a>=1'");
	hint("a<>1", "write 'a!=1'");
	hint("a!==1", "write 'a!=1'");
	hint("type=~order", "no regular expressions");
	hint("type=a,,b", "an empty alternative");
	hint("data.price<1,5", "write 1.5");
	hint(".data.total>1", "write 'data.total>1'");
	hint("data.items[0].sku=A", "data.items.0");
	hint("", "an empty filter");
}

#define EV(extra) "{\"specversion\":\"1.0\",\"type\":\"order.paid\"," \
    "\"source\":\"/s\",\"id\":\"1\",\"time\":\"2026-01-02T03:04:05Z\"," \
    "\"tenant\":\"acme\",\"n\":7" extra "}"

static void
evaluate(void)
{
	const char *e = EV(",\"data\":{\"a\":{\"b\":[10,\"x\",null,true]},"
	    "\"s\":\"caf\\u00e9\",\"big\":9007199254740993,\"f\":1.5,"
	    "\"t\":\"2026-01-01T00:00:00+01:00\"}");

	CHECK(holds("type=order.*", e) == 1);
	CHECK(holds("type=order.placed", e) == 0);
	CHECK(holds("type!=order.placed", e) == 1);
	CHECK(holds("subject", e) == 0);
	CHECK(holds("subject!=x", e) == 1);
	CHECK(holds("tenant=ac?e", e) == 1);
	CHECK(holds("n=7", e) == 1);
	CHECK(holds("n>6.5", e) == 1);
	CHECK(holds("time>2026-01-02T04:00:00+02:00", e) == 1);
	CHECK(holds("time<2026-01-02T03:04:05Z", e) == 0);
	CHECK(holds("time<=2026-01-02T03:04:05Z", e) == 1);
	CHECK(holds("data.a.b.0=10", e) == 1);
	CHECK(holds("data.a.b.0>=10.0", e) == 1);
	CHECK(holds("data.a.b.1=x", e) == 1);
	CHECK(holds("data.a.b.2=null", e) == 1);
	CHECK(holds("data.a.b.2", e) == 0);
	CHECK(holds("data.a.b.3=true", e) == 1);
	CHECK(holds("data.a.b.4", e) == 0);
	CHECK(holds("data.a.b.x", e) == 0);
	CHECK(holds("data.a", e) == 1);
	CHECK(holds("data.a=x", e) == 0);
	CHECK(holds("data.s=café", e) == 1);
	CHECK(holds("data.s>cafe", e) == 1);
	CHECK(holds("data.s>1", e) == 0);
	CHECK(holds("data.big=9007199254740992", e) == 0);
	CHECK(holds("data.big>9007199254740992", e) == 1);
	CHECK(holds("data.f<2", e) == 1);
	CHECK(holds("data.f=1.50", e) == 1);
	CHECK(holds("data.t<2026-01-01T00:00:00Z", e) == 1);
	CHECK(holds("data.missing!=1", e) == 1);
	CHECK(holds("data.missing<1", e) == 0);
	CHECK(holds("data_base64", e) == 0);

	/* Alternatives: "=" holds for one of them, "!=" for none. */
	CHECK(holds("type=user.*,order.*", e) == 1);
	CHECK(holds("type=user.*,cache.*", e) == 0);
	CHECK(holds("type!=user.*,order.*", e) == 0);
	CHECK(holds("type!=user.*,cache.*", e) == 1);
	CHECK(holds("n=6,7", e) == 1);
	CHECK(holds("data.a.b.3=false,true", e) == 1);
	CHECK(holds("subject=a,b", e) == 0);
	CHECK(holds("subject!=a,b", e) == 1);
	CHECK(holds("data.missing=\"\"", e) == 0);
}

/* A comma in a value: [,] or \, (a glob), as fnmatch(3) reads them. */
static void
commas(void)
{
	const char *e = EV(",\"data\":{\"c\":\"a,b\",\"e\":\"\",\"n\":1.5}");

	CHECK(holds("data.c=a[,]b", e) == 1);
	CHECK(holds("data.c=a\\,b", e) == 1);
	CHECK(holds("data.c=a,b", e) == 0);
	CHECK(holds("data.c=x,a[,]b", e) == 1);
	CHECK(holds("data.c=a*", e) == 1);
	CHECK(holds("data.e=\"\"", e) == 1);
	CHECK(holds("data.e!=\"\"", e) == 0);
	CHECK(holds("data.c!=\"\"", e) == 1);
	CHECK(holds("data.n>1.2", e) == 1);
}

/*
 * Literals and prefixes ("order.*") are compared where the value lies,
 * without fnmatch(3) or a copy, when the value holds no escape: each
 * pattern must hold for exactly the values fnmatch holds it for, escaped
 * or not, alone or beside a glob that still needs fnmatch.
 */
static void
prefixes(void)
{
	static const struct { const char *json, *text; } vals[] = {
		{ "order.paid", "order.paid" }, { "order.", "order." },
		{ "order", "order" }, { "", "" }, { "orders.x", "orders.x" },
		{ "order\\u002epaid", "order.paid" },
		{ "\\u006frder.x", "order.x" }, { "order\\/x", "order/x" },
		{ "order.caf\\u00e9", "order.caf\xc3\xa9" },
		{ "order.caf\xc3\xa9", "order.caf\xc3\xa9" },
		{ "a*b", "a*b" }, { "a\\\\b", "a\\b" },
		{ "ORDER.paid", "ORDER.paid" }, { "order.paid ", "order.paid " },
	};
	static const char *pats[] = { "order.*", "order*", "*", "order.paid",
	    "order.pai", "order.paid*", "order.?aid", "order.[p]*", "a\\*b",
	    "a\\\\b", "a\\*", "order.caf\xc3\xa9*", "order.*,x?",
	    "x?,order.*", "\"\"", "order.*d", "**", "*.paid" };
	char ev[512], filt[128];
	const char *pat;
	size_t i, j;
	int want;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		for (j = 0; j < sizeof(pats) / sizeof(pats[0]); j++) {
			snprintf(ev, sizeof(ev), EV(",\"data\":{\"v\":\"%s\"}"),
			    vals[i].json);
			snprintf(filt, sizeof(filt), "data.v=%s", pats[j]);
			pat = pats[j];
			if (strcmp(pat, "\"\"") == 0)
				want = vals[i].text[0] == '\0';
			else if (strcmp(pat, "order.*,x?") == 0 ||
			    strcmp(pat, "x?,order.*") == 0)
				want = fnmatch("order.*", vals[i].text, 0) == 0 ||
				    fnmatch("x?", vals[i].text, 0) == 0;
			else
				want = fnmatch(pat, vals[i].text, 0) == 0;
			if (holds(filt, ev) != want)
				fprintf(stderr, "%s on \"%s\": not %d\n", filt,
				    vals[i].json, want);
			CHECK(holds(filt, ev) == want);
			snprintf(filt, sizeof(filt), "data.v!=%s", pats[j]);
			CHECK(holds(filt, ev) == !want);
		}
	/* The type attribute, the hot case, and a prefix that fills it. */
	CHECK(holds("type=order.paid*", EV("")) == 1);
	CHECK(holds("type=order.paid.*", EV("")) == 0);
	CHECK(holds("type=order.pai*", EV("")) == 1);
	CHECK(holds("type=order*,user.*", EV("")) == 1);
}

/* The reader: CRLF, blanks, NUL, an unterminated line, an over-long one. */
static void
reader(void)
{
	static const char text[] = "a\r\n\n  \t\r\nb\nxxxxxxxxxxxxxxxxxxxx\n"
	    "c\0d\ne";
	char path[] = "/tmp/filter_test.XXXXXX";
	struct reader r;
	struct line l;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(write(fd, text, sizeof(text) - 1) == sizeof(text) - 1);
	lseek(fd, 0, SEEK_SET);
	rd_init(&r, fd, "t", 10);
	CHECK(rd_line(&r, &l) == RD_LINE && l.len == 1 && l.p[0] == 'a' &&
	    l.rawlen == 3 && l.lineno == 1);
	CHECK(rd_line(&r, &l) == RD_LINE && l.len == 1 && l.p[0] == 'b' &&
	    l.lineno == 4);
	CHECK(rd_line(&r, &l) == RD_TOOLONG && l.lineno == 5);
	CHECK(rd_line(&r, &l) == RD_NUL && l.lineno == 6);
	CHECK(rd_line(&r, &l) == RD_LINE && l.len == 1 && l.p[0] == 'e' &&
	    l.rawlen == 1 && l.lineno == 7);
	CHECK(rd_line(&r, &l) == RD_EOF);
	rd_free(&r);
	close(fd);
	unlink(path);
}

int
main(void)
{
	scan_init(&sc);
	grammar();
	hints();
	evaluate();
	commas();
	prefixes();
	reader();
	scan_free(&sc);
	return unit_done("filter_test");
}
