"""A LlamaIndex FunctionAgent on Anyfast: the model thinks, calls a tool, answers.

Needs the [llama-index] extra.

With ANYFAST_API_KEY set it talks to the real API; without it, to the package's local test
server, whose simulated model fills the tool's arguments from the question and repeats
what the tool returned:

    python examples/llama_index_agent.py
"""

from __future__ import annotations

import asyncio

from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCallResult
from llama_index.core.memory import ChatMemoryBuffer

from anyfast_client.testing import live_or_local
from llama_index_anyfast import Anyfast


def to_euros(amount: float, currency: str) -> str:
    """Converts an amount of a currency (ISO code, e.g. USD) to euros."""
    rates = {"USD": 0.92, "GBP": 1.17, "JPY": 0.0061}
    rate = rates.get(currency.upper())
    if rate is None:
        return f"No rate for {currency!r}; known: {', '.join(rates)}"
    return f"{amount:g} {currency.upper()} = {amount * rate:.2f} EUR"


async def main() -> None:
    with live_or_local(url_field="api_base") as settings:
        llm = Anyfast(enable_thinking=True, **settings)
        agent = FunctionAgent(tools=[to_euros], llm=llm)
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
