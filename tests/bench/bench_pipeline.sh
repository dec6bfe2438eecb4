#!/bin/bash
# make bench: capture-to-FlowPic throughput of `flowpic dataset` next to
# ndpiReader (Debian's libndpi-bin, 4.2) on the same capture in the same
# run, as packets per second and their ratio. Goal: >= 3x ndpiReader.
#
# The capture: every Ethernet pcap/pcapng of $FLOWPIC_DATA/ndpi/pcap, one
# after another on one clock (each file shifted to start 1 s after the
# previous ended), the whole repeated BENCH_REPEAT times (10: about one
# million packets), written once to build/bench/. Each tool reads it
# BENCH_ROUNDS times (5), alternating; the medians are reported. The
# ratio is taken on CPU time (user + system) because the machine is shared
# and wall time includes waiting for a core; wall-clock figures are
# printed beside it. flowpic runs with its defaults (32x32, 15 s windows,
# min 10 packets) and at 1500x1500 (60 s), writing the dataset to
# /dev/null; ndpiReader runs with -q (no per-flow report).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
cd "$(dirname "$0")/../.." || exit 1
DATA=${FLOWPIC_DATA:-../shared/datasets}
REPEAT=${BENCH_REPEAT:-10}
ROUNDS=${BENCH_ROUNDS:-5}
OUT=build/bench
CAP=$OUT/ndpi-merged-x$REPEAT.pcap

skip() { echo "bench_pipeline: skipped: $*"; exit 0; }
[ -x build/flowpic ] || skip "build/flowpic is not built"
command -v ndpiReader >/dev/null || skip "ndpiReader (libndpi-bin) is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
[ -d "$DATA/ndpi/pcap" ] || skip "no $DATA/ndpi/pcap (FLOWPIC_DATA)"
mkdir -p "$OUT"

if [ ! -s "$CAP" ]; then
	python3 - "$DATA/ndpi/pcap" "$CAP.tmp" "$REPEAT" <<'EOF' || exit 1
import os, struct, sys
sys.path.insert(0, 'tests/unit')
import oracle_pictures as o            # its pcap/pcapng reader
src, out, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = []
for f in sorted(os.listdir(src)):
    if not f.endswith(('.pcap', '.pcapng')):
        continue
    try:
        with open(os.path.join(src, f), 'rb') as fh:
            fr = [x for x in o.pcap_frames(fh.read()) if x[0] == 1]
    except Exception:
        continue                      # files the readers refuse
    if fr:
        files.append(fr)
with open(out, 'wb') as w:
    w.write(struct.pack('<IHHiIII', 0xa1b23c4d, 2, 4, 0, 0, 262144, 1))
    t = 10**18
    for r in range(reps):
        for fr in files:
            base, last = fr[0][3], t
            for lt, data, wire, ts in fr:
                # keep each file's own timing, up to an hour
                ts = t + ts - base if 0 <= ts - base < 3600 * 10**9 else t
                w.write(struct.pack('<IIII', ts // 10**9, ts % 10**9,
                                    len(data), wire) + data)
                last = max(last, ts)
            t = last + 10**9
EOF
	mv "$CAP.tmp" "$CAP"
fi

# packets in the capture, as each tool counts them
pk_flowpic=$(build/flowpic pictures --stats "$CAP" 2>&1 >/dev/null |
	     awk '$1 == "frames" { print $2 }')
pk_ndpi=$(ndpiReader -i "$CAP" 2>/dev/null |
	  sed -n 's/.*IP packets: *[0-9]* *of \([0-9]*\) packets total.*/\1/p')
if [ -z "$pk_flowpic" ] || [ "$pk_flowpic" != "$pk_ndpi" ]; then
	echo "bench_pipeline: the tools read different packet counts: flowpic $pk_flowpic, ndpiReader $pk_ndpi"
	exit 1
fi

# run NAME CMD...: appends "wall cpu" seconds to $OUT/NAME.times
run() {
	local name=$1 t
	shift
	t=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>&1; } 2>&1 ) ||
		{ echo "bench_pipeline: $name failed: $*"; exit 1; }
	echo "$t" | awk '{ printf "%s %.3f\n", $1, $2 + $3 }' >>"$OUT/$name.times"
}
median() {	# FILE COLUMN
	sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}

rm -f "$OUT"/*.times
for r in $(seq "$ROUNDS"); do
	run ndpi ndpiReader -q -i "$CAP"
	run mini build/flowpic dataset -o /dev/null "$CAP"
	run full build/flowpic dataset --n 1500 -o /dev/null "$CAP"
done

echo "capture -> FlowPic: $pk_flowpic packets ($(du -m "$CAP" | cut -f1) MB, $REPEAT x the nDPI Ethernet captures), median of $ROUNDS"
printf '%-34s %10s %12s %10s %12s\n' tool "cpu s" "Mpkt/cpu-s" "wall s" "Mpkt/s"
status=0
for t in ndpi mini full; do
	cpu=$(median "$OUT/$t.times" 2)
	wall=$(median "$OUT/$t.times" 1)
	case $t in
	ndpi) name="ndpiReader -q (libndpi 4.2)"; ndpi_cpu=$cpu; ndpi_wall=$wall ;;
	mini) name="flowpic dataset 32x32, 15 s" ;;
	full) name="flowpic dataset 1500x1500, 60 s" ;;
	esac
	printf '%-34s %10s %12.2f %10s %12.2f\n' "$name" "$cpu" \
		"$(echo "$pk_flowpic / $cpu / 1000000" | bc -l)" "$wall" \
		"$(echo "$pk_flowpic / $wall / 1000000" | bc -l)"
	[ $t = ndpi ] && continue
	ratio=$(echo "$ndpi_cpu / $cpu" | bc -l)
	wratio=$(echo "$ndpi_wall / $wall" | bc -l)
	verdict=$(echo "$ratio >= 3" | bc -l)
	printf '  ratio to ndpiReader: %.2fx on CPU time (wall: %.2fx) - goal >= 3x: %s\n' \
		"$ratio" "$wratio" "$([ "$verdict" = 1 ] && echo met || echo NOT met)"
	[ "$verdict" = 1 ] || status=1
done

# Instructions executed, counted by valgrind: a figure the machine's load
# cannot move, on one copy of the captures (BENCH_CALLGRIND=0 skips it).
if [ "${BENCH_CALLGRIND:-1}" = 1 ] && command -v valgrind >/dev/null; then
	one=$OUT/ndpi-merged-x1.pcap
	[ -s "$one" ] || BENCH_REPEAT=1 BENCH_ROUNDS=1 BENCH_CALLGRIND=0 \
		bash "$0" >/dev/null 2>&1
	ir() {
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" \
			2>&1 >/dev/null | sed -n 's/.*I *refs: *//p' | tr -d ,
	}
	if [ -s "$one" ]; then
		ir_ndpi=$(ir ndpiReader -q -i "$one")
		ir_fp=$(ir build/flowpic dataset -o /dev/null "$one")
		printf 'instructions (valgrind, %s): ndpiReader %s, flowpic dataset 32x32 %s: %.1fx fewer\n' \
			"$(basename "$one")" "$ir_ndpi" "$ir_fp" \
			"$(echo "$ir_ndpi / $ir_fp" | bc -l)"
	fi
fi
exit $status
