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
	[ -z "${LPID:-}" ] || kill "$LPID" 2>/dev/null || true  # honest: cleanup; it may have ended
	[ -z "${TSOCK:-}" ] || tmux -L "$TSOCK" kill-server 2>/dev/null || true  # honest: cleanup; it may have ended
	[ -z "${TSOCK:-}" ] || rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TSOCK"
	return 0
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
	[ $((now - t)) -ge 5395 ]
	[ $((now - t)) -le 5405 ]
	run -0 evpub -t a --time 2d
	t=$(date -u -d "$(jq -r .time <<<"$output")" +%s)
	[ $((now - t)) -ge 172795 ]
	[ $((now - t)) -le 172805 ]
	run -2 --separate-stderr evpub -t a --time yesterday
	assert_equal "${stderr%%$'\n'*}" 'evpub: --time: "yesterday" is not an RFC 3339 time, a date (YYYY-MM-DD), @EPOCH seconds (@EPOCHms, s@EPOCHMS: milliseconds) or a duration back from now (90s, 500ms, 30m, 1h30m, 2d, 1w)'
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
	# --check and --exercise: only the lessons that have an exercise.
	run -0 complete evtour --check ''
	assert_output "$(printf '%s\n' cqrs durable notification recovery room sourcing webhooks)"
	run -0 complete evtour --exercise c
	assert_output cqrs
	# A file after an option that takes one.
	touch events.ndjson
	run -0 complete evsub -i eve
	assert_output events.ndjson
}

@test "bash completion: an evlog subcommand's options are only those it accepts" {
	run -0 complete evlog cat -
	assert_output $'--bus\n--creds\n--from\n--help\n--since\n--to\n--until\n-T\n-f\n-n'
	run -0 complete evlog cat --s
	assert_output --since
	# append's options are not cat's.
	run -0 complete evlog cat --sy
	assert_output ''
	run -0 complete evlog append --
	assert_output $'--bus\n--creds\n--expect\n--help\n--max-size\n--rejects\n--sync'
	run -0 complete evlog revert -
	assert_output $'--help\n-s'
	run -0 complete evlog verify -
	assert_output $'--help\n-T'
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

# tshell SHELL: an interactive bash or zsh (no rc files) in a private tmux
# server, in this folder, with bin/ on PATH, this EVENTFUL_HOME and the
# completion loaded as a person's shell loads it.
tshell() {
	TSOCK="habits$$"
	tmux -L "$TSOCK" -f /dev/null new-session -d -s t -x 160 -y 40 \
	    "cd '$PWD' && env -i HOME='$HOME' TERM=screen LANG=C.UTF-8 \
	    PATH='$BIN:/usr/bin:/bin' EVENTFUL_HOME='$EVENTFUL_HOME' \
	    PS1='$ ' $1"
	NKEYS=0
	case $1 in
	bash*) tmux -L "$TSOCK" send-keys -t t -l \
	    "source '$ROOT/completion/eventful.bash'" ;;
	# As compinit finds it in $fpath: by its #compdef line.
	zsh*) tmux -L "$TSOCK" send-keys -t t -l "fpath=('$ROOT/completion' \
	    \$fpath); autoload -Uz compinit; compinit -u -D; \
	    setopt interactivecomments; PS1='$ '" ;;
	esac
	ran
}

# typed KEYS...: types KEYS (tmux send-keys names: Tab, Enter, C-a), then
# at the end of the line a comment #kN, and waits (10 s at most) until the pane shows it: what
# the keys did is on the screen, in $output.
typed() {
	local i
	tmux -L "$TSOCK" send-keys -t t "$@" C-e
	NKEYS=$((NKEYS + 1))
	tmux -L "$TSOCK" send-keys -t t -l " #k$NKEYS"
	for i in $(seq 100); do
		run -0 tmux -L "$TSOCK" capture-pane -p -t t -S -100
		[[ $output == *" #k$NKEYS"* ]] && return 0
		sleep 0.1
	done
	echo "the pane never showed #k$NKEYS:"
	echo "$output"
	return 1
}

# ran: Enter, and waits until the shell's next prompt.
ran() {
	local i
	tmux -L "$TSOCK" send-keys -t t Enter
	NKEYS=$((NKEYS + 1))
	tmux -L "$TSOCK" send-keys -t t -l "#k$NKEYS"
	for i in $(seq 100); do
		run -0 tmux -L "$TSOCK" capture-pane -p -t t -S -100
		[[ $output == *"\$ #k$NKEYS"* ]] && return 0
		sleep 0.1
	done
	echo "no prompt after Enter:"
	echo "$output"
	return 1
}

