#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# CloudEvents conformance at the edges (issue 20): the HTTP binding both
# ways (http-protocol-binding.md), the type system (spec.md), and what
# users of Standard Webhooks and GitHub's webhooks expect.  Each test
# names the section it holds the toolkit to.

load test_helper/common
load test_helper/listen

SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
SECRET2=whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD

teardown() {
	local p
	for p in $LPID $RPID; do
		kill "$p" 2>/dev/null || true  # honest: cleanup; it may have ended
	done
	return 0
}

# ---- Binary mode, sending (evsub --binary --post) ----

@test "binary: Content-Type is the datacontenttype as it is, never percent-encoded (binding 3.1.1)" {
	printf '%s\n' '{"specversion":"1.0","id":"c1","source":"/x","type":"t","datacontenttype":"application/json; charset=utf-8","data":{"a":1}}' >in.ndjson
	receiver 200
	run -0 evsub --binary --post "$RURL" <in.ndjson
	run -0 jq -r '.headers["content-type"]' attempts
	assert_output 'application/json; charset=utf-8'
	# evsub to evpub --listen: the data is JSON again, the type the same.
	listen -c 1
	run -0 evsub --binary --post "$URL" <in.ndjson
	stopped "$LPID"
	run -0 jq -c '[.datacontenttype, .data]' out.ndjson
	assert_output '["application/json; charset=utf-8",{"a":1}]'
}

@test "binary: an event whose data is a CloudEvent (or a batch) goes in structured mode, the outer event kept" {
	inner='{"specversion":"1.0","id":"in","source":"/i","type":"inner"}'
	{
		printf '{"specversion":"1.0","id":"o1","source":"/o","type":"outer","datacontenttype":"application/cloudevents+json","data":%s}\n' "$inner"
		printf '{"specversion":"1.0","id":"o2","source":"/o","type":"outer","datacontenttype":"application/cloudevents-batch+json; charset=utf-8","data":[%s]}\n' "$inner"
	} >in.ndjson
	receiver 200
	run -0 evsub --binary --post "$RURL" <in.ndjson
	run -0 jq -r '[.headers["content-type"], (.headers["ce-id"] // "-")] | join(" ")' attempts
	assert_line -n 0 'application/cloudevents+json -'
	assert_line -n 1 'application/cloudevents+json -'
	diff <(jq -r '.body | @base64d' attempts) in.ndjson
	# evpub --listen takes both whole (and gives them a time).
	listen -c 2
	run -0 evsub --binary --post "$URL" <in.ndjson
	stopped "$LPID"
	diff <(jq -cS . in.ndjson) <(jq -cS 'del(.time)' out.ndjson)
}

@test "binary: \"data\": null is a value, sent as a JSON null body; no data is no body (json-format 3.1.1)" {
	{
		printf '%s\n' '{"specversion":"1.0","id":"n1","source":"/x","type":"t","data":null}'
		printf '%s\n' '{"specversion":"1.0","id":"n2","source":"/x","type":"t"}'
		printf '%s\n' '{"specversion":"1.0","id":"n3","source":"/x","type":"t","datacontenttype":"application/json","data":null}'
	} >in.ndjson
	receiver 200
	run -0 evsub --binary --post "$RURL" <in.ndjson
	run -0 jq -r '[.headers["ce-id"], (.headers["content-type"] // "-"), (.body | @base64d)] | join(" ")' attempts
	assert_line -n 0 'n1 application/json null'
	assert_line -n 1 'n2 - '
	assert_line -n 2 'n3 application/json null'
	# And back: a JSON null body is "data": null, no body is no data.
	listen -c 3
	run -0 evsub --binary --post "$URL" <in.ndjson
	stopped "$LPID"
	run -0 jq -c '[.id, has("data"), .data]' out.ndjson
	assert_line -n 0 '["n1",true,null]'
	assert_line -n 1 '["n2",false,null]'
	assert_line -n 2 '["n3",true,null]'
}

