#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tests of conf/embargo-firewall in a network namespace of its own: idempotent up/down, the
# operator's own rules untouched, status exit codes, option checks, and the nftables rule set
# (syntax checked as far as the kernel allows; the shipped file equals what the helper prints).
# Needs root; exits 77 (skip) otherwise.
set -uo pipefail

top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
# --config reads the file with embargod (--print-setting): the one built, when given.
[ -n "${2:-}" ] && export EMBARGOD=$2
fw="$top/conf/embargo-firewall"
. "$top/tests/checks.sh"
checks_netns embfw iptables ip6tables iptables-save nft
trap 'ip netns del "$ns" 2>/dev/null' EXIT
user_rules() { # every rule but embargo's own, with its table
	local save
	for save in iptables-save ip6tables-save; do
		in_ns $save | awk '/^\*/ { t = $0 } /^-A/ && !/EMBARGO/ { print t, $0 }'
	done
}
count_embargo() { in_ns iptables-save | grep -c '^-A.*EMBARGO'; }

# An existing firewall the helper must not disturb.
in_ns iptables -A FORWARD -s 192.0.2.0/24 -j DROP
in_ns iptables -t mangle -A OUTPUT -p tcp --dport 25 -j MARK --set-mark 7
in_ns ip6tables -A OUTPUT -d 2001:db8::/32 -j REJECT
in_ns iptables -N OPERATOR
in_ns iptables -A OPERATOR -j ACCEPT
before=$(user_rules)

check "down with nothing installed succeeds" in_ns "$fw" down
in_ns "$fw" status >/dev/null 2>&1
check "status says not installed (exit 3)" test $? -eq 3
check "up installs" in_ns "$fw" up
n1=$(count_embargo)
check "up again is idempotent ($n1 rules)" bash -c "ip netns exec $ns '$fw' up && test \$(ip netns exec $ns iptables-save | grep -c '^-A.*EMBARGO') -eq $n1"
check "jumps sit first in FORWARD and OUTPUT" bash -c \
	"ip netns exec $ns iptables -S FORWARD | sed -n 2p | grep -q 'EMBARGO\$' && ip netns exec $ns iptables -t mangle -S OUTPUT | sed -n 2p | grep -q EMBARGO_QUEUE"
check "ip6tables rules installed too" bash -c "ip netns exec $ns ip6tables -t mangle -S EMBARGO_Q | grep -q 'NFQUEUE --queue-num 0 --queue-bypass'"
check "status says installed (exit 0)" in_ns "$fw" status
check "down removes every embargo rule" bash -c "ip netns exec $ns '$fw' down && test \$(ip netns exec $ns iptables-save | grep -c EMBARGO) -eq 0"
check "the operator's rules are unchanged" test "$before" = "$(user_rules)"
check "queue range and fail-closed" bash -c \
	"ip netns exec $ns '$fw' up --queue 2-5 --fail-closed && ip netns exec $ns iptables -t mangle -S EMBARGO_Q | grep -q -- '--queue-balance 2:5\$'"
check "custom marks" bash -c \
	"ip netns exec $ns '$fw' up --marks 0x10,0x20,0x40,0x70 && ip netns exec $ns iptables -S EMBARGO | grep -q 'mark 0x40/0x70'"
cfg=$(mktemp /tmp/embargo-fw.XXXXXX)
printf '# embargod.conf\nqueue 3-4   # two workers\nfail closed; user embargo\n' >"$cfg"
check "--config takes queue and fail mode" bash -c \
	"ip netns exec $ns '$fw' up --config '$cfg' && ip netns exec $ns iptables -t mangle -S EMBARGO_Q | grep -q -- '--queue-balance 3:4\$'"
check "--queue after --config wins" bash -c \
	"ip netns exec $ns '$fw' up --config '$cfg' --queue 9 && ip netns exec $ns iptables -t mangle -S EMBARGO_Q | grep -q -- '--queue-num 9\$'"
rm -f "$cfg"
check "DNS over TLS (853) is queued" bash -c \
	"ip netns exec $ns '$fw' up && ip netns exec $ns iptables -t mangle -S EMBARGO_QUEUE | grep -q -- '--dports 53,80,443,853 .*--ctdir ORIGINAL -j EMBARGO_Q'"
check "--reject-dot rejects 853 first" bash -c \
	"ip netns exec $ns '$fw' up --reject-dot && ip netns exec $ns iptables -S EMBARGO | sed -n 2,3p | grep -c 'dport 853 -j REJECT' | grep -qx 2 && ip netns exec $ns ip6tables -S EMBARGO | grep -q 'udp --dport 853 -j REJECT'"
check "DNS responses over UDP with 2 answer records or more are queued (reply direction)" bash -c \
	"ip netns exec $ns '$fw' up && ip netns exec $ns iptables -t mangle -S EMBARGO_QUEUE | grep -q -- '--sport 53 -m conntrack --ctdir REPLY -m u32 --u32 \"0x0>>0x16&0x3c@0xc&0xffff=0x2:0xffff\" -j EMBARGO_Q'"
check "... IPv6 the same, and those behind extension headers" bash -c \
	"ip netns exec $ns ip6tables -t mangle -S EMBARGO_QUEUE | grep -q -- '-m u32 --u32 \"0x34&0xffff=0x2:0xffff\" -j EMBARGO_Q' && ip netns exec $ns ip6tables -t mangle -S EMBARGO_QUEUE | grep -q -- '-m u32 ! --u32 \"0x4>>0x8&0xff=0x11\" -j EMBARGO_Q'"
check "--strip-ech (and --learn) queue every response with a record" bash -c \
	"'$fw' print --family ipv4 --strip-ech | grep -q '@12&0xFFFF=1:65535' && '$fw' print --backend nft --learn | grep -q '@th,112,16 >= 1 jump'"
