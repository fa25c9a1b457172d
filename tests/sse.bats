#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Events to the browser and back.  evsub --serve as Server-Sent Events,
# read by curl -N and by test_helper/sse_client.py (the standard's parsing
# rules and EventSource's reconnection, in Python), on both buses; by real
# clients nobody here wrote (headless Chromium driven by npm
# puppeteer-core, the npm eventsource client), across a kill -9 and
# restart; the hostile cases: a bad filter, an unknown token, 2,000 idle
# clients, a client that never reads, slow heads from one address.  evpub
# --sse reading our own server, a Wikimedia-style Python server, npm
# better-sse and Nchan in nginx across restarts.  Trace context across
# --listen, a topic, --serve and --post.

load test_helper/common
load test_helper/listen
load test_helper/nats
load test_helper/nchan

CLIENT="$ROOT/tests/test_helper/sse_client.py"

teardown() {
	# shellcheck disable=SC2086
	[ -z "${BGPIDS:-}" ] || kill $BGPIDS 2>/dev/null || true  # honest: it may have ended
	[ -z "${SPID:-}" ] || kill "$SPID" 2>/dev/null || true  # honest: it may have ended
	[ -z "${RPID:-}" ] || kill "$RPID" 2>/dev/null || true  # honest: it may have ended
	[ -z "${LPID:-}" ] || kill "$LPID" 2>/dev/null || true  # honest: it may have ended
	nchan_stop
	nats_stop
	return 0
}

# serve ARGS...: starts evsub ARGS --serve on a free loopback port (or on
# $PORT when set), its messages into serve.err; sets SPID, PORT, BASE and
# URL (the stream).
serve() {
	: >serve.err
	evsub "$@" --serve "127.0.0.1:${PORT:-0}" 2>>serve.err &
	SPID=$!
	local i
	for i in $(seq 400); do
		grep -q 'serving on' serve.err 2>/dev/null && break
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.05
	done
	PORT=$(sed -n 's/^evsub: serving on 127\.0\.0\.1:\([0-9]*\)$/\1/p' serve.err)
	[ -n "$PORT" ] || { cat serve.err; return 1; }
	BASE="http://127.0.0.1:$PORT"
	URL="$BASE/events"
}

