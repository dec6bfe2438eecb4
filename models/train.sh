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
#   cat-mini  the five classes from every real source and the lab, 32x32
#             mini, two channels by role (categories-mini.fpm), its
#             calibrated threshold, the unknown rates, per source
#   cat-loso  leave one source out: trained without it, tested on it
#   cat-mix   real only, lab only, both; plain and through the VPN
#   cat-variants  training choices for the five classes (no model shipped)
#   cat-full  the five classes, 1500x1500 full (categories-full.fpm)
# (default: all but variants and cat-variants). FLOWPIC_DATA
# (../shared/datasets), FLOWPIC_LAB (/var/tmp/flowpic-lab: runs of
# tests/lab, skipped saying so when absent), SEEDS ("1 2 3": the first is
# the shipped model, the others add to the mean).
set -eu
cd "$(dirname "$0")/.."
DATA=${FLOWPIC_DATA:-../shared/datasets}
LAB=${FLOWPIC_LAB:-/var/tmp/flowpic-lab}
LABSPLIT=build/data/lab	# lab runs cut into one capture per session
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

# --- the five FlowPic classes from every source ------------------------------

CAT=voip,video,file-transfer,chat,browsing
SCORE="awk -f models/score.awk"

# Lab runs (tests/lab/lab.sh): directories of LAB with NAME.pcap,
# NAME.labels.csv and NAME.conditions.json saying ok; "vpn" lists the runs
# through OpenVPN, "plain" the others.
lab_runs() {
	[ -d "$LAB" ] || return 0
	for l in $(find "$LAB" -name '*.labels.csv' | sort); do
		[ -s "${l%.labels.csv}.pcap" ] || continue
		# only runs whose measured conditions met the claimed ones
		grep -q '"ok": true' "${l%.labels.csv}.conditions.json" \
			2>/dev/null || continue
		case $l in
		*-vpn*) [ "$1" = vpn ] && echo "${l%.labels.csv}" ;;
		*) [ "$1" = plain ] && echo "${l%.labels.csv}" ;;
		esac
	done
}

# cat_data DIR ARGS...: one dataset file per source in DIR (flowpic
# dataset ARGS: geometry), each with its packet series (augmentation).
# Lab runs give DIR/lab-RUN.fpd (and -vpn in the name through the VPN).
cat_data() {
	(cat_data_in "$@")	# a subshell: the caller's variables (d) stay
}

