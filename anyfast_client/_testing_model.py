"""The pure half of :mod:`anyfast_client.testing`: reply types, request checks, the simulated model.

Everything here is a function of the request JSON, so it can be tested without a socket.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final, Literal, TypeGuard

JSONDict = dict[str, Any]
LineEnding = Literal["\n", "\r\n", "\r"]

AUTO: Final = "auto"
CHAT_MODELS: Final = ("qwen3.6-flash",)
EMBEDDING_MODELS: Final = ("doubao-embedding",)
IMAGE_TOKENS: Final = 85
VIDEO_TOKENS: Final = 200
MAX_OUTPUT_TOKENS: Final = 65536
PART_TYPES: Final = ("text", "image_url", "video_url")
UPSTREAM_PREFIX: Final = "<400> InternalError.Algo.InvalidParameter: "
_WORD = re.compile(r"\S+")


@dataclass
class ToolCall:
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
    """A successful chat completion, sent whole or as a stream depending on the request."""

    content: str = ""
    reasoning: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = AUTO
    usage: JSONDict | Literal[False] | None = None
    include_reasoning_tokens: bool = True
    model: str | None = None
    id: str | None = None
    created: int | None = None
    chunk_size: int = 8
    delay: float = 0.0
    chunk_delay: float = 0.0
    ping: bool = False
    cut_after: int | None = None
    error_after: int | None = None
    error: JSONDict | None = None
    line_ending: LineEnding = "\n"
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        if self.line_ending not in ("\n", "\r\n", "\r"):
            raise ValueError("line_ending must be '\\n', '\\r\\n' or '\\r'")

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


def error_reply(
    status: int, message: str, *, code: str | None, param: str | None = None
) -> ErrorReply:
    kind = "invalid_request_error" if status < 500 else "upstream_error"
    return ErrorReply(status, error_envelope(message, kind=kind, code=code, param=param))


def default_error_body(status: int) -> JSONDict:
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


# --- reading messages ------------------------------------------------------------------------


def word_count(text: str | None) -> int:
    # Counting matches instead of split() keeps a 20 MB reply from becoming millions of strings.
    return sum(1 for _ in _WORD.finditer(text)) if text else 0


def first_words(text: str, count: int) -> str:
    end = 0
    for index, match in enumerate(_WORD.finditer(text)):
        if index == count:
            break
        end = match.end()
    return text[:end] if count > 0 else ""


def _parts(message: Any) -> list[JSONDict]:
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return []
    return [part for part in content if isinstance(part, dict)]


def message_text(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    texts = [p.get("text") for p in _parts(message) if p.get("type") == "text"]
    return " ".join(text for text in texts if isinstance(text, str))


def media_counts(message: Any) -> tuple[int, int]:
    types = [part.get("type") for part in _parts(message)]
    return types.count("image_url"), types.count("video_url")


def messages_of(request: JSONDict) -> list[Any]:
    messages = request.get("messages")
    return messages if isinstance(messages, list) else []


def last_user_message(messages: list[Any]) -> Any:
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    return users[-1] if users else None


def last_role(messages: list[Any]) -> Any:
    last = messages[-1] if messages else None
    return last.get("role") if isinstance(last, dict) else None


# --- usage -----------------------------------------------------------------------------------


def prompt_usage(request: JSONDict) -> tuple[int, int, int]:
    """(text, image, video) tokens of the prompt: a word is a token, media cost a flat rate."""
    text = images = videos = 0
    for message in messages_of(request):
        text += word_count(message_text(message))
        image_count, video_count = media_counts(message)
        images += image_count
        videos += video_count
    return text, images * IMAGE_TOKENS, videos * VIDEO_TOKENS


def compute_usage(request: JSONDict, reply: Reply) -> JSONDict:
    text, image, video = prompt_usage(request)
    reasoning = word_count(reply.reasoning)
    calls = sum(word_count(call.arguments_json) for call in reply.tool_calls)
    completion = word_count(reply.content) + reasoning + calls
    prompt = text + image + video
    usage: JSONDict = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {
            "cached_tokens": 0,
            "text_tokens": text,
            "image_tokens": image,
            "video_tokens": video,
        },
    }
    if reply.reasoning is not None and reply.include_reasoning_tokens:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return usage


# --- request checks --------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class _Range:
    name: str
    low: float
    high: float
    open_low: bool = False
    integer: bool = False

    def problem(self, value: Any) -> str | None:
        if not (_is_int(value) if self.integer else _is_number(value)):
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


_RANGES: Final = (
    _Range("temperature", 0.0, 2.0),
    _Range("top_p", 0.0, 1.0, open_low=True),
    _Range("max_completion_tokens", 1, MAX_OUTPUT_TOKENS, integer=True),
    _Range("max_tokens", 1, MAX_OUTPUT_TOKENS, integer=True),
    _Range("frequency_penalty", -2.0, 2.0),
    _Range("presence_penalty", -2.0, 2.0),
    _Range("thinking_budget", 1, 2**31 - 1, integer=True),
)


def _invalid(message: str, param: str) -> ErrorReply:
    return error_reply(400, UPSTREAM_PREFIX + message, code="invalid_parameter_error", param=param)


def _check_model(request: JSONDict) -> ErrorReply | None:
    model = request.get("model")
    if not isinstance(model, str) or not model:
        return error_reply(400, "field model is required", code="invalid_request", param="model")
    if model not in CHAT_MODELS:
        message = f"model {model} not found: no available channel for it"
        return error_reply(404, message, code="model_not_found", param="model")
    return None


def _message_problem(index: int, message: Any) -> str | None:
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        return f"messages[{index}].role is required"
    for number, part in enumerate(_parts(message)):
        if part.get("type") not in PART_TYPES:
            allowed = ", ".join(PART_TYPES)
            return f"messages[{index}].content[{number}].type must be one of {allowed}"
    return None


def _check_messages(request: JSONDict) -> ErrorReply | None:
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        return _invalid("messages must be a non-empty array", "messages")
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
    if request.get("enable_thinking") is True:
        message = "Json mode response is not supported when enable_thinking is true"
        return _invalid(message, "response_format")
    if not mentions_json(request):
        message = (
            "'messages' must contain the word 'json' in some form, "
            "to use 'response_format' of type 'json_object'."
        )
        return _invalid(message, "response_format")
    return None


def _check_tool_choice(request: JSONDict) -> ErrorReply | None:
    choice = request.get("tool_choice")
    forced = choice == "required" or isinstance(choice, dict)
    if forced and request.get("enable_thinking") is True:
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
    _check_json_mode,
    _check_tool_choice,
)


def validate_chat_request(request: JSONDict) -> ErrorReply | None:
    """The error the real endpoint would answer with, or None when the request is fine."""
    for check in _CHAT_CHECKS:
        problem = check(request)
        if problem is not None:
            return problem
    return None


# --- JSON-schema values ----------------------------------------------------------------------


def _first_number(text: str, pattern: str) -> int | float:
    match = re.search(pattern, text)
    if match is None:
        return 3
    number = match.group()
    return float(number) if "." in number else int(number)


def _schema_type(schema: JSONDict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    return "object" if "properties" in schema else "string"


class SchemaFaker:
    """Builds a value that fits a JSON schema, taking numbers from the user's text."""

    def __init__(self, root: Any, text: str) -> None:
        self._root = root
        self._text = text

    def value(self, schema: Any, depth: int = 0) -> Any:
        schema = self._resolve(schema)
        # A self-referencing schema would otherwise recurse forever.
        if depth > 8 or not isinstance(schema, dict):
            return "example"
        if schema.get("enum"):
            return schema["enum"][0]
        if "const" in schema:
            return schema["const"]
        options = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
        if isinstance(options, list) and options:
            usable = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return self.value((usable or options)[0], depth + 1)
        return self._by_type(schema, depth)

    def _by_type(self, schema: JSONDict, depth: int) -> Any:
        makers: dict[str, Callable[[], Any]] = {
            "object": lambda: self._object(schema, depth),
            "array": list,
            "integer": lambda: int(_first_number(self._text, r"-?\d+")),
            "number": lambda: _first_number(self._text, r"-?\d+(?:\.\d+)?"),
            "boolean": lambda: True,
            "null": lambda: None,
        }
        return makers.get(_schema_type(schema), lambda: "example")()

    def _object(self, schema: JSONDict, depth: int) -> JSONDict:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        result = {name: self.value(sub, depth + 1) for name, sub in properties.items()}
        required = schema.get("required")
        for name in required if isinstance(required, list) else []:
            result.setdefault(str(name), "example")
        return result

    def _resolve(self, schema: Any) -> Any:
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target = self._root
        for key in ref[2:].split("/"):
            target = target.get(key) if isinstance(target, dict) else None
        return target if isinstance(target, dict) else {}


