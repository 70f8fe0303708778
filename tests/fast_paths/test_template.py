"""Events read through their template decode exactly as events parsed in full.

A stream's text events share their bytes around the text; the decoder learns those
bytes from a parsed event (an event template) and then reads the next events' text
without parsing. These tests hold it to the parsed reading: generated streams (key
orders, spacing, escapes, extra fields, ids that change, nonces, broken bytes) decode
to the same chunks, the same errors and the same merged answer either way, and the
text deltas handed to the adapters say what those chunks say. Without what it relies
on, or with ``ANYFAST_FAST_PATHS=0``, every event is parsed.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from anyfast_client import (
    AnyfastClient,
    AnyfastError,
    AsyncAnyfastClient,
    ChatCompletionChunk,
    ChatRequest,
    UserMessage,
    _construct,
    _fast,
    _template,
)
from anyfast_client._adapter import astream_items, stream_items
from anyfast_client._decode import ChunkDecoder
from anyfast_client._fast import FAST_PATHS_VARIABLE, stood_down, taken_up
from anyfast_client._template import EventTemplate, TextDelta
from anyfast_client.testing import AnyfastTestServer, Reply

FAST = settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


class ParsingDecoder(ChunkDecoder):
    """The reference: every event parsed in full, no template ever learnt."""

    def _learn(self, event: bytes, chunk: ChatCompletionChunk) -> None:
        pass


def decode(decoder: ChunkDecoder, reads: list[bytes]) -> tuple[list[Any], str | None]:
    """Everything a decoder hands out, and the error it ends with (type and message)."""
    items: list[Any] = []
    try:
        for data in reads:
            items.extend(decoder.iter_feed(data))
        items.extend(decoder.iter_close())
    except AnyfastError as exc:
        return items, f"{type(exc).__name__}: {exc}"
    return items, None


def assert_same_model(built: BaseModel, parsed: BaseModel) -> None:
    assert type(built) is type(parsed)
    assert built.__dict__.keys() == parsed.__dict__.keys()
    assert built.model_fields_set == parsed.model_fields_set
    assert built.__pydantic_extra__ == parsed.__pydantic_extra__
    assert built.__pydantic_private__ == parsed.__pydantic_private__
    assert built == parsed


def assert_same_chunk(built: ChatCompletionChunk, parsed: ChatCompletionChunk) -> None:
    assert_same_model(built, parsed)
    for mine, theirs in zip(built.choices, parsed.choices, strict=True):
        assert_same_model(mine, theirs)
        assert_same_model(mine.delta, theirs.delta)


def chunks_of(items: list[Any]) -> list[ChatCompletionChunk]:
    return [item.chunk() if isinstance(item, TextDelta) else item for item in items]


def assert_decodes_as_parsed(body: bytes, cuts: list[int]) -> list[ChatCompletionChunk]:
    """Decode ``body`` read in parts cut at ``cuts`` both ways; the template decoder's chunks."""
    bounds = sorted({cut % (len(body) + 1) for cut in cuts} | {0, len(body)})
    reads = [body[start:end] for start, end in itertools.pairwise(bounds)]
    reference = ParsingDecoder()
    expected, expected_error = decode(reference, reads)
    decoder = ChunkDecoder()
    items, error = decode(decoder, reads)
    assert error == expected_error
    assert len(items) == len(expected)
    for item, chunk in zip(items, expected, strict=True):
        if isinstance(item, TextDelta):
            choice = chunk.choices[0]
            assert item[:3] == (choice.index, choice.delta.content, choice.delta.reasoning_content)
            assert_same_chunk(item.chunk(), chunk)
        else:
            assert_same_chunk(item, chunk)
    assert decoder.accumulator.result() == reference.accumulator.result()
    return chunks_of(items)


# --------------------------------------------------------------------------- generated streams

