#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# damage: the states a power cut (or a disk, or a hand) leaves in a log,
# built by hand on logs the programs made, at sizes where the index covers
# whole blocks of 256 events; and what evlog repair, the next append,
# evpub -T, a durable consumer and evlog verify do with each (evlog(5),
# Damage).  The promise checked throughout: nothing acknowledged is lost,
# nothing damaged is delivered or skipped unsaid.

load test_helper/common

# events N [TYPE]: N new events of about 300 bytes, numbered n=1..N.
events() {
	seq "$1" | awk '{ printf "{\"n\":%d,\"pad\":\"%0200d\"}\n", $1, 0 }' |
		evpub -l -t "${2:-t.x}" -S s/1
}

# bigevent: one event of 6 KB, so that its line spans a page boundary.
bigevent() {
	evpub -t t.big -S s/1 pad="$(printf '%6000s' '' | tr ' ' y)"
}

# zero FILE OFFSET LENGTH: LENGTH zero bytes over FILE at OFFSET, as a
# write lost to a power cut reads back (the file's size is kept, or grows).
zero() {
	dd if=/dev/zero of="$1" bs=1 seek="$2" count="$3" conv=notrunc status=none
}

# lastline FILE: the offset where the last line of FILE starts.
lastline() {
	"$SYSPY" -c 'import sys; d = open(sys.argv[1], "rb").read(); print(d.rfind(b"\n", 0, len(d) - 1) + 1)' "$1"
}

# linestart FILE OFFSET: the offset where the line holding byte OFFSET of
# FILE starts.
linestart() {
	"$SYSPY" -c 'import sys; d = open(sys.argv[1], "rb").read(); print(d.rfind(b"\n", 0, int(sys.argv[2])) + 1)' "$1" "$2"
}

# lineat FILE N: the offset where line N (from 1) of FILE starts.
lineat() {
	head -n "$(($2 - 1))" "$1" | wc -c
}

# mklog LOG: a log of 1200 events in two acknowledged groups, their
# acknowledgements in acks, then a last group of 199 events and one of 6 KB
# whose acknowledgements never came (the power went during its fsync).
mklog() {
	events 1000 | evlog append "$1" >acks
	events 200 | evlog append "$1" >>acks
	{ events 199; bigevent; } | evlog append "$1" >/dev/null
	assert_equal "$(wc -l <acks)" 1200
	assert_equal "$(wc -l <"$1")" 1400
}

# acked LOG: every acknowledged event is in LOG, once, first, as it was.
acked() {
	cmp acks <(head -n "$(wc -l <acks)" "$1") ||
	    { echo "an acknowledged event was lost or changed"; return 1; }
	local dups
	dups=$(jq -r '.source + " " + .id' "$1" | sort | uniq -d | head -3)
	[ -z "$dups" ] || { echo "events twice: $dups"; return 1; }
}

# aside LOG OFFSET ORIG: the damage was moved into LOG.damaged-OFFSET, and
# the log and that file together are the damaged file ORIG: nothing lost.
aside() {
	[ -f "$1.damaged-$2" ] || { echo "no $1.damaged-$2"; ls; return 1; }
	assert_equal "$(stat -c %a "$1.damaged-$2")" 600
	cmp "$3" <(cat "$1" "$1.damaged-$2") ||
	    { echo "the log and $1.damaged-$2 are not what was there"; return 1; }
	assert_equal "$(stat -c %s "$1")" "$2"
}

# appends LOG: the log takes appends again, numbered on, and verifies.
appends() {
	local last
	last=$(tail -1 "$1" | jq -r .sequence)
	run -0 --separate-stderr evlog append "$1" < <(events 3 t.after)
	assert_equal "$(jq -r .sequence <<<"${lines[0]}")" "$(printf '%012d' $((10#$last + 1)))"
	run -0 evlog verify "$1"
}

#
# the last group, damaged by a power cut: repair and the next append
#

@test "zero bytes where the last group's last line starts, its end on disk: repair moves it aside" {
	mklog l
	at=$(lastline l)
	page=$((at / 4096 * 4096))
	zero l "$page" 4096
	[ $((page + 4096)) -lt "$(stat -c %s l)" ]	# the line's end is on disk
	cp l orig
	run -4 evlog verify l
	start=$(linestart l "$page")
	assert_line --partial "damaged from offset $start on: evlog repair moves that line and all after it into l.damaged-$start"
	# Readers stop at it, saying so, before any repair.
	run -1 evlog cat l
	run -0 --separate-stderr evlog repair l
	assert_equal "$stderr" "evlog repair: l: damaged at offset $start (it holds zero bytes): moved the $(($(stat -c %s orig) - start)) bytes from there to the end into l.damaged-$start; the log ends at sequence $((10#$(tail -1 l | jq -r .sequence))) (see evlog(5), Damage)"
	aside l "$start" orig
	acked l
	appends l
}

