/* SPDX-License-Identifier: ISC */
/*
 * web_fuzz - libFuzzer target for what evpub --listen and evsub --post
 * take from the network or the command line, byte for byte: a quoted
 * ce- header value, a form body (GitHub's payload=), percent-encoding,
 * the Standard Webhooks timestamp and signature headers, GitHub's
 * X-Hub-Signature-256, -H header lines, and a binary-mode message
 * made an event (cebin: it must be a JSON object when it is made).  The first byte of the input
 * picks the parser, the rest is its input; crashes and sanitizer reports
 * are the failures, as are two results that contradict each other (a
 * value unquoted to more bytes than it had).  make fuzz runs it, seeded
 * from tests/fuzz/seeds/web and the Standard Webhooks vectors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cebin.h"
#include "deliver.h"
#include "http.h"
#include "post.h"
#include "scan.h"
#include "whsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input after the selector as a C string, cut at its first NUL. */
static char *
cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * A binary-mode message: "key: value" lines, then an empty line, then the
 * body.  What cebin makes of it without a mistake must be a JSON object.
 */
static void
binmsg(char *s, int http)
{
	struct scanner sc;
	struct buf ev = { 0 };
	struct cebin b = { 0 };
	char *line, *colon, *ct = NULL, *body = "";

	scan_init(&sc);
	cebin_start(&b, &ev, http);
	for (line = s; line != NULL && *line != '\0'; ) {
		char *nl = strchr(line, '\n');

		if (nl != NULL)
			*nl++ = '\0';
		if (*line == '\0') {
			body = nl != NULL ? nl : "";
			break;
		}
		if ((colon = strchr(line, ':')) != NULL) {
			*colon++ = '\0';
			while (*colon == ' ')
				colon++;
			if (strcasecmp(line, "content-type") == 0)
				ct = colon;
			else
				cebin_header(&b, line, colon);
		}
		line = nl;
	}
	if (b.err[0] == '\0' && cebin_type(&b, ct) == 0 &&
	    cebin_data(&b, &sc, ct, body, strlen(body), http) == 0 &&
	    b.err[0] == '\0' && (scan_json(&sc, ev.p, ev.len) < 0 ||
	    sc.type != SCAN_OBJECT))
		abort();
	cebin_free(&b);
	scan_free(&sc);
	buf_free(&ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct whsig_keys keys;
	static int ready;
	struct buf b = { 0 };
	struct post p;
	char err[512], *s, *nl, *ts, *sigs;
	const char *body;
	int64_t sec;

	if (!ready) {
		if (whsig_addkeys(&keys, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		    err, sizeof(err)) == -1)
			abort();
		ready = 1;
	}
	if (size == 0)
		return 0;
	s = cstr(data + 1, size - 1);
	switch (data[0] % 7) {
	case 0:
		if (http_unquote(&b, s) == 0 && b.len > strlen(s))
			abort();
		break;
	case 1:
		if (http_formfield(&b, (const char *)data + 1, size - 1,
		    "payload", err, sizeof(err)) == 0 && b.len > size)
			abort();
		break;
	case 2:
		if (http_pctdec(&b, s) == 0 && b.len > strlen(s))
			abort();
		break;
	case 3:
		/* Lines: the id, the timestamp, the signatures; the rest:
		 * the body (a Standard Webhooks vector, as make fuzz seeds
		 * them). */
		if ((ts = strchr(s, '\n')) == NULL ||
		    (sigs = strchr(ts + 1, '\n')) == NULL)
			break;
		*ts++ = '\0';
		*sigs++ = '\0';
		if ((nl = strchr(sigs, '\n')) != NULL)
			*nl++ = '\0';
		body = nl != NULL ? nl : "";
		(void)whsig_timestamp(ts, &sec);
		(void)whsig_verify(keys.k, keys.n, s, ts, sigs, body,
		    strlen(body), 0, 0, err, sizeof(err));
		break;
	case 4:
		if ((nl = strchr(s, '\n')) != NULL)
			*nl++ = '\0';
		(void)whsig_github("It is a secret", s, nl ? nl : "",
		    nl ? strlen(nl) : 0, err, sizeof(err));
		break;
	case 5:
		memset(&p, 0, sizeof(p));
		(void)post_header(&p, s, err, sizeof(err));
		post_close(&p);
		break;
	case 6:
		binmsg(s, data[0] & 0x80);
	}
	buf_free(&b);
	free(s);
	return 0;
}
