"""ChatAnyfast in a LangChain agent: a tool loop with thinking on, reasoning streamed as it comes.

Needs the [langchain] extra.

With ANYFAST_API_KEY set it talks to the real API; without it, to the package's local
Anyfast-compatible test server, so it runs anywhere:

    python examples/langchain_agent.py
"""

from __future__ import annotations

import asyncio

from langchain.agents import create_agent
from langchain_core.tools import tool
from pydantic import BaseModel

from anyfast_client.testing import live_or_local
from langchain_anyfast import ChatAnyfast


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"It is sunny and 22 °C in {city}."


class City(BaseModel):
    """A city and its country."""

    name: str
    country: str


async def stream_reasoning(model: ChatAnyfast) -> None:
    """What a chat UI does: show the thinking, then the answer, as they stream."""
    async for event in model.astream_events("Why is the sea salty? Two sentences.", version="v2"):
        if event["event"] == "on_chat_model_stream":
            chunk = event["data"]["chunk"]
            thought = chunk.additional_kwargs.get("reasoning_content")
            print(f"\033[2m{thought}\033[0m" if thought else chunk.text, end="", flush=True)
    print("\n")
    await model.aclose()


def main() -> None:
    with live_or_local() as settings:
        model = ChatAnyfast(enable_thinking=True, **settings)
        agent = create_agent(model, tools=[get_weather])
        state = agent.invoke({"messages": [("user", "What is the weather in Lisbon?")]})
        for message in state["messages"]:
            message.pretty_print()

        # Structured output keeps the thinking (docs/thinking.md): asked with "auto", checked.
        text = "Lima is the capital of Peru."
        city = model.with_structured_output(City).invoke(f"Extract the city and country: {text}")
        print(f"\nStructured: {city!r}\n")

        asyncio.run(stream_reasoning(model))
        model.close()


if __name__ == "__main__":
    main()
