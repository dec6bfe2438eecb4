#!/bin/bash
# flowpicd --ipfix: one IPFIX record per labelled window, read by two
# real collectors from Debian in a namespace of their own: nfdump's
# nfcapd (then nfdump -r) and pmacct's nfacctd (print plugin, fed by
# nfcapd's repeater), with exact record counts and every field checked
# against flowpicd's JSON line of the same window. Then a collector that
# goes away: over UDP nfcapd is killed and started again, over TCP the
# collector's end closes and opens again; flowpicd keeps labelling,
# counts what it could not send, and sends again (templates and class
# map first) once the collector is back. Bad collector addresses are
# refused at start with what is wrong.
. "$(dirname "$0")/lib_daemon.sh"
. "$(dirname "$0")/lib_export.sh"
export_setup nfcapd nfdump nfacctd python3
METRICS_PORT=9471

make_model "$LAB_DIR/m.fpm" "steady,other" 0 4
printf 'steady mark 0x2a\nother pass\nunknown pass\n' >"$LAB_DIR/p.policy"

# nfacctd: the fields it has no primitive for through custom ones. (It
# prints flowpic's numeric enterprise elements as 0; ipfix_read.py reads
# them below, named and typed by the RFC 5610 records flowpicd sends.)
cat >"$LAB_DIR/primitives.lst" <<EOF
name=end_reason field_type=136 len=1 semantics=u_int
name=action field_type=32473:3 len=32 semantics=str
name=rev_packets field_type=29305:2 len=8 semantics=u_int
name=rev_bytes field_type=29305:1 len=8 semantics=u_int
name=app_name field_type=96 len=64 semantics=str
EOF
cat >"$LAB_DIR/nfacctd.conf" <<EOF
daemonize: false
nfacctd_ip: $COL_IP
nfacctd_port: 4740
plugins: print[p]
aggregate_primitives: $LAB_DIR/primitives.lst
aggregate[p]: src_host, dst_host, src_port, dst_port, proto, class, timestamp_start, timestamp_end, action, rev_packets, rev_bytes, app_name, end_reason
print_output[p]: csv
print_output_file[p]: $LAB_DIR/pmacct.csv
print_output_file_append[p]: true
print_refresh_time[p]: 1
timestamps_secs: false
EOF

NFCAPD_PID=""
nfcapd_start() {	# DIR
	mkdir -p "$1"
	ip netns exec "$COL" nfcapd -w "$1" -b "$COL_IP" -p 4739 -t 3600 \
		-I flowpic -R "$COL_IP/4740" >>"$LAB_DIR/nfcapd.log" 2>&1 &
	NFCAPD_PID=$!
	wait_for 10 listening u 4739
}
nfcapd_stop() {	# SIGTERM: it writes its file and exits
	kill -TERM "$NFCAPD_PID"
	wait "$NFCAPD_PID"
	NFCAPD_PID=""
}
ip netns exec "$COL" nfacctd -f "$LAB_DIR/nfacctd.conf" \
	>"$LAB_DIR/nfacctd.log" 2>&1 &
wait_for 10 listening u 4740 ||
	fail_all "nfacctd did not start: $(tail -3 "$LAB_DIR/nfacctd.log")"
nfcapd_start "$LAB_DIR/nf1" || fail_all "nfcapd did not start"

fpd_start --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/p.policy" \
	--ipfix "udp://$COL_IP:4739" --ipfix-refresh 1s \
	--metrics "$SRV_XIP:$METRICS_PORT" ||
	{ ok 1 "flowpicd starts with --ipfix udp://$COL_IP:4739"; tap_end; }
ok 0 "flowpicd starts with --ipfix udp://$COL_IP:4739"

# --- three windows, both collectors ------------------------------------------
udp_flow 7001
udp_flow 7002 2001:db8::1
udp_flow 7003
n_lines() { [ "$(json_count)" -ge "$1" ]; }
sent_is() { [ "$(metric flowpicd_ipfix_records_sent_total)" = "$1" ]; }
wait_for 20 n_lines 3
wait_for 10 sent_is 3
ok $? "3 windows labelled, 3 IPFIX records sent ($(json_count) JSON lines, $(metric flowpicd_ipfix_records_sent_total) sent)"

# json FIELD PORT: a field of the JSON line of the flow on PORT (a pair
# as "a,b").
json() {
	grep -E "\"flow\":\"[^\"]*:$2 <-> " "$OUT" | head -1 |
		sed -n -e "s/.*\"$1\":\[\([0-9]*,[0-9]*\)\].*/\1/p" \
		       -e "t" -e "s/.*\"$1\":\"\{0,1\}\([^,}\"]*\).*/\1/p"
}

pm_rows() { [ "$(grep -c ',udp,' "$LAB_DIR/pmacct.csv" 2>/dev/null)" -ge "$1" ]; }
wait_for 20 pm_rows 3
rows=$(grep -c ',udp,' "$LAB_DIR/pmacct.csv" 2>/dev/null)
[ "$rows" = 3 ]
ok $? "nfacctd (print plugin) shows exactly 3 records ($rows)"

