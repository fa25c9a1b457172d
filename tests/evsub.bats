#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# evsub: filters, inputs and following, output forms, --exec delivery.

load test_helper/common

# A small stream of events with known contents, one per line.
setup() {
	{
		evpub -t order.placed -S order/1 --id o1 total:=150 email=a@x.org 'items:=[{"sku":"A"},{"sku":"B"}]' created=2026-01-02T00:00:00Z
		evpub -t order.paid -S order/2 --id o2 total:=50 -e tenant=acme -e prio:=3
		evpub -t user.created -S user/42 --id u1 name=Ada
		evpub -t user.created -S user/43 --id u2 name=Bob 'total:="200"'
		evpub -t cache.flushed --id c1 -e tenant=other
	} >events
}

ids() { jq -r .id | tr '\n' ' '; }

@test "NAME=GLOB and NAME!=GLOB on attributes" {
	run -0 evsub 'type=order.*' <events
	assert_equal "$(ids <<<"$output")" "o1 o2 "
	run -0 evsub 'subject=user/4?' <events
	assert_equal "$(ids <<<"$output")" "u1 u2 "
	run -0 evsub 'type!=user.*' <events
	assert_equal "$(ids <<<"$output")" "o1 o2 c1 "
	run -0 evsub 'id=o[12]' <events
	assert_equal "$(ids <<<"$output")" "o1 o2 "
	# An absent attribute does not match, so != holds.
	run -0 evsub 'subject!=order/*' <events
	assert_equal "$(ids <<<"$output")" "u1 u2 c1 "
}

@test "extension attributes, and a bare name for 'is set'" {
	run -0 evsub tenant=acme <events
	assert_equal "$(ids <<<"$output")" "o2 "
	run -0 evsub tenant <events
	assert_equal "$(ids <<<"$output")" "o2 c1 "
	run -0 evsub 'prio>=3' <events
	assert_equal "$(ids <<<"$output")" "o2 "
	run -0 evsub subject <events
	assert_equal "$(ids <<<"$output")" "o1 o2 u1 u2 "
}

@test "data fields: numbers as numbers, strings as strings, presence" {
	run -0 evsub 'data.total>100' <events
	assert_equal "$(ids <<<"$output")" "o1 "
	run -0 evsub 'data.total>=50' <events
	assert_equal "$(ids <<<"$output")" "o1 o2 "
	run -0 evsub 'data.total<100' <events
	assert_equal "$(ids <<<"$output")" "o2 "
	run -0 evsub 'data.total<=150' <events
	assert_equal "$(ids <<<"$output")" "o1 o2 "
	run -0 evsub 'data.total=150' <events
	assert_equal "$(ids <<<"$output")" "o1 "
	run -0 evsub 'data.total=150.0' <events
	assert_equal "$(ids <<<"$output")" "o1 "
	# The string "200" is compared as a string, bytewise.
	run -0 evsub 'data.total=200' <events
	assert_equal "$(ids <<<"$output")" "u2 "
	run -0 evsub 'data.total>1' <events
	assert_equal "$(ids <<<"$output")" "o1 o2 "
	# A number orders numbers only: the string "200" is not over 100.
	run -0 evsub 'data.total>100' <events
	assert_equal "$(ids <<<"$output")" "o1 "
	run -0 evsub 'data.name>Alice' <events
	assert_equal "$(ids <<<"$output")" "u2 "
	run -0 evsub 'data.email' <events
	assert_equal "$(ids <<<"$output")" "o1 "
	run -0 evsub 'data.email=*@x.org' <events
	assert_equal "$(ids <<<"$output")" "o1 "
	run -0 evsub 'data.name!=Ada' <events
	assert_equal "$(ids <<<"$output")" "o1 o2 u2 c1 "
	run -0 evsub data <events
	assert_equal "$(ids <<<"$output")" "o1 o2 u1 u2 "
}

@test "data paths go into nested objects and arrays" {
	run -0 evsub 'data.items.1.sku=B' <events
	assert_equal "$(ids <<<"$output")" "o1 "
	run -0 evsub 'data.items.2' <events
	assert_output ''
	evpub -t t --id n1 a.b.c:=7 'e:="x.y"' >nested
	run -0 evsub 'data.a.b.c=7' <nested
	assert_equal "$(ids <<<"$output")" "n1 "
	run -0 evsub 'data.a.b' <nested
	assert_equal "$(ids <<<"$output")" "n1 "
	run -0 evsub 'data.a.x' <nested
	assert_output ''
	# Keys written with escapes are found by their text.
	echo '{"specversion":"1.0","type":"t","source":"s","id":"e1","data":{"k\u00e9y":{"\u0061":1}}}' >esc
	run -0 evsub 'data.kéy.a=1' <esc
	assert_equal "$(ids <<<"$output")" "e1 "
}

