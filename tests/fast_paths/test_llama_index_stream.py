"""LlamaIndex's responses, built without validation, equal the ones the full path gives,
and a stream's text deltas convert as the chunks they stand for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatResponse

from anyfast_client import ChatCompletionChunk
from anyfast_client._response import answer_delta
from anyfast_client._stream import StreamAccumulator
from anyfast_client._template import TextDelta
from llama_index_anyfast import _stream
from llama_index_anyfast._stream import ChatStreamConverter

from ._support import STREAM, decoded, fed, same


def _responses(items: list[Any]) -> list[ChatResponse | None]:
    accumulator = StreamAccumulator()
    converter = ChatStreamConverter(accumulator)
    return [converter.feed(item) for item in fed(accumulator, items)]


def _full_path_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every chunk through the comparison of the whole answer, as if it changed more."""
    monkeypatch.setattr(_stream, "answer_delta", lambda item: (*answer_delta(item)[:2], True))


def _assert_same_responses(mine: list[ChatResponse | None], theirs: list[ChatResponse | None]):
    assert [r is None for r in mine] == [r is None for r in theirs]
    for built, reference in zip(mine, theirs, strict=True):
        if built is None or reference is None:
            continue
        assert built.delta == reference.delta
        assert built.additional_kwargs == reference.additional_kwargs
        assert built.message.model_dump() == reference.message.model_dump()
        assert isinstance(built.raw, ChatCompletionChunk)
        same(built.raw, reference.raw)


def test_the_text_branch_answers_as_the_full_path(monkeypatch: pytest.MonkeyPatch) -> None:
    text_branch = _responses(STREAM)
    _full_path_only(monkeypatch)
    _assert_same_responses(text_branch, _responses(STREAM))
    last = text_branch[-1]
    assert last is not None
    assert last.message.content == "Hello!"
    assert last.additional_kwargs["finish_reason"] == "tool_calls"


def test_each_response_keeps_its_own_cumulative_text() -> None:
    responses = [r for r in _responses(STREAM) if r is not None]
    assert [r.message.content for r in responses[:3]] == ["", "Hel", "Hello"]
    assert [r.delta for r in responses[:3]] == ["", "Hel", "lo"]


def test_text_deltas_convert_as_the_chunks_they_stand_for() -> None:
    converters: list[ChatStreamConverter] = []

    def convert(accumulator: StreamAccumulator) -> Callable[[Any], ChatResponse | None]:
        converters.append(ChatStreamConverter(accumulator))
        return converters[0].feed

    items, from_deltas = zip(*decoded(convert), strict=True)
    assert sum(type(item) is TextDelta for item in items) == 4
    chunks = [item.chunk() if type(item) is TextDelta else item for item in items]
    _assert_same_responses(list(from_deltas), _responses(chunks))
    texts = [response.message.content for response in from_deltas if response is not None]
    assert texts[:6] == ["", "", "", "He", "Hel", "Hello"]
    assert converters[0].text == "Hello!"
