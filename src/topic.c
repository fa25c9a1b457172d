/* SPDX-License-Identifier: ISC */
/*
 * topic.c - the local bus: topics as directories.  See topic.h and
 * eventful(7).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "timefmt.h"
#include "topic.h"
#include "util.h"

#define SWEEP_AGE 60	/* seconds after which a hidden FIFO is stale */

static char *
join(const char *a, const char *b)
{
	char *p = xmalloc(strlen(a) + strlen(b) + 2);

	sprintf(p, "%s/%s", a, b);
	return p;
}

char *
topic_home(char *err, size_t n)
{
	const char *h;
	char *p;

	if ((h = getenv("EVENTFUL_HOME")) != NULL && *h != '\0')
		return xstrdup(h);
	if ((h = getenv("XDG_STATE_HOME")) != NULL && *h == '/')
		return join(h, "eventful");
	if ((h = getenv("HOME")) == NULL || *h == '\0') {
		seterrw(err, n, 0, NULL, "neither EVENTFUL_HOME nor HOME is "
		    "set: where do topics live?");
		return NULL;
	}
	p = xmalloc(strlen(h) + 32);
	sprintf(p, "%s/.local/state/eventful", h);
	return p;
}

/*
 * A home shared by a group: $EVENTFUL_HOME group-writable and setgid, as
 * its owner makes it for a group (git's core.sharedRepository).  What is
 * made under it is then the group's too: directories 2770, files 0660,
 * set with chmod, for the umask would take the group's bits away.
 */
int
topic_shared(void)
{
	static int shared = -1;
	struct stat sb;
	char *home;

	if (shared < 0) {
		home = topic_home(NULL, 0);
		shared = home != NULL && stat(home, &sb) == 0 &&
		    S_ISDIR(sb.st_mode) &&
		    (sb.st_mode & (S_IWGRP | S_ISGID)) == (S_IWGRP | S_ISGID);
		free(home);
	}
	return shared;
}

/* The mode of what we make: a file (dir 0) or a directory. */
static mode_t
modefor(int dir)
{
	if (topic_shared())
		return dir ? 02770 : 0660;
	return dir ? 0700 : 0600;
}

/* Gives the file we just made its mode, past the umask, when shared. */
static void
share(const char *path, int fd, int dir)
{
	if (!topic_shared())
		return;
	/* Another member's file cannot be chmod-ed by us: its maker did. */
	if ((fd >= 0 ? fchmod(fd, modefor(dir)) : chmod(path, modefor(dir))) ==
	    -1 && errno != EPERM && errno != ENOENT)
		warnwe(path, "chmod");
}

/*
 * Says in err that an operation on path failed for want of permission,
 * naming the directory in the way, its owner and mode, and the fix: never
 * "mkdir: Permission denied" for a directory that exists.  Returns -1.
 */
static int
denied(const char *path, const char *op, char *err, size_t n)
{
	struct stat sb;
	struct passwd *pw;
	char *dir = xstrdup(path), *slash, *home = topic_home(NULL, 0);
	const char *h = home != NULL ? home : "$EVENTFUL_HOME";

	/* The deepest file or directory we can see: what keeps us out. */
	while (stat(dir, &sb) == -1) {
		if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
			break;
		*slash = '\0';
	}
	pw = getpwuid(sb.st_uid);
	seterrw(err, n, 0, path, "%s: permission denied: %s is %s's, mode "
	    "%04o, not shared with you; to share %s with a group, its owner "
	    "runs 'chgrp -R GROUP %s && chmod -R g+rwX %s && find %s -type d "
	    "-exec chmod g+s {} +' (see evsub(1)); or set EVENTFUL_HOME to a "
	    "directory of your own", op, dir, pw != NULL ? pw->pw_name :
	    "another user", (unsigned)(sb.st_mode & 07777), h, h, h, h);
	free(dir);
	free(home);
	return -1;
}

int
topic_denied(const char *path, const char *op, char *err, size_t n)
{
	if (errno == EACCES || errno == EPERM)
		return denied(path, op, err, n);
	return 0;
}

/* Says in err that op on path failed (errno): denied() for want of
 * permission.  Returns -1. */
static int
failed(const char *path, const char *op, char *err, size_t n)
{
	if (errno == EACCES || errno == EPERM)
		return denied(path, op, err, n);
	return seterrw(err, n, errno, path, "%s", op);
}

/* Makes directory p, or finds it there: 0700, or the group's when the
 * home is shared. */
static int
mkdir1(const char *p, char *err, size_t n)
{
	struct stat sb;
	int e;

	if (mkdir(p, 0700) == 0) {
		share(p, -1, 1);
		/* Its name is durable only once its parent is: before any
		 * event published under it is acknowledged. */
		if (fsyncparent(p) == -1)
			return failed(p, "fsync of the directory that holds it",
			    err, n);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	/* EACCES for a directory that is there is no error: what we cannot
	 * do in it is said by name when we try. */
	e = errno;
	if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0;
	errno = e;
	return failed(p, "mkdir", err, n);
}

/* mkdir -p, as mkdir1 makes each. */
static int
mkdirs(const char *path, char *err, size_t n)
{
	char *p = xstrdup(path), *s;
	int r = 0;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		r = mkdir1(p, err, n);
		*s = c;
		if (c == '\0' || r == -1)
			break;
	}
	free(p);
	return r;
}

/*
 * The owner of path when it is a symbolic link of another user's, else 0.
 * One planted in place of a topic, its subs/ or its consumers/ by someone
 * who may write beside it would have our files made wherever it points.
 * A link of our own, or root's, is a choice of the home's owner: followed.
 */
