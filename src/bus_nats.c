/* SPDX-License-Identifier: ISC */
/*
 * bus_nats.c - the NATS JetStream bus: the operations of bus.h over
 * libnats, chosen by a nats:// or tls:// URL (bus.c).
 *
 *   topic NAME        stream EV_<NAME>, subjects ev.<NAME>.>, NAME with
 *                     '_' as "__" and '.' as "_d" (no '.' in a stream
 *                     name, nor in one token of a subject)
 *   an event          on ev.<NAME>.s.<SUBJECT> (the subject's bytes that
 *                     NATS would misread percent-encoded: '%', '.',
 *                     '*', '>', space and controls, and every byte over
 *                     0x7e; the empty subject is "%"), ev.<NAME>.h.<HASH>
 *                     when that is over NB_SUBJMAX bytes (the SHA-256
 *                     of the subject, in hex), or ev.<NAME>._ when it
 *                     has none; structured mode: the line as
 *                     the body, Content-Type application/cloudevents+json
 *   its sequence      the stream's sequence, stamped as "sequence"
 *   (source, id)      Nats-Msg-Id: the server drops a repeat within the
 *                     stream's duplicate window
 *   a consumer C      a durable pull consumer C, explicit acks, with
 *                     '.' (no NATS name has one) written '~' (no topic
 *                     or consumer name has one)
 *   live              an ordered push consumer of new messages, written
 *                     into a pipe
 *
 * One connection per bus, made at the first operation that needs it;
 * JetStream is asked with its default time-out (5 s).  Nothing here exits
 * or prints but a warning: a failure to reach the server comes back as
 * BUS_ERROR, its text in the caller's err with the URL first, and each
 * other failure as the result bus.h names for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>
#include <openssl/evp.h>

#include "buf.h"
#include "bus.h"
#include "ce.h"
#include "cebin.h"
#include "http.h"
#include "scan.h"
#include "log.h"
#include "timefmt.h"
#include "util.h"

#define NB_WINDOW 1024		/* asynchronous publishes in flight, at most */
#define NB_FETCH 256		/* messages a consumer asks for at once */
#define NB_ACKWAIT 30		/* seconds before an unacknowledged message
				   of a consumer is given again, unless
				   EVENTFUL_NATS_ACK_WAIT says otherwise */
#define NB_ACKPENDING 20000	/* of a consumer, given and not acked */
#define NB_RETRY 60		/* seconds a publish is retried for (a new
				   leader being elected) before giving up */
#define NB_ACKLATE 10		/* seconds an ack of the window is waited
				   for, past NB_RETRY */
#define NB_CLOSED "the server closed the connection, and it was not made " \
		  "again (the server's log says why)"
#define NB_DUPWINDOW 120000000LL /* the default duplicate window, usec */
#define NB_STALL 30000		/* ms a reading waits for a message it knows
				   is there before it says "the end" (a
				   loaded server is slow to push) */
#define NB_SUBJMAX 2048		/* the longest encoded subject in a NATS
				   subject; a longer one is hashed */

struct nbus {
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	struct npub *pub;	/* the publisher the acks are for */
	const char *creds;	/* a user's credentials file, or NULL */
	const char *credsfrom;	/* where it was named: --creds, NATS_CREDS */
};

/* An event of the publishing window. */
struct slot {
	size_t off, len;	/* the event in the window's buffer, no '\n' */
	size_t subj, msgid;	/* its subject and message id, in strs */
	uint64_t lineno;	/* the number of the event, for messages */
	natsMsg *msg;		/* while in flight: what the ack names */
	int state;		/* enum slotstate */
	uint64_t seq;		/* the stream's sequence, once acknowledged */
	natsStatus err;		/* why it failed */
	jsErrCode jerr;
	char errtext[160];
};

enum slotstate { S_FLIGHT, S_ACKED, S_DUP, S_FAILED };

struct npub {
	struct bus_pub base;
	struct nbus *nb;
	char *topic;
	char *stream;		/* EV_... */
	char *prefix;		/* ev.<topic>. */
	struct bus_pubopts o;
	struct scanner sc;
	struct ce_event ev;
	struct buf evs;		/* the window's events */
	struct buf strs;	/* their subjects and message ids, '\0' each */
	struct slot *w;		/* the window */
	size_t nw, cap;
	size_t hint;		/* where the next ack is likely */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t n;		/* events taken so far */
	uint64_t lastsubj;	/* --expect: the subject's last sequence */
	int expectset;		/* lastsubj is known */
	char *firstsubj;	/* --expect: the first event's NATS subject */
	int64_t maxpayload;	/* the server's max_payload */
	struct buf out;		/* acknowledged events, stamped */
	int failed;		/* a sink failed: nothing more is published */
};

struct nreader {
	struct bus_reader base;
	struct nbus *nb;
	char *stream;
	char *consumer;		/* a durable's name, or NULL */
	natsSubscription *sub;
	int durable;		/* a pull consumer, else an ordered one */
	uint64_t pos;		/* where the reading started after */
	uint64_t pending;	/* ordered: what the server said is left */
	uint64_t end;		/* ordered: the stream's last sequence when
				   the reading began */
	int given;		/* ordered: a message was given */
	natsMsgList held;	/* fetched, not yet given */
	int next;		/* the next of held to give */
	natsMsg **unacked;	/* given, not yet committed */
	size_t nun, capun;
	struct buf line;	/* the event given last, stamped */
	struct scanner sc;
	int64_t asked;		/* when the stream was last looked for */
};

struct nlive {
	struct bus_live base;
	natsSubscription *sub;
	int fd[2];		/* the pipe: evsub reads fd[0]; fd[1] is -1
				   once the stream is gone */
	struct buf line;	/* for the callback */
	struct scanner sc;
	char *stream;
	pthread_t watch;	/* looks for the stream every second */
	pthread_mutex_t mu;	/* the callback and the watch, on fd[1] */
	pthread_cond_t cv;
	int stop;		/* the watch is to end */
};

/* ---- names ---- */

/* Appends topic to b as one token of a stream name or a subject. */
static void
put_topic(struct buf *b, const char *topic)
{
	for (; *topic != '\0'; topic++)
		if (*topic == '_')
			buf_puts(b, "__");
		else if (*topic == '.')
			buf_puts(b, "_d");
		else
			buf_putc(b, *topic);
}

/* The topic a stream name stands for, or NULL when it is not ours. */
static char *
stream_topic(const char *stream)
{
	char *t, *q;

	if (strncmp(stream, "EV_", 3) != 0 || stream[3] == '\0')
		return NULL;
	t = q = xmalloc(strlen(stream));
	for (stream += 3; *stream != '\0'; stream++) {
		if (*stream != '_') {
			*q++ = *stream;
			continue;
		}
		if (stream[1] == '_')
			*q++ = '_';
		else if (stream[1] == 'd')
			*q++ = '.';
		else {
			free(t);
			return NULL;
		}
		stream++;
	}
	*q = '\0';
	return t;
}

/* The NATS name of a consumer, from '.' to '~', or back, from '~' to '.'.
 * Only the dot is rewritten (as a topic's '_' is not), so that the NATS
 * names of the consumers made before stay as they were. */
static char *
cons_name(const char *consumer, char from, char to)
{
	char *c = xstrdup(consumer), *p;

	for (p = c; (p = strchr(p, from)) != NULL; p++)
		*p = to;
	return c;
}

static char *
stream_name(const char *topic)
{
	struct buf b = { 0 };

	buf_puts(&b, "EV_");
	put_topic(&b, topic);
	buf_putc(&b, '\0');
	return b.p;
}

/* "ev.<topic>." */
static char *
subj_prefix(const char *topic)
{
	struct buf b = { 0 };

	buf_puts(&b, "ev.");
	put_topic(&b, topic);
	buf_puts(&b, ".");
	buf_putc(&b, '\0');
	return b.p;
}

/* Appends s[0..len) with the bytes a NATS subject token cannot carry
 * (or would read as a wildcard or separator) as %XX. */
static void
put_pct(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '%' || c == '.' ||
		    c == '*' || c == '>') {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		} else
			buf_putc(b, c);
	}
}

/* Appends the decoded string member m (or nothing for NULL). */
static void
put_str(struct buf *b, const struct scan_member *m)
{
	size_t n;

	buf_reserve(b, m->vallen);
	if (m->valesc)
		n = scan_unescape(m->val + 1, m->vallen - 2, b->p + b->len);
	else {
		n = m->vallen - 2;
		memcpy(b->p + b->len, m->val + 1, n);
	}
	b->len += n;
}

/* Appends the NATS subject of the event ev: prefix, then "s.SUBJECT"
 * encoded, or "_" for none; a subject whose encoding is longer than
 * NB_SUBJMAX as "h." and the SHA-256 of its bytes, in hex. */
