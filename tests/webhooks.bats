#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Webhooks, on loopback with real HTTP both ways: evsub --post delivers,
# evpub --listen receives, a Python endpoint (test_helper/receiver.py)
# answers as a test needs and logs every attempt, curl posts what a
# sender would, and Python's hmac signs (test_helper/sign.py).

load test_helper/common
load test_helper/listen

SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

teardown() {
	local p
	for p in $LPID $RPID; do
		kill "$p" 2>/dev/null || true  # honest: cleanup; it may have ended
	done
	return 0
}

# swpost FILE [ID [TIMESTAMP]]: POSTs FILE as JSON, signed with $SECRET.
swpost() {
	local id=${2:-msg_$RANDOM$RANDOM} ts=${3:-$(date +%s)} sig
	sig=$("$SYSPY" "$ROOT/tests/test_helper/sign.py" sw "$SECRET" "$id" "$ts" "$1")
	post -H 'Content-Type: application/json' -H "webhook-id: $id" \
	    -H "webhook-timestamp: $ts" -H "webhook-signature: $sig" \
	    --data-binary @"$1" "$URL"
}

@test "evsub --post into evpub --listen, signed: 1,000 events arrive once each, byte for byte" {
	{
		head -n 500 "$DATA/gharchive/2021-07-21-sample.ndjson" |
		    evpub -l -t gh.event
		seq 500 | jq -c '{n: ., s: "caf\u00e9 \u2603 \"q\" \\\\ \(.)"}' |
		    evpub -l -t counted -S n -e tenant=acme
	} >in.ndjson
	[ "$(wc -l <in.ndjson)" -eq 1000 ]
	listen --secret "$SECRET" -c 1000
	run -0 evsub --secret "$SECRET" --post "$URL" <in.ndjson
	stopped "$LPID"
	cmp in.ndjson out.ndjson
	[ "$(jq -r .id out.ndjson | sort -u | wc -l)" -eq 1000 ]
}

@test "EVENTFUL_WEBHOOK_SECRET signs and verifies; without the secret the listener refuses" {
	evpub -t a.b --id e1 x:=1 >one.ndjson
	listen -c 1
	EVENTFUL_WEBHOOK_SECRET=$SECRET
	export EVENTFUL_WEBHOOK_SECRET
	kill "$LPID"
	stopped "$LPID"
	listen -c 1
	run -0 evsub --post "$URL" <one.ndjson
	stopped "$LPID"
	cmp one.ndjson out.ndjson
	# A sender without the secret is refused: 401, logged, not written.
	listen -c 1
	run -1 env -u EVENTFUL_WEBHOOK_SECRET evsub --retries 0 --post "$URL" <one.ndjson
	assert_output --partial 'answered 401 Unauthorized: no webhook-id, not retried'
	assert_output --partial 'delivery stops at this event'
	[ ! -s out.ndjson ]
	grep -q ': 401: no webhook-id' listen.err
}

@test "--binary: data_base64 with JSON escapes (\\/ as PHP writes it, \\u003d) is decoded as the string it stands for" {
	{
		printf '%s\n' '{"specversion":"1.0","id":"e1","source":"/x","type":"t","data_base64":"\/\/\/\/"}'
		printf '%s\n' '{"specversion":"1.0","id":"e2","source":"/x","type":"t","data_base64":"QQ\u003d\u003d"}'
		printf '%s\n' '{"specversion":"1.0","id":"e3","source":"/x","type":"t","data_base64":"\u0041\u0041\u0045\u0043"}'
	} >in.ndjson
	receiver 200
	run -0 evsub --binary --post "$RURL" <in.ndjson
	run -0 jq -r '.headers["ce-id"] + " " + .headers["content-length"] + " " + .body' attempts
	assert_output $'e1 3 ////\ne2 1 QQ==\ne3 3 AAEC'
}

