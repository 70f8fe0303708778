"""Quickstart: ChatAnyfast (LangChain) and Anyfast (LlamaIndex), thinking and streaming.

Needs the [langchain] extra for its LangChain half, the [llama-index] extra for its
LlamaIndex half ([all] for both); a half whose framework is missing is skipped, with a
note on stderr naming the extra that brings it.

With ANYFAST_API_KEY set it talks to the real API; without it, to the package's
local Anyfast-compatible test server, so it runs anywhere:

    python examples/quickstart.py
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable

from anyfast_client.testing import live_or_local


def langchain_demo(settings: dict[str, str]) -> None:
    from langchain_anyfast import ChatAnyfast

    model = ChatAnyfast(model="qwen3.6-flash", enable_thinking=True, **settings)
    question = "Why is the sky blue? One sentence."
    print(f"LangChain, streamed: {question}\n[thinking] ", end="")
    answer = ""
    for chunk in model.stream(question):
        reasoning = chunk.additional_kwargs.get("reasoning_content")
        if chunk.text and not answer:
            print("\n[answer] ", end="")
        answer += chunk.text
        print(reasoning or chunk.text, end="", flush=True)
    # The model remembers nothing between calls: a follow-up carries the conversation.
    history = [("human", question), ("ai", answer), ("human", "And at sunset?")]
    follow_up = model.invoke(history)
    print(f"\n\nLangChain, follow-up: {follow_up.text}\nusage: {follow_up.usage_metadata}\n")


def llama_index_demo(settings: dict[str, str]) -> None:
    from llama_index.core.llms import ChatMessage

    from llama_index_anyfast import Anyfast

    llm = Anyfast(
        model="qwen3.6-flash",
        enable_thinking=True,
        api_key=settings.get("api_key"),
        api_base=settings.get("base_url"),
    )
    response = llm.chat([ChatMessage(role="user", content="Name three primary colours.")])
    print(f"LlamaIndex: {response.message.content}")


# Each half: its name, the module its framework provides, the extra that installs it.
HALVES: list[tuple[Callable[[dict[str, str]], None], str, str, str]] = [
    (langchain_demo, "LangChain", "langchain_core", "langchain"),
    (llama_index_demo, "LlamaIndex", "llama_index.core", "llama-index"),
]


def installed(name: str, module: str, extra: str) -> bool:
    try:
        if importlib.util.find_spec(module) is not None:
            return True
    except ModuleNotFoundError:  # llama_index.core without any llama_index package
        pass
    print(
        f'Skipping the {name} half: pip install "anyfast-integrations[{extra}]" brings it.',
        file=sys.stderr,
    )
    return False


def main() -> int:
    demos = [demo for demo, *framework in HALVES if installed(*framework)]
    if not demos:
        return 1
    with live_or_local() as settings:
        for demo in demos:
            demo(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
