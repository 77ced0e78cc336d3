#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Overload is counted exactly: the real embargod on the gateway of the lab (lab.sh), behind the
# real firewall rules, gets more DNS queries than it can take (a sendmmsg flood, evade.py
# flood, while the daemon is stopped with SIGSTOP), with overflow accept (fail-open queue) and
# overflow drop, first with a short queue (packets find the queue full), then with a long one
# (they find the daemon's socket full). What the daemon reports (embargoctl --json stats, the
# trouble line, the shutdown totals) is checked against what the kernel and the rules counted:
#   overflow drop:   queue_full = nfnetlink_queue's queue_dropped, socket_full = its
#                    user_dropped, and the server got exactly the packets the daemon received;
#   overflow accept: the kernel counts neither: queue_full = the rules' NFQUEUE counter minus the
#                    ids the queue gave out (id_sequence), socket_full = the ids the daemon never
#                    received, and the server got every query;
#   both:            queue_overflows = queue_full + socket_full = the rules' count minus the
#                    packets the daemon received.
# Then a flood from one client past --source-rate: admission_dropped = the admission rule's
# counter. One line per case, then "N passed, N failed". Needs root (skip: 77).
#
#   overload.sh EMBARGOD EMBARGOCTL [SOURCE_ROOT]
set -uo pipefail

embargod=${1:?usage: overload.sh EMBARGOD EMBARGOCTL [SOURCE_ROOT]}
ctl_bin=${2:?usage: overload.sh EMBARGOD EMBARGOCTL [SOURCE_ROOT]}
top=${3:-$(cd "$(dirname "$0")/../.." && pwd)}
here="$top/tests/integration"
# Queries per flood: more than the daemon's socket buffer holds (16 MiB of about 1 KiB
# messages), sent in well under a second.
FLOOD=${EMBARGO_OVERLOAD_FLOOD:-60000}
# A long name makes each queued message larger, so that the socket fills sooner.
NAME=$(printf 'a%.0s' $(seq 60)).$(printf 'b%.0s' $(seq 60)).$(printf 'c%.0s' $(seq 60)).example
# shellcheck source=lab.sh
. "$here/lab.sh"
lab_require

lab_up 0 || { echo "FAIL lab setup"; echo "0 passed, 1 failed"; exit 1; }
sock="$LAB_DIR/embargod.sock"
printf 'blocked.example\n' >"$LAB_DIR/list"
chmod a+r "$LAB_DIR/list"
fw="$top/conf/embargo-firewall"
# The server counts the queries that reach it, and drops them (dnsmasq is spared 60000).
lab_s iptables -w -t raw -I PREROUTING -p udp --dport 53 -j DROP
server_got() {
	lab_s iptables -w -t raw -L PREROUTING -v -x -n | awk '/dpt:53/ {s += $1} END {print s + 0}'
}
ctl() { timeout 5 "$ctl_bin" -s "$sock" "$@"; }
stat_of() { # field of a stats JSON ("-" when absent or null)
	json "'-' if j.get('$2') is None else j.get('$2')" <<<"${1:-"{}"}"
}
# kernel: "waiting queue_dropped user_dropped id_sequence" of queue 0
kernel_queue() {
	lab_g awk '$1 == 0 {print $3, $6, $7, $8; f = 1} END {if (!f) print "- - - -"}' \
		/proc/net/netfilter/nfnetlink_queue
}
# packets the queue rules (target NFQUEUE) or the admission rules (DROP) counted: iptables'
# chain EMBARGO_Q (IPv4 and IPv6), or nft's chain queue_packet when the backend is nft
rule_count() {
	if [ "$backend" = nft ]; then
		lab_g nft list chain inet embargo queue_packet | awk -v t="$1" '
			{ for (i = 1; i < NF; i++) if ($i == "packets") n = $(i + 1) }
			t == "NFQUEUE" && / queue / { s += n } t == "DROP" && / drop$/ { s += n }
			END { print s + 0 }'
		return
	fi
	{ lab_g iptables -w -t mangle -L EMBARGO_Q -v -x -n; lab_g ip6tables -w -t mangle \
		-L EMBARGO_Q -v -x -n; } | awk -v t="$1" '$3 == t {s += $1} END {print s + 0}'
}
flood() { # COUNT: queries for $NAME from one client socket, as fast as sendmmsg sends them
	lab_c /usr/bin/python3 "$here/evade.py" flood "$LAB_S4" "$NAME" --count "$1" \
		--seconds 20 >"$LAB_DIR/flood.out" 2>&1
}
# Until nothing waits in the queue and the daemon's received count stays put.
settle() {
	local prev=x now w i
	for i in $(seq 100); do
		read -r w _ <<<"$(kernel_queue)"
		now=$(stat_of "$(ctl --json stats)" received)
		[ "$w" = 0 ] && [ "$now" = "$prev" ] && return 0
		prev=$now
		sleep 0.1
	done
	return 1
}

says() { # LINE TEXT PATTERN: LINE holds TEXT and matches PATTERN
	grep -qF "$2" <<<"$1" && grep -q "$3" <<<"$1"
}

