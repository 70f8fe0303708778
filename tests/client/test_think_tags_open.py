"""``think_tags="open"``: the chat template wrote ``<think>`` into the prompt, so the content
starts inside the thinking and only closes it (``reasoning</think>answer``); and the
default mode's warning when an answer holds such a closing tag."""

from __future__ import annotations

import dataclasses
import re
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyfast_client import (
    AnyfastClient,
    AnyfastWarning,
    AsyncAnyfastClient,
    StreamInterruptedError,
)
from anyfast_client._decode import ChunkDecoder
from anyfast_client._think_tags import (
    StrayCloseCheck,
    ThinkTags,
    ThinkTagSplitter,
    split_think_tags,
)
from anyfast_client.testing import AnyfastTestServer, Reply

from .test_think_tags import THINK_TAG_PARTS, ask, settings_of, sse, streamed_texts, whole

ANSWER, REASONING = "Because of Rayleigh scattering.", "Short waves scatter more.\nSo: blue."
# What such a server sends: the model's text after the prompt's "<think>\n".
OPENED = "Let me see.\n</think>\n\nThe answer."


@pytest.mark.parametrize(
    ("content", "answer", "reasoning"),
    [
        (OPENED, "The answer.", "Let me see."),
        ("</think>\n\nJust the answer.", "Just the answer.", ""),
        ("  \nwhy</think>because", "because", "why"),
        # Only the first closing tag ends the reasoning.
        ("a</think>b </think> c", "b </think> c", "a"),
        # A <think> the model writes anyway, at the start, is dropped.
        ("<think>\nhmm\n</think>\n\nYes.", "Yes.", "hmm"),
        ("  <think>x</think>y", "y", "x"),
        # Elsewhere an opening tag is reasoning text like any other.
        ("a <think> b</think>c", "c", "a <think> b"),
        # No closing tag at the end (a budget that ran out): all of it was reasoning.
        ("still thinking \n", "", "still thinking"),
        ("<think>still", "", "still"),
        ("<thi", "", "<thi"),
        ("   ", "", ""),
        ("", "", ""),
    ],
)
def test_whole_content(content: str, answer: str, reasoning: str) -> None:
    assert split_think_tags(content, opened=True) == (answer, reasoning)


# Cut anywhere, the open mode gives what it gives whole: test_think_tags.py runs its cut
# tests and property in both modes.


@given(parts=st.lists(THINK_TAG_PARTS, max_size=12))
def test_nothing_is_reasoning_after_the_first_closing_tag(parts: list[str]) -> None:
    text = "".join(parts)
    answer, _ = split_think_tags(text, opened=True)
    if "</think>" not in text:
        assert answer == ""
    else:
        assert answer == text.split("</think>", 1)[1].lstrip()


def test_reasoning_from_the_server_makes_the_content_the_answer() -> None:
    splitter = ThinkTagSplitter(opened=True)
    assert splitter.feed("", "server's reasoning") == ("", "server's reasoning")
    assert splitter.feed("quoted</think>ok") == ("quoted</think>ok", "")


def test_once_the_answer_passes_the_pieces_are_handed_back_as_they_are() -> None:
    splitter = ThinkTagSplitter(opened=True)
    assert splitter.feed("why</think>\n") == ("", "why")
    assert not splitter.passing
    assert splitter.feed("Yes") == ("Yes", "")
    assert splitter.passing
    assert splitter.feed(" </think>") == (" </think>", "")


def test_each_choice_starts_inside_the_thinking() -> None:
    tags = ThinkTags(opened=True)
    assert tags.feed(0, "zero", "") == ("", "zero")
    assert tags.feed(1, "one</think>1", "") == ("1", "one")
    assert tags.feed(0, "</th", "") == ("", "")
    assert tags.close_all() == {0: ("", "</th"), 1: ("", "")}


# --------------------------------------------------------------------------- through the client


