#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# evpub: events from fields, data and lines; completion; rejection; output.

load test_helper/common

@test "fields make the data: strings, JSON values, nesting" {
	run -0 evpub -t user.created -S user/42 name=Ada age:=36 admin:=true \
	    'tags:=["x","y"]' address.city=London address.geo.lat:=51.5
	run -0 jq -ce '.data' <<<"$output"
	assert_output '{"name":"Ada","age":36,"admin":true,"tags":["x","y"],"address":{"city":"London","geo":{"lat":51.5}}}'
}

@test "the envelope: specversion, UUIDv7 id, source, type, subject, time, content type" {
	run -0 evpub -t user.created -S user/42 name=Ada
	echo "$output" >ev
	run -0 jq -r '[.specversion, .type, .subject, .datacontenttype] | join(" ")' ev
	assert_output "1.0 user.created user/42 application/json"
	run -0 jq -r .id ev
	assert_output --regexp '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
	run -0 jq -r .time ev
	assert_output --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$'
	run -0 jq -r .source ev
	assert_output "//$(uname -n)/evpub"
	# The event is one line.
	run -0 wc -l <ev
	assert_output 1
}

@test "the id's time is the event's time, to the millisecond" {
	run -0 evpub -t x
	ms=$(jq -r .id <<<"$output" | tr -d - | cut -c1-12)
	t=$(jq -r .time <<<"$output")
	secs=$(date -u -d "${t%.*}Z" +%s)
	frac=${t#*.}
	[ "$((16#$ms))" -eq "$((secs * 1000 + 10#${frac:0:3}))" ]
}

@test "-l: the lines of one read share one clock reading, ids still increasing; lines that arrive apart get times apart" {
	seq 1000 | sed 's/.*/{"n":&}/' >in
	evpub -l -t t <in >out
	assert_equal "$(jq -r .time out | sort -u | wc -l)" 1
	jq -r .id out >ids
	sort -uc ids
	assert_equal "$(wc -l <ids)" 1000
	# Through a FIFO, a line at a time: each read has its own clock.
	mkfifo feed
	evpub -l -t t <feed >apart &
	local pub=$! i
	exec 5>feed
	echo '{"n":1}' >&5
	for i in $(seq 200); do [ -s apart ] && break; sleep 0.05; done
	[ -s apart ]
	echo '{"n":2}' >&5
	exec 5>&-
	wait "$pub"
	jq -r .time apart >times
	assert_equal "$(wc -l <times)" 2
	[[ $(sed -n 2p times) > $(sed -n 1p times) ]]
}

@test "no data makes a plain notification" {
	run -0 evpub -t cache.flushed
	run -0 jq -c 'has("data"), has("datacontenttype")' <<<"$output"
	assert_output $'false\nfalse'
}

@test "-s, then \$EV_SOURCE, give the source" {
	run -0 evpub -t x -s /sensors/1
	assert_equal "$(jq -r .source <<<"$output")" /sensors/1
	EV_SOURCE=urn:a run -0 evpub -t x
	assert_equal "$(jq -r .source <<<"$output")" urn:a
	EV_SOURCE=urn:a run -0 evpub -t x --source urn:b
	assert_equal "$(jq -r .source <<<"$output")" urn:b
}

@test "--id and --time set those attributes" {
	run -0 evpub -t x --id order-17 --time 2026-01-02T03:04:05+01:00
	assert_equal "$(jq -r '.id + " " + .time' <<<"$output")" \
	    "order-17 2026-01-02T03:04:05+01:00"
	run -2 evpub -t x --time yesterday
	assert_output --partial 'is not an RFC 3339 time, a date'
	run -2 evpub -t x --id ''
	assert_output --partial 'must not be empty'
}

@test "-e adds extension attributes, typed with :=" {
	run -0 evpub -t x -e tenant=acme -e priority:=5 -e urgent:=true -e code:='"7"'
	run -0 jq -c '[.tenant, .priority, .urgent, .code]' <<<"$output"
	assert_output '["acme",5,true,"7"]'
}

@test "-e refuses bad names, reserved names and non-CloudEvents types" {
	run -2 evpub -t x -e Tenant=acme
	assert_output --partial 'lower-case a-z and 0-9'
	run -2 evpub -t x -e my_ext=1
	assert_output --partial 'lower-case'
	run -2 evpub -t x -e type=y
	assert_output --partial 'not an extension'
	run -2 evpub -t x -e n:=1.5
	assert_output --partial '32-bit integer'
	run -2 evpub -t x -e n:=2147483648
	run -0 evpub -t x -e n:=-2147483648
	run -2 evpub -t x -e 'n:={}'
	run -2 evpub -t x -e a=1 -e a=2
	assert_output --partial 'given twice'
	run -2 evpub -t x -e novalue
	assert_output --partial 'NAME=VALUE'
}

@test "-d gives the whole data: inline, from a file, from stdin" {
	run -0 evpub -t x -d '[1, 2.50, "a b"]'
	assert_equal "$(jq -c .data <<<"$output")" '[1,2.5,"a b"]'
	# The bytes are kept, only whitespace outside strings goes.
	assert_output --partial '"data":[1,2.50,"a b"]}'
	printf '{\n  "total": 1.10,\n  "x": "a  b"\n}\n' >data.json
	run -0 evpub -t x -d @data.json
	assert_output --partial '"data":{"total":1.10,"x":"a  b"}}'
	run -0 evpub -t x -d @- <data.json
	assert_output --partial '"data":{"total":1.10,"x":"a  b"}}'
}

@test "-d with invalid JSON is invalid input: status 3, the place named" {
	printf '{"a": tru}' >bad.json
	run -3 --separate-stderr evpub -t x -d @bad.json
	assert_equal "$stderr" "evpub: bad.json: invalid JSON at byte 7: a value expected, found 't'"
	assert_output ''
	run -3 evpub -t x -d '{"a":1,"a":2}'
	assert_output --partial 'duplicate member name "a"'
	run -1 evpub -t x -d @missing.json
	assert_output --partial 'missing.json: read: No such file'
}

@test "usage errors exit 2: what is wrong, then try --help" {
	run -2 --separate-stderr evpub
	assert_output ''
	assert_equal "$stderr" $'evpub: -t TYPE is required\ntry \'evpub --help\''
	run -2 evpub --bogus
	assert_output --partial "try 'evpub --help'"
	refute_output --partial 'usage: evpub'
	run -2 --separate-stderr evpub -t x novalue
	assert_equal "$stderr" $'evpub: "novalue": key=value or key:=json expected\ntry \'evpub --help\''
	run -2 evpub -t x a=1 a=2
	assert_output --partial '"a": given twice'
	run -2 evpub -t x a=1 a.b=2
	assert_output --partial 'already a value'
	run -2 evpub -t x a.b=1 a=2
	assert_output --partial 'given twice'
	run -2 evpub -t x 'a..b=1'
	assert_output --partial 'empty key'
	run -2 evpub -t x '=1'
	assert_output --partial 'the key is empty'
	run -2 evpub -t x 'n:=nope'
	assert_output --partial '"n": invalid JSON'
	run -2 evpub -t x -d 1 a=1
	assert_output --partial 'not both'
	run -2 evpub -l -t x a=1
	run -2 evpub -l -t x --id 1
	run -2 evpub -t ''
	run -2 evpub -t x --max-size 10
	assert_output --partial 'too small'
	run -2 evpub -t x --max-size lots
	run -2 evpub -t x "name=$(printf 'caf\xe9')"
	assert_output --partial 'not valid UTF-8'
}

@test "--help prints the usage on stdout and exits 0; --version too" {
	run -0 --separate-stderr evpub --help
	assert_line -n 0 'usage: evpub [-lq] [-c count] [-d data] [-e name=value] [-o path | -T topic]'
	assert_output --partial 'exit status'
	assert_equal "$stderr" ''
	run -0 evpub --version
	assert_output --regexp '^evpub \(eventful\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "the usage line is the man page's SYNOPSIS" {
	run -0 synopsis_is_usage evpub
}

@test "-l wraps each JSON line as the data of a new event" {
	printf '%s\n' '{"a": 1}' '"text"' '42' '[1,"x"]' | true
	printf '%s\n' '{"a": 1}' '"text"' '42' 'null' >in
	run -0 evpub -l -t t.x -S s <in
	assert_equal "${#lines[@]}" 4
	run -0 jq -c '[.type, .subject, .data, .datacontenttype]' <<<"$output"
	assert_line -n 0 '["t.x","s",{"a":1},"application/json"]'
	assert_line -n 1 '["t.x","s","text","application/json"]'
	assert_line -n 2 '["t.x","s",42,"application/json"]'
	assert_line -n 3 '["t.x","s",null,null]'
	# The data keeps its bytes.
	run -0 evpub -l -t t.x <<<'{"a" : 1.50}'
	assert_output --partial '"data":{"a" : 1.50}}'
}

@test "-l accepts CRLF, skips blank lines and reads an unterminated last line" {
	printf '{"n":1}\r\n\n   \r\n\t\n{"n":2}\n{"n":3}' >in
	run -0 evpub -l -t x <in
	run -0 jq -c .data <<<"$output"
	assert_output $'{"n":1}\n{"n":2}\n{"n":3}'
}

@test "-l completes a partial event and passes a complete one unchanged" {
	full='{"specversion":"1.0", "type":"a.b","source":"/s","id":"7","time":"2020-01-01T00:00:00Z","data":{"k" : 1}}'
	part='{"data":{"k":2},"specversion":"1.0","type":"a.b","id":null,"subject":null}'
	run -0 evpub -l -s /mine <<<"$full"
	assert_output "$full"
	run -0 evpub -l -S sub -s /mine <<<"$part"
	# Added attributes go after specversion; the rest keeps its bytes.
	assert_output --regexp '^\{"data":\{"k":2\},"specversion":"1.0","id":"[0-9a-f-]{36}","source":"/mine","subject":"sub","time":"[^"]+Z","type":"a.b"\}$'
}

@test "-l does not override what an event sets" {
	run -0 evpub -l -t other -S other -s other -e tenant=b <<<'{"specversion":"1.0","type":"a","source":"/s","id":"1","subject":"mine","tenant":"a"}'
	# Only time is added, after specversion; the rest keeps its bytes.
	assert_output --regexp '^\{"specversion":"1\.0","time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z","type":"a","source":"/s","id":"1","subject":"mine","tenant":"a"\}$'
	run -0 jq -c '[.type,.source,.subject,.tenant]' <<<"$output"
	assert_output '["a","/s","mine","a"]'
}

@test "-l splits a batch; an empty batch makes nothing; a bad batch is rejected whole" {
	printf '%s\n' '[{"specversion":"1.0","type":"a","source":"/s","id":"1"},{"specversion":"1.0","type":"b","source":"/s","id":"2"}]' '[]' >in
	run -0 evpub -l <in
	assert_equal "${#lines[@]}" 2
	assert_equal "$(jq -r .type <<<"$output" | tr '\n' ' ')" "a b "
	run -3 --separate-stderr evpub -l <<<'[{"specversion":"1.0","type":"a","source":"/s","id":"1"},{"specversion":"1.0","source":"/s","id":"2"}]'
	assert_output ''
	assert_equal "$stderr" 'evpub: stdin:1: batch element 2: missing "type"'
	run -3 --separate-stderr evpub -l -t x <<<'[1,2]'
	assert_equal "$stderr" 'evpub: stdin:1: batch element 1: not a CloudEvent'
}

@test "-l reports each bad line with its number, goes on, and exits 3" {
	printf '%s\n' '{"n":1}' '{"n":' '{"n":3}' '{"specversion":"0.3","type":"a","source":"/s","id":"1"}' '{"n":5}' >in
	run -3 --separate-stderr evpub -l -t x <in
	assert_equal "${#lines[@]}" 3
	assert_equal "$(jq -c .data <<<"$output" | tr '\n' ' ')" '{"n":1} {"n":3} {"n":5} '
	assert_equal "$stderr" 'evpub: stdin:2: invalid JSON at byte 6: unexpected end of input, a value expected
evpub: stdin:4: specversion "0.3" is not "1.0"'
}

@test "-l without -t rejects lines that are not events" {
	run -3 --separate-stderr evpub -l <<<'{"n":1}'
	assert_equal "$stderr" 'evpub: stdin:1: not a CloudEvent, and no -t TYPE to make one of it'
}

@test "--rejects keeps every rejected line byte for byte" {
	printf '{"n":1}\r\nnot json\r\n{"n":3}\n\x00bad\n{"a":1,"a":2}\n%s\nlast' "$(head -c 300 /dev/zero | tr '\0' x)" >in
	run -3 --separate-stderr evpub -l -t x --max-size 200 --rejects rej <in
	assert_equal "${#lines[@]}" 2
	printf 'not json\r\n\x00bad\n{"a":1,"a":2}\n%s\nlast\n' "$(head -c 300 /dev/zero | tr '\0' x)" >want
	cmp rej want
	assert_equal "$(grep -c . <<<"$stderr")" 5
	[[ "$stderr" == *"stdin:2: invalid JSON at byte 1"* ]]
	[[ "$stderr" == *"stdin:4: a NUL byte in the line"* ]]
	[[ "$stderr" == *"stdin:5: invalid JSON at byte 8: duplicate member name \"a\""* ]]
	[[ "$stderr" == *"stdin:6: longer than 200 bytes (--max-size)"* ]]
	run stat -c %a rej
	assert_output 600
}

@test "an over-long line is skipped without being held in memory, and kept" {
	{ echo '{"n":1}'; head -c 67108864 /dev/zero | tr '\0' a; echo; echo '{"n":3}'; } >big
	run -3 --separate-stderr evpub -l -t x --rejects rej <big
	assert_equal "${#lines[@]}" 2
	assert_equal "$stderr" 'evpub: stdin:2: longer than 1048576 bytes (--max-size)'
	assert_equal "$(stat -c %s rej)" 67108865
	# Peak memory with the 64 MiB line is that of a run without it, give
	# or take 8 MiB.
	echo '{"n":1}' >small
	read -r st1 small_kib < <(maxrss small evpub -l -t x)
	read -r st2 big_kib < <(maxrss big evpub -l -t x)
	echo "small $small_kib KiB, big $big_kib KiB"
	assert_equal "$st1 $st2" "0 3"
	[ "$big_kib" -lt $((small_kib + 8192)) ]
}

@test "--max-size: a line at the limit passes, one byte more does not" {
	# A complete event of exactly 2000 bytes, passed through unchanged.
	pad=$(head -c 1944 /dev/zero | tr '\0' y)
	printf '{"specversion":"1.0","type":"t","source":"s","id":"1","time":"2020-01-01T00:00:00Z","x":"%s"}\n' "${pad:0:1909}" >in
	assert_equal "$(head -1 in | tr -d '\n' | wc -c)" 2000
	run -0 evpub -l --max-size 2000 <in
	assert_output "$(cat in)"
	run -3 --separate-stderr evpub -l --max-size 1999 <in
	assert_equal "$stderr" 'evpub: stdin:1: longer than 1999 bytes (--max-size)'
}

@test "--max-size also bounds the event a line grows into" {
	printf '"%s"\n' "$(head -c 150 /dev/zero | tr '\0' y)" >in
	run -3 --separate-stderr evpub -l --max-size 200 -t x <in
	assert_output ''
	[[ "$stderr" == "evpub: stdin:1: the event would be "*" bytes, over the limit of 200 (--max-size)" ]]
	run -0 evpub -l --max-size 1000 -t x <in
}

@test "--raw makes each line a string of text/plain data" {
	printf 'plain text\r\nwith "quotes" and \\ and \ttab\n\nlast' >in
	run -0 evpub -l --raw -t log.line <in
	run -0 jq -c '[.data, .datacontenttype]' <<<"$output"
	assert_line -n 0 '["plain text","text/plain"]'
	assert_line -n 1 '["with \"quotes\" and \\ and \ttab","text/plain"]'
	assert_line -n 2 '["last","text/plain"]'
	printf 'ok\n\xff\xfe\n' >in
	run -3 --separate-stderr evpub --raw -t x <in
	assert_equal "$stderr" 'evpub: stdin:2: not valid UTF-8'
}

@test "-q keeps rejections quiet but the status still says 3" {
	run -3 --separate-stderr evpub -q -l -t x <<<'nope'
	assert_equal "$stderr" ''
}

@test "-o appends to a file it creates private" {
	run -0 evpub -t a -o out.ndjson
	run -0 evpub -t b -o out.ndjson
	assert_output ''
	assert_equal "$(jq -r .type out.ndjson | tr '\n' ' ')" 'a b '
	assert_equal "$(stat -c %a out.ndjson)" 600
	run -1 evpub -t a -o /nonexistent/dir/x
	assert_output --partial '/nonexistent/dir/x: open: No such file or directory'
}

@test "-o on a FIFO waits for a reader, then writes" {
	mkfifo f
	evpub -t late -o f &
	pid=$!
	# No reader yet: evpub waits for one, in open(2) (wait_for_partner,
	# as the kernel names it), and neither fails nor goes on.
	for _ in $(seq 200); do
		[ "$(cat /proc/"$pid"/wchan 2>/dev/null)" = wait_for_partner ] && break
		sleep 0.05
	done
	run -0 cat /proc/"$pid"/wchan
	assert_output wait_for_partner
	run -0 head -1 f
	wait "$pid"
	assert_equal "$(jq -r .type <<<"$output")" late
}

@test "-o FIFO: concurrent writers never interleave inside an event" {
	mkfifo f
	cat f >got &
	reader=$!
	exec 5>f
	big=$(head -c 3000 /dev/zero | tr '\0' z)
	pids=()
	for w in 1 2 3 4; do
		yes "{\"w\":$w,\"pad\":\"$big\"}" | head -2000 | evpub -l -t x -o f &
		pids+=($!)
	done
	wait "${pids[@]}"
	exec 5>&-
	wait "$reader"
	run -0 jq -c .data.w got
	assert_equal "${#lines[@]}" 8000
}

@test "output goes out when the input would block: a follower sees each event at once" {
	mkfifo in out
	evpub -l -t x <in >out &
	pid=$!
	exec 5>in 6<out
	echo '{"n":1}' >&5
	read -r -t 10 line <&6
	[[ "$line" == *'"data":{"n":1}'* ]]
	echo '{"n":2}' >&5
	read -r -t 10 line <&6
	[[ "$line" == *'"data":{"n":2}'* ]]
	exec 5>&- 6<&-
	wait "$pid"
}

@test "a pipe on stdout is enlarged to 256 KiB, so that each write goes whole" {
	(($(cat /proc/sys/fs/pipe-max-size) >= 262144)) ||
		skip "pipe-max-size is below 256 KiB"
	# The reader asks the pipe's size once the first event is through:
	# evpub enlarges it before it writes.
	run -0 bash -c 'echo "{}" | evpub -l -t x | python3 -c "
import fcntl, sys
sys.stdin.buffer.readline()
print(fcntl.fcntl(0, fcntl.F_GETPIPE_SZ))"'
	assert_output 262144
}

@test "a pipe on stdout made larger before evpub starts is not made smaller" {
	(($(cat /proc/sys/fs/pipe-max-size) >= 1048576)) ||
		skip "pipe-max-size is below 1 MiB"
	# The writer's side sets the pipe to 1 MiB and then becomes evpub.
	run -0 bash -c 'echo "{}" | python3 -c "
import fcntl, os
fcntl.fcntl(1, fcntl.F_SETPIPE_SZ, 1048576)
os.execvp(\"evpub\", [\"evpub\", \"-l\", \"-t\", \"x\"])" | python3 -c "
import fcntl, sys
sys.stdin.buffer.readline()
print(fcntl.fcntl(0, fcntl.F_GETPIPE_SZ))"'
	assert_output 1048576
}

@test "a closed pipe downstream ends evpub quietly with status 0" {
	run -0 --separate-stderr bash -c 'yes "{}" | head -200000 | evpub -l -t x | head -1; echo "${PIPESTATUS[2]}"'
	assert_line -n 1 0
	assert_equal "$stderr" ''
}

@test "100,000 ids from one run are unique and sort in the order made" {
	yes '{}' | head -100000 | evpub -l -t x | jq -r .id >ids
	assert_equal "$(wc -l <ids)" 100000
	sort -c ids
	assert_equal "$(sort -u ids | wc -l)" 100000
}

@test "a failing write is an error: status 1 and a message" {
	[ -e /dev/full ] || skip "no /dev/full"
	run -1 --separate-stderr evpub -t x -o /dev/full
	assert_equal "$stderr" 'evpub: /dev/full: write: No space left on device'
	run -1 --separate-stderr bash -c 'evpub -t x >/dev/full'
	assert_equal "$stderr" 'evpub: stdout: write: No space left on device'
}

@test "a read error on stdin is an error: status 1" {
	run -1 --separate-stderr bash -c 'evpub -l -t x <.'
	assert_equal "$stderr" 'evpub: stdin: read: Is a directory'
}

@test "--raw needs -t: a usage error" {
	run -2 --separate-stderr evpub --raw <<<'text'
	assert_equal "${stderr%%$'\n'*}" 'evpub: -t TYPE is required'
}

@test "data nested deeper than an event allows is refused, never written" {
	run -2 --separate-stderr evpub -t d "$(printf 'a.%.0s' $(seq 3000))b=1"
	assert_output ''
	assert_equal "$stderr" 'evpub: fields: the data is nested too deep for an event (2047 levels at most)'
	printf '%*s' 2048 '' | tr ' ' '[' >deep; printf '%*s' 2048 '' | tr ' ' ']' >>deep
	run -3 evpub -t d -d @deep
	assert_output --partial 'nested too deep'
	printf '{"a":' >deepl; printf '%*s' 2047 '' | tr ' ' '[' >>deepl; printf '%*s' 2047 '' | tr ' ' ']' >>deepl; echo '}' >>deepl
	run -3 --separate-stderr evpub -l -t d <deepl
	assert_equal "$stderr" 'evpub: stdin:1: nested too deep to be the data of an event (2047 levels at most)'
	# One level less fits, and the event passes evsub.
	printf '%*s' 2047 '' | tr ' ' '[' >ok; printf '%*s' 2047 '' | tr ' ' ']' >>ok
	run -0 bash -c 'evpub -t d -d @ok | evsub | wc -l'
	assert_output 1
}

@test "-o FIFO: concurrent writers of events larger than PIPE_BUF never interleave" {
	mkfifo f
	cat f >got &
	reader=$!
	exec 5>f
	big=$(head -c 200000 /dev/zero | tr '\0' z)
	pids=()
	for w in 1 2 3 4 5 6; do
		for i in 1 2 3 4 5; do echo "{\"w\":$w,\"pad\":\"$big\"}"; done | evpub -l -t x -o f &
		pids+=($!)
	done
	wait "${pids[@]}"
	exec 5>&-
	wait "$reader"
	run -0 evsub -i got
	assert_equal "${#lines[@]}" 30
}
