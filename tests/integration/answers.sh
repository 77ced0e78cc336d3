#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End to end, beyond the first name: the real embargod behind the real firewall rules on the
# gateway of the lab (tests/integration/lab.sh), a real resolver (dnsmasq with CNAME chains and
# HTTPS records) and real clients (dig over UDP and TCP, curl, openssl s_client, socat, a
# crafted ECH hello): Extended DNS Errors, HTTPS questions answered like A, CNAME cloaking,
# addresses learned into ipsets and the connections that carry no name to them (without SNI,
# an IP-literal SNI or Host, another port), shared addresses alert-only, ECH to a shipped and
# to a learned front (GREASE passes), strip-ech, embargoctl addresses and audit, and the nft
# sets. Each feature's case has a control that must pass either way.
#
#   answers.sh EMBARGOD EMBARGOCTL [SOURCE_ROOT] [--without]
#
# --without runs the same cases with every switch of these features off (dns-ede off,
# cname-cloaking off, learn-addresses off, ech allow, strip-ech off): the feature cases then
# FAIL and the controls pass, which shows that each case tests its feature. The HTTPS sinkhole
# answer has no switch: run the script with an embargod that predates it to see its case fail.
# One line per case, then "N passed, N failed". Needs root (skip: 77).
set -uo pipefail

embargod=${1:?usage: answers.sh EMBARGOD EMBARGOCTL [SOURCE_ROOT] [--without]}
export EMBARGOD=$embargod # embargo-firewall --config reads the file with it
ctl_bin=${2:?usage: answers.sh EMBARGOD EMBARGOCTL [SOURCE_ROOT] [--without]}
top=${3:-$(cd "$(dirname "$0")/../.." && pwd)}
without=0
[ "${4:-}" = --without ] && without=1
here="$top/tests/integration"
# shellcheck source=lab.sh
. "$here/lab.sh"

if ! why=$(lab_preflight); then
	echo "SKIP: $why"
	exit 77
fi
for t in ipset socat nft; do
	command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done

lab_up 0 || { echo "FAIL lab setup"; echo "0 passed, 1 failed"; exit 1; }
VENDOR4=10.231.2.20   # upd.kaspersky.com (listed)
VENDOR6=fd00:e3b:2::20
SHARED4=10.231.2.21   # shared.kaspersky.com (listed) and www.cdn-customer.test
FRONT4=10.231.2.22    # svc.kaspersky.com's HTTPS hint; its ECH front front.lab.test
OTHER4=10.231.2.30    # www.other.test, alias.lab.test (nothing listed)
RESOLVER=10.231.2.53  # the resolver with the records below
EXEMPT=10.231.1.3     # a client out of the policy's scope: its lookups still teach
for a in $VENDOR4 $SHARED4 $FRONT4 $OTHER4 $RESOLVER; do
	ip -n "$LAB_S" addr add $a/24 dev "es$LAB_ID"
done
ip -n "$LAB_S" addr add $VENDOR6/64 dev "es$LAB_ID" nodad
ip -n "$LAB_C" addr add $EXEMPT/24 dev "ec$LAB_ID"

# HTTPS records (rdata as hex): svc.kaspersky.com publishes an ECH configuration whose public
# name is front.lab.test; ech.other.test one for cloudflare-ech.com; plain.other.test none.
https_rdata() { # public_name|-, ipv4hint
	/usr/bin/python3 - "$1" "$2" <<'PY'
import socket, struct, sys
def param(k, v): return struct.pack("!HH", k, len(v)) + v
r = struct.pack("!H", 1) + b"\0" + param(1, b"\x02h2") + param(4, socket.inet_aton(sys.argv[2]))
if sys.argv[1] != "-":
    pub = sys.argv[1].encode()
    c = bytes([7]) + struct.pack("!HH", 0x20, 32) + b"B" * 32 + struct.pack("!HHH", 4, 1, 1)
    c += b"\0" + bytes([len(pub)]) + pub + b"\0\0"
    e = struct.pack("!HH", 0xfe0d, len(c)) + c
    ech = struct.pack("!H", len(e)) + e
    r = struct.pack("!H", 1) + b"\0" + param(1, b"\x02h2") + param(4, socket.inet_aton(sys.argv[2])) + param(5, ech)
print(r.hex())
PY
}
lab_s dnsmasq --no-resolv --no-hosts --bind-interfaces --listen-address=$RESOLVER \
	--local-ttl=60 --pid-file="$LAB_DIR/dnsmasq2.pid" --log-facility="$LAB_DIR/dnsmasq2.log" \
	--host-record=upd.kaspersky.com,$VENDOR4,$VENDOR6 \
	--host-record=shared.kaspersky.com,$SHARED4 --host-record=www.cdn-customer.test,$SHARED4 \
	--host-record=www.other.test,$OTHER4 \
	--cname=cloak.lab.test,upd.kaspersky.com --cname=cloak2.lab.test,shared.kaspersky.com \
	--cname=alias.lab.test,www.other.test \
	--dns-rr=svc.kaspersky.com,65,"$(https_rdata front.lab.test $FRONT4)" \
	--dns-rr=ech.other.test,65,"$(https_rdata cloudflare-ech.com $OTHER4)" \
	--dns-rr=plain.other.test,65,"$(https_rdata - $OTHER4)" ||
	{ result FAIL "resolver" ""; finish; }