static int
put_subject(struct buf *b, const char *prefix, const struct ce_event *ev,
    char *err, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	struct buf s = { 0 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t at;

	buf_puts(b, prefix);
	if (ev->a[CE_SUBJECT] == NULL) {
		buf_putc(b, '_');
		return 0;
	}
	buf_puts(b, "s.");
	at = b->len;
	put_str(&s, ev->a[CE_SUBJECT]);
	if (s.len == 0)
		buf_putc(b, '%');
	else
		put_pct(b, s.p, s.len);
	/*
	 * The subject goes on the line of the protocol that carries the
	 * message (and on a direct get's, for --expect), which the server
	 * takes up to max_control_line, 4096 bytes by default: past it, it
	 * closes the connection, and no ack comes (acks_wait).  A longer
	 * subject is named by its hash instead, which --expect counts alike
	 * (the event itself keeps its subject).
	 */
	if (b->len - at > NB_SUBJMAX) {
		b->len = at - 2;
		if (EVP_Digest(s.p, s.len, md, &mdlen, EVP_sha256(), NULL) !=
		    1) {
			buf_free(&s);
			return seterr(err, n, "SHA-256: the digest failed");
		}
		buf_puts(b, "h.");
		for (i = 0; i < mdlen; i++) {
			buf_putc(b, hex[md[i] >> 4]);
			buf_putc(b, hex[md[i] & 15]);
		}
	}
	buf_free(&s);
	return 0;
}

/* Appends the Nats-Msg-Id of ev: its source and id, encoded, with a
 * space between them. */
static void
put_msgid(struct buf *b, const struct ce_event *ev)
{
	struct buf t = { 0 };

	put_str(&t, ev->a[CE_SOURCE]);
	put_pct(b, t.p, t.len);
	buf_putc(b, ' ');
	t.len = 0;
	put_str(&t, ev->a[CE_ID]);
	put_pct(b, t.p, t.len);
	buf_free(&t);
}

/* ---- the connection ---- */

static const char *
nstatus(natsStatus s)
{
	const char *last = nats_GetLastError(NULL), *p;

	if (last == NULL || *last == '\0')
		return natsStatus_GetText(s);
	/* Without libnats's own place in its source: "(conn.c:1905): ". */
	if (*last == '(' && (p = strstr(last, "): ")) != NULL &&
	    strcspn(last, " ") > (size_t)(p - last))
		return p + 3;
	return last;
}

/* The servers of a URL list, "nats://h1:4222,h2:4222": each without a
 * scheme takes the first one's, and its user and password. */
static natsStatus
set_servers(natsOptions *o, const char *url)
{
	const char *p, *e, *at, *sch;
	const char **v;
	struct buf all = { 0 };
	size_t n = 0, i, *off, pre;
	natsStatus s;

	sch = strstr(url, "://");
	at = strchr(url, '@');
	e = url + strcspn(url, ",");
	/* The scheme and credentials of the first, for the others. */
	pre = at != NULL && at < e ? (size_t)(at + 1 - url) :
	    sch != NULL ? (size_t)(sch + 3 - url) : 0;
	off = xmalloc((strlen(url) + 1) * sizeof(*off));
	for (p = url; ; p = e + 1) {
		e = p + strcspn(p, ",");
		off[n++] = all.len;
		if (strstr(p, "://") == NULL || strstr(p, "://") > e)
			buf_put(&all, url, pre);
		buf_put(&all, p, (size_t)(e - p));
		buf_putc(&all, '\0');
		if (*e == '\0')
			break;
	}
	v = xmalloc(n * sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = all.p + off[i];
	s = natsOptions_SetServers(o, v, (int)n);
	free(v);
	free(off);
	buf_free(&all);
	return s;
}

/* Lets go of a connection that was not made whole. */
static void
unconn(struct nbus *nb)
{
	natsConnection_Destroy(nb->nc);
	natsOptions_Destroy(nb->opts);
	nb->nc = NULL;
	nb->opts = NULL;
}

/*
 * Connects at first use.  Reconnects for a minute when a server goes
 * away (a cluster's other servers take over); credentials and TLS as
 * libnats takes them: user:pass@ in the URL, tls://, a creds file
 * (--creds, else NATS_CREDS), and NATS_CA, NATS_CERT and NATS_KEY as the
 * nats CLI reads them.  NULL when the server cannot be reached, with
 * why in err (BUS_ERROR's).
 */
static struct nbus *
conn(struct bus *b, char *err, size_t n)
{
	struct nbus *nb = b->impl;
	jsOptions jo;
	const char *ca, *cert, *key;
	int fd;
	natsStatus s;

	if (nb->nc != NULL)
		return nb;
	s = natsOptions_Create(&nb->opts);
	if (s == NATS_OK)
		s = set_servers(nb->opts, b->where);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(nb->opts, 2000);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(nb->opts, 600);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(nb->opts, 100);
	if (nb->creds != NULL) {
		/* libnats reads it at connect, and says so in its own words. */
		if ((fd = open(nb->creds, O_RDONLY | O_NONBLOCK)) == -1) {
			seterr(err, n, "%s: %s: %s", nb->credsfrom, nb->creds,
			    strerror(errno));
			unconn(nb);
			return NULL;
		}
		close(fd);
	}
	if (s == NATS_OK && nb->creds != NULL)
		s = natsOptions_SetUserCredentialsFromFiles(nb->opts,
		    nb->creds, NULL);
	if (s == NATS_OK && (ca = getenv("NATS_CA")) != NULL && *ca != '\0')
		s = natsOptions_LoadCATrustedCertificates(nb->opts, ca);
	if (s == NATS_OK && (cert = getenv("NATS_CERT")) != NULL &&
	    *cert != '\0' && (key = getenv("NATS_KEY")) != NULL)
		s = natsOptions_LoadCertificatesChain(nb->opts, cert, key);
	if (s == NATS_OK)
		s = natsConnection_Connect(&nb->nc, nb->opts);
	if (s != NATS_OK) {
		seterr(err, n, "%s: connect: %s", b->where, nstatus(s));
		unconn(nb);
		return NULL;
	}
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = NB_WINDOW;
	if ((s = natsConnection_JetStream(&nb->js, nb->nc, &jo)) != NATS_OK) {
		seterr(err, n, "%s: JetStream: %s", b->where, nstatus(s));
		unconn(nb);
		return NULL;
	}
	return nb;
}

/*
 * *ns: the ack wait of a durable consumer made now, in nanoseconds:
 * NB_ACKWAIT seconds, or EVENTFUL_NATS_ACK_WAIT's (evsub(1)); BUS_USAGE
 * when that is no time.  A consumer keeps the one it was made with; the
 * tests shorten it.
 */
static int
ackwait(int64_t *ns, char *err, size_t n)
{
	const char *v, *errstr;
	long long usec;

	if ((v = getenv("EVENTFUL_NATS_ACK_WAIT")) == NULL || *v == '\0') {
		*ns = NB_ACKWAIT * 1000000000LL;
		return BUS_OK;
	}
	if (parsesecs(v, 86400, &usec, &errstr) == -1) {
		seterr(err, n, "EVENTFUL_NATS_ACK_WAIT: %s: %s: give seconds, "
		    "more than 0 and at most 86400", v, errstr);
		return BUS_USAGE;
	}
	*ns = usec * 1000;
	return BUS_OK;
}

/* The config of durable consumer name, made from the stream's start. */
static void
cons_config(jsConsumerConfig *cc, const char *name, int64_t wait)
{
	jsConsumerConfig_Init(cc);
	cc->Durable = name;
	cc->AckPolicy = js_AckExplicit;
	cc->AckWait = wait;
	/* evsub commits every 1000 events: more than that may be out. */
	cc->MaxAckPending = NB_ACKPENDING;
	cc->DeliverPolicy = js_DeliverAll;
}

/* Says in err what went wrong with a JetStream request about what:
 * BUS_ERROR. */
static int
jsfail(struct bus *b, const char *what, natsStatus s, jsErrCode jerr,
    char *err, size_t n)
{
	if (jerr != 0)
		seterr(err, n, "%s: %s: %s (JetStream error %d)", b->where,
		    what, nstatus(s), (int)jerr);
	else
		seterr(err, n, "%s: %s: %s", b->where, what, nstatus(s));
	return BUS_ERROR;
}

/*
 * The backoff of a request asked again while a cluster elects a leader:
 * 50 ms doubling to a second, for NB_RETRY seconds in all.
 */
struct retry {
	int64_t start;
	int ms;
};
#define RETRY_INIT { now_usec(), 50 }

/* Sleeps before the next try; 0 (without sleeping) once time is up. */
static int
retry_wait(struct retry *rt)
{
	if (now_usec() - rt->start > NB_RETRY * 1000000LL)
		return 0;
	sleepms(rt->ms);
	if (rt->ms < 1000)
		rt->ms *= 2;
	return 1;
}

/* Tells whether a request that failed so may pass if tried again: the
 * server had no leader to answer, or went away. */
static int
passes(natsStatus s)
{
	return s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS ||
	    s == NATS_CONNECTION_DISCONNECTED || s == NATS_CONNECTION_CLOSED;
}

/* *sip: the stream of topic, or NULL when there is none. */
static int
stream_info(struct bus *b, const char *topic, const char *filter,
    jsStreamInfo **sip, char *err, size_t n)
{
	struct nbus *nb;
	jsStreamInfo *si = NULL;
	jsOptions jo;
	jsErrCode jerr = 0;
	natsStatus s;
	char *name;
	struct retry rt = RETRY_INIT;
	int r = BUS_OK;

	*sip = NULL;
	if ((nb = conn(b, err, n)) == NULL)
		return BUS_ERROR;
	name = stream_name(topic);
	jsOptions_Init(&jo);
	jo.Stream.Info.SubjectsFilter = filter;
	/* While a cluster elects a leader (a server was lost), a request
	 * times out: again, for as long as a publish is retried. */
	while (passes(s = js_GetStreamInfo(&si, nb->js, name, &jo, &jerr)) &&
	    retry_wait(&rt))
		;
	if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr)
		si = NULL;
	else if (s != NATS_OK)
		r = jsfail(b, name, s, jerr, err, n);
	free(name);
	*sip = si;
	return r;
}

/*
 * Whether stream is gone: deleted under a reading or a subscription.  A
 * server that does not answer is not taken for a deleted stream.
 */
static int
stream_gone(struct nbus *nb, const char *stream)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	s = js_GetStreamInfo(&si, nb->js, stream, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	return s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr;
}

/* The same for a reading at its end, asked at most once a second. */
static int
reader_gone(struct nreader *r)
{
	int64_t now = now_usec();

	if (now - r->asked < 1000000)
		return 0;
	r->asked = now;
	return stream_gone(r->nb, r->stream);
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* *vp: the topics there are, sorted by name, *nv of them. */
static int
topic_names(struct bus *b, char ***vp, size_t *nv, char *err, size_t n)
{
	struct nbus *nb;
	jsStreamNamesList *l = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	char **v = NULL, *t;
	int i;

	*vp = NULL;
	*nv = 0;
	if ((nb = conn(b, err, n)) == NULL)
		return BUS_ERROR;
	s = js_StreamNames(&l, nb->js, NULL, &jerr);
	if (s == NATS_NOT_FOUND)
		return BUS_OK;
	if (s != NATS_OK)
		return jsfail(b, "stream names", s, jerr, err, n);
	v = xmalloc(((size_t)l->Count + 1) * sizeof(*v));
	for (i = 0; i < l->Count; i++)
		if ((t = stream_topic(l->List[i])) != NULL)
			v[(*nv)++] = t;
	jsStreamNamesList_Destroy(l);
	qsort(v, *nv, sizeof(*v), namecmp);
	*vp = v;
	return BUS_OK;
}

static void
free_names(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

static int
nats_exists(struct bus *b, const char *topic, const char *why, char *err,
    size_t n)
{
	jsStreamInfo *si;
	char **v;
	size_t nv;
	int r;

	if ((r = stream_info(b, topic, NULL, &si, err, n)) != BUS_OK)
		return r;
	if (si != NULL) {
		jsStreamInfo_Destroy(si);
		return BUS_OK;
	}
	if (why == NULL)
		return BUS_NOTOPIC;
	if ((r = topic_names(b, &v, &nv, err, n)) != BUS_OK)
		return r;
	topic_missing(why, topic, b->where, v, nv, "is the bus the one you "
	    "meant?");
	free_names(v, nv);
	return BUS_NOTOPIC;
}

static int
nats_any(struct bus *b, char *err, size_t n)
{
	size_t nv;
	char **v;
	int r;

	if ((r = topic_names(b, &v, &nv, err, n)) != BUS_OK)
		return r;
	if (nv == 0)
		warnw(NULL, "no topics in %s: a publisher makes one (evpub -T "
		    "NAME ...); is the bus the one you meant?", b->where);
	free_names(v, nv);
	return nv > 0 ? BUS_OK : BUS_NOTOPIC;
}

/*
 * A durable consumer's position: the last sequence acknowledged, or,
 * for one that starts at a sequence (--reset) and has acknowledged
 * nothing there yet, the one before its start.
 */
static uint64_t
conspos(const jsConsumerInfo *ci)
{
	uint64_t pos = ci->AckFloor.Stream;

	if (ci->Config != NULL && ci->Config->DeliverPolicy ==
	    js_DeliverByStartSequence && ci->Config->OptStartSeq > 0 &&
	    pos < ci->Config->OptStartSeq - 1)
		pos = ci->Config->OptStartSeq - 1;
	return pos;
}

static int
poscmp(const void *a, const void *b)
{
	return strcmp(((const struct topic_pos *)a)->name,
	    ((const struct topic_pos *)b)->name);
}

/* Every topic: its last sequence, its live subscribers (the push
 * consumers without a durable name that someone is bound to) and its
 * durable consumers, each at the sequence below which all is acked. */
/* A live subscriber's pid and --name, from the description that
 * nats_live_open gives its consumer; 0 and none for another client's. */
static void
livedesc(struct topic_live *t, const char *desc)
{
	const char *p;
	long pid;
	int off = 0;

	memset(t, 0, sizeof(*t));
	if (desc == NULL || sscanf(desc, "eventful live pid %ld%n", &pid,
	    &off) != 1 || pid <= 0)
		return;
	t->pid = pid;
	if ((p = strstr(desc + off, " name ")) != NULL && p[6] != '\0')
		t->name = xstrdup(p + 6);
}

static int
nats_survey(struct bus *b, struct topic_stat **vp, size_t *nv, char *err,
    size_t n)
{
	struct nbus *nb;
	struct topic_stat *v, *st;
	jsConsumerInfoList *cl;
	jsConsumerInfo *ci;
	jsStreamInfo *si;
	jsErrCode jerr;
	char **names, *sn;
	size_t nn, i;
	int j, r;

	if ((r = topic_names(b, &names, &nn, err, n)) != BUS_OK)
		return r;
	nb = b->impl;
	v = xmalloc((nn ? nn : 1) * sizeof(*v));
	memset(v, 0, (nn ? nn : 1) * sizeof(*v));
	for (i = 0; i < nn; i++)
		v[i].name = names[i];
	free(names);
	for (i = 0; i < nn; i++) {
		st = &v[i];
		if ((r = stream_info(b, st->name, NULL, &si, err, n)) !=
		    BUS_OK) {
			topic_survey_free(v, nn);
			return r;
		}
		if (si == NULL)
			continue;	/* deleted meanwhile */
		st->last = si->State.LastSeq;
		jsStreamInfo_Destroy(si);
		sn = stream_name(st->name);
		cl = NULL;
		jerr = 0;
		if (js_Consumers(&cl, nb->js, sn, NULL, &jerr) == NATS_OK) {
			st->cons = xmalloc(((size_t)cl->Count + 1) *
			    sizeof(*st->cons));
			st->live = xmalloc(((size_t)cl->Count + 1) *
			    sizeof(*st->live));
			for (j = 0; j < cl->Count; j++) {
				ci = cl->List[j];
				if (ci->Config != NULL && ci->Config->Durable !=
				    NULL) {
					memset(&st->cons[st->ncons], 0,
					    sizeof(*st->cons));
					st->cons[st->ncons].name =
					    cons_name(ci->Name, '~', '.');
					st->cons[st->ncons++].pos =
					    conspos(ci);
				} else if (ci->PushBound)
					livedesc(&st->live[st->nlive++],
					    ci->Config != NULL ?
					    ci->Config->Description : NULL);
			}
			qsort(st->cons, st->ncons, sizeof(*st->cons), poscmp);
			jsConsumerInfoList_Destroy(cl);
		}
		free(sn);
	}
	*vp = v;
	*nv = nn;
	return BUS_OK;
}

/* Deletes the stream: not while someone listens live, unless force. */
static int
nats_remove(struct bus *b, const char *topic, int force, char *err,
    size_t n)
{
	struct nbus *nb;
	struct topic_stat *v;
	size_t nv, i, live = 0;
	jsErrCode jerr = 0;
	natsStatus s;
	char *sn;
	int r;

	if ((r = nats_exists(b, topic, "--delete-topic", err, n)) != BUS_OK)
		return r;
	if ((r = nats_survey(b, &v, &nv, err, n)) != BUS_OK)
		return r;
	nb = b->impl;
	for (i = 0; i < nv; i++)
		if (strcmp(v[i].name, topic) == 0)
			live = v[i].nlive;
	topic_survey_free(v, nv);
	if (live > 0 && !force) {
		seterr(err, n, "%zu live subscriber%s (--force deletes it "
		    "even so)", live, live == 1 ? "" : "s");
		return BUS_BUSY;
	}
	sn = stream_name(topic);
	s = js_DeleteStream(nb->js, sn, NULL, &jerr);
	free(sn);
	if (s != NATS_OK) {
		seterr(err, n, "%s", nstatus(s));
		return BUS_FAIL;
	}
	return BUS_OK;
}

static int
nats_last(struct bus *b, const char *topic, uint64_t *last, char *err,
    size_t n)
{
	jsStreamInfo *si;
	int r;

	if ((r = stream_info(b, topic, NULL, &si, err, n)) != BUS_OK)
		return r;
	*last = si != NULL ? si->State.LastSeq : 0;
	jsStreamInfo_Destroy(si);
	return BUS_OK;
}

/* ---- the sequence, stamped ---- */

/* Puts into b the event line[0..len), an object, with "sequence" set to
 * seq (replacing one it had), and "\n".  Returns -1, putting line as it
 * is, when it is no JSON object. */
static int
stamp(struct buf *b, struct scanner *sc, const char *line, size_t len,
    uint64_t seq)
{
	if (scan_json(sc, line, len) < 0 || sc->type != SCAN_OBJECT ||
	    sc->nm == 0) {
		buf_put(b, line, len);
		buf_putc(b, '\n');
		return -1;
	}
	log_stamp(b, sc, seq);
	return 0;
}

/* The rank of a header in a binary-mode event: specversion, id, source,
 * type, then the rest. */
static int
hdrrank(const char *k)
{
	static const char *const first[] = { "ce-specversion", "ce-id",
	    "ce-source", "ce-type" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcasecmp(k, first[i]) == 0)
			return i;
	return 4;
}

static int
hdrcmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int rx = hdrrank(x), ry = hdrrank(y);

	return rx != ry ? rx - ry : strcasecmp(x, y);
}

/*
 * Puts into b the event msg carries, with its sequence: in structured
 * mode the body; in binary mode (a ce-specversion header) the event
 * cebin makes of its headers and body, the required attributes first.
 * A message stored already is kept as well as it can be: a JSON body
 * that is not is taken as text or base64, and headers that make no
 * event (said on stderr) leave it as the body alone.
 */
static void
msg_event(struct buf *b, struct scanner *sc, natsMsg *msg, uint64_t seq)
{
	const char *data = natsMsg_GetData(msg), **keys = NULL, *val, *ct;
	size_t len = (size_t)natsMsg_GetDataLength(msg);
	struct buf e = { 0 };
	struct cebin cb = { 0 };
	int nkeys = 0, k;

	if (data == NULL)
		data = "";
	if (natsMsgHeader_Get(msg, "ce-specversion", &val) != NATS_OK) {
		(void)stamp(b, sc, data, len, seq);
		return;
	}
	cebin_start(&cb, &e, 0);
	(void)natsMsgHeader_Keys(msg, &keys, &nkeys);
	/* The required attributes first, the others by name. */
	qsort(keys, (size_t)nkeys, sizeof(*keys), hdrcmp);
	for (k = 0; k < nkeys; k++)
		if (natsMsgHeader_Get(msg, keys[k], &val) == NATS_OK)
			cebin_header(&cb, keys[k], val);
	free((void *)keys);
	ct = natsMsgHeader_Get(msg, "Content-Type", &val) == NATS_OK ? val :
	    NULL;
	if (cb.err[0] == '\0' && cebin_type(&cb, ct) == 0)
		(void)cebin_data(&cb, sc, ct, data, len, 1);
	if (cb.err[0] != '\0') {
		warnw(NULL, "sequence %llu: binary mode: %s: read as its body "
		    "alone", (unsigned long long)seq, cb.err);
		(void)stamp(b, sc, data, len, seq);
	} else
		(void)stamp(b, sc, e.p, e.len, seq);
	cebin_free(&cb);
	buf_free(&e);
}

/* The stream sequence of a message a consumer gave, or 0. */
static uint64_t
msg_seq(natsMsg *msg)
{
	jsMsgMetaData *meta = NULL;
	uint64_t seq;

	if (natsMsg_GetMetaData(&meta, msg) != NATS_OK)
		return 0;
	seq = meta->Sequence.Stream;
	jsMsgMetaData_Destroy(meta);
	return seq;
}

/* ---- publishing ---- */

/* How many servers the cluster has, as the connection learnt them. */
static int
npeers(struct nbus *nb)
{
	char **v = NULL;
	int n = 0, i;

	if (natsConnection_GetServers(nb->nc, &v, &n) != NATS_OK)
		return 1;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return n;
}

/*
 * A stream's replicas and duplicate window are chosen when it is made:
 * asked for others, it is said, not ignored (BUS_USAGE).
 */
static int
same_stream(struct npub *p, const jsStreamConfig *c, char *err, size_t n)
{
	if (p->o.replicas > 0 && p->o.replicas != (int)c->Replicas) {
		seterr(err, n, "--replicas: %d: the stream %s has %d, chosen "
		    "when it was made (nats stream edit changes it)",
		    p->o.replicas, p->stream, (int)c->Replicas);
		return BUS_USAGE;
	}
	if (p->o.dupwindow > 0 && p->o.dupwindow * 1000 != c->Duplicates) {
		seterr(err, n, "--dup-window: %.3g s: the stream %s has %.3g "
		    "s, chosen when it was made (nats stream edit changes "
		    "it)", (double)p->o.dupwindow / 1e6, p->stream,
		    (double)c->Duplicates / 1e9);
		return BUS_USAGE;
	}
	return BUS_OK;
}

/* Makes the stream of p's topic unless it is there. */
static int
make_stream(struct bus *b, struct npub *p, char *err, size_t n)
{
	struct nbus *nb = p->nb;
	jsStreamInfo *si;
	jsStreamConfig cfg;
	jsErrCode jerr = 0;
	natsStatus s;
	const char *subj[1];
	char *all;
	struct retry rt = RETRY_INIT;
	int r;

	if ((r = stream_info(b, p->topic, NULL, &si, err, n)) != BUS_OK)
		return r;
	if (si != NULL) {
		r = same_stream(p, si->Config, err, n);
		jsStreamInfo_Destroy(si);
		return r;
	}
	all = xmalloc(strlen(p->prefix) + 2);
	sprintf(all, "%s>", p->prefix);
	subj[0] = all;
	jsStreamConfig_Init(&cfg);
	cfg.Name = p->stream;
	cfg.Subjects = subj;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	cfg.Replicas = p->o.replicas > 0 ? p->o.replicas :
	    npeers(nb) >= 3 ? 3 : 1;
	/* Nanoseconds. */
	cfg.Duplicates = (p->o.dupwindow > 0 ? p->o.dupwindow :
	    NB_DUPWINDOW) * 1000;
	cfg.AllowDirect = true;
	/* A cluster just started, or one that lost a server, may have no
	 * leader to answer yet: asked again, as a publish is. */
	while (passes(s = js_AddStream(&si, nb->js, &cfg, NULL, &jerr)) &&
	    retry_wait(&rt))
		;
	/* Another publisher made it first: as good. */
	r = s != NATS_OK && jerr != JSStreamNameExistErr ? jsfail(b,
	    p->stream, s, jerr, err, n) : BUS_OK;
	jsStreamInfo_Destroy(si);
	free(all);
	return r;
}

/* The acks of asynchronous publishes, in the library's thread. */
static void
onack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *arg)
{
	struct nbus *nb = arg;
	struct npub *p = nb->pub;
	struct slot *sl = NULL;
	size_t i, k;

	(void)js;
	/* A late ack, after the publisher gave up on it and closed. */
	if (p == NULL) {
		natsMsg_Destroy(msg);
		return;
	}
	pthread_mutex_lock(&p->mu);
	for (k = 0; k < p->nw; k++) {
		i = (p->hint + k) % p->nw;
		if (p->w[i].msg == msg && p->w[i].state == S_FLIGHT) {
			sl = &p->w[i];
			p->hint = i + 1;
			break;
		}
	}
	if (sl != NULL) {
		sl->msg = NULL;
		if (pa != NULL) {
			sl->seq = pa->Sequence;
			sl->state = pa->Duplicate ? S_DUP : S_ACKED;
		} else {
			sl->state = S_FAILED;
			sl->err = pae != NULL ? pae->Err : NATS_ERR;
			sl->jerr = pae != NULL ? pae->ErrCode : 0;
			snprintf(sl->errtext, sizeof(sl->errtext), "%s",
			    pae != NULL && pae->ErrText != NULL ?
			    pae->ErrText : natsStatus_GetText(sl->err));
		}
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	natsMsg_Destroy(msg);
}

static void
pub_free(struct npub *p)
{
	p->nb->pub = NULL;
	scan_free(&p->sc);
	buf_free(&p->evs);
	buf_free(&p->strs);
	buf_free(&p->out);
	free(p->w);
	free(p->firstsubj);
	free(p->topic);
	free(p->stream);
	free(p->prefix);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

static int
nats_pub_open(struct bus *b, const char *topic, const struct bus_pubopts *o,
    struct bus_pub **out, char *err, size_t n)
{
	struct nbus *nb;
	struct npub *p;
	jsOptions jo;
	natsStatus s;
	int r;

	if ((nb = conn(b, err, n)) == NULL)
		return BUS_ERROR;
	if (o->given & BUS_SYNC) {
		seterr(err, n, "--sync: no effect on NATS, where an event is "
		    "durable once a majority of its stream's replicas hold it "
		    "(--replicas); leave --sync out");
		return BUS_USAGE;
	}
	if (o->given & BUS_MAXWAIT) {
		seterr(err, n, "--max-wait: NATS does not cut off a slow live "
		    "subscriber; leave --max-wait out");
		return BUS_USAGE;
	}
	p = xmalloc(sizeof(*p));
	memset(p, 0, sizeof(*p));
	p->base.bus = b;
	p->nb = nb;
	p->topic = xstrdup(topic);
	p->stream = stream_name(topic);
	p->prefix = subj_prefix(topic);
	p->o = *o;
	p->maxpayload = natsConnection_GetMaxPayload(nb->nc);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	scan_init(&p->sc);
	nb->pub = p;
	/* A new context, whose acks come to this publisher. */
	jsCtx_Destroy(nb->js);
	nb->js = NULL;
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = NB_WINDOW;
	jo.PublishAsync.AckHandler = onack;
	jo.PublishAsync.AckHandlerClosure = nb;
	if ((s = natsConnection_JetStream(&nb->js, nb->nc, &jo)) != NATS_OK) {
		seterr(err, n, "%s: JetStream: %s", b->where, nstatus(s));
		pub_free(p);
		return BUS_ERROR;
	}
	if ((r = make_stream(b, p, err, n)) != BUS_OK) {
		pub_free(p);
		return r;
	}
	signal(SIGPIPE, SIG_IGN);
	*out = &p->base;
	return BUS_OK;
}

/* A message for slot sl of p, its headers set; NULL with err
 * (BUS_ERROR's) when libnats would not make it. */
static natsMsg *
mkmsg(struct npub *p, struct slot *sl, uint64_t expectseq, int expect,
    char *err, size_t n)
{
	natsMsg *m = NULL;
	char num[32];
	natsStatus s;

	s = natsMsg_Create(&m, p->strs.p + sl->subj, NULL, p->evs.p + sl->off,
	    (int)sl->len);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Content-Type",
		    "application/cloudevents+json");
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Nats-Msg-Id", p->strs.p + sl->msgid);
	/* Set by hand: the option's 0 means unset, and a new subject's
	 * last sequence is 0. */
	if (s == NATS_OK && expect) {
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)expectseq);
		s = natsMsgHeader_Set(m, "Nats-Expected-Last-Subject-Sequence",
		    num);
	}
	if (s != NATS_OK) {
		seterr(err, n, "%s: a message: %s", p->topic, nstatus(s));
		natsMsg_Destroy(m);
		return NULL;
	}
	return m;
}

