#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Topics on NATS JetStream (--bus nats://..., EVENTFUL_BUS): each test
# starts its own nats-server (tests/test_helper/nats.bash) on free
# loopback ports, a single node or a cluster of three, and stops it.

load test_helper/common
load test_helper/nats

teardown() {
	for p in ${BGPIDS-}; do kill "$p" 2>/dev/null || true; done  # honest: cleanup; it may have ended
	nats_stop
}

# lines N: N data lines {"n":1} ... {"n":N}.
lines() { seq "$1" | sed 's/.*/{"n":&}/'; }

# jsz MPORT QUERY: the monitoring server's JetStream report.
jsz() { curl -sf "http://127.0.0.1:$1/jsz?$2"; }

# ---- selecting the bus ----

@test "--bus, EVENTFUL_BUS, then NATS_URL select NATS; an unknown URL is a usage error; a server not there is status 1" {
	nats_start
	unset EVENTFUL_BUS
	run -0 evpub --bus "$NATS" -T a -t t n:=1
	NATS_URL=$NATS run -0 evpub -T a -t t n:=2
	EVENTFUL_BUS=$NATS run -0 evpub -T a -t t n:=3
	assert_equal "$(echo "$output" | jq -r .sequence)" 000000000003
	# The directory bus saw none of it.
	[ ! -e "$EVENTFUL_HOME/topics/a" ]
	run -2 evpub --bus mqtt://x -T a -t t n:=1
	assert_output --partial 'no bus takes this URL'
	run -2 evpub --bus "$NATS" -t t n:=1
	assert_output --partial 'are for -T'
	port=$(freeports 1)
	run -1 --separate-stderr evpub --bus "nats://127.0.0.1:$port" -T a -t t n:=1
	[[ $stderr == "evpub: nats://127.0.0.1:$port: connect: "* ]]
}

# ---- publishing: acknowledged, in windows ----

@test "evpub -T writes each acknowledged event with the stream's sequence; -q silences; the body is the event, structured mode" {
	nats_start
	run -0 --separate-stderr evpub -T orders -t order.placed -S order/1 n:=1
	assert_equal "$(jq -r .sequence <<<"$output")" 000000000001
	assert_equal "$(jq -r .subject <<<"$output")" order/1
	lines 2500 | evpub -l -T orders -t n >acked
	assert_equal "$(wc -l <acked)" 2500
	assert_equal "$(jq -r .sequence acked | sed -n '1p;$p' | tr '\n' ' ')" "000000000002 000000002501 "
	run -0 evpub -q -T orders -t t n:=1
	assert_output ''
	# What consumers get is what was acknowledged.
	evsub -T orders --from 2 --once -c 2500 >got
	cmp got acked
	# One stream per topic, file storage, one replica on one server.
	jsz "$NMPORT" 'streams=true&config=true' >jsz.json
	assert_equal "$(jq -r '.account_details[0].stream_detail[0] | [.name, .config.subjects[0], .config.num_replicas, .config.storage, .config.duplicate_window] | @tsv' jsz.json)" "$(printf 'EV_orders\tev.orders.>\t1\tfile\t120000000000')"
}

@test "the directory bus acknowledges alike: evpub -T writes the stamped events once durable, -q silences" {
	unset EVENTFUL_BUS
	run -0 evpub -T d -t t n:=1
	assert_equal "$(jq -r .sequence <<<"$output")" 000000000001
	lines 3 | evpub -l -T d -t n >acked
	assert_equal "$(jq -r .sequence acked | tr '\n' ' ')" "000000000002 000000000003 000000000004 "
	tail -3 "$EVENTFUL_HOME/topics/d/log" | cmp - acked
	run -0 evpub -q -T d -t t n:=1
	assert_output ''
	# A reader that goes away ends the publisher quietly.
	lines 100000 | evpub -l -T d -t n | head -1 >/dev/null
}

