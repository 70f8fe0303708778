"""Generated replies: every entry point gives the answer a plain reading of the reply gives.

Well-formed streams vary the way real gateways do (ids and names repeated or not, names
in pieces, tool calls with or without an index, ``""`` finish reasons, usage on one,
two or every chunk, a second choice alongside) and must give the answer they were made
from through the core, ChatAnyfast and Anyfast. Lenient replies use every shape the
documentation accepts; odd ones mix right and wrong types in every field. Both are held
to the plain reading of ``_reference`` (``json.loads``, deltas merged by index): the same
text, reasoning, tool calls, finish reason and usage, or an ``AnyfastError`` where the
reading refuses the reply or cannot say what it means.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._harness import (
    STREAMED,
    SYNC_STREAMED,
    SYNC_WHOLE,
    WHOLE,
    Answer,
    Harness,
    chunk,
    sse,
)
from ._reference import Reading, check, read_body, read_stream

_SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "derandomize": True,
}

# --------------------------------------------------------------------------- well-formed


@dataclass(frozen=True)
class Call:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Shape:
    """How a gateway may send the same answer."""

    indexed: bool
    repeat_ids: bool
    split_names: bool
    interleave: bool
    blank_finish: bool
    usage_on: str  # "none", "last", "finish", "both", "every"
    second_choice: bool
    piece: int


_text = st.text(alphabet="abc xyz,.é北京🙂", max_size=12)
_args = st.dictionaries(
    st.sampled_from(["city", "n", "tz", "x"]),
    st.one_of(st.integers(-5, 10**6), st.text(alphabet="ab 北", max_size=4), st.booleans()),
    max_size=3,
)
_calls = st.lists(
    st.builds(
        Call,
        id=st.just(""),
        name=st.sampled_from(["get_weather", "get_time", "add"]),
        arguments=_args,
    ),
    max_size=3,
).map(lambda calls: [Call(f"call_{i}", c.name, c.arguments) for i, c in enumerate(calls)])
_shapes = st.builds(
    Shape,
    indexed=st.booleans(),
    repeat_ids=st.booleans(),
    split_names=st.booleans(),
    interleave=st.booleans(),
    blank_finish=st.booleans(),
    usage_on=st.sampled_from(["none", "last", "finish", "both", "every"]),
    second_choice=st.booleans(),
    piece=st.integers(1, 6),
)


@dataclass(frozen=True)
class Spoken:
    """An answer and the shape it is sent in."""

    reasoning: str
    text: str
    calls: list[Call]
    finish: str
    usage: tuple[int, int, int]
    shape: Shape

    def expected(self) -> Answer:
        calls = tuple(
            sorted(
                ((c.id, c.name, json.dumps(c.arguments, sort_keys=True)) for c in self.calls),
                key=repr,
            )
        )
        usage = None if self.shape.usage_on == "none" else self.usage
        return Answer(self.text, self.reasoning, calls, self.finish, usage)


_spoken = st.builds(
    Spoken,
    reasoning=_text,
    text=_text,
    calls=_calls,
    finish=st.sampled_from(["stop", "length", "tool_calls", "content_filter"]),
    usage=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).map(lambda u: (*u, u[0] + u[1])),
    shape=_shapes,
)


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _call_deltas(position: int, call: Call, shape: Shape) -> list[dict[str, Any]]:
    """The deltas of one call: id and name first (maybe in pieces), then the arguments."""
    head, _, tail = call.name.partition("_")
    names = [f"{head}_", tail] if shape.split_names and tail else [call.name]
    arguments = json.dumps(call.arguments, ensure_ascii=False)
    deltas: list[dict[str, Any]] = [{"function": {"name": n}} for n in names]
    deltas += [{"function": {"arguments": a}} for a in _pieces(arguments, shape.piece * 3)]
    for number, delta in enumerate(deltas):
        if number == 0 or shape.repeat_ids:
            delta["id"] = call.id
        if number == 0:
            delta["type"] = "function"
        if shape.indexed:
            delta["index"] = position
    return deltas


def _tool_deltas(spoken: Spoken) -> list[dict[str, Any]]:
    per_call = [_call_deltas(i, c, spoken.shape) for i, c in enumerate(spoken.calls)]
    if not (spoken.shape.interleave and spoken.shape.indexed):
        return [d for deltas in per_call for d in deltas]
    # Round robin, once each call's first delta is out.
    ordered: list[dict[str, Any]] = []
    for step in range(max((len(d) for d in per_call), default=0)):
        ordered += [deltas[step] for deltas in per_call if step < len(deltas)]
    return ordered


def _usage(spoken: Spoken, fraction: float = 1.0) -> dict[str, int]:
    prompt, completion, _ = spoken.usage
    done = int(completion * fraction)
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}


def render(spoken: Spoken) -> bytes:
    """The event stream a gateway of this shape sends for this answer."""
    shape = spoken.shape
    unfinished = "" if shape.blank_finish else None
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": "", "reasoning_content": ""}]
    deltas += [{"reasoning_content": p} for p in _pieces(spoken.reasoning, shape.piece)]
    deltas += [{"content": p} for p in _pieces(spoken.text, shape.piece)]
    deltas += [{"tool_calls": [d]} for d in _tool_deltas(spoken)]
    events = [chunk(d, unfinished) for d in deltas]
    if shape.second_choice:
        events = [e for pair in zip(events, _second_choice(len(events)), strict=True) for e in pair]
        events.append(chunk(finish="stop", index=1))
    if shape.usage_on == "every":
        for number, event in enumerate(events):
            event["usage"] = _usage(spoken, number / (len(events) + 1))
    finish = chunk(finish=spoken.finish)
    if shape.usage_on in ("finish", "both", "every"):
        finish["usage"] = _usage(spoken)
    events.append(finish)
    if shape.usage_on in ("last", "both"):
        events.append({"id": "c1", "choices": [], "usage": _usage(spoken)})
    return sse(*events)


def _second_choice(count: int) -> list[dict[str, Any]]:
    return [chunk({"content": "other "}, index=1) for _ in range(count)]


@settings(max_examples=400, **_SETTINGS)  # type: ignore[arg-type]
@given(spoken=_spoken)
def test_well_formed_streams_agree(harness: Harness, spoken: Spoken) -> None:
    body = render(spoken)
    harness.set_stream(body)
    expected = spoken.expected()
    assert read_stream(body).differences(expected) == []
    for entry in SYNC_STREAMED:
        outcome = harness.run(entry)
        assert outcome.error is None, f"{entry}: {outcome.error!r}"
        assert outcome.answer == expected, entry


@settings(max_examples=60, **_SETTINGS)  # type: ignore[arg-type]
@given(spoken=_spoken)
def test_well_formed_streams_agree_async(harness: Harness, spoken: Spoken) -> None:
    harness.set_stream(render(spoken))
    expected = spoken.expected()
    for entry in STREAMED:
        assert harness.run(entry).answer == expected, entry


def _whole(spoken: Spoken) -> dict[str, Any]:
    calls = [
        {
            "id": c.id,
            "type": "function",
            "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
        }
        for c in spoken.calls
    ]
    message: dict[str, Any] = {"role": "assistant", "content": spoken.text}
    if spoken.reasoning:
        message["reasoning_content"] = spoken.reasoning
    if calls:
        message["tool_calls"] = calls
    choices = [{"index": 0, "message": message, "finish_reason": spoken.finish}]
    if spoken.shape.second_choice:
        other = {
            "index": 1,
            "message": {"role": "assistant", "content": "other"},
            "finish_reason": "stop",
        }
        choices.insert(0, other)
    body: dict[str, Any] = {"id": "c1", "model": "qwen3.6-flash", "created": 1, "choices": choices}
    if spoken.shape.usage_on != "none":
        body["usage"] = _usage(spoken)
    return body


@settings(max_examples=200, **_SETTINGS)  # type: ignore[arg-type]
@given(spoken=_spoken)
def test_well_formed_bodies_agree(harness: Harness, spoken: Spoken) -> None:
    harness.set_json(_whole(spoken))
    expected = spoken.expected()
    assert read_body(json.dumps(_whole(spoken)).encode()).differences(expected) == []
    for entry in SYNC_WHOLE:
        outcome = harness.run(entry)
        assert outcome.error is None, f"{entry}: {outcome.error!r}"
        assert outcome.answer == expected, entry


# --------------------------------------------------------------------------- lenient and odd
#
# Replies in every shape docs/tolerance.md documents (counts as floats or strings, content
# as parts, arguments as an object, "" finish reasons, null deltas), and the same with
# anything at all in any field. Each entry point's outcome is held to the plain reading
# of the reply (_reference): the same text, reasoning, tool calls, finish reason and usage,
# or a refusal where the reading refuses.


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)
_junk = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
_arguments = st.sampled_from(['{"a": ', "1}", "[1]", '""', "{}", '{"n": 1e999}', "", "null"])
_finish = st.sampled_from(["stop", "length", "tool_calls", "", None])
_count = st.integers(0, 100) | st.floats(0, 100) | st.integers(0, 100).map(str) | st.none()
# A last chunk that finishes some choices, as most streams end.
_finishing = st.lists(
    st.builds(dict, index=st.integers(0, 1), finish_reason=st.sampled_from(["stop", "length"])),
    max_size=2,
).map(lambda choices: json.dumps({"id": "c1", "choices": choices}))
_finishing_both = st.just(
    json.dumps({"id": "c1", "choices": [{"index": i, "finish_reason": "stop"} for i in (0, 1)]})
)
_odd_event = st.one_of(
    _junk.map(json.dumps),
    st.sampled_from(["", "not json", '{"error": {"message": "quota", "code": 402}}']),
)


@dataclass(frozen=True)
class Replies:
    streams: st.SearchStrategy[bytes]
    bodies: st.SearchStrategy[dict[str, Any]]


def _replies(junk: bool) -> Replies:
    """Streams and whole bodies; with ``junk``, any field may hold anything at all."""

    def some(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
        if junk:  # mostly the right shape, sometimes anything at all
            shaped = {k: st.one_of(v, v, v, _junk) for k, v in fields.items()}
            return st.fixed_dictionaries({}, optional=shaped)
        # Mostly every field, so that there is something to compare; else some of them.
        whole = st.fixed_dictionaries(fields)
        return whole | whole | st.fixed_dictionaries({}, optional=fields)

    args = st.dictionaries(st.sampled_from(["city", "n"]), st.integers(0, 9), max_size=2)
    function = some(name=st.sampled_from(["f", "g", "get_"]), arguments=_arguments | args)
    parts = st.lists(_text | some(type=st.just("text"), text=_text), min_size=2, max_size=3)
    content = _text | st.none() | parts
    usage = some(
        prompt_tokens=_count,
        completion_tokens=_count,
        total_tokens=_count,
        prompt_tokens_details=some(cached_tokens=_count, image_tokens=_count),
        completion_tokens_details=some(reasoning_tokens=_count),
        cost=st.floats(0, 1),
    )
    header = {"id": st.just("c1"), "model": st.just("qwen3.6-flash"), "created": st.integers()}
    tool_delta = some(
        index=st.integers(-1, 2) | st.none(),
        id=st.sampled_from(["a", "b", ""]) | st.none(),
        type=st.just("function"),
        function=function,
    )
    delta = some(
        role=st.just("assistant"),
        content=content,
        reasoning_content=_text | st.none(),
        tool_calls=st.lists(tool_delta, max_size=2),
    )
    index = st.integers(-1, 1) if junk else st.integers(0, 1)  # -1: no gateway sends it
    chunk_choice = some(index=index | st.none(), delta=delta, finish_reason=_finish)
    chunk = some(**header, choices=st.lists(chunk_choice, max_size=2), usage=usage)
    # At most one odd event, so that enough streams get to an answer to compare.
    streams = st.builds(
        _stream_of,
        chunks=st.lists(chunk.map(json.dumps), min_size=0 if junk else 1, max_size=6),
        odd=st.none() | st.none() | _odd_event if junk else st.none(),
        at=st.integers(0, 6),
        last=_finishing if junk else _finishing | _finishing_both,
        done=st.sampled_from([True, True, True, False]),
    )
    call = some(id=st.sampled_from(["a", "b"]), type=st.just("function"), function=function)
    message = some(
        role=st.just("assistant"),
        content=content,
        reasoning_content=_text,
        tool_calls=st.lists(call, max_size=2),
    )
    choice = some(index=st.integers(-1, 2), message=message, finish_reason=_finish)
    # Mostly bodies with choices, so that there is an answer to compare.
    answering = st.builds(
        lambda body, choices: {**body, "choices": choices},
        some(**header, usage=usage),
        st.lists(choice, min_size=1, max_size=2),
    )
    bodies = answering | answering | some(**header, choices=st.lists(choice), usage=usage)
    return Replies(streams, st.one_of(bodies, _junk) if junk else bodies)


def _stream_of(chunks: list[str], odd: str | None, at: int, last: str, done: bool) -> bytes:
    """Chunks, maybe one odd event among them, the finishing chunk, maybe [DONE]."""
    events = [*chunks, last]
    if odd is not None:
        events.insert(min(at, len(events)), odd)
    return sse(*events, done=done)


DOCUMENTED = _replies(junk=False)
ANYTHING = _replies(junk=True)


def _check_stream(harness: Harness, body: bytes, entries: tuple[str, ...]) -> Reading:
    harness.set_stream(body)
    reading = read_stream(body)
    for entry in entries:
        check(entry, harness.run(entry), reading)
    return reading


def _check_body(harness: Harness, body: Any, entries: tuple[str, ...]) -> Reading:
    raw = json.dumps(body).encode()
    harness.set_json(raw)
    reading = read_body(raw)
    for entry in entries:
        check(entry, harness.run(entry), reading)
    return reading


@settings(max_examples=300, **_SETTINGS)  # type: ignore[arg-type]
@given(body=DOCUMENTED.streams)
def test_documented_streams_give_the_plain_reading(harness: Harness, body: bytes) -> None:
    reading = _check_stream(harness, body, SYNC_STREAMED)
    assert not reading.unsure, "the reading knows every documented shape"


@settings(max_examples=300, **_SETTINGS)  # type: ignore[arg-type]
@given(body=DOCUMENTED.bodies)
def test_documented_bodies_give_the_plain_reading(harness: Harness, body: Any) -> None:
    reading = _check_body(harness, body, SYNC_WHOLE)
    assert not reading.unsure, "the reading knows every documented shape"


# 600 examples take about 10 s here; shrinking a failure, or a loaded machine, takes longer.
@pytest.mark.timeout(300)
@settings(max_examples=600, **_SETTINGS)  # type: ignore[arg-type]
@given(body=ANYTHING.streams)
def test_any_stream_gives_the_plain_reading_or_an_anyfast_error(
    harness: Harness, body: bytes
) -> None:
    _check_stream(harness, body, SYNC_STREAMED)


@pytest.mark.timeout(300)
@settings(max_examples=600, **_SETTINGS)  # type: ignore[arg-type]
@given(body=ANYTHING.bodies)
def test_any_body_gives_the_plain_reading_or_an_anyfast_error(harness: Harness, body: Any) -> None:
    _check_body(harness, body, SYNC_WHOLE)


@settings(max_examples=60, **_SETTINGS)  # type: ignore[arg-type]
@given(
    body=DOCUMENTED.bodies | ANYTHING.bodies,
    stream=DOCUMENTED.streams | ANYTHING.streams,
)
def test_async_entry_points_give_the_plain_reading(
    harness: Harness, body: Any, stream: bytes
) -> None:
    _check_body(harness, body, WHOLE)
    _check_stream(harness, stream, STREAMED)
