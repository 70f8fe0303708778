"""The core's plan for a forced tool or JSON output while thinking (anyfast_client._forced)."""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any

import pytest

from anyfast_client import (
    AnyfastWarning,
    ChatCompletion,
    ChatRequest,
    SystemMessage,
    UserMessage,
)
from anyfast_client._forced import Plan, aanswer, answer, plan_request
from anyfast_client._json_text import fits_schema, json_object_in
from anyfast_client.testing.simulation import as_instructed

CITY = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "country": {"type": "string"}},
    "required": ["name", "country"],
}
TOOLS = [
    {"type": "function", "function": {"name": "City", "parameters": CITY}},
    {"type": "function", "function": {"name": "population", "parameters": {"type": "object"}}},
]
NAMED = {"type": "function", "function": {"name": "City"}}
PARIS = {"name": "Paris", "country": "France"}


def request(**fields: Any) -> ChatRequest:
    return ChatRequest(messages=[UserMessage(content="Which city?")], **fields)


def completion(content: str = "", calls: tuple[tuple[str, Any], ...] = ()) -> ChatCompletion:
    tool_calls = [
        {"id": f"c{i}", "function": {"name": name, "arguments": json.dumps(args)}}
        for i, (name, args) in enumerate(calls)
    ]
    message = {"role": "assistant", "content": content, "reasoning_content": "hm"}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return ChatCompletion.model_validate({"choices": [{"index": 0, "message": message}]})


def kept(**fields: Any) -> Plan:
    plan = plan_request(request(enable_thinking=True, **fields))
    assert plan.checks
    return plan


# --------------------------------------------------------------------------- the plan


def test_nothing_refused_is_sent_as_asked() -> None:
    for fields in ({"enable_thinking": True}, {"tools": TOOLS, "tool_choice": NAMED}):
        asked = request(**fields)
        plan = plan_request(asked)
        assert plan.request is asked and not plan.checks


def test_keep_asks_with_auto_and_a_system_line_and_plans_the_fallback() -> None:
    asked = ChatRequest(
        messages=[SystemMessage(content="Be brief."), UserMessage(content="Which city?")],
        enable_thinking=True,
        tools=TOOLS,
        tool_choice=NAMED,
    )
    plan = plan_request(asked)
    first = plan.request.to_body(stream=False)
    assert (first["enable_thinking"], first["tool_choice"]) == (True, "auto")
    assert first["messages"][0] == {
        "role": "system",
        "content": "Be brief.\n\nAnswer by calling the function 'City'; do not answer in text.",
    }
    assert plan.fallback is not None
    fallback = plan.fallback.to_body(stream=False)
    assert (fallback["enable_thinking"], fallback["tool_choice"]) == (False, NAMED)
    assert fallback["messages"][0] == {"role": "system", "content": "Be brief."}
    assert asked.enable_thinking is True  # the caller's request is untouched


def test_json_is_asked_in_words_with_the_schema() -> None:
    schema_format = {"type": "json_schema", "json_schema": {"name": "City", "schema": CITY}}
    plan = kept(response_format=schema_format)
    first = plan.request.to_body(stream=False)
    assert "response_format" not in first and "tool_choice" not in first
    assert first["messages"][0]["role"] == "system"
    assert json.dumps(CITY) in first["messages"][0]["content"]
    assert plan.fallback is not None
    assert plan.fallback.to_body(stream=False)["response_format"] == schema_format


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        (
            {"name": "City", "description": "A city and its country.", "schema": CITY},
            'The object is named "City", described as "A city and its country.".',
        ),
        ({"name": "City", "schema": CITY}, 'The object is named "City".'),
        ({"name": "Quote", "description": 'Say "hi"\nthen go.', "schema": CITY}, None),
    ],
    ids=["name and description", "name only", "quotes and a line break"],
)
def test_the_json_line_names_and_describes_the_schema(
    spec: dict[str, Any], said: str | None
) -> None:
    schema_format = {"type": "json_schema", "json_schema": spec}
    line = kept(response_format=schema_format).request.to_body(stream=False)["messages"][0]
    text = line["content"]
    assert "\n" not in text  # one line, whatever the description holds
    if said is not None:
        assert said in text
    # The local server's simulated model reads the line back as the response_format it
    # stands for: nothing of the name or description is lost on the way.
    read = as_instructed({"messages": [line, {"role": "user", "content": "Which city?"}]})
    assert read["response_format"] == schema_format


def test_off_turns_thinking_off_up_front_with_a_warning() -> None:
    with pytest.warns(AnyfastWarning, match="Thinking is turned off"):
        plan = plan_request(
            request(enable_thinking=True, tools=TOOLS, tool_choice="required"), "off"
        )
    assert not plan.checks and plan.request.enable_thinking is False


# --------------------------------------------------------------------------- the check


