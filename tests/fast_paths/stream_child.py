"""Streams from the local server through every fast path, in a process of its own.

``python -m tests.fast_paths.stream_child [--simulate-private-attr]`` prints one JSON
object: the fast paths taken up and stood down in the process (see
``anyfast_client._fast``), what each framework object streamed (dumped, with its
private attributes and the type of its text), and how many events the core read
through their template. A process of its own, because a builder settles once per
process and ``ANYFAST_FAST_PATHS`` is read at that first use; the tests run it with
and without the switch and with a simulated later langchain-core.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tests.fast_paths.simulated_release import add_private_attribute

# Thinking, text, then tool calls: every builder the adapters use is called.
_REPLY = {
    "content": "Hello there, world!",
    "reasoning": "Let me think it over.",
    "chunk_size": 3,
    "id": "chatcmpl-fast-paths",
    "created": 1_700_000_000,
    "model": "qwen3.6-flash",
}
_CALL = {"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_1"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--simulate-private-attr", action="store_true")
    if parser.parse_args().simulate_private_attr:
        add_private_attribute()
    from anyfast_client._fast import stood_down, taken_up
    from anyfast_client.testing import AnyfastTestServer

    with AnyfastTestServer() as server:
        result = {
            "langchain": _langchain(server),
            "llama_index": _llama_index(server),
            "template_reads": _template_reads(server),
        }
    result["taken_up"] = sorted(taken_up())
    result["stood_down"] = stood_down()
    json.dump(result, sys.stdout, default=repr)


def _replies() -> list[Any]:
    from anyfast_client.testing import Reply, ScriptedToolCall

    return [Reply(**_REPLY), Reply(**_REPLY, tool_calls=[ScriptedToolCall(**_CALL)])]


def _langchain(server: Any) -> list[dict[str, Any]]:
    from langchain_core.callbacks import BaseCallbackHandler

    from langchain_anyfast import ChatAnyfast

    class Recorder(BaseCallbackHandler):
        """Keeps each generation chunk the model hands out."""

        def __init__(self) -> None:
            self.generations: list[Any] = []

        def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
            self.generations.append(chunk)

    model = ChatAnyfast(base_url=server.base_url, api_key=server.api_key, enable_thinking=True)
    recorder = Recorder()
    for reply in _replies():
        server.enqueue(reply)
        for _ in model.stream("Hi", config={"callbacks": [recorder]}):
            pass
    model.close()
    return [_generation_seen(generation) for generation in recorder.generations]


def _generation_seen(generation: Any) -> dict[str, Any]:
    message = generation.message
    return {
        "text": generation.text,
        "text_type": type(generation.text).__name__,
        "fields_set": sorted(generation.model_fields_set),
        "message_fields_set": sorted(message.model_fields_set - {"id"}),
        "message": message.model_dump(exclude={"id"}),
        "privates": [generation.__pydantic_private__, message.__pydantic_private__],
    }


def _llama_index(server: Any) -> list[dict[str, Any]]:
    from llama_index.core.llms import ChatMessage

    from llama_index_anyfast import Anyfast

    llm = Anyfast(api_base=server.base_url, api_key=server.api_key, enable_thinking=True)
    seen = []
    for reply in _replies():
        server.enqueue(reply)
        for response in llm.stream_chat([ChatMessage(role="user", content="Hi")]):
            seen.append(
                {
                    "delta": response.delta,
                    "message": response.message.model_dump(),
                    "blocks": [type(block).__name__ for block in response.message.blocks],
                    "additional_kwargs": response.additional_kwargs,
                    "raw": None if response.raw is None else response.raw.model_dump(),
                    "fields_set": sorted(response.model_fields_set),
                }
            )
    llm.close()
    return seen


def _template_reads(server: Any) -> int:
    """How many events of a text stream the core read through their template."""
    from anyfast_client import AnyfastClient, ChatRequest
    from anyfast_client._adapter import TextDelta, stream_items
    from anyfast_client.testing import Reply

    server.enqueue(Reply(**_REPLY))
    request = ChatRequest(messages=[{"role": "user", "content": "Hi"}])
    with AnyfastClient(base_url=server.base_url, api_key=server.api_key) as client:
        stream = client.chat_stream(request)
        with stream:
            return sum(type(item) is TextDelta for item in stream_items(stream))


if __name__ == "__main__":
    main()