@test "times compare as times, whatever their offset" {
	run -0 evsub 'data.created>2026-01-01T23:00:00-02:00' <events
	assert_output ''
	run -0 evsub 'data.created>2026-01-01T23:00:00+00:00' <events
	assert_equal "$(ids <<<"$output")" "o1 "
	run -0 evsub "time>=2000-01-01T00:00:00Z" <events
	assert_equal "${#lines[@]}" 5
}

@test "all filters must hold; -v inverts the whole selection" {
	run -0 evsub 'type=order.*' 'data.total>100' <events
	assert_equal "$(ids <<<"$output")" "o1 "
	run -0 evsub -v 'type=order.*' 'data.total>100' <events
	assert_equal "$(ids <<<"$output")" "o2 u1 u2 c1 "
	run -0 evsub <events
	assert_equal "${#lines[@]}" 5
}

@test "a malformed filter is a usage error that points at it" {
	run -2 --separate-stderr evsub 'Type=x' <events
	assert_equal "${stderr%%$'\n'*}" 'evsub: filter: "Type=x": "Type" is not an attribute name (lower-case a-z and 0-9)'
	assert_equal "${stderr#*$'\n'}" "try 'evsub --help'"
	run -2 evsub 'type==x' <events
	assert_output --partial '"==" is not an operator'
	run -2 evsub '=x' <events
	assert_output --partial 'a name is missing'
	run -2 evsub 'data..a=1' <events
	assert_output --partial 'an empty key'
	run -2 evsub 'subject.a=1' <events
	assert_output --partial 'only data has fields'
	run -2 evsub 'type!x' <events
	assert_output --partial '"!" must be "!="'
	run -2 evsub 'a<>1' <events
	assert_output --partial 'is not an operator'
}

@test "events are written as the very bytes read" {
	line='{ "specversion" : "1.0","type":"t", "source":"s","id":"x1", "data": {"n" : 1.50} }'
	printf '%s\r\n' "$line" >in
	run -0 evsub 'data.n>1' <in
	assert_output "$line"
}

@test "--thin drops data and data_base64 and keeps the rest, bytes and order" {
	printf '%s\n' '{"specversion":"1.0","data":{"a":1},"type":"t","source":"s","id":"1","tenant":"x"}' \
	    '{"specversion":"1.0","type":"t","source":"s","id":"2","data_base64":"AAEC"}' \
	    '{"specversion":"1.0","type":"t","source":"s","id":"3"}' >in
	run -0 evsub --thin <in
	assert_line -n 0 '{"specversion":"1.0","type":"t","source":"s","id":"1","tenant":"x"}'
	assert_line -n 1 '{"specversion":"1.0","type":"t","source":"s","id":"2"}'
	assert_line -n 2 '{"specversion":"1.0","type":"t","source":"s","id":"3"}'
}

@test "--data writes the data alone, one JSON value a line" {
	printf '%s\n' '{"specversion":"1.0","type":"t","source":"s","id":"1","data":{"a" : [1, 2]}}' \
	    '{"specversion":"1.0","type":"t","source":"s","id":"2","data":"text"}' \
	    '{"specversion":"1.0","type":"t","source":"s","id":"3","data_base64":"AAEC"}' \
	    '{"specversion":"1.0","type":"t","source":"s","id":"4"}' >in
	run -0 evsub --data <in
	assert_output $'{"a" : [1, 2]}\n"text"\n"AAEC"\nnull'
	run -0 evsub --data 'type=order.*' <events
	run -0 jq -c .total <<<"$output"
	assert_output $'150\n50'
}

@test "--pretty: one line for people; colour only on a terminal, never with NO_COLOR" {
	run -0 evsub --pretty 'id=o1' <events
	assert_output --regexp '^[0-9T:.Z-]+ order\.placed order/1 \{"total":150,"email":"a@x\.org","items":\[\{"sku":"A"\},\{"sku":"\.\.\.$'
	run -0 evsub --pretty 'id=c1' <events
	assert_output --regexp '^[0-9T:.Z-]+ cache\.flushed -$'
	# A subject with a newline cannot break the line: no CloudEvents
	# String holds one (spec.md, Type System), so it never gets here.
	echo '{"specversion":"1.0","type":"t","source":"s","id":"1","subject":"a\nb\u001b[31m"}' >in
	run -3 evsub --pretty <in
	assert_output --partial 'stdin:1: subject: U+000A'
	run -0 script -qec "evsub --pretty id=o2 <events" /dev/null
	assert_output --partial $'\e[1;36morder.paid\e[0m'
	NO_COLOR=1 run -0 script -qec "evsub --pretty id=o2 <events" /dev/null
	refute_output --partial $'\e['
}

