/* SPDX-License-Identifier: ISC */
/*
 * fold_test - projections without evproject around them: the rule grammar
 * and its errors, each operation on fresh and existing state, the edges
 * (missing members, wrong types, integer overflow, nested fields, keys),
 * reverts, the checkpoint, fold_unmatched and fold_dump.
 * Usage: fold_test [DATA] (no data is needed here).
 */
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "fold.h"
#include "unit.h"

static struct scanner sc;

/* A fold under test: its rules are parsed by setup, freed by teardown. */
struct t {
	struct fold f;		/* the fold */
	struct buf out;		/* scratch: the state as fold_dump writes it */
	char err[512];		/* the message of the last misfit */
	int nid;		/* the ids given out so far */
};

/*
 * Sets up t with key path key (NULL: subject) and the rules given as
 * arguments, ended by NULL; none gives the defaults.  Returns -1 when a
 * rule or the key does not parse.
 */
static int
setup(struct t *t, const char *key, ...)
{
	struct fold_rule *r = NULL;
	const char *text;
	size_t nr = 0;
	va_list ap;

	memset(t, 0, sizeof(*t));
	va_start(ap, key);
	while ((text = va_arg(ap, const char *)) != NULL) {
		r = realloc(r, (nr + 1) * sizeof(*r));
		if (r == NULL || fold_rule_parse(&r[nr++], text, t->err,
		    sizeof(t->err)) == -1) {
			fprintf(stderr, "bad test rule: %s\n", t->err);
			exit(1);
		}
	}
	va_end(ap);
	return fold_init(&t->f, key, r, nr, t->err, sizeof(t->err));
}

static void
teardown(struct t *t)
{
	struct fold_rule *r = t->f.r;

	fold_free(&t->f);
	free(r);
	buf_free(&t->out);
}

/* Folds the event line; returns what fold_event did. */
static int
line(struct t *t, const char *l)
{
	struct ce_event ev;

	t->err[0] = '\0';
	if (ce_validate(&sc, l, strlen(l), &ev, t->err, sizeof(t->err)) == -1) {
		fprintf(stderr, "bad test event: %s: %s\n", t->err, l);
		exit(1);
	}
	return fold_event(&t->f, &sc, &ev, t->err, sizeof(t->err));
}

/* Folds an event of type and subject with data (JSON text, or NULL). */
static int
ev(struct t *t, const char *type, const char *subject, const char *data)
{
	struct buf l = { 0 };
	char id[32];
	int r;

	snprintf(id, sizeof(id), "i%d", ++t->nid);
	buf_puts(&l, "{\"specversion\":\"1.0\",\"id\":\"");
	buf_puts(&l, id);
	buf_puts(&l, "\",\"source\":\"//t\",\"type\":\"");
	buf_puts(&l, type);
	buf_puts(&l, "\",\"subject\":\"");
	buf_puts(&l, subject);
	buf_putc(&l, '"');
	if (data != NULL) {
		buf_puts(&l, ",\"data\":");
		buf_puts(&l, data);
	}
	buf_puts(&l, "}");
	buf_putc(&l, '\0');
	r = line(t, l.p);
	buf_free(&l);
	return r;
}

/* The state, as fold_dump writes it. */
static const char *
state(struct t *t)
{
	t->out.len = 0;
	fold_dump(&t->out, t->f.state);
	buf_putc(&t->out, '\0');
	return t->out.p;
}

#define STATE(t, want) CHECKMSG(strcmp(state(t), (want)) == 0, \
	"state %s, want %s", (t)->out.p, (want))
#define ERR(t, want) CHECKMSG(strcmp((t)->err, (want)) == 0, \
	"message \"%s\", want \"%s\"", (t)->err, (want))