# Text a token may hold: letters, quotes, backslashes, line endings, control characters,
# accents, CJK and emoji (what JSON escapes, and what it does not).
TOKEN = st.text(
    st.sampled_from(list('ab xyZ"\\/\n\t\r\x01\x1f\x7féü中文😀\u2028')) | st.characters(),
    max_size=6,
).filter(lambda text: not any("\ud800" <= ch <= "\udfff" for ch in text))
ABSENT = object()


@st.composite
def deltas(draw: Any) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if draw(st.integers(0, 4)) == 0:
        delta["role"] = draw(st.sampled_from(["assistant", "model"]))
    for field in ("content", "reasoning_content"):
        value = draw(st.sampled_from([ABSENT, None, "", "token", "token", "token"]))
        if value == "token":
            value = draw(TOKEN)
        if value is not ABSENT:
            delta[field] = value
    if draw(st.integers(0, 19)) == 0:
        delta["tool_calls"] = [{"index": 0, "function": {"arguments": draw(TOKEN)}}]
    return _shuffled(draw, delta)


@st.composite
def chunks(draw: Any) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": draw(st.sampled_from([0, 0, 0, 1])), "delta": draw(deltas())}
    if draw(st.booleans()):
        choice["finish_reason"] = draw(st.sampled_from([None, None, None, "stop"]))
    if draw(st.booleans()):
        choice["logprobs"] = None
    chunk: dict[str, Any] = {
        "id": draw(st.sampled_from(["chatcmpl-1", "chatcmpl-1", "chatcmpl-2", None])),
        "object": "chat.completion.chunk",
        "created": draw(st.sampled_from([1795939599, 1795939599, 1795939600])),
        "model": "qwen3.6-flash",
        "choices": draw(st.sampled_from([[choice]] * 8 + [[], [choice, choice]])),
    }
    if draw(st.booleans()):
        chunk["usage"] = draw(st.sampled_from([None, None, {"prompt_tokens": 3}]))
    extras = st.sampled_from(["fingerprint", "nonce", "object", "content", "none"])
    extra = draw(extras)
    if extra == "fingerprint":
        chunk["system_fingerprint"] = "fp_1"
    elif extra == "nonce":
        chunk["obfuscation"] = draw(st.text(max_size=4))
    elif extra == "object":
        chunk["meta"] = {"content": "token"}
    elif extra == "content":
        chunk["content"] = draw(st.sampled_from(["token", "a"]))
    return _shuffled(draw, chunk)


def _shuffled(draw: Any, mapping: dict[str, Any]) -> dict[str, Any]:
    keys = draw(st.permutations(list(mapping)))
    return {key: mapping[key] for key in keys}


@st.composite
def bodies(draw: Any) -> bytes:
    """A stream of events written as gateways write them, sometimes with broken bytes."""
    spaced = draw(st.booleans())
    ascii_only = draw(st.booleans())
    events = []
    for chunk in draw(st.lists(chunks(), min_size=1, max_size=12)):
        text = json.dumps(
            chunk,
            ensure_ascii=ascii_only,
            separators=(", ", ": ") if spaced else (",", ":"),
        )
        data = text.encode("utf-8", "surrogatepass")
        if draw(st.integers(0, 9)) == 0:
            # A raw control character or a byte that is not UTF-8 inside a string.
            data = data.replace(b"token", draw(st.sampled_from([b"to\x01ken", b"to\xffken"])))
        events.append(b"data: " + data + b"\n\n")
    if draw(st.booleans()):
        events.append(b"data: [DONE]\n\n")
    return b"".join(events)


@FAST
@given(bodies(), st.lists(st.integers(min_value=0), max_size=6))
def test_generated_streams_decode_as_parsed(body: bytes, cuts: list[int]) -> None:
    assert_decodes_as_parsed(body, cuts)


