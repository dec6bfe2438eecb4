#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The traffic lab: real applications of five classes between two network
# namespaces, through a router namespace that shapes (tbf) and delays,
# jitters and drops (tests/lab/impair.c, a TUN relay: this kernel has no
# netem), optionally through OpenVPN; a capture on the client's wire, a
# labels CSV by construction and a manifest. docs/lab.md explains it.
#
#   lab.sh [--seed N] [--minutes M] [--classes a,b|all] [--vpn] [--out DIR]
#          [--offloads] [--preset quick] [--prefix NAME]
#
#   C (client) c0 192.0.2.0/24 -- rc R (router) rs -- s0 198.51.100.0/25 S (server)
#                                   tbf both ways, impair TUN in between
#
# Exit codes: 0 ok, 1 a failure (conditions missed, a step failed),
# 2 bad arguments or a namespace name taken, 4 a program is missing.

set -u

LAB=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$LAB/../.." && pwd)
IMPAIR=${FLOWPIC_LAB_IMPAIR:-$TOP/build/lab/impair}
GSO_SPLIT=${FLOWPIC_LAB_GSO_SPLIT:-$TOP/build/lab/gso_split}
FLOWPIC=${FLOWPIC_BIN:-$TOP/build/flowpic}
CACHE=${FLOWPIC_LAB_CACHE:-/var/cache/flowpic-lab}
ALL_CLASSES=voip,video,file-transfer,chat,browsing

# Debian's python3 (its slixmpp), not one earlier in PATH.
PY=${FLOWPIC_LAB_PYTHON:-$(test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)}
SEED=1 MINUTES=10 CLASSES=all VPN=0 OFFLOADS=0 OUT= PRESET= PREFIX=fplab-$$

die() { echo "lab: $*" >&2; exit 2; }

usage() {
	cat >&2 <<EOF
usage: lab.sh [--seed N] [--minutes M] [--classes LIST|all] [--vpn]
              [--out DIR] [--offloads] [--preset quick] [--prefix NAME]
  --seed N       0..2147483647: every choice of the run (1)
  --minutes M    1..120 minutes of traffic per class, side by side (10)
  --classes      comma-separated of: $ALL_CLASSES (all)
  --vpn          every session through its own OpenVPN tunnel
  --out DIR      captures, labels.csv, manifest.json (/var/tmp/flowpic-lab/seedN[-vpn][-offload])
  --offloads     client and server keep TSO/GSO/GRO on, as hosts do: they
                 send and acknowledge aggregates; the capture is cut back
                 into wire segments (gso_split)
  --preset quick 1.5 minutes, mild conditions, short sessions (tests)
  --prefix NAME  namespace prefix (fplab-PID); NAME-c, NAME-r, NAME-s
EOF
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--seed) [ $# -ge 2 ] || usage; SEED=$2; shift 2 ;;
	--minutes) [ $# -ge 2 ] || usage; MINUTES=$2; shift 2 ;;
	--classes) [ $# -ge 2 ] || usage; CLASSES=$2; shift 2 ;;
	--vpn) VPN=1; shift ;;
	--offloads) OFFLOADS=1; shift ;;
	--out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
	--preset) [ $# -ge 2 ] || usage; PRESET=$2; shift 2 ;;
	--prefix) [ $# -ge 2 ] || usage; PREFIX=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "lab: unknown option '$1'" >&2; usage ;;
	esac
done

# --- arguments -------------------------------------------------------------

case "$SEED" in
''|*[!0-9]*) die "--seed '$SEED': expected an integer 0..2147483647" ;;
esac
[ ${#SEED} -le 10 ] && [ "$SEED" -le 2147483647 ] ||
	die "--seed $SEED: out of range 0..2147483647"
QUICK=
case "$PRESET" in
'') ;;
quick) QUICK=--quick; MINUTES=1.5 ;;
*) die "--preset '$PRESET': the only preset is 'quick'" ;;
esac
echo "$MINUTES" | grep -Eq '^[0-9]+(\.[0-9]+)?$' ||
	die "--minutes '$MINUTES': expected a number of minutes, 1..120"
awk "BEGIN { exit !($MINUTES >= 1 && $MINUTES <= 120) }" ||
	die "--minutes $MINUTES: out of range 1..120"