@test "an acknowledgement that cannot be written (stdout on a full disk): status 1, said, and the events stay stored, on both buses and from evlog append" {
	[ -e /dev/full ] || skip "no /dev/full"
	nats_start
	# One piece writes every acknowledgement (src/ack.c): each way of
	# appending fails alike when stdout cannot take it.
	for bus in nats dir; do
		if [[ $bus == dir ]]; then unset EVENTFUL_BUS; fi
		for cmd in "evpub -T f$bus -t t -S s/1 n:=1" \
		    "evpub -T f$bus --expect 1 -t t -S s/1 n:=2" \
		    "evpub -l -T f$bus -t t -S s/1 <<<'{\"n\":3}'" \
		    "evlog append -T f$bus <<<\"\$(evpub -t t -S s/1 n:=4)\""; do
			run -1 --separate-stderr bash -c "$cmd >/dev/full"
			assert_equal "${stderr##*$'\n'}" "${cmd%% *}$([[ $cmd == evlog* ]] && echo ' append'): stdout: write: No space left on device"
		done
		assert_equal "$(evsub -T "f$bus" --from 1 --once | jq -r .data.n | tr '\n' ' ')" "1 2 3 4 "
	done
	for opt in '' '--sync event' '--expect 0'; do
		# shellcheck disable=SC2086
		run -1 --separate-stderr bash -c "evpub -t t -S s/1 n:=1 | evlog append $opt l${opt// /} >/dev/full"
		assert_equal "$stderr" "evlog append: stdout: write: No space left on device"
		assert_equal "$(evlog cat "l${opt// /}" | wc -l)" 1
	done
}

@test "idempotence: a repeat of source and id is dropped within the duplicate window, said on stderr, not acknowledged again" {
	nats_start
	run -0 --separate-stderr evpub -T i -t t -s src --id one n:=1
	assert_equal "$(jq -r .sequence <<<"$output")" 000000000001
	run -0 --separate-stderr evpub -T i -t t -s src --id one n:=1
	assert_output ''
	[[ $stderr == *"event 1: source and id are in the stream already, as sequence 1: not published again"* ]]
	run -0 evpub -q -T i -t t -s src --id two n:=1
	assert_equal "$(evsub -T i --from 1 --once | jq -r .id | tr '\n' ' ')" "one two "
	# The window is the stream's: --dup-window when a publisher makes it.
	evpub -q -T w --dup-window 2 -t t n:=1
	assert_equal "$(jsz "$NMPORT" 'streams=true&config=true' | jq -r '.account_details[0].stream_detail[] | select(.name == "EV_w") | .config.duplicate_window')" 2000000000
	run -2 evpub -T w --dup-window 0.5 -t t n:=1
}

@test "what one bus cannot do is refused, not ignored: --sync and --max-wait on NATS, --replicas and --dup-window on the directory bus, others than the stream's" {
	nats_start
	evpub -q -T w --dup-window 2 --replicas 1 -t t n:=1
	# The same as the stream's: taken.
	run -0 evpub -q -T w --dup-window 2 --replicas 1 -t t n:=2
	run -2 --separate-stderr evpub -T w --replicas 3 -t t n:=3
	assert_equal "$stderr" "evpub: --replicas: 3: the stream EV_w has 1, chosen when it was made (nats stream edit changes it)"
	run -2 --separate-stderr evpub -T w --dup-window 60 -t t n:=3
	assert_equal "$stderr" "evpub: --dup-window: 60 s: the stream EV_w has 2 s, chosen when it was made (nats stream edit changes it)"
	run -2 --separate-stderr evpub -T w --sync event -t t n:=3
	[[ $stderr == "evpub: --sync: no effect on NATS, where an event is durable once a majority of its stream's replicas hold it (--replicas); leave --sync out" ]]
	run -2 --separate-stderr evpub -T w --max-wait 1 -t t n:=3
	[[ $stderr == "evpub: --max-wait: NATS does not cut off a slow live subscriber; leave --max-wait out" ]]
	run -2 --separate-stderr evlog append -T w --sync none <<<'{"specversion":"1.0","id":"x","source":"//t","type":"t"}'
	[[ $stderr == "evlog append: --sync: no effect on NATS"* ]]
	# None of them published anything.
	assert_equal "$(evsub -T w --from 1 --once | wc -l)" 2
	# And on the directory bus:
	unset EVENTFUL_BUS
	run -2 --separate-stderr evpub -T w --replicas 3 -t t n:=1
	[[ $stderr == "evpub: --replicas: the directory bus keeps one copy, the log on this machine; --replicas is for NATS (--bus nats://...)" ]]
	run -2 --separate-stderr evpub -T w --dup-window 60 -t t n:=1
	[[ $stderr == "evpub: --dup-window: the directory bus drops a repeated source and id whatever their age"* ]]
	[ ! -e "$EVENTFUL_HOME/topics/w" ]
	run -0 evpub -q -T w --sync event --max-wait 1 -t t n:=1
}

# ---- --expect: per subject, race-free ----

@test "--expect N: the subject's count must be N; a concurrent writer makes all but one fail with 4" {
	nats_start
	run -0 evpub -T acct -t dep -S account/7 --expect 0 n:=1
	run -4 --separate-stderr evpub -T acct -t dep -S account/7 --expect 0 n:=2
	[[ $stderr == *"the subject has 1 events, not 0: nothing published"* ]]
	# Other subjects do not count.
	evpub -q -T acct -t dep -S account/8 n:=1
	lines 3 | evpub -q -l -T acct -t dep -S account/7 --expect 1
	run -0 evpub -T acct -t dep -S account/7 --expect 4 n:=5
	assert_equal "$(jq -r .sequence <<<"$output")" 000000000006
	# With -l, every event has the one subject.
	printf '{"n":1}\n{"specversion":"1.0","id":"x","source":"s","type":"t","subject":"other"}\n' >two
	run -3 --separate-stderr evpub -q -l -T acct -t dep -S account/7 --expect 5 <two
	[[ $stderr == *"event 2: --expect counts the events of one subject: this one has another"* ]]
	# Five writers, all expecting 5: exactly one gets in, each round.
	for round in 5 6 7; do
		for w in 1 2 3 4 5; do
			evpub -q -T acct -t dep -S account/7 --expect "$round" n:="$w" 2>/dev/null &
			pids[$w]=$!
		done
		ok=0
		for w in 1 2 3 4 5; do
			if wait "${pids[$w]}"; then ok=$((ok + 1)); else [ $? -eq 4 ]; fi
		done
		assert_equal "$ok" 1
	done
	assert_equal "$(evsub -T acct --from 1 --once subject=account/7 | wc -l)" 8
}

@test "the directory bus: --expect N per subject, status 4 when it differs" {
	unset EVENTFUL_BUS
	run -0 evpub -T acct -t dep -S account/7 --expect 0 n:=1
	run -4 evpub -T acct -t dep -S account/7 --expect 0 n:=2
	lines 2 | evpub -q -l -T acct -t dep -S account/7 --expect 1
	run -3 evpub -T acct -t dep --expect 3 n:=1
	assert_equal "$(wc -l <"$EVENTFUL_HOME/topics/acct/log")" 3
}

# ---- subjects NATS would misread ----

@test "subjects with spaces, dots, wildcards, or none: stored and counted apart, and read back as they were" {
	nats_start
	for s in 'a b' 'a.b' '*' '>' 'x.>' '100%' 'ünï'; do
		evpub -q -T s -t t -S "$s" --expect 0 n:=1
		evpub -q -T s -t t -S "$s" --expect 1 n:=2
	done
	evpub -q -T s -t t n:=1
	evsub -T s --from 1 --once >got
	assert_equal "$(wc -l <got)" 15
	assert_equal "$(jq -r '.subject // "(none)"' got | sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')" "1 2 "
	assert_equal "$(jq -r 'select(.subject == "x.>") | .data.n' got | tr '\n' ' ')" "1 2 "
}

@test "a subject too long for the server's control line (700 'ü') is published under its hash: acknowledged, read back whole, counted by --expect" {
	# Percent-encoded into the NATS subject, it made the publish line
	# longer than max_control_line (4096): evpub hung for ever, silently,
	# the events before it stored and never acknowledged.
	nats_start
	u=$("$SYSPY" -c 'print("\u00fc" * 700)')
	long=$("$SYSPY" -c 'print("\u00fc" * 690 + "x")')
	{
		echo '{"n":1}'
		jq -nc --arg s "$u" '{specversion:"1.0",id:"b",source:"/x",type:"t",subject:$s,data:{"n":2}}'
		echo '{"n":3}'
	} >in
	run -0 --separate-stderr timeout 60 evpub -l -T big -t t <in
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .sequence <<<"$output" | tr '\n' ' ')" "000000000001 000000000002 000000000003 "
	run -0 evsub -T big --from 1 --once
	assert_equal "${#lines[@]}" 3
	assert_equal "$(jq -r '.subject // empty' <<<"$output")" "$u"
	# --expect counts the events of that subject, and of another as long
	# apart from it (another hash).
	run -0 timeout 60 evpub -q -T big -t t -S "$u" --expect 1 n:=4
	run -4 timeout 60 evpub -q -T big -t t -S "$u" --expect 1 n:=5
	run -0 timeout 60 evpub -q -T big -t t -S "$long" --expect 0 n:=6
	run -0 timeout 60 evpub -q -T big -t t -S "$long" --expect 1 n:=7
	run -0 evsub -T big --from 1 --once
	assert_equal "$(jq -r .data.n <<<"$output" | tr '\n' ' ')" "1 2 3 4 6 7 "
	# The directory bus takes the same events (it has no subject limit).
	unset EVENTFUL_BUS
	run -0 evpub -q -l -T big -t t <in
	assert_equal "$(evsub -T big --from 1 --once | jq -r '.subject // empty')" "$u"
}

