"""Request validation, as the real endpoint answers a bad request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from anyfast_client.testing._text import (
    is_int,
    is_number,
    message_text,
    messages_of,
    parts,
)
from anyfast_client.testing.replies import ErrorReply, JSONDict, gateway_error, upstream_error

CHAT_MODELS: Final = ("qwen3.6-flash",)
EMBEDDING_MODELS: Final = ("doubao-embedding",)
MAX_OUTPUT_TOKENS: Final = 65536
PART_TYPES: Final = ("text", "image_url", "video_url")
UPSTREAM_PREFIX: Final = "<400> InternalError.Algo.InvalidParameter: "


@dataclass(frozen=True)
class _Range:
    name: str
    low: float
    high: float
    open_low: bool = False
    integer: bool = False

    def problem(self, value: Any) -> str | None:
        if not (is_int(value) if self.integer else is_number(value)):
            kind = "an integer" if self.integer else "a number"
            return f"{self.name} must be {kind}"
        too_low = value <= self.low if self.open_low else value < self.low
        if too_low or value > self.high:
            return f"Range of {self.name} should be {self._interval()}"
        return None

    def _interval(self) -> str:
        if self.integer:
            return f"[{int(self.low)}, {int(self.high)}]"
        return f"{'(' if self.open_low else '['}{self.low}, {self.high}]"


# The ranges Anyfast documents [C], except where marked.
_RANGES: Final = (
    _Range("temperature", 0.0, 2.0),
    # 0 is documented as valid; upstream alone refuses exactly 0, but the gateway clamps it
    # to 0.01 before forwarding [P], so a client sees 0 accepted.
    _Range("top_p", 0.0, 1.0),
    _Range("max_completion_tokens", 1, MAX_OUTPUT_TOKENS, integer=True),
    # guess: max_tokens, OpenAI's older name, is undocumented; it gets the same range.
    _Range("max_tokens", 1, MAX_OUTPUT_TOKENS, integer=True),
    _Range("frequency_penalty", -2.0, 2.0),
    _Range("presence_penalty", -2.0, 2.0),
    # guess: "int > 0" is documented upstream [P]; the upper bound is the int32 limit.
    _Range("thinking_budget", 1, 2**31 - 1, integer=True),
)


def _invalid(message: str, param: str) -> ErrorReply:
    """A parameter upstream refuses, in upstream's words."""
    code = "invalid_parameter_error"
    return upstream_error(400, UPSTREAM_PREFIX + message, code=code, param=param)


def _check_model_in(request: JSONDict, models: tuple[str, ...]) -> ErrorReply | None:
    # guess: new-api's wording and codes for a missing model and a model with no channel.
    model = request.get("model")
    if not isinstance(model, str) or not model:
        return gateway_error(400, "field model is required", code="invalid_request", param="model")
    if model not in models:
        message = f"model {model} not found: no available channel for it"
        return gateway_error(404, message, code="model_not_found", param="model")
    return None


def _check_model(request: JSONDict) -> ErrorReply | None:
    return _check_model_in(request, CHAT_MODELS)


def _message_problem(index: int, message: Any) -> str | None:
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        return f"messages[{index}].role is required"
    for number, part in enumerate(parts(message)):
        if part.get("type") not in PART_TYPES:
            allowed = ", ".join(PART_TYPES)
            return f"messages[{index}].content[{number}].type must be one of {allowed}"
    return None


def _check_messages(request: JSONDict) -> ErrorReply | None:
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        # guess: new-api's own check, made before the request leaves the gateway.
        message = "field messages is required: a non-empty array"
        return gateway_error(400, message, code="invalid_request", param="messages")
    for index, message in enumerate(messages):
        problem = _message_problem(index, message)
        if problem is not None:
            return _invalid(problem, "messages")
    return None


def _check_ranges(request: JSONDict) -> ErrorReply | None:
    for limit in _RANGES:
        value = request.get(limit.name)
        problem = None if value is None else limit.problem(value)
        if problem is not None:
            return _invalid(problem, limit.name)
    return None


def _check_types(request: JSONDict) -> ErrorReply | None:
    stop = request.get("stop")
    if stop is not None and not (isinstance(stop, list) and all(isinstance(s, str) for s in stop)):
        return _invalid("stop must be an array of strings", "stop")
    for name in ("enable_thinking", "stream", "parallel_tool_calls"):
        if name in request and not isinstance(request[name], bool):
            return _invalid(f"{name} must be a boolean", name)
    return None


def mentions_json(request: JSONDict) -> bool:
    return any("json" in message_text(m).lower() for m in messages_of(request))


def _check_json_mode(request: JSONDict) -> ErrorReply | None:
    response_format = request.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_object":
        return None
    if not mentions_json(request):
        message = (
            "'messages' must contain the word 'json' in some form, "
            "to use 'response_format' of type 'json_object'."
        )
        return _invalid(message, "response_format")
    return None


def check_thinking_rules(request: JSONDict) -> ErrorReply | None:
    """Upstream's refusals while thinking: JSON output, and a forced ``tool_choice``.

    The test server applies these to scripted replies too: upstream refuses such a request
    before any model answers it.
    """
    if request.get("enable_thinking") is not True:
        return None
    response_format = request.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "json_object":
        message = "Json mode response is not supported when enable_thinking is true"
        return _invalid(message, "response_format")
    if kind not in (None, "text"):
        # guess: upstream's wording for a structured-output type other than json_object.
        message = f"response_format type {kind} is not supported when enable_thinking is true"
        return _invalid(message, "response_format")
    choice = request.get("tool_choice")
    if choice == "required" or isinstance(choice, dict):
        message = (
            "The tool_choice parameter does not support being set to required or object "
            "in thinking mode"
        )
        return _invalid(message, "tool_choice")
    return None


_CHAT_CHECKS: Final = (
    _check_model,
    _check_messages,
    _check_ranges,
    _check_types,
    check_thinking_rules,
    _check_json_mode,
)


def validate_chat_request(request: JSONDict) -> ErrorReply | None:
    """The error the real endpoint would answer with, or None when the request is fine."""
    for check in _CHAT_CHECKS:
        problem = check(request)
        if problem is not None:
            return problem
    return None


def embedding_inputs(request: JSONDict) -> list[str] | None:
    value = request.get("input")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def validate_embeddings_request(request: JSONDict) -> ErrorReply | None:
    problem = _check_model_in(request, EMBEDDING_MODELS)
    if problem is not None:
        return problem
    # guess: Volcengine Ark's code and wording for a bad input; the gateway passes them on.
    inputs = embedding_inputs(request)
    if not inputs:
        message = "input must be a non-empty string or a non-empty array of strings"
        return upstream_error(400, message, code="InvalidParameter", param="input")
    if request.get("encoding_format", "float") != "float":
        message = "encoding_format only supports float"
        return upstream_error(400, message, code="InvalidParameter", param="encoding_format")
    return None