[ "$CLASSES" = all ] && CLASSES=$ALL_CLASSES
for c in $(echo "$CLASSES" | tr , ' '); do
	case ",$ALL_CLASSES," in
	*",$c,"*) ;;
	*) die "--classes: unknown class '$c' (known: $ALL_CLASSES)" ;;
	esac
done
[ -n "$(echo "$CLASSES" | tr -d ,)" ] || die "--classes: empty"
echo "$PREFIX" | grep -Eq '^[a-z][a-z0-9-]{0,23}$' ||
	die "--prefix '$PREFIX': expected [a-z][a-z0-9-]{0,23}"
[ "$(id -u)" = 0 ] || { echo "lab: needs root (namespaces)" >&2; exit 4; }
NS_C=$PREFIX-c NS_R=$PREFIX-r NS_S=$PREFIX-s
for ns in $NS_C $NS_R $NS_S; do
	if ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns" ||
	   [ -e "/etc/netns/$ns" ]; then
		die "namespace name '$ns' is already taken; choose another --prefix"
	fi
done
SUFFIX=$([ $VPN = 1 ] && echo -vpn)$([ $OFFLOADS = 1 ] && echo -offload)
[ -n "$OUT" ] || OUT=/var/tmp/flowpic-lab/seed$SEED$SUFFIX

# --- programs --------------------------------------------------------------

# need CMD PACKAGE: a missing program ends the run as a skip (4).
MISSING=
need() {
	command -v "$1" >/dev/null 2>&1 || MISSING="$MISSING $1($2)"
}
need_gst() {
	gst-inspect-1.0 "$1" >/dev/null 2>&1 || MISSING="$MISSING gst:$1($2)"
}
for c in ip:iproute2 tc:iproute2 tcpdump:tcpdump ping:iputils-ping \
	 iperf3:iperf3 python3:python3 openssl:openssl ethtool:ethtool \
	 timeout:coreutils; do
	need "${c%%:*}" "${c#*:}"
done
[ -x "$IMPAIR" ] || MISSING="$MISSING $IMPAIR(make lab builds it)"
[ $OFFLOADS = 0 ] || [ -x "$GSO_SPLIT" ] || MISSING="$MISSING $GSO_SPLIT(make lab builds it)"
has() { case ",$CLASSES," in *",$1,"*) return 0 ;; esac; return 1; }
if has voip; then
	need baresip baresip-core; need espeak-ng espeak-ng
	need gst-launch-1.0 gstreamer1.0-tools
	need_gst opusenc gstreamer1.0-plugins-base
fi
if has video; then
	need ffmpeg ffmpeg; need nginx nginx-light
	need gst-launch-1.0 gstreamer1.0-tools
	need_gst dashdemux gstreamer1.0-plugins-bad
	need_gst hlsdemux gstreamer1.0-plugins-bad
	need_gst vp8enc gstreamer1.0-plugins-good
	need_gst x264enc gstreamer1.0-plugins-ugly
	need_gst avdec_h264 gstreamer1.0-libav
fi
if has file-transfer; then
	need sshd openssh-server; need ssh openssh-client; need rsync rsync
	need curl curl; need nginx nginx-light; need vsftpd vsftpd
	need lftp lftp; need aria2c aria2; need mktorrent mktorrent
	need opentracker opentracker
fi
if has chat; then
	need ngircd ngircd; need prosody prosody; need prosodyctl prosody
	$PY -c 'import slixmpp' 2>/dev/null ||
		MISSING="$MISSING slixmpp(python3-slixmpp)"
fi
if has browsing; then
	need chromium chromium; need nginx nginx-light
fi
[ $VPN = 1 ] && need openvpn openvpn
if [ -n "$MISSING" ]; then
	echo "lab: missing:$MISSING (make deps installs them)" >&2
	exit 4
fi

# --- clean-up: everything this run made, on every exit ---------------------

