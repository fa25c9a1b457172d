/* SPDX-License-Identifier: ISC */
/*
 * record.c - an LD_PRELOAD shim that records what a program does to the
 * files under one directory, for the power-cut simulator of
 * tests/powercut.bats (tests/test_helper/powercut.py replays it).
 *
 * RECORD_DIR names the directory, RECORD_OUT the file that receives the
 * records; without both, the shim does nothing.  Only programs whose name
 * is in RECORD_PROGS (blank-separated; default: evlog evproject evpub
 * evsub) are recorded, so that a shell and its cat are not.  RECORD_TAG,
 * when set, is written in each record: the step of a scenario.
 *
 * Each record is one line, "OP PID TAG ARGS... LEN", then LEN bytes of
 * payload and a newline.  Files and directories are named by inode
 * number, paths in full (the directory's real path, then the name):
 *
 *   create INO PATH        a file was made (open with O_CREAT, mkostemp)
 *   mkdir INO PATH         a directory was made
 *   rename FROM TO         unlink PATH         rmdir PATH
 *   link FROM TO
 *   write INO OFF          LEN bytes written at offset OFF
 *   trunc INO SIZE         ftruncate, fallocate (SIZE the new end)
 *   fsync INO / fsynced INO RC   an fsync or fdatasync began / ended
 *   mmap INO               the file was mapped for writing: its bytes
 *                          are not seen (the index, which is not
 *                          fsynced and is rebuilt after a power cut)
 *   out                    LEN bytes written to standard output: what
 *                          the program acknowledges or delivers
 *   exit                   the program is ending (exit(3), or main
 *                          returned): what it promised at its end holds
 *
 * The order of the records is the order of the calls: the call and its
 * record are made under one lock, except that an fsync's call is made
 * between its two records, so that a write from another thread while it
 * runs falls between them (and is not taken as covered).  Output is
 * recorded before it is written, the other calls after they succeed.
 * Calls that fail are not recorded.  sync_file_range is not an fsync and
 * is not recorded.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXFD 4096

static int on = -1;		/* recording: -1 not yet known */
static char root[PATH_MAX];	/* RECORD_DIR's real path */
static size_t rootlen;
static int outfd = -1;		/* RECORD_OUT */
static const char *tag = "-";
static ino_t fdino[MAXFD];	/* the inode of each tracked fd, or 0 */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static __thread int inside;	/* the shim is at work: pass through */

