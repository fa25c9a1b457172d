#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# evproject: rules and operations, the three worked examples, the state
# file (re-runs, kill -9 and resume), change events, the query side.

load test_helper/common

FAULT=${EVENTFUL_FAULT:-$ROOT/build/release/fault.so}

LEDGER=(-r 'account.opened=set' -r 'account.deposited=add:balance=data.amount'
	-r 'account.withdrawn=sub:balance=data.amount' -r 'account.closed=delete')

# ledger: a bank ledger in an evlog log, with one deposit reverted.
ledger() {
	{
		evpub -t account.opened -S account/1 --id a1 owner=Ada
		evpub -t account.deposited -S account/1 --id d1 amount:=100
		evpub -t account.opened -S account/2 --id a2 owner=Bob
		evpub -t account.deposited -S account/2 --id d2 amount:=40
		evpub -t account.deposited -S account/1 --id d3 amount:=250
		evpub -t account.withdrawn -S account/1 --id w1 amount:=30
		evpub -t account.deposited -S account/2 --id d4 amount:=5
		evpub -t account.opened -S account/3 --id a3 owner=Cy
		evpub -t account.deposited -S account/3 --id d5 amount:=7
		evpub -t account.closed -S account/3 --id c3
	} | evlog append ledger.log >/dev/null
	evlog revert ledger.log d3 >/dev/null
}

# stream N FILE: N events over 37 accounts with amounts from -6 to 6 and
# ids e1 to eN, no sequence.
stream() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"specversion\":\"1.0\",\"id\":\"e%d\",\"source\":\"//t\",\"type\":\"t.%s\",\"subject\":\"acct/%d\",\"data\":{\"n\":%d}}\n", i, (i % 5 ? "added" : "counted"), i % 37, i % 13 - 6
	}' >"$2"
}

KILLRULES=(-r 't.added=add:total=data.n' -r 't.*=count:events')

@test "worked example: a bank ledger, one deposit reverted, one account closed" {
	ledger
	run -0 evproject "${LEDGER[@]}" ledger.log
	# account/1: 100 + 250 - 30, and the 250 reverted: 70.  account/2:
	# 40 + 5.  account/3 was closed.
	assert_output '{"account/1":{"balance":70,"owner":"Ada"},"account/2":{"balance":45,"owner":"Bob"}}'
	# The same from stdin, and the revert really is in the log.
	run -0 jq -c 'select(.reverts) | [.reverts, .data.amount]' ledger.log
	assert_output '["d3",-250]'
	run -0 bash -c 'evlog cat ledger.log | evproject "$@"' _ "${LEDGER[@]}"
	assert_output '{"account/1":{"balance":70,"owner":"Ada"},"account/2":{"balance":45,"owner":"Bob"}}'
}

@test "worked example: a user directory from created, updated and deleted events (ECS defaults)" {
	{
		evpub -t user.created -S user/1 name=Ada email=ada@example.org 'roles:=["dev"]'
		evpub -t user.created -S user/2 name=Bob email=bob@example.org
		evpub -t user.updated -S user/1 email=ada@example.com 'address:={"city":"London","zip":"N1"}'
		evpub -t user.created -S user/3 name=Cy
		evpub -t user.updated -S user/1 'address:={"zip":null}' 'roles:=["dev","ops"]'
		evpub -t user.updated -S user/2 'email:=null'
		evpub -t user.deleted -S user/3
		evpub -t user.removed -S user/9
	} >users.ndjson
	run -0 evproject <users.ndjson
	assert_output '{"user/1":{"address":{"city":"London"},"email":"ada@example.com","name":"Ada","roles":["dev","ops"]},"user/2":{"name":"Bob"}}'
}

