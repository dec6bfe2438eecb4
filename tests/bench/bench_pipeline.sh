#!/bin/bash
# make bench: capture-to-FlowPic throughput of `flowpic dataset` on one real
# capture, in the same run as
#  - the read floor: a bare libpcap loop (tests/bench/pcap_floor.c:
#    pcap_next_ex() over every packet, touching its header), and
#    `tcpdump -r F -w /dev/null`; beside them the same bare loop through
#    flowpic's own capture reader (a mapping of the file, its records read
#    in place), which is not a libpcap reader: the goal is set against the
#    libpcap loop, and flowpic's time over its own reader's loop is
#    printed beside it (what the pictures cost above reading);
#  - real flow exporters reading the same file: softflowd (NetFlow; -d in
#    the foreground, -6 to track IPv6 as flowpic does, -c none: no control
#    socket, no -n: flow records built and expired, sent nowhere), argus
#    (-X: its defaults, not /etc/argus.conf; records to /dev/null) and
#    ndpiReader (-q: no per-flow report).
# Printed as ratios, each peer with its Debian version. Goals:
# flowpic / read floor <= 1.3x, softflowd / flowpic >= 3x, ndpiReader /
# flowpic >= 3x. The goals are reported, not enforced: the exit status is
# 1 only when a tool fails or the tools read different packet counts.
#
# The capture: every Ethernet pcap/pcapng of $FLOWPIC_DATA/ndpi/pcap, one
# after another on one clock (each file shifted to start 1 s after the
# previous ended), the whole repeated BENCH_REPEAT times (10: about one
# million packets), written once to build/bench/. Each tool reads it
# BENCH_ROUNDS times (5), alternating; the medians are reported. Ratios
# are taken on CPU time (user + system) because the machine is shared and
# wall time includes waiting for a core; wall-clock figures are printed
# beside them. flowpic runs with its defaults (32x32, 15 s windows, min 10
# packets) and at 1500x1500 (60 s), writing the dataset to /dev/null.
# A peer that is not installed (.ci/deps.sh installs them all) is named
# as skipped, and no ratio to it is printed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
cd "$(dirname "$0")/../.." || exit 1
DATA=${FLOWPIC_DATA:-../shared/datasets}
REPEAT=${BENCH_REPEAT:-10}
ROUNDS=${BENCH_ROUNDS:-5}
OUT=build/bench
CAP=$OUT/ndpi-merged-x$REPEAT.pcap

skip() { echo "bench_pipeline: skipped: $*"; exit 0; }
[ -x build/flowpic ] || skip "build/flowpic is not built"
command -v python3 >/dev/null || skip "python3 is not installed"
[ -d "$DATA/ndpi/pcap" ] || skip "no $DATA/ndpi/pcap (FLOWPIC_DATA)"
mkdir -p "$OUT"
# Built by the Makefile's rule and flags.
make --no-print-directory -s build/tests/bench/pcap_floor >/dev/null || exit 1
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

# version PACKAGE: its Debian version
version() {
	dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "?"
}

# The tools: key, Debian package (- for flowpic), label, command.
TOOLS=(
	"floor|libpcap0.8|libpcap read loop (pcap_floor)|build/tests/bench/pcap_floor $CAP"
	"floormap|-|flowpic's reader loop (--capture)|build/tests/bench/pcap_floor --capture $CAP"
	"tcpdump|tcpdump|tcpdump -r F -w /dev/null|tcpdump -r $CAP -w /dev/null"
	"mini|-|flowpic dataset 32x32, 15 s|build/flowpic dataset -o /dev/null $CAP"
	"full|-|flowpic dataset 1500x1500, 60 s|build/flowpic dataset --n 1500 -o /dev/null $CAP"
	"softflowd|softflowd|softflowd -r F -d -6 -c none|softflowd -r $CAP -d -6 -c none"
	"argus|argus-server|argus -X -r F -w /dev/null|argus -X -r $CAP -w /dev/null"
	"ndpi|libndpi-bin|ndpiReader -q -i F|ndpiReader -q -i $CAP"
)
declare -A LABEL VER CMD
KEYS=()
for t in "${TOOLS[@]}"; do
	IFS='|' read -r key pkg label cmd <<<"$t"
	exe=${cmd%% *}
	if ! command -v "$exe" >/dev/null; then
		echo "bench_pipeline: $label: skipped: $exe is not installed (package $pkg; .ci/deps.sh installs it)"
		continue
	fi
	KEYS+=("$key")
	LABEL[$key]=$label
	CMD[$key]=$cmd
	if [ "$pkg" = - ]; then
		VER[$key]="git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
	else
		VER[$key]="$pkg $(version "$pkg")"
	fi
done
has() { [ -n "${CMD[$1]:-}" ]; }

# Packets in the capture, as each tool counts them: the read floor and
# flowpic must agree; ndpiReader counts the same frames; softflowd
# processes the IP packets and counts the rest as non-IP.
pk_floor=$(build/tests/bench/pcap_floor "$CAP" | awk '{ print $2 }')
pk_flowpic=$(build/flowpic pictures --stats "$CAP" 2>&1 >/dev/null |
	     awk '$1 == "frames" { print $2 }')
