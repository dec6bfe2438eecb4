#!/bin/bash
# SIGHUP reloads model and policy without losing flows: a new model's
# verdict and the new policy take effect on the running flow; an invalid
# policy or a model of another geometry is refused and the running ones
# stay.
. "$(dirname "$0")/lib_daemon.sh"
fpd_setup
W=$((WINDOW_MS / 1000))

make_model "$LAB_DIR/a.fpm" "calm,noisy" 0 4	# always calm
make_model "$LAB_DIR/b.fpm" "calm,noisy" 1 4	# always noisy
cp "$LAB_DIR/a.fpm" "$LAB_DIR/m.fpm"
printf 'calm pass\nnoisy drop\n' >"$LAB_DIR/p.policy"
fpd_start --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/p.policy" ||
	{ ok 1 "flowpicd starts"; tap_end; }
udp_stream 6001 $((5 * W + 12)) 50
sleep $((W + 2))
first_label 6001 | grep -q '"label":"calm"'
ok $? "model a labels the stream calm (pass)"
a=$(rx_bytes 6001)
sleep 1
b=$(rx_bytes 6001)
[ "$b" -gt "$a" ]
ok $? "and it passes"

# An invalid policy is refused, the running one stays.
printf 'calm pass\nnoisy drp\n' >"$LAB_DIR/p.policy"
kill -HUP "$FPD_PID"
sleep 0.5
grep -q "reload refused, keeping the running model and policy: $LAB_DIR/p.policy:2: unknown action 'drp'" \
	"$LAB_DIR/flowpicd.log"
ok $? "an invalid policy on SIGHUP is refused, naming its line"
kill -0 "$FPD_PID"
ok $? "flowpicd keeps running"

# A model of another geometry is refused too.
"$MODEL_MAKER" "$LAB_DIR/m.fpm" $((WINDOW_MS * 2)) 32 calm,noisy 1 4
printf 'calm pass\nnoisy drop\n' >"$LAB_DIR/p.policy"
kill -HUP "$FPD_PID"
sleep 0.5
grep -q "reload refused.*geometry" "$LAB_DIR/flowpicd.log"
ok $? "a model with other windows is refused (restart needed)"

# Now a valid model that says noisy: the flow gets dropped.
cp "$LAB_DIR/b.fpm" "$LAB_DIR/m.fpm"
n0=$(wc -l <"$OUT")
kill -HUP "$FPD_PID"
sleep 0.5
grep -q "flowpicd: reloaded" "$LAB_DIR/flowpicd.log"
ok $? "SIGHUP with a valid model and policy reloads"
sleep $((W + 2))
tail -n +$((n0 + 1)) "$OUT" | grep -E '"flow":"UDP 192.0.2.1:6001 <-> 192.0.2.2:6001"' |
	grep -q '"label":"noisy","confidence":[0-9.]*,"action":"drop"'
ok $? "the next window of the same flow is labelled noisy, action drop"
c=$(rx_bytes 6001)
sleep 2
d=$(rx_bytes 6001)
[ "$c" = "$d" ]
ok $? "and the flow is dropped ($((d - c)) bytes in 2 s)"
grep -q '^reloads 1$' "$STATE/flowpicd.stats"
ok $? "flowpicd counts one reload"
tap_end
