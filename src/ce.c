/* SPDX-License-Identifier: ISC */
/*
 * ce.c - CloudEvents 1.0 validation over the scanner's spans.  The rules
 * are the spec's MUSTs (cloudevents/spec, spec.md and formats/json-format.md)
 * and nothing more; the messages say which rule a line broke.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ce.h"
#include "timefmt.h"
#include "util.h"

const char *const ce_names[CE_NATTR] = {
	"specversion", "id", "source", "type", "subject", "time",
	"datacontenttype", "dataschema", "data", "data_base64", "sequence"
};

int
ce_name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9')))
			return 0;
	return 1;
}

int
base64_ok(const char *s, size_t len)
{
	size_t i, pad = 0;
	unsigned char c;

	if (len % 4 != 0)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '=') {
			/* Padding only at the end, at most two. */
			if (i < len - 2)
				return 0;
			pad++;
			continue;
		}
		if (pad > 0)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return 0;
	}
	return 1;
}

char *
ce_string(const struct scan_member *m, char *buf, size_t n)
{
	const char *raw = m->val + 1;
	size_t rawlen = m->vallen - 2, len;
	char *tmp;

	if (n == 0)
		return buf;
	if (!m->valesc) {
		len = rawlen < n - 1 ? rawlen : n - 1;
		memcpy(buf, raw, len);
	} else {
		tmp = malloc(rawlen + 1);
		if (tmp == NULL) {
			buf[0] = '\0';
			return buf;
		}
		len = scan_unescape(raw, rawlen, tmp);
		if (len > n - 1)
			len = n - 1;
		memcpy(buf, tmp, len);
		free(tmp);
	}
	buf[len] = '\0';
	return buf;
}

/* Looks a name up among the known attributes; CE_NATTR when unknown. */
static int
lookup(const char *name, size_t len)
{
	switch (len) {
	case 2:
		return memcmp(name, "id", 2) == 0 ? CE_ID : CE_NATTR;
	case 4:
		if (memcmp(name, "type", 4) == 0)
			return CE_TYPE;
		if (memcmp(name, "time", 4) == 0)
			return CE_TIME;
		if (memcmp(name, "data", 4) == 0)
			return CE_DATA;
		return CE_NATTR;
	case 6:
		return memcmp(name, "source", 6) == 0 ? CE_SOURCE : CE_NATTR;
	case 7:
		return memcmp(name, "subject", 7) == 0 ? CE_SUBJECT : CE_NATTR;
	case 8:
		return memcmp(name, "sequence", 8) == 0 ? CE_SEQUENCE :
		    CE_NATTR;
	case 10:
		return memcmp(name, "dataschema", 10) == 0 ? CE_DATASCHEMA :
		    CE_NATTR;
	case 11:
		if (memcmp(name, "specversion", 11) == 0)
			return CE_SPECVERSION;
		if (memcmp(name, "data_base64", 11) == 0)
			return CE_DATA_BASE64;
		return CE_NATTR;
	case 15:
		return memcmp(name, "datacontenttype", 15) == 0 ?
		    CE_DATACONTENTTYPE : CE_NATTR;
	}
	return CE_NATTR;
}

static const char *
typename(int t)
{
	switch (t) {
	case SCAN_OBJECT: return "an object";
	case SCAN_ARRAY: return "an array";
	case SCAN_STRING: return "a string";
	case SCAN_NUMBER: return "a number";
	case SCAN_TRUE: case SCAN_FALSE: return "a boolean";
	default: return "null";
	}
}

