"""Choices listed out of order: ``choices[0]`` is index 0 in every path.

A gateway may list ``[index 1, index 0]`` in a whole completion, or send index 1's
chunks first in a stream. The core client, the streamed completion, ChatAnyfast and
Anyfast (whole and streamed, sync and async) all answer with index 0.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage

from anyfast_client import ChatCompletion, ChatRequest, UserMessage

from ._harness import STREAMED, WHOLE, Harness, chunk, sse


def _choice(index: int, text: str, finish: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": text}
    return {"index": index, "message": message, "finish_reason": finish}


WHOLE_BODY = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "qwen3.6-flash",
    "choices": [_choice(1, "one", "length"), _choice(0, "zero", "stop")],
}
STREAM_BODY = sse(
    chunk({"role": "assistant", "content": "o"}, index=1),
    chunk({"role": "assistant", "content": "ze"}, index=0),
    chunk({"content": "ne"}, "length", index=1),
    chunk({"content": "ro"}, "stop", index=0),
)


def _order(completion: ChatCompletion) -> list[tuple[int, str | None, str | None]]:
    return [(c.index, c.message.content, c.finish_reason) for c in completion.choices]


IN_ORDER = [(0, "zero", "stop"), (1, "one", "length")]


def test_the_core_client_lists_choices_by_index(harness: Harness) -> None:
    harness.set_json(WHOLE_BODY)
    assert _order(harness.client.chat(_request())) == IN_ORDER
    assert _order(harness._await(harness.aclient.chat(_request()))) == IN_ORDER


def test_the_streamed_completion_lists_choices_by_index(harness: Harness) -> None:
    harness.set_stream(STREAM_BODY)
    with harness.client.chat_stream(_request()) as stream:
        for _ in stream:
            pass
    assert _order(stream.completion) == IN_ORDER


@pytest.mark.parametrize("entry", WHOLE + STREAMED)
def test_every_entry_point_answers_with_index_0(harness: Harness, entry: str) -> None:
    streamed = entry in STREAMED
    if streamed:
        harness.set_stream(STREAM_BODY)
    else:
        harness.set_json(WHOLE_BODY)
    answer = harness.run(entry).answer
    assert answer is not None
    assert (answer.text, answer.finish_reason) == ("zero", "stop")


def test_chat_anyfast_generations_are_in_index_order(harness: Harness) -> None:
    harness.set_json(WHOLE_BODY)
    result = harness.chat_model.generate([[HumanMessage("hi")]])
    assert [g.text for g in result.generations[0]] == ["zero", "one"]


def test_anyfast_raw_completion_is_in_index_order(harness: Harness) -> None:
    harness.set_json(WHOLE_BODY)
    response = harness.llm.chat(_messages())
    assert isinstance(response.raw, ChatCompletion)
    assert _order(response.raw) == IN_ORDER


def test_a_completion_built_from_json_is_in_index_order() -> None:
    completion = ChatCompletion.model_validate_json(json.dumps(WHOLE_BODY))
    assert _order(completion) == IN_ORDER


def _request() -> ChatRequest:
    return ChatRequest(messages=[UserMessage(content="hi")])


def _messages() -> list[ChatMessage]:
    return [ChatMessage(role="user", content="hi")]


def test_index_0_answers_before_a_lower_index(harness: Harness) -> None:
    # A nonsense negative index must not take the answer's place in one path only.
    body = {**WHOLE_BODY, "choices": [_choice(-1, "minus", "stop"), _choice(0, "zero", "stop")]}
    harness.set_json(body)
    for entry in WHOLE:
        answer = harness.run(entry).answer
        assert answer is not None and answer.text == "zero", entry
    assert [c.index for c in harness.client.chat(_request()).choices] == [0, -1]
