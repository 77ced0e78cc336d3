#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: loading a large blocklist through embargod.conf (a vendor file importing a plain
# list, and the same names written as entries in the vendor file) against the plain list given
# with -b, in the same run. Prints wall time and peak memory (median of RUNS), and the ratios.
#
#   config_load.sh EMBARGOD [NAMES] [RUNS]     (defaults: 1000000 names, 5 runs)
set -euo pipefail
embargod=${1:?usage: config_load.sh EMBARGOD [NAMES] [RUNS]}
names=${2:-1000000}
runs=${3:-5}
dir=$(mktemp -d /tmp/embargo-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT

awk -v n="$names" 'BEGIN { srand(1); for (i = 0; i < n; i++)
	printf "h%d-%06x.example%d.com\n", i, int(rand() * 16777216), i % 5000 }' >"$dir/list.txt"
printf 'vendor big {\n\tcategory c {\n\t\timport plain "list.txt"\n\t}\n}\n' >"$dir/import.conf"
{
	printf 'vendor big {\n\tcategory c {\n'
	sed 's/^/\t\t*./' "$dir/list.txt"
	printf '\t}\n}\n'
} >"$dir/inline.conf"

# median of the runs: "seconds kilobytes"
measure() {
	local i
	for i in $(seq "$runs"); do
		/usr/bin/time -f '%e %M' "$embargod" --check-config "$@" 2>&1 >/dev/null | tail -n 1
	done | sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'
}
read -r t_plain m_plain <<<"$(measure -b "$dir/list.txt")"
read -r t_import m_import <<<"$(measure -c "$dir/import.conf")"
read -r t_inline m_inline <<<"$(measure -c "$dir/inline.conf")"
printf '%d names, median of %d runs (check-config: read, parse, compile, free)\n' "$names" "$runs"
printf '%-34s %8s %10s %8s %8s\n' "source" "seconds" "peak MiB" "time x" "memory x"
row() {
	awk -v l="$1" -v t="$2" -v m="$3" -v t0="$t_plain" -v m0="$m_plain" \
		'BEGIN { printf "%-34s %8.2f %10.1f %8.2f %8.2f\n", l, t, m / 1024, t / t0, m / m0 }'
}
row "plain list (-b), baseline" "$t_plain" "$m_plain"
row "embargod.conf, import plain" "$t_import" "$m_import"
row "embargod.conf, entries in the file" "$t_inline" "$m_inline"
