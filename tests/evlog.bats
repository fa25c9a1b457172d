#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# evlog: the durable log, by subcommand: append (and what it must survive:
# concurrent appenders, kill -9, I/O errors, a full disk), cat, verify and
# stats, repair, revert; then the index that several of them go through,
# and usage.  A test that preloads the fault shim calls need_fault first.

load test_helper/common

# events N [TYPE]: N events with amounts 1..N.
events() {
	seq "$1" | sed 's/.*/{"amount":&}/' | evpub -l -t "${2:-acct.deposited}" -S acct/1
}

seqs() { jq -r .sequence "$@" | tr '\n' ' '; }

# bigevents: 10000 events of 4 KiB, 42 MB: six group commits of up to 8 MiB.
bigevents() {
	local pad
	pad=$(printf '%4000s' '' | tr ' ' x)
	seq 10000 | awk -v pad="$pad" '{ printf "{\"n\":%d,\"pad\":\"%s\"}\n", $1, pad }' |
		evpub -l -t t -S s/1
}

#
# append: sequences, acknowledgements, what is refused
#

@test "append stamps sequences 1, 2, 3 and acknowledges what is stored" {
	events 3 >in
	run -0 --separate-stderr evlog append ledger.log <in
	assert_equal "$(seqs <<<"$output")" "000000000001 000000000002 000000000003 "
	cmp <(printf '%s\n' "$output") ledger.log
	assert_equal "$(stat -c %a ledger.log)" 600
	# The event is kept byte for byte, the sequence added last.
	assert_equal "$(head -1 ledger.log)" "$(head -1 in | sed 's/}$/,"sequence":"000000000001"}/')"
	events 2 | evlog append ledger.log >/dev/null
	assert_equal "$(seqs ledger.log)" "000000000001 000000000002 000000000003 000000000004 000000000005 "
}

@test "the acknowledgements of a large append: the log byte for byte, in writes of whole events of 128 KiB at most" {
	need_fault
	# 42 MB in 4 KiB events, and between them three of 200 KiB, longer
	# than a write: each of those goes by itself.
	pad=$(printf '%200000s' '' | tr ' ' y)
	{ bigevents | head -5000
	  for i in 1 2 3; do printf '{"long":%d,"pad":"%s"}\n' "$i" "$pad"; done | evpub -l -t t -S s/2
	  bigevents | tail -5000; } >in
	FAULT_CALL=write FAULT_COUNT=count LD_PRELOAD=$FAULT evlog append l <in >acks
	cmp acks l
	run -0 evlog verify l
	# The log goes in writes of 128 KiB, and so do the acknowledgements:
	# about 330 writes each, where the whole of a group in one write
	# would make 6.
	[ "$(cat count)" -ge 600 ] || { echo "$(cat count) writes"; return 1; }
	# And on a pipe.
	evlog append l2 <in | cat >acks2
	cmp acks2 l2
}

@test "an event's own sequence is replaced by the log's" {
	echo '{"specversion":"1.0","sequence":"77","type":"t","source":"s","id":"1"}' >in
	run -0 evlog append l <in
	assert_output '{"specversion":"1.0","type":"t","source":"s","id":"1","sequence":"000000000001"}'
}

@test "invalid events never reach the log: status 3, reported, kept" {
	{ events 1; echo 'nope'; echo '{"specversion":"1.0","id":"x"}'; events 1; } >in
	run -3 --separate-stderr evlog append --rejects rej l <in
	assert_equal "$(wc -l <l)" 2
	assert_equal "$stderr" $'evlog append: stdin:2: invalid JSON at byte 1: a value expected, found \'n\'\nevlog append: stdin:3: missing "source"'
	assert_equal "$(wc -l <rej)" 2
	run -0 evlog verify l
}

@test "--sync takes event, batch or none" {
	for m in event batch none; do
		events 3 | evlog append --sync "$m" "l.$m" >/dev/null
		run -0 evlog verify "l.$m"
	done
	run -2 evlog append --sync sometimes l
	assert_output --partial 'event, batch or none'
}

@test "--max-size holds for the event as stored, with its sequence" {
	pad=$(head -c 200 /dev/zero | tr '\0' x)
	evpub -t t "p=$pad" >e
	size=$(( $(wc -c <e) - 1 ))
	# It fits as it is, not once stamped: refused, status 3.
	run -3 --separate-stderr evlog append --max-size "$size" l <e
	[[ $stderr == *"stdin:1: longer than $size bytes with its sequence (--max-size)"* ]]
	[ ! -s l ]
	run -0 evlog append --max-size $((size + 26)) l <e
	# What the log holds passes a reader of the same size.
	run -0 evsub --max-size $((size + 26)) <l
}

@test "a full log refuses more: sequences never pass 999999999999" {
	echo '{"specversion":"1.0","type":"t","source":"s","id":"1","sequence":"999999999999"}' >l
	run -1 evlog append l < <(events 1)
	assert_output 'evlog append: l: full: sequence 999999999999 is the last a log can hold'
	assert_equal "$(wc -l <l)" 1
}

#
# append: idempotence (an event's source and id are its key)
#

@test "idempotence: an event whose source and id are in the log is reported and left out" {
	events 5 >in
	evlog append l <in >/dev/null
	# All again, and one new one: only the new one is stored and acknowledged.
	events 1 >new
	run -0 --separate-stderr evlog append l < <(cat in new)
	assert_equal "$(seqs <<<"$output")" "000000000006 "
	assert_equal "$(jq -r .id <<<"$output")" "$(jq -r .id new)"
	assert_equal "$(grep -c 'source and id are in the log already, as sequence' <<<"$stderr")" 5
	[[ $stderr == *"stdin:3: source and id are in the log already, as sequence 3: not appended again"* ]]
	# Twice in one input: stored once.
	events 1 >twice
	run -0 --separate-stderr evlog append l < <(cat twice twice)
	assert_equal "$(seqs <<<"$output")" "000000000007 "
	[[ $stderr == *"stdin:2: "*"as sequence 7"* ]]
	# -q: silent.  The same id from another source is another event.
	run -0 --separate-stderr evlog append -q l <in
	assert_equal "$stderr" ''
	assert_output ''
	sed 's|"source":"[^"]*"|"source":"//elsewhere"|' in | evlog append l >/dev/null
	assert_equal "$(wc -l <l)" 12
	# The key is the decoded strings: an escaped spelling is the same id.
	id=$(jq -r .id new)
	jq -c --arg id "$id" '.id = $id' new | sed "s/\"${id:0:1}/\"\\\\u00${id:0:1}/; s/\\\\u00\(.\)/\\\\u003\1/" >esc
	grep -q '\\u' esc
	run -0 --separate-stderr evlog append l <esc
	assert_output ''
	run -0 evlog verify l
}

