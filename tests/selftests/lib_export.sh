# shellcheck shell=bash
# Shared by the export_*.sh selftests, on top of lib_daemon.sh: a third
# namespace, the operators' collector host, joined to the server's by a
# veth pair of its own, so export traffic never crosses the interface
# flowpicd watches:
#
#   server ns $LAB_SRV: ${LAB}sx 198.51.100.1/24  <->  $COL: ${LAB}x0 198.51.100.2/24
#
# and windows whose count is known in advance: each udp_flow is a few
# datagrams each way within one window, so it makes exactly one window,
# which the idle sweep closes.
COL=${LAB}x
COL_IP=198.51.100.2
SRV_XIP=198.51.100.1

col() { ip netns exec "$COL" "$@"; }

# export_setup PROGRAM...: skips without the collectors' programs.
export_setup() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null ||
			{ echo "TAP version 13"; skip_all "$p is not installed"; }
	done
	fpd_setup
	ip netns add "$COL" || fail_all "cannot create namespace $COL"
	ip link add "${LAB}sx" netns "$LAB_SRV" type veth \
		peer name "${LAB}x0" netns "$COL" || fail_all "veth to $COL"
	lab_srv ip addr add "$SRV_XIP/24" dev "${LAB}sx"
	col ip addr add "$COL_IP/24" dev "${LAB}x0"
	lab_srv ip link set "${LAB}sx" up
	col ip link set "${LAB}x0" up
	col ip link set lo up
	col ping -c 1 -W 2 "$SRV_XIP" >/dev/null || fail_all "no path to $COL"
	trap 'export_cleanup' EXIT
	TRAFGEN=${FLOWPIC_SELFTESTS_BIN:-$ROOT/build/selftests}/trafgen
	[ -x "$TRAFGEN" ] || fail_all "$TRAFGEN is not built"
}

export_cleanup() {
	fpd_cleanup
	for p in $(ip netns pids "$COL" 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	sleep 0.2
	for p in $(ip netns pids "$COL" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$COL" 2>/dev/null
}

# udp_flow SPORT [ADDR]: 4 datagrams of 100 bytes each way, 20 ms apart,
# client port SPORT to the server's port SPORT: one window.
udp_flow() {
	local port=$1 addr=${2:-$LAB_SIP}
	lab_srv "$TRAFGEN" udp-echo "$addr" "$port" 4 10 &
	local echo=$!
	wait_for 5 bound "$port"
	lab_cli "$TRAFGEN" udp-send "$addr" "$port" "$port" 4 100 20 5
	wait "$echo"
}

# listening u|t PORT: something in the collector's namespace listens.
listening() { col ss -H -"$1"ln "sport = :$2" | grep -q .; }

bound() { lab_srv ss -H -uln "sport = :$1" | grep -q .; }

# The JSON lines flowpicd has written so far.
json_count() { wc -l <"$OUT"; }

# metric NAME[{LABELS}]: its value in flowpicd's /metrics (empty if none).
metric() {
	col curl -s -m 5 "http://$SRV_XIP:$METRICS_PORT/metrics" |
		awk -v m="$1" '$1 == m { print $2 }'
}

# flowpicd in the server's namespace as an operator would start it, for
# the refusals: fpd_refused ARGS...
fpd_refused() {
	nsenter --net="/run/netns/$LAB_SRV" "$FPD" -i "$LAB_SIF" \
		--pin-dir "$PIN" --state-dir "$STATE" --model "$LAB_DIR/m.fpm" \
		--policy "$LAB_DIR/p.policy" "$@"
}
