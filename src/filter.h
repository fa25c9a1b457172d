/* SPDX-License-Identifier: ISC */
/*
 * filter.h - selecting events: the filter grammar of evsub(1).
 *
 *	filter	= path [ op value ]
 *	path	= name | "data" *( "." key )
 *	op	= "=" | "!=" | ">" | ">=" | "<" | "<="
 *	value	= alt *( "," alt )	; alternatives: "=" and "!=" only
 *
 * name is an attribute, extensions included.  A bare path holds when the
 * attribute or field is present and not null; a null attribute is unset,
 * a null field matches "null".  "=" and "!=" match strings
 * with fnmatch(3) globs, numbers as numbers, true, false and null by name;
 * "=" holds when one alternative matches, "!=" when none does.  A comma
 * inside brackets ([,]) or escaped (\,) is a comma.  The others order
 * numbers as numbers (a number operand orders numbers only), RFC 3339
 * times as times, and other strings bytewise.  A key that is all digits
 * also indexes an array.
 *
 * What the grammar would take but can never mean what was written is
 * refused with a hint: spaces around the operator, a quoted value (""
 * alone is the empty string), a missing value, "==", "=~", a decimal
 * comma, a jq-style ".data" or "items[0]".
 */
#ifndef EV_FILTER_H
#define EV_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "ce.h"
#include "scan.h"

enum fop { F_EXISTS, F_EQ, F_NE, F_GT, F_GE, F_LT, F_LE };

/* An operand: the value of a filter, or one of its alternatives. */
struct fval {
	char *text;		/* as written ("" for the empty string) */
	int isnum;		/* a number: num */
	double num;		/* its value */
	int isint;		/* an integer: 1 in 64 bits (ival), 2 above
				   them, -2 below them */
	long long ival;		/* its value */
	int istime;		/* an RFC 3339 time: usec */
	int64_t usec;		/* its value */
	int glob;		/* holds glob characters */
	int prefix;		/* printable ASCII without glob characters
				   and one "*" at the end: matches the
				   strings that start with text[0..plen) */
	size_t plen;		/* the length of that literal prefix */
};

struct filter {
	const char *text;	/* as given, for messages */
	char *name;		/* the attribute, or "data" */
	int attr;		/* its enum ce_attr, CE_NATTR for an extension */
	char **keys;		/* the path inside data */
	size_t nkeys;		/* how many */
	int op;			/* enum fop */
	struct fval *val;	/* the operand, or the alternatives of = and != */
	size_t nval;		/* how many; 0 for F_EXISTS */
	int needstr;		/* an operand is a glob for fnmatch(3): a
				   string value is copied out NUL-terminated */
};

/*
 * Parses text into f.  Returns 0, or -1 with a message in err that points
 * at what is wrong (and nothing of f to free).  filter_free empties f.
 */
int filter_parse(struct filter *f, const char *text, char *err, size_t n);
void filter_free(struct filter *f);

/*
 * Finds the value that the path of f names in the event that s scanned:
 * returns 1 and the value in *v, or 0 when it is absent (a null attribute
 * is absent, a null field in data is a value).  evproject's paths are
 * filters without an operator, so that the two cannot drift apart.
 */
int filter_lookup(const struct filter *f, const struct scanner *s,
    const struct ce_event *ev, struct jspan *v);

/*
 * Tells whether the event that s scanned (and ce_check filled ev from)
 * passes every filter.
 */
int filter_all(const struct filter *f, size_t nf, const struct scanner *s,
    const struct ce_event *ev);

#endif