@test "the same, and zeros in the middle of the last group, or past its end: the next append repairs by itself" {
	# Each state: the damage, and the offset of the line it starts in.
	for state in lastline middle grown fragment; do
		mkdir "$state"
		cd "$state"
		mklog l
		first=$(lineat l 1201)	# the last group's first line
		case $state in
		lastline)	# the page where the last line starts
			page=$(($(lastline l) / 4096 * 4096)) ;;
		middle)	# a page in the middle of the group; whole lines after it
			page=$(((first + 20000) / 4096 * 4096)) ;;
		grown)	# the size reached the disk, the data did not: zeros
			# from the group's second page to the end, and past it
			page=$(((first / 4096 + 1) * 4096))
			zero l "$(stat -c %s l)" 8192 ;;
		fragment)	# zeros, then the end of a line that looks valid
			page=$(((first + 20000) / 4096 * 4096))
			printf '"pad":"0"},"sequence":"000000001300"}\n' |
				dd of=l bs=1 seek=$((page + 4096)) conv=notrunc status=none ;;
		esac
		zero l "$page" 4096
		start=$(linestart l "$page")
		cp l orig
		# An index from before the reboot is not trusted: without one,
		# the append reads the whole log, as after a power cut.
		rm l.idx
		run -0 --separate-stderr evlog append l < <(events 2 t.next)
		[[ $stderr == *"evlog append: l: damaged at offset $start (it holds zero bytes): moved the "*" into l.damaged-$start"* ]] ||
		    { echo "$state: $stderr"; return 1; }
		assert_equal "$(wc -l <<<"$output")" 2
		rm l.damaged-"$start"
		acked l
		run -0 evlog verify l
		appends l
		cd ..
	done
}

@test "evpub -T on a topic whose last group a power cut damaged: repaired, published, nothing acknowledged lost" {
	mktopic t
	log=$EVENTFUL_HOME/topics/t/log
	events 1000 | evpub -l -T t >acks
	events 200 | evpub -l -T t >>acks
	{ events 199; bigevent; } | evpub -l -T t >/dev/null
	page=$(($(lastline "$log") / 4096 * 4096))
	zero "$log" "$page" 4096
	start=$(linestart "$log" "$page")
	# A consumer stops at it, names it, and says what to run.
	run -4 --separate-stderr evsub -T t --consumer c --once -o /dev/null
	[[ $stderr == *"the topic's log is "*"evlog repair -T t moves the damage aside"* ]] || { echo "$stderr"; return 1; }
	run -0 --separate-stderr evpub -l -T t < <(events 2 t.next)
	[[ $stderr == "evpub: $log: damaged at offset $start (it holds zero bytes): moved the "* ]] || { echo "$stderr"; return 1; }
	assert_equal "$(jq -r .sequence <<<"${lines[1]}")" "$(printf '%012d' $(($(wc -l <"$log"))))"
	acked "$log"
	run -0 evlog verify -T t
}

@test "damage a crash cannot leave stops an append, which stores nothing and names it; repair moves it aside, not a file that is no log" {
	mklog l
	# Not zeros: a line edited by hand in the middle of the last group.
	n=$(($(lineat l 1300)))
	sed -i '1300s/"specversion"/"specversioN"/' l
	cp l orig
	rm l.idx
	run -1 --separate-stderr evlog append l < <(events 2 t.next)
	[[ $stderr == "evlog append: l: damaged at offset $n (it is not an event: "*"), $(($(stat -c %s l) - n)) bytes before the end: not what a crash leaves; evlog repair moves it aside (see evlog(5), Damage)" ]] || { echo "$stderr"; return 1; }
	cmp l orig
	run -0 --separate-stderr evlog repair l
	[[ $stderr == *"with 100 whole events in them (sequence 1301 to 1400); the log ends at sequence 1299 "* ]] || { echo "$stderr"; return 1; }
	aside l "$n" orig
	acked l
	appends l
	# A file that is no log at all is not moved aside, even by repair.
	events 3 >plain
	cp plain orig
	run -4 evlog repair plain
	assert_output --partial 'not an evlog log'
	cmp plain orig
	run -1 evlog append plain < <(events 1)
	cmp plain orig
	run -1 compgen -G 'plain.damaged-*'
}