#define REAL(type, name, args) \
	static type (*real_##name) args; \
	if (real_##name == NULL) \
		real_##name = (type (*) args)dlsym(RTLD_NEXT, #name)

static ssize_t (*rwrite)(int, const void *, size_t);
static ssize_t (*rwritev)(int, const struct iovec *, int);

/* The real write and writev, found on first use. */
static void
resolve(void)
{
	if (rwrite == NULL)
		rwrite = (ssize_t (*)(int, const void *, size_t))dlsym(
		    RTLD_NEXT, "write");
	if (rwritev == NULL)
		rwritev = (ssize_t (*)(int, const struct iovec *, int))dlsym(
		    RTLD_NEXT, "writev");
}

/*
 * Reads the environment, once the C library is set up: a constructor,
 * for a sanitizer's runtime makes calls before that, which pass through.
 */
__attribute__((constructor)) static void
init(void)
{
	const char *d = getenv("RECORD_DIR"), *o = getenv("RECORD_OUT");
	const char *progs = getenv("RECORD_PROGS"), *p;
	int (*ropen)(const char *, int, ...);
	size_t n = strlen(program_invocation_short_name);

	resolve();
	on = 0;
	if (d == NULL || o == NULL || realpath(d, root) == NULL)
		return;
	if (progs == NULL)
		progs = "evlog evproject evpub evsub";
	for (p = progs; (p = strstr(p, program_invocation_short_name)) !=
	    NULL; p += n)
		if ((p == progs || p[-1] == ' ') && (p[n] == ' ' ||
		    p[n] == '\0'))
			break;
	if (p == NULL)
		return;
	rootlen = strlen(root);
	ropen = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if ((outfd = ropen(o, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1)
		return;
	if (getenv("RECORD_TAG") != NULL && *getenv("RECORD_TAG") != '\0')
		tag = getenv("RECORD_TAG");
	on = 1;
}

static int
active(void)
{
	return on == 1 && !inside;
}

/* Writes a record: the line fmt, with the payload p[0..len). */
static void
emit(const void *p, size_t len, const char *fmt, ...)
{
	char head[3 * PATH_MAX];
	struct iovec iov[3];
	va_list ap;
	int n, m;

	va_start(ap, fmt);
	n = vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(head) - 64)
		return;
	m = snprintf(head + n, sizeof(head) - (size_t)n, " %zu\n", len);
	iov[0].iov_base = head;
	iov[0].iov_len = (size_t)(n + m);
	iov[1].iov_base = (void *)p;
	iov[1].iov_len = len;
	iov[2].iov_base = "\n";
	iov[2].iov_len = 1;
	(void)rwritev(outfd, iov, 3);
}

/*
 * The full path of name (relative to directory fd dirfd) in out when it
 * is under RECORD_DIR: the real path of its directory, then its last
 * component.  Returns 1 when under it, else 0.
 */
static int
under(int dirfd, const char *name, char out[PATH_MAX])
{
	char dir[PATH_MAX], full[2 * PATH_MAX], real[PATH_MAX], *slash;
	const char *base;
	ssize_t got;

	if (name[0] == '/')
		snprintf(full, sizeof(full), "%s", name);
	else {
		if (dirfd == AT_FDCWD) {
			if (getcwd(dir, sizeof(dir)) == NULL)
				return 0;
		} else {
			snprintf(full, sizeof(full), "/proc/self/fd/%d", dirfd);
			if ((got = readlink(full, dir, sizeof(dir) - 1)) <= 0)
				return 0;
			dir[got] = '\0';
		}
		snprintf(full, sizeof(full), "%s/%s", dir, name);
	}
	/* No trailing slash: "a/b/" is "a/b". */
	while (strlen(full) > 1 && full[strlen(full) - 1] == '/')
		full[strlen(full) - 1] = '\0';
	slash = strrchr(full, '/');
	base = slash + 1;
	*slash = '\0';
	if (realpath(full[0] == '\0' ? "/" : full, real) == NULL)
		return 0;
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return 0;
	if (snprintf(out, PATH_MAX, "%s/%s", real, base) >= PATH_MAX)
		return 0;
	return strncmp(out, root, rootlen) == 0 && (out[rootlen] == '/' ||
	    out[rootlen] == '\0');
}

/* Starts tracking fd, opened at path: records its creation when made. */
static void
track(int fd, const char *path, int made)
{
	struct stat sb;

	if (fd < 0 || fd >= MAXFD || fstat(fd, &sb) == -1)
		return;
	fdino[fd] = sb.st_ino;
	if (made)
		emit(NULL, 0, "create %d %s %lu %s", (int)getpid(), tag,
		    (unsigned long)sb.st_ino, path);
}

/* The inode of a tracked fd, or 0. */
static ino_t
tracked(int fd)
{
	return fd >= 0 && fd < MAXFD ? fdino[fd] : 0;
}

/* open and its kin: at, with the name under RECORD_DIR. */
static int
opened(int dirfd, const char *path, int flags, mode_t mode,
    int (*call)(int, const char *, int, mode_t))
{
	char full[PATH_MAX];
	struct stat sb;
	int fd, existed = 1, want;

	if (!active())
		return call(dirfd, path, flags, mode);
	inside = 1;
	want = under(dirfd, path, full);
	pthread_mutex_lock(&mu);
	if (want && (flags & O_CREAT))
		existed = fstatat(dirfd, path, &sb, AT_SYMLINK_NOFOLLOW) == 0;
	fd = call(dirfd, path, flags, mode);
	if (fd >= 0 && fd < MAXFD)
		fdino[fd] = 0;
	if (fd >= 0 && want)
		track(fd, full, !existed);
	pthread_mutex_unlock(&mu);
	inside = 0;
	return fd;
}

static int
callopenat(int dirfd, const char *path, int flags, mode_t mode)
{
	REAL(int, openat, (int, const char *, int, ...));
	return real_openat(dirfd, path, flags, mode);
}

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return opened(AT_FDCWD, path, flags, mode, callopenat);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return opened(AT_FDCWD, path, flags, mode, callopenat);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return opened(dirfd, path, flags, mode, callopenat);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return opened(dirfd, path, flags, mode, callopenat);
}

/* What _FORTIFY_SOURCE calls in place of open when it cannot check. */
int
__open_2(const char *path, int flags)
{
	return opened(AT_FDCWD, path, flags, 0, callopenat);
}

int
__open64_2(const char *path, int flags)
{
	return opened(AT_FDCWD, path, flags, 0, callopenat);
}

int
__openat_2(int dirfd, const char *path, int flags)
{
	return opened(dirfd, path, flags, 0, callopenat);
}

int
__openat64_2(int dirfd, const char *path, int flags)
{
	return opened(dirfd, path, flags, 0, callopenat);
}

int
creat(const char *path, mode_t mode)
{
	return opened(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode,
	    callopenat);
}

/* mkostemp and its kin open with glibc's own open, which the shim does
 * not see: their file is taken here. */
static int
tempmade(int fd, const char *tmpl)
{
	char full[PATH_MAX];

	if (fd < 0 || !active())
		return fd;
	inside = 1;
	pthread_mutex_lock(&mu);
	if (fd < MAXFD)
		fdino[fd] = 0;
	if (under(AT_FDCWD, tmpl, full))
		track(fd, full, 1);
	pthread_mutex_unlock(&mu);
	inside = 0;
	return fd;
}

int
mkostemp(char *tmpl, int flags)
{
	REAL(int, mkostemp, (char *, int));
	return tempmade(real_mkostemp(tmpl, flags), tmpl);
}

int
mkstemp(char *tmpl)
{
	REAL(int, mkstemp, (char *));
	return tempmade(real_mkstemp(tmpl), tmpl);
}

int
mkostemp64(char *tmpl, int flags)
{
	return mkostemp(tmpl, flags);
}

int
mkstemp64(char *tmpl)
{
	return mkstemp(tmpl);
}

int
close(int fd)
{
	REAL(int, close, (int));
	if (fd >= 0 && fd < MAXFD && fdino[fd] != 0) {
		pthread_mutex_lock(&mu);
		fdino[fd] = 0;
		pthread_mutex_unlock(&mu);
	}
	return real_close(fd);
}

int
dup(int fd)
{
	REAL(int, dup, (int));
	int r = real_dup(fd);

	if (r >= 0 && r < MAXFD)
		fdino[r] = tracked(fd);
	return r;
}

int
dup2(int fd, int to)
{
	REAL(int, dup2, (int, int));
	int r = real_dup2(fd, to);

	if (r >= 0 && r < MAXFD)
		fdino[r] = tracked(fd);
	return r;
}

int
dup3(int fd, int to, int flags)
{
	REAL(int, dup3, (int, int, int));
	int r = real_dup3(fd, to, flags);

	if (r >= 0 && r < MAXFD)
		fdino[r] = tracked(fd);
	return r;
}

/* A name operation at path (at dirfd): recorded as op when under. */
#define NAMEOP(op, dirfd, path, call) do {				\
	char full_[PATH_MAX];						\
	int r_, want_;							\
	struct stat sb_;						\
	if (!active())							\
		return call;						\
	inside = 1;							\
	want_ = under(dirfd, path, full_);				\
	pthread_mutex_lock(&mu);					\
	r_ = call;							\
	if (r_ == 0 && want_ && strcmp(op, "mkdir") == 0 &&		\
	    fstatat(dirfd, path, &sb_, AT_SYMLINK_NOFOLLOW) == 0)	\
		emit(NULL, 0, "mkdir %d %s %lu %s", (int)getpid(), tag,	\
		    (unsigned long)sb_.st_ino, full_);			\
	else if (r_ == 0 && want_ && strcmp(op, "mkdir") != 0)		\
		emit(NULL, 0, "%s %d %s %s", op, (int)getpid(), tag,	\
		    full_);						\
	pthread_mutex_unlock(&mu);					\
	inside = 0;							\
	return r_;							\
} while (0)

int
mkdir(const char *path, mode_t mode)
{
	REAL(int, mkdir, (const char *, mode_t));
	NAMEOP("mkdir", AT_FDCWD, path, real_mkdir(path, mode));
}

int
mkdirat(int dirfd, const char *path, mode_t mode)
{
	REAL(int, mkdirat, (int, const char *, mode_t));
	NAMEOP("mkdir", dirfd, path, real_mkdirat(dirfd, path, mode));
}

int
unlink(const char *path)
{
	REAL(int, unlink, (const char *));
	NAMEOP("unlink", AT_FDCWD, path, real_unlink(path));
}

int
rmdir(const char *path)
{
	REAL(int, rmdir, (const char *));
	NAMEOP("rmdir", AT_FDCWD, path, real_rmdir(path));
}

int
unlinkat(int dirfd, const char *path, int flags)
{
	REAL(int, unlinkat, (int, const char *, int));
	NAMEOP((flags & AT_REMOVEDIR) ? "rmdir" : "unlink", dirfd, path,
	    real_unlinkat(dirfd, path, flags));
}

/* A two-name operation (rename, link): recorded when either is under. */
#define TWOOP(op, fd1, p1, fd2, p2, call) do {				\
	char a_[PATH_MAX], b_[PATH_MAX];				\
	int r_, wa_, wb_;						\
	if (!active())							\
		return call;						\
	inside = 1;							\
	wa_ = under(fd1, p1, a_);					\
	wb_ = under(fd2, p2, b_);					\
	pthread_mutex_lock(&mu);					\
	r_ = call;							\
	if (r_ == 0 && (wa_ || wb_))					\
		emit(NULL, 0, "%s %d %s %s %s", op, (int)getpid(), tag,	\
		    wa_ ? a_ : "-", wb_ ? b_ : "-");			\
	pthread_mutex_unlock(&mu);					\
	inside = 0;							\
	return r_;							\
} while (0)