@test "evpub --listen -T on NATS: an event with a subject too long for the control line is answered 200, and so is every later request; SIGTERM ends it" {
	# It stopped answering every later request, from anyone, and ignored
	# SIGTERM.
	load test_helper/listen
	nats_start
	u=$("$SYSPY" -c 'print("\u00fc" * 700)')
	listen -T lb
	BGPIDS="${BGPIDS-} $LPID"	# teardown stops it, whatever happens
	body=$(jq -nc --arg s "$u" '{specversion:"1.0",id:"b",source:"/x",type:"t",subject:$s}')
	assert_equal "$(post --max-time 30 -H 'Content-Type: application/cloudevents+json' -d "$body" "$URL")" 200
	assert_equal "$(post --max-time 30 -H 'Content-Type: application/cloudevents+json' -d '{"specversion":"1.0","id":"c","source":"/x","type":"t"}' "$URL")" 200
	kill -TERM "$LPID"
	stopped "$LPID"
	run -0 evsub -T lb --from 1 --once
	assert_equal "$(jq -r .id <<<"$output" | tr '\n' ' ')" "b c "
}

@test "no publish waits for ever: a server that drops the connection (a line over its max_control_line) is status 1 at once, with a message" {
	# A server set to a shorter line than the 2048 bytes under which a
	# subject is not hashed.  evpub waited for the window's acks without
	# end.
	local p
	p=($(freeports 2))
	nats_conf 1 "${p[0]}" "${p[1]}"
	echo 'max_control_line: 1024' >>"$BATS_TEST_TMPDIR/nats1/conf"
	nats_node 1
	nats_ready "${p[1]}"
	export EVENTFUL_BUS="nats://127.0.0.1:${p[0]}"
	run -0 evpub -q -T cl -t t n:=1
	s=$(printf 'a%.0s' $(seq 1500))
	run -1 --separate-stderr timeout 100 evpub -T cl -t t -S "$s" n:=2
	assert_equal "$output" ""
	assert_equal "$stderr" "evpub: cl: event 1: not published: the server closed the connection, and it was not made again (the server's log says why)"
	grep -q 'maximum control line exceeded' "$BATS_TEST_TMPDIR/nats1/log"
	# In a window, the events before it are not acknowledged either.
	{ echo '{"n":3}'; jq -nc --arg s "$s" '{specversion:"1.0",id:"x",source:"/x",type:"t",subject:$s}'; } >in
	run -1 --separate-stderr timeout 100 evpub -l -T cl -t t <in
	assert_equal "$output" ""
	run -0 evpub -q -T cl -t t n:=4
}

# ---- durable consumers ----

@test "EVENTFUL_NATS_ACK_WAIT: the ack wait of a consumer made then (30 s without it, kept by the consumer, made again by --reset); a bad one is status 2 that says so" {
	nats_start
	lines 3 | evpub -q -l -T aw -t n
	ackwait() {
		jsz "$NMPORT" 'consumers=true&config=true' |
		    jq -r --arg c "$1" '.account_details[0].stream_detail[0].consumer_detail[] | select(.name == $c) | .config.ack_wait'
	}
	run -0 evsub -T aw --consumer plain --once
	assert_equal "$(ackwait plain)" 30000000000
	EVENTFUL_NATS_ACK_WAIT=2.5 run -0 evsub -T aw --consumer quick --once
	assert_equal "$(ackwait quick)" 2500000000
	# Kept by the consumer: a later run does not change it.
	EVENTFUL_NATS_ACK_WAIT=7 run -0 evsub -T aw --consumer quick --once
	assert_equal "$(ackwait quick)" 2500000000
	EVENTFUL_NATS_ACK_WAIT=7 run -0 evsub -T aw --consumer quick --reset 1
	assert_equal "$(ackwait quick)" 7000000000
	for bad in 0 -1 x 86401; do
		EVENTFUL_NATS_ACK_WAIT=$bad run -2 --separate-stderr evsub -T aw --consumer quick --once
		assert_output ''
		[[ $stderr == "evsub: EVENTFUL_NATS_ACK_WAIT: $bad: "*"give seconds, more than 0 and at most 86400" ]] ||
		    { echo "$bad: $stderr"; return 1; }
	done
	# --reset makes the consumer again: a bad one is refused there too,
	# and the consumer is left as it was.
	EVENTFUL_NATS_ACK_WAIT=x run -2 --separate-stderr evsub -T aw --consumer quick --reset 2
	[[ $stderr == "evsub: EVENTFUL_NATS_ACK_WAIT: x: "*"give seconds, more than 0 and at most 86400" ]]
	assert_equal "$(ackwait quick)" 7000000000
	run -0 evsub -T aw --consumer quick --once
	assert_equal "$(jq -r .data.n <<<"$output" | tr '\n' ' ')" "1 2 3 "
}