/* Tells whether a publish that failed so may be tried again: all but a
 * lost race, a message too big, a request the server refuses; the
 * server gone or no leader yet (no responders, a time-out, while a
 * cluster elects one) pass. */
static int
retryable(natsStatus s, jsErrCode jerr)
{
	return jerr != JSStreamWrongLastSequenceErr &&
	    jerr != JSStreamMessageExceedsMaximumErr &&
	    s != NATS_MAX_PAYLOAD && s != NATS_INVALID_ARG &&
	    s != NATS_NOT_PERMITTED;
}

/* Says a publish that failed for good: BUS_EXPECT for a lost race of
 * --expect, else BUS_ERROR. */
static int
pubfail(struct npub *p, struct slot *sl, char *err, size_t n)
{
	if (sl->jerr == JSStreamWrongLastSequenceErr) {
		seterr(err, n, "%s: event %llu: the subject has changed since "
		    "it was read: a concurrent writer (nothing of it "
		    "published)", p->topic, (unsigned long long)sl->lineno);
		return BUS_EXPECT;
	}
	if (sl->jerr != 0)
		seterr(err, n, "%s: event %llu: not published: %s (JetStream "
		    "error %d)", p->topic, (unsigned long long)sl->lineno,
		    sl->errtext, (int)sl->jerr);
	else
		seterr(err, n, "%s: event %llu: not published: %s", p->topic,
		    (unsigned long long)sl->lineno, sl->errtext);
	return BUS_ERROR;
}