@FAST
@given(st.lists(TOKEN, min_size=1, max_size=30), st.booleans(), st.booleans())
def test_any_text_reads_as_parsed(tokens: list[str], ascii_only: bool, reasoning: bool) -> None:
    field = "reasoning_content" if reasoning else "content"
    events = [
        {"id": "c", "choices": [{"index": 0, "delta": {field: token}, "finish_reason": None}]}
        for token in tokens
    ]
    body = b"".join(
        b"data: " + json.dumps(event, ensure_ascii=ascii_only).encode() + b"\n\n"
        for event in events
    )
    assert_decodes_as_parsed(body, [])


# --------------------------------------------------------------------------- chosen cases


def _event(**fields: Any) -> bytes:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 5,
        "model": "qwen3.6-flash",
        **fields,
    }
    return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"


def _text_event(text: str, **extra: Any) -> bytes:
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": None, "logprobs": None}
    return _event(choices=[choice], **extra)


def test_a_gateways_text_events_are_read_through_the_template(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_fast, "_taken", set())
    body = b"".join(_text_event(text) for text in ["Hel", "lo", ", ", "wor", "ld"])
    items = ChunkDecoder().feed(body)
    assert "event templates" in taken_up()  # what a library upgrade that breaks it changes
    # The first event is parsed and taught the template; the others are read through it.
    assert isinstance(items[0], ChatCompletionChunk)
    assert all(isinstance(item, TextDelta) for item in items[1:])
    assert [item[:3] for item in items[1:]] == [
        (0, "lo", None),
        (0, ", ", None),
        (0, "wor", None),
        (0, "ld", None),
    ]
    assert_decodes_as_parsed(body, [])


def test_each_chunk_read_through_the_template_is_its_own() -> None:
    body = b"".join(_text_event(text, system_fingerprint="fp") for text in "abc")
    first, second, third = chunks_of(ChunkDecoder().feed(body))
    # Changing the chunk the template was learnt from, or one built from it, changes no other.
    first.choices[0].delta.content = "changed"
    first.id = "changed"
    second.choices[0].model_extra["logprobs"] = "changed"  # type: ignore[index]
    second.model_fields_set.add("error")
    assert third.choices[0].delta.content == "c"
    assert third.id == "chatcmpl-1"
    assert third.choices[0].model_extra == {"logprobs": None}
    assert "error" not in third.model_fields_set
    assert third.choices is not second.choices
    assert third.choices[0].delta is not second.choices[0].delta


def test_the_text_found_must_be_the_deltas_text() -> None:
    # The delta's key written with an escape, and a top-level "content" holding the same
    # text: the bytes found are not the delta's text, and the probe says so.
    choice = b'{"index":0,"delta":{"\\u0063ontent":"a"},"finish_reason":null}'
    body = b"".join(
        b'data: {"content":"' + text + b'","choices":[' + choice + b"]}\n\n"
        for text in (b"a", b"b", b"c")
    )
    got = assert_decodes_as_parsed(body, [])
    assert [chunk.choices[0].delta.content for chunk in got] == ["a", "a", "a"]
    assert [chunk.model_extra["content"] for chunk in got] == ["a", "b", "c"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(b'say \\"hi\\"', id="escaped quotes"),
        pytest.param(b"line\\nbreak\\t\\\\", id="escapes"),
        pytest.param(b"\\u00e9\\ud83d\\ude00", id="unicode escapes"),
        pytest.param(b"\\ud800", id="lone surrogate escape"),
        pytest.param(b"a\\", id="escaped closing quote"),
        pytest.param(b"a\x01b", id="raw control character"),
        pytest.param(b"a\xffb", id="not UTF-8"),
        pytest.param(b'a"b', id="bare quote"),
        pytest.param("中文😀".encode(), id="UTF-8"),
    ],
)
def test_texts_that_need_more_than_a_decode_read_as_parsed(text: bytes) -> None:
    event = _text_event("PLACE")
    body = event.replace(b"PLACE", b"first") + event.replace(b"PLACE", text) + event
    assert_decodes_as_parsed(body, [])


