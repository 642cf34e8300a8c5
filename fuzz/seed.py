#!/usr/bin/env python3
"""Builds the seed corpus of every fuzz target from the conformance cases
(tests/conformance/*.json, the copies of the http-parser and h11 suites) and
the test fixtures (tests/fixtures/chat/*.sse), plus a few hand-written seeds
per target. Run from anywhere; it rewrites fuzz/corpus/<target>/seed-* and
leaves files the fuzzer added (named by their hash) alone.

    python3 fuzz/seed.py

Each target's input layout (control bytes first) is documented at its
function in src/fuzzing/.
"""
import base64
import glob
import json
import os
import re
import struct
import zlib

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
TARGETS = ["response_head", "response_stream", "chunked", "request_encode",
           "url", "sse", "differential_httparse", "multipart_form",
           "ws_decoder", "cookie"]


def cases():
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/conformance/*.json"))):
        if path.endswith("INDEX.json"):
            continue
        with open(path) as f:
            for case in json.load(f):
                if not case.get("raw_base64"):
                    continue  # generated cases are large: the fuzzer makes its own
                raw = base64.b64decode(case["raw_base64"])
                name = re.sub(r"[^A-Za-z0-9]+", "_", case["id"]).strip("_")
                yield name, case["mode"], raw


def head_of(raw):
    end = raw.find(b"\r\n\r\n")
    return raw if end < 0 else raw[:end + 4]


def chunked_body(raw):
    head = head_of(raw)
    if b"chunked" not in head.lower() or head == raw:
        return None
    return raw[len(head):]


def ws_frame(opcode, payload, fin=True, rsv1=False):
    """An unmasked frame, as a server sends it (RFC 6455 §5.2)."""
    head = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + struct.pack(">H", n)
    else:
        head += bytes([127]) + struct.pack(">Q", n)
    return head + payload


def ws_deflate(messages):
    """Compressed frames (RFC 7692 §7.2.1), one window for all: each
    message flushed, the empty stored block's 00 00 ff ff stripped."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = b""
    for text in messages:
        data = compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH)
        assert data.endswith(b"\x00\x00\xff\xff")
        out += ws_frame(0x1, data[:-4], rsv1=True)
    return out


def ws_seeds():
    """ws_decoder: a control byte (bit 0 deflate, bit 1 no context
    takeover, bit 2 tiny limits, bits 3-7 piece size), a split byte, then
    server frames."""
    text = ws_frame(0x1, '{"type":"response.output_text.delta","delta":"héllo"}'.encode())
    binary = ws_frame(0x2, bytes(range(200)))
    fragmented = (ws_frame(0x1, "κό".encode(), fin=False) + ws_frame(0x9, b"ping")
                  + ws_frame(0x0, "σμε".encode()[:3], fin=False) + ws_frame(0xA, b"")
                  + ws_frame(0x0, "σμε".encode()[3:]))
    close = ws_frame(0x8, struct.pack(">H", 1011) + b"server error")
    deflated = ws_deflate([b"Hello", b"Hello again, Hello", b"x" * 300])
    return {
        "text": b"\x18\x07" + text,
        "binary_bytewise": b"\x00\x31" + binary,
        "fragmented_ping": b"\x10\x05" + fragmented,
        "close_1011": b"\x08\x01" + close,
        "session": b"\x20\x0b" + text + fragmented + binary + close,
        "tiny_limits": b"\x1c\x03" + binary + text,
        "deflate": b"\x19\x09" + deflated + close,
        "deflate_no_takeover": b"\x0b\x02" + ws_deflate([b"Hello"]) + ws_deflate([b"Hello"]),
        "deflate_bytewise": b"\x01\x11" + deflated,
        "rfc7692_hello": b"\x21\x02" + bytes([0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]),
    }


def main():
    seeds = {t: {} for t in TARGETS}
    for name, mode, raw in cases():
        method = {"HEAD": 1, "CONNECT": 2}.get(mode.get("request_method"), 0)
        eof = 4 if mode.get("eof_after_raw") else 0
        seeds["response_stream"][name] = bytes([method | eof | 0x30, 0x40]) + raw
        seeds["response_head"][name] = b"\x05" + head_of(raw)
        seeds["differential_httparse"][name] = head_of(raw)
        body = chunked_body(raw)
        if body is not None:
            seeds["chunked"][name] = bytes([0x0c | (eof >> 1), 0x20]) + body

    hand = {
        "response_head": {
            "tiny_limits": b"\x85HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n",
            "obs_text": b"\x11HTTP/1.1 200 \xe9t\xe9\r\nX: \x80\xff\t v \r\n\r\n",
        },
        "chunked": {
            "ext_trailers": b"\x00\x10" + b'5 ; a = "x;\\"y" ;b\r\nhello\r\n0\r\nT: v\r\n\r\n',
            "tiny": b"\x01\x05" + b"ffff\r\n" + b"x" * 40 + b"\r\n0\r\n\r\n",
        },
        "differential_httparse": {
            "bare_lf": b"HTTP/1.1 200 OK\nA: b\n\n",
            "empty_lines": b"\r\n" * 6 + b"HTTP/1.1 200 OK\r\n\r\n",
            "http09": b"HTTP/0.9 200 OK\r\n\r\n",
            "http15": b"HTTP/1.5 200 OK\r\nA: b\r\n\r\n",
            "status_099": b"HTTP/1.1 099 Low\r\n\r\n",
            "obs_text_reason": b"HTTP/1.1 200 \xe9t\xe9\r\nA:\tb \r\n\r\n",
        },
        "request_encode": {
            "get": b"\x00GET\xff/\xffexample.com\xffAccept\xff*/*",
            "post_length": b"\x05POST\xff/v1/chat\xffapi.example.com:8443\xffContent-Type\xffapplication/json\xff{\"a\":1}",
            "chunked": b"\x0aPUT\xff/up?x=1\xffh\xffX-A\xff  padded\t\xffhello world, in chunks",
            "own_host": b"\x00GET\xffhttp://proxy.example/x\xffh\xffhost\xff other:81 \xffA\xffb",
            "injection": b"\x01GET\xff/\xffh\xffA\xffb\r\nInjected: 1\xff",
            "framing_field": b"\x01GET\xff/\xffh\xffContent-Length\xff5\xffabc",
            "bad_method": b"\x00G T\xff/\xffh",
            "ipv6_host": b"\x00OPTIONS\xff*\xff[::1]:8080",
        },
        "url": {
            "rfc3986_base": b"http://a/b/c/d;p?q\n../../g",
            "dots": b"http://a/b/c/d;p?q\n./g/./h/../i",
            "query_only": b"https://h/p/q?x\n?y=1#f",
            "scheme_relative": b"https://h/p\n//other.example:8080/x?y",
            "absolute": b"http://h/\nHTTPS://User:Pw@[::1]:443/a%2Fb",
            "ipv4": b"http://0x7f.1/\n127.0.0.1",
            "non_ascii": b"http://h/caf\xc3\xa9 x?q=\xc3\xa9\nr\xc3\xa9f \\x",
            "userinfo": b"http://u:p@h:80/a\n../b",
        },
    }
    # multipart_form: the boundary's line, then the body.
    hand["multipart_form"] = {
        "field_and_file": b"XyZ\n--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n"
                          b"whisper-1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
                          b"filename=\"a%22b.wav\"\r\nContent-Type: audio/wav\r\n\r\n"
                          b"RIFF\r\n--Xy\0\r\n--XyZ--\r\n",
        "preamble_padding": b"b\npreamble\r\n--b \t\r\nContent-Disposition: form-data; name=x\r\n\r\n"
                            b"1\r\n--b--epilogue",
        "empty": b"b\n--b--\r\n",
        "no_head": b"b\n--b\r\n\r\ndata\r\n--b--",
    }
    hand["ws_decoder"] = ws_seeds()
    # cookie: Set-Cookie fields, one a line; an odd first byte means they
    # came from http://, else https://.
    hand["cookie"] = {
        "attributes": b"sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax\nsid=plain; Max-Age=60\n"
                      b"old=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT",
        "http_domains": b"\x01a=1; Domain=h.example\nb=2; Domain=.example\n"
                        b"__Host-c=3; Secure; Path=/\nnameless\n=\n"
                        b"d=4; Expires=Sunday, 06-Nov-94 08:49:37 GMT; Max-Age=-1",
        "limits": b"e=5; expires=Fri, 31 Dec 9999 23:59:59 GMT\n"
                  b"f=6; Max-Age=99999999999999999999\ng=7; Path=/a; path=relative\n"
                  b"h=\t8\t; samesite=strict",
    }
    for target, files in hand.items():
        for name, data in files.items():
            seeds[target][name] = data

    for fixture in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/chat/*.sse"))):
        with open(fixture, "rb") as f:
            data = f.read()
        name = os.path.basename(fixture)[:-4]
        seeds["sse"][name] = b"\x02" + data
        seeds["sse"][name + "_bytewise"] = b"\x00" + data

    for target, files in seeds.items():
        directory = os.path.join(FUZZ, "corpus", target)
        os.makedirs(directory, exist_ok=True)
        for old in glob.glob(os.path.join(directory, "seed-*")):
            os.remove(old)
        for name, data in files.items():
            with open(os.path.join(directory, "seed-" + name), "wb") as f:
                f.write(data)
        print(f"{target}: {len(files)} seeds")


if __name__ == "__main__":
    main()