@test "--data, --pretty and --thin exclude each other" {
	run -2 evsub --data --thin <events
	assert_output --partial 'exclude each other'
}

@test "-c N exits after N events" {
	run -0 evsub -c 2 'type=*' <events
	assert_equal "$(ids <<<"$output")" "o1 o2 "
	# From an endless stream, too.
	run -0 bash -c 'while cat events; do :; done | evsub -c 3 type=user.created | wc -l'
	assert_output 3
	run -2 --separate-stderr evsub -c 0 <events
	assert_equal "$stderr" $'evsub: -c: 0: too small\ntry \'evsub --help\''
	run -2 evsub -c x <events
	run -2 evsub --retries 101 <events
}

@test "-w exits with status 5 when nothing comes for so long" {
	mkfifo f
	# The writer holds the FIFO open 20 s: evsub ends long before.
	(cat events; exec sleep 20) >f &
	holder=$!
	start=$(date +%s%N)
	run -5 evsub -w 0.5 -i f
	elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
	kill "$holder"
	assert_equal "${#lines[@]}" 5
	[ "$elapsed" -lt 10000 ]
	run -2 evsub -w 0 <events
	run -2 evsub -w soon <events
}

@test "-i reads files in order, - is stdin" {
	head -2 events >a
	tail -3 events >b
	run -0 evsub -i b -i - -i a <a
	assert_equal "$(ids <<<"$output")" "u1 u2 c1 o1 o2 o1 o2 "
	run -1 evsub -i missing
	assert_output 'evsub: missing: open: No such file or directory'
	# One missing after others opened: nothing read, the others closed
	# (make check: nothing leaked), following or not.
	run -1 evsub -i a -i b -i missing
	assert_output 'evsub: missing: open: No such file or directory'
	run -1 evsub -f -i a -i missing
	assert_output 'evsub: missing: open: No such file or directory'
}

@test "bad lines are reported with input and line, kept, and the status is 3" {
	{ head -2 events; echo '{"specversion":"1.0"}'; echo 'nope'; tail -3 events; } >in
	run -3 --separate-stderr evsub -i in --rejects rej
	assert_equal "${#lines[@]}" 5
	assert_equal "$stderr" $'evsub: in:3: missing "id"\nevsub: in:4: invalid JSON at byte 1: a value expected, found \'n\''
	assert_equal "$(cat rej)" $'{"specversion":"1.0"}\nnope'
	run -3 evsub -q -i in
}

@test "EVENTFUL_SCAN: every path of the scanner keeps and refuses the same lines, with the same messages" {
	{
		cat events
		printf '%s\n' '{"a":1,"a":2}' '["\u0000"]' '"\ud800"' \
		    '{"x":"\q"}' '[1,]' '{"k":"caf\u00e9","k2":"\\\""}' \
		    '{"specversion":"1.0","id":"x","source":"/s","type":"t\tu"}'
		printf '["\xc3\x28"]\n[1]\x01\n{"s":"a\x01b"}\n[\xef\xbb\xbf]\n'
		head -50 "$BATS_TEST_DIRNAME/data/gharchive/2021-07-21-sample.ndjson"
	} >in
	EVENTFUL_SCAN=reference run -3 --separate-stderr evsub -i in --rejects rej
	want=$output wanterr=$stderr
	cp rej want.rej
	# Not vacuous: events kept, and lines refused for each kind of fault.
	assert_equal "$(ids <<<"$want")" "o1 o2 u1 u2 c1 "
	assert [ "$(grep -c 'invalid JSON' <<<"$wanterr")" -ge 9 ]
	for p in avx2 sse2 scalar bogus ''; do
		rm rej
		EVENTFUL_SCAN=$p run -3 --separate-stderr evsub -i in --rejects rej
		assert_equal "$output" "$want"
		assert_equal "$stderr" "$wanterr"
		cmp rej want.rej
	done
}

@test "a closed pipe downstream ends evsub quietly with status 0" {
	run -0 --separate-stderr bash -c 'while cat events; do :; done | head -20000 | evsub | head -1 >/dev/null; echo "${PIPESTATUS[2]}"'
	assert_output 0
	assert_equal "$stderr" ''
}

