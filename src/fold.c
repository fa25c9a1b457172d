/* SPDX-License-Identifier: ISC */
/*
 * fold.c - projections: the rules, the fold of one event into the state,
 * the checkpoint, and the state file.
 *
 * The input side stays on the scanner's spans: the type, the key and the
 * sequence are read from the bytes, a number is parsed from its span, and
 * jansson builds a tree only for a value a rule stores (merge, set, push).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fold.h"
#include "util.h"

struct site;

/*
 * An operation: applies the rule to the event whose key and value st
 * holds, or says why it does not fit.  Returns an enum fold_result.
 */
typedef int fold_opfn(struct fold *, struct site *st, char *err, size_t n);

static fold_opfn op_merge, op_set, op_delete, op_add, op_sub, op_count,
    op_push, op_min, op_max;

/* What value an operation takes from the event. */
enum { VAL_NONE, VAL_ANY, VAL_NUMBER, VAL_ORDERED };

struct fold_opdef {
	const char *name;	/* as a rule spells it */
	fold_opfn *fn;		/* what it does; NULL for ignore */
	int value;		/* the value it takes: VAL_* */
	int undoes;		/* it can apply an event of evlog revert */
	int keeps;		/* it keeps the value in the state */
};

/* The operations, by enum fold_op. */
static const struct fold_opdef fold_ops[] = {
	{ "merge",	op_merge,	VAL_ANY,	0, 1 },
	{ "set",	op_set,		VAL_ANY,	0, 1 },
	{ "delete",	op_delete,	VAL_NONE,	0, 0 },
	{ "add",	op_add,		VAL_NUMBER,	1, 0 },
	{ "sub",	op_sub,		VAL_NUMBER,	1, 0 },
	{ "count",	op_count,	VAL_NONE,	1, 0 },
	{ "push",	op_push,	VAL_ANY,	0, 1 },
	{ "min",	op_min,		VAL_ORDERED,	0, 0 },
	{ "max",	op_max,		VAL_ORDERED,	0, 0 },
	{ "ignore",	NULL,		VAL_NONE,	0, 0 }
};

#define NOPS (sizeof(fold_ops) / sizeof(fold_ops[0]))

#define MAXTYPES 1024		/* the most types kept for fold_unmatched */

/* A number as a rule sees it: an int64 while it fits, else a double. */
struct num {
	int isint;		/* i holds it; else d */
	long long i;		/* the integer */
	double d;		/* the real */
};

/*
 * Sets b to the text a string or number value holds, decoded and
 * NUL-terminated.  Returns -1 for any other type.
 */
static int
spantext(struct buf *b, const char *p, size_t len, int type)
{
	b->len = 0;
	buf_reserve(b, len + 1);
	if (type == SCAN_STRING)
		b->len = scan_unescape(p + 1, len - 2, b->p);
	else if (type == SCAN_NUMBER || type == SCAN_TRUE ||
	    type == SCAN_FALSE) {
		memcpy(b->p, p, len);
		b->len = len;
	} else
		return -1;
	b->p[b->len] = '\0';
	return 0;
}

static int
parse_rule(struct fold_rule *r, const char *text, char *err, size_t n)
{
	const char *eq, *op, *field = NULL, *path = NULL;
	char ferr[512];
	size_t oplen, flen = 0, i, k;

	memset(r, 0, sizeof(*r));
	r->text = text;
	eq = strchr(text, '=');
	if (eq == NULL)
		return seterr(err, n, "\"%s\": not GLOB=OP[:FIELD[=PATH]]", text);
	if (eq == text)
		return seterr(err, n, "\"%s\": a type glob is missing before "
		    "\"=\"", text);
	r->glob = xmalloc((size_t)(eq - text) + 1);
	memcpy(r->glob, text, (size_t)(eq - text));
	r->glob[eq - text] = '\0';
	if (strcmp(r->glob, "*") == 0)
		r->match = 1;
	else if (strpbrk(r->glob, "*?[\\") == NULL)
		r->match = 2;
	op = eq + 1;
	oplen = strcspn(op, ":");
	for (i = 0; i < NOPS; i++)
		if (strlen(fold_ops[i].name) == oplen &&
		    memcmp(fold_ops[i].name, op, oplen) == 0)
			break;
	if (i == NOPS)
		return seterr(err, n, "\"%s\": \"%.*s\" is not an operation "
		    "(merge, set, delete, add, sub, count, push, min, max, "
		    "ignore)", text, (int)oplen, op);
	r->op = (int)i;
	r->hassrc = fold_ops[i].value != VAL_NONE;
	if (op[oplen] == ':') {
		field = op + oplen + 1;
		flen = strcspn(field, "=");
		if (field[flen] == '=')
			path = field + flen + 1;
		/* "OP:=PATH": the entity itself, the value from PATH. */
		if (flen == 0 && path == NULL)
			return seterr(err, n, "\"%s\": a field is missing after "
			    "\":\"", text);
		for (i = 0; flen > 0 && i <= flen; i += k + 1) {
			k = strcspn(field + i, ".=");
			if (k > flen - i)
				k = flen - i;
			if (k == 0)
				return seterr(err, n, "\"%s\": an empty key in the "
				    "field \"%.*s\"", text, (int)flen, field);
			r->field = xrealloc(r->field, (r->nfield + 1) *
			    sizeof(*r->field));
			r->field[r->nfield] = xmalloc(k + 1);
			memcpy(r->field[r->nfield], field + i, k);
			r->field[r->nfield++][k] = '\0';
		}
	}
	if (flen == 0)
		field = NULL;
	if (r->op == OP_IGNORE && field != NULL)
		return seterr(err, n, "\"%s\": ignore takes no field", text);
	if (!r->hassrc && path != NULL)
		return seterr(err, n, "\"%s\": %s takes no path", text,
		    fold_ops[r->op].name);
	if (!r->hassrc)
		return 0;
	if (path != NULL && *path == '\0')
		return seterr(err, n, "\"%s\": a path is missing after \"=\"",
		    text);
	if (path != NULL)
		r->path = xstrdup(path);
	else if (field != NULL) {
		r->path = xmalloc(flen + 6);
		memcpy(r->path, "data.", 5);
		memcpy(r->path + 5, field, flen);
		r->path[flen + 5] = '\0';
	} else
		r->path = xstrdup("data");
	if (strpbrk(r->path, "=!<>") != NULL)
		return seterr(err, n, "\"%s\": \"%s\" is not a path", text,
		    r->path);
	if (filter_parse(&r->src, r->path, ferr, sizeof(ferr)) == -1)
		return seterr(err, n, "\"%s\": %s", text, ferr);
	return 0;
}

