/* SPDX-License-Identifier: ISC */
/*
 * gen - make the fixed benchmark workload.
 *
 * "gen N" prints N lines, each a JSON object of 230 to 260 bytes that looks
 * like the data of an order event: an order number, a customer with a name
 * and an e-mail address, one or two items, an integer amount from 0 to
 * 1000 (uniform, so that a filter such as amount>500 keeps about half), a
 * currency and a free-text note.
 *
 * "gen -e N" prints N whole CloudEvents instead: the same data objects, in
 * the same order, wrapped in an envelope with a unique UUIDv7-shaped id, one
 * of eight event types drawn with a skewed distribution, a subject that fits
 * the type, and a time that increases from 2026-11-26T05:16:21.123456Z.
 * The data objects come from their own random stream, so line i of
 * "gen N" is byte for byte the data of event i of "gen -e N".
 *
 * The random numbers come from splitmix64 with constant seeds, so the output
 * is the same on every machine and every run.  The program is plain C99 with
 * no dependencies, so that bench/run can build it with any cc.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATASEED 0x6576656e7466756cULL	/* "eventful" */
#define ENVSEED  0x62656e63686d6b31ULL	/* "benchmk1" */
#define DATAMIN  230			/* shortest data object, bytes */
#define DATAMAX  260			/* longest data object, bytes */
#define LINEMAX  1024			/* room for the longest event */

/* The first event's time, in microseconds since the Unix epoch. */
#define START_US (1795670181ULL * 1000000 + 123456)

struct rng {
	uint64_t s;			/* splitmix64 state */
};

/*
 * An event type with its weight out of 100 and the kind of subject that
 * goes with it.  The weights are skewed as in a shop: most events are about
 * orders, few about failures.
 */
struct evtype {
	const char *name;		/* the CloudEvents type */
	unsigned weight;		/* how often, out of 100 */
	const char *subject;		/* the subject's prefix */
	int bycustomer;			/* whether the subject names a customer */
};

static const struct evtype types[] = {
	{ "order.placed",   30, "order/",   0 },
	{ "order.paid",     22, "order/",   0 },
	{ "order.shipped",  15, "order/",   0 },
	{ "user.updated",   12, "user/",    1 },
	{ "user.created",    8, "user/",    1 },
	{ "cart.abandoned",  6, "cart/",    1 },
	{ "invoice.sent",    5, "invoice/", 0 },
	{ "payment.failed",  2, "order/",   0 },
};

/*
 * Each name is kept twice: as it is written (UTF-8 where the name has
 * accents, so that the scanners see multi-byte characters) and as it goes
 * into an e-mail address.
 */
static const char *const firsts[][2] = {
	{ "Ada", "ada" }, { "Alan", "alan" }, { "Grace", "grace" },
	{ "Edsger", "edsger" }, { "Barbara", "barbara" },
	{ "Dennis", "dennis" }, { "Ken", "ken" }, { "Margaret", "margaret" },
	{ "Frances", "frances" }, { "Niklaus", "niklaus" },
	{ "Radia", "radia" }, { "Donald", "donald" }, { "Sophie", "sophie" },
	{ "José", "jose" }, { "Zoë", "zoe" }, { "Björn", "bjorn" },
};

static const char *const lasts[][2] = {
	{ "Lovelace", "lovelace" }, { "Turing", "turing" },
	{ "Hopper", "hopper" }, { "Dijkstra", "dijkstra" },
	{ "Liskov", "liskov" }, { "Ritchie", "ritchie" },
	{ "Thompson", "thompson" }, { "Hamilton", "hamilton" },
	{ "Allen", "allen" }, { "Wirth", "wirth" }, { "Perlman", "perlman" },
	{ "Knuth", "knuth" }, { "Wilson", "wilson" }, { "Müller", "muller" },
	{ "Ødegaard", "odegaard" }, { "García", "garcia" },
};

static const char *const domains[] = {
	"example.com", "example.org", "example.net", "shop.example",
};

static const char *const currencies[] = { "EUR", "EUR", "EUR", "USD", "GBP" };

/*
 * The words of the note.  They are plain ASCII except for one escaped
 * quotation, so that the note exercises the scanners' escape handling and
 * can be cut between any two words.
 */
