"""What the test server answers with: scripted replies and the gateway's error envelopes."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final, Literal

JSONDict = dict[str, Any]
LineEnding = Literal["\n", "\r\n", "\r"]
ReasoningField = Literal["reasoning_content", "reasoning", "think_tags", "think_tags_open"]
_REASONING_FIELDS: Final = ("reasoning_content", "reasoning", "think_tags", "think_tags_open")
# The shapes that carry the reasoning inside the content.
_IN_CONTENT: Final = ("think_tags", "think_tags_open")

AUTO: Final = "auto"


@dataclass
class ScriptedToolCall:
    """One function call in a :class:`Reply`; a dict ``arguments`` is sent as JSON text."""

    name: str
    arguments: str | JSONDict
    id: str | None = None

    def __post_init__(self) -> None:
        if self.id is None:
            self.id = f"call_{uuid.uuid4().hex[:24]}"

    @property
    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)


@dataclass(kw_only=True)
class Reply:
    """A successful chat completion, sent whole or as a stream depending on the request.

    A stream leaves one write per event; ``coalesce=True`` batches events into 64 KiB writes,
    for replies of many megabytes. ``write_size=n`` sends each write as n-byte slices, each
    its own HTTP chunk and socket write, so events and multi-byte characters straddle reads.

    ``reasoning_field`` is the shape the reasoning is sent in: ``"reasoning_content"``
    (Anyfast's), ``"reasoning"`` (vLLM's and some gateways'), ``"think_tags"``: inside
    ``<think>…</think>`` at the start of the content, as llama.cpp's
    ``--reasoning-format none`` sends it, or ``"think_tags_open"``: the content starts
    inside the thinking and only closes it (``reasoning</think>answer``), as that server
    sends it when the chat template writes ``<think>`` into the prompt (DeepSeek-R1's
    distills, Qwen3's thinking-2507 models); with no reasoning the content still starts
    with ``</think>``. Both are streamed with the content, so ``chunk_size`` cuts the tags
    too.
    """

    content: str = ""
    reasoning: str | None = None
    reasoning_field: ReasoningField = "reasoning_content"
    tool_calls: list[ScriptedToolCall] = field(default_factory=list)
    finish_reason: str | None = AUTO
    usage: JSONDict | Literal[False] | None = None
    include_reasoning_tokens: bool = True
    model: str | None = None
    id: str | None = None
    created: int | None = None
    chunk_size: int = 8
    delay: float = 0.0
    chunk_delay: float = 0.0
    coalesce: bool = False
    write_size: int | None = None
    ping: bool = False
    cut_after: int | None = None
    error_after: int | None = None
    error: JSONDict | None = None
    line_ending: LineEnding = "\n"
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        if self.write_size is not None and self.write_size < 1:
            raise ValueError("write_size must be at least 1")
        if self.line_ending not in ("\n", "\r\n", "\r"):
            raise ValueError("line_ending must be '\\n', '\\r\\n' or '\\r'")
        if self.reasoning_field not in _REASONING_FIELDS:
            raise ValueError(
                f"reasoning_field={self.reasoning_field!r}: use one of "
                f"{', '.join(map(repr, _REASONING_FIELDS))}"
            )

    @property
    def reasoning_key(self) -> str | None:
        """The field the reasoning goes in; None when it goes inside the content."""
        return None if self.reasoning_field in _IN_CONTENT else self.reasoning_field

    @property
    def sent_content(self) -> str:
        """The content as sent: after the tagged reasoning for ``"think_tags"``, after
        the reasoning and its closing tag for ``"think_tags_open"`` (the template opened it)."""
        if self.reasoning_field == "think_tags_open":
            thought = f"{self.reasoning}\n" if self.reasoning is not None else ""
            return f"{thought}</think>\n\n{self.content}"
        if self.reasoning_key is None and self.reasoning is not None:
            return f"<think>\n{self.reasoning}\n</think>\n\n{self.content}"
        return self.content

    @property
    def resolved_finish_reason(self) -> str | None:
        if self.finish_reason != AUTO:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"


@dataclass
class ErrorReply:
    """An HTTP error; ``body=None`` sends the gateway's standard error envelope."""

    status: int
    body: str | bytes | JSONDict | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Responder = Callable[[JSONDict], "Reply | ErrorReply"]


# --- error envelopes -------------------------------------------------------------------------


def request_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + uuid.uuid4().hex[:12]


def error_envelope(
    message: str, *, kind: str, code: str | None, param: str | None = None
) -> JSONDict:
    """The gateway's error shape; it tags every message with its request id."""
    error: JSONDict = {
        "message": f"{message} (request id: {request_id()})",
        "type": kind,
        "code": code,
    }
    if param is not None:
        error["param"] = param
    return {"error": error}


# Two sources of errors, in two shapes. The gateway (Anyfast runs the new-api gateway [P])
# answers what it checks itself: the key, the body's JSON, the required fields, the model's
# channel. What it forwards comes from upstream (Alibaba DashScope's OpenAI-compatible mode),
# whose own message is kept. Both get "(request id: ...)" appended by the gateway [C].
GATEWAY_ERROR_TYPE: Final = "new_api_error"


def gateway_error(
    status: int, message: str, *, code: str | None, param: str | None = None
) -> ErrorReply:
    """An error the gateway raises before any model sees the request."""
    # guess: type "new_api_error" and these codes are what the new-api gateway writes for
    # its own errors; no Anyfast response has been captured yet.
    envelope = error_envelope(message, kind=GATEWAY_ERROR_TYPE, code=code, param=param)
    return ErrorReply(status, envelope)


def upstream_error(
    status: int, message: str, *, code: str | None, param: str | None = None
) -> ErrorReply:
    """An error the model's provider raised, passed on by the gateway."""
    # guess: DashScope's compatible mode answers a bad parameter with type
    # "invalid_request_error", code "invalid_parameter_error" and its "<400> ..." prefix
    # (DashScope docs); that the gateway forwards it unchanged is probable, not seen.
    kind = "invalid_request_error" if status < 500 else "upstream_error"
    return ErrorReply(status, error_envelope(message, kind=kind, code=code, param=param))


def default_error_body(status: int) -> JSONDict:
    """The body of an ``ErrorReply`` scripted without one."""
    # guess: types and codes for statuses nobody has seen from Anyfast, in the OpenAI style.
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    kinds = {401: "authentication_error", 429: "rate_limit_error"}
    kind = kinds.get(status, "invalid_request_error" if status < 500 else "upstream_error")
    code = phrase.lower().replace(" ", "_").replace("-", "_")
    return error_envelope(phrase, kind=kind, code=code)


def default_stream_error() -> JSONDict:
    """What moderation cutting a stream short looks like."""
    message = f"Output data may contain inappropriate content. (request id: {request_id()})"
    return {"message": message, "type": "data_inspection_failed", "code": "data_inspection_failed"}