/* Tells whether a validated integer literal fits in signed 32 bits. */
static int
int32_ok(const char *p, size_t len)
{
	long long v = 0;
	size_t i = 0;
	int neg = 0;

	if (p[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (len - i > 10)
		return 0;
	for (; i < len; i++)
		v = v * 10 + (p[i] - '0');
	return neg ? v <= 2147483648LL : v <= 2147483647LL;
}

/*
 * The code point of the UTF-8 sequence at s[i] (valid UTF-8: the scanner
 * checked it), and its length in *n.
 */
static unsigned
codepoint(const unsigned char *s, size_t i, size_t *n)
{
	if (s[i] < 0xe0) {
		*n = 2;
		return (s[i] & 0x1fU) << 6 | (s[i + 1] & 0x3fU);
	}
	if (s[i] < 0xf0) {
		*n = 3;
		return (s[i] & 0x0fU) << 12 | (s[i + 1] & 0x3fU) << 6 |
		    (s[i + 2] & 0x3fU);
	}
	*n = 4;
	return (s[i] & 0x07U) << 18 | (s[i + 1] & 0x3fU) << 12 |
	    (s[i + 2] & 0x3fU) << 6 | (s[i + 3] & 0x3fU);
}

int
ce_text_check(const char *text, size_t len, char *err, size_t errlen)
{
	const unsigned char *s = (const unsigned char *)text;
	const uint64_t ones = 0x0101010101010101ULL, highs = ones * 0x80;
	size_t i = 0, n, ch;
	uint64_t w;
	unsigned cp;

	/*
	 * Nearly every attribute is printable ASCII: eight bytes at a time,
	 * a word is passed when none is below 0x20 (the borrow of w - 0x20
	 * reaches a high bit) nor 0x7f or above (w + 1 or w itself has one).
	 */
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		if (((w - ones * 0x20) | w | (w + ones)) & highs)
			break;
	}
	for (ch = i; i < len; i += n, ch++) {
		n = 1;
		if (s[i] - 0x20U < 0x5fU)
			continue;
		cp = s[i] < 0x80 ? s[i] : codepoint(s, i, &n);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
			return seterr(err, errlen, "U+%04X (character %zu) is "
			    "not allowed in a CloudEvents String: no control "
			    "characters or noncharacters in attributes; put "
			    "such text in the data", cp, ch + 1);
	}
	return 0;
}

static int
alpha(int c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static int
digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * RFC 3986's pchar but %HH (unreserved, sub-delims, ':' and '@'), and '/'
 * and '?': what a path, a query and a fragment hold.  A bit per ASCII
 * character, 32 to a word.
 */
static const uint32_t uric[4] = {
	0x00000000, 0xafffffd2, 0x87ffffff, 0x47fffffe
};

static int
pchar(int c)
{
	return c < 128 && (uric[c >> 5] >> (c & 31) & 1);
}

int
ce_uri_check(const char *s, size_t len, int absolute, char *err,
    size_t errlen)
{
	size_t i = 0, j;
	const char *what = absolute ? "is not an absolute URI" :
	    "is not a URI-reference (RFC 3986)";
	size_t aend = 0;
	int frag = 0, c;

	/* A ':' before any '/', '?' or '#' ends a scheme: a relative
	 * reference's first segment may not hold one. */
	for (j = 0; j < len && s[j] != ':' && s[j] != '/' && s[j] != '?' &&
	    s[j] != '#'; j++)
		;
	if (j < len && s[j] == ':') {
		if (j == 0 || !alpha(s[0]))
			return seterr(err, errlen, "%s: \"%.*s\" before ':' "
			    "is not a scheme", what, (int)(j > 20 ? 20 : j), s);
		for (i = 1; i < j; i++)
			if (!alpha(s[i]) && !digit(s[i]) && s[i] != '+' &&
			    s[i] != '-' && s[i] != '.')
				return seterr(err, errlen, "%s: \"%.*s\" "
				    "before ':' is not a scheme", what,
				    (int)(j > 20 ? 20 : j), s);
		i = j + 1;
	} else if (absolute)
		return seterr(err, errlen, "%s: it has no scheme (https:, "
		    "urn:, ...)", what);
	/* The authority, after "//", ends at the path, query or fragment. */
	if (len - i >= 2 && s[i] == '/' && s[i + 1] == '/')
		for (aend = i + 2; aend < len && s[aend] != '/' &&
		    s[aend] != '?' && s[aend] != '#'; aend++)
			;
	for (; i < len; i++) {
		/* The common characters, in a tight loop. */
		while (i < len && pchar((unsigned char)s[i]))
			i++;
		if (i == len)
			break;
		c = (unsigned char)s[i];
		if (c == '#' && !frag) {
			frag = 1;
			continue;
		}
		/* An IP literal, [v6]: only in the authority. */
		if (i < aend && (c == '[' || c == ']'))
			continue;
		if (c == '%' && i + 2 < len && scan_hexval(s[i + 1]) >= 0 &&
		    scan_hexval(s[i + 2]) >= 0) {
			i += 2;
			continue;
		}
		if (c == '%')
			return seterr(err, errlen, "%s: the '%%' at byte %zu "
			    "is not followed by two hex digits (write %%25 for "
			    "'%%')", what, i + 1);
		if (c >= 0x80)
			return seterr(err, errlen, "%s: byte %zu is not "
			    "ASCII; percent-encode its UTF-8 (%%%02X...)", what,
			    i + 1, c);
		return seterr(err, errlen, "%s: '%c' at byte %zu is not allowed "
		    "there; percent-encode it (%%%02X)", what, c, i + 1, c);
	}
	return 0;
}

/*
 * An RFC 2045 token character: printable ASCII but space and the
 * tspecials ()<>@,;:\\"/[]?= ; a bit per ASCII character, as uric.
 */
static const uint32_t tokenc[4] = {
	0x00000000, 0x03ff6cfa, 0xc7fffffe, 0x7fffffff
};

static int
tokenchar(int c)
{
	return c < 128 && (tokenc[c >> 5] >> (c & 31) & 1);
}

int
ce_mediatype_check(const char *s, size_t len, char *err, size_t errlen)
{
	size_t i = 0, t;

	for (t = i; i < len && tokenchar((unsigned char)s[i]); i++)
		;
	if (i == t || i == len || s[i] != '/')
		goto bad;
	for (t = ++i; i < len && tokenchar((unsigned char)s[i]); i++)
		;
	if (i == t)
		goto bad;
	/* Parameters: OWS ";" OWS token "=" ( token / quoted-string ). */
	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len || s[i++] != ';')
			goto bad;
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		for (t = i; i < len && tokenchar((unsigned char)s[i]); i++)
			;
		if (i == t || i == len || s[i++] != '=')
			goto bad;
		if (i < len && s[i] == '"') {
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\' && i + 1 < len)
					i++;
				else if ((unsigned char)s[i] < 0x20 &&
				    s[i] != '\t')
					goto bad;
			if (i++ == len)
				goto bad;
		} else {
			for (t = i; i < len && tokenchar((unsigned char)s[i]);
			    i++)
				;
			if (i == t)
				goto bad;
		}
	}
	return 0;
bad:
	return seterr(err, errlen, "is not a media type (RFC 2046: "
	    "type/subtype, then ; name=value parameters): give one such as "
	    "application/json or text/plain; charset=utf-8");
}

