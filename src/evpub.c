/* SPDX-License-Identifier: ISC */
/*
 * evpub - make CloudEvents and publish them.
 *
 * One event from the command line (fields become its data), or with -l one
 * event per line of standard input: a JSON value becomes the data of a new
 * event, an event is completed and checked, a batch is split.  Events go to
 * standard output or, with -o, to a file or FIFO.  With --listen, events
 * come from HTTP requests: the receiving side of webhooks; with --sse, from
 * a Server-Sent Events stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "cli.h"
#include "common.h"
#include "http.h"
#include "listen.h"
#include "log.h"
#include "pub.h"
#include "ssein.h"
#include "topiclist.h"
#include "util.h"

enum { OPT_BODYTIME = OPT_FIRST_OWN, OPT_BUS, OPT_CREDS, OPT_CTYPE,
    OPT_DUPWINDOW,
    OPT_EXPECT, OPT_GHSECRET, OPT_GHSECRETFILE, OPT_HEADTIME, OPT_ID,
    OPT_LISTEN, OPT_MAXCONN, OPT_MAXWAIT, OPT_PATH, OPT_PERADDR, OPT_RAW,
    OPT_REPLICAS, OPT_SCHEMA, OPT_SECRET, OPT_SECRETFILE, OPT_SYNC, OPT_TIME,
    OPT_TIMEOUT, OPT_TLSCERT, OPT_TLSKEY };
/* --sse's (ssein.c). */
enum { OPT_SSE = OPT_TLSKEY + 1, OPT_SSEEVENT, OPT_STATE, OPT_HEADERFILE,
    OPT_TOKENFILE };

