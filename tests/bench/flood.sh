#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A flood from the LAN against what the queue lets through, measured in one run for three
# set-ups: overflowing packets accepted unseen (--overflow accept, no per-client rate), dropped
# (--overflow drop, no rate), and dropped with a per-client admission rate (--overflow drop,
# --source-rate). Two senders at two client addresses flood UDP DNS queries for an unlisted
# name; meanwhile a third client address tries a listed and an unlisted TLS hello and DNS
# query in rounds. Prints, per set-up: listed tries answered (should be 0), unlisted tries
# answered (the network for the others), and the kernel's counts (queued, dropped at the full
# queue, dropped by the admission rate). Needs root.
#
#   flood.sh EMBARGOD [SOURCE_ROOT]
set -uo pipefail

embargod=${1:?usage: flood.sh EMBARGOD [SOURCE_ROOT]}
top=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
FLOOD_S=${FLOOD_S:-8}
ROUNDS=${ROUNDS:-6}
RATE=${RATE:-20000}
# shellcheck source=../integration/lab.sh
. "$top/tests/integration/lab.sh"
if ! why=$(lab_preflight); then
	echo "flood: $why" >&2
	exit 77
fi
evade=("/usr/bin/python3" "$top/tests/integration/evade.py")
lab_up 0 || exit 1
lab_second_addresses || exit 1
lab_s iptables -w -t raw -A PREROUTING -d $LAB_S4B -p udp --dport 53 -j DROP
touch "$LAB_DIR/tls.log"
lab_tls_logger "$LAB_DIR/tls.log" $LAB_S4B $LAB_S6B || exit 1
printf 'kaspersky.com\n' >"$LAB_DIR/list"
listed=upd.kaspersky.com
unlisted=notkaspersky.com

kernel() { # queued dropped-at-full-queue
	lab_g awk '{ q += $8; d += $6 } END { print q + 0, d + 0 }' /proc/net/netfilter/nfnetlink_queue
}
admission_drops() {
	lab_g iptables -w -t mangle -L EMBARGO_Q -v -n -x | awk '/limit: above/ { n += $1 } END { print n + 0 }'
}

run() { # label overflow rate
	local f1 f2 r out lt=0 lu=0 dt=0 du=0 k0 k1 tries=0
	lab_g "$top/conf/embargo-firewall" up --queue 0 --source-rate "$3" >/dev/null || exit 1
	local log="$LAB_DIR/daemon-$2-$3.log"
	lab_daemon_start "$embargod" "$log" -b "$LAB_DIR/list" --overflow "$2" \
		-S "$LAB_DIR/ctl-$2-$3.sock" || { cat "$log"; exit 1; }
	k0=$(kernel)
	ip netns exec "$LAB_C" "${evade[@]}" flood $LAB_S4B "$unlisted" --source $LAB_C4B \
		--seconds "$FLOOD_S" --count 50000000 >/dev/null 2>&1 &
	f1=$!
	ip netns exec "$LAB_C" "${evade[@]}" flood $LAB_S4B "$unlisted" --source $LAB_C4C \
		--seconds "$FLOOD_S" --count 50000000 >/dev/null 2>&1 &
	f2=$!
	sleep 0.5
	for r in $(seq "$ROUNDS"); do
		kill -0 $f1 2>/dev/null || break
		tries=$r
		out=$(lab_c "${evade[@]}" hello $LAB_S4B "$listed" --timeout 1)
		[[ "$out" == "ok HTTP/1.1 200"* ]] && lt=$((lt + 1))
		out=$(lab_c "${evade[@]}" dns $LAB_S4 "$listed" --timeout 1)
		[[ "$out" == ok* ]] && [[ "$out" != "ok NXDOMAIN"* ]] && dt=$((dt + 1))
		out=$(lab_c "${evade[@]}" hello $LAB_S4B "$unlisted" --timeout 1)
		[[ "$out" == "ok HTTP/1.1 200"* ]] && lu=$((lu + 1))
		out=$(lab_c "${evade[@]}" dns $LAB_S4 "$unlisted" --timeout 1)
		[[ "$out" == ok* ]] && du=$((du + 1))
	done
	wait $f1 $f2
	k1=$(kernel)
	set -- "$1" "$2" "$3" $k0 $k1
	printf '%-34s listed through: tls %s/%s dns %s/%s   unlisted answered: tls %s/%s dns %s/%s   queued %s, dropped at full queue %s, dropped by the rate %s\n' \
		"$1" $lt $tries $dt $tries $lu $tries $du $tries $(($6 - $4)) $(($7 - $5)) \
		"$(admission_drops)"
	lab_daemon_stop
	lab_g "$top/conf/embargo-firewall" down
}

echo "flood of UDP DNS from 2 client addresses for ${FLOOD_S} s, $ROUNDS rounds of tries from a third ($(date -u +%Y-%m-%dT%H:%MZ)):"
run "overflow accept, no client rate" accept 0
run "overflow drop, no client rate" drop 0
run "overflow drop, client rate $RATE/s" drop "$RATE"
