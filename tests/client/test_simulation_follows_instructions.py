"""With thinking on, the simulation does what the chat classes' instruction asks.

Upstream refuses a forced tool and JSON output while thinking, so the chat classes offer the
tools with ``tool_choice: "auto"`` and ask in a line of the first system message
(docs/thinking.md). The local server's simulation reads that line as a model that read the
prompt would: a newcomer trying structured output or a forced tool offline, with no reply
scripted, gets one request, the reasoning and the object, and no fallback warning.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock, ToolCallBlock
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from anyfast_client._forced import Ask
from anyfast_client.testing import AnyfastTestServer, Reply, simulate
from anyfast_client.testing.simulation import as_instructed
from langchain_anyfast import ChatAnyfast
from llama_index_anyfast import Anyfast
from tests.langchain_adapter._support import aggregate, gathered, reasoning

pytestmark = pytest.mark.filterwarnings("error::anyfast_client.AnyfastWarning")

Build = Callable[..., Any]  # the build_model fixture: a model on the local server, closed after


class Place(BaseModel):
    """A city and its country."""

    city: str
    country: str


LIMA = Place(city="Lima", country="Peru")
TEXT = "The city of Lima is in Peru, a country of South America."
WEATHER = "What's the weather in the city of Paris?"


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny in {city}"


@tool
def get_population(city: str) -> int:
    """The population of a city: how many people live there."""
    return 2_100_000


def weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny in {city}"


def population(city: str) -> int:
    """The population of a city: how many people live there."""
    return 2_100_000


LLAMA_TOOLS = [FunctionTool.from_defaults(fn=weather), FunctionTool.from_defaults(fn=population)]


def one_request_thinking(server: AnyfastTestServer) -> dict[str, Any]:
    """The only request: thinking kept, nothing upstream refuses while thinking."""
    (request,) = server.requests
    body: dict[str, Any] = request.json
    assert body["enable_thinking"] is True
    assert body.get("tool_choice") in (None, "auto") and "response_format" not in body
    return body


def replies_seen(server: AnyfastTestServer) -> list[Reply]:
    """The simulation's answers, kept as the server hands them out."""
    seen: list[Reply] = []

    def responder(request: dict[str, Any]) -> Reply:
        seen.append(simulate(request))
        return seen[-1]

    server.responder = responder
    return seen


# --------------------------------------------------------------------------- LangChain

MODES = ["invoke", "ainvoke", "stream", "astream"]


async def run(runnable: Any, text: str, mode: str) -> Any:
    """The result, a stream's pieces put together as a user would."""
    if mode == "invoke":
        return runnable.invoke(text)
    if mode == "ainvoke":
        return await runnable.ainvoke(text)
    if mode == "stream":
        pieces = list(runnable.stream(text))
    else:
        pieces = [piece async for piece in runnable.astream(text)]
    return gathered(pieces) if isinstance(pieces[0], dict) else aggregate(pieces)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("method", "prompt"),
    [
        ("function_calling", TEXT),
        ("json_schema", TEXT),
        ("json_mode", f"Answer in JSON with the keys city and country. {TEXT}"),
    ],
    ids=["function_calling", "json_schema", "json_mode"],
)
async def test_structured_output_answers_in_one_request_with_the_reasoning(
    build_model: Build, anyfast_server: AnyfastTestServer, method: str, prompt: str, mode: str
) -> None:
    model = build_model(ChatAnyfast, enable_thinking=True)
    structured = model.with_structured_output(Place, method=method, include_raw=True)
    result = await run(structured, prompt, mode)
    assert result["parsing_error"] is None
    assert result["parsed"] == LIMA
    assert "Let me think" in reasoning(result["raw"])
    one_request_thinking(anyfast_server)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("choice", "called"),
    [("get_population", "get_population"), ("required", "get_weather")],
    ids=["named", "required"],
)
async def test_a_forced_tool_is_called_in_one_request_with_the_reasoning(
    build_model: Build, anyfast_server: AnyfastTestServer, choice: str, called: str, mode: str
) -> None:
    # Named, the tool is called though the prompt is about the other one.
    model = build_model(ChatAnyfast, enable_thinking=True)
    bound = model.bind_tools([get_weather, get_population], tool_choice=choice)
    message = await run(bound, WEATHER, mode)
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [(called, {"city": "Paris"})]
    assert called in reasoning(message)
    one_request_thinking(anyfast_server)


