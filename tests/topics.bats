#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Topics: evpub -T publishes to a topic, its live subscribers and its log;
# evsub -T listens (at most once), evsub -T --consumer reads from its
# committed position (at least once); --topics.
#
# The suite runs on both buses: as topics.bats on the directory bus, and
# as topics-nats.bats (a link to this file) on NATS JetStream, a server
# of its own for each test.  What a user sees is asserted on both; ondir
# checks the directory bus's files besides.  Where NATS promises
# otherwise (a slow subscriber is not cut off, what a killed consumer
# held comes again after the ack wait, no status 7), the test says so
# where it branches on $BUS.  The directory bus's own mechanics (its
# FIFOs and log file) are tested in dirbus.bats.

load test_helper/common

T="$EVENTFUL_HOME/topics"
BUS=dir
[[ $BATS_TEST_FILENAME == *-nats.bats ]] && BUS=nats

setup() {
	if [ "$BUS" = nats ]; then
		load test_helper/nats
		nats_start
	fi
}

teardown() {
	# Nothing a test started may outlive it.
	for p in ${BGPIDS-}; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done  # honest: cleanup; it may have ended
	[ "$BUS" = dir ] || nats_stop
}

# ondir CMD...: a check of the directory bus's own files, run there.
ondir() { [ "$BUS" != dir ] || "$@"; }

# subs TOPIC N: waits until N live subscribers listen, as --topics counts
# them on either bus.
subs() {
	local i n
	for i in $(seq 200); do
		n=$(evsub --topics --json 2>/dev/null | jq --arg t "$1" 'select(.topic == $t) | .subscribers | length')
		[ "$n" = "$2" ] && return 0
		sleep 0.05
	done
	echo "$1: ${n:-no} subscribers, not $2"; return 1
}

# position TOPIC CONSUMER: the consumer's position, as --topics shows it.
position() {
	evsub --topics --json | jq --arg t "$1" --arg c "$2" 'select(.topic == $t) | .consumers[] | select(.name == $c) | .position'
}

# stored TOPIC: the topic's events from the first, as a reader gets them.
stored() { evlog cat -T "$1"; }

# lines N: N data lines {"n":1} ... {"n":N}.
lines() { seq "$1" | sed 's/.*/{"n":&}/'; }

# ---- names and options ------------------------------------------------------

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
	run -0 evsub --topics --json
	assert_equal "$(jq -r .topic <<<"$output")" a.b_c-1
	ondir [ -f "$T/a.b_c-1/log" ]
	[ "$BUS" != dir ] || assert_equal "$(stat -c %a "$T/a.b_c-1")" 700
	# At most 126 bytes, on either bus, and a consumer's name as a
	# topic's: each as given, the longest with every '.' and '_' too.
	long=$(printf '_.%.0s' $(seq 63))
	run -2 evpub -T "${long}x" -t t n:=1
	run -2 evsub -T a.b_c-1 --consumer "${long}x" --once
	run -0 evpub -T "$long" -t t n:=1
	for c in "$long" billing.v2; do
		run -0 evsub -T "$long" --consumer "$c" --once --data
		assert_output '{"n":1}'
		run -0 evsub -T a.b_c-1 --consumer "$c" --once --data
		assert_output '{"n":1}'
	done
	run -0 evsub --topics --json
	assert_equal "$(jq -c '[.topic, [.consumers[] | .name, .position]]' <<<"$output")" "$(printf '["%s",["%s",1,"billing.v2",1]]\n["a.b_c-1",["%s",1,"billing.v2",1]]' "$long" "$long" "$long")"
	run -0 --separate-stderr evsub -T "$long" --consumer billing.v2 --reset 1
	assert_equal "$stderr" "evsub: billing.v2: position 1 -> 0 on topic $long: its next run starts at sequence 1"
	run -0 evsub -T "$long" --consumer billing.v2 --delete
	run -1 evsub -T "$long" --consumer billing.v2 --delete
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
	# What --topics and --delete-topic would ignore is refused.
	for o in '--consumer c' --once '--post http://127.0.0.1:9/' \
	    '--serve 127.0.0.1:0' -q -v --pretty; do
		# shellcheck disable=SC2086 # the option and its value, split
		run -2 --separate-stderr evsub --topics $o
		assert_equal "${stderr_lines[0]}" 'evsub: --topics takes no other option but --json, --watch, -c, --interval, --bus and --creds'
	done
	for o in -v --pretty --data '-c 3' -q '--rejects r' '--serve 127.0.0.1:0'; do
		# shellcheck disable=SC2086 # the option and its value, split
		run -2 --separate-stderr evsub --delete-topic t $o
		assert_equal "${stderr_lines[0]}" 'evsub: --delete-topic takes no other option but --force, --bus and --creds'
	done
	run -2 evpub -T t --sync sometimes -t t n:=1
	if [ "$BUS" = nats ]; then
		# Durability is replication and nobody is cut off: refused
		# (evpub(1), NATS JETSTREAM).
		run -2 evpub -T t --sync event -t t n:=1
		run -2 evpub -T t --max-wait 1 -t t n:=1
	else
		# The server keeps one copy, and its own window.
		run -2 evpub -T t --replicas 3 -t t n:=1
		run -2 evpub -T t --dup-window 60 -t t n:=1
	fi
	# Not one of them made a topic.
	run -0 --separate-stderr evsub --topics
	assert_output ''
}