static void
grammar(void)
{
	static const struct { const char *rule, *msg; } bad[] = {
		{ "noop", "not GLOB=OP[:FIELD[=PATH]]" },
		{ "=set", "a type glob is missing" },
		{ "x=frob", "\"frob\" is not an operation" },
		{ "x=", "\"\" is not an operation" },
		{ "x=add:", "a field is missing after \":\"" },
		{ "x=add:a..b", "an empty key in the field \"a..b\"" },
		{ "x=add:.a", "an empty key" },
		{ "x=add:a.", "an empty key" },
		{ "x=add:a=", "a path is missing after \"=\"" },
		{ "x=count:n=data.n", "count takes no path" },
		{ "x=delete:a=data.a", "delete takes no path" },
		{ "x=delete:=data.a", "delete takes no path" },
		{ "x=ignore:a", "ignore takes no field" },
		{ "x=add:a=data.b>2", "\"data.b>2\" is not a path" },
		{ "x=set:a=data.b!x", "is not a path" },
		{ "x=set:a=Bad", "\"x=set:a=Bad\": " },
		{ "x=set:=", "a path is missing after \"=\"" },
	};
	struct fold_rule r;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECKMSG(fold_rule_parse(&r, bad[i].rule, err, sizeof(err)) ==
		    -1, "\"%s\" parsed", bad[i].rule);
		CHECKMSG(strstr(err, bad[i].msg) != NULL, "\"%s\": message "
		    "\"%s\" lacks \"%s\"", bad[i].rule, err, bad[i].msg);
		/* Every message quotes the rule. */
		CHECKMSG(strncmp(err, "\"", 1) == 0 && strstr(err,
		    bad[i].rule) != NULL, "\"%s\" not quoted in \"%s\"",
		    bad[i].rule, err);
		fold_rule_free(&r);
	}

	CHECK(fold_rule_parse(&r, "account.deposited=add:balance=data.amount",
	    err, sizeof(err)) == 0);
	CHECK(strcmp(r.glob, "account.deposited") == 0 && r.match == 2 &&
	    r.op == OP_ADD && r.nfield == 1 && strcmp(r.field[0],
	    "balance") == 0 && strcmp(r.path, "data.amount") == 0 &&
	    r.hassrc);
	fold_rule_free(&r);
	/* The field is the path under data when no path is given. */
	CHECK(fold_rule_parse(&r, "a.*=max:x.y.z", err, sizeof(err)) == 0);
	CHECK(r.match == 0 && r.op == OP_MAX && r.nfield == 3 &&
	    strcmp(r.field[0], "x") == 0 && strcmp(r.field[1], "y") == 0 &&
	    strcmp(r.field[2], "z") == 0 && strcmp(r.path, "data.x.y.z") == 0);
	fold_rule_free(&r);
	/* ":=PATH": the entity itself. */
	CHECK(fold_rule_parse(&r, "order.*=add:=data.total", err,
	    sizeof(err)) == 0);
	CHECK(r.nfield == 0 && strcmp(r.path, "data.total") == 0);
	fold_rule_free(&r);
	CHECK(fold_rule_parse(&r, "*=merge", err, sizeof(err)) == 0);
	CHECK(r.match == 1 && r.op == OP_MERGE && r.nfield == 0 &&
	    strcmp(r.path, "data") == 0 && r.hassrc);
	fold_rule_free(&r);
	CHECK(fold_rule_parse(&r, "t[ab]=count:n", err, sizeof(err)) == 0);
	CHECK(r.match == 0 && r.op == OP_COUNT && !r.hassrc && r.path == NULL &&
	    r.nfield == 1);
	fold_rule_free(&r);
	CHECK(fold_rule_parse(&r, "x=delete", err, sizeof(err)) == 0);
	CHECK(r.op == OP_DELETE && !r.hassrc && r.nfield == 0);
	fold_rule_free(&r);
	CHECK(fold_rule_parse(&r, "x=ignore", err, sizeof(err)) == 0);
	CHECK(r.op == OP_IGNORE && !r.hassrc);
	fold_rule_free(&r);
	/* The value may come from an attribute. */
	CHECK(fold_rule_parse(&r, "x=set:who=source", err, sizeof(err)) == 0);
	CHECK(r.src.attr == CE_SOURCE);
	fold_rule_free(&r);

	/* A key path that is a condition is refused. */
	{
		struct t t;

		CHECK(setup(&t, "data.a=b", NULL) == -1);
		ERR(&t, "\"data.a=b\" is not a path");
		teardown(&t);
	}
}

