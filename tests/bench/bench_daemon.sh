#!/bin/bash
# make bench: flowpicd's latency from a window's completion to its label
# being in the kernel, p50 and p99, at each rate of completed windows per
# second, and its CPU time per 1,000 windows. The load is the real tc
# program run through BPF_PROG_TEST_RUN on crafted packets
# (tests/bench/window_load.c: RATE x window long-lived flows, each
# completing a window every window), bounded in count and time; flowpicd
# runs with the "mini" network (32x32, the shipped geometry), weights
# zero, in a namespace of its own. Each rate runs with BENCH_CLASSIFIERS
# classifier threads and, beside it in the same run, with one (the
# reference for the ratios); the top rate runs again with a CPU-bound
# neighbour (a busy loop) on the machine. Every window is accounted for:
# sent by the kernel, lost there (ring buffer full), received, dropped
# (queue full), labelled, late (flowpicd's --late, and no label in the
# kernel CHECK ms after completion).
# Goal: 100,000 windows/s for 60 s, every window labelled, p99 <= 5 ms.
#
# Environment: BENCH_RATES (default "10000 100000"), BENCH_WINDOW_MS
# (1000), BENCH_MEASURE_S (60), BENCH_CLASSIFIERS (2), BENCH_NEIGHBOUR
# (1: the top rate again beside a busy loop; 0: not), BENCH_FPD_ARGS
# (flowpicd's other options; default "--read-interval 1ms").
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
RATES=${BENCH_RATES:-"10000 100000"}
WINDOW_MS=${BENCH_WINDOW_MS:-1000}
MEASURE_S=${BENCH_MEASURE_S:-60}
CLASSIFIERS=${BENCH_CLASSIFIERS:-2}
NEIGHBOUR=${BENCH_NEIGHBOUR:-1}
FPD_ARGS=${BENCH_FPD_ARGS-"--read-interval 1ms"}
CHECK_MS=50

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
NB_PID=""
cleanup_nb() { [ -n "$NB_PID" ] && kill "$NB_PID" 2>/dev/null; NB_PID=""; }
trap 'cleanup_nb; cleanup' EXIT