WORK=$(mktemp -d /tmp/fplab.XXXXXX)
chmod 755 "$WORK"
CREATED_NS=
PIDS=
cleanup() {
	trap - EXIT INT TERM
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	sleep 0.5
	for ns in $CREATED_NS; do
		# Whatever a session left running in a namespace of ours.
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	for ns in $CREATED_NS; do
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "lab: interrupted" >&2; exit 1' INT TERM

fail() { echo "lab: FAIL: $*" >&2; exit 1; }
log() { echo "lab: [${SECONDS}s] $*" >&2; }
in_c() { ip netns exec "$NS_C" "$@"; }
in_r() { ip netns exec "$NS_R" "$@"; }
in_s() { ip netns exec "$NS_S" "$@"; }
bg_s() { ip netns exec "$NS_S" "$@" & PIDS="$PIDS $!"; }

mkdir -p "$OUT" "$CACHE" || fail "cannot create $OUT or $CACHE"
OUT=$(cd "$OUT" && pwd)
NAME=lab-seed$SEED$SUFFIX
PLAN=$OUT/$NAME.plan.json
$PY "$LAB/plan.py" --seed "$SEED" --minutes "$MINUTES" \
	--classes "$CLASSES" --vpn $VPN $QUICK >"$PLAN" || fail "plan.py"

# sessions: "id class lane app mode start dur client server" per line.
$PY - "$PLAN" >"$WORK/sessions.list" <<'EOF' || fail "reading the plan"
import json, sys
p = json.load(open(sys.argv[1]))
for s in p["sessions"]:
    print(s["id"], s["class"], s["lane"], s["app"], s["mode"], s["start_s"],
          s["duration_s"], s["client"], s["server"])
EOF
param() {	# param ID KEY: one of a session's parameters
	$PY -c 'import json,sys; p=json.load(open(sys.argv[1]))
s=[s for s in p["sessions"] if s["id"]==int(sys.argv[2])][0]
v=s["params"][sys.argv[3]]
print(" ".join(map(str,v)) if isinstance(v,list) else v)' "$PLAN" "$1" "$2"
}
cond() {
	$PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["conditions"][sys.argv[2]])' "$PLAN" "$1"
}
RATE=$(cond rate_mbit) DELAY=$(cond delay_ms) JITTER=$(cond jitter_ms) LOSS=$(cond loss_pct)
log "seed $SEED, $MINUTES min, classes $CLASSES, vpn $VPN: ${RATE} Mbit/s, ${DELAY} ms +-${JITTER} ms one way, ${LOSS}% loss"

# --- namespaces, wire, conditions ------------------------------------------

for ns in $NS_C $NS_R $NS_S; do
	ip netns add "$ns" || fail "ip netns add $ns"
	CREATED_NS="$CREATED_NS $ns"
done
ip link add c0 netns "$NS_C" type veth peer name rc netns "$NS_R" || fail "veth c0/rc"
ip link add s0 netns "$NS_S" type veth peer name rs netns "$NS_R" || fail "veth s0/rs"
for ns_dev in "$NS_C c0" "$NS_R rc" "$NS_R rs" "$NS_S s0"; do
	set -- $ns_dev
	# Packets as the wire carries them: no GSO/GRO super-packets. With
	# --offloads the end hosts send TSO aggregates (the router's TUN cuts
	# them into segments on the way) and receive through GRO (on a veth
	# that gives it NAPI), so they acknowledge aggregates as a host with
	# a NIC does: fewer, later ACKs than one per two segments.
	if [ $OFFLOADS = 1 ] && [ "$2" = c0 -o "$2" = s0 ]; then
		ip netns exec "$1" ethtool -K "$2" tso on gso on gro on >/dev/null 2>&1 ||
			fail "ethtool -K $2 tso on gso on gro on"
	else
		ip netns exec "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1
	fi
	ip netns exec "$1" ip link set "$2" up
	ip netns exec "$1" ip link set lo up
done
# The first address of an interface is the one programs that pick "their"
# address find (baresip's SDP): session and lane addresses come first.
for i in $(seq 10 199); do
	echo "addr add 192.0.2.$i/24 dev c0"
done | in_c ip -batch - || fail "addresses on c0"
in_c ip addr add 192.0.2.5/24 dev c0
in_c ip route add 198.51.100.0/24 via 192.0.2.1
in_r ip addr add 192.0.2.1/24 dev rc
in_r ip addr add 198.51.100.1/25 dev rs
for i in 10 11 12 13 14 15 16; do
	in_s ip addr add 198.51.100.$i/25 dev s0
done
in_s ip addr add 198.51.100.5/25 dev s0
in_s ip route add 192.0.2.0/24 via 198.51.100.1
in_r sysctl -qw net.ipv4.ip_forward=1
for k in all default rc rs; do
	in_r sysctl -qw net.ipv4.conf.$k.rp_filter=0
done

