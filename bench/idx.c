/* SPDX-License-Identifier: ISC */
/*
 * idx - the index of "evlog append" alone (issue 32, part 3): it records
 * the inserts an append of FILE makes (each event checked, its source and
 * id and its subject hashed by the library's own code, in the batches
 * evlog forms: 8 MiB of stamped events, 65536 at most), then replays them
 * into an index in several settings, each alone, and prints the ns per
 * event of each, split into the two passes evlog makes over a batch (the
 * duplicate check and staging before its write, the insert after), and
 * the page faults per event.
 *
 *   lib ...     the library's idx.c (idx_begin, idx_prefetch, idx_dup,
 *               idx_stage, idx_add) on LOG.idx in DIR (a file mapping) or
 *               in memory, as store.c's put called it before issue 32
 *               (2 passes: the whole batch checked and staged, written,
 *               then added) or calls it now (per piece: each 128 KiB of
 *               the batch checked and staged, written, then added);
 *   +write      with the batch's bytes written to a log in DIR, as put
 *               writes them (the writes are not counted);
 *   +stream     with a second thread copying 8 MiB buffers (as the reading
 *               thread of an append does with its input);
 *   +share      with a second thread writing a counter in the cache line
 *               after the struct idx (false sharing);
 *   own ...     the same tables (the same layout, slots and probing) in
 *               code of its own, to vary what the library fixes: the
 *               memory (a file mapping with or without MADV_POPULATE_WRITE,
 *               anonymous, anonymous with transparent huge pages), one pass
 *               (check and insert together) or two, the prefetch distance.
 *
 * Usage: idx [-r rounds] FILE DIR
 * Best of rounds (default 3).  bench/run builds it; see bench/README.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log_int.h"
#include "util.h"

#define BATCH_EVENTS 65536	/* src/evlog.c */
#define BATCH_BYTES (8 << 20)
#define STAMP 27		/* bytes log_stamp adds to a line */
#define WCHUNK (128 * 1024)	/* src/store.c */

struct run {
	double dup, add;	/* seconds in each pass */
	long faults;		/* minor page faults */
};

static struct idx_ev *ev;	/* the events, hashed */
static off_t *offs;		/* where each line starts in FILE */
static size_t n;		/* how many */
static size_t *bend;		/* where each batch ends, by event */
static size_t nb;
static const char *text;	/* FILE, mapped */
static const char *dir;
static atomic_int stop;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

/* Reads FILE's events into ev, hashed as evlog hashes them. */
static void
record(const char *path)
{
	struct scanner sc;
	struct ce_event ce;
	struct buf strs = { 0 };
	struct stat sb;
	uint64_t key[4] = { 1, 2, 3, 4 };
	const char *p, *nl, *end;
	size_t cap = 0, bytes = 0, inb = 0;
	char why[256];
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &sb) == -1)
		die(path);
	text = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (text == MAP_FAILED)
		die("mmap");
	close(fd);
	scan_init(&sc);
	end = text + sb.st_size;
	for (p = text; p < end && (nl = memchr(p, '\n', (size_t)(end - p)));
	    p = nl + 1) {
		if (ce_validate(&sc, p, (size_t)(nl - p), &ce, why,
		    sizeof(why)) == -1)
			continue;
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 65536;
			ev = realloc(ev, cap * sizeof(*ev));
			offs = realloc(offs, cap * sizeof(*offs));
			bend = realloc(bend, cap * sizeof(*bend));
			if (ev == NULL || offs == NULL || bend == NULL)
				die("realloc");
		}
		strs.len = 0;
		idx_evfrom(&ce, &strs, &ev[n]);
		idx_hashkey(key, &strs, &ev[n]);
		offs[n] = p - text;
		n++;
		/* As readbatch fills a batch: past the limits, the next. */
		bytes += (size_t)(nl - p) + STAMP;
		if (++inb == BATCH_EVENTS || bytes >= BATCH_BYTES) {
			bend[nb++] = n;
			inb = bytes = 0;
		}
	}
	if (inb > 0)
		bend[nb++] = n;
	offs[n] = p - text;	/* cap > n: the end of the last line */
	scan_free(&sc);
	free(strs.p);
}

