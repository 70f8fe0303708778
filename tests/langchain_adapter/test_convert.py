"""The pure converters, table-tested."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from anyfast_client import ChatCompletion
from langchain_anyfast._convert import messages_to_anyfast
from langchain_anyfast._response import completion_to_chat_result


def _wire(*messages: Any, preserve_thinking: bool = False) -> list[dict[str, Any]]:
    converted = messages_to_anyfast(messages, preserve_thinking=preserve_thinking)
    return [m.model_dump(exclude_none=True) for m in converted]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            ChatMessage(role="developer", content="Be terse."),
            {"role": "system", "content": "Be terse."},
        ),
        (ChatMessage(role="user", content="hi"), {"role": "user", "content": "hi"}),
        (
            HumanMessage([{"type": "text", "text": "only text"}]),
            {"role": "user", "content": "only text"},
        ),
        (
            SystemMessage([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]),
            {"role": "system", "content": "a\nb"},  # text blocks join with a newline
        ),
        (
            # v1 output content: reasoning and tool-call blocks are not text.
            AIMessage(
                [{"type": "reasoning", "reasoning": "hmm"}, {"type": "text", "text": "4"}],
                additional_kwargs={"reasoning_content": "hmm"},
            ),
            {"role": "assistant", "content": "4"},
        ),
    ],
)
def test_messages_to_anyfast(message: Any, expected: dict[str, Any]) -> None:
    assert _wire(message) == [expected]


def test_invalid_tool_calls_go_back_as_sent() -> None:
    message = AIMessage(
        "",
        invalid_tool_calls=[{"name": "f", "args": "{oops", "id": "call_x", "error": "bad"}],
    )
    [sent] = _wire(message)
    assert sent["tool_calls"] == [
        {"id": "call_x", "type": "function", "function": {"name": "f", "arguments": "{oops"}}
    ]


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (FunctionMessage(name="f", content="x"), "role 'function'"),
        (ChatMessage(role="critic", content="x"), "role 'critic'"),
        (SystemMessage([{"type": "image", "url": "https://x/a.png"}]), "only text in system"),
        (
            ToolMessage([{"type": "image", "url": "https://x/a.png"}], tool_call_id="1"),
            "only text in tool",
        ),
        (HumanMessage([{"type": "image", "file_id": "file-1"}]), "file ids are not supported"),
    ],
)
def test_what_anyfast_cannot_take_is_refused(message: Any, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        messages_to_anyfast([message])


def test_completion_with_broken_arguments_gives_an_invalid_tool_call() -> None:
    completion = ChatCompletion.model_validate(
        {
            "id": "c1",
            "model": "qwen3.6-flash",
            "choices": [
                {
                    "message": {
                        "content": None,
                        "tool_calls": [
                            {"id": "a", "function": {"name": "f", "arguments": '{"x": 1}'}},
                            {"id": "b", "function": {"name": "g", "arguments": "{not json"}},
                        ],
                    },
                    "finish_reason": "tool_calls",
                }
            ],
        }
    )
    message = completion_to_chat_result(completion).generations[0].message
    assert isinstance(message, AIMessage)
    assert message.content == "" and message.usage_metadata is None
    assert [c["args"] for c in message.tool_calls] == [{"x": 1}]
    assert [(c["name"], c["args"]) for c in message.invalid_tool_calls] == [("g", "{not json")]
