#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The tests themselves: none may hold a line that cannot fail a test
# (|| true, a ! or an && list that is not a test's last command) or a fixed
# sleep used as synchronisation; test_helper/honest.py finds them, and is
# tried here on samples (test_helper/honest) that say what it must find.

load test_helper/common

# honest FILE...: the checker on FILE...
honest() {
	"$SYSPY" "$ROOT/tests/test_helper/honest.py" "$@"
}

@test "every test file and helper is honest: nothing that cannot fail a test, no fixed sleep as synchronisation" {
	run -0 honest "$ROOT"/tests/*.bats "$ROOT"/tests/test_helper/*.bash
	assert_output ''
}

@test "the check names each line of a sample that cannot fail a test, and no other" {
	f=$ROOT/tests/test_helper/honest/bad.bats
	run -1 honest "$f"
	# The lines the sample marks, and the kind each one is.
	assert_equal "$(cut -d: -f2 <<<"$output" | tr '\n' ' ')" \
	    "$(grep -n '#[[:space:]]*bad$' "$f" | cut -d: -f1 | tr '\n' ' ')"
	assert_line "$f:8: '|| true' swallows the status of what it follows"
	assert_line "$f:9: '|| true' swallows the status of what it follows"
	assert_line --partial "$f:14: '! CMD' never fails a test unless it is its last command"
	assert_line --partial "$f:19: an && list stops nothing when a member but the last fails"
	assert_line --partial "$f:20: an && list"
	assert_line --partial "$f:21: an && list"
	assert_line "$f:28: a fixed sleep outside a loop: wait for the condition in a bounded loop"
	assert_line --partial "$f:33: an && list"
	assert_line --partial "$f:39: a bare wait also waits for bats's timeout watchdog"
}

@test "the check passes honest code: conditions, handled failures, strings, here documents, a last command, a reasoned exception" {
	run -0 honest "$ROOT/tests/test_helper/honest/good.bats"
	assert_output ''
}

@test "an exception says why: a marker with no reason is none" {
	printf '@test "t" {\n\tfalse || true  # honest:\n\techo\n}\n' >t.bats
	run -1 honest t.bats
	assert_output "t.bats:2: '|| true' swallows the status of what it follows"
	run -2 honest
	assert_output 'usage: honest.py FILE...'
}
