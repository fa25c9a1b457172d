/* SPDX-License-Identifier: ISC */
/*
 * index_test - the keyed hash of the log index: SipHash-2-4 against the
 * test vectors of its paper (key 00 01 ... 0f, messages 00 01 ... of each
 * length), and the decoding of the keys it hashes.
 * Usage: index_test [DATA] (no data is needed here).
 */
#include <stdint.h>
#include <string.h>

#include "log_int.h"
#include "unit.h"

int
main(void)
{
	uint64_t k[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	unsigned char msg[64];
	uint64_t h[2];
	struct scanner sc;
	struct ce_event ev;
	struct buf strs = { 0 };
	struct idx_ev e;
	char err[128];
	const char *line;
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	/* Appendix A of "SipHash: a fast short-input PRF", and vectors.h of
	 * its reference code, read as little-endian 64-bit numbers. */
	CHECK(siphash24(k, msg, 0) == 0x726fdb47dd0e0e31ULL);
	CHECK(siphash24(k, msg, 1) == 0x74f839c593dc67fdULL);
	CHECK(siphash24(k, msg, 8) == 0x93f5f5799a932462ULL);
	CHECK(siphash24(k, msg, 15) == 0xa129ca6149be45e5ULL);
	/* Each length hashes differently; so does each key. */
	for (i = 1; i < sizeof(msg); i++)
		CHECK(siphash24(k, msg, i) != siphash24(k, msg, i - 1));
	/* The 128-bit output: vectors_sip128 of the reference code. */
	siphash24_128(k, msg, 0, h);
	CHECK(h[0] == 0xe6a825ba047f81a3ULL && h[1] == 0x930255c71472f66dULL);
	siphash24_128(k, msg, 8, h);
	CHECK(h[0] == 0x61f55862baa9623bULL && h[1] == 0xb49714f364e2830fULL);
	siphash24_128(k, msg, 15, h);
	CHECK(h[0] == 0x11a8b03399e99354ULL && h[1] == 0xd9c3cf970fec087eULL);
	k[0] ^= 1;
	CHECK(siphash24(k, msg, 15) != 0xa129ca6149be45e5ULL);
	siphash24_128(k, msg, 15, h);
	CHECK(h[0] != 0x11a8b03399e99354ULL);

	/* The key is source, NUL, id, decoded; the subject decoded too. */
	scan_init(&sc);
	line = "{\"specversion\":\"1.0\",\"id\":\"\\u0041b\",\"source\":"
	    "\"s\\/1\",\"type\":\"t\",\"subject\":\"x\",\"time\":"
	    "\"2026-01-01T00:00:01+01:00\"}";
	CHECK(ce_validate(&sc, line, strlen(line), &ev, err, sizeof(err)) == 0);
	idx_evfrom(&ev, &strs, &e);
	CHECK(e.keylen == 6 && memcmp(strs.p + e.key, "s/1\0Ab", 6) == 0);
	CHECK(e.hassubj && e.subjlen == 1 && strs.p[e.subj] == 'x');
	CHECK(e.time == (1767225600LL - 3600 + 1) * 1000000);
	line = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
	    "\"type\":\"t\"}";
	CHECK(ce_validate(&sc, line, strlen(line), &ev, err, sizeof(err)) == 0);
	strs.len = 0;
	idx_evfrom(&ev, &strs, &e);
	CHECK(!e.hassubj && e.time == IDX_NOTIME);
	buf_free(&strs);
	scan_free(&sc);
	return unit_done("index_test");
}
