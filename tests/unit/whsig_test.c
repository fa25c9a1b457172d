/* SPDX-License-Identifier: ISC */
/*
 * whsig_test - webhook signatures: every vector of the corpus's
 * standard-webhooks/vectors.json, signed and verified (valid ones accepted,
 * invalid ones refused, bad timestamps refused by both), then the time
 * tolerance with an injected "now", and GitHub's X-Hub-Signature-256 with
 * the example of GitHub's documentation.
 * Usage: whsig_test DATA (tests/data, or a copy of its layout).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "whsig.h"
#include "unit.h"

static const char *
str(json_t *v, const char *name)
{
	json_t *s = json_object_get(v, name);

	return json_is_string(s) ? json_string_value(s) : NULL;
}

static void
vector(json_t *v)
{
	const char *name = str(v, "name"), *secret = str(v, "secret"),
	    *id = str(v, "id"), *ts = str(v, "timestamp"),
	    *payload = str(v, "payload"), *sig = str(v, "signature"),
	    *expect = str(v, "expect");
	char mine[WHSIG_MAXKEYS * (WHSIG_SIGLEN + 1)], err[256];
	struct whsig_key key;
	size_t plen;
	int r;

	CHECKMSG(name && secret && id && ts && payload && expect, "a vector "
	    "lacks a field");
	if (!(name && secret && id && ts && payload && expect))
		return;
	plen = strlen(payload);
	CHECKMSG(whsig_key(&key, secret, err, sizeof(err)) == 0, "%s: %s",
	    name, err);
	/* The prefix is optional. */
	if (strncmp(secret, "whsec_", 6) == 0) {
		struct whsig_key bare;

		CHECK(whsig_key(&bare, secret + 6, err, sizeof(err)) == 0);
		CHECK(bare.len == key.len && memcmp(bare.k, key.k,
		    key.len) == 0);
	}
	r = whsig_sign(&key, 1, id, ts, payload, plen, mine);
	if (strcmp(expect, "sign_error") == 0) {
		CHECKMSG(r == -1, "%s: signed", name);
		CHECKMSG(whsig_verify(&key, 1, id, ts, "v1,g0hM9SsE+OTPJTGt/tmIK"
		    "tSyZlE3uFJELVlNIOLJ1OE=", payload, plen, 0, 0, err,
		    sizeof(err)) == -1, "%s: verified", name);
		return;
	}
	CHECKMSG(r == 0, "%s: not signed", name);
	CHECKMSG(sig != NULL, "%s: no signature", name);
	if (sig == NULL)
		return;
	r = whsig_verify(&key, 1, id, ts, sig, payload, plen, 0, 0, err,
	    sizeof(err));
	if (strcmp(expect, "valid") == 0) {
		CHECKMSG(r == 0, "%s: refused: %s", name, err);
		/* A single signature is the one we make. */
		if (strchr(sig, ' ') == NULL)
			CHECKMSG(strcmp(mine, sig) == 0, "%s: signed %s, not "
			    "%s", name, mine, sig);
		else
			CHECKMSG(strstr(sig, mine) != NULL, "%s: %s is not "
			    "among them", name, mine);
		/* A byte more in the body, or another id, breaks it. */
		CHECK(whsig_verify(&key, 1, id, ts, sig, payload, plen - 1, 0, 0,
		    err, sizeof(err)) == -1);
		CHECK(whsig_verify(&key, 1, "msg_other", ts, sig, payload, plen,
		    0, 0, err, sizeof(err)) == -1);
	} else {
		CHECKMSG(r == -1, "%s: accepted", name);
		if (r == -1)
			CHECKMSG(strstr(err, "no webhook-signature matches") !=
			    NULL, "%s: %s", name, err);
		CHECKMSG(strstr(sig, mine) == NULL, "%s: ours is among them",
		    name);
	}
}

/* The tolerance, with "now" set to the vector's time and around it. */
static void
tolerance(void)
{
	const char *sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
	    *body = "{\"test\": 2432232314}", *id = "msg_p5jXN8AQM9LWM0D4lo"
	    "KWxJek";
	struct whsig_key key;
	char err[256];
	int64_t t = 1614265330;

	CHECK(whsig_key(&key, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", err,
	    sizeof(err)) == 0);
	CHECK(whsig_verify(&key, 1, id, "1614265330", sig, body, strlen(body),
	    t, WHSIG_TOLERANCE, err, sizeof(err)) == 0);
	CHECK(whsig_verify(&key, 1, id, "1614265330", sig, body, strlen(body),
	    t + WHSIG_TOLERANCE, WHSIG_TOLERANCE, err, sizeof(err)) == 0);
	CHECK(whsig_verify(&key, 1, id, "1614265330", sig, body, strlen(body),
	    t + WHSIG_TOLERANCE + 1, WHSIG_TOLERANCE, err, sizeof(err)) ==
	    -1 && strstr(err, "too old") != NULL);
	CHECK(whsig_verify(&key, 1, id, "1614265330", sig, body, strlen(body),
	    t - WHSIG_TOLERANCE - 1, WHSIG_TOLERANCE, err, sizeof(err)) ==
	    -1 && strstr(err, "future") != NULL);
	/* Missing headers, other versions, broken entries. */
	CHECK(whsig_verify(&key, 1, NULL, "1614265330", sig, body, strlen(body),
	    t, 0, err, sizeof(err)) == -1);
	CHECK(whsig_verify(&key, 1, id, NULL, sig, body, strlen(body), t, 0,
	    err, sizeof(err)) == -1);
	CHECK(whsig_verify(&key, 1, id, "1614265330", NULL, body, strlen(body),
	    t, 0, err, sizeof(err)) == -1);
	CHECK(whsig_verify(&key, 1, id, "1614265330", "v2,g0hM9SsE+OTPJTGt/tmIK"
	    "tSyZlE3uFJELVlNIOLJ1OE=", body, strlen(body), t, 0, err,
	    sizeof(err)) == -1);
	CHECK(whsig_verify(&key, 1, id, "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIK"
	    "tSyZlE3uFJELVlNIOLJ1O", body, strlen(body), t, 0, err,
	    sizeof(err)) == -1);
	CHECK(whsig_verify(&key, 1, id, "1614265330", "  v1a,x v1,  ", body,
	    strlen(body), t, 0, err, sizeof(err)) == -1);
	CHECK(whsig_verify(&key, 1, id, "1614265330", "v1,x  v1,g0hM9SsE+OTPJTG"
	    "t/tmIKtSyZlE3uFJELVlNIOLJ1OE=  ", body, strlen(body), t, 0, err,
	    sizeof(err)) == 0);
	CHECK(whsig_key(&key, "whsec_not base64!", err, sizeof(err)) == -1);
	CHECK(whsig_key(&key, "whsec_", err, sizeof(err)) == -1);
}