# The delay/jitter/loss stage: everything arriving on rc or rs goes
# through impair's TUN, and comes back from it to the main table.
# Real-time priority: on a loaded host a delay stage that waits for the
# CPU adds its own jitter (it sleeps in poll, so it cannot hog one).
RT=
command -v chrt >/dev/null && chrt -f 10 true 2>/dev/null && RT="chrt -f 10"
in_r $RT "$IMPAIR" --tun imp0 --delay-ms "$DELAY" --jitter-ms "$JITTER" \
	--loss-pct "$LOSS" --seed "$SEED" --down-net 192.0.2.0/24 \
	--max-seconds $(awk "BEGIN { print int($MINUTES * 60 + 900) }") \
	--ready "$WORK/impair.ready" 2>"$WORK/impair.log" &
IMPAIR_PID=$!
PIDS="$PIDS $IMPAIR_PID"
for i in $(seq 50); do [ -e "$WORK/impair.ready" ] && break; sleep 0.1; done
[ -e "$WORK/impair.ready" ] || fail "impair did not start: $(cat "$WORK/impair.log")"
in_r sysctl -qw net.ipv4.conf.imp0.rp_filter=0
in_r ip link set imp0 up
in_r ip route add default dev imp0 table 100
in_r ip rule add iif rc lookup 100 pref 100
in_r ip rule add iif rs lookup 100 pref 101

# Bandwidth: a token bucket each way, burst 5 ms of the rate (>= 2 MTU).
BURST=$(awk "BEGIN { b = $RATE * 1e6 / 8 * 0.005; print int(b < 3028 ? 3028 : b) }")
for d in rc rs; do
	in_r tc qdisc add dev $d root tbf rate ${RATE}mbit burst $BURST latency 200ms ||
		fail "tbf on $d"
done

# Per-namespace /etc (ip netns exec binds /etc/netns/NS/* over /etc/*):
# names of the lab and, in C, the lab CA as the only trusted root.
mkdir -p "/etc/netns/$NS_C/ssl/certs" "/etc/netns/$NS_S"

# --- measured conditions ---------------------------------------------------

