/* SPDX-License-Identifier: ISC */
/*
 * idx.c - the side index of an evlog log.  See log_int.h and evlog(5).
 *
 * The file is a 4096-byte header, then the ids table (slots of a 128-bit
 * hash and a sequence), the subjects table (a hash, a count, the last
 * sequence counted), both open addressing with linear probing kept at most
 * half full, then the blocks (offset, earliest, latest time).  Growing any
 * of them writes a new file beside the old and renames it over: readers
 * that mapped the old one keep a consistent view.
 */
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log_int.h"
#include "timefmt.h"
#include "util.h"

#define IDX_MAGIC "EVLOGIDX"
#define IDX_VERSION 3	/* 3: one 128-bit SipHash, not two 64-bit */
#define HDRLEN 4096
#define IDW 3		/* uint64s per ids slot */
#define SUW 4		/* per subjects slot */
#define BLW 4		/* per block */

struct idx_hdr {
	char magic[8];		/* IDX_MAGIC */
	uint32_t version;	/* IDX_VERSION, 0 when dropped */
	uint32_t block;		/* IDX_BLOCK */
	char boot[40];		/* the boot it was written in */
	uint64_t dev, ino;	/* the log it indexes */
	uint64_t key[4];	/* the hash keys, random per index */
	uint64_t covered;	/* the log's bytes it reaches */
	uint64_t last;		/* the last sequence it holds */
	uint64_t linehash;	/* the hash of the line ending at covered */
	uint64_t nids, usedids;	/* ids slots, and those in use */
	uint64_t nsubj, usedsubj;
	uint64_t nblocks;	/* room for blocks */
	uint64_t noblocks;	/* the sequences do not count from 1 (not
				   a log evlog made): no blocks */
};

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/*
 * SipHash-2-4 of msg[0..len) under key k: the 64-bit hash in h[0], or with
 * wide the 128-bit one in h[0] and h[1].  Inlined, wide is a constant.
 */
