#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""powercut.py - the power-cut simulator of tests/powercut.bats.

Runs a scenario's commands under tests/fault/record.c (an LD_PRELOAD shim
that records their writes, truncations, fsyncs, renames, creations and
what they acknowledge on stdout), then builds, from that recording, the
on-disk states a power cut may leave at points along the way, and checks
in each that the programs' promises hold (see the check_* functions).
The approach of ALICE, CrashMonkey and LazyFS.

    powercut.py [--states N] [--seed S] [--scale K] [--per-recording N]
                [--dirs all|none|prefix] [--keep DIR] [--tolerate-damage]
                [--claim-durable] [--list] [SCENARIO...]

The model of the disk after a power cut (evlog(5), Crash safety):

Files.  What an fsync(2) or fdatasync(2) that returned covered (every
write and truncation recorded before it began) is on disk.  Of what came
after, any part may be: the file's size is its size after any of those
writes, or a page boundary (4096) in between (ext4 moves the size on disk
at writeback, to the end of a written range or of the file); each 512-byte
sector beyond the synced part holds its bytes as of one of the writes
since the sync (zeros where none had written it then), usually the same
one for the whole file, sometimes an older one for a sector or a page: a
write torn at sector granularity, a page not written back, or a page
written back before later writes changed it.  Never bytes that no write
wrote (ext4's default data=ordered writes new blocks before the metadata
that shows them).  Files written through a shared mapping (the index) are
taken as they are at the end, then marked as being from another boot.

Directories.  What a directory's fsync covered is on disk.  Of the later
operations in it (a file or directory made, a rename, an unlink), a
prefix in their order persists, each directory on its own: POSIX promises
nothing for them without that fsync; ext4 happens to commit them in order.
A file whose name did not persist is lost with its data.

A state is a crash point (a record of the recording) and a draw of the
choices above, from a generator seeded with the seed printed on failure.
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

PAGE = 4096
SECTOR = 512
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BIN = os.environ.get("EVENTFUL_BIN", os.path.join(ROOT, "bin"))
SHIM = os.environ.get("EVENTFUL_RECORD",
                      os.path.join(ROOT, "build/release/record.so"))
BOOT_OFF, BOOT_LEN = 16, 40     # struct idx_hdr's boot, in idx.c
SCALE = 1                       # --scale: events per step, times this


class Failed(Exception):
    """A promise that did not hold in a state."""


# ---- the recording ----

class Node:
    """A file or directory, as the recording saw it."""

    def __init__(self, kind, ino, init=None):
        self.kind = kind        # "f" or "d"
        self.ino = ino
        self.ops = []           # (record index, op...)
        self.syncs = []         # (began, ended) of each fsync that worked
        self.opaque = False     # written through a mapping
        self.final = b""        # an opaque file's bytes at the end
        self.path = None        # where it was made, when recorded
        if kind == "f":
            self.init = init if init is not None else b""
        else:
            self.init = dict(init or {})
            self.live = dict(self.init)     # the names now, for lookups


def parse(path):
    """The records of a recording: (op, pid, tag, args, payload)."""
    recs = []
    with open(path, "rb") as f:
        data = f.read()
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        head = data[i:nl].decode("utf-8", "surrogateescape").split(" ")
        n = int(head[-1])
        payload = data[nl + 1:nl + 1 + n]
        i = nl + 1 + n + 1
        recs.append((head[0], int(head[1]), head[2], head[3:-1], payload))
    return recs


class Recording:
    """A scenario's run: the tree before it, its records, the nodes."""

    def __init__(self, root):
        """Scans the tree at root, taken as durable."""
        self.root = root
        self.recs = []
        self.byino = {}
        self.outs = []          # (index, tag, bytes) written to stdout
        self.exits = {}         # tag: the index of its run's exit
        self.top = self._scan(root)

    def last_write(self, tag, part):
        """The last bytes that the run tag wrote to a file it made whose
        path has part in it, or None."""
        got = None
        for op, pid, t, args, payload in self.recs:
            if op == "write" and t == tag:
                node = self.byino.get(int(args[0]))
                if node is not None and node.path and part in node.path:
                    got = payload
        return got

    def _scan(self, path):
        st = os.lstat(path)
        if os.path.isdir(path):
            node = Node("d", st.st_ino, {
                n: self._scan(os.path.join(path, n))
                for n in sorted(os.listdir(path))})
            node.live = dict(node.init)
        else:
            with open(path, "rb") as f:
                node = Node("f", st.st_ino, f.read())
        self.byino[st.st_ino] = node
        return node

    def replay(self, recs, finals):
        """Takes the records, in order, over the scanned tree; finals are the
        files' bytes at the end, by inode."""
        self.recs = recs
        began = {}
        for g, (op, pid, tag, args, payload) in enumerate(self.recs):
            if op in ("create", "mkdir"):
                node = Node("f" if op == "create" else "d", int(args[0]))
                node.path = args[1]
                self.byino[node.ino] = node
                parent, name = self._lookup_parent(args[1])
                parent.ops.append((g, "add", name, node))
                parent.live[name] = node
            elif op == "rename":
                if args[0] == "-" or args[1] == "-":
                    raise SystemExit("a rename across the recorded tree")
                pa, na = self._lookup_parent(args[0])
                pb, nb = self._lookup_parent(args[1])
                if pa is not pb:
                    raise SystemExit("a rename between directories")
                pa.ops.append((g, "rename", na, nb))
                pa.live[nb] = pa.live.pop(na)
            elif op == "link":
                pa, na = self._lookup_parent(args[0])
                pb, nb = self._lookup_parent(args[1])
                pb.ops.append((g, "add", nb, pa.live[na]))
                pb.live[nb] = pa.live[na]
            elif op in ("unlink", "rmdir"):
                p, n = self._lookup_parent(args[0])
                p.ops.append((g, "del", n))
                del p.live[n]
            elif op == "write":
                self.byino[int(args[0])].ops.append(
                    (g, "w", int(args[1]), payload))
            elif op == "trunc":
                self.byino[int(args[0])].ops.append((g, "t", int(args[1])))
            elif op == "mmap":
                self.byino[int(args[0])].opaque = True
            elif op == "fsync":
                began[(pid, int(args[0]))] = g
            elif op == "fsynced":
                b = began.pop((pid, int(args[0])))
                if int(args[1]) == 0:
                    self.byino[int(args[0])].syncs.append((b, g))
            elif op == "out":
                self.outs.append((g, tag, payload))
            elif op == "exit":
                self.exits[tag] = g
        for node in self.byino.values():
            node.final = b""
        for ino, data in finals.items():
            if ino in self.byino:
                self.byino[ino].final = data

    def _lookup_parent(self, path):
        rel = os.path.relpath(path, self.root)
        parts = rel.split("/")
        node = self.top
        for p in parts[:-1]:
            node = node.live[p]
        return node, parts[-1]


