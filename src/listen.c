/* SPDX-License-Identifier: ISC */
/*
 * listen.c - the webhook receiver, on libmicrohttpd.
 *
 * libmicrohttpd runs one internal thread that polls every connection
 * (epoll: no ceiling of FD_SETSIZE) and calls handle() for each piece of
 * a request; the writes are further ordered by a mutex, so that the output
 * only ever gets whole events, one request's after another's.  The main
 * thread waits for a signal: SIGTERM or SIGINT from outside, SIGUSR1 from
 * the server when -c is reached or the output went away.
 *
 * While it waits, the main thread sweeps the connections five times a
 * second and cuts off each one past its deadline.  libmicrohttpd bounds
 * only the time between two reads, which a client sending a header line
 * every few seconds never reaches: it could hold a connection for ever,
 * and enough of them hold the server.  So each connection has a deadline
 * of our own: for the head, from its start or the end of its previous
 * request; for the body, from the end of the head; none while we write
 * its events and answer.  The sweep shuts the socket down (shutdown(2),
 * not close: the descriptor stays the server's), and the server then
 * reads the end and closes the connection as any other.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ce.h"
#include "http.h"
#include "listen.h"
#include "timefmt.h"
#include "trace.h"
#include "util.h"

/* What a request's body is. */
enum kind {
	K_EVENT,	/* structured mode: one event */
	K_BATCH,	/* structured mode: a batch of events */
	K_BINARY,	/* binary mode: ce- headers, the data as body */
	K_JSON,		/* plain JSON: the data of a new event */
	K_FORM		/* a form, payload=JSON, as GitHub can send it */
};

#define SEEN_BUCKETS 65536

/* A webhook-id whose event was written. */
struct seenid {
	char *id;		/* the id */
	int64_t at;		/* when, in seconds */
	struct seenid *next;	/* the next in its bucket */
};

/*
 * A connection, from its accept to its close: where the sweep finds it.
 * Made and freed by the server's thread (notify()), read and cut by the
 * sweep; the list and every member are guarded by listen_state.cmu.  The
 * server closes the descriptor only after notify() has taken the
 * connection out of the list, so the sweep never shuts another down.
 */
struct conn {
	int fd;			/* its socket */
	int64_t deadline;	/* when it is cut off, in microseconds; 0: never */
	const char *what;	/* what is late when it passes, for the message */
	unsigned secs;		/* the seconds it was given, likewise */
	int cut;		/* shut down by the sweep */
	char who[INET6_ADDRSTRLEN + 16];	/* the client, [HOST]:PORT */
	struct conn *prev, *next;
};

struct listen_state {
	pthread_mutex_t cmu;	/* guards the connections */
	struct conn *conns;	/* every open connection */
	long nconns;		/* how many */
	pthread_mutex_t mu;	/* orders writes, guards what follows */
	pthread_t main;		/* the thread waiting for the end */
	int stopping;		/* no more events are taken */
	int draining;		/* no new requests; those begun finish */
	long long n;		/* events written */
	long inflight;		/* requests begun and not completed */
	size_t bodymem;		/* bytes of bodies held, the server thread's */
	size_t bodymax;		/* the most it may hold */
	struct seenid *bucket[SEEN_BUCKETS];	/* webhook-ids by hash */
	struct seenid **ring;	/* the same, oldest first, LISTEN_SEEN */
	size_t head;		/* the oldest's place in ring */
	size_t nseen;		/* how many */
	struct scanner sc;	/* scans bodies */
	struct buf tmp;		/* a body, compacted */
	struct buf ev;		/* a binary-mode event being built */
};

/* One request, from its headers to its answer. */
struct req {
	struct buf body;	/* the body so far */
	int kind;		/* enum kind */
	int toolong;		/* the body went over --max-size */
	size_t held;		/* its part of listen_state.bodymem */
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Forgets the oldest remembered id. */
static void
forget(struct listen_state *st)
{
	struct seenid *old = st->ring[st->head], **pp;

	for (pp = &st->bucket[hash(old->id) % SEEN_BUCKETS]; *pp != old;
	    pp = &(*pp)->next)
		;
	*pp = old->next;
	free(old->id);
	free(old);
	st->head = (st->head + 1) % LISTEN_SEEN;
	st->nseen--;
}

/*
 * Forgets the ids that are past replaying: a timestamp older than twice
 * the tolerance is refused anyway.  When the table is full, the oldest
 * goes first, still inside the window (LISTEN_SEEN signed requests in
 * ten minutes).
 */
static void
expire(struct listen_state *st, int64_t now)
{
	while (st->nseen > 0 && (st->nseen == LISTEN_SEEN ||
	    st->ring[st->head]->at < now - 2 * WHSIG_TOLERANCE))
		forget(st);
}

static int
seen(struct listen_state *st, const char *id)
{
	struct seenid *s;

	for (s = st->bucket[hash(id) % SEEN_BUCKETS]; s != NULL; s = s->next)
		if (strcmp(s->id, id) == 0)
			return 1;
	return 0;
}

static void
remember(struct listen_state *st, const char *id, int64_t now)
{
	struct seenid *s;
	uint64_t h = hash(id) % SEEN_BUCKETS;

	expire(st, now);
	s = xmalloc(sizeof(*s));
	s->id = xstrdup(id);
	s->at = now;
	s->next = st->bucket[h];
	st->bucket[h] = s;
	st->ring[(st->head + st->nseen) % LISTEN_SEEN] = s;
	st->nseen++;
}

/* "HOST:PORT" of the client, for messages. */
static void
peer(struct MHD_Connection *c, char *buf, size_t n)
{
	const union MHD_ConnectionInfo *ci;
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	socklen_t len;

	snprintf(buf, n, "http");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	len = ci->client_addr->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, len, host, sizeof(host), serv,
	    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(buf, n, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host,
		    serv);
}

/* Answers with code and a line of text; a refusal is logged.  With
 * close, the answer says "Connection: close" and the connection ends
 * after it: nothing more read from it is taken as a request. */
static enum MHD_Result
reply(struct listen *l, struct MHD_Connection *c, unsigned code,
    const char *why, int close)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char text[600], who[NI_MAXHOST + NI_MAXSERV + 4];
	int n;

