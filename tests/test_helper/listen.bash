# SPDX-License-Identifier: ISC
# listen.bash - loaded by the suites that post to evpub --listen.

# listen ARGS...: starts evpub --listen on a free loopback port with ARGS,
# its events into out.ndjson and its messages into listen.err; sets LPID,
# PORT and URL.
listen() {
	# The last receiver's messages go first: the background command
	# empties listen.err only once it runs, and the wait below would take
	# the old line for the new one (a second listen in a test, under load).
	rm -f listen.err
	evpub --listen 127.0.0.1:0 "$@" >out.ndjson 2>listen.err &
	LPID=$!
	local i
	for i in $(seq 400); do
		grep -q 'listening on' listen.err 2>/dev/null && break
		sleep 0.05
	done
	PORT=$(sed -n 's/^evpub: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' listen.err)
	[ -n "$PORT" ] || { cat listen.err; return 1; }
	URL="http://127.0.0.1:$PORT/"
}

# stopped PID: waits (at most 10 s) for PID to exit; its status is $?.
stopped() {
	local i
	for i in $(seq 200); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	wait "$1"
}

# receiver ANSWER...: starts the Python endpoint; sets RPID and RURL.
receiver() {
	rm -f rport attempts
	"$SYSPY" "$ROOT/tests/test_helper/receiver.py" rport attempts "$@" &
	RPID=$!
	local i
	for i in $(seq 400); do
		[ -s rport ] && break
		sleep 0.05
	done
	[ -s rport ] || { echo "the receiver did not start in 20 s"; return 1; }
	RURL="http://127.0.0.1:$(cat rport)/hook"
}

# post CURLARGS...: the HTTP status of curl's last request (curl -w '%{http_code}').
post() {
	curl -s -o /dev/null -w '%{http_code}' "$@"
}