/* No rules: *.deleted and *.removed delete, everything else merges. */
static void
defaults(void)
{
	struct t t;

	CHECK(setup(&t, NULL, NULL) == 0);
	CHECK(ev(&t, "user.created", "u/1",
	    "{\"name\":\"Ada\",\"a\":{\"zip\":\"N1\",\"city\":\"L\"}}") ==
	    FOLD_APPLIED);
	CHECK(strcmp(t.f.k.p, "u/1") == 0 && !t.f.deleted);
	CHECK(ev(&t, "user.updated", "u/1",
	    "{\"a\":{\"zip\":null},\"mail\":\"x@y\"}") == FOLD_APPLIED);
	STATE(&t, "{\"u/1\":{\"a\":{\"city\":\"L\"},\"mail\":\"x@y\","
	    "\"name\":\"Ada\"}}");
	CHECK(ev(&t, "user.created", "u/2", "{\"n\":1}") == FOLD_APPLIED);
	CHECK(ev(&t, "user.removed", "u/2", NULL) == FOLD_APPLIED);
	CHECK(t.f.deleted && strcmp(t.f.k.p, "u/2") == 0);
	/* A delete of nothing changes nothing. */
	CHECK(ev(&t, "user.deleted", "u/9", NULL) == FOLD_UNCHANGED);
	CHECK(!t.f.deleted);
	/* Only the suffix after a dot counts. */
	CHECK(ev(&t, "deleted", "u/3", "{\"n\":3}") == FOLD_APPLIED);
	STATE(&t, "{\"u/1\":{\"a\":{\"city\":\"L\"},\"mail\":\"x@y\","
	    "\"name\":\"Ada\"},\"u/3\":{\"n\":3}}");
	CHECK(ev(&t, "user.deleted", "u/1", "{\"ignored\":1}") ==
	    FOLD_APPLIED);
	STATE(&t, "{\"u/3\":{\"n\":3}}");
	/* A patch that is no object replaces; a null one removes. */
	CHECK(ev(&t, "x", "u/3", "[1,2]") == FOLD_APPLIED);
	STATE(&t, "{\"u/3\":[1,2]}");
	CHECK(ev(&t, "x", "u/3", "{\"k\":1}") == FOLD_APPLIED);
	STATE(&t, "{\"u/3\":{\"k\":1}}");
	/* An event without data (a null one is unset) has nothing to merge. */
	CHECK(ev(&t, "x", "u/3", NULL) == FOLD_MISFIT);
	ERR(&t, "\"*=merge\": no data");
	CHECK(ev(&t, "x", "u/3", "null") == FOLD_MISFIT);
	STATE(&t, "{\"u/3\":{\"k\":1}}");
	teardown(&t);

	/* A null patch removes the entity. */
	CHECK(setup(&t, NULL, "*=merge:=data.v", NULL) == 0);
	CHECK(ev(&t, "x", "u/3", "{\"v\":{\"a\":1}}") == FOLD_APPLIED);
	CHECK(ev(&t, "x", "u/3", "{\"v\":null}") == FOLD_APPLIED &&
	    t.f.deleted);
	STATE(&t, "{}");
	CHECK(ev(&t, "x", "u/4", "{\"v\":null}") == FOLD_UNCHANGED);
	STATE(&t, "{}");
	teardown(&t);
}

static void
set(void)
{
	struct t t;

	CHECK(setup(&t, NULL, "a=set", "b=set:x.y=data.v", "c=set:w=source",
	    "e=set:=data.v", NULL) == 0);
	CHECK(ev(&t, "a", "k", "{\"p\":1}") == FOLD_APPLIED);
	CHECK(ev(&t, "a", "k", "{\"q\":2}") == FOLD_APPLIED);
	STATE(&t, "{\"k\":{\"q\":2}}");
	CHECK(ev(&t, "b", "k", "{\"v\":\"s\"}") == FOLD_APPLIED);
	CHECK(ev(&t, "c", "k", NULL) == FOLD_APPLIED);
	STATE(&t, "{\"k\":{\"q\":2,\"w\":\"//t\",\"x\":{\"y\":\"s\"}}}");
	/* A null removes the member, and the empty object on the way stays. */
	CHECK(ev(&t, "b", "k", "{\"v\":null}") == FOLD_APPLIED);
	CHECK(!t.f.deleted);
	STATE(&t, "{\"k\":{\"q\":2,\"w\":\"//t\",\"x\":{}}}");
	CHECK(ev(&t, "b", "k", "{\"v\":null}") == FOLD_UNCHANGED);
	CHECK(ev(&t, "b", "k", "{}") == FOLD_MISFIT);
	ERR(&t, "\"b=set:x.y=data.v\": no data.v");
	CHECK(ev(&t, "a", "k", "null") == FOLD_MISFIT);
	ERR(&t, "\"a=set\": no data");
	CHECK(ev(&t, "e", "k", "{\"v\":null}") == FOLD_APPLIED && t.f.deleted);
	STATE(&t, "{}");
	teardown(&t);
}

static void
delete(void)
{
	struct t t;

	CHECK(setup(&t, NULL, "d=delete:a.b", "e=delete", "*=merge", NULL) ==
	    0);
	CHECK(ev(&t, "m", "k", "{\"a\":{\"b\":1,\"c\":2},\"d\":3}") ==
	    FOLD_APPLIED);
	CHECK(ev(&t, "d", "k", NULL) == FOLD_APPLIED && !t.f.deleted);
	STATE(&t, "{\"k\":{\"a\":{\"c\":2},\"d\":3}}");
	CHECK(ev(&t, "d", "k", NULL) == FOLD_UNCHANGED);
	CHECK(ev(&t, "d", "nobody", NULL) == FOLD_UNCHANGED);
	/* A field under something that is no object is a misfit. */
	CHECK(ev(&t, "m", "j", "{\"a\":5}") == FOLD_APPLIED);
	CHECK(ev(&t, "d", "j", NULL) == FOLD_MISFIT);
	ERR(&t, "\"d=delete:a.b\": a is a number, not an object");
	CHECK(ev(&t, "e", "j", NULL) == FOLD_APPLIED && t.f.deleted);
	STATE(&t, "{\"k\":{\"a\":{\"c\":2},\"d\":3}}");
	CHECK(ev(&t, "e", "j", NULL) == FOLD_UNCHANGED);
	teardown(&t);
}