# Web servers on the extra addresses, and a plain TCP service on another port.
cat >"$LAB_DIR/nginx2.conf" <<CONF
daemon off;
pid $LAB_DIR/nginx2.pid;
error_log $LAB_DIR/nginx2.err;
worker_processes 1;
events { worker_connections 64; }
http {
	access_log off;
	server {
		listen $VENDOR4:80; listen $VENDOR4:443 ssl; listen [$VENDOR6]:443 ssl;
		listen $SHARED4:443 ssl; listen $FRONT4:443 ssl; listen $OTHER4:443 ssl;
		ssl_certificate $LAB_DIR/cert.pem;
		ssl_certificate_key $LAB_DIR/key.pem;
		root $LAB_DIR/www;
	}
}
CONF
lab_s nginx -c "$LAB_DIR/nginx2.conf" &
LAB_PIDS+=($!)
for a in $VENDOR4 $SHARED4 $OTHER4; do
	lab_s socat TCP-LISTEN:2222,bind=$a,fork,reuseaddr SYSTEM:'echo hi' 2>/dev/null &
	LAB_PIDS+=($!)
done
for i in $(seq 50); do
	lab_c curl -sk -o /dev/null --max-time 1 "https://$OTHER4/" && break
	sleep 0.1
done

# ---- the daemon: every feature on (or, --without, every switch off) ----
conf="$LAB_DIR/embargod.conf"
sock="$LAB_DIR/embargod.sock"
if [ $without = 0 ]; then
	switches="learn-addresses ipset
learn-limit entries 1024 grace 120
ech block
strip-ech on"
else
	switches="dns-ede off
cname-cloaking off
learn-addresses off
ech allow
strip-ech off"
fi
cat >"$conf" <<EOF
queue 0
control-socket $sock
control-group root
dns-answer nxdomain
exempt $EXEMPT
$switches
vendor kaspersky {
	category update {
		*.kaspersky.com
	}
}
EOF
chmod a+r "$conf"
lab_g "$top/conf/embargo-firewall" up --backend iptables --config "$conf" ||
	{ result FAIL "firewall up" ""; finish; }
log="$LAB_DIR/embargod.log"
ctl() { "$ctl_bin" -s "$sock" "$@"; }
q() { lab_c dig +time=2 +tries=1 @$RESOLVER "$@" 2>&1; }
status_of() { grep -o 'status: [A-Z]*' <<<"$1" | cut -d' ' -f2; }
fetch() { # curl arguments: the HTTP status, or 000 and curl's exit
	local out rc
	out=$(lab_c curl -sk --max-time 3 -o /dev/null -w '%{http_code}' "$@" 2>/dev/null)
	rc=$?
	[ "$out" = 000 ] && out="000 (curl exit $rc)"
	echo "$out"
}
port2222() { lab_c timeout 3 socat -T2 - "TCP:$1:2222,connect-timeout=2" </dev/null 2>&1 | head -c 40; }
# Conditions on a command's output (passed as the argument).
nx_without_opt() { [ "$(status_of "$1")" = NXDOMAIN ] && ! grep -q 'OPT PSEUDOSECTION' <<<"$1"; }
is_nxdomain() { [ "$(status_of "$1")" = NXDOMAIN ]; }
no_status_fast() { [ -z "$(status_of "$1")" ] && [ "$2" -lt 1500 ]; }
no_cert() { ! grep -q 'BEGIN CERTIFICATE' <<<"$1"; }
not_hi() { ! grep -q '^hi' <<<"$1"; }
stripped() { grep -q 'alpn="h2"' <<<"$1" && ! grep -q ' ech=' <<<"$1"; }

