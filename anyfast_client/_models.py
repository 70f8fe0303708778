"""Request and response models of the chat-completions wire.

Requests are strict: documented ranges are checked before a byte is sent.
Responses are lenient: unknown fields and values survive, so a new
``finish_reason`` or an extra usage counter never breaks a caller.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

__all__ = [
    "AssistantMessage",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatRequest",
    "Choice",
    "ChunkChoice",
    "CompletionTokensDetails",
    "ContentPart",
    "Delta",
    "Embedding",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "EmbeddingUsage",
    "FunctionCall",
    "FunctionCallDelta",
    "ImagePart",
    "ImageURL",
    "Message",
    "PromptTokensDetails",
    "ResponseMessage",
    "SystemMessage",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolMessage",
    "Usage",
    "UserMessage",
    "VideoPart",
    "VideoURL",
    "normalize_stop",
]


class _Wire(BaseModel):
    """Base of request-side models: typos in field names are errors."""

    model_config = ConfigDict(extra="forbid")


class _Lenient(BaseModel):
    """Base of response-side models: whatever else the server sends is kept."""

    model_config = ConfigDict(extra="allow")


# --------------------------------------------------------------------------- content parts


class TextPart(_Wire):
    type: Literal["text"] = "text"
    text: str


class ImageURL(_Wire):
    url: str
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(_Wire):
    type: Literal["image_url"] = "image_url"
    image_url: ImageURL


class VideoURL(_Wire):
    url: str
    fps: float | None = Field(default=None, gt=0)


class VideoPart(_Wire):
    type: Literal["video_url"] = "video_url"
    video_url: VideoURL


ContentPart = Annotated[TextPart | ImagePart | VideoPart, Field(discriminator="type")]


# --------------------------------------------------------------------------- messages


class FunctionCall(_Lenient):
    name: str = ""
    arguments: str = ""


class ToolCall(_Lenient):
    id: str = ""
    type: str = "function"
    function: FunctionCall = Field(default_factory=FunctionCall)


class SystemMessage(_Wire):
    role: Literal["system"] = "system"
    content: str | list[TextPart]


class UserMessage(_Wire):
    role: Literal["user"] = "user"
    content: str | list[ContentPart]


class AssistantMessage(_Wire):
    role: Literal["assistant"] = "assistant"
    content: str | list[TextPart] | None = ""
    reasoning_content: str | None = None
    tool_calls: list[ToolCall] | None = None


class ToolMessage(_Wire):
    role: Literal["tool"] = "tool"
    content: str | list[TextPart]
    tool_call_id: str


Message = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage, Field(discriminator="role")
]


# --------------------------------------------------------------------------- request


def normalize_stop(value: object) -> list[str] | None:
    """Stop sequences as the wire wants them ("must be an array"): a lone string is one item."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(s, str) for s in value):
        return list(value)
    raise ValueError("stop must be a string or a list of strings")