@test "worked example: order counts by status, and per customer" {
	{
		evpub -t order.placed -S order/1 status=placed customer=c1
		evpub -t order.placed -S order/2 status=placed customer=c2
		evpub -t order.paid -S order/1 status=paid customer=c1
		evpub -t order.placed -S order/3 status=placed customer=c1
		evpub -t order.shipped -S order/1 status=shipped customer=c1
		evpub -t order.paid -S order/2 status=paid customer=c2
		evpub -t order.cancelled -S order/3 status=cancelled customer=c1
	} >orders.ndjson
	# Events by status.
	run -0 evproject -k data.status -r 'order.*=count' <orders.ndjson
	assert_output '{"cancelled":1,"paid":2,"placed":3,"shipped":1}'
	# Each order's current status, and what each customer did.
	run -0 evproject -r 'order.*=set:status=data.status' <orders.ndjson
	assert_output '{"order/1":{"status":"shipped"},"order/2":{"status":"paid"},"order/3":{"status":"cancelled"}}'
	run -0 --separate-stderr evproject -k data.customer -r 'order.placed=count:orders' \
	    -r 'order.placed=ignore' -r 'order.*=push:history=subject' <orders.ndjson
	# The first rule that matches wins: placed orders are counted only.
	assert_equal "$stderr" 'evproject: -r: "order.placed=ignore" matched no event: an earlier rule comes first for order.placed'
	assert_output '{"c1":{"history":["order/1","order/1","order/3"],"orders":2},"c2":{"history":["order/2"],"orders":1}}'
}

@test "operations: add and sub keep integers exact, then fall to doubles; min, max, push, delete a field" {
	{
		evpub -t n.add -S k --id 1 v:=9007199254740993
		evpub -t n.add -S k --id 2 v:=3
		evpub -t n.sub -S k --id 3 v:=2
		evpub -t n.add -S o --id 4 v:=9223372036854775800
		evpub -t n.add -S o --id 5 v:=8
		evpub -t f.add -S f --id 6 v:=0.1
		evpub -t f.add -S f --id 7 v:=0.2
		evpub -t m.x -S m --id 8 v:=5 t=2026-01-02T00:00:00Z
		evpub -t m.x -S m --id 9 v:=-3 t=2026-01-01T00:00:00Z
		evpub -t m.x -S m --id 10 v:=4 t=2026-01-03T00:00:00Z
		evpub -t m.drop -S m --id 11
	} >n.ndjson
	run -0 evproject -r 'n.add=add:s=data.v' -r 'n.sub=sub:s=data.v' -r 'f.*=add:s=data.v' \
	    -r 'm.x=min:lo=data.v' <n.ndjson
	# 2^53 + 1 + 3 - 2 is exact in 64 bits (a double would say ...992);
	# past 2^63 - 1 the sum becomes a double.
	assert_output '{"f":{"s":0.30000000000000004},"k":{"s":9007199254740994},"m":{"lo":-3},"o":{"s":9.223372036854776e+18}}'
	run -0 --separate-stderr evproject -r 'm.x=max:hi=data.v' -r 'm.x=ignore' <n.ndjson
	assert_output '{"m":{"hi":5}}'
	# max of strings is bytewise: RFC 3339 UTC times sort as times.
	run -0 evproject -r 'm.x=max:last=data.t' -r '*=ignore' <n.ndjson
	assert_output '{"m":{"last":"2026-01-03T00:00:00Z"}}'
	run -0 evproject -r 'm.x=push:seen.v=data.v' -r 'm.drop=delete:seen' -r '*=ignore' <n.ndjson
	assert_output '{"m":{}}'
	run -0 evproject -r 'm.x=push:seen.v=data.v' -r '*=ignore' <n.ndjson
	assert_output '{"m":{"seen":{"v":[5,-3,4]}}}'
	# Without a field the operation acts on the entity itself.
	run -0 evproject -r 'n.*=add:=data.v' -r '*=ignore' <n.ndjson
	assert_output '{"k":9007199254740998,"o":9.223372036854776e+18}'
	run -0 evproject -k type -r '*=count' <n.ndjson
	assert_output '{"f.add":2,"m.drop":1,"m.x":3,"n.add":4,"n.sub":1}'
}

