# SPDX-License-Identifier: GPL-2.0-or-later
# A lab of three network namespaces, client -- gateway -- server, for the end-to-end tests, the
# quickstart and the throughput benchmark. Source it, then call lab_up; lab_down runs on exit.
#
#   client  10.231.1.2   fd00:e3b:1::2      gateway 10.231.1.1 / fd00:e3b:1::1 (client side)
#   server  10.231.2.2   fd00:e3b:2::2              10.231.2.1 / fd00:e3b:2::1 (server side)
#
# The server runs dnsmasq (UDP and TCP 53) answering every name with the server's own addresses,
# and nginx on 80 and 443 (self-signed certificate) serving index.html and a bulk file. Both log
# the names they were asked for: dnsmasq.log ("query[A] NAME from ADDR") and access.log ("HOST
# ADDR "REQUEST"", one line per HTTP request) in LAB_DIR.

LAB_C4=10.231.1.2
LAB_S4=10.231.2.2
LAB_C6=fd00:e3b:1::2
LAB_S6=fd00:e3b:2::2
LAB_ID=${LAB_ID:-$$}
LAB_C=emb-c-$LAB_ID
LAB_G=emb-g-$LAB_ID
LAB_S=emb-s-$LAB_ID
LAB_DIR=
LAB_PIDS=()


