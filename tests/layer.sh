#!/bin/sh
# Runs one test layer's programs and prints KTAP: each program is a
# subtest whose own TAP lines are indented below it. Ends with the layer's
# count line, "# LAYER: N passed, N failed, N skipped", counted on the
# programs' own test lines. A program that exits 4 is skipped (kselftest's
# code); one that fails without a failing line counts as one failure.
#
# usage: layer.sh LAYER PROGRAM...
layer=$1
shift
pass=0 fail=0 skip=0 i=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "KTAP version 1"
echo "1..$#"
for prog in "$@"; do
	i=$((i + 1))
	name=$(basename "$prog")
	echo "    # Subtest: $name"
	"$prog" >"$out" 2>&1
	rc=$?
	sed 's/^/    /' "$out"
	p=$(grep -cE '^ok [0-9]+' "$out")
	s=$(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$out")
	f=$(grep -cE '^not ok [0-9]+' "$out")
	p=$((p - s))
	if [ "$rc" = 4 ] && [ "$p" = 0 ] && [ "$f" = 0 ]; then
		[ "$s" = 0 ] && s=1
		echo "ok $i $name # SKIP"
	elif [ "$rc" != 0 ]; then
		[ "$f" = 0 ] && f=1 && echo "    # $name exited with status $rc"
		echo "not ok $i $name"
	else
		echo "ok $i $name"
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done
echo "# $layer: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
