#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The OpenWrt init script (conf/openwrt/embargo/files/embargo.init) under busybox sh, with
# stand-ins for rc.common, /lib/functions.sh and procd (tests/openwrt/shim/) that record what it
# asks procd to do. Checked: the embargod.conf written from /etc/config/embargo (against
# tests/openwrt/expected/), that the real embargod accepts it, the procd instance (command,
# respawn, jail, user, capabilities), the reload trigger, the fw4 include (what embargo-firewall
# prints, loaded with nft -f), reload by SIGHUP or by restart, refusals, stop.
#   initscript.sh EMBARGOD [SOURCE_DIR]
# Exit 77 (skip) without busybox.
set -uo pipefail

embargod=${1:?usage: initscript.sh EMBARGOD [SOURCE_DIR]}
top=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
here=$top/tests/openwrt
pkg=$top/conf/openwrt/embargo
command -v busybox >/dev/null || { echo "SKIP: busybox (OpenWrt's shell) missing"; exit 77; }

work=$(mktemp -d /tmp/embargo-openwrt.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
. "$top/tests/checks.sh"

# Stand-ins for the router's commands, each appending its arguments to a log.
bin=$work/bin
mkdir -p "$bin"
for tool in logger chown; do
	printf '#!/bin/sh\necho "$*" >>"%s/%s.log"\n' "$work" "$tool" >"$bin/$tool"
done
# nft: records; "list table" finds nothing; -f fails when $work/nft-fails exists.
cat >"$bin/nft" <<EOF
#!/bin/sh
echo "\$*" >>"$work/nft.log"
case "\$1" in
list) exit 1 ;;
-f) [ -e "$work/nft-fails" ] && { echo "Error: Could not process rule: No such file or directory" >&2; exit 1; }
	cp "\$2" "$work/nft-loaded" ;;