static inline void
sip(const uint64_t k[2], const void *msg, size_t len, int wide,
    uint64_t h[2])
{
	const unsigned char *p = msg;
	uint64_t v0 = k[0] ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k[1] ^ 0x646f72616e646f6dULL ^ (wide ? 0xee : 0);
	uint64_t v2 = k[0] ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k[1] ^ 0x7465646279746573ULL;
	uint64_t m;
	size_t i, left = len;

	for (; left >= 8; left -= 8, p += 8) {
		memcpy(&m, p, 8);
		m = le64toh(m);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	m = (uint64_t)len << 56;
	for (i = 0; i < left; i++)
		m |= (uint64_t)p[i] << (8 * i);
	v3 ^= m;
	SIPROUND;
	SIPROUND;
	v0 ^= m;
	v2 ^= wide ? 0xee : 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	h[0] = v0 ^ v1 ^ v2 ^ v3;
	if (!wide)
		return;
	v1 ^= 0xdd;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	h[1] = v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
siphash24(const uint64_t k[2], const void *msg, size_t len)
{
	uint64_t h[2];

	sip(k, msg, len, 0, h);
	return h[0];
}

void
siphash24_128(const uint64_t k[2], const void *msg, size_t len,
    uint64_t h[2])
{
	sip(k, msg, len, 1, h);
}

/* The id of this boot, read once: "" when the system does not say. */
static void
bootid(char out[40])
{
	static char boot[40];
	static int known;
	int fd;
	ssize_t got;

	if (!known) {
		known = 1;
		fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY |
		    O_CLOEXEC);
		if (fd >= 0) {
			got = read(fd, boot, 39);
			close(fd);
			if (got <= 0)
				memset(boot, 0, sizeof(boot));
			else if (boot[got - 1] == '\n')
				boot[got - 1] = '\0';
		}
	}
	memcpy(out, boot, 40);
}

static size_t
maplen(uint64_t nids, uint64_t nsubj, uint64_t nblocks)
{
	return HDRLEN + 8 * (IDW * nids + SUW * nsubj + BLW * nblocks);
}

static uint64_t *
ids(const struct idx *x)
{
	return (uint64_t *)(x->map + HDRLEN);
}

static uint64_t *
subjs(const struct idx *x)
{
	return ids(x) + IDW * x->h->nids;
}

static uint64_t *
blocks(const struct idx *x)
{
	return subjs(x) + SUW * x->h->nsubj;
}

/* Puts the decoded string m into b; returns its offset there. */
static size_t
putstr(struct buf *b, const struct scan_member *m, size_t *len)
{
	size_t at = b->len;

	buf_reserve(b, m->vallen);
	if (m->valesc)
		*len = scan_unescape(m->val + 1, m->vallen - 2, b->p + at);
	else {
		*len = m->vallen - 2;
		memcpy(b->p + at, m->val + 1, *len);
	}
	b->len += *len;
	return at;
}

void
idx_evfrom(const struct ce_event *ev, struct buf *strs, struct idx_ev *e)
{
	size_t len;

	memset(e, 0, sizeof(*e));
	e->key = putstr(strs, ev->a[CE_SOURCE], &len);
	buf_putc(strs, '\0');
	putstr(strs, ev->a[CE_ID], &len);
	e->keylen = strs->len - e->key;
	if (ev->a[CE_SUBJECT] != NULL) {
		e->hassubj = 1;
		e->subj = putstr(strs, ev->a[CE_SUBJECT], &e->subjlen);
	}
	/* Parsed when it was checked. */
	e->time = ev->time == CE_NOTIME ? IDX_NOTIME : ev->time;
}

static void
hash2(const uint64_t *key, const char *p, size_t len, uint64_t h[2])
{
	siphash24_128(key + 2, p, len, h);
	if (h[0] == 0 && h[1] == 0)
		h[0] = 1;	/* all zero marks an empty slot */
}

void
idx_hashkey(const uint64_t key[4], const struct buf *strs, struct idx_ev *e)
{
	hash2(key, strs->p + e->key, e->keylen, e->hid);
	if (e->hassubj)
		hash2(key, strs->p + e->subj, e->subjlen, e->hsubj);
}

void
idx_hash(const struct idx *x, const struct buf *strs, struct idx_ev *e)
{
	idx_hashkey(x->h->key, strs, e);
}

const uint64_t *
idx_key(const struct idx *x)
{
	return x->h->key;
}

/* The slot of h in a table of n slots of w words: its own, or the empty
 * one where it would go. */
static uint64_t *
probe(uint64_t *t, uint64_t n, int w, const uint64_t h[2])
{
	uint64_t i = h[0] & (n - 1);
	uint64_t *s;

	for (;; i = (i + 1) & (n - 1)) {
		s = t + (size_t)w * i;
		if ((s[0] == h[0] && s[1] == h[1]) || (s[0] == 0 && s[1] == 0))
			return s;
	}
}

/* Puts the entries of table from (n slots of w words) into the empty
 * table to (nto slots); returns how many there were. */
static uint64_t
move(const uint64_t *from, uint64_t n, uint64_t *to, uint64_t nto, int w)
{
	const uint64_t *s;
	uint64_t i, used = 0;

	for (i = 0; i < n; i++) {
		s = from + (size_t)w * i;
		if (s[0] == 0 && s[1] == 0)
			continue;
		memcpy(probe(to, nto, w, s), s, (size_t)w * 8);
		used++;
	}
	return used;
}

static void
unmap(struct idx *x)
{
	if (x->map != NULL)
		munmap(x->map, x->maplen);
	if (x->fd >= 0)
		close(x->fd);
	x->map = NULL;
	x->h = NULL;
	x->fd = -1;
	x->ok = 0;
}

/*
 * Makes a new index with room for nids, nsubj and nblocks, taking over
 * the keys and entries of the one mapped now, if any, and puts it in place
 * of the old.  Falls back to memory when the file cannot be made.
 */
static void
remake(struct idx *x, uint64_t nids, uint64_t nsubj, uint64_t nblocks,
    uint64_t dev, uint64_t ino)
{
	struct idx old = *x, nx = *x;
	struct idx_hdr *h;
	char *tmp = NULL;
	size_t len = maplen(nids, nsubj, nblocks);

	nx.fd = -1;
	nx.map = MAP_FAILED;
	if (x->path != NULL && x->fd != -2) {
		tmp = xmalloc(strlen(x->path) + 5);
		sprintf(tmp, "%s.tmp", x->path);
		(void)unlink(tmp);
		nx.fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		/* Blocks allocated now, not on a first write through the
		 * mapping: a full disk is an error here, not a SIGBUS. */
		if (nx.fd >= 0 && (errno = posix_fallocate(nx.fd, 0,
		    (off_t)len)) == 0 && (nx.map = mmap(NULL, len,
		    PROT_READ | PROT_WRITE, MAP_SHARED, nx.fd, 0)) !=
		    MAP_FAILED) {
			/* Every page is written soon: fault them all in,
			 * writable, at once (MAP_POPULATE maps a shared
			 * file read-only, and each page would fault again
			 * on its first write).  Where this is not known,
			 * they fault in one by one. */
#ifdef MADV_POPULATE_WRITE
			(void)madvise(nx.map, len, MADV_POPULATE_WRITE);
#endif
		}
		if (nx.map == MAP_FAILED) {
			warnwe(x->path, "cannot make the index; it is kept in "
			    "memory for this run");
			if (nx.fd >= 0) {
				close(nx.fd);
				(void)unlink(tmp);
			}
			nx.fd = -1;
		}
	}
	if (nx.map == MAP_FAILED) {
		nx.map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
		    MAP_ANONYMOUS, -1, 0);
		/* Out of memory: ends the program, as xmalloc does. */
		if (nx.map == MAP_FAILED)
			machinefail(x->path, 1, "mmap");
		nx.fd = -2;	/* in memory from now on */
	}
	nx.maplen = len;
	nx.h = h = (struct idx_hdr *)nx.map;
	memcpy(h->magic, IDX_MAGIC, 8);
	h->block = IDX_BLOCK;
	bootid(h->boot);
	h->dev = dev;
	h->ino = ino;
	h->nids = nids;
	h->nsubj = nsubj;
	h->nblocks = nblocks;
	if (old.ok) {
		memcpy(h->key, old.h->key, sizeof(h->key));
		h->covered = old.h->covered;
		h->last = old.h->last;
		h->linehash = old.h->linehash;
		h->noblocks = old.h->noblocks;
		h->usedids = move(ids(&old), old.h->nids, ids(&nx), nids, IDW);
		h->usedsubj = move(subjs(&old), old.h->nsubj, subjs(&nx), nsubj,
		    SUW);
		memcpy(blocks(&nx), blocks(&old), BLW * 8 * old.h->nblocks);
	} else if (getrandom(h->key, sizeof(h->key), 0) !=
	    (ssize_t)sizeof(h->key)) {
		/* Without entropy the keys are still distinct per index. */
		h->key[0] = (uint64_t)now_usec();
		h->key[1] = (uint64_t)getpid();
		h->key[2] = ino;
		h->key[3] = ~(uint64_t)now_usec();
	}
	h->version = IDX_VERSION;
	if (nx.fd >= 0 && rename(tmp, x->path) == -1) {
		warnwe(x->path, "rename");
		(void)unlink(tmp);
	}
	free(tmp);
	if (old.map != NULL)
		munmap(old.map, old.maplen);
	if (old.fd >= 0)
		close(old.fd);
	x->fd = nx.fd;
	x->map = nx.map;
	x->maplen = nx.maplen;
	x->h = h;
	x->ok = 1;
}

