#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end test: the real embargod, behind the real firewall rules, on the gateway of a
# client -- gateway -- server lab (tests/integration/lab.sh), with real clients (dig, curl,
# openssl s_client, a split-segment client) and real servers (dnsmasq, nginx), IPv4 and IPv6.
# One line per case, then "N passed, N failed". Needs root; exits 77 (skip) without it.
#
#   e2e.sh EMBARGOD [SOURCE_ROOT]
set -uo pipefail

embargod=${1:?usage: e2e.sh EMBARGOD [SOURCE_ROOT]}
top=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
here="$top/tests/integration"
# shellcheck source=lab.sh
. "$here/lab.sh"

if ! why=$(lab_preflight); then
	echo "SKIP: $why"
	exit 77
fi

lab_up 4 || { echo "FAIL lab setup"; echo "0 passed, 1 failed"; exit 1; }
log="$LAB_DIR/embargod.log"
list="$LAB_DIR/blocklist.txt"
printf '# test list\nkaspersky.com\n' >"$list"
lab_g "$top/conf/embargo-firewall" up --backend iptables --queue 0 ||
	{ echo "FAIL firewall up"; echo "0 passed, 1 failed"; exit 1; }
# The daemon runs as an unprivileged user with CAP_NET_ADMIN and CAP_NET_RAW only.
lab_daemon_start "$embargod" "$log" -u nobody -b "$list" ||
	{ cat "$log"; echo "FAIL daemon start"; echo "0 passed, 1 failed"; exit 1; }

blocked=upd.kaspersky.com
allowed=notkaspersky.com
caps=$(awk '/^CapEff/ {print $2}' "/proc/$LAB_DAEMON_PID/status")
uid=$(awk '/^Uid/ {print $2}' "/proc/$LAB_DAEMON_PID/status")
if [ "$caps" = 0000000000003000 ] && [ "$uid" != 0 ]; then
	result ok "daemon unprivileged" "uid $uid, CapEff $caps (NET_ADMIN, NET_RAW)"
else
	result FAIL "daemon unprivileged" "uid $uid, CapEff $caps"
fi

# ---- DNS ----
dns_case() { # family server proto(udp|tcp) qtype
	local fam=$1 server=$2 proto=$3 qtype=$4 t0 t1 out status flag=""
	[ "$proto" = tcp ] && flag=+tcp
	t0=$(lab_now_ms)
	out=$(lab_c dig $flag +time=2 +tries=1 @"$server" "$blocked" "$qtype" 2>&1)
	t1=$(lab_now_ms)
	status=$(grep -o 'status: [A-Z]*' <<<"$out" | cut -d' ' -f2)
	if [ "$proto" = udp ]; then
		local qt
		qt=$(grep -o 'Query time: [0-9]* msec' <<<"$out" | grep -o '[0-9]*')
		if [ "$status" = NXDOMAIN ] && [ $((t1 - t0)) -lt 500 ]; then
			result ok "dns $proto $qtype $fam blocked" \
				"NXDOMAIN in $((t1 - t0)) ms with dig's start (dig query time ${qt:-?} ms)"
		else
			result FAIL "dns $proto $qtype $fam blocked" "status '${status:-none}' in $((t1 - t0)) ms"
		fi
	else
		if [ -z "$status" ] && grep -q "reset\|closed\|refused\|no servers" <<<"$out" &&
			[ $((t1 - t0)) -lt 1000 ]; then
			result ok "dns $proto $qtype $fam blocked" "connection reset in $((t1 - t0)) ms"
		else
			result FAIL "dns $proto $qtype $fam blocked" "status '${status:-none}' in $((t1 - t0)) ms"
		fi
	fi
	out=$(lab_c dig $flag +time=2 +tries=1 +short @"$server" "$allowed" "$qtype" 2>&1)
	local want=$LAB_S4
	[ "$qtype" = AAAA ] && want=$LAB_S6
	if [ "$out" = "$want" ]; then
		result ok "dns $proto $qtype $fam allowed" "$allowed -> $out"
	else
		result FAIL "dns $proto $qtype $fam allowed" "got '$out'"
	fi
}
for fam in 4 6; do
	server=$LAB_S4
	[ $fam = 6 ] && server=$LAB_S6
	for proto in udp tcp; do
		for qtype in A AAAA; do
			dns_case "ipv$fam" "$server" "$proto" "$qtype"
		done
	done