	if (code >= 400 && !l->quiet) {
		peer(c, who, sizeof(who));
		warnw(who, "%u: %s", code, why);
	}
	/* Escaped as on stderr: the client's own bytes, yet no raw ESC
	 * for a terminal that shows the answer. */
	n = (int)msgesc(text, sizeof(text) - 1, why, strlen(why), 500);
	text[n++] = '\n';
	r = MHD_create_response_from_buffer((size_t)n, text,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
	if (close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
answer(struct listen *l, struct MHD_Connection *c, unsigned code,
    const char *why)
{
	return reply(l, c, code, why, 0);
}

/* The fields of a head that frame its body (RFC 9112, section 6). */
struct framing {
	const char *cl;		/* the first Content-Length */
	int ncl;		/* Content-Length fields */
	int cldiffer;		/* one of them differs from the first */
	const char *te;		/* the first Transfer-Encoding */
	int nte;		/* Transfer-Encoding fields */
};

static enum MHD_Result
framefield(void *arg, enum MHD_ValueKind kind, const char *key,
    const char *val)
{
	struct framing *f = arg;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->ncl++ == 0)
			f->cl = val;
		else if (strcmp(val, f->cl) != 0)
			f->cldiffer = 1;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		if (f->nte++ == 0)
			f->te = val;
	}
	return MHD_YES;
}

/*
 * Tells why the head of a request on c does not say plainly where its
 * body ends, or NULL when it does.  A sender and a proxy in front of us
 * could each frame such a request their own way, and what one takes for
 * the body the other takes for a second request (request smuggling):
 * RFC 9112 says to answer 400 and close the connection (section 6.1, a
 * Transfer-Encoding with a Content-Length; section 6.3, Content-Length
 * fields that differ, or a Transfer-Encoding whose last coding is not
 * chunked).  libmicrohttpd frames by the chunks and keeps the connection,
 * takes the first of differing lengths, and reads the first of two
 * Transfer-Encoding fields.  Only "chunked" alone is taken: we decode no
 * other coding.
 */
static const char *
misframed(struct MHD_Connection *c)
{
	struct framing f;

	memset(&f, 0, sizeof(f));
	MHD_get_connection_values(c, MHD_HEADER_KIND, framefield, &f);
	if (f.nte > 0 && f.ncl > 0)
		return "both Transfer-Encoding and Content-Length: send one "
		    "(RFC 9112, section 6.1)";
	if (f.cldiffer)
		return "Content-Length fields that differ: send one "
		    "(RFC 9112, section 6.3)";
	if (f.nte > 1 || (f.nte == 1 && strcasecmp(f.te, "chunked") != 0))
		return "Transfer-Encoding: only one field, \"chunked\", is "
		    "taken (RFC 9112, section 6.3)";
	return NULL;
}

/* Tells whether the media type t (parameters allowed) is name. */
static int
mediais(const char *t, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(t, name, n) == 0 && (t[n] == '\0' || t[n] == ';' ||
	    t[n] == ' ' || t[n] == '\t');
}

/* What the request carries, by its headers; -1: nothing we take. */
static int
kindof(struct MHD_Connection *c)
{
	const char *ct;

	ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct != NULL && mediais(ct, "application/cloudevents+json"))
		return K_EVENT;
	if (ct != NULL && mediais(ct, "application/cloudevents-batch+json"))
		return K_BATCH;
	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "ce-specversion")
	    != NULL)
		return K_BINARY;
	if (ct == NULL || http_isjson(ct, strlen(ct)))
		return K_JSON;
	if (mediais(ct, "application/x-www-form-urlencoded"))
		return K_FORM;
	return -1;
}