int
fold_rule_parse(struct fold_rule *r, const char *text, char *err, size_t n)
{
	/* A rule refused leaves nothing behind to free. */
	if (parse_rule(r, text, err, n) == 0)
		return 0;
	fold_rule_free(r);
	return -1;
}

void
fold_rule_free(struct fold_rule *r)
{
	size_t i;

	for (i = 0; i < r->nfield; i++)
		free(r->field[i]);
	free(r->field);
	free(r->glob);
	if (r->path != NULL)
		filter_free(&r->src);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

int
fold_init(struct fold *f, const char *keypath, struct fold_rule *r,
    size_t nr, char *err, size_t n)
{
	char ferr[512];

	memset(f, 0, sizeof(*f));
	f->lockfd = -1;
	f->r = r;
	f->nr = nr;
	f->unhit = nr;
	f->state = json_object();
	f->types = json_object();
	if (f->state == NULL || f->types == NULL)
		machinefail(NULL, 0, "out of memory");
	if (fold_rule_parse(&f->def[0], "*.deleted=delete", ferr,
	    sizeof(ferr)) == -1 || fold_rule_parse(&f->def[1], "*=merge",
	    ferr, sizeof(ferr)) == -1)
		return seterr(err, n, "%s", ferr);
	if (keypath == NULL)
		keypath = "subject";
	if (strpbrk(keypath, "=!<>") != NULL)
		return seterr(err, n, "\"%s\" is not a path", keypath);
	if (filter_parse(&f->key, keypath, ferr, sizeof(ferr)) == -1)
		return seterr(err, n, "%s", ferr);
	return 0;
}

void
fold_free(struct fold *f)
{
	size_t i;

	for (i = 0; i < f->nr; i++)
		fold_rule_free(&f->r[i]);
	fold_rule_free(&f->def[0]);
	fold_rule_free(&f->def[1]);
	filter_free(&f->key);
	if (f->lockfd >= 0)
		close(f->lockfd);
	json_decref(f->state);
	json_decref(f->types);
	buf_free(&f->ck.seq);
	buf_free(&f->ck.id);
	buf_free(&f->type);
	buf_free(&f->tmp);
	buf_free(&f->k);
}

/* The first rule for the type in f->type, or NULL when none matches. */
static struct fold_rule *
findrule(struct fold *f)
{
	const char *t = f->type.p;
	size_t i, len = f->type.len;

	if (f->nr == 0) {
		/* The event-carried state default. */
		if ((len > 8 && strcmp(t + len - 8, ".deleted") == 0) ||
		    (len > 8 && strcmp(t + len - 8, ".removed") == 0))
			return &f->def[0];
		return &f->def[1];
	}
	for (i = 0; i < f->nr; i++) {
		struct fold_rule *r = &f->r[i];

		if (r->match == 1 || (r->match == 2 ? strlen(r->glob) == len &&
		    memcmp(r->glob, t, len) == 0 : fnmatch(r->glob, t, 0) == 0))
			return r;
	}
	return NULL;
}

/*
 * Orders two sequences: numerically when both are all digits (so that
 * "9" comes before "10" as well as "000000000009" before "000000000010"),
 * else bytewise, as the CloudEvents sequence extension says.
 */
static int
seqcmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c;

	if (al > 0 && bl > 0 && strspn(a, "0123456789") == al &&
	    strspn(b, "0123456789") == bl) {
		while (al > 1 && *a == '0')
			a++, al--;
		while (bl > 1 && *b == '0')
			b++, bl--;
		if (al != bl)
			return al < bl ? -1 : 1;
		return memcmp(a, b, al);
	}
	c = memcmp(a, b, al < bl ? al : bl);
	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

/*
 * Tells whether the event was applied before: 1 to skip it, 0 to fold it,
 * -1 (with err) when it cannot say.
 */
static int
before(struct fold *f, const struct ce_event *ev, char *err, size_t n)
{
	const struct scan_member *m;

	if (f->ck.seq.len > 0) {
		m = ev->a[CE_SEQUENCE];
		if (m == NULL || spantext(&f->tmp, m->val, m->vallen,
		    m->type) == -1 || f->tmp.len == 0)
			return seterr(err, n, "no sequence, and the checkpoint "
			    "is sequence %s: cannot tell whether it was applied",
			    f->ck.seq.p);
		return seqcmp(f->tmp.p, f->tmp.len, f->ck.seq.p,
		    f->ck.seq.len) <= 0;
	}
	if (f->ck.id.len > 0 && !f->ck.passed) {
		m = ev->a[CE_ID];
		(void)spantext(&f->tmp, m->val, m->vallen, m->type);
		if (f->tmp.len == f->ck.id.len &&
		    memcmp(f->tmp.p, f->ck.id.p, f->tmp.len) == 0)
			f->ck.passed = 1;
		return 1;
	}
	return 0;
}

/* Moves the checkpoint to the event. */
static void
advance(struct fold *f, const struct ce_event *ev)
{
	const struct scan_member *m = ev->a[CE_SEQUENCE];

	f->ck.seq.len = 0;
	if (m == NULL || spantext(&f->ck.seq, m->val, m->vallen, m->type) ==
	    -1)
		f->ck.seq.len = 0;
	m = ev->a[CE_ID];
	(void)spantext(&f->ck.id, m->val, m->vallen, m->type);
	f->ck.passed = 1;
}

/* Tells whether the event undoes another: it carries "reverts". */
static int
isrevert(const struct scanner *s)
{
	size_t i;

	for (i = 0; i < s->nm; i++)
		if (s->m[i].type == SCAN_STRING && s->m[i].namelen == 7 &&
		    scan_name_is(&s->m[i], "reverts"))
			return 1;
	return 0;
}

/* Reads the number that the validated span v holds. */
static void
spannum(const struct jspan *v, struct num *x)
{
	char *end;

	x->isint = 0;
	if (strcspn(v->p, ".eE,]} \t\r\n") >= v->len) {
		errno = 0;
		x->i = strtoll(v->p, &end, 10);
		x->isint = errno == 0 && end == v->p + v->len;
	}
	if (!x->isint)
		x->d = strtod(v->p, NULL);
}

static double
numd(const struct num *x)
{
	return x->isint ? (double)x->i : x->d;
}

/* a += b (b negated when neg), leaving int64 for a double on overflow. */
static void
numadd(struct num *a, const struct num *b, int neg)
{
	long long r;

	if (a->isint && b->isint && !(neg ?
	    __builtin_sub_overflow(a->i, b->i, &r) :
	    __builtin_add_overflow(a->i, b->i, &r))) {
		a->i = r;
		return;
	}
	a->d = neg ? numd(a) - numd(b) : numd(a) + numd(b);
	a->isint = 0;
}

/* The value of x as a new jansson number, or NULL when it is not finite. */
static json_t *
mknum(const struct num *x)
{
	if (x->isint)
		return json_integer(x->i);
	if (!isfinite(x->d))
		return NULL;
	return json_real(x->d);
}

/*
 * RFC 7386 JSON merge patch: returns patch applied to target (whose
 * reference it takes), as a new reference.
 */
static json_t *
mergepatch(json_t *target, json_t *patch)
{
	const char *k;
	size_t kl;
	json_t *v;

	if (!json_is_object(patch)) {
		json_decref(target);
		return json_incref(patch);
	}
	if (!json_is_object(target)) {
		json_decref(target);
		target = json_object();
	}
	json_object_keylen_foreach(patch, k, kl, v) {
		if (json_is_null(v))
			json_object_deln(target, k, kl);
		else
			json_object_setn_new_nocheck(target, k, kl, mergepatch(
			    json_incref(json_object_getn(target, k, kl)), v));
	}
	return target;
}

/* Writes the field path of r up to key i into b, for messages. */
static const char *
fieldname(const struct fold_rule *r, size_t upto, struct buf *b)
{
	size_t i;

	b->len = 0;
	for (i = 0; i <= upto && i < r->nfield; i++) {
		if (i > 0)
			buf_putc(b, '.');
		buf_puts(b, r->field[i]);
	}
	buf_putc(b, '\0');
	return b->p;
}

static const char *
kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: case JSON_REAL: return "a number";
	case JSON_NULL: return "null";
	default: return "a boolean";
	}
}

