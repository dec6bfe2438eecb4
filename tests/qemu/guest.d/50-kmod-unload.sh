#!/bin/sh
# flowpic.ko unloaded under traffic: 20 rounds of insmod, UDP from every
# CPU (tests/qemu/kmod_churn.c, a new flow per packet, a table of one
# flow so every packet evicts one and frees it through RCU), rmmod while
# it flows. The hooks spend 200 ms per packet (test_hook_delay_us), and
# each CPU sends every 300 ms, so rmmod meets a packet in flight on the
# other CPU, which touches the table and calls call_rcu() late. Each
# round: rmmod succeeds, the flows' slab cache is gone, the kernel log
# is clean. Then 5 loads that fail once the hooks have run for 300 ms
# (test_hook_init_fail_ms) under continuous traffic: the error path must
# wait for packets in flight just as rmmod does.
. /tests/tap.sh
echo "TAP version 13"
rounds=20

# Objects of the flows' slab cache (of each, if several leaked), or none.
flow_slabs() {
	awk '$1 == "flowpic_flow" { s = s (f ? "+" : "") $2; f = 1 }
		END { print f ? s : "none" }' /proc/slabinfo
}

# The kernel log's trouble since the last call, on one line.
trouble() {
	dmesg -c | grep -E 'WARNING:|BUG|Oops|general protection|Call Trace|refcount_t|list_del corruption|UBSAN|KASAN|still has objects|Objects remaining' |
		head -2 | tr '\n' ' '
}

dmesg -c >/dev/null
echo "# $(grep -c ^processor /proc/cpuinfo) CPUs"
seen=0
for round in $(seq $rounds); do
	insmod /tests/flowpic.ko max_flows=1 test_hook_delay_us=200000 || {
		tap_ok 1 "round $round: insmod"
		continue
	}
	kmod_churn 10 300000 &
	churn=$!
	sleep 0.3
	live=$(flow_slabs)
	[ "$live" != none ] && [ "${live%%+*}" -gt 0 ] && seen=$((seen + 1))
	rmmod flowpic
	rc=$?
	kill $churn 2>/dev/null
	wait $churn 2>/dev/null
	left=$(flow_slabs)
	bad=$(trouble)
	[ $rc = 0 ] && ! grep -q '^flowpic ' /proc/modules &&
		[ "$left" = none ] && [ -z "$bad" ]
	tap_ok $? "round $round: rmmod under traffic ($live flow objects): rmmod $rc, cache $left${bad:+, $bad}"
done
# Packets pause between sends: most rounds, not all, meet live flows.
[ $seen -ge $((rounds / 2)) ]
tap_ok $? "flows were live at rmmod in $seen of $rounds rounds (at least half)"

# Paced like the rounds above: every packet spends 200 ms in each hook it
# meets, so back-to-back sends would queue more softirq work than a slow
# emulated CPU gets through, and its watchdog reports a soft lockup.
kmod_churn 30 300000 &
churn=$!
for round in 1 2 3 4 5; do
	insmod /tests/flowpic.ko max_flows=1 test_hook_delay_us=200000 \
		test_hook_init_fail_ms=300 2>/dev/null
	rc=$?
	sleep 0.3
	left=$(flow_slabs)
	bad=$(trouble)
	[ $rc != 0 ] && ! grep -q '^flowpic ' /proc/modules &&
		[ "$left" = none ] && [ -z "$bad" ]
	tap_ok $? "failed load $round under traffic: insmod $rc, cache $left${bad:+, $bad}"
done
kill $churn 2>/dev/null
wait $churn 2>/dev/null
tap_dmesg_clean "kernel log clean after $rounds rounds"
tap_done
