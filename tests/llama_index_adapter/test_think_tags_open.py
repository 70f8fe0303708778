"""Anyfast (LlamaIndex) with ``think_tags="open"``: a chat template that writes ``<think>``
into the prompt leaves content that only closes the thinking (``reasoning</think>answer``);
it reads as a ThinkingBlock and the answer through chat, stream_chat, achat and
astream_chat. With the default, such an answer is left as it is and a warning names the
setting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock
from pydantic import ValidationError

from anyfast_client.testing import AnyfastTestServer, Reply
from llama_index_anyfast import Anyfast, AnyfastWarning

from .conftest import Driver, user

ANSWER, REASONING = "Because of Rayleigh scattering.", "Short waves scatter more.\nSo: blue."
SENT = f"{REASONING}\n</think>\n\n{ANSWER}"


def opened(chunk_size: int = 8) -> Reply:
    return Reply(
        content=ANSWER,
        reasoning=REASONING,
        reasoning_field="think_tags_open",
        chunk_size=chunk_size,
    )


def thinking_of(message: ChatMessage) -> list[str]:
    return [block.content or "" for block in message.blocks if isinstance(block, ThinkingBlock)]


async def test_chat_splits_it(
    anyfast_server: AnyfastTestServer, make_llm: Callable[..., Anyfast], drive: Driver
) -> None:
    anyfast_server.enqueue(opened())
    message = (await drive.chat(make_llm(think_tags="open"), user("Why?"))).message
    assert message.content == ANSWER
    assert thinking_of(message) == [REASONING]


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 8, 64])
async def test_stream_chat_splits_it_cut_anywhere(
    anyfast_server: AnyfastTestServer,
    make_llm: Callable[..., Anyfast],
    drive: Driver,
    chunk_size: int,
) -> None:
    anyfast_server.enqueue(opened(chunk_size))
    responses = await drive.stream(make_llm(think_tags="open"), user("Why?"))
    deltas = [response.delta or "" for response in responses]
    thinking = [response.additional_kwargs.get("thinking_delta") or "" for response in responses]
    assert all("<" not in delta and ">" not in delta for delta in deltas)
    assert "".join(deltas) == ANSWER
    assert "".join(thinking) == REASONING
    assert responses[-1].message.content == ANSWER
    assert thinking_of(responses[-1].message) == [REASONING]


async def test_a_budget_spent_before_the_tag_is_all_thinking(
    anyfast_server: AnyfastTestServer, make_llm: Callable[..., Anyfast], drive: Driver
) -> None:
    cut_short = Reply(content="Short waves scatter", finish_reason="length", chunk_size=3)
    anyfast_server.enqueue(cut_short, cut_short)
    llm = make_llm(think_tags="open")
    # Thinking that took the whole budget: the warning that says so.
    with pytest.warns(AnyfastWarning, match="token budget"):
        whole = (await drive.chat(llm, user("Why?"))).message
    with pytest.warns(AnyfastWarning, match="token budget"):
        streamed = (await drive.stream(llm, user("Why?")))[-1].message
    for message in (whole, streamed):
        assert not message.content
        assert thinking_of(message) == ["Short waves scatter"]


async def test_the_default_leaves_it_and_warns_once_per_llm(
    anyfast_server: AnyfastTestServer, make_llm: Callable[..., Anyfast], drive: Driver
) -> None:
    anyfast_server.enqueue(opened(), opened(), opened(3), opened(3))
    llm = make_llm()
    with pytest.warns(AnyfastWarning, match=r'no "<think>" before it.*think_tags="open"') as seen:
        messages = [(await drive.chat(llm, user("Why?"))).message for _ in range(2)]
        for _ in range(2):
            messages.append((await drive.stream(llm, user("Why?")))[-1].message)
    assert [message.content for message in messages] == [SENT] * 4
    assert not any(thinking_of(message) for message in messages)
    [warning] = [w for w in seen if w.category is AnyfastWarning]
    if drive.api == "sync":  # async frameworks run the call in a task of their own
        # It points at the caller's code (here the tests' driver), not inside a package.
        assert Path(warning.filename).is_relative_to(Path(__file__).parents[1])


@pytest.mark.parametrize("value", ["yes", "Open", 2])
def test_an_unknown_value_is_refused_naming_the_values(value: object) -> None:
    with pytest.raises(ValidationError, match=r"think_tags=.* use True .*False .*'open'"):
        Anyfast(api_key="k", think_tags=value)
