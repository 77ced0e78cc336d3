#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build embargo for another target and run there what can run without a kernel of its own:
#   s390x, armhf, mipsel   cross/TARGET.ini (Debian's cross compiler, libraries unpacked by
#                          sysroot.sh), -Werror, everything enabled; the unit, fuzz-replay and
#                          corpus suites under qemu-user, the corpus output compared with the
#                          native embargod's (EMBARGO_NATIVE_EMBARGOD) capture by capture
#   musl                   lib/ and embargoctl with musl-gcc and -Dquic=disabled (OpenWrt's C
#                          library; no other library is built for it here); the fuzz replays
# Optimised, without sanitizers: the native ASan+UBSan build covers those, this covers byte
# order, word size and alignment. Prints meson's summary (Ok:, Fail:, ...).
#   run.sh TARGET [BUILD_DIR]
# Exit status: meson test's; 77 (skip) when the target's compiler, qemu or libraries are missing.
set -uo pipefail

target=${1:?usage: run.sh TARGET [BUILD_DIR]}
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-$top/build-cross-$target}

skip() { # as root, tests/install-deps.sh has run: what it should have provided is a failure
	echo "SKIP: $target: $* (tests/install-deps.sh installs it)"
	[ "$(id -u)" -eq 0 ] && exit 1
	exit 77
}

case "$target" in
s390x | armhf | mipsel)
	cross="$top/cross/$target.ini"
	cc=$(sed -n "s/^triplet = '\(.*\)'$/\1/p" "$cross")-gcc
	qemu=$(sed -n "s/^exe_wrapper = \['\([^']*\)'.*/\1/p" "$cross")
	sysroot=$(sed -n "s/^sysroot = '\(.*\)'$/\1/p" "$cross")
	command -v "$cc" >/dev/null || skip "no $cc"
	command -v "$qemu" >/dev/null || skip "no $qemu"
	[ -f "$sysroot/.packages" ] || skip "no target libraries in $sysroot"
	setup=(--cross-file "$cross" -Dquic=enabled -Ddaemon=enabled -Dreplay=enabled
		-Dtests=enabled)
	suites=(--suite unit --suite fuzz --suite corpus)
	;;
musl)
	command -v musl-gcc >/dev/null || skip "no musl-gcc"
	# musl-gcc knows only musl's own headers: every dependency found through pkg-config would
	# be a glibc build, so all of them are off.
	export CC=musl-gcc
	setup=(-Dquic=disabled -Ddaemon=disabled -Dreplay=disabled -Dtests=disabled)
	suites=(--suite fuzz)
	;;
*)
	echo "run.sh: unknown target '$target' (s390x, armhf, mipsel, musl)" >&2
	exit 2
	;;
esac

if [ ! -f "$build/build.ninja" ]; then
	rm -rf "$build"
	meson setup "$build" "${setup[@]}" -Dbuildtype=debugoptimized -Dwerror=true \
		-Dsystemd=disabled -Dbench=false >"$build.setup.log" 2>&1 ||
		{ cat "$build.setup.log"; echo "$target: meson setup failed"; exit 1; }
	rm -f "$build.setup.log"
fi
ninja -C "$build" -j 2 >"$build.ninja.log" 2>&1 ||
	{ tail -n 40 "$build.ninja.log"; echo "$target: build failed"; exit 1; }
rm -f "$build.ninja.log"
if [ "$target" = musl ]; then
	# A musl binary names musl's loader, not glibc's: proof the build used musl.
	grep -q 'ld-musl' <<<"$(readelf -l "$build/tests/fuzz/fuzz_dns")" ||
		{ echo "musl: fuzz_dns is not linked against musl"; exit 1; }
fi
meson test -C "$build" "${suites[@]}" --num-processes 2 --print-errorlogs 2>&1 |
	grep -vE '^(Full log|ninja: )'
rc=${PIPESTATUS[0]}
# The lines the corpus test prints itself.
grep -hE '^(match rate|same as native|FAIL )' "$build/meson-logs/testlog.txt" 2>/dev/null
exit "$rc"
