#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The operator's side, end to end: the real embargod started from an embargod.conf with a
# vendor file in blocklist.d/, on the gateway of the lab (tests/integration/lab.sh), its syslog
# going to a real syslog receiver (a unix datagram socket at /dev/log in a private mount
# namespace, tests/integration/with_syslog.sh); alert lines and their aggregation read back,
# every embargoctl command against the running daemon, good and bad reloads, client scope and
# the DoH canary. One line per case, then "N passed, N failed". Needs root (skip: 77).
#
#   operator.sh EMBARGOD EMBARGOCTL [SOURCE_ROOT]
set -uo pipefail

embargod=${1:?usage: operator.sh EMBARGOD EMBARGOCTL [SOURCE_ROOT]}
ctl_bin=${2:?usage: operator.sh EMBARGOD EMBARGOCTL [SOURCE_ROOT]}
top=${3:-$(cd "$(dirname "$0")/../.." && pwd)}
here="$top/tests/integration"
# shellcheck source=lab.sh
. "$here/lab.sh"

if ! why=$(lab_preflight); then
	echo "SKIP: $why"
	exit 77
fi
for t in unshare setpriv; do
	command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done

# ---- check-config on the shipped configuration and on bad files (no lab needed) ----
out=$("$embargod" --check-config -c "$top/conf/embargod.conf" 2>&1)
rc=$?
vendors=$(grep -c '^vendor ' <<<"$out")
if [ $rc -eq 0 ] && grep -q '^vendor kaspersky ' <<<"$out" && grep -q 'doh .* off$' <<<"$out"; then
	result ok "check-config shipped lists" "exit 0, $vendors vendors, $(sed -n 2p <<<"$out" | cut -d';' -f2)"
else
	result FAIL "check-config shipped lists" "exit $rc: $(head -c 300 <<<"$out")"