@test "the cron story on NATS: publish 100, --once, publish 50, --once: 150 deliveries, each once; the position is the server's" {
	nats_start
	lines 100 | evpub -q -l -T cron -t n
	run -0 evsub -T cron --consumer billing --once --exec sh -c 'cat >>delivered'
	assert_equal "$(wc -l <delivered)" 100
	seq 101 150 | sed 's/.*/{"n":&}/' | evpub -q -l -T cron -t n
	run -0 evsub -T cron --consumer billing --once --exec sh -c 'cat >>delivered'
	run -0 evsub -T cron --consumer billing --once --exec sh -c 'cat >>delivered'
	assert_equal "$(jq -r .data.n delivered | tr '\n' ' ')" "$(seq 150 | tr '\n' ' ')"
	assert_equal "$(jsz "$NMPORT" 'consumers=true' | jq -r '.account_details[0].stream_detail[0].consumer_detail[] | select(.name == "billing") | .ack_floor.stream_seq')" 150
	run -0 evsub -T cron --consumer audit --once
	assert_equal "${#lines[@]}" 150
	run -0 evsub --topics
	assert_equal "${lines[0]}" "$(printf 'cron\tevents 150\tsubscribers 0')"
	assert_equal "${lines[1]}" "$(printf 'cron\tconsumer audit\tposition 150\tlag 0')"
	assert_equal "${lines[2]}" "$(printf 'cron\tconsumer billing\tposition 150\tlag 0')"
}

@test "a command failing at event 120: the run stops with 1, the next starts at 120; --dead-letter parks and goes on" {
	nats_start
	lines 200 | evpub -q -l -T f -t n
	cat >deliver <<'EOF'
#!/bin/sh
# The n of the event on stdin, {..."data":{"n":N}...}, by the shell alone.
IFS= read -r e || :
n=${e##*'"data":{"n":'}
n=${n%%\}*}
[ -e broken ] && [ "$n" -eq 120 ] && exit 1
printf '%s\n' "$n" >>got
EOF
	chmod +x deliver
	touch broken
	run -1 --separate-stderr evsub -T f --consumer c --once --retries 0 --exec ./deliver
	assert_equal "$(tail -1 got)" 119
	rm broken
	run -0 evsub -T f --consumer c --once --retries 0 --exec ./deliver
	assert_equal "$(tr '\n' ' ' <got)" "$(seq 200 | tr '\n' ' ')"
	lines 5 | evpub -q -l -T dl -t n
	run -1 evsub -T dl --consumer c --once --retries 0 --dead-letter parked --exec sh -c 'jq -e ".data.n != 3" >/dev/null'
	assert_equal "$(jq -r .data.n parked)" 3
}

@test "--reset moves a consumer, --delete removes it, --delete-topic the stream; missing ones are status 8" {
	nats_start
	lines 10 | evpub -q -l -T r -t n
	evsub -T r --consumer c --once >/dev/null
	run -0 evsub -T r --consumer c --reset 4
	assert_output --partial 'position 10 -> 3 on topic r'
	assert_equal "$(evsub -T r --consumer c --once | jq -r .data.n | tr '\n' ' ')" "4 5 6 7 8 9 10 "
	run -0 evsub -T r --consumer c --delete
	run -1 evsub -T r --consumer c --delete
	run -8 evsub -T nope --consumer c --once
	assert_output --partial 'nope: no such topic in'
	run -0 evsub --delete-topic r
	run -8 evsub --delete-topic r
	run -0 --separate-stderr evsub --topics
	[[ $stderr == *"no topics in $NATS"* ]]
}

# ---- replay and live ----

@test "--from SEQ and --since TIME replay, then follow; --once stops at the end" {
	nats_start
	lines 5 | evpub -q -l -T rp -t n
	assert_equal "$(evsub -T rp --from 3 --once | jq -r .data.n | tr '\n' ' ')" "3 4 5 "
	run -0 evsub -T rp --from 9 --once
	assert_output ''
	assert_equal "$(evsub -T rp --since 1h --once | wc -l)" 5
	bg evsub -T rp --from 5 -c 3 -o follow.out
	# It has replayed, then follows.
	for _ in $(seq 100); do [ -s follow.out ] && break; sleep 0.05; done
	lines 2 | evpub -q -l -T rp -t m
	exited "$LAST" 0
	assert_equal "$(jq -r .type follow.out | tr '\n' ' ')" "n m m "
}

@test "--from past the end by more than one: nothing before its start, though the server starts the reading at the next sequence" {
	nats_start
	lines 5 | evpub -q -l -T pe -t n
	bg evsub -T pe --from 8 -o from.out
	from=$LAST
	bg evlog cat -f -T pe --from 8 >cat.out
	cat=$LAST
	# Both are consumers on the server before more comes.
	for _ in $(seq 200); do
		[ "$(jsz "$NMPORT" 'streams=true' | jq '.account_details[0].stream_detail[0].state.consumer_count')" = 2 ] && break
		sleep 0.05
	done
	lines 4 | evpub -q -l -T pe -t m
	for _ in $(seq 200); do [ "$(cat from.out cat.out | wc -l)" -ge 4 ] && break; sleep 0.05; done
	kill "$from" "$cat"
	# The server gave 6 and 7 too (it takes a start past the end back
	# to the next sequence): they were dropped, not delivered.
	assert_equal "$(jq -r .sequence from.out | tr '\n' ' ')" "000000000008 000000000009 "
	assert_equal "$(jq -r .sequence cat.out | tr '\n' ' ')" "000000000008 000000000009 "
}

@test "a live subscriber gets what is published while it listens, stamped, and --topics counts it" {
	nats_start
	lines 3 | evpub -q -l -T lv -t old
	bg evsub -T lv -c 3 -o live.out
	for _ in $(seq 100); do
		[ "$(evsub --topics | head -1 | cut -f3)" = "subscribers 1" ] && break
		sleep 0.05
	done
	assert_equal "$(evsub --topics | head -1 | cut -f3)" "subscribers 1"
	lines 3 | evpub -q -l -T lv -t new
	for _ in $(seq 100); do kill -0 "$LAST" 2>/dev/null || break; sleep 0.05; done
	assert_equal "$(jq -r '[.type, .sequence] | @tsv' live.out | tr '\n' ' ')" "$(printf 'new\t000000000004 new\t000000000005 new\t000000000006 ')"
}