done

# ---- what an allowed connection costs: the rest of it stays in the kernel ----
queued() { lab_g awk '{ n += $8 } END { print n + 0 }' /proc/net/netfilter/nfnetlink_queue; }
queued_case() { # scheme port bound what
	local q0 q1 out
	q0=$(queued)
	out=$(lab_c curl -sk --max-time 10 -o /dev/null -w '%{size_download}' \
		--resolve "$allowed:$2:$LAB_S4" "$1://$allowed/$4")
	q1=$(queued)
	if [ "$out" -gt 0 ] && [ $((q1 - q0)) -le "$3" ]; then
		result ok "$1 $4 queues at most $3 packets" "$((q1 - q0)) queued, $out bytes"
	else
		result FAIL "$1 $4 queues at most $3 packets" "$((q1 - q0)) queued, $out bytes"
	fi
}
# Handshake, first message, the server's confirmation; a few more may be queued before the
# confirming verdict reaches the kernel.
queued_case https 443 8 index.html
queued_case http 80 8 index.html
queued_case https 443 12 bulk.bin
queued_case http 80 12 bulk.bin

# ---- HTTPS, HTTP ----
body_sha=$(sha256sum <"$LAB_DIR/www/index.html" | cut -d' ' -f1)
web_case() { # family server scheme
	local fam=$1 server=$2 scheme=$3 port=80 t0 t1 out rc host
	[ "$scheme" = https ] && port=443
	host=$server
	[ "$fam" = ipv6 ] && host="[$server]"
	t0=$(lab_now_ms)
	out=$(lab_c curl -sk --max-time 3 -o /dev/null --resolve "$blocked:$port:$server" \
		"$scheme://$blocked/" 2>&1)
	rc=$?
	t1=$(lab_now_ms)
	if [ $rc -ne 0 ] && [ $rc -ne 28 ] && [ $((t1 - t0)) -lt 1000 ]; then
		result ok "$scheme $fam blocked" "curl exit $rc in $((t1 - t0)) ms"
	else
		result FAIL "$scheme $fam blocked" "curl exit $rc in $((t1 - t0)) ms"
	fi
	out=$(lab_c curl -sk --max-time 3 --resolve "$allowed:$port:$server" "$scheme://$allowed/" |
		sha256sum | cut -d' ' -f1)
	if [ "$out" = "$body_sha" ]; then
		result ok "$scheme $fam allowed" "full body (sha256 match)"
	else
		result FAIL "$scheme $fam allowed" "body differs"
	fi
	: "$host"
}
s_client_case() { # family server
	local fam=$1 server=$2 out connect=$2:443
	[ "$fam" = ipv6 ] && connect="[$server]:443"
	out=$(echo | lab_c timeout 5 openssl s_client -connect "$connect" -servername "$blocked" 2>&1)
	if grep -q "Cipher is (NONE)\|errno=104\|Connection reset" <<<"$out" &&
		! grep -q "BEGIN CERTIFICATE" <<<"$out"; then
		result ok "openssl s_client $fam blocked" "no handshake"
	else
		result FAIL "openssl s_client $fam blocked" "$(grep -m1 -i 'cipher\|error' <<<"$out")"
	fi
	out=$(echo | lab_c timeout 5 openssl s_client -connect "$connect" -servername "$allowed" 2>&1)
	if grep -q "BEGIN CERTIFICATE" <<<"$out"; then
		result ok "openssl s_client $fam allowed" "handshake completed"
	else
		result FAIL "openssl s_client $fam allowed" "$(grep -m1 -i 'error' <<<"$out")"
	fi
}
split_case() { # family server mode piece
	local fam=$1 server=$2 mode=$3 piece=$4 port=443 out
	[ "$mode" = http ] && port=80
	out=$(lab_c /usr/bin/python3 "$here/split_client.py" "$mode" "$server" $port "$blocked" "$piece")
	if [ "$out" = reset ]; then
		result ok "$mode split by $piece $fam blocked" "reset"
	else
		result FAIL "$mode split by $piece $fam blocked" "$out"
	fi
	out=$(lab_c /usr/bin/python3 "$here/split_client.py" "$mode" "$server" $port "$allowed" "$piece")
	if [[ "$out" == "ok HTTP/1.1 200"* ]]; then
		result ok "$mode split by $piece $fam allowed" "$out"
	else
		result FAIL "$mode split by $piece $fam allowed" "$out"
	fi
}
for fam in ipv4 ipv6; do
	server=$LAB_S4
	[ $fam = ipv6 ] && server=$LAB_S6
	web_case $fam "$server" https
	web_case $fam "$server" http
	s_client_case $fam "$server"
	split_case $fam "$server" tls 40
	split_case $fam "$server" http 8
