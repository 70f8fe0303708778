"""``<think>`` tags at the start of the content, split into reasoning and answer."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyfast_client import ChatCompletion
from anyfast_client._think_tags import (
    ThinkTags,
    ThinkTagSplitter,
    split_completion,
    split_think_tags,
)


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


def streamed(pieces: list[str]) -> tuple[str, str]:
    splitter = ThinkTagSplitter()
    answer = reasoning = ""
    for piece in pieces:
        more_answer, more_reasoning = splitter.feed(piece)
        answer, reasoning = answer + more_answer, reasoning + more_reasoning
    rest_answer, rest_reasoning = splitter.close()
    return answer + rest_answer, reasoning + rest_reasoning


TAGGED = "\n<think>\nLet me see.\n</think>\n\nThe answer."


@pytest.mark.parametrize("cut", range(len(TAGGED) + 1))
def test_cut_at_every_position(cut: int) -> None:
    assert streamed([TAGGED[:cut], TAGGED[cut:]]) == ("The answer.", "Let me see.")


def test_one_character_at_a_time() -> None:
    assert streamed(list(TAGGED)) == ("The answer.", "Let me see.")


# Text made of the pieces that matter: the tags, their parts, whitespace, words.
_PARTS = st.sampled_from(
    ["<think>", "</think>", "<", "</", "<th", "ink>", "</th", "think", ">", " ", "\n", "a", "b c"]
)


@given(parts=st.lists(_PARTS, max_size=12), cuts=st.lists(st.integers(0, 80), max_size=8))
def test_any_cut_gives_what_the_whole_gives(parts: list[str], cuts: list[int]) -> None:
    text = "".join(parts)
    cuts = [c for c in cuts if c <= len(text)]
    assert streamed(pieces_of(text, cuts)) == split_think_tags(text)


@given(parts=st.lists(_PARTS, max_size=12))
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
