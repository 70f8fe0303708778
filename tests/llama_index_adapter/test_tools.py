"""Tools and structured output through the wire."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from anyfast_client.testing import AnyfastTestServer, Reply, ScriptedToolCall
from llama_index_anyfast import Anyfast, AnyfastWarning

from .conftest import Driver

Make = Callable[..., Anyfast]


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"rainy in {city}"


def get_time() -> str:
    """The current time."""
    return "noon"


TOOLS = [FunctionTool.from_defaults(fn=get_weather), FunctionTool.from_defaults(fn=get_time)]


class Invoice(BaseModel):
    """An invoice."""

    customer: str
    amount: int


def _body(server: AnyfastTestServer) -> dict[str, Any]:
    body = server.last_request.json
    assert isinstance(body, dict)
    return body


def _calls(message: ChatMessage) -> list[ToolCallBlock]:
    return [block for block in message.blocks if isinstance(block, ToolCallBlock)]


async def test_chat_with_tools_returns_tool_call_blocks(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    response = await drive.chat_with_tools(llm, TOOLS, "What is the get_weather in Oslo?")

    (call,) = _calls(response.message)
    assert call.tool_name == "get_weather"
    assert call.tool_call_id
    (selection,) = llm.get_tool_calls_from_response(response)
    assert (selection.tool_name, selection.tool_id) == ("get_weather", call.tool_call_id)
    assert set(selection.tool_kwargs) == {"city"}
    body = _body(anyfast_server)
    assert [tool["function"]["name"] for tool in body["tools"]] == ["get_weather", "get_time"]
    assert body["parallel_tool_calls"] is False
    assert "tool_choice" not in body


async def test_streamed_tool_calls_merge_by_index(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    # The server repeats each id on every argument chunk but the last, sends the name in
    # one chunk and the arguments in others, and "" for a call without arguments.
    calls = [
        ScriptedToolCall("get_weather", {"city": "Oslo"}, id="call_a"),
        ScriptedToolCall("get_time", ""),
    ]
    anyfast_server.enqueue(Reply(tool_calls=calls, chunk_size=3))
    responses = await drive.stream_with_tools(
        llm, TOOLS, "weather and time", allow_parallel_tool_calls=True
    )

    weather, time = _calls(responses[-1].message)
    assert (weather.tool_call_id, weather.tool_name) == ("call_a", "get_weather")
    assert weather.tool_kwargs == {"city": "Oslo"}
    assert (time.tool_call_id, time.tool_name, time.tool_kwargs) == (calls[1].id, "get_time", {})
    selections = llm.get_tool_calls_from_response(responses[-1])
    assert [s.tool_kwargs for s in selections] == [{"city": "Oslo"}, {}]
    # Partial arguments along the way still parse into something an agent can show.
    partial = next(r for r in responses if len(_calls(r.message)) == 1)
    assert llm.get_tool_calls_from_response(partial)[0].tool_name == "get_weather"
    assert _body(anyfast_server)["parallel_tool_calls"] is True


async def test_single_tool_call_unless_parallel_allowed(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    calls = [ScriptedToolCall("get_weather", {"city": "Oslo"}), ScriptedToolCall("get_time", "")]
    anyfast_server.enqueue(Reply(tool_calls=calls), Reply(tool_calls=calls))
    single = await drive.chat_with_tools(llm, TOOLS, "weather and time")
    assert [c.tool_name for c in _calls(single.message)] == ["get_weather"]
    both = await drive.chat_with_tools(
        llm, TOOLS, "weather and time", allow_parallel_tool_calls=True
    )
    assert [c.tool_name for c in _calls(both.message)] == ["get_weather", "get_time"]


async def test_no_tool_call_is_an_error_only_when_asked(llm: Anyfast, drive: Driver) -> None:
    response = await drive.chat_with_tools(llm, [], "hi")
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="tool call"):
        llm.get_tool_calls_from_response(response)


async def test_tool_required_keeps_thinking_and_off_turns_it_off_for_that_call(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    kept = make_llm(enable_thinking=True)
    response = await drive.chat_with_tools(kept, TOOLS, "hello", tool_required=True)
    assert _calls(response.message)
    body = _body(anyfast_server)  # docs/thinking.md: asked with "auto", then checked
    assert (body["tool_choice"], body["enable_thinking"]) == ("auto", True)

    llm = make_llm(enable_thinking=True, forced_tool_thinking="off")
    with pytest.warns(AnyfastWarning, match="Thinking is turned off for this call"):
        response = await drive.chat_with_tools(llm, TOOLS, "hello", tool_required=True)
    assert _calls(response.message)
    body = _body(anyfast_server)
    assert (body["tool_choice"], body["enable_thinking"]) == ("required", False)
    assert llm.enable_thinking is True

    with pytest.warns(AnyfastWarning):
        await drive.stream_with_tools(llm, TOOLS, "hello", tool_choice="get_time")
    body = _body(anyfast_server)
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_time"}}
    assert body["enable_thinking"] is False

    await drive.chat_with_tools(llm, TOOLS, "hello")  # not forced: thinking stays on
    assert _body(anyfast_server)["enable_thinking"] is True


async def test_predict_and_call_runs_the_tool(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(Reply(tool_calls=[ScriptedToolCall("get_weather", {"city": "Oslo"})]))
    if drive.api == "sync":
        output = llm.predict_and_call(TOOLS, "use get_weather for Oslo")
    else:
        output = await llm.apredict_and_call(TOOLS, "use get_weather for Oslo")
    assert output.response == "rainy in Oslo"


PROMPT = PromptTemplate("Extract the invoice: {text}")
TEXT = "ACME owes 42 dollars"
INVOICE = Invoice(customer="ACME", amount=42)


def _script_invoice(server: AnyfastTestServer) -> None:
    """The model's answer to the extraction: a call of the Invoice tool."""
    call = ScriptedToolCall("Invoice", {"customer": "ACME", "amount": 42})
    server.enqueue(Reply(tool_calls=[call]))