static const struct option longopts[] = {
	{ "body-timeout", required_argument, NULL, OPT_BODYTIME },
	{ "bus", required_argument, NULL, OPT_BUS },
	{ "creds", required_argument, NULL, OPT_CREDS },
	{ "count", required_argument, NULL, 'c' },
	{ "data", required_argument, NULL, 'd' },
	{ "dup-window", required_argument, NULL, OPT_DUPWINDOW },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "ext", required_argument, NULL, 'e' },
	{ "github-secret", required_argument, NULL, OPT_GHSECRET },
	{ "github-secret-file", required_argument, NULL, OPT_GHSECRETFILE },
	{ "head-timeout", required_argument, NULL, OPT_HEADTIME },
	{ "id", required_argument, NULL, OPT_ID },
	{ "lines", no_argument, NULL, 'l' },
	{ "datacontenttype", required_argument, NULL, OPT_CTYPE },
	{ "dataschema", required_argument, NULL, OPT_SCHEMA },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "max-conns", required_argument, NULL, OPT_MAXCONN },
	{ "max-per-addr", required_argument, NULL, OPT_PERADDR },
	{ "max-wait", required_argument, NULL, OPT_MAXWAIT },
	{ "output", required_argument, NULL, 'o' },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "replicas", required_argument, NULL, OPT_REPLICAS },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "secret-file", required_argument, NULL, OPT_SECRETFILE },
	{ "source", required_argument, NULL, 's' },
	{ "subject", required_argument, NULL, 'S' },
	{ "sync", required_argument, NULL, OPT_SYNC },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "tls-cert", required_argument, NULL, OPT_TLSCERT },
	{ "tls-key", required_argument, NULL, OPT_TLSKEY },
	{ "topic", required_argument, NULL, 'T' },
	{ "type", required_argument, NULL, 't' },
	{ "header-file", required_argument, NULL, OPT_HEADERFILE },
	{ "sse", required_argument, NULL, OPT_SSE },
	{ "sse-event", no_argument, NULL, OPT_SSEEVENT },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "token-file", required_argument, NULL, OPT_TOKENFILE },
	{ "wait", required_argument, NULL, 'w' },
	COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f, int status)
{
	if (f != stdout)
		tryhelp();
	fprintf(f,
"usage: evpub [-lq] [-c count] [-d data] [-e name=value] [-o path | -T topic]\n"
"             [-S subject] [-s source] [-t type] [--body-timeout seconds]\n"
"             [--bus url] [--creds file] [--datacontenttype type]\n"
"             [--dataschema uri] [--dup-window seconds] [--expect count]\n"
"             [--github-secret secret | --github-secret-file file]\n"
"             [--head-timeout seconds] [--id id] [--listen host:port]\n"
"             [--max-conns n] [--max-per-addr n] [--max-size size]\n"
"             [--max-wait seconds] [--path path] [--raw] [--rejects file]\n"
"             [--replicas n] [--secret secret | --secret-file file]\n"
"             [--sync mode] [--time time] [--timeout seconds]\n"
"             [--tls-cert file] [--tls-key file] [field ...]\n"
"       evpub --sse url [-q] [-c count] [-e name=value] [-o path | -T topic]\n"
"             [-S subject] [-s source] [-t type] [-w seconds] [--bus url]\n"
"             [--creds file] [--header-file file] [--max-size size]\n"
"             [--rejects file] [--sse-event] [--state file]\n"
"             [--token-file file]\n");
	if (f == stdout) {
		fprintf(f,
"\n"
"fields:  key=string  key:=json  a.b=nested   (the event's data)\n"
"  -c, --count N          with --listen: exit after N events\n"
"  -d, --data JSON|@FILE  the whole data (@- reads stdin)\n"
"  -e, --ext NAME=VALUE   an extension attribute (NAME:=JSON for a\n"
"                         boolean or 32-bit integer)\n"
"  -l, --lines            one event per line of stdin (without -l or\n"
"                         -d @-, input waiting on stdin is refused)\n"
"  -o, --output PATH      append to a file, or write to a FIFO\n"
"  -q, --quiet            no message per rejected line; -T: nothing on\n"
"                         stdout\n"
"  -S, --subject SUBJECT  the subject\n"
"  -s, --source SOURCE    the source (default $EV_SOURCE, else //HOST/evpub)\n"
"  -T, --topic NAME       publish to a topic: its log, then its live\n"
"                         subscribers ($EVENTFUL_HOME/topics/NAME); each\n"
"                         event stored goes to stdout with its sequence\n"
"  -t, --type TYPE        the type\n"
"      --body-timeout S   with --listen: the most a request's body may\n"
"                         take to arrive (60)\n"
"      --bus URL          -T: the topic's bus: nats://HOST:PORT[,...] is\n"
"                         NATS JetStream (default $EVENTFUL_BUS, else\n"
"                         $NATS_URL, else the directory bus)\n"
"      --creds FILE       -T, NATS: a user's credentials file (default\n"
"                         $NATS_CREDS)\n"
"      --datacontenttype TYPE\n"
"                         the data's media type (JSON data: a JSON one)\n"
"      --dataschema URI   the dataschema attribute\n"
"      --dup-window S     -T, NATS, a new stream: repeats of a source and\n"
"                         id within so long are dropped (default 120)\n"
"      --expect COUNT     -T: publish only if the events' subject has\n"
"                         COUNT events (status 4 if not, or if another\n"
"                         writer comes in between)\n"
"      --github-secret S  with --listen: require GitHub's signature\n"
"                         (default $EVENTFUL_GITHUB_SECRET); again: by any\n"
"      --github-secret-file FILE\n"
"                         --github-secret from FILE, one a line\n"
"      --head-timeout S   with --listen: the most a request's head may\n"
"                         take to arrive (10)\n"
"      --id ID            the id (default: a new UUIDv7)\n"
"      --listen HOST:PORT take events by HTTP POST (port 0: any free one)\n"
"      --max-conns N      with --listen: connections at once (10000)\n"
"      --max-per-addr N   with --listen: connections from one address\n"
"                         (100; 0: no limit)\n"
"      --max-size SIZE    the longest event (default 1M)\n"
"      --max-wait SECONDS -T: cut off a subscriber that takes nothing\n"
"                         for so long (default 2)\n"
"      --path PATH        with --listen: where POSTs go (default /)\n"
"      --raw              with -l: each line is text data\n"
"      --rejects FILE     keep rejected lines there\n"
"      --replicas N       -T, NATS, a new stream: its copies (default 3\n"
"                         in a cluster of 3 or more servers, else 1)\n"
"      --secret whsec_... with --listen: require Standard Webhooks\n"
"                         signatures (default $EVENTFUL_WEBHOOK_SECRET);\n"
"                         again: a signature by any of them\n"
"      --secret-file FILE --secret from FILE, one a line\n"
"      --sync MODE        -T: event, batch (default) or none, as evlog\n"
"      --time TIME        the time: RFC 3339, a date, @EPOCH, or a\n"
"                         duration ago (1h, 30m, 2d; default: now)\n"
"      --tls-cert FILE    with --listen: serve HTTPS with this certificate\n"
"                         (PEM; the chain, leaf first), and --tls-key\n"
"      --tls-key FILE     with --listen: the certificate's private key (PEM)\n"
"      --timeout SECONDS  with --listen: the most a connection may stay\n"
"                         silent (15)\n"
"\n"
"reading Server-Sent Events:\n"
"      --sse URL          read the event stream at URL: a data: that is a\n"
"                         CloudEvent as it is, else the data of an event of\n"
"                         type -t whose id is the message's id:; reconnects\n"
"                         with Last-Event-ID (-c: stop after N events)\n"
"      --header-file FILE request headers, one \"Name: value\" a line\n"
"      --sse-event        the type is the message's event: name\n"
"      --state FILE       keep the last event id there: a next run resumes\n"
"      --token-file FILE  send Authorization: Bearer with FILE's token\n"
"  -w, --wait SECONDS     stop (status 5) when no event comes for so long\n"
"  -h, --help, --version  this help; the version\n"
"\n"
"exit status: 0 ok, 1 failure, 2 usage, 3 invalid input lines,\n"
"             4 --expect: the subject's count differs, or another writer\n"
"             came in between, 5 -w: nothing came in time\n");
		stdout_done();
	}
	exit(status);
}