def opened_reply(**fields: object) -> Reply:
    values: dict[str, object] = {
        "content": ANSWER,
        "reasoning": REASONING,
        "reasoning_field": "think_tags_open",
        **fields,
    }
    return Reply(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_the_test_server_sends_the_content_that_only_closes_the_thinking(
    anyfast_server: AnyfastTestServer, mode: str
) -> None:
    sent = f"{REASONING}\n</think>\n\n{ANSWER}"
    anyfast_server.enqueue(opened_reply(), opened_reply(chunk_size=3))
    message = await whole(anyfast_server, mode, think_tags=False)
    assert (message.content, message.reasoning_content) == (sent, None)
    pieces, completion = await streamed_texts(anyfast_server, mode, think_tags=False)
    assert len(pieces) > 3  # streamed in pieces, the tag cut among them
    assert "".join(text for text, _ in pieces) == sent
    assert completion.content == sent


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_whole_reply_is_split(anyfast_server: AnyfastTestServer, mode: str) -> None:
    anyfast_server.enqueue(opened_reply())
    message = await whole(anyfast_server, mode, think_tags="open")
    assert (message.content, message.reasoning_content) == (ANSWER, REASONING)


# Size 1 cuts the tag at every position; the others at every position modulo their size.
@pytest.mark.parametrize("chunk_size", [1, 2, 3, 4, 5, 7, 9, 64])
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_stream_is_split_cut_anywhere(
    anyfast_server: AnyfastTestServer, mode: str, chunk_size: int
) -> None:
    anyfast_server.enqueue(opened_reply(chunk_size=chunk_size))
    pieces, message = await streamed_texts(anyfast_server, mode, think_tags="open")
    assert "".join(text for text, _ in pieces) == ANSWER
    assert "".join(reasoning for _, reasoning in pieces) == REASONING
    assert (message.content, message.reasoning_content) == (ANSWER, REASONING)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("reply", "content", "reasoning"),
    [
        # The budget ran out before the closing tag: all of it was reasoning.
        (Reply(content="Let me think about", finish_reason="length"), "", "Let me think about"),
        # The model wrote the opening tag itself: dropped.
        (Reply(content="<think>\nhmm\n</think>\n\nYes."), "Yes.", "hmm"),
        # A server that sent its own reasoning: the content is the answer, as sent.
        (Reply(content="quoted</think>ok", reasoning="real"), "quoted</think>ok", "real"),
        # No thinking at all: the template's empty thinking is closed at once.
        (Reply(content="Yes.", reasoning_field="think_tags_open"), "Yes.", None),
    ],
)
async def test_the_rules_whole_and_streamed(
    anyfast_server: AnyfastTestServer, mode: str, reply: Reply, content: str, reasoning: str | None
) -> None:
    anyfast_server.enqueue(reply, dataclasses.replace(reply, chunk_size=2))
    message = await whole(anyfast_server, mode, think_tags="open")
    assert (message.content, message.reasoning_content) == (content, reasoning)
    _, completion = await streamed_texts(anyfast_server, mode, think_tags="open")
    assert (completion.content, completion.reasoning_content) == (content, reasoning)


@pytest.mark.parametrize("client_class", [AnyfastClient, AsyncAnyfastClient])
@pytest.mark.parametrize("value", ["yes", "Open", "opened", 2, None])
def test_an_unknown_value_is_refused_naming_the_values(
    client_class: type[AnyfastClient] | type[AsyncAnyfastClient], value: object
) -> None:
    with pytest.raises(ValueError, match=r"think_tags=.* use True .*False .*'open'"):
        client_class(api_key="k", think_tags=value)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the decoder alone


def two_choices() -> bytes:
    def chunk(index: int, content: str | None, finish: str | None = None) -> dict[str, object]:
        delta = {"content": content} if content is not None else {}
        return {"id": "c", "choices": [{"index": index, "delta": delta, "finish_reason": finish}]}

    return sse(
        chunk(0, "zero's</th"),
        chunk(1, "<thi"),
        chunk(0, "ink> Zero."),
        chunk(1, "nk>one's\n</think>\n\n"),
        chunk(1, "One."),
        chunk(0, None, "stop"),
        chunk(1, None, "stop"),
    )


def test_the_decoder_splits_each_choice_at_every_byte_boundary() -> None:
    body = two_choices()
    for cut in range(len(body) + 1):
        decoder = ChunkDecoder("text/event-stream", think_tags="open")
        decoder.feed(body[:cut])
        decoder.feed(body[cut:])
        decoder.close()
        zero, one = (choice.message for choice in decoder.accumulator.result().choices)
        assert (zero.content, zero.reasoning_content) == ("Zero.", "zero's")
        assert (one.content, one.reasoning_content) == ("One.", "one's")


