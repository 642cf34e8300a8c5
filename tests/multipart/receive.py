"""Receives multipart/form-data uploads over loopback and parses each with
two parsers that brisk's authors did not write: python-multipart (the
parser inside Starlette and FastAPI) and the `multipart` package (in strict
mode). Answers each request with JSON of what arrived, per parser:

    {"python_multipart": [part, ...], "multipart": [part, ...],
     "framing": "content-length" | "chunked", "body_bytes": N}

where a part is {"name", "filename", "content_type", "size", "sha256"}
and, for parts up to 64 KiB, "data" (the bytes as latin-1 text, one
character per byte). A parser that refuses the body is reported as
{"error": "..."} in its place.

The body is fed to both parsers in the pieces it arrives in, never held
whole: a 200 MB upload costs this process a few buffers.

Run by tests/multipart_interop.rs: `python receive.py` prints
`listening PORT` and serves until stdin closes or it is killed.
"""

import hashlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import multipart
from python_multipart.multipart import MultipartParser, parse_options_header

SMALL = 64 * 1024
PIECE = 256 * 1024


class Part:
    def __init__(self, name, filename, content_type):
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.size = 0
        self.hash = hashlib.sha256()
        self.data = bytearray()

    def feed(self, data):
        self.size += len(data)
        self.hash.update(data)
        if len(self.data) <= SMALL:
            self.data += data[: SMALL + 1 - len(self.data)]

    def report(self):
        out = {
            "name": self.name,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.hash.hexdigest(),
        }
        if self.size <= SMALL:
            out["data"] = bytes(self.data).decode("latin-1")
        return out


class PythonMultipart:
    """python-multipart's streaming parser, through its callbacks."""

    def __init__(self, boundary):
        self.parts = []
        self.field = b""
        self.value = b""
        self.headers = {}
        self.ended = False
        callbacks = {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda d, s, e: self.add("field", d[s:e]),
            "on_header_value": lambda d, s, e: self.add("value", d[s:e]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": lambda d, s, e: self.parts[-1].feed(bytes(d[s:e])),
            "on_end": self.end,
        }
        self.parser = MultipartParser(boundary, callbacks)

    def add(self, which, data):
        setattr(self, which, getattr(self, which) + bytes(data))

    def part_begin(self):
        self.headers = {}

    def header_end(self):
        self.headers[self.field.decode("latin-1").lower()] = self.value
        self.field, self.value = b"", b""

    def headers_finished(self):
        _, params = parse_options_header(self.headers.get("content-disposition", b""))
        name = params.get(b"name")
        filename = params.get(b"filename")
        ctype = self.headers.get("content-type")
        self.parts.append(
            Part(
                name.decode("utf-8") if name is not None else None,
                filename.decode("utf-8") if filename is not None else None,
                ctype.decode("utf-8") if ctype is not None else None,
            )
        )

    def end(self):
        self.ended = True

    def feed(self, chunk):
        self.parser.write(chunk)

    def finish(self):
        self.parser.finalize()
        if not self.ended:
            raise ValueError("python-multipart: the body ended before its close delimiter")
        return [p.report() for p in self.parts]


class Multipart:
    """The `multipart` package's push parser, strict."""

    def __init__(self, boundary):
        self.parts = []
        self.parser = multipart.PushMultipartParser(
            boundary, max_header_count=16, strict=True
        )

    def feed(self, chunk):
        for event in self.parser.parse(chunk):
            if isinstance(event, multipart.MultipartSegment):
                self.parts.append(Part(event.name, event.filename, event.content_type))
            elif event:
                self.parts[-1].feed(bytes(event))

    def finish(self):
        self.parser.close()
        return [p.report() for p in self.parts]


def boundary_of(content_type):
    kind, params = parse_options_header(content_type.encode("latin-1"))
    if kind != b"multipart/form-data" or b"boundary" not in params:
        raise ValueError("not multipart/form-data: " + content_type)
    return params[b"boundary"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def pieces(self):
        """The body in the pieces it arrives in, de-chunked."""
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                left = size
                while left:
                    data = self.rfile.read(min(left, PIECE))
                    if not data:
                        raise ValueError("the chunked body ended early")
                    left -= len(data)
                    yield data
                self.rfile.readline()
        else:
            left = int(self.headers.get("content-length", "0"))
            while left:
                data = self.rfile.read(min(left, PIECE))
                if not data:
                    raise ValueError("the body ended before its Content-Length")
                left -= len(data)
                yield data

    def do_POST(self):
        boundary = boundary_of(self.headers.get("content-type", ""))
        parsers = {"python_multipart": PythonMultipart(boundary), "multipart": Multipart(boundary)}
        errors = {}
        total = 0
        for piece in self.pieces():
            total += len(piece)
            for key, parser in parsers.items():
                if key in errors:
                    continue
                try:
                    parser.feed(piece)
                except Exception as e:  # noqa: BLE001: any refusal is reported
                    errors[key] = f"{type(e).__name__}: {e}"
        out = {
            "framing": "chunked" if "transfer-encoding" in self.headers else "content-length",
            "body_bytes": total,
        }
        for key, parser in parsers.items():
            if key not in errors:
                try:
                    out[key] = parser.finish()
                    continue
                except Exception as e:  # noqa: BLE001
                    errors[key] = f"{type(e).__name__}: {e}"
            out[key] = {"error": errors[key]}
        body = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"listening {server.server_address[1]}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Serve until the test closes our stdin (or kills us).
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
