/* SPDX-License-Identifier: ISC */
/*
 * http.h - the small pieces of the CloudEvents HTTP binding that the
 * sending side (post.c) and the receiving side (listen.c) share, so that
 * what one writes the other reads back.
 */
#ifndef EV_HTTP_H
#define EV_HTTP_H

#include <stddef.h>

#include "buf.h"

/*
 * Tells whether a media type (a Content-Type value, parameters allowed)
 * is JSON: application/json, or any type ending in "+json".
 */
int http_isjson(const char *type, size_t len);

/*
 * Appends s[0..len) as a header value: space, '"', '%' and every byte
 * outside printable ASCII percent-encoded (the binding's rule), so that no
 * value can break a header.
 */
void http_pctenc(struct buf *b, const char *s, size_t len);

/* Tells whether c may stand in a header's name (RFC 9110 tchar). */
int http_istoken(int c);

/* Appends the percent-decoded s.  Returns 0, or -1 on a bad escape. */
int http_pctdec(struct buf *b, const char *s);

/*
 * Appends header value s to b, a quoted-string unescaped (RFC 9110
 * 5.6.4): '"', then characters and backslash-escaped ones, then '"'
 * ending the value.  A value that does not start with '"' is taken as it
 * is.  Returns 0, or -1 when a quoted-string is not closed or is followed
 * by more.
 */
int http_unquote(struct buf *b, const char *s);

/*
 * Appends the value of field name of the form body[0..len)
 * (application/x-www-form-urlencoded: '+' for space, %XX for a byte), the
 * first one of that name.  Returns 0, or -1 with a reason in err when
 * there is none or an escape is bad.
 */
int http_formfield(struct buf *b, const char *body, size_t len,
    const char *name, char *err, size_t n);

/* Appends the padded base64 of s[0..len). */
void http_b64enc(struct buf *b, const void *s, size_t len);

/*
 * Appends the bytes that valid padded base64 s[0..len) stands for
 * (base64_ok said it was).
 */
void http_b64dec(struct buf *b, const char *s, size_t len);

#endif