@test "a live subscriber that comes before the topic waits for it, and loses nothing" {
	nats_start
	bg evsub -T later -c 2 -o early.out 2>early.err
	for _ in $(seq 100); do grep -q 'waiting for a publisher' early.err && break; sleep 0.05; done
	run -0 cat early.err
	assert_line 'evsub: -T: later: waiting for a publisher to make it'
	evpub -q -T later -t t n:=1
	evpub -q -T later -t t n:=2
	exited "$LAST" 0
	assert_equal "$(jq -r .data.n early.out | tr '\n' ' ')" "1 2 "
}

# ---- binary mode, max_payload ----

# hpub SUBJECT HEADERS BODY: publishes one message with headers (lines
# "Key: value") as a raw NATS client would, then waits for the server.
hpub() {
	"$SYSPY" - "$NPORT" "$@" <<'PY'
import socket, sys
port, subj, hdrs, body = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4].encode()
h = ("NATS/1.0\r\n" + "".join(l + "\r\n" for l in hdrs.split("\n") if l) + "\r\n").encode()
s = socket.create_connection(("127.0.0.1", port))
s.recv(4096)
s.sendall(b'CONNECT {"headers":true,"verbose":false}\r\n')
s.sendall(b"HPUB %s %d %d\r\n" % (subj.encode(), len(h), len(h) + len(body)) + h + body + b"\r\nPING\r\n")
buf = b""
while b"PONG" not in buf:
    buf += s.recv(4096)
PY
}

@test "a message in the stream that is no event stops a consumer there: status 1, said with its sequence, what came before committed" {
	nats_start
	evpub -q -T nb -t first n:=1
	hpub ev.nb._ "" '{"not":"an event"}'
	evpub -q -T nb -t third n:=3
	run -1 --separate-stderr evsub -T nb --consumer c --once -o out
	[[ $stderr == "evsub: nb:2: not an event in the log: "*"(see evlog verify)" ]] || { echo "$stderr"; return 1; }
	assert_equal "$(jq -r .data.n out)" 1
	run -0 evsub --topics --json
	assert_equal "$(jq -c '.consumers[] | select(.name == "c") | .position' <<<"$output")" 1
}

@test "binary mode is read too, by the receiver's rules: ce- headers as attributes (percent-decoded), Content-Type as datacontenttype, the body as data (JSON, text/ as a string, else base64)" {
	nats_start
	evpub -q -T bin -t first n:=1
	hpub ev.bin.s.order/9 "$(printf 'ce-specversion: 1.0\nce-id: b1\nce-source: //other\nce-type: order.placed\nce-subject: order%%2F9\nContent-Type: application/json')" '{"total":42}'
	hpub ev.bin._ "$(printf 'ce-specversion: 1.0\nce-id: b2\nce-source: //other\nce-type: note\nContent-Type: text/plain')" 'hello there'
	hpub ev.bin._ "$(printf 'ce-specversion: 1.0\nce-id: b3\nce-source: //other\nce-type: blob\nContent-Type: application/octet-stream')" 'abc'
	hpub ev.bin._ "$(printf 'ce-specversion: 1.0\nce-id: b4\nce-source: //other\nce-type: bare')" '[1,2]'
	evsub -T bin --from 2 --once >got
	run -0 jq -c . got
	assert_line --index 0 '{"specversion":"1.0","id":"b1","source":"//other","type":"order.placed","subject":"order/9","datacontenttype":"application/json","data":{"total":42},"sequence":"000000000002"}'
	assert_line --index 1 '{"specversion":"1.0","id":"b2","source":"//other","type":"note","datacontenttype":"text/plain","data":"hello there","sequence":"000000000003"}'
	assert_line --index 2 '{"specversion":"1.0","id":"b3","source":"//other","type":"blob","datacontenttype":"application/octet-stream","data_base64":"YWJj","sequence":"000000000004"}'
	assert_line --index 3 '{"specversion":"1.0","id":"b4","source":"//other","type":"bare","data":[1,2],"sequence":"000000000005"}'
	local want=${lines[2]}
	# The same message over HTTP makes the same event.
	evpub --listen 127.0.0.1:0 -T bin2 2>listen.err &
	local lpid=$! i port=
	for i in $(seq 200); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' listen.err)
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { cat listen.err; return 1; }
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H 'ce-specversion: 1.0' -H 'ce-id: b3' -H 'ce-source: //other' -H 'ce-type: blob' -H 'Content-Type: application/octet-stream' --data-binary abc "http://127.0.0.1:$port/"
	kill "$lpid"
	wait "$lpid" || true  # honest: stopped by us, its status is the signal's
	assert_output 200
	run -0 bash -c 'evsub -T bin2 --from 1 --once | jq -c "del(.sequence, .time)"'
	assert_output "$(jq -c 'del(.sequence)' <<<"$want")"  # the receiver adds a time, as evpub does
}

@test "an event over the server's max_payload (headers count) is refused with a clear message, at once" {
	nats_start
	nats_stop
	echo 'max_payload: 4096' >>"$BATS_TEST_TMPDIR/nats1/conf"
	nats_node 1
	nats_ready "$NMPORT"
	run -0 evpub -q -T big -t t -d "\"$(head -c 3000 /dev/zero | tr '\0' x)\""
	SECONDS=0
	run -1 --separate-stderr evpub -T big -t t -d "\"$(head -c 4000 /dev/zero | tr '\0' x)\""
	[[ $stderr == *"bytes with its headers, over the server's max_payload of 4096"* ]]
	# At once, not after a publish's minute of retries (a bound loose
	# enough for a loaded machine).
	[ "$SECONDS" -lt 15 ]
}

# ---- a cluster of three, R3, and kill -9 ----

