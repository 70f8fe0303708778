"""LlamaIndex's responses, built without validation, equal the ones the full path gives."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatResponse

from anyfast_client import ChatCompletionChunk
from llama_index_anyfast import _stream
from llama_index_anyfast._stream import ChatStreamConverter

from ._support import STREAM, same
from .test_langchain_stream import _BODY, _decoded, _fed_first


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
            same(mine.raw, theirs.raw)
    texts = [response.message.content for response in results[0] if response is not None]
    assert texts[:6] == ["", "", "", "He", "Hel", "Hello"]
    last = results[0][-1]
    assert last is not None and last.message.content == "Hello!"
