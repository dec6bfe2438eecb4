#!/bin/bash
# kill -9 of flowpicd and a restart lose no labels, and enforcement never
# stops meanwhile: the program stays attached, its maps pinned, and the
# new flowpicd picks them up.
. "$(dirname "$0")/lib_daemon.sh"
fpd_setup
W=$((WINDOW_MS / 1000))

make_model "$LAB_DIR/m.fpm" "bad,good" 0 4
printf 'bad drop\ngood pass\n' >"$LAB_DIR/drop.policy"
fpd_start --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/drop.policy" ||
	{ ok 1 "flowpicd starts"; tap_end; }
udp_stream 6001 $((W + 16)) 50
sleep $((W + 2))
first_label 6001 | grep -q '"action":"drop"'
ok $? "the stream is labelled and dropped"
nlabels() { bpftool -j map dump pinned "$PIN/labels" 2>/dev/null | grep -o '"key"' | wc -l; }
label_before=$(nlabels)

kill -9 "$FPD_PID"
wait "$FPD_PID" 2>/dev/null
FPD_PID=""
ok 0 "flowpicd killed with SIGKILL"
a=$(rx_bytes 6001)
sleep 3
b=$(rx_bytes 6001)
[ "$a" = "$b" ]
ok $? "while flowpicd is dead the flow stays dropped ($((b - a)) bytes in 3 s)"
lab_srv tc filter show dev "$LAB_SIF" ingress | grep -q bpf
ok $? "the program is still attached"

fpd_start --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/drop.policy" ||
	{ ok 1 "flowpicd restarts"; tap_end; }
ok 0 "flowpicd restarts over the pinned maps"
label_after=$(nlabels)
[ "$label_before" -ge 1 ] && [ "$label_after" -ge "$label_before" ]
ok $? "the labels written before the kill are still there ($label_before before, $label_after after)"
"$FLOWPIC" flows --pin-dir "$PIN" --state-dir "$STATE" |
	grep -E "UDP 192.0.2.1:6001 <-> 192.0.2.2:6001 .* bad .* drop" >/dev/null
ok $? "flowpic flows shows the flow, its label and action after the restart"
c=$(rx_bytes 6001)
sleep 2
d=$(rx_bytes 6001)
[ "$c" = "$d" ]
ok $? "the flow is still dropped after the restart"
udp_stream 6002 $((W + 4)) 50
sleep $((W + 2))
first_label 6002 | grep -q '"action":"drop"'
ok $? "a new flow after the restart gets labelled"
tap_end