def test_a_cut_stream_keeps_the_reasoning_held_back_in_its_partial() -> None:
    decoder = ChunkDecoder("text/event-stream", think_tags="open")
    body = sse({"choices": [{"index": 0, "delta": {"content": "Hmm, let me see </thi"}}]})
    decoder.feed(body[: -len(b"data: [DONE]\n\n")])
    with pytest.raises(StreamInterruptedError) as cut:
        decoder.close()
    assert cut.value.partial is not None
    message = cut.value.partial.choices[0].message
    assert (message.content, message.reasoning_content) == ("", "Hmm, let me see </thi")


# --------------------------------------------------------------------------- the default's warning

STRAY = r'holds "</think>" with no "<think>" before it.*think_tags="open"'


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_the_default_warns_once_per_client_and_changes_nothing(
    anyfast_server: AnyfastTestServer, mode: str
) -> None:
    sent = f"{REASONING}\n</think>\n\n{ANSWER}"
    anyfast_server.enqueue(*[opened_reply()] * 2, *[opened_reply(chunk_size=5)] * 2)
    client_settings = settings_of(anyfast_server, {})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if mode == "sync":
            with AnyfastClient(**client_settings) as client:  # type: ignore[arg-type]
                messages = [client.chat(ask()).choices[0].message for _ in range(2)]
            with AnyfastClient(**client_settings) as client:  # type: ignore[arg-type]
                for _ in range(2):
                    with client.chat_stream(ask()) as stream:
                        list(stream)
                    messages.append(stream.completion.choices[0].message)
        else:
            async with AsyncAnyfastClient(**client_settings) as aclient:  # type: ignore[arg-type]
                messages = [(await aclient.chat(ask())).choices[0].message for _ in range(2)]
            async with AsyncAnyfastClient(**client_settings) as aclient:  # type: ignore[arg-type]
                for _ in range(2):
                    async with aclient.chat_stream(ask()) as astream:
                        _ = [chunk async for chunk in astream]
                    messages.append(astream.completion.choices[0].message)
    assert [(m.content, m.reasoning_content) for m in messages] == [(sent, None)] * 4
    # One for the client that answered whole, one for the client that streamed.
    assert [str(w.message) for w in caught] == [str(caught[0].message)] * 2
    assert all(w.category is AnyfastWarning for w in caught)
    assert re.search(STRAY, str(caught[0].message))
    assert caught[0].filename == __file__  # the user's line, not the client's


def test_the_warning_points_at_the_line_that_read_the_stream(
    anyfast_server: AnyfastTestServer,
) -> None:
    anyfast_server.enqueue(opened_reply(chunk_size=4))
    client = AnyfastClient(**settings_of(anyfast_server, {}))  # type: ignore[arg-type]
    with client, pytest.warns(AnyfastWarning, match=STRAY) as caught:
        for _ in client.chat_stream(ask()):
            pass
    assert caught[0].filename == __file__


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("reply", "settings"),
    [
        # Opened before it closed: split as usual, or left alone when elsewhere.
        (Reply(content=ANSWER, reasoning=REASONING, reasoning_field="think_tags"), {}),
        (Reply(content="Hi <think>quoted</think> there"), {}),
        # The server sent its reasoning in a field.
        (Reply(content="quoted</think>ok", reasoning="real"), {}),
        # The tags were asked to be left alone, or read as template-opened.
        (opened_reply(), {"think_tags": False}),
        (opened_reply(), {"think_tags": "open"}),
        (Reply(content="No tags at all."), {}),
    ],
)
async def test_no_warning_when_the_thinking_was_opened_or_came_apart(
    anyfast_server: AnyfastTestServer, mode: str, reply: Reply, settings: dict[str, object]
) -> None:
    # The suite turns warnings into errors: any warning fails these calls.
    anyfast_server.enqueue(reply, dataclasses.replace(reply, chunk_size=3))
    await whole(anyfast_server, mode, **settings)
    await streamed_texts(anyfast_server, mode, **settings)


def test_only_a_finished_stream_is_checked() -> None:
    body = sse({"choices": [{"index": 0, "delta": {"content": "a</think>b"}}]})
    check = StrayCloseCheck()
    cut = ChunkDecoder("text/event-stream", stray_close=check)
    cut.feed(body[: -len(b"data: [DONE]\n\n")])
    with pytest.raises(StreamInterruptedError):
        cut.close()
    assert not check.warned
    finished = ChunkDecoder("text/event-stream", stray_close=check)
    finished.feed(
        sse(
            {"choices": [{"index": 0, "delta": {"content": "a</think>b"}}]},
            {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        )
    )
    with pytest.warns(AnyfastWarning, match=STRAY):
        finished.close()
    assert check.warned