static const char *const words[] = {
	"please", "leave", "the", "parcel", "at", "door", "back", "gift",
	"wrap", "call", "before", "delivery", "no", "rush", "fragile",
	"ring", "twice", "\\\"urgent\\\"", "office", "hours", "only",
	"neighbour", "can", "sign", "thanks", "invoice", "to", "company",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Returns the next 64 random bits (splitmix64). */
static uint64_t
next(struct rng *r)
{
	uint64_t z;

	z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Returns a number from 0 to n - 1, for n below 2^32. */
static unsigned
below(struct rng *r, unsigned n)
{
	return (unsigned)(((next(r) >> 32) * n) >> 32);
}

/*
 * The splitmix64 output function on its own.  Each of its steps can be
 * undone, so it maps distinct inputs to distinct outputs: that is what makes
 * the ids unique.
 */
static uint64_t
mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Appends a string and returns the new end. */
static char *
puts_(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* Appends v in decimal, zero-padded to at least width digits. */
static char *
putu(char *p, uint64_t v, int width)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 || n < width);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* Appends the low ndigits hexadecimal digits of v. */
static char *
putx(char *p, uint64_t v, int ndigits)
{
	static const char hex[] = "0123456789abcdef";

	while (ndigits-- > 0)
		*p++ = hex[(v >> (4 * ndigits)) & 0xf];
	return p;
}

/*
 * Writes one data object at p, without a newline, and returns its end.
 * The order number and customer go to *order and *customer for the
 * envelope's subject.
 */
static char *
makedata(char *p, struct rng *r, unsigned *order, unsigned *customer)
{
	char *start = p, *cut;
	unsigned cid, nitems, i, target, tries;

	*order = 1 + below(r, 999999);
	*customer = cid = 1 + below(r, 9999);
	p = puts_(p, "{\"order\":\"o-");
	p = putu(p, *order, 6);
	p = puts_(p, "\",\"customer\":{\"id\":\"c-");
	p = putu(p, cid, 4);

	/* The same customer always has the same name and address. */
	p = puts_(p, "\",\"name\":\"");
	p = puts_(p, firsts[cid % NELEM(firsts)][0]);
	*p++ = ' ';
	p = puts_(p, lasts[cid / NELEM(firsts) % NELEM(lasts)][0]);
	p = puts_(p, "\",\"email\":\"");
	p = puts_(p, firsts[cid % NELEM(firsts)][1]);
	*p++ = '.';
	p = puts_(p, lasts[cid / NELEM(firsts) % NELEM(lasts)][1]);
	*p++ = '@';
	p = puts_(p, domains[cid % NELEM(domains)]);
	p = puts_(p, "\"},\"items\":[");

	/* Most orders have one item, some two: three would not fit DATAMAX. */
	nitems = below(r, 100) < 70 ? 1 : 2;
	for (i = 0; i < nitems; i++) {
		unsigned cents = 99 + below(r, 9900);

		p = puts_(p, i ? ",{\"sku\":\"SKU-" : "{\"sku\":\"SKU-");
		p = putu(p, 1 + below(r, 999), 0);
		p = puts_(p, "\",\"qty\":");
		p = putu(p, 1 + below(r, 5), 0);
		p = puts_(p, ",\"price\":");
		p = putu(p, cents / 100, 0);
		*p++ = '.';
		p = putu(p, cents % 100, 2);
		*p++ = '}';
	}
	p = puts_(p, "],\"amount\":");
	p = putu(p, below(r, 1001), 0);
	p = puts_(p, ",\"currency\":\"");
	p = puts_(p, currencies[below(r, NELEM(currencies))]);

	/*
	 * The note pads the object to a length drawn from DATAMIN..DATAMAX.
	 * Whole words are added while the closing "} still fits; spaces make
	 * up the few bytes left, so the length is exact and no escape is ever
	 * cut.
	 */
	p = puts_(p, "\",\"note\":\"");
	target = DATAMIN + below(r, DATAMAX - DATAMIN + 1);
	cut = start + target - 2;
	for (i = 0, tries = 0; p < cut && tries < 8; tries++) {
		const char *word = words[below(r, NELEM(words))];
		size_t n = strlen(word) + (i > 0);

		/* A word that does not fit gives a shorter one a chance. */
		if (p + n > cut)
			continue;
		if (i++ > 0)
			*p++ = ' ';
		p = puts_(p, word);
		tries = 0;
	}
	while (p < cut)
		*p++ = ' ';
	return puts_(p, "\"}");
}

/* Appends a time in microseconds since the epoch in RFC 3339, UTC. */
static char *
puttime(char *p, uint64_t us)
{
	uint64_t secs = us / 1000000, days = secs / 86400;
	unsigned sod = (unsigned)(secs % 86400);
	int64_t z, era, doe, yoe, doy, mp, y, m, d;

	/* Howard Hinnant's civil_from_days, for days after 1970-01-01. */
	z = (int64_t)days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;

	p = putu(p, (uint64_t)y, 4);
	*p++ = '-';
	p = putu(p, (uint64_t)m, 2);
	*p++ = '-';
	p = putu(p, (uint64_t)d, 2);
	*p++ = 'T';
	p = putu(p, sod / 3600, 2);
	*p++ = ':';
	p = putu(p, sod / 60 % 60, 2);
	*p++ = ':';
	p = putu(p, sod % 60, 2);
	*p++ = '.';
	p = putu(p, us % 1000000, 6);
	return puts_(p, "Z");
}

/*
 * Appends a UUIDv7-shaped id for event number seq at time us.  Its 74
 * "random" bits hold a scrambled seq (64 bits, unique by mix()) and 10 bits
 * from the envelope stream.
 */
static char *
putid(char *p, struct rng *r, uint64_t seq, uint64_t us)
{
	uint64_t tail = mix(seq ^ ENVSEED), hi, lo;

	hi = (us / 1000) << 16 | 0x7000 | tail >> 52;
	lo = 0x8000000000000000ULL | (next(r) & 0x3ff) << 52 |
	    (tail & 0xfffffffffffffULL);
	p = putx(p, hi >> 32, 8);
	*p++ = '-';
	p = putx(p, hi >> 16, 4);
	*p++ = '-';
	p = putx(p, hi, 4);
	*p++ = '-';
	p = putx(p, lo >> 48, 4);
	*p++ = '-';
	return putx(p, lo, 12);
}

/* Writes the envelope up to and including "data": and returns its end. */
static char *
makeenv(char *p, struct rng *r, uint64_t seq, uint64_t us, unsigned order,
    unsigned customer)
{
	const struct evtype *t = types;
	unsigned w = below(r, 100);

	while (w >= t->weight) {
		w -= t->weight;
		t++;
	}
	p = puts_(p, "{\"specversion\":\"1.0\",\"id\":\"");
	p = putid(p, r, seq, us);
	p = puts_(p, "\",\"source\":\"//bench/gen\",\"type\":\"");
	p = puts_(p, t->name);
	p = puts_(p, "\",\"subject\":\"");
	p = puts_(p, t->subject);
	p = putu(p, t->bycustomer ? customer : order, 0);
	p = puts_(p, "\",\"time\":\"");
	p = puttime(p, us);
	return puts_(p, "\",\"datacontenttype\":\"application/json\",\"data\":");
}

static void
usage(FILE *fp, int status)
{
	fputs("usage: gen [-e] N\n", fp);
	exit(status);
}

int
main(int argc, char *argv[])
{
	struct rng data = { DATASEED }, env = { ENVSEED };
	char line[LINEMAX], datab[LINEMAX], *p, *end;
	unsigned long long n, i;
	uint64_t us = START_US;
	unsigned order, customer;
	int events = 0;

	if (argc == 3 && strcmp(argv[1], "-e") == 0) {
		events = 1;
		argv++;
	} else if (argc != 2) {
		usage(stderr, 2);
	}
	if (argv[1][0] < '0' || argv[1][0] > '9')
		usage(stderr, 2);
	n = strtoull(argv[1], &end, 10);
	if (*end != '\0' || n > 1000000000000ULL)
		usage(stderr, 2);

	/* Large writes: the output is hundreds of megabytes. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 18);
	for (i = 0; i < n; i++) {
		/* The data is made first so both modes draw it alike. */
		end = makedata(datab, &data, &order, &customer);
		p = line;
		if (events) {
			p = makeenv(p, &env, i, us, order, customer);
			us += 1 + below(&env, 1999);
		}
		memcpy(p, datab, (size_t)(end - datab));
		p += end - datab;
		if (events)
			*p++ = '}';
		*p++ = '\n';
		if (fwrite(line, 1, (size_t)(p - line), stdout) !=
		    (size_t)(p - line))
			break;
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror("gen: stdout");
		return 1;
	}
	return 0;
}