int
rename(const char *from, const char *to)
{
	REAL(int, rename, (const char *, const char *));
	TWOOP("rename", AT_FDCWD, from, AT_FDCWD, to, real_rename(from, to));
}

int
renameat(int fd1, const char *from, int fd2, const char *to)
{
	REAL(int, renameat, (int, const char *, int, const char *));
	TWOOP("rename", fd1, from, fd2, to, real_renameat(fd1, from, fd2, to));
}

int
renameat2(int fd1, const char *from, int fd2, const char *to, unsigned fl)
{
	REAL(int, renameat2, (int, const char *, int, const char *, unsigned));
	TWOOP("rename", fd1, from, fd2, to, real_renameat2(fd1, from, fd2, to,
	    fl));
}

int
link(const char *from, const char *to)
{
	REAL(int, link, (const char *, const char *));
	TWOOP("link", AT_FDCWD, from, AT_FDCWD, to, real_link(from, to));
}

int
linkat(int fd1, const char *from, int fd2, const char *to, int flags)
{
	REAL(int, linkat, (int, const char *, int, const char *, int));
	TWOOP("link", fd1, from, fd2, to, real_linkat(fd1, from, fd2, to,
	    flags));
}

/* Records the bytes p[0..len) that a write put at offset off of fd's
 * file (off -1: where the file offset was, found after the write). */
