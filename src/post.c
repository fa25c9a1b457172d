/* SPDX-License-Identifier: ISC */
/*
 * post.c - delivering events by HTTP POST with libcurl.
 */
#include <sys/random.h>

#include <curl/curl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ce.h"
#include "http.h"
#include "post.h"
#include "timefmt.h"
#include "trace.h"
#include "util.h"

/*
 * Keeps what an answer says of itself, for the message of a failed try:
 * the reason phrase of the status line ("401 Unauthorized"), then the
 * first line of the body, where a receiver such as evpub --listen says
 * what was wrong.  Bytes from outside: control characters become \xNN,
 * and only POST_REASON bytes are kept.
 */
static void
keep(struct post *p, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i;

	for (i = 0; i < n && !p->rdone; i++) {
		c = (unsigned char)s[i];
		if (c == '\n' || c == '\r') {
			p->rdone = p->rlen > 0;
			continue;
		}
		if (p->rlen + 5 >= sizeof(p->reason)) {
			p->rdone = 1;
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			p->reason[p->rlen++] = '\\';
			p->reason[p->rlen++] = 'x';
			p->reason[p->rlen++] = hex[c >> 4];
			p->reason[p->rlen++] = hex[c & 15];
		} else
			p->reason[p->rlen++] = (char)c;
	}
	p->reason[p->rlen] = '\0';
}

/* The status line's reason phrase: "HTTP/1.1 401 Unauthorized". */
static size_t
header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct post *p = arg;
	size_t n = size * nmemb;
	const char *sp;

	if (n > 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		/* A new answer (after a 100 Continue, say): start again. */
		p->rlen = 0;
		p->rdone = 0;
		p->reason[0] = '\0';
		if ((sp = memchr(ptr, ' ', n)) != NULL &&
		    (sp = memchr(sp + 1, ' ', n - (size_t)(sp + 1 - ptr))) !=
		    NULL)
			keep(p, sp + 1, n - (size_t)(sp + 1 - ptr));
		p->rdone = 0;
	}
	return n;
}

/* The body: its first line joins the reason; the rest is not kept. */
static size_t
body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct post *p = arg;

	if (!p->rdone) {
		if (p->rlen > 0 && p->reason[p->rlen - 1] != ':' &&
		    p->rlen + 2 < sizeof(p->reason)) {
			p->reason[p->rlen++] = ':';
			p->reason[p->rlen++] = ' ';
			p->reason[p->rlen] = '\0';
		}
		keep(p, ptr, size * nmemb);
		p->rdone = 1;
	}
	return size * nmemb;
}

int
post_header(struct post *p, const char *line, char *err, size_t n)
{
	static const char *const ours[] = { "content-type", "content-length",
	    "transfer-encoding", "host", "expect" };
	const char *colon = strchr(line, ':'), *v;
	size_t nl, i;

	if (colon == NULL || colon == line)
		return seterr(err, n, "\"%s\": not a header: Name: value "
		    "(curl -H's form)", line);
	nl = (size_t)(colon - line);
	for (i = 0; i < nl; i++)
		if (!http_istoken((unsigned char)line[i]))
			return seterr(err, n, "\"%.*s\": not a header name",
			    (int)nl, line);
	for (v = colon + 1; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 && *v != '\t')
			return seterr(err, n, "%.*s: a header's value is one "
			    "line of text", (int)nl, line);
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (strlen(ours[i]) == nl && strncasecmp(line, ours[i], nl) == 0)
			return seterr(err, n, "%.*s: set by --post itself, not "
			    "by -H", (int)nl, line);
	if ((nl > 3 && strncasecmp(line, "ce-", 3) == 0) ||
	    (nl > 8 && strncasecmp(line, "webhook-", 8) == 0))
		return seterr(err, n, "%.*s: the event's own headers come from "
		    "the event (ce-) and --secret (webhook-), not -H", (int)nl,
		    line);
	p->hdrs = xrealloc(p->hdrs, (p->nhdrs + 1) * sizeof(*p->hdrs));
	p->hdrs[p->nhdrs++] = xstrdup(line);
	return 0;
}

