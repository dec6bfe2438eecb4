#!/bin/sh
# Per-packet cost of flowpic's two kernel sides in one guest: one
# established UDP flow sent from the initial namespace through a veth
# pair into a namespace (tests/bench/pkt_cost.c), with nothing, with
# flowpic.ko loaded, and with the tc program on both veth ends. Both
# sides see each packet twice: the module in each namespace (LOCAL_OUT,
# POST_ROUTING in the first, PRE_ROUTING in the second), the tc program
# at fpb0's egress and fpb1's ingress.
# Rounds alternate the three in turn, rotated, to cancel drift; each
# prints "# cost round R CONFIG NS" for bench_kmod.sh to take medians of.
. /tests/tap.sh
echo "TAP version 13"
dmesg -c >/dev/null
ip=/tests/bin/ip
ns=fpbench
count=${PKT_COST_COUNT:-80000}
rounds=${PKT_COST_ROUNDS:-9}

cleanup() {
	[ -n "$sink" ] && kill "$sink" 2>/dev/null
	[ -n "$hold" ] && kill "$hold" 2>/dev/null
	$ip netns del $ns 2>/dev/null
	$ip link del fpb0 2>/dev/null
	grep -q '^flowpic ' /proc/modules && rmmod flowpic
}
trap cleanup EXIT

$ip netns add $ns &&
$ip link add fpb0 type veth peer name fpb1 &&
$ip link set fpb1 netns $ns &&
$ip addr add 192.0.2.1/24 dev fpb0 &&
$ip link set fpb0 up &&
$ip -n $ns addr add 192.0.2.2/24 dev fpb1 &&
$ip -n $ns link set fpb1 up
tap_ok $? "namespace $ns behind veth fpb0/fpb1, 192.0.2.0/24"
$ip netns exec $ns /tests/bin/pkt_cost sink 192.0.2.2 9999 >/tmp/sink.out &
sink=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
	grep -q ready /tmp/sink.out 2>/dev/null && break
	sleep 0.2
done
grep -q ready /tmp/sink.out
tap_ok $? "a sink socket that never reads on 192.0.2.2:9999"

# One measurement: prints the figure or fails.
cost() {
	/tests/bin/pkt_cost send 192.0.2.2 9999 $count "$@" |
		awk '/^ns_per_packet/ { print $2 }'
}

run_none() { cost; }
run_kmod() {
	insmod /tests/flowpic.ko || return 1
	v=$(cost)
	rmmod flowpic || return 1
	echo "$v"
}
run_tc() {
	rm -f /tmp/hold.out
	$ip netns exec $ns /tests/bin/pkt_cost hold fpb1 >/tmp/hold.out &
	hold=$!
	i=0
	while [ $i -lt 100 ] && ! grep -q ready /tmp/hold.out 2>/dev/null; do
		sleep 0.2
		i=$((i + 1))
	done
	grep -q ready /tmp/hold.out || { kill $hold; return 1; }
	v=$(cost fpb0)
	kill $hold
	wait $hold
	echo "$v"
}

failed=0
r=1
while [ $r -le $rounds ]; do
	case $((r % 3)) in
	1) order="none kmod tc" ;;
	2) order="kmod tc none" ;;
	0) order="tc none kmod" ;;
	esac
	for cfg in $order; do
		v=$(run_$cfg)
		if [ -n "$v" ]; then
			echo "# cost round $r $cfg $v"
		else
			failed=1
		fi
	done
	r=$((r + 1))
done
[ $failed = 0 ]
tap_ok $? "$rounds rounds of $count packets: nothing, flowpic.ko, tc program"
tap_dmesg_clean "kernel log clean"
tap_done