static void
add(void)
{
	char want[128];
	struct t t;

	CHECK(setup(&t, NULL, "a=add:n", "s=sub:n=data.v", "e=add:=data.v",
	    "d=add:a.b.c=data.v", "m=merge", NULL) == 0);
	CHECK(ev(&t, "a", "k", "{\"n\":5}") == FOLD_APPLIED);
	CHECK(ev(&t, "a", "k", "{\"n\":-7}") == FOLD_APPLIED);
	CHECK(ev(&t, "s", "k", "{\"v\":10}") == FOLD_APPLIED);
	STATE(&t, "{\"k\":{\"n\":-12}}");
	/* A fraction makes it a real, and it stays one. */
	CHECK(ev(&t, "a", "k", "{\"n\":0.5}") == FOLD_APPLIED);
	STATE(&t, "{\"k\":{\"n\":-11.5}}");
	CHECK(ev(&t, "a", "k", "{\"n\":11.5}") == FOLD_APPLIED);
	STATE(&t, "{\"k\":{\"n\":0.0}}");
	CHECK(ev(&t, "a", "k", "{\"n\":2}") == FOLD_APPLIED);
	STATE(&t, "{\"k\":{\"n\":2.0}}");
	CHECK(ev(&t, "a", "k", "{\"n\":1e2}") == FOLD_APPLIED);
	STATE(&t, "{\"k\":{\"n\":102.0}}");
	/* Exact in 64 bits, and a double past them. */
	snprintf(want, sizeof(want), "{\"n\":%lld}", LLONG_MAX - 1);
	CHECK(ev(&t, "m", "big", want) == FOLD_APPLIED);
	CHECK(ev(&t, "a", "big", "{\"n\":1}") == FOLD_APPLIED);
	snprintf(want, sizeof(want), "{\"big\":{\"n\":%lld}", LLONG_MAX);
	CHECKMSG(strncmp(state(&t), want, strlen(want)) == 0, "%s", t.out.p);
	CHECK(ev(&t, "a", "big", "{\"n\":1}") == FOLD_APPLIED);
	CHECKMSG(strncmp(state(&t), "{\"big\":{\"n\":9.223372036854776e+18}",
	    34) == 0, "%s", t.out.p);
	snprintf(want, sizeof(want), "{\"n\":%lld}", LLONG_MIN);
	CHECK(ev(&t, "m", "neg", want) == FOLD_APPLIED);
	CHECK(ev(&t, "s", "neg", "{\"v\":1}") == FOLD_APPLIED);
	CHECK(json_is_real(json_object_get(json_object_get(t.f.state, "neg"),
	    "n")));
	CHECK(ev(&t, "a", "huge", "{\"n\":1e20}") == FOLD_APPLIED);
	STATE(&t, "{\"big\":{\"n\":9.223372036854776e+18},\"huge\":{\"n\":"
	    "1e+20},\"k\":{\"n\":102.0},\"neg\":{\"n\":-9.223372036854776e+18}}");
	/* A result that is not finite is a misfit, and changes nothing. */
	CHECK(ev(&t, "a", "inf", "{\"n\":1e308}") == FOLD_APPLIED);
	CHECK(ev(&t, "a", "inf", "{\"n\":1e308}") == FOLD_MISFIT);
	ERR(&t, "\"a=add:n\": the result is not a finite number");
	CHECK(json_real_value(json_object_get(json_object_get(t.f.state,
	    "inf"), "n")) == 1e308);
	teardown(&t);

	CHECK(setup(&t, NULL, "a=add:n", "e=add:=data.v", "d=add:a.b.c=data.v",
	    "m=merge", NULL) == 0);
	/* Wrong types, on either side. */
	CHECK(ev(&t, "a", "k", "{\"n\":\"5\"}") == FOLD_MISFIT);
	ERR(&t, "\"a=add:n\": data.n is not a number");
	CHECK(ev(&t, "a", "k", "{\"m\":5}") == FOLD_MISFIT);
	ERR(&t, "\"a=add:n\": no data.n");
	CHECK(ev(&t, "m", "k", "{\"n\":\"x\"}") == FOLD_APPLIED);
	CHECK(ev(&t, "a", "k", "{\"n\":1}") == FOLD_MISFIT);
	ERR(&t, "\"a=add:n\": n is a string, not a number");
	STATE(&t, "{\"k\":{\"n\":\"x\"}}");
	/* The entity itself. */
	CHECK(ev(&t, "e", "o", "{\"v\":3}") == FOLD_APPLIED);
	CHECK(ev(&t, "e", "o", "{\"v\":4}") == FOLD_APPLIED);
	CHECK(ev(&t, "e", "k", "{\"v\":4}") == FOLD_MISFIT);
	ERR(&t, "\"e=add:=data.v\": the entity is an object, not a number");
	/* A field in an entity that is no object. */
	CHECK(ev(&t, "a", "o", "{\"n\":1}") == FOLD_MISFIT);
	ERR(&t, "\"a=add:n\": the entity is a number, not an object");
	/* Nested fields: made on the way, checked on the way. */
	CHECK(ev(&t, "d", "p", "{\"v\":2}") == FOLD_APPLIED);
	CHECK(ev(&t, "d", "p", "{\"v\":2}") == FOLD_APPLIED);
	CHECK(ev(&t, "m", "q", "{\"a\":{\"b\":[]}}") == FOLD_APPLIED);
	CHECK(ev(&t, "d", "q", "{\"v\":2}") == FOLD_MISFIT);
	ERR(&t, "\"d=add:a.b.c=data.v\": a.b is an array, not an object");
	CHECK(ev(&t, "m", "r", "{\"a\":{\"b\":{\"c\":true}}}") == FOLD_APPLIED);
	CHECK(ev(&t, "d", "r", "{\"v\":2}") == FOLD_MISFIT);
	ERR(&t, "\"d=add:a.b.c=data.v\": a.b.c is a boolean, not a number");
	/* A merge makes an object of nothing, as RFC 7386 does. */
	CHECK(ev(&t, "m", "s", "{\"a\":null}") == FOLD_APPLIED);
	STATE(&t, "{\"k\":{\"n\":\"x\"},\"o\":7,\"p\":{\"a\":{\"b\":{\"c\":4}}},"
	    "\"q\":{\"a\":{\"b\":[]}},\"r\":{\"a\":{\"b\":{\"c\":true}}},"
	    "\"s\":{}}");
	teardown(&t);
}

