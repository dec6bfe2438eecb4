#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# flowpic.ko's per-packet cost beside the tc program's, on the same
# traffic in one QEMU guest (tests/qemu/run.sh with the guest scripts of
# tests/bench/qemu.d): one established UDP flow from the guest's initial
# namespace through a veth pair into another, with nothing, the module
# (which sees each packet in both namespaces), or the tc program on both
# veth ends; ns per packet from every CPU's busy time. The guest's CPU is emulated (TCG, no
# KVM), so only ratios within the run mean something: each side's cost
# above the bare path, and the module's to the tc program's.
cd "$(dirname "$0")/../.." || exit 1
echo "# command: sh tests/bench/bench_kmod.sh"
make --no-print-directory build/tests/bench/pkt_cost >/dev/null || exit 1
out=$(FLOWPIC_QEMU_GUEST_D=tests/bench/qemu.d sh tests/qemu/run.sh 2>&1)
rc=$?
if [ $rc != 0 ]; then
	echo "$out" | sed 's/^/# /'
	case $out in
	*"no /boot/vmlinuz"*|*"is missing"*|*"not busybox-static"*)
		echo "# SKIP: no QEMU layer here"; exit 0 ;;
	esac
	exit 1
fi
out=$(echo "$out" | sed 's/^[[:space:]]*//')
echo "$out" | grep -E '^# (qemu:|cost round)'
echo "$out" | awk '
	/^# cost round/ { v[$5, $4] = $6; n[$5]++; if ($4 > R) R = $4 }
	function median(cfg, above,    a, i, k, t) {
		k = 0
		for (i = 1; i <= R; i++)
			if ((cfg, i) in v && (!above || (("none", i) in v)))
				a[++k] = v[cfg, i] - (above ? v["none", i] : 0)
		for (i = 1; i <= k; i++)	# insertion sort, k is small
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		if (!k) return "nan"
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	function spread(cfg, above,    a, i, k, lo, hi, d) {
		lo = 1e18; hi = -1e18
		for (i = 1; i <= R; i++)
			if ((cfg, i) in v) {
				d = v[cfg, i] - (above ? v["none", i] : 0)
				if (d < lo) lo = d
				if (d > hi) hi = d
			}
		return lo " .. " hi
	}
	END {
		if (!n["none"] || !n["kmod"] || !n["tc"]) {
			print "bench_kmod: no figures from the guest"; exit 1
		}
		none = median("none", 0)
		km = median("kmod", 1); tc = median("tc", 1)
		printf "guest_path_ns %.0f ns per packet with neither (median of %d rounds; emulated CPU)\n", none, n["none"]
		printf "kmod_ns_above_path %.0f (rounds %s)\n", km, spread("kmod", 1)
		printf "tc_ns_above_path %.0f (rounds %s)\n", tc, spread("tc", 1)
		printf "kmod_path_ratio %.3f (with the module / with neither)\n", (none + km) / none
		printf "tc_path_ratio %.3f (with the tc program / with neither)\n", (none + tc) / none
		if (tc > 0)
			printf "kmod_to_tc_ratio %.2f (the module'"'"'s cost above the path / the tc program'"'"'s)\n", km / tc
	}'
