#!/bin/bash
# Every flow of a scenario gets a label within one window plus a bounded
# delay: UDP and TCP, IPv4 and IPv6, both directions, with flowpicd on the
# server's interface and 2 s windows. The labels are in the kernel's map
# (flowpic flows) and counted (flowpic stats).
. "$(dirname "$0")/lib_daemon.sh"
fpd_setup
# A label comes after its window closes and within a liveness bound (the
# latency itself is measured by `make bench`, not here: a loaded machine
# must not fail this test).
BOUND_MS=${BOUND_MS:-10000}	# window end -> label in the JSON stream

make_model "$LAB_DIR/m.fpm" "steady,other" 0 4
printf 'steady pass\nother pass\nunknown pass\n' >"$LAB_DIR/p.policy"
fpd_start --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/p.policy" ||
	{ ok 1 "flowpicd starts"; tap_end; }
ok 0 "flowpicd starts"

lab_web_server 20
sleep 0.3
declare -A t0
now_ms() { date +%s%3N; }
# Every flow runs well past the checks below (bounded by timeout), so
# it is still in the kernel's tables when flowpic flows reads them.
LIVE=$((WINDOW_MS / 1000 + 20))
t0[6001]=$(now_ms); udp_stream 6001 $LIVE 50
t0[6002]=$(now_ms); udp_stream 6002 $LIVE 20
t0[6003]=$(now_ms)
lab_bg lab_srv timeout $((LIVE + 2)) socat -u UDP6-RECV:6003 OPEN:/dev/null
lab_bg lab_cli timeout $LIVE bash -c 'while :; do printf "%0200d\n" 0; sleep 0.05; done |
	socat -u -b 201 - UDP6-SENDTO:[2001:db8::1]:6003,sourceport=6003'
t0[tcp4]=$(now_ms)
lab_bg lab_cli timeout $LIVE curl -s -o /dev/null --limit-rate 200K \
	"http://$LAB_SIP:8080/bulk.bin"
t0[tcp6]=$(now_ms)
lab_bg lab_cli timeout $LIVE curl -s -g -o /dev/null --limit-rate 100K \
	"http://[2001:db8::1]:8080/bulk.bin"
all_labelled() {
	grep -q '"flow":"UDP 192.0.2.1:6001 <-> 192.0.2.2:6001","window":1,' "$OUT" &&
	grep -q '"flow":"UDP 192.0.2.1:6002 <-> ' "$OUT" &&
	grep -q '"flow":"UDP \[2001:db8::1\]:6003 <-> ' "$OUT" &&
	grep -q '"flow":"TCP 192.0.2.1:8080 <-> ' "$OUT" &&
	grep -q '"flow":"TCP \[2001:db8::1\]:8080 <-> ' "$OUT"
}
wait_for $((LIVE - 4)) all_labelled

check_flow() {	# PATTERN START DESCRIPTION
	local line t
	line=$(grep -m1 -E "$1" "$OUT")
	if [ -z "$line" ]; then
		ok 1 "$3: labelled"
		return
	fi
	t=$(printf '%s' "$line" | sed -n 's/.*"time":"\([^"]*\)".*/\1/p')
	t=$(date -d "$t" +%s%3N)
	[ "$t" -ge $(($2 + WINDOW_MS)) ] && [ "$t" -le $(($2 + WINDOW_MS + BOUND_MS)) ]
	ok $? "$3: labelled $((t - $2)) ms after it started (window $WINDOW_MS ms + $BOUND_MS)"
	printf '%s' "$line" | grep -q '"label":"steady"'
	ok $? "$3: label is the model's verdict"
}
check_flow '"flow":"UDP 192.0.2.1:6001 <-> 192.0.2.2:6001"' "${t0[6001]}" "UDP 50/s"
check_flow '"flow":"UDP 192.0.2.1:6002 <-> 192.0.2.2:6002"' "${t0[6002]}" "UDP 20/s"
check_flow '"flow":"UDP \[2001:db8::1\]:6003 <-> \[2001:db8::2\]:6003"' "${t0[6003]}" "UDP over IPv6"
check_flow '"flow":"TCP 192.0.2.1:8080 <-> ' "${t0[tcp4]}" "TCP download"
check_flow '"flow":"TCP \[2001:db8::1\]:8080 <-> ' "${t0[tcp6]}" "TCP download over IPv6"

grep -q '"flow":"UDP 192.0.2.1:6001 <-> 192.0.2.2:6001","window":1,' "$OUT"
ok $? "a flow's next window is labelled too"

flows=$("$FLOWPIC" flows --pin-dir "$PIN" --state-dir "$STATE")
printf '%s\n' "$flows" | grep -E "UDP 192.0.2.1:6001 <-> 192.0.2.2:6001 .* steady " >/dev/null
ok $? "flowpic flows shows the label from the kernel's map"
# flowpicd writes its counters once a second: the labels can be out
# before the counters that count them.
counted() {
	stats=$("$FLOWPIC" stats --pin-dir "$PIN" --state-dir "$STATE")
	n=$(printf '%s\n' "$stats" | awk '$1 == "windows_classified" { print $2 }')
	r=$(printf '%s\n' "$stats" | awk '$1 == "windows_received" { print $2 }')
	p=$(printf '%s\n' "$stats" | awk '$1 == "packets" { print $2 }')
	[ "${n:-0}" -ge 5 ] && [ $((${r:-0} - ${n:-0})) -le 2 ] && [ "${p:-0}" -gt 100 ]
}
wait_for 5 counted
counted
ok $? "flowpic stats: ${p:-0} packets, ${r:-0} windows received, ${n:-0} classified"
j=$(wc -l <"$OUT")
[ "$j" -ge "${n:-0}" ] && [ "$j" -ge 5 ]
ok $? "one JSON line per labelled window ($j)"

fpd_stop_detached "without --keep"
tap_end
