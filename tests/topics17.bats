#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Topics: subscribing never makes a topic; replay, rewind and deletion
# without editing files; --topics --json; CE_SEQUENCE a shell can count
# with; a file where a filter goes.
#
# The suite runs on both buses: as topics17.bats on the directory bus,
# and as topics17-nats.bats (a link to this file) on NATS JetStream, a
# server of its own for each test.  What a user sees is asserted on both;
# ondir checks the directory bus's files besides.  Where NATS promises
# less (no status 7 for a running consumer, no pids of live
# subscribers), the test says so where it branches on $BUS.

load test_helper/common

T="$EVENTFUL_HOME/topics"
BUS=dir
[[ $BATS_TEST_FILENAME == *-nats.bats ]] && BUS=nats

setup() {
	WHERE=$T
	if [ "$BUS" = nats ]; then
		load test_helper/nats
		nats_start
		WHERE=$NATS
	fi
}

teardown() {
	# Nothing a test started may outlive it.
	for p in ${BGPIDS-}; do kill "$p" 2>/dev/null || true; done  # honest: cleanup; it may have ended
	[ "$BUS" = dir ] || nats_stop
}

# ondir CMD...: a check of the directory bus's own files, run there.
ondir() { [ "$BUS" != dir ] || "$@"; }

# subs TOPIC N: waits until N live subscribers are in place, as --topics
# counts them on either bus.
subs() {
	local i
	for i in $(seq 200); do
		[ "$(evsub --topics --json 2>/dev/null | jq --arg t "$1" 'select(.topic == $t) | .subscribers | length')" -ge "$2" ] 2>/dev/null && return 0
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

# ---- a topic that is not there ----------------------------------------------

@test "--consumer --once, --from and --reset of a topic that is not there: status 8, where it looked, what is there, nothing made" {
	evpub -T orders -t order.placed n:=1 >/dev/null
	run -8 --separate-stderr evsub -T ordres --consumer billing --once
	assert_output ''
	assert_equal "$stderr" "evsub: -T: ordres: no such topic in $WHERE; did you mean orders? (there: orders)"
	run -8 evsub -T ordres --from 1 --once
	run -8 evsub -T ordres --since 1h --once
	run -8 evsub -T ordres --consumer billing --reset 1
	run -8 evsub -T ordres --consumer billing --delete
	run -8 --separate-stderr evsub -T zzz --consumer billing --once
	assert_equal "$stderr" "evsub: -T: zzz: no such topic in $WHERE (there: orders)"
	run -0 evsub --topics --json
	assert_equal "$(jq -r .topic <<<"$output")" orders
	ondir [ ! -e "$T/ordres" ]
}

@test "evsub --topics on a missing or empty home says so, status 0" {
	run -0 --separate-stderr evsub --topics
	assert_output ''
	[[ $stderr == "evsub: no topics in $WHERE:"* ]]
	run -0 --separate-stderr evsub --topics --json
	assert_output ''
	[[ $stderr == "evsub: no topics in $WHERE:"* ]]
	ondir [ ! -e "$T" ]
	ondir mkdir -p "$T"
	run -0 --separate-stderr evsub --topics
	[[ $stderr == "evsub: no topics in $WHERE:"* ]]
}

# ---- a file where a filter goes ---------------------------------------------

@test "an argument that names a file gets the hint -i FILE" {
	evpub -t user.created name=ada >events.ndjson
	run -2 --separate-stderr evsub type=user.created events.ndjson
	assert_equal "${stderr_lines[0]}" 'evsub: filter: "events.ndjson": a file, not a filter: to read it, -i events.ndjson'
	refute_output --partial 'is an attribute'
	run -0 evsub type=user.created -i events.ndjson
	assert_output "$(cat events.ndjson)"
	# A bare name is a filter, and a file too: both said, the filter kept.
	cp events.ndjson subject
	run -0 --separate-stderr evsub subject <events.ndjson
	assert_output ''
	assert_equal "$stderr" 'evsub: filter: "subject" is also a file here: to read it, -i subject'
}

# ---- replay and rewind ------------------------------------------------------

@test "--from SEQ: the log from there, then what comes; --once stops at the end" {
	for i in 1 2 3 4 5; do evpub -T orders -t order.placed n:=$i >/dev/null; done
	run -0 evsub -T orders --from 3 --once --data
	assert_output $'{"n":3}\n{"n":4}\n{"n":5}'
	run -0 evsub -T orders --from 9 --once
	assert_output ''
	bg evsub -T orders --from 4 -c 3 -o out
	lines_in out 2
	evpub -T orders -t order.placed n:=6 >/dev/null
	wait "$LAST"
	assert_equal "$(jq -c .data out | tr '\n' ' ')" '{"n":4} {"n":5} {"n":6} '
	# It commits nothing: no consumer appears.
	run -0 evsub --topics --json
	assert_equal "$(jq -c .consumers <<<"$output")" '[]'
	run -2 evsub -T orders --from 0
	run -2 evsub -T orders --from 1 --consumer c
	run -2 evsub -T orders --from 1 --since 1h
	run -2 evsub --from 1
}

@test "--since TIME: the log from the first event of that time or later, then what comes" {
	evpub -T orders --time 2026-01-01T00:00:00Z -t order.placed n:=1 >/dev/null
	evpub -T orders --time 2026-03-01T00:00:00Z -t order.placed n:=2 >/dev/null
	evpub -T orders --time 2026-05-01T00:00:00Z -t order.placed n:=3 >/dev/null
	run -0 evsub -T orders --since 2026-02-01 --once --data
	assert_output $'{"n":2}\n{"n":3}'
	run -0 evsub -T orders --since 2026-03-01T00:00:00Z --once --data
	assert_output $'{"n":2}\n{"n":3}'
	# A duration back from now: none of these is that recent.
	run -0 evsub -T orders --since 1h --once
	assert_output ''
	bg evsub -T orders --since 1m -c 1 -o out
	evpub -T orders -t order.placed n:=4 >/dev/null
	wait "$LAST"
	assert_equal "$(jq -c .data out)" '{"n":4}'
	run -2 --separate-stderr evsub -T orders --since yesterday
	[[ ${stderr_lines[0]} == 'evsub: --since: yesterday: not an RFC 3339 time'* ]]
}

@test "--consumer --reset SEQ|TIME moves the position, says from where to where, and exits" {
	for i in 1 2 3 4 5; do evpub -T orders --time 2026-0$i-01 -t order.placed n:=$i >/dev/null; done
	run -0 evsub -T orders --consumer billing --once
	run -0 --separate-stderr evsub -T orders --consumer billing --reset 2
	assert_output ''
	assert_equal "$stderr" 'evsub: billing: position 5 -> 1 on topic orders: its next run starts at sequence 2'
	[ "$BUS" != dir ] || assert_equal "$(cat "$T/orders/consumers/billing")" 1
	run -0 evsub -T orders --consumer billing --once --data
	assert_output $'{"n":2}\n{"n":3}\n{"n":4}\n{"n":5}'
	run -0 --separate-stderr evsub -T orders --consumer billing --reset 2026-04-01
	assert_equal "$stderr" 'evsub: billing: position 5 -> 3 on topic orders: its next run starts at sequence 4'
	# A new consumer can start anywhere, the end ("now") too.
	run -0 --separate-stderr evsub -T orders --consumer audit --reset now
	assert_equal "$stderr" 'evsub: audit: position (new) 0 -> 5 on topic orders: its next run starts at sequence 6'
	run -0 evsub -T orders --consumer audit --once
	assert_output ''
	# Past the end, not a sequence nor a time, with other options: refused.
	run -2 --separate-stderr evsub -T orders --consumer billing --reset 7
	assert_equal "$stderr" 'evsub: --reset: 7: past the end of topic orders, whose last sequence is 5 (6 skips all there is)'
	run -2 evsub -T orders --consumer billing --reset soon
	run -2 evsub -T orders --consumer billing --reset 0
	run -2 evsub -T orders --reset 1
	run -2 evsub -T orders --consumer billing --reset 1 --once
	run -2 evsub -T orders --consumer billing --reset 1 --delete
	run -0 evsub --topics --json
	assert_equal "$(jq -c '.consumers[] | select(.name == "billing") | .position' <<<"$output")" 3
}

@test "--reset and --delete wait for no running consumer: status 7" {
	evpub -T orders -t order.placed n:=1 >/dev/null
	bg evsub -T orders --consumer billing -o out
	lines_in out 1
	if [ "$BUS" = nats ]; then
		# The server keeps the position and takes no lock: runs of a
		# consumer share its events, and nothing refuses a reset
		# (evsub(1), NATS JETSTREAM).
		run -0 evsub -T orders --consumer billing --reset 1
		return 0
	fi
	run -7 --separate-stderr evsub -T orders --consumer billing --reset 1
	assert_equal "$stderr" 'evsub: billing: a run of this consumer of topic orders is going on: stop it, then --reset'
	run -7 --separate-stderr evsub -T orders --consumer billing --delete
	assert_equal "$stderr" 'evsub: billing: a run of this consumer of topic orders is going on: stop it, then --delete'
	[ "$BUS" != dir ] || assert_equal "$(cat "$T/orders/consumers/billing")" 1
}

@test "--delete: a consumer goes, and a run of its name starts from the start" {
	for i in 1 2 3; do evpub -T orders -t order.placed n:=$i >/dev/null; done
	run -0 evsub -T orders --consumer billing --once
	run -0 --separate-stderr evsub -T orders --consumer billing --delete
	assert_equal "$stderr" 'evsub: billing: deleted, at position 3 of topic orders: a run of that name starts again from the start'
	ondir [ -z "$(ls -A "$T/orders/consumers")" ]
	run -0 evsub --topics
	refute_output --partial billing
	run -1 --separate-stderr evsub -T orders --consumer billing --delete
	assert_equal "$stderr" 'evsub: billing: no such consumer of topic orders (evsub --topics lists them)'
	run -0 evsub -T orders --consumer billing --once
	assert_equal "${#lines[@]}" 3
}

@test "a topic deleted under a live subscriber, a running consumer and a --from reading: each delivers what it read, says so, and exits 8" {
	seq 5 | sed 's/.*/{"n":&}/' | evpub -q -l -T gone -t n
	bg evsub -T gone --consumer c -o consumed 2>c.err
	c=$LAST
	bg evsub -T gone --from 2 -o replayed 2>r.err
	r=$LAST
	bg evsub -T gone -o heard 2>l.err
	l=$LAST
	subs gone 1
	lines_in consumed 5
	lines_in replayed 4
	evpub -q -T gone -t n n:=6
	lines_in heard 1
	lines_in consumed 6
	lines_in replayed 5
	run -0 evsub --delete-topic gone --force
	for p in $c $r $l; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		if kill -0 "$p" 2>/dev/null; then echo "$p goes on"; return 1; fi
		status=0
		wait "$p" || status=$?
		assert_equal "$status" 8
	done
	assert_equal "$(cat c.err)" 'evsub: gone: the topic was deleted while this run read it, after sequence 6 (evsub --delete-topic)'
	assert_equal "$(cat r.err)" 'evsub: gone: the topic was deleted while this run read it, after sequence 6 (evsub --delete-topic)'
	assert_equal "$(cat l.err)" 'evsub: gone: the topic was deleted while this subscriber listened (evsub --delete-topic)'
	assert_equal "$(jq -r .data.n consumed | tr '\n' ' ')" "1 2 3 4 5 6 "
	assert_equal "$(jq -r .data.n replayed | tr '\n' ' ')" "2 3 4 5 6 "
	assert_equal "$(jq -r .data.n heard)" 6
}

@test "--delete-topic: refused while a subscriber listens (status 7), done with --force, or when none does" {
	evpub -T orders -t order.placed n:=1 >/dev/null
	evpub -T audit -t t n:=1 >/dev/null
	bg evsub -T orders -o out
	subs orders 1
	run -7 --separate-stderr evsub --delete-topic orders
	if [ "$BUS" = nats ]; then
		# The server counts who listens, not who consumes.
		assert_equal "$stderr" 'evsub: orders: in use: 1 live subscriber (--force deletes it even so)'
	else
		assert_equal "$stderr" 'evsub: orders: in use: 1 live subscriber and 0 running consumers: --force deletes it under them (they stop)'
	fi
	ondir [ -f "$T/orders/log" ]
	run -0 --separate-stderr evsub --delete-topic orders --force
	assert_equal "$stderr" 'evsub: orders: topic deleted, its log and consumers with it'
	run -0 evsub --topics --json
	assert_equal "$(jq -r .topic <<<"$output")" audit
	# The subscriber sees it was cut off, and stops.
	for i in $(seq 100); do kill -0 "$LAST" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$LAST" 2>/dev/null; then echo "the subscriber goes on"; return 1; fi
	[ "$BUS" = dir ] || return 0	# no running consumer is seen on NATS
	# A running consumer holds it too.
	bg evsub -T audit --consumer c -o out2
	lines_in out2 1
	run -7 --separate-stderr evsub --delete-topic audit
	assert_equal "$stderr" 'evsub: audit: in use: 0 live subscribers and 1 running consumer: --force deletes it under them (they stop)'
	kill "$LAST"
	exited "$LAST" 143
	run -0 evsub --delete-topic audit
	run -0 --separate-stderr evsub --topics
	[[ $stderr == "evsub: no topics in $WHERE:"* ]]
	run -8 --separate-stderr evsub --delete-topic audit
	run -2 evsub --delete-topic ../x
	run -2 evsub --delete-topic orders -T orders
	run -2 evsub --force
}

# exited PID FILE: waits (at most 20 s) until the background PID ends, and
# writes its exit status into FILE.
exited() {
	local i
	for i in $(seq 400); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$1" 2>/dev/null; then echo "$1 goes on"; return 1; fi
	local st=0
	wait "$1" || st=$?
	echo "$st" >"$2"
}

@test "--delete-topic under a running publisher: refused on the directory bus; deleted, the publisher stops and acknowledges nothing more" {
	# evpub went on appending to the removed log and acknowledged each
	# event with a sequence: every one of them lost.
	mkfifo in
	exec 7<>in	# a writer, so that opening it to read does not wait
	# (bash gives a background command of a function /dev/null as stdin)
	bg sh -c 'exec 7>&- evpub -l -T pt -t n <in >acks 2>pub.err'
	echo '{"n":1}' >&7
	lines_in acks 1
	if [ "$BUS" = dir ]; then
		run -7 --separate-stderr evsub --delete-topic pt
		assert_equal "$stderr" 'evsub: pt: in use: 0 live subscribers, 0 running consumers and a running publisher at least (evpub -T): stop them first, or --force deletes it under them (they stop, and a publisher acknowledges nothing more)'
		[ -f "$T/pt/log" ]
		echo '{"n":2}' >&7
		lines_in acks 2
		run -0 evsub --delete-topic pt --force
	else
		# NATS does not tell who publishes: the stream goes.
		echo '{"n":2}' >&7
		lines_in acks 2
		run -0 evsub --delete-topic pt
	fi
	echo '{"n":3}' >&7
	exited "$LAST" pub.status
	exec 7>&-
	assert_equal "$(cat pub.status)" 1
	assert_equal "$(jq -r .data.n acks | tr '\n' ' ')" "1 2 "
	grep -qF 'evpub: pt: the topic was deleted while this publisher ran (evsub --delete-topic): nothing more is published' pub.err || { cat pub.err; return 1; }
	# The event not acknowledged is nowhere either.
	run -8 evsub -T pt --from 1 -c 1
}

@test "--delete-topic under evpub --listen -T: the receiver stops answering 200" {
	load test_helper/listen
	listen -T lt
	BGPIDS="${BGPIDS-} $LPID"	# teardown stops it, whatever happens
	assert_equal "$(post -H 'Content-Type: application/cloudevents+json' -d '{"specversion":"1.0","id":"a1","source":"/x","type":"t"}' "$URL")" 200
	if [ "$BUS" = dir ]; then
		run -7 evsub --delete-topic lt
		run -0 evsub --delete-topic lt --force
	else
		run -0 evsub --delete-topic lt
	fi
	# curl fails when the receiver is gone: no answer is no 200 either.
	code=$(post -H 'Content-Type: application/cloudevents+json' -d '{"specversion":"1.0","id":"a2","source":"/x","type":"t"}' "$URL") || code=none
	[ "$code" != 200 ] || { echo "acknowledged into a deleted topic"; return 1; }
	stopped "$LPID" || st=$?
	assert_equal "${st-0}" 1
	grep -qF 'the topic was deleted while this publisher ran' listen.err || { cat listen.err; return 1; }
	run -8 evsub -T lt --from 1 -c 1
}

# ---- --topics --json --------------------------------------------------------

@test "--topics --json: one object a topic, with its last sequence, live subscribers and consumers' positions and lags" {
	for i in 1 2 3; do evpub -T orders -t order.placed n:=$i >/dev/null; done
	evpub -T audit -t t n:=1 >/dev/null
	run -0 evsub -T orders --consumer billing --once -c 1
	run -0 evsub -T orders --consumer ship --once
	bg evsub -T orders --name tail -o out
	pid=$LAST
	subs orders 1
	run -0 evsub --topics --json
	assert_equal "${#lines[@]}" 2
	assert_line -n 0 '{"topic":"audit","last":1,"subscribers":[],"consumers":[]}'
	# On NATS too: the pid and name ride in the subscription's description.
	sub="{\"pid\":$pid,\"name\":\"tail\"}"
	assert_line -n 1 "{\"topic\":\"orders\",\"last\":3,\"subscribers\":[$sub],\"consumers\":[{\"name\":\"billing\",\"position\":1,\"lag\":2},{\"name\":\"ship\",\"position\":3,\"lag\":0}]}"
	jq -e . <<<"$output" >/dev/null
	[ "$BUS" = dir ] || return 0	# a position file is the directory's
	# An unreadable position: null, with why.
	echo bad >"$T/orders/consumers/ship"
	run -0 --separate-stderr evsub --topics --json
	assert_equal "$(jq -c 'select(.topic=="orders") | .consumers[1]' <<<"$output")" '{"name":"ship","position":null,"lag":null,"error":"not a position: \"bad\\x0a\""}'
	run -2 evsub --topics --json --watch
	run -2 evsub --json
}

# page PAGE: a manual page as text, on one line.
page() { MANWIDTH=80 mandoc -Tascii "$ROOT/man/$1" | col -bx | tr -s ' \n\t' ' '; }

@test "eventful(7) and evsub(1) say that at least once ends at the pipe, and point to --exec and --post" {
	run -0 page man7/eventful.7
	[[ $output == *'--consumer billing --once | jq -r .data.total'*'Into a pipe, as here, at least once ends at the pipe: the position is committed once the write to the pipe returns'*'use --exec'*'or --post'* ]]
	run -0 page man1/evsub.1
	[[ $output == *'at least once ends at the pipe'*'use --exec or --post'* ]]
}

@test "exit status 8 is in evsub(1), eventful(7) and --help" {
	run -0 page man7/eventful.7
	[[ $output == *' 8 No such topic'* ]]
	run -0 page man1/evsub.1
	[[ $output == *' 8 No such topic'* ]]
	run -0 evsub --help
	assert_output --partial '8 no such topic'
}