/* Formats why a body makes no event into err[n]: PUB_INVALID. */
static enum pub_result
invalid(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum pub_result
invalid(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return PUB_INVALID;
}

/*
 * A form-encoded GitHub delivery: the JSON is the field payload.  The
 * signature was checked over the form as it came; the body becomes the
 * payload, decoded.
 */
static enum pub_result
unform(struct req *r, struct buf *tmp, char *err, size_t n)
{
	tmp->len = 0;
	if (http_formfield(tmp, r->body.p, r->body.len, "payload", err, n) ==
	    -1)
		return PUB_INVALID;
	r->body.len = 0;
	buf_put(&r->body, tmp->p, tmp->len);
	return PUB_OK;
}

/* Gathers the ce- headers of a binary-mode request. */
struct cehdrs {
	struct buf *ev;		/* the event being built */
	int first;		/* no member written yet */
	char err[400];		/* what is wrong, or "" */
};

static enum MHD_Result
cehdr(void *arg, enum MHD_ValueKind kind, const char *key, const char *val)
{
	struct cehdrs *h = arg;
	struct buf v = { 0 }, q = { 0 };
	char name[128], why[200];
	size_t i, n;

	(void)kind;
	if (strncasecmp(key, "ce-", 3) != 0 || h->err[0] != '\0')
		return MHD_YES;
	key += 3;
	n = strlen(key);
	if (n == 0 || n >= sizeof(name)) {
		snprintf(h->err, sizeof(h->err), "a ce- header without an "
		    "attribute name");
		return MHD_YES;
	}
	for (i = 0; i <= n; i++)
		name[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 :
		    key[i]);
	if (!ce_name_ok(name, n)) {
		snprintf(h->err, sizeof(h->err), "ce-%s: not an attribute name "
		    "(a-z, 0-9)", name);
		return MHD_YES;
	}
	/* A quoted-string is unescaped first (RFC 7230 3.2.6), then the
	 * value is percent-decoded (binding 3.1.3.2). */
	if (http_unquote(&q, val) == -1) {
		snprintf(h->err, sizeof(h->err), "ce-%s: a quoted-string "
		    "without its closing '\"', or with more after it", name);
		buf_free(&q);
		return MHD_YES;
	}
	buf_putc(&q, '\0');
	if (http_pctdec(&v, q.p) == -1) {
		snprintf(h->err, sizeof(h->err), "ce-%s: a '%%' not followed by "
		    "two hex digits (send %%25 for '%%')", name);
		buf_free(&q);
		buf_free(&v);
		return MHD_YES;
	}
	buf_free(&q);
	buf_puts(h->ev, h->first ? "\"" : ",\"");
	buf_puts(h->ev, name);
	buf_puts(h->ev, "\":");
	if (buf_jsonstr(h->ev, v.p ? v.p : "", v.len) == -1)
		snprintf(h->err, sizeof(h->err), "ce-%s: not valid UTF-8 once "
		    "percent-decoded", name);
	else if (ce_text_check(v.p ? v.p : "", v.len, why, sizeof(why)) == -1)
		snprintf(h->err, sizeof(h->err), "ce-%s: %s", name, why);
	h->first = 0;
	buf_free(&v);
	return MHD_YES;
}

/*
 * A binary-mode request as an event in st->ev: the ce- headers as
 * attributes, Content-Type as datacontenttype, the body as data (JSON
 * when the type is JSON, a string when it is text, else data_base64).
 */
static enum pub_result
binary(struct listen *l, struct MHD_Connection *c, struct req *r, char *err,
    size_t n)
{
	struct listen_state *st = l->st;
	struct cehdrs h = { &st->ev, 1, "" };
	const char *ct;

	st->ev.len = 0;
	buf_putc(&st->ev, '{');
	MHD_get_connection_values(c, MHD_HEADER_KIND, cehdr, &h);
	if (h.err[0] != '\0')
		return invalid(err, n, "%s", h.err);
	ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct != NULL) {
		buf_puts(&st->ev, ",\"datacontenttype\":");
		if (buf_jsonstr(&st->ev, ct, strlen(ct)) == -1)
			return invalid(err, n, "Content-Type: not valid UTF-8");
	}
	if (r->body.len > 0 && (ct == NULL || http_isjson(ct, strlen(ct)))) {
		st->tmp.len = 0;
		if (pub_json(l->p, &st->tmp, r->body.p, r->body.len, err, n) ==
		    -1)
			return PUB_INVALID;
		buf_puts(&st->ev, ",\"data\":");
		buf_put(&st->ev, st->tmp.p, st->tmp.len);
	} else if (r->body.len > 0 && strncasecmp(ct, "text/", 5) == 0 &&
	    scan_utf8_valid(r->body.p, r->body.len) &&
	    memchr(r->body.p, '\0', r->body.len) == NULL) {
		buf_puts(&st->ev, ",\"data\":");
		(void)buf_jsonstr(&st->ev, r->body.p, r->body.len);
	} else if (r->body.len > 0) {
		buf_puts(&st->ev, ",\"data_base64\":\"");
		http_b64enc(&st->ev, r->body.p, r->body.len);
		buf_putc(&st->ev, '"');
	}
	buf_putc(&st->ev, '}');
	return pub_line(l->p, l->o, st->ev.p, st->ev.len, err, n);
}

/* Sets a string option of the pub for this request: its JSON too. */
static void
setstr(const char **opt, struct buf *json, const char *s)
{
	*opt = s;
	json->len = 0;
	if (s != NULL)
		(void)buf_jsonstr(json, s, strlen(s));
}

/*
 * The subject of each GitHub event, as the CloudEvents GitHub adapter
 * (cloudevents/spec, adapters/github.md) names it: a path into the
 * payload.  Events it does not list get none.
 */
static const struct {
	const char *event;	/* X-GitHub-Event */
	const char *path;	/* where its subject is, dotted */
} ghsubjects[] = {
	{ "check_run", "check_run.id" },
	{ "check_suite", "check_suite.id" },
	{ "commit_comment", "comment.id" },
	{ "content_reference", "content_reference.id" },
	{ "create", "ref" },
	{ "delete", "ref" },
	{ "deploy_key", "key.id" },
	{ "deployment", "deployment.id" },
	{ "deployment_status", "deployment_status.url" },
	{ "fork", "forkee.url" },
	{ "installation", "installation.id" },
	{ "installation_repositories", "installation.id" },
	{ "issue_comment", "comment.id" },
	{ "issues", "issue.number" },
	{ "label", "label.name" },
	{ "marketplace_purchase", "marketplace_purchase.account.login" },
	{ "member", "member.login" },
	{ "membership", "member.login" },
	{ "meta", "hook_id" },
	{ "milestone", "milestone.number" },
	{ "org_block", "blocked_user.login" },
	{ "organization", "membership.user.login" },
	{ "page_build", "build.url" },
	{ "project", "project.id" },
	{ "project_card", "project_card.id" },
	{ "project_column", "project_column.id" },
	{ "public", "repository.name" },
	{ "pull_request", "number" },
	{ "pull_request_review", "review.id" },
	{ "pull_request_review_comment", "comment.id" },
	{ "push", "ref" },
	{ "registry_package", "registry_package.html_url" },
	{ "release", "release.id" },
	{ "repository", "repository.name" },
	{ "repository_import", "repository.name" },
	{ "repository_vulnerability_alert", "alert.id" },
	{ "security_advisory", "security_advisory.ghsa_id" },
	{ "status", "sha" },
	{ "team", "team.id" },
	{ "team_add", "team.id" }
};

