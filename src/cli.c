/* SPDX-License-Identifier: ISC */
/*
 * cli.c - the programs' side of what they share: the shared options, the
 * usage error, --version, secrets read from a file, the rejects file
 * opened, and a rejected line reported or the program ended.  Linked
 * into the programs, never into the library: these end the program,
 * with the statuses every program's man page gives.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "timefmt.h"
#include "topiclist.h"
#include "util.h"

int
common_opt(struct common *c, int ch, const char *arg)
{
	const char *errstr;
	long long v;

	switch (ch) {
	case 'q':
		c->quiet = 1;
		return 1;
	case OPT_COLOR:
		if (strcmp(arg, "auto") == 0)
			c->color = COLOR_AUTO;
		else if (strcmp(arg, "always") == 0)
			c->color = COLOR_ALWAYS;
		else if (strcmp(arg, "never") == 0)
			c->color = COLOR_NEVER;
		else {
			warnw("--color", "%s: auto, always or never", arg);
			c->usage(stderr, EXIT_USAGE);
		}
		return 1;
	case 'h':
	case OPT_HELP:
		c->usage(stdout, EXIT_OK);
		return 1;
	case OPT_MAXSIZE:
		/* 100 bytes holds the smallest event; 1 GiB is plenty. */
		if (parsesize(arg, 100, 1LL << 30, &v, &errstr) == -1) {
			warnw("--max-size", "%s: %s", arg, errstr);
			c->usage(stderr, EXIT_USAGE);
		}
		c->maxsize = (size_t)v;
		return 1;
	case OPT_REJECTS:
		/* "-" is a stream everywhere; rejects mixed into the events
		 * on stdout would be events to the next program. */
		if (strcmp(arg, "-") == 0) {
			warnw("--rejects", "-: rejected lines are kept in a file, "
			    "apart from the events on stdout: name one (or "
			    "/dev/stderr)");
			c->usage(stderr, EXIT_USAGE);
		}
		c->rejects = arg;
		return 1;
	case OPT_VERSION:
		version();
	}
	return 0;
}

void
badval(const char *opt, const char *arg, const char *why)
{
	warnw(opt, "%s: %s", arg, why);
	tryhelp();
}

const char *
cli_topic(const char *opt, const char *arg)
{
	if (!topic_name_ok(arg))
		badval(opt, arg, "a topic name is letters, digits, '.', '_' and "
		    "'-', not starting with '.' nor ending in .tmp or .lock");
	return arg;
}

int64_t
cli_time(const char *opt, const char *arg)
{
	int64_t us;

	if (time_parse(arg, now_usec(), &us) == -1)
		badval(opt, arg, "not " TIME_SYNTAX);
	return us;
}

void
tryhelp(void)
{
	char buf[256];
	int n;

	n = snprintf(buf, sizeof(buf), "try '%s --help'\n", getprogname());
	if (n > 0)
		(void)writeall(STDERR_FILENO, buf, (size_t)n < sizeof(buf) ?
		    (size_t)n : sizeof(buf) - 1);
	exit(EXIT_USAGE);
}

/* The secrets read, kept for the whole run (and so never a leak). */
static char **secrets;
static size_t nsecrets;

static const char *
keepsecret(char *s)
{
	secrets = xrealloc(secrets, (nsecrets + 1) * sizeof(*secrets));
	secrets[nsecrets++] = s;
	return s;
}

const char *
secret_file(const char *opt, const char *path)
{
	struct stat st;
	size_t len, o = 0, l;
	char *s, *out, *p, *e;

	if ((s = readfile(path, 65536, &len)) == NULL) {
		if (errno == EFBIG)
			errw(EXIT_USAGE, opt, "%s: longer than a secret", path);
		errwe(EXIT_FAIL, opt, "%s", path);
	}
	/* One secret a line; CRs, blank lines and comments dropped (no
	 * secret starts with '#'). */
	out = xmalloc(len + 1);
	for (p = s; p < s + len; p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(s + len - p))) == NULL)
			e = s + len;
		l = (size_t)(e - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l == 0 || *p == '#' || strspn(p, " \t") >= l)
			continue;
		if (o > 0)
			out[o++] = '\n';
		memcpy(out + o, p, l);
		o += l;
	}
	out[o] = '\0';
	free(s);
	s = out;
	if (*s == '\0')
		errw(EXIT_USAGE, opt, "%s: no secret in it (one a line)", path);
	/* Warn, not refuse: the file may be meant for a group's service. */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & S_IROTH))
		warnw(opt, "%s: anyone may read this secret (chmod o-r %s)",
		    path, path);
	return keepsecret(s);
}

const char *
secret_join(const char *a, const char *b)
{
	char *s;

	if (a == NULL)
		return b;
	s = xmalloc(strlen(a) + strlen(b) + 2);
	sprintf(s, "%s\n%s", a, b);
	return keepsecret(s);
}

void
common_start(struct common *c)
{
	if (c->rejects == NULL)
		return;
	c->rejfd = openfile(c->rejects, O_WRONLY | O_APPEND | O_CREAT, 0600);
}

void
stdout_done(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		errwe(EXIT_FAIL, "stdout", "write");
}

void
version(void)
{
	printf("%s (eventful) %s\n", getprogname(), EV_VERSION);
	stdout_done();
	exit(EXIT_OK);
}

void
reject(struct common *c, const char *name, const struct line *l,
    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vreject_line(c, name, l, fmt, ap);
	va_end(ap);
	if (r == -1)
		errwe(EXIT_FAIL, c->rejects, "write");
}

int
reject_unread(struct common *c, const char *name, const struct line *l,
    enum rd_status st)
{
	int r = unread_line(c, name, l, st);

	if (r == -1)
		errwe(EXIT_FAIL, c->rejects, "write");
	return r;
}

int
closeout(struct out *o)
{
	char err[1024];
	int r;

	r = out_close(o);
	if (out_error(o, err, sizeof(err)) == -1)
		errw(EXIT_FAIL, NULL, "%s", err);
	return r;
}
