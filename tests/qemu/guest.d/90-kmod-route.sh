#!/bin/sh
# Priority on routed traffic: namespaces ra (10.9.1.2) and rb (10.9.2.2)
# routed through the initial namespace, where flowpic.ko hooks. A UDP
# flow from ra to rb is labelled with its own action, priority 1:20; the
# router's egress veth to rb has an HTB qdisc whose class 1:20 takes
# packets of that priority (the default is 1:10). ip_forward() resets a
# forwarded packet's priority after PRE_ROUTING, so the flow's packets
# reach 1:20 only if the module applies the priority again on the way
# out (POST_ROUTING).
. /tests/tap.sh
echo "TAP version 13"
ip=/tests/bin/ip
tc=/tests/bin/tc

cleanup() {
	$ip netns del ra 2>/dev/null
	$ip netns del rb 2>/dev/null
	grep -q '^flowpic ' /proc/modules && rmmod flowpic
}
trap cleanup EXIT

# Packets sent by class 1:@1 of rb0's HTB.
sent() {
	$tc -s class show dev rb0 classid "1:$1" |
		awk '/Sent/ { print $4; exit }'
}

dmesg -c >/dev/null
$ip netns add ra && $ip netns add rb &&
$ip link add ra0 type veth peer name ra1 &&
$ip link add rb0 type veth peer name rb1 &&
$ip link set ra1 netns ra && $ip link set rb1 netns rb &&
$ip addr add 10.9.1.1/24 dev ra0 && $ip addr add 10.9.2.1/24 dev rb0 &&
$ip link set ra0 up && $ip link set rb0 up &&
$ip -n ra addr add 10.9.1.2/24 dev ra1 && $ip -n ra link set ra1 up &&
$ip -n rb addr add 10.9.2.2/24 dev rb1 && $ip -n rb link set rb1 up &&
$ip -n ra route add default via 10.9.1.1 &&
$ip -n rb route add default via 10.9.2.1 &&
echo 1 >/proc/sys/net/ipv4/ip_forward &&
$tc qdisc add dev rb0 root handle 1: htb default 10 &&
$tc class add dev rb0 parent 1: classid 1:10 htb rate 1gbit &&
$tc class add dev rb0 parent 1: classid 1:20 htb rate 1gbit
tap_ok $? "ra -- router -- rb, HTB on rb0 (1:10 default, 1:20)"
insmod /tests/flowpic.ko
tap_ok $? "insmod flowpic.ko"

$ip netns exec ra kmod_route send 10.9.2.2 6666 5555 1 &&
	kmod_route label 10.9.1.2 5555 10.9.2.2 6666 0x10020
tap_ok $? "UDP 10.9.1.2:5555 -> 10.9.2.2:6666 labelled: priority 1:20"
a0=$(sent 20)
d0=$(sent 10)
$ip netns exec ra kmod_route send 10.9.2.2 6666 5555 50
tap_ok $? "50 more datagrams sent"
a1=$(sent 20)
d1=$(sent 10)
[ $((a1 - a0)) -ge 50 ]
tap_ok $? "forwarded packets reach class 1:20 ($((a1 - a0)) packets; default 1:10 got $((d1 - d0)))"

rmmod flowpic
tap_ok $? "rmmod flowpic"
tap_dmesg_clean "kernel log clean"
tap_done
