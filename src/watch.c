/* SPDX-License-Identifier: ISC */
/*
 * watch.c - evsub --topics --watch: every topic, its rate, who listens,
 * and each consumer's lag as a bar, redrawn in place on a terminal; plain
 * blocks of --topics lines elsewhere.  See watch.h.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "timefmt.h"
#include "util.h"
#include "watch.h"

#define VIEW_COLS 80	/* the widest line drawn, whatever the terminal */
#define NAME_W 24	/* the name column */
#define BAR_AT 57	/* where the lag bar starts: name, sequence, rate, lag */

static volatile sig_atomic_t stopsig;	/* the signal that ends the watch */
static int drawing;			/* the cursor is hidden */

static void
onstop(int sig)
{
	stopsig = sig;
}

/* Shows the cursor again, at the end however it comes. */
static void
showcursor(void)
{
	if (!drawing)
		return;
	drawing = 0;
	fputs("\033[?25h", stdout);
	(void)fflush(stdout);
}

static int64_t
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One frame of the terminal view, drawn in memory and written at once so
 * that the screen never shows half of one. */
struct frame {
	FILE *f;		/* the frame, in memory */
	int cols;		/* the room for a line */
	int rows;		/* the terminal's rows */
	int lines;		/* lines drawn */
	int left;		/* lines that did not fit */
	int color;		/* on a terminal and no NO_COLOR */
};

/* Draws one line: text in style sgr, then tail in style tsgr, cut to
 * the width; an SGR of NULL is plain. */
static void
fline(struct frame *fr, const char *sgr, const char *text, const char *tsgr,
    const char *tail)
{
	int room = fr->cols, n;

	/* The last row stays free: a newline there would scroll the view;
	 * the one above is for the line that counts what did not fit. */
	if (fr->lines >= fr->rows - 2) {
		fr->left++;
		return;
	}
	fr->lines++;
	for (; text != NULL && room > 0; text = tail, tail = NULL,
	    sgr = tsgr) {
		n = (int)strlen(text) < room ? (int)strlen(text) : room;
		room -= n;
		if (fr->color && sgr != NULL)
			fprintf(fr->f, "\033[%sm%.*s\033[m", sgr, n, text);
		else
			fprintf(fr->f, "%.*s", n, text);
	}
	/* Clear what an older, longer line left there. */
	fputs("\033[K\n", fr->f);
}

/* The full scale of the lag bars: the largest lag, rounded up to 1, 2 or
 * 5 times a power of ten, and at least 10, so that the scale is a number
 * a reader can take in, and a lag of one or two is not a full bar. */
static uint64_t
lagscale(const struct topic_stat *v, size_t n)
{
	uint64_t most = 0, lag, p;
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < v[i].ncons; j++)
			if (v[i].cons[j].err == NULL &&
			    (lag = topic_lag(&v[i], v[i].cons[j].pos)) > most)
				most = lag;
	for (p = 10; p < UINT64_MAX / 10; p *= 10) {
		if (most <= p)
			return p;
		if (most <= 2 * p)
			return 2 * p;
		if (most <= 5 * p)
			return 5 * p;
	}
	return UINT64_MAX;
}

/* A lag as a bar of width cells: any lag at all shows one. */
static void
lagbar(char *bar, int width, uint64_t lag, uint64_t scale)
{
	int fill = 0;

	if (lag > 0)
		fill = lag >= scale ? width : 1 + (int)((long double)lag *
		    (width - 1) / scale);
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(width - fill));
	bar[width] = '\0';
}

/* The line of live subscribers: by name, else by pid. */
static void
drawlive(struct frame *fr, const struct topic_stat *s)
{
	char line[VIEW_COLS + 64];
	size_t j, at;

	at = (size_t)snprintf(line, sizeof(line), "  live:%s",
	    s->nlive == 0 ? " none" : "");
	for (j = 0; j < s->nlive && at < sizeof(line); j++) {
		if (s->live[j].name != NULL)
			at += (size_t)snprintf(line + at, sizeof(line) - at,
			    "%s %s", j ? "," : "", s->live[j].name);
		else
			at += (size_t)snprintf(line + at, sizeof(line) - at,
			    "%s pid %ld", j ? "," : "", s->live[j].pid);
	}
	/* More than fit: say so rather than cut a name in two. */
	if (at >= (size_t)fr->cols && fr->cols > 8)
		strcpy(line + fr->cols - 4, " ...");
	fline(fr, NULL, line, NULL, NULL);
}

