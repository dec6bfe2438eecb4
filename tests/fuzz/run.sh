#!/bin/sh
# make fuzz: builds every tests/fuzz/fuzz_*.c as a libFuzzer target (clang,
# -fsanitize=fuzzer,address) and runs each for a bounded time on a corpus
# seeded by tests/fuzz/seeds.py and, when FLOWPIC_DATA is there, by small
# real captures and session files. Prints TAP, one line per target; a
# crashing input is kept in build/fuzz/crashes/ and fails the run.
#
# usage: run.sh [--seconds S] [TARGET...]    (S: 60 per target by default)
cd "$(dirname "$0")/../.." || exit 1
secs=60
if [ "$1" = "--seconds" ]; then
	secs=$2
	shift 2
fi
data=${FLOWPIC_DATA:-../shared/datasets}
B=build/fuzz

echo "TAP version 13"
if ! command -v clang >/dev/null 2>&1; then
	echo "1..0 # SKIP clang is not installed"
	exit 4
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! make --no-print-directory -s -j2 -f tests/fuzz/fuzz.mk >"$log" 2>&1; then
	sed 's/^/# /' "$log"
	echo "not ok 1 - fuzz targets build"
	echo "1..1"
	exit 1
fi

seed_corpus() {
	c=$B/corpus
	[ -d "$c/fuzz_packet" ] || python3 tests/fuzz/seeds.py "$c" || return 1
	if [ -d "$data/ndpi/pcap" ] && [ ! -e "$c/fuzz_capture/.real" ]; then
		# the smallest real captures: every link type the set has
		find "$data/ndpi/pcap" -type f -size -6k \( -name '*.pcap' -o \
			-name '*.pcapng' \) | sort | head -40 | while read -r f; do
			cp "$f" "$c/fuzz_capture/"
		done
		touch "$c/fuzz_capture/.real"
	fi
	if [ -d "$data/video-platforms" ] && [ ! -e "$c/fuzz_session_csv/.real" ]; then
		f=$(find "$data/video-platforms" -name '*.csv.gz' | sort | head -1)
		zcat "$f" | head -300 > "$c/fuzz_session_csv/real-head.csv"
		gzip -c "$c/fuzz_session_csv/real-head.csv" > "$c/fuzz_session_csv/real-head.csv.gz"
		touch "$c/fuzz_session_csv/.real"
	fi
}
seed_corpus || { echo "not ok 1 - seed corpus"; echo "1..1"; exit 1; }

targets=$*
[ -n "$targets" ] || targets=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/||; s|\.c$||')
mkdir -p "$B/crashes"
# The plan up front: one line per target, whatever happens to it.
echo "1..$(echo $targets | wc -w)"
i=0 status=0
for t in $targets; do
	i=$((i + 1))
	mkdir -p "$B/corpus/$t"
	# -rss_limit_mb bounds memory, -max_total_time the run, -timeout an input
	"$B/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=262144 -print_final_stats=1 \
		-artifact_prefix="$B/crashes/$t-" "$B/corpus/$t" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" = 0 ]; then
		echo "ok $i - $t: ${runs:-?} inputs in ${secs} s, no crash, no leak"
	else
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5 | sed 's/^/# /'
		echo "not ok $i - $t: crashed (exit $rc), input in $B/crashes/"
		status=1
	fi
done
exit $status
