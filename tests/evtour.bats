#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# evtour: the lessons straight through, each step's output checked; the
# pausing as a person meets it, in tmux; the exercise checked both ways.

load test_helper/common

# The tests make tmux servers of their own, never talk to one they run in.
unset TMUX TMUX_PANE

teardown() {
	[ -z "${TSOCK:-}" ] || tmux -L "$TSOCK" kill-server 2>/dev/null || true  # honest: cleanup; it may have ended
	[ "${TMUX_TMPDIR:-}" != "$BATS_TEST_TMPDIR/tmux" ] || tmux kill-server 2>/dev/null || true  # honest: cleanup; it may have ended
	# What a failed test left running in its sandbox, by pid.
	for p in $(leftovers "$BATS_TEST_TMPDIR/sb" | awk '{ print $1 }'); do
		kill "$p" 2>/dev/null || true  # honest: cleanup; it may have ended
	done
	[ -z "${TSOCK:-}" ] || rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TSOCK"
	return 0
}

# stepout N: what step N printed in tour.out, its command left out.
stepout() {
	awk -v n="$1" '
	    state == 0 && index($0, "[" n "]") == 1 { state = 1; next }
	    state == 1 && /^\$ / { state = 2; next }
	    state == 2 && /^  / { next }
	    state == 2 { state = 3 }
	    state == 3 && (/^\[[0-9]+\]/ || /^== / || /^Exercise:/ || /^The end\./) { exit }
	    state == 3 { print }' tour.out
}

# The tour, straight through, once for the file: its output, each step's,
# and its sandbox, in a home of its own; its status for tour to return.
setup_file() {
	local d=$BATS_FILE_TMPDIR/tour st=0
	mkdir -p "$d/home"
	(cd "$d" && HOME=$d/home EVENTFUL_HOME=$d/home/eventful \
	    evtour --no-pause --dir sandbox >tour.out 2>&1) || st=$?
	echo "$st" >"$d/status"
}

# tour: the tour's output (tour.out) and sandbox here; its status.
tour() {
	ln -s "$BATS_FILE_TMPDIR/tour/tour.out" "$BATS_FILE_TMPDIR/tour/sandbox" .
	return "$(cat "$BATS_FILE_TMPDIR/tour/status")"
}

@test "the whole tour runs straight through when not on a terminal, and keeps its sandbox" {
	run -0 evtour --dir sandbox
	assert_line --index 0 --partial 'evtour: lessons in the EVENTful patterns; the sandbox is '
	refute_output --partial '[Enter'
	assert_output --partial "The end.  The sandbox stays: $PWD/sandbox"
	[ -f sandbox/sourcing/ledger.log ]
	# Every step is shown with its command, as typed; all but the five
	# of the room, which needs a teacher's.
	[ "$(grep -c '^\[[0-9]*\]' <<<"$output")" -eq 49 ]
	[ "$(evtour --list | grep -c '^ *[0-9]')" -eq 54 ]
	assert_line '$ evsub --thin < users.ndjson'
	# Again in the same sandbox: each lesson starts over.
	run -0 evtour --dir sandbox
	assert_line 'sender: delivered'
	assert_line 'second writer: refused, status 4'
}

@test "the tour: RESTful asks for the state, EVENTful is told what happened" {
	tour
	run stepout 1
	assert_output '{"order":17,"status":"placed"}'
	run stepout 2
	assert_output '{"order":17,"status":"paid"}'
	run stepout 3
	assert_output --regexp '^\{"specversion":"1.0",.*"type":"order.paid","subject":"order/17",.*"data":\{"amount":42\}\}$'
	run stepout 4
	assert_output --regexp '^[0-9T:.-]+Z order.paid order/17 \{"amount":42\}$'
}

@test "the tour: notification and event-carried state" {
	tour
	run stepout 5
	assert_output --regexp '"type":"cache.flushed",.*"region":"eu"\}$'
	run stepout 7
	assert_line --index 0 --regexp '"type":"user.created","subject":"user/42",'
	refute_output --partial '"data"'
	run stepout 8
	assert_line --index 0 --regexp ' user.created user/42$'
	assert_line --index 1 --regexp ' user.deleted user/7$'
	run stepout 10
	assert_output '{"user/42":{"email":"ada@example.com","name":"Ada"},"user/43":{"name":"Grace"}}'
	run stepout 11
	assert_output '{"user/42":{"email":"ada@example.com","name":"Ada"}}'
	run stepout 12
	assert_output '{"email":"ada@example.com","name":"Ada"}'
}

@test "the tour: publish-subscribe and durable consumers" {
	tour
	run stepout 16
	assert_line --index 0 "$(printf 'chat\tevents 1\tsubscribers 2')"
	assert_output --partial 'name alice'
	assert_output --partial 'name bob'
	run stepout 19
	assert_line --index 0 --regexp ' chat.message room/1 \{"text":"hello, all"\}$'
	assert_line --index 1 --regexp ' chat.message room/1 \{"text":"urgent: coffee is out"\}$'
	run stepout 20
	assert_output --regexp '^[^ ]+ chat.message room/1 \{"text":"urgent: coffee is out"\}$'
	run stepout 23
	assert_line --index 0 --regexp ' order.placed order/1 \{"total":150\}$'
	assert_line --index 1 --regexp ' order.placed order/2 \{"total":40\}$'
	run stepout 25
	assert_line "$(printf 'orders\tconsumer shipping\tposition 2\tlag 1')"
	run stepout 26
	assert_output --regexp '^[^ ]+ order.placed order/3 \{"total":220\}$'
	grep -q '^Exercise: Make a durable consumer named billing' tour.out
}

@test "the tour: webhooks signed, retried while the receiver is down, delivered, and parked" {
	tour
	run stepout 31
	assert_output '-rw------- whsec.txt'
	run stepout 32
	assert_output --regexp '^evpub: listening on 127\.0\.0\.1:[0-9]+$'
	run stepout 35
	assert_output --regexp ' order.placed order/1 \{"total":150\}$'
	run stepout 36
	assert_line --index 0 --regexp 'failed: .*; try 2 of 11 in [0-9]+ ms$'
	assert_line --index 1 --regexp '; try 3 of 11 in [0-9]+ ms$'
	run stepout 37
	assert_line --index 0 'sender: delivered'
	assert_line --index 2 --regexp ' order.placed order/2 \{"total":80\}$'
	run stepout 38
	assert_output --partial 'after 3 tries'
	assert_output --partial 'the event is kept in dead.ndjson'
	assert_line 'status 1'
	assert_line --index 5 --regexp ' order.placed order/3 \{"total":99\}$'
	# The secret is never on a command line.
	run grep -c -- '--secret ' tour.out
	assert_output 0
	# Nothing the lesson started is left running.
	run -0 leftovers "$PWD/sandbox"
	assert_output ''
}

