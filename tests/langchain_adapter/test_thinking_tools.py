"""Structured output and forced tools that keep the thinking (docs/thinking.md).

Upstream refuses a forced tool and JSON output while thinking; the test server does too.
The model's replies are scripted: it calls the tool (one request, reasoning kept), answers
JSON in text that fits (one request, reasoning kept), or answers in prose (two requests:
the second with thinking off and the tool forced, and a warning).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.tools import tool

from anyfast_client.testing import AnyfastTestServer, Reply, ScriptedToolCall
from langchain_anyfast import AnyfastWarning, ChatAnyfast
from tests.thinking_script import ARGS, FORCED, PARIS, THOUGHT, City, calls_city, json_text, prose

from ._support import Driver, aggregate, gathered, reasoning
from .conftest import MakeModel

pytestmark = pytest.mark.filterwarnings("error::anyfast_client.AnyfastWarning")


@tool
def population(city: str) -> int:
    """The population of a city."""
    return 2_100_000


def bodies(server: AnyfastTestServer) -> list[dict[str, Any]]:
    return [request.json for request in server.requests]


def assert_kept(body: dict[str, Any], *, instruction: str) -> None:
    """The first request: thinking on, nothing upstream refuses, the instruction sent."""
    assert body["enable_thinking"] is True
    assert body.get("tool_choice") in (None, "auto")
    assert "response_format" not in body
    system = body["messages"][0]
    assert system["role"] == "system" and instruction in system["content"]


def assert_fallback(body: dict[str, Any]) -> None:
    assert body["enable_thinking"] is False
    assert "instruction" not in json.dumps(body["messages"])


async def invoke(drive: Driver, runnable: Any, text: str, *, stream: bool) -> Any:
    if not stream:
        return await drive.invoke(runnable, text)
    chunks = await drive.stream(runnable, text)
    return chunks[-1] if chunks and not isinstance(chunks[0], AIMessageChunk) else aggregate(chunks)


# --------------------------------------------------------------------------- structured output


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
async def test_structured_output_by_tool_keeps_the_reasoning(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver, stream: bool
) -> None:
    anyfast_server.enqueue(calls_city(chunk_size=3))
    structured = make_model(enable_thinking=True).with_structured_output(City, include_raw=True)
    text = "Which city is the Eiffel tower in?"
    if stream:
        result = gathered(await drive.stream(structured, text))
    else:
        result = await drive.invoke(structured, text)
    assert result["parsed"] == PARIS and result["parsing_error"] is None
    assert reasoning(result["raw"]) == THOUGHT
    (sent,) = bodies(anyfast_server)
    assert_kept(sent, instruction="'City'")
    assert [t["function"]["name"] for t in sent["tools"]] == ["City"]


async def test_structured_output_takes_json_in_the_text_when_it_fits(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(json_text())
    structured = make_model(enable_thinking=True).with_structured_output(City, include_raw=True)
    result = await drive.invoke(structured, "Which city is the Eiffel tower in?")
    assert result["parsed"] == PARIS
    assert reasoning(result["raw"]) == THOUGHT
    assert result["raw"].tool_calls[0]["args"] == ARGS
    assert len(anyfast_server.requests) == 1


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
async def test_structured_output_falls_back_once_with_thinking_off(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver, stream: bool
) -> None:
    anyfast_server.enqueue(prose(), Reply(tool_calls=[ScriptedToolCall("City", ARGS)]))
    structured = make_model(enable_thinking=True).with_structured_output(City)
    with pytest.warns(AnyfastWarning, match="asking once more with thinking off"):
        if stream:
            chunks = await drive.stream(structured, "Which city is the Eiffel tower in?")
            result = chunks[-1]
        else:
            result = await drive.invoke(structured, "Which city is the Eiffel tower in?")
    assert result == PARIS
    first, second = bodies(anyfast_server)
    assert_kept(first, instruction="'City'")
    assert_fallback(second)
    assert second["tool_choice"] == FORCED


async def test_a_json_object_that_does_not_fit_is_not_taken(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    wrong = Reply(reasoning=THOUGHT, content=json.dumps({"city": "Paris"}))
    anyfast_server.enqueue(wrong, Reply(tool_calls=[ScriptedToolCall("City", ARGS)]))
    structured = make_model(enable_thinking=True).with_structured_output(City)
    with pytest.warns(AnyfastWarning, match="thinking off"):
        assert await drive.invoke(structured, "Which city?") == PARIS
    assert len(anyfast_server.requests) == 2


@pytest.mark.parametrize("method", ["json_schema", "json_mode"])
@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
async def test_structured_output_by_json_keeps_the_reasoning(
    make_model: MakeModel,
    anyfast_server: AnyfastTestServer,
    drive: Driver,
    method: str,
    stream: bool,
) -> None:
    anyfast_server.enqueue(json_text())
    model = make_model(enable_thinking=True)
    structured = model.with_structured_output(City, method=method, include_raw=True)  # type: ignore[arg-type]
    text = "Which city is the Eiffel tower in? Answer in JSON."
    if stream:
        result = gathered(await drive.stream(structured, text))
    else:
        result = await drive.invoke(structured, text)
    assert result["parsed"] == PARIS
    assert reasoning(result["raw"]) == THOUGHT
    assert result["raw"].content == json.dumps(ARGS)  # the object alone: what JSON mode gives
    (sent,) = bodies(anyfast_server)
    assert_kept(sent, instruction="JSON object")
    if method == "json_schema":
        assert '"country"' in sent["messages"][0]["content"]  # the schema is in the words


@pytest.mark.parametrize(
    ("method", "response_format"),
    [("json_schema", "json_schema"), ("json_mode", "json_object")],
)
async def test_structured_output_by_json_falls_back_to_json_mode(
    make_model: MakeModel,
    anyfast_server: AnyfastTestServer,
    drive: Driver,
    method: str,
    response_format: str,
) -> None:
    anyfast_server.enqueue(prose(), Reply(content=json.dumps(ARGS)))
    structured = make_model(enable_thinking=True).with_structured_output(City, method=method)  # type: ignore[arg-type]
    with pytest.warns(AnyfastWarning, match="thinking off"):
        assert await drive.invoke(structured, "Which city is the Eiffel tower in?") == PARIS
    first, second = bodies(anyfast_server)
    assert_kept(first, instruction="JSON object")
    assert_fallback(second)
    assert second["response_format"]["type"] == response_format


# --------------------------------------------------------------------------- forced tools


@pytest.mark.parametrize("choice", ["City", "required", "any", True])
@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
async def test_a_forced_tool_keeps_the_reasoning(
    make_model: MakeModel,
    anyfast_server: AnyfastTestServer,
    drive: Driver,
    choice: Any,
    stream: bool,
) -> None:
    anyfast_server.enqueue(calls_city(chunk_size=4))
    bound = make_model(enable_thinking=True).bind_tools([City], tool_choice=choice)
    message = await invoke(drive, bound, "Which city is the Eiffel tower in?", stream=stream)
    assert [call["name"] for call in message.tool_calls] == ["City"]
    assert message.tool_calls[0]["args"] == ARGS
    assert reasoning(message) == THOUGHT
    (sent,) = bodies(anyfast_server)
    assert_kept(sent, instruction="call")


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
async def test_a_forced_tool_falls_back_once(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver, stream: bool
) -> None:
    anyfast_server.enqueue(prose(), Reply(tool_calls=[ScriptedToolCall("City", ARGS)]))
    bound = make_model(enable_thinking=True).bind_tools([City, population], tool_choice="any")
    with pytest.warns(AnyfastWarning, match="thinking off"):
        message = await invoke(drive, bound, "Which city?", stream=stream)
    assert message.tool_calls[0]["args"] == ARGS
    if stream:
        # The first answer's reasoning streamed; its prose was held back and never shown.
        assert "Paris is the capital" not in message.content
    first, second = bodies(anyfast_server)
    assert_kept(first, instruction="call")
    assert_fallback(second)
    assert second["tool_choice"] == "required"


async def test_a_call_of_another_tool_is_not_the_named_one(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    other = Reply(reasoning=THOUGHT, tool_calls=[ScriptedToolCall("population", {"city": "x"})])
    anyfast_server.enqueue(other, Reply(tool_calls=[ScriptedToolCall("City", ARGS)]))
    bound = make_model(enable_thinking=True).bind_tools([City, population], tool_choice="City")
    with pytest.warns(AnyfastWarning, match="thinking off"):
        message = await drive.invoke(bound, "Which city?")
    assert message.tool_calls[0]["name"] == "City"
    assert bodies(anyfast_server)[1]["tool_choice"] == FORCED


@pytest.mark.parametrize("where", ["field", "call"])
async def test_off_turns_thinking_off_up_front(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver, where: str
) -> None:
    anyfast_server.enqueue(Reply(tool_calls=[ScriptedToolCall("City", ARGS)]))
    if where == "field":
        model = make_model(enable_thinking=True, forced_tool_thinking="off")
        bound = model.bind_tools([City], tool_choice="City")
    else:
        model = make_model(enable_thinking=True)
        bound = model.bind_tools([City], tool_choice="City", forced_tool_thinking="off")
    with pytest.warns(AnyfastWarning, match="Thinking is turned off"):
        message = await drive.invoke(bound, "Which city?")
    assert message.tool_calls[0]["name"] == "City"
    (sent,) = bodies(anyfast_server)
    assert sent["enable_thinking"] is False and sent["tool_choice"] == FORCED
    assert "forced_tool_thinking" not in sent


def test_a_wrong_value_is_refused_naming_the_setting(make_model: MakeModel) -> None:
    with pytest.raises(ValueError, match="forced_tool_thinking"):
        make_model(forced_tool_thinking="sometimes")
    bound = make_model(enable_thinking=True).bind_tools([City], tool_choice="City")
    with pytest.raises(ValueError, match="forced_tool_thinking='never' is not accepted"):
        bound.invoke("x", forced_tool_thinking="never")


def test_without_thinking_nothing_changes(
    make_model: MakeModel, anyfast_server: AnyfastTestServer
) -> None:
    anyfast_server.enqueue(Reply(tool_calls=[ScriptedToolCall("City", ARGS)]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_model().with_structured_output(City).invoke("Which city?")
    (sent,) = bodies(anyfast_server)
    assert sent["enable_thinking"] is False and sent["tool_choice"] == FORCED
    assert sent["messages"][0]["role"] == "user"  # no instruction added


# --------------------------------------------------------------------------- agents


def _agent_replies(final: Reply) -> list[Reply]:
    asks = Reply(
        reasoning="I need the population first.",
        tool_calls=[ScriptedToolCall("population", {"city": "Paris"})],
    )
    return [asks, final]


@pytest.mark.parametrize("strategy", ["tool", "provider"])
async def test_an_agent_keeps_each_turns_reasoning(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver, strategy: str
) -> None:
    from langchain.agents import create_agent
    from langchain.agents.structured_output import ProviderStrategy, ToolStrategy

    if strategy == "tool":  # tool_choice "any" on every turn
        response_format: Any = ToolStrategy(City)
        final = calls_city()
    else:  # response_format json_schema on every turn
        response_format = ProviderStrategy(City)
        final = Reply(reasoning=THOUGHT, content=json.dumps(ARGS))
    anyfast_server.enqueue(*_agent_replies(final))
    model = make_model(enable_thinking=True)
    agent = create_agent(model, [population], response_format=response_format)
    state = await drive.invoke(agent, {"messages": [("user", "Which city, how many people?")]})
    assert state["structured_response"] == PARIS
    turns = [m for m in state["messages"] if isinstance(m, AIMessage)]
    assert [reasoning(m) for m in turns] == ["I need the population first.", THOUGHT]
    sent = bodies(anyfast_server)
    assert len(sent) == 2  # one request a turn
    assert all(body["enable_thinking"] is True for body in sent)


async def test_a_langgraph_node_with_a_forced_tool_keeps_the_reasoning(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    from langgraph.graph import END, START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode

    bound = make_model(enable_thinking=True).bind_tools([population], tool_choice="any")

    def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [bound.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("model", call_model)
    graph.add_node("tools", ToolNode([population]))
    graph.add_edge(START, "model")
    graph.add_edge("model", "tools")
    graph.add_edge("tools", END)
    asks = Reply(reasoning=THOUGHT, tool_calls=[ScriptedToolCall("population", {"city": "P"})])
    anyfast_server.enqueue(asks)
    state = await drive.invoke(graph.compile(), {"messages": [("user", "How many people?")]})
    (turn,) = [m for m in state["messages"] if isinstance(m, AIMessage)]
    assert reasoning(turn) == THOUGHT and turn.tool_calls[0]["name"] == "population"
    (sent,) = bodies(anyfast_server)
    assert_kept(sent, instruction="call")


def test_chat_anyfast_has_the_setting_documented() -> None:
    field = ChatAnyfast.model_fields["forced_tool_thinking"]
    assert field.default == "keep"


# --------------------------------------------------------------------------- the server's rules


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tool_choice": "required"}, "tool_choice"),
        ({"tool_choice": FORCED}, "tool_choice"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        (
            {"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}},
            "response_format",
        ),
    ],
)
def test_the_server_refuses_what_upstream_refuses_while_thinking(
    anyfast_server: AnyfastTestServer, extra: dict[str, Any], param: str
) -> None:
    import httpx

    anyfast_server.enqueue(calls_city())
    body = {
        "model": "qwen3.6-flash",
        "messages": [{"role": "user", "content": "json please"}],
        "tools": [{"type": "function", "function": {"name": "City", "parameters": {}}}],
        "enable_thinking": True,
        **extra,
    }
    headers = {"Authorization": f"Bearer {anyfast_server.api_key}"}
    url = f"{anyfast_server.base_url}/chat/completions"
    refused = httpx.post(url, json=body, headers=headers)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["param"] == param and error["code"] == "invalid_parameter_error"
    assert "(request id: " in error["message"]
    # The scripted reply was not used up: upstream refuses before any model answers.
    answered = httpx.post(url, json={**body, "enable_thinking": False}, headers=headers)
    assert answered.json()["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "City"


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_the_fallback_warning_points_at_the_calling_line(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, stream: bool
) -> None:
    anyfast_server.enqueue(prose(), Reply(tool_calls=[ScriptedToolCall("City", ARGS)]))
    bound = make_model(enable_thinking=True).bind_tools([City], tool_choice="City")
    with pytest.warns(AnyfastWarning) as caught:
        if stream:
            list(bound.stream("Which city?"))
        else:
            bound.invoke("Which city?")
    assert [w.filename for w in caught] == [__file__]
