#!/bin/sh
# Rebuilds the models shipped in models/ and every figure of
# docs/accuracy.md from the shared datasets, with the commands written
# there. Deterministic: the same seeds give the same models (up to the
# date in their provenance).
#
# usage: sh models/train.sh [TASK...]
#   vp-mini   video-platforms, platform, 32x32 mini, first 15 s
#   vp-full   video-platforms, platform, 1500x1500 full, 30 s
#   vp-res    video-platforms, platform x resolution, 32x32 mini
#   ndpi      nDPI captures, the five FlowPic classes, 32x32 mini
#   variants  other training choices on the tasks above (no model shipped)
# (default: all but variants). FLOWPIC_DATA (../shared/datasets), SEEDS
# ("1 2 3": the first is the shipped model, the others add to the mean).
set -eu
cd "$(dirname "$0")/.."
DATA=${FLOWPIC_DATA:-../shared/datasets}
SEEDS=${SEEDS:-"1 2 3"}
F=build/flowpic
OUT=build/accuracy
[ -x "$F" ] || { echo "models/train.sh: build $F first (make)"; exit 1; }
[ -d "$DATA/video-platforms" ] || {
	echo "models/train.sh: no datasets at $DATA (FLOWPIC_DATA)"; exit 1; }
mkdir -p build/data "$OUT" docs/accuracy

vp_inputs() {
	find "$DATA/video-platforms" -name '*.csv.gz' | sort
}

# train TASK MODEL DATASET TRAIN-ARGS...: the first seed writes MODEL,
# the others build/accuracy/TASK-sSEED.fpm; then the held-out scores.
train() {
	task=$1 model=$2 data=$3
	shift 3
	for s in $SEEDS; do
		if [ "$s" = "$(echo $SEEDS | cut -d' ' -f1)" ]; then
			m=$model
		else
			m=$OUT/$task-s$s.fpm
		fi
		echo "== $task seed $s"
		$F train -o "$m" --seed "$s" --quiet "$@" "$data" \
			>"$OUT/$task-s$s.txt" 2>"$OUT/$task-s$s.log"
		$F eval "$m" "$data" --held-out --json >"$OUT/$task-s$s.json"
		grep -E '^kept' "$OUT/$task-s$s.log"
		sed -n 's/.*"accuracy":\([0-9.]*\),"macro_f1":\([0-9.]*\).*/test accuracy \1, macro-F1 \2/p' \
			"$OUT/$task-s$s.json"
	done
	$F eval "$model" "$data" --held-out --png "docs/accuracy/$task.png" \
		>"$OUT/$task.txt"
	cat "$OUT/$task.txt"
	awk -F'"accuracy":' '{ split($2, a, ","); s += a[1]; q += a[1] * a[1]; n++ }
		END { m = s / n; printf "mean accuracy over %d seeds: %.4f (sd %.4f)\n",
		      n, m, sqrt(q / n - m * m) }' $(for s in $SEEDS; do
			echo "$OUT/$task-s$s.json"; done)
}

# sweep TASK DATASET TRAIN-ARGS...: mean held-out accuracy and macro-F1
# over the seeds, nothing shipped.
sweep() {
	task=$1 data=$2
	shift 2
	for s in $SEEDS; do
		$F train -o "$OUT/$task-s$s.fpm" --seed "$s" --quiet "$@" "$data" \
			2>/dev/null | grep '^accuracy'
	done | awk -v t="$task" -v a="$*" '{ s += $2; f += $4; n++ }
		END { printf "%s (%s): mean accuracy %.4f, macro-F1 %.4f over %d seeds\n",
		      t, a, s / n, f / n, n }'
}

task_variants() {
	[ -s build/data/vp-mini.fpd ] || task_vp_mini
	[ -s build/data/vp-res.fpd ] || task_vp_res
	[ -s build/data/ndpi-mini.fpd ] || task_ndpi
	sweep vp-mini-aug build/data/vp-mini.fpd --windows first \
		--test-files 0.25 --augment time-shift,rtt
	sweep vp-mini-aug-all build/data/vp-mini.fpd --windows first \
		--test-files 0.25 --augment all
	sweep vp-mini-balanced build/data/vp-mini.fpd --windows first \
		--test-files 0.25 --class-weights balanced
	sweep vp-res-raw build/data/vp-res.fpd --windows first \
		--test-files 0.25 --input-scale 1
	sweep vp-res-aug build/data/vp-res.fpd --windows first \
		--test-files 0.25 --augment time-shift,rtt
	sweep ndpi-scaled build/data/ndpi-mini.fpd --test-files 0.25 \
		--classes voip,video,file-transfer,chat,browsing
}

task_vp_mini() {
	$F dataset -o build/data/vp-mini.fpd --n 32 --window 15s \
		--rule '*/Bilibili/*=Bilibili' --rule '*/Twitch/*=Twitch' \
		--rule '*/Youtube/*=Youtube' $(vp_inputs)
	train vp-mini models/video-platforms-mini.fpm build/data/vp-mini.fpd \
		--windows first --test-files 0.25
}

task_vp_full() {
	$F dataset -o build/data/vp-full.fpd --n 1500 --window 30s \
		--rule '*/Bilibili/*=Bilibili' --rule '*/Twitch/*=Twitch' \
		--rule '*/Youtube/*=Youtube' $(vp_inputs)
	train vp-full models/video-platforms-full.fpm build/data/vp-full.fpd \
		--windows first --test-files 0.25
}

task_vp_res() {
	rules=""
	for d in "$DATA"/video-platforms/*/*/; do
		p=$(basename "$(dirname "$d")")
		r=$(basename "$d")
		rules="$rules --rule */$p/$r/*=$p-$r"
	done
	set -f	# the patterns are flowpic's, not the shell's
	# shellcheck disable=SC2086
	$F dataset -o build/data/vp-res.fpd --n 32 --window 15s $rules \
		$(vp_inputs)
	set +f
	train vp-res models/video-platforms-resolution-mini.fpm \
		build/data/vp-res.fpd --windows first --test-files 0.25
}

task_ndpi() {
	# nDPI's suite holds a few deliberately broken captures: flowpic
	# names them and goes on with the rest, exiting 1
	$F dataset -o build/data/ndpi-mini.fpd --n 32 --window 15s \
		--allow-unmatched --ndpi "$DATA/ndpi/result" \
		"$DATA"/ndpi/pcap/*.pcap "$DATA"/ndpi/pcap/*.pcapng ||
		[ -s build/data/ndpi-mini.fpd ]
	# Short flows: a window holds a few packets, which 1/255 scaling
	# shrinks below what the network can learn from (its training accuracy
	# stays at the majority class); raw counts, as the FlowPic paper used.
	train ndpi models/ndpi-mini.fpm build/data/ndpi-mini.fpd \
		--classes voip,video,file-transfer,chat,browsing --test-files 0.25 \
		--input-scale 1
}

for t in ${*:-vp-mini vp-full vp-res ndpi}; do
	case $t in
	vp-mini) task_vp_mini ;;
	vp-full) task_vp_full ;;
	vp-res) task_vp_res ;;
	ndpi) task_ndpi ;;
	variants) task_variants ;;
	*) echo "models/train.sh: unknown task $t"; exit 2 ;;
	esac
done
