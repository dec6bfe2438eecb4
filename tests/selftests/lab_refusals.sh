#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The traffic lab refuses bad input with a clear message and leaves
# nothing behind: an unknown class, a seed or budget out of range, an
# unknown preset, a namespace name already taken (exit 2), a program
# missing (exit 4, the lab's skip).
ksft_skip=4
TOP=${FLOWPIC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${FLOWPIC_SELFTESTS_BIN:-$TOP/build/selftests}
LAB=$TOP/tests/lab/lab.sh
PRE=fplabref-$$
TMP=$(mktemp -d)
cleanup() {
	ip netns del "$PRE-c" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "# SKIP: not root"; exit $ksft_skip; }
command -v ip >/dev/null || { echo "# SKIP: ip is not installed"; exit $ksft_skip; }
IMPAIR=$BIN/impair
[ -x "$IMPAIR" ] || IMPAIR=$TOP/build/lab/impair
failed=0

# refused RC MESSAGE DESCRIPTION -- lab arguments...
refused() {
	want_rc=$1 want=$2 what=$3
	shift 4
	out=$(FLOWPIC_LAB_IMPAIR=$IMPAIR bash "$LAB" --prefix "$PRE" \
		--out "$TMP/out" "$@" 2>&1 >/dev/null)
	rc=$?
	left=$(ip netns list | awk '{print $1}' | grep "^$PRE-" | grep -vx "${KEEP:-none}")
	if [ "$rc" = "$want_rc" ] && printf '%s' "$out" | grep -qF -- "$want" &&
	   [ -z "$left" ] && [ ! -e "$TMP/out" ] && ! ls -d /etc/netns/"$PRE"-* >/dev/null 2>&1; then
		echo "# ok: $what: $out"
	else
		echo "# not ok: $what: exit $rc (wanted $want_rc), '$out' (wanted '$want'), left: $left $(ls -d "$TMP/out" 2>/dev/null)"
		failed=1
	fi
}

refused 2 "unknown class 'telepathy'" "unknown class" -- --classes voip,telepathy
refused 2 "--seed '-1': expected an integer" "negative seed" -- --seed -1
refused 2 "out of range 0..2147483647" "seed too large" -- --seed 99999999999
refused 2 "--minutes 0: out of range 1..120" "no budget" -- --minutes 0
refused 2 "--minutes 500: out of range 1..120" "budget too large" -- --minutes 500
refused 2 "expected a number of minutes" "budget not a number" -- --minutes ten
refused 2 "the only preset is 'quick'" "unknown preset" -- --preset slow
refused 2 "unknown option '--bogus'" "unknown option" -- --bogus

# A name taken: the lab must neither use nor remove our namespace.
ip netns add "$PRE-c" || { echo "# SKIP: cannot create namespaces"; exit $ksft_skip; }
KEEP=$PRE-c refused 2 "namespace name '$PRE-c' is already taken" "namespace taken" -- \
	--preset quick --classes chat
ip netns list | awk '{print $1}' | grep -qx "$PRE-c" ||
	{ echo "# not ok: the lab removed a namespace it did not make"; failed=1; }
ip netns del "$PRE-c"

# A program missing: a PATH with every program but baresip.
mkdir -p "$TMP/path"
ln -s /usr/bin/* "$TMP/path/" 2>/dev/null
rm -f "$TMP/path/baresip"
PATH=$TMP/path:/usr/sbin:/sbin refused 4 "baresip(baresip-core)" "program missing" -- \
	--preset quick --classes voip
IMPAIR=/nonexistent/impair refused 4 "/nonexistent/impair(make lab builds it)" \
	"impair not built" -- --preset quick --classes chat

[ $failed = 0 ] && echo "# PASS: lab refusals"
exit $failed
