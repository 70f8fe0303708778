"""The SSE decoder: the same events however the bytes are split and lines end."""

from __future__ import annotations

import json

import pytest

from anyfast_client._sse import SSEDecoder

from .conftest import fixture_bytes

ENDINGS = {"LF": b"\n", "CR": b"\r", "CRLF": b"\r\n"}


def decode(*pieces: bytes) -> list[str]:
    decoder = SSEDecoder()
    events = [e for piece in pieces for e in decoder.feed(piece)]
    return events + decoder.flush()


def with_ending(data: bytes, ending: bytes) -> bytes:
    return data.replace(b"\n", ending)


def test_recorded_stream_events() -> None:
    events = decode(fixture_bytes("thinking.sse"))
    assert len(events) == 7
    assert events[-1] == "[DONE]"
    # Comments are dropped; the two data lines of one event join with a newline.
    assert all(not e.startswith(":") for e in events)
    assert '"model":"qwen3.6-flash",\n"choices"' in events[4]
    assert json.loads(events[3])["choices"][0]["delta"]["content"] == "天空是蓝色的 ☀️🌍"


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
@pytest.mark.parametrize("name", ["thinking.sse", "tool_calls.sse"])
def test_split_at_every_byte_boundary(name: str, ending: bytes) -> None:
    data = with_ending(fixture_bytes(name), ending)
    expected = decode(fixture_bytes(name))
    assert decode(data) == expected
    for cut in range(1, len(data)):
        assert decode(data[:cut], data[cut:]) == expected, cut
    assert decode(*(data[i : i + 1] for i in range(len(data)))) == expected


def test_crlf_split_between_cr_and_lf_makes_no_extra_blank_line() -> None:
    # If the LF after a split CR counted as a line of its own, the first data line
    # would end an event too early and the multi-line event would come out as two.
    assert decode(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == ["a\nb"]
    assert decode(b"data: a\r", b"", b"\n\r\n") == ["a"]


def test_lone_cr_then_data_is_a_line_break() -> None:
    assert decode(b"data: a\r", b"data: b\r\r") == ["a\nb"]


def test_utf8_split_inside_a_character() -> None:
    raw = "data: 蓝🌍\n\n".encode()
    for cut in range(len(raw)):
        assert decode(raw[:cut], raw[cut:]) == ["蓝🌍"]


def test_comments_other_fields_and_field_forms() -> None:
    data = b": PING\nevent: message\nid: 3\nretry: 10\ndata:no-space\ndata\ndata:  two\n\n"
    assert decode(data) == ["no-space\n\n two"]


def test_comment_only_stream_has_no_events() -> None:
    assert decode(b": PING\n\n: PING\n\n") == []


def test_last_event_without_blank_line_still_counts() -> None:
    assert decode(b"data: a\n\ndata: [DONE]") == ["a", "[DONE]"]
    assert decode(b"data: a\n\ndata: [DONE]\n") == ["a", "[DONE]"]


def test_events_come_out_as_soon_as_they_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"\ndata: b") == ["a"]
    assert decoder.flush() == ["b"]
