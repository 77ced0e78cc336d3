#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build embargo and run embargod, with the shipped configuration (conf/embargod.conf and the
# vendor files in conf/blocklist.d/) and firewall rules, on the gateway
# of a throwaway lab of network namespaces (client -- gateway -- server; tests/integration/
# lab.sh). Shows what a client sees for blocked and allowed names over DNS, HTTPS and HTTP,
# asks the running daemon through embargoctl, prints the daemon's log (alerts included), and
# removes the lab. Debian 12, as root.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "quickstart: run as root (it installs packages and creates network namespaces)" >&2
	exit 1
fi
"$top/tests/install-deps.sh"
if [ ! -f "$top/build/build.ninja" ]; then
	meson setup "$top/build" >/dev/null
fi
ninja -C "$top/build" >/dev/null
embargod="$top/build/daemon/embargod"
export EMBARGOD=$embargod # embargo-firewall --config reads the file with it
embargoctl="$top/build/daemon/embargoctl"
echo "built: $("$embargod" --version)"

# shellcheck source=integration/lab.sh
. "$top/tests/integration/lab.sh"
set +e # the lab's helpers report failures through their exit status
lab_up 0 || exit 1
conf="$top/conf/embargod.conf"
sock="$LAB_DIR/embargod.sock"
lab_g "$top/conf/embargo-firewall" up --backend iptables --config "$conf" || exit 1
echo "embargod --check-config -c $conf:"
"$embargod" --check-config -c "$conf" | sed -n '2p;/^vendor /p' | sed 's/^/  /'
lab_daemon_start "$embargod" "$LAB_DIR/embargod.log" -u nobody -S "$sock" -c "$conf" ||
	{ cat "$LAB_DIR/embargod.log"; exit 1; }

show() { # label, command...
	local label=$1 out
	shift
	out=$("$@" 2>&1 | tail -n 1)
	printf '  %-42s %s\n' "$label" "${out:-(no answer)}"
}
echo
echo "From the client ($LAB_C4), through the gateway running embargod -c $conf:"
for name in dnl-01.geo.kaspersky.com ksn.kaspersky-labs.com update.hicloud.com notkaspersky.com; do
	show "dig $name" bash -c "ip netns exec $LAB_C dig +time=2 +tries=1 @$LAB_S4 $name | grep -o 'status: [A-Z]*'"
	show "curl https://$name/" ip netns exec "$LAB_C" curl -sk --max-time 3 -o /dev/null \
		-w 'HTTP %{http_code} in %{time_total}s' --resolve "$name:443:$LAB_S4" "https://$name/"
	show "curl http://$name/" ip netns exec "$LAB_C" curl -s --max-time 3 -o /dev/null \
		-w 'HTTP %{http_code} in %{time_total}s' --resolve "$name:80:$LAB_S4" "http://$name/"
done
echo
echo "embargoctl test dnl-01.geo.kaspersky.com:"
"$embargoctl" -s "$sock" test dnl-01.geo.kaspersky.com | sed 's/^/  /'
echo "embargoctl clients:"
"$embargoctl" -s "$sock" clients | sed 's/^/  /'
lab_daemon_stop
echo
echo "The daemon's log (syslog lines, copied to stderr in the foreground):"
sed 's/^/  /' "$LAB_DIR/embargod.log"
lab_g "$top/conf/embargo-firewall" down
echo
echo "HTTP 000 = the connection was reset by the gateway. Tests: $top/tests/run-all.sh"
