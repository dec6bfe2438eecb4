# shellcheck shell=bash
# Shared by the daemon_*.sh selftests: TAP lines, the namespace lab of
# tests/demo/lab.sh, models with a known verdict (daemon_model.c) and
# flowpicd started in the server's namespace on a private bpffs
# directory. Every test sources this from bash and calls fpd_setup.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FPD=$ROOT/build/flowpicd
FLOWPIC=$ROOT/build/flowpic
. "$ROOT/tests/demo/lab.sh"
PIN=/sys/fs/bpf/flowpic-t$$
STATE=$LAB_DIR/state
OUT=$LAB_DIR/windows.json
FPD_PID=""
WINDOW_MS=${WINDOW_MS:-2000}

tap_n=0
tap_fail=0
ok() {	# ok CONDITION-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_fail=$((tap_fail + 1))
	fi
}
skip_all() {
	echo "ok 1 - $(basename "$0") # SKIP $1"
	echo "1..1"
	exit 4
}
fail_all() {
	echo "not ok 1 - $(basename "$0"): $1"
	echo "1..1"
	exit 1
}
diag() { echo "# $*"; }
tap_end() {
	echo "1..$tap_n"
	[ "$tap_fail" = 0 ]
	exit $?
}

fpd_stop() {
	if [ -n "$FPD_PID" ] && kill -0 "$FPD_PID" 2>/dev/null; then
		kill -TERM "$FPD_PID"
		wait "$FPD_PID" 2>/dev/null
	fi
	FPD_PID=""
}

fpd_cleanup() {
	# An interrupted test cleans up all the same: neither a second signal
	# (kselftest's runner nests two timeouts, and each passes one on) nor
	# an output closed under it stops the clean-up half-way.
	trap '' INT TERM HUP PIPE
	fpd_stop
	# A test that killed flowpicd with --keep state left behind.
	lab_srv tc qdisc del dev "$LAB_SIF" clsact 2>/dev/null
	lab_down
	rm -rf "$PIN"
}

fpd_setup() {
	echo "TAP version 13"
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	[ -x "$FPD" ] || fail_all "build/flowpicd is not built (make)"
	[ -d /sys/fs/bpf ] || skip_all "no bpffs at /sys/fs/bpf"
	for p in socat curl busybox nsenter; do
		command -v "$p" >/dev/null || skip_all "$p is not installed"
	done
	trap fpd_cleanup EXIT
	trap 'exit 1' INT TERM
	lab_up || skip_all "cannot create namespaces and veth"
	mkdir -p "$STATE"
	: >"$OUT"
	# The model maker is built by the Makefile (TEST_GEN_PROGS_EXTENDED).
	MODEL_MAKER=${FLOWPIC_SELFTESTS_BIN:-$ROOT/build/selftests}/daemon_model
	[ -x "$MODEL_MAKER" ] || fail_all "$MODEL_MAKER is not built"
}

# make_model FILE CLASSES FAVOUR BIAS: a model that always says FAVOUR.
make_model() {
	"$MODEL_MAKER" "$1" "$WINDOW_MS" 32 "$2" "$3" "$4"
}

# fpd_start ARGS...: flowpicd on the server's interface; waits until it
# writes its stats (it is then attached and labelling).
fpd_start() {
	nsenter --net="/run/netns/$LAB_SRV" "$FPD" -i "$LAB_SIF" \
		--pin-dir "$PIN" --state-dir "$STATE" --output "$OUT" \
		--min-packets 2 --idle 1s "$@" 2>>"$LAB_DIR/flowpicd.log" &
	FPD_PID=$!
	local i
	rm -f "$STATE/flowpicd.stats"
	for i in $(seq 1 50); do
		[ -f "$STATE/flowpicd.stats" ] && return 0
		kill -0 "$FPD_PID" 2>/dev/null || break
		sleep 0.2
	done
	diag "flowpicd did not start:"
	sed 's/^/# /' "$LAB_DIR/flowpicd.log"
	return 1
}

# A UDP stream of $3 datagrams per second for $2 seconds from the client
# to the server's port $1; the server appends what arrives to $LAB_DIR/rx.$1.
udp_stream() {
	local port=$1 secs=$2 pps=$3
	: >"$LAB_DIR/rx.$port"
	lab_bg lab_srv timeout $((secs + 2)) socat -u \
		UDP-RECV:"$port",reuseaddr OPEN:"$LAB_DIR/rx.$port",append
	sleep 0.2
	lab_bg lab_cli timeout "$secs" bash -c '
		while :; do printf "%0100d\n" 0; sleep '"$(awk -v p="$pps" 'BEGIN { printf "%.4f", 1 / p }')"'; done |
		socat -u -b 101 - UDP-SENDTO:'"$LAB_SIP"':'"$port"',sourceport='"$port"
}

# Bytes received so far on a udp_stream port.
rx_bytes() { stat -c %s "$LAB_DIR/rx.$1" 2>/dev/null || echo 0; }

# The first JSON line whose flow mentions port $1.
first_label() { grep -m1 -E "\"flow\":\"[^\"]*:$1[ \"]" "$OUT"; }

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds
# or SECONDS pass. The tests wait for events, never for a fixed time, so a
# loaded machine makes them slower, not wrong; speed is `make bench`'s.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# refused [-s STATUS] EXPECTED-SUBSTRING DESCRIPTION -- command...: the
# command exits STATUS (1 unless given) with EXPECTED on standard error.
refused() {
	local st=1 want what out rc
	if [ "$1" = -s ]; then
		st=$2
		shift 2
	fi
	want=$1 what=$2
	shift 3
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = "$st" ] && printf '%s' "$out" | grep -qF -- "$want"; then
		ok 0 "$what: $out"
	else
		ok 1 "$what"
		diag "exit $rc, wanted $st and '$want', got: $out"
	fi
}

# fpd_stop_detached WHY: SIGTERM, then checks flowpicd said it stopped,
# detached its program (WHY says in what condition) and unpinned its maps.
fpd_stop_detached() {
	fpd_stop
	grep -q "flowpicd: stopped" "$LAB_DIR/flowpicd.log"
	ok $? "SIGTERM stops flowpicd cleanly"
	lab_srv tc filter show dev "$LAB_SIF" ingress | grep -q bpf
	ok $((! $?)) "and detaches the program $1"
	[ ! -e "$PIN/labels" ]
	ok $? "and unpins the maps"
}