@test "follow a growing file: appends come out, a partial line waits for its end" {
	: >log
	evsub -f -i log >out &
	pid=$!
	head -1 events >>log
	for i in $(seq 50); do [ -s out ] && break; sleep 0.1; done
	assert_equal "$(ids <out)" "o1 "
	line=$(sed -n 2p events)
	printf '%s' "${line:0:40}" >>log
	readto "$pid" log
	assert_equal "$(wc -l <out)" 1
	printf '%s\n' "${line:40}" >>log
	for i in $(seq 50); do [ "$(wc -l <out)" -ge 2 ] && break; sleep 0.1; done
	kill "$pid"
	assert_equal "$(ids <out)" "o1 o2 "
}

@test "follow notices a truncated file and reads it from the start" {
	cp events log
	evsub -f -i log >out 2>err &
	pid=$!
	for i in $(seq 50); do [ "$(wc -l <out)" -ge 5 ] && break; sleep 0.1; done
	: >log
	for i in $(seq 50); do [ -s err ] && break; sleep 0.1; done
	head -1 events >log
	for i in $(seq 50); do [ "$(wc -l <out)" -ge 6 ] && break; sleep 0.1; done
	kill "$pid"
	assert_equal "$(ids <out)" "o1 o2 u1 u2 c1 o1 "
	assert_equal "$(cat err)" "evsub: log: truncated; reading it from the start"
}

@test "follow notices a replaced file (rotation) and reads the new one" {
	head -2 events >log
	evsub -f -i log >out 2>err &
	pid=$!
	for i in $(seq 50); do [ "$(wc -l <out)" -ge 2 ] && break; sleep 0.1; done
	tail -1 events >log.new
	mv log.new log
	for i in $(seq 50); do [ "$(wc -l <out)" -ge 3 ] && break; sleep 0.1; done
	kill "$pid"
	assert_equal "$(ids <out)" "o1 o2 c1 "
	assert_equal "$(cat err)" "evsub: log: replaced; reading the new file"
}

@test "follow a FIFO: writers come and go, evsub stays, and does not spin" {
	mkfifo f
	evsub -f -i f >out &
	pid=$!
	head -1 events >f
	sed -n 2p events >f
	for i in $(seq 50); do [ "$(wc -l <out)" -ge 2 ] && break; sleep 0.1; done
	assert_equal "$(ids <out)" "o1 o2 "
	# Idle with no writer: hardly any CPU time.
	t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	sleep 1  # honest: the time its CPU time is measured over
	t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	[ $((t1 - t0)) -le 5 ]
	tail -1 events >f
	for i in $(seq 50); do [ "$(wc -l <out)" -ge 3 ] && break; sleep 0.1; done
	kill "$pid"
	assert_equal "$(ids <out)" "o1 o2 c1 "
}

@test "without -f a FIFO is read until its writer closes" {
	mkfifo f
	cat events >f &
	run -0 evsub -i f
	assert_equal "${#lines[@]}" 5
}

@test "a followed FIFO delivers each event before the next is written" {
	mkfifo f out
	# Open our end of out first (read-write does not block), so that
	# neither side waits for the other.
	exec 6<>out
	evsub -f -i f >out &
	pid=$!
	exec 5>f
	for n in 1 2 3; do
		sed -n "${n}p" events >&5
		read -r -t 10 got <&6
		[[ $got == *"\"id\":\"$(sed -n "${n}p" events | jq -r .id)\""* ]]
	done
	exec 5>&- 6<&-
	kill "$pid"
}

@test "--exec runs the command per event, the event on stdin, attributes in the environment" {
	run -0 evsub 'type=order.*' --exec sh -c 'printf "%s|%s|%s|%s|%s|" "$CE_TYPE" "$CE_ID" "$CE_SUBJECT" "$CE_SOURCE" "$CE_SEQUENCE"; jq -r .data.total' <events
	assert_line -n 0 "order.placed|o1|order/1|//$(uname -n)/evpub||150"
	assert_line -n 1 "order.paid|o2|order/2|//$(uname -n)/evpub||50"
	echo '{"specversion":"1.0","type":"t","source":"s","id":"1","sequence":"00042"}' >in
	run -0 evsub --exec sh -c 'echo "$CE_SEQUENCE"' <in
	assert_output 42
}

@test "--exec passes hostile values literally, never through a shell" {
	evil='a;b $(touch pwned) `touch pwned2` x'
	jq -nc --arg s "$evil" --arg t '-rf * ~' '{specversion:"1.0",type:$t,source:"s",id:"1",subject:$s}' >in
	run -0 evsub --exec printenv CE_SUBJECT <in
	assert_output "$evil"
	run -0 evsub --exec printenv CE_TYPE <in
	assert_output '-rf * ~'
	# The command's own options are its own: --exec takes the rest.
	run -0 evsub --exec echo -n --thin -c 1 <in
	assert_output '--thin -c 1'
	[ ! -e pwned ] && [ ! -e pwned2 ]
}

