#!/bin/sh
# Eviction under a flood of new tuples (tests/qemu/kmod_flood.c): a table
# of 1024 flows, eight labelled long-lived flows, 10240 new tuples; the
# labelled flows keep their state and verdicts.
. /tests/tap.sh
echo "TAP version 13"
dmesg -c >/dev/null
insmod /tests/flowpic.ko max_flows=1024
tap_ok $? "insmod flowpic.ko max_flows=1024"
tap_prog /tests/bin/kmod_flood 1024
rmmod flowpic
tap_ok $? "rmmod flowpic"
tap_dmesg_clean "kernel log clean"
tap_done
