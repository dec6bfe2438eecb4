#!/bin/sh
# make demo: flowpic's live pipeline on a namespace lab, in about two
# minutes. Real Debian programs make five kinds of traffic between two
# namespaces, one per class of the shipped category model: a bulk download
# with curl (file-transfer), an Opus/RTP call (voip) and a VP8/RTP video
# stream (video) with GStreamer, a chat over socat (chat), web browsing
# over HTTP/1.1 keep-alive connections (browsing, tests/demo/browse.py).
# flowpicd watches the server's interface with models/categories-mini.fpm
# (and its calibrated thresholds) and tests/demo/demo.policy, prints each
# labelled window as it comes; the summary gives, per kind, the majority
# label and its share of the windows, and says plainly when a kind did
# not get its own class; then what the policy did: the bulk download's
# throughput before and after its label shaped it. This traffic is not
# the training traffic (tests/lab makes that, with other programs,
# conditions and seeds).
#
# Environment: FLOWPIC_DEMO_MODEL (model file), FLOWPIC_DEMO_POLICY,
# FLOWPIC_DEMO_SECONDS (traffic duration, default: three windows, at most
# 75 s).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD

say() { printf '%s\n' "$*"; }
die() { say "demo: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (namespaces, BPF, qdiscs): sudo make demo"
sh .ci/deps.sh >/dev/null || die "installing packages failed (sh .ci/deps.sh)"
for p in gst-launch-1.0 socat curl wget busybox nsenter ss tc; do
	command -v "$p" >/dev/null || die "$p is missing (sh .ci/deps.sh)"
done

MODEL=${FLOWPIC_DEMO_MODEL:-models/categories-mini.fpm}
POLICY=${FLOWPIC_DEMO_POLICY:-tests/demo/demo.policy}
[ -x build/flowpicd ] || die "build/flowpicd is not built (make)"
make -s build/lab/impair >/dev/null || die "building build/lab/impair failed"
LAB_RTT_MS=${LAB_RTT_MS:-20}
[ -n "$MODEL" ] && [ -f "$MODEL" ] || die "no model in models/ (FLOWPIC_DEMO_MODEL=FILE)"

. tests/demo/lab.sh
PIN=/sys/fs/bpf/flowpic-demo-$$
STATE=$LAB_DIR/state
OUT=$LAB_DIR/windows.json
FPD_PID=""
PRINTER=""

cleanup() {
	if [ -n "$FPD_PID" ] && kill -0 "$FPD_PID" 2>/dev/null; then
		kill -TERM "$FPD_PID"
		wait "$FPD_PID" 2>/dev/null
	fi
	[ -n "$PRINTER" ] && kill "$PRINTER" 2>/dev/null
	lab_down
	rm -rf "$PIN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "== flowpic demo: model $MODEL, policy $POLICY"
build/flowpic model info "$MODEL" 2>/dev/null | sed 's/^/   /' | head -12

lab_up || die "could not build the namespace lab"
say "== lab: $LAB_SRV ($LAB_SIP, $LAB_SIF) <-> $LAB_CLI ($LAB_CIP), round trip $LAB_RTT_MS ms"
mkdir -p "$STATE"
: >"$OUT"

# flowpicd in the server's network namespace, on the host's bpffs.
lab_srv_net "$ROOT/build/flowpicd" -i "$LAB_SIF" --model "$MODEL" \
	--policy "$POLICY" --output "$OUT" --pin-dir "$PIN" \
	--state-dir "$STATE" --idle 30s --min-packets 3 \
	2>"$LAB_DIR/flowpicd.log" &
FPD_PID=$!
for i in $(seq 1 50); do
	[ -f "$STATE/flowpicd.stats" ] && break
	kill -0 "$FPD_PID" 2>/dev/null || break
	sleep 0.2
done
if ! [ -f "$STATE/flowpicd.stats" ]; then
	cat "$LAB_DIR/flowpicd.log" >&2
	die "flowpicd did not start"
fi
sed 's/^/   /' "$LAB_DIR/flowpicd.log"

window_s=$(sed -n 's/.*x[0-9]*, \([0-9.]*\) s windows.*/\1/p' "$LAB_DIR/flowpicd.log" |
	head -1)
window_s=${window_s:-15}
secs=${FLOWPIC_DEMO_SECONDS:-$(awk -v w="$window_s" \
	'BEGIN { s = int(3 * w + 5); if (s > 75) s = 75; if (s < 20) s = 20; print s }')}

# Which kind of traffic a flow is, by the lab's ports, and the class a
# kind is an instance of.
kind_of() {
	case "$1" in
	*:5004\ *|*:5004|*:5006\ *|*:5006) echo "audio call (RTP)" ;;
	*:5008\ *|*:5008|*:5010\ *|*:5010) echo "video (RTP)" ;;
	*:5222\ *|*:5222) echo "chat" ;;
	*:8080\ *|*:8080) echo "bulk download" ;;
	*:8000\ *|*:8000) echo "browsing (HTTP)" ;;
	*) echo "other" ;;
	esac
}
class_of() {
	case "$1" in
	"audio call (RTP)") echo voip ;;
	"video (RTP)") echo video ;;
	chat) echo chat ;;
	"bulk download") echo file-transfer ;;
	"browsing (HTTP)") echo browsing ;;
	*) echo - ;;
	esac
}

