"""Tools and structured output through the wire, plus the stream converter's tool-call merging."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from anyfast_client import AnyfastClient, AsyncAnyfastClient, ChatCompletionChunk
from anyfast_client._adapter import LazyClients, StreamAccumulator
from anyfast_client.testing import AnyfastTestServer, Reply, ScriptedToolCall
from langchain_anyfast import AnyfastWarning, ChatAnyfast
from langchain_anyfast._response import ChunkConverter

from ._support import Driver, aggregate
from .conftest import REPO, MakeModel


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
    anyfast_server.enqueue(Reply(tool_calls=[ScriptedToolCall("GetWeather", {"city": "Paris"})]))
    message = await drive.invoke(model, "What is the weather in Paris? Use GetWeather")
    sent = anyfast_server.last_request.json["tools"]
    assert [t["function"]["name"] for t in sent] == ["GetWeather", "get_time", "add", "ping"]
    assert all(t["function"].get("strict") is True for t in sent[:3])
    assert message.tool_calls == [
        {
            "name": "GetWeather",
            "args": {"city": "Paris"},
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


async def test_forced_tool_while_thinking_keeps_it_and_off_turns_it_off(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    model = make_model(enable_thinking=True)
    message = await drive.invoke(model.bind_tools([add], tool_choice="any"), "add 2 and 3")
    body = anyfast_server.last_request.json
    assert (body["enable_thinking"], body["tool_choice"]) == (True, "auto")
    assert message.tool_calls[0]["name"] == "add"
    off = model.bind_tools([add], tool_choice="any", forced_tool_thinking="off")
    with pytest.warns(AnyfastWarning, match="Thinking is turned off.*tool_choice"):
        message = await drive.invoke(off, "add 2 and 3")
    assert anyfast_server.last_request.json["enable_thinking"] is False
    assert message.tool_calls[0]["name"] == "add"
    assert model.enable_thinking is True
    await drive.invoke(model.bind_tools([add]), "add 2 and 3")
    assert anyfast_server.last_request.json["enable_thinking"] is True


async def test_streamed_tool_calls_aggregate(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    calls = [
        ScriptedToolCall("get_time", {"timezone": "Europe/Paris"}, id="call_a"),
        ScriptedToolCall("ping", "", id="call_b"),
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


async def test_content_blocks_with_tool_calls(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    """Reasoning, text and two tool calls: v0 content_blocks and v1 content, whole and
    streamed (a tool call's wire index must not merge it into the reasoning block)."""
    calls = [
        ScriptedToolCall("add", {"a": 1, "b": 2}, id="c1"),
        ScriptedToolCall("now", "", id="c2"),
    ]
    reply = Reply(reasoning="Two calls.", content="On it.", tool_calls=calls, chunk_size=3)
    expected = [
        {"type": "reasoning", "reasoning": "Two calls."},
        {"type": "text", "text": "On it."},
        {"type": "tool_call", "id": "c1", "name": "add", "args": {"a": 1, "b": 2}},
        {"type": "tool_call", "id": "c2", "name": "now", "args": {}},
    ]
    for version in ("v0", "v1"):
        model = make_model(enable_thinking=True, output_version=version)
        anyfast_server.enqueue(reply, reply)
        invoked = await drive.invoke(model, "add and now")
        streamed = aggregate(await drive.stream(model, "add and now"))
        for message in (invoked, streamed):
            blocks = [{k: v for k, v in b.items() if k != "index"} for b in message.content_blocks]
            assert blocks == expected, version
        assert streamed.tool_calls == invoked.tool_calls
        if version == "v1":
            assert streamed.content == streamed.content_blocks


@pytest.fixture
async def qwen_model(make_model: MakeModel) -> AsyncIterator[ChatAnyfast]:
    """A model whose every call gets tests/fixtures/tool_calls.sse over httpx's MockTransport:
    two calls interleaved, ids repeated and missing, name apart from the arguments, one
    with empty arguments, then a usage chunk."""
    body = (REPO / "tests" / "fixtures" / "tool_calls.sse").read_bytes()

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    transport = httpx.MockTransport(answer)
    settings: dict[str, Any] = {"api_key": "k", "base_url": "http://anyfast.test/v1"}
    sync = AnyfastClient(http_client=httpx.Client(transport=transport), **settings)
    async_ = AsyncAnyfastClient(http_client=httpx.AsyncClient(transport=transport), **settings)
    model = make_model()
    model._clients = LazyClients(sync, async_)
    yield model
    sync.close()
    await async_.close()


_QWEN_CALLS = [
    ("get_weather", {"city": "北京"}, "call_weather_1"),
    ("get_time", {}, "call_time_2"),
]


async def test_interleaved_qwen_tool_calls_aggregate(
    qwen_model: ChatAnyfast, drive: Driver
) -> None:
    chunks = await drive.stream(qwen_model, "weather and time")
    total = aggregate(chunks)
    assert [(c["name"], c["args"], c["id"]) for c in total.tool_calls] == _QWEN_CALLS
    assert total.invalid_tool_calls == []
    assert total.usage_metadata is not None and total.usage_metadata["total_tokens"] == 70
    assert total.response_metadata["finish_reason"] == "tool_calls"
    invoked = await drive.invoke(qwen_model.model_copy(update={"streaming": True}), "again")
    assert [(c["name"], c["args"], c["id"]) for c in invoked.tool_calls] == _QWEN_CALLS


async def test_interleaved_qwen_tool_calls_through_astream_events(qwen_model: ChatAnyfast) -> None:
    streamed: list[Any] = []
    ended: Any = None
    async for event in qwen_model.astream_events("weather and time", version="v2"):
        if event["event"] == "on_chat_model_stream":
            streamed.append(event["data"]["chunk"])
        elif event["event"] == "on_chat_model_end":
            ended = event["data"]["output"]
    for message in (aggregate(streamed), ended):
        assert [(c["name"], c["args"], c["id"]) for c in message.tool_calls] == _QWEN_CALLS
    names = [tc["name"] for c in streamed for tc in c.tool_call_chunks if tc["name"]]
    assert names == ["get_weather", "get_time"]  # each name once, never concatenated


def _chunk(*tool_deltas: dict[str, Any], finish: str | None = None) -> ChatCompletionChunk:
    delta = {"tool_calls": list(tool_deltas)} if tool_deltas else {}
    return ChatCompletionChunk.model_validate(
        {
            "id": "c",
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def _convert(converter: ChunkConverter, chunk: ChatCompletionChunk) -> Any:
    """What a stream does: the chunk goes into the accumulator, then is converted."""
    converter.accumulator.add(chunk)
    return converter.convert(chunk)


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
    converter = ChunkConverter(StreamAccumulator())
    chunks = [c.message for c in (_convert(converter, w) for w in wire) if c is not None]
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
    assert _convert(ChunkConverter(StreamAccumulator()), first) is None
    usage_only = ChatCompletionChunk.model_validate({"choices": [], "usage": {"prompt_tokens": 1}})
    for stream_usage in (False, True):
        converter = ChunkConverter(StreamAccumulator(), stream_usage=stream_usage)
        assert _convert(converter, usage_only) is None  # usage comes once, in the final chunk
        final = converter.final().message.usage_metadata  # type: ignore[attr-defined]
        assert (final["input_tokens"] if final else None) == (1 if stream_usage else None)


# --------------------------------------------------------------------------- structured output


JOKE = {"setup": "Why did the cat sit on the laptop?", "punchline": "To keep an eye on the mouse."}


def _script_joke(server: AnyfastTestServer, method: str, kind: str, chunk_size: int = 8) -> None:
    """The answer each method asks for: a call of the schema's tool, or the JSON as text."""
    if method == "function_calling":
        name = "JokeDict" if kind == "typeddict" else "Joke"
        call = ScriptedToolCall(name, JOKE)
        server.enqueue(Reply(tool_calls=[call], chunk_size=chunk_size))
    else:
        server.enqueue(Reply(content=json.dumps(JOKE), chunk_size=chunk_size))


def _check(result: Any, kind: str) -> None:
    if kind == "pydantic":
        assert result == Joke(**JOKE)
    else:
        assert result == JOKE


_SCHEMAS: dict[str, dict[str, Any] | type] = {
    "pydantic": Joke,
    "typeddict": JokeDict,
    "json_schema": Joke.model_json_schema(),
}


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
    _script_joke(anyfast_server, method, kind)
    _check(await drive.invoke(structured, prompt), kind)
    (body,) = [request.json for request in anyfast_server.requests]
    # Thinking is kept: asked in a way upstream takes while thinking (docs/thinking.md).
    assert body["enable_thinking"] is True and "response_format" not in body
    assert model.enable_thinking is True
    name = "JokeDict" if kind == "typeddict" else "Joke"
    if method == "function_calling":
        assert body["tool_choice"] == "auto"
        assert [tool["function"]["name"] for tool in body["tools"]] == [name]


async def test_json_mode_adds_the_word_json(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    structured = make_model().with_structured_output(method="json_mode")
    anyfast_server.enqueue(*(Reply(content='{"color": "teal"}') for _ in range(3)))
    result = await drive.invoke(structured, "Name a 'color'.")
    assert result == {"color": "teal"}
    messages = anyfast_server.last_request.json["messages"]
    assert messages[0] == {"role": "system", "content": "Respond in JSON."}
    await drive.invoke(structured, [("system", "Be brief."), ("human", "Name a 'color'.")])
    messages = anyfast_server.last_request.json["messages"]
    assert messages[0]["content"] == "Be brief.\n\nRespond in JSON."
    await drive.invoke(structured, "Name a 'color' as JSON.")
    assert anyfast_server.last_request.json["messages"][0]["role"] == "user"


async def test_include_raw(make_model: MakeModel, anyfast_server: AnyfastTestServer) -> None:
    structured = make_model().with_structured_output(Joke, include_raw=True)
    _script_joke(anyfast_server, "function_calling", "pydantic")
    result = await structured.ainvoke("a 'setup' and 'punchline'")
    assert result["parsed"] == Joke(**JOKE) and result["parsing_error"] is None
    assert result["raw"].tool_calls[0]["name"] == "Joke"
    anyfast_server.enqueue(Reply(tool_calls=[ScriptedToolCall("Joke", json.dumps({"setup": 1}))]))
    broken = await structured.ainvoke("a joke")
    assert broken["parsed"] is None and broken["parsing_error"] is not None


@pytest.mark.parametrize("include_raw", [False, True])
@pytest.mark.parametrize("method", ["function_calling", "json_schema", "json_mode"])
@pytest.mark.parametrize("kind", list(_SCHEMAS))
async def test_structured_output_streams(
    make_model: MakeModel,
    anyfast_server: AnyfastTestServer,
    drive: Driver,
    method: str,
    kind: str,
    include_raw: bool,
) -> None:
    model = make_model(enable_thinking=True, max_tokens=400)
    structured = model.with_structured_output(
        _SCHEMAS[kind],
        method=method,  # type: ignore[arg-type]
        include_raw=include_raw,
    )
    _script_joke(anyfast_server, method, kind, chunk_size=5)
    chunks = await drive.stream(structured, "Tell me a joke with a 'setup' and a 'punchline'.")
    if include_raw:
        merged: dict[str, Any] = {}
        for chunk in chunks:
            merged.update(chunk)
        assert merged["parsing_error"] is None
        _check(merged["parsed"], kind)
        assert merged["raw"].content or merged["raw"].tool_calls
    else:
        _check(chunks[-1], kind)
    body = anyfast_server.last_request.json
    assert body["stream"] is True and body["enable_thinking"] is True
    assert len(anyfast_server.requests) == 1
    assert body["max_completion_tokens"] == 400
    assert model.enable_thinking is True