/*
 * Gives the decoded bytes of a raw JSON string span: the span itself when it
 * holds no escapes, else a decoded copy in *heap, which the caller frees.
 */
static const char *
decoded(const char *raw, size_t rawlen, int esc, size_t *len, char **heap)
{
	if (!esc) {
		*len = rawlen;
		return raw;
	}
	*heap = realloc(*heap, rawlen + 1);
	if (*heap == NULL) {
		*len = 0;
		return "";
	}
	*len = scan_unescape(raw, rawlen, *heap);
	return *heap;
}

/*
 * The last valid source, dataschema and datacontenttype, per thread: a
 * stream mostly repeats them, and a comparison costs less than the
 * grammar.  A memo of pure functions, so it can only save time.
 */
struct memo {
	size_t len;		/* its length; 0: none yet */
	char s[128];		/* the value */
};

static _Thread_local struct memo memos[3];

static struct memo *
memo(int a)
{
	return &memos[a == CE_SOURCE ? 0 : a == CE_DATASCHEMA ? 1 : 2];
}

static int
remembered(int a, const char *v, size_t len)
{
	const struct memo *m = memo(a);

	return m->len == len && memcmp(m->s, v, len) == 0;
}

static void
remember(int a, const char *v, size_t len)
{
	struct memo *m = memo(a);

	if (len > 0 && len <= sizeof(m->s)) {
		memcpy(m->s, v, len);
		m->len = len;
	}
}