async def test_structured_predict(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    llm = make_llm()
    _script_invoice(anyfast_server)
    if drive.api == "sync":
        invoice = llm.structured_predict(Invoice, PROMPT, text=TEXT)
    else:
        invoice = await llm.astructured_predict(Invoice, PROMPT, text=TEXT)
    assert invoice == INVOICE


async def test_structured_predict_while_thinking_keeps_it(
    make_llm: Make, anyfast_server: AnyfastTestServer
) -> None:
    llm = make_llm(enable_thinking=True)
    _script_invoice(anyfast_server)
    invoice = await llm.astructured_predict(Invoice, PROMPT, text=TEXT)
    assert invoice == INVOICE
    body = _body(anyfast_server)  # docs/thinking.md: asked with "auto", then checked
    assert (body["tool_choice"], body["enable_thinking"]) == ("auto", True)


def test_stream_structured_predict(llm: Anyfast, anyfast_server: AnyfastTestServer) -> None:
    _script_invoice(anyfast_server)
    partials = list(llm.stream_structured_predict(Invoice, PROMPT, text=TEXT))
    final = partials[-1]
    assert isinstance(final, Invoice)
    assert final == INVOICE


async def test_as_structured_llm(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    _script_invoice(anyfast_server)
    structured = llm.as_structured_llm(Invoice)
    response = await drive.chat(structured, [ChatMessage(role="user", content=TEXT)])
    assert response.raw == INVOICE


async def test_astream_structured_predict(llm: Anyfast, anyfast_server: AnyfastTestServer) -> None:
    _script_invoice(anyfast_server)
    partials = [p async for p in await llm.astream_structured_predict(Invoice, PROMPT, text=TEXT)]
    assert partials[-1] == INVOICE


# LlamaIndex's StructuredLLM streams with pydantic's deprecated .json(): its warning, not ours.
@pytest.mark.filterwarnings("ignore:The `json` method is deprecated")
async def test_as_structured_llm_streams(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    _script_invoice(anyfast_server)
    structured = llm.as_structured_llm(Invoice)
    responses = await drive.stream(structured, [ChatMessage(role="user", content=TEXT)])
    assert responses[-1].raw == INVOICE
    assert json.loads(responses[-1].message.content or "") == {"customer": "ACME", "amount": 42}


async def test_tool_options_on_the_wire(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(Reply(tool_calls=[ScriptedToolCall("get_time", "")]))
    response = await drive.chat_with_tools(llm, TOOLS, "hello", tool_required=True, verbose=True)
    assert [c.tool_name for c in _calls(response.message)] == ["get_time"]
    assert _body(anyfast_server)["tool_choice"] == "required"
    anyfast_server.enqueue(Reply(content="Hello."))
    await drive.chat_with_tools(llm, TOOLS, "hello", tool_choice="none")
    assert _body(anyfast_server)["tool_choice"] == "none"


async def test_kept_tool_call_agrees_with_additional_kwargs(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    calls = [ScriptedToolCall("get_weather", {"city": "Oslo"}), ScriptedToolCall("get_time", "")]
    anyfast_server.enqueue(Reply(tool_calls=calls))
    message = (await drive.chat_with_tools(llm, TOOLS, "weather and time")).message
    (block,) = _calls(message)
    (legacy,) = message.additional_kwargs["tool_calls"]
    assert legacy["id"] == block.tool_call_id
    assert legacy["function"]["name"] == block.tool_name == "get_weather"


def _tool_results(message: ChatMessage) -> list[ChatMessage]:
    return [
        ChatMessage(
            role="tool", content=f"result {i}", additional_kwargs={"tool_call_id": c.tool_call_id}
        )
        for i, c in enumerate(_calls(message))
    ]


async def test_parallel_calls_and_results_go_back_on_the_wire(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    question = "get_weather and get_time please"
    scripted = [
        ScriptedToolCall("get_weather", {"city": "Oslo"}, id="call_w"),
        ScriptedToolCall("get_time", "", id="call_t"),
    ]
    anyfast_server.enqueue(Reply(tool_calls=scripted))
    first = await drive.chat_with_tools(llm, TOOLS, question, allow_parallel_tool_calls=True)
    wire_calls = anyfast_server.requests[-1]  # what the model answered is what goes back
    ids = [c.tool_call_id for c in _calls(first.message)]
    assert ids == ["call_w", "call_t"]
    legacy = ChatMessage(role="assistant", additional_kwargs=first.message.additional_kwargs)
    for assistant in (first.message, legacy):  # blocks, or the pre-block additional_kwargs
        anyfast_server.enqueue(Reply(content="Rainy, and it is noon."))
        history = [ChatMessage(role="user", content=question), assistant]
        answer = await drive.chat(llm, [*history, *_tool_results(first.message)])
        assert answer.message.content == "Rainy, and it is noon."
        sent = _body(anyfast_server)["messages"]
        assert [c["id"] for c in sent[1]["tool_calls"]] == ids
        assert [c["function"]["name"] for c in sent[1]["tool_calls"]] == ["get_weather", "get_time"]
        assert json.loads(sent[1]["tool_calls"][0]["function"]["arguments"]) == {"city": "Oslo"}
        assert sent[2:] == [
            {"role": "tool", "content": f"result {i}", "tool_call_id": ids[i]} for i in range(2)
        ]
    assert wire_calls.json["parallel_tool_calls"] is True


async def test_streamed_tool_calls_go_back_on_the_wire(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    calls = [
        ScriptedToolCall("get_weather", {"city": "Oslo"}, id="call_a"),
        ScriptedToolCall("get_time", ""),
    ]
    anyfast_server.enqueue(Reply(tool_calls=calls, chunk_size=3))
    streamed = await drive.stream_with_tools(llm, TOOLS, "w", allow_parallel_tool_calls=True)
    last = streamed[-1].message
    await drive.chat(llm, [ChatMessage(role="user", content="w"), last, *_tool_results(last)])
    sent = _body(anyfast_server)["messages"][1]["tool_calls"]
    assert [(c["id"], c["function"]["arguments"]) for c in sent] == [
        ("call_a", '{"city": "Oslo"}'),
        (calls[1].id, "{}"),
    ]
