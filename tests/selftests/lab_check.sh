# SPDX-License-Identifier: GPL-2.0
# Shared by lab_classes.sh and lab_vpn.sh: check what one of the lab's
# quick runs left in $BIN. They take longer than the runner's time per
# test, so lab_runs.sh runs them apart, side by side, often while the
# runner runs the other tests; a run still going holds $BIN/NAME.lock,
# and the check waits for it there.

ksft_skip=4
BIN=${FLOWPIC_SELFTESTS_BIN:-$(cd "$(dirname "$0")/../../build/selftests" 2>/dev/null && pwd)}
TOP=${FLOWPIC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=$(test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

skip() { echo "# SKIP: $*"; exit $ksft_skip; }
fail() { echo "# FAIL: $*"; exit 1; }

# Seconds to wait for a run still going: its traffic lasts 1.5 minutes;
# a cold cache makes its media first, a loaded machine slows it down.
LAB_WAIT=${FLOWPIC_LAB_WAIT:-600}

# lab_check NAME: NAME.rc, NAME.log and NAME/ under $BIN.
lab_check() {
	name=$1
	if [ -e "$BIN/$name.lock" ] && ! flock -s -w "$LAB_WAIT" "$BIN/$name.lock" true; then
		sed 's/^/# /' "$BIN/$name.log" | tail -30
		fail "$name: the lab run is still going after $LAB_WAIT s"
	fi
	if [ ! -r "$BIN/$name.rc" ]; then
		# lab_runs.sh empties the log when a run starts and writes the
		# status when it ends.
		if [ -e "$BIN/$name.log" ]; then
			sed 's/^/# /' "$BIN/$name.log" | tail -30
			fail "$name: the lab run ended without its exit status (killed?)"
		fi
		skip "no $BIN/$name.rc: make check-selftests runs the lab first"
	fi
	rc=$(cat "$BIN/$name.rc")
	sed 's/^/# /' "$BIN/$name.log" | grep -v '^#  ' | tail -30
	[ "$rc" = 4 ] && skip "$(grep -m1 'lab:' "$BIN/$name.log")"
	[ "$rc" = 0 ] || fail "lab.sh exited $rc"
	dir=$BIN/$name
	set -- "$dir"/*.manifest.json
	man=$1
	pcap=${man%.manifest.json}.pcap
	csv=${man%.manifest.json}.labels.csv
	[ -s "$pcap" ] && [ -s "$csv" ] || fail "no capture or labels in $dir"
	# Nothing of the run is left: its namespaces and their /etc.
	pre=$(grep -o '"prefix": "[^"]*"' "$man" | cut -d'"' -f4)
	[ -n "$pre" ] || fail "no prefix in the manifest"
	ip netns list | grep -q "^$pre-" && fail "namespaces $pre-* left behind"
	ls -d /etc/netns/"$pre"-* >/dev/null 2>&1 && fail "/etc/netns/$pre-* left behind"
	# Every labelled flow has windows: flowpic dataset refuses labels
	# that match no window.
	"$TOP/build/flowpic" dataset -o "$TMP/w.fpd" --labels "$csv" --stats "$pcap" \
		2>"$TMP/ds.err" || fail "flowpic dataset: $(tail -3 "$TMP/ds.err")"
	echo "# flowpic dataset: $(grep -E '^(flows|windows) ' "$TMP/ds.err" | tr '\n' ' ')"
	# Per class: labelled rows, and the class's mark in the capture.
	for c in $($PY -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["classes"]))' "$man"); do
		n=$(awk -F, -v c="$c" 'NR > 1 && $7 == c' "$csv" | wc -l)
		echo "# $c: $n labelled flows in $(basename "$csv")"
		[ "$n" -gt 0 ] || fail "no labelled $c flow"
	done
	$PY "$TOP/tests/lab/check.py" "$man" "$pcap" >"$TMP/check.out"
	rc=$?
	sed 's/^/# /' "$TMP/check.out"
	[ $rc = 0 ] || fail "a class does not show its mark (see above)"
	echo "# PASS: $name"
	exit 0
}