say "== traffic for $secs s (windows of $window_s s: labels from about ${window_s} s on)"
printf '   %-8s %-46s %-17s %3s %-14s %6s  %s\n' TIME FLOW KIND WIN LABEL CONF ACTION
tail -n +1 -f "$OUT" 2>/dev/null | while IFS= read -r line; do
	t=$(printf '%s' "$line" | sed -n 's/.*"time":"[^T]*T\([0-9:]*\)\..*/\1/p')
	flow=$(printf '%s' "$line" | sed -n 's/.*"flow":"\([^"]*\)".*/\1/p')
	win=$(printf '%s' "$line" | sed -n 's/.*"window":\([0-9]*\).*/\1/p')
	label=$(printf '%s' "$line" | sed -n 's/.*"label":"\([^"]*\)".*/\1/p')
	conf=$(printf '%s' "$line" | sed -n 's/.*"confidence":\([0-9.]*\).*/\1/p')
	act=$(printf '%s' "$line" | sed -n 's/.*"action":"\([^"]*\)".*/\1/p')
	printf '   %-8s %-46s %-17s %3s %-14s %6s  %s\n' "$t" "$flow" \
		"$(kind_of "$flow")" "$win" "$label" "$conf" "$act"
done &
PRINTER=$!
LAB_PIDS="$LAB_PIDS $PRINTER"

lab_web_server $((secs + 10))
lab_browse_server $((secs + 10)) 8000
lab_chat_server $((secs + 10))
sleep 0.5
lab_bulk "$secs" 6M
lab_audio_call "$secs"
lab_video "$secs"
lab_chat "$secs"
lab_browse "$secs" 8000

# The bulk download's throughput, second by second, from the client's
# socket (ss): what the policy's shaping does to it shows here.
: >"$LAB_DIR/bulk.tsv"
prev=0
for s in $(seq 1 "$secs"); do
	sleep 1
	b=$(lab_bulk_bytes)
	b=${b:-$prev}
	echo "$s $((b - prev))" >>"$LAB_DIR/bulk.tsv"
	prev=$b
done
sleep 1
# The live printer stops here, so that the summary is not interleaved.
pkill -P "$PRINTER" 2>/dev/null
kill "$PRINTER" 2>/dev/null
wait "$PRINTER" 2>/dev/null
PRINTER=""

say "== summary"
# Every labelled window, by kind: the majority label and its share. A kind
# passes when its majority label is its own class.
printf '   %-17s %-14s %-14s %7s %5s  %s\n' KIND CLASS "MAJORITY LABEL" SHARE WIN VERDICT
sed -n 's/.*"flow":"\([^"]*\)".*"label":"\([^"]*\)".*/\1|\2/p' "$OUT" |
	while IFS='|' read -r flow label; do
		printf '%s|%s\n' "$(kind_of "$flow")" "$label"
	done >"$LAB_DIR/kinds"