@test "webhook-id: the event id when it is safe characters, else a stable msg_ id made from it" {
	{
		evpub -t t --id 'order-17_A'
		evpub -t t --id 'order/17 é.x'
		evpub -t t --id 'order/17 é.x'
	} >in.ndjson
	receiver 200
	run -0 evsub --secret "$SECRET" --post "$RURL" <in.ndjson
	run -0 jq -r '.headers["webhook-id"]' attempts
	assert_line -n 0 'order-17_A'
	id=$(sed -n 2p <<<"$output")
	[[ $id =~ ^msg_[A-Za-z0-9_-]{43}$ ]]
	assert_line -n 2 "$id"
	# The signature is over the id that was sent: another library checks it.
	sed -n 2p attempts | jq -r .body | base64 -d >body
	ts=$(sed -n 2p attempts | jq -r '.headers["webhook-timestamp"]')
	sig=$("$SYSPY" "$ROOT/tests/test_helper/sign.py" sw "$SECRET" "$id" "$ts" body)
	[ "$(sed -n 2p attempts | jq -r '.headers["webhook-signature"]')" = "$sig" ]
}

# ---- Binary mode, receiving (evpub --listen) ----

@test "receiving: a quoted-string ce- value is unescaped first, then percent-decoded (binding 3.1.3.2)" {
	listen -c 2
	run -0 post -X POST -H 'ce-specversion: 1.0' -H 'ce-id: q1' -H 'ce-source: /x' \
	    -H 'ce-type: t' -H 'ce-subject: "hello world"' "$URL"
	assert_output 200
	run -0 post -X POST -H 'ce-specversion: 1.0' -H 'ce-id: q2' -H 'ce-source: /x' \
	    -H 'ce-type: t' -H 'ce-subject: "say \"hi\" 100%25"' "$URL"
	assert_output 200
	stopped "$LPID"
	run -0 jq -r .subject out.ndjson
	assert_line -n 0 'hello world'
	assert_line -n 1 'say "hi" 100%'
}

@test "receiving: a ce- value that decodes to a control character is refused with 400, the header named" {
	listen
	run -0 curl -s -X POST -w ' %{http_code}' -H 'ce-specversion: 1.0' -H 'ce-id: c1' \
	    -H 'ce-source: /x' -H 'ce-type: t' -H 'ce-subject: a%0Ab' "$URL"
	assert_output --partial 'ce-subject: U+000A (character 2) is not allowed in a CloudEvents String'
	assert_output --partial ' 400'
	# A quoted-string must be closed, and nothing may follow it.
	run -0 curl -s -X POST -w ' %{http_code}' -H 'ce-specversion: 1.0' -H 'ce-id: c2' \
	    -H 'ce-source: /x' -H 'ce-type: t' -H 'ce-subject: "open' "$URL"
	assert_output --partial "ce-subject: a quoted-string without its closing"
	assert_output --partial ' 400'
	# An attribute once, the data in the body, the type in one place.
	run -0 curl -s -X POST -w ' %{http_code}' -H 'ce-specversion: 1.0' -H 'ce-id: c3' \
	    -H 'ce-source: /x' -H 'ce-type: t' -H 'ce-Type: u' "$URL"
	assert_output --partial 'ce-type: given twice'
	assert_output --partial ' 400'
	run -0 curl -s -X POST -w ' %{http_code}' -H 'ce-specversion: 1.0' -H 'ce-id: c4' \
	    -H 'ce-source: /x' -H 'ce-type: t' -H 'ce-data: 1' "$URL"
	assert_output --partial 'ce-data: the data is the body, not a header'
	assert_output --partial ' 400'
	run -0 curl -s -X POST -w ' %{http_code}' -H 'ce-specversion: 1.0' -H 'ce-id: c5' \
	    -H 'ce-source: /x' -H 'ce-type: t' -H 'ce-datacontenttype: text/plain' \
	    -H 'Content-Type: text/plain' --data-binary hi "$URL"
	assert_output --partial 'Content-Type and ce-datacontenttype: one of them, not both'
	assert_output --partial ' 400'
	[ ! -s out.ndjson ]
}

