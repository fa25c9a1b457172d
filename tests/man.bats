#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The manual: every page lints clean, and every example in it runs.

load test_helper/common

@test "every man page is clean under mandoc -Tlint" {
	run -0 mandoc -Tlint -Wwarning "$ROOT"/man/man*/*.[0-9]
	assert_output ''
}

@test "every man page is clean at style level (make lint), and the lint can fail" {
	run -0 make -s --no-print-directory -C "$ROOT" lint BUILD="$BATS_TEST_TMPDIR/b"
	assert_output ''
	# A page with a style fault and a reference to a page of ours that is
	# not there: both are named.
	mkdir -p m/man/man1
	cp -R "$ROOT"/man "$ROOT"/Makefile m/
	printf '.Sh BUGS\n.Li v1,\nSee\n.Xr evnothing 1 .\n' >>m/man/man1/evsub.1
	run -2 make -s --no-print-directory -C m lint BUILD="$BATS_TEST_TMPDIR/b2"
	assert_output --partial 'no blank before trailing delimiter'
	assert_output --partial 'Xr evnothing 1'
}

# Runs every example of one page in a fresh directory: each must exit 0,
# or 3 where the page shows the message of a rejected line (an example
# that ends in 'echo "status $?"' shows its status itself); the events it
# prints on stdout must pass the schema, and every line the
# page shows must match what it printed, with "..." matching anything.
run_examples() {
	local page=$1 dir n want got line pat status f port
	dir="$BATS_TEST_TMPDIR/ex.$(basename "$page")"
	mkdir -p "$dir/run"
	awk -v dir="$dir" -f "$ROOT/tests/test_helper/manex.awk" "$page"
	# A port a page shows (127.0.0.1:8921) is one a reader may take; the
	# test takes a free one instead, as suites and other programs on the
	# machine run beside it.
	for f in "$dir"/*.sh; do
		for port in $(grep -o '127\.0\.0\.1:[1-9][0-9]*' "$f" | sort -u | cut -d: -f2); do
			sed -i "s/127\.0\.0\.1:$port\b/127.0.0.1:$(freeports 1)/g" "$f"
		done
	done
	n=0
	# In the page's order: 10.sh comes after 9.sh.
	while f="$dir/$((n + 1)).sh" && [ -e "$f" ]; do
		n=$((n + 1))
		want=0
		if grep -q '^[a-z]*: stdin:' "${f%.sh}.out"; then want=3; fi
		# An example that prints its own status exits 0.
		if grep -q 'echo "status \$?"' "$f"; then want=0; fi
		status=0
		(cd "$dir/run" && bash -o pipefail "$f" >"$f.stdout" 2>"$f.stderr") || status=$?
		if [ "$status" -ne "$want" ]; then
			echo "$page: example $(basename "$f"): status $status, not $want:"
			cat "$f" "$f.stderr"
			return 1
		fi
		# The lines that are events (not, say, a state) pass the schema;
		# so do those of a Server-Sent Events stream (data: EVENT).
		if sed 's/^data: //' "$f.stdout" | grep '"specversion":' >"$f.events"; then
			schema_check "$f.events" >/dev/null || {
				echo "$page: example $(basename "$f"): not valid events:"
				cat "$f.stdout"
				return 1
			}
		fi
		got=$(tr -d '\n' <"$f.stdout"; cat "$f.stderr")
		while IFS= read -r line; do
			[ -n "$line" ] || continue
			pat=${line//\*/\\*}
			pat=${pat//.../*}
			pat=${pat//\[/\\[}
			# shellcheck disable=SC2053
			[[ $got == *$pat* ]] || {
				echo "$page: example $(basename "$f") does not show: $line"
				echo "it printed: $got"
				return 1
			}
		done <"${f%.sh}.out"
	done
	echo "$n examples"
	[ "$n" -gt 0 ]
}

@test "the examples of evpub(1) run" {
	run -0 run_examples "$ROOT/man/man1/evpub.1"
	assert_output --regexp '^[0-9]+ examples$'
}

@test "the examples of eventful(7) run" {
	run -0 run_examples "$ROOT/man/man7/eventful.7"
	assert_output --regexp '^[0-9]+ examples$'
}

@test "the examples of evsub(1) run" {
	run -0 run_examples "$ROOT/man/man1/evsub.1"
	assert_output --regexp '^[0-9]+ examples$'
}

@test "the examples of evproject(1) run" {
	run -0 run_examples "$ROOT/man/man1/evproject.1"
	assert_output --regexp '^[0-9]+ examples$'
}

@test "the examples of evlog(1) run" {
	run -0 run_examples "$ROOT/man/man1/evlog.1"
	assert_output --regexp '^[0-9]+ examples$'
}

@test "the examples of evtour(1) run" {
	run -0 run_examples "$ROOT/man/man1/evtour.1"
	assert_output --regexp '^[0-9]+ examples$'
}
