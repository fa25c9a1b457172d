/* SPDX-License-Identifier: ISC */
/*
 * sse.c - evsub --serve: the events, as Server-Sent Events.
 *
 * Three kinds of thread.  The source thread reads the events (a topic's
 * log from its end, followed; or the inputs), keeps those evsub's own
 * filters pass, and fans each out: under the one mutex it appends the
 * event's message to the buffer of every live client whose filters it
 * passes, and wakes the clients that were waiting.  libmicrohttpd's
 * thread polls every connection and, when one can take more, calls
 * give(), which copies from that client's buffer, or, when it is empty,
 * suspends the connection until the source has more.  A client that
 * resumes from the log gets a thread of its own for a while: it reads the
 * log from where the client asked up to where the source is, into the
 * client's buffer (waiting while it is full: history is not lost to a
 * slow reader), and then hands the client to the source, both under the
 * mutex, so that the next event is the source's to give: no gap, no
 * duplicate.  The main thread waits for a signal and, five times a second,
 * cuts off the connections whose head is late (a slow-loris), sends the
 * heartbeats, and keeps the survey of topics that /topics serves.
 *
 * A live client whose buffer would grow past its bound is cut off: its
 * socket is shut down, so that the server reads the end and closes it,
 * and the source goes on for the others.  Connections are counted and
 * looked up through libmicrohttpd's notifications: a client is made when
 * its connection opens and freed when the connection closes and no
 * thread of ours holds it.
 */
#include <sys/socket.h>

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ce.h"
#include "listen.h"
#include "scan.h"
#include "sse.h"
#include "timefmt.h"
#include "topiclist.h"
#include "util.h"

/* The page at "/": sse_page.html, made a C string by the Makefile. */
static const char page[] =
#include "sse_page.h"
;

/* Where a connection is. */
enum cstate {
	C_HEAD,		/* its request's head is due */
	C_OTHER,	/* asked for something else than the stream */
	C_CATCHUP,	/* streaming: its thread reads the log for it */
	C_LIVE		/* streaming: the source's events come to it */
};

/*
 * A connection, from its accept to its close.  Every member is guarded by
 * sse_state.mu.  refs counts who holds it: the connection, and a
 * catch-up thread; the last to let go frees it.
 */
struct client {
	struct sse *s;		/* the server */
	struct MHD_Connection *conn;	/* its connection */
	int fd;			/* its socket */
	int state;		/* enum cstate */
	int64_t deadline;	/* C_HEAD: cut off then, microseconds */
	int cut;		/* its socket was shut down */
	int gone;		/* its connection closed */
	int suspended;		/* give() found nothing and waits */
	int ended;		/* the stream ends once the buffer is sent */
	int failed;		/* cut off: the stream ends at once */
	int refs;		/* holders: the connection, a catch-up */
	struct buf out;		/* the messages not yet sent */
	size_t off;		/* how much of out was */
	uint64_t last;		/* the last sequence given, or passed over */
	uint64_t from;		/* C_CATCHUP: the first sequence to read */
	struct filter *f;	/* its own filters */
	size_t nf;		/* how many */
	char who[INET6_ADDRSTRLEN + 16];	/* [HOST]:PORT, for messages */
	struct client *prev, *next;	/* in sse_state.clients */
};

struct sse_state {
	pthread_mutex_t mu;	/* guards what follows and every client */
	pthread_cond_t drained;	/* a buffer was sent from, a state moved */
	struct client *clients;	/* every open connection */
	long nclients;		/* how many */
	uint64_t pos;		/* the last sequence the source fanned out */
	int stopping;		/* the end: catch-ups stop, streams end */
	int done;		/* the source ended */
	enum sse_result result;	/* and how */
	int ncatchup;		/* catch-up threads running */
	struct MHD_Connection **wake;	/* connections to resume */
	size_t nwake, wakecap;	/* how many, room */
	char *topics;		/* the survey, as --topics --json, or NULL */
	int64_t topicsasked;	/* when /topics was last asked */
	pthread_t main;		/* the thread waiting for the end */
	struct buf msg;		/* the source's message being made */
};

/* A catch-up thread's start. */
struct catchup {
	struct sse *s;		/* the server */
	struct client *k;	/* its client */
};

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

static void
unref(struct client *k)
{
	size_t i;

	if (--k->refs > 0)
		return;
	for (i = 0; i < k->nf; i++)
		filter_free(&k->f[i]);
	free(k->f);
	buf_free(&k->out);
	free(k);
}

/* Marks k's connection to be resumed once the mutex is let go. */
static void
wake(struct sse_state *st, struct client *k)
{
	if (!k->suspended)
		return;
	k->suspended = 0;
	if (st->nwake == st->wakecap) {
		st->wakecap = st->wakecap ? 2 * st->wakecap : 64;
		st->wake = xrealloc(st->wake, st->wakecap * sizeof(*st->wake));
	}
	st->wake[st->nwake++] = k->conn;
}

/*
 * Resumes the connections wake() marked: after the mutex, since a
 * suspended connection is not the server's to close, and so its client
 * stays until it is resumed.  Takes the mutex, held on return.
 */
