#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Captures of a client that fights back, for the offline replay (embargod --replay): one pcap
per trick of tests/integration/evade.py that a capture can show, and a control of each in which
every name, the decoys' and the real one, is unlisted.

  make_captures.py OUTDIR [--only REGEX] [--known]

writes OUTDIR/CASE.pcap (the real name upd.kaspersky.com, listed by "kaspersky.com") and
OUTDIR/CASE.control.pcap (the real name notkaspersky.com) and prints one line per file; with
--known, those of the cases the daemon is known to get wrong instead.

The packets are those a pair of real stacks would exchange across the gateway, both ways: the
handshake (a round trip of 3 ms to the server), the server's acknowledgement of what it took
and its first answer. A fake the server discards is not acknowledged: the server's ACK covers
only the real bytes. A real copy sent right after a decoy is held back by the gateway until the
flow has been quiet for two round trips, and the client's stack sends it again an RTO (200 ms)
later; both captures of such a case hold that retransmission: a case's evasion and its control
differ in their names only. Fakes, hellos, queries and QUIC Initials are made by evade.py's own
functions (the same bytes as the live test sends); everything is fixed (addresses, ports,
sequence numbers, timestamps, random bytes), so a run writes the same files every time.
"""

import argparse
import collections
import hashlib
import os
import random
import re
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import evade  # noqa: E402

LISTED = "upd.kaspersky.com"
UNLISTED = "notkaspersky.com"
DECOY = "www.example.org"
BLOCKLIST = "kaspersky.com"

CLIENT4, SERVER4, RESOLVER4, HOLDER4 = "10.0.0.5", "192.0.2.7", "192.0.2.53", "10.0.0.66"
CLIENT6, SERVER6 = "2001:db8::5", "2001:db8:1::7"
CLIENT_PORT = 51234
CLIENT_MAC = bytes.fromhex("020000000005")
GATEWAY_MAC = bytes.fromhex("020000000001")

START_US = 1714564800 * 1000000  # 2024-05-01T12:00:00Z
RTT_US = 3000  # gateway -> server -> gateway
TURN_US = 100  # a stack's time to answer
GAP_US = int(evade.GAP_S * 1e6)  # between a fake and the real segment, as the live client
RTO_US = 200000  # the client's stack sends an unacknowledged segment again
CLIENT_ISN, SERVER_ISN = 0x1A2B3C4D, 0x6E5F4031
CLIENT_TS0, SERVER_TS0 = 3141592, 2718281
PROTO_UDP = 17


def fixed_bytes(*what, n=32):
    """Random-looking bytes that are the same every run."""
    return hashlib.sha256(repr(what).encode()).digest()[:n]


class Capture:
    """Frames with their times, written as one pcap (Ethernet)."""

    def __init__(self):
        self.us = START_US
        self.frames = []

    def wait(self, us):
        self.us += us

    def add(self, ip, from_client):
        src, dst = (CLIENT_MAC, GATEWAY_MAC) if from_client else (GATEWAY_MAC, CLIENT_MAC)
        ethertype = 0x0800 if ip[0] >> 4 == 4 else 0x86DD
        self.frames.append((self.us, dst + src + struct.pack("!H", ethertype) + ip))

    def write(self, path):
        from scapy.utils import PcapWriter

        w = PcapWriter(path, linktype=1, sync=False)
        w.write_header(None)
        for us, frame in self.frames:
            w.write_packet(frame, sec=us // 1000000, usec=us % 1000000)
        w.close()


def addr(text):
    return socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)


class Tcp:
    """One TCP connection as the gateway sees it. Offsets are in each side's stream (0: the
    first byte after the SYN); timestamps run at 1 kHz. Client segments take the keyword
    arguments of evade.Conn.raw, so that evade.FOOLING makes the fakes."""

    def __init__(self, cap, client, server, dport, sport=CLIENT_PORT, ttl=64):
        self.cap = cap
        self.src, self.dst = addr(client), addr(server)
        self.sport, self.dport = sport, dport
        self.ttl = ttl
        self.sent = 0  # the client's next stream offset
        self.got = 0  # the server's next stream offset
        self.server_ts = 0  # the last timestamps each side sent, echoed by the other
        self.client_ts = 0

    @property
    def ts_now(self):
        """The client's timestamp clock now (evade.FOOLING's "paws" reads it)."""
        return CLIENT_TS0 + (self.cap.us - START_US) // 1000

    def segment(self, payload=b"", at=None, flags=evade.TCP_ACK | evade.TCP_PSH, seq_delta=0,
                ack_delta=0, ttl=None, options=None, bad_checksum=False, dstopts=0, urg=0,
                window=502):
        """A client segment with `payload` at stream offset `at` (default: the next)."""
        at = self.sent if at is None else at
        self.client_ts = self.ts_now
        if options is None:
            options = evade.opt_timestamp(self.client_ts, self.server_ts)
        ack = 0 if at < 0 else SERVER_ISN + 1 + self.got  # the field, ACK flag or not
        seg = evade.tcp_segment(self.src, self.dst, self.sport, self.dport,
                                CLIENT_ISN + 1 + at + seq_delta, ack + ack_delta, flags, payload,
                                options, window=window, urg=urg, bad_checksum=bad_checksum)
        self.cap.add(evade.ip_packet(self.src, self.dst, evade.PROTO_TCP, seg,
                                     self.ttl if ttl is None else ttl, dstopts), True)

    def send(self, payload, **kw):
        """The client's stack sends the next bytes of its stream."""
        self.segment(payload, **kw)
        self.sent += len(payload)

    def fake(self, payload, fooling, at=None):
        """A fake at the real bytes' offset, made so that the server discards it."""
        self.segment(payload, at, **evade.FOOLING[fooling](self))

    def server(self, payload=b"", acked=None, options=b""):
        """The server's segment: its next `payload` bytes, acknowledging the client's stream up
        to offset `acked` (default: all it sent)."""
        acked = self.sent if acked is None else acked
        self.server_ts = SERVER_TS0 + (self.cap.us - START_US) // 1000
        flags = evade.TCP_ACK | (evade.TCP_PSH if payload else 0)
        seg = evade.tcp_segment(self.dst, self.src, self.dport, self.sport,
                                SERVER_ISN + 1 + self.got, CLIENT_ISN + 1 + acked, flags,
                                payload, evade.opt_timestamp(self.server_ts, self.client_ts) +
                                options, window=509)
        self.cap.add(evade.ip_packet(self.dst, self.src, evade.PROTO_TCP, seg, 60), False)
        self.got += len(payload)

    def handshake(self):
        v6 = len(self.src) == 16
        mss = struct.pack("!BBH", 2, 4, 1440 if v6 else 1460)
        self.segment(at=-1, flags=evade.TCP_SYN, window=64240,
                     options=mss + b"\x04\x02" + evade.opt_timestamp(self.ts_now) +
                     b"\x01\x03\x03\x07")
        self.cap.wait(RTT_US)
        self.server_ts = SERVER_TS0 + (self.cap.us - START_US) // 1000
        seg = evade.tcp_segment(self.dst, self.src, self.dport, self.sport, SERVER_ISN,
                                CLIENT_ISN + 1, evade.TCP_SYN | evade.TCP_ACK,
                                options=mss + b"\x04\x02" +
                                evade.opt_timestamp(self.server_ts, self.client_ts) +
                                b"\x01\x03\x03\x07", window=65160)
        self.cap.add(evade.ip_packet(self.dst, self.src, evade.PROTO_TCP, seg, 60), False)
        self.cap.wait(TURN_US)
        self.segment(flags=evade.TCP_ACK)

    def answered(self, response, acked=None):
        """A round trip later the server acknowledges the client's bytes (up to `acked`) and
        answers with `response`; the client acknowledges the answer."""
        self.cap.wait(RTT_US)
        self.server(acked=acked)
        self.cap.wait(2 * TURN_US)
        self.server(response, acked=acked)
        self.cap.wait(TURN_US)
        self.segment(flags=evade.TCP_ACK)


