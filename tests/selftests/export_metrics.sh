#!/bin/bash
# flowpicd --metrics: a real Prometheus server (Debian's) in the
# collectors' namespace scrapes flowpicd every second; its HTTP API says
# what flowpicd said in its JSON lines (windows per class, latency
# histogram, kernel and daemon counters). Slow, oversized and wrong
# requests cost a slot, never the scrapes; a port in use or an address
# the host lacks is refused at start.
. "$(dirname "$0")/lib_daemon.sh"
. "$(dirname "$0")/lib_export.sh"
export_setup prometheus python3
METRICS_PORT=9472

make_model "$LAB_DIR/m.fpm" "steady,other" 0 4
printf 'steady pass\nother pass\nunknown pass\n' >"$LAB_DIR/p.policy"
fpd_start --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/p.policy" \
	--metrics "$SRV_XIP:$METRICS_PORT" ||
	{ ok 1 "flowpicd starts with --metrics $SRV_XIP:$METRICS_PORT"; tap_end; }
ok 0 "flowpicd starts with --metrics $SRV_XIP:$METRICS_PORT"

mkdir -p "$LAB_DIR/prom"
cat >"$LAB_DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: flowpicd
    static_configs:
      - targets: ['$SRV_XIP:$METRICS_PORT']
EOF
ip netns exec "$COL" prometheus --config.file="$LAB_DIR/prometheus.yml" \
	--storage.tsdb.path="$LAB_DIR/prom" --web.listen-address=127.0.0.1:9090 \
	>"$LAB_DIR/prometheus.log" 2>&1 &
ready() { col curl -sf -m 2 http://127.0.0.1:9090/-/ready; }
wait_for 60 ready || fail_all "prometheus did not start: $(tail -3 "$LAB_DIR/prometheus.log")"

# promql QUERY: the value of a one-sample instant query ("" if none).
promql() {
	col curl -s -m 5 -G http://127.0.0.1:9090/api/v1/query \
		--data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "")'
}
prom_is() { [ "$(promql "$1")" = "$2" ]; }

wait_for 30 prom_is 'up{job="flowpicd"}' 1
ok $? "prometheus scrapes flowpicd (up = $(promql 'up{job="flowpicd"}'))"

udp_flow 7101
udp_flow 7102 2001:db8::1
udp_flow 7103
n_lines() { [ "$(json_count)" -ge "$1" ]; }
wait_for 20 n_lines 3
steady=$(grep -c '"label":"steady"' "$OUT")
wait_for 20 prom_is 'flowpicd_class_windows_total{class="steady"}' "$steady"
ok $? "windows labelled steady: prometheus $(promql 'flowpicd_class_windows_total{class="steady"}'), flowpicd's JSON lines $steady"
prom_is flowpicd_windows_classified_total "$(json_count)"
ok $? "windows classified: $(promql flowpicd_windows_classified_total) = $(json_count) JSON lines"
prom_is flowpicd_label_latency_seconds_count "$(json_count)"
ok $? "latency histogram _count $(promql flowpicd_label_latency_seconds_count), _sum $(promql flowpicd_label_latency_seconds_sum) s"
prom_is 'flowpicd_label_latency_seconds_bucket{le="+Inf"}' "$(json_count)"
ok $? "latency histogram +Inf bucket holds every window"
q=$(promql 'histogram_quantile(0.5, flowpicd_label_latency_seconds_bucket)')
python3 -c "import sys; v = float('$q'); sys.exit(not 0 < v < 60)" 2>/dev/null
ok $? "histogram_quantile(0.5) of the latency: $q s"
k=$(promql flowpicd_kernel_windows_total)
[ "${k:-0}" -ge "$(json_count)" ]
ok $? "kernel windows counter $k (>= the $(json_count) labelled)"
for m in flowpicd_queue_depth flowpicd_queue_dropped_total flowpicd_kernel_flows_evicted_total \
	 flowpicd_kernel_windows_lost_total flowpicd_kernel_packets_total; do
	v=$(promql "$m")
	[ -n "$v" ]
	ok $? "$m is scraped ($v)"
done

# --- clients that misbehave ------------------------------------------------------
http() {	# REQUEST: what flowpicd answers to it, status line only
	col bash -c "exec 3<>/dev/tcp/$SRV_XIP/$METRICS_PORT; printf '%b' \"\$1\" >&3; timeout 10 head -1 <&3" _ "$1" | tr -d '\r'
}
[ "$(http 'POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n')" = "HTTP/1.1 405 Method Not Allowed" ]
ok $? "POST: 405"
[ "$(http 'GET /secret HTTP/1.1\r\n\r\n')" = "HTTP/1.1 404 Not Found" ]
ok $? "another path: 404"
big=$(head -c 5000 /dev/zero | tr '\0' a)
[ "$(http "GET /metrics HTTP/1.1\r\nX-Big: $big")" = "HTTP/1.1 431 Request Header Fields Too Large" ]
ok $? "a request head over 4096 bytes: 431"

# Every slot taken by clients that send half a request and wait.
slow_pids=""
for i in $(seq 1 9); do
	col bash -c "exec 3<>/dev/tcp/$SRV_XIP/$METRICS_PORT; printf 'GET /me' >&3; sleep 20" &
	slow_pids="$slow_pids $!"
done
# Each of the 9 either took one of the 8 slots and is closed at its
# deadline, or was turned away; prometheus's scrape may hold a slot as
# they come, so 7 or 8 of them time out.
rejected() { [ "$(metric flowpicd_metrics_rejected_total)" -ge 1 ] 2>/dev/null; }
timeouts() {
	t=$(metric flowpicd_metrics_timeouts_total)
	r=$(metric flowpicd_metrics_rejected_total)
	[ "$t" -ge 7 ] && [ $((t + r)) -ge 9 ] 2>/dev/null
}
wait_for 20 timeouts
ok $? "slow clients closed past their deadline ($(metric flowpicd_metrics_timeouts_total) timeouts, $(metric flowpicd_metrics_rejected_total) turned away)"
wait_for 10 rejected
ok $? "the client past the last slot turned away, counted ($(metric flowpicd_metrics_rejected_total))"
t0=$(promql 'flowpicd_metrics_requests_total')
more() { [ "$(promql flowpicd_metrics_requests_total)" -gt "${t0:-0}" ] 2>/dev/null; }
wait_for 15 more && prom_is 'up{job="flowpicd"}' 1
ok $? "prometheus keeps scraping ($(promql flowpicd_metrics_requests_total) scrapes)"
for p in $slow_pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
kill -0 "$FPD_PID"
ok $? "flowpicd still running"
fpd_stop

# --- refused at start ------------------------------------------------------------
lab_srv socat TCP-LISTEN:9473,bind="$SRV_XIP",reuseaddr,fork /dev/null &
busy=$!
wait_for 10 lab_srv bash -c "ss -Htln 'sport = :9473' | grep -q ."
refused "--metrics $SRV_XIP:9473: port 9473 is in use by another program" \
	"port in use" -- fpd_refused --metrics "$SRV_XIP:9473"
kill "$busy"; wait "$busy" 2>/dev/null
refused "--metrics 192.0.2.99:9470: no interface of this host has that address" \
	"address this host does not have" -- fpd_refused --metrics 192.0.2.99:9470
refused "--metrics 9470: expected ADDR:PORT" "no address" -- fpd_refused --metrics 9470
refused "--metrics $SRV_XIP:http: expected ADDR:PORT" "port not a number" -- \
	fpd_refused --metrics "$SRV_XIP:http"
tap_end