static uid_t
foreign(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode) &&
	    sb.st_uid != geteuid() && sb.st_uid != 0)
		return sb.st_uid;
	return 0;
}

/* Says so in err when directory path is a link of another user's
 * (foreign), and returns -1; else 0. */
static int
ownlink(const char *path, char *err, size_t n)
{
	uid_t uid;

	if ((uid = foreign(path)) != 0)
		return seterrw(err, n, 0, path, "a symbolic link of another "
		    "user's (uid %lu): refused, not followed",
		    (unsigned long)uid);
	return 0;
}

int
topic_init(struct topic *t, const char *name, int create, char *err,
    size_t n)
{
	char *home = topic_home(err, n), *topics;
	int r;

	memset(t, 0, sizeof(*t));
	if (home == NULL)
		return -1;
	t->name = xstrdup(name);
	topics = join(home, "topics");
	t->dir = join(topics, name);
	t->log = join(t->dir, "log");
	t->subs = join(t->dir, "subs");
	t->consumers = join(t->dir, "consumers");
	r = ownlink(t->dir, err, n);
	if (r == 0 && create && (mkdirs(t->subs, err, n) == -1 ||
	    mkdirs(t->consumers, err, n) == -1))
		r = -1;
	if (r == 0 && (ownlink(t->subs, err, n) == -1 ||
	    ownlink(t->consumers, err, n) == -1))
		r = -1;
	free(topics);
	free(home);
	if (r == -1)
		topic_free(t);
	return r;
}

void
topic_free(struct topic *t)
{
	free(t->name);
	free(t->dir);
	free(t->log);
	free(t->subs);
	free(t->consumers);
	memset(t, 0, sizeof(*t));
}

/* ---- publishing ---- */

static int published(void *, struct batch *);
static void pubfail(void *, enum log_result, int, const char *);
static int openlog(struct topub *, char *, size_t);

/*
 * Makes the names above a topic's log durable: the topic's in topics/,
 * topics/ in the home, and the home in its parent.  mkdir1 does it as it
 * makes them; this is for a topic whose maker was killed in between,
 * which left its log empty (log_open makes the log's own name durable
 * when it finds it so).  The home's parent may be one we cannot open
 * (mode 0711): then it is not ours, nor the home made by us in it.
 */
static int
syncnames(const struct topic *t, char *err, size_t n)
{
	char *p = xstrdup(t->dir), *slash;
	int i, r = 0;

	for (i = 0; i < 3 && (slash = strrchr(p, '/')) != NULL &&
	    slash != p; i++) {
		if (fsyncparent(p) == -1 && !(i == 2 && (errno == EACCES ||
		    errno == EPERM))) {
			r = failed(p, "fsync of the directory that holds it",
			    err, n);
			break;
		}
		*slash = '\0';
	}
	free(p);
	return r;
}