def apply_file(data, op):
    """The file's bytes after op."""
    if op[1] == "w":
        off, p = op[2], op[3]
        if len(data) < off:
            data += b"\0" * (off - len(data))
        return data[:off] + p + data[off + len(p):]
    size = op[2]
    return data[:size] + b"\0" * (size - len(data))


def apply_dir(entries, op):
    if op[1] == "add":
        entries[op[2]] = op[3]
    elif op[1] == "del":
        entries.pop(op[2], None)
    else:
        entries[op[3]] = entries.pop(op[2])


def split(node, c):
    """What of node is durable at crash point c, and what is not."""
    cut = max([b for b, e in node.syncs if e < c], default=0)
    done = [op for op in node.ops if op[0] < cut]
    pending = [op for op in node.ops if cut <= op[0] < c]
    return done, pending


class State:
    """One state a power cut may leave: crash point, choices, the tree."""

    def __init__(self, rec, c, rng, floor=False):
        self.rec, self.c, self.rng = rec, c, rng
        self.floor = floor      # only what was made durable
        self.notes = set()      # kinds of damage in it
        self.dirmode = "none" if floor else rng.choices(
            ["all", "none", "prefix"], [3, 2, 5])[0]

    def entries(self, node):
        done, pending = split(node, self.c)
        ents = dict(node.init)
        for op in done:
            apply_dir(ents, op)
        if self.dirmode == "all":
            k = len(pending)
        elif self.dirmode == "none":
            k = 0
        else:
            k = self.rng.randint(0, len(pending))
        for op in pending[:k]:
            apply_dir(ents, op)
        if k < len(pending):
            self.notes.add("lost-names")
        return ents

    def content(self, node):
        if node.opaque:
            return self.opaque(node)
        done, pending = split(node, self.c)
        base = node.init
        for op in done:
            base = apply_file(base, op)
        if self.floor or not pending:
            return base
        versions = [base]
        for op in pending:
            versions.append(apply_file(versions[-1], op))
        k = len(pending)
        main = self.rng.choice([k, self.rng.randint(0, k)])
        sizes = [len(v) for v in versions]
        size = sizes[main]
        lo, hi = min(sizes), max(sizes)
        if self.rng.random() < 0.3:
            pages = [p for p in range(lo - lo % PAGE + PAGE, hi, PAGE)]
            if pages:
                size = self.rng.choice(pages)
        # Sectors torn from the rest, and whole pages left behind.
        ptear = self.rng.choice([0, 0, 0.02, 0.1])
        ppage = self.rng.choice([0, 0, 0.1, 0.3])
        out = bytearray()
        for s in range(0, size, SECTOR):
            if s % PAGE == 0:
                page = main
                if self.rng.random() < ppage:
                    page = self.rng.randint(0, main)
            vs = [v[s:s + SECTOR].ljust(SECTOR, b"\0") for v in versions]
            pick = page
            if len(set(vs)) > 1 and self.rng.random() < ptear:
                pick = self.rng.randint(0, main)
            out += vs[pick]
        out = bytes(out[:size])
        if out != versions[-1]:
            self.notes.add("torn")
        return out

    def opaque(self, node):
        data = node.final
        r = self.rng.random()
        if r < 0.2:
            data = b""
        elif r < 0.4:
            data = data[:self.rng.randint(0, len(data) // PAGE) * PAGE]
        elif r < 0.5:
            data = b"\0" * len(data)
        if len(data) >= BOOT_OFF + BOOT_LEN:
            # Another boot: what a power cut always is.
            data = (data[:BOOT_OFF] + b"powercut".ljust(BOOT_LEN, b"\0") +
                    data[BOOT_OFF + BOOT_LEN:])
        return data

    def build(self, where):
        """Makes the state's tree at where; returns its digest."""
        h = hashlib.sha256()

        def walk(node, path, rel):
            for name, child in sorted(self.entries(node).items()):
                p = os.path.join(path, name)
                r = rel + "/" + name
                if child.kind == "d":
                    os.mkdir(p)
                    h.update(b"d" + r.encode())
                    walk(child, p, r)
                else:
                    data = self.content(child)
                    with open(p, "wb") as f:
                        f.write(data)
                    h.update(b"f" + r.encode() + b"\0" +
                             hashlib.sha256(data).digest())
        os.makedirs(where)
        walk(self.rec.top, where, "")
        return h.hexdigest()


# ---- running the programs ----

def run(argv, env, stdin=b"", ok=(0,), what=None):
    p = subprocess.run(argv, input=stdin, env=env, capture_output=True,
                       timeout=60)
    if ok is not None and p.returncode not in ok:
        raise Failed("%s: exit %d, not %s\n%s" % (
            what or " ".join(argv), p.returncode, ok,
            p.stderr.decode(errors="replace")[:2000]))
    return p


def paced(argv, env, chunks, delay=0.004):
    """Runs argv with the chunks of stdin given a little apart, so that
    group commit makes several groups."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    for ch in chunks:
        p.stdin.write(ch)
        p.stdin.flush()
        time.sleep(delay)
    p.stdin.close()
    out = p.stdout.read()
    err = p.stderr.read()
    p.wait()
    return p.returncode, out, err


def lines(b):
    return [l for l in b.split(b"\n") if l]


def event(n, run, subject=None, typ="acct.deposited", amount=None):
    ev = {"specversion": "1.0", "id": "pc-%s-%d" % (run, n),
          "source": "//powercut", "type": typ,
          "subject": subject or "acct/%d" % (n % 3),
          "data": {"amount": amount if amount is not None else n,
                   "pad": "x" * (n * 397 % 1500)}}
    return (json.dumps(ev, separators=(",", ":")) + "\n").encode()


def decode(line):
    """The event of a line a program gave; Failed when it is none."""
    try:
        e = json.loads(line)
        int(e["sequence"])
        return e
    except (ValueError, KeyError, TypeError):
        raise Failed("a line that is not a stamped event: %r" % line[:200])


def seqof(line):
    return int(decode(line)["sequence"])


def idof(line):
    e = decode(line)
    return (e["source"], e["id"])


def unstamp(line):
    e = json.loads(line)
    del e["sequence"]
    return (json.dumps(e, separators=(",", ":")) + "\n").encode()


# ---- scenarios ----
#
# Each: setup(root, env) makes what is there before (taken as durable),
# steps(root, env) runs the recorded commands, and check(state) judges a
# state built at state.dir.

class Scenario:
    name = ""
    claim = False       # --claim-durable

    def __init__(self, bindir):
        self.bin = bindir

    def prog(self, p):
        return os.path.join(self.bin, p)

    def env(self, root):
        e = dict(os.environ)
        for k in ("EVENTFUL_BUS", "NATS_URL", "EV_SOURCE", "LD_PRELOAD"):
            e.pop(k, None)
        e["EVENTFUL_HOME"] = os.path.join(root, "home")
        e["HOME"] = os.path.join(root, "h")
        return e

    def setup(self, root, env):
        pass


class LogScenario(Scenario):
    """evlog append to a plain log, in one sync mode."""

    sync = "batch"

    def __init__(self, bindir, sync, prefill):
        super().__init__(bindir)
        self.sync = sync
        self.prefill = prefill
        self.name = "append-%s%s" % (sync, "-old" if prefill else "")

    def logpath(self, root):
        return os.path.join(root, "logs", "a.log")

    def target(self, root):
        return [self.logpath(root)]

    def setup(self, root, env):
        os.makedirs(os.path.join(root, "logs"))
        os.makedirs(os.path.join(root, "h"))
        if self.prefill:
            inp = b"".join(event(i, "pre") for i in range(1, 1 + 5 * SCALE))
            run([self.prog("evlog"), "append", self.logpath(root)], env, inp)
            # A torn last line, as a crash before leaves one: the first
            # recorded append cuts it.
            with open(self.logpath(root), "ab") as f:
                f.write(b'{"specversion":"1.0","id":"torn"')

    def inputs(self):
        a = [event(i, "a") for i in range(1, 1 + 8 * SCALE)]
        b = [event(i, "b") for i in range(1, 1 + 6 * SCALE)] + \
            [event(3, "a")]
        return a, b

    def steps(self, root, env):
        a, b = self.inputs()
        argv = [self.prog("evlog"), "append", "--sync", self.sync] + \
            self.target(root)
        for tag, inp in (("a", a), ("b", b)):
            env["RECORD_TAG"] = tag
            chunks = [b"".join(inp[i:i + 3]) for i in range(0, len(inp), 3)]
            rc, out, err = paced(argv, env, chunks)
            if rc != 0:
                raise SystemExit("%s: step %s: exit %d: %s" % (
                    self.name, tag, rc, err.decode(errors="replace")))

    def cat(self, state, *extra):
        p = run([self.prog("evlog"), "cat"] + list(extra) +
                self.target(state.dir), state.env, what="evlog cat")
        return lines(p.stdout)

    def written(self, state):
        """The lines the recorded runs wrote to the log, by sequence."""
        by = {}
        for op, pid, tag, args, payload in state.rec.recs:
            if op == "write" and payload.endswith(b"\n") and \
                    payload.startswith(b"{"):
                for l in lines(payload):
                    try:
                        by.setdefault(seqof(l), set()).add(l)
                    except Failed:
                        pass
        return by

    def acked(self, state):
        """The lines acknowledged before the cut, by the runs that
        acknowledge appends."""
        return [l for g, tag, p in state.rec.outs if g < state.c
                for l in lines(p)]

    def check(self, state):
        env = state.env
        log = self.target(state.dir)
        exists = os.path.exists(self.logfile(state.dir))
        acked = self.acked(state) if self.sync != "none" or \
            self.claim else []
        before = state.before
        if not exists:
            if acked or before:
                raise Failed("the log is gone, with %d events acknowledged"
                             % (len(acked) + len(before)))
            return
        automatic = state.rng.random() < 0.5
        if not automatic:
            run([self.prog("evlog"), "repair"] + log, env,
                what="evlog repair")
            run([self.prog("evlog"), "verify"] + log, env,
                what="evlog verify after repair")
        else:
            # What readers see before any repair holds what was
            # acknowledged already (the retry below could put a lost
            # event back at its sequence, byte for byte).
            p = run([self.prog("evlog"), "cat"] + log, env, ok=None)
            if p.returncode == 0:
                have = set(lines(p.stdout))
                for l in acked + before:
                    if l not in have:
                        raise Failed("acknowledged as sequence %d, and "
                                     "gone (or changed): %s" % (
                                         seqof(l), l[:160]))
            # The next append repairs on its own: a retry of everything
            # not acknowledged (here: all of it), which must add only what
            # the log does not hold.
            a, b = self.inputs()
            run([self.prog("evlog"), "append"] + log, env,
                b"".join(a + b), what="evlog append after the cut")
        got = self.cat(state)
        self.check_lines(state, got, acked, before, complete=automatic)
        self.check_index(state, got)
        run([self.prog("evlog"), "verify"] + log, env,
            what="evlog verify at the end")

    def logfile(self, root):
        return self.logpath(root)

    def check_lines(self, state, got, acked, before, complete):
        seqs = [seqof(l) for l in got]
        if seqs != list(range(1, len(got) + 1)):
            raise Failed("sequences are not 1..%d: %s" % (len(got), seqs))
        ids = [idof(l) for l in got]
        if len(set(ids)) != len(ids):
            raise Failed("an event is in the log twice: %s" % sorted(
                i for i in ids if ids.count(i) > 1))
        have = set(got)
        for l in before:
            if l not in have:
                raise Failed("an event durable before the run is gone: %s"
                             % l[:120])
        for l in acked:
            if l not in have:
                raise Failed("acknowledged as sequence %d, and gone (or "
                             "changed): %s" % (seqof(l), l[:160]))
        written = self.written(state)
        pre = set(before)
        for l in got:
            if l in pre:
                continue
            if not complete and l not in written.get(seqof(l), ()):
                raise Failed("a line no run wrote at sequence %d: %s" % (
                    seqof(l), l[:160]))
        if self.sync == "none" and not complete:
            # The weaker promise: what survives is what was written, each
            # line at the sequence it was written with (checked above).
            pass
        if complete:
            a, b = self.inputs()
            want = {(e["source"], e["id"]) for e in map(json.loads, a + b)}
            if not want <= set(ids):
                raise Failed("after a retry of every event, some are "
                             "missing: %s" % sorted(want - set(ids)))

    def check_index(self, state, got):
        env, log = state.env, self.target(state.dir)
        n = len(got)
        for k in sorted({1, n, n + 1, state.rng.randint(1, n + 1)}):
            if k < 1:
                continue
            part = self.cat(state, "--from", str(k))
            if part != got[k - 1:]:
                raise Failed("evlog cat --from %d gives %d events from %s, "
                             "not %d" % (k, len(part), part[:1], len(
                                 got[k - 1:])))
        # --expect: the count of a subject's events, right and wrong.
        subj = "acct/1"
        count = sum(1 for l in got if json.loads(l).get("subject") == subj)
        e1 = event(1, "expect-ok", subject=subj)
        run([self.prog("evlog"), "append", "--expect", str(count)] + log,
            env, e1, what="evlog append --expect %d (right)" % count)
        e2 = event(2, "expect-stale", subject=subj)
        run([self.prog("evlog"), "append", "--expect", str(count)] + log,
            env, e2, ok=(4,), what="evlog append --expect %d (stale)" %
            count)
        # Idempotence: what the log holds is a repeat, appended not again.
        if got:
            again = unstamp(got[state.rng.randrange(n)])
            p = run([self.prog("evlog"), "append"] + log, env, again,
                    what="re-appending an event the log holds")
            if p.stdout or b"in the log already" not in p.stderr:
                raise Failed("an event the log holds was appended again, "
                             "or not said to be a repeat: %s %s" % (
                                 p.stdout[:160], p.stderr[:160]))
        after = self.cat(state)
        if len(after) != n + 1 or after[:n] != got or \
                unstamp(after[n]) != e1:
            raise Failed("after --expect and a repeat: %d events, not %d"
                         % (len(after), n + 1))


class ConcurrentScenario(LogScenario):
    """Two evlog append --sync batch at once on one log: their groups
    interleave under the lock."""

    def __init__(self, bindir):
        LogScenario.__init__(self, bindir, "batch", True)
        self.name = "append-concurrent"

    def steps(self, root, env):
        a, b = self.inputs()
        argv = [self.prog("evlog"), "append"] + self.target(root)
        done = []

        def one(tag, inp):
            e = dict(env, RECORD_TAG=tag)
            chunks = [b"".join(inp[i:i + 2]) for i in range(0, len(inp), 2)]
            done.append(paced(argv, e, chunks, delay=0.002))
        ts = [threading.Thread(target=one, args=(t, i))
              for t, i in (("a", a), ("b", b))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for rc, out, err in done:
            if rc != 0:
                raise SystemExit("%s: exit %d: %s" % (
                    self.name, rc, err.decode(errors="replace")))


class TopicScenario(LogScenario):
    """evpub -T: a topic made by the first publish, in a home not there."""

    def __init__(self, bindir, sync="batch"):
        Scenario.__init__(self, bindir)
        self.sync = sync
        self.prefill = False
        self.name = "evpub-topic-%s" % sync

    def target(self, root):
        return ["-T", "t"]

    def logfile(self, root):
        return os.path.join(root, "home", "topics", "t", "log")

    def setup(self, root, env):
        os.makedirs(os.path.join(root, "h"))

    def steps(self, root, env):
        pub = [self.prog("evpub"), "-T", "t", "--sync", self.sync]
        env["RECORD_TAG"] = "first"
        run(pub + ["-t", "acct.opened", "-S", "acct/1", "-s", "//powercut",
                   "amount:=0"], env)
        env["RECORD_TAG"] = "lines"
        rc, out, err = paced(pub + ["-l", "-t", "acct.deposited", "-S",
                                    "acct/2", "-s", "//powercut"], env,
                             [b'{"amount":%d}\n' % i
                              for i in range(1, 1 + 7 * SCALE)])
        if rc != 0:
            raise SystemExit("evpub -l: %s" % err.decode(errors="replace"))
        env["RECORD_TAG"] = "other"
        run(pub[:2] + ["u"] + pub[3:] + ["-t", "x.y", "n:=1"], env)

    def inputs(self):
        # What the automatic repair's append (check) publishes.
        return [event(1, "after")], []

    def acked(self, state):
        return [l for g, tag, p in state.rec.outs
                if g < state.c and tag in ("first", "lines")
                for l in lines(p)]

    def check(self, state):
        LogScenario.check(self, state)
        # The other topic, made in the same home, keeps what it
        # acknowledged too.
        other = [l for g, tag, p in state.rec.outs
                 if g < state.c and tag == "other" for l in lines(p)]
        if other and not os.path.exists(os.path.join(
                state.dir, "home", "topics", "u", "log")) and \
                (self.sync != "none" or self.claim):
            raise Failed("topic u is gone, with %d events acknowledged" %
                         len(other))
        if other and os.path.exists(os.path.join(state.dir, "home",
                                                 "topics", "u", "log")):
            run([self.prog("evlog"), "repair", "-T", "u"], state.env,
                what="evlog repair -T u")
            got = lines(run([self.prog("evlog"), "cat", "-T", "u"],
                            state.env).stdout)
            # With --sync none, what was written may be lost.
            if self.sync == "none" and not self.claim:
                other = other[:len(got)]
            if got != other:
                raise Failed("topic u acknowledged %d events and holds %d"
                             % (len(other), len(got)))
        # And takes new events.
        run([self.prog("evpub"), "-T", "t", "-t", "after.cut", "n:=1"],
            state.env, what="evpub -T t after the cut")


class KilledMakerScenario(TopicScenario):
    """evpub -T into a topic whose maker was killed before it made
    anything durable: its directories and empty log are there, their
    names not synced (made here by mkdir(1) and touch(1), recorded)."""

    def __init__(self, bindir):
        TopicScenario.__init__(self, bindir, "batch")
        self.name = "evpub-killed-maker"

    def steps(self, root, env):
        t = os.path.join(root, "home", "topics", "t")
        env["RECORD_TAG"] = "maker"
        env["RECORD_PROGS"] = "mkdir touch"
        run(["mkdir", "-p", os.path.join(t, "subs"),
             os.path.join(t, "consumers")], env)
        run(["touch", os.path.join(t, "log")], env)
        del env["RECORD_PROGS"]
        env["RECORD_TAG"] = "lines"
        run([self.prog("evpub"), "-T", "t", "-l", "-t", "acct.deposited",
             "-s", "//powercut"], env,
            b"".join(b'{"amount":%d}\n' % i
                     for i in range(1, 1 + 4 * SCALE)))

    def check(self, state):
        LogScenario.check(self, state)


class RepairScenario(Scenario):
    """evlog repair moving damage in the middle of a log aside (a page of
    zeros, whole events after it): nothing may be lost at any point of
    it, and running it again finishes the job."""

    name = "repair-middle"

    def setup(self, root, env):
        os.makedirs(os.path.join(root, "h"))
        log = os.path.join(root, "l")
        run([self.prog("evlog"), "append", log], env,
            b"".join(event(i, "r") for i in range(1, 1 + 30 * SCALE)))
        with open(log, "rb") as f:
            data = f.read()
        at = (len(data) // 3) // PAGE * PAGE
        self.whole = []         # (line, survives the damage)
        off = 0
        for l in lines(data):
            end = off + len(l) + 1
            self.whole.append((l, end <= at or off >= at + PAGE))
            off = end
        with open(log, "r+b") as f:
            f.seek(at)
            f.write(b"\0" * PAGE)
        os.unlink(log + ".idx")

    def steps(self, root, env):
        env["RECORD_TAG"] = "repair"
        run([self.prog("evlog"), "repair", os.path.join(root, "l")], env)

    def logfile(self, root):
        return os.path.join(root, "l")

    def check(self, state):
        log = os.path.join(state.dir, "l")
        run([self.prog("evlog"), "repair", log], state.env,
            what="evlog repair (again)")
        run([self.prog("evlog"), "verify", log], state.env,
            what="evlog verify after repair")
        got = lines(run([self.prog("evlog"), "cat", log],
                        state.env).stdout)
        aside = set()
        for name in os.listdir(state.dir):
            if name.startswith("l.damaged-"):
                with open(os.path.join(state.dir, name), "rb") as f:
                    aside.update(lines(f.read()))
        have = set(got)
        first = [l for l, ok in self.whole[:len(got)]]
        if got != first:
            raise Failed("the log after repair is not the events before "
                         "the damage: %d lines" % len(got))
        for l, ok in self.whole:
            if ok and l not in have and l not in aside:
                raise Failed("a whole event is neither in the log nor "
                             "moved aside: sequence %d" % seqof(l))


class ProjectScenario(Scenario):
    """evproject --state: its checkpoints, saved every few events."""

    name = "evproject-state"
    rules = ["-r", "acct.*=add:balance=data.amount"]

    def setup(self, root, env):
        os.makedirs(os.path.join(root, "h"))
        os.makedirs(os.path.join(root, "proj"))
        inp = b"".join(event(i, "p") for i in range(1, 1 + 24 * SCALE))
        run([self.prog("evlog"), "append", os.path.join(root, "in.log")],
            env, inp)
        with open(os.path.join(root, "in.log"), "rb") as f:
            ls = lines(f.read())
        with open(os.path.join(root, "half.log"), "wb") as f:
            f.write(b"".join(l + b"\n" for l in ls[:10 * SCALE]))

    def argv(self, root, src):
        return [self.prog("evproject")] + self.rules + [
            "--state", os.path.join(root, "proj", "st.json"),
            "--save-every", "4", os.path.join(root, src)]

    def steps(self, root, env):
        for tag, src in (("half", "half.log"), ("all", "in.log")):
            env["RECORD_TAG"] = tag
            run(self.argv(root, src), env)

    def checkpoint(self, path):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None, 0
        if not data:
            return data, 0
        try:
            ck = json.loads(data)["checkpoint"]
        except (ValueError, KeyError) as e:
            raise Failed("the state file is not one evproject saved (%s): "
                         "%r" % (e, data[:200]))
        return data, int(ck.get("sequence", "0"))

    def check(self, state):
        path = os.path.join(state.dir, "proj", "st.json")
        data, seq = self.checkpoint(path)
        fdata, fseq = self.checkpoint(os.path.join(state.floor_dir, "proj",
                                                   "st.json"))
        if seq < fseq:
            raise Failed("the checkpoint went back to sequence %d from %d, "
                         "which a save had made durable" % (seq, fseq))
        for tag in ("half", "all"):
            last = state.rec.last_write(tag, "/proj/.st.json.")
            if state.rec.exits.get(tag, len(state.rec.recs)) < state.c and \
                    last is not None:
                want = int(json.loads(last)["checkpoint"]["sequence"])
                if seq < want:
                    raise Failed("run %s ended with its state saved at "
                                 "sequence %d; after the cut it is at %d" %
                                 (tag, want, seq))
        # The state matches its checkpoint: going on from it gives what a
        # run over everything from nothing gives.
        p = run(self.argv(state.dir, "in.log"), state.env,
                what="evproject --state after the cut")
        fresh = run([self.prog("evproject")] + self.rules +
                    [os.path.join(state.dir, "in.log")], state.env)
        if json.loads(p.stdout) != json.loads(fresh.stdout):
            raise Failed("from checkpoint %d the state is %s, from nothing "
                         "%s" % (seq, p.stdout[:300], fresh.stdout[:300]))


class ConsumerScenario(Scenario):
    """A durable consumer's commits (evsub --consumer --once) between
    publishes."""

    name = "consumer"

    def setup(self, root, env):
        os.makedirs(os.path.join(root, "h"))
        run([self.prog("evpub"), "-T", "t", "-l", "-t", "x.y", "-s",
             "//powercut"], env, b"".join(b'{"n":%d}\n' % i
                                           for i in range(1, 1 + 5 * SCALE)))

    def steps(self, root, env):
        sub = [self.prog("evsub"), "-T", "t", "--consumer", "c", "--once"]
        pub = [self.prog("evpub"), "-T", "t", "-l", "-t", "x.y", "-s",
               "//powercut"]
        for i, tag in enumerate(["sub1", "pub1", "sub2", "pub2", "sub3"]):
            env["RECORD_TAG"] = tag
            if tag.startswith("sub"):
                run(sub, env)
            else:
                run(pub, env, b"".join(b'{"n":%d}\n' % (10 * i + k)
                                       for k in range(3 * SCALE)))

    def logfile(self, root):
        return os.path.join(root, "home", "topics", "t", "log")

    def position(self, root):
        p = os.path.join(root, "home", "topics", "t", "consumers", "c")
        try:
            with open(p, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return 0
        try:
            return int(data)
        except ValueError:
            raise Failed("the position file holds %r" % data[:64])

    def check(self, state):
        env = state.env
        delivered = {seqof(l) for g, tag, p in state.rec.outs
                     if g < state.c and tag.startswith("sub")
                     for l in lines(p)}
        acked = [l for g, tag, p in state.rec.outs
                 if g < state.c and tag.startswith("pub") for l in lines(p)]
        pos = self.position(state.dir)
        floor = self.position(state.floor_dir)
        if pos < floor:
            raise Failed("the position went back to %d from %d, which a "
                         "commit had made durable" % (pos, floor))
        for tag, g in state.rec.exits.items():
            last = state.rec.last_write(tag, "/consumers/.c.")
            if tag.startswith("sub") and g < state.c and last is not None \
                    and pos < int(last):
                raise Failed("run %s ended with position %d committed; "
                             "after the cut it is %d" % (tag, int(last), pos))
        missing = [s for s in range(1, pos + 1) if s not in delivered]
        if missing:
            raise Failed("position %d, past events never delivered: %s" %
                         (pos, missing))
        run([self.prog("evlog"), "repair", "-T", "t"], env,
            what="evlog repair -T t")
        got = lines(run([self.prog("evlog"), "cat", "-T", "t"],
                        env).stdout)
        have = set(got)
        for l in acked + state.before:
            if l not in have:
                raise Failed("acknowledged and gone: %s" % l[:160])
        if pos > len(got):
            raise Failed("position %d past the log's end, %d" % (
                pos, len(got)))
        p = run([self.prog("evsub"), "-T", "t", "--consumer", "c",
                 "--once"], env, what="evsub --consumer c --once after "
                "the cut")
        want = got[pos:]
        if lines(p.stdout) != want:
            raise Failed("from position %d the consumer delivered %d "
                         "events, not %d" % (pos, len(lines(p.stdout)),
                                             len(want)))


def scenarios(bindir):
    return {s.name: s for s in [
        LogScenario(bindir, "event", False),
        LogScenario(bindir, "batch", False),
        LogScenario(bindir, "batch", True),
        LogScenario(bindir, "none", True),
        TopicScenario(bindir, "batch"),
        TopicScenario(bindir, "event"),
        TopicScenario(bindir, "none"),
        ConcurrentScenario(bindir),
        KilledMakerScenario(bindir),
        RepairScenario(bindir),
        ProjectScenario(bindir),
        ConsumerScenario(bindir),
    ]}


# ---- the loop ----

def record(sc, work):
    root = os.path.join(work, "root")
    os.makedirs(root)
    env = sc.env(root)
    sc.setup(root, env)
    before = []
    for logf in (os.path.join(root, "logs", "a.log"),
                 os.path.join(root, "home", "topics", "t", "log")):
        if os.path.exists(logf):
            with open(logf, "rb") as f:
                before = [l for l in lines(f.read()) if l.endswith(b"}")]
    trace = os.path.join(work, "trace")
    renv = dict(env)
    renv.update(LD_PRELOAD=SHIM, RECORD_DIR=root, RECORD_OUT=trace)
    renv["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") +
                            ":verify_asan_link_order=0").lstrip(":")
    # What the recording starts from is taken as durable: scanned now.
    rec = Recording(root)
    sc.steps(root, renv)
    finals = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                finals[os.lstat(p).st_ino] = fh.read()
    recs = parse(trace) if os.path.exists(trace) else []
    if not recs:
        raise SystemExit("%s: nothing recorded: is %s the record shim?" %
                         (sc.name, SHIM))
    rec.replay(recs, finals)
    return rec, before




def points(rec):
    """The crash points worth trying: after each record, and before the
    first; those after a sync, an output or a name change more often."""
    pts = list(range(len(rec.recs) + 1))
    hot = [g + 1 for g, r in enumerate(rec.recs)
           if r[0] in ("fsynced", "out", "rename", "mkdir", "create")]
    hot += [g for g, r in enumerate(rec.recs) if r[0] == "out"]
    return pts, hot


def damaged_mid(state, sc):
    """Zeros followed by data in the log's part no sync covered: the
    damage that evlog repair learns to handle on branch damage."""
    try:
        with open(sc.logfile(state.dir), "rb") as f:
            data = f.read()
    except (FileNotFoundError, AttributeError):
        return False
    z = data.find(b"\0")
    return z >= 0 and data[z:].strip(b"\0") != b""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", nargs="*")
    ap.add_argument("--states", type=int, default=int(os.environ.get(
        "POWERCUT_STATES", "40")), help="states drawn per scenario")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--tolerate-damage", action="store_true",
                    help="count a state that fails with damage in the "
                    "middle of the log (zeros, then data) as known, not "
                    "failed: for a build from before evlog repair moved "
                    "such damage aside")
    ap.add_argument("--keep", help="keep failed states under this folder")
    ap.add_argument("--dirs", choices=["all", "none", "prefix"],
                    help="what persists of the operations on directories "
                    "no fsync covered (default: drawn for each state)")
    ap.add_argument("--claim-durable", action="store_true",
                    help="check --sync none as if its acknowledgements "
                    "were durable: a self-test that must fail")
    ap.add_argument("--scale", type=int, default=1, help="events in each "
                    "step of a scenario, times this")
    ap.add_argument("--per-recording", type=int, default=0, help="record "
                    "a scenario again after this many states (timing "
                    "makes other groups): default, once")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    global SCALE
    SCALE = a.scale
    all_sc = scenarios(BIN)
    if a.list:
        print("\n".join(all_sc))
        return 0
    names = a.scenario or list(all_sc)
    for sc in all_sc.values():
        sc.claim = a.claim_durable
    seed = a.seed if a.seed is not None else random.randrange(1 << 31)
    flags = "".join(" --" + f.replace("_", "-") for f in (
        "tolerate_damage", "claim_durable") if getattr(a, f))
    flags += " --states %d" % a.states
    if a.dirs:
        flags += " --dirs " + a.dirs
    if a.scale != 1:
        flags += " --scale %d" % a.scale
    print("powercut: seed %d, %d states per scenario" % (seed, a.states))
    bad = 0
    total = distinct_total = known_total = 0
    for name in names:
        if name not in all_sc:
            print("no scenario %s (--list)" % name, file=sys.stderr)
            return 2
        sc = all_sc[name]
        work = tempfile.mkdtemp(prefix="powercut-%s-" % name,
                                dir=os.environ.get("TMPDIR"))
        try:
            rec, before = record(sc, work)
            pts, hot = points(rec)
            seen = set()
            fails = known = middle = 0
            recorded = 1
            for i in range(a.states):
                if a.per_recording > 0 and i > 0 and \
                        i % a.per_recording == 0:
                    shutil.rmtree(os.path.join(work, "root"))
                    os.unlink(os.path.join(work, "trace"))
                    rec, before = record(sc, work)
                    pts, hot = points(rec)
                    recorded += 1
                srng = random.Random("%d/%s/%d" % (seed, name, i))
                c = srng.choice(hot) if hot and srng.random() < 0.6 \
                    else srng.choice(pts)
                if i == 0:
                    c = len(rec.recs)
                st = State(rec, c, srng)
                if a.dirs:
                    st.dirmode = a.dirs
                sdir = os.path.join(work, "s%d" % i)
                digest = st.build(os.path.join(sdir, "root"))
                if digest in seen:
                    # The same files as a state checked already.
                    shutil.rmtree(sdir, ignore_errors=True)
                    continue
                seen.add(digest)
                fl = State(rec, c, random.Random(0), floor=True)
                fl.build(os.path.join(sdir, "floor"))
                st.dir = os.path.join(sdir, "root")
                st.floor_dir = os.path.join(sdir, "floor")
                st.env = sc.env(st.dir)
                os.makedirs(st.env["HOME"], exist_ok=True)
                st.before = before
                mid = damaged_mid(st, sc)
                middle += mid
                try:
                    sc.check(st)
                except (Failed, subprocess.TimeoutExpired) as e:
                    if mid and a.tolerate_damage:
                        known += 1
                    else:
                        fails += 1
                        print("FAIL %s state %d (crash after record %d of "
                              "%d, dirs %s, %s): %s" % (
                                  name, i, c, len(rec.recs), st.dirmode,
                                  ",".join(sorted(st.notes)) or "clean",
                                  e))
                        print("  again: %s --seed %d%s %s" % (
                            sys.argv[0], seed, flags, name))
                        if a.keep:
                            dst = os.path.join(a.keep, "%s-%d" % (name, i))
                            shutil.rmtree(dst, ignore_errors=True)
                            shutil.copytree(sdir, dst, symlinks=True)
                            shutil.copy(os.path.join(work, "trace"), dst)
                            print("  kept in %s" % dst)
                shutil.rmtree(sdir, ignore_errors=True)
            print("%-20s %4d states, %4d distinct (checked), %3d records%s, "
                  "%3d with damage in the middle, %d failed%s" % (
                      name, a.states, len(seen), len(rec.recs),
                      " (%d recordings)" % recorded if recorded > 1 else "",
                      middle,
                      fails, ", %d known (--tolerate-damage)" % known
                      if known else ""))
            total += a.states
            distinct_total += len(seen)
            known_total += known
            bad += fails
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print("powercut: %d states (%d distinct), %d failed, %d known; seed %d"
          % (total, distinct_total, bad, known_total, seed))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