@test "idempotence within one group commit, which is indexed piece by piece as it is written: repeats in a later piece and in the same one" {
	# Events of 4 KiB: a group of 8 MiB, written and indexed in pieces of
	# 128 KiB (32 events).  The first event again 100 events on, the
	# 100th right after itself, the 105th five events on.
	bigevents | head -110 >all
	{ head -100 all; sed -n 1p all; sed -n 100p all; sed -n '101,110p' all
	  sed -n 105p all; } >in
	run -0 --separate-stderr evlog append l <in
	assert_equal "$(wc -l <l)" 110
	assert_equal "$(jq -r .id l)" "$(jq -r .id all)"
	assert_equal "$(grep -c 'in the log already' <<<"$stderr")" 3
	[[ $stderr == *"stdin:101: source and id are in the log already, as sequence 1:"* ]]
	[[ $stderr == *"stdin:102: source and id are in the log already, as sequence 100:"* ]]
	[[ $stderr == *"stdin:113: source and id are in the log already, as sequence 105:"* ]]
	# And the index the append left says so too.
	run -0 --separate-stderr evlog append l < <(sed -n '2p;50p;110p' all)
	assert_equal "$(grep -c 'in the log already' <<<"$stderr")" 3
	run -0 evlog verify l
}

@test "a write that fails in the middle of a group, after pieces of it were indexed: nothing of the group stays, and a retry stores every event not acknowledged, once" {
	need_fault
	bigevents >in
	for n in 5 300; do
		rm -f l l.idx
		status=0
		FAULT_CALL=write FAULT_N=$n LD_PRELOAD=$FAULT evlog append l <in >ack 2>err || status=$?
		[ "$status" -eq 1 ] || { echo "write #$n: status $status"; return 1; }
		cmp ack <(head -n "$(wc -l <ack)" l) || { echo "write #$n: acknowledged but not stored"; return 1; }
		# The groups before the failed one stay (acknowledged, or
		# durable and not yet acknowledged when it ended); of the
		# failed one nothing, in the log or in its index: the retry
		# finds what stayed, and stores all the rest.
		kept=$(wc -l <l)
		# Write 5 is in the first group (64 pieces), 300 in a later one.
		if [ "$n" -le 5 ]; then
			[ "$kept" -eq 0 ] || { echo "write #$n: $kept events of the failed group stayed"; return 1; }
		fi
		# The retry's 40 MB of acknowledgements to a file: bats's run
		# would split them into lines in the shell.
		status=0
		evlog append l <in >ack2 2>err2 || status=$?
		[ "$status" -eq 0 ] || { echo "retry after write #$n: status $status"; cat err2; return 1; }
		assert_equal "$(grep -c 'in the log already' err2)" "$kept"
		assert_equal "$(wc -l <l)" 10000
		run -0 evlog verify l
		# Every event, once, in the order given: the log's ids (each
		# line's second member) are the input's.
		for f in l in; do
			cut -c1-100 "$f" | grep -o '^{"specversion":"1.0","id":"[^"]*"' >"$f.ids"
		done
		assert_equal "$(wc -l <in.ids)" 10000
		cmp l.ids in.ids || { echo "write #$n: the log's ids are not the input's"; return 1; }
	done
}

@test "idempotence holds for the whole log, through a missing, damaged or foreign index" {
	events 3000 >in
	evlog append l <in >/dev/null
	[ -f l.idx ]
	# No index: rebuilt from the log.
	rm l.idx
	run -0 --separate-stderr evlog append l <in
	assert_output ''
	assert_equal "$(grep -c 'in the log already' <<<"$stderr")" 3000
	# Damaged: garbage over its header and tables.
	dd if=/dev/urandom of=l.idx bs=4096 count=8 conv=notrunc 2>/dev/null
	run -0 --separate-stderr evlog append l < <(head -1000 in)
	assert_output ''
	# Another log's index in its place: not trusted.
	events 10 | evlog append other >/dev/null
	cp other.idx l.idx
	run -0 --separate-stderr evlog append l < <(tail -1 in)
	assert_output ''
	# Truncated index file.
	truncate -s 100 l.idx
	run -0 --separate-stderr evlog append l < <(tail -1 in)
	assert_output ''
	run -0 evlog verify l
	assert_equal "$(wc -l <l)" 3000
	# A symlink where the index belongs is not followed.
	rm l.idx
	ln -s /etc/passwd l.idx
	cp /etc/passwd passwd.before
	run -0 --separate-stderr evlog append l < <(tail -1 in)
	assert_output ''
	cmp /etc/passwd passwd.before
}

#
# append --expect: optimistic concurrency per subject
#

