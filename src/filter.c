/* SPDX-License-Identifier: ISC */
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

/* The operators, longest first where one begins another. */
static const struct {
	const char *s;
	int op;
} ops[] = {
	{ ">=", F_GE }, { "<=", F_LE }, { "!=", F_NE }, { "=", F_EQ },
	{ ">", F_GT }, { "<", F_LT }
};

/* What people bring from other languages, and what we write instead. */
static const struct {
	const char *wrong, *right;
} opfix[] = {
	{ "==", "=" }, { "===", "=" }, { "=>", ">=" }, { "=<", "<=" },
	{ "<>", "!=" }, { "!==", "!=" }, { "=!", "!=" }
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Tells whether c is white space: never part of what a user meant. */
static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The operator to write for op[0..run): itself, or the fix of a habit. */
static const char *
fixop(const char *op, size_t run, size_t *len)
{
	size_t i;

	for (i = 0; i < NELEM(opfix); i++)
		if (strlen(opfix[i].wrong) == run &&
		    memcmp(opfix[i].wrong, op, run) == 0) {
			*len = strlen(opfix[i].right);
			return opfix[i].right;
		}
	*len = run;
	return op;
}

/*
 * "data.total > 10": spaces around the operator would be part of the key
 * and of the value, and such a filter never matches.  Returns 0 when
 * there are none, else -1 with the filter as it should be written.
 */
static int
spaced(const char *text, size_t plen, size_t oplen, char *err, size_t n)
{
	const char *v = text + plen + oplen, *op;
	size_t a = 0, b = plen, vl, ol;

	if (!(plen > 0 && (blank(text[0]) || blank(text[plen - 1]))) &&
	    !(oplen > 0 && blank(*v)))
		return 0;
	while (a < b && blank(text[a]))
		a++;
	while (b > a && blank(text[b - 1]))
		b--;
	while (blank(*v))
		v++;
	for (vl = strlen(v); vl > 0 && blank(v[vl - 1]); vl--)
		;
	op = fixop(text + plen, oplen, &ol);
	if (oplen > 0 && vl == 0)
		return seterr(err, n, "\"%s\": a value is missing after \"%.*s\"",
		    text, (int)ol, op);
	return seterr(err, n, "\"%s\": no spaces around %s: write '%.*s%.*s%.*s'",
	    text, oplen > 0 ? "the operator" : "a name", (int)(b - a),
	    text + a, (int)ol, op, (int)vl, v);
}

/*
 * Reads the operator at op into f->op.  Returns its length (0 for none),
 * or -1 with a message, and a hint for the operators of other languages.
 */
static int
parseop(struct filter *f, const char *op, char *err, size_t n)
{
	size_t run = strspn(op, "=!<>"), i, fl, plen = (size_t)(op - f->text);
	const char *fix;

	f->op = F_EXISTS;
	if (run == 0)
		return 0;
	for (i = 0; i < NELEM(ops); i++)
		if (strlen(ops[i].s) == run && memcmp(ops[i].s, op, run) == 0) {
			f->op = ops[i].op;
			return (int)run;
		}
	if (run == 1)
		return seterr(err, n, "\"%s\": \"!\" must be \"!=\"", f->text);
	if ((fix = fixop(op, run, &fl)) != op)
		return seterr(err, n, "\"%s\": \"%.*s\" is not an operator: "
		    "write '%.*s%.*s%s'", f->text, (int)run, op, (int)plen,
		    f->text, (int)fl, fix, op + run);
	return seterr(err, n, "\"%s\": \"%.*s\" is not an operator (=, !=, >, "
	    ">=, <, <=)", f->text, (int)run, op);
}

/* Reads the name and the keys of the path text[0..plen) into f. */
static int
parsepath(struct filter *f, const char *text, size_t plen, char *err,
    size_t n)
{
	size_t start, i, kl;
	int k;

	if (plen == 0)
		return seterr(err, n, "\"%s\": a name is missing before \"%s\"",
		    text, text);
	/* jq's ".data.total": our paths start at the attribute. */
	if (text[0] == '.')
		return seterr(err, n, "\"%s\": no dot before the name: write "
		    "'%s'", text, text + 1);
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
	for (i = start; i < plen; i += kl + 1) {
		kl = strcspn(text + i + 1, ".=!<>");
		if (kl == 0)
			return seterr(err, n, "\"%s\": an empty key after byte %zu",
			    text, i + 1);
		/* jq's "items[0]": an index is a key of digits here. */
		if (text[i + kl] == ']' && memchr(text + i + 1, '[', kl))
			return seterr(err, n, "\"%s\": an index is a key of "
			    "digits: data.items.0, not data.items[0]", text);
		f->keys = xrealloc(f->keys, (f->nkeys + 1) * sizeof(*f->keys));
		f->keys[f->nkeys] = xmalloc(kl + 1);
		memcpy(f->keys[f->nkeys], text + i + 1, kl);
		f->keys[f->nkeys++][kl] = '\0';
	}
	return 0;
}

/*
 * The end of the alternative that starts at s: the next comma that is
 * neither escaped (\,) nor in a bracket expression ([,]), as fnmatch(3)
 * reads both as a comma.
 */
static const char *
altend(const char *s)
{
	const char *p, *q;

	for (p = s; *p != '\0' && *p != ','; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '[') {
			q = p + 1;
			if (*q == '!' || *q == '^')
				q++;
			if (*q == ']')
				q++;
			q += strcspn(q, "]");
			if (*q == ']')
				p = q;
		}
	}
	return p;
}

