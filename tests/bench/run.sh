#!/bin/sh
# make bench: every tests/bench/bench_*.sh in turn. Each compares flowpic
# with its strongest peer in the same run and prints ratios, since the
# machines are noisy; absolute figures alone mean little.
cd "$(dirname "$0")/../.." || exit 1
status=0
for b in tests/bench/bench_*.sh; do
	[ -e "$b" ] || continue
	echo "== $(basename "$b" .sh) =="
	sh "$b" || status=1
done
exit $status
