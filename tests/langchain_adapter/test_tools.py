"""Tools and structured output through the wire, plus the stream converter's tool-call merging."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from anyfast_client import ChatCompletionChunk
from anyfast_client.testing import AnyfastTestServer, Reply, ToolCall
from langchain_anyfast import AnyfastWarning
from langchain_anyfast._convert import ChunkConverter

from ._support import Driver, aggregate
from .conftest import MakeModel


class GetWeather(BaseModel):
    """Get the current weather in a city."""

    city: str = Field(description="The city")


class Joke(BaseModel):
    """A joke."""

    setup: str
    punchline: str


class JokeDict(TypedDict):
    """A joke."""

    setup: str
    punchline: str


@tool
def get_time(timezone: str) -> str:
    """The time in a timezone."""
    return "noon"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


_DICT_TOOL = {
    "type": "function",
    "function": {
        "name": "ping",
        "description": "Ping a host.",
        "parameters": {"type": "object", "properties": {"host": {"type": "string"}}},
    },
}


async def test_bind_tools_takes_every_kind(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    model = make_model().bind_tools([GetWeather, get_time, add, _DICT_TOOL], strict=True)
    message = await drive.invoke(model, "What is the weather in Paris? Use GetWeather")
    sent = anyfast_server.last_request.json["tools"]
    assert [t["function"]["name"] for t in sent] == ["GetWeather", "get_time", "add", "ping"]
    assert all(t["function"].get("strict") is True for t in sent[:3])
    assert message.tool_calls == [
        {
            "name": "GetWeather",
            "args": {"city": "example"},
            "id": message.tool_calls[0]["id"],
            "type": "tool_call",
        }
    ]
    assert message.response_metadata["finish_reason"] == "tool_calls"


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("any", "required"),
        ("required", "required"),
        ("add", {"type": "function", "function": {"name": "add"}}),
        (True, {"type": "function", "function": {"name": "add"}}),
    ],
)
async def test_tool_choice_spellings(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, choice: Any, wire: Any
) -> None:
    model = make_model().bind_tools([add], tool_choice=choice, parallel_tool_calls=False)
    await model.ainvoke("add 1 and 2")
    body = anyfast_server.last_request.json
    assert (body["tool_choice"], body["parallel_tool_calls"]) == (wire, False)


async def test_forced_tool_while_thinking_turns_thinking_off(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    model = make_model(enable_thinking=True)
    with pytest.warns(AnyfastWarning, match="Thinking is turned off.*tool_choice"):
        message = await drive.invoke(model.bind_tools([add], tool_choice="any"), "add 2 and 3")
    assert anyfast_server.last_request.json["enable_thinking"] is False
    assert message.tool_calls[0]["name"] == "add"
    assert model.enable_thinking is True
    await drive.invoke(model.bind_tools([add]), "add 2 and 3")
    assert anyfast_server.last_request.json["enable_thinking"] is True


async def test_streamed_tool_calls_aggregate(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    calls = [
        ToolCall("get_time", {"timezone": "Europe/Paris"}, id="call_a"),
        ToolCall("ping", "", id="call_b"),
    ]
    anyfast_server.enqueue(Reply(reasoning="Two calls.", tool_calls=calls, chunk_size=4))
    model = make_model(enable_thinking=True).bind_tools([get_time, _DICT_TOOL])
    total = aggregate(await drive.stream(model, "time and ping"))
    assert [(c["name"], c["args"], c["id"]) for c in total.tool_calls] == [
        ("get_time", {"timezone": "Europe/Paris"}, "call_a"),
        ("ping", {}, "call_b"),
    ]
    assert total.invalid_tool_calls == []
    assert total.additional_kwargs["reasoning_content"] == "Two calls."


def _chunk(*tool_deltas: dict[str, Any], finish: str | None = None) -> ChatCompletionChunk:
    delta = {"tool_calls": list(tool_deltas)} if tool_deltas else {}
    return ChatCompletionChunk.model_validate(
        {
            "id": "c",
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def test_qwen_tool_call_deltas_merge() -> None:
    """Repeated ids and names, name and arguments apart, chunks without id, empty arguments."""
    wire = [
        _chunk({"index": 0, "id": "call_1", "type": "function", "function": {"name": "add"}}),
        _chunk({"index": 0, "id": "call_1", "function": {"name": "add", "arguments": '{"a": '}}),
        _chunk({"index": 0, "function": {"arguments": "1, "}}),
        _chunk({"index": 0, "id": "call_1", "function": {"arguments": '"b": 2}'}}),
        _chunk({"index": 1, "id": "call_2", "function": {"name": "now", "arguments": ""}}),
        _chunk({"index": 1, "id": "call_2", "function": {"name": "now"}}),
        _chunk(finish="tool_calls"),
    ]
    converter = ChunkConverter()
    chunks = [c for c in (converter.convert(w) for w in wire) if c is not None]
    total = aggregate(chunks)
    assert [(c["name"], c["args"], c["id"]) for c in total.tool_calls] == [
        ("add", {"a": 1, "b": 2}, "call_1"),
        ("now", {}, "call_2"),
    ]
    assert converter.finish_reason == "tool_calls"


def test_empty_chunks_are_skipped() -> None:
    first = ChatCompletionChunk.model_validate(
        {"choices": [{"delta": {"role": "assistant", "content": "", "reasoning_content": ""}}]}
    )
    assert ChunkConverter().convert(first) is None
    usage_only = ChatCompletionChunk.model_validate({"choices": [], "usage": {"prompt_tokens": 1}})
    assert ChunkConverter(stream_usage=False).convert(usage_only) is None
    assert ChunkConverter().convert(usage_only) is not None


# --------------------------------------------------------------------------- structured output


def _check(result: Any, kind: str) -> None:
    if kind == "pydantic":
        assert isinstance(result, Joke) and result.setup and result.punchline
    else:
        assert isinstance(result, dict) and set(result) == {"setup", "punchline"}


_SCHEMAS = {"pydantic": Joke, "typeddict": JokeDict, "json_schema": Joke.model_json_schema()}


@pytest.mark.parametrize("method", ["function_calling", "json_schema", "json_mode"])
@pytest.mark.parametrize("kind", list(_SCHEMAS))
async def test_structured_output(
    make_model: MakeModel,
    anyfast_server: AnyfastTestServer,
    drive: Driver,
    method: str,
    kind: str,
) -> None:
    model = make_model(enable_thinking=True)
    structured = model.with_structured_output(_SCHEMAS[kind], method=method)  # type: ignore[arg-type]
    prompt = "Tell me a joke about cats with a 'setup' and a 'punchline'."
    _check(await drive.invoke(structured, prompt), kind)
    body = anyfast_server.last_request.json
    assert body["enable_thinking"] is False
    assert model.enable_thinking is True
    name = "JokeDict" if kind == "typeddict" else "Joke"
    expected = {
        "function_calling": ("tool_choice", {"type": "function", "function": {"name": name}}),
        "json_schema": ("response_format", "json_schema"),
        "json_mode": ("response_format", "json_object"),
    }[method]
    sent = body[expected[0]]
    assert (sent["type"] if method != "function_calling" else sent) == expected[1]


async def test_json_mode_adds_the_word_json(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    structured = make_model().with_structured_output(method="json_mode")
    result = await drive.invoke(structured, "Name a 'color'.")
    assert result == {"color": "example color"}
    messages = anyfast_server.last_request.json["messages"]
    assert messages[0] == {"role": "system", "content": "Respond in JSON."}
    await drive.invoke(structured, [("system", "Be brief."), ("human", "Name a 'color'.")])
    messages = anyfast_server.last_request.json["messages"]
    assert messages[0]["content"] == "Be brief.\n\nRespond in JSON."
    await drive.invoke(structured, "Name a 'color' as JSON.")
    assert anyfast_server.last_request.json["messages"][0]["role"] == "user"


async def test_include_raw(make_model: MakeModel, anyfast_server: AnyfastTestServer) -> None:
    structured = make_model().with_structured_output(Joke, include_raw=True)
    result = await structured.ainvoke("a 'setup' and 'punchline'")
    assert isinstance(result["parsed"], Joke) and result["parsing_error"] is None
    assert result["raw"].tool_calls[0]["name"] == "Joke"
    anyfast_server.enqueue(Reply(tool_calls=[ToolCall("Joke", json.dumps({"setup": 1}))]))
    broken = await structured.ainvoke("a joke")
    assert broken["parsed"] is None and broken["parsing_error"] is not None