static void
count(void)
{
	struct t t;

	CHECK(setup(&t, "data.s", "c=count", "f=count:x.n", NULL) == 0);
	CHECK(ev(&t, "c", "_", "{\"s\":\"paid\"}") == FOLD_APPLIED);
	CHECK(ev(&t, "c", "_", "{\"s\":\"paid\"}") == FOLD_APPLIED);
	CHECK(ev(&t, "c", "_", "{\"s\":\"new\"}") == FOLD_APPLIED);
	CHECK(ev(&t, "f", "_", "{\"s\":\"o\"}") == FOLD_APPLIED);
	/* A number as the key. */
	CHECK(ev(&t, "c", "_", "{\"s\":12}") == FOLD_APPLIED);
	STATE(&t, "{\"12\":1,\"new\":1,\"o\":{\"x\":{\"n\":1}},\"paid\":2}");
	CHECK(ev(&t, "c", "_", "{\"s\":{}}") == FOLD_MISFIT);
	ERR(&t, "the key data.s is not a string or a number");
	CHECK(ev(&t, "c", "_", "{\"s\":\"\"}") == FOLD_MISFIT);
	ERR(&t, "the key data.s is empty");
	CHECK(ev(&t, "c", "_", "{\"s\":null}") == FOLD_MISFIT);
	ERR(&t, "no key: data.s is not set");
	CHECK(ev(&t, "c", "_", "{}") == FOLD_MISFIT);
	ERR(&t, "no key: data.s is not set");
	CHECK(ev(&t, "c", "_", NULL) == FOLD_MISFIT);
	teardown(&t);

	CHECK(setup(&t, NULL, "*=count", NULL) == 0);
	CHECK(line(&t, "{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":"
	    "\"//t\",\"type\":\"t\"}") == FOLD_MISFIT);
	ERR(&t, "no key: subject is not set");
	teardown(&t);
}

static void
push(void)
{
	struct t t;

	CHECK(setup(&t, NULL, "p=push:l=data", "e=push:=data.v", "m=merge",
	    NULL) == 0);
	CHECK(ev(&t, "p", "k", "{\"a\":1}") == FOLD_APPLIED);
	CHECK(ev(&t, "p", "k", "[2]") == FOLD_APPLIED);
	CHECK(ev(&t, "p", "k", "\"s\"") == FOLD_APPLIED);
	CHECK(ev(&t, "p", "k", "null") == FOLD_MISFIT);
	ERR(&t, "\"p=push:l=data\": no data");
	CHECK(ev(&t, "e", "j", "{\"v\":1.5}") == FOLD_APPLIED);
	CHECK(ev(&t, "e", "j", "{\"v\":7}") == FOLD_APPLIED);
	STATE(&t, "{\"j\":[1.5,7],\"k\":{\"l\":[{\"a\":1},[2],\"s\"]}}");
	CHECK(ev(&t, "m", "o", "{\"l\":{}}") == FOLD_APPLIED);
	CHECK(ev(&t, "p", "o", "1") == FOLD_MISFIT);
	ERR(&t, "\"p=push:l=data\": l is an object, not an array");
	CHECK(ev(&t, "p", "j", "1") == FOLD_MISFIT);
	ERR(&t, "\"p=push:l=data\": the entity is an array, not an object");
	teardown(&t);
}

