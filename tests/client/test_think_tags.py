"""``<think>`` tags at the start of the content, split into reasoning and answer."""

from __future__ import annotations

import dataclasses
import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyfast_client import (
    AnyfastClient,
    AsyncAnyfastClient,
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    ResponseMessage,
    StreamInterruptedError,
    UserMessage,
)
from anyfast_client._decode import ChunkDecoder
from anyfast_client._models import Delta
from anyfast_client._think_tags import (
    ThinkTags,
    ThinkTagSplitter,
    split_completion,
    split_think_tags,
)
from anyfast_client.testing import AnyfastTestServer, Reply


@pytest.mark.parametrize(
    ("content", "answer", "reasoning"),
    [
        (
            "<think>\nThe sky scatters blue.\n</think>\n\nRayleigh.",
            "Rayleigh.",
            "The sky scatters blue.",
        ),
        ("  \n<think>x</think>y", "y", "x"),
        ("<think></think>Hello", "Hello", ""),
        ("<think>a</think>b </think> c", "b </think> c", "a"),
        ("<think>a <think> b</think>c", "c", "a <think> b"),
        # Only at the start: elsewhere the tag is answer text.
        ("Hi <think>x</think> there", "Hi <think>x</think> there", ""),
        ("<thinking>x</thinking>", "<thinking>x</thinking>", ""),
        ("<Think>x</Think>", "<Think>x</Think>", ""),
        # Unclosed at the end: what was inside is reasoning.
        ("<think>\nstill thinking ", "", "still thinking"),
        ("<think>", "", ""),
        # Text that only looks like the start of a tag is the answer.
        ("<thi", "<thi", ""),
        ("<", "<", ""),
        ("   ", "   ", ""),
        ("", "", ""),
        ("plain answer", "plain answer", ""),
    ],
)
def test_whole_content(content: str, answer: str, reasoning: str) -> None:
    assert split_think_tags(content) == (answer, reasoning)


def pieces_of(text: str, cuts: list[int]) -> list[str]:
    bounds = [0, *sorted(set(cuts)), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def streamed(pieces: list[str], *, opened: bool = False) -> tuple[str, str]:
    splitter = ThinkTagSplitter(opened=opened)
    answer = reasoning = ""
    for piece in pieces:
        more_answer, more_reasoning = splitter.feed(piece)
        answer, reasoning = answer + more_answer, reasoning + more_reasoning
    rest_answer, rest_reasoning = splitter.close()
    return answer + rest_answer, reasoning + rest_reasoning


TAGGED = "\n<think>\nLet me see.\n</think>\n\nThe answer."
# think_tags="open": the model's text after a prompt that ended in "<think>\n".
OPENED = "Let me see.\n</think>\n\nThe answer."
MODES = [(TAGGED, False), (OPENED, True)]


@pytest.mark.parametrize(("text", "opened"), MODES)
def test_cut_at_every_position(text: str, opened: bool) -> None:
    for cut in range(len(text) + 1):
        pieces = [text[:cut], text[cut:]]
        assert streamed(pieces, opened=opened) == ("The answer.", "Let me see."), cut


@pytest.mark.parametrize(("text", "opened"), MODES)
def test_one_character_at_a_time(text: str, opened: bool) -> None:
    assert streamed(list(text), opened=opened) == ("The answer.", "Let me see.")


# Text made of the pieces that matter: the tags, their parts, whitespace, words.
THINK_TAG_PARTS = st.sampled_from(
    ["<think>", "</think>", "<", "</", "<th", "ink>", "</th", "think", ">", " ", "\n", "a", "b c"]
)


@pytest.mark.parametrize("opened", [False, True])
@given(parts=st.lists(THINK_TAG_PARTS, max_size=12), cuts=st.lists(st.integers(0, 80), max_size=8))
def test_any_cut_gives_what_the_whole_gives(
    opened: bool, parts: list[str], cuts: list[int]
) -> None:
    text = "".join(parts)
    cuts = [c for c in cuts if c <= len(text)]
    assert streamed(pieces_of(text, cuts), opened=opened) == split_think_tags(text, opened=opened)


@given(parts=st.lists(THINK_TAG_PARTS, max_size=12))
def test_content_that_does_not_open_with_the_tag_is_left_alone(parts: list[str]) -> None:
    text = "".join(parts)
    if not text.lstrip().startswith("<think>"):
        assert split_think_tags(text) == (text, "")


def test_reasoning_from_the_server_turns_the_tags_off() -> None:
    splitter = ThinkTagSplitter()
    assert splitter.feed("", "server's reasoning") == ("", "server's reasoning")
    assert splitter.feed("<think>x</think>y") == ("<think>x</think>y", "")


def test_reasoning_from_the_server_after_a_held_start() -> None:
    splitter = ThinkTagSplitter()
    assert splitter.feed("<th") == ("", "")
    assert splitter.feed("ink>", "field") == ("<think>", "field")


def test_once_passing_the_pieces_are_handed_back_as_they_are() -> None:
    splitter = ThinkTagSplitter()
    assert splitter.feed("Hello") == ("Hello", "")
    assert splitter.passing
    assert splitter.feed(" <think>") == (" <think>", "")


def test_choices_are_split_apart() -> None:
    tags = ThinkTags()
    assert tags.feed(0, "<think>zero", "") == ("", "zero")
    assert tags.feed(1, "one", "") == ("one", "")
    assert tags.feed(0, "</think>0", "") == ("0", "")
    assert tags.feed(1, "<think>", "") == ("<think>", "")
    assert tags.close_all() == {0: ("", ""), 1: ("", "")}


def test_chunks_of_passing_choices_come_back_as_they_are_a_new_choice_is_split() -> None:
    def chunk(index: int, content: str) -> ChatCompletionChunk:
        choice = {"index": index, "delta": {"content": content}}
        return ChatCompletionChunk.model_validate({"id": "c", "choices": [choice]})

    tags = ThinkTags()
    first, later = chunk(0, "Hello"), chunk(0, "<think>x</think>")
    assert tags.apply(first) is first
    assert tags.passing
    assert tags.apply(later) is later
    assert _choice_texts(tags.apply(chunk(1, "<think>one"))) == ("", "one")
    assert not tags.passing
    assert _choice_texts(tags.apply(chunk(1, "</think>1"))) == ("1", "")


def test_close_gives_back_what_a_choice_held() -> None:
    tags = ThinkTags()
    tags.feed(0, "  <thin", "")
    tags.feed(2, "<think>why", "")
    tags.feed(2, " \n</thi", "")
    assert tags.close(0) == ("  <thin", "")
    assert tags.close(2) == ("", " \n</thi")
    assert tags.close(5) == ("", "")


def completion(message: dict[str, object]) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    )


