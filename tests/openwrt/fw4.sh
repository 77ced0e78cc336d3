#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fw4 include (embargo-firewall print --backend nft --fw4, which the OpenWrt init script
# writes to /var/run/embargo/fw4.nft) in a network namespace of its own: loaded alone, as the
# init script does, then inside a rule set laid out as fw4 renders it (its own table flushed and
# declared again, ruleset-post includes after it), twice, as fw4 start and fw4 reload do. The
# table must come out whole and once, next to fw4's. Where the kernel lacks the nft queue
# statement, the queue statements are replaced by accept (as tests/integration/firewall.sh does).
#   fw4.sh [SOURCE_DIR]      needs root; exits 77 (skip) otherwise
set -uo pipefail

top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
fw="$top/conf/embargo-firewall"
. "$top/tests/checks.sh"
checks_netns embfw4 nft
work=$(mktemp -d /tmp/embargo-fw4.XXXXXX)
trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$work"' EXIT

# Does this kernel have the queue statement? Then the rules load as printed.
if printf 'table inet probe { chain c { type filter hook forward priority 0; queue flags bypass to 0; } }\n' |
	in_ns nft -f - 2>/dev/null; then
	in_ns nft delete table inet probe
	unqueue() { cat; }
	how="as printed"
else
	unqueue() { sed -E 's/queue (flags [a-z,]+ )?to [0-9-]+/accept/'; }
	how="queue statements replaced: kernel lacks nft queue"
fi

# What fw4 feeds to nft -f: its table flushed and declared again, then the ruleset-post includes.
fw4_ruleset() { # INCLUDE
	cat <<EOF
table inet fw4
flush table inet fw4

table inet fw4 {
	chain input {
		type filter hook input priority filter; policy accept;
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
	}
	chain mangle_forward {
		type filter hook forward priority mangle; policy accept;
	}
}

include "$1"
EOF
}
rules() { in_ns nft -a list table inet "$1" | grep -c '# handle' || true; }

for variant in "default" "--queue 2-3 --fail-closed --reject-dot" "--queue 5 --fail-closed"; do
	opts=${variant#default}
	inc=$work/fw4.nft
	# shellcheck disable=SC2086
	"$fw" print --backend nft --fw4 $opts | unqueue >"$inc"
	label="fw4 include ($variant; $how)"
	check "$label: loads alone with nft -f" in_ns nft -f "$inc"
	n1=$(rules embargo)
	check "$label: table inet embargo has its rules ($n1)" test "$n1" -gt 10
	fw4_ruleset "$inc" >"$work/ruleset.nft"
	check "$label: fw4 start with the include loads" in_ns nft -f "$work/ruleset.nft"
	check "$label: fw4 reload with the include loads" in_ns nft -f "$work/ruleset.nft"
	check "$label: embargo's rules are there once after both ($n1)" test "$(rules embargo)" = "$n1"
	check "$label: fw4's own table is there too" \
		bash -c "ip netns exec $ns nft list chain inet fw4 forward | grep -q 'policy drop'"
	check "$label: hooks: forward and output at mangle, enforcement at filter - 10" \
		bash -c "t=\$(ip netns exec $ns nft list table inet embargo) && grep -q 'hook forward priority mangle' <<<\"\$t\" &&
			grep -q 'hook output priority mangle' <<<\"\$t\" && grep -q 'hook forward priority filter - 10' <<<\"\$t\""
	check "$label: embargo-firewall down removes it, fw4's table stays" \
		bash -c "ip netns exec $ns '$fw' down --backend nft && ! ip netns exec $ns nft list table inet embargo >/dev/null 2>&1 && ip netns exec $ns nft list table inet fw4 >/dev/null"
	in_ns nft delete table inet fw4
done

checks_end
