/*
 * util.c - the error helper and small checked helpers shared by every
 * program: one place decides what a message looks like.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/*
 * Formats the whole message first and writes it with one write(2), so that
 * messages from several processes sharing a stderr never interleave.
 */
static void
vmsg(const char *where, int errnum, const char *fmt, va_list ap)
{
	char buf[2048];
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
	if (n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)writeall(STDERR_FILENO, buf, n);
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
