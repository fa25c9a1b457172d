#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The webhook receiver under attack, on loopback: clients that trickle a
# head or a body, or hold keep-alive connections, from one address
# (127.0.0.2; all of 127/8 is the loopback), and an honest client from
# another (127.0.0.1) that must still be served.  test_helper/slow.py
# plays the attacker and says what became of its connections.

load test_helper/common
load test_helper/listen

teardown() {
	[ -z "${LPID:-}" ] || kill "$LPID" 2>/dev/null || true  # honest: cleanup; it may have ended
	# shellcheck disable=SC2086
	[ -z "${SPID:-}" ] || kill $SPID 2>/dev/null || true  # honest: cleanup; it may have ended
	return 0
}

# attack MODE N LIMIT: starts slow.py with N connections from 127.0.0.2,
# its summary into attack.json; waits (at most 60 s) until they are open.
attack() {
	rm -f ready attack.json
	"$SYSPY" "$ROOT/tests/test_helper/slow.py" "$PORT" "$1" "$2" 127.0.0.2 \
	    ready "$3" >attack.json &
	SPID=$!
	local i
	for i in $(seq 600); do
		[ -e ready ] && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "slow.py did not get its connections open"
	return 1
}

# served: a client from 127.0.0.1 posts an event and is answered 200
# within 5 seconds.
served() {
	run -0 curl -s -m 5 -o /dev/null -w '%{http_code}' \
	    -H 'Content-Type: application/json' -d '{"honest":true}' "$URL"
	assert_output 200
}

# finished: waits for slow.py to end, and shows what it said.
finished() {
	wait "$SPID"
	SPID=
	cat attack.json
}

# cutoff: how many connections listen.err says were cut off, by name or
# in a sum.
cutoff() {
	awk '/did not arrive within|no next request within/ { n++ }
	    / more connections past their deadline: closed$/ { n += $2 }
	    END { print n + 0 }' listen.err
}

# summary FIELD: what slow.py said of its connections.
summary() {
	jq -r ".$1" attack.json
}

@test "1,500 slow heads from one address: another address is served at once, the slow ones are cut at their head deadline" {
	listen -t t --head-timeout 3
	attack head 1500 20
	served
	finished
	# The default of 100 connections an address refuses the others.
	[ "$(summary early)" -eq 1400 ]
	[ "$(summary late)" -eq 100 ]
	[ "$(summary open)" -eq 0 ]
	# Cut by their deadline, not before it (each lived its 3 s, less
	# the moment between its connect and the server's accept; from
	# READY the first was once 1.3 s, the 1,500 taking long to open
	# under load), and not long after.
	awk -v t="$(summary shortest)" 'BEGIN { exit !(t >= 2.5) }'
	awk -v t="$(summary last)" 'BEGIN { exit !(t <= 6) }'
	served
	# Each is logged once: a few by name, the rest in a sum.
	grep -q 'the head did not arrive within 3 s: closed' listen.err
	[ "$(cutoff)" -eq 100 ]
	run -0 jq -c .data out.ndjson
	assert_output $'{"honest":true}\n{"honest":true}'
}

@test "a head trickled one byte every 2 s, never idle for --timeout, is cut at its head deadline" {
	listen -t t --head-timeout 3 --timeout 15
	attack trickle 5 20
	finished
	[ "$(summary late)" -eq 5 ]
	[ "$(summary open)" -eq 0 ]
	# At the head's deadline, long before --timeout's 15 idle seconds.
	awk -v t="$(summary last)" 'BEGIN { exit !(t <= 5) }'
	grep -q 'the head did not arrive within 3 s: closed' listen.err
	served
}

@test "more connections than a select(2) set holds: 1,500 slow heads with no per-address limit, and another client is served" {
	# Started with the soft limit of descriptors most shells have; the
	# receiver raises it to the hard one.
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] || [ "$hard" -ge 4096 ] ||
	    { echo "the hard limit of descriptors here is $hard: 1,500 connections need more"; return 1; }
	ulimit -Sn 1024
	listen -t t --head-timeout 4 --max-per-addr 0
	attack head 1500 20
	[ "$(ls /proc/$LPID/fd | wc -l)" -gt 1500 ]
	served
	finished
	[ "$(summary early)" -eq 0 ]
	[ "$(summary late)" -eq 1500 ]
	[ "$(summary open)" -eq 0 ]
	# Each logged once, by name or in a sweep's sum.
	[ "$(cutoff)" -eq 1500 ]
	# Its descriptors are given back.
	for i in $(seq 50); do
		[ "$(ls /proc/$LPID/fd | wc -l)" -lt 20 ] && break
		sleep 0.1
	done
	[ "$(ls /proc/$LPID/fd | wc -l)" -lt 20 ]
}

@test "huge bodies sent slowly are cut at the body deadline, and nothing of them is written" {
	listen -t t --body-timeout 2 --max-size 2M
	attack body 50 20
	served
	finished
	[ "$(summary late)" -eq 50 ]
	awk -v t="$(summary first)" 'BEGIN { exit !(t >= 0.5) }'
	awk -v t="$(summary last)" 'BEGIN { exit !(t <= 5) }'
	grep -q 'the body did not arrive within 2 s: closed' listen.err
	[ "$(cutoff)" -eq 50 ]
	run -0 jq -c .data out.ndjson
	assert_output '{"honest":true}'
}