@test "merge is RFC 7386: the examples of its appendix A" {
	# original | patch | result, where a null result removes the entity.
	while IFS='|' read -r orig patch want; do
		run -0 bash -c 'evpub -t t.set -S k -d "{\"p\":$1}"; evpub -t t.merge -S k -d "{\"p\":$2}"' _ "$orig" "$patch"
		run -0 evproject -r 't.set=set:=data.p' -r 't.merge=merge:=data.p' <<<"$output"
		if [ "$want" = null ]; then
			assert_equal "$output" '{}'
		else
			assert_equal "$output" "{\"k\":$want}"
		fi
	done <<'EOF'
{"a":"b"}|{"a":"c"}|{"a":"c"}
{"a":"b"}|{"b":"c"}|{"a":"b","b":"c"}
{"a":"b"}|{"a":null}|{}
{"a":"b","b":"c"}|{"a":null}|{"b":"c"}
{"a":["b"]}|{"a":"c"}|{"a":"c"}
{"a":"c"}|{"a":["b"]}|{"a":["b"]}
{"a":{"b":"c"}}|{"a":{"b":"d","c":null}}|{"a":{"b":"d"}}
{"a":[{"b":"c"}]}|{"a":[1]}|{"a":[1]}
["a","b"]|["c","d"]|["c","d"]
{"a":"b"}|["c"]|["c"]
{"a":"foo"}|null|null
{"a":"foo"}|"bar"|"bar"
{"e":null}|{"a":1}|{"a":1,"e":null}
[1,2]|{"a":"b","c":null}|{"a":"b"}
{}|{"a":{"bb":{"ccc":null}}}|{"a":{"bb":{}}}
EOF
	# Into a field, made on the way.
	run -0 bash -c 'evpub -t t -S k -d "{\"x\":1,\"y\":{\"z\":null}}" | evproject -r "t=merge:a.b=data"'
	assert_output '{"k":{"a":{"b":{"x":1,"y":{}}}}}'
}

@test "a revert undoes add, sub and count once; where an operation cannot be undone it is reported and skipped" {
	{
		evpub -t c.up -S k --id u1 n:=5
		evpub -t c.up -S k --id u2 n:=7
		evpub -t c.set -S s --id s1 name=x
	} | evlog append c.log >/dev/null
	evlog revert c.log u2 >/dev/null
	evlog revert c.log s1 >/dev/null
	run -0 evproject -r 'c.up=add:sum=data.n' -r 'c.set=ignore' c.log
	assert_output '{"k":{"sum":5}}'
	run -0 evproject -r 'c.up=sub:neg=data.n' -r 'c.set=ignore' c.log
	assert_output '{"k":{"neg":-5}}'
	run -0 evproject -r 'c.up=count:n' -r 'c.set=ignore' c.log
	assert_output '{"k":{"n":1}}'
	run -3 --separate-stderr evproject -r 'c.up=add:sum=data.n' -r 'c.set=set' c.log
	assert_output '{"k":{"sum":5},"s":{"name":"x"}}'
	assert_equal "$stderr" 'evproject: c.log:5: sequence 000000000005: reverts an event that "c.set=set" cannot undo (only add, sub and count can) (skipped)'
}

