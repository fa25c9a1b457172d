#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# mistakes: what a new user gets wrong is reported with what to write
# instead, never passed over in silence (issue 17).  Filters, evproject's
# rules, evlog's subcommands and log names.

load test_helper/common

setup() {
	{
		evpub -t order.placed -S order/1 --id o1 total:=150
		evpub -t order.paid -S order/2 --id o2 total:=50
		evpub -t user.created -S user/42 --id u1 name=Ada
		evpub -t cache.flushed --id c1 'tag:="a,b"'
	} >events
}

ids() { jq -r .id | tr '\n' ' '; }

# --- filters ---------------------------------------------------------------

@test "filters that could never match are usage errors that say what to write" {
	run -2 --separate-stderr evsub 'data.total > 10' <events
	assert_equal "$output" ""
	[[ $stderr == *"\"data.total > 10\": no spaces around the operator: write 'data.total>10'"* ]]
	run -2 --separate-stderr evsub 'data.total>"10"' <events
	[[ $stderr == *'the quotes would be part of the value: write 10, not "10"'* ]]
	run -2 --separate-stderr evsub "type=$UNSET_IN_THIS_TEST" <events
	[[ $stderr == *'a value is missing after "="'* ]]
	run -2 --separate-stderr evsub 'type==order.paid' <events
	[[ $stderr == *"write 'type=order.paid'"* ]]
	run -2 --separate-stderr evsub 'type=~order' <events
	[[ $stderr == *'no regular expressions'* ]]
	run -2 --separate-stderr evsub 'data.total>1,5' <events
	[[ $stderr == *'write 1.5'* ]]
	run -2 --separate-stderr evsub '.data.total>1' <events
	[[ $stderr == *"write 'data.total>1'"* ]]
	run -2 --separate-stderr evsub 'type=order.*,' <events
	[[ $stderr == *'an empty alternative'* ]]
}

@test "alternatives in one filter: = holds for one of them, != for none" {
	run -0 evsub 'type=order.placed,user.*' <events
	assert_equal "$(ids <<<"$output")" "o1 u1 "
	run -0 evsub 'type!=order.*,user.*' <events
	assert_equal "$(ids <<<"$output")" "c1 "
	run -0 evsub 'data.total=50,150' <events
	assert_equal "$(ids <<<"$output")" "o1 o2 "
	# A comma of the value: in brackets, or escaped.
	run -0 evsub 'data.tag=a[,]b' <events
	assert_equal "$(ids <<<"$output")" "c1 "
	run -0 evsub 'data.tag=x,a\,b' <events
	assert_equal "$(ids <<<"$output")" "c1 "
	run -0 evsub 'data.tag=a,b' <events
	assert_output ""
}

# --- evproject's rules -----------------------------------------------------

ledger() {
	{
		evpub -t account.opened -S account/7 owner=Ada
		evpub -t account.deposited -S account/7 amount:=100
		evpub -t account.withdrawn -S account/7 amount:=30
	} >ledger.ndjson
}

@test "evproject names a rule that matched no event, and the types close to it" {
	ledger
	run -0 --separate-stderr evproject -r 'deposited=add:balance=data.amount' ledger.ndjson
	assert_output '{}'
	assert_equal "$stderr" 'evproject: -r: "deposited=add:balance=data.amount" matched no event; types seen close to "deposited": account.deposited'
	# A typo, a rule behind one that takes its types, one for types unseen.
	run -0 --separate-stderr evproject -r 'acount.deposited=add:balance' \
	    -r 'account.*=set' -r 'account.opened=set' -r 'order.*=count' -r '*=ignore' ledger.ndjson
	assert_equal "${stderr_lines[0]}" 'evproject: -r: "acount.deposited=add:balance" matched no event; types seen close to "acount.deposited": account.deposited'
	assert_equal "${stderr_lines[1]}" 'evproject: -r: "account.opened=set" matched no event: an earlier rule comes first for account.opened'
	assert_equal "${stderr_lines[2]}" 'evproject: -r: "order.*=count" matched no event; types seen: account.deposited, account.opened, account.withdrawn'
	assert_equal "${#stderr_lines[@]}" 3
	# -q: nothing; no events at all: nothing to say.
	run -0 --separate-stderr evproject -q -r 'deposited=add:balance' ledger.ndjson
	assert_equal "$stderr" ''
	run -0 --separate-stderr evproject -r 'deposited=add:balance' </dev/null
	assert_equal "$stderr" ''
}