/* Whether descriptor fd is the file that path names now. */
static int
samefile(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

#define HOLD_TRIES 10	/* deletions a starting publisher outlasts */

/*
 * Makes topic name (or finds it) and holds its directory with a shared
 * lock for as long as the publisher runs: topic_delete sees it there and
 * refuses without --force.  A topic deleted while this one started (it
 * held the directory's lock, then renamed it away) is made anew.
 */
static int
holdtopic(struct topub *p, const char *name, char *err, size_t n)
{
	int try;

	for (try = 0; ; try++) {
		if (topic_init(&p->t, name, 1, err, n) == -1)
			return -1;
		p->dirfd = open(p->t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (p->dirfd == -1 && errno != ENOENT) {
			failed(p->t.dir, "open", err, n);
			topic_free(&p->t);
			return -1;
		}
		if (p->dirfd >= 0) {
			if (flock(p->dirfd, LOCK_SH) == -1) {
				failed(p->t.dir, "flock", err, n);
				close(p->dirfd);
				topic_free(&p->t);
				return -1;
			}
			if (samefile(p->dirfd, p->t.dir))
				return 0;
			close(p->dirfd);
		}
		topic_free(&p->t);
		if (try == HOLD_TRIES)
			return seterrw(err, n, 0, name, "the topic was deleted "
			    "%d times while this publisher started: not "
			    "published", HOLD_TRIES + 1);
	}
}

/* Opens p's log, and starts its pipeline when threaded. */
static int
openlog(struct topub *p, char *err, size_t n)
{
	struct stat sb;
	char why[512];

	if ((p->log = log_open(p->t.log, 1, why, sizeof(why))) == NULL) {
		if (errno == EACCES)
			return denied(p->t.log, "open", err, n);
		return seterrw(err, n, 0, p->t.log, "%s", why);
	}
	share(p->t.log, log_fd(p->log), 0);
	if (fstat(log_fd(p->log), &sb) == 0 && sb.st_size == 0 &&
	    syncnames(&p->t, err, n) == -1)
		return -1;
	if (p->threaded && log_commit_start(p->log, p->sync, published,
	    pubfail, p) != LOG_OK)
		return seterrw(err, n, errno, "pthread_create", "append");
	return 0;
}

int
topub_open(struct topub *p, const char *name, int sync, int64_t maxwait,
    int quiet, int overlap, void (*onfail)(int, const char *), char *err,
    size_t n)
{
	memset(p, 0, sizeof(*p));
	if (holdtopic(p, name, err, n) == -1)
		return BUS_ERROR;
	p->sync = sync;
	p->maxwait = maxwait;
	p->expect = -1;
	p->onfail = onfail;
	pthread_mutex_init(&p->mu, NULL);
	/* A subscriber that goes away is found by EPIPE, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	/* One event at a time, durable each: no group to overlap with. */
	p->threaded = overlap && sync != SYNC_EVENT;
	ack_open(&p->ack, !quiet, quiet, p->t.name, 0, "log", "published");
	if (openlog(p, err, n) == -1) {
		(void)ack_close(&p->ack, NULL, 0);
		if (p->log != NULL)
			log_close(p->log);
		pthread_mutex_destroy(&p->mu);
		close(p->dirfd);
		topic_free(&p->t);
		return BUS_ERROR;
	}
	scan_init(&p->sc);
	return BUS_OK;
}

int
topub_close(struct topub *p, char *err, size_t n)
{
	char *idx, why[512];
	int r;

	if (p->threaded)
		log_commit_finish(p->log);
	/* The index is made (and remade, as it grows) by whoever appends:
	 * the group's readers use it too. */
	if (topic_shared()) {
		idx = xmalloc(strlen(p->t.log) + 5);
		sprintf(idx, "%s.idx", p->t.log);
		share(idx, -1, 0);
		free(idx);
	}
	/* A reader of the acknowledgements that went away is no failure
	 * once all is done. */
	r = p->res == BUS_EPIPE ? BUS_OK : p->res;
	if (r != BUS_OK)
		seterrw(err, n, 0, NULL, "%s", p->failerr);
	if (ack_close(&p->ack, why, sizeof(why)) == ACK_ERROR &&
	    r == BUS_OK) {
		seterr(err, n, "%s", why);
		r = BUS_ERROR;
	}
	batch_free(&p->bt);
	scan_free(&p->sc);
	log_close(p->log);
	close(p->dirfd);
	pthread_mutex_destroy(&p->mu);
	topic_free(&p->t);
	return r;
}

/* One subscriber being written to. */
struct fifo {
	char *path;		/* its FIFO */
	int fd;			/* open for writing, or -1 when done */
	size_t off;		/* bytes of the batch it has taken */
	int locked;		/* holds the FIFO's lock */
	int64_t progress;	/* when it last took bytes */
};

static void
dropfifo(struct topub *p, struct fifo *s, const char *why)
{
	if (why != NULL)
		warnw(p->t.name, "subscriber %s: %s: cut off",
		    strrchr(s->path, '/') + 1, why);
	/* Gone from subs/: no publisher writes to it again, and the
	 * subscriber sees that it was cut off. */
	(void)unlink(s->path);
	if (s->fd >= 0) {
		if (s->locked)
			(void)flock(s->fd, LOCK_UN);
		close(s->fd);
	}
	s->fd = -1;
}

/*
 * Reads a subscriber FIFO's file name, "evsub-PID" or "evsub-PID-NAME"
 * (its --name): returns 0 with *pid and, when name is not NULL, *name
 * (NULL or a pointer into fname), or -1 when fname is not such a name.
 * The pid is digits only, so the first '-' after it starts the name.
 */
static int
subname(const char *fname, long *pid, const char **name)
{
	const char *s;
	char *end;

	if (strncmp(fname, "evsub-", 6) != 0 || !isdigit((unsigned char)
	    fname[6]))
		return -1;
	errno = 0;
	*pid = strtol(fname + 6, &end, 10);
	if (errno != 0 || *pid <= 0 || *pid != (pid_t)*pid)
		return -1;
	if (*end == '-' && topic_name_ok(end + 1))
		s = end + 1;
	else if (*end == '\0')
		s = NULL;
	else
		return -1;
	if (name != NULL)
		*name = s;
	return 0;
}

/*
 * Removes the hidden FIFO name in dir of a subscriber that died before it
 * put it in place (killed in the moment of its start-up): one whose
 * process is gone and that is older than SWEEP_AGE seconds, which no
 * start-up takes.
 */
static void
sweep(const char *dir, const char *name)
{
	struct stat sb;
	char *path;
	long pid;

	if (name[0] != '.' || subname(name + 1, &pid, NULL) == -1)
		return;
	path = join(dir, name);
	if (lstat(path, &sb) == 0 && S_ISFIFO(sb.st_mode) &&
	    time(NULL) - sb.st_mtime > SWEEP_AGE &&
	    kill((pid_t)pid, 0) == -1 && errno == ESRCH)
		(void)unlink(path);
	free(path);
}

/*
 * Opens the subscriber FIFO name in p's subs/ for writing and adds it to
 * v[*n].  A FIFO without a reader (ENXIO) is a stale subscriber and is
 * removed; one that went in the meantime is skipped.  Returns -1, taking
 * nothing, when no descriptor is left (EMFILE, ENFILE), else 0.
 */
static int
addfifo(struct topub *p, struct fifo **v, size_t *n, const char *name)
{
	struct stat sb;
	char *path = join(p->t.subs, name);
	int fd;

	/* A link planted in subs/ is not followed to a FIFO elsewhere. */
	fd = open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			free(path);
			return -1;
		}
		if (errno == ENXIO)	/* no reader: stale */
			(void)unlink(path);
		free(path);
		return 0;
	}
	if (fstat(fd, &sb) == -1 || !S_ISFIFO(sb.st_mode)) {
		close(fd);
		free(path);
		return 0;
	}
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n].path = path;
	(*v)[*n].fd = fd;
	(*v)[*n].off = 0;
	(*v)[*n].locked = 0;
	(*v)[*n].progress = now_usec();
	(*n)++;
	return 0;
}

/*
 * Writes buf[0..len) to the n subscribers of v, all at once: each FIFO
 * takes what it can without blocking, and poll(2) waits for room.  Each
 * write is under the FIFO's exclusive lock, so that publishers sharing a
 * subscriber never interleave inside an event, whatever its size.  A FIFO
 * whose reader went (EPIPE) is removed; one that takes nothing for
 * --max-wait is cut off.  Closes every FIFO and frees v's paths.
 */
