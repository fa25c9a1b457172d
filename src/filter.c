/*
 * filter.c - parsing and evaluating evsub's filters against the scanner's
 * spans: nothing is parsed into a tree, a data path is followed through
 * the bytes with scan_get and scan_at.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "timefmt.h"
#include "util.h"

/* Parses a whole string as a JSON-style number; returns 1 when it is one. */
static int
number(const char *s, double *d)
{
	char *end;

	if (*s == '\0' || *s == ' ' || *s == '+' || (*s == '0' && s[1] == 'x'))
		return 0;
	errno = 0;
	*d = strtod(s, &end);
	return *end == '\0' && errno == 0 &&
	    strspn(s, "-0123456789.eE+") == strlen(s);
}

int
filter_parse(struct filter *f, const char *text, char *err, size_t n)
{
	size_t plen, i, start;
	const char *op;
	int k;

	memset(f, 0, sizeof(*f));
	f->text = text;
	op = text + strcspn(text, "=!<>");
	plen = (size_t)(op - text);
	if (plen == 0)
		return seterr(err, n, "\"%s\": a name is missing before \"%s\"",
		    text, op);
	switch (*op) {
	case '\0':
		f->op = F_EXISTS;
		break;
	case '=':
		f->op = F_EQ;
		break;
	case '!':
		if (op[1] != '=')
			return seterr(err, n, "\"%s\": \"!\" must be \"!=\"", text);
		f->op = F_NE;
		break;
	case '>':
		f->op = op[1] == '=' ? F_GE : F_GT;
		break;
	default:
		f->op = op[1] == '=' ? F_LE : F_LT;
		break;
	}
	if (f->op != F_EXISTS) {
		f->value = xstrdup(op + (f->op == F_EQ || f->op == F_GT ||
		    f->op == F_LT ? 1 : 2));
		if (strchr("=<>!", f->value[0]) != NULL && f->value[0] != '\0')
			return seterr(err, n, "\"%s\": \"%.*s\" is not an operator "
			    "(=, !=, >, >=, <, <=)", text,
			    (int)(strspn(op, "=<>!")), op);
		f->isnum = number(f->value, &f->num);
		if (f->isnum && strspn(f->value, "-0123456789") ==
		    strlen(f->value)) {
			char *end;

			errno = 0;
			f->ival = strtoll(f->value, &end, 10);
			/* Past 64 bits: above (or below) every int64. */
			f->isint = errno == ERANGE ? (f->value[0] == '-' ?
			    -2 : 2) : *end == '\0';
		}
		f->istime = rfc3339_parse(f->value, strlen(f->value),
		    &f->usec) == 0;
		f->glob = strpbrk(f->value, "*?[\\") != NULL;
	}
	/* The name, then the keys of a data path. */
	start = strcspn(text, ".");
	if (start > plen)
		start = plen;
	f->name = xmalloc(start + 1);
	memcpy(f->name, text, start);
	f->name[start] = '\0';
	if (!ce_name_ok(f->name, start) && strcmp(f->name, "data_base64") != 0)
		return seterr(err, n, "\"%s\": \"%s\" is not an attribute name "
		    "(lower-case a-z and 0-9)", text, f->name);
	for (k = 0; k < CE_NATTR && strcmp(ce_names[k], f->name) != 0; k++)
		;
	f->attr = k;
	if (start < plen && f->attr != CE_DATA)
		return seterr(err, n, "\"%s\": only data has fields; \"%s\" is "
		    "an attribute", text, f->name);
	for (i = start; i < plen; ) {
		size_t kl = strcspn(text + i + 1, ".=!<>");

		if (kl == 0)
			return seterr(err, n, "\"%s\": an empty key after byte %zu",
			    text, i + 1);
		f->keys = xrealloc(f->keys, (f->nkeys + 1) * sizeof(*f->keys));
		f->keys[f->nkeys] = xmalloc(kl + 1);
		memcpy(f->keys[f->nkeys], text + i + 1, kl);
		f->keys[f->nkeys++][kl] = '\0';
		i += kl + 1;
	}
	return 0;
}

void
filter_free(struct filter *f)
{
	size_t i;

	for (i = 0; i < f->nkeys; i++)
		free(f->keys[i]);
	free(f->keys);
	free(f->name);
	free(f->value);
}

