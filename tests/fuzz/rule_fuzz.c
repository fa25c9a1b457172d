/* SPDX-License-Identifier: ISC */
/*
 * rule_fuzz - libFuzzer target for what people type: evproject's fold
 * rules, evsub's --format templates and --from positions, and the time
 * syntax of every --since (time_parse).  The first byte of the input
 * picks the parser; a rule or template that parses is applied to a fixed
 * event.  Crashes and sanitizer reports are the failures, and a time that
 * parses must land within the range it can name.  make fuzz runs it,
 * seeded from tests/fuzz/seeds/rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ce.h"
#include "fold.h"
#include "format.h"
#include "out.h"
#include "scan.h"
#include "timefmt.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char event[] = "{\"specversion\":\"1.0\",\"id\":\"e1\","
    "\"source\":\"//s\",\"type\":\"order.placed\",\"subject\":\"order/1\","
    "\"time\":\"2026-12-06T00:00:00Z\",\"sequence\":\"000000000007\","
    "\"data\":{\"total\":42,\"items\":[{\"sku\":\"a\"}],\"s\":\"x\\u00e9\"}}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scanner sc;
	static struct ce_event ev;
	static int ready;
	struct fold_rule r;
	struct fold f;
	struct tmpl t;
	struct startpos sp;
	struct out o;
	const char *errstr;
	char err[512], *s;
	int64_t us;

	if (!ready) {
		scan_init(&sc);
		if (ce_validate(&sc, event, sizeof(event) - 1, &ev, err,
		    sizeof(err)) == -1)
			abort();
		ready = 1;
	}
	if (size == 0)
		return 0;
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		if (fold_rule_parse(&r, s, err, sizeof(err)) == 0) {
			if (fold_init(&f, NULL, &r, 1, err, sizeof(err)) == 0) {
				(void)fold_event(&f, &sc, &ev, err, sizeof(err));
				fold_free(&f);
			}
		}
		break;
	case 1:
		if (tmpl_parse(&t, s, err, sizeof(err)) == 0) {
			out_mem(&o);
			tmpl_event(&o, &t, event, sizeof(event) - 1, &sc, &ev);
			(void)out_close(&o);
		}
		tmpl_free(&t);
		break;
	case 2:
		if (time_parse(s, 1764979200000000LL, &us) == 0 &&
		    (us < -62135596800000000LL || us > 253402300800000000LL))
			abort();
		break;
	case 3:
		if (parsestart(s, &sp, &errstr) == 0 &&
		    startseq(&sp, 100) == 0)
			abort();
		break;
	}
	free(s);
	return 0;
}
