#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A syslog receiver for the tests: binds a unix datagram socket (what syslog(3) writes to) and
appends every datagram it receives, one per line, to a file.

    syslog_sink.py SOCKET OUTPUT
"""
import os
import socket
import sys


def main():
    path, out = sys.argv[1], sys.argv[2]
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)  # the daemon writes after dropping its privileges
    with open(out, "ab", buffering=0) as f:
        while True:
            data = s.recv(65536)
            f.write(data.rstrip(b"\n").replace(b"\n", b" ") + b"\n")


if __name__ == "__main__":
    main()
