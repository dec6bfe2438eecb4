# SPDX-License-Identifier: GPL-2.0
# Shared by the flowpic selftest scripts: two network namespaces joined by
# a veth pair with documentation addresses, the tc program loaded by
# dpctl, and a cleanup that runs on every exit.
#
#   A: a0 192.0.2.1/24 2001:db8::1/64  <->  B: b0 192.0.2.2/24 2001:db8::2/64

ksft_skip=4
BIN=${FLOWPIC_SELFTESTS_BIN:-$(cd "$(dirname "$0")/../../build/selftests" 2>/dev/null && pwd)}
TOP=${FLOWPIC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
NS_A=fpic-a-$$
NS_B=fpic-b-$$
PIN=/sys/fs/bpf/flowpic-selftest-$$
A4=192.0.2.1 B4=192.0.2.2 A6=2001:db8::1 B6=2001:db8::2
TMP=$(mktemp -d)
DPCTL_PID=
BG_PIDS=

cleanup() {
	for p in $BG_PIDS $DPCTL_PID; do
		kill "$p" 2>/dev/null
	done
	for p in $BG_PIDS $DPCTL_PID; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "$PIN" "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

skip() {
	echo "# SKIP: $*"
	exit $ksft_skip
}

fail() {
	echo "# FAIL: $*"
	exit 1
}

require() {
	[ "$(id -u)" = 0 ] || skip "not root"
	for c in ip tc nsenter "$@"; do
		command -v "$c" >/dev/null || skip "$c is not installed"
	done
	[ -x "$BIN/dpctl" ] || fail "$BIN/dpctl is missing (make check-selftests builds it)"
}

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

setup_pair() {
	ip netns add "$NS_A" || skip "cannot create network namespaces"
	ip netns add "$NS_B" || fail "ip netns add $NS_B"
	ip link add a0 netns "$NS_A" type veth peer name b0 netns "$NS_B" ||
		skip "cannot create a veth pair"
	in_a ip addr add $A4/24 dev a0
	in_b ip addr add $B4/24 dev b0
	in_a ip addr add $A6/64 dev a0 nodad
	in_b ip addr add $B6/64 dev b0 nodad
	in_a ip link set a0 up
	in_b ip link set b0 up
	in_a ip link set lo up
	in_b ip link set lo up
	in_a ping -q -c 1 -W 2 $B4 >/dev/null || fail "no IPv4 path A -> B"
	in_a ping -q -c 1 -W 2 $B6 >/dev/null || fail "no IPv6 path A -> B"
}

# wait_for FILE SECONDS: until FILE exists.
wait_for() {
	i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ $i -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# dp_start ARGS...: the tc program on a0, windows to $TMP/windows.
dp_start() {
	nsenter --net=/run/netns/"$NS_A" "$BIN/dpctl" run -d "$PIN" -i a0 \
		--ready "$TMP/dp.ready" "$@" >"$TMP/windows" 2>"$TMP/dpctl.err" &
	DPCTL_PID=$!
	wait_for "$TMP/dp.ready" 20 ||
		fail "dpctl did not start: $(cat "$TMP/dpctl.err")"
}

# dp_stop: closes every open window into $TMP/windows and unloads.
dp_stop() {
	[ -n "$DPCTL_PID" ] || return 0
	kill -TERM "$DPCTL_PID"
	wait "$DPCTL_PID" || fail "dpctl failed: $(cat "$TMP/dpctl.err")"
	DPCTL_PID=
}

# capture_start FILE [NS DEV FILTER]: tcpdump into FILE on DEV in
# namespace NS (default: a0 in A, TCP and UDP only), its messages in
# $TMP/tcpdump.err, until capture_stop.
capture_start() {
	ip netns exec "${2:-$NS_A}" tcpdump -i "${3:-a0}" -nn -U --immediate-mode \
		-w "$1" "${4:-tcp or udp}" 2>"$TMP/tcpdump.err" &
	CAP_PID=$!
	BG_PIDS="$BG_PIDS $CAP_PID"
	i=0
	until grep -qs listening "$TMP/tcpdump.err"; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "tcpdump did not start"
		sleep 0.1
	done
}

capture_stop() {
	sleep 0.3
	kill -TERM "$CAP_PID"
	wait "$CAP_PID" 2>/dev/null
}