@test "--exec retries a failing command with backoff, then succeeds" {
	printf '0' >n
	head -1 events >in
	cat >flaky <<-'SH'
	#!/bin/sh
	n=$(cat n); echo $((n + 1)) >n
	[ "$n" -ge 2 ] && cat >>got
	SH
	chmod +x flaky
	run -0 --separate-stderr evsub --retries 3 --exec ./flaky <in
	assert_equal "$(cat n)" 3
	assert_equal "$(ids <got)" "o1 "
	assert_equal "$stderr" $'evsub: stdin:1: ./flaky exited 1; try 2 of 4 in 100 ms\nevsub: stdin:1: ./flaky exited 1; try 3 of 4 in 200 ms'
}

@test "--exec: a failure after the last try stops at that event, status 1" {
	cat >fail2 <<-'SH'
	#!/bin/sh
	ev=$(cat); case $ev in *'"id":"o2"'*) exit 7;; esac; echo "$ev" >>got
	SH
	chmod +x fail2
	run -1 --separate-stderr evsub --retries 1 --exec ./fail2 <events
	assert_equal "$(ids <got)" "o1 "
	assert_equal "$stderr" $'evsub: stdin:2: ./fail2 exited 7; try 2 of 2 in 100 ms\nevsub: stdin:2: ./fail2 exited 7, after 2 tries\nevsub: stdin:2: delivery stops at this event'
}

@test "--exec with --dead-letter parks the failed event byte for byte and goes on" {
	cat >fail2 <<-'SH'
	#!/bin/sh
	ev=$(cat); case $ev in *'"id":"o2"'*) kill -9 $$;; esac; echo "$ev" >>got
	SH
	chmod +x fail2
	run -1 --separate-stderr evsub --retries 0 --dead-letter dead --exec ./fail2 <events
	assert_equal "$(ids <got)" "o1 u1 u2 c1 "
	assert_equal "$(cat dead)" "$(sed -n 2p events)"
	assert_equal "$stderr" $'evsub: stdin:2: ./fail2 was killed by signal 9, after 1 tries\nevsub: stdin:2: the event is kept in dead'
	assert_equal "$(stat -c %a dead)" 600
}

@test "--exec: a command that cannot start stops delivery with status 1" {
	run -1 --separate-stderr evsub --exec ./no-such-command <events
	assert_equal "$stderr" $'evsub: stdin:1: ./no-such-command: No such file or directory\nevsub: stdin:1: delivery stops at this event'
	run -2 evsub --exec
	assert_output --partial '--exec needs a command'
	run -2 evsub --dead-letter x <events
}

@test "--exec with --thin hands the command a notification" {
	run -0 evsub --thin 'id=o1' --exec cat <events
	assert_output "$(evsub --thin id=o1 <events)"
	refute_output --partial '"data"'
}

@test "--help matches the usage; --version" {
	run -0 evsub --help
	assert_line -n 0 'usage: evsub [-efqv] [-c count] [-H header] [-i path] [-o path]'
	run -0 evsub --version
	assert_output --regexp '^evsub \(eventful\) '
}

@test "the usage line is the man page's SYNOPSIS" {
	run -0 synopsis_is_usage evsub
}

@test "real data: GH Archive events selected by type and by a data field agree with jq" {
	for d in "${DATASETS[@]}"; do
		f=$d/gharchive/2021-07-21-sample.ndjson
		evpub -l -t com.github.event -s https://api.github.com <"$f" |
		    jq -c '.type = "com.github." + .data.type' >gh
		assert_equal "$(wc -l <gh)" "$(wc -l <"$f")"
		run -0 evsub type=com.github.PushEvent -i gh
		evsub type=com.github.PushEvent -i gh >mine
		jq -c 'select(.type == "com.github.PushEvent")' gh >theirs
		cmp mine theirs
		[ "$(wc -l <mine)" -gt 100 ]
		evsub 'data.payload.size>2' -i gh >mine
		jq -c 'select((.data.payload.size // -1) > 2)' gh >theirs
		cmp mine theirs
		[ "$(wc -l <mine)" -gt 5 ]
		evsub 'data.actor.login=*bot*' -i gh >mine
		jq -c 'select(.data.actor.login | test("bot"))' gh >theirs
		cmp mine theirs
		[ "$(wc -l <mine)" -gt 5 ]
	done
}

