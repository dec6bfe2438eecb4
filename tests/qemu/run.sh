#!/bin/sh
# QEMU layer: Debian's kernel (/boot/vmlinuz-$KVER, the version of the
# headers flowpic.ko is built against, tests/kernel.sh) booted by qemu-system-x86_64 (TCG,
# no KVM) with a busybox-static initramfs made here, in $BUILD/qemu.
#
# Inside, tests/qemu/init runs every tests/qemu/guest.d/*.sh through
# tests/layer.sh; each prints TAP (tests/qemu/tap.sh helps) and may exit 4
# to skip. Their KTAP and a final marker come back on the second serial
# port; the console goes to a log shown on failure. A guest that hangs is
# killed by `timeout` and fails, so does one that never writes the marker.
#
# What goes into the initramfs:
#   - busybox-static, tests/layer.sh, guest.d/*.sh and what they source:
#     tests/qemu/tap.sh, tests/qemu/daemon.sh (flowpicd's set-up);
#   - kmod/flowpic.ko (built here with `make kmod`) as /tests/flowpic.ko;
#   - every tests/qemu/*.c, compiled with user/live/kmod_client.c,
#     tests/qemu/lib/*.c (what they share) and libnl-genl
#     (`make qemu-bins`), as /tests/bin/NAME;
#   - `make user qemu-bins` builds tests/selftests/{daemon_model,trafgen}.c
#     too (as $BUILD/tests/qemu/NAME), for .bins to name;
#   - programs listed in guest.d/*.bins (paths relative to the repo, one a
#     line, e.g. build/flowpicd), as /tests/bin/NAME, with the shared
#     libraries ldd names;
#   - files listed in guest.d/*.files (repo-relative), under /tests/ at
#     the same relative path (BPF objects, datasets...);
#   - kernel modules named in guest.d/*.mods (e.g. veth), with their
#     dependencies from modules.dep, decompressed, loaded before the
#     scripts run.
#
# The guest boots with slab_nomerge so a module's own slab caches show in
# /proc/slabinfo. Prints KTAP and ends with "# qemu: N passed, N failed,
# N skipped".
#
# FLOWPIC_QEMU_GUEST_D names another directory of guest scripts (with its
# own .bins, .files, .mods) to run instead: tests/bench/qemu.d is
# bench_kmod.sh's.
cd "$(dirname "$0")/../.." || exit 1
repo=$PWD
guest_d=${FLOWPIC_QEMU_GUEST_D:-tests/qemu/guest.d}
[ -d "$guest_d" ] || { echo "# qemu: no directory $guest_d"; exit 1; }
BUILD=${BUILD:-build}
# The version is what is installed: the headers flowpic.ko builds against
# (KDIR), with the image and modules of that same version; the newest
# complete set when there are several (tests/kernel.sh).
KVER=$(sh tests/kernel.sh kver 2>&1) || {
	echo "$KVER" | sed 's/^/# qemu: /'
	echo "# qemu: 0 passed, 1 failed, 0 skipped"
	exit 1
}
export KDIR=${KDIR:-/usr/src/linux-headers-$KVER}
kernel=/boot/vmlinuz-$KVER
moddir=/lib/modules/$KVER
limit=${FLOWPIC_QEMU_TIMEOUT:-600}
mem=${FLOWPIC_QEMU_MEM:-1024}
work=$repo/$BUILD/qemu
root=$work/root

die() {
	echo "# qemu: $*"
	echo "# qemu: 0 passed, 1 failed, 0 skipped"
	exit 1
}

for t in qemu-system-x86_64 cpio timeout gcc pkg-config; do
	command -v $t >/dev/null || die "$t is missing (make deps)"
done
[ -r "$kernel" ] || die "no $kernel (linux-image-amd64, make deps)"
[ -d "$moddir" ] || die "no $moddir"
busybox=$(command -v busybox)
[ -n "$busybox" ] && ldd "$busybox" 2>&1 | grep -q 'not a dynamic' ||
	die "busybox is not busybox-static"

mkdir -p "$work"
exec 8>"$work/.lock"
flock 8

# --- build what goes in --------------------------------------------------
start=$(date +%s)
make --no-print-directory kmod >"$work/kmod.log" 2>&1 || {
	tail -20 "$work/kmod.log" | sed 's/^/# /'
	die "make kmod failed"
}
modinfo -F vermagic kmod/flowpic.ko | grep -q "^$KVER " ||
	die "kmod/flowpic.ko is not built for $KVER"

