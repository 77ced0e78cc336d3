#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What the decision model costs, measured in one run in the lab (tests/integration/lab.sh):
#   - packets queued to the daemon per allowed TLS, HTTP and QUIC connection (the kernel's own
#     count: id_sequence in /proc/net/netfilter/nfnetlink_queue of the gateway);
#   - bulk HTTPS and HTTP downloads through the shipped rules with the daemon, against no rules
#     (interleaved run by run);
#   - the time a blocked client takes to learn it, per protocol (DNS, HTTPS, HTTP, QUIC).
# With --before SOURCE_DIR:EMBARGOD, the same figures for another build (its own firewall
# helper and daemon), for a before/after table. Needs root.
#
#   decision_cost.sh EMBARGOD [SOURCE_ROOT] [--before SRC:EMBARGOD]
set -uo pipefail

embargod=${1:?usage: decision_cost.sh EMBARGOD [SOURCE_ROOT] [--before SRC:EMBARGOD]}
top=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
before=""
[ "${3:-}" = --before ] && before=${4:?--before needs SRC:EMBARGOD}
FLOWS=${FLOWS:-20}
RUNS=${RUNS:-3}
BULK_RUNS=${BULK_RUNS:-7}
MIB=64
# shellcheck source=../integration/lab.sh
. "$top/tests/integration/lab.sh"
if ! why=$(lab_preflight); then
	echo "decision_cost: $why" >&2
	exit 77
fi
command -v gtlsclient >/dev/null && command -v gtlsserver >/dev/null ||
	{ echo "decision_cost: gtlsclient/gtlsserver missing (ngtcp2-client/-server)" >&2; exit 77; }

lab_up $MIB || exit 1
printf 'kaspersky.com\n' >"$LAB_DIR/list"
allowed=notkaspersky.com
blocked=upd.kaspersky.com
mkdir -p "/etc/netns/$LAB_C"
printf '%s %s %s\n' "$LAB_S4" "$allowed" "$blocked" >"/etc/netns/$LAB_C/hosts"
lab_s gtlsserver -q -d "$LAB_DIR/www" "$LAB_S4" 443 "$LAB_DIR/key.pem" "$LAB_DIR/cert.pem" \
	>/dev/null 2>&1 &
LAB_PIDS+=($!)
for _ in $(seq 100); do
	[ "$(lab_s ss -Hlun sport = :443 | wc -l)" -ge 1 ] && break
	sleep 0.05
done

queued() { # packets the kernel has queued so far (all queues)
	lab_g awk '{ n += $8 } END { print n + 0 }' /proc/net/netfilter/nfnetlink_queue 2>/dev/null
}
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

per_flow() { # what: queued packets per allowed connection
	local q0 q1 i ok=0
	q0=$(queued)
	for i in $(seq "$FLOWS"); do
		case $1 in
		tls) lab_c curl -sk --max-time 5 -o /dev/null --resolve "$allowed:443:$LAB_S4" \
			"https://$allowed/" && ok=$((ok + 1)) ;;
		http) lab_c curl -s --max-time 5 -o /dev/null --resolve "$allowed:80:$LAB_S4" \
			"http://$allowed/" && ok=$((ok + 1)) ;;
		quic) lab_c timeout 10 gtlsclient -q --exit-on-first-stream-close \
			--handshake-timeout=3s "$allowed" 443 "https://$allowed/index.html" \
			>/dev/null 2>&1 && ok=$((ok + 1)) ;;
		esac
	done
	q1=$(queued)
	awk -v d=$((q1 - q0)) -v n="$FLOWS" -v ok=$ok 'BEGIN { printf "%.1f (%d/%d ok)", d / n, ok, n }'
}

