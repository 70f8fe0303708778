"""Anyfast (LlamaIndex) reads the model's thinking in every shape a server sends it.

``reasoning_content`` (Anyfast), ``reasoning`` (vLLM, some gateways) and ``<think>`` tags
at the start of the content (llama.cpp's ``--reasoning-format none``), through chat,
stream_chat, achat and astream_chat, with the tags cut at every position of a stream.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock

from anyfast_client.testing import AnyfastTestServer, Reply
from llama_index_anyfast import Anyfast

from .conftest import Driver, user

ANSWER, REASONING = "Because of Rayleigh scattering.", "Short waves scatter more.\nSo: blue."
SHAPES = ["reasoning_content", "reasoning", "think_tags"]


def assert_split(message: ChatMessage) -> None:
    assert message.content == ANSWER
    thinking = [block for block in message.blocks if isinstance(block, ThinkingBlock)]
    assert [block.content for block in thinking] == [REASONING]


@pytest.mark.parametrize("shape", SHAPES)
async def test_chat_reads_each_shape(
    anyfast_server: AnyfastTestServer, llm: Anyfast, drive: Driver, shape: str
) -> None:
    anyfast_server.enqueue(Reply(content=ANSWER, reasoning=REASONING, reasoning_field=shape))
    response = await drive.chat(llm, user("Why is the sky blue?"))
    assert_split(response.message)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 8, 64])
@pytest.mark.parametrize("shape", SHAPES)
async def test_stream_chat_reads_each_shape_cut_anywhere(
    anyfast_server: AnyfastTestServer, llm: Anyfast, drive: Driver, shape: str, chunk_size: int
) -> None:
    reply = Reply(content=ANSWER, reasoning=REASONING, reasoning_field=shape, chunk_size=chunk_size)
    anyfast_server.enqueue(reply)
    responses = await drive.stream(llm, user("Why is the sky blue?"))
    deltas = [response.delta or "" for response in responses]
    thinking = [response.additional_kwargs.get("thinking_delta") or "" for response in responses]
    assert all("<" not in delta and ">" not in delta for delta in deltas)
    assert "".join(deltas) == ANSWER
    assert "".join(thinking) == REASONING
    assert_split(responses[-1].message)


async def test_think_tags_off_leaves_the_content_as_sent(
    anyfast_server: AnyfastTestServer, make_llm: Callable[..., Anyfast], drive: Driver
) -> None:
    reply = Reply(content=ANSWER, reasoning=REASONING, reasoning_field="think_tags", chunk_size=3)
    anyfast_server.enqueue(reply, reply)
    llm = make_llm(think_tags=False)
    whole = (await drive.chat(llm, user("Why is the sky blue?"))).message
    streamed = (await drive.stream(llm, user("Why is the sky blue?")))[-1].message
    for message in (whole, streamed):
        assert message.content == reply.sent_content
        assert not any(isinstance(block, ThinkingBlock) for block in message.blocks)


async def test_complete_reads_the_tags_too(
    anyfast_server: AnyfastTestServer, llm: Anyfast, drive: Driver
) -> None:
    reply = Reply(content=ANSWER, reasoning=REASONING, reasoning_field="think_tags", chunk_size=4)
    anyfast_server.enqueue(reply, reply)
    assert (await drive.complete(llm, "Why is the sky blue?")).text == ANSWER
    streamed = await drive.stream_complete(llm, "Why is the sky blue?")
    assert "".join(response.delta or "" for response in streamed) == ANSWER


async def test_reasoning_is_never_sent_back_under_the_other_name(
    anyfast_server: AnyfastTestServer, make_llm: Callable[..., Anyfast], drive: Driver
) -> None:
    anyfast_server.enqueue(
        Reply(content=ANSWER, reasoning=REASONING, reasoning_field="reasoning"), Reply()
    )
    llm = make_llm(preserve_thinking=True)
    first = (await drive.chat(llm, user("Why is the sky blue?"))).message
    await drive.chat(llm, [*user("Why is the sky blue?"), first, *user("And sunsets?")])
    sent = anyfast_server.last_request.json["messages"][1]
    assert sent["reasoning_content"] == REASONING
    assert "reasoning" not in sent