check "--no-dns-responses leaves them out" bash -c \
	"ip netns exec $ns '$fw' up --no-dns-responses && ! ip netns exec $ns iptables -t mangle -S EMBARGO_QUEUE | grep -q -- '--sport 53'"
if command -v ipset >/dev/null; then
	check "--learn: ipsets per family, new connections to them queued" bash -c \
		"ip netns exec $ns '$fw' up --learn --learn-max 64 && ip netns exec $ns ipset -t list embargo-learned4 | grep -q 'family inet .*maxelem 64' && ip netns exec $ns ipset -t list embargo-learned6 | grep -q 'family inet6' && ip netns exec $ns ip6tables -t mangle -S EMBARGO_QUEUE | grep -q -- '-p udp -m conntrack --ctstate NEW -m set --match-set embargo-learned6 dst -j EMBARGO_Q'"
	check "down removes the ipsets" bash -c \
		"ip netns exec $ns '$fw' down && ! ip netns exec $ns ipset -n list embargo-learned4 2>/dev/null"
else
	check "--learn: ipset missing (package ipset)" false
fi
cfg=$(mktemp /tmp/embargo-fw.XXXXXX)
printf 'dns-responses ignore\nlearn-addresses ipset\nlearn-limit entries 99 grace 10\n' >"$cfg"
check "--config takes dns-responses, learn-addresses and learn-limit" bash -c \
	"'$fw' print --config '$cfg' | grep -q 'maxelem 99' && ! '$fw' print --config '$cfg' | grep -q -- '--sport 53'"
check "learn-addresses ipset with --backend nft is refused (exit 2)" bash -c \
	"'$fw' print --backend nft --config '$cfg' 2>/dev/null; test \$? -eq 2"
rm -f "$cfg"
# What a line-by-line reading of the file got wrong: the queue set in an included file, a quoted
# value, and a ';' inside a string.
dir=$(mktemp -d /tmp/embargo-fw.XXXXXX)
mkdir "$dir/fw.d"
printf 'pid-file "/run/embargo;queue 7"  # not a queue statement\ninclude "fw.d/*.conf"\n' >"$dir/main.conf"
printf 'queue "5-6"; fail closed\nlearn-limit entries 77\n' >"$dir/fw.d/10-queue.conf"
check "--config: queue and fail from an included file, quoted (embargod reads it)" bash -c \
	"'$fw' print --family ipv4 --config '$dir/main.conf' >'$dir/out' && grep -q -- '--queue-balance 5:6\$' '$dir/out' && ! grep -q -- '--queue-bypass' '$dir/out' && ! grep -q 'queue-num 7' '$dir/out'"
check "--config: learn-limit from the included file" bash -c \
	"'$fw' print --config '$dir/main.conf' --learn | grep -q 'maxelem 77'"
printf 'queue 70000\n' >"$dir/bad.conf"
check "--config: a file embargod refuses is an error (exit 2)" bash -c \
	"'$fw' print --config '$dir/bad.conf' 2>'$dir/err'; test \$? -eq 2 && grep -q 'bad.conf:1:7: invalid queue range' '$dir/err'"
check "--config without embargod: a clear error (exit 2), no defaults" bash -c \
	"EMBARGOD=/nonexistent '$fw' print --config '$dir/main.conf' 2>'$dir/err'; test \$? -eq 2 && grep -q 'needs embargod' '$dir/err'"
rm -rf "$dir"
in_ns "$fw" down
check "bad queue range is refused (exit 2)" bash -c "'$fw' up --queue 5-2 2>/dev/null; test \$? -eq 2"
check "unknown option is refused (exit 2)" bash -c "'$fw' up --bogus 2>/dev/null; test \$? -eq 2"

# nftables: the shipped file is what the helper prints with the defaults.
check "conf/embargo.nft matches embargo-firewall print" bash -c \
	"diff <(grep -v '^# Generated\\|^# bypass\\|^# .embargo-firewall up' '$top/conf/embargo.nft') <('$fw' print --backend nft) >/dev/null"
# This kernel may lack the nft queue expression: check everything else by loading the rule set
# with the queue statements replaced; where the kernel has it, load it as it is.
if in_ns "$fw" up --backend nft 2>/dev/null; then
	check "nft rule set loads with queue statements" in_ns nft list table inet embargo
else
	check "nft rule set loads (queue statements replaced: kernel lacks nft queue)" bash -c \
		"'$fw' print --backend nft | sed -E 's/queue flags [a-z,]+ to [0-9-]+/accept/' | ip netns exec $ns nft -f -"
fi
check "nft --reject-dot rule set loads (queue statements replaced)" bash -c \
	"'$fw' print --backend nft --reject-dot | grep -q 'tcp dport 853 reject with tcp reset' && '$fw' print --backend nft --reject-dot | sed -E 's/queue flags [a-z,]+ to [0-9-]+/accept/' | ip netns exec $ns nft -f -"
check "nft --learn rule set loads: sets with timeouts, elements the daemon adds" bash -c \
	"'$fw' print --backend nft --learn | sed -E 's/queue flags [a-z,]+ to [0-9-]+/accept/' | ip netns exec $ns nft -f - && ip netns exec $ns nft add element inet embargo learned4 '{ 192.0.2.7 timeout 60s }' && ip netns exec $ns nft list set inet embargo learned4 | grep -q '192.0.2.7 timeout'"
check "nft down removes the table" bash -c "ip netns exec $ns '$fw' down --backend nft && ! ip netns exec $ns nft list table inet embargo 2>/dev/null"
check "nft down again succeeds" in_ns "$fw" down --backend nft

checks_end