static void
wakeall(struct sse_state *st)
{
	struct MHD_Connection **v;
	size_t n, i;

	while (st->nwake > 0) {
		v = st->wake;
		n = st->nwake;
		st->wake = NULL;
		st->nwake = st->wakecap = 0;
		pthread_mutex_unlock(&st->mu);
		for (i = 0; i < n; i++)
			MHD_resume_connection(v[i]);
		free(v);
		pthread_mutex_lock(&st->mu);
	}
}

/* Cuts k off: its socket shut down, its stream ended with an error. */
static void
cutoff(struct sse *s, struct client *k, const char *why)
{
	if (k->cut || k->gone)
		return;
	k->cut = k->failed = 1;
	(void)shutdown(k->fd, SHUT_RDWR);
	wake(s->st, k);
	if (!s->quiet)
		warnw(k->who, "%s: cut off", why);
}

/* The bytes k has yet to be sent. */
static size_t
pending(const struct client *k)
{
	return k->out.len - k->off;
}

/* Appends m[0..n) to k's buffer, the sent part dropped first. */
static void
put(struct sse_state *st, struct client *k, const char *m, size_t n)
{
	if (k->off > 0 && k->off >= k->out.len / 2) {
		memmove(k->out.p, k->out.p + k->off, pending(k));
		k->out.len -= k->off;
		k->off = 0;
	}
	buf_put(&k->out, m, n);
	wake(st, k);
}

/*
 * The message of event line[0..len): id: its sequence (when it has one),
 * event: its type (--sse-event), data: the line.
 */
static void
message(struct sse *s, struct buf *b, const char *line, size_t len,
    uint64_t seq, const struct ce_event *ev)
{
	char type[512], num[32];

	b->len = 0;
	if (seq > 0) {
		snprintf(num, sizeof(num), "id: %llu\n",
		    (unsigned long long)seq);
		buf_puts(b, num);
	}
	if (s->eventname && ce_string(ev->a[CE_TYPE], type, sizeof(type)) !=
	    NULL) {
		buf_puts(b, "event: ");
		buf_puts(b, type);
		buf_putc(b, '\n');
	}
	buf_puts(b, "data: ");
	buf_put(b, line, len);
	buf_puts(b, "\n\n");
}

/* Whether k's own filters pass the event. */
static int
passes(const struct client *k, const struct scanner *sc,
    const struct ce_event *ev)
{
	return k->nf == 0 || filter_all(k->f, k->nf, sc, ev);
}

/*
 * Gives the event of sequence seq (0: none) to every live client that
 * wants it, and moves the source's position to it, in one hold of the
 * mutex: a catch-up either gave it already or will leave it to us.
 */
static void
fanout(struct sse *s, const char *line, size_t len, uint64_t seq,
    const struct scanner *sc, const struct ce_event *ev)
{
	struct sse_state *st = s->st;
	struct client *k;
	size_t max = s->clientbuf;

	message(s, &st->msg, line, len, seq, ev);
	pthread_mutex_lock(&st->mu);
	for (k = st->clients; k != NULL; k = k->next) {
		if (k->state != C_LIVE || k->failed || k->ended ||
		    (seq > 0 && seq <= k->last))
			continue;
		if (seq > 0)
			k->last = seq;
		if (!passes(k, sc, ev))
			continue;
		if (pending(k) + st->msg.len > max) {
			cutoff(s, k, "its buffer is full: it does not read");
			continue;
		}
		put(st, k, st->msg.p, st->msg.len);
	}
	if (seq > 0)
		st->pos = seq;
	wakeall(st);
	pthread_mutex_unlock(&st->mu);
}

/* The end of the source: how, and the main thread told. */
static void
sourcedone(struct sse *s, enum sse_result result)
{
	pthread_mutex_lock(&s->st->mu);
	s->st->done = 1;
	s->st->result = result;
	pthread_mutex_unlock(&s->st->mu);
	pthread_kill(s->st->main, SIGUSR1);
}

/* The source, off a topic: the inputs, as evsub reads them. */
static void
source_inputs(struct sse *s)
{
	struct scanner sc;
	struct ce_event ev;
	struct input *from;
	struct line l;
	char err[512];
	int st, r = 0;

	scan_init(&sc);
	for (;;) {
		st = inputs_next(s->in, &l, &from);
		if (st == RD_EOF || st == RD_TIMEOUT)
			break;
		/* The inputs or the rejects file failed: said, and the
		 * run ends 1 (a rejected line may not be lost). */
		if (st == RD_ERROR) {
			warnwe(s->in->errwhere, "%s", s->in->errop);
			break;
		}
		/* r: 1 a line rejected, -1 the rejects file failed. */
		r = unread_line(s->c, from->name, &l, st);
		if (r == 0 && ce_validate(&sc, l.p, l.len, &ev, err,
		    sizeof(err)) == -1)
			r = reject_line(s->c, from->name, &l, "%s", err) == -1 ?
			    -1 : 1;
		if (r == -1) {
			warnwe(s->c->rejects, "write");
			break;
		}
		if (r == 1)
			continue;
		if (filter_all(s->f, s->nf, &sc, &ev) == s->invert)
			continue;
		fanout(s, l.p, l.len, 0, &sc, &ev);
	}
	scan_free(&sc);
	sourcedone(s, st == RD_ERROR || r == -1 ? SSE_BROKEN : SSE_ENDED);
}

