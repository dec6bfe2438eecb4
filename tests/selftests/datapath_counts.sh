#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tc program on a veth in a namespace, real UDP and TCP traffic both
# ways over IPv4 and IPv6, and the per-flow counts in the pinned flow
# table compared, exactly, with what was sent (UDP) and with what tcpdump
# saw on the same interface (TCP).

. "$(dirname "$0")/lib.sh"
require tcpdump
setup_pair

dp_start --tcp-end none
capture_start "$TMP/cap.pcap"

in_b "$BIN/trafgen" udp-echo $B4 5353 7 &
BG_PIDS="$BG_PIDS $!"
in_b "$BIN/trafgen" udp-echo $B6 5354 5 &
BG_PIDS="$BG_PIDS $!"
in_b "$BIN/trafgen" tcp-sink $B4 8080 &
SINK=$!
BG_PIDS="$BG_PIDS $SINK"
sleep 0.3
in_a "$BIN/trafgen" udp-send $B4 5353 40001 7 100 || fail "UDP/IPv4 traffic"
in_a "$BIN/trafgen" udp-send $B6 5354 40002 5 1200 || fail "UDP/IPv6 traffic"
in_a "$BIN/trafgen" tcp-send $B4 8080 40003 30000 1000 1 || fail "TCP traffic"
wait $SINK
capture_stop

"$BIN/dpctl" flows -d "$PIN" >"$TMP/flows" || fail "reading the flow table"
cat "$TMP/flows" | sed 's/^/# /'
rc=0

check() {	# check WHAT KEY EXPECTED
	got=$(grep -F "$2 " "$TMP/flows" | sed 's/.* packets=/packets=/')
	if [ "$got" = "$3" ]; then
		echo "# ok: $1: $got"
	else
		echo "# not ok: $1: got '$got', want '$3'"
		rc=1
	fi
}

# 7 datagrams each way, 20 + 8 + 100 bytes each.
check "UDP/IPv4 7+7" "UDP 192.0.2.1:40001 <-> 192.0.2.2:5353" \
	"packets=7/7 bytes=896/896"
# 5 each way, 40 + 8 + 1200 bytes.
check "UDP/IPv6 5+5" "UDP [2001:db8::1]:40002 <-> [2001:db8::2]:5354" \
	"packets=5/5 bytes=6240/6240"
# TCP: whatever tcpdump saw on a0 in each direction.
fwd=$(tcpdump -nn -r "$TMP/cap.pcap" "tcp and src $A4 and src port 40003" 2>/dev/null | wc -l)
rev=$(tcpdump -nn -r "$TMP/cap.pcap" "tcp and dst $A4 and dst port 40003" 2>/dev/null | wc -l)
[ "$fwd" -gt 10 ] || fail "tcpdump saw only $fwd TCP packets: $(tcpdump -nn -r "$TMP/cap.pcap" 2>&1 | head -3)"
got=$(grep -F "TCP 192.0.2.1:40003 <-> 192.0.2.2:8080 " "$TMP/flows" |
      sed 's/.* packets=\([0-9]*\/[0-9]*\).*/\1/')
if [ "$got" = "$fwd/$rev" ]; then
	echo "# ok: TCP/IPv4 packets $got, as tcpdump saw"
else
	echo "# not ok: TCP/IPv4 packets $got, tcpdump saw $fwd/$rev"
	rc=1
fi
n=$(wc -l <"$TMP/flows")
[ "$n" = 3 ] || { echo "# not ok: $n flows in the table, want 3"; rc=1; }

dp_stop
exit $rc