def test_values_a_copy_would_share_keep_events_parsed() -> None:
    body = b"".join(_text_event(text, meta={"n": 1}) for text in "abc")
    chunks = ChunkDecoder().feed(body)
    assert all(isinstance(chunk, ChatCompletionChunk) for chunk in chunks)
    chunks[0].model_extra["meta"]["n"] = 2  # type: ignore[index]
    assert chunks[1].model_extra["meta"] == {"n": 1}  # type: ignore[index]
    assert_decodes_as_parsed(body, [])


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    calls = [0]
    original = getattr(EventTemplate, name)

    def counting(*args: Any) -> Any:
        calls[0] += 1
        return original(*args)

    monkeypatch.setattr(
        EventTemplate, name, staticmethod(counting) if name == "learn" else counting
    )
    return calls


def test_a_stream_whose_events_all_differ_stops_being_probed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probes = _counting(monkeypatch, "_proved")
    body = b"".join(_text_event("x", obfuscation=f"n{i}") for i in range(50))
    assert_decodes_as_parsed(body, [])
    # The decoder (the parsing reference learns nothing) gives up after its first
    # template and eight more that nothing fitted.
    assert probes[0] == 9


def test_a_stream_without_templates_stops_looking_for_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    learnt = _counting(monkeypatch, "learn")
    body = b"".join(_text_event(text, meta={"n": 1}) for text in "abcdefghijklmnopqrstuvwxyz")
    assert_decodes_as_parsed(body, [])
    assert learnt[0] == 8


def test_events_a_template_cannot_read_never_make_it_give_up() -> None:
    # Every other event holds bytes that are not UTF-8 (parsed in full, leniently, and
    # teaching nothing); then the template changes (``created`` ticks). The good events
    # of both runs, but the first of each, are still read through a template.
    def text(created: int, bad: bool) -> bytes:
        choice = {"index": 0, "delta": {"content": "BAD" if bad else "ok"}}
        return _event(choices=[choice], created=created).replace(b"BAD", b"b\xffd")

    body = b"".join(text(5, bad=n % 2 == 1) for n in range(20))
    body += b"".join(text(6, bad=False) for _ in range(10))
    items = ChunkDecoder().feed(body)
    assert sum(isinstance(item, TextDelta) for item in items) == 9 + 9
    assert_decodes_as_parsed(body, [])


def test_an_error_event_after_fitting_events_is_raised_after_them() -> None:
    body = b"".join(_text_event(text) for text in "abc") + _event(error={"message": "overloaded"})
    items, error = decode(ChunkDecoder(), [body])
    assert [chunk.choices[0].delta.content for chunk in chunks_of(items)] == ["a", "b", "c"]
    assert error is not None and "overloaded" in error
    assert_decodes_as_parsed(body, [])


def test_a_retried_stream_forgets_its_template() -> None:
    decoder = ChunkDecoder()
    decoder.feed(b"".join(_text_event(text) for text in "ab"))
    decoder.restart()
    other = _event(choices=[{"index": 0, "delta": {"content": "c"}}], system_fingerprint="x")
    (chunk,) = decoder.feed(other)
    assert isinstance(chunk, ChatCompletionChunk)
    assert chunk.model_extra == {"system_fingerprint": "x"}
    assert decoder.accumulator.result().choices[0].message.content == "c"


def test_the_role_of_an_event_read_through_the_template_counts() -> None:
    def text(content: str) -> bytes:
        return _event(choices=[{"index": 0, "delta": {"role": "model", "content": content}}])

    call = {"index": 0, "id": "call_1", "function": {"name": "f", "arguments": "{}"}}
    delta = {"role": "assistant", "tool_calls": [call]}
    other_role = _event(choices=[{"index": 0, "delta": delta}])
    body = text("a") + text("b") + other_role + text("c")
    decoder = ChunkDecoder()
    decoder.feed(body)
    assert decoder.accumulator.result().choices[0].message.role == "model"
    assert_decodes_as_parsed(body, [])


# --------------------------------------------------------------------------- recorded streams