@test "the tour: a consumer that fails stops at the event, and goes on from there once fixed" {
	tour
	run stepout 28
	assert_line 'evsub: shop:2: delivery stops at this event'
	assert_line 'status 1'
	assert_line 'order/1 150'
	run stepout 29
	assert_line "$(printf 'shop\tconsumer invoicing\tposition 1\tlag 2')"
	run stepout 30
	assert_output 'order/1 150
order/2 0
order/3 40'
}

@test "the tour: event sourcing with a reversal and --expect losing a race; CQRS lagging, then caught up" {
	tour
	run stepout 39
	assert_output 'acknowledged: 1 account.deposited 100
acknowledged: 2 account.deposited 250
acknowledged: 3 account.withdrawn 30'
	run stepout 40
	assert_output --regexp ' account.deposited account/7 \{"amount":-250\}$'
	run stepout 41
	assert_output '{"account/7":{"balance":70}}'
	run stepout 42
	assert_line --index 0 'first writer: appended'
	assert_line --index 1 'evlog append: ledger.log: subject "account/7" has 5 events, not 4: nothing is appended'
	assert_line --index 2 'second writer: refused, status 4'
	run stepout 45
	assert_output '{"balance":100}'
	run stepout 46
	assert_line "$(printf 'bank\tconsumer balances\tposition 1\tlag 1')"
	run stepout 47
	assert_output '{"balance":100}'
	run stepout 49
	assert_output '{"balance":150}'
}

@test "--list: the lessons and their steps, numbered through" {
	run -0 evtour --list
	run -0 grep -c '^[a-z]* - ' <<<"$output"
	assert_output 10
	run -0 evtour --list
	for l in contrast notification state pubsub durable recovery webhooks sourcing cqrs room; do
		assert_line --regexp "^$l - "
	done
	assert_line '   14  evsub -T chat --name alice --pretty &'
	for l in notification durable recovery webhooks sourcing cqrs room; do
		assert_line "       and an exercise (evtour --check $l)"
	done
	# Numbered 1, 2, ... with no gap.
	n=$(grep -c '^ *[0-9]' <<<"$output")
	[ "$(grep '^ *[0-9]' <<<"$output" | awk '{ print $1 }' | tr '\n' ' ')" = "$(seq -s ' ' "$n") " ]
}

@test "every step says what it does, before its command" {
	evtour --no-pause --dir sandbox >tour.out 2>&1
	# [N] is followed by words on its own line, never by the command.
	run grep -E '^\[[0-9]+\] *$' tour.out
	assert_output ''
	[ "$(grep -cE '^\[[0-9]+\] +[^ $]' tour.out)" -eq 49 ]
}

@test "a lesson, or a step, starts there; earlier steps of its lesson are run first in a new sandbox" {
	run -0 evtour --no-pause cqrs
	refute_output --partial '[42]'
	assert_output --partial '== cqrs:'
	refute_output --partial '== sourcing:'
	assert_output --partial '{"balance":150}'
	evtour --no-pause --step 11 >tour.out
	run -0 grep -m1 '^\[[0-9]*\]' tour.out
	assert_output '[11] A user leaves: the event goes into the stream, and the replica,'
	grep -q '(its steps 9 to 10 run first, again, quietly)' tour.out
	# The replica made by steps 9 and 10, run quietly, is there.
	run stepout 11
	assert_output '{"user/42":{"email":"ada@example.com","name":"Ada"}}'
	# And it goes on with the lessons after.
	grep -q '^== cqrs:' tour.out
}

@test "--step in a new --dir, or a used one, runs the lesson's earlier steps first (issue 28: users.ndjson missing, no such topic, sender unbound)" {
	for n in 10 23 37; do
		run -0 evtour --no-pause --dir "new$n" --step "$n"
		refute_output --partial 'No such file'
		refute_output --partial 'no such topic'
		refute_output --partial 'unbound variable'
		refute_output --partial '(exit status'
		case $n in
		10) assert_line '{"user/42":{"email":"ada@example.com","name":"Ada"},"user/43":{"name":"Grace"}}' ;;
		23) assert_output --regexp ' order.placed order/1 \{"total":150\}' ;;
		37) assert_line 'sender: delivered' ;;
		esac
	done
	# Used again: the same.
	run -0 evtour --no-pause --dir new37 --step 37
	assert_line 'sender: delivered'
	run -0 leftovers "$PWD"
	assert_output ''
}

@test "--check: an exercise not done says what is missing; done, it says so" {
	evtour --no-pause --dir sb durable >/dev/null 2>&1
	run -1 evtour --check durable --dir sb
	assert_line '  [x] topic orders has orders over 100'
	assert_line '  [ ] a durable consumer named billing on topic orders'
	assert_line 'not done yet.  To start the exercise over:'
	assert_line "  evtour --exercise durable --dir $PWD/sb"
	# As the student goes on by hand, in the lesson's folder.
	cd sb/durable
	export EVENTFUL_HOME=$BATS_TEST_TMPDIR/sb/home
	# The common mistake: the filter unquoted.
	evsub -T orders --consumer billing --once data.total>100 \
	    --exec sh -c 'jq -r .subject >> billed.txt'
	run -1 evtour --check durable --dir ../
	assert_line '  [ ] no file named 100 here'
	evsub -T orders --consumer billing --reset 1
	rm 100 billed.txt
	evsub -T orders --consumer billing --once 'data.total>100' \
	    --exec sh -c 'jq -r .subject >> billed.txt'
	echo order/2 >>billed.txt
	run -1 evtour --check durable --dir ..
	assert_line '  [x] billing has caught up (lag 0)'
	assert_line '  [ ] billed.txt holds the subjects of the orders over 100'
	sed -i '$d' billed.txt
	run -0 evtour --check durable --dir ..
	assert_line '  [x] billed.txt holds the subjects of the orders over 100'
	assert_line 'done.'
}