static int
check(const struct scanner *s, struct ce_event *ev, unsigned fill, char *err,
    size_t errlen, char **heap)
{
	const struct scan_member *m;
	const char *nm, *v;
	char why[200];
	size_t i, nl, vl;
	int64_t t;
	int a;

	memset(ev, 0, sizeof(*ev));
	ev->time = CE_NOTIME;
	if (s->type != SCAN_OBJECT)
		return seterr(err, errlen, "not a CloudEvent: %s, not an object",
		    typename(s->type));
	ev->nmembers = s->nm;
	for (i = 0; i < s->nm; i++) {
		m = &s->m[i];
		nm = decoded(m->name, m->namelen, m->nameesc, &nl, heap);
		a = lookup(nm, nl);
		/* Known names are valid; data and data_base64 are members,
		 * not attributes: the name rule does not apply to them. */
		if (a == CE_NATTR && !ce_name_ok(nm, nl))
			return seterr(err, errlen, "attribute name \"%.*s\" is "
			    "not lower-case a-z and 0-9", (int)(nl > 40 ? 40 :
			    nl), nm);
		if (a == CE_SPECVERSION)
			ev->specpos = i;
		if (m->type == SCAN_NULL)
			continue;
		switch (a) {
		case CE_DATA:
			break;
		case CE_NATTR:
		case CE_SEQUENCE:
			if (m->type == SCAN_STRING) {
				v = decoded(m->val + 1, m->vallen - 2,
				    m->valesc, &vl, heap);
				if (ce_text_check(v, vl, why, sizeof(why)) == -1)
					return seterr(err, errlen, "%.*s: %s",
					    (int)(nl > 40 ? 40 : nl), nm, why);
			}
			if (m->type == SCAN_STRING || m->type == SCAN_TRUE ||
			    m->type == SCAN_FALSE)
				break;
			if (m->type == SCAN_NUMBER) {
				if (!m->isint || !int32_ok(m->val, m->vallen))
					return seterr(err, errlen, "extension "
					    "\"%.*s\": %.*s is not an integer "
					    "in signed 32 bits", (int)(nl > 40 ?
					    40 : nl), nm, (int)(m->vallen > 24 ?
					    24 : m->vallen), m->val);
				break;
			}
			return seterr(err, errlen, "extension \"%.*s\": %s is "
			    "not a CloudEvents type", (int)(nl > 40 ? 40 : nl),
			    nm, typename(m->type));
		default:
			if (m->type != SCAN_STRING)
				return seterr(err, errlen, "\"%s\" must be a "
				    "string, not %s", ce_names[a],
				    typename(m->type));
			/* Empty base64 is empty data, not a missing value. */
			if (m->vallen == 2 && a != CE_DATA_BASE64)
				return seterr(err, errlen, "\"%s\" is empty",
				    ce_names[a]);
			/* The time is checked as a date-time, which is
			 * ASCII; base64 and specversion likewise. */
			if (a == CE_DATA_BASE64 || a == CE_SPECVERSION ||
			    a == CE_TIME)
				break;
			v = decoded(m->val + 1, m->vallen - 2, m->valesc, &vl,
			    heap);
			if (ce_text_check(v, vl, why, sizeof(why)) == -1)
				return seterr(err, errlen, "%s: %s", ce_names[a],
				    why);
			if ((a == CE_SOURCE || a == CE_DATASCHEMA ||
			    a == CE_DATACONTENTTYPE) && !remembered(a, v, vl) &&
			    ((a == CE_SOURCE && ce_uri_check(v, vl, 0, why,
			    sizeof(why)) == -1) || (a == CE_DATASCHEMA &&
			    ce_uri_check(v, vl, 1, why, sizeof(why)) == -1) ||
			    (a == CE_DATACONTENTTYPE && ce_mediatype_check(v,
			    vl, why, sizeof(why)) == -1)))
				return seterr(err, errlen, "%s \"%.*s\" %s",
				    ce_names[a], (int)(vl > 40 ? 40 : vl), v, why);
			if (a == CE_SOURCE || a == CE_DATASCHEMA ||
			    a == CE_DATACONTENTTYPE)
				remember(a, v, vl);
			break;
		}
		if (a != CE_NATTR)
			ev->a[a] = m;
	}
	if ((m = ev->a[CE_SPECVERSION]) == NULL)
		return seterr(err, errlen, "missing \"specversion\"");
	v = decoded(m->val + 1, m->vallen - 2, m->valesc, &vl, heap);
	if (vl != 3 || memcmp(v, "1.0", 3) != 0)
		return seterr(err, errlen, "specversion \"%.*s\" is not \"1.0\"",
		    (int)(vl > 20 ? 20 : vl), v);
	for (a = CE_ID; a <= CE_TYPE; a++)
		if (ev->a[a] == NULL && !(fill & 1U << a))
			return seterr(err, errlen, "missing \"%s\"", ce_names[a]);
	if ((m = ev->a[CE_TIME]) != NULL) {
		v = decoded(m->val + 1, m->vallen - 2, m->valesc, &vl, heap);
		if (rfc3339_parse(v, vl, &t) == -1)
			return seterr(err, errlen, "time \"%.*s\" is not an RFC "
			    "3339 date-time", (int)(vl > 40 ? 40 : vl), v);
		ev->time = t;
	}
	if ((m = ev->a[CE_DATA_BASE64]) != NULL) {
		if (ev->a[CE_DATA] != NULL)
			return seterr(err, errlen, "both \"data\" and "
			    "\"data_base64\"");
		v = decoded(m->val + 1, m->vallen - 2, m->valesc, &vl, heap);
		if (!base64_ok(v, vl))
			return seterr(err, errlen, "data_base64 is not valid "
			    "base64 (RFC 4648, padded)");
	}
	return 0;
}