@test "cluster: kill -9 of the stream leader while 10,000 events are published: every acknowledged event is there once, and publishing resumes" {
	nats_cluster
	evpub -q -T big -t start n:=0
	assert_equal "$(jsz "${NMPORTS[0]}" 'streams=true&config=true' | jq -r '.account_details[0].stream_detail[0].config.num_replicas')" 3
	# 500 at a time, a tenth of a second apart: the kill lands mid-way.
	for i in $(seq 0 19); do seq $((i * 500 + 1)) $((i * 500 + 500)) | sed 's/.*/{"n":&}/'; sleep 0.1; done |
	    evpub -l -T big -t n >acked 2>pub.err &
	pub=$!
	for _ in $(seq 200); do [ "$(wc -l <acked)" -ge 2000 ] && break; sleep 0.05; done
	leader=$(nats_leader EV_big)
	[ -n "$leader" ]
	kill -9 "${NPID[$leader]}"
	wait "$pub" || { cat pub.err; return 1; }
	# Every event acknowledged, each once in the stream.
	assert_equal "$(wc -l <acked)" 10000
	evsub -T big --from 1 --once >all
	assert_equal "$(jq -r .data.n all | sort -n | uniq -d | wc -l)" 0
	assert_equal "$(jq -r 'select(.type == "n") | .data.n' all | sort -n | uniq | wc -l)" 10000
	jq -r .id acked | sort >acked.ids
	jq -r .id all | sort >all.ids
	[ -z "$(comm -23 acked.ids all.ids)" ]
	# And the sequences acknowledged are the stream's.
	assert_equal "$(jq -r '[.id, .sequence] | @tsv' acked | sort | comm -23 - <(jq -r '[.id, .sequence] | @tsv' all | sort) | wc -l)" 0
	run -0 evpub -T big -t after n:=1
}

@test "cluster: kill -9 of the consumer's leader while a durable consumer runs: nothing skipped, redeliveries are the same events" {
	nats_cluster
	# What the killed leader had handed out and not seen acked comes
	# again after the consumer's ack wait: 2 s here, not 30 (a run took
	# 92 s waiting for it, three times).
	export EVENTFUL_NATS_ACK_WAIT=2
	lines 10000 | evpub -q -l -T work -t n
	bg evsub -T work --consumer c -w 40 -o got
	for _ in $(seq 400); do [ "$(wc -l <got 2>/dev/null || echo 0)" -ge 1000 ] && break; sleep 0.05; done
	leader=$(for i in 0 1 2; do kill -0 "${NPID[$((i + 1))]}" 2>/dev/null || continue
	    jsz "${NMPORTS[$i]}" 'consumers=true' | jq -r '.account_details[0].stream_detail[0].consumer_detail[]? | select(.name == "c") | .cluster.leader // empty'; done | head -1 | sed 's/^n//')
	[ -n "$leader" ]
	kill -9 "${NPID[$leader]}"
	for _ in $(seq 1000); do [ "$(jq -r .data.n got | sort -u | wc -l)" -ge 10000 ] && break; sleep 0.1; done
	assert_equal "$(jq -r .data.n got | sort -n | uniq | wc -l)" 10000
	# A redelivery is the very event: same sequence, same bytes.
	assert_equal "$(sort -u got | jq -r .sequence | sort | uniq -d | wc -l)" 0
}

@test "cluster: a reading opened right after kill -9 of the stream's leader waits for the new one, not a time-out" {
	nats_cluster
	lines 10 | evpub -q -l -T r3 -t n
	leader=$(nats_leader EV_r3)
	[ -n "$leader" ]
	kill -9 "${NPID[$leader]}"
	run -0 --separate-stderr evsub -T r3 --from 1 --once
	assert_equal "${#lines[@]}" 10
	run -0 --separate-stderr evsub --topics
	assert_line --index 0 "$(printf 'r3\tevents 10\tsubscribers 0')"
	run -0 evpub -q -T r3 -t n n:=11
	run -0 --separate-stderr evsub -T r3 --consumer c --once --data
	assert_equal "${#lines[@]}" 11
}

# ---- credentials and TLS, as libnats takes them ----

@test "user:pass@ in the URL: the server's password is taken; a wrong one is status 1 that says so" {
	nats_start
	nats_stop
	echo 'authorization { user: ev, password: s3cret }' >>"$BATS_TEST_TMPDIR/nats1/conf"
	nats_node 1
	nats_ready "$NMPORT"
	unset EVENTFUL_BUS
	run -0 evpub --bus "nats://ev:s3cret@127.0.0.1:$NPORT" -T a -t t n:=1
	assert_equal "$(jq -r .sequence <<<"$output")" 000000000001
	run -0 evsub --bus "nats://ev:s3cret@127.0.0.1:$NPORT" -T a --from 1 --once --data
	assert_output '{"n":1}'
	run -1 --separate-stderr evpub --bus "nats://ev:wrong@127.0.0.1:$NPORT" -T a -t t n:=2
	[[ $stderr == *"connect: "*[Aa]uthori* ]] || { echo "$stderr"; return 1; }
}