/*
 * Says that the value's path of r is absent from the event; and when the
 * path names an attribute that the data has as a field (=amount, where
 * data.amount was meant), the rule to write instead.
 */
static int
nosrc(const struct fold_rule *r, const struct scanner *s,
    const struct ce_event *ev, char *err, size_t n)
{
	struct filter d;
	struct jspan v;
	struct buf t = { 0 };
	char ferr[256];
	size_t keep;
	int has = 0;

	if (r->src.attr != CE_DATA) {
		buf_puts(&t, "data.");
		buf_puts(&t, r->path);
		buf_putc(&t, '\0');
		has = filter_parse(&d, t.p, ferr, sizeof(ferr)) == 0 &&
		    filter_lookup(&d, s, ev, &v);
		filter_free(&d);
	}
	/* An explicit path ends the rule's text. */
	keep = strlen(r->text) - strlen(r->path);
	if (has)
		seterr(err, n, "\"%s\": no %s (an attribute), but the data has "
		    "it: write %.*sdata.%s", r->text, r->path, (int)keep,
		    r->text, r->path);
	else
		seterr(err, n, "\"%s\": no %s", r->text, r->path);
	buf_free(&t);
	return -1;
}

/*
 * Where the fold of one event acts, and with what: filled by prepare()
 * before anything changes, so that an operation that finds a misfit can
 * leave the state as it was.
 */