@test "an event that does not fit its rule is reported with line and sequence, kept with --rejects, and skipped" {
	{
		evpub -t a.add -S k --id 1 v:=1
		evpub -t a.add -S k --id 2 v=two
		evpub -t a.add --id 3 v:=4
		evpub -t a.add -S k --id 4
		evpub -t a.add -S k --id 5 v:=10
		echo 'not an event'
	} >in
	# The line that is no event is rejected (3); the five are appended.
	run -3 --separate-stderr evlog append --rejects /dev/null a.log <in
	assert_equal "${#lines[@]}" 5
	run -3 --separate-stderr evproject --rejects rej -r 'a.add=add:v' a.log
	assert_output '{"k":{"v":11}}'
	[ "${#stderr_lines[@]}" -eq 3 ]
	assert_equal "${stderr_lines[0]}" 'evproject: a.log:2: sequence 000000000002: "a.add=add:v": data.v is not a number (skipped)'
	assert_equal "${stderr_lines[1]}" 'evproject: a.log:3: sequence 000000000003: no key: subject is not set (skipped)'
	assert_equal "${stderr_lines[2]}" 'evproject: a.log:4: sequence 000000000004: "a.add=add:v": no data.v (skipped)'
	run -0 jq -r .id rej
	assert_output $'2\n3\n4'
	# A set entity that add cannot act in is left as it was.
	run -3 --separate-stderr bash -c '{ evpub -t s -S k v:=3; evpub -t a -S k v:=1; } | evproject -r s=set:x=data.v -r a=add:x.y=data.v'
	assert_output '{"k":{"x":3}}'
	[[ $stderr == *'"a=add:x.y=data.v": x is a number, not an object'* ]]
	run -3 --separate-stderr evproject -q -r 'a.add=add:v' a.log
	assert_equal "$stderr" ''
}

@test "a rule, a key or an option that does not parse is a usage error naming it" {
	for bad in 'noop' '=set' 'x=frob' 'x=add:' 'x=add:a..b' 'x=add:a=' 'x=count:n=data.n' \
	    'x=delete:a=data.a' 'x=ignore:a' 'x=add:a=data.b>2' 'x=set:a=Bad'; do
		run -2 evproject -r "$bad" </dev/null
		assert_line --index 0 --partial "\"$bad\""
	done
	run -2 evproject -k 'data.a=b' </dev/null
	assert_line --index 0 --partial '"data.a=b" is not a path'
	run -2 evproject --emit everything </dev/null
	run -2 evproject --save-every 10 </dev/null
	run -2 evproject --save-every 0 --state s </dev/null
	run -2 evproject --get k
	run -2 evproject --state s --get k --keys
	run -2 evproject --state s --get k -r '*=set'
	run -2 evproject -t '' </dev/null
}

@test "--state: re-running on the same log changes nothing, and new events are folded on top" {
	ledger
	run -0 evproject --state s.json "${LEDGER[@]}" ledger.log
	want=$output
	cp s.json s1.json
	[ "$(stat -c %a s.json)" = 600 ]
	run -0 jq -c .checkpoint s.json
	assert_output --regexp '^\{"id":"[0-9a-f-]{36}","sequence":"000000000011"\}$'
	run -0 evproject --state s.json "${LEDGER[@]}" ledger.log
	assert_output "$want"
	cmp s.json s1.json
	run -0 evproject --state s.json --emit changes "${LEDGER[@]}" ledger.log
	assert_output ''
	cmp s.json s1.json
	evpub -t account.deposited -S account/2 amount:=1000 | evlog append ledger.log >/dev/null
	run -0 evproject --state s.json --emit changes "${LEDGER[@]}" ledger.log
	[ "${#lines[@]}" -eq 1 ]
	run -0 jq -c '[.type, .subject, .data]' <<<"$output"
	assert_output '["state.updated","account/2",{"balance":1045,"owner":"Bob"}]'
	run -0 evproject --state s.json --get account/2
	assert_output '{"balance":1045,"owner":"Bob"}'
	run -0 evproject --state s.json --keys
	assert_output $'account/1\naccount/2'
	run -4 --separate-stderr evproject --state s.json --get account/3
	assert_output ''
	assert_equal "$stderr" 'evproject: s.json: no key "account/3"'
	run -0 evproject --emit none --state s.json "${LEDGER[@]}" ledger.log
	assert_output ''
}

