"""LangChain's message chunks, built without validation, equal the validated ones."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from anyfast_client import ChatCompletionChunk
from anyfast_client._decode import ChunkDecoder
from anyfast_client._stream import StreamAccumulator
from langchain_anyfast import _chat_model
from langchain_anyfast._response import ChunkConverter
from llama_index_anyfast._stream import ChatStreamConverter

from ._support import STREAM, make_chunk, same


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
        same(message, reference)
        same(generation, ChatGenerationChunk(message=reference))
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
            same(mine.message, theirs.message)
    same(shared.final(), own.final())
    assert shared.accumulator.result() == own.accumulator.result()


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
        *[make_chunk({"reasoning_content": piece}) for piece in ("Thi", "nk", "ing.")],
        *[make_chunk({"content": piece}) for piece in ("He", "l", "lo")],
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
            same(mine.message, theirs.message)
            assert mine.text == theirs.text


def test_converters_of_their_own_take_pieces_too() -> None:
    decoder = _decoded(True)
    items = decoder.feed(_BODY)
    langchain, llama_index = ChunkConverter(), ChatStreamConverter()
    for item in items:
        _chat_model._generation(langchain, item)
        llama_index.feed(item)
    assert langchain.accumulator.result() == decoder.accumulator.result()
    assert llama_index.text == "Hello!"