# The cases of the configuration above, with the daemon running.
main_cases() {
	# ---- Extended DNS Error in forged answers ----
	out=$(q upd.kaspersky.com A)
	check "forged answer carries EDE 15 Blocked naming vendor/category" \
		"$(grep -m1 'EDE' <<<"$out")" \
		grep -q 'EDE: 15 (Blocked): (embargo: kaspersky/update)' <<<"$out"
	out=$(q +noedns upd.kaspersky.com A)
	check "control: a query without EDNS gets NXDOMAIN without OPT" "$(status_of "$out")" \
		nx_without_opt "$out"

	# ---- CNAME cloaking ----
	out=$(q cloak.lab.test A)
	check "cloaked name (CNAME to a listed one) answered as blocked (udp)" \
		"$(status_of "$out") $(grep -A2 'ANSWER SECTION' <<<"$out" | tail -1)" \
		is_nxdomain "$out"
	check "alert names both: name=upd.kaspersky.com by=cname query=cloak.lab.test" \
		"$(grep -m1 -o 'alert: action=reject proto=dns name=upd.kaspersky.com.*by=cname[^ ]* query=[^ ]*' "$log")" \
		wait_for 'alert: action=reject proto=dns name=upd.kaspersky.com client=10.231.1.2 .*by=cname query=cloak.lab.test' "$log" 2
	t0=$(lab_now_ms)
	out=$(q +tcp cloak.lab.test A)
	t1=$(lab_now_ms)
	check "cloaked name over TCP: the connection is reset" \
		"$(status_of "$out") in $((t1 - t0)) ms: $(grep -m1 -o 'reset\|communications error.*\|no servers.*' <<<"$out")" \
		no_status_fast "$out" $((t1 - t0))
	out=$(q +short alias.lab.test A)
	check "control: a chain to an unlisted name is answered (udp)" "$(tr '\n' ' ' <<<"$out")" \
		grep -q "^$OTHER4\$" <<<"$out"
	out=$(q +tcp +short alias.lab.test A)
	check "control: the same over TCP" "$(tr '\n' ' ' <<<"$out")" grep -q "^$OTHER4\$" <<<"$out"

	# ---- learned addresses: connections that carry no name ----
	# upd.kaspersky.com's addresses come in cloaked answers (blocked, and learned).
	q cloak.lab.test AAAA >/dev/null
	sleep 0.5
	out=$(lab_g ipset list embargo-learned4 2>/dev/null | grep "^$VENDOR4 ")
	check "$VENDOR4 learned into the kernel set with a timeout" "${out:-not in embargo-learned4}" \
		grep -q "^$VENDOR4 timeout [0-9]" <<<"$out"
	out=$(fetch "https://$VENDOR4/")
	check "direct-IP HTTPS without SNI to a learned address: reset" "$out" \
		grep -q '^000' <<<"$out"
	out=$(fetch -6 "https://[$VENDOR6]/")
	check "the same over IPv6" "$out" grep -q '^000' <<<"$out"
	out=$(echo | lab_c timeout 5 openssl s_client -connect $VENDOR4:443 -servername $VENDOR4 2>&1)
	check "openssl s_client with an IP-literal SNI: no handshake" \
		"$(grep -m1 -o 'Cipher is [^ ]*\|errno=[0-9]*\|Connection reset' <<<"$out")" \
		no_cert "$out"
	out=$(fetch "http://$VENDOR4/")
	check "plain HTTP with an IP-literal Host: reset" "$out" grep -q '^000' <<<"$out"
	out=$(port2222 $VENDOR4)
	check "another port (2222) to a learned address: refused" "${out:-nothing}" not_hi "$out"
	out=$(fetch --resolve www.other.test:443:$VENDOR4 "https://www.other.test/")
	check "control: an unlisted name to the learned address is judged by its name" "$out" \
		test "$out" = 200
	out=$(port2222 $OTHER4)
	check "control: another port to an address nobody learned" "$out" grep -q '^hi' <<<"$out"
	check "alert: by=address learned_from=upd.kaspersky.com" \
		"$(grep -m1 -o 'alert: action=reject proto=[a-z]* name=- .*by=address learned_from=[^ ]*' "$log")" \
		grep -q "by=address learned_from=upd.kaspersky.com" "$log"

	# ---- a shared address: alert only ----
	q cloak2.lab.test A >/dev/null      # shared.kaspersky.com -> SHARED4, learned
	q www.cdn-customer.test A >/dev/null # an unlisted name gives the same address
	sleep 1.2                            # (answers of unlisted names reach the main loop
	                                     # within its next second)
	out=$(fetch "https://$SHARED4/")
	check "shared address: HTTPS without SNI passes" "$out" test "$out" = 200
	out=$(port2222 $SHARED4)
	check "shared address: another port passes" "${out:-nothing}" grep -q '^hi' <<<"$out"
	check "shared address: alert-only line by=shared-address" \
		"$(grep -m1 -o 'alert: action=alert .*by=shared-address[^ ]* learned_from=[^ ]*' "$log")" \
		wait_for "alert: action=alert .*server=$SHARED4:.*by=shared-address learned_from=shared.kaspersky.com" "$log" 2

	# ---- ECH ----
	out=$(lab_c /usr/bin/python3 "$here/ech_client.py" $OTHER4 443 cloudflare-ech.com --ech)
	check "ECH hello to the shipped front cloudflare-ech.com: reset (ech block)" "$out" \
		test "$out" = reset
	out=$(lab_c /usr/bin/python3 "$here/ech_client.py" $OTHER4 443 www.other.test --ech)
	check "control: GREASE ECH (the real name outside) passes" "$out" grep -q '^answered' <<<"$out"
	out=$(lab_c /usr/bin/python3 "$here/ech_client.py" $OTHER4 443 cloudflare-ech.com)
	check "control: the front without ECH passes" "$out" grep -q '^answered' <<<"$out"
	# The exempt client looks svc.kaspersky.com up: its HTTPS record publishes front.lab.test.
	out=$(lab_c dig +time=2 +tries=1 -b $EXEMPT @$RESOLVER svc.kaspersky.com HTTPS)
	rec=$(grep -A1 'ANSWER SECTION' <<<"$out" | tail -1)
	check "control: the exempt client's HTTPS question for a listed name is answered" \
		"${rec:-$(status_of "$out")}" grep -q 'HTTPS.*alpn="h2"' <<<"$rec"
	sleep 0.5
	out=$(lab_c /usr/bin/python3 "$here/ech_client.py" $FRONT4 443 front.lab.test --ech)
	check "ECH hello to a front learned from a listed name's HTTPS record: reset" "$out" \
		test "$out" = reset

	# ---- strip-ech ----
	out=$(q ech.other.test HTTPS)
	rec=$(grep -A1 'ANSWER SECTION' <<<"$out" | tail -1)
	check "strip-ech: an HTTPS answer passes without its ech parameter (udp)" "$rec" stripped "$rec"
	out=$(q +tcp ech.other.test HTTPS)
	rec=$(grep -A1 'ANSWER SECTION' <<<"$out" | tail -1)
	check "strip-ech: the same over TCP" "$rec" stripped "$rec"
	out=$(q plain.other.test HTTPS)
	rec=$(grep -A1 'ANSWER SECTION' <<<"$out" | tail -1)
	check "control: an HTTPS answer without ECH is unchanged" "$rec" \
		grep -q "alpn=\"h2\" ipv4hint=$OTHER4\$" <<<"$rec"

	# ---- embargoctl addresses and audit ----
	addresses_ok() {
		grep -q "^$VENDOR4 *learned *reject *kaspersky/update .*upd.kaspersky.com" <<<"$1" &&
			grep -q "^$SHARED4 *shared *alert .*shared.kaspersky.com (www.cdn-customer.test)" <<<"$1" &&
			grep -q 'front.lab.test (kaspersky/update, from svc.kaspersky.com' <<<"$1"
	}
	audit_ok() {
		grep -q '^svc.kaspersky.com .* yes *front.lab.test' <<<"$1" &&
			grep -q '^shared.kaspersky.com .* 1 *1 no' <<<"$1"
	}
	out=$(ctl addresses)
	check "embargoctl addresses: learned and shared" \
		"$(grep -c 'learned\|shared' <<<"$out") lines" addresses_ok "$out"
	out=$(ctl audit)
	check "embargoctl audit: ECH published, shared addresses" \
		"$(grep 'svc.kaspersky.com\|shared.kaspersky.com' <<<"$out" | tr -s ' ' | tr '\n' ';')" \
		audit_ok "$out"
	out=$(ctl --json addresses | json "len(j['addresses'])" 2>&1)
	check "embargoctl --json addresses" "$out addresses" test "$out" -ge 3
}
if lab_daemon_start "$embargod" "$log" -u nobody -c "$conf"; then
	main_cases
	lab_daemon_stop