/*
 * The string or integer at the dotted path in the JSON object json[0..len)
 * (a validated one), as text in out (size n).  Returns 1, or 0 when there
 * is none, it is another type, or it is longer than out holds.
 */
static int
ghfield(const char *json, size_t len, const char *path, char *out, size_t n)
{
	struct jspan v = { json, len, SCAN_OBJECT };
	const char *dot;
	size_t k;

	for (;;) {
		k = (dot = strchr(path, '.')) != NULL ? (size_t)(dot - path) :
		    strlen(path);
		if (v.type != SCAN_OBJECT || !scan_get(v.p, v.len, path, k, &v))
			return 0;
		if (dot == NULL)
			break;
		path = dot + 1;
	}
	if (v.type == SCAN_NUMBER && v.len < n &&
	    strspn(v.p, "-0123456789") >= v.len) {
		memcpy(out, v.p, v.len);
		out[v.len] = '\0';
		return 1;
	}
	if (v.type != SCAN_STRING || v.len - 1 > n)
		return 0;
	/* The scanner refused \u0000: the text ends where the value does. */
	out[scan_unescape(v.p + 1, v.len - 2, out)] = '\0';
	return out[0] != '\0';
}

/*
 * The attributes of a GitHub delivery, as the CloudEvents GitHub adapter
 * maps them: type com.github.EVENT, and .ACTION when the payload has an
 * action; source the payload's repository.url; the subject the adapter
 * names (ghsubjects).  What is missing, or no valid attribute, is left
 * out.  json[0..len) is the payload, validated, or empty.
 */
static void
github(const char *gh, const char *json, size_t len, char *type,
    size_t tn, char *source, size_t sn, char *subject, size_t jn)
{
	char action[64], why[200];
	size_t i;

	source[0] = subject[0] = '\0';
	if (len == 0 || scan_typeof(json) != SCAN_OBJECT ||
	    !ghfield(json, len, "action", action, sizeof(action)) ||
	    strspn(action, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
	    strlen(action))
		action[0] = '\0';
	snprintf(type, tn, "com.github.%s%s%s", gh, action[0] ? "." : "",
	    action);
	if (len == 0 || scan_typeof(json) != SCAN_OBJECT)
		return;
	if (!ghfield(json, len, "repository.url", source, sn) ||
	    ce_text_check(source, strlen(source), why, sizeof(why)) == -1 ||
	    ce_uri_check(source, strlen(source), 0, why, sizeof(why)) == -1)
		source[0] = '\0';
	for (i = 0; i < sizeof(ghsubjects) / sizeof(ghsubjects[0]); i++)
		if (strcmp(ghsubjects[i].event, gh) == 0) {
			if (!ghfield(json, len, ghsubjects[i].path, subject,
			    jn) || ce_text_check(subject, strlen(subject), why,
			    sizeof(why)) == -1)
				subject[0] = '\0';
			break;
		}
}

/*
 * A plain JSON body as the data of a new event: its type from -t, or
 * from a GitHub delivery's headers and payload (github()); its id from
 * the sender's delivery id when there is one.
 */
static enum pub_result
plain(struct listen *l, struct MHD_Connection *c, struct req *r,
    const char *whid, char *err, size_t n)
{
	struct listen_state *st = l->st;
	struct pub *p = l->p;
	const char *gh, *id, *src = p->source, *subj = p->subject;
	char type[128], source[512], subject[512];
	enum pub_result ret;

	gh = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-GitHub-Event");
	if (p->type == NULL && gh == NULL)
		return invalid(err, n, "no -t TYPE, and no X-GitHub-Event to "
		    "make one");
	if (p->type == NULL && (*gh == '\0' || strlen(gh) > 64 ||
	    strspn(gh, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(gh)))
		return invalid(err, n, "X-GitHub-Event: not an event name");
	st->tmp.len = 0;
	if (r->body.len > 0 && pub_json(p, &st->tmp, r->body.p, r->body.len,
	    err, n) == -1)
		return PUB_INVALID;
	if (st->tmp.len > 0 && (scan_json(&st->sc, st->tmp.p, st->tmp.len) < 0
	    || st->sc.deepest >= SCAN_MAXDEPTH))
		return invalid(err, n, "nested too deep to be the data of an "
		    "event");
	id = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-GitHub-Delivery");
	if (id == NULL || *id == '\0')
		id = whid;
	if (p->type == NULL) {
		github(gh, st->tmp.p, st->tmp.len, type, sizeof(type), source,
		    sizeof(source), subject, sizeof(subject));
		setstr(&p->type, &p->typej, type);
		if (source[0] != '\0')
			setstr(&p->source, &p->srcj, source);
		/* -S, when given, is the subject still. */
		if (subject[0] != '\0' && p->subject == NULL)
			setstr(&p->subject, &p->subjj, subject);
	}
	if (id != NULL && p->id == NULL)
		setstr(&p->id, &p->idj, id);
	ret = pub_event(p, l->o, st->tmp.len ? st->tmp.p : NULL, st->tmp.len,
	    "application/json", err, n);
	/* Back to what the options said. */
	if (p->type == type)
		setstr(&p->type, &p->typej, NULL);
	if (p->source != src)
		setstr(&p->source, &p->srcj, src);
	if (p->subject != subj)
		setstr(&p->subject, &p->subjj, subj);
	if (p->id == id && id != NULL)
		setstr(&p->id, &p->idj, NULL);
	return ret;
}

/* A structured-mode body: one event, or a batch of them. */
static enum pub_result
structured(struct listen *l, struct req *r, char *err, size_t n)
{
	struct listen_state *st = l->st;
	int t;

	st->tmp.len = 0;
	if (pub_json(l->p, &st->tmp, r->body.p, r->body.len, err, n) == -1)
		return PUB_INVALID;
	t = scan_json(&st->sc, st->tmp.p, st->tmp.len);
	if (r->kind == K_BATCH && t != SCAN_ARRAY)
		return invalid(err, n, "a batch must be a JSON array");
	if (r->kind == K_EVENT && t != SCAN_OBJECT)
		return invalid(err, n, "not a CloudEvent: not a JSON object");
	if (r->kind == K_EVENT) {
		size_t i;

		for (i = 0; i < st->sc.nm; i++)
			if (scan_name_is(&st->sc.m[i], "specversion"))
				break;
		if (i == st->sc.nm)
			return invalid(err, n, "not a CloudEvent: no "
			    "specversion");
	}
	return pub_line(l->p, l->o, st->tmp.p, st->tmp.len, err, n);
}

/* Checks the request's signature, when one is required. */
static int
verify(struct listen *l, struct MHD_Connection *c, struct req *r,
    const char **whid, char *err, size_t n)
{
	const char *gh, *ts, *sigs;

	*whid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-id");
	if (!l->sign && l->ghsecret == NULL)
		return 0;
	gh = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-Hub-Signature-256");
	if (l->ghsecret != NULL && (gh != NULL || !l->sign)) {
		*whid = NULL;
		return whsig_github(l->ghsecret, gh, r->body.p, r->body.len, err,
		    n);
	}
	ts = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "webhook-timestamp");
	sigs = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "webhook-signature");
	return whsig_verify(l->keys.k, l->keys.n, *whid, ts, sigs, r->body.p, r->body.len,
	    (int64_t)time(NULL), WHSIG_TOLERANCE, err, n);
}

