#!/bin/sh
# Least privilege (tests/qemu/kmod_privilege.c). With module autoloading
# on (a modprobe that logs its requests and loads flowpic.ko for any alias
# the module declares, as modprobe would), uid 65534 and root of an
# unprivileged user namespace ask for the family: the kernel asks for the
# module, which must not load. Then, loaded by root, the initial
# namespace's flows are listed for its CAP_NET_ADMIN only; root of an
# unprivileged user and network namespace administers flowpic in its own
# namespace, within the module's bounds, and not in the initial one.
. /tests/tap.sh
echo "TAP version 13"
log=/tmp/modprobe.log
dmesg -c >/dev/null

cat >/tmp/modprobe <<'SH'
#!/bin/sh
for a; do case $a in -*) ;; *) name=$a ;; esac; done
echo "$name" >>/tmp/modprobe.log
strings /tests/flowpic.ko | grep -qxF "alias=$name" && insmod /tests/flowpic.ko
SH
chmod +x /tmp/modprobe
: >$log
old=$(cat /proc/sys/kernel/modprobe)
echo /tmp/modprobe >/proc/sys/kernel/modprobe

tap_prog /tests/bin/kmod_privilege absent
echo "$old" >/proc/sys/kernel/modprobe
grep -q 'family-flowpic' $log
tap_ok $? "the kernel asked modprobe for the family ($(sort -u $log | tr '\n' ' '))"
! grep -q '^flowpic ' /proc/modules
tap_ok $? "flowpic.ko was not loaded by them"
grep -q '^flowpic ' /proc/modules && rmmod flowpic

insmod /tests/flowpic.ko
tap_ok $? "insmod flowpic.ko (root)"
tap_prog /tests/bin/kmod_privilege loaded
rmmod flowpic
tap_ok $? "rmmod flowpic"
tap_dmesg_clean "kernel log clean"
tap_done
