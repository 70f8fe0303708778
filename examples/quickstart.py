"""Quickstart: ChatAnyfast (LangChain) and Anyfast (LlamaIndex), thinking and streaming.

With ANYFAST_API_KEY set it talks to the real API; without it, to the package's
local Anyfast-compatible test server, so it runs anywhere:

    python examples/quickstart.py
"""

from __future__ import annotations

from anyfast_client.testing import live_or_local


def langchain_demo(settings: dict[str, str]) -> None:
    from langchain_anyfast import ChatAnyfast

    model = ChatAnyfast(model="qwen3.6-flash", enable_thinking=True, **settings)
    print("LangChain, streamed:\n[thinking] ", end="")
    answering = False
    for chunk in model.stream("Why is the sky blue? One sentence."):
        reasoning = chunk.additional_kwargs.get("reasoning_content")
        if chunk.text and not answering:
            print("\n[answer] ", end="")
            answering = True
        print(reasoning or chunk.text, end="", flush=True)
    answer = model.invoke("And at sunset?")
    print(f"\n\nLangChain, invoked: {answer.text}\nusage: {answer.usage_metadata}\n")


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


def main() -> None:
    with live_or_local() as settings:
        langchain_demo(settings)
        llama_index_demo(settings)


if __name__ == "__main__":
    main()