def test_a_whole_completion_is_split() -> None:
    done = split_completion(completion({"content": "<think>hmm</think>\nYes."}))
    message = done.choices[0].message
    assert (message.content, message.reasoning_content) == ("Yes.", "hmm")


def test_a_completion_with_reasoning_keeps_its_tags() -> None:
    done = split_completion(
        completion({"content": "<think>quoted</think>ok", "reasoning_content": "real"})
    )
    message = done.choices[0].message
    assert (message.content, message.reasoning_content) == ("<think>quoted</think>ok", "real")


def test_a_completion_without_tags_is_unchanged() -> None:
    done = split_completion(completion({"content": "Hi <think>", "reasoning_content": None}))
    message = done.choices[0].message
    assert (message.content, message.reasoning_content) == ("Hi <think>", None)


# --------------------------------------------------------------------------- through the client

ANSWER, REASONING = "Because of Rayleigh scattering.", "Short waves scatter more.\nSo: blue."
SHAPES = ["reasoning_content", "reasoning", "think_tags"]


def ask() -> ChatRequest:
    return ChatRequest(messages=[UserMessage(content="Why is the sky blue?")])


def settings_of(server: AnyfastTestServer, settings: dict[str, object]) -> dict[str, object]:
    return {"base_url": server.base_url, "api_key": server.api_key, "max_retries": 0, **settings}


async def whole(server: AnyfastTestServer, mode: str, **settings: object) -> ResponseMessage:
    client_settings = settings_of(server, settings)
    if mode == "sync":
        with AnyfastClient(**client_settings) as client:  # type: ignore[arg-type]
            return client.chat(ask()).choices[0].message
    async with AsyncAnyfastClient(**client_settings) as aclient:  # type: ignore[arg-type]
        return (await aclient.chat(ask())).choices[0].message


async def streamed_texts(
    server: AnyfastTestServer, mode: str, **settings: object
) -> tuple[list[tuple[str, str]], ResponseMessage]:
    """Each chunk's (content, reasoning) of choice 0, and the stream's completion."""
    client_settings = settings_of(server, settings)
    pieces: list[tuple[str, str]] = []
    if mode == "sync":
        with AnyfastClient(**client_settings) as client:  # type: ignore[arg-type]
            with client.chat_stream(ask()) as stream:
                pieces = [_choice_texts(chunk) for chunk in stream]
            return pieces, stream.completion.choices[0].message
    async with AsyncAnyfastClient(**client_settings) as aclient:  # type: ignore[arg-type]
        async with aclient.chat_stream(ask()) as astream:
            pieces = [_choice_texts(chunk) async for chunk in astream]
        return pieces, astream.completion.choices[0].message


