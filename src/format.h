/* SPDX-License-Identifier: ISC */
/*
 * format.h - the ways a subscriber writes an event: as read, thin (the
 * envelope without data), the data alone, or one line for people.
 */
#ifndef EV_FORMAT_H
#define EV_FORMAT_H

#include "buf.h"
#include "ce.h"
#include "out.h"
#include "scan.h"

#include "filter.h"

enum fmt { FMT_EVENT, FMT_THIN, FMT_DATA, FMT_PRETTY, FMT_TEMPLATE };

/*
 * --format: a template, as kcat's -f and mosquitto_sub's -F are.
 *	%{path}		the value at path (an attribute, sequence among them,
 *			or data.a.b): a string as its text, anything else as
 *			JSON; nothing when absent
 *	%j{path}	the value as JSON: a string quoted and escaped (null
 *			when absent), for output that a JSON reader takes
 *	%e		the whole event, as read
 *	%%		a %
 *	\n \t \\	a newline, a tab, a backslash
 * Nothing else is added: a line ends where the template says \n.
 */
struct tmpl_part {
	char *lit;		/* literal text (NUL-ended), or NULL */
	size_t litlen;
	struct filter path;	/* else the path of %{} or %j{} */
	int json;		/* %j{} */
	int event;		/* %e */
};

struct tmpl {
	struct tmpl_part *v;	/* the parts, in order */
	size_t n;
	struct buf tmp;		/* scratch for unescaping */
};

/* Parses text into t.  Returns 0, or -1 with err saying where and what. */
int tmpl_parse(struct tmpl *t, const char *text, char *err, size_t n);
void tmpl_free(struct tmpl *t);

/* Writes the event that s scanned from line[0..len) through t, as one
 * unit. */
void tmpl_event(struct out *o, struct tmpl *t, const char *line, size_t len,
    const struct scanner *s, const struct ce_event *ev);

/*
 * Writes the event that s scanned from line[0..len) to o in the format
 * fmt, as one unit ending in "\n".  color: ANSI colours for --pretty.
 */
void fmt_event(struct out *o, int fmt, const char *line, size_t len,
    const struct scanner *s, const struct ce_event *ev, int color);

#endif
