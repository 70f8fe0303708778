"""Structured output and forced tools that keep the thinking, in LlamaIndex (docs/thinking.md).

The model's replies are scripted: it calls the tool (one request, reasoning kept), answers
JSON in text that fits (one request), or answers in prose (two requests: the second with
thinking off and the tool forced, and a warning). The test server refuses what upstream
refuses while thinking, so a forced tool sent with thinking on would fail these tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock, ToolCallBlock
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool

from anyfast_client.testing import AnyfastTestServer, Reply, ScriptedToolCall
from llama_index_anyfast import Anyfast, AnyfastWarning
from tests.thinking_script import ARGS, FORCED, PARIS, THOUGHT, City, calls_city, json_text, prose

from .conftest import Driver

pytestmark = pytest.mark.filterwarnings("error::anyfast_client.AnyfastWarning")

Make = Callable[..., Anyfast]


def population(city: str) -> int:
    """The population of a city."""
    return 2_100_000


PROMPT = PromptTemplate("Which city is this about: {text}")
TEXT = "the Eiffel tower"
TOOLS = [FunctionTool.from_defaults(fn=population), FunctionTool.from_defaults(fn=City)]


def plain_call() -> Reply:
    return Reply(tool_calls=[ScriptedToolCall("City", ARGS)])


def bodies(server: AnyfastTestServer) -> list[dict[str, Any]]:
    return [request.json for request in server.requests]


def assert_kept(body: dict[str, Any], *, instruction: str) -> None:
    """The first request: thinking on, nothing upstream refuses, the instruction sent."""
    assert body["enable_thinking"] is True
    assert body.get("tool_choice") in (None, "auto")
    system = body["messages"][0]
    assert system["role"] == "system" and instruction in system["content"]


def thinking(message: ChatMessage) -> str:
    return "".join(b.content or "" for b in message.blocks if isinstance(b, ThinkingBlock))


def calls(message: ChatMessage) -> list[ToolCallBlock]:
    return [b for b in message.blocks if isinstance(b, ToolCallBlock)]


async def predict(drive: Driver, llm: Anyfast) -> City:
    if drive.api == "sync":
        return llm.structured_predict(City, PROMPT, text=TEXT)
    return await llm.astructured_predict(City, PROMPT, text=TEXT)


async def stream_predict(drive: Driver, llm: Anyfast) -> list[Any]:
    if drive.api == "sync":
        return list(llm.stream_structured_predict(City, PROMPT, text=TEXT))
    return [o async for o in await llm.astream_structured_predict(City, PROMPT, text=TEXT)]


# --------------------------------------------------------------------------- structured output


@pytest.mark.parametrize("reply", [calls_city, json_text], ids=["tool call", "json text"])
async def test_structured_predict_keeps_thinking_in_one_request(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver, reply: Any
) -> None:
    anyfast_server.enqueue(reply())
    assert await predict(drive, make_llm(enable_thinking=True)) == PARIS
    (sent,) = bodies(anyfast_server)
    assert_kept(sent, instruction="'City'")


async def test_structured_predict_falls_back_once(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(prose(), plain_call())
    with pytest.warns(AnyfastWarning, match="asking once more with thinking off"):
        assert await predict(drive, make_llm(enable_thinking=True)) == PARIS
    first, second = bodies(anyfast_server)
    assert_kept(first, instruction="'City'")
    assert (second["enable_thinking"], second["tool_choice"]) == (False, "required")


async def test_stream_structured_predict_keeps_thinking(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    # LlamaIndex's streaming program offers the tool without forcing it: nothing upstream
    # refuses, so the request goes as it is, thinking on.
    anyfast_server.enqueue(calls_city(chunk_size=3))
    objects = await stream_predict(drive, make_llm(enable_thinking=True))
    assert objects[-1] == PARIS
    (sent,) = bodies(anyfast_server)
    assert sent["enable_thinking"] is True and "tool_choice" not in sent


async def test_as_structured_llm_keeps_thinking(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(calls_city())
    structured = make_llm(enable_thinking=True).as_structured_llm(City)
    messages = [ChatMessage(role="user", content="Which city has the Eiffel tower?")]
    if drive.api == "sync":
        response = structured.chat(messages)
    else:
        response = await structured.achat(messages)
    assert response.raw == PARIS
    (sent,) = bodies(anyfast_server)
    assert_kept(sent, instruction="'City'")


# --------------------------------------------------------------------------- forced tools


@pytest.mark.parametrize(
    "forcing", [{"tool_required": True}, {"tool_choice": "City"}], ids=["required", "named"]
)
async def test_a_forced_tool_keeps_the_reasoning(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver, forcing: dict[str, Any]
) -> None:
    anyfast_server.enqueue(calls_city())
    llm = make_llm(enable_thinking=True)
    response = await drive.chat_with_tools(llm, TOOLS, "Which city?", **forcing)
    assert [c.tool_name for c in calls(response.message)] == ["City"]
    assert thinking(response.message) == THOUGHT
    (sent,) = bodies(anyfast_server)
    assert_kept(sent, instruction="call")


@pytest.mark.parametrize(
    ("forcing", "wire"),
    [({"tool_required": True}, "required"), ({"tool_choice": "City"}, FORCED)],
    ids=["required", "named"],
)
async def test_a_forced_tool_falls_back_once(
    make_llm: Make,
    anyfast_server: AnyfastTestServer,
    drive: Driver,
    forcing: dict[str, Any],
    wire: Any,
) -> None:
    anyfast_server.enqueue(prose(), plain_call())
    llm = make_llm(enable_thinking=True)
    with pytest.warns(AnyfastWarning, match="thinking off"):
        response = await drive.chat_with_tools(llm, TOOLS, "Which city?", **forcing)
    assert calls(response.message)[0].tool_kwargs == ARGS
    first, second = bodies(anyfast_server)
    assert_kept(first, instruction="call")
    assert (second["enable_thinking"], second["tool_choice"]) == (False, wire)


@pytest.mark.parametrize("fallback", [False, True], ids=["complies", "falls back"])
async def test_a_streamed_forced_tool(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver, fallback: bool
) -> None:
    llm = make_llm(enable_thinking=True)
    if fallback:
        anyfast_server.enqueue(prose(), plain_call())
        with pytest.warns(AnyfastWarning, match="thinking off"):
            responses = await drive.stream_with_tools(llm, TOOLS, "Which city?", tool_required=True)
    else:
        anyfast_server.enqueue(calls_city(chunk_size=3))
        responses = await drive.stream_with_tools(llm, TOOLS, "Which city?", tool_required=True)
    streamed = "".join(r.additional_kwargs.get("thinking_delta") or "" for r in responses)
    assert streamed == THOUGHT  # the first answer's reasoning streams in both cases
    last = responses[-1].message
    assert calls(last)[0].tool_kwargs == ARGS
    assert "Paris is the capital" not in "".join(r.delta or "" for r in responses)
    if not fallback:
        assert thinking(last) == THOUGHT
    assert len(anyfast_server.requests) == (2 if fallback else 1)


async def test_off_turns_thinking_off_up_front(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(plain_call(), plain_call())
    llm = make_llm(enable_thinking=True, forced_tool_thinking="off")
    with pytest.warns(AnyfastWarning, match="Thinking is turned off"):
        await drive.chat_with_tools(llm, TOOLS, "Which city?", tool_required=True)
    llm = make_llm(enable_thinking=True)
    with pytest.warns(AnyfastWarning, match="Thinking is turned off"):
        await drive.chat_with_tools(
            llm, TOOLS, "Which city?", tool_required=True, forced_tool_thinking="off"
        )
    for sent in bodies(anyfast_server):
        assert (sent["enable_thinking"], sent["tool_choice"]) == (False, "required")
        assert "forced_tool_thinking" not in sent


def test_a_wrong_value_is_refused_naming_the_setting(make_llm: Make) -> None:
    with pytest.raises(ValueError, match="forced_tool_thinking"):
        make_llm(forced_tool_thinking="sometimes")


# --------------------------------------------------------------------------- agents


@pytest.mark.filterwarnings(
    # llama-index-workflows walks the agent's members, touching pydantic's deprecated
    # __fields__, __fields_set__ and model_computed_fields on the instance.
    "ignore::pydantic.warnings.PydanticDeprecationWarning"
)
async def test_a_function_agent_keeps_each_turns_reasoning(
    make_llm: Make, anyfast_server: AnyfastTestServer
) -> None:
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(fn=population)],
        llm=make_llm(enable_thinking=True),
        output_cls=City,
    )
    anyfast_server.enqueue(
        Reply(reasoning="Look it up.", tool_calls=[ScriptedToolCall("population", {"city": "P"})]),
        Reply(reasoning="The tool answered.", content="Paris, France: 2.1 million."),
        calls_city(),  # the structured output, asked after the run: thinking kept
    )
    memory = ChatMemoryBuffer.from_defaults()
    output = await agent.run("Which city, how many people?", memory=memory)
    assert output.structured_response == ARGS
    turns = [m for m in await memory.aget_all() if m.role == "assistant"]
    assert [thinking(m) for m in turns] == ["Look it up.", "The tool answered."]
    sent = bodies(anyfast_server)
    assert len(sent) == 3 and all(body["enable_thinking"] is True for body in sent)
    assert_kept(sent[-1], instruction="'City'")
