#!/bin/sh
# The tc program on Debian's 6.1 kernel: the BPF test layer's programs,
# unchanged (same binaries, same embedded BPF object, verified and run
# by this kernel), then a clean kernel log.
. /tests/tap.sh
echo "TAP version 13"
dmesg -c >/dev/null
echo "# kernel $(uname -r)"
for t in test_binning test_parse test_window test_policy test_concurrency test_verdicts; do
	echo "# $t"
	tap_prog /tests/bin/$t
done
tap_dmesg_clean "no warnings in the kernel log"
tap_done