/* Tells what is wrong with a combination of options, or NULL. */
static const char *
conflict(int lines, int argc, const char *data, const struct pub *p,
    const struct listen *l, int listenopt)
{
	if (l->addr == NULL && listenopt)
		return "-c, --path, --secret, --github-secret (and their "
		    "-file forms), --max-conns, "
		    "--max-per-addr, --tls-cert, --tls-key and the time-outs "
		    "are for --listen";
	if ((l->tlscert == NULL) != (l->tlskey == NULL))
		return "--tls-cert and --tls-key go together";
	if (l->addr != NULL && (lines || argc > 0 || data != NULL ||
	    p->id != NULL))
		return "--listen takes the events from HTTP: no -l, --raw, "
		    "fields, -d or --id";
	if (l->addr != NULL)
		return NULL;
	if (lines && (argc > 0 || data != NULL))
		return "-l reads the data from stdin: no fields or -d";
	if (lines && p->id != NULL)
		return "--id names one event: not with -l";
	if ((!lines || p->raw) && p->type == NULL)
		return "-t TYPE is required";
	if (data != NULL && argc > 0)
		return "the data comes from fields or from -d, not both";
	return NULL;
}

/* A whole number of --listen's, from min to max; a bad one is usage. */
static unsigned
listennum(const char *opt, const char *arg, long long min, long long max)
{
	const char *errstr;
	long long v;

	if (parsenum(arg, min, max, &v, &errstr) == -1) {
		warnw(opt, "%s: %s", arg, errstr);
		usage(stderr, EXIT_USAGE);
	}
	return (unsigned)v;
}