struct site {
	const struct fold_rule *r;	/* the rule */
	const char *key;	/* the entity's key (f->k), decoded */
	size_t klen;		/* its length */
	json_t *entity;		/* the entity, or NULL */
	json_t *cur;		/* the object that holds the last field, or NULL */
	json_t *target;		/* what the operation acts on, or NULL */
	size_t last;		/* the index of the last field */
	struct jspan v;		/* the value, when the operation takes one */
	struct num b;		/* the value as a number; 1 for count */
	int revert;		/* the event undoes another (evlog revert) */
};

/* Names where the rule acts, for messages: its field, or the entity. */
static const char *
where(struct fold *f, const struct site *st)
{
	if (st->r->nfield == 0)
		return "the entity";
	return fieldname(st->r, st->last, &f->tmp);
}

/* A number of the state as a struct num, which sum() and extreme() take. */
static void
jnum(const json_t *t, struct num *x)
{
	x->isint = json_is_integer(t);
	x->i = x->isint ? json_integer_value(t) : 0;
	x->d = json_real_value(t);
}

/* The value of the event as a new jansson value. */
static json_t *
loadval(const struct site *st)
{
	json_t *val;

	val = st->v.type == SCAN_NUMBER ? mknum(&st->b) : json_loadb(st->v.p,
	    st->v.len, JSON_DECODE_ANY, NULL);
	if (val == NULL)
		machinefail(NULL, 0, "out of memory");
	return val;
}

/* Removes what the rule acts on: the entity, or its last field. */
static int
drop(struct fold *f, const struct site *st)
{
	if (st->r->nfield == 0) {
		json_object_deln(f->state, st->key, st->klen);
		f->deleted = 1;
	} else
		json_object_del(st->cur, st->r->field[st->last]);
	return FOLD_APPLIED;
}

/*
 * Puts nv (whose reference it takes) where the rule acts, making the
 * entity and the objects on the way.  A null removes the member, or the
 * entity, as RFC 7386 does.
 */
static int
put(struct fold *f, const struct site *st, json_t *nv)
{
	const struct fold_rule *r = st->r;
	json_t *cur, *nxt;
	size_t i;

	if (json_is_null(nv)) {
		json_decref(nv);
		return st->target == NULL ? FOLD_UNCHANGED : drop(f, st);
	}
	if (r->nfield == 0) {
		json_object_setn_new_nocheck(f->state, st->key, st->klen, nv);
		return FOLD_APPLIED;
	}
	if ((cur = st->entity) == NULL) {
		cur = json_object();
		json_object_setn_new_nocheck(f->state, st->key, st->klen, cur);
	}
	for (i = 0; i < st->last; i++, cur = nxt)
		if ((nxt = json_object_get(cur, r->field[i])) == NULL) {
			nxt = json_object();
			json_object_set_new(cur, r->field[i], nxt);
		}
	json_object_set_new(cur, r->field[st->last], nv);
	return FOLD_APPLIED;
}

/* merge: the value as an RFC 7386 merge patch. */
static int
op_merge(struct fold *f, struct site *st, char *err, size_t n)
{
	json_t *val, *nv;

	(void)err, (void)n;
	val = loadval(st);
	nv = mergepatch(json_incref(st->target), val);
	json_decref(val);
	return put(f, st, nv);
}

/* set: the value, in place of what was there. */
static int
op_set(struct fold *f, struct site *st, char *err, size_t n)
{
	(void)err, (void)n;
	return put(f, st, loadval(st));
}

/* delete: the entity or the field goes; nothing there is no change. */
static int
op_delete(struct fold *f, struct site *st, char *err, size_t n)
{
	(void)err, (void)n;
	return st->target == NULL ? FOLD_UNCHANGED : drop(f, st);
}

/*
 * add, sub and count: the target plus st->b, or minus it with neg.  An
 * absent target is 0.
 */
