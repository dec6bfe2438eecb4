#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Policy on real traffic: a flow labelled with a "drop" class stops
# passing; a "mark" class carries its mark into the qdisc (an HTB
# classifier on the mark sorts it, exactly); a "priority" class lands in its HTB class
# and is held to that class's rate within 20%. Labels and policy are
# written into the pinned maps by another process, as flowpicd or a
# user with bpftool would.

. "$(dirname "$0")/lib.sh"
require
setup_pair
RATE_MBIT=8

# HTB on a0: 1:10 default (fast), 1:20 for mark 0x77, 1:30 shaped.
# The mark is read by a BPF classifier (markclass.bpf.c): this kernel's
# u32 cannot match marks, and fw is a module it lacks.
in_a tc qdisc add dev a0 root handle 1: htb default 10 ||
	skip "no HTB qdisc"
in_a tc class add dev a0 parent 1: classid 1:10 htb rate 10gbit quantum 60000
in_a tc class add dev a0 parent 1: classid 1:20 htb rate 10gbit quantum 60000
in_a tc class add dev a0 parent 1: classid 1:30 htb rate ${RATE_MBIT}mbit \
	ceil ${RATE_MBIT}mbit quantum 1514
in_a tc filter add dev a0 parent 1: protocol all prio 1 bpf \
	obj "$BIN/markclass.bpf.o" sec classifier classid 1:20 ||
	fail "loading the mark classifier"
# GSO off, so HTB meters packets as they go on the wire.
in_a ethtool -K a0 tso off gso off >/dev/null 2>&1

dp_start
"$BIN/dpctl" policy -d "$PIN" 1 drop || fail "policy 1 drop"
"$BIN/dpctl" policy -d "$PIN" 2 mark 0x77 || fail "policy 2 mark"
"$BIN/dpctl" policy -d "$PIN" 3 priority 1:30 || fail "policy 3 priority"
rc=0
ok() { echo "# ok: $*"; }
bad() { echo "# not ok: $*"; rc=1; }
stat() { "$BIN/dpctl" stats -d "$PIN" | awk -v n="$1" '$1 == n { print $2 }'; }
class_pkts() {
	in_a tc -s class show dev a0 classid "$1" |
		awk '/Sent/ { for (i = 1; i < NF; i++) if ($(i + 1) == "pkt") print $i }'
}
class_bytes() {
	in_a tc -s class show dev a0 classid "$1" | awk '/Sent/ { print $2 }'
}

# --- drop: the first datagram goes through, then the label stops it ----
in_b "$BIN/trafgen" udp-echo $B4 7001 1 5 &
ECHO=$!
sleep 0.2
in_a "$BIN/trafgen" udp-send $B4 7001 43001 1 200 || fail "first datagram"
wait $ECHO || fail "the first datagram did not arrive"
"$BIN/dpctl" label -d "$PIN" UDP $A4 43001 $B4 7001 1 || fail "label"
in_b "$BIN/trafgen" udp-echo $B4 7001 1 3 2>/dev/null &
ECHO=$!
sleep 0.2
if in_a "$BIN/trafgen" udp-send $B4 7001 43001 5 200 10 1 2>/dev/null; then
	bad "a dropped class still gets answers"
else
	ok "labelled drop: no datagram gets through"
fi
if wait $ECHO; then
	bad "the receiver got a datagram of a dropped flow"
else
	ok "the receiver got nothing"
fi
d=$(stat dropped)
[ "$d" = 1 ] && ok "dropped counter $d (the one datagram sent)" ||
	bad "dropped counter $d, want 1"

# --- mark: 10 datagrams carry mark 0x77 into class 1:20 -----------------
"$BIN/dpctl" label -d "$PIN" UDP $A4 43002 $B4 7002 2 || fail "label"
before=$(class_pkts 1:20)
in_b "$BIN/trafgen" udp-echo $B4 7002 10 5 &
ECHO=$!
sleep 0.2
in_a "$BIN/trafgen" udp-send $B4 7002 43002 10 300 10 || bad "marked traffic"
wait $ECHO
after=$(class_pkts 1:20)
[ $((after - before)) = 10 ] &&
	ok "10 marked datagrams, 10 in the mark-filtered class" ||
	bad "$((after - before)) packets in the mark's class, want 10"
# ... and unmarked traffic stays out of it.
before=$(class_pkts 1:20)
in_b "$BIN/trafgen" udp-echo $B4 7005 5 5 &
ECHO=$!
sleep 0.2
in_a "$BIN/trafgen" udp-send $B4 7005 43005 5 300 10 || bad "unmarked traffic"
wait $ECHO
after=$(class_pkts 1:20)
[ "$after" = "$before" ] && ok "5 unmarked datagrams: none in the mark's class" ||
	bad "$((after - before)) unmarked packets in the mark's class"
m=$(stat marked)
[ "$m" = 20 ] && ok "marked counter $m (10 out, 10 back)" ||
	bad "marked counter $m, want 20"

# --- priority: HTB class 1:30 holds the flow to its rate ---------------
BYTES=3000000
"$BIN/dpctl" label -d "$PIN" TCP $A4 43003 $B4 7003 3 || fail "label"
in_b "$BIN/trafgen" tcp-sink $B4 7003 20 &
SINK=$!
sleep 0.2
b0=$(class_bytes 1:30)
t0=$(date +%s%N)
in_a "$BIN/trafgen" tcp-send $B4 7003 43003 $BYTES 16000 || bad "shaped traffic"
t1=$(date +%s%N)
wait $SINK
b1=$(class_bytes 1:30)
# The class's own byte count over the transfer's time: its wire rate.
rate=$(( (b1 - b0) * 8 * 1000 / ((t1 - t0) / 1000) ))	# kbit/s
lo=$((RATE_MBIT * 800)) hi=$((RATE_MBIT * 1200))
echo "# shaped flow: $((b1 - b0)) bytes through 1:30 in $(((t1 - t0) / 1000000)) ms = $rate kbit/s (class rate ${RATE_MBIT} Mbit/s)"
[ $((b1 - b0)) -ge $BYTES ] || bad "only $((b1 - b0)) bytes went through 1:30"
[ "$rate" -ge $lo ] && [ "$rate" -le $hi ] &&
	ok "held to $rate kbit/s, within 20% of ${RATE_MBIT} Mbit/s" ||
	bad "$rate kbit/s is not within 20% of ${RATE_MBIT} Mbit/s"

# The same transfer unlabelled goes at the default class's speed.
in_b "$BIN/trafgen" tcp-sink $B4 7004 20 &
SINK=$!
sleep 0.2
t0=$(date +%s%N)
in_a "$BIN/trafgen" tcp-send $B4 7004 43004 $BYTES 16000 || bad "unshaped traffic"
t1=$(date +%s%N)
wait $SINK
fast=$(( BYTES * 8 * 1000 / ((t1 - t0) / 1000) ))
[ "$fast" -gt $((hi * 3)) ] &&
	ok "unlabelled: $fast kbit/s, not shaped" ||
	bad "unlabelled flow only reached $fast kbit/s"

dp_stop
exit $rc