/*
 * BUS_ERROR when sl failed because the topic's stream is no more: it
 * was deleted under this publisher (evsub --delete-topic; the server
 * does not tell who publishes, so nothing refused it).  Then no one
 * answers a publish (libnats says "no responders", or for an
 * asynchronous one "JetStream not enabled"), and trying again would only
 * wait out NB_RETRY.  A server that does not answer is not taken for a
 * deleted stream (stream_gone).
 */
static int
deleted(struct npub *p, const struct slot *sl, char *err, size_t n)
{
	if (sl->err != NATS_NO_RESPONDERS && sl->jerr != JSNotEnabledErr &&
	    sl->jerr != JSStreamNotFoundErr)
		return BUS_OK;
	if (!stream_gone(p->nb, p->stream))
		return BUS_OK;
	seterr(err, n, "%s: the topic was deleted while this publisher ran "
	    "(evsub --delete-topic): nothing more is published, and what was "
	    "not acknowledged is not stored", p->topic);
	return BUS_ERROR;
}

/*
 * Publishes slot sl and waits for its ack, trying again while the
 * failure is one that passes (for NB_RETRY seconds).  With again, an
 * attempt before this call may have been stored (its ack lost with a
 * leader): then the server's "duplicate" is that attempt's ack, with its
 * sequence, and the event is acknowledged, not reported as a repeat; the
 * same for a second attempt here.
 */