static int
sum(struct fold *f, struct site *st, int neg, char *err, size_t n)
{
	json_t *t = st->target, *nv;
	struct num a = { 1, 0, 0 };

	if (t != NULL && !json_is_number(t))
		return seterr(err, n, "\"%s\": %s is %s, not a number",
		    st->r->text, where(f, st), kind(t)), FOLD_MISFIT;
	if (t != NULL)
		jnum(t, &a);
	numadd(&a, &st->b, neg);
	/* In place while the kind stays: no allocation per event. */
	if (t != NULL && a.isint && json_is_integer(t)) {
		json_integer_set(t, a.i);
		return FOLD_APPLIED;
	}
	if (t != NULL && !a.isint && json_is_real(t) &&
	    json_real_set(t, a.d) == 0)
		return FOLD_APPLIED;
	if ((nv = mknum(&a)) == NULL)
		return seterr(err, n, "\"%s\": the result is not a finite "
		    "number", st->r->text), FOLD_MISFIT;
	return put(f, st, nv);
}

/*
 * A compensating event of evlog revert carries its numbers negated
 * already, so add and sub undo by applying it as it is; a count has no
 * number to negate, so it counts down.
 */
static int
op_add(struct fold *f, struct site *st, char *err, size_t n)
{
	return sum(f, st, 0, err, n);
}

static int
op_sub(struct fold *f, struct site *st, char *err, size_t n)
{
	return sum(f, st, 1, err, n);
}

static int
op_count(struct fold *f, struct site *st, char *err, size_t n)
{
	return sum(f, st, st->revert, err, n);
}

/* push: the value at the end of the array, made when absent. */
static int
op_push(struct fold *f, struct site *st, char *err, size_t n)
{
	json_t *t = st->target, *nv;

	if (t != NULL && !json_is_array(t))
		return seterr(err, n, "\"%s\": %s is %s, not an array",
		    st->r->text, where(f, st), kind(t)), FOLD_MISFIT;
	nv = t != NULL ? json_incref(t) : json_array();
	json_array_append_new(nv, loadval(st));
	return put(f, st, nv);
}

/*
 * min (sign -1) and max (1): the value replaces the target when it comes
 * before it (min) or after it (max).  Numbers compare as numbers, exactly
 * while both are integers; strings bytewise; one with the other not at
 * all.
 */
static int
extreme(struct fold *f, struct site *st, int sign, char *err, size_t n)
{
	const struct num *b = &st->b;
	json_t *t = st->target;
	struct num a;
	int isnum = st->v.type == SCAN_NUMBER, c;

	if (t == NULL)
		return put(f, st, loadval(st));
	if (isnum ? !json_is_number(t) : !json_is_string(t))
		return seterr(err, n, "\"%s\": %s is %s, and %s is %s",
		    st->r->text, where(f, st), kind(t), st->r->path, isnum ?
		    "a number" : "a string"), FOLD_MISFIT;
	if (isnum) {
		jnum(t, &a);
		c = a.isint && b->isint ? (b->i > a.i) - (b->i < a.i) :
		    (numd(b) > numd(&a)) - (numd(b) < numd(&a));
	} else {
		(void)spantext(&f->tmp, st->v.p, st->v.len, st->v.type);
		c = strcmp(f->tmp.p, json_string_value(t));
	}
	if (sign < 0 ? c >= 0 : c <= 0)
		return FOLD_UNCHANGED;
	return put(f, st, loadval(st));
}

static int
op_min(struct fold *f, struct site *st, char *err, size_t n)
{
	return extreme(f, st, -1, err, n);
}

static int
op_max(struct fold *f, struct site *st, char *err, size_t n)
{
	return extreme(f, st, 1, err, n);
}

/* Reads the event's key into f->k and st. */
static int
getkey(struct fold *f, struct site *st, const struct scanner *s,
    const struct ce_event *ev, char *err, size_t n)
{
	struct jspan v;

	if (!filter_lookup(&f->key, s, ev, &v) || v.type == SCAN_NULL)
		return seterr(err, n, "no key: %s is not set", f->key.text);
	if (spantext(&f->k, v.p, v.len, v.type) == -1)
		return seterr(err, n, "the key %s is not a string or a number",
		    f->key.text);
	if (f->k.len == 0)
		return seterr(err, n, "the key %s is empty", f->key.text);
	st->key = f->k.p;
	st->klen = f->k.len;
	return 0;
}

/* Reads the value of the rule into st, and checks that it fits. */
static int
getvalue(struct site *st, int want, const struct scanner *s,
    const struct ce_event *ev, char *err, size_t n)
{
	const struct fold_rule *r = st->r;
	int type;

	if (!filter_lookup(&r->src, s, ev, &st->v))
		return nosrc(r, s, ev, err, n);
	type = st->v.type;
	if (want == VAL_NUMBER && type != SCAN_NUMBER)
		return seterr(err, n, "\"%s\": %s is not a number", r->text,
		    r->path);
	if (want == VAL_ORDERED && type != SCAN_NUMBER && type != SCAN_STRING)
		return seterr(err, n, "\"%s\": %s is not a number or a string",
		    r->text, r->path);
	if (type == SCAN_NUMBER)
		spannum(&st->v, &st->b);
	return 0;
}

/*
 * Finds where the rule acts without making anything: the entity, the
 * object that holds the last field, and what is there.  Each object on
 * the way must be one.
 */