@test "--state: sequences of digits compare as numbers, padded or not; an event without one is refused" {
	ev() { printf '{"specversion":"1.0","id":"i%s","source":"//t","type":"t","subject":"k","sequence":"%s","data":{"n":%s}}\n' "$1" "$1" "$2"; }
	{ ev 8 1; ev 9 10; ev 10 100; } >a
	{ ev 9 10; ev 10 100; ev 11 1000; ev 0012 10000; } >b
	run -0 evproject --state s.json -r 't=add:n' a
	assert_output '{"k":{"n":111}}'
	run -0 evproject --state s.json -r 't=add:n' b
	assert_output '{"k":{"n":11111}}'
	run -0 jq -c .checkpoint s.json
	assert_output '{"id":"i0012","sequence":"0012"}'
	run -3 --separate-stderr evproject --state s.json -r 't=add:n' <<<'{"specversion":"1.0","id":"x","source":"//t","type":"t","subject":"k","data":{"n":5}}'
	assert_output '{"k":{"n":11111}}'
	assert_equal "$stderr" 'evproject: stdin:1: no sequence, and the checkpoint is sequence 0012: cannot tell whether it was applied (skipped)'
}

@test "--state without sequences: the checkpoint is the last id, and an input without it is refused (4)" {
	stream 500 all.ndjson
	run -0 evproject "${KILLRULES[@]}" all.ndjson
	want=$output
	head -n 200 all.ndjson | evproject --emit none --state s.json "${KILLRULES[@]}"
	run -0 jq -c .checkpoint s.json
	assert_output '{"id":"e200"}'
	run -0 evproject --state s.json "${KILLRULES[@]}" all.ndjson
	assert_output "$want"
	cp s.json s1.json
	run -4 --separate-stderr evproject --state s.json "${KILLRULES[@]}" <<<"$(sed -n 1,10p all.ndjson)"
	assert_equal "$stderr" 'evproject: s.json: the checkpoint'"'"'s event (id "e500") was not in the input: nothing was applied'
	cmp s.json s1.json
	# An empty input is no news.
	run -0 evproject --emit none --state s.json "${KILLRULES[@]}" </dev/null
	cmp s.json s1.json
}

@test "kill -9 part-way and a re-run give exactly the state of one uninterrupted run" {
	stream 30000 all.ndjson
	evlog append --sync none log <all.ndjson >/dev/null
	run -0 evproject "${KILLRULES[@]}" log
	want=$output
	for input in log all.ndjson; do
		for delay in 0.02 0.05 0.1 0.2 0.3; do
			rm -f s.json
			evproject --emit none --state s.json --save-every 97 "${KILLRULES[@]}" "$input" &
			pid=$!
			sleep "$delay"
			killed "$pid"
			# The file is whole, old or new: never half-written.
			[ ! -s s.json ] || jq -e .checkpoint.id s.json >/dev/null
			rm -f .s.json.*
			run -0 evproject --state s.json "${KILLRULES[@]}" "$input"
			assert_output "$want"
		done
	done
}

@test "-f with --save-every: kill -9, then resume; SIGTERM saves and prints the state" {
	stream 3000 all.ndjson
	evlog append --sync none log <all.ndjson >/dev/null
	run -0 evproject "${KILLRULES[@]}" log
	want=$output
	: >grow
	evproject -f --emit none --state s.json --save-every 50 "${KILLRULES[@]}" grow &
	pid=$!
	head -n 1000 log >>grow
	for _ in $(seq 100); do [ -s s.json ] && break; sleep 0.05; done
	kill -9 "$pid"
	exited "$pid" 137
	sed -n '1001,$p' log >>grow
	run -0 evproject --state s.json "${KILLRULES[@]}" grow
	assert_output "$want"
	# SIGTERM ends a follower as the end of its input does.
	rm -f s.json
	: >grow
	evproject -f --state s.json "${KILLRULES[@]}" grow >out &
	pid=$!
	cat log >>grow
	readto "$pid" grow
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
	assert_equal "$(cat out)" "$want"
	run -0 evproject --state s.json --emit none "${KILLRULES[@]}" log
	run -0 jq -c .state s.json
	assert_output "$want"
}