cat_data_in() {
	d=$1
	shift
	mkdir -p "$d"
	$F dataset -o "$d/ndpi.fpd" "$@" --allow-unmatched \
		--ndpi "$DATA/ndpi/result" "$DATA"/ndpi/pcap/*.pcap \
		"$DATA"/ndpi/pcap/*.pcapng 2>"$d/ndpi.log" || [ -s "$d/ndpi.fpd" ]
	tail -1 "$d/ndpi.log"
	$F dataset -o "$d/vp.fpd" "$@" --rule '*/video-platforms/*=video' \
		$(vp_inputs)
	$F dataset -o "$d/vca.fpd" "$@" --labels "$DATA/vca/labels.csv" \
		$(find "$DATA/vca" -name '*.pcapng' | sort)
	$F dataset -o "$d/ssh.fpd" "$@" --rule '*/ssh-browsing/*=browsing' \
		"$DATA"/ssh-browsing/*.csv.gz
	$F dataset -o "$d/wa.fpd" "$@" --labels "$DATA/whatsapp/labels.csv" \
		"$DATA"/whatsapp/AlonMesh/*.pcap "$DATA"/whatsapp/NoaAmichai/*.pcapng
	rm -f "$d"/lab-*.fpd
	for r in $(lab_runs plain) $(lab_runs vpn); do
		n=$(basename "$(dirname "$r")")-$(basename "$r")
		# one capture per session (models/lab-split.py), so that the
		# split by file holds out whole sessions
		if ! [ -s "$LABSPLIT/$n/labels.csv" ]; then
			rm -rf "$LABSPLIT/$n"
			python3 models/lab-split.py "$r.pcap" "$r.labels.csv" \
				"$LABSPLIT/$n"
		fi
		$F dataset -o "$d/lab-$n.fpd" "$@" \
			--labels "$LABSPLIT/$n/labels.csv" "$LABSPLIT/$n"/*.pcap
	done
	[ -n "$(lab_runs plain)$(lab_runs vpn)" ] ||
		echo "cat: no lab runs under $LAB (FLOWPIC_LAB): real sources only"
}

# The dataset files of a source set: real, lab, lab-plain, lab-vpn, all,
# or all but one source (-ndpi, -vp, -vca, -ssh, -wa, -lab).
cat_set() {
	d=$1
	case $2 in
	real) echo "$d/ndpi.fpd $d/vp.fpd $d/vca.fpd $d/ssh.fpd $d/wa.fpd" ;;
	lab) ls "$d"/lab-*.fpd 2>/dev/null | tr '\n' ' ' ;;
	lab-plain) ls "$d"/lab-*.fpd 2>/dev/null | grep -v -- -vpn | tr '\n' ' ' ;;
	lab-vpn) ls "$d"/lab-*vpn*.fpd 2>/dev/null | tr '\n' ' ' ;;
	all) echo "$(cat_set "$d" real) $(cat_set "$d" lab)" ;;
	-lab) cat_set "$d" real ;;
	-*) for f in $(cat_set "$d" all); do
		[ "$f" = "$d/${2#-}.fpd" ] || printf '%s ' "$f"
	    done ;;
	esac
}

# The training choices of categories-mini, chosen by held-out numbers
# (cat-variants): raw counts, time-shift and RTT augmentation.
CAT_MINI_ARGS="--classes $CAT --input-scale 1 --augment time-shift,rtt"
# ... and two channels, one per role (initiator, responder): the
# pictures of categories-mini and of the tasks that explain it.
CAT_DATA=build/data/cat-2ch
CAT_DATA_ARGS="--n 32 --window 15s --series --channels 2"

# cat_eval NAME MODEL DATASETS...: held-out windows of MODEL as
# build/accuracy/NAME.tsv, the report as NAME.txt, the scores per source.
cat_eval() {
	name=$1 model=$2
	shift 2
	$F eval "$model" "$@" --held-out --samples "$OUT/$name.tsv" \
		>"$OUT/$name.txt"
}

# calibrate TASK MODEL NDPI-DATASET: per class, the confidence threshold
# below which 10% of the held-out windows the model gives that class fall
# (seed 1, build/accuracy/TASK-s1.tsv), written into MODEL (provenance
# "thresholds"; "threshold" the same over every window, for reference)
# and TASK.threshold; then the unknown rates at them: per class on the
# held-out windows and on nDPI's other categories (never trained on:
# every window of them).
calibrate() {
	task=$1 model=$2 ndpi=$3
	all=$(cut -f6 "$OUT/$task-s1.tsv" | sort -g |
		awk '{ c[NR] = $1 } END { k = int(0.1 * NR); print k ? c[k] : 0 }')
	t=$(cut -f5,6 "$OUT/$task-s1.tsv" | sort -k1,1 -k2,2g |
		awk -F'\t' '
		function out() { k = int(0.1 * n); s = s sep c "=" (k ? v[k] : 0); sep = "," }
		$1 != c { if (n) out(); c = $1; n = 0 }
		{ v[++n] = $2 }
		END { if (n) out(); print s }')
	echo "$t" >"$OUT/$task.threshold"
	$F model set "$model" threshold="$all" thresholds="$t"
	echo "== $task: calibrated thresholds $t (10% of the held-out windows of each predicted class below its own; $all over all)"
	$F eval "$model" "$ndpi" --ignore-unknown \
		--samples "$OUT/$task-all-ndpi.tsv" >/dev/null
	awk -F'\t' '$2 == "other"' "$OUT/$task-all-ndpi.tsv" \
		>"$OUT/$task-other.tsv"
	$SCORE -v mode=unknown -v t="$t" "$OUT/$task-s1.tsv" \
		"$OUT/$task-other.tsv" | sort
	echo "-- the same with one threshold, $all, for every class:"
	$SCORE -v mode=unknown -v t="$all" "$OUT/$task-s1.tsv" \
		"$OUT/$task-other.tsv" | sort
}

task_cat_mini() {
	d=$CAT_DATA
	cat_data $d $CAT_DATA_ARGS
	set -- $(cat_set $d all)
	for s in $SEEDS; do
		if [ "$s" = "$(echo $SEEDS | cut -d' ' -f1)" ]; then
			m=models/categories-mini.fpm
		else
			m=$OUT/cat-mini-s$s.fpm
		fi
		echo "== cat-mini seed $s"
		$F train -o "$m" --seed "$s" --quiet --test-files 0.25 \
			$CAT_MINI_ARGS "$@" >"$OUT/cat-mini-s$s.txt" \
			2>"$OUT/cat-mini-s$s.log"
		cat_eval cat-mini-s$s "$m" "$@"
		grep -E '^kept' "$OUT/cat-mini-s$s.log"
		grep '^accuracy' "$OUT/cat-mini-s$s.txt"
	done
	$F eval models/categories-mini.fpm "$@" --held-out \
		--png docs/accuracy/cat-mini.png >"$OUT/cat-mini.txt"
	cat "$OUT/cat-mini.txt"
	echo "== cat-mini: seeds $SEEDS, mean"
	for s in $SEEDS; do grep '^accuracy' "$OUT/cat-mini-s$s.txt"; done |
		awk '{ a += $2; f += $4; n++ } END {
			printf "mean accuracy %.4f, macro-F1 %.4f over %d seeds\n",
			a / n, f / n, n }'
	echo "== cat-mini seed 1: held-out windows per source"
	$SCORE -v mode=sources "$OUT/cat-mini-s1.tsv" | sort
	grep -v "^$LABSPLIT/" "$OUT/cat-mini-s1.tsv" >"$OUT/cat-mini-s1-real.tsv"
	grep "^$LABSPLIT/" "$OUT/cat-mini-s1.tsv" | grep -v -- -vpn \
		>"$OUT/cat-mini-s1-lab.tsv"
	grep "^$LABSPLIT/" "$OUT/cat-mini-s1.tsv" | grep -- -vpn \
		>"$OUT/cat-mini-s1-vpn.tsv"
	for part in real lab vpn; do
		echo "== cat-mini seed 1: held-out $part files only"
		$SCORE -v mode=score "$OUT/cat-mini-s1-$part.tsv"
		$SCORE -v mode=confusion "$OUT/cat-mini-s1-$part.tsv"
	done
	echo "== cat-mini seeds $SEEDS: held-out real files only, mean"
	for s in $SEEDS; do
		grep -v "^$LABSPLIT/" "$OUT/cat-mini-s$s.tsv" | $SCORE -v mode=score
	done | awk '{ a += $2; f += $4; n++ } END {
		printf "mean accuracy %.2f%%, macro-F1 %.4f over %d seeds\n",
		a / n, f / n, n }'
	# nDPI's application-level labels apart from the real sources
	# labelled by what the capture holds
	for part in ndpi not-ndpi; do
		echo "== cat-mini seeds $SEEDS: held-out real files, $part, mean"
		for s in $SEEDS; do
			grep -v "^$LABSPLIT/" "$OUT/cat-mini-s$s.tsv" |
				if [ $part = ndpi ]; then grep "/ndpi/"
				else grep -v "/ndpi/"; fi | $SCORE -v mode=score
		done | awk '{ print; a += $2; f += $4; n++ } END {
			printf "mean accuracy %.2f%%, macro-F1 %.4f over %d seeds\n",
			a / n, f / n, n }'
	done
	echo "== cat-mini seeds $SEEDS: held-out VPN (lab) files only, mean"
	for s in $SEEDS; do
		grep "^$LABSPLIT/.*-vpn" "$OUT/cat-mini-s$s.tsv" | $SCORE -v mode=score
	done | awk '{ a += $2; f += $4; n++ } END {
		printf "mean accuracy %.2f%%, macro-F1 %.4f over %d seeds\n",
		a / n, f / n, n }'
	# The threshold and the unknown rates, then per source at it.
	calibrate cat-mini models/categories-mini.fpm "$d/ndpi.fpd"
	t=$(cat "$OUT/cat-mini.threshold")
	$SCORE -v mode=sources -v t="$t" "$OUT/cat-mini-s1.tsv" | sort
	$SCORE -v mode=score -v t="$t" "$OUT/cat-mini-s1.tsv"
}

# Leave one source out: trained on the others (validation from them),
# tested on every window of the source left out.
task_cat_loso() {
	d1=build/data/cat
	[ -s $d1/wa.fpd ] || cat_data $d1 --n 32 --window 15s --series
	[ -s $CAT_DATA/wa.fpd ] || cat_data $CAT_DATA $CAT_DATA_ARGS
	# two channels by role (as shipped), then one channel
	for d in $CAT_DATA $d1; do
		ch=2ch
		[ $d = $d1 ] && ch=1ch
		for src in vca wa ssh vp ndpi lab; do
			if [ $src = lab ]; then
				test=$(cat_set $d lab)
				[ -n "$test" ] || { echo "cat-loso: no lab runs, skipped"; continue; }
			else
				test=$d/$src.fpd
			fi
			m=$OUT/cat-loso-$ch-$src
			echo "== cat-loso $ch: without $src, tested on $src"
			if ! $F train -o "$m.fpm" --seed 1 --quiet \
				$CAT_MINI_ARGS $(cat_set $d -$src) \
				>"$m.txt" 2>"$m.log"; then
				echo "cat-loso: without $src: $(tail -1 "$m.log")"
				continue
			fi
			# --ignore-unknown: the source may lack some of the classes
			# (and nDPI's `other` windows are left out of the scores)
			$F eval "$m.fpm" $test --ignore-unknown --samples "$m.tsv" \
				>"$m-test.txt"
			sed -n '/^confusion/,$p' "$m-test.txt"
			awk -F'\t' '$2 != "other"' "$m.tsv" | $SCORE -v mode=score
		done
	done
}

# Real only, lab only, both; plain and through the VPN. Each trained with
# held-out files and scored on them, per source.
task_cat_mix() {
	d=$CAT_DATA
	[ -s $d/wa.fpd ] || cat_data $d $CAT_DATA_ARGS
	for set in real lab lab-plain lab-vpn all; do
		ds=$(cat_set $d $set)
		[ -n "$(echo $ds)" ] || { echo "cat-mix $set: no data, skipped"; continue; }
		echo "== cat-mix: trained on $set, held-out files of $set"
		$F train -o "$OUT/cat-mix-$set.fpm" --seed 1 --quiet \
			--test-files 0.25 $CAT_MINI_ARGS $ds \
			>"$OUT/cat-mix-$set.txt" 2>"$OUT/cat-mix-$set.log"
		cat_eval cat-mix-$set "$OUT/cat-mix-$set.fpm" $ds
		grep '^accuracy' "$OUT/cat-mix-$set.txt"
		$SCORE -v mode=sources "$OUT/cat-mix-$set.tsv" | sort
	done
	# across: the real-only model on every lab window, the lab-only
	# model on every real window
	if [ -n "$(cat_set $d lab)" ]; then
		echo "== cat-mix: real-only model on the lab (every window)"
		$F eval "$OUT/cat-mix-real.fpm" $(cat_set $d lab) | grep '^accuracy'
		echo "== cat-mix: lab-only model on the real sources (every window)"
		$F eval "$OUT/cat-mix-lab.fpm" $(cat_set $d real) | grep '^accuracy'
	fi
}

# The paper's network on 1500x1500 FlowPics of the paper's 60 s windows,
# every source. Bounded: one seed, at most 30 epochs (patience 5), no
# augmentation (the datasets carry no packet series at this size).
task_cat_full() {
	d=build/data/cat-full
	cat_data $d --n 1500 --window 60s
	set -- $(cat_set $d all)
	echo "== cat-full seed 1"
	$F train -o models/categories-full.fpm --seed 1 --quiet \
		--test-files 0.25 --classes $CAT --epochs 30 --patience 5 "$@" \
		>"$OUT/cat-full-s1.txt" 2>"$OUT/cat-full-s1.log"
	grep -E '^kept' "$OUT/cat-full-s1.log"
	cat_eval cat-full-s1 models/categories-full.fpm "$@"
	$F eval models/categories-full.fpm "$@" --held-out \
		--png docs/accuracy/cat-full.png >"$OUT/cat-full.txt"
	cat "$OUT/cat-full.txt"
	echo "== cat-full: held-out windows per source"
	$SCORE -v mode=sources "$OUT/cat-full-s1.tsv" | sort
	echo "== cat-full: held-out real files only"
	grep -v "^$LABSPLIT/" "$OUT/cat-full-s1.tsv" | $SCORE -v mode=score
	echo "== cat-full: held-out lab files only"
	grep "^$LABSPLIT/" "$OUT/cat-full-s1.tsv" | $SCORE -v mode=score
	calibrate cat-full models/categories-full.fpm "$d/ndpi.fpd"
}

# cat_sweep NAME DATASETS TRAIN-ARGS...: for each seed, trained with a
# quarter of the files held out; the mean over the seeds of the held-out
# scores on the five classes: all files, real files, lab files (and, for
# a model with an `other` class, the share of held-out other windows it
# calls other). Nothing shipped.
cat_sweep() {
	task=$1 data=$2
	shift 2
	for s in $SEEDS; do
		$F train -o "$OUT/$task-s$s.fpm" --seed "$s" --quiet \
			--test-files 0.25 "$@" $data >/dev/null 2>&1
		$F eval "$OUT/$task-s$s.fpm" $data --held-out \
			--samples "$OUT/$task-s$s.tsv" >/dev/null
		f=$OUT/$task-s$s.tsv
		all=$(awk -F'\t' '$2 != "other"' "$f" | $SCORE -v mode=score)
		real=$(grep -v "^$LABSPLIT/" "$f" | awk -F'\t' '$2 != "other"' |
			$SCORE -v mode=score)
		lab=$(grep "^$LABSPLIT/" "$f" | $SCORE -v mode=score)
		oth=$(awk -F'\t' '$2 == "other" { n++; o += $5 == "other" }
			END { if (n) printf "%.2f", 100 * o / n; else print "-" }' "$f")
		echo "$all|$real|$lab|$oth"
	done | awk -F'|' -v t="$task" -v a="$*" '
		{ split($1, x, " "); A += x[2]; AF += x[4]
		  split($2, y, " "); R += y[2]; RF += y[4]
		  split($3, z, " "); L += z[2]; LF += z[4]; O += $4; n++ }
		END { printf "| %s | %.2f%% / %.3f | %.2f%% / %.3f | %.2f%% / %.3f | %s | `%s` |\n",
		      t, A / n, AF / n, R / n, RF / n, L / n, LF / n,
		      O ? sprintf("%.1f%%", O / n) : "-", a }'
}

# Training choices, mean held-out scores over the seeds (all sources).
task_cat_variants() {
	d=build/data/cat
	[ -s $d/wa.fpd ] || cat_data $d --n 32 --window 15s --series
	d2=$CAT_DATA
	[ -s $d2/wa.fpd ] || cat_data $d2 $CAT_DATA_ARGS
	d30=build/data/cat-30s
	[ -s $d30/wa.fpd ] || cat_data $d30 --n 32 --window 30s --series
	a=$(cat_set $d all)
	echo "| variant | held-out, all: accuracy / macro-F1 | real files | lab files | other -> other | train arguments |"
	echo "| --- | --- | --- | --- | --- | --- |"
	cat_sweep counts255 "$a" --classes $CAT
	cat_sweep raw "$a" --classes $CAT --input-scale 1
	cat_sweep raw-balanced "$a" --classes $CAT --input-scale 1 \
		--class-weights balanced
	cat_sweep raw-tsrtt "$a" $CAT_MINI_ARGS
	cat_sweep raw-drop "$a" --classes $CAT --input-scale 1 --augment drop
	cat_sweep raw-all "$a" --classes $CAT --input-scale 1 --augment all
	cat_sweep raw-tsrtt-2ch "$(cat_set $d2 all)" $CAT_MINI_ARGS
	cat_sweep raw-2ch "$(cat_set $d2 all)" --classes $CAT --input-scale 1
	cat_sweep raw-tsrtt-30s "$(cat_set $d30 all)" $CAT_MINI_ARGS
	cat_sweep raw-tsrtt-other "$a" --classes $CAT,other --input-scale 1 \
		--augment time-shift,rtt
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

for t in ${*:-vp-mini vp-full vp-res ndpi cat-mini cat-loso cat-mix cat-full}; do
	case $t in
	vp-mini) task_vp_mini ;;
	vp-full) task_vp_full ;;
	vp-res) task_vp_res ;;
	ndpi) task_ndpi ;;
	variants) task_variants ;;
	cat-mini) task_cat_mini ;;
	cat-loso) task_cat_loso ;;
	cat-mix) task_cat_mix ;;
	cat-variants) task_cat_variants ;;
	cat-full) task_cat_full ;;
	*) echo "models/train.sh: unknown task $t"; exit 2 ;;
	esac
done
