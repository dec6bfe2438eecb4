#!/bin/sh
# Finds the Debian kernel flowpic.ko is built and booted against, from what
# is installed, never from a version written in the tree (Debian's kernel
# ABI moves with every point release and security update).
#
#   sh tests/kernel.sh kdir     the headers folder `make kmod` builds with
#   sh tests/kernel.sh kver     the version the QEMU layer boots
#   sh tests/kernel.sh source   the linux-source tarball of that series
#
# A version is complete when /usr/src/linux-headers-V, /boot/vmlinuz-V and
# /lib/modules/V/modules.dep are all there; with several, the newest
# complete one wins (sort -V). KDIR (a headers folder) or FLOWPIC_QEMU_KVER
# override the choice. `kdir` falls back to the newest headers when no
# version is complete (building the module needs no image); `kver` then
# fails with one message that lists what was found and what to install.
set -u

# Prints the release of a headers folder: the UTS_RELEASE it builds for
# (Debian's include/config/kernel.release holds the upstream version
# only), else the folder's name.
release_of() {
	if [ -r "$1/include/generated/utsrelease.h" ]; then
		sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
			"$1/include/generated/utsrelease.h"
	else
		basename "$1" | sed 's/^linux-headers-//'
	fi
}

headers=$(for d in /usr/src/linux-headers-*-amd64; do
	[ -f "$d/Makefile" ] && release_of "$d"
done | sort -V)
images=$(for f in /boot/vmlinuz-*; do
	[ -r "$f" ] && basename "$f" | sed 's/^vmlinuz-//'
done | sort -V)
modules=$(for d in /lib/modules/*; do
	[ -f "$d/modules.dep" ] && basename "$d"
done | sort -V)

complete() {
	for v in $headers; do
		echo "$images" | grep -qxF "$v" || continue
		echo "$modules" | grep -qxF "$v" || continue
		echo "$v"
	done | tail -1
}

list() {
	[ -n "$1" ] && echo "$1" | tr '\n' ' ' | sed 's/ $//' || echo none
}

mismatch() {
	echo "no installed kernel version has headers, image and modules together:" >&2
	echo "  headers (/usr/src/linux-headers-*): $(list "$headers")" >&2
	echo "  images (/boot/vmlinuz-*): $(list "$images")" >&2
	echo "  modules (/lib/modules/*/modules.dep): $(list "$modules")" >&2
	echo "  make deps installs linux-headers-amd64 and linux-image-amd64;" \
		"for one version V: apt-get install linux-headers-V linux-image-V" >&2
	exit 1
}

case ${1:-kver} in
kdir)
	if [ -n "${KDIR:-}" ]; then
		echo "$KDIR"
		exit 0
	fi
	v=${FLOWPIC_QEMU_KVER:-$(complete)}
	[ -n "$v" ] || v=$(echo "$headers" | tail -1)
	[ -n "$v" ] || exit 1
	echo "/usr/src/linux-headers-$v"
	;;
kver)
	if [ -n "${FLOWPIC_QEMU_KVER:-}" ]; then
		v=$FLOWPIC_QEMU_KVER
	elif [ -n "${KDIR:-}" ]; then
		v=$(release_of "$KDIR")
	else
		v=$(complete)
	fi
	[ -n "$v" ] || mismatch
	for need in "/boot/vmlinuz-$v" "/lib/modules/$v/modules.dep" \
		    "${KDIR:-/usr/src/linux-headers-$v}/Makefile"; do
		if [ ! -r "$need" ]; then
			echo "kernel $v: $need is missing" >&2
			mismatch
		fi
	done
	echo "$v"
	;;
source)
	# linux-source-X.Y of the headers' series; else the newest there is.
	kdir=$(sh "$0" kdir 2>/dev/null) || kdir=""
	series=""
	[ -n "$kdir" ] && series=$(release_of "$kdir" | cut -d. -f1,2)
	t=""
	[ -n "$series" ] && t=$(ls /usr/src/linux-source-"$series".tar.* \
		2>/dev/null | head -1)
	[ -n "$t" ] || t=$(ls /usr/src/linux-source-*.tar.* 2>/dev/null |
		sort -V | tail -1)
	if [ -z "$t" ]; then
		echo "no /usr/src/linux-source-*.tar.* (make deps installs" \
			"linux-source)" >&2
		exit 1
	fi
	echo "$t"
	;;
*)
	echo "usage: tests/kernel.sh kdir|kver|source" >&2
	exit 2
	;;
esac
