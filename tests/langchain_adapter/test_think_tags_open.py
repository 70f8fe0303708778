"""ChatAnyfast with ``think_tags="open"``: a chat template that writes ``<think>`` into the
prompt leaves content that only closes the thinking (``reasoning</think>answer``); it reads
as reasoning and answer through invoke, stream, ainvoke and astream. With the default, such
an answer is left as it is and a warning names the setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage
from pydantic import ValidationError

from anyfast_client.testing import AnyfastTestServer, Reply
from langchain_anyfast import AnyfastWarning, ChatAnyfast

from ._support import Driver, aggregate
from .conftest import MakeModel

ANSWER, REASONING = "Because of Rayleigh scattering.", "Short waves scatter more.\nSo: blue."
SENT = f"{REASONING}\n</think>\n\n{ANSWER}"


def opened(chunk_size: int = 8) -> Reply:
    return Reply(
        content=ANSWER,
        reasoning=REASONING,
        reasoning_field="think_tags_open",
        chunk_size=chunk_size,
    )


def assert_split(message: AIMessage) -> None:
    assert message.content == ANSWER
    assert message.additional_kwargs["reasoning_content"] == REASONING
    blocks = message.content_blocks
    assert [block["type"] for block in blocks] == ["reasoning", "text"]
    assert blocks[0].get("reasoning") == REASONING


async def test_invoke_splits_it(
    anyfast_server: AnyfastTestServer, make_model: MakeModel, drive: Driver
) -> None:
    anyfast_server.enqueue(opened())
    assert_split(await drive.invoke(make_model(think_tags="open"), "Why is the sky blue?"))


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 8, 64])
async def test_stream_splits_it_cut_anywhere(
    anyfast_server: AnyfastTestServer, make_model: MakeModel, drive: Driver, chunk_size: int
) -> None:
    anyfast_server.enqueue(opened(chunk_size))
    chunks = await drive.stream(make_model(think_tags="open"), "Why is the sky blue?")
    # No chunk shows the tag, or a piece of it, as answer text.
    assert all("<" not in chunk.text and ">" not in chunk.text for chunk in chunks)
    assert_split(aggregate(chunks))


async def test_a_budget_spent_before_the_tag_is_all_reasoning(
    anyfast_server: AnyfastTestServer, make_model: MakeModel, drive: Driver
) -> None:
    cut_short = Reply(content="Short waves scatter", finish_reason="length", chunk_size=3)
    anyfast_server.enqueue(cut_short, cut_short)
    model = make_model(think_tags="open")
    # Thinking that took the whole budget: the warning that says so.
    with pytest.warns(AnyfastWarning, match="token budget"):
        invoked = await drive.invoke(model, "Why is the sky blue?")
    with pytest.warns(AnyfastWarning, match="token budget"):
        streamed = aggregate(await drive.stream(model, "Why is the sky blue?"))
    for message in (invoked, streamed):
        assert message.content == ""
        assert message.additional_kwargs["reasoning_content"] == "Short waves scatter"


async def test_the_default_leaves_it_and_warns_once_per_model(
    anyfast_server: AnyfastTestServer, make_model: MakeModel, drive: Driver
) -> None:
    anyfast_server.enqueue(opened(), opened(), opened(3), opened(3))
    model = make_model()
    with pytest.warns(AnyfastWarning, match=r'no "<think>" before it.*think_tags="open"') as seen:
        messages = [await drive.invoke(model, "Why is the sky blue?") for _ in range(2)]
        for _ in range(2):
            messages.append(aggregate(await drive.stream(model, "Why is the sky blue?")))
    assert [message.content for message in messages] == [SENT] * 4
    assert not any("reasoning_content" in m.additional_kwargs for m in messages)
    [warning] = [w for w in seen if w.category is AnyfastWarning]
    if drive.api == "sync":  # async frameworks run the call in a task of their own
        # It points at the caller's code (here the tests' driver), not inside a package.
        assert Path(warning.filename).is_relative_to(Path(__file__).parents[1])


@pytest.mark.parametrize("value", ["yes", "Open", 2])
def test_an_unknown_value_is_refused_naming_the_values(value: object) -> None:
    with pytest.raises(ValidationError, match=r"think_tags=.* use True .*False .*'open'"):
        ChatAnyfast(api_key="k", think_tags=value)
