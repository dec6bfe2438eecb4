#!/bin/sh
# flowpicd --backend kmod inside a container's network namespace: ctr,
# joined to ctr-peer by a veth pair (198.51.100.1 <-> .2), flowpicd and
# the traffic started with `ip netns exec ctr`, as a container runtime
# would. flowpicd gets the windows of ctr's traffic and labels them (the
# daemon selftests' model: always "steady"); after a SIGHUP to a drop
# policy a new flow is dropped in ctr, counted by ctr's flowpic; the
# initial namespace's flowpic sees none of it.
. /tests/tap.sh
. /tests/daemon.sh
echo "TAP version 13"
ns=ctr
peer=ctr-peer
fpd_setup /tmp/fpn

cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait
	$ip netns del $ns 2>/dev/null
	$ip netns del $peer 2>/dev/null
	grep -q '^flowpic ' /proc/modules && rmmod flowpic
}
trap cleanup EXIT

in_ns() { $ip netns exec $ns "$@"; }
in_peer() { $ip netns exec $peer "$@"; }
# stat NAME [ns]: a counter of `flowpic stats --backend kmod`.
stat() {
	if [ "$2" = ns ]; then
		in_ns flowpic stats --backend kmod --state-dir $st 2>/dev/null
	else
		flowpic stats --backend kmod 2>/dev/null
	fi | awk -v n="$1" '$1 == n { print $2; exit }'
}

dmesg -c >/dev/null
$ip netns add $ns && $ip netns add $peer &&
$ip link add c0 netns $ns type veth peer name c1 netns $peer &&
$ip -n $ns addr add $A/24 dev c0 &&
$ip -n $peer addr add $B/24 dev c1 &&
$ip -n $ns link set c0 up && $ip -n $peer link set c1 up &&
$ip -n $ns link set lo up && $ip -n $peer link set lo up
tap_ok $? "namespace $ns, its peer $peer, veth c0/c1 with $A/24"
insmod /tests/flowpic.ko
tap_ok $? "insmod flowpic.ko (by the host's administrator)"
host_binned0=$(stat binned)

fpd_model

# `ip netns exec` waits for its command: signals go to flowpicd itself,
# whose pid the shell it replaces leaves behind.
in_ns sh -c "echo \$\$ >$dir/pid; exec flowpicd --backend kmod -i c0 \
	--model $dir/m.fpm --policy $dir/p.policy --output $out \
	--state-dir $st --min-packets 2 --idle 1s" 2>$log &
runner=$!
fpd_started $runner
tap_ok $? "flowpicd --backend kmod starts in $ns"
pid=$(cat $dir/pid)

in_peer trafgen udp-echo $B 7001 40 10 &
wait_bound $ip $peer udp 7001 || echo "# echo server not bound after 10 s"
in_ns trafgen udp-send $B 7001 7001 40 200 100 &
send=$!
sleep 2.5
flows=$(in_ns flowpic flows --backend kmod --state-dir $st 2>&1)
host_flows=$(flowpic flows --backend kmod 2>&1)
wait $send
tap_ok $? "UDP $A:7001 <-> $B:7001 from $ns, echoed"
sleep 2

l=$(grep -m1 -F '"flow":"UDP 198.51.100.1:7001 <-> 198.51.100.2:7001"' $out)
echo "$l" | grep -q '"label":"steady"' && echo "$l" | grep -q '"action":"pass"'
tap_ok $? "flowpicd in $ns labels the flow's windows (steady, pass)"
echo "$flows" | grep -E 'UDP 198.51.100.1:7001 <-> 198.51.100.2:7001 .* steady ' \
	>/dev/null
tap_ok $? "flowpic flows in $ns shows the label from $ns's flowpic"
! echo "$host_flows" | grep -q '198.51.100.1:7001'
tap_ok $? "flowpic flows in the initial namespace does not show it"
host_binned1=$(stat binned)
[ "${host_binned1:-x}" = "${host_binned0:-y}" ]
tap_ok $? "the initial namespace's flowpic binned nothing (${host_binned0:-?} -> ${host_binned1:-?})"

fpd_reload_drop "SIGHUP reloads to a drop policy"
host_dropped0=$(stat dropped)
before=$(stat dropped ns)
fpd_drop_flow $peer in_ns
tap_ok $? "the drop policy stops a new flow in $ns: $(cat $dir/drop.err)"
after=$(stat dropped ns)
host_dropped1=$(stat dropped)
[ $((${after:-0} - ${before:-0})) -gt 0 ]
tap_ok $? "$ns's flowpic counts the drops (${before:-?} -> ${after:-?})"
[ "${host_dropped1:-x}" = "${host_dropped0:-y}" ]
tap_ok $? "the initial namespace's flowpic dropped nothing (${host_dropped0:-?} -> ${host_dropped1:-?})"

fpd_stop $runner
wait
sed 's/^/# flowpicd: /' $log
$ip netns del $ns
$ip netns del $peer
rmmod flowpic
tap_ok $? "rmmod flowpic"
tap_dmesg_clean "kernel log clean"
tap_done
