#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Evasion test: a client that fights back (tests/integration/evade.py: fakes the server
# discards, decoys, a second SYN, urgent data, fixed limits, held buffers, a flood, slow
# failures) against the real embargod behind the shipped firewall rules, in the lab of
# tests/integration/lab.sh with the server one router further (what reaches it with TTL or hop
# limit 1 is dropped). Every case runs three times:
#   no daemon  the rules are installed but no daemon runs (the queue is bypassed): the trick
#              works, i.e. the server logs the listed name and the client gets its answer;
#   daemon     the same with embargod running: the server must never log the listed name and
#              the client must fail;
#   control    the same trick with an unlisted real name (and unlisted decoys): must pass.
# The servers log what they took: tls_server.py ("sni NAME PEER", as OpenSSL parsed it), nginx
# ("HOST PEER REQUEST"), dnsmasq ("query[A] NAME"); for QUIC, the server's ServerHello in
# answer to the Initial carrying the name. One line per case, then "N passed, N failed".
# Needs root; exits 77 (skip) without it or without the tools.
#
#   evasion.sh EMBARGOD [SOURCE_ROOT]
set -uo pipefail

embargod=${1:?usage: evasion.sh EMBARGOD [SOURCE_ROOT]}
top=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
here="$top/tests/integration"
# shellcheck source=lab.sh
. "$here/lab.sh"

lab_require gtlsserver gtlsclient tcpdump
if ! /usr/bin/python3 -c "import cryptography" 2>/dev/null; then
	echo "SKIP: python3-cryptography missing"
	exit 77
fi

blocked=upd.kaspersky.com
allowed=notkaspersky.com
decoy=example.org
evade=("/usr/bin/python3" "$here/evade.py")
# The flood: two senders, each bounded in time and count.
FLOOD_S=10
FLOOD_COUNT=3000000
FLOOD_ROUNDS=5
QUIC_FAIL_MS=50
DNS_ANSWER_MS=100

begin_t=$(lab_now_ms)
setup_fail() {
	echo "FAIL $1"
	echo "0 passed, 1 failed"
	exit 1
}
lab_up 0 || setup_fail "lab setup"
lab_second_addresses || setup_fail "second addresses"
lab_server_far || setup_fail "TTL 1 drop in the server namespace"
# The flood's queries go to the second server address, where they are dropped on arrival.
lab_s iptables -w -t raw -A PREROUTING -d $LAB_S4B -p udp --dport 53 -j DROP
touch "$LAB_DIR/tls.log"
lab_tls_logger "$LAB_DIR/tls.log" $LAB_S4B $LAB_S6B || setup_fail "TLS server"
lab_s gtlsserver -q -d "$LAB_DIR/www" "$LAB_S4" 443 "$LAB_DIR/key.pem" "$LAB_DIR/cert.pem" \
	>/dev/null 2>&1 &
LAB_PIDS+=($!)
# gtlsclient takes its SNI from the host name it connects to.
mkdir -p "/etc/netns/$LAB_C"
printf '%s %s %s\n' "$LAB_S4" "$allowed" "$blocked" >"/etc/netns/$LAB_C/hosts"
list="$LAB_DIR/blocklist.txt"
printf '# test list\nkaspersky.com\n' >"$list"
lab_g "$top/conf/embargo-firewall" up --backend iptables --queue 0 || setup_fail "firewall up"
for _ in $(seq 100); do
	[ "$(lab_s ss -Hlun sport = :443 | wc -l)" -ge 1 ] && break
	sleep 0.05
done

# EVASION_ONLY=REGEX in the environment runs only the cases whose title matches.
selected() {
	[ -z "${EVASION_ONLY:-}" ] || [[ "$1" =~ $EVASION_ONLY ]]
}

# ---- the daemon, on and off ----
daemon_runs=0
LAB_DAEMON_PID=
daemon_on() {
	[ -n "$LAB_DAEMON_PID" ] && return 0
	daemon_runs=$((daemon_runs + 1))
	local log="$LAB_DIR/embargod.$daemon_runs.log"
	if ! lab_daemon_start "$embargod" "$log" -u nobody -b "$list" -S "$LAB_DIR/ctl.sock"; then
		cat "$log"
		setup_fail "daemon start"
	fi
}
daemon_off() {
	[ -z "$LAB_DAEMON_PID" ] && return 0
	lab_daemon_stop
	LAB_DAEMON_PID=
}

