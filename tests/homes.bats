#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Topics a group shares: modes and groups of what is made under a home
# that is group-writable and setgid, and the fix a permission error names
# (the directory bus's own promise).

load test_helper/common

T="$EVENTFUL_HOME/topics"

teardown() {
	for p in ${BGPIDS-}; do kill "$p" 2>/dev/null || true; done  # honest: cleanup; it may have ended
	# A home made outside the test's directory, for other users.
	if [ -f "$BATS_TEST_TMPDIR/shared" ]; then rm -rf "$(cat "$BATS_TEST_TMPDIR/shared")"; fi
}

# ---- a home a group shares --------------------------------------------------

# as USER CMD...: runs CMD as USER in group nogroup, no other group, with
# this test's environment (root's powers would hide every mode).
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid=nogroup --clear-groups "$@"
}

# shared_home: a home that the users nobody and daemon can reach; root's
# test directory is closed to them.
shared_home() {
	SHARED=$(mktemp -d /tmp/topics17.XXXXXX)
	chmod 755 "$SHARED"
	echo "$SHARED" >"$BATS_TEST_TMPDIR/shared"
	export EVENTFUL_HOME=$SHARED/home T=$SHARED/home/topics
	mkdir "$EVENTFUL_HOME"
}

modes() { stat -c '%a %G' "$@" | tr '\n' ' '; }

@test "a home that is group-writable and setgid: topics, FIFOs and positions are the group's, and two users share them" {
	command -v setpriv >/dev/null || skip "no setpriv"
	[ "$(id -u)" = 0 ] || skip "needs root to become two users"
	shared_home
	chgrp nogroup "$EVENTFUL_HOME"
	chmod 2770 "$EVENTFUL_HOME"
	as nobody evpub -T orders -t order.placed n:=1 >/dev/null
	assert_equal "$(modes "$T" "$T/orders" "$T/orders/subs" "$T/orders/consumers")" "2770 nogroup 2770 nogroup 2770 nogroup 2770 nogroup "
	assert_equal "$(modes "$T/orders/log")" "660 nogroup "
	# Another member consumes, and publishes to the same log.
	run -0 as daemon evsub -T orders --consumer billing --once --data
	assert_output '{"n":1}'
	assert_equal "$(modes "$T/orders/consumers/billing" "$T/orders/consumers/.billing.lock")" "660 nogroup 660 nogroup "
	as daemon evpub -T orders -t order.placed n:=2 >/dev/null
	# The first takes the consumer on where the other left it.
	run -0 as nobody evsub -T orders --consumer billing --once --data
	assert_output '{"n":2}'
	# A live subscriber's FIFO is the group's: the other publishes to it.
	as daemon evsub -T orders -c 1 >"$BATS_TEST_TMPDIR/live" &
	BGPIDS="$!"
	fifos orders 1
	assert_equal "$(modes "$T"/orders/subs/evsub-*)" "660 nogroup "
	as nobody evpub -T orders -t order.placed n:=3 >/dev/null
	wait $BGPIDS
	assert_equal "$(jq -c .data "$BATS_TEST_TMPDIR/live")" '{"n":3}'
	run -0 as nobody evsub --topics --json
	[[ $output == '{"topic":"orders","last":3,'* ]]
	# A log kept from before the home was shared: whose it is, and the fix.
	chmod 600 "$T/orders/log"
	run -1 --separate-stderr as daemon evsub -T orders --consumer billing --once
	[[ $stderr == "evsub: $T/orders/log: open: permission denied: $T/orders/log is nobody's, mode 0600, not shared with you; to share $EVENTFUL_HOME with a group, its owner runs 'chgrp -R GROUP"* ]]
}

@test "a home that is not shared: 0700 and 0600 as before, and a permission error names the path and the fix" {
	command -v setpriv >/dev/null || skip "no setpriv"
	[ "$(id -u)" = 0 ] || skip "needs root to become another user"
	shared_home
	chmod 700 "$EVENTFUL_HOME"
	evpub -T orders -t order.placed n:=1 >/dev/null
	run -0 evsub -T orders --consumer billing --once
	assert_equal "$(stat -c %a "$T" "$T/orders" "$T/orders/subs" "$T/orders/log" "$T/orders/consumers/billing" | tr '\n' ' ')" "700 700 700 600 600 "
	bg evsub -T orders -o out
	fifos orders 1
	assert_equal "$(stat -c %a "$T"/orders/subs/evsub-*)" 600
	# Another user: told whose the directory is and what to do.
	run -1 --separate-stderr as nobody evsub -T orders --consumer billing --once
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == "evsub: $T/orders: stat: permission denied: $EVENTFUL_HOME is root's, mode 0700, not shared with you; to share $EVENTFUL_HOME with a group, its owner runs 'chgrp -R GROUP $EVENTFUL_HOME && chmod -R g+rwX $EVENTFUL_HOME && find $EVENTFUL_HOME -type d -exec chmod g+s {} +'"* ]]
	[[ $stderr != *"mkdir: Permission denied"* ]]
	# A home one may enter but not write in: the same, for the publisher.
	chmod 755 "$EVENTFUL_HOME" "$T"
	run -1 --separate-stderr as nobody evpub -T new -t t n:=1
	[[ $stderr == "evpub: $T/new: mkdir: permission denied: $T is root's, mode 0755, not shared with you;"* ]]
	[ ! -e "$T/new" ]
}

# ---- what the manuals say ---------------------------------------------------

# page PAGE: the manual PAGE (section/name) as a reader sees it, one line.

