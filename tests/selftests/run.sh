#!/bin/sh
# make check-selftests: the kselftest-shaped network tests through the
# kernel's lib.mk runner, built out of tree into build/selftests. Ends
# with "# selftests: N passed, N failed, N skipped", counted on the
# runner's top-level KTAP lines.
cd "$(dirname "$0")/../.." || exit 1
out=$PWD/build/selftests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
mkdir -p "$out"

if ! ksrc=$(sh tests/linux-source.sh 2>"$log"); then
	echo "not ok 1 selftests # $(tail -1 "$log")"
	echo "# selftests: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
make --no-print-directory -C tests/selftests KSRC="$ksrc" OUTPUT="$out" \
	run_tests 2>&1 | tee "$log"
skip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log")
pass=$(($(grep -cE '^ok [0-9]+' "$log") - skip))
fail=$(grep -cE '^not ok [0-9]+' "$log")
# A build that failed before the runner started counts as one failure.
if [ $((pass + fail + skip)) = 0 ]; then
	fail=1
fi
echo "# selftests: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