static void
minmax(void)
{
	struct t t;

	CHECK(setup(&t, NULL, "lo=min:v", "hi=max:v", "elo=min:=data.v",
	    NULL) == 0);
	CHECK(ev(&t, "lo", "k", "{\"v\":5}") == FOLD_APPLIED);
	CHECK(ev(&t, "lo", "k", "{\"v\":7}") == FOLD_UNCHANGED);
	CHECK(ev(&t, "lo", "k", "{\"v\":5}") == FOLD_UNCHANGED);
	CHECK(ev(&t, "lo", "k", "{\"v\":4.5}") == FOLD_APPLIED);
	STATE(&t, "{\"k\":{\"v\":4.5}}");
	CHECK(ev(&t, "hi", "k", "{\"v\":4}") == FOLD_UNCHANGED);
	CHECK(ev(&t, "hi", "k", "{\"v\":9}") == FOLD_APPLIED);
	STATE(&t, "{\"k\":{\"v\":9}}");
	/* Exact for integers beyond a double's 53 bits. */
	CHECK(ev(&t, "hi", "b", "{\"v\":9007199254740993}") == FOLD_APPLIED);
	CHECK(ev(&t, "hi", "b", "{\"v\":9007199254740992}") ==
	    FOLD_UNCHANGED);
	CHECK(ev(&t, "hi", "b", "{\"v\":9007199254740994}") == FOLD_APPLIED);
	/* Strings compare bytewise. */
	CHECK(ev(&t, "lo", "s", "{\"v\":\"b\"}") == FOLD_APPLIED);
	CHECK(ev(&t, "lo", "s", "{\"v\":\"ba\"}") == FOLD_UNCHANGED);
	CHECK(ev(&t, "lo", "s", "{\"v\":\"B\"}") == FOLD_APPLIED);
	CHECK(ev(&t, "hi", "s", "{\"v\":\"a\\u00e9\"}") == FOLD_APPLIED);
	CHECK(ev(&t, "elo", "e", "{\"v\":3}") == FOLD_APPLIED);
	CHECK(ev(&t, "elo", "e", "{\"v\":-3}") == FOLD_APPLIED);
	STATE(&t, "{\"b\":{\"v\":9007199254740994},\"e\":-3,\"k\":{\"v\":9},"
	    "\"s\":{\"v\":\"a\xc3\xa9\"}}");
	/* A number against a string, and what is neither. */
	CHECK(ev(&t, "lo", "s", "{\"v\":1}") == FOLD_MISFIT);
	ERR(&t, "\"lo=min:v\": v is a string, and data.v is a number");
	CHECK(ev(&t, "hi", "k", "{\"v\":\"z\"}") == FOLD_MISFIT);
	ERR(&t, "\"hi=max:v\": v is a number, and data.v is a string");
	CHECK(ev(&t, "lo", "k", "{\"v\":[1]}") == FOLD_MISFIT);
	ERR(&t, "\"lo=min:v\": data.v is not a number or a string");
	CHECK(ev(&t, "lo", "k", "{\"v\":null}") == FOLD_MISFIT);
	CHECK(ev(&t, "elo", "k", "{\"v\":1}") == FOLD_MISFIT);
	ERR(&t, "\"elo=min:=data.v\": the entity is an object, and data.v is "
	    "a number");
	teardown(&t);
}

/* ignore, the first rule that matches, and a type no rule matches. */
static void
matching(void)
{
	char err[512];
	struct t t;

	CHECK(setup(&t, NULL, "a.x=count:first", "a.*=count:second",
	    "b?=count", "zz=count", "c=ignore", NULL) == 0);
	CHECK(ev(&t, "a.x", "k", NULL) == FOLD_APPLIED);
	CHECK(ev(&t, "a.y", "k", NULL) == FOLD_APPLIED);
	CHECK(ev(&t, "b1", "j", NULL) == FOLD_APPLIED);
	CHECK(ev(&t, "b12", "j", NULL) == FOLD_UNCHANGED);
	CHECK(ev(&t, "c", "k", "{\"n\":1}") == FOLD_UNCHANGED);
	CHECK(ev(&t, "d", "k", NULL) == FOLD_UNCHANGED);
	STATE(&t, "{\"j\":1,\"k\":{\"first\":1,\"second\":1}}");
	CHECK(t.f.r[0].hits == 1 && t.f.r[1].hits == 1 && t.f.r[2].hits == 1 &&
	    t.f.r[3].hits == 0 && t.f.r[4].hits == 1 && t.f.folded == 6);
	CHECK(fold_unmatched(&t.f, 0, err, sizeof(err)) == 0);
	CHECK(fold_unmatched(&t.f, 3, err, sizeof(err)) == 1);
	CHECKMSG(strcmp(err, "\"zz=count\" matched no event; types seen: a.x, "
	    "a.y, b1, b12, c, ...") == 0, "%s", err);
	teardown(&t);

	CHECK(setup(&t, NULL, "t.*=count", "t.added=count:n", "added=count",
	    "*=ignore", NULL) == 0);
	CHECK(ev(&t, "t.added", "k", NULL) == FOLD_APPLIED);
	CHECK(fold_unmatched(&t.f, 1, err, sizeof(err)) == 1);
	CHECKMSG(strcmp(err, "\"t.added=count:n\" matched no event: an "
	    "earlier rule comes first for t.added") == 0, "%s", err);
	CHECK(fold_unmatched(&t.f, 2, err, sizeof(err)) == 1);
	CHECKMSG(strcmp(err, "\"added=count\" matched no event; types seen "
	    "close to \"added\": t.added") == 0, "%s", err);
	/* Not for a catch-all. */
	CHECK(fold_unmatched(&t.f, 3, err, sizeof(err)) == 0);
	teardown(&t);
}

