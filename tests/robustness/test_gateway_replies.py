"""Odd but real gateway replies, each through every entry point that can receive it.

Each row is a reply seen from OpenAI-compatible gateways and relays, and the answer a
user must get from the core client, ChatAnyfast and Anyfast alike (sync, async,
stream): the right answer, or an ``AnyfastError`` that says what came back.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import reduce
from operator import add
from typing import Any

import pytest
from langchain_core.messages import BaseMessageChunk
from llama_index.core.base.llms.types import ChatMessage

from anyfast_client import AnyfastError, StreamInterruptedError

from ._harness import (
    STREAMED,
    USAGE,
    WHOLE,
    Answer,
    Harness,
    check_contract,
    chunk,
    completion,
    sse,
)


@dataclass(frozen=True)
class Row:
    name: str
    streamed: bool
    body: bytes
    expect: Answer | type[AnyfastError]
    match: str = ""


def _call(id_: str, name: str, arguments: Any, **extra: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
        **extra,
    }


def _whole(message: dict[str, Any], finish: str = "stop", **extra: Any) -> bytes:
    return json.dumps(completion(message, finish, **extra)).encode()


_WEATHER = ("call_1", "get_weather", '{"city": "Paris"}')
_TIME = ("call_2", "get_time", '{"tz": "UTC"}')
_BIG = "1" * 5000
_DEEP = "[" * 100_000 + "]" * 100_000
_MESSAGES = [ChatMessage(role="user", content="hi")]
_OK = Answer(text="Hi there", finish_reason="stop", usage=(5, 2, 7))

ROWS = [
    # 1. a 200 with no choices is no answer
    Row(
        "choices empty",
        False,
        json.dumps(
            {"id": "c1", "object": "chat.completion", "choices": [], "usage": USAGE}
        ).encode(),
        AnyfastError,
        "no choices",
    ),
    Row(
        "choices null",
        False,
        json.dumps({"id": "c1", "object": "chat.completion", "choices": None}).encode(),
        AnyfastError,
        "no choices",
    ),
    Row(
        "stream of usage only",
        True,
        sse({"id": "c1", "choices": [], "usage": USAGE}),
        StreamInterruptedError,
        "without a finish_reason",
    ),
    # 2. usage on several chunks: the last one counts, never a sum
    Row(
        "usage on the finish chunk and the usage chunk",
        True,
        sse(
            chunk({"content": "Hi there"}),
            chunk(finish="stop", usage=USAGE),
            {"id": "c1", "choices": [], "usage": USAGE},
        ),
        _OK,
    ),
    Row(
        "usage as a running total on every chunk",
        True,
        sse(
            chunk(
                {"content": "Hi "},
                usage={"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
            ),
            chunk({"content": "there"}, usage=USAGE),
            chunk(finish="stop", usage=USAGE),
        ),
        _OK,
    ),
    # 3. finish_reason and model repeated; usage changing type; extra usage fields
    Row(
        'finish_reason "" until the end, "stop" repeated on the usage chunk',
        True,
        sse(
            chunk({"role": "assistant", "content": ""}, finish=""),
            chunk({"content": "Hi there"}, finish=""),
            chunk(finish="stop"),
            {**chunk(finish="stop"), "usage": USAGE},
        ),
        _OK,
    ),
    Row(
        "usage int then float, with a cost",
        True,
        sse(
            chunk({"content": "Hi there"}, usage={"prompt_tokens": 5, "completion_tokens": 1}),
            chunk(finish="stop", usage={**USAGE, "completion_tokens": 2.0, "cost": 0.0001}),
        ),
        _OK,
    ),
    # 4. tool calls without an index, or a reused index with a new id
    Row(
        "two tool calls without index",
        True,
        sse(
            chunk({"tool_calls": [_call("call_1", "get_weather", "")]}),
            chunk({"tool_calls": [{"function": {"arguments": '{"city": "Paris"}'}}]}),
            chunk({"tool_calls": [_call("call_2", "get_time", '{"tz": "UTC"}')]}),
            chunk(finish="tool_calls"),
        ),
        Answer(calls=(_WEATHER, _TIME), finish_reason="tool_calls"),
    ),
    Row(
        "index 0 reused with a new id",
        True,
        sse(
            chunk({"tool_calls": [_call("call_1", "get_weather", '{"city": "Paris"}', index=0)]}),
            chunk({"tool_calls": [_call("call_2", "get_time", '{"tz": "UTC"}', index=0)]}),
            chunk(finish="tool_calls"),
        ),
        Answer(calls=(_WEATHER, _TIME), finish_reason="tool_calls"),
    ),
    Row(
        "a tool name streamed in pieces",
        True,
        sse(
            chunk({"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "get_"}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"name": "weather"}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": "Paris"}'}}]}),
            chunk(finish="tool_calls"),
        ),
        Answer(calls=(_WEATHER,), finish_reason="tool_calls"),
    ),
    # 6. arguments that are JSON but not an object: an invalid call, not an exception
    *(
        Row(
            f"whole arguments {name}",
            False,
            _whole(
                {"content": "", "tool_calls": [_call("call_1", "get_weather", arguments)]},
                "tool_calls",
            ),
            Answer(calls=(("call_1", "get_weather", None),), finish_reason="tool_calls"),
        )
        for name, arguments in (
            ("a list", '["Paris"]'),
            ("a number", "42"),
            ("a double-encoded object", json.dumps('{"city": "Paris"}')),
            ("with a 5,000-digit integer", f'{{"n": {_BIG}}}'),
            ("nested 100k deep", f'{{"n": {_DEEP}}}'),
        )
    ),
    Row(
        "streamed arguments that are a list",
        True,
        sse(
            chunk({"tool_calls": [_call("call_1", "get_weather", '["Paris"]', index=0)]}),
            chunk(finish="tool_calls"),
        ),
        Answer(calls=(("call_1", "get_weather", None),), finish_reason="tool_calls"),
    ),
    # 9. several choices, out of index order: choice 0 answers, never a mix
    Row(
        "whole choices out of order",
        False,
        json.dumps(
            {
                "id": "c1",
                "model": "qwen3.6-flash",
                "choices": [
                    {
                        "index": 1,
                        "message": {"role": "assistant", "content": "B"},
                        "finish_reason": "stop",
                    },
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "Hi there"},
                        "finish_reason": "stop",
                    },
                ],
                "usage": USAGE,
            }
        ).encode(),
        _OK,
    ),
    Row(
        "streamed choices interleaved",
        True,
        sse(
            chunk({"content": "B1 "}, index=1),
            chunk({"content": "Hi "}),
            chunk({"content": "B2"}, index=1),
            chunk({"content": "there"}),
            chunk(finish="stop", index=1),
            chunk(finish="stop"),
            {"id": "c1", "choices": [], "usage": USAGE},
        ),
        _OK,
    ),
    Row(
        "streamed choices numbered from 1",
        True,
        sse(
            chunk({"role": "assistant", "content": ""}, index=1),
            chunk({"content": "Hi "}, index=1),
            chunk({"content": "there"}, index=1),
            chunk(finish="stop", index=1),
            {"id": "c1", "choices": [], "usage": USAGE},
        ),
        _OK,
    ),
    Row(
        "streamed reasoning and tool calls at choice 1 only",
        True,
        sse(
            chunk({"reasoning_content": "Weather, then time."}, index=1),
            chunk({"tool_calls": [_call("call_1", "get_weather", '{"city": ', index=0)]}, index=1),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}, index=1),
            chunk({"tool_calls": [_call("call_2", "get_time", '{"tz": "UTC"}', index=1)]}, index=1),
            chunk(finish="tool_calls", index=1),
        ),
        Answer(
            reasoning="Weather, then time.", calls=(_WEATHER, _TIME), finish_reason="tool_calls"
        ),
    ),
    # 11. lenient in: odd types that still hold a good answer
    Row(
        "delta null, created float, id and model null",
        True,
        sse(
            {"id": None, "model": None, "created": 1.5, "choices": [{"index": 0, "delta": None}]},
            chunk({"content": "Hi there"}),
            chunk(
                finish="stop",
                usage={"prompt_tokens": 5.0, "completion_tokens": 2, "total_tokens": 7.0},
            ),
        ),
        _OK,
    ),
    Row(
        "whole usage with floats and nulls",
        False,
        _whole(
            {"content": "Hi there"},
            usage={"prompt_tokens": 5.0, "completion_tokens": 2, "total_tokens": None},
            created=1.5,
            id=None,
            model=None,
        ),
        _OK,
    ),
    Row(
        "content as a list of parts",
        False,
        _whole({"content": [{"type": "text", "text": "Hi "}, "there"]}, usage=USAGE),
        _OK,
    ),
    Row(
        "content parts whose type is no string",
        False,
        _whole(
            {"content": [{"type": ["text"], "text": "Hi "}, {"type": None}, "there"]}, usage=USAGE
        ),
        _OK,
    ),
    # Thinking passed on as parts of the content list: reasoning, never answer text.
    Row(
        "whole thinking as a content part",
        False,
        _whole(
            {
                "content": [
                    {"type": "thinking", "thinking": [{"type": "text", "text": "Greet back."}]},
                    {"type": "text", "text": "Hi there"},
                ]
            },
            usage=USAGE,
        ),
        Answer(text="Hi there", reasoning="Greet back.", finish_reason="stop", usage=(5, 2, 7)),
    ),
    Row(
        "streamed thinking as content parts",
        True,
        sse(
            chunk({"content": [{"type": "reasoning", "text": "Greet "}]}),
            chunk({"content": [{"type": "reasoning", "text": "back."}]}),
            chunk({"content": [{"type": "text", "text": "Hi "}]}),
            chunk({"content": "there"}, "stop"),
        ),
        Answer(text="Hi there", reasoning="Greet back.", finish_reason="stop"),
    ),
    Row(
        "whole arguments as a JSON object",
        False,
        _whole(
            {"content": None, "tool_calls": [_call("call_1", "get_weather", {"city": "Paris"})]},
            "tool_calls",
        ),
        Answer(calls=(_WEATHER,), finish_reason="tool_calls"),
    ),
    Row(
        "streamed arguments as a JSON object",
        True,
        sse(
            chunk({"tool_calls": [_call("call_1", "get_weather", {"city": "Paris"}, index=0)]}),
            chunk(finish="tool_calls"),
        ),
        Answer(calls=(_WEATHER,), finish_reason="tool_calls"),
    ),
    # 12. a 5,000-digit integer in streamed arguments
    Row(
        "streamed arguments with a 5,000-digit integer",
        True,
        sse(
            chunk({"tool_calls": [_call("call_1", "get_weather", f'{{"n": {_BIG}}}', index=0)]}),
            chunk(finish="tool_calls"),
        ),
        Answer(calls=(("call_1", "get_weather", None),), finish_reason="tool_calls"),
    ),
]


ROWS.append(
    Row(
        "streamed arguments nested 100k deep",
        True,
        sse(
            chunk({"tool_calls": [_call("call_1", "get_weather", f'{{"n": {_DEEP}}}', index=0)]}),
            chunk(finish="tool_calls"),
        ),
        Answer(calls=(("call_1", "get_weather", None),), finish_reason="tool_calls"),
    )
)


def _cases() -> list[Any]:
    return [
        pytest.param(row, entry, id=f"{row.name}-{entry}")
        for row in ROWS
        for entry in (STREAMED if row.streamed else WHOLE)
    ]


@pytest.mark.parametrize(("row", "entry"), _cases())
def test_reply(harness: Harness, row: Row, entry: str) -> None:
    if row.streamed:
        harness.set_stream(row.body)
    else:
        harness.set_json(row.body)
    outcome = harness.run(entry)
    check_contract(entry, outcome)
    if isinstance(row.expect, Answer):
        assert outcome.error is None, outcome.error
        assert outcome.answer == row.expect
    else:
        assert isinstance(outcome.error, row.expect), outcome.error
        assert row.match in str(outcome.error)


@pytest.mark.parametrize("arguments", ['["Paris"]', f'{{"n": {_BIG}}}', f'{{"n": {_DEEP}}}'])
def test_llama_index_tool_selection_of_unreadable_arguments(
    harness: Harness, arguments: str
) -> None:
    harness.set_json(_whole({"tool_calls": [_call("call_1", "get_weather", arguments)]}))
    response = harness.llm.chat(_MESSAGES)
    [selection] = harness.llm.get_tool_calls_from_response(response)
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == (
        "call_1",
        "get_weather",
        {},
    )


@pytest.mark.parametrize("api", ["sync", "async"])
def test_langchain_stream_metadata_comes_once(harness: Harness, api: str) -> None:
    """Repeated finish reasons, models and usage never add up in the aggregated message."""
    harness.set_stream(
        sse(
            chunk({"content": "Hi "}, finish="", usage={**USAGE, "cost": 1}),
            chunk({"content": "there"}, finish="", usage={**USAGE, "total_tokens": 7.0}),
            chunk(finish="stop", usage=USAGE),
            {**chunk(finish="stop"), "usage": USAGE},
        )
    )
    if api == "sync":
        chunks = list(harness.chat_model.stream("hi"))
    else:
        chunks = harness.loop.run_until_complete(_collect(harness.chat_model.astream("hi")))
    total = reduce(add, chunks)
    metadata = total.response_metadata
    assert (metadata["finish_reason"], metadata["model_name"]) == ("stop", "qwen3.6-flash")
    assert metadata["token_usage"] == USAGE
    assert total.usage_metadata is not None
    assert total.usage_metadata["total_tokens"] == 7


async def _collect(stream: AsyncIterator[BaseMessageChunk]) -> list[BaseMessageChunk]:
    return [chunk async for chunk in stream]


def test_llama_index_stream_usage_is_the_latest_report_whole(harness: Harness) -> None:
    early = {**USAGE, "prompt_tokens_details": {"cached_tokens": 4}}
    harness.set_stream(
        sse(
            chunk({"content": "Hi there"}, usage=early),
            chunk(finish="stop", usage={**USAGE, "total_tokens": 7.0}),
        )
    )
    *_, last = harness.llm.stream_chat(_MESSAGES)
    assert {k: last.additional_kwargs[k] for k in USAGE} == USAGE
    assert "cached_tokens" not in last.additional_kwargs
    assert last.additional_kwargs["finish_reason"] == "stop"