def udp(cap, src, dst, sport, dport, payload, from_client=True, ttl=None):
    s, d = addr(src), addr(dst)
    l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    csum = evade.inet_checksum(evade.pseudo_header(s, d, PROTO_UDP, len(l4)) + l4) or 0xFFFF
    l4 = l4[:6] + struct.pack("!H", csum) + l4[8:]
    ttl = ttl if ttl is not None else 64 if from_client else 60
    cap.add(evade.ip_packet(s, d, PROTO_UDP, l4, ttl), from_client)


# ---- what the client says and what the server answers ----


def tls_record(kind, body):
    return struct.pack("!BHH", kind, 0x0301 if kind == 0x16 else 0x0303, len(body)) + body


def hello(name, alpn=("h2", "http/1.1")):
    """A TLS record with a ClientHello for `name`, the same bytes every run."""
    msg = evade.tls_client_hello(name, alpn, rand=fixed_bytes("random", name),
                                 share=fixed_bytes("share", name))
    return tls_record(0x16, msg)


def server_hello(seed):
    exts = evade.tls_ext(43, b"\x03\x04") + \
        evade.tls_ext(51, struct.pack("!HH", 0x001D, 32) + fixed_bytes("server share", seed))
    body = b"\x03\x03" + fixed_bytes("server random", seed) + b"\x00" + \
        struct.pack("!HBH", 0x1301, 0, len(exts)) + exts
    return b"\x02" + struct.pack("!I", len(body))[1:] + body