learn_ms() { # what: median milliseconds until a blocked client gives up
	local t0 t1 all=""
	for _ in $(seq "$RUNS"); do
		t0=$(lab_now_ms)
		case $1 in
		dns) lab_c dig +time=3 +tries=1 @"$LAB_S4" "$blocked" A >/dev/null 2>&1 ;;
		https) lab_c curl -sk --max-time 5 -o /dev/null --resolve "$blocked:443:$LAB_S4" \
			"https://$blocked/" ;;
		http) lab_c curl -s --max-time 5 -o /dev/null --resolve "$blocked:80:$LAB_S4" \
			"http://$blocked/" ;;
		quic) lab_c timeout 10 gtlsclient -q --handshake-timeout=3s "$blocked" 443 \
			"https://$blocked/index.html" >/dev/null 2>&1 ;;
		esac
		t1=$(lab_now_ms)
		all="$all $((t1 - t0))"
	done
	tr ' ' '\n' <<<"$all" | grep . | median
}

bulk_once() { # scheme: MB/s of one download
	local port=80
	[ "$1" = https ] && port=443
	lab_c curl -sk --max-time 60 -o /dev/null -w '%{speed_download}' \
		--resolve "$allowed:$port:$LAB_S4" "$1://$allowed/bulk.bin" |
		awk '{printf "%.1f", $1 / 1e6}'
}

# Bulk downloads with the rules and the daemon (running) against no rules, interleaved run by
# run so that the machine's drift weighs on both alike. Sets fig[label,bS] and fig[label,oS].
bulk() { # label src
	local s i on off
	for s in https http; do
		on=""
		off=""
		for i in $(seq "$BULK_RUNS"); do
			lab_g "$2/conf/embargo-firewall" down
			off="$off $(bulk_once $s)"
			lab_g "$2/conf/embargo-firewall" up --queue 0 >/dev/null
			on="$on $(bulk_once $s)"
		done
		fig[$1,b$s]=$(tr ' ' '\n' <<<"$on" | grep . | median)
		fig[$1,o$s]=$(tr ' ' '\n' <<<"$off" | grep . | median)
	done
}

declare -A fig
measure() { # label src embargod
	local label=$1 src=$2 bin=$3 w
	lab_g "$src/conf/embargo-firewall" up --queue 0 >/dev/null ||
		{ echo "firewall up failed ($label)" >&2; exit 1; }
	lab_daemon_start "$bin" "$LAB_DIR/$label.log" -b "$LAB_DIR/list" ||
		{ cat "$LAB_DIR/$label.log"; exit 1; }
	for w in tls http quic; do fig[$label,q$w]=$(per_flow $w); done
	for w in dns https http quic; do fig[$label,l$w]=$(learn_ms $w); done
	bulk "$label" "$src"
	lab_daemon_stop
	lab_g "$src/conf/embargo-firewall" down
}

labels=after
measure after "$top" "$embargod"
if [ -n "$before" ]; then
	measure before "${before%%:*}" "${before#*:}"
	labels="before after"
fi

printf 'decision cost, %s flows per case, %s runs per timing (medians), %s, %s\n' "$FLOWS" \
	"$RUNS" "$(uname -m)" "$(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-44s' ""
for l in $labels; do printf '%-24s' "$l"; done
echo
row() { # title key
	local l
	printf '%-44s' "$1"
	for l in $labels; do printf '%-24s' "${fig[$l,$2]}"; done
	echo
}
row "packets queued per allowed TLS connection" qtls
row "packets queued per allowed HTTP connection" qhttp
row "packets queued per allowed QUIC connection" qquic
row "blocked DNS query: ms until the answer" ldns
row "blocked HTTPS: ms until curl gives up" lhttps
row "blocked HTTP: ms until curl gives up" lhttp
row "blocked QUIC: ms until gtlsclient gives up" lquic
for s in https http; do
	printf '%-44s' "bulk $s MB/s, median (no rules)"
	for l in $labels; do
		awk -v c="${fig[$l,b$s]}" -v a="${fig[$l,o$s]}" \
			'BEGIN { printf "%-24s", sprintf("%s (%s) %.2f", c, a, c / a) }'
	done
	echo
done