# Tolerances (docs/lab.md): median RTT within 2 ms + 15% of 2 x delay;
# rate within 15% of the tbf rate; loss within 3 binomial sigma + 0.5
# points of 1 - (1 - p)^2 (a ping crosses impair twice); RTT spread as the
# interquartile range, robust to the odd ping a loaded host stalls (a
# uniform +-j per direction gives a triangular RTT with IQR 1.17 j): at
# most 1.5 x 1.17 j + 5 ms (impair's timer and the host add up to ~4 ms
# with no jitter at all) and, with j >= 2 ms, at least j / 2.
measure() {
	bg_s iperf3 -s -B 198.51.100.5 -1 >/dev/null 2>&1
	IPERF_PID=$!
	sleep 0.5
	n=400
	in_c ping -I 192.0.2.5 -c $n -i 0.01 198.51.100.5 >"$WORK/ping.txt" 2>&1
	# The achieved rate is what c0 received while iperf3 sent at 1.5x.
	rx0=$(in_c cat /sys/class/net/c0/statistics/rx_bytes)
	in_c iperf3 -c 198.51.100.5 -B 192.0.2.5 -R -u -b $((RATE * 3 / 2))M -t 3 -l 1400 \
		--json >"$WORK/iperf.json" 2>&1
	rx1=$(in_c cat /sys/class/net/c0/statistics/rx_bytes)
	echo $((rx1 - rx0)) >"$WORK/rx_bytes"
	wait $IPERF_PID 2>/dev/null
	$PY - "$WORK/ping.txt" "$WORK/rx_bytes" "$RATE" "$DELAY" "$JITTER" "$LOSS" $n \
		>"$OUT/$NAME.conditions.json" <<'EOF'
import json, math, re, sys
ping, iperf, rate, delay, jitter, loss, n = sys.argv[1:8]
rate, delay, jitter, loss, n = float(rate), float(delay), float(jitter), float(loss) / 100, int(n)
t = open(ping).read()
m = re.search(r"(\d+) packets transmitted, (\d+) received", t)
sent, recv = int(m.group(1)), int(m.group(2))
r = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms", t)
rtt_min, rtt_avg, rtt_max, rtt_mdev = map(float, r.groups())
rtts = sorted(float(x) for x in re.findall(r"time=([\d.]+) ms", t))
def pct(q):
    return rtts[min(len(rtts) - 1, int(q * len(rtts)))] if rtts else float("nan")
rtt_med, rtt_iqr = pct(0.5), pct(0.75) - pct(0.25)
# Bytes on c0 (Ethernet frames, as tbf counts them) over iperf3's 3 s.
got = int(open(iperf).read()) * 8 / 3.0 / 1e6
exp_loss = 1 - (1 - loss) ** 2
tol_loss = 3 * math.sqrt(max(exp_loss * (1 - exp_loss), 1e-9) / n) + 0.005
meas_loss = 1 - recv / sent
tol_rtt = 2 + 0.15 * 2 * delay
checks = {
    "rtt": abs(rtt_med - 2 * delay) <= tol_rtt,
    "rate": abs(got - rate) <= 0.15 * rate,
    "loss": abs(meas_loss - exp_loss) <= tol_loss,
    "jitter": rtt_iqr <= 1.5 * 1.17 * jitter + 5 and (jitter < 2 or rtt_iqr >= 0.5 * jitter),
}
print(json.dumps({
    "claimed": {"rate_mbit": rate, "delay_ms": delay, "jitter_ms": jitter,
                "loss_pct": loss * 100},
    "measured": {"rtt_avg_ms": rtt_avg, "rtt_min_ms": rtt_min,
                 "rtt_max_ms": rtt_max, "rtt_mdev_ms": rtt_mdev,
                 "rtt_median_ms": rtt_med, "rtt_iqr_ms": round(rtt_iqr, 3),
                 "ping_sent": sent, "ping_received": recv,
                 "ping_loss_pct": round(100 * meas_loss, 3),
                 "udp_rate_mbit": round(got, 3),
                 "rate_method": "c0 rx bytes during 3 s of iperf3 UDP at 1.5x"},
    "expected": {"rtt_ms": 2 * delay, "rtt_tol_ms": round(tol_rtt, 3),
                 "rate_tol_mbit": 0.15 * rate,
                 "ping_loss_pct": round(100 * exp_loss, 3),
                 "ping_loss_tol_pct": round(100 * tol_loss, 3)},
    "checks": checks, "ok": all(checks.values())}, indent=1))
EOF
}
measure || fail "measuring the conditions"
grep -q '"ok": true' "$OUT/$NAME.conditions.json" ||
	fail "measured conditions miss the claimed ones: $(cat "$OUT/$NAME.conditions.json")"
log "conditions measured within tolerance ($OUT/$NAME.conditions.json)"

. "$LAB/apps.sh"
servers_start || fail "starting the servers"

# --- capture and sessions --------------------------------------------------

PCAP=$OUT/$NAME.pcap
CAPTURE=$PCAP
[ $OFFLOADS = 1 ] && CAPTURE=$WORK/offload.pcap	# aggregates, cut below
in_c tcpdump -i c0 -nn -s 200 -U -w "$CAPTURE" '(tcp or udp) and not host 192.0.2.5' \
	2>"$WORK/tcpdump.err" &
TCPDUMP_PID=$!
PIDS="$PIDS $TCPDUMP_PID"
for i in $(seq 100); do grep -qs listening "$WORK/tcpdump.err" && break; sleep 0.1; done
grep -qs listening "$WORK/tcpdump.err" || fail "tcpdump: $(cat "$WORK/tcpdump.err")"

BUDGET=$(awk "BEGIN { print int($MINUTES * 60) }")
T0=$(date +%s.%N)
: >"$WORK/sessions.tsv"
run_lane() {
	lane=$1
	while read -r id cls ln app mode start dur client server; do
		[ "$ln" = "$lane" ] || continue
		now=$(date +%s.%N)
		wait_s=$(awk "BEGIN { w = $T0 + $start - $now; print (w > 0 ? w : 0) }")
		sleep "$wait_s"
		# The lane's budget bounds the run: a session that would start
		# with less than 15 s left is not run, one that would overrun
		# is cut to the time left (both in the manifest).
		left=$(awk "BEGIN { print int($T0 + $BUDGET - $(date +%s.%N)) }")
		if [ "$left" -lt 15 ]; then
			echo "$id skipped" >>"$WORK/skipped"
			continue
		fi
		[ "$dur" -gt "$left" ] && dur=$left
		s0=$(date +%s.%N)
		( session_run "$id" "$cls" "$app" "$mode" "$dur" "$client" "$server" ) \
			>"$WORK/s$id.log" 2>&1
		rc=$?
		echo "$id $s0 $(date +%s.%N) $rc $dur" >>"$WORK/sessions.tsv"
		log "session $id $cls $app/$mode ${dur}s from $client: exit $rc"
	done <"$WORK/sessions.list"
}
LANE_PIDS=
for lane in $(awk '{print $3}' "$WORK/sessions.list" | sort -u); do
	run_lane "$lane" &
	LANE_PIDS="$LANE_PIDS $!"
