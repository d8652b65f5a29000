#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ from first principles.

The seeds are real examples of each wire format, built here with Python's
own json, struct, hmac, hashlib and base64 (independent of the Swift code
under test), one small file each. Run it from anywhere; it replaces the
seed files it writes (named seed-*) and leaves entries merged by
`bench/fuzz.sh --update-corpus` alone.
"""

import base64
import hashlib
import hmac
import json
import os
import socket
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def clear(target):
    folder = os.path.join(ROOT, target)
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if name.startswith("seed-"):
                os.remove(os.path.join(folder, name))


# -- Join: the TCP stream's first bytes (join object, trailer, first lines).

def join_seeds():
    def obj(**fields):
        return json.dumps(fields, separators=(",", ":"))

    seeds = {
        "plain": obj(name="Mina", room="devroom"),
        "plain-newline": obj(name="Mina", room="devroom") + "\n",
        "crlf-first-line": obj(name="Mina", room="devroom") + "\r\nhello\r\n",
        "same-packet-line": obj(name="Mina", room="dev") + "first line\n",
        "trailer-spaces": obj(name="Mina", room="dev") + "  \t \nnext\n",
        "leading-whitespace": " \r\n\t" + obj(name="Mina", room="dev"),
        "pretty": json.dumps({"name": "Mina", "room": "dev"}, indent=2) + "\n",
        "every-option": obj(name="Mina", room="dev", format="json", history=20, since=41, epoch="e1a2b3",
                            presence=True) + "\n",
        "format-text": obj(name="Mina", room="dev", format="text", history=0, presence=False),
        "history-max": obj(name="Mina", room="dev", history=1000000),
        "history-over": obj(name="Mina", room="dev", history=1000001),
        "history-fraction": '{"name":"Mina","room":"dev","history":1.5e2}',
        "since-max": obj(name="Mina", room="dev", since=2 ** 53 - 1, epoch="e"),
        "since-without-epoch": obj(name="Mina", room="dev", since=3),
        "presence-text": obj(name="Mina", room="dev", presence=True),
        "unicode": json.dumps({"name": "Mína 😀", "room": "café"}, ensure_ascii=False),
        "escapes": json.dumps({"name": "M\u00edna\ud83d\ude00\n\t\"\\/", "room": "d\u2028v"}),
        "extra-members": '{"name":"Mina","room":"dev","client":{"v":[1,2,{"a":null}],"ok":true},"n":-0.5e-3}',
        "nested-strings": '{"name":"}{][","room":"\\"}"}\n',
        "duplicate-name": '{"name":"A","name":"B","room":"dev"}',
        "missing-room": obj(name="Mina"),
        "wrong-type": '{"name":7,"room":"dev"}',
        "colon-name": obj(name="a:b", room="dev"),
        "empty-name": obj(name="", room="dev"),
        "not-object": '["Mina","dev"]\n',
        "garbage": "hello\n",
        "deep": '{"name":"Mina","room":"dev","x":' + "[" * 40 + "]" * 40 + "}",
        "bad-surrogate": '{"name":"\\ud800","room":"dev"}',
        "invalid-utf8": b'{"name":"\xff\xfe","room":"dev"}',
        "trailing-comma": '{"name":"Mina","room":"dev",}',
    }
    for name, data in seeds.items():
        write("Join", name, data)


# -- LineFramer: TCP line streams.

def line_seeds():
    seeds = {
        "lines": "hello\nworld\n",
        "crlf": "hello\r\nworld\r\n",
        "mixed": "a\r\nb\nc\r\r\n\r\n\n",
        "no-final-newline": "one\ntwo",
        "lone-cr": "a\rb\rc\n",
        "empty-lines": "\n\n\n",
        "long": "x" * 300 + "\n" + "y" * 40 + "\r\n",
        "binary": b"\x00\xff\r\n\x80\n",
        "utf8": "Mína says 😀\r\n",
    }
    for name, data in seeds.items():
        write("LineFramer", name, data)


# -- HTTPRequest: request heads (the WebSocket upgrade, the web page) and
#    101 responses for the harness's client key (RFC 6455 §1.3's sample).

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_for(key):
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


def http_seeds():
    key = base64.b64encode(b"the sample nonce").decode()
    upgrade = (
        "GET /mychat HTTP/1.1\r\nHost: localhost:8099\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://localhost:8099\r\n\r\n"
    )
    seeds = {
        "upgrade": upgrade,
        "upgrade-with-frame": upgrade.encode() + bytes([0x81, 0x85, 1, 2, 3, 4]) + bytes(
            b ^ [1, 2, 3, 4][i % 4] for i, b in enumerate(b'{"a"}')),
        "upgrade-lf-only": upgrade.replace("\r\n", "\n"),
        "upgrade-tokens": (
            "GET /mychat?x=1 HTTP/1.1\r\nhost: a\r\nupgrade: h2c, WebSocket\r\nconnection: keep-alive, upgrade\r\n"
            "sec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==\r\nsec-websocket-version: 13\r\n\r\n"
        ),
        "version-8": "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
        "two-keys": "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n",
        "page": "GET / HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\n\r\n",
        "page-if-none-match": 'GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: W/"x", "abc", *\r\n\r\n',
        "head-absolute": "HEAD http://localhost:8099/app.js?v=2 HTTP/1.1\r\nHost: a\r\n\r\n",
        "post": "POST /mychat HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
        "leading-blank-lines": "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "folded": "GET / HTTP/1.1\r\nHost: a\r\n  folded\r\n\r\n",
        "bad-header": "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        "bad-start": "GET  / HTTP/1.1\r\n\r\n",
        "response-101": (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept_for(key)}\r\n\r\n"
        ),
        "response-101-frame": (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept_for(key)}\r\n\r\n"
        ).encode() + bytes([0x81, 0x02]) + b"hi",
        "response-403": "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
        "response-no-reason": "HTTP/1.1 101\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
        "Sec-WebSocket-Accept: wrong\r\n\r\n",
    }
    for name, data in seeds.items():
        write("HTTPRequest", name, data)


# -- WebSocket frames (RFC 6455 §5.2), masked for the server's input and
#    unmasked for the client's.

def frame(opcode, payload=b"", fin=True, mask=None, rsv=0):
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    bit = 0x80 if mask is not None else 0
    n = len(payload)
    if n <= 125:
        head += bytes([bit | n])
    elif n <= 0xFFFF:
        head += bytes([bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", n)
    if mask is not None:
        head += mask
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + payload


def long_form(opcode, payload, mask, announced=None):
    head = bytes([0x80 | opcode, (0x80 if mask else 0) | 127]) + struct.pack(">Q", announced or len(payload))
    if mask:
        head += mask
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + payload


def websocket_seeds():
    for target, mask in (("WebSocketServer", b"\x37\xfa\x21\x3d"), ("WebSocketClient", None)):
        def f(opcode, payload=b"", fin=True, rsv=0):
            return frame(opcode, payload, fin, mask, rsv)

        join = json.dumps({"name": "Mina", "room": "dev"}).encode()
        seeds = {
            "text": f(1, b"Hello"),
            "join-then-lines": f(1, join) + f(1, b"hi\nthere\n") + f(1, "😀 ok".encode()),
            "binary": f(2, bytes(range(40))),
            "fragmented": f(1, b"Hel", fin=False) + f(0, b"lo, ", fin=False) + f(0, b"world"),
            "fragmented-utf8": f(1, "é😀".encode()[:3], fin=False) + f(0, "é😀".encode()[3:]),
            "ping-in-fragments": f(1, b"a", fin=False) + f(9, b"ping!") + f(0, b"b"),
            "ping": f(9, b"are you there"),
            "pong": f(10, b""),
            "close": f(8, struct.pack(">H", 1000) + b"bye"),
            "close-empty": f(8),
            "close-1005": f(8, struct.pack(">H", 1005)),
            "close-then-data": f(8, struct.pack(">H", 1001)) + f(1, b"late"),
            "length-126": f(2, b"x" * 300),
            # 64-bit lengths without a large seed: a small payload in the long
            # form, and a header announcing more than the 1 MiB limit.
            "length-127": long_form(2, b"y" * 200, mask),
            "length-127-too-big": long_form(2, b"", mask, announced=(1 << 20) + 1),
            "invalid-utf8": f(1, b"\xc3\x28"),
            "rsv-set": f(1, b"x", rsv=4),
            "reserved-opcode": f(3, b"x"),
            "long-ping": f(9, b"p" * 126),
            "continuation-first": f(0, b"x"),
            "wrong-masking": frame(1, b"x", True, None if mask else b"\x01\x02\x03\x04"),
        }
        for name, data in seeds.items():
            write(target, name, data)


# -- RouterFrame: every frame type of the gateway ⇄ router link
#    (u32 length | u8 type | body, big-endian).

def rstr(text):
    data = text.encode() if isinstance(text, str) else text
    return struct.pack(">H", len(data)) + data


def rframe(kind, body):
    return struct.pack(">IB", len(body) + 1, kind) + body


def line(offset, time, name, text):
    payload = name.encode() + b":" + text + b"\n"
    return offset, time, len(name.encode()), payload


def router_seeds():
    deliver_line = line(41, 1700000000123, "Mina", b"hello")
    history_lines = [line(1, 1700000000000, "Mina", b"first"), line(2, 1700000000500, "Jo", b"")]
    history_body = struct.pack(">IQB", 9, 3, 1) + b"".join(
        struct.pack(">QQHI", o, t, n, len(p)) + p for o, t, n, p in history_lines)
    frames = {
        "hello": rframe(1, struct.pack(">H", 2) + rstr("tcp-1") + struct.pack(">Q", 0x1234567890ABCDEF)),
        "welcome": rframe(2, struct.pack(">H", 2)),
        "join": rframe(3, struct.pack(">I", 7) + rstr("Mina") + rstr("devroom") + struct.pack(">BIQ", 0, 0, 0) + rstr("")),
        "join-options": rframe(3, struct.pack(">I", 7) + rstr("Mína") + rstr("dev") + struct.pack(">BIQ", 15, 20, 41)
                               + rstr("e1a2")),
        "say": rframe(4, struct.pack(">I", 7) + b"hello there"),
        "leave": rframe(5, struct.pack(">I", 7)),
        "joined": rframe(6, struct.pack(">IIQQB", 7, 3, 41, 30, 1) + rstr("e1a2")),
        "rejected": rframe(7, struct.pack(">I", 7) + rstr("name Mina is taken in devroom")),
        "deliver": rframe(8, struct.pack(">IQQH", 3, deliver_line[0], deliver_line[1], deliver_line[2])
                          + deliver_line[3]),
        "ack": rframe(9, struct.pack(">Q", 12345)),
        "ready": rframe(10, struct.pack(">Q", 1)),
        "members": rframe(11, struct.pack(">IH", 7, 3) + rstr("Mina") + rstr("Jo") + rstr("😀")),
        "presence": rframe(12, struct.pack(">IBQ", 3, 1, 1700000000000) + rstr("Jo")),
        "presence-leave": rframe(12, struct.pack(">IBQ", 3, 2, 1700000000001) + rstr("Jo")),
        "fetch": rframe(13, struct.pack(">IQQI", 7, 10, 41, 65536)),
        "history": rframe(14, history_body),
        "history-empty": rframe(14, struct.pack(">IQB", 9, 0, 1)),
    }
    for name, data in frames.items():
        write("RouterFrame", name, data)
    write("RouterFrame", "stream", b"".join(frames.values()))
    write("RouterFrame", "truncated", frames["deliver"][:-3])
    write("RouterFrame", "too-large", struct.pack(">IB", (1 << 20) + 1, 4))
    write("RouterFrame", "length-zero", struct.pack(">I", 0))
    write("RouterFrame", "unknown-type", rframe(99, b"x"))
    write("RouterFrame", "bad-utf8-name", rframe(8, struct.pack(">IQQH", 3, 1, 2, 2) + b"\xff\xfe:hi\n"))
    write("RouterFrame", "bad-line", rframe(8, struct.pack(">IQQH", 3, 1, 2, 9) + b"Mina:hi\n"))


# -- RESP: replies of every RESP2 and RESP3 type.

def resp_seeds():
    seeds = {
        "simple": "+OK\r\n",
        "error": "-ERR unknown command 'foo'\r\n",
        "integer": ":1000\r\n:-42\r\n",
        "bulk": "$5\r\nhello\r\n",
        "bulk-empty": "$0\r\n\r\n",
        "bulk-null": "$-1\r\n",
        "array": "*3\r\n$3\r\nSET\r\n:1\r\n+x\r\n",
        "array-null": "*-1\r\n",
        "array-nested": "*2\r\n*2\r\n:1\r\n:2\r\n*0\r\n",
        "null": "_\r\n",
        "boolean": "#t\r\n#f\r\n",
        "double": ",3.14\r\n,inf\r\n,-inf\r\n,nan\r\n,1e-5\r\n",
        "big-number": "(3492890328409238509324850943850943825024385\r\n",
        "bulk-error": "!21\r\nSYNTAX invalid syntax\r\n",
        "verbatim": "=15\r\ntxt:Some string\r\n",
        "map": "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
        "set": "~3\r\n+a\r\n+b\r\n:3\r\n",
        "attribute": "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:2039123\r\n",
        "push": ">3\r\n$7\r\nmessage\r\n$4\r\nroom\r\n$5\r\nhello\r\n",
        "xrange": "*1\r\n*2\r\n$15\r\n1700000000000-0\r\n*4\r\n$4\r\nname\r\n$4\r\nMina\r\n$4\r\ntext\r\n$2\r\nhi\r\n",
        "hello3": "%3\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n",
        "bad-crlf": "$3\r\nabcd\r\n",
        "unknown-type": "?x\r\n",
    }
    for name, data in seeds.items():
        write("RESP", name, data)


# -- JWT: tokens signed with the harness's secret (and others), and
#    header NUL claims inputs for the harness's signing mode.

SECRET = b"machat-fuzz-secret"
NOW = 1700000000


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def token(header, claims, secret=SECRET):
    signing = b64url(json.dumps(header).encode()) + b"." + b64url(json.dumps(claims).encode())
    return signing + b"." + b64url(hmac.new(secret, signing, hashlib.sha256).digest())


def jwt_seeds():
    hs = {"alg": "HS256", "typ": "JWT"}
    full = {"sub": "Mina", "rooms": ["dev", "team-*"], "iat": NOW - 10, "nbf": NOW - 5, "exp": NOW + 3600}
    seeds = {
        "token-valid": token(hs, full),
        "token-minimal": token({"alg": "HS256"}, {"sub": "Jo", "exp": NOW + 60}),
        "token-expired": token(hs, {"sub": "Mina", "exp": NOW - 31}),
        "token-not-yet": token(hs, {"sub": "Mina", "exp": NOW + 99, "nbf": NOW + 31}),
        "token-other-secret": token(hs, full, b"another secret"),
        "token-older-secret": token(hs, full, b"an older secret"),
        "token-alg-none": b64url(b'{"alg":"none"}') + b"." + b64url(json.dumps(full).encode()) + b".",
        "token-typ": token({"alg": "HS256", "typ": "application/JWT", "kid": "k1"}, full),
        "token-crit": token({"alg": "HS256", "crit": ["exp"]}, full),
        "token-jwe": b"a.b.c.d.e",
        "token-padding": token(hs, full).replace(b".", b"=.", 1),
        "signed-full": json.dumps(hs).encode() + b"\x00" + json.dumps(full).encode(),
        "signed-fraction": b'{"alg":"HS256"}\x00{"sub":"x","exp":1.7000036e9,"nbf":-1.5,"iat":0.0}',
        "signed-big": b'{"alg":"HS256"}\x00{"sub":"x","exp":9223372036854775807,"nbf":-9223372036854775808}',
        "signed-overflow": b'{"alg":"HS256"}\x00{"sub":"x","exp":92233720368547758070}',
        "signed-star": b'{"alg":"HS256"}\x00{"sub":"x","exp":1800000000,"rooms":["*","a*b","\\u00e9*"]}',
        "signed-types": b'{"alg":"HS256"}\x00{"sub":"x","exp":"soon","rooms":[1]}',
        "claims-only": json.dumps({"sub": "M\u00edna \ud83d\ude00", "exp": NOW + 1e3, "extra": {"a": [None, True]}}),
        "claims-duplicate": b'{"sub":"a","sub":"b","exp":1800000000}',
    }
    for name, data in seeds.items():
        write("JWT", name, data)


# -- ProxyHeader: v1 text and v2 binary headers (haproxy's proxy-protocol.txt),
#    packed with struct and socket.inet_pton, each followed by a join.

def proxy_v2(command, family, block, tlvs=b""):
    signature = b"\r\n\r\n\x00\r\nQUIT\n"
    body = block + tlvs
    return signature + bytes([0x20 | command, family]) + struct.pack(">H", len(body)) + body


def proxy_seeds():
    join = b'{"name":"Mina","room":"dev"}\n'
    v4 = socket.inet_pton(socket.AF_INET, "203.0.113.7") + socket.inet_pton(socket.AF_INET, "192.0.2.1")
    v6 = socket.inet_pton(socket.AF_INET6, "2001:db8::7") + socket.inet_pton(socket.AF_INET6, "2001:db8::1")
    ports = struct.pack(">HH", 40000, 8080)
    unix = b"/run/client.sock".ljust(108, b"\x00") + b"/run/machat.sock".ljust(108, b"\x00")
    seeds = {
        "v1-tcp4": b"PROXY TCP4 203.0.113.7 192.0.2.1 40000 8080\r\n" + join,
        "v1-tcp6": b"PROXY TCP6 2001:db8::7 2001:db8::1 40000 8080\r\n" + join,
        "v1-tcp6-full": b"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        b" 65535 65535\r\n",
        "v1-unknown": b"PROXY UNKNOWN\r\n" + join,
        "v1-unknown-rest": b"PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n",
        "v1-bad-port": b"PROXY TCP4 203.0.113.7 192.0.2.1 65536 8080\r\n",
        "v1-leading-zero": b"PROXY TCP4 203.0.113.007 192.0.2.1 40000 8080\r\n",
        "v1-no-crlf": b"PROXY TCP4 203.0.113.7 192.0.2.1 40000 8080\n",
        "v1-too-long": b"PROXY TCP4 " + b"1" * 120 + b"\r\n",
        "v2-tcp4": proxy_v2(1, 0x11, v4 + ports) + join,
        "v2-tcp6": proxy_v2(1, 0x21, v6 + ports) + join,
        "v2-udp4": proxy_v2(1, 0x12, v4 + ports),
        "v2-unix": proxy_v2(1, 0x31, unix),
        "v2-local": proxy_v2(0, 0x00, b"") + join,
        "v2-unspec": proxy_v2(1, 0x00, b""),
        "v2-tlvs": proxy_v2(1, 0x11, v4 + ports, b"\x01\x00\x02h2" + b"\x02\x00\x0bexample.com" + b"\x04\x00\x00"),
        "v2-short-block": proxy_v2(1, 0x21, v4 + ports),
        "v2-bad-version": b"\r\n\r\n\x00\r\nQUIT\n\x31\x11\x00\x0c" + v4 + ports,
        "v2-bad-command": b"\r\n\r\n\x00\r\nQUIT\n\x2f\x11\x00\x0c" + v4 + ports,
        "v2-max": proxy_v2(1, 0x11, v4 + ports, b"\xee" + struct.pack(">H", 505) + b"x" * 505),
        "not-proxy": join,
    }
    for name, data in seeds.items():
        write("ProxyHeader", name, data)


def main():
    for target in ("Join", "LineFramer", "HTTPRequest", "WebSocketServer", "WebSocketClient", "RouterFrame", "RESP",
                   "JWT", "ProxyHeader"):
        clear(target)
    join_seeds()
    line_seeds()
    http_seeds()
    websocket_seeds()
    router_seeds()
    resp_seeds()
    jwt_seeds()
    proxy_seeds()


if __name__ == "__main__":
    main()
