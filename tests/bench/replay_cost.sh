#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Instructions per packet on the offline path (embargod --replay, the daemon's inspection,
# policy and verdict code), counted by callgrind, which repeats to the instruction whatever
# else the machine runs: for the DNS flood of tests/bench/run (one query per packet) and for
# new TLS connections (7 packets each, both directions), with the shipped configuration. Each
# figure is (instructions for 2N packets - for N) / N, so that start-up and loading the lists
# cancel out. With a second embargod (e.g. a build of another branch), both side by side.
#
#   replay_cost.sh EMBARGOD [OTHER_EMBARGOD] [N]
#
# Prints one line per case: "dns: EMBARGOD 1234.5 instr/packet [OTHER 1500.0, ratio 0.82]".
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
a=${1:?usage: replay_cost.sh EMBARGOD [OTHER_EMBARGOD] [N]}
b=${2:-}
n=${3:-4000}
command -v valgrind >/dev/null || { echo "SKIP: valgrind missing"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# conf_of EMBARGOD: the shipped configuration of the source tree the binary was built from (an
# older build does not know newer settings); this tree's when that cannot be told.
conf_of() {
	local src
	src=$(/usr/bin/python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["directories"]["source"])' \
		"$(dirname "$(dirname "$1")")/meson-info/meson-info.json" 2>/dev/null)
	if [ -n "$src" ] && [ -f "$src/conf/embargod.conf" ]; then
		echo "$src/conf/embargod.conf"
	else
		echo "$top/conf/embargod.conf"
	fi
}
# instructions EMBARGOD PCAP: the program's total instruction count (Ir).
instructions() {
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$1" --replay "$2" \
		-c "$(conf_of "$1")" -Q >/dev/null 2>"$tmp/vg.log" ||
		{ grep -v '^==' "$tmp/vg.log" >&2; return 1; }
	awk '/^summary:/ {print $2}' "$tmp/cg.out"
}
per_packet() { # EMBARGOD CASE PACKETS_PER_UNIT
	local one two
	one=$(instructions "$1" "$tmp/$2.1.pcap") || return 1
	two=$(instructions "$1" "$tmp/$2.2.pcap") || return 1
	awk -v a="$one" -v b="$two" -v n="$n" -v k="$3" 'BEGIN {printf "%.1f", (b - a) / (n * k)}'
}

for c in dns:1 tls:7; do
	name=${c%%:*} k=${c#*:}
	units=$n
	[ "$name" = tls ] && units=$((n / 8))
	"$top/tests/bench/make_replay.py" "$name" "$units" "$tmp/$name.1.pcap"
	"$top/tests/bench/make_replay.py" "$name" $((units * 2)) "$tmp/$name.2.pcap"
done
for c in dns:1 tls:7; do
	name=${c%%:*} k=${c#*:}
	saved=$n
	[ "$name" = tls ] && n=$((n / 8))
	x=$(per_packet "$a" "$name" "$k") || { echo "replay_cost: $a failed" >&2; exit 1; }
	line="$name: $x instr/packet"
	if [ -n "$b" ]; then
		y=$(per_packet "$b" "$name" "$k") || { echo "replay_cost: $b failed" >&2; exit 1; }
		line="$line (other: $y, ratio $(awk -v x="$x" -v y="$y" 'BEGIN {printf "%.2f", x / y}'))"
	fi
	echo "$line"
	n=$saved
done
