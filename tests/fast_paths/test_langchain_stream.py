"""LangChain's generation chunks, built without validation, equal the validated ones, and
a stream's text deltas convert as the chunks they stand for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from anyfast_client._stream import StreamAccumulator
from anyfast_client._template import TextDelta
from langchain_anyfast._response import ChunkConverter

from ._support import STREAM, decoded, fed, same


def _validated(message: AIMessageChunk) -> AIMessageChunk:
    """The same message built by validation from the fields that were set."""
    return AIMessageChunk(**{name: getattr(message, name) for name in message.model_fields_set})


def _converted(items: list[object]) -> tuple[list[ChatGenerationChunk | None], ChunkConverter]:
    accumulator = StreamAccumulator()
    converter = ChunkConverter(accumulator)
    return [converter.convert(item) for item in fed(accumulator, items)], converter  # type: ignore[arg-type]


def test_generation_chunks_equal_validated_ones() -> None:
    generations, _ = _converted(STREAM)
    built = [generation for generation in generations if generation is not None]
    assert [g.text for g in built] == ["", "Hel", "lo", "", "", "!"]
    for generation in built:
        message = generation.message
        assert isinstance(message, AIMessageChunk)
        reference = _validated(message)
        same(message, reference)
        validated = ChatGenerationChunk(message=reference)
        same(generation, validated)
        assert type(generation.text) is type(validated.text)  # LangChain's str subclass
    assert built[0].message.additional_kwargs == {"reasoning_content": "Think"}
    assert built[3].message.tool_call_chunks[0]["name"] == "get_weather"


def test_generation_chunks_add_up_to_the_answer() -> None:
    generations, converter = _converted(STREAM)
    total = sum(
        (g for g in generations if g is not None),
        start=ChatGenerationChunk(message=AIMessageChunk(content="")),
    )
    total += converter.final()
    message = total.message
    assert isinstance(message, AIMessageChunk)
    assert message.content == "Hello!"
    assert message.additional_kwargs == {"reasoning_content": "Thinking."}
    assert [call["args"] for call in message.tool_calls] == [{"city": "Paris"}, {}]
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_tokens"] == 5


def test_text_deltas_convert_as_the_chunks_they_stand_for() -> None:
    converters: list[ChunkConverter] = []

    def convert(accumulator: StreamAccumulator) -> Callable[[Any], ChatGenerationChunk | None]:
        converters.append(ChunkConverter(accumulator))
        return converters[0].convert

    items, from_deltas = zip(*decoded(convert), strict=True)
    assert sum(type(item) is TextDelta for item in items) == 4
    chunks = [item.chunk() if type(item) is TextDelta else item for item in items]
    from_chunks, reference = _converted(chunks)
    for mine, theirs in zip(
        [*from_deltas, converters[0].final()], [*from_chunks, reference.final()], strict=True
    ):
        assert (mine is None) == (theirs is None)
        if mine is not None and theirs is not None:
            same(mine.message, theirs.message)
            assert mine.text == theirs.text
    assert converters[0].accumulator.result() == reference.accumulator.result()


def test_a_generation_text_made_otherwise_is_read_from_each_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A langchain-core whose message text is not the content as it is: what the first text
    # chunk proves no longer holds, so each generation's text is read from its message.
    monkeypatch.setattr(AIMessageChunk, "text", property(lambda self: f"[{self.content}]"))
    generations, _ = _converted(STREAM)
    texts = [generation.text for generation in generations if generation is not None]
    assert texts == ["[]", "[Hel]", "[lo]", "[]", "[]", "[!]"]