else
	# (An embargod that predates these settings refuses the configuration.)
	result FAIL "daemon start with the configuration" "$(grep -m1 -i 'error\|embargod:' "$log")"
fi
lab_g "$top/conf/embargo-firewall" down

# ---- HTTPS questions for listed names: a sinkhole answer with hints ----
if lab_daemon_start "$embargod" "$LAB_DIR/embargod2.log" -u nobody -S "$sock" \
	-b "$top/conf/blocklist.txt" --dns-answer sinkhole --sinkhole-v4 192.0.2.1 \
	--sinkhole-v6 2001:db8::1 && lab_g "$top/conf/embargo-firewall" up --backend iptables; then
	out=$(q upd.kaspersky.com HTTPS)
	rec=$(grep -A1 'ANSWER SECTION' <<<"$out" | tail -1)
	check "HTTPS question for a listed name: ServiceMode record with sinkhole hints" \
		"${rec:-no answer: $(status_of "$out")}" \
		grep -q 'HTTPS.*1 \. ipv4hint=192.0.2.1 ipv6hint=2001:db8::1' <<<"$rec"
	out=$(q +short upd.kaspersky.com A)
	check "control: the A question gets the sinkhole address" "$out" test "$out" = 192.0.2.1
	# The default rules (no learning, no strip-ech) queue the responses that can hold a
	# chain (two records or more) and leave single records in the kernel.
	n0=$(ctl --json stats | json 'j["dns_answers"]')
	out=$(q +short cloak.lab.test A)
	n1=$(ctl --json stats | json 'j["dns_answers"]')
	check "default rules: a chained response is read (cloaked: the sinkhole answer)" \
		"$out; responses read $n0 -> $n1" test "$out" = 192.0.2.1 -a "$n1" = $((n0 + 1))
	out=$(q +short www.other.test A)
	n2=$(ctl --json stats | json 'j["dns_answers"]')
	check "default rules: a response of one record stays in the kernel" \
		"$out; responses read $n1 -> $n2" test "$out" = $OTHER4 -a "$n2" = "$n1"
	lab_daemon_stop
	lab_g "$top/conf/embargo-firewall" down