# sandsum DIR: what is in DIR, with the sums of its files, to see that a
# check changed nothing.
sandsum() {
	(cd "$1" && find . -printf '%p %s %m\n' | sort && find . -type f -exec md5sum {} + | sort)
}

@test "--check changes nothing, and makes no directory" {
	run -1 evtour --check durable --dir nosuch
	assert_output --partial 'nosuch: no sandbox there'
	[ ! -e nosuch ]
	mkdir empty
	run -1 evtour --check cqrs --dir empty
	assert_output --partial 'not there; run the lesson first: evtour --exercise cqrs'
	run -0 find empty
	assert_output 'empty'
	evtour --dir sb --exercise cqrs >/dev/null
	before=$(sandsum sb)
	run -1 evtour --check cqrs --dir sb
	[ "$(sandsum sb)" = "$before" ] || { echo "--check changed the sandbox"; return 1; }
}

@test "--exercise runs the lesson again, quietly, and shows the exercise: a start over" {
	run -0 evtour --dir sb --exercise recovery
	assert_line --index 0 --partial 'Exercise: The accountants want the totals in cents'
	refute_output --partial '[27]'
	assert_line "  cd $PWD/sb/recovery && export EVENTFUL_HOME=$PWD/sb/home PATH=$BIN:\$PATH"
	assert_line "  evtour --check recovery --dir $PWD/sb"
	[ "$(cat sb/recovery/invoices.txt)" = "$(printf 'order/1 150\norder/2 0\norder/3 40')" ]
	echo mess >sb/recovery/invoices.txt
	run -0 evtour --dir sb --exercise recovery
	[ "$(cat sb/recovery/invoices.txt)" = "$(printf 'order/1 150\norder/2 0\norder/3 40')" ]
	run -0 leftovers "$PWD/sb"
	assert_output ''
	run -2 evtour --dir sb --exercise contrast
	assert_output --partial 'contrast: this lesson has no exercise'
}

# --- The exercises, each with a wrong answer and a right one -----------

# exercise LESSON: the lesson run again, quietly, in sb, and the shell
# set as the exercise says, in its folder.
exercise() {
	evtour --dir sb --exercise "$1" >/dev/null || return 1
	cd "sb/$1" || return 1
	export EVENTFUL_HOME=$BATS_TEST_TMPDIR/sb/home
}

@test "exercise notification: thin or fat events, as each consumer needs" {
	exercise notification
	run -1 evtour --check notification --dir ..
	assert_line "  [ ] mailer.ndjson, in $PWD"
	# Wrong: both thin; the mailer has no email.
	evsub 'type=user.created' --thin <users.ndjson >mailer.ndjson
	evsub 'type=user.created' --thin <users.ndjson >audit.ndjson
	run -1 evtour --check notification --dir ..
	assert_line '  [ ] the mailer can mail each new user'
	# Wrong: both fat; the audit log holds personal data.
	evsub 'type=user.created' <users.ndjson >mailer.ndjson
	evsub 'type=user.created' <users.ndjson >audit.ndjson
	run -1 evtour --check notification --dir ..
	assert_line '  [ ] the audit log holds no personal data'
	# Wrong: every event, not those of user.created.
	evsub --thin <users.ndjson >audit.ndjson
	run -1 evtour --check notification --dir ..
	assert_line '  [ ] audit.ndjson has the user.created events of users.ndjson, and no other'
	evsub 'type=user.created' --thin <users.ndjson >audit.ndjson
	run -0 evtour --check notification --dir ..
	assert_line '  [x] the audit log holds no personal data (thin events)'
	assert_line 'done.'
}

@test "exercise recovery: the invoices rebuilt by the consumer rewound with --reset" {
	exercise recovery
	run -1 evtour --check recovery --dir ..
	assert_line '  [ ] invoices.txt has each order once, in cents'
	cents='t=$(jq ".data.total // 0 | . * 100"); echo "$CE_SUBJECT $t" >> invoices.txt'
	# Wrong: run again without a rewind: nothing is left to take.
	rm invoices.txt
	evsub -T shop --consumer invoicing --once --exec sh -c "$cents"
	run -1 evtour --check recovery --dir ..
	assert_line '      invoicing is at the end of the topic: rewind it first'
	# Wrong: rewound, but the old invoices kept.
	echo 'order/1 15000' >invoices.txt
	evsub -T shop --consumer invoicing --reset 1
	evsub -T shop --consumer invoicing --once --exec sh -c "$cents"
	run -1 evtour --check recovery --dir ..
	assert_line '      some orders are there twice: empty invoices.txt before the run'
	rm invoices.txt
	evsub -T shop --consumer invoicing --reset 1
	evsub -T shop --consumer invoicing --once --exec sh -c "$cents"
	run -0 evtour --check recovery --dir ..
	assert_line '  [x] invoices.txt has each order once, in cents'
}

@test "exercise webhooks: a forged webhook refused, the same event rightly signed taken" {
	exercise webhooks
	run -1 evtour --check webhooks --dir ..
	assert_line "  [ ] forge.log, the log of your receiver, in $PWD"
	# receive: a receiver of the student's, its URL in url.
	receive() {
		evpub --listen 127.0.0.1:0 --secret-file whsec.txt -o taken.ndjson 2>forge.log &
		receiver=$!
		for i in $(seq 100); do grep -q listening forge.log && break; sleep 0.1; done
		url=http://$(sed -n 's/.*listening on //p' forge.log)/
	}
	receive
	evpub -t order.refunded -S order/1 amount:=150 >../refund.json
	# Wrong: sent rightly signed only; nothing was forged.
	evsub --post "$url" --secret-file whsec.txt <../refund.json
	run -1 evtour --check webhooks --dir ..
	assert_line '  [ ] your receiver refused a forged signature'
	kill "$receiver"
	exited "$receiver" 0 143
	# Started over; now forged, then rightly signed.
	evtour --dir .. --exercise webhooks >/dev/null
	cd "$BATS_TEST_TMPDIR/sb/webhooks"
	receive
	(umask 077; echo whsec_Zm9yZ2VkIHNlY3JldA== >forger.txt)
	run -1 evsub --post "$url" --secret-file forger.txt <../refund.json
	assert_output --partial '401'
	run -1 evtour --check webhooks --dir ..
	assert_line '  [x] your receiver refused a forged signature (401)'
	assert_line '  [ ] the order.refunded event, rightly signed, in taken.ndjson'
	evsub --post "$url" --secret-file whsec.txt <../refund.json
	kill "$receiver"
	exited "$receiver" 0 143
	run -0 evtour --check webhooks --dir ..
	assert_line 'done.'
}

