#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Hostile input: what someone with write access to a topic directory, or
# an anonymous HTTP client, can plant or send, and what the programs do
# with it (issue 21).  Planted links are refused, never followed; what
# comes from outside reaches a message escaped and cut; leftovers go.

load test_helper/common

T="$EVENTFUL_HOME/topics"

teardown() {
	for p in ${BGPIDS-}; do kill "$p" 2>/dev/null || true; done  # honest: cleanup; it may have ended
}

# victim: a file of someone else's that a planted link points at.
victim() {
	printf 'SECRET precious contents\n' >"$BATS_TEST_TMPDIR/victim"
	V="$BATS_TEST_TMPDIR/victim"
}

# unharmed: the victim is as it was.
unharmed() {
	assert_equal "$(cat "$V")" 'SECRET precious contents'
}

# ---- planted links under EVENTFUL_HOME ----

@test "a planted consumers/C.tmp link is not followed: the victim keeps its contents, the position is committed" {
	victim
	seq 3 | sed 's/.*/{"n":&}/' | evpub -l -T t -t n
	ln -s "$V" "$T/t/consumers/c.tmp"
	run -0 evsub -T t --consumer c --once
	assert_equal "${#lines[@]}" 3
	unharmed
	assert_equal "$(cat "$T/t/consumers/c")" 3
	[ ! -L "$T/t/consumers/c" ]
}

@test "a commit's temporary file is new and unguessable; what a kill left goes at the next run, and only ours" {
	seq 3 | sed 's/.*/{"n":&}/' | evpub -l -T t -t n
	C="$T/t/consumers"
	# Left by a run killed between its temporary file and the rename.
	echo 2 >"$C/.c.Ab3xYz"
	echo 2 >"$C/c.tmp"
	# Not ours: another consumer's, and names a commit never makes.
	echo 1 >"$C/.cc.Ab3xYz"
	echo 1 >"$C/.c.Ab3xY"
	echo 1 >"$C/.c.Ab3xYz.lock"
	run -0 evsub -T t --consumer c --once
	assert_equal "${#lines[@]}" 3
	[ ! -e "$C/.c.Ab3xYz" ]
	[ ! -e "$C/c.tmp" ]
	[ -e "$C/.cc.Ab3xYz" ]
	[ -e "$C/.c.Ab3xY" ]
	[ -e "$C/.c.Ab3xYz.lock" ]
	assert_equal "$(ls -A "$C" | grep -c '^\.c\.[A-Za-z0-9]\{6\}$')" 0
}

@test "a planted consumers/.C.lock link is refused: nothing is made at its target" {
	seq 3 | sed 's/.*/{"n":&}/' | evpub -l -T t -t n
	ln -s "$BATS_TEST_TMPDIR/made" "$T/t/consumers/.c.lock"
	run -1 --separate-stderr evsub -T t --consumer c --once
	[ ! -e "$BATS_TEST_TMPDIR/made" ]
	[[ $stderr == *"consumers/.c.lock: a symbolic link: refused"* ]]
	assert_output ''
	# A link to a file that is there is refused too, and the file kept.
	victim
	ln -sf "$V" "$T/t/consumers/.c.lock"
	run -1 evsub -T t --consumer c --once
	unharmed
}

@test "a planted consumers/C link is not read through: its contents are never echoed" {
	victim
	seq 3 | sed 's/.*/{"n":&}/' | evpub -l -T t -t n
	ln -s "$V" "$T/t/consumers/c"
	run -1 --separate-stderr evsub -T t --consumer c --once
	[[ $stderr == *"consumers/c: a symbolic link: refused"* ]]
	[[ $stderr != *SECRET* ]]
	assert_output ''
	run -0 --separate-stderr evsub --topics
	[[ $stderr == *"consumers/c: a symbolic link: refused"* ]]
	[[ $stderr$output != *SECRET* ]]
	assert_line "$(printf 't\tconsumer c\tposition ?\tlag ?')"
	unharmed
	# --rewind and --delete of such a consumer refuse it as well.
	run -1 --separate-stderr evsub -T t --consumer c --reset 1
	[[ $stderr != *SECRET* ]]
	[ -L "$T/t/consumers/c" ]
	unharmed
}

@test "a damaged position file is shown escaped and cut, never raw" {
	seq 3 | sed 's/.*/{"n":&}/' | evpub -l -T t -t n
	printf '\033[2J\nFORGED' >"$T/t/consumers/c"
	run -1 --separate-stderr evsub -T t --consumer c --once
	[[ $stderr == *'not a position: "\x1b[2J\x0aFORGED"'* ]]
	[[ $stderr != *$'\033'* ]]
	assert_equal "${#stderr_lines[@]}" 1
}