static void
serve(struct topub *p, struct fifo *v, size_t n, const char *buf, size_t len)
{
	struct pollfd *pfd;
	size_t i, np, left;
	ssize_t w;
	int64_t now;
	int waitlock;

	pfd = xmalloc((n + 1) * sizeof(*pfd));
	for (;;) {
		left = 0;
		waitlock = 0;
		np = 0;
		now = now_usec();
		for (i = 0; i < n; i++) {
			struct fifo *s = &v[i];

			if (s->fd < 0)
				continue;
			if (!s->locked) {
				if (flock(s->fd, LOCK_EX | LOCK_NB) == 0)
					s->locked = 1;
				else if (errno != EWOULDBLOCK) {
					dropfifo(p, s, "flock failed");
					continue;
				}
			}
			while (s->locked && s->off < len) {
				w = write(s->fd, buf + s->off, len - s->off);
				if (w > 0) {
					s->off += (size_t)w;
					s->progress = now;
				} else
					break;
			}
			if (s->locked && s->off < len && errno != EAGAIN) {
				/* EPIPE: its reader died. */
				dropfifo(p, s, NULL);
				continue;
			}
			if (s->off == len) {
				(void)flock(s->fd, LOCK_UN);
				close(s->fd);
				s->fd = -1;
				continue;
			}
			if (now - s->progress > p->maxwait) {
				dropfifo(p, s, s->locked ? "took nothing for "
				    "--max-wait" : "another publisher held it "
				    "for --max-wait");
				continue;
			}
			left++;
			if (s->locked) {
				pfd[np].fd = s->fd;
				pfd[np++].events = POLLOUT;
			} else
				waitlock = 1;
		}
		if (left == 0)
			break;
		/* Room in a FIFO, a lock let go (checked every ms), or the
		 * time to cut one off. */
		(void)poll(pfd, np, waitlock ? 1 : 100);
	}
	for (i = 0; i < n; i++)
		free(v[i].path);
	free(pfd);
}

/*
 * Writes buf[0..len) to every live subscriber in subs/.  All of them are
 * served at once while descriptors last.  The table of descriptors is
 * finite (RLIMIT_NOFILE, often 1024), and the subscribers are not: when
 * it is full, the FIFOs open are served and closed, and the rest of the
 * directory is read on, so that every subscriber gets the events, not
 * only the first to fit.  A FIFO that cannot be opened with nothing else
 * open is reported: never a subscriber skipped in silence.
 */
static void
fanout(struct topub *p, const char *buf, size_t len)
{
	struct fifo *v = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(p->t.subs)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			/* Hidden: not in place yet, or never will be. */
			sweep(p->t.subs, de->d_name);
			continue;
		}
		if (addfifo(p, &v, &n, de->d_name) == 0)
			continue;
		/* Out of descriptors: serve those open, then retry. */
		serve(p, v, n, buf, len);
		n = 0;
		if (addfifo(p, &v, &n, de->d_name) == -1)
			warnwe(p->t.name, "subscriber %s: not written to",
			    de->d_name);
	}
	closedir(d);
	serve(p, v, n, buf, len);
	free(v);
}

/*
 * Adds the whole events buf[0..len) to bt.  They are evpub's own output,
 * each checked on its way in: their members are found, not checked again.
 */
static int
fill(struct topub *p, struct batch *bt, const char *buf, size_t len,
    char *err, size_t n)
{
	const struct scan_member *m;
	const char *s = buf, *end = buf + len, *nl;
	char why[512];

	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		p->n++;
		if (scan_trusted(&p->sc, s, (size_t)(nl - s)) == -1 ||
		    ce_check(&p->sc, &p->ev, 0, why, sizeof(why)) == -1) {
			seterrw(err, n, 0, p->t.name, "event %llu: %s",
			    (unsigned long long)p->n, p->sc.err != NULL ?
			    p->sc.err : why);
			return BUS_ERROR;
		}
		m = p->ev.a[CE_SUBJECT];
		if (p->expect >= 0 && ack_subject(&p->ack, m != NULL ? m->val :
		    NULL, m != NULL ? m->vallen : 0, p->n, err, n) != ACK_OK)
			return BUS_INVALID;
		batch_add(bt, &p->sc, &p->ev, p->n);
	}
	return BUS_OK;
}

/* After bt is in the log, durable, and still under its lock: fans it out,
 * reports the events left out as repeats, and acknowledges the rest on
 * stdout. */
static int
pubdone(struct topub *p, struct batch *bt, char *err, size_t n)
{
	enum ack_result r;

	/* Live subscribers get the events in the log's order: fan out
	 * before another publisher can append. */
	if (bt->b.len > 0)
		fanout(p, bt->b.p, bt->b.len);
	r = ack_batch(&p->ack, bt, err, n);
	return r == ACK_OK ? BUS_OK : r == ACK_EPIPE ? BUS_EPIPE :
	    BUS_ERROR;
}

/*
 * Keeps p's first failure (BUS_EPIPE too: the run is over), said whole in
 * err, for every call after to return; from the pipeline's threads, also
 * tells the program's hook, which may end the program.  Returns the
 * failure kept.
 */
static int
keep(struct topub *p, int r, const char *err, int threads)
{
	int first;

	pthread_mutex_lock(&p->mu);
	if ((first = p->res == BUS_OK)) {
		p->res = r;
		snprintf(p->failerr, sizeof(p->failerr), "%s", err);
	}
	r = p->res;
	pthread_mutex_unlock(&p->mu);
	if (first && threads && r != BUS_EPIPE && p->onfail != NULL)
		p->onfail(r, p->failerr);
	return r;
}

