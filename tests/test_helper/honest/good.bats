#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# A sample of honest tests, for tests/honest.bats: none of it is named.

teardown() {
	kill "$PID" 2>/dev/null || true  # honest: cleanup; it may have ended
}

@test "conditions and handled failures" {
	if ! grep -q x /dev/null && true; then echo none; fi
	while [ -e a ] && [ -e b ]; do break; done
	[[ -n $HOME && -d $HOME ]]
	(( 1 && 1 ))
	for i in $(seq 100); do [ -s out ] && break; sleep 0.05; done
	[ -e a ] && [ -e b ] || { echo "a or b missing"; return 1; }
	run ! false
	echo "a && b || true; ! not code; sleep 1"
	echo 'sleep 2 && false'   # a comment with || true and && in it
	python3 - <<'PY'
import time
time.sleep(1) or True and False  # || true
PY
	x=$(false && true)
	sleep 1  # honest: the CPU time is measured over a second
	[ -e a ] && [ -e b ]
}

@test "the last command may be negated" {
	echo first
	! grep -q x /dev/null
}

@test "a wait for the job started" {
	(echo x >f) &
	pid=$!
	wait "$pid"
	[ -s f ]
}