static void
wrote(int fd, const void *p, ssize_t len, off_t off)
{
	if (len <= 0)
		return;
	if (off < 0)
		off = lseek(fd, 0, SEEK_CUR) - len;
	emit(p, (size_t)len, "write %d %s %lu %lld", (int)getpid(), tag,
	    (unsigned long)tracked(fd), (long long)off);
}

static void
output(const void *p, size_t len)
{
	emit(p, len, "out %d %s", (int)getpid(), tag);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	ssize_t r;

	resolve();
	if (!active() || (fd != STDOUT_FILENO && tracked(fd) == 0))
		return rwrite(fd, buf, len);
	pthread_mutex_lock(&mu);
	if (fd == STDOUT_FILENO && tracked(fd) == 0) {
		output(buf, len);
		r = rwrite(fd, buf, len);
	} else {
		r = rwrite(fd, buf, len);
		wrote(fd, buf, r, -1);
	}
	pthread_mutex_unlock(&mu);
	return r;
}

/* The bytes of an iovec, gathered. */
static char *
gather(const struct iovec *iov, int n, size_t *len)
{
	char *p;
	int i;

	*len = 0;
	for (i = 0; i < n; i++)
		*len += iov[i].iov_len;
	if ((p = malloc(*len ? *len : 1)) == NULL)
		return NULL;
	*len = 0;
	for (i = 0; i < n; i++) {
		memcpy(p + *len, iov[i].iov_base, iov[i].iov_len);
		*len += iov[i].iov_len;
	}
	return p;
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	ssize_t r;
	size_t len;
	char *p;

	resolve();
	if (!active() || (fd != STDOUT_FILENO && tracked(fd) == 0))
		return rwritev(fd, iov, n);
	if ((p = gather(iov, n, &len)) == NULL)
		return rwritev(fd, iov, n);
	pthread_mutex_lock(&mu);
	if (fd == STDOUT_FILENO && tracked(fd) == 0) {
		output(p, len);
		r = rwritev(fd, iov, n);
	} else {
		r = rwritev(fd, iov, n);
		wrote(fd, p, r, -1);
	}
	pthread_mutex_unlock(&mu);
	free(p);
	return r;
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	REAL(ssize_t, pwrite, (int, const void *, size_t, off_t));
	ssize_t r;

	if (!active() || tracked(fd) == 0)
		return real_pwrite(fd, buf, len, off);
	pthread_mutex_lock(&mu);
	r = real_pwrite(fd, buf, len, off);
	wrote(fd, buf, r, off);
	pthread_mutex_unlock(&mu);
	return r;
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite(fd, buf, len, off);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	REAL(ssize_t, pwritev, (int, const struct iovec *, int, off_t));
	ssize_t r;
	size_t len;
	char *p;

	if (!active() || tracked(fd) == 0 || (p = gather(iov, n, &len)) ==
	    NULL)
		return real_pwritev(fd, iov, n, off);
	pthread_mutex_lock(&mu);
	r = real_pwritev(fd, iov, n, off);
	wrote(fd, p, r, off);
	pthread_mutex_unlock(&mu);
	free(p);
	return r;
}

