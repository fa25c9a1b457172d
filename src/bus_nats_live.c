/* SPDX-License-Identifier: ISC */
/*
 * bus_nats_live.c - a live subscription to a topic of the NATS bus: an
 * ordered push consumer of new messages, each written stamped into a
 * pipe that evsub reads; a thread that ends the pipe when the stream is
 * deleted.
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

#include "bus_nats_int.h"
#include "util.h"

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

/* Each new message, stamped, into the pipe: whole lines, in order. */
static void
onlive(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *arg)
{
	struct nlive *l = arg;

	(void)nc;
	(void)sub;
	l->line.len = 0;
	nb_msg_event(&l->line, &l->sc, msg, nb_msg_seq(msg));
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
		gone = nb_stream_gone(l->base.bus->impl, l->stream);
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

int
nats_live_open(struct bus *b, const char *topic, const char *name,
    struct bus_live **out, char *err, size_t n)
{
	struct nbus *nb;
	struct nlive *l;
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus s;
	char *sn, *all, desc[320];

	if ((nb = nb_conn(b, err, n)) == NULL)
		return BUS_ERROR;
	l = xmalloc(sizeof(*l));
	memset(l, 0, sizeof(*l));
	l->base.bus = b;
	l->stream = nb_stream_name(topic);
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
	all = nb_subj_prefix(topic);
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
		seterr(err, n, "subscribe: %s", nb_status(s));
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

int
nats_live_fd(struct bus_live *bl, const char **path)
{
	*path = NULL;
	return ((struct nlive *)bl)->fd[0];
}

/* Whether the stream was deleted under the subscription. */
int
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
void
nats_live_abort(struct bus_live *bl)
{
	(void)bl;
}

void
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
