#!/bin/sh
# Installs the Debian 12 packages flowpic builds and tests with.
# Idempotent: packages already present are not fetched again.
set -eu

PKGS="
build-essential pkg-config make gcc clang llvm lld libclang-rt-dev
libbpf-dev bpftool libelf-dev zlib1g-dev
libnl-3-dev libnl-genl-3-dev libnl-route-3-dev
libopenblas-dev libpcap-dev libpng-dev
libndpi-dev libndpi-bin libgcrypt20-dev
linux-headers-amd64 linux-image-amd64 linux-source
qemu-system-x86 busybox-static cpio xz-utils
bc flex bison python3 python3-torch kmod
iproute2 tcpdump iputils-ping netcat-openbsd ethtool util-linux
socat curl wget gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
baresip-core espeak-ng ffmpeg nginx-light openssl iperf3 openvpn
gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
openssh-server openssh-client rsync vsftpd lftp aria2 mktorrent opentracker
prosody python3-slixmpp ngircd chromium
libfixbuf-dev libcap-ng-dev nfdump pmacct prometheus
softflowd argus-server valgrind
"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	if [ ! -f /var/lib/apt/periodic/flowpic-updated ] ||
	   ! apt-get install -y -q --no-install-recommends $missing; then
		apt-get update -q
		mkdir -p /var/lib/apt/periodic
		touch /var/lib/apt/periodic/flowpic-updated
		apt-get install -y -q --no-install-recommends $missing
	fi
else
	echo "deps: all packages present"
fi

# argus-server is only a benchmark peer reading capture files; the daemon
# it packages (argus.service: capture on the first interface, records
# written forever to /var/log/argus) stays off.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
	systemctl disable --now argus.service >/dev/null 2>&1 || true
fi