fi
tmp=$(mktemp -d /tmp/embargo-op.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"; lab_down' EXIT
printf 'vendor v {\n  category update {\n    good.example.com\n    bad_\xff.example.com\n  }\n}\n' >"$tmp/bad.conf"
out=$("$embargod" --check-config -c "$tmp/bad.conf" 2>&1)
rc=$?
want="embargod: $tmp/bad.conf:4:9: invalid name \"bad_\\xff.example.com\": '\\xff' is not allowed in a name"
if [ $rc -eq 3 ] && [ "$out" = "$want" ]; then
	result ok "check-config bad name" "exit 3, file:line:column message"
else
	result FAIL "check-config bad name" "exit $rc: $out"
fi

# ---- --print-setting: values in force, from an included file and the command line ----
mkdir "$tmp/conf.d"
printf 'include "conf.d/*.conf"\nlog-rate 7\n' >"$tmp/print.conf"
printf 'queue "3-4"; flow-limit flows 99999\n' >"$tmp/conf.d/q.conf"
out=$("$embargod" -c "$tmp/print.conf" --print-setting queue --print-setting "flow-limit flows" \
	--print-setting log-rate --print-setting fail --print-setting learn-limit --nameless alert \
	--print-setting nameless 2>&1)
rc=$?
want=$'3-4\n99999\n7\nopen\nentries 16384 grace 300\nalert'
if [ $rc -eq 0 ] && [ "$out" = "$want" ]; then
	result ok "print-setting" "the file's, the included file's, the option's and the defaults"
else
	result FAIL "print-setting" "exit $rc: $out"
fi
"$embargod" -c "$tmp/print.conf" --print-setting nosuch >/dev/null 2>&1
rc1=$?
"$embargod" -c "$tmp/bad.conf" --print-setting queue >/dev/null 2>&1
rc2=$?
check "print-setting: unknown name exit 2, bad configuration exit 3" "exit $rc1, $rc2" \
	test "$rc1" -eq 2 -a "$rc2" -eq 3

# ---- the lab, the syslog receiver and the daemon ----
lab_up 0 || { echo "FAIL lab setup"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }
trap 'rm -rf "$tmp"; lab_down' EXIT
conf="$LAB_DIR/etc"
mkdir -p "$conf/blocklist.d"
sock="$LAB_DIR/embargod.sock"
cat >"$conf/embargod.conf" <<EOF
# test configuration
queue 0
control-socket $sock
control-group root
log-window 3        # seconds
log-rate 100
log-facility local3  # priorities below: local3 (19) * 8 + severity
dns-answer refused  # the canary must still read NXDOMAIN
exempt 10.231.1.3 fd00:e3b:1::3
include blocklist.d/*.conf
category doh off
EOF
cat >"$conf/blocklist.d/testvendor.conf" <<'EOF'
vendor testvendor {
	name "Test Vendor Ltd"
	reason "listed for the test"
	category update {
		*.kaspersky.com
	}
	category telemetry {
		action alert
		telemetry.example.org
	}
	allow ok.kaspersky.com
}
EOF
cat >"$conf/blocklist.d/doh.conf" <<'EOF'
vendor doh { category doh { dns.example.net } }
EOF
chmod -R a+rX "$conf"
lab_s openssl s_server -quiet -accept 853 -cert "$LAB_DIR/cert.pem" -key "$LAB_DIR/key.pem" \
	</dev/null >/dev/null 2>&1 &
LAB_PIDS+=($!)
ip -n "$LAB_C" addr add 10.231.1.3/24 dev "ec$LAB_ID"
ip -n "$LAB_C" addr add fd00:e3b:1::3/64 dev "ec$LAB_ID" nodad

lab_syslog_start || { result FAIL "syslog receiver" ""; finish; }
syslog=$LAB_SYSLOG
lab_g "$top/conf/embargo-firewall" up --backend iptables --queue 0 ||
	{ result FAIL "firewall up" ""; finish; }
"$here/with_syslog.sh" "$LAB_DIR/log.sock" ip netns exec "$LAB_G" \
	"$embargod" -f -p - -u nobody -c "$conf/embargod.conf" 2>"$LAB_DIR/stderr" &
LAB_DAEMON_PID=$!
LAB_PIDS+=($LAB_DAEMON_PID)
for i in $(seq 100); do
	grep -q "startup: embargod" "$syslog" && break
	sleep 0.05
done
line=$(grep -m1 'startup: embargod' "$syslog")
if [[ $line == "<158>"*"generation 1: "*"rules"*"vendor(s)"*"control-socket $sock,"*"log-facility local3,"* ]]; then
	result ok "syslog start line" "local3.info: ${line#*startup: }"
else
	result FAIL "syslog start line" "'$line' $(head -c 300 "$LAB_DIR/stderr")"
	finish
fi
ctl() { "$ctl_bin" -s "$sock" "$@"; }

# ---- alerts ----
q() { lab_c dig +time=2 +tries=1 "$@" 2>&1; }
out=$(q @$LAB_S4 upd.kaspersky.com A)
check "dns blocked (refused per config)" "$(grep -o 'status: [A-Z]*' <<<"$out")" \
	grep -q 'status: REFUSED' <<<"$out"
wait_for 'alert: action=reject proto=dns name=upd.kaspersky.com' "$syslog" 2
line=$(grep -m1 'alert: action=reject proto=dns name=upd.kaspersky.com' "$syslog")
fields_ok=1
for f in "client=$LAB_C4" "vendor=testvendor" "category=update" "server=$LAB_S4:53" \
	"rule=$conf/blocklist.d/testvendor.conf:5"; do
	[[ $line == *" $f"* ]] || { fields_ok=0; echo "     missing $f"; }
done
if [ $fields_ok = 1 ] && [[ $line == "<156>"* ]]; then
	result ok "alert line fields" "local3.warning: ${line#*alert: }"
else
	result FAIL "alert line fields" "'$line'"
fi
for i in 1 2 3 4 5; do q @$LAB_S4 upd.kaspersky.com A >/dev/null; done
if wait_for 'alert-repeat: .*name=upd.kaspersky.com' "$syslog" 6; then
	line=$(grep -m1 'alert-repeat: .*name=upd.kaspersky.com' "$syslog")
	if [[ $line == *"repeats=5 window=3s (5 more attempts in the last 3 s)"* ]] &&
		[[ $line == *"client=$LAB_C4"* ]]; then
		result ok "repeats summarised" "${line#*alert-repeat: }"
	else
		result FAIL "repeats summarised" "$line"
	fi
else
	result FAIL "repeats summarised" "no alert-repeat line"
fi
# Counted once the summary is out: every attempt has been handled by then.
n=$(grep -c 'alert: action=reject proto=dns name=upd.kaspersky.com' "$syslog")
check "repeats not logged again" "$n full line(s) after 6 attempts" [ "$n" -eq 1 ]
out=$(q +short @$LAB_S4 telemetry.example.org A)
wait_for 'alert: action=alert proto=dns name=telemetry.example.org' "$syslog" 2
line=$(grep -m1 'alert: action=alert proto=dns name=telemetry.example.org' "$syslog")
if [ "$out" = "$LAB_S4" ] && [[ $line == "<157>"*"category=telemetry"* ]]; then
	result ok "alert-only passes and is logged" "answer $out; local3.notice line"
else
	result FAIL "alert-only passes and is logged" "answer '$out', line '$line'"
fi
out=$(lab_c curl -sk --max-time 3 -o /dev/null -w '%{http_code}' \
	--resolve "dnl-1.kaspersky.com:443:$LAB_S4" https://dnl-1.kaspersky.com/ 2>&1)
wait_for 'alert: action=reject proto=tls name=dnl-1.kaspersky.com' "$syslog" 2
check "tls blocked and logged" "curl: $out" \
	grep -q "alert: action=reject proto=tls name=dnl-1.kaspersky.com client=$LAB_C4 .*server=$LAB_S4:443" "$syslog"
out=$(q +short @$LAB_S4 ok.kaspersky.com A)
check "exception passes" "ok.kaspersky.com -> $out" [ "$out" = "$LAB_S4" ]

# ---- scope and canary ----
out=$(q +short -b 10.231.1.3 @$LAB_S4 upd.kaspersky.com A)
check "exempt client ipv4" "10.231.1.3 gets $out" [ "$out" = "$LAB_S4" ]
out=$(q +short -b fd00:e3b:1::3 @$LAB_S6 upd.kaspersky.com AAAA)
check "exempt client ipv6" "fd00:e3b:1::3 gets $out" [ "$out" = "$LAB_S6" ]
out=$(q @$LAB_S4 use-application-dns.net A)
check "doh canary nxdomain" "$(grep -o 'status: [A-Z]*' <<<"$out") while blocks answer REFUSED" \
	grep -q 'status: NXDOMAIN' <<<"$out"
out=$(q +short @$LAB_S4 dns.example.net A)
check "category off passes" "dns.example.net (doh, off) -> $out" [ "$out" = "$LAB_S4" ]

dot() { # SNI: a DNS-over-TLS handshake to the server's port 853
	echo | lab_c timeout 5 openssl s_client -connect "$LAB_S4:853" -servername "$1" 2>&1
}
out=$(dot dns.example.net)
check "DoT passes while doh is off" "$(grep -c 'BEGIN CERTIFICATE' <<<"$out") certificate(s)" \
	grep -q 'BEGIN CERTIFICATE' <<<"$out"

# ---- embargoctl ----
mode=$(stat -c '%a %U' "$sock")
check "control socket root/group only" "mode $mode" [ "${mode%% *}" = 660 ]
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$ctl_bin" -s "$sock" status 2>&1)
rc=$?
check "embargoctl refused to others" "exit $rc: $out" [ $rc -eq 3 ]
out=$(ctl status)
check "embargoctl status" "$(sed -n 2p <<<"$out" | tr -s ' ')" \
	grep -q "generation 1" <<<"$out"
gen=$(ctl --json status | json 'j["generation"], j["config"].endswith("embargod.conf")')
check "embargoctl status --json" "generation, config: $gen" [ "$gen" = "1 True" ]
sj=$(ctl --json stats)
v=$(json 'j["received"], j["verdicts"], j["blocked"], j["alerted"], j["by_proto"]["dns"]' <<<"$sj")
read -r rcv vrd blk alr dns <<<"$(tr -d ',()' <<<"$v")"
if [ "$rcv" = "$vrd" ] && [ "$blk" -ge 7 ] && [ "$alr" -ge 1 ] && [ "$dns" -ge 10 ]; then
	result ok "embargoctl stats --json" "received=$rcv verdicts=$vrd blocked=$blk alerted=$alr dns=$dns"
else
	result FAIL "embargoctl stats --json" "$v"
fi
out=$(ctl stats)
check "embargoctl stats" "$(grep -E '^(received|blocked) ' <<<"$out" | tr -s ' ' | paste -sd, -)" \
	grep -qx "received  *$rcv" <<<"$out"
out=$(ctl test DNL-7.Kaspersky.com)
check "embargoctl test blocked name" "$(head -1 <<<"$out"); $(grep rule: <<<"$out" | tr -s ' ')" \
	grep -q "rule: *$conf/blocklist.d/testvendor.conf:5" <<<"$out"
out=$(ctl --json test ok.kaspersky.com | json 'j["verdict"], j["why"], j["rule"]["line"]')
check "embargoctl test exception" "$out" [ "$out" = "pass exception 11" ]
out=$(ctl test notkaspersky.com)
check "embargoctl test unlisted" "$out" grep -q "pass (no rule applies)" <<<"$out"
out=$(ctl --json test telemetry.example.org | json 'j["actions"]["tls"], j["rule"]["category"]')
check "embargoctl test alert-only" "$out" [ "$out" = "alert telemetry" ]
out=$(ctl test 'bad name' 2>&1)
rc=$?
check "embargoctl test invalid name" "exit $rc" [ $rc -eq 2 ]
out=$(ctl --json clients | json '[(c["client"], c["attempts"], c["blocked"], c["last_name"]) for c in j]')
check "embargoctl clients --json" "$out" grep -q "('$LAB_C4', [0-9]*, [0-9]*, '" <<<"$out"
att=$(ctl --json clients | json "[c['attempts'] for c in j if c['client']=='$LAB_C4'][0]")
check "clients counts every attempt" "$LAB_C4: $att attempts (>= 8 made)" [ "$att" -ge 8 ]
out=$(ctl clients)
check "embargoctl clients" "$(sed -n 2p <<<"$out" | tr -s ' ' | cut -c1-90)" \
	grep -q "^$LAB_C4 " <<<"$out"

# ---- reload: good, then bad ----
cat >>"$conf/blocklist.d/testvendor.conf" <<'EOF'
vendor second {
	category update { blocked2.example.net }
}
EOF
sed -i 's/^category doh off/category doh on/' "$conf/embargod.conf"
out=$(ctl reload)
rc=$?
check "embargoctl reload good" "exit $rc: $out" [ $rc -eq 0 ]
out=$(dot dns.example.net)
wait_for "alert: action=reject proto=tls name=dns.example.net .*server=$LAB_S4:853" "$syslog" 2
if ! grep -q 'BEGIN CERTIFICATE' <<<"$out" &&
	grep -q "alert: action=reject proto=tls name=dns.example.net .*category=doh server=$LAB_S4:853" "$syslog"; then
	result ok "DoT to a doh name rejected once on" "no handshake; alert with server=$LAB_S4:853"
else
	result FAIL "DoT to a doh name rejected once on" "$(grep -m1 -i 'cipher\|errno' <<<"$out")"
fi
wait_for 'reload: .*second/update added' "$syslog" 2
line=$(grep -m1 'reload: .*change' "$syslog")
check "reload diff logged" "${line#*reload: }" \
	grep -q 'doh/doh 1 (off) -> 1; second/update added (1 entries)' <<<"$line"
out=$(q @$LAB_S4 blocked2.example.net A)
check "new rule in force" "$(grep -o 'status: [A-Z]*' <<<"$out")" grep -q 'status: REFUSED' <<<"$out"
cp "$conf/blocklist.d/testvendor.conf" "$LAB_DIR/good.conf"
printf 'vendor third {\n\tcategory update { x.example.net }\n\tbogus-keyword 1\n}\n' \
	>"$conf/blocklist.d/zz-broken.conf"
out=$(ctl reload 2>&1)
rc=$?
want="embargoctl: error: $conf/blocklist.d/zz-broken.conf:3:2: unknown keyword \"bogus-keyword\" in a vendor block (a name needs at least one dot)"
check "embargoctl reload bad refused" "exit $rc: ${out#embargoctl: error: $conf/}" [ $rc -eq 1 -a "$out" = "$want" ]
kill -HUP "$LAB_DAEMON_PID"
wait_for 'reload: refused, generation 2 stays' "$syslog" 3
line=$(grep 'reload: refused' "$syslog" | tail -1)
check "SIGHUP with bad file logged" "local3.err: ${line#*reload: }" \
	grep -q '^<155>.*zz-broken.conf:3:2: unknown keyword' <<<"$line"
out=$(q @$LAB_S4 blocked2.example.net A)
check "old config kept" "$(grep -o 'status: [A-Z]*' <<<"$out")" grep -q 'status: REFUSED' <<<"$out"
out=$(ctl --json status | json 'j["generation"], j["reload_failures"]')
check "status after bad reload" "generation, failures: $out" [ "$out" = "2 2" ]
rm -f "$conf/blocklist.d/zz-broken.conf"

# ---- rate cap (set by a reload) ----
sed -i 's/^log-rate 100/log-rate 2/; s/^log-window 3 .*/log-window 0/; s/^dns-answer refused.*/dns-answer nxdomain/' \
	"$conf/embargod.conf"
ctl reload >/dev/null
wait_for 'reload: dns-answer changed in the file' "$syslog" 2
out=$(q @$LAB_S4 upd.kaspersky.com A | grep -o 'status: [A-Z]*')
check "restart-only setting said, kept" "$out; $(grep -m1 -o 'dns-answer changed.*' "$syslog")" \
	[ "$out" = "status: REFUSED" ]
before=$(grep -c 'alert: ' "$syslog")
pids=()
for i in $(seq 20); do
	q @$LAB_S4 "n$i.kaspersky.com" A >/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
wait_for 'alert-ratelimit: suppressed=' "$syslog" 3
after=$(grep -c 'alert: ' "$syslog")
line=$(grep -m1 'alert-ratelimit:' "$syslog")
sup=$(grep -o 'suppressed=[0-9]*' <<<"$line" | cut -d= -f2)
logged=$((after - before))
if [ -n "$sup" ] && [ $((logged + sup)) -eq 20 ] && [ "$logged" -le 6 ]; then
	result ok "global rate cap" "20 attempts: $logged lines, then '${line#*alert-ratelimit: }'"
else
	result FAIL "global rate cap" "logged $logged, line '$line'"
fi

# ---- stop ----
kill -TERM "$LAB_DAEMON_PID"
wait "$LAB_DAEMON_PID"
rc=$?
wait_for 'shutdown: totals' "$syslog" 2
line=$(grep -m1 'shutdown: totals' "$syslog")
r=$(grep -o ' received=[0-9]*' <<<"$line" | cut -d= -f2)
v=$(grep -o ' verdicts=[0-9]*' <<<"$line" | cut -d= -f2)
if [ $rc -eq 0 ] && [ -n "$r" ] && [ "$r" = "$v" ] && [[ $line == *"reloads=2 reloads_refused=2"* ]]; then
	result ok "stop totals logged" "exit 0, received=$r verdicts=$v, reloads=2 reloads_refused=2"
else
	result FAIL "stop totals logged" "exit $rc: $line"
fi
lab_g "$top/conf/embargo-firewall" down --backend iptables >/dev/null 2>&1

# ---- started the way the systemd unit starts it: as the unprivileged user itself, with
# CAP_NET_ADMIN and CAP_NET_RAW as ambient capabilities, the same user named in the file ----
run="$LAB_DIR/run"
mkdir -p "$run"
chown nobody "$run"
sed "s|^control-socket .*|control-socket $run/embargod.sock|; s|^queue 0|queue 7|" \
	"$conf/embargod.conf" >"$conf/unit.conf"
printf 'user nobody\ncontrol-group nogroup\n' >>"$conf/unit.conf"
chmod a+r "$conf/unit.conf"
ip netns exec "$LAB_G" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=+net_admin,+net_raw --ambient-caps=+net_admin,+net_raw \
	"$embargod" -f -p - -c "$conf/unit.conf" 2>"$LAB_DIR/unit.err" &
upid=$!
for i in $(seq 100); do [ -S "$run/embargod.sock" ] && break; sleep 0.05; done
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$ctl_bin" -s "$run/embargod.sock" --json status |
	json 'j["queues"], j["generation"]')
