/* SPDX-License-Identifier: ISC */
/*
 * bus_nats_msg.c - a NATS message made an event line, its stream
 * sequence stamped as "sequence": in structured mode the body; in
 * binary mode (ce- headers) the event cebin.c makes of its headers and
 * body.
 */
#include <stdlib.h>
#include <string.h>

#include "bus_nats_int.h"
#include "cebin.h"
#include "log.h"
#include "util.h"

/* Puts into b the event line[0..len), an object, with "sequence" set to
 * seq (replacing one it had), and "\n".  Returns -1, putting line as it
 * is, when it is no JSON object. */
int
nb_stamp(struct buf *b, struct scanner *sc, const char *line, size_t len,
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
void
nb_msg_event(struct buf *b, struct scanner *sc, natsMsg *msg, uint64_t seq)
{
	const char *data = natsMsg_GetData(msg), **keys = NULL, *val, *ct;
	size_t len = (size_t)natsMsg_GetDataLength(msg);
	struct buf e = { 0 };
	struct cebin cb = { 0 };
	int nkeys = 0, k;

	if (data == NULL)
		data = "";
	if (natsMsgHeader_Get(msg, "ce-specversion", &val) != NATS_OK) {
		(void)nb_stamp(b, sc, data, len, seq);
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
		(void)nb_stamp(b, sc, data, len, seq);
	} else
		(void)nb_stamp(b, sc, e.p, e.len, seq);
	cebin_free(&cb);
	buf_free(&e);
}

/* The stream sequence of a message a consumer gave, or 0. */
uint64_t
nb_msg_seq(natsMsg *msg)
{
	jsMsgMetaData *meta = NULL;
	uint64_t seq;

	if (natsMsg_GetMetaData(&meta, msg) != NATS_OK)
		return 0;
	seq = meta->Sequence.Stream;
	jsMsgMetaData_Destroy(meta);
	return seq;
}
