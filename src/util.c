/* SPDX-License-Identifier: ISC */
/*
 * util.c - the error helper and small checked helpers shared by every
 * program: one place decides what a message looks like.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static const char *progname = "eventful";

void
stdfds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0 && fd <= 2)
		(void)fcntl(fd, F_SETFD, 0);
	if (fd > 2)
		close(fd);
}

void
setprogname(const char *argv0)
{
	const char *p;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	p = strrchr(argv0, '/');
	progname = p ? p + 1 : argv0;
}

const char *
getprogname(void)
{
	return progname;
}

/* The length of the UTF-8 sequence at s[0..len) when it is a valid one
 * and no C1 control character (U+0080 to U+009F), else 0. */
static size_t
utf8len(const unsigned char *s, size_t len)
{
	size_t n, i;
	unsigned c;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	c = s[1];
	if ((s[0] == 0xc2 && c < 0xa0) || (s[0] == 0xe0 && c < 0xa0) ||
	    (s[0] == 0xed && c > 0x9f) || (s[0] == 0xf0 && c < 0x90) ||
	    (s[0] == 0xf4 && c > 0x8f))
		return 0;	/* C1, overlong, a surrogate, past U+10FFFF */
	return n;
}

size_t
msgesc(char *dst, size_t n, const char *src, size_t len, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, u;

	if (n == 0)
		return 0;
	while (i < len) {
		if (i >= max) {
			if (o + 4 > n)
				break;
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			if (o + 2 > n)
				break;
			dst[o++] = (char)s[i++];
		} else if (s[i] >= 0x80 && (u = utf8len(s + i, len - i)) > 0) {
			if (o + u + 1 > n)
				break;
			memcpy(dst + o, s + i, u);
			o += u;
			i += u;
		} else {
			if (o + 5 > n)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[s[i] >> 4];
			dst[o++] = hex[s[i] & 0xf];
			i++;
		}
	}
	dst[o] = '\0';
	return o;
}

const char *
shown(const char *s, size_t len)
{
	/* A few at a time, so that one message can show several values. */
	static __thread char ring[4][SHOWN_MAX * 4 + 4];
	static __thread unsigned next;
	char *b = ring[next++ % 4];

	msgesc(b, sizeof(ring[0]), s, len, SHOWN_MAX);
	return b;
}

/*
 * Formats the whole message first and writes it with one write(2), so that
 * messages from several processes sharing a stderr never interleave.  What
 * came from outside (an event, a header, a file name, a file) reaches the
 * terminal or the log escaped: no control character in it can move the
 * cursor, forge a line, or change the terminal's state.
 */
static void
vmsg(const char *where, int errnum, const char *fmt, va_list ap)
{
	char buf[2048], out[sizeof(buf) * 4];
	size_t n;
	int r;

	if (where != NULL)
		r = snprintf(buf, sizeof(buf), "%s: %s: ", progname, where);
	else
		r = snprintf(buf, sizeof(buf), "%s: ", progname);
	n = r < 0 ? 0 : (size_t)r < sizeof(buf) ? (size_t)r : sizeof(buf) - 1;
	r = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	n += r < 0 ? 0 : (size_t)r < sizeof(buf) - n ? (size_t)r :
	    sizeof(buf) - n - 1;
	if (errnum != 0) {
		r = snprintf(buf + n, sizeof(buf) - n, ": %s",
		    strerror(errnum));
		n += r < 0 ? 0 : (size_t)r < sizeof(buf) - n ? (size_t)r :
		    sizeof(buf) - n - 1;
	}
	n = msgesc(out, sizeof(out) - 1, buf, n, sizeof(buf));
	out[n++] = '\n';
	(void)writeall(STDERR_FILENO, out, n);
}

void
warnw(const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(where, 0, fmt, ap);
	va_end(ap);
}

void
warnwe(const char *where, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	vmsg(where, e, fmt, ap);
	va_end(ap);
}

void
errw(int status, const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(where, 0, fmt, ap);
	va_end(ap);
	exit(status);
}

void
errwe(int status, const char *where, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	vmsg(where, e, fmt, ap);
	va_end(ap);
	exit(status);
}

