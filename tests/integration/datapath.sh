#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The data path never stalls: the real embargod on the gateway of the lab (lab.sh), behind the
# real firewall rules, under a paced flood of listed and unlisted DNS names (dns_flood.py), while
#   1. its syslog socket stops reading (the receiver is stopped; /dev/log is that receiver's
#      socket in a private mount namespace, with_syslog.sh): every queued packet still gets its
#      verdict at the offered rate, lines are counted as lost, and once the receiver reads again
#      a log-lost line says how many;
#   2. 20 control clients send one byte a second: status, reload and stop still answer within
#      1 s, and each slow client is cut off at the request deadline;
#   3. SIGHUP comes 20 times a second, each time with a new list: every packet gets a verdict,
#      every signal is a reload, the newest list is in force;
#   4. the daemon is killed (SIGKILL) under traffic: the queue bypass lets traffic through, a
#      restart enforces again within 1 s, and nothing is left behind;
#   5. (with SENDFAIL, the sendfail.c preload library) verdict sends fail with ENOBUFS: a batch
#      that fails a few times is sent again and every packet gets its verdict; one that keeps
#      failing is counted, exactly as many packets as the kernel still holds.
# Packets are counted three ways and must agree: the kernel's queue counters
# (/proc/net/netfilter/nfnetlink_queue: packets handed to the daemon, waiting, dropped), the
# firewall's NFQUEUE rule counters (packets that reached the queue rules) and the daemon's own.
# One line per case, then "N passed, N failed". Needs root (skip: 77).
#
#   datapath.sh EMBARGOD EMBARGOCTL [SOURCE_ROOT [SENDFAIL]]
#
# EMBARGO_STRESS_S sets the length of the stalled-syslog flood and of the reload storm in seconds
# (default 30; the reference flood takes half as long). EMBARGO_FLOOD_RATE sets the queries per
# second (default 1000, half of them listed names). EMBARGO_QUEUES runs the daemon on a range of
# queues (default 0; "0-1" for two workers).
set -uo pipefail

embargod=${1:?usage: datapath.sh EMBARGOD EMBARGOCTL [SOURCE_ROOT]}
ctl_bin=${2:?usage: datapath.sh EMBARGOD EMBARGOCTL [SOURCE_ROOT]}
top=${3:-$(cd "$(dirname "$0")/../.." && pwd)}
sendfail=${4:-}
here="$top/tests/integration"
stress_s=${EMBARGO_STRESS_S:-30}
rate=${EMBARGO_FLOOD_RATE:-1000}
queues=${EMBARGO_QUEUES:-0}
# shellcheck source=lab.sh
. "$here/lab.sh"

if ! why=$(lab_preflight); then
	echo "SKIP: $why"
	exit 77
fi
command -v unshare >/dev/null || { echo "SKIP: unshare missing"; exit 77; }

