#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Memory of embargod, idle on a queue in a namespace of its own: with the shipped configuration,
# with a one-name list, and with a generated plain list of NAMES names given with -b and
# imported through embargod.conf. Prints VmRSS, RssAnon (private) and VmHWM (the peak, loading
# included) in KiB, then per loaded list: the bytes per name of its steady state and the ratio of
# its loading peak to it, both over the one-name daemon. Part of tests/bench/run; needs root.
#
#   memory.sh EMBARGOD [NAMES]      (default 1000000)
set -uo pipefail
embargod=${1:?usage: memory.sh EMBARGOD [NAMES]}
names=${2:-1000000}
top=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "memory: needs root" >&2; exit 77; }

ns=emb-mem-$$
dir=$(mktemp -d /tmp/embargo-mem.XXXXXX)
chmod 755 "$dir"
cleanup() {
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "$ns" || exit 1

awk -v n="$names" 'BEGIN { srand(1); for (i = 0; i < n; i++)
	printf "h%d-%06x.example%d.com\n", i, int(rand() * 16777216), i % 5000 }' >"$dir/big.txt"
printf 'localhost.invalid\n' >"$dir/one.txt"
printf 'vendor big {\n\tcategory c {\n\t\timport plain "big.txt"\n\t}\n}\n' >"$dir/import.conf"

# run LABEL ARGS...: start, wait for "startup:", read /proc/PID/status, stop.
status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
run() {
	local label=$1 pid i
	shift
	ip netns exec "$ns" "$embargod" -f -p - -S - -u nobody -q 9 "$@" 2>"$dir/log" &
	pid=$!
	for i in $(seq 400); do
		grep -q "startup: embargod" "$dir/log" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || { cat "$dir/log" >&2; return 1; }
		sleep 0.05
	done
	sleep 0.3
	RSS=$(status_kb $pid VmRSS) ANON=$(status_kb $pid RssAnon) HWM=$(status_kb $pid VmHWM)
	kill -TERM $pid
	wait $pid
	printf '%-44s %9s %9s %9s\n' "$label" "$RSS" "$ANON" "$HWM"
}
per_name() { # label anon hwm
	awk -v l="$1" -v n="$names" -v a0="$one_anon" -v h0="$one_hwm" -v a="$2" -v h="$3" \
		'BEGIN {printf "%-30s steady %5.1f B/name   loading peak / steady %.2f\n",
			l, (a - a0) * 1024 / n, (h - h0) / (a - a0)}'
}

printf '%-44s %9s %9s %9s\n' "embargod idle, KiB" VmRSS RssAnon VmHWM
run "shipped configuration (conf/embargod.conf)" -c "$top/conf/embargod.conf" || exit 1
shipped_anon=$ANON
run "one name (-b)" -b "$dir/one.txt" || exit 1
one_anon=$ANON one_hwm=$HWM
run "$names names (-b)" -b "$dir/big.txt" || exit 1
b_anon=$ANON b_hwm=$HWM
run "$names names (embargod.conf, import plain)" -c "$dir/import.conf" || exit 1
i_anon=$ANON i_hwm=$HWM
per_name "$names names, -b:" "$b_anon" "$b_hwm"
per_name "$names names, import plain:" "$i_anon" "$i_hwm"
echo "shipped configuration idle: RssAnon $shipped_anon KiB"