@test "--expect: appended only when the subject has that many events now" {
	e() { evpub -t acct.deposited -S "$1" amount:=1; }
	run -0 --separate-stderr evlog append --expect 0 l < <(e acct/1)
	assert_equal "$(seqs <<<"$output")" "000000000001 "
	e acct/2 | evlog append l >/dev/null
	# acct/1 has 1 event: --expect 0 fails, nothing written, status 4.
	cp l before
	run -4 --separate-stderr evlog append --expect 0 l < <(e acct/1)
	assert_equal "$stderr" 'evlog append: l: subject "acct/1" has 1 event, not 0: nothing is appended'
	assert_output ''
	cmp l before
	run -4 evlog append --expect 2 l < <(e acct/1)
	cmp l before
	# Several events of one subject: all or nothing, counted as one step.
	run -0 --separate-stderr evlog append --expect 1 l < <(e acct/1; e acct/1; e acct/1)
	assert_equal "$(seqs <<<"$output")" "000000000003 000000000004 000000000005 "
	run -0 evlog append --expect 4 l < <(e acct/1)
	# Mixed subjects, or none: status 3, nothing.
	cp l before
	run -3 --separate-stderr evlog append --expect 5 l < <(e acct/1; e acct/2)
	[[ $stderr == *"stdin:2: --expect: not the subject of the first event"* ]]
	run -3 --separate-stderr evlog append --expect 0 l < <(evpub -t t amount:=1)
	[[ $stderr == *"stdin:1: --expect: no subject"* ]]
	run -3 evlog append --expect 5 l < <(e acct/1; echo garbage)
	cmp l before
	# A whole append sent again after it succeeded: a no-op, status 0.
	e acct/3 >once
	run -0 evlog append --expect 0 l <once
	run -0 --separate-stderr evlog append --expect 0 l <once
	assert_output ''
	[[ $stderr == *"in the log already"* ]]
	run -0 evlog verify l
}

@test "--expect under contention: of 8 writers that saw the same version, one wins" {
	e() { evpub -t acct.deposited -S acct/9 amount:=1; }
	for round in 0 1 2 3 4; do
		pids=()
		for w in 1 2 3 4 5 6 7 8; do
			( st=0; e | evlog append --expect "$round" l >/dev/null 2>&1 || st=$?; echo "$st" >"st.$round.$w" ) &
			pids+=($!)
		done
		for p in "${pids[@]}"; do wait "$p"; done
		assert_equal "$(cat st."$round".* | sort | tr '\n' ' ')" "0 4 4 4 4 4 4 4 "
	done
	assert_equal "$(wc -l <l)" 5
	run -0 evlog verify l
}

#
# append: concurrent appenders, readers beside a long append, kill -9
#

@test "a log removed or replaced under a running append: it stops, status 1, and acknowledges nothing more" {
	# It went on appending to the file no name reached, and acknowledged
	# each event with a sequence: every one of them lost.
	events 3 >in3
	for how in rm mv; do
		rm -f a.log a.old acks err fifo
		mkfifo fifo
		exec 7<>fifo	# a writer, so that opening it to read does not wait
		sh -c 'exec evlog append a.log <fifo >acks 2>err' 7>&- &
		pid=$!
		sed -n 1p in3 >&7
		for _ in $(seq 200); do [ -s acks ] && break; sleep 0.05; done
		assert_equal "$(seqs acks)" "000000000001 "
		if [ "$how" = rm ]; then
			rm a.log
		else
			mv a.log a.old
			cp a.old a.log
		fi
		sed -n 2p in3 >&7
		for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		exec 7>&-
		st=0
		wait "$pid" || st=$?
		assert_equal "$st" 1
		assert_equal "$(seqs acks)" "000000000001 "
		assert_equal "$(cat err)" "evlog append: a.log: removed or replaced since it was opened: nothing more is appended to it"
	done
	# The copy put in its place takes appends as any log.
	events 2 >in2
	run -0 evlog append a.log <in2
	assert_equal "$(seqs <<<"$output")" "000000000002 000000000003 "
}

@test "4 processes appending 25,000 events each at once: 1..100000 exactly once" {
	for w in 1 2 3 4; do
		yes "{\"w\":$w}" | head -25000 | evpub -l -t x >"in$w"
	done
	pids=()
	for w in 1 2 3 4; do
		evlog append l <"in$w" >"ack$w" &
		pids+=($!)
	done
	wait "${pids[@]}"
	run -0 evlog verify l
	assert_equal "$(wc -l <l)" 100000
	cmp <(jq -r .sequence l) <(seq -f '%012g' 100000)
	for w in 1 2 3 4; do
		assert_equal "$(grep -c "\"w\":$w}" l)" 25000
		assert_equal "$(wc -l <"ack$w")" 25000
	done
}

@test "a long append lets readers in between its group commits" {
	need_fault
	# Six group commits on a disk where each fsync takes 2 s: the
	# pipeline never runs dry, and still lets go of the lock.  The append
	# takes 12 s at least, so that a reader that got in only after it is
	# told from one slowed by a loaded machine (0.4 s each was not).
	bigevents >in
	FAULT_SLOW=2000000 LD_PRELOAD=$FAULT evlog append l <in >/dev/null &
	pid=$!
	for _ in $(seq 100); do [ -s l ] && break; sleep 0.05; done
	# A reader takes the lock shared: it gets in, and sees only what is
	# durable, while the append goes on.
	got=$(evlog cat l | wc -l)
	kill -0 "$pid" || { echo "the reader got in only after the append"; return 1; }
	[ "$got" -lt 10000 ]
	wait "$pid"
	run -0 evlog verify l
	assert_equal "$(wc -l <l)" 10000
}

