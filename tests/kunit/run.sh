#!/bin/sh
# KUnit layer: flowpic.ko's sources and the suites in tests/kunit/ built
# into a UML kernel by the kernel's own tools/testing/kunit/kunit.py, from
# Debian's linux-source of the headers' series (tests/linux-source.sh).
#
# The shared unpacked tree is never written to: the layer works in a
# hardlinked copy (FLOWPIC_CACHE/kunit-src, `cp -al`) whose only changed
# files are replaced, not edited (net/Kconfig, net/Makefile), and whose
# net/flowpic/ holds kmod/, include/, tests/vectors/ and the suites. The
# UML build folder (FLOWPIC_CACHE/kunit-build) is kept, so warm runs only
# rebuild flowpic's objects.
#
# The one UML kernel is a debug kernel, so every suite runs under the
# kernel's checkers: KASAN (out-of-bounds and use-after-free, which fail
# the test that hits them), lockdep with PROVE_LOCKING and PROVE_RCU,
# DEBUG_SPINLOCK. Their reports anywhere in the kernel log, at boot
# (flowpic.ko's own init runs there) or during a test, fail the layer.
# Two checkers are left out: DEBUG_ATOMIC_SLEEP depends on preemption,
# which UML does not have (ARCH_NO_PREEMPT), and kmemleak would report
# nothing, since UML halts right after the suites, long before kmemleak's
# first scan.
#
# Prints KTAP, then "# kunit: N passed, N failed, N skipped" counting test
# cases. Anything that keeps the suites from running is a failure.
#
# `run.sh --build-only` builds the UML kernel and stops: tests/check.sh
# starts it in the background at the lowest priority while the earlier
# layers run, so that a cold build (many minutes) overlaps them; the
# layer's own run then waits for it on the lock and finds it built.
cd "$(dirname "$0")/../.." || exit 1
build_only=
[ "${1:-}" = --build-only ] && build_only=1
repo=$PWD
cache=${FLOWPIC_CACHE:-/var/cache/flowpic}
over=$cache/kunit-src
build=$cache/kunit-build
jobs=${FLOWPIC_JOBS:-$(nproc)}
timeout=${FLOWPIC_KUNIT_TIMEOUT:-300}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

die() {
	echo "# kunit: $*"
	[ -s "$tmp/log" ] && tail -40 "$tmp/log" | sed 's/^/# /'
	echo "# kunit: 0 passed, 1 failed, 0 skipped"
	exit 1
}

src=$(sh tests/linux-source.sh) || die "no linux-source tree (make deps)"
[ -f "$src/tools/testing/kunit/kunit.py" ] || die "no kunit.py in $src"
command -v python3 >/dev/null || die "python3 is missing"

mkdir -p "$cache"
exec 8>"$cache/.kunit.lock"
flock 8

# Replaces @1 in the copy by a private file (breaking the hardlink to the
# shared tree) whose content is @1 plus the line @2, once.
hook() {
	grep -qxF "$2" "$over/$1" && return 0
	cp "$over/$1" "$over/$1.flowpic" &&
	echo "$2" >>"$over/$1.flowpic" &&
	mv -f "$over/$1.flowpic" "$over/$1"
}

# The copy and the build folder belong to one source tree: a new
# linux-source package (its identity is in .flowpic-unpacked) starts both
# afresh.
if [ ! -f "$over/.flowpic-overlay" ] ||
   [ "$(cat "$over/.flowpic-overlay")" != "$src $(cat "$src/.flowpic-unpacked")" ]; then
	echo "# kunit: making the hardlinked copy $over of $src"
	rm -rf "$over" "$build"
	cp -al "$src" "$over" || die "cp -al $src $over failed"
	rm -f "$over/.flowpic-unpacked"
	echo "$src $(cat "$src/.flowpic-unpacked")" >"$over/.flowpic-overlay"
fi
hook net/Kconfig 'source "net/flowpic/Kconfig"' || die "cannot hook net/Kconfig"
hook net/Makefile 'obj-$(CONFIG_FLOWPIC) += flowpic/kmod/' ||
	die "cannot hook net/Makefile"

# Copies @1 to @2 only when it changed, so make sees true timestamps.
sync_file() {
	cmp -s "$1" "$2" || cp "$1" "$2"
}