# ---- a topic is a log -------------------------------------------------------

@test "evpub -T and evlog append -T share the topic's numbering; a repeat is stored once; invalid lines never get in" {
	lines 10 | evpub -q -l -T orders -t order.placed
	evpub -q -T orders -t order.paid n:=11
	ondir run -0 evlog verify "$T/orders/log"
	run -0 evlog cat -T orders -n 1
	assert_equal "$(jq -r .sequence <<<"$output")" 000000000011
	evpub -t order.shipped n:=12 | evlog append -T orders >/dev/null
	evpub -q -T orders -t order.paid n:=13
	assert_equal "$(stored orders | jq -r .sequence | tail -3 | tr '\n' ' ')" "000000000011 000000000012 000000000013 "
	# An event published twice (same source and id) is stored once.
	evpub -t t --id same n:=1 >e
	evpub -q -l -T orders <e
	run -0 --separate-stderr evpub -l -T orders <e
	assert_output ''
	[[ $stderr == *"source and id are in the "*" already, as sequence 14: not published again"* ]]
	assert_equal "$(stored orders | grep -c '"id":"same"')" 1
	# Invalid lines are refused as everywhere, and never get in.
	run -3 evpub -l -T orders <<<'{"specversion":"0.3"}'
	assert_equal "$(stored orders | wc -l)" 14
	ondir run -0 evlog verify "$T/orders/log"
}

@test "evlog append -T publishes as evpub -T does: live subscribers and durable consumers get it" {
	mktopic mix
	bg evsub -T mix -c 3 -o live
	subs mix 1
	evpub -q -T mix -t t n:=1
	evpub -t t n:=2 | evlog append -T mix >/dev/null
	evpub -q -l -T mix <<<'{"specversion":"1.0","id":"made","source":"//x","type":"t","data":{"n":3}}'
	wait "$LAST"
	# As stored, stamped.
	assert_equal "$(jq -r .data.n live | tr '\n' ' ')" "1 2 3 "
	cmp live <(stored mix)
	run -0 evsub -T mix --consumer c --once
	assert_equal "$(jq -r .data.n <<<"$output" | tr '\n' ' ')" "1 2 3 "
}

@test "where topics are: EVENTFUL_HOME, else XDG_STATE_HOME, else ~/.local/state/eventful; on NATS, on the server, nothing there" {
	unset EVENTFUL_HOME
	evpub -q -T a -t t n:=1
	XDG_STATE_HOME=$BATS_TEST_TMPDIR/xdg evpub -q -T a -t t n:=1
	run -0 evsub --topics
	if [ "$BUS" = nats ]; then
		# One topic, on the server (evpub(1), NATS JETSTREAM).
		assert_output "$(printf 'a\tevents 2\tsubscribers 0')"
		[ ! -e "$HOME/.local/state/eventful" ]
		[ ! -e "$BATS_TEST_TMPDIR/xdg" ]
		return 0
	fi
	assert_output "$(printf 'a\tevents 1\tsubscribers 0')"
	[ -f "$HOME/.local/state/eventful/topics/a/log" ]
	[ -f "$BATS_TEST_TMPDIR/xdg/eventful/topics/a/log" ]
}

