#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Watching the flow of events: evsub -T --name names a live subscriber;
# evsub --topics --watch shows every topic again and again, as plain
# numbered blocks on a pipe and as a view redrawn in place on a terminal
# (driven here in tmux, as a person meets it).

load test_helper/common

T="$EVENTFUL_HOME/topics"
# A tmux server of our own: tests never share one, nor touch the user's.
# A new one for each terminal: a session started while an old server is
# still exiting may join it and be hung up with it.
SOCKBASE="evw$$-${BATS_TEST_NUMBER:-0}"
SOCK="$SOCKBASE-0"

teardown() {
	# Nothing a test started may outlive it.
	local n
	for n in $(seq 0 "${TERMS-0}"); do
		tmux -L "$SOCKBASE-$n" kill-server 2>/dev/null || true  # honest: cleanup; it may have ended
		rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCKBASE-$n"
	done
	for p in ${BGPIDS-}; do kill "$p" 2>/dev/null || true; done  # honest: cleanup; it may have ended
}

# lines N: N data lines {"n":1} ... {"n":N}.
lines() { seq "$1" | sed 's/.*/{"n":&}/'; }

# until_grep REGEX FILE: waits (at most 10 s) until a line of FILE matches.
until_grep() {
	local i
	for i in $(seq 200); do
		grep -Eq -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "no line matches $1 in:"; cat "$2"; return 1
}

# ---- names of live subscribers ----

@test "--name: the name is in the FIFO's file name, --topics shows it, and two may share it" {
	mktopic orders
	bg evsub -T orders --name billing -o a.out
	a=$LAST
	bg evsub -T orders --name billing -o b.out
	b=$LAST
	bg evsub -T orders -o c.out
	c=$LAST
	fifos orders 3
	[ -p "$T/orders/subs/evsub-$a-billing" ]
	[ -p "$T/orders/subs/evsub-$b-billing" ]
	[ -p "$T/orders/subs/evsub-$c" ]
	run -0 evsub --topics
	assert_line -n 0 "$(printf 'orders\tevents 0\tsubscribers 3')"
	assert_line "$(printf 'orders\tsubscriber %s\tname billing' "$a")"
	assert_line "$(printf 'orders\tsubscriber %s\tname billing' "$b")"
	assert_line "$(printf 'orders\tsubscriber %s' "$c")"
	assert_equal "${#lines[@]}" 4
	# Named or not, each gets every event.
	evpub -T orders -t order.placed n:=1
	until_grep '"n":1' a.out
	until_grep '"n":1' b.out
	until_grep '"n":1' c.out
	# And removes its FIFO, name and all, when it ends.
	kill "$a"
	exited "$a" 143
	[ ! -e "$T/orders/subs/evsub-$a-billing" ]
	run -0 evsub --topics
	assert_line -n 0 "$(printf 'orders\tevents 1\tsubscribers 2')"
}

@test "--name: a bad name is refused with status 2 and says why; nothing is made" {
	for bad in 'a b' .hidden x.tmp y.lock '' ../up a/b "$(printf 'x%.0s' $(seq 200))"; do
		run -2 --separate-stderr evsub -T named --name "$bad"
		[[ $stderr == *"evsub: --name: $bad: a subscriber's name is as a topic name: letters, digits"* ]] ||
		    { echo "name '$bad': $stderr"; return 1; }
	done
	[ ! -e "$T/named" ]
	# Only a live subscriber has one.
	run -2 --separate-stderr evsub --name billing
	[[ $stderr == *"--name names a live subscriber"* ]]
	run -2 evsub -T named --consumer c --name billing
	run -2 evsub --topics --name billing
	[ ! -e "$T/named" ]
	# A good one.
	mktopic named
	bg evsub -T named --name 'Billing_2.eu-west' -o /dev/null
	fifos named 1
	[ -p "$T/named/subs/evsub-$LAST-Billing_2.eu-west" ]
}