/* Publishes one event per line of standard input. */
static int
publines(struct common *c, struct pub *p, struct out *o)
{
	struct reader r;
	struct line l;
	enum rd_status st;
	uint64_t reads = 0;
	char err[512];

	common_reader(c, &r, STDIN_FILENO, "stdin");
	r.idle = out_idle;
	r.idlearg = o;
	while (!o->closed) {
		switch ((st = rd_line(&r, &l))) {
		case RD_EOF:
			rd_free(&r);
			return c->status;
		case RD_ERROR:
			errwe(EXIT_FAIL, r.errwhere, "%s", r.errop);
		case RD_TOOLONG:
		case RD_NUL:
			(void)reject_unread(c, "stdin", &l, st);
			continue;
		case RD_AGAIN:
		case RD_TIMEOUT:
			continue;	/* not from a blocking reader */
		case RD_LINE:
			break;
		}
		/* The lines of one read(2) came together: one clock. */
		if (r.reads != reads) {
			reads = r.reads;
			pub_tick(p);
		}
		if (pub_line(p, o, l.p, l.len, err, sizeof(err)) != PUB_OK)
			reject(c, "stdin", &l, "%s", err);
	}
	rd_free(&r);
	return c->status;
}

/* Publishes the one event that the command line describes. */
static int
pubone(struct common *c, struct pub *p, struct out *o, const char *data,
    int argc, char **argv)
{
	struct buf d = { 0 };
	const char *where = data != NULL ? "-d" : "fields";
	char err[512], *text = NULL;
	size_t len;

	if (argc > 0 && pub_fields(p, &d, argc, argv, err, sizeof(err)) == -1) {
		warnw(NULL, "%s", err);
		usage(stderr, EXIT_USAGE);
	}
	if (data != NULL) {
		if (data[0] == '@') {
			where = data[1] == '-' && data[2] == '\0' ? "stdin" :
			    data + 1;
			/* Pretty-printed data shrinks when compacted: read up
			 * to 16 times the limit, then check the event. */
			if ((text = readfile(data + 1, 16 * c->maxsize, &len)) ==
			    NULL && errno == EFBIG)
				errw(EXIT_INVALID, where, "longer than %zu bytes",
				    16 * c->maxsize);
			if (text == NULL)
				errwe(EXIT_FAIL, where, "read");
		} else {
			text = xstrdup(data);
			len = strlen(text);
		}
		if (pub_json(p, &d, text, len, err, sizeof(err)) == -1)
			errw(EXIT_INVALID, where, "%s", err);
		free(text);
	}
	/* Inside the event, the data sits one level deeper. */
	if (d.len > 0 && (scan_json(&p->sc, d.p, d.len) < 0 ||
	    p->sc.deepest >= SCAN_MAXDEPTH))
		errw(data != NULL ? EXIT_INVALID : EXIT_USAGE, where, "the data "
		    "is nested too deep for an event (%d levels at most)",
		    SCAN_MAXDEPTH - 1);
	if (pub_event(p, o, d.len ? d.p : NULL, d.len, "application/json",
	    err, sizeof(err)) != PUB_OK)
		errw(EXIT_INVALID, NULL, "%s", err);
	buf_free(&d);
	return c->status;
}

/* The command line, as given, where it is not the event's or the
 * receiver's. */
struct opts {
	const char *data;	/* -d */
	const char *output;	/* -o */
	const char *topic;	/* -T */
	const char *secret;	/* --secret, one a line */
	const char *busurl;	/* --bus */
	const char *creds;	/* --creds */
	long long maxwait;	/* --max-wait, microseconds */
	long long expect;	/* --expect, or -1 */
	long long replicas;	/* --replicas, or 0 */
	long long dupwindow;	/* --dup-window, microseconds, or 0 */
	int sync;		/* --sync */
	int lines;		/* -l */
	int listenopt;		/* an option only --listen takes */
	int tonly;		/* an option only -T takes */
	int given;		/* BUS_SYNC, BUS_MAXWAIT */
	int countopt;		/* -c was given */
	int sseopt;		/* an option only --sse takes */
	struct ssein sse;	/* --sse, when sse.url is set */
};