@test "kill -9 at random moments during append --sync event: nothing acknowledged is lost" {
	events 1000 >in
	# The moments are drawn over the time a whole run takes on this
	# machine: a fixed 0-10 ms met no write at all under the sanitizers,
	# whose programs take longer than that to start.
	t0=$(date +%s%N)
	evlog append --sync event whole <in >/dev/null
	span=$((($(date +%s%N) - t0) / 1000))
	# Up to 80 runs, as many as 60 s allow: with the suite's other
	# tests fsyncing beside it a run took ten times as long in CI, and
	# 80 of them passed the test's time limit.
	deadline=$((SECONDS + 60)) kills=0
	for run in $(seq 80); do
		[ "$SECONDS" -lt "$deadline" ] || break
		at=$(((RANDOM * 32768 + RANDOM) % span))
		evlog append --sync event l <in >ack 2>/dev/null &
		pid=$!
		sleep "$((at / 1000000)).$(printf %06d $((at % 1000000)))"
		killed "$pid"
		kills=$((kills + 1))
		evlog verify l >/dev/null 2>&1 || evlog repair l >/dev/null 2>&1
		evlog verify l >/dev/null || { echo "run $run: verify fails after repair"; return 1; }
		# Every acknowledged line is in the log, as it was acknowledged.
		grep -c . ack >/dev/null || continue
		sed '$!b;/}$/!d' ack >acked
		grep -Fxf acked l | wc -l >n
		[ "$(cat n)" -eq "$(wc -l <acked)" ] || { echo "run $run: acknowledged events missing"; return 1; }
	done
	echo "# a whole run: $span us; $kills kills" >&3
	[ "$kills" -ge 10 ]
	[ "$(wc -l <l)" -gt 0 ]
	# Every run sent the same events: whatever state a kill left the
	# index in, none got in twice.
	run -0 bash -c "jq -r .id l | sort | uniq -d"
	assert_output ''
	# And one run to the end completes the set, in order of first arrival.
	evlog append l <in >/dev/null 2>&1
	assert_equal "$(jq -r .id l | sort)" "$(jq -r .id in | sort)"
	run -0 evlog verify l
}

#
# append: I/O errors at every call in turn (the fault shim), a full disk
#

@test "the I/O error loop: write and fsync fail at every call in turn" {
	need_fault
	events 5 >in
	for call in write fsync; do
		# How many calls a clean run makes, on a log as the loop's (not
		# empty: an empty one has its directory made durable too).
		rm -f l
		events 2 | evlog append l >/dev/null
		FAULT_CALL=$call FAULT_COUNT=count LD_PRELOAD=$FAULT evlog append --sync event l <in >/dev/null
		total=$(cat count)
		[ "$total" -ge 5 ]
		for n in $(seq "$total"); do
			rm -f l
			events 2 | evlog append l >/dev/null
			cp l before
			status=0
			FAULT_CALL=$call FAULT_N=$n LD_PRELOAD=$FAULT evlog append --sync event l <in >ack 2>err || status=$?
			[ "$status" -eq 1 ] || { echo "$call #$n: status $status"; return 1; }
			grep -q '^evlog append: ' err || { echo "$call #$n: no message"; return 1; }
			evlog verify l >/dev/null || { echo "$call #$n: log not valid"; return 1; }
			# The old events are still there, and every acknowledged one.
			cmp <(head -2 l) before
			if [ -s ack ]; then
				grep -Fxf ack l | wc -l >got
				[ "$(cat got)" -eq "$(wc -l <ack)" ] || { echo "$call #$n: acknowledged but missing"; return 1; }
			fi
		done
	done
}

@test "the pipelined append (--sync batch): writes (in and between batches) and every fsync fail in turn, with batches in flight" {
	need_fault
	# Six group commits: one is written while the one before is made
	# durable.
	bigevents >in
	for call in write fsync; do
		rm -f l l.idx
		FAULT_CALL=$call FAULT_COUNT=count LD_PRELOAD=$FAULT evlog append l <in >/dev/null
		total=$(cat count)
		# Six batches of up to 8 MiB, each written in pieces of 128 KiB:
		# more than 300 writes.  Each fsync takes what is written by
		# then, so how many there are is up to the timing, but at least
		# one follows another.  Every fsync fails in turn; of the writes,
		# every 23rd (a failure in the middle of a batch, whose pieces
		# before must be taken back), the first three and the last.
		if [ "$call" = write ]; then
			[ "$total" -ge 300 ]
			calls=$( { seq 3; seq 23 23 "$total"; echo "$total"; } | sort -nu)
		else
			[ "$total" -ge 2 ]
			calls=$(seq "$total")
		fi
		for n in $calls; do
			rm -f l l.idx
			events 2 | evlog append l >/dev/null
			cp l before
			status=0
			FAULT_CALL=$call FAULT_N=$n FAULT_COUNT=count LD_PRELOAD=$FAULT evlog append l <in >ack 2>err || status=$?
			if [ "$(cat count)" -lt "$n" ]; then
				# One fsync made more batches durable this time
				# than in the counting run: no call $n to fail.
				[ "$status" -eq 0 ] && [ "$(wc -l <ack)" -eq 10000 ] || { echo "$call #$n: status $status without a fault"; return 1; }
			else
				[ "$status" -eq 1 ] || { echo "$call #$n: status $status"; return 1; }
				grep -Eq '^evlog append: (l|stdout): ' err || { echo "$call #$n: no message"; cat err; return 1; }
			fi
			evlog verify l >/dev/null || { echo "$call #$n: log not valid"; return 1; }
			# The old events are there, then every acknowledged one,
			# in order; when an fsync failed, nothing else.
			cmp <(head -2 l) before
			cmp ack <(tail -n +3 l | head -n "$(wc -l <ack)") || { echo "$call #$n: acknowledged but not stored"; return 1; }
			if [ "$call" = fsync ]; then
				cmp l <(cat before ack) || { echo "fsync #$n: the log holds what was not durable"; return 1; }
			fi
			# The next append finds the index sound (or rebuilds it).
			run -0 evlog append --expect 2 l < <(events 1)
		done
	done
}

@test "stdout going away mid-append, then an fsync failing: nothing acknowledged is lost" {
	need_fault
	bigevents >in
	# The reader of the acknowledgements leaves after 100 bytes; the
	# groups still in the pipeline are not written, and an fsync with
	# nothing new to make durable must not cut the log anywhere.
	for n in 2 3 4 5; do
		rm -f l l.idx
		events 2 | evlog append l >/dev/null
		FAULT_CALL=fsync FAULT_N=$n LD_PRELOAD=$FAULT evlog append l <in 2>err | head -c 100 >got
		evlog verify l >/dev/null || { echo "#$n: log not valid"; return 1; }
		[ "$(wc -l <l)" -ge 3 ] || { echo "#$n: the acknowledged group is gone"; return 1; }
		cmp got <(tail -n +3 l | head -c 100) || { echo "#$n: acknowledged, not stored"; return 1; }
	done
}

