/* SPDX-License-Identifier: ISC */
/*
 * ack.c - the acknowledgement of events stored (ack.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ack.h"
#include "util.h"

void
ack_open(struct ack *a, int write, int quiet, const char *who,
    int bylines, const char *held, const char *verb)
{
	memset(a, 0, sizeof(*a));
	out_open(&a->out, NULL);
	a->write = write;
	a->quiet = quiet;
	a->who = who;
	a->bylines = bylines;
	a->held = held;
	a->verb = verb;
}

void
ack_repeat(const struct ack *a, uint64_t n, uint64_t seq)
{
	char where[512];

	if (a->quiet)
		return;
	if (a->bylines) {
		snprintf(where, sizeof(where), "%s:%llu", a->who,
		    (unsigned long long)n);
		warnw(where, "source and id are in the %s already, as "
		    "sequence %llu: not %s again", a->held,
		    (unsigned long long)seq, a->verb);
	} else
		warnw(a->who, "event %llu: source and id are in the %s "
		    "already, as sequence %llu: not %s again",
		    (unsigned long long)n, a->held, (unsigned long long)seq,
		    a->verb);
}

/* What a closed stdout means: its reader gone, or a failure said. */
static enum ack_result
result(const struct ack *a, char *err, size_t n)
{
	if (!a->out.closed)
		return ACK_OK;
	if (out_error(&a->out, err, n) == -1)
		return ACK_ERROR;
	return ACK_EPIPE;
}

enum ack_result
ack_write(struct ack *a, const char *p, size_t len, char *err, size_t n)
{
	if (a->write && len > 0)
		(void)out_write(&a->out, p, len);
	return result(a, err, n);
}

enum ack_result
ack_batch(struct ack *a, const struct batch *bt, char *err, size_t n)
{
	size_t i;

	for (i = 0; i < bt->n; i++)
		if (bt->dup[i] != 0)
			ack_repeat(a, bt->lineno[i], bt->dup[i]);
	return ack_write(a, bt->b.p, bt->b.len, err, n);
}

enum ack_result
ack_subject(struct ack *a, const char *subj, size_t len, uint64_t num,
    char *err, size_t en)
{
	if (subj == NULL) {
		seterr(err, en, "%s: event %llu: --expect counts the events "
		    "of a subject: this one has none", a->who,
		    (unsigned long long)num);
		return ACK_NONE;
	}
	if (!a->subjset) {
		a->subject = xmalloc(len + 1);
		memcpy(a->subject, subj, len);
		a->subjlen = len;
		a->subjset = 1;
		return ACK_OK;
	}
	if (len != a->subjlen || memcmp(subj, a->subject, len) != 0) {
		seterr(err, en, "%s: event %llu: --expect counts the events "
		    "of one subject: this one has another", a->who,
		    (unsigned long long)num);
		return ACK_OTHER;
	}
	return ACK_OK;
}

enum ack_result
ack_close(struct ack *a, char *err, size_t n)
{
	enum ack_result r;

	/* Never opened (zeroed): nothing to close, not fd 0. */
	if (a->out.buf == NULL)
		return ACK_OK;
	(void)out_close(&a->out);
	r = result(a, err, n);
	free(a->subject);
	a->subject = NULL;
	return r;
}
