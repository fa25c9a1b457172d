/* SPDX-License-Identifier: ISC */
/*
 * topiclist.c - topic names, and --topics's listing and "did you mean",
 * the same on every bus.  See topiclist.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "topiclist.h"
#include "util.h"

int
topic_name_ok(const char *name)
{
	size_t len = strlen(name);

	/* A leading dot, .tmp and .lock are the names of our own files. */
	if (len == 0 || len > TOPIC_NAMEMAX || name[0] == '.' ||
	    (len >= 4 && strcmp(name + len - 4, ".tmp") == 0) ||
	    (len >= 5 && strcmp(name + len - 5, ".lock") == 0))
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == len;
}

void
topic_stat_free(struct topic_stat *s)
{
	size_t j;

	for (j = 0; j < s->nlive; j++)
		free(s->live[j].name);
	for (j = 0; j < s->ncons; j++) {
		free(s->cons[j].name);
		free(s->cons[j].err);
		free(s->cons[j].where);
	}
	free(s->live);
	free(s->cons);
	free(s->name);
}

void
topic_survey_free(struct topic_stat *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		topic_stat_free(&v[i]);
	free(v);
}

void
topic_print(FILE *f, const char *prefix, const struct topic_stat *s,
    const char *rate)
{
	const struct topic_pos *c;
	size_t j;

	fprintf(f, "%s%s\tevents %llu", prefix, s->name,
	    (unsigned long long)s->last);
	if (rate != NULL)
		fprintf(f, "\trate %s", rate);
	fprintf(f, "\tsubscribers %zu\n", s->nlive);
	for (j = 0; j < s->nlive; j++) {
		if (s->live[j].pid > 0)
			fprintf(f, "%s%s\tsubscriber %ld", prefix, s->name,
			    s->live[j].pid);
		else
			fprintf(f, "%s%s\tsubscriber ?", prefix, s->name);
		if (s->live[j].name != NULL)
			fprintf(f, "\tname %s", s->live[j].name);
		fputc('\n', f);
	}
	for (j = 0; j < s->ncons; j++) {
		c = &s->cons[j];
		if (c->err != NULL)
			fprintf(f, "%s%s\tconsumer %s\tposition ?\tlag ?\n",
			    prefix, s->name, c->name);
		else
			fprintf(f, "%s%s\tconsumer %s\tposition %llu\tlag "
			    "%llu\n", prefix, s->name, c->name,
			    (unsigned long long)c->pos, (unsigned long long)
			    topic_lag(s, c->pos));
	}
}

void
topic_missing(const char *why, const char *name, const char *where,
    char *const *v, size_t n, const char *hint)
{
	struct buf b = { 0 };
	size_t i, best = 0, bestd = 3, d;

	for (i = 0; i < n; i++)
		if ((d = editdist(name, v[i])) < bestd) {
			bestd = d;
			best = i;
		}
	for (i = 0; i < n; i++) {
		buf_puts(&b, i ? ", " : "");
		buf_puts(&b, v[i]);
	}
	buf_putc(&b, '\0');
	if (n == 0)
		warnw(why, "%s: no such topic in %s, which has none: a publisher "
		    "makes one (evpub -T %s ...); %s", name, where, name, hint);
	else if (bestd <= 2)
		warnw(why, "%s: no such topic in %s; did you mean %s? (there: "
		    "%s)", name, where, v[best], b.p);
	else
		warnw(why, "%s: no such topic in %s (there: %s)", name, where,
		    b.p);
	buf_free(&b);
}

int
topic_list(FILE *f, const struct topic_stat *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		/* One bad position file is reported; the others listed. */
		for (j = 0; j < v[i].ncons; j++)
			if (v[i].cons[j].err != NULL)
				warnw(v[i].cons[j].where, "%s",
				    v[i].cons[j].err);
		topic_print(f, "", &v[i], NULL);
	}
	return 0;
}

/* Appends "name":value where value is the JSON string s (or null). */
static void
jsonstr(struct buf *b, const char *key, const char *s)
{
	buf_puts(b, key);
	if (s == NULL || buf_jsonstr(b, s, strlen(s)) == -1)
		buf_puts(b, "null");
}

/* One line of --topics --json: s as a JSON object. */
static void
topic_json(struct buf *b, const struct topic_stat *s)
{
	char num[64];
	size_t j;

	jsonstr(b, "{\"topic\":", s->name);
	snprintf(num, sizeof(num), ",\"last\":%llu,\"subscribers\":[",
	    (unsigned long long)s->last);
	buf_puts(b, num);
	for (j = 0; j < s->nlive; j++) {
		if (s->live[j].pid > 0)
			snprintf(num, sizeof(num), "%s{\"pid\":%ld,",
			    j ? "," : "", s->live[j].pid);
		else
			snprintf(num, sizeof(num), "%s{\"pid\":null,",
			    j ? "," : "");
		buf_puts(b, num);
		jsonstr(b, "\"name\":", s->live[j].name);
		buf_putc(b, '}');
	}
	buf_puts(b, "],\"consumers\":[");
	for (j = 0; j < s->ncons; j++) {
		jsonstr(b, j ? ",{\"name\":" : "{\"name\":", s->cons[j].name);
		if (s->cons[j].err != NULL) {
			jsonstr(b, ",\"position\":null,\"lag\":null,"
			    "\"error\":", s->cons[j].err);
			buf_putc(b, '}');
			continue;
		}
		snprintf(num, sizeof(num), ",\"position\":%llu,\"lag\":%llu}",
		    (unsigned long long)s->cons[j].pos,
		    (unsigned long long)topic_lag(s, s->cons[j].pos));
		buf_puts(b, num);
	}
	buf_puts(b, "]}\n");
}

void
topic_list_json(FILE *f, const struct topic_stat *v, size_t n)
{
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		b.len = 0;
		topic_json(&b, &v[i]);
		fwrite(b.p, 1, b.len, f);
	}
	buf_free(&b);
}