/*
 * Makes room for n more events, the last of them sequence seq: one
 * rebuild for a whole batch, each table doubling as often as it must.
 */
static void
room(struct idx *x, uint64_t n, uint64_t seq)
{
	struct idx_hdr *h = x->h;
	uint64_t ni = h->nids, ns = h->nsubj, nb = h->nblocks;

	while ((h->usedids + n) * 2 > ni)
		ni *= 2;
	while ((h->usedsubj + n) * 2 > ns)
		ns *= 2;
	/* Blocks for the events there are: a log whose sequences do not
	 * count from 1 gets none (see add), not a huge table. */
	while ((seq - 1) / IDX_BLOCK + 1 > nb &&
	    (h->usedids + n) / IDX_BLOCK + 2 > nb)
		nb *= 2;
	if (ni != h->nids || ns != h->nsubj || nb != h->nblocks)
		remake(x, ni, ns, nb, h->dev, h->ino);
}

/* Adds event e (hashed), sequence seq, whose line starts at off, to an
 * index with room for it. */
static void
add(struct idx *x, const struct idx_ev *e, uint64_t seq, off_t off)
{
	uint64_t *s, *b, k = (seq - 1) / IDX_BLOCK;

	/* The slot idx_dup found empty, unless another took it since. */
	s = e->slot;
	if (s == NULL || !((s[0] == 0 && s[1] == 0) || (s[0] == e->hid[0] &&
	    s[1] == e->hid[1])))
		s = probe(ids(x), x->h->nids, IDW, e->hid);
	if (s[0] == 0 && s[1] == 0) {
		s[0] = e->hid[0];
		s[1] = e->hid[1];
		s[2] = seq;
		x->h->usedids++;
	}
	if (e->hassubj) {
		s = probe(subjs(x), x->h->nsubj, SUW, e->hsubj);
		if (s[0] == 0 && s[1] == 0) {
			s[0] = e->hsubj[0];
			s[1] = e->hsubj[1];
			x->h->usedsubj++;
		}
		/* Counted once, however often a crash makes us add it. */
		if (s[3] < seq) {
			s[2]++;
			s[3] = seq;
		}
	}
	if (k >= x->h->nblocks) {
		x->h->noblocks = 1;
		return;
	}
	b = blocks(x) + BLW * k;
	if ((seq - 1) % IDX_BLOCK == 0) {
		b[0] = (uint64_t)off;
		b[1] = (uint64_t)INT64_MAX;
		b[2] = (uint64_t)INT64_MIN;
	}
	if (e->time != IDX_NOTIME) {
		if (e->time < (int64_t)b[1])
			b[1] = (uint64_t)e->time;
		if (e->time > (int64_t)b[2])
			b[2] = (uint64_t)e->time;
	}
}