/* A topic: its sequence and rate, who listens, and its consumers. */
static void
drawtopic(struct frame *fr, const struct topic_stat *s, double rate,
    uint64_t scale)
{
	char line[VIEW_COLS + 64], bar[VIEW_COLS + 1], r[32], lag[32];
	const struct topic_pos *c;
	int barw = fr->cols - BAR_AT - 3;
	size_t j;

	if (rate < 0)
		r[0] = '\0';
	else
		snprintf(r, sizeof(r), "%.1f/s", rate);
	snprintf(line, sizeof(line), "%-*.*s%12llu%10s", NAME_W, NAME_W,
	    s->name, (unsigned long long)s->last, r);
	fline(fr, "1", line, NULL, NULL);
	drawlive(fr, s);
	for (j = 0; j < s->ncons; j++) {
		c = &s->cons[j];
		if (c->err != NULL) {
			snprintf(line, sizeof(line), "  %-*.*s%12s%10s%10s",
			    NAME_W - 2, NAME_W - 2, c->name, "?", "", "?");
			fline(fr, NULL, line, NULL, NULL);
			continue;
		}
		snprintf(lag, sizeof(lag), "%llu",
		    (unsigned long long)topic_lag(s, c->pos));
		snprintf(line, sizeof(line), "  %-*.*s%12llu%10s%10s  |",
		    NAME_W - 2, NAME_W - 2, c->name,
		    (unsigned long long)c->pos, "", lag);
		if (barw < 4) {
			line[BAR_AT] = '\0';
			fline(fr, NULL, line, NULL, NULL);
			continue;
		}
		lagbar(bar, barw, topic_lag(s, c->pos), scale);
		strcat(bar, "|");
		fline(fr, NULL, line, "33", bar);
	}
}

/* Sets the frame's room from the terminal's size. */
static void
framesize(struct frame *fr)
{
	struct winsize ws;

	fr->cols = VIEW_COLS;
	fr->rows = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		fr->cols = ws.ws_col < VIEW_COLS ? ws.ws_col : VIEW_COLS;
		fr->rows = ws.ws_row > 2 ? ws.ws_row : 2;
	}
}

/* Draws the whole view over the last one, from the top left corner.
 * Returns 0, or -1 with err. */