@test "--creds: a user's JWT and seed signed by the server's operator is taken (NATS_CREDS too); another account's, none, an unreadable file, or --creds on the directory bus are refused" {
	local d=$BATS_TEST_TMPDIR/jwt
	/usr/bin/python3 "$ROOT/tests/test_helper/natsjwt.py" "$d"
	nats_start
	nats_stop
	cat "$d/server.conf" >>"$BATS_TEST_TMPDIR/nats1/conf"
	nats_node 1
	nats_ready "$NMPORT"
	run -0 evpub --creds "$d/user.creds" -T a -t t n:=1
	assert_equal "$(jq -r .sequence <<<"$output")" 000000000001
	NATS_CREDS=$d/user.creds run -0 evsub -T a --from 1 --once --data
	assert_output '{"n":1}'
	run -0 evlog append --creds "$d/user.creds" -T a <<<'{"specversion":"1.0","id":"x","source":"//t","type":"t"}'
	run -0 evlog cat --creds "$d/user.creds" -T a
	assert_equal "${#lines[@]}" 2
	run -0 evsub --creds "$d/user.creds" --topics --json
	assert_equal "$(jq -r "[.topic, .last] | @tsv" <<<"$output")" "a	2"
	# --creds wins over NATS_CREDS.
	NATS_CREDS=/nonexistent run -0 evsub --creds "$d/user.creds" -T a --from 2 --once
	# Not the server's operator's: refused, and nothing published.
	run -1 --separate-stderr evpub --creds "$d/other.creds" -T a -t t n:=2
	assert_equal "$stderr" "evpub: $NATS: connect: Authorization Violation"
	assert_output ''
	run -1 --separate-stderr evpub -T a -t t n:=2
	[[ $stderr == *"connect: Authorization Violation" ]]
	# A file that is not there: named, with where it was named.
	run -1 --separate-stderr evsub --creds "$d/nope.creds" -T a --from 1 --once
	assert_equal "$stderr" "evsub: --creds: $d/nope.creds: No such file or directory"
	NATS_CREDS=$d/nope.creds run -1 --separate-stderr evlog cat -T a
	assert_equal "$stderr" "evlog cat: NATS_CREDS: $d/nope.creds: No such file or directory"
	echo garbage >"$d/bad.creds"
	run -1 --separate-stderr evpub --creds "$d/bad.creds" -T a -t t n:=2
	assert_equal "$stderr" "evpub: $NATS: connect: no nkey user seed found in '$d/bad.creds'"
	run -0 evsub --creds "$d/user.creds" -T a --from 1 --once
	assert_equal "${#lines[@]}" 2
	# Debian's libnats sends no signature of the server's nonce when its
	# signature's first byte is zero: 1 connection in 256 was refused,
	# and a CI run now and then.  A connection refused so is made again,
	# three times at most: through a server that refuses the first 3 (as
	# it refuses a bad signature) the fourth gets in; one that refuses 4
	# is said.  And 100 real connections all get in.
	local try
	for refuse in 3 4; do
		bg "$SYSPY" "$ROOT/tests/test_helper/natsrefuse.py" \
		    "$BATS_TEST_TMPDIR/rport$refuse" "$NPORT" "$refuse" \
		    >"$BATS_TEST_TMPDIR/refused$refuse"
		for try in $(seq 100); do
			[ -s "$BATS_TEST_TMPDIR/rport$refuse" ] && break
			sleep 0.05
		done
		rport=$(cat "$BATS_TEST_TMPDIR/rport$refuse")
		if [ "$refuse" -eq 3 ]; then
			run -0 evsub --creds "$d/user.creds" --bus "nats://127.0.0.1:$rport" --topics --json
			assert_equal "$(jq -r .topic <<<"$output")" a
		else
			run -1 --separate-stderr evsub --creds "$d/user.creds" --bus "nats://127.0.0.1:$rport" --topics
			assert_equal "$stderr" "evsub: nats://127.0.0.1:$rport: connect: Authorization Violation"
		fi
		run -0 cat "$BATS_TEST_TMPDIR/refused$refuse"
		assert_equal "$(tr '\n' ' ' <<<"$output")" "$([ "$refuse" -eq 3 ] && echo 'refused 1 refused 2 refused 3 relayed 4 ' || echo 'refused 1 refused 2 refused 3 refused 4 ')"
	done
	run -0 bash -c 'seq 100 | xargs -P 4 -I{} evsub --creds "$1" --topics \
	    2>&1 >/dev/null | sort | uniq -c' _ "$d/user.creds"
	assert_output ''
	# The directory bus has no users: --creds there is a mistake, said;
	# NATS_CREDS, for other tools too, is left alone.
	run -2 --separate-stderr evpub --bus dir: --creds "$d/user.creds" -T a -t t
	[[ $stderr == "evpub: --creds: $d/user.creds: credentials are for a NATS bus"* ]]
	unset EVENTFUL_BUS
	run -2 --separate-stderr evsub --creds "$d/user.creds" --topics
	[[ $stderr == *"credentials are for a NATS bus"* ]]
	run -2 --separate-stderr evlog cat --creds "$d/user.creds" -T a
	[[ $stderr == *"credentials are for a NATS bus"* ]]
	run -2 --separate-stderr evlog cat --creds "$d/user.creds" somelog
	[[ $stderr == *'--creds goes with -T'* ]]
	run -2 --separate-stderr evpub --creds "$d/user.creds" -t t
	[[ $stderr == *"--creds"*"are for -T"* ]]
	run -2 --separate-stderr evsub --creds "$d/user.creds"
	[[ $stderr == *"--bus and --creds are for -T"* ]]
	NATS_CREDS=$d/user.creds run -0 evpub -q -T local -t t
}

@test "tls:// with the server's CA in NATS_CA: published and read over TLS; without the CA, status 1" {
	local d=$BATS_TEST_TMPDIR/tls
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=evca \
	    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	    -keyout "$d/srv.key" -out "$d/srv.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >"$d/ext"
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
	    -CAcreateserial -days 2 -extfile "$d/ext" -out "$d/srv.pem" 2>/dev/null
	nats_start
	nats_stop
	echo "tls { cert_file: \"$d/srv.pem\", key_file: \"$d/srv.key\" }" >>"$BATS_TEST_TMPDIR/nats1/conf"
	nats_node 1
	nats_ready "$NMPORT"
	unset EVENTFUL_BUS
	NATS_CA=$d/ca.pem run -0 evpub --bus "tls://127.0.0.1:$NPORT" -T a -t t n:=1
	assert_equal "$(jq -r .sequence <<<"$output")" 000000000001
	NATS_CA=$d/ca.pem run -0 evsub --bus "tls://127.0.0.1:$NPORT" -T a --from 1 --once --data
	assert_output '{"n":1}'
	# A server whose certificate nobody vouches for is refused.
	run -1 --separate-stderr evpub --bus "tls://127.0.0.1:$NPORT" -T a -t t n:=2
	[[ $stderr == "evpub: tls://127.0.0.1:$NPORT: connect: "* ]] || { echo "$stderr"; return 1; }
	NATS_CA=$d/ca.pem run -0 evsub --bus "tls://127.0.0.1:$NPORT" -T a --from 1 --once --data
	assert_output '{"n":1}'
}

# ---- evlog on a topic of the bus ----