/* An event of evlog revert: "reverts" set, its numbers negated. */
static void
revert(void)
{
	static const char *rv = "{\"specversion\":\"1.0\",\"id\":\"r%d\","
	    "\"source\":\"//t\",\"type\":\"%s\",\"subject\":\"k\","
	    "\"reverts\":\"i1\",\"data\":{\"n\":-5}}";
	char l[512];
	struct t t;

	CHECK(setup(&t, NULL, "a=add:n", "s=sub:m=data.n", "c=count",
	    "x=set:n", NULL) == 0);
	CHECK(ev(&t, "a", "k", "{\"n\":5}") == FOLD_APPLIED);
	CHECK(ev(&t, "s", "k", "{\"n\":5}") == FOLD_APPLIED);
	snprintf(l, sizeof(l), rv, 1, "a");
	CHECK(line(&t, l) == FOLD_APPLIED);
	snprintf(l, sizeof(l), rv, 2, "s");
	CHECK(line(&t, l) == FOLD_APPLIED);
	STATE(&t, "{\"k\":{\"m\":0,\"n\":0}}");
	snprintf(l, sizeof(l), rv, 3, "x");
	CHECK(line(&t, l) == FOLD_MISFIT);
	ERR(&t, "reverts an event that \"x=set:n\" cannot undo (only add, sub "
	    "and count can)");
	teardown(&t);

	CHECK(setup(&t, NULL, "c=count", NULL) == 0);
	CHECK(ev(&t, "c", "k", NULL) == FOLD_APPLIED);
	CHECK(ev(&t, "c", "k", NULL) == FOLD_APPLIED);
	snprintf(l, sizeof(l), rv, 4, "c");
	CHECK(line(&t, l) == FOLD_APPLIED);
	STATE(&t, "{\"k\":1}");
	teardown(&t);
}

/* An attribute named as the path where a data field was meant. */
static void
nosource(void)
{
	struct t t;

	CHECK(setup(&t, NULL, "a=add:n=amount", "b=set:n=dataschema", NULL) ==
	    0);
	CHECK(ev(&t, "a", "k", "{\"amount\":1}") == FOLD_MISFIT);
	ERR(&t, "\"a=add:n=amount\": no amount (an attribute), but the data "
	    "has it: write a=add:n=data.amount");
	CHECK(ev(&t, "a", "k", "{\"x\":1}") == FOLD_MISFIT);
	ERR(&t, "\"a=add:n=amount\": no amount");
	CHECK(ev(&t, "b", "k", NULL) == FOLD_MISFIT);
	ERR(&t, "\"b=set:n=dataschema\": no dataschema");
	STATE(&t, "{}");
	teardown(&t);
}