static void
github(void)
{
	/* From GitHub's documentation, "Validating webhook deliveries". */
	const char *secret = "It's a Secret to Everybody", *body = "Hello, "
	    "World!", *good = "sha256=757107ea0eb2509fc211221cce984b8a37570b"
	    "6d7586c22c46f4379c8b043e17";
	char err[256], bad[80];

	CHECKMSG(whsig_github(secret, good, body, strlen(body), err,
	    sizeof(err)) == 0, "%s", err);
	snprintf(bad, sizeof(bad), "%s", good);
	bad[strlen(bad) - 1] = '8';
	CHECK(whsig_github(secret, bad, body, strlen(body), err,
	    sizeof(err)) == -1);
	CHECK(whsig_github("another secret", good, body, strlen(body), err,
	    sizeof(err)) == -1);
	CHECK(whsig_github(secret, good, body, strlen(body) - 1, err,
	    sizeof(err)) == -1);
	CHECK(whsig_github(secret, good + 7, body, strlen(body), err,
	    sizeof(err)) == -1);
	CHECK(whsig_github(secret, NULL, body, strlen(body), err,
	    sizeof(err)) == -1);
	CHECK(whsig_github(secret, "sha256=zz", body, strlen(body), err,
	    sizeof(err)) == -1);
}

/* Several secrets: signed with each, verified by any; derived ids. */
static void
rotation(void)
{
	struct whsig_keys ks = { .n = 0 }, one = { .n = 0 };
	char sig[WHSIG_MAXKEYS * (WHSIG_SIGLEN + 1)], err[256];
	char id[WHSIG_IDLEN + 1], id2[WHSIG_IDLEN + 1];

	CHECK(whsig_addkeys(&ks, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
	    "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", err, sizeof(err)) == 0);
	CHECK(ks.n == 2);
	CHECK(whsig_addkeys(&one, "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
	    err, sizeof(err)) == 0);
	CHECK(whsig_sign(ks.k, ks.n, "m1", "1614265330", "{}", 2, sig) == 0);
	CHECK(strlen(sig) == 2 * WHSIG_SIGLEN + 1 && sig[WHSIG_SIGLEN] == ' ');
	CHECK(whsig_verify(one.k, one.n, "m1", "1614265330", sig, "{}", 2, 0,
	    0, err, sizeof(err)) == 0);
	CHECK(whsig_verify(ks.k + 1, 1, "m1", "1614265330", sig, "{}", 2, 0,
	    0, err, sizeof(err)) == 0);
	CHECK(whsig_verify(ks.k, 1, "m1", "1614265330", sig + WHSIG_SIGLEN + 1,
	    "{}", 2, 0, 0, err, sizeof(err)) == -1);
	CHECK(whsig_addkeys(&one, "whsec_!!", err, sizeof(err)) == -1);
	whsig_msgid("0192f3c1-7a2b-7c3d-8e4f-a1b2c3d4e5f6", 36, id);
	CHECK(strcmp(id, "0192f3c1-7a2b-7c3d-8e4f-a1b2c3d4e5f6") == 0);
	whsig_msgid("order/17", 8, id);
	whsig_msgid("order/17", 8, id2);
	CHECK(strncmp(id, "msg_", 4) == 0 && strlen(id) == WHSIG_IDLEN &&
	    strcmp(id, id2) == 0 && strspn(id + 4, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == 43);
	whsig_msgid("a.b", 3, id2);
	CHECK(strcmp(id, id2) != 0 && strncmp(id2, "msg_", 4) == 0);
}

int
main(int argc, char *argv[])
{
	char path[1024];
	json_error_t je;
	json_t *root, *vs;
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: whsig_test DATA\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/standard-webhooks/vectors.json",
	    argv[1]);
	root = json_load_file(path, 0, &je);
	CHECKMSG(root != NULL, "%s: %s", path, je.text);
	vs = json_object_get(root, "vectors");
	CHECKMSG(json_array_size(vs) >= 9, "%s: %zu vectors", path,
	    json_array_size(vs));
	for (i = 0; i < json_array_size(vs); i++)
		vector(json_array_get(vs, i));
	json_decref(root);
	tolerance();
	github();
	rotation();
	return unit_done("whsig_test");
}
