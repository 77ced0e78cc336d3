#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The OpenWrt package Makefile (conf/openwrt/embargo/Makefile) under stand-ins for the build
# system's rules.mk, package.mk and meson.mk (tests/openwrt/sdk-stub/): both packages' fields
# (variant, dependencies, conflicts, conffiles), the meson options of each variant, and the
# install recipe run against a native build configured with those options, checking the
# staged tree. Not the OpenWrt SDK itself: that is not available here.
#   package.sh [SOURCE_DIR [BUILD_DIR]]
set -uo pipefail

top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${2:-$top/build-openwrt}
pkg=$top/conf/openwrt/embargo
stub=$top/tests/openwrt/sdk-stub
command -v make >/dev/null || { echo "SKIP: make missing"; exit 77; }
work=$(mktemp -d /tmp/embargo-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$top/tests/checks.sh"

pmake() { make -s -C "$pkg" TOPDIR="$stub" INCLUDE_DIR="$stub" STUB_WORK="$work" "$@"; }
info() { pmake "info-$1" | sed "s/DEPENDS=/DEPENDS= /"; }
has() { grep -qE -- "$2" <<<"$1"; }

full=$(info embargo) || full=""
noquic=$(info embargo-noquic) || noquic=""
check "the Makefile parses and defines both packages" test -n "$full" -a -n "$noquic"
check "embargo: variant quic, depends on libopenssl" \
	bash -c 'grep -q "VARIANT=quic " <<<"$1" && grep -q "+libopenssl" <<<"$1"' _ "$full"
check "embargo-noquic: variant noquic, no libopenssl, provides and conflicts with embargo" \
	bash -c 'grep -q "VARIANT=noquic " <<<"$1" && ! grep -q libopenssl <<<"$1" &&
		grep -q "PROVIDES=embargo" <<<"$1" && grep -q "CONFLICTS=embargo" <<<"$1"' _ "$noquic"
for dep in +libnetfilter-queue +libmnl +libevent2-core +kmod-nft-queue +kmod-nft-conntrack \
	+firewall4 +bash +EMBARGO_REPLAY:libpcap; do
	check "both packages depend on $dep" \
		bash -c 'grep -qF -- " $3" <<<"$1" && grep -qF -- " $3" <<<"$2"' _ "$full" "$noquic" "$dep"
done
check "the embargo user is created by the package" has "$full" "USERID=embargo:embargo"
check "conffiles: /etc/config/embargo and the vendor files" \
	has "$full" "conffiles=/etc/config/embargo /etc/embargo/blocklist.d/"
args_quic=$(pmake print-meson-args BUILD_VARIANT=quic)
args_noquic=$(pmake print-meson-args BUILD_VARIANT=noquic)
args_replay=$(pmake print-meson-args BUILD_VARIANT=noquic CONFIG_EMBARGO_REPLAY=y)
check "meson: quic variant enables QUIC, noquic disables it" \
	bash -c 'grep -q -- "-Dquic=enabled" <<<"$1" && grep -q -- "-Dquic=disabled" <<<"$2"' _ \
	"$args_quic" "$args_noquic"
check "meson: replay only with CONFIG_EMBARGO_REPLAY" \
	bash -c 'grep -q -- "-Dreplay=disabled" <<<"$1" && grep -q -- "-Dreplay=enabled" <<<"$2"' _ \
	"$args_noquic" "$args_replay"
check "meson: daemon on; systemd, tests, benchmarks, fuzzing off" \
	bash -c 'for o in -Ddaemon=enabled -Dsystemd=disabled -Dtests=disabled -Dbench=false -Dfuzzing=false; do
		grep -q -- "$o" <<<"$1" || exit 1; done' _ "$args_noquic"

# What the SDK would build and install for embargo-noquic, then the package's install recipe.
# shellcheck disable=SC2086 # the options, one word each
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" $args_noquic -Dwerror=true --prefix=/usr --sysconfdir=/etc \
		>"$work/setup.log" 2>&1 || cat "$work/setup.log"
fi
check "embargo-noquic's configuration builds (-Werror)" \
	bash -c "ninja -C '$build' -j 2 >'$work/ninja.log' 2>&1 || { tail -n 20 '$work/ninja.log'; exit 1; }"
meson install -C "$build" --destdir "$work/install" >/dev/null 2>&1
check "install recipe runs against the meson install" \
	pmake stage-embargo-noquic PKG_INSTALL_DIR="$work/install" STAGE="$work/stage"
s=$work/stage/embargo-noquic
for f in usr/sbin/embargod usr/sbin/embargoctl usr/sbin/embargo-firewall etc/init.d/embargo; do
	check "staged, executable: /$f" test -x "$s/$f" -a -f "$s/$f"
done
for f in etc/config/embargo etc/capabilities/embargod.json etc/embargo/blocklist.d/kaspersky.conf \
	etc/embargo/blocklist.d/doh.conf; do
	check "staged: /$f" test -f "$s/$f"
done
check "staged: ruleset-post link to /var/run/embargo/fw4.nft" \
	test "$(readlink "$s/usr/share/nftables.d/ruleset-post/30-embargo.nft")" = /var/run/embargo/fw4.nft
check "staged: nothing for systemd, no embargod.conf (the init script writes one)" \
	bash -c "! find '$s' -path '*systemd*' | grep -q . && [ ! -e '$s/etc/embargo/embargod.conf' ]"
check "staged embargod has no QUIC and no replay" \
	bash -c "'$s/usr/sbin/embargod' --version | grep -qi 'quic.*no\|no.*quic\|without quic' && ! '$s/usr/sbin/embargod' --replay /dev/null 2>/dev/null"
checks_end