/* The hash of line p[0..len) (without its newline), under x's key. */
static uint64_t
linehash(const struct idx *x, const char *p, size_t len)
{
	return siphash24(x->h->key, p, len) | 1;
}

/*
 * Tells whether the line that ends just before off (with its newline) is
 * the one the index saw last: the same bytes, by their hash.
 */
static int
samelast(const struct idx *x, int fd, off_t off)
{
	struct buf b = { 0 };
	off_t start;
	char c;
	int same = 0;

	if (off <= 0 || pread(fd, &c, 1, off - 1) != 1 || c != '\n')
		return 0;
	/* Back to the newline before, or the start of the file. */
	if ((start = log_lastnl(fd, off - 1, LOG_MAXLINE)) == -2 ||
	    (start == -1 && off - 1 > LOG_MAXLINE))
		return 0;
	start++;
	b.cap = (size_t)(off - start);
	b.p = xmalloc(b.cap);
	if (pread(fd, b.p, b.cap, start) == (ssize_t)b.cap)
		same = linehash(x, b.p, b.cap - 1) == x->h->linehash;
	free(b.p);
	return same;
}

/* Indexes the lines of the log from the index's end to end. */
static int
catchup(struct idx *x, int logfd, off_t end, char *err, size_t n)
{
	struct scanner sc;
	struct ce_event ev;
	struct idx_ev e;
	struct buf strs = { 0 };
	struct lines in;
	const char *p;
	char why[512];
	size_t len;
	uint64_t seq;
	enum log_result lr;
	int r = 0, bad;

	scan_init(&sc);
	lines_init(&in, logfd, (off_t)x->h->covered);
	while ((lr = lines_next(&in, end, &p, &len, why, sizeof(why))) ==
	    LOG_OK) {
		/*
		 * A line that is no event, or out of sequence, is damage:
		 * the index stops before it, and the caller decides what
		 * to do about it (idx_attach).
		 */
		bad = 1;
		seq = 0;
		if (memchr(p, '\0', len) != NULL)
			seterr(why, sizeof(why), "it holds zero bytes");
		else if (ce_validate(&sc, p, len, &ev, why, sizeof(why)) == -1)
			notevent(why, sizeof(why));
		else if ((seq = log_seqof(&ev)) == 0)
			seterr(why, sizeof(why), "it has no sequence");
		else if (x->h->last > 0 && seq != x->h->last + 1)
			seterr(why, sizeof(why), "it has sequence %llu after %llu",
			    (unsigned long long)seq,
			    (unsigned long long)x->h->last);
		else
			bad = 0;
		if (bad) {
			x->bad = lines_off(&in, p);
			x->badlast = x->h->last;
			seterr(err, n, "%s", why);
			r = 1;
			break;
		}
		strs.len = 0;
		idx_evfrom(&ev, &strs, &e);
		idx_hash(x, &strs, &e);
		room(x, 1, seq);
		add(x, &e, seq, lines_off(&in, p));
		/* The header moves line by line, all three together. */
		x->h->linehash = linehash(x, p, len);
		x->h->last = seq;
		x->h->covered = (uint64_t)lines_at(&in);
	}
	if (lr != LOG_END && lr != LOG_OK)
		r = seterr(err, n, "indexing: %s", why);
	lines_free(&in);
	buf_free(&strs);
	scan_free(&sc);
	return r;
}

