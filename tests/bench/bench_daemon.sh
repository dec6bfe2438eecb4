#!/bin/bash
# make bench: flowpicd's latency from a window's completion to its label
# being in the kernel, p50 and p99, at 1,000 and 10,000 completed windows
# per second, and its CPU time per 1,000 windows. The load is the real tc
# program run through BPF_PROG_TEST_RUN on crafted packets
# (tests/bench/window_load.c), bounded in count and time; flowpicd runs
# with the "mini" network (32x32, the shipped geometry), weights zero, in
# a namespace of its own. Goal: p99 under 5 ms at 10,000 windows/s.
#
# Environment: BENCH_RATES (default "1000 10000"), BENCH_WINDOW_MS (1000),
# BENCH_MEASURE_S (5).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
RATES=${BENCH_RATES:-"1000 10000"}
WINDOW_MS=${BENCH_WINDOW_MS:-1000}
MEASURE_S=${BENCH_MEASURE_S:-5}

if [ "$(id -u)" != 0 ] || [ ! -x build/flowpicd ]; then
	echo "bench_daemon: skipped: needs root and build/flowpicd"
	exit 0
fi
LAB=fpb$$
. tests/demo/lab.sh
PIN=/sys/fs/bpf/flowpic-bench-$$
FPD_PID=""
cleanup() {
	[ -n "$FPD_PID" ] && kill -TERM "$FPD_PID" 2>/dev/null &&
		wait "$FPD_PID" 2>/dev/null
	lab_down
	rm -rf "$PIN"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$LAB_DIR"
ip netns add "$LAB_SRV" || exit 1
ip link add "$LAB_SIF" netns "$LAB_SRV" type veth peer name "$LAB_CIF" \
	netns "$LAB_SRV" || exit 1
lab_srv ip link set "$LAB_SIF" up

# Built by the Makefile's rules and flags.
make --no-print-directory -s build/tests/bench/window_load \
	build/tests/qemu/daemon_model >/dev/null || exit 1
cp build/tests/bench/window_load build/tests/qemu/daemon_model "$LAB_DIR/" ||
	exit 1
"$LAB_DIR/daemon_model" "$LAB_DIR/m.fpm" "$WINDOW_MS" 32 a,b 0 4 || exit 1
printf 'a pass\nb pass\n' >"$LAB_DIR/p.policy"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

echo "flowpicd: window completion -> label in the kernel (labels map), mini 32x32, $WINDOW_MS ms windows"
printf '%-10s %9s %9s %10s %10s %10s %16s\n' "windows/s" windows labelled \
	"p50 ms" "p99 ms" "max ms" "cpu ms/1000 win"
status=0
for rate in $RATES; do
	flows=$(( (WINDOW_MS / 1000 + MEASURE_S + 1) * rate * 2 ))
	[ "$flows" -lt 65536 ] && flows=65536
	rm -rf "$PIN"
	nsenter --net="/run/netns/$LAB_SRV" build/flowpicd -i "$LAB_SIF" \
		--model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/p.policy" \
		--pin-dir "$PIN" --state-dir "$LAB_DIR/state" \
		--output /dev/null --min-packets 1 --idle 60s \
		--max-flows "$flows" ${BENCH_FPD_ARGS:-} 2>"$LAB_DIR/fpd.log" &
	FPD_PID=$!
	for i in $(seq 1 50); do
		[ -f "$LAB_DIR/state/flowpicd.stats" ] && break
		sleep 0.2
	done
	if ! [ -f "$LAB_DIR/state/flowpicd.stats" ]; then
		cat "$LAB_DIR/fpd.log"
		status=1
		break
	fi
	c0=$(cpu_ticks "$FPD_PID")
	res=$("$LAB_DIR/window_load" "$PIN" "$rate" "$WINDOW_MS" "$MEASURE_S" 50)
	c1=$(cpu_ticks "$FPD_PID")
	n=$(awk '$1 == "windows_classified" { print $2 }' "$LAB_DIR/state/flowpicd.stats")
	kill -TERM "$FPD_PID"
	wait "$FPD_PID" 2>/dev/null
	FPD_PID=""
	rm -f "$LAB_DIR/state/flowpicd.stats"
	get() { printf '%s\n' "$res" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	cpu=$(awk -v t=$((c1 - c0)) -v hz="$hz" -v n="${n:-0}" \
		'BEGIN { if (n) printf "%.1f", t * 1000 / hz / n * 1000; else print "-" }')
	printf '%-10s %9s %9s %10s %10s %10s %16s\n' "$rate" "$(get windows)" \
		"$(get labelled)" \
		"$(awk -v x="$(get p50_us)" 'BEGIN { printf "%.3f", x / 1000 }')" \
		"$(get p99_us | sed 's/^>/>/' | awk '{ s = substr($0, 1, 1) == ">" ? ">" : ""; sub(/>/, ""); printf "%s%.3f", s, $0 / 1000 }')" \
		"$(awk -v x="$(get max_us)" 'BEGIN { printf "%.3f", x / 1000 }')" "$cpu"
done
echo "(goal: p99 < 5 ms at 10000 windows/s; late = no label 50 ms after completion)"
exit $status
