/* SPDX-License-Identifier: ISC */
/*
 * sseparse_test - the event-stream parser against the cases of the
 * WHATWG HTML standard's "Parsing an event stream" (9.2.6), and pieces
 * cut anywhere giving what the whole gives.
 */
#include <string.h>

#include "buf.h"
#include "sseparse.h"
#include "unit.h"

/* What the messages were, one a line: EVENT|ID|HASID|DATA, LF as "\n". */
static struct buf got;

static int
collect(void *arg, const struct sse_msg *m)
{
	size_t i;

	(void)arg;
	buf_puts(&got, m->event);
	buf_putc(&got, '|');
	buf_puts(&got, m->id);
	buf_puts(&got, m->hasid ? "|1|" : "|0|");
	if (m->toolong)
		buf_puts(&got, "TOOLONG");
	for (i = 0; i < m->len; i++)
		if (m->data[i] == '\n')
			buf_puts(&got, "\\n");
		else
			buf_putc(&got, m->data[i]);
	buf_putc(&got, '\n');
	return 0;
}

/* The messages of s, fed in pieces of size piece (0: whole). */
static const char *
parse(const char *s, size_t len, size_t piece, size_t max, long *retry)
{
	struct sseparse p;
	size_t i, n;

	got.len = 0;
	ssep_init(&p, max, collect, NULL);
	for (i = 0; i < len; i += n) {
		n = piece == 0 || len - i < piece ? len - i : piece;
		ssep_feed(&p, s + i, n);
	}
	if (retry != NULL)
		*retry = p.retry;
	ssep_free(&p);
	buf_putc(&got, '\0');
	got.len--;
	return got.p != NULL ? got.p : "";
}

#define IS(s, want) do { \
	const char *g_ = parse(s, sizeof(s) - 1, 0, 1 << 20, NULL); \
	CHECKMSG(strcmp(g_, want) == 0, "%s", g_); \
} while (0)

int
main(void)
{
	static const char mixed[] = "\xef\xbb\xbf: hello\r\nid: 1\r\n"
	    "event: add\rdata: a\r\ndata:b\n\r\n\ndata\n\nid: 2\0x\n"
	    "data: c\r\rretry: 250\ndata: d\n\n";
	const char *whole;
	char *copy;
	long retry;
	size_t i;

	IS("data: a\n\n", "message||0|a\n");
	IS("data:a\ndata: b\r\n\r\n", "message||0|a\\nb\n");
	IS("data: x\r\r", "message||0|x\n");
	IS(": comment\nevent: add\ndata: 1\n\n", "add||0|1\n");
	/* One space after the colon goes, not two. */
	IS("data:  two\n\n", "message||0| two\n");
	/* The id lasts; this message set it or not. */
	IS("id: 7\ndata: a\n\ndata: b\n\n", "message|7|1|a\nmessage|7|0|b\n");
	IS("id: 7\n\ndata: b\n\n", "message|7|0|b\n");
	IS("id: 7\ndata: a\n\nid\ndata: b\n\n",
	    "message|7|1|a\nmessage||1|b\n");
	/* An id with a NUL is ignored. */
	IS("id: 7\ndata: a\n\nid: 8\0x\ndata: b\n\n",
	    "message|7|1|a\nmessage|7|0|b\n");
	/* No data: nothing dispatched, and the event name goes. */
	IS("event: x\n\ndata: y\n\n", "message||0|y\n");
	/* A "data" line alone is an empty line of data. */
	IS("data\n\n", "message||0|\n");
	IS("data\ndata\n\n", "message||0|\\n\n");
	/* Unknown fields are ignored; the end without a blank line is
	 * not a message. */
	IS("foo: bar\ndata: z\n\ndata: half", "message||0|z\n");
	IS("\xef\xbb\xbf" "data: bom\n\n", "message||0|bom\n");
	/* A BOM only at the start. */
	IS("data: a\n\n\xef\xbb\xbf" "data: b\n\n", "message||0|a\n");

	CHECK(strcmp(parse("retry: 1500\n", 12, 0, 100, &retry), "") == 0);
	CHECK(retry == 1500);
	parse("retry: 1500\nretry: 15a\nretry: \n", 31, 0, 100, &retry);
	CHECK(retry == 1500);
	parse("data: x\n\n", 9, 0, 100, &retry);
	CHECK(retry == -1);

	/* Over max: the message is dropped, and said; the next is whole. */
	whole = parse("data: 0123456789\n\ndata: ok\n\n", 28, 0, 8, NULL);
	CHECKMSG(strcmp(whole, "message||0|TOOLONG\nmessage||0|ok\n") == 0,
	    "%s", whole);
	whole = parse("data: 0123\ndata: 4567\n\ndata: ok\n\n", 33, 0, 8,
	    NULL);
	CHECKMSG(strcmp(whole, "message||0|TOOLONG\nmessage||0|ok\n") == 0,
	    "%s", whole);
	whole = parse("data: 0123456789\n\ndata: ok\n\n", 28, 3, 8, NULL);
	CHECKMSG(strcmp(whole, "message||0|TOOLONG\nmessage||0|ok\n") == 0,
	    "%s", whole);

	/* Pieces cut anywhere: a CR at one's end, an LF at the next's
	 * start, a BOM cut in two. */
	copy = strdup(parse(mixed, sizeof(mixed) - 1, 0, 1 << 20, NULL));
	CHECKMSG(strcmp(copy, "add|1|1|a\\nb\nmessage|1|0|\n"
	    "message|1|0|c\nmessage|1|0|d\n") == 0, "%s", copy);
	for (i = 1; i < sizeof(mixed); i++)
		CHECKMSG(strcmp(parse(mixed, sizeof(mixed) - 1, i, 1 << 20,
		    NULL), copy) == 0, "pieces of %zu: %s", i, got.p);
	free(copy);
	buf_free(&got);
	return unit_done("sseparse_test");
}