/* Wakes the main thread: the server is to stop.  Called locked. */
static void
stop(struct listen_state *st)
{
	if (!st->stopping) {
		st->stopping = 1;
		pthread_kill(st->main, SIGUSR1);
	}
}

/* The whole request is in: verify, write, flush, answer. */
/*
 * The request's W3C trace context becomes its events' distributed
 * tracing attributes, where they have none (trace.h); a malformed one
 * is no trace context.  Under st->mu, as the events are made.
 */
static void
tracectx(struct listen *l, struct MHD_Connection *c)
{
	const char *tp, *ts;

	tp = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "traceparent");
	ts = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "tracestate");
	if (tp == NULL || !trace_parent_ok(tp, strlen(tp)))
		tp = ts = NULL;
	if (ts != NULL && !trace_state_ok(ts, strlen(ts)))
		ts = NULL;
	pub_trace(l->p, tp, ts);
}

static enum MHD_Result
take(struct listen *l, struct MHD_Connection *c, struct req *r)
{
	struct listen_state *st = l->st;
	const char *whid = NULL;
	char err[512], why[600];
	long long nev = 1;
	enum pub_result ret;

	if (verify(l, c, r, &whid, err, sizeof(err)) == -1)
		return answer(l, c, MHD_HTTP_UNAUTHORIZED, err);
	pthread_mutex_lock(&st->mu);
	if (st->stopping) {
		pthread_mutex_unlock(&st->mu);
		return answer(l, c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting "
		    "down");
	}
	/*
	 * A signed id that was written already is a replay, or a retry whose
	 * answer got lost: either way it is not written again, and the 200
	 * stops a sender that is retrying.
	 */
	if (l->sign && whid != NULL && seen(st, whid)) {
		pthread_mutex_unlock(&st->mu);
		snprintf(why, sizeof(why), "webhook-id %.200s was taken before: "
		    "not written again", whid);
		if (!l->quiet) {
			char who[NI_MAXHOST + NI_MAXSERV + 4];

			peer(c, who, sizeof(who));
			warnw(who, "%s", why);
		}
		return answer(l, c, MHD_HTTP_OK, why);
	}
	tracectx(l, c);
	if (r->kind == K_FORM && (ret = unform(r, &st->tmp, err,
	    sizeof(err))) == PUB_OK)
		r->kind = K_JSON;
	if (r->kind == K_FORM)
		;	/* ret says what was wrong with the form */
	else if (r->kind == K_BINARY)
		ret = binary(l, c, r, err, sizeof(err));
	else if (r->kind == K_JSON)
		ret = plain(l, c, r, whid, err, sizeof(err));
	else
		ret = structured(l, r, err, sizeof(err));
	if (ret == PUB_OK && r->kind == K_BATCH)
		nev = (long long)st->sc.nm;
	if (ret == PUB_OK && out_flush(l->o) == -1) {
		/* The reader went away: nothing more can be taken. */
		stop(st);
		pthread_mutex_unlock(&st->mu);
		return answer(l, c, MHD_HTTP_SERVICE_UNAVAILABLE, "the output "
		    "is closed");
	}
	if (ret == PUB_OK) {
		st->n += nev;
		if (l->sign && whid != NULL)
			remember(st, whid, (int64_t)time(NULL));
		if (l->count > 0 && st->n >= l->count)
			stop(st);
	}
	pthread_mutex_unlock(&st->mu);
	if (ret != PUB_OK)
		return answer(l, c, ret == PUB_TOOLARGE ?
		    MHD_HTTP_CONTENT_TOO_LARGE : MHD_HTTP_BAD_REQUEST, err);
	return answer(l, c, MHD_HTTP_OK, "ok");
}

/*
 * Holds n bytes of r's body in memory, if the bodies held by all requests
 * stay within their bound: without one, ten thousand connections each
 * sending a large body slowly would hold gigabytes.  A small body is
 * always taken (its connection's headers cost as much), so that large
 * ones cannot starve webhooks of the usual size.  Called by the server's
 * thread only, as is completed(), which lets go of what a request held.
 */
