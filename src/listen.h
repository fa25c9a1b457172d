/* SPDX-License-Identifier: ISC */
/*
 * listen.h - receiving events over HTTP: evpub --listen, the receiving
 * side of webhooks.
 *
 * An HTTP/1.1 server (libmicrohttpd, one internal thread polling every
 * connection with epoll, keep-alive; HTTPS with GnuTLS when given a
 * certificate) takes POSTs on one path: structured-mode
 * CloudEvents (application/cloudevents+json, and the batch format),
 * binary-mode CloudEvents (ce- headers, the data as the body) and plain
 * JSON bodies, which become the data of a new event.  With a secret,
 * every request must carry a valid Standard Webhooks signature (or, with
 * a GitHub secret, X-Hub-Signature-256).  A request is answered 2xx only
 * once its events are written, whole, to the output and flushed; every
 * refusal is answered with its status and logged on stderr.
 *
 * The receiver faces the internet, so no client may hold it: each
 * connection has a deadline for its request's head and one for its body
 * (a client that trickles a byte now and then is cut off all the same),
 * an idle time-out, and one address may hold only so many connections.
 *
 * Nothing here exits the program or prints but the server's own log (where
 * it listens, each refusal, each cut-off): a failure to start comes back
 * as an enum listen_result, with the message in the caller's err[n] as it
 * is to be said after the program's name ("--listen: ADDR: ..."), and the
 * program decides.  Running out of memory is the exception (xmalloc).
 */
#ifndef EV_LISTEN_H
#define EV_LISTEN_H

#include <stddef.h>

#include <microhttpd.h>

#include "out.h"
#include "pub.h"
#include "whsig.h"

#define LISTEN_TIMEOUT 15	/* seconds a connection may be silent */
#define LISTEN_HEADTIME 10	/* seconds for a request's head */
#define LISTEN_BODYTIME 60	/* seconds for a request's body */
#define LISTEN_MAXCONN 10000	/* connections at once, by default */
#define LISTEN_PERADDR 100	/* connections from one address, by default */
#define LISTEN_CONNMEM (64 * 1024)	/* memory per connection for headers */
#define LISTEN_BODYMEM (64 << 20)	/* bodies held at once, at least */
#define LISTEN_SMALLBODY (64 * 1024)	/* a body always taken */
#define LISTEN_SEEN 100000	/* webhook-ids remembered against replays */

struct listen_state;

/* What listen_run and listen_bind came to. */
enum listen_result {
	LISTEN_OK = 0,	/* done: served until the end, or bound */
	LISTEN_ADDR,	/* the address is not HOST:PORT, or names no host
			   or port there is: err (a usage error) */
	LISTEN_FAIL	/* it could not listen there, a certificate or key
			   would not do, or the server would not start: err */
};

struct listen {
	const char *addr;	/* --listen: HOST:PORT */
	const char *path;	/* --path: where POSTs go */
	int sign;		/* --secret given: signatures required */
	struct whsig_keys keys;	/* its keys: a signature by any is taken */
	const char *ghsecret;	/* --github-secret (one a line), or NULL */
	long long count;	/* -c: stop after so many events, or 0 */
	unsigned timeout;	/* --timeout: seconds a connection may idle */
	unsigned headtime;	/* --head-timeout: seconds for a head */
	unsigned bodytime;	/* --body-timeout: seconds for a body */
	unsigned maxconn;	/* --max-conns: connections at once */
	unsigned peraddr;	/* --max-per-addr: from one address; 0: any */
	const char *tlscert;	/* --tls-cert: HTTPS with this, or NULL */
	const char *tlskey;	/* --tls-key: its key */
	int quiet;		/* -q: refusals are not logged */
	struct pub *p;		/* makes and completes the events */
	struct out *o;		/* where they go */
	struct listen_state *st;	/* the server's own state */
};

/*
 * Listens on l->addr (port 0: any free port) and says where on stderr,
 * "listening on HOST:PORT"; serves until -c events were written, SIGTERM
 * or SIGINT (requests in flight are finished first), or the output's
 * reader went away: LISTEN_OK.  LISTEN_ADDR or LISTEN_FAIL, with err,
 * when it could not start.
 */
enum listen_result listen_run(struct listen *l, char *err, size_t n);

/*
 * What evsub --serve (sse.c) shares with the receiver.  listen_bind
 * opens the listening socket for "HOST:PORT" ("[V6]:PORT"; an empty HOST
 * or "*" is every address) into *fd and writes where it listens into
 * where[wn]; LISTEN_ADDR or LISTEN_FAIL with err naming opt when it
 * cannot.  listen_ceiling raises the limit of descriptors to the hard one
 * and returns how many connections of want it leaves room for (said when
 * fewer).  listen_pem reads a whole PEM file (malloc'd), or returns NULL
 * with err naming opt.
 */
enum listen_result listen_bind(const char *opt, const char *addr, int *fd,
    char *where, size_t wn, char *err, size_t n);
unsigned listen_ceiling(unsigned want);
char *listen_pem(const char *opt, const char *path, char *err, size_t n);

/* A server to start: how the receiver's and --serve's differ. */
struct listen_server {
	const char *opt;	/* the option that named it: messages */
	const char *addr;	/* HOST:PORT */
	const char *tlscert;	/* HTTPS with this certificate, or NULL */
	const char *tlskey;	/* and its key */
	unsigned flags;		/* more MHD_USE_ flags */
	MHD_AccessHandlerCallback handle;	/* a request's handler */
	MHD_NotifyConnectionCallback notify;	/* a connection's start, end */
	MHD_RequestCompletedCallback completed;	/* a request's end */
	void *cls;		/* for the three */
	unsigned timeout;	/* an idle connection's, seconds */
	unsigned maxconn;	/* connections at once */
	unsigned peraddr;	/* from one address; 0: any */
	size_t connmem;		/* a connection's memory pool, bytes */
};

/*
 * Starts sv on its own thread (epoll), on the socket listen_bind opens,
 * saying where in where[wn]: with TLS, the certificate and its key are
 * read into *cert and *key (the caller frees them once the daemon is
 * stopped).  Returns the daemon, or NULL with *r (LISTEN_ADDR, a usage
 * error; LISTEN_FAIL) and err saying why.
 */
struct MHD_Daemon *listen_start(const struct listen_server *sv, char *where,
    size_t wn, char **cert, char **key, enum listen_result *r, char *err,
    size_t n);

#endif