# pmacct's columns, by the header line.
pm_field() {	# PORT COLUMN
	awk -F, -v port="$1" -v col="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$(c["SRC_PORT"]) == port { print $(c[col]); exit }
	' "$LAB_DIR/pmacct.csv"
}
for port in 7001 7002 7003; do
	src=$(json flow $port | sed 's/^UDP //; s/ <-> .*//; s/:[0-9]*$//' | tr -d '[]')
	pk=$(json packets $port); by=$(json bytes $port)
	want="$src,${pk%,*},${pk#*,},${by%,*},${by#*,},$(json label $port),$(json label $port),$(json action $port),1"
	got="$(pm_field $port SRC_IP),$(pm_field $port PACKETS),$(pm_field $port rev_packets),$(pm_field $port BYTES),$(pm_field $port rev_bytes),$(pm_field $port CLASS),$(pm_field $port app_name),$(pm_field $port action),$(pm_field $port end_reason)"
	[ "$got" = "$want" ]
	ok $? "nfacctd, port $port: address, packets and bytes both ways, class (from the class map), name, action, end reason (idle): $got"
	[ "$got" = "$want" ] || diag "wanted $want"
	t0=$(date -d "$(pm_field $port TIMESTAMP_START)" +%s%3N)
	t1=$(date -d "$(pm_field $port TIMESTAMP_END)" +%s%3N)
	[ $((t1 - t0)) -ge 0 ] && [ $((t1 - t0)) -le "$WINDOW_MS" ]
	ok $? "nfacctd, port $port: window start and end $((t1 - t0)) ms apart (window $WINDOW_MS ms)"
done

nfcapd_stop
nfdump_csv() {	# DIR: src,dst,sport,dport,proto,in pkt,out pkt,in byt,out byt,nbar name
	nfdump -q -R "$1" -o 'fmt:%sa,%da,%sp,%dp,%pr,%ipkt,%opkt,%ibyt,%obyt,%nbnam,%end' 2>/dev/null |
		tr -d ' '
}
nfd=$(nfdump_csv "$LAB_DIR/nf1")
[ "$(printf '%s\n' "$nfd" | grep -c UDP)" = 3 ]
ok $? "nfdump -r shows exactly 3 flows: $(printf '%s' "$nfd" | tr '\n' ' ')"
for port in 7001 7002 7003; do
	pk=$(json packets $port); by=$(json bytes $port)
	printf '%s\n' "$nfd" | grep -qx "[^,]*,[^,]*,$port,$port,UDP,${pk%,*},${pk#*,},${by%,*},${by#*,},$(json label $port)/[^,]*,[^,]*"
	ok $? "nfdump, port $port: packets and bytes both ways, nbar name from the class map"
done

# --- UDP: the collector goes away and comes back ------------------------------
udp_flow 7011
udp_flow 7012
accounted() {
	[ $(($(metric flowpicd_ipfix_records_sent_total) + \
	     $(metric flowpicd_ipfix_records_dropped_total))) = "$1" ]
}
wait_for 20 n_lines 5 && wait_for 10 accounted 5
ok $? "collector away: flowpicd labels on ($(json_count) JSON lines), every record sent or counted dropped"
errs() { [ "$(metric flowpicd_ipfix_send_errors_total)" -ge 1 ]; }
wait_for 10 errs
ok $? "the collector's port unreachable is counted ($(metric flowpicd_ipfix_send_errors_total) send errors)"
kill -0 "$FPD_PID"
ok $? "flowpicd still running"

nfcapd_start "$LAB_DIR/nf2"
# One full refresh (templates and class map) after the collector is back.
t=$(metric flowpicd_ipfix_template_messages_total)
refreshed() { [ "$(metric flowpicd_ipfix_template_messages_total)" -ge $((t + 8)) ]; }
wait_for 15 refreshed
udp_flow 7021
udp_flow 7022
wait_for 20 n_lines 7 && wait_for 10 accounted 7
nfcapd_stop
nfd=$(nfdump_csv "$LAB_DIR/nf2")
[ "$(printf '%s\n' "$nfd" | grep -c UDP)" = 2 ] &&
	printf '%s\n' "$nfd" | grep -q ',7021,7021,UDP,.*,steady/' &&
	printf '%s\n' "$nfd" | grep -q ',7022,7022,UDP,.*,steady/'
ok $? "collector back: nfdump shows exactly the 2 windows sent since, names resolved: $(printf '%s' "$nfd" | tr '\n' ' ')"
fpd_stop

# --- TCP: the collector's end closes and opens again ---------------------------
TCP_PID=""
tcp_collector() {	# FILE: one connection's IPFIX stream into FILE
	ip netns exec "$COL" socat -u TCP-LISTEN:4741,bind="$COL_IP",reuseaddr \
		OPEN:"$1",creat,trunc &
	TCP_PID=$!
	wait_for 10 listening t 4741
}
tcp_collector "$LAB_DIR/tcp1.ipfix"
: >"$OUT"
fpd_start --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/p.policy" \
	--ipfix "tcp://$COL_IP:4741" --metrics "$SRV_XIP:$METRICS_PORT"