# connected N: waits (at most 10 s) until N clients hold a connection to
# the server on $PORT.
connected() {
	local i
	for i in $(seq 200); do
		[ "$(ss -Htn state established "( sport = :$PORT )" | wc -l)" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "not $1 clients connected to port $PORT"; return 1
}

# publish N [TYPE]: N events on topic t, data {"n":1..N}.
publish() {
	seq "$1" | sed 's/.*/{"n":&}/' | evpub -T t -t "${2:-x.y}" -l -q
}

# waitlines FILE N: waits (at most 30 s) until FILE has N lines.
waitlines() {
	local i
	for i in $(seq 600); do
		[ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "$1: $(wc -l <"$1") lines, not $2"; return 1
}

# once_in_order FILE N: FILE (ID<TAB>DATA lines) has the ids 1..N, each
# once, in order, and each data is the topic's event of that sequence.
once_in_order() {
	cut -f1 "$1" >ids
	seq "$2" >want
	diff want ids >/dev/null || { echo "ids not 1..$2 once in order:"; diff want ids | head; return 1; }
	cut -f2- "$1" >datas
	evsub -T t --from 1 --once | head -n "$2" >log
	diff log datas >/dev/null || { echo "data differs from the log"; diff log datas | head; return 1; }
}

# ---- the stream ----

@test "curl -N reads a topic's events: id: the sequence, data: the line as in the log, no event: line" {
	publish 3
	serve -T t
	run -28 curl -sN -m 2 "$URL?from=2"
	evsub -T t --from 2 --once >log
	assert_output "retry: 1000

id: 2
data: $(sed -n 1p log)

id: 3
data: $(sed -n 2p log)"
	refute_output --partial 'event:'
}

@test "a client with no position gets what is published while it is connected, then --sse-event names the type" {
	publish 5
	serve -T t
	curl -sN -m 20 "$URL" >got &
	BGPIDS="$BGPIDS $!"
	# Its stream begins with the retry: hint: it is a client now.
	waitlines got 1
	publish 2 a.b
	for i in $(seq 200); do
		[ "$(grep -c '^id:' got)" -ge 2 ] && break
		sleep 0.05
	done
	run -0 grep '^id:' got
	assert_output "id: 6
id: 7"
	kill "$SPID"
	wait "$SPID"
	SPID=
	serve -T t --sse-event
	run -28 curl -sN -m 1 "$URL?from=7"
	assert_output --partial "id: 7
event: a.b
data: {"
}

@test "Last-Event-ID, ?from= and ?since= resume from the log; Last-Event-ID wins over ?from=" {
	publish 10
	serve -T t
	run -28 curl -sN -m 1 -H 'Last-Event-ID: 8' "$URL?from=1"
	assert_equal "$(grep '^id:' <<<"$output" | tr '\n' ' ')" "id: 9 id: 10 "
	run -28 curl -sN -m 1 "$URL?from=10"
	assert_equal "$(grep -c '^id:' <<<"$output")" 1
	run -28 curl -sN -m 1 "$URL?since=1h"
	assert_equal "$(grep -c '^id:' <<<"$output")" 10
	run -0 curl -s -o /dev/null -w '%{http_code}' -H 'Last-Event-ID: x' "$URL"
	assert_output 400
}

@test "the bus gone under --serve (NATS stopped): /topics keeps its last survey, the failure is said, the server goes on" {
	nats_start
	publish 3
	serve -T t
	local i
	for i in $(seq 50); do
		curl -s "$BASE/topics" >topics
		[ -s topics ] && break
		sleep 0.1
	done
	assert_equal "$(jq -r .topic topics)" t
	kill "${NPID[1]}"
	wait "${NPID[1]}" || true  # honest: stopped, its status is the signal's
	# The survey is made again while /topics is asked for (each second):
	# it fails, is said, and the last one is still served.
	for i in $(seq 300); do
		curl -s -m 5 "$BASE/topics" >topics2
		grep -q '^evsub: ' serve.err && break
		sleep 0.1
	done
	grep -q '^evsub: ' serve.err || { cat serve.err; return 1; }
	cmp topics topics2
	kill -0 "$SPID"
	run -0 curl -s -m 5 -o /dev/null -w '%{http_code}' "$BASE/"
	assert_output 200
}

@test "1,000 events, the server killed (-9) and restarted mid-stream: the reconnecting client has each once, in order (directory bus)" {
	mktopic t
	serve -T t
	"$SYSPY" "$CLIENT" read "$URL?from=1" 1000 90 >got 2>reader.err &
	local reader=$!
	(for i in $(seq 1000); do echo "{\"n\":$i}"; [ $((i % 50)) -ne 0 ] || sleep 0.1; done) |
	    evpub -T t -t x.y -l -q &
	local pub=$!
	waitlines got 300
	kill -9 "$SPID"
	wait "$SPID" || true  # honest: killed, its status is the signal's
	serve -T t
	wait "$pub"
	wait "$reader"
	grep -q 'reconnects: [1-9]' reader.err || { cat reader.err; return 1; }
	once_in_order got 1000
}

@test "1,000 events, the server killed (-9) and restarted mid-stream: the reconnecting client has each once, in order (NATS)" {
	nats_start
	mktopic t
	serve -T t
	"$SYSPY" "$CLIENT" read "$URL?from=1" 1000 90 >got 2>reader.err &
	local reader=$!
	(for i in $(seq 1000); do echo "{\"n\":$i}"; [ $((i % 50)) -ne 0 ] || sleep 0.1; done) |
	    evpub -T t -t x.y -l -q &
	local pub=$!
	waitlines got 300
	kill -9 "$SPID"
	wait "$SPID" || true  # honest: killed, its status is the signal's
	serve -T t
	wait "$pub"
	wait "$reader"
	grep -q 'reconnects: [1-9]' reader.err || { cat reader.err; return 1; }
	# The first event is the topic's making, on NATS as on the directory.
	once_in_order got 1000
}

@test "40 clients resuming at random places while 20,000 events are published as fast as they come: each has its range once, in order" {
	local seed=${SSE_SEED:-$RANDOM} i from
	echo "seed $seed"
	RANDOM=$seed
	publish 2000
	serve -T t
	(seq 2001 20000 | sed 's/.*/{"n":&}/' | evpub -T t -t x.y -l -q) &
	local pub=$!
	for i in $(seq 40); do
		from=$((RANDOM % 19000 + 1))
		echo "$from" >"from$i"
		"$SYSPY" "$CLIENT" read "$URL?from=$from" $((20001 - from)) 120 >"got$i" 2>/dev/null &
		BGPIDS="$BGPIDS $!"
		sleep 0.0$((RANDOM % 10))
	done
	wait "$pub"
	for i in $(seq 40); do
		waitlines "got$i" $((20001 - $(cat "from$i"))) || return 1
		seq "$(cat "from$i")" 20000 >want
		cut -f1 "got$i" | diff -q want - >/dev/null ||
		    { echo "client $i from $(cat "from$i"): not each once in order"; return 1; }
	done
}

@test "off a topic: clients get what arrives while they are connected, with no id:, and the stream ends with the input" {
	mkfifo in
	serve -i in
	curl -sN -m 20 "$URL" >got &
	local c=$!
	for i in $(seq 50); do grep -q retry got 2>/dev/null && break; sleep 0.1; done
	evpub -t a.b n:=1 >in
	stopped "$SPID" || { echo "evsub --serve: exit $?"; return 1; }
	SPID=
	wait "$c"
	run -0 grep -c '^data: {' got
	assert_output 1
	run -1 grep '^id:' got
}

@test "evsub's own filters and each client's ?filter= select; a bad filter is 400 with the command line's message" {
	publish 4 a.b
	publish 4 c.d
	serve -T t 'type=a.*,c.*'
	run -28 curl -sN -m 1 "$URL?from=1&filter=type=c.*&filter=data.n>2"
	assert_equal "$(grep '^id:' <<<"$output" | tr '\n' ' ')" "id: 7 id: 8 "
	run -28 curl -sN -m 1 -G "$URL" --data-urlencode 'from=1' --data-urlencode 'filter=data.n<=1'
	assert_equal "$(grep '^id:' <<<"$output" | tr '\n' ' ')" "id: 1 id: 5 "
	run -2 evsub 'type==a.b'
	local cli=${lines[0]}
	run -0 curl -s -w '\n%{http_code}' "$URL?filter=type==a.b"
	assert_equal "${lines[0]}" "$cli"
	assert_equal "${lines[1]}" 400
	grep -q '400: evsub: filter:' serve.err
}

@test "heartbeat comments when idle, and the retry: hint first" {
	mktopic t
	serve -T t --heartbeat 1
	run -28 curl -sN -m 3.5 "$URL"
	assert_line --index 0 'retry: 1000'
	[ "$(grep -c '^:$' <<<"$output")" -ge 2 ]
}

# ---- who may read ----

@test "--token-file: no or an unknown token is 401, a known one as a bearer or ?access_token= is served; never on argv" {
	mktopic t
	printf 'first-token\n# a comment\nsecond-token\n' >tokens
	serve -T t --token-file tokens
	run -0 curl -s -o /dev/null -w '%{http_code}' "$URL"
	assert_output 401
	run -0 curl -s -D - -o /dev/null -H 'Authorization: Bearer nope' "$URL"
	assert_output --partial '401'
	assert_output --partial 'WWW-Authenticate: Bearer'
	run -0 curl -s -o /dev/null -w '%{http_code}' "$URL?access_token=first"
	assert_output 401
	run -28 curl -sN -m 1 -H 'Authorization: Bearer second-token' "$URL"
	assert_output --partial 'retry:'
	run -28 curl -sN -m 1 "$URL?access_token=first-token"
	assert_output --partial 'retry:'
	# The page has no secret: it is served without a token.
	run -0 curl -s -o /dev/null -w '%{http_code}' "$BASE/"
	assert_output 200
	grep -q '401: no token' serve.err
	run -2 evsub --token-file tokens
	assert_output --partial 'are for --serve'
}

@test "--cors: an allowed origin is named in Access-Control-Allow-Origin, another is not; preflights" {
	mktopic t
	serve -T t --cors https://class.example
	run -28 curl -sN -m 1 -D - -H 'Origin: https://class.example' "$URL"
	assert_output --partial 'Access-Control-Allow-Origin: https://class.example'
	run -28 curl -sN -m 1 -D - -H 'Origin: https://evil.example' "$URL"
	refute_output --partial 'Access-Control-Allow-Origin'
	run -0 curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H 'Origin: https://class.example' "$URL"
	assert_output 204
	run -0 curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H 'Origin: https://evil.example' "$URL"
	assert_output 403
}

@test "HTTPS with --tls-cert and --tls-key" {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem \
	    -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	publish 1
	serve -T t --tls-cert cert.pem --tls-key key.pem
	run -28 curl -sN -m 2 --cacert cert.pem "https://127.0.0.1:$PORT/events?from=1"
	assert_output --partial 'id: 1'
	run -2 evsub -T t --serve 127.0.0.1:0 --tls-cert cert.pem
	assert_output --partial '--tls-cert and --tls-key go together'
}

# ---- the page ----

@test "/ is one static page with no network but this server; /topics is what --topics --json says" {
	publish 2
	evsub -T t --consumer billing --once >/dev/null
	serve -T t
	run -0 curl -s -D headers "$BASE/"
	assert_output --partial 'new EventSource("events" + q)'
	assert_output --partial '</html>'
	refute_output --regexp 'src="?https?:|href="?https?:'
	grep -q "Content-Security-Policy: default-src 'none'; connect-src 'self'" headers
	curl -s "$BASE/topics" >/dev/null
	local i
	for i in $(seq 50); do
		[ -s topics ] && break
		curl -s "$BASE/topics" >topics
		sleep 0.1
	done
	evsub --topics --json >want
	jq -c 'del(.subscribers)' want >want.c
	jq -c 'del(.subscribers)' topics >topics.c
	diff want.c topics.c
}

# ---- the hostile cases ----

@test "2,000 idle clients at once each get the next event" {
	ulimit -n 16384
	mktopic t
	serve -T t
	rm -f ready
	"$SYSPY" "$CLIENT" idle "$URL" 2000 ready 1 60 >idle.json &
	local c=$!
	for i in $(seq 600); do [ -e ready ] && break; kill -0 "$c" || break; sleep 0.1; done
	[ -e ready ] || { echo "the clients did not all start"; cat idle.json; return 1; }
	publish 1
	wait "$c"
	run -0 jq -c . idle.json
	assert_output '{"opened":2000,"started":2000,"done":2000}'
}

@test "a client that never reads is cut off at its buffer, and another keeps getting every event" {
	mktopic t
	serve -T t --max-buffer 256K
	"$SYSPY" "$CLIENT" noread "$URL" 60 >noread.addr &
	BGPIDS="$BGPIDS $!"
	"$SYSPY" "$CLIENT" read "$URL?from=1" 5000 60 >got 2>reader.err &
	local reader=$!
	waitlines noread.addr 1
	connected 2
	local big
	big=$(head -c 2000 /dev/zero | tr '\0' x)
	# 10 MB, more than the one that never reads can hold (its buffer and
	# the sockets'), in bursts of 100 KB at a pace the other can take on
	# a loaded machine too (2 MB/s: at 5 MB/s it fell behind now and
	# then, with three busy loops beside the suite).
	for i in $(seq 0 50 4950); do
		seq $((i + 1)) $((i + 50)) | sed "s/.*/{\"n\":&,\"pad\":\"$big\"}/"
		sleep 0.05
	done | evpub -T t -t x.y -l -q
	wait "$reader" || { cat serve.err; return 1; }
	grep -q 'reconnects: 0' reader.err
	run -0 cut -f1 got
	assert_output "$(seq 5000)"
	grep -q "$(cat noread.addr): its buffer is full: it does not read: cut off" serve.err ||
	    { cat serve.err; return 1; }
	[ "$(grep -c 'cut off' serve.err)" -eq 1 ]
}

@test "slow heads from one address are cut at their deadline and refused past --max-per-addr, while another address is served" {
	publish 1
	serve -T t --max-per-addr 50
	rm -f ready attack.json
	"$SYSPY" "$ROOT/tests/test_helper/slow.py" "$PORT" head 150 127.0.0.2 ready 20 >attack.json &
	BGPIDS="$BGPIDS $!"
	local a=$!
	for i in $(seq 300); do [ -e ready ] && break; sleep 0.1; done
	run -28 curl -sN -m 1 "$URL?from=1"
	assert_output --partial 'id: 1'
	wait "$a"
	run -0 jq -c '[.early, .late, .open]' attack.json
	assert_output '[100,50,0]'
	grep -q 'no request head within 10 s: closed' serve.err
}

# ---- real clients: Chromium and the npm eventsource client ----

# npmclients: the npm clients (puppeteer-core, eventsource) and server
# (better-sse) in
# build/npm, installed there at the first run (never committed), and the
# scripts beside them, where their imports resolve; sets NPMDIR.
npmclients() {
	local lock
	NPMDIR="$ROOT/build/npm"
	mkdir -p "$NPMDIR"
	# Tests run side by side (bats --jobs): one installs, under a lock,
	# and the others wait for its mark, never for a half-made tree.
	exec {lock}>"$NPMDIR/.lock"
	flock "$lock"
	if [ ! -f "$NPMDIR/.installed" ]; then
		if ! (cd "$NPMDIR" && npm install --prefix . --cache ./.cache \
		    --no-audit --no-fund --loglevel=error \
		    puppeteer-core@24 eventsource@4 better-sse@0) >&2; then
			exec {lock}>&-
			echo "npm install failed"
			return 1
		fi
		: >"$NPMDIR/.installed"
	fi
	exec {lock}>&-
	cp "$ROOT"/tests/test_helper/browser.mjs \
	    "$ROOT"/tests/test_helper/eventsource.mjs \
	    "$ROOT"/tests/test_helper/better_sse.mjs "$NPMDIR"/
}

# restart_midstream READER FILE: publishes 1,000 events on topic t while
# READER (a pid) reads them into FILE; kills --serve (-9) once 300 are
# read, and starts it again on the same port.  The last 500 are
# published only after the kill, so the reader must lose its stream and
# come back for them: when all 1,000 were out before the kill (a loaded
# machine, a slow reader), a browser had them all and never saw its
# stream fail.
restart_midstream() {
	(for i in $(seq 500); do echo "{\"n\":$i}"; [ $((i % 50)) -ne 0 ] || sleep 0.1; done) |
	    evpub -T t -t x.y -l -q &
	local pub=$!
	waitlines "$2" 300 || return 1
	kill -9 "$SPID"
	wait "$SPID" || true  # honest: killed, its status is the signal's
	wait "$pub"
	serve -T t
	seq 501 1000 | sed 's/.*/{"n":&}/' | evpub -T t -t x.y -l -q
	wait "$1"
}

@test "headless Chromium's EventSource gets 1,000 events across a kill and restart of --serve: it reconnects on its own, each event once, in order" {
	[ -x /usr/bin/chromium ] || skip "no chromium (make deps installs it)"
	npmclients
	mktopic t
	serve -T t
	(cd "$NPMDIR" || exit 1; exec node browser.mjs "$BASE" 1000 90) >got 2>browser.err &
	local reader=$! i
	# The page's own stream starts at the end: it is open before the
	# events are, or a slow start has it see none of them.
	for i in $(seq 1800); do
		grep -qx ready browser.err && break
		kill -0 "$reader" || { cat browser.err; return 1; }
		sleep 0.05
	done
	grep -qx ready browser.err || { cat browser.err; return 1; }
	restart_midstream "$reader" got || { cat browser.err; return 1; }
	grep -q 'errors: [1-9]' browser.err || { cat browser.err; return 1; }
	# The page's own stream showed events too.
	grep -q 'page count: [1-9]' browser.err || { cat browser.err; return 1; }
	once_in_order got 1000
}

@test "the npm eventsource client gets 1,000 events across a kill and restart of --serve, each once, in order" {
	npmclients
	mktopic t
	serve -T t
	(cd "$NPMDIR" || exit 1; exec node eventsource.mjs "$URL?from=1" 1000 90) >got 2>es.err &
	local reader=$!
	restart_midstream "$reader" got || { cat es.err; return 1; }
	grep -q 'errors: [1-9]' es.err || { cat es.err; return 1; }
	once_in_order got 1000
}

# ---- reading: evpub --sse ----

SERVER="$ROOT/tests/test_helper/sse_server.py"

# pyserve N ARGS...: starts sse_server.py with N events (on $PYPORT when
# set); sets PYPID, PYPORT and PYURL.
pyserve() {
	rm -f pyport
	"$SYSPY" "$SERVER" pyport "$1" --port "${PYPORT:-0}" "${@:2}" &
	PYPID=$!
	BGPIDS="$BGPIDS $PYPID"
	local i
	for i in $(seq 200); do [ -s pyport ] && break; sleep 0.05; done
	PYPORT=$(cat pyport)
	PYURL="http://127.0.0.1:$PYPORT/stream"
}

@test "evpub --sse copies our own --serve's topic to another across a kill -9 and restart of the server: each event once, in order" {
	mktopic t
	serve -T t
	evpub --sse "$URL?from=1" -T copy -t x -c 1000 -q 2>reader.err &
	local reader=$!
	(for i in $(seq 1000); do echo "{\"n\":$i}"; [ $((i % 50)) -ne 0 ] || sleep 0.1; done) |
	    evpub -T t -t x.y -l -q &
	local pub=$!
	for i in $(seq 600); do
		[ "$(evsub -T copy --from 1 --once 2>/dev/null | wc -l)" -ge 300 ] && break
		sleep 0.05
	done
	kill -9 "$SPID"
	wait "$SPID" || true  # honest: killed, its status is the signal's
	serve -T t
	wait "$pub"
	wait "$reader" || { cat reader.err; return 1; }
	run -0 bash -c 'evsub -T copy --from 1 --once | jq -r .data.n'
	assert_output "$(seq 1000)"
	# The events as the first topic has them, but for the sequence.
	evsub -T t --from 1 --once | jq -c 'del(.sequence)' >a
	evsub -T copy --from 1 --once | jq -c 'del(.sequence)' >b
	diff a b
}

@test "evpub --sse reads a Wikimedia-style stream (JSON data, opaque JSON ids) across a server restart into a topic: nothing lost or doubled" {
	pyserve 500 --close 170 --retry 100 --log requests
	evpub --sse "$PYURL" -t org.example.demo -T wiki -c 500 2>reader.err
	run -0 bash -c 'evsub -T wiki --from 1 --once | jq -r .data.n'
	assert_output "$(seq 500)"
	# Each event's id is the stream's id; its source the URL.
	run -0 bash -c 'evsub -T wiki --from 1 --once | jq -r "[.id, .source, .type] | @tsv" | sed -n 3p'
	assert_output "$(printf '[{"topic":"demo","partition":0,"offset":3}]\t%s\torg.example.demo' "$PYURL")"
	# It reconnected from where each connection ended, after retry:.
	run -0 jq -r .last requests
	assert_output 'null
[{"topic":"demo","partition":0,"offset":170}]
[{"topic":"demo","partition":0,"offset":340}]'
	grep -q 'again in 0.1 s, from id' reader.err
}

@test "evpub --sse across a kill and restart of a Python SSE server, --state across runs as cron would: each event once" {
	pyserve 300 --every 0.01
	local port=$PYPORT
	evpub --sse "$PYURL" -t demo -T wiki --state st -c 100 -q
	run -0 cat st
	assert_output '[{"topic":"demo","partition":0,"offset":100}]'
	evpub --sse "$PYURL" -t demo -T wiki --state st -c 200 >/dev/null 2>reader.err &
	local reader=$!
	for i in $(seq 600); do
		[ "$(evsub -T wiki --from 1 --once 2>/dev/null | wc -l)" -ge 150 ] && break
		sleep 0.05
	done
	kill -9 "$PYPID"
	wait "$PYPID" || true  # honest: killed, its status is the signal's
	PYPORT=$port pyserve 300 --every 0.01
	wait "$reader" || { cat reader.err; return 1; }
	grep -q 'again in 3.0 s, from id' reader.err
	run -0 cat st
	assert_output '[{"topic":"demo","partition":0,"offset":300}]'
	# The next run has nothing new: it waits, then says so.
	run -5 evpub --sse "$PYURL" -t demo -T wiki --state st -w 1 -q
	run -0 bash -c 'evsub -T wiki --from 1 --once | jq -r .data.n'
	assert_output "$(seq 300)"
}

@test "evpub --sse reads a better-sse server (npm) across a kill and restart of it into a topic: each event once, in order" {
	npmclients
	rm -f bport
	(cd "$NPMDIR" || exit 1; exec node better_sse.mjs "$BATS_TEST_TMPDIR/bport" 2000) &
	local server=$! port
	BGPIDS="$BGPIDS $server"
	for i in $(seq 200); do [ -s bport ] && break; sleep 0.05; done
	port=$(cat bport)
	evpub --sse "http://127.0.0.1:$port/sse" -t demo -T copy -c 2000 >/dev/null 2>reader.err &
	local reader=$!
	for i in $(seq 2000); do
		[ "$(evsub -T copy --from 1 --once 2>/dev/null | wc -l)" -ge 200 ] && break
		sleep 0.05
	done
	kill -9 "$server"
	wait "$server" || true  # honest: killed, its status is the signal's
	(cd "$NPMDIR" || exit 1; exec node better_sse.mjs "$BATS_TEST_TMPDIR/bport" 2000 "$port") &
	BGPIDS="$BGPIDS $!"
	wait "$reader" || { cat reader.err; return 1; }
	grep -q 'from id [1-9]' reader.err || { cat reader.err; return 1; }
	run -0 bash -c 'evsub -T copy --from 1 --once | jq -r "[.id, .data.n] | @tsv"'
	assert_output "$(seq 2000 | awk '{ print $1 "\t" $1 }')"
}

@test "evpub --sse reads Nchan in nginx across a restart of nginx into a topic: each event once, in order" {
	[ -f "$NCHAN_MODULE" ] || skip "no Nchan (make deps installs libnginx-mod-nchan)"
	local port
	port=$(freeports 1)
	nchan_start "$BATS_TEST_TMPDIR/nx" "$port"
	evpub --sse "http://127.0.0.1:$port/sub" -t demo -T nchan -c 600 >/dev/null 2>reader.err &
	local reader=$!
	BGPIDS="$BGPIDS $reader"
	"$SYSPY" "$ROOT/tests/test_helper/post_range.py" "http://127.0.0.1:$port/pub" 1 300
	for i in $(seq 600); do
		[ "$(evsub -T nchan --from 1 --once 2>/dev/null | wc -l)" -ge 300 ] && break
		sleep 0.05
	done
	nchan_stop
	# Nchan's ids are SECONDS:N, its buffer in memory: an nginx started
	# again within the second gives the same ids to other messages, and a
	# reader resuming from one is given nothing.  A second apart.
	sleep 1.1  # honest: a second must pass, not a condition be met
	nchan_start "$BATS_TEST_TMPDIR/nx" "$port"
	"$SYSPY" "$ROOT/tests/test_helper/post_range.py" "http://127.0.0.1:$port/pub" 301 600
	wait "$reader" || { cat reader.err; return 1; }
	grep -q 'again in .* s, from id [0-9]*:[0-9]' reader.err || { cat reader.err; return 1; }
	run -0 bash -c 'evsub -T nchan --from 1 --once | jq -r .data.n'
	assert_output "$(seq 600)"
}

@test "evpub --sse: a --state that cannot be saved ends the reading, status 1, naming it; what it would have covered comes again next run" {
	publish 3
	serve -T t
	run -1 --separate-stderr evpub --sse "$URL?from=1" -t x -c 3 --state nodir/state
	assert_equal "$stderr" 'evpub: nodir/state: saving the state: create: No such file or directory'
	mkdir nodir
	run -0 evpub --sse "$URL?from=1" -t x -c 3 --state nodir/state
	assert_equal "${#lines[@]}" 3
	assert_equal "$(jq -c .data <<<"${lines[0]}")" '{"n":1}'
	assert_equal "$(cat nodir/state)" 3
}

@test "evpub --sse: text data is a string, --sse-event takes the type, headers and a token come from files; a refusal ends it" {
	pyserve 3 --text --event page.edit --token s3cret --log requests
	printf 'X-Client: eventful-test\n' >hdrs
	printf 's3cret\n' >tok
	run -0 --separate-stderr evpub --sse "$PYURL" --sse-event --header-file hdrs --token-file tok -c 2
	run -0 jq -c '[.type, .datacontenttype, .data]' <<<"$output"
	assert_output '["page.edit","text/plain","line 1"]
["page.edit","text/plain","line 2"]'
	run -0 jq -r '.headers["X-Client"]' requests
	assert_output eventful-test
	printf 'wrong\n' >tok
	run -1 evpub --sse "$PYURL" -t x --token-file tok -c 1
	assert_output --partial 'answered 401'
	# Not an event stream: said, and not asked again.
	echo '<p>hello</p>' >index.html
	"$SYSPY" -m http.server --bind 127.0.0.1 0 >http.out 2>&1 &
	BGPIDS="$BGPIDS $!"
	for i in $(seq 100); do grep -q 'port [0-9]' http.out && break; sleep 0.05; done
	run -1 evpub --sse "http://127.0.0.1:$(sed -n 's/.* port \([0-9]*\).*/\1/p' http.out | head -1)/index.html" -t x -c 1
	assert_output --partial 'answered with text/html, not text/event-stream'
	run -2 evpub --sse "$PYURL"
	assert_output --partial '-t TYPE, or --sse-event'
	run -2 evpub --state st -t x
	assert_output --partial 'are for --sse'
}

# ---- trace context ----

TP=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01

@test "a trace crosses eventful: traceparent and tracestate headers into --listen's events, through a topic and --serve, out of --post as headers in both modes" {
	listen -T t -t web.hit -c 3
	curl -s -o /dev/null -H "traceparent: $TP" -H 'tracestate: rojo=00f067aa0ba902b7' \
	    -H 'Content-Type: application/json' -d '{"n":1}' "$URL"
	# An event that has its own keeps it; a bad header is no trace.
	curl -s -o /dev/null -H "traceparent: $TP" \
	    -H 'Content-Type: application/cloudevents+json' \
	    -d '{"specversion":"1.0","id":"e2","source":"/s","type":"t","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}' "$URL"
	curl -s -o /dev/null -H 'traceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01' \
	    -H 'Content-Type: application/json' -d '{"n":3}' "$URL"
	stopped "$LPID"
	run -0 bash -c 'evsub -T t --from 1 --once | jq -c "[.traceparent, .tracestate]"'
	assert_output "[\"$TP\",\"rojo=00f067aa0ba902b7\"]
[\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\",null]
[null,null]"
	# Served: the attributes ride in the data line.
	serve -T t
	run -28 curl -sN -m 1 "$URL?from=1"
	assert_output --partial "\"traceparent\":\"$TP\",\"tracestate\":\"rojo=00f067aa0ba902b7\""
	# Posted: as headers, structured and binary.
	receiver
	evsub -T t --from 1 --once -c 1 --post "$RURL"
	evsub -T t --from 1 --once -c 1 --post "$RURL" --binary
	evsub -T t --from 3 --once --post "$RURL"
	run -0 jq -r '[.headers.traceparent, .headers.tracestate, .headers["ce-traceparent"]] | @tsv' attempts
	assert_output "$(printf '%s\t%s\t\n%s\t%s\t%s\n\t\t' "$TP" rojo=00f067aa0ba902b7 "$TP" rojo=00f067aa0ba902b7 "$TP")"
}

# ---- usage ----

@test "--serve's usage errors say what goes with what" {
	run -2 evsub --serve 8080
	assert_output --partial 'not HOST:PORT'
	run -2 evsub --serve 127.0.0.1:0 -o out
	assert_output --partial 'not with --exec, -o or --post'
	run -2 evsub -T t --from 3 --serve 127.0.0.1:0
	assert_output --partial 'a client asks for the past'
	run -2 evsub --cors '*'
	assert_output --partial 'are for --serve'
	run -8 evsub -T nosuch --serve 127.0.0.1:0
}