@test "evproject: a value path that is an attribute the event lacks suggests data.PATH" {
	ledger
	run -3 --separate-stderr evproject -r 'account.deposited=add:balance=amount' -r '*=ignore' ledger.ndjson
	assert_equal "$stderr" 'evproject: ledger.ndjson:2: "account.deposited=add:balance=amount": no amount (an attribute), but the data has it: write account.deposited=add:balance=data.amount (skipped)'
	# An attribute that is not in the data either: no suggestion.
	run -3 --separate-stderr evproject -r 'account.deposited=add:balance=fee' -r '*=ignore' ledger.ndjson
	assert_equal "$stderr" 'evproject: ledger.ndjson:2: "account.deposited=add:balance=fee": no fee (skipped)'
}

# --- evlog's commands and logs ---------------------------------------------

@test "evlog: no command, an unknown one, or a log where the command belongs" {
	evpub -t a.b -S s x=1 | evlog append ledger.log >/dev/null
	run -2 --separate-stderr evlog
	assert_equal "${stderr_lines[0]}" 'evlog: a command is missing: append, cat, repair, revert, stats or verify'
	run -2 --separate-stderr evlog foo
	assert_equal "${stderr_lines[0]}" 'evlog: "foo": not a command: append, cat, repair, revert, stats or verify'
	run -2 --separate-stderr evlog ledger.log
	assert_equal "${stderr_lines[0]}" 'evlog: "ledger.log": a command is missing before the log: evlog cat ledger.log (or append, repair, revert, stats, verify)'
	run -2 --separate-stderr evlog -f ledger.log
	assert_equal "${stderr_lines[0]}" 'evlog: -f: the command comes first: append, cat, repair, revert, stats or verify'
	run -0 evlog --help
}

@test "evlog: every message names the command, getopt's too" {
	run -2 --separate-stderr evlog cat -x l
	assert_equal "${stderr_lines[0]}" 'evlog cat: -x: not an option'
	run -2 --separate-stderr evlog stats --frob l
	assert_equal "${stderr_lines[0]}" 'evlog stats: --frob: not an option'
	run -2 --separate-stderr evlog cat l -n
	assert_equal "${stderr_lines[0]}" 'evlog cat: -n: needs a value'
	run -2 --separate-stderr evlog cat --from
	assert_equal "${stderr_lines[0]}" 'evlog cat: --from: needs a value'
	run -2 --separate-stderr evlog verify
	assert_equal "${stderr_lines[0]}" 'evlog verify: one log is needed'
	run -2 --separate-stderr evlog append --json l
	[[ ${stderr_lines[0]} == 'evlog append: --json is for stats' ]]
	run -1 --separate-stderr evlog cat missing.log
	[[ ${stderr_lines[0]} == 'evlog cat: missing.log: '* ]]
}

@test "evlog append - is refused, and makes no file named -" {
	run -2 --separate-stderr evlog append - < <(evpub -t a.b -S s x=1)
	assert_equal "${stderr_lines[0]}" 'evlog append: "-" is not a log: events come from standard input; name the log'"'"'s file: evlog append LOG <events'
	assert_output ''
	[ ! -e ./- ]
	run -2 --separate-stderr evlog cat - </dev/null
	assert_equal "${stderr_lines[0]}" 'evlog cat: "-" is not a log: standard input is no file (a log is read as one: evlog CMD LOG, or < LOG; evsub reads a stream)'
}

