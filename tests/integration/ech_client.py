#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A TLS client that sends one ClientHello with a server_name and, with --ech, an
encrypted_client_hello extension in its outer form (draft-ietf-tls-esni section 5: a cipher
suite, a config id, an encapsulated key and a payload of random bytes). A real ECH hello and a
GREASE one look alike on the wire: only the outer name tells them apart (a real one carries
the ECH front's public name, GREASE the name the client wants). Prints what the server side
did: "answered TYPE" (the first record it sent back: 22 handshake, 21 alert), "reset" (the
connection was reset), "closed" (closed without a byte) or "timeout".

    ech_client.py HOST PORT SNI [--ech] [--config-id N]
"""
import os
import socket
import struct
import sys

TIMEOUT_S = 3.0


def ext(kind, body):
    return struct.pack("!HH", kind, len(body)) + body


def hello(sni, ech, config_id):
    name = sni.encode()
    exts = ext(0x0000, struct.pack("!HBH", len(name) + 3, 0, len(name)) + name)
    exts += ext(0x000a, struct.pack("!HHH", 4, 0x001d, 0x0017))  # x25519, secp256r1
    exts += ext(0x000d, struct.pack("!HHHH", 6, 0x0804, 0x0403, 0x0805))
    exts += ext(0x002b, b"\x02\x03\x04")  # supported_versions: TLS 1.3
    exts += ext(0x0033, struct.pack("!HHH", 36, 0x001d, 32) + os.urandom(32))  # key_share
    exts += ext(0x0010, b"\x00\x03\x02h2")  # ALPN h2
    if ech:
        enc = os.urandom(32)
        payload = os.urandom(176)
        body = struct.pack("!BHHB", 0, 0x0001, 0x0001, config_id)
        body += struct.pack("!H", len(enc)) + enc + struct.pack("!H", len(payload)) + payload
        exts += ext(0xfe0d, body)
    suites = struct.pack("!HHH", 0x1301, 0x1302, 0x1303)
    body = b"\x03\x03" + os.urandom(32) + b"\x20" + os.urandom(32)
    body += struct.pack("!H", len(suites)) + suites + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def main():
    host, port, sni = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ech = "--ech" in sys.argv
    config_id = int(sys.argv[sys.argv.index("--config-id") + 1]) if "--config-id" in sys.argv else 7
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT_S)
    try:
        s.connect((host, port))
        s.sendall(hello(sni, ech, config_id))
        data = s.recv(5)
    except ConnectionResetError:
        print("reset")
        return
    except socket.timeout:
        print("timeout")
        return
    except OSError as e:
        print("error %s" % e.strerror)
        return
    finally:
        s.close()
    print("answered %d" % data[0] if data else "closed")


if __name__ == "__main__":
    main()