def tls_answer(seed):
    """The server's first flight: ServerHello, ChangeCipherSpec and encrypted records."""
    return tls_record(0x16, server_hello(seed)) + tls_record(0x14, b"\x01") + \
        tls_record(0x17, fixed_bytes("encrypted", seed, n=32) * 40)


def http_answer(body=b"hello\n"):
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body), body)


def dns_questions(qid, names):
    """One query with a question for each of `names`."""
    return struct.pack("!HHHHHH", qid, 0x0100, len(names), 0, 0, 0) + \
        b"".join(evade.dns_name(n) + struct.pack("!HH", 1, 1) for n in names)


def dns_answers(msgs):
    """The resolver's answers to length-prefixed queries (one question each): an A record."""
    out, pos = b"", 0
    while pos < len(msgs):
        n = struct.unpack("!H", msgs[pos:pos + 2])[0]
        q = msgs[pos + 2:pos + 2 + n]
        pos += 2 + n
        rr = struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + socket.inet_aton("192.0.2.99")
        out += evade.tcp_framed(q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + q[12:] + rr)
    return out


# ---- the cases ----
# A case writes its capture for the real name it is given; its kind tells the test what the
# replay must say (see replay_test.py).


def connected(cap, v6=False, dport=443):
    """The client's connection to the server's `dport`, after its handshake."""
    c = Tcp(cap, CLIENT6 if v6 else CLIENT4, SERVER6 if v6 else SERVER4, dport)
    c.handshake()
    cap.wait(TURN_US * 4)
    return c


def decoys_then_real(cap, c, decoys, real, fooling):
    """Each decoy (a fake the server discards, made by `fooling`) GAP_US apart, then the real
    bytes; the gateway holds the real copy back and the client's stack sends it again an RTO
    later; the server takes that one."""
    for d in decoys:
        c.fake(d, fooling)
        cap.wait(GAP_US)
    c.send(real)
    cap.wait(RTO_US)
    c.segment(real, at=0)


def fake_case(fooling, v6=False, dns=False, decoys=(DECOY,)):
    def build(cap, name):
        if dns:
            c = connected(cap, v6, 53)
            real = evade.tcp_framed(evade.dns_query(0x5151, name))
            fakes = [evade.tcp_framed(evade.dns_query(0x5151, d)) for d in decoys]
            decoys_then_real(cap, c, fakes, real, fooling)
            c.answered(dns_answers(real))
        else:
            c = connected(cap, v6)
            decoys_then_real(cap, c, [hello(d) for d in decoys], hello(name), fooling)
            c.answered(tls_answer(name))
    return build


