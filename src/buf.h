/* SPDX-License-Identifier: ISC */
/*
 * buf.h - a growable byte buffer, and JSON text written into it.
 */
#ifndef EV_BUF_H
#define EV_BUF_H

#include <stddef.h>

struct buf {
	char *p;	/* the bytes */
	size_t len;	/* how many */
	size_t cap;	/* allocated */
};

/* Makes room for n more bytes after b->len. */
void buf_reserve(struct buf *, size_t n);
void buf_put(struct buf *, const void *, size_t);
void buf_puts(struct buf *, const char *);
void buf_putc(struct buf *, int);

/*
 * Appends s[0..len) as a quoted JSON string.  Returns 0, or -1 (and
 * appends nothing) when s is not valid UTF-8 or holds a NUL byte.
 */
int buf_jsonstr(struct buf *, const char *s, size_t len);

void buf_free(struct buf *);

#endif