if [ -z "$pk_flowpic" ] || [ "$pk_flowpic" != "$pk_floor" ]; then
	echo "bench_pipeline: the read floor and flowpic read different packet counts: $pk_floor, $pk_flowpic"
	exit 1
fi
if has ndpi; then
	pk_ndpi=$(ndpiReader -i "$CAP" 2>/dev/null |
		  sed -n 's/.*IP packets: *[0-9]* *of \([0-9]*\) packets total.*/\1/p')
	if [ "$pk_ndpi" != "$pk_flowpic" ]; then
		echo "bench_pipeline: the tools read different packet counts: flowpic $pk_flowpic, ndpiReader $pk_ndpi"
		exit 1
	fi
fi
if has softflowd; then
	sf=$(softflowd -r "$CAP" -d -6 -c none 2>/dev/null)
	sf_ip=$(echo "$sf" | sed -n 's/^Packets processed: *\([0-9]*\).*/\1/p')
	sf_nonip=$(echo "$sf" | sed -n 's/^Ignored packets: [0-9]* (\([0-9]*\) non-IP.*/\1/p')
	if [ $((sf_ip + sf_nonip)) != "$pk_flowpic" ]; then
		echo "bench_pipeline: softflowd read $sf_ip IP and $sf_nonip non-IP packets, flowpic $pk_flowpic"
		exit 1
	fi
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
	for k in "${KEYS[@]}"; do
		# shellcheck disable=SC2086	# the command's words
		run "$k" ${CMD[$k]}
	done
done

declare -A CPU WALL
for k in "${KEYS[@]}"; do
	CPU[$k]=$(median "$OUT/$k.times" 2)
	WALL[$k]=$(median "$OUT/$k.times" 1)
done
echo "capture -> FlowPic: $pk_flowpic packets ($(du -m "$CAP" | cut -f1) MB, $REPEAT x the nDPI Ethernet captures), median of $ROUNDS"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
printf '%-34s %-28s %8s %11s %8s %9s\n' tool version "cpu s" "Mpkt/cpu-s" "wall s" "/flowpic"
for k in "${KEYS[@]}"; do
	printf '%-34s %-28s %8s %11.2f %8s %8.2fx\n' "${LABEL[$k]}" "${VER[$k]}" \
		"${CPU[$k]}" "$(echo "$pk_flowpic / ${CPU[$k]} / 1000000" | bc -l)" \
		"${WALL[$k]}" "$(echo "${CPU[$k]} / ${CPU[mini]}" | bc -l)"
done

# ratio LABEL NUM DEN GOAL: NUM's CPU time over DEN's, with the wall-clock
# ratio beside it; GOAL is ">= X", "<= X" or empty
ratio() {
	local r w met=""
	r=$(echo "${CPU[$2]} / ${CPU[$3]}" | bc -l)
	w=$(echo "${WALL[$2]} / ${WALL[$3]}" | bc -l)
	if [ -n "$4" ]; then
		if [ "$(echo "$r ${4% *} ${4#* }" | bc -l)" = 1 ]; then
			met=" - goal $4x: met"
		else
			met=" - goal $4x: NOT met"
		fi
	fi
	printf '  %-48s %6.2fx on CPU time (wall %.2fx)%s\n' "$1" "$r" "$w" "$met"
}
echo "ratios (CPU time, same run):"
# the read floor: the bare libpcap loop
ratio "flowpic 32x32 / read floor (${LABEL[floor]%% (*})" mini floor "<= 1.3"
ratio "flowpic 1500x1500 / read floor" full floor ""
ratio "flowpic 32x32 / its own reader's loop" mini floormap ""
ratio "its own reader's loop / read floor" floormap floor ""
has tcpdump && ratio "flowpic 32x32 / tcpdump -w /dev/null" mini tcpdump ""
strongest=""
for k in softflowd argus ndpi; do
	has $k || continue
	case $k in
	softflowd|ndpi) goal=">= 3" ;;
	*) goal="" ;;
	esac
	ratio "${k/ndpi/ndpiReader} / flowpic 32x32" $k mini "$goal"
	if [ -z "$strongest" ] ||
	   [ "$(echo "${CPU[$k]} < ${CPU[$strongest]}" | bc -l)" = 1 ]; then
		strongest=$k
	fi
done
if [ -n "$strongest" ]; then
	echo "  strongest flow exporter: ${VER[$strongest]}"
	ratio "it / flowpic 1500x1500" "$strongest" full ""
else
	echo "  no flow exporter installed: no peer ratio"
fi

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
		ir_fp=$(ir build/flowpic dataset -o /dev/null "$one")
		echo "instructions (valgrind, $(basename "$one")): flowpic dataset 32x32 $ir_fp"
		for k in floor floormap softflowd ndpi; do
			has $k || continue
			c=${CMD[$k]//$CAP/$one}
			# shellcheck disable=SC2086
			n=$(ir $c)
			printf '  %-34s %14s  %6.2fx flowpic 32x32\n' "${LABEL[$k]}" "$n" \
				"$(echo "$n / $ir_fp" | bc -l)"
		done
	fi
fi
exit 0
