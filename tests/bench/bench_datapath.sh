#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The eBPF data path against its peers, in the same run, as ratios:
#  - per-packet cost through BPF_PROG_TEST_RUN, established and new flow,
#    next to tests/bpf/baseline.bpf.c (same parser and map type, a packet
#    count per flow only) and the empty program (the floor):
#    bench_datapath.c;
#  - kernel memory per tracked flow at 32x32 (the flow table's memlock);
#  - TCP throughput of a bounded sender across a veth pair in namespaces,
#    with the tc program on the sender's veth and without.
cd "$(dirname "$0")/../.." || exit 1
[ "$(id -u)" = 0 ] || { echo "# SKIP: not root"; exit 0; }
out=build/bench
mkdir -p "$out"
# Built by the Makefile's rule and flags.
make --no-print-directory build/tests/bench/bench_datapath >/dev/null || exit 1
cp build/tests/bench/bench_datapath "$out/bench_datapath" || exit 1
echo "# command: sh tests/bench/bench_datapath.sh"
rm -f "$out"/*.jit
"$out/bench_datapath" "${BENCH_ROUNDS:-41}" "$out" || exit 1
# x86 instructions of each JIT image (objdump from binutils), all
# functions of the program together.
if command -v objdump >/dev/null; then
	for f in "$out"/*.jit; do
		[ -e "$f" ] || continue
		n=$(objdump -b binary -m i386:x86-64 -D "$f" |
			grep -cE '^ +[0-9a-f]+:')
		echo "jit_instructions $(basename "$f" .jit) $n"
	done
fi

# --- throughput across a veth pair ------------------------------------
ksrc=$(sh tests/linux-source.sh) || exit 1
mkdir -p build/selftests
make --no-print-directory -C tests/selftests KSRC="$ksrc" \
	OUTPUT="$PWD/build/selftests" all >/dev/null || exit 1
BIN=$PWD/build/selftests
A=fpic-bench-a-$$ B=fpic-bench-b-$$ PIN=/sys/fs/bpf/flowpic-bench-$$
READY=$(mktemp -u)
DP=
cleanup() {
	[ -n "$DP" ] && kill "$DP" 2>/dev/null && wait "$DP" 2>/dev/null
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$PIN" "$READY"
}
trap cleanup EXIT
ip netns add $A && ip netns add $B || exit 1
ip link add a0 netns $A type veth peer name b0 netns $B || exit 1
ip -n $A addr add 192.0.2.1/24 dev a0
ip -n $B addr add 192.0.2.2/24 dev b0
ip -n $A link set a0 up
ip -n $B link set b0 up
ip netns exec $A ping -q -c 1 -W 2 192.0.2.2 >/dev/null || exit 1

BYTES=400000000
# kbit/s of one bounded transfer; $1 tells the ports apart.
xfer() {
	port=$((9000 + $1))
	ip netns exec $B "$BIN/trafgen" tcp-sink 192.0.2.2 $port 30 &
	sink=$!
	sleep 0.2
	t0=$(date +%s%N)
	ip netns exec $A "$BIN/trafgen" tcp-send 192.0.2.2 $port \
		$((50000 + $1)) $BYTES 65536 || return 1
	t1=$(date +%s%N)
	wait $sink
	echo $((BYTES * 8 * 1000 / ((t1 - t0) / 1000)))
}
# One loaded program (dpctl, pinned under $PIN); rounds put its filters
# on and take them off a0, so loading and freeing maps stay out of the
# timing.
nsenter --net=/run/netns/$A "$BIN/dpctl" run -d "$PIN" -i a0 \
	--ready "$READY" >/dev/null 2>"$READY.err" &
DP=$!
for i in $(seq 100); do [ -e "$READY" ] && break; sleep 0.1; done
[ -e "$READY" ] || { echo "dpctl did not start: $(cat "$READY.err")"; exit 1; }
# (nsenter, not tc -n: that remounts /sys, hiding the pinned program)
filters() {
	for dir in ingress egress; do
		if [ "$1" = on ]; then
			nsenter --net=/run/netns/$A tc filter add dev a0 $dir \
				pref 0xf1c handle 0xf1c bpf da \
				object-pinned "$PIN/prog" || return 1
		else
			nsenter --net=/run/netns/$A tc filter del dev a0 $dir \
				pref 0xf1c || return 1
		fi
	done
	n=$(tc -n $A filter show dev a0 egress | grep -c flowpic_tc)
	if [ "$1" = on ]; then [ "$n" = 1 ]; else [ "$n" = 0 ]; fi
}
# Pairs of transfers, without and with the program, in the order
# off-on, on-off, off-on...: a drift of the machine's load over the run
# falls on both sides alike. The figure is the median of the pairs'
# ratios, with a distribution-free 95% confidence interval of that
# median (order statistics of the ratios: it assumes nothing of the
# machine's noise but that pairs are independent), their range, and in
# how many pairs the transfer with the program was the faster; the
# program's own packet counts say it saw the traffic. One transfer
# varies by a factor of up to 4 on a shared machine, hence 20 pairs.
pairs=${BENCH_VETH_PAIRS:-20}
ratios= withs= withouts=
filters off || { echo "cannot take the filters off"; exit 1; }
state=off
for r in $(seq "$pairs"); do
	if [ $((r % 2)) = 1 ]; then order="off on"; else order="on off"; fi
	for want in $order; do
		if [ "$want" != "$state" ]; then
			filters "$want" ||
				{ echo "cannot turn the filters $want"; exit 1; }
			state=$want
		fi
		if [ "$want" = on ]; then
			kon=$(xfer $((r * 2 + 1))) || exit 1
		else
			koff=$(xfer $((r * 2))) || exit 1
		fi
	done
	withs="$withs $kon" withouts="$withouts $koff"
	ratios="$ratios $(awk -v a="$kon" -v b="$koff" 'BEGIN { printf "%.3f", a / b }')"
done
seen=$("$BIN/dpctl" stats -d "$PIN" 2>/dev/null |
	awk '$1 == "packets" { p = $2 } $1 == "segments" { g = $2 }
	     END { printf "%d packets carrying %d segments", p, g }')
kill $DP; wait $DP; DP=
rm -f "$READY.err"
# The median of the numbers after $1, and their range, in format $1.
med() {
	f=$1
	shift
	echo "$@" | tr ' ' '\n' | grep . | sort -g | awk -v f="$f" '
		{ v[NR] = $1 }
		END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf f " (" f " .. " f ")", m, v[1], v[NR]
		}'
}
echo "veth_throughput_kbit $(med %.0f $withs) with the program, $(med %.0f $withouts) without (TCP, TSO on, $pairs transfers each, medians)"
# The 95% confidence interval of the median of the numbers after $1
# (format), from their order statistics: the k-th smallest and the k-th
# largest, k the largest with P(Binomial(n, 1/2) < k) <= 0.025.
ci() {
	f=$1
	shift
	echo "$@" | tr ' ' '\n' | grep . | sort -g | awk -v f="$f" '
		{ v[NR] = $1 }
		END {
			n = NR; k = 0; cdf = 0; p = 0.5 ^ n; c = 1
			for (i = 0; i < n; i++) {
				cdf += c * p
				if (cdf > 0.025)
					break
				k = i + 1
				c = c * (n - i) / (i + 1)
			}
			if (k < 1)
				printf "too few pairs for a 95%% interval"
			else
				printf "95%% CI of the median " f " .. " f, v[k], v[n - k + 1]
		}'
}
faster=$(echo $ratios | tr ' ' '\n' | awk '$1 > 1 { n++ } END { print n + 0 }')
echo "veth_throughput_ratio $(med %.3f $ratios) median of $pairs paired ratios, with / without ($(ci %.3f $ratios); with the program faster in $faster of $pairs) (goal >= 0.95)"
echo "# the program saw ${seen:-?} on a0: GSO packets reach it whole, each binned as its segments"