/* The stdio acknowledgements of evpub -T: recorded when handed to
 * stdio, which is before they reach the descriptor. */
size_t
fwrite(const void *p, size_t size, size_t n, FILE *f)
{
	REAL(size_t, fwrite, (const void *, size_t, size_t, FILE *));
	size_t r;

	if (!active() || f != stdout || size * n == 0)
		return real_fwrite(p, size, n, f);
	pthread_mutex_lock(&mu);
	output(p, size * n);
	r = real_fwrite(p, size, n, f);
	pthread_mutex_unlock(&mu);
	return r;
}

int
ftruncate(int fd, off_t len)
{
	REAL(int, ftruncate, (int, off_t));
	int r;

	if (!active() || tracked(fd) == 0)
		return real_ftruncate(fd, len);
	pthread_mutex_lock(&mu);
	if ((r = real_ftruncate(fd, len)) == 0)
		emit(NULL, 0, "trunc %d %s %lu %lld", (int)getpid(), tag,
		    (unsigned long)tracked(fd), (long long)len);
	pthread_mutex_unlock(&mu);
	return r;
}

int
ftruncate64(int fd, off_t len)
{
	return ftruncate(fd, len);
}

/* A file's end after an allocation that may have moved it. */
static void
grown(int fd)
{
	struct stat sb;

	if (fstat(fd, &sb) == 0)
		emit(NULL, 0, "trunc %d %s %lu %lld", (int)getpid(), tag,
		    (unsigned long)tracked(fd), (long long)sb.st_size);
}

