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

struct whsig_key {
	unsigned char k[WHSIG_KEYMAX];	/* the key bytes */
	size_t len;			/* how many */
};

/*
 * Decodes a Standard Webhooks secret: "whsec_" (optional) and base64 of
 * the key.  Returns 0, or -1 with a reason in err.
 */
int whsig_key(struct whsig_key *key, const char *secret, char *err,
    size_t n);

/*
 * Checks a webhook-timestamp: decimal seconds since the epoch, digits
 * only.  Returns 0 and sets *sec, or -1.
 */
int whsig_timestamp(const char *ts, int64_t *sec);

/*
 * Writes "v1,BASE64" (NUL-terminated) for id, timestamp ts and the body
 * into sig.  Returns 0, or -1 when ts is not a valid timestamp.
 */
int whsig_sign(const struct whsig_key *key, const char *id, const char *ts,
    const char *body, size_t len, char sig[WHSIG_SIGLEN + 1]);

/*
 * Verifies a webhook-signature header (space-separated "vN,BASE64"
 * entries, any one matching "v1" will do) for id, ts and the body.  The
 * timestamp must be within tolerance seconds of now (tolerance 0: not
 * checked).  Returns 0, or -1 with a reason in err.
 */
int whsig_verify(const struct whsig_key *key, const char *id, const char *ts,
    const char *sigs, const char *body, size_t len, int64_t now,
    int tolerance, char *err, size_t n);

/*
 * Verifies GitHub's X-Hub-Signature-256 header, "sha256=HEX", over the
 * body with secret.  Returns 0, or -1 with a reason in err.
 */
int whsig_github(const char *secret, const char *header, const char *body,
    size_t len, char *err, size_t n);

#endif