@test "evlog -T NAME: a topic's log by name; a missing topic names where it looked" {
	evpub -T orders -t order.placed -S order/1 --id o1 >/dev/null
	evpub -T orders -t order.paid -S order/1 --id o2 >/dev/null
	run -0 evlog cat -T orders
	assert_equal "$(jq -r .id <<<"$output" | tr '\n' ' ')" "o1 o2 "
	run -0 evlog cat -n 1 --topic orders
	assert_equal "$(jq -r .sequence <<<"$output")" "000000000002"
	run -0 evlog verify -T orders
	run -0 evlog stats --json -T orders
	assert_equal "$(jq -r .events <<<"$output")" 2
	run -1 --separate-stderr evlog cat -T ordres
	assert_equal "$stderr" "evlog cat: -T: no topic \"ordres\": looked in $EVENTFUL_HOME/topics/ordres"
	[ ! -e "$EVENTFUL_HOME/topics/ordres" ]
	run -2 --separate-stderr evlog revert -T orders o1
	assert_equal "${stderr_lines[0]}" 'evlog revert: -T is for append, cat, repair, stats and verify'
	run -2 --separate-stderr evlog cat -T orders other.log
	assert_equal "${stderr_lines[0]}" 'evlog cat: -T names the log: no other'
	run -2 --separate-stderr evlog cat -T ../x
	[[ ${stderr_lines[0]} == "evlog cat: -T: ../x: a topic name is letters, digits, '.', '_' and '-'"* ]]
}

@test "evlog append -T NAME publishes to the topic as evpub -T does: acknowledged, live subscribers get it, --expect per subject" {
	mktopic orders
	evsub -T orders -c 2 >live 2>err 3>&- &
	pid=$!
	for _ in $(seq 100); do [ -n "$(ls "$EVENTFUL_HOME/topics/orders/subs")" ] && break; sleep 0.05; done
	printf '{"specversion":"1.0","id":"a%d","source":"//t","type":"t","subject":"order/1"}\n' 1 2 >in
	run -0 evlog append -T orders --expect 0 <in
	assert_equal "$(jq -r .sequence <<<"$output" | tr '\n' ' ')" "000000000001 000000000002 "
	wait "$pid"
	assert_equal "$(jq -r .id live | tr '\n' ' ')" "a1 a2 "
	run -4 evlog append -T orders --expect 0 <<<'{"specversion":"1.0","id":"a3","source":"//t","type":"t","subject":"order/1"}'
	run -2 --separate-stderr evlog append -T orders other.log </dev/null
	assert_equal "${stderr_lines[0]}" 'evlog append: -T names the topic: no log besides'
	run -2 --separate-stderr evlog append --bus nats://127.0.0.1:1 l </dev/null
	assert_equal "${stderr_lines[0]}" 'evlog append: --bus goes with -T: a log named as a file is a file'
}

# ---- a topic that does not exist --------------------------------------------

@test "a consumer of a topic that does not exist: status 8, where it looked, the closest name, and no topic made" {
	evpub -T orders -t order.placed >/dev/null
	run -8 --separate-stderr evsub -T ordres --consumer billing --once
	assert_output ''
	assert_equal "$stderr" "evsub: -T: ordres: no such topic in $EVENTFUL_HOME/topics; did you mean orders? (there: orders)"
	[ ! -e "$EVENTFUL_HOME/topics/ordres" ]
	run -0 evsub --topics
	refute_output --partial ordres
	# In another EVENTFUL_HOME, with no topics at all.
	EVENTFUL_HOME=$BATS_TEST_TMPDIR/other run -8 --separate-stderr evsub -T orders --consumer billing --once
	[[ $stderr == *"orders: no such topic in $BATS_TEST_TMPDIR/other/topics, which has none: a publisher makes one (evpub -T orders ...); is EVENTFUL_HOME the one you meant?" ]]
}

@test "evsub --topics on a home with no topics says so" {
	run -0 --separate-stderr evsub --topics
	assert_output ''
	assert_equal "$stderr" "evsub: no topics in $EVENTFUL_HOME/topics: a publisher makes one (evpub -T NAME ...); is EVENTFUL_HOME the one you meant?"
}

@test "a live subscriber that comes before a topic's first publisher waits for it, says so, and makes nothing" {
	evpub -T orders -t order.placed >/dev/null
	evsub -T ordres -c 1 >out 2>err 3>&- &
	pid=$!
	for i in $(seq 100); do grep -q 'waiting for a publisher' err && break; sleep 0.05; done
	run -0 cat err
	assert_line --index 0 "evsub: -T: ordres: no such topic in $EVENTFUL_HOME/topics; did you mean orders? (there: orders)"
	assert_line --index 1 'evsub: -T: ordres: waiting for a publisher to make it'
	# The mistyped name is not made: --topics shows only the real one.
	run -0 evsub --topics
	assert_output "orders	events 1	subscribers 0"
	kill "$pid"
}