static int
pubsync(struct npub *p, struct slot *sl, uint64_t expectseq, int expect,
    int again, char *err, size_t n)
{
	int64_t start = now_usec();
	jsPubOptions po;
	jsPubAck *pa;
	natsMsg *m;
	int ms = 50, r;

	for (;;) {
		if ((m = mkmsg(p, sl, expectseq, expect, err, n)) == NULL)
			return BUS_ERROR;
		jsPubOptions_Init(&po);
		pa = NULL;
		sl->jerr = 0;
		sl->err = js_PublishMsg(&pa, p->nb->js, m, &po, &sl->jerr);
		natsMsg_Destroy(m);
		if (sl->err == NATS_OK) {
			sl->seq = pa->Sequence;
			sl->state = pa->Duplicate && !again ? S_DUP : S_ACKED;
			jsPubAck_Destroy(pa);
			return BUS_OK;
		}
		again = 1;
		snprintf(sl->errtext, sizeof(sl->errtext), "%s",
		    nstatus(sl->err));
		if ((r = deleted(p, sl, err, n)) != BUS_OK)
			return r;
		/* Closed for good, it takes no publish again. */
		if (natsConnection_IsClosed(p->nb->nc))
			snprintf(sl->errtext, sizeof(sl->errtext), "%s",
			    NB_CLOSED);
		if (!retryable(sl->err, sl->jerr) ||
		    natsConnection_IsClosed(p->nb->nc) ||
		    now_usec() - start > NB_RETRY * 1000000LL)
			return pubfail(p, sl, err, n);
		sleepms(ms);
		if (ms < 1000)
			ms *= 2;
	}
}

/* --expect: the subject's count now must be what was expected; then each
 * event is published expecting the subject's last sequence to be the one
 * before it, so that a concurrent writer makes it fail. */
static int
expect_check(struct npub *p, struct slot *sl, char *err, size_t n)
{
	struct bus *b = p->base.bus;
	jsStreamInfo *si;
	natsMsg *m = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	const char *subj = p->strs.p + sl->subj;
	uint64_t count = 0;
	int i, r;

	/* The last sequence first, then the count: a writer that comes in
	 * between makes the count too big, or the publish fail. */
	s = js_GetLastMsg(&m, p->nb->js, p->stream, subj, NULL, &jerr);
	if (s == NATS_OK)
		p->lastsubj = natsMsg_GetSequence(m);
	else if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr)
		p->lastsubj = 0;
	else {
		natsMsg_Destroy(m);
		return jsfail(b, p->stream, s, jerr, err, n);
	}
	natsMsg_Destroy(m);
	if ((r = stream_info(b, p->topic, subj, &si, err, n)) != BUS_OK)
		return r;
	if (si != NULL && si->State.Subjects != NULL)
		for (i = 0; i < si->State.Subjects->Count; i++)
			if (strcmp(si->State.Subjects->List[i].Subject,
			    subj) == 0)
				count = si->State.Subjects->List[i].Msgs;
	jsStreamInfo_Destroy(si);
	if (count != p->o.expect) {
		seterr(err, n, "%s: the subject has %llu events, not %llu: "
		    "nothing published", p->topic, (unsigned long long)count,
		    (unsigned long long)p->o.expect);
		return BUS_EXPECT;
	}
	p->expectset = 1;
	return BUS_OK;
}

/* Writes what is acknowledged to stdout, unless -q; reports repeats.
 * BUS_EPIPE when stdout's reader went away. */
static int
report(struct npub *p, char *err, size_t n)
{
	struct slot *sl;
	size_t i;

	p->out.len = 0;
	for (i = 0; i < p->nw; i++) {
		sl = &p->w[i];
		if (sl->state == S_DUP) {
			if (!p->o.quiet)
				warnw(p->topic, "event %llu: source and id are "
				    "in the stream already, as sequence %llu: "
				    "not published again",
				    (unsigned long long)sl->lineno,
				    (unsigned long long)sl->seq);
			continue;
		}
		if (!p->o.quiet)
			(void)stamp(&p->out, &p->sc, p->evs.p + sl->off,
			    sl->len, sl->seq);
	}
	if (p->out.len > 0 && (fwrite(p->out.p, 1, p->out.len, stdout) !=
	    p->out.len || fflush(stdout) == EOF)) {
		if (errno == EPIPE)
			return BUS_EPIPE;
		seterr(err, n, "stdout: write: %s", strerror(errno));
		return BUS_ERROR;
	}
	return BUS_OK;
}

/*
 * Waits for the acks of the window still in flight: NB_RETRY seconds (a
 * cluster electing a leader answers within them), then NB_ACKLATE more;
 * none at all once the connection is closed for good (the server dropped
 * it and libnats gave up: a line over its max_control_line, say), since
 * no ack comes on it.  Each that has not come by then failed, and is
 * published again, as any that passes (pubsync), so that no publish
 * waits for ever on an ack that never comes.
 */
static void
acks_wait(struct npub *p)
{
	int64_t until = now_usec() + (NB_RETRY + NB_ACKLATE) * 1000000LL;
	struct timespec ts;
	struct slot *sl;
	size_t i;
	int closed = 0;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->nw; i++) {
		sl = &p->w[i];
		/* A look at the connection every 100 ms. */
		while (sl->state == S_FLIGHT && !closed &&
		    now_usec() < until) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) ==
			    ETIMEDOUT)
				closed = natsConnection_IsClosed(p->nb->nc);
		}
		if (sl->state != S_FLIGHT)
			continue;
		/* The library still holds the message: a late ack finds no
		 * slot in flight for it, and only frees it. */
		sl->msg = NULL;
		sl->state = S_FAILED;
		sl->err = closed ? NATS_CONNECTION_CLOSED : NATS_TIMEOUT;
		sl->jerr = 0;
		if (closed)
			snprintf(sl->errtext, sizeof(sl->errtext), "%s",
			    NB_CLOSED);
		else
			snprintf(sl->errtext, sizeof(sl->errtext), "no "
			    "acknowledgement in %d s", NB_RETRY + NB_ACKLATE);
	}
	pthread_mutex_unlock(&p->mu);
}

/*
 * Publishes the window: asynchronously, then waits for every ack; what
 * failed in a way that passes is published again, one at a time, with
 * the same Nats-Msg-Id (so a publish whose ack was lost is not stored
 * twice).  Then the acknowledged events go to stdout, in window order.
 */
static int
flushwin(struct npub *p, char *err, size_t n)
{
	struct nbus *nb = p->nb;
	jsPubOptions po;
	struct slot *sl;
	natsMsg *m;
	natsStatus s;
	size_t i;
	int r;

	if (p->nw == 0)
		return BUS_OK;
	if (p->o.expecting) {
		for (i = 0; i < p->nw; i++) {
			sl = &p->w[i];
			if (!p->expectset &&
			    (r = expect_check(p, sl, err, n)) != BUS_OK)
				return r;
			if ((r = pubsync(p, sl, p->lastsubj, 1, 0, err, n)) !=
			    BUS_OK)
				return r;
			if (sl->state == S_ACKED)
				p->lastsubj = sl->seq;
		}
	} else {
		p->hint = 0;
		for (i = 0; i < p->nw; i++) {
			sl = &p->w[i];
			/* Those in flight are waited for: no ack comes to a
			 * publisher that is no more. */
			if ((m = mkmsg(p, sl, 0, 0, err, n)) == NULL) {
				p->nw = i;
				acks_wait(p);
				return BUS_ERROR;
			}
			pthread_mutex_lock(&p->mu);
			sl->msg = m;
			sl->state = S_FLIGHT;
			pthread_mutex_unlock(&p->mu);
			jsPubOptions_Init(&po);
			/* The ack's time-out comes to onack as a failure. */
			po.MaxWait = 5000;
			if ((s = js_PublishMsgAsync(nb->js, &m, &po)) !=
			    NATS_OK) {
				pthread_mutex_lock(&p->mu);
				sl->msg = NULL;
				sl->state = S_FAILED;
				sl->err = s;
				sl->jerr = 0;
				snprintf(sl->errtext, sizeof(sl->errtext),
				    "%s", nstatus(s));
				pthread_mutex_unlock(&p->mu);
				natsMsg_Destroy(m);
			}
		}
		acks_wait(p);
		for (i = 0; i < p->nw; i++) {
			sl = &p->w[i];
			if (sl->state != S_FAILED)
				continue;
			if ((r = deleted(p, sl, err, n)) != BUS_OK)
				return r;
			if (!retryable(sl->err, sl->jerr))
				return pubfail(p, sl, err, n);
			if ((r = pubsync(p, sl, 0, 0, 1, err, n)) != BUS_OK)
				return r;
		}
	}
	if ((r = report(p, err, n)) != BUS_OK)
		return r;
	p->nw = 0;
	p->evs.len = 0;
	p->strs.len = 0;
	return BUS_OK;
}