# ---- live subscribers -------------------------------------------------------

@test "1 publisher, 8 live subscribers, 100,000 events: each gets every event once, in order" {
	mktopic big
	for i in 1 2 3 4 5 6 7 8; do bg evsub -T big -c 100000 -o "out.$i"; done
	subs big 8
	lines 100000 | evpub -q -l -T big -t n
	for p in $BGPIDS; do wait "$p"; done
	stored big >all
	assert_equal "$(wc -l <all)" 100000
	for i in 1 2 3 4 5 6 7 8; do
		# What a live subscriber gets is what is stored, stamped.
		cmp "out.$i" all || { echo "subscriber $i differs"; return 1; }
	done
	# They exited: none listens, and their FIFOs are gone.
	subs big 0
	ondir [ -z "$(ls "$T/big/subs")" ]
}

@test "4 publishers at once with 64 KiB events: every line every subscriber gets is intact" {
	mktopic wide
	for i in 1 2 3; do bg evsub -T wide -c 120 -o "out.$i"; done
	subs wide 3
	pad=$(head -c 65000 /dev/zero | tr '\0' x)
	# Time for the subscribers to take them; NATS cuts no one off.
	mw=(--max-wait 10)
	[ "$BUS" = dir ] || mw=()
	pids=()
	for p in 1 2 3 4; do
		( for j in $(seq 30); do printf '{"p":%d,"j":%d,"pad":"%s"}\n' "$p" "$j" "$pad"; done |
			evpub -q -l -T wide -t wide "${mw[@]}" ) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	for p in $BGPIDS; do wait "$p"; done
	stored wide >all
	for i in 1 2 3; do
		assert_equal "$(wc -l <"out.$i")" 120
		run -0 evlog verify "out.$i"
		cmp "out.$i" all
	done
	# Each publisher's events in its own order.
	for p in 1 2 3 4; do
		assert_equal "$(jq -r "select(.data.p == $p) | .data.j" out.1 | tr '\n' ' ')" "$(seq 30 | tr '\n' ' ')"
	done
}

@test "kill -9 of one live subscriber mid-stream: the others go on, and it is counted no more" {
	mktopic k
	for i in 1 2 3; do bg evsub -T k -o "out.$i"; eval "s$i=\$LAST"; done
	subs k 3
	lines 3000 | while read -r l; do printf '%s\n' "$l"; done | evpub -q -l -T k -t n &
	pub=$!
	for _ in $(seq 100); do [ "$(wc -l <out.2)" -ge 500 ] && break; sleep 0.02; done
	kill -9 "$s2"
	wait "$pub"
	evpub -q -T k -t n n:=3001
	for i in $(seq 100); do [ "$(wc -l <out.1)" -ge 3001 ] && [ "$(wc -l <out.3)" -ge 3001 ] && break; sleep 0.05; done
	stored k >all
	cmp out.1 all
	cmp out.3 all
	subs k 2
	# Its FIFO went at that publish.
	[ "$BUS" != dir ] || assert_equal "$(ls "$T/k/subs" | wc -l)" 2
	ondir [ ! -e "$T/k/subs/evsub-$s2" ]
}

