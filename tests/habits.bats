#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The habits every program shares, that people bring from jq, kcat, the nats
# CLI and curl: one-line usage errors, -h, --color, secrets off the command
# line, one time syntax, and shell completion.

load test_helper/common
load test_helper/listen

SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
GHSECRET='It is a secret'

teardown() {
	[ -z "${LPID:-}" ] || kill "$LPID" 2>/dev/null || true
}

# onterm TERM CMD: runs CMD on a pseudo-terminal with TERM set, so that
# "auto" sees a terminal; its output (escapes and all) is in $output.
onterm() {
	local term=$1
	shift
	run env TERM="$term" script -qec "$*" /dev/null
}

# complete WORD...: what bash completion offers for the command line
# WORD..., the last word being completed, one per line, sorted.
complete() {
	bash -c 'source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=(); _eventful
		[ "${#COMPREPLY[@]}" -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort' \
	    complete "$ROOT/completion/eventful.bash" "$@"
}

# completions: what complete gives, for many command lines in one shell:
# one a line of stdin, its words split at blanks; prints "N<tab>WORD" for
# each word offered for line N (from 1).
completions() {
	bash -c 'source "$1"; n=0
		while read -r -a COMP_WORDS; do
			n=$((n + 1)) COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMPREPLY=(); _eventful
			for w in "${COMPREPLY[@]}"; do printf "%s\t%s\n" "$n" "$w"; done
		done' completions "$ROOT/completion/eventful.bash"
}

# ---- usage errors: what is wrong, then try --help ---------------------------

@test "a usage error is one line saying what is wrong, then try 'PROG --help'; never the synopsis" {
	for cmd in "evpub --bogus" "evpub -t" "evsub --bogus" "evsub -c 0" \
	    "evproject --bogus" "evproject --emit x" "evlog cat --bogus l" \
	    "evlog cat --since 1x l" "evlog append --sync x l"; do
		run -2 --separate-stderr $cmd </dev/null
		assert_output ''
		# evlog names its command too: try 'evlog cat --help'.
		prog=${cmd%% -*}
		[ "$(wc -l <<<"$stderr")" -eq 2 ] || { echo "$cmd: $stderr"; false; }
		assert_equal "${stderr##*$'\n'}" "try '$prog --help'"
		[[ $stderr != *usage:* ]]
	done
	run -2 --separate-stderr evpub -t x --max-size 1
	assert_equal "$stderr" $'evpub: --max-size: 1: too small\ntry \'evpub --help\''
}

@test "-h is --help everywhere, evlog's subcommands too" {
	for p in evpub evsub evlog evproject evtour; do
		run -0 "$p" --help
		help=$output
		run -0 "$p" -h
		assert_equal "$output" "$help"
		[[ $output == usage:* ]]
		grep -q -- '-h, --help' <<<"$output"
	done
	run -0 evlog cat -h
	assert_line -n 0 --partial 'usage: evlog append'
}

# ---- --color ---------------------------------------------------------------

@test "evsub --pretty --color: always colours a pipe, never a terminal; auto as before" {
	evpub -t order.paid -S order/1 total:=5 >one.ndjson
	run -0 evsub --pretty --color=always -i one.ndjson
	[[ $output == *$'\033['* ]]
	run -0 env NO_COLOR=1 evsub --pretty --color=always -i one.ndjson
	[[ $output == *$'\033['* ]]
	run -0 evsub --pretty --color=auto -i one.ndjson
	[[ $output != *$'\033'* ]]
	onterm xterm evsub --pretty --color=never -i one.ndjson
	assert_success
	[[ $output == *order.paid* && $output != *$'\033'* ]]
	onterm xterm evsub --pretty -i one.ndjson
	[[ $output == *$'\033['* ]]
	onterm xterm NO_COLOR=1 evsub --pretty -i one.ndjson
	[[ $output == *order.paid* && $output != *$'\033'* ]]
	run -2 --separate-stderr evsub --pretty --color=blue -i one.ndjson
	assert_equal "$stderr" $'evsub: --color: blue: auto, always or never\ntry \'evsub --help\''
}

@test "TERM=dumb gets no escapes in auto mode: evsub --pretty, --watch, evtour" {
	evpub -t order.paid -S order/1 total:=5 >one.ndjson
	onterm dumb evsub --pretty -i one.ndjson
	assert_success
	[[ $output == *order.paid* && $output != *$'\033'* ]]
	onterm dumb evsub --pretty --color=always -i one.ndjson
	[[ $output == *$'\033['* ]]
	# --watch on a dumb terminal prints blocks, as to a pipe.
	evpub -T orders -t a >/dev/null
	onterm dumb evsub --topics --watch -c 1
	assert_success
	[[ $output == *orders* && $output != *$'\033'* ]]
	onterm xterm evsub --topics --watch -c 1 --color=never
	[[ $output == *$'\033[H'* && $output != *$'\033[1'* ]]
	# evtour: bold on a terminal, not on a dumb one.
	onterm xterm evtour --no-pause --dir tour contrast
	[[ $output == *$'\033[1m'* ]]
	onterm dumb evtour --no-pause --dir tour2 contrast
	[[ $output == *contrast* && $output != *$'\033'* ]]
	run -0 evtour --no-pause --color=always --dir tour3 contrast
	[[ $output == *$'\033[1m'* ]]
	run -2 evtour --color=blue
	assert_output --partial '--color blue: auto, always or never'
}

# ---- secrets off the command line ------------------------------------------

@test "--secret-file: evsub --post signs and evpub --listen verifies with a secret read from a file" {
	evpub -t a.b --id e1 x:=1 >one.ndjson
	printf '%s\n' "$SECRET" >secret
	chmod 600 secret
	listen --secret-file secret -c 1
	run -0 --separate-stderr evsub --secret-file secret --post "$URL" <one.ndjson
	assert_equal "$stderr" ''
	stopped "$LPID"
	cmp one.ndjson out.ndjson
	# A sender with another secret is refused.
	listen --secret-file secret -c 1
	printf 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n' >other
	chmod 600 other
	run -1 evsub --retries 0 --secret-file other --post "$URL" <one.ndjson
	assert_output --partial 'answered 401'
	[ ! -s out.ndjson ]
}

@test "a secret file: one secret a line (CRs, blank lines and # comments skipped); a file anyone may read is warned about; a missing or empty one refused" {
	evpub -t a.b --id e1 x:=1 >one.ndjson
	printf '%s\r\n\n# the new one goes here\n' "$SECRET" >secret
	chmod 644 secret
	listen --secret-file secret -c 1
	grep -q "evpub: --secret-file: secret: anyone may read this secret (chmod o-r secret)" listen.err
	run -0 env EVENTFUL_WEBHOOK_SECRET="$SECRET" evsub --post "$URL" <one.ndjson
	stopped "$LPID"
	cmp one.ndjson out.ndjson
	run -1 evsub --secret-file missing --post http://127.0.0.1:9/ <one.ndjson
	assert_output 'evsub: --secret-file: missing: No such file or directory'
	: >empty
	run -2 evpub --listen 127.0.0.1:0 --secret-file empty
	assert_output 'evpub: --secret-file: empty: no secret in it (one a line)'
	printf '# only a comment\n\n' >empty
	run -2 evpub --listen 127.0.0.1:0 --secret-file empty
	assert_output 'evpub: --secret-file: empty: no secret in it (one a line)'
	# Every line is a secret: one that is not is refused, not skipped.
	printf '%s\nnot this\n' "$SECRET" >bad
	chmod 600 bad
	run -2 evpub --listen 127.0.0.1:0 --secret-file bad
	assert_output --partial 'the secret is not whsec_ and base64'
	run -2 evsub --secret-file secret <one.ndjson
	assert_output --partial 'are for --post'
}

@test "--github-secret-file and EVENTFUL_GITHUB_SECRET: GitHub's signature checked with the secret from there" {
	f="$DATA/github-webhooks/payloads/ping/payload.json"
	sig=$("$SYSPY" "$ROOT/tests/test_helper/sign.py" gh "$GHSECRET" "$f")
	printf '%s\n' "$GHSECRET" >gh.secret
	chmod 600 gh.secret
	for how in file env; do
		if [ $how = file ]; then
			listen --github-secret-file gh.secret -c 1
		else
			EVENTFUL_GITHUB_SECRET=$GHSECRET listen -c 1
		fi
		run -0 curl -s -o /dev/null -w '%{http_code}' \
		    -H 'Content-Type: application/json' -H 'X-GitHub-Event: ping' \
		    --data-binary @"$f" "$URL"
		assert_output 401
		run -0 curl -s -o /dev/null -w '%{http_code}' \
		    -H 'Content-Type: application/json' -H 'X-GitHub-Event: ping' \
		    -H "X-Hub-Signature-256: $sig" --data-binary @"$f" "$URL"
		assert_output 200
		stopped "$LPID"
		[ "$(jq -r .type out.ndjson)" = com.github.ping ]
		grep -q ': 401: no X-Hub-Signature-256' listen.err
	done
}

# ---- one time syntax -------------------------------------------------------

@test "evpub --time: RFC 3339 as written, a date at its midnight UTC, a duration back from now" {
	run -0 evpub -t a --time 2026-03-01T10:00:00+02:00
	assert_equal "$(jq -r .time <<<"$output")" 2026-03-01T10:00:00+02:00
	run -0 evpub -t a --time 2026-03-01
	assert_equal "$(jq -r .time <<<"$output")" 2026-03-01T00:00:00.000000Z
	now=$(date -u +%s)
	run -0 evpub -t a --time 1h30m
	t=$(date -u -d "$(jq -r .time <<<"$output")" +%s)
	[ $((now - t)) -ge 5395 ] && [ $((now - t)) -le 5405 ]
	run -0 evpub -t a --time 2d
	t=$(date -u -d "$(jq -r .time <<<"$output")" +%s)
	[ $((now - t)) -ge 172795 ] && [ $((now - t)) -le 172805 ]
	run -2 --separate-stderr evpub -t a --time yesterday
	assert_equal "${stderr%%$'\n'*}" 'evpub: --time: "yesterday" is not an RFC 3339 time, a date (YYYY-MM-DD) or a duration back from now (90s, 30m, 1h30m, 2d, 1w)'
}

@test "evlog cat --since and --until take durations back from now" {
	{
		evpub -t old --time 3h
		evpub -t recent --time 50m
		evpub -t new
	} | evlog append l >/dev/null
	run -0 evlog cat --since 2h l
	assert_equal "$(jq -r .type <<<"$output" | tr '\n' ' ')" "recent new "
	run -0 evlog cat --since 1h --until 10m l
	assert_equal "$(jq -r .type <<<"$output" | tr '\n' ' ')" "recent "
	run -0 evlog cat --until 2h30m l
	assert_equal "$(jq -r .type <<<"$output" | tr '\n' ' ')" "old "
	# Dates, as before: each its midnight, UTC.
	{
		evpub -t jan1 --time 2020-01-01T23:59:59Z
		evpub -t jan2 --time 2020-01-02T00:00:00Z
		evpub -t jan3 --time 2020-01-03T00:00:00Z
	} | evlog append dated >/dev/null
	run -0 evlog cat --since 2020-01-02 --until 2020-01-03 dated
	assert_equal "$(jq -r .type <<<"$output")" jan2
	run -2 evlog cat --since 30m1h l
	assert_output --partial 'or a duration back from now'
}

# ---- shell completion ------------------------------------------------------

@test "bash completion: each program's options, as its --help lists them" {
	run -0 complete evpub --secret-f
	assert_output --secret-file
	run -0 complete evpub --github-secret
	assert_output $'--github-secret\n--github-secret-file'
	run -0 complete evsub --col
	assert_output --color
	run -0 complete evsub -
	assert_line --consumer
	assert_line -T
	assert_line -h
	assert_line --version
	run -0 complete evproject --save-
	assert_output $'--save-every\n--save-interval'
	run -0 complete evtour --no
	assert_output --no-pause
	run -0 complete evlog cat --un
	assert_output --until
	# Every long option of every --help completes: all asked in one shell.
	for p in evpub evsub evlog evproject evtour; do
		"$p" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u | sed "s/^/$p /"
	done >asked
	[ "$(wc -l <asked)" -gt 100 ]
	completions <asked >offered
	local -A got
	while IFS=$'\t' read -r n w; do got["$n $w"]=1; done <offered
	n=0
	while read -r p o; do
		n=$((n + 1))
		[ -n "${got["$n $o"]:-}" ] || { echo "$p $o: not offered"; return 1; }
	done <asked
}

@test "bash completion: evlog's subcommands, and the values of --color and --sync" {
	run -0 complete evlog ''
	assert_output $'append\ncat\nrepair\nrevert\nstats\nverify'
	run -0 complete evlog c
	assert_output cat
	run -0 complete evsub --color ''
	assert_output $'always\nauto\nnever'
	run -0 complete evsub --color = al
	assert_output $'always'
	run -0 complete evlog append --sync b
	assert_output batch
	run -0 complete evtour co
	assert_output contrast
	# A file after an option that takes one.
	touch events.ndjson
	run -0 complete evsub -i eve
	assert_output events.ndjson
}

@test "bash completion: topic names after -T, consumer names after --consumer" {
	run -0 complete evsub -T ''
	assert_output ''
	evpub -T orders -t a >/dev/null
	evpub -T payments -t a >/dev/null
	evsub -T orders --consumer billing --once >/dev/null
	evsub -T orders --consumer audit --once >/dev/null
	evsub -T payments --consumer bank --once >/dev/null
	run -0 complete evsub -T ''
	assert_output $'orders\npayments'
	run -0 complete evpub --topic o
	assert_output orders
	run -0 complete evsub -T orders --consumer ''
	assert_output $'audit\nbilling'
	run -0 complete evsub --consumer b
	assert_output $'bank\nbilling'
	# From another home, by EVENTFUL_HOME.
	EVENTFUL_HOME=elsewhere run -0 complete evsub -T ''
	assert_output ''
}

@test "zsh completion: the script parses, and completes topics and consumers" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	run -0 zsh -n "$ROOT/completion/_eventful"
	evpub -T orders -t a >/dev/null
	evpub -T payments -t a >/dev/null
	evsub -T orders --consumer billing --once >/dev/null
	evsub -T payments --consumer bank --once >/dev/null
	# The helpers alone, outside the completion system.
	helpers='source <(sed "\$d" "$1"); _wanted() { shift 3; "$@"; }
		compadd() { [[ $1 == -a ]] && print -l ${(P)2} || print -l "$@"; }'
	run -0 zsh -fc "$helpers; _eventful_topics" zsh "$ROOT/completion/_eventful"
	assert_output $'orders\npayments'
	run -0 zsh -fc "$helpers; words=(evsub -T orders --consumer ''); CURRENT=5
		_eventful_consumers" zsh "$ROOT/completion/_eventful"
	assert_output billing
	run -0 zsh -fc "$helpers; words=(evsub --consumer ''); CURRENT=3
		_eventful_consumers" zsh "$ROOT/completion/_eventful"
	assert_output $'bank\nbilling'
}

@test "make install puts the completion where bash-completion and zsh look; uninstall takes it away" {
	make -s -C "$ROOT" -o all install DESTDIR="$BATS_TEST_TMPDIR/dest" \
	    PREFIX=/usr BINDIR="$BIN" >/dev/null
	c="$BATS_TEST_TMPDIR/dest/usr/share/bash-completion/completions"
	for p in evpub evsub evlog evproject evtour; do
		[ -e "$c/$p" ]
		cmp "$c/$p" "$ROOT/completion/eventful.bash"
	done
	cmp "$BATS_TEST_TMPDIR/dest/usr/share/zsh/site-functions/_eventful" \
	    "$ROOT/completion/_eventful"
	make -s -C "$ROOT" uninstall DESTDIR="$BATS_TEST_TMPDIR/dest" \
	    PREFIX=/usr >/dev/null
	[ -z "$(find "$BATS_TEST_TMPDIR/dest" -type f -o -type l)" ]
}
