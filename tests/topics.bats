#!/usr/bin/env bats
# Topics: evpub -T appends to a topic's log and writes to its live
# subscribers' FIFOs; evsub -T listens (at most once), evsub -T --consumer
# reads the log from its committed position (at least once); --topics.

load test_helper/common

T="$EVENTFUL_HOME/topics"

teardown() {
	# Nothing a test started may outlive it.
	for p in ${BGPIDS-}; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
}

bg() { "$@" & BGPIDS="${BGPIDS-} $!"; LAST=$!; }

# subs TOPIC N: waits until N live subscribers are in place.
subs() {
	local i
	for i in $(seq 100); do
		[ "$(find "$T/$1/subs" -maxdepth 1 -type p ! -name '.*' 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "only $(ls "$T/$1/subs" | wc -l) subscribers of $2"; return 1
}

# lines N: N data lines {"n":1} ... {"n":N}.
lines() { seq "$1" | sed 's/.*/{"n":&}/'; }

@test "a topic name is letters, digits, '.', '_' and '-': nothing else, no path tricks" {
	for bad in ../x a/b . .. '' 'a b' .hidden x.tmp y.lock "$(printf 'x%.0s' $(seq 200))"; do
		run -2 evpub -T "$bad" -t t n:=1
		run -2 evsub -T "$bad"
	done
	run -2 evsub -T ok --consumer ../up
	run -2 evsub -T ok --consumer a.tmp
	run -2 evsub -T ok --consumer .a.lock
	[ ! -e "$EVENTFUL_HOME/x" ]
	run -0 evpub -T a.b_c-1 -t t n:=1
	[ -f "$T/a.b_c-1/log" ]
	assert_equal "$(stat -c %a "$T/a.b_c-1")" 700
}

@test "options that do not go together are usage errors" {
	run -2 evpub -T t -o out -t t n:=1
	run -2 evpub --sync none -t t n:=1
	run -2 evpub --max-wait 1 -t t n:=1
	run -2 evsub -T t -i file
	run -2 evsub -T t -f
	run -2 evsub --consumer c
	run -2 evsub -T t --once
	run -2 evsub --topics -T t
	run -2 evpub -T t --sync sometimes -t t n:=1
}

@test "the topic's log is an evlog log: same sequence, same checks, same durability" {
	lines 10 | evpub -l -T orders -t order.placed
	evpub -T orders -t order.paid n:=11
	run -0 evlog verify "$T/orders/log"
	run -0 evlog cat -n 1 "$T/orders/log"
	assert_equal "$(jq -r .sequence <<<"$output")" 000000000011
	# evlog append and evpub -T share the log and its numbering.
	evpub -t order.shipped n:=12 | evlog append "$T/orders/log" >/dev/null
	evpub -T orders --sync event -t order.paid n:=13
	assert_equal "$(jq -r .sequence "$T/orders/log" | tail -3 | tr '\n' ' ')" "000000000011 000000000012 000000000013 "
	# An event published twice (same source and id) is stored once.
	evpub -t t --id same n:=1 >e
	evpub -l -T orders <e
	run -0 --separate-stderr evpub -l -T orders <e
	[[ $stderr == *"in the log already"* ]]
	assert_equal "$(grep -c '"id":"same"' "$T/orders/log")" 1
	# Invalid lines are refused as everywhere, and never reach the log.
	run -3 evpub -l -T orders <<<'{"specversion":"0.3"}'
	run -0 evlog verify "$T/orders/log"
}

@test "evlog append into a topic's log: durable consumers get it, live subscribers do not" {
	mktopic mix
	bg evsub -T mix -c 2 -o live
	subs mix 1
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

@test "EVENTFUL_HOME, else XDG_STATE_HOME, else ~/.local/state/eventful" {
	unset EVENTFUL_HOME
	evpub -T a -t t n:=1
	[ -f "$HOME/.local/state/eventful/topics/a/log" ]
	XDG_STATE_HOME=$BATS_TEST_TMPDIR/xdg evpub -T a -t t n:=1
	[ -f "$BATS_TEST_TMPDIR/xdg/eventful/topics/a/log" ]
	run -0 evsub --topics
	assert_output "$(printf 'a\tevents 1\tsubscribers 0')"
}

@test "1 publisher, 8 live subscribers, 100,000 events: each gets every event once, in order" {
	mktopic big
	for i in 1 2 3 4 5 6 7 8; do bg evsub -T big -c 100000 -o "out.$i"; done
	subs big 8
	lines 100000 | evpub -l -T big -t n
	for p in $BGPIDS; do wait "$p"; done
	assert_equal "$(wc -l <"$T/big/log")" 100000
	for i in 1 2 3 4 5 6 7 8; do
		# What a live subscriber gets is the log's lines, stamped.
		cmp "out.$i" "$T/big/log" || { echo "subscriber $i differs"; return 1; }
	done
	# They exited: their FIFOs are gone.
	[ -z "$(ls "$T/big/subs")" ]
}

@test "4 publishers at once with 64 KiB events: every line every subscriber gets is intact" {
	mktopic wide
	for i in 1 2 3; do bg evsub -T wide -c 120 -o "out.$i"; done
	subs wide 3
	pad=$(head -c 65000 /dev/zero | tr '\0' x)
	pids=()
	for p in 1 2 3 4; do
		( for j in $(seq 30); do printf '{"p":%d,"j":%d,"pad":"%s"}\n' "$p" "$j" "$pad"; done |
			evpub -l -T wide -t wide --max-wait 10 ) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	for p in $BGPIDS; do wait "$p"; done
	for i in 1 2 3; do
		assert_equal "$(wc -l <"out.$i")" 120
		run -0 evlog verify "out.$i"
		cmp "out.$i" "$T/wide/log"
	done
	# Each publisher's events in its own order.
	for p in 1 2 3 4; do
		assert_equal "$(jq -r "select(.data.p == $p) | .data.j" out.1 | tr '\n' ' ')" "$(seq 30 | tr '\n' ' ')"
	done
}

@test "kill -9 of one live subscriber mid-stream: the others go on, its FIFO goes at the next publish" {
	mktopic k
	for i in 1 2 3; do bg evsub -T k -o "out.$i"; eval "s$i=\$LAST"; done
	subs k 3
	lines 3000 | while read -r l; do printf '%s\n' "$l"; done | evpub -l -T k -t n &
	pub=$!
	for _ in $(seq 100); do [ "$(wc -l <out.2)" -ge 500 ] && break; sleep 0.02; done
	kill -9 "$s2"
	wait "$pub"
	evpub -T k -t n n:=3001
	for i in $(seq 100); do [ "$(wc -l <out.1)" -ge 3001 ] && [ "$(wc -l <out.3)" -ge 3001 ] && break; sleep 0.05; done
	cmp out.1 "$T/k/log"
	cmp out.3 "$T/k/log"
	assert_equal "$(ls "$T/k/subs" | wc -l)" 2
	[ ! -e "$T/k/subs/evsub-$s2" ]
}

@test "a hidden FIFO left by a subscriber killed in start-up goes at a publish, once a minute old and its process gone" {
	evpub -T h -t n n:=1
	sh -c 'exit 0' &
	dead=$!
	wait "$dead" || true
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

@test "a subscriber that stops reading is cut off after --max-wait; the others keep receiving" {
	mktopic slow
	bg evsub -T slow -o good
	good=$LAST
	bg evsub -T slow -o stuck 2>stuck.err
	stuck=$LAST
	subs slow 2
	kill -STOP "$stuck"
	# More than a FIFO holds, so that the publisher has to wait.
	run -0 --separate-stderr bash -c "seq 3000 | sed 's/.*/{\"n\":&,\"pad\":\"$(head -c 300 /dev/zero | tr '\0' y)\"}/' | evpub -l -T slow -t n --max-wait 0.3"
	[[ $stderr == *"slow: subscriber evsub-$stuck: took nothing for --max-wait: cut off"* ]]
	for _ in $(seq 100); do [ "$(wc -l <good)" -ge 3000 ] && break; sleep 0.05; done
	cmp good "$T/slow/log"
	[ ! -e "$T/slow/subs/evsub-$stuck" ]
	# Woken, the stuck one finds it was cut off, says so, and exits 1.
	kill -CONT "$stuck"
	status=0
	wait "$stuck" || status=$?
	assert_equal "$status" 1
	grep -q "slow: cut off by a publisher" stuck.err || { cat stuck.err; return 1; }
	# What it got before is whole, in order, and written out; the rest
	# of an event cut in two is dropped, not taken for a bad line.
	run -1 grep -q 'invalid JSON' stuck.err
	[ -s stuck ]
	cmp stuck <(head -n "$(wc -l <stuck)" "$T/slow/log")
}

@test "SIGINT, SIGTERM and SIGHUP remove the subscriber's FIFO" {
	for sig in INT TERM HUP; do
		mktopic sig
		bg evsub -T sig -o /dev/null
		subs sig 1
		kill -s "$sig" "$LAST"
		wait "$LAST" || true
		[ -z "$(ls "$T/sig/subs")" ] || { echo "SIG$sig left $(ls "$T/sig/subs")"; return 1; }
	done
	# A stale FIFO (its reader gone without cleaning up) is removed by the
	# next publisher.
	mkfifo "$T/sig/subs/evsub-999999"
	evpub -T sig -t t n:=1
	[ -z "$(ls "$T/sig/subs")" ]
}

@test "the cron story: publish 100, --once, publish 50, --once: 150 deliveries, each once" {
	lines 100 | evpub -l -T cron -t n
	run -0 evsub -T cron --consumer billing --once --exec sh -c 'cat >>delivered'
	assert_equal "$(wc -l <delivered)" 100
	seq 101 150 | sed 's/.*/{"n":&}/' | evpub -l -T cron -t n
	run -0 evsub -T cron --consumer billing --once --exec sh -c 'cat >>delivered'
	assert_equal "$(wc -l <delivered)" 150
	# Nothing new: nothing delivered.
	run -0 evsub -T cron --consumer billing --once --exec sh -c 'cat >>delivered'
	assert_equal "$(wc -l <delivered)" 150
	assert_equal "$(jq -r .data.n delivered | tr '\n' ' ')" "$(seq 150 | tr '\n' ' ')"
	assert_equal "$(cat "$T/cron/consumers/billing")" 150
	# Another consumer starts from the beginning, on its own position.
	run -0 evsub -T cron --consumer audit --once
	assert_equal "${#lines[@]}" 150
}

@test "a command failing at event 120: the run stops with 1, the next starts at 120" {
	lines 200 | evpub -l -T f -t n
	cat >deliver <<'EOF'
#!/bin/sh
e=$(cat)
n=$(printf '%s' "$e" | jq .data.n)
[ -e broken ] && [ "$n" -eq 120 ] && exit 1
printf '%s\n' "$n" >>got
EOF
	chmod +x deliver
	touch broken
	run -1 --separate-stderr evsub -T f --consumer c --once --retries 0 --exec ./deliver
	assert_equal "$(tail -1 got)" 119
	assert_equal "$(cat "$T/f/consumers/c")" 119
	rm broken
	run -0 evsub -T f --consumer c --once --retries 0 --exec ./deliver
	assert_equal "$(sed -n 120p got)" 120
	assert_equal "$(tr '\n' ' ' <got)" "$(seq 200 | tr '\n' ' ')"
	# With --dead-letter, the failing event is parked and the run goes on.
	lines 5 | evpub -l -T dl -t n
	run -1 evsub -T dl --consumer c --once --retries 0 --dead-letter parked --exec sh -c 'jq -e ".data.n != 3" >/dev/null'
	assert_equal "$(jq -r .data.n parked)" 3
	assert_equal "$(cat "$T/dl/consumers/c")" 5
}

@test "kill -9 of a consumer mid-run: the next run skips nothing" {
	lines 400 | evpub -l -T kc -t n
	for round in 1 2 3 4 5; do
		bg evsub -T kc --consumer c --once --exec sh -c 'jq .data.n >>got; sleep 0.005'
		sleep "0.$((RANDOM % 3 + 1))"
		kill -9 "$LAST" 2>/dev/null || true
		wait "$LAST" 2>/dev/null || true
	done
	run -0 evsub -T kc --consumer c --once --exec sh -c 'jq .data.n >>got'
	# At least once: every event delivered, some perhaps twice.
	assert_equal "$(sort -n got | uniq | tr '\n' ' ')" "$(seq 400 | tr '\n' ' ')"
	assert_equal "$(cat "$T/kc/consumers/c")" 400
}

@test "two runs of one consumer at once: the second says so and exits 7" {
	lines 3 | evpub -l -T two -t n
	bg evsub -T two --consumer c --exec sh -c 'cat >/dev/null; sleep 5'
	first=$LAST
	for _ in $(seq 100); do [ -e "$T/two/consumers/.c.lock" ] && break; sleep 0.05; done
	sleep 0.2
	run -7 evsub -T two --consumer c --once
	assert_output --partial 'one at a time'
	kill "$first"
}

@test "a consumer without --once follows the log; filters and formats apply" {
	lines 3 | evpub -l -T fo -t a
	bg evsub -T fo --consumer c -c 3 --data type=b
	follower=$LAST
	sleep 0.3
	printf '{"n":4}\n{"n":5}\n{"n":6}\n' | evpub -l -T fo -t b
	for _ in $(seq 100); do kill -0 "$follower" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$follower" 2>/dev/null
	assert_equal "$(cat "$T/fo/consumers/c")" 6
	run -0 evsub -T fo --consumer c --once
	assert_output ''
}

@test "--topics: each topic, its events, live subscribers, and each consumer's position and lag" {
	lines 10 | evpub -l -T one -t n
	lines 4 | evpub -l -T two -t n
	evsub -T one --consumer billing --once -c 7 >/dev/null
	bg evsub -T two -o /dev/null
	subs two 1
	run -0 evsub --topics
	assert_equal "${lines[0]}" "$(printf 'one\tevents 10\tsubscribers 0')"
	assert_equal "${lines[1]}" "$(printf 'one\tconsumer billing\tposition 7\tlag 3')"
	assert_equal "${lines[2]}" "$(printf 'two\tevents 4\tsubscribers 1')"
	# A damaged position file is reported, and the rest still listed.
	printf 'garbage' >"$EVENTFUL_HOME/topics/one/consumers/audit"
	run -0 --separate-stderr evsub --topics
	assert_equal "${lines[1]}" "$(printf 'one\tconsumer audit\tposition ?\tlag ?')"
	assert_equal "${lines[2]}" "$(printf 'one\tconsumer billing\tposition 7\tlag 3')"
	[[ $stderr == *"consumers/audit: not a position"* ]]
	# And the consumer itself refuses to guess where to start.
	run -1 evsub -T one --consumer audit --once
}

@test "a consumer whose position is past the end of the log says so, and delivers nothing" {
	lines 5 | evpub -l -T gone -t n
	evsub -T gone --consumer c --once >/dev/null
	rm "$T/gone/log" "$T/gone/log.idx"
	lines 3 | evpub -l -T gone -t n
	run -1 --separate-stderr evsub -T gone --consumer c --once
	[[ $stderr == *"c: position 5 is past the end of topic gone (sequence 3)"* ]]
	assert_output ''
}

@test "a publisher killed in the middle of an event: subscribers drop the half, and go on" {
	mktopic half
	bg evsub -T half -o got 2>half.err
	sub=$LAST
	subs half 1
	# A writer of our own plays the dying publisher: half an event, gone.
	frag='{"specversion":"1.0","id":"x","sou'
	printf '%s' "$frag" >"$(find "$T/half/subs" -type p ! -name '.*')"
	evpub -T half -t t n:=1
	for _ in $(seq 100); do [ -s got ] && break; sleep 0.05; done
	assert_equal "$(jq -r .data.n got)" 1
	grep -q "a writer went away in the middle of an event: ${#frag} bytes dropped" half.err || { cat half.err; return 1; }
	kill "$sub"
}

@test "with -T, --max-size holds for the event with the sequence the topic adds" {
	pad=$(head -c 300 /dev/zero | tr '\0' x)
	evpub -t t "p=$pad" >e
	size=$(( $(wc -c <e) - 1 ))
	run -3 --separate-stderr evpub -l -T big --max-size "$size" <e
	[ ! -s "$T/big/log" ]
	run -0 evpub -l -T big --max-size $((size + 26)) <e
	run -0 evsub --max-size $((size + 26)) <"$T/big/log"
}

@test "an fsync that fails: the publisher stops with 1, and subscribers got exactly what the log holds" {
	FAULT=${EVENTFUL_FAULT:-$ROOT/build/release/fault.so}
	[ -f "$FAULT" ] || { echo "no fault shim at $FAULT"; return 1; }
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	# 24 MB: groups of 1 MiB, one made durable while the next is written.
	pad=$(printf '%3000s' '' | tr ' ' x)
	seq 8000 | awk -v pad="$pad" '{ printf "{\"n\":%d,\"pad\":\"%s\"}\n", $1, pad }' >in
	for n in 1 2 5 12; do
		rm -rf "$T/f" sub.out
		mktopic f
		bg evsub -T f -o sub.out
		subs f 1
		status=0
		FAULT_CALL=fsync FAULT_N=$n LD_PRELOAD=$FAULT evpub -l -t t -T f <in 2>err || status=$?
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
	mkdir -p "$T/full"
	echo '{"specversion":"1.0","type":"t","source":"s","id":"1","sequence":"999999999999"}' >"$T/full/log"
	bg evsub -T full -o sub.out
	subs full 1
	run -1 --separate-stderr evpub -l -T full -t t < <(lines 3)
	[[ $stderr == *"log: full: sequence 999999999999 is the last a log can hold"* ]]
	assert_equal "$(wc -l <"$T/full/log")" 1
	kill "$LAST"
	[ ! -s sub.out ]
}
