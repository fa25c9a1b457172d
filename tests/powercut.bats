#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# powercut.bats - the power-cut simulator: the writes, fsyncs, renames and
# directory changes of evlog append (each --sync mode), evpub -T (a new
# topic), evproject --state, a durable consumer's commits and evlog repair
# moving damage aside are recorded (tests/fault/record.c), and the on-disk
# states a power cut may leave are built from the recording and checked
# (tests/test_helper/powercut.py, whose header states the model of the
# disk; evlog(5), Crash safety).
# POWERCUT_STATES states are drawn per scenario here (make test); make
# soak draws SOAK_STATES.  A failure prints the seed that draws it again.

load test_helper/common

RECORD=${EVENTFUL_RECORD:-$ROOT/build/release/record.so}

setup() {
	[ -f "$RECORD" ] || { echo "no record shim at $RECORD (make unit)"; return 1; }
	export EVENTFUL_RECORD="$RECORD" EVENTFUL_BIN="$BIN"
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	export TMPDIR="$BATS_TEST_TMPDIR"
}

powercut() { "$SYSPY" "$ROOT/tests/test_helper/powercut.py" "$@"; }

# ---- the recorder ----

@test "record: an append's write, fsync and acknowledgement, in that order" {
	mkdir root
	printf '{"specversion":"1.0","id":"1","source":"//t","type":"t"}\n' >in
	RECORD_DIR=$PWD/root RECORD_OUT=$PWD/trace RECORD_TAG=one \
	    LD_PRELOAD=$RECORD run -0 evlog append --sync event root/a.log <in
	run -0 grep -a -o '^[a-z]* [0-9]* one' trace
	# The order that matters: made, written, made durable, acknowledged.
	run -0 sh -c "grep -a -o '^[a-z]*' trace | grep -x -e create -e write -e fsync -e fsynced -e out -e exit | uniq | tr '\n' ' '"
	assert_output --partial "create write fsync fsynced out"
	run -0 grep -a -c '^out [0-9]* one .*[0-9]$' trace
	assert_output 1
}

@test "record: a program not named in RECORD_PROGS, and a path outside RECORD_DIR, are not recorded" {
	mkdir root other
	printf '{"specversion":"1.0","id":"1","source":"//t","type":"t"}\n' >in
	RECORD_DIR=$PWD/root RECORD_OUT=$PWD/trace RECORD_PROGS=evsub \
	    LD_PRELOAD=$RECORD run -0 evlog append root/a.log <in
	[ ! -e trace ] || { echo "recorded evlog:"; cat trace; return 1; }
	RECORD_DIR=$PWD/root RECORD_OUT=$PWD/trace \
	    LD_PRELOAD=$RECORD run -0 evlog append other/a.log <in
	run -1 grep -a -c '^write ' trace
	assert_output 0
}

# ---- the states ----

@test "power cut: every state drawn keeps the promises of each scenario" {
	run -0 powercut --states "${POWERCUT_STATES:-40}"
	echo "$output"
	assert_line --regexp '^powercut: [0-9]+ states \([0-9]+ distinct\), 0 failed'
}

# The third bullet of "A power cut can brick a log" (issue 26): a new log's
# and a new topic's names were never made durable, only the log's bytes.
@test "power cut: a new log's and a new topic's names outlive a cut that keeps no unsynced directory change" {
	run -0 powercut --states 4 --dirs none append-event evpub-topic-event \
	    evpub-topic-batch evpub-killed-maker
	echo "$output"
	assert_line --regexp '^powercut: 16 states .*, 0 failed'
}

@test "power cut: the simulator finds --sync none's acknowledgements lost (it can fail)" {
	run -1 powercut --states 30 --seed 7 --claim-durable append-none-old
	assert_line --partial 'acknowledged as sequence'
	assert_line --regexp '^  again: .* --seed 7 --claim-durable --states 30 append-none-old$'
}

@test "power cut: a seed draws the same states again" {
	run -0 powercut --states 6 --seed 11 evproject-state
	first=$(grep distinct <<<"$output")
	run -0 powercut --states 6 --seed 11 evproject-state
	[ "$(grep distinct <<<"$output")" = "$first" ] ||
	    { echo "seed 11: '$first', then:"; echo "$output"; return 1; }
	run -2 powercut nosuch
	assert_output --partial 'no scenario nosuch'
}

# ---- making names durable fails ----

@test "a new log whose directory cannot be made durable: exit 1, nothing acknowledged" {
	need_fault
	printf '{"specversion":"1.0","id":"1","source":"//t","type":"t"}\n' >in
	FAULT_CALL=fsync FAULT_N=1 LD_PRELOAD=$FAULT run -1 --separate-stderr \
	    evlog append --sync event new.log <in
	assert_output ''
	[[ $stderr == *"new.log: fsync of the log's directory: Input/output error"* ]] ||
	    { echo "stderr: $stderr"; return 1; }
	# Nothing was written, and the next append, whose fsyncs work, makes
	# the directory durable then (the log is still empty).
	[ ! -s new.log ]
	FAULT_CALL=fsync FAULT_COUNT=count LD_PRELOAD=$FAULT run -0 evlog append --sync event new.log <in
	assert_equal "$(cat count)" 2
}

@test "a new topic whose directories cannot be made durable: evpub exits 1, acknowledges nothing" {
	need_fault
	for n in 1 2 3 4 5; do
		rm -rf "$EVENTFUL_HOME"
		FAULT_CALL=fsync FAULT_N=$n LD_PRELOAD=$FAULT run -1 --separate-stderr \
		    evpub -T t -t x n:=1
		assert_output ''
		[[ $stderr == *"Input/output error"* ]] || { echo "#$n: $stderr"; return 1; }
	done
	# Made whole by the next publisher, which acknowledges.
	run -0 evpub -T t -t x n:=1
	run -0 evlog cat -T t
	assert_equal "${#lines[@]}" 1
}

@test "a consumer's commit whose directory cannot be made durable: exit 1, said (it was ignored)" {
	need_fault
	run -0 evpub -T t -t x n:=1
	# The commit's fsyncs: its temporary file, then the directory.
	FAULT_CALL=fsync FAULT_N=2 LD_PRELOAD=$FAULT run -1 --separate-stderr \
	    evsub -T t --consumer c --once
	assert_output --partial '"type":"x"'
	[[ $stderr == *"consumers: committing the position: fsync of the directory: Input/output error"* ]] ||
	    { echo "stderr: $stderr"; return 1; }
}