@test "--dead-letter keeps the event as read, whatever form the command got" {
	run -1 --separate-stderr evsub --data --retries 0 --dead-letter dead --exec false <events
	cmp dead events
	rm dead
	run -1 --separate-stderr evsub --thin --retries 0 --dead-letter dead --exec false <events
	cmp dead events
}

@test "a command that cannot start stops delivery even with --dead-letter" {
	run -1 --separate-stderr evsub --dead-letter dead --exec ./no-such-command <events
	[ ! -s dead ]
	assert_equal "$(grep -c 'delivery stops' <<<"$stderr")" 1
}

@test "null: an unset attribute is absent, a null data field is a value" {
	echo '{"specversion":"1.0","type":"t","source":"s","id":"n1","subject":null,"data":{"x":null}}' >in
	run -0 evsub data.x=null <in
	assert_equal "$(ids <<<"$output")" "n1 "
	run -0 evsub data.x!=null <in
	assert_output ''
	run -0 evsub data.x <in
	assert_output ''
	run -0 evsub subject <in
	assert_output ''
	run -0 evsub subject!=x <in
	assert_equal "$(ids <<<"$output")" "n1 "
}

@test "integers compare exactly, beyond 2^53" {
	evpub -t t --id big id:=9007199254740993 >in
	run -0 evsub data.id=9007199254740992 <in
	assert_output ''
	run -0 evsub data.id=9007199254740993 <in
	assert_equal "$(ids <<<"$output")" "big "
	run -0 evsub 'data.id>9007199254740992' <in
	assert_equal "$(ids <<<"$output")" "big "
}

@test "-o writes to a file it creates private, or a FIFO" {
	run -0 evsub -o out 'type=order.*' <events
	assert_output ''
	assert_equal "$(ids <out)" "o1 o2 "
	assert_equal "$(stat -c %a out)" 600
}

@test "a file appended to whose last line has no end: the start of an event is cut off and said, a whole one or the user's text ended" {
	ev=$(evpub -t x n:=1)
	printf '{"a":1}\n{"b":' >torn
	printf '{"a":1}\n{"b":2}' >whole
	printf 'notes' >text
	printf '{"a":1}\n{"b":' >stdout
	for f in torn whole text; do
		run -0 --separate-stderr evsub -o "$f" <<<"$ev"
	done
	run -0 --separate-stderr bash -c 'evsub >>stdout <<<"$0"' "$ev"
	assert_equal "$stderr" "evsub: stdout: its last line, 5 bytes, was the start of an event (a run killed while writing it): cut off"
	assert_equal "$(cat torn)" "{\"a\":1}"$'\n'"$ev"
	assert_equal "$(cat stdout)" "{\"a\":1}"$'\n'"$ev"
	assert_equal "$(cat whole)" "{\"a\":1}"$'\n'"{\"b\":2}"$'\n'"$ev"
	assert_equal "$(cat text)" "notes"$'\n'"$ev"
	run -0 --separate-stderr evsub -o text <<<"$ev"
	assert_equal "$stderr" ""
}

@test "readings into one -o file, killed -9 at random moments, some mid-write: no line of the file runs into another" {
	local pad n=30000 torn=0 kills=0 pid
	pad=$(printf '%300s' '' | tr ' ' x)
	seq "$n" | sed "s/.*/{\"n\":&,\"pad\":\"$pad\"}/" | evpub -q -l -T big -t t
	# As many kills as 4 s allow, each at a random moment of a run.
	SECONDS=0
	while ((SECONDS < 4)); do
		evsub -T big --from 1 --once -o out 2>>err &
		pid=$!
		sleep "0.0$((RANDOM % 50 + 10))"
		# A run may have ended first: only a kill counts.
		if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
		wait "$pid" || true  # honest: killed, its status is the signal's
		[ ! -s out ] || [ "$(tail -c 1 out | od -An -tx1 | tr -d ' ')" = 0a ] || torn=$((torn + 1))
	done
	# The last run, whole: it mends what the last kill left, too.
	evsub -T big --from 1 --once -o out 2>>err
	echo "kills: $kills, torn last lines left by them: $torn"
	[ "$kills" -ge 10 ]
	# Each torn line was cut off by the next run that opened the file,
	# and said (a run killed before it opened it left it for the next).
	local said
	said=$(grep -c 'was the start of an event' err || true)  # honest: grep -c counts 0 with status 1
	((torn == 0 || (said >= 1 && said <= torn)))
	# Every line whole, and the last run's events all there, in order.
	jq -r .data.n out >got
	tail -n "$n" got | cmp - <(seq "$n")
}

