#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""prop.py - property tests of a topic against a model that is a plain list
(issue 26; Jepsen's checkers, QuickCheck's state machines).

Each run, from its seed: a topic with a few events, or a few hundred (the
index's blocks are 256), then at once and at random moments appenders
(evlog append -T, evpub -l -T, fed in pieces), followers (evlog cat -f
--from, evsub --from, a live evsub, a following consumer) started before,
at and past the end, and durable consumers run again and again with
--once; kill -9 of appenders and consumers at random moments.  The model
is the topic's log as read at the end, checked first against what was
acknowledged: sequences 1..N, every acknowledged event there once, at its
sequence, byte for byte, and each appender's events a prefix of what it was
given, in order.  Then:

  - a follower's output is a contiguous, in-order, duplicate-free run of
    the model from its start to the end (a live subscriber: in order and
    duplicate-free, contiguous unless an appender was killed between
    storing and telling it);
  - a consumer's run (--once, or following until killed) starts just
    after the position committed before it, delivers a contiguous run of
    the model, commits no more than it delivered (all of it when not
    killed), never moves back; a last run ends at the end: at least once,
    in order, no gap.

Usage: prop.py [--bus URL]; PROP_SEED (default: from the clock) is the first
seed, PROP_RUNS (default 20) how many runs, seeds PROP_SEED, PROP_SEED+1...
The seed of a failing run is printed with the command that runs it again.
The programs are the ones on PATH.  On NATS (--bus nats://...), consumers
are not killed (SIGTERM is a kill there too): what a killed run held comes
again after the ack wait (30 seconds), after later events (evsub(1), NATS
JETSTREAM); a following run ends when nothing comes for 0.1 s (-w).
"""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time


class Fail(Exception):
    pass


def event(w, k):
    return ('{"specversion":"1.0","id":"%s-%d","source":"//prop","type":"t",'
            '"data":{"w":"%s","k":%d}}\n' % (w, k, w, k))


def lines_of(path):
    """The complete lines of path, and whether a torn one ends it."""
    try:
        with open(path, 'rb') as f:
            b = f.read()
    except FileNotFoundError:
        return [], False
    parts = b.split(b'\n')
    return [p.decode() for p in parts[:-1]], parts[-1] != b''


def seq_of(line):
    return int(json.loads(line)['sequence'])


class Run:
    def __init__(self, seed, bus, base):
        self.seed = seed
        self.rng = random.Random(seed)
        self.bus = bus
        self.dir = os.path.join(base, 'run%d' % seed)
        os.makedirs(self.dir)
        self.env = dict(os.environ)
        self.env['EVENTFUL_HOME'] = os.path.join(self.dir, 'home')
        self.topic = 'p%d' % seed
        if bus:
            self.env['EVENTFUL_BUS'] = bus
        else:
            self.env.pop('EVENTFUL_BUS', None)
        self.procs = []
        self.lock = threading.Lock()
        self.killed_appender = False
        self.log = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def spawn(self, argv, out, stdin=subprocess.DEVNULL):
        p = subprocess.Popen(argv, stdin=stdin, stdout=open(self.path(out), 'wb'),
                             stderr=open(self.path(out + '.err'), 'wb'),
                             env=self.env)
        with self.lock:
            self.procs.append(p)
        return p

    def cmd(self, argv, inp=None):
        r = subprocess.run(argv, input=inp, capture_output=True, env=self.env)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def position(self, consumer):
        rc, out, err = self.cmd(['evsub', '--topics', '--json'])
        if rc != 0:
            raise Fail('evsub --topics --json: status %d: %s' % (rc, err))
        for line in out.splitlines():
            t = json.loads(line)
            if t['topic'] != self.topic:
                continue
            for c in t['consumers']:
                if c['name'] == consumer:
                    return c['position']
        return 0

    # ---- actors ----

    def appender(self, w, n, kind, kill_at):
        """Appends events w-1..w-n in pieces; kill -9 at kill_at s."""
        argv = (['evlog', 'append', '-T', self.topic] if kind == 'evlog'
                else ['evpub', '-l', '-T', self.topic])
        p = self.spawn(argv, 'ack.%s' % w, stdin=subprocess.PIPE)
        start = time.monotonic()
        k = 1
        try:
            while k <= n:
                if kill_at is not None and time.monotonic() - start >= kill_at:
                    break
                m = self.rng_local[w].randint(1, 8)
                p.stdin.write(''.join(event(w, j) for j in range(k, min(n, k + m - 1) + 1)).encode())
                p.stdin.flush()
                k += m
                time.sleep(self.rng_local[w].random() * 0.005)
        except BrokenPipeError:
            pass
        if kill_at is not None:
            rest = kill_at - (time.monotonic() - start)
            if rest > 0:
                time.sleep(rest)
            p.kill()
            with self.lock:
                self.killed_appender = True
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
        p.wait()
        if kill_at is None and p.returncode != 0:
            raise Fail('appender %s (%s): status %d: %s' % (
                w, kind, p.returncode, open(self.path('ack.%s.err' % w)).read()))

    def consumer(self, name, runs, kills):
        """runs runs of consumer name, one after the other: --once, or
        following (without --once) until kill -9, or on NATS until -w
        ends it."""
        rec = []
        rng = self.rng_c[name]
        for r in range(runs):
            before = self.position(name)
            out = 'cons.%s.%d' % (name, r)
            follow = rng.random() < 0.3
            argv = ['evsub', '-T', self.topic, '--consumer', name, '-o',
                    self.path(out)]
            if not follow:
                argv.append('--once')
            elif not kills:
                # Ended as a following run ends of itself, when nothing
                # comes for a while: status 5.
                argv += ['-w', '0.1']
            p = self.spawn(argv, out + '.stdout')
            kill = kills and (follow or rng.random() < 0.5)
            if kill:
                time.sleep(rng.random() * (0.04 if follow else 0.02))
                p.kill()
            p.wait()
            if follow and not kill and p.returncode == 5:
                pass
            elif not kill and p.returncode != 0:
                raise Fail('consumer %s run %d: status %d: %s' % (
                    name, r, p.returncode,
                    open(self.path(out + '.stdout.err')).read()))
            rec.append((before, out, kill))
            time.sleep(rng.random() * 0.01)
        self.consumer_runs[name] = rec

    # ---- one run ----

    def go(self):
        rng = self.rng
        pre = rng.choice([0, rng.randint(1, 12), rng.randint(250, 262),
                          rng.randint(500, 520)])
        if pre:
            rc, _, err = self.cmd(['evpub', '-q', '-l', '-T', self.topic],
                                  ''.join(event('p', k) for k in range(1, pre + 1)).encode())
        else:
            rc, _, err = self.cmd(['evpub', '-q', '-l', '-T', self.topic,
                                   '-t', 'made'], b'')
        if rc != 0:
            raise Fail('preload: status %d: %s' % (rc, err))
        self.pre = pre
        kills = not self.bus
        # Appenders.
        apps = []
        self.rng_local = {}
        for i in range(rng.randint(1, 3)):
            w = 'a%d' % i
            self.rng_local[w] = random.Random(rng.random())
            n = rng.randint(1, 40)
            kind = rng.choice(['evlog', 'evpub'])
            kill_at = rng.random() * 0.05 if rng.random() < 0.3 else None
            apps.append((w, n, kind, kill_at))
        # Followers: (name, kind, from, start delay).
        fols = []
        for i in range(rng.randint(1, 4)):
            kind = rng.choice(['cat', 'from', 'live', 'follow'])
            frm = rng.choice([1, max(1, pre // 2), max(1, pre), pre + 1,
                              pre + rng.randint(2, 5)])
            fols.append(('f%d' % i, kind, frm, rng.random() * 0.03))
        # Durable consumers: (name, --once runs).
        cons = [('c%d' % i, rng.randint(1, 4)) for i in range(rng.randint(0, 2))]
        self.rng_c = {c: random.Random(rng.random()) for c, _ in cons}
        self.consumer_runs = {}
        self.plan = dict(pre=pre, appenders=apps, followers=fols, consumers=cons)

        errors = []

        def guard(f, *a):
            try:
                f(*a)
            except Fail as e:
                errors.append(str(e))
            except Exception as e:  # a bug of the driver is a failure too
                errors.append('%s: %r' % (f.__name__, e))

        threads = [threading.Thread(target=guard, args=(self.appender,) + a)
                   for a in apps]
        threads += [threading.Thread(target=guard, args=(self.consumer, c, n, kills))
                    for c, n in cons]
        for t in threads:
            t.start()
        fprocs = {}
        t0 = time.monotonic()
        for name, kind, frm, delay in sorted(fols, key=lambda f: f[3]):
            rest = delay - (time.monotonic() - t0)
            if rest > 0:
                time.sleep(rest)
            if kind == 'cat':
                argv = ['evlog', 'cat', '-f', '-T', self.topic, '--from', str(frm)]
            elif kind == 'from':
                argv = ['evsub', '-T', self.topic, '--from', str(frm)]
            elif kind == 'live':
                argv = ['evsub', '-T', self.topic]
            else:
                if frm > 1:
                    rc, _, err = self.cmd(['evsub', '-T', self.topic, '--consumer',
                                           name, '--reset', str(min(frm, self.last() + 1))])
                    if rc != 0:
                        raise Fail('--reset: status %d: %s' % (rc, err))
                frm = self.position(name) + 1
                argv = ['evsub', '-T', self.topic, '--consumer', name]
            fprocs[name] = (kind, frm, self.spawn(argv, 'fol.' + name))
        for t in threads:
            t.join()
        if errors:
            raise Fail('; '.join(errors))
        # Once every live subscriber listens (NATS counts the readers
        # from a sequence too), one more event, that each must get.
        kinds = ('live',) if not self.bus else ('live', 'from', 'cat')
        self.wait_subs(sum(1 for f in fols if f[1] in kinds))
        rc, _, err = self.cmd(['evpub', '-q', '-l', '-T', self.topic],
                              event('z', 1).encode())
        if rc != 0:
            raise Fail('the last event: status %d: %s' % (rc, err))
        self.check_log(apps)
        self.check_followers(fprocs)
        self.check_consumers(cons)

    def wait_subs(self, want):
        deadline = time.monotonic() + 10
        while True:
            rc, out, err = self.cmd(['evsub', '--topics', '--json'])
            n = sum(len(t['subscribers']) for t in map(json.loads, out.splitlines())
                    if t['topic'] == self.topic)
            if n >= want:
                return
            if time.monotonic() > deadline:
                raise Fail('%d live subscribers, not %d' % (n, want))
            time.sleep(0.02)

    def last(self):
        rc, out, err = self.cmd(['evlog', 'cat', '-T', self.topic, '-n', '1'])
        if rc != 0:
            raise Fail('evlog cat -n 1: status %d: %s' % (rc, err))
        if out.count('\n') > 1:
            raise Fail('evlog cat -T -n 1: %d events: %s' % (
                out.count('\n'), ' '.join(str(seq_of(l)) for l in out.splitlines())))
        return seq_of(out) if out else 0

    # ---- the model, and the checks ----

    def check_log(self, apps):
        rc, out, err = self.cmd(['evlog', 'cat', '-T', self.topic])
        if rc != 0:
            raise Fail('evlog cat -T: status %d: %s' % (rc, err))
        log = out.splitlines()
        self.log = log
        ids = {}
        for i, line in enumerate(log, 1):
            e = json.loads(line)
            if int(e['sequence']) != i:
                raise Fail('log line %d has sequence %s' % (i, e['sequence']))
            if e['id'] in ids:
                raise Fail('event %s stored twice: sequences %d and %d' % (
                    e['id'], ids[e['id']], i))
            ids[e['id']] = i
        for k in range(1, self.pre + 1):
            if ids.get('p-%d' % k) != k:
                raise Fail('preloaded event %d at %s' % (k, ids.get('p-%d' % k)))
        for w, n, kind, kill_at in apps:
            acks, _ = lines_of(self.path('ack.%s' % w))
            for a in acks:
                s = seq_of(a)
                if s > len(log) or log[s - 1] != a:
                    raise Fail('%s (%s): acknowledged %s as %d, not in the log so' % (
                        w, kind, json.loads(a)['id'], s))
            mine = [json.loads(l)['data']['k'] for l in log
                    if json.loads(l)['data'].get('w') == w]
            if mine != list(range(1, len(mine) + 1)):
                raise Fail('%s (%s): its events in the log are not a prefix of '
                           'what it was given, in order: %s' % (w, kind, mine[:20]))
            if kill_at is None and len(mine) != n:
                raise Fail('%s (%s): %d of its %d events stored' % (w, kind, len(mine), n))
            if len(acks) > len(mine):
                raise Fail('%s: more acknowledged than stored' % w)

    def run_of(self, what, got, start):
        """got is log[start-1 : start-1+len(got)]."""
        want = self.log[start - 1:start - 1 + len(got)]
        if got != want:
            i = next(i for i in range(len(got)) if i >= len(want) or got[i] != want[i])
            raise Fail('%s: event %d of its output is %s, the model has %s there '
                       '(from sequence %d)' % (
                           what, i + 1, json.loads(got[i]).get('sequence'),
                           json.loads(want[i]).get('sequence') if i < len(want) else 'nothing',
                           start))

    def check_followers(self, fprocs):
        n = len(self.log)
        deadline = time.monotonic() + 10
        for name, (kind, frm, p) in fprocs.items():
            out = self.path('fol.' + name)
            while True:
                got, _ = lines_of(out)
                if kind == 'live':
                    done = bool(got) and seq_of(got[-1]) == n
                else:
                    done = len(got) >= n - frm + 1
                if done or time.monotonic() > deadline or p.poll() is not None:
                    break
                time.sleep(0.02)
            p.kill()
            p.wait()
            got, torn = lines_of(out)
            what = '%s (%s from %d)' % (name, kind, frm)
            if kind == 'live':
                seqs = [seq_of(l) for l in got]
                if seqs != sorted(set(seqs)):
                    raise Fail('%s: out of order or twice: %s' % (what, seqs[:30]))
                for l in got:
                    if self.log[seq_of(l) - 1] != l:
                        raise Fail('%s: %s differs from the log' % (what, l))
                if not seqs or seqs[-1] != n:
                    raise Fail('%s: stopped at %s, of %d' % (
                        what, seqs[-1] if seqs else 'nothing', n))
                if not self.killed_appender:
                    self.run_of(what, got, seqs[0])
                continue
            self.run_of(what, got, frm)
            if len(got) != max(0, n - frm + 1):
                raise Fail('%s: delivered %d events, to sequence %d, of %d: stalled' % (
                    what, len(got), frm + len(got) - 1, n))

    def check_consumers(self, cons):
        n = len(self.log)
        for name, _ in cons:
            runs = self.consumer_runs[name]
            # A last run, not killed, to the end.
            before = self.position(name)
            out = 'cons.%s.last' % name
            rc, _, err = self.cmd(['evsub', '-T', self.topic, '--consumer', name,
                                   '--once', '-o', self.path(out)])
            if rc != 0:
                raise Fail('consumer %s, last run: status %d: %s' % (name, rc, err))
            runs = runs + [(before, out, False)]
            after = [r[0] for r in runs[1:]] + [self.position(name)]
            if runs[0][0] != 0:
                raise Fail('consumer %s: its first run found position %d' % (name, runs[0][0]))
            for i, ((pos, o, killed), nxt) in enumerate(zip(runs, after)):
                got, torn = lines_of(self.path(o))
                what = 'consumer %s run %d%s' % (name, i + 1, ' (killed)' if killed else '')
                self.run_of(what, got, pos + 1)
                if nxt < pos or nxt > pos + len(got):
                    raise Fail('%s: position %d before, %d after, delivered %d' % (
                        what, pos, nxt, len(got)))
                if not killed and nxt != pos + len(got):
                    raise Fail('%s: delivered to %d, committed %d' % (what, pos + len(got), nxt))
            if after[-1] != n:
                raise Fail('consumer %s: at %d after its last run, of %d' % (name, after[-1], n))

    def stop(self):
        with self.lock:
            for p in self.procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()


def main():
    bus = None
    args = sys.argv[1:]
    if args[:1] == ['--bus'] and len(args) == 2:
        bus = args[1]
    elif args:
        sys.exit('usage: prop.py [--bus url]')
    seed = int(os.environ.get('PROP_SEED') or int(time.time() * 1000) % 1000000000)
    runs = int(os.environ.get('PROP_RUNS', '20'))
    base = tempfile.mkdtemp(prefix='prop.', dir=os.environ.get('BATS_TEST_TMPDIR'))
    t0 = time.monotonic()
    for s in range(seed, seed + runs):
        r = Run(s, bus, base)
        try:
            r.go()
        except Fail as e:
            r.stop()
            print('prop: seed %d failed: %s' % (s, e))
            print('prop: the run: %s' % json.dumps(r.plan if hasattr(r, 'plan') else {}))
            print('prop: its files: %s' % r.dir)
            print('prop: again: PROP_SEED=%d PROP_RUNS=1 %s%s (the programs '
                  'first on PATH), or PROP_SEED=%d PROP_RUNS=1 PROP_NATS_RUNS=1 '
                  'bats tests/prop.bats' % (
                      s, sys.argv[0], ' --bus ' + bus if bus else '', s))
            sys.exit(1)
        r.stop()
        shutil.rmtree(r.dir, ignore_errors=True)
    print('prop: %d runs, seeds %d..%d, %.1f s%s' % (
        runs, seed, seed + runs - 1, time.monotonic() - t0,
        ' on ' + bus if bus else ''))


if __name__ == '__main__':
    main()
