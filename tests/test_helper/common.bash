# SPDX-License-Identifier: ISC
# common.bash - loaded by every suite: assertions, the programs under test
# first on PATH, and a private HOME so that no test touches the real one.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="${EVENTFUL_BIN:-$ROOT/bin}"
PATH="$BIN:$PATH"
# DATA is the real data of tests/data (see its README).  CORPUS is a
# folder of the same layout named by EVENTFUL_EXTRA_CORPUS (make test
# EXTRA_CORPUS=DIR), empty by default; no test needs it.  The tests that
# go through every file of a folder, or every line of a sample, do it for
# each of DATASETS: DATA, then CORPUS when one is named.
DATA="$ROOT/tests/data"
CORPUS=
DATASETS=("$DATA")
if [ -n "${EVENTFUL_EXTRA_CORPUS:-}" ]; then
	CORPUS="$(cd "$EVENTFUL_EXTRA_CORPUS" && pwd)" ||
	    { echo "EXTRA_CORPUS=$EVENTFUL_EXTRA_CORPUS: no such folder" >&2; exit 1; }
	DATASETS+=("$CORPUS")
fi
export PATH ROOT DATA CORPUS

export HOME="$BATS_TEST_TMPDIR/home"
export EVENTFUL_HOME="$BATS_TEST_TMPDIR/eventful"
unset EV_SOURCE EVENTFUL_URL EVENTFUL_BUS NATS_URL NO_COLOR
mkdir -p "$HOME"
cd "$BATS_TEST_TMPDIR" || exit 1

# The JSON Schema validator is Debian's python3-jsonschema, under Debian's
# python3 (another python3 may come first on PATH).
SYSPY=/usr/bin/python3

# schema_check FILE: every line of FILE validates against the CloudEvents
# JSON Schema of tests/data.
schema_check() {
	"$SYSPY" - "$DATA/cloudevents/schema.json" "$1" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
n = 0
for line in open(sys.argv[2], encoding="utf-8"):
    n += 1
    errs = list(v.iter_errors(json.loads(line)))
    if errs:
        print("line %d: %s" % (n, errs[0].message))
        sys.exit(1)
print("%d valid" % n)
PY
}

# maxrss IN CMD...: runs CMD with stdin from IN, output discarded, and
# prints its exit status and peak resident memory in KiB.
maxrss() {
	"$SYSPY" - "$@" <<'PY'
import os, subprocess, sys
with open(sys.argv[1], "rb") as f:
    p = subprocess.Popen(sys.argv[2:], stdin=f, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _, st, ru = os.wait4(p.pid, 0)
print(os.waitstatus_to_exitcode(st), ru.ru_maxrss)
PY
}

# synopsis_is_usage PROG: the SYNOPSIS of PROG(1), as mandoc renders it,
# is word for word the usage that PROG --help prints.
synopsis_is_usage() {
	local usage synopsis
	usage=$("$1" --help | sed -n '1,/^$/p' | sed 's/^usage: //' | tr -s ' \n' ' ' | sed 's/ $//')
	synopsis=$(MANWIDTH=200 mandoc -Tascii -O width=200 "$ROOT/man/man1/$1.1" | col -b |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \t\n' ' ' | sed 's/^ //;s/ $//')
	[ "$synopsis" = "$usage" ] || { printf 'usage:    %s\nsynopsis: %s\n' "$usage" "$synopsis"; return 1; }
}

# mktopic NAME...: makes each topic, with no events yet, as a user would
# before its live subscribers come (evpub -T NAME -l with nothing on
# stdin): a subscriber never makes one, it waits for a publisher.
mktopic() {
	local t
	for t in "$@"; do
		evpub -T "$t" -l -t topic.made </dev/null || return 1
	done
}

# The LD_PRELOAD shim of tests/fault (make unit builds it) that makes the
# Nth write, fsync or rename fail.
FAULT=${EVENTFUL_FAULT:-$ROOT/build/release/fault.so}

# need_fault: fails the test when the fault shim is missing (a test that
# preloads nothing proves nothing), and lets the shim come before the
# sanitizers' runtime under make check.  Each test that preloads FAULT
# calls it first.
need_fault() {
	[ -f "$FAULT" ] || { echo "no fault shim at $FAULT"; return 1; }
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
}

# freeports N: N loopback ports free now, one a line.  Suites run side by
# side, and other programs on the machine too: a test never takes a fixed
# port.
freeports() {
	"$SYSPY" - "$1" <<'PY'
import socket, sys
ss = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    ss.append(s)
for s in ss:
    print(s.getsockname()[1])
PY
}

# bg CMD...: runs CMD in the background, its pid in LAST and added to
# BGPIDS, which a suite's teardown kills.
bg() { "$@" & BGPIDS="${BGPIDS-} $!"; LAST=$!; }

# exited PID STATUS...: waits (10 s at most) for the background job PID to
# end; its exit status must be one of STATUS... (143: SIGTERM, 137: kill -9).
exited() {
	local pid=$1 st=0 i s
	shift
	for i in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "process $pid still runs after 10 s"
		return 1
	fi
	wait "$pid" || st=$?
	for s; do
		[ "$st" != "$s" ] || return 0
	done
	echo "process $pid ended with status $st, not ${*// / or }"
	return 1
}

# killed PID: kill -9 of the background job PID at a random moment of its
# run, which may be after its end: it ended with 137, or 0 when done first.
killed() {
	kill -9 "$1" 2>/dev/null || true  # honest: it may have ended first
	exited "$1" 137 0
}

# readto PID FILE: waits (10 s at most) until the process PID has read the
# regular file FILE, which it has open, to its end (its offset there is the
# file's size): it has seen all there is, and can only wait for more.
readto() {
	local pid=$1 file i fd size pos
	file=$(readlink -f "$2")
	for i in $(seq 200); do
		size=$(stat -c %s "$file")
		for fd in /proc/"$pid"/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = "$file" ] || continue
			pos=$(awk '/^pos:/ { print $2 }' \
			    /proc/"$pid"/fdinfo/"${fd##*/}" 2>/dev/null)
			[ "${pos:-0}" -lt "$size" ] || return 0
		done
		sleep 0.05
	done
	echo "process $pid has not read $2 to its end (${pos:-no} of $size bytes) in 10 s"
	return 1
}

# fifos TOPIC N: waits (10 s at most) until N live subscribers' FIFOs are
# in the directory bus's topic TOPIC (its own mechanics; the suites that
# run on both buses count through --topics instead).
fifos() {
	local i d="$EVENTFUL_HOME/topics/$1/subs"
	for i in $(seq 200); do
		[ "$(find "$d" -maxdepth 1 -type p ! -name '.*' 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "$(find "$d" -maxdepth 1 -type p ! -name '.*' 2>/dev/null | wc -l) subscribers of $1, not $2"; return 1
}
