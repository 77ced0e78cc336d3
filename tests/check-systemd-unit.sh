#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Check the generated systemd unit: `systemd-analyze verify` reports nothing but the binaries
# that are not installed yet, and the offline security exposure is below 2.0.
#   check-systemd-unit.sh BUILD_DIR
set -uo pipefail
unit="${1:?usage: check-systemd-unit.sh BUILD_DIR}/systemd/embargod.service"
[ -f "$unit" ] || { echo "no unit at $unit"; exit 1; }
problems=$(systemd-analyze verify "$unit" 2>&1 | grep -v 'is not executable\|man embargod')
if [ -n "$problems" ]; then
	echo "$problems"
	exit 1
fi
score=$(systemd-analyze security --offline=true "$unit" 2>/dev/null |
	sed -n 's/.*exposure level for embargod.service: \([0-9.]*\).*/\1/p')
echo "exposure $score"
awk -v s="$score" 'BEGIN { exit !(s != "" && s < 2.0) }'