done
PIDS="$PIDS $LANE_PIDS"
for p in $LANE_PIDS; do
	wait "$p"
done
sleep 2
kill -TERM "$TCPDUMP_PID"
wait "$TCPDUMP_PID" 2>/dev/null
kill -TERM "$IMPAIR_PID"
wait "$IMPAIR_PID" 2>/dev/null
T1=$(date +%s.%N)
SPLIT=
if [ $OFFLOADS = 1 ]; then
	SPLIT=$("$GSO_SPLIT" 1500 "$CAPTURE" "$PCAP") || fail "gso_split $CAPTURE"
	rm -f "$CAPTURE"
	set -- $SPLIT
	log "offloads: $1 aggregates in the capture, cut into $2 wire segments"
fi

# --- labels and manifest ---------------------------------------------------

for id in $(awk '{print $1}' "$WORK/sessions.tsv"); do
	cp "$WORK/s$id.log" "$OUT/$NAME.s$id.log" 2>/dev/null
done
$PY "$LAB/flows.py" "$PLAN" "$WORK/sessions.tsv" "$PCAP" \
	"$OUT/$NAME.labels.csv" "$WORK/flows.json" || fail "flows.py"
WINDOWS=
if [ -x "$FLOWPIC" ]; then
	"$FLOWPIC" dataset -o "$OUT/$NAME.fpd" --labels "$OUT/$NAME.labels.csv" \
		--stats "$PCAP" 2>"$WORK/dataset.err" ||
		fail "flowpic dataset does not read the labels: $(tail -5 "$WORK/dataset.err")"
	WINDOWS=$OUT/$NAME.fpd
fi
$PY - "$PLAN" "$WORK/sessions.tsv" "$WORK/flows.json" \
	"$OUT/$NAME.conditions.json" "$T0" "$T1" "$WORK/impair.log" \
	>"$OUT/$NAME.manifest.json" <<EOF || fail "manifest"
import json, sys
plan, sess, flows, cond, t0, t1, imp = sys.argv[1:8]
p = json.load(open(plan))
ran = {}
for line in open(sess):
    i, s, e, rc, d = line.split()
    ran[int(i)] = {"start": float(s), "end": float(e), "exit": int(rc),
                   "ran_s": int(d)}
for s in p["sessions"]:
    s.update(ran.get(s["id"], {"exit": None, "skipped": "out of time"}))
p["capture"] = "$NAME.pcap"
p["labels"] = "$NAME.labels.csv"
p["dataset"] = "$( [ -n "$WINDOWS" ] && echo "$NAME.fpd")"
p["conditions_measured"] = json.load(open(cond))
p["impair_counters"] = open(imp).read().strip().splitlines()
p["start"], p["end"] = float(t0), float(t1)
p["prefix"] = "$PREFIX"
p["offloads"] = $([ $OFFLOADS = 1 ] && echo True || echo False)
p["aggregates_cut"] = "$SPLIT"
p["namespaces"] = ["$NS_C", "$NS_R", "$NS_S"]
p["flows"] = json.load(open(flows))
p["programs"] = "$(for c in baresip ffmpeg nginx gst-launch-1.0 sshd rsync curl vsftpd lftp aria2c opentracker ngircd prosody chromium openvpn; do command -v $c >/dev/null && printf '%s ' $c; done)"
print(json.dumps(p, indent=1))
EOF
log "wrote $OUT/$NAME.{pcap,labels.csv,manifest.json,conditions.json}"
FAILED=$(awk '$4 != 0' "$WORK/sessions.tsv" | wc -l)
[ "$FAILED" = 0 ] || log "$FAILED session(s) exited non-zero (see $OUT/$NAME.s*.log)"
exit 0
