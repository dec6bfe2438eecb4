#!/bin/sh
# make check: every test layer, then one line summing their counts:
# "N passed, N failed, N skipped". A layer that dies before printing its
# count line counts as one failure. Each layer's wall time is printed
# after it, and all of them before the last line.
#
# The layers print in turn, each whole, but they run in two lanes side by
# side: unit and bpf, which mostly compute, beside the selftests, which
# mostly wait on traffic, then KUnit and QEMU's software emulation. QEMU
# is not run beside the selftests: a guest emulated in software takes a
# core, and beside it the lab's timing-sensitive runs (OpenVPN's start,
# an emulated guest's flows kept alive through a flood) failed. Each
# layer's output goes to a file, printed at its turn with its own wall
# time. Two more things start at the start:
#   - the KUnit layer's UML kernel is built at the lowest priority
#     (tests/kunit/run.sh --build-only): a cold build takes many minutes
#     of CPU that the other layers leave idle; the layer waits for it (a
#     lock) and prints its log only if it failed (the layer then builds
#     again and reports why);
#   - the selftests' two traffic-lab quick runs (lab_runs.sh, about two
#     minutes each, mostly waiting), side by side; lab_classes.sh and
#     lab_vpn.sh wait for them.
# Each lane and each of those two is a process group of its own, which
# an early exit (a failure of make, Ctrl-C) stops.
#
# FLOWPIC_LAYERS picks layers (in the order they print), FLOWPIC_LANES
# sets the lanes (comma-separated); FLOWPIC_SERIAL=1 runs the layers one
# after the other, the lab runs inside the selftests layer, as `make
# check-LAYER` does.
cd "$(dirname "$0")/.." || exit 1

# run_layer LAYER: its output in $dir/LAYER.out, then its wall time in
# $dir/LAYER.time, last: the sign that it is over.
run_layer() {
	t0=$(date +%s)
	: >"$dir/$1.out"
	if [ "$1" = kunit ] && [ "$pre" != - ]; then
		# the prebuild's log, only if it failed
		while [ ! -e "$dir/prebuild.rc" ] && kill -0 -"$pre" 2>/dev/null; do
			sleep 1
		done
		[ "$(cat "$dir/prebuild.rc" 2>/dev/null)" = 0 ] ||
			sed 's/^/# prebuild: /' "$dir/prebuild" | tail -20 >"$dir/$1.out"
	fi
	make --no-print-directory "check-$1" >>"$dir/$1.out" 2>&1 </dev/null
	echo $(($(date +%s) - t0)) >"$dir/$1.time"
}
# A lane: check.sh --lane DIR PREBUILD-GROUP|- LAYER...
if [ "${1:-}" = --lane ]; then
	dir=$2 pre=$3
	shift 3
	for l in "$@"; do
		run_layer "$l"
	done
	exit 0
fi

layers=${FLOWPIC_LAYERS:-"unit bpf selftests kunit qemu"}
lanes=${FLOWPIC_LANES:-"unit bpf, selftests kunit qemu"}
[ "${FLOWPIC_SERIAL:-0}" = 1 ] && lanes=$layers
pass=0 fail=0 skip=0 times=""
dir=$(mktemp -d)
pre='' labs='' groups=''
. tests/jobs.sh	# stop_group, inner, grouped
cleanup() {
	for g in $groups; do
		stop_group "$g" inner
	done
	for g in $labs $pre; do
		stop_group "$g"
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

has() { case " $layers " in *" $1 "*) return 0 ;; esac; return 1; }

if has kunit && [ "${FLOWPIC_KUNIT_PREBUILD:-1}" = 1 ]; then
	setsid sh -c 'nice -n 19 sh tests/kunit/run.sh --build-only >"$1" 2>&1
		echo $? >"$1.rc"' sh "$dir/prebuild" </dev/null &
	pre=$!
	grouped "$pre"
fi
if has selftests && [ "${FLOWPIC_SERIAL:-0}" != 1 ]; then
	labs=$(sh tests/selftests/run.sh --start-labs)
	[ -n "$labs" ] && export FLOWPIC_LABS_STARTED=1
fi

# The lanes, holding the layers of $layers only; a layer that no lane
# names goes at the end of the first.
placed=''
for lane in $(echo "$lanes" | tr ' ,' '_ '); do
	run=''
	for l in $(echo "$lane" | tr _ ' '); do
		has "$l" && run="$run $l" && placed="$placed $l"
	done
	[ -n "$run" ] && echo "$run" >>"$dir/lanes"
done
for l in $layers; do
	case " $placed " in
	*" $l "*) ;;
	*) [ -s "$dir/lanes" ] || echo >"$dir/lanes"
	   sed -i "1s/\$/ $l/" "$dir/lanes" ;;
	esac
done
while read -r run; do
	# shellcheck disable=SC2086 # $run is a list of layers
	setsid sh tests/check.sh --lane "$dir" "${pre:--}" $run \
		</dev/null >/dev/null 2>&1 &
	grouped $!
	for l in $run; do
		echo $! >"$dir/$l.lane"
	done
	groups="$groups $!"
done <"$dir/lanes"

# count LAYER FILE: adds the layer's count line in FILE to the totals.
count() {
	line=$(grep -E "^# $1: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped" "$2" | tail -1)
	if [ -z "$line" ]; then
		echo "# $1: layer did not report its count: 1 failure"
		fail=$((fail + 1))
		return
	fi
	# shellcheck disable=SC2046 # three numbers
	set -- $(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/')
	pass=$((pass + $1)) fail=$((fail + $2)) skip=$((skip + $3))
}

for layer in $layers; do
	g=$(cat "$dir/$layer.lane")
	# until it is over, or its lane is gone without finishing it
	while [ ! -e "$dir/$layer.time" ] && kill -0 "$g" 2>/dev/null; do
		sleep 1
	done
	echo "# ==== layer: $layer ===="
	cat "$dir/$layer.out" 2>/dev/null
	t=$(cat "$dir/$layer.time" 2>/dev/null)
	echo "# $layer: ${t:-?} s"
	times="$times $layer ${t:-?}s"
	count "$layer" "$dir/$layer.out"
done
echo "# wall time per layer:$times"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
