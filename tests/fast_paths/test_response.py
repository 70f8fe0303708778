"""The one-choice shortcuts on the per-chunk path answer as the general path does."""

from __future__ import annotations

import pytest

from anyfast_client import ChatCompletionChunk
from anyfast_client._response import answer_pieces

_DELTAS = [
    {"content": "Hi"},
    {"reasoning_content": "think"},
    {"content": "a", "reasoning_content": "b"},
    {"role": "assistant"},
    {"content": None},
    {},
]


def _chunk(*choices: dict[str, object]) -> ChatCompletionChunk:
    return ChatCompletionChunk.model_validate({"id": "c", "choices": list(choices)})


@pytest.mark.parametrize("delta", _DELTAS)
def test_one_choice_pieces_match_the_general_path(delta: dict[str, object]) -> None:
    alone = _chunk({"index": 0, "delta": delta})
    # A second choice for another index sends answer_pieces down the general path.
    beside = _chunk({"index": 0, "delta": delta}, {"index": 1, "delta": {"content": "zz"}})
    assert answer_pieces(alone) == answer_pieces(beside)


def test_a_lone_choice_for_another_index_adds_nothing() -> None:
    assert answer_pieces(_chunk({"index": 1, "delta": {"content": "x"}})) == ("", "")


def test_no_choice_adds_nothing() -> None:
    assert answer_pieces(_chunk()) == ("", "")
