#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Captures for the offline cost benchmark (tests/bench/replay_cost.sh): the traffic of
tests/bench/run's cases, as the gateway's queue sees it, for `embargod --replay`.

  make_replay.py dns|tls COUNT OUT.pcap

dns: COUNT queries as dnsload sends them (A, "bench<k>.allowed.example", k cycling through
1000 names, 16 source ports in turn, ids counting up). tls: COUNT connections as tlsconn makes
them (handshake, a ClientHello for notkaspersky.com, the server's acknowledgement and first
flight, the client's answer, each connection on its own source port). Both directions, times
and bytes fixed: a run writes the same file every time. Plain pcap, Ethernet.
"""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "replay"))
import make_captures as mc  # noqa: E402

DNS_NAMES = 1000
DNS_SOCKETS = 16
TLS_NAME = "notkaspersky.com"


def write_pcap(cap, path):
    """The frames of `cap` as a pcap (microsecond times, LINKTYPE_ETHERNET)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for us, frame in cap.frames:
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(frame), len(frame)))
            f.write(frame)


def dns(cap, count):
    for i in range(count):
        name = "bench%d.allowed.example" % (i % DNS_NAMES)
        mc.udp(cap, mc.CLIENT4, mc.RESOLVER4, 40000 + i % DNS_SOCKETS, 53,
               mc.evade.dns_query(i & 0xFFFF, name))
        cap.wait(5)


def tls(cap, count):
    for i in range(count):
        c = mc.Tcp(cap, mc.CLIENT4, mc.SERVER4, 443, sport=10000 + i % 50000)
        c.handshake()
        cap.wait(mc.TURN_US)
        c.send(mc.hello(TLS_NAME))
        c.answered(mc.tls_answer(i))
        cap.wait(mc.RTT_US)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("dns", "tls"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    cap = mc.Capture()
    {"dns": dns, "tls": tls}[sys.argv[1]](cap, int(sys.argv[2]))
    write_pcap(cap, sys.argv[3])
    return 0


if __name__ == "__main__":
    sys.exit(main())
