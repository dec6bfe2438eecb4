#!/bin/sh
# A bounded netlink fuzz of flowpic.ko's family from root and uid 65534
# (tests/qemu/kmod_fuzz.c): every message answered, every malformed one
# refused, no privileged command for uid 65534; then rmmod and a clean
# kernel log (no oops, no warning).
. /tests/tap.sh
echo "TAP version 13"
dmesg -c >/dev/null
insmod /tests/flowpic.ko
tap_ok $? "insmod flowpic.ko"
tap_prog /tests/bin/kmod_fuzz 4 "$(date +%s)"
rmmod flowpic
tap_ok $? "rmmod flowpic"
tap_dmesg_clean "kernel log clean after the fuzz"
tap_done