int
seterr(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

void
machinefail(const char *where, int e, const char *what)
{
	if (e)
		errwe(EXIT_FAIL, where, "%s", what);
	errw(EXIT_FAIL, where, "%s", what);
}

int
seterrw(char *err, size_t n, int errnum, const char *where, const char *fmt,
    ...)
{
	va_list ap;
	size_t o = 0;
	int r;

	if (n == 0)
		return -1;
	err[0] = '\0';
	if (where != NULL) {
		r = snprintf(err, n, "%s: ", where);
		o = r < 0 ? 0 : (size_t)r < n ? (size_t)r : n - 1;
	}
	va_start(ap, fmt);
	r = vsnprintf(err + o, n - o, fmt, ap);
	va_end(ap);
	o += r < 0 ? 0 : (size_t)r < n - o ? (size_t)r : n - o - 1;
	if (errnum != 0)
		(void)snprintf(err + o, n - o, ": %s", strerror(errnum));
	return -1;
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		errwe(EXIT_FAIL, NULL, "malloc");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		errwe(EXIT_FAIL, NULL, "realloc");
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		errwe(EXIT_FAIL, NULL, "strdup");
	return p;
}

int
parsenum(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	char *end;
	long long v;

	*errstr = NULL;
	if (s == NULL || *s == '\0' || *s == ' ' || *s == '+') {
		*errstr = "not a number";
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		*errstr = "not a number";
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		*errstr = v < min ? "too small" : "too large";
		if (errno == ERANGE)
			*errstr = "out of range";
		return -1;
	}
	*out = v;
	return 0;
}

int
parsesize(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	char num[32];
	size_t n = strlen(s);
	long long v, mul = 1;

	if (n > 0 && strchr("kKmMgG", s[n - 1]) != NULL) {
		switch (s[n - 1]) {
		case 'g': case 'G': mul = 1LL << 30; break;
		case 'm': case 'M': mul = 1LL << 20; break;
		default: mul = 1LL << 10; break;
		}
		n--;
	}
	if (n == 0 || n >= sizeof(num)) {
		*errstr = "not a size";
		return -1;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	if (parsenum(num, 0, LLONG_MAX / mul, &v, errstr) == -1)
		return -1;
	v *= mul;
	if (v < min || v > max) {
		*errstr = v < min ? "too small" : "too large";
		return -1;
	}
	*out = v;
	return 0;
}

int
parsesecs(const char *s, double max, long long *usec, const char **errstr)
{
	char *end;
	double d;

	*errstr = NULL;
	if (*s == '\0' || strspn(s, "0123456789.") != strlen(s)) {
		*errstr = "not a number of seconds";
		return -1;
	}
	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end != '\0') {
		*errstr = "not a number of seconds";
		return -1;
	}
	if (errno != 0 || d <= 0 || d > max) {
		*errstr = d <= 0 ? "too small" : "out of range";
		return -1;
	}
	*usec = (long long)(d * 1e6 + 0.5);
	if (*usec == 0)
		*usec = 1;
	return 0;
}

int
parsestart(const char *s, struct startpos *p, const char **errstr)
{
	long long v;

	memset(p, 0, sizeof(*p));
	if (strcmp(s, "end") == 0) {
		p->end = 1;
		return 0;
	}
	if (*s == '-') {
		if (parsenum(s + 1, 1, 1LL << 62, &v, errstr) == -1)
			return -1;
		p->last = (unsigned long long)v;
		return 0;
	}
	if (parsenum(s, 1, 1LL << 62, &v, errstr) == -1) {
		if (*errstr != NULL && strcmp(*errstr, "not a number") == 0)
			*errstr = "not a sequence (1 is the first), -N (the "
			    "last N) nor end (only what comes)";
		return -1;
	}
	p->seq = (unsigned long long)v;
	return 0;
}

unsigned long long
startseq(const struct startpos *p, unsigned long long last)
{
	if (p->seq > 0)
		return p->seq;
	if (p->end)
		return last + 1;
	return last >= p->last ? last - p->last + 1 : 1;
}

int
input_waiting(int fd, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	struct stat sb;
	off_t at;
	int n = 0;

	if (fstat(fd, &sb) == -1 || isatty(fd))
		return 0;
	if (S_ISREG(sb.st_mode))
		return (at = lseek(fd, 0, SEEK_CUR)) != -1 && sb.st_size > at;
	if (!S_ISFIFO(sb.st_mode) && !S_ISSOCK(sb.st_mode))
		return 0;
	/* A writer started beside us may not have written yet. */
	if (poll(&pfd, 1, ms) <= 0 || !(pfd.revents & POLLIN))
		return 0;
	return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

int
natcmp(const char *a, const char *b)
{
	const char *p = a, *q = b, *pe, *qe;
	size_t pl, ql;
	int c;

	while (*p != '\0' && *q != '\0') {
		if (!isdigit((unsigned char)*p) || !isdigit((unsigned char)*q)) {
			if (*p != *q)
				break;
			p++, q++;
			continue;
		}
		/* Two numbers: the longer without its leading zeros is the
		 * greater, else the first digit that differs says. */
		while (*p == '0' && isdigit((unsigned char)p[1]))
			p++;
		while (*q == '0' && isdigit((unsigned char)q[1]))
			q++;
		for (pe = p; isdigit((unsigned char)*pe); pe++)
			;
		for (qe = q; isdigit((unsigned char)*qe); qe++)
			;
		pl = (size_t)(pe - p);
		ql = (size_t)(qe - q);
		if (pl != ql)
			return pl < ql ? -1 : 1;
		if ((c = memcmp(p, q, pl)) != 0)
			return c;
		p = pe;
		q = qe;
	}
	if (*p != *q)
		return (unsigned char)*p - (unsigned char)*q;
	return strcmp(a, b);
}

size_t
editdist(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *row, diag, up, d;

	row = xmalloc((lb + 1) * sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			d = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < d)
				d = up + 1;
			if (row[j - 1] + 1 < d)
				d = row[j - 1] + 1;
			row[j] = d;
			diag = up;
		}
	}
	d = row[lb];
	free(row);
	return d;
}

