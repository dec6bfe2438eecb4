# SPDX-License-Identifier: GPL-2.0
# TAP helpers for the guest.d scripts (sourced; busybox sh inside the
# guest). tap_ok STATUS TEXT prints one numbered line; tap_prog PROG ARGS
# runs a C test printing TAP and renumbers its lines after ours; tap_done
# prints the plan and exits 1 if anything failed.
tap_n=0
tap_failed=0

tap_ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

tap_skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $2 # SKIP $1"
}

tap_prog() {
	_out=$("$@" 2>&1)
	_rc=$?
	_res=$(echo "$_out" | awk -v base="$tap_n" '
		/^(not )?ok [0-9]+/ {
			n++
			if ($1 == "not") { f++; sub(/^not ok [0-9]+/, "not ok " base + n) }
			else sub(/^ok [0-9]+/, "ok " base + n)
			print; next
		}
		/^1\.\.[0-9]+$/ || /^TAP version/ { next }
		{ print }
		END { print "#@ " n + 0 " " f + 0 }')
	echo "$_res" | grep -v '^#@ '
	set -- $(echo "$_res" | sed -n 's/^#@ //p')
	tap_n=$((tap_n + $1))
	tap_failed=$((tap_failed + $2))
	if [ "$_rc" != 0 ] && [ "$2" = 0 ]; then
		tap_ok 1 "program exited with status $_rc"
	fi
}

# Fails if the kernel log since the last `dmesg -c` shows trouble.
tap_dmesg_clean() {
	_bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace|kmemleak|refcount_t|list_del corruption|UBSAN|KASAN|still has objects' | head -5)
	[ -z "$_bad" ]
	tap_ok $? "$1${_bad:+: $_bad}"
}

tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" = 0 ]
	exit $?
}

# wait_bound IP NS udp|tcp PORT: waits (at most 10 s) until a socket in
# namespace NS ("-": the guest's own) is bound to PORT, listening for
# TCP, so that a client started next is not early on a slow emulated CPU.
wait_bound() {
	_hex=$(printf '%04X' "$4")
	_tcp=0
	[ "$3" = tcp ] && _tcp=1
	_i=0
	while [ $_i -lt 100 ]; do
		if [ "$2" = - ]; then
			_t=$(cat /proc/net/$3 /proc/net/${3}6 2>/dev/null)
		else
			_t=$("$1" netns exec "$2" cat /proc/net/$3 /proc/net/${3}6 2>/dev/null)
		fi
		echo "$_t" | awk -v p=":$_hex\$" -v tcp=$_tcp '
			$2 ~ p && (!tcp || $4 == "0A") { f = 1 }
			END { exit !f }' && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