/* The options of --sse (ssein.c): whether ch was one. */
static int
sseopt(struct opts *op, int ch, const char *arg)
{
	const char *errstr;
	long long v;

	switch (ch) {
	case OPT_SSE:
		op->sse.url = arg;
		return 1;
	case OPT_SSEEVENT:
		op->sse.evtype = 1;
		break;
	case OPT_STATE:
		op->sse.state = arg;
		break;
	case OPT_HEADERFILE:
		op->sse.headers = secret_file("--header-file", arg);
		break;
	case OPT_TOKENFILE:
		/* Never on the command line, where ps shows it. */
		op->sse.token = secret_file("--token-file", arg);
		if (strchr(op->sse.token, '\n') != NULL) {
			warnw("--token-file", "%s: one token, one line", arg);
			usage(stderr, EXIT_USAGE);
		}
		break;
	case 'w':
		if (parsesecs(arg, 1e7, &v, &errstr) == -1) {
			warnw("-w", "%s: %s", arg, errstr);
			usage(stderr, EXIT_USAGE);
		}
		op->sse.idle = v;
		break;
	default:
		return 0;
	}
	op->sseopt = 1;
	return 1;
}

/* The options of -T, publishing to a topic on a bus (each is for -T
 * only: op->tonly): whether ch was one. */
static int
topicopt(struct opts *op, int ch, const char *arg)
{
	const char *errstr, *why;

	switch (ch) {
	case 'T':
		op->topic = cli_topic("-T", arg);
		break;
	case OPT_MAXWAIT:
		if (parsesecs(arg, 86400, &op->maxwait, &why) == -1)
			badval("--max-wait", arg, why);
		op->given |= BUS_MAXWAIT;
		op->tonly = 1;
		break;
	case OPT_SYNC:
		if ((op->sync = log_syncmode(arg)) == -1)
			badval("--sync", arg, "event, batch or none");
		op->given |= BUS_SYNC;
		op->tonly = 1;
		break;
	case OPT_BUS:
		op->busurl = arg;
		op->tonly = 1;
		break;
	case OPT_CREDS:
		op->creds = arg;
		op->tonly = 1;
		break;
	case OPT_DUPWINDOW:
		if (parsesecs(arg, 86400 * 365, &op->dupwindow, &why) == -1 ||
		    (op->dupwindow < 1000000 &&
		    (why = "1 second at least") != NULL))
			badval("--dup-window", arg, why);
		op->tonly = 1;
		break;
	case OPT_EXPECT:
		if (parsenum(arg, 0, 1LL << 62, &op->expect, &errstr) == -1)
			badval("--expect", arg, errstr);
		op->tonly = 1;
		break;
	case OPT_REPLICAS:
		if (parsenum(arg, 1, 5, &op->replicas, &errstr) == -1)
			badval("--replicas", arg, errstr);
		op->tonly = 1;
		break;
	default:
		return 0;
	}
	return 1;
}

/* The options of --listen, the receiver (listen.c); each but --listen
 * itself marks op->listenopt: whether ch was one. */