@test "--name: publishers sweep a named subscriber's stale FIFO as an unnamed one's" {
	mktopic stale
	bg evsub -T stale --name audit -o /dev/null
	s=$LAST
	fifos stale 1
	kill -9 "$s"
	exited "$s" 137
	[ -p "$T/stale/subs/evsub-$s-audit" ]
	# No reader: the next publisher removes it.
	evpub -T stale -t n n:=1
	[ ! -e "$T/stale/subs/evsub-$s-audit" ]
	# Hidden ones left by a start-up killed: gone once a minute old and
	# their process gone; a live process's, or a just made one, kept.
	sh -c 'exit 0' &
	dead=$!
	wait "$dead"
	d="$T/stale/subs"
	mkfifo "$d/.evsub-$dead-audit" "$d/.evsub-$$-audit"
	touch -h -d '-2 minutes' "$d/.evsub-$dead-audit" "$d/.evsub-$$-audit"
	mkfifo "$d/.evsub-$dead-new"
	evpub -T stale -t n n:=2
	[ ! -e "$d/.evsub-$dead-audit" ]
	[ -p "$d/.evsub-$$-audit" ]
	[ -p "$d/.evsub-$dead-new" ]
	# None of them is taken for a live subscriber.
	run -0 evsub --topics
	assert_output "$(printf 'stale\tevents 2\tsubscribers 0')"
}

# ---- --watch on a pipe: plain numbered blocks ----

@test "--watch off a terminal: numbered blocks of time, events, rate, subscribers by name, position and lag" {
	lines 5 | evpub -l -T orders -t n
	evsub -T orders --consumer audit --once -c 2 >/dev/null
	lines 3 | evpub -l -T zeta -t n
	bg evsub -T orders --name billing -o /dev/null
	sub=$LAST
	fifos orders 1
	run -0 --separate-stderr evsub --topics --watch -c 2 --interval 0.2
	assert_equal "$stderr" ''
	assert_equal "${#lines[@]}" 10
	assert_line -n 0 --regexp $'^1\ttime 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]{15}Z$'
	assert_line -n 1 "$(printf '1\torders\tevents 5\trate -\tsubscribers 1')"
	assert_line -n 2 "$(printf '1\torders\tsubscriber %s\tname billing' "$sub")"
	assert_line -n 3 "$(printf '1\torders\tconsumer audit\tposition 2\tlag 3')"
	assert_line -n 4 "$(printf '1\tzeta\tevents 3\trate -\tsubscribers 0')"
	assert_line -n 5 --regexp $'^2\ttime '
	# The second block has a rate: nothing came in between.
	assert_line -n 6 "$(printf '2\torders\tevents 5\trate 0.0\tsubscribers 1')"
	assert_line -n 8 "$(printf '2\torders\tconsumer audit\tposition 2\tlag 3')"
	assert_line -n 9 "$(printf '2\tzeta\tevents 3\trate 0.0\tsubscribers 0')"
	# Plain lines: no escape, no carriage return.
	printf '%s\n' "$output" >plain.out
	run -1 grep -q $'[\e\r]' plain.out
}

@test "--watch off a terminal: events published between refreshes move the sequence, the rate and the lag" {
	lines 3 | evpub -l -T flow -t n
	evsub -T flow --consumer slow --once -c 1 >/dev/null
	bg sh -c 'exec evsub --topics --watch --interval 0.2 >watch.out'
	watcher=$LAST
	until_grep $'^[0-9]+\tflow\tevents 3\trate 0\\.0\t' watch.out
	lines 10 | evpub -l -T flow -t n
	until_grep $'^[0-9]+\tflow\tconsumer slow\tposition 1\tlag 12$' watch.out
	until_grep $'^[0-9]+\tflow\tevents 13\trate 0\\.0\t' watch.out
	# The block that saw them come has a rate above 0: 10 events in
	# about 0.2 s.
	grep -Eq $'\tflow\tevents 13\trate ([1-9][0-9]*\\.[0-9]|0\\.[1-9])\t' watch.out ||
	    { cat watch.out; return 1; }
	# The consumer catches up: the lag goes to 0.
	evsub -T flow --consumer slow --once >/dev/null
	until_grep $'^[0-9]+\tflow\tconsumer slow\tposition 13\tlag 0$' watch.out
	# Blocks are numbered in order, one time line each.
	awk -F'\t' '$2 ~ /^time / { if ($1 != ++n) exit 1 }' watch.out
	# SIGTERM ends it.
	kill -TERM "$watcher"
	status=0
	wait "$watcher" || status=$?
	assert_equal "$status" 143
}