def _choice_texts(chunk: ChatCompletionChunk) -> tuple[str, str]:
    deltas = [choice.delta for choice in chunk.choices]
    return "".join(d.content or "" for d in deltas), "".join(
        d.reasoning_content or "" for d in deltas
    )


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("shape", SHAPES)
async def test_every_shape_reads_as_reasoning_whole(
    anyfast_server: AnyfastTestServer, mode: str, shape: str
) -> None:
    anyfast_server.enqueue(Reply(content=ANSWER, reasoning=REASONING, reasoning_field=shape))
    message = await whole(anyfast_server, mode)
    assert (message.content, message.reasoning_content) == (ANSWER, REASONING)


# Size 1 cuts the tags at every position; the others at every position modulo their size.
@pytest.mark.parametrize("chunk_size", [1, 2, 3, 4, 5, 7, 9, 64])
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("shape", SHAPES)
async def test_every_shape_reads_as_reasoning_streamed(
    anyfast_server: AnyfastTestServer, mode: str, shape: str, chunk_size: int
) -> None:
    reply = Reply(content=ANSWER, reasoning=REASONING, reasoning_field=shape, chunk_size=chunk_size)
    anyfast_server.enqueue(reply)
    pieces, message = await streamed_texts(anyfast_server, mode)
    assert "".join(text for text, _ in pieces) == ANSWER
    assert "".join(reasoning for _, reasoning in pieces) == REASONING
    assert (message.content, message.reasoning_content) == (ANSWER, REASONING)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_think_tags_off_leaves_the_content_as_sent(
    anyfast_server: AnyfastTestServer, mode: str
) -> None:
    sent = Reply(content=ANSWER, reasoning=REASONING, reasoning_field="think_tags", chunk_size=3)
    anyfast_server.enqueue(sent, sent)
    message = await whole(anyfast_server, mode, think_tags=False)
    assert (message.content, message.reasoning_content) == (sent.sent_content, None)
    pieces, streamed = await streamed_texts(anyfast_server, mode, think_tags=False)
    assert "".join(text for text, _ in pieces) == sent.sent_content
    assert (streamed.content, streamed.reasoning_content) == (sent.sent_content, None)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("reply", "content", "reasoning"),
    [
        # Tags later in the answer are answer text.
        (
            Reply(content="Hi <think>not this</think> there"),
            "Hi <think>not this</think> there",
            None,
        ),
        # A server that sent its own reasoning keeps the content as it is.
        (
            Reply(content="<think>quoted</think>ok", reasoning="real"),
            "<think>quoted</think>ok",
            "real",
        ),
        # An unclosed tag when the budget ran out: all of it was reasoning.
        (Reply(content="<think>\nstill going", finish_reason="length"), "", "still going"),
        # The start of a tag that never became one is the answer.
        (Reply(content="<thin"), "<thin", None),
    ],
)
async def test_only_a_tag_that_opens_the_answer_counts(
    anyfast_server: AnyfastTestServer, mode: str, reply: Reply, content: str, reasoning: str | None
) -> None:
    anyfast_server.enqueue(reply, dataclasses.replace(reply, chunk_size=2))
    message = await whole(anyfast_server, mode)
    assert (message.content, message.reasoning_content) == (content, reasoning)
    _, streamed = await streamed_texts(anyfast_server, mode)
    assert (streamed.content, streamed.reasoning_content) == (content, reasoning)


# --------------------------------------------------------------------------- the decoder alone


def sse(*chunks: dict[str, object]) -> bytes:
    events = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks]
    return ("".join(events) + "data: [DONE]\n\n").encode()


def two_choices() -> bytes:
    def chunk(index: int, content: str | None, finish: str | None = None) -> dict[str, object]:
        delta = {"content": content} if content is not None else {}
        return {"id": "c", "choices": [{"index": index, "delta": delta, "finish_reason": finish}]}

    return sse(
        chunk(0, "<th"),
        chunk(1, "Plain "),
        chunk(0, "ink>zero's</thi"),
        chunk(1, "<think>not at the start</think>"),
        chunk(0, "nk> Zero."),
        chunk(0, None, "stop"),
        chunk(1, None, "stop"),
    )


def decoded(body: bytes, cuts: list[int], **settings: bool) -> ChatCompletion:
    decoder = ChunkDecoder("text/event-stream", **settings)
    bounds = [0, *cuts, len(body)]
    for start, end in itertools.pairwise(bounds):
        decoder.feed(body[start:end])
    decoder.close()
    return decoder.accumulator.result()