class ChatRequest(_Wire):
    """One chat-completions request.

    Only the fields a caller set go on the wire, except ``enable_thinking``,
    which is always sent because upstream and gateway disagree on its default.
    ``extra_body`` is merged into the top level for fields the gateway may accept.
    """

    model: str = Field(default="qwen3.6-flash", min_length=1)
    messages: list[Message] = Field(min_length=1)
    enable_thinking: bool = False
    thinking_budget: int | None = Field(default=None, gt=0)
    preserve_thinking: bool | None = None
    max_completion_tokens: int | None = Field(default=None, ge=1, le=65536)
    temperature: float | None = Field(default=None, ge=0, le=2)
    # The page documents 0 <= top_p <= 1; the gateway clamps 0 before upstream sees it.
    top_p: float | None = Field(default=None, ge=0, le=1)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    stop: list[str] | None = None
    seed: int | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    response_format: dict[str, Any] | None = None
    extra_body: dict[str, Any] = Field(default_factory=dict)

    @field_validator("stop", mode="before")
    @classmethod
    def _stop_as_list(cls, value: object) -> list[str] | None:
        return normalize_stop(value)

    def to_body(self, *, stream: bool, include_usage: bool = True) -> dict[str, Any]:
        """The JSON body: set fields only, ``enable_thinking`` always."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.model_dump(mode="json", exclude_none=True) for m in self.messages],
        }
        body.update(
            self.model_dump(
                mode="json",
                exclude_unset=True,
                exclude_none=True,
                exclude={"model", "messages", "extra_body"},
            )
        )
        body["enable_thinking"] = self.enable_thinking
        if not self.stop:
            # stop=[] asks for nothing; "stop": [] is a value upstream may refuse.
            body.pop("stop", None)
        if not self.enable_thinking:
            # A budget only means something while thinking.
            body.pop("thinking_budget", None)
        if stream:
            body["stream"] = True
            if include_usage:
                body["stream_options"] = {"include_usage": True}
        body.update(self.extra_body)
        return body


# --------------------------------------------------------------------------- response


def _as_count(value: Any) -> Any:
    """A token count as the server meant it; None for what cannot be one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return int(float(value))
        except (ValueError, OverflowError):
            return None
    return None


def _as_total(value: Any) -> Any:
    count = _as_count(value)
    return 0 if count is None else count


def _as_text(value: Any) -> Any:
    """A null id or model is no id; a number sent as one is kept as text."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _as_joined_text(value: Any) -> Any:
    """Content sent as a list of parts (strings or text parts) joined into one string."""
    if not isinstance(value, list):
        return value
    texts = [part if isinstance(part, str) else _part_text(part) for part in value]
    return "".join(texts)


def _part_text(part: Any) -> str:
    text = part.get("text") if isinstance(part, dict) else None
    return text if isinstance(text, str) else ""


def _as_arguments(value: Any) -> Any:
    """Tool arguments sent as a JSON value rather than a string: back to their JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _none_if_empty(value: Any) -> Any:
    # Some gateways send "" where the API sends null (finish_reason on every chunk).
    return None if value == "" else value


def _empty_if_none(value: Any) -> Any:
    return [] if value is None else value


def _read_reasoning_alias(data: Any) -> Any:
    """``reasoning`` (vLLM, some gateways) read as ``reasoning_content``, which wins when
    both come; the other name is not kept, so it is never sent back or read twice.
    Thinking sent as parts of a ``content`` list is read the same way (``_thinking_parts``)."""
    if type(data) is not dict:
        return data
    if type(data.get("content")) is list:
        data = _thinking_parts(data)
    if "reasoning" not in data:
        return data
    reasoning = data["reasoning"]
    if reasoning is not None and not isinstance(reasoning, str | list):
        return data  # not text: some other kind of report, kept as an extra field
    data = {name: value for name, value in data.items() if name != "reasoning"}
    if data.get("reasoning_content") is None:
        data["reasoning_content"] = reasoning
    return data


# Part types that carry thinking inside a ``content`` list (gateways that pass a
# provider's blocks on: ``{"type": "thinking", "thinking": ...}``, ``"reasoning"``). A
# tuple: compared by ``==``, so a "type" of any JSON value (a list, say) is only no match.
_THINKING_PARTS: Final = ("thinking", "reasoning")


def _thinking_parts(data: dict[str, Any]) -> dict[str, Any]:
    """``content`` parts that hold thinking moved out of the answer, into
    ``reasoning_content`` unless the server sent that field too (then they are dropped:
    the field says the same)."""
    answer: list[Any] = []
    thinking: list[dict[str, Any]] = []
    for part in data["content"]:
        is_thinking = type(part) is dict and part.get("type") in _THINKING_PARTS
        (thinking if is_thinking else answer).append(part)
    if not thinking:
        return data
    data = {**data, "content": answer}
    if data.get("reasoning_content") is None and data.get("reasoning") is None:
        data["reasoning_content"] = "".join(_thinking_text(part) for part in thinking)
    return data