/* Whether the run is ending. */
static int
stopping(struct sse_state *st)
{
	int v;

	pthread_mutex_lock(&st->mu);
	v = st->stopping;
	pthread_mutex_unlock(&st->mu);
	return v;
}

/* The source, on a topic: its log from where it ends now, followed. */
static void
source_topic(struct sse *s, struct bus_reader *r)
{
	struct scanner sc;
	struct ce_event ev;
	const char *line;
	char err[BUS_ERRMAX];
	uint64_t seq;
	size_t len;
	enum sse_result result = SSE_OK;
	int got;

	scan_init(&sc);
	while (!stopping(s->st)) {
		got = bus_read_next(r, &line, &len, &seq, err, sizeof(err));
		if (got == BUS_END) {
			if ((got = bus_read_wait(r, 200000, err,
			    sizeof(err))) == BUS_OK)
				continue;
			warnw(NULL, "%s", err);
			result = SSE_BROKEN;
			break;
		}
		if (got == BUS_NOTOPIC) {
			warnw(s->topic, "the topic was deleted while it was "
			    "served (evsub --delete-topic)");
			result = SSE_NOTOPIC;
			break;
		}
		if (got != BUS_OK) {
			warnw(s->topic, "%s", err);
			result = SSE_BROKEN;
			break;
		}
		if (ce_validate(&sc, line, len, &ev, err, sizeof(err)) == -1) {
			warnw(s->topic, "sequence %llu: not an event in the "
			    "log: %s (see evlog verify)",
			    (unsigned long long)seq, err);
			ev.a[CE_TYPE] = NULL;
			/* Passed over all the same: the position moves. */
			pthread_mutex_lock(&s->st->mu);
			s->st->pos = seq;
			pthread_mutex_unlock(&s->st->mu);
			continue;
		}
		if (filter_all(s->f, s->nf, &sc, &ev) == s->invert) {
			pthread_mutex_lock(&s->st->mu);
			s->st->pos = seq;
			pthread_mutex_unlock(&s->st->mu);
			continue;
		}
		fanout(s, line, len, seq, &sc, &ev);
	}
	scan_free(&sc);
	bus_read_close(r);
	sourcedone(s, result);
}

struct source {
	struct sse *s;
	struct bus_reader *r;	/* on a topic, its reading */
};

static void *
source(void *arg)
{
	struct source *src = arg;

	if (src->r != NULL)
		source_topic(src->s, src->r);
	else
		source_inputs(src->s);
	return NULL;
}

/*
 * A client's catch-up: the log from k->from, into its buffer, until the
 * reading reaches where the source is; then the client is the source's.
 * Each event moves k->last, given or not, so the hand-over knows where
 * the client is.  A buffer half full is waited on: the connection sends
 * it as fast as the client reads.
 */
static void *
catchup(void *arg)
{
	struct catchup *cu = arg;
	struct sse *s = cu->s;
	struct sse_state *st = s->st;
	struct client *k = cu->k;
	struct bus_from f = { NULL, k->from, BUS_NOTIME };
	struct bus_reader *r = NULL;
	struct scanner sc;
	struct ce_event ev;
	struct buf m = { 0 };
	const char *line;
	char err[BUS_ERRMAX];
	uint64_t seq;
	size_t len;
	int got, ok = 1;

	free(cu);
	scan_init(&sc);
	if ((got = bus_read_open(s->bus, s->topic, &f, &r, err,
	    sizeof(err))) != BUS_OK) {
		/* BUS_ERROR and BUS_USAGE say where themselves. */
		warnw(got == BUS_ERROR || got == BUS_USAGE ? NULL : s->topic,
		    "a client's catch-up: %s", err);
		ok = 0;
		r = NULL;
	}
	while (ok) {
		got = bus_read_next(r, &line, &len, &seq, err, sizeof(err));
		if (got != BUS_OK && got != BUS_END) {
			ok = 0;
			break;
		}
		pthread_mutex_lock(&st->mu);
		if (k->gone || k->failed || st->stopping) {
			pthread_mutex_unlock(&st->mu);
			break;
		}
		if (got == BUS_END && k->last >= st->pos) {
			k->state = C_LIVE;	/* caught up */
			pthread_mutex_unlock(&st->mu);
			break;
		}
		if (got == BUS_END) {
			pthread_mutex_unlock(&st->mu);
			if (bus_read_wait(r, 100000, err, sizeof(err)) ==
			    BUS_OK)
				continue;
			warnw(NULL, "a client's catch-up: %s", err);
			ok = 0;
			break;
		}
		if (seq > st->pos) {
			/* The source has yet to read it: it is the
			 * source's to give. */
			k->last = seq - 1;
			k->state = C_LIVE;
			pthread_mutex_unlock(&st->mu);
			break;
		}
		while (pending(k) >= s->clientbuf / 2 && !k->gone &&
		    !k->failed && !st->stopping)
			pthread_cond_wait(&st->drained, &st->mu);
		if (seq > k->last && ce_validate(&sc, line, len, &ev, err,
		    sizeof(err)) == 0 && filter_all(s->f, s->nf, &sc, &ev) !=
		    s->invert && passes(k, &sc, &ev)) {
			message(s, &m, line, len, seq, &ev);
			put(st, k, m.p, m.len);
		}
		if (seq > k->last)
			k->last = seq;
		wakeall(st);
		pthread_mutex_unlock(&st->mu);
	}
	pthread_mutex_lock(&st->mu);
	if (!ok)
		cutoff(s, k, "the topic's log could not be read for it");
	wakeall(st);
	st->ncatchup--;
	pthread_cond_broadcast(&st->drained);
	unref(k);
	pthread_mutex_unlock(&st->mu);
	if (r != NULL)
		bus_read_close(r);
	scan_free(&sc);
	buf_free(&m);
	return NULL;
}