def http_decoy(cap, name):
    c = connected(cap)
    decoys_then_real(cap, c, [f"GET / HTTP/1.1\r\nHost: {DECOY}".encode()], hello(name), "ttl")
    c.answered(tls_answer(name))


def second_syn(cap, name):
    # As evade.trick_second_syn: a SYN numbered ahead; the server answers it with a challenge
    # ACK (RFC 5961 4) and keeps the connection.
    c = connected(cap)
    c.segment(flags=evade.TCP_SYN, seq_delta=100000, options=b"")
    cap.wait(RTT_US)
    c.server()
    cap.wait(GAP_US)
    c.send(hello(name))
    c.answered(tls_answer(name))


def http_keepalive(pipelined):
    def build(cap, name):
        c = connected(cap, dport=80)
        first = evade.http_request(DECOY, False).encode()
        second = evade.http_request(name, True).encode()
        if pipelined:
            c.send(first + second)
            c.answered(http_answer() + http_answer())
            return
        c.send(first)
        c.answered(http_answer())
        cap.wait(GAP_US)
        c.send(second)
        c.answered(http_answer())
    return build


def client_initial(name, dcid, scid):
    crypto = evade.quic_client_hello(name, scid, rand=fixed_bytes("random", name),
                                     share=fixed_bytes("share", name))
    return evade.quic_initial(dcid, scid, crypto)


def quic_exchange(cap, name, dcid, scid, server_cid):
    """A client Initial for `name` and the server's Initial with its ServerHello."""
    udp(cap, CLIENT4, SERVER4, CLIENT_PORT, 443, client_initial(name, dcid, scid))
    cap.wait(RTT_US)
    answer = evade.quic_initial(scid, server_cid, server_hello(name), side="server in",
                                odcid=dcid)
    if evade.quic_server_initial(answer, dcid, scid) != "server-hello":
        raise AssertionError("the server's Initial does not read back")
    udp(cap, SERVER4, CLIENT4, 443, CLIENT_PORT, answer, from_client=False)


def quic_decoy(cap, name):
    # As evade.trick_quic_decoy: a connection for the decoy, answered, then another (its own
    # connection IDs) on the same socket for the real name.
    quic_exchange(cap, DECOY, fixed_bytes("dcid", 1, n=8), fixed_bytes("scid", 1, n=8),
                  fixed_bytes("server cid", 1, n=8))
    cap.wait(GAP_US)
    quic_exchange(cap, name, fixed_bytes("dcid", 2, n=8), fixed_bytes("scid", 2, n=8),
                  fixed_bytes("server cid", 2, n=8))


def quic_fake_same_id(cap, name):
    # An Initial for the decoy with the connection IDs of the real one, TTL 2 (it dies one
    # router past the gateway), then the real Initial; the server only ever sees the real one.
    dcid, scid = fixed_bytes("dcid", n=8), fixed_bytes("scid", n=8)
    udp(cap, CLIENT4, SERVER4, CLIENT_PORT, 443, client_initial(DECOY, dcid, scid), ttl=2)
    cap.wait(GAP_US)
    quic_exchange(cap, name, dcid, scid, fixed_bytes("server cid", n=8))


def quic_plain(cap, name):
    quic_exchange(cap, name, fixed_bytes("dcid", n=8), fixed_bytes("scid", n=8),
                  fixed_bytes("server cid", n=8))


def urgent(cap, name):
    # As evade.send_urgent: the hello cut inside the name, one byte of urgent data between the
    # halves (the urgent pointer one past it, as Linux sends MSG_OOB); the server's stack takes
    # the byte out of the stream and acknowledges it with the rest.
    c = connected(cap)
    h = hello(name)
    cut = evade.name_cut(h, name)
    c.send(h[:cut])
    cap.wait(GAP_US)
    c.send(b"X", flags=evade.TCP_ACK | evade.TCP_PSH | evade.TCP_URG, urg=1)
    cap.wait(GAP_US)
    c.send(h[cut:])
    c.answered(tls_answer(name))


