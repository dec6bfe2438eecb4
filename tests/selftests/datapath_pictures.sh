#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's FlowPics against the offline pipeline's: several
# concurrent flows (TCP and UDP, IPv4 and IPv6, both directions, several
# windows each) cross a veth with the tc program on it while tcpdump
# captures the same interface. Every window the kernel completed must
# equal, cell for cell, what `flowpic pictures` builds from the capture;
# only a packet captured within 100 us of a time-bin edge may sit in the
# neighbouring bin (cmp_pictures.c says why).

. "$(dirname "$0")/lib.sh"
require tcpdump
FLOWPIC=$TOP/build/flowpic
[ -x "$FLOWPIC" ] || fail "$FLOWPIC is missing (make)"
GEOM="--n 32 --channels 2 --window 2s"
setup_pair

capture_start "$TMP/cap.pcap"
dp_start $GEOM --tcp-end both

in_b "$BIN/trafgen" udp-echo $B4 6001 40 &
E1=$!
in_b "$BIN/trafgen" udp-echo $B6 6002 30 &
E2=$!
in_b "$BIN/trafgen" tcp-sink $B4 6003 &
S1=$!
in_b "$BIN/trafgen" tcp-sink $B6 6004 &
S2=$!
BG_PIDS="$BG_PIDS $E1 $E2 $S1 $S2"
sleep 0.3
in_a "$BIN/trafgen" udp-send $B4 6001 41001 40 300 100 & U1=$!
in_a "$BIN/trafgen" udp-send $B6 6002 41002 30 1000 130 & U2=$!
in_a "$BIN/trafgen" tcp-send $B4 6003 41003 150000 1500 20 & T1=$!
in_a "$BIN/trafgen" tcp-send $B6 6004 41004 80000 800 25 & T2=$!
BG_PIDS="$BG_PIDS $U1 $U2 $T1 $T2"
for p in $U1 $U2 $T1 $T2 $E1 $E2 $S1 $S2; do
	wait $p || fail "traffic generator $p failed"
done
capture_stop
dp_stop

# The kernel bins a TSO/GRO packet as its segments; so must the oracle.
set -- $("$TOP/build/lab/gso_split" 1500 "$TMP/cap.pcap" "$TMP/wire.pcap") ||
	fail "gso_split failed"
echo "# capture: $1 packets over 1500 bytes, cut into $2 segments"
"$FLOWPIC" pictures $GEOM --min-packets 1 --tcp-end both "$TMP/wire.pcap" \
	>"$TMP/offline" || fail "flowpic pictures failed"
echo "# kernel: $(wc -l <"$TMP/windows") windows, offline: $(wc -l <"$TMP/offline") windows"
"$BIN/cmp_pictures" 32 2s 2 "$TMP/windows" "$TMP/offline" "$TMP/wire.pcap"
