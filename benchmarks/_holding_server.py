"""A tiny OpenAI-compatible HTTP/1.1 server for the load benchmarks, run in its own process.

It answers chat completions (plain or streamed) and embeddings at once, except that a
round can ask it to hold every answer until ``expect`` requests are in flight: then each
client must really have all its calls open at the same time. It counts the connections
opened, so a benchmark can report how many each client needed.

    process, base_url = start()          # in the benchmark
    control(base_url, expect=200)        # the next 200 requests wait for each other
    control(base_url)                    # -> {"connections": ..., "requests": ...}
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing
import struct
import urllib.request
from typing import Any

_STATE: dict[str, Any] = {"connections": 0, "requests": 0, "expect": 0, "arrived": 0}


def _completion() -> bytes:
    return json.dumps(
        {
            "id": "bench",
            "object": "chat.completion",
            "created": 1,
            "model": "qwen3.6-flash",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Hello from the benchmark."},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11},
        }
    ).encode()


def _stream(chunks: int) -> bytes:
    head = {"id": "bench", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    events = [
        {**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "x"}}]}
        for _ in range(chunks)
    ]
    events.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    usage = {"prompt_tokens": 5, "completion_tokens": chunks, "total_tokens": chunks + 5}
    events.append({**head, "choices": [], "usage": usage})
    lines = [b"data: " + json.dumps(e).encode() + b"\n\n" for e in events]
    return b"".join(lines) + b"data: [DONE]\n\n"


def _embeddings(request: dict[str, Any]) -> bytes:
    texts = request["input"] if isinstance(request["input"], list) else [request["input"]]
    vector = [0.5] * 8
    packed = base64.b64encode(struct.pack("8f", *vector)).decode()
    as_base64 = request.get("encoding_format") == "base64"
    data = [
        {"object": "embedding", "index": i, "embedding": packed if as_base64 else vector}
        for i in range(len(texts))
    ]
    usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
    return json.dumps({"object": "list", "data": data, "model": "e", "usage": usage}).encode()


async def _read(reader: asyncio.StreamReader) -> tuple[str, bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return lines[0].split(" ")[1], body


async def _hold(barrier: asyncio.Event) -> None:
    _STATE["arrived"] += 1
    if _STATE["arrived"] >= _STATE["expect"]:
        barrier.set()
    # A client that can never have them all open at once would wait forever: 20 s at most.
    await asyncio.wait_for(barrier.wait(), 20)


async def _answer(path: str, body: bytes, barrier: asyncio.Event) -> tuple[bytes, bytes]:
    if path.endswith("/control"):
        return b"application/json", _control(body)
    _STATE["requests"] += 1
    if _STATE["expect"]:
        await _hold(barrier)
    request = json.loads(body)
    if path.endswith("/embeddings"):
        return b"application/json", _embeddings(request)
    if request.get("stream"):
        return b"text/event-stream", _stream(int(_STATE.get("chunks", 100)))
    return b"application/json", _completion()


def _control(body: bytes) -> bytes:
    settings = json.loads(body or b"{}")
    report = {k: _STATE[k] for k in ("connections", "requests")}
    _STATE.update(connections=0, requests=0, arrived=0, expect=0)
    _STATE.update(settings)
    _BARRIER[0] = asyncio.Event()
    return json.dumps(report).encode()


_BARRIER: list[asyncio.Event] = []


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    _STATE["connections"] += 1
    try:
        while (got := await _read(reader)) is not None:
            kind, data = await _answer(*got, _BARRIER[0])
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: %s\r\ncontent-length: %d\r\n\r\n"
                % (kind, len(data))
                + data
            )
            await writer.drain()
    except (ConnectionError, TimeoutError):
        pass
    finally:
        writer.close()


async def _main(ready: Any) -> None:
    _BARRIER.append(asyncio.Event())
    server = await asyncio.start_server(_serve_connection, "127.0.0.1", 0, backlog=4096)
    ready.put(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1")
    await server.serve_forever()


def _run(ready: Any) -> None:
    asyncio.run(_main(ready))


def start() -> tuple[multiprocessing.Process, str]:
    """The server in a child process, and its base URL."""
    ready: Any = multiprocessing.Queue()
    process = multiprocessing.Process(target=_run, args=(ready,), daemon=True)
    process.start()
    return process, ready.get(timeout=30)


def control(base_url: str, **settings: Any) -> dict[str, int]:
    """Counts since the last call, then start afresh with ``settings`` (expect, chunks)."""
    request = urllib.request.Request(
        f"{base_url}/control", data=json.dumps(settings).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, int] = json.loads(response.read())
    return result