caps=$(awk '/^CapEff/ {print $2}' "/proc/$upid/status" 2>/dev/null)
kill -TERM $upid 2>/dev/null
wait $upid
rc=$?
if [ "$out" = "[7, 7] 1" ] && [ "$caps" = 0000000000003000 ] && [ $rc -eq 0 ]; then
	result ok "started as the unit does" "user nobody, CapEff $caps, its own embargoctl works"
else
	result FAIL "started as the unit does" "status '$out', CapEff '$caps', exit $rc: $(head -c 300 "$LAB_DIR/unit.err")"
fi

# ---- trouble is reported: without CAP_NET_RAW no forged DNS answer can be sent ----
lab_g "$top/conf/embargo-firewall" up --backend iptables --queue 0 >/dev/null
"$here/with_syslog.sh" "$LAB_DIR/log.sock" ip netns exec "$LAB_G" setpriv --reuid=nobody \
	--regid=nogroup --clear-groups --inh-caps=+net_admin --ambient-caps=+net_admin \
	"$embargod" -f -p - -S - -c "$conf/embargod.conf" 2>"$LAB_DIR/noraw.err" &
npid=$!
for i in $(seq 100); do
	[ "$(grep -c 'startup: embargod' "$syslog")" -ge 2 ] && break
	sleep 0.05
done
out=$(lab_c dig +time=1 +tries=1 @$LAB_S4 upd.kaspersky.com A 2>&1 | grep -o 'status: [A-Z]*\|timed out')
wait_for 'trouble: queue 0: .*dns_answers_not_sent=1 ' "$syslog" 2
line=$(grep -m1 'trouble: queue 0' "$syslog")
kill -TERM $npid 2>/dev/null
wait $npid
if [[ $line == "<155>"*"dns_answers_not_sent=1 "* ]] && [ "$out" = "timed out" ] &&
	grep -q 'no raw socket' "$syslog"; then
	result ok "failures reported at err" "query dropped unanswered ($out); ${line#*trouble: }"
else
	result FAIL "failures reported at err" "dig '$out', line '$line'"
fi
lab_g "$top/conf/embargo-firewall" down --backend iptables >/dev/null 2>&1
finish