/* Takes the event s[0..len), the publisher's p->n-th, into the window
 * (not yet counted in p->nw). */
static int
take_event(struct npub *p, const char *s, size_t len, char *err, size_t n)
{
	struct slot *sl;
	char why[512];
	size_t size;

	if (scan_trusted(&p->sc, s, len) == -1 ||
	    ce_check(&p->sc, &p->ev, 0, why, sizeof(why)) == -1) {
		seterr(err, n, "%s: event %llu: %s", p->topic,
		    (unsigned long long)p->n, p->sc.err != NULL ? p->sc.err :
		    why);
		return BUS_ERROR;
	}
	if (p->nw == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->w = xrealloc(p->w, p->cap * sizeof(*p->w));
	}
	sl = &p->w[p->nw];
	memset(sl, 0, sizeof(*sl));
	sl->lineno = p->n;
	sl->off = p->evs.len;
	sl->len = len;
	buf_put(&p->evs, s, sl->len);
	sl->subj = p->strs.len;
	if (put_subject(&p->strs, p->prefix, &p->ev, err, n) == -1)
		return BUS_ERROR;
	buf_putc(&p->strs, '\0');
	if (p->o.expecting && p->ev.a[CE_SUBJECT] == NULL) {
		seterr(err, n, "%s: event %llu: --expect counts the events of a "
		    "subject: this one has none", p->topic,
		    (unsigned long long)p->n);
		return BUS_INVALID;
	}
	if (p->o.expecting && (p->nw > 0 || p->expectset) &&
	    strcmp(p->strs.p + sl->subj, p->firstsubj) != 0) {
		seterr(err, n, "%s: event %llu: --expect counts the events of "
		    "one subject: this one has another", p->topic,
		    (unsigned long long)p->n);
		return BUS_INVALID;
	}
	if (p->o.expecting && p->firstsubj == NULL)
		p->firstsubj = xstrdup(p->strs.p + sl->subj);
	sl->msgid = p->strs.len;
	put_msgid(&p->strs, &p->ev);
	buf_putc(&p->strs, '\0');
	/* What the server counts: the body, the subject, and the headers as
	 * they go on the wire. */
	size = sl->len + strlen(p->strs.p + sl->subj) +
	    strlen(p->strs.p + sl->msgid) + 120;
	if (p->maxpayload > 0 && size > (size_t)p->maxpayload) {
		seterr(err, n, "%s: event %llu: %zu bytes with its headers, "
		    "over the server's max_payload of %lld: not published (nor "
		    "what follows it)", p->topic, (unsigned long long)p->n,
		    size, (long long)p->maxpayload);
		return BUS_ERROR;
	}
	return BUS_OK;
}

/* Adds the whole events buf[0..len) to the window, publishing it each
 * time it is full and at the end.  Once it failed, the publisher takes
 * no more (closing it publishes nothing). */
static int
nats_pub_sink(struct bus_pub *bp, const char *buf, size_t len, char *err,
    size_t n)
{
	struct npub *p = (struct npub *)bp;
	const char *s = buf, *end = buf + len, *nl;
	int r = BUS_OK;

	if (p->failed) {
		seterr(err, n, "%s: a publish failed before: nothing more is "
		    "published", p->topic);
		return BUS_ERROR;
	}
	for (; r == BUS_OK && s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		p->n++;
		if ((r = take_event(p, s, (size_t)(nl - s), err, n)) !=
		    BUS_OK)
			break;
		if (++p->nw >= NB_WINDOW)
			r = flushwin(p, err, n);
	}
	if (r == BUS_OK)
		r = flushwin(p, err, n);
	p->failed = r != BUS_OK;
	return r;
}

static int
nats_pub_close(struct bus_pub *bp, char *err, size_t n)
{
	struct npub *p = (struct npub *)bp;
	int r = p->failed ? BUS_OK : flushwin(p, err, n);

	pub_free(p);
	return r;
}

/* ---- reading ---- */

/* Binds r to its durable pull consumer, made (from the stream's start,
 * with ack wait wait) at its first run; r->pos is where it stands. */
static natsStatus
durable_sub(struct nreader *r, const char *all, int64_t wait,
    const char **what)
{
	jsConsumerInfo *ci = NULL;
	jsConsumerConfig cc;
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus s;

	*what = "consumer";
	s = js_GetConsumerInfo(&ci, r->nb->js, r->stream, r->consumer, NULL,
	    &jerr);
	if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
		cons_config(&cc, r->consumer, wait);
		s = js_AddConsumer(&ci, r->nb->js, r->stream, &cc, NULL, &jerr);
	}
	if (s != NATS_OK)
		return s;
	r->pos = conspos(ci);
	jsConsumerInfo_Destroy(ci);
	*what = "subscribe";
	jsSubOptions_Init(&so);
	so.Stream = r->stream;
	so.Consumer = r->consumer;
	return js_PullSubscribe(&r->sub, r->nb->js, all, r->consumer, NULL,
	    &so, &jerr);
}

/* Subscribes r with an ordered consumer from r->pos + 1 on. */
static natsStatus
ordered_sub(struct nreader *r, const char *all, const char **what)
{
	struct retry rt = RETRY_INIT;
	jsConsumerInfo *ci = NULL;
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus s, cs = NATS_ERR;

	*what = "subscribe";
	jsSubOptions_Init(&so);
	so.Stream = r->stream;
	so.Ordered = true;
	so.Config.DeliverPolicy = js_DeliverByStartSequence;
	so.Config.OptStartSeq = r->pos + 1;
	s = js_SubscribeSync(&r->sub, r->nb->js, all, NULL, &so, &jerr);
	/*
	 * What is there to read decides how long a read waits before it
	 * says "the end": a request that timed out (a loaded server) is
	 * asked again, as a publish is, never taken for "nothing" (a
	 * reading of 1,000 events ended at once under make check).
	 */
	while (s == NATS_OK && passes(cs = natsSubscription_GetConsumerInfo(
	    &ci, r->sub, NULL, &jerr)) && retry_wait(&rt))
		;
	if (s == NATS_OK && cs == NATS_OK) {
		r->pending = ci->NumPending;
		jsConsumerInfo_Destroy(ci);
	}
	return s;
}

/*
 * A durable consumer is a pull consumer, made at its first run (from
 * the stream's start) and bound to after; acked explicitly as evsub
 * commits.  A reading from a sequence or time is an ordered consumer.
 */
static int
nats_read_open(struct bus *b, const char *topic, const struct bus_from *f,
    struct bus_reader **out, char *err, size_t n)
{
	struct nbus *nb;
	struct nreader *r;
	const char *what = "subscribe";
	struct retry rt = RETRY_INIT;
	natsStatus s;
	char *all;
	uint64_t start = f->seq > 0 ? f->seq : 1;
	int64_t wait = 0;
	int got;

	if ((nb = conn(b, err, n)) == NULL)
		return BUS_ERROR;
	if ((got = nats_exists(b, topic, "-T", err, n)) != BUS_OK)
		return got;
	/* Read on every run, so that a bad one is said even when the
	 * consumer, already made, does not take it. */
	if (f->consumer != NULL && (got = ackwait(&wait, err, n)) != BUS_OK)
		return got;
	if (f->consumer == NULL && f->since != BUS_NOTIME &&
	    (got = bus_seek_time(b, topic, f->since, &start, err, n)) !=
	    BUS_OK)
		return got;
	r = xmalloc(sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->base.bus = b;
	r->nb = nb;
	r->stream = stream_name(topic);
	scan_init(&r->sc);
	all = subj_prefix(topic);
	all = xrealloc(all, strlen(all) + 2);
	strcat(all, ">");
	if (f->consumer != NULL) {
		r->durable = 1;
		r->consumer = cons_name(f->consumer, '.', '~');
	} else {
		r->pos = start - 1;
		if ((got = nats_last(b, topic, &r->end, err, n)) != BUS_OK) {
			scan_free(&r->sc);
			free(r->stream);
			free(all);
			free(r);
			return got;
		}
	}
	/* While a cluster elects a leader, a request times out: again. */
	for (;;) {
		s = f->consumer != NULL ? durable_sub(r, all, wait, &what) :
		    ordered_sub(r, all, &what);
		if (!passes(s) || !retry_wait(&rt))
			break;
	}
	free(all);
	if (s != NATS_OK) {
		seterr(err, n, "%s: %s", what, nstatus(s));
		scan_free(&r->sc);
		free(r->stream);
		free(r->consumer);
		free(r);
		return BUS_FAIL;
	}
	*out = &r->base;
	return BUS_OK;
}

/* Gives msg as the next event, keeping it to ack when durable. */
static void
give(struct nreader *r, natsMsg *msg, const char **line, size_t *len,
    uint64_t *seq)
{
	*seq = msg_seq(msg);
	r->given = 1;
	r->line.len = 0;
	msg_event(&r->line, &r->sc, msg, *seq);
	*line = r->line.p;
	*len = r->line.len - 1;
	if (!r->durable) {
		jsMsgMetaData *meta = NULL;

		if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
			r->pending = meta->NumPending;
			jsMsgMetaData_Destroy(meta);
		}
		natsMsg_Destroy(msg);
		return;
	}
	if (r->nun == r->capun) {
		r->capun = r->capun ? r->capun * 2 : 256;
		r->unacked = xrealloc(r->unacked, r->capun *
		    sizeof(*r->unacked));
	}
	r->unacked[r->nun++] = msg;
}