int
post_header_file(struct post *p, const char *path, char *err, size_t n)
{
	char *line = NULL, why[512];
	size_t cap = 0, lineno = 0;
	ssize_t len;
	FILE *f;
	int r = 0;

	if ((f = fopen(path, "re")) == NULL)
		return seterr(err, n, "%s: %s", path, strerror(errno));
	while (r == 0 && (len = getline(&line, &cap, f)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (post_header(p, line, why, sizeof(why)) == -1)
			r = seterr(err, n, "%s:%zu: %s", path, lineno, why);
	}
	if (r == 0 && ferror(f))
		r = seterr(err, n, "%s: %s", path, strerror(errno));
	free(line);
	fclose(f);
	return r;
}

int
post_open(struct post *p, struct deliver *d, char *err, size_t n)
{
	CURLU *u;
	char *scheme = NULL;
	CURL *h;
	int ok;

	p->d = d;
	if (p->timeout <= 0)
		p->timeout = POST_TIMEOUT_MS;
	if ((u = curl_url()) == NULL)
		return seterr(err, n, "out of memory");
	ok = curl_url_set(u, CURLUPART_URL, p->url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
	curl_free(scheme);
	curl_url_cleanup(u);
	if (!ok)
		return seterr(err, n, "%s: not an http:// or https:// URL",
		    p->url);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return seterr(err, n, "libcurl would not start");
	if ((h = curl_easy_init()) == NULL) {
		curl_global_cleanup();
		return seterr(err, n, "libcurl would not start");
	}
	p->curl = h;
	p->errbuf = xmalloc(CURL_ERROR_SIZE);
	scan_init(&p->sc);
	curl_easy_setopt(h, CURLOPT_URL, p->url);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	/* A redirect would send the event, and its signature, somewhere
	 * the user never named. */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, p->timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, p->timeout);
	/* Signals are the program's: time-outs must not use SIGALRM. */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, p);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, p->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "eventful/" EV_VERSION);
	return 0;
}

void
post_close(struct post *p)
{
	size_t i;

	for (i = 0; i < p->nhdrs; i++)
		free(p->hdrs[i]);
	free(p->hdrs);
	p->hdrs = NULL;
	p->nhdrs = 0;
	if (p->curl == NULL)
		return;
	curl_easy_cleanup(p->curl);
	curl_global_cleanup();
	p->curl = NULL;
	free(p->errbuf);
	scan_free(&p->sc);
	buf_free(&p->body);
	buf_free(&p->tmp);
}

/*
 * Appends a header value for member m: a string decoded, anything else as
 * its JSON text, percent-encoded where the binding says.
 */
static void
hdrval(struct buf *b, const struct scan_member *m)
{
	char *s;
	size_t len;

	if (m->type != SCAN_STRING) {
		http_pctenc(b, m->val, m->vallen);
		return;
	}
	s = xmalloc(m->vallen);
	len = scan_unescape(m->val + 1, m->vallen - 2, s);
	http_pctenc(b, s, len);
	free(s);
}

/* Adds "Name: value", p->tmp's text, to the list l; a NUL ends it first.
 * Without the memory, the list is left as it was and p->nomem set. */
static struct curl_slist *
addhdr(struct post *p, struct curl_slist *l)
{
	struct curl_slist *n;

	buf_putc(&p->tmp, '\0');
	n = curl_slist_append(l, p->tmp.p);
	p->tmp.len = 0;
	if (n == NULL) {
		p->nomem = 1;
		return l;
	}
	return n;
}

/* The member of the scanned event named name, when set. */
static const struct scan_member *
attr(const struct scanner *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nm; i++)
		if (s->m[i].type != SCAN_NULL && scan_name_is(&s->m[i], name))
			return &s->m[i];
	return NULL;
}

/*
 * Tells whether the event's datacontenttype is a CloudEvents format
 * (application/cloudevents+json, -batch+json, ...).  Binary mode would
 * send it as the Content-Type, and every receiver would then read the
 * body as a structured-mode event: the data for the event itself.
 */
static int
nested(const struct scanner *s)
{
	const struct scan_member *ct = attr(s, "datacontenttype");

	return ct != NULL && ct->vallen > 25 &&
	    strncasecmp(ct->val + 1, "application/cloudevents", 23) == 0;
}

/*
 * Binary mode: the ce- headers of every attribute but the data and its
 * content type, Content-Type, and the data as the body, in p->body.
 * Content-Type is the datacontenttype as it is (binding 3.1.1): only ce-
 * values are percent-encoded.  A "data": null is a value, sent as JSON
 * null; no data at all is no body.
 */
