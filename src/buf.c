/* SPDX-License-Identifier: ISC */
/*
 * buf.c - the growable buffer and the JSON string writer.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "scan.h"
#include "util.h"

void
buf_reserve(struct buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	b->cap = b->cap ? b->cap : 256;
	while (b->len + n > b->cap)
		b->cap *= 2;
	b->p = xrealloc(b->p, b->cap);
}

void
buf_put(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	buf_reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void
buf_putc(struct buf *b, int c)
{
	buf_reserve(b, 1);
	b->p[b->len++] = (char)c;
}

int
buf_jsonstr(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start;
	unsigned char c;

	if (memchr(s, '\0', len) != NULL || !scan_utf8_valid(s, len))
		return -1;
	buf_reserve(b, len + 2);
	b->p[b->len++] = '"';
	for (i = start = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_put(b, s + start, i - start);
		start = i + 1;
		buf_putc(b, '\\');
		switch (c) {
		case '"': buf_putc(b, '"'); break;
		case '\\': buf_putc(b, '\\'); break;
		case '\b': buf_putc(b, 'b'); break;
		case '\f': buf_putc(b, 'f'); break;
		case '\n': buf_putc(b, 'n'); break;
		case '\r': buf_putc(b, 'r'); break;
		case '\t': buf_putc(b, 't'); break;
		default:
			buf_puts(b, "u00");
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
			break;
		}
	}
	buf_put(b, s + start, len - start);
	buf_putc(b, '"');
	return 0;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
