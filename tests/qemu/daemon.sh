# SPDX-License-Identifier: GPL-2.0
# What the guest scripts running flowpicd --backend kmod share (sourced
# after tap.sh; busybox sh inside the guest): their files, a model whose
# verdict is known, flowpicd's start, its reload to a drop policy, a new
# flow that policy stops, and its stop. The script keeps flowpicd's pid
# in $pid.

# fpd_setup DIR: flowpicd's files under DIR ($st its state directory,
# $out its JSON windows, $log its messages), the addresses of the veth
# pair ($A flowpicd's side, $B the other), iproute2 as $ip.
fpd_setup() {
	ip=/tests/bin/ip
	dir=$1
	st=$dir/state
	out=$dir/windows.json
	log=$dir/flowpicd.log
	pid=""
	A=198.51.100.1
	B=198.51.100.2
	mkdir -p "$dir" "$st"
}

# fpd_model: the daemon selftests' model, always "steady" (1 s windows,
# 32x32), in $dir/m.fpm, one TAP check; $dir/p.policy passes every class.
fpd_model() {
	daemon_model $dir/m.fpm 1000 32 steady,other 0 4
	tap_ok $? "a model that always says steady (1 s windows, 32x32)"
	# The policy file flowpicd reads, and rereads on SIGHUP.
	printf 'steady pass\nother pass\nunknown pass\n' >$dir/p.policy
}

# fpd_started PID: true once flowpicd's stats file is there, waiting at
# most 10 s while PID (flowpicd, or what runs it) lives.
fpd_started() {
	_i=0
	while [ ! -f $st/flowpicd.stats ] && [ $_i -lt 50 ] &&
	      kill -0 "$1" 2>/dev/null
	do
		sleep 0.2
		_i=$((_i + 1))
	done
	[ -f $st/flowpicd.stats ]
}

# fpd_reload_drop TEXT: class steady to drop, SIGHUP, then at most 5 s
# for flowpicd to say it reloaded; one TAP check, TEXT.
fpd_reload_drop() {
	printf 'steady drop\nother pass\nunknown pass\n' >$dir/p.policy
	kill -HUP $pid
	_i=0
	while ! grep -q 'flowpicd: reloaded' $log && [ $_i -lt 25 ]; do
		sleep 0.2
		_i=$((_i + 1))
	done
	grep -q 'flowpicd: reloaded' $log
	tap_ok $? "$1"
}

# fpd_drop_flow NS [CMD...]: a new UDP flow $A:7003 -> $B:7003, echoed
# by a server in namespace NS, sent through CMD (a command prefix, none:
# here); true when it was stopped, $dir/drop.err saying how. Dropped at
# the sender's LOCAL_OUT hook, sendto() fails with EPERM; dropped on the
# way back, the answer never comes.
fpd_drop_flow() {
	_ns=$1
	shift
	$ip netns exec $_ns trafgen udp-echo $B 7003 60 8 &
	_echo=$!
	wait_bound $ip $_ns udp 7003 || echo "# echo server not bound after 10 s"
	"$@" trafgen udp-send $B 7003 7003 60 200 50 2 2>$dir/drop.err
	_rd=$?
	kill $_echo 2>/dev/null
	wait $_echo 2>/dev/null
	[ $_rd != 0 ] && grep -qE 'no answer|Operation not permitted' $dir/drop.err
}

# fpd_stop PID: SIGTERM to flowpicd, then waits for PID (flowpicd, or
# what runs it); one TAP check that it stopped cleanly.
fpd_stop() {
	kill -TERM $pid
	wait "$1"
	_rc=$?
	pid=""
	[ $_rc = 0 ] && grep -q 'flowpicd: stopped' $log
	tap_ok $? "SIGTERM stops flowpicd cleanly (exit $_rc)"
}