static int
hold(struct listen_state *st, struct req *r, size_t n)
{
	if (n <= r->held)
		return 1;
	if (n > LISTEN_SMALLBODY && st->bodymem + (n - r->held) > st->bodymax)
		return 0;
	st->bodymem += n - r->held;
	r->held = n;
	return 1;
}

/* Refuses a request whose body there is no room for now. */
static enum MHD_Result
busy(struct listen *l, struct MHD_Connection *c)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char who[NI_MAXHOST + NI_MAXSERV + 4];
	static const char text[] = "busy: too many large bodies at once; "
	    "try again\n";

	if (!l->quiet) {
		peer(c, who, sizeof(who));
		warnw(who, "503: the bodies held are over %zu bytes",
		    l->st->bodymax);
	}
	r = MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "5");
	ret = MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * Gives connection c secs seconds from now for what (0: no deadline while
 * its request is ours).
 */
static void
due(struct listen *l, struct MHD_Connection *c, unsigned secs,
    const char *what)
{
	const union MHD_ConnectionInfo *ci;
	struct conn *k;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci == NULL || (k = ci->socket_context) == NULL)
		return;
	pthread_mutex_lock(&l->st->cmu);
	k->deadline = secs ? now_usec() + (int64_t)secs * 1000000 : 0;
	k->what = what;
	k->secs = secs;
	pthread_mutex_unlock(&l->st->cmu);
}

/*
 * Tells whether the first n bytes a client sent can begin no HTTP
 * request: after any empty lines, a request starts with its method, a
 * token (RFC 9110, section 5.6.2) ended by a space.  Bytes that may yet
 * become a request are not junk.
 */
static int
junk(const unsigned char *p, size_t n)
{
	size_t i = 0, m;

	while (i < n && (p[i] == '\r' || p[i] == '\n'))
		i++;
	for (m = 0; i < n; i++, m++) {
		if (p[i] == ' ')
			return m == 0;
		if (!(p[i] >= 'a' && p[i] <= 'z') &&
		    !(p[i] >= 'A' && p[i] <= 'Z') &&
		    !(p[i] >= '0' && p[i] <= '9') &&
		    (p[i] == '\0' || strchr("!#$%&'*+-.^_`|~", p[i]) == NULL))
			return 1;
	}
	return 0;
}

/* A connection opens (its head is due) or closes. */
static void
notify(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_ConnectionNotificationCode code)
{
	struct listen *l = cls;
	struct listen_state *st = l->st;
	const union MHD_ConnectionInfo *ci;
	struct conn *k = *ctx;
	unsigned char first[64];
	ssize_t got;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		k = xmalloc(sizeof(*k));
		memset(k, 0, sizeof(*k));
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		k->fd = ci != NULL ? ci->connect_fd : -1;
		k->deadline = now_usec() + (int64_t)l->headtime * 1000000;
		k->what = "the head did not arrive within";
		k->secs = l->headtime;
		peer(c, k->who, sizeof(k->who));
		/* libmicrohttpd waits for the end of a request line however
		 * plain it is that none is coming, until --timeout: what has
		 * come already, it if cannot begin a request, is closed now
		 * (as the sweep closes, the server then reading the end).
		 * Not under TLS, whose first bytes are its own. */
		if (l->tlscert == NULL && k->fd != -1 && (got = recv(k->fd,
		    first, sizeof(first), MSG_PEEK | MSG_DONTWAIT)) > 0 &&
		    junk(first, (size_t)got)) {
			(void)shutdown(k->fd, SHUT_RDWR);
			k->cut = 1;
			if (!l->quiet)
				warnw(k->who, "not an HTTP request: closed");
		}
		pthread_mutex_lock(&st->cmu);
		if ((k->next = st->conns) != NULL)
			k->next->prev = k;
		st->conns = k;
		st->nconns++;
		pthread_mutex_unlock(&st->cmu);
		*ctx = k;
		return;
	}
	if (k == NULL)
		return;
	pthread_mutex_lock(&st->cmu);
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		st->conns = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	st->nconns--;
	pthread_mutex_unlock(&st->cmu);
	free(k);
	*ctx = NULL;
}

/*
 * Cuts off every connection past its deadline, each once.  The first few
 * of a sweep are logged one by one, the rest in a sum: a flood of slow
 * clients must not become a flood of lines.
 */