@test "--binary: ce- headers and the data as the body, read back as the same events" {
	{
		evpub -t bin.json -S s/1 --id b1 -e tenant=acme 'a:=[1,2]' 'b=café'
		printf '%s\n' '{"specversion":"1.0","id":"b2","source":"/x","type":"bin.text","datacontenttype":"text/plain","data":"hello, world \"quoted\" 100%"}'
		printf '%s\n' '{"specversion":"1.0","id":"b3","source":"/x","type":"bin.bytes","datacontenttype":"application/octet-stream","data_base64":"AAECAwT/"}'
		printf '%s\n' '{"specversion":"1.0","id":"b4","source":"/x%20y","type":"bin.none","subject":"\u00e9t\u00e9 %"}'
	} >in.ndjson
	receiver 200
	run -0 evsub --binary --post "$RURL" <in.ndjson
	run -0 jq -r '.headers["ce-id"] + " " + .headers["content-type"] + " " + .body' attempts
	assert_line 'b1 application/json eyJhIjpbMSwyXSwiYiI6ImNhZsOpIn0='
	assert_line 'b2 text/plain aGVsbG8sIHdvcmxkICJxdW90ZWQiIDEwMCU='
	assert_line 'b3 application/octet-stream AAECAwT/'
	run -0 jq -r 'select(.headers["ce-id"] == "b4") | .headers["ce-subject"] + " " + .headers["ce-source"]' attempts
	assert_output '%C3%A9t%C3%A9%20%25 /x%2520y'
	# Round trip through evpub --listen: the same events.
	listen -c 4
	run -0 evsub --binary --post "$URL" <in.ndjson
	stopped "$LPID"
	schema_check out.ndjson
	# Those without a time get one, as evpub -l gives them.
	diff <(jq -cS "del(.time)" in.ndjson) <(jq -cS "del(.time)" out.ndjson)
}

@test "Standard Webhooks over HTTP: fresh signatures pass, wrong, stale, future and missing ones get 401" {
	printf '{"test": 2432232314}' >body.json
	listen --secret "$SECRET" -t sw.test
	run -0 swpost body.json msg_1
	assert_output 200
	# Several signatures in the header: one good one is enough.
	ts=$(date +%s)
	good=$("$SYSPY" "$ROOT/tests/test_helper/sign.py" sw "$SECRET" msg_2 "$ts" body.json)
	run -0 post -H 'Content-Type: application/json' -H 'webhook-id: msg_2' \
	    -H "webhook-timestamp: $ts" -H "webhook-signature: v1,AAAA v2,x $good" \
	    --data-binary @body.json "$URL"
	assert_output 200
	run -0 post -H 'Content-Type: application/json' -H 'webhook-id: msg_3' \
	    -H "webhook-timestamp: $ts" -H "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=" \
	    --data-binary @body.json "$URL"
	assert_output 401
	run -0 swpost body.json msg_4 $(( $(date +%s) - 400 ))
	assert_output 401
	run -0 swpost body.json msg_5 $(( $(date +%s) + 400 ))
	assert_output 401
	run -0 swpost body.json msg_6 161426533.0
	assert_output 401
	run -0 post -H 'Content-Type: application/json' --data-binary @body.json "$URL"
	assert_output 401
	# Another secret's signature.
	SECRET=whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD run -0 swpost body.json msg_7
	assert_output 401
	# A body changed after signing.
	ts=$(date +%s)
	sig=$("$SYSPY" "$ROOT/tests/test_helper/sign.py" sw "$SECRET" msg_8 "$ts" body.json)
	run -0 post -H 'Content-Type: application/json' -H 'webhook-id: msg_8' \
	    -H "webhook-timestamp: $ts" -H "webhook-signature: $sig" \
	    --data-binary '{"test": 2432232315}' "$URL"
	assert_output 401
	# A replayed id is not written again.
	run -0 swpost body.json msg_1
	assert_output 200
	[ "$(wc -l <out.ndjson)" -eq 2 ]
	run -0 jq -r '.id + " " + .type + " " + (.data.test | tostring)' out.ndjson
	assert_line 'msg_1 sw.test 2432232314'
	assert_line 'msg_2 sw.test 2432232314'
	run -0 grep -c ': 401: ' listen.err
	assert_output 7
	grep -q 'no webhook-signature matches' listen.err
	grep -q 'webhook-timestamp is too old' listen.err
	grep -q 'webhook-timestamp is in the future' listen.err
	grep -q 'webhook-timestamp is not a number of seconds' listen.err
	grep -q 'webhook-id msg_1 was taken before: not written again' listen.err
}

