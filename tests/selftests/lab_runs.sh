#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The traffic lab's two quick runs (tests/lab/, docs/lab.md), plain and
# through OpenVPN, side by side. Each takes about two minutes, mostly
# waiting on its traffic, far over the runner's time per test: they run
# apart from the runner, and lab_classes.sh / lab_vpn.sh check what they
# left in OUT: lab-NAME.rc (lab.sh's exit status, 4 with the reason when a
# program is missing), lab-NAME.log and lab-NAME/.
#
#   lab_runs.sh OUT           runs both; returns when both are done
#   lab_runs.sh --start OUT   returns at once, printing the process group
#                             the runs have to themselves: kill -TERM
#                             -PGID stops them, and lab.sh then deletes
#                             its namespaces
#
# From the moment it returns until its .rc is written, each run holds
# OUT/lab-NAME.lock, which lab_check.sh waits on; an earlier run's .rc is
# gone by then. OUT/impair must be built (the Makefile's labs targets).
top=$(cd "$(dirname "$0")/../.." && pwd)
self=$top/tests/selftests/lab_runs.sh
mode='wait'
case "$1" in
--start) mode=start; shift ;;
--locked) mode=locked; shift ;;	# ours: --start's child, locks held
esac
out=$1
[ -n "$out" ] && [ -d "$out" ] || { echo "usage: lab_runs.sh [--start] OUT" >&2; exit 2; }

# run NAME [--vpn]: one quick run, its exit status in OUT/lab-NAME.rc last.
# The namespaces' prefix (fplabstPID-NAME) is this run's own.
run() {
	name=$1
	shift
	FLOWPIC_LAB_IMPAIR=$out/impair FLOWPIC_BIN=$top/build/flowpic \
	bash "$top/tests/lab/lab.sh" --preset quick --seed 5 \
		--prefix "fplabst$$-$name" "$@" --out "$out/lab-$name" \
		</dev/null >"$out/lab-$name.log" 2>&1 8>&- 9>&-
	echo $? >"$out/lab-$name.rc.tmp" &&
		mv "$out/lab-$name.rc.tmp" "$out/lab-$name.rc"
}

# both: the two runs, each holding its own lock (fd 8 plain, 9 vpn) and
# not the other's.
both() {
	(exec 9>&-; run plain) &
	plain=$!
	(exec 8>&-; run vpn --vpn) &
	vpn=$!
	exec 8>&- 9>&-
	wait $plain
	wait $vpn
}

if [ $mode = locked ]; then
	both
	exit 0
fi

# The locks first, then no trace of an earlier run: whoever reads a .rc
# from now on reads this run's.
exec 8>"$out/lab-plain.lock" 9>"$out/lab-vpn.lock"
if ! flock -n 8 || ! flock -n 9; then
	echo "lab_runs.sh: the lab's quick runs are already running in $out" >&2
	exit 1
fi
for name in plain vpn; do
	rm -rf "$out/lab-$name" "$out/lab-$name.rc" "$out/lab-$name.rc.tmp"
	: >"$out/lab-$name.log"
done
if [ $mode = start ]; then
	# Its own process group (setsid), inheriting the two locks.
	setsid sh "$self" --locked "$out" </dev/null >/dev/null 2>&1 &
	# once it leads its group: kill -TERM -PGID reaches it from now on
	while kill -0 $! 2>/dev/null && ! kill -0 -$! 2>/dev/null; do
		sleep 0.1
	done
	echo $!
	exit 0
fi
both