@test "--watch: -c counts the refreshes; what does not go with it is a usage error" {
	run -0 evsub --topics --watch -c 3 --interval 0.1
	assert_equal "$(grep -c $'\ttime ' <<<"$output")" 3
	assert_line -n 2 --regexp $'^3\ttime '
	run -2 evsub --watch
	run -2 evsub -T t --watch
	run -2 evsub --interval 1
	run -2 evsub --topics -c 2
	run -2 evsub --topics --interval 1
	run -2 evsub --topics --watch -T t
	run -2 evsub --topics --watch --pretty
	run -2 --separate-stderr evsub --topics --watch --interval 0.01
	[[ $stderr == *"--interval: 0.01: too small"* ]]
	run -2 evsub --topics --watch --interval x
	run -2 evsub --topics --watch --interval 3601
	run -2 evsub --topics --watch -c 0
}

@test "--watch: a reader that goes away ends it quietly, status 0" {
	evpub -T t -t n n:=1
	run -0 --separate-stderr bash -o pipefail -c 'evsub --topics --watch --interval 0.1 | head -n 1'
	assert_output --regexp $'^1\ttime '
	assert_equal "$stderr" ''
}

# ---- --watch on a terminal, in tmux ----

# term CMD...: runs CMD in a detached tmux session "w" of 100 x 30 on our
# own server, the pane kept when CMD ends, and every byte CMD writes to
# the terminal recorded in $RAW.
term() {
	TERMS=$((${TERMS-0} + 1))
	SOCK="$SOCKBASE-$TERMS"
	RAW="$BATS_TEST_TMPDIR/raw.$TERMS"
	tmux -L "$SOCK" -f /dev/null new-session -d -s w -x 100 -y 30 \
	    "$(printf '%q ' env PATH="$PATH" EVENTFUL_HOME="$EVENTFUL_HOME" "$@")" \; \
	    set-option -t w remain-on-exit on \; \
	    pipe-pane -t w -o "cat >>'$RAW'"
}

# killterm: ends the terminal's tmux server (the next term gets its own).
killterm() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true  # honest: cleanup; it may have ended
}

# tmuxfmt FORMAT: a tmux format of the pane, #{pane_dead} for one.
tmuxfmt() { tmux -L "$SOCK" display -p -t w "$1"; }

# ended: waits (at most 10 s) until the program in the pane has ended.
ended() {
	local i
	for i in $(seq 200); do
		[ "$(tmuxfmt '#{pane_dead}')" = 1 ] && return 0
		sleep 0.05
	done
	echo "still running"; return 1
}

# cursor_shown: waits (at most 10 s) until the last of the cursor's
# escapes the program wrote is the one that shows it.  (tmux's own
# cursor_flag is no witness once the pane is dead: its "Pane is dead"
# line may reset it.)
cursor_shown() {
	local i
	for i in $(seq 200); do
		[ "$(grep -aoF -e $'\e[?25h' -e $'\e[?25l' "$RAW" | tail -n 1)" = $'\e[?25h' ] && return 0
		sleep 0.05
	done
	echo "the cursor is left hidden"; return 1
}

# pane [-e]: what the terminal shows (-e: with its escapes).
pane() { tmux -L "$SOCK" capture-pane -p "$@" -t w; }