@test "large bodies held at once are bounded: past 64 MiB a request is answered 503, and memory stays flat" {
	listen -t t --body-timeout 6
	rss0=$(awk '/^VmRSS/ { print $2 }' /proc/$LPID/status)
	# 200 bodies of 1 MB, 900 KB of each sent at once: 180 MB to hold.
	attack bigbody 100 20
	pid2=$SPID
	"$SYSPY" "$ROOT/tests/test_helper/slow.py" "$PORT" bigbody 100 127.0.0.3 \
	    ready3 20 >attack3.json &
	SPID="$pid2 $!"
	for i in $(seq 600); do [ -e ready3 ] && break; sleep 0.1; done
	rss=$(awk '/^VmRSS/ { print $2 }' /proc/$LPID/status)
	echo "rss $rss0 KiB, then $rss KiB"
	[ "$rss" -lt $((rss0 + 100 * 1024)) ]
	served
	wait $SPID
	SPID=
	busy=$(jq -s 'map(.busy) | add' attack.json attack3.json)
	echo "503: $busy"
	[ "$busy" -ge 100 ]
	[ "$busy" -le 140 ]
	grep -q '503: the bodies held are over 67108864 bytes' listen.err
	run -0 jq -c .data out.ndjson
	assert_output '{"honest":true}'
}

@test "keep-alive clients that never send a second request are closed when their next head is due" {
	listen -t t --head-timeout 2 --max-per-addr 400
	attack keepalive 300 20
	served
	finished
	[ "$(summary ok)" -eq 300 ]
	[ "$(summary late)" -eq 300 ]
	awk -v t="$(summary last)" 'BEGIN { exit !(t <= 5) }'
	grep -q 'no next request within 2 s: closed' listen.err
	[ "$(cutoff)" -eq 300 ]
	[ "$(wc -l <out.ndjson)" -eq 301 ]
}

@test "--max-per-addr 2: a third connection from one address is refused, another address is served" {
	listen -t t --head-timeout 1 --max-per-addr 2
	attack head 3 10
	served
	finished
	[ "$(summary early)" -eq 1 ]
	[ "$(summary late)" -eq 2 ]
}

