/* SPDX-License-Identifier: ISC */
/*
 * ssein.c - evpub --sse: an event stream read into events; see ssein.h.
 */
#include <sys/stat.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ce.h"
#include "sseparse.h"
#include "ssein.h"
#include "timefmt.h"
#include "util.h"

/* Why a reading stopped for good. */
enum stop {
	S_NO,		/* it did not: read again */
	S_DONE,		/* -c reached, a signal, 204, the reader gone */
	S_IDLE,		/* -w passed */
	S_FAIL,		/* a refusal asking again will not mend */
	S_ERR		/* the state could not be saved: err */
};

/* One run: the reading, its parser, and where it is. */
struct run {
	struct ssein *s;
	struct sseparse sp;
	CURL *h;
	int stop;		/* enum stop */
	int checked;		/* the answer's status was looked at */
	long code;		/* the answer's status */
	char why[300];		/* what S_FAIL, or the last failure, was */
	long long n;		/* events written */
	int64_t lastevent;	/* when the last came */
	int64_t lastsave;	/* when the state was last saved */
	int got;		/* a message came on this connection */
	char *saved;		/* the id in the state file */
	struct buf data;	/* the data of a new event */
	struct buf tmp;		/* scratch */
	char *err;		/* S_ERR: what failed, the caller's */
	size_t errn;		/* its size */
};

static volatile sig_atomic_t signalled;

static void
onsignal(int sig)
{
	(void)sig;
	signalled = 1;
}

/*
 * Saves id to the state file, after what was written before it is
 * (flushed; on a topic, acknowledged): a private file replaced
 * atomically, never through a symbolic link someone put there.  Returns
 * 0, or -1 with r->err saying what failed.
 */
static int
save(struct run *r)
{
	struct ssein *s = r->s;
	const char *id = r->sp.id.p;
	struct stat st;
	const char *step;
	char *line;
	size_t len;

	r->lastsave = now_usec();
	if (s->state == NULL || (r->saved != NULL && strcmp(r->saved, id) ==
	    0))
		return 0;
	if (out_flush(s->o) == -1)
		return 0;	/* the reader went away: nothing more */
	if (lstat(s->state, &st) == 0 && S_ISLNK(st.st_mode))
		return seterr(r->err, r->errn, "%s: a symbolic link where the "
		    "state belongs: refused", s->state);
	/* The id and a newline, replaced whole and durably (util.c). */
	len = strlen(id);
	line = xmalloc(len + 2);
	memcpy(line, id, len);
	line[len] = '\n';
	if (replace_file(s->state, line, len + 1, NULL, NULL, 0, &step) ==
	    -1) {
		free(line);
		return seterr(r->err, r->errn, "%s: saving the state: %s: %s",
		    s->state, step, strerror(errno));
	}
	free(line);
	free(r->saved);
	r->saved = xstrdup(id);
	return 0;
}

/* Reads the last event id from the state file, if there is one.  Returns
 * 0, or -1 with r->err. */