# ---- what the server took, what the client saw ----
server_log() { # kind
	case $1 in
	tls) echo "$LAB_DIR/tls.log" ;;
	http) echo "$LAB_DIR/access.log" ;;
	dns) echo "$LAB_DIR/dnsmasq.log" ;;
	esac
}
name_pattern() { # kind name: the server's log line for a request for NAME
	case $1 in
	tls) echo "^sni ${2//./\\.} " ;;
	http) echo "^${2//./\\.} " ;;
	dns) echo "query\[[A-Z]*\] ${2//./\\.} from" ;;
	esac
}
log_lines() { # kind: lines in its server log now (0 for QUIC, which has none)
	local f
	f=$(server_log "$1")
	if [ -n "$f" ]; then wc -l <"$f"; else echo 0; fi
}
logged_since() { # kind name lines: how many requests for NAME the server logged since then
	tail -n +"$(($3 + 1))" "$(server_log "$1")" | grep -c -- "$(name_pattern "$1" "$2")"
}
# server_got KIND NAME LINES OUT: did the server take NAME since its log had LINES lines? For
# QUIC the evidence is the client's: a ServerHello came back for the Initial carrying NAME.
server_got() {
	local _
	if [ "$1" = quic ]; then
		[[ "$4" == "ok server-hello"* ]]
		return
	fi
	# Servers log before they answer (nginx: right after); a little time for a late line.
	for _ in 1 2 3 4 5 6; do
		[ "$(logged_since "$1" "$2" "$3")" -gt 0 ] && return 0
		sleep 0.05
	done
	return 1
}
client_answered() { # kind out: the client got the server's answer
	case $1 in
	tls | http) [[ "$2" == "ok HTTP/1.1 200"* ]] ;;
	dns) [[ "$2" == ok* ]] && [[ "$2" != "ok NXDOMAIN"* ]] ;; # the lab server never says NXDOMAIN
	quic) [[ "$2" == "ok server-hello"* ]] ;;
	esac
}
invalid_drops() { # packets the gateway's rules dropped as conntrack INVALID (TCP)
	lab_g iptables -w -t mangle -L EMBARGO_QUEUE -v -n -x | awk '/INVALID/ && $4 == "6" {print $1}'
}

# ---- one case, three runs ----
# A case is a TRY function (TRY NAME runs the trick for NAME and sets what the judges read)
# and three judges, each succeeding when its run came out as it must:
#   PROOF    no daemon, NAME listed: the trick works (also the control's judge, NAME unlisted)
#   BLOCKED  daemon, NAME listed: the server never took it, the client failed
#   DESCRIBE NAME prints the detail of a run
# PHASE names the run in progress. case_run TITLE TRY PROOF BLOCKED DESCRIBE
case_run() {
	local title=$1 try=$2 proof=$3 blocked_ok=$4 describe=$5 name judge
	selected "$title" || return 0
	for PHASE in "no daemon" daemon control; do
		name=$blocked
		judge=$proof
		[ "$PHASE" = daemon ] && judge=$blocked_ok
		[ "$PHASE" = control ] && name=$allowed
		if [ "$PHASE" = "no daemon" ]; then daemon_off; else daemon_on; fi
		$try "$name"
		if $judge; then
			result ok "$title: $PHASE" "$($describe "$name")"
		else
			result FAIL "$title: $PHASE" "$($describe "$name")"
		fi
	done
}