@test "exercise sourcing: an --expect race lost, the version read again, the write retried once" {
	exercise sourcing
	run -1 evtour --check sourcing --dir ..
	assert_line '  [ ] the withdrawal of 60 is in the ledger'
	# Wrong: the same stale version again.
	run -4 sh -c 'evpub -t account.withdrawn -S account/7 amount:=60 | evlog append --expect 4 ledger.log'
	run -1 evtour --check sourcing --dir ..
	assert_line '  [ ] the withdrawal of 60 is in the ledger'
	v=$(evlog cat ledger.log | evsub subject=account/7 | wc -l)
	[ "$v" -eq 5 ]
	evpub -t account.withdrawn -S account/7 amount:=60 | evlog append --expect "$v" ledger.log >/dev/null
	run -0 evtour --check sourcing --dir ..
	assert_line '  [x] it is the last event of account/7, version 6'
	# Wrong: appended twice, without --expect the second time.
	evpub -t account.withdrawn -S account/7 amount:=60 | evlog append ledger.log >/dev/null
	run -1 evtour --check sourcing --dir ..
	assert_line '  [ ] the withdrawal of 60 is in the ledger once, not 2 times'
}

@test "exercise cqrs: a second read model from the same log, by a consumer of its own" {
	exercise cqrs
	# Wrong: the balances' consumer used, rewound: it is taken from them.
	evsub -T bank --consumer balances --reset 1
	evsub -T bank --consumer balances --once |
	    evproject --state deposits.json --emit none -r 'account.deposited=count:deposits'
	run -1 evtour --check cqrs --dir ..
	assert_line '  [ ] a durable consumer named deposits on topic bank'
	# Started over: the folder is made anew, the shell goes there again.
	evtour --dir .. --exercise cqrs >/dev/null
	cd "$BATS_TEST_TMPDIR/sb/cqrs"
	evsub -T bank --consumer deposits --once |
	    evproject --state deposits.json --emit none -r 'account.deposited=count:deposits'
	run -0 evtour --check cqrs --dir ..
	assert_line '  [x] deposits.json says account/7 had 2 deposits'
	assert_line '  [x] the balances are as the lesson left them'
}

# solution LESSON: the solution eventful-class(7) gives for the exercise
# of LESSON: the literal block after "Solution:" in its section.
solution() {
	awk -v l="$1" '
	    /^\.S[sh] / { sec = $2; sol = 0; next }
	    sec == l && /Solution:/ { sol = 1; next }
	    sol == 1 && /^\.Bd -literal/ { sol = 2; next }
	    sol == 2 && /^\.Ed/ { exit }
	    sol == 2 { gsub(/\\e/, "\\"); print }' "$ROOT/man/man7/eventful-class.7"
}

@test "eventful-class(7): the solution of each exercise, run as the page shows it, passes its check" {
	evtour --teacher room >/dev/null
	for s in ada bob; do
		STUDENT=$s evtour --no-pause --dir "$s" --shared room room >/dev/null
	done
	for l in notification durable recovery webhooks sourcing cqrs room; do
		run -0 solution "$l"
		[ -n "$output" ] || { echo "no solution for $l"; return 1; }
		STUDENT=cy evtour --dir sb --shared room --exercise "$l" >/dev/null
		STUDENT=cy run -1 evtour --check "$l" --dir sb --shared room
		(
			cd "sb/$l" || exit 1
			export EVENTFUL_HOME=$BATS_TEST_TMPDIR/sb/home ME=cy
			[ "$l" != room ] || EVENTFUL_HOME=$BATS_TEST_TMPDIR/room
			solution "$l" >solution.sh
			bash -e solution.sh >/dev/null 2>&1 3>&-
		) || { echo "the solution of $l failed:"; solution "$l"; return 1; }
		STUDENT=cy run -0 evtour --check "$l" --dir sb --shared room
		assert_line 'done.'
	done
	run -0 leftovers "$PWD/sb"
	assert_output ''
}

@test "usage: mistakes are refused with what to do instead" {
	run -2 evtour nosuch
	assert_output --partial 'nosuch: no such lesson; the lessons: contrast notification state pubsub durable recovery webhooks sourcing cqrs room'
	assert_output --partial 'try evtour --help'
	run -2 evtour --step x
	assert_output --partial '--step x: not a step number'
	run -2 evtour --step 99
	assert_output --partial '--step 99: the tour has 54 steps'
	run -2 evtour --check durable
	assert_output --partial '--check needs the sandbox: --dir DIR'
	run -2 evtour --check contrast --dir .
	assert_output --partial 'contrast: this lesson has no exercise'
	run -2 evtour --bogus
	assert_output --partial '--bogus: unknown option'
	run -2 evtour --list cqrs
	run -2 evtour --check cqrs --exercise cqrs --dir .
	assert_output --partial 'one of --check, --class, --exercise and --list at a time'
	run -2 evtour --teacher x --step 3
	run -2 evtour --group g
	assert_output --partial '--group goes with --teacher'
	run -2 evtour --no-pause room
	assert_output --partial 'room needs the teacher'\''s room: --shared DIR'
	run -1 evtour --shared nosuch room
	assert_output --partial 'nosuch: no room there; the teacher opens it: evtour --teacher nosuch'
	run -1 evtour --teacher-stop .
	assert_output --partial 'no room of evtour --teacher there; nothing is deleted'
	run -0 evtour --help
	assert_line --index 0 'usage: evtour [--class] [--no-pause] [--color when] [--dir dir]'
}

@test "evtour(1): the synopsis is the usage; every option of --help is in the page" {
	run -0 synopsis_is_usage evtour
	for o in $(evtour --help | grep -o -- '--[a-z-]*' | sort -u); do
		grep -q -- "^\.It Fl ${o#-}" "$ROOT/man/man1/evtour.1" ||
		    grep -q -- "^\.It Fl ${o#-} " "$ROOT/man/man1/evtour.1" ||
		    grep -q -- "^\.It Fl h , Fl ${o#-}$" "$ROOT/man/man1/evtour.1" ||
		    { echo "$o is not in evtour(1)"; return 1; }
	done
}

