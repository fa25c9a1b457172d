# SPDX-License-Identifier: ISC
# nats.bash - loaded by the suites that run against NATS JetStream: starts
# nats-server (one node, or a cluster of three) on free loopback ports,
# never 4222, its store under $BATS_TEST_TMPDIR; waits for it with bounded
# loops; stops it by pid (nats_stop, from a suite's teardown).

# freeports (common.bash) gives the ports.

# nats_ready MPORT [PID]: waits (at most 10 s) until the server whose
# monitoring port is MPORT says it is healthy, JetStream included; fails
# at once when PID, the server, is gone.
nats_ready() {
	local i
	for i in $(seq 200); do
		curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
		[ -z "${2:-}" ] || kill -0 "$2" 2>/dev/null ||
		    { echo "nats-server on monitoring port $1 exited"; return 1; }
		sleep 0.05
	done
	echo "nats-server on monitoring port $1 not ready"; return 1
}

# Ports free when freeports looked may be taken before a server binds
# them (suites run side by side, and every client takes a port of the
# same range): a server that exits at start is started again on others,
# three times at most.

# nats_conf I PORT MPORT CPORT ROUTES: the configuration of node I.
nats_conf() {
	local dir="$BATS_TEST_TMPDIR/nats$1"
	mkdir -p "$dir"
	{
		echo "server_name: n$1"
		echo "listen: 127.0.0.1:$2"
		echo "http: 127.0.0.1:$3"
		echo "jetstream { store_dir: \"$dir/js\" }"
		if [ -n "$4" ]; then
			echo "cluster { name: evc, listen: 127.0.0.1:$4, routes: [$5] }"
		fi
	} >"$dir/conf"
}

# nats_node I: starts node I (configured by nats_conf); its pid in NPID[I].
nats_node() {
	nats-server -c "$BATS_TEST_TMPDIR/nats$1/conf" \
	    >>"$BATS_TEST_TMPDIR/nats$1/log" 2>&1 &
	NPID[$1]=$!
}

# nats_start: one node with JetStream; sets NPORT, NMPORT, NATS (its
# URL) and EVENTFUL_BUS.
nats_start() {
	local p try
	for try in 1 2 3; do
		p=($(freeports 2))
		NPORT=${p[0]} NMPORT=${p[1]}
		NMPORTS=("$NMPORT")
		nats_conf 1 "$NPORT" "$NMPORT"
		nats_node 1
		nats_ready "$NMPORT" "${NPID[1]}" && break
		kill -0 "${NPID[1]}" 2>/dev/null && return 1
		[ "$try" -lt 3 ] || { cat "$BATS_TEST_TMPDIR/nats1/log"; return 1; }
	done
	NATS="nats://127.0.0.1:$NPORT"
	export EVENTFUL_BUS="$NATS"
}

# nats_cluster: three nodes, one cluster; sets NPORTS, NMPORTS, NATS (all
# three URLs) and EVENTFUL_BUS.
nats_cluster() {
	local p i routes try up
	for try in 1 2 3; do
		p=($(freeports 9))
		NPORTS=("${p[@]:0:3}") NMPORTS=("${p[@]:3:3}") NCPORTS=("${p[@]:6:3}")
		routes=''
		for i in 0 1 2; do
			routes+="${routes:+, }nats-route://127.0.0.1:${NCPORTS[$i]}"
		done
		for i in 0 1 2; do
			nats_conf $((i + 1)) "${NPORTS[$i]}" "${NMPORTS[$i]}" \
			    "${NCPORTS[$i]}" "$routes"
			nats_node $((i + 1))
		done
		up=0
		for i in 0 1 2; do
			nats_ready "${NMPORTS[$i]}" "${NPID[$((i + 1))]}" || break
			up=$((up + 1))
		done
		[ "$up" -eq 3 ] && break
		# One did not start: all three again, on other ports.
		nats_stop
		[ "$try" -lt 3 ] || { cat "$BATS_TEST_TMPDIR"/nats[123]/log; return 1; }
	done
	NATS="nats://127.0.0.1:${NPORTS[0]},nats://127.0.0.1:${NPORTS[1]},nats://127.0.0.1:${NPORTS[2]}"
	export EVENTFUL_BUS="$NATS"
}

# nats_leader STREAM: the node number (1-3) that leads STREAM now.
nats_leader() {
	local i
	for i in 0 1 2; do
		kill -0 "${NPID[$((i + 1))]}" 2>/dev/null || continue
		curl -sf "http://127.0.0.1:${NMPORTS[$i]}/jsz?streams=true" 2>/dev/null |
		    jq -e --arg s "$1" '[.account_details[]?.stream_detail[]? | select(.name == $s and .cluster.leader != null)] | length > 0' >/dev/null 2>&1 || continue
		curl -sf "http://127.0.0.1:${NMPORTS[$i]}/jsz?streams=true" |
		    jq -r --arg s "$1" '.account_details[].stream_detail[] | select(.name == $s) | .cluster.leader' | sed 's/^n//'
		return 0
	done
	return 1
}

# nats_stop: stops every node started, by pid.
nats_stop() {
	local i
	for i in "${!NPID[@]}"; do
		kill "${NPID[$i]}" 2>/dev/null || true  # honest: cleanup; it may have ended
	done
	for i in "${!NPID[@]}"; do
		wait "${NPID[$i]}" 2>/dev/null || true  # honest: cleanup; its status is not the test's
	done
}
