#!/bin/sh
# make bench: flowpic's CNN (user/cnn/cnn.c on OpenBLAS) against PyTorch, the
# same networks on the same real FlowPics with the same thread count, in
# one run: images/s of mini at batch 1 and 64 and of full at batch 1
# (model time only), seconds per training epoch of mini (batch 64) and
# full (batch 32) over 1,214 images. flowpic's inference runs both ways
# in: sparse pictures (flowpicd's path) and dense images (every layer
# dense); PyTorch's both eager and as TorchScript (traced, frozen and,
# with oneDNN, torch.jit.optimize_for_inference: convolutions on oneDNN).
# Printed as ratios to the stronger PyTorch, with their goals: mini 5x /
# 2x, full 10x, training 2x; mini at batch 64 against its own goal of
# 100,000 images/s on one core; and mini's share of the core's peak
# FLOP/s at batch 64.
#
# PyTorch (Debian's python3-torch) is only this benchmark's peer: it is
# installed here if missing and never needed by flowpic or its tests.
#
# Environment: FLOWPIC_DATA (../shared/datasets), BENCH_THREADS ("1"; a
# list runs each), BENCH_RUNS (3: best of, within a program's run),
# BENCH_REPEAT (3: flowpic and PyTorch alternate this many times; the
# median of each figure is reported), BENCH_MIN_TIME (1 s per run),
# BENCH_CLOCK (cpu: both programs time themselves on their own CPU time,
# for a machine others share; the wall clock otherwise),
# BENCH_ONLY (a comma list of mini_b1,mini_b64,mini_b1_dense,
# mini_b64_dense,mini_b1_jit,mini_b64_jit,full_b1,full_b1_jit,train_mini,
# train_full; _dense: flowpic's dense path, _jit: TorchScript).
cd "$(dirname "$0")/../.." || exit 1
DATA=${FLOWPIC_DATA:-../shared/datasets}/video-platforms
THREADS=${BENCH_THREADS:-1}
RUNS=${BENCH_RUNS:-3}
REPEAT=${BENCH_REPEAT:-3}
MIN_TIME=${BENCH_MIN_TIME:-1}
ONLY=${BENCH_ONLY:-mini_b1,mini_b64,mini_b1_dense,mini_b64_dense,mini_b1_jit,mini_b64_jit,full_b1,full_b1_jit,train_mini,train_full}
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

# median_file FILE: each "name value ..." line's name with the median of
# its values in FILE
median_file() {
	sort -k1,1 -k2,2g "$1" | awk '
	function out() { if (n) print k, v[int((n + 1) / 2)] }
	NF >= 2 && $2 ~ /^[0-9.]+$/ {
		if ($1 != k) { out(); k = $1; n = 0 }
		v[++n] = $2
	}
	END { out() }'
}

# value NAME FILE: the number on NAME's line
value() {
	awk -v k="$1" '$1 == k { print $2 }' "$2"
}