# The common kind of case: one client run; the server's log and the client's line judge it.
# attempt NAME: the client (CASE_CMD, with NAME and --decoy appended) for a server of kind
# CASE_KIND; sets OUT (its line), MS (its time), GOT (0 when the server took NAME) and INV
# (what the gateway dropped as INVALID meanwhile).
attempt() {
	local lines inv0 t0
	lines=$(log_lines "$CASE_KIND")
	inv0=$(invalid_drops)
	t0=$(lab_now_ms)
	OUT=$(lab_c "${CASE_CMD[@]}" "$1" --decoy "$decoy" 2>&1 | tail -1)
	if [ "$OUT" = refused ]; then
		# The connection was refused before the trick began (seen once in many runs: a SYN
		# answered by a reset); the trick was not tried, so it is tried once more.
		OUT="$(lab_c "${CASE_CMD[@]}" "$1" --decoy "$decoy" 2>&1 | tail -1) (retried: connect refused)"
	fi
	MS=$(($(lab_now_ms) - t0))
	server_got "$CASE_KIND" "$1" "$lines" "$OUT"
	GOT=$?
	INV=$(($(invalid_drops) - inv0))
}
took_and_answered() { [ "$GOT" -eq 0 ] && client_answered "$CASE_KIND" "$OUT"; }
# Blocked: the server never took the name and the client failed, in a way that shows the trick
# was tried (a client that could not even set it up proves nothing).
neither() {
	[ "$GOT" -ne 0 ] && ! client_answered "$CASE_KIND" "$OUT" && [[ "$OUT" != error* ]] &&
		[[ "$OUT" != refused* ]]
}
# The detail of an attempt; "gateway dropped N as conntrack INVALID" tells that a fake never
# reached the queue (the shipped rules drop INVALID packets first).
describe_attempt() {
	local took=no
	[ "$GOT" -eq 0 ] && took=yes
	printf 'server took %s: %s; client: %s (%s ms)' "$1" "$took" "$OUT" "$MS"
	# Only the fakes' cases count: other tests' late packets could be dropped meanwhile.
	[ "$CASE_FAKES" = 1 ] && [ "$INV" -gt 0 ] &&
		printf '; gateway dropped %s as conntrack INVALID' "$INV"
}
# evasion TITLE KIND TRICK ADDR [OPTIONS...]: evade.py TRICK against a server of KIND.
evasion() {
	CASE_FAKES=1
	CASE_KIND=$2
	CASE_CMD=("${evade[@]}" "$3" "$4" "${@:5}")
	case_run "$1" attempt took_and_answered neither describe_attempt
}

# ---- 0: no trick, for reference ----
evasion "0 plain hello" tls hello $LAB_S4B

# ---- 1: fakes the server discards, at the real hello's sequence number ----
evasion "1 fake ttl 2" tls fake-ttl $LAB_S4B
evasion "1 fake hop limit 2, ipv6" tls fake-ttl $LAB_S6B
evasion "1 fake without ACK flag" tls fake-noack $LAB_S4B
evasion "1 fake with bad TCP checksum" tls fake-badsum $LAB_S4B
evasion "1 fake with TCP MD5 option" tls fake-md5 $LAB_S4B
evasion "1 fake with old timestamp (PAWS)" tls fake-paws $LAB_S4B
evasion "1 fake acking data long acked" tls fake-ack-behind $LAB_S4B
evasion "1 fake acking unsent data" tls fake-ack-ahead $LAB_S4B
evasion "1 fake seq far behind" tls fake-seq-behind $LAB_S4B
evasion "1 fake seq far ahead" tls fake-seq-ahead $LAB_S4B
evasion "1 dns over tcp, fake ttl 2" dns dns-fake-ttl $LAB_S4
evasion "1 two decoys, ttl 2" tls two-decoys $LAB_S4B
evasion "1 unfinished http decoy, ttl 2" tls http-decoy $LAB_S4B

# ---- 2: a second SYN ahead of the stream ----
evasion "2 second syn" tls second-syn $LAB_S4B

# ---- 3: every request on a connection ----
evasion "3 http keep-alive" http http-keepalive $LAB_S4
evasion "3 http pipelined" http http-pipelined $LAB_S4

# ---- 4: QUIC, a decoy Initial with its own connection ID on the same socket ----
evasion "4 quic decoy connection id" quic quic-decoy $LAB_S4 --timeout 1

# ---- 5: urgent data inside the name ----
evasion "5 urgent byte in the sni" tls urgent $LAB_S4B

# ---- 6: fixed limits ----
evasion "6 33 dns queries in one segment" dns dns-pipeline $LAB_S4 --count 33
evasion "6 ack with 9 ipv6 extension hdrs" tls ipv6-exthdrs $LAB_S6B
evasion "6 one byte 20 KiB ahead" tls ahead $LAB_S4B --ahead 20480
lab_mtu 9000
evasion "6 hello > 4096 bytes, one segment" tls big-hello $LAB_S4B --min-hello 4096
lab_mtu 1500