def _thinking_text(part: dict[str, Any]) -> str:
    """A thinking part's text: ``thinking`` or ``text``, a string or a list of text parts."""
    value = part.get("thinking", part.get("text"))
    if isinstance(value, str):
        return value
    return _as_joined_text(value) if isinstance(value, list) else ""


def _default_if_none(default: Any) -> BeforeValidator:
    return BeforeValidator(lambda value: default if value is None else value)


# Each lenient type below is a union whose first member takes the values the
# lenient reading would leave as they are, checked natively: a streamed chunk's
# fields then cost no Python call. Other values go on to the lenient reading.
_FIRST_MATCH = Field(union_mode="left_to_right")


def _first_match() -> Any:
    """A ``_FIRST_MATCH`` of the field's own, for a field whose default is a factory.

    Pydantic before 2.11.5 records each field's default in the Annotated ``Field`` it
    merges, shared by every field of that type, and then refuses a factory beside it.
    """
    return Field(union_mode="left_to_right")


_Count = Annotated[int | None, BeforeValidator(_as_count)]
_Total = Annotated[StrictInt | Annotated[int, BeforeValidator(_as_total)], _FIRST_MATCH]
_Text = Annotated[StrictStr | Annotated[str, BeforeValidator(_as_text)], _FIRST_MATCH]
_Content = Annotated[
    StrictStr | Annotated[str | None, BeforeValidator(_as_joined_text)] | None, _FIRST_MATCH
]
_FinishReason = Annotated[
    Annotated[StrictStr, Field(min_length=1)]
    | Annotated[str | None, BeforeValidator(_none_if_empty)]
    | None,
    _FIRST_MATCH,
]
_Index = Annotated[StrictInt | Annotated[int, _default_if_none(0)], _FIRST_MATCH]


class PromptTokensDetails(_Lenient):
    cached_tokens: _Count = None
    text_tokens: _Count = None
    image_tokens: _Count = None
    video_tokens: _Count = None


class CompletionTokensDetails(_Lenient):
    reasoning_tokens: _Count = None


class Usage(_Lenient):
    """Token counts; numbers sent as floats, strings or null are read leniently."""

    prompt_tokens: _Total = 0
    completion_tokens: _Total = 0
    total_tokens: _Total = 0
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None

    @field_validator("prompt_tokens_details", "completion_tokens_details", mode="before")
    @classmethod
    def _details_object(cls, value: Any) -> Any:
        return value if isinstance(value, dict | BaseModel) else None


