#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# growth: what a long run, or an input, can make grow without bound:
# memory, file descriptors, child processes, files and the disk they hold.

load test_helper/common

# Processes a test started in the background, ended in teardown.
PIDS=()

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true  # honest: cleanup; it may have ended
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true  # honest: cleanup; it may have ended
	done
}

# until_true TRIES CMD...: runs CMD every 0.1 s until it succeeds, at most
# TRIES times; fails when it never does.
until_true() {
	local n=$1
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# live TOPIC N: N live subscribers of TOPIC are in place.
live() {
	[ "$(find "$EVENTFUL_HOME/topics/$1/subs" -maxdepth 1 -type p \
	    ! -name '.*' 2>/dev/null | wc -l)" -eq "$2" ]
}

# lines FILE N: FILE holds at least N lines.
lines() {
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

# --- many subscribers -----------------------------------------------------

@test "a publisher out of file descriptors still writes to every subscriber" {
	# Each live subscriber costs the publisher a descriptor while it
	# writes.  Forty of them against a table of sixteen: the first few
	# used to get the event and the rest nothing, in silence, status 0.
	local i
	mktopic many
	for i in $(seq 40); do
		evsub -T many -c 1 >"sub.$i" 2>"err.$i" 3>&- &
		PIDS+=($!)
	done
	until_true 150 live many 40
	run -0 bash -c 'ulimit -n 16; evpub -t x.y -T many'
	for i in $(seq 40); do
		until_true 50 lines "sub.$i" 1 || {
			echo "subscriber $i got nothing"
			return 1
		}
	done
	cat sub.* | jq -e -s 'length == 40 and all(.sequence == "000000000001")' >/dev/null
}

# --- durable consumers ----------------------------------------------------

@test "a following consumer holds no index that appenders replaced" {
	# The index is for finding where to start.  A consumer that kept it
	# open held the disk space of the old index, once it was grown and
	# renamed over (at 512 events first), for as long as it ran.
	seq 10 | sed 's/.*/{"n":&}/' | evpub -l -t x.y -T ix
	evsub -T ix --consumer c >out 2>err 3>&- &
	PIDS+=($!)
	until_true 50 lines out 10
	seq 2000 | sed 's/.*/{"n":&}/' | evpub -l -t x.y -T ix
	until_true 100 lines out 2010
	run -0 ls -l "/proc/${PIDS[0]}/fd"
	refute_output --partial "(deleted)"
	refute_output --partial "log.idx"
}

@test "evlog cat -f holds no index that appenders replaced" {
	# The same for a follower of a log: the index finds where --from
	# starts and skips blocks for --since; once it is read past, it goes.
	seq 600 | sed 's/.*/{"n":&}/' | evpub -l -t x.y | evlog append -q l >/dev/null
	evlog cat -f --from 300 l >out 2>err 3>&- &
	PIDS+=($!)
	until_true 50 lines out 301
	seq 2000 | sed 's/.*/{"n":&}/' | evpub -l -t x.y | evlog append -q l >/dev/null
	until_true 100 lines out 2301
	run -0 ls -l "/proc/${PIDS[0]}/fd"
	refute_output --partial "(deleted)"
	refute_output --partial "l.idx"
}

# --- a giant line with no newline -----------------------------------------

@test "a live subscriber drops a dead writer's over-long half line, not the next event" {
	# Past --max-size, the half line is skipped as it streams, never held.
	# When its writer went away, the subscriber stayed skipping and took
	# the next publisher's first event for the rest of it.
	local fifo
	mktopic half
	evsub -T half --max-size 1K --rejects rej -c 1 >out 2>err 3>&- &
	PIDS+=($!)
	fifo="$EVENTFUL_HOME/topics/half/subs/evsub-${PIDS[0]}"
	until_true 50 test -p "$fifo"
	head -c 5000 /dev/zero | tr '\0' a >"$fifo"
	evpub -t x.y -T half n:=1
	until_true 50 lines out 1
	run -0 jq -c .data out
	assert_output '{"n":1}'
	run -0 cat err
	assert_output --partial "a writer went away in the middle of an event over --max-size"
	# The part that streamed into the rejects file is ended there.
	run -0 wc -l <rej
	assert_output 1
}