static int
load(struct run *r)
{
	size_t len;
	char *text;

	if (r->s->state == NULL)
		return 0;
	if ((text = readfile(r->s->state, 65536, &len)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return seterr(r->err, r->errn, "%s: the state: %s",
		    r->s->state, strerror(errno));
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (memchr(text, '\n', len) != NULL || memchr(text, '\0', len) !=
	    NULL) {
		free(text);
		return seterr(r->err, r->errn, "%s: not a state of evpub --sse "
		    "(one line: the last event id)", r->s->state);
	}
	ssep_setid(&r->sp, text, len);
	text[len] = '\0';
	r->saved = text;
	return 0;
}

/* Sets the JSON string b to s, checked as an attribute's text. */
static int
attr(struct buf *b, const char *what, const char *s, char *err, size_t n)
{
	char why[200];

	b->len = 0;
	if (*s == '\0')
		return seterr(err, n, "%s: empty", what);
	if (buf_jsonstr(b, s, strlen(s)) == -1)
		return seterr(err, n, "%s: not valid UTF-8", what);
	if (ce_text_check(s, strlen(s), why, sizeof(why)) == -1)
		return seterr(err, n, "%s: %s", what, why);
	return 0;
}

/* One message becomes one event; returns 0, or -1 with err. */
static int
event(struct run *r, const struct sse_msg *m, char *err, size_t n)
{
	struct ssein *s = r->s;
	struct pub *p = s->p;
	struct ce_event ev;
	const char *ctype = "application/json";

	if (m->toolong)
		return seterr(err, n, "a message over %zu bytes (--max-size): "
		    "dropped", p->maxsize);
	/* A CloudEvent is taken as it is. */
	if (ce_validate(&p->sc, m->data, m->len, &ev, err, n) == 0) {
		out_put(s->o, m->data, m->len);
		out_putc(s->o, '\n');
		out_end(s->o);
		return 0;
	}
	r->data.len = 0;
	if (pub_json(p, &r->data, m->data, m->len, err, n) == -1) {
		r->data.len = 0;
		if (buf_jsonstr(&r->data, m->data, m->len) == -1)
			return seterr(err, n, "data: not valid UTF-8");
		ctype = "text/plain";
	}
	if (s->evtype && attr(&p->typej, "event", m->event, err, n) == -1)
		return -1;
	/* The stream's own id: a repeat is the same event. */
	p->id = NULL;
	if (m->hasid && *m->id != '\0') {
		if (attr(&p->idj, "id", m->id, err, n) == -1)
			return -1;
		p->id = m->id;
	}
	if (pub_event(p, s->o, r->data.p, r->data.len, ctype, err, n) !=
	    PUB_OK)
		return -1;
	return 0;
}

static int
onmessage(void *arg, const struct sse_msg *m)
{
	struct run *r = arg;
	struct ssein *s = r->s;
	char err[600], where[400];

	r->got = 1;
	r->lastevent = now_usec();
	if (event(r, m, err, sizeof(err)) == -1) {
		snprintf(where, sizeof(where), "%s: id %s", s->url,
		    *m->id != '\0' ? shown(m->id, strlen(m->id)) : "(none)");
		if (!s->c->quiet)
			warnw(where, "%s", err);
		s->c->status = EXIT_INVALID;
	} else
		r->n++;
	if (s->o->closed || (s->count > 0 && r->n >= s->count)) {
		r->stop = S_DONE;
		return 1;
	}
	if (now_usec() - r->lastsave >= 1000000 && save(r) == -1) {
		r->stop = S_ERR;
		return 1;
	}
	return 0;
}

/* The answer's head is in once the body starts: a stream, or not. */
static int
checkanswer(struct run *r)
{
	char *ct = NULL;

	r->checked = 1;
	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &r->code);
	curl_easy_getinfo(r->h, CURLINFO_CONTENT_TYPE, &ct);
	if (r->code == 204) {
		r->stop = S_DONE;
		return -1;
	}
	if (r->code != 200) {
		snprintf(r->why, sizeof(r->why), "answered %ld", r->code);
		/* Asking again mends a server's trouble, not a refusal. */
		if (r->code >= 400 && r->code < 500 && r->code != 408 &&
		    r->code != 429)
			r->stop = S_FAIL;
		return -1;
	}
	if (ct == NULL || strncasecmp(ct, "text/event-stream", 17) != 0) {
		snprintf(r->why, sizeof(r->why), "answered with %s, not "
		    "text/event-stream", ct != NULL ? shown(ct, strlen(ct)) :
		    "no Content-Type");
		r->stop = S_FAIL;
		return -1;
	}
	return 0;
}

static size_t
onbody(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct run *r = arg;
	size_t n = size * nmemb;

	if (!r->checked && checkanswer(r) == -1)
		return 0;
	if (r->code != 200)
		return n;
	if (ssep_feed(&r->sp, ptr, n) != 0)
		return 0;
	/* What came is written before the next read, which may wait: on a
	 * topic, a group commit of each piece. */
	if (out_flush(r->s->o) == -1) {
		r->stop = S_DONE;
		return 0;
	}
	return n;
}

/* Called by libcurl at least once a second: a signal, or -w. */
static int
onprogress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct run *r = arg;

	(void)a, (void)b, (void)c, (void)d;
	if (r->stop == S_ERR)
		return 1;
	if (signalled) {
		r->stop = S_DONE;
		return 1;
	}
	if (r->s->idle > 0 && now_usec() - r->lastevent >= r->s->idle) {
		r->stop = S_IDLE;
		return 1;
	}
	/* A quiet stream: what came is saved. */
	if (now_usec() - r->lastsave >= 1000000 && save(r) == -1) {
		r->stop = S_ERR;
		return 1;
	}
	return 0;
}

/* The request's headers: ours, --header-file's, the token, the id. */
static struct curl_slist *
headers(struct run *r)
{
	struct ssein *s = r->s;
	struct curl_slist *l = NULL;
	const char *p, *e;

	l = curl_slist_append(l, "Accept: text/event-stream");
	l = curl_slist_append(l, "Cache-Control: no-cache");
	for (p = s->headers; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		r->tmp.len = 0;
		buf_put(&r->tmp, p, (size_t)(e - p));
		buf_putc(&r->tmp, '\0');
		l = curl_slist_append(l, r->tmp.p);
	}
	if (s->token != NULL) {
		r->tmp.len = 0;
		buf_puts(&r->tmp, "Authorization: Bearer ");
		buf_puts(&r->tmp, s->token);
		buf_putc(&r->tmp, '\0');
		l = curl_slist_append(l, r->tmp.p);
	}
	if (r->sp.id.len > 0) {
		r->tmp.len = 0;
		buf_puts(&r->tmp, "Last-Event-ID: ");
		buf_put(&r->tmp, r->sp.id.p, r->sp.id.len);
		buf_putc(&r->tmp, '\0');
		l = curl_slist_append(l, r->tmp.p);
	}
	return l;
}

