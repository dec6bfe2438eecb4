#!/bin/bash
# Policy effects, measured: a dropped class stops passing once labelled;
# a shaped class is held to its HTB rate within 20%; the HTB qdisc goes
# away when flowpicd stops.
. "$(dirname "$0")/lib_daemon.sh"
fpd_setup
W=$((WINDOW_MS / 1000))

# --- drop -------------------------------------------------------------------
make_model "$LAB_DIR/m.fpm" "bad,good" 0 4
printf 'bad drop\ngood pass\n' >"$LAB_DIR/drop.policy"
fpd_start --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/drop.policy" ||
	{ ok 1 "flowpicd starts"; tap_end; }
# The stream outlasts its label by far; the test waits for the label, so
# a loaded machine only makes it slower.
udp_stream 6001 $((W + 25)) 50
sleep 1
a=$(rx_bytes 6001)
wait_for $((W + 15)) first_label 6001
first_label 6001 | grep -q '"label":"bad","confidence":[0-9.]*,"action":"drop"'
ok $? "the stream is labelled 'bad', action drop"
sleep 0.5	# the label's write and the packets in flight
b=$(rx_bytes 6001)
sleep 3
c=$(rx_bytes 6001)
[ "$a" -gt 0 ]
ok $? "before its label the stream passes ($a bytes in 1 s)"
[ "$c" = "$b" ]
ok $? "after its label nothing more arrives ($((c - b)) bytes in 3 s)"
dropped() {
	"$FLOWPIC" stats --pin-dir "$PIN" --state-dir "$STATE" |
		awk '$1 == "dropped" { print $2 }'
}
# The stream still runs: the count is there and goes on growing (its pace
# is the sender's, which a loaded machine slows).
d=$(dropped)
sleep 1
d2=$(dropped)
[ "${d:-0}" -gt 0 ] && [ "${d2:-0}" -gt "${d:-0}" ]
ok $? "the kernel counts the drops (${d:-0} packets, ${d2:-0} a second later)"
fpd_stop

# --- shape ------------------------------------------------------------------
RATE_MBIT=${RATE_MBIT:-20}
printf 'bad shape %smbit\ngood pass\n' "$RATE_MBIT" >"$LAB_DIR/shape.policy"
fpd_start --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/shape.policy" ||
	{ ok 1 "flowpicd starts with shape"; tap_end; }
lab_srv tc qdisc show dev "$LAB_SIF" root | grep -q "htb f1c:"
ok $? "shape: flowpicd put its HTB qdisc on $LAB_SIF"
lab_web_server 40
sleep 0.3
lab_bulk $((W + 30)) 10M	# 80 Mbit/s before the label
sleep 1
b0=$(lab_bulk_bytes)
sleep 1
b1=$(lab_bulk_bytes)
before=$(awk -v b="$(( ${b1:-0} - ${b0:-0} ))" 'BEGIN { printf "%.1f", b * 8 / 1e6 }')
# Measured over 7 s from 2 s after the download's first label.
wait_for $((W + 15)) grep -q '"flow":"TCP [^"]*:8080 <-> ' "$OUT"
sleep 2
b2=$(lab_bulk_bytes)
sleep 7
b3=$(lab_bulk_bytes)
mbit=$(awk -v b="$(( ${b3:-0} - ${b2:-0} ))" 'BEGIN { printf "%.1f", b * 8 / 7 / 1e6 }')
diag "download: ${before} Mbit/s before its label, ${mbit} Mbit/s after (shape ${RATE_MBIT}mbit)"
awk -v m="$mbit" -v r="$RATE_MBIT" 'BEGIN { exit !(m >= 0.8 * r && m <= 1.2 * r) }'
ok $? "shaped class held to ${RATE_MBIT} Mbit/s within 20% (${mbit})"
awk -v m="$before" -v r="$RATE_MBIT" 'BEGIN { exit !(m > 1.5 * r) }'
ok $? "and it ran faster before its label (${before} Mbit/s)"
lab_srv tc -s class show dev "$LAB_SIF" classid f1c:100 | grep -q "Sent [1-9]"
ok $? "its packets went through HTB class f1c:100"
fpd_stop
lab_srv tc qdisc show dev "$LAB_SIF" root | grep -q htb
ok $((! $?)) "the HTB qdisc is removed when flowpicd stops"
tap_end
