"""Where users put ChatAnyfast: an LCEL chain, an agent's tool loop, a UI streaming reasoning."""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool

from anyfast_client.testing import AnyfastTestServer, Reply, ScriptedToolCall

from ._support import Driver
from .conftest import MakeModel


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"It is sunny in {city}."


async def test_lcel_chain(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "You are {persona}."), ("human", "{q}")])
    chain = prompt | make_model(temperature=0) | StrOutputParser()
    arr = "Arr, buried on the island."
    anyfast_server.enqueue(Reply(content=arr), Reply(content=arr))
    answer = await drive.invoke(chain, {"persona": "a pirate", "q": "Where is the gold?"})
    assert answer == arr
    chunks = await drive.stream(chain, {"persona": "a pirate", "q": "Where is the gold?"})
    assert "".join(chunks) == answer and len(chunks) > 1
    sent = anyfast_server.last_request.json["messages"]
    assert sent[0] == {"role": "system", "content": "You are a pirate."}


async def test_agent_tool_loop_with_thinking(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    agent = create_agent(make_model(enable_thinking=True), tools=[get_weather])
    call = ScriptedToolCall("get_weather", {"city": "Paris"})
    anyfast_server.enqueue(
        Reply(reasoning="Ask the tool.", tool_calls=[call]),
        Reply(reasoning="It answered.", content="Sunny in Paris."),
    )
    state = await drive.invoke(agent, {"messages": [("user", "What is the weather in Paris?")]})
    ai_first, tool_result, ai_final = state["messages"][1:]
    assert isinstance(ai_first, AIMessage) and ai_first.tool_calls[0]["name"] == "get_weather"
    assert ai_first.additional_kwargs["reasoning_content"] == "Ask the tool."
    assert isinstance(tool_result, ToolMessage) and tool_result.content == "It is sunny in Paris."
    assert ai_final.content == "Sunny in Paris."
    assert ai_final.additional_kwargs["reasoning_content"] == "It answered."
    first_body, second_body = (r.json for r in anyfast_server.requests)
    assert first_body["enable_thinking"] and second_body["enable_thinking"]
    assert [m["role"] for m in second_body["messages"]] == ["user", "assistant", "tool"]
    assert second_body["messages"][2]["tool_call_id"] == ai_first.tool_calls[0]["id"]


async def test_reasoning_streams_to_a_ui_through_astream_events(
    make_model: MakeModel, anyfast_server: AnyfastTestServer
) -> None:
    model = make_model(enable_thinking=True)
    thought, answer = "Rayleigh scattering, shorter waves.", "Blue light scatters most."
    anyfast_server.enqueue(Reply(reasoning=thought, content=answer, chunk_size=4))
    seen: list[tuple[str, str]] = []
    async for event in model.astream_events("Why is the sky blue?", version="v2"):
        if event["event"] != "on_chat_model_stream":
            continue
        chunk = event["data"]["chunk"]
        if reasoning := chunk.additional_kwargs.get("reasoning_content"):
            seen.append(("reasoning", reasoning))
        if chunk.content:
            seen.append(("text", chunk.content))
    kinds = [kind for kind, _ in seen]
    assert kinds == sorted(kinds)  # all reasoning first, then the answer
    assert kinds.count("reasoning") > 1
    assert "".join(text for kind, text in seen if kind == "reasoning") == thought
    assert "".join(text for kind, text in seen if kind == "text") == answer