/*
 * Tells whether s[0..len) is printable ASCII with none of fnmatch(3)'s
 * special characters: a literal that matches its own bytes only.
 */
static int
plainascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '*' || s[i] == '?' ||
		    s[i] == '[' || s[i] == '\\')
			return 0;
	return 1;
}

/* Sets up operand v from text s[0..len): what kind of value it is. */
static void
setval(struct fval *v, const char *s, size_t len)
{
	char *end;

	/* "" alone is the empty string: there is no other way to write it. */
	if (len == 2 && s[0] == '"' && s[1] == '"')
		len = 0;
	v->text = xmalloc(len + 1);
	memcpy(v->text, s, len);
	v->text[len] = '\0';
	v->isnum = number(v->text, &v->num);
	if (v->isnum && strspn(v->text, "-0123456789") == len) {
		errno = 0;
		v->ival = strtoll(v->text, &end, 10);
		/* Past 64 bits: above (or below) every int64. */
		v->isint = errno == ERANGE ? (v->text[0] == '-' ? -2 : 2) :
		    *end == '\0';
	}
	v->istime = rfc3339_parse(v->text, len, &v->usec) == 0;
	v->glob = strpbrk(v->text, "*?[\\") != NULL;
	/*
	 * "order.*": fnmatch(3) without flags matches it against exactly the
	 * strings that start with "order.", so a memcmp does.  The scanner
	 * lets no NUL into a string, escaped or not, to cut fnmatch's short.
	 */
	if (len > 0 && v->text[len - 1] == '*' && plainascii(v->text, len - 1)) {
		v->prefix = 1;
		v->plen = len - 1;
	}
}

/*
 * Checks one operand s[0..len) for what cannot mean what was written:
 * nothing, quotes that the shell left in, a decimal comma.
 */
static int
checkval(const struct filter *f, const char *s, size_t len, char *err,
    size_t n)
{
	size_t d;

	if (len == 0)
		return seterr(err, n, "\"%s\": an empty alternative; \"\" is the "
		    "empty string, [,] or \\, a comma", f->text);
	if (len >= 2 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0] &&
	    !(len == 2 && s[0] == '"'))
		return seterr(err, n, "\"%s\": the quotes would be part of the "
		    "value: write %.*s, not %.*s (the shell's quotes are enough;"
		    " [%c] matches a quote)", f->text, len == 2 ? 2 : (int)len - 2,
		    len == 2 ? "\"\"" : s + 1, (int)len, s, s[0]);
	d = strspn(s, "-0123456789");
	if (f->op != F_EQ && f->op != F_NE && d > 0 && d < len && s[d] == ',' &&
	    strspn(s + d + 1, "0123456789") == len - d - 1 && d + 1 < len)
		return seterr(err, n, "\"%s\": a number takes a decimal point: "
		    "write %.*s.%.*s", f->text, (int)d, s, (int)(len - d - 1),
		    s + d + 1);
	return 0;
}