# --- the simulated model ---------------------------------------------------------------------


def _function_tools(request: JSONDict) -> dict[str, JSONDict]:
    tools = request.get("tools")
    tools = tools if isinstance(tools, list) else []
    functions = [tool.get("function") for tool in tools if isinstance(tool, dict)]
    return {
        f["name"]: f for f in functions if isinstance(f, dict) and isinstance(f.get("name"), str)
    }


def _forced_tool(choice: Any) -> str | None:
    function = choice.get("function") if isinstance(choice, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    return name if isinstance(name, str) else None


def _mentioned_tools(names: list[str], text: str) -> list[str]:
    found = []
    for name in names:
        match = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)
        if match is not None:
            found.append((match.start(), name))
    return [name for _, name in sorted(found)]


def _pick_tools(request: JSONDict, names: list[str], text: str) -> list[str]:
    forced = _forced_tool(request.get("tool_choice"))
    if forced is not None:
        return [forced]
    mentioned = _mentioned_tools(names, text)
    if not mentioned:
        return names[:1]
    return mentioned if request.get("parallel_tool_calls") is not False else mentioned[:1]


def _tool_call(index: int, name: str, function: JSONDict, text: str) -> ToolCall:
    parameters = function.get("parameters")
    has_properties = isinstance(parameters, dict) and bool(parameters.get("properties"))
    # Qwen sends an empty string, not "{}", for a tool without parameters.
    arguments = ""
    if has_properties:
        arguments = json.dumps(SchemaFaker(parameters, text).value(parameters))
    digest = hashlib.sha256(f"{index}:{name}:{arguments}".encode()).hexdigest()
    return ToolCall(name=name, arguments=arguments, id=f"call_{digest[:24]}")