# --- As a person meets it: in tmux ----------------------------------
#
# A private tmux server each test, a wide pane (lines do not wrap), and
# the pane read until it shows what is asked for: bounded loops on
# capture-pane, never a fixed sleep.

# tstart CMD: a session whose pane runs CMD, with the programs on PATH.
tstart() {
	TSOCK="evtour$$"
	tmux -L "$TSOCK" -f /dev/null new-session -d -s t -x 200 -y 50 \
	    "cd $PWD && PATH=$BIN:\$PATH EVENTFUL_HOME=$EVENTFUL_HOME $*; echo EXITED \$?; sleep 60"
}

# tshell: a session whose pane is a plain shell, as a student's: the
# programs NOT on PATH, no EVENTFUL_HOME.
tshell() {
	TSOCK="evtour$$"
	tmux -L "$TSOCK" -f /dev/null new-session -d -s t -x 250 -y 50 \
	    "cd $PWD && env -u EVENTFUL_HOME -u TMUX_TMPDIR PATH=$(tr ':' '\n' <<<"$PATH" | grep -vxF "$BIN" | paste -sd:) PS1='$ ' bash --norc --noprofile"
}

# ttype TEXT: TEXT typed into the pane, then Enter.
ttype() {
	tmux -L "$TSOCK" send-keys -t t:0 -l "$1"
	tmux -L "$TSOCK" send-keys -t t:0 Enter
}

# pane: what the pane shows, its history too; with MARK set, from the
# line MARK on (what came before a clear stays in the history).
pane() {
	if [ -n "${MARK:-}" ]; then
		tmux -L "$TSOCK" capture-pane -p -J -t t:0 -S -1000 | sed -n "/^$MARK\$/,\$p"
	else
		tmux -L "$TSOCK" capture-pane -p -J -t t:0 -S -1000
	fi
}

# waitpane TEXT [N]: the pane shows TEXT (N times) within 20 s.
waitpane() {
	local i
	for i in $(seq 200); do
		[ "$(pane | grep -cF -- "$1")" -ge "${2:-1}" ] && return 0
		sleep 0.1
	done
	echo "the pane never showed: $1"
	pane
	return 1
}

