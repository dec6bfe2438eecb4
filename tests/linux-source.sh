#!/bin/sh
# Prints the path of Debian's unpacked linux-source tree (the series of the
# headers flowpic.ko builds against, found by tests/kernel.sh), unpacking
# it on first use into a cache outside flowpic's tree (FLOWPIC_CACHE,
# default /var/cache/flowpic). The kselftest headers and lib.mk, and
# kunit.py, come from here. The folder is named after the tarball, and the
# tarball's identity (name, size, time) is recorded beside it: a new
# package (Debian's kernel moves) is unpacked afresh, never mixed with the
# old one. Safe to run concurrently: unpacking happens under a lock.
set -eu
cache=${FLOWPIC_CACHE:-/var/cache/flowpic}
tarball=$(sh "$(dirname "$0")/kernel.sh" source) || exit 1
name=$(basename "$tarball" | sed -E 's/\.tar(\.[a-z0-9]+)?$//')
src=$cache/$name
stamp=$src/.flowpic-unpacked
id=$(stat -c '%n %s %Y' "$tarball")
mkdir -p "$cache"
exec 9>"$cache/.linux-source.lock"
flock 9
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$id" ]; then
	rm -rf "$src"
	echo "unpacking $tarball into $cache" >&2
	tar -C "$cache" -xf "$tarball"
	[ -d "$src" ] || { echo "$tarball did not unpack to $src" >&2; exit 1; }
	echo "$id" >"$stamp"
fi
echo "$src"