/*
 * libmicrohttpd's content reader: what k has to send, or, when nothing,
 * the connection suspended until the source or a catch-up has more (a
 * 0 without it would poll in a loop).
 */
static ssize_t
give(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct client *k = cls;
	struct sse_state *st = k->s->st;
	ssize_t n;

	(void)pos;
	pthread_mutex_lock(&st->mu);
	if (k->failed)
		n = MHD_CONTENT_READER_END_WITH_ERROR;
	else if (pending(k) > 0) {
		n = (ssize_t)(pending(k) < max ? pending(k) : max);
		memcpy(buf, k->out.p + k->off, (size_t)n);
		k->off += (size_t)n;
		if (k->off == k->out.len) {
			k->off = k->out.len = 0;
			/* A burst's room is given back: an idle client
			 * holds no buffer. */
			if (k->out.cap > 4096) {
				buf_free(&k->out);
				memset(&k->out, 0, sizeof(k->out));
			}
		}
		if (k->state == C_CATCHUP)
			pthread_cond_broadcast(&st->drained);
	} else if (k->ended)
		n = MHD_CONTENT_READER_END_OF_STREAM;
	else {
		k->suspended = 1;
		MHD_suspend_connection(k->conn);
		n = 0;
	}
	pthread_mutex_unlock(&st->mu);
	return n;
}

