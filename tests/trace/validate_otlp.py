#!/usr/bin/env python3
"""Checks OTLP/JSON trace exports against the official protobuf schema.

Usage: validate_otlp.py FILE...   (each FILE one POST body)

Each body is parsed by protobuf's json_format into
opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest with
unknown fields refused (ignore_unknown_fields=False): a misspelt field, a
wrong type, an enum given as anything but a known name or number, or a
malformed 64-bit integer fails here.

OTLP/JSON writes trace and span ids as hex where proto3 JSON would write
base64 (the OTLP specification's one deliberate deviation), so json_format
would read them as base64: their form is checked here on the raw JSON
instead (32 and 16 lowercase hex digits, not all zeros).

Prints one JSON line: every span as [traceId, spanId, parentSpanId, name,
kind] from the raw JSON, for the Rust test to check links against what
the servers saw.
"""
import json
import re
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
SPAN_ID = re.compile(r"^[0-9a-f]{16}$")


def check_id(value, pattern, what):
    if not pattern.match(value) or set(value) == {"0"}:
        raise SystemExit("bad %s: %r" % (what, value))


def main():
    out = []
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            raw = f.read()
        message = trace_service_pb2.ExportTraceServiceRequest()
        json_format.Parse(raw, message, ignore_unknown_fields=False)
        if not message.resource_spans:
            raise SystemExit("no resourceSpans in %s" % path)
        doc = json.loads(raw)
        for rs in doc["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    check_id(span["traceId"], TRACE_ID, "traceId")
                    check_id(span["spanId"], SPAN_ID, "spanId")
                    if "parentSpanId" in span:
                        check_id(span["parentSpanId"], SPAN_ID, "parentSpanId")
                    out.append([span["traceId"], span["spanId"],
                                span.get("parentSpanId", ""), span["name"],
                                span["kind"]])
        # The parsed message agrees with the raw JSON on what is not an id.
        parsed = [s for rs in message.resource_spans
                  for ss in rs.scope_spans for s in ss.spans]
        for p in parsed:
            if p.kind != 3 or p.end_time_unix_nano < p.start_time_unix_nano:
                raise SystemExit("bad span %s" % p.name)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
