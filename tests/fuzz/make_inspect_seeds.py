#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write seed inputs for fuzz_inspect: packet sequences built here (DNS, split TLS hello,
split HTTP request, IPv6) in the record format fuzz_inspect.c reads."""
import os
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "inspect")


def csum_free_ipv4(proto, payload, l4):
    tot = 20 + len(l4) + len(payload)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, 1, 0, 64, proto, 0,
                       bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + l4 + payload


def ipv6(proto, payload, l4):
    return struct.pack("!IHBB16s16s", 0x60000000, len(l4) + len(payload), proto, 64,
                       b"\xfd" + b"\0" * 14 + b"\1", b"\xfd" + b"\0" * 14 + b"\2") + l4 + payload


def udp(dport, payload):
    return struct.pack("!HHHH", 40000, dport, 8 + len(payload), 0)


def tcp(dport, seq, flags=0x18):
    return struct.pack("!HHIIBBHHH", 40000, dport, seq, 0, 0x50, flags, 65535, 0, 0)


def dns_query(name, qtype=1):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    body = b"\x03\x03" + b"\x5a" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    body += struct.pack("!H", len(sni_ext)) + sni_ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def record(pkt, flags=0):
    return struct.pack("!HB", len(pkt), flags) + pkt


def write(name, recs):
    with open(os.path.join(out, name), "wb") as f:
        f.write(b"".join(recs))


os.makedirs(out, exist_ok=True)
q = dns_query("upd.kaspersky.com")
write("dns-udp", [record(csum_free_ipv4(17, q, udp(53, q)), 2)])
hello = client_hello("dnl-01.geo.kaspersky.com")
recs = [record(csum_free_ipv4(6, b"", tcp(443, 999, 0x02)))]
for off in range(0, len(hello), 40):
    piece = hello[off:off + 40]
    recs.append(record(csum_free_ipv4(6, piece, tcp(443, 1000 + off)), 2 | 4))
write("tls-split", recs)
recs = [record(csum_free_ipv4(6, b"", tcp(443, 999, 0x02)))]
for off in reversed(range(0, len(hello), 64)):
    piece = hello[off:off + 64]
    recs.append(record(ipv6(6, piece, tcp(443, 1000 + off)), 2))
write("tls-reverse-v6", recs)
req = b"GET /x HTTP/1.1\r\nHost: upd.kaspersky.com:80\r\nAccept: */*\r\n\r\n"
write("http-split", [record(csum_free_ipv4(6, req[:20], tcp(80, 5000))),
                     record(csum_free_ipv4(6, req[20:], tcp(80, 5020)), 2 | 0x80)])
msgs = b"".join(struct.pack("!H", len(m)) + m for m in (dns_query("a.example"), dns_query("b.example")))
write("dns-tcp", [record(csum_free_ipv4(6, msgs[:30], tcp(53, 7000))),
                  record(csum_free_ipv4(6, msgs[30:], tcp(53, 7030)))])