static struct curl_slist *
binary(struct post *p, struct curl_slist *h)
{
	const struct scan_member *m, *ct, *data, *b64;
	char *s;
	size_t i, len;
	int jsondata = 1;

	ct = attr(&p->sc, "datacontenttype");
	data = scan_find(&p->sc, "data");
	b64 = attr(&p->sc, "data_base64");
	for (i = 0; i < p->sc.nm; i++) {
		m = &p->sc.m[i];
		if (m->type == SCAN_NULL || m == ct || m == data ||
		    scan_name_is(m, "data_base64"))
			continue;
		buf_puts(&p->tmp, "ce-");
		buf_put(&p->tmp, m->name, m->namelen);
		buf_puts(&p->tmp, ": ");
		hdrval(&p->tmp, m);
		h = addhdr(p, h);
	}
	buf_puts(&p->tmp, "Content-Type:");
	if (ct != NULL) {
		/* A valid event's media type is printable ASCII: it cannot
		 * break the header. */
		buf_putc(&p->tmp, ' ');
		s = xmalloc(ct->vallen);
		len = scan_unescape(ct->val + 1, ct->vallen - 2, s);
		buf_put(&p->tmp, s, len);
		free(s);
		jsondata = http_isjson(p->tmp.p + 14, p->tmp.len - 14);
	} else if (data != NULL)
		buf_puts(&p->tmp, " application/json");
	else if (b64 != NULL)
		buf_puts(&p->tmp, " application/octet-stream");
	p->body.len = 0;
	if (b64 != NULL) {
		/* The JSON string first: "\/\/\/\/" is "////" (PHP writes
		 * it so), as base64_ok checked it. */
		s = xmalloc(b64->vallen);
		len = scan_unescape(b64->val + 1, b64->vallen - 2, s);
		http_b64dec(&p->body, s, len);
		free(s);
	} else if (data != NULL && data->type == SCAN_STRING && !jsondata) {
		/* Text data is sent as the text, not as a JSON string. */
		s = xmalloc(data->vallen);
		len = scan_unescape(data->val + 1, data->vallen - 2, s);
		buf_put(&p->body, s, len);
		free(s);
	} else if (data != NULL && (data->type != SCAN_NULL || jsondata))
		buf_put(&p->body, data->val, data->vallen);
	return addhdr(p, h);
}

/*
 * The event's distributed tracing attributes as W3C Trace Context
 * headers, in both modes (trace.h): the receiver's HTTP tracing goes on
 * from the event's.  Values that are not W3C's are not sent.
 */
static struct curl_slist *
tracehdrs(struct post *p, struct curl_slist *h)
{
	static const char *const names[] = { "traceparent", "tracestate" };
	const struct scan_member *m;
	char *s;
	size_t i, len;

	for (i = 0; i < 2; i++) {
		if ((m = attr(&p->sc, names[i])) == NULL ||
		    m->type != SCAN_STRING)
			continue;
		s = xmalloc(m->vallen);
		len = scan_unescape(m->val + 1, m->vallen - 2, s);
		if (i == 0 ? trace_parent_ok(s, len) : trace_state_ok(s, len)) {
			buf_puts(&p->tmp, names[i]);
			buf_puts(&p->tmp, ": ");
			buf_put(&p->tmp, s, len);
			h = addhdr(p, h);
		} else if (i == 0) {
			free(s);
			break;	/* no tracestate without a traceparent */
		}
		free(s);
	}
	return h;
}

/*
 * One request: libcurl's code in *rc, the answer's status in *code and
 * its Retry-After in seconds (0 when none) in *after.  Returns 0, or -1
 * with err when the request could not be made (no memory for a header,
 * no signature): nothing was sent.
 */