@test "rename failing (the index cannot be put in place): appends go on, the index is rebuilt" {
	need_fault
	events 600 >in
	rm -f l l.idx
	FAULT_CALL=rename FAULT_COUNT=count LD_PRELOAD=$FAULT evlog append --sync event l <in >/dev/null
	total=$(cat count)
	[ "$total" -ge 2 ]	# made, then grown
	for n in $(seq "$total"); do
		rm -f l l.idx
		run -0 --separate-stderr env FAULT_CALL=rename FAULT_N=$n LD_PRELOAD="$FAULT" evlog append --sync event l <in
		assert_equal "${#lines[@]}" 600
		[[ $stderr == *"l.idx: rename: "* ]] || { echo "#$n: no warning: $stderr"; return 1; }
		run -0 evlog verify l
		# The index on disk is behind or missing: the next append
		# rebuilds or catches it up, and still knows every event.
		run -0 --separate-stderr evlog append l <in
		assert_output ''
		assert_equal "$(grep -c 'in the log already' <<<"$stderr")" 600
	done
}

@test "a full disk: a clear error, the log valid, nothing acknowledged lost" {
	events 100 | evlog append l >/dev/null
	size=$(stat -c %s l)
	events 1000 >in
	run -1 --separate-stderr bash -c "ulimit -f $(( (size + 20000) / 1024 )); evlog append --sync batch l <in >ack"
	[[ $stderr == *"evlog append: l: append (nothing of this batch is stored): File too large"* ]]
	run -0 evlog verify l
	if [ -s ack ]; then
		assert_equal "$(grep -Fxf ack l | wc -l)" "$(wc -l <ack)"
	fi
	[ "$(wc -l <l)" -ge 100 ]
}

@test "a disk that fills while the index grows: the index stays in memory, no crash, nothing lost" {
	events 20000 >in
	mkdir m
	if mount -t tmpfs -o size=2m tmpfs m 2>/dev/null; then
		# Room for the log of about 8000 events, not for the index too.
		run --separate-stderr bash -c "head -8100 in | evlog append m/l >ack"
		umount_later=m
	else
		# No tmpfs here: a file size limit makes the same failure.
		run --separate-stderr bash -c "ulimit -f 2048; head -8100 in | evlog append m/l >ack"
	fi
	# The log took what it could: either all of it, with the index kept
	# in memory (status 0, a warning), or an error for the group that did
	# not fit (status 1).  Never a crash (a signal: status above 128).
	[ "$status" -le 1 ] || { echo "status $status: $stderr"; return 1; }
	[ "$status" -eq 1 ] || [[ $stderr == *"kept in memory"* ]] || { echo "$stderr"; return 1; }
	run -0 evlog verify m/l
	assert_equal "$(grep -Fxf ack m/l | wc -l)" "$(wc -l <ack)"
	[ ! -e m/l.idx.tmp ]
	if [ -n "${umount_later-}" ]; then umount m; fi
}

#
# cat: replay, ranges of sequences and times, -f
#

@test "cat replays; --from, --to and -n pick a range" {
	events 300 | evlog append l >/dev/null
	run -0 evlog cat l
	cmp <(printf '%s\n' "$output") l
	run -0 evlog cat --from 298 l
	assert_equal "$(seqs <<<"$output")" "000000000298 000000000299 000000000300 "
	run -0 evlog cat --from 10 --to 12 l
	assert_equal "$(seqs <<<"$output")" "000000000010 000000000011 000000000012 "
	run -0 evlog cat -n 2 l
	assert_equal "$(seqs <<<"$output")" "000000000299 000000000300 "
	run -0 evlog cat --from 301 l
	assert_output ''
	run -0 evlog cat -n 1000 l
	assert_equal "${#lines[@]}" 300
}

@test "events longer than the replay buffer are replayed whole" {
	pad=$(head -c 3000000 /dev/zero | tr '\0' p)
	{ events 1; printf '{"specversion":"1.0","type":"t","source":"s","id":"big","data":"%s"}\n' "$pad"; events 1; } >in
	evlog append --max-size 4M l <in >/dev/null
	run -0 bash -c 'evlog cat l | cmp - l && evlog cat --from 2 --to 2 l | jq -r .id'
	assert_output big
}

@test "--from in the middle of a large log seeks, and agrees with a full replay" {
	yes '{"pad":"0123456789012345678901234567890123456789"}' | head -50000 |
	    evpub -l -t x | evlog append l >/dev/null
	for from in 1 2 777 25000 49999 50000; do
		cmp <(evlog cat --from "$from" l) <(tail -n "+$from" l)
	done
}

@test "--since and --until: a half-open range of times, also out of order, through the index" {
	# 3000 events, times shuffled over a day, some without a time:
	# blocks of 256 are skipped by the index, the rest checked.
	for i in $(seq 0 2999); do
		h=$(( (i * 7919) % 24 )); m=$(( (i * 104729) % 60 ))
		printf '{"specversion":"1.0","id":"%d","source":"s","type":"t","time":"2026-03-01T%02d:%02d:00Z"}\n' "$i" "$h" "$m"
	done >in
	sed -i '500s/,"time":"[^"]*"//; 1700s/,"time":"[^"]*"//' in
	evlog append l <in >/dev/null
	check() {
		evlog cat "$@" l | jq -r .id >got
		cmp got want || { echo "cat $*: differs from jq"; diff got want | head; return 1; }
	}
	jq -r 'select(.time != null and .time >= "2026-03-01T06:00:00Z" and .time < "2026-03-01T07:30:00Z") | .id' l >want
	[ -s want ]
	check --since 2026-03-01T06:00:00Z --until 2026-03-01T07:30:00Z
	# The same instants written with an offset.
	check --since 2026-03-01T07:00:00+01:00 --until 2026-03-01T02:30:00-05:00
	jq -r 'select(.time != null and .time >= "2026-03-01T23:00:00Z") | .id' l >want
	check --since 2026-03-01T23:00:00Z
	jq -r 'select(.time != null) | .id' l >want
	check --since 2026-03-01
	: >want
	check --until 2026-03-01
	# With a range of sequences too; and without the index, the same.
	jq -r 'select(.time != null and .time < "2026-03-01T12:00:00Z" and (.sequence|tonumber) >= 1000 and (.sequence|tonumber) <= 2100) | .id' l >want
	check --from 1000 --to 2100 --until 2026-03-01T12:00:00Z
	rm l.idx
	check --from 1000 --to 2100 --until 2026-03-01T12:00:00Z
}