@pytest.mark.parametrize(
    ("fields", "answer_", "counts"),
    [
        ({"tools": TOOLS, "tool_choice": NAMED}, completion(calls=(("City", PARIS),)), True),
        ({"tools": TOOLS, "tool_choice": NAMED}, completion(calls=(("population", {}),)), False),
        ({"tools": TOOLS, "tool_choice": NAMED}, completion("It is Paris."), False),
        ({"tools": TOOLS, "tool_choice": NAMED}, completion('{"name": "Paris"}'), False),
        (
            {"tools": TOOLS, "tool_choice": "required"},
            completion(calls=(("population", {}),)),
            True,
        ),
        ({"tools": TOOLS, "tool_choice": "required"}, completion(json.dumps(PARIS)), False),
        ({"response_format": {"type": "json_object"}}, completion("no json here"), False),
        ({"response_format": {"type": "json_object"}}, completion("[1, 2]"), False),
        (
            {"tools": TOOLS, "response_format": {"type": "json_object"}},
            completion(calls=(("City", PARIS),)),
            True,
        ),
    ],
)
def test_what_counts(fields: dict[str, Any], answer_: ChatCompletion, counts: bool) -> None:
    assert (kept(**fields).accept(answer_) is not None) is counts


def test_json_in_the_text_that_fits_a_named_tool_becomes_its_call() -> None:
    text = f"Here:\n```json\n{json.dumps(PARIS)}\n```"
    accepted = kept(tools=TOOLS, tool_choice=NAMED).accept(completion(text))
    assert accepted is not None
    message = accepted.choices[0].message
    (call,) = message.tool_calls or []
    assert (call.function.name, json.loads(call.function.arguments)) == ("City", PARIS)
    assert call.id and message.content == "" and message.reasoning_content == "hm"


def test_one_tool_required_is_that_tool_named() -> None:
    plan = kept(tools=TOOLS[:1], tool_choice="required")
    assert "'City'" in str(plan.request.messages[0].content)
    assert plan.accept(completion(json.dumps(PARIS))) is not None


def test_a_json_answer_becomes_the_object_alone() -> None:
    schema_format = {"type": "json_schema", "json_schema": {"name": "City", "schema": CITY}}
    plan = kept(response_format=schema_format)
    accepted = plan.accept(completion(f"Sure! {json.dumps(PARIS)} Hope it helps."))
    assert accepted is not None and accepted.choices[0].message.content == json.dumps(PARIS)
    assert plan.accept(completion('{"name": "Paris"}')) is None  # country is required


# --------------------------------------------------------------------------- the shells


@pytest.mark.parametrize(("replies", "sent"), [(1, 1), (2, 2)])
def test_one_request_or_two_never_more(replies: int, sent: int) -> None:
    answers = [completion("prose"), completion(calls=(("City", PARIS),))]
    if replies == 1:
        answers = answers[1:]
    bodies: list[dict[str, Any]] = []

    def send(req: ChatRequest) -> ChatCompletion:
        bodies.append(req.to_body(stream=False))
        return answers[len(bodies) - 1] if len(bodies) <= len(answers) else completion("again")

    plan = kept(tools=TOOLS, tool_choice=NAMED)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result, used = answer(plan, send)
    assert len(bodies) == sent
    assert len([w for w in caught if w.category is AnyfastWarning]) == sent - 1
    assert used.enable_thinking is (sent == 1)
    assert result.choices[0].message.tool_calls


def test_the_async_shell_is_the_same() -> None:
    answers = iter([completion("prose"), completion("still prose")])

    async def send(req: ChatRequest) -> ChatCompletion:
        return next(answers)

    plan = kept(tools=TOOLS, tool_choice=NAMED)
    with pytest.warns(AnyfastWarning, match="asking once more"):
        result, used = asyncio.run(aanswer(plan, send))
    # The fallback's answer is returned whatever it is: there is no third request.
    assert result.choices[0].message.content == "still prose" and not used.enable_thinking


# --------------------------------------------------------------------------- JSON in text


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('{"a": 1}', {"a": 1}),
        ('Here:\n```json\n{"a": 1}\n```\nDone.', {"a": 1}),
        ('Sure: {"a": {"b": 2}} ok', {"a": {"b": 2}}),
        ("[1, 2]", None),
        ("no braces", None),
        ("{broken", None),
    ],
)
def test_json_object_in(text: str, found: Any) -> None:
    result = json_object_in(text)
    assert (result[0] if result else None) == found


DEFS = {
    "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "integer"}}}},
    "type": "object",
    "properties": {
        "p": {"$ref": "#/$defs/Point"},
        "kind": {"enum": ["a", "b"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "n": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    },
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("value", "fits"),
    [
        ({"p": {"x": 1}, "kind": "a", "tags": ["t"], "n": None}, True),
        ({"p": {"x": 1.0}}, True),  # an integral float is an integer in JSON
        ({"p": {"x": "1"}}, False),
        ({"p": {"x": True}}, False),  # a boolean is not a number
        ({"kind": "c"}, False),
        ({"tags": [1]}, False),
        ({"n": "x"}, False),
        ({"extra": 1}, False),
    ],
)
def test_fits_schema(value: Any, fits: bool) -> None:
    assert fits_schema(value, DEFS) is fits
