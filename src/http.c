/* SPDX-License-Identifier: ISC */
/*
 * http.c - header values, media types and base64 for the HTTP binding.
 */
#include <openssl/evp.h>

#include <string.h>
#include <strings.h>

#include "http.h"
#include "scan.h"
#include "util.h"

int
http_isjson(const char *t, size_t len)
{
	size_t n = 0;

	while (n < len && t[n] != ';' && t[n] != ' ' && t[n] != '\t')
		n++;
	return (n == 16 && strncasecmp(t, "application/json", 16) == 0) ||
	    (n > 5 && strncasecmp(t + n - 5, "+json", 5) == 0);
}

void
http_pctenc(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *v = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < len; i++) {
		if (v[i] > 0x20 && v[i] < 0x7f && v[i] != '"' && v[i] != '%')
			buf_putc(b, v[i]);
		else {
			buf_putc(b, '%');
			buf_putc(b, hex[v[i] >> 4]);
			buf_putc(b, hex[v[i] & 15]);
		}
	}
}

int
http_pctdec(struct buf *b, const char *s)
{
	int hi, lo;

	for (; *s != '\0'; s++) {
		if (*s != '%') {
			buf_putc(b, *s);
			continue;
		}
		if ((hi = scan_hexval(s[1])) < 0 ||
		    (lo = scan_hexval(s[2])) < 0)
			return -1;
		buf_putc(b, hi << 4 | lo);
		s += 2;
	}
	return 0;
}

void
http_b64enc(struct buf *b, const void *s, size_t len)
{
	size_t n = (len + 2) / 3 * 4;

	buf_reserve(b, n + 1);
	EVP_EncodeBlock((unsigned char *)b->p + b->len,
	    (const unsigned char *)s, (int)len);
	b->len += n;
}

void
http_b64dec(struct buf *b, const char *s, size_t len)
{
	int n;

	if (len == 0)
		return;
	buf_reserve(b, len / 4 * 3);
	n = EVP_DecodeBlock((unsigned char *)b->p + b->len,
	    (const unsigned char *)s, (int)len);
	/* EVP_DecodeBlock counts the padding as zero bytes of data. */
	if (n > 0)
		b->len += (size_t)n - (s[len - 1] == '=') - (s[len - 2] == '=');
}

int
http_istoken(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c)
	    != NULL);
}

int
http_unquote(struct buf *b, const char *s)
{
	if (*s != '"') {
		buf_puts(b, s);
		return 0;
	}
	for (s++; *s != '"'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '\0')
			return -1;
		buf_putc(b, *s);
	}
	return s[1] == '\0' ? 0 : -1;
}

int
http_formfield(struct buf *b, const char *body, size_t len, const char *name,
    char *err, size_t n)
{
	const char *end = body + len, *f;
	size_t nl = strlen(name);
	int hi, lo;

	for (f = body; f < end; f++)
		if ((f == body || f[-1] == '&') && (size_t)(end - f) > nl &&
		    memcmp(f, name, nl) == 0 && f[nl] == '=')
			break;
	if (f >= end)
		return seterr(err, n, "a form without a %s= field: not a "
		    "GitHub delivery", name);
	for (f += nl + 1; f < end && *f != '&'; f++) {
		if (*f == '+')
			buf_putc(b, ' ');
		else if (*f != '%')
			buf_putc(b, *f);
		else if (end - f < 3 || (hi = scan_hexval(f[1])) < 0 ||
		    (lo = scan_hexval(f[2])) < 0)
			return seterr(err, n, "the form's %s: a %% not followed "
			    "by two hex digits", name);
		else {
			buf_putc(b, hi << 4 | lo);
			f += 2;
		}
	}
	return 0;
}
