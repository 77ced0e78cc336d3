#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build embargo and run embargod, with the shipped blocklist and firewall rules, on the gateway
# of a throwaway lab of network namespaces (client -- gateway -- server). Shows what a client
# sees for blocked and allowed names over DNS, HTTPS and HTTP, prints the daemon's alert lines
# and totals, and removes the lab. Debian 12, as root.
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
echo "built $("$embargod" --version)"

id=$$
C=embq-c-$id G=embq-g-$id S=embq-s-$id
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for n in $C $G $S; do ip netns del "$n" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

# Lab: client 10.231.1.2 -- 10.231.1.1 gateway 10.231.2.1 -- 10.231.2.2 server.
for n in $C $G $S; do
	ip netns add "$n"
	ip -n "$n" link set lo up
done
ip link add qc$id type veth peer name qgc$id
ip link set qc$id netns $C
ip link set qgc$id netns $G
ip link add qs$id type veth peer name qgs$id
ip link set qs$id netns $S
ip link set qgs$id netns $G
ip -n $C addr add 10.231.1.2/24 dev qc$id
ip -n $G addr add 10.231.1.1/24 dev qgc$id
ip -n $G addr add 10.231.2.1/24 dev qgs$id
ip -n $S addr add 10.231.2.2/24 dev qs$id
ip -n $C link set qc$id up
ip -n $G link set qgc$id up
ip -n $G link set qgs$id up
ip -n $S link set qs$id up
ip -n $C route add default via 10.231.1.1
ip -n $S route add default via 10.231.2.1
ip netns exec $G sysctl -qw net.ipv4.ip_forward=1

# Server: a DNS server that knows every name, and a web server with a self-signed certificate.
ip netns exec $S dnsmasq --no-resolv --no-hosts --bind-interfaces --listen-address=10.231.2.2 \
	--address=/#/10.231.2.2 --pid-file="$work/dnsmasq.pid" --log-facility=/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-days 1 -subj /CN=lab 2>/dev/null
mkdir -p "$work/www"
echo "hello from the lab server" >"$work/www/index.html"
cat >"$work/nginx.conf" <<CONF
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 64; }
http {
	access_log off;
	server {
		listen 10.231.2.2:80;
		listen 10.231.2.2:443 ssl;
		ssl_certificate $work/cert.pem;
		ssl_certificate_key $work/key.pem;
		root $work/www;
	}
}
CONF
ip netns exec $S nginx -c "$work/nginx.conf" &
pids+=($!)

# Gateway: firewall rules, then the daemon with the shipped blocklist.
ip netns exec $G "$top/conf/embargo-firewall" up --backend iptables --queue 0
ip netns exec $G "$embargod" -f -p - -b "$top/conf/blocklist.txt" 2>"$work/embargod.log" &
pids+=($!)
daemon_pid=$!
for _ in $(seq 50); do
	grep -q "startup" "$work/embargod.log" && break
	sleep 0.1
done
sleep 0.5

show() { # label, command...
	local label=$1 out
	shift
	out=$("$@" 2>&1 | tail -n 1) || true
	printf '  %-46s %s\n' "$label" "$out"
}
echo
echo "From the client, through the gateway (blocklist: $top/conf/blocklist.txt):"
for name in dnl-01.geo.kaspersky.com notkaspersky.com; do
	show "dig $name" ip netns exec $C dig +time=2 +tries=1 @10.231.2.2 "$name" \
		+noall +comments | grep -o 'status: [A-Z]*'
	show "https://$name/" ip netns exec $C curl -sk --max-time 3 -o /dev/null \
		-w '%{http_code} in %{time_total}s' --resolve "$name:443:10.231.2.2" "https://$name/"
	show "http://$name/" ip netns exec $C curl -s --max-time 3 -o /dev/null \
		-w '%{http_code} in %{time_total}s' --resolve "$name:80:10.231.2.2" "http://$name/"
done
echo
echo "Alert lines the daemon sent to syslog (also on its stderr in the foreground):"
kill -TERM $daemon_pid
wait $daemon_pid 2>/dev/null || true
sed 's/^/  /' "$work/embargod.log"
ip netns exec $G "$top/conf/embargo-firewall" down
echo
echo "000 = connection reset by the gateway. Run the tests with: $top/tests/run-all.sh"
