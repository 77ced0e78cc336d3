#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite, as CI runs it: installs the dependencies (Debian 12, as root), builds
# with -Werror under ASan+UBSan and runs every suite (unit, fuzz replay, corpus, integration),
# builds for s390x, armhf and mipsel and runs the unit, fuzz-replay and corpus suites there under
# qemu-user, builds lib/ with musl and replays the fuzz corpora, runs the lab benchmark's smoke
# mode, checks that a clang -Werror build compiles and runs the unit suite under valgrind, runs
# the unit suite and the two-worker data path test under ThreadSanitizer, checks formatting and
# the no-assert rule, and ends with one line "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
passed=0
failed=0
skipped=0

check() { # name, command... (exit 77: skipped, as in meson)
	local name=$1 rc=0
	shift
	"$@" >"/tmp/embargo-check.$$" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "ok   check: $name"
		passed=$((passed + 1))
	elif [ "$rc" -eq 77 ]; then
		echo "skip check: $name ($(tail -n 1 "/tmp/embargo-check.$$"))"
		skipped=$((skipped + 1))
	else
		echo "FAIL check: $name"
		sed 's/^/     /' "/tmp/embargo-check.$$" | tail -n 30
		failed=$((failed + 1))
	fi
	rm -f "/tmp/embargo-check.$$"
}

# Sum meson's closing counts into ours.
count_meson() { # logfile
	local ok fail to up skip
	ok=$(awk '/^Ok:/ {print $2}' "$1" | tail -n 1)
	fail=$(awk '/^Fail:/ {print $2}' "$1" | tail -n 1)
	to=$(awk '/^Timeout:/ {print $2}' "$1" | tail -n 1)
	up=$(awk '/^Unexpected Pass:/ {print $3}' "$1" | tail -n 1)
	skip=$(awk '/^Skipped:/ {print $2}' "$1" | tail -n 1)
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${fail:-0} + ${to:-0} + ${up:-0}))
	skipped=$((skipped + ${skip:-0}))
	if [ -z "$ok" ]; then
		failed=$((failed + 1)) # meson itself did not run
	fi
}

if [ "$(id -u)" -eq 0 ]; then
	"$top/tests/install-deps.sh" || { echo "0 passed, 1 failed"; exit 1; }
else
	echo "note: not root: dependencies not installed, integration tests will skip"
fi

build=${EMBARGO_TEST_BUILD:-build-test}
echo "== build ($build: gcc, -Werror, ASan+UBSan)"
if [ ! -d "$build" ]; then
	meson setup "$build" -Dwerror=true -Db_sanitize=address,undefined \
		-Dc_args=-fno-sanitize-recover=all -Db_lundef=false >/dev/null ||
		{ echo "meson setup failed"; echo "0 passed, 1 failed"; exit 1; }
fi
if ! ninja -C "$build" >"/tmp/embargo-build.$$" 2>&1; then
	cat "/tmp/embargo-build.$$"
	rm -f "/tmp/embargo-build.$$"
	echo "0 passed, 1 failed"
	exit 1
fi
rm -f "/tmp/embargo-build.$$"

echo "== meson test"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
log=$(mktemp)
meson test -C "$build" --print-errorlogs --num-processes 2 2>&1 | tee "$log" |
	grep -vE '^(Full log|ninja: )'
count_meson "$log"
# Lines the test programs print themselves (corpus files and match rate, end-to-end and
# firewall cases) are in the meson log; show them.
grep -hE '^(match rate|ok |FAIL )' "$build/meson-logs/testlog.txt" 2>/dev/null || true
rm -f "$log"

# The same sources for the CPUs and the C library of routers: s390x (big-endian), armhf and
# mipsel (32-bit) under qemu-user, lib/ with musl (tests/cross/run.sh).
for target in s390x armhf mipsel musl; do
	echo "== cross: $target"
	start=$SECONDS
	log=$(mktemp)
	EMBARGO_NATIVE_EMBARGOD="$top/$build/daemon/embargod" "$top/tests/cross/run.sh" "$target" \
		>"$log" 2>&1
	rc=$?
	if [ $rc -eq 77 ]; then
		sed "s/^/$target: /" "$log"
		skipped=$((skipped + 1))
	else
		grep -vE '^(Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout): ' "$log" |
			grep -v '^$' | sed "s/^/$target: /"
		count_meson "$log"
	fi
	rm -f "$log"
	echo "$target: $((SECONDS - start)) s"
done

echo "== checks"
# The lab benchmark in its quick mode: proves the harness runs and finds what it measures (the
# full benchmark, tests/bench/run, is not part of this run).
check "benchmark harness (tests/bench/run --smoke)" "$top/tests/bench/run" --smoke --build "$build"
# DWARF 4: the valgrind of Debian 12 cannot read clang's DWARF 5.
check "clang -Werror build compiles" \
	bash -c "rm -rf '$top/build-clang' && CC=clang meson setup '$top/build-clang' -Dwerror=true -Dc_args=-gdwarf-4 >/dev/null && ninja -C '$top/build-clang'"
check "valgrind over the unit suite: no error, no leak" \
	meson test -C "$top/build-clang" --suite unit --num-processes 2 --timeout-multiplier 4 \
	--wrap="valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect"
# ThreadSanitizer: the unit suite, and the data path test with two workers (queues 0-1), whose
# floods, reload storm and control clients run against both at once (8 s per stress phase).
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}
check "ThreadSanitizer build compiles" \
	bash -c "rm -rf '$top/build-tsan' && CC=clang meson setup '$top/build-tsan' -Dwerror=true -Db_sanitize=thread -Db_lundef=false -Dbench=false >/dev/null && ninja -C '$top/build-tsan'"
check "ThreadSanitizer: unit suite" meson test -C "$top/build-tsan" --suite unit --num-processes 2
if [ "$(id -u)" -eq 0 ]; then
	check "ThreadSanitizer: data path, two workers" \
		env EMBARGO_QUEUES=0-1 EMBARGO_STRESS_S=8 "$top/tests/integration/datapath.sh" \
		"$top/build-tsan/daemon/embargod" "$top/build-tsan/daemon/embargoctl" "$top"
fi
check "clang-format on tracked C files" \
	bash -c "git ls-files '*.c' '*.h' | xargs -r clang-format --dry-run -Werror"
check "systemd unit verifies, exposure below 2.0" "$top/tests/check-systemd-unit.sh" "$build"
check "meson install puts everything in place" "$top/tests/check-install.sh" "$build"
check "OpenWrt package Makefile under SDK stand-ins: fields, variants, staged files" \
	"$top/tests/openwrt/package.sh" "$top" "$top/build-openwrt"
check "shipped vendor files: sources, no shared zones, research covered" \
	/usr/bin/python3 "$top/tests/check-shipped-lists.py" "$top"
check "no plain assert( in lib/ and daemon/" \
	bash -c "! grep -nE '(^|[^_a-z])assert\\(' lib/*.c lib/embargo/*.h daemon/*.c daemon/*.h 2>/dev/null"

echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