# ---- The type system (spec.md, Type System) ----

@test "strings: control characters and noncharacters are refused in attributes, free in data" {
	run -2 evpub -t t -S $'a\tb'
	assert_output --partial 'U+0009'
	for s in '"a\nb"' '"a\u0085b"' '"a\uFFFEb"' '"a\u007fb"' '"a\uFDD0b"' '"a\uDBFF\uDFFFb"'; do
		run -3 evsub <<<"{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/x\",\"type\":\"t\",\"subject\":$s}"
		assert_output --partial 'stdin:1: subject'
		assert_output --partial 'not allowed in a CloudEvents String'
	done
	run -3 evsub <<<'{"specversion":"1.0","id":"1","source":"/x","type":"t","ext":"a\u0001"}'
	assert_output --partial 'ext'
	# Raw bytes, not only escapes: U+0085 and U+007F written as UTF-8.
	run -3 evsub <<<$'{"specversion":"1.0","id":"1","source":"/x","type":"t\xc2\x85"}'
	run -3 evsub <<<$'{"specversion":"1.0","id":"1","source":"/x","type":"t\x7f"}'
	# Data is free; U+00A0 and U+FFFD are characters like any other.
	run -0 evsub <<<'{"specversion":"1.0","id":"1","source":"/x","type":"t\u00a0\ufffd","data":"a\n\u0001\uFFFE"}'
}

@test "source is a URI-reference, dataschema an absolute URI, datacontenttype a media type" {
	run -2 evpub -t t -s 'my source'
	assert_output --partial 'URI-reference'
	assert_output --partial '%20'
	# ev MEMBERS: an event with MEMBERS, and source /x unless they give one.
	ev() {
		local m=$1
		[[ $m == '"source"'* ]] || m="\"source\":\"/x\",$m"
		printf '{"specversion":"1.0","id":"1","type":"t",%s}\n' "$m"
	}
	for bad in '"source":"/grüße"' '"source":"/a%zz"' '"source":"a b"' '"source":"x:y:z[1]"' \
	    '"dataschema":"http://x/a b"' '"dataschema":"http://x/é"' '"dataschema":"/rel"' \
	    '"datacontenttype":"not a media type"' '"datacontenttype":"text"' \
	    '"datacontenttype":"text/plain; charset"' '"datacontenttype":"text/plain;"'; do
		run -3 evsub <<<"$(ev "$bad")"
		assert_output --partial "stdin:1: ${bad:1:6}"
	done
	for good in '"source":"/gr%C3%BC%C3%9Fe"' '"source":"urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"' \
	    '"source":"https://[::1]:8080/a?b=c#d"' '"source":"mailto:a@b.c"' '"source":"1-555-123-4567"' \
	    '"dataschema":"https://example.com/s.json"' '"dataschema":"urn:x"' \
	    '"datacontenttype":"application/json; charset=utf-8"' \
	    '"datacontenttype":"text/plain;charset=\"us-ascii\""' '"datacontenttype":"application/vnd.a+json"'; do
		run -0 evsub <<<"$(ev "$good")"
	done
}

@test "a leap second only at 23:59:60 UTC, after the offset (RFC 3339 5.7)" {
	ev() { printf '{"specversion":"1.0","id":"1","source":"/x","type":"t","time":"%s"}\n' "$1"; }
	run -0 evsub <<<"$(ev 2016-12-31T23:59:60Z)"
	run -0 evsub <<<"$(ev 2016-12-31T15:59:60-08:00)"
	run -0 evsub <<<"$(ev 2017-01-01T00:59:60+01:00)"
	run -3 evsub <<<"$(ev 2021-07-21T08:00:60Z)"
	assert_output --partial 'stdin:1: time'
	run -3 evsub <<<"$(ev 2016-12-31T23:59:60+01:00)"
	run -2 evpub -t t --time 2021-07-21T08:00:60Z
}

