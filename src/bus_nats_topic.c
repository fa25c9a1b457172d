/* SPDX-License-Identifier: ISC */
/*
 * bus_nats_topic.c - the NATS bus's topics, one stream each: whether one
 * is there (saying the others when not), whether any is, the survey of
 * them all (last sequence, live subscribers, durable consumers), one
 * deleted, one's last sequence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus_nats_int.h"
#include "util.h"

static int
namecmp(const void *a, const void *b)
{
	return natcmp(*(char *const *)a, *(char *const *)b);
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
	if ((nb = nb_conn(b, err, n)) == NULL)
		return BUS_ERROR;
	s = js_StreamNames(&l, nb->js, NULL, &jerr);
	if (s == NATS_NOT_FOUND)
		return BUS_OK;
	if (s != NATS_OK)
		return nb_jsfail(b, "stream names", s, jerr, err, n);
	v = xmalloc(((size_t)l->Count + 1) * sizeof(*v));
	for (i = 0; i < l->Count; i++)
		if ((t = nb_stream_topic(l->List[i])) != NULL)
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

int
nats_exists(struct bus *b, const char *topic, const char *why, char *err,
    size_t n)
{
	jsStreamInfo *si;
	char **v;
	size_t nv;
	int r;

	if ((r = nb_stream_info(b, topic, NULL, &si, err, n)) != BUS_OK)
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

int
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

static int
poscmp(const void *a, const void *b)
{
	return natcmp(((const struct topic_pos *)a)->name,
	    ((const struct topic_pos *)b)->name);
}

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

/* Every topic: its last sequence, its live subscribers (the push
 * consumers without a durable name that someone is bound to) and its
 * durable consumers, each at the sequence below which all is acked. */
int
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
		if ((r = nb_stream_info(b, st->name, NULL, &si, err, n)) !=
		    BUS_OK) {
			topic_survey_free(v, nn);
			return r;
		}
		if (si == NULL)
			continue;	/* deleted meanwhile */
		st->last = si->State.LastSeq;
		jsStreamInfo_Destroy(si);
		sn = nb_stream_name(st->name);
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
					    nb_cons_name(ci->Name, '~', '.');
					st->cons[st->ncons++].pos =
					    nb_conspos(ci);
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
int
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
	sn = nb_stream_name(topic);
	s = js_DeleteStream(nb->js, sn, NULL, &jerr);
	free(sn);
	if (s != NATS_OK) {
		seterr(err, n, "%s", nb_status(s));
		return BUS_FAIL;
	}
	return BUS_OK;
}

int
nats_last(struct bus *b, const char *topic, uint64_t *last, char *err,
    size_t n)
{
	jsStreamInfo *si;
	int r;

	if ((r = nb_stream_info(b, topic, NULL, &si, err, n)) != BUS_OK)
		return r;
	*last = si != NULL ? si->State.LastSeq : 0;
	jsStreamInfo_Destroy(si);
	return BUS_OK;
}