def dns_pipeline(cap, name):
    c = connected(cap, dport=53)
    msgs = evade.dns_pipeline(33, DECOY, name)
    c.send(msgs)
    c.answered(dns_answers(msgs))


def dns_six_questions(cap, name):
    names = [f"q{i}.{DECOY}" for i in range(1, 6)] + [name]
    udp(cap, CLIENT4, RESOLVER4, CLIENT_PORT, 53, dns_questions(0x0606, names))


def dns_pointer(cap, name):
    udp(cap, CLIENT4, RESOLVER4, CLIENT_PORT, 53, evade.dns_pointer_query(0x0909, name))


def ipv6_exthdrs(cap, name):
    # As evade.trick_ipv6_exthdrs: a pure ACK behind 9 destination options headers.
    c = connected(cap, v6=True)
    c.segment(flags=evade.TCP_ACK, dstopts=9)
    cap.wait(GAP_US)
    c.send(hello(name))
    c.answered(tls_answer(name))


def ahead(cap, name):
    # As evade.trick_ahead: one byte 20 KiB past the end of the stream, which the server keeps
    # out of order (and reports with SACK) while it acknowledges the hello.
    c = connected(cap)
    far = 20480
    c.segment(b"x", seq_delta=far)
    cap.wait(GAP_US)
    h = hello(name)
    c.send(h)
    sack = struct.pack("!BBBBII", 1, 1, 5, 10, CLIENT_ISN + 1 + far, CLIENT_ISN + 2 + far)
    cap.wait(RTT_US)
    c.server(options=sack)
    cap.wait(2 * TURN_US)
    c.server(tls_answer(name), options=sack)


def big_hello(cap, name):
    # As evade.trick_big_hello: a hello longer than 4096 bytes in one segment (GRO).
    c = connected(cap)
    h = hello(name, alpn=evade.long_alpn(4096))
    if len(h) <= 4096:
        raise AssertionError(f"hello only {len(h)} bytes")
    c.send(h)
    c.answered(tls_answer(name))


HELD = 300


def held_buffers(cap, name):
    # As evasion.sh's case 7: one client opens HELD connections, each with the first half of a
    # hello (cut inside the name) that the server acknowledges, and keeps them; then a second
    # client sends its hello in two segments cut inside the name (evade.send_split).
    for i in range(HELD):
        c = Tcp(cap, HOLDER4, SERVER4, 443, sport=30000 + i)
        c.handshake()
        h = hello(f"h{i}.{DECOY}")
        c.send(h[:evade.name_cut(h, f"h{i}.{DECOY}")])
        cap.wait(RTT_US)
        c.server()
    c = connected(cap)
    h = hello(name)
    cut = evade.name_cut(h, name)
    c.send(h[:cut])
    cap.wait(RTT_US)
    c.server()
    cap.wait(2 * GAP_US - RTT_US)
    c.send(h[cut:])
    c.answered(tls_answer(name))