# ---- What users of these libraries expect ----

@test "key rotation: --secret twice, the sender signs with both, the receiver takes either" {
	evpub -t t --id k1 >in.ndjson
	receiver 200
	run -0 evsub --secret "$SECRET" --secret "$SECRET2" --post "$RURL" <in.ndjson
	sigs=$(jq -r '.headers["webhook-signature"]' attempts)
	jq -r .body attempts | base64 -d >body
	ts=$(jq -r '.headers["webhook-timestamp"]' attempts)
	s1=$("$SYSPY" "$ROOT/tests/test_helper/sign.py" sw "$SECRET" k1 "$ts" body)
	s2=$("$SYSPY" "$ROOT/tests/test_helper/sign.py" sw "$SECRET2" k1 "$ts" body)
	[ "$sigs" = "$s1 $s2" ]
	# A receiver that knows either secret takes it; one that knows
	# neither refuses it.
	printf '%s\n# the old one, until every sender has the new\n%s\n' "$SECRET2" "$SECRET" >secrets
	chmod 600 secrets
	listen --secret-file secrets -c 2
	run -0 evsub --secret "$SECRET" --post "$URL" <in.ndjson
	evpub -t t --id k2 | evsub --secret "$SECRET2" --post "$URL"
	stopped "$LPID"
	[ "$(jq -r .id out.ndjson | tr '\n' ' ')" = 'k1 k2 ' ]
	listen --secret "$SECRET2"
	run -1 evsub --retries 0 --secret "$SECRET" --post "$URL" <in.ndjson
	assert_output --partial 'no webhook-signature matches'
}

@test "GitHub deliveries as the CloudEvents GitHub adapter maps them: type, source, subject, id" {
	listen
	p="$DATA/github-webhooks/payloads"
	n=0
	while read -r ev file; do
		n=$((n + 1))
		run -0 post -H 'Content-Type: application/json' -H "X-GitHub-Event: $ev" \
		    -H "X-GitHub-Delivery: d-$n" --data-binary @"$p/$file" "$URL"
		assert_output 200
	done <<-'EOF'
	issues issues/opened.payload.json
	pull_request pull_request/opened.payload.json
	push push/payload.json
	create create/payload.json
	release release/published.payload.json
	star star/created.payload.json
	ping ping/payload.json
	check_suite check_suite/requested.payload.with-email-with-special-characters.json
	EOF
	kill "$LPID"
	stopped "$LPID"
	run -0 jq -r '[.id, .type, .source, (.subject // "-")] | join(" ")' out.ndjson
	assert_line -n 0 'd-1 com.github.issues.opened https://api.github.com/repos/Codertocat/Hello-World 1'
	assert_line -n 1 'd-2 com.github.pull_request.opened https://api.github.com/repos/Codertocat/Hello-World 2'
	assert_line -n 2 'd-3 com.github.push https://github.com/Codertocat/Hello-World refs/tags/simple-tag'
	assert_line -n 3 'd-4 com.github.create https://api.github.com/repos/Codertocat/Hello-World simple-tag'
	assert_line -n 4 "d-5 com.github.release.published https://api.github.com/repos/Codertocat/Hello-World $(jq .release.id "$p/release/published.payload.json")"
	assert_line -n 5 'd-6 com.github.star.created https://api.github.com/repos/Codertocat/Hello-World -'
	assert_line -n 6 "d-7 com.github.ping https://api.github.com/repos/Octocoders/Hello-World -"
	assert_line -n 7 "d-8 com.github.check_suite.requested https://api.github.com/repos/Codertocat/Hello-World $(jq .check_suite.id "$p/check_suite/requested.payload.with-email-with-special-characters.json")"
	schema_check out.ndjson
}
