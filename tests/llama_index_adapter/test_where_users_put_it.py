"""``Anyfast`` where LlamaIndex users put it: a RAG query engine, an agent, a chat engine."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from llama_index.core import Document, MockEmbedding, VectorStoreIndex
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCallResult
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.tools import FunctionTool

from anyfast_client.testing import AnyfastTestServer, Reply, ScriptedToolCall
from llama_index_anyfast import Anyfast

Make = Callable[..., Anyfast]

DOCS = [
    Document(text="Anyfast serves qwen3.6-flash with a one-million-token context."),
    Document(text="The office cat is called Pixel and sleeps on the router."),
    Document(text="Invoices are due thirty days after they are sent."),
]


@pytest.fixture
def index() -> VectorStoreIndex:
    return VectorStoreIndex.from_documents(DOCS, embed_model=MockEmbedding(embed_dim=8))


def _sent_text(server: AnyfastTestServer) -> str:
    body = server.last_request.json
    assert isinstance(body, dict)
    return " ".join(str(message["content"]) for message in body["messages"])


def test_query_engine_streams_its_answer(
    make_llm: Make, anyfast_server: AnyfastTestServer, index: VectorStoreIndex
) -> None:
    engine = index.as_query_engine(llm=make_llm(), streaming=True, similarity_top_k=3)
    anyfast_server.enqueue(Reply(content="The cat is called Pixel.", chunk_size=4))
    response = engine.query("What is the cat called?")
    tokens = list(response.response_gen)  # type: ignore[union-attr]

    assert len([t for t in tokens if t]) > 1
    assert "".join(tokens) == "The cat is called Pixel."
    assert "What is the cat called?" in _sent_text(anyfast_server)
    assert "Pixel" in _sent_text(anyfast_server)  # the retrieved context reached the model
    assert anyfast_server.last_request.json["stream"] is True  # type: ignore[index]


@pytest.mark.filterwarnings(
    # llama-index-workflows walks the agent's members, touching pydantic's deprecated
    # __fields__, __fields_set__ and model_computed_fields on the instance.
    "ignore::pydantic.warnings.PydanticDeprecationWarning"
)
async def test_function_agent_streams_thinking_and_calls_the_tool(
    make_llm: Make, anyfast_server: AnyfastTestServer
) -> None:
    def lookup_invoice(number: int) -> str:
        """Look an invoice up by its number."""
        return f"invoice {number}: 120 EUR, paid"

    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(fn=lookup_invoice)],
        llm=make_llm(enable_thinking=True),
        system_prompt="You answer questions about invoices.",
    )
    call = ScriptedToolCall("lookup_invoice", {"number": 17})
    anyfast_server.enqueue(
        Reply(reasoning="Look invoice 17 up.", tool_calls=[call]),
        Reply(reasoning="The tool says paid.", content="Yes: 120 EUR, paid."),
    )
    # The default memory is an in-memory SQLite store that is never closed; a buffer is enough.
    handler = agent.run("Is invoice 17 paid?", memory=ChatMemoryBuffer.from_defaults())
    thinking: list[str] = []
    results: list[ToolCallResult] = []
    async for event in handler.stream_events():
        if isinstance(event, AgentStream) and event.thinking_delta:
            thinking.append(event.thinking_delta)
        elif isinstance(event, ToolCallResult):
            results.append(event)
    output = await handler

    assert "".join(thinking) == "Look invoice 17 up.The tool says paid."
    assert [r.tool_kwargs for r in results] == [{"number": 17}]
    assert str(output) == "Yes: 120 EUR, paid."
    tool_turn = anyfast_server.last_request.json["messages"]  # type: ignore[index]
    assert tool_turn[-1]["role"] == "tool"
    assert tool_turn[-1]["content"] == "invoice 17: 120 EUR, paid"
    assert tool_turn[-1]["tool_call_id"] == tool_turn[-2]["tool_calls"][0]["id"]


async def test_chat_engine_keeps_the_conversation(
    make_llm: Make, anyfast_server: AnyfastTestServer, index: VectorStoreIndex
) -> None:
    engine = index.as_chat_engine(
        chat_mode="context",
        llm=make_llm(),
        similarity_top_k=3,
        memory=ChatMemoryBuffer.from_defaults(),  # the default SQLite store is never closed
    )
    anyfast_server.enqueue(Reply(content="Pixel, the cat."), Reply(content="Thirty days."))
    first = await engine.achat("Who sleeps on the router?")
    assert str(first) == "Pixel, the cat."
    assert "Pixel" in _sent_text(anyfast_server)

    second = engine.stream_chat("And when are invoices due?")
    assert "".join(second.response_gen) == "Thirty days."
    sent = anyfast_server.last_request.json["messages"]  # type: ignore[index]
    assert sent[-2:] == [
        {"role": "assistant", "content": "Pixel, the cat."},
        {"role": "user", "content": "And when are invoices due?"},
    ]
    roles = [m["role"] for m in anyfast_server.last_request.json["messages"]]  # type: ignore[index]
    assert roles == ["system", "user", "assistant", "user"]