def test_the_answer_is_the_one_a_forced_request_gets_plus_the_reasoning(
    build_model: Build, anyfast_server: AnyfastTestServer
) -> None:
    tools = [get_weather, get_population]
    kept = build_model(ChatAnyfast, enable_thinking=True).bind_tools(tools, tool_choice="required")
    off = build_model(ChatAnyfast).bind_tools(tools, tool_choice="required")
    # Without "city" in the prompt, only a forced call's strict reading leaves a placeholder.
    prompt = "What's the weather in Paris?"
    thinking, plain = kept.invoke(prompt), off.invoke(prompt)
    assert thinking.tool_calls == plain.tool_calls
    assert reasoning(thinking) and not reasoning(plain)


@pytest.mark.parametrize("strategy", ["tool", "provider"])
async def test_an_agent_answers_offline_one_request_a_turn_each_with_its_reasoning(
    build_model: Build, anyfast_server: AnyfastTestServer, strategy: str
) -> None:
    from langchain.agents import create_agent
    from langchain.agents.structured_output import ProviderStrategy, ToolStrategy

    # The tool strategy forces a call on every turn, the provider strategy asks for JSON.
    response_format: Any = ToolStrategy(Place) if strategy == "tool" else ProviderStrategy(Place)
    model = build_model(ChatAnyfast, enable_thinking=True)
    agent = create_agent(model, [get_population], response_format=response_format)
    state = await agent.ainvoke({"messages": [("user", f"How many people live there? {TEXT}")]})
    assert state["structured_response"] == LIMA
    turns = [m for m in state["messages"] if isinstance(m, AIMessage)]
    assert turns[0].tool_calls[0]["name"] == "get_population"
    assert len(turns) == len(anyfast_server.requests) == 2
    assert all(reasoning(turn) for turn in turns)
    assert all(request.json["enable_thinking"] is True for request in anyfast_server.requests)


# --------------------------------------------------------------------------- LlamaIndex

APIS = ["sync", "async"]


@pytest.mark.parametrize("api", APIS)
async def test_structured_predict_answers_in_one_request_with_the_reasoning(
    build_model: Build, anyfast_server: AnyfastTestServer, api: str
) -> None:
    seen = replies_seen(anyfast_server)
    llm = build_model(Anyfast, enable_thinking=True)
    template = PromptTemplate("{text}")
    if api == "sync":
        place = llm.structured_predict(Place, template, text=TEXT)
    else:
        place = await llm.astructured_predict(Place, template, text=TEXT)
    assert place == LIMA
    one_request_thinking(anyfast_server)
    assert seen[0].reasoning and "Place" in seen[0].reasoning


@pytest.mark.parametrize("api", APIS)
async def test_as_structured_llm_answers_in_one_request_with_the_reasoning(
    build_model: Build, anyfast_server: AnyfastTestServer, api: str
) -> None:
    seen = replies_seen(anyfast_server)
    structured = build_model(Anyfast, enable_thinking=True).as_structured_llm(Place)
    messages = [ChatMessage(role="user", content=TEXT)]
    if api == "sync":
        response = structured.chat(messages)
    else:
        response = await structured.achat(messages)
    assert response.raw == LIMA
    one_request_thinking(anyfast_server)
    assert seen[0].reasoning and "Place" in seen[0].reasoning


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(
    ("forcing", "called"),
    [({"tool_required": True}, "weather"), ({"tool_choice": "population"}, "population")],
    ids=["required", "named"],
)
async def test_chat_with_a_forced_tool_calls_it_in_one_request_with_the_reasoning(
    build_model: Build,
    anyfast_server: AnyfastTestServer,
    api: str,
    forcing: dict[str, Any],
    called: str,
) -> None:
    llm = build_model(Anyfast, enable_thinking=True)
    if api == "sync":
        response = llm.chat_with_tools(LLAMA_TOOLS, user_msg=WEATHER, **forcing)
    else:
        response = await llm.achat_with_tools(LLAMA_TOOLS, user_msg=WEATHER, **forcing)
    blocks = response.message.blocks
    calls = [(b.tool_name, b.tool_kwargs) for b in blocks if isinstance(b, ToolCallBlock)]
    assert calls == [(called, {"city": "Paris"})]
    thought = "".join(b.content or "" for b in blocks if isinstance(b, ThinkingBlock))
    assert called in thought
    one_request_thinking(anyfast_server)