esac
exit 0
EOF
# uci: only the flow offloading switch is asked for.
cat >"$bin/uci" <<EOF
#!/bin/sh
case "\$*" in
*flow_offloading) [ -e "$work/offload-on" ] && echo 1 ;;
esac
exit 0
EOF
chmod +x "$bin"/*

root=$work/root
# A fresh router tree with /etc/config/embargo from UCI_FILE.
new_root() { # UCI_FILE
	rm -rf "$root" "$work"/*.log "$work/nft-loaded" "$work/state" "$work/nft-fails" "$work/offload-on"
	mkdir -p "$root/usr/sbin" "$root/etc/config" "$root/etc/embargo" "$root/etc/capabilities" \
		"$work/state"
	ln -s "$embargod" "$root/usr/sbin/embargod"
	ln -s "$top/conf/embargo-firewall" "$root/usr/sbin/embargo-firewall"
	ln -s "$top/conf/blocklist.d" "$root/etc/embargo/blocklist.d"
	cp "$pkg/files/embargod.json" "$root/etc/capabilities/"
	echo "log-rate 7" >"$root/etc/embargo/local.conf"
	sed "s|@ROOT@|$root|g" "$1" >"$root/etc/config/embargo"
}
set_uci() { # UCI_FILE
	sed "s|@ROOT@|$root|g" "$1" >"$root/etc/config/embargo"
}
init() { # ACTION
	: >"$work/procd.log"
	EMBARGO_ROOT=$root SHIM_LOG=$work/procd.log SHIM_STATE=$work/state PATH="$bin:$PATH" \
		busybox sh "$here/shim/rc.common" "$pkg/files/embargo.init" "$1" >"$work/out.log" 2>&1
}
conf=$root/var/etc/embargo/embargod.conf
include=$root/var/run/embargo/fw4.nft
same_conf() { # EXPECTED
	diff -u "$1" <(sed "s|$root|@ROOT@|g" "$conf")
}
logged() { grep -qF -- "$1" "$work/procd.log"; }
not_logged() { ! grep -qF -- "$1" "$work/procd.log"; }

# ---- the shipped /etc/config/embargo ----
new_root "$pkg/files/embargo.config"
check "start with the shipped UCI file succeeds" init start
check "embargod.conf written as expected (expected/default.conf)" same_conf "$here/expected/default.conf"
check "embargod --check-config accepts it" bash -c "'$embargod' --check-config -c '$conf' >/dev/null"
check "procd instance: embargod in the foreground with the written file, no pid file" \
	logged "procd_set_param command $root/usr/sbin/embargod -f -p - -c $conf"
check "procd: respawn, and the configuration file watched" \
	bash -c "grep -qx 'procd_set_param respawn' '$work/procd.log' && grep -qx 'procd_set_param file $conf' '$work/procd.log'"
check "procd: reload trigger on the embargo UCI package" logged "procd_add_reload_trigger embargo"
check "procd: one instance, service closed after it" \
	bash -c "[ \$(grep -c '^procd_close_instance' '$work/procd.log') = 1 ] && tail -n 1 '$work/procd.log' | grep -qx procd_close_service"
check "without ujail: no jail, started as root (embargod switches to 'user embargo')" \
	bash -c "! grep -q 'procd_add_jail\|procd_set_param user' '$work/procd.log' && grep -qx 'user embargo' '$conf'"
check "run directory handed to the embargo user" grep -qx "embargo:embargo $root/var/run/embargo" "$work/chown.log"
check "fw4 include is what embargo-firewall prints for this configuration" \
	diff -u <("$top/conf/embargo-firewall" print --backend nft --fw4 --queue 0) "$include"
check "fw4 include loaded at once with nft -f" cmp -s "$include" "$work/nft-loaded"
check "fw4 include: queue 0 with bypass, port 853 not rejected" \
	bash -c "grep -q 'queue flags bypass to 0' '$include' && ! grep -q 'dport 853 reject' '$include'"
check "package links the fw4 include into ruleset-post" \
	grep -q '(LN) /var/run/embargo/fw4.nft $(1)/usr/share/nftables.d/ruleset-post/30-embargo.nft' "$pkg/Makefile"

# ---- every switch set ----
new_root "$here/uci/full"
check "start with every switch set succeeds" init start
check "embargod.conf written as expected (expected/full.conf)" same_conf "$here/expected/full.conf"
check "embargod --check-config accepts it (local.conf included)" \
	bash -c "'$embargod' --check-config -c '$conf' | grep -q 'exempt'"
check "fw4 include: queues 2-3 without bypass (fail closed), 853 rejected" \
	bash -c "grep -qE 'queue (flags [a-z,]+ )?to 2-3$' '$include' && ! grep -q bypass '$include' &&
		grep -q 'tcp dport 853 reject with tcp reset' '$include'"
check "fw4 include is what embargo-firewall prints for it" \
	diff -u <("$top/conf/embargo-firewall" print --backend nft --fw4 --queue 2-3 --fail-closed --reject-dot) "$include"

# ---- with ujail: jailed, as the embargo user with two capabilities ----
new_root "$pkg/files/embargo.config"
mkdir -p "$root/sbin" && cp "$bin/chown" "$root/sbin/ujail"
check "start with ujail present succeeds" init start
check "jail with /dev/log (logd), configuration read-only, run directory writable" \
	bash -c "grep -qx 'procd_add_jail embargod log' '$work/procd.log' &&
		grep -qx 'procd_add_jail_mount $root/var/etc/embargo $root/etc/embargo $root/etc/passwd $root/etc/group' '$work/procd.log' &&
		grep -qx 'procd_add_jail_mount_rw $root/var/run/embargo' '$work/procd.log'"
check "user and group embargo, no_new_privs, capabilities file" \
	bash -c "grep -qx 'procd_set_param user embargo' '$work/procd.log' && grep -qx 'procd_set_param group embargo' '$work/procd.log' &&
		grep -qx 'procd_set_param no_new_privs 1' '$work/procd.log' &&
		grep -qx 'procd_set_param capabilities $root/etc/capabilities/embargod.json' '$work/procd.log'"
check "capabilities file: CAP_NET_ADMIN and CAP_NET_RAW in every set, nothing else" \
	/usr/bin/python3 -c "import json,sys; d=json.load(open('$pkg/files/embargod.json'));
sys.exit(0 if sorted(d) == ['ambient','bounding','effective','inheritable','permitted'] and
all(sorted(v) == ['CAP_NET_ADMIN','CAP_NET_RAW'] for v in d.values()) else 1)"

# ---- refusals ----
new_root "$here/uci/bad-value"
init start
check "invalid value: start fails" test $? -ne 0
check "invalid value: the daemon's message reaches syslog" \
	grep -q "configuration refused.*sometimes" "$work/logger.log"
check "invalid value: no instance, no rules" \
	bash -c "! grep -q procd_open_instance '$work/procd.log' && [ ! -e '$include' ] && [ ! -e '$work/nft.log' ]"
new_root "$here/uci/injection"
init start
check "a UCI value cannot add a statement (quoted, refused by embargod)" \
	bash -c "[ $? -ne 0 ] && grep -q 'configuration refused' '$work/logger.log' && ! grep -q procd_open_instance '$work/procd.log'"
new_root "$pkg/files/embargo.config"
: >"$work/nft-fails"
init start
check "nft refuses the rules: start fails, no include left for fw4" \
	bash -c "[ $? -ne 0 ] && [ ! -e '$include' ] && [ ! -e '$include.new' ] && grep -q 'nft refused the rules' '$work/logger.log'"
new_root "$here/uci/disabled"
check "enabled 0: start succeeds" init start
check "enabled 0: no instance" not_logged procd_open_instance
check "enabled 0: embargo's table is removed" grep -q "list table inet embargo" "$work/nft.log"
new_root "$pkg/files/embargo.config"
: >"$work/offload-on"
init start
check "flow offloading on: a warning in syslog" grep -q "flow offloading is on" "$work/logger.log"

# ---- reload: SIGHUP for settings that apply at once, restart for startup-only ones ----
new_root "$pkg/files/embargo.config"
init start
sed '/#list exempt/a\	list exempt '\''192.168.1.99'\''' "$pkg/files/embargo.config" >"$work/uci-exempt"
set_uci "$work/uci-exempt"
check "reload after an exempt change succeeds" init reload
check "exempt change: SIGHUP, no restart" \
	bash -c "grep -qxF \"procd_send_signal embargo * HUP\" '$work/procd.log' && ! grep -q procd_kill '$work/procd.log'"
check "exempt change: the new file is in place" grep -qx 'exempt 192.168.1.99' "$conf"
cp "$conf" "$work/conf-before"
set_uci "$here/uci/bad-value"
init reload
check "reload with an invalid value fails and keeps the running file" \
	bash -c "[ $? -ne 0 ] && cmp -s '$conf' '$work/conf-before' && ! grep -q procd_send_signal '$work/procd.log'"
sed "s/option queue '0'/option queue '1'/" "$pkg/files/embargo.config" >"$work/uci-queue"
set_uci "$work/uci-queue"
check "reload after a queue change succeeds" init reload
check "queue change: restart (stop, then a new instance), no SIGHUP" \
	bash -c "grep -q '^procd_kill embargo' '$work/procd.log' && grep -q procd_open_instance '$work/procd.log' && ! grep -q procd_send_signal '$work/procd.log'"
check "queue change: rules for queue 1" grep -q 'queue flags bypass to 1' "$include"

# ---- stop ----
check "stop succeeds" init stop
check "stop: include gone (fw4 skips the dangling link), table removed" \
	bash -c "[ ! -e '$include' ] && grep -q 'list table inet embargo' '$work/nft.log'"

checks_end