@test "--max-size rejects a longer line, keeps it, and goes on" {
	{ head -1 events; printf '{"specversion":"1.0","type":"t","source":"s","id":"x","pad":"%s"}\n' "$(head -c 500 /dev/zero | tr '\0' p)"; tail -1 events; } >in
	run -3 --separate-stderr evsub --max-size 400 --rejects rej <in
	assert_equal "$(ids <<<"$output")" "o1 c1 "
	assert_equal "$stderr" 'evsub: stdin:2: longer than 400 bytes (--max-size)'
	assert_equal "$(cat rej)" "$(sed -n 2p in)"
}

@test "-q: no message for a rejected line, the status still 3" {
	{ echo nope; cat events; } >in
	run -3 --separate-stderr evsub -q <in
	assert_equal "$stderr" ''
	assert_equal "${#lines[@]}" 5
}

@test "follow: a rotated file's unterminated last line is read before the new file" {
	head -1 events >log
	printf '%s' "$(sed -n 2p events)" >>log
	evsub -f -i log >out 2>err &
	pid=$!
	for i in $(seq 50); do [ "$(wc -l <out)" -ge 1 ] && break; sleep 0.1; done
	tail -1 events >log.new
	mv log.new log
	for i in $(seq 50); do [ "$(wc -l <out)" -ge 3 ] && break; sleep 0.1; done
	kill "$pid"
	assert_equal "$(ids <out)" "o1 o2 c1 "
}

@test "--pretty: C1 control characters cannot drive the terminal" {
	# No attribute holds one (spec.md, Type System): refused on the way in.
	printf '{"specversion":"1.0","type":"t","source":"s","id":"1","subject":"a\\u009b31mb"}\n' >in
	run -3 evsub --pretty <in
	assert_output --partial 'stdin:1: subject: U+009B'
	# In the data it is JSON, escaped.
	printf '{"specversion":"1.0","type":"t","source":"s","id":"1","data":"a\\u009b31mb"}\n' >in
	run -0 evsub --pretty <in
	refute_output --partial $'\xc2\x9b'
}

@test "-w with a value that is not a number of seconds" {
	run -2 evsub -w . <events
	assert_output --partial 'not a number of seconds'
}

