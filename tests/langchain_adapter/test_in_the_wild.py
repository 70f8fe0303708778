"""Where users put ChatAnyfast: an LCEL chain, an agent's tool loop, a UI streaming reasoning."""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool

from anyfast_client.testing import AnyfastTestServer

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
    answer = await drive.invoke(chain, {"persona": "a pirate", "q": "Where is the gold?"})
    assert answer == "Hello! You asked: Where is the gold?"
    chunks = await drive.stream(chain, {"persona": "a pirate", "q": "Where is the gold?"})
    assert "".join(chunks) == answer and len(chunks) > 1
    sent = anyfast_server.last_request.json["messages"]
    assert sent[0] == {"role": "system", "content": "You are a pirate."}


async def test_agent_tool_loop_with_thinking(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    agent = create_agent(make_model(enable_thinking=True), tools=[get_weather])
    state = await drive.invoke(agent, {"messages": [("user", "What is the weather in Paris?")]})
    ai_first, tool_result, ai_final = state["messages"][1:]
    assert isinstance(ai_first, AIMessage) and ai_first.tool_calls[0]["name"] == "get_weather"
    assert ai_first.additional_kwargs["reasoning_content"]
    assert isinstance(tool_result, ToolMessage) and tool_result.content == "It is sunny in example."
    assert ai_final.content == "The tool returned: It is sunny in example."
    assert ai_final.additional_kwargs["reasoning_content"]
    first_body, second_body = (r.json for r in anyfast_server.requests)
    assert first_body["enable_thinking"] and second_body["enable_thinking"]
    assert [m["role"] for m in second_body["messages"]] == ["user", "assistant", "tool"]
    assert second_body["messages"][2]["tool_call_id"] == ai_first.tool_calls[0]["id"]


async def test_reasoning_streams_to_a_ui_through_astream_events(make_model: MakeModel) -> None:
    model = make_model(enable_thinking=True)
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
    thought = "".join(text for kind, text in seen if kind == "reasoning")
    assert thought == "Let me think about Why is the sky blue?. A short, direct answer will do."
    answer = "".join(text for kind, text in seen if kind == "text")
    assert answer == "Hello! You asked: Why is the sky blue?"
