#!/bin/sh
# flowpicd --backend kmod end to end: flowpic.ko loaded, a namespace
# behind a veth pair (one end in the initial namespace, where the
# module's hooks are), a model whose verdict is known (the daemon
# selftests' daemon_model: always "steady"), 1 s windows. Real UDP and
# TCP traffic (trafgen, bounded) gets a label per window in the JSON
# stream; `flowpic flows` and `flowpic stats` show it through the module;
# a SIGHUP reload to a `drop` policy stops a flow; SIGTERM stops flowpicd
# and puts the policy back to pass; rmmod is clean afterwards.
. /tests/tap.sh
. /tests/daemon.sh
echo "TAP version 13"
ns=fpd
fpd_setup /tmp/fpd

cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid"
	$ip netns del $ns 2>/dev/null
	$ip link del fd0 2>/dev/null
	grep -q '^flowpic ' /proc/modules && rmmod flowpic
}
trap cleanup EXIT

flow_slabs() {
	awk '$1 == "flowpic_flow" { print $2; f = 1 } END { if (!f) print "none" }' \
		/proc/slabinfo
}

# in_ns CMD...: runs CMD in the namespace.
in_ns() { $ip netns exec $ns "$@"; }

dmesg -c >/dev/null
$ip netns add $ns &&
$ip link add fd0 type veth peer name fd1 &&
$ip link set fd1 netns $ns &&
$ip addr add $A/24 dev fd0 &&
$ip -6 addr add 2001:db8:1::1/64 dev fd0 nodad &&
$ip link set fd0 up &&
$ip -n $ns addr add $B/24 dev fd1 &&
$ip -n $ns -6 addr add 2001:db8:1::2/64 dev fd1 nodad &&
$ip -n $ns link set fd1 up &&
$ip -n $ns link set lo up
tap_ok $? "namespace $ns, veth fd0/fd1 with $A/24 and 2001:db8:1::/64"
insmod /tests/flowpic.ko
tap_ok $? "insmod flowpic.ko"

fpd_model

flowpicd --backend kmod -i fd0 --model $dir/m.fpm \
	--policy $dir/p.policy --output $out --state-dir $st \
	--min-packets 2 --idle 1s 2>$log &
pid=$!
fpd_started $pid
tap_ok $? "flowpicd --backend kmod starts"
grep -q '^backend kmod$' $st/flowpicd.stats 2>/dev/null
tap_ok $? "its stats file says backend kmod"

# UDP over IPv4 (echoed), UDP over IPv6, a TCP upload: about 4 s each.
in_ns trafgen udp-echo $B 7001 40 10 &
in_ns trafgen udp-echo 2001:db8:1::2 7002 40 10 &
in_ns trafgen tcp-sink $B 8080 10 &
wait_bound $ip $ns udp 7001 && wait_bound $ip $ns udp 7002 &&
	wait_bound $ip $ns tcp 8080 || echo "# servers not bound after 10 s"
trafgen udp-send $B 7001 7001 40 200 100 &
u4=$!
trafgen udp-send 2001:db8:1::2 7002 7002 40 600 100 &
u6=$!
trafgen tcp-send $B 8080 40001 200000 1000 20 &
t4=$!
sleep 2.5
flows=$(flowpic flows --backend kmod --state-dir $st 2>&1)
stats=$(flowpic stats --backend kmod --state-dir $st 2>&1)
# Without --backend: the running flowpicd's stats file names it.
auto=$(flowpic flows --state-dir $st 2>&1)
wait $u4
r4=$?
wait $u6
r6=$?
wait $t4
rt=$?
[ $r4 = 0 ] && [ $r6 = 0 ] && [ $rt = 0 ]
tap_ok $? "traffic under the pass policy: udp4 $r4, udp6 $r6, tcp $rt (exit codes)"
sleep 2

check_flow() {	# PATTERN DESCRIPTION
	_l=$(grep -m1 -F "$1" $out)
	[ -n "$_l" ]
	tap_ok $? "$2: labelled in the JSON stream"
	echo "$_l" | grep -q '"label":"steady"' &&
		echo "$_l" | grep -q '"action":"pass"'
	tap_ok $? "$2: the model's verdict (steady) and action pass"
}
check_flow '"flow":"UDP 198.51.100.1:7001 <-> 198.51.100.2:7001"' "UDP over IPv4"
check_flow '"flow":"UDP [2001:db8:1::1]:7002 <-> [2001:db8:1::2]:7002"' "UDP over IPv6"
check_flow '"flow":"TCP 198.51.100.1:40001 <-> 198.51.100.2:8080"' "TCP upload"
n4=$(grep -c -F '"flow":"UDP 198.51.100.1:7001 <-> 198.51.100.2:7001"' $out)
[ "$n4" -ge 3 ]
tap_ok $? "a flow gets a label per window ($n4 for the 4 s UDP flow)"

echo "$flows" | grep -E 'UDP 198.51.100.1:7001 <-> 198.51.100.2:7001 .* steady ' \
	>/dev/null
tap_ok $? "flowpic flows --backend kmod shows the label from the module"
echo "$flows" | grep -E '^udp|^tcp' | sed 's/^/# /'
echo "$auto" | grep -E 'UDP 198.51.100.1:7001 <-> 198.51.100.2:7001 .* steady ' \
	>/dev/null
tap_ok $? "flowpic flows without --backend follows the running flowpicd (kmod)"
kpk=$(echo "$stats" | awk '$1 == "packets" { print $2; exit }')
kwin=$(echo "$stats" | awk '$1 == "windows" { print $2; exit }')
cls=$(echo "$stats" | awk '$1 == "windows_classified" { print $2 }')
[ "${kpk:-0}" -gt 50 ] && [ "${kwin:-0}" -ge 2 ] && [ "${cls:-0}" -ge 2 ]
tap_ok $? "flowpic stats --backend kmod: module ${kpk:-?} packets, ${kwin:-?} windows; flowpicd ${cls:-?} classified"

# SIGHUP: the drop policy, then a new flow is stopped once labelled.
fpd_reload_drop "SIGHUP reloads model and policy"
before=$(flowpic stats --backend kmod | awk '$1 == "dropped" { print $2 }')
fpd_drop_flow $ns
tap_ok $? "drop policy stops the flow: $(cat $dir/drop.err)"
after=$(flowpic stats --backend kmod | awk '$1 == "dropped" { print $2 }')
[ $((${after:-0} - ${before:-0})) -gt 0 ]
tap_ok $? "the module counts the dropped packets (${before:-?} -> ${after:-?})"
grep -F '"flow":"UDP 198.51.100.1:7003 <-> 198.51.100.2:7003"' $out |
	grep -q '"action":"drop"'
tap_ok $? "the flow's JSON line says action drop"

fpd_stop $pid
[ ! -e $st/flowpicd.stats ]
tap_ok $? "and removes its stats file"
# Without --keep the policy goes back to pass: the labelled flow flows.
in_ns trafgen udp-echo $B 7003 5 5 &
wait_bound $ip $ns udp 7003 || echo "# echo server not bound after 10 s"
trafgen udp-send $B 7003 7003 5 200 50 2
tap_ok $? "after SIGTERM the dropped flow passes again (policy back to pass)"
wait
sed 's/^/# flowpicd: /' $log

rmmod flowpic
tap_ok $? "rmmod flowpic after flowpicd"
[ "$(flow_slabs)" = none ]
tap_ok $? "the flowpic_flow cache is gone"
tap_dmesg_clean "kernel log clean"
tap_done
