/* SPDX-License-Identifier: ISC */
/*
 * listen.c - the webhook receiver, on libmicrohttpd: the server's
 * mechanics.  What a body becomes is listen_body.c's, and GitHub's
 * deliveries listen_github.c's (listen_int.h).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ce.h"
#include "http.h"
#include "listen.h"
#include "listen_int.h"
#include "timefmt.h"
#include "trace.h"
#include "util.h"

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
	struct listen_conv cv;	/* makes events of bodies */
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
	long long nev;
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
	ret = listen_body(&st->cv, l->p, l->o, c, &r->kind, &r->body, whid,
	    &nev, err, sizeof(err));
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
		if ((r->kind = listen_kindof(c)) == -1)
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

struct MHD_Daemon *
listen_start(const struct listen_server *sv, char *where, size_t wn,
    char **cert, char **key, enum listen_result *r, char *err, size_t n)
{
	struct MHD_Daemon *d;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC |
	    sv->flags;
	int fd;

	*r = LISTEN_FAIL;
	if (sv->tlscert != NULL) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			seterr(err, n, "--tls-cert: this libmicrohttpd has no "
			    "TLS");
			return NULL;
		}
		if ((*cert = listen_pem("--tls-cert", sv->tlscert, err, n)) ==
		    NULL || (*key = listen_pem("--tls-key", sv->tlskey, err,
		    n)) == NULL)
			return NULL;
		flags |= MHD_USE_TLS;
	}
	if ((*r = listen_bind(sv->opt, sv->addr, &fd, where, wn, err, n)) !=
	    LISTEN_OK)
		return NULL;
	d = MHD_start_daemon(flags, 0, NULL, NULL, sv->handle, sv->cls,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, sv->timeout,
	    MHD_OPTION_CONNECTION_LIMIT, sv->maxconn,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, sv->peraddr,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, sv->connmem,
	    MHD_OPTION_NOTIFY_CONNECTION, sv->notify, sv->cls,
	    MHD_OPTION_NOTIFY_COMPLETED, sv->completed, sv->cls,
	    /* Ignored without MHD_USE_TLS; NULL ends the list early. */
	    *cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, *cert,
	    MHD_OPTION_HTTPS_MEM_KEY, *key,
	    MHD_OPTION_END);
	*r = d != NULL ? LISTEN_OK : LISTEN_FAIL;
	if (d == NULL && *cert != NULL)
		seterr(err, n, "%s: %s: HTTPS would not start: is %s the key "
		    "of %s?", sv->opt, where, sv->tlskey, sv->tlscert);
	else if (d == NULL)
		seterr(err, n, "%s: %s: the HTTP server would not start",
		    sv->opt, where);
	return d;
}

/* Starts the receiver on l->addr (listen_start). */
static struct MHD_Daemon *
start(struct listen *l, char *where, size_t wn, char **cert, char **key,
    enum listen_result *r, char *err, size_t n)
{
	struct listen_server sv = {
		"--listen", l->addr, l->tlscert, l->tlskey, 0,
		handle, notify, completed, l,
		l->timeout, l->maxconn, l->peraddr, LISTEN_CONNMEM
	};

	return listen_start(&sv, where, wn, cert, key, r, err, n);
}

/* Lets go of the server's state. */
static void
freestate(struct listen *l)
{
	struct listen_state *st = l->st;

	while (st->nseen > 0)
		forget(st);
	free(st->ring);
	scan_free(&st->cv.sc);
	buf_free(&st->cv.tmp);
	buf_free(&st->cv.ev);
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
	scan_init(&st->cv.sc);
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