# One line per case and the closing counts, for the tests that use the lab.
passed=0
failed=0
result() { # ok|FAIL, case, detail
	printf '%-4s %-44s %s\n' "$1" "$2" "$3"
	if [ "$1" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

check() { # case, detail, command...: ok when the command succeeds
	local name=$1 detail=$2
	shift 2
	if "$@"; then result ok "$name" "$detail"; else result FAIL "$name" "$detail"; fi
}

# The closing counts, and exit: 0 when no case failed and at least one passed (a script whose
# set-up went wrong before its first case must not pass).
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

# wait_for PATTERN FILE SECONDS: until a line of FILE matches, SECONDS at most.
wait_for() {
	local i
	for i in $(seq $(($3 * 20))); do
		grep -q "$1" "$2" && return 0
		sleep 0.05
	done
	return 1
}

lab_c() { ip netns exec "$LAB_C" "$@"; }
lab_g() { ip netns exec "$LAB_G" "$@"; }
lab_s() { ip netns exec "$LAB_S" "$@"; }

# Prerequisites; prints the first missing one and returns 1.
lab_check() {
	local t
	for t in ip iptables ip6tables dnsmasq nginx openssl curl dig /usr/bin/python3; do
		if ! command -v "$t" >/dev/null; then
			echo "$t"
			return 1
		fi
	done
	return 0
}

# Can the lab run here? Prints why not and returns 1 (tests then exit 77, meson's skip).
lab_preflight() {
	local missing
	if [ "$(id -u)" -ne 0 ]; then
		echo "needs root"
		return 1
	fi
	if ! missing=$(lab_check); then
		echo "$missing missing"
		return 1
	fi
	if ! ip netns add "emb-probe-$$" 2>/dev/null; then
		echo "cannot create network namespaces"
		return 1
	fi
	ip netns del "emb-probe-$$"
}

# lab_require TOOL...: exit 77 (meson's skip) with the reason unless the lab can run here and
# every TOOL is on PATH.
lab_require() {
	local why t
	if ! why=$(lab_preflight); then
		echo "SKIP: $why"
		exit 77
	fi
	for t in "$@"; do
		if ! command -v "$t" >/dev/null; then
			echo "SKIP: $t missing"
			exit 77
		fi
	done
}

lab_down() {
	local p n
	for p in "${LAB_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${LAB_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	LAB_PIDS=()
	for n in "$LAB_C" "$LAB_G" "$LAB_S"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	[ -n "$LAB_DIR" ] && rm -rf "$LAB_DIR"
	LAB_DIR=
	# A hosts file a test gave the client namespace (ip netns exec bind-mounts it).
	rm -rf "/etc/netns/$LAB_C"
}

# lab_up [bulk_mib]: namespaces, addresses, routes, servers. Returns non-zero on failure.
lab_up() {
	local bulk=${1:-0} n
	LAB_DIR=$(mktemp -d /tmp/embargo-lab.XXXXXX)
	chmod 755 "$LAB_DIR" # nginx's workers run as www-data
	trap lab_down EXIT
	for n in "$LAB_C" "$LAB_G" "$LAB_S"; do
		ip netns add "$n" || return 1
		ip -n "$n" link set lo up
	done
	ip link add "ec$LAB_ID" type veth peer name "egc$LAB_ID" || return 1
	ip link set "ec$LAB_ID" netns "$LAB_C"
	ip link set "egc$LAB_ID" netns "$LAB_G"
	ip link add "es$LAB_ID" type veth peer name "egs$LAB_ID" || return 1
	ip link set "es$LAB_ID" netns "$LAB_S"
	ip link set "egs$LAB_ID" netns "$LAB_G"
	ip -n "$LAB_C" addr add $LAB_C4/24 dev "ec$LAB_ID"
	ip -n "$LAB_C" addr add $LAB_C6/64 dev "ec$LAB_ID" nodad
	ip -n "$LAB_G" addr add 10.231.1.1/24 dev "egc$LAB_ID"
	ip -n "$LAB_G" addr add fd00:e3b:1::1/64 dev "egc$LAB_ID" nodad
	ip -n "$LAB_G" addr add 10.231.2.1/24 dev "egs$LAB_ID"
	ip -n "$LAB_G" addr add fd00:e3b:2::1/64 dev "egs$LAB_ID" nodad
	ip -n "$LAB_S" addr add $LAB_S4/24 dev "es$LAB_ID"
	ip -n "$LAB_S" addr add $LAB_S6/64 dev "es$LAB_ID" nodad
	# No duplicate address detection on the lab links: while a link-local address is tentative
	# (about a second after link up), neighbour discovery can lose the first IPv6 packet.
	lab_c sysctl -qw "net.ipv6.conf.ec$LAB_ID.accept_dad=0"
	lab_g sysctl -qw "net.ipv6.conf.egc$LAB_ID.accept_dad=0" "net.ipv6.conf.egs$LAB_ID.accept_dad=0"
	lab_s sysctl -qw "net.ipv6.conf.es$LAB_ID.accept_dad=0"
	ip -n "$LAB_C" link set "ec$LAB_ID" up
	ip -n "$LAB_G" link set "egc$LAB_ID" up
	ip -n "$LAB_G" link set "egs$LAB_ID" up
	ip -n "$LAB_S" link set "es$LAB_ID" up
	ip -n "$LAB_C" route add default via 10.231.1.1
	ip -n "$LAB_C" -6 route add default via fd00:e3b:1::1
	ip -n "$LAB_S" route add default via 10.231.2.1
	ip -n "$LAB_S" -6 route add default via fd00:e3b:2::1
	lab_g sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

	lab_s dnsmasq --no-resolv --no-hosts --bind-interfaces --listen-address=$LAB_S4 \
		--listen-address=$LAB_S6 --address=/#/$LAB_S4 --address=/#/$LAB_S6 \
		--pid-file="$LAB_DIR/dnsmasq.pid" --log-facility="$LAB_DIR/dnsmasq.log" \
		--log-queries || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$LAB_DIR/key.pem" \
		-out "$LAB_DIR/cert.pem" -days 1 -subj /CN=lab 2>/dev/null || return 1
	mkdir -p "$LAB_DIR/www"
	echo "hello from the lab server" >"$LAB_DIR/www/index.html"
	if [ "$bulk" -gt 0 ]; then
		head -c $((bulk * 1024 * 1024)) /dev/urandom >"$LAB_DIR/www/bulk.bin"
	fi
	cat >"$LAB_DIR/nginx.conf" <<CONF
daemon off;
pid $LAB_DIR/nginx.pid;
error_log $LAB_DIR/nginx.err;
worker_processes 1;
events { worker_connections 256; }
http {
	log_format lab '\$host \$remote_addr "\$request"';
	access_log $LAB_DIR/access.log lab;
	sendfile on;
	server {
		listen $LAB_S4:80;
		listen [$LAB_S6]:80;
		listen $LAB_S4:443 ssl;
		listen [$LAB_S6]:443 ssl;
		ssl_certificate $LAB_DIR/cert.pem;
		ssl_certificate_key $LAB_DIR/key.pem;
		root $LAB_DIR/www;
	}
}
CONF
	lab_s nginx -c "$LAB_DIR/nginx.conf" &
	LAB_PIDS+=($!)
	local i
	for i in $(seq 50); do
		lab_c curl -s -o /dev/null --max-time 1 "http://$LAB_S4/" && return 0
		sleep 0.1
	done
	echo "lab: nginx did not come up" >&2
	return 1
}

# lab_daemon_start EMBARGOD LOG ARGS...: start embargod in the foreground on the gateway and
# wait until it has bound its queue. Sets LAB_DAEMON_PID.
lab_daemon_start() {
	local bin=$1 log=$2 i
	shift 2
	# Not through lab_g: "ip netns exec" must exec the daemon itself so that $! is its pid.
	ip netns exec "$LAB_G" "$bin" -f -p - "$@" 2>"$log" &
	LAB_DAEMON_PID=$!
	LAB_PIDS+=($LAB_DAEMON_PID)
	for i in $(seq 100); do
		grep -q "startup: embargod" "$log" 2>/dev/null && return 0
		kill -0 $LAB_DAEMON_PID 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# lab_daemon_stop: SIGTERM and wait; the daemon's exit status is returned.
lab_daemon_stop() {
	local rc=0
	kill -TERM "$LAB_DAEMON_PID" 2>/dev/null
	wait "$LAB_DAEMON_PID" 2>/dev/null || rc=$?
	return $rc
}

# lab_syslog_start: a syslog receiver (syslog_sink.py) on $LAB_DIR/log.sock, for daemons started
# through with_syslog.sh, appending what it receives to LAB_SYSLOG ($LAB_DIR/syslog.txt); sets
# LAB_SYSLOG_PID. Returns non-zero when its socket does not appear.
lab_syslog_start() {
	local i
	LAB_SYSLOG="$LAB_DIR/syslog.txt"
	: >"$LAB_SYSLOG"
	/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/syslog_sink.py" "$LAB_DIR/log.sock" \
		"$LAB_SYSLOG" &
	LAB_SYSLOG_PID=$!
	LAB_PIDS+=($LAB_SYSLOG_PID)
	for i in $(seq 50); do
		[ -S "$LAB_DIR/log.sock" ] && return 0
		sleep 0.05
	done
	return 1
}

# json EXPR: the value of a python expression over the JSON on stdin (as j)
json() {
	/usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

# Milliseconds since the epoch.
lab_now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# Second addresses: more clients (LAB_C4B, LAB_C6B, LAB_C4C) and one more server address
# (LAB_S4B, LAB_S6B) where a test can run servers of its own next to nginx and dnsmasq.
LAB_C4B=10.231.1.3
LAB_C4C=10.231.1.4
LAB_C6B=fd00:e3b:1::3
LAB_S4B=10.231.2.3
LAB_S6B=fd00:e3b:2::3
lab_second_addresses() {
	ip -n "$LAB_C" addr add $LAB_C4B/24 dev "ec$LAB_ID" &&
		ip -n "$LAB_C" addr add $LAB_C4C/24 dev "ec$LAB_ID" &&
		ip -n "$LAB_C" addr add $LAB_C6B/64 dev "ec$LAB_ID" nodad &&
		ip -n "$LAB_S" addr add $LAB_S4B/24 dev "es$LAB_ID" &&
		ip -n "$LAB_S" addr add $LAB_S6B/64 dev "es$LAB_ID" nodad
}

# The server one router further: what reaches the server namespace with TTL / hop limit 1 is
# dropped, as the next router would (its TTL would expire there). A packet the client sends
# with TTL 2 crosses the gateway and dies before the server.
lab_server_far() {
	lab_s iptables -w -t raw -A PREROUTING -m ttl --ttl-eq 1 -j DROP &&
		lab_s ip6tables -w -t raw -A PREROUTING -m hl --hl-eq 1 -j DROP
}

# lab_mtu MTU: the MTU of every lab link (both ends of both veth pairs).
lab_mtu() {
	ip -n "$LAB_C" link set "ec$LAB_ID" mtu "$1" &&
		ip -n "$LAB_G" link set "egc$LAB_ID" mtu "$1" &&
		ip -n "$LAB_G" link set "egs$LAB_ID" mtu "$1" &&
		ip -n "$LAB_S" link set "es$LAB_ID" mtu "$1"
}

# lab_tls_logger LOG ADDR...: a TLS server on port 443 of ADDR... in the server namespace
# (tests/integration/tls_server.py, the lab's certificate) that writes "sni NAME PEER" to LOG
# for every ClientHello its TLS stack parsed. Returns once it listens.
lab_tls_logger() {
	local log=$1
	shift
	lab_s /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/tls_server.py" "$LAB_DIR/cert.pem" \
		"$LAB_DIR/key.pem" "$log" "$@" &
	LAB_PIDS+=($!)
	wait_for "^listening" "$log" 5
}