@test "cat -n N is the last N events there are when it starts, while appenders go on" {
	# The property tests' (prop.bats) reading of the last event got 8
	# while appenders appended; here 36 of 300 got 9 to 33.
	events 300 | evlog append l >/dev/null
	# Two appenders of 8 events at a time, from a pool made
	# beforehand (an evpub per append would take more of the machine
	# than the appends): each the next of its half of the pool.  (One
	# appender alone is enough to be caught: 12% of readings were
	# wrong with three.)
	events 16000 | split -l 8 -a 4 -d - chunk.
	aps=
	for j in 0 1; do
		( for f in chunk.*; do
			[ $((10#${f#chunk.} % 2)) -eq "$j" ] || continue
			evlog append l <"$f" >/dev/null 2>&1
		done ) &
		aps="$aps $!"
	done
	bad=
	before=$(wc -l <l)
	for i in $(seq 100); do
		n=$(evlog cat -n 1 l | wc -l)
		[ "$n" = 1 ] || bad="$bad $n"
		n=$(evlog cat -n 300 l | wc -l)
		[ "$n" = 300 ] || bad="$bad $n"
	done
	after=$(wc -l <l)
	kill $aps 2>/dev/null || :  # honest: cleanup; they may have ended (their pool used up)
	for p in $aps; do exited "$p" 143 0; done
	[ -z "$bad" ] || { echo "-n 1 and -n 300 gave:$bad"; return 1; }
	# The appenders went on while the log was read.
	[ "$after" -gt "$before" ] || { echo "no append while reading: $before, then $after events"; return 1; }
	# An empty log: nothing.
	: >empty
	run -0 evlog cat -n 1 empty
	assert_output ''
}

@test "cat -f follows appends, and reports a truncated log" {
	events 1 | evlog append l >/dev/null
	evlog cat -f l >out 2>err &
	pid=$!
	events 2 | evlog append l >/dev/null
	for i in $(seq 50); do [ "$(wc -l <out)" -ge 3 ] && break; sleep 0.1; done
	assert_equal "$(seqs out)" "000000000001 000000000002 000000000003 "
	: >l
	for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	run wait "$pid"
	assert_equal "$status" 1
	assert_equal "$(cat err)" "evlog cat: l: truncated below what was read: a log only grows"
}

@test "cat -f --from past the end of a log the index covers delivers what is appended after it starts" {
	# 500 events: the index covers whole blocks, and a follower that
	# started past them counted the new lines from 1 (issue 26).
	events 500 | evlog append l >/dev/null
	for from in 501 503; do
		evlog cat -f --from "$from" l >out.$from 2>err.$from &
		pids="${pids-} $!"
	done
	# Both wait (their inotify watch is set) before the append.
	for p in $pids; do
		for i in $(seq 200); do
			ls -l /proc/"$p"/fd 2>/dev/null | grep -q inotify && break
			sleep 0.05
		done
	done
	events 5 | evlog append l >/dev/null
	for i in $(seq 200); do
		[ "$(wc -l <out.501)" -ge 5 ] && [ "$(wc -l <out.503)" -ge 3 ] && break
		sleep 0.05
	done
	kill $pids
	assert_equal "$(seqs out.501)" "000000000501 000000000502 000000000503 000000000504 000000000505 "
	assert_equal "$(seqs out.503)" "000000000503 000000000504 000000000505 "
}

@test "readers never see a group that is not yet durable (it may be taken back)" {
	events 2 | evlog append l >/dev/null
	cp l committed
	line=$(events 1 | sed 's/}$/,"sequence":"000000000003"}/')
	# An appender's window: under the lock, written, not yet fsynced,
	# then taken back.
	# The window stays open until the reader has read (10 s at most).
	flock -x l -c "printf '%s\n' '$line' >>l
	    for i in \$(seq 200); do [ -e read ] && break; sleep 0.05; done
	    truncate -s $(stat -c %s committed) l" &
	pid=$!
	for _ in $(seq 200); do
		[ "$(stat -c %s l)" -gt "$(stat -c %s committed)" ] && break
		sleep 0.05
	done
	[ "$(stat -c %s l)" -gt "$(stat -c %s committed)" ] ||
	    { echo "the appender's line never came"; return 1; }
	run -0 evlog cat l
	touch read
	cmp <(printf '%s\n' "$output") committed
	wait "$pid"
	cmp l committed
}

#
# verify and stats
#

@test "verify finds gaps, disorder and damage, with offsets; status 4" {
	events 4 | evlog append l >/dev/null
	sed 3d l >gap
	run -4 evlog verify gap
	assert_line -n 0 --regexp '^evlog verify: gap: line 3, offset [0-9]+: sequence 4, expected 3$'
	{ head -1 l; echo garbage; tail -3 l; } >bad
	run -4 evlog verify bad
	assert_output --partial 'line 2, offset'
	assert_output --partial 'invalid JSON'
}

@test "verify names a line without a sequence" {
	events 1 | evlog append l >/dev/null
	evpub -t x >>l
	run -4 evlog verify l
	assert_line -n 0 --regexp 'line 2, offset [0-9]+: no sequence$'
}

@test "stats: events, bytes, first and last, per type; --json" {
	{ events 2 a.b; events 1 c.d; } | evlog append l >/dev/null
	run -0 evlog stats --json l
	run -0 jq -c '[.events, .bytes, .first, .last, .types]' <<<"$output"
	assert_output "[3,$(stat -c %s l),1,3,{\"a.b\":2,\"c.d\":1}]"
	run -0 evlog stats l
	assert_line -n 0 'events     3'
	# A type that needs escaping stays valid JSON.
	evpub -t 'say"hi\' | evlog append l >/dev/null
	run -0 evlog stats --json l
	assert_equal "$(jq -r '.types | keys[0]' <<<"$output")" 'a.b'
	assert_equal "$(jq -r '.types["say\"hi\\"]' <<<"$output")" 1
}

@test "stats: the last time is the last event's; a type that could drive a terminal never gets into the log" {
	# A type with an escape is no CloudEvents String: append refuses it.
	printf '%s\n' '{"specversion":"1.0","type":"a","source":"s","id":"1","time":"2024-01-01T00:00:00Z"}' \
	    '{"specversion":"1.0","type":"b\u001b[31m","source":"s","id":"2"}' >in
	run -3 evlog append l <in
	assert_output --partial 'stdin:2: type: U+001B'
	sed -i '2s/\\u001b\[31m//' in
	evlog append l <in >/dev/null
	run -0 evlog stats --json l
	assert_equal "$(jq -r '.firsttime + "|" + .lasttime' <<<"$output")" '2024-01-01T00:00:00Z|'
	run -0 evlog stats l
	assert_line 'type       1  b'
}

#
# repair: a torn last line, and files that are no log
#

@test "cat ignores a torn last line; verify reports it; repair cuts it and nothing else" {
	events 3 | evlog append l >/dev/null
	cp l whole
	printf '{"specversion":"1.0","ty' >>l
	run -0 evlog cat l
	cmp <(printf '%s\n' "$output") whole
	run -4 evlog verify l
	assert_output "evlog verify: l: a torn last line of 24 bytes at offset $(stat -c %s whole) (evlog repair cuts it)"
	run -0 evlog repair l
	assert_output "evlog repair: l: cut a torn last line of 24 bytes at offset $(stat -c %s whole)"
	cmp l whole
	run -0 evlog verify l
	run -0 evlog repair l
	assert_output ''
}

@test "the next append repairs a torn line first, by itself" {
	events 2 | evlog append l >/dev/null
	printf '{"specv' >>l
	run -0 --separate-stderr evlog append l < <(events 1)
	[[ $stderr == "evlog append: l: cut a torn last line of 7 bytes at offset "* ]]
	assert_equal "$(seqs l)" "000000000001 000000000002 000000000003 "
	run -0 evlog verify l
}

@test "garbage, another tool's file, a symlink: refused, never repaired into loss" {
	printf 'hello\nworld\n' >g
	cp g g.orig
	run -1 evlog append g < <(events 1)
	assert_output --partial 'not an evlog log'
	run -4 evlog repair g
	cmp g g.orig
	evpub -t x >plain
	cp plain plain.orig
	run -1 evlog append plain < <(events 1)
	assert_output --partial 'has no sequence'
	cmp plain plain.orig
	events 1 | evlog append real >/dev/null
	ln -s real link
	run -1 evlog append link < <(events 1)
	assert_output 'evlog append: link: a symlink: refused (name the log itself)'
	assert_equal "$(wc -l <real)" 1
	mkdir d
	run -1 evlog append d < <(events 1)
}

#
# revert
#

@test "revert appends the opposite: reverts=ID, numbers negated, strings kept" {
	evpub -t account.deposited -S account/7 --id d1 amount:=100 'fees:=[1.5,-2,0,{"x":3e2}]' note="lot 42" |
	    evlog append l >/dev/null
	run -0 evlog revert l d1
	run -0 jq -c '[.type, .subject, .reverts, .data, .sequence]' <<<"$output"
	assert_output '["account.deposited","account/7","d1",{"amount":-100,"fees":[-1.5,2,0,{"x":-300}],"note":"lot 42"},"000000000002"]'
	run -0 evlog verify l
	run -4 evlog revert l d1
	assert_output 'evlog revert: l: event "d1" is reverted already'
	run -1 evlog revert l nope
	assert_output 'evlog revert: l: no event with id "nope"'
	assert_equal "$(wc -l <l)" 2
	run -2 evlog revert --json l d1
}

@test "revert: an event is its source and id; -s names the source, required when the id is ambiguous" {
	{
		evpub -t a.paid -s //s --id a1 amount:=10
		evpub -t a.paid -s //other --id a1 amount:=20
		evpub -t a.paid -s //s --id b1 amount:=5
	} | evlog append l >/dev/null
	run -2 --separate-stderr evlog revert l a1
	assert_equal "$stderr" 'evlog revert: l: id "a1" is in the log from 2 sources, //s and //other: name one with -s'
	assert_output ''
	assert_equal "$(wc -l <l)" 3
	run -0 evlog revert -s //other l a1
	run -0 jq -c '[.source, .reverts, .data.amount]' <<<"$output"
	assert_output '["//other","a1",-20]'
	run -0 evlog revert --source //s l a1
	run -0 jq -c '[.source, .reverts, .data.amount]' <<<"$output"
	assert_output '["//s","a1",-10]'
	# Each is reverted once, on its own.
	run -4 evlog revert -s //s l a1
	assert_output 'evlog revert: l: event "a1" from //s is reverted already'
	run -4 evlog revert -s //other l a1
	run -1 evlog revert -s //nowhere l a1
	assert_output 'evlog revert: l: no event with id "a1" from source //nowhere'
	# An id of one source needs no -s.
	run -0 evlog revert l b1
	run -4 evlog revert l b1
	assert_output 'evlog revert: l: event "b1" is reverted already'
	run -2 evlog cat -s //s l
}

#
# the index: seeks, other writers, damage
#

@test "--from goes through the index, and agrees with the bisection without it" {
	events 2000 >in
	evlog append l <in >/dev/null
	for from in 1 2 255 256 257 1000 1999 2000 2001; do
		evlog cat --from "$from" l >a
		mv l.idx idx.keep
		evlog cat --from "$from" l >b
		mv idx.keep l.idx
		cmp a b
		[ "$(wc -l <a)" -eq $(( from > 2000 ? 0 : 2001 - from )) ]
	done
}

@test "--since skips what the index rules out: events in time order, a late start" {
	for i in $(seq 0 5999); do
		printf '{"specversion":"1.0","id":"%d","source":"s","type":"t","time":"2026-03-01T%02d:%02d:%02dZ"}\n' "$i" $((i / 3600)) $((i / 60 % 60)) $((i % 60))
	done >in
	evlog append l <in >/dev/null
	run -0 evlog cat --since 2026-03-01T01:39:50Z l
	assert_equal "${#lines[@]}" 10
	assert_equal "$(jq -r .id <<<"${lines[0]}")" 5990
	# The index made that a seek: strace shows it read a few blocks, not the log.
	if command -v strace >/dev/null; then
		# (LeakSanitizer cannot run under ptrace: make check.)
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			strace -f -e trace=pread64,read -o trace evlog cat --since 2026-03-01T01:39:50Z l >/dev/null
		read_bytes=$(grep -E '^[0-9]+ +pread64\(' trace | sed 's/.*= //' | paste -sd+ | bc)
		[ "$read_bytes" -lt $(( $(stat -c %s l) / 4 )) ] || { echo "read $read_bytes bytes"; return 1; }
	fi
}

@test "the index follows appends by other writers and by revert" {
	events 300 >in
	head -100 in | evlog append l >/dev/null
	# An appender that has the log open before others append and grow
	# it and its index, and appends after them (its input waits for go).
	( for _ in $(seq 200); do [ -e go ] && break; sleep 0.05; done
	  tail -200 in ) | evlog append l >/dev/null &
	pid=$!
	for _ in $(seq 200); do
		[ -n "$(find /proc/"$pid"/fd -lname "$PWD/l" 2>/dev/null)" ] && break
		sleep 0.05
	done
	[ -n "$(find /proc/"$pid"/fd -lname "$PWD/l" 2>/dev/null)" ] ||
	    { echo "the first appender never opened the log"; return 1; }
	for i in 1 2 3; do events 500 | evlog append l >/dev/null; done
	touch go
	wait "$pid"
	run -0 --separate-stderr evlog append l <in
	assert_output ''
	assert_equal "$(grep -c 'in the log already' <<<"$stderr")" 300
	id=$(jq -r .id <<<"$(sed -n 5p in)")
	run -0 evlog revert l "$id"
	run -0 --separate-stderr evlog append l < <(evlog cat -n 1 l | jq -c 'del(.sequence)')
	assert_output ''
	run -0 evlog verify l
}

@test "repair rebuilds an index whose tables were damaged behind a sound header" {
	events 500 >in
	evlog append l <in >/dev/null
	# Zero the tables, keep the header: nothing can tell, until repair.
	size=$(stat -c %s l.idx)
	dd if=/dev/zero of=l.idx bs=4096 seek=1 count=$(( size / 4096 - 1 )) conv=notrunc 2>/dev/null
	run -0 evlog repair l
	run -0 --separate-stderr evlog append l <in
	assert_output ''
	assert_equal "$(grep -c 'in the log already' <<<"$stderr")" 500
	run -0 evlog cat --from 300 l
	assert_equal "${#lines[@]}" 201
}

@test "a log written over in place (same file, other bytes): its index is not trusted" {
	events 1000 >a
	evlog append x <a >/dev/null
	for i in $(seq 3000); do printf '{"specversion":"1.0","id":"longer-id-%06d","source":"//elsewhere","type":"t","time":"2024-01-01T00:00:%02dZ"}\n' "$i" $((i % 60)); done >b
	evlog append y <b >/dev/null
	cat y >x
	run -0 evlog cat --from 600 x
	assert_equal "$(jq -r .sequence <<<"${lines[0]}")" 000000000600
	assert_equal "${#lines[@]}" 2401
	run -0 evlog cat --since 2024-01-01T00:00:30Z --until 2024-01-01T00:00:31Z x
	assert_equal "${#lines[@]}" 50
	# And an appender rebuilds it: the old events are not "in the log".
	run -0 --separate-stderr evlog append x <a
	assert_equal "${#lines[@]}" 1000
	run -0 evlog verify x
}

#
# usage
#

@test "the usage lines are the man page's SYNOPSIS" {
	run -0 synopsis_is_usage evlog
}

@test "usage errors exit 2" {
	run -2 evlog
	run -2 evlog frobnicate l
	assert_output --partial 'not a command'
	run -2 evlog cat
	assert_output --partial 'one log is needed'
	run -2 evlog cat --from 0 l
	run -0 evlog --help
	assert_line -n 0 'usage: evlog append [-q] [--bus url] [--creds file] [--expect count]'
	run -2 evlog append --expect -1 l
	run -2 evlog cat --since yesterday l
	assert_output --partial 'not an RFC 3339 time, a date (YYYY-MM-DD), @EPOCH seconds (@EPOCHms, s@EPOCHMS: milliseconds) or a duration'
	run -2 evlog cat --expect 1 l
	run -2 evlog append --until 2026-01-01 l
}

@test "options belong to their command" {
	run -2 evlog append --json l
	assert_output --partial '--json is for stats'
	run -2 evlog verify --sync none l
	assert_output --partial 'are for append'
	run -2 evlog append -f l
	assert_output --partial 'are for cat'
	run -2 evlog cat -n 2 --from 3 l
	assert_output --partial 'exclude each other'
	run -2 evlog append --max-size 100M l
	assert_output --partial 'too large for a log'
}
