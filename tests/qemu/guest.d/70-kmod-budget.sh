#!/bin/sh
# The memory budget under a hostile pattern (tests/qemu/kmod_budget.c):
# flowpic.ko with mem_budget=65536, max_flows=16 and max_verdicts=16,
# full-size pictures, random sizes and times over every flow the table
# holds for 5 s; then unloading gives every byte back. The budget holds
# the verdict table too: the default 4096 verdicts do not fit it.
. /tests/tap.sh
echo "TAP version 13"
dmesg -c >/dev/null
insmod /tests/flowpic.ko max_flows=16 mem_budget=65536 2>/dev/null
rc=$?
grep -q '^flowpic ' /proc/modules && rmmod flowpic
[ $rc != 0 ] &&
	dmesg | grep -q 'do not fit mem_budget=65536 bytes beside max_verdicts=4096 verdicts'
tap_ok $? "max_flows=16 with 4096 verdicts and a 64 KiB budget refused at load, saying why"
insmod /tests/flowpic.ko max_flows=16 max_verdicts=16 mem_budget=65536
tap_ok $? "insmod flowpic.ko max_flows=16 max_verdicts=16 mem_budget=65536"
tap_prog /tests/bin/kmod_budget 16 5
rmmod flowpic
tap_ok $? "rmmod flowpic"
insmod /tests/flowpic.ko max_flows=65536 mem_budget=1048576 2>/dev/null
rc=$?
grep -q '^flowpic ' /proc/modules && rmmod flowpic
[ $rc != 0 ] && dmesg | grep -q 'max_flows=65536 flows do not fit mem_budget=1048576'
tap_ok $? "max_flows=65536 with a 1 MiB budget refused at load, saying why"
tap_dmesg_clean "kernel log clean"
tap_done
