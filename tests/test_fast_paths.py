"""The streaming fast paths build exactly what the validated paths build."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError

from anyfast_client import ChatCompletionChunk, _models
from anyfast_client._construct import Constructor
from anyfast_client._decode import ChunkDecoder
from anyfast_client._stream import StreamAccumulator
from langchain_anyfast import _chat_model
from langchain_anyfast._response import ChunkConverter
from llama_index_anyfast import _stream
from llama_index_anyfast._stream import ChatStreamConverter


def _chunk(delta: dict[str, Any], finish: str | None = None, **fields: Any) -> ChatCompletionChunk:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return ChatCompletionChunk.model_validate(
        {"id": "c1", "model": "qwen3.6-flash", "created": 7, "choices": [choice], **fields}
    )


def _call(
    index: int, *, call_id: str | None = None, name: str | None = None, args: str = ""
) -> Any:
    return {"index": index, "id": call_id, "function": {"name": name, "arguments": args}}


# Text, reasoning, both, nothing, tool-call pieces among them, the finish and a usage chunk.
STREAM = [
    _chunk({"role": "assistant", "content": "", "reasoning_content": ""}),
    _chunk({"reasoning_content": "Think"}),
    _chunk({"reasoning_content": "ing.", "content": "Hel"}),
    _chunk({"content": "lo"}),
    _chunk({"tool_calls": [_call(0, call_id="call_1", name="get_weather", args='{"ci')]}),
    _chunk({"tool_calls": [_call(0, args='ty": "Paris"}')]}),
    _chunk({"content": "!", "tool_calls": [_call(1, call_id="call_2", name="now")]}),
    _chunk({}),
    _chunk({}, finish="tool_calls"),
    ChatCompletionChunk.model_validate(
        {"id": "c1", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 5}}
    ),
]


def _same(built: BaseModel, reference: BaseModel) -> None:
    assert type(built) is type(reference)
    assert list(built.__dict__.items()) == list(reference.__dict__.items())
    assert built.model_fields_set == reference.model_fields_set
    assert built.__pydantic_extra__ == reference.__pydantic_extra__
    assert built.__pydantic_private__ == reference.__pydantic_private__
    assert built == reference


def _validated(message: AIMessageChunk) -> AIMessageChunk:
    """The same message built by validation from the fields that were set."""
    return AIMessageChunk(**{name: getattr(message, name) for name in message.model_fields_set})


def test_langchain_chunks_equal_validated_ones() -> None:
    converter = ChunkConverter()
    generations = [_chat_model._generation(converter, chunk) for chunk in STREAM]
    built = [generation for generation in generations if generation is not None]
    assert [g.text for g in built] == ["", "Hel", "lo", "", "", "!"]
    for generation in built:
        message = generation.message
        assert isinstance(message, AIMessageChunk)
        reference = _validated(message)
        _same(message, reference)
        _same(generation, ChatGenerationChunk(message=reference))
    assert isinstance(built[0].text, type(ChatGenerationChunk(message=built[0].message).text))
    assert built[0].message.additional_kwargs == {"reasoning_content": "Think"}
    assert built[3].message.tool_call_chunks[0]["name"] == "get_weather"


def test_langchain_chunks_add_up_to_the_answer() -> None:
    converter = ChunkConverter()
    generations = [_chat_model._generation(converter, chunk) for chunk in STREAM]
    total = sum(
        (g for g in generations if g is not None),
        start=ChatGenerationChunk(message=AIMessageChunk(content="")),
    )
    total += ChatGenerationChunk(message=converter.final())
    message = total.message
    assert isinstance(message, AIMessageChunk)
    assert message.content == "Hello!"
    assert message.additional_kwargs == {"reasoning_content": "Thinking."}
    assert [call["args"] for call in message.tool_calls] == [{"city": "Paris"}, {}]
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_tokens"] == 5


def _llama_responses(monkeypatch: pytest.MonkeyPatch, *, fast: bool) -> list[ChatResponse | None]:
    if not fast:
        monkeypatch.setattr(_stream, "_only_text", lambda chunk: False)
    converter = ChatStreamConverter()
    return [converter.feed(chunk) for chunk in STREAM]


def test_llama_index_fast_path_equals_the_full_one(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _llama_responses(monkeypatch, fast=True)
    full = _llama_responses(monkeypatch, fast=False)
    assert [r is None for r in fast] == [r is None for r in full]
    for mine, theirs in zip(fast, full, strict=True):
        if mine is None or theirs is None:
            continue
        assert mine.delta == theirs.delta
        assert mine.raw is theirs.raw
        assert mine.additional_kwargs == theirs.additional_kwargs
        assert mine.message.model_dump() == theirs.message.model_dump()
    last = fast[-1]
    assert last is not None
    assert last.message.content == "Hello!"
    assert last.additional_kwargs["finish_reason"] == "tool_calls"


def test_each_llama_index_response_keeps_its_own_cumulative_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    responses = [r for r in _llama_responses(monkeypatch, fast=True) if r is not None]
    assert [r.message.content for r in responses[:3]] == ["", "Hel", "Hello"]
    assert [r.delta for r in responses[:3]] == ["", "Hel", "lo"]


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (AIMessageChunk, {"content": "x", "response_metadata": {"model_provider": "anyfast"}}),
        (TextBlock, {"text": "Hello"}),
        (ThinkingBlock, {"content": "Hm", "num_tokens": 3}),
        (ToolCallBlock, {"tool_call_id": "c", "tool_name": "f", "tool_kwargs": {"a": 1}}),
        (ChatMessage, {"role": "assistant", "blocks": [], "additional_kwargs": {}}),
        (ChatResponse, {"message": ChatMessage(), "delta": "x", "raw": None}),
    ],
)
def test_constructor_equals_model_construct(model: type[BaseModel], fields: dict[str, Any]) -> None:
    _same(Constructor(model)(**fields), model.model_construct(**fields))
    _same(Constructor(model).taking(*fields)(**fields), model.model_construct(**fields))


def test_constructor_builders_take_exactly_their_fields() -> None:
    build = Constructor(TextBlock).taking("text")
    with pytest.raises(TypeError):
        build(text="a", block_type="text")
    with pytest.raises(TypeError):
        build()
    # Names that are not plain fields go through model_construct, which keeps them out.
    odd = Constructor(TextBlock).taking("no_such_field")(no_such_field=1)
    _same(odd, TextBlock.model_construct(no_such_field=1))


class _Shadowing(BaseModel):
    instance: int
    model: str = "m"
    tags: dict[str, str] = Field(default_factory=dict)


def test_constructor_builders_handle_fields_named_like_their_own_locals() -> None:
    built = Constructor(_Shadowing).taking("instance", "model")(instance=3, model="x")
    _same(built, _Shadowing.model_construct(instance=3, model="x"))


def _fed_first(converter_type: type[Any]) -> tuple[Any, Any]:
    """A converter reading a stream's accumulator, which holds each chunk before it is seen."""
    accumulator = StreamAccumulator()
    converter = converter_type(accumulator=accumulator)

    def convert(chunk: ChatCompletionChunk) -> Any:
        accumulator.add(chunk)
        return converter

    return converter, convert