@test "--exec: an attribute over 64 KiB is left out of the environment and named in CE_OMITTED; the command still gets the event" {
	# Linux takes no environment string over 128 KiB (E2BIG): passed in
	# CE_SUBJECT, this subject made every spawn fail.
	"$SYSPY" -c 'import json
for i, n in (("huge", 140000), ("edge", 65536), ("over", 65537)):
    print(json.dumps({"specversion":"1.0","type":"a","source":"s","id":i,"subject":"\u00fc"*(n//2) + "s"*(n%2)}))' >in
	head -1 events >>in
	run -0 --separate-stderr evsub --retries 0 --exec sh -c 'printf "%s %s %s %s\n" "$(jq -r .id)" "${CE_SUBJECT-unset}" "${#CE_OMITTED}:$CE_OMITTED" "$CE_ID"' <in
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 4
	assert_equal "${lines[0]}" "huge unset 10:CE_SUBJECT huge"
	# At the bound it is passed whole (65536 bytes), one byte over it not.
	[[ ${lines[1]} == "edge $("$SYSPY" -c 'print("\u00fc"*32768)') 0: edge" ]] || { echo "edge: ${lines[1]:0:40}..."; return 1; }
	assert_equal "${lines[2]}" "over unset 10:CE_SUBJECT over"
	assert_equal "${lines[3]}" "o1 order/1 0: o1"
	# What the environment had of these is replaced, CE_OMITTED too.
	run -0 env CE_OMITTED=x CE_SUBJECT=y evsub --exec sh -c 'echo "${CE_SUBJECT-unset}|$CE_OMITTED"' <in
	assert_equal "${lines[0]}" "unset|CE_SUBJECT"
	assert_equal "${lines[3]}" "order/1|"
}

@test "integers past 64 bits order above and below every 64-bit one" {
	evpub -t t --id m x:=9223372036854775807 >in
	run -0 evsub 'data.x<9223372036854775808' <in
	assert_equal "$(ids <<<"$output")" "m "
	run -0 evsub 'data.x=9223372036854775808' <in
	assert_output ''
	run -0 evsub 'data.x>-9223372036854775809' <in
	assert_equal "$(ids <<<"$output")" "m "
}

@test "true, false and null match by name only, not by glob" {
	echo '{"specversion":"1.0","type":"t","source":"s","id":"n","data":{"x":null,"y":true}}' >in
	run -0 evsub 'data.x=nul*' <in
	assert_output ''
	run -0 evsub 'data.y=t*' <in
	assert_output ''
	run -0 evsub data.y=true data.x=null <in
	assert_equal "$(ids <<<"$output")" "n "
}

@test "closed standard descriptors never stand in for an input or an output" {
	run -0 bash -c 'evsub -i events <&- | wc -l'
	assert_output 5
	run -0 bash -c 'evsub -o out <events >&-; wc -l <out'
	assert_output 5
}

@test "-o FIFO: small and large events from many writers never interleave" {
	mkfifo f
	cat f >got &
	reader=$!
	exec 5>f
	big=$(head -c 100000 /dev/zero | tr '\0' z)
	for i in $(seq 40); do echo "{\"pad\":\"$big\"}"; done | evpub -l -t big >bigs
	yes '{"n":1}' | head -20000 | evpub -l -t small >smalls
	evsub -o f <bigs &
	p1=$!
	evsub -o f <smalls &
	p2=$!
	evsub -o f <smalls &
	p3=$!
	wait "$p1" "$p2" "$p3"
	exec 5>&-
	wait "$reader"
	# Every line is a valid event (status 0, not 3), and all are there.
	run -0 evsub -q -i got -o /dev/null
	run -0 bash -c 'evsub -i got | wc -l'
	assert_output 40040
}

@test "a failing write is an error: status 1 and a message; a read error too" {
	run -1 --separate-stderr bash -c 'evsub <events >/dev/full'
	assert_equal "$stderr" 'evsub: stdout: write: No space left on device'
	run -1 --separate-stderr evsub -i .
	assert_equal "$stderr" 'evsub: .: read: Is a directory'
}

@test "a full disk under stdout ends every program and mode with status 1, naming the output; nothing is taken as delivered" {
	[ -e /dev/full ] || skip "no /dev/full"
	evpub -T t -l <events >/dev/null
	evlog append a.log <events >/dev/null
	for cmd in 'evsub -T t --from 1 --once' 'evsub -T t --once --consumer c' \
	    'evlog cat a.log' 'evlog cat -T t' 'evlog append b.log <events' \
	    'evlog append --sync event c.log <events' 'evpub -T orders -l <events' \
	    'evproject -r "order.*=count" a.log' 'evpub -l <events' \
	    'evsub -i events --pretty'; do
		run -1 --separate-stderr bash -c "$cmd >/dev/full"
		assert_equal "$stderr" "${cmd%% *}$(case $cmd in 'evlog cat'*) echo ' cat';; 'evlog append'*) echo ' append';; esac): stdout: write: No space left on device"
	done
	# The consumer's position did not move: the next run gets them all.
	run -0 bash -c 'evsub -T t --once --consumer c | wc -l'
	assert_output 5
	# What was appended stays, acknowledged or not: the one group of the
	# pipeline; one event at a time stops at the first acknowledgement
	# that cannot be written, as when its reader goes away.
	run -0 evlog verify b.log
	assert_equal "$(wc -l <b.log)" 5
	run -0 evlog verify c.log
	assert_equal "$(wc -l <c.log)" 1
	run -0 evsub -T orders --from 1 --once
	assert_equal "${#lines[@]}" 5
}

@test "a rejects file that cannot be written stops every reader with status 1, naming it: a rejected line is never lost" {
	[ -e /dev/full ] || skip "no /dev/full"
	printf '{"x":"%s"}\n' "$(printf 'a%.0s' $(seq 300))" >long
	cat events >>long
	for cmd in 'evsub --max-size 100 --rejects /dev/full -i long' \
	    'evsub -f -w 5 --max-size 100 --rejects /dev/full -i long' \
	    'evsub --max-size 100 --rejects /dev/full <long' \
	    'evproject --max-size 100 --rejects /dev/full long' \
	    'evpub -l --max-size 100 --rejects /dev/full <long' \
	    'evlog append --max-size 100 --rejects /dev/full a.log <long'; do
		run -1 --separate-stderr bash -c "$cmd"
		assert_equal "$stderr" "${cmd%% *}$(case $cmd in evlog*) echo ' append';; esac): /dev/full: write: No space left on device"
	done
	run -1 --separate-stderr evproject .
	assert_equal "$stderr" 'evproject: .: read: Is a directory'
	run -1 --separate-stderr evsub -i nothing-here
	assert_equal "$stderr" 'evsub: nothing-here: open: No such file or directory'
}