static int
listenopt(struct opts *op, struct listen *l, int ch, const char *arg)
{
	switch (ch) {
	case OPT_GHSECRET:
		l->ghsecret = secret_join(l->ghsecret, arg);
		op->listenopt = 1;
		break;
	case OPT_GHSECRETFILE:
		l->ghsecret = secret_join(l->ghsecret, secret_file(
		    "--github-secret-file", arg));
		op->listenopt = 1;
		break;
	case OPT_LISTEN:
		l->addr = arg;
		break;
	case OPT_PATH:
		l->path = arg;
		op->listenopt = 1;
		break;
	case OPT_SECRET:
		/* Each one more: a signature by any is taken. */
		op->secret = secret_join(op->secret, arg);
		op->listenopt = 1;
		break;
	case OPT_SECRETFILE:
		op->secret = secret_join(op->secret,
		    secret_file("--secret-file", arg));
		op->listenopt = 1;
		break;
	case OPT_TLSCERT:
		l->tlscert = arg;
		op->listenopt = 1;
		break;
	case OPT_TLSKEY:
		l->tlskey = arg;
		op->listenopt = 1;
		break;
	case OPT_TIMEOUT:
		l->timeout = listennum("--timeout", arg, 1, 3600);
		op->listenopt = 1;
		break;
	case OPT_HEADTIME:
		l->headtime = listennum("--head-timeout", arg, 1, 3600);
		op->listenopt = 1;
		break;
	case OPT_BODYTIME:
		l->bodytime = listennum("--body-timeout", arg, 1, 3600);
		op->listenopt = 1;
		break;
	case OPT_MAXCONN:
		l->maxconn = listennum("--max-conns", arg, 1, 1000000);
		op->listenopt = 1;
		break;
	case OPT_PERADDR:
		l->peraddr = listennum("--max-per-addr", arg, 0, 1000000);
		op->listenopt = 1;
		break;
	default:
		return 0;
	}
	return 1;
}

/* Parses the options into op, c, the event p and the receiver l. */
static void
parseopts(int argc, char *argv[], struct opts *op, struct common *c,
    struct pub *p, struct listen *l)
{
	const char *errstr;
	char err[512];
	int ch;

	while ((ch = getopt_long(argc, argv, "c:d:e:hlo:qS:s:T:t:w:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (parsenum(optarg, 1, 1LL << 62, &l->count, &errstr) ==
			    -1)
				badval("-c", optarg, errstr);
			op->sse.count = l->count;
			op->countopt = 1;
			break;
		case 'd':
			op->data = optarg;
			break;
		case 'e':
			if (pub_addext(p, optarg, err, sizeof(err)) == -1) {
				warnw("-e", "%s", err);
				usage(stderr, EXIT_USAGE);
			}
			break;
		case 'l':
			op->lines = 1;
			break;
		case 'o':
			op->output = optarg;
			break;
		case 'S':
			p->subject = optarg;
			break;
		case OPT_CTYPE:
			p->ctype = optarg;
			break;
		case OPT_SCHEMA:
			p->schema = optarg;
			break;
		case 's':
			p->source = optarg;
			break;
		case 't':
			p->type = optarg;
			break;
		case OPT_ID:
			p->id = optarg;
			break;
		case OPT_RAW:
			p->raw = op->lines = 1;
			break;
		case OPT_TIME:
			p->time = optarg;
			break;
		default:
			if (!topicopt(op, ch, optarg) &&
			    !listenopt(op, l, ch, optarg) &&
			    !sseopt(op, ch, optarg) && !common_opt(c, ch, optarg))
				usage(stderr, EXIT_USAGE);
		}
	}
}

/*
 * The usage errors of --sse; its source, when none was given, is the
 * stream's URL without its query (where a token may be).
 */
static const char *
ssecheck(struct opts *op, struct pub *p, struct listen *l, int argc)
{
	if (op->sse.url == NULL)
		return op->sseopt ? "--header-file, --sse-event, --state, "
		    "--token-file and -w are for --sse" : NULL;
	if (l->addr != NULL || op->lines || argc > 0 || op->data != NULL ||
	    p->id != NULL || op->listenopt || op->expect >= 0)
		return "--sse takes the events from a stream: no --listen (nor "
		    "its options), -l, --raw, fields, -d, --id or --expect";
	if (strncmp(op->sse.url, "http://", 7) != 0 &&
	    strncmp(op->sse.url, "https://", 8) != 0)
		return "--sse: an http:// or https:// URL";
	if (p->type == NULL && !op->sse.evtype)
		return "--sse: -t TYPE, or --sse-event (the type is the event: "
		    "name), for data that is not a CloudEvent";
	if (p->source == NULL) {
		op->sse.source = xstrdup(op->sse.url);
		op->sse.source[strcspn(op->sse.source, "?#")] = '\0';
		p->source = op->sse.source;
	}
	return NULL;
}

