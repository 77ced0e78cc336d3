#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Lay out the target libraries a cross build of embargo links against: Debian's packages of one
# architecture, fetched with apt-get and unpacked into a directory of their own (default
# /opt/embargo-cross/ARCH, where cross/ARCH.ini looks). They are not installed through dpkg's
# multiarch support on purpose: a foreign -dev package must then carry exactly the version of
# its native twin, and Debian's security archive does not build every architecture, so
# libssl-dev:s390x and libssl-dev:amd64 are often at different versions.
# The C library comes with the cross compiler (libc6-dev-ARCH-cross), not from here.
#   sysroot.sh ARCH [DIR [--refresh]]        ARCH: s390x, armhf or mipsel
set -euo pipefail

arch=${1:?usage: sysroot.sh ARCH [DIR [--refresh]]}
dir=${2:-/opt/embargo-cross/$arch}

# What the build links (the -dev packages) and what those libraries need at run time under
# qemu (libpcap pulls in D-Bus, D-Bus libsystemd and its compressors).
packages="
  libssl-dev libssl3
  libevent-dev libevent-2.1-7 libevent-core-2.1-7 libevent-pthreads-2.1-7
  libevent-extra-2.1-7 libevent-openssl-2.1-7
  libmnl-dev libmnl0 libnetfilter-queue-dev libnetfilter-queue1 libnfnetlink-dev libnfnetlink0
  libpcap0.8-dev libpcap0.8 libdbus-1-dev libdbus-1-3
  libsystemd0 libcap2 libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libzstd1
  libcmocka-dev libcmocka0
"

# (The list is read whole first: with pipefail, grep -q leaving early can fail the pipe.)
if ! grep -qx "$arch" <<<"$(dpkg --print-foreign-architectures)"; then
	echo "sysroot: architecture $arch is not known to dpkg (dpkg --add-architecture $arch; apt-get update)" >&2
	exit 1
fi
# The package set already unpacked there is kept (its versions need not be the newest: they only
# have to fit together); --refresh fetches the current versions anyway.
if [ "${3:-}" != --refresh ] && [ -f "$dir/.packages" ] &&
	[ "$(sed 's/=.*//' "$dir/.packages" | tr '\n' ' ')" = "$(printf "%s:$arch " $packages)" ]; then
	echo "sysroot: $dir is in place"
	exit 0
fi
# The exact versions apt fetches now, in one apt-cache call (each costs seconds).
# shellcheck disable=SC2086
want=$(apt-cache policy $(printf "%s:$arch " $packages) |
	awk '/^[^ ]/ { p = $1; sub(/:$/, "", p) } /Candidate:/ { print p "=" $2 }')
for p in $packages; do
	if ! grep -q "^$p:$arch=[^(]" <<<"$want"; then
		echo "sysroot: no package $p:$arch" >&2
		exit 1
	fi
done

dl=$(mktemp -d /tmp/embargo-sysroot.XXXXXX)
trap 'rm -rf "$dl"' EXIT
# apt's download user must be able to write there.
chown _apt "$dl" 2>/dev/null || chmod 0777 "$dl"
# shellcheck disable=SC2086
(cd "$dl" && apt-get download -qq $want)
rm -rf "$dir"
mkdir -p "$dir"
for deb in "$dl"/*.deb; do
	dpkg-deb -x "$deb" "$dir"
done
echo "$want" >"$dir/.packages"
echo "sysroot: $arch libraries in $dir ($(wc -l <<<"$want") packages)"
