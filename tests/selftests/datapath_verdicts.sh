#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Verdicts hold on real traffic (docs/verdicts.md). A TCP flow whose
# class is "drop" stays dropped after a spoofed RST (outside any window)
# and after FINs from both sides: these end the flow's histogram, never
# its verdict. Counted on the receiver's side of the veth, where tcpdump
# sees every byte that got past the tc program; the receiver drops them
# right after (sink.bpf.c), so it never answers with a RST of its own.

. "$(dirname "$0")/lib.sh"
require tcpdump
setup_pair

in_b tc qdisc add dev b0 clsact || skip "no clsact qdisc"
in_b tc filter add dev b0 ingress bpf da obj "$BIN/sink.bpf.o" sec classifier ||
	fail "loading the receiver's sink"
capture_start "$TMP/b.pcap" "$NS_B" b0 tcp

dp_start
"$BIN/dpctl" policy -d "$PIN" 1 drop || fail "policy 1 drop"
raw_a() { in_a "$BIN/trafgen" tcp-raw $A4 $B4 "$@" || fail "tcp-raw $*"; }
raw_b() { in_b "$BIN/trafgen" tcp-raw $B4 $A4 "$@" || fail "tcp-raw $*"; }

# RST: one segment opens the flow, the label drops it, a spoofed RST,
# then data and a new SYN on the same 5-tuple.
raw_a 43201 7201 PA 1 100
"$BIN/dpctl" label -d "$PIN" TCP $A4 43201 $B4 7201 1 || fail "label 43201"
raw_a 43201 7201 R 1
raw_a 43201 7201 PA 5 200
raw_a 43201 7201 S 2

# FIN from both sides, then data.
raw_a 43202 7202 PA 1 100
"$BIN/dpctl" label -d "$PIN" TCP $A4 43202 $B4 7202 1 || fail "label 43202"
raw_a 43202 7202 FA 1
raw_b 7202 43202 FA 1
raw_a 43202 7202 PA 5 200
raw_a 43202 7202 S 2

capture_stop
dp_stop

rc=0
seen() {
	tcpdump -r "$TMP/b.pcap" -nn "src host $A4 and tcp dst port $1" \
		2>/dev/null | wc -l
}
bytes() {
	tcpdump -r "$TMP/b.pcap" -nn "src host $A4 and tcp dst port $1" \
		2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "length") n += $(i + 1) } END { print n + 0 }'
}
for case in "7201 spoofed RST" "7202 FIN both ways"; do
	port=${case%% *}
	what=${case#* }
	n=$(seen "$port")
	b=$(bytes "$port")
	# Only the segment before the label passes: 1 packet, 100 bytes.
	if [ "$n" = 1 ] && [ "$b" = 100 ]; then
		echo "# ok: $what: after the label only the first segment crossed ($n, $b payload bytes); 8 later ones dropped"
	else
		echo "# not ok: $what: $n segments ($b payload bytes) crossed, want 1 (100)"
		rc=1
	fi
done

# A device without a link header (tun): refused, naming it and its type.
if in_a ip tuntap add dev fptun0 mode tun 2>/dev/null; then
	in_a ip link set fptun0 up
	if out=$(in_a timeout 10 "$BIN/dpctl" run -d "$PIN-tun" -i fptun0 2>&1); then
		echo "# not ok: the tc program attached to a tun device"
		rc=1
	elif echo "$out" | grep -q "fptun0.*link type 65534.*not Ethernet"; then
		echo "# ok: tun device refused: $out"
	else
		echo "# not ok: tun device: $out"
		rc=1
	fi
	rm -rf "$PIN-tun"
else
	echo "# SKIP: no tun device here"
fi
exit $rc
