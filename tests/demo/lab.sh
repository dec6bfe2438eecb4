# shellcheck shell=bash
# The namespace lab shared by `make demo` and the daemon's selftests:
# two network namespaces joined by a veth pair, documentation addresses
# only, and real Debian programs making distinct kinds of traffic. Source
# it from bash; every generator is bounded by timeout(1), and lab_down
# (called from the caller's EXIT trap) kills what is left and deletes the
# namespaces.
#
#   server  ns $LAB_SRV, $LAB_SIF 192.0.2.1/24 2001:db8::1/64
#   client  ns $LAB_CLI, $LAB_CIF 192.0.2.2/24 2001:db8::2/64
#
# With LAB_RTT_MS set, the client's IPv4 path to the server has that
# round trip time (lab_delay).
#
# flowpicd watches $LAB_SIF, so the server's sends leave through it: a
# "shape" policy holds downloads on that interface's egress.

LAB=${LAB:-fp$$}
LAB_SRV=${LAB}s
LAB_CLI=${LAB}c
LAB_SIF=${LAB}s0
LAB_CIF=${LAB}c0
LAB_SIP=192.0.2.1
LAB_CIP=192.0.2.2
LAB_DIR=${LAB_DIR:-/tmp/flowpic-lab.$$}
LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_PIDS=""

lab_srv() { ip netns exec "$LAB_SRV" "$@"; }
lab_cli() { ip netns exec "$LAB_CLI" "$@"; }
# Runs a program in the server's network namespace only, keeping the
# host's mounts (bpffs at /sys/fs/bpf), as flowpicd needs.
lab_srv_net() { nsenter --net="/run/netns/$LAB_SRV" "$@"; }

# Background a command, remembered for lab_down. Its standard output
# goes nowhere: a program that outlived its caller (the delay stage runs
# up to 15 minutes) must not hold a test runner's output pipe open.
lab_bg() {
	"$@" >/dev/null &
	LAB_PIDS="$LAB_PIDS $!"
}

lab_up() {
	mkdir -p "$LAB_DIR" || return 1
	ip netns add "$LAB_SRV" || return 1
	ip netns add "$LAB_CLI" || return 1
	ip link add "$LAB_SIF" netns "$LAB_SRV" type veth \
		peer name "$LAB_CIF" netns "$LAB_CLI" || return 1
	lab_srv ip link set lo up
	lab_cli ip link set lo up
	lab_srv ip addr add "$LAB_SIP/24" dev "$LAB_SIF"
	lab_cli ip addr add "$LAB_CIP/24" dev "$LAB_CIF"
	lab_srv ip addr add 2001:db8::1/64 dev "$LAB_SIF" nodad
	lab_cli ip addr add 2001:db8::2/64 dev "$LAB_CIF" nodad
	lab_srv ip link set "$LAB_SIF" up
	lab_cli ip link set "$LAB_CIF" up
	if [ -n "${LAB_RTT_MS:-}" ]; then
		lab_delay "$LAB_RTT_MS" || return 1
	fi
	lab_cli ping -c 1 -W 2 "$LAB_SIP" >/dev/null
}

# A WAN-like path, so that TCP behaves as on the internet rather than at
# memory speed: the client's IPv4 packets to the server take a detour
# through the traffic lab's delay stage (tests/lab/impair.c, a TUN relay:
# not every kernel has netem), $1 ms, which is the round trip time. The
# relayed packets come back into the client namespace on imp0 and are
# forwarded out of the veth, so the server sees them as sent.
lab_delay() {
	local impair=$LAB_ROOT/build/lab/impair i
	[ -x "$impair" ] || { echo "lab: $impair is not built (make build/lab/impair)" >&2; return 1; }
	lab_bg lab_cli "$impair" --tun imp0 --delay-ms "$1" --jitter-ms 0 \
		--loss-pct 0 --seed 1 --down-net 198.51.100.0/24 \
		--max-seconds 900 --ready "$LAB_DIR/impair.ready" \
		2>"$LAB_DIR/impair.log"
	for i in $(seq 50); do
		[ -e "$LAB_DIR/impair.ready" ] && break
		sleep 0.1
	done
	[ -e "$LAB_DIR/impair.ready" ] ||
		{ echo "lab: impair did not start: $(cat "$LAB_DIR/impair.log")" >&2; return 1; }
	lab_cli sysctl -qw net.ipv4.ip_forward=1
	for i in all default imp0; do
		lab_cli sysctl -qw net.ipv4.conf.$i.rp_filter=0
	done
	# the relayed packets carry the client's own address
	lab_cli sysctl -qw net.ipv4.conf.imp0.accept_local=1
	lab_cli ip link set imp0 up
	lab_cli ip route add default dev imp0 table 100
	lab_cli ip rule add iif lo to "$LAB_SIP" lookup 100 pref 100
}

lab_down() {
	local p
	for p in $LAB_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $LAB_PIDS; do
		wait "$p" 2>/dev/null
	done
	LAB_PIDS=""
	# Anything still running inside the namespaces (a server's children).
	for ns in "$LAB_SRV" "$LAB_CLI"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$p" 2>/dev/null
		done
	done
	sleep 0.2
	for ns in "$LAB_SRV" "$LAB_CLI"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$LAB_DIR"
}