/* Tells whether the mapped header is one of ours, for this log. */
static int
sane(const struct idx *x, size_t size, const struct stat *lsb, off_t end,
    uint64_t last, int logfd)
{
	const struct idx_hdr *h = x->h;
	char boot[40];

	bootid(boot);
	if (size < HDRLEN || memcmp(h->magic, IDX_MAGIC, 8) != 0 ||
	    h->version != IDX_VERSION || h->block != IDX_BLOCK ||
	    boot[0] == '\0' || strncmp(h->boot, boot, 40) != 0 ||
	    h->dev != (uint64_t)lsb->st_dev || h->ino != (uint64_t)lsb->st_ino)
		return 0;
	if (h->nids == 0 || (h->nids & (h->nids - 1)) || h->nsubj == 0 ||
	    (h->nsubj & (h->nsubj - 1)) || h->nblocks == 0 ||
	    h->nids > (1ULL << 40) || h->nsubj > (1ULL << 40) ||
	    h->nblocks > (1ULL << 40) ||
	    maplen(h->nids, h->nsubj, h->nblocks) != size)
		return 0;
	if (h->covered > (uint64_t)end || h->last > last)
		return 0;
	if (h->covered == (uint64_t)end && h->last != last)
		return 0;
	/*
	 * The log may have been written over in place (same file, other
	 * bytes): the line the index saw last must still end where it did.
	 */
	return h->covered == 0 ? h->last == 0 :
	    samelast(x, logfd, (off_t)h->covered);
}

