# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by test scripts made of named checks: check NAME COMMAND... runs the command and
# prints "ok   NAME" or "FAIL NAME"; checks_end prints "N passed, N failed" and fails when a
# check did; checks_netns gives the script a network namespace of its own.
passed=0
failed=0

check() { # name, condition command...
	local name=$1
	shift
	if "$@"; then
		echo "ok   $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		failed=$((failed + 1))
	fi
}

checks_end() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# checks_netns PREFIX TOOL...: a new network namespace named PREFIX-<pid>-<random> in $ns (the
# caller deletes it, in its EXIT trap); exits 77 (skip) without root, a TOOL or namespaces.
checks_netns() {
	local prefix=$1 t
	shift
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root"
		exit 77
	fi
	for t in ip "$@"; do
		command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
	done
	ns=$prefix-$$-$RANDOM
	ip netns add "$ns" || { echo "SKIP: cannot create a network namespace"; exit 77; }
}

in_ns() { ip netns exec "$ns" "$@"; }