@test "a live subscriber waiting for its topic gives up with -w: status 5, nothing made" {
	run -5 --separate-stderr evsub -T nothere -w 0.3
	assert_output ''
	assert_equal "${stderr_lines[1]}" 'evsub: -T: nothere: waiting for a publisher to make it'
	[ ! -e "$EVENTFUL_HOME/topics/nothere" ]
}

@test "a live subscriber that waited takes every event from the first, in order, once: what came before its FIFO from the log" {
	# The publisher streams while the subscriber, polling for the topic,
	# joins in the middle: the events before its FIFO was in place come
	# from the log, the rest from the FIFO, none twice, none lost.
	evsub -T stream -c 2000 --data >out 2>err 3>&- &
	pid=$!
	for i in $(seq 100); do grep -q 'waiting' err && break; sleep 0.05; done
	for i in $(seq 2000); do
		echo "$i"
		if [ $((i % 4)) -eq 0 ]; then sleep 0.001; fi
	done | evpub -T stream -l -t t >/dev/null
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	run -0 wait "$pid"
	run -0 cat out
	[ "${#lines[@]}" -eq 2000 ]
	seq 2000 >want
	run -0 diff want out
}

# --- round two (issue 30): what passed silently with status 0 ---------------

@test "evpub without -l refuses input waiting on stdin, which it would drop; -l, -d @- and </dev/null say what is meant" {
	run -2 --separate-stderr bash -c "echo '{\"a\":1}' | evpub -t x"
	assert_equal "$output" ""
	[[ $stderr == *"evpub: stdin: input is waiting, and an event made from the command line does not read it: -l makes an event of each line"*"</dev/null says there is none"* ]]
	# From a file too.
	echo '{"a":1}' >in.json
	run -2 evpub -t x <in.json
	run -0 bash -c "echo '{\"a\":1}' | evpub -l -t x | jq -c .data"
	assert_output '{"a":1}'
	run -0 bash -c "echo '{\"a\":1}' | evpub -d @- -t x | jq -c .data"
	assert_output '{"a":1}'
	run -0 bash -c "evpub -t x a=1 </dev/null | jq -c .data"
	assert_output '{"a":"1"}'
	# A pipe that brings nothing is no input.
	run -0 bash -c "true | evpub -t x | jq -r .type"
	assert_output x
	# An event with its data on the command line was meant as it is,
	# whatever stdin holds (a loop's).
	run -0 bash -c "printf '1\n2\n' | while read -r n; do evpub -t x n:=\$n | jq -c .data; done"
	assert_output $'{"n":1}\n{"n":2}'
}

@test "a publisher making a topic a slip away from another's name warns, and makes it" {
	mktopic orders
	run -0 --separate-stderr evpub -q -T ordrs -t order.placed n:=1 </dev/null
	assert_equal "$stderr" "evpub: -T: ordrs: a new topic, a slip away from orders: making it (did you mean -T orders?)"
	# Made, as asked: the second publish is to a topic that exists.
	run -0 --separate-stderr evpub -q -T ordrs -t order.placed n:=2 </dev/null
	assert_equal "$stderr" ""
	# A name far from every other says nothing.
	run -0 --separate-stderr evpub -q -T payments -t x </dev/null
	assert_equal "$stderr" ""
}

@test "a filter whose attribute no event has says what was meant: the data's field, or the attribute it is close to" {
	run -0 --separate-stderr evsub 'total>100' <events
	assert_equal "$output" ""
	assert_equal "$stderr" "evsub: filter: \"total>100\": no event read has an attribute total, but their data has it: write 'data.total>100'"
	run -0 --separate-stderr evsub 'typ=order.placed' <events
	assert_equal "$stderr" "evsub: filter: \"typ=order.placed\": no event read has an attribute typ; did you mean 'type=order.placed'?"
	run -0 --separate-stderr evsub 'sorce=x' <events
	assert_equal "$stderr" "evsub: filter: \"sorce=x\": no event read has an attribute sorce; did you mean 'source=x'?"
	# What was meant works, and says nothing.
	run -0 --separate-stderr evsub 'data.total>100' <events
	assert_equal "$(jq -r .id <<<"$output")" o1
	assert_equal "$stderr" ""
	# An extension some event has: no hint, even when nothing passes.
	evpub -t x -e tenant=acme </dev/null >ext
	run -0 --separate-stderr evsub 'tenant=other' <ext
	assert_equal "$stderr" ""
}

