#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `meson install` puts everything in place: binaries, firewall helper, configuration with the
# vendor files, systemd unit, sysusers and tmpfiles snippets; the installed daemon accepts the
# installed configuration.
#   check-install.sh BUILD_DIR
set -uo pipefail
build=${1:?usage: check-install.sh BUILD_DIR}
dest=$(mktemp -d /tmp/embargo-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --destdir "$dest" >/dev/null || { echo "meson install failed"; exit 1; }
prefix=$(meson introspect "$build" --buildoptions |
	/usr/bin/python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])')
root="$dest$prefix"
missing=0
for f in sbin/embargod sbin/embargoctl sbin/embargo-firewall etc/embargo/embargod.conf \
	etc/embargo/blocklist.d/kaspersky.conf etc/embargo/blocklist.d/doh.conf \
	etc/embargo/blocklist.txt etc/embargo/embargo.nft lib/systemd/system/embargod.service \
	lib/sysusers.d/embargo.conf lib/tmpfiles.d/embargo.conf; do
	if [ ! -e "$root/$f" ]; then
		echo "missing: $prefix/$f"
		missing=1
	fi
done
[ $missing = 0 ] || exit 1
out=$("$root/sbin/embargod" --check-config -c "$root/etc/embargo/embargod.conf") || exit 1
head -n 2 <<<"$out"