@test "bytes that can begin no request are closed at once, not at --timeout; a request line on its way is not" {
	listen -t t --timeout 30
	# The server stopped while the clients connect and send: it finds
	# their bytes there when it takes each connection.
	kill -STOP "$LPID"
	"$SYSPY" - "$PORT" >closes <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
cases = [b"\x00\x01\x02\n", b"89:;<=>?", b"\x16\x03\x01\x02\x00\x01",
         b"GE(T / HTTP/1.1\r\n", b" / HTTP/1.1\r\n", b"\r\nPOS"]
socks = []
for d in cases:
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(d)
    socks.append(s)
open("sent", "w").close()
start = time.monotonic()
for d, s in zip(cases, socks):
    s.settimeout(2 if d.endswith(b"POS") else 25)
    try:
        what = "answered" if s.recv(4096) else "closed"
    except socket.timeout:
        what = "open"
    print(repr(d)[2:-1], what, "late" if time.monotonic() - start > 10 else "soon")
PY
	SPID=$!
	for _ in $(seq 200); do [ -e sent ] && break; sleep 0.05; done
	kill -CONT "$LPID"
	wait "$SPID"
	SPID=
	run -0 cat closes
	assert_output - <<'EOF'
\x00\x01\x02\n closed soon
89:;<=>? closed soon
\x16\x03\x01\x02\x00\x01 closed soon
GE(T / HTTP/1.1\r\n closed soon
 / HTTP/1.1\r\n closed soon
\r\nPOS open soon
EOF
	[ "$(grep -c ': not an HTTP request: closed$' listen.err)" -eq 5 ]
	served
}

@test "--max-conns beyond the descriptors there are: said, and served up to what fits" {
	(
		ulimit -n 200
		exec evpub --listen 127.0.0.1:0 -t t --max-conns 10000 >out.ndjson 2>listen.err
	) &
	LPID=$!
	for i in $(seq 100); do
		grep -q 'listening on' listen.err 2>/dev/null && break
		sleep 0.05
	done
	run -0 cat listen.err
	assert_line 'evpub: --max-conns: 10000 connections need as many descriptors; the limit is 200 (ulimit -n): at most 136 at once'
	PORT=$(sed -n 's/^evpub: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' listen.err)
	URL="http://127.0.0.1:$PORT/"
	served
}

# ---- request framing ------------------------------------------------------

# raw FILE: FILE's bytes sent at once on one connection (test_helper/raw.py);
# the status line of each answer, then "closed" or "open", in $output.
raw() {
	run -0 "$SYSPY" "$ROOT/tests/test_helper/raw.py" "$PORT" <"$1"
}

@test "request smuggling: a head that frames its body two ways is answered 400 and the connection closed; what follows is never a request" {
	listen -t t
	hd=$'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
	# The request hidden after the first one's body, as a proxy that
	# frames by Content-Length would pass it along.
	next=$hd$'Content-Length: 14\r\n\r\n{"smuggled":1}'
	chunks=$'7\r\n{"a":1}\r\n0\r\n\r\n'
	printf '%s' "$hd"$'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n'"$chunks$next" >cl-te
	printf '%s' "$hd"$'Transfer-Encoding: chunked\r\nContent-Length: 25\r\n\r\n'"$chunks$next" >te-cl
	printf '%s' "$hd"$'Content-Length: 7\r\nContent-Length: 74\r\n\r\n{"a":1}'"$next" >cl-cl
	printf '%s' "$hd"$'Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n'"$chunks$next" >te-te
	printf '%s' "$hd"$'Transfer-Encoding: gzip\r\n\r\n'"$chunks$next" >te-gzip
	for f in cl-te te-cl cl-cl te-te te-gzip; do
		raw "$f"
		assert_output $'HTTP/1.1 400 Bad Request\nclosed'
	done
	run -0 cat out.ndjson
	assert_output ''
	run -0 grep -c ': 400: both Transfer-Encoding and Content-Length: send one (RFC 9112, section 6.1)$' listen.err
	assert_output 2
	run -0 grep -c ': 400: Content-Length fields that differ: send one (RFC 9112, section 6.3)$' listen.err
	assert_output 1
	run -0 grep -c ': 400: Transfer-Encoding: only one field, "chunked", is taken (RFC 9112, section 6.3)$' listen.err
	assert_output 2
	# Framed one way, requests still follow each other on a kept
	# connection: the same length twice is one length.
	printf '%s' "$hd"$'Content-Length: 7\r\nContent-Length: 7\r\n\r\n{"b":1}'"$hd"$'Transfer-Encoding: chunked\r\n\r\n7\r\n{"c":1}\r\n0\r\n\r\n' >honest
	raw honest
	assert_output $'HTTP/1.1 200 OK\nHTTP/1.1 200 OK\nopen'
	run -0 jq -c .data out.ndjson
	assert_output $'{"b":1}\n{"c":1}'
}

@test "usage: the receiver's limits" {
	run -2 evpub --listen 127.0.0.1:0 -t t --head-timeout 0
	assert_output --partial '--head-timeout: 0: too small'
	run -2 evpub --listen 127.0.0.1:0 -t t --body-timeout 1.5
	assert_output --partial '--body-timeout: 1.5'
	run -2 evpub --listen 127.0.0.1:0 -t t --max-conns 0
	assert_output --partial '--max-conns: 0'
	run -2 evpub --listen 127.0.0.1:0 -t t --max-per-addr -1
	assert_output --partial '--max-per-addr: -1'
	run -2 evpub -t t --max-per-addr 5
	assert_output --partial 'are for --listen'
	run -2 evpub -t t --head-timeout 5
	assert_output --partial 'are for --listen'
}

@test "HTTPS: --tls-cert and --tls-key, checked by curl against the certificate the test made" {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem \
	    -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	listen -t t --tls-cert cert.pem --tls-key key.pem --head-timeout 2
	run -0 curl -s -m 5 --cacert cert.pem -w ' %{http_code}' \
	    -H 'Content-Type: application/json' -d '{"tls":true}' "https://127.0.0.1:$PORT/"
	assert_output 'ok
 200'
	run -0 jq -c .data out.ndjson
	assert_output '{"tls":true}'
	# Plain HTTP gets no answer, and a client that does not trust the
	# certificate does not send.
	run curl -s -m 5 -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$PORT/"
	[ "$status" -ne 0 ]
	run curl -s -m 5 -H 'Content-Type: application/json' -d '{}' "https://127.0.0.1:$PORT/"
	assert_equal "$status" 60
	# A client that opens a connection and never greets is cut off too.
	attack silent 5 10
	finished
	[ "$(summary late)" -eq 5 ]
	[ "$(wc -l <out.ndjson)" -eq 1 ]
}

@test "HTTPS: a key that is not the certificate's, a missing file, one without the other" {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem \
	    -days 2 -subj /CN=a 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key2.pem -out cert2.pem \
	    -days 2 -subj /CN=b 2>/dev/null
	run -1 evpub --listen 127.0.0.1:0 -t t --tls-cert cert.pem --tls-key key2.pem
	assert_output --partial 'HTTPS would not start: is key2.pem the key of cert.pem?'
	run -1 evpub --listen 127.0.0.1:0 -t t --tls-cert nosuch.pem --tls-key key.pem
	assert_output 'evpub: --tls-cert: nosuch.pem: No such file or directory'
	echo hello >notpem
	run -1 evpub --listen 127.0.0.1:0 -t t --tls-cert notpem --tls-key key.pem
	assert_output 'evpub: --tls-cert: notpem: not PEM (no -----BEGIN line)'
	run -2 evpub --listen 127.0.0.1:0 -t t --tls-cert cert.pem
	assert_output --partial '--tls-cert and --tls-key go together'
	run -2 evpub -t t --tls-cert cert.pem --tls-key key.pem
	assert_output --partial 'are for --listen'
}