/* One connection, read until it ends; returns curl's result. */
static CURLcode
readonce(struct run *r)
{
	struct curl_slist *hl = headers(r);
	CURLcode rc;

	ssep_restart(&r->sp);
	r->checked = r->got = 0;
	r->code = 0;
	curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, hl);
	rc = curl_easy_perform(r->h);
	if (!r->checked && rc == CURLE_OK)
		(void)checkanswer(r);
	curl_slist_free_all(hl);
	return rc;
}

/* Waits ms milliseconds, or until a signal. */
static void
pause_ms(long ms)
{
	while (ms > 0 && !signalled) {
		sleepms(ms < 100 ? ms : 100);
		ms -= 100;
	}
}

/* The handle's options: where, how, and the hooks into r. */
static void
setup(struct run *r, const char *url, char *cerr)
{
	CURL *h = r->h;

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onbody);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, onprogress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, r);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* A stream silent for so long (no heartbeat) is dead. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)SSEIN_SILENT);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "evpub/" EV_VERSION);
}

/* Lets go of what a run holds. */
static void
freerun(struct run *r)
{
	if (r->h != NULL)
		curl_easy_cleanup(r->h);
	ssep_free(&r->sp);
	buf_free(&r->data);
	buf_free(&r->tmp);
	free(r->saved);
}

enum ssein_result
ssein_run(struct ssein *s, char *err, size_t n)
{
	struct run r;
	char cerr[CURL_ERROR_SIZE];
	long wait, fails = 0;
	CURLcode rc;

	memset(&r, 0, sizeof(r));
	r.s = s;
	r.err = err;
	r.errn = n;
	ssep_init(&r.sp, s->p->maxsize, onmessage, &r);
	if (load(&r) == -1) {
		freerun(&r);
		return SSEIN_FAIL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (r.h = curl_easy_init()) == NULL) {
		seterr(err, n, "--sse: libcurl would not start");
		freerun(&r);
		return SSEIN_FAIL;
	}
	setup(&r, s->url, cerr);
	signal(SIGINT, onsignal);
	signal(SIGTERM, onsignal);
	r.lastevent = now_usec();
	for (;;) {
		cerr[0] = '\0';
		rc = readonce(&r);
		if (r.stop != S_NO || signalled)
			break;
		if (s->o->closed) {
			r.stop = S_DONE;
			break;
		}
		/* A stream that gave events was a success: the back-off
		 * starts again. */
		fails = r.got ? 0 : fails + 1;
		wait = r.sp.retry >= 0 ? r.sp.retry : SSEIN_RETRY;
		if (fails > 1)
			wait = wait << (fails - 1 < 6 ? fails - 1 : 6);
		if (wait > SSEIN_MAXBACKOFF)
			wait = SSEIN_MAXBACKOFF;
		if (save(&r) == -1) {
			r.stop = S_ERR;
			break;
		}
		if (!s->quiet)
			warnw(s->url, "%s; again in %.1f s%s%s", r.why[0] ?
			    r.why : rc != CURLE_OK ? (cerr[0] ? cerr :
			    curl_easy_strerror(rc)) : "the stream ended",
			    wait / 1000.0, r.sp.id.len ? ", from id " : "",
			    r.sp.id.len ? shown(r.sp.id.p, r.sp.id.len) : "");
		r.why[0] = '\0';
		if (s->idle > 0 && now_usec() + wait * 1000 - r.lastevent >=
		    s->idle) {
			pause_ms((long)((s->idle - (now_usec() - r.lastevent))
			    / 1000));
			r.stop = S_IDLE;
			break;
		}
		pause_ms(wait);
		if (signalled)
			break;
	}
	if (r.stop == S_FAIL)
		warnw(s->url, "%s", r.why);
	if (r.stop != S_ERR && save(&r) == -1)
		r.stop = S_ERR;
	freerun(&r);
	return r.stop == S_ERR ? SSEIN_FAIL : r.stop == S_FAIL ?
	    SSEIN_REFUSED : r.stop == S_IDLE ? SSEIN_IDLE : SSEIN_OK;
}