static int
locate(struct fold *f, struct site *st, char *err, size_t n)
{
	const struct fold_rule *r = st->r;
	json_t *cur;
	size_t i;

	st->entity = cur = json_object_getn(f->state, st->key, st->klen);
	st->last = r->nfield ? r->nfield - 1 : 0;
	if (r->nfield == 0) {
		st->target = cur;
		return 0;
	}
	if (cur != NULL && !json_is_object(cur))
		return seterr(err, n, "\"%s\": the entity is %s, not an object",
		    r->text, kind(cur));
	for (i = 0; i < st->last && cur != NULL; i++) {
		cur = json_object_get(cur, r->field[i]);
		if (cur != NULL && !json_is_object(cur))
			return seterr(err, n, "\"%s\": %s is %s, not an object",
			    r->text, fieldname(r, i, &f->tmp), kind(cur));
	}
	st->cur = cur;
	if (cur != NULL)
		st->target = json_object_get(cur, r->field[st->last]);
	return 0;
}

/*
 * Fills st for rule r and the event, checking in the order the messages
 * promise: a revert the operation cannot undo, a value too deep to keep,
 * the key, the value, then the way to where the operation acts.
 */
static int
prepare(struct fold *f, const struct fold_rule *r, const struct scanner *s,
    const struct ce_event *ev, struct site *st, char *err, size_t n)
{
	const struct fold_opdef *op = &fold_ops[r->op];

	memset(st, 0, sizeof(*st));
	st->r = r;
	st->v.type = SCAN_NONE;
	st->b.isint = 1;
	st->b.i = 1;
	st->revert = isrevert(s);
	if (st->revert && !op->undoes)
		return seterr(err, n, "reverts an event that \"%s\" cannot "
		    "undo (only add, sub and count can)", r->text);
	/*
	 * The state file holds an entity two levels down, and each field
	 * one more: what could not be read back from it is not kept.
	 */
	if (op->keeps && s->deepest + r->nfield + 3 > SCAN_MAXDEPTH)
		return seterr(err, n, "\"%s\": nested too deep to keep in the "
		    "state (%d levels at most)", r->text, SCAN_MAXDEPTH - 1);
	if (getkey(f, st, s, ev, err, n) == -1)
		return -1;
	if (op->value != VAL_NONE && getvalue(st, op->value, s, ev, err,
	    n) == -1)
		return -1;
	return locate(f, st, err, n);
}

/*
 * Applies rule r to the event: everything is checked before anything
 * changes, so that a misfit leaves the state as it was.
 */
static int
apply(struct fold *f, const struct fold_rule *r, const struct scanner *s,
    const struct ce_event *ev, char *err, size_t n)
{
	struct site st;

	f->deleted = 0;
	/* ignore has no handler: it reads nothing, so nothing misfits. */
	if (r == NULL || fold_ops[r->op].fn == NULL)
		return FOLD_UNCHANGED;
	if (prepare(f, r, s, ev, &st, err, n) == -1)
		return FOLD_MISFIT;
	return fold_ops[r->op].fn(f, &st, err, n);
}
/*
 * Keeps the event's type in the set f->types, while a rule has matched
 * nothing yet: what fold_unmatched suggests from.  At most MAXTYPES, so
 * that a stream of ever new types cannot grow it.
 */
static void
seentype(struct fold *f)
{
	if (f->unhit == 0 || json_object_size(f->types) >= MAXTYPES ||
	    json_object_getn(f->types, f->type.p, f->type.len) != NULL)
		return;
	json_object_setn_new_nocheck(f->types, f->type.p, f->type.len,
	    json_true());
}

/* The edit distance of a and b, or more than max when it is. */
static size_t
distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[65], prev, tmp;

	if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > max)
		return max + 1;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = d[j];
			d[j] = a[i - 1] == b[j - 1] ? prev : 1 + (prev < d[j] ?
			    (prev < d[j - 1] ? prev : d[j - 1]) :
			    (d[j] < d[j - 1] ? d[j] : d[j - 1]));
			prev = tmp;
		}
	}
	return d[lb];
}

/*
 * Tells whether type is close to the glob of a rule that matched nothing:
 * the glob is part of it (deposited, account.deposited), in any case, or
 * a literal glob is a typo or two away from it.
 */
static int
closetype(const struct fold_rule *r, const char *type)
{
	struct buf p = { 0 };
	int c;

	buf_putc(&p, '*');
	buf_puts(&p, r->glob);
	buf_putc(&p, '*');
	buf_putc(&p, '\0');
	c = fnmatch(p.p, type, FNM_CASEFOLD) == 0 || (r->match == 2 &&
	    strlen(r->glob) > 3 && distance(r->glob, type, 2) <= 2);
	buf_free(&p);
	return c;
}

/*
 * Lists in b (at most 5) the types keys[0..nk) that the glob of r matches
 * (how 0), that are close to it (1), or all of them (2).  Returns how many
 * were listed.
 */