/* The pipeline's durable hook: pubdone, a failure kept (it stops). */
static int
published(void *arg, struct batch *bt)
{
	struct topub *p = arg;
	char err[512];
	int r;

	if ((r = pubdone(p, bt, err, sizeof(err))) == BUS_OK)
		return 0;
	(void)keep(p, r, r == BUS_EPIPE ? "" : err, 1);
	return -1;
}

/* Says in err why the log took nothing (log_result how, errno e, or the
 * lock's message msg).  Returns BUS_ERROR. */
static int
appendfail(struct topub *p, enum log_result how, int e, const char *msg,
    char *err, size_t n)
{
	if (how == LOG_GONE)
		/* The topic was deleted (--force) under this publisher. */
		seterrw(err, n, 0, p->t.name, "the topic was deleted while "
		    "this publisher ran (evsub --delete-topic): nothing more "
		    "is published, and what was not acknowledged is not "
		    "stored");
	else
		log_failtext(p->t.log, how, e, msg, "stored or published", err,
		    n);
	return BUS_ERROR;
}

/* The pipeline's fail hook: the failure kept; the pipeline stops. */
static void
pubfail(void *arg, enum log_result how, int e, const char *msg)
{
	struct topub *p = arg;
	char err[2048];

	(void)keep(p, appendfail(p, how, e, msg, err, sizeof(err)), err, 1);
}

/* log_write's hook, under the lock: pubdone, its result kept in p. */
static void
stored(void *arg, struct batch *bt)
{
	struct topub *p = arg;

	p->done = pubdone(p, bt, p->doneerr, sizeof(p->doneerr));
}

/* The failure kept, said in err. */
static int
kept(struct topub *p, char *err, size_t n)
{
	int r;

	pthread_mutex_lock(&p->mu);
	r = p->res;
	if (r != BUS_OK)
		seterrw(err, n, 0, NULL, "%s", p->failerr);
	pthread_mutex_unlock(&p->mu);
	return r;
}

/* With threads: hands the events over to the pipeline.  When it has
 * stopped, ends it and returns why: the failure it kept, or BUS_EPIPE. */
static int
submit(struct topub *p, const char *buf, size_t len, char *err, size_t n)
{
	int r;

	if ((r = fill(p, log_commit_batch(p->log), buf, len, err, n)) !=
	    BUS_OK)
		return keep(p, r, err, 0);
	if (log_commit_submit(p->log) == 0)
		return BUS_OK;
	/* A failure, or the reader of the acks went away: what is stored
	 * stays, the rest is not published. */
	log_commit_finish(p->log);
	p->threaded = 0;
	if ((r = kept(p, err, n)) == BUS_OK)
		r = keep(p, BUS_EPIPE, "", 0);
	return r;
}

/*
 * Publishes the whole events buf[0..len): with threads, hands them to the
 * pipeline (log.h); without, appends them to the log, then fans them
 * out, and returns once that is done.  After a failure, every call
 * returns it again.
 */
int
topub_sink(struct topub *p, const char *buf, size_t len, char *err,
    size_t n)
{
	char why[512];
	uint64_t count;
	enum log_result got;
	int r;

	if ((r = kept(p, err, n)) != BUS_OK)
		return r;
	if (p->threaded)
		return submit(p, buf, len, err, n);
	batch_clear(&p->bt);
	if ((r = fill(p, &p->bt, buf, len, err, n)) != BUS_OK)
		return keep(p, r, err, 0);
	if (p->bt.n == 0)
		return BUS_OK;
	got = log_write(p->log, &p->bt, p->sync, p->expect, &count, stored, p,
	    why, sizeof(why));
	if (got == LOG_EXPECT) {
		seterrw(err, n, 0, p->t.name, "the subject has %llu events, "
		    "not %lld: nothing published", (unsigned long long)count,
		    p->expect);
		r = BUS_EXPECT;
	} else if (got != LOG_OK)
		r = appendfail(p, got, errno, got == LOG_GONE || why[0] ==
		    '\0' ? NULL : why, err, n);
	else if ((r = p->done) == BUS_OK && p->expect >= 0)
		p->expect += (long long)p->bt.m;
	else if (r == BUS_ERROR)
		seterrw(err, n, 0, NULL, "%s", p->doneerr);
	return r == BUS_OK ? r : keep(p, r, r == BUS_EPIPE ? "" : err, 0);
}

/* ---- live subscribers ---- */

static char ourfifo[4096];	/* our FIFO, for topic_fifo_remove */
static dev_t ldev;
static ino_t lino;

char *
topic_fifo_make(struct topic *t, const char *name, char **tmp, char *err,
    size_t n)
{
	char *fname, *path;

	/* The name rides in the FIFO's file name: it appears with the FIFO,
	 * in one rename, and goes with it. */
	fname = xmalloc(32 + (name != NULL ? strlen(name) : 0));
	if (name != NULL)
		sprintf(fname, ".evsub-%ld-%s", (long)getpid(), name);
	else
		sprintf(fname, ".evsub-%ld", (long)getpid());
	*tmp = join(t->subs, fname);
	path = join(t->subs, fname + 1);
	free(fname);
	(void)unlink(*tmp);
	if (mkfifo(*tmp, modefor(0)) == -1)
		failed(*tmp, "mkfifo", err, n);
	else {
		share(*tmp, -1, 0);
		if (strlen(path) < sizeof(ourfifo))
			return path;
		seterrw(err, n, 0, path, "path too long");
		(void)unlink(*tmp);
	}
	free(path);
	free(*tmp);
	*tmp = NULL;
	return NULL;
}