/* The second threads: streaming copies, or one hot counter. */
static void *
streamer(void *arg)
{
	char *a = malloc(BATCH_BYTES), *b = malloc(BATCH_BYTES);

	(void)arg;
	if (a == NULL || b == NULL)
		die("malloc");
	memset(a, 'x', BATCH_BYTES);
	while (!atomic_load(&stop)) {
		memcpy(b, a, BATCH_BYTES);
		memcpy(a, b, BATCH_BYTES);
	}
	free(a);
	free(b);
	return NULL;
}

static void *
sharer(void *arg)
{
	volatile uint64_t *c = arg;

	while (!atomic_load(&stop))
		(*c)++;
	return NULL;
}

/* The library's index, with what lies after it in memory. */
static struct {
	struct idx x;
	uint64_t after[8];	/* +share: written by the second thread */
} h;

/* Writes events [k, i) to the log, then adds them: the next piece's k. */
static size_t
piece(int lfd, size_t k, size_t i, off_t *end, struct run *r)
{
	size_t len = (size_t)(offs[i] - offs[k]);
	double t1 = now();

	if (write(lfd, text + offs[k], len) != (ssize_t)len)
		die("write");
	r->dup -= now() - t1;	/* the write is not counted */
	*end += (off_t)len;
	idx_add(&h.x, &ev[k], i - k, k + 1, &offs[k], *end, i, text +
	    offs[i - 1], 10);
	return i;
}

/*
 * Replays the inserts through idx.c as store.c's put and index_batch did
 * (two passes over each batch); how: 0 in a file, 1 in memory, 2 with
 * the log's writes between the passes; or as put does now (3): each
 * piece of WCHUNK written, then indexed, its time all in "check".  The
 * writes are not counted.
 */
static struct run
lib(int how)
{
	struct run r = { 0, 0, 0 };
	char logpath[4096], ipath[4200], err[512];
	uint64_t seq = 0, want;
	size_t b, i, lo = 0, m, k, len, w;
	double t0;
	long f0;
	int lfd;
	off_t end = 0;

	snprintf(logpath, sizeof(logpath), "%s/idx.log", dir);
	(void)unlink(logpath);
	snprintf(ipath, sizeof(ipath), "%s.idx", logpath);
	(void)unlink(ipath);
	if ((lfd = open(logpath, O_RDWR | O_CREAT | O_APPEND, 0600)) == -1)
		die(logpath);
	memset(&h.x, 0, sizeof(h.x));
	h.x.fd = -1;
	if (how == 1) {
		h.x.path = xstrdup(ipath);
		h.x.fd = -2;	/* kept in memory, as without a file */
	}
	if (idx_attach(&h.x, logpath, lfd, 0, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "idx: %s\n", err);
		exit(1);
	}
	for (i = 0; i < n; i++)
		ev[i].slot = NULL;
	f0 = minflt();
	for (b = 0; b < nb; lo = bend[b++]) {
		t0 = now();
		/* The first batch makes room for the whole file. */
		want = b == 0 ? n : bend[b] - lo;
		idx_begin(&h.x, want, seq + want);
		for (i = lo; i < bend[b] && i < lo + 8; i++)
			idx_prefetch(&h.x, &ev[i]);
		for (i = k = lo; i < bend[b]; i++) {
			if (i + 8 < bend[b])
				idx_prefetch(&h.x, &ev[i + 8]);
			/* As store.c's put now: before an event would take
			 * the piece past WCHUNK, the piece is written, then
			 * indexed (all events are new: event j is sequence
			 * j + 1). */
			if (how == 3 && i > k && offs[i + 1] - offs[k] > WCHUNK)
				k = piece(lfd, k, i, &end, &r);
			if (idx_dup(&h.x, &ev[i]) == 0)
				idx_stage(&h.x, &ev[i], ++seq);
		}
		if (how == 3) {
			piece(lfd, k, bend[b], &end, &r);
			r.dup += now() - t0;
			continue;
		}
		r.dup += now() - t0;
		m = bend[b] - lo;
		len = (size_t)(offs[bend[b]] - offs[lo]);
		for (k = 0; how == 2 && k < len; k += w) {
			w = len - k < WCHUNK ? len - k : WCHUNK;
			if (write(lfd, text + offs[lo] + k, w) != (ssize_t)w)
				die("write");
		}
		end += (off_t)len;
		t0 = now();
		idx_add(&h.x, &ev[lo], m, seq - m + 1, &offs[lo], end, seq,
		    text + offs[bend[b] - 1], 10);
		r.add += now() - t0;
	}
	r.faults = minflt() - f0;
	idx_close(&h.x);
	close(lfd);
	(void)unlink(logpath);
	(void)unlink(ipath);
	return r;
}