@test "a subscriber that stops reading does not hold up the publisher; the others keep receiving" {
	mktopic slow
	bg evsub -T slow -o good
	good=$LAST
	bg evsub -T slow -o stuck 2>stuck.err
	stuck=$LAST
	subs slow 2
	kill -STOP "$stuck"
	# More than a FIFO holds, so that the publisher has to wait.
	mw=--max-wait=0.3
	[ "$BUS" = dir ] || mw=
	run -0 --separate-stderr bash -c "seq 3000 | sed 's/.*/{\"n\":&,\"pad\":\"$(head -c 300 /dev/zero | tr '\0' y)\"}/' | evpub -q -l -T slow -t n $mw"
	stored slow >all
	for _ in $(seq 100); do [ "$(wc -l <good)" -ge 3000 ] && break; sleep 0.05; done
	cmp good all
	if [ "$BUS" = nats ]; then
		# Not cut off: the client library drops what overflows its
		# buffer instead (evsub(1), NATS JETSTREAM).  Woken, it goes
		# on: a later event reaches it.
		assert_equal "$stderr" ''
		# (Under load the server may have closed its connection as a
		# slow consumer's: an event published while the client makes
		# it again is not for it.  Later ones, each half a second,
		# are.)
		kill -CONT "$stuck"
		for i in $(seq 20); do
			evpub -q -T slow -t last n:="$i"
			for _ in $(seq 10); do grep -q '"type":"last"' stuck && break 2; sleep 0.05; done
		done
		grep -q '"type":"last"' stuck
		kill -0 "$stuck"
		# What it got is whole, in order, and stored so.
		stored slow >all
		[ -z "$(grep -vxF -f all stuck)" ]
		assert_equal "$(jq -r .sequence stuck | sort -c && echo sorted)" sorted
		return 0
	fi
	[[ $stderr == *"slow: subscriber evsub-$stuck: took nothing for --max-wait: cut off"* ]]
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
	cmp stuck <(head -n "$(wc -l <stuck)" all)
}

@test "SIGINT sent as soon as a live subscriber is counted ends it: its handler is set before it subscribes" {
	need_fault
	mktopic sig
	# Each signal(3) call takes 0.3 s: a handler set after subscribing
	# leaves a time when the subscriber is counted and SIGINT, which a
	# shell's background command ignores, goes by unseen.
	FAULT_SIGNAL_SLOW=300000 LD_PRELOAD=$FAULT bg evsub -T sig -o /dev/null
	subs sig 1
	kill -s INT "$LAST"
	for _ in $(seq 100); do kill -0 "$LAST" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$LAST" 2>/dev/null; then
		echo "SIGINT did not end the subscriber"
		return 1
	fi
	status=0
	wait "$LAST" || status=$?
	assert_equal "$status" 130
	subs sig 0
}

@test "SIGINT, SIGTERM and SIGHUP end a subscriber, which is counted no more (its FIFO removed)" {
	for sig in INT TERM HUP; do
		mktopic sig
		bg evsub -T sig -o /dev/null
		subs sig 1
		kill -s "$sig" "$LAST"
		# It ends as the signal ends a process, for the shell to see.
		status=0
		wait "$LAST" || status=$?
		assert_equal "$status" $((128 + $(kill -l "$sig")))
		subs sig 0
		[ "$BUS" != dir ] || [ -z "$(ls "$T/sig/subs")" ] || { echo "SIG$sig left $(ls "$T/sig/subs")"; return 1; }
	done
	[ "$BUS" = dir ] || return 0	# a FIFO is the directory's
	# A stale FIFO (its reader gone without cleaning up) is removed by the
	# next publisher.
	mkfifo "$T/sig/subs/evsub-999999"
	evpub -T sig -t t n:=1
	[ -z "$(ls "$T/sig/subs")" ]
}

# ---- durable consumers ------------------------------------------------------

@test "the cron story: publish 100, --once, publish 50, --once: 150 deliveries, each once" {
	lines 100 | evpub -q -l -T cron -t n
	run -0 evsub -T cron --consumer billing --once --exec sh -c 'cat >>delivered'
	assert_equal "$(wc -l <delivered)" 100
	seq 101 150 | sed 's/.*/{"n":&}/' | evpub -q -l -T cron -t n
	run -0 evsub -T cron --consumer billing --once --exec sh -c 'cat >>delivered'
	assert_equal "$(wc -l <delivered)" 150
	# Nothing new: nothing delivered.
	run -0 evsub -T cron --consumer billing --once --exec sh -c 'cat >>delivered'
	assert_equal "$(wc -l <delivered)" 150
	assert_equal "$(jq -r .data.n delivered | tr '\n' ' ')" "$(seq 150 | tr '\n' ' ')"
	assert_equal "$(position cron billing)" 150
	[ "$BUS" != dir ] || assert_equal "$(cat "$T/cron/consumers/billing")" 150
	# Another consumer starts from the beginning, on its own position.
	run -0 evsub -T cron --consumer audit --once
	assert_equal "${#lines[@]}" 150
}