@test "a link in subs/ is not written to: a FIFO elsewhere gets nothing" {
	mkfifo "$BATS_TEST_TMPDIR/other"
	exec 5<>"$BATS_TEST_TMPDIR/other"
	evpub -T t -t n
	ln -s "$BATS_TEST_TMPDIR/other" "$T/t/subs/evsub-1"
	evpub -T t -t n
	# Nothing came through the link: the FIFO is empty.
	run --separate-stderr timeout 1 dd if="$BATS_TEST_TMPDIR/other" bs=1 count=1 iflag=nonblock status=none
	assert_output ''
	exec 5<&-
}

@test "--topics counts FIFOs with a reader only: a regular file or a link in subs/ is no subscriber" {
	evpub -T t -t n
	: >"$T/t/subs/evsub-12345"
	mkfifo "$BATS_TEST_TMPDIR/other"
	exec 5<>"$BATS_TEST_TMPDIR/other"
	ln -s "$BATS_TEST_TMPDIR/other" "$T/t/subs/evsub-23456"
	run -0 evsub --topics
	assert_output "$(printf 't\tevents 1\tsubscribers 0')"
	run -0 evsub --topics --json
	assert_output '{"topic":"t","last":1,"subscribers":[],"consumers":[]}'
	exec 5<&-
}

# ---- control characters from outside, in messages ----

# clean FILE: FILE holds no control character but newlines, and N lines.
clean() {
	run -0 tr -d '\n' <"$1"
	[[ $output != *[[:cntrl:]]* ]] || { echo "a control character in $1:"; cat -v "$1"; return 1; }
}

@test "the receiver: a time with an ESC and a newline, in the body or a ce-time header, is logged escaped on one line" {
	load test_helper/listen
	listen -t t
	BGPIDS=$LPID
	run -0 curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/cloudevents+json' \
	    -d '{"specversion":"1.0","id":"1","source":"//s","type":"t","time":"bad\u001b[2J\nevpub: FORGED LINE"}' "$URL"
	assert_output 400
	run -0 curl -s -o /dev/null -w '%{http_code}' -H 'ce-specversion: 1.0' -H 'ce-id: 2' -H 'ce-source: //s' \
	    -H 'ce-type: t' -H "ce-time: bad$(printf '\033')[2J$(printf '\r')evpub: FORGED" -H 'Content-Type: text/plain' -d 'x' "$URL"
	assert_output 400
	kill "$LPID"
	wait "$LPID"
	clean listen.err
	# The body's time is echoed, escaped; the header's control
	# character is refused before its value is read (no CloudEvents
	# String holds one), and named, not echoed.
	run -0 grep -c 'FORGED' listen.err
	assert_output 1
	grep -q 'time "bad\\x1b\[2J\\x0aevpub: FORGED LINE" is not an RFC 3339 date-time' listen.err
	grep -q 'ce-time: U+001B (character 4) is not allowed in a CloudEvents String' listen.err
	run grep -c '^evpub: FORGED' listen.err
	assert_output 0
}

