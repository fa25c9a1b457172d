/* SPDX-License-Identifier: ISC */
/*
 * natspub - the baseline of "evpub -T" on NATS: a plain libnats JetStream
 * publisher, asynchronous, with a bounded window of acks in flight.
 *
 * It reads the whole CloudEvents of the bench workload (bench/gen -e), one
 * a line, and publishes each line as it is, as evpub -l -T does with an
 * event that lacks nothing: structured mode, the line as the body, the
 * headers Content-Type: application/cloudevents+json and Nats-Msg-Id
 * "<source> <id>", on the subject PREFIX "s." <subject>, the source, id
 * and subject percent-encoded as src/bus_nats_name.c encodes them.  The
 * attributes are found by a plain search for "id":", "source":" and
 * "subject":" in the envelope, which holds for bench/gen's events (no
 * escapes, the envelope before the data); nothing else is checked.
 *
 * At most WINDOW publishes wait for their ack at any time (libnats stalls
 * the next publish until one comes); at the end it waits for every ack.
 * The stream must exist.  Exit status 0 when every line was acknowledged
 * as stored (and none as a duplicate), 1 otherwise.  Prints nothing else;
 * bench/nats times it and counts the stream's messages.
 *
 * Usage: natspub url prefix window <events
 * e.g.   natspub nats://127.0.0.1:4333 ev.bench. 1024 <events.ndjson
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

static long acked;			/* acknowledged as stored */
static long failed;			/* refused, timed out or duplicate */

/* In libnats's thread: counts each ack; the library frees nothing. */
static void
onack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *arg)
{
	(void)js;
	(void)arg;
	if (pa != NULL && !pa->Duplicate)
		__atomic_add_fetch(&acked, 1, __ATOMIC_RELAXED);
	else {
		if (__atomic_add_fetch(&failed, 1, __ATOMIC_RELAXED) == 1)
			fprintf(stderr, "natspub: %s\n", pae != NULL &&
			    pae->ErrText != NULL ? pae->ErrText :
			    "a duplicate");
	}
	natsMsg_Destroy(msg);
}

/* Appends the string value of member name ("\"name\":\"") of line to
 * *p, percent-encoding what a subject token cannot carry, as bus_nats_name.c
 * does.  Returns -1 when line has no such member. */
static int
put(char **p, const char *line, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *v = strstr(line, name);
	unsigned char c;

	if (v == NULL)
		return -1;
	for (v += strlen(name); *v != '"' && *v != '\0'; v++) {
		c = (unsigned char)*v;
		if (c <= 0x20 || c >= 0x7f || c == '%' || c == '.' ||
		    c == '*' || c == '>') {
			*(*p)++ = '%';
			*(*p)++ = hex[c >> 4];
			*(*p)++ = hex[c & 15];
		} else
			*(*p)++ = (char)c;
	}
	**p = '\0';
	return 0;
}

static void
die(const char *what, natsStatus s)
{
	fprintf(stderr, "natspub: %s: %s\n", what, natsStatus_GetText(s));
	exit(1);
}

int
main(int argc, char *argv[])
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsOptions jo;
	jsPubOptions po;
	natsMsg *m;
	natsStatus s;
	char *line = NULL, *subj, *id, *q;
	size_t cap = 0;
	ssize_t len;
	long n = 0, window;

	if (argc != 4 || (window = atol(argv[3])) <= 0) {
		fprintf(stderr, "usage: natspub url prefix window <events\n");
		return 2;
	}
	if ((s = natsConnection_ConnectTo(&nc, argv[1])) != NATS_OK)
		die(argv[1], s);
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = window;
	jo.PublishAsync.AckHandler = onack;
	/* A full window waits for an ack, not 200 ms and an error. */
	jo.PublishAsync.StallWait = 60000;
	if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK)
		die("JetStream", s);
	while ((len = getline(&line, &cap, stdin)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		/* Each attribute grows at most threefold, encoded. */
		subj = malloc(strlen(argv[2]) + 3 + 3 * (size_t)len);
		id = malloc(2 + 6 * (size_t)len);
		if (subj == NULL || id == NULL) {
			perror("natspub");
			return 1;
		}
		q = subj + sprintf(subj, "%ss.", argv[2]);
		if (put(&q, line, "\"subject\":\"") == -1)
			sprintf(subj, "%s_", argv[2]);
		q = id;
		if (put(&q, line, "\"source\":\"") == -1) {
			fprintf(stderr, "natspub: line %ld: no source\n", n + 1);
			return 1;
		}
		*q++ = ' ';
		if (put(&q, line, "\"id\":\"") == -1) {
			fprintf(stderr, "natspub: line %ld: no id\n", n + 1);
			return 1;
		}
		m = NULL;
		s = natsMsg_Create(&m, subj, NULL, line, (int)len);
		if (s == NATS_OK)
			s = natsMsgHeader_Set(m, "Content-Type",
			    "application/cloudevents+json");
		if (s == NATS_OK)
			s = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
		jsPubOptions_Init(&po);
		po.MaxWait = 5000;
		if (s == NATS_OK)
			s = js_PublishMsgAsync(js, &m, &po);
		if (s != NATS_OK)
			die("publish", s);
		natsMsg_Destroy(m);
		free(subj);
		free(id);
		n++;
	}
	if (ferror(stdin)) {
		perror("natspub: stdin");
		return 1;
	}
	jsPubOptions_Init(&po);
	po.MaxWait = 60000;
	if ((s = js_PublishAsyncComplete(js, &po)) != NATS_OK)
		die("waiting for the acks", s);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	free(line);
	if (__atomic_load_n(&acked, __ATOMIC_RELAXED) != n) {
		fprintf(stderr, "natspub: %ld of %ld acknowledged\n",
		    __atomic_load_n(&acked, __ATOMIC_RELAXED), n);
		return 1;
	}
	return 0;
}