# until_pane REGEX: waits (at most 10 s) until a line on the screen matches.
until_pane() {
	local i
	for i in $(seq 200); do
		pane | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	echo "the screen shows no $1:"; pane; return 1
}

# bar CONSUMER: the length of CONSUMER's lag bar on the screen.
bar() { pane | sed -n "s/^  $1 .*|\\(#*\\) *|\$/\\1/p" | tr -d '\n' | wc -c; }

@test "--watch on a terminal: the view shows each topic, then its new sequence and its consumer's lag as events come" {
	lines 3 | evpub -l -T orders -t n
	evsub -T orders --consumer audit --once -c 1 >/dev/null
	bg evsub -T orders --name billing -o /dev/null
	fifos orders 1
	term evsub --topics --watch --interval 0.2
	until_pane '^orders +3 '
	until_pane '^  live: billing$'
	until_pane '^  audit +1 +2 +\|#+ +\|$'
	until_pane 'TOPIC +consumer +SEQ +POS +RATE +LAG'
	before=$(bar audit)
	[ "$before" -gt 0 ]
	lines 5 | evpub -l -T orders -t n
	until_pane '^orders +8 '
	until_pane '^  audit +1 +7 +\|#+ +\|$'
	# The bar grew with the lag, and nothing is wider than 80 columns.
	[ "$(bar audit)" -gt "$before" ]
	[ "$(pane | awk '{ if (length > n) n = length } END { print n }')" -le 80 ]
	# A new topic and a subscriber that goes are seen as they happen.
	evpub -T audit.log -t n n:=1
	until_pane '^audit\.log +1 '
	kill "$LAST"
	until_pane '^  live: none$'
	# Redrawn in place: one view on the screen, never two.
	assert_equal "$(pane | grep -c '^eventful topics')" 1
	assert_equal "$(tmuxfmt '#{cursor_flag}')" 0
}

@test "--watch on a terminal: SIGINT and SIGTERM end it with the cursor shown again" {
	evpub -T t -t n n:=1
	for sig in INT TERM; do
		killterm
		term evsub --topics --watch --interval 0.2
		until_pane '^t +1 '
		# Hidden while it draws.
		assert_equal "$(tmuxfmt '#{cursor_flag}')" 0
		grep -qaF $'\e[?25l' "$RAW"
		if [ "$sig" = INT ]; then
			tmux -L "$SOCK" send-keys -t w C-c
		else
			kill -TERM "$(tmuxfmt '#{pane_pid}')"
		fi
		ended
		cursor_shown
		# The last view stays on the screen.
		pane | grep -Eq '^t +1 '
	done
}

@test "--watch on a terminal: colour, and none under NO_COLOR; -c ends it" {
	lines 4 | evpub -l -T c -t n
	evsub -T c --consumer k --once -c 1 >/dev/null
	term evsub --topics --watch --interval 0.2
	until_pane '^  k +1 +3 '
	pane -e | grep -q $'\e\\[7m'
	pane -e | grep -q $'\e\\[33m#'
	killterm
	# Its status through a file: tmux 3.3 can mark the pane dead before
	# it has collected the status, and then never show it.
	term sh -c 'NO_COLOR=1 evsub --topics --watch --interval 0.2 -c 3; echo $? >"$0"' "$BATS_TEST_TMPDIR/status"
	ended
	for i in $(seq 100); do [ -s status ] && break; sleep 0.05; done
	assert_equal "$(cat status)" 0
	cursor_shown
	pane -e >screen
	grep -Eq '^  k +1 +3 ' screen
	run -1 grep -q $'\e\\[[0-9;]*m' screen
	# The screen cleared once, then three views, each drawn from the top
	# left corner over the last.
	assert_equal "$(grep -aoF $'\e[2J' "$RAW" | wc -l)" 1
	assert_equal "$(grep -aoF $'\e[H' "$RAW" | wc -l)" 4
}
