#!/bin/sh
# make fresh-machine: README's two commands, run as a newcomer would run
# them, on a Debian 12 root that nothing on this machine has warmed.
#
#   1. debootstrap builds a Debian 12 (bookworm) root from Debian's archive
#      (the only network this needs) in FLOWPIC_FRESH (default
#      /var/tmp/flowpic-fresh), with what a new machine of ours has (gcc,
#      make) and Debian's own package sources (main, updates, security);
#   2. a clean clone of this repository's committed HEAD goes to
#      /work/main inside it, a copy of ../shared beside it at /work/shared;
#   3. in a private mount namespace, the root becomes a mount point of its
#      own and gets proc, sys, bpffs, dev and a fresh run, then, chrooted there as root with no
#      terminal, `make test` (cold: nothing installed or built yet) and
#      then `make demo` run in turn;
#   4. each command's exit status, wall time and its last line are
#      printed, with a log kept under FLOWPIC_FRESH.
#
# The kernel-side layers use this machine's kernel, as CI does. Not part
# of `make test`: it downloads and builds everything from nothing.
# FLOWPIC_FRESH_KEEP=1 keeps the root afterwards (it is removed before a
# run in any case, so every run starts cold).
set -u
cd "$(dirname "$0")/.." || exit 1
repo=$PWD
shared=${FLOWPIC_SHARED:-$repo/../shared}
base=${FLOWPIC_FRESH:-/var/tmp/flowpic-fresh}
root=$base/root
mirror=${FLOWPIC_MIRROR:-http://deb.debian.org/debian}

die() {
	echo "fresh-machine: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mounts)"
[ -d "$shared" ] || die "no $shared (the shared datasets belong beside the repository)"
git -C "$repo" rev-parse HEAD >/dev/null 2>&1 || die "$repo is not a git repository"
if ! command -v debootstrap >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends debootstrap >/dev/null ||
		die "cannot install debootstrap"
fi

umount_all() {
	# The mounts live in the private namespace of the run; this only
	# catches a root left mounted by a run that was killed.
	for m in $(awk -v r="$root" 'index($2, r) == 1 { print $2 }' \
		/proc/self/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
}
# Removes the root only when nothing is mounted below it: never a
# recursive delete into a bind-mounted /sys or /dev.
remove_root() {
	umount_all
	if awk -v r="$root" 'index($2, r) == 1 { found = 1 } END { exit !found }' \
		/proc/self/mounts; then
		echo "fresh-machine: $root still has mounts; not removing it" >&2
		return 1
	fi
	rm -rf "$root"
}
cleanup() {
	[ "${FLOWPIC_FRESH_KEEP:-0}" = 1 ] || remove_root
}
trap cleanup EXIT
trap 'exit 130' INT TERM

remove_root || exit 1
mkdir -p "$base"
log=$base/log
: >"$log"

now() { date +%s; }

echo "fresh-machine: debootstrap bookworm into $root"
t0=$(now)
debootstrap --variant=minbase --include=make,gcc,libc6-dev,git,ca-certificates \
	bookworm "$root" "$mirror" >>"$log" 2>&1 ||
	die "debootstrap failed (see $log)"
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
echo "fresh-machine: root made in $(($(now) - t0)) s"

mkdir -p "$root/work"
git clone -q --no-hardlinks "$repo" "$root/work/main" ||
	die "cannot clone $repo"
echo "fresh-machine: clone of $(git -C "$repo" rev-parse --short HEAD)"
cp -a "$shared" "$root/work/shared" || die "cannot copy $shared"

# One README command in the root: status, wall time, last line.
run() {
	name=$1
	shift
	echo "fresh-machine: running \`$*\`"
	t=$(now)
	unshare --mount --propagation private sh -c '
		r=$1; shift
		# The root is a mount point of its own, as on a machine:
		# `ip netns exec` remounts / (mount --make-rslave /).
		mount --bind "$r" "$r" &&
		mount -t proc proc "$r/proc" &&
		mount --rbind /sys "$r/sys" &&
		mount --rbind /dev "$r/dev" &&
		mount -t tmpfs tmpfs "$r/run" &&
		mkdir -p "$r/run/lock" &&
		{ mountpoint -q "$r/sys/fs/bpf" ||
		  mount -t bpf bpf "$r/sys/fs/bpf"; } &&
		exec chroot "$r" /usr/bin/env -i HOME=/root \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			LANG=C.UTF-8 sh -c "cd /work/main && $*" </dev/null
	' fresh "$root" "$@" >"$base/$name.log" 2>&1
	rc=$?
	secs=$(($(now) - t))
	last=$(tail -1 "$base/$name.log")
	printf 'fresh-machine: %-10s exit %d  %dm%02ds  last line: %s\n' \
		"$name" "$rc" $((secs / 60)) $((secs % 60)) "$last" |
		tee -a "$base/summary"
	return $rc
}

: >"$base/summary"
status=0
run test make test || status=1
run demo make demo || status=1
echo "fresh-machine: logs in $base (demo.log, test.log, log)"
cat "$base/summary"
exit $status