# ---- 7: one client holds the reassembly buffers, another sends a split hello ----
# hold_try NAME: 300 connections from the first client address, each with half a hello, then
# the hello for NAME in two segments (cut inside the name) from the second address.
hold_try() {
	local out="$LAB_DIR/hold.out" hp
	: >"$out"
	ip netns exec "$LAB_C" "${evade[@]}" hold $LAB_S4B "$decoy" --source $LAB_C4 --count 300 \
		--seconds 15 >"$out" 2>&1 &
	hp=$!
	wait_for "^holding" "$out" 10
	HELD=$(grep -o 'holding [0-9]*' "$out" | cut -d' ' -f2)
	attempt "$1"
	kill "$hp" 2>/dev/null
	wait "$hp" 2>/dev/null
}
hold_works() { [ "${HELD:-0}" -eq 300 ] && took_and_answered; }
hold_blocked() { [ "${HELD:-0}" -eq 300 ] && neither; }
describe_hold() { printf '%s held; ' "${HELD:-0}"; describe_attempt "$1"; }
CASE_FAKES=0
CASE_KIND=tls
CASE_CMD=("${evade[@]}" split "$LAB_S4B" --source "$LAB_C4B")
case_run "7 300 half hellos, 2nd client" hold_try hold_works hold_blocked describe_hold

# ---- 8: a flood from two senders while listed connections are tried ----
# flood_try NAME: two senders (two other client addresses) flood UDP DNS queries for an
# unlisted name (to an address that drops them) for FLOOD_S seconds; meanwhile, up to
# FLOOD_ROUNDS rounds of one TLS hello, one DNS query, one HTTP request (curl) and one QUIC
# Initial for NAME from the first client address. Sets THROUGH (answered tries per protocol),
# SERVER (what the servers logged for NAME), MIN / MAX (fewest and most answered tries of one
# protocol) and SENT.
flood_try() {
	local name=$1 f1 f2 r out tls=0 dns=0 http=0 quic=0 rounds=0 lt ld lh
	lt=$(log_lines tls) ld=$(log_lines dns) lh=$(log_lines http)
	ip netns exec "$LAB_C" "${evade[@]}" flood $LAB_S4B "$allowed" --source $LAB_C4B \
		--seconds $FLOOD_S --count $FLOOD_COUNT >"$LAB_DIR/flood1.out" 2>&1 &
	f1=$!
	ip netns exec "$LAB_C" "${evade[@]}" flood $LAB_S4B "$allowed" --source $LAB_C4C \
		--seconds $FLOOD_S --count $FLOOD_COUNT >"$LAB_DIR/flood2.out" 2>&1 &
	f2=$!
	sleep 0.5
	for r in $(seq $FLOOD_ROUNDS); do
		kill -0 $f1 2>/dev/null || break
		rounds=$r
		out=$(lab_c "${evade[@]}" hello $LAB_S4B "$name" --timeout 1)
		client_answered tls "$out" && tls=$((tls + 1))
		out=$(lab_c "${evade[@]}" dns $LAB_S4 "$name" --timeout 1)
		client_answered dns "$out" && dns=$((dns + 1))
		out=$(lab_c curl -s -o /dev/null -w '%{http_code}' --max-time 1 -H "Host: $name" \
			"http://$LAB_S4/")
		[ "$out" = 200 ] && http=$((http + 1))
		out=$(lab_c "${evade[@]}" quic $LAB_S4 "$name" --timeout 1)
		client_answered quic "$out" && quic=$((quic + 1))
	done
	wait $f1 $f2
	SENT=$(cat "$LAB_DIR/flood1.out" "$LAB_DIR/flood2.out" | grep -o 'sent [0-9]*' |
		awk '{n += $2} END {print n + 0}')
	THROUGH="tls $tls/$rounds dns $dns/$rounds http $http/$rounds quic $quic/$rounds"
	SERVER="tls $(logged_since tls "$name" "$lt") dns $(logged_since dns "$name" "$ld")"
	SERVER="$SERVER http $(logged_since http "$name" "$lh")"
	MIN=$(printf '%s\n' $tls $dns $http $quic | sort -n | head -1)
	MAX=$(printf '%s\n' $tls $dns $http $quic | sort -n | tail -1)
	[ "$rounds" -gt 0 ] || MIN=0
}
# Without the daemon, and for an unlisted name (the network stays up for the clients that do
# not flood), every protocol gets through at least once; with the daemon, no listed try gets
# through.
every_protocol() { [ "$MIN" -gt 0 ]; }
none_through() { [ "$MAX" -eq 0 ] && [ "$SERVER" = "tls 0 dns 0 http 0" ]; }
describe_flood() {
	printf 'flood %s datagrams in %s s; answered: %s; servers logged: %s' "$SENT" "$FLOOD_S" \
		"$THROUGH" "$SERVER"
}
case_run "8 flood from two senders" flood_try every_protocol none_through describe_flood

