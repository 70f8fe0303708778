"""The one-choice shortcuts on the per-chunk path answer as the general path does."""

from __future__ import annotations

import pytest

from anyfast_client import ChatCompletionChunk
from anyfast_client._response import answer_delta
from anyfast_client._template import EventTemplate, TextDelta

_DELTAS = [
    {"content": "Hi"},
    {"reasoning_content": "think"},
    {"content": "a", "reasoning_content": "b"},
    {"role": "assistant"},
    {"content": None},
    {},
    {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]},
]


def _chunk(*choices: dict[str, object], **fields: object) -> ChatCompletionChunk:
    return ChatCompletionChunk.model_validate({"id": "c", "choices": list(choices), **fields})


@pytest.mark.parametrize("delta", _DELTAS)
@pytest.mark.parametrize("finish", [None, "stop"])
def test_one_choice_reads_as_the_general_path(delta: dict[str, object], finish: str | None) -> None:
    alone = _chunk({"index": 0, "delta": delta, "finish_reason": finish})
    # A second choice for another index sends answer_delta down the general path.
    beside = _chunk(
        {"index": 0, "delta": delta, "finish_reason": finish},
        {"index": 1, "delta": {"content": "zz"}},
    )
    assert answer_delta(alone) == answer_delta(beside)


def test_a_lone_choice_for_another_index_adds_nothing() -> None:
    assert answer_delta(_chunk({"index": 1, "delta": {"content": "x"}})) == ("", "", False)
    assert answer_delta(_chunk({"index": 1, "delta": {}, "finish_reason": "stop"}))[2]


def test_no_choice_adds_nothing_but_usage_is_more() -> None:
    assert answer_delta(_chunk()) == ("", "", False)
    assert answer_delta(_chunk(usage={"prompt_tokens": 1})) == ("", "", True)


@pytest.mark.parametrize("field", ["content", "reasoning_content"])
@pytest.mark.parametrize("index", [0, 1])
def test_a_text_delta_reads_as_its_chunk(field: str, index: int) -> None:
    event = b'{"id":"c","choices":[{"index":%d,"delta":{"%s":"Hi"}}]}' % (index, field.encode())
    chunk = ChatCompletionChunk.model_validate_json(event)
    template = EventTemplate.learn(event, chunk)
    assert template is not None
    delta = template.read(event.replace(b"Hi", b"Ho"))
    assert isinstance(delta, TextDelta)
    assert answer_delta(delta) == answer_delta(delta.chunk())
