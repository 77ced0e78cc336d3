#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What reading DNS responses costs: DNS queries per second through the gateway of the lab
# (tests/integration/lab.sh) to a dnsmasq, closed loop (tests/bench/dnsqps: 8 sockets, 32
# queries outstanding each, unlisted names), with embargod running, in the same run:
#   without: the firewall rules queue the queries only (embargo-firewall --no-dns-responses)
#   with:    they queue the responses too, which embargod reads (dns-responses inspect)
# for three workloads: "single", every answer one A record (the default rules leave those in
# the kernel: they cannot hold a chain); "chain", every answer a CNAME and an A record (each
# response queued and read); "learn", single answers with learning on (learn-addresses ipset:
# each answered response queued and handed to the main loop). The set-ups alternate,
# ROUNDS times (default 5), SECONDS each (default 3), in reverse order every other round; the
# ratio with / without is taken per round (the two runs side by side, so that load from
# elsewhere on the machine weighs on both) and its median printed (target >= 0.85), with the
# median qps of each set-up. Also printed: embargod's CPU time (all threads) per answered query,
# which shows the cost when something else (the resolver, the client) limits the qps; and
# after each workload what embargod read, from its closing totals. Needs root.
#
#   answers_qps.sh EMBARGOD DNSQPS [SOURCE_ROOT]
set -uo pipefail

embargod=${1:?usage: answers_qps.sh EMBARGOD DNSQPS [SOURCE_ROOT]}
export EMBARGOD=$embargod # embargo-firewall --config reads the file with it
dnsqps=${2:?usage: answers_qps.sh EMBARGOD DNSQPS [SOURCE_ROOT]}
top=${3:-$(cd "$(dirname "$0")/../.." && pwd)}
ROUNDS=${ROUNDS:-5}
SECONDS_EACH=${SECONDS_EACH:-3}
# shellcheck source=../integration/lab.sh
. "$top/tests/integration/lab.sh"
[ "$(id -u)" -eq 0 ] || { echo "answers_qps: needs root" >&2; exit 77; }
command -v ipset >/dev/null || { echo "answers_qps: ipset missing" >&2; exit 77; }

lab_up 0 || exit 1
# The chain workload's resolver: 1000 names, each a CNAME to one with an address.
CHAIN=10.231.2.53
ip -n "$LAB_S" addr add $CHAIN/24 dev "es$LAB_ID"
for i in $(seq 0 999); do echo "cname=c$i.chain.test,target.chain.test"; done >"$LAB_DIR/chain.conf"
lab_s dnsmasq --no-resolv --no-hosts --bind-interfaces --listen-address=$CHAIN \
	--host-record=target.chain.test,$LAB_S4 --conf-file="$LAB_DIR/chain.conf" \
	--pid-file="$LAB_DIR/dnsmasq-chain.pid" || exit 1
conf="$LAB_DIR/embargod.conf"
fw="$top/conf/embargo-firewall"
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
qps() { # workload tag
	local args="$LAB_S4 $SECONDS_EACH $2 example.org 8 32"
	[ "$1" = chain ] && args="$CHAIN $SECONDS_EACH c chain.test 8 32 1000"
	# shellcheck disable=SC2086
	lab_c "$dnsqps" $args |
		/usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(int(j["qps"]))'
}

# embargod's CPU time so far, all its threads, in ns.
cpu_ns() { cat /proc/"$LAB_DAEMON_PID"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }

declare -A runs cpu
phase() { # name learn(off|ipset) with-label workload
	local name=$1 learn=$2 with=$3 load=$4 r order cfg v
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
			c0=$(cpu_ns)
			v=$(qps "$load" "$name$r$cfg")
			c1=$(cpu_ns)
			got[$cfg]=$v
			runs[$name,$cfg]="${runs[$name,$cfg]:-} $v"
			cpu[$cfg]=$(awk -v c=$((c1 - c0)) -v q="$v" -v s="$SECONDS_EACH" \
				'BEGIN { printf("%.2f", (q > 0 ? c / 1000 / (q * s) : 0)) }')
			runs[$name,cpu$cfg]="${runs[$name,cpu$cfg]:-} ${cpu[$cfg]}"
		done
		ratio=$(awk -v a="${got[$with]}" -v b="${got[without]}" \
			'BEGIN { printf("%.3f", (b > 0 ? a / b : 0)) }')
		runs[$name,ratio]="${runs[$name,ratio]:-} $ratio"
		echo "$name round $r: without ${got[without]} qps (embargod ${cpu[without]} us/query)," \
			"$with ${got[$with]} qps (${cpu[$with]} us/query), ratio $ratio"
	done
	lab_daemon_stop
	lab_g "$fw" down
	# What embargod read, from its closing totals: proof the "with" runs queued responses.
	read -r got_pkts got_answers < <(sed -n 's/.*totals after .* received=\([0-9]*\) .* dns_answers=\([0-9]*\) .*/\1 \2/p' \
		"$LAB_DIR/$name.log" | tail -n 1)
	echo "$name: embargod received ${got_pkts:-?} packets, read ${got_answers:-?} DNS answers"
}

phase single off with single
phase chain off with chain
phase learn ipset with-learning single
echo
for k in "single with" "chain with" "learn with-learning"; do
	set -- $k
	w=$(tr ' ' '\n' <<<"${runs[$1,without]}" | grep . | median)
	x=$(tr ' ' '\n' <<<"${runs[$1,$2]}" | grep . | median)
	ratio=$(tr ' ' '\n' <<<"${runs[$1,ratio]}" | grep . | median)
	cw=$(tr ' ' '\n' <<<"${runs[$1,cpuwithout]}" | grep . | median)
	cx=$(tr ' ' '\n' <<<"${runs[$1,cpu$2]}" | grep . | median)
	printf '%-9s median without %6s qps, %-13s %6s qps; median ratio %s (target >= 0.85);' \
		"$1:" "$w" "$2" "$x" "$ratio"
	printf ' embargod us/query %s -> %s\n' "$cw" "$cx"
done