/* Maps the index file as it is now; 0, or -1 when there is none. */
static int
mapfile(struct idx *x, int write)
{
	struct stat sb;
	void *m;

	/* O_NONBLOCK: a FIFO planted there is refused, not waited on. */
	x->fd = open(x->path, (write ? O_RDWR | O_CREAT : O_RDONLY) |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (x->fd == -1)
		return -1;
	if (fstat(x->fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size < HDRLEN) {
		x->maplen = 0;
		return 0;
	}
	m = mmap(NULL, (size_t)sb.st_size, write ? PROT_READ | PROT_WRITE :
	    PROT_READ, MAP_SHARED, x->fd, 0);
	if (m == MAP_FAILED) {
		x->maplen = 0;
		return 0;
	}
	x->map = m;
	x->maplen = (size_t)sb.st_size;
	x->h = (struct idx_hdr *)m;
	return 0;
}

static void
setpath(struct idx *x, const char *logpath)
{
	if (x->path == NULL) {
		x->path = xmalloc(strlen(logpath) + 5);
		sprintf(x->path, "%s.idx", logpath);
		x->fd = -1;
	}
}

int
idx_attach(struct idx *x, const char *logpath, int logfd, off_t end,
    uint64_t last, char *err, size_t n)
{
	struct stat lsb, isb, msb;
	int good;

	setpath(x, logpath);
	x->write = 1;
	/* Another appender may have put a grown index in place. */
	if (x->fd >= 0 && (stat(x->path, &isb) == -1 ||
	    fstat(x->fd, &msb) == -1 || isb.st_ino != msb.st_ino ||
	    isb.st_dev != msb.st_dev))
		unmap(x);
	if (fstat(logfd, &lsb) == -1)
		return seterr(err, n, "fstat: %s", strerror(errno));
	if (x->map == NULL && x->fd != -2 && mapfile(x, 1) == -1 &&
	    errno != ENOENT) {
		warnwe(x->path, "open; the index is kept in memory for this "
		    "run");
		x->fd = -2;
	}
	good = x->map != NULL && sane(x, x->maplen, &lsb, end, last, logfd);
	if (!good) {
		/* Missing, stale or damaged: built again from the log. */
		if (x->fd != -2)
			unmap(x);
		else if (x->map != NULL) {
			munmap(x->map, x->maplen);
			x->map = NULL;
		}
		x->ok = 0;
		remake(x, 1024, 256, 64, (uint64_t)lsb.st_dev,
		    (uint64_t)lsb.st_ino);
	}
	x->ok = 1;
	if (x->h->covered < (uint64_t)end)
		return catchup(x, logfd, end, err, n);
	return 0;
}

void
idx_peek(struct idx *x, const char *logpath, int logfd, off_t end,
    uint64_t last)
{
	struct stat lsb;

	setpath(x, logpath);
	unmap(x);
	if (fstat(logfd, &lsb) == -1 || mapfile(x, 0) == -1)
		return;
	if (x->map == NULL || !sane(x, x->maplen, &lsb, end, last, logfd)) {
		unmap(x);
		return;
	}
	x->ok = 1;
	/* What it covers now; an appender may move the header on. */
	x->rlast = x->h->last;
	x->rcovered = x->h->covered;
}

void
idx_close(struct idx *x)
{
	unmap(x);
	free(x->path);
	free(x->stage);
	memset(x, 0, sizeof(*x));
	x->fd = -1;
}

void
idx_drop(struct idx *x)
{
	if (x->ok && x->fd >= 0)
		x->h->version = 0;
	x->ok = 0;
}

int
idx_rebuild(struct idx *x, const char *logpath, int logfd, off_t end,
    uint64_t last, char *err, size_t n)
{
	setpath(x, logpath);
	if (x->fd != -2) {
		unmap(x);
		if (unlink(x->path) == -1 && errno != ENOENT)
			return seterr(err, n, "%s: unlink: %s", x->path,
			    strerror(errno));
	}
	return idx_attach(x, logpath, logfd, end, last, err, n);
}

/*
 * The staging table: the same open addressing, in memory, for the events
 * staged and not yet added.  A slot whose sequence is not past stagebase
 * is empty: forgetting all that was staged is moving stagebase on, not
 * clearing the table, and each entry goes stale with all the others at
 * once, so that no probe stops early at one.  Once what was staged is
 * added, the table starts again: it holds what one piece of the log
 * holds (store.c indexes each as it writes it), and stays in the cache.
 */
static int
live(const struct idx *x, const uint64_t *s)
{
	return s[2] > x->stagebase;
}

static uint64_t *
stageprobe(const struct idx *x, const uint64_t h[2])
{
	uint64_t n = x->stagecap, i = h[0] & (n - 1), *s;

	for (;; i = (i + 1) & (n - 1)) {
		s = x->stage[i];
		if (!live(x, s) || (s[0] == h[0] && s[1] == h[1]))
			return s;
	}
}

/* Forgets what was staged, from sequence base on. */
static void
unstage(struct idx *x, uint64_t base)
{
	/* Sequences moved back (a log cut back): clear the table. */
	if (base < x->stagetop && x->stagecap > 0)
		memset(x->stage, 0, x->stagecap * sizeof(*x->stage));
	x->stagebase = base;
	x->stagetop = base;
	x->nstage = 0;
}

static uint64_t *
stageslot(struct idx *x, const uint64_t h[2])
{
	uint64_t (*o)[3] = x->stage;
	size_t i, ocap = x->stagecap;

	if ((x->nstage + 1) * 2 > x->stagecap) {
		x->stagecap = x->stagecap ? x->stagecap * 2 : 1024;
		x->stage = xmalloc(x->stagecap * sizeof(*x->stage));
		memset(x->stage, 0, x->stagecap * sizeof(*x->stage));
		for (i = 0; i < ocap; i++)
			if (live(x, o[i]))
				memcpy(stageprobe(x, o[i]), o[i],
				    sizeof(*o));
		free(o);
	}
	return stageprobe(x, h);
}

/*
 * Asks for the slots of e early, to be written: the tables are larger than
 * the caches.  A slot of the ids table (24 bytes) may straddle two cache
 * lines, three in eight do: both are asked for.
 */
void
idx_prefetch(const struct idx *x, const struct idx_ev *e)
{
	const uint64_t *s = ids(x) + IDW * (e->hid[0] & (x->h->nids - 1));

	__builtin_prefetch(s, 1);
	__builtin_prefetch(s + IDW - 1, 1);
	if (e->hassubj)
		__builtin_prefetch(subjs(x) + SUW * (e->hsubj[0] &
		    (x->h->nsubj - 1)), 1);
}

void
idx_begin(struct idx *x, uint64_t n, uint64_t seq)
{
	if (x->ok && n > 0)
		room(x, n, seq);
	unstage(x, seq - n);
}

uint64_t
idx_dup(struct idx *x, struct idx_ev *e)
{
	uint64_t *s;

	s = probe(ids(x), x->h->nids, IDW, e->hid);
	if (s[0] != 0 || s[1] != 0)
		return s[2];
	e->slot = s;
	if (x->nstage == 0)
		return 0;
	s = stageprobe(x, e->hid);
	return live(x, s) ? s[2] : 0;
}

uint64_t
idx_count(struct idx *x, const struct idx_ev *e)
{
	if (!e->hassubj)
		return 0;
	return probe(subjs(x), x->h->nsubj, SUW, e->hsubj)[2];
}

void
idx_stage(struct idx *x, const struct idx_ev *e, uint64_t seq)
{
	uint64_t *s;

	s = stageslot(x, e->hid);
	if (!live(x, s)) {
		s[0] = e->hid[0];
		s[1] = e->hid[1];
		s[2] = seq;
		x->nstage++;
		if (seq > x->stagetop)
			x->stagetop = seq;
	}
}

void
idx_add(struct idx *x, const struct idx_ev *ev, size_t n, uint64_t first,
    const off_t *offs, off_t end, uint64_t last, const char *line,
    size_t len)
{
	size_t i;

	if (!x->ok)
		return;
	if (n > 0)
		room(x, n, first + n - 1);
	for (i = 0; i < n; i++) {
		if (i + 8 < n)
			idx_prefetch(x, &ev[i + 8]);
		add(x, &ev[i], first + i, offs[i]);
	}
	if (n > 0)
		x->h->linehash = linehash(x, line, len);
	x->h->covered = (uint64_t)end;
	x->h->last = last;
	/* All that was staged is in the tables now. */
	if (last >= x->stagetop)
		unstage(x, last);
}

uint64_t
idx_last(const struct idx *x)
{
	return x->ok && !x->h->noblocks ? x->rlast : 0;
}

off_t
idx_block(const struct idx *x, uint64_t k, int64_t *tmin, int64_t *tmax)
{
	const uint64_t *b = blocks(x) + BLW * k;

	*tmin = (int64_t)b[1];
	*tmax = (int64_t)b[2];
	return (off_t)b[0];
}

off_t
idx_next(const struct idx *x, uint64_t k)
{
	if ((k + 1) * IDX_BLOCK >= x->rlast)
		return (off_t)x->rcovered;
	return (off_t)blocks(x)[BLW * (k + 1)];
}