@test "a consumer whose -o file cannot be made durable: status 1, said, its position not moved; the next run delivers the same events" {
	need_fault
	lines 5 | evpub -q -l -T fs -t n
	run -0 evsub -T fs --consumer c --reset 1
	FAULT_CALL=fsync FAULT_N=1 LD_PRELOAD=$FAULT run -1 --separate-stderr \
	    evsub -T fs --consumer c --once -o out
	assert_equal "$stderr" 'evsub: out: fsync: Input/output error'
	assert_equal "$(position fs c)" 0
	run -0 evsub -T fs --consumer c --once -o again
	assert_equal "$(jq -r .data.n again | tr '\n' ' ')" '1 2 3 4 5 '
	assert_equal "$(position fs c)" 5
}

@test "a command failing at event 120: the run stops with 1, the next starts at 120" {
	lines 200 | evpub -q -l -T f -t n
	cat >deliver <<'EOS'
#!/bin/sh
# The n of the event on stdin, {..."data":{"n":N}...}, by the shell alone.
IFS= read -r e || :
n=${e##*'"data":{"n":'}
n=${n%%\}*}
[ -e broken ] && [ "$n" -eq 120 ] && exit 1
printf '%s\n' "$n" >>got
EOS
	chmod +x deliver
	touch broken
	run -1 --separate-stderr evsub -T f --consumer c --once --retries 0 --exec ./deliver
	assert_equal "$(tail -1 got)" 119
	assert_equal "$(position f c)" 119
	[ "$BUS" != dir ] || assert_equal "$(cat "$T/f/consumers/c")" 119
	rm broken
	run -0 evsub -T f --consumer c --once --retries 0 --exec ./deliver
	assert_equal "$(sed -n 120p got)" 120
	assert_equal "$(tr '\n' ' ' <got)" "$(seq 200 | tr '\n' ' ')"
	# With --dead-letter, the failing event is parked and the run goes on.
	lines 5 | evpub -q -l -T dl -t n
	run -1 evsub -T dl --consumer c --once --retries 0 --dead-letter parked --exec sh -c 'jq -e ".data.n != 3" >/dev/null'
	assert_equal "$(jq -r .data.n parked)" 3
	assert_equal "$(position dl c)" 5
	[ "$BUS" != dir ] || assert_equal "$(cat "$T/dl/consumers/c")" 5
}

@test "kill -9 of a consumer mid-run: nothing is skipped" {
	# On NATS what a killed run held comes again after the consumer's
	# ack wait: 2 s here, not 30 (evsub(1), EVENTFUL_NATS_ACK_WAIT).
	export EVENTFUL_NATS_ACK_WAIT=2
	lines 400 | evpub -q -l -T kc -t n
	# Each delivery appends the event to got, whole lines only (a run
	# killed while it writes leaves none); one jq reads them at the end.
	keep='read -r e && printf "%s\n" "$e" >>got'
	for round in 1 2 3 4 5; do
		bg evsub -T kc --consumer c --once --exec sh -c "$keep; sleep 0.005"
		sleep "0.$((RANDOM % 3 + 1))"
		killed "$LAST"
	done
	if [ "$BUS" = nats ]; then
		# What a killed run held comes again after the ack wait:
		# runs until it has, 60 s at most.
		for _ in $(seq 120); do
			run -0 evsub -T kc --consumer c --once --exec sh -c "$keep"
			[ "$(position kc c)" = 400 ] && break
			sleep 0.5
		done
	else
		# The next run skips nothing.
		run -0 evsub -T kc --consumer c --once --exec sh -c "$keep"
	fi
	# At least once: every event delivered, some perhaps twice.
	assert_equal "$(jq .data.n got | sort -n | uniq | tr '\n' ' ')" "$(seq 400 | tr '\n' ' ')"
	assert_equal "$(position kc c)" 400
	[ "$BUS" != dir ] || assert_equal "$(cat "$T/kc/consumers/c")" 400
}

