#!/bin/bash
# Live labels are offline labels: flowpicd labels the demo's kinds of
# traffic (an RTP call and an RTP video, a chat, a bulk download with
# TSO/GSO/GRO on, keep-alive browsing) with the shipped category model
# while tcpdump captures the same interface; `flowpic classify` of that
# capture, its GSO/GRO packets cut into the segments the wire carried
# (gso_split), must give every window flowpicd labelled the same label.
# The kernel bins a packet at its hook and tcpdump stamps it a few
# microseconds away, so only a packet that close to a time-bin edge
# (0.47 s bins) can land in the neighbouring column; a label never moved
# for that in the runs so far, and the test prints every confidence it
# compares.
. "$(dirname "$0")/lib_daemon.sh"
require_cmd() { command -v "$1" >/dev/null || skip_all "$1 is not installed"; }
for p in tcpdump gst-launch-1.0 python3 ethtool; do require_cmd "$p"; done
LAB_RTT_MS=20
for p in impair gso_split; do
	[ -x "$ROOT/build/lab/$p" ] ||
		fail_all "$ROOT/build/lab/$p is not built (make build/lab/$p)"
done
fpd_setup
BIN=${FLOWPIC_SELFTESTS_BIN:-$ROOT/build/selftests}
MODEL=$ROOT/models/categories-mini.fpm
SECS=${FLOWPIC_OFFLINE_SECONDS:-33}	# two 15 s windows and a bit
ARGS="--min-packets 3 --idle 30s"

# The defaults of a host: segmentation and receive offloads on.
lab_srv ethtool -K "$LAB_SIF" tso on gso on gro on >/dev/null 2>&1
lab_cli ethtool -K "$LAB_CIF" tso on gso on gro on >/dev/null 2>&1

classes=$("$FLOWPIC" model info "$MODEL" | awk '$1 == "classes" { for (i = 3; i <= NF; i++) print $i }')
[ -n "$classes" ] || fail_all "$MODEL: no classes in flowpic model info"
for c in $classes unknown; do echo "$c pass"; done >"$LAB_DIR/p.policy"

lab_srv tcpdump -i "$LAB_SIF" -nn -U --immediate-mode -s 256 \
	-w "$LAB_DIR/cap.pcap" 'tcp or udp' 2>"$LAB_DIR/tcpdump.err" &
CAP=$!
wait_for 10 grep -qs listening "$LAB_DIR/tcpdump.err" ||
	fail_all "tcpdump did not start: $(cat "$LAB_DIR/tcpdump.err")"

# shellcheck disable=SC2086
fpd_start --model "$MODEL" --policy "$LAB_DIR/p.policy" $ARGS ||
	{ ok 1 "flowpicd starts with $MODEL"; kill -TERM $CAP; tap_end; }
ok 0 "flowpicd starts with $MODEL"

lab_web_server $((SECS + 10))
lab_chat_server $((SECS + 10))
lab_browse_server $((SECS + 10))
listening() { lab_srv ss -ltnH "sport = :$1" | grep -q .; }
for port in 8080 5222 8000; do
	wait_for 10 listening $port || diag "nothing listens on $port after 10 s"
done
lab_audio_call "$SECS"
lab_video "$SECS"
lab_chat "$SECS"
lab_bulk "$SECS" 2M
lab_browse "$SECS"

# Window 1 of the continuous kinds closes when their first packet past
# 30 s arrives.
second_windows() {
	grep -q '"flow":"UDP 192.0.2.1:5004 <-> 192.0.2.2:5006","window":1,' "$OUT" &&
	grep -q '"flow":"UDP 192.0.2.1:5010 <-> 192.0.2.2:5008","window":1,' "$OUT" &&
	grep -qE '"flow":"TCP 192.0.2.1:8080 <-> [^"]*","window":1,' "$OUT"
}
wait_for $((SECS + 30)) second_windows
ok $? "flowpicd labelled the second window of the call, the video and the download"
sleep 1
kill -TERM $CAP
wait $CAP 2>/dev/null
fpd_stop
grep -h "dropped by kernel" "$LAB_DIR/tcpdump.err" | sed 's/^/# tcpdump: /'

set -- $("$ROOT/build/lab/gso_split" 1500 "$LAB_DIR/cap.pcap" "$LAB_DIR/wire.pcap")
[ -n "${2:-}" ]
ok $? "gso_split: ${1:-?} GSO/GRO packets in the capture, cut into ${2:-?} segments"
# shellcheck disable=SC2086
"$FLOWPIC" classify "$MODEL" "$LAB_DIR/wire.pcap" --json $ARGS \
	>"$LAB_DIR/offline.json" 2>"$LAB_DIR/classify.err"
ok $? "flowpic classify of the capture ($(wc -l <"$LAB_DIR/offline.json") windows)"

python3 - "$OUT" "$LAB_DIR/offline.json" <<'EOF'
import json, sys

def windows(path):
    out = {}
    for line in open(path):
        r = json.loads(line)
        out[(r['flow'], r['window'])] = (r['label'], r['confidence'])
    return out

live, offline = windows(sys.argv[1]), windows(sys.argv[2])
same = missing = differ = 0
ports = set()
for k in sorted(live):
    lab, conf = live[k]
    if k not in offline:
        print('# %s window %d: live %s %.4f, not in the capture' % (k[0], k[1], lab, conf))
        missing += 1
        continue
    olab, oconf = offline[k]
    print('# %s window %d: live %s %.4f, offline %s %.4f' % (k[0], k[1], lab, conf, olab, oconf))
    if lab == olab:
        same += 1
        ports.add(k[0].split(' ')[1])
    else:
        differ += 1
print('# %d windows labelled live: %d the same offline, %d different, %d missing; %d server endpoints'
      % (len(live), same, differ, missing, len(ports)))
sys.exit(0 if same >= 8 and len(ports) >= 4 and not differ and not missing else 1)
EOF
ok $? "every window flowpicd labelled has the same label from flowpic classify of the capture"
tap_end
