#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# evtour: the lessons straight through, each step's output checked; the
# pausing as a person meets it, in tmux; the exercise checked both ways.

load test_helper/common

teardown() {
	[ -z "${TSOCK:-}" ] || tmux -L "$TSOCK" kill-server 2>/dev/null || true
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

# The tour, straight through, once for the file: its output, each step's.
tour() {
	[ -s tour.out ] && return 0
	evtour --no-pause --dir sandbox >tour.out 2>&1
}

@test "the whole tour runs straight through when not on a terminal, and keeps its sandbox" {
	run -0 evtour --dir sandbox
	assert_line --index 0 --partial 'evtour: lessons in the EVENTful patterns; the sandbox is '
	refute_output --partial '[Enter'
	assert_output --partial "The end.  The sandbox stays: $PWD/sandbox"
	[ -f sandbox/sourcing/ledger.log ]
	# Every step is shown with its command, as typed.
	[ "$(grep -c '^\[[0-9]*\]' <<<"$output")" -eq "$(evtour --list | grep -c '^ *[0-9]')" ]
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
	run stepout 28
	assert_output --regexp '^evpub: listening on 127\.0\.0\.1:[0-9]+$'
	run stepout 31
	assert_output --regexp ' order.placed order/1 \{"total":150\}$'
	run stepout 32
	assert_line --index 0 --regexp 'failed: .*; try 2 of 11 in [0-9]+ ms$'
	assert_line --index 1 --regexp '; try 3 of 11 in [0-9]+ ms$'
	run stepout 33
	assert_line --index 0 'sender: delivered'
	assert_line --index 2 --regexp ' order.placed order/2 \{"total":80\}$'
	run stepout 34
	assert_output --partial 'after 3 tries'
	assert_output --partial 'the event is kept in dead.ndjson'
	assert_line 'status 1'
	assert_line --index 5 --regexp ' order.placed order/3 \{"total":99\}$'
	# Nothing the lesson started is left running.
	run pgrep -f "evpub --listen 127.0.0.1:.* --secret"
	refute_output --partial "$(sed -n 's/.*listening on //p' sandbox/webhooks/receiver.log | head -1)"
}

@test "the tour: event sourcing with a reversal and --expect losing a race; CQRS lagging, then caught up" {
	tour
	run stepout 35
	[ "${#lines[@]}" -eq 3 ]
	assert_line --index 1 --regexp ' account.deposited account/7 \{"amount":250\}$'
	run stepout 36
	assert_output --regexp ' account.deposited account/7 \{"amount":-250\}$'
	run stepout 37
	assert_output '{"account/7":{"balance":70}}'
	run stepout 38
	assert_line --index 0 'first writer: appended'
	assert_line --index 1 'evlog append: ledger.log: subject "account/7" has 5 events, not 4: nothing is appended'
	assert_line --index 2 'second writer: refused, status 4'
	run stepout 41
	assert_output '{"balance":100}'
	run stepout 42
	assert_line "$(printf 'bank\tconsumer balances\tposition 1\tlag 1')"
	run stepout 43
	assert_output '{"balance":100}'
	run stepout 45
	assert_output '{"balance":150}'
}

@test "--list: the lessons and their steps, numbered through" {
	run -0 evtour --list
	run -0 grep -c '^[a-z]* - ' <<<"$output"
	assert_output 8
	run -0 evtour --list
	for l in contrast notification state pubsub durable webhooks sourcing cqrs; do
		assert_line --regexp "^$l - "
	done
	assert_line '   14  evsub -T chat --name alice --pretty &'
	assert_line '       and an exercise (evtour --check durable)'
	# Numbered 1, 2, ... with no gap.
	n=$(grep -c '^ *[0-9]' <<<"$output")
	[ "$(grep '^ *[0-9]' <<<"$output" | awk '{ print $1 }' | tr '\n' ' ')" = "$(seq -s ' ' "$n") " ]
}

@test "a lesson, or a step, starts there; earlier steps of its lesson are run first in a new sandbox" {
	run -0 evtour --no-pause cqrs
	refute_output --partial '[38]'
	assert_output --partial '== cqrs:'
	refute_output --partial '== sourcing:'
	assert_output --partial '{"balance":150}'
	evtour --no-pause --step 11 >tour.out
	run -0 grep -m1 '^\[[0-9]*\]' tour.out
	assert_output '[11] A user leaves: the event goes into the stream, and the replica,'
	# The replica made by steps 9 and 10, run quietly, is there.
	run stepout 11
	assert_output '{"user/42":{"email":"ada@example.com","name":"Ada"}}'
	# And it goes on with the lessons after.
	grep -q '^== cqrs:' tour.out
}

@test "--check: an exercise not done says what is missing; done, it says so" {
	evtour --no-pause --dir sb durable >/dev/null 2>&1
	run -1 evtour --check durable --dir sb
	assert_line '  [x] topic orders has orders over 100'
	assert_line '  [ ] a durable consumer named billing on topic orders'
	assert_line 'not done yet.'
	# As the student goes on by hand, in the lesson's folder.
	cd sb/durable
	export EVENTFUL_HOME=$BATS_TEST_TMPDIR/sb/home
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

@test "usage: mistakes are refused with what to do instead" {
	run -2 evtour nosuch
	assert_output --partial 'nosuch: no such lesson; the lessons: contrast notification state pubsub durable webhooks sourcing cqrs'
	assert_output --partial 'try evtour --help'
	run -2 evtour --step x
	assert_output --partial '--step x: not a step number'
	run -2 evtour --step 99
	assert_output --partial '--step 99: the tour has 45 steps'
	run -2 evtour --check durable
	assert_output --partial '--check needs the sandbox: --dir DIR'
	run -2 evtour --check contrast --dir x
	assert_output --partial 'contrast: this lesson has no exercise'
	run -2 evtour --bogus
	assert_output --partial '--bogus: unknown option'
	run -2 evtour --list cqrs
	run -0 evtour --help
	assert_line --index 0 'usage: evtour [--no-pause] [--color when] [--dir dir] [--step n] [lesson]'
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

# tmux: a private server, a fixed size; capture the pane until it shows
# what is asked for (at most 10 s).
tstart() {
	TSOCK="evtour$$"
	tmux -L "$TSOCK" -f /dev/null new-session -d -s t -x 120 -y 40 \
	    "cd $PWD && PATH=$BIN:\$PATH EVENTFUL_HOME=$EVENTFUL_HOME $*; echo EXITED \$?; sleep 60"
}

pane() {
	tmux -L "$TSOCK" capture-pane -p -t t -S -200
}

# waitpane TEXT: the pane shows TEXT within 10 s.
waitpane() {
	local i
	for i in $(seq 100); do
		pane | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	echo "the pane never showed: $1"
	pane
	return 1
}

@test "on a terminal: each step shows its command and waits for Enter; q quits and says where the sandbox is" {
	tstart evtour --dir "$PWD/sb"
	waitpane '[Enter: run it, q: quit]'
	run -0 pane
	assert_output --partial "[1] RESTful: a client asks for the state"
	assert_output --partial "\$ echo '{\"order\":17,\"status\":\"placed\"}' > order17.json; cat order17.json"
	# Nothing has run yet.
	sleep 0.5
	run -0 pane
	refute_output --partial 'EXITED'
	[ ! -e sb/contrast/order17.json ]
	tmux -L "$TSOCK" send-keys -t t Enter
	waitpane '[2] The state changes.'
	run -0 pane
	assert_line '{"order":17,"status":"placed"}'
	[ -f sb/contrast/order17.json ]
	tmux -L "$TSOCK" send-keys -t t q Enter
	waitpane 'EXITED 0'
	run -0 pane
	assert_output --partial "The sandbox stays: $PWD/sb"
	assert_output --partial "evtour --dir $PWD/sb --step 2"
}

@test "inside tmux: the live subscribers of publish-subscribe listen in panes beside the lesson" {
	tstart evtour --dir "$PWD/sb" pubsub
	waitpane '[13] Publish-subscribe'
	tmux -L "$TSOCK" send-keys -t t Enter
	waitpane '[14] Two subscribers'
	tmux -L "$TSOCK" send-keys -t t Enter
	waitpane '(in a pane below)'
	[ "$(tmux -L "$TSOCK" list-panes -t t | wc -l)" -eq 2 ]
	tmux -L "$TSOCK" send-keys -t t Enter
	waitpane '[16] Topics are directories'
	[ "$(tmux -L "$TSOCK" list-panes -t t | wc -l)" -eq 3 ]
	for i in 15 16 17; do
		tmux -L "$TSOCK" send-keys -t t Enter
		sleep 0.3
	done
	# alice's pane shows both messages, as they come.
	alice=$(tmux -L "$TSOCK" list-panes -t t -F '#{pane_id} #{pane_start_command}' | awk '/alice/ { print $1 }')
	for i in $(seq 50); do
		tmux -L "$TSOCK" capture-pane -p -t "$alice" | grep -q 'urgent: coffee is out' && break
		sleep 0.1
	done
	run -0 tmux -L "$TSOCK" capture-pane -p -t "$alice"
	assert_output --partial 'alice: evsub -T chat --name alice --pretty'
	assert_output --partial '{"text":"hello, all"}'
	assert_output --partial '{"text":"urgent: coffee is out"}'
	# At the lesson's end its panes are closed.
	tmux -L "$TSOCK" send-keys -t t Enter
	sleep 0.2
	tmux -L "$TSOCK" send-keys -t t Enter
	waitpane '[21] A live subscriber sees what is published'
	[ "$(tmux -L "$TSOCK" list-panes -t t | wc -l)" -eq 1 ]
}

@test "--class serves a sandbox's topic to the class projector's page, and says where" {
	mkdir -p sb/home
	EVENTFUL_HOME=$PWD/sb/home evpub -q -T projector -t class.hello -S pupil/1
	evtour --class projector --dir sb >class.out 2>&1 &
	local pid=$! url i
	for i in $(seq 100); do grep -q 'http://' class.out && break; sleep 0.1; done
	url=$(grep -o 'http://[0-9.:]*/' class.out) || true
	[ -n "$url" ] || { cat class.out; kill "$pid"; return 1; }
	run -0 curl -s "$url"
	assert_output --partial 'new EventSource("events" + q)'
	run -28 curl -sN -m 1 "${url}events?from=1"
	assert_output --partial '"type":"class.hello"'
	kill "$pid"
	wait "$pid" || true
	run -2 evtour --class projector
	assert_output --partial '--class needs the sandbox: --dir DIR'
}