static size_t
listtypes(struct buf *b, const struct fold_rule *r, const char **keys,
    size_t nk, int how)
{
	size_t j, shown = 0;
	int more = 0;

	b->len = 0;
	for (j = 0; j < nk; j++) {
		if (how == 0 ? fnmatch(r->glob, keys[j], 0) != 0 :
		    how == 1 ? !closetype(r, keys[j]) : 0)
			continue;
		if (shown == 5) {
			more = 1;
			break;
		}
		buf_puts(b, shown++ ? ", " : "");
		buf_puts(b, keys[j]);
	}
	buf_puts(b, more ? ", ..." : "");
	buf_putc(b, '\0');
	return shown;
}

int
fold_unmatched(const struct fold *f, size_t i, char *err, size_t n)
{
	const struct fold_rule *r = &f->r[i];
	const char **keys;
	struct buf b = { 0 };
	size_t nk;

	/*
	 * Not for a catch-all ("*=ignore" after the rules that matter), nor
	 * for a run that went on from a checkpoint: the rule may have met
	 * its events in the runs before.
	 */
	if (i >= f->nr || r->hits > 0 || f->folded == 0 || r->match == 1 ||
	    f->skipped > 0)
		return 0;
	keys = fold_keys(f->types, &nk);
	if (listtypes(&b, r, keys, nk, 0) > 0)
		seterr(err, n, "\"%s\" matched no event: an earlier rule comes "
		    "first for %s", r->text, b.p);
	else if (listtypes(&b, r, keys, nk, 1) > 0)
		seterr(err, n, "\"%s\" matched no event; types seen close to "
		    "\"%s\": %s", r->text, r->glob, b.p);
	else {
		(void)listtypes(&b, r, keys, nk, 2);
		seterr(err, n, "\"%s\" matched no event; types seen: %s",
		    r->text, b.p);
	}
	free(keys);
	buf_free(&b);
	return 1;
}

int
fold_event(struct fold *f, const struct scanner *s,
    const struct ce_event *ev, char *err, size_t n)
{
	const struct scan_member *t = ev->a[CE_TYPE];
	struct fold_rule *r;
	int res;

	switch (before(f, ev, err, n)) {
	case 1:
		f->skipped++;
		return FOLD_SKIPPED;
	case -1:
		return FOLD_MISFIT;
	}
	(void)spantext(&f->type, t->val, t->vallen, t->type);
	r = findrule(f);
	f->folded++;
	if (r != NULL && r->hits++ == 0 && f->nr > 0)
		f->unhit--;
	seentype(f);
	res = apply(f, r, s, ev, err, n);
	advance(f, ev);
	return res;
}

int
fold_lost(const struct fold *f)
{
	return f->ck.seq.len == 0 && f->ck.id.len > 0 && !f->ck.passed &&
	    f->skipped > 0;
}

/* Reads a checkpoint member: absent, or a non-empty string. */
static int
ckmember(json_t *ck, const char *name, struct buf *b)
{
	json_t *v = json_object_get(ck, name);

	b->len = 0;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return -1;
	buf_reserve(b, json_string_length(v) + 1);
	memcpy(b->p, json_string_value(v), json_string_length(v));
	b->len = json_string_length(v);
	b->p[b->len] = '\0';
	return 0;
}

/*
 * Opens the state file at path, made empty when missing, and takes its
 * lock.  A file that a save replaced while we took the lock is not the
 * state file any more: the new one is opened.  Returns the descriptor, or
 * -1 with a reason in err.
 */
static int
lockfile(const char *path, char *err, size_t n)
{
	struct stat a, b;
	int fd, e;

	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0600);
		if (fd == -1) {
			if (errno == ELOOP)
				return seterr(err, n, "a symbolic link: refused");
			return seterr(err, n, "open: %s", strerror(errno));
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			e = errno;
			close(fd);
			if (e == EWOULDBLOCK)
				return seterr(err, n, "in use by another "
				    "evproject");
			return seterr(err, n, "lock: %s", strerror(e));
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
}

/* The directory of path, malloc'd: "." when it has none. */
static char *
dirof(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") :
	    strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		machinefail(NULL, 0, "out of memory");
	return dir;
}

/*
 * Removes what saves of the state file at path left when they were killed
 * before their rename: ".NAME.XXXXXX" in its directory (six letters and
 * digits), the names fold_save gives its temporary files, and no other.
 * Only under the state's lock, where no save of it is going on.
 */
static void
sweep(const char *path)
{
	const char *slash = strrchr(path, '/'), *base, *s;
	char *dir = dirof(path);
	struct dirent *de;
	struct stat sb;
	size_t bl, i;
	DIR *d;

	base = slash == NULL ? path : slash + 1;
	bl = strlen(base);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			s = de->d_name;
			if (s[0] != '.' || strncmp(s + 1, base, bl) != 0 ||
			    s[bl + 1] != '.' || strlen(s + bl + 2) != 6)
				continue;
			for (i = bl + 2; isalnum((unsigned char)s[i]); i++)
				;
			if (s[i] == '\0' && fstatat(dirfd(d), s, &sb,
			    AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(sb.st_mode))
				(void)unlinkat(dirfd(d), s, 0);
		}
		closedir(d);
	}
	free(dir);
}