@test "bash completion on a terminal: a topic or consumer named \$(cmd) or \`cmd\` is offered escaped, and Tab runs nothing" {
	command -v tmux >/dev/null || skip "tmux is not installed"
	# What anyone sharing the home can make: folders and files by name.
	mkdir -p "$EVENTFUL_HOME/topics/\$(touch pwned)" \
	    "$EVENTFUL_HOME/topics/\`touch pwned2\`" \
	    "$EVENTFUL_HOME/topics/orders/consumers"
	touch "$EVENTFUL_HOME/topics/orders/consumers/\$(touch pwned3)"
	tshell 'bash --norc --noprofile'
	# Tab twice: every topic listed, escaped as it is to be typed.
	typed C-u 'evsub -T ' Tab Tab
	[ ! -e pwned ] || { echo "Tab ran the command in a topic's name"; return 1; }
	assert_output --partial '\$\(touch\ pwned\)'
	assert_output --partial '\`touch\ pwned2\`'
	assert_output --partial 'orders'
	typed C-u 'evsub -T orders --consumer ' Tab
	assert_output --partial 'evsub -T orders --consumer \$\(touch\ pwned3\)'
	# One match: the line holds the name, which the shell takes as it is.
	typed C-u 'evsub -T \$' Tab
	assert_output --partial 'evsub -T \$\(touch\ pwned\)'
	typed C-a "printf '<%s>\\n' "
	ran
	assert_line '<$(touch pwned)>'
	# In quotes too: the word goes on after the quote opened.
	typed C-u "evsub -T '\`" Tab
	assert_output --partial "evsub -T '\`touch pwned2\`'"
	typed C-a "printf '<%s>\\n' "
	ran
	assert_line '<`touch pwned2`>'
	typed C-u 'evsub -T "$' Tab
	assert_output --partial 'evsub -T "\$(touch pwned)"'
	typed C-a "printf '<%s>\\n' "
	ran
	assert_line '<$(touch pwned)>'
	# Nothing of it ran, here or in the home.
	run -0 find "$PWD" "$HOME" -name 'pwned*'
	assert_output ''
}

@test "zsh completion on a terminal: compinit finds it; a topic or consumer named \$(cmd) or \`cmd\` is offered escaped, and Tab runs nothing" {
	command -v tmux >/dev/null || skip "tmux is not installed"
	command -v zsh >/dev/null || skip "zsh is not installed"
	mkdir -p "$EVENTFUL_HOME/topics/\$(touch pwned)" \
	    "$EVENTFUL_HOME/topics/\`touch pwned2\`" \
	    "$EVENTFUL_HOME/topics/orders/consumers"
	touch "$EVENTFUL_HOME/topics/orders/consumers/\$(touch pwned3)"
	tshell 'zsh -f'
	typed C-u 'evsub -T ' Tab
	[ ! -e pwned ] || { echo "Tab ran the command in a topic's name"; return 1; }
	assert_output --partial '\$\(touch\ pwned\)'
	assert_output --partial '\`touch\ pwned2\`'
	assert_output --partial 'orders'
	typed C-u 'evsub -T orders --consumer ' Tab
	assert_output --partial 'evsub -T orders --consumer \$\(touch\ pwned3\)'
	typed C-u 'evsub -T \$' Tab
	assert_output --partial 'evsub -T \$\(touch\ pwned\)'
	typed C-a "printf '<%s>\\n' "
	ran
	assert_line '<$(touch pwned)>'
	typed C-u 'evsub -T \`' Tab
	assert_output --partial 'evsub -T \`touch\ pwned2\`'
	typed C-a "printf '<%s>\\n' "
	ran
	assert_line '<`touch pwned2`>'
	run -0 find "$PWD" "$HOME" -name 'pwned*'
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
	run -0 zsh -fc "$helpers; _call_program() { shift; \"\$@\"; }; words=(evtour --check ''); CURRENT=3
		_eventful_exercises" zsh "$ROOT/completion/_eventful"
	assert_output $'notification\ndurable\nrecovery\nwebhooks\nsourcing\ncqrs\nroom'
}