def choose_tool_calls(request: JSONDict, text: str) -> list[ToolCall]:
    tools = _function_tools(request)
    messages = messages_of(request)
    if not tools or request.get("tool_choice") == "none" or last_role(messages) == "tool":
        return []
    names = _pick_tools(request, list(tools), text)
    return [_tool_call(i, name, tools.get(name, {}), text) for i, name in enumerate(names)]


def quoted_words(text: str) -> list[str]:
    words = [match.group(2) for match in re.finditer(r"(['\"])([A-Za-z_]\w*)\1", text)]
    return list(dict.fromkeys(words))


def _tool_results(messages: list[Any]) -> list[str]:
    results: list[str] = []
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("role") != "tool":
            break
        results.insert(0, message_text(message))
    return results


def _greeting(text: str, message: Any) -> str:
    answer = f"Hello! You asked: {text.strip() or '(no text)'}"
    images, videos = media_counts(message)
    if images or videos:
        answer += f" I can see {images} image(s) and {videos} video(s)."
    return answer


def _formatted(response_format: JSONDict, text: str) -> str | None:
    kind = response_format.get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return json.dumps(SchemaFaker(schema, text).value(schema))
    if kind == "json_object":
        keys = quoted_words(text)
        if not keys:
            return json.dumps({"answer": f"You asked: {text.strip()}"})
        return json.dumps({key: f"example {key}" for key in keys})
    return None