int
posix_fallocate(int fd, off_t off, off_t len)
{
	REAL(int, posix_fallocate, (int, off_t, off_t));
	int r;

	if (!active() || tracked(fd) == 0)
		return real_posix_fallocate(fd, off, len);
	pthread_mutex_lock(&mu);
	if ((r = real_posix_fallocate(fd, off, len)) == 0)
		grown(fd);
	pthread_mutex_unlock(&mu);
	return r;
}

int
posix_fallocate64(int fd, off_t off, off_t len)
{
	return posix_fallocate(fd, off, len);
}

int
fallocate(int fd, int mode, off_t off, off_t len)
{
	REAL(int, fallocate, (int, int, off_t, off_t));
	int r;

	if (!active() || tracked(fd) == 0)
		return real_fallocate(fd, mode, off, len);
	pthread_mutex_lock(&mu);
	if ((r = real_fallocate(fd, mode, off, len)) == 0)
		grown(fd);
	pthread_mutex_unlock(&mu);
	return r;
}

/* Writes through a shared writable mapping are not seen: said once. */
void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	REAL(void *, mmap, (void *, size_t, int, int, int, off_t));
	void *r = real_mmap(addr, len, prot, flags, fd, off);

	if (r != MAP_FAILED && active() && tracked(fd) != 0 &&
	    (prot & PROT_WRITE) && (flags & MAP_SHARED)) {
		pthread_mutex_lock(&mu);
		emit(NULL, 0, "mmap %d %s %lu", (int)getpid(), tag,
		    (unsigned long)tracked(fd));
		pthread_mutex_unlock(&mu);
	}
	return r;
}

void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

/* fsync and fdatasync (which, for a file that grew, writes its size
 * too): a record before the call and one after. */
static int
synced(int fd, int (*call)(int))
{
	ino_t ino;
	int r, e;

	if (!active() || (ino = tracked(fd)) == 0)
		return call(fd);
	pthread_mutex_lock(&mu);
	emit(NULL, 0, "fsync %d %s %lu", (int)getpid(), tag,
	    (unsigned long)ino);
	pthread_mutex_unlock(&mu);
	r = call(fd);
	e = errno;
	pthread_mutex_lock(&mu);
	emit(NULL, 0, "fsynced %d %s %lu %d", (int)getpid(), tag,
	    (unsigned long)ino, r);
	pthread_mutex_unlock(&mu);
	errno = e;
	return r;
}

static int
callfsync(int fd)
{
	REAL(int, fsync, (int));
	return real_fsync(fd);
}

static int
callfdatasync(int fd)
{
	REAL(int, fdatasync, (int));
	return real_fdatasync(fd);
}

int
fsync(int fd)
{
	return synced(fd, callfsync);
}

int
fdatasync(int fd)
{
	return synced(fd, callfdatasync);
}

__attribute__((destructor)) static void
bye(void)
{
	if (on != 1)
		return;
	pthread_mutex_lock(&mu);
	emit(NULL, 0, "exit %d %s", (int)getpid(), tag);
	pthread_mutex_unlock(&mu);
}
