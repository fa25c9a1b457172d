/* SPDX-License-Identifier: ISC */
/*
 * dupsig_test - the signatures and Bloom bits with which the scanner finds
 * duplicate names in a small object.  It includes src/scan.c to reach them:
 * they are static, and what is tested here is their cost, which no
 * scan_json result shows.  An object of the common shape must set no bit
 * twice, so that no name in it is compared with the others (the names
 * "type" and "time" once shared a signature, and every event paid a
 * comparison for it); a name with escapes must have the signature of its
 * decoded bytes, or a duplicate written with an escape would go unseen.
 * Usage: dupsig_test [DATA] (no data is needed here).
 */
#include "scan.c"
#include "unit.h"

/* The key of the unescaped name n, as scan_json records it. */
static struct scan_key
key(const char *n)
{
	struct scan_key k;

	memset(&k, 0, sizeof(k));
	k.name = n;
	k.len = (uint32_t)strlen(n);
	k.esc = strchr(n, '\\') != NULL;
	k.sig = keysig(&k);
	return k;
}

/* How many names of the NULL-terminated list find their bit taken. */
static int
bloomhits(const char **names)
{
	struct scan_key k;
	uint64_t seen = 0;
	int hits = 0;

	for (; *names != NULL; names++) {
		k = key(*names);
		if (seen & sigbit(k.sig))
			hits++;
		seen |= sigbit(k.sig);
	}
	return hits;
}

int
main(void)
{
	/* The objects of an event of bench/gen, and of one evpub writes. */
	static const char *top[] = { "specversion", "id", "source", "type",
	    "subject", "time", "datacontenttype", "data", NULL };
	static const char *data[] = { "order", "customer", "items", "amount",
	    "currency", "note", NULL };
	static const char *customer[] = { "id", "name", "email", NULL };
	static const char *item[] = { "sku", "qty", "price", NULL };
	/* Every attribute of CloudEvents 1.0 and its common extensions. */
	static const char *attrs[] = { "specversion", "id", "source", "type",
	    "subject", "time", "datacontenttype", "dataschema", "data",
	    "data_base64", "traceparent", "tracestate", "partitionkey",
	    "sequence", "dataref", NULL };
	struct scan_key a, b;
	size_t i, j;

	CHECK(bloomhits(top) == 0);
	CHECK(bloomhits(data) == 0);
	CHECK(bloomhits(customer) == 0);
	CHECK(bloomhits(item) == 0);
	for (i = 0; attrs[i] != NULL; i++)
		for (j = i + 1; attrs[j] != NULL; j++)
			CHECKMSG(key(attrs[i]).sig != key(attrs[j]).sig,
			    "%s and %s", attrs[i], attrs[j]);

	/* Escaped or not, the same name has the same signature. */
	a = key("type");
	b = key("t\\u0079pe");
	CHECK(a.sig == b.sig);
	b = key("typ\\u0065");
	CHECK(a.sig == b.sig);
	a = key("caf\xc3\xa9");
	b = key("caf\\u00e9");
	CHECK(a.sig == b.sig);
	CHECK(key("").sig == 0);
	return unit_done("dupsig_test");
}
