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
 * This file is the operations' table and the bus made and closed; the
 * rest is in the files bus_nats_int.h lists, each above only those it
 * uses.  One connection per bus, made at the first operation that needs
 * it; JetStream is asked with its default time-out (5 s).  Nothing here
 * exits or prints but a warning: a failure to reach the server comes
 * back as BUS_ERROR, its text in the caller's err with the URL first,
 * and each other failure as the result bus.h names for it.
 */
#include <stdlib.h>
#include <string.h>

#include "bus_nats_int.h"
#include "util.h"

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