/*
 * Checks what goes together, takes the secrets from the environment when
 * none was given, and readies the event.  Returns NULL, or why not, with
 * err for room.
 */
static const char *
checkopts(struct opts *op, struct pub *p, struct listen *l, int argc,
    char *err, size_t n)
{
	const char *env, *why;

	if ((why = ssecheck(op, p, l, argc)) != NULL)
		return why;
	if (op->countopt && l->addr == NULL && op->sse.url == NULL)
		return "-c is for --listen and --sse";
	if (op->secret == NULL && l->addr != NULL)
		op->secret = getenv("EVENTFUL_WEBHOOK_SECRET");
	if (l->ghsecret == NULL && l->addr != NULL &&
	    (env = getenv("EVENTFUL_GITHUB_SECRET")) != NULL && *env != '\0')
		l->ghsecret = env;
	if (op->topic != NULL && op->output != NULL)
		return "-o and -T exclude each other";
	if (op->topic == NULL && op->tonly)
		return "--bus, --creds, --dup-window, --expect, --max-wait, "
		    "--replicas and --sync are for -T";
	if (op->expect >= 0 && l->addr != NULL)
		return "--expect is for events from the command line or -l, "
		    "not --listen";
	if (op->sse.url == NULL && (why = conflict(op->lines, argc, op->data,
	    p, l, op->listenopt)) != NULL)
		return why;
	if (pub_prepare(p, err, n) == -1)
		return err;
	if (op->secret != NULL && *op->secret != '\0') {
		if (whsig_addkeys(&l->keys, op->secret, err, n) == -1)
			return err;
		l->sign = 1;
	}
	return NULL;
}

/* evpub --sse: the reading's end as the exit status; a failure is said
 * here. */
static int
sse_main(struct ssein *in, const struct common *c)
{
	char err[2048];

	switch (ssein_run(in, err, sizeof(err))) {
	case SSEIN_OK:
		return c->status;
	case SSEIN_IDLE:
		return EXIT_IDLE;
	case SSEIN_REFUSED:	/* said */
		return EXIT_FAIL;
	default:
		warnw(NULL, "%s", err);
		return EXIT_FAIL;
	}
}

/* evpub --listen: the receiver's end as the exit status; a failure to
 * start is said here. */
static int
listen_main(struct listen *l)
{
	char err[2048];

	switch (listen_run(l, err, sizeof(err))) {
	case LISTEN_OK:
		return EXIT_OK;
	case LISTEN_ADDR:
		warnw(NULL, "%s", err);
		return EXIT_USAGE;
	default:
		warnw(NULL, "%s", err);
		return EXIT_FAIL;
	}
}

/*
 * Publishes: to a topic (group commits of what has arrived, as evlog
 * append's; a receiver answers only once its events are durable, so it
 * commits in its own thread, at once), or to stdout or -o; from the
 * command line, stdin's lines, or HTTP.
 */