else
	result FAIL "sinkhole daemon start" "$(head -c 300 "$LAB_DIR/embargod2.log")"
fi

# ---- the nft backend: the daemon writes learned addresses into the nft sets ----
if [ $without = 0 ]; then
	lab_g nft -f - <<EOF
table inet embargo {
	set learned4 { type ipv4_addr; flags timeout; size 64; }
	set learned6 { type ipv6_addr; flags timeout; size 64; }
}
EOF
	sed -i 's/^learn-addresses ipset$/learn-addresses nft/' "$conf"
	lab_g "$top/conf/embargo-firewall" up --backend iptables ||
		{ result FAIL "firewall up" ""; finish; }
	if lab_daemon_start "$embargod" "$LAB_DIR/embargod3.log" -u nobody -c "$conf"; then
		q cloak.lab.test AAAA >/dev/null
		sleep 0.5
		out=$(lab_g nft list set inet embargo learned6)
		check "nft: the learned IPv6 address in set learned6 with its timeout" \
			"$(grep -o 'elements = .*' <<<"$out")" \
			grep -q "elements = { $VENDOR6 timeout 3m" <<<"$out"
		lab_daemon_stop
	else
		result FAIL "nft daemon start" "$(head -c 300 "$LAB_DIR/embargod3.log")"
	fi
	lab_g "$top/conf/embargo-firewall" down
	lab_g nft delete table inet embargo
fi
finish