static void
sweep(struct listen *l)
{
	struct listen_state *st = l->st;
	struct conn *k;
	char line[3][NI_MAXHOST + NI_MAXSERV + 80];
	int64_t now = now_usec();
	long n = 0, i;

	pthread_mutex_lock(&st->cmu);
	for (k = st->conns; k != NULL; k = k->next) {
		if (k->cut || k->deadline == 0 || now < k->deadline)
			continue;
		(void)shutdown(k->fd, SHUT_RDWR);
		k->cut = 1;
		if (n < 3)
			snprintf(line[n], sizeof(line[n]), "%s: %s %u s: "
			    "closed", k->who, k->what, k->secs);
		n++;
	}
	pthread_mutex_unlock(&st->cmu);
	if (l->quiet)
		return;
	for (i = 0; i < n && i < 3; i++)
		warnw(NULL, "%s", line[i]);
	if (n > 3)
		warnw(NULL, "%ld more connections past their deadline: closed",
		    n - 3);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *size, void **ctx)
{
	struct listen *l = cls;
	struct listen_state *st = l->st;
	struct req *r = *ctx;
	const char *cl, *errstr;
	long long v;
	int stopping;

	(void)version;
	if (r == NULL) {
		/* The head is in: the body has its own deadline. */
		due(l, c, l->bodytime, "the body did not arrive within");
		r = xmalloc(sizeof(*r));
		memset(r, 0, sizeof(*r));
		*ctx = r;
		pthread_mutex_lock(&st->mu);
		st->inflight++;
		stopping = st->stopping || st->draining;
		pthread_mutex_unlock(&st->mu);
		/* First: where this request ends, and the next begins, is
		 * in doubt, so no answer may keep the connection. */
		if ((errstr = misframed(c)) != NULL)
			return reply(l, c, MHD_HTTP_BAD_REQUEST, errstr, 1);
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return answer(l, c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "only POST is taken");
		if (strcmp(url, l->path) != 0)
			return answer(l, c, MHD_HTTP_NOT_FOUND, "no such path");
		if (stopping)
			return answer(l, c, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "shutting down");
		if ((r->kind = kindof(c)) == -1)
			return answer(l, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
			    "Content-Type: not one taken: send "
			    "application/cloudevents+json (an event), "
			    "application/cloudevents-batch+json, "
			    "application/json (the data of a new event; curl "
			    "-H 'Content-Type: application/json' --data-binary "
			    "@FILE), a binary-mode event (ce- headers), or a "
			    "GitHub form (application/x-www-form-urlencoded)");
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl == NULL || parsenum(cl, 0, 1LL << 62, &v, &errstr) == -1)
			return MHD_YES;
		if ((unsigned long long)v > l->p->maxsize)
			return answer(l, c, MHD_HTTP_CONTENT_TOO_LARGE, "the body "
			    "is over --max-size");
		if (!hold(st, r, (size_t)v))
			return busy(l, c);
		/* Its room at once: no copies as it grows. */
		buf_reserve(&r->body, (size_t)v);
		return MHD_YES;
	}
	if (*size > 0) {
		if (!r->toolong && r->body.len + *size > l->p->maxsize) {
			r->toolong = 1;
			buf_free(&r->body);
			memset(&r->body, 0, sizeof(r->body));
		}
		if (!r->toolong && !hold(st, r, r->body.len + *size)) {
			if (!l->quiet) {
				char who[NI_MAXHOST + NI_MAXSERV + 4];

				peer(c, who, sizeof(who));
				warnw(who, "503: the bodies held are over %zu "
				    "bytes: closed", st->bodymax);
			}
			return MHD_NO;
		}
		if (!r->toolong)
			buf_put(&r->body, upload, *size);
		*size = 0;
		return MHD_YES;
	}
	/* The whole request is in: the time is ours until the answer. */
	due(l, c, 0, NULL);
	if (r->toolong)
		return answer(l, c, MHD_HTTP_CONTENT_TOO_LARGE, "the body is over "
		    "--max-size");
	return take(l, c, r);
}

static void
completed(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode toe)
{
	struct listen *l = cls;
	struct req *r = *ctx;

	(void)toe;
	/* The next request on this connection has a head to send. */
	due(l, c, l->headtime, "no next request within");
	if (r == NULL)
		return;
	l->st->bodymem -= r->held;
	buf_free(&r->body);
	free(r);
	*ctx = NULL;
	pthread_mutex_lock(&l->st->mu);
	l->st->inflight--;
	pthread_mutex_unlock(&l->st->mu);
}

/*
 * Opens the listening socket for "HOST:PORT" ("[V6]:PORT"; an empty HOST
 * or "*" is every address) into *fdp and writes where it listens into
 * where[wn].
 */
enum listen_result
listen_bind(const char *opt, const char *addr, int *fdp, char *where,
    size_t wn, char *err, size_t n)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char *host, *port, h[NI_MAXHOST], s[NI_MAXSERV];
	int fd = -1, one = 1, e;

	host = xstrdup(addr);
	if ((port = strrchr(host, ':')) == NULL) {
		free(host);
		seterr(err, n, "%s: %s: not HOST:PORT", opt, addr);
		return LISTEN_ADDR;
	}
	*port++ = '\0';
	if (host[0] == '[' && port - host > 2 && port[-2] == ']') {
		port[-2] = '\0';
		memmove(host, host + 1, strlen(host + 1) + 1);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((e = getaddrinfo(*host == '\0' || strcmp(host, "*") == 0 ? NULL :
	    host, port, &hints, &res)) != 0) {
		free(host);
		seterr(err, n, "%s: %s: %s", opt, addr, gai_strerror(e));
		return LISTEN_ADDR;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
		    listen(fd, 511) == -1) {
			e = errno;
			close(fd);
			fd = -1;
			errno = e;
		}
	}
	freeaddrinfo(res);
	free(host);
	if (fd == -1) {
		seterr(err, n, "%s: %s: %s", opt, addr, strerror(errno));
		return LISTEN_FAIL;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, len, h, sizeof(h), s,
	    sizeof(s), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(where, wn, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, s);
	else
		snprintf(where, wn, "%s", addr);
	*fdp = fd;
	return LISTEN_OK;
}

/*
 * How many connections can be served: each is a descriptor, so the soft
 * limit is raised to the hard one, and what it still cannot hold is said.
 */
unsigned
listen_ceiling(unsigned want)
{
	struct rlimit rl;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return want;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Descriptors for the output, a topic's files and libraries. */
	room = rl.rlim_cur > 64 ? rl.rlim_cur - 64 : 1;
	if (rl.rlim_cur != RLIM_INFINITY && room < want) {
		warnw("--max-conns", "%u connections need as many descriptors; "
		    "the limit is %llu (ulimit -n): at most %llu at once", want,
		    (unsigned long long)rl.rlim_cur, (unsigned long long)room);
		return (unsigned)room;
	}
	return want;
}

/* The whole of a PEM file, as a string; NULL with err when it will not
 * do. */
