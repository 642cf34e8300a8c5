"""The official openai-python SDK against brisk's mock server.

Starts the command it is given (`cargo run --example mock --`, with
scripting flags added here), reads the base URL from its first line, and
makes four calls the way an application would: a plain reply, a streamed
one, a tool call and an exhausted quota. Any mismatch exits non-zero.
Run through tests/sdk/run.sh, which makes the virtualenv.
"""

import json
import os
import re
import signal
import subprocess
import sys

import openai

# "Hello, 世界" as the mock streams it: the split documented on
# `brisk::mock::Answer::text`.
TEXT = "Hello, 世界"
PIECES = ["Hello", ",", " 世", "界"]


def start_mock(command):
    flags = [
        "--model", 'weather=tool:get_weather:{"city":"Paris"}',
        "--model", "broke=quota",
    ]
    # A session of its own, so that stopping it stops cargo's child too.
    proc = subprocess.Popen(
        command + flags, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    line = proc.stdout.readline()
    found = re.match(r"(http://\S+)$", line.strip())
    if not found:
        proc.kill()
        sys.exit(f"the mock did not start (first line: {line!r})")
    return proc, found.group(1)


def check(what, got, want):
    if got != want:
        sys.exit(f"{what}: got {got!r}, want {want!r}")


def calls(base_url):
    client = openai.OpenAI(base_url=base_url, api_key="sk-mock", max_retries=0, timeout=30)
    messages = [{"role": "user", "content": TEXT}]

    reply = client.chat.completions.create(model="mock-model", messages=messages)
    check("plain content", reply.choices[0].message.content, TEXT)
    check("plain finish_reason", reply.choices[0].finish_reason, "stop")
    check("plain model", reply.model, "mock-model")

    stream = client.chat.completions.create(
        model="mock-model",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, finish, usage = [], None, None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            finish = choice.finish_reason or finish
    check("streamed pieces", pieces, PIECES)
    check("streamed finish_reason", finish, "stop")
    check("streamed usage", usage is not None and usage.completion_tokens, len(PIECES))

    tools = [{
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }]
    reply = client.chat.completions.create(model="weather", messages=messages, tools=tools)
    call = reply.choices[0].message.tool_calls[0]
    check("tool name", call.function.name, "get_weather")
    check("tool arguments", json.loads(call.function.arguments), {"city": "Paris"})
    check("tool finish_reason", reply.choices[0].finish_reason, "tool_calls")

    try:
        client.chat.completions.create(model="broke", messages=messages)
        sys.exit("quota: the call succeeded")
    except openai.RateLimitError as e:
        check("quota status", e.status_code, 429)
        check("quota code", e.code, "insufficient_quota")


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: openai_python.py MOCK-COMMAND...")
    proc, base_url = start_mock(sys.argv[1:])
    try:
        calls(base_url)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
    print(f"openai-python {openai.__version__}: plain, streamed, tool call and quota error "
          f"against brisk's mock at {base_url}: ok")


if __name__ == "__main__":
    main()
