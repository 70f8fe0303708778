"""What the API rejects while thinking, settled before the request goes out."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from anyfast_client import AnyfastWarning, ChatRequest, SystemMessage, TextPart, UserMessage
from anyfast_client._adapter import settle_request, thinking_conflict, warn_if_budget_spent

FORCED = {"type": "function", "function": {"name": "f"}}
TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]


def make(**fields: Any) -> ChatRequest:
    return ChatRequest(messages=[UserMessage(content="Tell me about JSON")], **fields)


@pytest.mark.parametrize(
    ("fields", "conflict"),
    [
        ({"enable_thinking": True}, None),
        ({"enable_thinking": True, "tools": TOOLS, "tool_choice": "auto"}, None),
        ({"enable_thinking": True, "tools": TOOLS, "tool_choice": "none"}, None),
        ({"enable_thinking": True, "response_format": {"type": "text"}}, None),
        ({"enable_thinking": True, "tools": TOOLS, "tool_choice": "required"}, "tool_choice"),
        ({"enable_thinking": True, "tools": TOOLS, "tool_choice": FORCED}, "tool_choice"),
        ({"enable_thinking": True, "response_format": {"type": "json_object"}}, "json_object"),
        ({"enable_thinking": True, "response_format": {"type": "json_schema"}}, "json_schema"),
        ({"enable_thinking": False, "tool_choice": "required", "tools": TOOLS}, None),
        ({"response_format": {"type": "json_object"}}, None),
    ],
)
def test_thinking_conflicts(fields: dict[str, Any], conflict: str | None) -> None:
    found = thinking_conflict(make(**fields))
    if conflict is None:
        assert found is None
    else:
        assert found is not None and conflict in found


def test_a_conflict_turns_thinking_off_for_that_request_only_with_a_warning() -> None:
    request = make(enable_thinking=True, tools=TOOLS, tool_choice="required")
    with pytest.warns(AnyfastWarning, match="Thinking is turned off.*tool_choice='required'"):
        settled = settle_request(request)
    assert settled.enable_thinking is False
    assert settled.to_body(stream=False)["enable_thinking"] is False
    assert request.enable_thinking is True  # the caller's request is untouched


def test_no_conflict_no_warning_and_the_same_request() -> None:
    request = make(enable_thinking=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert settle_request(request) is request


@pytest.mark.parametrize(
    ("messages", "expected_roles", "system_text"),
    [
        ([UserMessage(content="x")], ["system", "user"], "Respond in JSON."),
        (
            [SystemMessage(content="Be brief."), UserMessage(content="x")],
            ["system", "user"],
            "Be brief.\n\nRespond in JSON.",
        ),
    ],
)
def test_json_mode_adds_the_word_json_when_the_prompt_lacks_it(
    messages: list[Any], expected_roles: list[str], system_text: str
) -> None:
    request = ChatRequest(messages=messages, response_format={"type": "json_object"})
    settled = settle_request(request)
    body = settled.to_body(stream=False)
    assert [m["role"] for m in body["messages"]] == expected_roles
    assert body["messages"][0]["content"] == system_text
    assert len(request.messages) == len(messages)  # the caller's request is untouched


@pytest.mark.parametrize(
    "message",
    [
        UserMessage(content="Answer as JSON"),
        UserMessage(content=[TextPart(text="x"), TextPart(text="in json please")]),
    ],
)
def test_json_mode_leaves_a_prompt_that_mentions_json(message: Any) -> None:
    request = ChatRequest(messages=[message], response_format={"type": "json_object"})
    assert settle_request(request) is request


@pytest.mark.parametrize(
    ("finish", "thinking", "answered", "warns"),
    [
        ("length", True, False, True),
        ("length", True, True, False),
        ("length", False, False, False),
        ("stop", True, False, False),
        (None, True, False, False),
    ],
)
def test_budget_spent_warning(
    finish: str | None, thinking: bool, answered: bool, warns: bool
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_if_budget_spent(finish, thinking=thinking, answered=answered)
    messages = [str(w.message) for w in caught if w.category is AnyfastWarning]
    assert len(messages) == (1 if warns else 0)
    assert all("went to thinking" in m for m in messages)