/* Answers with code and a line of text; a refusal is logged. */
static enum MHD_Result
answer(struct sse *s, struct client *k, struct MHD_Connection *c,
    unsigned code, const char *why)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char text[700];
	int n;

	if (code >= 400 && !s->quiet)
		warnw(k != NULL ? k->who : "http", "%u: %s", code, why);
	n = (int)msgesc(text, sizeof(text) - 1, why, strlen(why), 600);
	text[n++] = '\n';
	r = MHD_create_response_from_buffer((size_t)n, text,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	if (code == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer realm=\"evsub\"");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD, OPTIONS");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* The origin the request comes from, when --cors allows it, or NULL. */
static const char *
allowed(struct sse *s, struct MHD_Connection *c)
{
	const char *o;
	size_t i;

	o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	if (o == NULL)
		return NULL;
	for (i = 0; i < s->ncors; i++)
		if (strcmp(s->cors[i], "*") == 0 || strcmp(s->cors[i], o) == 0)
			return o;
	return NULL;
}

/* Headers every answer of ours carries: CORS, when allowed. */
static void
corshead(struct sse *s, struct MHD_Connection *c, struct MHD_Response *r)
{
	const char *o = allowed(s, c);

	if (s->ncors > 0)
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Origin");
	if (o == NULL)
		return;
	MHD_add_response_header(r,
	    MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, o);
	MHD_add_response_header(r, "Access-Control-Allow-Credentials",
	    "true");
}

/* A CORS preflight: allowed, or 403. */
static enum MHD_Result
preflight(struct sse *s, struct client *k, struct MHD_Connection *c)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (allowed(s, c) == NULL)
		return answer(s, k, c, MHD_HTTP_FORBIDDEN, "Origin: not one "
		    "that --cors allows");
	r = MHD_create_response_from_buffer(0, (void *)"",
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	corshead(s, c, r);
	MHD_add_response_header(r, "Access-Control-Allow-Methods",
	    "GET, HEAD, OPTIONS");
	MHD_add_response_header(r, "Access-Control-Allow-Headers",
	    "Authorization, Cache-Control, Last-Event-ID, traceparent, "
	    "tracestate");
	MHD_add_response_header(r, "Access-Control-Max-Age", "600");
	ret = MHD_queue_response(c, MHD_HTTP_NO_CONTENT, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * Whether the request carries one of the tokens: "Authorization: Bearer
 * T", or ?access_token=T (RFC 6750), since a browser's EventSource sends
 * no header of the page's.  Compared in constant time.
 */
static int
authorized(struct sse *s, struct MHD_Connection *c)
{
	const char *h, *t, *p, *e;
	size_t len;
	int match = 0;

	if (s->tokens == NULL)
		return 1;
	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0)
		t = h + 7 + strspn(h + 7, " ");
	else
		t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "access_token");
	if (t == NULL)
		return 0;
	len = strlen(t);
	for (p = s->tokens; *p != '\0'; p = *e == '\0' ? e : e + 1) {
		e = p + strcspn(p, "\n");
		if ((size_t)(e - p) == len)
			match |= CRYPTO_memcmp(p, t, len) == 0;
	}
	return match;
}

/* The page at "/": the class projector. */
static enum MHD_Result
sendpage(struct sse *s, struct MHD_Connection *c)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(sizeof(page) - 1, (void *)page,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	corshead(s, c, r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/html; charset=utf-8");
	/* No network but this server's own: the page fetches nothing else. */
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'none'; connect-src 'self'; script-src "
	    "'unsafe-inline'; style-src 'unsafe-inline'");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* /topics: what --topics --json says, as of the last second. */
static enum MHD_Result
sendtopics(struct sse *s, struct client *k, struct MHD_Connection *c)
{
	struct sse_state *st = s->st;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text;

	if (s->topic == NULL)
		return answer(s, k, c, MHD_HTTP_NOT_FOUND, "not serving a "
		    "topic: no topics to show");
	pthread_mutex_lock(&st->mu);
	st->topicsasked = now_usec();
	text = xstrdup(st->topics != NULL ? st->topics : "");
	pthread_mutex_unlock(&st->mu);
	r = MHD_create_response_from_buffer(strlen(text), text,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	corshead(s, c, r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/x-ndjson");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* Gathers a request's ?filter= arguments, parsed. */
struct qfilters {
	struct filter *f;	/* those parsed */
	size_t nf;		/* how many */
	char err[600];		/* the first that is not one, said as the
				   command line says it; or "" */
};

static enum MHD_Result
qfilter(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *val)
{
	struct qfilters *q = cls;
	char err[512];

	(void)kind;
	if (strcmp(key, "filter") != 0 || q->err[0] != '\0')
		return MHD_YES;
	if (val == NULL)
		val = "";
	q->f = xrealloc(q->f, (q->nf + 1) * sizeof(*q->f));
	if (filter_parse(&q->f[q->nf], val, err, sizeof(err)) == -1) {
		snprintf(q->err, sizeof(q->err), "%s: filter: %s",
		    getprogname(), err);
		return MHD_NO;
	}
	q->nf++;
	return MHD_YES;
}

/*
 * Where a stream starts, from Last-Event-ID (a reconnect: it wins), else
 * ?from=, else ?since=: *from the first sequence (0: none asked), *since
 * a time (BUS_NOTIME: none).  Returns NULL, or what is wrong.
 */
static const char *
startof(struct sse *s, struct MHD_Connection *c, uint64_t *from,
    int64_t *since)
{
	const char *id, *f, *t, *errstr;
	long long v;

	*from = 0;
	*since = BUS_NOTIME;
	id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	f = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from");
	t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	if (s->topic == NULL)
		return f != NULL || t != NULL ? "?from= and ?since= read a "
		    "topic's log: this server serves no topic (evsub -T "
		    "NAME --serve)" : NULL;
	if (id != NULL && *id != '\0') {
		if (parsenum(id, 0, 1LL << 62, &v, &errstr) == -1)
			return "Last-Event-ID: not a sequence of this topic "
			    "(an id this server sent is one)";
		*from = (uint64_t)v + 1;
		return NULL;
	}
	if (f != NULL) {
		if (parsenum(f, 1, 1LL << 62, &v, &errstr) == -1)
			return "?from=: not a sequence (1 is the first event)";
		*from = (uint64_t)v;
	} else if (t != NULL && time_parse(t, now_usec(), since) == -1)
		return "?since=: not " TIME_SYNTAX;
	return NULL;
}

/* Starts a catch-up thread for k, from *f. */
static int
startcatchup(struct sse *s, struct client *k)
{
	struct catchup *cu = xmalloc(sizeof(*cu));
	pthread_attr_t a;
	pthread_t t;
	int e;

	cu->s = s;
	cu->k = k;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, 256 * 1024);
	k->refs++;
	s->st->ncatchup++;
	if ((e = pthread_create(&t, &a, catchup, cu)) != 0) {
		k->refs--;
		s->st->ncatchup--;
		free(cu);
	}
	pthread_attr_destroy(&a);
	return e;
}

/* A stream for k: its filters, its start, and the response. */
static enum MHD_Result
stream(struct sse *s, struct client *k, struct MHD_Connection *c)
{
	struct sse_state *st = s->st;
	struct qfilters q;
	struct MHD_Response *r;
	enum MHD_Result ret;
	const char *why;
	char retry[64], seekerr[2048];
	uint64_t from;
	int64_t since;
	size_t i;

	if (!authorized(s, c))
		return answer(s, k, c, MHD_HTTP_UNAUTHORIZED, "no token that "
		    "--token-file holds (Authorization: Bearer TOKEN, or "
		    "?access_token=TOKEN)");
	memset(&q, 0, sizeof(q));
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, qfilter, &q);
	why = q.err[0] != '\0' ? q.err : startof(s, c, &from, &since);
	if (why != NULL) {
		for (i = 0; i < q.nf; i++)
			filter_free(&q.f[i]);
		free(q.f);
		return answer(s, k, c, MHD_HTTP_BAD_REQUEST, why);
	}
	/* A time is a sequence before the lock: on NATS it is a request.
	 * When the log cannot be read for it, this client is told, and
	 * the server goes on for the others. */
	if (since != BUS_NOTIME && bus_seek_time(s->bus, s->topic, since,
	    &from, seekerr, sizeof(seekerr)) != BUS_OK) {
		warnw(NULL, "%s", seekerr);
		for (i = 0; i < q.nf; i++)
			filter_free(&q.f[i]);
		free(q.f);
		return answer(s, k, c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "?since=: the topic's log could not be read for it");
	}
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, give,
	    k, NULL);
	if (r == NULL)
		return MHD_NO;
	corshead(s, c, r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/event-stream; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* nginx in front: no buffering of a stream. */
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	snprintf(retry, sizeof(retry), "retry: %d\n\n", SSE_RETRY);
	pthread_mutex_lock(&st->mu);
	for (i = 0; i < k->nf; i++)
		filter_free(&k->f[i]);
	free(k->f);
	k->f = q.f;
	k->nf = q.nf;
	k->off = k->out.len = 0;
	k->failed = k->ended = 0;
	buf_puts(&k->out, retry);
	if (st->stopping)
		k->ended = 1;
	if (from > 0 && from <= st->pos) {
		k->state = C_CATCHUP;
		k->from = from;
		k->last = from - 1;
		if (startcatchup(s, k) != 0) {
			k->failed = 1;
			warnw(k->who, "no thread to read the log for it");
		}
	} else {
		k->state = C_LIVE;
		k->last = from > 0 ? from - 1 : st->pos;
	}
	pthread_mutex_unlock(&st->mu);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* The client of connection c. */
static struct client *
clientof(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *size, void **ctx)
{
	struct sse *s = cls;
	struct client *k = clientof(c);
	int head;

	(void)version;
	(void)upload;
	if (*ctx == NULL) {
		/* The head is in: no deadline while it is ours. */
		*ctx = s;
		if (k != NULL) {
			pthread_mutex_lock(&s->st->mu);
			k->deadline = 0;
			k->state = C_OTHER;
			pthread_mutex_unlock(&s->st->mu);
		}
	}
	if (*size > 0) {
		*size = 0;	/* a body to a GET: not ours to read */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0)
		return preflight(s, k, c);
	head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && !head)
		return answer(s, k, c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET "
		    "is taken here: " SSE_PATH " is the stream, / a page");
	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
		return sendpage(s, c);
	if (strcmp(url, "/topics") == 0) {
		if (!authorized(s, c))
			return answer(s, k, c, MHD_HTTP_UNAUTHORIZED, "no token "
			    "that --token-file holds");
		return sendtopics(s, k, c);
	}
	if (strcmp(url, SSE_PATH) != 0)
		return answer(s, k, c, MHD_HTTP_NOT_FOUND, "no such path: "
		    SSE_PATH " is the stream, / a page");
	if (k == NULL || k->refs > 1)
		return answer(s, k, c, MHD_HTTP_SERVICE_UNAVAILABLE, "the last "
		    "stream of this connection is still being ended");
	return stream(s, k, c);
}

/* A request is done: a stream ends; the next head has its deadline. */
static void
completed(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode toe)
{
	struct sse *s = cls;
	struct client *k = clientof(c);

	(void)toe;
	*ctx = NULL;
	if (k == NULL)
		return;
	pthread_mutex_lock(&s->st->mu);
	k->state = C_HEAD;
	k->failed = 1;		/* a catch-up still running stops */
	k->deadline = now_usec() + (int64_t)LISTEN_HEADTIME * 1000000;
	k->off = k->out.len = 0;
	pthread_cond_broadcast(&s->st->drained);
	pthread_mutex_unlock(&s->st->mu);
}

/* A connection opens (its head is due) or closes. */
static void
notify(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_ConnectionNotificationCode code)
{
	struct sse *s = cls;
	struct sse_state *st = s->st;
	const union MHD_ConnectionInfo *ci;
	struct client *k = *ctx;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		k = xmalloc(sizeof(*k));
		memset(k, 0, sizeof(*k));
		k->s = s;
		k->conn = c;
		k->refs = 1;
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		k->fd = ci != NULL ? ci->connect_fd : -1;
		k->deadline = now_usec() + (int64_t)LISTEN_HEADTIME * 1000000;
		peer(c, k->who, sizeof(k->who));
		pthread_mutex_lock(&st->mu);
		if ((k->next = st->clients) != NULL)
			k->next->prev = k;
		st->clients = k;
		st->nclients++;
		pthread_mutex_unlock(&st->mu);
		*ctx = k;
		return;
	}
	if (k == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		st->clients = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	st->nclients--;
	k->gone = 1;
	pthread_cond_broadcast(&st->drained);
	unref(k);
	pthread_mutex_unlock(&st->mu);
	*ctx = NULL;
}

/*
 * Every fifth of a second: cuts off the connections whose head is late
 * (the first few said one by one, the rest in a sum), and when it is
 * time, gives every stream with nothing to send a heartbeat comment,
 * which also finds the clients that went away while suspended.
 */
static void
sweep(struct sse *s, int beat)
{
	struct sse_state *st = s->st;
	struct client *k;
	char line[3][INET6_ADDRSTRLEN + 80];
	int64_t now = now_usec();
	long n = 0, i;

	pthread_mutex_lock(&st->mu);
	for (k = st->clients; k != NULL; k = k->next) {
		if (beat && (k->state == C_LIVE || k->state == C_CATCHUP) &&
		    pending(k) == 0 && !k->ended && !k->failed)
			put(st, k, ":\n\n", 3);
		if (k->state != C_HEAD || k->cut || k->deadline == 0 ||
		    now < k->deadline)
			continue;
		(void)shutdown(k->fd, SHUT_RDWR);
		k->cut = 1;
		if (n < 3)
			snprintf(line[n], sizeof(line[n]), "%s: no request "
			    "head within %d s: closed", k->who,
			    LISTEN_HEADTIME);
		n++;
	}
	wakeall(st);
	pthread_mutex_unlock(&st->mu);
	if (s->quiet)
		return;
	for (i = 0; i < n && i < 3; i++)
		warnw(NULL, "%s", line[i]);
	if (n > 3)
		warnw(NULL, "%ld more connections past their deadline: closed",
		    n - 3);
}

/* Keeps the survey /topics serves, while it is asked for. */
static void
survey(struct sse *s, int64_t *last)
{
	struct sse_state *st = s->st;
	struct topic_stat *v;
	int64_t now = now_usec(), asked;
	size_t n = 0, len = 0;
	char *text = NULL, err[2048];
	FILE *f;
	int got;

	pthread_mutex_lock(&st->mu);
	asked = st->topicsasked;
	pthread_mutex_unlock(&st->mu);
	if (s->topic == NULL || now - *last < 1000000 ||
	    now - asked > 10000000)
		return;
	*last = now;
	if ((f = open_memstream(&text, &len)) == NULL)
		return;
	if ((got = bus_any(s->bus, err, sizeof(err))) == BUS_OK)
		got = bus_survey(s->bus, &v, &n, err, sizeof(err));
	if (got != BUS_OK && got != BUS_NOTOPIC) {
		/* Said; /topics keeps the last survey, and the streams go
		 * on. */
		warnw(NULL, "%s", err);
		fclose(f);
		free(text);
		return;
	}
	if (got == BUS_OK) {
		topic_list_json(f, v, n);
		topic_survey_free(v, n);
	}
	fclose(f);
	pthread_mutex_lock(&st->mu);
	free(st->topics);
	st->topics = text;
	pthread_mutex_unlock(&st->mu);
}

/*
 * The end: every stream ends once its buffer is sent (for at most a few
 * seconds), the catch-ups stop, and every connection is resumed, as
 * libmicrohttpd wants before it stops.
 */
static void
drain(struct sse *s)
{
	struct sse_state *st = s->st;
	struct client *k;
	int64_t deadline = now_usec() + 3000000;
	int busy;

	pthread_mutex_lock(&st->mu);
	st->stopping = 1;
	for (k = st->clients; k != NULL; k = k->next) {
		k->ended = 1;
		wake(st, k);
	}
	pthread_cond_broadcast(&st->drained);
	wakeall(st);
	pthread_mutex_unlock(&st->mu);
	do {
		sleepms(10);
		pthread_mutex_lock(&st->mu);
		busy = st->ncatchup > 0;
		for (k = st->clients; k != NULL && !busy; k = k->next)
			busy = pending(k) > 0 && !k->failed;
		pthread_mutex_unlock(&st->mu);
	} while (busy && now_usec() < deadline);
	pthread_mutex_lock(&st->mu);
	for (k = st->clients; k != NULL; k = k->next) {
		k->failed = 1;
		wake(st, k);
	}
	wakeall(st);
	pthread_mutex_unlock(&st->mu);
}

/*
 * Starts the server on s->addr (listen_start): a stream waiting for
 * events is suspended, and has no time-out; one that cannot be written to
 * has the receiver's and two heartbeats.  A stream's request is one head:
 * 16 KiB holds it and the buffer the reader fills (give, 4 KiB).
 */
static struct MHD_Daemon *
start(struct sse *s, char *where, size_t wn, char **cert, char **key,
    enum sse_result *r, char *err, size_t n)
{
	struct listen_server sv = {
		"--serve", s->addr, s->tlscert, s->tlskey,
		MHD_ALLOW_SUSPEND_RESUME, handle, notify, completed, s,
		(unsigned)LISTEN_TIMEOUT + 2 * s->heartbeat, s->maxconn,
		s->peraddr, 16 * 1024
	};
	struct MHD_Daemon *d;
	enum listen_result lr;

	d = listen_start(&sv, where, wn, cert, key, &lr, err, n);
	*r = d != NULL ? SSE_OK : lr == LISTEN_ADDR ? SSE_ADDR : SSE_FAIL;
	return d;
}

/* Lets go of the server's state. */
static void
freestate(struct sse *s)
{
	struct sse_state *st = s->st;

	free(st->topics);
	free(st->wake);
	buf_free(&st->msg);
	pthread_cond_destroy(&st->drained);
	pthread_mutex_destroy(&st->mu);
	free(st);
	s->st = NULL;
}

/*
 * Waits for the end: SIGTERM or SIGINT, or the source's; meanwhile cuts
 * off the late heads, sends the heartbeats and keeps the survey.
 */
static void
serve(struct sse *s, const sigset_t *set)
{
	struct timespec ts = { 0, 200 * 1000000L };
	int64_t nextbeat, surveyed = 0;
	int sig, done;

	nextbeat = now_usec() + (int64_t)s->heartbeat * 1000000;
	for (;;) {
		sig = sigtimedwait(set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		pthread_mutex_lock(&s->st->mu);
		done = s->st->done;
		pthread_mutex_unlock(&s->st->mu);
		if (done)
			break;
		sweep(s, now_usec() >= nextbeat);
		if (now_usec() >= nextbeat)
			nextbeat = now_usec() + (int64_t)s->heartbeat * 1000000;
		survey(s, &surveyed);
	}
}

enum sse_result
sse_run(struct sse *s, char *err, size_t n)
{
	struct sse_state *st;
	struct MHD_Daemon *d;
	struct source src = { s, NULL };
	struct bus_from f = { NULL, 1, BUS_NOTIME };
	enum sse_result r;
	pthread_t srct;
	sigset_t set;
	char where[NI_MAXHOST + NI_MAXSERV + 4], berr[BUS_ERRMAX];
	char *cert = NULL, *key = NULL;
	int fd, done, got;

	if (s->maxconn == 0)
		s->maxconn = LISTEN_MAXCONN;
	s->maxconn = listen_ceiling(s->maxconn);
	if (s->heartbeat == 0)
		s->heartbeat = SSE_HEARTBEAT;
	if (s->clientbuf == 0)
		s->clientbuf = SSE_CLIENTBUF;
	if (s->topic != NULL && (got = bus_exists(s->bus, s->topic, "-T",
	    err, n)) != BUS_OK)
		return got == BUS_NOTOPIC ? SSE_NOTOPIC : SSE_FAIL;
	st = xmalloc(sizeof(*st));
	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->drained, NULL);
	st->main = pthread_self();
	s->st = st;
	if (s->topic != NULL) {
		/* From where the log ends: a client asks for the past. */
		if (bus_last(s->bus, s->topic, &st->pos, err, n) != BUS_OK) {
			freestate(s);
			return SSE_FAIL;
		}
		f.seq = st->pos + 1;
		switch ((got = bus_read_open(s->bus, s->topic, &f, &src.r, berr,
		    sizeof(berr)))) {
		case BUS_OK:
			break;
		case BUS_NOTOPIC:	/* deleted since */
			freestate(s);
			return SSE_NOTOPIC;
		case BUS_ERROR:
		case BUS_USAGE:		/* said whole */
			seterr(err, n, "%s", berr);
			freestate(s);
			return SSE_FAIL;
		default:
			seterr(err, n, "%s: %s", s->topic, berr);
			freestate(s);
			return SSE_FAIL;
		}
	}
	/* The server's threads inherit this mask: the signals come here. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* A client gone mid-write is an error of that write, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if ((d = start(s, where, sizeof(where), &cert, &key, &r, err, n)) !=
	    NULL && pthread_create(&srct, NULL, source, &src) != 0) {
		seterr(err, n, "--serve: no thread to read the events");
		MHD_stop_daemon(d);
		d = NULL;
	}
	if (d == NULL) {
		if (src.r != NULL)
			bus_read_close(src.r);
		free(cert);
		free(key);
		freestate(s);
		return r;
	}
	warnw(NULL, "serving on %s", where);
	serve(s, &set);
	drain(s);
	if ((fd = MHD_quiesce_daemon(d)) != MHD_INVALID_SOCKET)
		close(fd);
	/* The last resumed connections end their streams. */
	sleepms(50);
	MHD_stop_daemon(d);
	pthread_mutex_lock(&st->mu);
	done = st->done;
	r = done ? st->result : SSE_OK;
	pthread_mutex_unlock(&st->mu);
	/* On a topic the source sees the end within its wait; the inputs
	 * may block in a read, and the process ends under them. */
	if (done || s->topic != NULL)
		pthread_join(srct, NULL);
	free(cert);
	free(key);
	freestate(s);
	return r;
}
