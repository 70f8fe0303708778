"""Turning replies into bytes: completion bodies, stream events, error bodies."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from anyfast_client.testing.checks import CHAT_MODELS
from anyfast_client.testing.replies import (
    ErrorReply,
    JSONDict,
    Reply,
    ScriptedToolCall,
    default_error_body,
    default_stream_error,
)
from anyfast_client.testing.simulation import compute_usage

_FLUSH_AT: Final = 64 * 1024


def dumps(value: Any) -> str:
    # Compact and raw UTF-8, as Go's encoding/json in the gateway writes it: a multi-byte
    # character can then fall across two reads, which clients must survive.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- rendering a Reply -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """The fields every chunk of one completion repeats."""

    id: str
    created: int
    model: str

    @classmethod
    def of(cls, reply: Reply, request: JSONDict) -> _Frame:
        model = reply.model or request.get("model")
        return cls(
            id=reply.id or f"chatcmpl-{uuid.uuid4().hex}",
            created=reply.created if reply.created is not None else int(time.time()),
            model=model if isinstance(model, str) else CHAT_MODELS[0],
        )

    def header(self, kind: str) -> JSONDict:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}


def _usage(reply: Reply, request: JSONDict) -> JSONDict | None:
    if reply.usage is False:
        return None
    return reply.usage if reply.usage is not None else compute_usage(request, reply)


def _message(reply: Reply) -> JSONDict:
    message: JSONDict = {"role": "assistant", "content": reply.sent_content}
    key = reply.reasoning_key
    if reply.reasoning is not None and key is not None:
        message[key] = reply.reasoning
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "index": index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json},
            }
            for index, call in enumerate(reply.tool_calls)
        ]
    return message


def completion_body(reply: Reply, request: JSONDict) -> JSONDict:
    """The non-streaming ``chat.completion`` JSON for ``reply``."""
    choice = {
        "index": 0,
        "message": _message(reply),
        "finish_reason": reply.resolved_finish_reason,
        "logprobs": None,
    }
    body = _Frame.of(reply, request).header("chat.completion") | {"choices": [choice]}
    usage = _usage(reply, request)
    if usage is not None:
        body["usage"] = usage
    return body


def _slices(text: str, size: int) -> Iterator[str]:
    for start in range(0, len(text), size):
        yield text[start : start + size]


def _tool_call_deltas(index: int, call: ScriptedToolCall, size: int) -> Iterator[JSONDict]:
    yield {
        "index": index,
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": ""},
    }
    slices = list(_slices(call.arguments_json, size)) or [""]
    for number, part in enumerate(slices):
        delta: JSONDict = {"index": index, "function": {"arguments": part}}
        # Qwen repeats the full id on argument chunks but drops it on some: the last one here.
        if number < len(slices) - 1:
            delta |= {"id": call.id, "type": "function"}
        yield delta


def _deltas(reply: Reply) -> Iterator[JSONDict]:
    key = reply.reasoning_key
    if key is None:  # the reasoning travels inside the content, in <think> tags
        yield {"role": "assistant", "content": ""}
        for part in _slices(reply.sent_content, reply.chunk_size):
            yield {"content": part}
    else:
        yield {"role": "assistant", "content": "", key: ""}
        for part in _slices(reply.reasoning or "", reply.chunk_size):
            yield {"content": None, key: part}
        for part in _slices(reply.content, reply.chunk_size):
            yield {"content": part, key: None}
    for index, call in enumerate(reply.tool_calls):
        for delta in _tool_call_deltas(index, call, reply.chunk_size):
            yield {"tool_calls": [delta]}


def _wants_usage(request: JSONDict) -> bool:
    options = request.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def stream_payloads(reply: Reply, request: JSONDict) -> Iterator[str]:
    """The ``data:`` payloads of a streamed reply, made one at a time so big replies stay cheap."""
    frame = _Frame.of(reply, request)
    head = frame.header("chat.completion.chunk")

    def chunk(delta: JSONDict, finish_reason: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return dumps(head | {"choices": [choice], "usage": None})

    for delta in _deltas(reply):
        yield chunk(delta)
    if reply.resolved_finish_reason is not None:
        yield chunk({}, reply.resolved_finish_reason)
    usage = _usage(reply, request) if _wants_usage(request) else None
    if usage is not None:
        yield dumps(head | {"choices": [], "usage": usage})
    yield "[DONE]"


class ChunkedWriter:
    """HTTP/1.1 chunked body; ``flush`` sends what was written as one chunk.

    Writes are held until ``flush`` or 64 KiB, so a coalesced 20 MB stream is not 3M syscalls.
    """

    def __init__(self, wfile: Any, write_size: int | None = None) -> None:
        self._wfile = wfile
        self._buffer = bytearray()
        self._write_size = write_size

    def write(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= _FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        size = self._write_size or len(self._buffer) or 1
        for start in range(0, len(self._buffer), size):
            part = bytes(self._buffer[start : start + size])
            self._wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self._buffer.clear()

    def close(self) -> None:
        self.flush()
        self._wfile.write(b"0\r\n\r\n")


def _event(payload: str, line_ending: str, ping: bool) -> bytes:
    comment = f": PING{line_ending}{line_ending}" if ping else ""
    return f"{comment}data: {payload}{line_ending}{line_ending}".encode()


def _reached(limit: int | None, count: int, payload: str) -> bool:
    return limit is not None and (count >= limit or payload == "[DONE]")


def write_events(
    writer: ChunkedWriter, reply: Reply, payloads: Iterator[str], stopping: threading.Event
) -> bool:
    """Writes the stream; False means the connection must be cut instead of finished."""
    for count, payload in enumerate(payloads):
        if _reached(reply.cut_after, count, payload):
            return False
        if _reached(reply.error_after, count, payload):
            error = dumps({"error": reply.error or default_stream_error()})
            writer.write(_event(error, reply.line_ending, reply.ping))
            return True
        writer.write(_event(payload, reply.line_ending, reply.ping))
        if not reply.coalesce:
            # One write per event, as a proxy that flushes each upstream event sends it.
            writer.flush()
        if reply.chunk_delay > 0 and stopping.wait(reply.chunk_delay):
            return False
    return True


def merged_headers(defaults: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    overridden = {name.lower() for name in extra}
    kept = {name: value for name, value in defaults.items() if name.lower() not in overridden}
    return kept | extra


def error_payload(error: ErrorReply) -> tuple[bytes, str]:
    body = error.body
    if body is None or isinstance(body, dict):
        return dumps(body or default_error_body(error.status)).encode(), "application/json"
    raw = body.encode() if isinstance(body, str) else body
    looks_html = raw.lstrip()[:1] == b"<"
    return raw, f"text/{'html' if looks_html else 'plain'}; charset=utf-8"
