#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install everything embargo needs to build, run and test on Debian 12 (run as root).
set -eu

PACKAGES="
  build-essential meson ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libnetfilter-queue-dev libmnl-dev libevent-dev libssl-dev libpcap-dev libsystemd-dev
  libcap-dev libcmocka-dev valgrind
  iproute2 iptables nftables ipset conntrack tcpdump
  dnsmasq-base nginx-light openssl curl dnsutils knot-dnsutils ngtcp2-client ngtcp2-server
  python3 python3-scapy python3-cryptography socat systemd
  qemu-user-static musl-tools busybox
  gcc-s390x-linux-gnu libc6-dev-s390x-cross linux-libc-dev-s390x-cross
  gcc-arm-linux-gnueabihf libc6-dev-armhf-cross linux-libc-dev-armhf-cross
  gcc-mipsel-linux-gnu libc6-dev-mipsel-cross linux-libc-dev-mipsel-cross
"
# Targets of the cross builds (cross/ARCH.ini): their libraries come from Debian's packages of
# that architecture, unpacked by tests/cross/sysroot.sh.
CROSS_ARCHS="s390x armhf mipsel"

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (apt-get needs it)" >&2
	exit 1
fi
# apt must know the cross targets' packages (only their lists: nothing of theirs is installed
# through dpkg).
update=0
for a in $CROSS_ARCHS; do
	if ! dpkg --print-foreign-architectures | grep -qx "$a"; then
		dpkg --add-architecture "$a"
		update=1
	fi
done
missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ] || [ $update = 1 ]; then
	apt-get -o DPkg::Lock::Timeout=300 update -qq
fi
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
else
	echo "install-deps: installing:$missing"
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing
fi
# A target whose libraries cannot be laid out fails its own cross check, not the whole suite.
for a in $CROSS_ARCHS; do
	"$(dirname "$0")/cross/sysroot.sh" "$a" || echo "install-deps: no $a target libraries" >&2
done
