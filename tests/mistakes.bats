#!/usr/bin/env bats
# mistakes: what a new user gets wrong is reported with what to write
# instead, never passed over in silence (issue 17).  Filters, evproject's
# rules, evlog's subcommands and log names.

load test_helper/common

setup() {
	{
		evpub -t order.placed -S order/1 --id o1 total:=150
		evpub -t order.paid -S order/2 --id o2 total:=50
		evpub -t user.created -S user/42 --id u1 name=Ada
		evpub -t cache.flushed --id c1 'tag:="a,b"'
	} >events
}

ids() { jq -r .id | tr '\n' ' '; }

# --- filters ---------------------------------------------------------------

@test "filters that could never match are usage errors that say what to write" {
	run -2 --separate-stderr evsub 'data.total > 10' <events
	assert_equal "$output" ""
	[[ $stderr == *"\"data.total > 10\": no spaces around the operator: write 'data.total>10'"* ]]
	run -2 --separate-stderr evsub 'data.total>"10"' <events
	[[ $stderr == *'the quotes would be part of the value: write 10, not "10"'* ]]
	run -2 --separate-stderr evsub "type=$UNSET_IN_THIS_TEST" <events
	[[ $stderr == *'a value is missing after "="'* ]]
	run -2 --separate-stderr evsub 'type==order.paid' <events
	[[ $stderr == *"write 'type=order.paid'"* ]]
	run -2 --separate-stderr evsub 'type=~order' <events
	[[ $stderr == *'no regular expressions'* ]]
	run -2 --separate-stderr evsub 'data.total>1,5' <events
	[[ $stderr == *'write 1.5'* ]]
	run -2 --separate-stderr evsub '.data.total>1' <events
	[[ $stderr == *"write 'data.total>1'"* ]]
	run -2 --separate-stderr evsub 'type=order.*,' <events
	[[ $stderr == *'an empty alternative'* ]]
}

@test "alternatives in one filter: = holds for one of them, != for none" {
	run -0 evsub 'type=order.placed,user.*' <events
	assert_equal "$(ids <<<"$output")" "o1 u1 "
	run -0 evsub 'type!=order.*,user.*' <events
	assert_equal "$(ids <<<"$output")" "c1 "
	run -0 evsub 'data.total=50,150' <events
	assert_equal "$(ids <<<"$output")" "o1 o2 "
	# A comma of the value: in brackets, or escaped.
	run -0 evsub 'data.tag=a[,]b' <events
	assert_equal "$(ids <<<"$output")" "c1 "
	run -0 evsub 'data.tag=x,a\,b' <events
	assert_equal "$(ids <<<"$output")" "c1 "
	run -0 evsub 'data.tag=a,b' <events
	assert_output ""
}
