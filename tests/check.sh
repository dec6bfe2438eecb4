#!/bin/sh
# make check: every test layer in turn, then one line summing their
# counts: "N passed, N failed, N skipped". A layer that dies before
# printing its count line counts as one failure. Each layer's wall time
# is printed after it, and all of them before the last line.
cd "$(dirname "$0")/.." || exit 1
layers=${FLOWPIC_LAYERS:-"unit bpf selftests kunit qemu"}
pass=0 fail=0 skip=0 times=""
log=$(mktemp)
pre=
trap '[ -n "$pre" ] && kill -- -"$pre" 2>/dev/null; rm -f "$log" "$log.kunit"' EXIT

# The KUnit layer's UML kernel is built in the background, at the lowest
# priority, from the start: a cold build takes many minutes of CPU that
# the earlier layers, waiting on traffic much of the time, leave idle.
# The layer itself waits for it (a lock) and prints its log only if it
# failed (the layer then builds again and reports why).
case " $layers " in
*" kunit "*)
	if [ "${FLOWPIC_KUNIT_PREBUILD:-1}" = 1 ]; then
		# its own process group, so that an early exit stops all of it
		setsid nice -n 19 sh tests/kunit/run.sh --build-only \
			>"$log.kunit" 2>&1 &
		pre=$!
	fi ;;
esac

for layer in $layers; do
	echo "# ==== layer: $layer ===="
	t0=$(date +%s)
	if [ "$layer" = kunit ] && [ -n "$pre" ]; then
		wait "$pre" || sed 's/^/# prebuild: /' "$log.kunit" | tail -20
		pre=
	fi
	make --no-print-directory "check-$layer" 2>&1 | tee "$log"
	t=$(($(date +%s) - t0))
	echo "# $layer: ${t} s"
	times="$times $layer ${t}s"
	line=$(grep -E "^# $layer: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped" "$log" | tail -1)
	if [ -z "$line" ]; then
		echo "# $layer: layer did not report its count: 1 failure"
		fail=$((fail + 1))
		continue
	fi
	set -- $(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/')
	pass=$((pass + $1)) fail=$((fail + $2)) skip=$((skip + $3))
done
echo "# wall time per layer:$times"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
