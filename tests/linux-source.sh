#!/bin/sh
# Prints the path of Debian's linux-source-6.1 tree, unpacking it on first
# use into a cache outside flowpic's tree (FLOWPIC_CACHE, default
# /var/cache/flowpic). The kselftest headers and lib.mk, and kunit.py, come
# from here. Safe to run concurrently: unpacking happens under a lock.
set -eu
cache=${FLOWPIC_CACHE:-/var/cache/flowpic}
tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -1)
if [ -z "$tarball" ]; then
	echo "linux-source-6.1 is not installed (make deps)" >&2
	exit 1
fi
src=$cache/linux-source-6.1
mkdir -p "$cache"
exec 9>"$cache/.linux-source.lock"
flock 9
if [ ! -f "$src/.flowpic-unpacked" ] || [ "$src/.flowpic-unpacked" -ot "$tarball" ]; then
	rm -rf "$src"
	echo "unpacking $tarball into $cache" >&2
	tar -C "$cache" -xf "$tarball"
	touch "$src/.flowpic-unpacked"
fi
echo "$src"
