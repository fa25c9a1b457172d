#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# A sample of tests that cannot fail, for tests/honest.bats: each line the
# checker must name is marked "# bad" (the line that says so is here).

@test "swallowed" {
	run -0 true
	assert_output 'something else' || true   # bad
	false || :   # bad
	echo ok
}

@test "negated, not last" {
	! grep -q x /dev/null   # bad
	echo after
}

@test "and-lists" {
	[ 1 -eq 2 ] && [ 2 -eq 2 ]   # bad
	for i in 1 2; do [ "$i" -gt 5 ] && echo big; done   # bad
	[ -e nothing ] &&   # bad
	    [ -e neither ]
	true
}

@test "a fixed sleep as synchronisation" {
	evsub -f -i log >out &
	sleep 0.5   # bad
	[ -s out ]
}

helper() {
	true && false   # bad
	echo done
}

@test "a bare wait" {
	(sleep 0.1; echo x >f) &
	wait   # bad
	[ -s f ]
}
