#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install everything embargo needs to build, run and test on Debian 12 (run as root).
set -eu

PACKAGES="
  build-essential meson ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libnetfilter-queue-dev libmnl-dev libevent-dev libssl-dev libpcap-dev libsystemd-dev
  libcap-dev libcmocka-dev
  iproute2 iptables nftables conntrack tcpdump
  dnsmasq-base nginx-light openssl curl dnsutils knot-dnsutils ngtcp2-client ngtcp2-server
  python3 python3-scapy python3-cryptography socat systemd
"

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (apt-get needs it)" >&2
	exit 1
fi
missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
