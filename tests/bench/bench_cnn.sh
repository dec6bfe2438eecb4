#!/bin/sh
# make bench: flowpic's CNN (user/cnn/cnn.c on OpenBLAS) against PyTorch, the
# same networks on the same real FlowPics with the same thread count, in
# one run: images/s of mini at batch 1 and 64 and of full at batch 1
# (model time only), seconds per training epoch of mini (batch 64) and
# full (batch 32) over 1,214 images. Printed as ratios with their goals:
# mini 3x / 1.5x, full 10x, training 2x.
#
# PyTorch (Debian's python3-torch) is only this benchmark's peer: it is
# installed here if missing and never needed by flowpic or its tests.
#
# Environment: FLOWPIC_DATA (../shared/datasets), BENCH_THREADS ("1"; a
# list runs each), BENCH_RUNS (3: best of), BENCH_MIN_TIME (1 s per run),
# BENCH_ONLY (a comma list of mini_b1,mini_b64,full_b1,train_mini,
# train_full).
cd "$(dirname "$0")/../.." || exit 1
DATA=${FLOWPIC_DATA:-../shared/datasets}/video-platforms
THREADS=${BENCH_THREADS:-1}
RUNS=${BENCH_RUNS:-3}
MIN_TIME=${BENCH_MIN_TIME:-1}
ONLY=${BENCH_ONLY:-mini_b1,mini_b64,full_b1,train_mini,train_full}
PY=/usr/bin/python3

if [ ! -d "$DATA" ]; then
	echo "bench_cnn: skipped: no FlowPics to run on ($DATA; set FLOWPIC_DATA)"
	exit 0
fi
if [ ! -f build/libflowpic.a ]; then
	echo "bench_cnn: skipped: build/libflowpic.a missing (make)"
	exit 0
fi
TMP=$(mktemp -d /tmp/flowpic-bench-cnn.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

# Built by the Makefile's rule and flags.
make --no-print-directory -s build/tests/bench/bench_cnn >/dev/null || exit 1
cp build/tests/bench/bench_cnn "$TMP/bench_cnn" || exit 1

torch=1
if ! $PY -c 'import torch' 2>/dev/null; then
	echo "bench_cnn: installing python3-torch, the benchmark's peer"
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends python3-torch >"$TMP/apt.log" 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends python3-torch >"$TMP/apt.log" 2>&1; }
	fi
	$PY -c 'import torch' 2>/dev/null || torch=0
	[ "$torch" = 1 ] || echo "bench_cnn: PyTorch unavailable: flowpic's figures alone, no ratios"
fi

# value NAME FILE: the number on NAME's line
value() {
	awk -v k="$1" '$1 == k { print $2 }' "$2"
}

for t in $THREADS; do
	echo "# $t thread(s), best of $RUNS runs, real FlowPics of $DATA"
	"$TMP/bench_cnn" --data "$DATA" --threads "$t" --runs "$RUNS" \
		--min-time "$MIN_TIME" --only "$ONLY" --export "$TMP/pics" \
		>"$TMP/c.txt" || { cat "$TMP/c.txt"; exit 1; }
	head -1 "$TMP/c.txt" | sed 's/^/# flowpic: /'
	if [ "$torch" = 1 ]; then
		$PY tests/bench/bench_cnn_torch.py "$TMP/pics" --threads "$t" \
			--runs "$RUNS" --min-time "$MIN_TIME" --only "$ONLY" \
			>"$TMP/py.txt" || { cat "$TMP/py.txt"; exit 1; }
		head -1 "$TMP/py.txt" | sed 's/^/# peer: /'
	else
		: >"$TMP/py.txt"
	fi
	printf '%-24s %14s %14s %9s %7s\n' "" flowpic pytorch ratio goal
	for m in mini_b1:"mini, batch 1":3:rate mini_b64:"mini, batch 64":1.5:rate \
		 full_b1:"full, batch 1":10:rate \
		 train_mini:"mini training epoch":2:time \
		 train_full:"full training epoch":2:time; do
		key=${m%%:*}
		rest=${m#*:}
		label=${rest%%:*}
		rest=${rest#*:}
		goal=${rest%%:*}
		kind=${rest#*:}
		c=$(value "$key" "$TMP/c.txt")
		[ -n "$c" ] || continue
		p=$(value "$key" "$TMP/py.txt")
		awk -v l="$label" -v c="$c" -v p="$p" -v g="$goal" -v k="$kind" 'BEGIN {
			u = (k == "rate") ? " img/s" : " s";
			if (k == "rate")
				fc = sprintf("%.0f%s", c, u);
			else
				fc = sprintf("%.3f%s", c, u);
			if (p == "") {
				printf "%-24s %14s %14s %9s %6sx\n", l, fc, "-", "-", g;
				exit;
			}
			if (k == "rate") {
				fp = sprintf("%.0f%s", p, u);
				r = c / p;
			} else {
				fp = sprintf("%.3f%s", p, u);
				r = p / c;
			}
			printf "%-24s %14s %14s %8.2fx %6sx%s\n", l, fc, fp, r, g,
			       (r >= g) ? "" : "  (below the goal)";
		}'
	done
	[ "$t" = 1 ] || continue
	# The reference's own PyTorch figures (1 thread, another run, another
	# day): for scale, not the same-run comparison the goals are about.
	echo "# against ../shared/datasets/reference.md (1 thread; full epoch: 2 threads)"
	for m in mini_b1:7643:rate mini_b64:25930:rate full_b1:215:rate \
		 train_mini:0.13:time train_full:21:time; do
		key=${m%%:*}
		rest=${m#*:}
		ref=${rest%%:*}
		kind=${rest#*:}
		c=$(value "$key" "$TMP/c.txt")
		[ -n "$c" ] || continue
		awk -v n="$key" -v c="$c" -v r="$ref" -v k="$kind" 'BEGIN {
			x = (k == "rate") ? c / r : r / c;
			printf "%-24s %14s %14s %8.2fx\n", n, c, r, x;
		}'
	done
done
exit 0
