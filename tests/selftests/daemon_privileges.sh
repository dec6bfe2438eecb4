#!/bin/bash
# flowpicd keeps only CAP_NET_ADMIN once it is set up: every thread's
# effective, permitted and bounding sets (/proc/PID/task/*/status),
# no_new_privs set, and labels still written into the kernel's map,
# a reload still applied, and the stop still detaching the program.
. "$(dirname "$0")/lib_daemon.sh"
fpd_setup

make_model "$LAB_DIR/m.fpm" "steady,other" 0 4
printf 'steady pass\nother pass\nunknown pass\n' >"$LAB_DIR/p.policy"
fpd_start --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/p.policy" ||
	{ ok 1 "flowpicd starts"; tap_end; }
ok 0 "flowpicd starts"

# flowpicd's own pid: nsenter execs it, so FPD_PID is flowpicd.
NET_ADMIN=0000000000001000	# 1 << CAP_NET_ADMIN (12)
status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$FPD_PID/status"; }
[ "$(status CapEff)" = "$NET_ADMIN" ] && [ "$(status CapPrm)" = "$NET_ADMIN" ]
ok $? "CapEff $(status CapEff), CapPrm $(status CapPrm): CAP_NET_ADMIN alone"
[ "$(status CapBnd)" = "$NET_ADMIN" ] && [ "$(status CapInh)" = 0000000000000000 ] &&
	[ "$(status CapAmb)" = 0000000000000000 ]
ok $? "bounding set $(status CapBnd), inheritable $(status CapInh), ambient $(status CapAmb)"
[ "$(status NoNewPrivs)" = 1 ]
ok $? "no_new_privs set"
n=0 bad=0
for t in /proc/"$FPD_PID"/task/*/status; do
	n=$((n + 1))
	[ "$(awk '$1 == "CapEff:" { print $2 }' "$t")" = "$NET_ADMIN" ] &&
		[ "$(awk '$1 == "CapPrm:" { print $2 }' "$t")" = "$NET_ADMIN" ] ||
		bad=$((bad + 1))
done
[ "$bad" = 0 ] && [ "$n" -ge 3 ]
ok $? "every one of its $n threads holds CAP_NET_ADMIN alone ($bad others)"

# A flow that outlives its first window: the label goes into the map.
udp_stream 6001 12 50
labelled() { grep -q '"flow":"UDP 192.0.2.1:6001 <-> 192.0.2.2:6001","window":0,' "$OUT"; }
wait_for 20 labelled
flows=$("$FLOWPIC" flows --pin-dir "$PIN" --state-dir "$STATE")
printf '%s\n' "$flows" | grep -qE "UDP 192.0.2.1:6001 <-> 192.0.2.2:6001 .* steady "
ok $? "after the drop, the label is written into the kernel's map (flowpic flows)"
# flowpicd.stats is rewritten every second: wait for the count.
stat() {
	"$FLOWPIC" stats --pin-dir "$PIN" --state-dir "$STATE" |
		awk -v k="$1" '$1 == k { print $2 }'
}
written() { [ "$(stat labels_written)" -ge 1 ] 2>/dev/null; }
wait_for 10 written
ok $? "labels_written $(stat labels_written), label_errors $(stat label_errors)"

printf 'steady drop\nother pass\nunknown pass\n' >"$LAB_DIR/p.policy"
kill -HUP "$FPD_PID"
reloaded() { grep -q "reloaded" "$LAB_DIR/flowpicd.log"; }
wait_for 10 reloaded
ok $? "SIGHUP reload applied without the dropped capabilities"

fpd_stop_detached "with CAP_NET_ADMIN alone"
tap_end
