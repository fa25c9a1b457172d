/* SPDX-License-Identifier: ISC */
/*
 * natspull - the baseline of "evsub -T --consumer NAME --once" on NATS: a
 * plain libnats pull-and-ack loop that drains a stream.
 *
 * It makes the durable pull consumer NAME on STREAM as src/bus_nats_read.c
 * makes a new one (explicit acks, from the stream's start, the same ack
 * wait and the same limit of unacknowledged messages), binds to it with
 * js_PullSubscribe on FILTER, and fetches batches of BATCH with
 * natsSubscription_Fetch until it has had as many messages as the
 * consumer had pending when it was made.  Each message's body goes to
 * stdout as one line.  Acks as evsub commits: natsMsg_Ack for each
 * message (sent, no answer awaited), but natsMsg_AckSync, after stdout is
 * flushed, for every 1000th and the last, so that the server has
 * confirmed them all by the end, as evsub's commit every 1000 events
 * does.  Nothing is checked, stamped or parsed.
 *
 * Exit status 0 when the stream was drained, 1 otherwise.
 *
 * Usage: natspull url stream filter name batch >out
 * e.g.   natspull nats://127.0.0.1:4333 EV_bench 'ev.bench.>' c 256 >out
 */
#include <stdio.h>
#include <stdlib.h>

#include <nats/nats.h>

static void
die(const char *what, natsStatus s, jsErrCode jerr)
{
	fprintf(stderr, "natspull: %s: %s (%d)\n", what,
	    natsStatus_GetText(s), (int)jerr);
	exit(1);
}

int
main(int argc, char *argv[])
{
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	jsConsumerInfo *ci = NULL;
	jsConsumerConfig cc;
	jsSubOptions so;
	natsMsgList l;
	natsMsg *m;
	jsCtx *js = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	uint64_t want, got = 0;
	long batch;
	int i;

	if (argc != 6 || (batch = atol(argv[5])) <= 0) {
		fprintf(stderr, "usage: natspull url stream filter name "
		    "batch >out\n");
		return 2;
	}
	if ((s = natsConnection_ConnectTo(&nc, argv[1])) != NATS_OK)
		die(argv[1], s, 0);
	if ((s = natsConnection_JetStream(&js, nc, NULL)) != NATS_OK)
		die("JetStream", s, 0);
	jsConsumerConfig_Init(&cc);
	cc.Durable = argv[4];
	cc.AckPolicy = js_AckExplicit;
	cc.AckWait = 30 * 1000000000LL;
	cc.MaxAckPending = 20000;
	cc.DeliverPolicy = js_DeliverAll;
	if ((s = js_AddConsumer(&ci, js, argv[2], &cc, NULL, &jerr)) !=
	    NATS_OK)
		die("consumer", s, jerr);
	want = ci->NumPending;
	jsConsumerInfo_Destroy(ci);
	jsSubOptions_Init(&so);
	so.Stream = argv[2];
	so.Consumer = argv[4];
	if ((s = js_PullSubscribe(&sub, js, argv[3], argv[4], NULL, &so,
	    &jerr)) != NATS_OK)
		die("subscribe", s, jerr);
	while (got < want) {
		s = natsSubscription_Fetch(&l, sub, (int)batch, 5000, &jerr);
		if (s != NATS_OK)
			die("fetch", s, jerr);
		for (i = 0; i < l.Count; i++) {
			m = l.Msgs[i];
			got++;
			if (fwrite(natsMsg_GetData(m), 1,
			    (size_t)natsMsg_GetDataLength(m), stdout) !=
			    (size_t)natsMsg_GetDataLength(m) ||
			    putchar('\n') == EOF) {
				perror("natspull: stdout");
				return 1;
			}
			if (got % 1000 != 0 && got != want)
				s = natsMsg_Ack(m, NULL);
			else if (fflush(stdout) == EOF) {
				perror("natspull: stdout");
				return 1;
			} else
				s = natsMsg_AckSync(m, NULL, &jerr);
			if (s != NATS_OK)
				die("ack", s, jerr);
		}
		natsMsgList_Destroy(&l);
	}
	natsSubscription_Destroy(sub);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return 0;
}
