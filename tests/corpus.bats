#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Real data nobody here wrote: the CloudEvents fixtures, the JSON test
# suite and the CloudEvents JSON Schema, against evpub.  Each folder is gone
# through in tests/data, then in EXTRA_CORPUS when one is named.

load test_helper/common

@test "every valid CloudEvents fixture is accepted by evpub -l, kept byte for byte" {
	local in timed untimed i
	for d in "${DATASETS[@]}"; do
		# All of them, a line each, through one evpub.
		files=("$d"/cloudevents/valid/*.json)
		assert_equal "${#files[@]}" 13
		jq -c . "${files[@]}" >in
		run -0 --separate-stderr evpub -l <in
		assert_equal "${#lines[@]}" 13
		mapfile -t in <in
		mapfile -t timed < <(jq 'has("time")' in)
		mapfile -t untimed < <(jq -c 'del(.time)' <<<"$output")
		for i in "${!files[@]}"; do
			if [ "${timed[$i]}" = true ]; then
				# Complete: written exactly as read.
				[ "${lines[$i]}" = "${in[$i]}" ] ||
				    { printf '%s:\n%s\n%s\n' "${files[$i]}" "${in[$i]}" "${lines[$i]}"; return 1; }
			else
				# Only the time is added, right after specversion.
				[ "${untimed[$i]}" = "${in[$i]}" ] &&
				    [[ ${lines[$i]} =~ ^\{\"specversion\":\"1.0\",\"time\":\"[^\"]+Z\", ]] ||
				    { printf '%s:\n%s\n%s\n' "${files[$i]}" "${in[$i]}" "${lines[$i]}"; return 1; }
			fi
		done
	done
}

@test "the spec's examples are accepted, but for the one whose data_base64 is not base64" {
	for d in "${DATASETS[@]}"; do
		n=0
		for f in "$d"/cloudevents/spec-examples/*.json; do
			jq -c . "$f" >line
			case $f in
			*placeholder*)
				run -3 --separate-stderr evpub -l <line
				assert_equal "$stderr" 'evpub: stdin:1: data_base64 is not valid base64 (RFC 4648, padded)'
				;;
			*batch_empty*)
				run -0 evpub -l <line
				assert_output ''
				;;
			*batch_two*)
				# Its first event carries the same placeholder.
				run -3 --separate-stderr evpub -l <line
				assert_output ''
				assert_equal "$stderr" 'evpub: stdin:1: batch element 1: data_base64 is not valid base64 (RFC 4648, padded)'
				;;
			*)
				run -0 evpub -l <line
				assert_equal "${#lines[@]}" 1
				;;
			esac
			n=$((n + 1))
		done
		assert_equal "$n" 9
		# The NDJSON of all nine, as one stream: the placeholder is there
		# twice (once from the batch example), the other seven pass.
		rm -f rej
		run -3 --separate-stderr evpub -l --rejects rej <"$d/cloudevents/spec-examples/all_single_events.ndjson"
		assert_equal "${#lines[@]}" 7
		assert_equal "$(grep -c 'base64 encoded string' rej)" 2
		assert_equal "$(wc -l <rej)" 2
	done
}

@test "every invalid CloudEvents fixture is rejected with status 3, and why" {
	declare -A why=(
		[fail_numeric_decimal]='extension "decimal": 42.42 is not an integer in signed 32 bits'
		[fail_numeric_long]='extension "long": 4247483647 is not an integer in signed 32 bits'
		[json_data_with_ext_invalid]='attribute name "a_invalid_name" is not lower-case a-z and 0-9'
		[json_data_with_ext_upper_case]='attribute name "aString" is not lower-case a-z and 0-9'
	)
	for d in "${DATASETS[@]}"; do
		n=0
		for f in "$d"/cloudevents/invalid/*.json; do
			b=$(basename "$f" .json)
			jq -c . "$f" >line
			run -3 --separate-stderr evpub -l <line
			assert_output ''
			assert_equal "$stderr" "evpub: stdin:1: ${why[$b]}"
			n=$((n + 1))
		done
		assert_equal "$n" 4
	done
}

# The y_ files evpub refuses on purpose, and why.
#   duplicate member names: which value counts is undefined (RFC 8259
#     section 4); jansson, and so the whole toolkit, rejects them.
#   \u0000 in a string: every C string downstream (an environment variable
#     of evsub --exec, a key in jansson) would be cut at it.
EXCEPTIONS=" y_object_duplicated_key.json y_object_duplicated_key_and_value.json y_object_escaped_null_in_key.json y_string_null_escape.json "

@test "every y_ file of the JSON test suite is accepted as data, but the listed exceptions" {
	for d in "${DATASETS[@]}"; do
		n=0 taken=()
		rm -f events
		for f in "$d"/json-test-suite/test_parsing/y_*.json; do
			b=$(basename "$f")
			st=0
			if [[ $EXCEPTIONS == *" $b "* ]]; then
				evpub -t x -d "@$f" >/dev/null 2>&1 || st=$?
				[ "$st" -eq 3 ] || { echo "$f: status $st, not 3"; return 1; }
				continue
			fi
			evpub -t x -d "@$f" >>events || st=$?
			[ "$st" -eq 0 ] || { echo "$f: status $st"; return 1; }
			taken+=("$f")
			n=$((n + 1))
		done
		assert_equal "$n" 91
		# The data of each is its file's value: one jq for them all
		# (each file its own --slurpfile, as jq would run on the
		# files' texts together), which names each that is not.
		args=()
		for i in "${!taken[@]}"; do args+=(--slurpfile "f$i" "${taken[$i]}"); done
		run -0 jq -r "${args[@]}" -s '. as $got | $ARGS.named as $want |
		    if length != ($want | length) then "\(length) events"
		    else range(length) | select($got[.].data != $want["f\(.)"][0]) end' events
		[ -z "$output" ] || { for i in $output; do echo "${taken[$i]:-$i}"; done; return 1; }
	done
}

@test "every n_ file of the JSON test suite is rejected with status 3" {
	for d in "${DATASETS[@]}"; do
		n=0
		# A plain loop, not bats's run: 188 runs of it cost more than
		# the programs do.
		for f in "$d"/json-test-suite/test_parsing/n_*.json; do
			st=0
			evpub -t x -d "@$f" >out 2>err || st=$?
			[ "$st" -eq 3 ] || { echo "$f: status $st"; return 1; }
			[[ $(<err) == "evpub: $f: invalid JSON at byte "* ]] || { echo "$f: $(<err)"; return 1; }
			[ ! -s out ] || { echo "$f: wrote $(<out)"; return 1; }
			n=$((n + 1))
		done
		assert_equal "$n" 188
	done
}

@test "no i_ file of the JSON test suite crashes evpub" {
	for d in "${DATASETS[@]}"; do
		n=0
		for f in "$d"/json-test-suite/test_parsing/i_*.json; do
			st=0
			evpub -t x -d "@$f" >/dev/null 2>&1 || st=$?
			[ "$st" -eq 0 ] || [ "$st" -eq 3 ] || { echo "$f: $st"; return 1; }
			n=$((n + 1))
		done
		assert_equal "$n" 35
	done
}

@test "the suite's files as lines of evpub -l agree with -d" {
	local f first last n r r1 r2 l
	for d in "${DATASETS[@]}"; do
		# Only the one-line files (at most one newline): a line reader
		# sees lines.  Blank ones are skipped, not rejected; arrays are
		# batches.  Those left, each ended by a newline, make one stream
		# for one evpub -l; each file's lines in it, FIRST LAST PATH.
		"$SYSPY" - "$d"/json-test-suite/test_parsing/[yn]_*.json >map <<'PY'
import re, sys
n = 0
with open("stream", "wb") as out:
    for f in sys.argv[1:]:
        data = open(f, "rb").read()
        if data.count(b"\n") > 1:
            continue
        if not any(b not in b" \t\n\v\f\r" for b in data):
            continue
        if any(re.match(rb"[ \t\v\f\r]*\[", line) for line in data.split(b"\n")):
            continue
        if not data.endswith(b"\n"):
            data += b"\n"
        out.write(data)
        print(n + 1, n + data.count(b"\n"), f)
        n += data.count(b"\n")
PY
		r=0; evpub -l -t x <stream >out 2>err || r=$?
		[ "$r" -eq 0 ] || [ "$r" -eq 3 ] || { echo "evpub -l: status $r"; cat err; return 1; }
		# The lines rejected, by number; with those taken, all of them.
		rejected=" $(sed -n 's/^evpub: stdin:\([0-9]*\): .*/\1/p' err | tr '\n' ' ')"
		n=$(awk 'END { print $2 }' map)
		[ $(($(wc -l <out) + $(wc -w <<<"$rejected"))) -eq "$n" ] ||
		    { echo "$n lines, $(wc -l <out) taken, rejected:$rejected"; return 1; }
		while read -r first last f; do
			r2=0
			for ((l = first; l <= last; l++)); do
				[[ $rejected != *" $l "* ]] || r2=3
			done
			r1=0; evpub -t x -d "@$f" >/dev/null 2>&1 || r1=$?
			[ "$r1" -eq "$r2" ] || { echo "$f: -d $r1, -l $r2"; return 1; }
		done <map
	done
}

@test "events evpub writes validate against the CloudEvents JSON Schema" {
	{
		evpub -t user.created -S user/42 name=Ada age:=36 'tags:=["x"]'
		evpub -t cache.flushed -e region=eu -e n:=3
		evpub -t x -s urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66 --time 2026-01-02T03:04:05+01:00 -d '[1,2]'
		printf '%s\n' '{"a":1}' '"s"' 'null' | evpub -l -t y
		printf 'text\n' | evpub --raw -t z
		for f in "$DATA"/cloudevents/valid/*.json; do jq -c . "$f"; done | evpub -l
		head -50 "$DATA/gharchive/2021-07-21-sample.ndjson" | evpub -l -t com.github.event
	} >events
	run -0 schema_check events
	assert_output '70 valid'
}

@test "real GitHub payloads become events, data unchanged" {
	for d in "${DATASETS[@]}"; do
		f=$d/github-webhooks/all-payloads.ndjson
		n=$(wc -l <"$f")
		# One payload of each of the 60 event types, at least.
		[ "$(jq -r .x_github_event "$f" | sort -u | wc -l)" -eq 60 ]
		jq -c .payload "$f" >payloads
		run -0 evpub -l -t com.github.webhook -s https://github.com <payloads
		echo "$output" >events
		assert_equal "$(wc -l <events)" "$n"
		cmp <(jq -c .data events) <(jq -c . payloads)
	done
}