# The guest's programs, built by the Makefile's rules and flags: every
# tests/qemu/*.c with user/live/kmod_client.c and libnl-genl alone, and,
# linked with libflowpic.a, flowpic's own programs and two helpers of the
# daemon selftests (the model maker and trafgen, as $BUILD/tests/qemu/NAME)
# for guest scripts that run flowpicd.
make --no-print-directory BUILD="$BUILD" user qemu-bins >"$work/user.log" 2>&1 || {
	tail -20 "$work/user.log" | sed 's/^/# /'
	die "make user qemu-bins failed"
}
progs=""
for src in tests/qemu/*.c; do
	[ -f "$src" ] && progs="$progs $BUILD/tests/qemu/$(basename "$src" .c)"
done
for list in "$guest_d"/*.bins; do
	[ -f "$list" ] || continue
	for p in $(grep -v '^#' "$list"); do
		[ -x "$p" ] || die "$list: $p is not built"
		progs="$progs $p"
	done
done

# --- the initramfs -------------------------------------------------------
rm -rf "$root"
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
	"$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/etc" \
	"$root/tests/bin" "$root/tests/guest.d" "$root/lib/modules/$KVER"
cp "$busybox" "$root/bin/busybox"
for a in $("$busybox" --list-full); do
	[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

cp tests/qemu/init "$root/init"
cp tests/layer.sh tests/qemu/tap.sh tests/qemu/daemon.sh "$root/tests/"
cp kmod/flowpic.ko "$root/tests/flowpic.ko"
for s in "$guest_d"/*.sh; do
	[ -x "$s" ] && cp "$s" "$root/tests/guest.d/"
done

# Copies @1 and the shared libraries it needs to the same paths.
copy_libs() {
	ldd "$1" 2>/dev/null | awk '/=> \//{print $3} /^\t\//{print $1}' |
	while read -r lib; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
for p in $progs; do
	cp "$p" "$root/tests/bin/"
	copy_libs "$p"
done
for list in "$guest_d"/*.files; do
	[ -f "$list" ] || continue
	for f in $(grep -v '^#' "$list"); do
		[ -e "$f" ] || die "$list: $f does not exist"
		mkdir -p "$root/tests/$(dirname "$f")"
		cp -r "$f" "$root/tests/$f"
	done
done

# Kernel modules, dependencies first, decompressed for busybox insmod.
: >"$root/tests/modules.load"
add_module() {
	path=$(awk -F: -v m="$1" '{ n = $1; sub(/.*\//, "", n);
		sub(/\.ko(\..*)?$/, "", n); gsub(/-/, "_", n);
		mm = m; gsub(/-/, "_", mm); if (n == mm) { print $0; exit } }' \
		"$moddir/modules.dep")
	[ -n "$path" ] || die "module $1 is not in $moddir/modules.dep"
	for dep in $(echo "${path#*:}" | tr ' ' '\n' | tac) "${path%%:*}"; do
		[ -n "$dep" ] || continue
		out=/lib/modules/$KVER/$(echo "$dep" | sed -E 's/\.(xz|zst|gz)$//')
		grep -qxF "$out" "$root/tests/modules.load" && continue
		mkdir -p "$root$(dirname "$out")"
		case $dep in
		*.xz) xz -dc "$moddir/$dep" >"$root$out" ;;
		*.zst) zstd -qdc "$moddir/$dep" >"$root$out" ;;
		*.gz) gzip -dc "$moddir/$dep" >"$root$out" ;;
		*) cp "$moddir/$dep" "$root$out" ;;
		esac || die "cannot copy module $dep"
		echo "$out" >>"$root/tests/modules.load"
	done
}
for list in "$guest_d"/*.mods; do
	[ -f "$list" ] || continue
	for m in $(grep -v '^#' "$list"); do
		add_module "$m"
	done
done

(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initramfs.cpio" ||
	die "cannot make the initramfs"
built=$(date +%s)

# --- boot ----------------------------------------------------------------
rm -f "$work/console.log" "$work/verdict.log"
# --foreground keeps QEMU in our process group, so that Ctrl-C or a
# signal to the group (tests/check.sh on an early exit) stops it too.
timeout --foreground --kill-after=10 "$limit" qemu-system-x86_64 \
	-nographic -nodefaults -no-reboot \
	-machine pc -accel tcg -cpu max -smp 2 -m "$mem" \
	-kernel "$kernel" -initrd "$work/initramfs.cpio" \
	-append "console=ttyS0 panic=-1 oops=panic loglevel=4 slab_nomerge" \
	-serial "file:$work/console.log" -serial "file:$work/verdict.log" \
	</dev/null >"$work/qemu.log" 2>&1
qrc=$?
done=$(date +%s)
echo "# qemu: initramfs in $((built - start)) s, guest ran $((done - built)) s"

tr -d '\r\000' <"$work/verdict.log" 2>/dev/null | grep -v '^FLOWPIC-QEMU-DONE$' \
	>"$work/ktap"
cat "$work/ktap"
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "# qemu: the guest did not finish within $limit s; console tail:"
	tail -30 "$work/console.log" | sed 's/^/# /'
	die "guest timed out"
fi
if ! tr -d '\r\000' <"$work/verdict.log" 2>/dev/null |
     grep -qx 'FLOWPIC-QEMU-DONE'; then
	echo "# qemu: no verdict marker (qemu exit $qrc); console tail:"
	tail -30 "$work/console.log" | sed 's/^/# /'
	sed 's/^/# /' "$work/qemu.log"
	die "guest died before its verdict"
fi
line=$(grep -E '^# qemu: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' \
	"$work/ktap" | tail -1)
[ -n "$line" ] || die "the guest printed no count line"
fail=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
if [ "$fail" != 0 ]; then
	echo "# qemu: console tail:"
	tail -30 "$work/console.log" | sed 's/^/# /'
fi
[ "$fail" = 0 ]