/* Called once the FIFO is open for reading: puts it in place. */
int
topic_fifo_place(const char *tmp, const char *path, int fd, char *err,
    size_t n)
{
	struct stat sb, fsb;

	if (lstat(tmp, &sb) == -1 || fstat(fd, &fsb) == -1)
		return seterrw(err, n, errno, tmp, "stat");
	/* What the caller opened is the FIFO we made, not a link or a file
	 * someone put in its place between mkfifo and open. */
	if (!S_ISFIFO(sb.st_mode) || sb.st_dev != fsb.st_dev ||
	    sb.st_ino != fsb.st_ino)
		return seterrw(err, n, 0, tmp, "not the FIFO we made: "
		    "replaced by someone; refused");
	ldev = sb.st_dev;
	lino = sb.st_ino;
	strcpy(ourfifo, path);
	if (rename(tmp, path) == -1) {
		ourfifo[0] = '\0';
		return seterrw(err, n, errno, path, "rename");
	}
	return 0;
}

void
topic_fifo_remove(void)
{
	if (ourfifo[0] != '\0')
		(void)unlink(ourfifo);
}

int
topic_fifo_cut(void)
{
	struct stat sb;

	if (ourfifo[0] == '\0')
		return 0;
	return lstat(ourfifo, &sb) == -1 || sb.st_dev != ldev ||
	    sb.st_ino != lino;
}

/* ---- durable consumers ---- */

/*
 * Opens file name of the directory dirfd (at path, for messages) with
 * flags, never through a symbolic link and never anything but a regular
 * file: what someone planted there is refused, not followed.  -1 with
 * err when it cannot.
 */
static int
openown(int dirfd, const char *name, const char *path, int flags, char *err,
    size_t n)
{
	struct stat sb;
	int fd;

	fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	    modefor(0));
	if (fd == -1 && errno == ELOOP)
		return seterrw(err, n, 0, path, "a symbolic link: refused");
	if (fd == -1)
		return failed(path, "open", err, n);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return seterrw(err, n, 0, path, "not a regular file: refused");
	}
	return fd;
}

/* Tells whether fname is a temporary file of consumer name's commits:
 * ".NAME." and six letters or digits, as topic_commit makes them. */
static int
committmp(const char *fname, const char *name)
{
	size_t n = strlen(name), i;

	if (fname[0] != '.' || strncmp(fname + 1, name, n) != 0 ||
	    fname[n + 1] != '.' || strlen(fname + n + 2) != 6)
		return 0;
	for (i = n + 2; fname[i] != '\0'; i++)
		if (!isalnum((unsigned char)fname[i]))
			return 0;
	return 1;
}

/*
 * Removes what a commit of consumer name killed before its rename left:
 * its temporary files, and NAME.tmp of the versions before them.  Only
 * under the consumer's lock, where no commit of it is going on.
 */