@test "evlog append -T and cat -T on NATS: acknowledged with the stream's sequences, --expect per subject (4 when it fails), -n, --from, --to" {
	nats_start
	for i in 1 2 3; do
		printf '{"specversion":"1.0","id":"e%d","source":"//t","type":"t","subject":"acct/1","data":%d}\n' "$i" "$i"
	done >in
	run -0 evlog append -T acct --expect 0 <in
	assert_equal "$(jq -r .sequence <<<"$output" | tr '\n' ' ')" '000000000001 000000000002 000000000003 '
	run -4 --separate-stderr evlog append -T acct --expect 0 \
	    <<<'{"specversion":"1.0","id":"e9","source":"//t","type":"t","subject":"acct/1"}'
	[[ $stderr == *"the subject has 3 events, not 0"* ]]
	# Invalid lines are refused as everywhere (3), the rest published.
	run -3 --separate-stderr evlog append -T acct <<<'{"specversion":"0.3"}'
	[ ! -e "$EVENTFUL_HOME/topics/acct" ]
	run -0 evlog cat -T acct
	assert_equal "${#lines[@]}" 3
	run -0 evlog cat -T acct -n 1
	assert_equal "$(jq -r .id <<<"$output")" e3
	run -0 evlog cat -T acct --from 2 --to 2
	assert_equal "$(jq -r .id <<<"$output")" e2
	run -0 evlog cat --bus "$NATS" -T acct --from 3
	assert_equal "$(jq -r .data <<<"$output")" 3
	# A topic that is not there: said, with those there are; status 1.
	run -1 --separate-stderr evlog cat -T acc
	assert_equal "$stderr" "evlog cat: -T: acc: no such topic in $NATS; did you mean acct? (there: acct)"
	# --bus names a topic's bus: a log named as a file is a file.
	run -2 evlog cat --bus "$NATS" somefile
	assert_output --partial '--bus goes with -T'
}

# ---- the class cluster of eventful(7) ----

# freebase: a port p with p..p+2 and p+10..p+12 free on loopback now.
freebase() {
	/usr/bin/python3 - <<'PY'
import random, socket
while True:
    p = random.randrange(20000, 60000)
    ss = []
    try:
        for q in (p, p + 1, p + 2, p + 10, p + 11, p + 12):
            s = socket.socket()
            s.bind(("127.0.0.1", q))
            ss.append(s)
    except OSError:
        continue
    finally:
        for s in ss:
            s.close()
    print(p)
    break
PY
}

@test "eventful(7)'s three servers for a class make a cluster as the page shows them: R3 topics that go on after kill -9 of one" {
	# The block as a reader copies it from the page, with ports of its own.
	MANWIDTH=80 mandoc -Tascii "$ROOT/man/man7/eventful.7" | col -bx |
	    sed -n '/^ *p=4221$/,/EVENTFUL_BUS=/p' | sed 's/^           //' >class.sh
	grep -q '^export EVENTFUL_BUS=' class.sh
	sed -i "s/^p=4221\$/p=$(freebase)/" class.sh
	unset EVENTFUL_BUS
	# Its servers, stopped by pid at the end (nats_stop): the jobs it
	# starts, not bats's own (the watch of BATS_TEST_TIMEOUT is one).
	before=" $(jobs -p | tr '\n' ' ') "
	source ./class.sh
	i=1
	for pid in $(jobs -p); do
		[[ $before == *" $pid "* ]] && continue
		NPID[$i]=$pid
		i=$((i + 1))
	done
	assert_equal "${#NPID[@]}" 3
	[[ $EVENTFUL_BUS == nats://127.0.0.1:$p,127.0.0.1:$((p + 1)),127.0.0.1:$((p + 2)) ]]
	# Ready once each server knows the cluster's leader (bounded: 30 s),
	# and the first publish made the stream.
	for _ in $(seq 150); do
		[ "$(grep -l 'metadata leader' n0/log n1/log n2/log 2>/dev/null | wc -l)" -eq 3 ] && break
		sleep 0.2
	done
	for _ in $(seq 150); do evpub -q -T orders -t start 2>start.err && break; sleep 0.2; done
	evpub -T orders -t order.placed -S order/1 total:=10 >first 2>first.err ||
	    { cat start.err first.err n*/log; return 1; }
	output=$(cat first)
	assert_equal "$(jq -r .sequence <<<"$output")" 000000000002
	# Three replicas, the default in a cluster of three: each server
	# stores the stream.
	for i in 0 1 2; do [ -d "n$i/jetstream/\$G/streams/EV_orders" ]; done
	lines 3000 | evpub -l -T orders -t n >acked 2>pub.err &
	pub=$!
	for _ in $(seq 200); do [ "$(wc -l <acked)" -ge 1 ] && break; sleep 0.05; done
	kill -9 "${NPID[1]}"
	wait "$pub" || { cat pub.err; return 1; }
	assert_equal "$(wc -l <acked)" 3000
	evsub -T orders --from 1 --once >all
	assert_equal "$(jq -r 'select(.type == "n") | .data.n' all | sort -n | uniq | wc -l)" 3000
	assert_equal "$(jq -r .id all | sort | uniq -d | wc -l)" 0
	run -0 evpub -T orders -t after
}

# ---- habits, round two (issue 30) ----

@test "NATS: --expect N on a topic not made yet fails without making a stream; --topics shows a live subscriber's pid and --name" {
	nats_start
	run -4 --separate-stderr evpub -T ledger --expect 4 -t deposited -S acct/1 amount:=5 </dev/null
	assert_equal "$stderr" "evpub: ledger: the subject has 0 events, not 4: nothing published (no such topic; nothing made)"
	run -0 curl -sf "http://127.0.0.1:$NMPORT/jsz?streams=true"
	assert_equal "$(jq '.streams // 0' <<<"$output")" 0
	run -0 evpub -q -T ledger --expect 0 -t deposited -S acct/1 amount:=5 </dev/null
	# A live subscriber: its pid and name, as the directory bus shows them.
	bg evsub -T ledger --name projector
	for i in $(seq 200); do
		evsub --topics | grep -q 'subscriber [0-9]' && break
		sleep 0.05
	done
	run -0 evsub --topics
	assert_line "ledger	subscriber $LAST	name projector"
	refute_output --partial 'subscriber ?'
}