/* The memory of the own tables: 0 file, 1 file without populate, 2 anon,
 * 3 anon with huge pages. */
static uint64_t *
getmem(int mem, size_t len, int *fd)
{
	char path[4096];
	void *m;

	*fd = -1;
	if (mem >= 2) {
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
		    MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			die("mmap");
		if (mem == 3)
			(void)madvise(m, len, MADV_HUGEPAGE);
		return m;
	}
	snprintf(path, sizeof(path), "%s/own.idx", dir);
	(void)unlink(path);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) == -1 ||
	    (errno = posix_fallocate(*fd, 0, (off_t)len)) != 0)
		die(path);
	(void)unlink(path);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (m == MAP_FAILED)
		die("mmap");
#ifdef MADV_POPULATE_WRITE
	if (mem == 0)
		(void)madvise(m, len, MADV_POPULATE_WRITE);
#endif
	return m;
}

static inline uint64_t *
slot(uint64_t *t, uint64_t mask, int w, const uint64_t h[2])
{
	uint64_t i = h[0] & mask, *s;

	for (;; i = (i + 1) & mask) {
		s = t + (size_t)w * i;
		if ((s[0] == h[0] && s[1] == h[1]) || (s[0] == 0 && s[1] == 0))
			return s;
	}
}

static inline void
put1(uint64_t *s, const uint64_t h[2], uint64_t seq, int subj)
{
	if (s[0] == 0 && s[1] == 0) {
		s[0] = h[0];
		s[1] = h[1];
		if (!subj)
			s[2] = seq;
	}
	if (subj && s[3] < seq) {
		s[2]++;
		s[3] = seq;
	}
}

/*
 * The own tables: one pass (check and insert each event) or two (check
 * all of a batch, then insert all of it, as evlog does), with prefetch
 * distance dist (0: none).
 */
static struct run
own(int mem, int passes, size_t dist)
{
	struct run r = { 0, 0, 0 };
	uint64_t ni = 1, *t, *ids, *subj, seq = 0, mi, ms;
	size_t len, b, i, lo = 0;
	double t0;
	long f0;
	int fd;

	while (ni < 2 * n)
		ni *= 2;
	mi = ms = ni - 1;
	len = (size_t)ni * 8 * 7;
	f0 = minflt();
	t0 = now();
	t = getmem(mem, len, &fd);
	ids = t;
	subj = t + 3 * ni;
	r.dup = now() - t0;	/* the setup, counted with the first pass */
	for (b = 0; b < nb; lo = bend[b++]) {
		t0 = now();
		for (i = lo; i < bend[b]; i++) {
			if (dist > 0 && i + dist < bend[b]) {
				__builtin_prefetch(ids + 3 *
				    (ev[i + dist].hid[0] & mi));
				if (passes == 1)
					__builtin_prefetch(subj + 4 *
					    (ev[i + dist].hsubj[0] & ms));
			}
			ev[i].slot = slot(ids, mi, 3, ev[i].hid);
			if (passes == 1) {
				put1(ev[i].slot, ev[i].hid, ++seq, 0);
				if (ev[i].hassubj)
					put1(slot(subj, ms, 4, ev[i].hsubj),
					    ev[i].hsubj, seq, 1);
			}
		}
		r.dup += now() - t0;
		if (passes == 1)
			continue;
		t0 = now();
		for (i = lo; i < bend[b]; i++) {
			if (dist > 0 && i + dist < bend[b]) {
				__builtin_prefetch(ids + 3 *
				    (ev[i + dist].hid[0] & mi));
				__builtin_prefetch(subj + 4 *
				    (ev[i + dist].hsubj[0] & ms));
			}
			put1(ev[i].slot, ev[i].hid, ++seq, 0);
			if (ev[i].hassubj)
				put1(slot(subj, ms, 4, ev[i].hsubj),
				    ev[i].hsubj, seq, 1);
		}
		r.add += now() - t0;
	}
	r.faults = minflt() - f0;
	munmap(t, len);
	if (fd >= 0)
		close(fd);
	return r;
}

