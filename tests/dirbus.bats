#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The directory bus's own mechanics, which NATS JetStream has no
# counterpart of: the FIFOs of live subscribers, the log file and its
# fsync.  What both buses promise is in topics.bats, which runs on each.

load test_helper/common

T="$EVENTFUL_HOME/topics"

teardown() {
	# Nothing a test started may outlive it.
	for p in ${BGPIDS-}; do kill "$p" 2>/dev/null || true; done  # honest: cleanup; it may have ended
}

# lines N: N data lines {"n":1} ... {"n":N}.
lines() { seq "$1" | sed 's/.*/{"n":&}/'; }

@test "evlog append into a topic's log: durable consumers get it, live subscribers do not" {
	# An append to the log file itself: NATS has no file to append to.
	mktopic mix
	bg evsub -T mix -c 2 -o live
	fifos mix 1
	evpub -T mix -t t n:=1
	evpub -t t n:=2 | evlog append "$T/mix/log" >/dev/null
	evpub -l -T mix <<<'{"specversion":"1.0","id":"made","source":"//x","type":"t","data":{"n":3}}'
	wait "$LAST"
	# The live subscriber got what the publishers published, as the log
	# holds it; not the event evlog appended.
	assert_equal "$(jq -r .data.n live | tr '\n' ' ')" "1 3 "
	cmp live <(sed -n '1p;3p' "$T/mix/log")
	run -0 evsub -T mix --consumer c --once
	assert_equal "$(jq -r .data.n <<<"$output" | tr '\n' ' ')" "1 2 3 "
}

@test "a hidden FIFO left by a subscriber killed in start-up goes at a publish, once a minute old and its process gone" {
	# A FIFO of the directory bus's; a NATS subscriber leaves nothing behind.
	evpub -T h -t n n:=1
	sh -c 'exit 0' &
	dead=$!
	wait "$dead"
	d="$T/h/subs"
	mkfifo "$d/.evsub-$dead" "$d/.evsub-$$" "$d/.other"
	touch -h -d '-2 minutes' "$d/.evsub-$dead" "$d/.evsub-$$" "$d/.other"
	evpub -T h -t n n:=2
	# Its process gone and two minutes old: removed.
	[ ! -e "$d/.evsub-$dead" ]
	# A live process's, and a name not ours: kept.
	[ -p "$d/.evsub-$$" ]
	[ -p "$d/.other" ]
	# Gone, but just made: a subscriber may be starting.
	rm "$d/.evsub-$$"
	mkfifo "$d/.evsub-$dead"
	evpub -T h -t n n:=3
	[ -p "$d/.evsub-$dead" ]
}

@test "a consumer whose position is past the end of the log says so, and delivers nothing" {
	# A log removed by hand under its consumers: a NATS stream goes with them.
	lines 5 | evpub -l -T gone -t n
	evsub -T gone --consumer c --once >/dev/null
	rm "$T/gone/log" "$T/gone/log.idx"
	lines 3 | evpub -l -T gone -t n
	run -1 --separate-stderr evsub -T gone --consumer c --once
	[[ $stderr == *"c: position 5 is past the end of topic gone (sequence 3)"* ]]
	assert_output ''
}

@test "a publisher killed in the middle of an event: subscribers drop the half, and go on" {
	# A FIFO takes bytes; a NATS message comes whole or not at all.
	mktopic half
	bg evsub -T half -o got 2>half.err
	sub=$LAST
	fifos half 1
	# A writer of our own plays the dying publisher: half an event, gone.
	frag='{"specversion":"1.0","id":"x","sou'
	printf '%s' "$frag" >"$(find "$T/half/subs" -type p ! -name '.*')"
	evpub -T half -t t n:=1
	for _ in $(seq 100); do [ -s got ] && break; sleep 0.05; done
	assert_equal "$(jq -r .data.n got)" 1
	grep -q "a writer went away in the middle of an event: ${#frag} bytes dropped" half.err || { cat half.err; return 1; }
	kill "$sub"
}

@test "an fsync that fails: the publisher stops with 1, and subscribers got exactly what the log holds" {
	# The publisher's own fsync: on NATS the server stores.
	need_fault
	# 24 MB: groups of 1 MiB, one made durable while the next is written.
	pad=$(printf '%3000s' '' | tr ' ' x)
	seq 8000 | awk -v pad="$pad" '{ printf "{\"n\":%d,\"pad\":\"%s\"}\n", $1, pad }' >in
	# The first publisher of a topic with an empty log makes four
	# directories durable first (evlog(5), Crash safety): the log's,
	# topics/, the home and the home's parent.  The log's own fsyncs come
	# after those.
	for n in 1 2 5 12; do
		rm -rf "$T/f" sub.out
		mktopic f
		bg evsub -T f -o sub.out
		fifos f 1
		status=0
		FAULT_CALL=fsync FAULT_N=$((n + 4)) LD_PRELOAD=$FAULT evpub -l -t t -T f <in 2>err || status=$?
		[ "$status" -eq 1 ] || { echo "#$n: status $status"; return 1; }
		grep -q 'log: append (nothing of this batch is stored or published): Input/output error' err
		run -0 evlog verify "$T/f/log"
		[ "$(wc -l <"$T/f/log")" -lt 8000 ]
		# A last event, published cleanly, ends what the subscriber
		# gets: all of the log, nothing more.
		evpub -T f -t end n:=0
		for _ in $(seq 100); do
			[ -s sub.out ] && [[ $(tail -1 sub.out) == *'"type":"end"'* ]] && break
			sleep 0.05
		done
		kill "$LAST"
		cmp sub.out "$T/f/log"
	done
}

@test "a full topic log: the publisher says so, exits 1, and publishes nothing" {
	# A log file at the last sequence it can hold.
	mkdir -p "$T/full"
	echo '{"specversion":"1.0","type":"t","source":"s","id":"1","sequence":"999999999999"}' >"$T/full/log"
	bg evsub -T full -o sub.out
	fifos full 1
	run -1 --separate-stderr evpub -l -T full -t t < <(lines 3)
	[[ $stderr == *"log: full: sequence 999999999999 is the last a log can hold"* ]]
	assert_equal "$(wc -l <"$T/full/log")" 1
	kill "$LAST"
	[ ! -s sub.out ]
}
