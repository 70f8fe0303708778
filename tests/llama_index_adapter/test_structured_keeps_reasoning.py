"""``Anyfast.as_structured_llm``: the parsed object as in LlamaIndex, and the reasoning of
the call that answered (docs/thinking.md), whole and streamed, sync and async.

The model's replies are scripted; the test server refuses a forced tool while thinking, so
these also show the structured call kept thinking on in its one request.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ThinkingBlock
from llama_index.core.llms.structured_llm import StructuredLLM

from anyfast_client.testing import AnyfastTestServer, Reply, ScriptedToolCall
from llama_index_anyfast import Anyfast
from tests.thinking_script import ARGS, PARIS, THOUGHT, City, calls_city

from .conftest import Driver

pytestmark = [
    pytest.mark.filterwarnings("error::anyfast_client.AnyfastWarning"),
    # LlamaIndex's own StructuredLLM streams with pydantic's deprecated ``.json()``.
    pytest.mark.filterwarnings("ignore:The `json` method is deprecated"),
]


QUESTION = [ChatMessage(role="user", content="Which city has the Eiffel tower?")]


def thinking_blocks(response: ChatResponse) -> list[ThinkingBlock]:
    return [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]


async def chat(drive: Driver, llm: Anyfast, messages: list[ChatMessage]) -> ChatResponse:
    return await drive.chat(llm.as_structured_llm(City), messages)


async def test_the_answer_carries_the_reasoning_in_one_request(
    make_llm: Any, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(calls_city())
    response = await chat(drive, make_llm(enable_thinking=True), QUESTION)
    assert response.raw == PARIS
    assert json.loads(response.message.content or "") == ARGS
    first = response.message.blocks[0]
    assert isinstance(first, ThinkingBlock) and first.content == THOUGHT
    (sent,) = (request.json for request in anyfast_server.requests)
    assert sent["enable_thinking"] is True


async def test_without_thinking_there_is_no_thinking_block(
    make_llm: Any, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(Reply(tool_calls=[ScriptedToolCall("City", ARGS)]))
    response = await chat(drive, make_llm(), QUESTION)
    assert response.raw == PARIS
    assert thinking_blocks(response) == []
    assert len(anyfast_server.requests) == 1


async def test_a_stream_carries_the_reasoning(
    make_llm: Any, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(calls_city(chunk_size=3))
    structured = make_llm(enable_thinking=True).as_structured_llm(City)
    responses = await drive.stream(structured, QUESTION)
    assert responses[-1].raw == PARIS
    pieces = [r.additional_kwargs.get("thinking_delta") or "" for r in responses]
    assert "".join(pieces) == THOUGHT
    (last_thinking,) = thinking_blocks(responses[-1])
    assert responses[-1].message.blocks[0] is last_thinking
    assert last_thinking.content == THOUGHT
    assert len(anyfast_server.requests) == 1


def _answer_by_city(request: dict[str, Any]) -> Reply:
    """Paris is answered late and both stream slowly, so the two calls' answers cross."""
    city = "Rome" if "Rome" in json.dumps(request["messages"][-1]) else "Paris"
    args = {"name": city, "country": "Italy" if city == "Rome" else "France"}
    return Reply(
        reasoning=f"Thinking about {city}, at some length.",
        tool_calls=[ScriptedToolCall("City", args)],
        delay=0.2 if city == "Paris" else 0.0,
        chunk_size=3,
        chunk_delay=0.01,
    )


ASKS = [[ChatMessage(role="user", content=f"Tell me about {c}.")] for c in ("Paris", "Rome")]


async def test_concurrent_calls_each_get_their_own_reasoning(
    make_llm: Any, anyfast_server: AnyfastTestServer
) -> None:
    anyfast_server.responder = _answer_by_city
    structured = make_llm(enable_thinking=True).as_structured_llm(City)
    paris, rome = await asyncio.gather(*(structured.achat(ask) for ask in ASKS))
    assert (paris.raw.name, rome.raw.name) == ("Paris", "Rome")
    assert [b.content for b in thinking_blocks(paris)] == ["Thinking about Paris, at some length."]
    assert [b.content for b in thinking_blocks(rome)] == ["Thinking about Rome, at some length."]


async def test_concurrent_streams_each_get_their_own_reasoning(
    make_llm: Any, anyfast_server: AnyfastTestServer
) -> None:
    anyfast_server.responder = _answer_by_city
    structured = make_llm(enable_thinking=True).as_structured_llm(City)

    async def reasoning_streamed(ask: list[ChatMessage]) -> str:
        stream = await structured.astream_chat(ask)
        return "".join([r.additional_kwargs.get("thinking_delta") or "" async for r in stream])

    paris, rome = await asyncio.gather(*(reasoning_streamed(ask) for ask in ASKS))
    assert (paris, rome) == (
        "Thinking about Paris, at some length.",
        "Thinking about Rome, at some length.",
    )


def test_it_is_still_a_structured_llm(llm: Anyfast) -> None:
    structured = llm.as_structured_llm(City)
    assert isinstance(structured, StructuredLLM)
    assert structured.output_cls is City and structured.llm is llm
