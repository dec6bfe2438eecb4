#!/bin/sh
# flowpic.ko: load, a generic netlink round trip through libnl
# (tests/qemu/kmod_netlink.c), unload, and nothing left behind.
. /tests/tap.sh
echo "TAP version 13"
dmesg -c >/dev/null

insmod /tests/flowpic.ko
tap_ok $? "insmod flowpic.ko"
grep -q '^flowpic ' /proc/modules
tap_ok $? "flowpic is in /proc/modules"

tap_prog /tests/bin/kmod_netlink

rmmod flowpic
tap_ok $? "rmmod flowpic"
! grep -q '^flowpic ' /proc/modules && [ ! -e /sys/module/flowpic ]
tap_ok $? "no flowpic in /proc/modules or /sys/module"
tap_prog /tests/bin/kmod_netlink --absent
tap_dmesg_clean "no warnings in the kernel log"
tap_done