class ResponseMessage(_Lenient):
    role: Annotated[str, _default_if_none("assistant")] = "assistant"
    content: _Content = None
    reasoning_content: _Content = None
    tool_calls: list[ToolCall] | None = None

    @model_validator(mode="before")
    @classmethod
    def _reasoning_alias(cls, data: Any) -> Any:
        return _read_reasoning_alias(data)

    @field_validator("tool_calls", mode="before")
    @classmethod
    def _lenient_calls(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [_lenient_call(call) if isinstance(call, dict) else call for call in value]


def _lenient_call(call: dict[str, Any]) -> dict[str, Any]:
    """Nulls where the wire model wants text, and arguments sent as a JSON value."""
    function = call.get("function")
    function = dict(function) if isinstance(function, dict) else {}
    function["name"] = _as_text(function.get("name"))
    function["arguments"] = _as_arguments(function.get("arguments")) or ""
    return {
        **call,
        "id": _as_text(call.get("id")),
        "type": call.get("type") or "function",
        "function": function,
    }


class Choice(_Lenient):
    index: _Index = 0
    message: Annotated[ResponseMessage, _default_if_none({})] = Field(
        default_factory=ResponseMessage
    )
    finish_reason: _FinishReason = None


def _answer_first(choice: Choice) -> tuple[bool, int]:
    """The order of a completion's choices: the answer (index 0) first, then by index."""
    return (choice.index != 0, choice.index)


class ChatCompletion(_Lenient):
    id: _Text = ""
    object: _Text = "chat.completion"
    created: _Total = 0
    model: _Text = ""
    choices: list[Choice] = Field(default_factory=list)
    usage: Usage | None = None

    @field_validator("choices", mode="before")
    @classmethod
    def _null_choices(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("choices")
    @classmethod
    def _in_index_order(cls, choices: list[Choice]) -> list[Choice]:
        # Gateways may list [index 1, index 0]; a streamed completion is merged by index:
        # both read choices[0] as the answer. Stable: repeated indexes keep their order.
        return sorted(choices, key=_answer_first)


class FunctionCallDelta(_Lenient):
    name: str | None = None
    arguments: Annotated[str | None, BeforeValidator(_as_arguments)] = None


class ToolCallDelta(_Lenient):
    """One delta of a streamed tool call; ``index`` is None when the server left it out."""

    index: int | None = None
    id: str | None = None
    type: str | None = None
    function: FunctionCallDelta | None = None


class Delta(_Lenient):
    role: str | None = None
    content: _Content = None
    reasoning_content: _Content = None
    tool_calls: list[ToolCallDelta] | None = None

    @model_validator(mode="before")
    @classmethod
    def _reasoning_alias(cls, data: Any) -> Any:
        return _read_reasoning_alias(data)


class ChunkChoice(_Lenient):
    index: _Index = 0
    delta: Annotated[Delta | Annotated[Delta, _default_if_none({})], _first_match()] = Field(
        default_factory=Delta
    )
    finish_reason: _FinishReason = None


class ChatCompletionChunk(_Lenient):
    id: _Text = ""
    object: _Text = "chat.completion.chunk"
    created: _Total = 0
    model: _Text = ""
    choices: Annotated[
        list[ChunkChoice] | Annotated[list[ChunkChoice], BeforeValidator(_empty_if_none)],
        _first_match(),
    ] = Field(default_factory=list)
    usage: Usage | None = None
    # An error that arrives after HTTP 200 comes as an ordinary event.
    error: dict[str, Any] | None = None

    @field_validator("error", mode="before")
    @classmethod
    def _error_as_object(cls, value: Any) -> Any:
        # Some gateways send the bare message: {"error": "upstream overloaded"}.
        if value is None or isinstance(value, dict):
            return value
        return {"message": str(value)}


# --------------------------------------------------------------------------- embeddings


class EmbeddingRequest(_Wire):
    """One embeddings request; ``input`` is one text or a non-empty list of texts."""

    model: str = Field(default="doubao-embedding", min_length=1)
    input: str | list[str]
    encoding_format: Literal["float"] | None = None
    dimensions: int | None = Field(default=None, gt=0)
    extra_body: dict[str, Any] = Field(default_factory=dict)

    @field_validator("input")
    @classmethod
    def _non_empty(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and not value:
            raise ValueError("input must hold at least one text")
        return value

    def to_body(self) -> dict[str, Any]:
        body = self.model_dump(exclude_unset=True, exclude_none=True, exclude={"extra_body"})
        body["model"] = self.model
        body.update(self.extra_body)
        return body


class Embedding(_Lenient):
    index: int = 0
    embedding: list[float] = Field(default_factory=list)
    object: str = "embedding"


class EmbeddingUsage(_Lenient):
    prompt_tokens: int = 0
    total_tokens: int = 0


class EmbeddingResponse(_Lenient):
    object: str = "list"
    data: list[Embedding] = Field(default_factory=list)
    model: str = ""
    usage: EmbeddingUsage | None = None

    def vectors(self) -> list[list[float]]:
        """The vectors in input order, whatever order the server sent them in."""
        return [item.embedding for item in sorted(self.data, key=lambda item: item.index)]