# --- servers ---------------------------------------------------------------

# busybox httpd on :${2:-8080} serving a small web site and a large file.
lab_web_server() {
	local d=$LAB_DIR/www i
	mkdir -p "$d/img" "$d/css"
	truncate -s 4G "$d/bulk.bin"
	for i in $(seq 1 12); do
		head -c $((2000 + i * 9000)) /dev/urandom >"$d/img/$i.jpg"
	done
	head -c 30000 /dev/urandom | base64 >"$d/css/site.css"
	head -c 90000 /dev/urandom | base64 >"$d/app.js"
	for i in $(seq 1 8); do
		{
			echo "<html><head><link href=css/site.css rel=stylesheet>"
			echo "<script src=app.js></script></head><body>"
			head -c $((3000 + i * 2000)) /dev/urandom | base64
			echo "<img src=img/$i.jpg><img src=img/$((i + 4)).jpg>"
			echo "</body></html>"
		} >"$d/page$i.html"
	done
	lab_bg lab_srv timeout "${1:-120}" busybox httpd -f -p "${2:-8080}" -h "$d"
}

# socat chat server on :5222: answers each line after a short think.
lab_chat_server() {
	lab_bg lab_srv timeout "${1:-120}" socat \
		TCP-LISTEN:5222,reuseaddr,fork \
		SYSTEM:'while read -r l; do sleep 0.$(( $(od -An -N1 -tu1 /dev/urandom) % 5 + 1 )); echo "ack: $l"; done',pty=0
}

# --- clients (each bounded by $1 seconds) ----------------------------------

# Bulk download: curl at up to $2 bytes/s (default 6M = 48 Mbit/s).
lab_bulk() {
	lab_bg lab_cli timeout "$1" curl -s -o /dev/null \
		--limit-rate "${2:-6M}" "http://$LAB_SIP:8080/bulk.bin"
}

# An RTP audio call: Opus at 48 kbit/s each way, 20 ms packets.
lab_audio_call() {
	lab_bg lab_cli timeout "$1" gst-launch-1.0 -q \
		audiotestsrc is-live=true wave=pink-noise ! \
		audio/x-raw,rate=48000,channels=1 ! \
		opusenc bitrate=48000 frame-size=20 ! rtpopuspay ! \
		udpsink host="$LAB_SIP" port=5004 bind-port=5006
	lab_bg lab_srv timeout "$1" gst-launch-1.0 -q \
		audiotestsrc is-live=true wave=pink-noise ! \
		audio/x-raw,rate=48000,channels=1 ! \
		opusenc bitrate=48000 frame-size=20 ! rtpopuspay ! \
		udpsink host="$LAB_CIP" port=5006 bind-port=5004
}

# A video stream: VP8 over RTP, 640x360 at 25 frames/s, about 1.5 Mbit/s,
# from the server to the client.
lab_video() {
	lab_bg lab_srv timeout "$1" gst-launch-1.0 -q \
		videotestsrc is-live=true pattern=ball ! \
		video/x-raw,width=640,height=360,framerate=25/1 ! \
		vp8enc deadline=1 cpu-used=8 target-bitrate=1500000 \
		keyframe-max-dist=50 ! rtpvp8pay mtu=1400 ! \
		udpsink host="$LAB_CIP" port=5008 bind-port=5010
}

# An interactive chat: a line every 0.3 .. 3 s, answered by the server.
lab_chat() {
	local t=$1
	lab_bg lab_cli timeout "$t" bash -c '
		end=$((SECONDS + '"$t"'))
		while [ $SECONDS -lt $end ]; do
			echo "message $SECONDS $(head -c $((RANDOM % 120 + 8)) /dev/urandom | base64 -w0)"
			sleep $((RANDOM % 3)).$((RANDOM % 10))
		done | socat - TCP:'"$LAB_SIP"':5222 >/dev/null'
}

# Web browsing as a browser does it (tests/demo/browse.py): HTTP/1.1
# keep-alive connections to the web site on port $2 (8000), a page then its
# images, style and script over three of them, reading for 2 .. 8 s, the
# next page over the same connections. lab_browse_server serves the site
# that lab_web_server made.
lab_browse_server() {
	lab_bg lab_srv timeout "${1:-120}" python3 "$LAB_ROOT/tests/demo/browse.py" \
		serve "${2:-8000}" "$LAB_DIR/www"
}

lab_browse() {
	lab_bg lab_cli timeout "$1" python3 "$LAB_ROOT/tests/demo/browse.py" \
		browse "$LAB_SIP" "${2:-8000}" "$1"
}

# Bytes the client has received on the bulk download so far (ss -ti).
lab_bulk_bytes() {
	lab_cli ss -tinH state established dst "$LAB_SIP" dport = :8080 |
		sed -n 's/.*bytes_received:\([0-9]*\).*/\1/p' | sort -n | tail -1
}
