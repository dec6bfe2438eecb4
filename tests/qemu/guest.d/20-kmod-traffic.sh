#!/bin/sh
# flowpic.ko end to end: real IPv4/IPv6 UDP and TCP traffic between the
# guest's initial namespace and a namespace behind a veth pair, windows
# announced and checked exactly, labels and a drop policy enforced,
# malformed and unprivileged requests refused (tests/qemu/kmod_traffic.c);
# then unloading with live flows, three load-traffic-unload rounds, and
# the kernel log and slab caches checked after each.
. /tests/tap.sh
echo "TAP version 13"
ip=/tests/bin/ip
ns=fpc

cleanup() {
	$ip netns del $ns 2>/dev/null
	$ip link del fp0 2>/dev/null
	grep -q '^flowpic ' /proc/modules && rmmod flowpic
}
trap cleanup EXIT

lab() {
	$ip netns add $ns &&
	$ip link add fp0 type veth peer name fp1 &&
	$ip link set fp1 netns $ns &&
	$ip addr add 192.0.2.1/24 dev fp0 &&
	$ip -6 addr add 2001:db8::1/64 dev fp0 nodad &&
	$ip link set fp0 up &&
	$ip -n $ns addr add 192.0.2.2/24 dev fp1 &&
	$ip -n $ns -6 addr add 2001:db8::2/64 dev fp1 nodad &&
	$ip -n $ns link set fp1 up &&
	$ip -n $ns link set lo up
}

# Objects of the flows' slab cache, or "none" when it does not exist.
flow_slabs() {
	awk '$1 == "flowpic_flow" { print $2; f = 1 } END { if (!f) print "none" }' \
		/proc/slabinfo
}

dmesg -c >/dev/null
# A slow emulated CPU must not drop packets before the hooks see them
# (the bulk transfers compare what the hooks saw with what TCP sent).
echo 100000 >/proc/sys/net/core/netdev_max_backlog
lab
tap_ok $? "namespace $ns and veth fp0/fp1 with 192.0.2.0/24, 2001:db8::/64"
insmod /tests/flowpic.ko
tap_ok $? "insmod flowpic.ko"

tap_prog /tests/bin/kmod_traffic $ns

# A mark under a mask keeps the other bits: tc reads it back where the
# packets leave, a u32 filter on fp0's egress counting mark 0x12a exactly
# (socket mark 0x15a, flowpic's 0x20 under 0xf0).
tc=/tests/bin/tc
$tc qdisc add dev fp0 clsact &&
$tc filter add dev fp0 egress protocol ip prio 1 u32 \
	match mark 0x12a 0xffffffff action pass
tap_ok $? "tc: clsact on fp0, a u32 filter counting mark 0x12a"
sent=$(/tests/bin/kmod_traffic $ns --mark 10)
tap_ok $? "10 datagrams sent on a flow labelled mark 0x20/0xf0 ($sent)"
hits=$($tc -s filter show dev fp0 egress | awk '/Sent/ { print $4; exit }')
[ "$hits" = 10 ]
tap_ok $? "all 10 left fp0 with mark 0x12a: flowpic's bits set, the others kept ($hits)"
$tc qdisc del dev fp0 clsact

# Unload with live flows, three times over.
for round in 1 2 3; do
	[ $round = 1 ] || insmod /tests/flowpic.ko
	set -- $(/tests/bin/kmod_traffic $ns --load 1000)
	live=$(flow_slabs)
	[ "$1" = 1000 ] && [ "$2" = 1000 ]
	tap_ok $? "round $round: 1000 flows made, $2 listed by a GET_FLOWS dump"
	[ "$live" != none ] && [ "$live" -ge 1000 ]
	tap_ok $? "round $round: the flowpic_flow slab holds $live objects"
	rmmod flowpic
	tap_ok $? "round $round: rmmod with live flows"
	[ "$(flow_slabs)" = none ]
	tap_ok $? "round $round: the flowpic_flow cache is gone"
	tap_dmesg_clean "round $round: kernel log clean (no warning, no leaked objects)"
done

if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(grep -c 'unreferenced object' /sys/kernel/debug/kmemleak)
	[ "$leaks" = 0 ]
	tap_ok $? "kmemleak: $leaks unreferenced objects"
else
	tap_skip "this kernel has no kmemleak (CONFIG_DEBUG_KMEMLEAK)" \
		"kmemleak scan"
fi
tap_done