# leftovers DIR: the processes that run in DIR or with an EVENTFUL_HOME
# in it: what a tour in the sandbox DIR started.
leftovers() {
	local f p
	for f in $({ grep -lzs "^EVENTFUL_HOME=$1/" /proc/[0-9]*/environ
	    find /proc/[0-9]*/cwd -maxdepth 0 -lname "$1/*"; } 2>/dev/null | sort -u); do
		p=${f#/proc/}
		p=${p%%/*}
		[ "$p" != $$ ] || continue
		# bats's own watch of BATS_TEST_TIMEOUT sleeps in the test's
		# folder: not the tour's.
		[ "$(ps -o args= -p "$p")" != "sleep ${BATS_TEST_TIMEOUT:-}" ] ||
		    continue
		ps -o pid=,args= -p "$p"
	done
	return 0
}

@test "on a terminal: each step shows its command and waits; q quits at once and says how to go on" {
	tstart evtour --dir "$PWD/sb"
	waitpane '[Enter: run it, q: quit]'
	run -0 pane
	assert_output --partial "[1] RESTful: a client asks for the state"
	assert_output --partial "\$ echo '{\"order\":17,\"status\":\"placed\"}' > order17.json; cat order17.json"
	# The line to set a shell for the sandbox, and to watch it.
	assert_output --partial "  cd $PWD/sb && export EVENTFUL_HOME=$PWD/sb/home PATH=$BIN:\$PATH"
	assert_output --partial "  EVENTFUL_HOME=$PWD/sb/home PATH=$BIN:\$PATH evsub --topics --watch"
	# Another key than Enter or q does nothing.
	tmux -L "$TSOCK" send-keys -t t n
	tmux -L "$TSOCK" send-keys -t t -l x
	run -0 pane
	refute_output --partial 'EXITED'
	[ ! -e sb/contrast/order17.json ]
	tmux -L "$TSOCK" send-keys -t t Enter
	waitpane '[2] The state changes.'
	run -0 pane
	assert_line '{"order":17,"status":"placed"}'
	[ -f sb/contrast/order17.json ]
	# q, with no Enter.
	tmux -L "$TSOCK" send-keys -t t q
	waitpane 'EXITED 0'
	run -0 pane
	assert_output --partial "The sandbox stays: $PWD/sb"
	assert_output --partial "evtour --dir $PWD/sb --step 2"
}

@test "Ctrl-C at a pause quits as q does: the sender and the receiver stopped, no secret on any command line" {
	tstart evtour --dir "$PWD/sb" --step 37
	waitpane '[37] The receiver comes back'
	waitpane '[Enter: run it, q: quit]'
	# The sender of step 36 retries in the background, its secret in a file.
	run -0 leftovers "$PWD/sb"
	assert_output --partial 'evsub --post http://127.0.0.1:'
	refute_output --partial whsec_
	tmux -L "$TSOCK" send-keys -t t C-c
	waitpane 'EXITED 130'
	run -0 pane
	assert_output --partial "The sandbox stays: $PWD/sb"
	assert_output --partial "  cd $PWD/sb/webhooks && export EVENTFUL_HOME=$PWD/sb/home PATH=$BIN:\$PATH"
	assert_output --partial "evtour --dir $PWD/sb --step 37"
	run -0 leftovers "$PWD/sb"
	assert_output ''
}

@test "Ctrl-C while a step runs quits too, and stops what runs" {
	tstart evtour --dir "$PWD/sb" --step 36
	waitpane '[Enter: run it, q: quit]'
	tmux -L "$TSOCK" send-keys -t t Enter
	# The step's sleep 1 runs once the sender has made its log.
	for i in $(seq 200); do
		[ -e sb/webhooks/sender.log ] && break
		sleep 0.02
	done
	tmux -L "$TSOCK" send-keys -t t C-c
	waitpane 'EXITED 130'
	run -0 pane
	assert_output --partial "evtour --dir $PWD/sb --step 36"
	run -0 leftovers "$PWD/sb"
	assert_output ''
}

@test "inside tmux: the live subscribers of publish-subscribe listen in panes; Ctrl-C closes them" {
	tstart evtour --dir "$PWD/sb" pubsub
	waitpane '[13] Publish-subscribe'
	tmux -L "$TSOCK" send-keys -t t Enter
	waitpane '[14] A live subscriber, alice'
	tmux -L "$TSOCK" send-keys -t t Enter
	waitpane '(in a pane below)'
	[ "$(tmux -L "$TSOCK" list-panes -t t | wc -l)" -eq 2 ]
	tmux -L "$TSOCK" send-keys -t t Enter
	waitpane '[16] Topics are directories'
	[ "$(tmux -L "$TSOCK" list-panes -t t | wc -l)" -eq 3 ]
	for i in 16 17 18; do
		tmux -L "$TSOCK" send-keys -t t Enter
		waitpane "[$((i + 1))] "
	done
	# alice's pane shows both messages, as they come.
	alice=$(tmux -L "$TSOCK" list-panes -t t -F '#{pane_id} #{pane_start_command}' | awk '/alice/ { print $1 }')
	for i in $(seq 100); do
		tmux -L "$TSOCK" capture-pane -p -t "$alice" | grep -q 'urgent: coffee is out' && break
		sleep 0.1
	done
	run -0 tmux -L "$TSOCK" capture-pane -p -t "$alice"
	assert_output --partial 'alice: evsub -T chat --name alice --pretty'
	assert_output --partial '{"text":"hello, all"}'
	assert_output --partial '{"text":"urgent: coffee is out"}'
	waitpane "# see alice's pane"
	run -0 leftovers "$PWD/sb"
	assert_output --partial 'evsub -T chat --name alice'
	tmux -L "$TSOCK" send-keys -t t C-c
	waitpane 'EXITED 130'
	[ "$(tmux -L "$TSOCK" list-panes -t t | wc -l)" -eq 1 ]
	run -0 leftovers "$PWD/sb"
	assert_output ''
}

@test "inside tmux: started at a later step, a subscriber run again quietly is shown from its file, the others in their panes" {
	tstart evtour --dir "$PWD/sb" --step 15
	waitpane '[15] A second one, bob'
	for i in 15 16 17 18; do
		tmux -L "$TSOCK" send-keys -t t Enter
		waitpane "[$((i + 1))] "
	done
	waitpane '$ cat alice.out'
	tmux -L "$TSOCK" send-keys -t t Enter
	waitpane "# see bob's pane"
	run -0 pane
	assert_output --partial '{"text":"hello, all"}'
	tmux -L "$TSOCK" send-keys -t t q
	waitpane 'EXITED 0'
	run -0 leftovers "$PWD/sb"
	assert_output ''
}

# resumes FIRST LAST [OPTION...]: as a student does, in a shell without
# the programs on PATH: the tour started at step FIRST, the step run,
# q at the next pause, and the resume line it printed pasted as it is;
# so on, to step LAST.  Each step is shown with its command, runs
# without an error, and after each quit nothing the tour started runs.
resumes() {
	local n first=$1 last=$2 line out
	shift 2
	tshell
	line="$BIN/evtour --dir $PWD/sb $* --step $first"
	for ((n = first; n <= last; n++)); do
		MARK=
		tmux -L "$TSOCK" clear-history -t t
		ttype "clear; echo RUN-\$((1000 + $n)); $line; echo EXITED \$?"
		waitpane "RUN-$((1000 + n))" || return 1
		MARK=RUN-$((1000 + n))
		waitpane "[$n] " || return 1
		waitpane '[Enter: ' || return 1
		tmux -L "$TSOCK" send-keys -t t Enter
		waitpane '[Enter: ' 2 || return 1
		out=$(pane)
		for bad in 'unbound variable' 'No such file' 'no such topic' '(exit status' 'command not found'; do
			if grep -qF -- "$bad" <<<"$out"; then
				echo "step $n: $bad"
				echo "$out"
				return 1
			fi
		done
		tmux -L "$TSOCK" send-keys -t t q
		waitpane 'EXITED 0' || return 1
		[ -z "$(leftovers "$PWD/sb")" ] ||
		    { echo "after step $n, left running:"; leftovers "$PWD/sb"; return 1; }
		[ "$n" -lt 54 ] || break
		line=$(pane | grep -A1 "^or with the tour, from step $((n + 1)):\$" | sed -n '2s/^  //p')
		[ -n "$line" ] || { echo "step $n: no resume line for step $((n + 1))"; pane; return 1; }
		case $line in
		"PATH=$BIN:\$PATH evtour --dir $PWD/sb "*) ;;
		*) echo "step $n: the resume line does not carry PATH and --dir: $line"; return 1 ;;
		esac
	done
}

@test "every step is a resume point: contrast, notification, state" {
	resumes 1 12
}

@test "every step is a resume point: publish-subscribe, in tmux panes" {
	resumes 13 20
}

@test "every step is a resume point: durable consumers, failures" {
	resumes 21 30
}

@test "every step is a resume point: webhooks" {
	resumes 31 38
}

@test "every step is a resume point: event sourcing, CQRS" {
	resumes 39 49
}

@test "every step is a resume point: the room" {
	evtour --teacher room >/dev/null
	resumes 50 54 --shared "$PWD/room"
}

# --- A seat in a class ------------------------------------------------

# seat: the panes of the window evtour of the tmux server of $1 (a -L
# name, or nothing: TMUX_TMPDIR's default), by what they run.
seat() {
	tmux ${1:+-L "$1"} list-panes -a -F '#{window_name} #{pane_id} #{pane_start_command}' |
	    awk '$1 == "evtour"'
}

# seatcheck SOCK: the three panes run the tour, the watch of the sandbox
# and a shell set for it, where a command the tour prints runs as is.
seatcheck() {
	local tour watch shell i
	for i in $(seq 100); do
		[ "$(seat "$1" | wc -l)" -eq 3 ] && break
		sleep 0.1
	done
	run -0 seat "$1"
	[ "${#lines[@]}" -eq 3 ] || { echo "not three panes:"; echo "$output"; return 1; }
	tour=$(seat "$1" | awk '/--dir/ { print $2 }')
	watch=$(seat "$1" | awk '/--watch/ { print $2 }')
	shell=$(seat "$1" | awk '/rcfile/ { print $2 }')
	[ -n "$tour" ] && [ -n "$watch" ] && [ -n "$shell" ] ||
	    { echo "tour $tour, watch $watch, shell $shell"; return 1; }
	t() { tmux ${1:+-L "$1"} "${@:2}"; }
	for i in $(seq 200); do
		t "$1" capture-pane -p -t "$tour" | grep -qF '[Enter: run it' && break
		sleep 0.1
	done
	# The tour to the exercise of notification.
	t "$1" send-keys -t "$tour" -l "q"
	for i in $(seq 200); do
		t "$1" capture-pane -p -J -t "$tour" | grep -qF 'Enter closes this pane' && break
		sleep 0.1
	done
	# In the shell: a command printed by the tour, pasted as it is.
	cmd=$(t "$1" capture-pane -p -J -t "$tour" | grep -A1 '^or with the tour' | sed -n '2s/^  //p')
	[ -n "$cmd" ] || { t "$1" capture-pane -p -J -t "$tour"; return 1; }
	t "$1" send-keys -t "$shell" -l "echo HOME=\$EVENTFUL_HOME; ${cmd/--step 1/--no-pause --step 13} >/dev/null; echo DONE \$?"
	t "$1" send-keys -t "$shell" Enter
	for i in $(seq 300); do
		t "$1" capture-pane -p -J -t "$shell" | grep -q '^DONE' && break
		sleep 0.1
	done
	run -0 t "$1" capture-pane -p -J -t "$shell"
	assert_line "HOME=$PWD/sb/home"
	assert_line 'DONE 0'
	# The watch shows the sandbox's topics, made from the shell.
	for i in $(seq 100); do
		t "$1" capture-pane -p -J -t "$watch" | grep -q 'orders' && break
		sleep 0.1
	done
	run -0 t "$1" capture-pane -p -J -t "$watch"
	assert_output --partial "in $PWD/sb/home/topics"
	assert_output --partial 'shipping'
}

@test "--class inside tmux: a window of three panes: the tour, the watch of its sandbox, a shell set for it" {
	tshell
	ttype "$BIN/evtour --class --dir $PWD/sb; echo EXITED \$?"
	waitpane 'EXITED 0'
	run -0 pane
	assert_output --partial 'The class seat is in window'
	seatcheck "$TSOCK"
	tmux -L "$TSOCK" kill-server
	for i in $(seq 50); do
		[ -z "$(leftovers "$PWD/sb")" ] && break
		sleep 0.1
	done
	run -0 leftovers "$PWD/sb"
	assert_output ''
}

@test "--class outside tmux: a session of its own, attached" {
	export TMUX_TMPDIR=$BATS_TEST_TMPDIR/tmux
	mkdir -p "$TMUX_TMPDIR"
	# A student's tmux.conf may number windows and panes from 1.
	printf 'set -g base-index 1\nsetw -g pane-base-index 1\n' >"$HOME/.tmux.conf"
	# A terminal outside tmux: a pane of another server, with TMUX unset.
	TSOCK="evtour$$"
	tmux -L "$TSOCK" -f /dev/null new-session -d -s t -x 200 -y 50 \
	    "cd $PWD && env -u TMUX -u TMUX_PANE TMUX_TMPDIR=$TMUX_TMPDIR $BIN/evtour --class --dir $PWD/sb; echo EXITED \$?; sleep 60"
	seatcheck ''
	run -0 tmux list-sessions -F '#{session_name}'
	assert_output 'evtour-sb'
	# Again: the seat is there already.
	run -0 evtour --class --dir sb
	assert_output "The class seat of $PWD/sb is open already: tmux attach -t evtour-sb"
	tmux kill-server
	for i in $(seq 50); do
		[ -z "$(leftovers "$PWD/sb")" ] && break
		sleep 0.1
	done
	run -0 leftovers "$PWD/sb"
	assert_output ''
}

# --- The room: one topic for the class --------------------------------

@test "the room: a teacher's shared home, students in sandboxes of their own see each other's events" {
	run -0 evtour --teacher room --group "$(id -gn)"
	assert_line "The room is open in $PWD/room (group $(id -gn))."
	assert_line "  EVENTFUL_HOME=$PWD/room $BIN/evsub --topics --watch"
	assert_line "  EVENTFUL_HOME=$PWD/room $BIN/evsub -T room --serve 127.0.0.1:8080"
	# The browser's projector, as printed (on a free port here): its page,
	# and the room's topics.
	port=$(freeports 1)
	EVENTFUL_HOME=$PWD/room bg evsub -T room --serve "127.0.0.1:$port"
	for i in $(seq 200); do
		curl -sf "http://127.0.0.1:$port/" >page.html && break
		sleep 0.05
	done
	grep -qi '<html' page.html
	# /topics is surveyed once a second while it is asked for.
	for i in $(seq 100); do
		curl -sf "http://127.0.0.1:$port/topics" >topics.json
		grep -q '"topic":"room"' topics.json && break
		sleep 0.1
	done
	run -0 cat topics.json
	assert_output --partial '"topic":"room"'
	kill "$LAST"
	exited "$LAST" 0 143
	run -1 evtour --teacher room2 --group no-such-group-here
	assert_output 'evtour: no-such-group-here: no such group; nothing is made'
	[ ! -e room2 ]
	[ -d room/topics/room ]
	[ "$(stat -c %A room/topics)" = drwxrws--- ]
	for s in ada bob cy; do
		STUDENT=$s run -0 evtour --no-pause --dir "$s" --shared room room
		assert_output --partial "$s, in $PWD/room"
	done
	# cy's consumer took what ada and bob said.
	assert_output --partial '{"text":"hello from ada"}'
	assert_output --partial '{"text":"hello from bob"}'
	run -0 env EVENTFUL_HOME="$PWD/room" evsub --topics
	assert_line "$(printf 'room\tevents 4\tsubscribers 0')"
	assert_line "$(printf 'room\tconsumer ada\tposition 2\tlag 2')"
	assert_line "$(printf 'room\tconsumer cy\tposition 4\tlag 0')"
	# The exercise: wrong (nobody answered), then right.
	STUDENT=ada run -1 evtour --check room --dir ada --shared room
	assert_line '  [ ] you answered somebody: a room.said of yours with data.to'
	EVENTFUL_HOME=$PWD/room evpub -T room -t room.said -S student/ada text=hi to=bob >/dev/null
	STUDENT=ada run -1 evtour --check room --dir ada --shared room
	assert_line '  [ ] you have read them all (lag 3)'
	EVENTFUL_HOME=$PWD/room run -0 evsub -T room --consumer ada --once --pretty
	assert_output --partial '{"text":"hello from cy"}'
	STUDENT=ada run -0 evtour --check room --dir ada --shared room
	assert_line '  [x] the room has messages from 2 others'
	# Each student's own sandbox home is not touched.
	[ ! -e ada/home/topics/room ]
	run -0 evtour --teacher-stop room
	assert_output "The room of $PWD/room is closed."
	[ ! -e room ]
	run -0 leftovers "$PWD"
	assert_output ''
}

@test "from an install: the tour runs the programs beside it; its resume line, pasted, and --class work" {
	make -s -C "$ROOT" -o all install DESTDIR="$BATS_TEST_TMPDIR/dest" \
	    PREFIX=/opt/ev BINDIR="$BIN" >/dev/null
	inst=$BATS_TEST_TMPDIR/dest/opt/ev/bin
	[ -x "$inst/evtour" ]
	tshell
	ttype "$inst/evtour --dir $PWD/sb --step 4; echo EXITED \$?"
	waitpane '[Enter: run it, q: quit]'
	tmux -L "$TSOCK" send-keys -t t q
	waitpane 'EXITED 0'
	line=$(pane | grep -A1 '^or with the tour, from step 4:$' | sed -n '2s/^  //p')
	assert_equal "$line" "PATH=$inst:\$PATH evtour --dir $PWD/sb --step 4"
	MARK=RUN-2
	ttype "clear; echo RUN-\$((1 + 1)); $line; echo EXITED \$?"
	waitpane '[4] Whoever cares is told'
	tmux -L "$TSOCK" send-keys -t t Enter
	waitpane ' order.paid order/17 {"amount":42}'
	tmux -L "$TSOCK" send-keys -t t q
	waitpane 'EXITED 0'
	MARK=
	# A seat, from the install: its shell finds the installed programs.
	ttype "$inst/evtour --class --dir $PWD/sb2; echo EXITED \$?"
	waitpane 'The class seat is in window'
	for i in $(seq 100); do
		[ "$(seat "$TSOCK" | wc -l)" -eq 3 ] && break
		sleep 0.1
	done
	shell=$(seat "$TSOCK" | awk '/rcfile/ { print $2 }')
	[ -n "$shell" ]
	tmux -L "$TSOCK" send-keys -t "$shell" -l 'echo "EVPUB=$(command -v evpub)"'
	tmux -L "$TSOCK" send-keys -t "$shell" Enter
	for i in $(seq 100); do
		tmux -L "$TSOCK" capture-pane -p -J -t "$shell" | grep -q '^EVPUB=' && break
		sleep 0.1
	done
	run -0 tmux -L "$TSOCK" capture-pane -p -J -t "$shell"
	assert_line "EVPUB=$inst/evpub"
}

@test "a step that waits for a log written by a job it started waits quietly while the log is not there yet" {
	# Step 32 raced its own receiver: 'grep: receiver.log: No such file
	# or directory' on the student's screen when grep ran before the
	# job's shell made the file (make check, CI).  The wait, as the
	# tour and eventful-class(7) write it, run before the file exists:
	for src in "$ROOT/src/evtour" "$ROOT/man/man7/eventful-class.7"; do
		run -0 grep -c 'until grep ' "$src"
		while IFS= read -r wait; do
			rm -f receiver.log forge.log sender.log
			(sleep 0.3; echo "evpub: listening on 127.0.0.1:1" >receiver.log; cp receiver.log forge.log
			 echo "evsub: failed: refused; try 3 of 11 in 200 ms" >sender.log) &
			writer=$!
			run -0 --separate-stderr timeout 10 sh -c "$wait"
			assert_equal "$stderr" ''
			# This writer only: a bare wait also waits for what the
			# file's setup left running (CI: timed out after 300 s).
			wait "$writer"
		done < <(grep -o "until grep [^;]*; do sleep 0.1; done" "$src")
	done
}

@test "the projector: --teacher --serve serves the room's page until --teacher-stop; --class --shared --serve opens it in a pane of the seat" {
	run -0 evtour --teacher room --serve 127.0.0.1:0
	assert_line --regexp '^The projector serves the room at http://127\.0\.0\.1:[0-9]+/ \(pid [0-9]+; --teacher-stop stops it\)\.$'
	url=$(sed -n 's/.*serves the room at \([^ ]*\) .*/\1/p' <<<"$output")
	pid=$(cat room/.evtour-serve.pid)
	run -0 curl -sf "$url"
	assert_output --partial '<html'
	# The room's topic and a student's message reach it.
	EVENTFUL_HOME=$PWD/room evpub -T room -t room.said -S student/ada text=hi >/dev/null
	run -28 curl -s -m 1 "${url}events?from=1" -o stream
	grep -q '"text":"hi"' stream
	for i in $(seq 100); do
		curl -sf "${url}topics" >topics.json
		grep -q '"topic":"room"' topics.json && break
		sleep 0.1
	done
	run -0 cat topics.json
	assert_output --partial '"topic":"room"'
	# A second projector of the same room is refused; the first goes on.
	run -1 evtour --teacher room --serve 127.0.0.1:0
	assert_output --partial 'its projector runs already'
	kill -0 "$pid"
	# Where there is no room, --serve has nothing to show.
	run -2 evtour --serve 127.0.0.1:0 --dir sb
	assert_output --partial '--serve shows the room: it goes with --teacher DIR, or with --class --shared DIR'
	run -2 evtour --teacher-stop room --serve 127.0.0.1:0
	# A seat with the projector in a pane of its own.
	port=$(freeports 1)
	tshell
	ttype "$BIN/evtour --class --dir $PWD/sb --shared $PWD/room --serve 127.0.0.1:$port; echo EXITED \$?"
	waitpane 'EXITED 0'
	for i in $(seq 100); do
		curl -sf "http://127.0.0.1:$port/" >page.html && break
		sleep 0.1
	done
	grep -qi '<html' page.html
	run -0 tmux -L "$TSOCK" list-panes -a -F '#{pane_current_command} #{pane_start_command}'
	# tmux shows a start command with its spaces escaped.
	assert_output --regexp "evsub.*-T.*room.*--serve.*127\.0\.0\.1:$port"
	tmux -L "$TSOCK" kill-server
	# --teacher-stop stops the teacher's projector, then closes the room.
	run -0 evtour --teacher-stop room
	assert_output "The room of $PWD/room is closed."
	run -1 kill -0 "$pid"
	[ ! -e room ]
}
