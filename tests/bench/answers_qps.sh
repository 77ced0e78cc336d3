#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What reading DNS responses costs: DNS queries per second through the gateway of the lab
# (tests/integration/lab.sh) to its dnsmasq, closed loop (tests/bench/dnsqps: 8 sockets, 32
# queries outstanding each, every name distinct and unlisted), with embargod running, in the
# same run:
#   without: the firewall rules queue the queries only (embargo-firewall --no-dns-responses)
#   with:    they queue the responses too, which embargod reads (dns-responses inspect)
# then the same with learning on (learn-addresses ipset: every answer also goes to the main
# loop, and the rules queue new connections to learned addresses). The set-ups alternate,
# ROUNDS times (default 5), SECONDS each (default 3), in reverse order every other round; the
# ratio with / without is taken per round (the two runs side by side, so that load from
# elsewhere on the machine weighs on both) and its median printed (target >= 0.85), with the
# median qps of each set-up. Needs root.
#
#   answers_qps.sh EMBARGOD DNSQPS [SOURCE_ROOT]
set -uo pipefail

embargod=${1:?usage: answers_qps.sh EMBARGOD DNSQPS [SOURCE_ROOT]}
dnsqps=${2:?usage: answers_qps.sh EMBARGOD DNSQPS [SOURCE_ROOT]}
top=${3:-$(cd "$(dirname "$0")/../.." && pwd)}
ROUNDS=${ROUNDS:-5}
SECONDS_EACH=${SECONDS_EACH:-3}
# shellcheck source=../integration/lab.sh
. "$top/tests/integration/lab.sh"
[ "$(id -u)" -eq 0 ] || { echo "answers_qps: needs root" >&2; exit 77; }
command -v ipset >/dev/null || { echo "answers_qps: ipset missing" >&2; exit 77; }

lab_up 0 || exit 1
conf="$LAB_DIR/embargod.conf"
fw="$top/conf/embargo-firewall"
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
qps() { # tag
	lab_c "$dnsqps" $LAB_S4 "$SECONDS_EACH" "$1" example.org 8 32 |
		/usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(int(j["qps"]))'
}

declare -A runs
phase() { # name learn(off|ipset) with-label
	local name=$1 learn=$2 with=$3 r order cfg v
	printf 'queue 0\nlearn-addresses %s\nvendor kaspersky { *.kaspersky.com }\n' "$learn" >"$conf"
	chmod a+r "$conf"
	lab_g "$fw" up --backend iptables --config "$conf" || exit 1
	lab_daemon_start "$embargod" "$LAB_DIR/$name.log" -u nobody -c "$conf" || {
		cat "$LAB_DIR/$name.log"
		exit 1
	}
	for r in $(seq "$ROUNDS"); do
		order="without $with"
		[ $((r % 2)) = 0 ] && order="$with without"
		declare -A got=()
		for cfg in $order; do
			if [ "$cfg" = without ]; then
				lab_g "$fw" up --backend iptables --config "$conf" --no-dns-responses
			else
				lab_g "$fw" up --backend iptables --config "$conf"
			fi
			v=$(qps "$name$r$cfg")
			got[$cfg]=$v
			runs[$name,$cfg]="${runs[$name,$cfg]:-} $v"
		done
		ratio=$(awk -v a="${got[$with]}" -v b="${got[without]}" \
			'BEGIN { printf("%.3f", (b > 0 ? a / b : 0)) }')
		runs[$name,ratio]="${runs[$name,ratio]:-} $ratio"
		echo "$name round $r: without ${got[without]} qps, $with ${got[$with]} qps, ratio $ratio"
	done
	lab_daemon_stop
	lab_g "$fw" down
}

phase inspect off with
phase learn ipset with-learning
echo
for k in "inspect with" "learn with-learning"; do
	set -- $k
	w=$(tr ' ' '\n' <<<"${runs[$1,without]}" | grep . | median)
	x=$(tr ' ' '\n' <<<"${runs[$1,$2]}" | grep . | median)
	ratio=$(tr ' ' '\n' <<<"${runs[$1,ratio]}" | grep . | median)
	printf '%-9s median without %6s qps, %-13s %6s qps; median ratio %s (target >= 0.85)\n' \
		"$1:" "$w" "$2" "$x" "$ratio"
done