/* Reads the operand at v into f: alternatives for "=" and "!=". */
static int
parsevalues(struct filter *f, const char *v, char *err, size_t n)
{
	const char *p = v, *e;
	size_t i;

	for (i = 0; i < NELEM(ops) && ops[i].op != f->op; i++)
		;
	if (*v == '\0')
		return seterr(err, n, "\"%s\": a value is missing after \"%s\" "
		    "(an unset shell variable?); \"\" is the empty string",
		    f->text, ops[i].s);
	if (*v == '~' && (f->op == F_EQ || f->op == F_NE))
		return seterr(err, n, "\"%s\": no regular expressions: %s takes "
		    "fnmatch(3) globs (type=order.*); [~] matches a \"~\"",
		    f->text, ops[i].s);
	for (;;) {
		e = f->op == F_EQ || f->op == F_NE ? altend(p) : p + strlen(p);
		if (checkval(f, p, (size_t)(e - p), err, n) == -1)
			return -1;
		f->val = xrealloc(f->val, (f->nval + 1) * sizeof(*f->val));
		memset(&f->val[f->nval], 0, sizeof(*f->val));
		setval(&f->val[f->nval], p, (size_t)(e - p));
		if (f->val[f->nval].glob && !f->val[f->nval].prefix &&
		    (f->op == F_EQ || f->op == F_NE))
			f->needstr = 1;
		f->nval++;
		if (*e == '\0')
			return 0;
		p = e + 1;
	}
}

int
filter_parse(struct filter *f, const char *text, char *err, size_t n)
{
	size_t plen;
	int oplen;

	memset(f, 0, sizeof(*f));
	f->text = text;
	if (*text == '\0')
		return seterr(err, n, "an empty filter");
	plen = strcspn(text, "=!<>");
	if (spaced(text, plen, strspn(text + plen, "=!<>"), err, n) == -1)
		return -1;
	if ((oplen = parseop(f, text + plen, err, n)) == -1)
		return -1;
	/* A filter refused leaves nothing behind to free. */
	if (parsepath(f, text, plen, err, n) == -1 || (f->op != F_EXISTS &&
	    parsevalues(f, text + plen + oplen, err, n) == -1)) {
		filter_free(f);
		return -1;
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
	for (i = 0; i < f->nval; i++)
		free(f->val[i].text);
	free(f->val);
	memset(f, 0, sizeof(*f));	/* freeing it again is harmless */
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
numcmp(const struct fval *f, const struct jspan *v)
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
order(const struct fval *f, const struct jspan *v, const char *str,
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
	c = strncmp(str, f->text, len);
	if (c == 0)
		return strlen(f->text) > len ? -1 : 0;
	return c < 0 ? -1 : 1;
}

/*
 * Tells whether the value v, whose text is str[0..len), equals operand a.
 * str is NUL-terminated unless a is a literal or a prefix.
 */
static int
equals(const struct fval *a, const struct jspan *v, const char *str,
    size_t len)
{
	if (v->type == SCAN_NUMBER && a->isnum)
		return numcmp(a, v) == 0;
	if (v->type == SCAN_TRUE || v->type == SCAN_FALSE ||
	    v->type == SCAN_NULL)
		return strcmp(a->text, str) == 0;	/* by name, no glob */
	if (v->type == SCAN_OBJECT || v->type == SCAN_ARRAY)
		return 0;
	if (a->prefix)
		return len >= a->plen && memcmp(a->text, str, a->plen) == 0;
	return a->glob ? fnmatch(a->text, str, 0) == 0 :
	    strlen(a->text) == len && memcmp(a->text, str, len) == 0;
}

static int
match(const struct filter *f, const struct scanner *s,
    const struct ce_event *ev)
{
	char small[256], *buf, *heap = NULL;
	const char *str;
	struct jspan v;
	size_t len = 0, i;
	int r = 0, c;

	if (!filter_lookup(f, s, ev, &v))
		return f->op == F_NE;
	if (f->op == F_EXISTS)
		return v.type != SCAN_NULL;
	/*
	 * A string without escapes is its own text, compared where it lies,
	 * unless fnmatch(3) needs it NUL-terminated.  Otherwise the text a
	 * value holds is copied out, decoded and NUL-terminated.
	 */
	if (v.type == SCAN_STRING && !f->needstr &&
	    memchr(v.p + 1, '\\', v.len - 2) == NULL) {
		str = v.p + 1;
		len = v.len - 2;
	} else if (v.type == SCAN_STRING) {
		buf = v.len - 1 <= sizeof(small) ? small :
		    (heap = xmalloc(v.len));
		len = scan_unescape(v.p + 1, v.len - 2, buf);
		buf[len] = '\0';
		str = buf;
	} else {
		buf = v.len < sizeof(small) ? small : (heap = xmalloc(v.len + 1));
		memcpy(buf, v.p, v.len);
		buf[v.len] = '\0';
		len = v.len;
		str = buf;
	}
	/* "=" holds when one alternative matches; "!=" when none does. */
	if (f->op == F_EQ || f->op == F_NE) {
		for (i = 0; i < f->nval && !r; i++)
			r = equals(&f->val[i], &v, str, len);
		free(heap);
		return f->op == F_EQ ? r : !r;
	}
	c = order(&f->val[0], &v, str, len);
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