def _answer(request: JSONDict, text: str) -> str:
    messages = messages_of(request)
    if last_role(messages) == "tool":
        return "The tool returned: " + "; ".join(_tool_results(messages))
    response_format = request.get("response_format")
    formatted = _formatted(response_format, text) if isinstance(response_format, dict) else None
    if formatted is not None:
        return formatted
    return _greeting(text, last_user_message(messages))


def _reasoning(request: JSONDict, text: str) -> str:
    topic = text.strip() or "the conversation so far"
    thought = f"Let me think about {topic}. A short, direct answer will do."
    budget = request.get("thinking_budget")
    return first_words(thought, budget) if _is_int(budget) and budget > 0 else thought


def _cut_at_stop(content: str, stop: Any) -> str:
    stops = [s for s in stop if isinstance(s, str) and s] if isinstance(stop, list) else []
    cuts = [index for index in (content.find(s) for s in stops) if index >= 0]
    return content[: min(cuts)] if cuts else content


def _token_limit(request: JSONDict) -> int | None:
    for name in ("max_completion_tokens", "max_tokens"):
        value = request.get(name)
        if _is_int(value):
            return int(value)
    return None


def _limited(content: str, reasoning: str | None, request: JSONDict) -> Reply:
    content = _cut_at_stop(content, request.get("stop"))
    limit = _token_limit(request)
    if limit is None:
        return Reply(content=content, reasoning=reasoning)
    thought = word_count(reasoning)
    if reasoning is not None and thought >= limit:
        # The budget went on thinking: nothing is left for the answer.
        return Reply(content="", reasoning=first_words(reasoning, limit), finish_reason="length")
    room = limit - thought
    if word_count(content) <= room:
        return Reply(content=content, reasoning=reasoning)
    return Reply(content=first_words(content, room), reasoning=reasoning, finish_reason="length")


def simulate(request: JSONDict) -> Reply:
    """The default responder: a deterministic stand-in for the model."""
    messages = messages_of(request)
    text = message_text(last_user_message(messages))
    thinking = request.get("enable_thinking") is True
    reasoning = _reasoning(request, text) if thinking else None
    calls = choose_tool_calls(request, text)
    if calls:
        return Reply(reasoning=reasoning, tool_calls=calls)
    return _limited(_answer(request, text), reasoning, request)


# --- embeddings ------------------------------------------------------------------------------


def embed(text: str, dimension: int) -> list[float]:
    """A unit vector that depends only on the text: equal texts get equal vectors."""
    digest = hashlib.shake_256(text.encode()).digest(4 * dimension)
    raw = [int.from_bytes(digest[i : i + 4], "big") / 2**31 - 1.0 for i in range(0, len(digest), 4)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


def embedding_inputs(request: JSONDict) -> list[str] | None:
    value = request.get("input")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def validate_embeddings_request(request: JSONDict) -> ErrorReply | None:
    model = request.get("model")
    if not isinstance(model, str) or not model:
        return error_reply(400, "field model is required", code="invalid_request", param="model")
    if model not in EMBEDDING_MODELS:
        message = f"model {model} not found: no available channel for it"
        return error_reply(404, message, code="model_not_found", param="model")
    inputs = embedding_inputs(request)
    if not inputs:
        message = "input must be a non-empty string or a non-empty array of strings"
        return error_reply(400, message, code="InvalidParameter", param="input")
    if request.get("encoding_format", "float") != "float":
        message = "encoding_format only supports float"
        return error_reply(400, message, code="InvalidParameter", param="encoding_format")
    return None


def embeddings_body(request: JSONDict, dimension: int) -> JSONDict:
    inputs = embedding_inputs(request) or []
    tokens = sum(word_count(text) for text in inputs)
    data = [
        {"object": "embedding", "embedding": embed(text, dimension), "index": index}
        for index, text in enumerate(inputs)
    ]
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": request.get("model"), "usage": usage}
