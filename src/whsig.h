/* SPDX-License-Identifier: ISC */
/*
 * whsig.h - webhook signatures: Standard Webhooks (symmetric "v1", HMAC-SHA256
 * over "id.timestamp.body" with a "whsec_" secret) and GitHub's
 * X-Hub-Signature-256 (HMAC-SHA256 over the body, in hex).  Signing for
 * evsub --post, verifying for evpub --listen; comparisons take constant
 * time.  https://www.standardwebhooks.com/ and GitHub's "Validating
 * webhook deliveries".
 */
#ifndef EV_WHSIG_H
#define EV_WHSIG_H

#include <stddef.h>
#include <stdint.h>

#define WHSIG_KEYMAX 256	/* the longest decoded secret, in bytes */
#define WHSIG_SIGLEN 47		/* "v1," and 44 characters of base64 */
#define WHSIG_TOLERANCE 300	/* seconds a timestamp may be off */
#define WHSIG_MAXKEYS 8		/* secrets at once, for rotating them */
#define WHSIG_IDLEN 47		/* a derived webhook-id: "msg_" and 43 */

struct whsig_key {
	unsigned char k[WHSIG_KEYMAX];	/* the key bytes */
	size_t len;			/* how many */
};

/*
 * Several keys: while a secret is rotated, a sender signs with the old
 * and the new, and a receiver takes a signature by either.
 */
struct whsig_keys {
	struct whsig_key k[WHSIG_MAXKEYS];	/* the keys, in order given */
	int n;					/* how many */
};

/*
 * Decodes a Standard Webhooks secret: "whsec_" (optional) and base64 of
 * the key.  Returns 0, or -1 with a reason in err.
 */
int whsig_key(struct whsig_key *key, const char *secret, char *err,
    size_t n);

/*
 * Adds the secrets of text, one a line (as --secret and --secret-file
 * give them, joined), to keys.  Returns 0, or -1 with a reason in err.
 */
int whsig_addkeys(struct whsig_keys *keys, const char *text, char *err,
    size_t n);

/*
 * The webhook-id of an event whose id is id[0..len): the id itself when
 * it is only ASCII letters, digits, '_' and '-' (at most 64), the
 * characters Standard Webhooks advises; else "msg_" and the unpadded
 * base64url of the SHA-256 of the id, the same for the same id on every
 * try.  Writes it, NUL-terminated, into out.
 */
void whsig_msgid(const char *id, size_t len, char out[WHSIG_IDLEN + 1]);

/*
 * Checks a webhook-timestamp: decimal seconds since the epoch, digits
 * only.  Returns 0 and sets *sec, or -1.
 */
int whsig_timestamp(const char *ts, int64_t *sec);

/*
 * Writes the webhook-signature for id, timestamp ts and the body into
 * sig: "v1,BASE64" for each of the nkeys keys, separated by spaces,
 * NUL-terminated.  Returns 0, or -1 when ts is not a valid timestamp.
 */
int whsig_sign(const struct whsig_key *keys, int nkeys, const char *id,
    const char *ts, const char *body, size_t len,
    char sig[WHSIG_MAXKEYS * (WHSIG_SIGLEN + 1)]);

/*
 * Verifies a webhook-signature header (space-separated "vN,BASE64"
 * entries, any one matching "v1" by any of the nkeys keys will do) for
 * id, ts and the body.  The timestamp must be within tolerance seconds of
 * now (tolerance 0: not checked).  Returns 0, or -1 with a reason in err.
 */
int whsig_verify(const struct whsig_key *keys, int nkeys, const char *id,
    const char *ts,
    const char *sigs, const char *body, size_t len, int64_t now,
    int tolerance, char *err, size_t n);

/*
 * Verifies GitHub's X-Hub-Signature-256 header, "sha256=HEX", over the
 * body with secret (several, one a line: any will do).  Returns 0, or -1
 * with a reason in err.
 */
int whsig_github(const char *secret, const char *header, const char *body,
    size_t len, char *err, size_t n);

#endif
