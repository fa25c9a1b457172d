/* SPDX-License-Identifier: ISC */
/*
 * bus_nats_name.c - the NATS names of the bus's things (bus_nats.c says
 * the scheme): a topic's stream, EV_<NAME>, and subjects, ev.<NAME>.>,
 * NAME with '_' as "__" and '.' as "_d"; an event's subject, its bytes
 * that NATS would misread percent-encoded, hashed when too long; its
 * Nats-Msg-Id, source and id; a consumer's name, '.' as '~'.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bus_nats_int.h"
#include "util.h"

#define NB_SUBJMAX 2048		/* the longest encoded subject in a NATS
				   subject; a longer one is hashed */

/* Appends topic to b as one token of a stream name or a subject. */
static void
put_topic(struct buf *b, const char *topic)
{
	for (; *topic != '\0'; topic++)
		if (*topic == '_')
			buf_puts(b, "__");
		else if (*topic == '.')
			buf_puts(b, "_d");
		else
			buf_putc(b, *topic);
}

/* The topic a stream name stands for, or NULL when it is not ours. */
char *
nb_stream_topic(const char *stream)
{
	char *t, *q;

	if (strncmp(stream, "EV_", 3) != 0 || stream[3] == '\0')
		return NULL;
	t = q = xmalloc(strlen(stream));
	for (stream += 3; *stream != '\0'; stream++) {
		if (*stream != '_') {
			*q++ = *stream;
			continue;
		}
		if (stream[1] == '_')
			*q++ = '_';
		else if (stream[1] == 'd')
			*q++ = '.';
		else {
			free(t);
			return NULL;
		}
		stream++;
	}
	*q = '\0';
	return t;
}

/* The NATS name of a consumer, from '.' to '~', or back, from '~' to '.'.
 * Only the dot is rewritten (as a topic's '_' is not), so that the NATS
 * names of the consumers made before stay as they were. */
char *
nb_cons_name(const char *consumer, char from, char to)
{
	char *c = xstrdup(consumer), *p;

	for (p = c; (p = strchr(p, from)) != NULL; p++)
		*p = to;
	return c;
}

char *
nb_stream_name(const char *topic)
{
	struct buf b = { 0 };

	buf_puts(&b, "EV_");
	put_topic(&b, topic);
	buf_putc(&b, '\0');
	return b.p;
}

/* "ev.<topic>." */
char *
nb_subj_prefix(const char *topic)
{
	struct buf b = { 0 };

	buf_puts(&b, "ev.");
	put_topic(&b, topic);
	buf_puts(&b, ".");
	buf_putc(&b, '\0');
	return b.p;
}

/* Appends s[0..len) with the bytes a NATS subject token cannot carry
 * (or would read as a wildcard or separator) as %XX. */
static void
put_pct(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '%' || c == '.' ||
		    c == '*' || c == '>') {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		} else
			buf_putc(b, c);
	}
}

/* Appends the decoded string member m (or nothing for NULL). */
static void
put_str(struct buf *b, const struct scan_member *m)
{
	size_t n;

	buf_reserve(b, m->vallen);
	if (m->valesc)
		n = scan_unescape(m->val + 1, m->vallen - 2, b->p + b->len);
	else {
		n = m->vallen - 2;
		memcpy(b->p + b->len, m->val + 1, n);
	}
	b->len += n;
}

/* Appends the NATS subject of the event ev: prefix, then "s.SUBJECT"
 * encoded, or "_" for none; a subject whose encoding is longer than
 * NB_SUBJMAX as "h." and the SHA-256 of its bytes, in hex. */
int
nb_put_subject(struct buf *b, const char *prefix, const struct ce_event *ev,
    char *err, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	struct buf s = { 0 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t at;

	buf_puts(b, prefix);
	if (ev->a[CE_SUBJECT] == NULL) {
		buf_putc(b, '_');
		return 0;
	}
	buf_puts(b, "s.");
	at = b->len;
	put_str(&s, ev->a[CE_SUBJECT]);
	if (s.len == 0)
		buf_putc(b, '%');
	else
		put_pct(b, s.p, s.len);
	/*
	 * The subject goes on the line of the protocol that carries the
	 * message (and on a direct get's, for --expect), which the server
	 * takes up to max_control_line, 4096 bytes by default: past it, it
	 * closes the connection, and no ack comes (acks_wait).  A longer
	 * subject is named by its hash instead, which --expect counts alike
	 * (the event itself keeps its subject).
	 */
	if (b->len - at > NB_SUBJMAX) {
		b->len = at - 2;
		if (EVP_Digest(s.p, s.len, md, &mdlen, EVP_sha256(), NULL) !=
		    1) {
			buf_free(&s);
			return seterr(err, n, "SHA-256: the digest failed");
		}
		buf_puts(b, "h.");
		for (i = 0; i < mdlen; i++) {
			buf_putc(b, hex[md[i] >> 4]);
			buf_putc(b, hex[md[i] & 15]);
		}
	}
	buf_free(&s);
	return 0;
}

/* Appends the Nats-Msg-Id of ev: its source and id, encoded, with a
 * space between them. */
void
nb_put_msgid(struct buf *b, const struct ce_event *ev)
{
	struct buf t = { 0 };

	put_str(&t, ev->a[CE_SOURCE]);
	put_pct(b, t.p, t.len);
	buf_putc(b, ' ');
	t.len = 0;
	put_str(&t, ev->a[CE_ID]);
	put_pct(b, t.p, t.len);
	buf_free(&t);
}