@test "GitHub: every payload of the corpus with its event header and signature becomes an event; a wrong signature gets 401" {
	listen --github-secret 'It is a secret'
	n=0
	files=("$DATA"/github-webhooks/payloads/*/*.json)
	mapfile -t sigs < <("$SYSPY" "$ROOT/tests/test_helper/sign.py" gh 'It is a secret' "${files[@]}")
	for f in "${files[@]}"; do
		ev=$(basename "$(dirname "$f")")
		run -0 post -H 'Content-Type: application/json' -H "X-GitHub-Event: $ev" \
		    -H "X-GitHub-Delivery: d-$n" -H "X-Hub-Signature-256: ${sigs[$n]}" \
		    --data-binary @"$f" "$URL"
		assert_output 200
		n=$((n + 1))
		line=$(sed -n "${n}p" out.ndjson)
		# As the CloudEvents GitHub adapter maps it (and conformance.bats),
		# checked by one jq: what differs, or nothing.
		run -0 jq -n -r --argjson l "$line" --slurpfile p "$f" --arg ev "$ev" --argjson n "$n" '
		    $p[0] as $p |
		    if $l.type != "com.github.\($ev)" + ([$p.action // empty | "." + .] | add // "") then "type \($l.type)"
		    elif $l.source != $p.repository.url then "source \($l.source)"
		    elif $l.id != "d-\($n)" and $l.id != "d-\($n - 1)" then "id \($l.id)"
		    elif $l.data != $p then "data differs"
		    else empty end'
		[ -z "$output" ] || { echo "$f: $output"; return 1; }
	done
	[ "$n" -eq 13 ]
	[ "$(wc -l <out.ndjson)" -eq 13 ]
	schema_check out.ndjson
	f="$DATA/github-webhooks/payloads/ping/payload.json"
	run -0 post -H 'Content-Type: application/json' -H 'X-GitHub-Event: ping' \
	    -H "X-Hub-Signature-256: sha256=$(printf '%064d' 0)" --data-binary @"$f" "$URL"
	assert_output 401
	run -0 post -H 'Content-Type: application/json' -H 'X-GitHub-Event: ping' \
	    --data-binary @"$f" "$URL"
	assert_output 401
	[ "$(wc -l <out.ndjson)" -eq 13 ]
	grep -q ': 401: X-Hub-Signature-256 does not match' listen.err
	grep -q ': 401: no X-Hub-Signature-256' listen.err
}

@test "GitHub's form-encoded delivery (payload=...): signed over the form, its payload becomes the data" {
	listen --github-secret 'It is a secret'
	f="$DATA/github-webhooks/payloads/push/payload.json"
	# As GitHub sends it: payload= and the JSON, percent-encoded.
	"$SYSPY" -c 'import sys, urllib.parse; sys.stdout.write("payload=" + urllib.parse.quote_plus(open(sys.argv[1]).read()))' "$f" >form
	sig=$("$SYSPY" "$ROOT/tests/test_helper/sign.py" gh 'It is a secret' form)
	run -0 post -H 'Content-Type: application/x-www-form-urlencoded' \
	    -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: f-1' \
	    -H "X-Hub-Signature-256: $sig" --data-binary @form "$URL"
	assert_output 200
	diff <(jq -S .data out.ndjson) <(jq -S . "$f")
	[ "$(jq -r .type out.ndjson)" = com.github.push ]
	# The signature is over the form as sent, not over the payload.
	sig=$("$SYSPY" "$ROOT/tests/test_helper/sign.py" gh 'It is a secret' "$f")
	run -0 post -H 'Content-Type: application/x-www-form-urlencoded' \
	    -H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: $sig" --data-binary @form "$URL"
	assert_output 401
	printf 'other=1' >bad
	sig=$("$SYSPY" "$ROOT/tests/test_helper/sign.py" gh 'It is a secret' bad)
	run -0 curl -s -w ' %{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' \
	    -H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: $sig" --data-binary @bad "$URL"
	assert_output 'a form without a payload= field: not a GitHub delivery
 400'
	[ "$(wc -l <out.ndjson)" -eq 1 ]
}

@test "a 415 names the content types taken and the curl flag that sends JSON" {
	listen -t t
	run -0 curl -s -w ' %{http_code}' -H 'Content-Type: text/plain' -d x "$URL"
	assert_output --partial "application/cloudevents+json (an event)"
	assert_output --partial "curl -H 'Content-Type: application/json' --data-binary @FILE"
	assert_output --partial ' 415'
}

@test "evsub --post says what the receiver answered: the status, its reason, the first line of the body" {
	listen --secret "$SECRET"
	run -1 --separate-stderr evsub --post "$URL" --secret whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
	    < <(evpub -t t)
	[[ $stderr == *"$URL answered 401 Unauthorized: no webhook-signature matches, not retried"* ]]
	run -1 --separate-stderr evsub --post "${URL}nope" < <(evpub -t t)
	[[ $stderr == *"answered 404 Not Found: no such path, not retried"* ]]
	# What comes from outside is escaped, and cut at its first line.
	"$SYSPY" - rport <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b"bad\x1b[2J and " + b"x" * 300 + b"\nevsub: FORGED\n"
        self.send_response(500, "Oops\x07")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.handle_request()
PY
	RPID=$!
	for i in $(seq 100); do [ -s rport ] && break; sleep 0.05; done
	run -1 --separate-stderr evsub --retries 0 --post "http://127.0.0.1:$(cat rport)/" < <(evpub -t t)
	[[ $stderr == *'answered 500 Oops\x07: bad\x1b[2J and xxx'* ]]
	[[ $stderr != *$'\e'* ]]
	[[ $stderr != *FORGED* ]]
	[ "$(grep -c 'answered 500' <<<"$stderr")" -eq 1 ]
	[ "$(grep 'answered 500' <<<"$stderr" | wc -c)" -lt 300 ]
}

@test "500 twice then 200: three attempts, one webhook-id, delivered" {
	evpub -t r.t --id r1 >one.ndjson
	receiver 500 500 200
	run -0 --separate-stderr evsub --secret "$SECRET" --post "$RURL" <one.ndjson
	[ "$(wc -l <attempts)" -eq 3 ]
	run -0 jq -r '[.status, .headers["webhook-id"], .headers["content-type"]] | join(" ")' attempts
	assert_output $'500 r1 application/cloudevents+json\n500 r1 application/cloudevents+json\n200 r1 application/cloudevents+json'
	# Each attempt is signed afresh, and the body is the event.
	run -0 jq -r '.body | @base64d' attempts
	assert_line --index 2 "$(cat one.ndjson | tr -d '\n')"
	[ "$(grep -c 'answered 500 Internal Server Error; try' <<<"$stderr")" -eq 2 ]
}

@test "429 with Retry-After: 1 is honoured; 410 stops delivery with status 6" {
	{ evpub -t r.t --id r1; evpub -t r.t --id r2; evpub -t r.t --id r3; } >in.ndjson
	receiver 429:1 200 410
	run -6 --separate-stderr evsub --post "$RURL" --dead-letter dl <in.ndjson
	run -0 jq -r '[.status, .headers["ce-id"] // (.body | @base64d | fromjson | .id)] | join(" ")' attempts
	assert_output $'429 r1\n200 r1\n410 r2'
	"$SYSPY" -c 'import json,sys; a=[json.loads(l) for l in open("attempts")]; sys.exit(0 if a[1]["t"] - a[0]["t"] >= 1.0 else 1)'
	# Gone is not a failure to park: r2 was not delivered, and r3 never tried.
	[ ! -s dl ]
}

@test "the endpoint's stderr messages: 410 is said, and a 4xx other than 408, 410 and 429 is not retried" {
	evpub -t r.t --id r1 >one.ndjson
	receiver 410
	run -6 evsub --post "$RURL" <one.ndjson
	assert_output --partial 'answered 410 Gone: delivery stops'
	kill "$RPID"
	receiver 400
	run -1 evsub --post "$RURL" --dead-letter dl <one.ndjson
	assert_output --partial 'answered 400 Bad Request, not retried'
	[ "$(wc -l <attempts)" -eq 1 ]
	cmp one.ndjson dl
}

@test "redirects are never followed" {
	evpub -t r.t --id r1 >one.ndjson
	receiver 302
	run -1 evsub --post "$RURL" <one.ndjson
	assert_output --partial 'answered 302 Found (redirects are not followed), not retried'
	[ "$(wc -l <attempts)" -eq 1 ]
}

@test "a receiver that is down: retries with backoff, then the dead-letter file holds the event, and delivery goes on" {
	printf '%s\n' '{"specversion":"1.0","id":"d1","source":"/s","type":"t",  "data":{"k":"v"}}' >in.ndjson
	evpub -t r.t --id d2 >>in.ndjson
	port=$("$SYSPY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	run -1 --separate-stderr evsub --retries 2 --dead-letter dl --post "http://127.0.0.1:$port/" <in.ndjson
	cmp in.ndjson dl
	[ "$(grep -c 'try [23] of 3 in' <<<"$stderr")" -eq 4 ]
	[ "$(grep -c 'after 3 tries' <<<"$stderr")" -eq 2 ]
	[ "$(grep -c 'the event is kept in dl' <<<"$stderr")" -eq 2 ]
	# Without a dead-letter file, delivery stops at the first.
	run -1 --separate-stderr evsub --retries 0 --post "http://127.0.0.1:$port/" <in.ndjson
	[ "$(grep -c 'delivery stops at this event' <<<"$stderr")" -eq 1 ]
}

@test "a time-out is retried: --timeout" {
	evpub -t r.t --id r1 >one.ndjson
	receiver sleep:2 200
	run -0 --separate-stderr evsub --timeout 0.5 --post "$RURL" <one.ndjson
	assert_equal "$(grep -c 'Timeout was reached\|timed out' <<<"$stderr")" 1
}

@test "refusals: 405, 404, 415, 413, 400, each answered and logged with its reason" {
	listen --max-size 2K -t plain
	run -0 post "$URL"
	assert_output 405
	run -0 post -X PUT -H 'Content-Type: application/json' -d '{}' "$URL"
	assert_output 405
	run -0 post -H 'Content-Type: application/json' -d '{}' "${URL}other"
	assert_output 404
	run -0 post -H 'Content-Type: text/plain' -d 'hello' "$URL"
	assert_output 415
	# A form is taken as GitHub sends one: without payload=, it is bad.
	run -0 post -H 'Content-Type: application/x-www-form-urlencoded' -d 'a=b' "$URL"
	assert_output 400
	head -c 3000 /dev/zero | tr '\0' 'a' | sed 's/.*/"&"/' >big.json
	run -0 post -H 'Content-Type: application/json' --data-binary @big.json "$URL"
	assert_output 413
	# Chunked, so that the size is only known as it comes.
	run -0 post -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @big.json "$URL"
	assert_output 413
	run -0 post -H 'Content-Type: application/json' -d '{"a":' "$URL"
	assert_output 400
	run -0 post -H 'Content-Type: application/cloudevents+json' -d '{"a":1}' "$URL"
	assert_output 400
	run -0 post -H 'Content-Type: application/cloudevents+json' -d '{"specversion":"1.0","id":"x","source":"/s","type":"t","Bad":1}' "$URL"
	assert_output 400
	run -0 post -H 'Content-Type: application/cloudevents-batch+json' -d '[{"specversion":"1.0","id":"x","source":"/s","type":"t"},{"id":"y"}]' "$URL"
	assert_output 400
	run -0 post -H 'ce-specversion: 1.0' -H 'ce-id: 1' -H 'ce-source: /s' -H 'ce-Bad_Name: x' -H 'Content-Type: text/plain' -d 'x' "$URL"
	assert_output 400
	[ ! -s out.ndjson ]
	run -0 grep -c '^evpub: 127\.0\.0\.1:[0-9]*: [0-9][0-9][0-9]: ' listen.err
	assert_output 12
	grep -q ': 405: only POST is taken' listen.err
	grep -q ': 415: Content-Type: not one taken: send application/cloudevents+json' listen.err
	grep -q ': 413: the body is over --max-size' listen.err
	grep -q ': 400: invalid JSON' listen.err
	grep -q ': 400: not a CloudEvent: no specversion' listen.err
	grep -q ': 400: batch element 2: ' listen.err
	grep -q ': 400: ce-bad_name: not an attribute name' listen.err
	# What is taken: an event, a batch, binary mode, plain JSON with -t.
	run -0 post -H 'Content-Type: application/cloudevents+json' -d '{ "specversion" : "1.0", "id":"e1", "source":"/s", "type":"t" }' "$URL"
	assert_output 200
	run -0 post -H 'Content-Type: application/cloudevents-batch+json; charset=utf-8' -d '[{"specversion":"1.0","id":"e2","source":"/s","type":"t"},{"specversion":"1.0","id":"e3","source":"/s","type":"t"}]' "$URL"
	assert_output 200
	run -0 post -H 'ce-specversion: 1.0' -H 'ce-id: e4' -H 'ce-source: /s' -H 'ce-type: t' -H 'Content-Type: text/plain' -d 'hi' "$URL"
	assert_output 200
	run -0 post -H 'Content-Type: application/json' -d '[1, 2]' "$URL"
	assert_output 200
	run -0 jq -c '[.id, .type, .data]' out.ndjson
	assert_line --index 0 '["e1","t",null]'
	assert_line --index 1 '["e2","t",null]'
	assert_line --index 2 '["e3","t",null]'
	assert_line --index 3 '["e4","t","hi"]'
	assert_line --index 4 --regexp '^\["[0-9a-f-]{36}","plain",\[1,2\]\]$'
	# Compacted, and completed as evpub -l completes: the time added.
	head -n1 out.ndjson | grep -Eqx '\{"specversion":"1.0","time":"[^"]+","id":"e1","source":"/s","type":"t"\}'
	schema_check out.ndjson
}

@test "a body within --max-size whose event would be over it is refused 413, as is a batch with such an event" {
	listen --max-size 2K -t plain
	# 1,952 bytes of JSON: the event around them is over 2,048.
	head -c 1950 /dev/zero | tr '\0' 'a' | sed 's/.*/"&"/' >big.json
	run -0 post -H 'Content-Type: application/json' --data-binary @big.json "$URL"
	assert_output 413
	printf '[{"specversion":"1.0","id":"x","source":"/s","type":"t","data":%s}]' "$(cat big.json)" >batch.json
	run -0 post -H 'Content-Type: application/cloudevents-batch+json' --data-binary @batch.json "$URL"
	assert_output 413
	[ ! -s out.ndjson ]
	grep -Eq ': 413: the event would be [0-9]+ bytes, over the limit of 2048 \(--max-size\)$' listen.err
	grep -q ': 413: batch element 1: the event would be ' listen.err
}

@test "1,000 bad requests, slow bodies among them, and then a good one: still up, memory flat" {
	listen --secret "$SECRET" --max-size 4K --timeout 1 --body-timeout 1 -t good
	"$SYSPY" - "$PORT" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def send(data, read=True):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(data)
    if read:
        s.settimeout(5)
        try:
            s.recv(4096)
        except OSError:
            pass
    s.close()
def rss():
    pid = None
    return 0
big = b"x" * 10000
for i in range(1000):
    k = i % 5
    if k == 0:
        send(bytes((i * 7 + j) % 256 for j in range(200)))
    elif k == 1:
        body = b'{"a":%d}' % i
        send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"webhook-id: m%d\r\nwebhook-timestamp: %d\r\n"
             b"webhook-signature: v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"
             b"Content-Length: %d\r\n\r\n" % (i, int(time.time()), len(body)) + body)
    elif k == 2:
        send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\n\r\n" % len(big) + big)
    elif k == 3:
        send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n" + b"1000\r\n" + big[:4096] + b"\r\n"
             + b"1000\r\n" + big[:4096] + b"\r\n0\r\n\r\n")
    else:
        send(b"GET /" + b"a" * 100 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
# Slow bodies: 20 connections at once that send a byte now and then.
socks = []
for i in range(20):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 100\r\n\r\n{")
    socks.append(s)
for t in range(4):
    time.sleep(0.4)
    for s in socks:
        try:
            s.sendall(b" ")
        except OSError:
            pass
for s in socks:
    s.close()
PY
	rss1=$(awk '/^VmRSS/ {print $2}' /proc/$LPID/status)
	# The same again: memory must not grow with the number of requests.
	"$SYSPY" - "$PORT" <<'PY'
import socket, sys
port = int(sys.argv[1])
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 5000\r\n\r\n" + b"y" * 5000)
    s.settimeout(5)
    try:
        s.recv(4096)
    except OSError:
        pass
    s.close()
PY
	rss2=$(awk '/^VmRSS/ {print $2}' /proc/$LPID/status)
	echo "rss $rss1 KiB, then $rss2 KiB"
	[ "$rss2" -lt $((rss1 + 2048)) ]
	kill -0 "$LPID"
	printf '{"ok":true}' >good.json
	run -0 swpost good.json
	assert_output 200
	run -0 jq -c .data out.ndjson
	assert_output '{"ok":true}'
	grep -q 'the body did not arrive within 1 s: closed' listen.err
}

@test "SIGTERM: the request in flight is answered and written, then exit 0" {
	listen -t slow
	"$SYSPY" - "$PORT" "$LPID" >answer <<'PY' &
import os, signal, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: 10\r\n\r\n{\"a\":")
# Waits (10 s at most) until the receiver has read all that was sent: its
# end of the connection has nothing queued (/proc/net/tcp's rx_queue).
me = "%04X" % s.getsockname()[1]
for _ in range(200):
    q = [int(f[4].split(":")[1], 16) for f in
         (l.split() for l in open("/proc/net/tcp"))
         if f[1].endswith(":%04X" % port) and f[2].endswith(":" + me)]
    if q == [0]:
        break
    time.sleep(0.05)
os.kill(pid, signal.SIGTERM)
# Waits (10 s at most) until it has taken the signal: no new connection.
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        break
    time.sleep(0.05)
s.sendall(b"true}")
s.settimeout(5)
print(s.recv(4096).split(b"\r\n")[0].decode())
PY
	cpid=$!
	stopped "$LPID"
	wait "$cpid"
	run -0 cat answer
	assert_output 'HTTP/1.1 200 OK'
	run -0 jq -c .data out.ndjson
	assert_output '{"a":true}'
	# Gone: nothing listens any more (curl: could not connect).
	run -7 post -H 'Content-Type: application/json' -d '{}' "$URL"
	assert_output 000
}

@test "the output's reader goes away: 503, and evpub --listen ends quietly" {
	mkfifo fifo
	evpub --listen 127.0.0.1:0 -t t -o fifo 2>listen.err &
	LPID=$!
	head -n 1 fifo >first &
	hpid=$!
	for i in $(seq 100); do grep -q 'listening on' listen.err && break; sleep 0.05; done
	URL="http://127.0.0.1:$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' listen.err)/"
	run -0 post -H 'Content-Type: application/json' -d '{"n":1}' "$URL"
	assert_output 200
	wait "$hpid"
	run -0 post -H 'Content-Type: application/json' -d '{"n":2}' "$URL"
	assert_output 503
	stopped "$LPID"
	run -0 jq -c .data first
	assert_output '{"n":1}'
}

@test "usage: what goes with --post and --listen" {
	run -2 evsub --post ftp://example.org/
	assert_output --partial 'not an http:// or https:// URL'
	run -2 evsub --post http://127.0.0.1:9/ -o x
	run -2 evsub --post http://127.0.0.1:9/ --data
	run -2 evsub --post http://127.0.0.1:9/ --secret whsec_not-base64!
	run -2 evsub --binary
	assert_output --partial 'are for --post'
	run -2 evsub --post http://127.0.0.1:9/ --exec true
	run -2 evpub --listen 127.0.0.1:0 -l
	run -2 evpub --listen 127.0.0.1:0 --id x
	run -2 evpub --path /x -t t
	assert_output --partial 'are for --listen'
	run -2 evpub --listen nohostport
	run -2 evpub --listen 127.0.0.1:0 --secret whsec_
	run -2 evpub --listen 127.0.0.1:0 --timeout 0
}

@test "evpub --listen -T: the topic's log holds the event before the 2xx; live subscribers get it" {
	evsub -T hooks -c 2 -o live.out 2>live.err &
	SPID=$!
	for _ in $(seq 100); do [ -n "$(ls "$EVENTFUL_HOME/topics/hooks/subs" 2>/dev/null)" ] && break; sleep 0.05; done
	listen -T hooks -t com.example.hook
	assert_equal "$(post -X POST -H 'Content-Type: application/json' -d '{"n":1}' "$URL")" 200
	# Answered: so it is in the log, durable, already.
	assert_equal "$(jq -c .data "$EVENTFUL_HOME/topics/hooks/log")" '{"n":1}'
	assert_equal "$(post -X POST -H 'Content-Type: application/json' -d '{"n":2}' "$URL")" 200
	assert_equal "$(wc -l <"$EVENTFUL_HOME/topics/hooks/log")" 2
	for _ in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
	wait "$SPID"
	cmp live.out "$EVENTFUL_HOME/topics/hooks/log"
	run -0 evlog verify "$EVENTFUL_HOME/topics/hooks/log"
	# Not with -o.
	run -2 evpub --listen 127.0.0.1:0 -T hooks -o x -t t
}

@test "a durable consumer with --post moves its position only after a 2xx" {
	for i in 1 2 3 4; do evpub -T out -t t n:=$i; done
	# The third event gets 500 every time: the run stops there, status 1.
	receiver 200 200 500
	run -1 --separate-stderr evsub -T out --consumer hook --once --retries 1 --post "$RURL"
	assert_equal "$(cat "$EVENTFUL_HOME/topics/out/consumers/hook")" 2
	assert_equal "$(wc -l <attempts)" 4	# 2 delivered, 2 tries of the third
	kill "$RPID"
	exited "$RPID" 143
	# The next run starts with the third, and delivers the rest.
	receiver 200
	run -0 evsub -T out --consumer hook --once --post "$RURL"
	assert_equal "$(jq -r .body attempts | base64 -d | jq -r .data.n | tr '\n' ' ')" "3 4 "
	assert_equal "$(cat "$EVENTFUL_HOME/topics/out/consumers/hook")" 4
	kill "$RPID"
	exited "$RPID" 143
	# 410: the endpoint is gone; status 6, the position before it.
	evpub -T out -t t n:=5
	receiver 410
	run -6 evsub -T out --consumer hook --once --post "$RURL"
	assert_equal "$(cat "$EVENTFUL_HOME/topics/out/consumers/hook")" 4
}
