"""Anyfast as a LlamaIndex LLM: streamed thinking, an image, usage, structured output.

Needs the [llama-index] extra.

With ANYFAST_API_KEY set it talks to the real API; without it, to the package's local test
server:

    python examples/llama_index_chat.py
"""

from __future__ import annotations

from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from anyfast_client.testing import live_or_local
from llama_index_anyfast import Anyfast

IMAGE = "https://upload.wikimedia.org/wikipedia/commons/4/47/PNG_transparency_demonstration_1.png"


class City(BaseModel):
    name: str
    country: str


def main() -> None:
    with live_or_local(url_field="api_base") as settings:
        llm = Anyfast(enable_thinking=True, max_tokens=4000, **settings)
        message = ChatMessage(
            role="user",
            blocks=[TextBlock(text="What is in this picture?"), ImageBlock(url=IMAGE)],
        )
        response = None
        for response in llm.stream_chat([message]):
            thinking = response.additional_kwargs.get("thinking_delta")
            print(f"\033[2m{thinking}\033[0m" if thinking else response.delta, end="", flush=True)
        if response is not None:
            usage = {k: v for k, v in response.additional_kwargs.items() if k.endswith("tokens")}
            print("\n\nUsage:", usage)

        # Structured output goes through a forced tool call, which the API refuses while
        # thinking: it is asked with "auto" and checked, thinking kept (docs/thinking.md).
        prompt = PromptTemplate("Extract the city and its country: {text}")
        text = "Paris is the capital of France."
        city = llm.structured_predict(City, prompt, text=text)
        print(f"\nStructured: {city!r}")
        llm.close()


if __name__ == "__main__":
    main()