int
ce_check(const struct scanner *s, struct ce_event *ev, unsigned fill,
    char *err, size_t errlen)
{
	char *heap = NULL;
	int r;

	r = check(s, ev, fill, err, errlen, &heap);
	free(heap);
	return r;
}

int
ce_validate(struct scanner *s, const char *line, size_t len,
    struct ce_event *ev, char *err, size_t errlen)
{
	if (scan_json(s, line, len) < 0)
		return seterr(err, errlen, "invalid JSON at byte %zu: %s",
		    s->erroff + 1, s->err);
	return ce_check(s, ev, 0, err, errlen);
}

uint64_t
ce_sequence(const struct ce_event *ev)
{
	const struct scan_member *m = ev->a[CE_SEQUENCE];
	uint64_t v = 0;
	size_t i;

	if (m == NULL || m->type != SCAN_STRING || m->valesc ||
	    m->vallen < 3 || m->vallen > 21)
		return 0;
	for (i = 1; i < m->vallen - 1; i++) {
		if (m->val[i] < '0' || m->val[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(m->val[i] - '0');
	}
	return v;
}

int64_t
ce_time(const struct ce_event *ev)
{
	char t[64];
	int64_t us;

	if (ev->a[CE_TIME] == NULL || ce_string(ev->a[CE_TIME], t,
	    sizeof(t)) == NULL || rfc3339_parse(t, strlen(t), &us) == -1)
		return CE_NOTIME;
	return us;
}