def test_langchain_converter_on_the_streams_accumulator_equals_its_own() -> None:
    own = ChunkConverter()
    shared, before = _fed_first(ChunkConverter)
    for chunk in STREAM:
        mine = _chat_model._generation(before(chunk), chunk)
        theirs = _chat_model._generation(own, chunk)
        assert (mine is None) == (theirs is None)
        if mine is not None and theirs is not None:
            _same(mine.message, theirs.message)
    _same(shared.final(), own.final())
    assert shared.accumulator.result() == own.accumulator.result()


def test_llama_index_converter_on_the_streams_accumulator_equals_its_own() -> None:
    own = ChatStreamConverter()
    shared, before = _fed_first(ChatStreamConverter)
    for chunk in STREAM:
        mine, theirs = before(chunk).feed(chunk), own.feed(chunk)
        assert (mine is None) == (theirs is None)
        if mine is not None and theirs is not None:
            assert mine.delta == theirs.delta
            assert mine.additional_kwargs == theirs.additional_kwargs
            assert mine.message.model_dump() == theirs.message.model_dump()
    assert shared.text == own.text == "Hello!"


def _decoded(pieces: bool) -> ChunkDecoder:
    decoder = ChunkDecoder()
    decoder.pieces = pieces
    return decoder


# The stream again, as bytes, with runs of text and reasoning events that share their
# envelope: read as pieces, most of them reach the converters without a chunk.
_BODY = b"".join(
    b"data: " + chunk.model_dump_json(exclude_unset=True).encode() + b"\n\n"
    for chunk in [
        STREAM[0],
        *[_chunk({"reasoning_content": piece}) for piece in ("Thi", "nk", "ing.")],
        *[_chunk({"content": piece}) for piece in ("He", "l", "lo")],
        *STREAM[4:],
    ]
)


def test_langchain_converter_reading_pieces_equals_reading_chunks() -> None:
    results = []
    for pieces in (True, False):
        decoder = _decoded(pieces)
        converter = ChunkConverter(accumulator=decoder.accumulator)
        items = []
        generations = []
        for item in decoder.iter_feed(_BODY):  # each item is converted as it arrives
            items.append(item)
            generations.append(_chat_model._generation(converter, item))
        generations.append(ChatGenerationChunk(message=converter.final()))
        results.append(generations)
        if pieces:
            assert sum(isinstance(item, tuple) for item in items) == 4
    for mine, theirs in zip(*results, strict=True):
        assert (mine is None) == (theirs is None)
        if mine is not None and theirs is not None:
            _same(mine.message, theirs.message)
            assert mine.text == theirs.text