/*
 * What the consumer has for r: *pending, new or given back (nak, ack
 * wait past), not counting those r holds, given and not committed, which
 * are not coming again (waiting for them cost --once 200 ms at its end);
 * *new, never given.  While a cluster elects a leader the request times
 * out: asked again, since taking that for "nothing pending" would end
 * --once with events undelivered (BUS_ERROR once time is up).
 * BUS_NOCONSUMER when the consumer is not there (deleted under the
 * reading).
 */
static int
consumer_pending(struct nreader *r, uint64_t *pending, uint64_t *new,
    char *err, size_t n)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	struct retry rt = RETRY_INIT;

	/* Not natsSubscription_GetConsumerInfo: invalid for a pull
	 * subscription in libnats 3.4. */
	while (passes(s = js_GetConsumerInfo(&ci, r->nb->js, r->stream,
	    r->consumer, NULL, &jerr)) && retry_wait(&rt))
		;
	if (s != NATS_OK && passes(s)) {
		seterr(err, n, "%s: consumer %s: %s", r->stream, r->consumer,
		    nstatus(s));
		return BUS_ERROR;
	}
	if (s != NATS_OK)
		return BUS_NOCONSUMER;
	*pending = ci->NumPending + ((uint64_t)ci->NumAckPending > r->nun ?
	    (uint64_t)ci->NumAckPending - r->nun : 0);
	*new = ci->NumPending;
	jsConsumerInfo_Destroy(ci);
	return BUS_OK;
}

/*
 * Fetches the next batch into r->held; *count: how many there are to
 * give.  usec 0: what the server says is pending, without waiting for
 * more (libnats waits out a fetch's time-out when nothing comes, NoWait
 * or not); else up to NB_FETCH, waiting that long for them.  Events the
 * server says are new but a fetch did not bring (a consumer's new leader
 * not elected yet) are asked for again.
 */
static int
fetch(struct nreader *r, int64_t usec, size_t *count, char *err, size_t n)
{
	jsFetchRequest fr;
	uint64_t pending = NB_FETCH, new = 0;
	struct retry rt = RETRY_INIT;
	int got;

	*count = 0;
	if (r->next < r->held.Count) {
		*count = (size_t)(r->held.Count - r->next);
		return BUS_OK;
	}
	for (;;) {
		natsMsgList_Destroy(&r->held);
		memset(&r->held, 0, sizeof(r->held));
		r->next = 0;
		if (usec <= 0 && (got = consumer_pending(r, &pending, &new, err,
		    n)) != BUS_OK)
			return got == BUS_NOCONSUMER ? BUS_OK : got;
		if (usec <= 0 && pending == 0)
			return BUS_OK;
		jsFetchRequest_Init(&fr);
		fr.Batch = pending < NB_FETCH ? (int)pending : NB_FETCH;
		fr.NoWait = usec <= 0;
		fr.Expires = (usec > 0 ? usec : new > 0 ? 500000 : 200000) *
		    1000;
		if (natsSubscription_FetchRequest(&r->held, r->sub, &fr) !=
		    NATS_OK)
			memset(&r->held, 0, sizeof(r->held));
		if (r->held.Count > 0 || usec > 0 || new == 0 ||
		    !retry_wait(&rt)) {
			*count = (size_t)r->held.Count;
			return BUS_OK;
		}
	}
}

static int
nats_read_next(struct bus_reader *br, const char **line, size_t *len,
    uint64_t *seq, char *err, size_t n)
{
	struct nreader *r = (struct nreader *)br;
	natsMsg *msg = NULL;
	natsStatus s;
	size_t count;
	int got;

	if (r->durable) {
		if ((got = fetch(r, 0, &count, err, n)) != BUS_OK)
			return got;
		if (count == 0)
			return reader_gone(r) ? BUS_NOTOPIC : BUS_END;
		msg = r->held.Msgs[r->next];
		r->held.Msgs[r->next++] = NULL;
		give(r, msg, line, len, seq);
		return BUS_OK;
	}
	for (;;) {
		if (r->next < r->held.Count) {
			msg = r->held.Msgs[r->next];
			r->held.Msgs[r->next++] = NULL;
		} else {
			/* The ordered consumer pushes: wait for what the
			 * server said is there, not for what is not.
			 * Before the first message, what the stream held
			 * when the reading began is there too: a consumer's
			 * count, taken as it is made, said 0 on a loaded
			 * server, and a reading of 1,000 events gave none
			 * (CI). */
			s = natsSubscription_NextMsg(&msg, r->sub,
			    r->pending > 0 || (!r->given && r->end > r->pos) ?
			    NB_STALL : 1);
			if (s != NATS_OK)
				return reader_gone(r) ? BUS_NOTOPIC : BUS_END;
		}
		/* A start past the stream's end is taken back by the
		 * server to the next sequence to come: what comes before
		 * the start is not the reader's (--from 13 of a stream of
		 * 10 got 11 and 12). */
		if (msg_seq(msg) > r->pos)
			break;
		natsMsg_Destroy(msg);
	}
	give(r, msg, line, len, seq);
	return BUS_OK;
}

static int
nats_read_wait(struct bus_reader *br, int64_t usec, char *errp, size_t n)
{
	struct nreader *r = (struct nreader *)br;
	natsMsg *msg = NULL;
	int64_t ms = usec < 0 || usec > 1000000 ? 1000 : usec / 1000;
	size_t count;
	char err[8];

	(void)errp;
	(void)n;
	if (ms < 1)
		ms = 1;
	/* A fetch that waits asks the consumer nothing: it cannot fail.
	 * Neither can a wait for a message: a server gone shows in the next
	 * read. */
	if (r->durable) {
		(void)fetch(r, ms * 1000, &count, err, sizeof(err));
		return BUS_OK;
	}
	/* Peeking would lose the message: the next read takes it, so it is
	 * said to be pending. */
	if (natsSubscription_NextMsg(&msg, r->sub, ms) == NATS_OK) {
		natsMsgList_Destroy(&r->held);
		r->held.Msgs = xmalloc(sizeof(*r->held.Msgs));
		r->held.Msgs[0] = msg;
		r->held.Count = 1;
		r->next = 0;
	}
	return BUS_OK;
}

/* Acks what was given up to seq, the last one synchronously: the
 * server has them all then (acks go in order on one connection).  While
 * a cluster elects a new leader for the consumer, acks fail: they are
 * sent again (an ack is idempotent) for NB_RETRY seconds. */
static int
nats_read_commit(struct bus_reader *br, uint64_t seq, char *err, size_t n)
{
	struct nreader *r = (struct nreader *)br;
	int64_t start = now_usec();
	jsErrCode jerr = 0;
	natsStatus s = NATS_OK;
	size_t i, k, done = 0;

	if (!r->durable)
		return BUS_OK;
	for (i = 0; i < r->nun; i++)
		if (msg_seq(r->unacked[i]) <= seq)
			done = i + 1;
	for (;;) {
		for (i = 0, s = NATS_OK; i < done && s == NATS_OK; i++)
			s = i + 1 < done ? natsMsg_Ack(r->unacked[i], NULL) :
			    natsMsg_AckSync(r->unacked[i], NULL, &jerr);
		if (s == NATS_OK)
			break;
		if (stream_gone(r->nb, r->stream))
			return BUS_NOTOPIC;
		if (now_usec() - start > NB_RETRY * 1000000LL) {
			seterr(err, n, "ack: %s", nstatus(s));
			return BUS_FAIL;
		}
		sleepms(200);
	}
	for (i = 0; i < done; i++)
		natsMsg_Destroy(r->unacked[i]);
	for (k = 0; i < r->nun; i++, k++)
		r->unacked[k] = r->unacked[i];
	r->nun = k;
	return BUS_OK;
}

static uint64_t
nats_read_position(struct bus_reader *br)
{
	return ((struct nreader *)br)->pos;
}

/* What was fetched and not committed is given back at once (nak), so
 * that the next run does not wait out the ack time for it. */
static void
nats_read_close(struct bus_reader *br)
{
	struct nreader *r = (struct nreader *)br;
	size_t i;
	int k;

	/* In order: what was given first comes again first. */
	for (i = 0; i < r->nun; i++) {
		(void)natsMsg_Nak(r->unacked[i], NULL);
		natsMsg_Destroy(r->unacked[i]);
	}
	if (r->durable && r->held.Msgs != NULL)
		for (k = r->next; k < r->held.Count; k++)
			if (r->held.Msgs[k] != NULL)
				(void)natsMsg_Nak(r->held.Msgs[k], NULL);
	if (r->durable)
		(void)natsConnection_Flush(r->nb->nc);
	natsMsgList_Destroy(&r->held);
	free(r->unacked);
	if (!r->durable)
		(void)natsSubscription_Unsubscribe(r->sub);
	natsSubscription_Destroy(r->sub);
	buf_free(&r->line);
	scan_free(&r->sc);
	free(r->stream);
	free(r->consumer);
	free(r);
}