static int
drawview(const char *where, const struct topic_stat *v, size_t n,
    const double *rate, int64_t interval, int color, char *err,
    size_t errn)
{
	struct frame fr = { 0 };
	char *buf = NULL, line[VIEW_COLS + 64],
	    when[RFC3339_LEN + 1];
	size_t len = 0, i;
	uint64_t scale = lagscale(v, n);

	framesize(&fr);
	fr.color = color;
	if ((fr.f = open_memstream(&buf, &len)) == NULL)
		return seterr(err, errn, "open_memstream: %s", strerror(errno));
	fputs("\033[H", fr.f);
	rfc3339_format(now_usec(), when);
	snprintf(line, sizeof(line), "eventful topics  %.8s UTC  every %gs"
	    "  ^C ends", when + 11, interval / 1e6);
	fline(&fr, "7", line, NULL, NULL);
	snprintf(line, sizeof(line), "in %s", where);
	fline(&fr, NULL, line, NULL, NULL);
	snprintf(line, sizeof(line), "%-*s%12s%10s%10s  lag bar: full at "
	    "%llu", NAME_W, "TOPIC  consumer", "SEQ  POS", "RATE", "LAG",
	    (unsigned long long)scale);
	fline(&fr, "4", line, NULL, NULL);
	if (n == 0)
		fline(&fr, NULL, "no topics yet: evpub -T NAME publishes to "
		    "one", NULL, NULL);
	for (i = 0; i < n; i++)
		drawtopic(&fr, &v[i], rate[i], scale);
	if (fr.left > 0) {
		fr.rows++;
		snprintf(line, sizeof(line), "... %d more line%s: a taller "
		    "window shows %s", fr.left, fr.left == 1 ? "" : "s",
		    fr.left == 1 ? "it" : "them");
		fline(&fr, NULL, line, NULL, NULL);
	}
	/* Clear what an older, longer frame left below. */
	fputs("\033[J", fr.f);
	if (fclose(fr.f) == EOF) {
		seterr(err, errn, "open_memstream: %s", strerror(errno));
		free(buf);
		return -1;
	}
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) == EOF) {
		seterr(err, errn, "stdout: write: %s", strerror(errno));
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

/* The plain form: one block of --topics lines per refresh, each after
 * the refresh's number, the first with its time.  Returns 0; 1 when the
 * reader went away; -1 with err. */
static int
printblock(unsigned long long k, const struct topic_stat *v, size_t n,
    const double *rate, char *err, size_t errn)
{
	char pre[32], r[32], when[RFC3339_LEN + 1];
	size_t i;

	snprintf(pre, sizeof(pre), "%llu\t", k);
	rfc3339_format(now_usec(), when);
	printf("%stime %s\n", pre, when);
	for (i = 0; i < n; i++) {
		if (rate[i] < 0)
			strcpy(r, "-");
		else
			snprintf(r, sizeof(r), "%.1f", rate[i]);
		topic_print(stdout, pre, &v[i], r);
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		/* The reader went away: not an error. */
		if (errno == EPIPE)
			return 1;
		return seterr(err, errn, "stdout: write: %s", strerror(errno));
	}
	return 0;
}

/* Events per second of each topic of v since the survey pv, usec ago;
 * -1 for a topic that was not in it (or none came before). */
static void
rates(double *rate, const struct topic_stat *v, size_t n,
    const struct topic_stat *pv, size_t pn, int64_t usec)
{
	size_t i, j = 0;
	int c = 1;

	for (i = 0; i < n; i++) {
		rate[i] = -1;
		/* Both are sorted by name: walk them together. */
		while (j < pn && (c = strcmp(pv[j].name, v[i].name)) < 0)
			j++;
		if (pv == NULL || j >= pn || c != 0 || usec <= 0)
			continue;
		/* A log replaced by a shorter one: nothing came. */
		rate[i] = v[i].last > pv[j].last ? (double)(v[i].last -
		    pv[j].last) * 1e6 / (double)usec : 0;
	}
}

/* Waits until the monotonic time at, or a signal: returns 0, or -1 when
 * a signal asks us to stop.  The signals are blocked but here, so that
 * one cannot come between the check and the wait and be missed. */
static int
pause_until(int64_t at, const sigset_t *open)
{
	struct timespec ts;
	int64_t left;

	while (!stopsig && (left = at - mono_usec()) > 0) {
		ts.tv_sec = left / 1000000;
		ts.tv_nsec = (left % 1000000) * 1000;
		(void)ppoll(NULL, 0, &ts, open);
	}
	return stopsig ? -1 : 0;
}

/* Blocks the signals that end the watch, and catches them; *open gets
 * the mask to wait with. */
static void
catchstop(sigset_t *open)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	sigset_t block;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onstop;
	sigemptyset(&block);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaddset(&block, sigs[i]);
		(void)sigaction(sigs[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, open);
	/* A reader that goes away is seen by EPIPE. */
	signal(SIGPIPE, SIG_IGN);
}

/*
 * Shows every topic each interval microseconds, count times (0: until a
 * signal): on a terminal, one view redrawn in place; else plain blocks.
 * A signal ends it with the cursor shown, and then does what it does.
 */
enum watch_result
watch_topics(struct bus *bus, int64_t interval, long long count, int color,
    char *err, size_t errn)
{
	struct topic_stat *v, *pv = NULL;
	size_t n, pn = 0;
	double *rate;
	sigset_t open;
	int64_t start, t, pt = 0;
	long long k;
	int tty = term_escapes(STDOUT_FILENO), r = 0;

	catchstop(&open);
	if (tty) {
		drawing = 1;
		fputs("\033[?25l\033[H\033[2J", stdout);
	}
	start = mono_usec();
	for (k = 1; ; k++) {
		t = mono_usec();
		/* The bus failing ends the watch, said whole. */
		if (bus_survey(bus, &v, &n, err, errn) != BUS_OK) {
			r = -1;
			break;
		}
		rate = xmalloc((n ? n : 1) * sizeof(*rate));
		rates(rate, v, n, pv, pn, t - pt);
		if (tty)
			r = drawview(bus->where, v, n, rate, interval, color,
			    err, errn);
		else
			r = printblock((unsigned long long)k, v, n, rate, err,
			    errn);
		free(rate);
		topic_survey_free(pv, pn);
		pv = v;
		pn = n;
		pt = t;
		if (r != 0 || (count > 0 && k >= count) ||
		    pause_until(start + k * interval, &open) == -1)
			break;
	}
	topic_survey_free(pv, pn);
	showcursor();
	if (r == -1)
		return WATCH_FAIL;
	if (stopsig) {
		signal(stopsig, SIG_DFL);
		sigprocmask(SIG_SETMASK, &open, NULL);
		raise(stopsig);
	}
	return WATCH_OK;
}