@test "--save-interval saves a follower's state while it waits" {
	stream 100 all.ndjson
	mkfifo fifo
	evproject --state s.json --save-interval 0.2 "${KILLRULES[@]}" fifo >out &
	pid=$!
	exec 5>fifo
	cat all.ndjson >&5
	for _ in $(seq 100); do [ -s s.json ] && break; sleep 0.05; done
	run -0 jq -c .checkpoint s.json
	assert_output '{"id":"e100"}'
	# The follower holds the file: a second run is refused, a query is not.
	run -1 --separate-stderr evproject --state s.json "${KILLRULES[@]}" </dev/null
	assert_equal "$stderr" 'evproject: s.json: in use by another evproject'
	# acct/1 has events 1 and 38 (t.added, n -5 and 6) and 75 (t.counted).
	run -0 evproject --state s.json --get acct/1
	assert_output '{"events":1,"total":1}'
	exec 5>&-
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
}

@test "--emit changes piped into a second evproject reproduces the first one's state" {
	ledger
	run -0 evproject "${LEDGER[@]}" ledger.log
	want=$output
	evproject --emit changes "${LEDGER[@]}" ledger.log >changes
	schema_check changes
	run -0 jq -r .type changes
	assert_line 'state.deleted'
	run -0 evproject -r '*.deleted=delete' -r '*=set' changes
	assert_output "$want"
	# And a chain: changes of changes, with another type.
	run -0 bash -c 'evproject --emit changes "$@" ledger.log | evproject -t acct --emit changes -r "*.deleted=delete" -r "*=set" | evproject -r "acct.deleted=delete" -r "acct.updated=set"' _ "${LEDGER[@]}"
	assert_output "$want"
	stream 2000 all.ndjson
	run -0 evproject "${KILLRULES[@]}" all.ndjson
	want=$output
	# No account is deleted: the delete rule says it matched nothing.
	run -0 --separate-stderr bash -c 'evproject --emit changes "$@" all.ndjson | evproject -r "*.deleted=delete" -r "*=set"' _ "${KILLRULES[@]}"
	assert_output "$want"
	assert_equal "$stderr" 'evproject: -r: "*.deleted=delete" matched no event; types seen: state.updated'
}

@test "GH Archive: events per repository and pushes per actor are what jq computes" {
	for d in "${DATASETS[@]}"; do
		f=$d/gharchive/2021-07-21-sample.ndjson
		rm -f gh.json
		evpub -l -t com.github.event -s //gharchive <"$f" >gh.ndjson
		[ "$(wc -l <gh.ndjson)" -eq "$(wc -l <"$f")" ]
		run -0 evproject -k data.repo.name -r '*=count' gh.ndjson
		assert_equal "$(jq -S -c . <<<"$output")" \
		    "$(jq -n -S -c 'reduce inputs as $e ({}; .[$e.repo.name] += 1)' "$f")"
		# --keys lists them sorted bytewise, as jq sorts them.
		evproject -k data.repo.name -r '*=count' --state gh.json --emit none gh.ndjson
		run -0 evproject --state gh.json --keys
		assert_equal "$output" "$(jq -n -r '[inputs.repo.name] | unique[]' "$f")"
		run -0 evproject -k data.actor.login -r '*=count:events' gh.ndjson
		assert_equal "$(jq -S -c . <<<"$output")" \
		    "$(jq -n -S -c 'reduce inputs as $e ({}; .[$e.actor.login].events += 1)' "$f")"
		run -0 evproject -k data.type -r '*=add:commits=data.payload.size' -r '*=ignore' \
		    <(evsub 'data.type=PushEvent' <gh.ndjson)
		assert_equal "$output" \
		    "$(jq -n -S -c 'reduce (inputs | select(.type == "PushEvent")) as $e ({}; .PushEvent.commits += $e.payload.size)' "$f")"
	done
}