@test "make install puts the completion where bash-completion and zsh look; uninstall takes it away" {
	make -s -C "$ROOT" -o all install DESTDIR="$BATS_TEST_TMPDIR/dest" \
	    PREFIX=/usr BINDIR="$BIN" >/dev/null
	c="$BATS_TEST_TMPDIR/dest/usr/share/bash-completion/completions"
	for p in evpub evsub evlog evproject evtour; do
		[ -e "$c/$p" ]
		cmp "$c/$p" "$ROOT/completion/eventful.bash"
	done
	cmp "$BATS_TEST_TMPDIR/dest/usr/share/zsh/vendor-completions/_eventful" \
	    "$ROOT/completion/_eventful"
	make -s -C "$ROOT" uninstall DESTDIR="$BATS_TEST_TMPDIR/dest" \
	    PREFIX=/usr >/dev/null
	[ -z "$(find "$BATS_TEST_TMPDIR/dest" -type f -o -type l)" ]
}

# --- round two (issue 30): habits from jq, kcat, grep, curl and the NATS CLI

@test "'-' is standard input: evsub's filters and -i, evlog cat, verify and stats of a log's file; a pipe is no log" {
	evpub -t a </dev/null >ev
	evpub -t b </dev/null >>ev
	run -0 evsub 'type=b' - <ev
	assert_equal "$(jq -r .type <<<"$output")" b
	run -0 evsub -i - 'type=a' <ev
	assert_equal "$(jq -r .type <<<"$output")" a
	evlog append l <ev >/dev/null
	run -0 evlog cat --from 2 - <l
	assert_equal "$(jq -r .type <<<"$output")" b
	run -0 evlog stats - <l
	assert_line --regexp '^events +2$'
	run -0 evlog verify - <l
	run -2 --separate-stderr bash -c 'cat l | evlog cat -'
	[[ $stderr == *'"-" is not a log: standard input is no file (a log is read as one: evlog CMD LOG, or < LOG; evsub reads a stream)'* ]]
	run -2 evsub --rejects - 'type=a' <ev
}

@test "-e/--exit-status: 1 when nothing passed, as grep and jq -e; 0 when something did" {
	evpub -t order.placed </dev/null >ev
	run -1 evsub -e 'type=user.*' <ev
	assert_output ''
	run -0 evsub -e 'type=order.*' <ev
	run -1 evsub --exit-status 'type=x' <ev
	# Without -e, nothing passing is no failure.
	run -0 evsub 'type=user.*' <ev
}

@test "times as kcat and the NATS CLI take them: @EPOCH, @EPOCHms, s@EPOCHMS, 500ms; --from -N, --from end and --last N" {
	run -0 evpub -t x --time @1764892800 </dev/null
	assert_equal "$(jq -r .time <<<"$output")" 2025-12-05T00:00:00.000000Z
	run -0 evpub -t x --time @1764892800123ms </dev/null
	assert_equal "$(jq -r .time <<<"$output")" 2025-12-05T00:00:00.123000Z
	run -0 evpub -t x --time s@1764892800123 </dev/null
	assert_equal "$(jq -r .time <<<"$output")" 2025-12-05T00:00:00.123000Z
	run -0 evpub -t x --time 500ms </dev/null
	for i in $(seq 10); do evpub -t t n:=$i </dev/null; done | evlog append l >/dev/null
	run -0 evlog cat --since @0 l
	assert_equal "${#lines[@]}" 10
	run -0 evlog cat --from -3 l
	assert_equal "$(jq -r .data.n <<<"$output" | tr '\n' ' ')" "8 9 10 "
	run -0 evlog cat --from end l
	assert_output ''
	run -2 evlog cat --from -3 -n 2 l
	mktopic t
	for i in $(seq 10); do evpub -q -T t -t t n:=$i </dev/null; done
	run -0 evsub -T t --from -2 --once --data
	assert_output $'{"n":9}\n{"n":10}'
	run -0 evsub -T t --last 3 --once --data
	assert_output $'{"n":8}\n{"n":9}\n{"n":10}'
	run -0 evsub -T t --from end --once
	assert_output ''
	run -2 --separate-stderr evsub -T t --from soon --once
	assert_equal "${stderr%%$'\n'*}" "evsub: --from: soon: not a sequence (1 is the first), -N (the last N) nor end (only what comes)"
	# A follower from the end gets what comes after it, and nothing before.
	evsub -T t --from end -c 1 --data >out &
	pid=$!
	for i in $(seq 200); do ls -l /proc/"$pid"/fd 2>/dev/null | grep -q inotify && break; sleep 0.05; done
	evpub -q -T t -t t n:=11 </dev/null
	wait "$pid"
	assert_equal "$(cat out)" '{"n":11}'
}