# file: the capture's name; title: as in evasion.sh; kind: tls, http, dns-tcp, dns (over UDP)
# or quic; names: how many names the packet with the real name carries (the replay prints the
# first and the count when all are allowed); known: a case the daemon is known to get wrong
# (what it does), checked apart until it is fixed.
Case = collections.namedtuple("Case", "file title kind build names known", defaults=(1, None))
TWO_DECOYS = (DECOY, "example.org")
CASES = [Case(f"1-fake-{f}", f"1 fake {f}", "tls", fake_case(f)) for f in evade.FOOLING] + [
    Case("1-fake-ttl-ipv6", "1 fake hop limit 2, ipv6", "tls", fake_case("ttl", v6=True)),
    Case("1-two-decoys", "1 two decoys, ttl 2", "tls", fake_case("ttl", decoys=TWO_DECOYS)),
    Case("1-http-decoy", "1 unfinished http decoy, ttl 2", "tls", http_decoy),
] + [Case(f"1-dns-tcp-fake-{f}", f"1 dns over tcp, fake {f}", "dns-tcp",
          fake_case(f, dns=True)) for f in evade.FOOLING] + [
    Case("1-dns-tcp-two-decoys", "1 dns over tcp, two decoys", "dns-tcp",
         fake_case("ttl", dns=True, decoys=TWO_DECOYS)),
    Case("2-second-syn", "2 second syn", "tls", second_syn),
    Case("3-http-keepalive", "3 http keep-alive", "http", http_keepalive(False)),
    Case("3-http-pipelined", "3 http pipelined", "http", http_keepalive(True), 2),
    Case("4-quic-decoy", "4 quic decoy connection id", "quic", quic_decoy),
    Case("5-urgent", "5 urgent byte in the sni", "tls", urgent),
    Case("6-dns-tcp-33-queries", "6 33 dns queries in one segment", "dns-tcp", dns_pipeline,
         33),
    Case("6-dns-6-questions", "6 6 questions in one dns message", "dns", dns_six_questions, 6),
    Case("6-ipv6-exthdrs", "6 ack with 9 ipv6 extension hdrs", "tls", ipv6_exthdrs),
    Case("6-ahead", "6 one byte 20 KiB ahead", "tls", ahead),
    Case("6-big-hello", "6 hello > 4096 bytes, one segment", "tls", big_hello),
    Case("7-held-buffers", "7 300 half hellos, 2nd client", "tls", held_buffers),
    Case("9-quic", "9 quic blocked", "quic", quic_plain),
    Case("9-dns-pointer", "9 dns name through a pointer", "dns", dns_pointer),
    Case("1-quic-fake-same-id", "1 quic fake initial ttl 2, same connection ids", "quic",
         quic_fake_same_id),
]


def build(case, name):
    """The capture of `case` for the real name `name`."""
    random.seed(f"{case.file} {name}")  # evade's IP IDs and MD5 digests
    cap = Capture()
    case.build(cap, name)
    return cap


def bad_checksums(path):
    """Packets of the capture whose IPv4, TCP or UDP checksum is wrong, as scapy computes
    them (an independent check of evade's arithmetic)."""
    from scapy.all import IP, TCP, UDP, Ether, rdpcap

    bad = 0
    for pkt in rdpcap(path):
        again = pkt.copy()
        for layer in (IP, TCP, UDP):
            if layer in again:
                del again[layer].chksum
        again = Ether(bytes(again))
        bad += any(layer in pkt and pkt[layer].chksum != again[layer].chksum
                   for layer in (IP, TCP, UDP))
    return bad


def write_all(outdir, only=None, known=False):
    """The captures and controls of the cases whose title matches `only` into `outdir`, of
    the known wrong cases or of the others; [(case, path, control)]. Each is built twice and
    must come out the same, with no wrong checksum but the fakes' that are made so."""
    os.makedirs(outdir, exist_ok=True)
    out = []
    for case in CASES:
        if (only and not re.search(only, case.title)) or (case.known is not None) != known:
            continue
        for control, name in ((False, LISTED), (True, UNLISTED)):
            path = os.path.join(outdir, case.file + (".control" if control else "") + ".pcap")
            cap = build(case, name)
            if cap.frames != build(case, name).frames:
                raise AssertionError(f"{path}: not the same twice")
            cap.write(path)
            want = 1 if case.file.endswith("badsum") else 0
            if bad_checksums(path) != want:
                raise AssertionError(f"{path}: {bad_checksums(path)} wrong checksums, not {want}")
            out.append((case, path, control))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--only", help="only the cases whose title matches")
    ap.add_argument("--known", action="store_true", help="the cases the daemon is known to "
                    "get wrong instead of the others")
    args = ap.parse_args()
    for _, path, _ in write_all(args.outdir, args.only, args.known):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