# phase NAME OVERFLOW MAXLEN [BACKEND]: the firewall and a daemon with these settings, a flood while the
# daemon is stopped, one more query after it (its id shows any the daemon never got), then the
# figures.
phase() {
	local name=$1 overflow=$2 maxlen=$3 log="$LAB_DIR/embargod-${1// /}.log"
	backend=${4:-iptables}
	lab_g "$fw" up --backend "$backend" --queue 0 --source-rate 0 >/dev/null ||
		{ result FAIL "$name: firewall up" ""; return; }
	if ! lab_daemon_start "$embargod" "$log" -b "$LAB_DIR/list" -q 0 -u nobody -S "$sock" \
		--overflow "$overflow" --queue-maxlen "$maxlen"; then
		result FAIL "$name: daemon start" "$(head -c 300 "$log")"
		return
	fi
	local s0
	s0=$(server_got)
	kill -STOP "$LAB_DAEMON_PID"
	flood "$FLOOD"
	kill -CONT "$LAB_DAEMON_PID"
	settle || result FAIL "$name: queue drained" "$(kernel_queue)"
	lab_c dig +time=1 +tries=1 @"$LAB_S4" probe.example A >/dev/null 2>&1
	settle
	sleep 1.2 # the daemon reads the kernel's counters once a second, and when asked
	local js k rules got w qd ud seq
	js=$(ctl --json stats)
	k=$(kernel_queue)
	read -r w qd ud seq <<<"$k"
	rules=$(rule_count NFQUEUE)
	got=$(($(server_got) - s0))
	local rec qf sf ov
	rec=$(stat_of "$js" received)
	qf=$(stat_of "$js" queue_full)
	sf=$(stat_of "$js" socket_full)
	ov=$(stat_of "$js" queue_overflows)
	local detail="rules queued $rules, kernel: ids $seq, queue_dropped $qd, user_dropped $ud, waiting $w; daemon: received $rec, queue_full $qf, socket_full $sf, queue_overflows $ov; server got $got"
	# Which overflow this phase provokes: a short queue fills, a long one fills the socket.
	local hit=$qf
	[ "$maxlen" -gt 4096 ] && hit=$sf
	local ok=0
	if [ "$overflow" = drop ]; then
		[ "$qf" = "$qd" ] && [ "$sf" = "$ud" ] && [ "$got" = "$rec" ] && ok=1
	else
		[ "$qf" = $((rules - seq)) ] && [ "$sf" = $((seq - rec)) ] && [ "$got" = "$rules" ] &&
			[ "$qd" = 0 ] && [ "$ud" = 0 ] && ok=1
	fi
	[ "$ov" = $((rules - rec)) ] && [ "$ov" = $((qf + sf)) ] && [ "$hit" -gt 0 ] &&
		[ "$w" = 0 ] || ok=0
	check "$name: figures as the kernel counted" "$detail" [ $ok = 1 ]
	# The trouble line says it (the first tick after the flood may have seen part of it).
	local line fate="passed unseen (overflow accept)"
	[ "$overflow" = drop ] && fate="dropped (overflow drop)"
	line=$(grep -m1 'trouble: overload' "$log")
	check "$name: trouble line" "${line#*trouble: }" \
		says "$line" "$fate" "queue_overflows=[1-9]"
	# Enforcement right after: the listed name gets its forged answer, an unlisted query goes
	# on to the server.
	local b0 st n
	b0=$(server_got)
	st=$(lab_c dig +time=1 +tries=1 @"$LAB_S4" blocked.example A 2>&1 | grep -o 'status: [A-Z]*')
	lab_c dig +time=1 +tries=1 @"$LAB_S4" after.example A >/dev/null 2>&1
	n=$(($(server_got) - b0))
	ok=0
	[ "$st" = "status: NXDOMAIN" ] && [ "$n" = 1 ] && ok=1
	check "$name: enforcement right after" "listed: ${st:-no answer}; unlisted queries at the server: $n" \
		[ $ok = 1 ]
	lab_daemon_stop
	line=$(grep -o 'shutdown: totals .*' "$log")
	check "$name: shutdown totals" "$(grep -o 'queue_overflows=[^ ]* queue_full=[^ ]* socket_full=[^ ]*' <<<"$line")" \
		grep -q "queue_overflows=$ov queue_full=$qf socket_full=$sf " <<<"$line"
	lab_g "$fw" down --backend "$backend" >/dev/null
}

backend=iptables
phase "accept, short queue" accept 64
phase "accept, long queue" accept 1000000
phase "drop, short queue" drop 64
phase "drop, long queue" drop 1000000
# The same with the nft backend's rules, where this kernel has nft's queue expression.
if command -v nft >/dev/null &&
	printf 'table inet embargo_probe { chain c { counter queue flags bypass to 9; }; }\n' |
	lab_g nft -f - 2>/dev/null; then
	lab_g nft delete table inet embargo_probe
	phase "nft rules, accept, short queue" accept 64 nft
	phase "nft rules, drop, long queue" drop 1000000 nft
else
	echo "skip nft rules: this kernel has no nft queue expression"
fi
backend=iptables

# ---- per-client admission: the rules drop a client past its rate before the queue ----
lab_g "$fw" up --backend iptables --queue 0 --source-rate 2000 >/dev/null ||
	result FAIL "admission: firewall up" ""
log="$LAB_DIR/embargod-admission.log"
if lab_daemon_start "$embargod" "$log" -b "$LAB_DIR/list" -q 0 -u nobody -S "$sock"; then
	flood 20000
	settle
	sleep 1.2
	js=$(ctl --json stats)
	dropped=$(rule_count DROP)
	queued=$(rule_count NFQUEUE)
	adm=$(stat_of "$js" admission_dropped)
	rq=$(stat_of "$js" rules_queued)
	ok=0
	[ "$adm" = "$dropped" ] && [ "$dropped" -gt 0 ] && [ "$rq" = "$queued" ] && ok=1
	check "admission: dropped as the rule counted" \
		"rule dropped $dropped, daemon admission_dropped $adm; rule queued $queued, daemon rules_queued $rq" \
		[ $ok = 1 ]
	lab_daemon_stop
else
	result FAIL "admission: daemon start" "$(head -c 300 "$log")"
fi
lab_g "$fw" down --backend iptables >/dev/null
finish
