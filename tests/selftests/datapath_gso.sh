#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pictures true to the wire with offloads on: bulk TCP both ways across
# a veth with TSO, GSO and GRO enabled, so the tc program sees packets of
# up to 64 KiB. Every window the kernel completed must equal, cell for
# cell, what `flowpic pictures` builds from the same capture cut into
# the segments the wire carries (gso_split.c), and nothing may be
# clipped into the top row.

. "$(dirname "$0")/lib.sh"
require tcpdump ethtool
FLOWPIC=$TOP/build/flowpic
[ -x "$FLOWPIC" ] || fail "$FLOWPIC is missing (make)"
GEOM="--n 32 --channels 2 --window 2s"
setup_pair
for dev in a0 b0; do
	ns=$NS_A
	[ $dev = b0 ] && ns=$NS_B
	ip netns exec "$ns" ethtool -K $dev tso on gso on gro on >/dev/null 2>&1
done

capture_start "$TMP/cap.pcap"
dp_start $GEOM --tcp-end both
in_b "$BIN/trafgen" tcp-sink $B4 6101 & S1=$!
in_a "$BIN/trafgen" tcp-sink $A6 6102 & S2=$!
BG_PIDS="$BG_PIDS $S1 $S2"
sleep 0.3
# 64 KiB writes 30 ms apart: GSO packets, at a pace tcpdump keeps up with.
in_a "$BIN/trafgen" tcp-send $B4 6101 42101 1048576 65536 30 & T1=$!
in_b "$BIN/trafgen" tcp-send $A6 6102 42102 786432 65536 30 & T2=$!
BG_PIDS="$BG_PIDS $T1 $T2"
for p in $T1 $T2 $S1 $S2; do
	wait $p || fail "traffic generator $p failed"
done
capture_stop
grep -h "dropped by kernel" "$TMP/tcpdump.err" | sed 's/^/# tcpdump: /'
"$BIN/dpctl" stats -d "$PIN" >"$TMP/stats" 2>/dev/null
clipped=$(awk '$1 == "clipped" { print $2 }' "$TMP/stats")
segments=$(awk '$1 == "segments" { print $2 }' "$TMP/stats")
dp_stop

set -- $("$TOP/build/lab/gso_split" 1500 "$TMP/cap.pcap" "$TMP/wire.pcap") ||
	fail "gso_split failed"
echo "# capture: $1 packets over 1500 bytes, cut into $2 segments"
[ "${1:-0}" -gt 0 ] || skip "no GSO/GRO packets crossed the veth (offloads off?)"
"$FLOWPIC" pictures $GEOM --min-packets 1 --tcp-end both "$TMP/wire.pcap" \
	>"$TMP/offline" || fail "flowpic pictures failed"
echo "# kernel: $(wc -l <"$TMP/windows") windows, offline: $(wc -l <"$TMP/offline") windows"
"$BIN/cmp_pictures" 32 2s 2 "$TMP/windows" "$TMP/offline" "$TMP/wire.pcap" ||
	fail "kernel pictures differ from the per-segment capture's"
[ "$clipped" = 0 ] || fail "$clipped packets clipped into the top row"
[ "${segments:-0}" -gt 0 ] || fail "the tc program counted no GSO/GRO segments"
echo "# tc program: $segments segments of GSO/GRO packets binned one by one, 0 clipped"
echo "# ok: kernel pictures equal the per-segment capture's"