@test "zeros further back than a crash reaches: the append refuses, repair moves them aside" {
	pad=$(printf '%40000s' '' | tr ' ' x)
	seq 1000 | awk -v pad="$pad" '{ printf "{\"n\":%d,\"pad\":\"%s\"}\n", $1, pad }' |
		evpub -l -t t -S s/1 | evlog append l >acks
	n=$(lineat l 50)
	zero l "$((n + 100))" 4096
	rm l.idx
	run -1 --separate-stderr evlog append l < <(events 1)
	[[ $stderr == "evlog append: l: damaged at offset $n (it holds zero bytes), "*" bytes before the end: not what a crash leaves; evlog repair moves it aside"* ]] || { echo "$stderr"; return 1; }
	cp l orig
	run -0 evlog repair l
	aside l "$n" orig
	assert_equal "$(wc -l <l)" 49
}

#
# damage in the middle of a topic's log: consumers, verify, repair
#

@test "a consumer commits what it delivered before damage in the middle, stops with status 4 naming the offset, and runs nothing twice" {
	mktopic t
	log=$EVENTFUL_HOME/topics/t/log
	events 1000 | evpub -l -T t >acks
	n=$(lineat "$log" 601)
	zero "$log" "$((n + 100))" 4096	# from the middle of line 601 on
	# Later lines reached the disk: appends go on past it (they cannot see
	# it without reading the log), and are acknowledged.
	events 5 t.later | evpub -l -T t >>acks
	for run in 1 2; do
		run -4 --separate-stderr evsub -T t --consumer c --once --exec sh -c 'echo "$CE_SEQUENCE" >>ran'
		assert_equal "$stderr" "evsub: t: the topic's log is damaged at offset $n, after sequence 600: it holds zero bytes; delivered up to sequence 600, and stopped: evlog repair -T t moves the damage aside (see evlog(5), Damage)"
		assert_equal "$(cat "$EVENTFUL_HOME/topics/t/consumers/c")" 600
	done
	# Each event before the damage ran once, over both runs; none after it.
	assert_equal "$(sort -n ran | uniq | wc -l)" 600
	assert_equal "$(wc -l <ran)" 600
	assert_equal "$(tail -1 ran)" 600
	# A reading without a consumer stops there too.
	run -4 --separate-stderr evsub -T t --from 1
	assert_equal "${#lines[@]}" 600
	run -4 evlog verify -T t
	assert_line -n 0 "evlog verify: $log: line 601, offset $n: zero bytes in the line"
	assert_line "evlog verify: $log: damaged from offset $n on: evlog repair moves that line and all after it into $log.damaged-$n (see evlog(5), Damage)"
	cp "$log" orig
	# The zeros took the ends of lines 601 and on with them: k whole lines
	# follow, from sequence s.
	k=$(($(wc -l <"$log") - 601))
	s=$(sed -n 602p "$log" | jq -r .sequence)
	[ "$k" -gt 300 ] || { echo "only $k lines after the damage"; return 1; }
	run -0 --separate-stderr evlog repair -T t
	assert_equal "$stderr" "evlog repair: $log: damaged at offset $n (it holds zero bytes): moved the $(($(stat -c %s orig) - n)) bytes from there to the end into $log.damaged-$n, with $k whole events in them (sequence $((10#$s)) to 1005); the log ends at sequence 600 (see evlog(5), Damage)"
	aside "$log" "$n" orig
	# Damage no crash made: the events after it were acknowledged, and are
	# appended again from the file repair made (evlog(5)); the damaged line
	# is rejected.
	run -3 --separate-stderr evlog append -T t <"$log.damaged-$n"
	assert_equal "${#lines[@]}" "$k"
	run -0 evlog verify -T t
	run -0 --separate-stderr evsub -T t --consumer c --once --exec sh -c 'echo "$CE_SEQUENCE" >>ran'
	assert_equal "$(wc -l <ran)" $((600 + k))
	assert_equal "$(sort <ran | uniq -d)" ""
	# Every acknowledged event whose line survived is there once, in order.
	cmp <(tail -n "$k" acks | jq -r .id) <(tail -n "$k" "$log" | jq -r .id)
	cmp <(head -n 600 acks) <(head -n 600 "$log")
}
