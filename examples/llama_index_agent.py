"""A LlamaIndex FunctionAgent on Anyfast: the model thinks, calls a tool, answers.

With ANYFAST_API_KEY set it talks to the real API; without it, to the package's local test
server, whose simulated model calls the tool and repeats what it returned:

    python examples/llama_index_agent.py
"""

from __future__ import annotations

import asyncio

from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCallResult
from llama_index.core.memory import ChatMemoryBuffer

from anyfast_client.testing import live_or_local
from llama_index_anyfast import Anyfast


def exchange_rate(currency: str) -> str:
    """Euros per one unit of the given currency (ISO code, e.g. USD)."""
    rates = {"USD": 0.92, "GBP": 1.17, "JPY": 0.0061}
    return f"1 {currency} = {rates.get(currency.upper(), 1.0)} EUR"


async def main() -> None:
    with live_or_local(url_field="api_base") as settings:
        llm = Anyfast(enable_thinking=True, **settings)
        agent = FunctionAgent(tools=[exchange_rate], llm=llm)
        handler = agent.run("How many euros is 100 USD?", memory=ChatMemoryBuffer.from_defaults())
        async for event in handler.stream_events():
            if isinstance(event, AgentStream):
                # Reasoning and answer arrive separately: show the thinking dimmed.
                if event.thinking_delta:
                    print(f"\033[2m{event.thinking_delta}\033[0m", end="", flush=True)
                print(event.delta, end="", flush=True)
            elif isinstance(event, ToolCallResult):
                print(f"\n[{event.tool_name}({event.tool_kwargs}) -> {event.tool_output}]\n")
        print("\n\nFinal:", await handler)
        await llm.aclose()


if __name__ == "__main__":
    asyncio.run(main())
