#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The runnable examples, as `make demo` runs them.

load test_helper/common

@test "examples/tour runs and shows events" {
	run -0 --separate-stderr "$ROOT/examples/tour"
	assert_output --partial '"type":"user.created","subject":"user/42"'
	assert_output --partial '"type":"cache.flushed"'
	assert_output --partial '(exit status 3: one line was rejected)'
	assert_output --partial 'PushEvent'
	assert_output --partial 'order.placed order/2 {"total":50}'
	assert_output --partial 'billing order/1: 150'
	assert_output --partial '{"sequence":"000000000002","type":"account.withdrawn","amount":30}'
	assert_output --partial 'balance: 70'
	assert_output --partial 'verify: the ledger is whole'
	assert_output --partial 'appended: account/7 had the 2 events this writer saw'
	assert_output --partial '(exit status 4: someone appended since)'
	assert_output --partial 'read model: {"balance":75}'
	assert_output --partial 'billing order/4 (event 2)'
	assert_output --partial "$(printf 'the next run:\nbilling order/5 (event 3)\n')"
	assert_output --partial "$(printf 'orders\tconsumer billing\tposition 3\tlag 0')"
	[[ $stderr == *'evpub: stdin:2: invalid JSON at byte 8'* ]]
	# Every event it shows is valid.
	grep '^{"specversion"' <<<"$output" >events
	run -0 schema_check events
	# Three of them are evpub -T's acknowledgements, stamped.
	assert_output '12 valid'
}