dst=$over/net/flowpic
mkdir -p "$dst/kmod" "$dst/include" "$dst/tests/vectors"
sync_file tests/kunit/Kconfig "$dst/Kconfig"
# Files gone from our tree must go from the copy too.
for f in "$dst"/kmod/* "$dst"/include/* "$dst"/tests/vectors/*; do
	[ -f "$f" ] || continue
	rel=${f#"$dst"/}
	base=${f##*/}
	case $rel in
	kmod/*.o | kmod/.*) ;;
	kmod/*) [ -f "kmod/$base" ] || [ -f "tests/kunit/$base" ] ||
			rm -f "$f" ;;
	*) [ -f "$rel" ] || rm -f "$f" ;;
	esac
done
for f in kmod/Kbuild kmod/*.c kmod/*.h tests/kunit/*.c; do
	case $f in *.mod.c) continue ;; esac	# made by `make kmod`
	[ -f "$f" ] && sync_file "$f" "$dst/kmod/${f##*/}"
done
for f in include/*.h; do
	sync_file "$f" "$dst/include/${f##*/}"
done
for f in tests/vectors/*.h; do
	sync_file "$f" "$dst/tests/vectors/${f##*/}"
done

# The checkers, added to tests/kunit/kunitconfig for this build.
debug="CONFIG_DEBUG_KERNEL=y CONFIG_KASAN=y CONFIG_PROVE_LOCKING=y
CONFIG_DEBUG_SPINLOCK=y"
add=""
for opt in $debug; do
	add="$add --kconfig_add=$opt"
done

echo "# kunit: building UML in $build (jobs $jobs; debug: $(echo $debug))"
if [ -n "$build_only" ]; then
	# shellcheck disable=SC2086 # $add is a list of options
	(cd "$over" && python3 tools/testing/kunit/kunit.py build \
		--build_dir="$build" --kunitconfig="$repo/tests/kunit/kunitconfig" \
		$add --jobs="$jobs")
	exit
fi
start=$(date +%s)
# shellcheck disable=SC2086 # $add is a list of options
(cd "$over" && python3 tools/testing/kunit/kunit.py run \
	--build_dir="$build" --kunitconfig="$repo/tests/kunit/kunitconfig" \
	$add --jobs="$jobs" --timeout="$timeout" --raw_output=all \
	'flowpic*') >"$tmp/log" 2>&1
rc=$?
echo "# kunit: kunit.py run exited $rc after $(($(date +%s) - start)) s"

# The KTAP the UML kernel printed, from its first version line on.
sed -n '/^K\?TAP version/,$p' "$tmp/log" >"$tmp/ktap"
[ -s "$tmp/ktap" ] || die "the UML kernel printed no KTAP (kunit.py exit $rc)"
# Kernel messages and kunit.py's own lines become KTAP diagnostics.
sed -E '/^ *(K?TAP version|1\.\.|ok |not ok |#)/!s/^/# /' "$tmp/ktap"
[ "$rc" = 0 ] || die "kunit.py run failed"

# The checkers' reports, wherever in the log they are. UML warns once at
# boot that its virtio PCI has no device ID (arch/um/drivers/virt-pci.c):
# the platform's, not flowpic's, so that one line is left out.
splat='BUG:|WARNING: CPU|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|INFO: trying to register non-static key|lock held when returning'
if grep -E "$splat" "$tmp/log" | grep -qv 'arch/um/drivers/virt-pci\.c'; then
	echo "# kunit: the kernel's checkers reported:"
	grep -E -A20 "$splat" "$tmp/log" | head -60 | sed 's/^/# /'
	splats=1
fi

# kunit.py's own parser judges the KTAP (crashes, missing plans, counts).
(cd "$over" && python3 tools/testing/kunit/kunit.py parse \
	--json="$tmp/result.json" "$tmp/ktap") >"$tmp/parse" 2>&1
prc=$?
counts=$(python3 - "$tmp/result.json" <<'EOF'
import json, sys
res = json.load(open(sys.argv[1]))
n = {"PASS": 0, "FAIL": 0, "SKIP": 0}
def walk(case):
    # A test case is a leaf; parameterised cases count once each param.
    subs = case.get("sub_groups") or []
    cases = case.get("test_cases") or []
    for s in subs:
        walk(s)
    for c in cases:
        st = c.get("status", "FAIL")
        n["PASS" if st == "PASS" else "SKIP" if st == "SKIP" else "FAIL"] += 1
walk(res)
print(n["PASS"], n["FAIL"], n["SKIP"])
EOF
) || die "cannot read kunit.py's JSON result"
set -- $counts
pass=$1 fail=$2 skip=$3
if [ "$prc" != 0 ] && [ "$fail" = 0 ]; then
	sed 's/^/# /' "$tmp/parse" | tail -20
	fail=1
fi
[ -n "$splats" ] && fail=$((fail + 1))
if [ $((pass + fail + skip)) = 0 ]; then
	echo "# kunit: no flowpic test case ran"
	fail=1
fi
echo "# kunit: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