missed=0
for kind in "audio call (RTP)" "video (RTP)" "bulk download" "chat" "browsing (HTTP)"; do
	want=$(class_of "$kind")
	line=$(awk -F'|' -v k="$kind" '$1 == k { n++; c[$2]++ }
		END { if (!n) { print "- 0 0"; exit }
		      for (l in c) if (c[l] > c[b] || b == "") b = l
		      printf "%s %.0f %d\n", b, 100 * c[b] / n, n }' "$LAB_DIR/kinds")
	set -- $line
	if [ "$3" = 0 ]; then
		verdict="NOT MET: no window labelled"
		missed=$((missed + 1))
	elif [ "$1" = "$want" ] && [ "$2" -gt 50 ]; then
		verdict="ok"
	else
		verdict="NOT MET: $want in $(awk -F'|' -v k="$kind" -v w="$want" \
			'$1 == k { n++; c += $2 == w } END { printf "%.0f", n ? 100 * c / n : 0 }' \
			"$LAB_DIR/kinds")% of its windows"
		missed=$((missed + 1))
	fi
	printf '   %-17s %-14s %-14s %6s%% %5s  %s\n' "$kind" "$want" "$1" "$2" "$3" "$verdict"
done
nwin=$(wc -l <"$OUT")
if [ "$missed" = 0 ]; then
	say "   every kind got its own class in the majority of its windows ($nwin windows labelled)"
else
	say "   $missed of 5 kinds did NOT get their own class in the majority of their windows ($nwin windows labelled)"
fi

# The bulk flow is the HTTP flow with the most bytes; when was it first
# labelled, and with what action?
bulk=$(sed -n 's/.*"flow":"\([^"]*:8080[^"]*\)".*"bytes":\[\([0-9]*\),\([0-9]*\)\].*/\2 \3 \1/p' "$OUT" |
	awk '{ b = $1 + $2; $1 = $2 = ""; sub(/^ */, ""); if (b > max[$0]) max[$0] = b }
	     END { for (f in max) print max[f], f }' | sort -rn | head -1 | cut -d' ' -f2-)
if [ -n "$bulk" ]; then
	first=$(grep -F "\"flow\":\"$bulk\"" "$OUT" | head -1)
	label=$(printf '%s' "$first" | sed -n 's/.*"label":"\([^"]*\)".*/\1/p')
	act=$(printf '%s' "$first" | sed -n 's/.*"action":"\([^"]*\)".*/\1/p')
	say "   bulk download ($bulk): first labelled $label, action: $act"
fi
# Seconds before the first label vs after it (the first window's length).
w=$(printf '%.0f' "$window_s")
awk -v w="$w" '
	$1 <= w - 1 && $1 >= 2 { nb++; sb += $2 }
	$1 >= w + 3 { na++; sa += $2 }
	END {
		if (nb) printf "   bulk throughput before its label: %.1f Mbit/s (seconds 2..%d)\n", sb * 8 / nb / 1e6, w - 1;
		if (na) printf "   bulk throughput after its label:  %.1f Mbit/s (seconds %d..end)\n", sa * 8 / na / 1e6, w + 3;
	}' "$LAB_DIR/bulk.tsv"
say "   shaping classes on $LAB_SIF (tc -s class show):"
lab_srv tc -s class show dev "$LAB_SIF" 2>/dev/null |
	awk '/^class htb/ { c = $3; r = $0; sub(/.* rate /, "", r); sub(/ .*/, "", r) }
	     /Sent/ && c { printf "     %-9s rate %-8s sent %s bytes, %s packets\n", c, r, $2, $4; c = "" }'
say "== flowpic stats"
build/flowpic stats --pin-dir "$PIN" --state-dir "$STATE" 2>&1 | sed 's/^/   /'
say "== done; cleaning up"