/* The checkpoint: sequences compare as numbers, else the last id. */
static void
checkpoint(void)
{
	static const char *sq = "{\"specversion\":\"1.0\",\"id\":\"i%s\","
	    "\"source\":\"//t\",\"type\":\"t\",\"subject\":\"k\","
	    "\"sequence\":\"%s\"}";
	char l[512];
	struct t t;

	CHECK(setup(&t, NULL, "t=count", NULL) == 0);
	snprintf(l, sizeof(l), sq, "9", "9");
	CHECK(line(&t, l) == FOLD_APPLIED);
	CHECK(strcmp(t.f.ck.seq.p, "9") == 0 && strcmp(t.f.ck.id.p, "i9") == 0);
	snprintf(l, sizeof(l), sq, "9b", "9");
	CHECK(line(&t, l) == FOLD_SKIPPED);
	snprintf(l, sizeof(l), sq, "10", "0010");
	CHECK(line(&t, l) == FOLD_APPLIED);
	snprintf(l, sizeof(l), sq, "8", "8");
	CHECK(line(&t, l) == FOLD_SKIPPED);
	snprintf(l, sizeof(l), sq, "11", "00000011");
	CHECK(line(&t, l) == FOLD_APPLIED);
	CHECK(t.f.skipped == 2);
	STATE(&t, "{\"k\":3}");
	/* Not digits: bytewise. */
	snprintf(l, sizeof(l), sq, "a", "a");
	CHECK(line(&t, l) == FOLD_APPLIED);
	snprintf(l, sizeof(l), sq, "Z", "Z");
	CHECK(line(&t, l) == FOLD_SKIPPED);
	snprintf(l, sizeof(l), sq, "ab", "ab");
	CHECK(line(&t, l) == FOLD_APPLIED);
	CHECK(ev(&t, "t", "k", NULL) == FOLD_MISFIT);
	ERR(&t, "no sequence, and the checkpoint is sequence ab: cannot tell "
	    "whether it was applied");
	teardown(&t);

	/* By id: everything up to the checkpoint's event is skipped. */
	CHECK(setup(&t, NULL, "t=count", NULL) == 0);
	buf_puts(&t.f.ck.id, "i2");
	buf_putc(&t.f.ck.id, '\0');
	t.f.ck.id.len--;
	CHECK(ev(&t, "t", "k", NULL) == FOLD_SKIPPED);
	CHECK(fold_lost(&t.f));
	CHECK(ev(&t, "t", "k", NULL) == FOLD_SKIPPED);
	CHECK(!fold_lost(&t.f));
	CHECK(ev(&t, "t", "k", NULL) == FOLD_APPLIED);
	STATE(&t, "{\"k\":1}");
	CHECK(strcmp(t.f.ck.id.p, "i3") == 0 && t.f.ck.seq.len == 0);
	teardown(&t);
}

/* Too deep to be read back from the state file: a misfit. */
static void
depth(void)
{
	struct buf b = { 0 };
	struct t t;
	int i, d = SCAN_MAXDEPTH - 4;

	for (i = 0; i < d; i++)
		buf_puts(&b, "{\"a\":");
	buf_putc(&b, '1');
	for (i = 0; i < d; i++)
		buf_putc(&b, '}');
	buf_putc(&b, '\0');
	CHECK(setup(&t, NULL, "t=count", "s=set", "p=push:l=data",
	    "x=max:=data.a", "*=merge", NULL) == 0);
	CHECK(ev(&t, "m", "k", b.p) == FOLD_MISFIT);
	ERR(&t, "\"*=merge\": nested too deep to keep in the state (2047 "
	    "levels at most)");
	CHECK(ev(&t, "s", "k", b.p) == FOLD_MISFIT);
	CHECK(ev(&t, "p", "k", b.p) == FOLD_MISFIT);
	/* A count keeps nothing of the event, nor does a min or max. */
	CHECK(ev(&t, "t", "k", b.p) == FOLD_APPLIED);
	STATE(&t, "{\"k\":1}");
	CHECK(ev(&t, "x", "k", b.p) == FOLD_MISFIT);
	ERR(&t, "\"x=max:=data.a\": data.a is not a number or a string");
	/* One level less is kept, but not with a field to hold it. */
	b.len = 0;
	for (i = 0; i < d - 1; i++)
		buf_puts(&b, "{\"a\":");
	buf_putc(&b, '1');
	for (i = 0; i < d - 1; i++)
		buf_putc(&b, '}');
	buf_putc(&b, '\0');
	CHECK(ev(&t, "m", "j", b.p) == FOLD_APPLIED);
	CHECK(ev(&t, "s", "j", b.p) == FOLD_APPLIED);
	CHECK(ev(&t, "p", "i", b.p) == FOLD_MISFIT);
	CHECK(json_object_size(t.f.state) == 2 &&
	    json_object_get(t.f.state, "i") == NULL);
	teardown(&t);
	buf_free(&b);
}

static void
dump(void)
{
	struct buf b = { 0 };
	json_t *v;

	v = json_pack("{s:f,s:f,s:f,s:i,s:[b,b,n],s:s,s:f}", "b", 0.1, "a",
	    3.0, "\xc3\xa9", 1e300, "c", -4, "d", 1, 0, "e", "q\"\n", "f",
	    1.0 / 3);
	fold_dump(&b, v);
	buf_putc(&b, '\0');
	CHECKMSG(strcmp(b.p, "{\"a\":3.0,\"b\":0.1,\"c\":-4,\"d\":[true,false,"
	    "null],\"e\":\"q\\\"\\n\",\"f\":0.3333333333333333,"
	    "\"\xc3\xa9\":1e+300}") == 0, "%s", b.p);
	json_decref(v);
	buf_free(&b);
}

int
main(void)
{
	scan_init(&sc);
	grammar();
	defaults();
	set();
	delete();
	add();
	count();
	push();
	minmax();
	matching();
	revert();
	nosource();
	checkpoint();
	depth();
	dump();
	scan_free(&sc);
	return unit_done("fold_test");
}