done
split_case ipv4 "$LAB_S4" tls 3
# A TLS client without SNI (curl sends none for an address): nameless, allowed by default.
out=$(lab_c curl -sk --max-time 3 -o /dev/null -w '%{http_code}' "https://$LAB_S4/")
if [ "$out" = 200 ]; then
	result ok "https without SNI, default policy" "allowed ($out)"
else
	result FAIL "https without SNI, default policy" "$out"
fi

# ---- QUIC (HTTP/3 client and server from ngtcp2) ----
quic_case() { # family prefix: gtlsclient takes its SNI from the host name it connects to,
	# resolved through the client namespace's /etc/netns hosts file
	local fam=$1 prefix=$2 name dir t0 t1 body
	if ! command -v gtlsclient >/dev/null || ! command -v gtlsserver >/dev/null; then
		result FAIL "quic $fam" "gtlsclient/gtlsserver missing (package ngtcp2-client/-server)"
		return
	fi
	for name in "$prefix$allowed" "$prefix$blocked"; do
		dir="$LAB_DIR/quic-$name"
		mkdir -p "$dir"
		t0=$(lab_now_ms)
		lab_c timeout 10 gtlsclient -q --exit-on-first-stream-close --handshake-timeout=3s \
			--download="$dir" "$name" 443 "https://$name/index.html" >/dev/null 2>&1
		t1=$(lab_now_ms)
		body=$({ sha256sum <"$dir/index.html"; } 2>/dev/null | cut -d" " -f1)
		if [ "$name" = "$prefix$allowed" ]; then
			if [ "$body" = "$body_sha" ]; then
				result ok "quic $fam allowed" "full body over HTTP/3 in $((t1 - t0)) ms"
			else
				result FAIL "quic $fam allowed" "no body"
			fi
		elif [ -z "$body" ] && grep -q "alert: action=reject proto=quic name=$name" "$log"; then
			result ok "quic $fam blocked" "no handshake (client gave up after $((t1 - t0)) ms)"
		else
			result FAIL "quic $fam blocked" "body '${body:-none}'"
		fi
	done
}
mkdir -p "/etc/netns/$LAB_C"
printf '%s %s %s\n%s v6.%s v6.%s\n' "$LAB_S4" "$allowed" "$blocked" "$LAB_S6" "$allowed" \
	"$blocked" >"/etc/netns/$LAB_C/hosts"
lab_s gtlsserver -q -d "$LAB_DIR/www" "$LAB_S4" 443 "$LAB_DIR/key.pem" "$LAB_DIR/cert.pem" \
	>/dev/null 2>&1 &
LAB_PIDS+=($!)
lab_s gtlsserver -q -d "$LAB_DIR/www" "$LAB_S6" 443 "$LAB_DIR/key.pem" "$LAB_DIR/cert.pem" \
	>/dev/null 2>&1 &
LAB_PIDS+=($!)
for i in $(seq 100); do # both servers bound
	[ "$(lab_s ss -Hlun sport = :443 | wc -l)" -ge 2 ] && break
	sleep 0.05
