#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run a command whose syslog(3) lines go to SOCKET: in a private mount namespace, /dev is a
# fresh tmpfs holding the usual character devices (bound from the real /dev) and a /dev/log
# symlink to SOCKET. Nothing changes outside the namespace. The command is exec'd, so the
# caller's $! is its pid.
#
#   with_syslog.sh SOCKET COMMAND [ARGS...]
set -eu
sock=$1
shift
exec unshare -m --propagation private /bin/bash -c '
	set -e
	sock=$1
	shift
	old=$(mktemp -d /tmp/embargo-dev.XXXXXX)
	mount --rbind /dev "$old"
	mount -t tmpfs -o mode=755,size=64k embargo-dev /dev
	for f in null zero full random urandom tty; do
		if [ -e "$old/$f" ]; then
			touch "/dev/$f"
			mount --bind "$old/$f" "/dev/$f"
		fi
	done
	ln -s /proc/self/fd /dev/fd
	ln -s "$sock" /dev/log
	umount -l "$old"
	rmdir "$old"
	exec "$@"
' with_syslog "$sock" "$@"