int
writeall(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fsyncdir(const char *dir)
{
	int fd, r, e;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

int
replace_file(const char *path, const void *buf, size_t len,
    int (*ready)(int fd, const char *tmp, void *arg), void *arg, int keep,
    const char **step)
{
	const char *slash = strrchr(path, '/');
	char *tmp;
	int fd, e;

	/* Beside path, so that rename(2) is atomic. */
	tmp = xmalloc(strlen(path) + 16);
	sprintf(tmp, "%.*s.%s.XXXXXX", slash == NULL ? 0 :
	    (int)(slash - path + 1), path, slash == NULL ? path : slash + 1);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		*step = "create";
		goto out;
	}
	if (ready != NULL && ready(fd, tmp, arg) == -1)
		*step = "create";
	else if (writeall(fd, buf, len) == -1)
		*step = "write";
	else if (fsync(fd) == -1)
		*step = "fsync";
	else if (rename(tmp, path) == -1)
		*step = "rename";
	else if (!keep && close(fd) == -1) {
		*step = "close";
		fd = -1;
	} else if (fsyncparent(path) == -1) {
		*step = "fsync of the directory";
		if (!keep)
			fd = -1;
	} else {
		free(tmp);
		return keep ? fd : 0;
	}
	e = errno;
	if (fd >= 0)
		close(fd);
	/* Before the rename it is ours to remove; after, it is path. */
	if (strcmp(*step, "fsync of the directory") != 0 &&
	    strcmp(*step, "close") != 0)
		unlink(tmp);
	errno = e;
out:
	free(tmp);
	return -1;
}

int
fsyncparent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int r, e;

	if (slash == NULL)
		return fsyncdir(".");
	if (slash == path)
		return fsyncdir("/");
	dir = xmalloc((size_t)(slash - path) + 1);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	r = fsyncdir(dir);
	e = errno;
	free(dir);
	errno = e;
	return r;
}

int
openfile(const char *path, int flags, mode_t mode)
{
	struct stat sb;
	int fd;

	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1 && errno == ELOOP) {
		if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode) &&
		    sb.st_uid != geteuid() && sb.st_uid != 0)
			errw(EXIT_FAIL, path, "a symbolic link of another "
			    "user's (uid %lu): refused, not followed",
			    (unsigned long)sb.st_uid);
		fd = open(path, flags | O_CLOEXEC, mode);
	}
	if (fd == -1)
		errwe(EXIT_FAIL, path, "open");
	return fd;
}

char *
readfile(const char *path, size_t max, size_t *lenp)
{
	size_t len = 0, cap = 8192;
	char *buf;
	ssize_t n;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	buf = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				errno = EFBIG;
				goto fail;
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		errno = EFBIG;
		goto fail;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
fail:
	if (fd != STDIN_FILENO) {
		int e = errno;
		close(fd);
		errno = e;
	}
	free(buf);
	return NULL;
}
