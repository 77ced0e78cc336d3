#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bulk throughput through the gateway of the lab (tests/integration/lab.sh): a 64 MiB download
# over HTTP and HTTPS, RUNS times each, in three set-ups measured in the same run:
#   (a) no embargo rules, (b) rules installed but no daemon (queue bypass),
#   (c) rules and embargod running.
# Prints MB/s per run, the median per set-up, and the ratios c/a and c/b. Needs root.
#
#   bulk_throughput.sh EMBARGOD [SOURCE_ROOT]
set -uo pipefail

embargod=${1:?usage: bulk_throughput.sh EMBARGOD [SOURCE_ROOT]}
top=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
RUNS=${RUNS:-5}
MIB=64
# shellcheck source=../integration/lab.sh
. "$top/tests/integration/lab.sh"
[ "$(id -u)" -eq 0 ] || { echo "bulk_throughput: needs root" >&2; exit 77; }

lab_up $MIB || exit 1
printf 'kaspersky.com\n' >"$LAB_DIR/list"

# One download; prints MB/s (10^6 bytes per second).
speed() { # scheme
	lab_c curl -sk --max-time 60 -o /dev/null -w '%{speed_download}' \
		--resolve "notkaspersky.com:$2:$LAB_S4" "$1://notkaspersky.com/bulk.bin" |
		awk '{printf "%.1f", $1 / 1e6}'
}
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

declare -A med
measure() { # label
	local scheme s all
	for scheme in http https; do
		all=""
		for _ in $(seq "$RUNS"); do
			s=$(speed $scheme $([ $scheme = http ] && echo 80 || echo 443))
			all="$all $s"
		done
		med[$1,$scheme]=$(tr ' ' '\n' <<<"$all" | grep . | median)
		printf '  %-28s %-5s runs (MB/s):%s  median %s\n' "$1" $scheme "$all" "${med[$1,$scheme]}"
	done
}

echo "bulk transfer of $MIB MiB through the gateway, $RUNS runs per set-up:"
measure "a: no rules"
lab_g "$top/conf/embargo-firewall" up --queue 0
measure "b: rules, no daemon"
lab_daemon_start "$embargod" "$LAB_DIR/log" -b "$LAB_DIR/list" || { cat "$LAB_DIR/log"; exit 1; }
measure "c: rules and embargod"
lab_daemon_stop
lab_g "$top/conf/embargo-firewall" down
for scheme in http https; do
	awk -v a="${med[a: no rules,$scheme]}" -v b="${med[b: rules, no daemon,$scheme]}" \
		-v c="${med[c: rules and embargod,$scheme]}" -v s=$scheme \
		'BEGIN {printf "ratio %-5s  with daemon / no rules: %.2f   with daemon / rules only: %.2f\n", s, c / a, c / b}'
done
grep -o 'totals after .*' "$LAB_DIR/log" | sed 's/^/daemon /'
