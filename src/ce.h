/* SPDX-License-Identifier: ISC */
/*
 * ce.h - the CloudEvents 1.0 envelope in its JSON format: the one
 * validation every program applies to every line it reads.
 */
#ifndef EV_CE_H
#define EV_CE_H

#include <stddef.h>
#include <stdint.h>

#include "scan.h"

/* The attributes the toolkit knows by name. */
enum ce_attr {
	CE_SPECVERSION,
	CE_ID,
	CE_SOURCE,
	CE_TYPE,
	CE_SUBJECT,
	CE_TIME,
	CE_DATACONTENTTYPE,
	CE_DATASCHEMA,
	CE_DATA,
	CE_DATA_BASE64,
	CE_SEQUENCE,
	CE_NATTR
};

/* A validated event: spans into the line it came from. */
struct ce_event {
	const struct scan_member *a[CE_NATTR];	/* set, non-null members */
	size_t specpos;		/* index of specversion among the members */
	size_t nmembers;	/* members in the object, null ones too */
	int64_t time;		/* time, microseconds since the epoch, or
				   CE_NOTIME when there is none */
};

#define CE_NOTIME INT64_MIN

/* The name of each known attribute, by enum ce_attr. */
extern const char *const ce_names[CE_NATTR];

/*
 * Validates line[0..len) as one CloudEvent: a JSON object (scan.h rules)
 * with specversion "1.0", non-empty string id, source and type; optional
 * subject, datacontenttype (a media type) and dataschema (an absolute
 * URI) as non-empty strings; source a URI-reference; no control character
 * or noncharacter in any string attribute; time as RFC 3339; data or data_base64 (valid padded base64), not
 * both; every other member an extension whose name is lower-case a-z and
 * 0-9 and whose value is a string, a boolean or an integer in signed 32
 * bits.  A null member means "unset".  Returns 0 and fills ev, or -1 and
 * writes what is wrong into err.
 */
int ce_validate(struct scanner *, const char *line, size_t len,
    struct ce_event *ev, char *err, size_t errlen);

/*
 * The same rules, for a line that s has already scanned.  A required
 * attribute whose bit (1 << CE_ID, say) is set in fill may be missing: the
 * caller is about to supply it.
 */
int ce_check(const struct scanner *s, struct ce_event *ev, unsigned fill,
    char *err, size_t errlen);

/*
 * The checks of the type system (spec.md, Type System) that ce_check
 * applies, for a value that is about to become an attribute.  Each returns
 * 0, or -1 with a reason in err that follows the attribute's name.
 *
 * ce_text_check: a String holds no U+0000-U+001F, U+007F-U+009F and no
 * noncharacter (U+FDD0-U+FDEF, U+xxFFFE, U+xxFFFF); s is valid UTF-8.
 * ce_uri_check: s is a URI-reference (RFC 3986: its characters, its
 * percent-escapes, a scheme where a ':' comes before any '/'), or with
 * absolute set, a URI with a scheme.
 * ce_mediatype_check: s is a media type (RFC 2046): type/subtype and
 * parameters, name=token or name="quoted".
 */
int ce_text_check(const char *s, size_t len, char *err, size_t errlen);
int ce_uri_check(const char *s, size_t len, int absolute, char *err,
    size_t errlen);
int ce_mediatype_check(const char *s, size_t len, char *err, size_t errlen);

/* Tells whether name is a valid attribute name: [a-z0-9]+. */
int ce_name_ok(const char *name, size_t len);

/* Tells whether s[0..len) is valid padded base64 (RFC 4648 section 4). */
int base64_ok(const char *s, size_t len);

/*
 * Copies the decoded string value of member m into buf (size n, NUL
 * terminated, truncated to fit).  Returns buf.
 */
char *ce_string(const struct scan_member *m, char *buf, size_t n);

/* The sequence of a checked event (a log's stamp, "000000000001"), or 0
 * when it has none or a bad one. */
uint64_t ce_sequence(const struct ce_event *ev);

/* The time of a checked event in microseconds since the epoch, or
 * CE_NOTIME when it has none (ce_check refused a bad one). */
int64_t ce_time(const struct ce_event *ev);

#endif