@test "--exec's command ends at ';' as find's does; a filter it would swallow is refused" {
	run -2 --separate-stderr evsub --exec echo ARGS 'type=nomatch' <events
	assert_equal "$output" ""
	[[ $stderr == *"evsub: --exec: \"type=nomatch\" reads as a filter, but the command takes it: end the command with ';' (\\; to the shell, as find -exec) and give the filters after it, or before --exec"* ]]
	run -0 evsub --exec echo ARGS \; 'type=nomatch' <events
	assert_output ''
	run -0 evsub --exec echo ARGS \; 'type=order.*' <events
	assert_output $'ARGS\nARGS'
	# Options after the ';' are evsub's again.
	run -0 evsub --exec echo hi \; -c 1 <events
	assert_output hi
	# Without ';' the command's own options stay its own, and words that
	# name no attribute, or a script, are the command's too.
	run -0 evsub -c 1 --exec printf '%s\n' -v <events
	assert_output -- -v
	run -0 evsub -c 1 --exec env A=1 sh -c 'echo $A t=1' <events
	assert_output '1 t=1'
	run -0 evsub -c 1 --exec sh -c 't=$(echo x) && echo type=$t' <events
	assert_output 'type=x'
}

@test "evsub -v (grep's invert, not verbose) without a filter is refused" {
	run -2 --separate-stderr evsub -v <events
	assert_equal "$output" ""
	[[ $stderr == *"evsub: -v keeps the events that do not pass the filters, and none is given (-v is grep's -v, not verbose): evsub -v FILTER ..."* ]]
	run -0 evsub -v 'type=order.*' <events
	assert_equal "$(ids <<<"$output")" "u1 c1 "
}

@test "evsub -T --from past the end says so, and gets what is published up to and past it" {
	mktopic orders
	for i in 1 2 3; do evpub -q -T orders -t o n:=$i </dev/null; done
	evsub -T orders --from 6 -c 1 >out 2>err &
	pid=$!
	for i in $(seq 200); do [ -s err ] && break; sleep 0.05; done
	run -0 cat err
	assert_output "evsub: --from: 6 is past the end of topic orders, whose last event is 3: waiting for 4 to 5 to be published first (--from end: only what comes; --from -N: the last N)"
	for i in 4 5 6; do evpub -q -T orders -t o n:=$i </dev/null; done
	wait "$pid"
	assert_equal "$(jq -c .data out)" '{"n":6}'
	# At the next event to come: no word.
	run -0 --separate-stderr evsub -T orders --from 7 --once
	assert_equal "$stderr" ""
}

@test "evlog revert never makes a log; evproject --get and --keys of a state never saved are errors" {
	run -1 --separate-stderr evlog revert nosuch.log dep-1
	assert_equal "$stderr" "evlog revert: nosuch.log: no such log: revert appends the opposite of an event already in a log (evlog append makes one)"
	[ ! -e nosuch.log ]
	run -1 --separate-stderr evproject --state nosuch.json --get x
	assert_equal "$stderr" "evproject: nosuch.json: no such state file: a projection saves it (evproject --state nosuch.json RULE ... < events)"
	run -1 --separate-stderr evproject --state nosuch.json --keys
	assert_equal "$output" ""
	[[ $stderr == *"no such state file"* ]]
	[ ! -e nosuch.json ]
	# A state that was saved answers as before.
	run -3 evproject --state s.json <events
	run -0 evproject --state s.json --keys
	assert_line order/1
}

@test "--expect on a topic not made yet fails without making it" {
	run -4 --separate-stderr evpub -T ledger --expect 4 -t deposited -S acct/1 amount:=5 </dev/null
	assert_equal "$stderr" "evpub: ledger: the subject has 0 events, not 4: nothing published (no such topic; nothing made)"
	run -8 evsub -T ledger --from 1 --once
	[ ! -e "$EVENTFUL_HOME/topics/ledger" ]
	# --expect 0 is the first event: it makes the topic.
	run -0 evpub -q -T ledger --expect 0 -t deposited -S acct/1 amount:=5 </dev/null
	run -0 evlog cat -T ledger
	assert_equal "$(jq -r .sequence <<<"$output")" 000000000001
}