static void
sweeptmp(struct topic *t, const char *name)
{
	struct dirent *de;
	char *old = xmalloc(strlen(name) + 5);
	DIR *d;

	sprintf(old, "%s.tmp", name);
	if ((d = opendir(t->consumers)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (committmp(de->d_name, name) ||
			    strcmp(de->d_name, old) == 0)
				(void)unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	free(old);
}

int
topic_consumer_lock(struct topic *t, const char *name, char *err, size_t n)
{
	char *path, *lname = xmalloc(strlen(name) + 8);
	int fd, dfd;

	sprintf(lname, ".%s.lock", name);
	path = join(t->consumers, lname);
	if ((dfd = open(t->consumers, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		fd = failed(t->consumers, "open", err, n);
	else {
		/* A link planted as the lock would make a file at its
		 * target. */
		fd = openown(dfd, lname, path, O_RDWR | O_CREAT, err, n);
		close(dfd);
	}
	if (fd >= 0)
		share(path, fd, 0);
	free(path);
	free(lname);
	if (fd == -1)
		return -2;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		return -1;
	}
	sweeptmp(t, name);
	return fd;	/* held until we exit */
}

/* Reads a position file: 0 and *pos, or -1 with a reason in err. */
static int
readpos(const char *path, uint64_t *pos, char *err, size_t n)
{
	struct stat sb;
	char buf[64], *end;
	unsigned long long v;
	ssize_t got;
	int fd;

	*pos = 0;
	/* Never read through a link planted there: a file of someone
	 * else's, shown in the message. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			return seterr(err, n, "a symbolic link: refused");
		return seterr(err, n, "open: %s", strerror(errno));
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return seterr(err, n, "not a regular file: refused");
	}
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return seterr(err, n, "not a position: empty");
	buf[got] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno != 0 || end == buf || *end != '\n' || buf[0] == '-')
		return seterr(err, n, "not a position: \"%s\"", shown(buf,
		    (size_t)got > 20 ? 20 : (size_t)got));
	*pos = (uint64_t)v;
	return 0;
}

int
topic_position(struct topic *t, const char *name, uint64_t *pos, char *err,
    size_t n)
{
	char *path = join(t->consumers, name), why[256];
	int r = 0;

	errno = 0;
	if (readpos(path, pos, why, sizeof(why)) == -1 &&
	    (r = topic_denied(path, "open", err, n)) == 0)
		r = seterrw(err, n, 0, path, "%s", why);
	free(path);
	return r;
}

/* replace_file's ready: a position in a group's home is the group's. */
static int
sharetmp(int fd, const char *tmp, void *arg)
{
	(void)arg;
	share(tmp, fd, 0);
	return 0;
}

int
topic_commit(struct topic *t, const char *name, uint64_t seq, char *err,
    size_t n)
{
	char *path = join(t->consumers, name), num[32];
	const char *step;
	int r = 0;

	snprintf(num, sizeof(num), "%llu\n", (unsigned long long)seq);
	/*
	 * Atomic: a crash leaves the old position or the new, never half;
	 * a run that ends with 0 has its position on disk.  What a kill
	 * leaves of the temporary file goes at the next run's lock
	 * (sweeptmp).
	 */
	if (replace_file(path, num, strlen(num), sharetmp, NULL, 0, &step) ==
	    -1) {
		if (strcmp(step, "create") == 0 && (errno == EACCES ||
		    errno == EPERM))
			r = denied(path, "committing the position", err, n);
		else if (strcmp(step, "fsync of the directory") == 0)
			r = seterrw(err, n, errno, t->consumers, "committing "
			    "the position: fsync of the directory");
		else
			r = seterrw(err, n, errno, path, "committing the "
			    "position: %s", step);
	}
	free(path);
	return r;
}

/* ---- the listing ---- */

static int
namecmp(const void *a, const void *b)
{
	return natcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir that are not hidden, sorted. */
static char **
names(const char *dir, size_t *n)
{
	struct dirent *de;
	char **v = NULL;
	DIR *d;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (!topic_name_ok(de->d_name))
			continue;
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), namecmp);
	return v;
}

/* A subscriber FIFO of t that a reader holds open: a live subscriber.
 * Adds it to s's list, by the pid and --name its file name carries. */
static void
addlive(struct topic_stat *s, struct topic *t, const char *fname)
{
	struct topic_live *l;
	struct stat sb;
	const char *name = fname;
	char *path = join(t->subs, fname);
	long pid = 0;
	int fd;

	/* Opening a FIFO for writing succeeds only when a reader has it
	 * open; a file or a link is no subscriber, as fanout() skips it. */
	fd = open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return;
	if (fstat(fd, &sb) == -1 || !S_ISFIFO(sb.st_mode)) {
		close(fd);
		return;
	}
	close(fd);
	/* A FIFO not named by evsub is listed under its file name. */
	if (subname(fname, &pid, &name) == -1)
		pid = 0;
	s->live = xrealloc(s->live, (s->nlive + 1) * sizeof(*s->live));
	l = &s->live[s->nlive++];
	l->pid = pid;
	l->name = name != NULL ? xstrdup(name) : NULL;
}

static int
livecmp(const void *a, const void *b)
{
	const struct topic_live *x = a, *y = b;

	return x->pid != y->pid ? (x->pid < y->pid ? -1 : 1) :
	    strcmp(x->name != NULL ? x->name : "", y->name != NULL ? y->name :
	    "");
}

/* Fills s with what topic name holds now. */
static void
survey1(struct topic_stat *s, const char *name)
{
	struct topic t;
	struct log *lg;
	char err[512], *path, **v;
	size_t n, i;

	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	/* Its links were checked (topic_survey, topic_delete). */
	if (topic_init(&t, name, 0, err, sizeof(err)) == -1)
		return;
	if ((lg = log_open(t.log, 0, err, sizeof(err))) != NULL &&
	    log_refresh(lg, err, sizeof(err)) == LOG_OK)
		s->last = log_last(lg);
	log_close(lg);
	v = names(t.subs, &n);
	for (i = 0; i < n; i++) {
		addlive(s, &t, v[i]);
		free(v[i]);
	}
	free(v);
	if (s->nlive > 1)
		qsort(s->live, s->nlive, sizeof(*s->live), livecmp);
	v = names(t.consumers, &n);
	s->cons = xmalloc((n ? n : 1) * sizeof(*s->cons));
	for (i = 0; i < n; i++) {
		path = join(t.consumers, v[i]);
		s->cons[i].name = v[i];
		s->cons[i].err = readpos(path, &s->cons[i].pos, err,
		    sizeof(err)) == -1 ? xstrdup(err) : NULL;
		s->cons[i].where = path;
	}
	s->ncons = n;
	free(v);
	topic_free(&t);
}

size_t
topic_survey(struct topic_stat **vp)
{
	char *home = topic_home(NULL, 0), *topics, **tv;
	char *path, *sub1, *sub2;
	struct topic_stat *v;
	size_t nt, i, j;

	/* No home: bus_open said so first. */
	if (home == NULL) {
		*vp = xmalloc(sizeof(**vp));
		return 0;
	}
	topics = join(home, "topics");
	tv = names(topics, &nt);
	v = xmalloc((nt ? nt : 1) * sizeof(*v));
	for (i = j = 0; i < nt; i++) {
		/* One planted link is left out, not the end of the list. */
		path = join(topics, tv[i]);
		sub1 = join(path, "subs");
		sub2 = join(path, "consumers");
		if (!foreign(path) && !foreign(sub1) && !foreign(sub2))
			survey1(&v[j++], tv[i]);
		free(sub2);
		free(sub1);
		free(path);
		free(tv[i]);
	}
	nt = j;
	free(tv);
	free(topics);
	free(home);
	*vp = v;
	return nt;
}

int
topic_exists(const char *name, const char *why, char *err, size_t en)
{
	struct topic t;
	struct stat sb;
	char **v, *topics, *home;
	size_t n, i;
	int ok;

	if (topic_init(&t, name, 0, err, en) == -1)
		return -1;
	if (stat(t.dir, &sb) == -1 && errno == EACCES) {
		denied(t.dir, "stat", err, en);
		topic_free(&t);
		return -1;
	}
	ok = stat(t.dir, &sb) == 0 && S_ISDIR(sb.st_mode);
	topic_free(&t);
	if (ok || why == NULL)
		return ok;
	if ((home = topic_home(err, en)) == NULL)
		return -1;
	topics = join(home, "topics");
	v = names(topics, &n);
	topic_missing(why, name, topics, v, n, "is EVENTFUL_HOME the one you "
	    "meant?");
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(topics);
	free(home);
	return 0;
}

int
topic_any(void)
{
	char **v, *home = topic_home(NULL, 0), *topics;
	size_t n, i;

	if (home == NULL)	/* bus_open said so first */
		return 0;
	topics = join(home, "topics");
	v = names(topics, &n);
	if (n == 0)
		warnw(NULL, "no topics in %s: a publisher makes one (evpub -T "
		    "NAME ...); is EVENTFUL_HOME the one you meant?", topics);
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(topics);
	free(home);
	return n > 0;
}

/* ---- replay, rewind, deletion ---- */

int
topic_last(struct topic *t, uint64_t *last, char *err, size_t n)
{
	struct log *lg;
	char why[512];
	int r = 0;

	*last = 0;
	if ((lg = log_open(t->log, 0, why, sizeof(why))) == NULL)
		return 0;	/* made, nothing published yet */
	if (log_refresh(lg, why, sizeof(why)) != LOG_OK)
		r = seterrw(err, n, 0, t->log, "%s", why);
	else
		*last = log_last(lg);
	log_close(lg);
	return r;
}

int
topic_consumer_exists(struct topic *t, const char *name)
{
	char *path = join(t->consumers, name);
	struct stat sb;
	int ok = lstat(path, &sb) == 0;

	free(path);
	return ok;
}

int
topic_consumer_delete(struct topic *t, const char *name, char *err,
    size_t n)
{
	char *path = join(t->consumers, name), *lname, *lpath;

	if (unlink(path) == -1 && errno != ENOENT) {
		failed(path, "unlink", err, n);
		free(path);
		return -1;
	}
	lname = xmalloc(strlen(name) + 8);
	sprintf(lname, ".%s.lock", name);
	lpath = join(t->consumers, lname);
	/* Our run holds the lock: no run of it comes between. */
	(void)unlink(lpath);
	free(lpath);
	free(lname);
	free(path);
	return 0;
}

/* Tells whether a run of a consumer of t holds its lock now. */
static int
running(struct topic *t, const char *lname)
{
	char *path = join(t->consumers, lname);
	int fd, busy = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) >=
	    0) {
		busy = flock(fd, LOCK_EX | LOCK_NB) == -1 &&
		    errno == EWOULDBLOCK;
		close(fd);
	}
	free(path);
	return busy;
}

/* nftw's callback: removes what it is given, the deepest first. */
static int
rmone(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) == -1)
		warnwe(path, "remove");
	return 0;
}