int
fold_load(struct fold *f, const char *path, int lock, char *err, size_t n)
{
	json_error_t je;
	json_t *root, *st, *ck;
	struct stat sb;
	int fd;

	if (lock) {
		if ((fd = lockfile(path, err, n)) == -1)
			return -1;
		f->lockfd = fd;
		sweep(path);
	} else if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			return seterr(err, n, "a symbolic link: refused");
		return seterr(err, n, "open: %s", strerror(errno));
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		if (!lock)
			close(fd);
		return seterr(err, n, "not a regular file");
	}
	/* Made by lockfile(): no state yet. */
	if (sb.st_size == 0) {
		if (!lock)
			close(fd);
		return 0;
	}
	root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &je);
	if (!lock)
		close(fd);
	if (root == NULL)
		return seterr(err, n, "not a state file: line %d: %s", je.line,
		    je.text);
	st = json_object_get(root, "state");
	ck = json_object_get(root, "checkpoint");
	if (!json_is_object(root) || !json_is_object(st) ||
	    !json_is_object(ck) || ckmember(ck, "sequence", &f->ck.seq) == -1 ||
	    ckmember(ck, "id", &f->ck.id) == -1 || (f->ck.seq.len > 0 &&
	    f->ck.id.len == 0)) {
		json_decref(root);
		return seterr(err, n, "not a state file: an object with "
		    "\"checkpoint\" and \"state\" objects");
	}
	json_decref(f->state);
	f->state = json_incref(st);
	f->ck.passed = 0;
	json_decref(root);
	return 0;
}

/* Compares two object members by key, bytewise. */
static int
keycmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

const char **
fold_keys(const json_t *obj, size_t *np)
{
	const char **keys, *k;
	size_t i = 0, n = json_object_size(obj);
	json_t *m;

	keys = xmalloc((n ? n : 1) * sizeof(*keys));
	json_object_foreach((json_t *)obj, k, m)
		keys[i++] = k;
	if (n > 1)
		qsort(keys, n, sizeof(*keys), keycmp);
	*np = n;
	return keys;
}

void
fold_dump(struct buf *b, const json_t *v)
{
	const char **keys;
	char num[40];
	size_t i, n;
	int prec;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		keys = fold_keys(v, &n);
		buf_putc(b, '{');
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_putc(b, ',');
			(void)buf_jsonstr(b, keys[i], strlen(keys[i]));
			buf_putc(b, ':');
			/* A key jansson gave out leads to its value without
			 * hashing it again. */
			fold_dump(b, json_object_iter_value(
			    json_object_key_to_iter(keys[i])));
		}
		buf_putc(b, '}');
		free(keys);
		break;
	case JSON_ARRAY:
		buf_putc(b, '[');
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				buf_putc(b, ',');
			fold_dump(b, json_array_get(v, i));
		}
		buf_putc(b, ']');
		break;
	case JSON_STRING:
		(void)buf_jsonstr(b, json_string_value(v),
		    json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
		buf_puts(b, num);
		break;
	case JSON_REAL:
		/* The shortest of %.15g to %.17g that reads back the same. */
		for (prec = 15; prec < 17; prec++) {
			snprintf(num, sizeof(num), "%.*g", prec,
			    json_real_value(v));
			if (strtod(num, NULL) == json_real_value(v))
				break;
		}
		snprintf(num, sizeof(num), "%.*g", prec, json_real_value(v));
		buf_puts(b, num);
		if (strpbrk(num, ".e") == NULL)
			buf_puts(b, ".0");
		break;
	case JSON_TRUE:
		buf_puts(b, "true");
		break;
	case JSON_FALSE:
		buf_puts(b, "false");
		break;
	default:
		buf_puts(b, "null");
	}
}

/* replace_file's ready: the new state file is locked as the old one is. */
static int
lockit(int fd, const char *tmp, void *arg)
{
	(void)tmp;
	(void)arg;
	return flock(fd, LOCK_EX);
}

int
fold_save(struct fold *f, const char *path, char *err, size_t n)
{
	struct buf b = { 0 };
	struct stat sb;
	const char *step;
	int fd;

	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
		return seterr(err, n, "a symbolic link: refused");
	buf_puts(&b, "{\"checkpoint\":{");
	if (f->ck.id.len > 0) {
		buf_puts(&b, "\"id\":");
		(void)buf_jsonstr(&b, f->ck.id.p, f->ck.id.len);
		if (f->ck.seq.len > 0) {
			buf_puts(&b, ",\"sequence\":");
			(void)buf_jsonstr(&b, f->ck.seq.p, f->ck.seq.len);
		}
	}
	buf_puts(&b, "},\"state\":");
	fold_dump(&b, f->state);
	buf_puts(&b, "}\n");

	/* A crash leaves path whole, old or new.  The lock goes with the
	 * file: the new one is locked before it takes the name, so no other
	 * evproject gets in between. */
	fd = replace_file(path, b.p, b.len, f->lockfd >= 0 ? lockit : NULL,
	    NULL, f->lockfd >= 0, &step);
	buf_free(&b);
	if (fd == -1)
		return seterr(err, n, "%s: %s", strcmp(step, "fsync of the "
		    "directory") == 0 ? step : "save", strerror(errno));
	if (f->lockfd >= 0) {
		close(f->lockfd);
		f->lockfd = fd;
	}
	return 0;
}