static int
attempt(struct post *p, const char *msg, size_t mlen, CURLcode *rc,
    long *code, long *after, char *err, size_t n)
{
	struct curl_slist *h = NULL;
	const struct scan_member *id;
	const char *body = msg;
	size_t blen = mlen, len;
	char ts[24], sig[WHSIG_MAXKEYS * (WHSIG_SIGLEN + 1)];
	char wid[WHSIG_IDLEN + 1], *s;
	curl_off_t ra = 0;
	size_t i;

	*code = 0;
	*after = 0;
	p->nomem = 0;
	/* A body over 1 KiB would wait for "100 Continue" first. */
	buf_puts(&p->tmp, "Expect:");
	h = addhdr(p, h);
	for (i = 0; i < p->nhdrs; i++) {
		buf_puts(&p->tmp, p->hdrs[i]);
		h = addhdr(p, h);
	}
	if (p->binary && !nested(&p->sc)) {
		h = binary(p, h);
		body = p->body.p;
		blen = p->body.len;
	} else {
		buf_puts(&p->tmp, "Content-Type: application/cloudevents+json");
		h = addhdr(p, h);
	}
	h = tracehdrs(p, h);
	if (p->keys.n > 0) {
		/* The id is signed as it goes in the header. */
		id = attr(&p->sc, "id");
		s = xmalloc(id->vallen);
		if (id->type == SCAN_STRING)
			len = scan_unescape(id->val + 1, id->vallen - 2, s);
		else
			memcpy(s, id->val, len = id->vallen);
		whsig_msgid(s, len, wid);
		free(s);
		snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
		if (whsig_sign(p->keys.k, p->keys.n, wid, ts, body, blen, sig)
		    == -1) {
			curl_slist_free_all(h);
			return seterr(err, n, "could not sign");
		}
		buf_puts(&p->tmp, "webhook-id: ");
		buf_puts(&p->tmp, wid);
		h = addhdr(p, h);
		buf_puts(&p->tmp, "webhook-timestamp: ");
		buf_puts(&p->tmp, ts);
		h = addhdr(p, h);
		buf_puts(&p->tmp, "webhook-signature: ");
		buf_puts(&p->tmp, sig);
		h = addhdr(p, h);
	}
	if (p->nomem) {
		curl_slist_free_all(h);
		return seterr(err, n, "out of memory");
	}
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, blen ? body : "");
	curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)blen);
	p->errbuf[0] = '\0';
	p->rlen = 0;
	p->rdone = 0;
	p->reason[0] = '\0';
	*rc = curl_easy_perform(p->curl);
	if (*rc == CURLE_OK) {
		curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, code);
		if (curl_easy_getinfo(p->curl, CURLINFO_RETRY_AFTER, &ra) ==
		    CURLE_OK && ra > 0)
			*after = ra > POST_MAXRETRYAFTER ? POST_MAXRETRYAFTER :
			    (long)ra;
	}
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	return 0;
}

/* Tells whether a failure of libcurl may pass if tried again. */
static int
transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_OUT_OF_MEMORY:
		return 0;
	default:
		return 1;
	}
}

/*
 * The wait before the next try: between half the backoff and all of it,
 * so that senders that failed together do not come back together.
 */
static long
jitter(long wait)
{
	unsigned int r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (unsigned int)rand();
	return wait / 2 + (long)(r % (unsigned int)(wait / 2 + 1));
}

enum post_result
post_send(struct post *p, const char *msg, size_t mlen, const char *where,
    char *err, size_t n)
{
	long wait = DELIVER_BACKOFF_MS, code, after, ms;
	char how[CURL_ERROR_SIZE + POST_REASON + 64];
	int try, retry;
	CURLcode rc = CURLE_OK;

	if (scan_json(&p->sc, msg, mlen) != SCAN_OBJECT ||
	    attr(&p->sc, "id") == NULL) {
		warnw(where, "not an event to post");
		return POST_FAILED;
	}
	for (try = 0;; try++) {
		if (attempt(p, msg, mlen, &rc, &code, &after, err, n) == -1)
			return POST_ERR;
		if (rc == CURLE_OK && code >= 200 && code < 300)
			return POST_OK;
		if (rc == CURLE_OK && code == 410) {
			warnw(where, "%s answered 410 Gone: delivery stops",
			    p->url);
			return POST_GONE;
		}
		if (rc != CURLE_OK) {
			snprintf(how, sizeof(how), "failed: %s", p->errbuf[0] ?
			    p->errbuf : curl_easy_strerror(rc));
			retry = transient(rc);
		} else {
			snprintf(how, sizeof(how), "answered %ld%s%s%s", code,
			    p->rlen > 0 ? " " : "", p->reason,
			    code >= 300 && code < 400 ? " (redirects are not "
			    "followed)" : "");
			retry = code >= 500 || code == 429 || code == 408;
		}
		if (!retry) {
			warnw(where, "%s %s, not retried", p->url, how);
			return POST_FAILED;
		}
		if (try >= p->d->retries) {
			warnw(where, "%s %s, after %d tries", p->url, how,
			    try + 1);
			return POST_FAILED;
		}
		ms = after > 0 ? after * 1000 : jitter(wait);
		warnw(where, "%s %s; try %d of %d in %ld ms", p->url, how,
		    try + 2, p->d->retries + 1, ms);
		sleepms(ms);
		wait = wait * 2 > DELIVER_MAXWAIT_MS ? DELIVER_MAXWAIT_MS :
		    wait * 2;
	}
}

enum post_result
post_event(struct post *p, const char *msg, size_t mlen, const char *line,
    size_t len, const char *where, char *err, size_t n)
{
	enum post_result r;

	if ((r = post_send(p, msg, mlen, where, err, n)) != POST_FAILED)
		return r;
	switch (deliver_park(p->d, line, len, where, err, n)) {
	case DELIVER_PARKED:
		return POST_PARKED;
	case DELIVER_ERR:
		return POST_ERR;
	default:
		return POST_FAILED;
	}
}