done
quic_case ipv4 ""
quic_case ipv6 "v6."

# ---- reload ----
printf 'kaspersky.com\nexample.org\n' >"$list"
kill -HUP "$LAB_DAEMON_PID"
wait_for "reload: generation 2 in force" "$log" 5
out=$(lab_c dig +time=2 +tries=1 @"$LAB_S4" www.example.org | grep -o 'status: [A-Z]*')
if [ "$out" = "status: NXDOMAIN" ] && grep -q "reload: generation 2 in force" "$log"; then
	result ok "reload adds example.org" "NXDOMAIN after SIGHUP"
else
	result FAIL "reload adds example.org" "'$out'"
fi
printf 'kaspersky.com\nbad..name\n' >"$list"
kill -HUP "$LAB_DAEMON_PID"
wait_for "reload: refused" "$log" 5
out=$(lab_c dig +time=2 +tries=1 @"$LAB_S4" www.example.org | grep -o 'status: [A-Z]*')
if [ "$out" = "status: NXDOMAIN" ] && grep -q 'reload: refused, generation 2 stays in force: .*:2:5: invalid name "bad..name"' "$log"; then
	result ok "reload with an error keeps the old list" "$(grep -o 'refused.*' "$log" | head -1)"
else
	result FAIL "reload with an error keeps the old list" "'$out'"
fi

# ---- alerts and totals ----
if grep -qE "alert: action=reject proto=tls name=$blocked client=$LAB_C4( client_mac=[0-9a-f:]{17})? vendor=blocklist category=listed server=$LAB_S4:443 rule=$list:2" "$log"; then
	result ok "alert line for a blocked TLS connection" "found"
else
	result FAIL "alert line for a blocked TLS connection" "missing"
fi
lab_daemon_stop
totals=$(grep -o 'totals after .*' "$log")
received=$(grep -o 'received=[0-9]*' <<<"$totals" | cut -d= -f2)
verdicts=$(grep -o 'verdicts=[0-9]*' <<<"$totals" | cut -d= -f2)
if [ -n "$received" ] && [ "$received" -gt 0 ] && [ "$received" = "$verdicts" ]; then
	result ok "every packet got one verdict" "received=$received verdicts=$verdicts"
else
	result FAIL "every packet got one verdict" "${totals:-no totals line}"
fi

# ---- daemon stopped: the queue is bypassed ----
out=$(lab_c curl -sk --max-time 3 -o /dev/null -w '%{http_code}' --resolve "$blocked:443:$LAB_S4" \
	"https://$blocked/")
if [ "$out" = 200 ]; then
	result ok "daemon stopped: traffic bypasses the queue" "https $blocked -> $out"
else
	result FAIL "daemon stopped: traffic bypasses the queue" "https $blocked -> $out"
fi

# ---- --nameless reject: connections without a name are refused ----
printf 'kaspersky.com\n' >"$list"
if ! lab_daemon_start "$embargod" "$LAB_DIR/embargod2.log" -u nobody --nameless reject -b "$list"; then
	result FAIL "daemon restart with --nameless reject" "$(cat "$LAB_DIR/embargod2.log")"
fi
out=$(lab_c curl -sk --max-time 3 -o /dev/null -w '%{http_code}' "https://$LAB_S4/")
rc=$?
if [ "$out" = 000 ] && [ $rc -ne 28 ]; then
	result ok "https without SNI, --nameless reject" "reset (curl exit $rc)"
else
	result FAIL "https without SNI, --nameless reject" "$out (curl exit $rc)"
fi
out=$(lab_c curl -sk --max-time 3 -o /dev/null -w '%{http_code}' --resolve "$allowed:443:$LAB_S4" \
	"https://$allowed/")
if [ "$out" = 200 ]; then
	result ok "named allowed traffic, --nameless reject" "$out"
else
	result FAIL "named allowed traffic, --nameless reject" "$out"
fi
lab_daemon_stop
lab_g "$top/conf/embargo-firewall" down

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