char *
listen_pem(const char *opt, const char *path, char *err, size_t errn)
{
	struct buf b = { 0 };
	char chunk[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		seterr(err, errn, "%s: %s: %s", opt, path, strerror(errno));
		return NULL;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		buf_put(&b, chunk, (size_t)n);
		if (b.len > 1 << 20) {
			seterr(err, errn, "%s: %s: over 1 MiB: not a PEM file",
			    opt, path);
			break;
		}
	}
	if (n == -1)
		seterr(err, errn, "%s: %s: %s", opt, path, strerror(errno));
	close(fd);
	if (n != 0) {
		buf_free(&b);
		return NULL;
	}
	buf_putc(&b, '\0');
	if (strstr(b.p, "-----BEGIN ") == NULL) {
		seterr(err, errn, "%s: %s: not PEM (no -----BEGIN line)", opt,
		    path);
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

/*
 * Starts the server on l->addr, saying where in where[wn]: with TLS, the
 * certificate and its key are read into *cert and *key (the caller frees
 * them).  Returns the daemon, or NULL with *r and err saying why.
 */
static struct MHD_Daemon *
start(struct listen *l, char *where, size_t wn, char **cert, char **key,
    enum listen_result *r, char *err, size_t n)
{
	struct MHD_Daemon *d;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC;
	int fd;

	*r = LISTEN_FAIL;
	if (l->tlscert != NULL) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			seterr(err, n, "--tls-cert: this libmicrohttpd has no "
			    "TLS");
			return NULL;
		}
		if ((*cert = listen_pem("--tls-cert", l->tlscert, err, n)) ==
		    NULL || (*key = listen_pem("--tls-key", l->tlskey, err,
		    n)) == NULL)
			return NULL;
		flags |= MHD_USE_TLS;
	}
	if ((*r = listen_bind("--listen", l->addr, &fd, where, wn, err, n)) !=
	    LISTEN_OK)
		return NULL;
	d = MHD_start_daemon(flags, 0, NULL, NULL, handle, l,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, l->timeout,
	    MHD_OPTION_CONNECTION_LIMIT, l->maxconn,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, l->peraddr,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LISTEN_CONNMEM,
	    MHD_OPTION_NOTIFY_CONNECTION, notify, l,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, l,
	    /* Ignored without MHD_USE_TLS; NULL ends the list early. */
	    *cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, *cert,
	    MHD_OPTION_HTTPS_MEM_KEY, *key,
	    MHD_OPTION_END);
	*r = d != NULL ? LISTEN_OK : LISTEN_FAIL;
	if (d == NULL && *cert != NULL)
		seterr(err, n, "--listen: %s: HTTPS would not start: is %s the "
		    "key of %s?", where, l->tlskey, l->tlscert);
	else if (d == NULL)
		seterr(err, n, "--listen: %s: the HTTP server would not start",
		    where);
	return d;
}

/* Lets go of the server's state. */
static void
freestate(struct listen *l)
{
	struct listen_state *st = l->st;

	while (st->nseen > 0)
		forget(st);
	free(st->ring);
	scan_free(&st->sc);
	buf_free(&st->tmp);
	buf_free(&st->ev);
	pthread_mutex_destroy(&st->mu);
	pthread_mutex_destroy(&st->cmu);
	free(st);
	l->st = NULL;
}

/*
 * Waits for the end (a signal), sweeping the connections meanwhile; then
 * takes no new connections, and gives the requests begun --timeout to
 * finish.
 */
static void
serve(struct listen *l, struct MHD_Daemon *d, const sigset_t *set)
{
	struct listen_state *st = l->st;
	struct timespec ts = { 0, 200 * 1000000L };
	int64_t deadline;
	long inflight;
	int fd;

	while (sigtimedwait(set, NULL, &ts) == -1)
		sweep(l);
	pthread_mutex_lock(&st->mu);
	st->draining = 1;
	pthread_mutex_unlock(&st->mu);
	/* No new connections; the requests begun get their answers. */
	if ((fd = MHD_quiesce_daemon(d)) != MHD_INVALID_SOCKET)
		close(fd);
	deadline = now_usec() + (int64_t)l->timeout * 1000000;
	ts.tv_nsec = 10 * 1000000L;
	for (;;) {
		pthread_mutex_lock(&st->mu);
		inflight = st->inflight;
		pthread_mutex_unlock(&st->mu);
		if (inflight == 0 || now_usec() > deadline)
			break;
		nanosleep(&ts, NULL);
		sweep(l);
	}
}

enum listen_result
listen_run(struct listen *l, char *err, size_t n)
{
	struct listen_state *st;
	struct MHD_Daemon *d;
	enum listen_result r;
	sigset_t set;
	char where[NI_MAXHOST + NI_MAXSERV + 4];
	char *cert = NULL, *key = NULL;

	if (l->timeout == 0)
		l->timeout = LISTEN_TIMEOUT;
	if (l->headtime == 0)
		l->headtime = LISTEN_HEADTIME;
	if (l->bodytime == 0)
		l->bodytime = LISTEN_BODYTIME;
	if (l->maxconn == 0)
		l->maxconn = LISTEN_MAXCONN;
	l->maxconn = listen_ceiling(l->maxconn);
	st = xmalloc(sizeof(*st));
	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->mu, NULL);
	pthread_mutex_init(&st->cmu, NULL);
	st->main = pthread_self();
	st->ring = xmalloc(LISTEN_SEEN * sizeof(*st->ring));
	st->bodymax = l->p->maxsize > LISTEN_BODYMEM / 4 ? 4 * l->p->maxsize :
	    LISTEN_BODYMEM;
	scan_init(&st->sc);
	l->st = st;
	/* The server's thread inherits this mask: the signals come here. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((d = start(l, where, sizeof(where), &cert, &key, &r, err, n)) !=
	    NULL) {
		warnw(NULL, "listening on %s", where);
		serve(l, d, &set);
		MHD_stop_daemon(d);
	}
	freestate(l);
	free(cert);
	free(key);
	return r;
}
