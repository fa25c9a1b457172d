/* SPDX-License-Identifier: ISC */
/*
 * whsig.c - webhook signatures with OpenSSL's HMAC-SHA256.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdio.h>
#include <string.h>

#include "ce.h"
#include "util.h"
#include "whsig.h"

#define MACLEN 32	/* SHA-256 */

/*
 * HMAC-SHA256 of the parts p[0..n), as if they were one string.  The
 * parts go to the MAC one after the other, so a large body is not copied.
 */
static int
hmac(const unsigned char *key, size_t klen, const char *const *p,
    const size_t *plen, int n, unsigned char out[MACLEN])
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	size_t outlen;
	int i, r = -1;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(ctx, key, klen, params) != 1)
		goto out;
	for (i = 0; i < n; i++)
		if (plen[i] > 0 && EVP_MAC_update(ctx,
		    (const unsigned char *)p[i], plen[i]) != 1)
			goto out;
	if (EVP_MAC_final(ctx, out, &outlen, MACLEN) == 1 && outlen == MACLEN)
		r = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

/* Decodes padded base64 s[0..len) into out (room for len / 4 * 3). */
static int
b64dec(const char *s, size_t len, unsigned char *out, size_t *outlen)
{
	int n;

	if (!base64_ok(s, len))
		return -1;
	if (len == 0) {
		*outlen = 0;
		return 0;
	}
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len)) < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	n -= (s[len - 1] == '=') + (s[len - 2] == '=');
	*outlen = (size_t)n;
	return 0;
}

int
whsig_key(struct whsig_key *key, const char *secret, char *err, size_t n)
{
	size_t len;

	if (strncmp(secret, "whsec_", 6) == 0)
		secret += 6;
	len = strlen(secret);
	if (len == 0)
		return seterr(err, n, "the secret is empty");
	if (len / 4 * 3 > sizeof(key->k))
		return seterr(err, n, "the secret is longer than %d bytes",
		    WHSIG_KEYMAX);
	if (b64dec(secret, len, key->k, &key->len) == -1)
		return seterr(err, n, "the secret is not whsec_ and base64");
	return 0;
}

int
whsig_addkeys(struct whsig_keys *keys, const char *text, char *err, size_t n)
{
	char line[WHSIG_KEYMAX * 2];
	size_t len;

	for (; *text != '\0'; text += len + (text[len] == '\n')) {
		len = strcspn(text, "\n");
		if (len == 0)
			continue;
		if (keys->n == WHSIG_MAXKEYS)
			return seterr(err, n, "more than %d secrets",
			    WHSIG_MAXKEYS);
		if (len >= sizeof(line))
			return seterr(err, n, "the secret is longer than %d "
			    "bytes", WHSIG_KEYMAX);
		memcpy(line, text, len);
		line[len] = '\0';
		if (whsig_key(&keys->k[keys->n], line, err, n) == -1)
			return -1;
		keys->n++;
	}
	if (keys->n == 0)
		return seterr(err, n, "the secret is empty");
	return 0;
}

void
whsig_msgid(const char *id, size_t len, char out[WHSIG_IDLEN + 1])
{
	unsigned char md[MACLEN];
	char b64[48];
	size_t i;

	for (i = 0; i < len && i < 64; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') || id[i] == '_' ||
		    id[i] == '-'))
			break;
	if (i == len) {
		memcpy(out, id, len);
		out[len] = '\0';
		return;
	}
	/* SHA-256 cannot fail on memory that is there. */
	(void)EVP_Digest(id, len, md, NULL, EVP_sha256(), NULL);
	EVP_EncodeBlock((unsigned char *)b64, md, MACLEN);
	memcpy(out, "msg_", 4);
	for (i = 0; i < 43; i++)
		out[4 + i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	out[4 + 43] = '\0';
}

int
whsig_timestamp(const char *ts, int64_t *sec)
{
	long long v;
	const char *errstr;

	/* Digits only: no sign, no fraction, no space (parsenum allows a
	 * sign through strtoll). */
	if (ts == NULL || *ts == '\0' || strspn(ts, "0123456789") !=
	    strlen(ts))
		return -1;
	if (parsenum(ts, 0, 1LL << 40, &v, &errstr) == -1)
		return -1;
	*sec = v;
	return 0;
}

/* The v1 MAC of id.ts.body. */
static int
v1mac(const struct whsig_key *key, const char *id, const char *ts,
    const char *body, size_t len, unsigned char mac[MACLEN])
{
	const char *p[5] = { id, ".", ts, ".", body };
	size_t pl[5] = { strlen(id), 1, strlen(ts), 1, len };

	return hmac(key->k, key->len, p, pl, 5, mac);
}