# run RATE CLASSIFIERS NEIGHBOUR: one flowpicd, one load, one table row.
run() {
	local rate=$1 ncl=$2 nb=$3 flows ring res c0 c1 st kst cpu n
	flows=$(( rate * WINDOW_MS / 1000 * 2 ))
	[ "$flows" -lt 65536 ] && flows=65536
	# A quarter second of windows (32x32: 1,120 bytes each) in the
	# ring buffer, at least the default 4 MiB.
	ring=4194304
	while [ "$ring" -lt $(( rate * 1120 / 4 )) ]; do
		ring=$(( ring * 2 ))
	done
	rm -rf "$PIN" "$LAB_DIR/state"
	nsenter --net="/run/netns/$LAB_SRV" build/flowpicd -i "$LAB_SIF" \
		--model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/p.policy" \
		--pin-dir "$PIN" --state-dir "$LAB_DIR/state" \
		--output /dev/null --min-packets 1 --idle 60s \
		--max-flows "$flows" --ring-buffer "$ring" --classifiers "$ncl" \
		--late "${CHECK_MS}ms" $FPD_ARGS 2>"$LAB_DIR/fpd.log" &
	FPD_PID=$!
	for i in $(seq 1 50); do
		[ -f "$LAB_DIR/state/flowpicd.stats" ] && break
		sleep 0.2
	done
	if ! [ -f "$LAB_DIR/state/flowpicd.stats" ]; then
		cat "$LAB_DIR/fpd.log"
		return 1
	fi
	if [ "$nb" = 1 ]; then
		( exec bash -c 'while :; do :; done' ) &
		NB_PID=$!
	fi
	c0=$(cpu_ticks "$FPD_PID")
	"$LAB_DIR/window_load" "$PIN" "$rate" "$WINDOW_MS" "$MEASURE_S" \
		"$CHECK_MS" >"$LAB_DIR/load.out" &
	LOAD_PID=$!
	wait "$LOAD_PID"
	res=$(cat "$LAB_DIR/load.out")
	c1=$(cpu_ticks "$FPD_PID")
	cleanup_nb
	# The stats file is written once a second: let it catch up.
	sleep 2.2
	kst=$(build/flowpic stats --json --pin-dir "$PIN" \
		--state-dir "$LAB_DIR/state" 2>/dev/null)
	# flowpicd removes its stats file when it stops.
	cp "$LAB_DIR/state/flowpicd.stats" "$LAB_DIR/last.stats"
	st="$LAB_DIR/last.stats"
	kill -TERM "$FPD_PID"
	wait "$FPD_PID" 2>/dev/null
	FPD_PID=""
	get() { printf '%s\n' "$res" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	fget() { awk -v k="$1" '$1 == k { print $2 }' "$st"; }
	kget() { printf '%s\n' "$kst" | grep -o "\"$1\": *[0-9]*" | grep -o '[0-9]*$'; }
	n=$(fget windows_classified)
	cpu=$(awk -v t=$((c1 - c0)) -v hz="$hz" -v n="${n:-0}" \
		'BEGIN { if (n) printf "%.1f", t * 1000 / hz / n * 1000; else print "-" }')
	printf '%-8s %3s %3s %8s %8s %6s %8s %8s %8s %8s %6s %8s %8s %8s %7s %8s %5s\n' \
		"$rate" "$ncl" "$nb" "$(get windows)" "$(kget windows)" \
		"$(kget windows_lost)" "$(fget windows_received)" \
		"$(fget queue_dropped)" "$n" "$(get labelled)" \
		"$(fget windows_late)/$(get late)" \
		"$(awk -v x="$(get p50_us)" 'BEGIN { printf "%.3f", x / 1000 }')" \
		"$(get p99_us | awk '{ s = substr($0, 1, 1) == ">" ? ">" : ""; sub(/>/, ""); printf "%s%.3f", s, $0 / 1000 }')" \
		"$(awk -v x="$(get max_us)" 'BEGIN { printf "%.3f", x / 1000 }')" \
		"$cpu" \
		"$(awk -v x="$(get behind_us)" 'BEGIN { printf "%.0f", x / 1000 }')" \
		"$(cut -d' ' -f1 /proc/loadavg)"
	rm -f "$st"
}

echo "flowpicd: window completion -> label in the kernel (labels map), mini 32x32, $WINDOW_MS ms windows, ${MEASURE_S} s per run"
printf '%-8s %3s %3s %8s %8s %6s %8s %8s %8s %8s %6s %8s %8s %8s %7s %8s %5s\n' \
	"win/s" cls nb measured k_sent k_lost received dropped classif \
	labelled "late d/l" "p50 ms" "p99 ms" "max ms" "cpu ms/1k" \
	"behind ms" load
status=0
top=""
for rate in $RATES; do
	top=$rate
	run "$rate" "$CLASSIFIERS" 0 || status=1
	[ "$CLASSIFIERS" != 1 ] && { run "$rate" 1 0 || status=1; }
done
if [ "$NEIGHBOUR" = 1 ] && [ -n "$top" ]; then
	run "$top" "$CLASSIFIERS" 1 || status=1
fi
echo "(cls: classifier threads; nb: 1 = a busy-loop neighbour; measured: completions window_load checked; k_sent/k_lost: the kernel's windows sent / lost at a full ring buffer (whole run); received/dropped/classif: flowpicd's; labelled: labels of the measured windows in the kernel within $CHECK_MS ms; late d/l: flowpicd's windows_late (label > $CHECK_MS ms after arrival) / window_load's (no label $CHECK_MS ms after completion); cpu: flowpicd's CPU ms per 1,000 classified windows; behind: the most the load generator fell behind its schedule; load: the machine's 1-minute load average at the end)"
echo "(goal: 100000 windows/s for 60 s, every window labelled, p99 <= 5 ms)"
exit $status