int
topic_delete(const char *name, int force, char *err, size_t n)
{
	struct topic t;
	struct topic_stat s;
	struct dirent *de;
	char *gone;
	size_t busy = 0;
	int pubs, dfd, lfd, r = 0;
	DIR *d;

	if (topic_init(&t, name, 0, err, n) == -1)
		return -2;
	survey1(&s, name);
	/* Each running publisher holds the directory shared (holdtopic);
	 * held exclusive here, it keeps new ones out until it is renamed. */
	dfd = open(t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pubs = dfd >= 0 && flock(dfd, LOCK_EX | LOCK_NB) == -1 &&
	    errno == EWOULDBLOCK;
	if ((d = opendir(t.consumers)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] == '.' && strlen(de->d_name) > 6 &&
			    strcmp(de->d_name + strlen(de->d_name) - 5,
			    ".lock") == 0)
				busy += running(&t, de->d_name);
		closedir(d);
	}
	if (!force && pubs)
		seterr(err, n, "%zu live subscriber%s, %zu running consumer%s "
		    "and a running publisher at least (evpub -T): stop them "
		    "first, or --force deletes it under them (they stop, and a "
		    "publisher acknowledges nothing more)", s.nlive,
		    s.nlive == 1 ? "" : "s", busy, busy == 1 ? "" : "s");
	else if (!force && (s.nlive > 0 || busy > 0))
		seterr(err, n, "%zu live subscriber%s and %zu running "
		    "consumer%s: --force deletes it under them (they stop)",
		    s.nlive, s.nlive == 1 ? "" : "s", busy, busy == 1 ? "" :
		    "s");
	if (!force && (pubs || s.nlive > 0 || busy > 0)) {
		if (dfd >= 0)
			close(dfd);
		topic_stat_free(&s);
		topic_free(&t);
		return -1;
	}
	topic_stat_free(&s);
	/*
	 * The log's own lock, as an appender takes it: a publisher in the
	 * middle of a group finishes it first, and one that takes the lock
	 * after the rename finds the log gone (log_lock, LOG_GONE) and stops
	 * rather than acknowledge events into a file nobody will read.
	 */
	lfd = open(t.log, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	while (lfd >= 0 && flock(lfd, LOCK_EX) == -1 && errno == EINTR)
		;
	/*
	 * Out of sight in one rename (a hidden name is no topic), then
	 * removed: a publisher that comes meanwhile makes a new topic rather
	 * than write into one half gone.
	 */
	gone = xmalloc(strlen(t.dir) + 64);
	sprintf(gone, "%.*s.%s.deleted-%ld", (int)(strrchr(t.dir, '/') + 1 -
	    t.dir), t.dir, name, (long)getpid());
	if (rename(t.dir, gone) == -1)
		r = failed(t.dir, "rename", err, n) - 1;	/* -2 */
	if (lfd >= 0)
		close(lfd);
	if (dfd >= 0)
		close(dfd);
	if (r == 0)
		(void)nftw(gone, rmone, 16, FTW_DEPTH | FTW_PHYS);
	free(gone);
	topic_free(&t);
	return r;
}
