/* SPDX-License-Identifier: ISC */
/*
 * fold.h - projections: folding events into state keyed by subject (or any
 * field), with a rule per event type, and the state file that keeps the
 * state with its checkpoint.  evproject(1) is the user's view of it.
 *
 *	rule	= glob "=" op [ ":" field [ "=" path ] | ":=" path ]
 *	op	= merge | set | delete | add | sub | count | push | min | max
 *		| ignore
 *
 * The first rule whose glob (fnmatch(3)) matches the event's type applies.
 * field is where the operation acts inside the entity (keys split at
 * dots, objects made on the way); without it (or with ":=" before the
 * path) the operation acts on the entity itself.  path is where the value comes from: a filter path
 * (filter.h), "data.FIELD" by default when field is given, else "data".
 *
 * The state is a jansson object from key to entity.  Integers stay exact
 * in 64 bits; a sum that leaves them, or that meets a fraction, becomes a
 * double.  A rule that leaves a null where it acts (merge, set) removes
 * the member, or the entity, as RFC 7386 does.
 */
#ifndef EV_FOLD_H
#define EV_FOLD_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "ce.h"
#include "filter.h"
#include "scan.h"

enum fold_op {
	OP_MERGE, OP_SET, OP_DELETE, OP_ADD, OP_SUB, OP_COUNT, OP_PUSH,
	OP_MIN, OP_MAX, OP_IGNORE
};

struct fold_rule {
	const char *text;	/* as given, for messages */
	char *glob;		/* the types it applies to */
	int match;		/* how: 0 fnmatch, 1 every type, 2 literal */
	int op;			/* enum fold_op */
	char **field;		/* where inside the entity, split at dots */
	size_t nfield;		/* how many keys; 0 for the entity itself */
	char *path;		/* the value's path, as text */
	struct filter src;	/* where the value comes from */
	int hassrc;		/* the operation takes a value */
	unsigned long long hits;	/* events whose type it was first for */
};

/* What fold_event did with an event. */
enum fold_result {
	FOLD_APPLIED,		/* the entity changed (or was deleted) */
	FOLD_UNCHANGED,		/* ignored, or a delete of nothing */
	FOLD_SKIPPED,		/* at or before the checkpoint: applied before */
	FOLD_MISFIT		/* does not fit its rule: err says why */
};

/*
 * Where the last event applied stands: its sequence (when it had one) and
 * its id, decoded.  Events at or before it are skipped.
 */
struct fold_ckpt {
	struct buf seq;		/* the sequence, or empty */
	struct buf id;		/* the id, or empty for no checkpoint */
	int passed;		/* an id checkpoint was met in the input */
};

struct fold {
	struct fold_rule *r;	/* the rules, in order; none: the defaults */
	size_t nr;		/* how many */
	struct fold_rule def[2];	/* the defaults: delete, merge */
	struct filter key;	/* -k: the key's path */
	json_t *state;		/* key -> entity */
	struct fold_ckpt ck;	/* the checkpoint */
	struct buf type;	/* scratch: the event's type, decoded */
	struct buf tmp;		/* scratch: a sequence or an id, decoded */
	struct buf k;		/* the key of the last event applied */
	int deleted;		/* the last event applied deleted its entity */
	unsigned long long skipped;	/* events skipped by the checkpoint */
	unsigned long long folded;	/* events a rule was looked up for */
	json_t *types;		/* the types seen (a set), for fold_unmatched */
	size_t unhit;		/* rules that matched nothing yet */
	int lockfd;		/* the state file, locked, or -1 */
};

/*
 * Parses a rule.  Returns 0, or -1 with a message in err that quotes the
 * rule and says what is wrong (and nothing of r to free).
 */
int fold_rule_parse(struct fold_rule *r, const char *text, char *err,
    size_t n);

void fold_rule_free(struct fold_rule *r);

/*
 * Sets up f with an empty state, keyed by keypath (NULL: "subject"), and
 * takes the rules r[0..nr), which it frees.  Returns 0, or -1 with a
 * message in err when keypath is not a path.
 */
int fold_init(struct fold *f, const char *keypath, struct fold_rule *r,
    size_t nr, char *err, size_t n);
void fold_free(struct fold *f);

/*
 * Folds the event that s scanned and ce_check filled ev from.  On
 * FOLD_APPLIED, f->k holds the key (NUL-terminated) and f->deleted says
 * whether the entity went.  On FOLD_MISFIT the state is as it was, and
 * err says why.  Every event but a skipped one moves the checkpoint.
 */
int fold_event(struct fold *f, const struct scanner *s,
    const struct ce_event *ev, char *err, size_t n);

/*
 * Tells whether events were read but the id checkpoint was not among
 * them, so that nothing was applied: the input is not the one the state
 * came from.
 */
int fold_lost(const struct fold *f);

/*
 * Tells, after a run, whether the rule f->r[i] was the first for no
 * event's type although events were folded: a mistyped glob (a type
 * without its prefix, say), or a rule behind one that takes its types.
 * Then err says which types an earlier rule took, or which types seen are
 * close to its glob, or else some of the types seen.  A catch-all ("*")
 * and a run that skipped events at the checkpoint are not told of.
 */
int fold_unmatched(const struct fold *f, size_t i, char *err, size_t n);

/*
 * Loads the state file at path into f.  A missing file is an empty state.
 * With lock, the file is made when missing and locked (flock(2)) until
 * fold_free, and a file another evproject holds is refused.  Returns 0,
 * or -1 with a reason in err (a symlink is refused).
 */
int fold_load(struct fold *f, const char *path, int lock, char *err,
    size_t n);

/*
 * Saves f to path atomically: a temporary file in the same directory,
 * written and fsync'd, renamed over path, and the directory fsync'd.
 * Returns 0, or -1 with a reason in err (path is then as it was).
 */
int fold_save(struct fold *f, const char *path, char *err, size_t n);

/*
 * Appends the JSON text of v to b: compact, object keys sorted bytewise,
 * reals in the fewest digits that read back as the same double (and
 * always with a fraction or an exponent, so that they stay reals).
 */
void fold_dump(struct buf *b, const json_t *v);

/* The keys of the object obj, sorted bytewise, in a malloc'd array. */
const char **fold_keys(const json_t *obj, size_t *n);


#endif