def test_the_decoder_splits_each_choice_apart_at_every_byte_boundary() -> None:
    body = two_choices()
    for cut in range(len(body) + 1):
        completion = decoded(body, [cut])
        zero, one = (choice.message for choice in completion.choices)
        assert (zero.content, zero.reasoning_content) == ("Zero.", "zero's")
        assert (one.content, one.reasoning_content) == (
            "Plain <think>not at the start</think>",
            None,
        )


def test_a_held_start_is_given_back_on_the_finishing_chunk() -> None:
    body = sse(
        {"choices": [{"index": 0, "delta": {"content": "  <thi"}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    )
    decoder = ChunkDecoder("text/event-stream")
    texts = [_choice_texts(item) for item in decoder.feed(body)]
    assert texts == [("", ""), ("  <thi", "")]
    assert decoder.accumulator.result().choices[0].message.content == "  <thi"


def test_an_index_repeated_within_one_chunk_gives_its_held_text_back_once() -> None:
    # Two choices of one chunk with no index (both read as 0): the first holds back its
    # whitespace, the second finishes the choice and gives it back, once.
    body = sse(
        {
            "choices": [
                {"index": None, "delta": {"content": " "}},
                {"index": None, "delta": {}, "finish_reason": "stop"},
            ]
        },
    )
    for think_tags in (True, False):
        completion = decoded(body, [], think_tags=think_tags)
        assert completion.choices[0].message.content == " "


@pytest.mark.parametrize(
    ("sent", "content", "reasoning"),
    [
        ("  <thi", "  <thi", None),  # a start that may still become a tag
        # inside: what may have been the end tag arrived, so it stays
        ("<think>Hmm, let me see  </thi", "", "Hmm, let me see  </thi"),
        ("<think>Done.</think>  ", "", "Done."),  # the whitespace before the answer
    ],
)
def test_a_cut_stream_keeps_what_the_tags_held_back_in_its_partial(
    sent: str, content: str, reasoning: str | None
) -> None:
    decoder = ChunkDecoder("text/event-stream")
    decoder.feed(
        sse({"choices": [{"index": 0, "delta": {"content": sent}}]})[: -len(b"data: [DONE]\n\n")]
    )
    with pytest.raises(StreamInterruptedError) as cut:
        decoder.close()
    partial = cut.value.partial
    assert partial is not None
    message = partial.choices[0].message
    assert (message.content, message.reasoning_content) == (content, reasoning)


@given(cuts=st.lists(st.integers(0, 400), max_size=6))
def test_any_cut_of_the_bytes_gives_the_same_completion(cuts: list[int]) -> None:
    body = two_choices()
    whole_body = decoded(body, [])
    assert decoded(body, sorted(c for c in cuts if c <= len(body))) == whole_body


# --------------------------------------------------------------------------- the reasoning field


@pytest.mark.parametrize(
    ("sent", "reasoning"),
    [
        ({"reasoning": "vLLM's name"}, "vLLM's name"),
        ({"reasoning_content": "ours", "reasoning": "theirs"}, "ours"),
        ({"reasoning_content": None, "reasoning": "theirs"}, "theirs"),
        ({"reasoning": None}, None),
        ({"reasoning": [{"type": "text", "text": "in parts"}]}, "in parts"),
    ],
)
@pytest.mark.parametrize("model", [ResponseMessage, Delta])
def test_a_reasoning_field_reads_as_reasoning_content(
    model: type[ResponseMessage] | type[Delta], sent: dict[str, object], reasoning: str | None
) -> None:
    read = model.model_validate({"content": "answer", **sent})
    assert read.reasoning_content == reasoning
    assert "reasoning" not in (read.model_extra or {})  # never kept under the other name
    assert "reasoning" not in read.model_dump()


def test_a_reasoning_field_that_is_not_text_stays_an_extra() -> None:
    read = ResponseMessage.model_validate({"content": "a", "reasoning": {"effort": "low"}})
    assert read.reasoning_content is None
    assert read.model_extra == {"reasoning": {"effort": "low"}}


def test_a_streamed_reasoning_field_reads_as_reasoning_content() -> None:
    body = sse(
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        *({"choices": [{"index": 0, "delta": {"reasoning": piece}}]} for piece in ("Hm", "m.")),
        {"choices": [{"index": 0, "delta": {"content": "Yes."}, "finish_reason": "stop"}]},
    )
    message = decoded(body, []).choices[0].message
    assert (message.content, message.reasoning_content) == ("Yes.", "Hmm.")