/* Runs one setting rounds times and prints its best. */
static void
show(const char *name, struct run (*fn)(int, int, size_t), int a, int b,
    size_t c, int second, int rounds)
{
	struct run r, best = { 0, 0, 0 };
	pthread_t t;
	int i;

	for (i = 0; i < rounds; i++) {
		atomic_store(&stop, 0);
		if (second == 1 && pthread_create(&t, NULL, streamer, NULL))
			die("pthread_create");
		r = fn(a, b, c);
		if (second == 1) {
			atomic_store(&stop, 1);
			pthread_join(t, NULL);
		}
		if (i == 0 || r.dup + r.add < best.dup + best.add)
			best = r;
	}
	printf("%-44s %7.1f %7.1f %7.1f %7.3f\n", name,
	    (best.dup + best.add) * 1e9 / (double)n, best.dup * 1e9 /
	    (double)n, best.add * 1e9 / (double)n, (double)best.faults /
	    (double)n);
	fflush(stdout);
}

static struct run
libfn(int how, int unused, size_t unused2)
{
	(void)unused;
	(void)unused2;
	return lib(how);
}

static struct run
ownfn(int mem, int passes, size_t dist)
{
	return own(mem, passes, dist);
}

static struct run
sharefn(int how, int unused, size_t unused2)
{
	struct run r;
	pthread_t t;

	(void)unused;
	(void)unused2;
	atomic_store(&stop, 0);
	if (pthread_create(&t, NULL, sharer, h.after) != 0)
		die("pthread_create");
	r = lib(how);
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	return r;
}

int
main(int argc, char *argv[])
{
	static const char *mems[] = { "file, MADV_POPULATE_WRITE",
	    "file, faulted as touched", "anonymous", "anonymous, huge pages" };
	char name[128];
	int ch, rounds = 3, m;
	size_t d;

	while ((ch = getopt(argc, argv, "r:")) != -1)
		switch (ch) {
		case 'r':
			rounds = atoi(optarg) > 0 ? atoi(optarg) : 1;
			break;
		default:
			goto usage;
		}
	if (argc - optind != 2)
		goto usage;
	dir = argv[optind + 1];
	record(argv[optind]);
	printf("idx: %zu events in %zu batches, best of %d\n\n", n, nb,
	    rounds);
	printf("%-44s %7s %7s %7s %7s\n", "ns per event", "total", "check",
	    "insert", "faults");
	show("lib, file, 2 passes", libfn, 0, 0, 0, 0, rounds);
	show("lib, file, 2 passes, +write (evlog before)", libfn, 2, 0, 0,
	    0, rounds);
	show("lib, file, 2 passes, +write, +stream", libfn, 2, 0, 0, 1,
	    rounds);
	show("lib, file, per piece, +write (evlog now)", libfn, 3, 0, 0, 0,
	    rounds);
	show("lib, file, per piece, +write, +stream", libfn, 3, 0, 0, 1,
	    rounds);
	show("lib, file, 2 passes, +share", sharefn, 0, 0, 0, 0, rounds);
	show("lib, in memory, 2 passes", libfn, 1, 0, 0, 0, rounds);
	for (m = 0; m < 4; m++) {
		snprintf(name, sizeof(name), "own, 2 passes, %s", mems[m]);
		show(name, ownfn, m, 2, 8, 0, rounds);
	}
	for (m = 0; m < 4; m += 3)
		for (d = 0; d <= 32; d = d ? d * 2 : 4) {
			snprintf(name, sizeof(name), "own, 1 pass, %s, "
			    "prefetch %zu", m ? "huge" : "file", d);
			show(name, ownfn, m, 1, d, 0, rounds);
		}
	show("own, 1 pass, anonymous, huge, +stream", ownfn, 3, 1, 16, 1,
	    rounds);
	show("own, 1 pass, file, +stream", ownfn, 0, 1, 16, 1, rounds);
	return 0;
usage:
	fprintf(stderr, "usage: idx [-r rounds] file dir\n");
	return 2;
}