@pytest.mark.filterwarnings(
    # llama-index-workflows walks the agent's members, touching pydantic's deprecated
    # __fields__, __fields_set__ and model_computed_fields on the instance.
    "ignore::pydantic.warnings.PydanticDeprecationWarning"
)
async def test_a_function_agent_answers_offline_with_thinking_on_every_request(
    build_model: Build, anyfast_server: AnyfastTestServer
) -> None:
    from llama_index.core.agent.workflow import FunctionAgent

    llm = build_model(Anyfast, enable_thinking=True)
    agent = FunctionAgent(tools=[LLAMA_TOOLS[1]], llm=llm, output_cls=Place)
    output: Any = await agent.run(f"How many people live there? {TEXT}")
    assert output.structured_response == LIMA.model_dump()
    # The tool's call, the answer with its result, and the structured answer asked after.
    assert len(anyfast_server.requests) == 3
    assert all(request.json["enable_thinking"] is True for request in anyfast_server.requests)


# --------------------------------------------------------------------------- the reading


def request_with(system: Any, **fields: Any) -> dict[str, Any]:
    return {
        "model": "qwen3.6-flash",
        "enable_thinking": True,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": TEXT}],
        **fields,
    }


PLACE_TOOL = {
    "type": "function",
    "function": {"name": "Place", "parameters": Place.model_json_schema()},
}


@pytest.mark.parametrize(
    "system",
    [
        'be brief.\n\nanswer  by calling the function  "Place"; do NOT answer in text.',
        [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "\n\n{line}"}],
    ],
    ids=["case and spaces", "text parts"],
)
def test_the_instruction_is_read_whatever_its_case_spaces_and_parts(system: Any) -> None:
    line = Ask(tool="Place").instruction()
    if isinstance(system, list):
        system[1]["text"] = system[1]["text"].format(line=line)
    reply = simulate(request_with(system, tools=[PLACE_TOOL], tool_choice="auto"))
    assert [(call.name, json.loads(call.arguments_json)) for call in reply.tool_calls] == [
        ("Place", LIMA.model_dump())
    ]


def test_the_instruction_is_not_read_as_context() -> None:
    schema = Place.model_json_schema()
    line = Ask(json=True, schema=schema).instruction()
    reply = simulate(request_with(f"Be brief.\n\n{line}"))
    assert json.loads(reply.content) == LIMA.model_dump()
    assert reply.reasoning and "JSON schema" not in reply.reasoning
    assert "Answer with" not in reply.reasoning


@pytest.mark.parametrize(
    "request_",
    [
        request_with("Be brief."),
        request_with(Ask(tool="Elsewhere").instruction(), tools=[PLACE_TOOL]),
        request_with(Ask(any_tool=True).instruction()),
        request_with(Ask(tool="Place").instruction(), tools=[PLACE_TOOL], tool_choice="none"),
        {"messages": [{"role": "user", "content": Ask(json=True).instruction()}]},
    ],
    ids=["no instruction", "a tool not offered", "no tools", "tool_choice none", "not system"],
)
def test_without_an_instruction_it_can_follow_the_request_is_read_as_sent(
    request_: dict[str, Any],
) -> None:
    assert as_instructed(request_) is request_


def test_a_forced_call_after_tool_results_is_of_a_tool_not_called_yet_so_a_loop_ends() -> None:
    weather_tool = {"type": "function", "function": {"name": "weather"}}
    messages: list[dict[str, Any]] = [{"role": "user", "content": WEATHER}]
    request = {"messages": messages, "tools": [weather_tool, PLACE_TOOL], "tool_choice": "required"}
    called = []
    for _ in range(3):
        calls = simulate(request).tool_calls
        if not calls:
            break
        called.append(calls[0].name)
        call = {"id": calls[0].id, "function": {"name": calls[0].name, "arguments": "{}"}}
        messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": calls[0].id, "content": "done"})
    assert called == ["weather", "Place"]


def test_json_asked_after_a_tool_answered_is_json_read_from_the_results_too() -> None:
    call = {"id": "call_1", "function": {"name": "country_of", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": "Which country is the city of Lima in?"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "The country is Peru."},
    ]
    schema = Place.model_json_schema()
    response_format = {"type": "json_schema", "json_schema": {"name": "Place", "schema": schema}}
    reply = simulate({"messages": messages, "response_format": response_format})
    assert json.loads(reply.content) == LIMA.model_dump()