def test_llama_index_converter_reading_pieces_equals_reading_chunks() -> None:
    results = []
    for pieces in (True, False):
        decoder = _decoded(pieces)
        converter = ChatStreamConverter(accumulator=decoder.accumulator)
        results.append([converter.feed(item) for item in decoder.iter_feed(_BODY)])
    for mine, theirs in zip(*results, strict=True):
        assert (mine is None) == (theirs is None)
        if mine is not None and theirs is not None:
            assert mine.delta == theirs.delta
            assert mine.additional_kwargs == theirs.additional_kwargs
            assert mine.message.model_dump() == theirs.message.model_dump()
            assert isinstance(mine.raw, ChatCompletionChunk)
            _same(mine.raw, theirs.raw)
    texts = [response.message.content for response in results[0] if response is not None]
    assert texts[:6] == ["", "", "", "He", "Hel", "Hello"]
    last = results[0][-1]
    assert last is not None and last.message.content == "Hello!"


def test_converters_of_their_own_take_pieces_too() -> None:
    decoder = _decoded(True)
    items = decoder.feed(_BODY)
    langchain, llama_index = ChunkConverter(), ChatStreamConverter()
    for item in items:
        _chat_model._generation(langchain, item)
        llama_index.feed(item)
    assert langchain.accumulator.result() == decoder.accumulator.result()
    assert llama_index.text == "Hello!"


def test_constructor_gives_each_instance_its_own_defaults() -> None:
    build = Constructor(AIMessageChunk)
    first, second = build(content="a"), build(content="b")
    first.tool_calls.append({"name": "f", "args": {}, "id": None, "type": "tool_call"})
    assert second.tool_calls == []


class _Private(BaseModel):
    name: str = "a"
    _secret: str = PrivateAttr(default="hidden")


class _MutableDefault(BaseModel):
    tags: list[str] = ["a"]  # pydantic copies it per instance
    other: list[str] = Field(default_factory=list)


@pytest.mark.parametrize("model", [_Private, _MutableDefault])
def test_constructor_leaves_what_it_cannot_mirror_to_pydantic(model: type[BaseModel]) -> None:
    built = Constructor(model)()
    _same(built, model.model_construct())
    if isinstance(built, _MutableDefault):
        built.tags.append("b")
        assert _MutableDefault.model_construct().tags == ["a"]


# The chunk models read through the lenient readings alone, as they did before the
# natively checked first members were added to their field types.
class _Delta(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str | None = None
    content: Annotated[str | None, BeforeValidator(_models._as_joined_text)] = None
    reasoning_content: Annotated[str | None, BeforeValidator(_models._as_joined_text)] = None


class _Choice(BaseModel):
    model_config = ConfigDict(extra="allow")
    index: Annotated[int, BeforeValidator(lambda v: 0 if v is None else v)] = 0
    delta: Annotated[_Delta, BeforeValidator(lambda v: {} if v is None else v)] = Field(
        default_factory=_Delta
    )
    finish_reason: Annotated[str | None, BeforeValidator(_models._none_if_empty)] = None


class _Chunk(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: Annotated[str, BeforeValidator(_models._as_text)] = ""
    created: Annotated[int, BeforeValidator(_models._as_total)] = 0
    model: Annotated[str, BeforeValidator(_models._as_text)] = ""
    choices: Annotated[list[_Choice], BeforeValidator(lambda v: [] if v is None else v)] = Field(
        default_factory=list
    )


ODD_VALUES = [
    None,
    "",
    "stop",
    "7",
    "7.5",
    7,
    7.9,
    True,
    ["a", {"text": "b"}, {"image": 1}],
    {"text": "x"},
    [],
]


@pytest.mark.parametrize("value", ODD_VALUES)
@pytest.mark.parametrize(
    "where",
    ["id", "created", "model", "choices", "index", "delta", "finish_reason", "content"],
)
def test_chunk_fields_read_as_the_lenient_readings_alone(where: str, value: object) -> None:
    choice: dict[str, Any] = {"index": 0, "delta": {"content": "x"}, "finish_reason": None}
    chunk: dict[str, Any] = {"id": "c", "created": 1, "model": "m", "choices": [choice]}
    if where in ("index", "delta", "finish_reason"):
        choice[where] = value
    elif where == "content":
        choice["delta"] = {"content": value}
    else:
        chunk[where] = value
    text = json.dumps(chunk)
    try:
        expected = _Chunk.model_validate_json(text).model_dump()
    except ValidationError:
        with pytest.raises(ValidationError):
            ChatCompletionChunk.model_validate_json(text)
        return
    got = ChatCompletionChunk.model_validate_json(text).model_dump(
        exclude={"object", "usage", "error"}
    )
    for wire_choice in got["choices"]:
        wire_choice["delta"] = {k: v for k, v in wire_choice["delta"].items() if k != "tool_calls"}
    assert got == expected