@test "SIGTERM, SIGINT or SIGHUP to a consumer mid-run: the delivery in hand finishes and is committed, then it ends by the signal; nothing comes twice" {
	lines 60 | evpub -q -l -T st -t n
	keep='read -r e && printf "%s\n" "$e" >>got; sleep 0.02'
	local sig n status
	for sig in TERM INT HUP; do
		evsub -T st --consumer c --exec sh -c "$keep" &
		pid=$!
		BGPIDS="${BGPIDS-} $pid"
		n=$(($(wc -l <got 2>/dev/null || echo 0) + 5))
		for _ in $(seq 200); do [ "$(wc -l <got 2>/dev/null || echo 0)" -ge "$n" ] && break; sleep 0.05; done
		kill -s "$sig" "$pid"
		status=0
		wait "$pid" || status=$?
		# Ended by the signal, as a shell sees it: 128 + its number.
		assert_equal "$status" "$((128 + $(kill -l "$sig")))"
		# What it delivered is committed: the position is the count.
		assert_equal "$(position st c)" "$(wc -l <got)"
	done
	run -0 evsub -T st --consumer c --once --exec sh -c "$keep"
	# Each event once, in order: no delivery was taken back.
	assert_equal "$(jq .data.n got | tr '\n' ' ')" "$(seq 60 | tr '\n' ' ')"
}

@test "two runs of one consumer at once: the second says so and exits 7; on NATS they share its events" {
	lines 3 | evpub -q -l -T two -t n
	bg evsub -T two --consumer c --exec sh -c 'cat >>held; sleep 5'
	first=$LAST
	for _ in $(seq 100); do [ -s held ] && break; sleep 0.05; done
	[ -s held ]
	if [ "$BUS" = nats ]; then
		# Runs of one consumer share its events: none is refused
		# (evsub(1), NATS JETSTREAM).  The second gets what comes,
		# not what the first holds.
		printf '{"n":4}\n{"n":5}\n' | evpub -q -l -T two -t n
		run -0 evsub -T two --consumer c --once --data
		assert_output $'{"n":4}\n{"n":5}'
		kill "$first"
		return 0
	fi
	ondir [ -e "$T/two/consumers/.c.lock" ]
	run -7 evsub -T two --consumer c --once
	assert_output --partial 'one at a time'
	kill "$first"
}

@test "a consumer without --once follows the topic; filters and formats apply" {
	lines 3 | evpub -q -l -T fo -t a
	bg evsub -T fo --consumer c -c 3 -o out --data type=b
	follower=$LAST
	# It has read what there was (none of it passes) before more comes.
	for _ in $(seq 100); do [ "$(position fo c)" = 3 ] && break; sleep 0.05; done
	assert_equal "$(position fo c)" 3
	printf '{"n":4}\n{"n":5}\n{"n":6}\n' | evpub -q -l -T fo -t b
	for _ in $(seq 100); do kill -0 "$follower" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$follower" 2>/dev/null; then
		echo "the follower goes on after its -c 3 events"
		return 1
	fi
	# Its status: 0.
	wait "$follower"
	assert_equal "$(cat out)" $'{"n":4}\n{"n":5}\n{"n":6}'
	assert_equal "$(position fo c)" 6
	[ "$BUS" != dir ] || assert_equal "$(cat "$T/fo/consumers/c")" 6
	run -0 evsub -T fo --consumer c --once
	assert_output ''
}

