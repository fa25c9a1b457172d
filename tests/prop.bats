#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Property tests (issue 26): seeded random interleavings of appenders
# (evlog append -T, evpub -l -T), followers (evlog cat -f, evsub --from,
# a live evsub, a following consumer) started before, at and past the
# end, and durable consumers run again and again with --once, kill -9 of
# appenders and consumers at random moments, each run checked against a
# model that is a plain list: the topic's events in order, as
# acknowledged.  The driver, and what it checks: tests/test_helper/prop.py.
#
# PROP_RUNS runs on the directory bus (150 by default), PROP_NATS_RUNS on
# NATS JetStream (10), from PROP_SEED (by default from the clock); make
# soak runs more.  A failing run prints its seed; to run it again:
#   PROP_SEED=seed PROP_RUNS=1 bats -f directory tests/prop.bats

load test_helper/common
load test_helper/nats

teardown() {
	nats_stop	# by pid, the servers a test started
}

# prop [--bus URL]: the driver, with RUNS runs; its summary (the runs and
# seeds) is shown with the test's name.
prop() {
	BATS_TEST_TMPDIR=$BATS_TEST_TMPDIR PROP_RUNS=$RUNS run "$SYSPY" \
	    "$ROOT/tests/test_helper/prop.py" "$@"
	[ "$status" = 0 ] || { printf '%s\n' "$output"; return 1; }
	printf '# %s\n' "$output" >&3
}

@test "property: seeded runs on the directory bus, kill -9 of appenders and consumers among them, against the model" {
	RUNS=${PROP_RUNS:-150}
	prop
}

@test "property: seeded runs on NATS JetStream, kill -9 of appenders among them, against the model" {
	# Once in 3 CI runs under load a NATS reading of the log ended before
	# an acknowledged event (seed 537753186): a reading now waits for
	# what the stream held when it began (bus_nats_read.c, NB_STALL).
	nats_start
	RUNS=${PROP_NATS_RUNS:-10}
	prop --bus "$NATS"
}
