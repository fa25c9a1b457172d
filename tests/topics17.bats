#!/usr/bin/env bats
# Issue 17, topics: subscribing never makes a topic; replay, rewind and
# deletion without editing files; --topics --json; topics a group
# shares; CE_SEQUENCE a shell can count with; a file where a filter goes.

load test_helper/common

T="$EVENTFUL_HOME/topics"

teardown() {
	# Nothing a test started may outlive it.
	for p in ${BGPIDS-}; do kill "$p" 2>/dev/null || true; done
}

bg() { "$@" & BGPIDS="${BGPIDS-} $!"; LAST=$!; }

# subs TOPIC N: waits until N live subscribers are in place.
subs() {
	local i
	for i in $(seq 200); do
		[ "$(find "$T/$1/subs" -maxdepth 1 -type p ! -name '.*' 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "fewer than $2 subscribers of $1"; return 1
}

# lines_in FILE N: waits until FILE has N lines.
lines_in() {
	local i
	for i in $(seq 200); do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "$1: $(wc -l <"$1" 2>/dev/null) lines of $2"; return 1
}

# grows FILE TEXT: waits until FILE holds TEXT.
grows() {
	local i
	for i in $(seq 200); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "$1 never held: $2"; cat "$1"; return 1
}

# ---- CE_SEQUENCE ------------------------------------------------------------

@test "CE_SEQUENCE is plain decimal for --exec, as shell arithmetic needs; the event keeps its padding" {
	for i in $(seq 8); do evpub -T orders -t order.placed n:=$i >/dev/null; done
	run -0 evsub -T orders --consumer billing --once 'data.n=8' --exec bash -c 'echo "$CE_SEQUENCE $((CE_SEQUENCE+1))"; jq -r .sequence'
	assert_output $'8 9\n000000000008'
	# Not all digits: as it is.
	echo '{"specversion":"1.0","type":"t","source":"s","id":"1","sequence":"0a1"}' >in
	run -0 evsub --exec printenv CE_SEQUENCE <in
	assert_output 0a1
	echo '{"specversion":"1.0","type":"t","source":"s","id":"1","sequence":"0000"}' >in
	run -0 evsub --exec printenv CE_SEQUENCE <in
	assert_output 0
}