@test "a consumer's command gets an event whose subject is too long for the environment, and the position moves past it" {
	# Passed in CE_SUBJECT, a subject of 200 KB made every spawn fail
	# (E2BIG): the consumer stopped at it on every run, for ever.
	"$SYSPY" -c 'import json
print(json.dumps({"specversion":"1.0","type":"t","source":"s","id":"big","subject":"x"*200000}))' >big
	evpub -q -l -T bs -t t <<<'{"n":1}'
	evpub -q -l -T bs <big
	evpub -q -l -T bs -t t <<<'{"n":3}'
	run -0 --separate-stderr evsub -T bs --consumer c --once --retries 0 --exec sh -c 'printf "%s %s %s\n" "$(jq -r ".subject | length")" "${CE_SUBJECT-unset}" "$CE_OMITTED" >>got'
	assert_equal "$stderr" ""
	assert_equal "$(sed -n 2p got)" "200000 unset CE_SUBJECT"
	assert_equal "$(wc -l <got)" 3
	assert_equal "$(position bs c)" 3
	run -0 evsub -T bs --consumer c --once --exec sh -c 'echo again >>got'
	assert_equal "$(wc -l <got)" 3
}

# ---- --topics ---------------------------------------------------------------

@test "--topics: each topic, its events, live subscribers, and each consumer's position and lag" {
	lines 10 | evpub -q -l -T one -t n
	lines 4 | evpub -q -l -T two -t n
	evsub -T one --consumer billing --once -c 7 >/dev/null
	bg evsub -T two -o /dev/null
	subs two 1
	run -0 evsub --topics
	assert_equal "${#lines[@]}" 4
	assert_equal "${lines[0]}" "$(printf 'one\tevents 10\tsubscribers 0')"
	assert_equal "${lines[1]}" "$(printf 'one\tconsumer billing\tposition 7\tlag 3')"
	assert_equal "${lines[2]}" "$(printf 'two\tevents 4\tsubscribers 1')"
	# On NATS too: the pid rides in the subscription's description.
	pid=$LAST
	assert_equal "${lines[3]}" "$(printf 'two\tsubscriber %s' "$pid")"
	[ "$BUS" = dir ] || return 0	# a position file is the directory's
	# A damaged position file is reported, and the rest still listed.
	printf 'garbage' >"$EVENTFUL_HOME/topics/one/consumers/audit"
	run -0 --separate-stderr evsub --topics
	assert_equal "${lines[1]}" "$(printf 'one\tconsumer audit\tposition ?\tlag ?')"
	assert_equal "${lines[2]}" "$(printf 'one\tconsumer billing\tposition 7\tlag 3')"
	[[ $stderr == *"consumers/audit: not a position"* ]]
	# And the consumer itself refuses to guess where to start.
	run -1 evsub -T one --consumer audit --once
}

@test "--topics lists topics and consumers as ls -v does: s2 before s10, a class's thirty in order" {
	lines 3 | evpub -q -l -T room10 -t n
	lines 3 | evpub -q -l -T room2 -t n
	for c in s10 s2 s1; do
		evsub -T room2 --consumer "$c" --once -c 1 >/dev/null
	done
	run -0 evsub --topics
	assert_equal "${#lines[@]}" 5
	assert_equal "${lines[0]}" "$(printf 'room2\tevents 3\tsubscribers 0')"
	assert_equal "${lines[1]}" "$(printf 'room2\tconsumer s1\tposition 1\tlag 2')"
	assert_equal "${lines[2]}" "$(printf 'room2\tconsumer s2\tposition 1\tlag 2')"
	assert_equal "${lines[3]}" "$(printf 'room2\tconsumer s10\tposition 1\tlag 2')"
	assert_equal "${lines[4]}" "$(printf 'room10\tevents 3\tsubscribers 0')"
}

# ---- limits -----------------------------------------------------------------

@test "with -T, --max-size holds for the event with the sequence the topic adds" {
	pad=$(head -c 300 /dev/zero | tr '\0' x)
	evpub -t t "p=$pad" >e
	size=$(( $(wc -c <e) - 1 ))
	run -3 --separate-stderr evpub -l -T big --max-size "$size" <e
	assert_equal "$(stored big 2>/dev/null)" ''
	ondir [ ! -s "$T/big/log" ]
	run -0 evpub -q -l -T big --max-size $((size + 26)) <e
	# A reader with the same --max-size takes what is stored.
	run -0 evsub -T big --from 1 --once --max-size $((size + 26))
	assert_equal "${#lines[@]}" 1
	run -0 evsub --max-size $((size + 26)) < <(stored big)
	assert_equal "${#lines[@]}" 1
}