@test "--post takes headers as curl does: -H (repeatable) and --header-file (secrets off argv); its own headers are refused" {
	receiver
	printf '# a comment\nAuthorization: Bearer s3cret\n\nX-Tenant: acme\n' >hdrs
	evpub -t order.placed </dev/null >ev
	run -0 evsub --post "$RURL" -H 'X-Trace: 42' -H 'X-Other: b' --header-file hdrs <ev
	run -0 jq -r '.headers | [."x-trace", ."x-other", .authorization, ."x-tenant"] | join(" ")' attempts
	assert_output '42 b Bearer s3cret acme'
	run -2 --separate-stderr evsub --post "$RURL" -H 'Content-Type: text/plain' <ev
	[[ $stderr == *'evsub: -H: Content-Type: text/plain: Content-Type: set by --post itself, not by -H'* ]]
	run -2 evsub --post "$RURL" -H 'ce-type: x' <ev
	run -2 evsub --post "$RURL" -H 'no colon' <ev
	printf 'Bad Name: x\n' >bad
	run -2 --separate-stderr evsub --post "$RURL" --header-file bad <ev
	[[ $stderr == *'bad:1: "Bad Name": not a header name'* ]]
	run -2 evsub -H 'X-A: b' <ev
	kill "$RPID"
}

@test "--format: a template as kcat's -f, with attributes, data paths, the sequence and a JSON escape" {
	evpub -t order.placed -S 'order/"7"' total:=42 </dev/null | evlog append l >/dev/null
	run -0 evsub --format '%{sequence} %{type} %{subject} %{data.total} %j{subject} %j{data} %j{nothere}|%{nothere}|%%\n' <l
	assert_output '000000000001 order.placed order/"7" 42 "order/\"7\"" {"total":42} null||%'
	run -0 evsub --format '%e\t.\n' <l
	assert_output "$(cat l)	."
	run -2 --separate-stderr evsub --format '%{type' <l
	[[ $stderr == *'evsub: --format: %{type: at byte 1: % takes {path}, j{path}, e or %: %{type}, %j{data.total}, %e'* ]]
	run -2 evsub --format '%{type}' --data <l
	run -2 evsub --format '%{type=x}' <l
}

@test "evpub sets dataschema and datacontenttype; JSON data keeps a JSON type" {
	run -0 evpub -t x --dataschema https://example.org/order.json --datacontenttype 'application/vnd.acme+json; v="1"' n:=1 </dev/null
	assert_equal "$(jq -r '[.dataschema, .datacontenttype, .data.n] | join(" ")' <<<"$output")" 'https://example.org/order.json application/vnd.acme+json; v="1" 1'
	run -0 evsub dataschema <<<"$output"
	run -0 bash -c "echo 'a,b' | evpub -l --raw -t x --datacontenttype text/csv | jq -r '[.datacontenttype, .data] | join(\" \")'"
	assert_output 'text/csv a,b'
	run -2 --separate-stderr evpub -t x --datacontenttype text/csv n:=1 </dev/null
	[[ $stderr == *'the data evpub makes from fields, -d and -l is JSON, so its type is JSON too'* ]]
	run -2 --separate-stderr evpub -t x --dataschema relative/x </dev/null
	[[ $stderr == *'--dataschema "relative/x" is not an absolute URI'* ]]
	run -2 evpub -t x --datacontenttype 'not a type' </dev/null
}

@test "one message prefix: getopt's errors name the program as its own do, not its path" {
	for p in evpub evsub evproject; do
		run -2 --separate-stderr "$BIN/$p" --no-such-option
		[[ ${stderr%%$'\n'*} == "$p: unrecognized option '--no-such-option'" ]] || { echo "$stderr"; return 1; }
	done
	run -2 --separate-stderr "$BIN/evpub" -Z
	assert_equal "${stderr%%$'\n'*}" "evpub: invalid option -- 'Z'"
}

@test "--retry is --retries, as curl names it" {
	receiver 500 200
	evpub -t x </dev/null >ev
	run -0 evsub --post "$RURL" --retry 1 <ev
	assert_equal "$(wc -l <attempts)" 2
	kill "$RPID"
	run -2 evsub --post "$RURL" --retry 101 <ev
}