@test "stdin: an event whose values hold control characters is reported escaped" {
	printf '%s\n' '{"specversion":"1.0\u001b]0;pwned\u0007","id":"1","source":"//s","type":"t"}' >in
	printf '%s\n' '{"specversion":"1.0","id":"1","source":"//s","type":"t","x\u001b[1m":1}' >>in
	run -3 --separate-stderr evsub <in
	[[ ${stderr//$'\n'/} != *[[:cntrl:]]* ]]
	assert_equal "${#stderr_lines[@]}" 2
	[[ ${stderr_lines[0]} == *'specversion "1.0\x1b]0;pwned\x07" is not "1.0"'* ]]
	[[ ${stderr_lines[1]} == *'attribute name "x\x1b[1m" is not'* ]]
}

@test "a file name with control characters (a glob in a directory someone shares) is shown escaped" {
	name=$'in\033[2J\nevsub: FORGED\xff.ndjson'
	echo 'not an event' >"$name"
	run -3 --separate-stderr evsub -i ./*.ndjson
	assert_equal "${#stderr_lines[@]}" 1
	# Invalid UTF-8 is escaped byte by byte; valid UTF-8 is kept.
	[[ ${stderr_lines[0]} == 'evsub: ./in\x1b[2J\x0aevsub: FORGED\xff.ndjson:1: '* ]]
	run -1 --separate-stderr evsub -i "$name.missing"
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == *'in\x1b[2J\x0aevsub: FORGED\xff.ndjson.missing'* ]]
	run -1 --separate-stderr evsub -i $'caf\xc3\xa9 \xc2\x9b2J'
	[[ $stderr == *$'caf\xc3\xa9 \\xc2\\x9b2J'* ]]
}

@test "an argument that cannot be a topic name is shown escaped" {
	run -2 --separate-stderr evsub -T $'a\033[2Jb' --consumer c --once
	[[ ${stderr_lines[0]} == *'a\x1b[2Jb'* ]]
	[[ ${stderr//$'\n'/} != *[[:cntrl:]]* ]]
}

# ---- files the user names: --rejects, --dead-letter, -o ----

@test "--rejects, --dead-letter and -o follow the user's own link, and refuse one of another user's" {
	[ "$(id -u)" -eq 0 ] || skip "making a link of another user's needs root"
	victim
	echo 'not an event' >bad
	printf '%s\n' '{"specversion":"1.0","id":"1","source":"//s","type":"t"}' >good
	for f in rej dead out; do
		ln -s "$V" "$f"
		chown -h nobody "$f"
	done
	run -1 --separate-stderr evsub -i bad --rejects rej
	assert_equal "$stderr" "evsub: rej: a symbolic link of another user's (uid $(id -u nobody)): refused, not followed"
	run -1 --separate-stderr evsub -i good --retries 0 --dead-letter dead --exec false
	[[ $stderr == *"dead: a symbolic link of another user's"* ]]
	run -1 --separate-stderr evsub -i good -o out
	[[ $stderr == *"out: a symbolic link of another user's"* ]]
	run -1 --separate-stderr evpub -t t -o out
	run -1 --separate-stderr evlog append --rejects rej l <bad
	unharmed
	# The user's own link is followed, as /dev/stderr (root's) is.
	ln -s mine ownrej
	run -3 --separate-stderr evsub -i bad --rejects ownrej
	assert_equal "$(cat mine)" 'not an event'
	run -3 --separate-stderr evsub -i bad --rejects /dev/stderr
}

@test "a FIFO planted as a topic's log or index hangs no reader: refused, and --topics goes on" {
	evpub -T t -t n
	evpub -T u -t n
	rm "$T/t/log" "$T/t/log.idx"
	mkfifo "$T/t/log"
	run -1 --separate-stderr timeout 10 evlog cat -T t
	[[ $stderr == *"not a regular file: refused"* ]]
	run -0 --separate-stderr timeout 10 evsub --topics
	assert_line "$(printf 'u\tevents 1\tsubscribers 0')"
	mkfifo "$T/u/log.idx.new"
	rm "$T/u/log.idx"
	mv "$T/u/log.idx.new" "$T/u/log.idx"
	run -0 --separate-stderr timeout 10 evlog cat -T u
	assert_equal "${#lines[@]}" 1
	run -0 --separate-stderr timeout 10 evsub -T u --consumer c --once
	assert_equal "${#lines[@]}" 1
}

@test "a topic, its subs/ or its consumers/ replaced by a link of another user's is refused: nothing is made where it points" {
	[ "$(id -u)" -eq 0 ] || skip "making a link of another user's needs root"
	seq 3 | sed 's/.*/{"n":&}/' | evpub -l -T t -t n
	mkdir elsewhere
	rm -r "$T/t/consumers"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$T/t/consumers"
	chown -h nobody "$T/t/consumers"
	run -1 --separate-stderr evsub -T t --consumer c --once
	[[ $stderr == *"consumers: a symbolic link of another user's (uid $(id -u nobody)): refused, not followed"* ]]
	run -0 ls -A elsewhere
	assert_output ''
	rm "$T/t/consumers"
	mkdir "$T/t/consumers"
	rm -r "$T/t/subs"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$T/t/subs"
	chown -h nobody "$T/t/subs"
	run -1 evsub -T t -c 1
	run -1 evpub -T t -t n
	run -0 ls -A elsewhere
	assert_output ''
	mv "$T/t" "$T/real"
	ln -s "$T/real" "$T/t"
	chown -h nobody "$T/t"
	run -1 evpub -T t -t n
	run -1 evlog cat -T t
	# --topics leaves it out, and lists the others.
	evpub -T u -t n
	run -0 evsub --topics
	assert_output "$(printf 'u\tevents 1\tsubscribers 0')"
	# The home's owner's own link is followed.
	rm "$T/t" "$T/real/subs"
	mkdir "$T/real/subs"
	ln -s "$T/real" "$T/t"
	run -0 evpub -T t -t n
	assert_equal "$(wc -l <"$T/real/log")" 4
}