for t in $THREADS; do
	echo "# $t thread(s), best of $RUNS runs, median of $REPEAT alternations, real FlowPics of $DATA"
	: >"$TMP/c.all"
	: >"$TMP/py.all"
	# flowpic and PyTorch alternate, so that a burst of load on the
	# shared machine falls on both sides over the repetitions; training
	# epochs (minutes in PyTorch for full) in the first only.
	for rep in $(seq "$REPEAT"); do
		only=$ONLY
		[ "$rep" = 1 ] || only=$(echo "$ONLY" | tr ',' '\n' |
					 grep -v '^train_' | paste -sd, -)
		[ -n "$only" ] || break
		"$TMP/bench_cnn" --data "$DATA" --threads "$t" --runs "$RUNS" \
			--min-time "$MIN_TIME" --only "$only" \
			$([ "$rep" = 1 ] && echo --export "$TMP/pics") \
			>"$TMP/c.txt" || { cat "$TMP/c.txt"; exit 1; }
		cat "$TMP/c.txt" >>"$TMP/c.all"
		[ "$rep" = 1 ] && head -1 "$TMP/c.txt" | sed 's/^/# flowpic: /'
		[ "$torch" = 1 ] || continue
		$PY tests/bench/bench_cnn_torch.py "$TMP/pics" --threads "$t" \
			--runs "$RUNS" --min-time "$MIN_TIME" --only "$only" \
			>"$TMP/py.txt" || { cat "$TMP/py.txt"; exit 1; }
		cat "$TMP/py.txt" >>"$TMP/py.all"
		[ "$rep" = 1 ] &&
			echo "# peer: $(head -1 "$TMP/py.txt") (Debian python3-torch $(dpkg-query -W -f '${Version}' python3-torch 2>/dev/null))"
	done
	median_file "$TMP/c.all" >"$TMP/c.txt"
	median_file "$TMP/py.all" >"$TMP/py.txt"
	# Inference: flowpic's sparse path (what flowpicd runs) and its dense
	# one; PyTorch eager and TorchScript. The ratio is flowpic sparse over
	# the stronger PyTorch of the two.
	printf '%-16s %11s %11s %11s %11s %9s %6s\n' "img/s" "flowpic" \
		"fp dense" "torch" "torchscript" "ratio" goal
	for m in mini_b1:"mini, batch 1":5 mini_b64:"mini, batch 64":2 \
		 full_b1:"full, batch 1":10; do
		key=${m%%:*}
		rest=${m#*:}
		label=${rest%%:*}
		goal=${rest#*:}
		c=$(value "$key" "$TMP/c.txt")
		[ -n "$c" ] || continue
		awk -v l="$label" -v c="$c" -v g="$goal" \
		    -v d="$(value "${key}_dense" "$TMP/c.txt")" \
		    -v e="$(value "$key" "$TMP/py.txt")" \
		    -v j="$(value "${key}_jit" "$TMP/py.txt")" '
		function f(x) { return x == "" ? "-" : sprintf("%.0f", x) }
		BEGIN {
			p = (e != "" && (j == "" || e + 0 > j + 0)) ? e : j;
			if (p == "") {
				printf "%-16s %11s %11s %11s %11s %9s %5sx\n", l,
				       f(c), f(d), "-", "-", "-", g;
				exit;
			}
			r = c / p;
			printf "%-16s %11s %11s %11s %11s %8.2fx %5sx%s\n", l,
			       f(c), f(d), f(e), f(j), r, g,
			       (r >= g) ? "" : "  (below the goal)";
			if (d != "")
				printf "%-16s dense / stronger torch %.2fx, sparse / dense %.2fx\n",
				       "", d / p, c / d;
		}'
	done
	c=$(value mini_b64 "$TMP/c.txt")
	[ -n "$c" ] && [ "$t" = 1 ] &&
		awk -v c="$c" 'BEGIN {
			printf "mini, batch 64, one core: %.0f images/s (goal 100000)%s\n",
			       c, (c >= 100000) ? "" : "  (below the goal)";
		}'
	for m in train_mini:"mini training epoch" train_full:"full training epoch"; do
		key=${m%%:*}
		label=${m#*:}
		c=$(value "$key" "$TMP/c.txt")
		[ -n "$c" ] || continue
		awk -v l="$label" -v c="$c" -v p="$(value "$key" "$TMP/py.txt")" 'BEGIN {
			if (p == "")
				printf "%-24s flowpic %.3f s, torch -\n", l, c;
			else
				printf "%-24s flowpic %.3f s, torch %.3f s: %.2fx (goal 2x)%s\n",
				       l, c, p, p / c, (p / c >= 2) ? "" : "  (below the goal)";
		}'
	done
	# The core's peak: FMA units x float lanes x 2 flops x clock. The
	# clock is /proc/cpuinfo's (the nominal one under a hypervisor; turbo
	# unknown); two FMA units per core is assumed (Intel since Haswell,
	# AMD since Zen 2). AVX2: 8 lanes; AVX-512 (if the CPU has it): 16,
	# as if its units were full width.
	fl=$(value mini_flops "$TMP/c.txt")
	mhz=$(awk -F: '/^cpu MHz/ { print $2 + 0; exit }' /proc/cpuinfo)
	if [ -n "$fl" ] && [ -n "$mhz" ] && [ "$t" = 1 ]; then
		avx512=0
		grep -qw avx512f /proc/cpuinfo && avx512=1
		awk -v f="$fl" -v mhz="$mhz" -v a5="$avx512" \
		    -v c="$(value mini_b64 "$TMP/c.txt")" \
		    -v d="$(value mini_b64_dense "$TMP/c.txt")" \
		    -v e="$(value mini_b64 "$TMP/py.txt")" \
		    -v j="$(value mini_b64_jit "$TMP/py.txt")" 'BEGIN {
			if (c d e j == "")
				exit;
			p2 = 2 * 8 * 2 * mhz / 1000;
			p5 = 2 * 16 * 2 * mhz / 1000;
			printf "mini: %.3f MFLOP per image (conv and dense multiply-adds x 2); one core at %.0f MHz: peak %.1f GFLOP/s AVX2 FMA (2 units x 8 lanes x 2)", f / 1e6, mhz, p2;
			if (a5)
				printf ", %.1f AVX-512", p5;
			printf "\nshare of peak at batch 64 (AVX2%s; the sparse path counted at the dense FLOPs it stands for, as it skips work on zeros):\n", a5 ? " / AVX-512" : "";
			n = split("flowpic sparse|flowpic dense|torch eager|torchscript", name, "|");
			v[1] = c; v[2] = d; v[3] = e; v[4] = j;
			for (i = 1; i <= n; i++) {
				if (v[i] == "")
					continue;
				g = v[i] * f / 1e9;
				printf "  %-16s %7.2f GFLOP/s  %5.1f%%", name[i], g,
				       100 * g / p2;
				if (a5)
					printf " / %4.1f%%", 100 * g / p5;
				printf "\n";
			}
		}'
	fi
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