/* --reset: the durable consumer is made again, to start at to. */
static int
nats_consumer_set(struct bus *b, const char *topic, const char *consumer,
    uint64_t to, uint64_t *was, int *known, char *err, size_t n)
{
	struct nbus *nb;
	jsConsumerInfo *ci = NULL;
	jsConsumerConfig cc;
	jsErrCode jerr = 0;
	natsStatus s;
	uint64_t last;
	int64_t wait;
	char *sn, *cn;
	int r;

	if ((nb = conn(b, err, n)) == NULL)
		return BUS_ERROR;
	if ((r = nats_exists(b, topic, "-T", err, n)) != BUS_OK ||
	    (r = nats_last(b, topic, &last, err, n)) != BUS_OK)
		return r;
	if (to > last + 1) {
		seterr(err, n, "%llu: past the end of topic %s, whose last "
		    "sequence is %llu (%llu skips all there is)",
		    (unsigned long long)to, topic, (unsigned long long)last,
		    (unsigned long long)last + 1);
		return BUS_PAST;
	}
	sn = stream_name(topic);
	cn = cons_name(consumer, '.', '~');
	s = js_GetConsumerInfo(&ci, nb->js, sn, cn, NULL, &jerr);
	*known = s == NATS_OK;
	*was = *known ? conspos(ci) : 0;
	jsConsumerInfo_Destroy(ci);
	ci = NULL;
	/* Before the consumer goes: a bad one leaves it as it was. */
	if ((r = ackwait(&wait, err, n)) != BUS_OK) {
		free(sn);
		free(cn);
		return r;
	}
	if (*known)
		(void)js_DeleteConsumer(nb->js, sn, cn, NULL, &jerr);
	cons_config(&cc, cn, wait);
	cc.DeliverPolicy = js_DeliverByStartSequence;
	cc.OptStartSeq = to;
	s = js_AddConsumer(&ci, nb->js, sn, &cc, NULL, &jerr);
	free(sn);
	free(cn);
	jsConsumerInfo_Destroy(ci);
	if (s != NATS_OK) {
		seterr(err, n, "%s", nstatus(s));
		return BUS_FAIL;
	}
	return BUS_OK;
}

static int
nats_consumer_delete(struct bus *b, const char *topic, const char *consumer,
    uint64_t *was, char *err, size_t n)
{
	struct nbus *nb;
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	char *sn, *cn;
	int r;

	if ((nb = conn(b, err, n)) == NULL)
		return BUS_ERROR;
	if ((r = nats_exists(b, topic, "-T", err, n)) != BUS_OK)
		return r;
	sn = stream_name(topic);
	cn = cons_name(consumer, '.', '~');
	s = js_GetConsumerInfo(&ci, nb->js, sn, cn, NULL, &jerr);
	if (s != NATS_OK) {
		free(sn);
		free(cn);
		return BUS_NOCONSUMER;
	}
	*was = conspos(ci);
	jsConsumerInfo_Destroy(ci);
	s = js_DeleteConsumer(nb->js, sn, cn, NULL, &jerr);
	free(sn);
	free(cn);
	if (s != NATS_OK) {
		seterr(err, n, "%s", nstatus(s));
		return BUS_FAIL;
	}
	return BUS_OK;
}

/* ---- live ---- */

/* Each new message, stamped, into the pipe: whole lines, in order. */
static void
onlive(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg)
{
	struct nlive *l = arg;

	(void)nc;
	(void)sub;
	l->line.len = 0;
	msg_event(&l->line, &l->sc, msg, msg_seq(msg));
	natsMsg_Destroy(msg);
	/* The reader gone: nothing more to do but drop. */
	pthread_mutex_lock(&l->mu);
	if (l->fd[1] >= 0)
		(void)writeall(l->fd[1], l->line.p, l->line.len);
	pthread_mutex_unlock(&l->mu);
}

/*
 * Looks for the stream every second; when it is deleted (evsub
 * --delete-topic, or the nats command), ends the pipe, so that the
 * subscriber reads its end and says so (nats_live_cutoff) rather than
 * wait for ever on a topic that is no more.
 */
static void *
watch_stream(void *arg)
{
	struct nlive *l = arg;
	struct timespec ts;
	int gone = 0;

	pthread_mutex_lock(&l->mu);
	while (!l->stop && !gone) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec++;
		(void)pthread_cond_timedwait(&l->cv, &l->mu, &ts);
		if (l->stop)
			break;
		pthread_mutex_unlock(&l->mu);
		gone = stream_gone(l->base.bus->impl, l->stream);
		pthread_mutex_lock(&l->mu);
	}
	if (gone && l->fd[1] >= 0) {
		close(l->fd[1]);
		l->fd[1] = -1;
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* Frees l, made up to its subscription (the watch not started). */
static void
live_free(struct nlive *l)
{
	if (l->sub != NULL) {
		(void)natsSubscription_Unsubscribe(l->sub);
		natsSubscription_Destroy(l->sub);
	}
	if (l->fd[1] >= 0)
		close(l->fd[1]);
	if (l->fd[0] >= 0)
		close(l->fd[0]);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l->stream);
	buf_free(&l->line);
	scan_free(&l->sc);
	free(l);
}

static int
nats_live_open(struct bus *b, const char *topic, const char *name,
    struct bus_live **out, char *err, size_t n)
{
	struct nbus *nb;
	struct nlive *l;
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus s;
	char *sn, *all, desc[320];

	if ((nb = conn(b, err, n)) == NULL)
		return BUS_ERROR;
	l = xmalloc(sizeof(*l));
	memset(l, 0, sizeof(*l));
	l->base.bus = b;
	l->stream = stream_name(topic);
	l->fd[0] = l->fd[1] = -1;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	scan_init(&l->sc);
	if (pipe2(l->fd, O_CLOEXEC) == -1) {
		seterr(err, n, "pipe: %s", strerror(errno));
		live_free(l);
		return BUS_ERROR;
	}
	(void)fcntl(l->fd[0], F_SETPIPE_SZ, 1 << 20);
	signal(SIGPIPE, SIG_IGN);
	sn = l->stream;
	all = subj_prefix(topic);
	all = xrealloc(all, strlen(all) + 2);
	strcat(all, ">");
	jsSubOptions_Init(&so);
	so.Stream = sn;
	so.Ordered = true;
	so.Config.DeliverPolicy = js_DeliverNew;
	/* Who listens, for --topics: the pid (and --name) as the directory
	 * bus shows them, in the consumer's description. */
	snprintf(desc, sizeof(desc), "eventful live pid %ld%s%s",
	    (long)getpid(), name != NULL ? " name " : "", name != NULL ?
	    name : "");
	so.Config.Description = desc;
	s = js_Subscribe(&l->sub, nb->js, all, onlive, l, NULL, &so, &jerr);
	free(all);
	if (s != NATS_OK) {
		seterr(err, n, "subscribe: %s", nstatus(s));
		l->sub = NULL;
		live_free(l);
		return BUS_FAIL;
	}
	/* The server has the consumer before the first publish we wait
	 * for: a round trip. */
	(void)natsConnection_Flush(nb->nc);
	if (pthread_create(&l->watch, NULL, watch_stream, l) != 0) {
		seterr(err, n, "pthread_create failed");
		live_free(l);
		return BUS_ERROR;
	}
	*out = &l->base;
	return BUS_OK;
}

static int
nats_live_fd(struct bus_live *bl, const char **path)
{
	*path = NULL;
	return ((struct nlive *)bl)->fd[0];
}

/* Whether the stream was deleted under the subscription. */
static int
nats_live_cutoff(struct bus_live *bl)
{
	struct nlive *l = (struct nlive *)bl;
	int gone;

	pthread_mutex_lock(&l->mu);
	gone = l->fd[1] == -1;
	pthread_mutex_unlock(&l->mu);
	return gone;
}

/* The server forgets an ephemeral consumer whose client went. */
static void
nats_live_abort(struct bus_live *bl)
{
	(void)bl;
}

static void
nats_live_close(struct bus_live *bl)
{
	struct nlive *l = (struct nlive *)bl;

	pthread_mutex_lock(&l->mu);
	l->stop = 1;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->watch, NULL);
	live_free(l);
}

static void
nats_close(struct bus *b)
{
	struct nbus *nb = b->impl;

	if (nb->nc != NULL) {
		(void)natsConnection_Flush(nb->nc);
		jsCtx_Destroy(nb->js);
		natsConnection_Destroy(nb->nc);
		natsOptions_Destroy(nb->opts);
		/*
		 * The library's threads finish the destroying on their own
		 * (the last may free the TLS context); the program must not
		 * end under them, or OpenSSL's exit handlers free what they
		 * still use (a crash under make check, 1 run in ~5).
		 */
		(void)nats_CloseAndWait(2000);
	}
	free(nb);
}

const struct bus_ops bus_nats_ops = {
	.name = "nats",
	.exists = nats_exists,
	.any = nats_any,
	.survey = nats_survey,
	.remove = nats_remove,
	.last = nats_last,
	.pub_open = nats_pub_open,
	.pub_sink = nats_pub_sink,
	.pub_close = nats_pub_close,
	.read_open = nats_read_open,
	.read_next = nats_read_next,
	.read_wait = nats_read_wait,
	.read_commit = nats_read_commit,
	.read_position = nats_read_position,
	.read_close = nats_read_close,
	.consumer_set = nats_consumer_set,
	.consumer_delete = nats_consumer_delete,
	.live_open = nats_live_open,
	.live_fd = nats_live_fd,
	.live_cutoff = nats_live_cutoff,
	.live_abort = nats_live_abort,
	.live_close = nats_live_close,
	.close = nats_close,
};

/* Tells whether url names a NATS server (or several). */
int
bus_nats_url(const char *url)
{
	return strncmp(url, "nats://", 7) == 0 ||
	    strncmp(url, "tls://", 6) == 0;
}

void *
bus_nats_new(const char *creds, const char *credsfrom)
{
	struct nbus *nb = xmalloc(sizeof(*nb));

	memset(nb, 0, sizeof(*nb));
	nb->creds = creds;
	nb->credsfrom = credsfrom;
	return nb;
}