lab_up 0 || { echo "FAIL lab setup"; echo "0 passed, 1 failed"; exit 1; }
conf="$LAB_DIR/etc"
mkdir -p "$conf/blocklist.d"
sock="$LAB_DIR/embargod.sock"
cat >"$conf/embargod.conf" <<EOF
queue $queues
control-socket $sock
control-group root
log-window 0   # every attempt is a line
log-rate 0     # no cap: the syslog socket sees every one
include blocklist.d/*.conf
EOF
cat >"$conf/blocklist.d/flood.conf" <<'EOF'
vendor flood { category update { *.blocked.example } }
EOF
write_storm_list() { # generation-specific name, written whole and renamed into place
	printf 'vendor storm { category update { storm-%s.example.org } }\n' "$1" \
		>"$conf/blocklist.d/.storm.tmp"
	mv "$conf/blocklist.d/.storm.tmp" "$conf/blocklist.d/storm.conf"
}
write_storm_list 0
chmod -R a+rX "$conf"

lab_syslog_start || { result FAIL "syslog receiver" ""; finish; }
syslog=$LAB_SYSLOG
sink_pid=$LAB_SYSLOG_PID
lab_g "$top/conf/embargo-firewall" up --backend iptables --queue "$queues" ||
	{ result FAIL "firewall up" ""; finish; }

# start_daemon LOG [VAR=VALUE...]: embargod on the gateway with the lab's syslog and these
# variables in its environment; sets LAB_DAEMON_PID.
start_daemon() {
	local before log=$1
	shift
	: >>"$log"
	before=$(grep -c 'startup: embargod' "$log")
	"$here/with_syslog.sh" "$LAB_DIR/log.sock" ip netns exec "$LAB_G" env "$@" \
		"$embargod" -f -p - -c "$conf/embargod.conf" 2>>"$log" &
	LAB_DAEMON_PID=$!
	LAB_PIDS+=($LAB_DAEMON_PID)
	for i in $(seq 200); do
		# the stderr copy: it arrives even when the syslog receiver does not read
		[ "$(grep -c 'startup: embargod' "$log")" -gt "$before" ] && return 0
		kill -0 $LAB_DAEMON_PID 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
ctl() { "$ctl_bin" -s "$sock" "$@"; }
# kernel: "waiting dropped user_dropped handed" summed over the gateway's queues (only the
# daemon's exist there), "- - - -" when none is bound
kernel_queue() {
	lab_g awk '{ w += $3; d += $6; u += $7; h += $8; n++ }
		END { if (n) print w, d, u, h; else print "- - - -" }' /proc/net/netfilter/nfnetlink_queue
}
# packets that matched an NFQUEUE rule (IPv4 and IPv6) in the gateway
rule_queued() {
	{ lab_g iptables-save -c -t mangle; lab_g ip6tables-save -c -t mangle; } |
		awk '/-j NFQUEUE/ { split(substr($1, 2), a, ":"); s += a[1] } END { print s + 0 }'
}
ms_since() { echo $(($(lab_now_ms) - $1)); }
# flood SECONDS TAG: the paced DNS flood from the client (from 8 addresses of its own, which a
# queue range spreads over its queues), JSON on stdout
flood_from=
for i in $(seq 20 27); do
	ip -n "$LAB_C" addr add "10.231.1.$i/24" dev "ec$LAB_ID"
	flood_from+="${flood_from:+,}10.231.1.$i"
done
flood() {
	lab_c /usr/bin/python3 "$here/dns_flood.py" "$LAB_S4" "$rate" "$1" "$2" blocked.example \
		allowed.example "$flood_from"
}
fj() { # field of a flood result: fj JSON FIELD
	json "j['$2']" <<<"$1"
}
timed() { # ms a command takes; its output is discarded
	local t0
	t0=$(lab_now_ms)
	"$@" >/dev/null 2>&1
	ms_since "$t0"
}

# ctl with a bound: a daemon that does not answer must not hang the test
ctlt() { timeout 5 "$ctl_bin" -s "$sock" "$@"; }
stat_of() { # field of a stats JSON (0 when the daemon does not report it, or did not answer)
	local in=${1:-"{}"}
	json "j.get('$2', 0)" <<<"$in"
}
# check_verdicts CASE K_BEFORE K_AFTER Q_BEFORE Q_AFTER S_BEFORE S_AFTER: the kernel handed the
# daemon exactly the packets the queue rules sent it, none waits, none was dropped, and the
# daemon received and answered exactly those, with no overflow.
check_verdicts() {
	local name=$1 w0 d0 u0 h0 w1 d1 u1 h1 r v o
	read -r w0 d0 u0 h0 <<<"$2"
	read -r w1 d1 u1 h1 <<<"$3"
	r=$(($(stat_of "$7" received) - $(stat_of "$6" received)))
	v=$(($(stat_of "$7" verdicts) - $(stat_of "$6" verdicts)))
	o=$(($(stat_of "$7" queue_overflows) - $(stat_of "$6" queue_overflows)))
	local unsent=$(($(stat_of "$7" verdicts_unsent) - $(stat_of "$6" verdicts_unsent)))
	# packets per queue in this case; every queue of a range must have had its share
	local per_queue idle
	read -r idle per_queue <<<"$(/usr/bin/python3 -c '
import json, sys
a, b = (json.loads(x or "{}").get("queues", {}) for x in sys.argv[1:3])
d = {q: n - a.get(q, 0) for q, n in b.items()}
print(sum(1 for n in d.values() if n == 0), " ".join("%s:%d" % kv for kv in d.items()))' "$6" "$7")"
	local detail="queued by rules $(($5 - $4)), handed by kernel $((h1 - h0)), received $r (queues $per_queue), verdicts $v, waiting $w1, dropped $((d1 - d0))+$((u1 - u0)), overflows $o, unsent $unsent"
	if [ "$w1" = 0 ] && [ $((h1 - h0)) -gt 0 ] && [ $(($5 - $4)) -eq $((h1 - h0)) ] &&
		[ "${idle:-1}" -eq 0 ] &&
		[ $((h1 - h0)) -eq "$r" ] && [ "$r" -eq "$v" ] && [ "$d1" = "$d0" ] &&
		[ "$u1" = "$u0" ] && [ "$o" -eq 0 ] && [ "$unsent" -eq 0 ]; then
		result ok "$name" "$detail"
	else
		result FAIL "$name" "$detail"
	fi
}
# flood_ok CASE JSON: every query answered, listed names NXDOMAIN, the others NOERROR
flood_ok() {
	local sb sa nx ok wr un
	read -r sb sa nx ok wr un <<<"$(json "j['sent_blocked'], j['sent_allowed'], j['blocked_nxdomain'], j['allowed_noerror'], j['wrong_answer'], j['unanswered']" <<<"$2" | tr -d ',()')"
	local detail="$((sb + sa)) queries in $(fj "$2" seconds) s: $nx/$sb listed NXDOMAIN, $ok/$sa others answered, p99 $(fj "$2" p99_ms) ms"
	if [ "$sb" -gt 0 ] && [ "$nx" -eq "$sb" ] && [ "$ok" -eq "$sa" ] && [ "$wr" -eq 0 ] &&
		[ "$un" -eq 0 ]; then
		result ok "$1" "$detail"
	else
		result FAIL "$1" "$detail, $wr wrong, $un unanswered"
	fi
}

dlog="$LAB_DIR/embargod.err"
if ! start_daemon "$dlog"; then
	result FAIL "daemon start" "$(head -c 400 "$dlog")"
	finish
fi

# ---- 1. syslog stops reading ----
# A reference flood with the receiver reading, then the same with it stopped.
ref_s=$((stress_s / 2 > 2 ? stress_s / 2 : 2))
k0=$(kernel_queue) q0=$(rule_queued) s0=$(ctlt --json stats)
ref=$(flood "$ref_s" ref)
k1=$(kernel_queue) q1=$(rule_queued) s1=$(ctlt --json stats)
flood_ok "flood, syslog reading" "$ref"
check_verdicts "verdicts, syslog reading" "$k0" "$k1" "$q0" "$q1" "$s0" "$s1"

kill -STOP $sink_pid
flood "$stress_s" stall >"$LAB_DIR/stall.json" &
flood_pid=$!
# While the flood runs: the control socket answers, allowed web traffic passes, a listed name
# is refused at once.
sleep 1
st_ms=$(timed ctlt status)
web=$(lab_c curl -sk --max-time 3 -o /dev/null -w '%{http_code}' \
	--resolve "www.allowed.example:443:$LAB_S4" https://www.allowed.example/)
t0=$(lab_now_ms)
blk=$(lab_c curl -sk --max-time 3 -o /dev/null -w '%{http_code}' \
	--resolve "www.blocked.example:443:$LAB_S4" https://www.blocked.example/)
blk_ms=$(ms_since "$t0")
wait $flood_pid
stall=$(cat "$LAB_DIR/stall.json")
k2=$(kernel_queue) q2=$(rule_queued) s2=$(ctlt --json stats)
flood_ok "flood, syslog stopped" "$stall"
check_verdicts "verdicts, syslog stopped" "$k1" "$k2" "$q1" "$q2" "$s1" "$s2"
if [ -n "$s2" ]; then
	r_ref=$(($(stat_of "$s1" received) - $(stat_of "$s0" received)))
	r_st=$(($(stat_of "$s2" received) - $(stat_of "$s1" received)))
	ratio=$(/usr/bin/python3 -c "print(round(($r_st / $(fj "$stall" seconds)) / ($r_ref / $(fj "$ref" seconds)), 3))")
	check "verdict rate, stopped vs reading" \
		"$r_st packets in $(fj "$stall" seconds) s vs $r_ref in $(fj "$ref" seconds) s: ratio $ratio" \
		/usr/bin/python3 -c "import sys; sys.exit(0 if $ratio >= 0.9 else 1)" 2>/dev/null
else
	result FAIL "verdict rate, stopped vs reading" "no stats"
fi
check "control and web while syslog stopped" \
	"embargoctl status in $st_ms ms; https allowed $web; listed refused ($blk) in $blk_ms ms" \
	[ "$st_ms" -lt 1000 -a "$web" = 200 -a "$blk" = 000 -a "$blk_ms" -lt 1000 ]
att=$(($(stat_of "$s2" alert_attempts) - $(stat_of "$s1" alert_attempts)))
lines=$(($(stat_of "$s2" alert_lines) - $(stat_of "$s1" alert_lines)))
lost=$(stat_of "$s2" log_lines_lost)
rlost=$(stat_of "$s2" alert_records_lost)
sb=$(fj "$stall" sent_blocked)
check "alert lines counted as lost" \
	"$att attempts ($sb flood + 1 https), $lines lines, $lost not taken by syslog, $rlost records lost" \
	[ "$att" -eq $((sb + 1)) -a "$lines" -eq "$att" -a "$lost" -gt 0 -a "$rlost" -eq 0 ]
kill -CONT $sink_pid
# The summaries may come in more than one line (one can get through while the receiver is being
# stopped): wait until they add up to what the daemon counts as lost, 3 s at most.
said_lines() { grep -o 'log-lost: lines=[0-9]*' "$syslog" | cut -d= -f2 | awk '{ s += $1 } END { print s + 0 }'; }
for i in $(seq 60); do
	[ "$(said_lines)" -ge "$(stat_of "$(ctlt --json stats)" log_lines_lost)" ] && break
	sleep 0.05
done
s3=$(ctlt --json stats)
said=$(said_lines)
sent=$(stat_of "$s3" log_lines_sent)
for i in $(seq 60); do [ "$(wc -l <"$syslog")" -ge "$sent" ] && break; sleep 0.05; done
got=$(wc -l <"$syslog")
line=$(grep -m1 'log-lost: ' "$syslog")
check "log-lost line once syslog reads again" \
	"'${line#*: log-lost: }'; lost in all $(stat_of "$s3" log_lines_lost), said $said; $got lines arrived of $sent sent" \
	[ -n "$said" -a "$said" = "$(stat_of "$s3" log_lines_lost)" -a "$got" -eq "$sent" ]

# ---- 3. reload storm ----
g0=$(ctlt --json status | json 'j["reloads"], j["reload_failures"], j["generation"]' | tr -d ',()')
read -r rl0 rf0 gen0 <<<"$g0"
k0=$(kernel_queue) q0=$(rule_queued) s0=$(ctlt --json stats)
flood "$stress_s" storm >"$LAB_DIR/storm.json" &
flood_pid=$!
hups=0
t_start=$(lab_now_ms)
while [ $(($(lab_now_ms) - t_start)) -lt $((stress_s * 1000)) ] && [ $hups -lt $((stress_s * 25)) ]; do
	hups=$((hups + 1))
	write_storm_list $hups
	kill -HUP "$LAB_DAEMON_PID" || break
	# 20 a second: sleep until the next 50 ms mark
	wait_ms=$((t_start + hups * 50 - $(lab_now_ms)))
	[ $wait_ms -gt 0 ] && sleep "$(printf '0.%03d' $wait_ms)"
done
t_last=$(lab_now_ms)
for i in $(seq 40); do
	now=$(ctlt --json status | json 'j["reloads"] + j["reload_failures"]')
	[ "${now:-0}" -ge $((rl0 + rf0 + hups)) ] && break
	sleep 0.025
done
caught_ms=$(ms_since "$t_last")
wait $flood_pid
storm=$(cat "$LAB_DIR/storm.json")
k1=$(kernel_queue) q1=$(rule_queued) s1=$(ctlt --json stats)
read -r rl1 rf1 gen1 <<<"$(ctlt --json status | json 'j["reloads"], j["reload_failures"], j["generation"]' | tr -d ',()')"
new=$(lab_c dig +time=2 +tries=1 @"$LAB_S4" "storm-$hups.example.org" | grep -o 'status: [A-Z]*')
old=$(lab_c dig +time=2 +tries=1 @"$LAB_S4" "storm-$((hups - 1)).example.org" | grep -o 'status: [A-Z]*')
flood_ok "flood, reload storm" "$storm"
check_verdicts "verdicts, reload storm" "$k0" "$k1" "$q0" "$q1" "$s0" "$s1"
check "every SIGHUP a reload, newest list in force" \
	"$hups SIGHUPs in $((t_last - t_start)) ms: $((rl1 - rl0)) reloads ($((rf1 - rf0)) refused), all done $caught_ms ms after the last; generation $gen0 -> $gen1; storm-$hups $new, storm-$((hups - 1)) $old" \
	[ $((rl1 - rl0)) -eq $hups -a "$rf1" = "$rf0" -a "$caught_ms" -lt 1000 -a $((gen1 - gen0)) -eq $hups \
	-a "$new" = "status: NXDOMAIN" -a "$old" = "status: NOERROR" ]

# ---- 2. slow control clients ----
/usr/bin/python3 "$here/slow_ctl.py" "$sock" 20 $((4 + 2)) >"$LAB_DIR/slow.json" &
slow_pid=$!
sleep 0.5
worst=0
for i in 1 2 3 4; do
	ms=$(timed ctlt status)
	[ "$ms" -gt "$worst" ] && worst=$ms
	sleep 0.5
done
t0=$(lab_now_ms)
out=$(ctlt reload 2>&1)
rc=$?
rl_ms=$(ms_since "$t0")
check "status and reload beside 20 slow clients" \
	"status: worst of 4 in $worst ms; reload in $rl_ms ms: $out" \
	[ "$worst" -lt 1000 -a "$rl_ms" -lt 1000 -a $rc -eq 0 ]
wait $slow_pid
slow=$(cat "$LAB_DIR/slow.json")
cut=$(json "j['replies'].get('error: request not complete within 2000 ms', 0)" <<<"$slow")
conns=$(fj "$slow" connections)
check "slow clients cut at the request deadline" "$conns connections, $cut cut off with an error, $(fj "$slow" no_reply) without reply; $(tr -d '\n' <<<"$slow" | head -c 200)" \
	[ "$cut" -ge 20 -a "$(fj "$slow" no_reply)" -le 20 ]
/usr/bin/python3 "$here/slow_ctl.py" "$sock" 20 5 >/dev/null &
slow_pid=$!
sleep 1.5
t0=$(lab_now_ms)
kill -TERM "$LAB_DAEMON_PID"
wait "$LAB_DAEMON_PID"
rc=$?
stop_ms=$(ms_since "$t0")
wait $slow_pid
check "stop beside 20 slow clients" "exit $rc in $stop_ms ms, socket removed" \
	[ $rc -eq 0 -a "$stop_ms" -lt 1000 -a ! -e "$sock" ]

# ---- 4. SIGKILL under traffic, then a restart ----
rules() { { lab_g iptables-save; lab_g ip6tables-save; } | grep -E '^(-A|-N|:EMBARGO)' | sed 's/ \[[0-9:]*\]$//' | sort; }
rules0=$(rules)
if ! start_daemon "$dlog"; then
	result FAIL "daemon start before the kill" "$(tail -c 400 "$dlog")"
	finish
fi
fds0=$(ls "/proc/$LAB_DAEMON_PID/fd" | wc -l)
flood 6 kill >"$LAB_DIR/kill.json" &
flood_pid=$!
sleep 1.5
kill -KILL "$LAB_DAEMON_PID"
wait "$LAB_DAEMON_PID" 2>/dev/null
sleep 0.2
kq=$(kernel_queue)
dns=$(lab_c dig +short +time=2 +tries=1 @"$LAB_S4" listed.blocked.example A)
web=$(lab_c curl -sk --max-time 3 -o /dev/null -w '%{http_code}' \
	--resolve "www.blocked.example:443:$LAB_S4" https://www.blocked.example/)
check "killed: traffic flows through the bypass" \
	"queue binding after the kill: '$kq'; listed name resolves to '$dns', https $web" \
	[ "$kq" = "- - - -" -a "$dns" = "$LAB_S4" -a "$web" = 200 ]
sleep 0.5
t0=$(lab_now_ms)
start_daemon "$dlog"
enforced=
for i in $(seq 40); do
	st=$(lab_c dig +time=1 +tries=1 @"$LAB_S4" "again$i.blocked.example" A | grep -o 'status: [A-Z]*')
	if [ "$st" = "status: NXDOMAIN" ]; then
		enforced=$(ms_since "$t0")
		break
	fi
	sleep 0.025
done
fds1=$(ls "/proc/$LAB_DAEMON_PID/fd" 2>/dev/null | wc -l)
check "restart enforces within 1 s" "first NXDOMAIN ${enforced:-never} ms after the restart" \
	[ -n "$enforced" ] && [ "$enforced" -lt 1000 ]
wait $flood_pid
kf=$(cat "$LAB_DIR/kill.json")
st=$(ctlt status | head -1)
kill -TERM "$LAB_DAEMON_PID"
wait "$LAB_DAEMON_PID"
rc=$?
kq=$(kernel_queue)
rules1=$(rules)
un=$(fj "$kf" unanswered)
tot=$(($(fj "$kf" sent_blocked) + $(fj "$kf" sent_allowed)))
check "nothing left behind" \
	"stale socket taken over ('$st'); $fds0 descriptors before, $fds1 after the restart; exit $rc; queue '$kq'; rules $( [ "$rules0" = "$rules1" ] && echo unchanged || echo CHANGED); socket file $( [ -e "$sock" ] && echo LEFT || echo gone)" \
	[ -n "$st" -a "$fds0" = "$fds1" -a $rc -eq 0 -a "$kq" = "- - - -" -a "$rules0" = "$rules1" -a ! -e "$sock" ]
check "flood across the kill" \
	"$tot queries: $(fj "$kf" blocked_nxdomain) NXDOMAIN, $(fj "$kf" allowed_noerror) allowed, $(fj "$kf" wrong_answer) listed passed in the bypass, $un lost" \
	[ "$(fj "$kf" wrong_answer)" -gt 0 -a "$un" -le $((tot / 50)) ]

# ---- 5. verdict sends that fail ----
# sendfail_run MODE SECONDS: a daemon whose verdict sends fail as MODE says, under the flood;
# sets k0 k1 s1 fr (flood result) and the daemon's exit status rc.
sendfail_run() {
	# The preload library comes before the sanitizer runtime: ASan must not insist on order.
	start_daemon "$dlog" LD_PRELOAD="$sendfail" EMBARGO_SENDFAIL="$1" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" || return 1
	k0=$(kernel_queue)
	fr=$(flood "$2" "sf${1%%:*}x${1##*:}")
	sleep 1.1 # a trouble line is due at the next one-second tick
	k1=$(kernel_queue) s1=$(ctlt --json stats)
	kill -TERM "$LAB_DAEMON_PID"
	wait "$LAB_DAEMON_PID"
	rc=$?
}
if [ -n "$sendfail" ]; then
	sendfail_run 3:3 "$((stress_s / 4 > 2 ? stress_s / 4 : 2))"
	flood_ok "sends failing 3 times: flood" "$fr"
	read -r w1 _ _ h1 <<<"$k1"
	rep=$(grep 'sendfail: ' "$dlog" | tail -1)
	good=0
	[ "$w1" = 0 -a "$h1" = "$(stat_of "$s1" received)" -a "$(stat_of "$s1" verdicts_unsent)" = 0 \
		-a "$(stat_of "$s1" send_errors)" = 0 -a "$rc" = 0 ] &&
		grep -q 'sendfail: .*, [1-9][0-9]* failed' <<<"$rep" && good=1
	check "sends failing 3 times: retried, all sent" \
		"${rep#sendfail: }; handed by kernel $h1, received $(stat_of "$s1" received), waiting $w1, send_errors $(stat_of "$s1" send_errors), unsent $(stat_of "$s1" verdicts_unsent); exit $rc" \
		[ $good = 1 ]
	sendfail_run 20:0 "$((stress_s / 4 > 2 ? stress_s / 4 : 2))"
	read -r w1 _ _ h1 <<<"$k1"
	rep=$(grep 'sendfail: ' "$dlog" | tail -1)
	# Listed names are answered (forged) before their verdict, so only unlisted ones can go
	# unanswered, and each of those is a verdict that was not sent.
	read -r ua ub <<<"$(json "j['unanswered_allowed'], j['unanswered_blocked']" <<<"$fr" | tr -d ',()')"
	fb=$(grep -o ', [0-9]* failed' <<<"$rep" | grep -o '[0-9]*')
	unsent=$(stat_of "$s1" verdicts_unsent)
	line=$(grep 'trouble: queue .*verdicts_unsent=[1-9]' "$syslog" | tail -1)
	good=0
	[ "$unsent" -gt 0 -a "$unsent" = "$w1" -a "$(stat_of "$s1" send_errors)" = "${fb:-x}" \
		-a "$ub" = 0 -a "$ua" -gt 0 -a "$ua" -le "$unsent" -a "$rc" = 0 ] &&
		grep -q "^<27>" <<<"$line" && good=1
	check "sends that keep failing: counted" \
		"${rep#sendfail: }; daemon: send_errors $(stat_of "$s1" send_errors), verdicts_unsent $unsent; kernel still holds $w1; unanswered: $ua unlisted, $ub listed; '${line#*trouble: }'" \
		[ $good = 1 ]
fi
lab_g "$top/conf/embargo-firewall" down --backend iptables >/dev/null 2>&1
# Sanitizer builds (ASan, UBSan, TSan) report on the daemon's stderr.
reports=$(grep -cE 'ERROR: AddressSanitizer|WARNING: ThreadSanitizer|runtime error:|ERROR: LeakSanitizer' "$dlog")
check "no sanitizer report from the daemons" "$reports report(s)$( [ "$reports" -gt 0 ] && grep -m1 -E 'Sanitizer|runtime error' "$dlog" | sed 's/^/: /')" \
	[ "$reports" -eq 0 ]
finish
