/* SPDX-License-Identifier: ISC */
/*
 * bus_nats_conn.c - the NATS bus's connection, made at the first
 * operation that needs it, and what every part of the bus asks
 * JetStream alike: a stream's info (asked again while a cluster elects
 * a leader, with struct retry's backoff), whether a stream is gone, a
 * durable consumer's config and position, and a failure said in err.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus_nats_int.h"
#include "timefmt.h"
#include "util.h"

#define NB_ACKWAIT 30		/* seconds before an unacknowledged message
				   of a consumer is given again, unless
				   EVENTFUL_NATS_ACK_WAIT says otherwise */
#define NB_ACKPENDING 20000	/* of a consumer, given and not acked */

const char *
nb_status(natsStatus s)
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
struct nbus *
nb_conn(struct bus *b, char *err, size_t n)
{
	struct nbus *nb = b->impl;
	jsOptions jo;
	const char *ca, *cert, *key;
	int fd, tries;
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
	/*
	 * libnats before 3.8 (Debian's is 3.4) sends no signature of the
	 * server's nonce when the signature's first byte is zero (nats.c
	 * pull request 705): one connection in 256 with a creds file is
	 * refused, "Authorization Violation".  A new connection signs a new
	 * nonce; creds that are wrong are refused every time.
	 */
	for (tries = 0; s == NATS_OK; tries++) {
		s = natsConnection_Connect(&nb->nc, nb->opts);
		if (s != NATS_CONNECTION_AUTH_FAILED || nb->creds == NULL ||
		    tries == 3)
			break;
		s = NATS_OK;
	}
	if (s != NATS_OK) {
		seterr(err, n, "%s: connect: %s", b->where, nb_status(s));
		unconn(nb);
		return NULL;
	}
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = NB_WINDOW;
	if ((s = natsConnection_JetStream(&nb->js, nb->nc, &jo)) != NATS_OK) {
		seterr(err, n, "%s: JetStream: %s", b->where, nb_status(s));
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
int
nb_ackwait(int64_t *ns, char *err, size_t n)
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
void
nb_cons_config(jsConsumerConfig *cc, const char *name, int64_t wait)
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
int
nb_jsfail(struct bus *b, const char *what, natsStatus s, jsErrCode jerr,
    char *err, size_t n)
{
	if (jerr != 0)
		seterr(err, n, "%s: %s: %s (JetStream error %d)", b->where,
		    what, nb_status(s), (int)jerr);
	else
		seterr(err, n, "%s: %s: %s", b->where, what, nb_status(s));
	return BUS_ERROR;
}

/* Sleeps before the next try; 0 (without sleeping) once time is up. */
int
nb_retry_wait(struct retry *rt)
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
int
nb_passes(natsStatus s)
{
	return s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS ||
	    s == NATS_CONNECTION_DISCONNECTED || s == NATS_CONNECTION_CLOSED;
}

/* *sip: the stream of topic, or NULL when there is none. */
int
nb_stream_info(struct bus *b, const char *topic, const char *filter,
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
	if ((nb = nb_conn(b, err, n)) == NULL)
		return BUS_ERROR;
	name = nb_stream_name(topic);
	jsOptions_Init(&jo);
	jo.Stream.Info.SubjectsFilter = filter;
	/* While a cluster elects a leader (a server was lost), a request
	 * times out: again, for as long as a publish is retried. */
	while (nb_passes(s = js_GetStreamInfo(&si, nb->js, name, &jo, &jerr)) &&
	    nb_retry_wait(&rt))
		;
	if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr)
		si = NULL;
	else if (s != NATS_OK)
		r = nb_jsfail(b, name, s, jerr, err, n);
	free(name);
	*sip = si;
	return r;
}

/*
 * Whether stream is gone: deleted under a reading or a subscription.  A
 * server that does not answer is not taken for a deleted stream.
 */
int
nb_stream_gone(struct nbus *nb, const char *stream)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	s = js_GetStreamInfo(&si, nb->js, stream, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	return s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr;
}

/*
 * A durable consumer's position: the last sequence acknowledged, or,
 * for one that starts at a sequence (--reset) and has acknowledged
 * nothing there yet, the one before its start.
 */
uint64_t
nb_conspos(const jsConsumerInfo *ci)
{
	uint64_t pos = ci->AckFloor.Stream;

	if (ci->Config != NULL && ci->Config->DeliverPolicy ==
	    js_DeliverByStartSequence && ci->Config->OptStartSeq > 0 &&
	    pos < ci->Config->OptStartSeq - 1)
		pos = ci->Config->OptStartSeq - 1;
	return pos;
}
