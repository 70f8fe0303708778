"""What a request means: layers, spellings, ranges, id-less calls and the thinking rules."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from anyfast_client import (
    AnyfastWarning,
    AssistantMessage,
    ChatRequest,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from anyfast_client._conversation import settle_tool_call_ids
from anyfast_client._request import (
    Layer,
    asked_request,
    check_setting,
    settle_request,
    thinking_conflict,
    tool_choice_to_wire,
    warn_if_budget_spent,
)

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


# --------------------------------------------------------------------------- layers

HI = [UserMessage(content="hi")]


def body_of(*layers: Layer) -> dict[str, Any]:
    request = settle_request(asked_request(lambda preserve: list(HI), list(layers)), stacklevel=1)
    return request.to_body(stream=False)


def test_later_layers_win_and_aliases_meet_their_field() -> None:
    body = body_of(
        Layer({"temperature": 0.1, "max_tokens": 10, "stop": "A"}, strict=True),
        Layer({"max_completion_tokens": 20, "top_k": 1, "vendor": "kwargs"}),
        Layer({"top_k": 2}),
        Layer({"temperature": 0.5, "extra_body": {"vendor": "call"}}, strict=True),
    )
    assert body["temperature"] == 0.5
    assert body["max_completion_tokens"] == 20
    assert body["stop"] == ["A"]
    assert (body["top_k"], body["vendor"]) == (2, "call")
    assert "max_tokens" not in body


def test_extra_body_inside_a_body_layer_merges_into_the_body() -> None:
    body = body_of(
        Layer({"temperature": 0.1}, strict=True),
        Layer({"extra_body": {"chat_template_kwargs": {"enable_thinking": False}}, "top_k": 3}),
    )
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["top_k"] == 3
    assert "extra_body" not in body


def test_none_unsets_and_ignored_keywords_are_not_sent() -> None:
    body = body_of(
        Layer({"temperature": 0.1}, strict=True),
        Layer({"temperature": None, "stream_usage": False}, strict=True, ignore={"stream_usage"}),
    )
    assert "temperature" not in body and "stream_usage" not in body


def test_an_unknown_strict_keyword_names_the_closest_field_and_extra_body() -> None:
    with pytest.raises(
        TypeError,
        match=r"X got an unknown keyword 'presense_penalty'; did you "
        r"mean 'presence_penalty'\?.*extra_body=\{'presense_penalty': \.\.\.\}",
    ):
        body_of(Layer({"presense_penalty": 1}, strict=True, where="X"))


def test_a_body_layer_is_checked_under_the_name_it_was_given() -> None:
    with pytest.raises(ValueError, match="max_tokens=0 is not accepted: max_tokens must be >= 1"):
        body_of(Layer({"max_tokens": 0}))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("temperature", 2.5, "temperature=2.5 is not accepted: temperature must be >= 0 and <= 2"),
        ("top_p", -0.1, "top_p must be >= 0 and <= 1"),
        ("max_completion_tokens", 70_000, "max_completion_tokens must be >= 1 and <= 65536"),
        ("presence_penalty", 3, "presence_penalty must be >= -2 and <= 2"),
        ("thinking_budget", -1, "thinking_budget must be > 0"),
        ("seed", "x", "seed='x' is not accepted: seed input should be a valid integer"),
    ],
)
def test_range_errors(name: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_setting(name, value)


@pytest.mark.parametrize("top_p", [0, 0.0, 1])
def test_top_p_takes_the_documented_ends(top_p: float) -> None:
    check_setting("top_p", top_p)
    assert body_of(Layer({"top_p": top_p}, strict=True))["top_p"] == top_p


# --------------------------------------------------------------------------- tool_choice

ONE = [{"type": "function", "function": {"name": "f"}}]
TWO = [*ONE, {"type": "function", "function": {"name": "g"}}]


@pytest.mark.parametrize(
    ("choice", "tools", "required", "wire"),
    [
        (None, ONE, False, None),
        (None, ONE, True, "required"),  # LlamaIndex tool_required
        ("auto", ONE, True, "auto"),
        ("none", ONE, False, "none"),
        ("required", ONE, False, "required"),
        ("any", TWO, False, "required"),  # LangChain
        (True, ONE, False, FORCED),  # LangChain: the only tool
        (True, TWO, False, "required"),
        (False, ONE, False, "none"),
        ("f", TWO, False, FORCED),  # both: a tool's name forces it
        (FORCED, TWO, False, FORCED),
    ],
)
def test_tool_choice_spellings(choice: Any, tools: Any, required: bool, wire: Any) -> None:
    assert tool_choice_to_wire(choice, tools, required=required) == wire
    assert tool_choice_to_wire(wire, tools) == wire  # settling twice changes nothing


# --------------------------------------------------------------------------- id-less calls


def test_id_less_calls_get_ids_and_their_results_follow_in_order() -> None:
    calls = [ToolCall(), ToolCall(id="kept"), ToolCall()]
    settled = settle_tool_call_ids(
        [
            UserMessage(content="x"),
            AssistantMessage(content=None, tool_calls=calls),
            ToolMessage(content="1", tool_call_id=""),
            ToolMessage(content="2", tool_call_id="kept"),
            ToolMessage(content="3", tool_call_id=""),
        ]
    )
    assert [c.id for c in settled[1].tool_calls or []] == ["call_0", "kept", "call_1"]
    assert [m.tool_call_id for m in settled[2:] if isinstance(m, ToolMessage)] == [
        "call_0",
        "kept",
        "call_1",
    ]


def test_a_result_without_an_id_and_no_call_to_answer_is_refused() -> None:
    with pytest.raises(ValueError, match="tool message needs the id of the call it answers"):
        settle_tool_call_ids([UserMessage(content="x"), ToolMessage(content="1", tool_call_id="")])