ok $? "flowpicd starts with --ipfix tcp://$COL_IP:4741"
udp_flow 7031
wait_for 20 n_lines 1 && wait_for 10 sent_is 1
ok $? "TCP: the window's record is sent"
kill -TERM "$TCP_PID"; wait "$TCP_PID"
udp_flow 7032
dropped() { [ "$(metric flowpicd_ipfix_records_dropped_total)" = "$1" ]; }
wait_for 20 n_lines 2 && wait_for 10 dropped 1
ok $? "TCP collector gone: flowpicd labels on, the record is counted dropped"
kill -0 "$FPD_PID"
ok $? "flowpicd still running"
tcp_collector "$LAB_DIR/tcp2.ipfix"
conn() { [ "$(metric flowpicd_ipfix_connects_total)" = 2 ] && [ "$(metric flowpicd_ipfix_connected)" = 1 ]; }
wait_for 15 conn
ok $? "TCP collector back: flowpicd reconnects by itself"
udp_flow 7033
wait_for 20 n_lines 3 && wait_for 10 sent_is 2
ok $? "and sends again"
fpd_stop
kill -TERM "$TCP_PID" 2>/dev/null; wait "$TCP_PID" 2>/dev/null

# Each TCP connection's stream read on its own (ipfix_read.py, from the
# RFCs): the second starts with the templates and class map again.
READ=$(dirname "$0")/ipfix_read.py
python3 "$READ" "$LAB_DIR/tcp1.ipfix" >"$LAB_DIR/tcp1.txt" 2>&1
python3 "$READ" "$LAB_DIR/tcp2.ipfix" >"$LAB_DIR/tcp2.txt" 2>&1
d1=$(grep -o 'sourceTransportPort=[0-9]*' "$LAB_DIR/tcp1.txt" | tr '\n' ' ')
d2=$(grep -o 'sourceTransportPort=[0-9]*' "$LAB_DIR/tcp2.txt" | tr '\n' ' ')
[ "$d1" = "sourceTransportPort=7031 " ] && [ "$d2" = "sourceTransportPort=7033 " ]
ok $? "first connection carried 7031 only ($d1), second 7033 only ($d2)"
grep -q "tid=258 observationDomainId=0 applicationId=060000 applicationName=steady" "$LAB_DIR/tcp2.txt" &&
	grep -q "tid=258 .*applicationId=060040 applicationName=unknown" "$LAB_DIR/tcp2.txt"
ok $? "the second connection has the class map again (applicationId 6:0 steady, 6:64 unknown)"
for f in 1 2; do
	port=$((7029 + 2 * f))
	conf=$(json confidence $port)
	rec=$(grep "sourceTransportPort=$port " "$LAB_DIR/tcp$f.txt")
	want="applicationId=060000 sourceIPv4Address=192.0.2.1 destinationIPv4Address=192.0.2.2 flowpicWindowIndex=$(json window $port) sourceTransportPort=$port destinationTransportPort=$port flowpicConfidence=$((10#${conf/./})) protocolIdentifier=17 flowEndReason=1 applicationName=$(json label $port) flowpicAction=$(json action $port)"
	got=$(printf '%s' "$rec" | sed 's/flowStartMilliseconds=[0-9]* flowEndMilliseconds=[0-9]* //; s/packetDeltaCount.*reverseOctetDeltaCount=[0-9]* //; s/^tid=256 //')
	[ "$got" = "$want" ]
	ok $? "port $port: every field, flowpic's own named by RFC 5610 records: $got"
	[ "$got" = "$want" ] || diag "wanted $want"
done

# --- bad collector addresses -------------------------------------------------
refused -s 2 "--ipfix ftp://$COL_IP:4739: expected udp://HOST:PORT or tcp://HOST:PORT" \
	"URL of another scheme" -- fpd_refused --ipfix "ftp://$COL_IP:4739"
refused -s 2 "port '70000': expected a number from 1 to 65535" "port out of range" -- \
	fpd_refused --ipfix "udp://$COL_IP:70000"
refused -s 2 "an IPv6 address goes in brackets" "IPv6 without brackets" -- \
	fpd_refused --ipfix "udp://2001:db8::2:4739"
refused "IPFIX collector tcp://$COL_IP:4799: Connection refused" \
	"TCP collector refusing" -- fpd_refused --ipfix "tcp://$COL_IP:4799"
refused "IPFIX collector udp://$COL_IP:4799: Connection refused" \
	"UDP port nobody listens on" -- fpd_refused --ipfix "udp://$COL_IP:4799"
refused "IPFIX collector tcp://[2001:db8:ffff::1]:4739: Network is unreachable" \
	"collector with no route to it" -- fpd_refused --ipfix "tcp://[2001:db8:ffff::1]:4739"
refused "cannot resolve 'collector.invalid'" "collector name unknown" -- \
	fpd_refused --ipfix "tcp://collector.invalid:4739"
tap_end