static int
run(struct opts *op, struct common *c, struct pub *p, struct listen *l,
    int argc, char *argv[])
{
	struct bus_pubopts po = { op->sync, op->maxwait, c->quiet,
	    l->addr == NULL && op->expect < 0, op->expect >= 0,
	    op->expect >= 0 ? (uint64_t)op->expect : 0, (int)op->replicas,
	    op->dupwindow, op->given, busfail };
	struct bus_pub *tp = NULL;
	struct bus *bus = NULL;
	struct out o;
	char err[BUS_ERRMAX];
	int status, r;

	if (op->topic != NULL) {
		bus = cli_bus_open(op->busurl, op->creds);
		/* A subject of a topic not made yet has no events: a failed
		 * --expect makes nothing. */
		if (op->expect > 0 && (r = bus_exists(bus, op->topic, NULL,
		    err, sizeof(err))) != BUS_OK) {
			if (r != BUS_NOTOPIC)
				busfail(r, err);
			errw(EXIT_EXPECT, op->topic, "the subject has 0 events, "
			    "not %lld: nothing published (no such topic; "
			    "nothing made)", op->expect);
		}
		if ((r = bus_warn_near(bus, op->topic, err, sizeof(err))) !=
		    BUS_OK || (r = bus_pub_open(bus, op->topic, &po, &tp, err,
		    sizeof(err))) != BUS_OK)
			busfail(r, err);
		out_sink(&o, pubsink, tp, op->sync == SYNC_EVENT ? 1 :
		    1 << 20);
	} else
		out_open(&o, op->output);
	l->p = p;
	l->o = &o;
	l->quiet = c->quiet;
	op->sse.p = p;
	op->sse.o = &o;
	op->sse.c = c;
	op->sse.quiet = c->quiet;
	if (op->sse.url != NULL) {
		status = sse_main(&op->sse, c);
		free(op->sse.source);
	}
	else if (l->addr != NULL)
		status = listen_main(l);
	else if (op->lines)
		status = publines(c, p, &o);
	else
		status = pubone(c, p, &o, op->data, argc, argv);
	(void)closeout(&o);
	if (op->topic != NULL) {
		if ((r = bus_pub_close(tp, err, sizeof(err))) != BUS_OK)
			busfail(r, err);
		bus_close(bus);
	}
	return status;
}

int
main(int argc, char *argv[])
{
	struct opts op = { .maxwait = 2000000, .sync = SYNC_BATCH, .expect = -1 };
	struct listen l;
	struct common c;
	struct pub p;
	const char *env, *why;
	char err[512];
	int status;

	stdfds();
	setprogname(argv[0]);
	argv[0] = (char *)getprogname();	/* getopt's messages say it */
	common_init(&c, usage);
	pub_init(&p);
	memset(&l, 0, sizeof(l));
	l.path = "/";
	l.peraddr = LISTEN_PERADDR;
	if ((env = getenv("EV_SOURCE")) != NULL && *env != '\0')
		p.source = env;
	parseopts(argc, argv, &op, &c, &p, &l);
	argc -= optind;
	argv += optind;
	p.maxsize = c.maxsize;
	/* In a topic's log an event carries its sequence: that must fit. */
	if (op.topic != NULL)
		p.maxsize = c.maxsize > STAMP_LEN ? c.maxsize - STAMP_LEN : 1;
	if ((why = checkopts(&op, &p, &l, argc, err, sizeof(err))) != NULL) {
		warnw(NULL, "%s", why);
		usage(stderr, EXIT_USAGE);
	}
	if (p.ctype != NULL && !p.raw && l.addr == NULL &&
	    !http_isjson(p.ctype, strlen(p.ctype))) {
		warnw("--datacontenttype", "%s: the data evpub makes from fields, "
		    "-d and -l is JSON, so its type is JSON too "
		    "(application/json, or one ending in +json); --raw makes "
		    "text data", p.ctype);
		usage(stderr, EXIT_USAGE);
	}
	/*
	 * jo and httpie habits: JSON piped in without -l would be lost.  An
	 * event with data from the command line was meant as it is (stdin
	 * may be a loop's, as in while read); one without any, with input
	 * waiting, most likely meant that input.
	 */
	if (!op.lines && l.addr == NULL && op.data == NULL && argc == 0 &&
	    input_waiting(STDIN_FILENO, 50)) {
		warnw("stdin", "input is waiting, and an event made from the "
		    "command line does not read it: -l makes an event of each "
		    "line (a JSON object is its data; --raw: text), -d @- "
		    "makes stdin the data of one event; </dev/null says there "
		    "is none");
		usage(stderr, EXIT_USAGE);
	}
	common_start(&c);
	status = run(&op, &c, &p, &l, argc, argv);
	pub_free(&p);
	return status;
}
