"""ChatAnyfast reads the model's thinking in every shape a server sends it.

``reasoning_content`` (Anyfast), ``reasoning`` (vLLM, some gateways) and ``<think>`` tags
at the start of the content (llama.cpp's ``--reasoning-format none``), through invoke,
stream, ainvoke and astream, with the tags cut at every position of a stream.
"""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage

from anyfast_client.testing import AnyfastTestServer, Reply

from ._support import Driver, aggregate
from .conftest import MakeModel

ANSWER, REASONING = "Because of Rayleigh scattering.", "Short waves scatter more.\nSo: blue."
SHAPES = ["reasoning_content", "reasoning", "think_tags"]


def assert_split(message: AIMessage) -> None:
    assert message.content == ANSWER
    assert message.additional_kwargs["reasoning_content"] == REASONING
    blocks = message.content_blocks
    assert [block["type"] for block in blocks] == ["reasoning", "text"]
    assert blocks[0].get("reasoning") == REASONING


@pytest.mark.parametrize("shape", SHAPES)
async def test_invoke_reads_each_shape(
    anyfast_server: AnyfastTestServer, make_model: MakeModel, drive: Driver, shape: str
) -> None:
    anyfast_server.enqueue(Reply(content=ANSWER, reasoning=REASONING, reasoning_field=shape))
    assert_split(await drive.invoke(make_model(), "Why is the sky blue?"))


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 8, 64])
@pytest.mark.parametrize("shape", SHAPES)
async def test_stream_reads_each_shape_cut_anywhere(
    anyfast_server: AnyfastTestServer,
    make_model: MakeModel,
    drive: Driver,
    shape: str,
    chunk_size: int,
) -> None:
    reply = Reply(content=ANSWER, reasoning=REASONING, reasoning_field=shape, chunk_size=chunk_size)
    anyfast_server.enqueue(reply)
    chunks = await drive.stream(make_model(), "Why is the sky blue?")
    # No chunk shows a tag, or a piece of one, as answer text.
    assert all("<" not in chunk.text and ">" not in chunk.text for chunk in chunks)
    assert_split(aggregate(chunks))


async def test_streaming_true_reads_the_tags_on_invoke(
    anyfast_server: AnyfastTestServer, make_model: MakeModel, drive: Driver
) -> None:
    reply = Reply(content=ANSWER, reasoning=REASONING, reasoning_field="think_tags", chunk_size=2)
    anyfast_server.enqueue(reply)
    assert_split(await drive.invoke(make_model(streaming=True), "Why is the sky blue?"))


async def test_think_tags_off_leaves_the_content_as_sent(
    anyfast_server: AnyfastTestServer, make_model: MakeModel, drive: Driver
) -> None:
    reply = Reply(content=ANSWER, reasoning=REASONING, reasoning_field="think_tags", chunk_size=3)
    anyfast_server.enqueue(reply, reply)
    model = make_model(think_tags=False)
    invoked = await drive.invoke(model, "Why is the sky blue?")
    streamed = aggregate(await drive.stream(model, "Why is the sky blue?"))
    for message in (invoked, streamed):
        assert message.content == reply.sent_content
        assert "reasoning_content" not in message.additional_kwargs


async def test_reasoning_is_never_sent_back_under_the_other_name(
    anyfast_server: AnyfastTestServer, make_model: MakeModel, drive: Driver
) -> None:
    anyfast_server.enqueue(
        Reply(content=ANSWER, reasoning=REASONING, reasoning_field="reasoning"), Reply()
    )
    model = make_model(preserve_thinking=True)
    first = await drive.invoke(model, "Why is the sky blue?")
    await drive.invoke(model, ["Why is the sky blue?", first, "And sunsets?"])
    sent = anyfast_server.last_request.json["messages"][1]
    assert sent["reasoning_content"] == REASONING
    assert "reasoning" not in sent
