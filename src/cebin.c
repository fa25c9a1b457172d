/* SPDX-License-Identifier: ISC */
/*
 * cebin.c - a binary-mode CloudEvent made a structured one (cebin.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ce.h"
#include "cebin.h"
#include "http.h"
#include "scan.h"

/* Whether member name was written already (names are kept, each with
 * its NUL, in b->names). */
static int
seen(struct cebin *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->names.len; i += strlen(b->names.p + i) + 1)
		if (strcmp(b->names.p + i, name) == 0)
			return 1;
	buf_puts(&b->names, name);
	buf_putc(&b->names, '\0');
	return 0;
}

/* Starts member name: a comma before all but the first. */
static void
member(struct cebin *b, const char *name)
{
	buf_puts(b->ev, b->first ? "\"" : ",\"");
	buf_puts(b->ev, name);
	buf_puts(b->ev, "\":");
	b->first = 0;
}

void
cebin_start(struct cebin *b, struct buf *ev, int http)
{
	b->ev = ev;
	b->http = http;
	b->first = 1;
	b->err[0] = '\0';
	b->names.len = 0;
	ev->len = 0;
	buf_putc(ev, '{');
}

void
cebin_header(struct cebin *b, const char *key, const char *val)
{
	struct buf v = { 0 }, q = { 0 };
	char name[128], why[200];
	size_t i, n;

	if (strncasecmp(key, "ce-", 3) != 0 || b->err[0] != '\0')
		return;
	key += 3;
	n = strlen(key);
	if (n == 0 || n >= sizeof(name)) {
		snprintf(b->err, sizeof(b->err), "a ce- header without an "
		    "attribute name");
		return;
	}
	for (i = 0; i <= n; i++)
		name[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 :
		    key[i]);
	if (!ce_name_ok(name, n)) {
		snprintf(b->err, sizeof(b->err), "ce-%s: not an attribute name "
		    "(a-z, 0-9)", name);
		return;
	}
	if (strcmp(name, "data") == 0) {
		snprintf(b->err, sizeof(b->err), "ce-data: the data is the "
		    "body, not a header");
		return;
	}
	if (seen(b, name)) {
		snprintf(b->err, sizeof(b->err), "ce-%s: given twice", name);
		return;
	}
	/* A quoted-string is unescaped first (RFC 7230 3.2.6), then the
	 * value is percent-decoded (binding 3.1.3.2). */
	if (b->http && http_unquote(&q, val) == -1) {
		snprintf(b->err, sizeof(b->err), "ce-%s: a quoted-string "
		    "without its closing '\"', or with more after it", name);
		buf_free(&q);
		return;
	}
	if (!b->http)
		buf_puts(&q, val);
	buf_putc(&q, '\0');
	if (http_pctdec(&v, q.p) == -1) {
		snprintf(b->err, sizeof(b->err), "ce-%s: a '%%' not followed by "
		    "two hex digits (send %%25 for '%%')", name);
		buf_free(&q);
		buf_free(&v);
		return;
	}
	buf_free(&q);
	member(b, name);
	if (buf_jsonstr(b->ev, v.p ? v.p : "", v.len) == -1)
		snprintf(b->err, sizeof(b->err), "ce-%s: not valid UTF-8 once "
		    "percent-decoded", name);
	else if (ce_text_check(v.p ? v.p : "", v.len, why, sizeof(why)) == -1)
		snprintf(b->err, sizeof(b->err), "ce-%s: %s", name, why);
	buf_free(&v);
}

int
cebin_type(struct cebin *b, const char *ct)
{
	if (ct == NULL)
		return 0;
	if (seen(b, "datacontenttype")) {
		snprintf(b->err, sizeof(b->err), "Content-Type and "
		    "ce-datacontenttype: one of them, not both");
		return -1;
	}
	member(b, "datacontenttype");
	if (buf_jsonstr(b->ev, ct, strlen(ct)) == 0)
		return 0;
	snprintf(b->err, sizeof(b->err), "Content-Type: not valid UTF-8");
	return -1;
}

enum cebin_kind
cebin_kind(const char *ct, const char *body, size_t len)
{
	if (ct == NULL || http_isjson(ct, strlen(ct)))
		return CEBIN_JSON;
	if (strncasecmp(ct, "text/", 5) == 0 && scan_utf8_valid(body, len) &&
	    memchr(body, '\0', len) == NULL)
		return CEBIN_TEXT;
	return CEBIN_BASE64;
}

void
cebin_json(struct cebin *b, const char *json, size_t len)
{
	member(b, "data");
	buf_put(b->ev, json, len);
}

void
cebin_text(struct cebin *b, const char *body, size_t len)
{
	member(b, "data");
	(void)buf_jsonstr(b->ev, body, len);
}

void
cebin_base64(struct cebin *b, const char *body, size_t len)
{
	member(b, "data_base64");
	buf_putc(b->ev, '"');
	http_b64enc(b->ev, body, len);
	buf_putc(b->ev, '"');
}

void
cebin_end(struct cebin *b)
{
	buf_putc(b->ev, '}');
}

int
cebin_data(struct cebin *b, struct scanner *sc, const char *ct,
    const char *body, size_t len, int lenient)
{
	if (len > 0) {
		switch (cebin_kind(ct, body, len)) {
		case CEBIN_JSON:
			if (scan_json(sc, body, len) >= 0) {
				cebin_json(b, sc->val, sc->vallen);
				break;
			}
			if (!lenient) {
				snprintf(b->err, sizeof(b->err), "the body: "
				    "not JSON, as Content-Type says: %s",
				    sc->err != NULL ? sc->err : "?");
				return -1;
			}
			/* Stored already: kept as what it is. */
			if (scan_utf8_valid(body, len) &&
			    memchr(body, '\0', len) == NULL)
				cebin_text(b, body, len);
			else
				cebin_base64(b, body, len);
			break;
		case CEBIN_TEXT:
			cebin_text(b, body, len);
			break;
		case CEBIN_BASE64:
			cebin_base64(b, body, len);
			break;
		}
	}
	cebin_end(b);
	return 0;
}

void
cebin_free(struct cebin *b)
{
	buf_free(&b->names);
}