int
whsig_sign(const struct whsig_key *keys, int nkeys, const char *id,
    const char *ts, const char *body, size_t len,
    char sig[WHSIG_MAXKEYS * (WHSIG_SIGLEN + 1)])
{
	unsigned char mac[MACLEN];
	int64_t sec;
	int i;

	if (whsig_timestamp(ts, &sec) == -1)
		return -1;
	sig[0] = '\0';
	for (i = 0; i < nkeys && i < WHSIG_MAXKEYS; i++) {
		if (v1mac(&keys[i], id, ts, body, len, mac) == -1)
			return -1;
		if (i > 0)
			*sig++ = ' ';
		memcpy(sig, "v1,", 3);
		EVP_EncodeBlock((unsigned char *)sig + 3, mac, MACLEN);
		sig += WHSIG_SIGLEN;
	}
	return 0;
}

int
whsig_verify(const struct whsig_key *keys, int nkeys, const char *id,
    const char *ts, const char *sigs, const char *body, size_t len,
    int64_t now, int tolerance, char *err, size_t n)
{
	unsigned char mac[WHSIG_MAXKEYS][MACLEN], got[48];
	const char *p, *e, *comma;
	size_t glen;
	int64_t sec;
	int match = 0, k;

	if (id == NULL || *id == '\0')
		return seterr(err, n, "no webhook-id");
	if (ts == NULL)
		return seterr(err, n, "no webhook-timestamp");
	if (sigs == NULL)
		return seterr(err, n, "no webhook-signature");
	if (whsig_timestamp(ts, &sec) == -1)
		return seterr(err, n, "webhook-timestamp is not a number of "
		    "seconds");
	if (tolerance > 0 && sec < now - tolerance)
		return seterr(err, n, "webhook-timestamp is too old");
	if (tolerance > 0 && sec > now + tolerance)
		return seterr(err, n, "webhook-timestamp is in the future");
	if (nkeys > WHSIG_MAXKEYS)
		nkeys = WHSIG_MAXKEYS;
	for (k = 0; k < nkeys; k++)
		if (v1mac(&keys[k], id, ts, body, len, mac[k]) == -1)
			return seterr(err, n, "HMAC failed");
	/* Every v1 entry is compared with every key, a match or not, so
	 * that the time taken says nothing about which one matched. */
	for (p = sigs; *p != '\0'; p = e) {
		p += strspn(p, " ");
		e = p + strcspn(p, " ");
		if (e == p)
			break;
		comma = memchr(p, ',', (size_t)(e - p));
		if (comma == NULL || comma - p != 2 || memcmp(p, "v1", 2) != 0)
			continue;
		comma++;
		if ((size_t)(e - comma) != 44 || b64dec(comma,
		    (size_t)(e - comma), got, &glen) == -1 || glen != MACLEN)
			continue;
		for (k = 0; k < nkeys; k++)
			match |= CRYPTO_memcmp(got, mac[k], MACLEN) == 0;
	}
	if (!match)
		return seterr(err, n, "no webhook-signature matches");
	return 0;
}

int
whsig_github(const char *secret, const char *header, const char *body,
    size_t len, char *err, size_t n)
{
	unsigned char mac[MACLEN], got[MACLEN];
	const char *p[1] = { body };
	size_t pl[1] = { len }, i, sl;
	int hi, lo, match = 0;

	if (header == NULL)
		return seterr(err, n, "no X-Hub-Signature-256");
	if (strncmp(header, "sha256=", 7) != 0 || strlen(header) != 7 +
	    2 * MACLEN)
		return seterr(err, n, "X-Hub-Signature-256 is not sha256=HEX");
	header += 7;
	for (i = 0; i < MACLEN; i++) {
		hi = OPENSSL_hexchar2int((unsigned char)header[2 * i]);
		lo = OPENSSL_hexchar2int((unsigned char)header[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return seterr(err, n, "X-Hub-Signature-256 is not "
			    "sha256=HEX");
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	/* Each secret, one a line; every one is tried, as above. */
	for (; *secret != '\0'; secret += sl + (secret[sl] == '\n')) {
		if ((sl = strcspn(secret, "\n")) == 0)
			continue;
		if (hmac((const unsigned char *)secret, sl, p, pl, 1, mac) ==
		    -1)
			return seterr(err, n, "HMAC failed");
		match |= CRYPTO_memcmp(got, mac, MACLEN) == 0;
	}
	if (!match)
		return seterr(err, n, "X-Hub-Signature-256 does not match");
	return 0;
}
