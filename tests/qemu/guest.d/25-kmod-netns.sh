#!/bin/sh
# flowpic.ko in network namespaces. Two namespaces, A (fpa) and B (fpb),
# each with a peer behind a veth pair carrying the same addresses
# (192.0.2.1 <-> 192.0.2.2; B also 198.51.100.1 <-> .2): flows,
# counters, windows, labels and policy stay in their own namespace
# (tests/qemu/kmod_netns.c). Then a namespace deleted while traffic from
# its peer floods it, every packet a new flow, a hundred of them labelled,
# the hooks slowed down so that packets are in flight (test_hook_delay_us):
# the namespace goes, the memory its flows held is given back, the kernel
# log stays clean, and the module unloads.
. /tests/tap.sh
echo "TAP version 13"
ip=/tests/bin/ip
params=/sys/module/flowpic/parameters

cleanup() {
	for n in fpa fpa-peer fpb fpb-peer fpdel fpdel-peer; do
		$ip netns del $n 2>/dev/null
	done
	grep -q '^flowpic ' /proc/modules && rmmod flowpic
}
trap cleanup EXIT

# pair NS PEER DEV ADDR...: NS and PEER joined by DEV0 (NS) / DEV1 (PEER),
# each pair of addresses X.1/24 in NS, X.2/24 in PEER.
pair() {
	_ns=$1 _peer=$2 _dev=$3
	shift 3
	$ip netns add $_ns && $ip netns add $_peer &&
	$ip link add ${_dev}0 netns $_ns type veth peer name ${_dev}1 \
		netns $_peer || return 1
	for _net; do
		$ip -n $_ns addr add $_net.1/24 dev ${_dev}0 &&
		$ip -n $_peer addr add $_net.2/24 dev ${_dev}1 || return 1
	done
	for _n in $_ns $_peer; do
		$ip -n $_n link set lo up || return 1
	done
	$ip -n $_ns link set ${_dev}0 up && $ip -n $_peer link set ${_dev}1 up
}

dmesg -c >/dev/null
insmod /tests/flowpic.ko
tap_ok $? "insmod flowpic.ko"
pair fpa fpa-peer fpa 192.0.2 &&
	pair fpb fpb-peer fpb 192.0.2 198.51.100
tap_ok $? "namespaces fpa, fpb, each with a peer: 192.0.2.0/24 in both, 198.51.100.0/24 in fpb"

tap_prog /tests/bin/kmod_netns
for n in fpa fpa-peer fpb fpb-peer; do
	$ip netns del $n
done
rmmod flowpic
tap_ok $? "rmmod flowpic with six namespaces' state"
tap_dmesg_clean "kernel log clean"

# --- a namespace deleted under traffic -------------------------------------
insmod /tests/flowpic.ko test_hook_delay_us=1000
tap_ok $? "insmod flowpic.ko test_hook_delay_us=1000"
pair fpdel fpdel-peer fpd 192.0.2
tap_ok $? "namespace fpdel and its peer, 192.0.2.0/24"
# The sender keeps one flow at most: what the budget holds after is fpdel's.
kmod_netns --max-flows fpdel-peer 1
tap_ok $? "the peer's flow table holds one flow"
used0=$(cat $params/mem_used)
kmod_netns --flood fpdel-peer 192.0.2.1 8 &
flood=$!
sleep 2
out=$(kmod_netns --label fpdel 100)
rc=$?
set -- $out
[ $rc = 0 ] && [ "${1:-0}" -gt 0 ]
tap_ok $? "fpdel has ${1:-no} flows of the flood, ${2:-none} labelled"
used1=$(cat $params/mem_used)
[ "$used1" -gt "$used0" ]
tap_ok $? "its flows hold budget: mem_used $used0 -> $used1"
$ip netns del fpdel
tap_ok $? "ip netns del fpdel, the flood going on"
# The namespace is dismantled in the background: its end of the veth
# pair goes with it, then the peer's; its flows are given back.
i=0
while [ $i -lt 100 ]; do
	used2=$(cat $params/mem_used)
	! $ip -n fpdel-peer link show fpd1 >/dev/null 2>&1 &&
		[ "$used2" -le $((used0 + 2048)) ] && break
	sleep 0.2
	i=$((i + 1))
done
! $ip -n fpdel-peer link show fpd1 >/dev/null 2>&1
tap_ok $? "fpdel is gone (the peer's veth end went with it)"
[ "$used2" -le $((used0 + 2048)) ]
tap_ok $? "the budget fpdel's flows held is back: mem_used $used1 -> $used2 (at most $used0 + 2048, the peer's one flow)"
wait $flood
tap_dmesg_clean "kernel log clean after deleting a namespace under traffic"
$ip netns del fpdel-peer
rmmod flowpic
tap_ok $? "rmmod flowpic"
! grep -q flowpic_ /proc/slabinfo
tap_ok $? "no flowpic slab cache left"
tap_dmesg_clean "kernel log clean after rmmod"
tap_done