# ---- 9: how soon a blocked client learns it ----
# gtls_try NAME: gtlsclient (HTTP/3) fetches index.html from NAME; a capture in the client
# namespace dates its first Initial. Sets OUT (body / no body) and MS (first Initial -> exit).
gtls_try() {
	local cap="$LAB_DIR/quic.pcap" err="$LAB_DIR/tcpdump.err" dir td end_us first
	dir=$(mktemp -d "$LAB_DIR/dl.XXXXXX")
	rm -f "$cap"
	: >"$err"
	# Immediate mode: without it, packets wait in the capture ring and a short run is lost.
	ip netns exec "$LAB_C" tcpdump -i "ec$LAB_ID" --immediate-mode -nn -U -w "$cap" \
		udp port 443 2>"$err" &
	td=$!
	wait_for "listening on" "$err" 5
	lab_c timeout 10 gtlsclient -q --exit-on-first-stream-close --handshake-timeout=3s \
		--download="$dir" "$1" 443 "https://$1/index.html" >/dev/null 2>&1
	end_us=$(($(date +%s%N) / 1000))
	sleep 0.05
	kill $td
	wait $td 2>/dev/null
	first=$(tcpdump -r "$cap" -tt -nn -c 1 2>/dev/null | awk '{print $1}')
	if cmp -s "$dir/index.html" "$LAB_DIR/www/index.html"; then OUT=body; else OUT="no body"; fi
	if [[ "$first" =~ ^[0-9]+\.[0-9]{6}$ ]]; then
		MS=$(((end_us - ${first/./}) / 1000))
	else
		MS=-1
		OUT="$OUT (no Initial captured)"
	fi
}
got_body() { [ "$OUT" = body ]; }
failed_fast() { [ "$OUT" = "no body" ] && [ "$MS" -ge 0 ] && [ "$MS" -le $QUIC_FAIL_MS ]; }
describe_gtls() {
	printf '%s of %s over HTTP/3; client done %s ms after its first Initial' "$OUT" "$1" "$MS"
	[ "$PHASE" = daemon ] && printf ' (want no body, <= %s ms)' $QUIC_FAIL_MS
}
case_run "9 quic (gtlsclient) time to fail" gtls_try got_body failed_fast describe_gtls

# A DNS query over UDP in an unusual encoding. Without the daemon the server answers it (and
# logs the name, except for the multi-question query, which dnsmasq refuses without a name);
# with the daemon the client must get a forged answer, not the server's, within DNS_ANSWER_MS.
answered() { client_answered dns "$OUT" && { [ "$CASE_LOGGED" = no ] || [ "$GOT" -eq 0 ]; }; }
forged_fast() {
	local ms
	ms=$(grep -o 'in [0-9]* ms' <<<"$OUT" | cut -d' ' -f2)
	[[ "$OUT" == "ok NXDOMAIN"* ]] && [ "${ms:-99999}" -le $DNS_ANSWER_MS ] && [ "$GOT" -ne 0 ]
}
describe_dns() {
	describe_attempt "$1"
	[ "$PHASE" = daemon ] && printf ' (want a forged answer <= %s ms)' $DNS_ANSWER_MS
}
CASE_FAKES=0
CASE_KIND=dns
for spec in "9 dns name through a pointer:dns-pointer:yes" \
	"9 dns 2 questions, pointer in 2nd:dns-two-questions:no"; do
	IFS=: read -r title trick CASE_LOGGED <<<"$spec"
	CASE_CMD=("${evade[@]}" "$trick" "$LAB_S4" --timeout 2)
	case_run "$title" attempt answered forged_fast describe_dns
done

echo "$passed passed, $failed failed (in $((($(lab_now_ms) - begin_t) / 1000)) s)"
daemon_off
lab_g "$top/conf/embargo-firewall" down
[ "$failed" -eq 0 ]
