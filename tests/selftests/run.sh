#!/bin/sh
# make check-selftests: the kselftest-shaped network tests through the
# kernel's lib.mk runner, built out of tree into build/selftests. Ends
# with "# selftests: N passed, N failed, N skipped", counted on the
# runner's top-level KTAP lines.
#
# The traffic lab's two quick runs (lab_runs.sh) go in the background
# first, side by side, and the runner runs the other tests meanwhile;
# lab_classes.sh and lab_vpn.sh, last, wait for them. tests/check.sh
# starts them earlier still, at its own start (`run.sh --start-labs`
# prints their process group), and says so with FLOWPIC_LABS_STARTED=1.
# An early exit stops them: lab.sh deletes its namespaces on SIGTERM.
cd "$(dirname "$0")/../.." || exit 1
out=$PWD/build/selftests
log=$(mktemp)
labs=
. tests/jobs.sh	# stop_group
trap '[ -n "$labs" ] && stop_group "$labs"; rm -f "$log"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$out"

if ! ksrc=$(sh tests/linux-source.sh 2>"$log"); then
	[ "${1:-}" = --start-labs ] && exit 1
	echo "not ok 1 selftests # $(tail -1 "$log")"
	echo "# selftests: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
selftests() {
	make --no-print-directory -C tests/selftests KSRC="$ksrc" OUTPUT="$out" "$@"
}

if [ "${1:-}" = --start-labs ]; then
	selftests -s labs-start 2>"$log" | tail -1
	exit
fi
if [ "${FLOWPIC_LABS_STARTED:-}" != 1 ]; then
	# If they cannot start, the runner's make runs them first (`labs`)
	# and says why they fail.
	if labs=$(selftests -s labs-start 2>"$log" | tail -1) && [ -n "$labs" ]; then
		export FLOWPIC_LABS_STARTED=1
	fi
fi
selftests run_tests 2>&1 | tee "$log"
skip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log")
pass=$(($(grep -cE '^ok [0-9]+' "$log") - skip))
fail=$(grep -cE '^not ok [0-9]+' "$log")
# A build that failed before the runner started counts as one failure.
if [ $((pass + fail + skip)) = 0 ]; then
	fail=1
fi
echo "# selftests: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
