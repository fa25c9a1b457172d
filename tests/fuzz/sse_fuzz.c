/* SPDX-License-Identifier: ISC */
/*
 * sse_fuzz - libFuzzer target for the event-stream parser (sseparse.c):
 * the input after its first byte is parsed whole, then in pieces whose
 * size the first byte gives, with a small max so that the over-long path
 * runs too; both must give the same messages, each within max.  Crashes,
 * sanitizer reports and a difference are the failures; make fuzz runs it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sseparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	struct buf b;		/* every message, flattened */
	size_t max;		/* the parser's max */
};

static int
collect(void *arg, const struct sse_msg *m)
{
	struct seen *s = arg;

	if (m->len > s->max)
		abort();
	buf_puts(&s->b, m->event);
	buf_putc(&s->b, 0);
	buf_puts(&s->b, m->id);
	buf_putc(&s->b, 0);
	buf_putc(&s->b, m->hasid + 2 * m->toolong);
	buf_put(&s->b, m->data, m->len);
	buf_putc(&s->b, 0);
	return 0;
}

static void
run(struct seen *s, const char *p, size_t n, size_t piece, long *retry)
{
	struct sseparse sp;
	size_t i, k;

	ssep_init(&sp, s->max, collect, s);
	for (i = 0; i < n; i += k) {
		k = piece == 0 || n - i < piece ? n - i : piece;
		ssep_feed(&sp, p + i, k);
	}
	*retry = sp.retry;
	ssep_free(&sp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen a = { { 0 }, 64 }, b = { { 0 }, 64 };
	long ra, rb;

	if (size < 1)
		return 0;
	run(&a, (const char *)data + 1, size - 1, 0, &ra);
	run(&b, (const char *)data + 1, size - 1, 1 + data[0] % 16, &rb);
	if (a.b.len != b.b.len || (a.b.len > 0 &&
	    memcmp(a.b.p, b.b.p, a.b.len) != 0) || ra != rb)
		abort();
	buf_free(&a.b);
	buf_free(&b.b);
	return 0;
}