RECORDED = Path(__file__).resolve().parents[2] / "cassettes" / "real_server"


def _recorded_streams() -> list[Any]:
    streams = []
    for path in sorted(RECORDED.rglob("*.yaml")):
        for interaction in yaml.safe_load(path.read_text())["interactions"]:
            body = interaction["response"]["body"]["string"]
            if isinstance(body, str) and body.startswith("data:"):
                name = f"{path.parent.name}/{path.stem}"
                streams.append(pytest.param(body.encode(), id=name))
    return streams


def _only_text(chunk: ChatCompletionChunk) -> bool:
    if chunk.usage is not None or len(chunk.choices) != 1:
        return False
    choice = chunk.choices[0]
    delta = choice.delta
    return (
        choice.finish_reason is None
        and not delta.tool_calls
        and bool(delta.content or delta.reasoning_content)
    )


@pytest.mark.parametrize("body", _recorded_streams())
def test_llama_servers_recorded_streams_read_through_their_template(body: bytes) -> None:
    # llama.cpp's llama-server, recorded (cassettes/real_server/README.md): its events
    # put the choices first and the id, created and model after the text, and escape
    # line breaks in the text.
    got = assert_decodes_as_parsed(body, [len(body) // 3, len(body) // 2])
    # Think tags off: a choice inside <think>…</think> is handed out rebuilt as reasoning.
    read = sum(isinstance(item, TextDelta) for item in ChunkDecoder(think_tags=False).feed(body))
    # Every text event is read without parsing but the first after each change of the
    # bytes around the text: the first, the switch from reasoning to text, and each
    # tick of ``created`` (llama-server stamps every event with the current second).
    changes = len({chunk.created for chunk in got}) + 2
    assert read >= sum(_only_text(chunk) for chunk in got) - changes


def test_text_escaped_as_ascii_is_read_through_the_template() -> None:
    # Python's json.dumps by default: spaces after separators, every non-ASCII character
    # escaped (an emoji as a surrogate pair), line breaks escaped.
    tokens = ["你好", "\uff0c世界", "😀", "a\nb", "\u201cquoted\u201d"] * 4
    body = b"".join(
        b"data: "
        + json.dumps({"id": "c", "choices": [{"index": 0, "delta": {"content": token}}]}).encode()
        + b"\n\n"
        for token in tokens
    )
    items = ChunkDecoder().feed(body)
    assert [item.content for item in items[1:]] == tokens[1:]
    assert_decodes_as_parsed(body, [])


def test_a_chunk_built_from_the_template_behaves_as_a_parsed_one() -> None:
    body = b"".join(_text_event(text, system_fingerprint="fp") for text in ["a", "b\n"])
    parsed = ParsingDecoder().feed(body)[1]
    delta = ChunkDecoder().feed(body)[1]
    assert isinstance(delta, TextDelta)
    built = delta.chunk()
    assert isinstance(parsed, ChatCompletionChunk) and isinstance(built, ChatCompletionChunk)
    assert built.model_dump_json() == parsed.model_dump_json()
    assert built.model_dump(exclude_unset=True) == parsed.model_dump(exclude_unset=True)
    assert pickle.loads(pickle.dumps(built)) == parsed
    assert copy.deepcopy(built) == parsed
    assert built.model_copy(update={"id": "x"}).id == "x"
    assert repr(built) == repr(parsed)


# --------------------------------------------------------------------------- failing safe

_TEXTS = ["Hel", "lo", ", ", 'say \\"hi\\"', "wor", "ld"]  # one with JSON escapes
_BODY = b"".join(_text_event("PLACE").replace(b"PLACE", text.encode()) for text in _TEXTS) + _event(
    choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]
)


@pytest.fixture
def fresh_checks() -> Iterator[None]:
    """The checks made at first use run again, as in a new process."""
    _construct.slot_setters.cache_clear()
    _template._string_reader.cache_clear()
    yield
    _construct.slot_setters.cache_clear()
    _template._string_reader.cache_clear()


@pytest.mark.parametrize("value", ["0", "off", "false", "no"])
def test_the_switch_turns_template_reading_off(
    monkeypatch: pytest.MonkeyPatch, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(FAST_PATHS_VARIABLE, value)
    monkeypatch.setattr(_fast, "_reported", {})
    with caplog.at_level(logging.DEBUG, logger="anyfast_client"):
        items = ChunkDecoder().feed(_BODY)
        ChunkDecoder().feed(_BODY)
    assert all(type(item) is ChatCompletionChunk for item in items)
    assert [chunk.choices[0].delta.content for chunk in items[:-1]] == [
        "Hel",
        "lo",
        ", ",
        'say "hi"',
        "wor",
        "ld",
    ]
    assert "event templates" in stood_down()
    assert sum("event templates" in record.message for record in caplog.records) == 1


def test_without_jsons_string_reader_escaped_text_is_parsed(
    monkeypatch: pytest.MonkeyPatch, fresh_checks: None
) -> None:
    monkeypatch.setattr(_fast, "_reported", {})
    monkeypatch.delattr(json.decoder, "scanstring")
    items = ChunkDecoder().feed(_BODY)
    kinds = [type(item).__name__ for item in items]
    # The text with escapes is parsed in full; the others are still read.
    assert kinds[3] == "ChatCompletionChunk"
    assert kinds.count("TextDelta") == 4
    assert chunks_of(items)[3].choices[0].delta.content == 'say "hi"'
    assert "event templates (escaped text)" in stood_down()
    assert_decodes_as_parsed(_BODY, [])


def test_a_string_reader_that_reads_otherwise_is_not_used(
    monkeypatch: pytest.MonkeyPatch, fresh_checks: None
) -> None:
    monkeypatch.setattr(_fast, "_reported", {})
    monkeypatch.setattr(json.decoder, "scanstring", lambda text, end, strict: ("x", end + 1))
    items = ChunkDecoder().feed(_BODY)
    assert type(items[3]) is ChatCompletionChunk
    assert "event templates (escaped text)" in stood_down()


def test_without_pydantics_slots_no_template_is_learnt(
    monkeypatch: pytest.MonkeyPatch, fresh_checks: None
) -> None:
    monkeypatch.setattr(_fast, "_reported", {})
    monkeypatch.setitem(_construct._SLOTS, "_private", "__renamed_private__")
    items = ChunkDecoder().feed(_BODY)
    assert all(type(item) is ChatCompletionChunk for item in items)
    assert "slots" in stood_down()["event templates"]


# --------------------------------------------------------------------------- through the client


async def _read_stream(server: AnyfastTestServer, mode: str, *, items: bool) -> list[Any]:
    """A streamed answer as the stream's iterator gives it, or as the adapters read it."""
    server.enqueue(Reply(content="Hello, world! " * 4, chunk_size=3, id="chatcmpl-1", created=5))
    settings = {"api_key": server.api_key, "base_url": server.base_url}
    request = ChatRequest(model="qwen3.6-flash", messages=[UserMessage(content="hi")])
    if mode == "sync":
        with AnyfastClient(**settings) as client, client.chat_stream(request) as stream:
            return list(stream_items(stream) if items else stream)
    async with AsyncAnyfastClient(**settings) as client, client.chat_stream(request) as astream:
        return [item async for item in (astream_items(astream) if items else astream)]


async def test_a_stream_yields_chunks_and_hands_the_adapters_text_deltas(mode: str) -> None:
    with AnyfastTestServer() as server:
        chunks = await _read_stream(server, mode, items=False)
        items = await _read_stream(server, mode, items=True)
    assert all(type(chunk) is ChatCompletionChunk for chunk in chunks)
    assert sum(type(item) is TextDelta for item in items) >= len(items) // 2
    assert len(items) == len(chunks)
    for item, chunk in zip(chunks_of(items), chunks, strict=True):
        assert_same_chunk(item, chunk)
