load test_helper/common
load test_helper/nats
teardown() { nats_stop; }
@test "smoke" {
	nats_start
	evpub -T orders -t order.placed -S order/1 n:=1
	seq 5 | sed 's/.*/{"n":&}/' | evpub -l -T orders -t n -S 'a b.c'
	evsub -T orders --from 1 --once
	evsub --topics
	evsub -T orders --consumer billing --once
	evsub --topics
	seq 5 | sed 's/.*/{"n":&}/' | evpub -q -l -T orders -t n -S 'a b.c'
	evsub -T orders --consumer billing --once -c 2
	evsub --topics
	false
}