@test "a symlink where the state file belongs is refused; a failed save leaves the old state" {
	ledger
	ln -s target s.json
	run -1 --separate-stderr evproject --state s.json "${LEDGER[@]}" ledger.log
	assert_equal "$stderr" 'evproject: s.json: a symbolic link: refused'
	[ ! -e target ]
	rm s.json
	head -n 3 ledger.log | evproject --emit none --state s.json "${LEDGER[@]}"
	cp s.json s1.json
	# The shim comes after the sanitizers' runtime under make check.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	for call in fsync rename; do
		FAULT_CALL=$call FAULT_N=1 LD_PRELOAD=$FAULT run -1 --separate-stderr \
		    evproject --emit none --state s.json "${LEDGER[@]}" ledger.log
		assert_equal "$stderr" 'evproject: s.json: save: Input/output error'
		cmp s.json s1.json
		[ -z "$(ls -a | grep '^\.s\.json\.')" ]
	done
}

@test "memory grows with the keys, not the events" {
	stream 20000 small.ndjson
	stream 200000 big.ndjson
	# Under make check, what AddressSanitizer keeps of freed memory is
	# not ours.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
	read -r st1 rss1 < <(maxrss small.ndjson evproject "${KILLRULES[@]}")
	read -r st2 rss2 < <(maxrss big.ndjson evproject "${KILLRULES[@]}")
	[ "$st1" -eq 0 ]
	[ "$st2" -eq 0 ]
	echo "$rss1 KiB, $rss2 KiB"
	[ "$rss2" -lt $((rss1 + 1024)) ]
}

@test "--help matches the SYNOPSIS of evproject(1)" {
	run -0 synopsis_is_usage evproject
}

@test "an event nested too deep to keep in the state file is a misfit; the state stays loadable" {
	deep() { python3 -c "d=$1;print('{\"specversion\":\"1.0\",\"id\":\"'+'$2'+'\",\"source\":\"s\",\"type\":\"t\",\"subject\":\"k\",\"data\":'+'{\"a\":'*d+'1'+'}'*d+'}')"; }
	deep 2046 1 >in
	# Valid as an event (2048 levels with the envelope), too deep for the file.
	run -0 evsub <in
	run -3 --separate-stderr evproject --state st.json --emit none <in
	[[ $stderr == *"stdin:1: \"*=merge\": nested too deep to keep in the state"* ]]
	# The state file still reads, and a shallower event folds.
	deep 100 2 >in2
	run -0 evproject --state st.json --emit none < <(cat in in2)
	run -0 evproject --state st.json --keys
	assert_output 'k'
	# A field path counts too.
	deep 2040 3 >in3
	run -3 evproject --state st2.json --emit none -r 't=set:a.b.c.d.e.f.g.h' <in3
	run -0 evproject --state st2.json --keys
}

@test "a save killed before its rename leaves .S.XXXXXX: the next run removes it, under the lock, and nothing not of that naming" {
	printf '%s\n' '{"specversion":"1.0","id":"1","source":"//s","type":"a.add","subject":"k","data":{"v":1}}' >in
	evproject --state s.json -r 'a.add=add:v' in >/dev/null
	# As a kill between the temporary file and the rename leaves them.
	cp s.json .s.json.Ab3xYz
	cp s.json .s.json.Qq9Zz0
	# Not of that naming, or another state's: kept.
	cp s.json .s.json.Ab3xY
	cp s.json .s.json.Ab3xYz.bak
	cp s.json .t.json.Ab3xYz
	mkdir .s.json.DIR123
	# A query takes no lock, and removes nothing.
	run -0 evproject --state s.json --keys
	[ -e .s.json.Ab3xYz ]
	run -0 evproject --state s.json -r 'a.add=add:v' </dev/null
	[ ! -e .s.json.Ab3xYz ]
	[ ! -e .s.json.Qq9Zz0 ]
	[ -e .s.json.Ab3xY ]
	[ -e .s.json.Ab3xYz.bak ]
	[ -e .t.json.Ab3xYz ]
	[ -d .s.json.DIR123 ]
	run -0 evproject --state s.json --get k
	assert_output '{"v":1}'
}