int
filter_lookup(const struct filter *f, const struct scanner *s,
    const struct ce_event *ev, struct jspan *v)
{
	const struct scan_member *m = NULL;
	char *end;
	size_t i;
	unsigned long idx;

	if (f->attr < CE_NATTR)
		m = ev->a[f->attr];
	else
		for (i = 0; i < s->nm && m == NULL; i++)
			if (scan_name_is(&s->m[i], f->name))
				m = &s->m[i];
	/* A null attribute is unset; a null field in data is a value. */
	if (m == NULL || (m->type == SCAN_NULL && f->nkeys == 0))
		return 0;
	v->p = m->val;
	v->len = m->vallen;
	v->type = m->type;
	for (i = 0; i < f->nkeys; i++) {
		if (v->type == SCAN_OBJECT) {
			if (!scan_get(v->p, v->len, f->keys[i],
			    strlen(f->keys[i]), v))
				return 0;
		} else if (v->type == SCAN_ARRAY) {
			idx = strtoul(f->keys[i], &end, 10);
			if (*end != '\0' || f->keys[i][0] < '0' ||
			    f->keys[i][0] > '9' || !scan_at(v->p, v->len, idx, v))
				return 0;
		} else
			return 0;
	}
	return 1;
}

/*
 * Compares a number field with a number operand: exactly when both are
 * integers in 64 bits (ids beyond 2^53 stay apart), else as doubles.
 */
static int
numcmp(const struct filter *f, const struct jspan *v)
{
	long long a;
	char *end;
	double d;

	if (f->isint) {
		errno = 0;
		a = strtoll(v->p, &end, 10);
		if (errno == 0 && end == v->p + v->len) {
			if (f->isint == 2 || f->isint == -2)
				return f->isint == 2 ? -1 : 1;
			return a < f->ival ? -1 : a > f->ival;
		}
	}
	d = strtod(v->p, NULL);
	return d < f->num ? -1 : d > f->num;
}

/* Orders a against b, or returns 2 when they do not compare. */
static int
order(const struct filter *f, const struct jspan *v, const char *str,
    size_t len)
{
	int64_t t;
	int c;

	if (v->type == SCAN_NUMBER) {
		if (!f->isnum)
			return 2;
		return numcmp(f, v);
	}
	/* A number operand orders numbers only: "99" is not over 100. */
	if (v->type != SCAN_STRING || f->isnum)
		return 2;
	if (f->istime && rfc3339_parse(str, len, &t) == 0)
		return t < f->usec ? -1 : t > f->usec;
	c = strncmp(str, f->value, len);
	if (c == 0)
		return strlen(f->value) > len ? -1 : 0;
	return c < 0 ? -1 : 1;
}

static int
match(const struct filter *f, const struct scanner *s,
    const struct ce_event *ev)
{
	char small[256], *str = NULL, *heap = NULL;
	struct jspan v;
	size_t len = 0;
	int r, c;

	if (!filter_lookup(f, s, ev, &v))
		return f->op == F_NE;
	if (f->op == F_EXISTS)
		return v.type != SCAN_NULL;
	/* The text a string holds, NUL-terminated for fnmatch(3). */
	if (v.type == SCAN_STRING) {
		str = v.len - 1 <= sizeof(small) ? small :
		    (heap = xmalloc(v.len));
		len = scan_unescape(v.p + 1, v.len - 2, str);
		str[len] = '\0';
	} else {
		str = v.len < sizeof(small) ? small : (heap = xmalloc(v.len + 1));
		memcpy(str, v.p, v.len);
		str[v.len] = '\0';
		len = v.len;
	}
	if (f->op == F_EQ || f->op == F_NE) {
		if (v.type == SCAN_NUMBER && f->isnum)
			r = numcmp(f, &v) == 0;
		else if (v.type == SCAN_TRUE || v.type == SCAN_FALSE ||
		    v.type == SCAN_NULL)
			r = strcmp(f->value, str) == 0;	/* by name, no glob */
		else if (v.type != SCAN_OBJECT && v.type != SCAN_ARRAY)
			r = f->glob ? fnmatch(f->value, str, 0) == 0 :
			    strlen(f->value) == len &&
			    memcmp(f->value, str, len) == 0;
		else
			r = 0;
		free(heap);
		return f->op == F_EQ ? r : !r;
	}
	c = order(f, &v, str, len);
	free(heap);
	switch (f->op) {
	case F_GT: return c == 1;
	case F_GE: return c == 0 || c == 1;
	case F_LT: return c == -1;
	default: return c == 0 || c == -1;
	}
}

int
filter_all(const struct filter *f, size_t nf, const struct scanner *s,
    const struct ce_event *ev)
{
	size_t i;

	for (i = 0; i < nf; i++)
		if (!match(&f[i], s, ev))
			return 0;
	return 1;
}
